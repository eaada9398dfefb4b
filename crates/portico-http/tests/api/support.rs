//! The test fixture: the real router served on a free port against a fresh database, with two
//! accounts that each hold an all-scopes API key, and a small HTTP client for it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use portico_auth::api_key;
use portico_core::scope::ApiScopes;
use portico_core::{AccountId, ApiKeyId, Timestamp};
use portico_http::{AppState, Clock, SystemClock};
use portico_store::Store;
use portico_testkit::{Backend, Fixture, TestDatabase};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// One vendor account and a key with every scope.
pub struct Tenant {
    pub account: AccountId,
    pub key: String,
    pub key_id: ApiKeyId,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub clock: Arc<TestClock>,
    pub db: TestDatabase,
    pub a: Tenant,
    pub b: Tenant,
    /// The server's state, for what tests do behind the API (key rotation, revocation).
    pub state: AppState,
    /// A copy of the master key that seals the signing keys.
    pub master: portico_auth::signing::MasterKey,
    server: tokio::task::JoinHandle<()>,
}

/// How a test wants the server configured; `Default` is what [`Fixture::start`] uses.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The public URL; default the server's own `http://127.0.0.1:{port}`. `{port}` is
    /// replaced by the server's port.
    pub public_url: Option<String>,
    pub sessions: Option<portico_http::SessionPolicy>,
    pub api_quota: Option<portico_http::ratelimit::Quota>,
    pub exchange_quota: Option<portico_http::ratelimit::Quota>,
    /// Timeouts and the connection cap; default the server's defaults.
    pub limits: Option<portico_http::ServerLimits>,
    /// Failed authentications per client address, and the proxies trusted to name the client.
    pub failures: Option<(portico_http::ratelimit::Quota, Vec<std::net::IpAddr>)>,
    /// Refuse webhook endpoints on private addresses and plain http, as production does; by
    /// default the tests allow them, to reach their receivers on loopback.
    pub refuse_private_webhook_targets: bool,
    /// Stripe's API at this address (localstripe's) instead of Stripe's.
    pub stripe_api_base: Option<String>,
}

/// A fixture that is only the backend, for tests that start the app themselves with [`Options`].
#[derive(Debug, Clone, Copy)]
pub struct On(pub Backend);

impl Fixture for On {
    async fn start(backend: Backend) -> Self {
        On(backend)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Fixture for TestApp {
    async fn start(backend: Backend) -> Self {
        TestApp::start_with(backend, Options::default()).await
    }
}

impl TestApp {
    pub async fn start_with(backend: Backend, options: Options) -> Self {
        let db = TestDatabase::create(backend).await;
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        let clock = Arc::new(TestClock(AtomicI64::new(SystemClock.now().as_millis())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let master = portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng);
        let master_copy =
            portico_auth::signing::MasterKey::from_base64(&master.to_base64()).unwrap();
        let port = base.rsplit(':').next().unwrap_or_default().to_owned();
        let public_url = options
            .public_url
            .clone()
            .map_or_else(|| base.clone(), |u| u.replace("{port}", &port));
        let mut state = AppState::new(store.clone(), clock.clone(), public_url, master);
        if let Some(sessions) = options.sessions {
            state = state.with_sessions(sessions);
        }
        if options.api_quota.is_some() || options.exchange_quota.is_some() {
            state = state.with_rate_limits(
                options.api_quota.unwrap_or(portico_http::DEFAULT_API_QUOTA),
                options
                    .exchange_quota
                    .unwrap_or(portico_http::DEFAULT_EXCHANGE_QUOTA),
            );
        }
        if let Some((quota, proxies)) = options.failures.clone() {
            state = state.with_failure_limit(quota, proxies);
        }
        state = state.with_webhook_targets(portico_app::webhooks::targets::TargetPolicy {
            allow_private: !options.refuse_private_webhook_targets,
        });
        if let Some(base) = &options.stripe_api_base {
            state = state.with_payments(
                portico_app::payments::Payments::default()
                    .with_stripe(Arc::new(portico_app::payments::StripeProvider::new(base))),
            );
        }
        let app = portico_http::router(state.clone());
        let limits = options.limits.unwrap_or_default();
        let server = tokio::spawn(portico_http::serve(
            listener,
            app,
            limits,
            std::future::pending(),
        ));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        wait_ready(&client, &base).await;

        let now = clock.now();
        let mut tenants = Vec::new();
        for sub in ["alpha", "bravo"] {
            let account = store.create_account(sub, sub, now).await.unwrap();
            let (key, key_id) =
                new_key(store.as_ref(), &account.id, ApiScopes::all(), None, now).await;
            tenants.push(Tenant {
                account: account.id,
                key,
                key_id,
            });
        }
        let b = tenants.pop().unwrap();
        let a = tenants.pop().unwrap();
        TestApp {
            base,
            client,
            store,
            clock,
            db,
            a,
            b,
            state,
            master: master_copy,
            server,
        }
    }
}

/// A clock that moves one millisecond per reading, so records made one after another get
/// ordered ids, and that tests move forward to expire things without sleeping.
#[derive(Debug)]
pub struct TestClock(AtomicI64);

impl TestClock {
    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    /// Sets the time; later readings go on from there a millisecond each.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.fetch_add(1, Ordering::SeqCst))
    }
}

/// Polls `/readyz` until the server answers; the listener is already bound, so this is quick.
async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..1000 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the server at {base} never became ready");
}

/// Makes an API key through the store, as the CLI does; returns the full key and its id.
pub async fn new_key(
    store: &dyn Store,
    account: &AccountId,
    scopes: ApiScopes,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> (String, ApiKeyId) {
    let secret = api_key::new_secret();
    let key = store
        .create_api_key(account, "test", scopes, secret.sha256, expires_at, now)
        .await
        .unwrap();
    (api_key::format_key(&key.id, &secret.secret), key.id)
}

/// A new key of account A with exactly `scopes`.
pub async fn key_with(app: &TestApp, scopes: &[portico_core::scope::ApiScope]) -> String {
    let scopes = scopes
        .iter()
        .fold(ApiScopes::empty(), |set, s| set.with(*s));
    new_key(
        app.store.as_ref(),
        &app.a.account,
        scopes,
        None,
        app.clock.now(),
    )
    .await
    .0
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub method: Method,
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    /// Asserts the status, showing the request and body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "{} {} answered {}: {}",
            self.method, self.path, self.status, self.text
        );
        self
    }

