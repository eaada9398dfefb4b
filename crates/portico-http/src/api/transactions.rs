//! Transactions: payments, refunds and credits; a succeeded payment pays down its invoice.

use axum::Json;
use axum::extract::State;
use portico_core::model::{CustomerRef, NewTransaction, Transaction, TransactionPatch};
use portico_core::scope::ApiScope;
use portico_core::{InvoiceId, List, TransactionId};
use portico_store::TransactionFilter;
use serde::Deserialize;
use utoipa::IntoParams;
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
        .routes(routes!(refund))
}

/// What to refund of a payment.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// In the currency's minor unit; all that is left of the payment when absent.
    #[schema(minimum = 1, maximum = 10000000000i64)]
    pub amount: Option<i64>,
}

/// Refunds a payment made through the account's payment provider, in full or in part. With an
/// `Idempotency-Key` a repeated request refunds once. Answers the refund transaction, which
/// names the payment it refunds.
#[utoipa::path(post, path = "/api/v1/transactions/{id}/refund", tag = "transactions",
    params(("id" = TransactionId, Path, description = "The payment")),
    request_body(content = Option<RefundRequest>),
    responses((status = 201, description = "The refund", body = Transaction),
        (status = 409, description = "Not a succeeded payment made through the provider, or the account has no payment provider", body = crate::error::ErrorBody),
        (status = 503, description = "The payment provider did not answer; nothing was refunded or recorded", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn refund(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<TransactionId>,
    headers: axum::http::HeaderMap,
    body: JsonBody,
) -> ApiResult<Created<Transaction>> {
    auth.require(ApiScope::BillingWrite)?;
    let request = body.parse_optional::<RefundRequest>()?.unwrap_or_default();
    let input = portico_app::payments::RefundInput {
        transaction: id,
        amount: request.amount,
        idempotency_key: crate::idempotency::provider_key(&headers),
    };
    let refund =
        portico_app::payments::refund(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(refund))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last transaction id of the previous page.
    #[param(value_type = Option<TransactionId>)]
    starting_after: Option<String>,
    /// Only transactions of this customer (id or alias).
    customer: Option<String>,
    /// Only transactions of this invoice.
    #[param(value_type = Option<InvoiceId>)]
    invoice: Option<String>,
}

/// Records a transaction.
#[utoipa::path(post, path = "/api/v1/transactions", tag = "transactions",
    request_body = NewTransaction,
    responses((status = 201, description = "The new transaction", body = Transaction)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Created<Transaction>> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewTransaction>()?;
    let txn =
        portico_app::transactions::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok(created(txn))
}

/// Lists transactions, newest first.
#[utoipa::path(get, path = "/api/v1/transactions", tag = "transactions",
    params(ListQuery),
    responses((status = 200, description = "A page of transactions", body = List<Transaction>)),
    security(("bearer" = ["billing:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Transaction>>> {
    auth.require(ApiScope::BillingRead)?;
    let page = page::<TransactionId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let filter = TransactionFilter {
        customer: q.customer.as_deref().map(CustomerRef::parse),
        invoice: q
            .invoice
            .as_deref()
            .map(|id| id_param::<InvoiceId>("invoice", id))
            .transpose()?,
    };
    Ok(Json(
        s.app
            .store
            .list_transactions(&auth.account, filter, page)
            .await?,
    ))
}

/// Gets a transaction.
#[utoipa::path(get, path = "/api/v1/transactions/{id}", tag = "transactions",
    params(("id" = TransactionId, Path, description = "Transaction id")),
    responses((status = 200, description = "The transaction", body = Transaction)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<TransactionId>,
) -> ApiResult<Json<Transaction>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(s.app.store.transaction(&auth.account, &id).await?))
}

/// Settles a pending transaction or changes its description.
#[utoipa::path(patch, path = "/api/v1/transactions/{id}", tag = "transactions",
    params(("id" = TransactionId, Path, description = "Transaction id")),
    request_body = TransactionPatch,
    responses((status = 200, description = "The changed transaction", body = Transaction)),
    security(("bearer" = ["billing:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<TransactionId>,
    body: JsonBody,
) -> ApiResult<Json<Transaction>> {
    auth.require(ApiScope::BillingWrite)?;
    let patch = body.parse::<TransactionPatch>()?;
    let txn =
        portico_app::transactions::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now())
            .await?;
    Ok(Json(txn))
}

/// Deletes a pending or failed transaction (409 for others).
#[utoipa::path(delete, path = "/api/v1/transactions/{id}", tag = "transactions",
    params(("id" = TransactionId, Path, description = "Transaction id")),
    responses((status = 200, description = "The deleted transaction", body = Transaction),
        (status = 409, description = "The transaction succeeded", body = crate::error::ErrorBody)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<TransactionId>,
) -> ApiResult<Json<Transaction>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        portico_app::transactions::delete(&s.app, &auth.caller(), &id, s.app.clock.now()).await?,
    ))
}
