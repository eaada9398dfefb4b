//! Invoices: numbered from the account's sequence, paid down by transactions.

use portico_core::InvoiceId;
use portico_core::model::Invoice;

use super::UnitOfWork;
use crate::sql::rows::{self, INVOICES, RowExt, params, query};
use crate::sql::statements::{find, for_update, hard_delete, insert, locked_child, save};
use crate::sql::store::documents::{forget_issued_parties, keep_issued_parties};
use crate::sql::write_error;
use crate::{StoreError, StoreResult};

pub struct Invoices<'u>(pub(super) &'u mut UnitOfWork);

impl Invoices<'_> {
    /// An invoice, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, id: &InvoiceId) -> StoreResult<Option<Invoice>> {
        let (conn, backend, account) = self.0.parts();
        locked_child(
            conn,
            backend,
            &INVOICES,
            account,
            id.as_str(),
            rows::invoice,
        )
        .await
    }

    /// An invoice of a customer the caller has already locked, locked itself.
    pub async fn lock_of_locked_customer(
        &mut self,
        id: &InvoiceId,
    ) -> StoreResult<Option<Invoice>> {
        let (conn, backend, account) = self.0.parts();
        find(
            conn,
            &INVOICES,
            account,
            id.as_str(),
            for_update(backend),
            rows::invoice,
        )
        .await
    }

    /// The next invoice number of the account (`ACME-0042`). Taking it locks the account's row
    /// until the unit ends, so concurrent invoices get consecutive numbers, and a unit that
    /// rolls back gives its number back (no gaps).
    pub async fn next_number(&mut self) -> StoreResult<String> {
        let (conn, _, account) = self.0.parts();
        let seq = query(
            "UPDATE accounts SET invoice_seq = invoice_seq + 1 WHERE id = $1 \
             RETURNING invoice_seq, subdomain",
            params![account],
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::not_found("account", account))?;
        Ok(format!(
            "{}-{:04}",
            seq.text("subdomain")?.to_ascii_uppercase(),
            seq.int("invoice_seq")?
        ))
    }

    /// A new invoice of a customer the caller has locked; its number must be unused.
    pub async fn insert(&mut self, invoice: &Invoice) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        insert(conn, &INVOICES, account, rows::invoice_values(invoice)?)
            .await
            .map_err(|e| {
                write_error(
                    e,
                    || format!("invoice number {}", invoice.number),
                    // The customer is locked and subscriptions are never deleted: nothing can
                    // miss.
                    StoreError::Database,
                )
            })?;
        keep_issued_parties(conn, account, invoice).await?;
        self.0.customer_changed(&invoice.customer);
        Ok(())
    }

    /// Saves the invoice; the first save that issues it keeps its parties as they are now.
    pub async fn save(&mut self, invoice: &Invoice) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(conn, &INVOICES, account, rows::invoice_values(invoice)?).await?;
        keep_issued_parties(conn, account, invoice).await?;
        self.0.customer_changed(&invoice.customer);
        Ok(())
    }

    /// Deletes the invoice for good; `Conflict` while transactions refer to it.
    pub async fn delete(&mut self, invoice: &Invoice) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        hard_delete(conn, &INVOICES, account, invoice.id.as_str(), || {
            format!("invoice {} has transactions", invoice.number)
        })
        .await?;
        forget_issued_parties(conn, account, &invoice.id).await?;
        self.0.customer_changed(&invoice.customer);
        Ok(())
    }
}
