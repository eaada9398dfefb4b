//! The billing clock with an injected time: a year of monthly renewals from a Jan 31 anchor,
//! dunning that recovers and dunning that gives up, a trial without a card (both rules), a
//! downgrade and a cancellation scheduled for the period end; running again for the same
//! instant changes nothing.

use portico_app::billing::{self, RunReport};
use portico_app::plan_changes::{self, ChangeInput};
use portico_app::subscriptions::Requester;

use super::payments::{add_card, with_test_provider};
use super::*;

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339("t", s).unwrap()
}

async fn run(db: &Db, at: Timestamp) -> RunReport {
    billing::run_due(&db.app, &ClockScope::Real, at)
        .await
        .unwrap()
}

/// A customer of a new account, with a default card of `card` at the test provider when given,
/// on a monthly plan (`trial_days`) from `start`.
async fn subscribed(
    db: &Db,
    subdomain: &str,
    card: Option<&str>,
    trial_days: i32,
    start: &str,
) -> (Account, Customer, Plan, Subscription) {
    let account = db.account(subdomain).await;
    let customer = db.customer(&account, None).await;
    if let Some(card) = card {
        with_test_provider(db, &account).await;
        add_card(db, &db.app, &account, &customer, card)
            .await
            .unwrap();
    }
    let product = db.product(&account).await;
    let plan = db.plan(&account, &product, trial_days).await;
    let sub = subscriptions::create(
        &db.app,
        &op(&account.id),
        NewSubscription {
            customer: customer.id.to_string(),
            plan: plan.id.clone(),
            quantity: 2,
            status: None,
            current_period_start: Some(t(start)),
            billing_cycle_anchor: None,
            cancel_at_period_end: false,
            metadata: Metadata::new(),
        },
        db.now(),
    )
    .await
    .unwrap();
    (account, customer, plan, sub)
}

async fn invoices_of(db: &Db, account: &Account, sub: &Subscription) -> Vec<Invoice> {
    let filter = InvoiceFilter {
        customer: None,
        subscription: Some(sub.id.clone()),
        exclude_drafts: false,
        status: None,
    };
    let mut all = db
        .store
        .list_invoices(&account.id, filter, first(100))
        .await
        .unwrap()
        .data;
    all.reverse();
    all
}

