//! Invoices: numbered per account, editable only while draft.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use portico_core::model::{
    CustomerRef, Invoice, InvoicePatch, InvoiceStatus, NewInvoice, PaymentAttempt,
};
use portico_core::scope::ApiScope;
use portico_core::{InvoiceId, List, PaymentMethodId, SubscriptionId};
use portico_store::InvoiceFilter;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::{Created, created};
use crate::error::ApiResult;
use crate::extract::{ApiQuery, IdPath, JsonBody, id_param, page};
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(pay))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last invoice id of the previous page.
    #[param(value_type = Option<InvoiceId>)]
    starting_after: Option<String>,
    /// Only invoices of this customer (id or alias).
    customer: Option<String>,
    /// Only invoices in this status.
    #[param(value_type = Option<InvoiceStatus>)]
    status: Option<String>,
    /// Only invoices of this subscription.
    #[param(value_type = Option<SubscriptionId>)]
    subscription: Option<String>,
}

/// Creates an invoice; it takes the account's next number.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices",
    request_body = NewInvoice,
    responses((status = 201, description = "The new invoice", body = Invoice)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Invoice>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewInvoice>()?;
    let invoice =
        portico_app::invoices::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(invoice))
}

/// Lists invoices, newest first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices",
    params(ListQuery),
    responses((status = 200, description = "A page of invoices", body = List<Invoice>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Invoice>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<InvoiceId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let filter = InvoiceFilter {
        customer: q.customer.as_deref().map(CustomerRef::parse),
        status: q
            .status
            .as_deref()
            .map(|st| InvoiceStatus::parse("status", st))
            .transpose()?,
        subscription: q
            .subscription
            .as_deref()
            .map(|id| id_param::<SubscriptionId>("subscription", id))
            .transpose()?,
        exclude_drafts: false,
    };
    Ok(Json(
        s.app
            .store
            .list_invoices(&auth.account, filter, page)
            .await?,
    ))
}

/// Gets an invoice.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = InvoiceId, Path, description = "Invoice id")),
    responses((status = 200, description = "The invoice", body = Invoice)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<InvoiceId>,
) -> ApiResult<Json<Invoice>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.invoice(&auth.account, &id).await?))
}

/// Moves an invoice on (draft → open → paid | void | uncollectible) or edits a draft.
#[utoipa::path(patch, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = InvoiceId, Path, description = "Invoice id")),
    request_body = InvoicePatch,
    responses((status = 200, description = "The changed invoice", body = Invoice)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<InvoiceId>,
    body: JsonBody,
) -> ApiResult<Json<Invoice>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<InvoicePatch>()?;
    let invoice =
        portico_app::invoices::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(invoice))
}

/// Deletes a draft invoice (others are voided instead: 409).
#[utoipa::path(delete, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = InvoiceId, Path, description = "Invoice id")),
    responses((status = 200, description = "The deleted invoice", body = Invoice),
        (status = 409, description = "The invoice is not a draft", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<InvoiceId>,
) -> ApiResult<Json<Invoice>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        portico_app::invoices::delete(&s.app, &auth.caller(), &id, s.app.clock.now()).await?,
    ))
}

/// What to pay an invoice with.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// The customer's payment method to charge; its default when absent.
    payment_method: Option<PaymentMethodId>,
}

/// Charges what the invoice has due through the account's payment provider, off-session.
/// The answer is the payment attempt: `succeeded` (the invoice is paid and a payment recorded),
/// `declined` with a `decline_code` (a failed payment recorded, the invoice stays open), or
/// `requires_action` with an `action_url` where the customer confirms the payment. With an
/// `Idempotency-Key` the charge itself is idempotent at the provider: a repeated request
/// charges once. A provider that does not answer in time is a 503 that leaves the attempt
/// pending; the same key resumes it.
#[utoipa::path(post, path = "/api/v1/invoices/{id}/pay", tag = "invoices",
    params(("id" = InvoiceId, Path, description = "Invoice id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a repeated request charge once")),
    request_body(content = Option<PayRequest>, description = "Optional; `null` or `{}` pays with the default payment method"),
    responses((status = 200, description = "The payment attempt and its outcome", body = PaymentAttempt),
        (status = 409, description = "The invoice takes no payment, or one is in progress, or the account has no payment provider", body = crate::error::ErrorBody),
        (status = 503, description = "The payment provider did not answer; the attempt stays pending", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn pay(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<InvoiceId>,
    headers: HeaderMap,
    body: JsonBody,
) -> ApiResult<Json<PaymentAttempt>> {
    auth.require(ApiScope::BillingWrite)?;
    let request = body.parse_optional::<PayRequest>()?.unwrap_or_default();
    let idempotency_key = crate::idempotency::provider_key(&headers);
    let input = portico_app::payments::PayInput {
        invoice: id,
        payment_method: request.payment_method,
        idempotency_key,
        customer: None,
    };
    let attempt =
        portico_app::payments::pay(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(Json(attempt))
}
