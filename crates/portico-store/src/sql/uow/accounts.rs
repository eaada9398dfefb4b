//! The unit's own account: its portal settings.

use portico_core::model::Account;

use super::UnitOfWork;
use crate::sql::rows::{self, ACCOUNTS, params, query};
use crate::{StoreError, StoreResult};

pub struct Accounts<'u>(pub(super) &'u mut UnitOfWork);

impl Accounts<'_> {
    /// The unit's account, locked until the unit ends (settings are read, changed and written
    /// back whole, so concurrent changes must take turns).
    pub async fn lock(&mut self) -> StoreResult<Account> {
        let (conn, backend, account) = self.0.parts();
        let sql = format!(
            "{} WHERE id = $1{}",
            ACCOUNTS.select(),
            crate::sql::statements::for_update(backend)
        );
        query(&sql, params![account])
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| rows::account(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("account", account))
    }

    /// Writes the account's settings back, changed at `now`.
    pub async fn save_settings(&mut self, account: &Account) -> StoreResult<()> {
        let now = self.0.now();
        let (conn, _, id) = self.0.parts();
        query(
            "UPDATE accounts SET settings = $2, updated_at = $3 WHERE id = $1",
            params![id, rows::settings_json(&account.settings)?, now],
        )
        .execute(&mut *conn)
        .await?;
        self.0.account_changed();
        Ok(())
    }
}
