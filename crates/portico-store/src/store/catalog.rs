//! The catalogue: products and plans, as pages and the API read them.

use async_trait::async_trait;
use portico_core::model::*;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn product(&self, account: &AccountId, id: &ProductId) -> StoreResult<Product>;
    async fn list_products(
        &self,
        account: &AccountId,
        page: PageRequest<ProductId>,
    ) -> StoreResult<List<Product>>;
    async fn plan(&self, account: &AccountId, id: &PlanId) -> StoreResult<Plan>;
    /// The plans of `ids` in one read, newest first; ids that name no plan are left out.
    async fn plans_by_ids(&self, account: &AccountId, ids: &[PlanId]) -> StoreResult<Vec<Plan>>;
    async fn list_plans(
        &self,
        account: &AccountId,
        product: Option<&ProductId>,
        page: PageRequest<PlanId>,
    ) -> StoreResult<List<Plan>>;
}
