//! [`Store`] on SQL: every method as statements that run unchanged on SQLite and PostgreSQL.
//!
//! Locking, so that concurrent writers never lose an update and never deadlock: a write
//! transaction that touches a customer's records (the customer, its contacts, subscriptions,
//! invoices, transactions, payment methods) first locks that customer's row, then the rows it
//! changes; the account row (invoice numbers) comes after the customer. One order everywhere
//! means no cycles. On SQLite the whole database is one write lock taken at `BEGIN IMMEDIATE`,
//! so the row locks are PostgreSQL-only (see `SqlStore::write_tx`).

use async_trait::async_trait;
use portico_core::error::required_text;
use portico_core::event::{Actor, Event};
use portico_core::model::*;
use portico_core::page::MAX_LIMIT;
use portico_core::scope::ApiScopes;
use portico_core::*;
use sqlx::AnyConnection;

use std::future::Future;
use std::time::Duration;

use super::changes::WriteTx;
use super::rows::{self, CONTACTS, CUSTOMERS, RowExt, Table, Value, params, query};
use super::statements::*;
use super::uow::UnitOfWork;
use super::writer::{WriteOp, Written};
use super::{Backend, SqlStore, entropy, write_error};
use crate::cache::{Change, Key};
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

    /// The customer a path or query names; a missing one is `NotFound`.
    async fn customer_id_of(
        &self,
        conn: &mut AnyConnection,
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
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.run_migrations().await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn sync(&self, lag: Duration) -> StoreResult<()> {
        self.syncer.sync(lag).await
    }

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

    async fn events(
        &self,
        account: &AccountId,
        page: PageRequest<EventId>,
    ) -> StoreResult<List<Event>> {
        let mut sql = format!("{} WHERE account_id = $1", rows::OUTBOX_SELECT);
        let mut p = params![account];
        if let Some(after) = &page.starting_after {
            p.push(after.into());
            sql.push_str(" AND id < $2");
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

    // --- accounts and API keys ---

    async fn create_account(
        &self,
        subdomain: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let account = Account {
            id: AccountId::new(now, entropy()),
            subdomain: portico_core::model::subdomain(subdomain)?,
            name: required_text("name", name, 200)?,
            settings: PortalSettings::default(),
            created_at: now,
        };
        query(
            "INSERT INTO accounts (id, subdomain, name, settings, invoice_seq, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5)",
            params![
                &account.id,
                account.subdomain.as_str(),
                account.name.as_str(),
                rows::settings_json(&account.settings)?,
                now,
            ],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("an account with subdomain '{}'", account.subdomain),
                StoreError::Database,
            )
        })?;
        Ok(account)
    }

    async fn account(&self, id: &AccountId) -> StoreResult<Account> {
        let load = async {
            let sql = format!("{} WHERE id = $1", rows::ACCOUNTS.select());
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::account(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("account", id))
        };
        let key = ("account", id.to_string());
        self.cached(key, CACHE_TTL, |a: &Account| Change::account(&a.id), load)
            .await
    }

    async fn account_by_subdomain(&self, subdomain: &str) -> StoreResult<Account> {
        let load = async {
            let sql = format!("{} WHERE subdomain = $1", rows::ACCOUNTS.select());
            query(&sql, params![subdomain])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::account(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("account", subdomain))
        };
        let key = ("account_by_subdomain", subdomain.to_owned());
        self.cached(key, CACHE_TTL, |a: &Account| Change::account(&a.id), load)
            .await
    }

    async fn update_portal_settings(
        &self,
        id: &AccountId,
        settings: PortalSettings,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let settings = settings.validate()?;
        // The document is replaced whole, so there is nothing to read first.
        let sql = format!(
            "UPDATE accounts SET settings = $2, updated_at = $3 WHERE id = $1 RETURNING {}",
            rows::ACCOUNTS.columns()
        );
        let mut tx = self.write_tx().await?;
        let account = query(&sql, params![id, rows::settings_json(&settings)?, now])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::account(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("account", id))?;
        tx.account_changed(id);
        tx.commit().await?;
        Ok(account)
    }

    async fn create_api_key(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: [u8; 32],
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<ApiKey> {
        let key = ApiKey {
            id: ApiKeyId::new(now, entropy()),
            name: required_text("name", name, 100)?,
            scopes,
            created_at: now,
            last_used_at: None,
            expires_at,
            revoked_at: None,
        };
        let mut conn = self.pool.acquire().await?;
        insert(
            &mut conn,
            &rows::API_KEYS,
            account,
            rows::api_key_values(&key, &secret_sha256),
        )
        .await
        .map_err(|e| write_error(e, || format!("API key {}", key.id), no_account(account)))?;
        Ok(key)
    }

    async fn api_key_credential(&self, id: &ApiKeyId) -> StoreResult<ApiKeyCredential> {
        // Unscoped on purpose: the key id is how the credential names its account.
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM api_keys WHERE id = $1",
                rows::API_KEYS.columns()
            );
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::api_key_credential(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("API key", id))
        };
        let scope = |c: &ApiKeyCredential| Change::account(&c.account);
        self.cached(("api_key", id.to_string()), CACHE_TTL, scope, load)
            .await
    }

    async fn list_api_keys(
        &self,
        account: &AccountId,
        page: PageRequest<ApiKeyId>,
    ) -> StoreResult<List<ApiKey>> {
        self.list(
            &rows::API_KEYS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::api_key,
        )
        .await
    }

    async fn revoke_api_key(
        &self,
        account: &AccountId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<ApiKey> {
        // Revoking twice keeps the first revocation time.
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2 RETURNING {}",
            rows::API_KEYS.columns()
        );
        let mut tx = self.write_tx().await?;
        let key = query(&sql, params![account, id, now])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::api_key(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("API key", id))?;
        tx.account_changed(account);
        tx.commit().await?;
        Ok(key)
    }

    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> StoreResult<()> {
        // Never moves backwards when requests finish out of order.
        let done = query(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
            params![id, now],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let found = query("SELECT id FROM api_keys WHERE id = $1", params![id])
                .fetch_optional(&self.pool)
                .await?;
            if found.is_none() {
                return Err(StoreError::not_found("API key", id));
            }
        }
        // Last use is bookkeeping: other nodes may keep an older one, which only means they
        // write it again sooner.
        self.cache
            .update::<ApiKeyCredential>(&("api_key", id.to_string()), |c| {
                c.key.last_used_at = c.key.last_used_at.max(Some(now));
            });
        Ok(())
    }

    // --- customers ---

    async fn customer(&self, account: &AccountId, customer: &CustomerRef) -> StoreResult<Customer> {
        let load = async {
            let mut conn = self.pool.acquire().await?;
            find_customer(&mut conn, account, customer, "")
                .await?
                .ok_or_else(|| StoreError::not_found("customer", customer))
        };
        let key = ("customer", customer_ref_key(account, customer));
        let scope = |c: &Customer| Change::customer(account, &c.id);
        self.cached(key, CACHE_TTL, scope, load).await
    }

    async fn list_customers(
        &self,
        account: &AccountId,
        email: Option<&str>,
        page: PageRequest<CustomerId>,
    ) -> StoreResult<List<Customer>> {
        let filters = email.map(|e| ("email", e.into())).into_iter().collect();
        self.list(
            &CUSTOMERS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::customer,
        )
        .await
    }

    // --- contacts ---

    async fn contact(&self, account: &AccountId, contact: &ContactRef) -> StoreResult<Contact> {
        let load = async {
            let mut conn = self.pool.acquire().await?;
            find_contact(&mut conn, account, contact).await
        };
        let key = match contact {
            ContactRef::Id(id) => ("contact", format!("{account}/id:{id}")),
            ContactRef::ExternalId(x) => ("contact", format!("{account}/external:{x}")),
        };
        let scope = |c: &Contact| Change::customer(account, &c.customer);
        self.cached(key, CACHE_TTL, scope, load).await
    }

    async fn list_contacts(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<ContactId>,
    ) -> StoreResult<List<Contact>> {
        let mut filters = vec![];
        if let Some(customer) = customer {
            let mut conn = self.pool.acquire().await?;
            let id = self.customer_id_of(&mut conn, account, customer).await?;
            filters.push(("customer_id", Value::from(&id)));
        }
        self.list(
            &CONTACTS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::contact,
        )
        .await
    }

    // --- catalogue ---

    async fn product(&self, account: &AccountId, id: &ProductId) -> StoreResult<Product> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::PRODUCTS,
            account,
            id.as_str(),
            "",
            rows::product,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("product", id))
    }

    async fn list_products(
        &self,
        account: &AccountId,
        page: PageRequest<ProductId>,
    ) -> StoreResult<List<Product>> {
        self.list(
            &rows::PRODUCTS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::product,
        )
        .await
    }

    async fn plan(&self, account: &AccountId, id: &PlanId) -> StoreResult<Plan> {
        let load = async {
            let mut conn = self.pool.acquire().await?;
            find(
                &mut conn,
                &rows::PLANS,
                account,
                id.as_str(),
                "",
                rows::plan,
            )
            .await?
            .ok_or_else(|| StoreError::not_found("plan", id))
        };
        let key = ("plan", format!("{account}/{id}"));
        self.cached(key, CACHE_TTL, |_: &Plan| Change::account(account), load)
            .await
    }

    async fn plans_by_ids(&self, account: &AccountId, ids: &[PlanId]) -> StoreResult<Vec<Plan>> {
        let ids: Vec<&str> = ids.iter().map(PlanId::as_str).collect();
        self.by_ids(&rows::PLANS, account, &ids, rows::plan).await
    }

    async fn list_plans(
        &self,
        account: &AccountId,
        product: Option<&ProductId>,
        page: PageRequest<PlanId>,
    ) -> StoreResult<List<Plan>> {
        let filters = product
            .map(|p| ("product_id", p.into()))
            .into_iter()
            .collect();
        self.list(
            &rows::PLANS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::plan,
        )
        .await
    }

    // --- subscriptions ---

    async fn subscription(
        &self,
        account: &AccountId,
        id: &SubscriptionId,
    ) -> StoreResult<Subscription> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::SUBSCRIPTIONS,
            account,
            id.as_str(),
            "",
            rows::subscription,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("subscription", id))
    }

    async fn list_subscriptions(
        &self,
        account: &AccountId,
        filter: SubscriptionFilter,
        page: PageRequest<SubscriptionId>,
    ) -> StoreResult<List<Subscription>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(status) = filter.status {
                filters.push(("status", status.as_str().into()));
            }
            self.list(
                &rows::SUBSCRIPTIONS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::subscription,
            )
            .await
        };
        let args = format!(
            "{:?}/{}",
            filter.status.map(|s| s.as_str()),
            page_key(&page)
        );
        self.customer_list(
            "subscriptions",
            account,
            filter.customer.as_ref(),
            args,
            load,
        )
        .await
    }

    // --- invoices ---

    async fn invoice(&self, account: &AccountId, id: &InvoiceId) -> StoreResult<Invoice> {
        let load = async {
            let mut conn = self.pool.acquire().await?;
            find(
                &mut conn,
                &rows::INVOICES,
                account,
                id.as_str(),
                "",
                rows::invoice,
            )
            .await?
            .ok_or_else(|| StoreError::not_found("invoice", id))
        };
        let key = ("invoice", format!("{account}/{id}"));
        let scope = |i: &Invoice| Change::customer(account, &i.customer);
        self.cached(key, CACHE_TTL, scope, load).await
    }

    async fn invoices_by_ids(
        &self,
        account: &AccountId,
        ids: &[InvoiceId],
    ) -> StoreResult<Vec<Invoice>> {
        let ids: Vec<&str> = ids.iter().map(InvoiceId::as_str).collect();
        self.by_ids(&rows::INVOICES, account, &ids, rows::invoice)
            .await
    }

    async fn list_invoices(
        &self,
        account: &AccountId,
        filter: InvoiceFilter,
        page: PageRequest<InvoiceId>,
    ) -> StoreResult<List<Invoice>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(status) = filter.status {
                filters.push(("status", status.as_str().into()));
            }
            if let Some(subscription) = &filter.subscription {
                filters.push(("subscription_id", subscription.into()));
            }
            if filter.exclude_drafts {
                filters.push(("status <>", InvoiceStatus::Draft.as_str().into()));
            }
            self.list(
                &rows::INVOICES,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::invoice,
            )
            .await
        };
        let args = format!(
            "{:?}/{:?}/{}/{}",
            filter.status.map(|s| s.as_str()),
            filter.subscription.as_ref().map(|s| s.as_str()),
            filter.exclude_drafts,
            page_key(&page)
        );
        self.customer_list("invoices", account, filter.customer.as_ref(), args, load)
            .await
    }

    // --- transactions ---

    async fn transaction(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> StoreResult<Transaction> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::TRANSACTIONS,
            account,
            id.as_str(),
            "",
            rows::transaction,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("transaction", id))
    }

    async fn list_transactions(
        &self,
        account: &AccountId,
        filter: TransactionFilter,
        page: PageRequest<TransactionId>,
    ) -> StoreResult<List<Transaction>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(invoice) = &filter.invoice {
                filters.push(("invoice_id", invoice.into()));
            }
            self.list(
                &rows::TRANSACTIONS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::transaction,
            )
            .await
        };
        let args = format!(
            "{:?}/{}",
            filter.invoice.as_ref().map(|s| s.as_str()),
            page_key(&page)
        );
        self.customer_list(
            "transactions",
            account,
            filter.customer.as_ref(),
            args,
            load,
        )
        .await
    }

    // --- payment methods ---

    async fn payment_method(
        &self,
        account: &AccountId,
        id: &PaymentMethodId,
    ) -> StoreResult<PaymentMethod> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::PAYMENT_METHODS,
            account,
            id.as_str(),
            "",
            rows::payment_method,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("payment method", id))
    }

    async fn list_payment_methods(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<PaymentMethodId>,
    ) -> StoreResult<List<PaymentMethod>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            self.list(
                &rows::PAYMENT_METHODS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::payment_method,
            )
            .await
        };
        let args = page_key(&page);
        self.customer_list("payment_methods", account, customer, args, load)
            .await
    }

    // --- portal access ---

    async fn create_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        insert(
            &mut tx,
            &rows::SIGNING_KEYS,
            &key.account,
            rows::signing_key_values(key),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("signing key {}", key.id),
                no_account(&key.account),
            )
        })?;
        tx.account_changed(&key.account);
        tx.commit().await
    }

    async fn signing_keys(&self, account: &AccountId) -> StoreResult<Vec<SigningKeyRecord>> {
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM signing_keys WHERE account_id = $1 \
                 ORDER BY created_at DESC, id DESC",
                rows::SIGNING_KEYS.columns()
            );
            query(&sql, params![account])
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::signing_key)
                .collect()
        };
        let key = ("signing_keys", account.to_string());
        let scope = |_: &Vec<SigningKeyRecord>| Change::account(account);
        self.cached(key, CACHE_TTL, scope, load).await
    }

    async fn published_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        // Every account's, on purpose: one JWKS document serves the deployment.
        let sql = format!(
            "SELECT account_id, {} FROM signing_keys WHERE revoked_at IS NULL \
             ORDER BY created_at DESC, id DESC",
            rows::SIGNING_KEYS.columns()
        );
        query(&sql, vec![])
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::signing_key)
            .collect()
    }

    async fn signing_key(&self, id: &SigningKeyId) -> StoreResult<SigningKeyRecord> {
        // Unscoped on purpose: the token's kid names the key, and the key its account.
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM signing_keys WHERE id = $1",
                rows::SIGNING_KEYS.columns()
            );
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::signing_key(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("signing key", id))
        };
        let scope = |k: &SigningKeyRecord| Change::account(&k.account);
        self.cached(("signing_key", id.to_string()), CACHE_TTL, scope, load)
            .await
    }

    async fn retire_signing_keys(
        &self,
        account: &AccountId,
        current: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // A `current` that is not the account's own would retire every key the account has.
        if !exists(&mut tx, "signing_keys", account, "id", current.into()).await? {
            return Err(StoreError::not_found("signing key", current));
        }
        query(
            "UPDATE signing_keys SET retired_at = $3 \
             WHERE account_id = $1 AND id <> $2 AND retired_at IS NULL",
            params![account, current, now],
        )
        .execute(&mut *tx)
        .await?;
        tx.account_changed(account);
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_signing_key(
        &self,
        account: &AccountId,
        id: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "UPDATE signing_keys SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2",
            params![account, id, now],
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("signing key", id));
        }
        tx.account_changed(account);
        tx.commit().await
    }

    async fn create_portal_session(
        &self,
        account: &AccountId,
        session: &PortalSession,
        invalidate_existing: bool,
    ) -> StoreResult<()> {
        let account = account.clone();
        let session = session.clone();
        if invalidate_existing {
            let op = WriteOp::ReplacingPortalSession { account, session };
            return self.writer.write(op).await.map(|_| ());
        }
        // Checked before the group, from the cache: the customer and contact only have to exist
        // and belong together, and neither is ever removed from the database.
        let customer = self
            .customer(&account, &CustomerRef::Id(session.customer.clone()))
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => no_such("customer", "customer", &session.customer),
                e => e,
            })?;
        if let Some(contact_id) = &session.contact {
            let contact = self
                .contact(&account, &ContactRef::Id(contact_id.clone()))
                .await
                .map_err(|e| match e {
                    StoreError::NotFound { .. } => no_such("contact", "contact", contact_id),
                    e => e,
                })?;
            if contact.customer != customer.id {
                return Err(other_customer("contact", "contact", contact_id));
            }
        }
        let op = WriteOp::PortalSession { account, session };
        self.writer.write(op).await.map(|_| ())
    }

    async fn portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
    ) -> StoreResult<PortalSession> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::PORTAL_SESSIONS,
            account,
            id.as_str(),
            "",
            rows::portal_session,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("portal session", id))
    }

    async fn list_portal_sessions(
        &self,
        account: &AccountId,
        filter: PortalSessionFilter,
        page: PageRequest<PortalSessionId>,
    ) -> StoreResult<List<PortalSession>> {
        let mut filters = vec![];
        if let Some(customer) = &filter.customer {
            filters.push(("customer_id", Value::from(customer)));
        }
        if let Some(contact) = &filter.contact {
            filters.push(("contact_id", Value::from(contact)));
        }
        self.list(
            &rows::PORTAL_SESSIONS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::portal_session,
        )
        .await
    }

    async fn revoke_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<PortalSession> {
        // Revoking twice keeps the first revocation time.
        let sql = format!(
            "UPDATE portal_sessions SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2 RETURNING {}",
            rows::PORTAL_SESSIONS.columns()
        );
        let mut tx = self.write_tx().await?;
        let session = query(&sql, params![account, id, now])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::portal_session(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("portal session", id))?;
        tx.customer_changed(account, &session.customer);
        tx.commit().await?;
        Ok(session)
    }

    async fn enter_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "UPDATE portal_sessions SET entered_at = $3 \
             WHERE account_id = $1 AND id = $2 AND entered_at IS NULL",
            params![account, id, now],
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn revoke_customer_portal_sessions(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        now: Timestamp,
    ) -> StoreResult<u64> {
        // A deleted customer still counts: its sessions are what the caller wants ended.
        let mut tx = self.write_tx().await?;
        if !exists(&mut tx, "customers", account, "id", customer.into()).await? {
            return Err(StoreError::not_found("customer", customer));
        }
        let done =
            revoke_live_sessions(&mut tx, account, "customer_id", customer.as_str(), now).await?;
        tx.customer_changed(account, customer);
        tx.commit().await?;
        Ok(done)
    }

    async fn create_redirect_token(
        &self,
        account: &AccountId,
        session: &PortalSessionId,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        query(
            "INSERT INTO redirect_tokens (token_sha256, account_id, portal_session_id, \
             expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
            params![rows::hash_text(sha256), account, session, expires_at],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || "this redirect token".to_owned(),
                // The composite reference also refuses another account's session.
                |_| StoreError::not_found("portal session", session),
            )
        })?;
        Ok(())
    }

    async fn consume_redirect_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, PortalSessionId)>> {
        let op = WriteOp::ConsumeRedirectToken {
            sha256: *sha256,
            now,
        };
        match self.writer.write(op).await? {
            Written::Consumed(found) => Ok(found),
            Written::Done => Err(StoreError::Corrupt(
                "the writer answered a consumption without its result".to_owned(),
            )),
        }
    }

    async fn redirect_token(&self, sha256: &[u8; 32]) -> StoreResult<Option<RedirectTokenState>> {
        let row = query(
            "SELECT account_id, portal_session_id, expires_at, used_at FROM redirect_tokens \
             WHERE token_sha256 = $1",
            params![rows::hash_text(sha256)],
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(RedirectTokenState {
                account: r.parsed("account_id")?,
                portal_session: r.parsed("portal_session_id")?,
                expires_at: r.ts("expires_at")?,
                used_at: r.opt_ts("used_at")?,
            })
        })
        .transpose()
    }

    async fn create_browser_session(&self, new: &NewBrowserSession) -> StoreResult<()> {
        self.writer
            .write(WriteOp::BrowserSession(new.clone()))
            .await
            .map(|_| ())
    }

    async fn browser_session(
        &self,
        cookie_sha256: &[u8; 32],
    ) -> StoreResult<Option<BrowserSessionView>> {
        // Read on every portal request; a cookie never issued is not kept.
        let load = async {
            let sql = format!(
                "SELECT {} FROM browser_sessions b \
                 JOIN portal_sessions p ON p.account_id = b.account_id \
                 AND p.id = b.portal_session_id \
                 JOIN customers c ON c.account_id = p.account_id AND c.id = p.customer_id \
                 LEFT JOIN contacts k ON k.account_id = p.account_id AND k.id = p.contact_id \
                 WHERE b.cookie_sha256 = $1",
                rows::browser_session_view_columns()
            );
            query(&sql, params![rows::hash_text(cookie_sha256)])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::browser_session_view(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("browser session", "(cookie)"))
        };
        let scope = |v: &BrowserSessionView| Change::customer(&v.account, &v.session.customer);
        match self
            .cached(browser_key(cookie_sha256), BROWSER_SESSION_TTL, scope, load)
            .await
        {
            Ok(view) => Ok(Some(view)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn touch_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()> {
        let hash = rows::hash_text(cookie_sha256);
        // Never moves backwards when requests finish out of order.
        let done = query(
            "UPDATE browser_sessions SET last_seen_at = $2 \
             WHERE cookie_sha256 = $1 AND last_seen_at < $2",
            params![hash.as_str(), now],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let found = query(
                "SELECT 1 AS one FROM browser_sessions WHERE cookie_sha256 = $1",
                params![hash.as_str()],
            )
            .fetch_optional(&self.pool)
            .await?;
            if found.is_none() {
                return Err(StoreError::not_found("browser session", "(cookie)"));
            }
        }
        self.cache
            .update::<BrowserSessionView>(&browser_key(cookie_sha256), |v| {
                v.last_seen_at = v.last_seen_at.max(now);
            });
        Ok(())
    }

    async fn end_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()> {
        // Ending twice keeps the first time.
        let mut tx = self.write_tx().await?;
        let ended = query(
            "UPDATE browser_sessions SET ended_at = COALESCE(ended_at, $2) \
             WHERE cookie_sha256 = $1 \
             RETURNING account_id, (SELECT customer_id FROM portal_sessions p \
             WHERE p.account_id = browser_sessions.account_id \
             AND p.id = browser_sessions.portal_session_id) AS customer_id",
            params![rows::hash_text(cookie_sha256), now],
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::not_found("browser session", "(cookie)"))?;
        tx.customer_changed(&ended.parsed("account_id")?, &ended.parsed("customer_id")?);
        tx.commit().await
    }

    async fn create_oauth_client(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<OAuthClient> {
        let client = OAuthClient {
            id: OAuthClientId::new(now, entropy()),
            name: required_text("name", name, 100)?,
            scopes,
            created_at: now,
            revoked_at: None,
        };
        let mut conn = self.pool.acquire().await?;
        insert(
            &mut conn,
            &rows::OAUTH_CLIENTS,
            account,
            rows::oauth_client_values(&client, secret_sha256),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("OAuth client {}", client.id),
                no_account(account),
            )
        })?;
        Ok(client)
    }

    async fn oauth_client_credential(
        &self,
        id: &OAuthClientId,
    ) -> StoreResult<OAuthClientCredential> {
        // Unscoped on purpose: the client id is how the credential names its account.
        let sql = format!(
            "SELECT account_id, {} FROM oauth_clients WHERE id = $1",
            rows::OAUTH_CLIENTS.columns()
        );
        query(&sql, params![id])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::oauth_client_credential(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("OAuth client", id))
    }

    async fn list_oauth_clients(
        &self,
        account: &AccountId,
        page: PageRequest<OAuthClientId>,
    ) -> StoreResult<List<OAuthClient>> {
        self.list(
            &rows::OAUTH_CLIENTS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::oauth_client,
        )
        .await
    }

    async fn revoke_oauth_client(
        &self,
        account: &AccountId,
        id: &OAuthClientId,
        now: Timestamp,
    ) -> StoreResult<OAuthClient> {
        // Its tokens end with it: `oauth_token` only answers for clients not revoked.
        let sql = format!(
            "UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2 RETURNING {}",
            rows::OAUTH_CLIENTS.columns()
        );
        query(&sql, params![account, id, now])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::oauth_client(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("OAuth client", id))
    }

    async fn create_oauth_token(
        &self,
        account: &AccountId,
        client: &OAuthClientId,
        scopes: ApiScopes,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        query(
            "INSERT INTO oauth_tokens (token_sha256, account_id, client_id, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            params![
                rows::hash_text(sha256),
                account,
                client,
                scopes.to_text(),
                expires_at,
            ],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || "this OAuth token".to_owned(),
                |_| StoreError::not_found("OAuth client", client),
            )
        })?;
        Ok(())
    }

    async fn oauth_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        query(
            "SELECT t.account_id, t.client_id, t.scopes, t.expires_at FROM oauth_tokens t \
             JOIN oauth_clients c ON c.account_id = t.account_id AND c.id = t.client_id \
             WHERE t.token_sha256 = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL",
            params![rows::hash_text(sha256), now],
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::oauth_token(&row))
        .transpose()
    }

    // --- idempotency ---

    async fn idempotency_begin(
        &self,
        account: &AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let fingerprint = hex::encode(fingerprint);
        // A claim abandoned between our insert and our read is retried; three rounds are
        // plenty, as abandoning needs a whole failed request in between.
        for _ in 0..3 {
            let claimed = query(
                "INSERT INTO idempotency_keys (account_id, key, fingerprint, status, body, \
                 created_at) VALUES ($1, $2, $3, NULL, NULL, $4) \
                 ON CONFLICT (account_id, key) DO NOTHING",
                params![account, key, fingerprint.as_str(), now],
            )
            .execute(&self.pool)
            .await
            .map_err(|e| {
                write_error(
                    e,
                    || format!("idempotency key '{key}'"),
                    no_account(account),
                )
            })?;
            if claimed.rows_affected() == 1 {
                return Ok(IdempotencyBegin::Started);
            }
            let seen = query(
                "SELECT fingerprint, status, body FROM idempotency_keys \
                 WHERE account_id = $1 AND key = $2",
                params![account, key],
            )
            .fetch_optional(&self.pool)
            .await?;
            let Some(seen) = seen else { continue };
            if seen.text("fingerprint")? != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            return Ok(match seen.opt_int("status")? {
                Some(status) => IdempotencyBegin::Replay {
                    status: u16::try_from(status)
                        .map_err(|_| StoreError::Corrupt(format!("idempotency status {status}")))?,
                    body: seen.bytes("body")?.unwrap_or_default(),
                },
                None => IdempotencyBegin::InProgress,
            });
        }
        Ok(IdempotencyBegin::InProgress)
    }

    async fn idempotency_finish(
        &self,
        account: &AccountId,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()> {
        let done = query(
            "UPDATE idempotency_keys SET status = $3, body = $4 \
             WHERE account_id = $1 AND key = $2",
            params![account, key, i64::from(status), body],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("idempotency key", key));
        }
        Ok(())
    }

    async fn idempotency_abandon(&self, account: &AccountId, key: &str) -> StoreResult<()> {
        // Only an unfinished claim: a finished answer stays for the replays.
        query(
            "DELETE FROM idempotency_keys \
             WHERE account_id = $1 AND key = $2 AND status IS NULL",
            params![account, key],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    // --- housekeeping ---

    async fn id_form_vendor_ids(&self) -> StoreResult<Vec<crate::IdFormVendorId>> {
        super::vendor_ids::id_form_vendor_ids(&self.pool).await
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<PurgeCounts> {
        const DAY_SECS: i64 = 24 * 60 * 60;
        let grace = now.minus_secs(DAY_SECS);
        let unseen = now.minus_secs(30 * DAY_SECS);
        // Separate statements, not one transaction: each is atomic by itself and none depends on
        // another, and a long transaction would hold SQLite's write lock against live requests.
        let redirect_tokens = query(
            "DELETE FROM redirect_tokens WHERE expires_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let browser_sessions = query(
            "DELETE FROM browser_sessions WHERE ended_at < $1 OR last_seen_at < $2 \
             OR EXISTS (SELECT 1 FROM portal_sessions p \
             WHERE p.account_id = browser_sessions.account_id \
             AND p.id = browser_sessions.portal_session_id AND p.expires_at < $1)",
            params![grace, unseen],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let oauth_tokens = query(
            "DELETE FROM oauth_tokens WHERE expires_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let idempotency_keys = query(
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        // SQLite's change log (PostgreSQL has none): nodes read it every second, so a day-old
        // change has long been applied.
        if self.backend == Backend::Sqlite {
            query("DELETE FROM changes WHERE changed_at < $1", params![grace])
                .execute(&self.pool)
                .await?;
        }
        Ok(PurgeCounts {
            redirect_tokens,
            browser_sessions,
            oauth_tokens,
            idempotency_keys,
        })
    }
}

fn browser_key(cookie_sha256: &[u8; 32]) -> Key {
    ("browser_session", rows::hash_text(cookie_sha256))
}

/// Runs a group of writes (a lone write is a group of one) in one transaction, a few statements
/// for the whole group: every redirect token in one `UPDATE`, every new portal session in one
/// `INSERT`, every new browser session in another; sessions that replace others one by one.
/// Writes in one group are concurrent, so their order within it is free.
pub(super) async fn run_group(
    tx: &mut WriteTx,
    backend: Backend,
    ops: &[&WriteOp],
) -> StoreResult<Vec<Written>> {
    let mut results: Vec<Option<Written>> = ops.iter().map(|_| None).collect();

    let consumes: Vec<(usize, &[u8; 32], Timestamp)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::ConsumeRedirectToken { sha256, now } => Some((i, sha256, *now)),
            _ => None,
        })
        .collect();
    if !consumes.is_empty() {
        // One instant for the group, the latest asked: a token that expired by then is refused,
        // never one accepted late.
        let now = consumes
            .iter()
            .map(|c| c.2)
            .max()
            .unwrap_or(Timestamp::from_millis(0));
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
            results[i] = Some(Written::Consumed(won.remove(&rows::hash_text(sha256))));
        }
    }

    let sessions: Vec<(usize, &AccountId, &PortalSession)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::PortalSession { account, session } => Some((i, account, session)),
            _ => None,
        })
        .collect();
    if !sessions.is_empty() {
        let mut p = Vec::new();
        for (_, account, session) in &sessions {
            p.push(Value::from(*account));
            p.extend(rows::portal_session_values(session));
        }
        // Errors name the first session; a failed group is retried one write at a time, where
        // the first is the only one.
        let first = sessions[0].2;
        query(&rows::PORTAL_SESSIONS.insert_many(sessions.len()), p)
            .execute(&mut **tx)
            .await
            .map_err(|e| {
                write_error(
                    e,
                    || format!("portal session {}", first.id),
                    |_| no_such("customer", "customer", &first.customer),
                )
            })?;
        for (i, _, _) in sessions {
            results[i] = Some(Written::Done);
        }
    }

    let browsers: Vec<(usize, &NewBrowserSession)> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match op {
            WriteOp::BrowserSession(new) => Some((i, new)),
            _ => None,
        })
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
        for (i, _) in browsers {
            results[i] = Some(Written::Done);
        }
    }

    for (i, op) in ops.iter().enumerate() {
        if let WriteOp::ReplacingPortalSession { account, session } = op {
            replace_portal_sessions(tx, backend, account, session).await?;
            results[i] = Some(Written::Done);
        }
    }
    results
        .into_iter()
        .map(|r| r.ok_or_else(|| StoreError::Corrupt("a write of the group was not run".into())))
        .collect()
}

/// Stores a new portal session and revokes the customer's other live ones. Locking the
/// customer serialises concurrent replacements, so that of two made at once, one revokes the
/// other.
async fn replace_portal_sessions(
    tx: &mut WriteTx,
    backend: Backend,
    account: &AccountId,
    session: &PortalSession,
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
    query(
        "UPDATE portal_sessions SET revoked_at = $3 \
         WHERE account_id = $1 AND customer_id = $2 \
         AND revoked_at IS NULL AND expires_at > $3",
        params![account, &customer.id, session.issued_at],
    )
    .execute(&mut **tx)
    .await?;
    tx.customer_changed(account, &customer.id);
    insert(
        tx,
        &rows::PORTAL_SESSIONS,
        account,
        rows::portal_session_values(session),
    )
    .await
    .map_err(|e| {
        write_error(
            e,
            || format!("portal session {}", session.id),
            |_| no_such("customer", "customer", &session.customer),
        )
    })?;
    Ok(())
}
