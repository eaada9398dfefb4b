//! Group commit for the writes of portal access: new portal sessions, redirect-token exchanges
//! and new browser sessions. One writer task takes every write waiting when it is free, runs them
//! in one transaction and answers each caller after the commit, so a burst of N issuances costs
//! one commit instead of N while each caller still learns of its write only once it is durable.
//!
//! A write that fails (a constraint, a deadlock) would take the batch down with it; the batch is
//! then rolled back and each write runs alone, so every caller gets its own answer.
//!
//! On a SQLite file the writer is a thread of its own with its own connection (see `native`):
//! a group costs one hand-off to it and one answer back, its statements none. On PostgreSQL (and
//! an in-memory SQLite database, which only the pool's connection holds) it is a task of the
//! runtime, on a pooled connection.

use std::sync::{Arc, Mutex};

use portico_core::event::Origin;
use portico_core::model::PortalSession;
use portico_core::{AccountId, PortalSessionId, Timestamp};
use tokio::sync::{mpsc, oneshot};

use super::changes::WriteTx;
use super::db::{Conn, Pool};
use super::native::Home;
use super::{Backend, begin_write};
use crate::cache::Cache;
use crate::{NewBrowserSession, StoreError, StoreResult};

/// One write of the group.
#[derive(Debug, Clone)]
pub(crate) enum WriteOp {
    /// A new portal session whose customer and contact the caller has checked.
    PortalSession {
        account: AccountId,
        session: PortalSession,
        origin: Option<Origin>,
    },
    /// A new portal session that revokes the customer's others.
    ReplacingPortalSession {
        account: AccountId,
        session: PortalSession,
        origin: Option<Origin>,
    },
    ConsumeRedirectToken {
        sha256: [u8; 32],
        now: Timestamp,
    },
    /// A redirect token spent and, if this write spent it, a browser session started for its
    /// portal session in the same transaction.
    ExchangeRedirectToken {
        sha256: [u8; 32],
        now: Timestamp,
        cookie_sha256: [u8; 32],
        csrf_secret: [u8; 32],
        origin: Option<Origin>,
    },
    BrowserSession(NewBrowserSession),
    /// Up to `limit` events of the outbox fanned out to webhook deliveries (on a SQLite file,
    /// where the writer is the one connection that writes under load).
    FanOutWebhookEvents {
        now: Timestamp,
        limit: u32,
    },
}

impl WriteOp {
    /// A write committed in a group of its own: the fan-out, whose failure (an endpoint's row
    /// it cannot read, say) must not take the requests' writes down with it, nor theirs it.
    fn alone(&self) -> bool {
        matches!(self, WriteOp::FanOutWebhookEvents { .. })
    }
}

/// What a write answers.
#[derive(Debug)]
pub(crate) enum Written {
    Done,
    Consumed(Option<(AccountId, PortalSessionId)>),
    FannedOut(usize),
}

struct Job {
    op: WriteOp,
    reply: oneshot::Sender<StoreResult<Written>>,
}

/// The most writes one transaction takes.
const MAX_BATCH: usize = 256;
/// Writes waiting beyond this make callers wait to enqueue (backpressure).
const QUEUE: usize = 4_096;

#[derive(Clone)]
struct Ctx {
    pool: Pool,
    backend: Backend,
    cache: Arc<Cache>,
    /// The writer thread's connection, on a SQLite file.
    native: Option<Arc<Home>>,
}

pub(crate) struct Writer {
    ctx: Ctx,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl Writer {
    pub fn new(pool: Pool, backend: Backend, cache: Arc<Cache>) -> Self {
        Writer {
            ctx: Ctx {
                native: pool.native_writer(),
                pool,
                backend,
                cache,
            },
            queue: Mutex::new(None),
        }
    }

    /// Whether the writer has a SQLite file's connection of its own.
    pub fn is_native(&self) -> bool {
        self.ctx.native.is_some()
    }

    /// Runs `op` in the next group and answers once it has committed.
    pub async fn write(&self, op: WriteOp) -> StoreResult<Written> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { op, reply };
        // The writer task lives in the runtime that first wrote; should that runtime be gone,
        // the queue is closed and a new task starts in the caller's.
        for _ in 0..2 {
            let queue = self.queue();
            match queue.send(job).await {
                Ok(()) => {
                    return answer
                        .await
                        .map_err(|_| StoreError::Corrupt("the writer stopped".to_owned()))?;
                }
                Err(mpsc::error::SendError(j)) => {
                    job = j;
                    self.reset(&queue);
                }
            }
        }
        Err(StoreError::Corrupt("the writer cannot start".to_owned()))
    }

    fn queue(&self) -> mpsc::Sender<Job> {
        let mut slot = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = slot.as_ref().filter(|q| !q.is_closed()) {
            return q.clone();
        }
        let (queue, jobs) = mpsc::channel(QUEUE);
        let ctx = self.ctx.clone();
        if ctx.native.is_some() {
            // The thread ends when the queue closes, with the store.
            let started = std::thread::Builder::new()
                .name("sqlite-writer".to_owned())
                .spawn(move || futures_executor::block_on(run(ctx, jobs)));
            if let Err(e) = started {
                tracing::error!(error = %e, "the SQLite writer thread cannot start");
            }
        } else {
            tokio::spawn(run(ctx, jobs));
        }
        *slot = Some(queue.clone());
        queue
    }

