//! Portal tokens: the short-lived JWT (`typ: portal+jwt`, EdDSA) that opens the portal for one
//! customer or one of its contacts.
//!
//! Verification runs in two steps so that storage is only ever asked about a well-formed `kid`:
//! [`Unverified::parse`] checks everything that needs no key, [`Unverified::verify`] checks the
//! signature with the key that `kid` names and then the claims. [`verify`] does both around a
//! lookup function. Nothing here fetches anything: header fields that point at keys elsewhere
//! (`jku`, `x5u`, …) are refused, not followed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use portico_core::scope::{PortalScope, PortalScopes};
use portico_core::{AccountId, ContactId, CustomerId, PortalSessionId, SigningKeyId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::signing::{Algorithm, SigningKey, VerifyingKeyInfo};

pub const TYP: &str = "portal+jwt";
pub const AUDIENCE: &str = "portal";
/// Longer tokens are refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 4096;
/// The longest lifetime a portal token may have: the REST API's largest `expires_in_seconds`.
/// Issuing enforces it, so a retired key's JWKS entry can be dropped after this long.
pub const MAX_LIFETIME_SECS: i64 = 2_592_000;
/// How long after `exp` a token is still accepted: none. A token is valid while
/// `now < exp + EXP_LEEWAY_SECS`, so one second after `exp` it is refused (SECURITY.md 7).
/// Portico checks its own tokens, so there is no foreign issuer clock to forgive; DESIGN.md
/// allows at most 5 s.
pub const EXP_LEEWAY_SECS: i64 = 0;
/// How far `iat` may lie ahead of `now`: a token issued by one node and presented at once to
/// another whose clock is a little behind must still work.
pub const CLOCK_SKEW_SECS: i64 = 5;

/// Header fields that would make a verifier fetch or trust key material named by the token, or
/// require extensions it does not know (RFC 8725 §3.10, RFC 7515 §4.1.11).
const FORBIDDEN_HEADERS: [&str; 5] = ["jku", "x5u", "jwk", "x5c", "crit"];
const MAX_HEADER_B64_LEN: usize = 512;
/// 64 signature bytes in base64url without padding.
const SIGNATURE_B64_LEN: usize = 86;
/// Numeric dates beyond 9999-12-31 are refused rather than overflowing.
const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// Who the portal is opened for: the customer itself (`uid` is `sub`), or one of its contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalUser {
    Customer,
    Contact(ContactId),
}

/// A portal token's claims. `iat` and `exp` travel as whole seconds; `aud` is always `portal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalClaims {
    /// The public URL of the deployment (with the account's subdomain filled in).
    pub iss: String,
    pub sub: CustomerId,
    pub jti: PortalSessionId,
    pub iat: Timestamp,
    pub exp: Timestamp,
    pub account: AccountId,
    pub subdomain: String,
    pub user: PortalUser,
    pub scope: PortalScopes,
}

/// Why a token could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error("the signing key is retired or revoked")]
    KeyNotUsable,
    #[error("the signing key belongs to another account")]
    WrongAccount,
    #[error("a portal token must live between 1 second and 30 days")]
    BadLifetime,
    #[error("the token would be longer than 4 KiB")]
    TooLong,
    #[error("the token could not be encoded")]
    Encoding,
}

/// Why a token was refused. For logs only: the answer to the client is always a plain 401, and
/// no variant carries any part of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token longer than 4 KiB")]
    TooLong,
    #[error("token is not three base64url parts with a 64-byte signature")]
    Malformed,
    #[error("token header is not a JSON object of exactly alg, typ and kid")]
    BadHeader,
    #[error("token header has `{0}`, which is never accepted")]
    ForbiddenHeader(&'static str),
    #[error("token alg is not EdDSA")]
    WrongAlgorithm,
    #[error("token typ is not portal+jwt")]
    WrongType,
    #[error("token kid is not a signing key id")]
    BadKeyId,
    #[error("no signing key has this kid")]
    UnknownKey,
    #[error("the signing key is revoked")]
    KeyRevoked,
    #[error("the signing key is for another algorithm")]
    AlgorithmMismatch,
    #[error("signature does not verify")]
    BadSignature,
    #[error("token claims are not a JSON object with every required claim")]
    BadClaims,
    #[error("claim `{0}` is invalid")]
    InvalidClaim(&'static str),
    #[error("token aud is not portal")]
    WrongAudience,
    #[error("token iss is not this deployment")]
    WrongIssuer,
    #[error("token expired")]
    Expired,
    #[error("token iat is in the future")]
    IssuedInFuture,
    #[error("token account does not own the signing key")]
    WrongAccount,
}

#[derive(Serialize)]
struct HeaderOut<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

/// Exactly these three fields; serde refuses unknown and duplicated ones.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderIn {
    alg: String,
    typ: String,
    kid: String,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Serialize, Deserialize)]
