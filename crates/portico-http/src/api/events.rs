//! The account's events as an audit trail: what changed, who changed it and in which request.

use axum::Json;
use axum::extract::State;
use portico_app::events::Recorded;
use portico_core::event::{Actor, EventType};
use portico_core::model::CustomerRef;
use portico_core::scope::ApiScope;
use portico_core::{
    ApiKeyId, ContactId, CustomerId, EventId, List, OAuthClientId, PortalSessionId, Timestamp,
};
use portico_store::EventFilter;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::routes;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, IdPath, page};
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new().routes(routes!(list)).routes(routes!(get))
}

/// Who made a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventActor {
    /// The customer itself, in the portal.
    Customer {
        customer: CustomerId,
        portal_session: PortalSessionId,
    },
    /// One of the customer's contacts, in the portal.
    Contact {
        contact: ContactId,
        customer: CustomerId,
        portal_session: PortalSessionId,
    },
    /// A portal session whose record is gone (sessions are kept, so this is not expected).
    PortalSession { portal_session: PortalSessionId },
    /// The vendor's backend, with this API key.
    ApiKey { api_key: ApiKeyId },
    /// The vendor's backend, with a token of this OAuth client.
    OauthClient { oauth_client: OAuthClientId },
    /// An operator at the command line.
    Operator {},
    /// Portico itself: the billing clock.
    System {},
}

/// The request that made a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventRequest {
    /// The request's id, as its answer said in `x-request-id`.
    pub id: String,
    /// The client's address: the connection's peer, or the address a trusted proxy reported.
    pub ip: Option<String>,
}

/// One recorded change of the account.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: EventId,
    /// `subscription.canceled`, `customer.updated`, … (the webhook catalogue's names).
    #[serde(rename = "type")]
    pub event_type: String,
    /// The customer the record belongs to, for the records that belong to one.
    pub customer: Option<CustomerId>,
    pub actor: EventActor,
    /// The request that made the change; `null` for the billing clock and the command line.
    pub request: Option<EventRequest>,
    /// The record right after the change, as the API shows it.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub created_at: Timestamp,
}

impl From<Recorded> for Event {
    fn from(r: Recorded) -> Self {
        let e = r.event;
        let actor = match (e.actor, r.person) {
            (Actor::Portal(portal_session), Some(person)) => match person.contact {
                Some(contact) => EventActor::Contact {
                    contact,
                    customer: person.customer,
                    portal_session,
                },
                None => EventActor::Customer {
                    customer: person.customer,
                    portal_session,
                },
            },
            (Actor::Portal(portal_session), None) => EventActor::PortalSession { portal_session },
            (Actor::ApiKey(api_key), _) => EventActor::ApiKey { api_key },
            (Actor::OauthClient(oauth_client), _) => EventActor::OauthClient { oauth_client },
            (Actor::Operator, _) => EventActor::Operator {},
            (Actor::System, _) => EventActor::System {},
        };
        Event {
            id: e.id,
            event_type: e.kind.as_str().to_owned(),
            customer: e.customer,
            actor,
            request: e.origin.map(|o| EventRequest {
                id: o.request_id,
                ip: o.ip.map(|ip| ip.to_string()),
            }),
            data: e.data,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last event id of the previous page.
    #[param(value_type = Option<EventId>)]
    starting_after: Option<String>,
    /// Only events of this customer (id or alias).
    customer: Option<String>,
    /// Only events of this type, e.g. `subscription.canceled`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
}

/// Lists the account's events, newest first: each change with who made it and in which
/// request. Events are kept for as long as the account exists.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(ListQuery),
    responses((status = 200, description = "A page of events", body = List<Event>)),
    security(("bearer" = ["security:read"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<Event>>> {
    require(&auth)?;
    let page = page::<EventId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    let kind = q
        .event_type
        .as_deref()
        .map(|t| {
            EventType::parse(t)
                .ok_or_else(|| ApiError::bad_request("type: not an event type of the catalogue"))
        })
        .transpose()?;
    // A customer nobody has is a 404, as in the other lists filtered by customer.
    let customer = match q.customer.as_deref() {
        Some(c) => Some(
            s.app
                .store
                .customer(&auth.account, &CustomerRef::parse(c))
                .await?
                .id,
        ),
        None => None,
    };
    let filter = EventFilter { customer, kind };
    let events = portico_app::events::list(&s.app, &auth.caller(), filter, page).await?;
    Ok(Json(List {
        data: events.data.into_iter().map(Event::from).collect(),
        has_more: events.has_more,
    }))
}

/// Gets one event.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = EventId, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Event)),
    security(("bearer" = ["security:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<EventId>,
) -> ApiResult<Json<Event>> {
    require(&auth)?;
    let event = portico_app::events::get(&s.app, &auth.caller(), &id).await?;
    Ok(Json(event.into()))
}

/// The trail is the account's security record (who did what, from where), read with the
/// portal sessions' scope.
fn require(auth: &VendorAuth) -> ApiResult<()> {
    auth.require(ApiScope::SecurityRead)
}
