//! Redirect tokens: the random token in a `/redirect/{token}` link, which lives 30 seconds and is
//! exchanged once for a browser session. Only its SHA-256 is stored; using it up (setting
//! `used_at` only where it is still null and unexpired) is the store's single atomic update.

use portico_core::Timestamp;

use crate::secret::{is_random_token, random_token, sha256};

pub const REDIRECT_TTL_SECS: i64 = 30;

/// A new 256-bit token (43 base64url characters) from the OS random source, and the hash to
/// store for it.
pub fn new_redirect_token() -> (String, [u8; 32]) {
    let token = random_token();
    let hash = sha256(token.as_bytes());
    (token, hash)
}

/// The hash to look a presented token up by, or `None` when it cannot be one of ours: a
/// malformed token costs no hashing and no query.
pub fn hash_presented(token: &str) -> Option<[u8; 32]> {
    is_random_token(token).then(|| sha256(token.as_bytes()))
}

pub fn redirect_expires_at(issued_at: Timestamp) -> Timestamp {
    issued_at.plus_secs(REDIRECT_TTL_SECS)
}

/// Whether a token with this expiry and `used_at` may still be exchanged at `now`: unused and
/// `now < expires_at` (so at exactly 30 s it is already too late).
pub fn is_usable(expires_at: Timestamp, used_at: Option<Timestamp>, now: Timestamp) -> bool {
    used_at.is_none() && now < expires_at
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // A redirect token in a URL path is whatever the stranger typed.
        #[test]
        fn any_presented_redirect_token_is_checked_without_panic(token in "[A-Za-z0-9_=+/-]{40,46}|.{0,300}") {
            if hash_presented(&token).is_some() {
                prop_assert_eq!(token.len(), 43);
                prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }
    }

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    #[test]
    fn tokens_are_256_bit_and_found_by_their_hash() {
        let (token, hash) = new_redirect_token();
        assert_eq!(token.len(), 43);
        assert_eq!(hash_presented(&token), Some(hash));
        let (other, other_hash) = new_redirect_token();
        assert_ne!(token, other);
        assert_ne!(hash, other_hash);
    }

    #[test]
    fn malformed_tokens_are_refused_without_hashing() {
        let (token, _) = new_redirect_token();
        for bad in [
            String::new(),
            token[1..].to_owned(),
            format!("{token}x"),
            format!("{}=", &token[..42]),
            format!("{}/", &token[..42]),
            "' OR 1=1--".into(),
            "../x".into(),
            "a".repeat(10_000),
            "é".repeat(43),
        ] {
            assert_eq!(hash_presented(&bad), None, "{bad}");
        }
    }

    // SECURITY.md 12: a redirect token used after 30 s → refused (and 10: a used one, always).
    #[test]
    fn sec12_tokens_live_thirty_seconds_and_work_once() {
        let expires = redirect_expires_at(T0);
        assert!(is_usable(expires, None, T0));
        assert!(is_usable(expires, None, T0.plus_secs(29)));
        assert!(is_usable(
            expires,
            None,
            Timestamp::from_millis(T0.plus_secs(30).as_millis() - 1)
        ));
        assert!(!is_usable(expires, None, T0.plus_secs(30)));
        assert!(!is_usable(expires, None, T0.plus_secs(31)));
        assert!(!is_usable(expires, Some(T0.plus_secs(1)), T0.plus_secs(2)));
    }
}
