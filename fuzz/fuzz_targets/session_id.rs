//! `SessionId::parse` is the gate every cookie value passes: it must accept
//! exactly the canonical 43-character base64url spellings and nothing else,
//! and never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesh::SessionId;

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = SessionId::parse(text);
    assert_eq!(parsed, text.parse::<SessionId>(), "FromStr and parse disagree");
    match parsed {
        Ok(id) => {
            // One accepted spelling per ID: what was accepted is what we send.
            assert_eq!(id.encode(), text, "accepted a non-canonical spelling");
        }
        Err(_) => {
            let plausible = text.len() == SessionId::ENCODED_LEN
                && text.bytes().all(|b| ALPHABET.contains(&b))
                // The last character holds 4 data bits and 2 zero bits.
                && ALPHABET.iter().position(|&c| Some(c) == text.bytes().last()).is_some_and(|i| i % 4 == 0);
            assert!(!plausible, "rejected a canonical ID: {text:?}");
        }
    }
});
