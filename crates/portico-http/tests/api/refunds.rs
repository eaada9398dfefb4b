//! `POST /api/v1/transactions/{id}/refund` with Stripe (localstripe): in part, once per
//! `Idempotency-Key`, never more than was paid, with `billing:write` only, and not across
//! accounts.

use portico_core::scope::ApiScope;
use portico_testkit::backend_tests;
use serde_json::json;

use crate::provider_events::{customer_with_card, on_stripe};
use crate::support::{On, key_with};

backend_tests! {
    async fn a_stripe_payment_is_refunded_over_the_api(on: On) {
        let app = on_stripe(on.0, "whsec_refunds").await;
        let (customer, invoice) = customer_with_card(&app, "4242424242424242").await;
        let paid = app.post(&app.a.key, &format!("/api/v1/invoices/{invoice}/pay"), json!({})).await;
        paid.expect(200);
        let payment = paid.json["transaction"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/transactions/{payment}/refund");

        // Another account's key does not find it; a key without billing:write may not.
        app.post(&app.b.key, &path, json!({"amount": 1000})).await.expect(404);
        let reader = key_with(&app, &[ApiScope::BillingRead]).await;
        app.post(&reader, &path, json!({"amount": 1000})).await.expect(403);

        let request = || app.request(reqwest::Method::POST, &path, &app.a.key).header("Idempotency-Key", "refund-1").json(&json!({"amount": 1000}));
        let first = app.send(request()).await;
        first.expect(201);
        assert_eq!((first.json["kind"].as_str(), first.json["amount"].as_i64(), first.json["invoice"].as_str()), (Some("refund"), Some(1000), Some(invoice.as_str())));
        let again = app.send(request()).await;
        again.expect(201);
        assert_eq!(again.json["id"], first.json["id"]);
        app.post(&app.a.key, &path, json!({"amount": 6170})).await.expect(400);
        let rest = app.post(&app.a.key, &path, json!({})).await;
        rest.expect(201);
        assert_eq!(rest.json["amount"].as_i64(), Some(5170));
        let refunds = app.get(&app.a.key, &format!("/api/v1/transactions?invoice={invoice}")).await;
        let kinds: Vec<&str> = refunds.json["data"].as_array().unwrap().iter().filter_map(|t| t["kind"].as_str()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "refund").count(), 2, "{kinds:?}");
        // The customer reads the refunds as money going back, with a true minus sign; the API
        // keeps numbers.
        assert_eq!(rest.json["amount"].as_i64(), Some(5170));
        let cookie = app.enter(&app.issue(&app.a.key, &customer).await.1).await;
        let page = app.browse("/portal/transactions", Some(&cookie)).await;
        page.expect(200);
        for amount in ["\u{2212}€10.00", "\u{2212}€51.70", "€61.70"] {
            assert!(page.text.contains(amount), "{amount}: {}", page.text);
        }
        assert!(!page.text.contains("-€"), "{}", page.text);
    }
}
