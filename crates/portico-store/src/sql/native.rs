//! SQLite through its C library directly (`rusqlite`), on the thread that asks. The sqlx driver
//! hands every statement to a worker thread of its connection and waits for the answer, two
//! thread switches per statement; here a statement runs where it is called, from a prepared
//! statement kept per connection, with its parameters bound by position.
//!
//! Two uses: the group-commit writer's own connection, on a thread of its own (see `writer`),
//! and a few read-only connections that reads on the pool take and give back without waiting
//! (see `Pool::read`). Schema changes (migrations), the unit of work's transactions and the
//! pool's other writes stay on sqlx.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::types::Value as Sql;
use rusqlite::{Connection, ffi};

use super::checkpoint::Checkpoints;
use super::db::SQLITE_BUSY_TIMEOUT;
use super::rows::Value;

/// Prepared statements kept per connection. The group writer's statements vary with the
/// group's size (one placeholder per token), so there are more than a handful.
const STATEMENT_CACHE: usize = 128;
/// The writer's page cache, in KiB. Most commits walk the cache's whole hash table: a B-tree
/// rebalance renumbers pages through the lock-byte page's number (262,145 with 4 KiB pages),
/// which the cache then remembers as its largest page, and a commit drops the cached pages past
/// the end of a file smaller than that (under 1 GiB). The walk costs in proportion to this size,
/// a few per cent of the writer's time at 16 MiB; 4 MiB measured the same within the noise.
const WRITER_CACHE_KIB: u32 = 16 * 1024;
/// Idle read connections kept; more are opened while more reads run at once, and closed after.
const IDLE_READERS: usize = 2;

/// Opens `path` with the settings the sqlx pool gives its connections: the busy timeout first,
/// so that the pragmas wait for a concurrent writer; WAL (already the file's mode, the pool set
/// it); NORMAL sync; foreign keys on.
fn open(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    // A statement's journal (kept to undo one statement of a many-row write) stays in memory:
    // on a file it is written for every group.
    conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
    if read_only {
        // A read connection refuses writes: a write here could wait on the database lock while
        // holding the calling thread.
        conn.execute_batch("PRAGMA query_only = ON;")?;
    } else {
        // The writer touches the indexes of every customer's sessions and events: a larger page
        // cache than the default 2 MiB keeps their pages between groups. Its checkpoints run on
        // a thread of their own (see `checkpoint`).
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{WRITER_CACHE_KIB}; PRAGMA wal_autocheckpoint = 0;"
        ))?;
    }
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// The connection of the writer's checkpoint thread, which only copies the log.
pub(super) fn open_checkpointer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Connections to one file, taken one at a time and given back when their [`Native`] drops.
#[derive(Debug)]
pub(crate) struct Home {
    path: PathBuf,
    read_only: bool,
    idle: Mutex<Vec<Connection>>,
    keep: usize,
    /// The file's checkpoints, which the writer's and the pool's commits call for; shared by
    /// the readers and the writer of one file.
    checkpoints: Arc<Checkpoints>,
}

impl Drop for Home {
    fn drop(&mut self) {
        if !self.read_only {
            self.checkpoints.stop();
        }
    }
}

impl Home {
    /// Read-only connections to `path`, opened on first use.
    pub fn readers(path: PathBuf) -> Arc<Home> {
        Arc::new(Home {
            path,
            read_only: true,
            idle: Mutex::new(Vec::new()),
            keep: IDLE_READERS,
            checkpoints: Arc::default(),
        })
    }

    /// The one writing connection to `path`, opened on first use.
    #[cfg(test)]
    pub fn writer(path: PathBuf) -> Arc<Home> {
        Home::writer_with(path, Arc::default())
    }

    /// The one writing connection to these readers' file, sharing their checkpoints.
    pub fn writer_beside(&self) -> Arc<Home> {
        Home::writer_with(self.path.clone(), self.checkpoints.clone())
    }

    fn writer_with(path: PathBuf, checkpoints: Arc<Checkpoints>) -> Arc<Home> {
        Arc::new(Home {
            path,
            read_only: false,
            idle: Mutex::new(Vec::new()),
            keep: 1,
            checkpoints,
        })
    }

