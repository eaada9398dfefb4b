//! Refunds through the seam, with the test provider and with Stripe (localstripe): in part, the
//! rest, never more than was paid (also when refunds under different keys cross), once per key,
//! each a refund transaction naming its payment.

use portico_app::payments::{self, RefundInput};

use super::payments::{add_card, pay_input, with_test_provider};
use super::stripe::{localstripe_refunds, stripe_app, with_stripe};
use super::*;

/// Pays an invoice of a new customer with a card that succeeds; answers the payment.
async fn paid(db: &Db, app: &App, account: &Account, stripe: bool) -> Transaction {
    let customer = db.customer(account, None).await;
    let invoice = db.invoice(account, &customer).await;
    if stripe {
        super::stripe::add_stripe_card(db, app, account, &customer, "4242424242424242").await;
    } else {
        add_card(db, app, account, &customer, "4242424242424242")
            .await
            .unwrap();
    }
    let attempt = payments::pay(app, &op(&account.id), pay_input(&invoice, "k1"), db.now())
        .await
        .unwrap();
    db.store
        .transaction(&account.id, attempt.transaction.as_ref().unwrap())
        .await
        .unwrap()
}

/// The refund transactions recorded against the payment's invoice.
async fn refunds_recorded(db: &Db, account: &Account, payment: &Transaction) -> Vec<Transaction> {
    let filter = TransactionFilter {
        invoice: payment.invoice.clone(),
        ..Default::default()
    };
    let all = db
        .store
        .list_transactions(&account.id, filter, first(10))
        .await;
    let all = all.unwrap().data.into_iter();
    all.filter(|t| t.kind == TransactionKind::Refund).collect()
}

async fn refunds_in_part_then_the_rest(
    db: &Db,
    app: &App,
    account: &Account,
    payment: &Transaction,
) {
    let by = op(&account.id);
    let input = |amount: Option<i64>, key: &str| RefundInput {
        transaction: payment.id.clone(),
        amount,
        idempotency_key: key.into(),
    };
    let part = payments::refund(app, &by, input(Some(1000), "r1"), db.now())
        .await
        .unwrap();
    assert_eq!(
        (part.kind, part.status, part.amount, part.invoice.as_ref()),
        (
            TransactionKind::Refund,
            TransactionStatus::Succeeded,
            1000,
            payment.invoice.as_ref()
        )
    );
    assert!(
        part.description
            .as_deref()
            .unwrap()
            .starts_with(&format!("Refund of {}", payment.id))
    );
    // The same key refunds once.
    let again = payments::refund(app, &by, input(Some(1000), "r1"), db.now())
        .await
        .unwrap();
    assert_eq!(again.id, part.id);
    assert_invalid(
        payments::refund(app, &by, input(Some(payment.amount), "r2"), db.now()).await,
        "amount",
    );
    let rest = payments::refund(app, &by, input(None, "r3"), db.now())
        .await
        .unwrap();
    assert_eq!(rest.amount, payment.amount - 1000);
    assert_invalid(
        payments::refund(app, &by, input(None, "r4"), db.now()).await,
        "amount",
    );
    assert_eq!(refunds_recorded(db, account, payment).await.len(), 2);
    // Only a succeeded payment is refunded.
    assert_conflict(
        payments::refund(
            app,
            &by,
            RefundInput {
                transaction: rest.id.clone(),
                amount: None,
                idempotency_key: "r5".into(),
            },
            db.now(),
        )
        .await,
    );
}

/// Refunds of the whole payment asked at once under different keys: one is made, the others are
/// refused as more than is left; what is recorded (and, for Stripe, refunded) is the payment.
async fn concurrent_refunds_refund_at_most_what_was_paid(
    db: &Db,
    app: &App,
    account: &Account,
    payment: &Transaction,
) {
    let now = db.now();
    let mut tries = tokio::task::JoinSet::new();
    for key in ["c1", "c2", "c3", "c4"] {
        let (app, by) = (app.clone(), op(&account.id));
        let input = RefundInput {
            transaction: payment.id.clone(),
            amount: Some(payment.amount),
            idempotency_key: key.into(),
        };
        tries.spawn(async move { payments::refund(&app, &by, input, now).await });
    }
    let results = tries.join_all().await;
    let made: Vec<&Transaction> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(made.len(), 1, "{results:?}");
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(refused, AppError::Invalid(_) | AppError::Conflict(_)),
            "{refused:?}"
        );
    }
    let recorded: i64 = refunds_recorded(db, account, payment)
        .await
        .iter()
        .filter(|t| t.status != TransactionStatus::Failed)
        .map(|t| t.amount)
        .sum();
    assert_eq!(recorded, payment.amount);
}

/// An account on the test provider, or on Stripe (localstripe), with a payment made through it.
async fn account_with_payment(db: &Db, stripe: bool) -> (App, Account, Transaction) {
    let app = if stripe {
        stripe_app(db)
    } else {
        db.app.clone()
    };
    let account = db.account("acme").await;
    if stripe {
        with_stripe(db, &app, &account).await;
    } else {
        with_test_provider(db, &account).await;
    }
    let payment = paid(db, &app, &account, stripe).await;
    (app, account, payment)
}

backend_tests! {
    async fn concurrent_test_provider_refunds_refund_at_most_what_was_paid(db: Db) {
        let (app, account, payment) = account_with_payment(&db, false).await;
        concurrent_refunds_refund_at_most_what_was_paid(&db, &app, &account, &payment).await;
    }

    async fn concurrent_stripe_refunds_refund_at_most_what_was_paid(db: Db) {
        let (app, account, payment) = account_with_payment(&db, true).await;
        concurrent_refunds_refund_at_most_what_was_paid(&db, &app, &account, &payment).await;
        assert_eq!(localstripe_refunds(&account.id).await, vec![payment.amount]);
    }

    async fn a_test_provider_payment_is_refunded_in_part_then_in_full(db: Db) {
        let (app, account, payment) = account_with_payment(&db, false).await;
        refunds_in_part_then_the_rest(&db, &app, &account, &payment).await;
    }

    async fn a_stripe_payment_is_refunded_in_part_then_in_full(db: Db) {
        let (app, account, payment) = account_with_payment(&db, true).await;
        refunds_in_part_then_the_rest(&db, &app, &account, &payment).await;
        // Stripe holds the two refunds, the repeated request made no third.
        assert_eq!(localstripe_refunds(&account.id).await, vec![payment.amount - 1000, 1000]);
    }
}
