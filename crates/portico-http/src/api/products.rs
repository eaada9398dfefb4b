//! Products: what a vendor sells; plans price them.

use axum::Json;
use axum::extract::State;
use portico_core::model::{NewProduct, Product, ProductPatch};
use portico_core::scope::ApiScope;
use portico_core::{List, ProductId};
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
    /// The last product id of the previous page.
    #[param(value_type = Option<ProductId>)]
    starting_after: Option<String>,
}

/// Creates a product.
#[utoipa::path(post, path = "/api/v1/products", tag = "products",
    request_body = NewProduct,
    responses((status = 201, description = "The new product", body = Product)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Product>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewProduct>()?.validate()?;
    let product =
        portico_app::catalog::create_product(&s.app, &auth.caller(), input, s.app.clock.now())
            .await?;
    Ok(created(product))
}

/// Lists products, newest first.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    params(ListQuery),
    responses((status = 200, description = "A page of products", body = List<Product>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Product>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<ProductId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    Ok(Json(s.app.store.list_products(&auth.account, page).await?))
}

/// Gets a product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "Product id")),
    responses((status = 200, description = "The product", body = Product)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<ProductId>,
) -> ApiResult<Json<Product>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.product(&auth.account, &id).await?))
}

/// Changes the given fields of a product.
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "Product id")),
    request_body = ProductPatch,
    responses((status = 200, description = "The changed product", body = Product)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<ProductId>,
    body: JsonBody,
) -> ApiResult<Json<Product>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<ProductPatch>()?;
    let product =
        portico_app::catalog::update_product(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(product))
}

/// Deletes a product that no plan refers to (409 otherwise: archive it with `active: false`).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "Product id")),
    responses((status = 200, description = "The deleted product", body = Product),
        (status = 409, description = "Plans still refer to the product", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<ProductId>,
) -> ApiResult<Json<Product>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        portico_app::catalog::delete_product(&s.app, &auth.caller(), &id, s.app.clock.now())
            .await?,
    ))
}
