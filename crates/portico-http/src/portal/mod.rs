//! The customer portal in the browser: entry through a portal link (`?token=`) or a signed
//! redirect link, the pages, and logout.

pub mod action;
pub mod api;
pub mod assets;
pub mod brand;
pub mod extract;
pub mod flow;
pub mod layout;
pub mod load;
pub mod pages;
pub mod session;

use std::net::SocketAddr;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use portico_auth::redirect;
use portico_auth::session as cookie;
use portico_core::event::{Actor, Origin};
use portico_core::model::{Account, PortalPage};
use portico_render::{Locale, Msg, negotiate};
use serde::Deserialize;

use self::layout::ErrorPage;
use self::pages::{account, invoices, payment_methods, show};
use self::session::{
    Denied, FreshSession, Visit, cookie_spec, entering_customer, start, started,
    verify_portal_token, visit,
};
use crate::AppState;

/// The portal's routes. Those of a session pass the flow guard, which checks the session once and
/// holds a single-task session to its task.
pub fn router(state: &AppState) -> Router<AppState> {
    let page = |p: PortalPage| get(move |s, q, v| show(s, q, v, p));
    let session_routes = Router::new()
        .route("/portal", page(PortalPage::Overview))
        .route("/portal/subscriptions", page(PortalPage::Subscriptions))
        .route("/portal/transactions", page(PortalPage::Transactions))
        .route("/portal/invoices", page(PortalPage::Invoices))
        .route("/portal/payment-method", page(PortalPage::PaymentMethod))
        .route("/portal/account", page(PortalPage::Account))
        .route("/portal/{page}", get(unknown_page))
        .route("/portal/logout", post(logout))
        .route("/portal/invoices/{id}", get(invoices::detail))
        .route("/portal/invoices/{id}/pdf", get(invoices::pdf))
        .route(
            "/portal/invoices/{id}/payment/{attempt}",
            get(invoices::payment_return),
        )
        .route(
            &format!("{}/{{attempt}}", portico_app::payments::stripe::ACTION_PATH),
            get(pages::payment_step::page),
        )
        .route("/portal/payment-method/added", get(payment_methods::added))
        .merge(pages::subscription_actions::router());
    // Every change a session can make is in one list, which tests post to one by one.
    let session_routes = actions()
        .into_iter()
        .fold(session_routes, |r, (path, action)| r.route(&path, action))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            flow::guard,
        ));
    Router::new()
        .merge(session_routes)
        .route("/redirect/{token}", get(redirect_exchange))
        .merge(assets::router())
}

/// Every state-changing route of a portal session (logging out aside, which changes no billing
/// data): besides logging out, the router registers these POSTs and no others; each passes the
/// portal-action gate.
fn actions() -> Vec<(String, MethodRouter<AppState>)> {
    let mut all = vec![
        ("/portal/account".to_owned(), post(account::save)),
        ("/portal/invoices/{id}/pay".to_owned(), post(invoices::pay)),
        (
            "/portal/payment-method/add".to_owned(),
            post(payment_methods::add),
        ),
        (
            "/portal/payment-method/{id}/default".to_owned(),
            post(payment_methods::make_default),
        ),
        (
            "/portal/payment-method/{id}/remove".to_owned(),
            post(payment_methods::remove),
        ),
    ];
    all.extend(pages::subscription_actions::actions());
    all
}

/// The paths of [`actions`] (with `{id}` for the record), for tests that must reach every one.
pub fn action_paths() -> Vec<String> {
    actions().into_iter().map(|(path, _)| path).collect()
}

/// The page's language: the session's, else the browser's, else the account's.
pub fn locale(
    headers: &HeaderMap,
    account: Option<&Account>,
    session_locale: Option<&str>,
) -> Locale {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let default = account.map_or("en", |a| a.settings.default_locale.as_str());
    negotiate(session_locale, accept, default)
}

/// The friendly page of a refusal, in the language the browser asks for.
pub fn denied(headers: &HeaderMap, d: Denied) -> Response {
    let locale = locale(headers, d.account(), None);
    d.render(locale)
}

/// The client's address when the server records it (it does when serving with connect info).
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: Option<SocketAddr>,
    /// The request's id, for the origin of what the request records.
    pub request_id: Option<String>,
}

impl Peer {
    /// Where the request comes from, as its events record it.
    pub fn origin(&self, state: &AppState, headers: &HeaderMap) -> Option<Origin> {
        crate::origin::of_parts(state, self.request_id.clone(), self.addr, headers)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer {
            addr: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
            request_id: crate::origin::request_id(&parts.extensions),
        })
    }
}

/// Caps portal-link and redirect exchanges per client address, so that nobody can guess tokens
/// at speed.
/// The client is the peer, or behind a trusted proxy the address that proxy names.
fn check_exchange_rate(state: &AppState, peer: &Peer, headers: &HeaderMap) -> Result<(), Denied> {
    let ip = peer.addr.map_or_else(
        || "unknown".to_owned(),
        |a| crate::client_addr::client_addr(&state.trusted_proxies, a.ip(), headers).to_string(),
    );
    state
        .exchange_limiter
        .check(&ip, state.app.clock.now())
        .map_err(Denied::TooManyRequests)
}

/// A path under `/portal` that names no page: in a session, the session's own 404 page (its
/// brand, its navigation's way back to the vendor), else the plain one.
async fn unknown_page(headers: HeaderMap, visit: Option<Extension<Visit>>) -> Response {
    if let Some(Extension(v)) = visit {
        return pages::not_found(&v);
    }
    ErrorPage {
        status: StatusCode::NOT_FOUND,
        title: Msg::NotFoundTitle,
        body: Msg::NotFoundBody,
        account: None,
        return_url: None,
    }
    .render(locale(&headers, None, None))
}

