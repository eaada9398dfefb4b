//! Operations: a panicking handler and a late one answer in JSON with their request id while the
//! server goes on serving; the Prometheus scrape moves with the traffic and no label holds an id
//! or a token, and its billing clock and webhook series move with a clock run and deliveries;
//! limits per client address follow `X-Forwarded-For` only from a trusted proxy.

use std::time::Duration;

use portico_http::ServerLimits;
use portico_http::ratelimit::Quota;
use serde_json::Value;

use crate::support::{GENEROUS, On, Options, TestApp, logs};

const SOON: Duration = Duration::from_secs(20);

/// Serves `router` through the real serving loop on a free port; returns its base URL.
async fn serve(router: axum::Router, limits: ServerLimits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(portico_http::serve(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_with_its_request_id_and_the_server_keeps_serving() {
    logs::capture();
    let router = axum::Router::new()
        .route(
            "/boom",
            axum::routing::get(|| async {
                if true {
                    panic!("the books do not balance");
                }
                "unreachable"
            }),
        )
        .route("/fine", axum::routing::get(|| async { "fine" }));
    let base = serve(router, ServerLimits::default()).await;
    let client = reqwest::Client::new();
    let boom = |id: &'static str| {
        client
            .get(format!("{base}/boom"))
            .header("x-request-id", id)
            .send()
    };

    let r = boom("report-4711").await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["x-request-id"], "report-4711");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INTERNAL_SERVER_ERROR", "{body}");
    assert_eq!(body["message"], "internal error (request id report-4711)");
    let logged = logs::text();
    let line = logged
        .lines()
        .find(|l| l.contains("the handler panicked"))
        .expect("the panic is logged");
    let line: Value = serde_json::from_str(line).unwrap();
    assert_eq!(line["span"]["request_id"], "report-4711", "{line}");
    assert_eq!(
        line["fields"]["panic"], "the books do not balance",
        "{line}"
    );

    // A caller's id that is not plain is replaced, and the new one is named in the body.
    let r = boom("two words").await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], format!("internal error (request id {id})"));

    // The same client (and its kept-alive connection) and a new one are served as before.
    for client in [client, reqwest::Client::new()] {
        let r = client.get(format!("{base}/fine")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "fine");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_a_json_503_with_its_request_id() {
    let router =
        axum::Router::new().route("/stuck", axum::routing::get(std::future::pending::<()>));
    let limits = ServerLimits {
        request_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let base = serve(router, limits).await;
    let r = tokio::time::timeout(
        SOON,
        reqwest::Client::new()
            .get(format!("{base}/stuck"))
            .header("x-request-id", "slow-1")
            .send(),
    )
    .await
    .expect("answered at the deadline")
    .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["x-request-id"], "slow-1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INTERNAL_SERVER_ERROR", "{body}");
}

/// The sum of the samples of `name` whose labels include each of `labels`.
fn sample(scrape: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            let wanted = metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            wanted.then(|| value.parse::<f64>().unwrap())
        })
        .sum()
}

