//! Middleware every request passes: request id and its log span, security headers, the body
//! size limit, and JSON answers for unknown routes and methods.

use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use tracing::Instrument;

use crate::BODY_LIMIT;
use crate::error::ApiError;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, as sent back in `x-request-id` and written in every log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Accepts the caller's `x-request-id` when it is short and plain, else makes a new one; opens
/// the span that every log line of the request is written in. Headers are never logged, so
/// neither is the Authorization header.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_request_id(v))
        .map_or_else(new_request_id, str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        account = tracing::field::Empty,
    );
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request finished"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The path as logged: the token in a `/redirect/{token}` link is a credential until it is used,
/// so it never reaches a log line.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/redirect/") {
        "/redirect/{token}"
    } else {
        path
    }
}

fn is_sane_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Headers every API answer carries; a handler that set its own (a portal page's CSP) keeps it.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ] {
        headers.entry(name).or_insert(value);
    }
    response
}

/// Refuses bodies over [`BODY_LIMIT`] on every route, whether or not its handler reads a body:
/// a declared length over the limit at once, a streamed one when the limit is crossed.
pub async fn limit_body(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(req.map(|b| Body::new(Limited::new(b, BODY_LIMIT))))
        .await
}

/// 404 for a path no route serves. The message starts with "no route" so that clients (and
/// tests) can tell it from a missing record.
pub async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {method} {}", uri.path()))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("method {method} is not allowed on {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_tokens_are_not_logged() {
        assert_eq!(loggable_path("/redirect/abcdef"), "/redirect/{token}");
        assert_eq!(loggable_path("/portal/invoices"), "/portal/invoices");
    }

    #[test]
    fn request_ids() {
        assert!(is_sane_request_id("abc-123_x.y:z"));
        assert!(!is_sane_request_id(""));
        assert!(!is_sane_request_id("a b"));
        assert!(!is_sane_request_id(&"a".repeat(65)));
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(is_sane_request_id(&id));
        assert_ne!(id, new_request_id());
    }
}
