//! Portico's HTTP surface: the vendor REST API under `/api/v1`, its OpenAPI document, health
//! checks and the middleware every request passes (request id, security headers, body limit).
//!
//! The binary builds an [`AppState`] and serves [`router`]; everything else is internal.

pub mod api;
pub mod auth;
pub mod clock;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod middleware;
pub mod openapi;

use std::sync::Arc;

use portico_store::Store;

pub use auth::VendorAuth;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ApiError, ErrorCode};
pub use openapi::{RouteEntry, Routes, api_document, route_table};

/// Largest request body accepted anywhere: 1 MiB.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What every handler may reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Where this deployment is reached from outside, e.g. `https://billing.example.com`.
    pub public_url: String,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        public_url: impl Into<String>,
    ) -> Self {
        Self {
            store,
            clock,
            public_url: public_url.into(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("public_url", &self.public_url)
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
        .fallback(middleware::unknown_route)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(middleware::limit_body))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}