/// Every label value of the scrape.
fn label_values(scrape: &str) -> Vec<String> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| Some(l.split_once('{')?.1.rsplit_once('}')?.0.to_owned()))
        .flat_map(|labels| {
            labels
                .split("\",")
                .filter_map(|pair| Some(pair.split_once("=\"")?.1.trim_end_matches('"').to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The statuses of the two limits per client address for a request that names `client` in
/// `X-Forwarded-For`: a redirect exchange (of a link that does not exist) and an API request
/// with a wrong key.
async fn per_address(app: &TestApp, client: &str) -> (u16, u16) {
    let open = app.client.get(app.url("/redirect/not-a-real-link"));
    let wrong = app.request(
        reqwest::Method::GET,
        "/api/v1/customers",
        &format!("{}x", app.a.key),
    );
    let exchange = app
        .send(open.header("x-forwarded-for", client))
        .await
        .status;
    let failure = app
        .send(wrong.header("x-forwarded-for", client))
        .await
        .status;
    (exchange, failure)
}

portico_testkit::backend_tests! {
    async fn the_metrics_scrape_moves_with_the_traffic_and_holds_no_id_or_token(on: On) {
        let handle = portico_http::metrics::install();
        let metrics = serve(portico_http::metrics::router(handle), ServerLimits::default()).await;
        let scrape = || async {
            let r = reqwest::get(format!("{metrics}/metrics")).await.unwrap();
            assert_eq!(r.status(), 200);
            assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
            r.text().await.unwrap()
        };
        let exchange = Quota { per_second: 1, burst: 1 };
        let app = TestApp::start_with(on.0, Options { exchange_quota: Some(exchange), ..Options::default() }).await;
        let before = scrape().await;

        let p = app.person(&app.a.key, "metrics", "owner").await;
        let (session, token) = app.issue(&app.a.key, &p.customer).await;
        app.get(&app.a.key, &format!("/api/v1/customers/{}", p.customer)).await.expect(200);
        app.get(&app.a.key, "/api/v1/customers/cus_00000000000000000000000000").await.expect(404);
        let link = "/redirect/Zm9yZ2VkLXJlZGlyZWN0LXRva2VuLW5ldmVyLWlzc3VlZA";
        app.browse(link, None).await.expect(401);
        app.browse(link, None).await.expect(429);
        let after = scrape().await;

        let moved = |name: &str, labels: &[(&str, &str)]| sample(&after, name, labels) - sample(&before, name, labels);
        let route = |r: &'static str| [("method", "GET"), ("route", r), ("status", "2xx")];
        assert_eq!(moved("portico_http_requests_total", &route("/api/v1/customers/{id_or_alias}")), 1.0);
        let missing = [("method", "GET"), ("route", "/api/v1/customers/{id_or_alias}"), ("status", "4xx")];
        assert_eq!(moved("portico_http_requests_total", &missing), 1.0);
        let redirect = [("route", "/redirect/{token}"), ("status", "4xx")];
        assert_eq!(moved("portico_http_requests_total", &redirect), 2.0);
        assert_eq!(moved("portico_http_request_duration_seconds_count", &route("/api/v1/customers/{id_or_alias}")), 1.0);
        assert!(moved("portico_http_request_duration_seconds_bucket", &[("route", "/api/v1/customers/{id_or_alias}"), ("le", "+Inf")]) >= 1.0);
        assert_eq!(moved("portico_rate_limited_total", &[("limiter", "exchange")]), 1.0);
        assert!(moved("portico_store_write_group_size_count", &[("outcome", "committed")]) >= 1.0, "{after}");
        assert!(moved("portico_store_write_group_duration_seconds_count", &[]) >= 1.0);
        assert!(moved("portico_store_sync_duration_seconds_count", &[]) >= 1.0);
        assert!(moved("portico_store_cache_lookups_total", &[("result", "hit")]) >= 1.0);
        assert!(moved("portico_store_cache_lookups_total", &[("result", "miss")]) >= 1.0);

        let values = label_values(&after);
        assert!(values.iter().any(|v| v == "/api/v1/customers/{id_or_alias}"), "{values:?}");
        for secret in [p.customer.as_str(), p.contact.as_str(), &session, &token, &app.a.key, &link[10..], "cus_0000"] {
            assert!(!values.iter().any(|v| v.contains(secret)), "{secret} is in a label");
        }
    }

    async fn the_billing_clock_and_webhook_series_move_with_a_clock_run_and_deliveries(app: TestApp) {
        use crate::webhooks::{Receiver, endpoint};
        use portico_core::Timestamp;
        use portico_http::Clock;
        let handle = portico_http::metrics::install();
        let metrics = serve(portico_http::metrics::router(handle), ServerLimits::default()).await;
        let scrape = || async { reqwest::get(format!("{metrics}/metrics")).await.unwrap().text().await.unwrap() };
        let backlog = |at: Timestamp| {
            let app = &app;
            async move { portico_app::billing::report_backlog(&app.state.app, at).await.unwrap() }
        };
        let k = &app.a.key;
        // The receiver refuses the first delivery; it is retried.
        let receiver = Receiver::start(&[500], Duration::ZERO).await;
        endpoint(&app, serde_json::json!({"url": receiver.url})).await;
        let customer = app.post(k, "/api/v1/customers", serde_json::json!({"name": "Due", "currency": "EUR"})).await.expect(201).id();
        let product = app.post(k, "/api/v1/products", serde_json::json!({"name": "Cloud"})).await.expect(201).id();
        let plan = app.post(k, "/api/v1/plans", serde_json::json!({"product": product, "name": "Pro",
            "interval": "month", "unit_amount": 2900, "currency": "EUR"})).await.expect(201).id();
        let sub = app.post(k, "/api/v1/subscriptions", serde_json::json!({"customer": customer, "plan": plan})).await;
        sub.expect(201);
        let end = Timestamp::parse_rfc3339("end", sub.json["current_period_end"].as_str().unwrap()).unwrap();
        let before = scrape().await;

        // An hour past the period's end, the renewal waits: one due action, an hour late.
        let late = end.plus_secs(3600);
        backlog(late).await;
        let waiting = scrape().await;
        assert_eq!(sample(&waiting, "portico_billing_clock_due", &[]), 1.0, "{waiting}");
        // (The period's end is shown to the second; it is kept to the millisecond.)
        let lag = sample(&waiting, "portico_billing_clock_lag_seconds", &[]);
        assert!((3599.0..=3600.0).contains(&lag), "{lag}");
        // The customer's, product's, plan's and subscription's events wait to be sent.
        assert_eq!(sample(&waiting, "portico_webhook_queue_depth", &[]), 4.0);

        // The clock renews it; without a card its charge fails, and the retry is a day away.
        let run = portico_app::billing::run_due(&app.state.app, &portico_store::ClockScope::Real, late).await.unwrap();
        assert_eq!((run.renewed, run.failed), (1, 1));
        backlog(late).await;
        let renewed = scrape().await;
        let moved = |now: &str, name: &str, labels: &[(&str, &str)]| sample(now, name, labels) - sample(&before, name, labels);
        assert_eq!(moved(&renewed, "portico_billing_renewals_total", &[]), 1.0);
        assert_eq!(moved(&renewed, "portico_billing_charges_total", &[("outcome", "failed")]), 1.0);
        assert_eq!(moved(&renewed, "portico_billing_charges_total", &[("outcome", "paid")]), 0.0);
        assert_eq!(sample(&renewed, "portico_billing_clock_due", &[]), 0.0);
        assert_eq!(sample(&renewed, "portico_billing_clock_lag_seconds", &[]), 0.0);
        // A day later the retry is due.
        backlog(late.plus_secs(86_400 + 60)).await;
        assert_eq!(sample(&scrape().await, "portico_billing_clock_due", &[]), 1.0);

        // Deliveries: all but the refused one succeed; then its retry does, and the queue is empty.
        let sent = crate::webhooks::run(&app).await;
        backlog(app.clock.now()).await;
        let delivered = scrape().await;
        assert_eq!(moved(&delivered, "portico_webhook_attempts_total", &[("outcome", "pending")]), 1.0);
        assert_eq!(moved(&delivered, "portico_webhook_attempts_total", &[("outcome", "succeeded")]), (sent.attempts - 1) as f64);
        assert_eq!(sample(&delivered, "portico_webhook_queue_depth", &[]), 1.0);
        app.clock.advance_secs(10);
        crate::webhooks::run(&app).await;
        backlog(app.clock.now()).await;
        let done = scrape().await;
        assert_eq!(moved(&done, "portico_webhook_attempts_total", &[("outcome", "succeeded")]), sent.attempts as f64);
        assert_eq!(sample(&done, "portico_webhook_queue_depth", &[]), 0.0);
        assert_eq!(receiver.got().len(), sent.attempts + 1);
    }

    async fn limits_per_client_address_follow_forwarded_for_only_from_a_trusted_proxy(on: On) {
        let quota = Quota { per_second: 1, burst: 2 };
        let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let start = |proxies: Vec<std::net::IpAddr>| {
            let options = Options { exchange_quota: Some(quota), failures: Some((quota, proxies)), ..Options::default() };
            TestApp::start_with(on.0, options)
        };
        // Behind a trusted proxy (the tests connect from 127.0.0.1) each client has its bucket.
        let app = start(vec![proxy]).await;
        for _ in 0..2 {
            assert_eq!(per_address(&app, "203.0.113.7").await, (401, 401));
        }
        assert_eq!(per_address(&app, "203.0.113.7").await, (429, 429));
        assert_eq!(per_address(&app, "203.0.113.8").await, (401, 401));

        // From a peer that is no trusted proxy the header is the client's own word: ignored, so
        // every address it names shares the peer's one bucket.
        let app = start(Vec::new()).await;
        for _ in 0..2 {
            assert_eq!(per_address(&app, "203.0.113.7").await, (401, 401));
        }
        assert_eq!(per_address(&app, "203.0.113.8").await, (429, 429));
        assert_eq!(per_address(&app, "198.51.100.1").await, (429, 429));

        // The API's own limit is per credential, wherever the request comes from.
        let options = Options {
            api_quota: Some(Quota { per_second: 1, burst: 1 }),
            failures: Some((GENEROUS, vec![proxy])),
            ..Options::default()
        };
        let app = TestApp::start_with(on.0, options).await;
        let list = |key: &str, client: &str| {
            app.request(reqwest::Method::GET, "/api/v1/customers", key).header("x-forwarded-for", client.to_owned())
        };
        app.send(list(&app.a.key, "203.0.113.7")).await.expect(200);
        app.send(list(&app.a.key, "203.0.113.8")).await.expect(429);
        app.send(list(&app.b.key, "203.0.113.7")).await.expect(200);
    }
}
