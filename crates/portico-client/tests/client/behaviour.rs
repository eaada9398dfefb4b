//! What the client does between a call and its answer: errors, 429 retries, idempotency keys,
//! OAuth tokens.

use std::time::{Duration, Instant};

use portico_client::model::*;
use portico_client::*;

use crate::resources::{acme, new_customer, not_found};
use crate::support::{App, Throttled};

/// Makes the same call twice; both must succeed.
async fn twice<T>(call: impl AsyncFn() -> Result<T>) -> (T, T) {
    (call().await.unwrap(), call().await.unwrap())
}

portico_testkit::backend_tests! {
    async fn error_answers_become_typed_errors(app: App) {
        let client = app.client();
        let missing = client.customers().get("nobody").await.unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
        assert_eq!(missing.status(), Some(404));
        assert!(
            matches!(&missing, Error::Api { message, .. } if message.contains("nobody")),
            "{missing}"
        );
        // A malformed id names nothing either.
        not_found(client.plans().get("plan_nope").await);

        acme(&client).await;
        let taken = client
            .customers()
            .create(&new_customer("acme"))
            .await
            .unwrap_err();
        assert!(taken.is_conflict(), "{taken}");

        let mut bad = new_customer("bad");
        bad.email = Some("not an address".into());
        let invalid = client.customers().create(&bad).await.unwrap_err();
        assert_eq!(
            (invalid.status(), invalid.code()),
            (Some(400), Some(ErrorCode::BadRequest))
        );

        let stranger = Client::new(&app.base, "portico_sk_nope").unwrap();
        let refused = stranger.customers().get("acme").await.unwrap_err();
        assert_eq!(
            (refused.status(), refused.code()),
            (Some(401), Some(ErrorCode::Unauthorized))
        );

        let reader = app.client_with_scopes("customers:read").await;
        let forbidden = reader.customers().delete("acme").await.unwrap_err();
        assert_eq!(forbidden.code(), Some(ErrorCode::Forbidden));

        let nowhere = Client::new("http://127.0.0.1:9", "portico_sk_x").unwrap();
        assert!(matches!(nowhere.health().await, Err(Error::Transport(_))));
        assert!(matches!(
            Client::new("not a url", "k"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            client.customers().get("").await,
            Err(Error::Config(_))
        ));
    }

    async fn too_many_requests_are_retried_after_retry_after(app: Throttled) {
        let app = app.0;
        let client = app.client();
        // The first request takes the whole burst; the create meets a 429 and waits.
        client.portal_settings().get().await.unwrap();
        let started = Instant::now();
        let created = acme(&client).await;
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        // The retried POST made one customer.
        let all = client
            .customers()
            .pages(CustomerFilter::default())
            .all()
            .await
            .unwrap();
        assert_eq!(all, [created]);

        let impatient = Client::builder(&app.base)
            .api_key(&app.key)
            .retry(Retry::NEVER)
            .build()
            .unwrap();
        let throttled = impatient.customers().get("acme").await.unwrap_err();
        assert_eq!(
            (throttled.status(), throttled.code()),
            (Some(429), Some(ErrorCode::TooManyRequests))
        );
        let short = Retry {
            max_retries: 5,
            max_wait: Duration::from_millis(500),
        };
        let hasty = Client::builder(&app.base)
            .api_key(&app.key)
            .retry(short)
            .build()
            .unwrap();
        let started = Instant::now();
        let refused = hasty.customers().get("acme").await.unwrap_err();
        assert_eq!(refused.status(), Some(429));
        assert!(
            started.elapsed() < Duration::from_millis(900),
            "waited beyond max_wait"
        );
    }

    async fn a_repeated_idempotency_key_creates_one_record(app: App) {
        let client = app.client();
        let (first, again) = twice(async || {
            let customers = client.customers().idempotency_key("create-acme");
            customers.create(&new_customer("acme")).await
        })
        .await;
        assert_eq!(again, first);
        let all = client
            .customers()
            .pages(CustomerFilter::default())
            .all()
            .await
            .unwrap();
        assert_eq!(all, [first]);
        let other = client
            .customers()
            .idempotency_key("create-acme")
            .create(&new_customer("globex"))
            .await
            .unwrap_err();
        assert!(other.is_conflict(), "{other}");

        // Without a key of the caller's, each call is its own.
        client
            .customers()
            .create(&new_customer("b1"))
            .await
            .unwrap();
        client
            .customers()
            .create(&new_customer("b2"))
            .await
            .unwrap();
        assert_eq!(
            client
                .customers()
                .pages(CustomerFilter::default())
                .all()
                .await
                .unwrap()
                .len(),
            3
        );

        // A replay never repeats a secret.
        let new = NewApiKey {
            name: "ci".into(),
            scopes: vec!["billing:read".into()],
            expires_at: None,
        };
        let (created, replayed) = twice(async || {
            client
                .api_keys()
                .idempotency_key("key-ci")
                .create(&new)
                .await
        })
        .await;
        assert!(created.key.is_some());
        assert_eq!((replayed.api_key, replayed.key), (created.api_key, None));
        let session = NewPortalSession {
            customer: "acme".into(),
            ..Default::default()
        };
        let (issued, replayed) = twice(async || {
            client
                .portal_sessions()
                .idempotency_key("ps")
                .create(&session)
                .await
        })
        .await;
        assert!(issued.token.is_some());
        assert_eq!((replayed.id, replayed.token), (issued.id, None));
    }

    async fn an_oauth_client_gets_and_renews_its_token(app: App) {
        let admin = app.client();
        let created = admin
            .oauth_clients()
            .create(&NewOAuthClient {
                name: "backend".into(),
                scopes: vec!["customers:write".into(), "security:write".into()],
            })
            .await
            .unwrap();
        let id = created.client.id.to_string();
        let secret = created.client_secret.unwrap();
        let backend = Client::builder(&app.base)
            .oauth_client(&id, &secret)
            .build()
            .unwrap();
        backend
            .customers()
            .create(&new_customer("acme"))
            .await
            .unwrap();
        // Clones share the token.
        let clone = backend.clone();
        assert_eq!(
            clone
                .customers()
                .get("acme")
                .await
                .unwrap()
                .alias
                .as_deref(),
            Some("acme")
        );

        let narrow = Client::builder(&app.base)
            .oauth_client(&id, &secret)
            .scope("customers:read")
            .build()
            .unwrap();
        narrow.customers().get("acme").await.unwrap();
        let refused = narrow.customers().delete("acme").await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
        let unknown = Client::builder(&app.base)
            .oauth_client(&id, &secret)
            .scope("webhooks:write")
            .build()
            .unwrap();
        let e = unknown.customers().get("acme").await.unwrap_err();
        assert!(
            matches!(&e, Error::OAuth { error, .. } if error == "invalid_scope"),
            "{e}"
        );
        let wrong = Client::builder(&app.base)
            .oauth_client(&id, "portico_cs_wrong")
            .build()
            .unwrap();
        let e = wrong.customers().get("acme").await.unwrap_err();
        assert!(
            matches!(&e, Error::OAuth { error, .. } if error == "invalid_client"),
            "{e}"
        );

        // Revoking the client ends its token: the next call's 401 makes the client ask for a
        // new token, which the server now refuses.
        admin
            .oauth_clients()
            .revoke(&created.client.id)
            .await
            .unwrap();
        let ended = backend.customers().get("acme").await.unwrap_err();
        assert!(
            matches!(&ended, Error::OAuth { error, .. } if error == "invalid_client"),
            "{ended}"
        );
    }
}
