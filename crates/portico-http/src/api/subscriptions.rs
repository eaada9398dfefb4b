//! Subscriptions: a customer on a plan; DELETE cancels, at once or at the end of the period.

use axum::Json;
use axum::extract::State;
use portico_app::subscriptions::{self, Cancellation, Requester};
use portico_core::model::{
    CancelMode, CustomerRef, NewSubscription, Subscription, SubscriptionPatch, SubscriptionStatus,
};
use portico_core::scope::ApiScope;
use portico_core::{List, SubscriptionId};
use portico_store::SubscriptionFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::{Created, created};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, IdPath, JsonBody, page};
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, cancel))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last subscription id of the previous page.
    #[param(value_type = Option<SubscriptionId>)]
    starting_after: Option<String>,
    /// Only subscriptions of this customer (id or alias).
    customer: Option<String>,
    /// Only subscriptions in this status.
    #[param(value_type = Option<SubscriptionStatus>)]
    status: Option<String>,
}

/// How and why a subscription is canceled; the whole body may be left out.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSubscription {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// What the customer said, beside the reason.
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
    /// `immediately` (the default) or `at_period_end`, which keeps the subscription until its
    /// period ends and may be taken back with `PATCH {"cancel_at_period_end": false}`.
    pub mode: Option<CancelMode>,
}

/// Subscribes a customer to a plan.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "subscriptions",
    request_body = NewSubscription,
    responses((status = 201, description = "The new subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewSubscription>()?;
    let sub = portico_app::subscriptions::create(&s.app, &auth.caller(), input, s.app.clock.now())
        .await?;
    Ok(created(sub))
}

/// Lists subscriptions, newest first.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "subscriptions",
    params(ListQuery),
    responses((status = 200, description = "A page of subscriptions", body = List<Subscription>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Subscription>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<SubscriptionId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let filter = SubscriptionFilter {
        customer: q.customer.as_deref().map(CustomerRef::parse),
        status: q
            .status
            .as_deref()
            .map(|st| SubscriptionStatus::parse("status", st))
            .transpose()?,
    };
    Ok(Json(
        s.app
            .store
            .list_subscriptions(&auth.account, filter, page)
            .await?,
    ))
}

/// Gets a subscription.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = Subscription)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.subscription(&auth.account, &id).await?))
}

/// Changes plan, quantity, status or cancellation at period end.
#[utoipa::path(patch, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body = SubscriptionPatch,
    responses((status = 200, description = "The changed subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<SubscriptionPatch>()?;
    let sub =
        portico_app::subscriptions::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(sub))
}

/// Cancels a subscription now or at the end of its period; the body
/// `{"mode": "at_period_end", "reason": "…", "comment": "…"}` is optional.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body(content = Option<CancelSubscription>, description = "Optional mode, reason and comment"),
    responses((status = 200, description = "The canceled subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn cancel(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let body = body
        .parse_optional::<CancelSubscription>()?
        .unwrap_or_default();
    let c = Cancellation {
        mode: body.mode.unwrap_or(CancelMode::Immediately),
        reason: body.reason,
        comment: body.comment,
    };
    let (by, now) = (auth.caller(), s.app.clock.now());
    let sub = subscriptions::cancel_as(&s.app, &by, Requester::Vendor, &id, c, now).await?;
    Ok(Json(sub))
}
