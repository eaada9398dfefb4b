//! Portico's HTTP surface: the vendor REST API under `/api/v1`, its OpenAPI document, health
//! checks and the middleware every request passes (security headers, body limit here; request
//! id, log span, metrics, panics and the deadline where [`serve`] serves it).
//!
//! The binary builds an [`AppState`] and serves [`router`]; everything else is internal.

pub mod access;
pub mod api;
pub mod auth;
pub mod client_addr;
pub mod error;
pub mod extract;
pub mod graphql;
pub mod health;
pub mod idempotency;
pub mod jwks;
pub mod metrics;
pub mod middleware;
pub mod oauth;
pub mod openapi;
pub mod origin;
pub mod portal;
pub mod provider_events;
pub mod ratelimit;
pub mod serve;
mod strict;
pub mod test_provider;

use std::sync::Arc;

use portico_auth::signing::MasterKey;
use portico_store::Store;

use crate::ratelimit::{Quota, RateLimiter};

pub use auth::VendorAuth;
pub use error::{ApiError, ApiResult, ErrorCode};
pub use openapi::{RouteEntry, Routes, api_document, route_table};
pub use portico_app::{App, Clock, ManualClock, SystemClock};
pub use serve::{ServerLimits, serve};

/// Largest request body accepted anywhere: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler may reach: one shared value, so that cloning it for a request costs one
/// reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    /// The use cases; every write goes through them. Its store, clock and public URL are the
    /// ones every handler reads with.
    pub app: App,
    pub sessions: SessionPolicy,
    /// Requests per API key or OAuth client.
    pub api_limiter: Arc<RateLimiter>,
    /// Portal-link and redirect exchanges per client address.
    pub exchange_limiter: Arc<RateLimiter>,
    /// Failed authentications (API and OAuth clients) per client address.
    pub failure_limiter: Arc<RateLimiter>,
    /// Proxies whose `Forwarded` or `X-Forwarded-For` names the client; see [`client_addr`].
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The oldest a change committed on another node may be and still be missed by a request: each
/// request catches up with the change log first, unless this node did so less than this long
/// before it arrived. Changes made on this node are never missed.
pub const CHANGE_LAG: std::time::Duration = std::time::Duration::from_millis(2);

impl AppState {
    /// Brings the store's cache up to date before a request's first read; see [`CHANGE_LAG`].
    pub async fn catch_up(&self) -> Result<(), portico_store::StoreError> {
        let started = std::time::Instant::now();
        let synced = self.app.store.sync(CHANGE_LAG).await;
        ::metrics::histogram!("portico_store_sync_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        synced
    }
}

/// How long browser sessions last without activity and at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_timeout_secs: i64,
    pub absolute_timeout_secs: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 30 * 60,
            absolute_timeout_secs: 12 * 3600,
        }
    }
}

/// Default API rate: 100 requests a second per credential, bursts of 200.
pub const DEFAULT_API_QUOTA: Quota = Quota {
    per_second: 100,
    burst: 200,
};
/// Default rate of failed authentications: 10 a second per client address, bursts of 100.
pub const DEFAULT_FAILURE_QUOTA: Quota = Quota {
    per_second: 10,
    burst: 100,
};
/// Default exchange rate: 10 a second per client address, bursts of 30.
pub const DEFAULT_EXCHANGE_QUOTA: Quota = Quota {
    per_second: 10,
    burst: 30,
};

impl AppState {
    /// `master_key` seals the signing keys at rest; it must be the same on every node and across
    /// restarts.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        public_url: impl Into<String>,
        master_key: MasterKey,
    ) -> Self {
        AppState(Arc::new(Shared {
            app: App::new(store, clock, public_url.into(), master_key),
            sessions: SessionPolicy::default(),
            api_limiter: Arc::new(RateLimiter::new("api", DEFAULT_API_QUOTA)),
            exchange_limiter: Arc::new(RateLimiter::new("exchange", DEFAULT_EXCHANGE_QUOTA)),
            failure_limiter: Arc::new(RateLimiter::new("auth_failures", DEFAULT_FAILURE_QUOTA)),
            trusted_proxies: Arc::new(Vec::new()),
        }))
    }

    /// The parts to configure; configured before it serves, the state is not yet shared and
    /// nothing is copied.
    fn configure(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    pub fn with_sessions(mut self, sessions: SessionPolicy) -> Self {
        self.configure().sessions = sessions;
        self
    }

    pub fn with_rate_limits(mut self, api: Quota, exchange: Quota) -> Self {
        let shared = self.configure();
        shared.api_limiter = Arc::new(RateLimiter::new("api", api));
        shared.exchange_limiter = Arc::new(RateLimiter::new("exchange", exchange));
        self
    }

    /// The limit on failed authentications per client address, and the proxies trusted to
    /// name the client.
    pub fn with_failure_limit(
        mut self,
        failures: Quota,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> Self {
        let shared = self.configure();
        shared.failure_limiter = Arc::new(RateLimiter::new("auth_failures", failures));
        shared.trusted_proxies = Arc::new(trusted_proxies);
        self
    }

    /// The payment providers the server has (by default the test provider and Stripe's API).
    pub fn with_payments(mut self, payments: portico_app::payments::Payments) -> Self {
        let shared = self.configure();
        shared.app = shared.app.clone().with_payments(payments);
        self
    }

    /// Where webhooks may be sent; by default only public `https` addresses.
    pub fn with_webhook_targets(
        mut self,
        policy: portico_app::webhooks::targets::TargetPolicy,
    ) -> Self {
        let shared = self.configure();
        shared.app = shared.app.clone().with_webhook_targets(policy);
        self
    }

    /// 429 for a client address that has failed authentication too often lately; nothing is
    /// checked for it until its allowance is back.
    pub fn refuse_failing(&self, addr: Option<std::net::IpAddr>) -> ApiResult<()> {
        match addr {
            Some(addr) => self
                .failure_limiter
                .peek(&addr.to_string(), self.app.clock.now())
                .map_err(ApiError::TooManyRequests),
            None => Ok(()),
        }
    }

    /// Counts one failed authentication against the client address.
    pub fn count_failure(&self, addr: Option<std::net::IpAddr>) {
        if let Some(addr) = addr {
            self.failure_limiter
                .spend(&addr.to_string(), self.app.clock.now());
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.app.store.backend())
            .field("public_url", &self.app.public_url)
            .finish_non_exhaustive()
    }
}

/// The whole HTTP application: `/healthz`, `/readyz`, `/api/v1/...` and its OpenAPI document.
pub fn router(state: AppState) -> axum::Router {
    let parts = openapi::build();
    let vendor = parts
        .vendor
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    axum::Router::new()
        .merge(parts.public)
        .merge(vendor)
        .merge(portal::router(&state))
        .merge(test_provider::router())
        .merge(provider_events::router())
        .merge(graphql::router(&state))
        .route("/.well-known/jwks.json", axum::routing::get(jwks::jwks))
        .fallback(middleware::unknown_route)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(middleware::guard))
        .with_state(state)
}
