//! Liveness and readiness for load balancers and orchestrators, outside `/api/v1`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::openapi::Routes;

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// The process is up; says nothing about the database.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database does not answer", body = crate::error::ErrorBody),
    ))]
async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    match state.app.store.ping().await {
        Ok(()) => Ok(Json(Health { status: "ok" })),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "readiness check failed");
            Err(ApiError::Unavailable)
        }
    }
}
