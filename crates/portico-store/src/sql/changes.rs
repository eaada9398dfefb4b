//! The change log on SQL: write transactions that record what they changed, and the rounds that
//! bring this node's cache up to date with every other node's commits (see [`crate::cache`]).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use portico_core::{AccountId, CustomerId, Timestamp};
use sqlx::{Any, AnyConnection, AnyPool, Transaction};
use tokio::sync::{Notify, watch};

use super::rows::{RowExt, Value, params, query};
use crate::cache::{Cache, Change};
use crate::{StoreError, StoreResult};

/// A write transaction that remembers which scopes it changes. At commit, the changes go to the
/// `changes` table in the same transaction, and out of this node's cache once it has committed.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    changes: Vec<Change>,
    cache: Arc<Cache>,
}

impl Deref for WriteTx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

impl WriteTx {
    pub fn new(tx: Transaction<'static, Any>, cache: Arc<Cache>) -> Self {
        WriteTx {
            tx,
            changes: Vec::new(),
            cache,
        }
    }

    /// Something of the whole account changed (settings, keys, catalogue).
    pub fn account_changed(&mut self, account: &AccountId) {
        self.changed(Change::account(account));
    }

    /// Something of one customer changed: the customer, its contacts, billing records or
    /// sessions.
    pub fn customer_changed(&mut self, account: &AccountId, customer: &CustomerId) {
        self.changed(Change::customer(account, customer));
    }

    fn changed(&mut self, change: Change) {
        if !self.changes.contains(&change) {
            self.changes.push(change);
        }
    }

    pub async fn commit(mut self) -> StoreResult<()> {
        if !self.changes.is_empty() {
            record(&mut self.tx, &self.changes).await?;
        }
        self.tx.commit().await?;
        if !self.changes.is_empty() {
            self.cache.apply(&self.changes);
        }
        Ok(())
    }
}

/// Appends the changes to the log under fresh generations. The counter row stays locked until
/// commit, so generations become visible in order, without gaps.
async fn record(conn: &mut AnyConnection, changes: &[Change]) -> StoreResult<()> {
    let count = i64::try_from(changes.len()).unwrap_or(i64::MAX);
    let row = query(
        "UPDATE change_counter SET generation = generation + $1 WHERE id = 1 \
         RETURNING generation",
        params![count],
    )
    .fetch_one(&mut *conn)
    .await?;
    let last: i64 = row.int("generation")?;
    let now = Timestamp::from_millis(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0),
    );
    for (generation, change) in (last - count + 1..).zip(changes) {
        query(
            "INSERT INTO changes (generation, account_id, customer_id, changed_at) \
             VALUES ($1, $2, $3, $4)",
            vec![
                Value::from(generation),
                Value::from(&change.account),
                Value::from(change.customer.as_ref()),
                Value::from(now),
            ],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// With nobody waiting, a round still runs this often, so that no reader is ever staler.
const IDLE_ROUND_EVERY: Duration = Duration::from_secs(1);
/// More changes than this since the last round: drop the whole cache instead of reading them.
const MAX_CHANGES_PER_ROUND: i64 = 1_000;

/// Brings the cache up to date on demand. A round reads every change committed before it
/// started; a caller of [`Syncer::sync`] waits for a round that started at most `lag` before
/// the call (with no lag, after it), unless the last round to finish already did.
pub(crate) struct Syncer {
    pool: AnyPool,
    cache: Arc<Cache>,
    rounds: Mutex<Rounds>,
    /// The highest round number a caller waits for.
    wanted: AtomicU64,
    wake: Notify,
    done: watch::Sender<u64>,
    running: AtomicBool,
}

/// Round bookkeeping; a round's number is the count of rounds started when it started.
#[derive(Default)]
struct Rounds {
    started: u64,
    /// When the newest round started, and whether it is still in progress.
    latest_start: Option<Instant>,
    in_progress: bool,
    /// When the newest finished round started.
    finished_start: Option<Instant>,
}

impl Syncer {
    pub fn new(pool: AnyPool, cache: Arc<Cache>) -> Arc<Self> {
        Arc::new(Syncer {
            pool,
            cache,
            rounds: Mutex::new(Rounds::default()),
            wanted: AtomicU64::new(0),
            wake: Notify::new(),
            done: watch::channel(0).0,
            running: AtomicBool::new(false),
        })
    }

    pub async fn sync(self: &Arc<Self>, lag: Duration) -> StoreResult<()> {
        self.ensure_running();
        let need = {
            let rounds = self.rounds();
            let recent = |start: Option<Instant>| {
                // A start at exactly the call's instant may be just before it: only later counts.
                start.is_some_and(|s| s.elapsed() < lag)
            };
            if recent(rounds.finished_start) {
                return Ok(());
            }
            if rounds.in_progress && recent(rounds.latest_start) {
                rounds.started
            } else {
                rounds.started + 1
            }
        };
        self.wanted.fetch_max(need, Ordering::SeqCst);
        self.wake.notify_one();
        let mut done = self.done.subscribe();
        done.wait_for(|round| *round >= need)
            .await
            .map_err(|_| StoreError::Corrupt("the cache syncer has stopped".to_owned()))?;
        Ok(())
    }

    fn rounds(&self) -> std::sync::MutexGuard<'_, Rounds> {
        self.rounds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the rounds in the caller's runtime, again if the one they ran in has gone.
    fn ensure_running(self: &Arc<Self>) {
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let _running = RunningFlag(weak.clone());
            rounds(weak).await;
        });
    }
}

