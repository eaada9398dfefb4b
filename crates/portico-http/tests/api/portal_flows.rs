//! Single-task links: a portal session created with a `flow` is checked strictly, opens on its
//! task, can open and change nothing else, and ends as the vendor asked.

use serde_json::{Value, json};

use crate::portal_payments::location;
use crate::portal_security::PAGES;
use crate::subscription_changes::subscription;
use crate::support::{Cookie, Portal, Resp, Seeded, TestApp};

/// Opens the link of a new flow session; returns the cookie and where the link led.
async fn open_flow(app: &TestApp, body: Value) -> (Cookie, String) {
    let r = app.portal_session(&app.a.key, body).await;
    let url = r.json["url"].as_str().unwrap().to_owned();
    let entered = app.browse(&url, None).await;
    let cookie = entered.expect_entered();
    let landing = entered.header("location").unwrap().to_owned();
    (cookie, landing)
}

/// The CSRF token of the page at `path`, which must answer 200.
pub async fn csrf_of(app: &TestApp, cookie: &Cookie, path: &str) -> String {
    let page = app.browse(path, Some(cookie)).await;
    page.expect(200);
    page.csrf()
}

/// Every portal page other than the task is refused with the page that leads back to it.
async fn other_pages_are_refused(app: &TestApp, cookie: &Cookie, task: &str) {
    for path in PAGES.iter().filter(|p| **p != task) {
        let r = app.browse(path, Some(cookie)).await;
        r.expect(403);
        assert!(
            r.text.contains("This link is for one task"),
            "{path}: {}",
            r.text
        );
        assert!(
            r.text
                .contains(&format!("href=\"{}\"", task.replace('&', "&amp;"))),
            "{path} leads back to {task}: {}",
            r.text
        );
    }
}

/// The quote a preview page's form confirms.
fn quote_of(page: &str) -> String {
    let marker = "name=\"quote\" value=\"";
    let at = page.find(marker).unwrap() + marker.len();
    let end = page[at..].find('"').unwrap();
    page[at..at + end].replace("&quot;", "\"")
}

/// Confirms the change previewed at `landing`: the preview's form, posted.
async fn confirm(app: &TestApp, cookie: &Cookie, landing: &str, sub: &str, plan: &str) -> Resp {
    let preview = app.browse(landing, Some(cookie)).await;
    preview.expect(200);
    let (quote, csrf) = (quote_of(&preview.text), preview.csrf());
    let form = [
        ("csrf", csrf.as_str()),
        ("plan", plan),
        ("quantity", "1"),
        ("quote", &quote),
    ];
    app.submit(
        &format!("/portal/subscriptions/{sub}/change"),
        Some(cookie),
        &form,
    )
    .await
}

/// A customer on the test provider whose default card is `number`, and a dearer plan for an
/// upgrade charged to it now.
async fn charged_upgrade(app: &TestApp, tag: &str, number: &str) -> (Seeded, String) {
    let k = &app.a.key;
    let seed = app.seed(k, tag).await;
    crate::subscription_changes::charging_with(app, &seed, number).await;
    let team = app.post(k, "/api/v1/plans", json!({
        "product": seed.product, "name": "Team monthly", "interval": "month", "unit_amount": 9900, "currency": "EUR",
    })).await.expect(201).id();
    (seed, team)
}

fn cancel_flow(seed: &Seeded, after: Value) -> Value {
    json!({"customer": seed.customer, "flow": {
        "type": "subscription_cancel", "subscription": seed.subscription, "after_completion": after,
    }})
}

