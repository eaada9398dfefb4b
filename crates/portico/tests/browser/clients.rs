//! The products' own published clients, unmodified, against a running Portico: Meteroid's Python
//! SDK (PyPI `meteroid` 0.30) and Bunny's Node client (npm `@bunnyapp/api-client` 2.x), each
//! with only the base URL and the credential changed, and the links they get opened in Chromium.
//! scripts/test installs both under target/compat; a missing one fails with the command.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use portico_auth::api_key;
use portico_core::Timestamp;
use portico_core::scope::ApiScopes;
use portico_http::{Clock, SystemClock};
use portico_testkit::browser::{Browser, BrowserOptions};
use portico_testkit::workspace_root;
use serde_json::{Value, json};

use crate::support::{CUSTOMER, Portal, expect_h1, session_cookie};

fn compat_dir() -> PathBuf {
    workspace_root().join("target/compat")
}

fn require(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "{what} is needed but {} is missing: scripts/test installs it \
         (python3 -m venv target/compat/venv && target/compat/venv/bin/pip install 'meteroid~=0.30.1'; \
         npm install --prefix target/compat '@bunnyapp/api-client@^2')",
        path.display()
    );
}

/// Runs a client script and returns the JSON document it prints last.
async fn run(program: PathBuf, args: Vec<String>) -> Value {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&program)
            .args(&args)
            .current_dir(compat_dir())
            // The scripts live in the repository; their packages under target/compat.
            .env("NODE_PATH", compat_dir().join("node_modules"))
            .output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{shown} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{shown} printed {stdout:?}: {e}"))
}

fn script(name: &str) -> String {
    workspace_root()
        .join("crates/portico/tests/clients")
        .join(name)
        .display()
        .to_string()
}

/// An API key of the demo account with every scope, as `portico api-key create` makes it.
async fn vendor_key(portal: &Portal) -> String {
    let secret = api_key::new_secret();
    let key = portal
        .store
        .create_api_key(
            &portal.account.id,
            "compat",
            ApiScopes::all(),
            secret.sha256,
            None,
            SystemClock.now(),
        )
        .await
        .unwrap();
    api_key::format_key(&key.id, &secret.secret)
}

