//! The SQL backends. Both speak the same statements (portable SQL with `$n` parameters, times as
//! unix milliseconds, money as BIGINT); each has its own migrations.

mod changes;
mod rows;
mod statements;
mod store;
pub mod uow;
mod vendor_ids;
mod writer;

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Transaction};

use crate::cache::Cache;
use crate::{StoreError, StoreResult};
use changes::{Feed, Syncer, WriteTx};
use writer::Writer;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Corrupt(
                "database URL must start with sqlite:// or postgres://".to_owned(),
            ))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The versions of this backend's migrations this build knows, in order.
    pub fn migration_versions(self) -> Vec<i64> {
        self.migrations().iter().map(|(v, _, _)| *v).collect()
    }

    /// Each backend's migrations, in order. Append new ones; never edit one that has shipped.
    fn migrations(self) -> &'static [(i64, &'static str, &'static str)] {
        match self {
            Backend::Sqlite => &[
                (
                    1,
                    "init",
                    include_str!("../../migrations/sqlite/0001_init.sql"),
                ),
                (
                    2,
                    "portal access",
                    include_str!("../../migrations/sqlite/0002_portal_access.sql"),
                ),
                (
                    3,
                    "purge indexes",
                    include_str!("../../migrations/sqlite/0003_purge_indexes.sql"),
                ),
                (
                    4,
                    "changes",
                    include_str!("../../migrations/sqlite/0004_changes.sql"),
                ),
                (
                    5,
                    "portal entry",
                    include_str!("../../migrations/sqlite/0005_portal_entry.sql"),
                ),
                (
                    6,
                    "outbox",
                    include_str!("../../migrations/sqlite/0006_outbox.sql"),
                ),
                (
                    7,
                    "billing cycle anchor",
                    include_str!("../../migrations/sqlite/0007_billing_cycle_anchor.sql"),
                ),
                (
                    11,
                    "idempotency commit",
                    include_str!("../../migrations/sqlite/0011_idempotency_commit.sql"),
                ),
                (
                    12,
                    "webhooks",
                    include_str!("../../migrations/sqlite/0012_webhooks.sql"),
                ),
            ],
            Backend::Postgres => &[
                (
                    1,
                    "init",
                    include_str!("../../migrations/postgres/0001_init.sql"),
                ),
                (
                    2,
                    "portal access",
                    include_str!("../../migrations/postgres/0002_portal_access.sql"),
                ),
                (
                    3,
                    "purge indexes",
                    include_str!("../../migrations/postgres/0003_purge_indexes.sql"),
                ),
                (
                    4,
                    "changes",
                    include_str!("../../migrations/postgres/0004_changes.sql"),
                ),
                (
                    5,
                    "portal entry",
                    include_str!("../../migrations/postgres/0005_portal_entry.sql"),
                ),
                (
                    6,
                    "outbox",
                    include_str!("../../migrations/postgres/0006_outbox.sql"),
                ),
                (
                    7,
                    "billing cycle anchor",
                    include_str!("../../migrations/postgres/0007_billing_cycle_anchor.sql"),
                ),
                // PostgreSQL only: SQLite keeps its change log.
                (
                    8,
                    "change notifications",
                    include_str!("../../migrations/postgres/0008_change_notifications.sql"),
                ),
                (
                    11,
                    "idempotency commit",
                    include_str!("../../migrations/postgres/0011_idempotency_commit.sql"),
                ),
                (
                    12,
                    "webhooks",
                    include_str!("../../migrations/postgres/0012_webhooks.sql"),
                ),
            ],
        }
    }
}

/// A store on SQLite or PostgreSQL, with its read cache and its group-commit writer.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    cache: Arc<Cache>,
    syncer: Arc<Syncer>,
    writer: Arc<Writer>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password; it is never kept or printed.
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// How long a SQLite writer waits for another to finish before giving up with "database is
/// locked". Writers queue on one lock, so this bounds the wait behind a burst of writes.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

