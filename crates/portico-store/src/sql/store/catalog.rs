//! The catalogue: products and plans, as pages and the API read them.

use super::*;

#[async_trait]
impl CatalogStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn product(&self, account: &AccountId, id: &ProductId) -> StoreResult<Product> {
        self.get(
            &rows::PRODUCTS,
            account,
            id.as_str(),
            "product",
            rows::product,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_products(
        &self,
        account: &AccountId,
        page: PageRequest<ProductId>,
    ) -> StoreResult<List<Product>> {
        self.list(
            &rows::PRODUCTS,
            account,
            vec![],
            page.limit,
            cursor(&page),
            rows::product,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn plan(&self, account: &AccountId, id: &PlanId) -> StoreResult<Plan> {
        let load = async {
            self.get(&rows::PLANS, account, id.as_str(), "plan", rows::plan)
                .await
        };
        let key = ("plan", format!("{account}/{id}"));
        self.cached(key, CACHE_TTL, |_: &Plan| Change::account(account), load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn plans_by_ids(&self, account: &AccountId, ids: &[PlanId]) -> StoreResult<Vec<Plan>> {
        let mut ids: Vec<&str> = ids.iter().map(PlanId::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        // Cached like one plan: the catalogue changes with the whole account's scope.
        let key = ("plans_by_ids", format!("{account}/{}", ids.join(",")));
        let load = self.by_ids(&rows::PLANS, account, &ids, rows::plan);
        let scope = |_: &Vec<Plan>| Change::account(account);
        self.cached(key, CACHE_TTL, scope, load).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_plans(
        &self,
        account: &AccountId,
        product: Option<&ProductId>,
        page: PageRequest<PlanId>,
    ) -> StoreResult<List<Plan>> {
        let filters = product
            .map(|p| ("product_id", p.into()))
            .into_iter()
            .collect();
        self.list(
            &rows::PLANS,
            account,
            filters,
            page.limit,
            cursor(&page),
            rows::plan,
        )
        .await
    }
}
