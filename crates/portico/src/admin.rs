//! Operator actions shared by the CLI and the demo: accounts and API keys.

use anyhow::Context;
use portico_core::model::Account;
use portico_core::scope::ApiScopes;
use portico_core::{ApiKeyId, Timestamp};
use portico_store::Store;

/// Creates an API key and returns the full key, the only time it exists outside the caller.
pub async fn create_api_key(
    store: &dyn Store,
    account: &Account,
    name: &str,
    scopes: ApiScopes,
    now: Timestamp,
) -> anyhow::Result<(ApiKeyId, String)> {
    let secret = portico_auth::api_key::new_secret();
    let key = store
        .create_api_key(&account.id, name, scopes, secret.sha256, None, now)
        .await
        .context("cannot store the API key")?;
    let full = portico_auth::api_key::format_key(&key.id, &secret.secret);
    Ok((key.id, full))
}

pub async fn account_by_subdomain(store: &dyn Store, subdomain: &str) -> anyhow::Result<Account> {
    store
        .account_by_subdomain(subdomain)
        .await
        .with_context(|| format!("no account with subdomain `{subdomain}`"))
}
