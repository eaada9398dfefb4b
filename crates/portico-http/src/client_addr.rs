//! The client's address, for limits per address: the connection's peer, or, when the peer is
//! a trusted proxy, the address that proxy reports in `X-Forwarded-For`. A header from anyone
//! else is ignored, since a client can write any address there.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address as this request shows it, if the server recorded the peer.
pub fn of_request(
    trusted_proxies: &[IpAddr],
    extensions: &Extensions,
    headers: &HeaderMap,
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    Some(client_addr(trusted_proxies, peer, headers))
}

/// Walks `X-Forwarded-For` from the right (the hop nearest this server) past trusted proxies:
/// the first address not a trusted proxy is the client. A malformed entry stops the walk at the
/// last address known good.
pub fn client_addr(trusted_proxies: &[IpAddr], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(addr) = hop.parse::<IpAddr>() else {
            break;
        };
        client = addr;
        if !trusted_proxies.contains(&addr) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let mut h = HeaderMap::new();
        h.insert(
            FORWARDED_FOR,
            HeaderValue::from_static("6.6.6.6, 203.0.113.7, 10.0.0.2"),
        );
        // A client that is no proxy: its header is its own word, and ignored.
        assert_eq!(
            client_addr(&proxies, ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
        // Behind the proxies: the first hop from the right that is not one of them.
        assert_eq!(client_addr(&proxies, ip("10.0.0.1"), &h), ip("203.0.113.7"));
        h.insert(
            FORWARDED_FOR,
            HeaderValue::from_static("nonsense, 10.0.0.2"),
        );
        assert_eq!(client_addr(&proxies, ip("10.0.0.1"), &h), ip("10.0.0.2"));
        assert_eq!(
            client_addr(&proxies, ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        assert_eq!(client_addr(&[], ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }
}
