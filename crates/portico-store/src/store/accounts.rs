//! Accounts: the vendor's tenancy and its portal settings.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(
        &self,
        subdomain: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn account(&self, id: &AccountId) -> StoreResult<Account>;
    async fn account_by_subdomain(&self, subdomain: &str) -> StoreResult<Account>;
}
