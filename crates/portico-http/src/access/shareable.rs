//! The signed-link dialect: ask whether a contact may open the portal (so the vendor shows or
//! hides its button), then get a link `{portal_url}/redirect/{token}` that works once, within
//! 30 seconds, and turns into a browser session.

use axum::Json;
use axum::extract::State;
use portico_auth::redirect;
use portico_core::model::{
    ContactRef, CustomerRef, PortalPage, PortalSessionRequest, access_refusal,
};
use portico_core::scope::ApiScope;
use portico_core::{ContactId, CustomerId, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use portico_store::StoreError;

use super::{Target, issue, portal_origin};
use crate::error::ApiResult;
use crate::extract::RefPath;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new().routes(routes!(access)).routes(routes!(link))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PortalAccess {
    /// Whether the contact may open the portal now.
    pub access: bool,
    /// Why not, when `access` is false.
    pub reason: Option<String>,
    pub enduser_id: ContactId,
    pub customer: CustomerId,
}

/// Tells whether a contact may use the portal: portal access on, its customer's portal enabled,
/// neither deleted.
#[utoipa::path(get, path = "/api/v1/shareabletokens/access/{enduserId}", tag = "portal-sessions",
    params(("enduserId" = String, Path, description = "Contact id (`ctc_…`) or external id")),
    responses((status = 200, description = "Whether the contact may open the portal", body = PortalAccess)),
    security(("bearer" = ["security:read"])))]
async fn access(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<PortalAccess>> {
    auth.require(ApiScope::SecurityRead)?;
    let contact = s
        .app
        .store
        .contact(&auth.account, &ContactRef::parse(&id))
        .await?;
    let reason = match s
        .app
        .store
        .customer(&auth.account, &CustomerRef::Id(contact.customer.clone()))
        .await
    {
        Ok(customer) => access_refusal(&customer, Some(&contact)),
        Err(StoreError::NotFound { .. }) => Some("the customer was deleted"),
        Err(e) => return Err(e.into()),
    };
    Ok(Json(PortalAccess {
        access: reason.is_none(),
        reason: reason.map(str::to_owned),
        enduser_id: contact.id,
        customer: contact.customer,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedLink {
    /// `{portal_url}/redirect/{token}`: opens the portal once, within 30 seconds.
    pub url: String,
    pub expires_at: Timestamp,
}

/// Returns a signed, single-use link that logs the contact into the portal.
#[utoipa::path(get, path = "/api/v1/shareabletokens/{enduserId}", tag = "portal-sessions",
    params(("enduserId" = String, Path, description = "Contact id (`ctc_…`) or external id")),
    responses((status = 200, description = "The signed link", body = SignedLink)),
    security(("bearer" = ["security:write"])))]
async fn link(
    State(s): State<AppState>,
    auth: VendorAuth,
    RefPath(id): RefPath,
) -> ApiResult<Json<SignedLink>> {
    auth.require(ApiScope::SecurityWrite)?;
    let request = PortalSessionRequest {
        expires_in_seconds: portico_core::model::DEFAULT_SESSION_SECS,
        return_url: None,
        locale: None,
        page: PortalPage::Overview,
        scopes: None,
        invalidate_existing: false,
    };
    let issued = issue(&s, &auth, &Target::Contact(ContactRef::parse(&id)), request).await?;
    let (token, hash) = redirect::new_redirect_token();
    let expires_at = redirect::redirect_expires_at(s.app.clock.now());
    s.app
        .store
        .create_redirect_token(&issued.account.id, &issued.session.id, &hash, expires_at)
        .await?;
    Ok(Json(SignedLink {
        url: format!(
            "{}/redirect/{token}",
            portal_origin(&s.app.public_url, &issued.account.subdomain)
        ),
        expires_at,
    }))
}
