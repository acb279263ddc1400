//! The tests' backend: users in memory, which counts its calls, can
//! change a password and can be taken down.

use std::{
    collections::{HashMap, HashSet},
    fmt,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use serde::Deserialize;
use sesh_auth::{AuthBackend, AuthUser, AuthzBackend};

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    /// Changes whenever the password does.
    pub fingerprint: Vec<u8>,
}

impl AuthUser for User {
    fn id(&self) -> String {
        self.name.clone()
    }

    fn auth_hash(&self) -> &[u8] {
        &self.fingerprint
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    Admin,
}

/// The app's own error, for a backend that is down.
#[derive(Debug)]
pub struct DbDown;

impl fmt::Display for DbDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("database unreachable")
    }
}

impl std::error::Error for DbDown {}

struct Account {
    password: String,
    /// Bumped on every password change: the fingerprint is derived from it.
    generation: u32,
    admin: bool,
}

/// Users in memory; counts its `user` and `permissions` calls.
#[derive(Default)]
pub struct Backend {
    accounts: Mutex<HashMap<String, Account>>,
    pub user_calls: AtomicUsize,
    pub permission_calls: AtomicUsize,
    pub down: AtomicBool,
}

impl Backend {
    pub fn add(&self, name: &str, password: &str, admin: bool) {
        let account = Account {
            password: password.to_owned(),
            generation: 0,
            admin,
        };
        self.accounts().insert(name.to_owned(), account);
    }

    pub fn remove(&self, name: &str) {
        self.accounts().remove(name);
    }

    /// Changes `name`'s password; the user with the new auth hash.
    pub fn set_password(&self, name: &str, password: &str) -> Option<User> {
        let mut accounts = self.accounts();
        let account = accounts.get_mut(name)?;
        account.password = password.to_owned();
        account.generation += 1;
        Some(user(name, account))
    }

    pub fn user_calls(&self) -> usize {
        self.user_calls.load(Ordering::SeqCst)
    }

    pub fn permission_calls(&self) -> usize {
        self.permission_calls.load(Ordering::SeqCst)
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Account>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check_up(&self) -> Result<(), DbDown> {
        if self.down.load(Ordering::SeqCst) {
            Err(DbDown)
        } else {
            Ok(())
        }
    }
}

fn user(name: &str, account: &Account) -> User {
    User {
        name: name.to_owned(),
        fingerprint: format!("{name}/{}", account.generation).into_bytes(),
    }
}

impl AuthBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = DbDown;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, DbDown> {
        self.check_up()?;
        let accounts = self.accounts();
        Ok(accounts
            .get(&creds.name)
            .filter(|a| a.password == creds.password)
            .map(|a| user(&creds.name, a)))
    }

    async fn user(&self, id: &str) -> Result<Option<User>, DbDown> {
        self.user_calls.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        Ok(self.accounts().get(id).map(|a| user(id, a)))
    }
}

impl AuthzBackend for Backend {
    type Permission = Permission;

    async fn permissions(&self, user: &User) -> Result<HashSet<Permission>, DbDown> {
        self.permission_calls.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        let admin = self.accounts().get(&user.name).is_some_and(|a| a.admin);
        Ok(if admin {
            HashSet::from([Permission::Admin])
        } else {
            HashSet::new()
        })
    }
}

/// A backend with `ada` (password `ada-pw`, admin) and `bob` (`bob-pw`).
pub fn backend() -> Arc<Backend> {
    let backend = Backend::default();
    backend.add("ada", "ada-pw", true);
    backend.add("bob", "bob-pw", false);
    Arc::new(backend)
}
