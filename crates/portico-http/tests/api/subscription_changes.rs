//! Customers change their subscriptions: the account's rules for it, the plans' quantity
//! limits, the vendor's cancel with a reason and a mode, and the portal's cancel, resume,
//! reactivate and change of plan or quantity with its preview, each through the action gate.

use portico_core::PageRequest;
use serde_json::{Value, json};

use crate::portal_payments::{add_card, location, take_payments};
use crate::support::{Cookie, Portal, Seeded, TestApp};

/// The kinds of the account's events, oldest first, after the first `skip`.
async fn event_kinds(app: &TestApp, skip: usize) -> Vec<String> {
    let mut list = app
        .store
        .events(&app.a.account, PageRequest::first(100))
        .await
        .unwrap()
        .data;
    list.reverse();
    list.iter()
        .skip(skip)
        .map(|e| e.kind.as_str().to_owned())
        .collect()
}

async fn event_count(app: &TestApp) -> usize {
    event_kinds(app, 0).await.len()
}

pub async fn subscription(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&app.a.key, &format!("/api/v1/subscriptions/{id}"))
        .await;
    r.expect(200);
    r.json.clone()
}

/// A portal session of the seeded customer's contact, with its role set to `role`.
pub async fn enter_as(app: &TestApp, seed: &Seeded, role: &str) -> (Cookie, String) {
    app.patch(
        &app.a.key,
        &format!("/api/v1/contacts/{}", seed.contact),
        json!({"role": role}),
    )
    .await
    .expect(200);
    let r = app
        .portal_session(
            &app.a.key,
            json!({"customer": seed.customer, "contact": seed.contact}),
        )
        .await;
    let cookie = app.enter(r.json["token"].as_str().unwrap()).await;
    let page = app.browse("/portal/subscriptions", Some(&cookie)).await;
    page.expect(200);
    let csrf = page.csrf();
    (cookie, csrf)
}

