//! The one gate every portal action passes: a live browser session, the session's CSRF token
//! in the form, the portal scope the action needs (which the session got within the account's
//! feature switches), and the contact's current role. A refusal is a page, never a change.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_auth::session as cookie;
use portico_core::model::{PortalPage, scopes_allowed_by, scopes_allowed_for};
use portico_core::scope::PortalScope;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::session::{Visit, visit};
use super::views::Ctx;
use super::{forbidden, locale};
use crate::AppState;

/// A checked portal action: who asks, and the form they sent.
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

impl<F: DeserializeOwned> Action<F> {
    /// Checks the request and reads its form (`application/x-www-form-urlencoded`).
    pub async fn check(
        s: &AppState,
        headers: &HeaderMap,
        body: &[u8],
        scope: PortalScope,
    ) -> Result<Self, Response> {
        let v = match visit(s, headers).await {
            Ok(v) => v,
            Err(d) => {
                let lang = locale(headers, d.account(), None);
                return Err(d.render(lang));
            }
        };
        let lang = locale(headers, Some(&v.account), v.session.locale.as_deref());
        let csrf_ok = serde_urlencoded::from_bytes::<Csrf>(body)
            .is_ok_and(|f| cookie::verify_csrf(&f.csrf, &v.csrf_secret()));
        if !csrf_ok || !allows(&v, scope) {
            tracing::info!(portal_session = %v.session.id, scope = scope.as_str(), csrf_ok,
                "refused a portal action");
            return Err(forbidden(lang, &v));
        }
        match serde_urlencoded::from_bytes::<F>(body) {
            Ok(form) => Ok(Action { visit: v, form }),
            Err(_) => {
                let mut r = forbidden(lang, &v);
                *r.status_mut() = StatusCode::BAD_REQUEST;
                Err(r)
            }
        }
    }

    /// The page context of the action's session, for answering with a page.
    pub fn context<'a>(&'a self, s: &'a AppState, headers: &HeaderMap) -> Ctx<'a> {
        Ctx {
            s,
            v: &self.visit,
            locale: locale(
                headers,
                Some(&self.visit.account),
                self.visit.session.locale.as_deref(),
            ),
            flash: None,
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
