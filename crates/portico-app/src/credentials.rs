//! The vendor's credentials: API keys and OAuth clients, each created with its secret shown
//! once, and revoked. The rules live here once, for the API and the command line alike: a
//! credential grants no scope its creator lacks, names at least one, and is revoked only by a
//! caller that has every scope it grants.

use portico_auth::{api_key, oauth};
use portico_core::model::{ApiKey, OAuthClient};
use portico_core::scope::ApiScopes;
use portico_core::{AccountId, ApiKeyId, Invalid, OAuthClientId, Timestamp, error};
use portico_store::{StoreError, StoreResult};

use crate::{App, AppResult, Caller};

/// What a new credential is asked for; OAuth clients do not expire.
#[derive(Debug, Clone)]
pub struct NewCredential {
    pub name: String,
    pub scopes: ApiScopes,
    pub expires_at: Option<Timestamp>,
}

/// A new credential and its secret, which is never stored and never shown again.
#[derive(Debug)]
pub struct Created<T> {
    pub record: T,
    pub secret: String,
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create_api_key(
    app: &App,
    by: &Caller,
    input: NewCredential,
    now: Timestamp,
) -> AppResult<Created<ApiKey>> {
    let name = check(by, &input, "a key cannot grant")?;
    if input.expires_at.is_some_and(|e| e <= now) {
        return Err(Invalid::new("expires_at", "must be in the future").into());
    }
    let secret = api_key::new_secret();
    let (scopes, expires_at) = (input.scopes, input.expires_at);
    let key = app
        .store
        .create_api_key(&by.account, &name, scopes, secret.sha256, expires_at, now)
        .await?;
    let secret = api_key::format_key(&key.id, &secret.secret);
    Ok(Created {
        record: key,
        secret,
    })
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn revoke_api_key(
    app: &App,
    by: &Caller,
    id: &ApiKeyId,
    now: Timestamp,
) -> AppResult<ApiKey> {
    let target = app.store.api_key_credential(id).await;
    may_revoke(by, target.map(|t| (t.account, t.key.scopes)), "a key")?;
    Ok(app.store.revoke_api_key(&by.account, id, now).await?)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create_oauth_client(
    app: &App,
    by: &Caller,
    input: NewCredential,
    now: Timestamp,
) -> AppResult<Created<OAuthClient>> {
    let name = check(by, &input, "a client cannot get")?;
    let secret = oauth::new_client_secret();
    let client = app
        .store
        .create_oauth_client(&by.account, &name, input.scopes, &secret.sha256, now)
        .await?;
    Ok(Created {
        record: client,
        secret: secret.value,
    })
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn revoke_oauth_client(
    app: &App,
    by: &Caller,
    id: &OAuthClientId,
    now: Timestamp,
) -> AppResult<OAuthClient> {
    let target = app.store.oauth_client_credential(id).await;
    may_revoke(by, target.map(|t| (t.account, t.client.scopes)), "a client")?;
    Ok(app.store.revoke_oauth_client(&by.account, id, now).await?)
}

/// The new credential's name, once its scopes are checked against the caller's.
fn check(by: &Caller, input: &NewCredential, what: &str) -> AppResult<String> {
    let name = error::required_text("name", &input.name, 100)?;
    if input.scopes.is_empty() {
        return Err(Invalid::new("scopes", "must name at least one scope").into());
    }
    by.require_all(input.scopes, what)?;
    Ok(name)
}

/// Whether the caller may revoke the credential `target` names (its account and scopes).
/// Another account's credential, or none, is left to the scoped revocation, which answers
/// not found.
fn may_revoke(
    by: &Caller,
    target: StoreResult<(AccountId, ApiScopes)>,
    what: &str,
) -> AppResult<()> {
    match target {
        Ok((account, scopes)) if account == by.account => {
            by.require_all(scopes, &format!("a key cannot revoke {what} with"))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
