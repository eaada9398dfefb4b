//! The portal read API: billing state of one customer as JSON, for a portal token (a
//! `Authorization: Bearer` credential, e.g. a `read`-scoped token that a vendor's web app uses to
//! gate features) or the portal's own session cookie. Answers cross-origin requests only from
//! the account's allowed origins.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_core::model::{
    Account, Customer, Interval, PortalPage, PortalSession, SubscriptionStatus,
};
use portico_core::{
    Currency, CustomerId, Money, PaymentMethodId, PlanId, SubscriptionId, Timestamp,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::load;
use super::session::{Denied, entering_customer, verify_portal_token, visit};
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::openapi::Routes;

/// Where the portal read API lives; the REST dialect's `api_url` points here.
pub const BASE: &str = "/portal/api/v1";

pub fn router() -> Routes {
    Routes::new().routes(routes!(summary, summary_preflight))
}

/// Who reads: a live portal session of a customer who may use the portal.
struct Reader {
    account: Account,
    session: PortalSession,
    customer: Customer,
}

/// The bearer token of the request, if it sends one (the scheme is case-insensitive).
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value.to_str().ok().and_then(crate::auth::bearer_credential);
    Some(parsed.ok_or_else(|| {
        ApiError::Unauthorized("the Authorization header must be `Bearer <portal token>`".into())
    }))
}

/// A refusal of the portal as this API's error: an expired token is `TOKEN_EXPIRED`, every other
/// credential problem a plain 401.
fn api_error(d: Denied) -> ApiError {
    match d {
        Denied::LinkExpired(_) => ApiError::TokenExpired,
        Denied::LinkRevoked(_) => ApiError::Unauthorized("the portal session was revoked".into()),
        Denied::BadLink(_) | Denied::LinkUsed(_) => {
            ApiError::Unauthorized("the portal token is not valid".into())
        }
        Denied::NoSession(_) => ApiError::Unauthorized(
            "send a portal token as `Authorization: Bearer`, or the portal session cookie".into(),
        ),
        Denied::SessionTimedOut(_) | Denied::LoggedOut(_) | Denied::SessionEnded(_) => {
            ApiError::Unauthorized("the portal session cookie no longer works".into())
        }
        Denied::TooManyRequests(secs) => ApiError::TooManyRequests(secs),
        Denied::Failed(e) => e,
    }
}

async fn reader(s: &AppState, headers: &HeaderMap) -> ApiResult<Reader> {
    let Some(token) = bearer(headers) else {
        let v = visit(s, headers).await.map_err(api_error)?;
        return Ok(Reader {
            account: v.account,
            session: v.session,
            customer: v.customer,
        });
    };
    let (account, session) = verify_portal_token(s, headers, token?)
        .await
        .map_err(api_error)?;
    let Some(customer) = entering_customer(s, &account, &session)
        .await
        .map_err(api_error)?
    else {
        return Err(ApiError::Unauthorized(
            "portal access is disabled for this customer or contact".into(),
        ));
    };
    let key = format!("portal:{}", session.id);
    s.api_limiter
        .check(&key, s.app.clock.now())
        .map_err(ApiError::TooManyRequests)?;
    Ok(Reader {
        account,
        session,
        customer,
    })
}

/// The customer's billing state. Each part is present only when the session may see the page
/// it comes from (the account's feature switch and the session's scopes), else `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalSummary {
    pub customer: SummaryCustomer,
    /// The portal session's scopes.
    pub scopes: Vec<String>,
    /// Whether the session may change anything (`false` for a `read`-only token).
    pub can_manage: bool,
    pub session_expires_at: Timestamp,
    /// Newest first; `null` without `subscriptions:read`.
    pub subscriptions: Option<Vec<SummarySubscription>>,
    /// What is owed on open invoices, one entry per currency (empty when nothing is due);
    /// `null` without `invoices:read`.
    pub open_balance: Option<Vec<SummaryAmount>>,
    /// The default payment method, or the first one; `null` when there is none or without
    /// `payment_methods:read`.
    pub default_payment_method: Option<SummaryPaymentMethod>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryCustomer {
    pub id: CustomerId,
    pub name: String,
    pub currency: Currency,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummarySubscription {
    pub id: SubscriptionId,
    pub status: SubscriptionStatus,
    pub plan: SummaryPlan,
    pub quantity: i64,
    pub current_period_start: Timestamp,
    pub current_period_end: Timestamp,
    pub trial_end: Option<Timestamp>,
    pub cancel_at_period_end: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryPlan {
    pub id: PlanId,
    pub name: String,
    pub interval: Interval,
    pub interval_count: i32,
    /// Price of one unit per interval, in minor units.
    pub unit_amount: i64,
    pub currency: Currency,
}

/// An amount in minor units of one currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryAmount {
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryPaymentMethod {
    pub id: PaymentMethodId,
    /// `card`, `sepa_debit` or `us_bank_account`.
    pub kind: String,
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    /// Whether a card's expiry month has passed.
    pub expired: bool,
}

impl From<Money> for SummaryAmount {
    fn from(m: Money) -> Self {
        Self {
            amount: m.amount,
            currency: m.currency,
        }
    }
}

/// The customer's billing state: subscriptions with status, plan and period, the open balance,
/// and the default payment method.
#[utoipa::path(get, path = "/portal/api/v1/summary", tag = "portal",
    responses(
        (status = 200, description = "The customer's billing state", body = PortalSummary),
        (status = 401, description = "No portal credential, or one that is not valid or revoked \
            (`UNAUTHORIZED`), or a portal token past its expiry (`TOKEN_EXPIRED`)",
            body = crate::error::ErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"portico\"`"))),
        (status = 429, description = "Too many requests for this portal session",
            body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("portal" = [])))]
