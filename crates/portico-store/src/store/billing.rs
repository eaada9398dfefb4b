//! Billing records: subscriptions, invoices, transactions and payment methods, as pages and the
//! API read them.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::*;

use crate::*;

/// Filters for listing subscriptions.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    pub customer: Option<CustomerRef>,
    pub status: Option<SubscriptionStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub customer: Option<CustomerRef>,
    pub status: Option<InvoiceStatus>,
    pub subscription: Option<SubscriptionId>,
    /// Leaves drafts out (what a customer sees: drafts are the vendor's work in progress).
    pub exclude_drafts: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub customer: Option<CustomerRef>,
    pub invoice: Option<InvoiceId>,
}

#[async_trait]
pub trait BillingStore: Send + Sync {
    async fn subscription(
        &self,
        account: &AccountId,
        id: &SubscriptionId,
    ) -> StoreResult<Subscription>;
    async fn list_subscriptions(
        &self,
        account: &AccountId,
        filter: SubscriptionFilter,
        page: PageRequest<SubscriptionId>,
    ) -> StoreResult<List<Subscription>>;
    async fn invoice(&self, account: &AccountId, id: &InvoiceId) -> StoreResult<Invoice>;
    /// The invoices of `ids` in one read, newest first; ids that name no invoice are left out.
    async fn invoices_by_ids(
        &self,
        account: &AccountId,
        ids: &[InvoiceId],
    ) -> StoreResult<Vec<Invoice>>;
    async fn list_invoices(
        &self,
        account: &AccountId,
        filter: InvoiceFilter,
        page: PageRequest<InvoiceId>,
    ) -> StoreResult<List<Invoice>>;
    async fn transaction(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> StoreResult<Transaction>;
    async fn list_transactions(
        &self,
        account: &AccountId,
        filter: TransactionFilter,
        page: PageRequest<TransactionId>,
    ) -> StoreResult<List<Transaction>>;
    async fn payment_method(
        &self,
        account: &AccountId,
        id: &PaymentMethodId,
    ) -> StoreResult<PaymentMethod>;
    async fn list_payment_methods(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<PaymentMethodId>,
    ) -> StoreResult<List<PaymentMethod>>;
}
