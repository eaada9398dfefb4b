//! Customers and their contacts, as pages and the API read them.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn customer(&self, account: &AccountId, customer: &CustomerRef) -> StoreResult<Customer>;
    async fn list_customers(
        &self,
        account: &AccountId,
        email: Option<&str>,
        page: PageRequest<CustomerId>,
    ) -> StoreResult<List<Customer>>;
    async fn contact(&self, account: &AccountId, contact: &ContactRef) -> StoreResult<Contact>;
    async fn list_contacts(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<ContactId>,
    ) -> StoreResult<List<Contact>>;
}
