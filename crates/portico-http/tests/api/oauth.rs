//! OAuth 2.0 client credentials (RFC 6749 §4.4): clients made through `/api/v1/oauth-clients`,
//! tokens from `POST /oauth/token` used as bearer credentials, and SECURITY.md lines 4, 22 and 24
//! for them.

use portico_auth::secret::sha256;
use portico_http::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::security::{dump_database, hex};
use crate::support::{GENEROUS, On, Options, Resp, TestApp};

/// An OAuth client made over the API: its id and its secret.
struct Client {
    id: String,
    secret: String,
}

async fn new_client(app: &TestApp, key: &str, scopes: &[&str]) -> Client {
    let r = app
        .post(
            key,
            "/api/v1/oauth-clients",
            json!({"name": "Backend", "scopes": scopes}),
        )
        .await;
    r.expect(201);
    Client {
        id: r.id(),
        secret: r.json["client_secret"].as_str().unwrap().to_owned(),
    }
}

/// `POST /oauth/token` with a form body of `fields`, percent-encoding only what they need.
async fn token_request(app: &TestApp, basic: Option<&Client>, fields: &[(&str, &str)]) -> Resp {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace(':', "%3A")))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = app
        .client
        .post(app.url("/oauth/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = basic {
        req = req.basic_auth(&c.id, Some(&c.secret));
    }
    app.send(req).await
}

/// A token by HTTP Basic, optionally narrowed to `scope`.
async fn access_token(app: &TestApp, client: &Client, scope: Option<&str>) -> String {
    let mut fields = vec![("grant_type", "client_credentials")];
    if let Some(scope) = scope {
        fields.push(("scope", scope));
    }
    let r = token_request(app, Some(client), &fields).await;
    r.expect(200);
    r.json["access_token"].as_str().unwrap().to_owned()
}

/// Asserts an RFC 6749 §5.2 error answer.
#[track_caller]
fn expect_oauth_error(r: &Resp, status: u16, error: &str) {
    r.expect(status);
    assert_eq!(r.json["error"], error, "{}", r.text);
    assert!(
        r.json["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{}",
        r.text
    );
    assert_eq!(r.header("cache-control"), Some("no-store"));
    if status == 401 {
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"portico\"")
        );
    }
}