    /// After a write transaction on another connection to the file (the pool's) committed: its
    /// frames are for the checkpoint thread to copy, as the writer's are.
    pub fn committed_elsewhere(&self) {
        self.checkpoints.committed(&self.path);
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection, or a new one.
    pub fn take(self: &Arc<Self>) -> Result<Native, sqlx::Error> {
        let idle = self.idle().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open(&self.path, self.read_only).map_err(error)?,
        };
        Ok(Native {
            conn: Some(conn),
            home: self.clone(),
            in_tx: false,
        })
    }

    /// A connection in a transaction that holds the database's write lock from its start, as
    /// `Pool::begin_write` begins them on sqlx.
    pub fn begin_immediate(self: &Arc<Self>) -> Result<Native, sqlx::Error> {
        let mut native = self.take()?;
        if !self.read_only {
            self.checkpoints.before_write(native.conn()?);
        }
        native.batch("BEGIN IMMEDIATE")?;
        native.in_tx = true;
        Ok(native)
    }
}

/// A connection taken from its [`Home`], perhaps in a transaction; a transaction not committed
/// when it drops is rolled back.
#[derive(Debug)]
pub(crate) struct Native {
    conn: Option<Connection>,
    home: Arc<Home>,
    in_tx: bool,
}

impl Drop for Native {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.in_tx && conn.execute_batch("ROLLBACK").is_err() {
            // A connection whose transaction cannot end is not given back.
            return;
        }
        let mut idle = self.home.idle();
        if idle.len() < self.home.keep {
            idle.push(conn);
        }
    }
}

impl Native {
    fn conn(&self) -> Result<&Connection, sqlx::Error> {
        self.conn
            .as_ref()
            .ok_or_else(|| sqlx::Error::Protocol("the connection is closed".to_owned()))
    }

    fn batch(&self, sql: &str) -> Result<(), sqlx::Error> {
        self.conn()?.execute_batch(sql).map_err(error)
    }

    /// Commits the transaction, if there is one.
    pub fn commit(&mut self) -> Result<(), sqlx::Error> {
        if self.in_tx {
            self.batch("COMMIT")?;
            self.in_tx = false;
            if !self.home.read_only {
                self.home.checkpoints.committed(&self.home.path);
            }
        }
        Ok(())
    }

    /// Runs `sql` with `params` bound in order; the rows it answers and how many rows it
    /// changed.
    pub fn run(&self, sql: &str, params: &[Value]) -> Result<(Vec<NativeRow>, u64), sqlx::Error> {
        let started = tracing::enabled!(target: "sqlx::query", tracing::Level::DEBUG)
            .then(std::time::Instant::now);
        let (rows, changed) = self.run_unlogged(sql, params)?;
        if let Some(started) = started {
            // Where and as sqlx logs its statements, so that one filter shows every statement.
            tracing::debug!(
                target: "sqlx::query",
                summary = sql.get(..40).unwrap_or(sql),
                db.statement = sql,
                rows_affected = changed,
                rows_returned = rows.len(),
                elapsed = ?started.elapsed(),
            );
        }
        Ok((rows, changed))
    }

    fn run_unlogged(
        &self,
        sql: &str,
        params: &[Value],
    ) -> Result<(Vec<NativeRow>, u64), sqlx::Error> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&positional(sql)).map_err(error)?;
        for (i, p) in params.iter().enumerate() {
            let at = i + 1;
            match p {
                Value::Text(v) => stmt.raw_bind_parameter(at, v.as_deref()),
                Value::Int(v) => stmt.raw_bind_parameter(at, v),
                Value::Bool(v) => stmt.raw_bind_parameter(at, v),
                Value::Bytes(v) => stmt.raw_bind_parameter(at, v.as_slice()),
            }
            .map_err(error)?;
        }
        let width = stmt.column_count();
        let columns: Arc<[String]> = if width == 0 {
            Arc::new([])
        } else {
            stmt.column_names().into_iter().map(str::to_owned).collect()
        };
        let mut found = Vec::new();
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(error)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(Sql::from(row.get_ref(i).map_err(error)?));
            }
            found.push(NativeRow {
                columns: columns.clone(),
                values,
            });
        }
        drop(rows);
        Ok((found, conn.changes()))
    }
}

