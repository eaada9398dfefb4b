//! The client and the server's OpenAPI document say the same thing. Both ways: every documented
//! operation is in the client's table and every table entry is documented, with the same
//! request and answer schemas, query parameters and `Idempotency-Key`; and every body type the
//! client defines itself has the properties (and required ones) of the component it stands for.
//! The last tests break the document on purpose to show that each check can fail.

use std::collections::{BTreeMap, BTreeSet};

use portico_client::operations::{self, Operation};
use portico_client::*;
use portico_testkit::{Backend, Fixture};
use serde_json::Value;
use utoipa::PartialSchema;

use crate::support::App;

/// Fields the client knows before the server documents them (the server is gaining them).
/// Once the server documents one, the check fails until its entry here is removed; the client's
/// schema already requires what the server will require.
const AHEAD_OF_SERVER: &[(&str, &str)] = &[];

/// Operations of this tag are the portal's read API: they take a portal token or the portal's
/// cookie, never a vendor credential, so the vendor client leaves them out.
const NOT_FOR_VENDORS: &str = "portal";

/// What the document says of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Documented {
    request: Option<String>,
    answer: Option<String>,
    query: BTreeSet<String>,
    idempotency_key: bool,
}

type Key = (String, String);

fn key(op: &Operation) -> Key {
    (op.method.as_str().to_owned(), op.path.to_owned())
}

/// The component a body schema names: `$ref`, or the one `$ref` of a `oneOf` with `null`.
fn schema_name(schema: &Value) -> Option<String> {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().map(str::to_owned);
    }
    let refs: Vec<String> = schema["oneOf"]
        .as_array()?
        .iter()
        .filter_map(schema_name)
        .collect();
    match refs.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

fn documented(doc: &Value) -> BTreeMap<Key, Documented> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tags = op["tags"].as_array().cloned().unwrap_or_default();
            if tags.iter().any(|t| t == NOT_FOR_VENDORS) {
                continue;
            }
            let request = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let answer = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .find(|(status, _)| status.starts_with('2'))
                .map(|(_, r)| r["content"]["application/json"]["schema"].clone())
                .unwrap_or(Value::Null);
            let parameters = op["parameters"].as_array().cloned().unwrap_or_default();
            let named = |place: &str| -> BTreeSet<String> {
                parameters
                    .iter()
                    .filter(|p| p["in"] == place)
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            };
            ops.insert(
                (method.to_ascii_uppercase(), path.clone()),
                Documented {
                    request: schema_name(&request),
                    answer: schema_name(&answer),
                    query: named("query"),
                    idempotency_key: named("header").contains("Idempotency-Key"),
                },
            );
        }
    }
    ops
}

/// The query parameters of each list operation, as the client's filters send them.
fn client_queries() -> BTreeMap<Key, BTreeSet<String>> {
    fn of<F: Filter>() -> (Key, BTreeSet<String>) {
        let mut names: BTreeSet<String> = F::PARAMETERS.iter().map(|p| (*p).to_owned()).collect();
        names.extend(["limit".to_owned(), "starting_after".to_owned()]);
        (key(&F::OPERATION), names)
    }
    [
        of::<CustomerFilter>(),
        of::<ContactFilter>(),
        of::<ProductFilter>(),
        of::<PlanFilter>(),
        of::<SubscriptionFilter>(),
        of::<InvoiceFilter>(),
        of::<TransactionFilter>(),
        of::<PaymentMethodFilter>(),
        of::<ApiKeyFilter>(),
        of::<OAuthClientFilter>(),
        of::<PortalSessionFilter>(),
        of::<WebhookEndpointFilter>(),
        of::<EventFilter>(),
        // An endpoint's deliveries page like a list without a filter.
        (
            key(&operations::WEBHOOK_DELIVERIES_LIST),
            ["limit", "starting_after"].map(str::to_owned).into(),
        ),
    ]
    .into_iter()
    .collect()
}

/// Every way the client's operations and the document's disagree.
fn operation_disagreements(doc: &Value) -> Vec<String> {
    let documented = documented(doc);
    let table: BTreeMap<Key, Operation> = operations::ALL.iter().map(|op| (key(op), *op)).collect();
    let queries = client_queries();
    let mut out = Vec::new();
    if table.len() != operations::ALL.len() {
        out.push("the client's table names an operation twice".to_owned());
    }
    for (k, d) in &documented {
        let Some(op) = table.get(k) else {
            out.push(format!(
                "{} {} is documented but the client lacks it",
                k.0, k.1
            ));
            continue;
        };
        if op.request != d.request.as_deref() {
            out.push(format!(
                "{op}: the client sends {:?}, the document takes {:?}",
                op.request, d.request
            ));
        }
        if op.answer != d.answer.as_deref() {
            out.push(format!(
                "{op}: the client reads {:?}, the document answers {:?}",
                op.answer, d.answer
            ));
        }
        if op.takes_idempotency_key() != d.idempotency_key {
            out.push(format!(
                "{op}: the client sends an Idempotency-Key: {}, the document takes one: {}",
                op.takes_idempotency_key(),
                d.idempotency_key
            ));
        }
        let sent = queries.get(k).cloned().unwrap_or_default();
        if sent != d.query {
            out.push(format!(
                "{op}: the client's query {sent:?}, the document's {:?}",
                d.query
            ));
        }
    }
    for (k, op) in &table {
        if !documented.contains_key(k) {
            out.push(format!("{op} is in the client but not documented"));
        }
    }
    for k in queries.keys() {
        if !table.contains_key(k) {
            out.push(format!(
                "a filter lists with {} {}, which the table lacks",
                k.0, k.1
            ));
        }
    }
    out
}

