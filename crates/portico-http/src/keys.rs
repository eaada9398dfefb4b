//! The accounts' signing keys as the server uses them: the current key of each account, opened
//! with the master key; lookups by `kid` for verification; rotation.
//!
//! Which key is current, and whether a key still verifies, is read from the store on every use
//! (its cache is kept correct across nodes by the change log), so a rotation or revocation on one
//! node holds on every node from the next request. Only the opened private keys are kept here:
//! a key's material never changes, so holding it needs no invalidation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use portico_auth::signing::{Algorithm, MasterKey, SigningKey, VerifyingKeyInfo};
use portico_core::{AccountId, SigningKeyId, Timestamp};
use portico_store::{SigningKeyRecord, Store, StoreError};

use crate::error::{ApiError, ApiResult};

pub struct SigningKeys {
    master: MasterKey,
    opened: Mutex<HashMap<SigningKeyId, Arc<SigningKey>>>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys").finish_non_exhaustive()
    }
}

/// The public half of a stored key, or `None` when the record is not a key this build knows.
pub fn verifying_info(record: &SigningKeyRecord) -> Option<VerifyingKeyInfo> {
    Some(VerifyingKeyInfo {
        id: record.id.clone(),
        account: record.account.clone(),
        algorithm: Algorithm::parse(&record.algorithm)?,
        public_key: record.public_key.as_slice().try_into().ok()?,
        created_at: record.created_at,
        retired_at: record.retired_at,
        revoked_at: record.revoked_at,
    })
}

impl SigningKeys {
    pub fn new(master: MasterKey) -> Self {
        Self {
            master,
            opened: Mutex::new(HashMap::new()),
        }
    }

    /// The key that signs the account's new tokens; made on first use.
    pub async fn current(
        &self,
        store: &dyn Store,
        account: &AccountId,
        now: Timestamp,
    ) -> ApiResult<Arc<SigningKey>> {
        let records = store.signing_keys(account).await?;
        let usable = records
            .iter()
            .find(|r| r.retired_at.is_none() && r.revoked_at.is_none());
        match usable {
            Some(record) => self.opened(record),
            None => Ok(Arc::new(self.create(store, account, now).await?)),
        }
    }

    /// The private key of a record, opened once.
    fn opened(&self, record: &SigningKeyRecord) -> ApiResult<Arc<SigningKey>> {
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(key) = opened.get(&record.id) {
            return Ok(key.clone());
        }
        let key = Arc::new(self.open(record)?);
        opened.insert(record.id.clone(), key.clone());
        Ok(key)
    }

    /// Makes a new current key; the account's other keys are retired and keep verifying the
    /// tokens they signed until those expire.
    pub async fn rotate(
        &self,
        store: &dyn Store,
        account: &AccountId,
        now: Timestamp,
    ) -> ApiResult<Arc<SigningKey>> {
        let key = Arc::new(self.create(store, account, now).await?);
        store.retire_signing_keys(account, &key.id, now).await?;
        Ok(key)
    }

    /// Revokes a key: tokens it signed stop verifying at once.
    pub async fn revoke(
        &self,
        store: &dyn Store,
        account: &AccountId,
        id: &SigningKeyId,
        now: Timestamp,
    ) -> ApiResult<()> {
        store.revoke_signing_key(account, id, now).await?;
        Ok(())
    }

