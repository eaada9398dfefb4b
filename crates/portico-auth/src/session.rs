//! Browser sessions of the portal: the session cookie (value, hash, flags), when a session is
//! over, and the per-session CSRF token for state-changing POSTs.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portico_core::Timestamp;
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use crate::secret::{constant_time_eq, is_random_token, random_token, sha256};

/// A session cookie's value: 256 random bits in base64url. Only its SHA-256 is stored, so the
/// value itself is kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookieValue(String);

impl SessionCookieValue {
    /// A presented cookie value, if it has the shape of one Portico issues.
    pub fn parse(value: &str) -> Option<Self> {
        is_random_token(value).then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks the session up by.
    pub fn sha256(&self) -> [u8; 32] {
        sha256(self.0.as_bytes())
    }
}

impl fmt::Debug for SessionCookieValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionCookieValue(<redacted>)")
    }
}

/// A fresh cookie value from the OS random source, and the hash to store. Every exchange makes a
/// new one, whatever cookie the browser sent (no session fixation).
pub fn new_session_secret() -> (SessionCookieValue, [u8; 32]) {
    let value = SessionCookieValue(random_token());
    let hash = value.sha256();
    (value, hash)
}

/// The hash to look a presented cookie up by; `None` for a value Portico cannot have issued.
pub fn hash_cookie_value(presented: &str) -> Option<[u8; 32]> {
    SessionCookieValue::parse(presented).map(|v| v.sha256())
}

/// The times that decide whether a browser session is still on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub portal_session_expires_at: Timestamp,
}

impl SessionTimes {
    /// The first instant at which the session is over: idle timeout after the last request,
    /// absolute timeout after creation, or the portal session's expiry, whichever comes first.
    pub fn ends_at(&self, idle_timeout_secs: i64, absolute_timeout_secs: i64) -> Timestamp {
        self.last_seen_at
            .plus_secs(idle_timeout_secs)
            .min(self.created_at.plus_secs(absolute_timeout_secs))
            .min(self.portal_session_expires_at)
    }

    /// Live while `now` is before [`SessionTimes::ends_at`]; at that instant it is over.
    pub fn is_live(
        &self,
        now: Timestamp,
        idle_timeout_secs: i64,
        absolute_timeout_secs: i64,
    ) -> bool {
        now < self.ends_at(idle_timeout_secs, absolute_timeout_secs)
    }
}

/// A session's CSRF secret: random, one per browser session, stored with it.
#[derive(Clone)]
pub struct CsrfSecret(Zeroizing<[u8; 32]>);

impl CsrfSecret {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// For storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for CsrfSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfSecret(<redacted>)")
    }
}

/// 32 bytes of mask and 32 of masked secret, in base64url.
const CSRF_TOKEN_LEN: usize = 86;

/// A CSRF token for a form of this session. Each call masks the secret with fresh random bytes,
/// so pages never repeat the same string (which would let compression leak it, as in BREACH).
/// Tokens are not time-limited: they live exactly as long as their session.
pub fn csrf_token(secret: &CsrfSecret, rng: &mut (impl RngCore + CryptoRng)) -> String {
    let mut token = Zeroizing::new([0u8; 64]);
    let (mask, masked) = token.split_at_mut(32);
    rng.fill_bytes(mask);
    for ((out, m), s) in masked.iter_mut().zip(mask.iter()).zip(secret.0.iter()) {
        *out = m ^ s;
    }
    URL_SAFE_NO_PAD.encode(token.as_slice())
}

/// Whether `presented` is a token of this session's secret; compared in constant time.
pub fn verify_csrf(presented: &str, secret: &CsrfSecret) -> bool {
    if presented.len() != CSRF_TOKEN_LEN {
        return false;
    }
    let mut token = Zeroizing::new([0u8; 64]);
    if !matches!(
        URL_SAFE_NO_PAD.decode_slice(presented, token.as_mut()),
        Ok(64)
    ) {
        return false;
    }
    let (mask, masked) = token.split_at(32);
    let unmasked: Zeroizing<Vec<u8>> =
        Zeroizing::new(mask.iter().zip(masked).map(|(m, x)| m ^ x).collect());
    constant_time_eq(&unmasked, secret.0.as_slice())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    Lax,
    /// For accounts that embed the portal in an iframe: `SameSite=None; Secure; Partitioned`,
    /// so the cookie works inside the vendor's page but is kept apart per top-level site.
    NoneWithPartitioned,
}

/// How the session cookie is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieSpec {
    pub name: &'static str,
    /// `false` only for a plain-http localhost deployment; see [`cookie_must_be_secure`].
    pub secure: bool,
    pub same_site: SameSite,
}

impl CookieSpec {
    /// The portal's session cookie. When it is `Secure`, the `__Host-` name makes browsers
    /// refuse any version of it that is not `Secure`, has a `Domain` or another `Path`, so a
    /// sibling subdomain cannot plant one.
    pub fn portal(secure: bool, embedding: bool) -> Self {
        let same_site = if embedding {
            SameSite::NoneWithPartitioned
        } else {
            SameSite::Lax
        };
        let spec = Self {
            name: "portico_session",
            secure,
            same_site,
        };
        if spec.emits_secure() {
            Self {
                name: "__Host-portico_session",
                ..spec
            }
        } else {
            spec
        }
    }

