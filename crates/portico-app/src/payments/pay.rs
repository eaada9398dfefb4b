//! Paying an invoice: an attempt recorded in one unit, the provider's charge outside any unit,
//! its outcome settled in another. The idempotency key goes through to the provider, so a
//! repeated request (a double submit, a retry after a timeout) charges once.

use portico_core::event::EventType;
use portico_core::model::{
    ChargeOutcome, Invoice, PaymentAttempt, PaymentAttemptStatus, PaymentMethod, check_payable,
};
use portico_core::{
    CustomerId, InvoiceId, PaymentAttemptId, PaymentMethodId, Timestamp, TransactionId,
};
use portico_store::UnitOfWork;

use super::{ChargeRequest, PaymentProvider, ProviderAccount, ReturnParams, call, provider_of};
use crate::error::no_such;
use crate::invoices::apply_payment;
use crate::subscriptions::{apply_awaited_change, drop_awaited_change};
use crate::{App, AppError, AppResult, Caller, entropy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayInput {
    pub invoice: InvoiceId,
    /// The card to charge; the customer's default when absent.
    pub payment_method: Option<PaymentMethodId>,
    /// The same key never charges twice; a repeated request answers the first one's attempt.
    pub idempotency_key: String,
    /// The customer the caller acts for (a portal session's); another customer's invoice is
    /// not found.
    pub customer: Option<CustomerId>,
}

/// Pays what the invoice has due. The answer is the attempt: succeeded (the invoice is paid
/// and a payment recorded), declined (a failed payment recorded with the reason, the invoice
/// still open), or requiring the customer's step at `action_url`. When the provider does not
/// answer in time the attempt stays pending and the answer is `Unavailable`; the same key
/// resumes it.
#[tracing::instrument(skip_all, fields(account = %by.account, invoice = %input.invoice))]
pub async fn pay(
    app: &App,
    by: &Caller,
    input: PayInput,
    now: Timestamp,
) -> AppResult<PaymentAttempt> {
    // Another account's or customer's invoice is not found, whatever the account's provider.
    let invoice = app.store.invoice(&by.account, &input.invoice).await?;
    if input
        .customer
        .as_ref()
        .is_some_and(|c| *c != invoice.customer)
    {
        return Err(AppError::not_found("invoice", &input.invoice));
    }
    let (provider, opened) = provider_of(app, &by.account).await?;
    let attempt = match start(app, by, &input, provider.name(), now).await? {
        Started::New(attempt) => attempt,
        Started::Existing(attempt) if attempt.status == PaymentAttemptStatus::Pending => attempt,
        Started::Existing(attempt) => return Ok(attempt),
    };
    let method = app
        .store
        .payment_method(&by.account, &attempt.payment_method)
        .await?;
    let outcome = charge(app, by, provider.as_ref(), &opened, &attempt, &method, now).await?;
    settle(app, by, &attempt.id, &outcome, now).await
}

/// After the customer's step at the provider: settles the attempt by what the provider added
/// to the return URL. Repeating it (a reload) answers the settled attempt.
#[tracing::instrument(skip_all, fields(account = %by.account, attempt = %id))]
pub async fn complete_action(
    app: &App,
    by: &Caller,
    customer: Option<&CustomerId>,
    id: &PaymentAttemptId,
    returned: &ReturnParams,
    now: Timestamp,
) -> AppResult<PaymentAttempt> {
    let attempt = app.store.payment_attempt(&by.account, id).await?;
    if customer.is_some_and(|c| *c != attempt.customer) {
        return Err(AppError::not_found("payment attempt", id));
    }
    if attempt.status != PaymentAttemptStatus::RequiresAction {
        return Ok(attempt);
    }
    let reference = attempt.provider_ref.clone().unwrap_or_default();
    let (provider, opened) = provider_of(app, &by.account).await?;
    let outcome = call(
        app,
        "the payment step",
        provider.charge_outcome(&opened, &reference, returned),
    )
    .await?;
    settle(app, by, id, &outcome, now).await
}

enum Started {
    New(PaymentAttempt),
    /// The attempt an earlier request started: with the same key, or left pending by a stop.
    Existing(PaymentAttempt),
}

/// Records the attempt (first unit), or finds the one the key already names.
async fn start(
    app: &App,
    by: &Caller,
    input: &PayInput,
    provider: &str,
    now: Timestamp,
) -> AppResult<Started> {
    let mut uow = app.begin(by, now).await?;
    let invoice = uow
        .invoices()
        .lock(&input.invoice)
        .await?
        .filter(|i| input.customer.as_ref().is_none_or(|c| *c == i.customer))
        .ok_or_else(|| AppError::not_found("invoice", &input.invoice))?;
    if let Some(existing) = uow
        .payment_attempts()
        .lock_by_key(&input.idempotency_key)
        .await?
    {
        if existing.invoice != invoice.id {
            return Err(AppError::Conflict(
                "this idempotency key was used to pay another invoice".into(),
            ));
        }
        return Ok(Started::Existing(existing));
    }
    check_payable(&invoice)?;
    if let Some(mut open) = uow.payment_attempts().open_of_invoice(&invoice.id).await? {
        if open.status == PaymentAttemptStatus::Pending {
            // Another request may still be charging it; past any request's provider calls it
            // was left by a stop, and is resumed with its own key (which charges once).
            let stale_after = app.payments.timeout.saturating_mul(2);
            let age_ms = now.as_millis().saturating_sub(open.updated_at.as_millis());
            if u128::try_from(age_ms).unwrap_or(0) < stale_after.as_millis() {
                return Err(AppError::Conflict(format!(
                    "a payment of invoice {} is in progress",
                    invoice.number
                )));
            }
            return Ok(Started::Existing(open));
        }
        // A new try replaces one whose step the customer did not finish.
        open.abandon(now);
        uow.payment_attempts().save(&open).await?;
    }
    let method = method_for(&mut uow, &invoice, input.payment_method.as_ref()).await?;
    let attempt = PaymentAttempt::start(
        PaymentAttemptId::new(now, entropy()),
        &invoice,
        &method,
        input.idempotency_key.clone(),
        provider,
        now,
    )?;
    uow.payment_attempts().insert(&attempt).await?;
    uow.commit().await?;
    Ok(Started::New(attempt))
}

/// The payment method to charge: the one named (the invoice's customer's), else the default.
async fn method_for(
    uow: &mut UnitOfWork,
    invoice: &Invoice,
    named: Option<&PaymentMethodId>,
) -> AppResult<PaymentMethod> {
    match named {
        Some(id) => uow
            .payment_methods()
            .find(id)
            .await?
            .filter(|pm| pm.customer == invoice.customer)
            .ok_or_else(|| no_such("payment_method", "payment method", id)),
        None => uow
            .payment_methods()
            .live_of(&invoice.customer)
            .await?
            .into_iter()
            .find(|pm| pm.is_default)
            .ok_or_else(|| AppError::Conflict("the customer has no default payment method".into())),
    }
}

/// Asks the provider to charge the attempt, outside any unit of work.
async fn charge(
    app: &App,
    by: &Caller,
    provider: &dyn PaymentProvider,
    opened: &ProviderAccount,
    attempt: &PaymentAttempt,
    method: &PaymentMethod,
    now: Timestamp,
) -> AppResult<ChargeOutcome> {
    // The customer's reference at the provider (Stripe charges a card with its customer).
    let provider_customer = {
        let mut uow = app.begin(by, now).await?;
        uow.payment_providers()
            .customer_ref(&attempt.customer, provider.name())
            .await?
    };
    let request = ChargeRequest {
        attempt: attempt.id.clone(),
        idempotency_key: format!("{}/{}", attempt.invoice, attempt.idempotency_key),
        amount: attempt.amount,
        currency: attempt.currency,
        payment_method: method.provider_ref.clone().unwrap_or_default(),
        provider_customer,
        return_url: format!(
            "{}/portal/invoices/{}/payment/{}",
            opened.portal_origin, attempt.invoice, attempt.id
        ),
        description: format!("Invoice {}", attempt.invoice),
    };
    call(app, "the charge", provider.charge(opened, &request)).await
}

/// Records the provider's outcome (second unit): the attempt's status, and for an outcome
/// that is final a payment — which pays the invoice when it succeeded. A subscription change
/// waiting for the invoice is made when it is paid, and withdrawn (the invoice voided) when
/// the charge is declined. An attempt settled
/// before (by a request that crossed this one) is answered as it is.
pub(crate) async fn settle(
    app: &App,
    by: &Caller,
    id: &PaymentAttemptId,
    outcome: &ChargeOutcome,
    now: Timestamp,
) -> AppResult<PaymentAttempt> {
    let mut uow = app.begin(by, now).await?;
    let mut attempt = uow
        .payment_attempts()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("payment attempt", id))?;
    if !attempt.settle(outcome, now) {
        return Ok(attempt);
    }
    if let Some(payment) = attempt.payment(TransactionId::new(now, entropy()), now) {
        if payment.pays_invoice() {
            let invoice = uow
                .invoices()
                .lock_of_locked_customer(&attempt.invoice)
                .await?
                .ok_or_else(|| AppError::not_found("invoice", &attempt.invoice))?;
            if check_payable(&invoice).is_ok() {
                let (id, paid) = (invoice.id.clone(), payment.amount >= invoice.amount_due);
                let subscription = invoice.subscription.clone();
                apply_payment(&mut uow, invoice, payment.amount, now).await?;
                if let (true, Some(sub)) = (paid, subscription) {
                    apply_awaited_change(&mut uow, &sub, &id, now).await?;
                }
            } else {
                // Changed by the vendor while the provider charged: the money is recorded
                // against it, for the vendor to refund or credit.
                tracing::warn!(invoice = %invoice.id, status = %invoice.status,
                    "a charge succeeded for an invoice that no longer takes payments");
            }
        }
        uow.transactions().insert(&payment).await?;
        uow.record(
            EventType::TransactionCreated,
            Some(&payment.customer),
            &payment,
        )?;
        attempt.transaction = Some(payment.id);
    }
    if attempt.status == PaymentAttemptStatus::Declined {
        drop_awaited_change(&mut uow, &attempt.invoice, now).await?;
    }
    uow.payment_attempts().save(&attempt).await?;
    let kind = match attempt.status {
        PaymentAttemptStatus::Succeeded => EventType::PaymentSucceeded,
        PaymentAttemptStatus::RequiresAction => EventType::PaymentActionRequired,
        _ => EventType::PaymentFailed,
    };
    uow.record(kind, Some(&attempt.customer), &attempt)?;
    uow.commit().await?;
    Ok(attempt)
}