/// Seconds from now until an RFC 3339 time.
fn secs_until(rfc3339: &str) -> i64 {
    let at = Timestamp::parse_rfc3339("expires_at", rfc3339).unwrap();
    SystemClock.now().secs_until(at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meteroids_python_sdk_gets_tokens_that_open_the_portal() {
    let python = compat_dir().join("venv/bin/python");
    require(&python, "Meteroid's Python SDK");
    let portal = Portal::start().await;
    let key = vendor_key(&portal).await;
    let out = run(
        python,
        vec![
            script("meteroid_sdk.py"),
            portal.base.clone(),
            key.clone(),
            CUSTOMER.to_owned(),
        ],
    )
    .await;
    let version = out["version"].as_str().unwrap();
    println!("ran Meteroid's Python SDK {version}");
    assert!(version.starts_with("0.30."), "{version}");

    let default = &out["default"];
    let token = default["token"].as_str().unwrap();
    assert_eq!(default["portal_url"], format!("{}/portal", portal.base));
    assert_eq!(default["api_url"], format!("{}/portal/api/v1", portal.base));
    assert_eq!(
        default["portal_link"],
        format!("{}/portal?token={token}", portal.base)
    );
    let left = secs_until(default["expires_at"].as_str().unwrap());
    assert!((86_340..=86_400).contains(&left), "{left}");
    let left = secs_until(out["with_expiry"]["expires_at"].as_str().unwrap());
    assert!((3_540..=3_600).contains(&left), "{left}");
    assert!(out["read_and_manage"]["token"].is_string());
    assert!(out["explicit_nulls"]["token"].is_string());
    assert_eq!(
        out["not_found"],
        json!({"status": 404, "code": "NOT_FOUND", "message": "no such customer: 'no-such-customer'"})
    );
    assert_eq!(out["bad_expiry"]["status"], 400);
    assert_eq!(out["bad_expiry"]["code"], "BAD_REQUEST");

    // The default link opens the portal in a browser, logged in, with the token gone.
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(default["portal_link"].as_str().unwrap()).await;
    expect_h1(&mut b, "Welcome, Superdesk GmbH").await;
    assert_eq!(b.current_url().await, format!("{}/portal", portal.base));
    b.goto(&format!("{}/portal/account", portal.base)).await;
    assert_eq!(
        b.find_all("form.details").await.len(),
        1,
        "a full token edits"
    );

    // The read-only link opens a portal with no action form, and a POST with it is refused.
    let read_only = out["read_only"]["portal_link"].as_str().unwrap();
    b.goto(read_only).await;
    expect_h1(&mut b, "Welcome, Superdesk GmbH").await;
    b.goto(&format!("{}/portal/account", portal.base)).await;
    expect_h1(&mut b, "Billing details").await;
    let forms = b
        .execute(
            "return Array.from(document.forms).map(f => f.getAttribute('action'))",
            vec![],
        )
        .await;
    assert_eq!(forms, json!(["/portal/logout"]));
    b.screenshot("compat-read-only-account-1280").await;
    // The link opens one browser session: the POST below goes out with this browser's cookie.
    let cookie = b
        .cookies()
        .await
        .iter()
        .find(|c| c["name"] == "portico_session")
        .map(|c| format!("portico_session={}", c["value"].as_str().unwrap()))
        .expect("the portal's session cookie");
    b.quit().await;

    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/portal/account", portal.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::support::csrf_in(&page);
    let refused = http
        .post(format!("{}/portal/account", portal.base))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("name", "Taken Over Ltd")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let customer = portal
        .store
        .customer(
            &portal.account.id,
            &portico_core::model::CustomerRef::parse(CUSTOMER),
        )
        .await
        .unwrap();
    assert_eq!(customer.name, "Superdesk GmbH");

    // The read-only token reads billing state from `api_url`.
    let api_url = out["read_only"]["api_url"].as_str().unwrap();
    let summary = http
        .get(format!("{api_url}/summary"))
        .bearer_auth(out["read_only"]["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status(), 200);
    let summary: Value = summary.json().await.unwrap();
    assert_eq!(summary["can_manage"], false);
    assert_eq!(summary["customer"]["id"], customer.id.to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bunnys_node_client_gets_a_token_with_a_return_url() {
    let client = compat_dir().join("node_modules/@bunnyapp/api-client/package.json");
    require(&client, "Bunny's Node client");
    let portal = Portal::start().await;
    let key = vendor_key(&portal).await;
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/api/v1/oauth-clients", portal.base))
        .bearer_auth(&key)
        .json(&json!({"name": "bunny backend", "scopes": ["security:read", "security:write"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let back = "https://app.superdesk.example/settings/billing";
    let out = run(
        PathBuf::from("node"),
        vec![
            script("bunny_client.js"),
            portal.base.clone(),
            created["id"].as_str().unwrap().to_owned(),
            created["client_secret"].as_str().unwrap().to_owned(),
            CUSTOMER.to_owned(),
            back.to_owned(),
        ],
    )
    .await;
    let version = out["version"].as_str().unwrap();
    println!("ran Bunny's Node client {version}");
    assert!(version.starts_with("2."), "{version}");
    assert_eq!(out["unknown_tenant"], "Tenant not found");
    let without = out["without_return_url"].as_str().unwrap();
    let entered = session_cookie(&format!("{}/portal?token={without}", portal.base)).await;
    assert!(!entered.is_empty());

    // The token deep-links to the subscriptions page, whose way back is the return URL.
    let token = out["with_return_url"].as_str().unwrap();
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(&format!(
        "{}/portal/subscriptions?token={token}",
        portal.base
    ))
    .await;
    expect_h1(&mut b, "Subscriptions").await;
    assert_eq!(
        b.current_url().await,
        format!("{}/portal/subscriptions", portal.base)
    );
    b.wait_for("a.back", Duration::from_secs(10)).await;
    let href = b
        .execute(
            "return document.querySelector('a.back').getAttribute('href')",
            vec![],
        )
        .await;
    assert_eq!(href, back);
    b.screenshot("compat-bunny-subscriptions-1280").await;
    b.quit().await;
}
