//! Tenancy: another account sees and changes nothing.

use super::*;

backend_tests! {
    async fn another_account_sees_and_changes_nothing(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, Some("shared-alias")).await;
        let contact = contacts::create(&db.app, &op(&a.id), NewContact { customer: customer.id.to_string(), external_id: Some("ext-1".into()), email: "ana@acme.example".into(), name: None, portal_access: true, role: Role::Owner }, db.now())
            .await
            .unwrap();
        let product = db.product(&a).await;
        let plan = db.plan(&a, &product, 0).await;
        let sub = db.subscription(&a, &customer, &plan).await;
        let draft = invoices::create(&db.app, &op(&a.id), new_invoice(&customer, Some(InvoiceStatus::Draft)), db.now()).await.unwrap();
        let inv = db.invoice(&a, &customer).await;
        let pm = db.card(&a, &customer, None).await;
        let txn = db.payment(&a, &customer, Some(&inv), TransactionStatus::Pending, 100).await.unwrap();
        let key = db.store.create_api_key(&a.id, "A's key", ApiScopes::all(), [1; 32], None, db.now()).await.unwrap();

        // B's own records, to aim A's references from.
        let b_customer = db.customer(&b, None).await;
        let b_product = db.product(&b).await;
        let b_plan = db.plan(&b, &b_product, 0).await;
        let b_sub = db.subscription(&b, &b_customer, &b_plan).await;

        let bid = &b.id;
        let now = db.now();
        // Reads by id, alias or external id.
        assert_not_found(db.store.customer(bid, &by_id(&customer)).await);
        assert_not_found(db.store.customer(bid, &by_alias("shared-alias")).await);
        assert_not_found(db.store.contact(bid, &ContactRef::Id(contact.id.clone())).await);
        assert_not_found(db.store.contact(bid, &ContactRef::ExternalId("ext-1".into())).await);
        assert_not_found(db.store.product(bid, &product.id).await);
        assert_not_found(db.store.plan(bid, &plan.id).await);
        assert_not_found(db.store.subscription(bid, &sub.id).await);
        assert_not_found(db.store.invoice(bid, &inv.id).await);
        assert_not_found(db.store.transaction(bid, &txn.id).await);
        assert_not_found(db.store.payment_method(bid, &pm.id).await);
        // Writes.
        assert_not_found(customers::update(&db.app, &op(bid), &by_id(&customer), CustomerPatch { name: Some("Hijacked".into()), ..Default::default() }, now).await);
        assert_not_found(customers::update(&db.app, &op(bid), &by_alias("shared-alias"), CustomerPatch { name: Some("Hijacked".into()), ..Default::default() }, now).await);
        assert_not_found(contacts::update(&db.app, &op(bid), &ContactRef::ExternalId("ext-1".into()), ContactPatch { role: Some(Role::Viewer), ..Default::default() }, now).await);
        assert_not_found(catalog::update_product(&db.app, &op(bid), &product.id, ProductPatch { active: Some(false), ..Default::default() }, now).await);
        assert_not_found(catalog::update_plan(&db.app, &op(bid), &plan.id, PlanPatch { active: Some(false), ..Default::default() }, now).await);
        assert_not_found(subscriptions::update(&db.app, &op(bid), &sub.id, SubscriptionPatch { quantity: Some(9), ..Default::default() }, now).await);
        assert_not_found(subscriptions::cancel(&db.app, &op(bid), &sub.id, None, now).await);
        assert_not_found(invoices::update(&db.app, &op(bid), &inv.id, InvoicePatch { status: Some(InvoiceStatus::Void), ..Default::default() }, now).await);
        assert_not_found(transactions::update(&db.app, &op(bid), &txn.id, TransactionPatch { status: Some(TransactionStatus::Succeeded), ..Default::default() }, now).await);
        assert_not_found(payment_methods::update(&db.app, &op(bid), &pm.id, PaymentMethodPatch { exp_month: Some(1), ..Default::default() }, now).await);
        assert_not_found(db.store.revoke_api_key(bid, &key.id, now).await);
        assert_not_found(transactions::delete(&db.app, &op(bid), &txn.id, db.now()).await);
        assert_not_found(invoices::delete(&db.app, &op(bid), &draft.id, db.now()).await);
        assert_not_found(payment_methods::delete(&db.app, &op(bid), &pm.id, now).await);
        assert_not_found(contacts::delete(&db.app, &op(bid), &ContactRef::Id(contact.id.clone()), now).await);
        assert_not_found(customers::delete(&db.app, &op(bid), &by_alias("shared-alias"), now).await);
        assert_not_found(customers::delete(&db.app, &op(bid), &by_id(&customer), now).await);
        // Deleting the plan/product "would work" if B could see them, as nothing of B uses them.
        let lonely_plan = db.plan(&a, &product, 0).await;
        assert_not_found(catalog::delete_plan(&db.app, &op(bid), &lonely_plan.id, db.now()).await);
        let lonely_product = db.product(&a).await;
        assert_not_found(catalog::delete_product(&db.app, &op(bid), &lonely_product.id, db.now()).await);

        // Lists.
        assert_eq!(ids(&db.store.list_customers(bid, None, first(100)).await.unwrap(), |c| &c.id), vec![b_customer.id.clone()]);
        assert!(db.store.list_customers(bid, Some("billing@acme.example"), first(100)).await.unwrap().data.iter().all(|c| c.id == b_customer.id));
        assert!(db.store.list_contacts(bid, None, first(100)).await.unwrap().data.is_empty());
        assert_eq!(ids(&db.store.list_products(bid, first(100)).await.unwrap(), |p| &p.id), vec![b_product.id.clone()]);
        assert_eq!(ids(&db.store.list_plans(bid, None, first(100)).await.unwrap(), |p| &p.id), vec![b_plan.id.clone()]);
        assert!(db.store.list_plans(bid, Some(&product.id), first(100)).await.unwrap().data.is_empty());
        assert_eq!(ids(&db.store.list_subscriptions(bid, SubscriptionFilter::default(), first(100)).await.unwrap(), |s| &s.id), vec![b_sub.id.clone()]);
        assert!(db.store.list_invoices(bid, InvoiceFilter::default(), first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_invoices(bid, InvoiceFilter { subscription: Some(sub.id.clone()), ..Default::default() }, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_transactions(bid, TransactionFilter::default(), first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_transactions(bid, TransactionFilter { invoice: Some(inv.id.clone()), ..Default::default() }, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_payment_methods(bid, None, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_api_keys(bid, first(100)).await.unwrap().data.is_empty());
        // A's cursor in B's list pages through B's rows only.
        assert!(db.store.list_customers(bid, None, after(100, &CustomerId::new(Timestamp::from_millis(i64::MAX >> 20), [255; 10]))).await.unwrap().data.iter().all(|c| c.id == b_customer.id));
        assert_not_found(db.store.list_contacts(bid, Some(&by_id(&customer)), first(10)).await);
        assert_not_found(db.store.list_subscriptions(bid, SubscriptionFilter { customer: Some(by_alias("shared-alias")), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_invoices(bid, InvoiceFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_transactions(bid, TransactionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_payment_methods(bid, Some(&by_alias("shared-alias")), first(10)).await);

        // References in B's request bodies to A's records.
        for reference in [customer.id.to_string(), "shared-alias".to_owned()] {
            let c = NewContact { customer: reference.clone(), external_id: None, email: "x@globex.example".into(), name: None, portal_access: true, role: Role::Owner };
            assert_invalid(contacts::create(&db.app, &op(bid), c, now).await, "customer");
            let s = NewSubscription { customer: reference.clone(), plan: b_plan.id.clone(), quantity: 1, status: None, current_period_start: None, billing_cycle_anchor: None, cancel_at_period_end: false, metadata: Metadata::new() };
            assert_invalid(subscriptions::create(&db.app, &op(bid), s, now).await, "customer");
            let mut i = new_invoice(&customer, None);
            i.customer = reference.clone();
            assert_invalid(invoices::create(&db.app, &op(bid), i, now).await, "customer");
            let mut p = new_card(&customer, None);
            p.customer = reference;
            assert_invalid(payment_methods::create(&db.app, &op(bid), p, now).await, "customer");
        }
        assert_invalid(catalog::create_plan(&db.app, &op(bid), new_plan(&product, 0), now).await, "product");
        let s = NewSubscription { customer: b_customer.id.to_string(), plan: plan.id.clone(), quantity: 1, status: None, current_period_start: None, billing_cycle_anchor: None, cancel_at_period_end: false, metadata: Metadata::new() };
        assert_invalid(subscriptions::create(&db.app, &op(bid), s, now).await, "plan");
        assert_invalid(subscriptions::update(&db.app, &op(bid), &b_sub.id, SubscriptionPatch { plan: Some(plan.id.clone()), ..Default::default() }, now).await, "plan");
        let mut i = new_invoice(&b_customer, None);
        i.subscription = Some(sub.id.clone());
        assert_invalid(invoices::create(&db.app, &op(bid), i, now).await, "subscription");
        assert_invalid(db.payment(&b, &b_customer, Some(&inv), TransactionStatus::Succeeded, 1).await, "invoice");
        let t = NewTransaction { customer: b_customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(pm.id.clone()), description: None, created_at: None };
        assert_invalid(transactions::create(&db.app, &op(bid), t, now).await, "payment_method");

        // And A's records are exactly as they were.
        let aid = &a.id;
        assert_eq!(db.store.customer(aid, &by_alias("shared-alias")).await.unwrap(), customer);
        assert_eq!(db.store.contact(aid, &ContactRef::Id(contact.id.clone())).await.unwrap(), contact);
        assert_eq!(db.store.product(aid, &product.id).await.unwrap(), product);
        assert_eq!(db.store.plan(aid, &plan.id).await.unwrap(), plan);
        assert_eq!(db.store.plan(aid, &lonely_plan.id).await.unwrap(), lonely_plan);
        assert_eq!(db.store.product(aid, &lonely_product.id).await.unwrap(), lonely_product);
        assert_eq!(db.store.subscription(aid, &sub.id).await.unwrap(), sub);
        assert_eq!(db.store.invoice(aid, &inv.id).await.unwrap(), inv);
        assert_eq!(db.store.invoice(aid, &draft.id).await.unwrap(), draft);
        assert_eq!(db.store.transaction(aid, &txn.id).await.unwrap(), txn);
        assert_eq!(db.store.payment_method(aid, &pm.id).await.unwrap(), pm);
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key, key);
        assert_eq!(db.store.list_customers(aid, None, first(100)).await.unwrap().data, vec![customer]);
        // B's invoice numbers did not move A's sequence.
        assert_eq!(db.invoice(&b, &b_customer).await.number, "GLOBEX-0001");
    }
}
