#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The conformance suite: every test runs once on SQLite and once on PostgreSQL, writing
//! through the use cases and reading through the store's query side.

mod access;
mod accounts;
mod billing;
mod billing_clock;
mod customers_and_contacts;
mod documents;
mod housekeeping;
mod nodes;
mod outbox;
mod payments;
mod products_and_plans;
mod refunds;
mod stripe;
mod subscription_changes;
mod tenancy;

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use portico_app::*;
use portico_core::event::Actor;
use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use portico_store::*;
use portico_testkit::{Backend, Fixture, RawConnection, TestDatabase, backend_tests};
use sha2::{Digest, Sha256};
use sqlx::Connection;
use std::sync::Arc;

/// 2026-01-01T00:00:00Z.
const BASE: i64 = 1_767_225_600_000;

/// A fresh, migrated database and a clock that only moves when asked.
struct Db {
    store: SqlStore,
    /// The use cases on `store`: every write goes through them.
    app: App,
    db: TestDatabase,
    ticks: AtomicI64,
}

impl Fixture for Db {
    async fn start(backend: Backend) -> Self {
        let db = TestDatabase::create(backend).await;
        let store = db.store().await;
        Db {
            app: App::new(
                Arc::new(store.clone()),
                Arc::new(SystemClock),
                "https://{subdomain}.portal.example",
                portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng),
            ),
            store,
            db,
            ticks: AtomicI64::new(0),
        }
    }
}

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Db {
    /// A later time on every call; ids carry it, so later records sort first. The odd
    /// milliseconds check that times keep their millisecond precision.
    fn now(&self) -> Timestamp {
        let n = self.ticks.fetch_add(1, Ordering::SeqCst) + 1;
        Timestamp::from_millis(BASE + n * 1000 + 7)
    }

    async fn account(&self, subdomain: &str) -> Account {
        self.store
            .create_account(subdomain, &format!("{subdomain} Inc"), self.now())
            .await
            .unwrap()
    }

    async fn customer(&self, account: &Account, alias: Option<&str>) -> Customer {
        customers::create(&self.app, &op(&account.id), new_customer(alias), self.now())
            .await
            .unwrap()
    }

    async fn product(&self, account: &Account) -> Product {
        catalog::create_product(
            &self.app,
            &op(&account.id),
            NewProduct {
                name: "Portico Cloud".into(),
                description: Some("Hosted portal".into()),
                self_service: true,
                active: true,
            },
            self.now(),
        )
        .await
        .unwrap()
    }

    async fn plan(&self, account: &Account, product: &Product, trial_days: i32) -> Plan {
        catalog::create_plan(
            &self.app,
            &op(&account.id),
            new_plan(product, trial_days),
            self.now(),
        )
        .await
        .unwrap()
    }

    async fn subscription(
        &self,
        account: &Account,
        customer: &Customer,
        plan: &Plan,
    ) -> Subscription {
        subscriptions::create(
            &self.app,
            &op(&account.id),
            NewSubscription {
                customer: customer.id.to_string(),
                plan: plan.id.clone(),
                quantity: 2,
                status: None,
                current_period_start: None,
                billing_cycle_anchor: None,
                cancel_at_period_end: false,
                metadata: Metadata::new(),
            },
            self.now(),
        )
        .await
        .unwrap()
    }

    async fn invoice(&self, account: &Account, customer: &Customer) -> Invoice {
        invoices::create(
            &self.app,
            &op(&account.id),
            new_invoice(customer, None),
            self.now(),
        )
        .await
        .unwrap()
    }

    async fn card(
        &self,
        account: &Account,
        customer: &Customer,
        default: Option<bool>,
    ) -> PaymentMethod {
        payment_methods::create(
            &self.app,
            &op(&account.id),
            new_card(customer, default),
            self.now(),
        )
        .await
        .unwrap()
    }

    async fn payment(
        &self,
        account: &Account,
        customer: &Customer,
        invoice: Option<&Invoice>,
        status: TransactionStatus,
        amount: i64,
    ) -> AppResult<Transaction> {
        transactions::create(
            &self.app,
            &op(&account.id),
            NewTransaction {
                customer: customer.id.to_string(),
                kind: TransactionKind::Payment,
                status,
                amount,
                currency: None,
                invoice: invoice.map(|i| i.id.clone()),
                payment_method: None,
                description: None,
                created_at: None,
            },
            self.now(),
        )
        .await
    }

    async fn contact(&self, account: &Account, customer: &Customer, role: Role) -> Contact {
        contacts::create(
            &self.app,
            &op(&account.id),
            NewContact {
                customer: customer.id.to_string(),
                external_id: None,
                email: "ana@acme.example".into(),
                name: Some("Ana".into()),
                portal_access: true,
                role,
            },
            self.now(),
        )
        .await
        .unwrap()
    }

    /// A portal session issued now for an hour, stored.
    async fn portal_session(
        &self,
        account: &Account,
        customer: &Customer,
        contact: Option<&Contact>,
        invalidate_existing: bool,
    ) -> PortalSession {
        let session = portal_session_for(customer, contact, self.now(), 3600);
        self.store
            .create_portal_session(&account.id, &session, invalidate_existing, None)
            .await
            .unwrap();
        session
    }

    /// A browser session on `session`, created now, for the cookie value `cookie`.
    async fn browser_session(
        &self,
        account: &Account,
        session: &PortalSession,
        cookie: &str,
    ) -> [u8; 32] {
        let cookie_sha256 = sha256(cookie);
        self.store
            .create_browser_session(&NewBrowserSession {
                account: account.id.clone(),
                portal_session: session.id.clone(),
                cookie_sha256,
                csrf_secret: sha256(&format!("csrf {cookie}")),
                now: self.now(),
                origin: None,
            })
            .await
            .unwrap();
        cookie_sha256
    }

    /// The view of a browser session that must exist.
    async fn view(&self, cookie_sha256: &[u8; 32]) -> BrowserSessionView {
        self.store
            .browser_session(cookie_sha256)
            .await
            .unwrap()
            .expect("browser session")
    }

    /// Opens a plain connection beside the store, for what only raw SQL can check.
    async fn raw(&self) -> RawConnection {
        self.db.raw().await
    }
}

