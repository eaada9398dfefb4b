//! Links and sessions end when people expect (SECURITY.md line 32): logging out, revocation
//! and switching access off end a portal session for good; a portal link opens one browser
//! session unless the account allows re-entry; a one-time link opened on the wrong host is not
//! spent; and every refusal page says the true reason and offers the way back.

use serde_json::json;

use crate::support::{Cookie, On, Person, Portal, Resp, TestApp, on_subdomains};

const BACK: &str = "https://app.vendor.example/billing";

/// A portal session for the person's contact with a return link: its id and token.
async fn session(app: &TestApp, p: &Person) -> (String, String) {
    let r = app
        .portal_session(
            &app.a.key,
            json!({"customer": p.customer, "contact": p.contact, "return_url": BACK}),
        )
        .await;
    (r.id(), r.json["token"].as_str().unwrap().to_owned())
}

async fn open(app: &TestApp, token: &str) -> Resp {
    app.browse(&format!("/portal?token={token}"), None).await
}

/// Asserts a refusal page with `title` that leads back to the vendor.
#[track_caller]
fn says(r: &Resp, title: &str) {
    r.expect(401);
    assert!(
        r.text.contains(&format!("<h1>{title}</h1>")),
        "not {title:?}: {}",
        r.text
    );
    assert!(
        r.text.contains(&format!("href=\"{BACK}\"")),
        "no way back: {}",
        r.text
    );
    assert!(r.header("set-cookie").is_none());
}

async fn logout(app: &TestApp, cookie: &Cookie) {
    let csrf = app.browse("/portal", Some(cookie)).await.csrf();
    app.submit("/portal/logout", Some(cookie), &[("csrf", &csrf)])
        .await
        .expect(200);
}

