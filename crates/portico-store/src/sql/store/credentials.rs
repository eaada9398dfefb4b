//! The vendor's credentials: API keys, OAuth clients and their access tokens.

use super::*;

#[async_trait]
impl CredentialStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_api_key(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: [u8; 32],
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<ApiKey> {
        let key = ApiKey {
            id: ApiKeyId::new(now, entropy()),
            name: required_text("name", name, 100)?,
            scopes,
            created_at: now,
            last_used_at: None,
            expires_at,
            revoked_at: None,
        };
        let mut conn = self.pool.acquire().await?;
        insert(
            &mut conn,
            &rows::API_KEYS,
            account,
            rows::api_key_values(&key, &secret_sha256),
        )
        .await
        .map_err(|e| write_error(e, || format!("API key {}", key.id), no_account(account)))?;
        Ok(key)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn api_key_credential(&self, id: &ApiKeyId) -> StoreResult<ApiKeyCredential> {
        // Unscoped on purpose: the key id is how the credential names its account.
        let load = async {
            let sql = format!(
                "SELECT account_id, {} FROM api_keys WHERE id = $1",
                rows::API_KEYS.columns()
            );
            query(&sql, params![id])
                .fetch_optional(&self.pool)
                .await?
                .map(|row| rows::api_key_credential(&row))
                .transpose()?
                .ok_or_else(|| StoreError::not_found("API key", id))
        };
        let scope = |c: &ApiKeyCredential| Change::account(&c.account);
        self.cached(("api_key", id.to_string()), CACHE_TTL, scope, load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_api_keys(
        &self,
        account: &AccountId,
        page: PageRequest<ApiKeyId>,
    ) -> StoreResult<List<ApiKey>> {
        self.list(
            &rows::API_KEYS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::api_key,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_api_key(
        &self,
        account: &AccountId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<ApiKey> {
        // Revoking twice keeps the first revocation time.
        let sql = format!(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2 RETURNING {}",
            rows::API_KEYS.columns()
        );
        let mut tx = self.write_tx().await?;
        let key = query(&sql, params![account, id, now])
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| rows::api_key(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("API key", id))?;
        tx.account_changed(account);
        tx.commit().await?;
        Ok(key)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> StoreResult<()> {
        // Never moves backwards when requests finish out of order.
        let done = query(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
            params![id, now],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            let found = query("SELECT id FROM api_keys WHERE id = $1", params![id])
                .fetch_optional(&self.pool)
                .await?;
            if found.is_none() {
                return Err(StoreError::not_found("API key", id));
            }
        }
        // Last use is bookkeeping: other nodes may keep an older one, which only means they
        // write it again sooner.
        self.cache
            .update::<ApiKeyCredential>(&("api_key", id.to_string()), |c| {
                c.key.last_used_at = c.key.last_used_at.max(Some(now));
            });
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_oauth_client(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<OAuthClient> {
        let client = OAuthClient {
            id: OAuthClientId::new(now, entropy()),
            name: required_text("name", name, 100)?,
            scopes,
            created_at: now,
            revoked_at: None,
        };
        let mut conn = self.pool.acquire().await?;
        insert(
            &mut conn,
            &rows::OAUTH_CLIENTS,
            account,
            rows::oauth_client_values(&client, secret_sha256),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("OAuth client {}", client.id),
                no_account(account),
            )
        })?;
        Ok(client)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn oauth_client_credential(
        &self,
        id: &OAuthClientId,
    ) -> StoreResult<OAuthClientCredential> {
        // Unscoped on purpose: the client id is how the credential names its account.
        let sql = format!(
            "SELECT account_id, {} FROM oauth_clients WHERE id = $1",
            rows::OAUTH_CLIENTS.columns()
        );
        query(&sql, params![id])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::oauth_client_credential(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("OAuth client", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_oauth_clients(
        &self,
        account: &AccountId,
        page: PageRequest<OAuthClientId>,
    ) -> StoreResult<List<OAuthClient>> {
        self.list(
            &rows::OAUTH_CLIENTS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::oauth_client,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn revoke_oauth_client(
        &self,
        account: &AccountId,
        id: &OAuthClientId,
        now: Timestamp,
    ) -> StoreResult<OAuthClient> {
        // Its tokens end with it: `oauth_token` only answers for clients not revoked.
        let sql = format!(
            "UPDATE oauth_clients SET revoked_at = COALESCE(revoked_at, $3) \
             WHERE account_id = $1 AND id = $2 RETURNING {}",
            rows::OAUTH_CLIENTS.columns()
        );
        query(&sql, params![account, id, now])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::oauth_client(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("OAuth client", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_oauth_token(
        &self,
        account: &AccountId,
        client: &OAuthClientId,
        scopes: ApiScopes,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        query(
            "INSERT INTO oauth_tokens (token_sha256, account_id, client_id, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
            params![
                rows::hash_text(sha256),
                account,
                client,
                scopes.to_text(),
                expires_at,
            ],
        )
        .execute(&self.pool)
        .await
        .map_err(|e| {
            write_error(
                e,
                || "this OAuth token".to_owned(),
                |_| StoreError::not_found("OAuth client", client),
            )
        })?;
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn oauth_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<OAuthTokenRecord>> {
        query(
            "SELECT t.account_id, t.client_id, t.scopes, t.expires_at FROM oauth_tokens t \
             JOIN oauth_clients c ON c.account_id = t.account_id AND c.id = t.client_id \
             WHERE t.token_sha256 = $1 AND t.expires_at > $2 AND c.revoked_at IS NULL",
            params![rows::hash_text(sha256), now],
        )
        .fetch_optional(&self.pool)
        .await?
        .map(|row| rows::oauth_token(&row))
        .transpose()
    }
}
