//! Test support: a fresh database per test on SQLite or PostgreSQL, and a macro that runs one
//! test body against both backends.
//!
//! PostgreSQL comes from `PORTICO_TEST_POSTGRES_URL` when set (scripts/test sets it), else from
//! a throw-away cluster that `scripts/pg-cluster` starts on a free port. A missing PostgreSQL is
//! a test failure that says how to install it, never a skip.

pub mod browser;
pub mod localstripe;

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

    /// Opens a plain connection beside the store, for what only raw SQL can check.
    pub async fn raw(&self) -> RawConnection {
        RawConnection::connect(&self.url).await
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

/// A plain connection on either backend's own driver, beside the store, for what only raw SQL
/// can set up or check. Every failure panics, as in a test.
pub enum RawConnection {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// Runs `$body` with `$c` bound to the connection, whichever backend it is on.
macro_rules! on_either {
    ($raw:expr, $c:ident => $body:expr) => {
        match $raw {
            RawConnection::Sqlite($c) => $body,
            RawConnection::Postgres($c) => $body,
        }
    };
}

impl RawConnection {
    pub async fn connect(url: &str) -> RawConnection {
        let connected = if url.starts_with("sqlite:") {
            sqlx::SqliteConnection::connect(url)
                .await
                .map(RawConnection::Sqlite)
        } else {
            sqlx::PgConnection::connect(url)
                .await
                .map(RawConnection::Postgres)
        };
        connected.unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"))
    }

    /// Runs `sql` (one or more statements, without parameters).
    pub async fn execute(&mut self, sql: &str) {
        on_either!(self, c => {
            sqlx::raw_sql(sql).execute(c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
    }

    /// Runs one statement with `params` as `$1`, `$2`, …; returns how many rows it changed.
    pub async fn execute_with<T>(&mut self, sql: &str, params: &[T]) -> u64
    where
        T: Both + Clone,
    {
        on_either!(self, c => {
            let mut q = sqlx::query(sql);
            for p in params {
                q = q.bind(p.clone());
            }
            q.execute(c).await.unwrap_or_else(|e| panic!("{sql}: {e}")).rows_affected()
        })
    }

    /// The first column of every row `sql` answers.
    pub async fn scalars<T>(&mut self, sql: &str) -> Vec<T>
    where
        T: Both,
    {
        on_either!(self, c => {
            sqlx::query_scalar(sql).fetch_all(c).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
    }

    /// The first column of the one row `sql` answers.
    pub async fn scalar<T>(&mut self, sql: &str) -> T
    where
        T: Both,
    {
        let mut all = self.scalars(sql).await;
        assert_eq!(all.len(), 1, "{sql}: not one row");
        all.remove(0)
    }
}

/// A value one driver binds and decodes natively.
pub trait Native<DB: sqlx::Database>:
    for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{
}
impl<DB: sqlx::Database, T> Native<DB> for T where
    T: for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{
}

/// A value both drivers bind and decode natively.
pub trait Both: Native<sqlx::Sqlite> + Native<sqlx::Postgres> + Send + Unpin + 'static {}
impl<T: Native<sqlx::Sqlite> + Native<sqlx::Postgres> + Send + Unpin + 'static> Both for T {}

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