struct WireClaims {
    iss: String,
    aud: Audience,
    sub: String,
    jti: String,
    iat: i64,
    exp: i64,
    account: String,
    subdomain: String,
    uid: String,
    uid_type: String,
    scope: String,
}

/// Signs `claims` with `key`, which must belong to the claims' account and be usable at `iat`.
pub fn issue(claims: &PortalClaims, key: &SigningKey) -> Result<String, IssueError> {
    if !key.can_sign(claims.iat) {
        return Err(IssueError::KeyNotUsable);
    }
    if claims.account != key.account {
        return Err(IssueError::WrongAccount);
    }
    let (iat, exp) = (claims.iat.as_secs(), claims.exp.as_secs());
    if !(1..=MAX_LIFETIME_SECS).contains(&(exp - iat)) {
        return Err(IssueError::BadLifetime);
    }
    let header = HeaderOut {
        alg: key.algorithm().as_str(),
        typ: TYP,
        kid: key.id.as_str(),
    };
    let (uid, uid_type) = match &claims.user {
        PortalUser::Customer => (claims.sub.as_str(), "Customer"),
        PortalUser::Contact(contact) => (contact.as_str(), "Contact"),
    };
    let payload = WireClaims {
        iss: claims.iss.clone(),
        aud: Audience::One(AUDIENCE.to_owned()),
        sub: claims.sub.to_string(),
        jti: claims.jti.to_string(),
        iat,
        exp,
        account: claims.account.to_string(),
        subdomain: claims.subdomain.clone(),
        uid: uid.to_owned(),
        uid_type: uid_type.to_owned(),
        scope: claims.scope.to_text(),
    };
    let header = serde_json::to_vec(&header).map_err(|_| IssueError::Encoding)?;
    let payload = serde_json::to_vec(&payload).map_err(|_| IssueError::Encoding)?;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let token = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()))
    );
    if token.len() > MAX_TOKEN_BYTES {
        return Err(IssueError::TooLong);
    }
    Ok(token)
}

/// Verifies `token` completely: `key_lookup` is asked for the key its `kid` names (only once the
/// token is well-formed) and should answer `None` for an unknown kid. Whether the portal session
/// `jti` is revoked is for the caller to check next.
pub fn verify(
    token: &str,
    expected_iss: &str,
    key_lookup: impl FnOnce(&SigningKeyId) -> Option<VerifyingKeyInfo>,
    now: Timestamp,
) -> Result<PortalClaims, TokenError> {
    let unverified = Unverified::parse(token)?;
    let key = key_lookup(unverified.kid()).ok_or(TokenError::UnknownKey)?;
    unverified.verify(&key, expected_iss, now)
}

/// A token whose shape and header have been checked, but not yet its signature or claims. For
/// callers that look keys up asynchronously: parse, fetch the key for [`Unverified::kid`], verify.
pub struct Unverified<'a> {
    kid: SigningKeyId,
    algorithm: Algorithm,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: [u8; 64],
}

impl<'a> Unverified<'a> {
    pub fn parse(token: &'a str) -> Result<Self, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLong);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if header.len() > MAX_HEADER_B64_LEN {
            return Err(TokenError::Malformed);
        }
        let (kid, algorithm) = parse_header(&decode(header)?)?;
        if signature.len() != SIGNATURE_B64_LEN {
            return Err(TokenError::Malformed);
        }
        let signature: [u8; 64] = decode(signature)?
            .try_into()
            .map_err(|_| TokenError::Malformed)?;
        Ok(Self {
            kid,
            algorithm,
            // The signature covers the bytes as presented, never a re-encoding of them.
            signing_input: &token[..header.len() + 1 + payload.len()],
            payload: decode(payload)?,
            signature,
        })
    }

    /// The key id to look up; it has parsed as a [`SigningKeyId`], so it is safe to query with.
    pub fn kid(&self) -> &SigningKeyId {
        &self.kid
    }

    /// Checks the signature with `key` (the one [`Unverified::kid`] names), then the claims.
    pub fn verify(
        self,
        key: &VerifyingKeyInfo,
        expected_iss: &str,
        now: Timestamp,
    ) -> Result<PortalClaims, TokenError> {
        if key.id != self.kid {
            return Err(TokenError::UnknownKey);
        }
        if key.is_revoked(now) {
            return Err(TokenError::KeyRevoked);
        }
        // The key, not the token, decides the algorithm.
        if key.algorithm != self.algorithm {
            return Err(TokenError::AlgorithmMismatch);
        }
        match key.algorithm {
            Algorithm::EdDsa => {
                let public = VerifyingKey::from_bytes(&key.public_key)
                    .map_err(|_| TokenError::BadSignature)?;
                // Strict verification also refuses small-order keys and non-canonical signatures.
                public
                    .verify_strict(
                        self.signing_input.as_bytes(),
                        &Signature::from_bytes(&self.signature),
                    )
                    .map_err(|_| TokenError::BadSignature)?;
            }
        }
        let claims: WireClaims =
            serde_json::from_slice(&self.payload).map_err(|_| TokenError::BadClaims)?;
        check_claims(claims, key, expected_iss, now)
    }
}

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    // The engine refuses padding and non-zero spare bits, so each token has one encoding.
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)
}

