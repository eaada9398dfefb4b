//! Payments through the test provider: cards added on its page, invoices paid, declined and
//! challenged; a double submit charges once; a provider that does not answer leaves a pending
//! attempt and an open invoice; secrets and card numbers are never stored.

use std::collections::BTreeMap;
use std::time::Duration;

use portico_app::payments;
use portico_app::payments::test_provider::{self, CardForm};
use portico_app::payments::{
    PayInput, Payments, ProviderSettings, SetupInput, SetupStart, TestProvider,
};

use super::*;

/// The account's provider set to `test`.
pub(super) async fn with_test_provider(db: &Db, account: &Account) {
    payments::configure(
        &db.app,
        &op(&account.id),
        ProviderSettings {
            provider: "test".into(),
            ..Default::default()
        },
        db.now(),
    )
    .await
    .unwrap();
}

/// A card added the way a customer adds one: the provider's page, then back to the portal.
pub(super) async fn add_card(
    db: &Db,
    app: &App,
    account: &Account,
    customer: &Customer,
    number: &str,
) -> AppResult<PaymentMethod> {
    let by = op(&account.id);
    let input = SetupInput {
        customer: customer.id.clone(),
        return_url: "https://acme.portal.example/portal/payment-method/added".into(),
    };
    let SetupStart::Redirect { url } = payments::begin_setup(app, &by, input, db.now()).await?
    else {
        panic!("the test provider has its own page");
    };
    let token = url.rsplit('/').next().unwrap();
    assert!(
        url.starts_with(&format!(
            "https://{}.portal.example/test-provider/setup/",
            account.subdomain
        )),
        "{url}"
    );
    let page = test_provider::setup_page(app, token).await?;
    assert!(page.return_url.ends_with("/portal/payment-method/added"));
    let card = CardForm {
        number: number.into(),
        expiry: "12/30".into(),
        cvc: "123".into(),
    };
    let back = test_provider::submit_card(app, token, &card, db.now()).await?;
    payments::complete_setup(app, &by, &customer.id, &returned(&back), None, db.now()).await
}

/// The query the provider added to a return URL.
pub(super) fn returned(url: &str) -> BTreeMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(super) fn pay_input(invoice: &Invoice, key: &str) -> PayInput {
    PayInput {
        invoice: invoice.id.clone(),
        payment_method: None,
        idempotency_key: key.into(),
        customer: None,
    }
}

