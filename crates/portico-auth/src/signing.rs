//! Signing keys for portal tokens: per-account Ed25519 key pairs named by their `kid`, the
//! private half sealed under the master key for storage, and the JWKS that publishes the public
//! half for as long as tokens signed by it can still be valid.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
use portico_core::{AccountId, SigningKeyId, Timestamp};
use rand::{CryptoRng, RngCore};
use serde_json::{Value, json};
use sha2::Sha512;
use zeroize::Zeroizing;

use crate::portal_token::{CLOCK_SKEW_SECS, EXP_LEEWAY_SECS};

/// The one algorithm a key was made for. A key never verifies a token that names another, which
/// is what defeats algorithm confusion (an HS256 token "signed" with the public key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    EdDsa,
}

impl Algorithm {
    /// The JOSE name, as in a JWT header, a JWK and the stored key row.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "EdDSA" => Some(Algorithm::EdDsa),
            _ => None,
        }
    }
}

/// Why a key could not be read, sealed or opened. Never holds key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the master key must be 32 bytes in standard base64 (openssl rand -base64 32)")]
    BadMasterKey,
    #[error("the sealed private key is malformed")]
    MalformedSealedKey,
    #[error("the sealed private key does not open with this master key, or was altered")]
    CannotOpen,
    #[error("the private key does not match the stored public key")]
    PublicKeyMismatch,
    #[error("the private key could not be sealed")]
    CannotSeal,
}

