//! The accounts' signing keys, sealed at rest.

use super::*;

#[async_trait]
impl SigningKeyStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        insert(
            &mut tx,
            &rows::SIGNING_KEYS,
            &key.account,
            rows::signing_key_values(key),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("signing key {}", key.id),
                no_account(&key.account),
            )
        })?;
        tx.account_changed(&key.account);
        tx.commit().await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn signing_keys(&self, account: &AccountId) -> StoreResult<Vec<SigningKeyRecord>> {
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM signing_keys WHERE account_id = $1 \
                 ORDER BY created_at DESC, id DESC",
                rows::SIGNING_KEYS.columns()
            );
            query(&sql, params![account])
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::signing_key)
                .collect()
        };
        let key = ("signing_keys", account.to_string());
        let scope = |_: &Vec<SigningKeyRecord>| Change::account(account);
        self.cached(key, CACHE_TTL, scope, load).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn published_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        // Every account's, on purpose: one JWKS document serves the deployment.
        let sql = format!(
            "SELECT account_id, {} FROM signing_keys WHERE revoked_at IS NULL \
             ORDER BY created_at DESC, id DESC",
            rows::SIGNING_KEYS.columns()
        );
        query(&sql, vec![])
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::signing_key)
            .collect()
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn signing_key(&self, id: &SigningKeyId) -> StoreResult<SigningKeyRecord> {
        // Unscoped on purpose: the token's kid names the key, and the key its account.
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM signing_keys WHERE id = $1",
                rows::SIGNING_KEYS.columns()
            );
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::signing_key(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("signing key", id))
        };
        let scope = |k: &SigningKeyRecord| Change::account(&k.account);
        self.cached(("signing_key", id.to_string()), CACHE_TTL, scope, load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn retire_signing_keys(
        &self,
        account: &AccountId,
        current: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        // A `current` that is not the account's own would retire every key the account has.
        if !exists(&mut tx, "signing_keys", account, "id", current.into()).await? {
            return Err(StoreError::not_found("signing key", current));
        }
        query(
            "UPDATE signing_keys SET retired_at = $3 \
             WHERE account_id = $1 AND id <> $2 AND retired_at IS NULL",
            params![account, current, now],
        )
        .execute(&mut *tx)
        .await?;
        tx.account_changed(account);
        tx.commit().await?;
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_signing_key(
        &self,
        account: &AccountId,
        id: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "UPDATE signing_keys SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2",
            params![account, id, now],
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("signing key", id));
        }
        tx.account_changed(account);
        tx.commit().await
    }
}
