//! The error model over HTTP: field-named 400s, body limits, malformed input (SECURITY.md line
//! 39: arrays are not objects, no message names a Rust type), bad ids, unknown routes and
//! methods, and the headers every answer carries.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, documented_operations, fill, raw_execute};

portico_testkit::backend_tests! {
    async fn validation_errors_name_the_field(app: TestApp) {
        let k = &app.a.key;
        let cases = [
            (json!({"name": "A", "currency": "EUR", "email": "not-an-email"}), "email"),
            (json!({"name": "A", "currency": "EURO"}), "currency"),
            (json!({"name": 42, "currency": "EUR"}), "name: invalid type"),
            (json!({"name": "A", "currency": "EUR", "nmae": "x"}), "nmae"),
            (json!({"currency": "EUR"}), "name"),
            (json!({"name": "   ", "currency": "EUR"}), "name"),
            (json!({"name": "A", "currency": "EUR", "alias": "a b"}), "alias"),
            (json!({"name": "A", "currency": "EUR", "address": {"country": "Germany"}}), "address.country"),
            (json!({"name": "A", "currency": "EUR", "address": {"zip": "1"}}), "zip"),
            (json!({"name": "A", "currency": "EUR", "portal_enabled": "yes"}), "portal_enabled"),
            // Invoice spoofing: text that reads other than it is stored.
            (json!({"name": "Acme \u{202E}gnp.exe", "currency": "EUR"}), "name: must not contain bidirectional"),
            (json!({"name": "A", "currency": "EUR", "address": {"line1": "Main\u{200B}Street"}}), "address.line1: must not contain"),
            (json!(null), "invalid type: null"),
            (json!([]), "invalid type: sequence, expected an object"),
        ];
        for (body, needle) in cases {
            app.post(k, "/api/v1/customers", body.clone())
                .await
                .expect_error(400, "BAD_REQUEST", needle);
        }
        let product = app.post(k, "/api/v1/products", json!({"name": "P"})).await.expect(201).id();
        app.post(k, "/api/v1/plans", json!({
            "product": product, "name": "W", "interval": "weekly", "unit_amount": 1, "currency": "EUR",
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "interval: unknown variant `weekly`");
        app.post(k, "/api/v1/plans", json!({
            "product": "prod_nope", "name": "W", "interval": "month", "unit_amount": 1, "currency": "EUR",
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "product");
        app.post(k, "/api/v1/invoices", json!({"customer": "x", "lines": [{"description": "a", "unit_amount": "12"}]}))
            .await
            .expect_error(400, "BAD_REQUEST", "lines[0].unit_amount: invalid type");
        app.post(k, "/api/v1/plans", json!({
            "product": product, "name": "W", "interval": "month", "unit_amount": 1e99, "currency": "EUR",
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "unit_amount");
        assert!(app.get(k, "/api/v1/customers").await.list_ids().is_empty(), "nothing was created");
    }

    async fn a_billing_period_that_cannot_end_is_400(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "far").await;
        let yearly = app
            .post(k, "/api/v1/plans", json!({
                "product": seed.product, "name": "Three years", "interval": "year", "interval_count": 3,
                "unit_amount": 1, "currency": "EUR",
            }))
            .await
            .expect(201)
            .id();
        for (plan, start) in [(&seed.plan, "9999-12-15T00:00:00Z"), (&yearly, "9998-01-01T00:00:00Z")] {
            app.post(k, "/api/v1/subscriptions", json!({"customer": seed.customer, "plan": plan, "current_period_start": start}))
                .await
                .expect_error(400, "BAD_REQUEST", "current_period_start");
        }
        let ok = app
            .post(k, "/api/v1/subscriptions", json!({"customer": seed.customer, "plan": yearly, "current_period_start": "9996-01-01T00:00:00Z"}))
            .await;
        ok.expect(201);
        assert_eq!(ok.json["current_period_end"], "9999-01-01T00:00:00Z");
    }

    async fn sec28_malformed_bodies_are_4xx_never_5xx(app: TestApp) {
        let k = &app.a.key;
        let raw = |ct: Option<&str>, body: Vec<u8>| {
            let mut r = app.request(Method::POST, "/api/v1/customers", k).body(body);
            if let Some(ct) = ct {
                r = r.header("content-type", ct);
            }
            r
        };
        let valid = br#"{"name": "A", "currency": "EUR"}"#.to_vec();
        app.send(raw(None, valid.clone())).await.expect_error(400, "BAD_REQUEST", "Content-Type");
        app.send(raw(Some("text/plain"), valid.clone())).await.expect_error(400, "BAD_REQUEST", "Content-Type");
        app.send(raw(Some("application/json; charset=utf-8"), valid.clone())).await.expect(201);
        app.send(raw(Some("application/json"), b"{\"name\": \"A\xff\xfe\", \"currency\": \"EUR\"}".to_vec()))
            .await
            .expect_error(400, "BAD_REQUEST", "");
        app.send(raw(Some("application/json"), b"\xc3\x28".to_vec()))
            .await
            .expect_error(400, "BAD_REQUEST", "invalid JSON");
        app.send(raw(Some("application/json"), b"{\"name\": ".to_vec()))
            .await
            .expect_error(400, "BAD_REQUEST", "invalid JSON");
        app.send(raw(Some("application/json"), b"".to_vec()))
            .await
            .expect_error(400, "BAD_REQUEST", "invalid JSON");
        let deep = format!("{{\"name\": \"A\", \"currency\": \"EUR\", \"metadata\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        app.send(raw(Some("application/json"), deep.into_bytes()))
            .await
            .expect_error(400, "BAD_REQUEST", "");
        let deep_objects = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        app.patch(k, "/api/v1/portal-settings", serde_json::Value::Null).await.expect(400);
        app.send(
            app.request(Method::PATCH, "/api/v1/portal-settings", k)
                .header("content-type", "application/json")
                .body(deep_objects),
        )
        .await
        .expect_error(400, "BAD_REQUEST", "");
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 1);
    }

    async fn sec39_arrays_are_not_objects_anywhere(app: TestApp) {
        let k = &app.a.key;
        let before = app.get(k, "/api/v1/portal-settings").await;
        before.expect(200);
        let r = app.patch(k, "/api/v1/portal-settings", json!({"branding": ["Evil Corp", "https://evil.example/logo.png"]})).await;
        r.expect_error(400, "BAD_REQUEST", "branding: invalid type: sequence, expected an object");
        let after = app.get(k, "/api/v1/portal-settings").await;
        assert_eq!(after.json["branding"], before.json["branding"], "the branding is unchanged");

        let r = app.post(k, "/api/v1/products", json!(["x", null, true, true])).await;
        r.expect_error(400, "BAD_REQUEST", "invalid type: sequence, expected an object");
        assert_eq!(app.get(k, "/api/v1/products").await.list_ids().len(), 0, "no product was made");
        // Nested in a list of objects, the path names the item.
        let customer = app.post(k, "/api/v1/customers", json!({"name": "A", "currency": "EUR"})).await.expect(201).id();
        let r = app.post(k, "/api/v1/invoices", json!({"customer": customer, "lines": [["Pro", 1, 2900]]})).await;
        r.expect_error(400, "BAD_REQUEST", "lines[0]: invalid type: sequence, expected an object");
    }

    async fn names_and_addresses_refuse_bidi_controls_and_invisible_characters(app: TestApp) {
        let k = &app.a.key;
        // "Acme" + RIGHT-TO-LEFT OVERRIDE renders the rest backwards: a name that reads as another.
        let spoof = "Acme \u{202E}GmbH";
        app.post(k, "/api/v1/customers", json!({"name": spoof, "currency": "EUR"})).await
            .expect_error(400, "BAD_REQUEST", "name: must not contain bidirectional controls");
        app.post(k, "/api/v1/customers", json!({"name": "Acme", "currency": "EUR", "address": {"line1": "Main\u{200B}street 1"}})).await
            .expect_error(400, "BAD_REQUEST", "address.line1");
        app.post(k, "/api/v1/products", json!({"name": "\u{2067}Pro"})).await
            .expect_error(400, "BAD_REQUEST", "name");
        assert!(app.get(k, "/api/v1/customers").await.list_ids().is_empty(), "nothing was made");
        // Joiners that scripts need are names like any other.
        let persian = "\u{0645}\u{06CC}\u{200C}\u{0634}\u{0648}\u{062F}";
        let r = app.post(k, "/api/v1/customers", json!({"name": persian, "currency": "EUR"})).await;
        r.expect(201);
        assert_eq!(r.json["name"], persian);
    }

    async fn sec39_no_error_message_names_an_internal_type(app: TestApp) {
        let k = &app.a.key;
        for (path, body) in [
            ("/api/v1/products", json!("Portico Pro")),
            ("/api/v1/products", json!(42)),
            ("/api/v1/customers", json!(true)),
            ("/api/v1/plans", json!({"product": "prod_x", "name": "P", "interval": 5, "unit_amount": 1, "currency": "EUR"})),
            ("/api/v1/portal-settings", json!({"branding": "Evil Corp"})),
        ] {
            let method = if path.ends_with("settings") { Method::PATCH } else { Method::POST };
            let r = app.call(method, path, k, Some(&body)).await;
            r.expect(400);
            let message = r.json["message"].as_str().unwrap_or_default();
            for word in ["struct", "enum ", "New", "Patch"] {
                assert!(!message.contains(word), "{path} {body}: {message}");
            }
        }
    }

    async fn sec28_oversized_bodies_are_413_everywhere(app: TestApp) {
        let k = &app.a.key;
        let big = format!("{{\"name\": \"{}\", \"currency\": \"EUR\"}}", "a".repeat(1024 * 1024));
        let customer = app.post(k, "/api/v1/customers", json!({"name": "A", "currency": "EUR"})).await.expect(201).id();
        // A declared length over the limit is refused before the body is read. The body is not
        // sent: a server that answers early and closes would otherwise reset the connection
        // under a client still writing, and the test would depend on that race.
        for (method, path, idempotent) in [
            ("POST", "/api/v1/customers".to_owned(), false),
            ("POST", "/api/v1/customers".to_owned(), true),
            ("PATCH", format!("/api/v1/customers/{customer}"), false),
            ("GET", "/api/v1/customers".to_owned(), false),
            ("DELETE", format!("/api/v1/customers/{customer}"), false),
            ("GET", "/healthz".to_owned(), false),
        ] {
            let extra = if idempotent { "Idempotency-Key: big-1\r\n" } else { "" };
            let head = format!(
                "{method} {path} HTTP/1.1\r\nAuthorization: Bearer {k}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n{extra}Connection: close\r\n",
                big.len()
            );
            let (status, body) = raw_exchange(&app, &head, &[]).await;
            assert_eq!(status, 413, "{method} {path}: {body}");
            assert!(body.contains("BAD_REQUEST") && body.contains("1 MiB"), "{method} {path}: {body}");
        }
        // Without a declared length (chunked), the limit holds once the body crosses it: the
        // client sends exactly one byte more than the limit, then waits for the answer.
        let over = vec![b'a'; portico_http::BODY_LIMIT + 1];
        for path in ["/api/v1/customers", "/oauth/token"] {
            let (status, body) = post_chunked(&app, path, k, &over).await;
            assert_eq!(status, 413, "{path}: {body}");
            assert!(body.contains("BAD_REQUEST") && body.contains("1 MiB"), "{path}: {body}");
        }
        let small = br#"{"name": "Chunked", "currency": "EUR"}"#;
        assert_eq!(post_chunked(&app, "/api/v1/customers", k, small).await.0, 201);
        // Just under the limit is accepted by the limit (and then judged on its merits).
        let fits = format!("{{\"name\": \"A\", \"currency\": \"EUR\", \"tax_id\": \"{}\"}}", "a".repeat(1000 * 1000));
        app.send(
            app.request(Method::POST, "/api/v1/customers", k)
                .header("content-type", "application/json")
                .body(fits),
        )
        .await
        .expect_error(400, "BAD_REQUEST", "tax_id");
        app.get(k, &format!("/api/v1/customers/{customer}")).await.expect(200);
    }

    async fn ids_that_do_not_parse_are_404_on_every_route(app: TestApp) {
        let k = &app.a.key;
        for (method, path) in documented_operations(&app).await {
            if !path.contains('{') {
                continue;
            }
            for bad in ["nope", "cus_01jd0v4m3g6k2x8r9t7w5y1q3z", "inv_01jd0v4m3g6k2x8r9t7w5y1q3z", "..%2Fx", "%27%20OR%201%3D1--"] {
                // Customers and contacts also accept the vendor's own id, which is 404 all the same.
                let bad = if bad.starts_with("cus_") && path.starts_with("/api/v1/customers") { "cus_01jd0v4m3g6k2x8r9t7w5y1q3a" } else { bad };
                let mut req = app.request(method.clone(), &fill(&path, bad), k);
                if method == Method::PATCH {
                    req = req.json(&json!({}));
                }
                app.send(req).await.expect_error(404, "NOT_FOUND", "no such");
            }
        }
    }

    async fn sec26_database_failures_are_generic_500s_and_release_idempotency_keys(app: TestApp) {
        let k = &app.a.key;
        let body = json!({"name": "Before", "currency": "EUR"});
        app.post(k, "/api/v1/customers", body.clone()).await.expect(201);
        raw_execute(&app, "ALTER TABLE customers RENAME TO customers_gone").await;

        let r = app.get(k, "/api/v1/customers").await;
        r.expect_error(500, "INTERNAL_SERVER_ERROR", "");
        assert_eq!(r.json["message"], "internal error", "nothing internal in the body");
        assert!(r.header("x-request-id").is_some());
        for leak in ["customers", "SQL", "sql", "table", "relation"] {
            assert!(!r.text.contains(leak), "500 body leaks {leak:?}: {}", r.text);
        }
        let idem = |b: &serde_json::Value| {
            app.request(Method::POST, "/api/v1/customers", k)
                .header("idempotency-key", "during-outage")
                .json(b)
        };
        for _ in 0..2 {
            let r = app.send(idem(&body)).await;
            r.expect_error(500, "INTERNAL_SERVER_ERROR", "internal error");
            assert_eq!(r.header("idempotent-replayed"), None, "a 5xx is never replayed");
        }

        raw_execute(&app, "ALTER TABLE customers_gone RENAME TO customers").await;
        let r = app.send(idem(&body)).await;
        r.expect(201);
        assert_eq!(r.header("idempotent-replayed"), None, "the failed attempt left the key free");
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 2);
    }

    async fn unknown_routes_and_methods_answer_json(app: TestApp) {
        let k = &app.a.key;
        let r = app.get(k, "/api/v1/nothing-here").await;
        r.expect_error(404, "NOT_FOUND", "no route");
        assert!(r.header("content-type").unwrap().starts_with("application/json"));
        app.send(app.client.get(app.url("/nowhere"))).await.expect_error(404, "NOT_FOUND", "no route");
        let r = app.call(Method::PUT, "/api/v1/customers", k, Some(&json!({}))).await;
        r.expect_error(405, "BAD_REQUEST", "PUT");
        app.call(Method::POST, "/healthz", k, None).await.expect(405);
        app.call(Method::DELETE, "/api/v1/portal-settings", k, None).await.expect(405);
    }

    async fn every_answer_carries_security_headers_and_a_request_id(app: TestApp) {
        let k = &app.a.key;
        let answers = [
            app.get(k, "/api/v1/customers").await,
            app.get(k, "/api/v1/customers/nope").await,
            app.get("portico_sk_bad", "/api/v1/customers").await,
            app.send(app.client.get(app.url("/healthz"))).await,
            app.send(app.client.get(app.url("/api/v1/openapi.json"))).await,
            app.get(k, "/missing").await,
        ];
        let mut ids = Vec::new();
        for r in &answers {
            assert_eq!(r.header("content-security-policy"), Some("frame-ancestors 'none'"), "{}", r.path);
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
            assert_eq!(r.header("cache-control"), Some("no-store"));
            let id = r.header("x-request-id").expect("x-request-id").to_owned();
            assert!(id.len() >= 16, "{id}");
            ids.push(id);
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), answers.len(), "each request gets its own id");

        let r = app.send(app.request(Method::GET, "/api/v1/customers", k).header("x-request-id", "trace-abc-123")).await;
        assert_eq!(r.header("x-request-id"), Some("trace-abc-123"));
        let r = app.send(app.request(Method::GET, "/api/v1/customers", k).header("x-request-id", "bad id\twith spaces")).await;
        assert_ne!(r.header("x-request-id"), Some("bad id\twith spaces"));
        let r = app.send(app.request(Method::GET, "/api/v1/customers", k).header("x-request-id", "x".repeat(500))).await;
        assert_eq!(r.header("x-request-id").unwrap().len(), 32, "an over-long id is replaced");
    }
}

/// Sends `body` with `Transfer-Encoding: chunked` (no declared length) over a raw socket and
/// returns the answer's status and body.
async fn post_chunked(app: &TestApp, path: &str, key: &str, body: &[u8]) -> (u16, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    );
    let mut out = Vec::new();
    for chunk in body.chunks(64 * 1024) {
        out.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        out.extend(chunk);
        out.extend(b"\r\n");
    }
    // The terminating chunk only for bodies within the limit: past it the server stops reading,
    // and bytes it never reads would reset the connection before its answer arrives.
    if body.len() <= portico_http::BODY_LIMIT {
        out.extend(b"0\r\n\r\n");
    }
    raw_exchange(app, &head, &out).await
}

/// Sends `head` (request line and headers, without the blank line) and `body` over a fresh
/// connection and returns the answer's status and body.
async fn raw_exchange(app: &TestApp, head: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut out = format!("{head}Host: {addr}\r\n\r\n").into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
