//! The account's own settings.

use portico_core::Timestamp;
use portico_core::model::{Account, PortalSettings};

use crate::{App, AppResult, Caller};

/// Changes the account's portal settings: `edit` gets the current settings and returns the new
/// ones, which must be valid. The account is locked meanwhile, so two changes at once both
/// hold (neither writes back settings the other had not seen).
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update_portal_settings(
    app: &App,
    by: &Caller,
    edit: impl FnOnce(PortalSettings) -> PortalSettings + Send,
    now: Timestamp,
) -> AppResult<Account> {
    let mut uow = app.begin(by, now).await?;
    let mut account = uow.accounts().lock().await?;
    account.settings = edit(account.settings).validate()?;
    uow.accounts().save_settings(&account).await?;
    uow.commit().await?;
    Ok(account)
}
