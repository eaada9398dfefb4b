//! The accounts' signing keys, sealed at rest.

use async_trait::async_trait;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    async fn create_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// The account's keys, newest first, revoked ones included.
    async fn signing_keys(&self, account: &AccountId) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Every account's keys that are not revoked, for the JWKS document.
    async fn published_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Unscoped: the `kid` of a token names the key, and the key names its account.
    async fn signing_key(&self, id: &SigningKeyId) -> StoreResult<SigningKeyRecord>;
    /// Marks every unretired key of the account except `current` as retired at `now`.
    async fn retire_signing_keys(
        &self,
        account: &AccountId,
        current: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn revoke_signing_key(
        &self,
        account: &AccountId,
        id: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()>;
}
