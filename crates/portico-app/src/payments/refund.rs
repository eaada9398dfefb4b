//! Refunding a payment made through the provider, in full or in part. What is refunded is
//! reserved first (a pending refund, in a unit that locks the payment, so refunds of one payment
//! are reserved one at a time and never add up to more than was paid); the provider is asked
//! outside any unit with a key derived from the payment and the caller's key (a repeated request
//! refunds once and resumes the same reservation); then the reservation is settled, naming the
//! payment it refunds and the provider's refund.

use portico_core::event::EventType;
use portico_core::model::{Transaction, TransactionKind, TransactionStatus};
use portico_core::{Invalid, Timestamp, TransactionId};
use sha2::{Digest, Sha256};

use super::{RefundOutcome, RefundRequest, call, provider_of};
use crate::{App, AppError, AppResult, Caller, entropy};

/// How many recent attempts of the customer are searched for the payment's charge.
const ATTEMPTS_SEARCHED: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInput {
    pub transaction: TransactionId,
    /// What to refund; all that is left of the payment when absent.
    pub amount: Option<i64>,
    /// The same key refunds once at the provider.
    pub idempotency_key: String,
}

/// The description a refund carries: it names the payment (so what is left to refund can be
/// told from the records) and the provider's refund (so a repeated request records it once).
fn refund_of(payment: &TransactionId, reference: &str) -> String {
    format!("Refund of {payment} ({reference})")
}

/// The description of a refund reserved and not yet answered by the provider: the payment and
/// a digest of the caller's key (the key itself is the caller's, not the customer's to read).
fn reserved_for(payment: &TransactionId, key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    refund_of(payment, &format!("pending {}", hex::encode(&digest[..8])))
}

/// Whether `t` is a refund of `payment`, by its description.
fn refunds(t: &Transaction, payment: &TransactionId) -> bool {
    let named = refund_of(payment, "");
    t.description
        .as_deref()
        .is_some_and(|d| d.starts_with(named.trim_end_matches(')')))
}

/// Refunds a succeeded payment through the account's provider; answers the refund transaction.
#[tracing::instrument(skip_all, fields(account = %by.account, transaction = %input.transaction))]
pub async fn refund(
    app: &App,
    by: &Caller,
    input: RefundInput,
    now: Timestamp,
) -> AppResult<Transaction> {
    let payment = app
        .store
        .transaction(&by.account, &input.transaction)
        .await?;
    if payment.kind != TransactionKind::Payment || payment.status != TransactionStatus::Succeeded {
        return Err(AppError::Conflict(format!(
            "transaction {} is not a succeeded payment",
            payment.id
        )));
    }
    let charge = app
        .store
        .recent_payment_attempts(&by.account, &payment.customer, ATTEMPTS_SEARCHED)
        .await?
        .into_iter()
        .find(|a| a.transaction.as_ref() == Some(&payment.id))
        .and_then(|a| a.provider_ref)
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "transaction {} was not paid through the payment provider",
                payment.id
            ))
        })?;
    let (provider, opened) = provider_of(app, &by.account).await?;
    let reserved = reserve(app, by, &payment, &input, now).await?;
    let request = RefundRequest {
        idempotency_key: format!("{}/{}", payment.id, input.idempotency_key),
        charge,
        amount: reserved.amount,
        currency: payment.currency,
    };
    match call(app, "the refund", provider.refund(&opened, &request)).await {
        Ok(outcome) => settle(app, by, &payment, reserved, &outcome, now).await,
        // Refused as asked: nothing was refunded, so nothing stays reserved.
        Err(AppError::Conflict(m)) => {
            let mut uow = app.begin(by, now).await?;
            lock_payment(&mut uow, &payment).await?;
            uow.transactions().delete(&reserved).await?;
            uow.commit().await?;
            Err(AppError::Conflict(m))
        }
        // No answer: the reservation stays pending, and the same key resumes it.
        Err(e) => Err(e),
    }
}

/// Locks the payment (after its customer) for the unit: refunds of one payment are reserved
/// and settled one at a time.
async fn lock_payment(uow: &mut portico_store::UnitOfWork, payment: &Transaction) -> AppResult<()> {
    uow.transactions()
        .lock(&payment.id)
        .await?
        .ok_or_else(|| AppError::not_found("transaction", &payment.id))?;
    Ok(())
}

/// Reserves the refund (first unit): the reservation the key made before, or a new one of at
/// most what the payment has left once every refund not failed is counted, pending ones too.
async fn reserve(
    app: &App,
    by: &Caller,
    payment: &Transaction,
    input: &RefundInput,
    now: Timestamp,
) -> AppResult<Transaction> {
    let mut uow = app.begin(by, now).await?;
    lock_payment(&mut uow, payment).await?;
    let earlier: Vec<Transaction> = uow
        .transactions()
        .refunds_of(&payment.customer)
        .await?
        .into_iter()
        .filter(|t| refunds(t, &payment.id))
        .collect();
    let description = reserved_for(&payment.id, &input.idempotency_key);
    if let Some(reserved) = earlier
        .iter()
        .find(|t| t.description.as_deref() == Some(description.as_str()))
    {
        return Ok(reserved.clone());
    }
    let refunded: i64 = earlier
        .iter()
        .filter(|t| t.status != TransactionStatus::Failed)
        .map(|t| t.amount)
        .sum();
    let left = payment.amount.saturating_sub(refunded);
    let amount = input.amount.unwrap_or(left);
    if amount < 1 || amount > left {
        return Err(Invalid::new(
            "amount",
            format!("must be 1 to {left}, what is left to refund"),
        )
        .into());
    }
    let reserved = Transaction {
        id: TransactionId::new(now, entropy()),
        customer: payment.customer.clone(),
        kind: TransactionKind::Refund,
        status: TransactionStatus::Pending,
        amount,
        currency: payment.currency,
        invoice: payment.invoice.clone(),
        payment_method: payment.payment_method.clone(),
        description: Some(description),
        created_at: now,
        updated_at: now,
    };
    uow.transactions().insert(&reserved).await?;
    uow.commit().await?;
    Ok(reserved)
}

/// Settles the reservation by the provider's answer (second unit). When the provider answered
/// a refund recorded already (a repeated key after the first request finished), that one is
/// the answer and the reservation goes.
async fn settle(
    app: &App,
    by: &Caller,
    payment: &Transaction,
    reserved: Transaction,
    outcome: &RefundOutcome,
    now: Timestamp,
) -> AppResult<Transaction> {
    let description = refund_of(&payment.id, &outcome.reference);
    let mut uow = app.begin(by, now).await?;
    lock_payment(&mut uow, payment).await?;
    let earlier = uow.transactions().refunds_of(&payment.customer).await?;
    if let Some(recorded) = earlier
        .iter()
        .find(|t| t.description.as_deref() == Some(description.as_str()))
    {
        if recorded.id != reserved.id {
            uow.transactions().delete(&reserved).await?;
            uow.commit().await?;
        }
        return Ok(recorded.clone());
    }
    let mut refund = reserved;
    refund.status = if outcome.succeeded {
        TransactionStatus::Succeeded
    } else {
        TransactionStatus::Pending
    };
    refund.description = Some(description);
    refund.updated_at = now;
    uow.transactions().save(&refund).await?;
    uow.record(
        EventType::TransactionCreated,
        Some(&refund.customer),
        &refund,
    )?;
    uow.commit().await?;
    Ok(refund)
}