fn parse_header(json: &[u8]) -> Result<(SigningKeyId, Algorithm), TokenError> {
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(json).map_err(|_| TokenError::BadHeader)?;
    if let Some(name) = FORBIDDEN_HEADERS
        .into_iter()
        .find(|name| fields.contains_key(*name))
    {
        return Err(TokenError::ForbiddenHeader(name));
    }
    let header: HeaderIn = serde_json::from_slice(json).map_err(|_| TokenError::BadHeader)?;
    let algorithm = Algorithm::parse(&header.alg).ok_or(TokenError::WrongAlgorithm)?;
    if header.typ != TYP {
        return Err(TokenError::WrongType);
    }
    let kid = header.kid.parse().map_err(|_| TokenError::BadKeyId)?;
    Ok((kid, algorithm))
}

fn check_claims(
    wire: WireClaims,
    key: &VerifyingKeyInfo,
    expected_iss: &str,
    now: Timestamp,
) -> Result<PortalClaims, TokenError> {
    let audience_ok = match &wire.aud {
        Audience::One(aud) => aud == AUDIENCE,
        Audience::Many(auds) => auds.len() == 1 && auds[0] == AUDIENCE,
    };
    if !audience_ok {
        return Err(TokenError::WrongAudience);
    }
    if wire.iss != expected_iss {
        return Err(TokenError::WrongIssuer);
    }
    let iat = numeric_date(wire.iat, "iat")?;
    let exp = numeric_date(wire.exp, "exp")?;
    if now >= exp.plus_secs(EXP_LEEWAY_SECS) {
        return Err(TokenError::Expired);
    }
    if iat > now.plus_secs(CLOCK_SKEW_SECS) {
        return Err(TokenError::IssuedInFuture);
    }
    if !(1..=MAX_LIFETIME_SECS).contains(&(wire.exp - wire.iat)) {
        return Err(TokenError::InvalidClaim("exp"));
    }
    let account: AccountId = parse_claim(&wire.account, "account")?;
    if account != key.account {
        return Err(TokenError::WrongAccount);
    }
    let sub = parse_claim(&wire.sub, "sub")?;
    let jti = parse_claim(&wire.jti, "jti")?;
    let user = match wire.uid_type.as_str() {
        "Customer" if wire.uid == wire.sub => PortalUser::Customer,
        "Customer" => return Err(TokenError::InvalidClaim("uid")),
        "Contact" => PortalUser::Contact(parse_claim(&wire.uid, "uid")?),
        _ => return Err(TokenError::InvalidClaim("uid_type")),
    };
    Ok(PortalClaims {
        sub,
        jti,
        scope: parse_scope(&wire.scope).ok_or(TokenError::InvalidClaim("scope"))?,
        iss: wire.iss,
        iat,
        exp,
        account,
        subdomain: wire.subdomain,
        user,
    })
}

fn numeric_date(secs: i64, claim: &'static str) -> Result<Timestamp, TokenError> {
    if (0..=MAX_NUMERIC_DATE).contains(&secs) {
        Ok(Timestamp::from_secs(secs))
    } else {
        Err(TokenError::InvalidClaim(claim))
    }
}

fn parse_claim<T: std::str::FromStr>(value: &str, claim: &'static str) -> Result<T, TokenError> {
    value.parse().map_err(|_| TokenError::InvalidClaim(claim))
}