    /// Asserts an error answer: status, `code`, and that the message contains `needle`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str, needle: &str) -> &Self {
        self.expect(status);
        assert_eq!(
            self.json["code"], code,
            "{} {}: {}",
            self.method, self.path, self.text
        );
        let message = self.json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(needle),
            "{} {}: message {message:?} lacks {needle:?}",
            self.method,
            self.path
        );
        self
    }

    pub fn id(&self) -> String {
        self.json["id"]
            .as_str()
            .expect("an id in the answer")
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The ids of a list answer, checking its shape.
    #[track_caller]
    pub fn list_ids(&self) -> Vec<String> {
        self.expect(200);
        assert!(self.json["has_more"].is_boolean(), "{}", self.text);
        self.json["data"]
            .as_array()
            .expect("data array")
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.json.clone()).unwrap()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with `key` as bearer credential, not yet sent.
    pub fn request(&self, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(key)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let req = req.build().unwrap();
        let method = req.method().clone();
        let path = req.url().path().to_owned();
        let r = self.client.execute(req).await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            method,
            path,
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn call(&self, method: Method, path: &str, key: &str, body: Option<&Value>) -> Resp {
        let mut req = self.request(method, path, key);
        if let Some(body) = body {
            req = req.json(body);
        }
        self.send(req).await
    }

    pub async fn get(&self, key: &str, path: &str) -> Resp {
        self.call(Method::GET, path, key, None).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, key, Some(&body)).await
    }

    pub async fn patch(&self, key: &str, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, key, Some(&body)).await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Resp {
        self.call(Method::DELETE, path, key, None).await
    }

    /// Creates one record of every kind in the key's account, over HTTP.
    pub async fn seed(&self, key: &str, tag: &str) -> Seeded {
        // An endpoint first, so that the events of the records below are fanned out to it (and
        // never sent: nothing listens there).
        let webhook_endpoint = self
            .post(
                key,
                "/api/v1/webhook-endpoints",
                json!({"url": "http://127.0.0.1:9/hook", "description": format!("{tag} hook")}),
            )
            .await
            .expect(201)
            .id();
        let customer = self
            .post(
                key,
                "/api/v1/customers",
                json!({
                    "alias": format!("{tag}-cust"), "name": format!("{tag} GmbH"),
                    "email": format!("billing@{tag}.example"), "currency": "EUR",
                }),
            )
            .await;
        let customer = customer.expect(201).id();
        let contact = self
            .post(
                key,
                "/api/v1/contacts",
                json!({
                    "customer": customer, "email": format!("ana@{tag}.example"),
                    "external_id": format!("{tag}-ana"), "role": "owner",
                }),
            )
            .await
            .expect(201)
            .id();
        let product = self
            .post(
                key,
                "/api/v1/products",
                json!({"name": "Portico Pro", "self_service": true}),
            )
            .await
            .expect(201)
            .id();
        let plan = self
            .post(
                key,
                "/api/v1/plans",
                json!({
                    "product": product, "name": "Pro monthly", "interval": "month",
                    "unit_amount": 2900, "currency": "EUR",
                }),
            )
            .await
            .expect(201)
            .id();
        let subscription = self
            .post(
                key,
                "/api/v1/subscriptions",
                json!({"customer": customer, "plan": plan, "quantity": 2}),
            )
            .await
            .expect(201)
            .id();
        let invoice = self
            .post(
                key,
                "/api/v1/invoices",
                json!({
                    "customer": customer, "subscription": subscription,
                    "lines": [{"description": "Pro × 2", "quantity": 2, "unit_amount": 2900}],
                    "tax_rate_bps": 1900,
                }),
            )
            .await
            .expect(201)
            .id();
        let payment_method = self
            .post(
                key,
                "/api/v1/payment-methods",
                json!({
                    "customer": customer, "kind": "card", "brand": "visa", "last4": "4242",
                    "exp_month": 12, "exp_year": 2030,
                }),
            )
            .await
            .expect(201)
            .id();
        let transaction = self
            .post(
                key,
                "/api/v1/transactions",
                json!({
                    "customer": customer, "kind": "payment", "status": "pending", "amount": 1000,
                    "invoice": invoice, "payment_method": payment_method,
                }),
            )
            .await
            .expect(201)
            .id();
        let portal_session = self
            .post(
                key,
                "/api/v1/portal-sessions",
                json!({"customer": customer}),
            )
            .await
            .expect(201)
            .id();
        let api_key = self
            .post(
                key,
                "/api/v1/api-keys",
                // Within `settings:write`, so that a key with only that scope may revoke it.
                json!({"name": format!("{tag} ci"), "scopes": ["settings:write"]}),
            )
            .await
            .expect(201)
            .id();
        let oauth_client = self
            .post(
                key,
                "/api/v1/oauth-clients",
                json!({"name": format!("{tag} backend"), "scopes": ["settings:write"]}),
            )
            .await
            .expect(201)
            .id();
        let test_clock = self
            .post(
                key,
                "/api/v1/test-clocks",
                json!({"frozen_time": self.clock.now().plus_secs(60)}),
            )
            .await
            .expect(201)
            .id();
        // A logo, so that reading it answers 200; one a test set before stays.
        if self.get(key, "/api/v1/invoice-settings/logo").await.status == 404 {
            let logo = std::fs::read(
                portico_testkit::workspace_root().join("crates/portico/src/demo-logo.png"),
            )
            .unwrap();
            let upload = self
                .request(Method::PUT, "/api/v1/invoice-settings/logo", key)
                .header("content-type", "image/png")
                .body(logo);
            self.send(upload).await.expect(200);
        }
        self.store
            .fan_out_webhook_events(self.clock.now(), 100)
            .await
            .unwrap();
        let webhook_delivery = self
            .get(
                key,
                &format!("/api/v1/webhook-endpoints/{webhook_endpoint}/deliveries"),
            )
            .await
            .list_ids()
            .remove(0);
        let event = self
            .get(key, "/api/v1/events?limit=1")
            .await
            .list_ids()
            .remove(0);
        Seeded {
            event,
            webhook_endpoint,
            webhook_delivery,
            customer,
            customer_alias: format!("{tag}-cust"),
            contact,
            contact_external_id: format!("{tag}-ana"),
            product,
            plan,
            subscription,
            invoice,
            transaction,
            payment_method,
            portal_session,
            api_key,
            oauth_client,
            test_clock,
        }
    }
}