/// Runs `sql` with `value` and `id` as `$1` and `$2` on a raw connection.
async fn set(raw: &mut RawConnection, sql: &str, value: &str, id: &str) {
    raw.execute_with(sql, &[value.to_owned(), id.to_owned()])
        .await;
}

fn new_customer(alias: Option<&str>) -> NewCustomer {
    NewCustomer {
        alias: alias.map(Into::into),
        name: "Acme GmbH".into(),
        email: Some("billing@acme.example".into()),
        currency: Currency::EUR,
        address: Address::default(),
        tax_id: None,
        invoice_recipients: Vec::new(),
        portal_enabled: true,
        metadata: Metadata::new(),
        test_clock: None,
    }
}

fn new_plan(product: &Product, trial_days: i32) -> NewPlan {
    NewPlan {
        product: product.id.clone(),
        name: "Pro".into(),
        interval: Interval::Month,
        interval_count: 1,
        unit_amount: 2900,
        currency: Currency::EUR,
        self_service: true,
        trial_days,
        min_quantity: 1,
        max_quantity: None,
        active: true,
    }
}

fn line(description: &str, quantity: i64, unit_amount: i64) -> NewInvoiceLine {
    NewInvoiceLine {
        description: description.into(),
        quantity,
        unit_amount,
        period_start: None,
        period_end: None,
    }
}

