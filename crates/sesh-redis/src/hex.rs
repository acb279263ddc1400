//! Lowercase hex of session keys, as `SessionKey::to_hex` spells it, written
//! straight into the buffer a Redis key or index member is built in: every
//! store call names its key, and going through `fmt` (32 `write!`s per key)
//! showed in the server's profile.

use sesh_core::SessionKey;

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends the 64 hex digits of `key` to `out`.
pub(crate) fn push(out: &mut String, key: &SessionKey) {
    let mut digits = [0; 64];
    for (pair, &byte) in digits.chunks_exact_mut(2).zip(key.as_bytes()) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
    // All ASCII, so this check always passes (and is a few word compares).
    out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
}

/// The 64 hex digits of `key`.
pub(crate) fn encode(key: &SessionKey) -> String {
    prefixed("", key)
}

/// `prefix` followed by the 64 hex digits of `key`, in one allocation.
pub(crate) fn prefixed(prefix: &str, key: &SessionKey) -> String {
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    push(&mut out, key);
    out
}

#[cfg(test)]
mod tests {
    use sesh_core::SessionId;

    use super::*;

    #[test]
    fn spells_keys_as_to_hex_does() {
        let edges = [
            [0; 32],
            [0xff; 32],
            std::array::from_fn(|i| u8::try_from(i * 7).unwrap_or_default()),
        ];
        let keys = edges
            .map(SessionKey::from_bytes)
            .into_iter()
            .chain((0..64).map(|_| SessionId::generate().key()));
        for key in keys {
            let got = prefixed("sesh:", &key);
            assert_eq!(got, format!("sesh:{}", key.to_hex()));
            assert_eq!(got.capacity(), got.len(), "one allocation of the right size");
        }
    }
}
