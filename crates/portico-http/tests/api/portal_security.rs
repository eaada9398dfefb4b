//! SECURITY.md lines 1–19, 21, 25–27 and 33 over HTTP, each a test named after its line: forged and
//! expired portal tokens, key rotation, redirect links, browser sessions, CSRF, rate limits,
//! framing and money. Time moves by the test clock, never by sleeping.

use hmac::{Hmac, Mac};
use portico_core::{SigningKeyId, Timestamp};
use portico_http::Clock;
use portico_http::SessionPolicy;
use portico_http::ratelimit::Quota;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::support::{
    Cookie, Forger, GENEROUS, On, Options, Portal, Resp, TestApp, b64, jwt_claims, jwt_header,
    logs, new_key, raw_execute,
};

/// `GET /portal?token=…`.
async fn open(app: &TestApp, token: &str) -> Resp {
    app.browse(&format!("/portal?token={token}"), None).await
}

/// A forger for account A, a customer, and a real token of it signed by the forger's key; the
/// same claims re-signed are accepted, so each refusal below is for the one thing changed.
async fn forge_setup(app: &TestApp) -> (Forger, Value, Value) {
    let forger = app.forger(&app.a.account).await;
    let p = app.person(&app.a.key, "forge", "owner").await;
    let (_, token) = app.issue(&app.a.key, &p.customer).await;
    let header = jwt_header(&token);
    assert_eq!(
        header["kid"], forger.kid,
        "the forger's key signs A's tokens"
    );
    let claims = jwt_claims(&token);
    open(app, &forger.sign(&header, &claims))
        .await
        .expect_entered();
    (forger, header, claims)
}

fn with(base: &Value, key: &str, value: Value) -> Value {
    let mut v = base.clone();
    v[key] = value;
    v
}

fn without(base: &Value, key: &str) -> Value {
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove(key);
    v
}

fn hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let r = app
        .send(app.client.get(app.url("/.well-known/jwks.json")))
        .await;
    r.expect(200);
    r.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// A signed link for `contact`: its URL.
async fn link(app: &TestApp, contact: &str) -> String {
    let r = app
        .get(&app.a.key, &format!("/api/v1/shareabletokens/{contact}"))
        .await;
    r.expect(200);
    r.json["url"].as_str().unwrap().to_owned()
}

fn attributes(cookie: &Cookie) -> Vec<String> {
    cookie
        .raw
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_owned())
        .filter(|a| !a.starts_with("Max-Age="))
        .collect()
}

fn frame_ancestors(r: &Resp) -> String {
    let csp = r.header("content-security-policy").unwrap_or_default();
    let directives: Vec<&str> = csp
        .split(';')
        .map(str::trim)
        .filter(|d| d.starts_with("frame-ancestors"))
        .collect();
    assert_eq!(directives.len(), 1, "{} CSP {csp:?}", r.path);
    directives[0]["frame-ancestors".len()..].trim().to_owned()
}

/// A POST form of a portal page: its action and the fields it would send.
#[derive(Debug, Clone)]
struct PostForm {
    action: String,
    fields: Vec<(String, String)>,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[at..].find('"')?;
    Some(tag[at..at + end].replace("&amp;", "&"))
}

/// Every `<form method="post">` of a page, with its named inputs.
fn post_forms(html: &str) -> Vec<PostForm> {
    let mut forms = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let body = &rest[start..];
        let end = body.find("</form>").unwrap_or(body.len());
        let form = &body[..end];
        let open_tag = &form[..form.find('>').unwrap_or(form.len())];
        let method = attr(open_tag, "method").unwrap_or_default();
        if method.eq_ignore_ascii_case("post") {
            let mut fields = Vec::new();
            let mut inputs = form;
            while let Some(i) = inputs.find("<input") {
                let tag = &inputs[i..inputs[i..].find('>').map_or(inputs.len(), |e| i + e)];
                if let Some(name) = attr(tag, "name") {
                    fields.push((name, attr(tag, "value").unwrap_or_default()));
                }
                inputs = &inputs[i + 6..];
            }
            forms.push(PostForm {
                action: attr(open_tag, "action").unwrap_or_default(),
                fields,
            });
        }
        rest = &body[end.min(body.len())..];
        if end == body.len() {
            break;
        }
        rest = &rest[7..];
    }
    forms
}

pub const PAGES: [&str; 6] = [
    "/portal",
    "/portal/subscriptions",
    "/portal/transactions",
    "/portal/invoices",
    "/portal/payment-method",
    "/portal/account",
];

