//! The customer's step of a Stripe charge (the bank's check the card asks for): what the portal's
//! step page needs to run it with Stripe.js, read from Stripe each time, and the outcome when
//! the step is already over — settled here, as a return from the step would settle it.

use portico_core::model::{PaymentAttempt, PaymentAttemptStatus};
use portico_core::{CustomerId, PaymentAttemptId, Timestamp};

use super::pay::settle;
use super::stripe::{self, StepState};
use super::{call, provider_of};
use crate::{App, AppError, AppResult, Caller};

/// What the step page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentStep {
    /// The step is the customer's to complete: Stripe.js confirms it in the page.
    Open {
        attempt: PaymentAttempt,
        client_secret: String,
        public_key: String,
    },
    /// Nothing is left to do (settled by the provider's event, a return, or now): the attempt
    /// as it stands.
    Over(PaymentAttempt),
}

/// The step of `customer`'s attempt `id`; another customer's, or one not made through Stripe,
/// is not found.
#[tracing::instrument(skip_all, fields(account = %by.account, attempt = %id))]
pub async fn payment_step(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    id: &PaymentAttemptId,
    now: Timestamp,
) -> AppResult<PaymentStep> {
    let attempt = app.store.payment_attempt(&by.account, id).await?;
    if attempt.customer != *customer || attempt.provider != stripe::NAME {
        return Err(AppError::not_found("payment attempt", id));
    }
    if attempt.status != PaymentAttemptStatus::RequiresAction {
        return Ok(PaymentStep::Over(attempt));
    }
    let (provider, opened) = provider_of(app, &by.account).await?;
    let stripe = app
        .payments
        .stripe()
        .filter(|_| provider.name() == stripe::NAME)
        .ok_or_else(|| AppError::not_found("payment attempt", id))?;
    let reference = attempt.provider_ref.clone().unwrap_or_default();
    let state = call(
        app,
        "the payment step",
        stripe.payment_step(&opened, &reference),
    )
    .await?;
    match state {
        StepState::Open { client_secret } => Ok(PaymentStep::Open {
            attempt,
            client_secret,
            public_key: opened.public_key.clone().unwrap_or_default(),
        }),
        StepState::Done(outcome) => {
            Ok(PaymentStep::Over(settle(app, by, id, &outcome, now).await?))
        }
    }
}
