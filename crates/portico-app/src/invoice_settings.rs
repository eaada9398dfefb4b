//! The seller block, payment instructions and footer the account's invoices carry.

use portico_core::Timestamp;
use portico_core::model::{Account, InvoiceSettings};

use crate::{App, AppResult, Caller};

/// Changes the account's invoice settings: `edit` gets the current ones and returns the new
/// ones, which must be valid. Invoices issued before keep the seller block they were issued
/// with; only later ones show the change.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    edit: impl FnOnce(InvoiceSettings) -> InvoiceSettings + Send,
    now: Timestamp,
) -> AppResult<Account> {
    let edit = |mut settings: portico_core::model::PortalSettings| {
        let logo = settings.invoice.logo.take();
        settings.invoice = InvoiceSettings {
            logo,
            ..edit(settings.invoice)
        };
        settings
    };
    crate::accounts::update_portal_settings(app, by, edit, now).await
}
