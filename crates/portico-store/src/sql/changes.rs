//! The change log on SQL: write transactions that announce what they changed, and the rounds
//! that bring this node's cache up to date with every other node's commits (see [`crate::cache`]).
//!
//! PostgreSQL carries the changes as notifications (`NOTIFY` in the writing transaction, so they
//! are delivered once it commits, in commit order); each node listens on a connection of its own.
//! SQLite keeps them in the `changes` table, for other processes on the same file.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use portico_core::{AccountId, CustomerId, Timestamp};
use sqlx::Executor;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::{Notify, watch};

use super::Backend;
use super::db::{Conn, Pool};
use super::rows::{RowExt, Value, params, query};
use crate::cache::{Cache, Change};
use crate::{StoreError, StoreResult};

/// A write transaction that remembers which scopes it changes. At commit, the changes are
/// announced in the same transaction, and leave this node's cache once it has committed.
pub(crate) struct WriteTx {
    tx: Conn,
    changes: Vec<Change>,
    cache: Arc<Cache>,
    /// The pool the transaction began on, told of the commit (see [`Pool::wrote`]).
    pool: Option<Pool>,
}

impl Deref for WriteTx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

impl WriteTx {
    pub fn new(tx: Conn, cache: Arc<Cache>) -> Self {
        WriteTx {
            tx,
            changes: Vec::new(),
            cache,
            pool: None,
        }
    }

    /// A transaction of `pool`'s, which [`Pool::wrote`] hears of when it commits.
    pub fn on_pool(mut self, pool: &Pool) -> Self {
        self.pool = Some(pool.clone());
        self
    }

    /// This node's cache, for a read of the transaction to fill (it is read the way any cached
    /// read is: what the database held, kept unless a change was applied meanwhile).
    pub fn cache(&self) -> &Cache {
        &self.cache
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
            match self.tx.backend() {
                Backend::Postgres => notify(&mut self.tx, &self.changes).await?,
                Backend::Sqlite => record(&mut self.tx, &self.changes).await?,
            }
        }
        self.tx.commit().await?;
        if let Some(pool) = &self.pool {
            pool.wrote();
        }
        if !self.changes.is_empty() {
            self.cache.apply(&self.changes);
        }
        Ok(())
    }
}

/// The PostgreSQL channel that carries the changes.
const CHANNEL: &str = "portico_changes";
/// PostgreSQL refuses a payload of 8000 bytes or more; a transaction sends as many as it needs.
const MAX_PAYLOAD: usize = 7_000;

