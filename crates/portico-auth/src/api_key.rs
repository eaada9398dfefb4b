//! API keys: `portico_sk_{id}_{secret}`. The id finds the key; only the SHA-256 of the secret is
//! stored, and it is checked on every request.

use portico_core::ApiKeyId;

use crate::secret::{constant_time_eq, random_alphanumeric, sha256};

pub const PREFIX: &str = "portico_sk_";
const SECRET_LEN: usize = 40;

/// A freshly made key secret and the hash to store for it.
pub struct NewSecret {
    pub secret: String,
    pub sha256: [u8; 32],
}

pub fn new_secret() -> NewSecret {
    let secret = random_alphanumeric(SECRET_LEN);
    let sha256 = sha256(secret.as_bytes());
    NewSecret { secret, sha256 }
}

/// The full key as shown to the vendor, once.
pub fn format_key(id: &ApiKeyId, secret: &str) -> String {
    format!("{PREFIX}{id}_{secret}")
}

/// A presented key, split into its id and secret. Anything malformed is `None`.
pub struct PresentedKey<'a> {
    pub id: ApiKeyId,
    pub secret: &'a str,
}

pub fn parse_key(presented: &str) -> Option<PresentedKey<'_>> {
    let rest = presented.strip_prefix(PREFIX)?;
    let (id, secret) = rest.rsplit_once('_')?;
    if secret.len() != SECRET_LEN || !secret.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some(PresentedKey {
        id: id.parse().ok()?,
        secret,
    })
}

/// Whether `secret` hashes to the stored hash.
pub fn secret_matches(secret: &str, stored_sha256: &[u8; 32]) -> bool {
    constant_time_eq(&sha256(secret.as_bytes()), stored_sha256)
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::Timestamp;

    #[test]
    fn keys_round_trip() {
        let id = ApiKeyId::new(Timestamp::from_secs(1_700_000_000), [9; 10]);
        let s = new_secret();
        let key = format_key(&id, &s.secret);
        assert!(key.starts_with("portico_sk_key_"));
        let p = parse_key(&key).unwrap();
        assert_eq!(p.id, id);
        assert!(secret_matches(p.secret, &s.sha256));
        assert!(!secret_matches(&random_alphanumeric(40), &s.sha256));
    }

    #[test]
    fn malformed_keys_do_not_parse() {
        let id = ApiKeyId::new(Timestamp::from_secs(1_700_000_000), [9; 10]);
        for bad in [
            String::new(),
            "portico_sk_".into(),
            format!("portico_sk_{id}"),
            format!("portico_sk_{id}_short"),
            format!("sk_{id}_{}", "a".repeat(40)),
            format!("portico_sk_' OR 1=1--_{}", "a".repeat(40)),
        ] {
            assert!(parse_key(&bad).is_none(), "{bad} parsed");
        }
    }
}
