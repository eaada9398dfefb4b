//! The OpenAPI 3.1 document, generated from the handlers, and the route registry that makes
//! documenting a route the only way to add one.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{
    HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, Ref, RefOr, Required, ResponseBuilder,
    schema::{ObjectBuilder, Type},
};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::error::{ErrorBody, ErrorCode};
use crate::{AppState, api, health, oauth};

/// One registered route: an HTTP method and an axum path (`/api/v1/customers/{id_or_alias}`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteEntry {
    pub method: String,
    pub path: String,
}

/// A router that only takes documented routes: there is no `route()`, only `routes()` with the
/// output of `utoipa_axum::routes!`, and it records each (method, path) it registers.
pub struct Routes {
    inner: OpenApiRouter<AppState>,
    table: Vec<RouteEntry>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

impl Routes {
    pub fn new() -> Self {
        Self {
            inner: OpenApiRouter::new(),
            table: Vec::new(),
        }
    }

    /// Registers the handlers of one `routes!(…)`; all of them must share one path.
    pub fn routes(mut self, routes: UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in &routes.1.paths {
            for method in methods_of(item) {
                self.table.push(RouteEntry {
                    method: method.to_owned(),
                    path: path.clone(),
                });
            }
        }
        self.inner = self.inner.routes(routes);
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.inner = self.inner.merge(other.inner);
        self.table.extend(other.table);
        self
    }
}

fn methods_of(item: &PathItem) -> Vec<&'static str> {
    [
        ("GET", item.get.is_some()),
        ("PUT", item.put.is_some()),
        ("POST", item.post.is_some()),
        ("DELETE", item.delete.is_some()),
        ("OPTIONS", item.options.is_some()),
        ("HEAD", item.head.is_some()),
        ("PATCH", item.patch.is_some()),
        ("TRACE", item.trace.is_some()),
    ]
    .into_iter()
    .filter_map(|(m, present)| present.then_some(m))
    .collect()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portico vendor API",
        description = "Customers, catalogue and billing data of one vendor account, and the \
                       account's portal settings. Authenticate with `Authorization: Bearer \
                       portico_sk_…` (an API key) or `Bearer portico_at_…` (an OAuth access \
                       token from `POST /oauth/token`); every record belongs to the \
                       credential's account.",
    ),
    components(schemas(ErrorBody, ErrorCode)),
    tags(
        (name = "customers"), (name = "contacts"), (name = "products"), (name = "plans"),
        (name = "subscriptions"), (name = "invoices"), (name = "transactions"),
        (name = "payment-methods"), (name = "api-keys"), (name = "portal-settings"), (name = "invoice-settings"),
        (name = "payment-provider"),
        (name = "portal-sessions"), (name = "oauth-clients"), (name = "oauth"),
        (name = "operations"),
        (name = "events", description = "The account's audit trail: every change, who made it \
            and in which request"),
        (name = "webhooks", description = "Endpoints that receive the account's events, signed \
            as Standard Webhooks; the `WebhookEvent` schemas are the catalogue of what they get"),
        (name = "portal", description = "The portal read API, for portal tokens and the portal's \
            session cookie (not for API keys)"),
    )
)]
struct ApiDoc;

/// The pieces [`crate::router`] assembles.
pub(crate) struct Parts {
    /// Routes that need no credential: health checks and this document.
    pub public: Router<AppState>,
    /// The vendor API; the caller wraps it in authentication.
    pub vendor: Router<AppState>,
    pub doc: utoipa::openapi::OpenApi,
    pub table: Vec<RouteEntry>,
}

pub(crate) fn build() -> Parts {
    let public = health::router()
        .merge(router())
        .merge(oauth::router())
        .merge(crate::portal::api::router());
    let vendor = api::router();
    let mut table = public.table;
    table.extend(vendor.table);
    table.sort();

    let (public, public_doc) = public.inner.split_for_parts();
    let (vendor, vendor_doc) = vendor.inner.split_for_parts();
    let mut doc = ApiDoc::openapi();
    let vendor_paths: Vec<String> = vendor_doc.paths.paths.keys().cloned().collect();
    doc.merge(public_doc);
    doc.merge(vendor_doc);
    document_vendor_operations(&mut doc, &vendor_paths);
    document_portal_credential(&mut doc);
    document_text_rules(&mut doc);
    api::webhook_endpoints::document_events(&mut doc);
    name_operations(&mut doc);
    Parts {
        public,
        vendor,
        doc,
        table,
    }
}

