//! Where a request comes from, as the events of its changes record it: the id the request-id
//! layer gave it (and answered in `x-request-id`) and the client's address as the rate limiter
//! sees it (the peer, or a trusted proxy's report).

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};
use portico_core::event::Origin;
use tower_http::request_id::RequestId;

use crate::AppState;

/// The request's origin; `None` only outside the request-id layer (never on a served route).
pub fn of_request(
    state: &AppState,
    extensions: &Extensions,
    headers: &HeaderMap,
) -> Option<Origin> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    of_parts(state, request_id(extensions), peer, headers)
}

/// The request id the request-id layer set.
pub fn request_id(extensions: &Extensions) -> Option<String> {
    let id = extensions
        .get::<RequestId>()?
        .header_value()
        .to_str()
        .ok()?;
    Some(id.to_owned())
}

/// The origin of a request with this id, from this peer, with these headers.
pub fn of_parts(
    state: &AppState,
    request_id: Option<String>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Option<Origin> {
    Some(Origin {
        request_id: request_id?,
        ip: peer.map(|p| crate::client_addr::client_addr(&state.trusted_proxies, p.ip(), headers)),
    })
}