async fn kinds(db: &Db, account: &Account) -> Vec<String> {
    let events = db.store.events(&account.id, first(100)).await.unwrap().data;
    events.iter().rev().map(|e| e.kind.to_string()).collect()
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

backend_tests! {
    async fn a_year_of_monthly_renewals_from_a_jan_31_anchor_gives_twelve_invoices(db: Db) {
        let (account, _, _, sub) =
            subscribed(&db, "yearly", Some("4242 4242 4242 4242"), 0, "2026-01-31T09:00:00Z").await;
        assert_eq!(sub.current_period_end, t("2026-02-28T09:00:00Z"));
        // Before the period ends nothing is due.
        assert_eq!(run(&db, t("2026-02-28T08:59:59Z")).await, RunReport::default());
        let ends = [
            "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31",
            "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31",
            "2027-02-28",
        ];
        for (i, end) in ends[..12].iter().enumerate() {
            let at = t(&format!("{end}T09:00:00Z"));
            let report = run(&db, at.plus_secs(3600)).await;
            assert_eq!((report.renewed, report.paid, report.failed), (1, 1, 0), "renewal {i}");
            // The same instant again: nothing.
            let before = kinds(&db, &account).await;
            assert_eq!(run(&db, at.plus_secs(3600)).await, RunReport::default());
            assert_eq!(kinds(&db, &account).await, before);
        }
        let invoices = invoices_of(&db, &account, &sub).await;
        assert_eq!(invoices.len(), 12);
        for (i, invoice) in invoices.iter().enumerate() {
            let line = &invoice.lines[0];
            let (start, end) = (t(&format!("{}T09:00:00Z", ends[i])), t(&format!("{}T09:00:00Z", ends[i + 1])));
            assert_eq!((line.period_start, line.period_end), (Some(start), Some(end)), "invoice {i}");
            assert_eq!((invoice.status, invoice.total, invoice.issued_at), (InvoiceStatus::Paid, 5800, Some(start)));
        }
        let mut numbers: Vec<_> = invoices.iter().map(|i| i.number.clone()).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), 12);
        let renewed = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!((renewed.current_period_start, renewed.current_period_end), (t("2027-01-31T09:00:00Z"), t("2027-02-28T09:00:00Z")));
        assert_eq!(renewed.status, SubscriptionStatus::Active);
        let seen = kinds(&db, &account).await;
        for kind in ["subscription.renewed", "invoice.issued", "invoice.paid"] {
            assert_eq!(count(&seen, kind), 12, "{kind}");
        }
        assert_eq!(db.store.renewals(&account.id, &sub.id).await.unwrap().len(), 12);
    }

    async fn a_clock_that_catches_up_renews_every_period_once(db: Db) {
        let (account, _, _, sub) =
            subscribed(&db, "catchup", Some("4242 4242 4242 4242"), 0, "2026-01-31T09:00:00Z").await;
        let report = run(&db, t("2026-07-01T00:00:00Z")).await;
        assert_eq!((report.subscriptions, report.renewed, report.paid), (1, 5, 5));
        assert_eq!(run(&db, t("2026-07-01T00:00:00Z")).await, RunReport::default());
        assert_eq!(invoices_of(&db, &account, &sub).await.len(), 5);
    }

    async fn dunning_with_a_card_that_fails_twice_then_succeeds(db: Db) {
        let (account, _, _, sub) =
            subscribed(&db, "dunning", Some("4000 0000 0000 0341"), 0, "2026-03-01T00:00:00Z").await;
        let renewal = t("2026-04-01T00:00:00Z");
        let report = run(&db, renewal).await;
        assert_eq!((report.renewed, report.paid, report.failed), (1, 0, 1));
        let late = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(late.status, SubscriptionStatus::PastDue);
        let [r] = &db.store.renewals(&account.id, &sub.id).await.unwrap()[..] else { panic!() };
        assert_eq!((r.failures, r.next_charge_at), (1, Some(renewal.plus_secs(86_400))));
        // Not yet the retry day.
        assert_eq!(run(&db, renewal.plus_secs(86_399)).await, RunReport::default());
        let report = run(&db, renewal.plus_secs(86_400)).await;
        assert_eq!((report.paid, report.failed), (0, 1));
        let [r] = &db.store.renewals(&account.id, &sub.id).await.unwrap()[..] else { panic!() };
        assert_eq!((r.failures, r.next_charge_at), (2, Some(renewal.plus_secs(3 * 86_400))));
        let report = run(&db, renewal.plus_secs(3 * 86_400)).await;
        assert_eq!((report.paid, report.failed), (1, 0));
        let back = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(back.status, SubscriptionStatus::Active);
        let [invoice] = &invoices_of(&db, &account, &sub).await[..] else { panic!() };
        assert_eq!(invoice.status, InvoiceStatus::Paid);
        let [r] = &db.store.renewals(&account.id, &sub.id).await.unwrap()[..] else { panic!() };
        assert_eq!((r.failures, r.next_charge_at), (2, None));
        assert_eq!(run(&db, renewal.plus_secs(6 * 86_400)).await, RunReport::default());
        let seen = kinds(&db, &account).await;
        assert_eq!(count(&seen, "subscription.past_due"), 1);
        assert_eq!(count(&seen, "invoice.payment_failed"), 2);
        assert_eq!(count(&seen, "invoice.paid"), 1);
        assert_eq!(count(&seen, "payment.failed"), 2);
    }

    async fn dunning_gives_up_after_the_last_retry_by_the_accounts_rule(db: Db) {
        let (account, _, _, sub) =
            subscribed(&db, "giveup", Some("4000 0000 0000 0002"), 0, "2026-03-01T00:00:00Z").await;
        let renewal = t("2026-04-01T00:00:00Z");
        for day in [0, 1, 3] {
            let report = run(&db, renewal.plus_secs(day * 86_400)).await;
            assert_eq!(report.failed, 1, "day {day}");
            let late = db.store.subscription(&account.id, &sub.id).await.unwrap();
            assert_eq!(late.status, SubscriptionStatus::PastDue, "day {day}");
        }
        let report = run(&db, renewal.plus_secs(5 * 86_400)).await;
        assert_eq!(report.failed, 1);
        let ended = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(ended.status, SubscriptionStatus::Canceled);
        let seen = kinds(&db, &account).await;
        assert_eq!((count(&seen, "invoice.payment_failed"), count(&seen, "invoice.overdue")), (4, 1));
        assert_eq!(count(&seen, "subscription.canceled"), 1);

        // Leave unpaid instead: past due with the invoice open, and a payment from the API
        // ends it.
        let (account, customer, _, sub) =
            subscribed(&db, "unpaid", Some("4000 0000 0000 0002"), 0, "2026-03-01T00:00:00Z").await;
        portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), |mut s| {
            s.billing.after_last_failure = DunningEndRule::LeaveUnpaid;
            s.billing.retry_days = vec![2];
            s
        }, db.now()).await.unwrap();
        run(&db, renewal).await;
        let report = run(&db, renewal.plus_secs(2 * 86_400)).await;
        assert_eq!(report.failed, 1);
        assert_eq!(run(&db, renewal.plus_secs(20 * 86_400)).await, RunReport::default());
        let unpaid = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(unpaid.status, SubscriptionStatus::PastDue);
        let [invoice] = &invoices_of(&db, &account, &sub).await[..] else { panic!() };
        assert_eq!(invoice.status, InvoiceStatus::Open);
        db.payment(&account, &customer, Some(invoice), TransactionStatus::Succeeded, invoice.amount_due).await.unwrap();
        let active = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(active.status, SubscriptionStatus::Active);
    }

    async fn a_trial_without_a_card_ends_by_the_accounts_rule(db: Db) {
        let (account, _, _, sub) = subscribed(&db, "trialcancel", None, 14, "2026-03-01T00:00:00Z").await;
        assert_eq!(sub.status, SubscriptionStatus::Trialing);
        let trial_end = t("2026-03-15T00:00:00Z");
        assert_eq!(run(&db, trial_end.plus_secs(-1)).await, RunReport::default());
        let report = run(&db, trial_end).await;
        assert_eq!((report.ended, report.renewed), (1, 0));
        let ended = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!((ended.status, ended.canceled_at), (SubscriptionStatus::Canceled, Some(trial_end)));
        assert!(invoices_of(&db, &account, &sub).await.is_empty());
        assert_eq!(run(&db, t("2026-06-01T00:00:00Z")).await, RunReport::default());

        let (account, customer, _, sub) = subscribed(&db, "trialpastdue", None, 14, "2026-03-01T00:00:00Z").await;
        portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), |mut s| {
            s.billing.trial_end_without_payment_method = TrialEndRule::PastDue;
            s
        }, db.now()).await.unwrap();
        let report = run(&db, trial_end).await;
        assert_eq!((report.renewed, report.failed), (1, 0));
        let late = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!(late.status, SubscriptionStatus::PastDue);
        assert_eq!((late.current_period_start, late.current_period_end), (trial_end, t("2026-04-15T00:00:00Z")));
        let [invoice] = &invoices_of(&db, &account, &sub).await[..] else { panic!() };
        assert_eq!((invoice.status, invoice.total), (InvoiceStatus::Open, 5800));
        db.payment(&account, &customer, Some(invoice), TransactionStatus::Succeeded, invoice.amount_due).await.unwrap();
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap().status, SubscriptionStatus::Active);

        // With a card, the trial's end is the first paid period.
        let (account, _, _, sub) = subscribed(&db, "trialcard", Some("4242 4242 4242 4242"), 14, "2026-03-01T00:00:00Z").await;
        let report = run(&db, trial_end).await;
        assert_eq!((report.renewed, report.paid), (1, 1));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap().status, SubscriptionStatus::Active);
    }

    async fn a_downgrade_and_a_cancellation_scheduled_for_the_period_end_take_effect_then(db: Db) {
        let (account, _, pro, sub) =
            subscribed(&db, "downgrade", Some("4242 4242 4242 4242"), 0, "2026-03-01T00:00:00Z").await;
        let mut basic = new_plan(&db.product(&account).await, 0);
        basic.unit_amount = 900;
        basic.currency = pro.currency;
        let basic = catalog::create_plan(&db.app, &op(&account.id), basic, db.now()).await.unwrap();
        let input = ChangeInput { plan: basic.id.clone(), quantity: 1 };
        let when = t("2026-03-10T00:00:00Z");
        let by = op(&account.id);
        let preview = plan_changes::preview(&db.app, &by, Requester::Vendor, &sub.id, &input, Some(ChangeTiming::AtPeriodEnd), when).await.unwrap();
        plan_changes::confirm(&db.app, &by, Requester::Vendor, &sub.id, &input, &preview.quote, when).await.unwrap();
        let end = t("2026-04-01T00:00:00Z");
        let report = run(&db, end).await;
        assert_eq!((report.renewed, report.paid), (1, 1));
        let moved = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!((moved.plan.clone(), moved.quantity, moved.scheduled_change.clone()), (basic.id.clone(), 1, None));
        let [invoice] = &invoices_of(&db, &account, &sub).await[..] else { panic!() };
        assert_eq!((invoice.total, invoice.lines[0].unit_amount, invoice.lines[0].quantity), (900, 900, 1));

        let at_end = subscriptions::Cancellation { mode: CancelMode::AtPeriodEnd, reason: None, comment: None };
        subscriptions::cancel_as(&db.app, &by, Requester::Vendor, &sub.id, at_end, t("2026-04-05T00:00:00Z")).await.unwrap();
        let report = run(&db, t("2026-05-01T00:00:00Z")).await;
        assert_eq!((report.ended, report.renewed), (1, 0));
        let ended = db.store.subscription(&account.id, &sub.id).await.unwrap();
        assert_eq!((ended.status, ended.canceled_at), (SubscriptionStatus::Canceled, Some(t("2026-05-01T00:00:00Z"))));
        assert_eq!(invoices_of(&db, &account, &sub).await.len(), 1);
        assert_eq!(run(&db, t("2026-08-01T00:00:00Z")).await, RunReport::default());
    }
}
