//! Transactions: payments and refunds of a customer, against an invoice or not.

use portico_core::model::{Transaction, TransactionKind};
use portico_core::{CustomerId, TransactionId};

use super::UnitOfWork;
use crate::sql::rows::{self, TRANSACTIONS, params, query};
use crate::sql::statements::{hard_delete, insert, locked_child, save};
use crate::sql::write_error;
use crate::{StoreError, StoreResult};

pub struct Transactions<'u>(pub(super) &'u mut UnitOfWork);

impl Transactions<'_> {
    /// A transaction, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, id: &TransactionId) -> StoreResult<Option<Transaction>> {
        let (conn, backend, account) = self.0.parts();
        locked_child(
            conn,
            backend,
            &TRANSACTIONS,
            account,
            id.as_str(),
            rows::transaction,
        )
        .await
    }

    /// The refunds of a customer the caller has locked, oldest first, read in the unit (so a
    /// refund another unit recorded before the lock was taken is among them).
    pub async fn refunds_of(&mut self, customer: &CustomerId) -> StoreResult<Vec<Transaction>> {
        let (conn, _, account) = self.0.parts();
        let sql = format!(
            "{} WHERE account_id = $1 AND customer_id = $2 AND kind = $3 ORDER BY id",
            TRANSACTIONS.select()
        );
        query(
            &sql,
            params![account, customer, TransactionKind::Refund.as_str()],
        )
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(rows::transaction)
        .collect()
    }

    /// A new transaction of a customer the caller has locked.
    pub async fn insert(&mut self, transaction: &Transaction) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        insert(
            conn,
            &TRANSACTIONS,
            account,
            rows::transaction_values(transaction),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("transaction {}", transaction.id),
                // The customer is locked, the invoice too, and payment methods are only
                // ever soft-deleted: nothing can miss.
                StoreError::Database,
            )
        })?;
        self.0.customer_changed(&transaction.customer);
        Ok(())
    }

    pub async fn save(&mut self, transaction: &Transaction) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(
            conn,
            &TRANSACTIONS,
            account,
            rows::transaction_values(transaction),
        )
        .await?;
        self.0.customer_changed(&transaction.customer);
        Ok(())
    }

    /// Deletes the transaction for good.
    pub async fn delete(&mut self, transaction: &Transaction) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        let id = &transaction.id;
        hard_delete(conn, &TRANSACTIONS, account, id.as_str(), || {
            format!("transaction {id} is still referred to")
        })
        .await?;
        self.0.customer_changed(&transaction.customer);
        Ok(())
    }
}
