//! `Idempotency-Key` on POSTs: replays, conflicts, per-account and per-credential keys, bad
//! keys, and SECURITY.md line 38.

use portico_core::scope::{ApiScope, ApiScopes};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, key_with};

async fn post_with_key(app: &TestApp, key: &str, path: &str, idem: &str, body: &Value) -> Resp {
    app.send(
        app.request(Method::POST, path, key)
            .header("idempotency-key", idem)
            .json(body),
    )
    .await
}

portico_testkit::backend_tests! {
    async fn a_replay_returns_the_first_answer_and_creates_nothing(app: TestApp) {
        let k = &app.a.key;
        let body = json!({"name": "Once", "currency": "EUR", "alias": "once"});
        let first = post_with_key(&app, k, "/api/v1/customers", "order-42", &body).await;
        first.expect(201);
        assert_eq!(first.header("idempotent-replayed"), None);
        let again = post_with_key(&app, k, "/api/v1/customers", "order-42", &body).await;
        again.expect(201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json, first.json);
        assert!(again.header("content-type").unwrap().starts_with("application/json"));
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids(), vec![first.id()]);

        let other = json!({"name": "Twice", "currency": "EUR"});
        post_with_key(&app, k, "/api/v1/customers", "order-42", &other)
            .await
            .expect_error(409, "CONFLICT", "Idempotency-Key");
        // Same body on another path is another request too.
        post_with_key(&app, k, "/api/v1/products", "order-42", &json!({"name": "Once"}))
            .await
            .expect_error(409, "CONFLICT", "Idempotency-Key");
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 1);
        assert!(app.get(k, "/api/v1/products").await.list_ids().is_empty());

        // Without a key, the same body is a new request (and here a conflict on the alias).
        app.post(k, "/api/v1/customers", body.clone()).await.expect_error(409, "CONFLICT", "");
        let fresh = post_with_key(&app, k, "/api/v1/customers", "order-43", &json!({"name": "Once", "currency": "EUR"})).await;
        fresh.expect(201);
        assert_ne!(fresh.id(), first.id());
    }

    async fn keys_belong_to_one_account(app: TestApp) {
        let body = json!({"name": "Shared key", "currency": "EUR"});
        let a = post_with_key(&app, &app.a.key, "/api/v1/customers", "k-1", &body).await;
        a.expect(201);
        let b = post_with_key(&app, &app.b.key, "/api/v1/customers", "k-1", &body).await;
        b.expect(201);
        assert_eq!(b.header("idempotent-replayed"), None, "B never sees A's answer");
        assert_ne!(a.id(), b.id());
        assert_eq!(app.get(&app.b.key, "/api/v1/customers").await.list_ids(), vec![b.id()]);
        // B's different body under the same key is not a conflict with A's.
        post_with_key(&app, &app.b.key, "/api/v1/products", "k-2", &json!({"name": "B"})).await.expect(201);
        post_with_key(&app, &app.a.key, "/api/v1/products", "k-2", &json!({"name": "A"})).await.expect(201);
    }

    async fn sec38_a_replay_is_served_only_to_the_credential_that_made_it(app: TestApp) {
        let full = &app.a.key;
        let reader = key_with(&app, &[ApiScope::CustomersRead]).await;
        let twin = key_with(&app, ApiScope::ALL).await;
        let body = json!({"name": "deploy", "scopes": ["billing:read"]});
        let first = post_with_key(&app, full, "/api/v1/api-keys", "mint-1", &body).await;
        first.expect(201);
        // A key without the scope gets its own refusal, not the stored answer.
        let stolen = post_with_key(&app, &reader, "/api/v1/api-keys", "mint-1", &body).await;
        stolen.expect_error(403, "FORBIDDEN", "settings:write");
        assert_eq!(stolen.header("idempotent-replayed"), None);
        assert!(!stolen.text.contains(&first.id()), "{}", stolen.text);
        // Another key, even with the same scopes, makes its own request.
        let other = post_with_key(&app, &twin, "/api/v1/api-keys", "mint-1", &body).await;
        other.expect(201);
        assert_eq!(other.header("idempotent-replayed"), None);
        assert_ne!(other.id(), first.id());
        // The first key still gets its replay.
        let again = post_with_key(&app, full, "/api/v1/api-keys", "mint-1", &body).await;
        again.expect(201);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.id(), first.id());
    }

    async fn sec38_a_refusal_of_the_credential_is_never_stored(app: TestApp) {
        let reader = key_with(&app, &[ApiScope::CustomersRead]).await;
        let body = json!({"name": "Later", "currency": "EUR"});
        post_with_key(&app, &reader, "/api/v1/customers", "c-1", &body).await
            .expect_error(403, "FORBIDDEN", "customers:write");
        let again = post_with_key(&app, &reader, "/api/v1/customers", "c-1", &body).await;
        again.expect(403);
        assert_eq!(again.header("idempotent-replayed"), None, "a 403 is not replayed");
        // Once the request is allowed, the same key works for it.
        let writer = key_with(&app, &[ApiScope::CustomersWrite]).await;
        post_with_key(&app, &writer, "/api/v1/customers", "c-1", &body).await.expect(201);
    }

    async fn client_errors_are_replayed_too(app: TestApp) {
        let k = &app.a.key;
        let bad = json!({"name": "X", "currency": "EUR", "email": "nope"});
        let first = post_with_key(&app, k, "/api/v1/customers", "bad-1", &bad).await;
        first.expect_error(400, "BAD_REQUEST", "email");
        let again = post_with_key(&app, k, "/api/v1/customers", "bad-1", &bad).await;
        again.expect(400);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json, first.json);
    }

    async fn every_post_route_is_idempotent(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "idem").await;
        let bodies = [
            ("/api/v1/customers", json!({"name": "N", "currency": "EUR"})),
            ("/api/v1/contacts", json!({"customer": seed.customer, "email": "z@z.example"})),
            ("/api/v1/products", json!({"name": "P2"})),
            ("/api/v1/plans", json!({"product": seed.product, "name": "P", "interval": "month", "unit_amount": 1, "currency": "EUR"})),
            ("/api/v1/subscriptions", json!({"customer": seed.customer, "plan": seed.plan})),
            ("/api/v1/invoices", json!({"customer": seed.customer, "lines": [{"description": "x", "unit_amount": 5}]})),
            ("/api/v1/transactions", json!({"customer": seed.customer, "kind": "credit", "amount": 5})),
            ("/api/v1/payment-methods", json!({"customer": seed.customer, "kind": "sepa_debit", "last4": "0001"})),
            ("/api/v1/api-keys", json!({"name": "again", "scopes": ["billing:read"]})),
        ];
        for (path, body) in bodies {
            let before = app.get(k, &format!("{path}?limit=100")).await.list_ids().len();
            let idem = format!("route{path}");
            let first = post_with_key(&app, k, path, &idem, &body).await;
            first.expect(201);
            let again = post_with_key(&app, k, path, &idem, &body).await;
            again.expect(201);
            assert_eq!(again.header("idempotent-replayed"), Some("true"), "{path}");
            assert_eq!(again.id(), first.id(), "{path}");
            let after = app.get(k, &format!("{path}?limit=100")).await.list_ids().len();
            assert_eq!(after, before + 1, "{path}: one row, not two");
            if path == "/api/v1/api-keys" {
                // The full key is shown once; the stored answer never held it.
                assert!(first.json["key"].as_str().unwrap().starts_with("portico_sk_"));
                assert_eq!(again.json["key"], Value::Null);
            } else {
                assert_eq!(again.json, first.json, "{path}");
            }
        }
    }

    async fn a_request_still_running_blocks_its_key(app: TestApp) {
        let k = &app.a.key;
        let body = br#"{"name": "Slow", "currency": "EUR"}"#;
        let fingerprint = portico_http::idempotency::fingerprint(
            &Method::POST,
            "/api/v1/customers",
            "",
            body,
        );
        // Another node claimed the key for this very request and has not finished yet.
        let now = portico_http::Clock::now(app.clock.as_ref());
        let stored = stored_key(&app, "slow-1");
        let begun = app
            .store
            .idempotency_begin(&app.a.account, &stored, &fingerprint, now)
            .await
            .unwrap();
        assert_eq!(begun, portico_store::IdempotencyBegin::Started);
        let send = || {
            app.request(Method::POST, "/api/v1/customers", k)
                .header("idempotency-key", "slow-1")
                .header("content-type", "application/json")
                .body(body.to_vec())
        };
        app.send(send()).await.expect_error(409, "CONFLICT", "still being processed");
        assert!(app.get(k, "/api/v1/customers").await.list_ids().is_empty());
        app.store
            .idempotency_finish(&app.a.account, &stored, 201, br#"{"id": "from-the-other-node"}"#)
            .await
            .unwrap();
        let r = app.send(send()).await;
        r.expect(201);
        assert_eq!(r.json["id"], "from-the-other-node");
        assert_eq!(r.header("idempotent-replayed"), Some("true"));
    }

    async fn a_change_that_committed_is_never_run_twice(app: TestApp) {
        let k = &app.a.key;
        let body = json!({"name": "Once", "currency": "EUR"});
        post_with_key(&app, k, "/api/v1/customers", "crash-1", &body).await.expect(201);
        // The process stops after the change committed, before the answer was stored.
        execute(&app, "UPDATE idempotency_keys SET status = NULL, body = NULL").await;
        post_with_key(&app, k, "/api/v1/customers", "crash-1", &body)
            .await
            .expect_error(409, "CONFLICT", "still being processed");
        // Once no request can still be running, a retry learns that it was carried out.
        app.clock.advance_secs(4200);
        post_with_key(&app, k, "/api/v1/customers", "crash-1", &body)
            .await
            .expect_error(409, "CONFLICT", "answer was lost");
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 1);

        // A claim whose process stopped before its change committed is taken over.
        execute(&app, "DELETE FROM idempotency_keys").await;
        let fingerprint = portico_http::idempotency::fingerprint(
            &Method::POST,
            "/api/v1/customers",
            "",
            body.to_string().as_bytes(),
        );
        let stored = stored_key(&app, "crash-2");
        let now = portico_http::Clock::now(app.clock.as_ref());
        app.store.idempotency_begin(&app.a.account, &stored, &fingerprint, now).await.unwrap();
        app.clock.advance_secs(4200);
        post_with_key(&app, k, "/api/v1/customers", "crash-2", &body).await.expect(201);
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 2);
    }

    async fn malformed_keys_are_rejected(app: TestApp) {
        let k = &app.a.key;
        let body = json!({"name": "K", "currency": "EUR"});
        for bad in ["".to_owned(), "k".repeat(256), "tab\there".to_owned()] {
            post_with_key(&app, k, "/api/v1/customers", &bad, &body)
                .await
                .expect_error(400, "BAD_REQUEST", "Idempotency-Key");
        }
        app.send(
            app.request(Method::POST, "/api/v1/customers", k)
                .header("idempotency-key", reqwest::header::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap())
                .json(&body),
        )
        .await
        .expect_error(400, "BAD_REQUEST", "Idempotency-Key");
        post_with_key(&app, k, "/api/v1/customers", &"k".repeat(255), &body).await.expect(201);
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 1);
    }
}

/// Runs one statement on the test database behind the server's back.
async fn execute(app: &TestApp, sql: &str) {
    app.db.raw().await.execute(sql).await;
}

/// The key as the server stores it for tenant A's API key.
fn stored_key(app: &TestApp, key: &str) -> String {
    let auth = portico_http::VendorAuth {
        account: app.a.account.clone(),
        credential: portico_http::auth::Credential::ApiKey(app.a.key_id.clone()),
        scopes: ApiScopes::all(),
        idempotency_key: None,
        origin: None,
    };
    portico_http::idempotency::stored_key(&auth, key)
}
