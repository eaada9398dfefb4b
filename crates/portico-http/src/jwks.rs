//! `GET /.well-known/jwks.json`, and which account a host names.

use portico_app::keys::verifying_info;
use portico_auth::signing::VerifyingKeyInfo;
use portico_store::{SigningKeyRecord, StoreError};

use crate::error::ApiError;

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
    let now = s.app.clock.now();
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
    if !s.app.public_url.contains("{subdomain}") {
        return s.app.store.published_signing_keys().await;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let Some(subdomain) = host_subdomain(&s.app.public_url, host) else {
        return Ok(Vec::new());
    };
    let account = match s.app.store.account_by_subdomain(&subdomain).await {
        Ok(account) => account,
        Err(StoreError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut records = s.app.store.published_signing_keys().await?;
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
