//! Paying in the portal through the test provider: a card added on the provider's page, an
//! invoice paid, declined (the reason in the customer's language) and challenged; a double
//! submit charges once; a viewer may not pay; the last card is kept while a subscription
//! renews; and the vendor's `POST /api/v1/invoices/{id}/pay`. No card number reaches the logs.

use portico_app::Caller;
use portico_app::payments::{self, ProviderSettings};
use portico_http::Clock;
use serde_json::{Value, json};

use crate::support::{Cookie, Person, Portal, Resp, TestApp, key_with, logs};

/// The account of key A on the test provider.
pub(crate) async fn take_payments(app: &TestApp) {
    let settings = ProviderSettings {
        provider: "test".into(),
        ..Default::default()
    };
    let by = Caller::operator(app.a.account.clone());
    payments::configure(&app.state.app, &by, settings, app.clock.now())
        .await
        .unwrap();
}

/// An open invoice of €61.70 for the person's customer.
async fn open_invoice(app: &TestApp, p: &Person) -> String {
    app.post(
        &app.a.key,
        "/api/v1/invoices",
        json!({"customer": p.customer, "status": "open", "tax_rate_bps": 0,
               "lines": [{"description": "Pro", "quantity": 1, "unit_amount": 6170}]}),
    )
    .await
    .expect(201)
    .id()
}

/// A person of `role` in the portal: the cookie.
async fn enter(app: &TestApp, p: &Person, locale: &str) -> Cookie {
    let r = app
        .portal_session(
            &app.a.key,
            json!({"customer": p.customer, "contact": p.contact, "locale": locale}),
        )
        .await;
    app.enter(r.json["token"].as_str().unwrap()).await
}

pub(crate) fn location(r: &Resp) -> String {
    r.expect(303);
    r.header("location").expect("a Location").to_owned()
}

