//! The localstripe the Stripe tests run against: it serves Stripe.js's stand-in, SetupIntents
//! and PaymentIntents, and honours idempotency keys as Stripe does.

use portico_testkit::localstripe::{LocalStripe, localstripe};

async fn post(
    key: &str,
    path: &str,
    idempotency: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", localstripe().url))
        .basic_auth(key, Some(""))
        .form(form);
    if let Some(k) = idempotency {
        request = request.header("Idempotency-Key", k);
    }
    request.send().await.expect("localstripe answers")
}

#[tokio::test]
async fn serves_stripe_js_setup_intents_and_payment_intents() {
    let server = localstripe();
    let js = reqwest::get(format!("{}/js.stripe.com/v3/", server.url))
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("confirmCardSetup"));

    let key = LocalStripe::secret_key();
    let customer: serde_json::Value = post(&key, "/v1/customers", None, &[])
        .await
        .json()
        .await
        .unwrap();
    let customer = customer["id"].as_str().unwrap();
    let seti: serde_json::Value = post(&key, "/v1/setup_intents", None, &[("customer", customer)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seti["status"], "requires_payment_method");
    assert!(seti["client_secret"].as_str().unwrap().starts_with("seti_"));
}

#[tokio::test]
async fn a_repeated_idempotency_key_creates_one_payment_intent() {
    let server = localstripe();
    let key = LocalStripe::secret_key();
    let tag = format!("tag{:x}", rand::random::<u64>());
    let form = [
        ("amount", "1200"),
        ("currency", "eur"),
        ("payment_method", "pm_card_visa"),
        ("confirm", "true"),
        ("off_session", "true"),
        ("metadata[test]", tag.as_str()),
    ];
    let idem = format!("key-{tag}");
    let first: serde_json::Value = post(&key, "/v1/payment_intents", Some(&idem), &form)
        .await
        .json()
        .await
        .unwrap();
    let second: serde_json::Value = post(&key, "/v1/payment_intents", Some(&idem), &form)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["id"], second["id"]);
    assert_eq!(server.payment_intents_tagged(&tag).await, 1);
    // Without a key each request is a new PaymentIntent.
    post(&key, "/v1/payment_intents", None, &form).await;
    assert_eq!(server.payment_intents_tagged(&tag).await, 2);
    // The same key on another path is refused.
    let other = post(&key, "/v1/customers", Some(&idem), &[]).await;
    assert_eq!(other.status(), 400);
}
