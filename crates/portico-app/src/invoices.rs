//! Invoices: issue (numbered from the account's sequence), change, delete drafts.

use portico_core::event::EventType;
use portico_core::model::{Invoice, InvoicePatch, InvoiceStatus, NewInvoice};
use portico_core::{InvoiceId, Timestamp};

use crate::error::{no_such, other_customer};
use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewInvoice,
    now: Timestamp,
) -> AppResult<Invoice> {
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, &input.customer).await?;
    if let Some(sub_id) = &input.subscription {
        let subscription = uow
            .subscriptions()
            .find(sub_id)
            .await?
            .ok_or_else(|| no_such("subscription", "subscription", sub_id))?;
        if subscription.customer != customer.id {
            return Err(other_customer("subscription", "subscription", sub_id));
        }
    }
    let number = uow.invoices().next_number().await?;
    let invoice = Invoice::create(
        InvoiceId::new(now, entropy()),
        number,
        &customer,
        input,
        now,
    )?;
    uow.invoices().insert(&invoice).await?;
    uow.record(EventType::InvoiceCreated, Some(&invoice.customer), &invoice)?;
    if invoice.status == InvoiceStatus::Open {
        uow.record(EventType::InvoiceIssued, Some(&invoice.customer), &invoice)?;
    }
    uow.commit().await?;
    Ok(invoice)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    id: &InvoiceId,
    patch: InvoicePatch,
    now: Timestamp,
) -> AppResult<Invoice> {
    let mut uow = app.begin(by, now).await?;
    let current = lock(&mut uow, id).await?;
    let was = current.status;
    let updated = patch.apply(current, now)?;
    uow.invoices().save(&updated).await?;
    uow.record(
        change_kind(was, &updated),
        Some(&updated.customer),
        &updated,
    )?;
    uow.commit().await?;
    Ok(updated)
}

/// Only drafts can be deleted; others answer `Conflict` (void them instead).
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(app: &App, by: &Caller, id: &InvoiceId, now: Timestamp) -> AppResult<Invoice> {
    let mut uow = app.begin(by, now).await?;
    let invoice = lock(&mut uow, id).await?;
    if invoice.status != InvoiceStatus::Draft {
        return Err(AppError::Conflict(format!(
            "invoice {} is {}; only drafts can be deleted (void it instead)",
            invoice.number, invoice.status
        )));
    }
    uow.invoices().delete(&invoice).await?;
    uow.record(EventType::InvoiceDeleted, Some(&invoice.customer), &invoice)?;
    uow.commit().await?;
    Ok(invoice)
}

/// The event of a change of an invoice that was `was`: issued (a draft opened), paid or voided
/// by it, else updated.
pub(crate) fn change_kind(was: InvoiceStatus, now: &Invoice) -> EventType {
    match now.status {
        InvoiceStatus::Open if was == InvoiceStatus::Draft => EventType::InvoiceIssued,
        InvoiceStatus::Paid if was != InvoiceStatus::Paid => EventType::InvoicePaid,
        InvoiceStatus::Void if was != InvoiceStatus::Void => EventType::InvoiceVoided,
        _ => EventType::InvoiceUpdated,
    }
}

async fn lock(uow: &mut portico_store::UnitOfWork, id: &InvoiceId) -> AppResult<Invoice> {
    uow.invoices()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("invoice", id))
}

/// Pays the invoice down by `amount` in the caller's unit, with its event; paid, it ends the
/// dunning of the renewal it bills, if it bills one.
pub(crate) async fn apply_payment(
    uow: &mut portico_store::UnitOfWork,
    mut invoice: Invoice,
    amount: i64,
    now: Timestamp,
) -> AppResult<()> {
    invoice.apply_payment(amount, now)?;
    uow.invoices().save(&invoice).await?;
    let kind = if invoice.status == InvoiceStatus::Paid {
        crate::billing::dunning::settled(uow, &invoice.id, now).await?;
        EventType::InvoicePaid
    } else {
        EventType::InvoiceUpdated
    };
    uow.record(kind, Some(&invoice.customer), &invoice)?;
    Ok(())
}
