//! The REST dialect: `POST /api/v1/customers/{id_or_alias}/portal-token` answers
//! `{"token", "portal_url"}`, with `null` or `{"expires_in_seconds": n}` as the body.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_core::model::{CustomerRef, PortalPage, PortalSessionRequest, check_expires_in};
use portico_core::scope::ApiScope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::{Target, issue, portal_origin};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, RefPath};
use crate::idempotency::ReplayBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new().routes(routes!(portal_token))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPortalTokenRequest {
    /// Token lifetime in seconds, 60 to 2592000 (30 days); default 86400 (24 hours).
    pub expires_in_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPortalTokenResponse {
    /// JWT token for portal access; shown only in this answer (a replay of the request under the
    /// same `Idempotency-Key` answers `null`).
    // Nullable in the document only: the first answer always has it, a replay never (only a
    // hash of a token is ever stored).
    #[schema(nullable)]
    pub token: String,
    /// Base URL of the customer portal; open `{portal_url}?token={token}`.
    pub portal_url: String,
}

/// Generates a portal token for a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id_or_alias}/portal-token", tag = "portal-sessions",
    params(("id_or_alias" = String, Path, description = "customer ID or alias")),
    request_body(content = Option<CustomerPortalTokenRequest>, description = "`null`, `{}` or `{\"expires_in_seconds\": n}`"),
    responses((status = 200, description = "Portal token generated", body = CustomerPortalTokenResponse)),
    security(("bearer" = ["security:write"])))]
async fn portal_token(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
    body: JsonBody,
) -> ApiResult<Response> {
    auth.require(ApiScope::SecurityWrite)?;
    let input = body
        .parse_optional::<CustomerPortalTokenRequest>()?
        .unwrap_or_default();
    let request = PortalSessionRequest {
        expires_in_seconds: check_expires_in("expires_in_seconds", input.expires_in_seconds)?,
        return_url: None,
        locale: None,
        page: PortalPage::Overview,
        scopes: None,
        invalidate_existing: false,
    };
    let issued = issue(
        &s,
        &auth,
        &Target::Customer(CustomerRef::parse(&id)),
        request,
    )
    .await?;
    let portal_url = format!(
        "{}/portal",
        portal_origin(&s.public_url, &issued.account.subdomain)
    );
    // The token opens the portal: an idempotency record keeps the answer without it.
    let replay = serde_json::to_vec(&serde_json::json!({"token": null, "portal_url": portal_url}))
        .map_err(ApiError::internal)?;
    let mut response = Json(CustomerPortalTokenResponse {
        portal_url,
        token: issued.token,
    })
    .into_response();
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}
