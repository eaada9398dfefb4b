//! Stripe's events over HTTP, sent by localstripe itself: `POST /provider-events/{account}/stripe`
//! settles a payment that waited for the customer's step; an event with a missing, wrong or
//! stale signature is answered 400 and changes nothing.

use std::time::Duration;

use portico_app::Caller;
use portico_app::payments::{self, ProviderSettings, SetupInput, SetupStart, stripe};
use portico_core::CustomerId;
use portico_http::Clock;
use portico_testkit::backend_tests;
use portico_testkit::localstripe::{LocalStripe, localstripe};
use serde_json::json;

use crate::support::{Options, TestApp};

const PUBLIC_KEY: &str = "pk_test_events";

/// A server whose Stripe is localstripe, with account A on it and `webhook_secret`.
pub(crate) async fn on_stripe(backend: portico_testkit::Backend, webhook_secret: &str) -> TestApp {
    let options = Options {
        stripe_api_base: Some(localstripe().url.clone()),
        ..Default::default()
    };
    let app = TestApp::start_with(backend, options).await;
    let settings = ProviderSettings {
        provider: stripe::NAME.into(),
        secret: Some(zeroize::Zeroizing::new(LocalStripe::secret_key())),
        public_key: Some(PUBLIC_KEY.into()),
        webhook_secret: Some(zeroize::Zeroizing::new(webhook_secret.to_owned())),
    };
    let by = Caller::operator(app.a.account.clone());
    payments::configure(&app.state.app, &by, settings, app.clock.now())
        .await
        .unwrap();
    app
}

/// A customer of account A with a card set up through Stripe, and an open invoice.
pub(crate) async fn customer_with_card(app: &TestApp, number: &str) -> (String, String) {
    let customer = app
        .post(
            &app.a.key,
            "/api/v1/customers",
            json!({"name": "Łódź Spółka", "email": "ap@lodz.example", "currency": "EUR"}),
        )
        .await
        .expect(201)
        .id();
    let invoice = app
        .post(
            &app.a.key,
            "/api/v1/invoices",
            json!({"customer": customer, "status": "open", "tax_rate_bps": 0,
                   "lines": [{"description": "Pro", "quantity": 1, "unit_amount": 6170}]}),
        )
        .await
        .expect(201)
        .id();
    let by = Caller::operator(app.a.account.clone());
    let id: CustomerId = customer.parse().unwrap();
    let input = SetupInput {
        customer: id.clone(),
        return_url: app.url("/portal/payment-method/added"),
    };
    let SetupStart::Embedded { client_secret, .. } =
        payments::begin_setup(&app.state.app, &by, input, app.clock.now())
            .await
            .unwrap()
    else {
        panic!("Stripe's card form is embedded");
    };
    let seti = localstripe()
        .confirm_setup(PUBLIC_KEY, &client_secret, number)
        .await;
    let returned = [("setup_intent".to_owned(), seti)].into();
    payments::complete_setup(&app.state.app, &by, &id, &returned, None, app.clock.now())
        .await
        .unwrap();
    (customer, invoice)
}

/// The client secret of the PaymentIntent `pi`, which Stripe.js confirms the step with.
async fn client_secret_of(pi: &str) -> String {
    let pi: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{pi}", localstripe().url))
        .basic_auth("sk_test_read", Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    pi["client_secret"].as_str().unwrap().to_owned()
}

async fn invoice_status(app: &TestApp, invoice: &str) -> String {
    let r = app
        .get(&app.a.key, &format!("/api/v1/invoices/{invoice}"))
        .await;
    r.json["status"].as_str().unwrap().to_owned()
}

backend_tests! {
    async fn sec35_stripe_events_settle_a_payment_and_bad_signatures_change_nothing(on: crate::support::On) {
        let secret = format!("whsec_{:016x}", rand::random::<u64>());
        let app = on_stripe(on.0, &secret).await;
        let (_, invoice) = customer_with_card(&app, "4000000000003220").await;
        let paid = app.post(&app.a.key, &format!("/api/v1/invoices/{invoice}/pay"), json!({})).await;
        paid.expect(200);
        assert_eq!(paid.json["status"], "requires_action", "{}", paid.text);
        let step = paid.json["action_url"].as_str().unwrap().to_owned();
        assert_eq!(step, app.url(&format!("{}/{}", stripe::ACTION_PATH, paid.json["id"].as_str().unwrap())));
        let pi = paid.json["provider_ref"].as_str().unwrap().to_owned();
        let client_secret = client_secret_of(&pi).await;

        // Signed wrongly, not at all, or long ago: 400, and the invoice stays open.
        let path = format!("/provider-events/{}/stripe", app.a.account);
        let body = serde_json::to_vec(&json!({"id": format!("evt_forged_{pi}"), "type": "payment_intent.succeeded",
            "data": {"object": {"id": pi, "object": "payment_intent", "status": "succeeded", "metadata": {"portico_attempt": paid.json["id"]}}}})).unwrap();
        let now = app.clock.now().as_millis() / 1000;
        for header in [
            None,
            Some(stripe::sign(b"whsec_not_the_accounts", &body, now)),
            Some(stripe::sign(secret.as_bytes(), &body, now - 301)),
            Some("t=1,v1=00".to_owned()),
        ] {
            let mut request = app.client.post(app.url(&path)).header("content-type", "application/json").body(body.clone());
            if let Some(h) = &header {
                request = request.header("Stripe-Signature", h);
            }
            let r = app.send(request).await;
            r.expect(400);
            assert_eq!(invoice_status(&app, &invoice).await, "open", "{header:?}");
        }
        // Account B has no provider: refused alike, and an unknown account too.
        let signed = stripe::sign(secret.as_bytes(), &body, now);
        for other in [format!("/provider-events/{}/stripe", app.b.account), "/provider-events/acc_nope/stripe".to_owned(), format!("/provider-events/{}/test", app.a.account)] {
            app.send(app.client.post(app.url(&other)).header("Stripe-Signature", &signed).body(body.clone())).await.expect(400);
        }
        assert_eq!(invoice_status(&app, &invoice).await, "open");
        // Too large a body is refused before anything is read into an event.
        let big = vec![b' '; portico_http::provider_events::EVENT_LIMIT + 1];
        let r = app.send(app.client.post(app.url(&path)).header("Stripe-Signature", stripe::sign(secret.as_bytes(), &big, now)).body(big.clone())).await;
        assert!(r.status == 413 || r.status == 400, "{}", r.status);

        // localstripe sends its own signed event when the customer completes the step.
        localstripe().send_events_to(&app.url(&path), &secret).await;
        localstripe().complete_payment_step(PUBLIC_KEY, &client_secret).await;
        let mut status = String::new();
        for _ in 0..100 {
            status = invoice_status(&app, &invoice).await;
            if status == "paid" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(status, "paid");
    }
}
