//! The client's address, for limits per address: the connection's peer, or, when the peer is
//! a trusted proxy, the address that proxy reports in `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For`. A header from anyone else is ignored, since a client can write any address
//! there.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

const FORWARDED: &str = "forwarded";
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

/// Walks the hops of `Forwarded` (or, when there is none, `X-Forwarded-For`) from the right (the
/// hop nearest this server) past trusted proxies: the first address not a trusted proxy is the
/// client. A malformed, hidden or unknown entry stops the walk at the last address known good.
pub fn client_addr(trusted_proxies: &[IpAddr], peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let values = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect()
    };
    let forwarded = values(FORWARDED);
    let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values(FORWARDED_FOR)
            .into_iter()
            .map(|hop| hop.parse().ok())
            .collect()
    } else {
        forwarded.into_iter().map(forwarded_for).collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(addr) = *hop else {
            break;
        };
        client = addr;
        if !trusted_proxies.contains(&addr) {
            break;
        }
    }
    client
}

/// The address in the `for=` parameter of one element of `Forwarded`: `for=192.0.2.60`,
/// `for="192.0.2.60:4711"`, `for="[2001:db8::1]:4711"`; `None` for an obfuscated or unknown one.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| value.trim().trim_matches('"'))
    })?;
    if let Some(v6) = value.strip_prefix('[') {
        return v6.split_once(']')?.0.parse().ok();
    }
    value
        .parse()
        .ok()
        .or_else(|| value.rsplit_once(':')?.0.parse().ok())
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

    #[test]
    fn forwarded_names_the_client_behind_trusted_proxies_and_wins_over_x_forwarded_for() {
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        let mut h = HeaderMap::new();
        h.insert(FORWARDED_FOR, HeaderValue::from_static("6.6.6.6"));
        h.insert(
            FORWARDED,
            HeaderValue::from_static(
                "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https, For=\"10.0.0.2:80\"",
            ),
        );
        assert_eq!(client_addr(&proxies, ip("10.0.0.1"), &h), ip("2001:db8::7"));
        assert_eq!(
            client_addr(&proxies, ip("198.51.100.1"), &h),
            ip("198.51.100.1")
        );
        h.insert(
            FORWARDED,
            HeaderValue::from_static("for=203.0.113.9;by=10.0.0.2, for=_hidden"),
        );
        assert_eq!(client_addr(&proxies, ip("10.0.0.1"), &h), ip("10.0.0.1"));
        h.insert(FORWARDED, HeaderValue::from_static("for=203.0.113.9:8080"));
        assert_eq!(client_addr(&proxies, ip("10.0.0.1"), &h), ip("203.0.113.9"));
        assert_eq!(forwarded_for("proto=http"), None);
        assert_eq!(forwarded_for("for=unknown"), None);
    }
}
