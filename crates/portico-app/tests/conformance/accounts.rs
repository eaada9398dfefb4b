//! Accounts, API keys, migrations.

use super::*;

backend_tests! {
    async fn concurrent_settings_changes_lose_nothing(db: Db) {
        let account = db.account("settled").await;
        let mut tasks = vec![];
        for _ in 0..20 {
            let (app, by, now) = (db.app.clone(), op(&account.id), db.now());
            // Each change appends one letter to what it reads: a change that read settings
            // another was about to replace would lose a letter.
            let append = |mut s: PortalSettings| {
                let name = s.branding.display_name.take().unwrap_or_default();
                s.branding.display_name = Some(name + "x");
                s
            };
            tasks.push(tokio::spawn(async move {
                portico_app::accounts::update_portal_settings(&app, &by, append, now).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let name = db.store.account(&account.id).await.unwrap().settings.branding.display_name;
        assert_eq!(name.as_deref(), Some("x".repeat(20).as_str()));
    }

    async fn migrations_are_rerunnable_and_connect_hides_the_url(db: Db) {
        let expected = match db.db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(db.store.backend(), expected);
        db.store.ping().await.unwrap();
        let account = db.account("acme").await;
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        // A second process on the same database migrates again and sees the same data.
        let again = SqlStore::connect(&db.db.url).await.unwrap();
        again.migrate().await.unwrap();
        assert_eq!(again.account(&account.id).await.unwrap(), account);
        let debug = format!("{again:?}");
        assert!(!debug.contains(&db.db.url), "Debug shows the URL: {debug}");
        assert!(!debug.contains("portico@"), "Debug shows credentials: {debug}");
        if db.db.backend == Backend::Sqlite {
            // The testkit's URL names a file that did not exist: connect created it.
            let path = db.db.url.trim_start_matches("sqlite://");
            assert!(std::path::Path::new(path).exists());
        }
    }

    async fn a_changed_migration_is_refused(db: Db) {
        let mut raw = db.raw().await;
        let applied: Vec<i64> = raw.scalars("SELECT version FROM _sqlx_migrations ORDER BY version").await;
        assert_eq!(applied, db.store.backend_kind().migration_versions(), "every migration, once");
        assert!(applied.len() >= 6, "{applied:?}");
        let checksum: Vec<u8> = raw.scalar("SELECT checksum FROM _sqlx_migrations WHERE version = 1").await;
        raw.execute_with("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1", &[vec![0u8; 48]]).await;
        let err = db.store.migrate().await.unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        assert!(cause.contains("modified"), "{cause}");
        raw.execute_with("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1", &[checksum]).await;
        db.store.migrate().await.unwrap();
        // A database migrated by a newer build (a migration this build does not know) is
        // refused rather than used with a schema this code was not written for.
        raw.execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                     execution_time) SELECT 9999, description, success, checksum, execution_time \
                     FROM _sqlx_migrations WHERE version = 1")
            .await;
        let err = db.store.migrate().await.unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("missing"), "{cause}");
    }

    async fn accounts_round_trip(db: Db) {
        let now = db.now();
        let account = db.store.create_account("acme-eu", "Acme Inc", now).await.unwrap();
        assert_eq!(account.subdomain, "acme-eu");
        assert_eq!(account.name, "Acme Inc");
        assert_eq!(account.created_at, now);
        assert_eq!(account.settings, PortalSettings::default());
        assert_eq!(db.store.account(&account.id).await.unwrap(), account);
        assert_eq!(db.store.account_by_subdomain("acme-eu").await.unwrap(), account);

        let msg = assert_conflict(db.store.create_account("acme-eu", "Other", db.now()).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_invalid(db.store.create_account("Acme!", "X", db.now()).await, "subdomain");
        assert_invalid(db.store.create_account("globex", "  ", db.now()).await, "name");
        assert_not_found(db.store.account(&AccountId::new(db.now(), [9; 10])).await);
        assert_not_found(db.store.account_by_subdomain("nobody").await);

        let settings = PortalSettings {
            branding: Branding {
                display_name: Some("Acme".into()),
                logo_url: Some("https://acme.example/logo.png".into()),
                primary_color: Some("#1A73E8".into()),
                support_email: Some("help@acme.example".into()),
                support_url: Some("https://acme.example/help".into()),
            },
            features: PortalFeatures { cancel: false, plan_change: false, ..PortalFeatures::default() },
            default_locale: "de".into(),
            allowed_origins: vec!["https://app.acme.example".into()],
            default_return_url: Some("https://app.acme.example/billing".into()),
            link_reentry: true,
            subscription_changes: SubscriptionChanges {
                cancel_modes: vec![CancelMode::AtPeriodEnd, CancelMode::Immediately],
                cancel_refund: CancelRefund::ProratedCredit,
                cancel_reasons: vec!["Too dear".into()],
                reactivation: false,
                upgrades: ChangeTiming::NowWithoutProration,
                downgrades: ChangeTiming::NowWithProration,
                pause: true,
            },
            invoice: InvoiceSettings {
                legal_name: Some("Acme Cloud GmbH".into()),
                address: Address { city: Some("Łódź".into()), country: Some("pl".into()), ..Address::default() },
                tax_id: Some("PL1234567890".into()),
                registration: Some("KRS 0000123456".into()),
                payment_instructions: Some("IBAN PL61 1090 1014 0000 0712 1981 2874\nSWIFT WBKPPLPP".into()),
                footer: Some("Thank you".into()),
                logo: None,
            },
            billing: BillingRules {
                retry_days: vec![2, 4],
                after_last_failure: DunningEndRule::LeaveUnpaid,
                trial_end_without_payment_method: TrialEndRule::PastDue,
            },
        };
        let replace = |s: &PortalSettings| { let s = s.clone(); move |_| s };
        let updated = portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), replace(&settings), db.now())
            .await
            .unwrap();
        assert_eq!(updated.settings, settings.clone().validate().unwrap());
        assert_eq!(updated.settings.branding.primary_color.as_deref(), Some("#1a73e8"));
        assert_eq!(db.store.account(&account.id).await.unwrap(), updated);

        let mut no_mode = settings.clone();
        no_mode.subscription_changes.cancel_modes.clear();
        assert_invalid(
            portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), replace(&no_mode), db.now()).await,
            "subscription_changes.cancel_modes",
        );
        let mut blank = settings.clone();
        blank.subscription_changes.cancel_reasons.push("  ".into());
        assert_invalid(
            portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), replace(&blank), db.now()).await,
            "subscription_changes.cancel_reasons",
        );
        let mut bad = settings;
        bad.default_locale = "it".into();
        assert_invalid(
            portico_app::accounts::update_portal_settings(&db.app, &op(&account.id), replace(&bad), db.now()).await,
            "default_locale",
        );
        assert_eq!(db.store.account(&account.id).await.unwrap(), updated);
        assert_not_found(
            portico_app::accounts::update_portal_settings(&db.app, &op(&AccountId::new(db.now(), [9; 10])), |s| s, db.now())
                .await,
        );
    }

    async fn api_keys_round_trip(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let scopes = ApiScopes::parse("scopes", "security:write customers:read billing:write").unwrap();
        let hash: [u8; 32] = Sha256::digest(b"first secret").into();
        let now = db.now();
        let expires = now.plus_secs(86_400);
        let key = db
            .store
            .create_api_key(&a.id, "Backend", scopes, hash, Some(expires), now)
            .await
            .unwrap();
        assert_eq!((key.name.as_str(), key.scopes, key.created_at), ("Backend", scopes, now));
        assert_eq!((key.expires_at, key.last_used_at, key.revoked_at), (Some(expires), None, None));

        let cred = db.store.api_key_credential(&key.id).await.unwrap();
        assert_eq!(cred.account, a.id);
        assert_eq!(cred.key, key);
        assert_eq!(cred.secret_sha256, hash);
        assert_invalid(
            db.store.create_api_key(&a.id, " ", scopes, hash, None, db.now()).await,
            "name",
        );
        assert_not_found(
            db.store
                .create_api_key(&AccountId::new(db.now(), [9; 10]), "x", scopes, hash, None, db.now())
                .await,
        );

        // last_used_at moves forward only.
        let used = db.now();
        db.store.touch_api_key(&key.id, used).await.unwrap();
        db.store.touch_api_key(&key.id, now).await.unwrap();
        let cred = db.store.api_key_credential(&key.id).await.unwrap();
        assert_eq!(cred.key.last_used_at, Some(used));
        assert_not_found(db.store.touch_api_key(&ApiKeyId::new(db.now(), [9; 10]), db.now()).await);
        assert_not_found(db.store.api_key_credential(&ApiKeyId::new(db.now(), [9; 10])).await);

        let second = db
            .store
            .create_api_key(&a.id, "CI", ApiScopes::empty(), [1; 32], None, db.now())
            .await
            .unwrap();
        let third = db
            .store
            .create_api_key(&a.id, "Ops", ApiScopes::all(), [2; 32], None, db.now())
            .await
            .unwrap();
        let page = db.store.list_api_keys(&a.id, first(2)).await.unwrap();
        assert_eq!(ids(&page, |k| &k.id), vec![third.id.clone(), second.id.clone()]);
        assert!(page.has_more);
        let page = db.store.list_api_keys(&a.id, after(2, &second.id)).await.unwrap();
        assert_eq!(ids(&page, |k| &k.id), vec![key.id.clone()]);
        assert!(!page.has_more);
        assert_eq!(page.data[0].last_used_at, Some(used));

        // Another account neither sees nor revokes them.
        assert!(db.store.list_api_keys(&b.id, first(10)).await.unwrap().data.is_empty());
        assert_not_found(db.store.revoke_api_key(&b.id, &key.id, db.now()).await);
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key.revoked_at, None);

        let revoked_at = db.now();
        let revoked = db.store.revoke_api_key(&a.id, &key.id, revoked_at).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(revoked_at));
        assert!(!revoked.is_usable(db.now()));
        let again = db.store.revoke_api_key(&a.id, &key.id, db.now()).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        // The authenticator still finds a revoked key, so it can refuse it for that reason.
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key.revoked_at, Some(revoked_at));
    }

    async fn the_database_never_holds_a_secret_a_client_presents(db: Db) {
        let account = db.account("acme").await;
        let secret = "zq7Lx0cV3f9JtB1mW4sR8uY2nH6kE5pA";
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let key = db
            .store
            .create_api_key(&account.id, "marker-key-name", ApiScopes::all(), hash, None, db.now())
            .await
            .unwrap();
        db.store.touch_api_key(&key.id, db.now()).await.unwrap();
        let customer = db.customer(&account, Some("cust-1")).await;
        db.invoice(&account, &customer).await;
        db.store
            .idempotency_begin(&account.id, "idem-1", &[3; 32], db.now())
            .await
            .unwrap();
        db.store
            .idempotency_finish(&account.id, "idem-1", 201, br#"{"id":"x"}"#)
            .await
            .unwrap();

        // Portal access: what a browser or client presents is a secret as much as an API key.
        let redirect_token = "Rt4kQ9vZ2mX7pL0sW3nB8cF6hJ1dG5yA";
        let cookie = "Ck8nV2xQ5rT9mZ1pL7wB4sH0gF3jD6yE";
        let client_secret = "Cs3hW8kP1vN6qZ9xR2mT5bL0jF7dY4gA";
        let oauth_token = "Ot6mB1xV9kQ3pZ7wR0nT4hL8sJ2dF5gC";
        let session = db.portal_session(&account, &customer, None, false).await;
        db.store
            .create_redirect_token(&account.id, &session.id, &sha256(redirect_token), db.now().plus_secs(30))
            .await
            .unwrap();
        db.store.consume_redirect_token(&sha256(redirect_token), db.now()).await.unwrap().unwrap();
        db.browser_session(&account, &session, cookie).await;
        let client = db
            .store
            .create_oauth_client(&account.id, "marker-client-name", ApiScopes::all(), &sha256(client_secret), db.now())
            .await
            .unwrap();
        db.store
            .create_oauth_token(&account.id, &client.id, ApiScopes::all(), &sha256(oauth_token), db.now().plus_secs(3600))
            .await
            .unwrap();
        db.store.create_signing_key(&signing_key_for(&account, db.now(), 7)).await.unwrap();

        let (tables, stored) = stored_values(&db.db).await;
        for table in [
            "accounts", "api_keys", "customers", "contacts", "products", "plans", "subscriptions",
            "invoices", "transactions", "payment_methods", "idempotency_keys", "signing_keys",
            "portal_sessions", "redirect_tokens", "browser_sessions", "oauth_clients", "oauth_tokens",
        ] {
            assert!(tables.contains(table), "the scan missed table {table}: {tables:?}");
        }
        let holds = |needle: &str| {
            stored
                .iter()
                .filter(|(_, _, v)| v.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .map(|(t, c, _)| format!("{t}.{c}"))
                .collect::<Vec<_>>()
        };
        // The scan does see what is stored: the key's name and the hash of its secret.
        assert_eq!(holds("marker-key-name"), vec!["api_keys.name".to_owned()]);
        assert_eq!(holds(&hex_lower(&hash)), vec!["api_keys.secret_sha256".to_owned()]);
        // And never the secret, nor the full key a client sends.
        assert!(holds(secret).is_empty(), "secret found in {:?}", holds(secret));
        assert!(holds(&format!("portico_sk_{}_{secret}", key.id)).is_empty());
        for (plain, column) in [
            (redirect_token, "redirect_tokens.token_sha256"),
            (cookie, "browser_sessions.cookie_sha256"),
            (client_secret, "oauth_clients.secret_sha256"),
            (oauth_token, "oauth_tokens.token_sha256"),
        ] {
            assert_eq!(holds(&hex_lower(&sha256(plain))), vec![column.to_owned()], "the hash of {plain}");
            assert!(holds(plain).is_empty(), "{plain} found in {:?}", holds(plain));
        }
        assert_eq!(holds("marker-client-name"), vec!["oauth_clients.name".to_owned()]);
    }
}