    /// Browsers drop `SameSite=None` cookies that are not `Secure`, so embedding forces it.
    fn emits_secure(&self) -> bool {
        self.secure || self.same_site == SameSite::NoneWithPartitioned
    }

    fn attributes(&self) -> String {
        // Never a `Domain`: the cookie belongs to the exact host that set it.
        let mut attrs = String::from("; Path=/; HttpOnly");
        if self.emits_secure() {
            attrs.push_str("; Secure");
        }
        attrs.push_str(match self.same_site {
            SameSite::Lax => "; SameSite=Lax",
            SameSite::NoneWithPartitioned => "; SameSite=None; Partitioned",
        });
        attrs
    }
}

/// The `Set-Cookie` header value that sets the session cookie for `max_age_secs` seconds.
pub fn set_cookie_header(
    value: &SessionCookieValue,
    spec: &CookieSpec,
    max_age_secs: i64,
) -> String {
    format!(
        "{}={}; Max-Age={}{}",
        spec.name,
        value.as_str(),
        max_age_secs.max(0),
        spec.attributes()
    )
}

/// The `Set-Cookie` header value that removes the session cookie (on logout or a dead session).
/// It repeats the attributes, since a partitioned cookie is only removed by a partitioned one.
pub fn clear_cookie_header(spec: &CookieSpec) -> String {
    format!("{}=; Max-Age=0{}", spec.name, spec.attributes())
}

