//! Records to and from rows: each table's column list, its values in that order, and decoders.
//!
//! Inserts and write-backs are generated from the same column list as the values, so that a
//! record is always written whole and the two can never disagree on order.

mod access;
mod accounts;
mod billing;
mod catalog;
mod customers;
mod events;
mod payments;
mod webhooks;

pub(super) use access::*;
pub(super) use accounts::*;
pub(super) use billing::*;
pub(super) use catalog::*;
pub(super) use customers::*;
pub(super) use events::*;
pub(super) use payments::*;
pub(super) use webhooks::*;

use std::fmt::Display;
use std::str::FromStr;

use portico_core::event::{Actor, Event, EventType, Origin};
use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use serde::{Deserialize, Serialize};

use super::db::{Query, Row};

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

/// A statement with its parameters, bound in order (`$1` is the first) when it runs.
pub(super) fn query(sql: &str, params: Vec<Value>) -> Query<'_> {
    Query::new(sql, params)
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

impl RowExt for Row {
    fn text(&self, column: &str) -> StoreResult<String> {
        required(column, self.opt_text(column)?)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column).map_err(|e| corrupt(column, e))
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        required(column, self.opt_int(column)?)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.get(column).map_err(|e| corrupt(column, e))
    }
    fn flag(&self, column: &str) -> StoreResult<bool> {
        // PostgreSQL stores a BOOLEAN; SQLite a BIGINT 0 or 1 (see its first migration).
        match self {
            Row::Sqlite(_) | Row::Native(_) => self.int(column).map(|v| v != 0),
            Row::Postgres(_) => required(column, self.get(column).map_err(|e| corrupt(column, e))?),
        }
    }
    fn bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        self.get(column).map_err(|e| corrupt(column, e))
    }
}

/// A value a record cannot do without.
fn required<T>(column: &str, value: Option<T>) -> StoreResult<T> {
    value.ok_or_else(|| corrupt(column, "NULL where a value is required"))
}

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

// --- accounts and API keys ---

/// A SHA-256 as it is stored: lowercase hex.
pub(super) fn hash_text(sha256: &[u8; 32]) -> String {
    hex::encode(sha256)
}

fn hash(row: &Row, column: &str) -> StoreResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(row.text(column)?, &mut out).map_err(|e| corrupt(column, e))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
