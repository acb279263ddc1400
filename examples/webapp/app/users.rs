//! The app's users: names and argon2 password hashes, in memory.
//!
//! A real app keeps these in its database; what matters here is the shape
//! sesh-auth needs: a user with an auth hash that changes with the
//! password, and a backend that checks credentials and finds users by ID.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, PoisonError, RwLock},
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _, password_hash::generate_salt,
};
use serde::Deserialize;
use sesh_auth::{AuthBackend, AuthUser};

/// The demo accounts, hashed when the app starts.
pub(crate) const DEMO_USERS: [(&str, &str); 2] = [("alice", "wonderland"), ("bob", "builder")];

/// The demo accounts' first stamp. Fixed, so that sessions kept in Redis
/// or PostgreSQL outlive a restart of the app (which hashes the passwords
/// anew); every password change draws a random one.
const FIRST_STAMP: [u8; 16] = *b"demo-first-stamp";

/// A logged-in user, as the session knows it.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub(crate) name: String,
    /// A "security stamp", renewed (at random) with every password change:
    /// the auth hash sesh-auth keeps in the session. Not the password hash,
    /// which has no business in a session store.
    stamp: [u8; 16],
}

impl AuthUser for User {
    fn id(&self) -> String {
        self.name.clone()
    }

    fn auth_hash(&self) -> &[u8] {
        &self.stamp
    }
}

/// What the login form sends.
#[derive(Deserialize)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// Hashing or checking a password failed (not a wrong password: that is
/// `Ok(None)` or `Ok(false)`).
#[derive(Debug)]
pub(crate) struct HashError(String);

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "password hashing failed: {}", self.0)
    }
}

impl std::error::Error for HashError {}

#[derive(Clone)]
struct Account {
    /// The PHC string: `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
    password_hash: String,
    stamp: [u8; 16],
}

/// Every account, by name. Cheap to clone: the accounts are shared.
#[derive(Clone)]
pub(crate) struct Users {
    accounts: Arc<RwLock<HashMap<String, Account>>>,
    /// Checked against when the name is unknown, so an unknown name takes
    /// as long to refuse as a wrong password.
    decoy: String,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users").finish_non_exhaustive()
    }
}

impl Users {
    /// `alice`/`wonderland` and `bob`/`builder`, hashed now with argon2's
    /// default parameters (Argon2id, 19 MiB, 2 passes).
    pub(crate) fn demo() -> Result<Self, HashError> {
        let mut accounts = HashMap::new();
        for (name, password) in DEMO_USERS {
            let account = Account {
                password_hash: hash(password)?,
                stamp: FIRST_STAMP,
            };
            accounts.insert(name.to_owned(), account);
        }
        Ok(Self {
            accounts: Arc::new(RwLock::new(accounts)),
            decoy: hash("no such user")?,
        })
    }

    fn account(&self, name: &str) -> Option<Account> {
        let accounts = self.accounts.read().unwrap_or_else(PoisonError::into_inner);
        accounts.get(name).cloned()
    }

    /// Whether `password` is `name`'s, checked off the async threads
    /// (argon2 is meant to be slow). An unknown name is checked against a
    /// decoy hash, and is `false`.
    pub(crate) async fn check_password(&self, name: &str, password: &str) -> Result<bool, HashError> {
        let account = self.account(name);
        let known = account.is_some();
        let stored = account.map_or_else(|| self.decoy.clone(), |a| a.password_hash);
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || verify(&password, &stored))
            .await
            .map_err(|e| HashError(e.to_string()))??;
        Ok(known && matches)
    }

    /// Gives `name` a new password (and so a new stamp); the user with the
    /// new auth hash, or `None` for an unknown name.
    pub(crate) async fn set_password(&self, name: &str, password: &str) -> Result<Option<User>, HashError> {
        let password = password.to_owned();
        let hashed = tokio::task::spawn_blocking(move || hash(&password))
            .await
            .map_err(|e| HashError(e.to_string()))??;
        let mut accounts = self.accounts.write().unwrap_or_else(PoisonError::into_inner);
        let Some(account) = accounts.get_mut(name) else {
            return Ok(None);
        };
        account.password_hash = hashed;
        account.stamp = generate_salt();
        Ok(Some(user(name, account)))
    }
}

fn user(name: &str, account: &Account) -> User {
    User {
        name: name.to_owned(),
        stamp: account.stamp,
    }
}

fn hash(password: &str) -> Result<String, HashError> {
    let hashed: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hashed.to_string())
}

fn verify(password: &str, stored: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

impl AuthBackend for Users {
    type User = User;
    type Credentials = Credentials;
    type Error = HashError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, HashError> {
        if !self.check_password(&creds.username, &creds.password).await? {
            return Ok(None);
        }
        Ok(self.account(&creds.username).map(|a| user(&creds.username, &a)))
    }

    async fn user(&self, id: &str) -> Result<Option<User>, HashError> {
        Ok(self.account(id).map(|a| user(id, &a)))
    }
}
