//! Refunding a payment made through the provider, in full or in part: the provider is asked
//! outside any unit of work with a key derived from the payment and the caller's key (a repeated
//! request refunds once), then a refund transaction is recorded, naming the payment it refunds.

use portico_core::event::EventType;
use portico_core::model::{Transaction, TransactionKind, TransactionStatus};
use portico_core::{Invalid, PageRequest, Timestamp, TransactionId};
use portico_store::TransactionFilter;

use super::{RefundRequest, call, provider_of};
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
    let named = refund_of(&payment.id, "");
    let named = named.trim_end_matches(')');
    let refunds: Vec<Transaction> = app
        .store
        .list_transactions(
            &by.account,
            TransactionFilter {
                invoice: payment.invoice.clone(),
                ..Default::default()
            },
            PageRequest::first(100),
        )
        .await?
        .data
        .into_iter()
        .filter(|t| t.kind == TransactionKind::Refund && t.status != TransactionStatus::Failed)
        .filter(|t| {
            t.description
                .as_deref()
                .is_some_and(|d| d.starts_with(named))
        })
        .collect();
    let refunded: i64 = refunds.iter().map(|t| t.amount).sum();
    let left = payment.amount.saturating_sub(refunded);
    let amount = input.amount.unwrap_or(left);
    if amount < 1 || amount > left {
        return Err(Invalid::new(
            "amount",
            format!("must be 1 to {left}, what is left to refund"),
        )
        .into());
    }
    let (provider, opened) = provider_of(app, &by.account).await?;
    let request = RefundRequest {
        idempotency_key: format!("{}/{}", payment.id, input.idempotency_key),
        charge,
        amount,
        currency: payment.currency,
    };
    let outcome = call(app, "the refund", provider.refund(&opened, &request)).await?;
    let description = refund_of(&payment.id, &outcome.reference);
    if let Some(recorded) = refunds
        .into_iter()
        .find(|t| t.description.as_deref() == Some(&description))
    {
        return Ok(recorded);
    }
    let refund = Transaction {
        id: TransactionId::new(now, entropy()),
        customer: payment.customer.clone(),
        kind: TransactionKind::Refund,
        status: if outcome.succeeded {
            TransactionStatus::Succeeded
        } else {
            TransactionStatus::Pending
        },
        amount,
        currency: payment.currency,
        invoice: payment.invoice.clone(),
        payment_method: payment.payment_method.clone(),
        description: Some(description),
        created_at: now,
        updated_at: now,
    };
    let mut uow = app.begin(by, now).await?;
    uow.transactions().insert(&refund).await?;
    uow.record(
        EventType::TransactionCreated,
        Some(&refund.customer),
        &refund,
    )?;
    uow.commit().await?;
    Ok(refund)
}
