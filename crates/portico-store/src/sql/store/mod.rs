//! [`Store`] on SQL: every method as statements that run unchanged on SQLite and PostgreSQL.
//!
//! Locking, so that concurrent writers never lose an update and never deadlock: a write
//! transaction that touches a customer's records (the customer, its contacts, subscriptions,
//! invoices, transactions, payment methods) first locks that customer's row, then the rows it
//! changes; the account row (invoice numbers) comes after the customer. One order everywhere
//! means no cycles. On SQLite the whole database is one write lock taken at `BEGIN IMMEDIATE`,
//! so the row locks are PostgreSQL-only (see `SqlStore::write_tx`).

mod accounts;
mod billing;
mod catalog;
pub(super) mod clock;
mod credentials;
mod customers;
pub(super) mod documents;
mod housekeeping;
mod idempotency;
mod payments;
pub(super) mod postgres;
mod sessions;
mod signing_keys;
mod webhooks;

use crate::EventFilter;
use async_trait::async_trait;
use portico_core::error::required_text;
use portico_core::event::{Actor, Event, EventType, Origin};
use portico_core::model::*;
use portico_core::page::MAX_LIMIT;
use portico_core::scope::ApiScopes;
use portico_core::*;

use std::future::Future;
use std::time::Duration;

use super::changes::WriteTx;
use super::db::Conn;
use super::outbox::Outbox;
use super::rows::{self, CONTACTS, CUSTOMERS, RowExt, Table, Value, params, query};
use super::statements::*;
use super::uow::UnitOfWork;
use super::writer::{WriteOp, Written};
use super::{Backend, SqlStore, entropy, write_error};
use crate::cache::{Change, FillToken, Key};
use crate::prelude::*;
use crate::{
    ApiKeyCredential, BrowserSessionView, IdempotencyBegin, InvoiceFilter, NewBrowserSession,
    OAuthClientCredential, OAuthTokenRecord, PortalSessionFilter, PurgeCounts, RedirectTokenState,
    SigningKeyRecord, Store, StoreError, StoreResult, SubscriptionFilter, TransactionFilter,
};

/// Ids as the text they are stored as, for cursors.
trait AsId {
    fn as_id(&self) -> &str;
}

macro_rules! as_id {
    ($($id:ty),*) => {$(
        impl AsId for $id {
            fn as_id(&self) -> &str {
                self.as_str()
            }
        }
    )*};
}
as_id!(
    ApiKeyId,
    CustomerId,
    ContactId,
    ProductId,
    PlanId,
    SubscriptionId,
    InvoiceId,
    TransactionId,
    PaymentMethodId,
    PortalSessionId,
    OAuthClientId
);

/// How long a cached value may serve at most, changes aside: a bound on what a missed change
/// could cost, not what keeps the cache correct (the change log does that).
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Browser sessions keep their last-seen time in the cache; another node's newer one reaches
/// this node within this long, so idle timeouts count from at most this much too early.
const BROWSER_SESSION_TTL: Duration = Duration::from_secs(10);

fn portal_session_key(account: &AccountId, id: &PortalSessionId) -> Key {
    ("portal_session", format!("{account}/{id}"))
}

fn customer_ref_key(account: &AccountId, customer: &CustomerRef) -> String {
    match customer {
        CustomerRef::Id(id) => format!("{account}/id:{id}"),
        CustomerRef::Alias(alias) => format!("{account}/alias:{alias}"),
    }
}

/// The customer a list filter names by id (what the portal asks); lists filtered otherwise are
/// not cached, since their scope is only known after reading.
fn cached_customer(customer: Option<&CustomerRef>) -> Option<&CustomerId> {
    match customer {
        Some(CustomerRef::Id(id)) => Some(id),
        _ => None,
    }
}

fn page_key<I: AsId>(page: &PageRequest<I>) -> String {
    let cursor = match cursor(page) {
        Some(Cursor::After(id)) => id.to_owned(),
        Some(Cursor::Before(id)) => format!("<{id}"),
        None => String::new(),
    };
    format!("{cursor}/{}", page.limit)
}

