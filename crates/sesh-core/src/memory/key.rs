//! A data key as the memory store keeps it: short keys, which most are,
//! inline, so that a small session's entry is a single allocation.

/// Keys of up to this many bytes are kept inline.
const INLINE: usize = 22;

/// One data key of a stored session. 24 bytes either way.
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

    /// [`new`](Self::new), reusing `key`'s buffer when it is not inlined.
    pub(super) fn from_string(key: String) -> Self {
        if key.len() <= INLINE {
            Self::new(&key)
        } else {
            Self::Heap(key.into_boxed_str())
        }
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Self::Heap(key) => key.as_bytes(),
        }
    }

    /// Whether this is `key`: compared as bytes, which needs no UTF-8 check.
    pub(super) fn is(&self, key: &str) -> bool {
        self.as_bytes() == key.as_bytes()
    }

    /// The key as a `String`, as a `Record` holds it.
    ///
    /// # Panics
    /// Never: an inline key is a copy of a whole `&str`.
    pub(super) fn to_owned_string(&self) -> String {
        match self {
            Self::Inline { .. } => std::str::from_utf8(self.as_bytes())
                .expect("an inline key holds a whole str")
                .to_owned(),
            Self::Heap(key) => String::from(&**key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_inline_or_not() {
        let long = "k".repeat(INLINE + 1);
        // 7 three-byte characters: 21 bytes, inline; 8: 24 bytes, on the heap.
        let (cjk_21, cjk_24) = ("語".repeat(7), "語".repeat(8));
        for key in ["", "n", "ключ", &"k".repeat(INLINE), &long, &cjk_21, &cjk_24] {
            for stored in [DataKey::new(key), DataKey::from_string(key.to_owned())] {
                assert_eq!(stored.to_owned_string(), key);
                let inline = matches!(stored, DataKey::Inline { .. });
                assert_eq!(inline, key.len() <= INLINE, "{key}");
                assert!(stored.is(key), "{key}");
                let longer = format!("{key}x");
                assert!(!stored.is(&longer) && !DataKey::new(&longer).is(key), "{key}");
                // The same length, the last character replaced.
                if let Some(last) = key.chars().last() {
                    let stem = &key[..key.len() - last.len_utf8()];
                    let neighbour = format!("{stem}{}", "_".repeat(last.len_utf8()));
                    assert!(!stored.is(&neighbour), "{key}");
                }
            }
        }
        assert_eq!(size_of::<DataKey>(), 24);
    }
}
