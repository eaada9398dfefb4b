//! OAuth 2.0 client credentials (RFC 6749 §4.4): client secrets `portico_cs_{40 alphanumerics}`
//! and opaque access tokens `portico_at_{43 base64url}`. Only SHA-256 hashes of either are stored.
//! Also the two decodings the token endpoint needs: HTTP Basic client credentials (§2.3.1) and
//! `application/x-www-form-urlencoded` bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::secret::{constant_time_eq, is_random_token, random_alphanumeric, random_token, sha256};

pub const CLIENT_SECRET_PREFIX: &str = "portico_cs_";
pub const ACCESS_TOKEN_PREFIX: &str = "portico_at_";
const SECRET_LEN: usize = 40;
/// Access tokens live one hour (DESIGN.md, "OAuth client").
pub const ACCESS_TOKEN_TTL_SECS: i64 = 3600;

/// A fresh credential: the full value, shown once, and the hash to store.
pub struct Issued {
    pub value: String,
    pub sha256: [u8; 32],
}

pub fn new_client_secret() -> Issued {
    let value = format!("{CLIENT_SECRET_PREFIX}{}", random_alphanumeric(SECRET_LEN));
    let sha256 = sha256(value.as_bytes());
    Issued { value, sha256 }
}

/// Whether a presented client secret hashes to the stored hash. Malformed secrets are hashed
/// and compared too, so that their answer takes the same path as a wrong one.
pub fn client_secret_matches(presented: &str, stored_sha256: &[u8; 32]) -> bool {
    let well_formed = presented
        .strip_prefix(CLIENT_SECRET_PREFIX)
        .is_some_and(|s| s.len() == SECRET_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    let matches = constant_time_eq(&sha256(presented.as_bytes()), stored_sha256);
    well_formed & matches
}

pub fn new_access_token() -> Issued {
    let value = format!("{ACCESS_TOKEN_PREFIX}{}", random_token());
    let sha256 = sha256(value.as_bytes());
    Issued { value, sha256 }
}

/// The hash to look a presented access token up by, if it has the shape of one.
pub fn access_token_hash(presented: &str) -> Option<[u8; 32]> {
    let rest = presented.strip_prefix(ACCESS_TOKEN_PREFIX)?;
    is_random_token(rest).then(|| sha256(presented.as_bytes()))
}

/// `client_id` and `client_secret` from the value of an `Authorization: Basic …` header, each
/// form-urlencoded as RFC 6749 §2.3.1 asks. `None` if the scheme is not Basic or it is malformed.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// The name-value pairs of an `application/x-www-form-urlencoded` body, in order and with
/// repeats kept (the caller decides what a repeat means). `None` if it is not valid UTF-8 after
/// decoding or a `%` escape is broken.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    let body = std::str::from_utf8(body).ok()?;
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((form_decode(name)?, form_decode(value)?))
        })
        .collect()
}

/// One form-urlencoded component: `+` is a space, `%XX` a byte.
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_tokens_have_their_shape() {
        let s = new_client_secret();
        assert!(s.value.starts_with("portico_cs_"));
        assert_eq!(s.value.len(), 11 + 40);
        assert!(client_secret_matches(&s.value, &s.sha256));
        assert!(!client_secret_matches(
            &new_client_secret().value,
            &s.sha256
        ));
        let bare = s.value.trim_start_matches(CLIENT_SECRET_PREFIX);
        assert!(!client_secret_matches(bare, &sha256(bare.as_bytes())));

        let t = new_access_token();
        assert!(t.value.starts_with("portico_at_"));
        assert_eq!(t.value.len(), 11 + 43);
        assert_eq!(access_token_hash(&t.value), Some(t.sha256));
        for bad in [
            "",
            "portico_at_",
            &t.value[..t.value.len() - 1],
            &format!("{}A", t.value),
            &format!("portico_sk_{}", &t.value[11..]),
            "portico_at_' OR 1=1--",
        ] {
            assert_eq!(access_token_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = format!("Basic {}", STANDARD.encode("cli_x:a%2Bb+c%3A"));
        assert_eq!(
            parse_basic(&header),
            Some(("cli_x".to_owned(), "a+b c:".to_owned()))
        );
        let colon_in_secret = format!("basic {}", STANDARD.encode("id:s:t"));
        assert_eq!(
            parse_basic(&colon_in_secret),
            Some(("id".to_owned(), "s:t".to_owned()))
        );
        for bad in [
            "Bearer abc".to_owned(),
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            format!("Basic {}", STANDARD.encode("no colon")),
            format!("Basic {}", STANDARD.encode("id:%zz")),
        ] {
            assert_eq!(parse_basic(&bad), None, "{bad}");
        }
    }

    #[test]
    fn forms_decode_in_order_with_repeats() {
        assert_eq!(
            parse_form(b"grant_type=client_credentials&scope=a%3Ab+c&scope=&flag").unwrap(),
            vec![
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("scope".to_owned(), "a:b c".to_owned()),
                ("scope".to_owned(), String::new()),
                ("flag".to_owned(), String::new()),
            ]
        );
        assert_eq!(parse_form(b"").unwrap(), vec![]);
        assert!(parse_form(b"a=%4").is_none());
        assert!(parse_form(b"a=%ff").is_none());
        assert!(parse_form(&[0xff]).is_none());
    }
}
