//! Subscriptions: a customer on a plan; DELETE cancels, at once or at the end of the period;
//! the POST actions do what a customer does in the portal (preview and make a change, cancel,
//! resume, pause), each once per `Idempotency-Key`.

use axum::Json;
use axum::extract::State;
use portico_app::plan_changes::{self, ChangeInput};
use portico_app::subscriptions::{self, Cancellation, Collection, Requester};
use portico_core::model::{
    CancelMode, ChangeQuote, ChangeTiming, CustomerRef, NewSubscription, PaymentAttempt,
    Subscription, SubscriptionPatch, SubscriptionStatus,
};
use portico_core::scope::ApiScope;
use portico_core::{InvoiceId, List, PlanId, SubscriptionId};
use portico_store::SubscriptionFilter;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::{Created, created};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, IdPath, JsonBody, page};
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, cancel))
        .routes(routes!(preview_change))
        .routes(routes!(change))
        .routes(routes!(cancel_by_post))
        .routes(routes!(resume))
        .routes(routes!(pause))
        .routes(routes!(unpause))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last subscription id of the previous page.
    #[param(value_type = Option<SubscriptionId>)]
    starting_after: Option<String>,
    /// Only subscriptions of this customer (id or alias).
    customer: Option<String>,
    /// Only subscriptions in this status.
    #[param(value_type = Option<SubscriptionStatus>)]
    status: Option<String>,
}

/// How and why a subscription is canceled; the whole body may be left out.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSubscription {
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// What the customer said, beside the reason.
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
    /// `immediately` (the default) or `at_period_end`, which keeps the subscription until its
    /// period ends and may be taken back with `PATCH {"cancel_at_period_end": false}`.
    pub mode: Option<CancelMode>,
}

/// Subscribes a customer to a plan.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "subscriptions",
    request_body = NewSubscription,
    responses((status = 201, description = "The new subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewSubscription>()?;
    let sub = portico_app::subscriptions::create(&s.app, &auth.caller(), input, s.app.clock.now())
        .await?;
    Ok(created(sub))
}

/// Lists subscriptions, newest first.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "subscriptions",
    params(ListQuery),
    responses((status = 200, description = "A page of subscriptions", body = List<Subscription>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Subscription>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<SubscriptionId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let filter = SubscriptionFilter {
        customer: q.customer.as_deref().map(CustomerRef::parse),
        status: q
            .status
            .as_deref()
            .map(|st| SubscriptionStatus::parse("status", st))
            .transpose()?,
    };
    Ok(Json(
        s.app
            .store
            .list_subscriptions(&auth.account, filter, page)
            .await?,
    ))
}

/// Gets a subscription.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = Subscription)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.subscription(&auth.account, &id).await?))
}

/// Changes plan, quantity, status or cancellation at period end.
#[utoipa::path(patch, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body = SubscriptionPatch,
    responses((status = 200, description = "The changed subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<SubscriptionPatch>()?;
    let sub =
        portico_app::subscriptions::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(sub))
}

/// Cancels a subscription now or at the end of its period; the body
/// `{"mode": "at_period_end", "reason": "…", "comment": "…"}` is optional.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body(content = Option<CancelSubscription>, description = "Optional mode, reason and comment"),
    responses((status = 200, description = "The canceled subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn cancel(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let body = body
        .parse_optional::<CancelSubscription>()?
        .unwrap_or_default();
    let c = Cancellation {
        mode: body.mode.unwrap_or(CancelMode::Immediately),
        reason: body.reason,
        comment: body.comment,
    };
    let (by, now) = (auth.caller(), s.app.clock.now());
    let sub = subscriptions::cancel_as(&s.app, &by, Requester::Vendor, &id, c, now).await?;
    Ok(Json(sub))
}

/// A change of plan or quantity; what is left out stays as it is.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChangeRequest {
    pub plan: Option<PlanId>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: Option<i64>,
    /// When the change takes effect: by default what the account's rules say for an upgrade
    /// or a downgrade (`subscription_changes` of the portal settings, as in the portal); set,
    /// `now_with_proration`, `now_without_proration` or `at_period_end` instead.
    pub timing: Option<ChangeTiming>,
    /// For a change: the preview it must still cost (as `preview-change` answered); a change
    /// that would now cost otherwise is a conflict and changes nothing.
    pub quote: Option<ChangeQuote>,
}

/// A change as made: the subscription afterwards (as it was when a charge was declined or
/// waits for the customer's step), the invoice opened for money due now, and its charge
/// through the account's payment provider when it was charged at once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionChanged {
    pub subscription: Subscription,
    pub invoice: Option<InvoiceId>,
    pub payment: Option<PaymentAttempt>,
}

/// Pauses collection for the periods after the current one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PauseSubscription {
    /// How many periods, 1 to 3.
    #[schema(minimum = 1, maximum = 3)]
    pub periods: u32,
}

