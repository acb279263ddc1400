//! Typed session data: a struct kept whole under one data key, so the
//! other keys still merge one by one with concurrent requests.

use serde::{Serialize, de::DeserializeOwned};
use sesh_core::Error;

use super::Session;

/// A type kept whole under one data key of the session: a cart, a wizard's
/// progress, a user's preferences.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sesh::{Session, SessionValue};
///
/// #[derive(Default, Serialize, Deserialize)]
/// struct Cart {
///     items: Vec<String>,
/// }
///
/// impl SessionValue for Cart {
///     const KEY: &'static str = "cart";
/// }
///
/// async fn add(session: Session) -> Result<String, sesh::Error> {
///     // Read, change and write back: no add of a parallel request is lost.
///     let cart = session.update_value(|cart: &mut Cart| cart.items.push("book".into()))?;
///     Ok(format!("{} items", cart.items.len()))
/// }
///
/// async fn show(session: Session) -> Result<String, sesh::Error> {
///     let cart: Cart = session.value()?; // the default when absent
///     Ok(cart.items.join(", "))
/// }
/// ```
///
/// One key holds the whole value, so two requests that change the same
/// value race as two writes of one key do: prefer
/// [`update_value`](Session::update_value), which runs the change again
/// on what the store holds, to [`set_value`](Session::set_value). Other
/// keys of the session are untouched.
pub trait SessionValue: Serialize + DeserializeOwned + Default {
    /// The data key the value lives under.
    const KEY: &'static str;
}

impl Session {
    /// The `T` stored under [`T::KEY`](SessionValue::KEY), or `T`'s default.
    ///
    /// # Errors
    /// As [`get`](Self::get): what is stored there is not a `T`.
    pub fn value<T: SessionValue>(&self) -> Result<T, Error> {
        Ok(self.get(T::KEY)?.unwrap_or_default())
    }

    /// Stores `value` under [`T::KEY`](SessionValue::KEY), over whatever a
    /// concurrent request stored there.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn set_value<T: SessionValue>(&self, value: &T) -> Result<(), Error> {
        self.insert(T::KEY, value)
    }

    /// Changes the `T` under [`T::KEY`](SessionValue::KEY) with `change`
    /// (starting from the default when absent) and returns it; `change`
    /// runs again on the stored value when the session is stored, as with
    /// [`update`](Self::update), so concurrent changes all count.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn update_value<T, F>(&self, change: F) -> Result<T, Error>
    where
        T: SessionValue + 'static,
        F: Fn(&mut T) + Send + Sync + 'static,
    {
        self.update(T::KEY, move |old: Option<T>| {
            let mut value = old.unwrap_or_default();
            change(&mut value);
            value
        })
    }
}
