//! Middleware every request passes: the standard layers of every served request (request id, its
//! log span, metrics, panics and the request deadline), security headers, the body size limit,
//! and JSON answers for unknown routes and methods.

use std::any::Any;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::Limited;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::BODY_LIMIT;
use crate::error::{ApiError, ErrorBody, ErrorCode};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every route of `router` in the layers each served request passes, outermost first: a
/// request id (the caller's when it is short and plain, else a new one) sent back in
/// `x-request-id`; the span every log line of the request is written in, and its closing line;
/// request metrics; a panic answered as a 500 that names the request id; and the request
/// deadline, answered as a 503. Headers are never logged, so neither is the Authorization header.
pub fn standard(router: axum::Router, request_timeout: Duration) -> axum::Router {
    router.layer(
        ServiceBuilder::new()
            .map_request(drop_unusable_request_id)
            .layer(SetRequestIdLayer::new(REQUEST_ID, NewRequestId))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(request_span)
                    .on_request(())
                    .on_response(request_finished)
                    .on_body_chunk(())
                    .on_eos(())
                    .on_failure(()),
            )
            .layer(axum::middleware::from_fn(observe))
            .layer(CatchPanicLayer::custom(panicked))
            .map_response(answer_late)
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                request_timeout,
            ))
            .map_response(|r: Response| r.map(Deadlined::Answer)),
    )
}

/// A caller's `x-request-id` that is not short and plain is replaced, not kept.
fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = req
        .headers()
        .get(&REQUEST_ID)
        .is_none_or(|v| v.to_str().is_ok_and(is_sane_request_id));
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    req
}

fn is_sane_request_id(v: &str) -> bool {
    (1..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 128 random bits in hex.
#[derive(Debug, Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_request_id())
            .ok()
            .map(RequestId::new)
    }
}

fn new_request_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The request's id, as set by the standard layers.
fn request_id<B>(req: &axum::http::Request<B>) -> &str {
    req.extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
}

fn request_span(req: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        request_id = %request_id(req),
        method = %req.method(),
        path = %loggable_path(req.uri().path()),
        account = tracing::field::Empty,
    )
}

fn request_finished<B>(response: &Response<B>, latency: Duration, _: &tracing::Span) {
    tracing::info!(
        status = response.status().as_u16(),
        elapsed_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "request finished"
    );
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

/// Marks the answer to a panic, for [`name_panics`] to complete.
#[derive(Debug, Clone, Copy)]
struct Panicked;

/// Logs a handler's panic (in the request's span, with its id) and answers 500.
fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "the handler panicked");
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(Panicked);
    response
}

/// Request metrics and the answer to a panic, in one layer: the generic 500 body, naming the
/// request id so that a report of the failure can be found in the log.
async fn observe(req: Request, next: Next) -> Response {
    let timing = crate::metrics::RequestTiming::start(&req);
    let id = req.extensions().get::<RequestId>().cloned();
    let mut response = next.run(req).await;
    if response.extensions().get::<Panicked>().is_some() {
        let id = id
            .as_ref()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or_default();
        let body = ErrorBody {
            code: ErrorCode::InternalServerError,
            message: format!("internal error (request id {id})"),
        };
        response = (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response();
    }
    if let Some(timing) = timing {
        timing.finish(&response);
    }
    response
}

/// An answer, or none within the request deadline: the timeout layer answers with the default
/// body, which is how the late ones are told from the others.
#[derive(Default)]
enum Deadlined {
    Answer(Body),
    #[default]
    Late,
}

fn answer_late(response: axum::http::Response<Deadlined>) -> Response {
    let (parts, body) = response.into_parts();
    match body {
        Deadlined::Answer(body) => Response::from_parts(parts, body),
        Deadlined::Late => {
            tracing::warn!("no answer within the request deadline");
            ApiError::TooSlow.into_response()
        }
    }
}

/// Headers every API answer carries; a handler that set its own (a portal page's CSP) keeps it.
const SECURITY_HEADERS: [(HeaderName, HeaderValue); 4] = [
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
];

/// Every route's guard, in one layer: refuses bodies over [`BODY_LIMIT`] whether or not its
/// handler reads a body (a declared length over the limit at once, a streamed one when the
/// limit is crossed), and adds the security headers to every answer.
pub async fn guard(req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut response = if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        ApiError::PayloadTooLarge.into_response()
    } else {
        next.run(req.map(|b| Body::new(Limited::new(b, BODY_LIMIT))))
            .await
    };
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(value);
    }
    response
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
        let keeps = |v: &'static str| {
            let req = Request::builder()
                .header(REQUEST_ID, v)
                .body(Body::empty())
                .unwrap();
            drop_unusable_request_id(req)
                .headers()
                .contains_key(REQUEST_ID)
        };
        assert!(keeps("abc-123"));
        assert!(!keeps("a b"));
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
