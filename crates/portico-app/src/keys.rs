//! The accounts' signing keys: the current key of each account, opened with the master key;
//! lookups by `kid` for verification; rotation and revocation.
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

use crate::{App, AppError, AppResult, Caller};

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

    /// The master key, which also seals the payment providers' and the webhooks' secrets.
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The key that signs the account's new tokens; made on first use.
    pub async fn current(
        &self,
        store: &dyn Store,
        account: &AccountId,
        now: Timestamp,
    ) -> AppResult<Arc<SigningKey>> {
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
    fn opened(&self, record: &SigningKeyRecord) -> AppResult<Arc<SigningKey>> {
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
    ) -> AppResult<Arc<SigningKey>> {
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
    ) -> AppResult<()> {
        store.revoke_signing_key(account, id, now).await?;
        Ok(())
    }

    /// The public key a token's `kid` names, as the store has it now.
    pub async fn verifying(
        &self,
        store: &dyn Store,
        kid: &SigningKeyId,
    ) -> AppResult<Option<VerifyingKeyInfo>> {
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
    ) -> AppResult<SigningKey> {
        let key = SigningKey::generate(account.clone(), now, &mut rand::rngs::OsRng);
        let sealed = key
            .seal(&self.master, &mut rand::rngs::OsRng)
            .map_err(|e| internal(format!("cannot seal a signing key: {e}")))?;
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

    fn open(&self, record: &SigningKeyRecord) -> AppResult<SigningKey> {
        let info = verifying_info(record).ok_or_else(|| {
            internal(format!(
                "signing key {} has an unknown algorithm",
                record.id
            ))
        })?;
        SigningKey::open(&info, &record.sealed_private_key, &self.master).map_err(|e| {
            internal(format!(
                "cannot open signing key {} ({e}); is PORTICO_MASTER_KEY the one it was sealed with?",
                record.id
            ))
        })
    }
}

fn internal(message: String) -> AppError {
    AppError::Internal(message.into())
}

/// Makes a new current key for the caller's account; the others retire (they keep verifying
/// the tokens they signed until those expire).
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn rotate(app: &App, by: &Caller, now: Timestamp) -> AppResult<Arc<SigningKey>> {
    app.keys.rotate(app.store.as_ref(), &by.account, now).await
}

/// Revokes one of the caller's account's keys: tokens it signed stop verifying at once.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn revoke(app: &App, by: &Caller, id: &SigningKeyId, now: Timestamp) -> AppResult<()> {
    app.keys
        .revoke(app.store.as_ref(), &by.account, id, now)
        .await
}

/// The key that signs the caller's account's new tokens; made on first use.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn current(app: &App, by: &Caller, now: Timestamp) -> AppResult<Arc<SigningKey>> {
    app.keys.current(app.store.as_ref(), &by.account, now).await
}