/// `$n` placeholders (what both backends' statements are written with) as SQLite's `?n`, which
/// binds by position without looking the name up.
fn positional(sql: &str) -> Cow<'_, str> {
    if !sql.contains('$') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One row as SQLite answered it.
#[derive(Debug)]
pub(crate) struct NativeRow {
    columns: Arc<[String]>,
    values: Vec<Sql>,
}

impl NativeRow {
    /// A column as `T`; NULL is `None`.
    pub fn get<T: FromNative>(&self, column: &str) -> Result<Option<T>, sqlx::Error> {
        let at = self
            .columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| sqlx::Error::ColumnNotFound(column.to_owned()))?;
        match &self.values[at] {
            Sql::Null => Ok(None),
            v => T::from_native(v).map(Some).ok_or_else(|| {
                sqlx::Error::Decode(format!("column {column}: {:?}", v.data_type()).into())
            }),
        }
    }
}

/// The Rust values a stored SQLite value reads as.
pub(crate) trait FromNative: Sized {
    fn from_native(value: &Sql) -> Option<Self>;
}

impl FromNative for String {
    fn from_native(value: &Sql) -> Option<Self> {
        match value {
            Sql::Text(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl FromNative for i64 {
    fn from_native(value: &Sql) -> Option<Self> {
        match value {
            Sql::Integer(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromNative for bool {
    fn from_native(value: &Sql) -> Option<Self> {
        match value {
            Sql::Integer(v) => Some(*v != 0),
            _ => None,
        }
    }
}

impl FromNative for Vec<u8> {
    fn from_native(value: &Sql) -> Option<Self> {
        match value {
            Sql::Blob(v) => Some(v.clone()),
            Sql::Text(v) => Some(v.as_bytes().to_vec()),
            _ => None,
        }
    }
}

/// An error of SQLite, as the rest of the store reads sqlx's: a constraint it names is the
/// same kind of violation.
#[derive(Debug)]
struct NativeError {
    message: String,
    code: Option<i32>,
    source: rusqlite::Error,
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NativeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl sqlx::error::DatabaseError for NativeError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        self.code.map(|c| Cow::Owned(c.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.code {
            Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                ErrorKind::UniqueViolation
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => ErrorKind::ForeignKeyViolation,
            Some(ffi::SQLITE_CONSTRAINT_NOTNULL) => ErrorKind::NotNullViolation,
            Some(ffi::SQLITE_CONSTRAINT_CHECK) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn error(e: rusqlite::Error) -> sqlx::Error {
    let code = match &e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.extended_code),
        _ => None,
    };
    sqlx::Error::Database(Box::new(NativeError {
        message: e.to_string(),
        code,
        source: e,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_bind_by_position() {
        assert_eq!(
            positional("UPDATE t SET a = $3, b = $3 WHERE c = $1 AND d = $12"),
            "UPDATE t SET a = ?3, b = ?3 WHERE c = ?1 AND d = ?12"
        );
        assert!(matches!(positional("SELECT 1"), Cow::Borrowed(_)));
    }

    #[test]
    fn parameters_out_of_order_bind_to_their_numbers() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let home = Home::writer(dir.path().join("n.db"));
        let native = home.take()?;
        native.run("CREATE TABLE t (a TEXT, b BIGINT)", &[])?;
        let (_, changed) = native.run(
            "INSERT INTO t (b, a) VALUES ($2, $1)",
            &[Value::from("one"), Value::from(2_i64)],
        )?;
        assert_eq!(changed, 1);
        let (rows, _) = native.run("SELECT a, b FROM t WHERE b = $1", &[Value::from(2_i64)])?;
        assert_eq!(rows[0].get::<String>("a")?.as_deref(), Some("one"));
        assert_eq!(rows[0].get::<i64>("b")?, Some(2));
        Ok(())
    }

    #[test]
    fn read_connections_refuse_writes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("n.db");
        Home::writer(path.clone())
            .take()?
            .run("CREATE TABLE t (a TEXT)", &[])?;
        let reader = Home::readers(path).take()?;
        assert!(reader.run("INSERT INTO t (a) VALUES ('x')", &[]).is_err());
        assert!(reader.run("SELECT a FROM t", &[])?.0.is_empty());
        Ok(())
    }
}
