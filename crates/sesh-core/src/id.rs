use std::{fmt, str::FromStr, sync::OnceLock};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// 256 bits.
const ID_BYTES: usize = 32;

/// The session ID a client holds: 256 bits from an OS-seeded CSPRNG.
///
/// It is a bearer token, so it never prints: `Debug` shows `SessionId(..)`
/// and there is no `Display`. Use [`SessionId::encode`] to put it in a cookie
/// and [`SessionId::log_id`] to name it in logs. Equality is constant time.
///
/// Stores never see it either: they are given the [`StoreKey`], a SHA-256
/// of the ID, so a leaked store dump or a timing side channel in a store's
/// index gives away no live token.
#[derive(Clone)]
pub struct SessionId([u8; ID_BYTES]);

/// Why a string is not a [`SessionId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseIdError {
    /// Not exactly [`SessionId::ENCODED_LEN`] characters.
    Length,
    /// A character outside the base64url alphabet, or non-canonical
    /// trailing bits.
    Alphabet,
}

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Length => "session id has the wrong length",
            Self::Alphabet => "session id is not canonical base64url",
        })
    }
}

impl std::error::Error for ParseIdError {}

impl SessionId {
    /// The length of [`encode`](Self::encode)'s output: 43 characters.
    pub const ENCODED_LEN: usize = 43;

    /// A fresh random ID from the thread-local CSPRNG (`ChaCha12`, seeded and
    /// periodically reseeded from the operating system).
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0; ID_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The ID as unpadded base64url, the form it takes in a cookie.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut buf = [0; Self::ENCODED_LEN];
        self.encode_into(&mut buf).to_owned()
    }

    /// [`encode`](Self::encode) into a buffer the caller owns, so writing a
    /// cookie for a new session needs no allocation of its own.
    ///
    /// # Panics
    /// Never: base64 is ASCII.
    #[must_use]
    pub fn encode_into<'b>(&self, buf: &'b mut [u8; Self::ENCODED_LEN]) -> &'b str {
        let written = URL_SAFE_NO_PAD
            .encode_slice(self.0, buf)
            .expect("32 bytes are 43 base64 characters");
        std::str::from_utf8(&buf[..written]).expect("base64 is ASCII")
    }

    /// Parses the cookie form strictly: exact length, base64url alphabet,
    /// canonical encoding. Anything else is rejected, never "repaired".
    ///
    /// # Errors
    /// [`ParseIdError`] says which check failed.
    pub fn parse(s: &str) -> Result<Self, ParseIdError> {
        if s.len() != Self::ENCODED_LEN {
            return Err(ParseIdError::Length);
        }
        // The engine refuses non-alphabet bytes, padding and non-zero
        // trailing bits, so every ID has exactly one accepted spelling. Its
        // size check wants room for 33 bytes from 43 characters.
        let mut bytes = [0; ID_BYTES + 1];
        match URL_SAFE_NO_PAD.decode_slice(s, &mut bytes) {
            Ok(ID_BYTES) => {
                let mut id = [0; ID_BYTES];
                id.copy_from_slice(&bytes[..ID_BYTES]);
                Ok(Self(id))
            }
            _ => Err(ParseIdError::Alphabet),
        }
    }

    /// The key stores index this session by.
    #[must_use]
    pub fn key(&self) -> StoreKey {
        StoreKey(Sha256::digest(self.0).into())
    }

    /// Where a rotation leaves word of this session's next ID, for requests
    /// still in flight with this one (`SessionLayer::rotation_grace`): a
    /// store key apart from [`key`](Self::key), which only a holder of this
    /// ID can derive.
    #[must_use]
    pub fn forward_key(&self) -> StoreKey {
        StoreKey(
            Sha256::new()
                .chain_update(b"sesh forward key\0")
                .chain_update(self.0)
                .finalize()
                .into(),
        )
    }

    /// `next` masked with a pad only a holder of this ID can derive, so a
    /// store that keeps it never holds a usable ID. [`unmask`](Self::unmask)
    /// reads it back.
    #[must_use]
    pub fn mask(&self, next: &SessionId) -> String {
        let mut masked = self.pad();
        for (m, b) in masked.iter_mut().zip(next.0) {
            *m ^= b;
        }
        URL_SAFE_NO_PAD.encode(masked)
    }

    /// The ID [`mask`](Self::mask) hid in `masked`, if it is one.
    #[must_use]
    pub fn unmask(&self, masked: &str) -> Option<SessionId> {
        let masked = Self::parse(masked).ok()?;
        let mut next = self.pad();
        for (n, m) in next.iter_mut().zip(masked.0) {
            *n ^= m;
        }
        Some(Self(next))
    }

    fn pad(&self) -> [u8; ID_BYTES] {
        Sha256::new()
            .chain_update(b"sesh forward pad\0")
            .chain_update(self.0)
            .finalize()
            .into()
    }

    /// A salted, truncated hash of the ID for logs: stable within this
    /// process so log lines can be correlated, useless outside it.
    #[must_use]
    pub fn log_id(&self) -> LogId {
        self.key().log_id()
    }
}