/// Lines of 2 × 29.00 less 8.00, at 19 % tax: subtotal 5000, tax 950, total 5950.
fn new_invoice(customer: &Customer, status: Option<InvoiceStatus>) -> NewInvoice {
    NewInvoice {
        customer: customer.id.to_string(),
        subscription: None,
        currency: None,
        status,
        lines: vec![line("Pro × 2", 2, 2900), line("Discount", 1, -800)],
        tax_rate_bps: 1900,
        issued_at: None,
        due_at: None,
        paid_at: None,
        metadata: Metadata::new(),
    }
}

fn new_card(customer: &Customer, default: Option<bool>) -> NewPaymentMethod {
    NewPaymentMethod {
        customer: customer.id.to_string(),
        kind: PaymentMethodKind::Card,
        brand: Some("visa".into()),
        last4: "4242".into(),
        exp_month: Some(12),
        exp_year: Some(2030),
        is_default: default,
        provider_ref: None,
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn portal_session_for(
    customer: &Customer,
    contact: Option<&Contact>,
    now: Timestamp,
    lifetime_secs: i64,
) -> PortalSession {
    PortalSession {
        id: PortalSessionId::new(now, rand::random()),
        customer: customer.id.clone(),
        contact: contact.map(|c| c.id.clone()),
        scopes: PortalScopes::read_only(),
        return_url: None,
        locale: None,
        page: PortalPage::Overview,
        issued_at: now,
        expires_at: now.plus_secs(lifetime_secs),
        revoked_at: None,
        issued_by: "key_test".into(),
        flow: None,
    }
}

fn signing_key_for(account: &Account, now: Timestamp, seed: u8) -> SigningKeyRecord {
    SigningKeyRecord {
        id: SigningKeyId::new(now, [seed; 10]),
        account: account.id.clone(),
        algorithm: "EdDSA".into(),
        public_key: (0..32).map(|i| seed.wrapping_add(i)).collect(),
        sealed_private_key: format!("sealed-v1.{seed:02x}.opaque"),
        created_at: now,
        retired_at: None,
        revoked_at: None,
    }
}

fn first<I>(limit: u32) -> PageRequest<I> {
    PageRequest::first(limit)
}

fn after<I>(limit: u32, id: &I) -> PageRequest<I>
where
    I: Clone,
{
    PageRequest::after(limit, id.clone())
}

fn by_id(c: &Customer) -> CustomerRef {
    CustomerRef::Id(c.id.clone())
}

fn by_alias(alias: &str) -> CustomerRef {
    CustomerRef::Alias(alias.to_owned())
}

#[track_caller]
fn assert_not_found<T: Debug, E: Into<AppError>>(result: Result<T, E>) {
    match result.map_err(Into::into) {
        Err(AppError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: Debug, E: Into<AppError>>(result: Result<T, E>, field: &str) {
    match result.map_err(Into::into) {
        Err(AppError::Invalid(i)) if i.field == field => {}
        other => panic!("expected Invalid({field}), got {other:?}"),
    }
}

#[track_caller]
fn assert_conflict<T: Debug, E: Into<AppError>>(result: Result<T, E>) -> String {
    match result.map_err(Into::into) {
        Err(AppError::Conflict(message)) => message,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

/// The operator of `account`, as the caller of a use case.
fn op(account: &AccountId) -> Caller {
    Caller::operator(account.clone())
}

fn ids<T, I: Clone>(list: &List<T>, id: impl Fn(&T) -> &I) -> Vec<I> {
    list.data.iter().map(|x| id(x).clone()).collect()
}

/// What one concurrent update returned: the field it changed and the row it produced.
#[derive(Debug)]
struct Write {
    renames: bool,
    name: String,
    writer: Option<String>,
}

/// Whether some serial order of the writes explains every row they returned and the row they
/// left (`end`), starting from a customer named `initial_name` without metadata.
///
/// Every value is written once, so each is current for one stretch of time: the metadata writes
/// that saw name `n` all ran while `n` was current, and the renames that saw metadata `m` all
/// ran while `m` was. A serial history is therefore: the metadata writes that saw the initial
/// name, then the renames that saw the last of those, then the metadata writes that saw the last
/// of those renames, and so on; the last of each group is forced (it is the only one that later
/// writes saw). A lost update returns or leaves a row pairing a new value with a stale one,
/// which breaks the chain: a group is left over, two values were seen after the same group,
/// or the end differs.
fn serial_order_exists(
    writes: &[Write],
    initial_name: &str,
    end: &(String, Option<String>),
) -> bool {
    use std::collections::HashMap;
    let mut saw_name: HashMap<String, Vec<Option<String>>> = HashMap::new();
    let mut saw_meta: HashMap<Option<String>, Vec<String>> = HashMap::new();
    for w in writes {
        if w.renames {
            saw_meta
                .entry(w.writer.clone())
                .or_default()
                .push(w.name.clone());
        } else {
            saw_name
                .entry(w.name.clone())
                .or_default()
                .push(w.writer.clone());
        }
    }
    let (mut name, mut meta) = (initial_name.to_owned(), None::<String>);
    let mut placed = 0;
    loop {
        let metas = saw_name.remove(&name).unwrap_or_default();
        placed += metas.len();
        if !metas.is_empty() {
            let onward: Vec<&Option<String>> =
                metas.iter().filter(|m| saw_meta.contains_key(*m)).collect();
            meta = match onward.as_slice() {
                [] => metas
                    .iter()
                    .find(|m| **m == end.1)
                    .unwrap_or(&metas[0])
                    .clone(),
                [m] => (*m).clone(),
                _ => return false,
            };
        }
        let names = saw_meta.remove(&meta).unwrap_or_default();
        if names.is_empty() {
            break;
        }
        placed += names.len();
        let onward: Vec<&String> = names.iter().filter(|n| saw_name.contains_key(*n)).collect();
        name = match onward.as_slice() {
            [] => names
                .iter()
                .find(|n| **n == end.0)
                .unwrap_or(&names[0])
                .clone(),
            [n] => (*n).clone(),
            _ => return false,
        };
    }
    placed == writes.len() && (name, meta) == *end
}

/// Every value of one text column, sorted.
async fn column_values(conn: &mut RawConnection, table: &str, column: &str) -> Vec<String> {
    let mut values: Vec<String> = conn.scalars(&format!("SELECT {column} FROM {table}")).await;
    values.sort();
    values
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every value of every text or binary column of every table, as (table, column, bytes), and
/// the names of the tables scanned.
async fn stored_values(db: &TestDatabase) -> (BTreeSet<String>, Vec<(String, String, Vec<u8>)>) {
    let mut scanned = BTreeSet::new();
    let mut out = vec![];
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for table in tables {
                scanned.insert(table.clone());
                let columns: Vec<(String, String)> =
                    sqlx::query_as("SELECT name, type FROM pragma_table_info(?1)")
                        .bind(&table)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                for (column, ty) in columns {
                    let ty = ty.to_ascii_uppercase();
                    if !(ty.contains("TEXT") || ty.contains("BLOB") || ty.contains("CHAR")) {
                        continue;
                    }
                    let values: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&format!(
                        "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\""
                    ))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    out.extend(
                        values
                            .into_iter()
                            .flatten()
                            .map(|v| (table.clone(), column.clone(), v)),
                    );
                }
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let columns: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for (table, column, ty) in columns {
                scanned.insert(table.clone());
                let select = if ty == "bytea" {
                    format!("SELECT \"{column}\" FROM \"{table}\"")
                } else {
                    format!("SELECT convert_to(\"{column}\"::text, 'UTF8') FROM \"{table}\"")
                };
                let values: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&select)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                out.extend(
                    values
                        .into_iter()
                        .flatten()
                        .map(|v| (table.clone(), column.clone(), v)),
                );
            }
        }
    }
    (scanned, out)
}
