//! Records to and from rows: each table's column list, its values in that order, and decoders.
//!
//! Inserts and write-backs are generated from the same column list as the values, so that a
//! record is always written whole and the two can never disagree on order.

use std::fmt::Display;
use std::str::FromStr;

use portico_core::event::{Actor, Event, EventType};
use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::{
    ApiKeyCredential, BrowserSessionView, OAuthClientCredential, OAuthTokenRecord,
    SigningKeyRecord, StoreError, StoreResult,
};

/// One statement parameter, owned so that a statement's parameters can be built up in a list.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<Option<i32>> for Value {
    fn from(v: Option<i32>) -> Self {
        Value::Int(v.map(i64::from))
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(Some(i64::from(v)))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Timestamp> for Value {
    fn from(v: Timestamp) -> Self {
        Value::Int(Some(v.as_millis()))
    }
}
impl From<Option<Timestamp>> for Value {
    fn from(v: Option<Timestamp>) -> Self {
        Value::Int(v.map(Timestamp::as_millis))
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}

macro_rules! id_values {
    ($($id:ty),*) => {$(
        impl From<&$id> for Value {
            fn from(v: &$id) -> Self {
                Value::Text(Some(v.as_str().to_owned()))
            }
        }
        impl From<Option<&$id>> for Value {
            fn from(v: Option<&$id>) -> Self {
                Value::Text(v.map(|v| v.as_str().to_owned()))
            }
        }
    )*};
}
id_values!(
    AccountId,
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
    OAuthClientId,
    SigningKeyId,
    EventId
);

/// Builds a parameter list: `params![account, id, now]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => { vec![$($crate::sql::rows::Value::from($v)),*] };
}
pub(super) use params;

/// A statement with its parameters bound in order (`$1` is the first).
pub(super) fn query(sql: &str, params: Vec<Value>) -> Query<'_, Any, AnyArguments<'_>> {
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

/// A table whose rows map to one record; `columns[0]` is `id`, `account_id` is implicit.
pub(super) struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    /// Soft-deleted rows (with `deleted_at` set) are invisible.
    pub soft_delete: bool,
}

/// `($1, $2), ($3, $4)` for `rows` rows of `width` parameters.
pub(super) fn placeholder_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Table {
    pub fn columns(&self) -> String {
        self.columns.join(", ")
    }

    /// `SELECT <columns> FROM <table>`, to be followed by a `WHERE` that filters on account_id.
    pub fn select(&self) -> String {
        format!("SELECT {} FROM {}", self.columns(), self.name)
    }

    /// `AND deleted_at IS NULL` where rows are soft-deleted.
    pub fn live(&self) -> &'static str {
        if self.soft_delete {
            " AND deleted_at IS NULL"
        } else {
            ""
        }
    }

    /// Inserts a record; parameters are the account then the record's values.
    /// `INSERT` of `rows` records at once; parameters are each record's account then values.
    pub fn insert_many(&self, rows: usize) -> String {
        format!(
            "INSERT INTO {} (account_id, {}) VALUES {}",
            self.name,
            self.columns(),
            placeholder_rows(rows, self.columns.len() + 1)
        )
    }

    pub fn insert(&self) -> String {
        self.insert_many(1)
    }

    /// Writes a record back whole; parameters are the account then the record's values, the
    /// first of which (`id`) selects the row.
    pub fn update(&self) -> String {
        let sets: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, c)| format!("{c} = ${}", i + 2))
            .collect();
        format!(
            "UPDATE {} SET {} WHERE account_id = $1 AND id = $2",
            self.name,
            sets.join(", ")
        )
    }
}

fn corrupt(column: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("column {column}: {e}"))
}