impl SqlStore {
    /// The value under `key` from the cache, or `load`ed and kept under the scope `scope` names.
    /// Errors (not found included) are never kept.
    async fn cached<T: Clone + Send + Sync + 'static>(
        &self,
        key: Key,
        ttl: Duration,
        scope: impl FnOnce(&T) -> Change,
        load: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        if let Some(value) = self.cache.get::<T>(&key) {
            return Ok(value);
        }
        let token = self.cache.fill_token();
        let value = load.await?;
        self.cache
            .put(token, key, scope(&value), ttl, value.clone());
        Ok(value)
    }

    /// A list of one customer's records, cached when the filter names the customer by id;
    /// `args` are the other filters and the page, as text.
    async fn customer_list<T: Clone + Send + Sync + 'static>(
        &self,
        kind: &'static str,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        args: String,
        load: impl Future<Output = StoreResult<List<T>>>,
    ) -> StoreResult<List<T>> {
        match cached_customer(customer) {
            Some(id) => {
                let key = (kind, format!("{account}/{id}/{args}"));
                let scope = |_: &List<T>| Change::customer(account, id);
                self.cached(key, CACHE_TTL, scope, load).await
            }
            None => load.await,
        }
    }

    /// One live record of `table` by id; a missing one is `NotFound` naming `what`.
    async fn get<T>(
        &self,
        table: &Table,
        account: &AccountId,
        id: &str,
        what: &'static str,
        decode: Decode<T>,
    ) -> StoreResult<T> {
        let mut conn = self.pool.read().await?;
        find(&mut conn, table, account, id, "", decode)
            .await?
            .ok_or_else(|| StoreError::not_found(what, id))
    }

    /// The first filter of a list query: the customer's, when one is named (a missing one is
    /// `NotFound`).
    async fn customer_filters(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
    ) -> StoreResult<Vec<(&'static str, Value)>> {
        let mut filters = vec![];
        if let Some(customer) = customer {
            let mut conn = self.pool.read().await?;
            let id = self.customer_id_of(&mut conn, account, customer).await?;
            filters.push(("customer_id", Value::from(&id)));
        }
        Ok(filters)
    }

    /// The customer a path or query names; a missing one is `NotFound`.
    async fn customer_id_of(
        &self,
        conn: &mut Conn,
        account: &AccountId,
        customer: &CustomerRef,
    ) -> StoreResult<CustomerId> {
        Ok(find_customer(conn, account, customer, "")
            .await?
            .ok_or_else(|| StoreError::not_found("customer", customer))?
            .id)
    }

    async fn list<T>(
        &self,
        table: &Table,
        account: &AccountId,
        filters: Vec<(&'static str, Value)>,
        limit: u32,
        cursor: Option<Cursor<'_>>,
        decode: Decode<T>,
    ) -> StoreResult<List<T>> {
        let mut sql = format!("{} WHERE account_id = $1{}", table.select(), table.live());
        let mut p = params![account];
        for (column, value) in filters {
            p.push(value);
            // A bare column compares for equality; `status <>` brings its own operator.
            let op = if column.contains(' ') { "" } else { " =" };
            sql.push_str(&format!(" AND {column}{op} ${}", p.len()));
        }
        // A page before an id is read oldest first from that id, then turned around.
        let order = match cursor {
            Some(Cursor::After(id)) => {
                p.push(id.into());
                sql.push_str(&format!(" AND id < ${}", p.len()));
                "DESC"
            }
            Some(Cursor::Before(id)) => {
                p.push(id.into());
                sql.push_str(&format!(" AND id > ${}", p.len()));
                "ASC"
            }
            None => "DESC",
        };
        let limit = limit.clamp(1, MAX_LIMIT);
        // One row more than asked tells whether another page follows.
        p.push(Value::from(i64::from(limit) + 1));
        sql.push_str(&format!(" ORDER BY id {order} LIMIT ${}", p.len()));
        let rows = query(&sql, p).fetch_all(&self.pool).await?;
        let items = rows.iter().map(decode).collect::<StoreResult<Vec<T>>>()?;
        let mut list = List::from_overfetch(items, limit);
        if order == "ASC" {
            list.data.reverse();
        }
        Ok(list)
    }

    /// The live rows of `ids` in one statement, newest first.
    async fn by_ids<T>(
        &self,
        table: &Table,
        account: &AccountId,
        ids: &[&str],
        decode: Decode<T>,
    ) -> StoreResult<Vec<T>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut p = params![account];
        let mut marks = Vec::with_capacity(ids.len());
        for id in ids {
            p.push((*id).into());
            marks.push(format!("${}", p.len()));
        }
        let sql = format!(
            "{} WHERE account_id = $1 AND id IN ({}){} ORDER BY id DESC",
            table.select(),
            marks.join(", "),
            table.live()
        );
        let rows = query(&sql, p).fetch_all(&self.pool).await?;
        rows.iter().map(decode).collect()
    }
}

