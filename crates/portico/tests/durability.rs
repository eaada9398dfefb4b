//! The server process: crash safety (killed with SIGKILL in the middle of issuance load and
//! restarted, every portal token it had answered with 200 must still open the portal; killed in
//! the middle of a billing clock run and restarted, every period is invoiced exactly once), and
//! the background work `portico serve` runs by itself (webhook delivery, the billing clock, on
//! two nodes of one PostgreSQL at once).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portico_testkit::{Backend, TestDatabase};

struct Server {
    child: Child,
}

impl Server {
    /// Kills the process with SIGKILL and reaps it.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn portico(env: &[(String, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portico"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "warn")
        .envs(env.iter().cloned());
    cmd
}

/// One `portico serve` node: its environment (database, address, master key, rate limits no
/// load test reaches) and its base URL.
struct Node {
    env: Vec<(String, String)>,
    base: String,
}

impl Node {
    /// A node on `db`, on a free loopback port, keeping its master key in `dir`.
    fn on(db: &TestDatabase, dir: &std::path::Path) -> Node {
        let port = free_port();
        let env = [
            ("PORTICO_DATABASE_URL", db.url.clone()),
            ("PORTICO_LISTEN", format!("127.0.0.1:{port}")),
            (
                "PORTICO_MASTER_KEY_FILE",
                dir.join("master.key").display().to_string(),
            ),
            ("PORTICO_API_RATE_LIMIT", "1000000".to_owned()),
            ("PORTICO_EXCHANGE_RATE_LIMIT", "1000000".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Node {
            env,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The same node, allowed to deliver webhooks to loopback receivers.
    fn allowing_loopback_targets(mut self) -> Node {
        self.env.push((
            "PORTICO_WEBHOOKS_ALLOW_PRIVATE_TARGETS".to_owned(),
            "true".to_owned(),
        ));
        self
    }

    /// Runs `portico args…` to its end and answers its standard output.
    fn run(&self, args: &[&str]) -> String {
        let out = portico(&self.env).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "portico {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Creates the account `acme` from the command line, and an API key of `scopes` in it.
    fn acme_with_key(&self, scopes: &str) -> String {
        self.run(&["account", "create", "--subdomain", "acme", "--name", "Acme"]);
        self.run(&["api-key", "create", "--account", "acme", "--scopes", scopes])
    }

    /// Starts `portico serve` and waits until it answers.
    async fn start(&self) -> Server {
        let child = portico(&self.env)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while client
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Server { child }
    }
}

/// A webhook receiver on loopback that hands each body to `got`; answers its URL.
async fn receiver(got: impl Fn(String) + Clone + Send + Sync + 'static) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| async move { got(body) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    hook
}

async fn acknowledged_tokens_survive_sigkill(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::on(&db, dir.path());
    let base = node.base.clone();
    let key = node.acme_with_key("security:write,customers:write");
    let mut server = node.start().await;
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
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let tokens = acknowledged.lock().unwrap().clone();
    assert!(
        tokens.len() > 50,
        "too little load before the kill: {}",
        tokens.len()
    );

    let mut server = node.start().await;
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
    server.kill();
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
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::on(&db, dir.path());
    let base = node.base.clone();
    let key = node.acme_with_key("webhooks:write,customers:write");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let hook = receiver(move |body| {
        let _ = tx.send(body);
    })
    .await;

    let client = reqwest::Client::new();
    let endpoint = serde_json::json!({"url": hook});
    let mut server = node.start().await;
    let refused = client
        .post(format!("{base}/api/v1/webhook-endpoints"))
        .bearer_auth(&key)
        .json(&endpoint)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    server.kill();

    let mut server = node.allowing_loopback_targets().start().await;
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
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_serve_delivers_webhooks() {
    serve_delivers_webhooks(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_serve_delivers_webhooks() {
    serve_delivers_webhooks(Backend::Postgres).await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn post(
    client: &reqwest::Client,
    url: String,
    key: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = client
        .post(url)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// `n` customers, each on a monthly plan whose first period ends `due_in` from now (imported as
/// having started a month earlier), created through the API of the node at `base`, 16 at once.
async fn due_subscriptions(base: &str, key: &str, n: usize, due_in: Duration) {
    let client = reqwest::Client::new();
    let product = post(
        &client,
        format!("{base}/api/v1/products"),
        key,
        serde_json::json!({"name": "Cloud"}),
    )
    .await;
    let plan = post(
        &client,
        format!("{base}/api/v1/plans"),
        key,
        serde_json::json!({
        "product": product["id"], "name": "Pro", "interval": "month", "unit_amount": 2900,
        "currency": "EUR"}),
    )
    .await;
    let mut customers = Vec::with_capacity(n);
    let mut batch = tokio::task::JoinSet::new();
    for i in 0..n {
        let (client, base, key) = (client.clone(), base.to_owned(), key.to_owned());
        batch.spawn(async move {
            post(&client, format!("{base}/api/v1/customers"), &key,
                serde_json::json!({"alias": format!("c{i}"), "name": format!("C{i}"), "currency": "EUR"})).await
        });
        if batch.len() == 16 || i + 1 == n {
            while let Some(c) = batch.join_next().await {
                customers.push(c.unwrap()["id"].as_str().unwrap().to_owned());
            }
        }
    }
    let millis = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
        + i64::try_from(due_in.as_millis()).unwrap();
    let start = portico_core::Timestamp::from_millis(millis)
        .checked_plus_months(-1)
        .unwrap();
    let total = customers.len();
    for (i, customer) in customers.into_iter().enumerate() {
        let (client, base, key, plan) = (
            client.clone(),
            base.to_owned(),
            key.to_owned(),
            plan["id"].clone(),
        );
        batch.spawn(async move {
            post(
                &client,
                format!("{base}/api/v1/subscriptions"),
                &key,
                serde_json::json!({
                "customer": customer, "plan": plan, "status": "active",
                "current_period_start": start}),
            )
            .await
        });
        if batch.len() == 16 || i + 1 == total {
            while let Some(s) = batch.join_next().await {
                s.unwrap();
            }
        }
    }
}

/// Waits until `sql` (a count) answers `want`, for at most `within`.
async fn until_count(db: &TestDatabase, sql: &str, want: i64, within: Duration) {
    let mut raw = db.raw().await;
    let deadline = Instant::now() + within;
    loop {
        let got: i64 = raw.scalar(sql).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {got}, not {want}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every subscription renewed into exactly one new period, with exactly one invoice.
async fn assert_invoiced_once(db: &TestDatabase, n: i64) {
    let mut raw = db.raw().await;
    let renewals: i64 = raw.scalar("SELECT COUNT(*) FROM billing_renewals").await;
    let invoices: i64 = raw.scalar("SELECT COUNT(*) FROM invoices").await;
    let billed: i64 = raw
        .scalar("SELECT COUNT(DISTINCT subscription_id) FROM invoices")
        .await;
    let renewed: i64 = raw
        .scalar("SELECT COUNT(*) FROM subscriptions WHERE current_period_start = \
                 (SELECT MIN(period_start) FROM billing_renewals r WHERE r.subscription_id = subscriptions.id)")
        .await;
    assert_eq!((renewals, invoices, billed, renewed), (n, n, n, n));
}

/// Two `portico serve` nodes on one PostgreSQL run the billing clock over the same 1,000
/// subscriptions, due at once: every period is invoiced exactly once, and every renewal event
/// reaches the receiver at least once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_nodes_run_the_billing_clock_once_per_period() {
    const N: usize = 1000;
    let db = TestDatabase::create(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let node_a = Node::on(&db, dir.path()).allowing_loopback_targets();
    let node_b = Node::on(&db, dir.path()).allowing_loopback_targets();
    let key = node_a.acme_with_key("billing:write,customers:write,webhooks:write");

    let seen = Arc::new(Mutex::new(std::collections::HashSet::<String>::new()));
    let got = seen.clone();
    let hook = receiver(move |body| {
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        got.lock()
            .unwrap()
            .insert(body["data"]["id"].as_str().unwrap().to_owned());
    })
    .await;

    let base_a = node_a.base.clone();
    let mut a = node_a.start().await;
    let client = reqwest::Client::new();
    post(
        &client,
        format!("{base_a}/api/v1/webhook-endpoints"),
        &key,
        serde_json::json!({"url": hook, "event_types": ["subscription.renewed"]}),
    )
    .await;
    // Due once both nodes run.
    due_subscriptions(&base_a, &key, N, Duration::from_secs(45)).await;
    let mut b = node_b.start().await;

    let n = i64::try_from(N).unwrap();
    until_count(
        &db,
        "SELECT COUNT(*) FROM billing_renewals",
        n,
        Duration::from_secs(240),
    )
    .await;
    assert_invoiced_once(&db, n).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while seen.lock().unwrap().len() < N {
        assert!(
            Instant::now() < deadline,
            "{} of {N} renewals delivered",
            seen.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for node in [&mut a, &mut b] {
        node.kill();
    }
    // Nothing more happened after the last check.
    assert_invoiced_once(&db, n).await;
}

/// A node killed with SIGKILL in the middle of a billing clock run, and started again: no
/// period is lost and none is invoiced twice.
async fn a_clock_run_survives_sigkill(backend: Backend) {
    const N: usize = 300;
    let db = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let node = Node::on(&db, dir.path());
    let base = node.base.clone();
    let key = node.acme_with_key("billing:write,customers:write");
    let mut server = node.start().await;
    due_subscriptions(&base, &key, N, Duration::from_secs(20)).await;
    // Killed once the run is under way, with periods left to renew.
    let n = i64::try_from(N).unwrap();
    let mut raw = db.raw().await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let renewed: i64 = raw.scalar("SELECT COUNT(*) FROM billing_renewals").await;
        if renewed > 0 {
            assert!(renewed < n, "the run ended before the kill");
            break;
        }
        assert!(Instant::now() < deadline, "the clock did not start");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let mid: i64 = raw.scalar("SELECT COUNT(*) FROM billing_renewals").await;
    assert!(mid < n, "{mid} renewed before the kill");

    let mut server = node.start().await;
    until_count(
        &db,
        "SELECT COUNT(*) FROM billing_renewals",
        n,
        Duration::from_secs(240),
    )
    .await;
    assert_invoiced_once(&db, n).await;
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_clock_run_survives_sigkill() {
    a_clock_run_survives_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_clock_run_survives_sigkill() {
    a_clock_run_survives_sigkill(Backend::Postgres).await;
}