/// Clears `running` however the task ends, runtime shutdown included.
struct RunningFlag(Weak<Syncer>);

impl Drop for RunningFlag {
    fn drop(&mut self) {
        if let Some(s) = self.0.upgrade() {
            s.running.store(false, Ordering::SeqCst);
        }
    }
}

async fn rounds(weak: Weak<Syncer>) {
    let mut seen: Option<i64> = None;
    loop {
        let Some(s) = weak.upgrade() else { return };
        if s.wanted.load(Ordering::SeqCst) <= *s.done.borrow() {
            tokio::select! {
                _ = s.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_ROUND_EVERY) => {}
            }
        }
        let (round, start) = {
            let mut rounds = s.rounds();
            rounds.started += 1;
            let start = Instant::now();
            rounds.latest_start = Some(start);
            rounds.in_progress = true;
            (rounds.started, start)
        };
        match catch_up(&s.pool, &s.cache, seen).await {
            Ok(generation) => seen = Some(generation),
            Err(e) => {
                // Changes may have been missed: nothing cached can be trusted any more, and the
                // next round reads the log from where the last good one ended.
                s.cache.clear();
                if seen.is_some() {
                    tracing::warn!(error = %e, "could not read the change log; cache dropped");
                }
            }
        }
        {
            let mut rounds = s.rounds();
            rounds.in_progress = false;
            rounds.finished_start = Some(start);
        }
        s.done.send_replace(round);
    }
}

/// Applies the changes after generation `seen` and returns the newest generation applied.
async fn catch_up(pool: &AnyPool, cache: &Cache, seen: Option<i64>) -> StoreResult<i64> {
    let Some(seen) = seen else {
        return start_over(pool, cache).await;
    };
    let rows = query(
        "SELECT generation, account_id, customer_id FROM changes WHERE generation > $1 \
         ORDER BY generation LIMIT $2",
        params![seen, MAX_CHANGES_PER_ROUND],
    )
    .fetch_all(pool)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(seen);
    };
    // A gap means the log was purged past this node; too many rows are cheaper to forget.
    let first: i64 = first.int("generation")?;
    if first != seen + 1 || rows.len() as i64 >= MAX_CHANGES_PER_ROUND {
        return start_over(pool, cache).await;
    }
    let mut changes = Vec::with_capacity(rows.len());
    let mut newest = seen;
    for row in &rows {
        newest = row.int("generation")?;
        changes.push(Change {
            account: row.parsed("account_id")?,
            customer: row.opt_parsed("customer_id")?,
        });
    }
    cache.apply(&changes);
    Ok(newest)
}

/// Reads the current generation, then drops everything: whatever is read after this reflects
/// every change up to that generation.
async fn start_over(pool: &AnyPool, cache: &Cache) -> StoreResult<i64> {
    let row = query("SELECT generation FROM change_counter WHERE id = 1", vec![])
        .fetch_one(pool)
        .await?;
    let generation = row.int("generation")?;
    cache.clear();
    Ok(generation)
}
