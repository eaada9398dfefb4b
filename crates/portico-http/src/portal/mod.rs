//! The customer portal in the browser: entry through a portal link (`?token=`) or a signed
//! redirect link, the pages, and logout.

pub mod action;
pub mod api;
pub mod assets;
pub mod brand;
pub mod details;
pub mod load;
pub mod page;
pub mod session;
pub mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use portico_auth::redirect;
use portico_auth::session as cookie;
use portico_core::model::{Account, PortalPage};
use portico_render::{Locale, Msg, negotiate};
use serde::Deserialize;

use self::page::ErrorPage;
use self::session::{Denied, Entry, Visit, cookie_spec, start, verify_portal_token, visit};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/portal",
            get(|s, peer, h, q| fixed(s, peer, h, q, PortalPage::Overview)),
        )
        .route("/portal/{page}", get(page))
        .route(
            "/portal/account",
            get(|s, peer, h, q| fixed(s, peer, h, q, PortalPage::Account)).post(details::save),
        )
        .route("/portal/logout", post(logout))
        .route("/portal/invoices/{id}", get(invoice))
        .route("/portal/invoices/{id}/pdf", get(invoice_pdf))
        .route("/redirect/{token}", get(redirect_exchange))
        .merge(assets::router())
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

fn denied(headers: &HeaderMap, d: Denied) -> Response {
    let locale = locale(headers, d.account(), None);
    d.render(locale)
}

/// The client's address when the server records it (it does when serving with connect info).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
    /// The page of a paginated list, from 1.
    page: Option<String>,
    /// Set by the redirect after a successful action, so that the page says it was saved.
    done: Option<String>,
}

impl TokenQuery {
    fn list_page(&self) -> u32 {
        self.page
            .as_deref()
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }
}

/// Caps portal-link and redirect exchanges per client address, so that nobody can guess tokens
/// at speed.
/// The client is the peer, or behind a trusted proxy the address that proxy names.
fn check_exchange_rate(state: &AppState, peer: &Peer, headers: &HeaderMap) -> Result<(), Denied> {
    let ip = peer.0.map_or_else(
        || "unknown".to_owned(),
        |a| crate::client_addr::client_addr(&state.trusted_proxies, a.ip(), headers).to_string(),
    );
    state
        .exchange_limiter
        .check(&ip, state.clock.now())
        .map_err(Denied::TooManyRequests)
}

/// The query of a portal page. One that does not parse (a duplicated or undecodable `token`,
/// as a link mangled on the way gets) is a bad link: the friendly page, not a framework error.
type PageQuery = Result<Query<TokenQuery>, axum::extract::rejection::QueryRejection>;

/// A page at a path of its own (`/portal`, `/portal/account`).
async fn fixed(
    s: State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    q: PageQuery,
    page: PortalPage,
) -> Response {
    match q {
        Ok(Query(q)) => show(&s, peer, &headers, &q, page).await,
        Err(_) => denied(&headers, Denied::BadLink(None)),
    }
}

async fn page(
    State(s): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(name): Path<String>,
    q: PageQuery,
) -> Response {
    match (PortalPage::parse("page", &name), q) {
        (Ok(page), Ok(Query(q))) if page != PortalPage::Overview => {
            show(&s, peer, &headers, &q, page).await
        }
        (Ok(page), Err(_)) if page != PortalPage::Overview => {
            denied(&headers, Denied::BadLink(None))
        }
        _ => {
            let locale = locale(&headers, None, None);
            ErrorPage {
                status: StatusCode::NOT_FOUND,
                title: Msg::NotFoundTitle,
                body: Msg::NotFoundBody,
                account: None,
                return_url: None,
            }
            .render(locale)
        }
    }
}

/// A portal page: with `?token=` the token is exchanged for a session and the browser is sent
/// to the same page without it; otherwise the page is shown in the session.
async fn show(
    s: &AppState,
    peer: Peer,
    headers: &HeaderMap,
    q: &TokenQuery,
    page: PortalPage,
) -> Response {
    let result = match q.token.as_deref() {
        Some(token) => exchange_portal_token(s, &peer, headers, token, page).await,
        None => match visit(s, headers).await {
            Ok(v) => {
                let mut cx = context(s, headers, &v);
                cx.flash = q.done.as_deref().and_then(views::flash);
                views::render(&cx, page, q.list_page().min(views::MAX_PAGE)).await
            }
            Err(d) => Err(d),
        },
    };
    result.unwrap_or_else(|d| denied(headers, d))
}

