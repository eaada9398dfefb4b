//! The one gate every portal action passes: a live browser session, the session's CSRF token
//! in the form, the portal scope the action needs (which the session got within the account's
//! feature switches), and the contact's current role. A refusal is a page, never a change.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_auth::session as cookie;
use portico_core::model::{PortalPage, scopes_allowed_by, scopes_allowed_for};
use portico_core::scope::PortalScope;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::{Visit, visit};
use super::{denied, forbidden};
use crate::AppState;

/// The form of a portal action, and the scope the action needs.
pub trait ActionForm: DeserializeOwned {
    const SCOPE: PortalScope;
}

/// A checked portal action: who asks, and the form they sent. As a handler's argument it admits
/// only requests that pass the gate; the others get the page that says no (403, or 400 for a
/// form that does not parse).
pub struct Action<F> {
    pub visit: Visit,
    pub form: F,
}

#[derive(Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// Whether the session may take an action that needs `scope` right now: the session was given
/// the scope, the account still allows it, and the contact's current role does.
pub fn allows(v: &Visit, scope: PortalScope) -> bool {
    v.session.scopes.contains(scope)
        && scopes_allowed_by(&v.account.settings.features).contains(scope)
        && v.role.is_none_or(|r| scopes_allowed_for(r).contains(scope))
}

impl<F: ActionForm> FromRequest<AppState> for Action<F> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let origin = crate::origin::of_request(s, req.extensions(), &headers);
        // The flow guard has checked the session already.
        let checked = req.extensions().get::<Visit>().cloned();
        // The body limit applies before anything else is looked at.
        let body = Bytes::from_request(req, s)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut v = match checked {
            Some(v) => v,
            None => visit(s, &headers).await.map_err(|d| denied(&headers, d))?,
        };
        v.origin = origin;
        let csrf_ok = serde_urlencoded::from_bytes::<Csrf>(&body)
            .is_ok_and(|f| cookie::verify_csrf(&f.csrf, &v.csrf_secret()));
        if !csrf_ok || !allows(&v, F::SCOPE) {
            tracing::info!(portal_session = %v.session.id, scope = F::SCOPE.as_str(), csrf_ok,
                "refused a portal action");
            return Err(forbidden(&v));
        }
        match serde_urlencoded::from_bytes::<F>(&body) {
            Ok(form) => Ok(Action { visit: v, form }),
            Err(_) => {
                let mut r = forbidden(&v);
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Err(r)
            }
        }
    }
}

/// The query a page is redirected to after an action succeeded; the page then says so.
pub const DONE: &str = "done";

/// Post/Redirect/Get: back to `page`, which shows that the change was saved.
pub fn redirect_done(page: PortalPage) -> Response {
    let mut r = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("{}?{DONE}=saved", page.path()))],
    )
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
