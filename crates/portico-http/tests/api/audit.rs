//! The audit trail: each event says who made its change (the API key, the customer or which
//! contact, Portico itself) and in which request (its id and the client's address, as the rate
//! limiter resolves it), and the vendor reads it at `/api/v1/events`.

use serde_json::{Value, json};

use crate::subscription_changes::enter_as;
use crate::support::{GENEROUS, On, Options, TestApp};

/// An app behind a proxy at 127.0.0.1 (where the tests connect from) if `trusted`.
async fn start(on: On, trusted: bool) -> TestApp {
    let proxies = if trusted {
        vec!["127.0.0.1".parse().unwrap()]
    } else {
        Vec::new()
    };
    let options = Options {
        exchange_quota: Some(GENEROUS),
        failures: Some((GENEROUS, proxies)),
        ..Options::default()
    };
    TestApp::start_with(on.0, options).await
}

/// The newest event of `kind` of `customer`, as the vendor reads it.
async fn newest(app: &TestApp, customer: &str, kind: &str) -> Value {
    let r = app
        .get(
            &app.a.key,
            &format!("/api/v1/events?customer={customer}&type={kind}&limit=1"),
        )
        .await;
    r.expect(200);
    let event = r.json["data"][0].clone();
    assert_eq!(event["type"], kind, "{}", r.text);
    let one = app
        .get(
            &app.a.key,
            &format!("/api/v1/events/{}", event["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(one.expect(200).json, event);
    event
}

/// A contact cancels in the portal, the request coming through the proxy from 203.0.113.7;
/// answers the cancel's `x-request-id` and the event.
async fn cancel_through_proxy(app: &TestApp) -> (crate::support::Seeded, String, Value) {
    let seed = app.seed(&app.a.key, "audit").await;
    let (cookie, csrf) = enter_as(app, &seed, "owner").await;
    let sub = &seed.subscription;
    let form = [
        ("csrf", csrf.as_str()),
        ("mode", "at_period_end"),
        ("reason", "Too expensive"),
    ];
    let req = app
        .client
        .post(app.local(&format!("/portal/subscriptions/{sub}/cancel")))
        .form(&form)
        .header("cookie", cookie.header())
        .header("x-forwarded-for", "203.0.113.7");
    let r = app.send(req).await;
    r.expect(303);
    let request_id = r
        .header("x-request-id")
        .expect("every answer has a request id")
        .to_owned();
    let event = newest(app, &seed.customer, "subscription.updated").await;
    (seed, request_id, event)
}

portico_testkit::backend_tests! {
    async fn a_contacts_portal_cancel_through_a_trusted_proxy_names_the_contact_its_address_and_request(on: On) {
        let app = start(on, true).await;
        let (seed, request_id, event) = cancel_through_proxy(&app).await;
        assert_eq!(event["actor"]["type"], "contact", "{event}");
        assert_eq!(event["actor"]["contact"], seed.contact.as_str());
        assert_eq!(event["actor"]["customer"], seed.customer.as_str());
        assert!(event["actor"]["portal_session"].as_str().unwrap().starts_with("ps_"), "{event}");
        assert_eq!(event["request"], json!({"id": request_id, "ip": "203.0.113.7"}));
        assert_eq!(event["data"]["cancel_at_period_end"], true);
    }

    async fn a_forwarded_address_from_an_untrusted_peer_is_not_recorded(on: On) {
        let app = start(on, false).await;
        let (_, request_id, event) = cancel_through_proxy(&app).await;
        assert_eq!(event["request"], json!({"id": request_id, "ip": "127.0.0.1"}));
    }

    async fn an_api_change_names_its_key_and_request_and_a_renewal_names_portico(on: On) {
        let app = start(on, false).await;
        let seed = app.seed(&app.a.key, "audit").await;
        let r = app.patch(&app.a.key, &format!("/api/v1/customers/{}", seed.customer), json!({"name": "Renamed"})).await;
        r.expect(200);
        let request_id = r.header("x-request-id").unwrap().to_owned();
        let event = newest(&app, &seed.customer, "customer.updated").await;
        assert_eq!(event["actor"], json!({"type": "api_key", "api_key": app.a.key_id.to_string()}));
        assert_eq!(event["request"], json!({"id": request_id, "ip": "127.0.0.1"}));
        assert_eq!(event["data"]["name"], "Renamed");

        // The billing clock renews outside any request.
        let sub = app.get(&app.a.key, &format!("/api/v1/subscriptions/{}", seed.subscription)).await;
        let end = sub.expect(200).json["current_period_end"].as_str().unwrap().to_owned();
        let end = portico_core::Timestamp::parse_rfc3339("end", &end).unwrap();
        portico_app::billing::run_due(&app.state.app, &portico_store::ClockScope::Real, end.plus_secs(60)).await.unwrap();
        let event = newest(&app, &seed.customer, "subscription.renewed").await;
        assert_eq!(event["actor"], json!({"type": "system"}));
        assert_eq!(event["request"], Value::Null);
    }

    async fn portal_sessions_are_issued_entered_and_revoked_in_their_requests(on: On) {
        let app = start(on, true).await;
        let seed = app.seed(&app.a.key, "audit").await;
        let issued = app.portal_session(&app.a.key, json!({"customer": seed.customer})).await;
        let issued_in = issued.header("x-request-id").unwrap().to_owned();
        let token = issued.json["token"].as_str().unwrap();
        let event = newest(&app, &seed.customer, "portal_session.created").await;
        assert_eq!(event["actor"]["type"], "api_key", "{event}");
        assert_eq!(event["request"], json!({"id": issued_in, "ip": "127.0.0.1"}));

        let open = app.client.get(app.local(&format!("/portal?token={token}"))).header("x-forwarded-for", "203.0.113.9");
        let entered = app.send(open).await;
        entered.expect(303);
        let entered_in = entered.header("x-request-id").unwrap().to_owned();
        let event = newest(&app, &seed.customer, "portal_session.entered").await;
        assert_eq!(event["actor"], json!({"type": "customer", "customer": seed.customer, "portal_session": issued.id()}));
        assert_eq!(event["request"], json!({"id": entered_in, "ip": "203.0.113.9"}));

        let revoked = app.delete(&app.a.key, &format!("/api/v1/portal-sessions/{}", issued.id())).await;
        revoked.expect(200);
        let event = newest(&app, &seed.customer, "portal_session.revoked").await;
        assert_eq!(event["request"]["id"], revoked.header("x-request-id").unwrap());
    }

    async fn a_graphql_portal_session_names_its_key_and_request(on: On) {
        let app = start(on, false).await;
        let seed = app.seed(&app.a.key, "audit").await;
        let query = "mutation ($code: String!) { portalSessionCreate(tenantCode: $code) { errors token } }";
        let r = app.post(&app.a.key, "/graphql", json!({"query": query, "variables": {"code": seed.customer_alias}})).await;
        r.expect(200);
        assert!(r.json["data"]["portalSessionCreate"]["token"].is_string(), "{}", r.text);
        let event = newest(&app, &seed.customer, "portal_session.created").await;
        assert_eq!(event["actor"], json!({"type": "api_key", "api_key": app.a.key_id.to_string()}));
        assert_eq!(event["request"], json!({"id": r.header("x-request-id").unwrap(), "ip": "127.0.0.1"}));
    }

    async fn the_trail_pages_newest_first_and_refuses_unknown_filters(on: On) {
        let app = start(on, false).await;
        let seed = app.seed(&app.a.key, "audit").await;
        let k = &app.a.key;
        let all = app.get(k, &format!("/api/v1/events?customer={}&limit=100", seed.customer_alias)).await;
        all.expect(200);
        let ids: Vec<String> = all.json["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect();
        assert!(ids.len() >= 3, "{}", all.text);
        let mut sorted = ids.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(ids, sorted, "newest first");
        // Keyset pages: one at a time, the same events in the same order.
        let mut paged = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let cursor = after.as_ref().map(|a| format!("&starting_after={a}")).unwrap_or_default();
            let page = app.get(k, &format!("/api/v1/events?customer={}&limit=1{cursor}", seed.customer)).await;
            page.expect(200);
            let Some(e) = page.json["data"][0]["id"].as_str() else { break };
            paged.push(e.to_owned());
            after = Some(e.to_owned());
            if page.json["has_more"] == false {
                break;
            }
        }
        assert_eq!(paged, ids);
        app.get(k, "/api/v1/events?limit=101").await.expect_error(400, "BAD_REQUEST", "limit");
        app.get(k, "/api/v1/events?type=customer.exploded").await.expect_error(400, "BAD_REQUEST", "type");
        app.get(k, "/api/v1/events?customer=nobody").await.expect(404);
        app.get(k, "/api/v1/events/evt_01hzz0000000000000000000aa").await.expect(404);
        // Another account's events are not there.
        let theirs = app.get(&app.b.key, &format!("/api/v1/events/{}", ids[0])).await;
        theirs.expect(404);
    }
}