/// Where a page starts: after an id (older items) or before one (newer items).
#[derive(Clone, Copy)]
enum Cursor<'a> {
    After(&'a str),
    Before(&'a str),
}

fn cursor<I: AsId>(page: &PageRequest<I>) -> Option<Cursor<'_>> {
    match (&page.starting_after, &page.ending_before) {
        (Some(id), _) => Some(Cursor::After(id.as_id())),
        (None, Some(id)) => Some(Cursor::Before(id.as_id())),
        (None, None) => None,
    }
}

#[async_trait]
impl Store for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn migrate(&self) -> StoreResult<()> {
        self.run_migrations().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        query("SELECT 1", vec![]).execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn sync(&self, lag: Duration) -> StoreResult<()> {
        self.syncer.sync(lag).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn begin(
        &self,
        account: &AccountId,
        actor: Actor,
        now: Timestamp,
    ) -> StoreResult<UnitOfWork> {
        let tx = self.write_tx().await?;
        Ok(UnitOfWork::new(
            tx,
            self.backend,
            account.clone(),
            actor,
            now,
        ))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_events(
        &self,
        account: &AccountId,
        filter: EventFilter,
        page: PageRequest<EventId>,
    ) -> StoreResult<List<Event>> {
        let mut sql = format!("{} WHERE account_id = $1", rows::OUTBOX_SELECT);
        let mut p = params![account];
        if let Some(customer) = &filter.customer {
            p.push(customer.into());
            sql.push_str(&format!(" AND customer_id = ${}", p.len()));
        }
        if let Some(kind) = filter.kind {
            p.push(kind.as_str().into());
            sql.push_str(&format!(" AND type = ${}", p.len()));
        }
        if let Some(after) = &page.starting_after {
            p.push(after.into());
            sql.push_str(&format!(" AND id < ${}", p.len()));
        }
        let limit = page.limit.clamp(1, MAX_LIMIT);
        p.push(Value::from(i64::from(limit) + 1));
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", p.len()));
        let rows = query(&sql, p).fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .map(rows::event)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(List::from_overfetch(items, limit))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn event(&self, account: &AccountId, id: &EventId) -> StoreResult<Event> {
        let sql = format!("{} WHERE account_id = $1 AND id = $2", rows::OUTBOX_SELECT);
        query(&sql, params![account, id])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::event(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("event", id))
    }
}

fn browser_key(cookie_sha256: &[u8; 32]) -> Key {
    ("browser_session", rows::hash_text(cookie_sha256))
}

/// Runs a group of writes (a lone write is a group of one) in one transaction, a few statements
/// for the whole group: every redirect token in one `UPDATE`, every new portal session in one
/// `INSERT`, every new browser session in another; sessions that replace others one by one.
/// On PostgreSQL (see [`postgres`]) the tokens' statement starts the exchanges' browser sessions
/// and reads their portal sessions too, and the new portal sessions' statement stores the
/// group's events so far; a group of new portal sessions alone needs no transaction.
/// Writes in one group are concurrent, so their order within it is free.
pub(super) async fn run_group(
    tx: &mut WriteTx,
    backend: Backend,
    ops: &[&WriteOp],
) -> StoreResult<Vec<Written>> {
    let mut results: Vec<Option<Written>> = ops.iter().map(|_| None).collect();
    let mut outbox = Outbox::default();
    // The exchanges answer with the portal sessions they opened: those the group reads are kept
    // in the cache for that read (the group changes no portal session before it reads them).
    let token = tx.cache().fill_token();

    let consumes: Vec<(usize, &[u8; 32], Timestamp)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::ConsumeRedirectToken { sha256, now }
            | WriteOp::ExchangeRedirectToken { sha256, now, .. } => Some((i, sha256, *now)),
            _ => None,
        })
        .collect();
    // Browser sessions of the exchanges that spent their token.
    let mut exchanged = Vec::new();
    if !consumes.is_empty() {
        // One instant for the group, the latest asked: a token that expired by then is refused,
        // never one accepted late.
        let now = consumes
            .iter()
            .map(|c| c.2)
            .max()
            .unwrap_or(Timestamp::from_millis(0));
        if let Some(pg) = tx.postgres() {
            let spends: Vec<postgres::Spend> = consumes
                .iter()
                .map(|&(i, sha256, now)| postgres::Spend {
                    sha256,
                    now,
                    browser: match ops[i] {
                        WriteOp::ExchangeRedirectToken {
                            cookie_sha256,
                            csrf_secret,
                            ..
                        } => Some((cookie_sha256, csrf_secret)),
                        _ => None,
                    },
                })
                .collect();
            let mut spent = postgres::spend_tokens(pg, now, &spends).await?;
            for found in spent.values() {
                keep_opened_session(tx, token, &found.account, &found.session);
            }
            for (i, sha256, _) in consumes {
                let found = spent.remove(&rows::hash_text(sha256));
                if let (Some(found), WriteOp::ExchangeRedirectToken { now, origin, .. }) =
                    (&found, ops[i])
                {
                    record_entered_one(&mut outbox, &found.account, &found.session, *now, origin)?;
                }
                results[i] = Some(Written::Consumed(found.map(|f| (f.account, f.session.id))));
            }
        } else {
            spend_tokens(tx, now, ops, consumes, &mut exchanged, &mut results).await?;
        }
    }

    let sessions: Vec<(usize, &AccountId, &PortalSession, Option<&Origin>)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::PortalSession {
                account,
                session,
                origin,
            } => Some((i, account, session, origin.as_ref())),
            _ => None,
        })
        .collect();
    if !sessions.is_empty() {
        for &(_, account, session, origin) in &sessions {
            record_created(&mut outbox, account, session, origin)?;
        }
        match tx.postgres() {
            Some(pg) => postgres::insert_sessions(pg, &sessions, &mut outbox).await?,
            None => insert_sessions(tx, &sessions).await?,
        }
        for (i, ..) in sessions {
            results[i] = Some(Written::Done);
        }
    }

    let browsers: Vec<(Option<usize>, &NewBrowserSession)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::BrowserSession(new) => Some((Some(i), new)),
            _ => None,
        })
        .chain(exchanged.iter().map(|new| (None, new)))
        .collect();
    if !browsers.is_empty() {
        let mut p = Vec::new();
        for (_, new) in &browsers {
            p.extend(params![
                rows::hash_text(&new.cookie_sha256),
                &new.account,
                &new.portal_session,
                hex::encode(new.csrf_secret),
                new.now,
                new.now,
            ]);
        }
        let sql = format!(
            "INSERT INTO browser_sessions (cookie_sha256, account_id, portal_session_id, \
             csrf_secret, created_at, last_seen_at) VALUES {}",
            rows::placeholder_rows(browsers.len(), 6)
        );
        let first = browsers[0].1;
        query(&sql, p).execute(&mut **tx).await.map_err(|e| {
            write_error(
                e,
                || "a browser session with this cookie".to_owned(),
                |_| StoreError::not_found("portal session", &first.portal_session),
            )
        })?;
        let started: Vec<&NewBrowserSession> = browsers.iter().map(|(_, new)| *new).collect();
        record_entered(tx, token, &mut outbox, &started).await?;
        for i in browsers.into_iter().filter_map(|(i, _)| i) {
            results[i] = Some(Written::Done);
        }
    }

    for (i, op) in ops.iter().enumerate() {
        if let WriteOp::ReplacingPortalSession {
            account,
            session,
            origin,
        } = op
        {
            let origin = origin.as_ref();
            replace_portal_sessions(tx, backend, account, session, origin, &mut outbox).await?;
            results[i] = Some(Written::Done);
        }
    }
    outbox.write(tx).await?;
    // A group of its own (see `WriteOp::alone`).
    for (i, op) in ops.iter().enumerate() {
        if let WriteOp::FanOutWebhookEvents { now, limit } = op {
            results[i] = Some(Written::FannedOut(
                webhooks::fan_out(tx, backend, *now, *limit).await?,
            ));
        }
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| StoreError::Corrupt("a write of the group was not run".into())))
        .collect()
}