/// Typed reads that name the column when a stored value does not fit its record.
pub(super) trait RowExt {
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn int(&self, column: &str) -> StoreResult<i64>;
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, column: &str) -> StoreResult<bool>;
    fn bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>>;

    fn small(&self, column: &str) -> StoreResult<i32> {
        i32::try_from(self.int(column)?).map_err(|e| corrupt(column, e))
    }
    fn opt_small(&self, column: &str) -> StoreResult<Option<i32>> {
        self.opt_int(column)?
            .map(|v| i32::try_from(v).map_err(|e| corrupt(column, e)))
            .transpose()
    }
    fn ts(&self, column: &str) -> StoreResult<Timestamp> {
        self.int(column).map(Timestamp::from_millis)
    }
    fn opt_ts(&self, column: &str) -> StoreResult<Option<Timestamp>> {
        Ok(self.opt_int(column)?.map(Timestamp::from_millis))
    }
    fn parsed<T: FromStr>(&self, column: &str) -> StoreResult<T>
    where
        T::Err: Display,
    {
        self.text(column)?.parse().map_err(|e| corrupt(column, e))
    }
    fn opt_parsed<T: FromStr>(&self, column: &str) -> StoreResult<Option<T>>
    where
        T::Err: Display,
    {
        self.opt_text(column)?
            .map(|v| v.parse().map_err(|e| corrupt(column, e)))
            .transpose()
    }
    fn json<T: for<'de> Deserialize<'de>>(&self, column: &str) -> StoreResult<T> {
        serde_json::from_str(&self.text(column)?).map_err(|e| corrupt(column, e))
    }
    fn currency(&self, column: &str) -> StoreResult<Currency> {
        Currency::parse(column, &self.text(column)?).map_err(|e| corrupt(column, e))
    }
    /// A text enum of the domain (`status`, `kind`, …), parsed by its own `parse`.
    fn word<T>(
        &self,
        column: &str,
        parse: fn(&str, &str) -> ValidationResult<T>,
    ) -> StoreResult<T> {
        parse(column, &self.text(column)?).map_err(|e| corrupt(column, e))
    }
}

impl RowExt for AnyRow {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        // PostgreSQL answers a BOOLEAN; SQLite's booleans are BIGINT 0/1 (see the migration).
        match self.try_get::<bool, _>(column) {
            Ok(b) => Ok(b),
            Err(_) => self.int(column).map(|v| v != 0),
        }
    }
    fn bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        self.try_get(column).map_err(|e| corrupt(column, e))
    }
}

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

// --- accounts and API keys ---

pub(super) const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: &["id", "subdomain", "name", "settings", "created_at"],
    soft_delete: false,
};

pub(super) fn account(row: &AnyRow) -> StoreResult<Account> {
    Ok(Account {
        id: row.parsed("id")?,
        subdomain: row.text("subdomain")?,
        name: row.text("name")?,
        settings: row.json("settings")?,
        created_at: row.ts("created_at")?,
    })
}

pub(super) fn settings_json(settings: &PortalSettings) -> StoreResult<String> {
    to_json(settings)
}

