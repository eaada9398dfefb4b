//! Where webhooks may go: `https` URLs whose every address is public. Checked when an endpoint
//! is saved and again by the resolver of every delivery, so that a name that later resolves to a
//! private address (DNS rebinding) is not reached either. A development setting allows `http`
//! and private addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use portico_core::Invalid;
use reqwest::Url;

/// What the deployment allows: only public `https` targets, or (for development and tests)
/// `http` and private addresses too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetPolicy {
    pub allow_private: bool,
}

/// Why a target is refused.
pub type Refusal = String;

/// Whether the URL's host is this machine: a loopback address, or `localhost`.
fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl TargetPolicy {
    /// The URL, if its form is allowed: absolute, `https` (or `http` to a loopback host where
    /// private targets are allowed, for development), with a host, no user name or password; an
    /// IP address must be public.
    pub fn check_url(self, text: &str) -> Result<Url, Refusal> {
        let url = Url::parse(text).map_err(|_| "must be an absolute https URL".to_owned())?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private && is_loopback_host(&url) => {}
            _ => return Err("must be an https URL".to_owned()),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not contain a user name or password".to_owned());
        }
        match url.host() {
            None => Err("must name a host".to_owned()),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)).map(|()| url.clone()),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)).map(|()| url.clone()),
            Some(url::Host::Domain(_)) => Ok(url.clone()),
        }
    }

    pub fn check_ip(self, ip: IpAddr) -> Result<(), Refusal> {
        if self.allow_private || is_public(ip) {
            Ok(())
        } else {
            Err(format!(
                "resolves to {ip}, a private, loopback or link-local address"
            ))
        }
    }

    /// Resolves the URL's host and checks every address it has.
    pub async fn check_resolved(self, url: &Url) -> Result<Vec<SocketAddr>, Refusal> {
        let host = url
            .host_str()
            .ok_or_else(|| "must name a host".to_owned())?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("its host `{host}` does not resolve"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("its host `{host}` does not resolve"));
        }
        for addr in &addrs {
            self.check_ip(addr.ip())?;
        }
        Ok(addrs)
    }

    /// The full check of a URL an endpoint is saved with, as an input error on `field`. Where
    /// private targets are allowed every address is, and the host is not looked up.
    pub async fn check(self, field: &str, text: &str) -> Result<String, Invalid> {
        let url = self
            .check_url(text)
            .map_err(|why| Invalid::new(field, why))?;
        if self.allow_private {
            return Ok(url.to_string());
        }
        self.check_resolved(&url)
            .await
            .map_err(|why| Invalid::new(field, why))?;
        Ok(url.to_string())
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local,
/// carrier-grade NAT, unspecified, broadcast, multicast, documentation or reserved, including
/// IPv4 addresses inside IPv6 (mapped, compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
}

/// The IPv4 address inside a mapped (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0, 0, 0, 0, 0]
        && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified()))
    {
        return Some(low);
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The resolver of delivery connections: a name whose addresses are not all allowed fails to
/// resolve, so the connection is never made.
#[derive(Debug, Clone, Copy)]
pub(super) struct GuardedResolver(pub TargetPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                policy.check_ip(addr.ip())?;
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFUSE: TargetPolicy = TargetPolicy {
        allow_private: false,
    };

    #[test]
    fn private_loopback_and_link_local_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
        ] {
            let ip: IpAddr = private.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            assert!(!is_public(ip), "{private} counted as public");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = public.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            assert!(is_public(ip), "{public} counted as private");
        }
    }

    #[test]
    fn only_https_urls_with_public_ip_hosts_pass_the_form_check() {
        for refused in [
            "http://example.com/hook",
            "ftp://example.com/hook",
            "example.com/hook",
            "https://user:pw@example.com/hook",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1:8443/hook",
        ] {
            assert!(REFUSE.check_url(refused).is_err(), "{refused} passed");
        }
        assert!(REFUSE.check_url("https://example.com/hook").is_ok());
        assert!(REFUSE.check_url("https://1.1.1.1/hook").is_ok());
        let allow = TargetPolicy {
            allow_private: true,
        };
        assert!(allow.check_url("http://127.0.0.1:9/hook").is_ok());
        assert!(allow.check_url("http://localhost:9/hook").is_ok());
        assert!(allow.check_url("http://[::1]:9/hook").is_ok());
        assert!(allow.check_url("ftp://127.0.0.1/hook").is_err());
        // Plain http goes nowhere but this machine, even in development.
        assert!(allow.check_url("http://93.184.216.34/hook").is_err());
        assert!(allow.check_url("http://example.com/hook").is_err());
        assert!(allow.check_url("http://10.0.0.1/hook").is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_to_loopback_are_refused() {
        let url = REFUSE.check_url("https://localhost/hook");
        let refused = match url {
            Ok(url) => REFUSE.check_resolved(&url).await,
            Err(e) => Err(e),
        };
        assert!(refused.is_err_and(|why| why.contains("loopback")));
    }
}