/// Ids of one record of each kind.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub customer: String,
    pub customer_alias: String,
    pub contact: String,
    pub contact_external_id: String,
    pub product: String,
    pub plan: String,
    pub subscription: String,
    pub invoice: String,
    pub transaction: String,
    pub payment_method: String,
    pub portal_session: String,
    pub api_key: String,
    pub oauth_client: String,
    pub webhook_endpoint: String,
    pub webhook_delivery: String,
    pub test_clock: String,
    pub event: String,
}

impl Seeded {
    /// The id this seed holds for a collection path such as `/api/v1/plans`.
    pub fn id_for(&self, collection: &str) -> &str {
        match collection {
            "/api/v1/customers" => &self.customer,
            "/api/v1/contacts" => &self.contact,
            "/api/v1/products" => &self.product,
            "/api/v1/plans" => &self.plan,
            "/api/v1/subscriptions" => &self.subscription,
            "/api/v1/invoices" => &self.invoice,
            "/api/v1/transactions" => &self.transaction,
            "/api/v1/payment-methods" => &self.payment_method,
            "/api/v1/portal-sessions" => &self.portal_session,
            // The signed-link dialect names a contact (Planhat's enduser).
            "/api/v1/shareabletokens" | "/api/v1/shareabletokens/access" => &self.contact,
            "/api/v1/api-keys" => &self.api_key,
            "/api/v1/oauth-clients" => &self.oauth_client,
            "/api/v1/webhook-endpoints" => &self.webhook_endpoint,
            "/api/v1/webhook-deliveries" => &self.webhook_delivery,
            "/api/v1/test-clocks" => &self.test_clock,
            "/api/v1/events" => &self.event,
            other => panic!("no seeded id for {other}"),
        }
    }