fn context<'a>(s: &'a AppState, headers: &HeaderMap, v: &'a Visit) -> views::Ctx<'a> {
    views::Ctx {
        s,
        v,
        locale: locale(headers, Some(&v.account), v.session.locale.as_deref()),
        flash: None,
    }
}

/// An invoice of the session's customer; any other id is the 404 page.
async fn invoice(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = match visit(&s, &headers).await {
        Ok(v) => views::invoice_detail(&context(&s, &headers, &v), &id).await,
        Err(d) => Err(d),
    };
    result.unwrap_or_else(|d| denied(&headers, d))
}

/// The invoice's PDF, made on request.
async fn invoice_pdf(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = match visit(&s, &headers).await {
        Ok(v) => views::invoice_pdf_download(&context(&s, &headers, &v), &id).await,
        Err(d) => Err(d),
    };
    result.unwrap_or_else(|d| denied(&headers, d))
}

async fn exchange_portal_token(
    s: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    token: &str,
    page: PortalPage,
) -> Result<Response, Denied> {
    check_exchange_rate(s, peer, headers)?;
    let (account, session) = verify_portal_token(s, headers, token).await?;
    start(s, &account, &session, page.path(), Entry::Link).await
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
        let now = s.clock.now();
        // With an account per host, the host is checked before the one-time token is spent, so
        // that a link opened on the wrong host still works on the right one.
        if s.public_url.contains("{subdomain}") {
            let found = s
                .store
                .redirect_token(&hash)
                .await?
                .ok_or(Denied::BadLink(None))?;
            let account = s.store.account(&found.account).await?;
            if !session::host_matches(&s, &account, &headers) {
                return Err(Denied::BadLink(None));
            }
        }
        let Some((account_id, session_id)) = s.store.consume_redirect_token(&hash, now).await?
        else {
            return Err(why_redirect_failed(&s, &hash, now).await);
        };
        let account = s.store.account(&account_id).await?;
        let portal_session = s.store.portal_session(&account.id, &session_id).await?;
        if !portal_session.is_live(now) {
            let context = Box::new((account, portal_session.return_url.clone()));
            return Err(match portal_session.revoked_at {
                Some(_) => Denied::LinkRevoked(context),
                None => Denied::LinkExpired(context),
            });
        }
        start(
            &s,
            &account,
            &portal_session,
            portal_session.page.path(),
            Entry::Redirect,
        )
        .await
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
    let found = match s.store.redirect_token(hash).await {
        Ok(Some(found)) => found,
        Ok(None) => return Denied::BadLink(None),
        Err(e) => return e.into(),
    };
    let context = async {
        let account = s.store.account(&found.account).await?;
        let session = s
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
    let locale = locale(&headers, Some(&v.account), v.session.locale.as_deref());
    let valid = form.is_ok_and(|f| cookie::verify_csrf(&f.csrf, &v.csrf_secret()));
    if !valid {
        return forbidden(locale, &v);
    }
    // Logging out ends the portal session too, so that the link that opened it does not open
    // the portal again.
    let now = s.clock.now();
    let ended = async {
        s.store.end_browser_session(&v.cookie_sha256, now).await?;
        s.store
            .revoke_portal_session(&v.account.id, &v.session.id, now)
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
    .render(locale);
    if let Ok(clear) =
        HeaderValue::from_str(&cookie::clear_cookie_header(&cookie_spec(&s, &v.account)))
    {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    response
}

/// 403 for a state-changing request without this session's CSRF token.
pub fn forbidden(locale: Locale, v: &Visit) -> Response {
    ErrorPage {
        status: StatusCode::FORBIDDEN,
        title: Msg::SomethingWentWrong,
        body: Msg::NotAllowed,
        account: Some(&v.account),
        return_url: v.session.return_url.as_deref(),
    }
    .render(locale)
}
