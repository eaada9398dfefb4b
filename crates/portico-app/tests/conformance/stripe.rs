//! Payments through the `stripe` provider against a real localstripe: a card set up with a
//! SetupIntent (confirmed the way Stripe.js confirms it) and charged off-session, a decline, a
//! charge that needs the customer's step (and its page), a double submit that makes one
//! PaymentIntent, a charge whose answer is lost (the invoice stays open, the retry charges once),
//! and no card number stored.

use std::collections::BTreeMap;

use portico_app::payments;
use portico_app::payments::stripe::{self, StripeProvider};
use portico_app::payments::{Payments, ProviderSettings, SetupInput, SetupStart};
use portico_testkit::localstripe::{LocalStripe, localstripe};
use std::time::Duration;

use super::*;

pub(super) const PUBLIC_KEY: &str = "pk_test_portico";

/// The app with the Stripe provider talking to localstripe.
pub(super) fn stripe_app(db: &Db) -> App {
    db.app.clone().with_payments(
        Payments::new(Duration::from_secs(20))
            .with_stripe(Arc::new(StripeProvider::new(&localstripe().url))),
    )
}

/// The account's provider set to `stripe` with a fresh secret key.
pub(super) async fn with_stripe(db: &Db, app: &App, account: &Account) {
    payments::configure(
        app,
        &op(&account.id),
        ProviderSettings {
            provider: stripe::NAME.into(),
            secret: Some(zeroize::Zeroizing::new(LocalStripe::secret_key())),
            public_key: Some(PUBLIC_KEY.into()),
            webhook_secret: Some(zeroize::Zeroizing::new("whsec_portico_test".into())),
        },
        db.now(),
    )
    .await
    .unwrap();
}

/// A card added the way a customer adds one through Stripe Elements.
pub(super) async fn add_stripe_card(
    db: &Db,
    app: &App,
    account: &Account,
    customer: &Customer,
    number: &str,
) -> PaymentMethod {
    let by = op(&account.id);
    let input = SetupInput {
        customer: customer.id.clone(),
        return_url: "https://acme.portal.example/portal/payment-method/added".into(),
    };
    let SetupStart::Embedded {
        client_secret,
        public_key,
    } = payments::begin_setup(app, &by, input, db.now())
        .await
        .unwrap()
    else {
        panic!("Stripe's card form is embedded in the portal");
    };
    assert_eq!(public_key, PUBLIC_KEY);
    let seti = localstripe()
        .confirm_setup(PUBLIC_KEY, &client_secret, number)
        .await;
    let returned = BTreeMap::from([("setup_intent".to_owned(), seti)]);
    payments::complete_setup(app, &by, &customer.id, &returned, None, db.now())
        .await
        .unwrap()
}

/// An account on Stripe with a customer, an open invoice and the customer's card `number`.
struct Setting {
    app: App,
    account: Account,
    customer: Customer,
    invoice: Invoice,
}

async fn customer_with_card(db: &Db, number: &str) -> Setting {
    let app = stripe_app(db);
    let account = db.account("acme").await;
    with_stripe(db, &app, &account).await;
    let customer = db.customer(&account, None).await;
    let invoice = db.invoice(&account, &customer).await;
    add_stripe_card(db, &app, &account, &customer, number).await;
    Setting {
        app,
        account,
        customer,
        invoice,
    }
}

impl Setting {
    async fn pay(&self, db: &Db, key: &str) -> AppResult<PaymentAttempt> {
        let input = super::payments::pay_input(&self.invoice, key);
        payments::pay(&self.app, &op(&self.account.id), input, db.now()).await
    }
}

/// A way to localstripe that loses every answer: requests reach it (a charge is made there),
/// the answers never come back and the connections stay open, as when a network fails mid-call.
async fn answers_lost_on_the_way_back() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let target = localstripe().url.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                let mut server = tokio::net::TcpStream::connect(&target).await.unwrap();
                let (mut from_client, _to_client) = client.split();
                let (mut from_server, mut to_server) = server.split();
                let mut lost = tokio::io::sink();
                let _ = tokio::join!(
                    tokio::io::copy(&mut from_client, &mut to_server),
                    tokio::io::copy(&mut from_server, &mut lost),
                );
            });
        }
    });
    format!("http://{address}")
}