    /// The id to put in a templated path; paths without a parameter need none.
    pub fn id_for_path(&self, path: &str) -> &str {
        if path.contains('{') {
            self.id_for(collection(path))
        } else {
            ""
        }
    }

    pub fn all_ids(&self) -> Vec<&str> {
        vec![
            &self.customer,
            &self.contact,
            &self.product,
            &self.plan,
            &self.subscription,
            &self.invoice,
            &self.transaction,
            &self.payment_method,
            &self.portal_session,
            &self.api_key,
            &self.oauth_client,
            &self.webhook_endpoint,
            &self.webhook_delivery,
            &self.test_clock,
            &self.event,
        ]
    }
}

/// The documented operations of the live server: (method, path template).
pub async fn documented_operations(app: &TestApp) -> Vec<(Method, String)> {
    let doc = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await;
    doc.expect(200);
    let mut ops = Vec::new();
    for (path, item) in doc.json["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            ops.push((method, path.clone()));
        }
    }
    ops.sort_by(|a, b| (a.1.as_str(), a.0.as_str()).cmp(&(b.1.as_str(), b.0.as_str())));
    ops
}

/// The collection of a templated path: `/api/v1/plans/{id}` → `/api/v1/plans`.
pub fn collection(path: &str) -> &str {
    path.rsplit_once("/{").map_or(path, |(c, _)| c)
}

/// Fills a path template's one parameter.
pub fn fill(path: &str, id: &str) -> String {
    match path.split_once('{') {
        Some((head, rest)) => {
            let tail = rest.split_once('}').map_or("", |(_, t)| t);
            format!("{head}{id}{tail}")
        }
        None => path.to_owned(),
    }
}

/// Runs one statement on the test database behind the server's back, to break it on purpose.
pub async fn raw_execute(app: &TestApp, sql: &str) {
    use sqlx::Connection;
    match app.db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

// Portal access: people to open the portal for, links, a cookie-less browser, forged tokens and
// captured logs.

/// A customer and one contact of it, made over HTTP.
#[derive(Debug, Clone)]
pub struct Person {
    pub customer: String,
    pub alias: String,
    pub name: String,
    pub contact: String,
    pub external_id: String,
}

/// A session cookie as the server set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    /// The whole `Set-Cookie` header value.
    pub raw: String,
}

impl Cookie {
    /// The `Cookie` request header that presents it.
    pub fn header(&self) -> String {
        format!("{}={}", self.name, self.value)
    }
}

impl Resp {
    /// The cookie this answer sets, if any.
    pub fn cookie(&self) -> Option<Cookie> {
        let raw = self.header("set-cookie")?.to_owned();
        let (pair, _) = raw.split_once(';').unwrap_or((&raw, ""));
        let (name, value) = pair.split_once('=')?;
        Some(Cookie {
            name: name.to_owned(),
            value: value.to_owned(),
            raw: raw.clone(),
        })
    }