portico_testkit::backend_tests! {
    async fn sec32_logout_ends_the_portal_session_and_its_link(app: Portal) {
        let p = app.person(&app.a.key, "out", "owner").await;
        let (id, token) = session(&app, &p).await;
        let cookie = app.enter(&token).await;
        logout(&app, &cookie).await;
        says(&app.browse("/portal", Some(&cookie)).await, "You have been logged out");
        says(&open(&app, &token).await, "This session has ended");
        let stored = app.get(&app.a.key, &format!("/api/v1/portal-sessions/{id}")).await;
        assert!(stored.json["revoked_at"].is_string(), "{}", stored.text);
    }

    async fn sec32_a_link_opens_one_browser_session_unless_the_account_allows_reentry(app: Portal) {
        let p = app.person(&app.a.key, "once", "owner").await;
        let (_, token) = session(&app, &p).await;
        let first = app.enter(&token).await;
        says(&open(&app, &token).await, "This link has already been used");
        assert!(app.logged_in(&first).await, "the first browser keeps its session");

        // Opened in many browsers at once: exactly one gets in.
        let (_, token) = session(&app, &p).await;
        let url = app.url(&format!("/portal?token={token}"));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let (client, url) = (app.client.clone(), url.clone());
            tasks.spawn(async move {
                let r = client.get(url).send().await.unwrap();
                (r.status().as_u16(), r.text().await.unwrap().contains("already been used"))
            });
        }
        let mut answers = Vec::new();
        while let Some(r) = tasks.join_next().await {
            answers.push(r.unwrap());
        }
        let entered = answers.iter().filter(|(s, _)| *s == 303).count();
        let used = answers.iter().filter(|(s, used)| *s == 401 && *used).count();
        assert_eq!((entered, used), (1, 11), "{answers:?}");

        // An account that e-mails links lets them open the portal again until they expire.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"link_reentry": true})).await.expect(200);
        let (_, token) = session(&app, &p).await;
        let one = app.enter(&token).await;
        let two = app.enter(&token).await;
        assert_ne!(one.value, two.value);
    }

    async fn sec32_switching_access_off_ends_sessions_for_good(app: Portal) {
        let k = &app.a.key;
        let p = app.person(k, "acc", "owner").await;
        let (_, token) = session(&app, &p).await;
        let cookie = app.enter(&token).await;
        let (_, unopened) = session(&app, &p).await;
        let contact = format!("/api/v1/contacts/{}", p.contact);
        app.patch(k, &contact, json!({"portal_access": false})).await.expect(200);
        says(&app.browse("/portal", Some(&cookie)).await, "This session has ended");
        app.patch(k, &contact, json!({"portal_access": true})).await.expect(200);
        says(&app.browse("/portal", Some(&cookie)).await, "This session has ended");
        says(&open(&app, &unopened).await, "This session has ended");
        let (_, fresh) = session(&app, &p).await;
        assert!(app.logged_in(&app.enter(&fresh).await).await);

        // The same for the customer's switch.
        let (_, token) = session(&app, &p).await;
        let cookie = app.enter(&token).await;
        let customer = format!("/api/v1/customers/{}", p.customer);
        app.patch(k, &customer, json!({"portal_enabled": false})).await.expect(200);
        app.patch(k, &customer, json!({"portal_enabled": true})).await.expect(200);
        says(&app.browse("/portal", Some(&cookie)).await, "This session has ended");
        let (_, fresh) = session(&app, &p).await;
        assert!(app.logged_in(&app.enter(&fresh).await).await);
    }

    async fn every_refusal_says_its_true_reason(app: Portal) {
        let k = &app.a.key;
        let p = app.person(k, "why", "owner").await;
        // A one-time link used twice.
        let link = app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.json["url"]
            .as_str()
            .unwrap()
            .to_owned();
        app.browse(&link, None).await.expect_entered();
        let again = app.browse(&link, None).await;
        again.expect_refused();
        assert!(again.text.contains("<h1>This link has already been used</h1>"), "{}", again.text);
        // ... and one that has expired.
        let late = app.get(k, &format!("/api/v1/shareabletokens/{}", p.contact)).await.json["url"]
            .as_str()
            .unwrap()
            .to_owned();
        app.clock.advance_secs(31);
        let r = app.browse(&late, None).await;
        r.expect_refused();
        assert!(r.text.contains("<h1>This link has expired</h1>"), "{}", r.text);

        // Idle too long.
        let (_, token) = session(&app, &p).await;
        let cookie = app.enter(&token).await;
        app.clock.advance_secs(31 * 60);
        says(&app.browse("/portal", Some(&cookie)).await, "Your session has expired");
        // Revoked by the vendor.
        let (id, token) = session(&app, &p).await;
        let cookie = app.enter(&token).await;
        app.delete(k, &format!("/api/v1/portal-sessions/{id}")).await.expect(200);
        says(&app.browse("/portal", Some(&cookie)).await, "This session has ended");
        // No cookie at all.
        let r = app.browse("/portal/invoices", None).await;
        r.expect_refused();
        assert!(r.text.contains("<h1>You are not signed in</h1>"), "{}", r.text);
    }

    async fn a_refused_wrong_host_exchange_does_not_spend_the_link(on: On) {
        let (app, alpha, bravo) = on_subdomains(on.0).await;
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"default_return_url": BACK, "branding": {"display_name": "Alpha Billing"}}))
            .await
            .expect(200);
        let p = app.person(&app.a.key, "host", "owner").await;
        let link = app.get(&app.a.key, &format!("/api/v1/shareabletokens/{}", p.contact)).await.json["url"]
            .as_str()
            .unwrap()
            .to_owned();
        app.browse_host(&link.replacen(&alpha, &bravo, 1), None).await.expect_refused();
        app.browse_host(&link, None).await.expect_entered();

        // On an account's own host, the page without a cookie is that account's, with its way back.
        let r = app.browse_host(&format!("{alpha}/portal"), None).await;
        r.expect_refused();
        assert!(r.text.contains("<h1>You are not signed in</h1>"), "{}", r.text);
        assert!(r.text.contains("Alpha Billing"), "unbranded: {}", r.text);
        assert!(r.text.contains(&format!("href=\"{BACK}\"")), "no way back: {}", r.text);
    }
}
