//! Each backend on its own sqlx driver, behind one small surface the statements are written
//! against: a [`Pool`], a [`Conn`] (a pooled connection or a transaction), a [`Query`] with its
//! parameters and the [`Row`] it answers. The SQL is shared; what differs between the backends
//! (connection settings, how a write transaction begins, how a row decodes) is here, once.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Database, Decode, Encode, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};

use super::Backend;
use super::native::{FromNative, Home, Native, NativeRow};
use super::rows::Value;
use crate::StoreResult;

/// How long a SQLite writer waits for another to finish before giving up with "database is
/// locked". Writers queue on one lock, so this bounds the wait behind a burst of writes.
pub(super) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pool of connections to one database.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    /// A file's pool also has read connections of its own (see `native`); an in-memory
    /// database exists only in the pool's one connection.
    Sqlite(SqlitePool, Option<Arc<Home>>),
    Postgres(PgPool),
}

impl Pool {
    /// Opens a pool on `url` with the settings each backend runs with; a missing SQLite file is
    /// created.
    pub async fn connect(url: &str) -> StoreResult<Pool> {
        // No ping before each checkout: it is a round trip on every query, and a connection
        // that broke fails its next query, which the caller sees as an error like any other.
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                // Busy timeout first (the driver sets it before any pragma), so that switching
                // to WAL waits for a concurrent first connection. WAL lets readers run while one
                // writer writes; NORMAL sync is durable across application crashes and loses at
                // most the last commits on power loss, the usual WAL trade-off. Foreign keys
                // are off by default in SQLite; the schema relies on them for tenancy and
                // references.
                let mut options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(!url.contains("mode="))
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true);
                if !memory {
                    // A file's log is copied by the checkpoint thread (see `checkpoint`), which
                    // the pool's commits wake as the writer's do; a commit of the pool that
                    // copied the log itself would take its time and its `fsync`s out of that
                    // write's answer, and race the thread for the same frames.
                    options = options.pragma("wal_autocheckpoint", "0");
                }
                // SQLite runs in this process: a few connections let readers proceed in
                // parallel under WAL while writers take turns on the one write lock. An
                // in-memory database exists once per connection, so it gets exactly one.
                let pool = SqlitePoolOptions::new()
                    .max_connections(if memory { 1 } else { 4 })
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false);
                let pool = if memory {
                    pool.idle_timeout(None).max_lifetime(None)
                } else {
                    pool
                };
                let readers = (!memory).then(|| Home::readers(options.get_filename().to_owned()));
                Ok(Pool::Sqlite(pool.connect_with(options).await?, readers))
            }
            // Two cores serve the requests; more connections than a small multiple of that
            // only queue inside PostgreSQL instead of in the pool. TLS comes from the URL
            // (`sslmode`, `sslrootcert`).
            Backend::Postgres => Ok(Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .connect_with(PgConnectOptions::from_str(url)?)
                    .await?,
            )),
        }
    }

    pub async fn acquire(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p, _) => Conn::Sqlite(Held::Pooled(p.acquire().await?)),
            Pool::Postgres(p) => Conn::Postgres(Held::Pooled(p.acquire().await?)),
        })
    }

    /// A connection for reads only: on a SQLite file, one that runs them on the calling thread.
    pub async fn read(&self) -> Result<Conn, sqlx::Error> {
        match self {
            Pool::Sqlite(_, Some(readers)) => Ok(Conn::Native(readers.take()?)),
            _ => self.acquire().await,
        }
    }

    /// Where the group-commit writer keeps its own connection: a SQLite file's.
    pub fn native_writer(&self) -> Option<Arc<Home>> {
        match self {
            Pool::Sqlite(_, Some(readers)) => Some(readers.writer_beside()),
            _ => None,
        }
    }

    /// After a write on the pool committed (a transaction, or a statement run on its own): on a
    /// SQLite file, its frames are for the checkpoint thread to copy.
    pub fn wrote(&self) {
        if let Pool::Sqlite(_, Some(file)) = self {
            file.committed_elsewhere();
        }
    }

    /// Begins a transaction that will write.
    ///
    /// SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front. A plain (deferred)
    /// transaction that reads and then writes fails with SQLITE_BUSY when another writer got
    /// in between, without waiting; the immediate one waits (busy timeout) and then sees the
    /// latest data, which makes every read-modify-write safe from lost updates.
    /// PostgreSQL: a plain READ COMMITTED transaction; the rows it will change are locked with
    /// `SELECT … FOR UPDATE` (see `statements::for_update`).
    pub async fn begin_write(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p, _) => Conn::Sqlite(Held::Tx(p.begin_with("BEGIN IMMEDIATE").await?)),
            Pool::Postgres(p) => Conn::Postgres(Held::Tx(p.begin().await?)),
        })
    }

    /// Runs the migrations this build knows on one connection of the pool.
    pub async fn migrate(&self, migrator: &Migrator) -> Result<(), sqlx::migrate::MigrateError> {
        let migrated = match self {
            Pool::Sqlite(p, _) => migrate_on(p.acquire().await?, migrator).await,
            Pool::Postgres(p) => migrate_on(p.acquire().await?, migrator).await,
        };
        self.wrote();
        migrated
    }
}

