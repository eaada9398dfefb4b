//! Webhooks over real HTTP: endpoints through the API, deliveries from the outbox to a receiver
//! on loopback, signed as Standard Webhooks (checked here and by the `standardwebhooks` package
//! from PyPI), retried by the app's clock, filtered, refused for private targets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use portico_app::webhooks::targets::TargetPolicy;
use portico_app::webhooks::{self, RunReport};
use portico_core::PageRequest;
use portico_http::Clock;
use portico_store::Store;
use portico_testkit::workspace_root;
use serde_json::{Value, json};

use crate::support::{On, Options, Portal, TestApp};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on 127.0.0.1 that answers the statuses it is given in turn, then 200.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// How long it takes to answer, so that concurrent senders overlap.
    delay: Duration,
    /// Where a 3xx answer points.
    location: Option<String>,
}

impl Receiver {
    pub(crate) async fn start(answers: &[u16], delay: Duration) -> Receiver {
        Receiver::start_with(answers, delay, None).await
    }

    async fn start_with(answers: &[u16], delay: Duration, location: Option<String>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            delay,
            location,
            ..Receiver::default()
        };
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(receiver.clone());
        // It serves until the test's runtime ends.
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        receiver
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, HeaderMap) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    r.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    });
    tokio::time::sleep(r.delay).await;
    let status = r.answers.lock().unwrap().pop_front().unwrap_or(200);
    let mut answer = HeaderMap::new();
    if let Some(location) = &r.location {
        answer.insert("location", location.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), answer)
}

/// The `v1,` signature of a delivery with a `whsec_` secret, as Standard Webhooks defines it.
fn sign(secret: &str, r: &Received) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

pub(crate) async fn endpoint(app: &TestApp, body: Value) -> (String, String) {
    let r = app
        .post(&app.a.key, "/api/v1/webhook-endpoints", body)
        .await;
    r.expect(201);
    (r.id(), r.json["secret"].as_str().unwrap().to_owned())
}

async fn customer(app: &TestApp, alias: &str) -> String {
    let r = app
        .post(
            &app.a.key,
            "/api/v1/customers",
            json!({"alias": alias, "name": alias, "currency": "EUR"}),
        )
        .await;
    r.expect(201);
    r.id()
}

pub(crate) async fn run(app: &TestApp) -> RunReport {
    webhooks::run_once(&app.state.app).await.unwrap()
}

/// The newest event of account A.
async fn newest_event(app: &TestApp) -> portico_core::event::Event {
    app.store
        .events(&app.a.account, PageRequest::first(1))
        .await
        .unwrap()
        .data
        .remove(0)
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let r = app
        .get(
            &app.a.key,
            &format!("/api/v1/webhook-endpoints/{endpoint}/deliveries"),
        )
        .await;
    r.expect(200).json["data"].as_array().unwrap().clone()
}

async fn advance(app: &TestApp, clock: &str, to: &str) -> crate::support::Resp {
    let path = format!("/api/v1/test-clocks/{clock}/advance");
    app.post(&app.a.key, &path, json!({"frozen_time": to}))
        .await
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&app.a.key, &format!("/api/v1/subscriptions/{id}"))
        .await;
    r.expect(200).json.clone()
}

/// The Python that has the `standardwebhooks` package.
fn library_python() -> std::path::PathBuf {
    let python = workspace_root().join("target/compat/venv/bin/python");
    assert!(
        python.exists(),
        "the standardwebhooks package is needed but {} is missing: scripts/test installs it \
         (python3 -m venv target/compat/venv && target/compat/venv/bin/pip install 'standardwebhooks~=1.0')",
        python.display()
    );
    python
}

/// Verifies a delivery with the `standardwebhooks` package; its output is the payload.
async fn verify_with_library(
    python: std::path::PathBuf,
    secret: String,
    r: Received,
) -> std::process::Output {
    let script = "import sys, json\nfrom standardwebhooks.webhooks import Webhook\n\
        secret, wid, ts, sig, body = sys.argv[1:6]\n\
        payload = Webhook(secret).verify(body, {'webhook-id': wid, \
        'webhook-timestamp': ts, 'webhook-signature': sig})\n\
        print(json.dumps(payload))\n";
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([
                "-c",
                script,
                &secret,
                &r.id,
                &r.timestamp,
                &r.signature,
                &r.body,
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// A receiver on 127.0.0.1 that speaks raw HTTP: after the request it answers 200 and then
/// writes `x` for as long as the sender reads (or, with `answer` off, says nothing at all).
/// Counts the bytes of body it managed to write.
async fn raw_receiver(answer: bool) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                if !answer {
                    // Holds the connection open, silent, until the sender gives up.
                    let _ = socket.read(&mut request).await;
                    return;
                }
                let head =
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n";
                if socket.write_all(head).await.is_err() {
                    return;
                }
                let chunk = [b'x'; 16 * 1024];
                while socket.write_all(&chunk).await.is_ok() {
                    count.fetch_add(chunk.len(), Ordering::SeqCst);
                }
            });
        }
    });
    (url, written)
}

