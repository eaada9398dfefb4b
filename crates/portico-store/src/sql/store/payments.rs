//! Payments as pages and the API read them: the account's provider, customers' attempts.

use portico_core::model::PaymentAttempt;

use super::*;
use crate::{PaymentProviderRecord, PaymentStore};

#[async_trait]
impl PaymentStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn payment_provider(
        &self,
        account: &AccountId,
    ) -> StoreResult<Option<PaymentProviderRecord>> {
        let load = async {
            let sql = format!(
                "SELECT {} FROM payment_providers WHERE account_id = $1",
                rows::PAYMENT_PROVIDER_COLUMNS
            );
            query(&sql, params![account])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::payment_provider(&row))
                .transpose()
        };
        let key = ("payment_provider", account.to_string());
        let scope = |_: &Option<PaymentProviderRecord>| Change::account(account);
        self.cached(key, CACHE_TTL, scope, load).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn payment_attempt(
        &self,
        account: &AccountId,
        id: &PaymentAttemptId,
    ) -> StoreResult<PaymentAttempt> {
        let mut conn = self.pool.read().await?;
        find(
            &mut conn,
            &rows::PAYMENT_ATTEMPTS,
            account,
            id.as_str(),
            "",
            rows::payment_attempt,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("payment attempt", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn recent_payment_attempts(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<PaymentAttempt>> {
        let limit = i64::from(limit.min(MAX_LIMIT));
        let load = async {
            let sql = format!(
                "{} WHERE account_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT $3",
                rows::PAYMENT_ATTEMPTS.select()
            );
            query(&sql, params![account, customer, limit])
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::payment_attempt)
                .collect()
        };
        let key = ("payment_attempts", format!("{account}/{customer}/{limit}"));
        let scope = |_: &Vec<PaymentAttempt>| Change::customer(account, customer);
        self.cached(key, CACHE_TTL, scope, load).await
    }
}