portico_testkit::backend_tests! {
    async fn flows_are_checked_strictly(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "fv").await;
        let other = app.seed(k, "fw").await;
        let post = |body: Value| app.post(k, "/api/v1/portal-sessions", body);
        let c = &seed.customer;
        post(json!({"customer": c, "flow": {"type": "invoice_pay"}}))
            .await.expect_error(400, "BAD_REQUEST", "invoice_pay");
        post(json!({"customer": c, "flow": {"type": "subscription_cancel"}}))
            .await.expect_error(400, "BAD_REQUEST", "flow.subscription");
        post(json!({"customer": c, "flow": {"type": "subscription_cancel", "subscription": other.subscription}}))
            .await.expect_error(400, "BAD_REQUEST", "flow.subscription");
        post(json!({"customer": c, "flow": {"type": "subscription_cancel", "subscription": "sub_nope"}}))
            .await.expect(400);
        post(json!({"customer": c, "flow": {"type": "payment_method_update", "subscription": seed.subscription}}))
            .await.expect_error(400, "BAD_REQUEST", "flow.subscription");
        post(json!({"customer": c, "flow": {"type": "subscription_update", "subscription": seed.subscription, "quantity": 0}}))
            .await.expect_error(400, "BAD_REQUEST", "flow.quantity");
        post(json!({"customer": c, "flow": {"type": "subscription_update", "subscription": seed.subscription,
                "plan": "plan_01hzz0000000000000000000aa"}}))
            .await.expect_error(400, "BAD_REQUEST", "flow.plan");
        post(json!({"customer": c, "flow": {"type": "billing_details_update", "surprise": 1}}))
            .await.expect_error(400, "BAD_REQUEST", "surprise");
        // A redirect needs somewhere to go.
        post(json!({"customer": c, "flow": {"type": "billing_details_update", "after_completion": {"type": "redirect"}}}))
            .await.expect_error(400, "BAD_REQUEST", "return_url");
        // The session must be able to do the task: a viewer cannot cancel, a read-only session
        // cannot edit its details.
        app.patch(k, &format!("/api/v1/contacts/{}", seed.contact), json!({"role": "viewer"})).await.expect(200);
        post(json!({"customer": c, "contact": seed.contact,
                "flow": {"type": "subscription_cancel", "subscription": seed.subscription}}))
            .await.expect_error(400, "BAD_REQUEST", "subscriptions:write");
        post(json!({"customer": c, "scopes": ["account:read"], "flow": {"type": "billing_details_update"}}))
            .await.expect_error(400, "BAD_REQUEST", "account:write");

        // A good one is stored with the session and shown back.
        let r = app.portal_session(k, cancel_flow(&seed, json!({"type": "confirmation", "message": "See you"}))).await;
        let flow = json!({"type": "subscription_cancel", "subscription": seed.subscription,
            "after_completion": {"type": "confirmation", "message": "See you"}});
        assert_eq!(r.json["flow"], flow);
        let got = app.get(k, &format!("/api/v1/portal-sessions/{}", r.id())).await;
        assert_eq!(got.expect(200).json["flow"], flow);
        // Sessions without a flow say nothing of one, as before.
        let plain = app.portal_session(k, json!({"customer": c})).await;
        assert!(plain.json.get("flow").is_none(), "{}", plain.json);
    }

    async fn a_cancel_link_does_only_that_and_ends_on_its_confirmation(app: Portal) {
        let seed = app.seed(&app.a.key, "fc").await;
        let sub = &seed.subscription;
        let task = format!("/portal/subscriptions/{sub}/cancel");
        let (cookie, landing) =
            open_flow(&app, cancel_flow(&seed, json!({"type": "confirmation", "message": "Sorry to see you go <3"}))).await;
        assert_eq!(landing, task);
        let csrf = csrf_of(&app, &cookie, &task).await;
        other_pages_are_refused(&app, &cookie, &task).await;

        // Other actions are refused and change nothing: billing details, another action on the
        // same subscription.
        let before = subscription(&app, sub).await;
        app.submit("/portal/account", Some(&cookie), &[("csrf", &csrf), ("name", "Taken over")])
            .await
            .expect(403);
        app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &[("csrf", &csrf)])
            .await
            .expect(403);
        assert_eq!(subscription(&app, sub).await, before);
        let customer = app.get(&app.a.key, &format!("/api/v1/customers/{}", seed.customer)).await;
        assert_ne!(customer.json["name"], "Taken over");

        let r = app.submit(&task, Some(&cookie), &[("csrf", &csrf), ("mode", "at_period_end"), ("reason", "")]).await;
        r.expect(303);
        assert_eq!(r.header("location"), Some("/portal/done?done=cancel-scheduled"));
        assert_eq!(subscription(&app, sub).await["cancel_at_period_end"], true);
        let done = app.browse("/portal/done?done=cancel-scheduled", Some(&cookie)).await;
        done.expect(200);
        assert!(done.text.contains("Sorry to see you go &lt;3"), "{}", done.text);
        assert!(done.text.contains("data-portico-action=\"portico:subscription.updated\""), "{}", done.text);

        // Without a flow, there is no confirmation page.
        let plain = app.portal_session(&app.a.key, json!({"customer": seed.customer})).await;
        let plain = app.enter(plain.json["token"].as_str().unwrap()).await;
        app.browse("/portal/done", Some(&plain)).await.expect(404);
    }

    async fn an_update_link_lands_on_the_preview_and_redirects_when_done(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "fu").await;
        let sub = &seed.subscription;
        let plan = subscription(&app, sub).await["plan"].as_str().unwrap().to_owned();
        let (cookie, landing) = open_flow(&app, json!({
            "customer": seed.customer, "return_url": "https://vendor.example/billing",
            "flow": {"type": "subscription_update", "subscription": sub, "quantity": 1,
                     "after_completion": {"type": "redirect"}},
        })).await;
        assert_eq!(landing, format!("/portal/subscriptions/{sub}/preview?plan={plan}&quantity=1"));
        let preview = app.browse(&landing, Some(&cookie)).await;
        preview.expect(200);
        let quote = quote_of(&preview.text);
        let csrf = preview.csrf();
        app.browse(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie)).await.expect(200);
        other_pages_are_refused(&app, &cookie, &landing).await;
        app.submit(&format!("/portal/subscriptions/{sub}/cancel"), Some(&cookie),
            &[("csrf", &csrf), ("mode", "at_period_end")]).await.expect(403);
        assert_eq!(subscription(&app, sub).await["cancel_at_period_end"], false);

        let r = app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &[
            ("csrf", &csrf), ("plan", &plan), ("quantity", "1"), ("quote", &quote),
        ]).await;
        // Through the confirmation page, which sends the browser on: a form's answer may not
        // lead to another origin.
        assert_eq!(r.expect(303).header("location"), Some("/portal/done?done=change-scheduled"));
        let done = app.browse("/portal/done?done=change-scheduled", Some(&cookie)).await;
        assert_eq!(done.expect(200).header("refresh"), Some("0; url=https://vendor.example/billing"));
        assert!(done.text.contains("href=\"https://vendor.example/billing\""), "{}", done.text);
        let s = subscription(&app, sub).await;
        assert_eq!(s["scheduled_change"]["quantity"], 1, "a downgrade waits for the period's end: {s}");
    }

    async fn a_flow_session_does_its_task_once(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "fo").await;
        let (cookie, _) = open_flow(&app, json!({
            "customer": seed.customer, "flow": {"type": "billing_details_update"},
        })).await;
        let csrf = csrf_of(&app, &cookie, "/portal/account").await;
        let form = |name: &'static str| [
            ("csrf", csrf.clone()), ("name", name.to_owned()), ("email", "ap@once.example".to_owned()),
            ("line1", "Weg 1".to_owned()), ("line2", String::new()), ("postal_code", "10115".to_owned()),
            ("city", "Berlin".to_owned()), ("state", String::new()), ("country", "de".to_owned()), ("tax_id", String::new()),
        ];
        let submit = |name: &'static str| {
            let req = app.client.post(app.local("/portal/account")).form(&form(name)).header("cookie", cookie.header());
            app.send(req)
        };
        assert_eq!(submit("Once GmbH").await.expect(303).header("location"), Some("/portal/done?done=saved"));
        let name = || async { app.get(k, &format!("/api/v1/customers/{}", seed.customer)).await.json["name"].clone() };
        assert_eq!(name().await, "Once GmbH");

        // Done is done: a second attempt through the session is refused and changes nothing,
        // and the task's page is only the confirmation now.
        let events = app.get(k, "/api/v1/events?limit=100").await.json["data"].as_array().unwrap().len();
        let again = submit("Twice GmbH").await;
        again.expect(409);
        assert!(again.text.contains("All done"), "{}", again.text);
        assert_eq!(name().await, "Once GmbH");
        assert_eq!(app.get(k, "/api/v1/events?limit=100").await.json["data"].as_array().unwrap().len(), events);
        let page = app.browse("/portal/account", Some(&cookie)).await;
        page.expect(200);
        assert!(page.text.contains("All done") && !page.text.contains("name=\"line1\""), "{}", page.text);
        let done = app.browse("/portal/done?done=saved", Some(&cookie)).await;
        assert!(done.expect(200).text.contains("Your change has been saved."), "{}", done.text);
    }

    async fn a_declined_change_returns_to_its_task_and_cancel_links_lead_back_to_the_vendor(app: Portal) {
        let (seed, team) = charged_upgrade(&app, "fx", "4000 0000 0000 0002").await;
        let sub = &seed.subscription;
        let vendor = "https://vendor.example/billing";
        let (cookie, landing) = open_flow(&app, json!({
            "customer": seed.customer, "return_url": vendor,
            "flow": {"type": "subscription_update", "subscription": sub, "plan": team, "quantity": 1},
        })).await;
        let preview = app.browse(&landing, Some(&cookie)).await;
        preview.expect(200);
        // Cancel leaves the task for the vendor's page, not a page the session may not open.
        assert!(preview.text.contains(&format!("class=\"button secondary\" href=\"{vendor}\"")), "{}", preview.text);
        let r = confirm(&app, &cookie, &landing, sub, &team).await;
        let back = format!("/portal/subscriptions/{sub}/change?done=declined-card_declined");
        assert_eq!(r.expect(303).header("location"), Some(back.as_str()));
        let task = app.browse(&back, Some(&cookie)).await;
        task.expect(200);
        assert!(task.text.contains("Your card was declined."), "{}", task.text);
        assert!(task.text.contains(&format!("href=\"{vendor}\"")), "{}", task.text);
        assert_eq!(subscription(&app, sub).await["plan"], seed.plan.as_str(), "a decline changes nothing");

        // Without a return URL, a cancel flow's "keep" link leads to the task's start.
        let (cookie, landing) = open_flow(&app, cancel_flow(&seed, json!({"type": "confirmation"}))).await;
        let page = app.browse(&landing, Some(&cookie)).await;
        let keep = format!("href=\"/portal/subscriptions/{sub}/cancel\"");
        assert!(page.expect(200).text.contains(&keep), "{}", page.text);
    }

    async fn a_change_whose_charge_needs_the_banks_challenge_ends_the_task_or_returns_to_it(app: Portal) {
        let (seed, team) = charged_upgrade(&app, "fy", "4000 0000 0000 3220").await;
        let sub = &seed.subscription;
        let vendor = "https://vendor.example/billing";
        let (cookie, landing) = open_flow(&app, json!({
            "customer": seed.customer, "return_url": vendor,
            "flow": {"type": "subscription_update", "subscription": sub, "plan": team, "quantity": 1,
                     "after_completion": {"type": "redirect"}},
        })).await;

        // The challenge failed: back on the task, which says so; nothing changed.
        let to_bank = location(&confirm(&app, &cookie, &landing, sub, &team).await);
        assert!(to_bank.contains("/test-provider/challenge/"), "{to_bank}");
        let back = location(&app.submit(&to_bank, None, &[("answer", "decline")]).await);
        assert!(back.contains("/portal/invoices/"), "the provider returns to the payment: {back}");
        let task = format!("/portal/subscriptions/{sub}/change?done=declined-authentication_failed");
        assert_eq!(location(&app.browse(&back, Some(&cookie)).await), task);
        let page = app.browse(&task, Some(&cookie)).await;
        page.expect(200);
        assert!(page.text.contains("The payment was not confirmed with your bank."), "{}", page.text);
        assert!(page.text.contains(&format!("href=\"{vendor}\"")), "{}", page.text);
        let s = subscription(&app, sub).await;
        assert_eq!((&s["plan"], &s["scheduled_change"]), (&json!(seed.plan), &Value::Null), "{s}");

        // The task is still there to do; the challenge passed, the change is made and the task
        // ends as one without a challenge does: through the confirmation page to the vendor.
        let to_bank = location(&confirm(&app, &cookie, &landing, sub, &team).await);
        let back = location(&app.submit(&to_bank, None, &[("answer", "approve")]).await);
        assert_eq!(location(&app.browse(&back, Some(&cookie)).await), "/portal/done?done=changed");
        let done = app.browse("/portal/done?done=changed", Some(&cookie)).await;
        assert_eq!(done.expect(200).header("refresh"), Some(format!("0; url={vendor}").as_str()));
        assert_eq!(subscription(&app, sub).await["plan"], team.as_str());
        // Done is done: the task's page is the confirmation now.
        let again = app.browse(&landing, Some(&cookie)).await;
        assert!(again.expect(200).text.contains("All done"), "{}", again.text);
    }

    async fn details_and_card_links_reach_only_their_pages(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "fd").await;
        let (cookie, landing) = open_flow(&app, json!({
            "customer": seed.customer, "flow": {"type": "billing_details_update"},
        })).await;
        assert_eq!(landing, "/portal/account");
        let csrf = csrf_of(&app, &cookie, "/portal/account").await;
        other_pages_are_refused(&app, &cookie, "/portal/account").await;
        app.submit(&format!("/portal/subscriptions/{}/cancel", seed.subscription), Some(&cookie),
            &[("csrf", &csrf), ("mode", "at_period_end")]).await.expect(403);
        assert_eq!(subscription(&app, &seed.subscription).await["cancel_at_period_end"], false);
        let form = [
            ("csrf", csrf.as_str()), ("name", "Flow GmbH"), ("email", "ap@flow.example"), ("line1", "Weg 1"),
            ("line2", ""), ("postal_code", "10115"), ("city", "Berlin"), ("state", ""), ("country", "de"), ("tax_id", ""),
        ];
        let r = app.submit("/portal/account", Some(&cookie), &form).await;
        assert_eq!(r.expect(303).header("location"), Some("/portal/done?done=saved"));
        let done = app.browse("/portal/done?done=saved", Some(&cookie)).await;
        assert!(done.expect(200).text.contains("Your change has been saved."), "{}", done.text);

        let (cookie, landing) = open_flow(&app, json!({
            "customer": seed.customer, "flow": {"type": "payment_method_update"},
        })).await;
        assert_eq!(landing, "/portal/payment-method");
        app.browse("/portal/payment-method", Some(&cookie)).await.expect(200);
        other_pages_are_refused(&app, &cookie, "/portal/payment-method").await;
    }
}