portico_testkit::backend_tests! {
    async fn oauth_clients_are_created_listed_and_revoked(app: TestApp) {
        let k = &app.a.key;
        let r = app
            .post(k, "/api/v1/oauth-clients", json!({"name": "Backend", "scopes": ["customers:read", "security:write"]}))
            .await;
        r.expect(201);
        let id = r.id();
        assert!(id.starts_with("cli_"), "{id}");
        assert_eq!(r.json["name"], "Backend");
        assert_eq!(r.json["scopes"], json!(["security:write", "customers:read"]));
        assert!(r.json["created_at"].is_string(), "{}", r.text);
        assert_eq!(r.json["revoked_at"], Value::Null);
        let secret = r.json["client_secret"].as_str().unwrap();
        assert!(secret.starts_with("portico_cs_") && secret.len() == 51, "{secret}");
        assert!(secret[11..].chars().all(|c| c.is_ascii_alphanumeric()));

        // The secret is shown once: lists and idempotent replays do not have it.
        let list = app.get(k, "/api/v1/oauth-clients").await;
        assert_eq!(list.list_ids(), vec![id.clone()]);
        assert!(!list.text.contains(secret) && !list.text.contains("client_secret"), "{}", list.text);
        for _ in 0..2 {
            let req = app
                .request(Method::POST, "/api/v1/oauth-clients", k)
                .header("idempotency-key", "oauth-client-1")
                .json(&json!({"name": "CI", "scopes": ["billing:read"]}));
            let r = app.send(req).await;
            r.expect(201);
            if r.header("idempotent-replayed").is_some() {
                assert_eq!(r.json["client_secret"], Value::Null, "{}", r.text);
            } else {
                assert!(r.json["client_secret"].is_string(), "{}", r.text);
            }
        }
        let page = app.get(k, "/api/v1/oauth-clients?limit=1").await;
        assert_eq!(page.list_ids().len(), 1);
        assert_eq!(page.json["has_more"], true);
        let rest = app.get(k, &format!("/api/v1/oauth-clients?limit=1&starting_after={}", page.list_ids()[0])).await;
        assert_eq!(rest.list_ids(), vec![id.clone()]);

        // Validation, and no client gets a scope its creator lacks.
        for (body, needle) in [
            (json!({"name": "x", "scopes": []}), "scopes"),
            (json!({"name": "x", "scopes": ["root"]}), "scopes"),
            (json!({"name": " ", "scopes": ["billing:read"]}), "name"),
            (json!({"name": "x", "scopes": ["billing:read"], "secret": "mine"}), "secret"),
        ] {
            app.post(k, "/api/v1/oauth-clients", body).await.expect_error(400, "BAD_REQUEST", needle);
        }
        let (settings_only, _) = crate::support::new_key(
            app.store.as_ref(),
            &app.a.account,
            portico_core::scope::ApiScopes::parse("s", "settings:write customers:read").unwrap(),
            None,
            app.clock.now(),
        )
        .await;
        app.post(&settings_only, "/api/v1/oauth-clients", json!({"name": "x", "scopes": ["billing:write"]}))
            .await
            .expect_error(403, "FORBIDDEN", "billing:write");
        app.post(&settings_only, "/api/v1/oauth-clients", json!({"name": "x", "scopes": ["customers:read"]}))
            .await
            .expect(201);
        let (no_settings, _) = crate::support::new_key(
            app.store.as_ref(),
            &app.a.account,
            portico_core::scope::ApiScopes::parse("s", "customers:write billing:write security:write").unwrap(),
            None,
            app.clock.now(),
        )
        .await;
        app.get(&no_settings, "/api/v1/oauth-clients").await.expect_error(403, "FORBIDDEN", "settings:write");

        // Revocation, which keeps the first revocation time.
        let revoked = app.delete(k, &format!("/api/v1/oauth-clients/{id}")).await;
        revoked.expect(200);
        let at = revoked.json["revoked_at"].clone();
        assert!(at.is_string(), "{}", revoked.text);
        let again = app.delete(k, &format!("/api/v1/oauth-clients/{id}")).await;
        assert_eq!(again.expect(200).json["revoked_at"], at);
        app.delete(k, "/api/v1/oauth-clients/cli_nonsense").await.expect_error(404, "NOT_FOUND", "");
    }

    async fn tokens_by_basic_and_by_form_fields_work_on_the_api(app: TestApp) {
        let k = &app.a.key;
        app.post(k, "/api/v1/customers", json!({"alias": "acme", "name": "Acme", "currency": "EUR"}))
            .await
            .expect(201);
        let client = new_client(&app, k, &["customers:read", "security:write"]).await;

        let basic = token_request(&app, Some(&client), &[("grant_type", "client_credentials")]).await;
        basic.expect(200);
        assert_eq!(basic.header("cache-control"), Some("no-store"));
        assert_eq!(basic.header("pragma"), Some("no-cache"));
        assert_eq!(basic.json["token_type"], "Bearer");
        assert_eq!(basic.json["expires_in"], 3600);
        assert_eq!(basic.json["scope"], "security:write customers:read");
        let by_basic = basic.json["access_token"].as_str().unwrap().to_owned();
        assert!(by_basic.starts_with("portico_at_") && by_basic.len() == 54, "{by_basic}");

        let form = token_request(
            &app,
            None,
            &[("grant_type", "client_credentials"), ("client_id", &client.id), ("client_secret", &client.secret)],
        )
        .await;
        form.expect(200);
        let by_form = form.json["access_token"].as_str().unwrap().to_owned();
        assert_ne!(by_form, by_basic, "every request gets a fresh token");

        let json_body = app
            .send(app.client.post(app.url("/oauth/token")).json(&json!({
                "grant_type": "client_credentials", "client_id": client.id, "client_secret": client.secret,
                "scope": "customers:read",
            })))
            .await;
        json_body.expect(200);
        assert_eq!(json_body.json["scope"], "customers:read");

        for token in [&by_basic, &by_form] {
            let customers = app.get(token, "/api/v1/customers").await;
            assert_eq!(customers.list_ids().len(), 1);
            let portal = app.post(token, "/api/v1/customers/acme/portal-token", json!({})).await;
            portal.expect(200);
            assert!(portal.json["token"].is_string(), "{}", portal.text);
        }
        // The token's issuer is the client: the portal session records it.
        let sessions = app.get(k, "/api/v1/portal-sessions?customer=acme").await;
        sessions.expect(200);
        assert!(sessions.text.contains(&client.id), "{}", sessions.text);
    }

    async fn a_narrowed_scope_limits_the_token(app: TestApp) {
        let k = &app.a.key;
        app.post(k, "/api/v1/customers", json!({"alias": "acme", "name": "Acme", "currency": "EUR"}))
            .await
            .expect(201);
        let client = new_client(&app, k, &["customers:write", "security:write"]).await;
        let r = token_request(&app, Some(&client), &[("grant_type", "client_credentials"), ("scope", "customers:read")]).await;
        r.expect(200);
        assert_eq!(r.json["scope"], "customers:read");
        let narrow = r.json["access_token"].as_str().unwrap().to_owned();
        app.get(&narrow, "/api/v1/customers").await.expect(200);
        app.post(&narrow, "/api/v1/customers", json!({"name": "N", "currency": "EUR"}))
            .await
            .expect_error(403, "FORBIDDEN", "customers:write");
        app.post(&narrow, "/api/v1/customers/acme/portal-token", json!({}))
            .await
            .expect_error(403, "FORBIDDEN", "security:write");
        app.get(&narrow, "/api/v1/oauth-clients").await.expect_error(403, "FORBIDDEN", "settings:write");

        // Beyond the client's scopes, or no scope at all that Portico knows.
        for scope in ["billing:read", "customers:read settings:write", "admin"] {
            let r = token_request(&app, Some(&client), &[("grant_type", "client_credentials"), ("scope", scope)]).await;
            expect_oauth_error(&r, 400, "invalid_scope");
        }
    }

    async fn the_token_endpoint_answers_rfc_6749_errors(app: TestApp) {
        let client = new_client(&app, &app.a.key, &["customers:read"]).await;
        let grant = ("grant_type", "client_credentials");

        // The secret is checked on every request: right, then wrong, then right again.
        token_request(&app, Some(&client), &[grant]).await.expect(200);
        let wrong = Client { id: client.id.clone(), secret: format!("portico_cs_{}", "a".repeat(40)) };
        let r = token_request(&app, Some(&wrong), &[grant]).await;
        expect_oauth_error(&r, 401, "invalid_client");
        assert!(!r.text.contains(&client.secret[11..]));
        let r = token_request(&app, None, &[grant, ("client_id", &client.id), ("client_secret", &wrong.secret)]).await;
        expect_oauth_error(&r, 401, "invalid_client");
        token_request(&app, Some(&client), &[grant]).await.expect(200);

        // Unknown, malformed or missing client credentials.
        let other = new_client(&app, &app.b.key, &["customers:read"]).await;
        for bad in [
            Client { id: "cli_0000000000000000000000".into(), secret: client.secret.clone() },
            Client { id: "' OR 1=1--".into(), secret: client.secret.clone() },
            Client { id: other.id.clone(), secret: client.secret.clone() },
            Client { id: client.id.clone(), secret: other.secret.clone() },
            Client { id: client.id.clone(), secret: String::new() },
        ] {
            expect_oauth_error(&token_request(&app, Some(&bad), &[grant]).await, 401, "invalid_client");
        }
        expect_oauth_error(&token_request(&app, None, &[grant]).await, 401, "invalid_client");
        expect_oauth_error(&token_request(&app, None, &[grant, ("client_id", &client.id)]).await, 401, "invalid_client");
        let bearer = app
            .send(app.client.post(app.url("/oauth/token")).bearer_auth(&app.a.key).form_body("grant_type=client_credentials"))
            .await;
        expect_oauth_error(&bearer, 401, "invalid_client");

        // Both authentication methods at once.
        let r = token_request(&app, Some(&client), &[grant, ("client_id", &client.id), ("client_secret", &client.secret)]).await;
        expect_oauth_error(&r, 400, "invalid_request");

        // grant_type missing, another grant, a repeated parameter, a body that is not a form.
        expect_oauth_error(&token_request(&app, Some(&client), &[]).await, 400, "invalid_request");
        expect_oauth_error(&token_request(&app, Some(&client), &[("scope", "customers:read")]).await, 400, "invalid_request");
        for other_grant in ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"] {
            let r = token_request(&app, Some(&client), &[("grant_type", other_grant)]).await;
            expect_oauth_error(&r, 400, "unsupported_grant_type");
        }
        expect_oauth_error(&token_request(&app, Some(&client), &[grant, grant]).await, 400, "invalid_request");
        let plain = app
            .send(app.client.post(app.url("/oauth/token")).basic_auth(&client.id, Some(&client.secret)).header("content-type", "text/plain").body("grant_type=client_credentials"))
            .await;
        expect_oauth_error(&plain, 400, "invalid_request");
        let bad_json = app
            .send(app.client.post(app.url("/oauth/token")).basic_auth(&client.id, Some(&client.secret)).header("content-type", "application/json").body("{\"grant_type\": 1}"))
            .await;
        expect_oauth_error(&bad_json, 400, "invalid_request");

        // Only POST; and an access token is no client credential.
        let get = app.send(app.client.get(app.url("/oauth/token"))).await;
        get.expect(405);
        let token = access_token(&app, &client, None).await;
        let r = token_request(&app, Some(&Client { id: client.id.clone(), secret: token }), &[grant]).await;
        expect_oauth_error(&r, 401, "invalid_client");
    }

    async fn access_tokens_last_exactly_one_hour(app: TestApp) {
        let client = new_client(&app, &app.a.key, &["customers:read"]).await;
        let token = access_token(&app, &client, None).await;
        app.get(&token, "/api/v1/customers").await.expect(200);
        app.clock.advance_secs(3599);
        app.get(&token, "/api/v1/customers").await.expect(200);
        app.clock.advance_secs(1);
        let r = app.get(&token, "/api/v1/customers").await;
        r.expect_error(401, "UNAUTHORIZED", "access token");
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        // The client itself still works and gets a fresh hour.
        let fresh = access_token(&app, &client, None).await;
        app.get(&fresh, "/api/v1/customers").await.expect(200);
    }

    async fn revoking_the_client_ends_its_tokens_at_once(app: TestApp) {
        let client = new_client(&app, &app.a.key, &["customers:read"]).await;
        let keep = new_client(&app, &app.a.key, &["customers:read"]).await;
        let token = access_token(&app, &client, None).await;
        let kept = access_token(&app, &keep, None).await;
        app.get(&token, "/api/v1/customers").await.expect(200);
        app.delete(&app.a.key, &format!("/api/v1/oauth-clients/{}", client.id)).await.expect(200);
        app.get(&token, "/api/v1/customers").await.expect_error(401, "UNAUTHORIZED", "");
        let r = token_request(&app, Some(&client), &[("grant_type", "client_credentials")]).await;
        expect_oauth_error(&r, 401, "invalid_client");
        assert!(r.json["error_description"].as_str().unwrap().contains("revoked"), "{}", r.text);
        app.get(&kept, "/api/v1/customers").await.expect(200);

        // Forged or truncated tokens.
        for bad in [
            format!("portico_at_{}", "A".repeat(43)),
            token[..token.len() - 1].to_owned(),
            format!("{kept}x"),
            format!("portico_at_' OR 1=1--{}", "A".repeat(33)),
        ] {
            app.get(&bad, "/api/v1/customers").await.expect_error(401, "UNAUTHORIZED", "");
        }
    }

    async fn another_account_cannot_see_revoke_or_reach_through_a_client(app: TestApp) {
        let theirs = app.seed(&app.b.key, "bee").await;
        let client = new_client(&app, &app.a.key, &["customers:read", "settings:write"]).await;
        let b_list = app.get(&app.b.key, "/api/v1/oauth-clients?limit=100").await;
        assert!(!b_list.list_ids().contains(&client.id), "{}", b_list.text);
        app.delete(&app.b.key, &format!("/api/v1/oauth-clients/{}", client.id))
            .await
            .expect_error(404, "NOT_FOUND", "");
        let token = access_token(&app, &client, None).await;
        app.get(&token, "/api/v1/customers").await.expect(200);

        // A's token is A's: B's records are not found, B's clients not listed nor revocable.
        app.get(&token, &format!("/api/v1/customers/{}", theirs.customer)).await.expect_error(404, "NOT_FOUND", "");
        let a_list = app.get(&token, "/api/v1/oauth-clients?limit=100").await;
        assert_eq!(a_list.list_ids(), vec![client.id.clone()]);
        app.delete(&token, &format!("/api/v1/oauth-clients/{}", theirs.oauth_client))
            .await
            .expect_error(404, "NOT_FOUND", "");
        let b_after = app.get(&app.b.key, "/api/v1/oauth-clients?limit=100").await;
        let seeded = b_after.json["data"].as_array().unwrap().iter().find(|c| c["id"] == theirs.oauth_client.as_str()).unwrap().clone();
        assert_eq!(seeded["revoked_at"], Value::Null, "A could not revoke B's client");
    }

    async fn an_access_token_is_not_a_portal_token(app: TestApp) {
        let client = new_client(&app, &app.a.key, &["customers:read", "security:write"]).await;
        let token = access_token(&app, &client, None).await;
        let r = app.send(app.client.get(app.url(&format!("/portal?token={token}")))).await;
        r.expect(401);
        assert!(r.header("set-cookie").is_none(), "no session from an access token");
        // Nor is a client secret a bearer credential.
        app.get(&client.secret, "/api/v1/customers").await.expect_error(401, "UNAUTHORIZED", "");
    }

    async fn token_requests_are_rate_limited_per_client(on: On) {
        // Failures per address have their own test; here they must not get in the way.
        let failures = Some((GENEROUS, Vec::new()));
        let app = TestApp::start_with(on.0, Options { failures, ..Options::default() }).await;
        let client = new_client(&app, &app.a.key, &["customers:read"]).await;
        let other = new_client(&app, &app.a.key, &["customers:read"]).await;
        let wrong = Client { id: client.id.clone(), secret: other.secret.clone() };
        // The default quota allows bursts of 200; failed attempts count too.
        let mut limited = None;
        for _ in 0..400 {
            let r = token_request(&app, Some(&wrong), &[("grant_type", "client_credentials")]).await;
            if r.status == 429 {
                limited = Some(r);
                break;
            }
            expect_oauth_error(&r, 401, "invalid_client");
        }
        let r = limited.expect("no 429 after 400 token requests");
        r.expect_error(429, "TOO_MANY_REQUESTS", "");
        assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
        // Even the right secret waits; another client does not.
        token_request(&app, Some(&client), &[("grant_type", "client_credentials")]).await.expect(429);
        token_request(&app, Some(&other), &[("grant_type", "client_credentials")]).await.expect(200);
    }

    async fn the_database_holds_only_hashes_of_client_secrets_and_tokens(app: TestApp) {
        let mut secrets = Vec::new();
        let mut tokens = Vec::new();
        for (i, idem) in [None, Some("client-create-1")].into_iter().enumerate() {
            let mut req = app
                .request(Method::POST, "/api/v1/oauth-clients", &app.a.key)
                .json(&json!({"name": format!("scan {i}"), "scopes": ["customers:read"]}));
            if let Some(idem) = idem {
                req = req.header("idempotency-key", idem);
            }
            let r = app.send(req).await;
            r.expect(201);
            let client = Client { id: r.id(), secret: r.json["client_secret"].as_str().unwrap().to_owned() };
            tokens.push(access_token(&app, &client, None).await);
            tokens.push(access_token(&app, &client, Some("customers:read")).await);
            secrets.push(client.secret);
        }
        for token in &tokens {
            app.get(token, "/api/v1/customers").await.expect(200);
        }

        let text = dump_database(&app).await;
        for token in &tokens {
            let stored = hex(&sha256(token.as_bytes()));
            assert!(text.contains(&stored), "the scan does not see the token table; it would prove nothing");
        }
        for value in secrets.iter().chain(&tokens) {
            let random = &value[11..];
            for needle in [
                value.clone(),
                random.to_owned(),
                hex(value.as_bytes()),
                hex(value.as_bytes()).to_ascii_uppercase(),
                hex(random.as_bytes()),
            ] {
                assert!(!text.contains(&needle), "the database holds a client secret or token ({})", &needle[..14]);
            }
        }
    }
}

/// A form body without `reqwest`'s `form` feature.
trait FormBody {
    fn form_body(self, body: &'static str) -> Self;
}

impl FormBody for reqwest::RequestBuilder {
    fn form_body(self, body: &'static str) -> Self {
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}
