//! Payment methods: cards and bank accounts as the provider describes them, never a full number.

use axum::Json;
use axum::extract::State;
use portico_core::model::{CustomerRef, NewPaymentMethod, PaymentMethod, PaymentMethodPatch};
use portico_core::scope::ApiScope;
use portico_core::{List, PaymentMethodId};
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
        .routes(routes!(get, update, delete))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last payment method id of the previous page.
    #[param(value_type = Option<PaymentMethodId>)]
    starting_after: Option<String>,
    /// Only payment methods of this customer (id or alias).
    customer: Option<String>,
}

/// Adds a payment method to a customer.
#[utoipa::path(post, path = "/api/v1/payment-methods", tag = "payment-methods",
    request_body = NewPaymentMethod,
    responses((status = 201, description = "The new payment method", body = PaymentMethod)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<PaymentMethod>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewPaymentMethod>()?;
    let pm = portico_app::payment_methods::create(&s.app, &auth.caller(), input, s.app.clock.now())
        .await?;
    Ok(created(pm))
}

/// Lists payment methods, newest first.
#[utoipa::path(get, path = "/api/v1/payment-methods", tag = "payment-methods",
    params(ListQuery),
    responses((status = 200, description = "A page of payment methods", body = List<PaymentMethod>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<PaymentMethod>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<PaymentMethodId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let customer = q.customer.as_deref().map(CustomerRef::parse);
    Ok(Json(
        s.app
            .store
            .list_payment_methods(&auth.account, customer.as_ref(), page)
            .await?,
    ))
}

/// Gets a payment method.
#[utoipa::path(get, path = "/api/v1/payment-methods/{id}", tag = "payment-methods",
    params(("id" = PaymentMethodId, Path, description = "Payment method id")),
    responses((status = 200, description = "The payment method", body = PaymentMethod)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PaymentMethodId>,
) -> ApiResult<Json<PaymentMethod>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.payment_method(&auth.account, &id).await?))
}

/// Changes expiry, provider reference or makes this the customer's default.
#[utoipa::path(patch, path = "/api/v1/payment-methods/{id}", tag = "payment-methods",
    params(("id" = PaymentMethodId, Path, description = "Payment method id")),
    request_body = PaymentMethodPatch,
    responses((status = 200, description = "The changed payment method", body = PaymentMethod)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PaymentMethodId>,
    body: JsonBody,
) -> ApiResult<Json<PaymentMethod>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<PaymentMethodPatch>()?;
    let pm =
        portico_app::payment_methods::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(pm))
}

/// Removes a payment method.
#[utoipa::path(delete, path = "/api/v1/payment-methods/{id}", tag = "payment-methods",
    params(("id" = PaymentMethodId, Path, description = "Payment method id")),
    responses((status = 200, description = "The removed payment method", body = PaymentMethod)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PaymentMethodId>,
) -> ApiResult<Json<PaymentMethod>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        portico_app::payment_methods::delete(&s.app, &auth.caller(), &id, s.app.clock.now())
            .await?,
    ))
}