    fn reset(&self, closed: &mpsc::Sender<Job>) {
        let mut slot = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|q| q.same_channel(closed)) {
            *slot = None;
        }
    }
}

async fn run(ctx: Ctx, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (alone, group): (Vec<Job>, Vec<Job>) = std::mem::take(&mut batch)
            .into_iter()
            .partition(|j| j.op.alone());
        if !group.is_empty() {
            run_group(&ctx, group).await;
        }
        for job in alone {
            run_group(&ctx, vec![job]).await;
        }
    }
}

/// Commits `group` and answers each of its callers.
async fn run_group(ctx: &Ctx, group: Vec<Job>) {
    let ops: Vec<&WriteOp> = group.iter().map(|j| &j.op).collect();
    let results = match together(ctx, &ops).await {
        Ok(written) => written.into_iter().map(Ok).collect(),
        Err(e) if ops.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::debug!(error = %e, size = ops.len(), "a write group failed; writing one by one");
            let mut results = Vec::with_capacity(ops.len());
            for op in &ops {
                results.push(together(ctx, &[*op]).await.map(|mut w| w.remove(0)));
            }
            results
        }
    };
    for (job, result) in group.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

/// Runs `ops` in one transaction; any failure rolls them all back. Each group's size and time
/// are recorded, by outcome.
#[tracing::instrument(name = "store.write_group", level = "debug", skip_all, fields(size = ops.len()))]
async fn together(ctx: &Ctx, ops: &[&WriteOp]) -> StoreResult<Vec<Written>> {
    let started = std::time::Instant::now();
    let written = commit_group(ctx, ops).await;
    let outcome = if written.is_ok() {
        "committed"
    } else {
        "failed"
    };
    metrics::histogram!("portico_store_write_group_size", "outcome" => outcome)
        .record(ops.len() as f64);
    metrics::histogram!("portico_store_write_group_duration_seconds", "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
    written
}

async fn commit_group(ctx: &Ctx, ops: &[&WriteOp]) -> StoreResult<Vec<Written>> {
    let mut tx = match &ctx.native {
        Some(home) => WriteTx::new(Conn::Native(home.begin_immediate()?), ctx.cache.clone()),
        // One statement is atomic without a transaction around it: no BEGIN, no COMMIT.
        None if ctx.backend == Backend::Postgres && super::store::postgres::one_statement(ops) => {
            WriteTx::new(ctx.pool.acquire().await?, ctx.cache.clone())
        }
        None => begin_write(&ctx.pool, &ctx.cache).await?,
    };
    let results = super::store::run_group(&mut tx, ctx.backend, ops).await?;
    tx.commit().await?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::Store;
    use crate::sql::SqlStore;
    use portico_testkit::{Backend as TestBackend, TestDatabase};

    /// The names of this process's threads (as the kernel keeps them, at most 15 bytes).
    fn threads() -> Vec<String> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
            .map(|name| name.trim().to_owned())
            .collect()
    }

    /// On a SQLite file the webhook fan-out is a write of the group writer (on its thread),
    /// never a transaction of the pool's that would hold the database lock the writer waits for,
    /// and it takes at most 100 events at a time, however many are asked for.
    #[tokio::test]
    async fn sqlite_fan_out_is_a_write_of_the_group() {
        use crate::WebhookStore;
        use crate::sql::rows::{params, query};
        let db = TestDatabase::create(TestBackend::Sqlite).await;
        let store = SqlStore::connect(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let now = Timestamp::from_millis(1_767_225_600_000);
        let account = AccountId::new(now, [1; 10]);
        let mut tx = store.write_tx().await.unwrap();
        query(
            "INSERT INTO accounts (id, subdomain, name, settings, created_at, updated_at) \
             VALUES ($2, 'one', 'One', '{}', $1, $1)",
            params![now, &account],
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        for n in 0..101 {
            query(
                "INSERT INTO outbox (id, account_id, type, actor, data, created_at) \
                 VALUES ($1, $3, 'customer.created', 'system', '{}', $2)",
                params![format!("evt_{n}"), now, &account],
            )
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        assert!(!threads().iter().any(|n| n == "sqlite-writer"));

        assert_eq!(store.fan_out_webhook_events(now, 1_000).await.unwrap(), 100);
        assert!(
            threads().iter().any(|n| n == "sqlite-writer"),
            "the fan-out did not run on the writer's thread"
        );
        assert_eq!(store.fan_out_webhook_events(now, 1_000).await.unwrap(), 1);
        assert_eq!(store.fan_out_webhook_events(now, 1_000).await.unwrap(), 0);
    }

    /// On a SQLite file the groups run on the writer's own thread, which ends with the store.
    #[tokio::test]
    async fn sqlite_groups_run_on_a_thread_of_their_own_that_ends_with_the_store() {
        let db = TestDatabase::create(TestBackend::Sqlite).await;
        let store = SqlStore::connect(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let writer_thread = |names: Vec<String>| names.iter().any(|n| n == "sqlite-writer");
        let op = WriteOp::ConsumeRedirectToken {
            sha256: [7; 32],
            now: Timestamp::from_millis(1_767_225_600_000),
        };
        let written = store.writer.write(op).await.unwrap();
        assert!(matches!(written, Written::Consumed(None)));
        assert!(writer_thread(threads()));
        drop(store);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while writer_thread(threads()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer thread lives on"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
