//! The catalogue: products and their plans.

use portico_core::event::EventType;
use portico_core::model::{NewPlan, NewProduct, Plan, PlanPatch, Product, ProductPatch};
use portico_core::{PlanId, ProductId, Timestamp};

use crate::error::no_such;
use crate::{App, AppError, AppResult, Caller, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create_product(
    app: &App,
    by: &Caller,
    input: NewProduct,
    now: Timestamp,
) -> AppResult<Product> {
    let input = input.validate()?;
    let product = Product {
        id: ProductId::new(now, entropy()),
        name: input.name,
        description: input.description,
        self_service: input.self_service,
        active: input.active,
        created_at: now,
        updated_at: now,
    };
    let mut uow = app.begin(by, now).await?;
    uow.products().insert(&product).await?;
    uow.record(EventType::ProductCreated, None, &product)?;
    uow.commit().await?;
    Ok(product)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update_product(
    app: &App,
    by: &Caller,
    id: &ProductId,
    patch: ProductPatch,
    now: Timestamp,
) -> AppResult<Product> {
    let mut uow = app.begin(by, now).await?;
    let current = uow
        .products()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("product", id))?;
    let updated = patch.apply(current, now)?;
    uow.products().save(&updated).await?;
    uow.record(EventType::ProductUpdated, None, &updated)?;
    uow.commit().await?;
    Ok(updated)
}

/// Refused with `Conflict` while plans refer to it.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete_product(
    app: &App,
    by: &Caller,
    id: &ProductId,
    now: Timestamp,
) -> AppResult<Product> {
    let mut uow = app.begin(by, now).await?;
    let product = uow
        .products()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("product", id))?;
    uow.products().delete(&product).await?;
    uow.record(EventType::ProductDeleted, None, &product)?;
    uow.commit().await?;
    Ok(product)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create_plan(
    app: &App,
    by: &Caller,
    input: NewPlan,
    now: Timestamp,
) -> AppResult<Plan> {
    let input = input.validate()?;
    let mut uow = app.begin(by, now).await?;
    let product = uow
        .products()
        .find(&input.product)
        .await?
        .ok_or_else(|| no_such("product", "product", &input.product))?;
    let plan = Plan {
        id: PlanId::new(now, entropy()),
        product: product.id,
        name: input.name,
        interval: input.interval,
        interval_count: input.interval_count,
        unit_amount: input.unit_amount,
        currency: input.currency,
        self_service: input.self_service,
        trial_days: input.trial_days,
        min_quantity: input.min_quantity,
        max_quantity: input.max_quantity,
        active: input.active,
        created_at: now,
        updated_at: now,
    };
    uow.plans().insert(&plan).await?;
    uow.record(EventType::PlanCreated, None, &plan)?;
    uow.commit().await?;
    Ok(plan)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update_plan(
    app: &App,
    by: &Caller,
    id: &PlanId,
    patch: PlanPatch,
    now: Timestamp,
) -> AppResult<Plan> {
    let mut uow = app.begin(by, now).await?;
    let current = uow
        .plans()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("plan", id))?;
    let updated = patch.apply(current, now)?;
    uow.plans().save(&updated).await?;
    uow.record(EventType::PlanUpdated, None, &updated)?;
    uow.commit().await?;
    Ok(updated)
}

/// Refused with `Conflict` while subscriptions refer to it.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete_plan(app: &App, by: &Caller, id: &PlanId, now: Timestamp) -> AppResult<Plan> {
    let mut uow = app.begin(by, now).await?;
    let plan = uow
        .plans()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("plan", id))?;
    uow.plans().delete(&plan).await?;
    uow.record(EventType::PlanDeleted, None, &plan)?;
    uow.commit().await?;
    Ok(plan)
}