    /// The public key a token's `kid` names, as the store has it now.
    pub async fn verifying(
        &self,
        store: &dyn Store,
        kid: &SigningKeyId,
    ) -> ApiResult<Option<VerifyingKeyInfo>> {
        match store.signing_key(kid).await {
            Ok(record) => Ok(verifying_info(&record)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn create(
        &self,
        store: &dyn Store,
        account: &AccountId,
        now: Timestamp,
    ) -> ApiResult<SigningKey> {
        let key = SigningKey::generate(account.clone(), now, &mut rand::rngs::OsRng);
        let sealed = key
            .seal(&self.master, &mut rand::rngs::OsRng)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("cannot seal a signing key: {e}")))?;
        let record = SigningKeyRecord {
            id: key.id.clone(),
            account: account.clone(),
            algorithm: key.algorithm().as_str().to_owned(),
            public_key: key.public_key().to_vec(),
            sealed_private_key: sealed,
            created_at: now,
            retired_at: None,
            revoked_at: None,
        };
        store.create_signing_key(&record).await?;
        tracing::info!(kid = %record.id, "created a signing key");
        Ok(key)
    }

    fn open(&self, record: &SigningKeyRecord) -> ApiResult<SigningKey> {
        let info = verifying_info(record).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!(
                "signing key {} has an unknown algorithm",
                record.id
            ))
        })?;
        SigningKey::open(&info, &record.sealed_private_key, &self.master).map_err(|e| {
            ApiError::internal(anyhow::anyhow!(
                "cannot open signing key {} ({e}); is PORTICO_MASTER_KEY the one it was sealed with?",
                record.id
            ))
        })
    }
}

/// Tokens live at most this long, so a retired key stays published this long after retiring.
const LONGEST_TOKEN_SECS: i64 = portico_auth::portal_token::MAX_LIFETIME_SECS;

/// `GET /.well-known/jwks.json`: every public key that may still verify a live portal token
/// issued for this host. With a `{subdomain}` public URL each account has its own host, which
/// publishes that account's keys only (another host, none); otherwise one host serves every
/// account and publishes every key.
pub async fn jwks(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let now = s.clock.now();
    let records = match published_for_host(&s, &headers).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let infos: Vec<VerifyingKeyInfo> = records.iter().filter_map(verifying_info).collect();
    let doc = portico_auth::signing::jwks(&infos, now, LONGEST_TOKEN_SECS);
    let mut response = axum::Json(doc).into_response();
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=300"),
    );
    response
}

async fn published_for_host(
    s: &crate::AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Vec<SigningKeyRecord>, StoreError> {
    if !s.public_url.contains("{subdomain}") {
        return s.store.published_signing_keys().await;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(subdomain) = host_subdomain(&s.public_url, host) else {
        return Ok(Vec::new());
    };
    let account = match s.store.account_by_subdomain(&subdomain).await {
        Ok(account) => account,
        Err(StoreError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut records = s.store.published_signing_keys().await?;
    records.retain(|r| r.account == account.id);
    Ok(records)
}

/// The account subdomain a `Host` names under a `{subdomain}` public URL: `acme` for
/// `acme.billing.example.com` and `https://{subdomain}.billing.example.com`.
pub(crate) fn host_subdomain(public_url: &str, host: &str) -> Option<String> {
    let template = public_url.split("://").nth(1)?.split('/').next()?;
    let (before, after) = template.split_once("{subdomain}")?;
    let host = host.to_ascii_lowercase();
    let subdomain = host
        .strip_prefix(&before.to_ascii_lowercase())?
        .strip_suffix(&after.to_ascii_lowercase())?;
    let plain = !subdomain.is_empty()
        && subdomain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then(|| subdomain.to_owned())
}

#[cfg(test)]
mod tests {
    use super::host_subdomain;

    #[test]
    fn subdomains_come_from_the_host() {
        let url = "https://{subdomain}.billing.example.com";
        assert_eq!(
            host_subdomain(url, "Acme.billing.example.com").as_deref(),
            Some("acme")
        );
        assert_eq!(host_subdomain(url, "billing.example.com"), None);
        assert_eq!(host_subdomain(url, "a.b.billing.example.com"), None);
        assert_eq!(host_subdomain(url, "acme.evil.example"), None);
        let local = "http://{subdomain}.localhost:8080/";
        assert_eq!(
            host_subdomain(local, "bravo.localhost:8080").as_deref(),
            Some("bravo")
        );
        assert_eq!(host_subdomain(local, "bravo.localhost:9090"), None);
    }
}