/// Spends the redirect tokens at `now` in one `UPDATE` (the backends without arrays); the
/// exchanges that won go to `exchanged`, to start their browser sessions.
async fn spend_tokens(
    tx: &mut WriteTx,
    now: Timestamp,
    ops: &[&WriteOp],
    consumes: Vec<(usize, &[u8; 32], Timestamp)>,
    exchanged: &mut Vec<NewBrowserSession>,
    results: &mut [Option<Written>],
) -> StoreResult<()> {
    let mut p = params![now];
    let mut marks = Vec::with_capacity(consumes.len());
    for (_, sha256, _) in &consumes {
        p.push(rows::hash_text(sha256).into());
        marks.push(format!("${}", p.len()));
    }
    let sql = format!(
        "UPDATE redirect_tokens SET used_at = $1 \
         WHERE used_at IS NULL AND expires_at > $1 AND token_sha256 IN ({}) \
         RETURNING token_sha256, account_id, portal_session_id",
        marks.join(", ")
    );
    let mut won = std::collections::HashMap::new();
    for row in query(&sql, p).fetch_all(&mut **tx).await? {
        let pair: (AccountId, PortalSessionId) =
            (row.parsed("account_id")?, row.parsed("portal_session_id")?);
        won.insert(row.text("token_sha256")?, pair);
    }
    // The same token twice in one group: the first asker has it, the others find it used.
    for (i, sha256, _) in consumes {
        let found = won.remove(&rows::hash_text(sha256));
        if let (
            Some((account, portal_session)),
            WriteOp::ExchangeRedirectToken {
                now,
                cookie_sha256,
                csrf_secret,
                origin,
                ..
            },
        ) = (&found, ops[i])
        {
            exchanged.push(NewBrowserSession {
                account: account.clone(),
                portal_session: portal_session.clone(),
                cookie_sha256: *cookie_sha256,
                csrf_secret: *csrf_secret,
                now: *now,
                origin: origin.clone(),
            });
        }
        results[i] = Some(Written::Consumed(found));
    }
    Ok(())
}

