//! The REST dialect: `POST /api/v1/customers/{id_or_alias}/portal-token` answers
//! `{"token", "portal_url", "portal_link", "api_url", "expires_at"}`, with `null`, `{}` or
//! `{"expires_in_seconds": n, "scopes": ["read", "manage"]}` as the body.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_core::model::{CustomerRef, PortalPage, PortalSessionRequest, check_expires_in};
use portico_core::scope::{ApiScope, PortalScopes};
use portico_core::{Invalid, Timestamp};
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

/// What a portal token may do: `read` shows billing state only; `manage` also allows the
/// portal's actions, as far as the account's settings and the contact's role allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CustomerPortalScope {
    Read,
    Manage,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPortalTokenRequest {
    /// Token lifetime in seconds, 60 to 2592000 (30 days); default 86400 (24 hours).
    #[schema(minimum = 60, maximum = 2592000)]
    pub expires_in_seconds: Option<i64>,
    /// What the token may do; default both. `["read"]` alone gives a token that only reads
    /// billing state (the portal shows no actions, and the portal read API answers it).
    pub scopes: Option<Vec<CustomerPortalScope>>,
}

/// The portal scopes of a request's `scopes`: `None` is everything the account allows.
fn portal_scopes(scopes: Option<&[CustomerPortalScope]>) -> Result<Option<PortalScopes>, Invalid> {
    match scopes {
        None => Ok(None),
        Some([]) => Err(Invalid::new("scopes", "must name `read`, `manage` or both")),
        Some(s) if s.contains(&CustomerPortalScope::Manage) => Ok(None),
        Some(_) => Ok(Some(PortalScopes::read_only())),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPortalTokenResponse {
    /// JWT token for portal access; shown only in this answer: a replay of the request under
    /// the same `Idempotency-Key` answers `null`, since the token itself is never stored.
    #[schema(required = true)]
    pub token: Option<String>,
    /// Base URL of the customer portal; open `{portal_url}?token={token}`.
    pub portal_url: String,
    /// The portal URL with the token: the link to send the customer's browser to (`null` in a
    /// replay, like `token`).
    #[schema(required = true)]
    pub portal_link: Option<String>,
    /// Base URL of the portal read API, which answers this token as a bearer credential
    /// (`GET {api_url}/summary`).
    pub api_url: String,
    /// When the token expires (RFC 3339).
    pub expires_at: Timestamp,
}

/// Generates a portal token for a customer.
#[utoipa::path(post, path = "/api/v1/customers/{id_or_alias}/portal-token", tag = "portal-sessions",
    params(("id_or_alias" = String, Path, description = "customer ID or alias")),
    request_body(content = Option<CustomerPortalTokenRequest>, description = "`null`, `{}` or `{\"expires_in_seconds\": n, \"scopes\": [\"read\"]}`"),
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
        scopes: portal_scopes(input.scopes.as_deref())?,
        invalidate_existing: false,
    };
    let issued = issue(
        &s,
        &auth,
        &Target::Customer(CustomerRef::parse(&id)),
        request,
    )
    .await?;
    let origin = portal_origin(&s.app.public_url, &issued.account.subdomain);
    let mut answer = CustomerPortalTokenResponse {
        portal_link: Some(issued.url(&s.app)),
        portal_url: format!("{origin}/portal"),
        api_url: format!("{origin}{}", crate::portal::api::BASE),
        expires_at: issued.session.expires_at,
        token: Some(issued.token),
    };
    let mut response = Json(&answer).into_response();
    // The token opens the portal: an idempotency record keeps the answer without it.
    answer.token = None;
    answer.portal_link = None;
    let replay = serde_json::to_vec(&answer).map_err(ApiError::internal)?;
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CustomerPortalScope::{Manage, Read};

    #[test]
    fn read_alone_is_read_only_and_manage_is_everything_allowed() {
        assert_eq!(portal_scopes(None).unwrap(), None);
        assert_eq!(portal_scopes(Some(&[Read, Manage])).unwrap(), None);
        assert_eq!(portal_scopes(Some(&[Manage])).unwrap(), None);
        assert_eq!(
            portal_scopes(Some(&[Read])).unwrap(),
            Some(PortalScopes::read_only())
        );
        assert_eq!(portal_scopes(Some(&[])).unwrap_err().field, "scopes");
    }
}
