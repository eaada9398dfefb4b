//! Changes of plan: the preview is what confirming charges, and two confirmations of one
//! preview at once change the subscription once. With a provider and a card, what a change
//! costs now is charged: the change is made when the charge succeeds (at once, or after the
//! customer's step) and withdrawn, its invoice void, when it is declined.

use std::time::Duration;

use super::payments::{add_card, returned, with_test_provider};
use super::*;
use portico_app::payments::test_provider;
use portico_app::payments::{self as pay, Payments, TestProvider};
use portico_app::plan_changes::{self, ChangeInput};
use portico_app::subscriptions::{self, Changed, Collection, Requester};

/// A customer on a plan, ten days into the period, and the preview of an upgrade to a dearer
/// plan; with `card`, the account takes payments through the test provider and the customer's
/// default card is that test number.
struct Upgrade {
    app: App,
    provider: Arc<TestProvider>,
    account: Account,
    customer: Customer,
    sub: Subscription,
    team: Plan,
    by: Caller,
    input: ChangeInput,
    now: Timestamp,
    quote: ChangeQuote,
}

async fn upgrade(db: &Db, card: Option<&str>) -> Upgrade {
    let provider = Arc::new(TestProvider::default());
    let app = db
        .app
        .clone()
        .with_payments(Payments::new(Duration::from_secs(20)).with_test_provider(provider.clone()));
    let last4: String = card
        .unwrap_or("none")
        .chars()
        .filter(char::is_ascii_digit)
        .skip(12)
        .collect();
    let account = db.account(&format!("charged{last4}")).await;
    let customer = db.customer(&account, None).await;
    if let Some(card) = card {
        with_test_provider(db, &account).await;
        add_card(db, &app, &account, &customer, card).await.unwrap();
    }
    let product = db.product(&account).await;
    let pro = db.plan(&account, &product, 0).await;
    let mut team = new_plan(&product, 0);
    team.unit_amount = 9900;
    let team = catalog::create_plan(&app, &op(&account.id), team, db.now())
        .await
        .unwrap();
    let sub = db.subscription(&account, &customer, &pro).await;
    let by = Caller::portal(account.id.clone(), PortalSessionId::new(db.now(), [3; 10]));
    let input = ChangeInput {
        plan: team.id.clone(),
        quantity: 2,
    };
    let now = Timestamp::from_millis(sub.current_period_start.as_millis() + 10 * 86_400_000);
    let who = Requester::Customer(&customer.id);
    let quote = plan_changes::preview(&app, &by, who, &sub.id, &input, None, now)
        .await
        .unwrap()
        .quote;
    assert!(quote.due_now > 0);
    Upgrade {
        app,
        provider,
        account,
        customer,
        sub,
        team,
        by,
        input,
        now,
        quote,
    }
}

impl Upgrade {
    async fn confirm(&self) -> AppResult<Changed> {
        let who = Requester::Customer(&self.customer.id);
        plan_changes::confirm(
            &self.app,
            &self.by,
            who,
            &self.sub.id,
            &self.input,
            &self.quote,
            self.now,
        )
        .await
    }

    async fn invoices(&self, db: &Db) -> Vec<Invoice> {
        let filter = InvoiceFilter {
            subscription: Some(self.sub.id.clone()),
            ..InvoiceFilter::default()
        };
        db.store
            .list_invoices(&self.account.id, filter, first(10))
            .await
            .unwrap()
            .data
    }
}

fn attempt_of(changed: &Changed) -> &PaymentAttempt {
    match &changed.collection {
        Collection::Charged(attempt) => attempt,
        other => panic!("not charged: {other:?}"),
    }
}