impl SqlStore {
    /// Opens a pool on `url` (`sqlite://path` or `postgres://…`). A missing SQLite file is
    /// created. Call [`crate::Store::migrate`] before use.
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options = match backend {
            Backend::Sqlite => {
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                // SQLite runs in this process: a few connections let readers proceed in
                // parallel under WAL while writers take turns on the one write lock. An
                // in-memory database exists once per connection, so it gets exactly one.
                let options = AnyPoolOptions::new()
                    .max_connections(if memory { 1 } else { 4 })
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false);
                let options = if memory {
                    options.idle_timeout(None).max_lifetime(None)
                } else {
                    options
                };
                options.after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)))
            }
            // Two cores serve the requests; more connections than a small multiple of that
            // only queue inside PostgreSQL instead of in the pool.
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(false),
        };
        // No ping before each checkout: it is a round trip on every query, and a connection that
        // broke fails its next query, which the caller sees as an error like any other.
        let url = match backend {
            Backend::Sqlite => sqlite_url_creating_file(url),
            Backend::Postgres => Cow::Borrowed(url),
        };
        let feed = match backend {
            Backend::Sqlite => Feed::Log,
            Backend::Postgres => Feed::Notifications(Box::new(url.parse()?)),
        };
        let pool = options.connect(&url).await?;
        let cache = Arc::new(Cache::default());
        Ok(SqlStore {
            syncer: Syncer::new(pool.clone(), feed, cache.clone()),
            writer: Arc::new(Writer::new(pool.clone(), backend, cache.clone())),
            pool,
            backend,
            cache,
        })
    }

    /// Which database this store runs on.
    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    pub(crate) async fn run_migrations(&self) -> StoreResult<()> {
        let migrator = Migrator::new(Embedded(self.backend.migrations()))
            .await
            .map_err(migrate_error)?;
        let mut conn = self.pool.acquire().await?;
        // `run_direct` is `run` on one connection; `run` itself does not compile inside
        // `async_trait` (its `Acquire` bound is not general enough over lifetimes).
        let result = migrator.run_direct(&mut *conn).await;
        if result.is_err() {
            // On PostgreSQL the migrator holds a session-level advisory lock and returns on an
            // error without releasing it; back in the pool, this connection would keep the lock
            // and the next migration would wait for it forever. Closing the connection ends the
            // session, and the lock with it.
            conn.close_on_drop();
        }
        result.map_err(migrate_error)
    }

    /// Begins a transaction that will write.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front. A plain (deferred)
    /// transaction that reads and then writes fails with SQLITE_BUSY when another writer got in
    /// between, without waiting; the immediate one waits (busy timeout) and then sees the
    /// latest data, which makes every read-modify-write safe from lost updates.
    /// PostgreSQL: a plain READ COMMITTED transaction; the rows it will change are locked with
    /// `SELECT … FOR UPDATE` (see `statements::for_update`).
    async fn write_tx(&self) -> StoreResult<WriteTx> {
        begin_write(&self.pool, self.backend, &self.cache).await
    }
}

/// See [`SqlStore::write_tx`].
async fn begin_write(pool: &AnyPool, backend: Backend, cache: &Arc<Cache>) -> StoreResult<WriteTx> {
    let tx: Transaction<'static, Any> = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    Ok(WriteTx::new(tx, cache.clone()))
}

/// Per-connection settings that SQLite does not keep in the file.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    // Busy timeout first, so that switching to WAL waits for a concurrent first connection.
    conn.execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}").as_str())
        .await?;
    // WAL lets readers run while one writer writes; NORMAL sync is durable across application
    // crashes and loses at most the last commits on power loss, the usual WAL trade-off.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    // Off by default in SQLite; the schema relies on foreign keys for tenancy and references.
    conn.execute("PRAGMA foreign_keys = ON").await?;
    Ok(())
}

/// Adds `mode=rwc` so that opening a new database creates its file.
fn sqlite_url_creating_file(url: &str) -> Cow<'_, str> {
    if url.contains("mode=") || url.contains(":memory:") {
        Cow::Borrowed(url)
    } else if url.contains('?') {
        Cow::Owned(format!("{url}&mode=rwc"))
    } else {
        Cow::Owned(format!("{url}?mode=rwc"))
    }
}

fn migrate_error(e: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Database(sqlx::Error::Migrate(Box::new(e)))
}

/// Migrations compiled into the binary, so that a deployment needs no files beside it.
#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    #[allow(clippy::type_complexity)] // the trait's own signature, spelled out
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send>>
    {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// The one mapping of a failed write to the API's terms: a unique-constraint violation becomes
/// `Conflict("{exists} already exists")`; a foreign-key violation goes to `missing` (which names
/// the input that referred to a row that is gone, or keeps it a database error where no
/// reference can miss); anything else stays a database error, never a "not found".
fn write_error(
    e: sqlx::Error,
    exists: impl FnOnce() -> String,
    missing: impl FnOnce(sqlx::Error) -> StoreError,
) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(format!("{} already exists", exists()))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => missing(e),
        _ => StoreError::Database(e),
    }
}

/// The random part of a new id.
fn entropy() -> portico_core::id::Entropy {
    rand::random()
}
