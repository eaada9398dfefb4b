//! Refunds through the seam, with the test provider and with Stripe (localstripe): in part, the
//! rest, never more than was paid, once per key, each a refund transaction naming its payment.

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
    let refunds = db
        .store
        .list_transactions(
            &account.id,
            TransactionFilter {
                invoice: payment.invoice.clone(),
                ..Default::default()
            },
            first(10),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(
        refunds
            .iter()
            .filter(|t| t.kind == TransactionKind::Refund)
            .count(),
        2
    );
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

backend_tests! {
    async fn a_test_provider_payment_is_refunded_in_part_then_in_full(db: Db) {
        let account = db.account("acme").await;
        with_test_provider(&db, &account).await;
        let payment = paid(&db, &db.app, &account, false).await;
        refunds_in_part_then_the_rest(&db, &db.app, &account, &payment).await;
    }

    async fn a_stripe_payment_is_refunded_in_part_then_in_full(db: Db) {
        let app = stripe_app(&db);
        let account = db.account("acme").await;
        with_stripe(&db, &app, &account).await;
        let payment = paid(&db, &app, &account, true).await;
        refunds_in_part_then_the_rest(&db, &app, &account, &payment).await;
        // Stripe holds the two refunds, the repeated request made no third.
        assert_eq!(localstripe_refunds(&account.id).await, vec![payment.amount - 1000, 1000]);
    }
}