backend_tests! {
    async fn a_double_confirmation_changes_the_subscription_once(db: Db) {
        let account = db.account("double").await;
        let customer = db.customer(&account, None).await;
        let product = db.product(&account).await;
        let pro = db.plan(&account, &product, 0).await;
        let mut team = new_plan(&product, 0);
        team.unit_amount = 9900;
        let team = catalog::create_plan(&db.app, &op(&account.id), team, db.now()).await.unwrap();
        let sub = db.subscription(&account, &customer, &pro).await;
        let by = Caller::portal(account.id.clone(), PortalSessionId::new(db.now(), [3; 10]));
        let who = Requester::Customer(&customer.id);
        let input = ChangeInput { plan: team.id.clone(), quantity: 2 };
        // Ten days into the period.
        let now = Timestamp::from_millis(sub.current_period_start.as_millis() + 10 * 86_400_000);
        let preview = plan_changes::preview(&db.app, &by, who, &sub.id, &input, None, now).await.unwrap();
        assert!(preview.quote.due_now > 0);
        let confirm = || plan_changes::confirm(&db.app, &by, who, &sub.id, &input, &preview.quote, now);
        let (a, b) = tokio::join!(confirm(), confirm());
        assert_eq!(usize::from(a.is_ok()) + usize::from(b.is_ok()), 1, "{a:?} {b:?}");
        let changed = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(changed.plan, team.id);
        let invoices = db
            .store
            .list_invoices(&account.id, InvoiceFilter { subscription: Some(sub.id.clone()), ..InvoiceFilter::default() }, first(10))
            .await
            .unwrap()
            .data;
        assert_eq!(invoices.len(), 1, "one proration invoice");
        assert_eq!(invoices[0].total, preview.quote.due_now);
        assert_eq!(invoices[0].status, InvoiceStatus::Open);
        // The quote shown must be the one the server makes now: a day later a prorated one is
        // not (a downgrade, scheduled for the period's end, would be).
        let back = ChangeInput { plan: team.id.clone(), quantity: 3 };
        let shown = plan_changes::preview(&db.app, &by, who, &sub.id, &back, None, now).await.unwrap().quote;
        let later = Timestamp::from_millis(now.as_millis() + 86_400_000);
        assert_conflict(plan_changes::confirm(&db.app, &by, who, &sub.id, &back, &shown, later).await);
        // Another customer's subscription is not found.
        let stranger = db.customer(&account, None).await;
        let who = Requester::Customer(&stranger.id);
        assert_not_found(plan_changes::preview(&db.app, &by, who, &sub.id, &back, None, now).await);
    }

    async fn an_upgrade_with_a_card_that_succeeds_is_paid_and_made_in_one_confirmation(db: Db) {
        let u = upgrade(&db, Some("4242 4242 4242 4242")).await;
        let changed = u.confirm().await.unwrap();
        assert_eq!(attempt_of(&changed).status, PaymentAttemptStatus::Succeeded);
        assert_eq!((&changed.subscription.plan, changed.subscription.quantity), (&u.team.id, 2));
        assert_eq!(changed.subscription.scheduled_change, None);
        let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
        assert_eq!(stored, changed.subscription);
        assert_eq!((stored.current_period_start, stored.current_period_end), (u.quote.period_start, u.quote.period_end));
        let invoices = u.invoices(&db).await;
        assert_eq!(invoices.len(), 1);
        assert_eq!((invoices[0].status, invoices[0].amount_paid), (InvoiceStatus::Paid, u.quote.due_now));
        assert_eq!(u.provider.charges(&u.account.id), 1);
        // Confirming the same preview again changes and charges nothing more.
        assert!(matches!(u.confirm().await, Err(AppError::Invalid(_))));
        assert_eq!(u.provider.charges(&u.account.id), 1);
    }

    async fn a_double_confirmation_with_a_card_charges_once(db: Db) {
        let u = upgrade(&db, Some("4242 4242 4242 4242")).await;
        let (a, b) = tokio::join!(u.confirm(), u.confirm());
        // The second either charges the invoice the first opened with the same key, or finds
        // the change made (a conflict): never a second invoice or charge.
        let made: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert!(!made.is_empty());
        for changed in &made {
            assert_eq!(attempt_of(changed).status, PaymentAttemptStatus::Succeeded);
        }
        assert_eq!(u.provider.charges(&u.account.id), 1);
        let invoices = u.invoices(&db).await;
        assert_eq!(invoices.len(), 1, "one proration invoice");
        assert_eq!(invoices[0].status, InvoiceStatus::Paid);
        let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
        assert_eq!((stored.plan, stored.scheduled_change), (u.team.id.clone(), None));
    }

    async fn a_declined_upgrade_leaves_the_subscription_unchanged_and_voids_its_invoice(db: Db) {
        let u = upgrade(&db, Some("4000 0000 0000 0002")).await;
        let changed = u.confirm().await.unwrap();
        let attempt = attempt_of(&changed);
        assert_eq!((attempt.status, attempt.decline_code), (PaymentAttemptStatus::Declined, Some(DeclineCode::CardDeclined)));
        let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
        assert_eq!(stored, changed.subscription);
        assert_eq!((&stored.plan, stored.quantity, &stored.scheduled_change), (&u.sub.plan, u.sub.quantity, &None));
        assert_eq!((stored.current_period_start, stored.current_period_end), (u.sub.current_period_start, u.sub.current_period_end));
        let invoices = u.invoices(&db).await;
        assert_eq!(invoices.len(), 1);
        assert_eq!(invoices[0].status, InvoiceStatus::Void);
        let newest = db.store.events(&u.account.id, first(5)).await.unwrap().data;
        assert!(newest.iter().any(|e| e.kind.as_str() == "invoice.voided"), "{newest:?}");
    }

    async fn an_upgrade_that_needs_a_challenge_is_made_when_the_challenge_passes(db: Db) {
        let u = upgrade(&db, Some("4000 0000 0000 3220")).await;
        let changed = u.confirm().await.unwrap();
        let attempt = attempt_of(&changed).clone();
        assert_eq!(attempt.status, PaymentAttemptStatus::RequiresAction);
        // Waiting for the customer's step: the plan is as it was, the change waits for the invoice.
        assert_eq!(changed.subscription.plan, u.sub.plan);
        let invoice = u.invoices(&db).await.remove(0);
        assert_eq!(invoice.status, InvoiceStatus::Open);
        let waiting = changed.subscription.scheduled_change.clone().unwrap();
        assert_eq!((&waiting.plan, waiting.awaited_invoice()), (&u.team.id, Some(&invoice.id)));
        // Confirming again while it waits charges the same invoice with the same key: once.
        let again = u.confirm().await.unwrap();
        assert_eq!(attempt_of(&again).id, attempt.id);
        assert_eq!((u.provider.charges(&u.account.id), u.invoices(&db).await.len()), (1, 1));
        // Withdrawing it is refused: only the payment's outcome settles it.
        let who = Requester::Customer(&u.customer.id);
        assert_conflict(plan_changes::withdraw(&u.app, &u.by, who, &u.sub.id, u.now).await);
        let token = attempt.action_url.as_deref().unwrap().rsplit('/').next().unwrap();
        let back = test_provider::answer_challenge(&u.app, token, true).await.unwrap();
        let done = pay::complete_action(&u.app, &u.by, Some(&u.customer.id), &attempt.id, &returned(&back), u.now).await.unwrap();
        assert_eq!(done.status, PaymentAttemptStatus::Succeeded);
        let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
        assert_eq!((&stored.plan, stored.quantity, &stored.scheduled_change), (&u.team.id, 2, &None));
        assert_eq!(stored.current_period_end, u.quote.period_end);
        assert_eq!(db.store.invoice(&u.account.id, &invoice.id).await.unwrap().status, InvoiceStatus::Paid);
    }

    async fn a_failed_challenge_withdraws_the_upgrade(db: Db) {
        let u = upgrade(&db, Some("4000 0000 0000 3220")).await;
        let attempt = attempt_of(&u.confirm().await.unwrap()).clone();
        let token = attempt.action_url.as_deref().unwrap().rsplit('/').next().unwrap();
        let back = test_provider::answer_challenge(&u.app, token, false).await.unwrap();
        let done = pay::complete_action(&u.app, &u.by, None, &attempt.id, &returned(&back), u.now).await.unwrap();
        assert_eq!(done.status, PaymentAttemptStatus::Declined);
        let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
        assert_eq!((&stored.plan, &stored.scheduled_change), (&u.sub.plan, &None));
        assert_eq!(u.invoices(&db).await[0].status, InvoiceStatus::Void);
    }

    async fn without_a_provider_the_upgrade_is_made_and_its_invoice_left_open(db: Db) {
        let u = upgrade(&db, None).await;
        assert!(!subscriptions::can_charge(&u.app, &u.by, &u.customer.id, u.now).await.unwrap());
        let changed = u.confirm().await.unwrap();
        let Collection::LeftOpen(invoice) = &changed.collection else { panic!("{:?}", changed.collection) };
        assert_eq!((invoice.status, invoice.amount_due), (InvoiceStatus::Open, u.quote.due_now));
        assert_eq!((&changed.subscription.plan, &changed.subscription.scheduled_change), (&u.team.id, &None));
    }

    async fn a_reactivation_is_charged_and_made_or_declined_and_not(db: Db) {
        for (card, made) in [("4242 4242 4242 4242", true), ("4000 0000 0000 0002", false)] {
            let u = upgrade(&db, Some(card)).await;
            let by = op(&u.account.id);
            subscriptions::cancel(&u.app, &by, &u.sub.id, None, u.now).await.unwrap();
            let changed = subscriptions::reactivate(&u.app, &by, Requester::Vendor, &u.sub.id, u.now).await.unwrap();
            let expected = if made { PaymentAttemptStatus::Succeeded } else { PaymentAttemptStatus::Declined };
            assert_eq!(attempt_of(&changed).status, expected);
            let stored = db.store.subscription(&u.account.id, &u.sub.id).await.unwrap();
            assert_eq!(stored.is_canceled(), !made, "{card}");
            assert_eq!(stored.scheduled_change, None);
            if made {
                assert_eq!((stored.current_period_start, stored.billing_cycle_anchor), (u.now, u.now));
            }
            let status = if made { InvoiceStatus::Paid } else { InvoiceStatus::Void };
            assert_eq!(u.invoices(&db).await.iter().map(|i| i.status).collect::<Vec<_>>(), vec![status]);
        }
    }
}
