//! Statements shared by the write side (the unit of work's repositories) and the read side:
//! finding, inserting, saving and deleting one record of a table, scoped to its account.

use super::Backend;
use super::db::{Conn, Row};
use super::rows::{self, CONTACTS, CUSTOMERS, RowExt, Table, Value, params, query};
use crate::{StoreError, StoreResult};
use portico_core::model::*;
use portico_core::*;

pub(super) type Decode<T> = fn(&Row) -> StoreResult<T>;

/// The suffix that locks the rows a `SELECT` reads until the transaction ends. SQLite has no
/// row locks (nor the syntax): its write transactions already hold the database write lock.
pub(super) fn for_update(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    }
}

pub(super) fn no_such(field: &str, kind: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(Invalid::new(field, format!("no such {kind}: '{value}'")))
}

pub(super) fn other_customer(field: &str, kind: &str, value: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(Invalid::new(
        field,
        format!("{kind} '{value}' belongs to another customer"),
    ))
}

/// One live record of `table` by id in `account`; `lock` is `""` or [`for_update`].
pub(super) async fn find<T>(
    conn: &mut Conn,
    table: &Table,
    account: &AccountId,
    id: &str,
    lock: &str,
    decode: Decode<T>,
) -> StoreResult<Option<T>> {
    let sql = format!(
        "{} WHERE account_id = $1 AND id = $2{}{lock}",
        table.select(),
        table.live()
    );
    query(&sql, params![account, id])
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| decode(&row))
        .transpose()
}

pub(super) async fn insert(
    conn: &mut Conn,
    table: &Table,
    account: &AccountId,
    values: Vec<Value>,
) -> Result<(), sqlx::Error> {
    execute_row(conn, &table.insert(), account, values).await
}

/// Writes a whole record back over its row.
pub(super) async fn save(
    conn: &mut Conn,
    table: &Table,
    account: &AccountId,
    values: Vec<Value>,
) -> Result<(), sqlx::Error> {
    execute_row(conn, &table.update(), account, values).await
}

/// Runs a row's insert or update: the account first, then the row's values.
async fn execute_row(
    conn: &mut Conn,
    sql: &str,
    account: &AccountId,
    values: Vec<Value>,
) -> Result<(), sqlx::Error> {
    let mut p = params![account];
    p.extend(values);
    query(sql, p).execute(&mut *conn).await?;
    Ok(())
}

/// A customer that is not deleted, by id or alias.
pub(super) async fn find_customer(
    conn: &mut Conn,
    account: &AccountId,
    customer: &CustomerRef,
    lock: &str,
) -> StoreResult<Option<Customer>> {
    let (column, value): (&str, Value) = match customer {
        CustomerRef::Id(id) => ("id", id.into()),
        CustomerRef::Alias(alias) => ("alias", alias.as_str().into()),
    };
    let sql = format!(
        "{} WHERE account_id = $1 AND {column} = $2 AND deleted_at IS NULL{lock}",
        CUSTOMERS.select()
    );
    query(&sql, vec![account.into(), value])
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::customer(&row))
        .transpose()
}

pub(super) fn contact_ref_text(contact: &ContactRef) -> &str {
    match contact {
        ContactRef::Id(id) => id.as_str(),
        ContactRef::ExternalId(x) => x,
    }
}

pub(super) async fn find_contact(
    conn: &mut Conn,
    account: &AccountId,
    contact: &ContactRef,
) -> StoreResult<Contact> {
    let (column, value): (&str, Value) = match contact {
        ContactRef::Id(id) => ("id", id.into()),
        ContactRef::ExternalId(x) => ("external_id", x.as_str().into()),
    };
    let sql = format!(
        "{} WHERE account_id = $1 AND {column} = $2 AND deleted_at IS NULL",
        CONTACTS.select()
    );
    query(&sql, vec![account.into(), value])
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::contact(&row))
        .transpose()?
        .ok_or_else(|| StoreError::not_found("contact", contact_ref_text(contact)))
}

