//! The payment-provider seam: what Portico asks of a provider (set up a payment method through
//! the provider's page, charge off-session with an idempotency key, learn the outcome of a step
//! the customer completed there, refund, verify the provider's signed events), the providers
//! this build has, and the use cases that pay invoices and add payment methods through them.
//!
//! Provider calls happen between units of work, never inside one: an attempt is recorded
//! before the call and settled after it, so a stop or a timeout in between leaves a visible
//! pending attempt (which the same idempotency key resumes), never a half-paid invoice.

mod events;
mod pay;
mod refund;
mod settings;
mod setup;
mod step;
pub mod stripe;
pub mod test_provider;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use portico_core::model::{ChargeOutcome, Customer};
use portico_core::{AccountId, Currency, CustomerId, PaymentAttemptId, Timestamp};
use zeroize::Zeroizing;

pub use events::{Received, receive_event};
pub use pay::{PayInput, complete_action, pay};
pub use refund::{RefundInput, refund};
pub use settings::{ProviderSettings, ProviderSummary, configure, summary as settings_summary};
pub use setup::{SetupInput, begin_setup, complete_setup};
pub use step::{PaymentStep, payment_step};
pub use stripe::StripeProvider;
pub use test_provider::TestProvider;

use crate::{App, AppError, AppResult};

/// An account's provider settings, opened for one call. The secret never leaves this process
/// except to the provider itself.
pub struct ProviderAccount {
    pub account: AccountId,
    /// The account's secret at the provider (Stripe's `sk_…`; the test provider's signing key).
    pub secret: Zeroizing<Vec<u8>>,
    /// The key the provider publishes to browsers (Stripe's `pk_…`), if it has one.
    pub public_key: Option<String>,
    /// The secret the provider signs its events with.
    pub webhook_secret: Option<Zeroizing<Vec<u8>>>,
    /// Where the portal of the account is served, e.g. `https://acme.billing.example.com`.
    pub portal_origin: String,
}

impl std::fmt::Debug for ProviderAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderAccount")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The start of setting up a payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupRequest {
    pub customer: CustomerId,
    /// The customer's reference at the provider, when it keeps customers.
    pub provider_customer: Option<String>,
    /// Where the provider sends the customer back; it adds its result to the query.
    pub return_url: String,
}

/// How the customer enters the payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetupStart {
    /// On the provider's page: send the browser there.
    Redirect { url: String },
    /// In a form the provider's script mounts in the portal page (Stripe Elements), which
    /// confirms with this secret and then returns to the return URL.
    Embedded {
        client_secret: String,
        public_key: String,
    },
}

/// A payment method the provider set up: what Portico keeps of it. Never a card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupResult {
    /// The customer the setup was started for, as the provider reports it back.
    pub customer: CustomerId,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    /// The provider's reference of the payment method, to charge it later.
    pub reference: String,
}

/// A charge of a saved payment method, without the customer present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The attempt the charge is for; the provider's events name it back.
    pub attempt: PaymentAttemptId,
    /// The same key never charges twice: a repeated call answers the first call's outcome.
    pub idempotency_key: String,
    pub amount: i64,
    pub currency: Currency,
    pub payment_method: String,
    pub provider_customer: Option<String>,
    /// Where the provider sends the customer back after a step they complete there.
    pub return_url: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub idempotency_key: String,
    /// The provider's reference of the charge.
    pub charge: String,
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundOutcome {
    pub reference: String,
    pub succeeded: bool,
}

/// What the provider's page added to the return URL's query.
pub type ReturnParams = BTreeMap<String, String>;

/// An event the provider sent, once its signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEvent {
    /// A charge reached an outcome (after a step the customer completed, say).
    Charge {
        /// The attempt the charge was for, as the charge request named it.
        attempt: Option<String>,
        reference: String,
        outcome: ChargeOutcome,
    },
    /// A payment method was set up; what it is comes from the provider, as after a return.
    SetupSucceeded { returned: ReturnParams },
    /// Anything Portico does not act on.
    Other { kind: String },
}

/// An event whose signature holds, with the provider's id of it (each is acted on once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    pub id: String,
    pub event: ProviderEvent,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider did not answer, or answered that it cannot now: the call may be repeated
    /// with the same idempotency key.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request as made (a bad or foreign reference, a tampered
    /// return): repeating it changes nothing.
    #[error("the payment provider refused the request: {0}")]
    Rejected(String),
    /// An event whose signature is missing, wrong or stale.
    #[error("the event's signature does not hold")]
    BadSignature,
    #[error("the {0} provider does not support this")]
    Unsupported(&'static str),
}

