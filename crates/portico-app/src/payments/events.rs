//! The provider's asynchronous events: verified by their signature with the account's secret,
//! acted on once each (the ids of events acted on are kept), and acted on through the same
//! steps as the portal's returns — an attempt settled, a payment method kept.
//!
//! An event whose signature is missing, wrong or stale changes nothing. Acting on an event is
//! itself idempotent (a settled attempt stays as it is, a kept payment method is found by its
//! reference), so two deliveries of one event that cross do no harm; the kept id makes a
//! later delivery do nothing at all.

use portico_core::event::Actor;
use portico_core::scope::ApiScopes;
use portico_core::{AccountId, PaymentAttemptId, Timestamp};

use super::pay::settle;
use super::setup::keep;
use super::{ProviderError, ProviderEvent, call, provider_of};
use crate::{App, AppError, AppResult, Caller};

/// What came of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Acted on now.
    Done,
    /// Acted on before: nothing changed.
    Repeated,
    /// Of a kind Portico does not act on (kept as seen all the same).
    Ignored,
}

/// Receives an event the account's provider `provider` sent: `Invalid` (on `signature`)
/// when its signature does not hold or the account does not take payments through `provider`.
#[tracing::instrument(skip_all, fields(account = %account, provider = provider))]
pub async fn receive_event(
    app: &App,
    account: &AccountId,
    provider: &str,
    headers: &[(String, String)],
    body: &[u8],
    now: Timestamp,
) -> AppResult<Received> {
    let refused = || AppError::Invalid(portico_core::Invalid::new("signature", "does not hold"));
    let (chosen, opened) = match provider_of(app, account).await {
        Ok(found) => found,
        Err(AppError::Conflict(_) | AppError::NotFound { .. }) => return Err(refused()),
        Err(e) => return Err(e),
    };
    if chosen.name() != provider {
        return Err(refused());
    }
    let verified = match chosen.verify_event(&opened, headers, body, now) {
        Ok(v) => v,
        Err(ProviderError::BadSignature | ProviderError::Unsupported(_)) => return Err(refused()),
        Err(e) => {
            return Err(AppError::Invalid(portico_core::Invalid::new(
                "body",
                e.to_string(),
            )));
        }
    };
    let by = Caller::new(account.clone(), Actor::System, ApiScopes::all());
    {
        let mut uow = app.begin(&by, now).await?;
        if uow
            .payment_providers()
            .event_seen(provider, &verified.id)
            .await?
        {
            return Ok(Received::Repeated);
        }
    }
    let received = match verified.event {
        ProviderEvent::Charge {
            attempt: Some(attempt),
            outcome,
            ..
        } => {
            let id: PaymentAttemptId = attempt
                .parse()
                .map_err(|_| AppError::not_found("payment attempt", &attempt))?;
            match settle(app, &by, &id, &outcome, now).await {
                Ok(_) => Received::Done,
                // Not an attempt of this account's: nothing of Portico's to settle.
                Err(AppError::NotFound { .. }) => Received::Ignored,
                Err(e) => return Err(e),
            }
        }
        ProviderEvent::SetupSucceeded { returned } => {
            let result = call(
                app,
                "the new payment method",
                chosen.complete_setup(&opened, &returned),
            )
            .await?;
            keep(app, &by, result, None, now).await?;
            Received::Done
        }
        ProviderEvent::Charge { attempt: None, .. } | ProviderEvent::Other { .. } => {
            Received::Ignored
        }
    };
    let mut uow = app.begin(&by, now).await?;
    uow.payment_providers()
        .mark_event(provider, &verified.id)
        .await?;
    uow.commit().await?;
    Ok(received)
}
