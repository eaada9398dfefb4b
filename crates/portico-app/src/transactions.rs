//! Transactions: payments and refunds. A succeeded payment against an invoice pays it down in
//! the same unit.

use portico_core::event::EventType;
use portico_core::model::{NewTransaction, Transaction, TransactionPatch, TransactionStatus};
use portico_core::{Timestamp, TransactionId};

use crate::error::{no_such, other_customer};
use crate::invoices::apply_payment;
use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewTransaction,
    now: Timestamp,
) -> AppResult<Transaction> {
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, &input.customer).await?;
    let invoice = match &input.invoice {
        Some(invoice_id) => {
            let invoice = uow
                .invoices()
                .lock_of_locked_customer(invoice_id)
                .await?
                .ok_or_else(|| no_such("invoice", "invoice", invoice_id))?;
            if invoice.customer != customer.id {
                return Err(other_customer("invoice", "invoice", invoice_id));
            }
            Some(invoice)
        }
        None => None,
    };
    if let Some(pm_id) = &input.payment_method {
        let pm = uow
            .payment_methods()
            .find(pm_id)
            .await?
            .ok_or_else(|| no_such("payment_method", "payment method", pm_id))?;
        if pm.customer != customer.id {
            return Err(other_customer("payment_method", "payment method", pm_id));
        }
    }
    let id = TransactionId::new(now, entropy());
    let transaction = Transaction::create(id, &customer, invoice.as_ref(), input, now)?;
    if let (true, Some(invoice)) = (transaction.pays_invoice(), invoice) {
        apply_payment(&mut uow, invoice, transaction.amount, now).await?;
    }
    uow.transactions().insert(&transaction).await?;
    let customer = Some(&transaction.customer);
    uow.record(EventType::TransactionCreated, customer, &transaction)?;
    uow.commit().await?;
    Ok(transaction)
}

/// A pending payment that succeeds pays its invoice now, as a new one would have.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    id: &TransactionId,
    patch: TransactionPatch,
    now: Timestamp,
) -> AppResult<Transaction> {
    let mut uow = app.begin(by, now).await?;
    let current = lock(&mut uow, id).await?;
    let paid_before = current.pays_invoice();
    let updated = patch.apply(current, now)?;
    if let (false, true, Some(invoice_id)) = (paid_before, updated.pays_invoice(), &updated.invoice)
    {
        let invoice = uow
            .invoices()
            .lock_of_locked_customer(invoice_id)
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!("transaction {id} refers to a missing invoice").into())
            })?;
        apply_payment(&mut uow, invoice, updated.amount, now).await?;
    }
    uow.transactions().save(&updated).await?;
    uow.record(
        EventType::TransactionUpdated,
        Some(&updated.customer),
        &updated,
    )?;
    uow.commit().await?;
    Ok(updated)
}

/// Only pending or failed transactions can be deleted.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(
    app: &App,
    by: &Caller,
    id: &TransactionId,
    now: Timestamp,
) -> AppResult<Transaction> {
    let mut uow = app.begin(by, now).await?;
    let transaction = lock(&mut uow, id).await?;
    if transaction.status == TransactionStatus::Succeeded {
        return Err(AppError::Conflict(format!(
            "transaction {id} succeeded and cannot be deleted; record a refund instead"
        )));
    }
    uow.transactions().delete(&transaction).await?;
    let customer = Some(&transaction.customer);
    uow.record(EventType::TransactionDeleted, customer, &transaction)?;
    uow.commit().await?;
    Ok(transaction)
}

async fn lock(uow: &mut portico_store::UnitOfWork, id: &TransactionId) -> AppResult<Transaction> {
    uow.transactions()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("transaction", id))
}