/// Exactly what [`PortalScopes::to_text`] writes: names separated by single spaces.
fn parse_scope(text: &str) -> Option<PortalScopes> {
    if text.is_empty() {
        return Some(PortalScopes::empty());
    }
    text.split(' ').map(PortalScope::parse).collect()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use hmac::{Hmac, Mac};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::{Value, json};
    use sha2::{Sha256, Sha512};

    use super::*;
    use crate::signing::jwks;

    const ISS: &str = "https://acme.portico.example";
    const T0: Timestamp = Timestamp::from_secs(1_700_000_000);
    const LIFETIME: i64 = 3600;

    fn account() -> AccountId {
        AccountId::new(T0, [1; 10])
    }

    fn key(seed: u64) -> SigningKey {
        SigningKey::generate(account(), T0, &mut StdRng::seed_from_u64(seed))
    }

    fn claims() -> PortalClaims {
        PortalClaims {
            iss: ISS.into(),
            sub: CustomerId::new(T0, [2; 10]),
            jti: PortalSessionId::new(T0, [3; 10]),
            iat: T0,
            exp: T0.plus_secs(LIFETIME),
            account: account(),
            subdomain: "acme".into(),
            user: PortalUser::Customer,
            scope: PortalScopes::read_only(),
        }
    }

    /// The claims of `claims()` as JSON, for tests that tamper with single claims.
    fn payload() -> Value {
        let c = claims();
        json!({
            "iss": ISS, "aud": "portal", "sub": c.sub, "jti": c.jti,
            "iat": c.iat.as_secs(), "exp": c.exp.as_secs(), "account": c.account,
            "subdomain": "acme", "uid": c.sub, "uid_type": "Customer",
            "scope": "subscriptions:read invoices:read payment_methods:read account:read",
        })
    }

    fn header(key: &SigningKey) -> Value {
        json!({ "alg": "EdDSA", "typ": "portal+jwt", "kid": key.id })
    }

    fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A token with exactly this header and payload text, signed by `key` (as an attacker holding
    /// the key, or Portico with a bug, could).
    fn sign_raw(header: &str, payload: &str, key: &SigningKey) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let sig = key.sign(input.as_bytes());
        format!("{input}.{}", b64(sig))
    }

    fn sign_json(header: &Value, payload: &Value, key: &SigningKey) -> String {
        sign_raw(&header.to_string(), &payload.to_string(), key)
    }

    /// Verifies against a store holding `keys`, counting how often storage was asked.
    fn check(
        token: &str,
        keys: &[VerifyingKeyInfo],
        now: Timestamp,
        lookups: &Cell<u32>,
    ) -> Result<PortalClaims, TokenError> {
        verify(
            token,
            ISS,
            |kid| {
                lookups.set(lookups.get() + 1);
                keys.iter().find(|k| &k.id == kid).cloned()
            },
            now,
        )
    }

    fn verify_at(
        token: &str,
        key: &SigningKey,
        now: Timestamp,
    ) -> Result<PortalClaims, TokenError> {
        check(token, &[key.info()], now, &Cell::new(0))
    }

    fn decode_json(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_carry_every_claim() {
        let key = key(1);
        let token = issue(&claims(), &key).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode_json(parts[0]),
            json!({ "alg": "EdDSA", "typ": "portal+jwt", "kid": key.id })
        );
        assert_eq!(decode_json(parts[1]), payload());
        assert_eq!(verify_at(&token, &key, T0).unwrap(), claims());

        let contact = ContactId::new(T0, [4; 10]);
        let for_contact = PortalClaims {
            user: PortalUser::Contact(contact.clone()),
            scope: PortalScopes::all(),
            ..claims()
        };
        let token = issue(&for_contact, &key).unwrap();
        let wire = decode_json(token.split('.').nth(1).unwrap());
        assert_eq!(wire["uid"], contact.as_str());
        assert_eq!(wire["uid_type"], "Contact");
        assert_eq!(verify_at(&token, &key, T0).unwrap(), for_contact);
    }

    #[test]
    fn issue_refuses_unusable_keys_and_lifetimes() {
        let mut key = key(1);
        let too_long = PortalClaims {
            exp: T0.plus_secs(MAX_LIFETIME_SECS + 1),
            ..claims()
        };
        assert_eq!(issue(&too_long, &key), Err(IssueError::BadLifetime));
        let longest = PortalClaims {
            exp: T0.plus_secs(MAX_LIFETIME_SECS),
            ..claims()
        };
        assert!(issue(&longest, &key).is_ok());
        let backwards = PortalClaims {
            exp: T0,
            ..claims()
        };
        assert_eq!(issue(&backwards, &key), Err(IssueError::BadLifetime));
        let other_account = PortalClaims {
            account: AccountId::new(T0, [9; 10]),
            ..claims()
        };
        assert_eq!(issue(&other_account, &key), Err(IssueError::WrongAccount));
        let huge_iss = PortalClaims {
            iss: "x".repeat(MAX_TOKEN_BYTES),
            ..claims()
        };
        assert_eq!(issue(&huge_iss, &key), Err(IssueError::TooLong));
        key.retired_at = Some(T0);
        assert_eq!(issue(&claims(), &key), Err(IssueError::KeyNotUsable));
    }

    // SECURITY.md 1: `alg: none` and no signature → refused before any key is looked up.
    #[test]
    fn sec1_alg_none_is_refused() {
        let key = key(1);
        let lookups = Cell::new(0);
        let valid = issue(&claims(), &key).unwrap();
        let valid_sig = valid.rsplit('.').next().unwrap();
        for alg in ["none", "None", "NONE", ""] {
            let head = json!({ "alg": alg, "typ": "portal+jwt", "kid": key.id });
            let input = format!("{}.{}", b64(head.to_string()), b64(payload().to_string()));
            assert_eq!(
                check(&input, &[key.info()], T0, &lookups),
                Err(TokenError::Malformed)
            );
            for token in [format!("{input}."), format!("{input}.{valid_sig}")] {
                assert_eq!(
                    check(&token, &[key.info()], T0, &lookups),
                    Err(TokenError::WrongAlgorithm),
                    "{alg}"
                );
            }
        }
        let no_alg = json!({ "typ": "portal+jwt", "kid": key.id });
        let token = format!(
            "{}.{}.",
            b64(no_alg.to_string()),
            b64(payload().to_string())
        );
        assert_eq!(
            check(&token, &[key.info()], T0, &lookups),
            Err(TokenError::BadHeader)
        );
        assert_eq!(lookups.get(), 0);
    }

    // SECURITY.md 2: HS256 "signed" with the public key as the HMAC secret → refused, whatever
    // alg the header claims.
    #[test]
    fn sec2_hmac_with_the_public_key_is_refused() {
        let key = key(1);
        let info = key.info();
        let public_forms: [Vec<u8>; 2] = [
            key.public_key().to_vec(),
            b64(key.public_key()).into_bytes(),
        ];
        for secret in &public_forms {
            for alg in ["HS256", "HS512", "EdDSA"] {
                let head = json!({ "alg": alg, "typ": "portal+jwt", "kid": key.id });
                let input = format!("{}.{}", b64(head.to_string()), b64(payload().to_string()));
                let sha256 = Hmac::<Sha256>::new_from_slice(secret)
                    .unwrap()
                    .chain_update(input.as_bytes())
                    .finalize()
                    .into_bytes();
                // HMAC-SHA512 has the length of an Ed25519 signature, so it reaches the check.
                let sha512 = Hmac::<Sha512>::new_from_slice(secret)
                    .unwrap()
                    .chain_update(input.as_bytes())
                    .finalize()
                    .into_bytes();
                for mac in [sha256.to_vec(), sha512.to_vec()] {
                    let token = format!("{input}.{}", b64(&mac));
                    let err = verify_at(&token, &key, T0).unwrap_err();
                    let expected = match (alg, mac.len()) {
                        ("EdDSA", 64) => TokenError::BadSignature,
                        ("EdDSA", _) => TokenError::Malformed,
                        _ => TokenError::WrongAlgorithm,
                    };
                    assert_eq!(err, expected, "{alg} {}", mac.len());
                }
            }
        }
        // A valid EdDSA token verifies only with the public key its kid names.
        let mut other = info.clone();
        other.public_key = self::key(2).public_key();
        let token = issue(&claims(), &key).unwrap();
        assert_eq!(
            verify(&token, ISS, |_| Some(other), T0),
            Err(TokenError::BadSignature)
        );
    }

    // SECURITY.md 3: missing or wrong `aud`, wrong `iss`, wrong `typ` → refused.
    #[test]
    fn sec3_audience_issuer_and_type_must_match() {
        let key = key(1);
        let with = |claim: &str, value: Value| {
            let mut p = payload();
            p[claim] = value;
            sign_json(&header(&key), &p, &key)
        };
        let mut no_aud = payload();
        no_aud.as_object_mut().unwrap().remove("aud");
        let cases = [
            (
                sign_json(&header(&key), &no_aud, &key),
                TokenError::BadClaims,
            ),
            (with("aud", json!("api")), TokenError::WrongAudience),
            (with("aud", json!("Portal")), TokenError::WrongAudience),
            (with("aud", json!([])), TokenError::WrongAudience),
            (
                with("aud", json!(["portal", "api"])),
                TokenError::WrongAudience,
            ),
            (with("aud", json!(null)), TokenError::BadClaims),
            (with("aud", json!(1)), TokenError::BadClaims),
            (
                with("iss", json!("https://evil.example")),
                TokenError::WrongIssuer,
            ),
            (
                with("iss", json!(format!("{ISS}/"))),
                TokenError::WrongIssuer,
            ),
        ];
        for (token, expected) in cases {
            assert_eq!(verify_at(&token, &key, T0), Err(expected));
        }
        assert!(verify_at(&with("aud", json!(["portal"])), &key, T0).is_ok());
        assert_eq!(
            verify(
                &issue(&claims(), &key).unwrap(),
                "https://other.example",
                |_| Some(key.info()),
                T0
            ),
            Err(TokenError::WrongIssuer)
        );

        for typ in [
            json!("JWT"),
            json!("PORTAL+JWT"),
            json!("at+jwt"),
            json!(""),
        ] {
            let head = json!({ "alg": "EdDSA", "typ": typ, "kid": key.id });
            let token = sign_json(&head, &payload(), &key);
            assert_eq!(verify_at(&token, &key, T0), Err(TokenError::WrongType));
        }
        let no_typ = json!({ "alg": "EdDSA", "kid": key.id });
        let token = sign_json(&no_typ, &payload(), &key);
        assert_eq!(verify_at(&token, &key, T0), Err(TokenError::BadHeader));
    }

    // SECURITY.md 4 (the token half): an API key, or anything that is not a portal token, is
    // refused without a lookup; and a portal token does not parse as an API key.
    #[test]
    fn sec4_api_keys_and_garbage_are_not_portal_tokens() {
        let key = key(1);
        let lookups = Cell::new(0);
        let api_key = crate::api_key::format_key(
            &portico_core::ApiKeyId::new(T0, [5; 10]),
            &crate::api_key::new_secret().secret,
        );
        let valid = issue(&claims(), &key).unwrap();
        let (input, _) = valid.rsplit_once('.').unwrap();
        let garbage = [
            api_key.clone(),
            format!("Bearer {valid}"),
            String::new(),
            ".".into(),
            "..".into(),
            "a.b.c".into(),
            crate::secret::random_token(),
            format!("{valid}."),
            format!("{valid}.{}", "A".repeat(86)),
            input.to_owned(),
            format!("{input}=.{}", valid.rsplit('.').next().unwrap()),
            valid.replace('.', ". "),
            "\u{0}".repeat(10),
            "é.é.é".into(),
        ];
        for token in &garbage {
            let err = check(token, &[key.info()], T0, &lookups).unwrap_err();
            assert!(
                matches!(err, TokenError::Malformed | TokenError::BadHeader),
                "{token}: {err:?}"
            );
        }
        assert_eq!(
            check(
                &"a".repeat(MAX_TOKEN_BYTES + 1),
                &[key.info()],
                T0,
                &lookups
            ),
            Err(TokenError::TooLong)
        );
        assert_eq!(lookups.get(), 0);
        assert!(crate::api_key::parse_key(&valid).is_none());
        assert!(crate::api_key::parse_key(&format!("portico_sk_{valid}")).is_none());
    }

    // SECURITY.md 5: an unknown kid → refused; a kid that is not a key id never reaches storage.
    #[test]
    fn sec5_kids_are_checked_before_any_lookup() {
        let key = key(1);
        let lookups = Cell::new(0);
        for kid in [
            json!("' OR 1=1--"),
            json!("../x"),
            json!("sk_../../etc/passwd"),
            json!(""),
            json!(account().as_str()),
            json!(1),
            json!(null),
        ] {
            let head = json!({ "alg": "EdDSA", "typ": "portal+jwt", "kid": kid });
            let token = sign_json(&head, &payload(), &key);
            let err = check(&token, &[key.info()], T0, &lookups).unwrap_err();
            assert!(
                matches!(err, TokenError::BadKeyId | TokenError::BadHeader),
                "{kid}: {err:?}"
            );
        }
        assert_eq!(lookups.get(), 0);

        let stranger = self::key(2);
        let token = issue(&claims(), &stranger).unwrap();
        assert_eq!(
            check(&token, &[key.info()], T0, &lookups),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(lookups.get(), 1);
        // A lookup that answers with some other key is not trusted either.
        assert_eq!(
            verify(&token, ISS, |_| Some(key.info()), T0),
            Err(TokenError::UnknownKey)
        );
    }

    // SECURITY.md 6: `jku`, `x5u` and the like → refused before any lookup; verification has no
    // way to fetch anything (the only call out is `key_lookup`, and it is not made).
    #[test]
    fn sec6_headers_pointing_elsewhere_are_refused() {
        let key = key(1);
        let lookups = Cell::new(0);
        for (name, value) in [
            ("jku", json!("https://evil.example/jwks.json")),
            ("x5u", json!("https://evil.example/cert.pem")),
            (
                "jwk",
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(key.public_key()) }),
            ),
            ("x5c", json!(["MIIB"])),
            ("crit", json!(["exp"])),
        ] {
            let mut head = header(&key);
            head[name] = value;
            let token = sign_json(&head, &payload(), &key);
            assert_eq!(
                check(&token, &[key.info()], T0, &lookups),
                Err(TokenError::ForbiddenHeader(name))
            );
        }
        let mut head = header(&key);
        head["x5t"] = json!("abc");
        let token = sign_json(&head, &payload(), &key);
        assert_eq!(
            check(&token, &[key.info()], T0, &lookups),
            Err(TokenError::BadHeader)
        );
        // A duplicated field must not let a second value hide behind the first.
        let dup = format!(
            r#"{{"alg":"none","alg":"EdDSA","typ":"portal+jwt","kid":"{}"}}"#,
            key.id
        );
        let token = sign_raw(&dup, &payload().to_string(), &key);
        assert_eq!(
            check(&token, &[key.info()], T0, &lookups),
            Err(TokenError::BadHeader)
        );
        assert_eq!(lookups.get(), 0);
    }

    // SECURITY.md 7: valid while `now < exp + EXP_LEEWAY_SECS` (the leeway is 0), so one second
    // before `exp` is accepted and one second after is refused; time is injected.
    #[test]
    fn sec7_expiry_edges() {
        let key = key(1);
        let token = issue(&claims(), &key).unwrap();
        let exp = claims().exp;
        assert!(verify_at(&token, &key, exp.minus_secs(1)).is_ok());
        assert_eq!(
            verify_at(&token, &key, exp.plus_secs(1)),
            Err(TokenError::Expired)
        );
        // The exact edge, to the millisecond, in terms of the leeway.
        let deadline = exp.plus_secs(EXP_LEEWAY_SECS);
        let just_before = Timestamp::from_millis(deadline.as_millis() - 1);
        assert!(verify_at(&token, &key, just_before).is_ok());
        assert_eq!(verify_at(&token, &key, deadline), Err(TokenError::Expired));
    }

    #[test]
    fn iat_may_be_ahead_only_by_the_clock_skew() {
        let key = key(1);
        let token = issue(&claims(), &key).unwrap();
        let iat = claims().iat;
        assert!(verify_at(&token, &key, iat.minus_secs(CLOCK_SKEW_SECS)).is_ok());
        let too_early = Timestamp::from_millis(iat.minus_secs(CLOCK_SKEW_SECS).as_millis() - 1);
        assert_eq!(
            verify_at(&token, &key, too_early),
            Err(TokenError::IssuedInFuture)
        );
    }

    // SECURITY.md 8: during the overlap a token of the previous key verifies and the JWKS lists
    // both keys; once the old key is revoked its tokens fail and it leaves the JWKS.
    #[test]
    fn sec8_rotation() {
        let mut old = key(1);
        let new = key(2);
        let old_token = issue(&claims(), &old).unwrap();
        let now = T0.plus_secs(60);
        old.retired_at = Some(now);
        let new_token = issue(&claims_at(now), &new).unwrap();
        assert_eq!(issue(&claims_at(now), &old), Err(IssueError::KeyNotUsable));

        let store = [old.info(), new.info()];
        let lookups = Cell::new(0);
        assert!(check(&old_token, &store, now, &lookups).is_ok());
        assert!(check(&new_token, &store, now, &lookups).is_ok());
        let doc = jwks(&store, now, MAX_LIFETIME_SECS);
        let kids: Vec<&str> = doc["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, [old.id.as_str(), new.id.as_str()]);

        let later = now.plus_secs(1);
        old.revoked_at = Some(later);
        let store = [old.info(), new.info()];
        assert_eq!(
            check(&old_token, &store, later, &lookups),
            Err(TokenError::KeyRevoked)
        );
        // A store that drops revoked keys gives the same answer by another road.
        assert_eq!(
            check(&old_token, &store[1..], later, &lookups),
            Err(TokenError::UnknownKey)
        );
        assert!(check(&new_token, &store, later, &lookups).is_ok());
        let doc = jwks(&store, later, MAX_LIFETIME_SECS);
        assert_eq!(doc["keys"].as_array().unwrap().len(), 1);
        assert_eq!(doc["keys"][0]["kid"], new.id.as_str());
    }

    fn claims_at(now: Timestamp) -> PortalClaims {
        PortalClaims {
            iat: now,
            exp: now.plus_secs(LIFETIME),
            ..claims()
        }
    }

    #[test]
    fn claims_must_parse_as_the_right_kinds() {
        let key = key(1);
        let with = |claim: &str, value: Value| {
            let mut p = payload();
            p[claim] = value;
            sign_json(&header(&key), &p, &key)
        };
        let c = claims();
        let cases = [
            ("sub", json!("' OR 1=1--"), TokenError::InvalidClaim("sub")),
            ("sub", json!(c.jti), TokenError::InvalidClaim("sub")),
            ("jti", json!(c.sub), TokenError::InvalidClaim("jti")),
            ("account", json!(c.sub), TokenError::InvalidClaim("account")),
            (
                "account",
                json!(AccountId::new(T0, [9; 10])),
                TokenError::WrongAccount,
            ),
            (
                "uid",
                json!(CustomerId::new(T0, [8; 10])),
                TokenError::InvalidClaim("uid"),
            ),
            (
                "uid_type",
                json!("Admin"),
                TokenError::InvalidClaim("uid_type"),
            ),
            (
                "uid_type",
                json!("Contact"),
                TokenError::InvalidClaim("uid"),
            ),
            ("scope", json!("root"), TokenError::InvalidClaim("scope")),
            (
                "scope",
                json!("invoices:read,account:read"),
                TokenError::InvalidClaim("scope"),
            ),
            (
                "scope",
                json!("invoices:read  account:read"),
                TokenError::InvalidClaim("scope"),
            ),
            ("iat", json!(-1), TokenError::InvalidClaim("iat")),
            ("exp", json!(i64::MAX), TokenError::InvalidClaim("exp")),
            (
                "exp",
                json!(T0.as_secs() + MAX_LIFETIME_SECS + 1),
                TokenError::InvalidClaim("exp"),
            ),
            ("exp", json!(1e99), TokenError::BadClaims),
            ("exp", json!("soon"), TokenError::BadClaims),
        ];
        for (claim, value, expected) in cases {
            let token = with(claim, value.clone());
            assert_eq!(
                verify_at(&token, &key, T0),
                Err(expected),
                "{claim}: {value}"
            );
        }
        assert!(verify_at(&with("scope", json!("")), &key, T0).is_ok());
    }

    #[test]
    fn errors_never_show_the_token() {
        let key = key(1);
        let token = issue(&claims(), &key).unwrap();
        let sig = token.rsplit('.').next().unwrap();
        let errors = [
            verify_at(&token, &key, T0.plus_secs(LIFETIME)).unwrap_err(),
            verify(&token, "x", |_| Some(key.info()), T0).unwrap_err(),
            verify(&token, ISS, |_| None, T0).unwrap_err(),
        ];
        for err in errors {
            let shown = format!("{err} {err:?}");
            assert!(
                !shown.contains(sig) && !shown.contains(key.id.as_str()),
                "{shown}"
            );
        }
    }

    proptest! {
        // Changing any single byte of a valid token makes it fail.
        #[test]
        fn any_changed_byte_is_refused(index in 0usize..1000, byte: u8) {
            let key = key(1);
            let token = issue(&claims(), &key).unwrap();
            let mut bytes = token.clone().into_bytes();
            let i = index % bytes.len();
            prop_assume!(bytes[i] != byte);
            bytes[i] = byte;
            // A change that is not UTF-8 cannot even be presented as a `&str`.
            if let Ok(changed) = String::from_utf8(bytes) {
                prop_assert!(verify_at(&changed, &key, T0).is_err());
            }
        }
    }

    // The same at every position, each replaced by the next base64url character so that the
    // change still decodes and has to be caught by the signature or the header checks.
    #[test]
    fn every_position_is_covered_by_the_signature() {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let key = key(1);
        let token = issue(&claims(), &key).unwrap();
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = match ALPHABET.iter().position(|&c| c == bytes[i]) {
                Some(p) => ALPHABET[(p + 1) % ALPHABET.len()],
                None => b'A',
            };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(verify_at(&changed, &key, T0).is_err(), "byte {i}");
        }
    }
}