/// Verifies every delivery with the `standardwebhooks` package in one run; the payloads, in
/// order. A delivery it refuses fails the test with the library's reason.
async fn verify_all_with_library(secret: &str, got: &[Received]) -> Vec<Value> {
    use std::io::Write;
    let python = library_python();
    let script = "import sys, json\nfrom standardwebhooks.webhooks import Webhook\n\
        secret = sys.argv[1]\nout = []\n\
        for d in json.load(sys.stdin):\n    \
        out.append(Webhook(secret).verify(d['body'], {'webhook-id': d['id'], \
        'webhook-timestamp': d['timestamp'], 'webhook-signature': d['signature']}))\n\
        print(json.dumps(out))\n";
    let input = Value::from(
        got.iter()
            .map(|r| json!({"id": r.id, "timestamp": r.timestamp, "signature": r.signature, "body": r.body}))
            .collect::<Vec<_>>(),
    )
    .to_string();
    let secret = secret.to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(python)
            .args(["-c", script, &secret])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

portico_testkit::backend_tests! {
    async fn endpoints_are_created_listed_changed_and_deleted(app: TestApp) {
        let k = &app.a.key;
        let created = app
            .post(k, "/api/v1/webhook-endpoints", json!({
                "url": "https://127.0.0.1/hook", "description": "billing sync",
                "event_types": ["customer.created", "customer.created", "invoice.paid"],
            }))
            .await;
        created.expect(201);
        let id = created.id();
        assert!(id.starts_with("we_"));
        let secret = created.json["secret"].as_str().unwrap();
        let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
        assert!(key.len() >= 24);
        assert_eq!(created.json["event_types"], json!(["customer.created", "invoice.paid"]));
        assert_eq!(created.json["enabled"], true);

        // The secret is never shown again.
        let got = app.get(k, &format!("/api/v1/webhook-endpoints/{id}")).await;
        got.expect(200);
        assert!(got.json.get("secret").is_none());
        assert!(!got.text.contains(&secret[6..]));
        let listed = app.get(k, "/api/v1/webhook-endpoints").await;
        assert_eq!(listed.expect(200).list_ids(), vec![id.clone()]);
        // Nor is it stored in the clear.
        let row: (String,) = sqlx_row(&app, &id).await;
        assert!(row.0.starts_with("v1.") && !row.0.contains(&secret[6..]));

        let changed = app
            .patch(k, &format!("/api/v1/webhook-endpoints/{id}"),
                json!({"event_types": null, "enabled": false, "description": "off"}))
            .await;
        changed.expect(200);
        assert_eq!(changed.json["event_types"], Value::Null);
        assert_eq!(changed.json["enabled"], false);
        assert_eq!(changed.json["description"], "off");

        app.post(k, "/api/v1/webhook-endpoints", json!({
            "url": "https://127.0.0.1/hook", "event_types": ["customer.exploded"],
        })).await.expect_error(400, "BAD_REQUEST", "event_types");
        app.post(k, "/api/v1/webhook-endpoints", json!({
            "url": "https://127.0.0.1/hook", "event_types": [],
        })).await.expect_error(400, "BAD_REQUEST", "event_types");
        app.post(k, "/api/v1/webhook-endpoints", json!({"url": "not a url"}))
            .await.expect_error(400, "BAD_REQUEST", "url");

        // Another account sees none of it.
        app.get(&app.b.key, &format!("/api/v1/webhook-endpoints/{id}")).await.expect(404);
        assert!(app.get(&app.b.key, "/api/v1/webhook-endpoints").await.expect(200).list_ids().is_empty());
        app.delete(&app.b.key, &format!("/api/v1/webhook-endpoints/{id}")).await.expect(404);

        app.delete(k, &format!("/api/v1/webhook-endpoints/{id}")).await.expect(200);
        app.get(k, &format!("/api/v1/webhook-endpoints/{id}")).await.expect(404);
    }

    async fn reading_needs_webhooks_read_and_writing_webhooks_write(app: TestApp) {
        use portico_core::scope::ApiScope;
        let reader = crate::support::key_with(&app, &[ApiScope::WebhooksRead]).await;
        app.get(&reader, "/api/v1/webhook-endpoints").await.expect(200);
        app.post(&reader, "/api/v1/webhook-endpoints", json!({"url": "https://127.0.0.1/x"}))
            .await.expect_error(403, "FORBIDDEN", "webhooks:write");
        let other = crate::support::key_with(&app, &[ApiScope::CustomersWrite]).await;
        app.get(&other, "/api/v1/webhook-endpoints").await.expect_error(403, "FORBIDDEN", "webhooks:read");
    }

    async fn a_new_customer_arrives_signed_once_with_its_event_id(app: TestApp) {
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let (endpoint, secret) = endpoint(&app, json!({"url": receiver.url})).await;
        let customer = customer(&app, "acme").await;
        let event = newest_event(&app).await;

        let report = run(&app).await;
        assert_eq!((report.attempts, report.succeeded), (1, 1));
        let got = receiver.got();
        assert_eq!(got.len(), 1);
        let r = &got[0];
        assert_eq!(r.id, event.id.to_string());
        assert_eq!(r.signature, sign(&secret, r));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "customer.created");
        assert_eq!(body["data"]["id"], customer.as_str());
        assert_eq!(body["timestamp"], json!(event.created_at));
        let now = app.clock.now().as_secs();
        assert!((now - r.timestamp.parse::<i64>().unwrap()).abs() < 5);

        // Once: a second run sends nothing more.
        assert_eq!(run(&app).await.attempts, 0);
        assert_eq!(receiver.got().len(), 1);
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["event"], event.id.as_str());
        assert_eq!(log[0]["status"], "succeeded");
        assert_eq!(log[0]["attempts"], 1);
        assert_eq!(log[0]["last_status_code"], 200);
        assert!(log[0]["last_latency_ms"].is_i64());

        // Redelivery sends the same event again, with the same id.
        let delivery = log[0]["id"].as_str().unwrap().to_owned();
        assert!(delivery.starts_with("whd_"));
        app.post(&app.a.key, &format!("/api/v1/webhook-deliveries/{delivery}/redeliver"), json!(null))
            .await.expect(200);
        run(&app).await;
        let got = receiver.got();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].id, event.id.to_string());
        app.post(&app.b.key, &format!("/api/v1/webhook-deliveries/{delivery}/redeliver"), json!(null))
            .await.expect(404);
    }

    async fn a_failed_delivery_is_retried_after_its_backoff(app: TestApp) {
        let receiver = Receiver::start(&[500], Duration::ZERO).await;
        let (endpoint, _) = endpoint(&app, json!({"url": receiver.url})).await;
        customer(&app, "acme").await;
        assert_eq!(run(&app).await.succeeded, 0);
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log[0]["status"], "pending");
        assert_eq!(log[0]["last_status_code"], 500);
        assert!(log[0]["next_attempt_at"].is_string());
        // Not due yet: nothing is sent.
        assert_eq!(run(&app).await.attempts, 0);
        app.clock.advance_secs(10);
        assert_eq!(run(&app).await.succeeded, 1);
        let got = receiver.got();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].id, got[1].id);
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log[0]["status"], "succeeded");
        assert_eq!(log[0]["attempts"], 2);
    }

    async fn an_endpoint_that_keeps_failing_is_disabled_with_a_reason(app: TestApp) {
        let receiver = Receiver::start(&[500; 20], Duration::ZERO).await;
        let (endpoint, _) = endpoint(&app, json!({"url": receiver.url})).await;
        customer(&app, "acme").await;
        // Each step is longer than the longest wait with its jitter (14 h and a fifth).
        for _ in 0..12 {
            run(&app).await;
            app.clock.advance_secs(17 * 3600);
        }
        assert_eq!(receiver.got().len(), 11);
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log[0]["status"], "failed");
        assert_eq!(log[0]["attempts"], 11);
        let got = app.get(&app.a.key, &format!("/api/v1/webhook-endpoints/{endpoint}")).await;
        got.expect(200);
        assert_eq!(got.json["enabled"], false);
        assert!(got.json["disabled_reason"].as_str().unwrap().contains("failed"));
        // Disabled, it gets nothing new; enabled again, the reason goes.
        customer(&app, "later").await;
        run(&app).await;
        assert_eq!(receiver.got().len(), 11);
        let on = app.patch(&app.a.key, &format!("/api/v1/webhook-endpoints/{endpoint}"),
            json!({"enabled": true})).await;
        assert_eq!(on.expect(200).json["disabled_reason"], Value::Null);
    }

    async fn only_enabled_endpoints_that_want_the_type_get_it(app: TestApp) {
        let everything = Receiver::start(&[], Duration::ZERO).await;
        let contacts_only = Receiver::start(&[], Duration::ZERO).await;
        let disabled = Receiver::start(&[], Duration::ZERO).await;
        endpoint(&app, json!({"url": everything.url})).await;
        endpoint(&app, json!({"url": contacts_only.url, "event_types": ["contact.created"]})).await;
        endpoint(&app, json!({"url": disabled.url, "enabled": false})).await;
        // Another account's endpoint gets nothing of account A.
        let other = Receiver::start(&[], Duration::ZERO).await;
        app.post(&app.b.key, "/api/v1/webhook-endpoints", json!({"url": other.url})).await.expect(201);

        customer(&app, "acme").await;
        run(&app).await;
        let types = |r: &Receiver| -> Vec<String> {
            r.got().iter().map(|g| serde_json::from_str::<Value>(&g.body).unwrap()["type"]
                .as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(types(&everything), vec!["customer.created"]);
        assert!(types(&contacts_only).is_empty());
        assert!(types(&disabled).is_empty());
        assert!(types(&other).is_empty());
    }

    async fn a_rotated_secret_signs_beside_the_old_one_for_a_day(app: TestApp) {
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let (endpoint, old) = endpoint(&app, json!({"url": receiver.url})).await;
        let rotated = app
            .post(&app.a.key, &format!("/api/v1/webhook-endpoints/{endpoint}/rotate-secret"), json!(null))
            .await;
        rotated.expect(200);
        let new = rotated.json["secret"].as_str().unwrap().to_owned();
        assert_ne!(new, old);
        assert!(rotated.json["previous_secret_expires_at"].is_string());
        customer(&app, "during").await;
        run(&app).await;
        let r = &receiver.got()[0];
        let signatures: Vec<&str> = r.signature.split(' ').collect();
        assert_eq!(signatures, vec![sign(&new, r), sign(&old, r)]);

        app.clock.advance_secs(24 * 3600 + 1);
        customer(&app, "after").await;
        run(&app).await;
        let r = &receiver.got()[1];
        assert_eq!(r.signature, sign(&new, r));
    }

    async fn deliveries_are_signed_as_the_standardwebhooks_library_verifies(app: TestApp) {
        let python = library_python();
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let (endpoint, secret) = endpoint(&app, json!({"url": receiver.url})).await;
        app.post(&app.a.key, &format!("/api/v1/webhook-endpoints/{endpoint}/rotate-secret"), json!(null))
            .await.expect(200);
        customer(&app, "acme").await;
        run(&app).await;
        let r = receiver.got()[0].clone();
        // The old secret, during the overlap: the library accepts any one signature that matches.
        let verify = |secret: String, r: Received| verify_with_library(python.clone(), secret, r);
        let out = verify(secret.clone(), r.clone()).await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let payload: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(payload["type"], "customer.created");
        // A wrong secret fails the same check: the test can fail.
        let wrong = format!("whsec_{}", STANDARD.encode([7u8; 32]));
        assert!(!verify(wrong, r).await.status.success());
    }

    async fn private_targets_are_refused_at_delivery_time_too(app: TestApp) {
        // Made while the deployment allowed private targets, delivered after it stopped.
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let by_name = receiver.url.replace("127.0.0.1", "localhost");
        let (literal, _) = endpoint(&app, json!({"url": receiver.url})).await;
        let (named, _) = endpoint(&app, json!({"url": by_name})).await;
        customer(&app, "acme").await;
        let strict = app.state.app.clone().with_webhook_targets(TargetPolicy { allow_private: false });
        let report = webhooks::run_once(&strict).await.unwrap();
        assert_eq!((report.attempts, report.succeeded), (2, 0));
        assert!(receiver.got().is_empty());
        for endpoint in [literal, named] {
            let log = deliveries(&app, &endpoint).await;
            assert_eq!(log[0]["status"], "pending");
            assert_eq!(log[0]["last_status_code"], Value::Null);
            let error = log[0]["last_error"].as_str().unwrap();
            assert!(error.contains("loopback") || error.contains("https"), "{error}");
        }
    }

    async fn two_workers_never_send_one_delivery_twice(app: TestApp) {
        let receiver = Receiver::start(&[], Duration::from_millis(20)).await;
        endpoint(&app, json!({"url": receiver.url})).await;
        for i in 0..40 {
            customer(&app, &format!("c{i}")).await;
        }
        // A second node: its own connections to the same database.
        let store: Arc<dyn Store> = Arc::new(app.db.store().await);
        let master = portico_auth::signing::MasterKey::from_base64(&app.master.to_base64()).unwrap();
        let other = portico_app::App::new(store, app.clock.clone(), "http://other", master)
            .with_webhook_targets(TargetPolicy { allow_private: true });
        let (a, b) = tokio::join!(webhooks::run_once(&app.state.app), webhooks::run_once(&other));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.attempts + b.attempts, 40, "{a:?} {b:?}");
        let mut ids: Vec<String> = receiver.got().into_iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 40);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 40);
    }

    async fn a_test_clock_bills_its_customers_only_and_its_events_arrive_signed(app: TestApp) {
        let k = &app.a.key;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let clock_events = [
            "subscription.renewed", "subscription.past_due", "subscription.canceled",
            "invoice.issued", "invoice.payment_failed", "invoice.overdue",
        ];
        let (_, secret) = endpoint(&app, json!({"url": receiver.url, "event_types": clock_events})).await;
        let created = app
            .post(k, "/api/v1/test-clocks", json!({"name": "March", "frozen_time": "2027-03-01T00:00:00Z"}))
            .await;
        created.expect(201);
        let clock = created.json["id"].as_str().unwrap().to_owned();
        assert!(clock.starts_with("clock_"), "{clock}");
        let listed = app.get(k, "/api/v1/test-clocks").await;
        assert_eq!(listed.expect(200).json["data"][0]["id"], clock.as_str());
        let other = app.get(&app.b.key, &format!("/api/v1/test-clocks/{clock}")).await;
        other.expect(404);
        // A clock starts now or later: what it runs happens after the endpoints that exist.
        app.post(k, "/api/v1/test-clocks", json!({"frozen_time": "2020-01-01T00:00:00Z"}))
            .await.expect_error(400, "BAD_REQUEST", "frozen_time");

        let product = app.post(k, "/api/v1/products", json!({"name": "Cloud"})).await;
        let plan = app.post(k, "/api/v1/plans", json!({"product": product.id(), "name": "Pro",
            "interval": "month", "unit_amount": 2900, "currency": "EUR"})).await;
        let plan = plan.id();
        let tested = customer(&app, "tested").await;
        let real = customer(&app, "real").await;
        app.post(k, &format!("/api/v1/test-clocks/{clock}/customers"), json!({"customer": tested}))
            .await.expect(200);
        let subscribe = |customer: String| {
            let plan = plan.clone();
            let app = &app;
            async move {
                let r = app.post(&app.a.key, "/api/v1/subscriptions", json!({"customer": customer,
                    "plan": plan, "current_period_start": "2027-03-01T00:00:00Z"})).await;
                r.expect(201);
                r.id()
            }
        };
        let (tested_sub, real_sub) = (subscribe(tested.clone()).await, subscribe(real.clone()).await);
        // A customer with a subscription is billed by the real clock: it cannot be attached.
        app.post(k, &format!("/api/v1/test-clocks/{clock}/customers"), json!({"customer": real}))
            .await.expect_error(400, "BAD_REQUEST", "already has subscriptions");

        let advanced = advance(&app, &clock, "2027-04-01T00:00:00Z").await;
        advanced.expect(200);
        assert_eq!(advanced.json["frozen_time"], "2027-04-01T00:00:00Z");
        assert_eq!((advanced.json["run"]["renewed"].as_i64(), advanced.json["run"]["charges_failed"].as_i64()), (Some(1), Some(1)));
        advance(&app, &clock, "2027-04-01T00:00:00Z").await.expect_error(400, "BAD_REQUEST", "later than the clock");
        let moved = subscription(&app, &tested_sub).await;
        assert_eq!((moved["status"].as_str(), moved["current_period_end"].as_str()), (Some("past_due"), Some("2027-05-01T00:00:00Z")));
        // The real customer's period ended too, but a test clock never touches it.
        assert_eq!(subscription(&app, &real_sub).await["current_period_end"], "2027-04-01T00:00:00Z");
        // Retries on days 1, 3 and 5; after the last, the default rule cancels.
        let advanced = advance(&app, &clock, "2027-04-07T00:00:00Z").await;
        assert_eq!(advanced.expect(200).json["run"]["charges_failed"], 3);
        assert_eq!(subscription(&app, &tested_sub).await["status"], "canceled");

        run(&app).await;
        let got = receiver.got();
        let python = library_python();
        let mut types = std::collections::BTreeMap::<String, usize>::new();
        for r in got {
            assert_eq!(r.signature, sign(&secret, &r));
            let out = verify_with_library(python.clone(), secret.clone(), r.clone()).await;
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let payload: Value = serde_json::from_slice(&out.stdout).unwrap();
            let kind = payload["type"].as_str().unwrap().to_owned();
            let subject = if kind.starts_with("invoice.") { &payload["data"]["subscription"] } else { &payload["data"]["id"] };
            assert_eq!(subject, tested_sub.as_str(), "{kind} is about the tested subscription");
            *types.entry(kind).or_default() += 1;
        }
        let want: std::collections::BTreeMap<String, usize> = [
            ("subscription.renewed", 1), ("subscription.past_due", 1), ("subscription.canceled", 1),
            ("invoice.issued", 1), ("invoice.payment_failed", 4), ("invoice.overdue", 1),
        ].into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
        assert_eq!(types, want);

        // The real clock, far ahead: the real customer is renewed, the tested one is left to
        // its clock.
        let far = portico_core::Timestamp::parse_rfc3339("t", "2027-04-20T00:00:00Z").unwrap();
        let real_run = portico_app::billing::run_due(&app.state.app, &portico_store::ClockScope::Real, far).await.unwrap();
        assert_eq!(real_run.renewed, 1);
        assert_eq!(subscription(&app, &real_sub).await["current_period_end"], "2027-05-01T00:00:00Z");

        let deleted = app.delete(k, &format!("/api/v1/test-clocks/{clock}")).await;
        deleted.expect(200);
        app.get(k, &format!("/api/v1/test-clocks/{clock}")).await.expect(404);
    }

    async fn every_event_of_the_catalogue_reaches_a_receiver_signed(app: Portal) {
        use crate::portal_payments::{add_card, location, pay, take_payments};
        let k = &app.a.key;
        let receiver = Receiver::start(&[], Duration::ZERO).await;
        let (_, secret) = endpoint(&app, json!({"url": receiver.url})).await;
        take_payments(&app).await;
        app.patch(k, "/api/v1/portal-settings", json!({"subscription_changes": {"pause": true}}))
            .await.expect(200);

        // A customer on a test clock from its creation, with a contact who owns it.
        let start = app.clock.now();
        let clock = app.post(k, "/api/v1/test-clocks", json!({"frozen_time": start})).await.expect(201).id();
        let customer = app.post(k, "/api/v1/customers", json!({
            "alias": "catalogue", "name": "Catalogue GmbH", "currency": "EUR", "test_clock": clock,
        })).await.expect(201).id();
        let contact = app.post(k, "/api/v1/contacts", json!({
            "customer": customer, "email": "ana@catalogue.example", "role": "owner",
        })).await.expect(201).id();
        let product = app.post(k, "/api/v1/products", json!({"name": "Cloud"})).await.expect(201).id();
        let plan = |name: &str, amount: i64| json!({"product": product, "name": name,
            "interval": "month", "unit_amount": amount, "currency": "EUR"});
        let pro = app.post(k, "/api/v1/plans", plan("Pro", 2900)).await.expect(201).id();
        let basic = app.post(k, "/api/v1/plans", plan("Basic", 900)).await.expect(201).id();
        let sub = app.post(k, "/api/v1/subscriptions", json!({
            "customer": customer, "plan": pro, "current_period_start": start,
        })).await.expect(201).id();

        // The portal: issued, entered, and every action through its forms.
        let session = app.portal_session(k, json!({"customer": customer, "contact": contact})).await;
        let cookie = app.enter(session.json["token"].as_str().unwrap()).await;
        let account = app.browse("/portal/account", Some(&cookie)).await;
        let csrf = account.expect(200).csrf();
        let form = [("csrf", csrf.as_str()), ("name", "Catalogue AG"), ("email", "ap@catalogue.example"),
            ("line1", "Hauptstraße 5"), ("line2", ""), ("postal_code", "10115"), ("city", "Berlin"),
            ("state", ""), ("country", "de"), ("tax_id", "")];
        app.submit("/portal/account", Some(&cookie), &form).await.expect(303);
        add_card(&app, &cookie, "4242424242424242").await;
        let bill = app.post(k, "/api/v1/invoices", json!({"customer": customer, "status": "open",
            "tax_rate_bps": 0, "lines": [{"description": "Setup", "quantity": 1, "unit_amount": 5000}]}))
            .await.expect(201).id();
        let paid = location(&pay(&app, &cookie, &bill, None).await);
        app.browse(&paid, Some(&cookie)).await;
        assert_eq!(app.get(k, &format!("/api/v1/invoices/{bill}")).await.json["status"], "paid");
        // The card every charge of the clock will decline becomes the default; the other goes.
        add_card(&app, &cookie, "4000000000000002").await;
        let methods = app.get(k, &format!("/api/v1/payment-methods?customer={customer}")).await;
        let card = |last4: &str| methods.json["data"].as_array().unwrap().iter()
            .find(|m| m["last4"] == last4).unwrap()["id"].as_str().unwrap().to_owned();
        let page = app.browse("/portal/payment-method", Some(&cookie)).await;
        let csrf = page.csrf();
        let done = app.submit(&format!("/portal/payment-method/{}/default", card("0002")), Some(&cookie), &[("csrf", &csrf)]).await;
        assert_eq!(location(&done), "/portal/payment-method?done=default_changed");
        let done = app.submit(&format!("/portal/payment-method/{}/remove", card("4242")), Some(&cookie), &[("csrf", &csrf)]).await;
        assert_eq!(location(&done), "/portal/payment-method?done=method_removed");
        let actions = format!("/portal/subscriptions/{sub}");
        let cancel = [("csrf", csrf.as_str()), ("mode", "at_period_end"), ("reason", "Too expensive"), ("comment", "")];
        app.submit(&format!("{actions}/cancel"), Some(&cookie), &cancel).await.expect(303);
        app.submit(&format!("{actions}/resume"), Some(&cookie), &[("csrf", &csrf)]).await.expect(303);
        app.submit(&format!("{actions}/pause"), Some(&cookie), &[("csrf", &csrf), ("periods", "1")]).await.expect(303);
        app.submit(&format!("{actions}/unpause"), Some(&cookie), &[("csrf", &csrf)]).await.expect(303);
        let preview = app.browse(&format!("{actions}/preview?plan={basic}&quantity=1"), Some(&cookie)).await;
        let quote = {
            let marker = "name=\"quote\" value=\"";
            let at = preview.expect(200).text.find(marker).unwrap() + marker.len();
            let end = preview.text[at..].find('"').unwrap();
            preview.text[at..at + end].replace("&quot;", "\"").replace("&amp;", "&")
        };
        let change = [("csrf", csrf.as_str()), ("plan", basic.as_str()), ("quantity", "1"), ("quote", quote.as_str())];
        let done = app.submit(&format!("{actions}/change"), Some(&cookie), &change).await;
        assert_eq!(location(&done), "/portal/subscriptions?done=change-scheduled");
        app.submit("/portal/logout", Some(&cookie), &[("csrf", &csrf)]).await.expect(200);

        // The vendor voids an invoice it opened; the clock renews, fails to charge, duns and
        // cancels.
        let void = app.post(k, "/api/v1/invoices", json!({"customer": customer, "status": "draft",
            "tax_rate_bps": 0, "lines": [{"description": "Extra", "quantity": 1, "unit_amount": 700}]}))
            .await.expect(201).id();
        app.patch(k, &format!("/api/v1/invoices/{void}"), json!({"status": "open"})).await.expect(200);
        app.patch(k, &format!("/api/v1/invoices/{void}"), json!({"status": "void"})).await.expect(200);
        let end = subscription(&app, &sub).await["current_period_end"].as_str().unwrap().to_owned();
        advance(&app, &clock, &end).await.expect(200);
        let later = portico_core::Timestamp::parse_rfc3339("t", &end).unwrap().plus_secs(7 * 86_400);
        advance(&app, &clock, &later.to_string()).await.expect(200);
        assert_eq!(subscription(&app, &sub).await["status"], "canceled");

        run(&app).await;
        let got = receiver.got();
        for r in &got {
            assert_eq!(r.signature, sign(&secret, r));
        }
        let payloads = verify_all_with_library(&secret, &got).await;
        assert_eq!(payloads.len(), got.len());
        let received: std::collections::BTreeSet<&str> =
            payloads.iter().map(|p| p["type"].as_str().unwrap()).collect();
        let catalogue = [
            "portal_session.created", "portal_session.entered", "portal_session.revoked",
            "customer.updated",
            "payment_method.attached", "payment_method.detached", "payment_method.default_changed",
            "subscription.created", "subscription.updated", "subscription.canceled",
            "subscription.resumed", "subscription.paused", "subscription.renewed",
            "subscription.past_due", "subscription.change_scheduled",
            "invoice.issued", "invoice.paid", "invoice.payment_failed", "invoice.overdue",
            "invoice.voided",
            "transaction.created",
        ];
        let missing: Vec<&str> = catalogue.into_iter().filter(|t| !received.contains(t)).collect();
        assert!(missing.is_empty(), "never received: {missing:?} (got {received:?})");
        // Invoices the vendor issues are issued as much as the clock's: opened at creation, or
        // later from a draft; and the vendor's void says so.
        let about = |kind: &str| -> Vec<&str> {
            payloads.iter().filter(|p| p["type"] == kind).map(|p| p["data"]["id"].as_str().unwrap()).collect()
        };
        let issued = about("invoice.issued");
        assert!(issued.contains(&bill.as_str()) && issued.contains(&void.as_str()), "{issued:?}");
        assert_eq!(about("invoice.voided"), [void.as_str()]);
        // Each delivery is the event as stored, once.
        let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), got.len());
    }

    async fn a_customer_is_created_on_a_test_clock_of_its_account_only(app: TestApp) {
        let k = &app.a.key;
        let now = app.clock.now();
        let mine = app.post(k, "/api/v1/test-clocks", json!({"frozen_time": now})).await.expect(201).id();
        let theirs = app.post(&app.b.key, "/api/v1/test-clocks", json!({"frozen_time": now})).await.expect(201).id();
        let body = |clock: &str| json!({"alias": "clocked", "name": "Clocked", "currency": "EUR", "test_clock": clock});
        for clock in [theirs.as_str(), "clock_000000000000000000000000", "\u{7}"] {
            app.post(k, "/api/v1/customers", body(clock)).await.expect_error(400, "BAD_REQUEST", "test_clock");
        }
        // Refused, nothing was made: the alias is still free.
        let customer = app.post(k, "/api/v1/customers", body(&mine)).await.expect(201).id();
        let product = app.post(k, "/api/v1/products", json!({"name": "Cloud"})).await.expect(201).id();
        let plan = app.post(k, "/api/v1/plans", json!({"product": product, "name": "Pro",
            "interval": "month", "unit_amount": 2900, "currency": "EUR"})).await.expect(201).id();
        let sub = app.post(k, "/api/v1/subscriptions", json!({"customer": customer, "plan": plan,
            "current_period_start": now})).await.expect(201).id();
        let end = subscription(&app, &sub).await["current_period_end"].as_str().unwrap().to_owned();
        // The real clock, past the period's end, leaves it to its test clock, which renews it.
        let after = portico_core::Timestamp::parse_rfc3339("t", &end).unwrap().plus_secs(3600);
        let real = portico_app::billing::run_due(&app.state.app, &portico_store::ClockScope::Real, after).await.unwrap();
        assert_eq!(real.renewed, 0);
        let advanced = advance(&app, &mine, &after.to_string()).await;
        assert_eq!(advanced.expect(200).json["run"]["renewed"], 1);
        assert_ne!(subscription(&app, &sub).await["current_period_end"], end.as_str());
    }

    async fn a_receiver_that_fails_three_times_then_succeeds_gets_the_event_with_the_same_id(app: TestApp) {
        let receiver = Receiver::start(&[500, 502, 503], Duration::ZERO).await;
        let (endpoint, secret) = endpoint(&app, json!({"url": receiver.url})).await;
        customer(&app, "acme").await;
        let event = newest_event(&app).await;
        for _ in 0..4 {
            run(&app).await;
            // Past the longest wait with its jitter.
            app.clock.advance_secs(17 * 3600);
        }
        let got = receiver.got();
        assert_eq!(got.len(), 4);
        for r in &got {
            assert_eq!(r.id, event.id.to_string());
            assert_eq!(r.signature, sign(&secret, r));
        }
        let log = deliveries(&app, &endpoint).await;
        assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("succeeded"), Some(4)));
        assert_eq!(log[0]["last_status_code"], 200);
    }

    async fn sec36_plain_http_to_loopback_needs_the_development_setting(on: On) {
        let strict = refusing_private_targets(on).await;
        strict.post(&strict.a.key, "/api/v1/webhook-endpoints", json!({"url": "http://127.0.0.1:9/hook"}))
            .await.expect_error(400, "BAD_REQUEST", "url");
        let development = TestApp::start_with(on.0, Options::default()).await;
        development.post(&development.a.key, "/api/v1/webhook-endpoints", json!({"url": "http://127.0.0.1:9/hook"}))
            .await.expect(201);
        development.post(&development.a.key, "/api/v1/webhook-endpoints", json!({"url": "http://93.184.216.34/hook"}))
            .await.expect_error(400, "BAD_REQUEST", "url");
    }

    async fn sec36_a_receiver_that_never_answers_is_cut_off_at_the_attempt_timeout(app: TestApp) {
        let (url, _) = raw_receiver(false).await;
        let (endpoint, _) = endpoint(&app, json!({"url": url})).await;
        customer(&app, "acme").await;
        let started = std::time::Instant::now();
        let report = run(&app).await;
        let took = started.elapsed();
        assert_eq!((report.attempts, report.succeeded), (1, 0));
        assert!(took >= webhooks::delivery::ATTEMPT_TIMEOUT, "{took:?}");
        assert!(took < webhooks::delivery::ATTEMPT_TIMEOUT + Duration::from_secs(10), "{took:?}");
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log[0]["status"], "pending");
        assert_eq!(log[0]["last_status_code"], Value::Null);
        assert!(log[0]["last_error"].as_str().unwrap().contains("timed out"), "{}", log[0]);
    }

    async fn sec36_an_endless_answer_is_read_only_up_to_the_cap(app: TestApp) {
        let (url, written) = raw_receiver(true).await;
        let (endpoint, _) = endpoint(&app, json!({"url": url})).await;
        customer(&app, "acme").await;
        let started = std::time::Instant::now();
        let report = run(&app).await;
        // Read to its end, the answer would never end: the attempt would time out and fail.
        assert_eq!((report.attempts, report.succeeded), (1, 1));
        assert!(started.elapsed() < webhooks::delivery::ATTEMPT_TIMEOUT, "{:?}", started.elapsed());
        let log = deliveries(&app, &endpoint).await;
        assert_eq!((log[0]["status"].as_str(), log[0]["last_status_code"].as_i64()), (Some("succeeded"), Some(200)));
        // What the receiver could write is what the socket buffers held, not what it offered.
        let sent = written.load(std::sync::atomic::Ordering::SeqCst);
        assert!(sent < 64 * 1024 * 1024, "{sent} bytes");
    }

    async fn the_document_holds_a_schema_per_event_type(app: TestApp) {
        use portico_core::event::EventType;
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        let schemas = &doc.expect(200).json["components"]["schemas"];
        let any = schemas["WebhookEvent"]["oneOf"].as_array().unwrap();
        assert_eq!(any.len(), EventType::ALL.len());
        for kind in EventType::ALL {
            let schema = &schemas[format!("WebhookEvent.{kind}")];
            assert_eq!(schema["properties"]["type"]["enum"], json!([kind.as_str()]), "{kind}");
            let data = schema["properties"]["data"]["$ref"].as_str().unwrap_or_default();
            let record = data.rsplit('/').next().unwrap_or_default();
            assert!(schemas[record]["properties"].is_object(), "{kind}: data is {data:?}");
        }
        let customer = &schemas["WebhookEvent.customer.created"]["properties"]["data"]["$ref"];
        assert_eq!(customer, "#/components/schemas/Customer");
        let card = &schemas["WebhookEvent.payment_method.updated"]["properties"]["data"]["$ref"];
        assert_eq!(card, "#/components/schemas/PaymentMethod");
    }

    async fn redirects_are_not_followed(app: TestApp) {
        let elsewhere = Receiver::start(&[], Duration::ZERO).await;
        let redirecting =
            Receiver::start_with(&[307; 3], Duration::ZERO, Some(elsewhere.url.clone())).await;
        let (endpoint, _) = endpoint(&app, json!({"url": redirecting.url})).await;
        customer(&app, "acme").await;
        assert_eq!(run(&app).await.succeeded, 0);
        assert_eq!(redirecting.got().len(), 1);
        assert!(elsewhere.got().is_empty());
        let log = deliveries(&app, &endpoint).await;
        assert_eq!(log[0]["status"], "pending");
        assert_eq!(log[0]["last_status_code"], 307);
    }

    async fn private_and_plain_http_targets_are_refused_at_registration(on: On) {
        let app = refusing_private_targets(on).await;
        for (case, url) in [
            ("plain http", "http://93.184.216.34/hook"),
            ("loopback", "https://127.0.0.1/hook"),
            ("loopback by name", "https://localhost/hook"),
            ("IPv6 loopback", "https://[::1]/hook"),
            ("private", "https://10.0.0.1/hook"),
            ("private", "https://192.168.1.10/hook"),
            ("link-local metadata", "https://169.254.169.254/latest/meta-data"),
            ("IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/hook"),
            ("credentials in the URL", "https://user:pw@93.184.216.34/hook"),
        ] {
            let r = app.post(&app.a.key, "/api/v1/webhook-endpoints", json!({"url": url})).await;
            assert_eq!(r.status, 400, "{case}: {url} answered {}", r.status);
            r.expect_error(400, "BAD_REQUEST", "url");
        }
        // A public address is accepted (no connection is made to register it).
        app.post(&app.a.key, "/api/v1/webhook-endpoints", json!({"url": "https://93.184.216.34/hook"}))
            .await.expect(201);
    }
}

/// The app as deployed: webhook targets must be public and https.
async fn refusing_private_targets(on: On) -> TestApp {
    let options = Options {
        refuse_private_webhook_targets: true,
        ..Options::default()
    };
    TestApp::start_with(on.0, options).await
}

/// The stored secret of an endpoint, as the database has it.
async fn sqlx_row(app: &TestApp, id: &str) -> (String,) {
    let mut raw = app.db.raw().await;
    (raw.scalar::<String>(&format!(
        "SELECT secret_sealed FROM webhook_endpoints WHERE id = '{id}'"
    ))
    .await,)
}
