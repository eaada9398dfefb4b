//! The SQL backends. Both speak the same statements (portable SQL with `$n` parameters, times as
//! unix milliseconds, money as BIGINT), each on its own sqlx driver (see `db`); each has its own
//! migrations.

mod changes;
mod checkpoint;
mod db;
mod native;
mod outbox;
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

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::cache::Cache;
use crate::{StoreError, StoreResult};
use changes::{Feed, Syncer, WriteTx};
use db::Pool;
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
                    9,
                    "payments",
                    include_str!("../../migrations/sqlite/0009_payments.sql"),
                ),
                (
                    10,
                    "subscription changes",
                    include_str!("../../migrations/sqlite/0010_subscription_changes.sql"),
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
                (
                    13,
                    "pending changes",
                    include_str!("../../migrations/sqlite/0013_pending_changes.sql"),
                ),
                (
                    14,
                    "billing clock",
                    include_str!("../../migrations/sqlite/0014_billing_clock.sql"),
                ),
                (
                    15,
                    "invoice documents",
                    include_str!("../../migrations/sqlite/0015_invoice_documents.sql"),
                ),
                (
                    16,
                    "stripe",
                    include_str!("../../migrations/sqlite/0016_stripe.sql"),
                ),
                (
                    17,
                    "flows and pause",
                    include_str!("../../migrations/sqlite/0017_flows_and_pause.sql"),
                ),
                (
                    18,
                    "payment method events",
                    include_str!("../../migrations/sqlite/0018_payment_method_events.sql"),
                ),
                (
                    20,
                    "invoice recipients",
                    include_str!("../../migrations/sqlite/0020_invoice_recipients.sql"),
                ),
                (
                    21,
                    "event origin",
                    include_str!("../../migrations/sqlite/0021_event_origin.sql"),
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
                    9,
                    "payments",
                    include_str!("../../migrations/postgres/0009_payments.sql"),
                ),
                (
                    10,
                    "subscription changes",
                    include_str!("../../migrations/postgres/0010_subscription_changes.sql"),
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
                (
                    13,
                    "pending changes",
                    include_str!("../../migrations/postgres/0013_pending_changes.sql"),
                ),
                (
                    14,
                    "billing clock",
                    include_str!("../../migrations/postgres/0014_billing_clock.sql"),
                ),
                (
                    15,
                    "invoice documents",
                    include_str!("../../migrations/postgres/0015_invoice_documents.sql"),
                ),
                (
                    16,
                    "stripe",
                    include_str!("../../migrations/postgres/0016_stripe.sql"),
                ),
                (
                    17,
                    "flows and pause",
                    include_str!("../../migrations/postgres/0017_flows_and_pause.sql"),
                ),
                (
                    18,
                    "payment method events",
                    include_str!("../../migrations/postgres/0018_payment_method_events.sql"),
                ),
                (
                    20,
                    "invoice recipients",
                    include_str!("../../migrations/postgres/0020_invoice_recipients.sql"),
                ),
                (
                    21,
                    "event origin",
                    include_str!("../../migrations/postgres/0021_event_origin.sql"),
                ),
            ],
        }
    }
}

/// A store on SQLite or PostgreSQL, with its read cache and its group-commit writer.
#[derive(Clone)]
pub struct SqlStore {
    pool: Pool,
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

impl SqlStore {
    /// Opens a pool on `url` (`sqlite://path` or `postgres://…`). A missing SQLite file is
    /// created. Call [`crate::Store::migrate`] before use.
    pub async fn connect(url: &str) -> StoreResult<SqlStore> {
        let backend = Backend::from_url(url)?;
        let feed = match backend {
            Backend::Sqlite => Feed::Log,
            Backend::Postgres => Feed::Notifications(Box::new(url.parse()?)),
        };
        let pool = Pool::connect(url).await?;
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
        self.pool.migrate(&migrator).await.map_err(migrate_error)
    }

    /// Begins a transaction that will write (see [`db::Pool::begin_write`]).
    async fn write_tx(&self) -> StoreResult<WriteTx> {
        begin_write(&self.pool, &self.cache).await
    }
}

/// See [`SqlStore::write_tx`].
async fn begin_write(pool: &Pool, cache: &Arc<Cache>) -> StoreResult<WriteTx> {
    Ok(WriteTx::new(pool.begin_write().await?, cache.clone()).on_pool(pool))
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
