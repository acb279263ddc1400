//! The iterators of a [`SessionData`](super::SessionData). Like the data's
//! own `Debug`, theirs shows keys only: values may be secrets.

use std::{fmt, iter::FusedIterator, slice, vec};

use serde_json::Value;

/// Shows the keys of some pairs, not their values.
pub(super) struct KeysOf<'a>(pub(super) &'a [(String, Value)]);

impl fmt::Debug for KeysOf<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.iter().map(|(k, _)| k)).finish()
    }
}

/// One iterator over the pairs: the item each pair maps to, with the
/// traits std's iterators have and a `Debug` that shows keys only.
macro_rules! pairs_iterator {
    ($(#[$doc:meta])* $name:ident $(<$lt:lifetime>)?, $inner:ty, $item:ty, $pair:pat => $map:expr) => {
        $(#[$doc])*
        #[must_use = "iterators are lazy and do nothing unless consumed"]
        pub struct $name$(<$lt>)?(pub(super) $inner);

        impl$(<$lt>)? Iterator for $name$(<$lt>)? {
            type Item = $item;

            fn next(&mut self) -> Option<$item> {
                self.0.next().map(|$pair| $map)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.0.size_hint()
            }
        }

        impl$(<$lt>)? DoubleEndedIterator for $name$(<$lt>)? {
            fn next_back(&mut self) -> Option<$item> {
                self.0.next_back().map(|$pair| $map)
            }
        }

        impl$(<$lt>)? ExactSizeIterator for $name$(<$lt>)? {}

        impl$(<$lt>)? FusedIterator for $name$(<$lt>)? {}

        impl$(<$lt>)? fmt::Debug for $name$(<$lt>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&KeysOf(self.0.as_slice())).finish()
            }
        }
    };
}

pairs_iterator!(
    /// The pairs of a [`SessionData`](super::SessionData), in key order.
    Iter<'a>, slice::Iter<'a, (String, Value)>, (&'a str, &'a Value), (k, v) => (k.as_str(), v)
);
pairs_iterator!(
    /// The pairs of a [`SessionData`](super::SessionData), in key order, values mutable.
    IterMut<'a>, slice::IterMut<'a, (String, Value)>, (&'a str, &'a mut Value), (k, v) => (k.as_str(), v)
);
pairs_iterator!(
    /// The owned pairs of a [`SessionData`](super::SessionData), in key order.
    IntoIter, vec::IntoIter<(String, Value)>, (String, Value), pair => pair
);
pairs_iterator!(
    /// The keys of a [`SessionData`](super::SessionData), in order.
    Keys<'a>, slice::Iter<'a, (String, Value)>, &'a str, (k, _) => k.as_str()
);
pairs_iterator!(
    /// The values of a [`SessionData`](super::SessionData), in their keys' order.
    Values<'a>, slice::Iter<'a, (String, Value)>, &'a Value, (_, v) => v
);
pairs_iterator!(
    /// The values of a [`SessionData`](super::SessionData), mutable, in their keys' order.
    ValuesMut<'a>, slice::IterMut<'a, (String, Value)>, &'a mut Value, (_, v) => v
);

impl Clone for Iter<'_> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl Clone for Keys<'_> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl Clone for Values<'_> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}
