//! Standard Webhooks signing: `whsec_` secrets, sealed at rest with the master key, and the
//! `v1,` HMAC-SHA256 signatures of `{id}.{timestamp}.{body}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use portico_auth::signing::MasterKey;
use portico_core::{AccountId, WebhookEndpointId};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Bytes of a new secret (Standard Webhooks asks for 24 to 64).
const SECRET_LEN: usize = 32;
const PREFIX: &str = "whsec_";

/// One endpoint's signing secret; wiped from memory when dropped, never shown by `Debug`.
pub struct WebhookSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

impl WebhookSecret {
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        WebhookSecret(bytes)
    }

    /// `whsec_` and the key in base64, as the vendor configures its verifier.
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The secret encrypted for the endpoint's row (bound to its id and account).
    pub fn seal(
        &self,
        master: &MasterKey,
        account: &AccountId,
        endpoint: &WebhookEndpointId,
    ) -> Result<String, portico_auth::signing::KeyError> {
        master.seal(
            &self.0,
            &associated_data(account, endpoint),
            &mut rand::rngs::OsRng,
        )
    }

    pub fn open(
        sealed: &str,
        master: &MasterKey,
        account: &AccountId,
        endpoint: &WebhookEndpointId,
    ) -> Result<Self, portico_auth::signing::KeyError> {
        let bytes = master.open(sealed, &associated_data(account, endpoint))?;
        if bytes.len() != SECRET_LEN {
            return Err(portico_auth::signing::KeyError::MalformedSealedKey);
        }
        Ok(WebhookSecret(bytes))
    }

    /// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes a key of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

fn associated_data(account: &AccountId, endpoint: &WebhookEndpointId) -> Vec<u8> {
    let mut aad = b"portico webhook secret v1".to_vec();
    for field in [account.as_str(), endpoint.as_str()] {
        aad.extend_from_slice(&(field.len() as u32).to_be_bytes());
        aad.extend_from_slice(field.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference libraries.
    #[test]
    fn signs_the_specification_example() {
        let key = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        let secret = WebhookSecret(Zeroizing::new(key));
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_open_only_for_their_endpoint() {
        let master = MasterKey::generate(&mut rand::rngs::OsRng);
        let now = portico_core::Timestamp::from_secs(1_700_000_000);
        let account = AccountId::new(now, [1; 10]);
        let endpoint = WebhookEndpointId::new(now, [2; 10]);
        let other = WebhookEndpointId::new(now, [3; 10]);
        let secret = WebhookSecret::generate();
        assert!(secret.to_text().starts_with("whsec_"));
        let sealed = secret
            .seal(&master, &account, &endpoint)
            .unwrap_or_default();
        let opened = WebhookSecret::open(&sealed, &master, &account, &endpoint);
        assert_eq!(opened.map(|s| s.to_text()).ok(), Some(secret.to_text()));
        assert!(WebhookSecret::open(&sealed, &master, &account, &other).is_err());
        assert!(!format!("{secret:?}").contains(&secret.to_text()[6..]));
    }
}