async fn migrate_on<DB: Database>(
    mut conn: PoolConnection<DB>,
    migrator: &Migrator,
) -> Result<(), sqlx::migrate::MigrateError>
where
    DB::Connection: Migrate,
{
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
    result
}

/// One connection's worth of statements: a pooled connection, or a transaction.
#[derive(Debug)]
pub(crate) enum Conn {
    Sqlite(Held<Sqlite>),
    Postgres(Held<Postgres>),
    /// SQLite without sqlx: statements run on the calling thread.
    Native(Native),
}

#[derive(Debug)]
pub(crate) enum Held<DB: Database> {
    Pooled(PoolConnection<DB>),
    Tx(Transaction<'static, DB>),
}

impl<DB: Database> Held<DB> {
    fn connection(&mut self) -> &mut DB::Connection {
        match self {
            Held::Pooled(c) => c,
            Held::Tx(tx) => tx,
        }
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Held::Tx(tx) => tx.commit().await,
            Held::Pooled(_) => Ok(()),
        }
    }
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) | Conn::Native(_) => Backend::Sqlite,
            Conn::Postgres(_) => Backend::Postgres,
        }
    }

    /// The PostgreSQL connection itself, for statements that bind arrays (which SQLite has not).
    pub fn postgres(&mut self) -> Option<&mut sqlx::PgConnection> {
        match self {
            Conn::Postgres(held) => Some(held.connection()),
            _ => None,
        }
    }

    /// Commits a transaction; a pooled connection has nothing to commit.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Sqlite(c) => c.commit().await,
            Conn::Postgres(c) => c.commit().await,
            Conn::Native(mut c) => c.commit(),
        }
    }
}

/// Runs `$body` with `$q` the query bound for the driver of `$conn`, `$c` that driver's own
/// connection and `$row` the constructor of its [`Row`]; on a native connection, runs the query
/// there and answers `$native` of its rows and count of changed rows.
macro_rules! on_driver {
    ($query:expr, $conn:expr, |$q:ident, $c:ident, $row:pat_param| $body:expr,
     |$rows:pat_param| $native:expr) => {
        match $conn {
            Conn::Native(native) => {
                let $rows = native.run($query.sql, &$query.params)?;
                $native
            }
            Conn::Sqlite(held) => {
                let ($q, $c, $row) = (
                    bind($query.sql, $query.params),
                    held.connection(),
                    Row::Sqlite,
                );
                $body
            }
            Conn::Postgres(held) => {
                let ($q, $c, $row) = (
                    bind($query.sql, $query.params),
                    held.connection(),
                    Row::Postgres,
                );
                $body
            }
        }
    };
}

/// Where a statement runs: on a connection (or transaction) the caller holds, or on any
/// connection of a pool.
pub(crate) enum On<'c> {
    Conn(&'c mut Conn),
    Pool(&'c Pool),
}

impl<'c> From<&'c mut Conn> for On<'c> {
    fn from(c: &'c mut Conn) -> Self {
        On::Conn(c)
    }
}

impl<'c> From<&'c Pool> for On<'c> {
    fn from(p: &'c Pool) -> Self {
        On::Pool(p)
    }
}

/// A row of either backend; read it with `RowExt`.
pub(crate) enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
    Native(NativeRow),
}

