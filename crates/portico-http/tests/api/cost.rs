//! SECURITY.md lines 29 and 30, cost and time: the worst-case shapes of each parser are refused
//! quickly while `/healthz` keeps answering, and slow or idle clients are cut off.

use std::time::Duration;

use portico_core::scope::{ApiScope, ApiScopes};
use portico_http::Clock;
use serde_json::json;

use portico_http::ServerLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{On, Options, Resp, TestApp, logs, new_key};

/// Far longer than any of these answers takes when the work is linear, far shorter than the
/// minutes the super-linear shapes took before they were refused.
const PROMPTLY: Duration = Duration::from_secs(20);

/// Runs `attacks` and, meanwhile, `GET /healthz`; all must finish within [`PROMPTLY`].
async fn while_healthz_answers<F: std::future::Future<Output = Vec<Resp>>>(
    app: &TestApp,
    attacks: F,
) -> Vec<Resp> {
    let health = async {
        tokio::task::yield_now().await;
        app.send(app.client.get(app.url("/healthz"))).await
    };
    let (answers, health) = tokio::time::timeout(PROMPTLY, async { tokio::join!(attacks, health) })
        .await
        .expect("the attack and /healthz answer promptly");
    health.expect(200);
    answers
}

/// `name0=1&name1=1&…`, as many unique parameters as fit in `size` bytes.
fn unique_form_parameters(size: usize) -> String {
    let mut body = String::with_capacity(size);
    for i in 0.. {
        let pair = format!("p{i}=1&");
        if body.len() + pair.len() > size {
            break;
        }
        body.push_str(&pair);
    }
    body
}

/// `{"p0": "1", "p1": "1", …}` in at most `size` bytes.
fn unique_json_members(size: usize) -> String {
    let mut body = String::with_capacity(size);
    body.push('{');
    for i in 0.. {
        let member = format!("\"p{i}\":\"1\",");
        if body.len() + member.len() + 16 > size {
            break;
        }
        body.push_str(&member);
    }
    body.push_str("\"last\":\"1\"}");
    body
}

