//! The fixture: the Portico router served on a free port against a fresh SQLite database with
//! the demo account, portal links for its customers, and helpers for pages in the browser.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portico_core::model::{Account, CustomerRef, NewPortalSession, PortalPage};
use portico_http::access::{Target, issue};
use portico_http::{AppState, Clock, SystemClock, VendorAuth};
use portico_store::Store;
use portico_testkit::browser::Browser;
use portico_testkit::{Backend, TestDatabase, workspace_root};
use serde_json::{Value, json};

/// The demo customer the tests enter as, with 14 months of invoices in EUR.
pub const CUSTOMER: &str = "superdesk-123";
/// Another customer of the same account, whose data must never show.
pub const OTHER: &str = "globex";

pub struct Portal {
    pub base: String,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub account: Account,
    _db: TestDatabase,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Portal {
    pub async fn start() -> Portal {
        Portal::start_with(None).await
    }

    /// The demo with Stripe's API at `stripe_api_base` (localstripe's) when given.
    pub async fn start_with(stripe_api_base: Option<&str>) -> Portal {
        let db = TestDatabase::create(Backend::Sqlite).await;
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let master = portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng);
        let mut state = AppState::new(store.clone(), Arc::new(SystemClock), base.clone(), master);
        if let Some(api) = stripe_api_base {
            state = state.with_payments(
                portico_app::payments::Payments::default()
                    .with_stripe(Arc::new(portico_app::payments::StripeProvider::new(api))),
            );
        }
        let account = portico::demo::seed(&state.app, SystemClock.now())
            .await
            .expect("seed the demo account");
        let app =
            portico_http::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Portal {
            base,
            state,
            store,
            account,
            _db: db,
            server,
        }
    }

    /// A fresh portal link for `customer`, opening on `page`, in `locale` when given.
    pub async fn link(&self, customer: &str, page: PortalPage, locale: Option<&str>) -> String {
        self.link_with_scopes(customer, page, locale, None).await
    }

    /// A portal link whose session asks for only `scopes`.
    pub async fn link_with_scopes(
        &self,
        customer: &str,
        page: PortalPage,
        locale: Option<&str>,
        scopes: Option<&[&str]>,
    ) -> String {
        let request = NewPortalSession {
            customer: customer.to_owned(),
            page: Some(page),
            locale: locale.map(str::to_owned),
            scopes: scopes.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
            return_url: Some("https://app.acme.example/settings/billing".to_owned()),
            ..NewPortalSession::default()
        }
        .validate()
        .unwrap();
        let auth = VendorAuth::operator(self.account.id.clone());
        let issued = issue(
            &self.state,
            &auth,
            &Target::Customer(CustomerRef::parse(customer)),
            request,
        )
        .await
        .unwrap_or_else(|e| panic!("cannot issue a portal link: {e}"));
        issued.url(&self.state.app)
    }

    /// Reloads the account, after the test changed its settings.
    pub async fn update_settings(
        &mut self,
        change: impl FnOnce(&mut portico_core::model::PortalSettings) + Send,
    ) {
        let by = portico_app::Caller::operator(self.account.id.clone());
        let edit = |mut settings| {
            change(&mut settings);
            settings
        };
        let now = SystemClock.now();
        self.account =
            portico_app::accounts::update_portal_settings(&self.state.app, &by, edit, now)
                .await
                .unwrap();
    }
}

/// Enters `link` with a plain HTTP client and returns the session cookie (`name=value`).
pub async fn session_cookie(link: &str) -> String {
    set_cookie(link).await.split(';').next().unwrap().to_owned()
}

/// Enters `link` with a plain HTTP client and returns the whole `Set-Cookie` header.
pub async fn set_cookie(link: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let entry = client.get(link).send().await.unwrap();
    assert_eq!(entry.status(), 303, "entering {link}");
    entry.headers()["set-cookie"].to_str().unwrap().to_owned()
}

/// Clicks the element `css` names; a page without it fails the test with its address and text.
pub async fn click(b: &mut Browser, css: &str) {
    let Some(element) = b.find(css).await else {
        let url = b.current_url().await;
        panic!("no {css} on {url}: {}", page_text(b).await);
    };
    b.click(&element).await;
}

/// The page's text as the user reads it, with no-break spaces kept as spaces.
pub async fn page_text(b: &mut Browser) -> String {
    let text = b.execute("return document.body.innerText", vec![]).await;
    normalize(text.as_str().unwrap_or_default())
}