pub async fn exchange_portal_token(
    s: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    token: &str,
    page: PortalPage,
) -> Result<Response, Denied> {
    check_exchange_rate(s, peer, headers)?;
    let (account, session) = verify_portal_token(s, headers, token).await?;
    let location = match &session.flow {
        Some(_) => flow::start_path(s, &account, &session).await?,
        None => page.path().to_owned(),
    };
    start(s, &account, &session, &location, peer.origin(s, headers)).await
}

async fn redirect_exchange(
    State(s): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let result = async {
        check_exchange_rate(&s, &peer, &headers)?;
        let hash = redirect::hash_presented(&token).ok_or(Denied::BadLink(None))?;
        s.catch_up().await?;
        let now = s.app.clock.now();
        // With an account per host, the host is checked before the one-time token is spent, so
        // that a link opened on the wrong host still works on the right one.
        if s.app.public_url.contains("{subdomain}") {
            let found = s
                .app
                .store
                .redirect_token(&hash)
                .await?
                .ok_or(Denied::BadLink(None))?;
            let account = s.app.store.account(&found.account).await?;
            if !session::host_matches(&s, &account, &headers) {
                return Err(Denied::BadLink(None));
            }
        }
        // The token is spent and the browser session stored in one write. Should the portal
        // session turn out to be over, the stored browser session is never reachable: its
        // cookie is sent only in the answer below, and every visit checks the portal session.
        let fresh = FreshSession::generate();
        let Some((account_id, session_id)) = s
            .app
            .store
            .exchange_redirect_token(
                &hash,
                now,
                fresh.cookie_sha256,
                *fresh.csrf.as_bytes(),
                peer.origin(&s, &headers),
            )
            .await?
        else {
            return Err(why_redirect_failed(&s, &hash, now).await);
        };
        let account = s.app.store.account(&account_id).await?;
        let portal_session = s.app.store.portal_session(&account.id, &session_id).await?;
        let context = || Box::new((account.clone(), portal_session.return_url.clone()));
        if !portal_session.is_live(now) {
            return Err(match portal_session.revoked_at {
                Some(_) => Denied::LinkRevoked(context()),
                None => Denied::LinkExpired(context()),
            });
        }
        if entering_customer(&s, &account, &portal_session)
            .await?
            .is_none()
        {
            return Err(Denied::LinkRevoked(context()));
        }
        let location = flow::start_path(&s, &account, &portal_session).await?;
        Ok(started(
            &s,
            &account,
            &portal_session,
            &location,
            &fresh.cookie,
            now,
        ))
    }
    .await;
    result.unwrap_or_else(|d| denied(&headers, d))
}

/// Why a redirect token could not be spent: used before, expired, or never issued.
async fn why_redirect_failed(
    s: &AppState,
    hash: &[u8; 32],
    now: portico_core::Timestamp,
) -> Denied {
    let found = match s.app.store.redirect_token(hash).await {
        Ok(Some(found)) => found,
        Ok(None) => return Denied::BadLink(None),
        Err(e) => return e.into(),
    };
    let context = async {
        let account = s.app.store.account(&found.account).await?;
        let session = s
            .app
            .store
            .portal_session(&account.id, &found.portal_session)
            .await?;
        Ok::<_, portico_store::StoreError>(Box::new((account, session.return_url)))
    };
    match context.await {
        Ok(ctx) if found.used_at.is_some() => Denied::LinkUsed(ctx),
        Ok(ctx) if found.expires_at <= now => Denied::LinkExpired(ctx),
        Ok(ctx) => Denied::BadLink(Some(Box::new(ctx.0))),
        Err(e) => e.into(),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Ends the session on the server and clears the cookie. A POST with the session's CSRF token;
/// the same request by GET is 405.
async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let v = match visit(&s, &headers).await {
        Ok(v) => v,
        Err(d) => return denied(&headers, d),
    };
    let valid = form.is_ok_and(|f| cookie::verify_csrf(&f.csrf, &v.csrf_secret()));
    if !valid {
        return forbidden(&v);
    }
    // Logging out ends the portal session too, so that the link that opened it does not open
    // the portal again.
    let now = s.app.clock.now();
    let by = Actor::Portal(v.session.id.clone());
    let ended = async {
        s.app
            .store
            .end_browser_session(&v.cookie_sha256, now)
            .await?;
        s.app
            .store
            .revoke_portal_session(&v.account.id, &v.session.id, now, &by, v.origin.as_ref())
            .await
    };
    if let Err(e) = ended.await {
        return denied(&headers, e.into());
    }
    tracing::info!(portal_session = %v.session.id, "logged out");
    let mut response = ErrorPage {
        status: StatusCode::OK,
        title: Msg::LoggedOutTitle,
        body: Msg::LoggedOutBody,
        account: Some(&v.account),
        return_url: v.session.return_url.as_deref(),
    }
    .render(v.locale);
    if let Ok(clear) =
        HeaderValue::from_str(&cookie::clear_cookie_header(&cookie_spec(&s, &v.account)))
    {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    response
}

/// 303 to `location`, never cached.
pub fn see_other(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, value);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// 403 for a state-changing request without this session's CSRF token.
pub fn forbidden(v: &Visit) -> Response {
    ErrorPage {
        status: StatusCode::FORBIDDEN,
        title: Msg::SomethingWentWrong,
        body: Msg::NotAllowed,
        account: Some(&v.account),
        return_url: v.session.return_url.as_deref(),
    }
    .render(v.locale)
}
