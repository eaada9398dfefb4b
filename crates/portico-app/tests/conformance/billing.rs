//! Subscriptions, invoices, payments and payment methods.

use super::*;

backend_tests! {
    async fn plans_and_invoices_are_read_by_ids_in_one_call(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let product = db.product(&account).await;
        let (p1, p2, p3) = (db.plan(&account, &product, 0).await, db.plan(&account, &product, 0).await, db.plan(&account, &product, 0).await);
        let theirs = db.plan(&other, &db.product(&other).await, 0).await;
        let asked = [p1.id.clone(), p3.id.clone(), theirs.id.clone(), PlanId::new(db.now(), [7; 10]), p1.id.clone()];
        let found = db.store.plans_by_ids(&account.id, &asked).await.unwrap();
        assert_eq!(found, vec![p3.clone(), p1.clone()], "newest first, each once, only this account's");
        assert!(db.store.plans_by_ids(&account.id, &[]).await.unwrap().is_empty());
        assert_eq!(db.store.plans_by_ids(&other.id, &[p2.id.clone(), theirs.id.clone()]).await.unwrap(), vec![theirs]);
        // Read again (from the cache) after a change of the catalogue: the change shows.
        let rename = PlanPatch { name: Some("Renamed".into()), ..Default::default() };
        catalog::update_plan(&db.app, &op(&account.id), &p3.id, rename, db.now()).await.unwrap();
        let again = db.store.plans_by_ids(&account.id, &asked).await.unwrap();
        assert_eq!(again[0].name, "Renamed");
        assert_eq!(again[1], p1);

        let customer = db.customer(&account, None).await;
        let (i1, i2) = (db.invoice(&account, &customer).await, db.invoice(&account, &customer).await);
        let g = db.invoice(&other, &db.customer(&other, None).await).await;
        let found = db.store.invoices_by_ids(&account.id, &[i1.id.clone(), g.id.clone(), i2.id.clone()]).await.unwrap();
        assert_eq!(found, vec![i2, i1]);
        assert!(db.store.invoices_by_ids(&account.id, &[]).await.unwrap().is_empty());
    }

    async fn invoice_lists_leave_drafts_out_in_the_query_and_page_both_ways(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("c")).await;
        let mut issued = vec![];
        for i in 0..7 {
            let status = if i % 3 == 1 { InvoiceStatus::Draft } else { InvoiceStatus::Open };
            let inv = invoices::create(&db.app, &op(&account.id), new_invoice(&customer, Some(status)), db.now()).await.unwrap();
            if status != InvoiceStatus::Draft {
                issued.push(inv.id);
            }
        }
        issued.reverse();
        assert_eq!(issued.len(), 5);
        let shown = |page| db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("c")), exclude_drafts: true, ..Default::default() }, page);
        // A page of two holds two issued invoices, whatever drafts lie between them.
        let p1 = shown(first(2)).await.unwrap();
        assert_eq!((ids(&p1, |i| &i.id), p1.has_more), (issued[0..2].to_vec(), true));
        let p2 = shown(after(2, &issued[1])).await.unwrap();
        assert_eq!((ids(&p2, |i| &i.id), p2.has_more), (issued[2..4].to_vec(), true));
        let p3 = shown(after(2, &issued[3])).await.unwrap();
        assert_eq!((ids(&p3, |i| &i.id), p3.has_more), (issued[4..5].to_vec(), false));
        // Backwards: the two just newer than an id, newest first; `has_more` says newer ones remain.
        let back = shown(PageRequest::before(2, issued[4].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[2..4].to_vec(), true));
        let back = shown(PageRequest::before(2, issued[2].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[0..2].to_vec(), false));
        let back = shown(PageRequest::before(2, issued[1].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[0..1].to_vec(), false));
        // Without the switch drafts are listed, as the vendor sees them.
        let all = db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("c")), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(all.data.len(), 7);
    }

    async fn existing_subscriptions_are_anchored_where_their_paid_periods_begin(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, None).await;
        let product = db.product(&account).await;
        let paying = db.subscription(&account, &customer, &db.plan(&account, &product, 0).await).await;
        let trialing = db.subscription(&account, &customer, &db.plan(&account, &product, 14).await).await;
        // The database as the release before the anchor left it.
        let mut raw = db.raw().await;
        raw.execute("ALTER TABLE subscriptions DROP COLUMN billing_cycle_anchor").await;
        raw.execute("DELETE FROM _sqlx_migrations WHERE version = 7").await;
        let upgraded = db.db.store().await;
        let paying_now = upgraded.subscription(&account.id, &paying.id).await.unwrap();
        assert_eq!(paying_now.billing_cycle_anchor, paying.current_period_start);
        assert_eq!(paying_now, paying);
        let trialing_now = upgraded.subscription(&account.id, &trialing.id).await.unwrap();
        assert_eq!(Some(trialing_now.billing_cycle_anchor), trialing.trial_end);
        assert_eq!(trialing_now, trialing);
    }

    async fn subscriptions_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let product = db.product(&account).await;
        let trial = db.plan(&account, &product, 14).await;
        let plain = db.plan(&account, &product, 0).await;
        let mut usd = new_plan(&product, 0);
        usd.currency = Currency::USD;
        let usd = catalog::create_plan(&db.app, &op(&account.id), usd, db.now()).await.unwrap();

        let now = db.now();
        let start = Timestamp::from_millis(BASE - 5 * 86_400_000 + 123);
        let sub = subscriptions::create(&db.app, &op(&account.id), NewSubscription { customer: "acme-1".into(), plan: trial.id.clone(), quantity: 3, status: None, current_period_start: Some(start), billing_cycle_anchor: None, cancel_at_period_end: true, metadata: meta(&[("seat", "a")]) },
                now,
            )
            .await
            .unwrap();
        assert_eq!((sub.customer.clone(), sub.plan.clone(), sub.quantity), (customer.id.clone(), trial.id.clone(), 3));
        assert_eq!(sub.status, SubscriptionStatus::Trialing);
        assert_eq!(sub.current_period_start, start);
        assert_eq!(sub.trial_end, Some(start.plus_secs(14 * 86_400)));
        assert_eq!(sub.current_period_end, start.plus_secs(14 * 86_400));
        assert_eq!(sub.billing_cycle_anchor, start.plus_secs(14 * 86_400));
        assert!(sub.cancel_at_period_end);
        assert_eq!((sub.canceled_at, sub.cancel_reason.clone()), (None, None));
        assert_eq!(sub.metadata, meta(&[("seat", "a")]));
        assert_eq!((sub.created_at, sub.updated_at), (now, now));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), sub);

        let new_sub = |customer: &str, plan: &PlanId| NewSubscription { customer: customer.into(), plan: plan.clone(), quantity: 1, status: None, current_period_start: None, billing_cycle_anchor: None, cancel_at_period_end: false, metadata: Metadata::new() };
        assert_invalid(subscriptions::create(&db.app, &op(&account.id), new_sub("acme-1", &usd.id), db.now()).await, "plan");
        assert_invalid(subscriptions::create(&db.app, &op(&account.id), new_sub("acme-1", &PlanId::new(db.now(), [1; 10])), db.now()).await, "plan");
        let theirs = db.product(&other).await;
        let their_plan = db.plan(&other, &theirs, 0).await;
        assert_invalid(subscriptions::create(&db.app, &op(&account.id), new_sub("acme-1", &their_plan.id), db.now()).await, "plan");
        assert_invalid(subscriptions::create(&db.app, &op(&account.id), new_sub("nobody", &plain.id), db.now()).await, "customer");
        let mut zero = new_sub("acme-1", &plain.id);
        zero.quantity = 0;
        assert_invalid(subscriptions::create(&db.app, &op(&account.id), zero, db.now()).await, "quantity");

        let second = subscriptions::create(&db.app, &op(&account.id), new_sub(customer.id.as_str(), &plain.id), db.now()).await.unwrap();
        assert_eq!(second.status, SubscriptionStatus::Active);
        let bystander = db.customer(&account, None).await;
        let third = db.subscription(&account, &bystander, &plain).await;

        let page = db.store.list_subscriptions(&account.id, SubscriptionFilter::default(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |s| &s.id), page.has_more), (vec![third.id.clone(), second.id.clone()], true));
        let page = db.store.list_subscriptions(&account.id, SubscriptionFilter::default(), after(2, &second.id)).await.unwrap();
        assert_eq!((ids(&page, |s| &s.id), page.has_more), (vec![sub.id.clone()], false));
        let mine = db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: Some(by_alias("acme-1")), status: None }, first(10)).await.unwrap();
        assert_eq!(ids(&mine, |s| &s.id), vec![second.id.clone(), sub.id.clone()]);
        let trialing = db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: None, status: Some(SubscriptionStatus::Trialing) }, first(10)).await.unwrap();
        assert_eq!(ids(&trialing, |s| &s.id), vec![sub.id.clone()]);

        let now = db.now();
        let patch = SubscriptionPatch { plan: Some(plain.id.clone()), quantity: Some(5), status: Some(SubscriptionStatus::PastDue), cancel_at_period_end: Some(false), cancel_reason: Some(Some("thinking".into())), metadata: Some(meta(&[("seat", "b")])) };
        let updated = subscriptions::update(&db.app, &op(&account.id), &sub.id, patch, now).await.unwrap();
        assert_eq!((updated.plan.clone(), updated.quantity, updated.status), (plain.id.clone(), 5, SubscriptionStatus::PastDue));
        assert_eq!((updated.cancel_at_period_end, updated.cancel_reason.as_deref(), updated.updated_at), (false, Some("thinking"), now));
        assert_eq!(updated.metadata, meta(&[("seat", "b")]));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), updated);
        for (patch, field) in [
            (SubscriptionPatch { plan: Some(usd.id.clone()), ..Default::default() }, "plan"),
            (SubscriptionPatch { plan: Some(their_plan.id.clone()), ..Default::default() }, "plan"),
            (SubscriptionPatch { quantity: Some(0), ..Default::default() }, "quantity"),
            (SubscriptionPatch { status: Some(SubscriptionStatus::Canceled), ..Default::default() }, "status"),
        ] {
            assert_invalid(subscriptions::update(&db.app, &op(&account.id), &sub.id, patch, db.now()).await, field);
        }
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), updated);

        let now = db.now();
        let canceled = subscriptions::cancel(&db.app, &op(&account.id), &sub.id, Some("moving on".into()), now).await.unwrap();
        assert_eq!((canceled.status, canceled.canceled_at, canceled.cancel_reason.as_deref()), (SubscriptionStatus::Canceled, Some(now), Some("moving on")));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), canceled);
        assert_conflict(subscriptions::cancel(&db.app, &op(&account.id), &sub.id, None, db.now()).await);
        assert_conflict(subscriptions::update(&db.app, &op(&account.id), &sub.id, SubscriptionPatch { quantity: Some(2), ..Default::default() }, db.now()).await);
        assert_not_found(db.store.subscription(&account.id, &SubscriptionId::new(db.now(), [1; 10])).await);
        assert_not_found(subscriptions::cancel(&db.app, &op(&account.id), &SubscriptionId::new(db.now(), [1; 10]), None, db.now()).await);
    }

    async fn invoices_are_numbered_per_account_and_round_trip(db: Db) {
        let acme = db.account("acme").await;
        let globex = db.account("globex-eu").await;
        let customer = db.customer(&acme, Some("acme-1")).await;
        let other_customer = db.customer(&acme, None).await;
        let theirs = db.customer(&globex, None).await;
        let product = db.product(&acme).await;
        let plan = db.plan(&acme, &product, 0).await;
        let sub = db.subscription(&acme, &customer, &plan).await;
        let others_sub = db.subscription(&acme, &other_customer, &plan).await;

        let now = db.now();
        let period_start = Timestamp::from_millis(BASE + 1);
        let period_end = Timestamp::from_millis(BASE + 30 * 86_400_000 + 999);
        let issued = Timestamp::from_millis(BASE + 5);
        let due = Timestamp::from_millis(BASE + 14 * 86_400_000 + 5);
        let input = NewInvoice {
            customer: "acme-1".into(),
            subscription: Some(sub.id.clone()),
            currency: None,
            status: Some(InvoiceStatus::Open),
            lines: vec![
                NewInvoiceLine { description: "Pro × 2".into(), quantity: 2, unit_amount: 2900, period_start: Some(period_start), period_end: Some(period_end) },
                line("Discount", 1, -800),
            ],
            tax_rate_bps: 1900,
            issued_at: Some(issued),
            due_at: Some(due),
            paid_at: None,
            metadata: meta(&[("po", "PO-1")]),
        };
        let inv = invoices::create(&db.app, &op(&acme.id), input, now).await.unwrap();
        assert_eq!(inv.number, "ACME-0001");
        assert_eq!((inv.customer.clone(), inv.subscription.clone(), inv.status, inv.currency), (customer.id.clone(), Some(sub.id.clone()), InvoiceStatus::Open, Currency::EUR));
        assert_eq!(inv.lines.len(), 2);
        assert_eq!((inv.lines[0].amount, inv.lines[0].period_start, inv.lines[0].period_end), (5800, Some(period_start), Some(period_end)));
        assert_eq!((inv.lines[1].description.as_str(), inv.lines[1].amount, inv.lines[1].period_start), ("Discount", -800, None));
        assert_eq!((inv.subtotal, inv.tax_rate_bps, inv.tax, inv.total, inv.amount_paid, inv.amount_due), (5000, 1900, 950, 5950, 0, 5950));
        assert_eq!((inv.issued_at, inv.due_at, inv.paid_at), (Some(issued), Some(due), None));
        assert_eq!(inv.metadata, meta(&[("po", "PO-1")]));
        assert_eq!((inv.created_at, inv.updated_at), (now, now));
        assert_eq!(db.store.invoice(&acme.id, &inv.id).await.unwrap(), inv);

        // Numbers run per account, and a refused invoice does not use one up.
        let mut empty = new_invoice(&customer, None);
        empty.lines.clear();
        assert_invalid(invoices::create(&db.app, &op(&acme.id), empty, db.now()).await, "lines");
        let mut wrong_sub = new_invoice(&customer, None);
        wrong_sub.subscription = Some(others_sub.id.clone());
        assert_invalid(invoices::create(&db.app, &op(&acme.id), wrong_sub, db.now()).await, "subscription");
        let mut missing_sub = new_invoice(&customer, None);
        missing_sub.subscription = Some(SubscriptionId::new(db.now(), [1; 10]));
        assert_invalid(invoices::create(&db.app, &op(&acme.id), missing_sub, db.now()).await, "subscription");
        let g1 = db.invoice(&globex, &theirs).await;
        assert_eq!(g1.number, "GLOBEX-EU-0001");
        let draft = invoices::create(&db.app, &op(&acme.id), new_invoice(&other_customer, Some(InvoiceStatus::Draft)), db.now()).await.unwrap();
        assert_eq!(draft.number, "ACME-0002");
        assert_eq!((draft.issued_at, draft.due_at), (None, None));
        let third = db.invoice(&acme, &customer).await;
        assert_eq!(third.number, "ACME-0003");
        assert_eq!(db.invoice(&globex, &theirs).await.number, "GLOBEX-EU-0002");

        // Lists filter by customer, status and subscription; newest first.
        let page = db.store.list_invoices(&acme.id, InvoiceFilter::default(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |i| &i.id), page.has_more), (vec![third.id.clone(), draft.id.clone()], true));
        let page = db.store.list_invoices(&acme.id, InvoiceFilter::default(), after(2, &draft.id)).await.unwrap();
        assert_eq!((ids(&page, |i| &i.id), page.has_more), (vec![inv.id.clone()], false));
        let mine = db.store.list_invoices(&acme.id, InvoiceFilter { customer: Some(by_alias("acme-1")), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&mine, |i| &i.id), vec![third.id.clone(), inv.id.clone()]);
        let drafts = db.store.list_invoices(&acme.id, InvoiceFilter { status: Some(InvoiceStatus::Draft), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&drafts, |i| &i.id), vec![draft.id.clone()]);
        let of_sub = db.store.list_invoices(&acme.id, InvoiceFilter { subscription: Some(sub.id.clone()), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&of_sub, |i| &i.id), vec![inv.id.clone()]);

        // Drafts can be edited and deleted; issued invoices cannot.
        let now = db.now();
        let patch = InvoicePatch { lines: Some(vec![line("Setup", 1, 10_000)]), tax_rate_bps: Some(0), metadata: Some(meta(&[("note", "x")])), ..Default::default() };
        let edited = invoices::update(&db.app, &op(&acme.id), &draft.id, patch, now).await.unwrap();
        assert_eq!((edited.subtotal, edited.total, edited.amount_due, edited.updated_at), (10_000, 10_000, 10_000, now));
        assert_eq!(db.store.invoice(&acme.id, &draft.id).await.unwrap(), edited);
        let msg = assert_conflict(invoices::update(&db.app, &op(&acme.id), &inv.id, InvoicePatch { tax_rate_bps: Some(0), ..Default::default() }, db.now()).await);
        assert!(msg.contains("ACME-0001"), "{msg}");
        assert_conflict(invoices::delete(&db.app, &op(&acme.id), &inv.id, db.now()).await);
        assert_eq!(db.store.invoice(&acme.id, &inv.id).await.unwrap(), inv);
        assert_eq!(invoices::delete(&db.app, &op(&acme.id), &draft.id, db.now()).await.unwrap(), edited);
        assert_not_found(db.store.invoice(&acme.id, &draft.id).await);
        assert_not_found(invoices::delete(&db.app, &op(&acme.id), &draft.id, db.now()).await);

        let now = db.now();
        let voided = invoices::update(&db.app, &op(&acme.id), &third.id, InvoicePatch { status: Some(InvoiceStatus::Void), ..Default::default() }, now).await.unwrap();
        assert_eq!((voided.status, voided.updated_at), (InvoiceStatus::Void, now));
        assert_conflict(invoices::update(&db.app, &op(&acme.id), &third.id, InvoicePatch { status: Some(InvoiceStatus::Open), ..Default::default() }, db.now()).await);
        assert_eq!(db.store.invoice(&acme.id, &third.id).await.unwrap(), voided);
        // The deleted draft's number is not handed out again.
        assert_eq!(db.invoice(&acme, &customer).await.number, "ACME-0004");
    }

    async fn payments_pay_their_invoices(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let other = db.customer(&account, None).await;
        let inv = db.invoice(&account, &customer).await;
        let card = db.card(&account, &customer, None).await;
        let other_card = db.card(&account, &other, None).await;

        let now = db.now();
        let t1 = transactions::create(&db.app, &op(&account.id), NewTransaction { customer: "acme-1".into(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 5000, currency: None, invoice: Some(inv.id.clone()), payment_method: Some(card.id.clone()), description: Some("First part".into()), created_at: None },
                now,
            )
            .await
            .unwrap();
        assert_eq!((t1.customer.clone(), t1.kind, t1.status, t1.amount, t1.currency), (customer.id.clone(), TransactionKind::Payment, TransactionStatus::Succeeded, 5000, Currency::EUR));
        assert_eq!((t1.invoice.clone(), t1.payment_method.clone(), t1.description.as_deref()), (Some(inv.id.clone()), Some(card.id.clone()), Some("First part")));
        assert_eq!((t1.created_at, t1.updated_at), (now, now));
        assert_eq!(db.store.transaction(&account.id, &t1.id).await.unwrap(), t1);
        let paid_down = db.store.invoice(&account.id, &inv.id).await.unwrap();
        assert_eq!((paid_down.status, paid_down.amount_paid, paid_down.amount_due, paid_down.updated_at), (InvoiceStatus::Open, 5000, 950, now));

        // Failed payments and refunds leave the invoice alone; a pending one pays on success.
        let failed_950 = db.payment(&account, &customer, Some(&inv), TransactionStatus::Failed, 950).await.unwrap();
        let refund = transactions::create(&db.app, &op(&account.id), NewTransaction { customer: "acme-1".into(), kind: TransactionKind::Refund, status: TransactionStatus::Succeeded, amount: 100, currency: None, invoice: Some(inv.id.clone()), payment_method: None, description: None, created_at: None }, db.now())
            .await
            .unwrap();
        let pending = db.payment(&account, &customer, Some(&inv), TransactionStatus::Pending, 950).await.unwrap();
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid_down);
        let now = db.now();
        let settled = transactions::update(&db.app, &op(&account.id), &pending.id, TransactionPatch { status: Some(TransactionStatus::Succeeded), description: Some(Some("settled".into())) }, now).await.unwrap();
        assert_eq!((settled.status, settled.description.as_deref(), settled.updated_at), (TransactionStatus::Succeeded, Some("settled"), now));
        assert_eq!(db.store.transaction(&account.id, &pending.id).await.unwrap(), settled);
        let paid = db.store.invoice(&account.id, &inv.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid, paid.amount_due, paid.paid_at), (InvoiceStatus::Paid, 5950, 0, Some(now)));
        // Editing a succeeded payment's description does not pay the invoice twice.
        transactions::update(&db.app, &op(&account.id), &settled.id, TransactionPatch { description: Some(None), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid);
        assert_conflict(transactions::update(&db.app, &op(&account.id), &settled.id, TransactionPatch { status: Some(TransactionStatus::Failed), ..Default::default() }, db.now()).await);

        // A paid invoice takes no more payments, and nothing is recorded.
        let before = db.store.list_transactions(&account.id, TransactionFilter::default(), first(100)).await.unwrap();
        assert_conflict(db.payment(&account, &customer, Some(&inv), TransactionStatus::Succeeded, 1).await);
        let after_refusal = db.store.list_transactions(&account.id, TransactionFilter::default(), first(100)).await.unwrap();
        assert_eq!(before, after_refusal);
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid);

        // References must be the same customer's; the currency must be the invoice's.
        let others_invoice = db.invoice(&account, &other).await;
        assert_invalid(db.payment(&account, &customer, Some(&others_invoice), TransactionStatus::Succeeded, 1).await, "invoice");
        let mut missing = others_invoice.clone();
        missing.id = InvoiceId::new(db.now(), [4; 10]);
        assert_invalid(db.payment(&account, &customer, Some(&missing), TransactionStatus::Succeeded, 1).await, "invoice");
        let with_card = |pm: &PaymentMethod| NewTransaction { customer: customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(pm.id.clone()), description: None, created_at: None };
        assert_invalid(transactions::create(&db.app, &op(&account.id), with_card(&other_card), db.now()).await, "payment_method");
        let usd = NewTransaction { currency: Some(Currency::USD), invoice: Some(others_invoice.id.clone()), customer: other.id.to_string(), ..with_card(&other_card) };
        assert_invalid(transactions::create(&db.app, &op(&account.id), usd, db.now()).await, "currency");
        assert_invalid(db.payment(&account, &customer, None, TransactionStatus::Succeeded, 0).await, "amount");
        assert_eq!(db.store.invoice(&account.id, &others_invoice.id).await.unwrap(), others_invoice);

        // Imported history keeps its time.
        let long_ago = Timestamp::from_millis(BASE - 86_400_000 + 42);
        let imported = transactions::create(&db.app, &op(&account.id), NewTransaction { created_at: Some(long_ago), ..with_card(&card) }, db.now()).await.unwrap();
        assert_eq!(db.store.transaction(&account.id, &imported.id).await.unwrap().created_at, long_ago);

        // Lists: newest first, by customer and by invoice.
        let on_invoice = db.store.list_transactions(&account.id, TransactionFilter { customer: None, invoice: Some(inv.id.clone()) }, first(10)).await.unwrap();
        assert_eq!(on_invoice.data.len(), 4);
        assert_eq!(on_invoice.data[0].id, pending.id);
        assert_eq!(on_invoice.data[3].id, t1.id);
        let p = db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_alias("acme-1")), invoice: None }, first(2)).await.unwrap();
        assert_eq!((ids(&p, |t| &t.id), p.has_more), (vec![imported.id.clone(), pending.id.clone()], true));
        let p = db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_alias("acme-1")), invoice: None }, after(3, &pending.id)).await.unwrap();
        assert_eq!((ids(&p, |t| &t.id), p.has_more), (vec![refund.id.clone(), failed_950.id.clone(), t1.id.clone()], false));

        // Only pending or failed transactions may be deleted.
        assert_conflict(transactions::delete(&db.app, &op(&account.id), &t1.id, db.now()).await);
        let failed = db.payment(&account, &customer, None, TransactionStatus::Failed, 10).await.unwrap();
        let still_pending = db.payment(&account, &customer, None, TransactionStatus::Pending, 10).await.unwrap();
        assert_eq!(transactions::delete(&db.app, &op(&account.id), &failed.id, db.now()).await.unwrap(), failed);
        assert_eq!(transactions::delete(&db.app, &op(&account.id), &still_pending.id, db.now()).await.unwrap(), still_pending);
        assert_not_found(db.store.transaction(&account.id, &failed.id).await);
        assert_not_found(transactions::delete(&db.app, &op(&account.id), &failed.id, db.now()).await);
        assert_not_found(transactions::update(&db.app, &op(&account.id), &failed.id, TransactionPatch::default(), db.now()).await);
        assert_eq!(db.store.transaction(&account.id, &t1.id).await.unwrap(), t1);
    }

    async fn default_payment_methods_switch(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let neighbour = db.customer(&account, None).await;
        let theirs = db.card(&account, &neighbour, None).await;
        assert!(theirs.is_default, "a customer's first payment method is its default");

        let first_card = db.card(&account, &customer, None).await;
        assert!(first_card.is_default);
        let now = db.now();
        let sepa = payment_methods::create(&db.app, &op(&account.id), NewPaymentMethod { customer: "acme-1".into(), kind: PaymentMethodKind::SepaDebit, brand: Some("Sparkasse".into()), last4: "3000".into(), exp_month: None, exp_year: None, is_default: None, provider_ref: Some("src_123".into()) }, now)
            .await
            .unwrap();
        assert_eq!((sepa.customer.clone(), sepa.kind, sepa.brand.as_deref(), sepa.last4.as_str()), (customer.id.clone(), PaymentMethodKind::SepaDebit, Some("Sparkasse"), "3000"));
        assert_eq!((sepa.exp_month, sepa.exp_year, sepa.is_default, sepa.provider_ref.as_deref()), (None, None, false, Some("src_123")));
        assert_eq!((sepa.created_at, sepa.updated_at), (now, now));
        assert_eq!(db.store.payment_method(&account.id, &sepa.id).await.unwrap(), sepa);
        assert!(db.store.payment_method(&account.id, &first_card.id).await.unwrap().is_default);

        // A new default takes the flag from the old one, in the same transaction.
        let now = db.now();
        let amex = payment_methods::create(&db.app, &op(&account.id), NewPaymentMethod { brand: Some("amex".into()), last4: "0005".into(), ..new_card(&customer, Some(true)) }, now).await.unwrap();
        assert!(amex.is_default);
        let old = db.store.payment_method(&account.id, &first_card.id).await.unwrap();
        assert_eq!((old.is_default, old.updated_at), (false, now));
        let defaults = |list: &List<PaymentMethod>| list.data.iter().filter(|p| p.is_default).map(|p| p.id.clone()).collect::<Vec<_>>();
        let mine = db.store.list_payment_methods(&account.id, Some(&by_alias("acme-1")), first(10)).await.unwrap();
        assert_eq!(ids(&mine, |p| &p.id), vec![amex.id.clone(), sepa.id.clone(), first_card.id.clone()]);
        assert_eq!(defaults(&mine), vec![amex.id.clone()]);

        let now = db.now();
        let sepa = payment_methods::update(&db.app, &op(&account.id), &sepa.id, PaymentMethodPatch { is_default: Some(true), provider_ref: Some(None), ..Default::default() }, now).await.unwrap();
        assert_eq!((sepa.is_default, sepa.provider_ref.clone(), sepa.updated_at), (true, None, now));
        assert_eq!(db.store.payment_method(&account.id, &sepa.id).await.unwrap(), sepa);
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await.unwrap();
        assert_eq!(defaults(&mine), vec![sepa.id.clone()]);
        assert!(db.store.payment_method(&account.id, &theirs.id).await.unwrap().is_default, "another customer's default is untouched");

        assert_invalid(payment_methods::update(&db.app, &op(&account.id), &sepa.id, PaymentMethodPatch { is_default: Some(false), ..Default::default() }, db.now()).await, "is_default");
        assert_invalid(payment_methods::update(&db.app, &op(&account.id), &sepa.id, PaymentMethodPatch { exp_month: Some(1), ..Default::default() }, db.now()).await, "exp_month");
        let amex = payment_methods::update(&db.app, &op(&account.id), &amex.id, PaymentMethodPatch { exp_month: Some(3), exp_year: Some(2031), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!((amex.exp_month, amex.exp_year, amex.is_default), (Some(3), Some(2031), false));
        assert_eq!(db.store.payment_method(&account.id, &amex.id).await.unwrap(), amex);
        assert_invalid(payment_methods::create(&db.app, &op(&account.id), NewPaymentMethod { last4: "42".into(), ..new_card(&customer, None) }, db.now()).await, "last4");

        // Removing one hides it; the rest keep their flags.
        assert_eq!(payment_methods::delete(&db.app, &op(&account.id), &first_card.id, db.now()).await.unwrap(), old);
        assert_not_found(db.store.payment_method(&account.id, &first_card.id).await);
        assert_not_found(payment_methods::delete(&db.app, &op(&account.id), &first_card.id, db.now()).await);
        assert_not_found(payment_methods::update(&db.app, &op(&account.id), &first_card.id, PaymentMethodPatch::default(), db.now()).await);
        // Each change is told as what it was to the customer: attached, default changed,
        // updated, detached.
        let events = db.store.events(&account.id, first(100)).await.unwrap().data;
        let told = |id: &PaymentMethodId| -> Vec<String> {
            let mut kinds: Vec<String> = events.iter().filter(|e| e.data["id"] == id.as_str()).map(|e| e.kind.to_string()).collect();
            kinds.reverse();
            kinds
        };
        assert_eq!(told(&sepa.id), ["payment_method.attached", "payment_method.default_changed"]);
        assert_eq!(told(&amex.id), ["payment_method.attached", "payment_method.updated"]);
        assert_eq!(told(&first_card.id), ["payment_method.attached", "payment_method.detached"]);
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(1)).await.unwrap();
        assert_eq!((ids(&mine, |p| &p.id), mine.has_more), (vec![amex.id.clone()], true));
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), after(1, &amex.id)).await.unwrap();
        assert_eq!((ids(&mine, |p| &p.id), mine.has_more), (vec![sepa.id.clone()], false));
        let all = db.store.list_payment_methods(&account.id, None, first(10)).await.unwrap();
        assert_eq!(all.data.len(), 3);
        // A removed method cannot pay any more.
        let txn = NewTransaction { customer: customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(first_card.id.clone()), description: None, created_at: None };
        assert_invalid(transactions::create(&db.app, &op(&account.id), txn, db.now()).await, "payment_method");
    }

    async fn concurrent_invoices_get_consecutive_numbers(db: Db) {
        let account = db.account("acme").await;
        let customers = [db.customer(&account, None).await, db.customer(&account, None).await];
        let mut tasks = vec![];
        for i in 0..20 {
            let app = db.app.clone();
            let account = account.id.clone();
            let input = new_invoice(&customers[i % 2], None);
            let now = db.now();
            tasks.push(tokio::spawn(async move { invoices::create(&app, &op(&account), input, now).await }));
        }
        let mut numbers = vec![];
        for task in tasks {
            numbers.push(task.await.unwrap().unwrap().number);
        }
        numbers.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("ACME-{n:04}")).collect();
        assert_eq!(numbers, expected);
        let listed = db.store.list_invoices(&account.id, InvoiceFilter::default(), first(100)).await.unwrap();
        assert_eq!(listed.data.len(), 20);
    }
}