/// Folds the no-break spaces of CLDR formats into plain spaces, for comparing texts.
pub fn normalize(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
}

/// Waits until the page's heading reads `expected` (after a click the old page may still show).
pub async fn expect_h1(b: &mut Browser, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = h1(b).await;
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the heading reads {now:?}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn h1(b: &mut Browser) -> String {
    // Found and read in one script: a page that is replaced in between (a form just submitted)
    // cannot leave a stale element behind.
    let script = "const h = document.querySelector('h1'); return h ? h.innerText : null;";
    let text = wait_until(b, script, Duration::from_secs(10), "a heading").await;
    normalize(text.as_str().unwrap_or_default())
}

/// The texts of all elements matching `css`.
pub async fn texts(b: &mut Browser, css: &str) -> Vec<String> {
    let v = b
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim())",
            vec![json!(css)],
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| normalize(x.as_str().unwrap_or_default()))
        .collect()
}

pub fn axe_source() -> String {
    let path: PathBuf = workspace_root().join("target/npm/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "axe-core is needed for the accessibility checks but {} is missing: \
             run `npm install --prefix target/npm axe-core` (scripts/test does this)",
            path.display()
        )
    })
}

/// Runs axe-core in the current page and fails on any serious or critical violation.
pub async fn assert_accessible(b: &mut Browser, axe: &str, page: &str) {
    b.execute(&format!("{axe}\n;return true;"), vec![]).await;
    b.set_script_timeout(60_000).await;
    let result = b
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, { resultTypes: ['violations'] }).then(r => done({\
               passes: r.passes.length,\
               violations: r.violations.map(v => ({\
                 id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))\
               }))\
             })).catch(e => done({ passes: 0, violations: [{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }] }));",
            vec![],
        )
        .await;
    assert!(
        result["passes"].as_u64().unwrap_or(0) > 10,
        "axe-core did not really check {page}: {result}"
    );
    let all = result["violations"].as_array().expect("axe results");
    for v in all {
        eprintln!(
            "axe on {page}: {} ({}) {}",
            v["id"], v["impact"], v["nodes"]
        );
    }
    let violations: Vec<&Value> = all
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        violations.is_empty(),
        "axe-core found serious or critical violations on {page}:\n{}",
        violations
            .iter()
            .map(|v| format!(
                "- {} ({}): {}\n    {}",
                v["id"], v["impact"], v["help"], v["nodes"]
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Polls `script` (a function body returning a value) until it returns something truthy.
pub async fn wait_until(b: &mut Browser, script: &str, timeout: Duration, what: &str) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let v = b.execute(script, vec![]).await;
        let truthy = match &v {
            Value::Null | Value::Bool(false) => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            _ => true,
        };
        if truthy {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Finds a program on PATH or fails with how to install it.
pub fn require_program(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is needed for this test: apt-get install {package} (scripts/test does this)"
            )
        })
}

/// The CSRF token of the first form in a page's HTML.
pub fn csrf_in(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a CSRF token")
        .to_owned()
}

/// The browser's session cookie, for a plain HTTP client (`name=value`).
pub async fn browser_cookie(b: &mut Browser) -> String {
    let cookie = b
        .cookies()
        .await
        .into_iter()
        .find(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("portico_session"))
        })
        .expect("a session cookie");
    format!(
        "{}={}",
        cookie["name"].as_str().unwrap(),
        cookie["value"].as_str().unwrap()
    )
}

/// Issues an open invoice of one line to [`CUSTOMER`], as the vendor API does.
pub async fn open_invoice(
    portal: &Portal,
    description: &str,
    unit_amount: i64,
) -> portico_core::model::Invoice {
    use portico_core::model::{InvoiceStatus, NewInvoice, NewInvoiceLine};
    let by = portico_app::Caller::operator(portal.account.id.clone());
    let input = NewInvoice {
        customer: CUSTOMER.into(),
        subscription: None,
        currency: None,
        status: Some(InvoiceStatus::Open),
        lines: vec![NewInvoiceLine {
            description: description.into(),
            quantity: 1,
            unit_amount,
            period_start: None,
            period_end: None,
        }],
        tax_rate_bps: 0,
        issued_at: None,
        due_at: None,
        paid_at: None,
        metadata: Default::default(),
    };
    portico_app::invoices::create(&portal.state.app, &by, input, portal.state.app.clock.now())
        .await
        .expect("an open invoice")
}
