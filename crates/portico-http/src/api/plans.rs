//! Plans: a product's prices, each with a billing interval.

use axum::Json;
use axum::extract::State;
use portico_core::model::{NewPlan, Plan, PlanPatch};
use portico_core::scope::ApiScope;
use portico_core::{List, PlanId, ProductId};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::{Created, created};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, IdPath, JsonBody, id_param, page};
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last plan id of the previous page.
    #[param(value_type = Option<PlanId>)]
    starting_after: Option<String>,
    /// Only plans of this product.
    #[param(value_type = Option<ProductId>)]
    product: Option<String>,
}

/// Creates a plan of a product.
#[utoipa::path(post, path = "/api/v1/plans", tag = "plans",
    request_body = NewPlan,
    responses((status = 201, description = "The new plan", body = Plan)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Plan>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewPlan>()?.validate()?;
    let plan =
        portico_app::catalog::create_plan(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(plan))
}

/// Lists plans, newest first.
#[utoipa::path(get, path = "/api/v1/plans", tag = "plans",
    params(ListQuery),
    responses((status = 200, description = "A page of plans", body = List<Plan>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Plan>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<PlanId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let product = q
        .product
        .as_deref()
        .map(|p| id_param::<ProductId>("product", p))
        .transpose()?;
    Ok(Json(
        s.app
            .store
            .list_plans(&auth.account, product.as_ref(), page)
            .await?,
    ))
}

/// Gets a plan.
#[utoipa::path(get, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = PlanId, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = Plan)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PlanId>,
) -> ApiResult<Json<Plan>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.plan(&auth.account, &id).await?))
}

/// Changes the given fields of a plan; price and interval are fixed once it exists.
#[utoipa::path(patch, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = PlanId, Path, description = "Plan id")),
    request_body = PlanPatch,
    responses((status = 200, description = "The changed plan", body = Plan)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PlanId>,
    body: JsonBody,
) -> ApiResult<Json<Plan>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<PlanPatch>()?;
    let plan =
        portico_app::catalog::update_plan(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(plan))
}

/// Deletes a plan that no subscription refers to (409 otherwise: archive it with `active: false`).
#[utoipa::path(delete, path = "/api/v1/plans/{id}", tag = "plans",
    params(("id" = PlanId, Path, description = "Plan id")),
    responses((status = 200, description = "The deleted plan", body = Plan),
        (status = 409, description = "Subscriptions still refer to the plan", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PlanId>,
) -> ApiResult<Json<Plan>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        portico_app::catalog::delete_plan(&s.app, &auth.caller(), &id, s.app.clock.now()).await?,
    ))
}
