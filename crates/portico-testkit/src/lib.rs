//! Test support: a fresh database per test on SQLite or PostgreSQL, and a macro that runs one
//! test body against both backends.
//!
//! PostgreSQL comes from `PORTICO_TEST_POSTGRES_URL` when set (scripts/test sets it), else from
//! a throw-away cluster that `scripts/pg-cluster` starts on a free port. A missing PostgreSQL is
//! a test failure that says how to install it, never a skip.

pub mod browser;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use portico_store::{SqlStore, Store};
use sqlx::Connection;

/// The backends every storage-touching test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test; the SQLite file lives as long as this value.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("portico.db").display());
                TestDatabase {
                    url,
                    backend,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let base = postgres_base_url();
                let name = format!("portico_test_{:016x}", rand::random::<u64>());
                let mut admin = sqlx::PgConnection::connect(&base)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {base}: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let url = match base.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("bad PostgreSQL URL {base}"),
                };
                TestDatabase {
                    url,
                    backend,
                    _dir: None,
                }
            }
        }
    }

    /// Opens a migrated store on this database.
    pub async fn store(&self) -> SqlStore {
        let store = SqlStore::connect(&self.url)
            .await
            .expect("connect to test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// The URL of a PostgreSQL server's `postgres` database that tests may create databases on.
pub fn postgres_base_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("PORTICO_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            return url;
        }
        let script = workspace_root().join("scripts/pg-cluster");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        if !out.status.success() {
            panic!(
                "PostgreSQL is needed for this test and could not be started: {}\n\
                 Install the server binaries (apt-get install postgresql), or run scripts/test, \
                 or set PORTICO_TEST_POSTGRES_URL.",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    })
    .clone()
}

/// Something a test starts fresh on one backend: a store, a running server, ...
pub trait Fixture: Sized {
    fn start(backend: Backend) -> impl std::future::Future<Output = Self>;
}

/// Runs each test body once on SQLite and once on PostgreSQL, as `sqlite::name` and
/// `postgres::name`; the argument is a fixture started fresh on that backend.
#[macro_export]
macro_rules! backend_tests {
    ($( $(#[$meta:meta])* async fn $name:ident($arg:ident : $ty:ty) $body:block )*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $arg = <$ty as $crate::Fixture>::start($crate::Backend::Sqlite).await;
                    $body
                }
            )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let $arg = <$ty as $crate::Fixture>::start($crate::Backend::Postgres).await;
                    $body
                }
            )*
        }
    };
}
