//! Portal access through the client: native sessions, the REST portal token, GraphQL, signed
//! links for contacts; and the crate's example, run as printed.

use portico_client::model::*;
use portico_client::*;

use crate::resources::{acme, ana, not_found};
use crate::support::App;

#[allow(dead_code)]
#[path = "../../examples/quickstart.rs"]
mod quickstart;

/// Opens a portal link as a browser would, without following the redirect: the status.
/// The claims of a JWT, unverified.
fn token_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn open(url: &str) -> u16 {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    browser.get(url).send().await.unwrap().status().as_u16()
}

portico_testkit::backend_tests! {
    async fn native_portal_sessions(app: App) {
        let client = app.client();
        acme(&client).await;
        ana(&client, Role::Viewer).await;
        let sessions = client.portal_sessions();
        let created = sessions
            .create(&NewPortalSession {
                customer: "acme".into(),
                page: Some(PortalPage::Invoices),
                locale: Some("de".into()),
                expires_in_seconds: Some(600),
                return_url: Some("https://app.alpha.example/billing".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(
            created
                .url
                .starts_with(&format!("{}/portal/invoices?token=", app.base)),
            "{}",
            created.url
        );
        assert_eq!(open(&created.url).await, 303);
        let for_ana = sessions
            .create(&NewPortalSession {
                customer: "acme".into(),
                contact: Some("ana".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(for_ana.contact.is_some());
        assert!(
            !for_ana.scopes.iter().any(|s| s.ends_with(":write")),
            "a viewer only reads: {:?}",
            for_ana.scopes
        );

        let stored = sessions.get(&created.id).await.unwrap();
        assert_eq!(
            (stored.page, stored.locale.as_deref()),
            (PortalPage::Invoices, Some("de"))
        );
        assert_eq!((created.flow, stored.flow), (None, None));

        // A single-task link: the flow goes out and comes back typed.
        let flow = PortalFlow {
            kind: FlowType::BillingDetailsUpdate,
            subscription: None,
            plan: None,
            quantity: None,
            after_completion: AfterCompletion::Redirect,
        };
        let single = sessions
            .create(&NewPortalSession {
                customer: "acme".into(),
                return_url: Some("https://app.alpha.example/billing".into()),
                flow: Some(flow.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(single.flow.as_ref(), Some(&flow));
        assert_eq!(sessions.get(&single.id).await.unwrap().flow, Some(flow));
        let listed = sessions
            .list(
                &PortalSessionFilter {
                    customer: Some("acme".into()),
                },
                &Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(
            listed.data.iter().map(|s| &s.id).collect::<Vec<_>>(),
            [&single.id, &for_ana.id, &created.id]
        );

        let revoked = sessions.revoke(&created.id).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        assert_eq!(sessions.revoke_all("acme").await.unwrap().revoked, 2);
        assert_eq!(sessions.revoke_all("acme").await.unwrap().revoked, 0);
        assert!(
            sessions
                .pages(PortalSessionFilter::default())
                .all()
                .await
                .unwrap()
                .iter()
                .all(|s| s.revoked_at.is_some())
        );
        not_found(sessions.revoke_all("nobody").await);
    }

    async fn rest_portal_token(app: App) {
        let client = app.client();
        acme(&client).await;
        let sessions = client.portal_sessions();
        let default = sessions
            .portal_token("acme", &CustomerPortalTokenRequest::default())
            .await
            .unwrap();
        assert_eq!(default.portal_url, format!("{}/portal", app.base));
        assert_eq!(default.api_url, format!("{}/portal/api/v1", app.base));
        let token = default.token.unwrap();
        assert_eq!(
            default.portal_link.as_deref(),
            Some(format!("{}?token={token}", default.portal_url).as_str())
        );
        assert!(default.expires_at > Timestamp::from_secs(0));
        assert_eq!(open(default.portal_link.as_deref().unwrap()).await, 303);

        let read_only = CustomerPortalTokenRequest {
            scopes: Some(vec![CustomerPortalScope::Read]),
            ..Default::default()
        };
        let reader = sessions.portal_token("acme", &read_only).await.unwrap();
        let summary = reqwest::Client::new()
            .get(format!("{}/summary", reader.api_url))
            .bearer_auth(reader.token.unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(summary.status(), 200);
        let summary: serde_json::Value = summary.json().await.unwrap();
        assert_eq!(summary["can_manage"], false);

        let short = CustomerPortalTokenRequest {
            expires_in_seconds: Some(600),
            ..Default::default()
        };
        let answer = sessions.portal_token("acme", &short).await.unwrap();
        assert!(answer.token.is_some());
        let too_long = CustomerPortalTokenRequest {
            expires_in_seconds: Some(10),
            ..Default::default()
        };
        let refused = sessions.portal_token("acme", &too_long).await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::BadRequest));
        not_found(sessions.portal_token("nobody", &short).await);
    }

    async fn graphql_portal_session_create(app: App) {
        let client = app.client();
        acme(&client).await;
        let sessions = client.portal_sessions();
        let token = sessions
            .portal_session_create("acme", Some(2), None)
            .await
            .unwrap();
        assert_eq!(
            open(&format!("{}/portal/subscriptions?token={token}", app.base)).await,
            303
        );
        let back = "https://app.alpha.example/settings";
        let token = sessions
            .portal_session_create("acme", None, Some(back))
            .await
            .unwrap();
        let jti = token_claims(&token)["jti"].as_str().unwrap().to_owned();
        let stored = sessions.get(jti.as_str()).await.unwrap();
        assert_eq!(stored.return_url.as_deref(), Some(back));
        let refused = sessions
            .portal_session_create("acme", Some(10_000), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Error::GraphQl(e) if e[0].contains("expiry")),
            "{refused}"
        );
        let unknown = sessions
            .portal_session_create("nobody", None, None)
            .await
            .unwrap_err();
        assert!(matches!(unknown, Error::GraphQl(_)), "{unknown}");
        // A key without security:write gets the mutation's error; no key at all gets a 401.
        let reader = app.client_with_scopes("customers:read").await;
        let refused = reader
            .portal_sessions()
            .portal_session_create("acme", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, Error::GraphQl(e) if e[0].contains("security:write")),
            "{refused}"
        );
        let stranger = Client::new(&app.base, "portico_sk_nope").unwrap();
        let refused = stranger
            .portal_sessions()
            .portal_session_create("acme", None, None)
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::Unauthorized));
    }

    async fn signed_links_for_contacts(app: App) {
        let client = app.client();
        acme(&client).await;
        let ana = ana(&client, Role::Owner).await;
        let sessions = client.portal_sessions();
        let access = sessions.contact_access("ana").await.unwrap();
        assert_eq!(
            (access.access, &access.enduser_id, access.reason),
            (true, &ana.id, None)
        );
        let link = sessions.signed_link("ana").await.unwrap();
        assert!(
            link.url.starts_with(&format!("{}/redirect/", app.base)),
            "{}",
            link.url
        );
        assert_eq!(open(&link.url).await, 303);

        client
            .contacts()
            .update(
                "ana",
                &ContactPatch {
                    portal_access: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let access = sessions.contact_access(&ana.id).await.unwrap();
        assert!(!access.access);
        assert!(access.reason.is_some());
        let refused = sessions.signed_link("ana").await.unwrap_err();
        assert_eq!(refused.code(), Some(ErrorCode::Forbidden));
        not_found(sessions.contact_access("nobody").await);
    }

    async fn the_crate_example_runs_as_printed(app: App) {
        let url = quickstart::quickstart(&app.base, &app.key).await.unwrap();
        assert!(
            url.starts_with(&format!("{}/portal/invoices?token=", app.base)),
            "{url}"
        );
        assert_eq!(open(&url).await, 303);
        // A second run finds the customer it made.
        quickstart::quickstart(&app.base, &app.key).await.unwrap();
        let all = app
            .client()
            .customers()
            .pages(CustomerFilter::default())
            .all()
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
    }
}
