//! WAL checkpoints of a SQLite file, away from the group-commit writer. SQLite's own automatic
//! checkpoint runs inside the commit that crosses its threshold, so one group in a few dozen
//! waited for a few megabytes to be copied into the database file and for two `fsync`s: the
//! tail of every write's latency.
//!
//! Here no connection checkpoints on its own (the writer's and the pool's have the automatic
//! checkpoint off). A thread of its own, with its own connection, copies the log into the
//! database file after commits (the writer's, and the pool's, which wake it too), at most every
//! [`EVERY`], while the writer goes on (a passive checkpoint takes no lock a writer needs), and
//! syncs the file after each pass. A log can only start over from its beginning when it was
//! copied to its end with no write in between, which a busy writer never leaves time for; so
//! when the log has grown past [`CATCH_UP_FRAMES`] the thread makes a few more passes, each
//! shorter than the one before, and then the writer, before its next group, copies the few
//! frames written since, and that group's transaction starts the log over. The writer's pause
//! is then two small `fsync`s, not the copy of a whole pass.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use rusqlite::Connection;

/// The least time between two passes of the checkpoint thread.
const EVERY: Duration = Duration::from_millis(100);
/// Passes at most before the writer is asked to catch up, and the frames appended during a
/// pass that are few enough to end them sooner.
const CLOSING_PASSES: usize = 4;
const CLOSE_ENOUGH: i64 = 64;
/// How long the thread waits for the writer to catch up before it makes passes again: the
/// commits that woke it may have been the pool's, with the writer idle.
const CATCH_UP_WAIT: Duration = Duration::from_secs(1);
/// Frames (pages, 4 KiB each) in the log beyond which the writer finishes a checkpoint itself.
#[cfg(not(test))]
const CATCH_UP_FRAMES: i64 = 16_000;
#[cfg(test)]
const CATCH_UP_FRAMES: i64 = 256;

#[derive(Debug, Default)]
struct State {
    /// A connection (the writer's or the pool's) committed since the thread's last pass.
    committed: bool,
    /// The thread asks the writer to finish the copy before its next group; it makes no pass
    /// until the writer did.
    catch_up: bool,
    stop: bool,
    started: bool,
}

/// What the connections to one file and its checkpoint thread share.
#[derive(Debug, Default)]
pub(crate) struct Checkpoints {
    state: Mutex<State>,
    wake: Condvar,
}

impl Checkpoints {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After a commit (of the writer, or of the pool): the checkpoint thread has frames to copy
    /// (and is started, on the first commit).
    pub fn committed(self: &Arc<Self>, path: &Path) {
        let mut state = self.state();
        state.committed = true;
        if !state.started {
            state.started = true;
            let shared = self.clone();
            let path = path.to_owned();
            let spawned = std::thread::Builder::new()
                .name("sqlite-checkpoint".to_owned())
                .spawn(move || run(&path, &shared));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "the SQLite checkpoint thread cannot start");
                // The writer checkpoints after every group instead.
                state.catch_up = true;
                state.stop = true;
            }
        }
        drop(state);
        self.wake.notify_one();
    }

    /// Before the writer's next transaction: finishes the copy if the thread asked for it. The
    /// thread waits meanwhile, so this copies only what was written since its pass, and the
    /// transaction that follows starts the log over.
    pub fn before_write(&self, conn: &Connection) {
        let mut state = self.state();
        if !state.catch_up {
            return;
        }
        state.catch_up = state.stop;
        drop(state);
        if let Err(e) = checkpoint(conn) {
            tracing::warn!(error = %e, "a checkpoint of the SQLite log failed");
        }
    }

    /// Ends the checkpoint thread (with the writer's connections).
    pub fn stop(&self) {
        self.state().stop = true;
        self.wake.notify_one();
    }
}

/// A passive checkpoint: the frames in the log afterwards, and how many of them are copied.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

/// One pass of the thread: a passive checkpoint, then a sync of the database file. SQLite
/// syncs the file only when a pass copied the whole log, which under a busy writer is the
/// writer's catch-up; syncing what each pass copied keeps that `fsync`, which every write
/// queued behind the writer waits for too, down to the last frames.
fn pass(conn: &Connection, file: &std::fs::File) -> rusqlite::Result<(i64, i64)> {
    let frames = checkpoint(conn);
    if let Err(e) = file.sync_data() {
        tracing::warn!(error = %e, "syncing the SQLite database file failed");
    }
    frames
}

/// The database file, opened for syncing once per path for the life of the process. Closing any
/// descriptor of a file drops every POSIX lock the process holds on it, SQLite's own included,
/// and another process would take a file nobody holds a lock on for one no connection uses
/// (and, say, delete its log): so this descriptor is never closed, as SQLite keeps its own open
/// while its locks are held.
fn sync_handle(path: &Path) -> Result<&'static std::fs::File, String> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, &'static std::fs::File>>> = OnceLock::new();
    let mut open = OPEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(file) = open.get(path) {
        return Ok(file);
    }
    let file: &'static std::fs::File = Box::leak(Box::new(
        std::fs::File::open(path).map_err(|e| e.to_string())?,
    ));
    open.insert(path.to_owned(), file);
    Ok(file)
}