portico_testkit::backend_tests! {
    async fn sec01_alg_none_token_is_refused(app: Portal) {
        let (forger, header, claims) = forge_setup(&app).await;
        let body = b64(claims.to_string().as_bytes());
        let real = forger.sign(&header, &claims);
        let real_sig = real.rsplit('.').next().unwrap();
        for alg in ["none", "None", "NONE"] {
            let h = b64(with(&header, "alg", json!(alg)).to_string().as_bytes());
            for token in [
                format!("{h}.{body}."),
                format!("{h}.{body}"),
                format!("{h}.{body}.{real_sig}"),
            ] {
                open(&app, &token).await.expect_refused();
            }
        }
        let bare = b64(br#"{"alg":"none"}"#);
        open(&app, &format!("{bare}.{body}.")).await.expect_refused();
    }

    async fn sec02_hs256_with_the_public_key_as_secret_is_refused(app: Portal) {
        let (forger, header, claims) = forge_setup(&app).await;
        let jwks = app.send(app.client.get(app.url("/.well-known/jwks.json"))).await;
        let jwk = jwks.json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == forger.kid)
            .expect("the key in the JWKS")
            .clone();
        let x = jwk["x"].as_str().unwrap().to_owned();
        let secrets: Vec<Vec<u8>> = vec![
            forger.public_key().to_vec(),
            x.into_bytes(),
            jwk.to_string().into_bytes(),
            jwks.text.clone().into_bytes(),
        ];
        for secret in &secrets {
            for alg in ["HS256", "HS512"] {
                let token = hs256(&with(&header, "alg", json!(alg)), &claims, secret);
                open(&app, &token).await.expect_refused();
            }
        }
    }

    async fn sec03_missing_or_wrong_aud_iss_or_typ_is_refused(app: Portal) {
        let (forger, header, claims) = forge_setup(&app).await;
        let iss = claims["iss"].as_str().unwrap().to_owned();
        let bad_claims = [
            without(&claims, "aud"),
            with(&claims, "aud", json!("api")),
            with(&claims, "aud", json!("")),
            with(&claims, "aud", json!(["portal", "api"])),
            with(&claims, "aud", json!([])),
            without(&claims, "iss"),
            with(&claims, "iss", json!("https://evil.example")),
            with(&claims, "iss", json!(format!("{iss}/"))),
            with(&claims, "iss", json!(iss.to_uppercase())),
        ];
        for c in &bad_claims {
            open(&app, &forger.sign(&header, c)).await.expect_refused();
        }
        let bad_headers = [
            without(&header, "typ"),
            with(&header, "typ", json!("JWT")),
            with(&header, "typ", json!("at+jwt")),
            with(&header, "typ", json!("PORTAL+JWT ")),
        ];
        for h in &bad_headers {
            open(&app, &forger.sign(h, &claims)).await.expect_refused();
        }
    }

    async fn sec03_claims_of_another_account_signed_with_this_accounts_key_are_refused(app: Portal) {
        let (forger, header, _) = forge_setup(&app).await;
        // B's real session, its claims signed with A's key: the key's account decides.
        let q = app.person(&app.b.key, "victim", "owner").await;
        let (_, theirs) = app.issue(&app.b.key, &q.customer).await;
        let claims = jwt_claims(&theirs);
        assert_ne!(jwt_header(&theirs)["kid"], forger.kid);
        open(&app, &forger.sign(&header, &claims)).await.expect_refused();
        // Nor does naming A's account with B's customer and session get anywhere.
        let mixed = with(&claims, "account", json!(app.a.account.to_string()));
        open(&app, &forger.sign(&header, &mixed)).await.expect_refused();
        let mixed = with(&mixed, "subdomain", json!("alpha"));
        open(&app, &forger.sign(&header, &mixed)).await.expect_refused();
        // B's own token still works.
        app.enter(&theirs).await;
    }

    async fn sec04_portal_token_as_api_bearer_and_api_key_as_portal_token_are_refused(app: Portal) {
        let p = app.person(&app.a.key, "cross", "owner").await;
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        for path in ["/api/v1/customers", "/api/v1/portal-sessions"] {
            app.get(&token, path).await.expect_error(401, "UNAUTHORIZED", "");
        }
        app.post(&token, "/api/v1/portal-sessions", json!({"customer": p.customer}))
            .await
            .expect_error(401, "UNAUTHORIZED", "");
        open(&app, &app.a.key).await.expect_refused();
        app.browse(&format!("/redirect/{}", app.a.key), None).await.expect_refused();
        // The token itself still works where it belongs.
        app.enter(&token).await;
    }

    async fn sec05_strange_kids_are_refused_without_database_errors(app: Portal) {
        logs::capture();
        let (forger, header, claims) = forge_setup(&app).await;
        let unknown = SigningKeyId::new(app.clock.now(), [7; 10]).to_string();
        for kid in [unknown.as_str(), "' OR 1=1--", "../x", "../../etc/passwd", "", "key_%00", "\u{0}"] {
            open(&app, &forger.sign(&with(&header, "kid", json!(kid)), &claims))
                .await
                .expect_refused();
        }
        for header in [without(&header, "kid"), with(&header, "kid", json!(1)), with(&header, "kid", json!(null))] {
            open(&app, &forger.sign(&header, &claims)).await.expect_refused();
        }
        let logged = logs::text();
        for line in logged.lines() {
            let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            assert_ne!(v["level"], "ERROR", "an error was logged: {line}");
            let lower = line.to_lowercase();
            for needle in ["database", "sqlx::", "syntax error", "sqlite error", "unrecognized token"] {
                assert!(
                    !lower.contains(needle) || v["target"].as_str().is_some_and(|t| t.starts_with("sqlx::query")),
                    "a database problem was logged: {line}"
                );
            }
        }
    }

    async fn sec06_jku_and_x5u_headers_are_refused_without_fetching(app: Portal) {
        let (forger, header, claims) = forge_setup(&app).await;
        let trap = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = format!("http://{}", trap.local_addr().unwrap());
        for (name, value) in [
            ("jku", format!("{at}/jwks.json")),
            ("x5u", format!("{at}/cert.pem")),
            ("jku", "https://evil.example/jwks.json".to_owned()),
            ("x5u", "https://evil.example/cert.pem".to_owned()),
        ] {
            open(&app, &forger.sign(&with(&header, name, json!(value)), &claims))
                .await
                .expect_refused();
        }
        // Also with an attacker's key named by the header itself.
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&[9; 32])});
        open(&app, &forger.sign(&with(&header, "jwk", jwk), &claims)).await.expect_refused();
        // Every answer is in, so any fetch would already have connected.
        tokio::select! {
            biased;
            c = trap.accept() => panic!("the server made an outbound request: {c:?}"),
            () = std::future::ready(()) => {}
        }
    }

    async fn sec07_one_second_after_exp_is_refused_one_before_accepted(app: Portal) {
        let p = app.person(&app.a.key, "exp", "owner").await;
        let r = app
            .portal_session(&app.a.key, json!({"customer": p.customer, "expires_in_seconds": 3600}))
            .await;
        let token = r.json["token"].as_str().unwrap().to_owned();
        let exp = jwt_claims(&token)["exp"].as_i64().unwrap();
        app.clock.set(Timestamp::from_secs(exp - 1));
        app.enter(&token).await;
        app.clock.set(Timestamp::from_secs(exp + 1));
        open(&app, &token).await.expect_refused();
    }

    async fn sec08_rotation_keeps_old_tokens_until_the_old_key_is_revoked(app: Portal) {
        let p = app.person(&app.a.key, "rot", "owner").await;
        let (_, old) = app.issue(&app.a.key, &p.customer).await;
        let old_kid = jwt_header(&old)["kid"].as_str().unwrap().to_owned();
        let store = app.store.as_ref();
        let new_key = app.state.app.keys.rotate(store, &app.a.account, app.clock.now()).await.unwrap();
        let (_, new) = app.issue(&app.a.key, &p.customer).await;
        assert_eq!(jwt_header(&new)["kid"], new_key.id.to_string(), "new tokens use the new key");
        assert_ne!(old_kid, new_key.id.to_string());
        app.enter(&old).await;
        let kids = jwks_kids(&app).await;
        assert!(kids.contains(&old_kid) && kids.contains(&new_key.id.to_string()), "{kids:?}");

        let old_id: SigningKeyId = old_kid.parse().unwrap();
        app.state.app.keys.revoke(store, &app.a.account, &old_id, app.clock.now()).await.unwrap();
        open(&app, &old).await.expect_refused();
        let kids = jwks_kids(&app).await;
        assert!(!kids.contains(&old_kid), "a revoked key is still published: {kids:?}");
        assert!(kids.contains(&new_key.id.to_string()));
        app.enter(&new).await;

        // A retired key stays published as long as a token it signed may live (30 days), then not.
        let newest = app.state.app.keys.rotate(store, &app.a.account, app.clock.now()).await.unwrap();
        let kids = jwks_kids(&app).await;
        assert!(kids.contains(&new_key.id.to_string()) && kids.contains(&newest.id.to_string()), "{kids:?}");
        app.clock.advance_secs(2_592_000 - 1);
        assert!(jwks_kids(&app).await.contains(&new_key.id.to_string()), "dropped too early");
        // Past 30 days and the few seconds of clock skew verification allows.
        app.clock.advance_secs(1 + 6);
        let kids = jwks_kids(&app).await;
        assert!(!kids.contains(&new_key.id.to_string()), "{kids:?}");
        assert!(kids.contains(&newest.id.to_string()), "{kids:?}");
    }

    async fn sec09_expires_in_seconds_out_of_range_is_400(app: Portal) {
        let p = app.person(&app.a.key, "ttl", "owner").await;
        let path = format!("/api/v1/customers/{}/portal-token", p.alias);
        let raw = |body: &'static str| {
            app.request(Method::POST, &path, &app.a.key)
                .header("content-type", "application/json")
                .body(body)
        };
        for body in [
            r#"{"expires_in_seconds": 59}"#,
            r#"{"expires_in_seconds": 2592001}"#,
            r#"{"expires_in_seconds": -1}"#,
            r#"{"expires_in_seconds": "abc"}"#,
            r#"{"expires_in_seconds": 1e99}"#,
            r#"{"expires_in_seconds": 60.5}"#,
        ] {
            let r = app.send(raw(body)).await;
            r.expect_error(400, "BAD_REQUEST", "expires_in_seconds");
            let r = app
                .send(
                    app.request(Method::POST, "/api/v1/portal-sessions", &app.a.key)
                        .header("content-type", "application/json")
                        .body(body.replace('{', &format!("{{\"customer\": \"{}\", ", p.customer))),
                )
                .await;
            r.expect_error(400, "BAD_REQUEST", "expires_in_seconds");
        }
        for n in [60, 2592000] {
            let r = app.post(&app.a.key, &path, json!({"expires_in_seconds": n})).await;
            r.expect(200);
            let c = jwt_claims(r.json["token"].as_str().unwrap());
            assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), n);
        }
        let defaults = [
            app.send(raw("null")).await,
            app.send(raw("{}")).await,
            app.send(raw(r#"{"expires_in_seconds": null}"#)).await,
            app.send(app.request(Method::POST, &path, &app.a.key)).await,
        ];
        for r in &defaults {
            r.expect(200);
            let c = jwt_claims(r.json["token"].as_str().unwrap());
            assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 86400, "{}", r.text);
        }
    }

    async fn sec10_redirect_token_works_once(app: Portal) {
        let p = app.person(&app.a.key, "once", "owner").await;
        let url = link(&app, &p.contact).await;
        app.browse(&url, None).await.expect_entered();
        app.browse(&url, None).await.expect_refused();
    }

    async fn sec11_fifty_concurrent_exchanges_of_one_redirect_token_let_one_in(app: Portal) {
        let p = app.person(&app.a.key, "race", "owner").await;
        let url = app.local(&link(&app, &p.contact).await);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let client = app.client.clone();
            let url = url.clone();
            tasks.spawn(async move {
                let r = client.get(url).send().await.unwrap();
                (r.status().as_u16(), r.headers().contains_key("set-cookie"))
            });
        }
        let mut answers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            answers.push(r.unwrap());
        }
        let winners = answers.iter().filter(|(s, _)| *s == 303).count();
        assert_eq!(winners, 1, "{answers:?}");
        for (status, cookie) in &answers {
            assert!(*status == 303 || *status == 401, "{answers:?}");
            assert_eq!(*cookie, *status == 303, "{answers:?}");
        }
    }

    async fn sec12_redirect_token_after_30_seconds_is_refused(app: Portal) {
        let p = app.person(&app.a.key, "late", "owner").await;
        let early = link(&app, &p.contact).await;
        app.clock.advance_secs(29);
        app.browse(&early, None).await.expect_entered();
        let late = link(&app, &p.contact).await;
        app.clock.advance_secs(31);
        app.browse(&late, None).await.expect_refused();
    }

    async fn sec13_unknown_cookies_are_ignored_and_exchange_issues_a_fresh_session(app: Portal) {
        let p = app.person(&app.a.key, "fix", "owner").await;
        // The same link is opened again below: the account lets links re-enter.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"link_reentry": true})).await.expect(200);
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        let real = app.enter(&token).await;
        assert!(app.logged_in(&real).await);
        let forged = |value: &str| Cookie { name: real.name.clone(), value: value.to_owned(), raw: String::new() };
        let mut other = real.value.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        for value in [
            String::from_utf8(other).unwrap(),
            "A".repeat(real.value.len()),
            String::new(),
            "' OR 1=1--".to_owned(),
            format!("{}x", real.value),
        ] {
            assert!(!app.logged_in(&forged(&value)).await, "cookie {value:?} logged in");
        }
        // A browser that already has a cookie (its own, or one planted) gets a new one.
        let planted = forged(&"P".repeat(43));
        for presented in [&real, &planted] {
            let r = app.browse(&format!("/portal?token={token}"), Some(presented)).await;
            let fresh = r.expect_entered();
            assert_ne!(fresh.value, presented.value);
            assert_ne!(fresh.value, real.value);
            assert!(app.logged_in(&fresh).await);
        }
        assert!(!app.logged_in(&planted).await);
        let url = link(&app, &p.contact).await;
        let fresh = app.browse(&url, Some(&planted)).await.expect_entered();
        assert_ne!(fresh.value, planted.value);
    }

    async fn sec14_session_cookie_flags(on: On) {
        // Plain http on localhost: no Secure, so the cookie has its plain name.
        let app = TestApp::start_with(on.0, Options::default()).await;
        let p = app.person(&app.a.key, "flags", "owner").await;
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        let c = app.enter(&token).await;
        assert_eq!(c.name, "portico_session");
        assert_eq!(attributes(&c), ["Path=/", "HttpOnly", "SameSite=Lax"], "{}", c.raw);
        // Embedding allowed: SameSite=None; Partitioned, which browsers only keep when Secure.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"allowed_origins": ["https://app.vendor.example"]}))
            .await
            .expect(200);
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        let c = app.enter(&token).await;
        assert_eq!(c.name, "__Host-portico_session");
        assert_eq!(attributes(&c), ["Path=/", "HttpOnly", "Secure", "SameSite=None", "Partitioned"], "{}", c.raw);
        assert!(app.logged_in(&c).await);
        // Another account without allowed origins stays Lax.
        let q = app.person(&app.b.key, "other", "owner").await;
        let (_, token) = app.issue(&app.b.key, &q.customer).await;
        assert_eq!(attributes(&app.enter(&token).await), ["Path=/", "HttpOnly", "SameSite=Lax"]);
        drop(app);

        // An https deployment: Secure and the __Host- name.
        let app = TestApp::start_with(
            on.0,
            Options { public_url: Some("https://portal.example.test".into()), ..Options::default() },
        )
        .await;
        let p = app.person(&app.a.key, "tls", "owner").await;
        let r = app.portal_session(&app.a.key, json!({"customer": p.customer})).await;
        assert!(r.json["url"].as_str().unwrap().starts_with("https://portal.example.test/portal?token="));
        let c = app.browse(r.json["url"].as_str().unwrap(), None).await.expect_entered();
        assert_eq!(c.name, "__Host-portico_session");
        assert_eq!(attributes(&c), ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"], "{}", c.raw);
        assert!(!c.raw.to_lowercase().contains("domain"));
        assert!(app.logged_in(&c).await);
        // The same value under the plain name (as a sibling subdomain could plant it) is not
        // a session there.
        let planted = Cookie {
            name: "portico_session".into(),
            ..c.clone()
        };
        assert!(!app.logged_in(&planted).await, "the plain cookie name works on https");
    }

    async fn sec15_exchange_lands_on_a_clean_url_with_no_store_and_no_referrer(app: Portal) {
        let p = app.person(&app.a.key, "clean", "owner").await;
        let check = |r: &Resp, page: &str| {
            r.expect_entered();
            assert_eq!(r.header("location"), Some(page));
            assert_eq!(r.header("cache-control"), Some("no-store"));
            assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        };
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        check(&open(&app, &token).await, "/portal");
        let (_, token) = app.issue(&app.a.key, &p.customer).await;
        check(&app.browse(&format!("/portal/invoices?token={token}"), None).await, "/portal/invoices");
        let r = app.portal_session(&app.a.key, json!({"customer": p.customer, "page": "payment-method"})).await;
        check(&app.browse(r.json["url"].as_str().unwrap(), None).await, "/portal/payment-method");
        check(&app.browse(&link(&app, &p.contact).await, None).await, "/portal");
        // The pages behind the session are not cached either.
        let c = app.enter(&token_for(&app, &p.customer).await).await;
        let page = app.browse("/portal", Some(&c)).await;
        page.expect(200);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    }

    async fn sec16_idle_absolute_and_portal_session_expiry_end_the_session(on: On) {
        let policy = SessionPolicy { idle_timeout_secs: 600, absolute_timeout_secs: 3600 };
        let app = TestApp::start_with(
            on.0,
            Options { sessions: Some(policy), exchange_quota: Some(GENEROUS), ..Options::default() },
        )
        .await;
        let p = app.person(&app.a.key, "time", "owner").await;
        let long = json!({"customer": p.customer, "expires_in_seconds": 86400});

        // Idle: counted from the last request.
        let token = app.portal_session(&app.a.key, long.clone()).await.json["token"].as_str().unwrap().to_owned();
        let t0 = app.clock.now();
        let c = app.enter(&token).await;
        app.clock.set(t0.plus_secs(599));
        assert!(app.logged_in(&c).await, "idle 599 s");
        let t1 = app.clock.now();
        app.clock.set(t1.plus_secs(599));
        assert!(app.logged_in(&c).await, "idle 599 s after a request");
        let t2 = app.clock.now();
        app.clock.set(t2.plus_secs(601));
        assert!(!app.logged_in(&c).await, "idle 601 s");

        // Absolute: however busy the session.
        let token = app.portal_session(&app.a.key, long.clone()).await.json["token"].as_str().unwrap().to_owned();
        let t0 = app.clock.now();
        let c = app.enter(&token).await;
        for s in (500..3600).step_by(500).chain([3599]) {
            app.clock.set(t0.plus_secs(s));
            assert!(app.logged_in(&c).await, "{s} s into the session");
        }
        app.clock.set(t0.plus_secs(3601));
        assert!(!app.logged_in(&c).await, "past the absolute timeout");

        // The portal session's own expiry comes first.
        let r = app.portal_session(&app.a.key, json!({"customer": p.customer, "expires_in_seconds": 1200})).await;
        let token = r.json["token"].as_str().unwrap().to_owned();
        let exp = jwt_claims(&token)["exp"].as_i64().unwrap();
        let c = app.enter(&token).await;
        for at in [exp - 1000, exp - 500, exp - 1] {
            app.clock.set(Timestamp::from_secs(at));
            assert!(app.logged_in(&c).await, "{} s before the portal session expires", exp - at);
        }
        app.clock.set(Timestamp::from_secs(exp + 1));
        assert!(!app.logged_in(&c).await, "past the portal session's expiry");
    }

    async fn sec17_logout_then_replaying_the_cookie_is_not_logged_in(app: Portal) {
        let p = app.person(&app.a.key, "bye", "owner").await;
        let c = app.enter(&token_for(&app, &p.customer).await).await;
        let page = app.browse("/portal", Some(&c)).await;
        page.expect(200);
        let r = app.submit("/portal/logout", Some(&c), &[("csrf", &page.csrf())]).await;
        r.expect(200);
        let cleared = r.cookie().expect("logout clears the cookie");
        assert_eq!(cleared.name, c.name);
        assert_eq!(cleared.value, "");
        assert!(!app.logged_in(&c).await, "the old cookie still works");
        // Logging out again with the old cookie and form does nothing either.
        let again = app.submit("/portal/logout", Some(&c), &[("csrf", &page.csrf())]).await;
        again.expect(401);
    }

    async fn sec18_vendor_revocation_ends_open_browser_sessions(app: Portal) {
        let k = &app.a.key;
        // Revoking the portal session.
        let p = app.person(k, "rev", "owner").await;
        let (id, token) = app.issue(k, &p.customer).await;
        let c = app.enter(&token).await;
        assert!(app.logged_in(&c).await);
        app.delete(k, &format!("/api/v1/portal-sessions/{id}")).await.expect(200);
        assert!(!app.logged_in(&c).await, "revoked portal session");
        open(&app, &token).await.expect_refused();

        // Turning the contact's portal access off.
        let r = app.portal_session(k, json!({"customer": p.customer, "contact": p.contact})).await;
        let token = r.json["token"].as_str().unwrap().to_owned();
        let c = app.enter(&token).await;
        let other = app.enter(&token_for(&app, &p.customer).await).await;
        assert!(app.logged_in(&c).await);
        app.patch(k, &format!("/api/v1/contacts/{}", p.contact), json!({"portal_access": false}))
            .await
            .expect(200);
        assert!(!app.logged_in(&c).await, "contact without portal access");
        assert!(app.logged_in(&other).await, "the customer's own session is not the contact's");
        open(&app, &token).await.expect_refused();

        // Deleting the contact.
        let q = app.person(k, "gone", "owner").await;
        let r = app.portal_session(k, json!({"customer": q.customer, "contact": q.contact})).await;
        let c = app.enter(r.json["token"].as_str().unwrap()).await;
        let unused = link(&app, &q.contact).await;
        assert!(app.logged_in(&c).await);
        app.delete(k, &format!("/api/v1/contacts/{}", q.contact)).await.expect(200);
        assert!(!app.logged_in(&c).await, "deleted contact");
        app.browse(&unused, None).await.expect_refused();

        // Turning the customer's portal off.
        let c = app.enter(&token_for(&app, &q.customer).await).await;
        let unused = app.issue(k, &q.customer).await.1;
        assert!(app.logged_in(&c).await);
        app.patch(k, &format!("/api/v1/customers/{}", q.customer), json!({"portal_enabled": false}))
            .await
            .expect(200);
        assert!(!app.logged_in(&c).await, "customer portal disabled");
        open(&app, &unused).await.expect_refused();

        // A signed link whose portal session was revoked before it was used.
        let s = app.person(k, "late", "owner").await;
        let url = link(&app, &s.contact).await;
        let sessions = app.get(k, &format!("/api/v1/portal-sessions?customer={}", s.customer)).await.list_ids();
        assert_eq!(sessions.len(), 1);
        app.delete(k, &format!("/api/v1/portal-sessions/{}", sessions[0])).await.expect(200);
        app.browse(&url, None).await.expect_refused();

        // Deleting the customer.
        let c = app.enter(&token_for(&app, &p.customer).await).await;
        assert!(app.logged_in(&c).await);
        app.delete(k, &format!("/api/v1/customers/{}", p.customer)).await.expect(200);
        assert!(!app.logged_in(&c).await, "deleted customer");
        assert!(!app.logged_in(&other).await, "deleted customer");
    }

    async fn sec19_logout_needs_this_sessions_csrf_token_and_post(app: Portal) {
        let p = app.person(&app.a.key, "csrf", "owner").await;
        let mine = app.enter(&token_for(&app, &p.customer).await).await;
        let theirs = app.enter(&token_for(&app, &p.customer).await).await;
        let their_csrf = app.browse("/portal", Some(&theirs)).await.csrf();
        let my_csrf = app.browse("/portal", Some(&mine)).await.csrf();
        for form in [vec![], vec![("csrf", "")], vec![("csrf", their_csrf.as_str())], vec![("csrf", "x")]] {
            let r = app.submit("/portal/logout", Some(&mine), &form).await;
            r.expect(403);
            assert!(r.header("set-cookie").is_none());
            assert!(app.logged_in(&mine).await, "a refused logout ended the session");
        }
        let r = app.send(app.client.post(app.url("/portal/logout")).header("cookie", mine.header())
            .header("content-type", "application/json").body(format!("{{\"csrf\":\"{my_csrf}\"}}"))).await;
        assert!(r.status == 403 || r.status == 415 || r.status == 400, "{}", r.status);
        assert!(app.logged_in(&mine).await);
        let r = app.browse(&format!("/portal/logout?csrf={my_csrf}"), Some(&mine)).await;
        r.expect(405);
        assert!(app.logged_in(&mine).await, "GET /portal/logout ended the session");
        // With its own token it works.
        app.submit("/portal/logout", Some(&mine), &[("csrf", &my_csrf)]).await.expect(200);
        assert!(!app.logged_in(&mine).await);
        assert!(app.logged_in(&theirs).await);
    }

    async fn sec19_every_portal_form_needs_this_sessions_csrf_token_and_post(app: Portal) {
        let seeded = app.seed(&app.a.key, "forms").await;
        let token = app
            .portal_session(&app.a.key, json!({"customer": seeded.customer, "contact": seeded.contact}))
            .await
            .json["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let mine = app.enter(&token).await;
        let (_, other_token) = app.issue(&app.a.key, &seeded.customer).await;
        let theirs = app.enter(&other_token).await;
        let their_csrf = app.browse("/portal", Some(&theirs)).await.csrf();
        let mut forms = Vec::new();
        for page in PAGES {
            let r = app.browse(page, Some(&mine)).await;
            r.expect(200);
            forms.extend(post_forms(&r.text));
        }
        assert!(forms.iter().any(|f| f.action == "/portal/logout"), "{forms:?}");
        for form in &forms {
            assert!(form.action.starts_with("/portal"), "a form posts elsewhere: {form:?}");
            assert!(form.fields.iter().any(|(n, _)| n == "csrf"), "a POST form without a CSRF field: {form:?}");
            let without: Vec<(&str, &str)> = form
                .fields
                .iter()
                .filter(|(n, _)| n != "csrf")
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let mut foreign = without.clone();
            foreign.push(("csrf", their_csrf.as_str()));
            for fields in [without.clone(), foreign] {
                let r = app.submit(&form.action, Some(&mine), &fields).await;
                assert_eq!(r.status, 403, "{} without this session's CSRF token: {}", form.action, r.text);
                assert!(app.logged_in(&mine).await);
            }
            if !PAGES.contains(&form.action.split('?').next().unwrap_or_default()) {
                let query: Vec<String> = form.fields.iter().map(|(n, v)| format!("{n}={v}")).collect();
                let r = app.browse(&format!("{}?{}", form.action, query.join("&")), Some(&mine)).await;
                assert_eq!(r.status, 405, "GET {}: {}", form.action, r.text);
                assert!(app.logged_in(&mine).await);
            }
        }
    }

    async fn refused_links_and_ended_sessions_show_the_vendors_return_link(app: Portal) {
        let k = &app.a.key;
        let default_back = "https://app.vendor.example/account";
        let session_back = "https://app.vendor.example/billing?from=portal";
        app.patch(k, "/api/v1/portal-settings", json!({"default_return_url": default_back}))
            .await
            .expect(200);
        let p = app.person(k, "back", "owner").await;
        let r = app
            .portal_session(k, json!({"customer": p.customer, "expires_in_seconds": 60, "return_url": session_back}))
            .await;
        let (id, token) = (r.id(), r.json["token"].as_str().unwrap().to_owned());
        let c = app.enter(&token).await;
        // The session's own return link once its browser session is over.
        app.delete(k, &format!("/api/v1/portal-sessions/{id}")).await.expect(200);
        let r = app.browse("/portal", Some(&c)).await;
        r.expect(401);
        assert!(r.text.contains("https://app.vendor.example/billing?from=portal")
            || r.text.contains("https://app.vendor.example/billing?from&#61;portal"), "{}", r.text);
        // The revoked link itself says its session has ended and leads back by the session's link.
        let r = open(&app, &token).await;
        r.expect_refused();
        assert!(r.text.contains("This session has ended"), "{}", r.text);
        assert!(r.text.contains("billing?from"), "{}", r.text);
        // The account's return link on a link whose token has expired.
        app.clock.advance_secs(61);
        let r = open(&app, &token).await;
        r.expect_refused();
        assert!(r.text.contains("This link has expired"), "{}", r.text);
        assert!(r.text.contains(default_back), "{}", r.text);
        // A forged or mangled link is not "expired": it is not valid.
        let r = open(&app, &format!("{token}x")).await;
        r.expect_refused();
        assert!(r.text.contains("This link is not valid"), "{}", r.text);
    }

    async fn mangled_portal_links_get_the_friendly_page(app: Portal) {
        // Links mangled on the way (a duplicated or undecodable parameter) get the same page.
        for query in ["token=a&token=b", "token=%ff%fe", "token", "token=%00"] {
            app.browse(&format!("/portal?{query}"), None).await.expect_refused();
            app.browse(&format!("/portal/invoices?{query}"), None).await.expect_refused();
        }
    }

    async fn sec21_another_customers_records_are_404_in_the_same_account(app: Portal) {
        let mine = app.seed(&app.a.key, "mine").await;
        let theirs = app.seed(&app.a.key, "theirs").await;
        let (_, token) = app.issue(&app.a.key, &mine.customer).await;
        let c = app.enter(&token).await;
        app.browse(&format!("/portal/invoices/{}", mine.invoice), Some(&c)).await.expect(200);
        app.browse(&format!("/portal/invoices/{}/pdf", mine.invoice), Some(&c)).await.expect(200);
        app.browse(&format!("/portal/invoices/{}", theirs.invoice), Some(&c)).await.expect(404);
        app.browse(&format!("/portal/invoices/{}/pdf", theirs.invoice), Some(&c)).await.expect(404);
        let summary = app
            .send(app.client.get(app.url("/portal/api/v1/summary")).header("cookie", c.header()))
            .await;
        summary.expect(200);
        let mut shown = vec![summary.text];
        for page in PAGES {
            let r = app.browse(page, Some(&c)).await;
            r.expect(200);
            shown.push(r.text);
        }
        for text in &shown {
            assert!(text.contains(&mine.subscription) || text.contains("mine GmbH"), "{text}");
            for id in [&theirs.customer, &theirs.subscription, &theirs.invoice, &theirs.payment_method] {
                assert!(!text.contains(id.as_str()), "another customer's {id} shows: {text}");
            }
            assert!(!text.contains("theirs GmbH"), "{text}");
        }
    }

    async fn sec33_money_never_wraps(app: Portal) {
        let k = &app.a.key;
        let p = app.person(k, "rich", "owner").await;
        let invoice = |unit_amount: i64, quantity: i64, tax_rate_bps: i64| json!({
            "customer": p.customer, "tax_rate_bps": tax_rate_bps,
            "lines": [{"description": "Everything", "quantity": quantity, "unit_amount": unit_amount}],
        });
        // Inputs are bounded so that no total can overflow.
        app.post(k, "/api/v1/invoices", invoice(10_000_000_000, 1_000_000, 0)).await
            .expect_error(400, "BAD_REQUEST", "at most");
        app.post(k, "/api/v1/invoices", invoice(1_000_000_000, 1_000_000, 10_000)).await
            .expect_error(400, "BAD_REQUEST", "at most");
        // Twelve invoices at the largest total: the open balance is their exact sum.
        for _ in 0..12 {
            app.post(k, "/api/v1/invoices", invoice(1_000_000_000, 1_000_000, 0)).await.expect(201);
        }
        // The next invoice of the largest subscription, with 100 % tax, is exact too.
        let product = app.post(k, "/api/v1/products", json!({"name": "Big"})).await.expect(201).id();
        let plan = app.post(k, "/api/v1/plans", json!({
            "product": product, "name": "Big", "interval": "month", "unit_amount": 10_000_000_000_i64, "currency": "EUR",
        })).await.expect(201).id();
        let sub = app.post(k, "/api/v1/subscriptions", json!({"customer": p.customer, "plan": plan, "quantity": 1_000_000})).await.expect(201).id();
        let mut taxed = invoice(1, 1, 10_000);
        taxed["subscription"] = json!(sub);
        taxed["status"] = json!("paid");
        app.post(k, "/api/v1/invoices", taxed).await.expect(201);

        let c = app.enter(&token_for(&app, &p.customer).await).await;
        let page = app.browse("/portal", Some(&c)).await;
        page.expect(200);
        // 12 × 10^15 cents, and 2 × 10^16 cents.
        assert!(page.text.contains("120,000,000,000,000.00"), "open balance: {}", page.text);
        assert!(page.text.contains("200,000,000,000,000.00"), "next invoice: {}", page.text);

        // Rows stored before the bounds, whose sum does not fit (written behind the server's
        // back before the portal first reads them): an error page, never a wrapped amount.
        let old = app.person(k, "legacy", "owner").await;
        for _ in 0..3 {
            let mut body = invoice(1, 1, 0);
            body["customer"] = json!(old.customer);
            app.post(k, "/api/v1/invoices", body).await.expect(201);
        }
        raw_execute(&app, &format!(
            "UPDATE invoices SET amount_due = 4000000000000000000 WHERE customer_id = '{}'",
            old.customer
        )).await;
        let c = app.enter(&token_for(&app, &old.customer).await).await;
        let page = app.browse("/portal", Some(&c)).await;
        page.expect(500);
        assert!(!page.text.contains("-€") && !page.text.contains("\u{2212}€"), "{}", page.text);
    }

    async fn sec25_over_the_rate_limit_is_429_and_other_keys_are_unaffected(on: On) {
        let quota = Quota { per_second: 1, burst: 3 };
        let app = TestApp::start_with(
            on.0,
            Options { api_quota: Some(quota), exchange_quota: Some(quota), ..Options::default() },
        )
        .await;
        let (second, _) = new_key(app.store.as_ref(), &app.a.account, portico_core::scope::ApiScopes::all(), None, app.clock.now()).await;
        for _ in 0..3 {
            app.get(&app.a.key, "/api/v1/customers").await.expect(200);
        }
        let r = app.get(&app.a.key, "/api/v1/customers").await;
        r.expect_error(429, "TOO_MANY_REQUESTS", "");
        let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!((1..=2).contains(&retry), "Retry-After {retry}");
        app.get(&second, "/api/v1/customers").await.expect(200);
        app.get(&app.b.key, "/api/v1/customers").await.expect(200);
        app.clock.advance_secs(retry as i64);
        app.get(&app.a.key, "/api/v1/customers").await.expect(200);

        // Exchanges per client address, whatever the token.
        for _ in 0..3 {
            open(&app, "nonsense").await.expect_refused();
        }
        let r = open(&app, "nonsense").await;
        r.expect(429);
        assert!(r.header("retry-after").is_some());
        assert!(r.header("set-cookie").is_none());
        let r = app.browse("/redirect/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None).await;
        r.expect(429);
        // The API is another budget.
        app.get(&second, "/api/v1/customers").await.expect(200);
    }

    async fn sec25_failed_authentications_are_limited_per_client_address(on: On) {
        let quota = Quota { per_second: 1, burst: 3 };
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let app = TestApp::start_with(on.0, Options { failures: Some((quota, vec![proxy])), ..Options::default() }).await;
        let from = |addr: &str, key: &str| {
            app.request(Method::GET, "/api/v1/customers", key).header("x-forwarded-for", addr.to_owned())
        };
        let wrong = format!("{}x", app.a.key);
        // Three failures from one client address, then that address waits, even with a good key.
        for _ in 0..3 {
            app.send(from("203.0.113.7", &wrong)).await.expect_error(401, "UNAUTHORIZED", "");
        }
        let r = app.send(from("203.0.113.7", &wrong)).await;
        r.expect_error(429, "TOO_MANY_REQUESTS", "");
        assert!(r.header("retry-after").is_some());
        app.send(from("203.0.113.7", &app.a.key)).await.expect(429);
        // OAuth clients that do not parse or do not exist count the same.
        let oauth = app.client.post(app.url("/oauth/token")).header("x-forwarded-for", "203.0.113.7")
            .basic_auth("cli_nonsense", Some("secret")).form(&[("grant_type", "client_credentials")]);
        app.send(oauth).await.expect_error(429, "TOO_MANY_REQUESTS", "");
        // Another address behind the same trusted proxy is not affected.
        app.send(from("203.0.113.8", &app.a.key)).await.expect(200);
        for _ in 0..3 {
            let oauth = app.client.post(app.url("/oauth/token")).header("x-forwarded-for", "203.0.113.9")
                .basic_auth("cli_nonsense", Some("secret")).form(&[("grant_type", "client_credentials")]);
            app.send(oauth).await.expect(401);
        }
        app.send(from("203.0.113.9", &app.a.key)).await.expect(429);
        // Once the allowance is back, the address is served again.
        app.clock.advance_secs(3);
        app.send(from("203.0.113.7", &app.a.key)).await.expect(200);
    }

    async fn sec25_link_exchanges_are_limited_per_client_behind_a_trusted_proxy(on: On) {
        let quota = Quota { per_second: 1, burst: 3 };
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let app = TestApp::start_with(
            on.0,
            Options { exchange_quota: Some(quota), failures: Some((GENEROUS, vec![proxy])), ..Options::default() },
        )
        .await;
        let open = |client: &str| {
            app.client.get(app.url("/redirect/not-a-real-link")).header("x-forwarded-for", client.to_owned())
        };
        for _ in 0..3 {
            app.send(open("203.0.113.7")).await.expect(401);
        }
        let r = app.send(open("203.0.113.7")).await;
        r.expect(429);
        assert!(r.header("retry-after").is_some());
        // Another customer behind the same proxy is not held up by the first one's attempts.
        app.send(open("203.0.113.8")).await.expect(401);
    }

    async fn sec27_csp_frame_ancestors_follow_the_allowed_origins(app: Portal) {
        let p = app.person(&app.a.key, "frame", "owner").await;
        let c = app.enter(&token_for(&app, &p.customer).await).await;
        assert_eq!(frame_ancestors(&app.browse("/portal", Some(&c)).await), "'none'");
        let origins = ["https://app.vendor.example", "https://admin.vendor.example:8443"];
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"allowed_origins": origins}))
            .await
            .expect(200);
        let c = app.enter(&token_for(&app, &p.customer).await).await;
        let expected = origins.join(" ");
        for path in ["/portal", "/portal/invoices", "/portal/account"] {
            let r = app.browse(path, Some(&c)).await;
            r.expect(200);
            assert_eq!(frame_ancestors(&r), expected, "{path}");
        }
        // The friendly page of a refused link of this account may be framed by it too.
        let (id, token) = app.issue(&app.a.key, &p.customer).await;
        app.delete(&app.a.key, &format!("/api/v1/portal-sessions/{id}")).await.expect(200);
        let r = open(&app, &token).await;
        r.expect_refused();
        assert_eq!(frame_ancestors(&r), expected);
        // Another account's pages are not framable.
        let q = app.person(&app.b.key, "noframe", "owner").await;
        let c = app.enter(&token_for_key(&app, &app.b.key, &q.customer).await).await;
        assert_eq!(frame_ancestors(&app.browse("/portal", Some(&c)).await), "'none'");
        // API answers never.
        for r in [
            app.get(&app.a.key, "/api/v1/customers").await,
            app.get(&app.a.key, "/api/v1/portal-settings").await,
            app.get("nope", "/api/v1/customers").await,
        ] {
            assert_eq!(frame_ancestors(&r), "'none'", "{}", r.path);
        }
    }

    async fn sec26_logs_hold_no_secret_and_carry_request_ids(app: Portal) {
        logs::capture();
        let k = &app.a.key;
        let p = app.person(k, "logs", "owner").await;
        let mut secrets: Vec<String> = vec![app.a.key.clone(), app.b.key.clone()];
        // Native, REST, GraphQL and signed-link issuance.
        let r = app.portal_session(k, json!({"customer": p.customer, "contact": p.contact, "page": "invoices"})).await;
        let native = r.json["token"].as_str().unwrap().to_owned();
        let r = app.post(k, &format!("/api/v1/customers/{}/portal-token", p.alias), json!({})).await;
        r.expect(200);
        let rest = r.json["token"].as_str().unwrap().to_owned();
        let r = app
            .post(
                k,
                "/graphql",
                json!({
                    "query": "mutation($t: String!) { portalSessionCreate(tenantCode: $t, expiry: 2) { errors token } }",
                    "variables": {"t": p.alias},
                }),
            )
            .await;
        r.expect(200);
        let graphql = r.json["data"]["portalSessionCreate"]["token"].as_str().expect(&r.text).to_owned();
        app.get(k, &format!("/api/v1/shareabletokens/access/{}", p.external_id)).await.expect(200);
        let url = link(&app, &p.external_id).await;
        let redirect_token = url.rsplit('/').next().unwrap().to_owned();
        // Exchanges, pages, logout.
        let c1 = app.browse(&format!("/portal/invoices?token={native}"), None).await.expect_entered();
        let c2 = app.enter(&rest).await;
        let c4 = app.enter(&graphql).await;
        let c3 = app.browse(&url, None).await.expect_entered();
        let page = app.browse("/portal", Some(&c1)).await;
        let csrf = page.csrf();
        app.browse("/portal/invoices", Some(&c2)).await.expect(200);
        app.submit("/portal/logout", Some(&c1), &[("csrf", &csrf)]).await.expect(200);
        // Failures.
        app.browse(&url, None).await.expect_refused();
        app.browse("/portal", Some(&c1)).await.expect(401);
        app.submit("/portal/logout", Some(&c3), &[("csrf", &csrf)]).await.expect(403);
        open(&app, &format!("{native}x")).await.expect_refused();
        let (wrong, _) = app.a.key.split_at(app.a.key.len() - 4);
        let wrong = format!("{wrong}zzzz");
        app.get(&wrong, "/api/v1/customers").await.expect(401);
        app.get(&native, "/api/v1/customers").await.expect(401);
        secrets.extend([native.clone(), rest.clone(), graphql.clone(), redirect_token, csrf, wrong]);
        secrets.extend([c1.value, c2.value, c3.value, c4.value]);
        // An OAuth client: its secret by Basic and by form, its access token on the API.
        let r = app
            .post(k, "/api/v1/oauth-clients", json!({"name": "logs", "scopes": ["security:write"]}))
            .await;
        r.expect(201);
        let (client_id, client_secret) = (r.id(), r.json["client_secret"].as_str().unwrap().to_owned());
        let r = app
            .send(
                app.client
                    .post(app.url("/oauth/token"))
                    .basic_auth(&client_id, Some(&client_secret))
                    .form(&[("grant_type", "client_credentials")]),
            )
            .await;
        r.expect(200);
        let access = r.json["access_token"].as_str().unwrap().to_owned();
        app.send(app.client.post(app.url("/oauth/token")).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", &format!("{client_secret}x")),
        ]))
        .await
        .expect(401);
        app.portal_session(&access, json!({"customer": p.customer})).await;
        app.get(&format!("{access}x"), "/api/v1/customers").await.expect(401);
        secrets.extend([client_secret, access]);
        // The secret part of every key, and the token signatures alone, must not show either.
        for s in [&app.a.key, &app.b.key] {
            secrets.push(s.rsplit('_').next().unwrap().to_owned());
        }
        for t in [&native, &rest, &graphql] {
            secrets.push(t.rsplit('.').next().unwrap().to_owned());
        }

        let logged = logs::text();
        assert!(logged.lines().count() > 10, "hardly anything was logged: {logged}");
        for s in &secrets {
            assert!(s.len() >= 20, "{s:?} is too short to look for");
            let line = logged.lines().find(|l| l.contains(s.as_str()));
            assert!(line.is_none(), "a secret reached the log: {s} in {}", line.unwrap_or_default());
        }
        let finished: Vec<Value> = logged
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["fields"]["message"] == "request finished")
            .collect();
        assert!(finished.len() >= 15, "{} request lines", finished.len());
        for v in &finished {
            let id = v["span"]["request_id"].as_str().unwrap_or_default();
            assert!(id.len() >= 16, "a request line without a request id: {v}");
        }
        for v in logged.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()) {
            let message = v["fields"]["message"].as_str().unwrap_or_default();
            if ["issued a portal session", "started a browser session", "logged out"].contains(&message) {
                // The request's span encloses every span of the use cases it calls.
                let spans = v["spans"].as_array().cloned().unwrap_or_default();
                assert!(spans.iter().any(|s| s["request_id"].is_string()), "{v}");
            }
        }
    }
}

async fn token_for(app: &TestApp, customer: &str) -> String {
    token_for_key(app, &app.a.key, customer).await
}

async fn token_for_key(app: &TestApp, key: &str, customer: &str) -> String {
    app.issue(key, customer).await.1
}
