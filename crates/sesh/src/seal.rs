//! Secret keys and how a cookie value is protected with them: signed
//! (HMAC-SHA256) or private (AES-256-GCM), with key rotation.

use std::{borrow::Cow, fmt};

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use cookie::{Cookie, CookieJar};
use sesh_core::{Error, ErrorKind};

/// A 512-bit secret that signs or encrypts session cookies.
///
/// It wraps the [`cookie`] crate's `Key`, which splits it into a signing
/// and an encryption half. It never prints: `Debug` shows `Key(..)`.
///
/// ```
/// let key = sesh::Key::generate();
/// assert_eq!(format!("{key:?}"), "Key(..)");
/// ```
#[derive(Clone, PartialEq)]
pub struct Key(cookie::Key);

impl Key {
    /// How many bytes of secret a key is made of.
    pub const LEN: usize = 64;

    /// A fresh random key from the operating system's CSPRNG. Sessions
    /// sealed with it die with the process unless the key is kept.
    #[must_use]
    pub fn generate() -> Self {
        Self(cookie::Key::generate())
    }

    /// A key from exactly [`Key::LEN`] random bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] if `bytes` is not 64 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != Self::LEN {
            return Err(Error::msg(
                ErrorKind::Config,
                format!(
                    "a secret key is {} bytes of random data, got {}; \
                     make one with `openssl rand -base64 64`",
                    Self::LEN,
                    bytes.len()
                ),
            ));
        }
        cookie::Key::try_from(bytes)
            .map(Self)
            .map_err(|e| Error::new(ErrorKind::Config, e))
    }

    /// A key from the base64 (standard or URL-safe, padding optional,
    /// whitespace ignored) of 64 random bytes, as `openssl rand -base64 64`
    /// prints it.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] if `text` is not base64 or not of 64 bytes.
    pub fn from_base64(text: &str) -> Result<Self, Error> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let lenient = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let bytes = GeneralPurpose::new(&alphabet::STANDARD, lenient)
            .decode(&compact)
            .or_else(|_| GeneralPurpose::new(&alphabet::URL_SAFE, lenient).decode(&compact))
            .map_err(|e| Error::new(ErrorKind::Config, e).context("a secret key is not valid base64"))?;
        Self::from_bytes(&bytes)
    }
}

impl From<cookie::Key> for Key {
    fn from(key: cookie::Key) -> Self {
        Self(key)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(..)")
    }
}

/// How a cookie value is protected.
#[derive(Debug, Clone, Default)]
pub(crate) enum Seal {
    /// Sent as is: the session ID is random and unguessable on its own.
    #[default]
    Plain,
    /// Sent with an HMAC: forged or altered values are refused before any
    /// store lookup.
    Signed(Key),
    /// Encrypted and authenticated: the client can neither read nor alter it.
    Private(Key),
}

/// The seal, plus older keys whose cookies are still accepted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sealing {
    pub(crate) seal: Seal,
    pub(crate) previous: Vec<Key>,
}

/// What opening a sealed value gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Opened<'a> {
    /// Verified under the current key (or not sealed at all: then borrowed).
    Current(Cow<'a, str>),
    /// Verified only under a previous key: re-issue it under the current one.
    Previous(Cow<'a, str>),
    /// Altered, truncated, sealed for another cookie name or under a key
    /// no longer accepted.
    Refused,
}

/// Verifies or decrypts one sealed value of a named cookie with one key.
type Opener = fn(&Key, &str, &str) -> Option<String>;

/// Length of the base64 HMAC-SHA256 the signed mode puts before the value.
const SIGNATURE_LEN: usize = 44;

impl Sealing {
    /// Whether values are sealed with a key.
    pub(crate) fn is_keyed(&self) -> bool {
        !matches!(self.seal, Seal::Plain)
    }

    /// `value` sealed for the cookie `name` under the current key.
    pub(crate) fn seal<'a>(&self, name: &str, value: &'a str) -> Cow<'a, str> {
        match &self.seal {
            Seal::Plain => Cow::Borrowed(value),
            Seal::Signed(key) => Cow::Owned(sign(key, name, value)),
            Seal::Private(key) => Cow::Owned(encrypt(key, name, value)),
        }
    }

    /// The plain value of a sealed `value` of the cookie `name`; the current
    /// key is tried first, then each previous key.
    pub(crate) fn open<'a>(&self, name: &str, value: &'a str) -> Opened<'a> {
        let (current, open_with): (&Key, Opener) = match &self.seal {
            Seal::Plain => return Opened::Current(Cow::Borrowed(value)),
            Seal::Signed(key) => (key, verify),
            Seal::Private(key) => (key, decrypt),
        };
        if let Some(plain) = open_with(current, name, value) {
            return Opened::Current(Cow::Owned(plain));
        }
        self.previous
            .iter()
            .find_map(|key| open_with(key, name, value))
            .map_or(Opened::Refused, |plain| Opened::Previous(Cow::Owned(plain)))
    }

    /// The longest a sealed value of `plain_len` bytes can be.
    pub(crate) fn sealed_len(&self, plain_len: usize) -> usize {
        match self.seal {
            Seal::Plain => plain_len,
            Seal::Signed(_) => SIGNATURE_LEN + plain_len,
            // base64 (padded) of nonce (12) + ciphertext + tag (16)
            Seal::Private(_) => (plain_len + 28).div_ceil(3) * 4,
        }
    }
}