/// Announces the changes to every listening node. No row is written and no lock taken before
/// commit; at commit PostgreSQL appends the notifications to its queue (briefly serialising
/// notifying commits, which is what keeps them in commit order).
async fn notify(conn: &mut Conn, changes: &[Change]) -> StoreResult<()> {
    for payload in payloads(changes) {
        query("SELECT pg_notify($1, $2)", params![CHANNEL, payload])
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The changes as notification payloads: one line per change, the account's id and, for a
/// customer's change, the customer's id after a space; each payload at most [`MAX_PAYLOAD`].
fn payloads(changes: &[Change]) -> Vec<String> {
    let mut payloads = vec![String::new()];
    for change in changes {
        let line = match &change.customer {
            None => change.account.to_string(),
            Some(customer) => format!("{} {customer}", change.account),
        };
        let current = payloads
            .last_mut()
            .filter(|p| p.len() + 1 + line.len() <= MAX_PAYLOAD);
        match current {
            Some(payload) if payload.is_empty() => payload.push_str(&line),
            Some(payload) => {
                payload.push('\n');
                payload.push_str(&line);
            }
            None => payloads.push(line),
        }
    }
    payloads
}

/// The changes a payload names; `None` if it is not one of [`payloads`].
fn parse_payload(payload: &str) -> Option<Vec<Change>> {
    payload
        .lines()
        .map(|line| {
            let mut parts = line.split(' ');
            let account = parts.next()?.parse().ok()?;
            let customer = match parts.next() {
                None => None,
                Some(c) => Some(c.parse().ok()?),
            };
            parts
                .next()
                .is_none()
                .then_some(Change { account, customer })
        })
        .collect()
}

/// SQLite: appends the changes to the log under fresh generations. Writers already hold the
/// database's one write lock (`BEGIN IMMEDIATE`), so the counter row adds no waiting of its own;
/// it orders the generations, which become visible in order, without gaps.
async fn record(conn: &mut Conn, changes: &[Change]) -> StoreResult<()> {
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

/// With nobody waiting, a round still runs this often, so that no reader is ever staler (and
/// so that PostgreSQL never holds many notifications for this node).
const IDLE_ROUND_EVERY: Duration = Duration::from_secs(1);
/// SQLite: the log is read in pages of this many changes.
const LOG_PAGE: i64 = 1_000;
/// PostgreSQL: opening the listening connection, or a round trip on it, that takes longer than
/// this counts as lost; the cache is dropped and the connection opened afresh.
const LISTENER_TIMEOUT: Duration = Duration::from_secs(5);
/// The round trip on the listening connection; the comment names it in `pg_stat_activity`.
const LISTENER_ROUND_TRIP: &str = "SELECT 1 /* portico change listener */";

/// Where a node learns of the changes other nodes (and other processes) commit.
pub(crate) enum Feed {
    /// SQLite: the `changes` table, read past the newest generation this node has applied.
    Log,
    /// PostgreSQL: notifications, on a connection of their own made with these options.
    Notifications(Box<PgConnectOptions>),
}

/// How far this node has followed the feed; kept by the task that runs the rounds.
enum Position {
    /// The newest generation applied, once a round has started over.
    Log(Option<i64>),
    /// The listening connection, once a round has opened it.
    Listening(Option<PgListener>),
}

/// Brings the cache up to date on demand. A round reads every change committed before it
/// started; a caller of [`Syncer::sync`] waits for a round that started at most `lag` before
/// the call (with no lag, after it), unless the last round to finish already did.
pub(crate) struct Syncer {
    pool: Pool,
    feed: Feed,
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
    pub fn new(pool: Pool, feed: Feed, cache: Arc<Cache>) -> Arc<Self> {
        Arc::new(Syncer {
            pool,
            feed,
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
    let mut position = None;
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
        let position = position.get_or_insert_with(|| match s.feed {
            Feed::Log => Position::Log(None),
            Feed::Notifications(_) => Position::Listening(None),
        });
        if let Err(e) = catch_up(&s, position).await {
            // Changes may have been missed: nothing cached can be trusted any more. The next
            // round reads the log from where the last good one ended, or listens afresh.
            s.cache.clear();
            tracing::warn!(error = %e, "could not follow other nodes' changes; cache dropped");
        }
        {
            let mut rounds = s.rounds();
            rounds.in_progress = false;
            rounds.finished_start = Some(start);
        }
        s.done.send_replace(round);
    }
}

/// Applies every change committed before this call that this node has not applied yet.
async fn catch_up(s: &Syncer, position: &mut Position) -> StoreResult<()> {
    match (position, &s.feed) {
        (Position::Log(seen), _) => {
            // A failed round leaves `seen` where the last good one ended.
            *seen = Some(read_log(&s.pool, &s.cache, *seen).await?);
            Ok(())
        }
        (Position::Listening(listener), Feed::Notifications(options)) => {
            let Some(open) = listener else {
                *listener = Some(listen(options, &s.cache).await?);
                return Ok(());
            };
            let result = receive(open, &s.cache).await;
            if result.is_err() {
                *listener = None;
            }
            result
        }
        (Position::Listening(_), Feed::Log) => Err(StoreError::Corrupt(
            "a change listener without notifications".to_owned(),
        )),
    }
}

/// SQLite: applies the changes after generation `seen` and returns the newest generation applied.
async fn read_log(pool: &Pool, cache: &Cache, seen: Option<i64>) -> StoreResult<i64> {
    let Some(mut seen) = seen else {
        return start_over(pool, cache).await;
    };
    loop {
        let rows = query(
            "SELECT generation, account_id, customer_id FROM changes WHERE generation > $1 \
             ORDER BY generation LIMIT $2",
            params![seen, LOG_PAGE],
        )
        .fetch_all(pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(seen);
        };
        // A gap means the log was purged past this node.
        if first.int("generation")? != seen + 1 {
            return start_over(pool, cache).await;
        }
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            seen = row.int("generation")?;
            changes.push(Change {
                account: row.parsed("account_id")?,
                customer: row.opt_parsed("customer_id")?,
            });
        }
        cache.apply(&changes);
        if (rows.len() as i64) < LOG_PAGE {
            return Ok(seen);
        }
    }
}

/// SQLite: reads the current generation, then drops everything: whatever is read after this
/// reflects every change up to that generation.
async fn start_over(pool: &Pool, cache: &Cache) -> StoreResult<i64> {
    let row = query("SELECT generation FROM change_counter WHERE id = 1", vec![])
        .fetch_one(pool)
        .await?;
    let generation = row.int("generation")?;
    cache.clear();
    Ok(generation)
}

/// PostgreSQL: opens the listening connection, then drops everything: no notification sent
/// before it listened will arrive, and whatever is read after this reflects those changes.
async fn listen(options: &PgConnectOptions, cache: &Cache) -> StoreResult<PgListener> {
    let open = async {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    let listener = tokio::time::timeout(LISTENER_TIMEOUT, open)
        .await
        .map_err(|_| listener_timeout())??;
    cache.clear();
    Ok(listener)
}

/// PostgreSQL: applies every notification of a commit that ended before this call.
///
/// A committing transaction signals every listening backend before its client learns that it
/// committed, and a signalled backend sends the notifications before it answers its next
/// statement (or at once, when idle). So after one round trip on the listening connection, the
/// notifications of every commit that ended before the round trip began are in its buffer.
async fn receive(listener: &mut PgListener, cache: &Cache) -> StoreResult<()> {
    tokio::time::timeout(LISTENER_TIMEOUT, listener.execute(LISTENER_ROUND_TRIP))
        .await
        .map_err(|_| listener_timeout())??;
    let mut changes = Vec::new();
    while let Some(notification) = listener.next_buffered() {
        let parsed = parse_payload(notification.payload()).ok_or_else(|| {
            StoreError::Corrupt(format!("a notification on {CHANNEL} that names no change"))
        })?;
        changes.extend(parsed);
    }
    if !changes.is_empty() {
        cache.apply(&changes);
    }
    Ok(())
}

fn listener_timeout() -> StoreError {
    StoreError::Database(sqlx::Error::PoolTimedOut)
}

#[cfg(test)]
mod tests;
