//! Browser sessions of the portal: the exchange of a portal token or redirect token for a
//! session cookie, and the check every portal request makes of that cookie.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_auth::portal_token::{TokenError, Unverified};
use portico_auth::session::{self, CookieSpec, CsrfSecret, SessionCookieValue, SessionTimes};
use portico_core::event::Origin;
use portico_core::model::{Account, Customer, CustomerRef, PortalSession, Role};
use portico_core::{ContactId, Timestamp};
use portico_store::{BrowserSessionView, NewBrowserSession, StoreError};

use portico_render::{Locale, Msg};

use super::brand::Brand;
use super::layout::ErrorPage;
use crate::AppState;
use crate::access::portal_origin;
use crate::error::ApiError;

/// The account a refusal concerns and the session's way back, when they are known.
pub type Context = Box<(Account, Option<String>)>;

/// How a portal request failed; each becomes a friendly page that says the true reason, never a
/// stack trace.
#[derive(Debug)]
pub enum Denied {
    /// The link is malformed or forged, or names nothing.
    BadLink(Option<Box<Account>>),
    /// The link was good but has expired.
    LinkExpired(Context),
    /// The link's portal session was ended: revoked by the vendor, ended by logging out, or
    /// access was switched off.
    LinkRevoked(Context),
    /// A one-time link, or a link that opens one browser session, was opened before.
    LinkUsed(Context),
    /// No session cookie, or one this server never issued; branded when the host names the
    /// account.
    NoSession(Option<Box<Account>>),
    /// The browser session timed out (idle or absolute), or its portal session expired.
    SessionTimedOut(Context),
    /// The person logged out of this browser session.
    LoggedOut(Context),
    /// The portal session behind the cookie was ended (revoked, access switched off, customer
    /// deleted).
    SessionEnded(Context),
    TooManyRequests(u64),
    Failed(ApiError),
}

impl From<ApiError> for Denied {
    fn from(e: ApiError) -> Self {
        Denied::Failed(e)
    }
}

impl From<StoreError> for Denied {
    fn from(e: StoreError) -> Self {
        Denied::Failed(e.into())
    }
}

impl From<portico_app::AppError> for Denied {
    fn from(e: portico_app::AppError) -> Self {
        Denied::Failed(e.into())
    }
}