/// Stores new portal sessions in one multi-row `INSERT` (the backends without arrays).
async fn insert_sessions(
    tx: &mut WriteTx,
    sessions: &[(usize, &AccountId, &PortalSession, Option<&Origin>)],
) -> StoreResult<()> {
    let mut p = Vec::new();
    for (_, account, session, _) in sessions {
        p.push(Value::from(*account));
        p.extend(rows::portal_session_values(session));
    }
    // Errors name the first session; a failed group is retried one write at a time, where
    // the first is the only one.
    let first = sessions[0].2;
    query(&rows::PORTAL_SESSIONS.insert_many(sessions.len()), p)
        .execute(&mut **tx)
        .await
        .map_err(|e| session_write_error(e, first))?;
    Ok(())
}

/// A failed insert of `session` in the API's terms: its id taken, or its customer unknown.
fn session_write_error(e: sqlx::Error, session: &PortalSession) -> StoreError {
    write_error(
        e,
        || format!("portal session {}", session.id),
        |_| no_such("customer", "customer", &session.customer),
    )
}

/// Stores a new portal session and revokes the customer's other live ones. Locking the
/// customer serialises concurrent replacements, so that of two made at once, one revokes the
/// other.
async fn replace_portal_sessions(
    tx: &mut WriteTx,
    backend: Backend,
    account: &AccountId,
    session: &PortalSession,
    origin: Option<&Origin>,
    outbox: &mut Outbox,
) -> StoreResult<()> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let customer = find_customer(
        tx,
        account,
        &CustomerRef::Id(session.customer.clone()),
        lock,
    )
    .await?
    .ok_or_else(|| no_such("customer", "customer", &session.customer))?;
    if let Some(contact_id) = &session.contact {
        let contact = find_contact(tx, account, &ContactRef::Id(contact_id.clone()))
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => no_such("contact", "contact", contact_id),
                e => e,
            })?;
        if contact.customer != customer.id {
            return Err(other_customer("contact", "contact", contact_id));
        }
    }
    let customer_id = customer.id.as_str();
    let at = session.issued_at;
    let replaced = revoke_live_sessions(tx, account, "customer_id", customer_id, at).await?;
    record_revoked(outbox, account, &issuer(session), origin, at, &replaced)?;
    tx.customer_changed(account, &customer.id);
    insert(
        tx,
        &rows::PORTAL_SESSIONS,
        account,
        rows::portal_session_values(session),
    )
    .await
    .map_err(|e| session_write_error(e, session))?;
    record_created(outbox, account, session, origin)
}