// The cookie crate's HMAC covers the value only; signing `name=value` and
// sending `signature + value` binds the name too, as the private mode's
// associated data does, so a value signed for one cookie fails under another.
fn sign(key: &Key, name: &str, value: &str) -> String {
    let mut jar = CookieJar::new();
    jar.signed_mut(&key.0)
        .add(Cookie::new(name.to_owned(), format!("{name}={value}")));
    let signed = jar.get(name).map(Cookie::value).unwrap_or_default();
    let signature = signed.get(..SIGNATURE_LEN).unwrap_or_default();
    format!("{signature}{value}")
}

fn verify(key: &Key, name: &str, sealed: &str) -> Option<String> {
    if !sealed.is_char_boundary(SIGNATURE_LEN) {
        return None;
    }
    let (signature, value) = sealed.split_at(SIGNATURE_LEN);
    let claimed = Cookie::new(name.to_owned(), format!("{signature}{name}={value}"));
    CookieJar::new().signed(&key.0).verify(claimed)?;
    Some(value.to_owned())
}

fn encrypt(key: &Key, name: &str, value: &str) -> String {
    let mut jar = CookieJar::new();
    jar.private_mut(&key.0)
        .add(Cookie::new(name.to_owned(), value.to_owned()));
    jar.get(name).map(|c| c.value().to_owned()).unwrap_or_default()
}

fn decrypt(key: &Key, name: &str, sealed: &str) -> Option<String> {
    let cookie = Cookie::new(name.to_owned(), sealed.to_owned());
    CookieJar::new()
        .private(&key.0)
        .decrypt(cookie)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealing(seal: fn(Key) -> Seal, key: &Key, previous: &[Key]) -> Sealing {
        Sealing {
            seal: seal(key.clone()),
            previous: previous.to_vec(),
        }
    }

    #[test]
    fn round_trips_and_refuses_other_names_and_keys() {
        let (k1, k2) = (Key::generate(), Key::generate());
        for seal in [Seal::Signed as fn(Key) -> Seal, Seal::Private] {
            let s = sealing(seal, &k1, &[]);
            let sealed = s.seal("session", "abc");
            assert_ne!(sealed, "abc");
            assert_eq!(sealed.len(), s.sealed_len(3));
            assert_eq!(s.open("session", &sealed), Opened::Current("abc".into()));
            assert_eq!(s.open("other", &sealed), Opened::Refused);
            assert_eq!(sealing(seal, &k2, &[]).open("session", &sealed), Opened::Refused);
            let rotated = sealing(seal, &k2, std::slice::from_ref(&k1));
            assert_eq!(rotated.open("session", &sealed), Opened::Previous("abc".into()));
        }
    }

    #[test]
    fn refuses_altered_and_truncated_values() {
        let key = Key::generate();
        for seal in [Seal::Signed as fn(Key) -> Seal, Seal::Private] {
            let s = sealing(seal, &key, &[]);
            let sealed = s.seal("session", "0123456789");
            for i in 0..sealed.len() {
                let mut bytes = sealed.clone().into_owned().into_bytes();
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                let altered = String::from_utf8(bytes).expect("ascii");
                assert_eq!(s.open("session", &altered), Opened::Refused, "byte {i}");
                assert_eq!(s.open("session", &sealed[..i]), Opened::Refused, "cut at {i}");
            }
        }
    }

    #[test]
    fn keys_parse_from_base64_and_never_print() {
        let bytes: Vec<u8> = (0..64).collect();
        let standard = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let wrapped = format!("{}\n{}\n", &standard[..60], &standard[60..]);
        assert_eq!(
            Key::from_base64(&wrapped).expect("key"),
            Key::from_bytes(&bytes).expect("key")
        );
        let e = Key::from_base64("c2hvcnQ=").expect_err("too short");
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("64 bytes"), "{e}");
        assert_eq!(
            Key::from_base64("not base64!").expect_err("junk").kind(),
            ErrorKind::Config
        );
        assert_eq!(format!("{:?}", Key::generate()), "Key(..)");
    }
}
