//! A live server for the client to talk to: the real router on a free port against a fresh
//! database, and one account with an all-scopes API key.

use std::sync::Arc;

use portico_auth::api_key;
use portico_client::Client;
use portico_core::scope::ApiScopes;
use portico_core::{AccountId, Timestamp};
use portico_http::ratelimit::Quota;
use portico_http::{AppState, Clock, SystemClock};
use portico_store::Store;
use portico_testkit::{Backend, Fixture, TestDatabase};

pub struct App {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub account: AccountId,
    /// An API key with every scope.
    pub key: String,
    /// The server's state, for what tests set up behind the API (the payment provider).
    pub state: AppState,
    server: tokio::task::JoinHandle<()>,
    _db: TestDatabase,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Fixture for App {
    async fn start(backend: Backend) -> Self {
        App::start_with(backend, None).await
    }
}

/// The server with an API quota of one request a second, bursts of one: the second request in
/// a row answers 429.
pub struct Throttled(pub App);

impl Fixture for Throttled {
    async fn start(backend: Backend) -> Self {
        let quota = Quota {
            per_second: 1,
            burst: 1,
        };
        Throttled(App::start_with(backend, Some(quota)).await)
    }
}

impl App {
    pub async fn start_with(backend: Backend, api_quota: Option<Quota>) -> Self {
        let db = TestDatabase::create(backend).await;
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let master = portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng);
        let mut state = AppState::new(store.clone(), Arc::new(SystemClock), base.clone(), master);
        if let Some(quota) = api_quota {
            state = state.with_rate_limits(quota, portico_http::DEFAULT_EXCHANGE_QUOTA);
        }
        let app = portico_http::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let now = SystemClock.now();
        let account = store.create_account("alpha", "Alpha", now).await.unwrap();
        let key = new_key(store.as_ref(), &account.id, ApiScopes::all(), now).await;
        let app = App {
            base,
            store,
            account: account.id,
            key,
            state,
            server,
            _db: db,
        };
        app.wait_ready().await;
        app
    }

    /// A client with the all-scopes key.
    pub fn client(&self) -> Client {
        Client::new(&self.base, &self.key).unwrap()
    }

    /// A client with a new key of only these scopes.
    pub async fn client_with_scopes(&self, scopes: &str) -> Client {
        let scopes = ApiScopes::parse("scopes", scopes).unwrap();
        let key = new_key(
            self.store.as_ref(),
            &self.account,
            scopes,
            SystemClock.now(),
        )
        .await;
        Client::new(&self.base, key).unwrap()
    }

    /// Polls `/readyz` through the client until the server answers.
    async fn wait_ready(&self) {
        let client = self.client();
        for _ in 0..1000 {
            if client.ready().await.is_ok() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the server at {} never became ready", self.base);
    }
}

async fn new_key(
    store: &dyn Store,
    account: &AccountId,
    scopes: ApiScopes,
    now: Timestamp,
) -> String {
    let secret = api_key::new_secret();
    let key = store
        .create_api_key(account, "test", scopes, secret.sha256, None, now)
        .await
        .unwrap();
    api_key::format_key(&key.id, &secret.secret)
}
