//! The vendor's credentials: API keys, OAuth clients and their access tokens.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::scope::ApiScopes;
use portico_core::*;

use crate::*;

/// An API key as the authenticator needs it: owner, metadata and the SHA-256 of its secret.
#[derive(Debug, Clone)]
pub struct ApiKeyCredential {
    pub account: AccountId,
    pub key: ApiKey,
    pub secret_sha256: [u8; 32],
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn create_api_key(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: [u8; 32],
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<ApiKey>;
    /// The one lookup not scoped by account: the key id comes from the credential itself.
    async fn api_key_credential(&self, id: &ApiKeyId) -> StoreResult<ApiKeyCredential>;
    async fn list_api_keys(
        &self,
        account: &AccountId,
        page: PageRequest<ApiKeyId>,
    ) -> StoreResult<List<ApiKey>>;
    async fn revoke_api_key(
        &self,
        account: &AccountId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<ApiKey>;
    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> StoreResult<()>;
    async fn create_oauth_client(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<OAuthClient>;
    /// Unscoped: the client id comes from the credential.
    async fn oauth_client_credential(
        &self,
        id: &OAuthClientId,
    ) -> StoreResult<OAuthClientCredential>;
    async fn list_oauth_clients(
        &self,
        account: &AccountId,
        page: PageRequest<OAuthClientId>,
    ) -> StoreResult<List<OAuthClient>>;
    /// Revoking a client also ends its access tokens.
    async fn revoke_oauth_client(
        &self,
        account: &AccountId,
        id: &OAuthClientId,
        now: Timestamp,
    ) -> StoreResult<OAuthClient>;
    async fn create_oauth_token(
        &self,
        account: &AccountId,
        client: &OAuthClientId,
        scopes: ApiScopes,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// A token that exists, has not expired at `now`, and whose client is not revoked.
    async fn oauth_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<OAuthTokenRecord>>;
}
