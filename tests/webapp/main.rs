//! The web app example (`examples/webapp`) over real TCP: its router,
//! served on a port of its own with a memory store, driven by reqwest
//! clients that keep their cookies, one per device.
//!
//! - `guards.rs`: the signed-in users' routes send visitors to the login
//!   page; every unsafe request needs its session's CSRF token.
//! - `login.rs`: wrong and right passwords, `next` that cannot leave the
//!   site, the flash shown once, remember-me.
//! - `account.rs`: the cart under parallel adds, the devices list and
//!   revoke, the password change, escaping of the users' text.

#[path = "../../examples/webapp/app/mod.rs"]
mod app;

mod account;
mod browser;
mod guards;
mod login;
