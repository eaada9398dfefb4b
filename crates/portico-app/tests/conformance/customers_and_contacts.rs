//! Customers and contacts.

use super::*;

backend_tests! {
    async fn customers_round_trip_every_field(db: Db) {
        let account = db.account("acme").await;
        let now = db.now();
        let input = NewCustomer {
            alias: Some("superdesk-42".into()),
            name: "  Superdesk Ltd  ".into(),
            email: Some("ap@superdesk.example".into()),
            currency: Currency::GBP,
            address: Address {
                line1: Some("1 Long Lane".into()),
                line2: Some("Floor 3".into()),
                city: Some("London".into()),
                state: Some("Greater London".into()),
                postal_code: Some("EC1A 1AA".into()),
                country: Some("gb".into()),
            },
            tax_id: Some("GB123456789".into()),
            invoice_recipients: vec!["ap@superdesk.example".into(), "cfo@superdesk.example".into()],
            portal_enabled: false,
            metadata: meta(&[("crm", "hubspot-9"), ("tier", "gold")]),
            test_clock: None,
        };
        let c = customers::create(&db.app, &op(&account.id), input, now).await.unwrap();
        assert!(c.id.as_str().starts_with("cus_"));
        assert_eq!(c.alias.as_deref(), Some("superdesk-42"));
        assert_eq!(c.name, "Superdesk Ltd");
        assert_eq!(c.email.as_deref(), Some("ap@superdesk.example"));
        assert_eq!(c.currency, Currency::GBP);
        assert_eq!(c.address.country.as_deref(), Some("GB"));
        assert_eq!(c.address.line2.as_deref(), Some("Floor 3"));
        assert_eq!(c.tax_id.as_deref(), Some("GB123456789"));
        assert_eq!(c.invoice_recipients, ["ap@superdesk.example", "cfo@superdesk.example"]);
        assert!(!c.portal_enabled);
        assert_eq!(c.metadata, meta(&[("crm", "hubspot-9"), ("tier", "gold")]));
        assert_eq!((c.created_at, c.updated_at), (now, now));

        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), c);
        assert_eq!(db.store.customer(&account.id, &by_alias("superdesk-42")).await.unwrap(), c);
        assert_eq!(db.store.customer(&account.id, &CustomerRef::parse("superdesk-42")).await.unwrap(), c);
        assert_not_found(db.store.customer(&account.id, &by_alias("nobody")).await);
        let list = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(list.data, vec![c.clone()]);

        // The rules of the domain apply: an invalid input is refused and nothing is stored.
        let mut bad = new_customer(Some("x"));
        bad.email = Some("not-an-email".into());
        assert_invalid(customers::create(&db.app, &op(&account.id), bad, db.now()).await, "email");
        assert_eq!(db.store.list_customers(&account.id, None, first(10)).await.unwrap().data.len(), 1);
    }

    async fn customer_patches_round_trip(db: Db) {
        let account = db.account("acme").await;
        let mut input = new_customer(Some("old-alias"));
        input.tax_id = Some("DE1".into());
        let c = customers::create(&db.app, &op(&account.id), input, db.now()).await.unwrap();

        let now = db.now();
        let patch = CustomerPatch {
            alias: Some(Some("new-alias".into())),
            name: Some("Renamed".into()),
            email: Some(None),
            currency: Some(Currency::USD),
            address: Some(Address { city: Some("Berlin".into()), country: Some("DE".into()), ..Address::default() }),
            tax_id: Some(None),
            invoice_recipients: Some(vec!["ap@renamed.example".into()]),
            portal_enabled: Some(false),
            metadata: Some(meta(&[("k", "v")])),
        };
        let u = customers::update(&db.app, &op(&account.id), &by_alias("old-alias"), patch, now).await.unwrap();
        assert_eq!(u.id, c.id);
        assert_eq!(u.alias.as_deref(), Some("new-alias"));
        assert_eq!(u.name, "Renamed");
        assert_eq!(u.email, None);
        assert_eq!(u.currency, Currency::USD);
        assert_eq!(u.address.city.as_deref(), Some("Berlin"));
        assert_eq!(u.tax_id, None);
        assert_eq!(u.invoice_recipients, ["ap@renamed.example"]);
        // The customer's events carry them, as the API shows them.
        let events = db.store.events(&account.id, first(10)).await.unwrap().data;
        let recipients: Vec<_> = events.iter().map(|e| (e.kind.as_str(), e.data["invoice_recipients"].clone())).collect();
        assert!(recipients.contains(&("customer.updated", serde_json::json!(["ap@renamed.example"]))), "{recipients:?}");
        assert!(!u.portal_enabled);
        assert_eq!(u.metadata, meta(&[("k", "v")]));
        assert_eq!((u.created_at, u.updated_at), (c.created_at, now));
        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), u);
        assert_not_found(db.store.customer(&account.id, &by_alias("old-alias")).await);

        // An empty patch changes nothing but the update time.
        let later = db.now();
        let same = customers::update(&db.app, &op(&account.id), &by_id(&c), CustomerPatch::default(), later).await.unwrap();
        assert_eq!(CustomerPatch::default().apply(u.clone(), later).unwrap(), same);

        let bad = CustomerPatch { name: Some("Changed".into()), email: Some(Some("nope".into())), ..Default::default() };
        assert_invalid(customers::update(&db.app, &op(&account.id), &by_id(&c), bad, db.now()).await, "email");
        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), same);
        assert_not_found(
            customers::update(&db.app, &op(&account.id), &by_alias("nobody"), CustomerPatch::default(), db.now())
                .await,
        );
    }

    async fn customer_aliases_are_unique_per_account_until_deleted(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let first_one = db.customer(&a, Some("shared")).await;
        let msg = assert_conflict(customers::create(&db.app, &op(&a.id), new_customer(Some("shared")), db.now()).await);
        assert!(msg.contains("already exists") && msg.contains("shared"), "{msg}");
        let other = db.customer(&a, Some("other")).await;
        let taken = CustomerPatch { alias: Some(Some("shared".into())), ..Default::default() };
        assert_conflict(customers::update(&db.app, &op(&a.id), &by_id(&other), taken, db.now()).await);
        assert_eq!(db.store.customer(&a.id, &by_id(&other)).await.unwrap().alias.as_deref(), Some("other"));
        // Customers without an alias never collide.
        db.customer(&a, None).await;
        db.customer(&a, None).await;
        // The same alias in another account is another customer.
        let b_customer = db.customer(&b, Some("shared")).await;
        assert_eq!(db.store.customer(&b.id, &by_alias("shared")).await.unwrap(), b_customer);

        customers::delete(&db.app, &op(&a.id), &by_alias("shared"), db.now()).await.unwrap();
        let reborn = db.customer(&a, Some("shared")).await;
        assert_ne!(reborn.id, first_one.id);
        assert_eq!(db.store.customer(&a.id, &by_alias("shared")).await.unwrap(), reborn);
        assert_not_found(db.store.customer(&a.id, &by_id(&first_one)).await);
    }

    async fn customers_paginate_newest_first(db: Db) {
        let account = db.account("acme").await;
        let mut created = vec![];
        for i in 0..5 {
            let mut input = new_customer(Some(&format!("c{i}")));
            input.email = Some(if i % 2 == 0 { "even@x.example" } else { "odd@x.example" }.into());
            created.push(customers::create(&db.app, &op(&account.id), input, db.now()).await.unwrap());
        }
        let newest_first: Vec<CustomerId> = created.iter().rev().map(|c| c.id.clone()).collect();
        let p1 = db.store.list_customers(&account.id, None, first(2)).await.unwrap();
        assert_eq!(ids(&p1, |c| &c.id), newest_first[0..2]);
        assert!(p1.has_more);
        let p2 = db.store.list_customers(&account.id, None, after(2, &p1.data[1].id)).await.unwrap();
        assert_eq!(ids(&p2, |c| &c.id), newest_first[2..4]);
        assert!(p2.has_more);
        let p3 = db.store.list_customers(&account.id, None, after(2, &p2.data[1].id)).await.unwrap();
        assert_eq!(ids(&p3, |c| &c.id), newest_first[4..5]);
        assert!(!p3.has_more);
        let all = db.store.list_customers(&account.id, None, first(5)).await.unwrap();
        assert_eq!((all.data.len(), all.has_more), (5, false));

        let even = db.store.list_customers(&account.id, Some("even@x.example"), first(10)).await.unwrap();
        assert_eq!(ids(&even, |c| &c.id), vec![newest_first[0].clone(), newest_first[2].clone(), newest_first[4].clone()]);
        let odd = db.store.list_customers(&account.id, Some("odd@x.example"), first(1)).await.unwrap();
        assert_eq!((ids(&odd, |c| &c.id), odd.has_more), (vec![newest_first[1].clone()], true));

        // Deleted customers leave the list.
        customers::delete(&db.app, &op(&account.id), &by_id(&created[4]), db.now()).await.unwrap();
        let all = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |c| &c.id), newest_first[1..5]);
    }

    async fn deleting_a_customer_hides_it_and_cancels_its_subscriptions(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("doomed")).await;
        let product = db.product(&account).await;
        let plan = db.plan(&account, &product, 0).await;
        let live = db.subscription(&account, &customer, &plan).await;
        let ended = db.subscription(&account, &customer, &plan).await;
        let ended = subscriptions::cancel(&db.app, &op(&account.id), &ended.id, Some("too pricey".into()), db.now()).await.unwrap();
        let contact = contacts::create(&db.app, &op(&account.id), NewContact { customer: "doomed".into(), external_id: Some("eu-1".into()), email: "ana@acme.example".into(), name: None, portal_access: true, role: Role::Owner },
                db.now(),
            )
            .await
            .unwrap();
        let pm = db.card(&account, &customer, None).await;
        let invoice = db.invoice(&account, &customer).await;
        let bystander = db.customer(&account, Some("bystander")).await;
        let bystander_sub = db.subscription(&account, &bystander, &plan).await;

        let now = db.now();
        let deleted = customers::delete(&db.app, &op(&account.id), &by_alias("doomed"), now).await.unwrap();
        assert_eq!((deleted.id.clone(), deleted.updated_at), (customer.id.clone(), now));

        assert_not_found(db.store.customer(&account.id, &by_id(&customer)).await);
        assert_not_found(db.store.customer(&account.id, &by_alias("doomed")).await);
        assert_not_found(customers::delete(&db.app, &op(&account.id), &by_id(&customer), db.now()).await);
        assert_not_found(customers::update(&db.app, &op(&account.id), &by_id(&customer), CustomerPatch::default(), db.now()).await);
        let list = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&list, |c| &c.id), vec![bystander.id.clone()]);

        let live = db.store.subscription(&account.id, &live.id).await.unwrap();
        assert_eq!((live.status, live.canceled_at), (SubscriptionStatus::Canceled, Some(now)));
        assert_eq!(db.store.subscription(&account.id, &ended.id).await.unwrap(), ended, "already canceled stays as it was");
        assert_eq!(db.store.subscription(&account.id, &bystander_sub.id).await.unwrap(), bystander_sub);

        // Its contacts go with it; history (invoices, payment methods) stays readable by id.
        assert_not_found(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await);
        assert_not_found(db.store.contact(&account.id, &ContactRef::ExternalId("eu-1".into())).await);
        assert_eq!(db.store.invoice(&account.id, &invoice.id).await.unwrap(), invoice);
        assert_eq!(db.store.payment_method(&account.id, &pm.id).await.unwrap(), pm);

        // A deleted customer cannot be referred to any more, by id or by alias.
        for reference in [customer.id.to_string(), "doomed".to_owned()] {
            let contact = NewContact { customer: reference.clone(), external_id: None, email: "bo@acme.example".into(), name: None, portal_access: true, role: Role::Billing };
            assert_invalid(contacts::create(&db.app, &op(&account.id), contact, db.now()).await, "customer");
            let sub = NewSubscription { customer: reference.clone(), plan: plan.id.clone(), quantity: 1, status: None, current_period_start: None, billing_cycle_anchor: None, cancel_at_period_end: false, metadata: Metadata::new() };
            assert_invalid(subscriptions::create(&db.app, &op(&account.id), sub, db.now()).await, "customer");
            let mut inv = new_invoice(&customer, None);
            inv.customer = reference.clone();
            assert_invalid(invoices::create(&db.app, &op(&account.id), inv, db.now()).await, "customer");
            let mut card = new_card(&customer, None);
            card.customer = reference.clone();
            assert_invalid(payment_methods::create(&db.app, &op(&account.id), card, db.now()).await, "customer");
            let txn = NewTransaction { customer: reference, kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: None, description: None, created_at: None };
            assert_invalid(transactions::create(&db.app, &op(&account.id), txn, db.now()).await, "customer");
        }
        assert_not_found(db.store.list_contacts(&account.id, Some(&by_id(&customer)), first(10)).await);
        assert_not_found(db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("doomed")), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await);
    }

    async fn contacts_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other_account = db.account("globex").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let second = db.customer(&account, None).await;
        let now = db.now();
        let contact = contacts::create(&db.app, &op(&account.id), NewContact {
                    customer: "acme-1".into(),
                    external_id: Some("user-7".into()),
                    email: "ana@acme.example".into(),
                    name: Some("Ana".into()),
                    portal_access: false,
                    role: Role::Viewer,
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(contact.customer, customer.id);
        assert_eq!(contact.external_id.as_deref(), Some("user-7"));
        assert_eq!((contact.email.as_str(), contact.name.as_deref()), ("ana@acme.example", Some("Ana")));
        assert_eq!((contact.portal_access, contact.role), (false, Role::Viewer));
        assert_eq!((contact.created_at, contact.updated_at), (now, now));
        assert_eq!(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await.unwrap(), contact);
        assert_eq!(db.store.contact(&account.id, &ContactRef::parse("user-7")).await.unwrap(), contact);

        let new_contact = |customer: String, external_id: Option<&str>| NewContact {
            customer,
            external_id: external_id.map(Into::into),
            email: "bo@acme.example".into(),
            name: None,
            portal_access: true,
            role: Role::Billing,
        };
        let msg = assert_conflict(contacts::create(&db.app, &op(&account.id), new_contact(second.id.to_string(), Some("user-7")), db.now()).await);
        assert!(msg.contains("user-7"), "{msg}");
        assert_invalid(contacts::create(&db.app, &op(&account.id), new_contact("nobody".into(), None), db.now()).await, "customer");
        assert_invalid(contacts::create(&db.app, &op(&account.id), new_contact(customer.id.to_string(), Some("not valid!")), db.now()).await, "external_id");
        // External ids are per account.
        let theirs = db.customer(&other_account, None).await;
        contacts::create(&db.app, &op(&other_account.id), new_contact(theirs.id.to_string(), Some("user-7")), db.now()).await.unwrap();

        let c2 = contacts::create(&db.app, &op(&account.id), new_contact(second.id.to_string(), None), db.now()).await.unwrap();
        let c3 = contacts::create(&db.app, &op(&account.id), new_contact(customer.id.to_string(), None), db.now()).await.unwrap();
        let all = db.store.list_contacts(&account.id, None, first(2)).await.unwrap();
        assert_eq!((ids(&all, |c| &c.id), all.has_more), (vec![c3.id.clone(), c2.id.clone()], true));
        let rest = db.store.list_contacts(&account.id, None, after(2, &c2.id)).await.unwrap();
        assert_eq!((ids(&rest, |c| &c.id), rest.has_more), (vec![contact.id.clone()], false));
        let mine = db.store.list_contacts(&account.id, Some(&by_alias("acme-1")), first(10)).await.unwrap();
        assert_eq!(ids(&mine, |c| &c.id), vec![c3.id.clone(), contact.id.clone()]);
        assert_not_found(db.store.list_contacts(&account.id, Some(&by_alias("nobody")), first(10)).await);

        let now = db.now();
        let patch = ContactPatch { external_id: Some(None), email: Some("ana@new.example".into()), name: Some(None), portal_access: Some(true), role: Some(Role::Owner) };
        let u = contacts::update(&db.app, &op(&account.id), &ContactRef::ExternalId("user-7".into()), patch, now).await.unwrap();
        assert_eq!((u.external_id.clone(), u.email.as_str(), u.name.clone()), (None, "ana@new.example", None));
        assert_eq!((u.portal_access, u.role, u.updated_at, u.created_at), (true, Role::Owner, now, contact.created_at));
        assert_eq!(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await.unwrap(), u);
        assert_not_found(db.store.contact(&account.id, &ContactRef::ExternalId("user-7".into())).await);
        let taken = ContactPatch { external_id: Some(Some("user-8".into())), ..Default::default() };
        contacts::update(&db.app, &op(&account.id), &ContactRef::Id(c2.id.clone()), taken.clone(), db.now()).await.unwrap();
        assert_conflict(contacts::update(&db.app, &op(&account.id), &ContactRef::Id(c3.id.clone()), taken, db.now()).await);
        assert_invalid(
            contacts::update(&db.app, &op(&account.id), &ContactRef::Id(c3.id.clone()), ContactPatch { email: Some("x".into()), ..Default::default() }, db.now()).await,
            "email",
        );

        let now = db.now();
        let deleted = contacts::delete(&db.app, &op(&account.id), &ContactRef::ExternalId("user-8".into()), now).await.unwrap();
        assert_eq!((deleted.id.clone(), deleted.updated_at), (c2.id.clone(), now));
        assert_not_found(db.store.contact(&account.id, &ContactRef::Id(c2.id.clone())).await);
        assert_not_found(contacts::delete(&db.app, &op(&account.id), &ContactRef::Id(c2.id.clone()), db.now()).await);
        assert_not_found(contacts::update(&db.app, &op(&account.id), &ContactRef::Id(c2.id.clone()), ContactPatch::default(), db.now()).await);
        let all = db.store.list_contacts(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |c| &c.id), vec![c3.id.clone(), contact.id.clone()]);
        // Its external id is free again.
        contacts::create(&db.app, &op(&account.id), new_contact(second.id.to_string(), Some("user-8")), db.now()).await.unwrap();
    }

    async fn concurrent_customer_updates_lose_nothing(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("busy")).await;
        let mut tasks = vec![];
        for i in 0..50 {
            let app = db.app.clone();
            let account = account.id.clone();
            let now = db.now();
            // Half the writers change the name, half the metadata: a read-modify-write that
            // loses an update writes back a stale name or stale metadata.
            let renames = i % 2 == 0;
            let patch = if renames {
                CustomerPatch { name: Some(format!("Name {i}")), ..Default::default() }
            } else {
                CustomerPatch { metadata: Some(meta(&[("writer", &i.to_string())])), ..Default::default() }
            };
            tasks.push(tokio::spawn(async move {
                let c = customers::update(&app, &op(&account), &by_alias("busy"), patch, now).await;
                (renames, c)
            }));
        }
        let mut writes = vec![];
        for task in tasks {
            let (renames, c) = task.await.unwrap();
            let c = c.unwrap();
            writes.push(Write { renames, name: c.name, writer: c.metadata.get("writer").cloned() });
        }
        let last = db.store.customer(&account.id, &by_id(&customer)).await.unwrap();
        let end = (last.name, last.metadata.get("writer").cloned());
        assert!(
            serial_order_exists(&writes, &customer.name, &end),
            "no serial order of the updates explains what they returned and left: {writes:?}, final {end:?}"
        );
    }
}
