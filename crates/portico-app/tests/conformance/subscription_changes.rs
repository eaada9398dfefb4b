//! Changes of plan: the preview is what confirming charges, and two confirmations of one
//! preview at once change the subscription once.

use super::*;
use portico_app::plan_changes::{self, ChangeInput};
use portico_app::subscriptions::Requester;

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
}
