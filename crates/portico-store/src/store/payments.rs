//! Payments: the account's provider settings (secrets sealed), customers' references at the
//! provider, and the attempts at charging invoices, as pages and the API read them.

use async_trait::async_trait;
use portico_core::model::PaymentAttempt;
use portico_core::*;

use crate::*;

/// An account's payment provider as stored. The secrets are sealed with the deployment's
/// master key; the store never sees them open.
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentProviderRecord {
    pub account: AccountId,
    /// `test` or `stripe`.
    pub provider: String,
    /// A key the provider publishes to browsers; not a secret.
    pub public_key: Option<String>,
    pub sealed_secret: Option<String>,
    pub sealed_webhook_secret: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for PaymentProviderRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentProviderRecord")
            .field("account", &self.account)
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// The account's provider, `None` when it takes no payments.
    async fn payment_provider(
        &self,
        account: &AccountId,
    ) -> StoreResult<Option<PaymentProviderRecord>>;
    async fn payment_attempt(
        &self,
        account: &AccountId,
        id: &PaymentAttemptId,
    ) -> StoreResult<PaymentAttempt>;
    /// The customer's latest attempts, newest first, at most `limit`.
    async fn recent_payment_attempts(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<PaymentAttempt>>;
}
