//! The outbox: every use case records its events in the transaction of its change, so that a
//! change and its events are stored together or not at all.

use super::*;

/// The account's events, oldest first.
async fn events_of(db: &Db, account: &Account) -> Vec<portico_core::event::Event> {
    let mut list = db.store.events(&account.id, first(100)).await.unwrap().data;
    list.reverse();
    list
}

fn kinds(events: &[portico_core::event::Event]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

backend_tests! {
    async fn events_and_endpoint_filters_under_the_old_payment_method_names_take_the_new_ones(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, None).await;
        let card = db.card(&account, &customer, None).await;
        let hook = portico_app::webhooks::create(&db.app, &op(&account.id), portico_app::webhooks::NewEndpoint {
            url: "https://93.184.216.34/hooks".into(),
            description: None,
            event_types: Some(vec!["customer.created".into(), "payment_method.attached".into(), "payment_method.detached".into()]),
            enabled: None,
        }, db.now()).await.unwrap();
        // As a database written before migration 18 held them.
        let mut raw = db.raw().await;
        raw.execute_with("UPDATE outbox SET type = 'payment_method.created' WHERE type = 'payment_method.attached' AND account_id = $1", &[account.id.to_string()]).await;
        raw.execute_with("UPDATE webhook_endpoints SET event_types = 'payment_method.created customer.created payment_method.deleted' WHERE id = $1", &[hook.endpoint.id.to_string()]).await;
        let old: Vec<String> = raw.scalars("SELECT type FROM outbox WHERE type LIKE 'payment_method.%'").await;
        assert_eq!(old, ["payment_method.created"]);

        raw.execute(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../portico-store/migrations/sqlite/0018_payment_method_events.sql"))).await;
        let event = events_of(&db, &account).await.into_iter().find(|e| e.data["id"] == card.id.as_str()).unwrap();
        assert_eq!(event.kind.to_string(), "payment_method.attached");
        let endpoint = db.store.webhook_endpoint(&account.id, &hook.endpoint.id).await.unwrap();
        let wanted = endpoint.event_types.unwrap();
        assert_eq!(wanted, ["payment_method.attached", "customer.created", "payment_method.detached"]);
        let postgres = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../portico-store/migrations/postgres/0018_payment_method_events.sql"));
        let sqlite = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../portico-store/migrations/sqlite/0018_payment_method_events.sql"));
        assert_eq!(postgres, sqlite, "one migration text serves both backends");
    }

    async fn each_change_records_its_events_with_the_record_and_the_caller(db: Db) {
        let account = db.account("events").await;
        let customer = db.customer(&account, Some("evented")).await;
        let invoice = db.invoice(&account, &customer).await;
        let key = ApiKeyId::new(db.now(), [4; 10]);
        let by_key = Caller::new(account.id.clone(), Actor::ApiKey(key.clone()), ApiScopes::all());
        let now = db.now();
        let payment = NewTransaction {
            customer: customer.id.to_string(),
            kind: TransactionKind::Payment,
            status: TransactionStatus::Succeeded,
            amount: invoice.amount_due,
            currency: None,
            invoice: Some(invoice.id.clone()),
            payment_method: None,
            description: None,
            created_at: None,
        };
        let txn = transactions::create(&db.app, &by_key, payment, now).await.unwrap();

        let events = events_of(&db, &account).await;
        assert_eq!(
            kinds(&events),
            ["customer.created", "invoice.created", "invoice.issued", "invoice.paid", "transaction.created"]
        );
        let created = &events[0];
        assert_eq!(created.account, account.id);
        assert_eq!(created.customer.as_ref(), Some(&customer.id));
        assert_eq!(created.actor, Actor::Operator);
        assert_eq!(created.data, serde_json::to_value(&customer).unwrap());
        // The payment and the invoice it paid are one change: one time, one caller.
        let (paid, recorded) = (&events[3], &events[4]);
        assert_eq!((paid.created_at, recorded.created_at), (now, now));
        assert_eq!((&paid.actor, &recorded.actor), (&Actor::ApiKey(key.clone()), &Actor::ApiKey(key)));
        assert_eq!(recorded.data, serde_json::to_value(&txn).unwrap());
        assert_eq!(paid.data["status"], "paid");
        assert_eq!(paid.data["id"], invoice.id.as_str());
        // Another account's events are its own.
        let other = db.account("quiet").await;
        assert!(events_of(&db, &other).await.is_empty());
    }

    async fn a_refused_change_records_nothing(db: Db) {
        let account = db.account("refusals").await;
        db.customer(&account, Some("taken")).await;
        let before = events_of(&db, &account).await.len();
        assert_conflict(customers::create(&db.app, &op(&account.id), new_customer(Some("taken")), db.now()).await);
        let plan = PlanId::new(db.now(), [1; 10]);
        assert_not_found(catalog::delete_plan(&db.app, &op(&account.id), &plan, db.now()).await);
        assert_eq!(events_of(&db, &account).await.len(), before);
    }

    async fn a_change_whose_events_cannot_be_stored_is_not_stored_either(db: Db) {
        let account = db.account("atomic").await;
        let mut raw = db.raw().await;
        raw.execute("ALTER TABLE outbox RENAME TO outbox_away").await;
        let refused = customers::create(&db.app, &op(&account.id), new_customer(Some("ghost")), db.now()).await;
        raw.execute("ALTER TABLE outbox_away RENAME TO outbox").await;
        assert!(matches!(refused, Err(AppError::Internal(_))), "{refused:?}");
        // Neither the customer (nor its alias) nor an event is left behind.
        assert_not_found(db.store.customer(&account.id, &by_alias("ghost")).await);
        assert!(events_of(&db, &account).await.is_empty());
        let list = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert!(list.data.is_empty(), "{list:?}");
        // And the alias is free: the same change goes through once the outbox is back.
        customers::create(&db.app, &op(&account.id), new_customer(Some("ghost")), db.now()).await.unwrap();
        assert_eq!(kinds(&events_of(&db, &account).await), ["customer.created"]);
    }

    async fn a_unit_dropped_without_commit_stores_nothing(db: Db) {
        let account = db.account("dropped").await;
        let now = db.now();
        let customer = Customer {
            id: CustomerId::new(now, [2; 10]),
            alias: Some("never".into()),
            name: "Never Stored".into(),
            email: None,
            currency: Currency::parse("currency", "EUR").unwrap(),
            address: Address::default(),
            tax_id: None,
            invoice_recipients: Vec::new(),
            portal_enabled: true,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: now,
        };
        {
            let mut uow = db.store.begin(&account.id, Actor::Operator, now).await.unwrap();
            uow.customers().insert(&customer).await.unwrap();
            uow.record(portico_core::event::EventType::CustomerCreated, Some(&customer.id), &customer).unwrap();
            assert_eq!(uow.events().len(), 1);
        }
        assert_not_found(db.store.customer(&account.id, &by_id(&customer)).await);
        assert!(events_of(&db, &account).await.is_empty());
        // Committed, the same unit stores both.
        let mut uow = db.store.begin(&account.id, Actor::Operator, now).await.unwrap();
        uow.customers().insert(&customer).await.unwrap();
        uow.record(portico_core::event::EventType::CustomerCreated, Some(&customer.id), &customer).unwrap();
        uow.commit().await.unwrap();
        assert_eq!(db.store.customer(&account.id, &by_id(&customer)).await.unwrap(), customer);
        assert_eq!(kinds(&events_of(&db, &account).await), ["customer.created"]);
    }

    async fn portal_sessions_record_their_events_in_the_writes_that_change_them(db: Db) {
        use portico_core::event::EventType;
        let a = db.account("sessions").await;
        let customer = db.customer(&a, None).await;
        let contact = db.contact(&a, &customer, Role::Owner).await;
        let key = ApiKeyId::new(db.now(), [5; 10]);
        let by_key = Actor::ApiKey(key.clone());
        let issue = |contact: Option<&Contact>, now: Timestamp| PortalSession {
            issued_by: key.to_string(),
            ..portal_session_for(&customer, contact, now, 3600)
        };
        let skip = events_of(&db, &a).await.len();
        let mut want: Vec<(EventType, Actor, PortalSessionId)> = Vec::new();

        // Issued, then entered by a portal link's browser session.
        let first = issue(None, db.now());
        db.store.create_portal_session(&a.id, &first, false, None).await.unwrap();
        want.push((EventType::PortalSessionCreated, by_key.clone(), first.id.clone()));
        db.browser_session(&a, &first, "first").await;
        want.push((EventType::PortalSessionEntered, Actor::Portal(first.id.clone()), first.id.clone()));
        // A session that replaces the customer's others revokes them in its own write.
        let second = issue(None, db.now());
        db.store.create_portal_session(&a.id, &second, true, None).await.unwrap();
        want.push((EventType::PortalSessionRevoked, by_key.clone(), first.id.clone()));
        want.push((EventType::PortalSessionCreated, by_key.clone(), second.id.clone()));
        // A redirect exchange enters once; the refused second exchange records nothing.
        let token = sha256("redirect");
        db.store.create_redirect_token(&a.id, &second.id, &token, db.now().plus_secs(30)).await.unwrap();
        let now = db.now();
        assert!(db.store.exchange_redirect_token(&token, now, sha256("cookie"), [1; 32], None).await.unwrap().is_some());
        want.push((EventType::PortalSessionEntered, Actor::Portal(second.id.clone()), second.id.clone()));
        assert!(db.store.exchange_redirect_token(&token, db.now(), sha256("cookie 2"), [1; 32], None).await.unwrap().is_none());
        // Revoked by the vendor once; revoking again records nothing.
        db.store.revoke_portal_session(&a.id, &second.id, db.now(), &by_key, None).await.unwrap();
        want.push((EventType::PortalSessionRevoked, by_key.clone(), second.id.clone()));
        db.store.revoke_portal_session(&a.id, &second.id, db.now(), &Actor::Operator, None).await.unwrap();
        // A browser session on a session that is over enters nothing.
        db.browser_session(&a, &second, "too late").await;
        // Switching the contact's access off revokes its sessions, by whoever switched it.
        let contacts = issue(Some(&contact), db.now());
        db.store.create_portal_session(&a.id, &contacts, false, None).await.unwrap();
        want.push((EventType::PortalSessionCreated, by_key.clone(), contacts.id.clone()));
        let off = ContactPatch { portal_access: Some(false), ..ContactPatch::default() };
        contacts::update(&db.app, &op(&a.id), &ContactRef::Id(contact.id.clone()), off, db.now()).await.unwrap();
        want.push((EventType::PortalSessionRevoked, Actor::Operator, contacts.id.clone()));
        // And the customer's.
        let customers_own = issue(None, db.now());
        db.store.create_portal_session(&a.id, &customers_own, false, None).await.unwrap();
        want.push((EventType::PortalSessionCreated, by_key.clone(), customers_own.id.clone()));
        let off = CustomerPatch { portal_enabled: Some(false), ..CustomerPatch::default() };
        customers::update(&db.app, &op(&a.id), &by_id(&customer), off, db.now()).await.unwrap();
        want.push((EventType::PortalSessionRevoked, Actor::Operator, customers_own.id.clone()));
        let on = CustomerPatch { portal_enabled: Some(true), ..CustomerPatch::default() };
        customers::update(&db.app, &op(&a.id), &by_id(&customer), on, db.now()).await.unwrap();
        // Every live session of the customer at once, each with its event.
        let (one, two) = (issue(None, db.now()), issue(None, db.now()));
        for s in [&one, &two] {
            db.store.create_portal_session(&a.id, s, false, None).await.unwrap();
            want.push((EventType::PortalSessionCreated, by_key.clone(), s.id.clone()));
        }
        let now = db.now();
        assert_eq!(db.store.revoke_customer_portal_sessions(&a.id, &customer.id, now, &by_key, None).await.unwrap(), 2);

        let events: Vec<_> = events_of(&db, &a).await.into_iter().skip(skip)
            .filter(|e| e.kind.as_str().starts_with("portal_session."))
            .collect();
        let mut got: Vec<(EventType, Actor, PortalSessionId)> = events.iter()
            .map(|e| (e.kind, e.actor.clone(), e.data["id"].as_str().unwrap().parse().unwrap()))
            .collect();
        // The last two share one write and one time: their order is the database's.
        let tail = got.split_off(got.len() - 2);
        assert_eq!(got, want);
        let mut revoked_both: Vec<_> = tail.iter().map(|t| t.2.clone()).collect();
        revoked_both.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        let mut both = vec![one.id.clone(), two.id.clone()];
        both.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        assert_eq!(revoked_both, both);
        assert!(tail.iter().all(|t| t.0 == EventType::PortalSessionRevoked && t.1 == by_key));
        // Each carries the session as the API shows it right after the change, never a secret.
        for e in &events {
            assert_eq!(e.customer.as_ref(), Some(&customer.id));
            let id: PortalSessionId = e.data["id"].as_str().unwrap().parse().unwrap();
            let stored = db.store.portal_session(&a.id, &id).await.unwrap();
            let mut shown = serde_json::to_value(&stored).unwrap();
            if e.kind != EventType::PortalSessionRevoked {
                shown["revoked_at"] = serde_json::Value::Null;
            }
            assert_eq!(e.data, shown, "{}", e.kind);
            let text = e.data.to_string();
            assert!(!text.contains("token") && !text.contains("cookie") && !text.contains("csrf"), "{text}");
        }
    }

    async fn deleting_a_contact_or_a_customer_revokes_its_live_portal_sessions_with_events(db: Db) {
        use portico_core::event::EventType;
        let a = db.account("deleted").await;
        let customer = db.customer(&a, None).await;
        let (leaving, staying) = (db.contact(&a, &customer, Role::Owner).await, db.contact(&a, &customer, Role::Billing).await);
        let open = |contact: Option<&Contact>, now: Timestamp| portal_session_for(&customer, contact, now, 3600);
        let (of_leaving, of_staying, of_customer) = (open(Some(&leaving), db.now()), open(Some(&staying), db.now()), open(None, db.now()));
        // One already over: revoked before, it is not revoked again.
        let revoked_before = open(None, db.now());
        for s in [&of_leaving, &of_staying, &of_customer, &revoked_before] {
            db.store.create_portal_session(&a.id, s, false, None).await.unwrap();
        }
        db.store.revoke_portal_session(&a.id, &revoked_before.id, db.now(), &Actor::Operator, None).await.unwrap();
        let revoked = |events: &[portico_core::event::Event]| -> Vec<PortalSessionId> {
            let mut ids: Vec<PortalSessionId> = events.iter()
                .filter(|e| e.kind == EventType::PortalSessionRevoked)
                .map(|e| e.data["id"].as_str().unwrap().parse().unwrap())
                .collect();
            ids.sort_by(|x, y| x.as_str().cmp(y.as_str()));
            ids
        };
        let skip = events_of(&db, &a).await.len();

        // The contact goes, and its session with it; the other contact's stays live.
        contacts::delete(&db.app, &op(&a.id), &ContactRef::Id(leaving.id.clone()), db.now()).await.unwrap();
        let events: Vec<_> = events_of(&db, &a).await.into_iter().skip(skip).collect();
        assert_eq!(kinds(&events), ["portal_session.revoked", "contact.deleted"]);
        assert_eq!(revoked(&events), std::slice::from_ref(&of_leaving.id));
        assert!(db.store.portal_session(&a.id, &of_leaving.id).await.unwrap().revoked_at.is_some());
        assert!(db.store.portal_session(&a.id, &of_staying.id).await.unwrap().revoked_at.is_none());

        // The customer goes, and every live session of it and its contacts with it, in its write.
        let skip = skip + events.len();
        customers::delete(&db.app, &op(&a.id), &by_id(&customer), db.now()).await.unwrap();
        let events: Vec<_> = events_of(&db, &a).await.into_iter().skip(skip).collect();
        assert_eq!(kinds(&events), ["portal_session.revoked", "portal_session.revoked", "customer.deleted"]);
        let mut want = vec![of_staying.id.clone(), of_customer.id.clone()];
        want.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        assert_eq!(revoked(&events), want);
        for e in &events {
            assert_eq!(e.actor, Actor::Operator);
            assert_eq!(e.customer.as_ref(), Some(&customer.id));
        }
    }

    async fn every_issued_invoice_says_so_however_it_was_issued(db: Db) {
        let a = db.account("issued").await;
        let customer = db.customer(&a, None).await;
        let skip = events_of(&db, &a).await.len();
        let open = invoices::create(&db.app, &op(&a.id), new_invoice(&customer, Some(InvoiceStatus::Open)), db.now()).await.unwrap();
        let draft = invoices::create(&db.app, &op(&a.id), new_invoice(&customer, Some(InvoiceStatus::Draft)), db.now()).await.unwrap();
        let to = |status| InvoicePatch { status: Some(status), ..InvoicePatch::default() };
        invoices::update(&db.app, &op(&a.id), &draft.id, to(InvoiceStatus::Open), db.now()).await.unwrap();
        invoices::update(&db.app, &op(&a.id), &draft.id, to(InvoiceStatus::Void), db.now()).await.unwrap();
        let events: Vec<_> = events_of(&db, &a).await.into_iter().skip(skip).collect();
        let about: Vec<(&str, &str)> = events.iter().map(|e| (e.kind.as_str(), e.data["id"].as_str().unwrap())).collect();
        assert_eq!(about, [
            ("invoice.created", open.id.as_str()), ("invoice.issued", open.id.as_str()),
            ("invoice.created", draft.id.as_str()), ("invoice.issued", draft.id.as_str()),
            ("invoice.voided", draft.id.as_str()),
        ]);
        assert_eq!(events[3].data["status"], "open");
    }

    async fn a_webhook_run_fans_out_twenty_thousand_events_at_most_and_leaves_the_rest(db: Db) {
        let account = db.account("busy").await;
        // Events arriving faster than a run fans them out: the run still ends, and sends.
        let mut raw = db.raw().await;
        raw.execute_with(
            "INSERT INTO outbox (id, account_id, type, actor, data, created_at) \
             WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20100) \
             SELECT 'evt_' || i, $1, 'customer.updated', 'system', '{}', 0 FROM n",
            &[account.id.to_string()],
        )
        .await;
        let first = portico_app::webhooks::run_once(&db.app).await.unwrap();
        assert_eq!(first.events, 20_000);
        let second = portico_app::webhooks::run_once(&db.app).await.unwrap();
        assert!(second.events >= 100, "{} events left for the next run", second.events);
        assert_eq!(portico_app::webhooks::run_once(&db.app).await.unwrap().events, 0);
    }
}