    /// Asserts a refused link: 401, a friendly HTML page, and no cookie set.
    #[track_caller]
    pub fn expect_refused(&self) -> &Self {
        self.expect(401);
        assert!(
            self.header("set-cookie").is_none(),
            "{} set a cookie: {:?}",
            self.path,
            self.header("set-cookie")
        );
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{} refused without a page: {:?}",
            self.path,
            self.headers
        );
        assert!(self.text.contains("<html"), "{}", self.text);
        self
    }

    /// Asserts an accepted exchange: 303 to a URL without a token, and a new cookie.
    #[track_caller]
    pub fn expect_entered(&self) -> Cookie {
        self.expect(303);
        let location = self.header("location").expect("a Location");
        assert!(
            !location.contains("token"),
            "Location {location} has a token"
        );
        self.cookie().expect("a session cookie")
    }

    /// The CSRF token of the page's logout form.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\"")
            .unwrap_or_else(|| panic!("no csrf field in {}", self.text));
        let rest = &self.text[at..];
        let v = rest.find("value=\"").expect("csrf value") + 7;
        let end = rest[v..].find('"').unwrap();
        rest[v..v + end].to_owned()
    }
}

/// The claims of a JWT, unverified.
pub fn jwt_claims(token: &str) -> Value {
    jwt_part(token, 1)
}

pub fn jwt_header(token: &str) -> Value {
    jwt_part(token, 0)
}

fn jwt_part(token: &str, n: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(n).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Signs anything, with a key the account really has: for tokens that are correctly signed and
/// wrong in one other way.
pub struct Forger {
    pub kid: String,
    key: ed25519_dalek::SigningKey,
}

impl Forger {
    /// A token of exactly this header and these claims, EdDSA-signed.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        use ed25519_dalek::Signer;
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let sig = self.key.sign(input.as_bytes()).to_bytes();
        format!("{input}.{}", b64(&sig))
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
}

impl TestApp {
    /// Installs a signing key whose private half the test knows as the account's current key.
    /// Call it before anything is issued for the account.
    pub async fn forger(&self, account: &AccountId) -> Forger {
        use portico_auth::signing::SigningKey;
        use rand::{RngCore, SeedableRng};
        let now = self.clock.now();
        // `generate` draws 10 id bytes and then the 32-byte seed; the same stream again gives
        // the test the seed.
        let rng = rand::rngs::StdRng::from_entropy();
        let key = SigningKey::generate(account.clone(), now, &mut rng.clone());
        let mut again = rng;
        let mut skip = [0u8; 10];
        again.fill_bytes(&mut skip);
        let mut seed = [0u8; 32];
        again.fill_bytes(&mut seed);
        let private = ed25519_dalek::SigningKey::from_bytes(&seed);
        assert_eq!(private.verifying_key().to_bytes(), key.public_key());
        let record = portico_store::SigningKeyRecord {
            id: key.id.clone(),
            account: account.clone(),
            algorithm: key.algorithm().as_str().to_owned(),
            public_key: key.public_key().to_vec(),
            sealed_private_key: key.seal(&self.master, &mut rand::rngs::OsRng).unwrap(),
            created_at: now,
            retired_at: None,
            revoked_at: None,
        };
        self.store.create_signing_key(&record).await.unwrap();
        Forger {
            kid: key.id.to_string(),
            key: private,
        }
    }

    /// A customer (`{tag} GmbH`, alias `{tag}-cust`) with a contact of `role`
    /// (external id `{tag}-ana`).
    pub async fn person(&self, key: &str, tag: &str, role: &str) -> Person {
        let name = format!("{tag} GmbH");
        let alias = format!("{tag}-cust");
        let customer = self
            .post(
                key,
                "/api/v1/customers",
                json!({"alias": alias, "name": name, "email": format!("billing@{tag}.example"), "currency": "EUR"}),
            )
            .await
            .expect(201)
            .id();
        let external_id = format!("{tag}-ana");
        let contact = self
            .post(
                key,
                "/api/v1/contacts",
                json!({"customer": customer, "email": format!("ana@{tag}.example"), "external_id": external_id, "role": role}),
            )
            .await
            .expect(201)
            .id();
        Person {
            customer,
            alias,
            name,
            contact,
            external_id,
        }
    }

    /// `POST /api/v1/portal-sessions` with `body`, expecting 201.
    pub async fn portal_session(&self, key: &str, body: Value) -> Resp {
        let r = self.post(key, "/api/v1/portal-sessions", body).await;
        r.expect(201);
        r
    }

    /// A portal session for `customer`: its id and token.
    pub async fn issue(&self, key: &str, customer: &str) -> (String, String) {
        let r = self
            .portal_session(key, json!({"customer": customer}))
            .await;
        (r.id(), r.json["token"].as_str().unwrap().to_owned())
    }

    /// A URL the server handed out, pointed at this test server (the public URL may be another).
    pub fn local(&self, url: &str) -> String {
        let public = self.state.app.public_url.trim_end_matches('/');
        match url.strip_prefix(public) {
            Some(rest) => format!("{}{rest}", self.base),
            None if url.starts_with('/') => self.url(url),
            None => url.to_owned(),
        }
    }

    /// A browser GET: no cookie jar, no redirects, the one cookie given.
    pub async fn browse(&self, url: &str, cookie: Option<&Cookie>) -> Resp {
        let mut req = self.client.get(self.local(url));
        if let Some(c) = cookie {
            req = req.header("cookie", c.header());
        }
        self.send(req).await
    }

    /// A browser GET of a URL on another host name of this server (a `{subdomain}` public URL):
    /// sent to the server with that `Host`.
    pub async fn browse_host(&self, url: &str, cookie: Option<&Cookie>) -> Resp {
        let rest = url.strip_prefix("http://").expect("an http URL");
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let mut req = self.client.get(self.url(path)).header("host", host);
        if let Some(c) = cookie {
            req = req.header("cookie", c.header());
        }
        self.send(req).await
    }

    /// A browser form POST with the one cookie given.
    pub async fn submit(&self, path: &str, cookie: Option<&Cookie>, form: &[(&str, &str)]) -> Resp {
        let mut req = self.client.post(self.local(path)).form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c.header());
        }
        self.send(req).await
    }

    /// Opens `/portal?token=` and returns the session cookie.
    pub async fn enter(&self, token: &str) -> Cookie {
        self.browse(&format!("/portal?token={token}"), None)
            .await
            .expect_entered()
    }

    /// Whether `cookie` is logged in: the overview page answers 200.
    pub async fn logged_in(&self, cookie: &Cookie) -> bool {
        let r = self.browse("/portal", Some(cookie)).await;
        match r.status {
            200 => true,
            401 => false,
            other => panic!("GET /portal answered {other}: {}", r.text),
        }
    }
}

