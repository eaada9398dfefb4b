//! Collecting a renewal's invoice: the charge at the renewal, and after a failure the account's
//! retries (past due meanwhile); after the last one the account's rule (cancel, or leave the
//! invoice unpaid). A payment from anywhere (the clock, the portal, the API) ends dunning and
//! returns the subscription to active.

use portico_core::event::EventType;
use portico_core::model::{
    DunningEndRule, InvoiceStatus, PaymentAttemptStatus, SubscriptionStatus,
};
use portico_core::{AccountId, InvoiceId, SubscriptionId, Timestamp};
use portico_store::{Renewal, UnitOfWork};

use super::system;
use crate::payments::{self, PayInput};
use crate::subscriptions::{can_charge, save_recorded};
use crate::{App, AppError, AppResult};

/// Charges every invoice of the subscription's renewals that is due at `now`, off-session
/// through the account's provider (outside any unit of work), and settles each failure.
/// A provider that does not answer (or a charge still in progress) leaves the charge due, for
/// a later run (the same key resumes it).
#[tracing::instrument(skip_all, fields(account = %account, subscription = %id))]
pub async fn collect(
    app: &App,
    account: &AccountId,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<Collected> {
    let by = system(account);
    let mut done = Collected::default();
    for renewal in app.store.renewals(account, id).await? {
        let (Some(invoice_id), Some(due)) = (&renewal.invoice, renewal.next_charge_at) else {
            continue;
        };
        if due > now {
            continue;
        }
        let invoice = app.store.invoice(account, invoice_id).await?;
        if invoice.status != InvoiceStatus::Open {
            // Paid, voided or written off meanwhile: nothing is left to collect.
            let mut uow = app.begin(&by, now).await?;
            settled(&mut uow, invoice_id, now).await?;
            uow.commit().await?;
            continue;
        }
        if can_charge(app, &by, &invoice.customer, now).await? {
            let input = PayInput {
                invoice: invoice_id.clone(),
                payment_method: None,
                // One key per try: a repeated run resumes the try, a retry is a new charge.
                idempotency_key: format!("renewal/{invoice_id}/{}", renewal.failures),
                customer: Some(invoice.customer.clone()),
            };
            match payments::pay(app, &by, input, now).await {
                // The settling unit ended dunning (see `settled`).
                Ok(a) if a.status == PaymentAttemptStatus::Succeeded => {
                    done.paid += 1;
                    continue;
                }
                Ok(a) if a.status == PaymentAttemptStatus::Pending => {
                    done.left += 1;
                    continue;
                }
                Ok(_) => {}
                Err(e @ (AppError::Unavailable(_) | AppError::Conflict(_))) => {
                    tracing::warn!(invoice = %invoice_id, error = %e,
                        "renewal charge left for a later run");
                    done.left += 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        failed(app, account, &renewal, now).await?;
        done.failed += 1;
    }
    Ok(done)
}

/// What [`collect`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Charges that paid their invoice.
    pub paid: usize,
    /// Charges that failed (or could not be made: no usable payment method).
    pub failed: usize,
    /// Charges left due: the provider did not answer, or another charge is in progress.
    pub left: usize,
}

/// Counts a failed charge of the renewal's invoice (once per try: a try counted before is
/// left as it is): the subscription is past due and the invoice is charged again on the
/// account's next retry day; after the last, the account's rule applies.
async fn failed(app: &App, account: &AccountId, tried: &Renewal, now: Timestamp) -> AppResult<()> {
    let Some(invoice_id) = &tried.invoice else {
        return Ok(());
    };
    let rules = app.store.account(account).await?.settings.billing;
    let mut uow = app.begin(&system(account), now).await?;
    let Some(sub) = uow.subscriptions().lock(&tried.subscription).await? else {
        return Ok(());
    };
    let Some(mut renewal) = uow.renewals().lock_of_invoice(invoice_id).await? else {
        return Ok(());
    };
    if renewal.failures != tried.failures || renewal.next_charge_at.is_none() {
        return Ok(());
    }
    renewal.failures += 1;
    renewal.next_charge_at = rules.retry_after(renewal.period_start, renewal.failures);
    renewal.updated_at = now;
    uow.renewals().save(&renewal).await?;
    if let Some(invoice) = uow.invoices().lock_of_locked_customer(invoice_id).await? {
        uow.record(
            EventType::InvoicePaymentFailed,
            Some(&invoice.customer),
            &invoice,
        )?;
        if renewal.next_charge_at.is_none() {
            uow.record(EventType::InvoiceOverdue, Some(&invoice.customer), &invoice)?;
        }
    }
    let gave_up = renewal.next_charge_at.is_none();
    if !sub.is_canceled() {
        if gave_up && rules.after_last_failure == DunningEndRule::Cancel {
            let reason = Some("Every charge of an invoice failed".to_owned());
            let ended = sub.cancel_now(reason, now)?;
            save_recorded(&mut uow, EventType::SubscriptionCanceled, &ended).await?;
        } else if sub.status != SubscriptionStatus::PastDue {
            let mut late = sub;
            late.status = SubscriptionStatus::PastDue;
            late.updated_at = now;
            save_recorded(&mut uow, EventType::SubscriptionPastDue, &late).await?;
        }
    }
    Ok(uow.commit().await?)
}

/// In the unit that paid (or closed) `invoice`: when it is a renewal's, its collection ends,
/// and a past-due subscription with nothing else to collect is active again.
pub(crate) async fn settled(
    uow: &mut UnitOfWork,
    invoice: &InvoiceId,
    now: Timestamp,
) -> AppResult<()> {
    let Some(mut renewal) = uow.renewals().lock_of_invoice(invoice).await? else {
        return Ok(());
    };
    if renewal.next_charge_at.is_some() {
        renewal.next_charge_at = None;
        renewal.updated_at = now;
        uow.renewals().save(&renewal).await?;
    }
    let Some(mut sub) = uow.subscriptions().lock(&renewal.subscription).await? else {
        return Ok(());
    };
    let others = uow
        .renewals()
        .others_collecting(&sub.id, renewal.period_start)
        .await?;
    if sub.status == SubscriptionStatus::PastDue && !others {
        sub.status = SubscriptionStatus::Active;
        sub.updated_at = now;
        save_recorded(uow, EventType::SubscriptionUpdated, &sub).await?;
    }
    Ok(())
}