/// The OpenAPI document served at `/api/v1/openapi.json`.
pub fn api_document() -> utoipa::openapi::OpenApi {
    build().doc
}

/// Every (method, path) the application registers, sorted.
pub fn route_table() -> Vec<RouteEntry> {
    build().table
}

const BEARER: &str = "bearer";

/// Adds what every vendor operation shares, so handlers document only what is theirs: the
/// bearer security scheme, the error answers, and the `Idempotency-Key` header of POSTs.
fn document_vendor_operations(doc: &mut utoipa::openapi::OpenApi, vendor_paths: &[String]) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("portico_sk_{id}_{secret} or portico_at_{token}")
                .description(Some(
                    "An API key of the account, or an OAuth access token from \
                     `POST /oauth/token`, sent as a bearer token.",
                ))
                .build(),
        ),
    );
    let error_responses: BTreeMap<&str, &str> = [
        ("400", "The request is malformed; the message names the field."),
        ("401", "Missing, unknown, revoked or expired credential."),
        ("403", "The credential lacks the scope the operation needs."),
        ("404", "No such record in this account."),
        ("409", "The record's state or a uniqueness rule forbids the change, or the Idempotency-Key was used differently."),
        ("429", "Over the rate limit of the credential, or of the client address after failed authentications."),
        ("408", "The request body was not received within the server's body read timeout (code BAD_REQUEST)."),
        ("413", "The request body is larger than 1 MiB (code BAD_REQUEST)."),
        ("429", "Too many requests for this credential, or too many failed authentications \
                 from this address (code TOO_MANY_REQUESTS)."),
        ("500", "Internal error; the body says nothing more."),
        ("503", "The answer was not ready within the server's request timeout, or the database is unavailable (code INTERNAL_SERVER_ERROR)."),
    ]
    .into_iter()
    .collect();
    for (status, description) in &error_responses {
        let mut response = ResponseBuilder::new().description(*description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        );
        match *status {
            "401" => {
                response = response.header(
                    "WWW-Authenticate",
                    header_of(Type::String, "`Bearer realm=\"portico\"`"),
                );
            }
            "429" => {
                response = response.header(
                    "Retry-After",
                    header_of(Type::Integer, "Seconds to wait before trying again"),
                );
            }
            _ => {}
        }
        components
            .responses
            .insert(format!("Error{status}"), RefOr::T(response.build()));
    }

    for path in vendor_paths {
        let Some(item) = doc.paths.paths.get_mut(path) else {
            continue;
        };
        let has_path_param = path.contains('{');
        for (method, op) in operations_mut(item) {
            let scoped = op.security.as_ref().is_some_and(|s| !s.is_empty());
            if !scoped {
                op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
            }
            let has_query = op
                .parameters
                .as_ref()
                .is_some_and(|ps| ps.iter().any(|p| p.parameter_in == ParameterIn::Query));
            let has_body = op.request_body.is_some();
            let mut statuses = vec!["401", "429", "500", "503"];
            if scoped {
                statuses.push("403");
            }
            if has_query || has_body {
                statuses.push("400");
            }
            // A filter naming a customer that does not exist is a 404, like a path id.
            let filters_by_record = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p.parameter_in == ParameterIn::Query && p.name == "customer")
            });
            if has_path_param || filters_by_record {
                statuses.push("404");
            }
            if has_body {
                statuses.extend(["408", "409", "413"]);
            }
            if method == HttpMethod::Post {
                statuses.extend(["400", "409"]);
                mark_replays(op);
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .push(idempotency_key_parameter());
            }
            for status in statuses {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| {
                        RefOr::Ref(Ref::new(format!("#/components/responses/Error{status}")))
                    });
            }
        }
    }
}

/// The portal read API's credential: a portal token, which the vendor API refuses.
fn document_portal_credential(doc: &mut utoipa::openapi::OpenApi) {
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "portal",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A portal token (from the REST `portal-token`, the native \
                         `portal-sessions` or the GraphQL `portalSessionCreate`), or the \
                         portal's session cookie.",
                    ))
                    .build(),
            ),
        );
}

/// What no validated text may hold (`portico_core::error`): control characters, bidirectional
/// controls and invisible characters, as one ECMA-262 character class.
const REFUSED_CHARS: &str = r"\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF";

