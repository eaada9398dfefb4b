//! Portal access: signing keys, portal sessions, redirect tokens, browser sessions, OAuth clients, idempotency keys.

use super::*;

backend_tests! {
    async fn idempotency_keys_go_through_their_states(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let fp = [7u8; 32];
        let other_fp = [8u8; 32];
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::InProgress);
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Mismatch);
        // Keys belong to an account: the same key elsewhere is a new one.
        assert_eq!(db.store.idempotency_begin(&b.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Started);

        let body = br#"{"id":"cus_1","name":"\u00e9"}"#.to_vec();
        db.store.idempotency_finish(&a.id, "k1", 201, &body).await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 201, body: body.clone() });
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Mismatch);
        // A finished answer is kept even if someone tries to abandon it.
        db.store.idempotency_abandon(&a.id, "k1").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 201, body });
        assert_eq!(db.store.idempotency_begin(&b.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::InProgress);

        // An abandoned claim lets the retry run; a body may be empty.
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        db.store.idempotency_abandon(&a.id, "k2").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        db.store.idempotency_finish(&a.id, "k2", 204, b"").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 204, body: vec![] });
        // Another account cannot finish or abandon this account's claims.
        assert_not_found(db.store.idempotency_finish(&b.id, "k2", 500, b"x").await);
        db.store.idempotency_abandon(&b.id, "k2").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 204, body: vec![] });
        assert_not_found(db.store.idempotency_finish(&a.id, "never-begun", 200, b"{}").await);

        // A claim left unfinished by a process that stopped holds its key only until no request
        // can still be running (70 minutes); then a retry takes it over, once.
        let claimed = db.now();
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &fp, claimed).await.unwrap(), IdempotencyBegin::Started);
        let soon = claimed.plus_secs(3600);
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &fp, soon).await.unwrap(), IdempotencyBegin::InProgress);
        let later = claimed.plus_secs(4200);
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &other_fp, later).await.unwrap(), IdempotencyBegin::Mismatch);
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &fp, later).await.unwrap(), IdempotencyBegin::Started);
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &fp, later).await.unwrap(), IdempotencyBegin::InProgress);
        db.store.idempotency_finish(&a.id, "k3", 201, b"{}").await.unwrap();
        let much_later = claimed.plus_secs(86_000);
        assert_eq!(db.store.idempotency_begin(&a.id, "k3", &fp, much_later).await.unwrap(), IdempotencyBegin::Replay { status: 201, body: b"{}".to_vec() });
    }

    async fn an_idempotency_key_commits_with_the_change_it_claimed(db: Db) {
        let a = db.account("acme").await;
        let fp = [7u8; 32];
        let claimed = db.now();
        let past_the_lease = claimed.plus_secs(4200);
        let by = |key: &str| op(&a.id).with_idempotency_key(Some(key.to_owned()));

        // The change commits and marks its key; the process stops before the answer is stored.
        assert_eq!(db.store.idempotency_begin(&a.id, "paid", &fp, claimed).await.unwrap(), IdempotencyBegin::Started);
        portico_app::customers::create(&db.app, &by("paid"), new_customer(Some("once")), claimed).await.unwrap();
        // A retry waits while the request may still be answering, and never runs it again.
        assert_eq!(db.store.idempotency_begin(&a.id, "paid", &fp, claimed.plus_secs(60)).await.unwrap(), IdempotencyBegin::InProgress);
        assert_eq!(db.store.idempotency_begin(&a.id, "paid", &fp, past_the_lease).await.unwrap(), IdempotencyBegin::Committed);
        // A server failure after the commit cannot release the key either: it becomes the answer.
        assert!(!db.store.idempotency_abandon(&a.id, "paid").await.unwrap());
        db.store.idempotency_finish(&a.id, "paid", 500, b"{}").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "paid", &fp, past_the_lease).await.unwrap(), IdempotencyBegin::Replay { status: 500, body: b"{}".to_vec() });

        // A change that is refused rolls back, and its key with it: the claim may be released,
        // or taken over once the lease is over.
        assert_eq!(db.store.idempotency_begin(&a.id, "refused", &fp, claimed).await.unwrap(), IdempotencyBegin::Started);
        let duplicate = portico_app::customers::create(&db.app, &by("refused"), new_customer(Some("once")), claimed).await;
        assert!(duplicate.is_err());
        assert_eq!(db.store.idempotency_begin(&a.id, "refused", &fp, past_the_lease).await.unwrap(), IdempotencyBegin::Started);
        assert!(db.store.idempotency_abandon(&a.id, "refused").await.unwrap());
        assert_eq!(db.store.idempotency_begin(&a.id, "refused", &fp, claimed).await.unwrap(), IdempotencyBegin::Started);

        // Another request's key is not marked by this one's change.
        assert_eq!(db.store.idempotency_begin(&a.id, "other", &fp, claimed).await.unwrap(), IdempotencyBegin::Started);
        portico_app::customers::create(&db.app, &by("mine"), new_customer(Some("twice")), claimed).await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "other", &fp, past_the_lease).await.unwrap(), IdempotencyBegin::Started);
    }

    async fn signing_keys_round_trip_rotate_and_revoke(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let first_key = signing_key_for(&a, db.now(), 1);
        let theirs = signing_key_for(&b, db.now(), 2);
        let second_key = signing_key_for(&a, db.now(), 3);
        for key in [&first_key, &theirs, &second_key] {
            db.store.create_signing_key(key).await.unwrap();
        }
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap(), vec![second_key.clone(), first_key.clone()]);
        assert_eq!(db.store.signing_keys(&b.id).await.unwrap(), vec![theirs.clone()]);
        // The kid names the key and the key its account: the lookup is unscoped.
        assert_eq!(db.store.signing_key(&first_key.id).await.unwrap(), first_key);
        assert_eq!(db.store.signing_key(&theirs.id).await.unwrap().account, b.id);
        assert_not_found(db.store.signing_key(&SigningKeyId::new(db.now(), [9; 10])).await);
        let published: BTreeSet<String> = db.store.published_signing_keys().await.unwrap().iter().map(|k| k.id.to_string()).collect();
        assert_eq!(published, [&first_key, &theirs, &second_key].iter().map(|k| k.id.to_string()).collect());

        let msg = assert_conflict(db.store.create_signing_key(&first_key).await);
        assert!(msg.contains("already exists"), "{msg}");
        let orphan = SigningKeyRecord { account: AccountId::new(db.now(), [9; 10]), ..signing_key_for(&a, db.now(), 4) };
        assert_not_found(db.store.create_signing_key(&orphan).await);

        // Another account neither retires (with its own key as "current") nor revokes A's keys.
        assert_not_found(db.store.retire_signing_keys(&b.id, &first_key.id, db.now()).await);
        assert_not_found(db.store.retire_signing_keys(&a.id, &theirs.id, db.now()).await);
        assert_not_found(db.store.revoke_signing_key(&b.id, &first_key.id, db.now()).await);
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap(), vec![second_key.clone(), first_key.clone()]);

        // Rotation: the older key retires, the current one and other accounts' keys do not.
        let retired_at = db.now();
        db.store.retire_signing_keys(&a.id, &second_key.id, retired_at).await.unwrap();
        db.store.retire_signing_keys(&a.id, &second_key.id, db.now()).await.unwrap();
        let keys = db.store.signing_keys(&a.id).await.unwrap();
        assert_eq!((keys[0].id.clone(), keys[0].retired_at), (second_key.id.clone(), None));
        assert_eq!((keys[1].id.clone(), keys[1].retired_at), (first_key.id.clone(), Some(retired_at)), "the first retirement time stays");
        assert_eq!(db.store.signing_key(&theirs.id).await.unwrap().retired_at, None);
        // A retired key is still published until it is revoked.
        assert_eq!(db.store.published_signing_keys().await.unwrap().len(), 3);

        let revoked_at = db.now();
        db.store.revoke_signing_key(&a.id, &first_key.id, revoked_at).await.unwrap();
        db.store.revoke_signing_key(&a.id, &first_key.id, db.now()).await.unwrap();
        let revoked = db.store.signing_key(&first_key.id).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap().len(), 2, "revoked keys are still listed");
        let published: BTreeSet<String> = db.store.published_signing_keys().await.unwrap().iter().map(|k| k.id.to_string()).collect();
        assert_eq!(published, [&theirs, &second_key].iter().map(|k| k.id.to_string()).collect());
    }

    async fn portal_sessions_round_trip(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, Some("cust-1")).await;
        let contact = db.contact(&a, &customer, Role::Billing).await;
        let now = db.now();
        let session = PortalSession {
            scopes: PortalScopes::parse("scopes", "invoices:read payment_methods:write").unwrap(),
            return_url: Some("https://app.acme.example/billing?x=1".into()),
            locale: Some("de".into()),
            page: PortalPage::PaymentMethod,
            issued_by: "cli_0123".into(),
            flow: Some(portico_core::model::PortalFlow {
                kind: portico_core::model::FlowType::SubscriptionUpdate,
                subscription: Some("sub_01hzz0000000000000000000aa".parse().unwrap()),
                plan: None,
                quantity: Some(3),
                after_completion: portico_core::model::AfterCompletion::Confirmation {
                    message: Some("Thanks".into()),
                },
            }),
            ..portal_session_for(&customer, Some(&contact), now, 600)
        };
        db.store.create_portal_session(&a.id, &session, false, None).await.unwrap();
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), session);
        let msg = assert_conflict(db.store.create_portal_session(&a.id, &session, false, None).await);
        assert!(msg.contains("already exists"), "{msg}");
        let bare = db.portal_session(&a, &customer, None, false).await;
        assert_eq!(db.store.portal_session(&a.id, &bare.id).await.unwrap(), bare);
        assert_not_found(db.store.portal_session(&a.id, &PortalSessionId::new(db.now(), [9; 10])).await);

        // What the session names must exist in the account and fit together.
        let other_customer = db.customer(&a, None).await;
        let theirs = db.contact(&a, &other_customer, Role::Owner).await;
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&customer, Some(&theirs), db.now(), 600), false, None).await, "contact");
        let gone = db.customer(&a, None).await;
        customers::delete(&db.app, &op(&a.id), &by_id(&gone), db.now()).await.unwrap();
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&gone, None, db.now(), 600), false, None).await, "customer");
        let deleted_contact = db.contact(&a, &customer, Role::Owner).await;
        contacts::delete(&db.app, &op(&a.id), &ContactRef::Id(deleted_contact.id.clone()), db.now()).await.unwrap();
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&customer, Some(&deleted_contact), db.now(), 600), false, None).await, "contact");

        // Lists: newest first, by customer or contact, in pages.
        let third = db.portal_session(&a, &customer, Some(&contact), false).await;
        let elsewhere = db.portal_session(&a, &other_customer, None, false).await;
        let all = db.store.list_portal_sessions(&a.id, PortalSessionFilter::default(), first(10)).await.unwrap();
        assert_eq!(ids(&all, |p| &p.id), vec![elsewhere.id.clone(), third.id.clone(), bare.id.clone(), session.id.clone()]);
        assert_eq!(all.data[3], session);
        let mine = PortalSessionFilter { customer: Some(customer.id.clone()), contact: None };
        let page = db.store.list_portal_sessions(&a.id, mine.clone(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![third.id.clone(), bare.id.clone()], true));
        let page = db.store.list_portal_sessions(&a.id, mine, after(2, &bare.id)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![session.id.clone()], false));
        let by_contact = PortalSessionFilter { customer: None, contact: Some(contact.id.clone()) };
        let page = db.store.list_portal_sessions(&a.id, by_contact, first(10)).await.unwrap();
        assert_eq!(ids(&page, |p| &p.id), vec![third.id.clone(), session.id.clone()]);

        // Revoking is idempotent and keeps the first time.
        let revoked_at = db.now();
        let revoked = db.store.revoke_portal_session(&a.id, &session.id, revoked_at, &Actor::Operator, None).await.unwrap();
        assert_eq!(revoked, PortalSession { revoked_at: Some(revoked_at), ..session.clone() });
        assert!(!revoked.is_live(revoked_at));
        let again = db.store.revoke_portal_session(&a.id, &session.id, db.now(), &Actor::Operator, None).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), revoked);
        assert_not_found(db.store.revoke_portal_session(&a.id, &PortalSessionId::new(db.now(), [9; 10]), db.now(), &Actor::Operator, None).await);
    }

    async fn another_account_cannot_see_or_end_portal_sessions(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let b_customer = db.customer(&b, None).await;
        let b_session = db.portal_session(&b, &b_customer, None, false).await;
        let bid = &b.id;
        let now = db.now();
        assert_not_found(db.store.portal_session(bid, &session.id).await);
        assert_not_found(db.store.revoke_portal_session(bid, &session.id, now, &Actor::Operator, None).await);
        assert_not_found(db.store.revoke_customer_portal_sessions(bid, &customer.id, now, &Actor::Operator, None).await);
        let listed = db.store.list_portal_sessions(bid, PortalSessionFilter::default(), first(100)).await.unwrap();
        assert_eq!(ids(&listed, |p| &p.id), vec![b_session.id.clone()]);
        let listed = db.store.list_portal_sessions(bid, PortalSessionFilter { customer: Some(customer.id.clone()), contact: None }, first(100)).await.unwrap();
        assert!(listed.data.is_empty());
        // B cannot hang its own tokens, sessions or customers onto A's records.
        assert_not_found(db.store.create_redirect_token(bid, &session.id, &sha256("b's token"), now.plus_secs(30)).await);
        let stolen = NewBrowserSession { account: b.id.clone(), portal_session: session.id.clone(), cookie_sha256: sha256("b's cookie"), csrf_secret: [1; 32], now, origin: None };
        assert_not_found(db.store.create_browser_session(&stolen).await);
        assert_invalid(db.store.create_portal_session(bid, &portal_session_for(&customer, None, now, 600), true, None).await, "customer");
        // And A's session is exactly as it was.
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), session);
        assert_eq!(db.store.list_portal_sessions(&a.id, PortalSessionFilter::default(), first(100)).await.unwrap().data, vec![session]);
    }

    async fn invalidate_existing_revokes_only_the_customers_other_live_sessions(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let neighbour = db.customer(&a, None).await;
        let live = db.portal_session(&a, &customer, None, false).await;
        let expired = portal_session_for(&customer, None, db.now(), 1);
        db.store.create_portal_session(&a.id, &expired, false, None).await.unwrap();
        let earlier_revocation = db.now();
        let revoked = db.portal_session(&a, &customer, None, false).await;
        db.store.revoke_portal_session(&a.id, &revoked.id, earlier_revocation, &Actor::Operator, None).await.unwrap();
        let neighbours = db.portal_session(&a, &neighbour, None, false).await;
        // Without the flag nothing else changes.
        let kept = db.portal_session(&a, &customer, None, false).await;
        assert_eq!(db.store.portal_session(&a.id, &live.id).await.unwrap().revoked_at, None);

        let fresh = db.portal_session(&a, &customer, None, true).await;
        let get = |id: PortalSessionId| {
            let store = db.store.clone();
            let account = a.id.clone();
            async move { store.portal_session(&account, &id).await.unwrap().revoked_at }
        };
        assert_eq!(get(live.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(kept.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(fresh.id.clone()).await, None, "the new session stays live");
        assert_eq!(get(expired.id.clone()).await, None, "an expired session is left as it was");
        assert_eq!(get(revoked.id.clone()).await, Some(earlier_revocation), "an earlier revocation keeps its time");
        assert_eq!(get(neighbours.id.clone()).await, None, "another customer's session is untouched");

        // The vendor's "revoke all" ends only what is live, and says how many.
        let second = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        assert_eq!(db.store.revoke_customer_portal_sessions(&a.id, &customer.id, now, &Actor::Operator, None).await.unwrap(), 2);
        assert_eq!(get(second.id.clone()).await, Some(now));
        assert_eq!(get(fresh.id.clone()).await, Some(now));
        assert_eq!(get(live.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(neighbours.id.clone()).await, None);
        assert_eq!(db.store.revoke_customer_portal_sessions(&a.id, &customer.id, db.now(), &Actor::Operator, None).await.unwrap(), 0);
        assert_not_found(db.store.revoke_customer_portal_sessions(&a.id, &CustomerId::new(db.now(), [9; 10]), db.now(), &Actor::Operator, None).await);
    }

    async fn concurrent_sessions_that_invalidate_the_others_leave_one_live(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let mut tasks = vec![];
        for _ in 0..20 {
            let store = db.store.clone();
            let account = a.id.clone();
            let session = portal_session_for(&customer, None, db.now(), 3600);
            tasks.push(tokio::spawn(async move { store.create_portal_session(&account, &session, true, None).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let filter = PortalSessionFilter { customer: Some(customer.id.clone()), contact: None };
        let all = db.store.list_portal_sessions(&a.id, filter, first(100)).await.unwrap();
        assert_eq!(all.data.len(), 20);
        let live: Vec<_> = all.data.iter().filter(|s| s.revoked_at.is_none()).collect();
        assert_eq!(live.len(), 1, "each creation revokes the ones before it: {live:?}");
    }

    async fn redirect_tokens_work_once_and_until_they_expire(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        let expires_at = now.plus_secs(30);
        let token = sha256("redirect token one");
        db.store.create_redirect_token(&a.id, &session.id, &token, expires_at).await.unwrap();
        let msg = assert_conflict(db.store.create_redirect_token(&a.id, &session.id, &token, expires_at).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_not_found(db.store.create_redirect_token(&a.id, &PortalSessionId::new(now, [9; 10]), &sha256("orphan"), expires_at).await);

        assert_eq!(db.store.consume_redirect_token(&sha256("never issued"), now).await.unwrap(), None);
        assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), Some((a.id.clone(), session.id.clone())));
        assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), None, "a second use fails");

        // Expiry is exact: usable 1 ms before, not at expires_at.
        let late = sha256("redirect token two");
        db.store.create_redirect_token(&a.id, &session.id, &late, expires_at).await.unwrap();
        assert_eq!(db.store.consume_redirect_token(&late, expires_at).await.unwrap(), None);
        assert_eq!(db.store.consume_redirect_token(&late, expires_at.plus_secs(30)).await.unwrap(), None);
        let edge = sha256("redirect token three");
        db.store.create_redirect_token(&a.id, &session.id, &edge, expires_at).await.unwrap();
        let just_before = Timestamp::from_millis(expires_at.as_millis() - 1);
        assert_eq!(db.store.consume_redirect_token(&edge, just_before).await.unwrap(), Some((a.id.clone(), session.id.clone())));
        // A failed attempt on an expired token did not mark it used either way.
        assert_eq!(db.store.consume_redirect_token(&late, now).await.unwrap(), Some((a.id.clone(), session.id)));
    }

    async fn a_redirect_token_is_read_without_being_spent(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        let token = sha256("peeked token");
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), None);
        db.store.create_redirect_token(&a.id, &session.id, &token, now.plus_secs(30)).await.unwrap();
        let fresh = RedirectTokenState {
            account: a.id.clone(),
            portal_session: session.id.clone(),
            expires_at: now.plus_secs(30),
            used_at: None,
        };
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), Some(fresh.clone()));
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), Some(fresh.clone()), "reading spends nothing");
        assert!(db.store.consume_redirect_token(&token, now).await.unwrap().is_some());
        let used = db.store.redirect_token(&token).await.unwrap().unwrap();
        assert_eq!(used.used_at, Some(now));
    }

    async fn a_portal_session_is_entered_once_even_when_many_ask_at_once(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("bravo").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        assert!(!db.store.enter_portal_session(&b.id, &session.id, now).await.unwrap(), "another account's session");
        let tries = (0..20).map(|_| {
            let store = db.store.clone();
            let (account, id) = (a.id.clone(), session.id.clone());
            tokio::spawn(async move { store.enter_portal_session(&account, &id, now).await.unwrap() })
        });
        let mut entered = 0;
        for t in tries.collect::<Vec<_>>() {
            entered += usize::from(t.await.unwrap());
        }
        assert_eq!(entered, 1);
        assert!(!db.store.enter_portal_session(&a.id, &session.id, now).await.unwrap());
    }

    async fn switching_portal_access_off_revokes_the_live_sessions_for_good(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let ana = db.contact(&a, &customer, Role::Owner).await;
        let bob = db.contact(&a, &customer, Role::Billing).await;
        let anas = db.portal_session(&a, &customer, Some(&ana), false).await;
        let bobs = db.portal_session(&a, &customer, Some(&bob), false).await;
        let now = db.now();
        let switch = |on: bool| ContactPatch { portal_access: Some(on), ..ContactPatch::default() };
        contacts::update(&db.app, &op(&a.id), &ContactRef::Id(ana.id.clone()), switch(false), now).await.unwrap();
        contacts::update(&db.app, &op(&a.id), &ContactRef::Id(ana.id.clone()), switch(true), now).await.unwrap();
        let revoked = |s: PortalSession| s.revoked_at;
        assert_eq!(revoked(db.store.portal_session(&a.id, &anas.id).await.unwrap()), Some(now));
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), None, "only that contact's");
        // A patch that leaves access on revokes nothing.
        contacts::update(&db.app, &op(&a.id), &ContactRef::Id(bob.id.clone()), switch(true), now).await.unwrap();
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), None);

        let later = now.plus_secs(5);
        let off = CustomerPatch { portal_enabled: Some(false), ..CustomerPatch::default() };
        customers::update(&db.app, &op(&a.id), &CustomerRef::Id(customer.id.clone()), off, later).await.unwrap();
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), Some(later));
        assert_eq!(revoked(db.store.portal_session(&a.id, &anas.id).await.unwrap()), Some(now), "the first revocation stays");
    }

    async fn fifty_concurrent_exchanges_of_one_redirect_token_let_exactly_one_win(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        // A few rounds, as a lost race does not show every time.
        for round in 0..5 {
            let token = sha256(&format!("contended redirect token {round}"));
            db.store.create_redirect_token(&a.id, &session.id, &token, now.plus_secs(30)).await.unwrap();
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(50));
            let mut tasks = vec![];
            for _ in 0..50 {
                let store = db.store.clone();
                let start = start.clone();
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    store.consume_redirect_token(&token, now).await
                }));
            }
            let mut winners = vec![];
            for task in tasks {
                if let Some(won) = task.await.unwrap().expect("no consumer fails") {
                    winners.push(won);
                }
            }
            assert_eq!(winners, vec![(a.id.clone(), session.id.clone())], "exactly one exchange wins (round {round})");
            assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), None);
        }
    }

    /// An exchange spends the token and stores the browser session in one write: of many at
    /// once, exactly the winner's session is stored, and a spent or unknown token stores none.
    async fn an_exchange_stores_a_browser_session_only_for_the_one_that_spent_the_token(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        let cookie = |round: usize, i: usize| sha256(&format!("exchange cookie {round} {i}"));
        for round in 0..3 {
            let token = sha256(&format!("exchanged redirect token {round}"));
            db.store.create_redirect_token(&a.id, &session.id, &token, now.plus_secs(30)).await.unwrap();
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
            let mut tasks = vec![];
            for i in 0..20 {
                let (store, start) = (db.store.clone(), start.clone());
                let cookie = cookie(round, i);
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    store.exchange_redirect_token(&token, now, cookie, [i as u8; 32], None).await
                }));
            }
            let mut winners = vec![];
            for (i, task) in tasks.into_iter().enumerate() {
                let won = task.await.unwrap().expect("no exchange fails");
                let stored = db.store.browser_session(&cookie(round, i)).await.unwrap();
                match won {
                    Some(won) => {
                        assert_eq!(won, (a.id.clone(), session.id.clone()));
                        let view = stored.expect("the winner's browser session is stored");
                        assert_eq!((view.session.id, view.csrf_secret, view.created_at), (session.id.clone(), [i as u8; 32], now));
                        winners.push(i);
                    }
                    None => assert!(stored.is_none(), "round {round}: a loser's browser session was stored"),
                }
            }
            assert_eq!(winners.len(), 1, "exactly one exchange wins (round {round})");
            let late = sha256(&format!("late cookie {round}"));
            assert_eq!(db.store.exchange_redirect_token(&token, now, late, [0; 32], None).await.unwrap(), None);
            assert!(db.store.browser_session(&late).await.unwrap().is_none());
        }
        let never = sha256("cookie for a token never issued");
        assert_eq!(db.store.exchange_redirect_token(&sha256("never issued"), now, never, [0; 32], None).await.unwrap(), None);
        assert!(db.store.browser_session(&never).await.unwrap().is_none());
    }

    /// Writes that arrive together are committed together; one that fails (here a cookie hash
    /// that exists already) fails alone, and every other write of its group is stored.
    async fn a_failing_write_fails_alone_and_its_group_is_stored(db: Db) {
        let a = db.account("groups").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let taken = db.browser_session(&a, &session, "taken").await;
        for round in 0..3 {
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
            let mut tasks = vec![];
            for i in 0..20 {
                let (store, start) = (db.store.clone(), start.clone());
                let cookie_sha256 = if i == 7 { taken } else { sha256(&format!("group {round} {i}")) };
                let new = NewBrowserSession {
                    account: a.id.clone(),
                    portal_session: session.id.clone(),
                    cookie_sha256,
                    csrf_secret: [1; 32],
                    now: db.now(),
                    origin: None,
                };
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    (cookie_sha256, store.create_browser_session(&new).await)
                }));
            }
            for (i, task) in tasks.into_iter().enumerate() {
                let (cookie, result) = task.await.unwrap();
                if i == 7 {
                    assert!(matches!(result, Err(StoreError::Conflict(_))), "round {round}: {result:?}");
                } else {
                    result.unwrap();
                    assert!(db.store.browser_session(&cookie).await.unwrap().is_some());
                }
            }
        }
    }

    async fn browser_sessions_see_every_change_they_depend_on(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let contact = db.contact(&a, &customer, Role::Billing).await;
        let session = db.portal_session(&a, &customer, Some(&contact), false).await;
        let created = db.now();
        let cookie = sha256("cookie of the contact");
        let new = NewBrowserSession { account: a.id.clone(), portal_session: session.id.clone(), cookie_sha256: cookie, csrf_secret: sha256("csrf"), now: created, origin: None };
        db.store.create_browser_session(&new).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!(view.account, a.id);
        assert_eq!(view.session, session);
        assert_eq!(view.csrf_secret, sha256("csrf"));
        assert_eq!((view.created_at, view.last_seen_at, view.ended_at), (created, created, None));
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, true, Some(Role::Billing)));
        assert!(db.store.browser_session(&sha256("a cookie never issued")).await.unwrap().is_none());
        let again = NewBrowserSession { account: a.id.clone(), portal_session: session.id.clone(), cookie_sha256: cookie, csrf_secret: [0; 32], now: db.now(), origin: None };
        let msg = assert_conflict(db.store.create_browser_session(&again).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_not_found(db.store.create_browser_session(&NewBrowserSession { portal_session: PortalSessionId::new(db.now(), [9; 10]), cookie_sha256: sha256("orphan"), ..again }).await);

        // A session of the customer itself has no contact to lose.
        let own = db.portal_session(&a, &customer, None, false).await;
        let own_cookie = db.browser_session(&a, &own, "cookie of the customer").await;
        let view = db.view(&own_cookie).await;
        assert_eq!((view.session.contact.clone(), view.contact_active, view.contact_role), (None, true, None));

        // The contact's role, then its access, are read fresh on every call.
        let contact_ref = ContactRef::Id(contact.id.clone());
        contacts::update(&db.app, &op(&a.id), &contact_ref, ContactPatch { role: Some(Role::Viewer), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!(db.view(&cookie).await.contact_role, Some(Role::Viewer));
        contacts::update(&db.app, &op(&a.id), &contact_ref, ContactPatch { portal_access: Some(false), ..Default::default() }, db.now()).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, false, None));
        assert!(db.view(&own_cookie).await.contact_active, "the customer's own session does not depend on the contact");
        contacts::update(&db.app, &op(&a.id), &contact_ref, ContactPatch { portal_access: Some(true), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!((db.view(&cookie).await.contact_active, db.view(&cookie).await.contact_role), (true, Some(Role::Viewer)));
        contacts::delete(&db.app, &op(&a.id), &contact_ref, db.now()).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, false, None));

        // The customer's portal switch, then the customer itself.
        let customer2 = db.customer(&a, None).await;
        let contact2 = db.contact(&a, &customer2, Role::Owner).await;
        let session2 = db.portal_session(&a, &customer2, Some(&contact2), false).await;
        let cookie2 = db.browser_session(&a, &session2, "second contact's cookie").await;
        assert_eq!((db.view(&cookie2).await.customer_active, db.view(&cookie2).await.contact_role), (true, Some(Role::Owner)));
        let switch = |on: bool| CustomerPatch { portal_enabled: Some(on), ..Default::default() };
        customers::update(&db.app, &op(&a.id), &by_id(&customer2), switch(false), db.now()).await.unwrap();
        let view = db.view(&cookie2).await;
        assert_eq!((view.customer_active, view.contact_active), (false, true));
        customers::update(&db.app, &op(&a.id), &by_id(&customer2), switch(true), db.now()).await.unwrap();
        assert!(db.view(&cookie2).await.customer_active);
        customers::delete(&db.app, &op(&a.id), &by_id(&customer2), db.now()).await.unwrap();
        assert!(!db.view(&cookie2).await.customer_active);
        assert!(db.view(&own_cookie).await.customer_active, "another customer's deletion changes nothing here");

        // The portal session's revocation shows on the next call.
        assert_eq!(db.view(&own_cookie).await.session.revoked_at, None);
        let revoked_at = db.now();
        db.store.revoke_portal_session(&a.id, &own.id, revoked_at, &Actor::Operator, None).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.session.revoked_at, Some(revoked_at));

        // last_seen_at only moves forward; ending keeps the first time.
        let seen = db.now();
        db.store.touch_browser_session(&own_cookie, seen).await.unwrap();
        db.store.touch_browser_session(&own_cookie, created).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.last_seen_at, seen);
        let ended = db.now();
        db.store.end_browser_session(&own_cookie, ended).await.unwrap();
        db.store.end_browser_session(&own_cookie, db.now()).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.ended_at, Some(ended));
        assert_eq!(db.view(&cookie).await.ended_at, None, "ending one browser session leaves the others");
        assert_not_found(db.store.touch_browser_session(&sha256("nobody"), db.now()).await);
        assert_not_found(db.store.end_browser_session(&sha256("nobody"), db.now()).await);
    }

    async fn oauth_clients_and_tokens(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let scopes = ApiScopes::parse("scopes", "security:write customers:read").unwrap();
        let secret = sha256("client secret");
        let now = db.now();
        let client = db.store.create_oauth_client(&a.id, "Backend", scopes, &secret, now).await.unwrap();
        assert_eq!((client.name.as_str(), client.scopes, client.created_at, client.revoked_at), ("Backend", scopes, now, None));
        let cred = db.store.oauth_client_credential(&client.id).await.unwrap();
        assert_eq!((cred.account.clone(), cred.client.clone(), cred.secret_sha256), (a.id.clone(), client.clone(), secret));
        assert_not_found(db.store.oauth_client_credential(&OAuthClientId::new(db.now(), [9; 10])).await);
        assert_invalid(db.store.create_oauth_client(&a.id, "  ", scopes, &secret, db.now()).await, "name");
        assert_not_found(db.store.create_oauth_client(&AccountId::new(db.now(), [9; 10]), "x", scopes, &secret, db.now()).await);

        let second = db.store.create_oauth_client(&a.id, "CI", ApiScopes::empty(), &sha256("2"), db.now()).await.unwrap();
        let third = db.store.create_oauth_client(&a.id, "Ops", ApiScopes::all(), &sha256("3"), db.now()).await.unwrap();
        let page = db.store.list_oauth_clients(&a.id, first(2)).await.unwrap();
        assert_eq!((ids(&page, |c| &c.id), page.has_more), (vec![third.id.clone(), second.id.clone()], true));
        let page = db.store.list_oauth_clients(&a.id, after(2, &second.id)).await.unwrap();
        assert_eq!((page.data.clone(), page.has_more), (vec![client.clone()], false));
        assert!(db.store.list_oauth_clients(&b.id, first(10)).await.unwrap().data.is_empty());

        // Tokens: exact expiry.
        let token = sha256("access token");
        let expires_at = db.now().plus_secs(3600);
        let token_scopes = ApiScopes::parse("scopes", "customers:read").unwrap();
        db.store.create_oauth_token(&a.id, &client.id, token_scopes, &token, expires_at).await.unwrap();
        assert_conflict(db.store.create_oauth_token(&a.id, &client.id, token_scopes, &token, expires_at).await);
        assert_not_found(db.store.create_oauth_token(&b.id, &client.id, token_scopes, &sha256("b's"), expires_at).await);
        let just_before = Timestamp::from_millis(expires_at.as_millis() - 1);
        let found = db.store.oauth_token(&token, just_before).await.unwrap().expect("live token");
        assert_eq!((found.account, found.client, found.scopes, found.expires_at), (a.id.clone(), client.id.clone(), token_scopes, expires_at));
        assert!(db.store.oauth_token(&token, expires_at).await.unwrap().is_none());
        assert!(db.store.oauth_token(&sha256("never issued"), just_before).await.unwrap().is_none());

        // Revoking the client ends its tokens, and only its tokens.
        let other_token = sha256("second client's token");
        db.store.create_oauth_token(&a.id, &second.id, ApiScopes::empty(), &other_token, expires_at).await.unwrap();
        assert_not_found(db.store.revoke_oauth_client(&b.id, &client.id, db.now()).await);
        assert!(db.store.oauth_token(&token, just_before).await.unwrap().is_some());
        let revoked_at = db.now();
        let revoked = db.store.revoke_oauth_client(&a.id, &client.id, revoked_at).await.unwrap();
        assert_eq!(revoked, OAuthClient { revoked_at: Some(revoked_at), ..client.clone() });
        let again = db.store.revoke_oauth_client(&a.id, &client.id, db.now()).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert!(db.store.oauth_token(&token, revoked_at).await.unwrap().is_none());
        assert!(db.store.oauth_token(&other_token, revoked_at).await.unwrap().is_some());
        // The token endpoint still finds a revoked client, to refuse it for that reason.
        assert_eq!(db.store.oauth_client_credential(&client.id).await.unwrap().client.revoked_at, Some(revoked_at));
        assert_not_found(db.store.revoke_oauth_client(&a.id, &OAuthClientId::new(db.now(), [9; 10]), db.now()).await);
    }
}
