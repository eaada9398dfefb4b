//! The customer portal in the browser: entry through a portal link (`?token=`) or a signed
//! redirect link, the pages, and logout.

pub mod page;
pub mod session;

use std::fmt::Write;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portico_auth::redirect;
use portico_auth::session as cookie;
use portico_core::model::{Account, PortalPage};
use portico_render::{Locale, Msg, negotiate, t, tf};
use serde::Deserialize;

use self::page::{ErrorPage, document, esc, html, vendor_name};
use self::session::{Denied, Visit, cookie_spec, start, verify_portal_token, visit};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(overview))
        .route("/portal/{page}", get(page))
        .route("/portal/logout", post(logout))
        .route("/redirect/{token}", get(redirect_exchange))
        .route("/assets/portal.css", get(stylesheet))
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
}

/// Caps portal-link and redirect exchanges per client address, so that nobody can guess tokens
/// at speed.
fn check_exchange_rate(state: &AppState, peer: &Peer) -> Result<(), Denied> {
    let ip = peer
        .0
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string());
    state
        .exchange_limiter
        .check(&ip, state.clock.now())
        .map_err(Denied::TooManyRequests)
}

async fn overview(
    State(s): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> Response {
    show(&s, peer, &headers, q.token.as_deref(), PortalPage::Overview).await
}

async fn page(
    State(s): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    match PortalPage::parse("page", &name) {
        Ok(page) if page != PortalPage::Overview => {
            show(&s, peer, &headers, q.token.as_deref(), page).await
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
    token: Option<&str>,
    page: PortalPage,
) -> Response {
    let result = match token {
        Some(token) => exchange_portal_token(s, &peer, headers, token, page).await,
        None => match visit(s, headers).await {
            Ok(v) => Ok(render_page(headers, &v, page)),
            Err(d) => Err(d),
        },
    };
    result.unwrap_or_else(|d| denied(headers, d))
}

async fn exchange_portal_token(
    s: &AppState,
    peer: &Peer,
    headers: &HeaderMap,
    token: &str,
    page: PortalPage,
) -> Result<Response, Denied> {
    check_exchange_rate(s, peer)?;
    let (account, session) = verify_portal_token(s, headers, token).await?;
    start(s, &account, &session, page.path()).await
}

async fn redirect_exchange(
    State(s): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let result = async {
        check_exchange_rate(&s, &peer)?;
        let hash = redirect::hash_presented(&token).ok_or(Denied::BadLink(None))?;
        let (account_id, session_id) = s
            .store
            .consume_redirect_token(&hash, s.clock.now())
            .await?
            .ok_or(Denied::BadLink(None))?;
        let account = s.store.account(&account_id).await?;
        if !session::host_matches(&s, &account, &headers) {
            return Err(Denied::BadLink(None));
        }
        let portal_session = s.store.portal_session(&account.id, &session_id).await?;
        if !portal_session.is_live(s.clock.now()) {
            return Err(Denied::BadLink(Some(Box::new(account))));
        }
        start(&s, &account, &portal_session, portal_session.page.path()).await
    }
    .await;
    result.unwrap_or_else(|d| denied(&headers, d))
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
    if let Err(e) = s
        .store
        .end_browser_session(&v.cookie_sha256, s.clock.now())
        .await
    {
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

fn nav_label(page: PortalPage) -> Msg {
    match page {
        PortalPage::Overview => Msg::NavOverview,
        PortalPage::Subscriptions => Msg::NavSubscriptions,
        PortalPage::Transactions => Msg::NavTransactions,
        PortalPage::Invoices => Msg::NavInvoices,
        PortalPage::PaymentMethod => Msg::NavPaymentMethods,
        PortalPage::Account => Msg::NavAccount,
    }
}

fn render_page(headers: &HeaderMap, v: &Visit, current: PortalPage) -> Response {
    let locale = locale(headers, Some(&v.account), v.session.locale.as_deref());
    let vendor = vendor_name(&v.account);
    let mut main = String::new();
    let _ = write!(
        main,
        "<nav aria-label=\"{}\"><ul>",
        esc(t(locale, Msg::MainNavigation))
    );
    for p in PortalPage::ALL {
        let current_attr = if *p == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            main,
            "<li><a href=\"{}\"{current_attr}>{}</a></li>",
            p.path(),
            esc(t(locale, nav_label(*p)))
        );
    }
    main.push_str("</ul></nav>");
    let _ = write!(
        main,
        "<h1>{}</h1><p class=\"customer\">{}</p>",
        esc(&tf(locale, Msg::Welcome, &[("name", &v.customer.name)])),
        esc(t(locale, nav_label(current)))
    );
    if let Some(url) = &v.session.return_url {
        let _ = write!(
            main,
            "<p><a href=\"{}\">{}</a></p>",
            esc(url),
            esc(&tf(locale, Msg::BackToVendor, &[("vendor", vendor)]))
        );
    }
    let _ = write!(
        main,
        "<form method=\"post\" action=\"/portal/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">{}</button></form>",
        esc(&v.csrf_token()),
        esc(t(locale, Msg::LogOut))
    );
    html(
        StatusCode::OK,
        Some(&v.account),
        document(
            locale,
            t(locale, nav_label(current)),
            Some(&v.account),
            &main,
        ),
    )
}

async fn stylesheet() -> Response {
    let mut r = include_str!("../../assets/portal.css").into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}
