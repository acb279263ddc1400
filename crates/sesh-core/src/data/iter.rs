//! The iterators of a [`SessionData`](super::SessionData). Like the data's
//! own `Debug`, theirs never shows a value: values may be secrets.

use std::{collections::btree_map, fmt, iter::FusedIterator};

use serde_json::Value;

/// One iterator over the map: the item each entry maps to, with the
/// traits std's iterators have.
macro_rules! map_iterator {
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
    };
}

map_iterator!(
    /// The pairs of a [`SessionData`](super::SessionData), in key order.
    Iter<'a>, btree_map::Iter<'a, String, Value>, (&'a str, &'a Value), (k, v) => (k.as_str(), v)
);
map_iterator!(
    /// The pairs of a [`SessionData`](super::SessionData), in key order, values mutable.
    IterMut<'a>, btree_map::IterMut<'a, String, Value>, (&'a str, &'a mut Value), (k, v) => (k.as_str(), v)
);
map_iterator!(
    /// The owned pairs of a [`SessionData`](super::SessionData), in key order.
    IntoIter, btree_map::IntoIter<String, Value>, (String, Value), pair => pair
);
map_iterator!(
    /// The keys of a [`SessionData`](super::SessionData), in order.
    Keys<'a>, btree_map::Keys<'a, String, Value>, &'a str, k => k.as_str()
);
map_iterator!(
    /// The values of a [`SessionData`](super::SessionData), in their keys' order.
    Values<'a>, btree_map::Values<'a, String, Value>, &'a Value, v => v
);
map_iterator!(
    /// The values of a [`SessionData`](super::SessionData), mutable, in their keys' order.
    ValuesMut<'a>, btree_map::ValuesMut<'a, String, Value>, &'a mut Value, v => v
);

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Iter")
            .field(&KeysOf(self.0.clone().map(|(k, _)| k)))
            .finish()
    }
}

impl fmt::Debug for Keys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Keys").field(&KeysOf(self.0.clone())).finish()
    }
}

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

/// Shows the keys of some entries, not their values.
struct KeysOf<I>(I);

impl<'a, I: Iterator<Item = &'a String> + Clone> fmt::Debug for KeysOf<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.clone()).finish()
    }
}

/// Iterators that cannot be walked without being used up show no entry.
macro_rules! debug_opaque {
    ($($name:ident $(<$lt:lifetime>)?),*) => {$(
        impl fmt::Debug for $name$(<$lt>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    )*};
}

debug_opaque!(IterMut<'_>, IntoIter, ValuesMut<'_>, Values<'_>);
