//! Portal access as vendors ask for it: the native portal-session API and the REST and
//! signed-link dialects, each called exactly as DESIGN.md's table shows with a plain HTTP
//! client and followed into a logged-in portal page; scopes and refusals.

use portico_core::scope::{ApiScope, ApiScopes};
use portico_http::Clock;
use serde_json::{Value, json};

use crate::security::{dump_database, hex};
use crate::support::{On, Person, Portal, TestApp, jwt_claims, jwt_header, new_key, on_subdomains};

const VENDOR: &str = "Acme Billing";

/// Gives account A a display name, so that pages can be checked for it.
async fn brand(app: &TestApp) {
    app.patch(
        &app.a.key,
        "/api/v1/portal-settings",
        json!({"branding": {"display_name": VENDOR}}),
    )
    .await
    .expect(200);
}

/// A browser: follows redirects and keeps cookies, like the person's browser would.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

/// Opens `url` in a fresh browser and checks it lands logged in on `page`, showing the
/// customer's and the vendor's names.
async fn follow_into_portal(app: &TestApp, url: &str, page: &str, p: &Person) -> String {
    let browser = browser();
    let r = browser.get(app.local(url)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    assert_eq!(r.url().path(), page);
    assert!(
        r.url().query().is_none(),
        "the token stayed in the URL: {}",
        r.url()
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&p.name),
        "the page does not name the customer: {html}"
    );
    assert!(
        html.contains(VENDOR),
        "the page does not name the vendor: {html}"
    );
    // The session holds: the page again, now without a token (a page outside the session's
    // scopes need not be shown, so it is the same page).
    let next = browser.get(app.url(page)).send().await.unwrap();
    assert_eq!(next.status(), 200);
    html
}

