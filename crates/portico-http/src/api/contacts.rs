//! Contacts: the people of a customer who may open the portal, addressed by id or external id.

use axum::Json;
use axum::extract::State;
use portico_core::model::{Contact, ContactPatch, ContactRef, CustomerRef, NewContact};
use portico_core::scope::ApiScope;
use portico_core::{ContactId, List};
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
    /// The last contact id of the previous page.
    #[param(value_type = Option<ContactId>)]
    starting_after: Option<String>,
    /// Only contacts of this customer (id or alias).
    customer: Option<String>,
}

/// Creates a contact of a customer.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts",
    request_body = NewContact,
    responses((status = 201, description = "The new contact", body = Contact)),
    security(("bearer" = ["customers:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Contact>> {
    auth.require(ApiScope::CustomersWrite)?;
    let input = body.parse::<NewContact>()?.validate()?;
    let contact =
        portico_app::contacts::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(contact))
}

/// Lists contacts, newest first.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts",
    params(ListQuery),
    responses((status = 200, description = "A page of contacts", body = List<Contact>)),
    security(("bearer" = ["customers:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Contact>>> {
    auth.require(ApiScope::CustomersRead)?;
    let page = page::<ContactId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let customer = q.customer.as_deref().map(CustomerRef::parse);
    let list = s
        .app
        .store
        .list_contacts(&auth.account, customer.as_ref(), page)
        .await?;
    Ok(Json(list))
}

/// Gets a contact by id or external id.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "Contact id (`ctc_…`) or external id")),
    responses((status = 200, description = "The contact", body = Contact)),
    security(("bearer" = ["customers:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<Contact>> {
    auth.require(ApiScope::CustomersRead)?;
    let contact = s
        .app
        .store
        .contact(&auth.account, &ContactRef::parse(&id))
        .await?;
    Ok(Json(contact))
}

/// Changes the given fields of a contact; `null` clears a nullable field.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "Contact id (`ctc_…`) or external id")),
    request_body = ContactPatch,
    responses((status = 200, description = "The changed contact", body = Contact)),
    security(("bearer" = ["customers:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
    body: JsonBody,
) -> ApiResult<Json<Contact>> {
    auth.require(ApiScope::CustomersWrite)?;
    let patch = body.parse::<ContactPatch>()?;
    let contact = portico_app::contacts::update(
        &s.app,
        &auth.caller(),
        &ContactRef::parse(&id),
        patch,
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(contact))
}

/// Deletes a contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}", tag = "contacts",
    params(("id" = String, Path, description = "Contact id (`ctc_…`) or external id")),
    responses((status = 200, description = "The deleted contact", body = Contact)),
    security(("bearer" = ["customers:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<Contact>> {
    auth.require(ApiScope::CustomersWrite)?;
    let contact = portico_app::contacts::delete(
        &s.app,
        &auth.caller(),
        &ContactRef::parse(&id),
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(contact))
}
