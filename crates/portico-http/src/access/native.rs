//! The native portal-session API: issue, list, inspect and revoke portal sessions.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_core::model::{CustomerRef, NewPortalSession, PortalFlow, PortalPage, PortalSession};
use portico_core::scope::ApiScope;
use portico_core::{ContactId, CustomerId, List, PortalSessionId, Timestamp};
use portico_store::PortalSessionFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::Target;
use crate::api::created;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, IdPath, JsonBody, RefPath, page};
use crate::idempotency::ReplayBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};
use portico_core::model::ContactRef;

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, revoke))
        .routes(routes!(revoke_all))
}

/// A new portal session: the token and the link that opens the portal with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalSessionCreated {
    pub id: PortalSessionId,
    /// The portal token (a JWT); it is shown only in this answer (a replay of the request under
    /// the same `Idempotency-Key` answers `null`).
    // Nullable in the document only: the first answer always has it, a replay never (only a
    // hash of a token is ever stored).
    #[schema(nullable)]
    pub token: String,
    /// The portal link, deep-linked to `page`, carrying the token (without it in a replay).
    pub url: String,
    pub expires_at: Timestamp,
    pub customer: CustomerId,
    pub contact: Option<ContactId>,
    pub page: PortalPage,
    pub scopes: Vec<String>,
    /// The one task the session is locked to, when it is a single-task link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow: Option<PortalFlow>,
}

/// Issues a portal session for a customer, or for one contact of it.
#[utoipa::path(post, path = "/api/v1/portal-sessions", tag = "portal-sessions",
    request_body = NewPortalSession,
    responses(
        (status = 201, description = "The new portal session", body = PortalSessionCreated),
        (status = 400, description = "No such customer or contact, or a flow that is unknown, names another customer's subscription, or needs a scope the session lacks", body = crate::error::ErrorBody),
    ),
    security(("bearer" = ["security:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Response> {
    auth.require(ApiScope::SecurityWrite)?;
    let input = body.parse::<NewPortalSession>()?;
    let request = input.validate()?;
    let customer = CustomerRef::parse(&input.customer);
    let target = match &input.contact {
        Some(c) => Target::CustomerContact(customer, ContactRef::parse(c)),
        None => Target::Customer(customer),
    };
    // The customer and contact are named in the body: one that does not exist is a bad request
    // naming the field, as on every other create.
    let now = s.app.clock.now();
    let issued = portico_app::access::issue_flow(
        &s.app,
        &auth.caller(),
        &target,
        request,
        input.flow.clone(),
        now,
    )
    .await
    .map_err(ApiError::from)
    .map_err(|e| match e {
        ApiError::NotFound(m) => {
            let field = if m.contains("contact") {
                "contact"
            } else {
                "customer"
            };
            ApiError::BadRequest(format!("{field}: {m}"))
        }
        e => e,
    })?;
    let url = issued.url(&s.app);
    let bare_url = format!(
        "{}{}",
        super::portal_origin(&s.app.public_url, &issued.account.subdomain),
        issued.session.page.path()
    );
    let session = issued.session;
    let answer = PortalSessionCreated {
        url,
        id: session.id,
        token: issued.token,
        expires_at: session.expires_at,
        customer: session.customer,
        contact: session.contact,
        page: session.page,
        scopes: session.scopes.names(),
        flow: session.flow,
    };
    // The token opens the portal: an idempotency record keeps the answer without it.
    let mut replay = serde_json::to_value(&answer).map_err(ApiError::internal)?;
    replay["token"] = serde_json::Value::Null;
    replay["url"] = bare_url.into();
    let replay = serde_json::to_vec(&replay).map_err(ApiError::internal)?;
    let mut response = created(answer).into_response();
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last portal session id of the previous page.
    #[param(value_type = Option<PortalSessionId>)]
    starting_after: Option<String>,
    /// Only sessions of this customer (id or alias).
    customer: Option<String>,
}

/// Lists portal sessions, newest first.
#[utoipa::path(get, path = "/api/v1/portal-sessions", tag = "portal-sessions",
    params(ListQuery),
    responses((status = 200, description = "A page of portal sessions", body = List<PortalSession>)),
    security(("bearer" = ["security:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<PortalSession>>> {
    auth.require(ApiScope::SecurityRead)?;
    let page = page::<PortalSessionId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let customer = match q.customer.as_deref() {
        Some(c) => Some(
            s.app
                .store
                .customer(&auth.account, &CustomerRef::parse(c))
                .await?
                .id,
        ),
        None => None,
    };
    let filter = PortalSessionFilter {
        customer,
        contact: None,
    };
    Ok(Json(
        s.app
            .store
            .list_portal_sessions(&auth.account, filter, page)
            .await?,
    ))
}

/// Gets a portal session (never its token).
#[utoipa::path(get, path = "/api/v1/portal-sessions/{id}", tag = "portal-sessions",
    params(("id" = String, Path, description = "Portal session id (`ps_…`)")),
    responses((status = 200, description = "The portal session", body = PortalSession)),
    security(("bearer" = ["security:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PortalSessionId>,
) -> ApiResult<Json<PortalSession>> {
    auth.require(ApiScope::SecurityRead)?;
    Ok(Json(s.app.store.portal_session(&auth.account, &id).await?))
}

/// Revokes a portal session: its token stops working, and so do browser sessions opened with it,
/// on their next request.
#[utoipa::path(delete, path = "/api/v1/portal-sessions/{id}", tag = "portal-sessions",
    params(("id" = String, Path, description = "Portal session id (`ps_…`)")),
    responses((status = 200, description = "The revoked portal session", body = PortalSession)),
    security(("bearer" = ["security:write"])))]
async fn revoke(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<PortalSessionId>,
) -> ApiResult<Json<PortalSession>> {
    auth.require(ApiScope::SecurityWrite)?;
    Ok(Json(
        s.app
            .store
            .revoke_portal_session(
                &auth.account,
                &id,
                s.app.clock.now(),
                &auth.actor(),
                auth.origin.as_ref(),
            )
            .await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// How many live sessions were revoked.
    pub revoked: u64,
}

/// Revokes every live portal session of one customer.
#[utoipa::path(delete, path = "/api/v1/customers/{id_or_alias}/portal-sessions", tag = "portal-sessions",
    params(("id_or_alias" = String, Path, description = "Customer id (`cus_…`) or alias")),
    responses((status = 200, description = "How many sessions were revoked", body = Revoked)),
    security(("bearer" = ["security:write"])))]
async fn revoke_all(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<Revoked>> {
    auth.require(ApiScope::SecurityWrite)?;
    let customer = s
        .app
        .store
        .customer(&auth.account, &CustomerRef::parse(&id))
        .await?;
    let revoked = s
        .app
        .store
        .revoke_customer_portal_sessions(
            &auth.account,
            &customer.id,
            s.app.clock.now(),
            &auth.actor(),
            auth.origin.as_ref(),
        )
        .await?;
    Ok(Json(Revoked { revoked }))
}