async fn summary(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let (account, mut response) = match load_summary(&s, &headers).await {
        Ok((account, body)) => (Some(account), Json(body).into_response()),
        Err(e) => (None, e.into_response()),
    };
    cors(&mut response, origin.as_deref(), account.as_ref());
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The answer to a browser's CORS preflight: the read API takes `GET` with an `Authorization`
/// header. Whether the origin may read the answer is decided on the `GET`, by the account.
#[utoipa::path(options, path = "/portal/api/v1/summary", tag = "portal",
    responses((status = 204, description = "CORS preflight answered")))]
async fn summary_preflight(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    if let Some(origin) = headers.get(header::ORIGIN) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// Lets the browser hand the answer to a page of `origin` only when the account lists it.
fn cors(response: &mut Response, origin: Option<&str>, account: Option<&Account>) {
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    let (Some(origin), Some(account)) = (origin, account) else {
        return;
    };
    if !account
        .settings
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
}

async fn load_summary(s: &AppState, headers: &HeaderMap) -> ApiResult<(Account, PortalSummary)> {
    let r = reader(s, headers).await?;
    let features = &r.account.settings.features;
    let scopes = r.session.scopes;
    let (account, customer) = (&r.account.id, &r.customer.id);
    let subscriptions = match PortalPage::Subscriptions.visible(features, scopes) {
        true => Some(
            load::subscriptions(s, account, customer)
                .await?
                .into_iter()
                .map(|(sub, plan)| SummarySubscription {
                    id: sub.id,
                    status: sub.status,
                    quantity: sub.quantity,
                    current_period_start: sub.current_period_start,
                    current_period_end: sub.current_period_end,
                    trial_end: sub.trial_end,
                    cancel_at_period_end: sub.cancel_at_period_end,
                    plan: SummaryPlan {
                        id: plan.id,
                        name: plan.name,
                        interval: plan.interval,
                        interval_count: plan.interval_count,
                        unit_amount: plan.unit_amount,
                        currency: plan.currency,
                    },
                })
                .collect(),
        ),
        false => None,
    };
    let balance_visible = PortalPage::Invoices.visible(features, scopes)
        || PortalPage::Transactions.visible(features, scopes);
    let open_balance = match balance_visible {
        true => Some(
            load::open_balance(s, account, customer)
                .await?
                .into_iter()
                .map(SummaryAmount::from)
                .collect(),
        ),
        false => None,
    };
    let default_payment_method = match PortalPage::PaymentMethod.visible(features, scopes) {
        true => {
            let now = s.app.clock.now();
            load::payment_methods(s, account, customer)
                .await?
                .into_iter()
                .next()
                .map(|pm| SummaryPaymentMethod {
                    expired: pm.is_expired(now),
                    id: pm.id,
                    kind: pm.kind.as_str().to_owned(),
                    brand: pm.brand,
                    last4: pm.last4,
                    exp_month: pm.exp_month,
                    exp_year: pm.exp_year,
                })
        }
        false => None,
    };
    let summary = PortalSummary {
        customer: SummaryCustomer {
            id: r.customer.id.clone(),
            name: r.customer.name.clone(),
            currency: r.customer.currency,
        },
        scopes: scopes.names(),
        can_manage: scopes.can_manage(),
        session_expires_at: r.session.expires_at,
        subscriptions,
        open_balance,
        default_payment_method,
    };
    Ok((r.account, summary))
}