impl Row {
    /// A column as `T`, decoded by the row's own driver; NULL is `None`. (Asked for a `T`
    /// itself, SQLite's driver would read a NULL as zero or empty.)
    pub fn get<T>(&self, column: &str) -> Result<Option<T>, sqlx::Error>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>
            + FromNative,
    {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(column),
            Row::Postgres(r) => r.try_get(column),
            Row::Native(r) => r.get(column),
        }
    }
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done(u64);

impl Done {
    pub fn rows_affected(self) -> u64 {
        self.0
    }
}

/// A statement with its parameters, to be bound in order (`$1` is the first).
#[must_use = "a query does nothing until it is run"]
pub(crate) struct Query<'q> {
    sql: &'q str,
    params: Vec<Value>,
}

impl<'q> Query<'q> {
    pub fn new(sql: &'q str, params: Vec<Value>) -> Self {
        Query { sql, params }
    }

    pub async fn execute<'c>(self, on: impl Into<On<'c>>) -> Result<Done, sqlx::Error> {
        match on.into() {
            On::Conn(c) => self.execute_on(c).await,
            On::Pool(p) => {
                let done = self.execute_on(&mut p.acquire().await?).await;
                p.wrote();
                done
            }
        }
    }

    pub async fn fetch_optional<'c>(
        self,
        on: impl Into<On<'c>>,
    ) -> Result<Option<Row>, sqlx::Error> {
        match on.into() {
            On::Conn(c) => self.fetch_optional_on(c).await,
            On::Pool(p) => {
                let (mut conn, select) = self.reader(p).await?;
                let row = self.fetch_optional_on(&mut conn).await;
                if !select {
                    p.wrote();
                }
                row
            }
        }
    }

    pub async fn fetch_one<'c>(self, on: impl Into<On<'c>>) -> Result<Row, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    pub async fn fetch_all<'c>(self, on: impl Into<On<'c>>) -> Result<Vec<Row>, sqlx::Error> {
        match on.into() {
            On::Conn(c) => self.fetch_all_on(c).await,
            On::Pool(p) => {
                let (mut conn, select) = self.reader(p).await?;
                let rows = self.fetch_all_on(&mut conn).await;
                if !select {
                    p.wrote();
                }
                rows
            }
        }
    }

    /// The connection a statement on a pool runs on: a `SELECT` reads on the calling thread
    /// where the pool can (see [`Pool::read`]); anything else takes a pooled connection. And
    /// whether it is a `SELECT`.
    async fn reader(&self, pool: &Pool) -> Result<(Conn, bool), sqlx::Error> {
        let select = self
            .sql
            .trim_start()
            .get(..6)
            .is_some_and(|w| w.eq_ignore_ascii_case("select"));
        let conn = if select {
            pool.read().await?
        } else {
            pool.acquire().await?
        };
        Ok((conn, select))
    }

    async fn execute_on(self, conn: &mut Conn) -> Result<Done, sqlx::Error> {
        let done = on_driver!(
            self,
            conn,
            |q, c, _| q.execute(c).await?.rows_affected(),
            |(_, changed)| changed
        );
        Ok(Done(done))
    }

    async fn fetch_optional_on(self, conn: &mut Conn) -> Result<Option<Row>, sqlx::Error> {
        Ok(on_driver!(
            self,
            conn,
            |q, c, row| q.fetch_optional(c).await?.map(row),
            |(rows, _)| rows.into_iter().next().map(Row::Native)
        ))
    }

    async fn fetch_all_on(self, conn: &mut Conn) -> Result<Vec<Row>, sqlx::Error> {
        let rows = on_driver!(
            self,
            conn,
            |q, c, row| q.fetch_all(c).await?.into_iter().map(row).collect(),
            |(rows, _)| rows.into_iter().map(Row::Native).collect()
        );
        Ok(rows)
    }
}

/// The driver's own statement, with `params` bound in order.
fn bind<'q, DB: Database>(
    sql: &'q str,
    params: Vec<Value>,
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    Option<String>: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    bool: Encode<'q, DB> + Type<DB>,
    Vec<u8>: Encode<'q, DB> + Type<DB>,
{
    let mut q = sqlx::query(sql);
    for p in params {
        q = match p {
            Value::Text(v) => q.bind(v),
            Value::Int(v) => q.bind(v),
            Value::Bool(v) => q.bind(v),
            Value::Bytes(v) => q.bind(v),
        };
    }
    q
}