/// Fragments `F0 … F{n-1}` on the query root, each spreading the one before it twice: about
/// 1 KiB of text whose expansion selects 2^n fields.
fn doubled_fragments(n: usize) -> String {
    let mut q = format!(
        "query {{ ...F{} }}\nfragment F0 on QueryRoot {{ __typename }}\n",
        n - 1
    );
    for i in 1..n {
        q.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

/// The app with these timeouts and this connection cap.
async fn limited(on: On, limits: ServerLimits) -> TestApp {
    TestApp::start_with(
        on.0,
        Options {
            limits: Some(limits),
            ..Options::default()
        },
    )
    .await
}

/// A connection that has sent `bytes` and nothing more.
async fn sent(app: &TestApp, bytes: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(bytes.as_bytes()).await.unwrap();
    stream
}

/// Everything the server sends until it closes the connection, which must happen within
/// `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(within, stream.read_to_end(&mut answer))
        .await
        .expect("the server closed the connection in time")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

const SECOND: Duration = Duration::from_secs(1);
/// Generous room for a one-second timeout to fire on a loaded machine.
const SOON: Duration = Duration::from_secs(10);
const LONG: Duration = Duration::from_secs(300);

portico_testkit::backend_tests! {
    async fn sec29_doubled_graphql_fragments_are_refused_promptly(app: TestApp) {
        // The least credential that reaches the schema.
        let scopes = ApiScopes::empty().with(ApiScope::CustomersRead);
        let (key, _) = new_key(app.store.as_ref(), &app.a.account, scopes, None, app.clock.now()).await;
        // Forty as the issue measured them; thirty stays within the schema's own recursion
        // limit, which would otherwise refuse the chain before expanding it.
        let ask = |n: usize| {
            let query = doubled_fragments(n);
            app.send(app.request(reqwest::Method::POST, "/graphql", &key).json(&json!({"query": query})))
        };
        let answers = while_healthz_answers(&app, async {
            let (a, b) = tokio::join!(ask(40), ask(30));
            vec![a, b]
        })
        .await;
        for r in answers {
            r.expect(200);
            let message = r.json["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("once its fragments are expanded"), "{}", r.text);
            assert_eq!(r.json["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", r.text);
        }
    }

    async fn sec29_a_mebibyte_of_unique_token_parameters_is_refused_promptly(app: TestApp) {
        let size = portico_http::BODY_LIMIT - 64;
        let form = app.client.post(app.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(unique_form_parameters(size));
        let json = app.client.post(app.url("/oauth/token"))
            .header("content-type", "application/json")
            .body(unique_json_members(size));
        let answers = while_healthz_answers(&app, async {
            let (a, b) = tokio::join!(app.send(form), app.send(json));
            vec![a, b]
        })
        .await;
        for r in answers {
            r.expect(400);
            assert_eq!(r.json["error"], "invalid_request", "{}", r.text);
            let description = r.json["error_description"].as_str().unwrap_or_default();
            assert!(description.contains("at most"), "{description}");
        }
    }

    async fn sec30_a_half_sent_request_is_closed_after_the_header_timeout(on: On) {
        let limits = ServerLimits { header_read_timeout: SECOND, idle_timeout: LONG, ..ServerLimits::default() };
        let app = limited(on, limits).await;
        let mut stream = sent(&app, "GET /healthz HTTP/1.1\r\nHost: portico\r\n").await;
        until_closed(&mut stream, SOON).await;
        // A whole request on a fresh connection is still answered.
        app.send(app.client.get(app.url("/healthz"))).await.expect(200);
    }

    async fn sec30_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(on: On) {
        let limits = ServerLimits { header_read_timeout: LONG, idle_timeout: SECOND, ..ServerLimits::default() };
        let app = limited(on, limits).await;
        let mut stream = sent(&app, "").await;
        until_closed(&mut stream, SOON).await;
    }

    async fn sec30_a_body_sent_too_slowly_is_408(on: On) {
        let limits = ServerLimits { body_read_timeout: SECOND, ..ServerLimits::default() };
        let app = limited(on, limits).await;
        let head = format!(
            "POST /api/v1/customers HTTP/1.1\r\nHost: portico\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"name\": ",
            app.a.key
        );
        let mut stream = sent(&app, &head).await;
        let answer = until_closed(&mut stream, SOON).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"code\":\"BAD_REQUEST\""), "{answer}");
        assert!(answer.contains("not received within 1 s"), "{answer}");
    }

    async fn sec30_at_the_connection_cap_new_clients_are_served_once_others_go(on: On) {
        logs::capture();
        let limits = ServerLimits { max_connections: 2, header_read_timeout: LONG, idle_timeout: LONG, ..ServerLimits::default() };
        let mut app = limited(on, limits).await;
        // The fixture's client keeps its connection from start-up; a fresh client has none.
        app.client = reqwest::Client::new();
        let held = [sent(&app, "GET /healthz HTTP/1.1\r\n").await, sent(&app, "GET /healthz HTTP/1.1\r\n").await];
        let deadline = tokio::time::Instant::now() + SOON;
        while !logs::text().contains("connection limit reached") {
            assert!(tokio::time::Instant::now() < deadline, "the cap was never reported");
            tokio::task::yield_now().await;
        }
        let fresh = reqwest::Client::new();
        let url = app.url("/healthz");
        let third = tokio::spawn(async move { fresh.get(url).send().await.map(|r| r.status().as_u16()) });
        tokio::task::yield_now().await;
        assert!(!third.is_finished(), "a connection past the cap was answered while both others were open");
        drop(held);
        let status = tokio::time::timeout(SOON, third).await.expect("served once others closed").unwrap().unwrap();
        assert_eq!(status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sec30_a_request_past_its_deadline_is_503() {
    // The real serving loop around a route that never answers.
    let router =
        axum::Router::new().route("/stuck", axum::routing::get(std::future::pending::<()>));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/stuck", listener.local_addr().unwrap());
    let limits = ServerLimits {
        request_timeout: SECOND,
        ..ServerLimits::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(portico_http::serve(listener, router, limits, async {
        let _ = stopped.await;
    }));
    let r = tokio::time::timeout(SOON, reqwest::get(&url))
        .await
        .expect("answered in time")
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "INTERNAL_SERVER_ERROR", "{body}");
    // Shutting down ends the loop once its connections are done.
    stop.send(()).unwrap();
    tokio::time::timeout(SOON, server)
        .await
        .expect("the server stopped")
        .unwrap();
}
