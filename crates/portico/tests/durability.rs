//! The server process: crash safety (killed with SIGKILL in the middle of issuance load and
//! restarted, every portal token it had answered with 200 must still open the portal), and the
//! background work `portico serve` runs by itself (webhook delivery).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portico_testkit::{Backend, TestDatabase};

struct Server {
    child: Child,
    base: String,
}

fn portico(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "warn")
        .envs(env.iter().cloned());
    cmd
}

fn run(env: &[(String, String)], args: &[&str]) -> String {
    let out = portico(env).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "portico {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Creates the account `acme` from the command line, and an API key of `scopes` in it.
fn acme_with_key(env: &[(String, String)], scopes: &str) -> String {
    run(
        env,
        &["account", "create", "--subdomain", "acme", "--name", "Acme"],
    );
    run(
        env,
        &["api-key", "create", "--account", "acme", "--scopes", scopes],
    )
}

async fn start(env: &[(String, String)], base: &str) -> Server {
    let child = portico(env)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Server {
        child,
        base: base.to_owned(),
    }
}

async fn acknowledged_tokens_survive_sigkill(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let env: Vec<(String, String)> = [
        ("PORTICO_DATABASE_URL", db.url.clone()),
        ("PORTICO_LISTEN", format!("127.0.0.1:{port}")),
        (
            "PORTICO_MASTER_KEY_FILE",
            dir.path().join("master.key").display().to_string(),
        ),
        ("PORTICO_API_RATE_LIMIT", "1000000".to_owned()),
        ("PORTICO_EXCHANGE_RATE_LIMIT", "1000000".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let key = acme_with_key(&env, "security:write,customers:write");
    let mut server = start(&env, &base).await;
    let client = reqwest::Client::new();
    for i in 0..20 {
        let r = client
            .post(format!("{base}/api/v1/customers"))
            .bearer_auth(&key)
            .json(&serde_json::json!({"alias": format!("c{i}"), "name": format!("Customer {i}"), "currency": "EUR"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }

    // Issuance load from 16 clients; the server dies under it.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let load_until = Instant::now() + Duration::from_millis(1500);
    let mut workers = Vec::new();
    for w in 0..16 {
        let (client, key, base, acknowledged) = (
            client.clone(),
            key.clone(),
            base.clone(),
            acknowledged.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            // Bounded: stops when the server is gone or after 10 s at most.
            let give_up = Instant::now() + Duration::from_secs(10);
            while Instant::now() < give_up {
                i += 1;
                let url = format!("{base}/api/v1/customers/c{}/portal-token", (w + i) % 20);
                match client
                    .post(url)
                    .bearer_auth(&key)
                    .json(&serde_json::Value::Null)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        if let Ok(body) = r.json::<serde_json::Value>().await {
                            acknowledged
                                .lock()
                                .unwrap()
                                .push(body["token"].as_str().unwrap().to_owned());
                        }
                    }
                    Ok(r) => panic!("issuance answered {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    while Instant::now() < load_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let tokens = acknowledged.lock().unwrap().clone();
    assert!(
        tokens.len() > 50,
        "too little load before the kill: {}",
        tokens.len()
    );

    let mut server = start(&env, &server.base).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut lost = 0;
    for token in &tokens {
        let r = no_redirects
            .get(format!("{base}/portal?token={token}"))
            .send()
            .await;
        if r.map_or(true, |r| r.status() != 303) {
            lost += 1;
        }
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged tokens were lost by the crash",
        tokens.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_acknowledged_tokens_survive_sigkill() {
    acknowledged_tokens_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_acknowledged_tokens_survive_sigkill() {
    acknowledged_tokens_survive_sigkill(Backend::Postgres).await;
}

/// `portico serve` runs the webhook worker: an event reaches a receiver on loopback without
/// anything else being run, when the setting allows loopback targets; without the setting, the
/// same endpoint is refused.
async fn serve_delivers_webhooks(backend: Backend) {
    use axum::routing::post;

    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut env: Vec<(String, String)> = [
        ("PORTICO_DATABASE_URL", db.url.clone()),
        ("PORTICO_LISTEN", format!("127.0.0.1:{port}")),
        (
            "PORTICO_MASTER_KEY_FILE",
            dir.path().join("master.key").display().to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let key = acme_with_key(&env, "webhooks:write,customers:write");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/hook",
        post(move |body: String| async move {
            let _ = tx.send(body);
        }),
    );
    tokio::spawn(async move { axum::serve(receiver, router).await.unwrap() });

    let client = reqwest::Client::new();
    let endpoint = serde_json::json!({"url": hook});
    let mut server = start(&env, &base).await;
    let refused = client
        .post(format!("{base}/api/v1/webhook-endpoints"))
        .bearer_auth(&key)
        .json(&endpoint)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    env.push((
        "PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS".to_owned(),
        "true".to_owned(),
    ));
    let mut server = start(&env, &base).await;
    for (path, body) in [
        ("webhook-endpoints", endpoint),
        (
            "customers",
            serde_json::json!({"alias": "c1", "name": "C1", "currency": "EUR"}),
        ),
    ] {
        let r = client
            .post(format!("{base}/api/v1/{path}"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let body = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("no webhook within 30 s")
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["type"], "customer.created");
    assert_eq!(body["data"]["alias"], "c1");
    server.child.kill().unwrap();
    server.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serve_delivers_webhooks() {
    serve_delivers_webhooks(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serve_delivers_webhooks() {
    serve_delivers_webhooks(Backend::Postgres).await;
}