pub(super) const API_KEYS: Table = Table {
    name: "api_keys",
    columns: &[
        "id",
        "name",
        "scopes",
        "secret_sha256",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(super) fn api_key_values(key: &ApiKey, secret_sha256: &[u8; 32]) -> Vec<Value> {
    params![
        &key.id,
        key.name.as_str(),
        key.scopes.to_text(),
        hash_text(secret_sha256),
        key.created_at,
        key.last_used_at,
        key.expires_at,
        key.revoked_at,
    ]
}

pub(super) fn api_key(row: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: row.parsed("id")?,
        name: row.text("name")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        created_at: row.ts("created_at")?,
        last_used_at: row.opt_ts("last_used_at")?,
        expires_at: row.opt_ts("expires_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

/// Needs `account_id` selected beside the key's columns.
pub(super) fn api_key_credential(row: &AnyRow) -> StoreResult<ApiKeyCredential> {
    Ok(ApiKeyCredential {
        account: row.parsed("account_id")?,
        key: api_key(row)?,
        secret_sha256: hash(row, "secret_sha256")?,
    })
}

// --- customers and contacts ---

pub(super) const CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        "id",
        "alias",
        "name",
        "email",
        "currency",
        "address",
        "tax_id",
        "portal_enabled",
        "metadata",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(super) fn customer_values(c: &Customer) -> StoreResult<Vec<Value>> {
    Ok(params![
        &c.id,
        c.alias.clone(),
        c.name.as_str(),
        c.email.clone(),
        c.currency.code(),
        to_json(&c.address)?,
        c.tax_id.clone(),
        c.portal_enabled,
        to_json(&c.metadata)?,
        c.created_at,
        c.updated_at,
    ])
}

pub(super) fn customer(row: &AnyRow) -> StoreResult<Customer> {
    Ok(Customer {
        id: row.parsed("id")?,
        alias: row.opt_text("alias")?,
        name: row.text("name")?,
        email: row.opt_text("email")?,
        currency: row.currency("currency")?,
        address: row.json("address")?,
        tax_id: row.opt_text("tax_id")?,
        portal_enabled: row.flag("portal_enabled")?,
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(super) const CONTACTS: Table = Table {
    name: "contacts",
    columns: &[
        "id",
        "customer_id",
        "external_id",
        "email",
        "name",
        "portal_access",
        "role",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(super) fn contact_values(c: &Contact) -> Vec<Value> {
    params![
        &c.id,
        &c.customer,
        c.external_id.clone(),
        c.email.as_str(),
        c.name.clone(),
        c.portal_access,
        c.role.as_str(),
        c.created_at,
        c.updated_at,
    ]
}

pub(super) fn contact(row: &AnyRow) -> StoreResult<Contact> {
    Ok(Contact {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        external_id: row.opt_text("external_id")?,
        email: row.text("email")?,
        name: row.opt_text("name")?,
        portal_access: row.flag("portal_access")?,
        role: row.word("role", Role::parse)?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- catalogue ---

pub(super) const PRODUCTS: Table = Table {
    name: "products",
    columns: &[
        "id",
        "name",
        "description",
        "self_service",
        "active",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(super) fn product_values(p: &Product) -> Vec<Value> {
    params![
        &p.id,
        p.name.as_str(),
        p.description.clone(),
        p.self_service,
        p.active,
        p.created_at,
        p.updated_at,
    ]
}

pub(super) fn product(row: &AnyRow) -> StoreResult<Product> {
    Ok(Product {
        id: row.parsed("id")?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        self_service: row.flag("self_service")?,
        active: row.flag("active")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(super) const PLANS: Table = Table {
    name: "plans",
    columns: &[
        "id",
        "product_id",
        "name",
        "billing_interval",
        "interval_count",
        "unit_amount",
        "currency",
        "self_service",
        "trial_days",
        "active",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(super) fn plan_values(p: &Plan) -> Vec<Value> {
    params![
        &p.id,
        &p.product,
        p.name.as_str(),
        p.interval.as_str(),
        p.interval_count,
        p.unit_amount,
        p.currency.code(),
        p.self_service,
        p.trial_days,
        p.active,
        p.created_at,
        p.updated_at,
    ]
}

pub(super) fn plan(row: &AnyRow) -> StoreResult<Plan> {
    Ok(Plan {
        id: row.parsed("id")?,
        product: row.parsed("product_id")?,
        name: row.text("name")?,
        interval: row.word("billing_interval", Interval::parse)?,
        interval_count: row.small("interval_count")?,
        unit_amount: row.int("unit_amount")?,
        currency: row.currency("currency")?,
        self_service: row.flag("self_service")?,
        trial_days: row.small("trial_days")?,
        active: row.flag("active")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- billing ---

pub(super) const SUBSCRIPTIONS: Table = Table {
    name: "subscriptions",
    columns: &[
        "id",
        "customer_id",
        "plan_id",
        "quantity",
        "status",
        "current_period_start",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "cancel_reason",
        "metadata",
        "created_at",
        "updated_at",
        "billing_cycle_anchor",
    ],
    soft_delete: false,
};

pub(super) fn subscription_values(s: &Subscription) -> StoreResult<Vec<Value>> {
    Ok(params![
        &s.id,
        &s.customer,
        &s.plan,
        s.quantity,
        s.status.as_str(),
        s.current_period_start,
        s.current_period_end,
        s.trial_end,
        s.cancel_at_period_end,
        s.canceled_at,
        s.cancel_reason.clone(),
        to_json(&s.metadata)?,
        s.created_at,
        s.updated_at,
        s.billing_cycle_anchor,
    ])
}

pub(super) fn subscription(row: &AnyRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        plan: row.parsed("plan_id")?,
        quantity: row.int("quantity")?,
        status: row.word("status", SubscriptionStatus::parse)?,
        current_period_start: row.ts("current_period_start")?,
        current_period_end: row.ts("current_period_end")?,
        trial_end: row.opt_ts("trial_end")?,
        billing_cycle_anchor: row.ts("billing_cycle_anchor")?,
        cancel_at_period_end: row.flag("cancel_at_period_end")?,
        canceled_at: row.opt_ts("canceled_at")?,
        cancel_reason: row.opt_text("cancel_reason")?,
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(super) const INVOICES: Table = Table {
    name: "invoices",
    columns: &[
        "id",
        "number",
        "customer_id",
        "subscription_id",
        "status",
        "currency",
        "lines",
        "subtotal",
        "tax_rate_bps",
        "tax",
        "total",
        "amount_paid",
        "amount_due",
        "issued_at",
        "due_at",
        "paid_at",
        "metadata",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

/// An invoice line as stored: the storage format is the store's own (times in milliseconds),
/// so that the API's JSON shape can change without touching stored invoices.
#[derive(Serialize, Deserialize)]
struct StoredLine {
    description: String,
    quantity: i64,
    unit_amount: i64,
    amount: i64,
    period_start: Option<i64>,
    period_end: Option<i64>,
}

pub(super) fn invoice_values(i: &Invoice) -> StoreResult<Vec<Value>> {
    let lines: Vec<StoredLine> = i
        .lines
        .iter()
        .map(|l| StoredLine {
            description: l.description.clone(),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            amount: l.amount,
            period_start: l.period_start.map(Timestamp::as_millis),
            period_end: l.period_end.map(Timestamp::as_millis),
        })
        .collect();
    Ok(params![
        &i.id,
        i.number.as_str(),
        &i.customer,
        i.subscription.as_ref(),
        i.status.as_str(),
        i.currency.code(),
        to_json(&lines)?,
        i.subtotal,
        i.tax_rate_bps,
        i.tax,
        i.total,
        i.amount_paid,
        i.amount_due,
        i.issued_at,
        i.due_at,
        i.paid_at,
        to_json(&i.metadata)?,
        i.created_at,
        i.updated_at,
    ])
}

pub(super) fn invoice(row: &AnyRow) -> StoreResult<Invoice> {
    let lines: Vec<StoredLine> = row.json("lines")?;
    Ok(Invoice {
        id: row.parsed("id")?,
        number: row.text("number")?,
        customer: row.parsed("customer_id")?,
        subscription: row.opt_parsed("subscription_id")?,
        status: row.word("status", InvoiceStatus::parse)?,
        currency: row.currency("currency")?,
        lines: lines
            .into_iter()
            .map(|l| InvoiceLine {
                description: l.description,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                amount: l.amount,
                period_start: l.period_start.map(Timestamp::from_millis),
                period_end: l.period_end.map(Timestamp::from_millis),
            })
            .collect(),
        subtotal: row.int("subtotal")?,
        tax_rate_bps: row.int("tax_rate_bps")?,
        tax: row.int("tax")?,
        total: row.int("total")?,
        amount_paid: row.int("amount_paid")?,
        amount_due: row.int("amount_due")?,
        issued_at: row.opt_ts("issued_at")?,
        due_at: row.opt_ts("due_at")?,
        paid_at: row.opt_ts("paid_at")?,
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(super) const TRANSACTIONS: Table = Table {
    name: "transactions",
    columns: &[
        "id",
        "customer_id",
        "kind",
        "status",
        "amount",
        "currency",
        "invoice_id",
        "payment_method_id",
        "description",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(super) fn transaction_values(t: &Transaction) -> Vec<Value> {
    params![
        &t.id,
        &t.customer,
        t.kind.as_str(),
        t.status.as_str(),
        t.amount,
        t.currency.code(),
        t.invoice.as_ref(),
        t.payment_method.as_ref(),
        t.description.clone(),
        t.created_at,
        t.updated_at,
    ]
}

pub(super) fn transaction(row: &AnyRow) -> StoreResult<Transaction> {
    Ok(Transaction {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        kind: row.word("kind", TransactionKind::parse)?,
        status: row.word("status", TransactionStatus::parse)?,
        amount: row.int("amount")?,
        currency: row.currency("currency")?,
        invoice: row.opt_parsed("invoice_id")?,
        payment_method: row.opt_parsed("payment_method_id")?,
        description: row.opt_text("description")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(super) const PAYMENT_METHODS: Table = Table {
    name: "payment_methods",
    columns: &[
        "id",
        "customer_id",
        "kind",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "is_default",
        "provider_ref",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(super) fn payment_method_values(p: &PaymentMethod) -> Vec<Value> {
    params![
        &p.id,
        &p.customer,
        p.kind.as_str(),
        p.brand.clone(),
        p.last4.as_str(),
        p.exp_month,
        p.exp_year,
        p.is_default,
        p.provider_ref.clone(),
        p.created_at,
        p.updated_at,
    ]
}

pub(super) fn payment_method(row: &AnyRow) -> StoreResult<PaymentMethod> {
    Ok(PaymentMethod {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        kind: row.word("kind", PaymentMethodKind::parse)?,
        brand: row.opt_text("brand")?,
        last4: row.text("last4")?,
        exp_month: row.opt_small("exp_month")?,
        exp_year: row.opt_small("exp_year")?,
        is_default: row.flag("is_default")?,
        provider_ref: row.opt_text("provider_ref")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- portal access ---

/// A SHA-256 as it is stored: lowercase hex.
pub(super) fn hash_text(sha256: &[u8; 32]) -> String {
    hex::encode(sha256)
}

fn hash(row: &AnyRow, column: &str) -> StoreResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(row.text(column)?, &mut out).map_err(|e| corrupt(column, e))?;
    Ok(out)
}

pub(super) const SIGNING_KEYS: Table = Table {
    name: "signing_keys",
    columns: &[
        "id",
        "algorithm",
        "public_key",
        "sealed_private_key",
        "created_at",
        "retired_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(super) fn signing_key_values(k: &SigningKeyRecord) -> Vec<Value> {
    params![
        &k.id,
        k.algorithm.as_str(),
        hex::encode(&k.public_key),
        k.sealed_private_key.as_str(),
        k.created_at,
        k.retired_at,
        k.revoked_at,
    ]
}

/// Needs `account_id` selected beside the key's columns.
pub(super) fn signing_key(row: &AnyRow) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        algorithm: row.text("algorithm")?,
        public_key: hex::decode(row.text("public_key")?).map_err(|e| corrupt("public_key", e))?,
        sealed_private_key: row.text("sealed_private_key")?,
        created_at: row.ts("created_at")?,
        retired_at: row.opt_ts("retired_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

pub(super) const PORTAL_SESSIONS: Table = Table {
    name: "portal_sessions",
    columns: &[
        "id",
        "customer_id",
        "contact_id",
        "scopes",
        "return_url",
        "locale",
        "page",
        "issued_at",
        "expires_at",
        "revoked_at",
        "issued_by",
    ],
    soft_delete: false,
};

pub(super) fn portal_session_values(s: &PortalSession) -> Vec<Value> {
    params![
        &s.id,
        &s.customer,
        s.contact.as_ref(),
        s.scopes.to_text(),
        s.return_url.clone(),
        s.locale.clone(),
        s.page.as_str(),
        s.issued_at,
        s.expires_at,
        s.revoked_at,
        s.issued_by.as_str(),
    ]
}

pub(super) fn portal_session(row: &AnyRow) -> StoreResult<PortalSession> {
    Ok(PortalSession {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        contact: row.opt_parsed("contact_id")?,
        scopes: PortalScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        return_url: row.opt_text("return_url")?,
        locale: row.opt_text("locale")?,
        page: row.word("page", PortalPage::parse)?,
        issued_at: row.ts("issued_at")?,
        expires_at: row.ts("expires_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
        issued_by: row.text("issued_by")?,
    })
}

/// The columns [`browser_session_view`] reads, over `browser_sessions b`, `portal_sessions p`,
/// `customers c` and the left-joined `contacts k`.
pub(super) fn browser_session_view_columns() -> String {
    let session: Vec<String> = PORTAL_SESSIONS
        .columns
        .iter()
        .map(|c| format!("p.{c}"))
        .collect();
    format!(
        "b.account_id, b.csrf_secret, b.created_at AS browser_created_at, b.last_seen_at, \
         b.ended_at, {}, c.deleted_at AS customer_deleted_at, c.portal_enabled, \
         k.id AS contact_found, k.deleted_at AS contact_deleted_at, k.portal_access, k.role",
        session.join(", ")
    )
}

pub(super) fn browser_session_view(row: &AnyRow) -> StoreResult<BrowserSessionView> {
    let session = portal_session(row)?;
    let customer_active =
        row.opt_int("customer_deleted_at")?.is_none() && row.flag("portal_enabled")?;
    // A customer session has no contact to lose; a contact session needs its contact alive,
    // with portal access (the left join finds no row once the contact is gone for good).
    let (contact_active, contact_role) = match (&session.contact, row.opt_text("contact_found")?) {
        (None, _) => (true, None),
        (Some(_), None) => (false, None),
        (Some(_), Some(_)) => {
            let active =
                row.opt_int("contact_deleted_at")?.is_none() && row.flag("portal_access")?;
            let role = if active {
                Some(row.word("role", Role::parse)?)
            } else {
                None
            };
            (active, role)
        }
    };
    Ok(BrowserSessionView {
        account: row.parsed("account_id")?,
        session,
        csrf_secret: hash(row, "csrf_secret")?,
        created_at: row.ts("browser_created_at")?,
        last_seen_at: row.ts("last_seen_at")?,
        ended_at: row.opt_ts("ended_at")?,
        customer_active,
        contact_role,
        contact_active,
    })
}

pub(super) const OAUTH_CLIENTS: Table = Table {
    name: "oauth_clients",
    columns: &[
        "id",
        "name",
        "scopes",
        "secret_sha256",
        "created_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(super) fn oauth_client_values(c: &OAuthClient, secret_sha256: &[u8; 32]) -> Vec<Value> {
    params![
        &c.id,
        c.name.as_str(),
        c.scopes.to_text(),
        hash_text(secret_sha256),
        c.created_at,
        c.revoked_at,
    ]
}

pub(super) fn oauth_client(row: &AnyRow) -> StoreResult<OAuthClient> {
    Ok(OAuthClient {
        id: row.parsed("id")?,
        name: row.text("name")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        created_at: row.ts("created_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

/// Needs `account_id` selected beside the client's columns.
pub(super) fn oauth_client_credential(row: &AnyRow) -> StoreResult<OAuthClientCredential> {
    Ok(OAuthClientCredential {
        account: row.parsed("account_id")?,
        client: oauth_client(row)?,
        secret_sha256: hash(row, "secret_sha256")?,
    })
}

pub(super) fn oauth_token(row: &AnyRow) -> StoreResult<OAuthTokenRecord> {
    Ok(OAuthTokenRecord {
        account: row.parsed("account_id")?,
        client: row.parsed("client_id")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        expires_at: row.ts("expires_at")?,
    })
}

/// The outbox's columns, for reading events back.
pub(super) const OUTBOX_SELECT: &str =
    "SELECT id, account_id, type, customer_id, actor, data, created_at FROM outbox";

pub(super) fn event(row: &AnyRow) -> StoreResult<Event> {
    let kind = row.text("type")?;
    let actor = row.text("actor")?;
    Ok(Event {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        kind: EventType::parse(&kind).ok_or_else(|| corrupt("type", kind))?,
        customer: row.opt_parsed("customer_id")?,
        actor: Actor::parse(&actor).ok_or_else(|| corrupt("actor", actor))?,
        data: row.json("data")?,
        created_at: row.ts("created_at")?,
    })
}