impl Denied {
    /// The friendly page for this failure, in `locale`.
    pub fn render(self, locale: Locale) -> Response {
        let page = |status, title, body, account: Option<&Account>, return_url: Option<&str>| {
            ErrorPage {
                status,
                title,
                body,
                account,
                return_url,
            }
            .render(locale)
        };
        let with = |ctx: &Context, title, body| {
            page(
                StatusCode::UNAUTHORIZED,
                title,
                body,
                Some(&ctx.0),
                ctx.1.as_deref(),
            )
        };
        match self {
            Denied::BadLink(account) => page(
                StatusCode::UNAUTHORIZED,
                Msg::LinkInvalidTitle,
                Msg::LinkInvalidBody,
                account.as_deref(),
                None,
            ),
            Denied::LinkExpired(ctx) => with(&ctx, Msg::LinkExpiredTitle, Msg::LinkExpiredBody),
            Denied::LinkRevoked(ctx) | Denied::SessionEnded(ctx) => {
                with(&ctx, Msg::SessionEndedTitle, Msg::SessionEndedBody)
            }
            Denied::LinkUsed(ctx) => with(&ctx, Msg::LinkUsedTitle, Msg::LinkUsedBody),
            Denied::SessionTimedOut(ctx) => {
                with(&ctx, Msg::SessionExpiredTitle, Msg::SessionExpiredBody)
            }
            Denied::LoggedOut(ctx) => with(&ctx, Msg::LoggedOutTitle, Msg::LoggedOutBody),
            Denied::NoSession(account) => page(
                StatusCode::UNAUTHORIZED,
                Msg::NotSignedInTitle,
                Msg::NotSignedInBody,
                account.as_deref(),
                None,
            ),
            Denied::TooManyRequests(secs) => {
                let mut r = page(
                    StatusCode::TOO_MANY_REQUESTS,
                    Msg::SomethingWentWrong,
                    Msg::TryAgainLater,
                    None,
                    None,
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            Denied::Failed(e) => {
                if let ApiError::Internal(cause) = &e {
                    tracing::error!(error = format!("{cause:#}"), "portal request failed");
                }
                page(
                    e.status(),
                    Msg::SomethingWentWrong,
                    Msg::TryAgainLater,
                    None,
                    None,
                )
            }
        }
    }

    /// The account the failure concerns, when known, for choosing the page's language.
    pub fn account(&self) -> Option<&Account> {
        match self {
            Denied::BadLink(a) | Denied::NoSession(a) => a.as_deref(),
            Denied::LinkExpired(ctx)
            | Denied::LinkRevoked(ctx)
            | Denied::LinkUsed(ctx)
            | Denied::SessionTimedOut(ctx)
            | Denied::LoggedOut(ctx)
            | Denied::SessionEnded(ctx) => Some(&ctx.0),
            Denied::TooManyRequests(_) | Denied::Failed(_) => None,
        }
    }
}

/// The cookie's attributes for this deployment and account.
pub fn cookie_spec(state: &AppState, account: &Account) -> CookieSpec {
    CookieSpec::portal(
        session::cookie_must_be_secure(&state.app.public_url),
        !account.settings.allowed_origins.is_empty(),
    )
}

/// With a `{subdomain}` public URL every account has its own host; a credential of one account
/// is refused on another's host.
pub fn host_matches(state: &AppState, account: &Account, headers: &HeaderMap) -> bool {
    if !state.app.public_url.contains("{subdomain}") {
        return true;
    }
    let expected = portal_origin(&state.app.public_url, &account.subdomain);
    let expected_host = expected.split("://").nth(1).unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    host.eq_ignore_ascii_case(expected_host)
}

/// Checks a portal token and the session it names.
pub async fn verify_portal_token(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
) -> Result<(Account, PortalSession), Denied> {
    state.catch_up().await?;
    let now = state.app.clock.now();
    let unverified = Unverified::parse(token).map_err(|e| {
        tracing::info!(reason = ?e, "refused a portal token");
        Denied::BadLink(None)
    })?;
    let key = state
        .app
        .keys
        .verifying(state.app.store.as_ref(), unverified.kid())
        .await?
        .ok_or(Denied::BadLink(None))?;
    let account = state.app.store.account(&key.account).await?;
    let iss = portal_origin(&state.app.public_url, &account.subdomain);
    let claims = unverified.verify(&key, &iss, now).map_err(|e| {
        tracing::info!(reason = ?e, "refused a portal token");
        match e {
            TokenError::Expired => Denied::LinkExpired(Box::new((account.clone(), None))),
            _ => Denied::BadLink(Some(Box::new(account.clone()))),
        }
    })?;
    if !host_matches(state, &account, headers) {
        return Err(Denied::BadLink(None));
    }
    let session = match state
        .app
        .store
        .portal_session(&account.id, &claims.jti)
        .await
    {
        Ok(s) => s,
        Err(StoreError::NotFound { .. }) => return Err(Denied::BadLink(Some(Box::new(account)))),
        Err(e) => return Err(e.into()),
    };
    if !session.is_live(now) {
        let context = Box::new((account, session.return_url.clone()));
        return Err(match session.revoked_at {
            Some(_) => Denied::LinkRevoked(context),
            None => Denied::LinkExpired(context),
        });
    }
    Ok((account, session))
}

/// Starts a fresh browser session for a live portal session and answers 303 to `location`
/// (a URL without any token), with the new cookie. A cookie the browser already had is
/// replaced, never reused, so a session id cannot be fixed in advance.
///
/// A portal link (`?token=`) opens one browser session unless the account allows re-entry; a
/// second opening is [`Denied::LinkUsed`]. (A redirect token is single-use itself and enters
/// through the exchange, which stores its browser session in the same write.)
pub async fn start(
    state: &AppState,
    account: &Account,
    session: &PortalSession,
    location: &str,
    origin: Option<Origin>,
) -> Result<Response, Denied> {
    let now = state.app.clock.now();
    let context = || Box::new((account.clone(), session.return_url.clone()));
    if entering_customer(state, account, session).await?.is_none() {
        return Err(Denied::LinkRevoked(context()));
    }
    if !account.settings.link_reentry
        && !state
            .app
            .store
            .enter_portal_session(&account.id, &session.id, now)
            .await?
    {
        return Err(Denied::LinkUsed(context()));
    }
    let fresh = FreshSession::generate();
    state
        .app
        .store
        .create_browser_session(&NewBrowserSession {
            account: account.id.clone(),
            portal_session: session.id.clone(),
            cookie_sha256: fresh.cookie_sha256,
            csrf_secret: *fresh.csrf.as_bytes(),
            now,
            origin,
        })
        .await?;
    Ok(started(
        state,
        account,
        session,
        location,
        &fresh.cookie,
        now,
    ))
}

/// The secrets of a browser session about to be stored: the cookie (sent once, in the answer),
/// its hash (stored) and the CSRF secret.
pub struct FreshSession {
    pub cookie: SessionCookieValue,
    pub cookie_sha256: [u8; 32],
    pub csrf: CsrfSecret,
}

impl FreshSession {
    pub fn generate() -> Self {
        let (cookie, cookie_sha256) = session::new_session_secret();
        Self {
            cookie,
            cookie_sha256,
            csrf: CsrfSecret::generate(&mut rand::rngs::OsRng),
        }
    }
}

/// The answer that hands a stored browser session's cookie to the browser: 303 to `location`.
pub fn started(
    state: &AppState,
    account: &Account,
    session: &PortalSession,
    location: &str,
    cookie: &SessionCookieValue,
    now: Timestamp,
) -> Response {
    let max_age = state
        .sessions
        .absolute_timeout_secs
        .min(now.secs_until(session.expires_at))
        .max(0);
    let set_cookie = session::set_cookie_header(cookie, &cookie_spec(state, account), max_age);
    tracing::info!(portal_session = %session.id, "started a browser session");
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&set_cookie) {
        headers.insert(header::SET_COOKIE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The session's customer when it (and the session's contact, if any) may use the portal now;
/// `None` when either is gone or has access switched off.
pub async fn entering_customer(
    state: &AppState,
    account: &Account,
    session: &PortalSession,
) -> Result<Option<Customer>, Denied> {
    let customer = match state
        .app
        .store
        .customer(&account.id, &CustomerRef::Id(session.customer.clone()))
        .await
    {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let contact = match &session.contact {
        Some(id) => match state
            .app
            .store
            .contact(
                &account.id,
                &portico_core::model::ContactRef::Id(id.clone()),
            )
            .await
        {
            Ok(c) => Some(c),
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let may = portico_core::model::access_refusal(&customer, contact.as_ref()).is_none();
    Ok(may.then_some(customer))
}

/// The session a portal request runs in, after every check.
#[derive(Debug, Clone)]
pub struct Visit {
    pub account: Account,
    pub session: PortalSession,
    pub customer: Customer,
    pub contact: Option<ContactId>,
    pub role: Option<Role>,
    pub csrf: [u8; 32],
    pub cookie_sha256: [u8; 32],
    /// The page's language: the session's, else the browser's, else the account's.
    pub locale: Locale,
    pub brand: Brand,
    /// The request (its id and client address), set by the extractors; the events of the
    /// visit's actions carry it.
    pub origin: Option<Origin>,
}

impl Visit {
    /// The customer or contact of this portal session as the caller of a use case, in this
    /// request.
    pub fn caller(&self) -> portico_app::Caller {
        portico_app::Caller::portal(self.account.id.clone(), self.session.id.clone())
            .with_origin(self.origin.clone())
    }

    /// The same visit, in the request of `parts`.
    pub(super) fn in_request(
        mut self,
        state: &AppState,
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
    ) -> Self {
        self.origin = crate::origin::of_request(state, extensions, headers);
        self
    }

    pub fn csrf_secret(&self) -> CsrfSecret {
        CsrfSecret::from_bytes(self.csrf)
    }

    /// A fresh CSRF token for a form of this page.
    pub fn csrf_token(&self) -> String {
        // The mask needs unpredictable bytes, not a system call per page: the thread's CSPRNG
        // (ChaCha, seeded from the OS) gives them.
        session::csrf_token(&self.csrf_secret(), &mut rand::thread_rng())
    }

    pub fn vendor_name(&self) -> &str {
        super::brand::vendor_name(&self.account)
    }
}

/// The session cookie's value from the request, if there is one.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a browser session no longer works, if it does not.
fn why_over(
    view: &BrowserSessionView,
    state: &AppState,
    now: Timestamp,
) -> Option<fn(Context) -> Denied> {
    let times = SessionTimes {
        created_at: view.created_at,
        last_seen_at: view.last_seen_at,
        portal_session_expires_at: view.session.expires_at,
    };
    if view.ended_at.is_some() {
        Some(Denied::LoggedOut)
    } else if view.session.revoked_at.is_some() || !view.customer_active || !view.contact_active {
        Some(Denied::SessionEnded)
    } else if !times.is_live(
        now,
        state.sessions.idle_timeout_secs,
        state.sessions.absolute_timeout_secs,
    ) {
        Some(Denied::SessionTimedOut)
    } else {
        None
    }
}

/// The account whose host this request came to, in a `{subdomain}` deployment; `None` elsewhere.
pub async fn host_account(state: &AppState, headers: &HeaderMap) -> Option<Box<Account>> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let subdomain = crate::jwks::host_subdomain(&state.app.public_url, host)?;
    let account = state
        .app
        .store
        .account_by_subdomain(&subdomain)
        .await
        .ok()?;
    Some(Box::new(account))
}

/// Finds and checks the browser session of a request. Each way it can fail says why: no cookie
/// or one never issued (or another account's host), logged out, ended by the vendor or by
/// access switched off, or timed out.
pub async fn visit(state: &AppState, headers: &HeaderMap) -> Result<Visit, Denied> {
    state.catch_up().await?;
    let now = state.app.clock.now();
    // A deployment that sets `Secure` cookies only ever sets the `__Host-` name; taking the plain
    // name there too would let a sibling subdomain plant a session (login fixation).
    let plain_allowed = !session::cookie_must_be_secure(&state.app.public_url);
    let presented = [true, false]
        .into_iter()
        .filter(|secure| *secure || plain_allowed)
        .find_map(|secure| cookie_value(headers, CookieSpec::portal(secure, false).name));
    let view = match presented.and_then(session::hash_cookie_value) {
        Some(hash) => state
            .app
            .store
            .browser_session(&hash)
            .await?
            .map(|v| (hash, v)),
        None => None,
    };
    let Some((hash, view)) = view else {
        return Err(Denied::NoSession(host_account(state, headers).await));
    };
    let account = state.app.store.account(&view.account).await?;
    if !host_matches(state, &account, headers) {
        return Err(Denied::NoSession(host_account(state, headers).await));
    }
    let context = || Box::new((account.clone(), view.session.return_url.clone()));
    if let Some(reason) = why_over(&view, state, now) {
        return Err(reason(context()));
    }
    let customer = match state
        .app
        .store
        .customer(&account.id, &CustomerRef::Id(view.session.customer.clone()))
        .await
    {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Err(Denied::SessionEnded(context())),
        Err(e) => return Err(e.into()),
    };
    if now.as_millis() - view.last_seen_at.as_millis() >= TOUCH_INTERVAL_MS {
        state.app.store.touch_browser_session(&hash, now).await?;
    }
    Ok(Visit {
        locale: super::locale(headers, Some(&account), view.session.locale.as_deref()),
        brand: Brand::of(Some(&account)),
        contact: view.session.contact.clone(),
        role: view.contact_role,
        csrf: view.csrf_secret,
        cookie_sha256: hash,
        session: view.session,
        customer,
        account,
        origin: None,
    })
}

/// How stale `last_seen_at` may get before a request writes it again: idle timeouts count from
/// the last write, so a session may end up to this much early, never late.
const TOUCH_INTERVAL_MS: i64 = 15_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; portico_session=xyz; b=2"),
        );
        assert_eq!(cookie_value(&h, "portico_session"), Some("xyz"));
        assert_eq!(cookie_value(&h, "portico"), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xportico_session=1"),
        );
        assert_eq!(cookie_value(&h, "portico_session"), None);
    }
}
