//! The catalogue: products and their plans. Both show on every customer's pages, so each write
//! changes the whole account's scope.

use portico_core::model::{Plan, Product};
use portico_core::{PlanId, ProductId};

use super::UnitOfWork;
use crate::sql::rows::{self, PLANS, PRODUCTS, Table};
use crate::sql::statements::{
    Decode, exists, find, for_update, hard_delete, insert, no_such, save,
};
use crate::sql::write_error;
use crate::{StoreError, StoreResult};

pub struct Products<'u>(pub(super) &'u mut UnitOfWork);
pub struct Plans<'u>(pub(super) &'u mut UnitOfWork);

impl Products<'_> {
    /// A product, locked until the unit ends.
    pub async fn lock(&mut self, id: &ProductId) -> StoreResult<Option<Product>> {
        lock(self.0, &PRODUCTS, id.as_str(), rows::product).await
    }

    /// A product, without locking it.
    pub async fn find(&mut self, id: &ProductId) -> StoreResult<Option<Product>> {
        let (conn, _, account) = self.0.parts();
        find(conn, &PRODUCTS, account, id.as_str(), "", rows::product).await
    }

    pub async fn insert(&mut self, product: &Product) -> StoreResult<()> {
        let values = rows::product_values(product);
        let exists = || format!("product {}", product.id);
        let account = self.0.account().clone();
        let missing = |_| StoreError::not_found("account", account);
        write(self.0, &PRODUCTS, values, false, exists, missing).await
    }

    pub async fn save(&mut self, product: &Product) -> StoreResult<()> {
        let values = rows::product_values(product);
        let exists = || format!("product {}", product.id);
        write(
            self.0,
            &PRODUCTS,
            values,
            true,
            exists,
            StoreError::Database,
        )
        .await
    }

    /// Deletes the product for good; `Conflict` while plans refer to it.
    pub async fn delete(&mut self, product: &Product) -> StoreResult<()> {
        let in_use = format!(
            "product {} has plans; archive it (active: false) instead",
            product.id
        );
        delete_unreferenced(
            self.0,
            &PRODUCTS,
            product.id.as_str(),
            ("plans", "product_id"),
            in_use,
        )
        .await
    }
}

impl Plans<'_> {
    pub async fn lock(&mut self, id: &PlanId) -> StoreResult<Option<Plan>> {
        lock(self.0, &PLANS, id.as_str(), rows::plan).await
    }

    pub async fn find(&mut self, id: &PlanId) -> StoreResult<Option<Plan>> {
        let (conn, _, account) = self.0.parts();
        find(conn, &PLANS, account, id.as_str(), "", rows::plan).await
    }

    /// A new plan of a product the caller has found; a product deleted since is `Invalid`.
    pub async fn insert(&mut self, plan: &Plan) -> StoreResult<()> {
        let values = rows::plan_values(plan);
        let exists = || format!("plan {}", plan.id);
        let missing = |_| no_such("product", "product", &plan.product);
        write(self.0, &PLANS, values, false, exists, missing).await
    }

    pub async fn save(&mut self, plan: &Plan) -> StoreResult<()> {
        let values = rows::plan_values(plan);
        let exists = || format!("plan {}", plan.id);
        write(self.0, &PLANS, values, true, exists, StoreError::Database).await
    }

    /// Deletes the plan for good; `Conflict` while subscriptions refer to it.
    pub async fn delete(&mut self, plan: &Plan) -> StoreResult<()> {
        let in_use = format!(
            "plan {} has subscriptions; archive it (active: false) instead",
            plan.id
        );
        let referrers = ("subscriptions", "plan_id");
        delete_unreferenced(self.0, &PLANS, plan.id.as_str(), referrers, in_use).await
    }
}

async fn lock<T>(
    uow: &mut UnitOfWork,
    table: &Table,
    id: &str,
    decode: Decode<T>,
) -> StoreResult<Option<T>> {
    let (conn, backend, account) = uow.parts();
    find(conn, table, account, id, for_update(backend), decode).await
}

/// Inserts (or with `existing`, writes back) a catalogue row.
async fn write(
    uow: &mut UnitOfWork,
    table: &Table,
    values: Vec<rows::Value>,
    existing: bool,
    exists: impl FnOnce() -> String,
    missing: impl FnOnce(sqlx::Error) -> StoreError,
) -> StoreResult<()> {
    let (conn, _, account) = uow.parts();
    let done = if existing {
        save(conn, table, account, values).await
    } else {
        insert(conn, table, account, values).await
    };
    done.map_err(|e| write_error(e, exists, missing))?;
    uow.account_changed();
    Ok(())
}

/// Deletes a row unless rows of `(table, column)` refer to it (`Conflict` with `in_use`).
async fn delete_unreferenced(
    uow: &mut UnitOfWork,
    table: &Table,
    id: &str,
    (referrers, column): (&str, &str),
    in_use: String,
) -> StoreResult<()> {
    let (conn, _, account) = uow.parts();
    if exists(conn, referrers, account, column, id.into()).await? {
        return Err(StoreError::Conflict(in_use));
    }
    // The foreign key still refuses a referrer that was added in the meantime.
    hard_delete(conn, table, account, id, || in_use).await?;
    uow.account_changed();
    Ok(())
}