impl PartialEq for SessionId {
    /// In constant time: the commit compares a stored ID with the incoming one.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for SessionId {}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

impl FromStr for SessionId {
    type Err = ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The SHA-256 of a [`SessionId`]: what stores index sessions by.
///
/// Knowing a key does not let anyone present the session, so stores may
/// keep and print it. [`StoreKey::to_hex`] gives a stable text form for
/// backends that key by string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key's 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Rebuilds a key from bytes a store kept (for example a per-user index).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 64 lowercase hex digits.
    #[must_use]
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(64);
        self.write_hex(&mut s);
        s
    }

    /// Appends [`to_hex`](Self::to_hex)'s 64 digits to `out`, so a store
    /// can build a name around them (a prefix) in one allocation.
    pub fn write_hex(&self, out: &mut String) {
        use std::fmt::Write as _;
        for byte in self.0 {
            // Writing to a `String` cannot fail.
            let _ = write!(out, "{byte:02x}");
        }
    }

    /// Parses [`to_hex`](Self::to_hex)'s form.
    #[must_use]
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut bytes = [0; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// A salted, truncated hash of the key for logs (see [`SessionId::log_id`]).
    #[must_use]
    pub fn log_id(&self) -> LogId {
        static SALT: OnceLock<[u8; 16]> = OnceLock::new();
        let salt = SALT.get_or_init(|| {
            let mut salt = [0; 16];
            rand::rng().fill_bytes(&mut salt);
            salt
        });
        let digest = Sha256::new().chain_update(salt).chain_update(self.0).finalize();
        let mut short = [0; 8];
        short.copy_from_slice(&digest[..8]);
        LogId(u64::from_be_bytes(short))
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreKey({})", &self.to_hex()[..12])
    }
}

/// How a session is named in logs: a per-process salted hash, 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogId(u64);

impl fmt::Display for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_id_reads_back_only_with_its_id() {
        let (old, next, other) = (
            SessionId::generate(),
            SessionId::generate(),
            SessionId::generate(),
        );
        let masked = old.mask(&next);
        assert_ne!(masked, next.encode(), "the store never holds the ID itself");
        assert_eq!(old.unmask(&masked), Some(next.clone()));
        assert_ne!(other.unmask(&masked), Some(next));
        assert_ne!(old.forward_key(), old.key());
        assert_eq!(old.unmask("not an id"), None);
    }

    #[test]
    fn encode_parse_round_trip() {
        let id = SessionId::generate();
        let s = id.encode();
        assert_eq!(s.len(), SessionId::ENCODED_LEN);
        let mut buf = [0; SessionId::ENCODED_LEN];
        assert_eq!(id.encode_into(&mut buf), s);
        assert_eq!(SessionId::parse(&s), Ok(id));
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(SessionId::generate(), SessionId::generate());
    }

    #[test]
    fn parse_rejects_bad_input() {
        let good = SessionId::generate().encode();
        assert_eq!(SessionId::parse(""), Err(ParseIdError::Length));
        assert_eq!(SessionId::parse(&good[1..]), Err(ParseIdError::Length));
        assert_eq!(SessionId::parse(&format!("{good}A")), Err(ParseIdError::Length));
        let padded = format!("{}=", &good[..42]);
        assert_eq!(SessionId::parse(&padded), Err(ParseIdError::Alphabet));
        let plus = format!("+{}", &good[1..]);
        assert_eq!(SessionId::parse(&plus), Err(ParseIdError::Alphabet));
        let multibyte = format!("é{}", &good[2..]);
        assert!(SessionId::parse(&multibyte).is_err());
    }

    #[test]
    fn parse_rejects_non_canonical_trailing_bits() {
        // 32 bytes leave 2 unused bits in the last character; only the
        // spelling with those bits zero is accepted.
        let mut s = SessionId::parse(&"A".repeat(43)).expect("canonical").encode();
        s.pop();
        s.push('B');
        assert_eq!(SessionId::parse(&s), Err(ParseIdError::Alphabet));
    }

    #[test]
    fn debug_never_shows_the_id() {
        let id = SessionId::generate();
        let shown = format!("{id:?} {}", id.log_id());
        assert!(!shown.contains(&id.encode()));
        assert_eq!(format!("{id:?}"), "SessionId(..)");
    }

    #[test]
    fn key_is_hash_and_hex_round_trips() {
        let id = SessionId::generate();
        assert_eq!(id.key(), id.clone().key());
        let hex = id.key().to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(StoreKey::from_hex(&hex), Some(id.key()));
        assert_eq!(StoreKey::from_hex("zz"), None);
        assert_eq!(id.log_id(), id.key().log_id());
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        let edges = [
            [0; 32],
            [0xff; 32],
            std::array::from_fn(|i| u8::try_from(i * 7).unwrap_or_default()),
        ];
        let keys = edges
            .map(StoreKey::from_bytes)
            .into_iter()
            .chain((0..64).map(|_| SessionId::generate().key()));
        for key in keys {
            let reference: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            let hex = key.to_hex();
            assert_eq!(hex, reference);
            assert_eq!(hex.capacity(), 64, "one allocation of the right size");
            let mut prefixed = String::from("sesh:");
            key.write_hex(&mut prefixed);
            assert_eq!(prefixed, format!("sesh:{reference}"));
        }
    }
}
