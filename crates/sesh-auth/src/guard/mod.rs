//! Route guards: [`RequireLoginLayer`] and [`RequirePermissionLayer`], the
//! services they build, and the [`GuardFuture`] both answer with.
//!
//! A guard loads the current user (once per request, shared with the
//! handler's extractors), lets the request through, or answers itself:
//! 401, or a 303 to the login page, for a visitor; 403 for a user without
//! the permission a route needs.

mod answer;
mod future;
mod login;
mod permission;

pub use future::GuardFuture;
pub use login::{RequireLogin, RequireLoginLayer};
pub use permission::{RequirePermission, RequirePermissionLayer};