/// Property names and required names of an object schema, through `$ref` and `allOf`.
fn shape(schema: &Value, components: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    if let Some(name) = schema_name(schema).filter(|_| schema.get("$ref").is_some()) {
        return shape(&components[name.as_str()], components);
    }
    let mut properties: BTreeSet<String> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k.clone())
        .collect();
    let mut required: BTreeSet<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (p, r) = shape(part, components);
        properties.extend(p);
        required.extend(r);
    }
    (properties, required)
}

fn client_schema<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap()
}

/// The client's own body types, by the component name each stands for.
fn client_types() -> Vec<(&'static str, Value)> {
    vec![
        ("ErrorBody", client_schema::<ErrorBody>()),
        ("Health", client_schema::<Health>()),
        ("TokenRequest", client_schema::<TokenRequest>()),
        ("TokenResponse", client_schema::<TokenResponse>()),
        ("OAuthErrorBody", client_schema::<OAuthErrorBody>()),
        ("NewApiKey", client_schema::<NewApiKey>()),
        ("CreatedApiKey", client_schema::<CreatedApiKey>()),
        ("NewOAuthClient", client_schema::<NewOAuthClient>()),
        ("CreatedOAuthClient", client_schema::<CreatedOAuthClient>()),
        ("CancelSubscription", client_schema::<CancelSubscription>()),
        (
            "SubscriptionChangeRequest",
            client_schema::<SubscriptionChangeRequest>(),
        ),
        (
            "SubscriptionChanged",
            client_schema::<SubscriptionChanged>(),
        ),
        ("PauseSubscription", client_schema::<PauseSubscription>()),
        ("PayRequest", client_schema::<PayRequest>()),
        ("PaymentProvider", client_schema::<PaymentProvider>()),
        (
            "PaymentProviderSettings",
            client_schema::<PaymentProviderSettings>(),
        ),
        (
            "PortalSettingsPatch",
            client_schema::<PortalSettingsPatch>(),
        ),
        ("BrandingPatch", client_schema::<BrandingPatch>()),
        ("FeaturesPatch", client_schema::<FeaturesPatch>()),
        (
            "PortalSessionCreated",
            client_schema::<PortalSessionCreated>(),
        ),
        ("Revoked", client_schema::<Revoked>()),
        (
            "CustomerPortalTokenRequest",
            client_schema::<CustomerPortalTokenRequest>(),
        ),
        (
            "CustomerPortalTokenResponse",
            client_schema::<CustomerPortalTokenResponse>(),
        ),
        ("PortalAccess", client_schema::<PortalAccess>()),
        ("SignedLink", client_schema::<SignedLink>()),
        ("WebhookEndpoint", client_schema::<WebhookEndpoint>()),
        (
            "WebhookEndpointWithSecret",
            client_schema::<WebhookEndpointWithSecret>(),
        ),
        ("NewWebhookEndpoint", client_schema::<NewWebhookEndpoint>()),
        (
            "WebhookEndpointPatch",
            client_schema::<WebhookEndpointPatch>(),
        ),
        ("WebhookDelivery", client_schema::<WebhookDelivery>()),
        (
            "WebhookDeliveryStatus",
            client_schema::<WebhookDeliveryStatus>(),
        ),
        ("Event", client_schema::<Event>()),
        ("EventActor", client_schema::<EventActor>()),
        ("EventRequest", client_schema::<EventRequest>()),
    ]
}

/// Every way the client's body types and the document's components disagree.
fn schema_disagreements(doc: &Value) -> Vec<String> {
    schema_disagreements_with(doc, AHEAD_OF_SERVER)
}

