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
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Fixture for TestApp {
    async fn start(backend: Backend) -> Self {
        let db = TestDatabase::create(backend).await;
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        let clock = Arc::new(TestClock(AtomicI64::new(SystemClock.now().as_millis())));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let master = portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng);
        let state = AppState::new(store.clone(), clock.clone(), base.clone(), master);
        let app = portico_http::router(state);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
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
        let api_key = self
            .post(
                key,
                "/api/v1/api-keys",
                json!({"name": format!("{tag} ci"), "scopes": ["billing:read"]}),
            )
            .await
            .expect(201)
            .id();
        Seeded {
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
            api_key,
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
    pub api_key: String,
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
            "/api/v1/api-keys" => &self.api_key,
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
            &self.api_key,
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