/// The actor that issued `session`, as recorded with it.
fn issuer(session: &PortalSession) -> Actor {
    // Every stored issuer is one an actor gave; Portico itself stands in should one not parse.
    Actor::from_issuer(&session.issued_by).unwrap_or(Actor::System)
}

fn record_created(
    outbox: &mut Outbox,
    account: &AccountId,
    session: &PortalSession,
    origin: Option<&Origin>,
) -> StoreResult<()> {
    let kind = EventType::PortalSessionCreated;
    let at = session.issued_at;
    outbox.record(
        account,
        &issuer(session),
        origin,
        at,
        kind,
        Some(&session.customer),
        session,
    )
}

/// Records `portal_session.revoked` for each of `sessions`, by `actor` at `at`.
pub(super) fn record_revoked(
    outbox: &mut Outbox,
    account: &AccountId,
    actor: &Actor,
    origin: Option<&Origin>,
    at: Timestamp,
    sessions: &[PortalSession],
) -> StoreResult<()> {
    let kind = EventType::PortalSessionRevoked;
    for session in sessions {
        let customer = Some(&session.customer);
        outbox.record(account, actor, origin, at, kind, customer, session)?;
    }
    Ok(())
}

/// Records `portal_session.entered` for each started browser session whose portal session is
/// live, by the portal session itself. Read in the write's own transaction, so that an exchange
/// stays one write.
async fn record_entered(
    tx: &mut WriteTx,
    token: FillToken,
    outbox: &mut Outbox,
    started: &[&NewBrowserSession],
) -> StoreResult<()> {
    // By primary key alone, which every backend looks up by its index; the account is matched
    // below. (An OR of (account, id) pairs led PostgreSQL to scan the table.)
    let p: Vec<Value> = started
        .iter()
        .map(|new| Value::from(&new.portal_session))
        .collect();
    let sql = format!(
        "SELECT account_id, {} FROM portal_sessions WHERE id IN ({})",
        rows::PORTAL_SESSIONS.columns(),
        rows::placeholder_rows(p.len(), 1)
    );
    let mut found = std::collections::HashMap::new();
    for row in query(&sql, p).fetch_all(&mut **tx).await? {
        let account: AccountId = row.parsed("account_id")?;
        let session = rows::portal_session(&row)?;
        keep_opened_session(tx, token, &account, &session);
        found.insert((account, session.id.clone()), session);
    }
    for new in started {
        let key = (new.account.clone(), new.portal_session.clone());
        if let Some(session) = found.get(&key) {
            record_entered_one(outbox, &new.account, session, new.now, &new.origin)?;
        }
    }
    Ok(())
}

/// Keeps a portal session an exchange read in the group's transaction in the cache, under the
/// key its read by id uses: the exchange answers with it next. `token` was taken before the read
/// (the group changes no portal session before this point).
fn keep_opened_session(
    tx: &WriteTx,
    token: FillToken,
    account: &AccountId,
    session: &PortalSession,
) {
    let key = portal_session_key(account, &session.id);
    let scope = Change::customer(account, &session.customer);
    tx.cache()
        .put(token, key, scope, CACHE_TTL, session.clone());
}

/// Records `portal_session.entered` for a browser session started at `now`, by the portal
/// session itself, if that is live.
fn record_entered_one(
    outbox: &mut Outbox,
    account: &AccountId,
    session: &PortalSession,
    now: Timestamp,
    origin: &Option<Origin>,
) -> StoreResult<()> {
    if !session.is_live(now) {
        return Ok(());
    }
    let actor = Actor::Portal(session.id.clone());
    let kind = EventType::PortalSessionEntered;
    let customer = Some(&session.customer);
    outbox.record(
        account,
        &actor,
        origin.as_ref(),
        now,
        kind,
        customer,
        session,
    )
}
