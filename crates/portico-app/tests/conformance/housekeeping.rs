//! Housekeeping: purging what can no longer be used, reporting vendor ids.

use super::*;

backend_tests! {
    async fn vendor_ids_of_the_form_of_a_portico_id_are_reported_in_every_account(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("bravo").await;
        // Underscores alone are fine.
        let plain = db.customer(&a, Some("north_branch")).await;
        let aliased = db.customer(&a, Some("to-be-confused")).await;
        let other = db.customer(&b, None).await;
        let contact = db.contact(&b, &other, Role::Owner).await;
        db.contact(&a, &plain, Role::Owner).await;
        // Written behind the store's back, as rows stored before the rule.
        let mut raw = db.raw().await;
        set(&mut raw, "UPDATE customers SET alias = $1 WHERE id = $2", &contact.id.to_string(), &aliased.id.to_string()).await;
        set(&mut raw, "UPDATE contacts SET external_id = $1 WHERE id = $2", &plain.id.to_string(), &contact.id.to_string()).await;
        // A deleted customer's alias is no longer looked up.
        let gone = db.customer(&a, Some("gone")).await;
        set(&mut raw, "UPDATE customers SET alias = $1, deleted_at = 1 WHERE id = $2", &contact.id.to_string(), &gone.id.to_string()).await;
        let found = db.store.id_form_vendor_ids().await.unwrap();
        assert_eq!(
            found,
            vec![
                IdFormVendorId {
                    account: "acme".into(),
                    record: aliased.id.to_string(),
                    field: "alias",
                    value: contact.id.to_string(),
                },
                IdFormVendorId {
                    account: "bravo".into(),
                    record: contact.id.to_string(),
                    field: "external_id",
                    value: plain.id.to_string(),
                },
            ]
        );
    }

    async fn purge_expired_deletes_what_is_past_each_threshold_and_nothing_else(db: Db) {
        const DAY: i64 = 24 * 60 * 60 * 1000;
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, None).await;
        let other = db.customer(&b, None).await;
        let now = Timestamp::from_millis(BASE + 100 * DAY);
        let at = |offset: i64| Timestamp::from_millis(now.as_millis() + offset);
        let live = portal_session_for(&customer, None, at(-DAY), 2 * DAY / 1000);
        let expired_edge = portal_session_for(&customer, None, at(-2 * DAY), DAY / 1000);
        let expired_past = portal_session_for(&customer, None, at(-2 * DAY - 1), DAY / 1000);
        let live_b = portal_session_for(&other, None, at(-DAY), 2 * DAY / 1000);
        for s in [&live, &expired_edge, &expired_past] {
            db.store.create_portal_session(&a.id, s, false, None).await.unwrap();
        }
        db.store.create_portal_session(&b.id, &live_b, false, None).await.unwrap();

        // Redirect tokens: expired exactly a day ago stays, a millisecond more goes, used or not.
        for (name, expires_at, used) in [
            ("rt edge", at(-DAY), false),
            ("rt past", at(-DAY - 1), false),
            ("rt used past", at(-DAY - 1), true),
            ("rt used edge", at(-DAY), true),
            ("rt fresh", at(30_000), false),
        ] {
            db.store.create_redirect_token(&a.id, &live.id, &sha256(name), expires_at).await.unwrap();
            if used {
                let before = Timestamp::from_millis(expires_at.as_millis() - 1);
                assert!(db.store.consume_redirect_token(&sha256(name), before).await.unwrap().is_some());
            }
        }
        db.store.create_redirect_token(&b.id, &live_b.id, &sha256("rt b fresh"), at(30_000)).await.unwrap();

        // Browser sessions: by when they ended, when they were last seen, and their portal session.
        let browser = |account: &Account, session: &PortalSession, cookie: &str, created: Timestamp| NewBrowserSession {
            account: account.id.clone(),
            portal_session: session.id.clone(),
            cookie_sha256: sha256(cookie),
            csrf_secret: sha256(&format!("csrf {cookie}")),
            now: created,
            origin: None,
        };
        for (cookie, session, created, ended) in [
            ("bs seen now", &live, at(-60_000), None),
            ("bs unseen edge", &live, at(-30 * DAY), None),
            ("bs unseen past", &live, at(-30 * DAY - 1), None),
            ("bs ended edge", &live, at(-2 * DAY), Some(at(-DAY))),
            ("bs ended past", &live, at(-2 * DAY), Some(at(-DAY - 1))),
            ("bs portal expired edge", &expired_edge, at(-2 * DAY), None),
            ("bs portal expired past", &expired_past, at(-2 * DAY), None),
        ] {
            db.store.create_browser_session(&browser(&a, session, cookie, created)).await.unwrap();
            if let Some(ended) = ended {
                db.store.end_browser_session(&sha256(cookie), ended).await.unwrap();
            }
        }
        // Seen recently although created long ago: the last sighting counts, not the creation.
        db.store.touch_browser_session(&sha256("bs seen now"), at(-1)).await.unwrap();
        db.store.create_browser_session(&browser(&b, &live_b, "bs b seen now", at(-1))).await.unwrap();

        // OAuth tokens.
        let client = db.store.create_oauth_client(&a.id, "CRM sync", ApiScopes::all(), &sha256("client secret"), db.now()).await.unwrap();
        for (name, expires_at) in [("ot edge", at(-DAY)), ("ot past", at(-DAY - 1)), ("ot fresh", at(3_600_000))] {
            db.store.create_oauth_token(&a.id, &client.id, ApiScopes::all(), &sha256(name), expires_at).await.unwrap();
        }

        // Idempotency keys, finished or not.
        for (key, created, finish) in [
            ("ik edge", at(-DAY), true),
            ("ik past", at(-DAY - 1), true),
            ("ik past unfinished", at(-DAY - 1), false),
            ("ik fresh", at(-1), false),
        ] {
            assert_eq!(db.store.idempotency_begin(&a.id, key, &[1; 32], created).await.unwrap(), IdempotencyBegin::Started);
            if finish {
                db.store.idempotency_finish(&a.id, key, 201, b"{}").await.unwrap();
            }
        }
        assert_eq!(db.store.idempotency_begin(&b.id, "ik b fresh", &[1; 32], at(-1)).await.unwrap(), IdempotencyBegin::Started);

        // Ids of provider events acted on: kept for 30 days, long past the provider's retries.
        let keep = portico_store::PROVIDER_EVENT_RETENTION_DAYS * DAY;
        for (account, id, received) in [
            (&a, "evt_edge", at(-keep)),
            (&a, "evt_past", at(-keep - 1)),
            (&a, "evt_fresh", at(-1)),
            (&b, "evt_b_past", at(-keep - 1)),
            (&b, "evt_b_fresh", at(-1)),
        ] {
            let mut uow = db.store.begin(&account.id, Actor::System, received).await.unwrap();
            assert!(uow.payment_providers().mark_event("stripe", id).await.unwrap());
            uow.commit().await.unwrap();
        }

        let counts = db.store.purge_expired(now).await.unwrap();
        assert_eq!(
            counts,
            PurgeCounts { redirect_tokens: 2, browser_sessions: 3, oauth_tokens: 1, idempotency_keys: 2, provider_events: 2 }
        );
        assert_eq!(counts.total(), 10);
        for (account, id, kept) in [
            (&a, "evt_edge", true),
            (&a, "evt_past", false),
            (&a, "evt_fresh", true),
            (&b, "evt_b_past", false),
            (&b, "evt_b_fresh", true),
        ] {
            let mut uow = db.store.begin(&account.id, Actor::System, now).await.unwrap();
            assert_eq!(uow.payment_providers().event_seen("stripe", id).await.unwrap(), kept, "{id}");
        }

        let mut raw = db.raw().await;
        let hashed = |names: &[&str]| {
            let mut v: Vec<String> = names.iter().map(|n| hex_lower(&sha256(n))).collect();
            v.sort();
            v
        };
        assert_eq!(
            column_values(&mut raw, "redirect_tokens", "token_sha256").await,
            hashed(&["rt edge", "rt used edge", "rt fresh", "rt b fresh"])
        );
        assert_eq!(
            column_values(&mut raw, "browser_sessions", "cookie_sha256").await,
            hashed(&["bs seen now", "bs unseen edge", "bs ended edge", "bs portal expired edge", "bs b seen now"])
        );
        assert_eq!(column_values(&mut raw, "oauth_tokens", "token_sha256").await, hashed(&["ot edge", "ot fresh"]));
        let mut keys = vec!["ik b fresh", "ik edge", "ik fresh"];
        keys.sort();
        assert_eq!(column_values(&mut raw, "idempotency_keys", "key").await, keys);
        drop(raw);

        // Portal sessions are the vendor's audit trail: all kept.
        for s in [&live, &expired_edge, &expired_past] {
            assert_eq!(db.store.portal_session(&a.id, &s.id).await.unwrap().id, s.id);
        }
        assert_eq!(db.store.portal_session(&b.id, &live_b.id).await.unwrap().id, live_b.id);
        // What stays still works through the store.
        assert_eq!(db.view(&sha256("bs seen now")).await.last_seen_at, at(-1));
        assert_eq!(db.store.consume_redirect_token(&sha256("rt fresh"), now).await.unwrap(), Some((a.id.clone(), live.id.clone())));
        assert!(db.store.oauth_token(&sha256("ot fresh"), now).await.unwrap().is_some());
        assert_eq!(
            db.store.idempotency_begin(&a.id, "ik edge", &[1; 32], now).await.unwrap(),
            IdempotencyBegin::Replay { status: 201, body: b"{}".to_vec() }
        );

        assert_eq!(db.store.purge_expired(now).await.unwrap(), PurgeCounts::default(), "a second purge finds nothing");
    }
}
