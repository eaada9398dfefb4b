//! Many nodes on one database: the read cache never serves a stale change past its bound.

use super::*;

backend_tests! {
    /// Two nodes on one database: what one changes, the other sees after `sync`, however warm
    /// its cache was. Each read below is cached on node B before the change is made on node A.
    async fn a_second_node_sees_every_change_after_sync(db: Db) {
        let a = &db.store;
        let b = db.db.store().await;
        let account = db.account("twonodes").await;
        let id = &account.id;
        let customer = db.customer(&account, Some("twin")).await;
        let contact = db.contact(&account, &customer, Role::Owner).await;
        let product = db.product(&account).await;
        let plan = db.plan(&account, &product, 0).await;
        let subscription = db.subscription(&account, &customer, &plan).await;
        let key = a
            .create_api_key(id, "Backend", ApiScopes::all(), [7; 32], None, db.now())
            .await
            .unwrap();
        a.create_signing_key(&signing_key_for(&account, db.now(), 1)).await.unwrap();
        let session = db.portal_session(&account, &customer, Some(&contact), false).await;
        let cookie = db.browser_session(&account, &session, "twin-cookie").await;
        let by_alias = CustomerRef::Alias("twin".into());
        let by_id = CustomerRef::Id(customer.id.clone());
        let subs = || SubscriptionFilter { customer: Some(by_id.clone()), status: None };

        // Warm node B's cache with everything it will be asked again.
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let warm = |b: &SqlStore| {
            let b = b.clone();
            let (id, key_id, plan_id, by_alias, by_id, contact_id) = (
                id.clone(),
                key.id.clone(),
                plan.id.clone(),
                by_alias.clone(),
                by_id.clone(),
                contact.id.clone(),
            );
            let subs = subs();
            async move {
                b.account(&id).await.unwrap();
                b.api_key_credential(&key_id).await.unwrap();
                b.plan(&id, &plan_id).await.unwrap();
                b.customer(&id, &by_alias).await.unwrap();
                b.customer(&id, &by_id).await.unwrap();
                b.contact(&id, &ContactRef::Id(contact_id)).await.unwrap();
                b.signing_keys(&id).await.unwrap();
                b.list_subscriptions(&id, subs, first(10)).await.unwrap();
                b.browser_session(&cookie).await.unwrap().unwrap();
            }
        };
        warm(&b).await;

        // Account-wide changes: settings, a revoked key, a renamed plan, a retired signing key.
        let settings = PortalSettings { default_locale: "de".into(), ..PortalSettings::default() };
        portico_app::accounts::update_portal_settings(&db.app, &op(id), |_| settings, db.now()).await.unwrap();
        a.revoke_api_key(id, &key.id, db.now()).await.unwrap();
        let rename = PlanPatch { name: Some("Renamed".into()), ..Default::default() };
        catalog::update_plan(&db.app, &op(id), &plan.id, rename, db.now()).await.unwrap();
        a.create_signing_key(&signing_key_for(&account, db.now(), 2)).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_eq!(b.account(id).await.unwrap().settings.default_locale, "de");
        assert!(b.api_key_credential(&key.id).await.unwrap().key.revoked_at.is_some());
        assert_eq!(b.plan(id, &plan.id).await.unwrap().name, "Renamed");
        assert_eq!(b.signing_keys(id).await.unwrap().len(), 2);
        warm(&b).await;

        // One customer's changes: its record, its contact, its subscriptions, its sessions.
        let patch = CustomerPatch {
            name: Some("Twin Renamed".into()),
            alias: Some(Some("twin-2".into())),
            ..Default::default()
        };
        customers::update(&db.app, &op(id), &by_id, patch, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_eq!(b.customer(id, &by_id).await.unwrap().name, "Twin Renamed");
        assert_not_found(b.customer(id, &by_alias).await);

        let no_access = ContactPatch { portal_access: Some(false), ..Default::default() };
        contacts::update(&db.app, &op(id), &ContactRef::Id(contact.id.clone()), no_access, db.now())
            .await
            .unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert!(!b.contact(id, &ContactRef::Id(contact.id.clone())).await.unwrap().portal_access);
        assert!(!b.browser_session(&cookie).await.unwrap().unwrap().contact_active);

        b.list_subscriptions(id, subs(), first(10)).await.unwrap();
        subscriptions::cancel(&db.app, &op(id), &subscription.id, None, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let listed = b.list_subscriptions(id, subs(), first(10)).await.unwrap();
        assert_eq!(listed.data[0].status, SubscriptionStatus::Canceled);

        a.revoke_portal_session(id, &session.id, db.now(), &Actor::Operator, None).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let view = b.browser_session(&cookie).await.unwrap().unwrap();
        assert!(view.session.revoked_at.is_some());
        a.end_browser_session(&cookie, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert!(b.browser_session(&cookie).await.unwrap().unwrap().ended_at.is_some());

        customers::delete(&db.app, &op(id), &by_id, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_not_found(b.customer(id, &by_id).await);
        assert!(!b.browser_session(&cookie).await.unwrap().unwrap().customer_active);
    }

    /// A node's own writes need no `sync`: it drops what they change as they commit.
    async fn a_node_sees_its_own_writes_without_sync(db: Db) {
        let account = db.account("ownwrites").await;
        let customer = db.customer(&account, None).await;
        let by_id = CustomerRef::Id(customer.id.clone());
        db.store.customer(&account.id, &by_id).await.unwrap();
        let patch = CustomerPatch { name: Some("Fresh".into()), ..Default::default() };
        customers::update(&db.app, &op(&account.id), &by_id, patch, db.now()).await.unwrap();
        assert_eq!(db.store.customer(&account.id, &by_id).await.unwrap().name, "Fresh");
    }
}