/// Every free text the API validates declares a `maxLength` in its schema; this adds the rule
/// that all of them share, as a `pattern`: none of [`REFUSED_CHARS`], and for a required text
/// (`minLength` 1) at least one character that is not white space.
fn document_text_rules(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{Schema, SchemaType};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let free_text = format!("^[^{REFUSED_CHARS}]*$");
    let required_text = format!("^[^{REFUSED_CHARS}]*[^\\s{REFUSED_CHARS}][^{REFUSED_CHARS}]*$");
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::Object(object)) = schema else {
            continue;
        };
        for property in object.properties.values_mut() {
            let RefOr::T(Schema::Object(p)) = property else {
                continue;
            };
            let is_string = match &p.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(ts) => ts.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if is_string && p.max_length.is_some() && p.pattern.is_none() && p.format.is_none() {
                let required = p.min_length.is_some_and(|n| n >= 1);
                p.pattern = Some(if required { &required_text } else { &free_text }.clone());
            }
        }
    }
}

fn header_of(kind: Type, description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(kind))
        .description(Some(description))
        .build()
}

/// A POST's answers may be the stored answer of an earlier request with the same
/// `Idempotency-Key`, which says so in a header.
fn mark_replays(op: &mut Operation) {
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && !status.starts_with('5')
        {
            response.headers.insert(
                "Idempotent-Replayed".to_owned(),
                header_of(
                    Type::String,
                    "`true` when this is the stored answer of an earlier request with the same \
                     Idempotency-Key",
                ),
            );
        }
    }
}

/// Handlers are named `create`, `list`, … in every module; the operation id adds the tag so
/// that ids are unique, as OpenAPI requires (`customers_create`).
fn name_operations(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations_mut(item) {
            let tag = op
                .tags
                .as_ref()
                .and_then(|t| t.first())
                .map(|t| t.replace('-', "_"));
            if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut()) {
                *id = format!("{tag}_{id}");
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

fn idempotency_key_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "1 to 255 printable ASCII characters. A retry with the same key and request gets the \
             first answer again, with `Idempotent-Replayed: true`; the same key with another \
             request is 409 CONFLICT. Keys belong to the credential that sends them: another \
             credential's request under the same key is a request of its own. 401 and 403 \
             answers are never stored.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255)),
        ))
        .build()
}

/// This document, as its own (documented) route.
fn router() -> Routes {
    Routes::new().routes(routes!(openapi_json))
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
async fn openapi_json() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        api_document().to_json().unwrap_or_else(|e| {
            format!("{{\"code\":\"INTERNAL_SERVER_ERROR\",\"message\":\"{e}\"}}")
        })
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_1_with_bearer_security() {
        let doc = api_document();
        let json = serde_json::to_value(&doc).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(
            json["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }

    #[test]
    fn every_registered_route_is_documented_and_back() {
        let doc = api_document();
        let mut documented: Vec<RouteEntry> = doc
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| {
                methods_of(item).into_iter().map(|m| RouteEntry {
                    method: m.to_owned(),
                    path: path.clone(),
                })
            })
            .collect();
        documented.sort();
        assert_eq!(route_table(), documented);
    }

    #[test]
    fn operation_ids_are_unique_and_refs_resolve() {
        let json = serde_json::to_value(api_document()).unwrap();
        let mut ids = Vec::new();
        for item in json["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                ids.push(op["operationId"].as_str().unwrap().to_owned());
            }
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate operation ids: {ids:?}");

        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&json, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(json.pointer(pointer).is_some(), "dangling {r}");
        }
    }

    #[test]
    fn enums_are_documented_by_their_wire_names() {
        let json = serde_json::to_value(api_document()).unwrap();
        let schemas = &json["components"]["schemas"];
        let values = |name: &str| schemas[name]["enum"].clone();
        assert_eq!(
            values("SubscriptionStatus"),
            serde_json::json!(["trialing", "active", "past_due", "canceled"])
        );
        assert_eq!(values("PaymentMethodKind")[2], "us_bank_account");
        assert_eq!(values("Role")[0], "owner");
        assert!(
            values("ErrorCode")
                .as_array()
                .unwrap()
                .contains(&"NOT_FOUND".into())
        );
    }

    #[test]
    fn vendor_operations_are_secured_and_public_ones_not() {
        let doc = api_document();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [
                ("get", &item.get),
                ("post", &item.post),
                ("patch", &item.patch),
                ("delete", &item.delete),
            ] {
                let Some(op) = op else { continue };
                let public = !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json";
                // The portal read API has a credential of its own, the portal token.
                let portal = path.starts_with("/portal/api/");
                assert_eq!(op.security.is_none(), public && !portal, "{method} {path}");
                if !public {
                    assert!(
                        op.responses.responses.contains_key("401"),
                        "{method} {path}"
                    );
                }
            }
        }
    }
}
