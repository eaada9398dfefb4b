//! The portal read API (`GET /portal/api/v1/summary`) as a vendor's web app calls it with a
//! `read`-scoped portal token from the REST dialect: what it answers, to which origins, and how
//! it refuses expired, revoked and foreign credentials.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Portal, Resp, TestApp};

const APP_ORIGIN: &str = "https://app.vendor.example";
const SUMMARY: &str = "/portal/api/v1/summary";

/// A `read` token for `customer` from the REST dialect, and its `api_url`.
async fn read_token(app: &TestApp, customer: &str) -> (String, String) {
    let r = app
        .post(
            &app.a.key,
            &format!("/api/v1/customers/{customer}/portal-token"),
            json!({"scopes": ["read"], "expires_in_seconds": 600}),
        )
        .await;
    r.expect(200);
    (
        r.json["token"].as_str().unwrap().to_owned(),
        r.json["api_url"].as_str().unwrap().to_owned(),
    )
}

/// `GET` of the summary with an `Authorization` value and an `Origin`.
async fn summary(app: &TestApp, authorization: &str, origin: Option<&str>) -> Resp {
    let mut req = app
        .client
        .get(app.url(SUMMARY))
        .header("authorization", authorization);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    app.send(req).await
}

portico_testkit::backend_tests! {
    async fn a_read_token_reads_the_summary_and_only_allowed_origins_see_it(app: Portal) {
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"allowed_origins": [APP_ORIGIN]}))
            .await
            .expect(200);
        let seeded = app.seed(&app.a.key, "ro").await;
        let (token, api_url) = read_token(&app, &seeded.customer_alias).await;
        assert_eq!(format!("{api_url}/summary"), app.url(SUMMARY));

        // The bearer scheme is matched case-insensitively, as the published clients send it.
        let r = summary(&app, &format!("bearer {token}"), Some(APP_ORIGIN)).await;
        r.expect(200);
        assert_eq!(r.header("access-control-allow-origin"), Some(APP_ORIGIN));
        assert_eq!(r.header("cache-control"), Some("no-store"));
        let b = &r.json;
        assert_eq!(b["customer"]["id"], seeded.customer);
        assert_eq!(b["customer"]["currency"], "EUR");
        assert_eq!(b["can_manage"], false, "{b}");
        let mut scopes: Vec<&str> = b["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        scopes.sort_unstable();
        assert_eq!(scopes, ["account:read", "invoices:read", "payment_methods:read", "subscriptions:read"]);
        let subs = b["subscriptions"].as_array().unwrap();
        assert_eq!(subs.len(), 1, "{b}");
        assert_eq!(subs[0]["id"], seeded.subscription);
        assert_eq!(subs[0]["status"], "active");
        assert_eq!(subs[0]["quantity"], 2);
        assert_eq!(subs[0]["plan"]["id"], seeded.plan);
        assert_eq!(subs[0]["plan"]["unit_amount"], 2900);
        assert!(subs[0]["current_period_end"].is_string());
        let invoice = app.get(&app.a.key, &format!("/api/v1/invoices/{}", seeded.invoice)).await;
        assert_eq!(invoice.json["status"], "open");
        assert_eq!(
            b["open_balance"],
            json!([{"amount": invoice.json["amount_due"], "currency": "EUR"}])
        );
        let pm = &b["default_payment_method"];
        assert_eq!(pm["id"], seeded.payment_method);
        assert_eq!(pm["brand"], "visa");
        assert_eq!(pm["last4"], "4242");
        assert_eq!(pm["exp_year"], 2030);
        assert_eq!(pm["expired"], false);

        // Another origin gets the same answer, but no permission for its page to read it.
        let r = summary(&app, &format!("Bearer {token}"), Some("https://evil.example")).await;
        r.expect(200);
        assert_eq!(r.header("access-control-allow-origin"), None);
        assert_eq!(r.header("vary"), Some("Origin"));

        // The browser's preflight for a GET with Authorization.
        let pre = app
            .send(
                app.client
                    .request(Method::OPTIONS, app.url(SUMMARY))
                    .header("origin", APP_ORIGIN)
                    .header("access-control-request-method", "GET")
                    .header("access-control-request-headers", "authorization"),
            )
            .await;
        pre.expect(204);
        assert_eq!(pre.header("access-control-allow-headers"), Some("authorization"));
        assert_eq!(pre.header("access-control-allow-methods"), Some("GET"));
    }

    async fn sections_follow_the_sessions_scopes(app: Portal) {
        let seeded = app.seed(&app.a.key, "sc").await;
        let r = app
            .portal_session(&app.a.key, json!({"customer": seeded.customer, "scopes": ["subscriptions:read"]}))
            .await;
        let token = r.json["token"].as_str().unwrap();
        let s = summary(&app, &format!("Bearer {token}"), None).await;
        s.expect(200);
        assert_eq!(s.json["subscriptions"].as_array().unwrap().len(), 1);
        assert_eq!(s.json["open_balance"], Value::Null);
        assert_eq!(s.json["default_payment_method"], Value::Null);
        // A full token may manage.
        let (_, full) = app.issue(&app.a.key, &seeded.customer).await;
        let s = summary(&app, &format!("Bearer {full}"), None).await;
        assert_eq!(s.json["can_manage"], true, "{}", s.text);
    }

    async fn the_portal_cookie_reads_the_summary_too(app: Portal) {
        let seeded = app.seed(&app.a.key, "ck").await;
        let (_, token) = app.issue(&app.a.key, &seeded.customer).await;
        let cookie = app.enter(&token).await;
        let r = app
            .send(app.client.get(app.url(SUMMARY)).header("cookie", cookie.header()))
            .await;
        r.expect(200);
        assert_eq!(r.json["customer"]["id"], seeded.customer);
        // Without any credential: a 401 in the API's error shape.
        let r = app.send(app.client.get(app.url(SUMMARY))).await;
        r.expect_error(401, "UNAUTHORIZED", "portal token");
    }

    async fn an_expired_token_is_token_expired_and_other_refusals_are_unauthorized(app: Portal) {
        let seeded = app.seed(&app.a.key, "ex").await;
        let (token, _) = read_token(&app, &seeded.customer).await;
        let bearer = format!("Bearer {token}");
        summary(&app, &bearer, None).await.expect(200);

        // The vendor API refuses a portal token, and the portal API refuses an API key.
        app.get(&token, "/api/v1/customers").await.expect_error(401, "UNAUTHORIZED", "");
        summary(&app, &format!("Bearer {}", app.a.key), None)
            .await
            .expect_error(401, "UNAUTHORIZED", "not valid");
        // A forged signature.
        let forged = format!("{}x", &token[..token.len() - 1]);
        summary(&app, &format!("Bearer {forged}"), None)
            .await
            .expect_error(401, "UNAUTHORIZED", "not valid");

        app.clock.advance_secs(601);
        let r = summary(&app, &bearer, None).await;
        r.expect_error(401, "TOKEN_EXPIRED", "expired");
        assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"portico\""));

        // Revoked before expiry: a plain 401, not TOKEN_EXPIRED.
        let (session, token) = app.issue(&app.a.key, &seeded.customer).await;
        app.delete(&app.a.key, &format!("/api/v1/portal-sessions/{session}")).await.expect(200);
        summary(&app, &format!("Bearer {token}"), None)
            .await
            .expect_error(401, "UNAUTHORIZED", "revoked");

        // Access switched off for the customer.
        let (_, token) = app.issue(&app.a.key, &seeded.customer).await;
        app.patch(&app.a.key, &format!("/api/v1/customers/{}", seeded.customer), json!({"portal_enabled": false}))
            .await
            .expect(200);
        summary(&app, &format!("Bearer {token}"), None)
            .await
            .expect_error(401, "UNAUTHORIZED", "revoked");
    }
}
