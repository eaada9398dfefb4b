//! Rows of accounts, their API keys and OAuth clients.

use super::*;

pub(in crate::sql) const ACCOUNTS: Table = Table {
    name: "accounts",
    columns: &["id", "subdomain", "name", "settings", "created_at"],
    soft_delete: false,
};

pub(in crate::sql) fn account(row: &Row) -> StoreResult<Account> {
    Ok(Account {
        id: row.parsed("id")?,
        subdomain: row.text("subdomain")?,
        name: row.text("name")?,
        settings: row.json("settings")?,
        created_at: row.ts("created_at")?,
    })
}

pub(in crate::sql) fn settings_json(settings: &PortalSettings) -> StoreResult<String> {
    to_json(settings)
}

pub(in crate::sql) const API_KEYS: Table = Table {
    name: "api_keys",
    columns: &[
        "id",
        "name",
        "scopes",
        "secret_sha256",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn api_key_values(key: &ApiKey, secret_sha256: &[u8; 32]) -> Vec<Value> {
    params![
        &key.id,
        key.name.as_str(),
        key.scopes.to_text(),
        hash_text(secret_sha256),
        key.created_at,
        key.last_used_at,
        key.expires_at,
        key.revoked_at,
    ]
}

pub(in crate::sql) fn api_key(row: &Row) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: row.parsed("id")?,
        name: row.text("name")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        created_at: row.ts("created_at")?,
        last_used_at: row.opt_ts("last_used_at")?,
        expires_at: row.opt_ts("expires_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

/// Needs `account_id` selected beside the key's columns.
pub(in crate::sql) fn api_key_credential(row: &Row) -> StoreResult<ApiKeyCredential> {
    Ok(ApiKeyCredential {
        account: row.parsed("account_id")?,
        key: api_key(row)?,
        secret_sha256: hash(row, "secret_sha256")?,
    })
}

// --- customers and contacts ---

pub(in crate::sql) const OAUTH_CLIENTS: Table = Table {
    name: "oauth_clients",
    columns: &[
        "id",
        "name",
        "scopes",
        "secret_sha256",
        "created_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn oauth_client_values(c: &OAuthClient, secret_sha256: &[u8; 32]) -> Vec<Value> {
    params![
        &c.id,
        c.name.as_str(),
        c.scopes.to_text(),
        hash_text(secret_sha256),
        c.created_at,
        c.revoked_at,
    ]
}

pub(in crate::sql) fn oauth_client(row: &Row) -> StoreResult<OAuthClient> {
    Ok(OAuthClient {
        id: row.parsed("id")?,
        name: row.text("name")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        created_at: row.ts("created_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

/// Needs `account_id` selected beside the client's columns.
pub(in crate::sql) fn oauth_client_credential(row: &Row) -> StoreResult<OAuthClientCredential> {
    Ok(OAuthClientCredential {
        account: row.parsed("account_id")?,
        client: oauth_client(row)?,
        secret_sha256: hash(row, "secret_sha256")?,
    })
}

pub(in crate::sql) fn oauth_token(row: &Row) -> StoreResult<OAuthTokenRecord> {
    Ok(OAuthTokenRecord {
        account: row.parsed("account_id")?,
        client: row.parsed("client_id")?,
        scopes: ApiScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        expires_at: row.ts("expires_at")?,
    })
}
