//! Accounts: the vendor's tenancy and its portal settings.

use super::*;

#[async_trait]
impl AccountStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_account(
        &self,
        subdomain: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Account> {
        let account = Account {
            id: AccountId::new(now, entropy()),
            subdomain: portico_core::model::subdomain(subdomain)?,
            name: required_text("name", name, 200)?,
            settings: PortalSettings::default(),
            created_at: now,
        };
        query(
            "INSERT INTO accounts (id, subdomain, name, settings, invoice_seq, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5)",
            params![
                &account.id,
                account.subdomain.as_str(),
                account.name.as_str(),
                rows::settings_json(&account.settings)?,
                now,
            ],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("an account with subdomain '{}'", account.subdomain),
                StoreError::Database,
            )
        })?;
        Ok(account)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn account(&self, id: &AccountId) -> StoreResult<Account> {
        let load = async {
            let sql = format!("{} WHERE id = $1", rows::ACCOUNTS.select());
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::account(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("account", id))
        };
        let key = ("account", id.to_string());
        self.cached(key, CACHE_TTL, |a: &Account| Change::account(&a.id), load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn account_by_subdomain(&self, subdomain: &str) -> StoreResult<Account> {
        let load = async {
            let sql = format!("{} WHERE subdomain = $1", rows::ACCOUNTS.select());
            query(&sql, params![subdomain])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::account(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("account", subdomain))
        };
        let key = ("account_by_subdomain", subdomain.to_owned());
        self.cached(key, CACHE_TTL, |a: &Account| Change::account(&a.id), load)
            .await
    }
}