/// One payment provider. Implementations keep no state that another node would need: what
/// they must remember lives at the provider (or, for the test provider, in what it signs).
#[async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// The name accounts choose it by (`test`, `stripe`).
    fn name(&self) -> &'static str;

    /// Makes the customer known to the provider; `None` when it keeps no customers.
    async fn create_customer(
        &self,
        account: &ProviderAccount,
        customer: &Customer,
    ) -> Result<Option<String>, ProviderError>;

    async fn begin_setup(
        &self,
        account: &ProviderAccount,
        request: &SetupRequest,
    ) -> Result<SetupStart, ProviderError>;

    /// The payment method a setup made, from what the provider added to the return URL.
    async fn complete_setup(
        &self,
        account: &ProviderAccount,
        returned: &ReturnParams,
    ) -> Result<SetupResult, ProviderError>;

    async fn charge(
        &self,
        account: &ProviderAccount,
        request: &ChargeRequest,
    ) -> Result<ChargeOutcome, ProviderError>;

    /// The outcome of the charge `reference` after the customer's step, from what the
    /// provider added to the return URL.
    async fn charge_outcome(
        &self,
        account: &ProviderAccount,
        reference: &str,
        returned: &ReturnParams,
    ) -> Result<ChargeOutcome, ProviderError>;

    async fn refund(
        &self,
        account: &ProviderAccount,
        request: &RefundRequest,
    ) -> Result<RefundOutcome, ProviderError>;

    /// Checks an event's signature (headers as received, the raw body) at `now`.
    fn verify_event(
        &self,
        account: &ProviderAccount,
        headers: &[(String, String)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<VerifiedEvent, ProviderError>;
}

/// The providers of this build, by name, and how long a call may take.
pub struct Payments {
    providers: HashMap<&'static str, Arc<dyn PaymentProvider>>,
    test: Option<Arc<TestProvider>>,
    stripe: Option<Arc<StripeProvider>>,
    /// A call that takes longer is given up: its attempt stays pending.
    pub timeout: Duration,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.providers.keys().collect();
        names.sort();
        f.debug_struct("Payments")
            .field("providers", &names)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for Payments {
    /// The built-in test provider and Stripe's API, 10 seconds per call: a use case makes two
    /// calls at most, well within the server's 30-second request deadline.
    fn default() -> Self {
        Payments::new(Duration::from_secs(10))
            .with_test_provider(Arc::new(TestProvider::default()))
            .with_stripe(Arc::new(StripeProvider::default()))
    }
}

impl Payments {
    pub fn new(timeout: Duration) -> Self {
        Payments {
            providers: HashMap::new(),
            test: None,
            stripe: None,
            timeout,
        }
    }

    /// Adds (or replaces) a provider.
    pub fn with(mut self, provider: Arc<dyn PaymentProvider>) -> Self {
        self.providers.insert(provider.name(), provider);
        self
    }

    /// Adds the test provider, whose pages the server serves.
    pub fn with_test_provider(mut self, provider: Arc<TestProvider>) -> Self {
        self.test = Some(provider.clone());
        self.with(provider)
    }

    pub fn get(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        self.providers.get(name).cloned()
    }

    /// Adds (or replaces) the Stripe provider, whose script the portal loads.
    pub fn with_stripe(mut self, provider: Arc<StripeProvider>) -> Self {
        self.stripe = Some(provider.clone());
        self.with(provider)
    }

    /// The Stripe provider, for what the portal needs of Stripe.js.
    pub fn stripe(&self) -> Option<Arc<StripeProvider>> {
        self.stripe.clone()
    }

    /// The test provider, when this build serves its pages.
    pub fn test_provider(&self) -> Option<Arc<TestProvider>> {
        self.test.clone()
    }
}

/// The provider of an account and its opened settings; `Conflict` when the account takes no
/// payments.
pub(crate) async fn provider_of(
    app: &App,
    account: &AccountId,
) -> AppResult<(Arc<dyn PaymentProvider>, ProviderAccount)> {
    let record = app
        .store
        .payment_provider(account)
        .await?
        .ok_or_else(|| AppError::Conflict("payments are not set up for this account".into()))?;
    let provider = app.payments.get(&record.provider).ok_or_else(|| {
        AppError::Internal(format!("unknown payment provider '{}'", record.provider).into())
    })?;
    let opened = settings::open(app, &record).await?;
    Ok((provider, opened))
}

/// Runs a provider call within the time allowed; a timeout is `Unavailable`.
pub(crate) async fn call<T>(
    app: &App,
    what: &str,
    call: impl std::future::Future<Output = Result<T, ProviderError>>,
) -> AppResult<T> {
    match tokio::time::timeout(app.payments.timeout, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(ProviderError::Rejected(m))) => Err(AppError::Conflict(format!(
            "the payment provider refused {what}: {m}"
        ))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "payment provider call failed: {what}");
            Err(unavailable(what))
        }
        Err(_) => {
            tracing::warn!("payment provider call timed out: {what}");
            Err(unavailable(what))
        }
    }
}

fn unavailable(what: &str) -> AppError {
    AppError::Unavailable(format!(
        "the payment provider did not answer {what}; nothing was lost, please try again"
    ))
}
