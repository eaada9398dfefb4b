//! Webhook endpoints: created with their signing secret shown once, listed, changed, deleted,
//! their secret rotated with an overlap; each endpoint's delivery log and redelivery.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_app::webhooks::{self, EndpointPatch, NewEndpoint};
use portico_core::model::nullable;
use portico_core::scope::ApiScope;
use portico_core::{EventId, List, Timestamp, WebhookDeliveryId, WebhookEndpointId};
use portico_store::{WebhookDeliveryRecord, WebhookEndpointRecord};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, IdPath, JsonBody, page};
use crate::idempotency::ReplayBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(rotate_secret))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last endpoint id of the previous page.
    #[param(value_type = Option<WebhookEndpointId>)]
    starting_after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last delivery id of the previous page.
    #[param(value_type = Option<WebhookDeliveryId>)]
    starting_after: Option<String>,
}

/// A webhook endpoint. Its secret is never shown after it was made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// The event types it receives; `null` for every type.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// Why Portico disabled it (its deliveries kept failing); `null` otherwise.
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<WebhookEndpointRecord> for WebhookEndpoint {
    fn from(e: WebhookEndpointRecord) -> Self {
        WebhookEndpoint {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// An endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`, for a Standard Webhooks verifier: store it now, it is never shown again.
    /// `null` in an idempotent replay.
    pub secret: Option<String>,
    /// After a rotation: until when the previous secret also signs every delivery.
    pub previous_secret_expires_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpoint {
    /// An `https` URL whose host resolves only to public addresses.
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Event type names (see the `WebhookEvent` schemas); leave out or `null` for every type.
    pub event_types: Option<Vec<String>>,
    /// Default `true`.
    pub enabled: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatch {
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Event type names; `null` for every type.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>)]
    pub event_types: Option<Option<Vec<String>>>,
    /// Enabling an endpoint Portico disabled clears its `disabled_reason`.
    pub enabled: Option<bool>,
}

/// Where a delivery stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub endpoint: WebhookEndpointId,
    /// The event, also the `webhook-id` of every attempt.
    pub event: EventId,
    pub event_type: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i64,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    /// The receiver's HTTP status in the last attempt; `null` when it did not answer.
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

impl From<WebhookDeliveryRecord> for WebhookDelivery {
    fn from(d: WebhookDeliveryRecord) -> Self {
        WebhookDelivery {
            id: d.id,
            endpoint: d.endpoint,
            event: d.event,
            event_type: d.event_type,
            status: match d.status {
                portico_store::DeliveryStatus::Pending => WebhookDeliveryStatus::Pending,
                portico_store::DeliveryStatus::Succeeded => WebhookDeliveryStatus::Succeeded,
                portico_store::DeliveryStatus::Failed => WebhookDeliveryStatus::Failed,
            },
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_attempt_at: d.last_attempt_at,
            last_status_code: d.last_status_code,
            last_latency_ms: d.last_latency_ms,
            last_error: d.last_error,
            created_at: d.created_at,
        }
    }
}

/// A new secret in a 201 or 200 answer, and in the stored replay without it.
fn with_secret(status: axum::http::StatusCode, new: webhooks::WithSecret) -> ApiResult<Response> {
    let mut shown = WebhookEndpointWithSecret {
        previous_secret_expires_at: new
            .endpoint
            .previous_secret_expires_at
            .filter(|_| new.endpoint.previous_secret_sealed.is_some()),
        endpoint: new.endpoint.into(),
        secret: None,
    };
    let replay = serde_json::to_vec(&shown).map_err(ApiError::internal)?;
    shown.secret = Some(new.secret);
    let mut response = (status, Json(shown)).into_response();
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}

/// Creates a webhook endpoint; the answer holds its signing secret, this once.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints", tag = "webhooks",
    request_body = NewWebhookEndpoint,
    responses((status = 201, description = "The new endpoint, with its secret", body = WebhookEndpointWithSecret)),
    security(("bearer" = ["webhooks:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Response> {
    auth.require(ApiScope::WebhooksWrite)?;
    let input = body.parse::<NewWebhookEndpoint>()?;
    let input = NewEndpoint {
        url: input.url,
        description: input.description,
        event_types: input.event_types,
        enabled: input.enabled,
    };
    let new = webhooks::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    with_secret(axum::http::StatusCode::CREATED, new)
}

/// Lists the account's webhook endpoints, newest first.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints", tag = "webhooks",
    params(ListQuery),
    responses((status = 200, description = "A page of endpoints", body = List<WebhookEndpoint>)),
    security(("bearer" = ["webhooks:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<WebhookEndpoint>>> {
    auth.require(ApiScope::WebhooksRead)?;
    let page = page::<WebhookEndpointId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let list = webhooks::list(&s.app, &auth.caller(), page).await?;
    Ok(Json(list.map(Into::into)))
}

/// Gets a webhook endpoint.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The endpoint", body = WebhookEndpoint)),
    security(("bearer" = ["webhooks:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpoint>> {
    auth.require(ApiScope::WebhooksRead)?;
    Ok(Json(
        webhooks::get(&s.app, &auth.caller(), &id).await?.into(),
    ))
}

/// Changes the given fields of a webhook endpoint.
#[utoipa::path(patch, path = "/api/v1/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    request_body = WebhookEndpointPatch,
    responses((status = 200, description = "The changed endpoint", body = WebhookEndpoint)),
    security(("bearer" = ["webhooks:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
    body: JsonBody,
) -> ApiResult<Json<WebhookEndpoint>> {
    auth.require(ApiScope::WebhooksWrite)?;
    let patch = body.parse::<WebhookEndpointPatch>()?;
    let patch = EndpointPatch {
        url: patch.url,
        description: patch.description,
        event_types: patch.event_types,
        enabled: patch.enabled,
    };
    let endpoint = webhooks::update(&s.app, &auth.caller(), &id, patch, s.app.clock.now()).await?;
    Ok(Json(endpoint.into()))
}

/// Deletes a webhook endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhook-endpoints/{id}", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The deleted endpoint", body = WebhookEndpoint)),
    security(("bearer" = ["webhooks:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Json<WebhookEndpoint>> {
    auth.require(ApiScope::WebhooksWrite)?;
    Ok(Json(
        webhooks::delete(&s.app, &auth.caller(), &id).await?.into(),
    ))
}

/// Gives the endpoint a new signing secret, shown this once. For 24 hours the previous secret
/// signs every delivery too (`webhook-signature` holds both), so the receiver can switch over.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id")),
    responses((status = 200, description = "The endpoint, with its new secret", body = WebhookEndpointWithSecret)),
    security(("bearer" = ["webhooks:write"])))]
async fn rotate_secret(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
) -> ApiResult<Response> {
    auth.require(ApiScope::WebhooksWrite)?;
    let new = webhooks::rotate_secret(&s.app, &auth.caller(), &id, s.app.clock.now()).await?;
    with_secret(axum::http::StatusCode::OK, new)
}

/// The endpoint's delivery log, newest event first: status, attempts, the last answer.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    params(("id" = WebhookEndpointId, Path, description = "Webhook endpoint id"), DeliveriesQuery),
    responses((status = 200, description = "A page of deliveries", body = List<WebhookDelivery>)),
    security(("bearer" = ["webhooks:read"])))]
async fn deliveries(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookEndpointId>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<List<WebhookDelivery>>> {
    auth.require(ApiScope::WebhooksRead)?;
    let page = page::<WebhookDeliveryId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let list = webhooks::deliveries(&s.app, &auth.caller(), &id, page).await?;
    Ok(Json(list.map(Into::into)))
}

/// Sends a delivery again, now, whatever came of it before; the receiver gets the same
/// `webhook-id` (the event id).
#[utoipa::path(post, path = "/api/v1/webhook-deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = WebhookDeliveryId, Path, description = "Webhook delivery id")),
    responses((status = 200, description = "The delivery, pending again", body = WebhookDelivery)),
    security(("bearer" = ["webhooks:write"])))]
async fn redeliver(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<WebhookDeliveryId>,
) -> ApiResult<Json<WebhookDelivery>> {
    auth.require(ApiScope::WebhooksWrite)?;
    let delivery = webhooks::redeliver(&s.app, &auth.caller(), &id, s.app.clock.now()).await?;
    Ok(Json(delivery.into()))
}

/// The event catalogue, one schema per event type (`WebhookEvent.customer.created`, …) and
/// `WebhookEvent`, any of them: what a delivery's body holds. The `data` of an event is its
/// record as the API shows it, the schema each type names (`EventType::record`), where the
/// document has one.
pub(crate) fn document_events(doc: &mut utoipa::openapi::OpenApi) {
    use portico_core::event::EventType;
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    use utoipa::openapi::{Ref, RefOr, Schema};

    let components = doc.components.get_or_insert_with(Default::default);
    let mut any = OneOfBuilder::new().description(Some(
        "The body of a webhook delivery. Headers: `webhook-id` (the event id, the same on every \
         attempt), `webhook-timestamp` (unix seconds of the attempt) and `webhook-signature` \
         (`v1,` base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` with the \
         endpoint's secret, as Standard Webhooks specifies; during a rotation's overlap one \
         signature per secret, separated by a space).",
    ));
    for kind in EventType::ALL {
        let record = kind.record();
        let data: RefOr<Schema> = if components.schemas.contains_key(record) {
            Ref::from_schema_name(record).into()
        } else {
            ObjectBuilder::new().schema_type(Type::Object).into()
        };
        let schema = ObjectBuilder::new()
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([kind.as_str()])),
            )
            .required("type")
            .property("timestamp", Ref::from_schema_name("Timestamp"))
            .required("timestamp")
            .property("data", data)
            .required("data")
            .description(Some(format!("The body of a `{}` event.", kind.as_str())));
        let name = format!("WebhookEvent.{}", kind.as_str());
        components.schemas.insert(name.clone(), schema.into());
        any = any.item(Ref::from_schema_name(name));
    }
    components
        .schemas
        .insert("WebhookEvent".to_owned(), any.into());
    if !components.schemas.contains_key("Timestamp") {
        components.schemas.insert(
            "Timestamp".to_owned(),
            <Timestamp as utoipa::PartialSchema>::schema(),
        );
    }
}
