//! A data key as the memory store keeps it: short keys, which most are,
//! inline, so that a small session's entry is a single allocation.

use std::fmt;

/// Keys of up to this many bytes are kept inline.
const INLINE: usize = 22;

/// One data key of a stored session. 24 bytes either way.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum DataKey {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl DataKey {
    pub(super) fn new(key: &str) -> Self {
        match u8::try_from(key.len()) {
            Ok(len) if key.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..key.len()].copy_from_slice(key.as_bytes());
                Self::Inline { len, bytes }
            }
            _ => Self::Heap(Box::from(key)),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(key) => key.as_bytes(),
        }
    }

    /// Whether this is `key`: compared as bytes, which needs no UTF-8 check.
    pub(super) fn is(&self, key: &str) -> bool {
        self.as_bytes() == key.as_bytes()
    }

    pub(super) fn to_owned_string(&self) -> String {
        // Made from a `&str`, so always UTF-8; the lossy form only spares
        // an `unwrap`.
        match std::str::from_utf8(self.as_bytes()) {
            Ok(key) => key.to_owned(),
            Err(_) => String::from_utf8_lossy(self.as_bytes()).into_owned(),
        }
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self.as_bytes()), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_inline_or_not() {
        let long = "k".repeat(INLINE + 1);
        for key in ["", "n", "ключ", &"k".repeat(INLINE), &long, "日本語のキー"] {
            let stored = DataKey::new(key);
            assert_eq!(stored.to_owned_string(), key);
            assert!(stored.is(key) && !stored.is("other"));
            assert_eq!(
                matches!(stored, DataKey::Inline { .. }),
                key.len() <= INLINE,
                "{key}"
            );
        }
        assert_eq!(size_of::<DataKey>(), 24);
    }
}
