//! `Idempotency-Key` on vendor POSTs: the first answer is stored per account, credential and
//! key, a retry of the same request gets it again, the same key on another request is a
//! conflict. Keys are per credential (and its scopes), so that an answer is only ever replayed
//! to the credential it was made for, which passed the same scope checks; answers that depend
//! on the credential alone (401, 403) are never stored.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_store::IdempotencyBegin;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::error::ApiError;
use crate::{AppState, BODY_LIMIT, VendorAuth};

pub const HEADER: &str = "idempotency-key";

/// Set by a handler whose answer holds a secret: the idempotency record stores this body
/// instead, so that no secret reaches the database (a replay then shows it redacted).
#[derive(Debug, Clone)]
pub struct ReplayBody(pub Vec<u8>);
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Middleware for the authenticated vendor routes; it acts on POSTs that carry the header.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let Some(key) = valid_key(raw) else {
        return ApiError::bad_request(
            "Idempotency-Key: must be 1 to 255 printable ASCII characters",
        )
        .into_response();
    };
    let Some((account, key)) = req
        .extensions()
        .get::<VendorAuth>()
        .map(|auth| (auth.account.clone(), stored_key(auth, &key)))
    else {
        return next.run(req).await;
    };

    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let fingerprint = fingerprint(
        &parts.method,
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &body,
    );
    let now = state.app.clock.now();
    match state
        .app
        .store
        .idempotency_begin(&account, &key, &fingerprint, now)
        .await
    {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyBegin::Mismatch) => ApiError::Conflict(
            "Idempotency-Key was already used with a different request".to_owned(),
        )
        .into_response(),
        Ok(IdempotencyBegin::InProgress) => ApiError::Conflict(
            "a request with this Idempotency-Key is still being processed".to_owned(),
        )
        .into_response(),
        Ok(IdempotencyBegin::Committed) => ApiError::Conflict(
            "the request with this Idempotency-Key was carried out, but its answer was lost; \
             read the result instead of retrying"
                .to_owned(),
        )
        .into_response(),
        Ok(IdempotencyBegin::Replay { status, body }) => replay(status, body),
        Ok(IdempotencyBegin::Started) => {
            let mut req = Request::from_parts(parts, Body::from(body));
            // The use cases mark the key as committed in the transaction of their change.
            if let Some(auth) = req.extensions_mut().get_mut::<VendorAuth>() {
                auth.idempotency_key = Some(key.clone());
            }
            // Run to completion even if the client goes away, so the key is never left claimed.
            let task = tokio::spawn(first_run(state, account, key, req, next).in_current_span());
            match task.await {
                Ok(response) => response,
                Err(e) => ApiError::internal(e).into_response(),
            }
        }
    }
}

async fn first_run(
    state: AppState,
    account: portico_core::AccountId,
    key: String,
    req: Request,
    next: Next,
) -> Response {
    let (parts, bytes) = whole(next.run(req).await).await;
    let store = &state.app.store;
    let status = parts.status;
    let stored = parts
        .extensions
        .get::<ReplayBody>()
        .map_or(&bytes[..], |r| &r.0[..]);
    let saved = if status.is_server_error() || is_about_the_credential(status) {
        // A server failure is not an answer: let the client retry with the same key. Nor is a
        // refusal of the credential an answer to the request. Unless a change committed under
        // the key: then the request must not run again, and the failure is its answer.
        match store.idempotency_abandon(&account, &key).await {
            Ok(false) => {
                store
                    .idempotency_finish(&account, &key, status.as_u16(), stored)
                    .await
            }
            other => other.map(drop),
        }
    } else {
        store
            .idempotency_finish(&account, &key, status.as_u16(), stored)
            .await
    };
    if let Err(e) = saved {
        tracing::error!(
            error = format!("{e:#}"),
            "could not store an idempotent answer"
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A response with its body read whole; a body that fails midway becomes a 500.
async fn whole(response: Response) -> (axum::http::response::Parts, axum::body::Bytes) {
    let (parts, body) = response.into_parts();
    match to_bytes(body, usize::MAX).await {
        Ok(bytes) => (parts, bytes),
        Err(e) => {
            let (parts, body) = ApiError::internal(e).into_response().into_parts();
            (parts, to_bytes(body, usize::MAX).await.unwrap_or_default())
        }
    }
}

fn is_about_the_credential(status: StatusCode) -> bool {
    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
}

/// The key as stored: the client's key in the namespace of the credential and its scopes (an
/// OAuth client's tokens may each have fewer scopes than the client).
pub fn stored_key(auth: &VendorAuth, key: &str) -> String {
    format!("{}/{}/{key}", auth.issuer(), auth.scopes.to_text())
}

fn replay(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

fn valid_key(raw: &HeaderValue) -> Option<String> {
    let key = raw.to_str().ok()?;
    let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| (0x20..0x7f).contains(&b));
    valid.then(|| key.to_owned())
}

/// SHA-256 over method, path, query and body, each length-prefixed so no two requests collide
/// by shifting bytes between parts.
pub fn fingerprint(method: &Method, path: &str, query: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in [
        method.as_str().as_bytes(),
        path.as_bytes(),
        query.as_bytes(),
        body,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// The key a request passes on to the payment provider: its `Idempotency-Key` (which the
/// middleware checked; one too long for the provider is its digest), or a fresh one.
pub fn provider_key(headers: &axum::http::HeaderMap) -> String {
    match headers.get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(key) if key.len() <= portico_core::model::MAX_IDEMPOTENCY_KEY => key.to_owned(),
        Some(key) => {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(key.as_bytes()))
        }
        None => format!("{:032x}", rand::random::<u128>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_and_bounded() {
        let ok = |s: &str| valid_key(&HeaderValue::from_str(s).unwrap()).is_some();
        assert!(ok("order-42"));
        assert!(ok(&"k".repeat(255)));
        assert!(!ok(&"k".repeat(256)));
        assert!(!ok(""));
        assert!(!ok("tab\there"));
        assert!(valid_key(&HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap()).is_none());
    }

    #[test]
    fn fingerprints_separate_parts() {
        let a = fingerprint(&Method::POST, "/a", "b=1", b"{}");
        assert_eq!(a, fingerprint(&Method::POST, "/a", "b=1", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/a", "b=1", b"{ }"));
        assert_ne!(a, fingerprint(&Method::POST, "/ab", "=1", b"{}"));
        assert_ne!(a, fingerprint(&Method::POST, "/a", "", b"{}"));
    }
}