/// Marks a record deleted (it keeps its row for the history that refers to it).
pub(super) async fn soft_delete(
    conn: &mut Conn,
    table: &Table,
    account: &AccountId,
    id: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE {} SET deleted_at = $3, updated_at = $3 WHERE account_id = $1 AND id = $2",
        table.name
    );
    query(&sql, params![account, id, now])
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn soft_delete_keeping_updated_at(
    conn: &mut Conn,
    account: &AccountId,
    id: &PaymentMethodId,
    removed_at: Timestamp,
) -> Result<(), sqlx::Error> {
    query(
        "UPDATE payment_methods SET deleted_at = $3 WHERE account_id = $1 AND id = $2",
        params![account, id, removed_at],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes a row for good; a row that others still refer to is refused with `in_use`.
pub(super) async fn hard_delete(
    conn: &mut Conn,
    table: &Table,
    account: &AccountId,
    id: &str,
    in_use: impl FnOnce() -> String,
) -> StoreResult<()> {
    let sql = format!(
        "DELETE FROM {} WHERE account_id = $1 AND id = $2",
        table.name
    );
    match query(&sql, params![account, id]).execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
            Err(StoreError::Conflict(in_use()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether any row of `table` in `account` has `column = value`.
pub(super) async fn exists(
    conn: &mut Conn,
    table: &str,
    account: &AccountId,
    column: &str,
    value: Value,
) -> StoreResult<bool> {
    let sql =
        format!("SELECT 1 AS one FROM {table} WHERE account_id = $1 AND {column} = $2 LIMIT 1");
    Ok(query(&sql, vec![account.into(), value])
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// Clears the default flag on a customer's payment methods, before another one takes it.
pub(super) async fn clear_default_payment_method(
    conn: &mut Conn,
    account: &AccountId,
    customer: &CustomerId,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    query(
        "UPDATE payment_methods SET is_default = FALSE, updated_at = $3 \
         WHERE account_id = $1 AND customer_id = $2 AND is_default = TRUE \
         AND deleted_at IS NULL",
        params![account, customer, now],
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) fn alias_exists(customer: &Customer) -> String {
    match &customer.alias {
        Some(alias) => format!("a customer with alias '{alias}'"),
        None => format!("customer {}", customer.id),
    }
}

pub(super) fn external_id_exists(contact: &Contact) -> String {
    match &contact.external_id {
        Some(x) => format!("a contact with external_id '{x}'"),
        None => format!("contact {}", contact.id),
    }
}

/// Revokes the live portal sessions whose `column` (`customer_id` or `contact_id`) is `id`;
/// returns them as they are now.
pub(super) async fn revoke_live_sessions(
    conn: &mut Conn,
    account: &AccountId,
    column: &'static str,
    id: &str,
    now: Timestamp,
) -> StoreResult<Vec<PortalSession>> {
    let sql = format!(
        "UPDATE portal_sessions SET revoked_at = $3 \
         WHERE account_id = $1 AND {column} = $2 AND revoked_at IS NULL AND expires_at > $3 \
         RETURNING {}",
        rows::PORTAL_SESSIONS.columns()
    );
    query(&sql, params![account, id, now])
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::portal_session)
        .collect()
}

/// Locks a customer's row (deleted or not) before its records are changed; see the locking
/// order in `store.rs`. SQLite's write transactions are already exclusive.
pub(super) async fn lock_customer(
    conn: &mut Conn,
    backend: Backend,
    account: &AccountId,
    customer: &CustomerId,
) -> StoreResult<()> {
    if backend == Backend::Postgres {
        query(
            "SELECT id FROM customers WHERE account_id = $1 AND id = $2 FOR UPDATE",
            params![account, customer],
        )
        .fetch_optional(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A customer's record for editing: its customer is locked first, then the row itself.
/// `None` when there is no such live record.
pub(super) async fn locked_child<T>(
    conn: &mut Conn,
    backend: Backend,
    table: &Table,
    account: &AccountId,
    id: &str,
    decode: Decode<T>,
) -> StoreResult<Option<T>> {
    if backend == Backend::Postgres {
        // The owner never changes, so reading it before holding any lock is safe.
        let sql = format!(
            "SELECT customer_id FROM {} WHERE account_id = $1 AND id = $2{}",
            table.name,
            table.live()
        );
        let Some(row) = query(&sql, params![account, id])
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let owner: CustomerId = row.parsed("customer_id")?;
        lock_customer(conn, backend, account, &owner).await?;
    }
    find(conn, table, account, id, for_update(backend), decode).await
}

/// For writes whose only foreign key that can miss is the account's.
pub(super) fn no_account(account: &AccountId) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |_| StoreError::not_found("account", account)
}