/// The value of the hidden field `name` in a page, unescaped.
fn hidden(text: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        + marker.len();
    let end = text[at..].find('"').unwrap();
    text[at..at + end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn open_invoices(app: &TestApp, customer: &str) -> Vec<Value> {
    let r = app
        .get(
            &app.a.key,
            &format!("/api/v1/invoices?customer={customer}&status=open"),
        )
        .await;
    r.expect(200).json["data"].as_array().unwrap().clone()
}

/// A plan of the seeded product at €99.00 a month: an upgrade from the seeded plan.
async fn team_plan(app: &TestApp, seed: &Seeded) -> String {
    app.post(&app.a.key, "/api/v1/plans", json!({
        "product": seed.product, "name": "Team monthly", "interval": "month", "unit_amount": 9900,
        "currency": "EUR", "max_quantity": 5,
    }))
    .await
    .expect(201)
    .id()
}

/// The account takes payments through the test provider and the seeded customer's default
/// card is one of its, which succeeds: money due now is charged at once. Answers the owner's
/// portal session.
async fn charging(app: &TestApp, seed: &Seeded) -> (Cookie, String) {
    charging_with(app, seed, "4242 4242 4242 4242").await
}

/// As [`charging`], with the test card `number` as the default.
pub(crate) async fn charging_with(app: &TestApp, seed: &Seeded, number: &str) -> (Cookie, String) {
    take_payments(app).await;
    let (cookie, csrf) = enter_as(app, seed, "owner").await;
    add_card(app, &cookie, number).await;
    let cards = app
        .get(
            &app.a.key,
            &format!("/api/v1/payment-methods?customer={}", seed.customer),
        )
        .await;
    let added = cards.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|pm| pm["id"] != seed.payment_method.as_str())
        .unwrap();
    let path = format!("/api/v1/payment-methods/{}", added["id"].as_str().unwrap());
    app.patch(&app.a.key, &path, json!({"is_default": true}))
        .await
        .expect(200);
    (cookie, csrf)
}

/// The customer's payments that succeeded.
async fn charges(app: &TestApp, customer: &str) -> usize {
    let r = app
        .get(
            &app.a.key,
            &format!("/api/v1/transactions?customer={customer}&limit=100"),
        )
        .await;
    r.expect(200).json["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "payment" && t["status"] == "succeeded")
        .count()
}

/// The customer's invoices of any status.
async fn invoice_count(app: &TestApp, customer: &str) -> usize {
    let r = app
        .get(
            &app.a.key,
            &format!("/api/v1/invoices?customer={customer}&limit=100"),
        )
        .await;
    r.expect(200).json["data"].as_array().unwrap().len()
}

/// A vendor POST with an `Idempotency-Key`.
async fn post_once(app: &TestApp, path: &str, key: &str, body: Value) -> crate::support::Resp {
    app.send(
        app.request(reqwest::Method::POST, path, &app.a.key)
            .header("idempotency-key", key)
            .json(&body),
    )
    .await
}

/// How a confirmation is sent twice at once.
#[derive(Debug, Clone, Copy)]
enum Twice {
    /// Once: what a single confirmation does, for the others to match.
    Once,
    /// The portal's form, with the same CSRF token and quote.
    PortalForm,
    /// The vendor's change with the same `Idempotency-Key`.
    SameKey,
    /// The vendor's change with two keys.
    TwoKeys,
}

portico_testkit::backend_tests! {
    async fn the_rules_for_subscription_changes_are_portal_settings(app: TestApp) {
        let k = &app.a.key;
        let before = app.get(k, "/api/v1/portal-settings").await;
        let rules = &before.expect(200).json["subscription_changes"];
        assert_eq!(rules["cancel_modes"], json!(["at_period_end"]));
        assert_eq!(rules["cancel_refund"], "none");
        assert_eq!(rules["upgrades"], "now_with_proration");
        assert_eq!(rules["downgrades"], "at_period_end");
        assert_eq!(rules["reactivation"], true);

        let changed = app
            .patch(k, "/api/v1/portal-settings", json!({"subscription_changes": {
                "cancel_modes": ["at_period_end", "immediately"], "cancel_refund": "prorated_credit",
                "cancel_reasons": ["Too dear", "Moving on"], "downgrades": "now_without_proration",
            }}))
            .await;
        let rules = &changed.expect(200).json["subscription_changes"];
        assert_eq!(rules["cancel_modes"], json!(["at_period_end", "immediately"]));
        assert_eq!(rules["cancel_refund"], "prorated_credit");
        assert_eq!(rules["cancel_reasons"], json!(["Too dear", "Moving on"]));
        assert_eq!(rules["downgrades"], "now_without_proration");
        assert_eq!(rules["upgrades"], "now_with_proration", "a rule not given is kept");
        assert_eq!(&app.get(k, "/api/v1/portal-settings").await.json["subscription_changes"], rules);

        for (body, field) in [
            (json!({"cancel_modes": []}), "cancel_modes"),
            (json!({"upgrades": "whenever"}), "upgrades"),
            (json!({"cancel_reasons": [""]}), "cancel_reasons"),
            (json!({"refund": "all"}), "refund"),
        ] {
            app.patch(k, "/api/v1/portal-settings", json!({"subscription_changes": body}))
                .await
                .expect_error(400, "BAD_REQUEST", field);
        }
        assert_eq!(&app.get(k, "/api/v1/portal-settings").await.json["subscription_changes"], rules);
    }

    async fn plans_limit_the_quantity_a_customer_may_choose(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "lim").await;
        let plan = app.get(k, &format!("/api/v1/plans/{}", seed.plan)).await;
        assert_eq!((&plan.json["min_quantity"], &plan.json["max_quantity"]), (&json!(1), &Value::Null));
        let p = app
            .patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"min_quantity": 2, "max_quantity": 10}))
            .await;
        assert_eq!((&p.expect(200).json["min_quantity"], &p.json["max_quantity"]), (&json!(2), &json!(10)));
        app.patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"max_quantity": 1}))
            .await
            .expect_error(400, "BAD_REQUEST", "max_quantity");
        let p = app.patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"max_quantity": null})).await;
        assert_eq!(p.expect(200).json["max_quantity"], Value::Null);
        let created = app
            .post(k, "/api/v1/plans", json!({
                "product": seed.product, "name": "Seats", "interval": "month", "unit_amount": 900,
                "currency": "EUR", "min_quantity": 5, "max_quantity": 50,
            }))
            .await;
        assert_eq!((&created.expect(201).json["min_quantity"], &created.json["max_quantity"]), (&json!(5), &json!(50)));
        app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Seats", "interval": "month", "unit_amount": 900,
            "currency": "EUR", "min_quantity": 0,
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "min_quantity");
    }

    async fn a_customer_cancels_at_period_end_and_resumes(app: Portal) {
        let seed = app.seed(&app.a.key, "cr").await;
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        let sub = &seed.subscription;
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(list.text.contains(&format!("href=\"/portal/subscriptions/{sub}/cancel\"")), "{}", list.text);
        assert!(list.text.contains(&format!("href=\"/portal/subscriptions/{sub}/change\"")), "{}", list.text);

        let end = subscription(&app, sub).await["current_period_end"].as_str().unwrap().to_owned();
        let page = app.browse(&format!("/portal/subscriptions/{sub}/cancel"), Some(&cookie)).await;
        page.expect(200);
        assert!(page.text.contains("stays active until"), "{}", page.text);
        assert!(page.text.contains("value=\"Too expensive\""), "{}", page.text);
        assert!(!page.text.contains("value=\"immediately\""), "only the allowed mode is offered: {}", page.text);

        let before = event_count(&app).await;
        let path = format!("/portal/subscriptions/{sub}/cancel");
        let r = app.submit(&path, Some(&cookie), &[
            ("csrf", &csrf), ("mode", "at_period_end"), ("reason", "Too expensive"), ("comment", "Back next year"),
        ]).await;
        r.expect(303);
        assert_eq!(r.header("location"), Some("/portal/subscriptions?done=cancel-scheduled"));
        let s = subscription(&app, sub).await;
        assert_eq!((s["status"].as_str(), s["cancel_at_period_end"].as_bool()), (Some("active"), Some(true)));
        assert_eq!((s["cancel_reason"].as_str(), s["cancel_comment"].as_str()), (Some("Too expensive"), Some("Back next year")));
        assert_eq!(s["current_period_end"].as_str(), Some(end.as_str()));
        assert_eq!(event_kinds(&app, before).await, ["subscription.updated"]);
        let list = app.browse("/portal/subscriptions?done=cancel-scheduled", Some(&cookie)).await;
        assert!(list.text.contains("Your subscription will end at the end of the period."), "{}", list.text);
        // A framing vendor page is told what changed; a page not reached by an action tells
        // nothing.
        assert!(list.text.contains("data-portico-action=\"portico:subscription.updated\""), "{}", list.text);
        let plain = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(!plain.text.contains("data-portico-action"), "{}", plain.text);
        assert!(list.text.contains("badge warn\">Cancels on"), "{}", list.text);
        assert!(list.text.contains(&format!("action=\"/portal/subscriptions/{sub}/resume\"")), "{}", list.text);

        // Immediately is not among the account's modes, nor a reason outside its list.
        let refused = app.submit(&path, Some(&cookie), &[("csrf", &csrf), ("mode", "immediately")]).await;
        refused.expect(403);
        let r = app.submit(&format!("/portal/subscriptions/{sub}/resume"), Some(&cookie), &[("csrf", &csrf)]).await;
        r.expect(303);
        assert_eq!(r.header("location"), Some("/portal/subscriptions?done=resumed"));
        let s = subscription(&app, sub).await;
        assert_eq!((s["cancel_at_period_end"].as_bool(), &s["cancel_reason"]), (Some(false), &Value::Null));
        assert_eq!(event_kinds(&app, before).await, ["subscription.updated", "subscription.resumed"]);
        app.submit(&path, Some(&cookie), &[("csrf", &csrf), ("mode", "at_period_end"), ("reason", "Because")])
            .await
            .expect(400);
        assert_eq!(subscription(&app, sub).await["cancel_at_period_end"], false);
    }

    async fn canceling_now_credits_the_unused_time_and_a_canceled_subscription_reactivates(app: Portal) {
        let seed = app.seed(&app.a.key, "cn").await;
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"subscription_changes": {
            "cancel_modes": ["at_period_end", "immediately"], "cancel_refund": "prorated_credit",
        }})).await.expect(200);
        // Ten days into the period.
        app.clock.advance_secs(10 * 86_400);
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        let sub = &seed.subscription;
        let page = app.browse(&format!("/portal/subscriptions/{sub}/cancel"), Some(&cookie)).await;
        assert!(page.text.contains("value=\"immediately\""), "{}", page.text);
        assert!(page.text.contains("is credited to your account"), "{}", page.text);
        let before = event_count(&app).await;
        let r = app.submit(&format!("/portal/subscriptions/{sub}/cancel"), Some(&cookie), &[
            ("csrf", &csrf), ("mode", "immediately"), ("reason", ""), ("comment", ""),
        ]).await;
        r.expect(303);
        assert_eq!(subscription(&app, sub).await["status"], "canceled");
        let list = app.browse(r.header("location").unwrap(), Some(&cookie)).await;
        assert!(list.text.contains("data-portico-action=\"portico:subscription.canceled\""), "{}", list.text);
        assert_eq!(event_kinds(&app, before).await, ["subscription.canceled", "transaction.created"]);
        let credits = app.get(&app.a.key, &format!("/api/v1/transactions?customer={}", seed.customer)).await;
        let credit = credits.json["data"].as_array().unwrap().iter().find(|t| t["kind"] == "credit").cloned().unwrap();
        // Two seats of 29.00 plus 19 % tax, for the days left of the month: more than nothing,
        // less than the whole period.
        let amount = credit["amount"].as_i64().unwrap();
        assert!(amount > 0 && amount < 2 * 2900 * 119 / 100, "{credit}");

        let open_before = open_invoices(&app, &seed.customer).await.len();
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(list.text.contains(&format!("action=\"/portal/subscriptions/{sub}/reactivate\"")), "{}", list.text);
        assert!(!list.text.contains("Current period"), "no period after cancellation: {}", list.text);
        let r = app.submit(&format!("/portal/subscriptions/{sub}/reactivate"), Some(&cookie), &[("csrf", &csrf)]).await;
        r.expect(303);
        let s = subscription(&app, sub).await;
        assert_eq!((s["status"].as_str(), &s["canceled_at"]), (Some("active"), &Value::Null));
        let open = open_invoices(&app, &seed.customer).await;
        assert_eq!(open.len(), open_before + 1, "the new period is invoiced");
        assert_eq!(open[0]["total"], 2 * 2900 * 119 / 100);

        // Without reactivation in the rules, the button is gone and the action refused.
        app.delete(&app.a.key, &format!("/api/v1/subscriptions/{sub}")).await.expect(200);
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"subscription_changes": {"reactivation": false}}))
            .await
            .expect(200);
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(!list.text.contains("/reactivate\""), "{}", list.text);
        app.submit(&format!("/portal/subscriptions/{sub}/reactivate"), Some(&cookie), &[("csrf", &csrf)])
            .await
            .expect(403);
        assert_eq!(subscription(&app, sub).await["status"], "canceled");
    }

    async fn the_vendors_preview_follows_the_accounts_rules_as_the_portals_does(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "vp").await;
        let plan = |name: &str, amount: i64| json!({
            "product": seed.product, "name": name, "interval": "month", "unit_amount": amount, "currency": "EUR",
        });
        let team = app.post(k, "/api/v1/plans", plan("Team", 9900)).await.expect(201).id();
        let lite = app.post(k, "/api/v1/plans", plan("Lite", 100)).await.expect(201).id();
        app.clock.advance_secs(5 * 86_400);
        let (cookie, _) = enter_as(&app, &seed, "owner").await;
        let sub = &seed.subscription;
        let quantity = subscription(&app, sub).await["quantity"].as_i64().unwrap();
        // The account's rules: upgrades now with proration, downgrades at the period's end.
        for (to, timing) in [(&team, "now_with_proration"), (&lite, "at_period_end")] {
            let page = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={to}&quantity={quantity}"), Some(&cookie)).await;
            page.expect(200);
            let portal: Value = serde_json::from_str(&hidden(&page.text, "quote")).unwrap();
            let vendor = app.post(k, &format!("/api/v1/subscriptions/{sub}/preview-change"), json!({"plan": to})).await;
            vendor.expect(200);
            assert_eq!(vendor.json, portal, "{to}");
            assert_eq!(vendor.json["timing"], timing);
        }
        // The vendor may name another timing.
        let now = app.post(k, &format!("/api/v1/subscriptions/{sub}/preview-change"),
            json!({"plan": lite, "timing": "now_with_proration"})).await;
        assert_eq!(now.expect(200).json["timing"], "now_with_proration");
        // And a change without a timing takes the rule: the downgrade waits for the period's end.
        let changed = app.post(k, &format!("/api/v1/subscriptions/{sub}/change"), json!({"plan": lite})).await;
        changed.expect(200);
        assert_eq!(changed.json["subscription"]["plan"], seed.plan.as_str());
        assert_eq!(changed.json["subscription"]["scheduled_change"]["plan"], lite.as_str(), "{}", changed.text);
    }

    async fn a_plan_change_charges_exactly_its_preview(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "pc").await;
        let team = app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Team monthly", "interval": "month", "unit_amount": 9900,
            "currency": "EUR", "max_quantity": 3,
        })).await.expect(201).id();
        app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Team yearly", "interval": "year", "unit_amount": 99000,
            "currency": "EUR",
        })).await.expect(201);
        app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Dollar plan", "interval": "month", "unit_amount": 100,
            "currency": "USD",
        })).await.expect(201);
        app.clock.advance_secs(5 * 86_400);
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        let sub = &seed.subscription;

        let picker = app.browse(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie)).await;
        picker.expect(200);
        for text in ["Portico Pro", "Monthly", "Yearly", "Team monthly", "Team yearly", "name=\"quantity\""] {
            assert!(picker.text.contains(text), "{text}: {}", picker.text);
        }
        assert!(!picker.text.contains("Dollar plan"), "only the customer's currency: {}", picker.text);

        let preview = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=2"), Some(&cookie)).await;
        preview.expect(200);
        let quote: Value = serde_json::from_str(&hidden(&preview.text, "quote")).unwrap();
        assert_eq!(quote["timing"], "now_with_proration");
        let due = quote["due_now"].as_i64().unwrap();
        assert!(due > 0, "{quote}");
        let credit = quote["credit"].as_i64().unwrap();
        assert!(credit > 0, "{quote}");
        // The credit reads as a negative amount with a true minus sign; the quote keeps numbers.
        let shown = portico_render::format_money(portico_core::Money::new(-credit, portico_core::Currency::EUR), portico_render::Locale::En);
        assert!(shown.starts_with("\u{2212}€"), "{shown}");
        assert!(preview.text.contains(&shown), "{shown}: {}", preview.text);
        assert!(!preview.text.contains("-€"), "{}", preview.text);
        assert_eq!(quote["total"].as_i64(), Some(quote["subtotal"].as_i64().unwrap() + quote["tax"].as_i64().unwrap()));
        assert!(preview.text.contains("Due today"), "{}", preview.text);
        assert!(preview.text.contains("Next invoice on"), "{}", preview.text);
        assert!(preview.text.contains("pay the invoice from Invoices"), "no provider: {}", preview.text);

        let form = [("csrf", csrf.as_str()), ("plan", team.as_str()), ("quantity", "2"), ("quote", &hidden(&preview.text, "quote"))];
        let open_before = open_invoices(&app, &seed.customer).await.len();
        let before = event_count(&app).await;
        let r = app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &form).await;
        r.expect(303);
        assert_eq!(r.header("location"), Some("/portal/subscriptions?done=changed"));
        assert_eq!(subscription(&app, sub).await["plan"], team.as_str());
        assert_eq!(event_kinds(&app, before).await, ["subscription.updated", "invoice.created", "invoice.issued"]);
        let open = open_invoices(&app, &seed.customer).await;
        assert_eq!(open.len(), open_before + 1);
        assert_eq!(open[0]["total"].as_i64(), Some(due), "the invoice charges the preview");
        assert_eq!(open[0]["tax"], quote["tax"]);
        // The same confirmation again changes nothing more.
        app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &form).await.expect(400);
        assert_eq!(open_invoices(&app, &seed.customer).await.len(), open_before + 1);

        // Beyond the plan's maximum: the form again, saying which quantities it takes.
        let over = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=4"), Some(&cookie)).await;
        over.expect(400);
        assert!(over.text.contains("Please choose a quantity from 1 to 3."), "{}", over.text);

        // A downgrade waits for the end of the period, shows on the subscription, and can be
        // withdrawn.
        let preview = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={}&quantity=2", seed.plan), Some(&cookie)).await;
        preview.expect(200);
        assert!(preview.text.contains("at the end of the current period"), "{}", preview.text);
        let quote = hidden(&preview.text, "quote");
        let form = [("csrf", csrf.as_str()), ("plan", seed.plan.as_str()), ("quantity", "2"), ("quote", &quote)];
        let before = event_count(&app).await;
        let r = app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &form).await;
        assert_eq!(r.expect(303).header("location"), Some("/portal/subscriptions?done=change-scheduled"));
        assert_eq!(event_kinds(&app, before).await, ["subscription.change_scheduled"]);
        let s = subscription(&app, sub).await;
        assert_eq!((s["plan"].as_str(), s["scheduled_change"]["plan"].as_str()), (Some(team.as_str()), Some(seed.plan.as_str())));
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(list.text.contains("Changes to Pro monthly × 2 on"), "{}", list.text);
        let r = app.submit(&format!("/portal/subscriptions/{sub}/withdraw-change"), Some(&cookie), &[("csrf", &csrf)]).await;
        r.expect(303);
        assert_eq!(subscription(&app, sub).await["scheduled_change"], Value::Null);

        // A quote that is not the one the server would make now is refused.
        let mut forged: Value = serde_json::from_str(&quote).unwrap();
        forged["timing"] = json!("now_without_proration");
        let forged = forged.to_string();
        let form = [("csrf", csrf.as_str()), ("plan", seed.plan.as_str()), ("quantity", "2"), ("quote", &forged)];
        let r = app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &form).await;
        r.expect(400);
        assert!(r.text.contains("The price of this change has changed"), "{}", r.text);
        assert_eq!(subscription(&app, sub).await["scheduled_change"], Value::Null);
    }

    async fn an_upgrade_is_charged_through_the_provider_a_decline_changes_nothing_and_a_challenge_waits(app: Portal) {
        let k = &app.a.key;
        take_payments(&app).await;
        let cases = [
            ("paid", "4242 4242 4242 4242", "changed"),
            ("declined", "4000 0000 0000 0002", "declined-card_declined"),
            ("challenged", "4000 0000 0000 3220", "challenge"),
        ];
        let mut seeds = Vec::new();
        for (name, _, _) in cases {
            seeds.push(app.seed(k, name).await);
        }
        app.clock.advance_secs(5 * 86_400);
        for ((_, card, done), seed) in cases.into_iter().zip(&seeds) {
            let team = app.post(k, "/api/v1/plans", json!({
                "product": seed.product, "name": "Team monthly", "interval": "month", "unit_amount": 9900,
                "currency": "EUR",
            })).await.expect(201).id();
            let (cookie, _) = enter_as(&app, seed, "owner").await;
            let sub = &seed.subscription;
            // The seeded card is not the provider's: an upgrade is invoiced, not charged.
            let preview = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=1"), Some(&cookie)).await;
            assert!(preview.text.contains("pay the invoice from Invoices"), "{}", preview.text);
            add_card(&app, &cookie, card).await;
            let cards = app.get(k, &format!("/api/v1/payment-methods?customer={}", seed.customer)).await;
            let added = cards.json["data"].as_array().unwrap().iter().find(|pm| pm["id"] != seed.payment_method.as_str()).unwrap();
            let path = format!("/api/v1/payment-methods/{}", added["id"].as_str().unwrap());
            app.patch(k, &path, json!({"is_default": true})).await.expect(200);
            let preview = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=1"), Some(&cookie)).await;
            preview.expect(200);
            assert!(preview.text.contains("Confirming charges this to your default payment method"), "{}", preview.text);
            let quote = hidden(&preview.text, "quote");
            let form = [("csrf", preview.csrf()), ("plan", team.clone()), ("quantity", "1".into()), ("quote", quote)];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let open_before = open_invoices(&app, &seed.customer).await.len();
            let r = app.submit(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie), &form).await;
            let to = location(&r);
            if done == "challenge" {
                assert!(to.contains("/test-provider/challenge/"), "{to}");
                // Waiting for the bank: the plan is as it was, and the change is not withdrawn
                // from the subscriptions page meanwhile.
                assert_eq!(subscription(&app, sub).await["plan"], seed.plan.as_str());
                let page = app.browse("/portal/subscriptions", Some(&cookie)).await;
                assert!(!page.text.contains("withdraw-change"), "{}", page.text);
                // It says what it waits for, not a date of its own.
                assert!(page.text.contains("Changes to Team monthly × 1 once "), "{}", page.text);
                assert!(!page.text.contains("Changes to Team monthly × 1 on "), "{}", page.text);
                let back = location(&app.submit(&to, None, &[("answer", "approve")]).await);
                let outcome = location(&app.browse(&back, Some(&cookie)).await);
                app.browse(&outcome, Some(&cookie)).await.expect(200);
                assert_eq!(subscription(&app, sub).await["plan"], team.as_str());
                assert_eq!(open_invoices(&app, &seed.customer).await.len(), open_before);
                continue;
            }
            assert_eq!(to, format!("/portal/subscriptions?done={done}"));
            let page = app.browse(&to, Some(&cookie)).await;
            page.expect(200);
            // Paid in the one confirmation, or declined with nothing changed and nothing left to pay.
            assert_eq!(open_invoices(&app, &seed.customer).await.len(), open_before);
            let plan = subscription(&app, sub).await["plan"].as_str().unwrap().to_owned();
            if done == "changed" {
                assert_eq!(plan, team);
                assert!(page.text.contains("Your subscription has been changed."), "{}", page.text);
            } else {
                assert_eq!(plan, seed.plan);
                assert!(page.text.contains("Your card was declined."), "the reason: {}", page.text);
            }
        }
    }

    async fn only_an_owner_changes_subscriptions_within_the_switches(app: Portal) {
        let seed = app.seed(&app.a.key, "ow").await;
        let sub = &seed.subscription;
        let cancel = format!("/portal/subscriptions/{sub}/cancel");
        for role in ["billing", "viewer"] {
            let (cookie, csrf) = enter_as(&app, &seed, role).await;
            let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
            assert!(!list.text.contains("/cancel\"") && !list.text.contains("/change\""), "{role}: {}", list.text);
            app.browse(&cancel, Some(&cookie)).await.expect(404);
            app.submit(&cancel, Some(&cookie), &[("csrf", &csrf), ("mode", "at_period_end")]).await.expect(403);
            assert_eq!(subscription(&app, sub).await["cancel_at_period_end"], false, "{role}");
        }
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        // Without the cancel switch: no button, no page, and the action refused.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"features": {"cancel": false}})).await.expect(200);
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(!list.text.contains("/cancel\""), "{}", list.text);
        assert!(list.text.contains("/change\""), "{}", list.text);
        app.browse(&cancel, Some(&cookie)).await.expect(404);
        app.submit(&cancel, Some(&cookie), &[("csrf", &csrf), ("mode", "at_period_end")]).await.expect(403);
        assert_eq!(subscription(&app, sub).await["cancel_at_period_end"], false);
        // Without the plan switch, the quantity alone may change; another plan is refused.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"features": {"plan_change": false}})).await.expect(200);
        let other = app.post(&app.a.key, "/api/v1/plans", json!({
            "product": seed.product, "name": "Other", "interval": "month", "unit_amount": 100, "currency": "EUR",
        })).await.expect(201).id();
        app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={}&quantity=3", seed.plan), Some(&cookie)).await.expect(200);
        app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={other}&quantity=2"), Some(&cookie)).await.expect(403);
        // Without the quantity switch either, nothing is left to change.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"features": {"quantity_change": false}})).await.expect(200);
        app.browse(&format!("/portal/subscriptions/{sub}/change"), Some(&cookie)).await.expect(404);
        // Another customer's subscription is not found.
        let theirs = app.seed(&app.a.key, "th").await.subscription;
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"features": {"cancel": true}})).await.expect(200);
        app.browse(&format!("/portal/subscriptions/{theirs}/cancel"), Some(&cookie)).await.expect(404);
        app.submit(&format!("/portal/subscriptions/{theirs}/cancel"), Some(&cookie), &[("csrf", &csrf), ("mode", "at_period_end")])
            .await
            .expect(404);
        assert_eq!(subscription(&app, &theirs).await["cancel_at_period_end"], false);
    }

    async fn the_vendor_cancels_with_a_mode_reason_and_comment(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "vc").await;
        let path = format!("/api/v1/subscriptions/{}", seed.subscription);
        let r = app.send(app.request(reqwest::Method::DELETE, &path, k)
            .json(&json!({"mode": "at_period_end", "reason": "budget", "comment": "Q3 freeze"}))).await;
        r.expect(200);
        assert_eq!((r.json["status"].as_str(), r.json["cancel_at_period_end"].as_bool()), (Some("active"), Some(true)));
        assert_eq!((r.json["cancel_reason"].as_str(), r.json["cancel_comment"].as_str()), (Some("budget"), Some("Q3 freeze")));
        let resumed = app.patch(k, &path, json!({"cancel_at_period_end": false, "cancel_reason": null})).await;
        assert_eq!(resumed.expect(200).json["cancel_at_period_end"], false);
        app.send(app.request(reqwest::Method::DELETE, &path, k).json(&json!({"mode": "later"})))
            .await
            .expect_error(400, "BAD_REQUEST", "mode");
        let r = app.send(app.request(reqwest::Method::DELETE, &path, k).json(&json!({"mode": "immediately"}))).await;
        assert_eq!(r.expect(200).json["status"], "canceled");
    }

    async fn a_customer_pauses_collection_and_resumes_early_when_the_account_allows(app: Portal) {
        let seed = app.seed(&app.a.key, "pa").await;
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        let sub = &seed.subscription;
        let pause = format!("/portal/subscriptions/{sub}/pause");
        let before = subscription(&app, sub).await;

        // Off by default: no form, and the action is refused.
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(!list.text.contains(&format!("action=\"{pause}\"")), "{}", list.text);
        app.submit(&pause, Some(&cookie), &[("csrf", &csrf), ("periods", "1")]).await.expect(403);
        assert_eq!(subscription(&app, sub).await, before);

        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"subscription_changes": {"pause": true}}))
            .await
            .expect(200);
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(list.text.contains(&format!("action=\"{pause}\"")), "{}", list.text);
        app.submit(&pause, Some(&cookie), &[("csrf", &csrf), ("periods", "4")]).await.expect(400);
        assert_eq!(subscription(&app, sub).await, before);

        let events = event_count(&app).await;
        let r = app.submit(&pause, Some(&cookie), &[("csrf", &csrf), ("periods", "2")]).await;
        assert_eq!(r.expect(303).header("location"), Some("/portal/subscriptions?done=paused"));
        let s = subscription(&app, sub).await;
        let resumes_at = s["pause_collection"]["resumes_at"].as_str().unwrap().to_owned();
        assert!(resumes_at.as_str() > before["current_period_end"].as_str().unwrap(), "{s}");
        assert_eq!(s["current_period_end"], before["current_period_end"], "the paid period stands");
        assert_eq!(event_kinds(&app, events).await, ["subscription.paused"]);
        let list = app.browse("/portal/subscriptions?done=paused", Some(&cookie)).await;
        assert!(list.text.contains("Your payments are paused."), "{}", list.text);
        assert!(list.text.contains("Paused until"), "{}", list.text);
        assert!(!list.text.contains(&format!("action=\"{pause}\"")), "{}", list.text);
        // Paused once is enough.
        app.submit(&pause, Some(&cookie), &[("csrf", &csrf), ("periods", "1")]).await.expect(409);

        let unpause = format!("/portal/subscriptions/{sub}/unpause");
        assert!(list.text.contains(&format!("action=\"{unpause}\"")), "{}", list.text);
        let r = app.submit(&unpause, Some(&cookie), &[("csrf", &csrf)]).await;
        assert_eq!(r.expect(303).header("location"), Some("/portal/subscriptions?done=unpaused"));
        assert_eq!(subscription(&app, sub).await["pause_collection"], Value::Null);
        assert_eq!(event_kinds(&app, events).await, ["subscription.paused", "subscription.resumed"]);

        // Switched off again: the form is gone and the action refused.
        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"subscription_changes": {"pause": false}}))
            .await
            .expect(200);
        let list = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(!list.text.contains("/pause\""), "{}", list.text);
        app.submit(&pause, Some(&cookie), &[("csrf", &csrf), ("periods", "1")]).await.expect(403);
        assert_eq!(subscription(&app, sub).await["pause_collection"], Value::Null);
    }

    async fn the_vendor_previews_and_makes_the_portals_changes_once_per_idempotency_key(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "vp").await;
        let team = team_plan(&app, &seed).await;
        app.clock.advance_secs(5 * 86_400);
        let sub = &seed.subscription;
        let (cookie, _) = enter_as(&app, &seed, "owner").await;
        let page = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=2"), Some(&cookie)).await;
        page.expect(200);
        let shown: Value = serde_json::from_str(&hidden(&page.text, "quote")).unwrap();

        // The vendor's preview of the same change is the portal's, to the field.
        let base = format!("/api/v1/subscriptions/{sub}");
        let preview = app.post(k, &format!("{base}/preview-change"), json!({"plan": team, "quantity": 2})).await;
        assert_eq!(preview.expect(200).json, shown);
        let later = app.post(k, &format!("{base}/preview-change"), json!({"plan": seed.plan, "quantity": 1, "timing": "at_period_end"})).await;
        assert_eq!(later.expect(200).json["effective_at"], subscription(&app, sub).await["current_period_end"]);
        app.post(k, &format!("{base}/preview-change"), json!({"plan": team, "quantity": 6}))
            .await
            .expect_error(400, "BAD_REQUEST", "quantity");
        app.post(k, &format!("{base}/preview-change"), json!({"plan": team, "timing": "whenever"}))
            .await
            .expect_error(400, "BAD_REQUEST", "timing");
        assert_eq!(subscription(&app, sub).await["plan"], seed.plan.as_str(), "a preview changes nothing");

        // The change, retried with its key, is made once: one invoice of the preview's total.
        let invoices = invoice_count(&app, &seed.customer).await;
        let events = event_count(&app).await;
        let body = json!({"plan": team, "quantity": 2, "quote": shown});
        let first = post_once(&app, &format!("{base}/change"), "change-1", body.clone()).await;
        first.expect(200);
        assert_eq!(first.json["subscription"]["plan"], team.as_str());
        assert_eq!(first.json["payment"], Value::Null, "no provider: the invoice is left open");
        let invoice = first.json["invoice"].as_str().unwrap().to_owned();
        let again = post_once(&app, &format!("{base}/change"), "change-1", body.clone()).await;
        again.expect(200);
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        assert_eq!(again.json, first.json);
        let opened = app.get(k, &format!("/api/v1/invoices/{invoice}")).await;
        assert_eq!(opened.expect(200).json["total"], shown["due_now"]);
        assert_eq!(invoice_count(&app, &seed.customer).await, invoices + 1);
        assert_eq!(event_kinds(&app, events).await, ["subscription.updated", "invoice.created", "invoice.issued"]);
        // The same change under another key is no change any more.
        post_once(&app, &format!("{base}/change"), "change-2", body)
            .await
            .expect_error(400, "BAD_REQUEST", "already");
        assert_eq!(invoice_count(&app, &seed.customer).await, invoices + 1);

        // Cancel, resume, pause and unpause: each once per key, each a 200 on its replay.
        let events = event_count(&app).await;
        let steps = [
            ("cancel", json!({"mode": "at_period_end", "reason": "budget"}), "cancel_at_period_end", json!(true)),
            ("resume", Value::Null, "cancel_at_period_end", json!(false)),
        ];
        for (action, body, field, value) in steps {
            let key = format!("{action}-1");
            let r = post_once(&app, &format!("{base}/{action}"), &key, body.clone()).await;
            assert_eq!(r.expect(200).json[field], value, "{action}");
            let replay = post_once(&app, &format!("{base}/{action}"), &key, body).await;
            assert_eq!((replay.expect(200).header("idempotent-replayed"), &replay.json), (Some("true"), &r.json), "{action}");
        }
        assert_eq!(event_kinds(&app, events).await, ["subscription.updated", "subscription.resumed"]);
        post_once(&app, &format!("{base}/resume"), "resume-2", Value::Null).await.expect(409);

        post_once(&app, &format!("{base}/pause"), "pause-0", json!({"periods": 4}))
            .await
            .expect_error(400, "BAD_REQUEST", "periods");
        let paused = post_once(&app, &format!("{base}/pause"), "pause-1", json!({"periods": 2})).await;
        assert!(paused.expect(200).json["pause_collection"]["resumes_at"].is_string(), "{}", paused.json);
        post_once(&app, &format!("{base}/pause"), "pause-1", json!({"periods": 2})).await.expect(200);
        post_once(&app, &format!("{base}/pause"), "pause-2", json!({"periods": 1})).await.expect(409);
        let unpaused = post_once(&app, &format!("{base}/unpause"), "unpause-1", Value::Null).await;
        assert_eq!(unpaused.expect(200).json["pause_collection"], Value::Null);
        assert_eq!(
            event_kinds(&app, events).await,
            ["subscription.updated", "subscription.resumed", "subscription.paused", "subscription.resumed"]
        );
        // The vendor's actions are not the portal's: they need billing:write.
        let reader = crate::support::key_with(&app, &[portico_core::scope::ApiScope::BillingRead]).await;
        app.send(app.request(reqwest::Method::POST, &format!("{base}/cancel"), &reader).json(&json!({})))
            .await
            .expect_error(403, "FORBIDDEN", "billing:write");
        assert_eq!(subscription(&app, sub).await["status"], "active");
    }

    async fn a_vendor_change_charges_through_the_provider_once(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "vq").await;
        let team = team_plan(&app, &seed).await;
        app.clock.advance_secs(5 * 86_400);
        charging(&app, &seed).await;
        let path = format!("/api/v1/subscriptions/{}/change", seed.subscription);
        let r = post_once(&app, &path, "upgrade", json!({"plan": team})).await;
        r.expect(200);
        assert_eq!(r.json["subscription"]["plan"], team.as_str());
        assert_eq!(r.json["payment"]["status"], "succeeded", "{}", r.json);
        assert_eq!(r.json["payment"]["invoice"], r.json["invoice"]);
        post_once(&app, &path, "upgrade", json!({"plan": team})).await.expect(200);
        assert_eq!(charges(&app, &seed.customer).await, 1);
    }

    async fn a_double_confirm_at_once_changes_the_subscription_once(app: Portal) {
        let k = &app.a.key;
        let cases = [Twice::Once, Twice::PortalForm, Twice::SameKey, Twice::TwoKeys];
        let mut seeds = Vec::new();
        for (i, _) in cases.iter().enumerate() {
            let seed = app.seed(k, &format!("dc{i}")).await;
            let team = team_plan(&app, &seed).await;
            seeds.push((seed, team));
        }
        // Five days into the period, then into the portal (whose sessions would not last the
        // five days).
        app.clock.advance_secs(5 * 86_400);
        let mut entered = Vec::new();
        for (seed, team) in seeds {
            let session = charging(&app, &seed).await;
            entered.push((seed, team, session));
        }
        let mut single = None;
        for (case, (seed, team, (cookie, csrf))) in cases.into_iter().zip(&entered) {
            let sub = &seed.subscription;
            let page = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=1"), Some(cookie)).await;
            page.expect(200);
            let quote = hidden(&page.text, "quote");
            let invoices = invoice_count(&app, &seed.customer).await;
            let events = event_count(&app).await;
            let form = [("csrf", csrf.as_str()), ("plan", team.as_str()), ("quantity", "1"), ("quote", quote.as_str())];
            let portal = format!("/portal/subscriptions/{sub}/change");
            let api = format!("/api/v1/subscriptions/{sub}/change");
            let body = json!({"plan": team, "quantity": 1, "quote": serde_json::from_str::<Value>(&quote).unwrap()});
            let statuses = match case {
                Twice::Once => vec![app.submit(&portal, Some(cookie), &form).await.status],
                Twice::PortalForm => {
                    let (a, b) = tokio::join!(app.submit(&portal, Some(cookie), &form), app.submit(&portal, Some(cookie), &form));
                    vec![a.status, b.status]
                }
                Twice::SameKey => {
                    let (a, b) = tokio::join!(post_once(&app, &api, "same", body.clone()), post_once(&app, &api, "same", body.clone()));
                    vec![a.status, b.status]
                }
                Twice::TwoKeys => {
                    let (a, b) = tokio::join!(post_once(&app, &api, "one", body.clone()), post_once(&app, &api, "two", body.clone()));
                    vec![a.status, b.status]
                }
            };
            assert!(statuses.iter().any(|s| *s == 200 || *s == 303), "{case:?}: one confirmation goes through: {statuses:?}");
            assert_eq!(subscription(&app, sub).await["plan"], team.as_str(), "{case:?}");
            assert_eq!(charges(&app, &seed.customer).await, 1, "{case:?}: one charge");
            assert_eq!(invoice_count(&app, &seed.customer).await, invoices + 1, "{case:?}: one invoice");
            // Events of one moment are listed in no particular order.
            let mut kinds = event_kinds(&app, events).await;
            kinds.sort();
            match &single {
                None => single = Some(kinds),
                Some(once) => assert_eq!(&kinds, once, "{case:?}: the events of one change"),
            }
        }
        assert!(single.is_some_and(|k| k.contains(&"subscription.updated".to_owned())));
    }

    async fn a_double_confirm_waiting_for_the_banks_challenge_opens_one_invoice(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "dw").await;
        let team = team_plan(&app, &seed).await;
        app.clock.advance_secs(5 * 86_400);
        let (cookie, csrf) = charging_with(&app, &seed, "4000 0000 0000 3220").await;
        let sub = &seed.subscription;
        let page = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={team}&quantity=1"), Some(&cookie)).await;
        let quote = hidden(&page.expect(200).text, "quote");
        let invoices = invoice_count(&app, &seed.customer).await;
        let form = [("csrf", csrf.as_str()), ("plan", team.as_str()), ("quantity", "1"), ("quote", quote.as_str())];
        let path = format!("/portal/subscriptions/{sub}/change");
        let (a, b) = tokio::join!(app.submit(&path, Some(&cookie), &form), app.submit(&path, Some(&cookie), &form));
        // Both wait for the one challenge of the one invoice; a third confirmation as well.
        let challenge = location(&a);
        assert!(challenge.contains("/test-provider/challenge/"), "{challenge}");
        assert_eq!(location(&b), challenge);
        assert_eq!(location(&app.submit(&path, Some(&cookie), &form).await), challenge);
        assert_eq!(invoice_count(&app, &seed.customer).await, invoices + 1, "one invoice");
        assert_eq!(subscription(&app, sub).await["plan"], seed.plan.as_str(), "not before the bank says so");
        let back = location(&app.submit(&challenge, None, &[("answer", "approve")]).await);
        let outcome = location(&app.browse(&back, Some(&cookie)).await);
        app.browse(&outcome, Some(&cookie)).await.expect(200);
        assert_eq!(subscription(&app, sub).await["plan"], team.as_str());
        assert_eq!(charges(&app, &seed.customer).await, 1);
        assert_eq!(invoice_count(&app, &seed.customer).await, invoices + 1);
    }

    async fn each_change_switch_off_removes_its_field_and_refuses_its_change(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "sw").await;
        let sub = &seed.subscription;
        let other = app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Other plan", "interval": "month", "unit_amount": 100, "currency": "EUR",
        })).await.expect(201).id();
        let (cookie, csrf) = enter_as(&app, &seed, "owner").await;
        // The two changes as previewed while both switches are on.
        let mut forms = Vec::new();
        for (plan, quantity) in [(other.as_str(), "2"), (seed.plan.as_str(), "3")] {
            let page = app.browse(&format!("/portal/subscriptions/{sub}/preview?plan={plan}&quantity={quantity}"), Some(&cookie)).await;
            let quote = hidden(&page.expect(200).text, "quote");
            forms.push([("csrf", csrf.clone()), ("plan", plan.to_owned()), ("quantity", quantity.to_owned()), ("quote", quote)]);
        }
        let before = subscription(&app, sub).await;
        let picker = format!("/portal/subscriptions/{sub}/change");
        let settings = |plan: bool, quantity: bool| json!({"features": {"plan_change": plan, "quantity_change": quantity}});
        for (switches, field, form) in [
            (settings(false, true), "type=\"radio\" name=\"plan\"", &forms[0]),
            (settings(true, false), "type=\"number\" name=\"quantity\"", &forms[1]),
        ] {
            app.patch(k, "/api/v1/portal-settings", switches.clone()).await.expect(200);
            let page = app.browse(&picker, Some(&cookie)).await;
            assert!(!page.expect(200).text.contains(field), "{switches}: {}", page.text);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.submit(&picker, Some(&cookie), &form).await.expect(403);
            assert_eq!(subscription(&app, sub).await, before, "{switches}");
        }
        // Both on again: each field is back and the same change goes through.
        app.patch(k, "/api/v1/portal-settings", settings(true, true)).await.expect(200);
        let page = app.browse(&picker, Some(&cookie)).await;
        assert!(page.text.contains("type=\"radio\" name=\"plan\"") && page.text.contains("type=\"number\" name=\"quantity\""), "{}", page.text);
        let form: Vec<(&str, &str)> = forms[1].iter().map(|(k, v)| (*k, v.as_str())).collect();
        app.submit(&picker, Some(&cookie), &form).await.expect(303);
        assert_eq!(subscription(&app, sub).await["quantity"], 3);
    }
}
