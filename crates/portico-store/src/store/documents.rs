//! What invoices print besides their own record: the parties as they were at issue, and the
//! account's logo.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// The customer's billing details and the account's settings as they were when the invoice
    /// was issued; `None` for drafts and for invoices issued before these were kept.
    async fn issued_parties(
        &self,
        account: &AccountId,
        invoice: &InvoiceId,
    ) -> StoreResult<Option<IssuedParties>>;
    async fn invoice_logo(&self, account: &AccountId) -> StoreResult<Option<InvoiceLogo>>;
    /// Replaces the account's logo (`None` removes it).
    async fn set_invoice_logo(
        &self,
        account: &AccountId,
        logo: Option<&InvoiceLogo>,
        now: Timestamp,
    ) -> StoreResult<()>;
}