fn run(path: &Path, shared: &Checkpoints) {
    let opened = super::native::open_checkpointer(path)
        .map_err(|e| e.to_string())
        .and_then(|conn| Ok((conn, sync_handle(path)?)));
    let (conn, file) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            tracing::error!(error = %e, "the SQLite checkpoint thread cannot open the database");
            let mut state = shared.state();
            state.catch_up = true;
            state.stop = true;
            return;
        }
    };
    loop {
        {
            let mut state = shared.state();
            // A pass waits for a commit, and for the writer's catch-up when it asked for one.
            let mut asked = None;
            while (!state.committed || state.catch_up) && !state.stop {
                if state.catch_up {
                    let since = *asked.get_or_insert_with(std::time::Instant::now);
                    let left = CATCH_UP_WAIT.saturating_sub(since.elapsed());
                    if left.is_zero() {
                        // No group came: the pool wrote, and the passes go on without the
                        // writer (the log starts over at the first write after a pass that
                        // copied all of it).
                        state.catch_up = false;
                        continue;
                    }
                    state = shared
                        .wake
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                } else {
                    state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
            if state.stop {
                return;
            }
            state.committed = false;
        }
        let mut frames = pass(&conn, file);
        if let Ok((mut log, _)) = frames
            && log >= CATCH_UP_FRAMES
        {
            // Before the writer is asked, more passes: a pass copies the log as it was when
            // the pass began, so each copies what was appended during the one before, in less
            // time, until few frames came; the writer is then left the fewest frames to sync
            // and copy while every write waits for it.
            for _ in 0..CLOSING_PASSES {
                frames = pass(&conn, file);
                match frames {
                    Ok((next, _)) if next - log > CLOSE_ENOUGH => log = next,
                    _ => break,
                }
            }
        }
        match frames {
            // A log this long has not started over since the last pass (a busy writer never
            // leaves it fully copied between two groups): the writer finishes the copy, and the
            // next pass follows its next commit at once.
            // (A pass copies the log as it was when it began: under a busy writer there is more
            // by the time it ends, whatever it reports.)
            Ok((log, _)) if log >= CATCH_UP_FRAMES => {
                shared.state().catch_up = true;
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "a checkpoint of the SQLite log failed"),
        }
        let state = shared.state();
        let _ = shared.wake.wait_timeout_while(state, EVERY, |s| !s.stop);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::super::native::Home;
    use super::super::rows::Value;

    /// Commits of `bytes` each, one after another without a pause, as a busy writer's groups.
    fn write(home: &std::sync::Arc<Home>, commits: usize, bytes: i64) {
        for _ in 0..commits {
            let mut tx = home.begin_immediate().unwrap();
            tx.run(
                "INSERT INTO t (a) VALUES (randomblob($1))",
                &[Value::Int(Some(bytes))],
            )
            .unwrap();
            tx.commit().unwrap();
        }
    }

    /// A writer on a new file with one table, and the file's path.
    fn writer(dir: &tempfile::TempDir) -> (std::sync::Arc<Home>, std::path::PathBuf) {
        let path = dir.path().join("c.db");
        let home = Home::writer(path.clone());
        home.take()
            .unwrap()
            .run("CREATE TABLE t (a BLOB)", &[])
            .unwrap();
        (home, path)
    }

    /// How many times the log started over: the checkpoint sequence number of its header.
    fn restarts(db: &std::path::Path) -> u32 {
        let wal = std::fs::read(db.with_extension("db-wal")).unwrap();
        u32::from_be_bytes(wal[12..16].try_into().unwrap())
    }

    /// The writer never copies the whole log itself, yet under writes without a pause between
    /// them (when a pass never ends with the log fully copied and no write in between) the log
    /// starts over again and again.
    #[test]
    fn a_busy_writers_log_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let (home, path) = writer(&dir);
        // Each commit writes at least two 4 KiB pages: about 80 MiB of log in all, 80 times
        // the length at which (in tests) the writer is asked to finish a checkpoint.
        write(&home, 10_000, 6_000);
        let restarts = restarts(&path);
        assert!(restarts >= 3, "the log started over {restarts} times");
    }

    /// A writer that stops leaves nothing behind: the checkpoint thread copies the whole log
    /// into the database file without another commit.
    #[test]
    fn the_whole_log_is_copied_after_the_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (home, path) = writer(&dir);
        write(&home, 50, 6_000);
        // The rows reach the database file itself only through a checkpoint.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < 50 * 6_000 {
            assert!(Instant::now() < deadline, "the log was not copied");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Writes on the pool's connections (the unit of work's transactions, the statements run on
    /// their own) copy no log themselves: they wake the checkpoint thread, with the group writer
    /// never used.
    #[tokio::test]
    async fn the_pools_transactions_are_copied_too() {
        pool_writes_are_copied(true).await;
    }

    #[tokio::test]
    async fn the_pools_statements_are_copied_too() {
        pool_writes_are_copied(false).await;
    }

    async fn pool_writes_are_copied(in_transactions: bool) {
        use crate::sql::rows::query;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        let store = crate::sql::SqlStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        // A transaction of the pool's per statement, or the statement alone.
        let write = async |sql: &str| {
            if in_transactions {
                let mut tx = crate::sql::begin_write(&store.pool, &store.cache)
                    .await
                    .unwrap();
                query(sql, Vec::new()).execute(&mut *tx).await.unwrap();
                tx.commit().await.unwrap();
            } else {
                query(sql, Vec::new()).execute(&store.pool).await.unwrap();
            }
        };
        write("CREATE TABLE t (a BLOB)").await;
        let before = std::fs::metadata(&path).unwrap().len();
        for _ in 0..50 {
            write("INSERT INTO t (a) VALUES (randomblob(6000))").await;
        }
        // The pool's connections do not checkpoint (far fewer frames than SQLite's automatic
        // threshold were written anyway): only the thread puts the rows in the file itself.
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < before + 50 * 6_000 {
            assert!(Instant::now() < deadline, "the log was not copied");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