/// A PostgreSQL statement whose parameters may be arrays: rows bound column by column and read
/// back with `unnest`, so that one statement text (and the statement PostgreSQL prepares for it
/// once per connection) serves any number of rows.
#[derive(Default)]
pub(crate) struct PgQuery {
    params: Vec<PgParam>,
}

enum PgParam {
    One(Value),
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<bool>),
    Bytes(Vec<Vec<u8>>),
}

impl PgQuery {
    /// Adds one parameter; answers its placeholder.
    pub fn value(&mut self, value: impl Into<Value>) -> String {
        self.params.push(PgParam::One(value.into()));
        format!("${}", self.params.len())
    }

    /// Adds a list of texts as one array; answers its placeholder, cast.
    pub fn texts(&mut self, texts: Vec<Option<String>>) -> String {
        self.params.push(PgParam::Text(texts));
        format!("${}::text[]", self.params.len())
    }

    /// Adds `rows` (of equal width, each column of one kind) as one array per column; answers
    /// `unnest(…)` of them, a relation with a row for each of `rows` in order.
    pub fn rows(&mut self, rows: Vec<Vec<Value>>) -> Result<String, sqlx::Error> {
        let width = rows.first().map_or(0, Vec::len);
        let mut columns: Vec<PgParam> = rows
            .first()
            .map(|first| {
                first
                    .iter()
                    .map(|v| match v {
                        Value::Text(_) => PgParam::Text(Vec::with_capacity(rows.len())),
                        Value::Int(_) => PgParam::Int(Vec::with_capacity(rows.len())),
                        Value::Bool(_) => PgParam::Bool(Vec::with_capacity(rows.len())),
                        Value::Bytes(_) => PgParam::Bytes(Vec::with_capacity(rows.len())),
                    })
                    .collect()
            })
            .unwrap_or_default();
        for row in rows {
            if row.len() != width {
                return Err(mixed_rows());
            }
            for (column, value) in columns.iter_mut().zip(row) {
                match (column, value) {
                    (PgParam::Text(c), Value::Text(v)) => c.push(v),
                    (PgParam::Int(c), Value::Int(v)) => c.push(v),
                    (PgParam::Bool(c), Value::Bool(v)) => c.push(v),
                    (PgParam::Bytes(c), Value::Bytes(v)) => c.push(v),
                    _ => return Err(mixed_rows()),
                }
            }
        }
        let mut marks = Vec::with_capacity(width);
        for column in columns {
            let cast = match &column {
                PgParam::Text(_) => "text",
                PgParam::Int(_) => "bigint",
                PgParam::Bool(_) => "boolean",
                PgParam::Bytes(_) | PgParam::One(_) => "bytea",
            };
            self.params.push(column);
            marks.push(format!("${}::{cast}[]", self.params.len()));
        }
        Ok(format!("unnest({})", marks.join(", ")))
    }

    fn bind(self, sql: &str) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
        let mut q = sqlx::query(sql);
        for p in self.params {
            q = match p {
                PgParam::One(Value::Text(v)) => q.bind(v),
                PgParam::One(Value::Int(v)) => q.bind(v),
                PgParam::One(Value::Bool(v)) => q.bind(v),
                PgParam::One(Value::Bytes(v)) => q.bind(v),
                PgParam::Text(v) => q.bind(v),
                PgParam::Int(v) => q.bind(v),
                PgParam::Bool(v) => q.bind(v),
                PgParam::Bytes(v) => q.bind(v),
            };
        }
        q
    }

    pub async fn execute(
        self,
        sql: &str,
        conn: &mut sqlx::PgConnection,
    ) -> Result<Done, sqlx::Error> {
        Ok(Done(self.bind(sql).execute(conn).await?.rows_affected()))
    }

    pub async fn fetch_all(
        self,
        sql: &str,
        conn: &mut sqlx::PgConnection,
    ) -> Result<Vec<Row>, sqlx::Error> {
        let rows = self.bind(sql).fetch_all(conn).await?;
        Ok(rows.into_iter().map(Row::Postgres).collect())
    }
}

fn mixed_rows() -> sqlx::Error {
    sqlx::Error::Encode("rows bound as arrays differ in width or in a column's kind".into())
}