/// The value of the hidden field `name` in a page.
fn field(page: &Resp, name: &str) -> String {
    let at = page
        .text
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field in {}", page.text));
    let rest = &page.text[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Adds a card the way a customer does: the portal's button, the provider's page, back.
/// Answers the payment-method page it lands on.
pub(crate) async fn add_card(app: &TestApp, cookie: &Cookie, number: &str) -> Resp {
    let page = app.browse("/portal/payment-method", Some(cookie)).await;
    page.expect(200);
    let to_provider = location(
        &app.submit(
            "/portal/payment-method/add",
            Some(cookie),
            &[("csrf", &page.csrf())],
        )
        .await,
    );
    assert!(
        to_provider.contains("/test-provider/setup/"),
        "{to_provider}"
    );
    let form = app.browse(&to_provider, None).await;
    form.expect(200);
    assert!(
        form.text.contains("4242 4242 4242 4242"),
        "the test numbers are documented: {}",
        form.text
    );
    let card = [("number", number), ("expiry", "12/30"), ("cvc", "123")];
    let back = location(&app.submit(&to_provider, None, &card).await);
    assert!(
        back.contains("/portal/payment-method/added?result="),
        "{back}"
    );
    let landed = location(&app.browse(&back, Some(cookie)).await);
    assert_eq!(landed, "/portal/payment-method?done=card_added");
    let page = app.browse(&landed, Some(cookie)).await;
    page.expect(200);
    page
}

/// Submits the invoice page's pay form (with `key`, or the page's own); answers the redirect.
pub(crate) async fn pay(app: &TestApp, cookie: &Cookie, invoice: &str, key: Option<&str>) -> Resp {
    let page = app
        .browse(&format!("/portal/invoices/{invoice}"), Some(cookie))
        .await;
    page.expect(200);
    let page_key = field(&page, "key");
    let form = [
        ("csrf", page.csrf()),
        ("key", key.map_or(page_key, str::to_owned)),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.submit(
        &format!("/portal/invoices/{invoice}/pay"),
        Some(cookie),
        &form,
    )
    .await
}

async fn invoice_json(app: &TestApp, id: &str) -> Value {
    app.get(&app.a.key, &format!("/api/v1/invoices/{id}"))
        .await
        .json
}

portico_testkit::backend_tests! {
    async fn sec37_a_card_added_on_the_providers_page_pays_an_open_invoice_and_reaches_no_log(app: Portal) {
        logs::capture();
        take_payments(&app).await;
        let p = app.person(&app.a.key, "pay", "billing").await;
        let invoice = open_invoice(&app, &p).await;
        let cookie = enter(&app, &p, "en").await;
        let page = add_card(&app, &cookie, "4242 4242 4242 4242").await;
        assert!(page.text.contains("Your card has been added."), "{}", page.text);
        assert!(page.text.contains("Visa ending in 4242"), "{}", page.text);
        assert!(page.text.contains("<svg"), "a brand mark: {}", page.text);

        let detail = app.browse(&format!("/portal/invoices/{invoice}"), Some(&cookie)).await;
        assert!(detail.text.contains("Pay €61.70"), "{}", detail.text);
        let outcome = location(&pay(&app, &cookie, &invoice, None).await);
        assert!(outcome.starts_with(&format!("/portal/invoices/{invoice}?payment=pay_")), "{outcome}");
        let shown = app.browse(&outcome, Some(&cookie)).await;
        assert!(shown.text.contains("Payment received. Thank you!"), "{}", shown.text);
        assert!(!shown.text.contains("Pay €61.70"), "a paid invoice takes no payment: {}", shown.text);
        let paid = invoice_json(&app, &invoice).await;
        assert_eq!((paid["status"].as_str(), paid["amount_due"].as_i64()), (Some("paid"), Some(0)));
        let txns = app.get(&app.a.key, &format!("/api/v1/transactions?customer={}", p.customer)).await;
        assert_eq!(txns.json["data"].as_array().unwrap().len(), 1);
        assert_eq!(txns.json["data"][0]["status"], "succeeded");
        // SECURITY 37: the card number reached no log line.
        let logged = logs::text();
        for number in ["4242424242424242", "4242 4242 4242 4242"] {
            assert!(!logged.contains(number), "the card number was logged");
        }
    }

    async fn a_decline_is_explained_in_the_customers_language_and_the_invoice_stays_open(app: Portal) {
        take_payments(&app).await;
        let p = app.person(&app.a.key, "poor", "owner").await;
        let invoice = open_invoice(&app, &p).await;
        let cookie = enter(&app, &p, "de").await;
        add_card(&app, &cookie, "4000 0000 0000 9995").await;
        let outcome = location(&pay(&app, &cookie, &invoice, None).await);
        let shown = app.browse(&outcome, Some(&cookie)).await;
        assert!(shown.text.contains("Ihre Karte ist nicht ausreichend gedeckt."), "{}", shown.text);
        assert!(shown.text.contains("61,70"), "the pay button stays: {}", shown.text);
        assert_eq!(invoice_json(&app, &invoice).await["status"], "open");
        // The failed payment is on the transactions page, with a way to retry it.
        let txns = app.browse("/portal/transactions", Some(&cookie)).await;
        assert!(txns.text.contains("Zahlung erneut versuchen"), "{}", txns.text);
        // The overview says the payment failed, and why.
        let overview = app.browse("/portal", Some(&cookie)).await;
        assert!(overview.text.contains("Ihre letzte Zahlung über 61,70"), "{}", overview.text);
    }

    async fn a_challenge_goes_through_the_providers_page_and_back(app: Portal) {
        take_payments(&app).await;
        let p = app.person(&app.a.key, "sca", "billing").await;
        let invoice = open_invoice(&app, &p).await;
        let cookie = enter(&app, &p, "en").await;
        add_card(&app, &cookie, "4000 0000 0000 3220").await;
        let to_bank = location(&pay(&app, &cookie, &invoice, None).await);
        assert!(to_bank.contains("/test-provider/challenge/"), "{to_bank}");
        let step = app.browse(&to_bank, None).await;
        assert!(step.text.contains("€61.70"), "{}", step.text);
        let back = location(&app.submit(&to_bank, None, &[("answer", "approve")]).await);
        assert!(back.contains(&format!("/portal/invoices/{invoice}/payment/pay_")), "{back}");
        let outcome = location(&app.browse(&back, Some(&cookie)).await);
        let shown = app.browse(&outcome, Some(&cookie)).await;
        assert!(shown.text.contains("Payment received"), "{}", shown.text);
        assert_eq!(invoice_json(&app, &invoice).await["status"], "paid");
        // Another customer's session cannot use the way back.
        let other = app.person(&app.a.key, "other", "billing").await;
        let stranger = enter(&app, &other, "en").await;
        app.browse(&back, Some(&stranger)).await.expect(404);
    }

    async fn sec34_a_double_submitted_payment_charges_once(app: Portal) {
        take_payments(&app).await;
        let p = app.person(&app.a.key, "twice", "billing").await;
        let invoice = open_invoice(&app, &p).await;
        let cookie = enter(&app, &p, "en").await;
        add_card(&app, &cookie, "4242424242424242").await;
        let key = "f00dfeedf00dfeedf00dfeedf00dfeed";
        let (a, b) = tokio::join!(pay(&app, &cookie, &invoice, Some(key)), pay(&app, &cookie, &invoice, Some(key)));
        assert_eq!(location(&a), location(&b), "both answer the one attempt");
        let provider = app.state.app.payments.test_provider().unwrap();
        assert_eq!(provider.charges(&app.a.account), 1);
        let txns = app.get(&app.a.key, &format!("/api/v1/transactions?customer={}", p.customer)).await;
        assert_eq!(txns.json["data"].as_array().unwrap().len(), 1);
        assert_eq!(invoice_json(&app, &invoice).await["amount_paid"], 6170);
    }

    async fn sec23_a_viewer_sees_no_pay_form_and_may_not_pay(app: Portal) {
        take_payments(&app).await;
        let payer = app.person(&app.a.key, "vw", "billing").await;
        let invoice = open_invoice(&app, &payer).await;
        let billing = enter(&app, &payer, "en").await;
        add_card(&app, &billing, "4242424242424242").await;
        let billing_page = app.browse(&format!("/portal/invoices/{invoice}"), Some(&billing)).await;
        let key = field(&billing_page, "key");
        let viewer_contact = app
            .post(&app.a.key, "/api/v1/contacts", json!({"customer": payer.customer, "email": "v@vw.example", "role": "viewer"}))
            .await
            .expect(201)
            .id();
        let viewer = Person { contact: viewer_contact, ..payer.clone() };
        let cookie = enter(&app, &viewer, "en").await;
        let page = app.browse(&format!("/portal/invoices/{invoice}"), Some(&cookie)).await;
        page.expect(200);
        assert!(!page.text.contains("/pay\""), "no pay form for a viewer: {}", page.text);
        let methods = app.browse("/portal/payment-method", Some(&cookie)).await;
        assert!(!methods.text.contains("/portal/payment-method/add"), "{}", methods.text);
        let csrf = page.csrf();
        let r = app.submit(&format!("/portal/invoices/{invoice}/pay"), Some(&cookie), &[("csrf", &csrf), ("key", &key)]).await;
        r.expect(403);
        let r = app.submit("/portal/payment-method/add", Some(&cookie), &[("csrf", &csrf)]).await;
        r.expect(403);
        assert_eq!(invoice_json(&app, &invoice).await["status"], "open");
        assert_eq!(app.state.app.payments.test_provider().unwrap().charges(&app.a.account), 0);
    }

    async fn cards_are_replaced_made_default_and_the_last_one_kept_while_a_subscription_renews(app: Portal) {
        take_payments(&app).await;
        let p = app.person(&app.a.key, "keep", "billing").await;
        let product = app.post(&app.a.key, "/api/v1/products", json!({"name": "Cloud"})).await.expect(201).id();
        let plan = app.post(&app.a.key, "/api/v1/plans", json!({"product": product, "name": "Pro", "interval": "month", "unit_amount": 2900, "currency": "EUR"})).await.expect(201).id();
        app.post(&app.a.key, "/api/v1/subscriptions", json!({"customer": p.customer, "plan": plan})).await.expect(201);
        let cookie = enter(&app, &p, "en").await;
        let page = add_card(&app, &cookie, "4000 0000 0000 0069").await;
        assert!(page.text.contains("Replace card"), "a card that expires next month can be replaced: {}", page.text);
        let first = app.get(&app.a.key, &format!("/api/v1/payment-methods?customer={}", p.customer)).await.json["data"][0]["id"].as_str().unwrap().to_owned();

        // The only card cannot go while the subscription renews.
        let r = app.submit(&format!("/portal/payment-method/{first}/remove"), Some(&cookie), &[("csrf", &page.csrf())]).await;
        let shown = app.browse(&location(&r), Some(&cookie)).await;
        assert!(shown.text.contains("This is your only payment method"), "{}", shown.text);

        // Replacing it in one step: the new card is the default, the old one gone.
        let to_provider = location(&app.submit("/portal/payment-method/add", Some(&cookie), &[("csrf", &shown.csrf()), ("replace", &first)]).await);
        let back = location(&app.submit(&to_provider, None, &[("number", "5555 5555 5555 4444"), ("expiry", "11/31"), ("cvc", "123")]).await);
        assert!(back.contains(&format!("replace={first}")), "{back}");
        location(&app.browse(&back, Some(&cookie)).await);
        let methods = app.get(&app.a.key, &format!("/api/v1/payment-methods?customer={}", p.customer)).await.json;
        let data = methods["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{methods}");
        assert_eq!((data[0]["brand"].as_str(), data[0]["is_default"].as_bool()), (Some("mastercard"), Some(true)));

        // Another card, made the default, then the first one removed.
        add_card(&app, &cookie, "4242424242424242").await;
        let visa = app.get(&app.a.key, &format!("/api/v1/payment-methods?customer={}", p.customer)).await.json["data"].as_array().unwrap().iter().find(|m| m["brand"] == "visa").unwrap()["id"].as_str().unwrap().to_owned();
        let page = app.browse("/portal/payment-method", Some(&cookie)).await;
        let r = app.submit(&format!("/portal/payment-method/{visa}/default"), Some(&cookie), &[("csrf", &page.csrf())]).await;
        assert_eq!(location(&r), "/portal/payment-method?done=default_changed");
        let master = data[0]["id"].as_str().unwrap();
        let r = app.submit(&format!("/portal/payment-method/{master}/remove"), Some(&cookie), &[("csrf", &page.csrf())]).await;
        assert_eq!(location(&r), "/portal/payment-method?done=method_removed");
        let methods = app.get(&app.a.key, &format!("/api/v1/payment-methods?customer={}", p.customer)).await.json;
        assert_eq!(methods["data"].as_array().unwrap().len(), 1);
        assert_eq!(methods["data"][0]["is_default"], true);
        // Another customer's card is not found.
        let other = app.person(&app.a.key, "nosy", "billing").await;
        let nosy = enter(&app, &other, "en").await;
        let page = app.browse("/portal/payment-method", Some(&nosy)).await;
        app.submit(&format!("/portal/payment-method/{visa}/remove"), Some(&nosy), &[("csrf", &page.csrf())]).await.expect(404);
    }

    async fn the_vendor_pays_an_invoice_over_rest_once_per_key(app: Portal) {
        let p = app.person(&app.a.key, "rest", "billing").await;
        let invoice = open_invoice(&app, &p).await;
        let path = format!("/api/v1/invoices/{invoice}/pay");
        app.post(&app.a.key, &path, json!(null)).await.expect_error(409, "CONFLICT", "payments are not set up");
        take_payments(&app).await;
        app.post(&app.a.key, &path, json!({})).await.expect_error(409, "CONFLICT", "no default payment method");
        let cookie = enter(&app, &p, "en").await;
        add_card(&app, &cookie, "4242424242424242").await;
        let send = || app.send(app.request(reqwest::Method::POST, &path, &app.a.key).header("idempotency-key", "order-77").json(&json!({})));
        let (first, second) = tokio::join!(send(), send());
        let ok = [&first, &second].into_iter().find(|r| r.status == 200).expect("one answer is 200");
        assert_eq!(ok.json["status"], "succeeded");
        assert_eq!(ok.json["amount"], 6170);
        let again = send().await;
        again.expect(200);
        assert_eq!(again.json["id"], ok.json["id"]);
        assert_eq!(app.state.app.payments.test_provider().unwrap().charges(&app.a.account), 1);
        assert_eq!(invoice_json(&app, &invoice).await["status"], "paid");
        app.post(&app.a.key, &path, json!({})).await.expect_error(409, "CONFLICT", "already paid");
        app.post(&app.b.key, &path, json!({})).await.expect(404);
        app.post(&app.a.key, &path, json!({"payment_method": "pm_nope"})).await.expect(400);
    }

    async fn the_vendor_sets_the_payment_provider_and_never_reads_a_secret_back(app: Portal) {
        let path = "/api/v1/payment-provider";
        let none = app.get(&app.a.key, path).await;
        assert_eq!(none.expect(200).json["provider"], Value::Null);
        let body = json!({"provider": "test", "secret": "sk_test_9b1e77c2", "webhook_secret": "whsec_77aa"});
        let set = app.send(app.request(reqwest::Method::PUT, path, &app.a.key).json(&body)).await;
        set.expect(200);
        assert_eq!(set.json, json!({"provider": "test", "public_key": null, "secret_set": true, "webhook_secret_set": true}));
        let read = app.get(&app.a.key, path).await;
        read.expect(200);
        for secret in ["sk_test_9b1e77c2", "whsec_77aa"] {
            assert!(!read.text.contains(secret) && !set.text.contains(secret), "a secret was answered");
        }
        assert_eq!(app.get(&app.b.key, path).await.json["provider"], Value::Null, "B has its own");
        let unknown = json!({"provider": "paypal"});
        app.send(app.request(reqwest::Method::PUT, path, &app.a.key).json(&unknown)).await.expect_error(400, "BAD_REQUEST", "provider");
        let billing_only = key_with(&app, &[portico_core::scope::ApiScope::BillingWrite]).await;
        app.send(app.request(reqwest::Method::PUT, path, &billing_only).json(&body)).await.expect(403);
        app.get(&billing_only, path).await.expect(403);
    }
}
