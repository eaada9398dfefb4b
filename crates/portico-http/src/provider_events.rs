//! `POST /provider-events/{account}/{provider}`: where a payment provider sends its events
//! (Stripe's webhook endpoint for an account is `…/provider-events/acc_…/stripe`). No API key:
//! the signature made with the account's webhook secret is the permission, and an event whose
//! signature is missing, wrong or stale is answered 400 with nothing changed.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use portico_app::AppError;
use portico_app::payments;
use portico_core::AccountId;

use crate::AppState;
use crate::error::ApiError;

/// The largest event taken; Stripe's are a few KiB.
pub const EVENT_LIMIT: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/provider-events/{account}/{provider}",
        post(receive).layer(DefaultBodyLimit::max(EVENT_LIMIT)),
    )
}

async fn receive(
    State(s): State<AppState>,
    Path((account, provider)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let refused = || ApiError::BadRequest("signature: does not hold".into()).into_response();
    let Ok(account) = account.parse::<AccountId>() else {
        return refused();
    };
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
        .collect();
    let now = s.app.clock.now();
    match payments::receive_event(&s.app, &account, &provider, &headers, &body, now).await {
        Ok(received) => {
            tracing::info!(account = %account, provider = %provider, ?received, "provider event");
            StatusCode::OK.into_response()
        }
        Err(AppError::Invalid(_)) => {
            tracing::warn!(account = %account, provider = %provider, "provider event refused");
            refused()
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}
