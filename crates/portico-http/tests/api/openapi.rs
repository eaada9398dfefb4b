//! The OpenAPI document against the live router: the same routes both ways, and each documented
//! operation answers with a status the document lists.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, documented_operations, fill};

/// The routes the issue asks for; the document must hold exactly these.
const EXPECTED: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/customers"),
    ("GET", "/api/v1/customers"),
    ("GET", "/api/v1/customers/{id_or_alias}"),
    ("PATCH", "/api/v1/customers/{id_or_alias}"),
    ("DELETE", "/api/v1/customers/{id_or_alias}"),
    ("POST", "/api/v1/contacts"),
    ("GET", "/api/v1/contacts"),
    ("GET", "/api/v1/contacts/{id}"),
    ("PATCH", "/api/v1/contacts/{id}"),
    ("DELETE", "/api/v1/contacts/{id}"),
    ("POST", "/api/v1/products"),
    ("GET", "/api/v1/products"),
    ("GET", "/api/v1/products/{id}"),
    ("PATCH", "/api/v1/products/{id}"),
    ("DELETE", "/api/v1/products/{id}"),
    ("POST", "/api/v1/plans"),
    ("GET", "/api/v1/plans"),
    ("GET", "/api/v1/plans/{id}"),
    ("PATCH", "/api/v1/plans/{id}"),
    ("DELETE", "/api/v1/plans/{id}"),
    ("POST", "/api/v1/subscriptions"),
    ("GET", "/api/v1/subscriptions"),
    ("GET", "/api/v1/subscriptions/{id}"),
    ("PATCH", "/api/v1/subscriptions/{id}"),
    ("DELETE", "/api/v1/subscriptions/{id}"),
    ("POST", "/api/v1/subscriptions/{id}/preview-change"),
    ("POST", "/api/v1/subscriptions/{id}/change"),
    ("POST", "/api/v1/subscriptions/{id}/cancel"),
    ("POST", "/api/v1/subscriptions/{id}/resume"),
    ("POST", "/api/v1/subscriptions/{id}/pause"),
    ("POST", "/api/v1/subscriptions/{id}/unpause"),
    ("POST", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices"),
    ("GET", "/api/v1/invoices/{id}"),
    ("PATCH", "/api/v1/invoices/{id}"),
    ("DELETE", "/api/v1/invoices/{id}"),
    ("POST", "/api/v1/invoices/{id}/pay"),
    ("POST", "/api/v1/transactions"),
    ("POST", "/api/v1/transactions/{id}/refund"),
    ("GET", "/api/v1/transactions"),
    ("GET", "/api/v1/transactions/{id}"),
    ("PATCH", "/api/v1/transactions/{id}"),
    ("DELETE", "/api/v1/transactions/{id}"),
    ("POST", "/api/v1/payment-methods"),
    ("GET", "/api/v1/payment-methods"),
    ("GET", "/api/v1/payment-methods/{id}"),
    ("PATCH", "/api/v1/payment-methods/{id}"),
    ("DELETE", "/api/v1/payment-methods/{id}"),
    ("GET", "/api/v1/api-keys"),
    ("POST", "/api/v1/api-keys"),
    ("DELETE", "/api/v1/api-keys/{id}"),
    ("GET", "/api/v1/oauth-clients"),
    ("POST", "/api/v1/oauth-clients"),
    ("DELETE", "/api/v1/oauth-clients/{id}"),
    ("POST", "/oauth/token"),
    ("GET", "/api/v1/portal-settings"),
    ("PATCH", "/api/v1/portal-settings"),
    ("GET", "/api/v1/invoice-settings"),
    ("PATCH", "/api/v1/invoice-settings"),
    ("PUT", "/api/v1/invoice-settings/logo"),
    ("GET", "/api/v1/invoice-settings/logo"),
    ("DELETE", "/api/v1/invoice-settings/logo"),
    ("GET", "/api/v1/payment-provider"),
    ("PUT", "/api/v1/payment-provider"),
    ("POST", "/api/v1/portal-sessions"),
    ("GET", "/api/v1/portal-sessions"),
    ("GET", "/api/v1/portal-sessions/{id}"),
    ("DELETE", "/api/v1/portal-sessions/{id}"),
    ("DELETE", "/api/v1/customers/{id_or_alias}/portal-sessions"),
    ("POST", "/api/v1/customers/{id_or_alias}/portal-token"),
    ("GET", "/api/v1/shareabletokens/access/{enduserId}"),
    ("GET", "/api/v1/shareabletokens/{enduserId}"),
    ("GET", "/portal/api/v1/summary"),
    ("OPTIONS", "/portal/api/v1/summary"),
    ("POST", "/api/v1/webhook-endpoints"),
    ("GET", "/api/v1/webhook-endpoints"),
    ("GET", "/api/v1/webhook-endpoints/{id}"),
    ("PATCH", "/api/v1/webhook-endpoints/{id}"),
    ("DELETE", "/api/v1/webhook-endpoints/{id}"),
    ("POST", "/api/v1/webhook-endpoints/{id}/rotate-secret"),
    ("GET", "/api/v1/webhook-endpoints/{id}/deliveries"),
    ("POST", "/api/v1/webhook-deliveries/{id}/redeliver"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/events/{id}"),
    ("POST", "/api/v1/test-clocks"),
    ("GET", "/api/v1/test-clocks"),
    ("GET", "/api/v1/test-clocks/{id}"),
    ("DELETE", "/api/v1/test-clocks/{id}"),
    ("POST", "/api/v1/test-clocks/{id}/customers"),
    ("POST", "/api/v1/test-clocks/{id}/advance"),
];

portico_testkit::backend_tests! {
    async fn registered_routes_and_the_document_agree(app: TestApp) {
        let documented: BTreeSet<(String, String)> = documented_operations(&app)
            .await
            .into_iter()
            .map(|(m, p)| (m.to_string(), p))
            .collect();
        let registered: BTreeSet<(String, String)> = portico_http::route_table()
            .into_iter()
            .map(|r| (r.method, r.path))
            .collect();
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        let unregistered: Vec<_> = documented.difference(&registered).collect();
        assert!(undocumented.is_empty(), "registered but not documented: {undocumented:?}");
        assert!(unregistered.is_empty(), "documented but not registered: {unregistered:?}");
        let expected: BTreeSet<(String, String)> = EXPECTED
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(documented, expected);
    }

    async fn shared_answers_document_their_status_and_headers(app: TestApp) {
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        let responses = &doc.expect(200).json["components"]["responses"];
        assert!(responses["Error401"]["headers"]["WWW-Authenticate"].is_object(), "{responses}");
        assert!(responses["Error429"]["headers"]["Retry-After"].is_object(), "{responses}");
        // A replay answers the token as null (it is never stored): the schemas allow it.
        let schemas = &doc.json["components"]["schemas"];
        for schema in ["PortalSessionCreated", "CustomerPortalTokenResponse"] {
            let token = &schemas[schema]["properties"]["token"];
            assert!(token["type"].as_array().is_some_and(|t| t.contains(&json!("null"))), "{schema}: {token}");
            assert!(schemas[schema]["required"].as_array().unwrap().contains(&json!("token")), "{schema}");
        }
        for (method, path) in documented_operations(&app).await {
            if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
                continue;
            }
            let op = &doc.json["paths"][&path][method.as_str().to_ascii_lowercase()];
            // A page cursor is an id of the listed kind, with the pattern the server checks.
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["name"] == "starting_after" {
                    let target = param["schema"]["$ref"].as_str().unwrap_or_default();
                    let name = target.rsplit('/').next().unwrap_or_default();
                    assert!(schemas[name]["pattern"].is_string(), "{method} {path}: {param}");
                }
            }
            for status in ["429", "503"] {
                assert!(op["responses"][status].is_object(), "{method} {path} lacks {status}");
            }
            // A customer filter or body field naming nobody: the answer is documented.
            let filters = op["parameters"].as_array().into_iter().flatten().any(|p| p["name"] == "customer");
            if filters || (method == Method::POST && path == "/api/v1/portal-sessions") {
                let r = if filters {
                    app.get(&app.a.key, &format!("{path}?customer=nobody")).await
                } else {
                    app.post(&app.a.key, &path, json!({"customer": "nobody"})).await
                };
                let status = r.status.to_string();
                assert!(op["responses"][&status].is_object(), "{method} {path} answered {status}: {}", r.text);
            }
            if method == Method::POST {
                let created = op["responses"].as_object().unwrap().iter().find(|(s, _)| s.starts_with('2'));
                let (status, created) = created.unwrap_or_else(|| panic!("{method} {path}: no 2xx"));
                assert!(created["headers"]["Idempotent-Replayed"].is_object(), "{method} {path} {status}");
            }
        }
    }

    async fn request_bounds_in_the_document_are_the_servers(app: TestApp) {
        let k = &app.a.key;
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        let schemas = doc.expect(200).json["components"]["schemas"].clone();
        let seed = app.seed(k, "bounds").await;
        let plan = json!({"product": seed.product, "name": "P", "interval": "month", "unit_amount": 1, "currency": "EUR"});
        let line = json!({"description": "L", "quantity": 1, "unit_amount": 1});
        let cases = [
            ("/api/v1/plans", "NewPlan", "unit_amount", plan.clone()),
            ("/api/v1/plans", "NewPlan", "trial_days", plan.clone()),
            ("/api/v1/plans", "NewPlan", "interval_count", plan),
            ("/api/v1/subscriptions", "NewSubscription", "quantity", json!({"customer": seed.customer, "plan": seed.plan})),
            ("/api/v1/invoices", "NewInvoice", "tax_rate_bps", json!({"customer": seed.customer, "lines": [line]})),
            ("/api/v1/transactions", "NewTransaction", "amount", json!({"customer": seed.customer, "kind": "credit"})),
        ];
        for (path, schema, field, base) in cases {
            let property = &schemas[schema]["properties"][field];
            for (bound, step) in [("minimum", -1), ("maximum", 1)] {
                let at = property[bound].as_i64().unwrap_or_else(|| panic!("{schema}.{field} has no {bound}"));
                let mut body = base.clone();
                body[field] = json!(at);
                app.post(k, path, body.clone()).await.expect(201);
                body[field] = json!(at + step);
                app.post(k, path, body).await.expect_error(400, "BAD_REQUEST", field);
            }
        }
        // Lengths and counts.
        let max = schemas["NewCustomer"]["properties"]["name"]["maxLength"].as_u64().unwrap() as usize;
        let customer = |name: String| json!({"name": name, "currency": "EUR"});
        app.post(k, "/api/v1/customers", customer("n".repeat(max))).await.expect(201);
        app.post(k, "/api/v1/customers", customer("n".repeat(max + 1))).await.expect_error(400, "BAD_REQUEST", "name");
        let max = schemas["NewInvoice"]["properties"]["lines"]["maxItems"].as_u64().unwrap() as usize;
        let lines = |n: usize| json!({"customer": seed.customer, "lines": vec![line.clone(); n]});
        app.post(k, "/api/v1/invoices", lines(max)).await.expect(201);
        app.post(k, "/api/v1/invoices", lines(max + 1)).await.expect_error(400, "BAD_REQUEST", "lines");
        // Locales: the pattern admits exactly the ones the server takes.
        let pattern = schemas["PortalSettingsPatch"]["properties"]["default_locale"]["pattern"].as_str().unwrap();
        assert_eq!(schemas["NewPortalSession"]["properties"]["locale"]["pattern"], pattern);
        for locale in ["en", "de", "fr", "es", "it"] {
            let r = app.patch(k, "/api/v1/portal-settings", json!({"default_locale": locale})).await;
            let admitted = pattern.trim_start_matches("^(").trim_end_matches(")$").split('|').any(|l| l == locale);
            assert_eq!(r.status == 200, admitted, "{locale}: {}", r.text);
        }
        let codes = schemas["Currency"]["enum"].as_array().unwrap();
        assert!(codes.contains(&json!("EUR")) && codes.contains(&json!("JPY")), "{codes:?}");
    }

    async fn every_documented_operation_is_served_as_documented(app: TestApp) {
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        doc.expect(200);
        assert!(doc.json["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc.json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        let seed = app.seed(&app.a.key, "doc").await;
        let mut ops = documented_operations(&app).await;
        ops.sort_by_key(|(m, _)| *m == Method::DELETE);
        let paths: BTreeSet<String> = ops.iter().map(|(_, p)| p.clone()).collect();
        // The portal read API takes a portal token, not an API key.
        let (_, portal_token) = app.issue(&app.a.key, &seed.customer).await;
        for (method, path) in &ops {
            let url = fill(path, seed.id_for_path(path));
            let body = matches!(*method, Method::POST | Method::PATCH).then(|| json!({}));
            let credential = if path.starts_with("/portal/") { &portal_token } else { &app.a.key };
            let r = app.call(method.clone(), &url, credential, body.as_ref()).await;
            let no_route = r.status == 404 && r.text.contains("no route");
            assert!(!no_route && r.status != 405, "{method} {path} is documented but not served: {}", r.text);
            let op = &doc.json["paths"][path][method.as_str().to_ascii_lowercase()];
            let listed = op["responses"].get(r.status.to_string()).is_some();
            assert!(listed, "{method} {path} answered {}, which its document does not list: {}", r.status, r.text);
            if *method == Method::GET && r.status != 200 {
                panic!("GET {url} answered {}: {}", r.status, r.text);
            }
        }
        // No method is served on a documented path beyond the documented ones.
        for path in &paths {
            let url = fill(path, seed.id_for_path(path));
            for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
                if ops.iter().any(|(m, p)| m == method && p == path) {
                    continue;
                }
                let r = app.call(method.clone(), &url, &app.a.key, None).await;
                r.expect_error(405, "BAD_REQUEST", method.as_str());
            }
        }
    }
}