/// The server's log output, captured as JSON lines for the whole test process.
pub mod logs {
    use std::io::Write;
    use std::sync::{Arc, Mutex, OnceLock};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    static BUFFER: OnceLock<Buffer> = OnceLock::new();

    /// Starts capturing (once per process; later calls do nothing).
    pub fn capture() {
        BUFFER.get_or_init(|| {
            let buffer = Buffer::default();
            let writer = buffer.clone();
            let installed = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::TRACE)
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(move || writer.clone())
                .try_init();
            assert!(installed.is_ok(), "another log subscriber is installed");
            buffer
        });
    }

    /// Everything logged so far.
    pub fn text() -> String {
        let buffer = BUFFER.get().expect("logs::capture() first");
        String::from_utf8_lossy(&buffer.0.lock().unwrap()).into_owned()
    }
}

/// The app with an account per host (`http://{subdomain}.localhost:{port}`), and the origins of
/// its accounts A (`alpha`) and B (`bravo`).
pub async fn on_subdomains(backend: Backend) -> (TestApp, String, String) {
    let app = TestApp::start_with(
        backend,
        Options {
            public_url: Some("http://{subdomain}.localhost:{port}".into()),
            exchange_quota: Some(GENEROUS),
            ..Options::default()
        },
    )
    .await;
    let port = app.base.rsplit(':').next().unwrap().to_owned();
    let alpha = format!("http://alpha.localhost:{port}");
    let bravo = format!("http://bravo.localhost:{port}");
    (app, alpha, bravo)
}

/// The app as the portal tests want it: exchanges per address are not limited in practice, so
/// that tests may open many links quickly (the limit itself has its own test).
pub struct Portal(pub TestApp);

pub const GENEROUS: portico_http::ratelimit::Quota = portico_http::ratelimit::Quota {
    per_second: 1000,
    burst: 1000,
};

impl Fixture for Portal {
    async fn start(backend: Backend) -> Self {
        Portal(
            TestApp::start_with(
                backend,
                Options {
                    exchange_quota: Some(GENEROUS),
                    ..Options::default()
                },
            )
            .await,
        )
    }
}

impl std::ops::Deref for Portal {
    type Target = TestApp;
    fn deref(&self) -> &TestApp {
        &self.0
    }
}