backend_tests! {
    async fn a_card_added_on_the_providers_page_pays_an_invoice(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, None).await;
        let invoice = db.invoice(&account, &customer).await;
        assert_conflict(add_card(&db, &db.app, &account, &customer, "4242424242424242").await);
        with_test_provider(&db, &account).await;
        let card = add_card(&db, &db.app, &account, &customer, "4242 4242 4242 4242").await.unwrap();
        assert_eq!((card.brand.as_deref(), card.last4.as_str(), card.is_default), (Some("visa"), "4242", true));
        assert!(card.provider_ref.as_deref().unwrap().starts_with("tpm_"));
        assert_invalid(add_card(&db, &db.app, &account, &customer, "4242424242424241").await, "number");

        let attempt = payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::Succeeded);
        assert_eq!(attempt.amount, invoice.amount_due);
        let paid = db.store.invoice(&account.id, &invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_due), (InvoiceStatus::Paid, 0));
        let txn = db.store.transaction(&account.id, attempt.transaction.as_ref().unwrap()).await.unwrap();
        assert_eq!((txn.status, txn.amount, txn.payment_method.as_ref()), (TransactionStatus::Succeeded, invoice.amount_due, Some(&card.id)));
        // The same key answers the same attempt; a new one finds nothing left to pay.
        let again = payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await.unwrap();
        assert_eq!(again, attempt);
        assert!(assert_conflict(payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k2"), db.now()).await).contains("already paid"));
        let kinds: Vec<String> = db.store.events(&account.id, first(50)).await.unwrap().data.iter().map(|e| e.kind.to_string()).collect();
        for kind in ["payment.succeeded", "invoice.paid", "transaction.created", "payment_method.attached", "payment_provider.updated"] {
            assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
        }
    }

    async fn a_decline_keeps_the_invoice_open_and_records_why(db: Db) {
        let account = db.account("acme").await;
        with_test_provider(&db, &account).await;
        let customer = db.customer(&account, None).await;
        let invoice = db.invoice(&account, &customer).await;
        let poor = add_card(&db, &db.app, &account, &customer, "4000 0000 0000 9995").await.unwrap();
        let attempt = payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await.unwrap();
        assert_eq!((attempt.status, attempt.decline_code), (PaymentAttemptStatus::Declined, Some(DeclineCode::InsufficientFunds)));
        assert_eq!(db.store.invoice(&account.id, &invoice.id).await.unwrap().status, InvoiceStatus::Open);
        let failed = db.store.transaction(&account.id, attempt.transaction.as_ref().unwrap()).await.unwrap();
        assert_eq!((failed.status, failed.description.as_deref()), (TransactionStatus::Failed, Some("insufficient_funds")));
        // A retry with another card (new key) pays it.
        let good = add_card(&db, &db.app, &account, &customer, "4242424242424242").await.unwrap();
        assert!(!good.is_default, "a card added beside a usable default does not take over");
        let mut retry = pay_input(&invoice, "k2");
        retry.payment_method = Some(good.id.clone());
        let attempt = payments::pay(&db.app, &op(&account.id), retry, db.now()).await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::Succeeded);
        assert_eq!(attempt.payment_method, good.id);
        let recent = db.store.recent_payment_attempts(&account.id, &customer.id, 10).await.unwrap();
        assert_eq!(recent.iter().map(|a| a.status).collect::<Vec<_>>(), vec![PaymentAttemptStatus::Succeeded, PaymentAttemptStatus::Declined]);
        assert_eq!(recent[1].payment_method, poor.id);
    }

    async fn a_challenge_is_completed_on_the_providers_page(db: Db) {
        let account = db.account("acme").await;
        with_test_provider(&db, &account).await;
        let customer = db.customer(&account, None).await;
        let invoice = db.invoice(&account, &customer).await;
        add_card(&db, &db.app, &account, &customer, "4000 0000 0000 3220").await.unwrap();
        let attempt = payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await.unwrap();
        assert_eq!(attempt.status, PaymentAttemptStatus::RequiresAction);
        let url = attempt.action_url.clone().unwrap();
        let token = url.rsplit('/').next().unwrap();
        let page = test_provider::challenge_page(&db.app, token).await.unwrap();
        assert_eq!((page.amount, page.return_url.contains(attempt.id.as_str())), (invoice.amount_due, true));
        assert_eq!(db.store.invoice(&account.id, &invoice.id).await.unwrap().status, InvoiceStatus::Open);

        // A failed step declines; a new try starts a new challenge, which passes.
        let back = test_provider::answer_challenge(&db.app, token, false).await.unwrap();
        let failed = payments::complete_action(&db.app, &op(&account.id), None, &attempt.id, &returned(&back), db.now()).await.unwrap();
        assert_eq!((failed.status, failed.decline_code), (PaymentAttemptStatus::Declined, Some(DeclineCode::AuthenticationFailed)));
        let second = payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k2"), db.now()).await.unwrap();
        let token = second.action_url.as_deref().unwrap().rsplit('/').next().unwrap().to_owned();
        let back = test_provider::answer_challenge(&db.app, &token, true).await.unwrap();
        // Another customer's session cannot complete it; a result of another charge does not either.
        let stranger = db.customer(&account, None).await;
        assert_not_found(payments::complete_action(&db.app, &op(&account.id), Some(&stranger.id), &second.id, &returned(&back), db.now()).await);
        assert_conflict(payments::complete_action(&db.app, &op(&account.id), None, &second.id, &returned(&test_provider::answer_challenge(&db.app, attempt.action_url.as_deref().unwrap().rsplit('/').next().unwrap(), true).await.unwrap()), db.now()).await);
        let done = payments::complete_action(&db.app, &op(&account.id), Some(&customer.id), &second.id, &returned(&back), db.now()).await.unwrap();
        assert_eq!(done.status, PaymentAttemptStatus::Succeeded);
        // Coming back twice (a reload) changes nothing.
        let again = payments::complete_action(&db.app, &op(&account.id), None, &second.id, &returned(&back), db.now()).await.unwrap();
        assert_eq!(again, done);
        assert_eq!(db.store.invoice(&account.id, &invoice.id).await.unwrap().status, InvoiceStatus::Paid);
        let payments = db.store.list_transactions(&account.id, TransactionFilter { invoice: Some(invoice.id.clone()), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(payments.data.iter().filter(|t| t.status == TransactionStatus::Succeeded).count(), 1);
    }

    async fn sec34_a_double_submit_charges_once(db: Db) {
        let provider = Arc::new(TestProvider::default());
        let app = db.app.clone().with_payments(Payments::new(Duration::from_secs(20)).with_test_provider(provider.clone()));
        let account = db.account("acme").await;
        with_test_provider(&db, &account).await;
        let customer = db.customer(&account, None).await;
        let invoice = db.invoice(&account, &customer).await;
        add_card(&db, &app, &account, &customer, "4242424242424242").await.unwrap();
        let now = db.now();
        let mut tries = tokio::task::JoinSet::new();
        for _ in 0..6 {
            let (app, by, input) = (app.clone(), op(&account.id), pay_input(&invoice, "same"));
            tries.spawn(async move { payments::pay(&app, &by, input, now).await });
        }
        let attempts: Vec<PaymentAttempt> = tries.join_all().await.into_iter().map(|a| a.unwrap()).collect();
        assert!(attempts.iter().all(|a| a.id == attempts[0].id && a.status == PaymentAttemptStatus::Succeeded), "{attempts:?}");
        assert_eq!(provider.charges(&account.id), 1);
        let all = db.store.list_transactions(&account.id, TransactionFilter::default(), first(10)).await.unwrap();
        assert_eq!(all.data.len(), 1);
        let paid = db.store.invoice(&account.id, &invoice.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid), (InvoiceStatus::Paid, invoice.amount_due));
    }

    async fn sec34_a_provider_that_does_not_answer_leaves_a_pending_attempt_and_an_open_invoice(db: Db) {
        let app = db.app.clone().with_payments(Payments::new(Duration::from_millis(300)).with_test_provider(Arc::new(TestProvider::default())));
        let account = db.account("acme").await;
        with_test_provider(&db, &account).await;
        let customer = db.customer(&account, None).await;
        let invoice = db.invoice(&account, &customer).await;
        add_card(&db, &app, &account, &customer, "4000 0000 0000 0119").await.unwrap();
        match payments::pay(&app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await {
            Err(AppError::Unavailable(m)) => assert!(m.contains("try again"), "{m}"),
            other => panic!("expected Unavailable, got {other:?}"),
        }
        let recent = db.store.recent_payment_attempts(&account.id, &customer.id, 10).await.unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!((recent[0].status, recent[0].transaction.as_ref()), (PaymentAttemptStatus::Pending, None));
        let still = db.store.invoice(&account.id, &invoice.id).await.unwrap();
        assert_eq!((still.status, still.amount_paid), (InvoiceStatus::Open, 0));
        assert!(db.store.list_transactions(&account.id, TransactionFilter::default(), first(10)).await.unwrap().data.is_empty());
        // Another key cannot start a second charge meanwhile; the same key resumes the first.
        let started = recent[0].updated_at;
        let soon = Timestamp::from_millis(started.as_millis() + 500);
        assert!(assert_conflict(payments::pay(&app, &op(&account.id), pay_input(&invoice, "k2"), soon).await).contains("in progress"));
        assert!(matches!(payments::pay(&app, &op(&account.id), pay_input(&invoice, "k1"), soon).await, Err(AppError::Unavailable(_))));
        // Long after any request's calls, another key resumes the pending attempt with its own
        // key instead of starting a second charge.
        let later = Timestamp::from_millis(started.as_millis() + 3_600_000);
        assert!(matches!(payments::pay(&app, &op(&account.id), pay_input(&invoice, "k3"), later).await, Err(AppError::Unavailable(_))));
        let attempts = db.store.recent_payment_attempts(&account.id, &customer.id, 10).await.unwrap();
        assert_eq!((attempts.len(), attempts[0].idempotency_key.as_str()), (1, "k1"));
    }

    async fn sec37_provider_secrets_are_sealed_and_card_numbers_never_stored(db: Db) {
        let account = db.account("acme").await;
        let settings = ProviderSettings {
            provider: "test".into(),
            secret: Some(zeroize::Zeroizing::new("sk_test_7f3a9c2e5b1d".to_owned())),
            public_key: Some("pk_test_public".into()),
            webhook_secret: Some(zeroize::Zeroizing::new("whsec_41b8e0d6".to_owned())),
        };
        let summary = payments::configure(&db.app, &op(&account.id), settings, db.now()).await.unwrap();
        assert!(summary.secret_set && summary.webhook_secret_set);
        assert_invalid(payments::configure(&db.app, &op(&account.id), ProviderSettings { provider: "paypal".into(), ..Default::default() }, db.now()).await, "provider");
        let customer = db.customer(&account, None).await;
        for number in ["4242424242424242", "4000000000009995", "4000000000003220", "4000000000000069"] {
            add_card(&db, &db.app, &account, &customer, number).await.unwrap();
        }
        let invoice = db.invoice(&account, &customer).await;
        payments::pay(&db.app, &op(&account.id), pay_input(&invoice, "k1"), db.now()).await.unwrap();
        let (tables, stored) = stored_values(&db.db).await;
        for table in ["payment_providers", "payment_attempts", "payment_methods"] {
            assert!(tables.contains(table), "{table} scanned");
        }
        for secret in ["sk_test_7f3a9c2e5b1d", "whsec_41b8e0d6", "4242424242424242", "4000000000009995", "4000000000003220", "4000000000000069", "424242424242"] {
            let found: Vec<_> = stored.iter().filter(|(_, _, v)| v.windows(secret.len()).any(|w| w == secret.as_bytes())).map(|(t, c, _)| format!("{t}.{c}")).collect();
            assert!(found.is_empty(), "{secret} stored in {found:?}");
        }
        assert!(stored.iter().any(|(t, c, v)| t == "payment_providers" && c == "public_key" && v == b"pk_test_public"));
    }
}