/// The amounts of the refunds localstripe holds for the account, newest first.
pub(super) async fn localstripe_refunds(account: &AccountId) -> Vec<i64> {
    let all = stripe_object("/v1/refunds?limit=1000000").await;
    let mut mine: Vec<(i64, i64)> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metadata"]["portico_account"] == account.as_str())
        .map(|r| {
            (
                r["created"].as_i64().unwrap(),
                r["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    mine.sort_by(|a, b| b.cmp(a));
    mine.into_iter().map(|(_, amount)| amount).collect()
}

/// The client secret of the PaymentIntent `pi`, which Stripe.js confirms the step with.
pub(super) async fn client_secret_of(pi: &str) -> String {
    let pi = stripe_object(&format!("/v1/payment_intents/{pi}")).await;
    pi["client_secret"].as_str().unwrap().to_owned()
}

/// An object as localstripe holds it now.
async fn stripe_object(path: &str) -> serde_json::Value {
    let url = format!("{}{path}", localstripe().url);
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth("sk_test_read", Some(""));
    response.send().await.unwrap().json().await.unwrap()
}

/// A Stripe event of `kind` about the object at `path`.
async fn event(kind: &str, path: &str, id: &str) -> Vec<u8> {
    let object = stripe_object(path).await;
    serde_json::to_vec(&serde_json::json!({
        "id": id, "object": "event", "type": kind, "data": { "object": object },
    }))
    .unwrap()
}

fn signed(header: String) -> Vec<(String, String)> {
    vec![("Stripe-Signature".to_owned(), header)]
}

backend_tests! {
    async fn stripe_a_setup_intent_card_pays_an_invoice_off_session(db: Db) {
        let Setting { app, account, customer, invoice } = customer_with_card(&db, "4242424242424242").await;
        let card = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await.unwrap().data.remove(0);
        assert_eq!((card.brand.as_deref(), card.last4.as_str(), card.exp_month, card.exp_year, card.is_default), (Some("visa"), "4242", Some(12), Some(2030), true));
        assert!(card.provider_ref.as_deref().unwrap().starts_with("pm_"));
        // One Stripe customer per Portico customer, kept and used again.
        let mut uow = db.store.begin(&account.id, Actor::System, db.now()).await.unwrap();
        let reference = uow.payment_providers().customer_ref(&customer.id, "stripe").await.unwrap().unwrap();
        drop(uow);
        assert!(reference.starts_with("cus_"), "{reference}");
        let second = add_stripe_card(&db, &app, &account, &customer, "4242424242424242").await;
        assert_ne!(second.id, card.id);

        let setting = Setting { app, account, customer, invoice };
        let attempt = setting.pay(&db, "k1").await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::Succeeded, "{attempt:?}");
        assert!(attempt.provider_ref.as_deref().unwrap().starts_with("pi_"));
        let paid = db.store.invoice(&setting.account.id, &setting.invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_due), (InvoiceStatus::Paid, 0));
        // The PaymentIntent at Stripe charged the card with its customer.
        let pi = stripe_object(&format!("/v1/payment_intents/{}", attempt.provider_ref.as_deref().unwrap())).await;
        assert_eq!((pi["customer"].as_str(), pi["payment_method"].as_str(), pi["amount"].as_i64()), (Some(reference.as_str()), card.provider_ref.as_deref(), Some(setting.invoice.amount_due)));
    }

    async fn stripe_a_declined_card_keeps_the_invoice_open(db: Db) {
        let setting = customer_with_card(&db, "4000000000000341").await;
        let attempt = setting.pay(&db, "k1").await.unwrap();
        assert_eq!((attempt.status, attempt.decline_code), (PaymentAttemptStatus::Declined, Some(DeclineCode::CardDeclined)));
        assert_eq!(db.store.invoice(&setting.account.id, &setting.invoice.id).await.unwrap().status, InvoiceStatus::Open);
    }

    async fn stripe_a_charge_that_needs_the_customers_step_settles_after_it(db: Db) {
        let s = customer_with_card(&db, "4000000000003220").await;
        let attempt = s.pay(&db, "k1").await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::RequiresAction, "{attempt:?}");
        // The step's page names the attempt only, never the PaymentIntent's client secret.
        let url = attempt.action_url.clone().unwrap();
        assert_eq!(url, format!("https://acme.portal.example{}/{}", stripe::ACTION_PATH, attempt.id));
        // Before the step the attempt stays as it is.
        let pi = attempt.provider_ref.clone().unwrap();
        let returned = BTreeMap::from([("payment_intent".to_owned(), pi.clone())]);
        let by = op(&s.account.id);
        assert_conflict(payments::complete_action(&s.app, &by, None, &attempt.id, &returned, db.now()).await);
        // What Stripe.js does when the customer completes the step.
        localstripe().complete_payment_step(PUBLIC_KEY, &client_secret_of(&pi).await).await;
        let settled = payments::complete_action(&s.app, &by, None, &attempt.id, &returned, db.now()).await.unwrap();
        assert_eq!(settled.status, PaymentAttemptStatus::Succeeded);
        assert_eq!(db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap().status, InvoiceStatus::Paid);
    }

    async fn stripe_the_step_page_reads_the_client_secret_and_settles_a_step_that_is_over(db: Db) {
        let s = customer_with_card(&db, "4000000000003220").await;
        let attempt = s.pay(&db, "k1").await.unwrap();
        let pi = attempt.provider_ref.clone().unwrap();
        let by = op(&s.account.id);
        let step = payments::payment_step(&s.app, &by, &s.customer.id, &attempt.id, db.now()).await.unwrap();
        let payments::PaymentStep::Open { client_secret, public_key, attempt: open } = step else { panic!("the step is open: {step:?}") };
        assert_eq!((client_secret, public_key.as_str(), open.id), (client_secret_of(&pi).await, PUBLIC_KEY, attempt.id.clone()));
        // Another customer of the account does not see it.
        let other = db.customer(&s.account, None).await;
        assert_not_found(payments::payment_step(&s.app, &by, &other.id, &attempt.id, db.now()).await);
        // The customer completed the step but never came back: opening the page again reads
        // the PaymentIntent and settles the attempt.
        localstripe().complete_payment_step(PUBLIC_KEY, &client_secret_of(&pi).await).await;
        let over = payments::payment_step(&s.app, &by, &s.customer.id, &attempt.id, db.now()).await.unwrap();
        let payments::PaymentStep::Over(settled) = over else { panic!("the step is over: {over:?}") };
        assert_eq!(settled.status, PaymentAttemptStatus::Succeeded);
        let paid = db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid), (InvoiceStatus::Paid, s.invoice.amount_due));
        // Stripe's event arriving afterwards pays nothing twice.
        let body = event("payment_intent.succeeded", &format!("/v1/payment_intents/{pi}"), &format!("evt_{pi}")).await;
        let now = db.now();
        let header = signed(stripe::sign(b"whsec_portico_test", &body, now.as_millis() / 1000));
        let events = db.store.events(&s.account.id, first(100)).await.unwrap().data.len();
        assert_eq!(payments::receive_event(&s.app, &s.account.id, "stripe", &header, &body, now).await.unwrap(), payments::Received::Done);
        assert_eq!(db.store.events(&s.account.id, first(100)).await.unwrap().data.len(), events);
        let payments_made = db.store.list_transactions(&s.account.id, Default::default(), first(100)).await.unwrap().data;
        assert_eq!(payments_made.iter().filter(|t| t.invoice.as_ref() == Some(&s.invoice.id)).count(), 1, "{payments_made:?}");
        assert_eq!(localstripe().payment_intents_tagged(s.account.id.as_str()).await, 1);
    }

    async fn sec34_stripe_a_charge_whose_answer_is_lost_leaves_the_invoice_open_and_a_retry_charges_once(db: Db) {
        let s = customer_with_card(&db, "4242424242424242").await;
        // The same account, on a server whose calls to Stripe lose their answers.
        let lossy = db.app.clone().with_payments(
            Payments::new(Duration::from_millis(1_500))
                .with_stripe(Arc::new(StripeProvider::new(&answers_lost_on_the_way_back().await))),
        );
        let by = op(&s.account.id);
        let input = crate::payments::pay_input(&s.invoice, "k1");
        match payments::pay(&lossy, &by, input, db.now()).await {
            Err(AppError::Unavailable(m)) => assert!(m.contains("try again"), "{m}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        // Stripe charged; Portico does not know it yet: the attempt is recorded and pending, the
        // invoice open and unpaid, no payment recorded.
        assert_eq!(localstripe().payment_intents_tagged(s.account.id.as_str()).await, 1);
        let recent = db.store.recent_payment_attempts(&s.account.id, &s.customer.id, 10).await.unwrap();
        assert_eq!((recent.len(), recent[0].status, recent[0].transaction.as_ref()), (1, PaymentAttemptStatus::Pending, None));
        let open = db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap();
        assert_eq!((open.status, open.amount_paid), (InvoiceStatus::Open, 0));
        assert!(db.store.list_transactions(&s.account.id, TransactionFilter::default(), first(10)).await.unwrap().data.is_empty());
        // The retry with the same key reaches Stripe with the same idempotency key: Stripe
        // answers the charge it made, and no second one is made.
        let retried = s.pay(&db, "k1").await.unwrap();
        assert_eq!((retried.id, retried.status), (recent[0].id.clone(), PaymentAttemptStatus::Succeeded));
        assert_eq!(localstripe().payment_intents_tagged(s.account.id.as_str()).await, 1);
        let paid = db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid), (InvoiceStatus::Paid, s.invoice.amount_due));
        let payments_made = db.store.list_transactions(&s.account.id, TransactionFilter::default(), first(10)).await.unwrap().data;
        assert_eq!(payments_made.len(), 1, "{payments_made:?}");
    }

    async fn sec34_stripe_a_double_submit_makes_one_payment_intent(db: Db) {
        let s = Arc::new(customer_with_card(&db, "4242424242424242").await);
        let db = Arc::new(db);
        let mut tries = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (s, db) = (s.clone(), db.clone());
            tries.spawn(async move { s.pay(&db, "same").await });
        }
        let attempts: Vec<PaymentAttempt> = tries.join_all().await.into_iter().filter_map(Result::ok).collect();
        assert!(!attempts.is_empty() && attempts.iter().all(|a| a.id == attempts[0].id));
        // A request that crossed the first one's charge resumes it with the same key.
        assert_eq!(s.pay(&db, "same").await.unwrap().status, PaymentAttemptStatus::Succeeded);
        assert_eq!(localstripe().payment_intents_tagged(s.account.id.as_str()).await, 1);
        let paid = db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid), (InvoiceStatus::Paid, s.invoice.amount_due));
    }

    async fn sec37_stripe_card_numbers_are_never_stored(db: Db) {
        let numbers = ["4242424242424242", "4000000000000341", "4000000000003220"];
        let s = customer_with_card(&db, numbers[0]).await;
        for number in &numbers[1..] {
            add_stripe_card(&db, &s.app, &s.account, &s.customer, number).await;
        }
        s.pay(&db, "k1").await.unwrap();
        let (tables, stored) = stored_values(&db.db).await;
        assert!(tables.contains("payment_methods") && tables.contains("payment_provider_customers"));
        for secret in numbers.iter().copied().chain(["424242424242", "whsec_portico_test", "sk_test_"]) {
            let found: Vec<_> = stored.iter().filter(|(_, _, v)| v.windows(secret.len()).any(|w| w == secret.as_bytes())).map(|(t, c, _)| format!("{t}.{c}")).collect();
            assert!(found.is_empty(), "{secret} stored in {found:?}");
        }
    }

    async fn sec35_stripe_events_with_a_missing_wrong_or_stale_signature_change_nothing(db: Db) {
        let s = customer_with_card(&db, "4000000000003220").await;
        let attempt = s.pay(&db, "k1").await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::RequiresAction);
        let pi = attempt.provider_ref.clone().unwrap();
        localstripe().complete_payment_step(PUBLIC_KEY, &client_secret_of(&pi).await).await;
        let body = event("payment_intent.succeeded", &format!("/v1/payment_intents/{pi}"), &format!("evt_{pi}")).await;
        let now = db.now();
        let t = now.as_millis() / 1000;
        let receive = |headers: Vec<(String, String)>| {
            let (app, account, body) = (s.app.clone(), s.account.id.clone(), body.clone());
            async move { payments::receive_event(&app, &account, "stripe", &headers, &body, now).await }
        };
        let good = stripe::sign(b"whsec_portico_test", &body, t);
        for refused in [
            vec![],
            signed(stripe::sign(b"whsec_another_secret", &body, t)),
            signed(stripe::sign(b"whsec_portico_test", &body, t - stripe::EVENT_TOLERANCE_SECS - 1)),
            signed(stripe::sign(b"whsec_portico_test", b"{}", t)),
            signed(good.replace("v1=", "v0=")),
        ] {
            assert_invalid(receive(refused).await, "signature");
            assert_eq!(db.store.payment_attempt(&s.account.id, &attempt.id).await.unwrap().status, PaymentAttemptStatus::RequiresAction);
            assert_eq!(db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap().status, InvoiceStatus::Open);
        }
        // Another provider's path for the account is refused as well.
        assert_invalid(payments::receive_event(&s.app, &s.account.id, "test", &signed(good.clone()), &body, now).await, "signature");

        assert_eq!(receive(signed(good.clone())).await.unwrap(), payments::Received::Done);
        assert_eq!(db.store.payment_attempt(&s.account.id, &attempt.id).await.unwrap().status, PaymentAttemptStatus::Succeeded);
        assert_eq!(db.store.invoice(&s.account.id, &s.invoice.id).await.unwrap().status, InvoiceStatus::Paid);
        // The same event again changes nothing.
        let events = db.store.events(&s.account.id, first(100)).await.unwrap().data.len();
        assert_eq!(receive(signed(good)).await.unwrap(), payments::Received::Repeated);
        assert_eq!(db.store.events(&s.account.id, first(100)).await.unwrap().data.len(), events);
    }

    async fn stripe_a_setup_intent_event_keeps_the_card_once(db: Db) {
        let app = stripe_app(&db);
        let account = db.account("acme").await;
        with_stripe(&db, &app, &account).await;
        let customer = db.customer(&account, None).await;
        let input = SetupInput { customer: customer.id.clone(), return_url: "https://acme.portal.example/portal/payment-methods".into() };
        let SetupStart::Embedded { client_secret, .. } = payments::begin_setup(&app, &op(&account.id), input, db.now()).await.unwrap() else { panic!("embedded") };
        // The customer confirmed the card but never came back to the portal.
        let seti = localstripe().confirm_setup(PUBLIC_KEY, &client_secret, "4242424242424242").await;
        let body = event("setup_intent.succeeded", &format!("/v1/setup_intents/{seti}"), &format!("evt_{seti}")).await;
        let now = db.now();
        let header = signed(stripe::sign(b"whsec_portico_test", &body, now.as_millis() / 1000));
        assert_eq!(payments::receive_event(&app, &account.id, "stripe", &header, &body, now).await.unwrap(), payments::Received::Done);
        assert_eq!(payments::receive_event(&app, &account.id, "stripe", &header, &body, now).await.unwrap(), payments::Received::Repeated);
        let cards = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await.unwrap().data;
        assert_eq!(cards.len(), 1);
        assert_eq!((cards[0].last4.as_str(), cards[0].is_default), ("4242", true));
        // The customer's return after the event finds the same card.
        let returned = BTreeMap::from([("setup_intent".to_owned(), seti)]);
        let again = payments::complete_setup(&app, &op(&account.id), &customer.id, &returned, None, now).await.unwrap();
        assert_eq!(again.id, cards[0].id);
    }
}