fn scope_claim(token: &str) -> Vec<String> {
    jwt_claims(token)["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

portico_testkit::backend_tests! {
    async fn native_portal_session_answers_201_with_a_deep_link(app: Portal) {
        brand(&app).await;
        let p = app.person(&app.a.key, "native", "owner").await;
        let r = app
            .portal_session(
                &app.a.key,
                json!({
                    "customer": p.alias, "contact": p.external_id, "expires_in_seconds": 3600,
                    "page": "invoices", "scopes": ["invoices:read", "subscriptions:read"],
                    "return_url": "https://app.vendor.example/billing", "locale": "en",
                }),
            )
            .await;
        let b = &r.json;
        let id = r.id();
        assert!(id.starts_with("ps_"), "{id}");
        let token = b["token"].as_str().unwrap();
        assert_eq!(b["url"], format!("{}/portal/invoices?token={token}", app.base));
        assert_eq!(b["customer"], p.customer);
        assert_eq!(b["contact"], p.contact);
        assert_eq!(b["page"], "invoices");
        let mut scopes: Vec<&str> = b["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        scopes.sort_unstable();
        assert_eq!(scopes, ["invoices:read", "subscriptions:read"]);
        assert!(b["expires_at"].is_string());

        let h = jwt_header(token);
        assert_eq!(h["typ"], "portal+jwt");
        assert_eq!(h["alg"], "EdDSA");
        assert!(h["kid"].is_string());
        let c = jwt_claims(token);
        assert_eq!(c["iss"], app.base);
        assert_eq!(c["aud"], "portal");
        assert_eq!(c["sub"], p.customer);
        assert_eq!(c["jti"], id);
        assert_eq!(c["uid"], p.contact);
        assert_eq!(c["uid_type"], "Contact");
        assert_eq!(c["account"], app.a.account.to_string());
        assert_eq!(c["subdomain"], "alpha");
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3600);
        let mut claimed = scope_claim(token);
        claimed.sort_unstable();
        assert_eq!(claimed, ["invoices:read", "subscriptions:read"]);

        let html = follow_into_portal(&app, b["url"].as_str().unwrap(), "/portal/invoices", &p).await;
        assert!(html.contains("https://app.vendor.example/billing"), "no return link: {html}");

        // Bad requests name their field.
        for (body, field) in [
            (json!({"customer": p.customer, "scopes": ["invoices:read", "root"]}), "scopes"),
            (json!({"customer": p.customer, "page": "admin"}), "page"),
            (json!({"customer": p.customer, "locale": "xx"}), "locale"),
            (json!({"customer": p.customer, "surprise": 1}), "surprise"),
            (json!({}), "customer"),
        ] {
            app.post(&app.a.key, "/api/v1/portal-sessions", body).await.expect_error(400, "BAD_REQUEST", field);
        }
    }

    async fn native_list_get_revoke_and_invalidate_existing(app: Portal) {
        let k = &app.a.key;
        let p = app.person(k, "life", "owner").await;
        let other = app.person(k, "else", "owner").await;
        let (first, first_token) = app.issue(k, &p.customer).await;
        let first_cookie = app.enter(&first_token).await;
        let (elsewhere, _) = app.issue(k, &other.customer).await;

        // invalidate_existing revokes the earlier session and its browser sessions.
        let r = app.portal_session(k, json!({"customer": p.alias, "invalidate_existing": true})).await;
        let second = r.id();
        let second_cookie = app.enter(r.json["token"].as_str().unwrap()).await;
        assert!(!app.logged_in(&first_cookie).await, "invalidate_existing left the old browser session");
        assert!(app.logged_in(&second_cookie).await);
        let got = app.get(k, &format!("/api/v1/portal-sessions/{first}")).await;
        got.expect(200);
        assert!(got.json["revoked_at"].is_string(), "{}", got.text);
        assert!(got.json.get("token").is_none(), "GET shows the token: {}", got.text);
        assert!(!got.text.contains(&first_token));
        assert!(app.get(k, &format!("/api/v1/portal-sessions/{elsewhere}")).await.json["revoked_at"].is_null(),
            "invalidate_existing touched another customer");

        // Lists, by customer.
        let ids = app.get(k, &format!("/api/v1/portal-sessions?customer={}", p.alias)).await.list_ids();
        assert_eq!(ids, [second.clone(), first.clone()]);
        let all = app.get(k, "/api/v1/portal-sessions?limit=100").await.list_ids();
        assert!(all.contains(&elsewhere) && all.contains(&second));
        app.get(k, "/api/v1/portal-sessions?customer=nobody").await.expect_error(404, "NOT_FOUND", "");
        // B sees none of them.
        assert!(app.get(&app.b.key, "/api/v1/portal-sessions").await.list_ids().is_empty());
        app.get(&app.b.key, &format!("/api/v1/portal-sessions/{second}")).await.expect_error(404, "NOT_FOUND", "");
        app.delete(&app.b.key, &format!("/api/v1/portal-sessions/{second}")).await.expect_error(404, "NOT_FOUND", "");
        assert!(app.logged_in(&second_cookie).await);

        // Revoke one.
        let r = app.delete(k, &format!("/api/v1/portal-sessions/{second}")).await;
        r.expect(200);
        assert!(r.json["revoked_at"].is_string());
        assert!(!app.logged_in(&second_cookie).await);

        // Revoke all of one customer.
        let (_, t1) = app.issue(k, &p.customer).await;
        let (_, t2) = app.issue(k, &p.customer).await;
        let c1 = app.enter(&t1).await;
        let c2 = app.enter(&t2).await;
        let r = app.delete(k, &format!("/api/v1/customers/{}/portal-sessions", p.alias)).await;
        r.expect(200);
        assert_eq!(r.json["revoked"], 2, "{}", r.text);
        assert!(!app.logged_in(&c1).await && !app.logged_in(&c2).await);
        assert!(app.get(k, &format!("/api/v1/portal-sessions/{elsewhere}")).await.json["revoked_at"].is_null());
        app.delete(&app.b.key, &format!("/api/v1/customers/{}/portal-sessions", p.customer)).await.expect_error(404, "NOT_FOUND", "");
    }

    async fn rest_dialect_portal_token_exactly_as_documented(app: Portal) {
        brand(&app).await;
        let p = app.person(&app.a.key, "rest", "owner").await;
        // Exactly the documented request: POST with the body `null`, from a plain client.
        let plain = reqwest::Client::new();
        let r = plain
            .post(app.url(&format!("/api/v1/customers/{}/portal-token", p.alias)))
            .bearer_auth(&app.a.key)
            .header("content-type", "application/json")
            .body("null")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        let fields: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(fields, ["api_url", "expires_at", "portal_link", "portal_url", "token"], "{body}");
        assert_eq!(body["portal_url"], format!("{}/portal", app.base));
        assert_eq!(body["api_url"], format!("{}/portal/api/v1", app.base));
        let token = body["token"].as_str().unwrap();
        assert_eq!(body["portal_link"], format!("{}/portal?token={token}", app.base));
        let expires_at = body["expires_at"].as_str().unwrap();
        assert_eq!(
            portico_core::Timestamp::parse_rfc3339("expires_at", expires_at).unwrap().as_millis() / 1000,
            jwt_claims(token)["exp"].as_i64().unwrap(),
            "{expires_at}"
        );
        let c = jwt_claims(token);
        assert_eq!(c["sub"], p.customer);
        assert_eq!(c["uid_type"], "Customer");
        assert_eq!(c["uid"], p.customer);
        let url = format!("{}?token={token}", body["portal_url"].as_str().unwrap());
        follow_into_portal(&app, &url, "/portal", &p).await;
        // By id too, and the documented deep links.
        for page in ["/portal/subscriptions", "/portal/transactions", "/portal/payment-method"] {
            let r = app.post(&app.a.key, &format!("/api/v1/customers/{}/portal-token", p.customer), json!({"expires_in_seconds": 600})).await;
            r.expect(200);
            let token = r.json["token"].as_str().unwrap();
            let r = app.browse(&format!("{page}?token={token}"), None).await;
            r.expect_entered();
            assert_eq!(r.header("location"), Some(page));
        }
        // Errors are {code, message}.
        app.post(&app.a.key, "/api/v1/customers/nobody/portal-token", json!({})).await.expect_error(404, "NOT_FOUND", "");
        app.post(&app.b.key, &format!("/api/v1/customers/{}/portal-token", p.customer), json!({})).await.expect_error(404, "NOT_FOUND", "");
        app.post("portico_sk_nope", &format!("/api/v1/customers/{}/portal-token", p.alias), json!({})).await.expect_error(401, "UNAUTHORIZED", "");
    }

    async fn signed_link_dialect_access_then_a_link_into_the_portal(app: Portal) {
        brand(&app).await;
        let k = &app.a.key;
        let p = app.person(k, "link", "owner").await;
        let plain = reqwest::Client::new();
        let access = |id: String| {
            let plain = plain.clone();
            let url = app.url(&format!("/api/v1/shareabletokens/access/{id}"));
            let key = k.clone();
            async move {
                let r = plain.get(url).bearer_auth(key).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            }
        };
        let a = access(p.contact.clone()).await;
        assert_eq!(a["access"], true, "{a}");
        assert_eq!(access(p.external_id.clone()).await["access"], true);

        app.patch(k, &format!("/api/v1/contacts/{}", p.contact), json!({"portal_access": false})).await.expect(200);
        assert_eq!(access(p.contact.clone()).await["access"], false);
        app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.expect_error(403, "FORBIDDEN", "");
        app.patch(k, &format!("/api/v1/contacts/{}", p.contact), json!({"portal_access": true})).await.expect(200);

        app.patch(k, &format!("/api/v1/customers/{}", p.customer), json!({"portal_enabled": false})).await.expect(200);
        let a = access(p.contact.clone()).await;
        assert_eq!(a["access"], false, "{a}");
        app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.expect_error(403, "FORBIDDEN", "");
        app.patch(k, &format!("/api/v1/customers/{}", p.customer), json!({"portal_enabled": true})).await.expect(200);
        assert_eq!(access(p.contact.clone()).await["access"], true);

        // The link, exactly as documented, from a plain client.
        let r = plain
            .get(app.url(&format!("/api/v1/shareabletokens/{}", p.external_id)))
            .bearer_auth(k)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        let url = body["url"].as_str().unwrap();
        let token = url.strip_prefix(&format!("{}/redirect/", app.base)).expect("{portal_url}/redirect/{token}");
        assert_eq!(token.len(), 43, "{url}");
        assert!(body["expires_at"].is_string());
        follow_into_portal(&app, url, "/portal", &p).await;
        // Used once: a second browser gets nowhere.
        let again = browser().get(url).send().await.unwrap();
        assert_eq!(again.status(), 401);

        app.get(k, "/api/v1/shareabletokens/access/nobody").await.expect_error(404, "NOT_FOUND", "");
        app.get(k, "/api/v1/shareabletokens/nobody").await.expect_error(404, "NOT_FOUND", "");
        app.get(&app.b.key, &format!("/api/v1/shareabletokens/access/{}", p.contact)).await.expect_error(404, "NOT_FOUND", "");
        app.get(&app.b.key, &format!("/api/v1/shareabletokens/{}", p.contact)).await.expect_error(404, "NOT_FOUND", "");
        // A deleted customer's contact has no access.
        app.delete(k, &format!("/api/v1/customers/{}", p.customer)).await.expect(200);
        let r = app.get(k, &format!("/api/v1/shareabletokens/access/{}", p.contact)).await;
        assert!(r.status == 404 || r.json["access"] == false, "{}", r.text);
    }

    async fn sec31_vendor_ids_cannot_take_the_form_of_a_portico_id(app: Portal) {
        brand(&app).await;
        let k = &app.a.key;
        let victim = app.person(k, "victim", "owner").await;
        let other = app.person(k, "other", "owner").await;
        // Another contact's id as this contact's external id: refused when made and when changed.
        let new_contact = |external_id: &str| json!({
            "customer": other.customer, "email": "bo@other.example", "external_id": external_id, "role": "owner",
        });
        app.post(k, "/api/v1/contacts", new_contact(&victim.contact)).await
            .expect_error(400, "BAD_REQUEST", "external_id");
        app.patch(k, &format!("/api/v1/contacts/{}", other.contact), json!({"external_id": victim.contact})).await
            .expect_error(400, "BAD_REQUEST", "external_id");
        // Nor an id of any other kind, as an external id or as a customer alias.
        let (session, _) = app.issue(k, &victim.customer).await;
        for id in [&victim.customer, &session, &app.a.account.to_string(), &app.a.key_id.to_string()] {
            app.post(k, "/api/v1/contacts", new_contact(id)).await
                .expect_error(400, "BAD_REQUEST", "external_id");
            app.patch(k, &format!("/api/v1/customers/{}", other.customer), json!({"alias": id})).await
                .expect_error(400, "BAD_REQUEST", "alias");
        }
        // So the victim's id leads to the victim's portal and nowhere else.
        let r = app.get(k, &format!("/api/v1/shareabletokens/{}", victim.contact)).await;
        r.expect(200);
        follow_into_portal(&app, r.json["url"].as_str().unwrap(), "/portal", &victim).await;
        let r = app.get(k, &format!("/api/v1/shareabletokens/{}", other.external_id)).await;
        r.expect(200);
        follow_into_portal(&app, r.json["url"].as_str().unwrap(), "/portal", &other).await;
    }

    async fn scopes_and_refusals_in_every_dialect(app: Portal) {
        let k = &app.a.key;
        // A viewer's session never gets a write scope, whatever is asked.
        let v = app.person(k, "viewer", "viewer").await;
        let r = app.portal_session(k, json!({"customer": v.customer, "contact": v.contact})).await;
        let scopes = scope_claim(r.json["token"].as_str().unwrap());
        assert!(!scopes.is_empty());
        assert!(scopes.iter().all(|s| !s.ends_with(":write")), "{scopes:?}");
        let r = app.portal_session(k, json!({"customer": v.customer, "contact": v.contact, "scopes": ["subscriptions:write", "invoices:read"]})).await;
        assert_eq!(scope_claim(r.json["token"].as_str().unwrap()), ["invoices:read"]);
        let link = app.get(k, &format!("/api/v1/shareabletokens/{}", v.contact)).await;
        link.expect(200);
        let owner = app.person(k, "owner", "owner").await;
        let r = app.portal_session(k, json!({"customer": owner.customer, "contact": owner.contact})).await;
        assert!(scope_claim(r.json["token"].as_str().unwrap()).iter().any(|s| s.ends_with(":write")));

        // A key without security:write.
        let (reader, _) = new_key(
            app.store.as_ref(),
            &app.a.account,
            ApiScopes::empty().with(ApiScope::SecurityRead).with(ApiScope::CustomersWrite),
            None,
            app.clock.now(),
        )
        .await;
        app.post(&reader, "/api/v1/portal-sessions", json!({"customer": owner.customer})).await.expect_error(403, "FORBIDDEN", "security:write");
        app.post(&reader, &format!("/api/v1/customers/{}/portal-token", owner.alias), json!({})).await.expect_error(403, "FORBIDDEN", "security:write");
        app.get(&reader, &format!("/api/v1/shareabletokens/{}", owner.contact)).await.expect_error(403, "FORBIDDEN", "security:write");
        app.delete(&reader, &format!("/api/v1/customers/{}/portal-sessions", owner.alias)).await.expect_error(403, "FORBIDDEN", "security:write");
        app.get(&reader, &format!("/api/v1/shareabletokens/access/{}", owner.contact)).await.expect(200);
        app.get(&reader, "/api/v1/portal-sessions").await.expect(200);
        let (nothing, _) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::empty().with(ApiScope::BillingRead), None, app.clock.now()).await;
        app.get(&nothing, "/api/v1/portal-sessions").await.expect_error(403, "FORBIDDEN", "security:read");
        app.get(&nothing, &format!("/api/v1/shareabletokens/access/{}", owner.contact)).await.expect_error(403, "FORBIDDEN", "security:read");

        // Unknown customers and contacts.
        app.post(k, "/api/v1/portal-sessions", json!({"customer": "nobody"})).await.expect_error(400, "BAD_REQUEST", "customer: no such customer");
        app.post(k, "/api/v1/portal-sessions", json!({"customer": owner.customer, "contact": "nobody"})).await.expect_error(400, "BAD_REQUEST", "contact: no such contact");
        app.post(k, "/api/v1/portal-sessions", json!({"customer": owner.customer, "contact": v.contact})).await.expect_error(400, "BAD_REQUEST", "contact: no such contact");
        app.post(k, "/api/v1/customers/cus_nobody/portal-token", json!({})).await.expect_error(404, "NOT_FOUND", "");

        // A customer with the portal disabled: 403 in every dialect.
        app.patch(k, &format!("/api/v1/customers/{}", owner.customer), json!({"portal_enabled": false})).await.expect(200);
        app.post(k, "/api/v1/portal-sessions", json!({"customer": owner.customer})).await.expect_error(403, "FORBIDDEN", "portal");
        app.post(k, &format!("/api/v1/customers/{}/portal-token", owner.alias), Value::Null).await.expect_error(403, "FORBIDDEN", "portal");
        app.get(k, &format!("/api/v1/shareabletokens/{}", owner.contact)).await.expect_error(403, "FORBIDDEN", "portal");
        // A contact without portal access: 403.
        app.patch(k, &format!("/api/v1/contacts/{}", v.contact), json!({"portal_access": false})).await.expect(200);
        app.post(k, "/api/v1/portal-sessions", json!({"customer": v.customer, "contact": v.contact})).await.expect_error(403, "FORBIDDEN", "portal");
        app.post(k, "/api/v1/portal-sessions", json!({"customer": v.customer})).await.expect(201);
    }

    async fn jwks_on_an_account_host_lists_only_that_accounts_keys(on: On) {
        let (app, _, _) = on_subdomains(on.0).await;
        let port = app.base.rsplit(':').next().unwrap().to_owned();
        let mut kids = Vec::new();
        for key in [&app.a.key, &app.b.key] {
            let p = app.person(key, "jwks", "owner").await;
            let token = app.issue(key, &p.customer).await.1;
            kids.push(jwt_header(&token)["kid"].as_str().unwrap().to_owned());
        }
        let listed = |host: String| {
            let app = &app;
            async move {
                let r = app.browse_host(&format!("http://{host}/.well-known/jwks.json"), None).await;
                r.expect(200);
                r.json["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
            }
        };
        assert_eq!(listed(format!("alpha.localhost:{port}")).await, vec![kids[0].clone()]);
        assert_eq!(listed(format!("bravo.localhost:{port}")).await, vec![kids[1].clone()]);
        assert!(listed(format!("nobody.localhost:{port}")).await.is_empty());
        assert!(listed(format!("127.0.0.1:{port}")).await.is_empty());
    }

    async fn subdomain_hosts_refuse_another_accounts_tokens_and_cookies(on: On) {
        let (app, alpha, bravo) = on_subdomains(on.0).await;
        let p = app.person(&app.a.key, "host", "owner").await;
        let r = app.portal_session(&app.a.key, json!({"customer": p.customer})).await;
        let url = r.json["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&format!("{alpha}/portal?token=")), "{url}");
        let token = r.json["token"].as_str().unwrap().to_owned();
        assert_eq!(jwt_claims(&token)["iss"], alpha);
        let r = app.post(&app.a.key, &format!("/api/v1/customers/{}/portal-token", p.alias), json!({})).await;
        assert_eq!(r.json["portal_url"], format!("{alpha}/portal"));
        let link = app.get(&app.a.key, &format!("/api/v1/shareabletokens/{}", p.contact)).await;
        let link = link.json["url"].as_str().unwrap().to_owned();
        assert!(link.starts_with(&format!("{alpha}/redirect/")), "{link}");

        // On B's host, A's token, link and cookie are refused.
        let on_bravo = |u: &str| u.replacen(&alpha, &bravo, 1);
        app.browse_host(&on_bravo(&url), None).await.expect_refused();
        app.browse_host(&on_bravo(&link), None).await.expect_refused();
        let c = app.browse_host(&url, None).await.expect_entered();
        app.browse_host(&format!("{alpha}/portal"), Some(&c)).await.expect(200);
        app.browse_host(&format!("{bravo}/portal"), Some(&c)).await.expect(401);
        app.browse_host(&format!("{}/portal", app.base), Some(&c)).await.expect(401);
    }

    async fn issued_tokens_links_and_cookies_never_reach_the_database(app: Portal) {
        let k = &app.a.key;
        let p = app.person(k, "vault", "owner").await;
        let mut secrets = Vec::new();
        let mut session_ids = Vec::new();
        for idem in [None, Some("ps-retry")] {
            let mut req = app
                .request(reqwest::Method::POST, "/api/v1/portal-sessions", k)
                .json(&json!({"customer": p.customer, "page": "invoices"}));
            if let Some(idem) = idem {
                req = req.header("idempotency-key", idem);
            }
            let r = app.send(req).await;
            r.expect(201);
            session_ids.push(r.id());
            secrets.push(r.json["token"].as_str().unwrap().to_owned());
        }
        // A retry under the same key replays the answer, without the token.
        let r = app
            .send(
                app.request(reqwest::Method::POST, "/api/v1/portal-sessions", k)
                    .header("idempotency-key", "ps-retry")
                    .json(&json!({"customer": p.customer, "page": "invoices"})),
            )
            .await;
        r.expect(201);
        assert_eq!(r.header("idempotent-replayed"), Some("true"), "{:?}", r.headers);
        assert_eq!(r.id(), session_ids[1]);
        assert_eq!(r.json["token"], Value::Null);
        assert_eq!(r.json["url"], format!("{}/portal/invoices", app.base));
        let path = format!("/api/v1/customers/{}/portal-token", p.alias);
        for _ in 0..2 {
            let r = app
                .send(
                    app.request(reqwest::Method::POST, &path, k)
                        .header("idempotency-key", "pt-retry")
                        .json(&json!({"expires_in_seconds": 600})),
                )
                .await;
            r.expect(200);
            if let Some(t) = r.json["token"].as_str() {
                secrets.push(t.to_owned());
            } else {
                assert_eq!(r.header("idempotent-replayed"), Some("true"));
                assert_eq!(r.json["portal_url"], format!("{}/portal", app.base));
            }
        }
        let url = app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.json["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let unused = app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.json["url"]
            .as_str()
            .unwrap()
            .to_owned();
        let c = app.browse(&url, None).await.expect_entered();
        secrets.push(url.rsplit('/').next().unwrap().to_owned());
        secrets.push(unused.rsplit('/').next().unwrap().to_owned());
        secrets.push(c.value.clone());
        for t in secrets.clone().iter().filter(|t| t.contains('.')) {
            secrets.push(app.enter(t).await.value);
            secrets.push(t.rsplit('.').next().unwrap().to_owned());
        }
        assert_eq!(secrets.len(), 12);

        let text = dump_database(&app).await;
        for id in &session_ids {
            assert!(text.contains(id.as_str()), "the scan does not see portal sessions");
        }
        for s in &secrets {
            for needle in [s.clone(), hex(s.as_bytes()), hex(s.as_bytes()).to_ascii_uppercase()] {
                assert!(!text.contains(&needle), "the database holds a token or cookie ({})", &s[..12]);
            }
        }
    }
}
