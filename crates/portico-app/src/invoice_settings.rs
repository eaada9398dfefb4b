//! The seller block, payment instructions and footer the account's invoices carry.

use portico_core::Timestamp;
use portico_core::model::{Account, InvoiceLogo, InvoiceSettings, LogoInfo};

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

/// Replaces the account's invoice logo (checked by the caller) or removes it (`None`). The
/// image is stored first and then named in the settings, so invoices never name a logo that
/// is not there.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn set_logo(
    app: &App,
    by: &Caller,
    logo: Option<(InvoiceLogo, LogoInfo)>,
    now: Timestamp,
) -> AppResult<Account> {
    let (image, info) = logo.unzip();
    if image.is_some() {
        app.store
            .set_invoice_logo(&by.account, image.as_ref(), now)
            .await?;
    }
    let account = crate::accounts::update_portal_settings(
        app,
        by,
        |mut settings| {
            settings.invoice.logo = info;
            settings
        },
        now,
    )
    .await?;
    if image.is_none() {
        app.store.set_invoice_logo(&by.account, None, now).await?;
    }
    Ok(account)
}