/// Whether the session cookie must be `Secure` for a deployment at `public_url`: always, except
/// for plain `http://` on localhost, where browsers would not send it back. Anything that does
/// not parse as such a URL gets `Secure`.
pub fn cookie_must_be_secure(public_url: &str) -> bool {
    let Some(scheme) = public_url.get(..7) else {
        return true;
    };
    if !scheme.eq_ignore_ascii_case("http://") {
        return true;
    }
    let authority = public_url[7..]
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    if authority.contains('@') {
        return true;
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    }
    .to_ascii_lowercase();
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host == "127.0.0.1"
        || host == "[::1]";
    !local
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    proptest! {
        // What a stranger sends as a cookie or a form's CSRF field: any text is refused or
        // accepted without a panic, and only a value of the issued shape is ever accepted.
        #[test]
        fn any_cookie_value_or_csrf_token_is_parsed_safely(presented in ".{0,200}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let secret = CsrfSecret::from_bytes([7; 32]);
            let lossy = String::from_utf8_lossy(&bytes);
            for text in [presented.as_str(), lossy.as_ref()] {
                if hash_cookie_value(text).is_some() {
                    prop_assert_eq!(text.len(), 43);
                }
                prop_assert!(!verify_csrf(text, &secret));
            }
        }
    }

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    #[test]
    fn cookie_values_are_random_hashed_and_redacted() {
        let (value, hash) = new_session_secret();
        assert_eq!(value.as_str().len(), 43);
        assert_eq!(hash_cookie_value(value.as_str()), Some(hash));
        assert_eq!(format!("{value:?}"), "SessionCookieValue(<redacted>)");
        let (other, other_hash) = new_session_secret();
        assert_ne!(value, other);
        assert_ne!(hash, other_hash);
    }

    // SECURITY.md 13 (the pure half): a value Portico never issued is not even looked up.
    #[test]
    fn foreign_cookie_values_are_ignored() {
        for bad in [
            "",
            "admin",
            "' OR 1=1--",
            "../x",
            "eyJhbGciOiJFZERTQSJ9.e30.sig",
            "portico_sk_key_01jd0v4m3g6k2x8r9t7w5y1q3z_aaaa",
        ] {
            assert_eq!(hash_cookie_value(bad), None, "{bad}");
            assert!(SessionCookieValue::parse(bad).is_none());
        }
    }

    // SECURITY.md 16: idle timeout + 1 s, absolute timeout + 1 s, or past the portal session's
    // expiry → over. Each edge is exact: live until the instant before, over from the instant on.
    #[test]
    fn sec16_timeouts_are_exact() {
        const IDLE: i64 = 30 * 60;
        const ABSOLUTE: i64 = 12 * 3600;
        let ms_before = |t: Timestamp| Timestamp::from_millis(t.as_millis() - 1);

        // Idle: last request 10 minutes in; everything else far away.
        let times = SessionTimes {
            created_at: T0,
            last_seen_at: T0.plus_secs(600),
            portal_session_expires_at: T0.plus_secs(86_400),
        };
        let idle_end = times.last_seen_at.plus_secs(IDLE);
        assert_eq!(times.ends_at(IDLE, ABSOLUTE), idle_end);
        assert!(times.is_live(idle_end.minus_secs(1), IDLE, ABSOLUTE));
        assert!(times.is_live(ms_before(idle_end), IDLE, ABSOLUTE));
        assert!(!times.is_live(idle_end, IDLE, ABSOLUTE));
        assert!(!times.is_live(idle_end.plus_secs(1), IDLE, ABSOLUTE));

        // Absolute: active all along, but created long ago.
        let abs_end = T0.plus_secs(ABSOLUTE);
        let active = SessionTimes {
            last_seen_at: abs_end.minus_secs(5),
            ..times
        };
        assert_eq!(active.ends_at(IDLE, ABSOLUTE), abs_end);
        assert!(active.is_live(abs_end.minus_secs(1), IDLE, ABSOLUTE));
        assert!(active.is_live(ms_before(abs_end), IDLE, ABSOLUTE));
        assert!(!active.is_live(abs_end, IDLE, ABSOLUTE));
        assert!(!active.is_live(abs_end.plus_secs(1), IDLE, ABSOLUTE));

        // The portal session ends first: the browser session never outlives it.
        let portal_end = T0.plus_secs(900);
        let short = SessionTimes {
            last_seen_at: T0.plus_secs(800),
            portal_session_expires_at: portal_end,
            ..times
        };
        assert_eq!(short.ends_at(IDLE, ABSOLUTE), portal_end);
        assert!(short.is_live(ms_before(portal_end), IDLE, ABSOLUTE));
        assert!(!short.is_live(portal_end, IDLE, ABSOLUTE));
        assert!(!short.is_live(portal_end.plus_secs(1), IDLE, ABSOLUTE));
    }

    // SECURITY.md 19 (the token half): a missing token, or another session's, is refused.
    #[test]
    fn sec19_csrf_tokens_belong_to_one_session() {
        let mut rng = StdRng::seed_from_u64(3);
        let mine = CsrfSecret::generate(&mut rng);
        let theirs = CsrfSecret::generate(&mut rng);
        let token = csrf_token(&mine, &mut rng);
        assert!(verify_csrf(&token, &mine));
        assert!(!verify_csrf(&token, &theirs));
        assert!(!verify_csrf(&csrf_token(&theirs, &mut rng), &mine));
        // Masked afresh each time, and every one of them verifies.
        let again = csrf_token(&mine, &mut rng);
        assert_ne!(token, again);
        assert!(verify_csrf(&again, &mine));
        // The same secret, restored from storage, still verifies.
        assert!(verify_csrf(
            &token,
            &CsrfSecret::from_bytes(*mine.as_bytes())
        ));
        for bad in [
            String::new(),
            token[..85].to_owned(),
            format!("{token}A"),
            URL_SAFE_NO_PAD.encode(mine.as_bytes()),
            "A".repeat(86),
        ] {
            assert!(!verify_csrf(&bad, &mine), "{bad}");
        }
        assert_eq!(format!("{mine:?}"), "CsrfSecret(<redacted>)");
    }

    // SECURITY.md 14: `HttpOnly`, `Path=/`, no `Domain`, `Secure` except on plain-http localhost,
    // `SameSite=None; Partitioned` only for embedding accounts.
    #[test]
    fn sec14_cookie_flags_are_exact() {
        let (value, _) = new_session_secret();
        let v = value.as_str();
        let cases = [
            (
                CookieSpec::portal(true, false),
                format!(
                    "__Host-portico_session={v}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax"
                ),
                "__Host-portico_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
            ),
            (
                CookieSpec::portal(false, false),
                format!("portico_session={v}; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax"),
                "portico_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
            ),
            (
                CookieSpec::portal(true, true),
                format!(
                    "__Host-portico_session={v}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"
                ),
                "__Host-portico_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=None; Partitioned",
            ),
            (
                CookieSpec::portal(false, true),
                format!(
                    "__Host-portico_session={v}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=None; Partitioned"
                ),
                "__Host-portico_session=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=None; Partitioned",
            ),
        ];
        for (spec, set, clear) in cases {
            assert_eq!(set_cookie_header(&value, &spec, 3600), set);
            assert_eq!(clear_cookie_header(&spec), clear);
            assert!(!set.to_ascii_lowercase().contains("domain"));
        }
        let spec = CookieSpec::portal(true, false);
        assert!(set_cookie_header(&value, &spec, -5).contains("; Max-Age=0;"));
    }

    #[test]
    fn secure_everywhere_but_plain_http_localhost() {
        for url in [
            "http://localhost:8080",
            "http://localhost",
            "HTTP://LocalHost:8080/",
            "http://127.0.0.1:8080/portal",
            "http://[::1]:8080",
            "http://{subdomain}.localhost:8080",
        ] {
            assert!(!cookie_must_be_secure(url), "{url}");
        }
        for url in [
            "https://localhost:8080",
            "https://billing.example.com",
            "http://billing.example.com",
            "http://localhost.example.com",
            "http://localhost@evil.example",
            "http://127.0.0.2:8080",
            "http://[::2]",
            "localhost:8080",
            "",
            "http:/",
        ] {
            assert!(cookie_must_be_secure(url), "{url}");
        }
    }
}