/// The change asked for, what is left out taken from the subscription.
async fn change_input(
    s: &AppState,
    auth: &VendorAuth,
    id: &SubscriptionId,
    body: &SubscriptionChangeRequest,
) -> ApiResult<ChangeInput> {
    let current = s.app.store.subscription(&auth.account, id).await?;
    Ok(ChangeInput {
        plan: body.plan.clone().unwrap_or(current.plan),
        quantity: body.quantity.unwrap_or(current.quantity),
    })
}

/// Prices a change of plan or quantity without making it: the numbers the portal's preview
/// shows for the same change and timing.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/preview-change", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body = SubscriptionChangeRequest,
    responses((status = 200, description = "What the change costs", body = ChangeQuote)),
    security(("bearer" = ["billing:read"])))]
async fn preview_change(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<ChangeQuote>> {
    auth.require(ApiScope::BillingRead)?;
    let body = body.parse::<SubscriptionChangeRequest>()?;
    let input = change_input(&s, &auth, &id, &body).await?;
    Ok(Json(quote_of(&s, &auth, &id, &input, body.timing).await?))
}

/// What the vendor's change costs now.
async fn quote_of(
    s: &AppState,
    auth: &VendorAuth,
    id: &SubscriptionId,
    input: &ChangeInput,
    timing: Option<ChangeTiming>,
) -> ApiResult<ChangeQuote> {
    let (by, now) = (auth.caller(), s.app.clock.now());
    let who = Requester::Vendor;
    let p = plan_changes::preview(&s.app, &by, who, id, input, timing, now).await?;
    Ok(p.quote)
}

/// Changes plan or quantity as `preview-change` priced it: money owed is credited, money due
/// is invoiced and charged through the account's payment provider when the customer has a
/// usable default payment method (a decline changes nothing), and a change at the end of the
/// period is scheduled.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/change", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body = SubscriptionChangeRequest,
    responses((status = 200, description = "The change as made", body = SubscriptionChanged)),
    security(("bearer" = ["billing:write"])))]
async fn change(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<SubscriptionChanged>> {
    auth.require(ApiScope::BillingWrite)?;
    let body = body.parse::<SubscriptionChangeRequest>()?;
    let input = change_input(&s, &auth, &id, &body).await?;
    let shown = match body.quote {
        Some(quote) => quote,
        None => quote_of(&s, &auth, &id, &input, body.timing).await?,
    };
    let (by, now) = (auth.caller(), s.app.clock.now());
    let who = Requester::Vendor;
    let changed = plan_changes::confirm(&s.app, &by, who, &id, &input, &shown, now).await?;
    let (invoice, payment) = match changed.collection {
        Collection::NothingDue => (None, None),
        Collection::LeftOpen(invoice) => (Some(invoice.id), None),
        Collection::Charged(attempt) => (Some(attempt.invoice.clone()), Some(attempt)),
    };
    Ok(Json(SubscriptionChanged {
        subscription: changed.subscription,
        invoice,
        payment,
    }))
}

/// Cancels as `DELETE /api/v1/subscriptions/{id}` does, as a POST that an `Idempotency-Key`
/// makes safe to retry.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/cancel", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body(content = Option<CancelSubscription>, description = "Optional mode, reason and comment"),
    responses((status = 200, description = "The canceled subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn cancel_by_post(
    state: State<AppState>,
    auth: VendorAuth,
    id: IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    cancel(state, auth, id, body).await
}

/// Takes back a cancellation at the end of the period.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/resume", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription, continuing", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn resume(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let (by, now) = (auth.caller(), s.app.clock.now());
    let sub = subscriptions::resume(&s.app, &by, Requester::Vendor, &id, now).await?;
    Ok(Json(sub))
}

/// Pauses collection for 1 to 3 periods after the current one, which stays paid.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/pause", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    request_body = PauseSubscription,
    responses((status = 200, description = "The paused subscription", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn pause(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
    body: JsonBody,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    // Another account's subscription is not found, whatever the body says.
    s.app.store.subscription(&auth.account, &id).await?;
    let periods = body.parse::<PauseSubscription>()?.periods;
    let (by, now) = (auth.caller(), s.app.clock.now());
    let sub =
        subscriptions::set_pause(&s.app, &by, Requester::Vendor, &id, Some(periods), now).await?;
    Ok(Json(sub))
}

/// Resumes paused collection early.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/unpause", tag = "subscriptions",
    params(("id" = SubscriptionId, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription, collected again", body = Subscription)),
    security(("bearer" = ["billing:write"])))]
async fn unpause(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<SubscriptionId>,
) -> ApiResult<Json<Subscription>> {
    auth.require(ApiScope::BillingWrite)?;
    let (by, now) = (auth.caller(), s.app.clock.now());
    let sub = subscriptions::set_pause(&s.app, &by, Requester::Vendor, &id, None, now).await?;
    Ok(Json(sub))
}