/// The 32-byte key that seals signing keys at rest. Only the process holds it; the database
/// holds sealed keys it cannot use.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl MasterKey {
    /// Parses standard base64 (with padding), surrounding whitespace ignored.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| KeyError::BadMasterKey)?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::BadMasterKey)?;
        Ok(Self(Zeroizing::new(key)))
    }

    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// The form [`MasterKey::from_base64`] reads, for printing a new key once.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_slice()))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.as_slice().into())
    }

    /// Encrypts a secret (a signing key, a payment provider's API key, a webhook secret) for
    /// storage, bound to `aad` (its owner and purpose): sealed for one row, it does not open in
    /// another.
    pub fn seal(
        &self,
        secret: &[u8],
        aad: &[u8],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<String, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: secret, aad })
            .map_err(|_| KeyError::CannotSeal)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Opens what [`MasterKey::seal`] sealed with the same `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let blob = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .filter(|b| b.len() >= NONCE_LEN + 16)
            .ok_or(KeyError::MalformedSealedKey)?;
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad,
        };
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), payload)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::CannotOpen)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// The public half of a signing key and its life, as stored; all that verification and the
/// JWKS need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKeyInfo {
    pub id: SigningKeyId,
    /// The account whose portal tokens this key signs; a token for another account fails.
    pub account: AccountId,
    pub algorithm: Algorithm,
    pub public_key: [u8; 32],
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl VerifyingKeyInfo {
    pub fn is_revoked(&self, now: Timestamp) -> bool {
        self.revoked_at.is_some_and(|at| at <= now)
    }

    /// This key as a JSON Web Key (RFC 8037).
    pub fn jwk(&self) -> Value {
        match self.algorithm {
            Algorithm::EdDsa => json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(self.public_key),
                "kid": self.id.as_str(),
                "alg": self.algorithm.as_str(),
                "use": "sig",
            }),
        }
    }
}

/// Whether `key` belongs in the JWKS at `now`. A revoked key never does. A retired key signs
/// nothing new but stays published until the last token it can have signed (at most
/// `longest_token_lifetime_secs` before retirement) has expired, with the same leeway that
/// verification allows.
pub fn publishable(
    key: &VerifyingKeyInfo,
    now: Timestamp,
    longest_token_lifetime_secs: i64,
) -> bool {
    if key.is_revoked(now) {
        return false;
    }
    key.retired_at.is_none_or(|retired| {
        now < retired
            .plus_secs(longest_token_lifetime_secs)
            .plus_secs(EXP_LEEWAY_SECS + CLOCK_SKEW_SECS)
    })
}

/// The JWKS document (`/.well-known/jwks.json`) of the keys that are [`publishable`] at `now`.
pub fn jwks<'a>(
    keys: impl IntoIterator<Item = &'a VerifyingKeyInfo>,
    now: Timestamp,
    longest_token_lifetime_secs: i64,
) -> Value {
    let keys: Vec<Value> = keys
        .into_iter()
        .filter(|key| publishable(key, now, longest_token_lifetime_secs))
        .map(VerifyingKeyInfo::jwk)
        .collect();
    json!({ "keys": keys })
}

/// A signing key with its private half, which only [`SigningKey::generate`] and
/// [`SigningKey::open`] make and which never appears in `Debug` output. The private key is
/// wiped from memory when dropped (ed25519-dalek does this).
#[derive(Clone)]
pub struct SigningKey {
    /// The JWT `kid`.
    pub id: SigningKeyId,
    pub account: AccountId,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    private: ed25519_dalek::SigningKey,
    /// The private key as signing uses it (its scalar and nonce prefix, one SHA-512 of the
    /// seed), worked out once instead of at every signature; wiped when dropped too.
    expanded: Arc<ExpandedSecretKey>,
}

/// Sealed keys are `v1.` then base64url of the 24-byte nonce and the ciphertext.
const SEALED_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

impl SigningKey {
    /// A new key for `account`, its id and key pair drawn from `rng` (in production `OsRng`).
    pub fn generate(
        account: AccountId,
        now: Timestamp,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let mut entropy = [0u8; 10];
        rng.fill_bytes(&mut entropy);
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(SigningKeyId::new(now, entropy), account, now, &seed)
    }

    pub fn algorithm(&self) -> Algorithm {
        Algorithm::EdDsa
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.private.verifying_key().to_bytes()
    }

    /// The public half, as stored beside the sealed private key.
    pub fn info(&self) -> VerifyingKeyInfo {
        VerifyingKeyInfo {
            id: self.id.clone(),
            account: self.account.clone(),
            algorithm: self.algorithm(),
            public_key: self.public_key(),
            created_at: self.created_at,
            retired_at: self.retired_at,
            revoked_at: self.revoked_at,
        }
    }

    /// Whether this key may sign a token issued at `at`: it is neither retired nor revoked.
    pub fn can_sign(&self, at: Timestamp) -> bool {
        self.retired_at.is_none_or(|t| at < t) && self.revoked_at.is_none_or(|t| at < t)
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        raw_sign::<Sha512>(&self.expanded, message, &self.private.verifying_key()).to_bytes()
    }

    /// A key of `seed`, its expanded form beside it.
    fn from_seed(
        id: SigningKeyId,
        account: AccountId,
        created_at: Timestamp,
        seed: &[u8; 32],
    ) -> Self {
        Self {
            id,
            account,
            created_at,
            retired_at: None,
            revoked_at: None,
            private: ed25519_dalek::SigningKey::from_bytes(seed),
            expanded: Arc::new(ExpandedSecretKey::from(seed)),
        }
    }

    /// The private key encrypted under `master`, for the database. The ciphertext is bound to
    /// this key's id, account, algorithm and public key, so a sealed key moved to another row
    /// does not open.
    pub fn seal(
        &self,
        master: &MasterKey,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<String, KeyError> {
        let secret = Zeroizing::new(self.private.to_bytes());
        master.seal(secret.as_slice(), &associated_data(&self.info()), rng)
    }

    /// Opens a key sealed by [`SigningKey::seal`], given the stored public half.
    pub fn open(
        info: &VerifyingKeyInfo,
        sealed: &str,
        master: &MasterKey,
    ) -> Result<Self, KeyError> {
        let secret = master.open(sealed, &associated_data(info))?;
        let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
            secret
                .as_slice()
                .try_into()
                .map_err(|_| KeyError::MalformedSealedKey)?,
        );
        let key = Self {
            retired_at: info.retired_at,
            revoked_at: info.revoked_at,
            ..Self::from_seed(
                info.id.clone(),
                info.account.clone(),
                info.created_at,
                &seed,
            )
        };
        match info.algorithm {
            Algorithm::EdDsa if key.public_key() == info.public_key => Ok(key),
            Algorithm::EdDsa => Err(KeyError::PublicKeyMismatch),
        }
    }
}

/// What a sealed key is bound to. Fields are length-prefixed so no two rows give the same bytes.
fn associated_data(info: &VerifyingKeyInfo) -> Vec<u8> {
    let mut aad = b"portico signing key v1".to_vec();
    for field in [
        info.id.as_str().as_bytes(),
        info.account.as_str().as_bytes(),
        info.algorithm.as_str().as_bytes(),
        &info.public_key,
    ] {
        aad.extend_from_slice(&(field.len() as u32).to_be_bytes());
        aad.extend_from_slice(field);
    }
    aad
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("account", &self.account)
            .field("algorithm", &self.algorithm())
            .field("public_key", &URL_SAFE_NO_PAD.encode(self.public_key()))
            .field("private_key", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .field("revoked_at", &self.revoked_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);

    fn account() -> AccountId {
        AccountId::new(T0, [1; 10])
    }

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    /// The key expanded once signs as Ed25519 itself does: RFC 8032's first test vector (its
    /// seed, public key and the signature of the empty message), then a longer message.
    #[test]
    fn signatures_are_rfc_8032s() {
        let hex32 = |s: &str| -> [u8; 32] { hex::decode(s).unwrap().try_into().unwrap() };
        let seed = hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_seed(SigningKeyId::new(T0, [2; 10]), account(), T0, &seed);
        assert_eq!(
            hex::encode(key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex::encode(key.sign(b"")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        let message = b"header.payload of a portal token";
        let verifying = ed25519_dalek::VerifyingKey::from_bytes(&key.public_key()).unwrap();
        let signature = ed25519_dalek::Signature::from_bytes(&key.sign(message));
        assert!(verifying.verify_strict(message, &signature).is_ok());
        assert!(
            verifying
                .verify_strict(b"another message", &signature)
                .is_err()
        );
    }

    #[test]
    fn generated_keys_differ_and_name_their_algorithm() {
        let mut rng = rng();
        let a = SigningKey::generate(account(), T0, &mut rng);
        let b = SigningKey::generate(account(), T0, &mut rng);
        assert_ne!(a.id, b.id);
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(a.algorithm().as_str(), "EdDSA");
        assert_eq!(Algorithm::parse("EdDSA"), Some(Algorithm::EdDsa));
        assert_eq!(Algorithm::parse("HS256"), None);
        assert_eq!(Algorithm::parse("none"), None);
    }

    #[test]
    fn debug_never_shows_private_or_master_key() {
        let mut rng = rng();
        let key = SigningKey::generate(account(), T0, &mut rng);
        let secret = key.private.to_bytes();
        let shown = format!("{key:?}");
        assert!(shown.contains("<redacted>"));
        for form in [
            hex::encode(secret),
            URL_SAFE_NO_PAD.encode(secret),
            STANDARD.encode(secret),
            format!("{secret:?}"),
        ] {
            assert!(!shown.contains(&form), "{shown}");
        }
        let master = MasterKey::generate(&mut rng);
        let shown = format!("{master:?}");
        assert_eq!(shown, "MasterKey(<redacted>)");
        assert!(!shown.contains(master.to_base64().as_str()));
    }

    #[test]
    fn master_key_parses_only_32_bytes_of_base64() {
        let master = MasterKey::generate(&mut rng());
        let text = master.to_base64();
        assert!(MasterKey::from_base64(&format!(" {}\n", text.as_str())).is_ok());
        for bad in [
            String::new(),
            STANDARD.encode([0u8; 31]),
            STANDARD.encode([0u8; 33]),
            "not base64 at all".into(),
            hex::encode([0u8; 32]),
        ] {
            assert_eq!(
                MasterKey::from_base64(&bad).err(),
                Some(KeyError::BadMasterKey),
                "{bad}"
            );
        }
    }

    #[test]
    fn sealed_secrets_open_only_with_their_master_key_and_context() {
        let mut rng = rng();
        let master = MasterKey::generate(&mut rng);
        let sealed = master
            .seal(b"sk_test_secret", b"acct_1/payments", &mut rng)
            .unwrap();
        assert!(!sealed.contains("sk_test_secret"));
        let opened = master.open(&sealed, b"acct_1/payments").unwrap();
        assert_eq!(opened.as_slice(), b"sk_test_secret");
        assert_eq!(
            master.open(&sealed, b"acct_2/payments").err(),
            Some(KeyError::CannotOpen)
        );
        let other = MasterKey::generate(&mut rng);
        assert_eq!(
            other.open(&sealed, b"acct_1/payments").err(),
            Some(KeyError::CannotOpen)
        );
        assert_eq!(
            master.open("v1.short", b"acct_1/payments").err(),
            Some(KeyError::MalformedSealedKey)
        );
    }

    #[test]
    fn sealed_keys_open_only_with_their_master_key_and_row() {
        let mut rng = rng();
        let master = MasterKey::generate(&mut rng);
        let key = SigningKey::generate(account(), T0, &mut rng);
        let info = key.info();
        let sealed = key.seal(&master, &mut rng).unwrap();
        assert!(sealed.starts_with("v1."));
        // The database never holds the private key, in any encoding.
        let secret = key.private.to_bytes();
        assert!(!sealed.contains(&URL_SAFE_NO_PAD.encode(secret)));
        // Sealing twice uses fresh nonces.
        assert_ne!(sealed, key.seal(&master, &mut rng).unwrap());

        let opened = SigningKey::open(&info, &sealed, &master).unwrap();
        assert_eq!(opened.public_key(), key.public_key());
        assert_eq!(opened.sign(b"m"), key.sign(b"m"));

        let other_master = MasterKey::generate(&mut rng);
        assert_eq!(
            SigningKey::open(&info, &sealed, &other_master).err(),
            Some(KeyError::CannotOpen)
        );

        // Moved to another row (other kid, account or public key): does not open.
        let other = SigningKey::generate(account(), T0, &mut rng).info();
        assert_eq!(
            SigningKey::open(&other, &sealed, &master).err(),
            Some(KeyError::CannotOpen)
        );
        let other_account = VerifyingKeyInfo {
            account: AccountId::new(T0, [2; 10]),
            ..info.clone()
        };
        assert_eq!(
            SigningKey::open(&other_account, &sealed, &master).err(),
            Some(KeyError::CannotOpen)
        );
        let swapped_public = VerifyingKeyInfo {
            public_key: other.public_key,
            ..info.clone()
        };
        assert!(SigningKey::open(&swapped_public, &sealed, &master).is_err());

        // Any change to the sealed text fails.
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 5;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(SigningKey::open(&info, &tampered, &master).is_err());
        let truncated = &sealed[..sealed.len() - 4];
        assert_eq!(
            SigningKey::open(&info, truncated, &master).err(),
            Some(KeyError::CannotOpen)
        );
        for bad in ["", "v1.", "v2.AAAA", "v1.!!!!"] {
            assert_eq!(
                SigningKey::open(&info, bad, &master).err(),
                Some(KeyError::MalformedSealedKey),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_live_keys_sign() {
        let mut key = SigningKey::generate(account(), T0, &mut rng());
        assert!(key.can_sign(T0));
        key.retired_at = Some(T0.plus_secs(10));
        assert!(key.can_sign(T0.plus_secs(9)));
        assert!(!key.can_sign(T0.plus_secs(10)));
        key.retired_at = None;
        key.revoked_at = Some(T0.plus_secs(10));
        assert!(!key.can_sign(T0.plus_secs(10)));
    }

    #[test]
    fn jwks_lists_publishable_keys_as_okp() {
        let mut rng = rng();
        let current = SigningKey::generate(account(), T0, &mut rng).info();
        let mut retired = SigningKey::generate(account(), T0, &mut rng).info();
        retired.retired_at = Some(T0);
        let mut revoked = SigningKey::generate(account(), T0, &mut rng).info();
        revoked.revoked_at = Some(T0);

        let doc = jwks([&current, &retired, &revoked], T0.plus_secs(60), 3600);
        let keys = doc["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[0],
            json!({
                "kty": "OKP",
                "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(current.public_key),
                "kid": current.id.as_str(),
                "alg": "EdDSA",
                "use": "sig",
            })
        );
        assert_eq!(keys[1]["kid"], retired.id.as_str());
        assert_eq!(keys[0]["x"].as_str().unwrap().len(), 43);
    }

    #[test]
    fn retired_keys_stay_published_until_their_last_token_expired() {
        let mut key = SigningKey::generate(account(), T0, &mut rng()).info();
        let lifetime = 3600;
        assert!(publishable(&key, T0.plus_secs(10 * lifetime), lifetime));

        let retired = T0.plus_secs(100);
        key.retired_at = Some(retired);
        // A token signed just before retirement expires at `retired + lifetime` and is
        // accepted a little longer on a node whose clock runs behind.
        let last_valid = retired.plus_secs(lifetime + EXP_LEEWAY_SECS + CLOCK_SKEW_SECS);
        assert!(publishable(&key, retired, lifetime));
        assert!(publishable(&key, retired.plus_secs(lifetime), lifetime));
        assert!(publishable(
            &key,
            Timestamp::from_millis(last_valid.as_millis() - 1),
            lifetime
        ));
        assert!(!publishable(&key, last_valid, lifetime));
        assert!(!publishable(&key, last_valid.plus_secs(1), lifetime));

        // Revocation removes it at once, retired or not.
        key.revoked_at = Some(retired.plus_secs(1));
        assert!(publishable(&key, retired, lifetime));
        assert!(!publishable(&key, retired.plus_secs(1), lifetime));
        key.retired_at = None;
        assert!(!publishable(&key, retired.plus_secs(2), lifetime));
    }
}