fn schema_disagreements_with(doc: &Value, ahead: &[(&str, &str)]) -> Vec<String> {
    let components = &doc["components"]["schemas"];
    let mut out = Vec::new();
    for (name, schema) in client_types() {
        if components.get(name).is_none() {
            out.push(format!("{name} is not a component of the document"));
            continue;
        }
        let (server_props, server_required) = shape(&components[name], components);
        let (mut client_props, mut client_required) = shape(&schema, components);
        for (ahead_type, field) in ahead.iter().filter(|(t, _)| *t == name) {
            if server_props.contains(*field) {
                out.push(format!(
                    "the server now documents {ahead_type}.{field}: remove it from AHEAD_OF_SERVER \
                     (and make it required in the client if the server requires it)"
                ));
            } else {
                client_props.remove(*field);
                client_required.remove(*field);
            }
        }
        if client_props != server_props {
            out.push(format!(
                "{name}: the client has {client_props:?}, the document {server_props:?}"
            ));
        }
        if client_required != server_required {
            out.push(format!(
                "{name}: the client requires {client_required:?}, the document {server_required:?}"
            ));
        }
    }
    // The client must know every error code the server may send.
    let client_codes = client_schema::<ErrorCode>()["enum"].clone();
    for code in components["ErrorCode"]["enum"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if !client_codes.as_array().is_some_and(|c| c.contains(code)) {
            out.push(format!("the client does not know the error code {code}"));
        }
    }
    out
}

async fn live_document() -> Value {
    let app = App::start(Backend::Sqlite).await;
    app.client().openapi_document().await.unwrap()
}

#[tokio::test]
async fn operations_agree_with_the_document() {
    let doc = live_document().await;
    assert_eq!(operation_disagreements(&doc), Vec::<String>::new());
}

#[tokio::test]
async fn body_types_agree_with_the_document() {
    let doc = live_document().await;
    assert_eq!(schema_disagreements(&doc), Vec::<String>::new());
}

#[tokio::test]
async fn a_missing_or_extra_operation_is_found_and_portal_ones_are_left_out() {
    let mut doc = live_document().await;
    let paths = doc["paths"].as_object_mut().unwrap();
    paths.remove("/api/v1/shareabletokens/{enduserId}");
    paths.insert(
        "/api/v1/refunds".into(),
        serde_json::json!({"get": {"responses": {}}}),
    );
    let portal_only = serde_json::json!({"get": {"tags": ["portal"], "responses": {}}});
    paths.insert("/portal/api/v1/summary".into(), portal_only);
    let found = operation_disagreements(&doc);
    assert_eq!(
        found,
        [
            "GET /api/v1/refunds is documented but the client lacks it",
            "GET /api/v1/shareabletokens/{enduserId} is in the client but not documented",
        ]
    );
}

/// What `change` makes the checks report beyond what they report of the live document.
fn reported_after(doc: &Value, change: impl FnOnce(&mut Value)) -> (Vec<String>, Vec<String>) {
    let mut changed = doc.clone();
    change(&mut changed);
    let (operations, schemas) = (operation_disagreements(doc), schema_disagreements(doc));
    (
        operation_disagreements(&changed)
            .into_iter()
            .filter(|m| !operations.contains(m))
            .collect(),
        schema_disagreements(&changed)
            .into_iter()
            .filter(|m| !schemas.contains(m))
            .collect(),
    )
}

#[tokio::test]
async fn a_changed_answer_query_or_field_is_found() {
    let doc = live_document().await;
    let (operations, schemas) = reported_after(&doc, |doc| {
        let op = &mut doc["paths"]["/api/v1/plans"]["get"];
        op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] =
            "#/components/schemas/List_Product".into();
        op["parameters"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "active", "in": "query"}));
        let access = &mut doc["components"]["schemas"]["PortalAccess"];
        let properties = access["properties"].as_object_mut().unwrap();
        let reason = properties.remove("reason").unwrap();
        properties.insert("why".into(), reason);
        doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array_mut()
            .unwrap()
            .push("PAYMENT_REQUIRED".into());
    });
    assert_eq!(operations.len(), 2, "{operations:#?}");
    assert!(operations[0].contains("List_Product"), "{operations:#?}");
    assert!(operations[1].contains("\"active\""), "{operations:#?}");
    assert_eq!(schemas.len(), 2, "{schemas:#?}");
    assert!(
        schemas[0].starts_with("PortalAccess") && schemas[0].contains("\"why\""),
        "{schemas:#?}"
    );
    assert!(schemas[1].contains("PAYMENT_REQUIRED"), "{schemas:#?}");
}

#[tokio::test]
async fn a_field_ahead_of_the_server_is_tolerated_only_while_the_server_lacks_it() {
    let doc = live_document().await;
    let ahead = [AHEAD_OF_SERVER, &[("PortalAccess", "reason")]].concat();
    let baseline = schema_disagreements(&doc);
    let mut reported = schema_disagreements_with(&doc, &ahead);
    reported.retain(|m| !baseline.contains(m));
    assert_eq!(reported.len(), 1, "{reported:#?}");
    assert!(reported[0].starts_with("the server now documents PortalAccess.reason"));

    let mut lacking = doc.clone();
    let access = &mut lacking["components"]["schemas"]["PortalAccess"];
    access["properties"]
        .as_object_mut()
        .unwrap()
        .remove("reason");
    assert_eq!(schema_disagreements_with(&lacking, &ahead), baseline);
}
