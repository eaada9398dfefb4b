//! Customers: the vendor's paying tenants, addressed by Portico id or by the vendor's alias.

use axum::Json;
use axum::extract::State;
use portico_core::model::{Customer, CustomerPatch, CustomerRef, NewCustomer};
use portico_core::scope::ApiScope;
use portico_core::{CustomerId, List};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::{Created, created};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, JsonBody, RefPath, page};
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
    /// The last customer id of the previous page.
    #[param(value_type = Option<CustomerId>)]
    starting_after: Option<String>,
    /// Only customers with this e-mail address.
    email: Option<String>,
}

/// Creates a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers",
    request_body = NewCustomer,
    responses((status = 201, description = "The new customer", body = Customer)),
    security(("bearer" = ["customers:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Customer>> {
    auth.require(ApiScope::CustomersWrite)?;
    let input = body.parse::<NewCustomer>()?.validate()?;
    let customer =
        portico_app::customers::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(customer))
}

/// Lists customers, newest first.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers",
    params(ListQuery),
    responses((status = 200, description = "A page of customers", body = List<Customer>)),
    security(("bearer" = ["customers:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Customer>>> {
    auth.require(ApiScope::CustomersRead)?;
    let page = page::<CustomerId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let list = s
        .app
        .store
        .list_customers(&auth.account, q.email.as_deref(), page)
        .await?;
    Ok(Json(list))
}

/// Gets a customer by id or alias.
#[utoipa::path(get, path = "/api/v1/customers/{id_or_alias}", tag = "customers",
    params(("id_or_alias" = String, Path, description = "Customer id (`cus_…`) or alias")),
    responses((status = 200, description = "The customer", body = Customer)),
    security(("bearer" = ["customers:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<Customer>> {
    auth.require(ApiScope::CustomersRead)?;
    let customer = s
        .app
        .store
        .customer(&auth.account, &CustomerRef::parse(&id))
        .await?;
    Ok(Json(customer))
}

/// Changes the given fields of a customer; `null` clears a nullable field.
#[utoipa::path(patch, path = "/api/v1/customers/{id_or_alias}", tag = "customers",
    params(("id_or_alias" = String, Path, description = "Customer id (`cus_…`) or alias")),
    request_body = CustomerPatch,
    responses((status = 200, description = "The changed customer", body = Customer)),
    security(("bearer" = ["customers:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
    body: JsonBody,
) -> ApiResult<Json<Customer>> {
    auth.require(ApiScope::CustomersWrite)?;
    let patch = body.parse::<CustomerPatch>()?;
    let customer = portico_app::customers::update(
        &s.app,
        &auth.caller(),
        &CustomerRef::parse(&id),
        patch,
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(customer))
}

/// Deletes a customer and cancels its live subscriptions; its alias becomes free.
#[utoipa::path(delete, path = "/api/v1/customers/{id_or_alias}", tag = "customers",
    params(("id_or_alias" = String, Path, description = "Customer id (`cus_…`) or alias")),
    responses((status = 200, description = "The deleted customer", body = Customer)),
    security(("bearer" = ["customers:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<Customer>> {
    auth.require(ApiScope::CustomersWrite)?;
    let customer = portico_app::customers::delete(
        &s.app,
        &auth.caller(),
        &CustomerRef::parse(&id),
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(customer))
}
