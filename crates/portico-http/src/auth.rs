//! Vendor authentication for `/api/v1`: a bearer credential becomes a [`VendorAuth`] (account
//! and scopes) in the request, and handlers state the one scope they need.
//!
//! The bearer token's prefix selects how it is checked, so a second kind of credential (OAuth
//! access tokens) is one more arm in [`authenticate_bearer`], and handlers do not change.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;
use portico_auth::{api_key, oauth};
use portico_core::event::{Actor, Origin};
use portico_core::scope::{ApiScope, ApiScopes};
use portico_core::{AccountId, ApiKeyId, OAuthClientId, Timestamp};
use portico_store::StoreError;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// How often a key's `last_used_at` is written; more often buys nothing and costs a write.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// Which credential authenticated the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ApiKey(ApiKeyId),
    /// An OAuth access token from `POST /oauth/token`, of this client.
    OAuthClient(OAuthClientId),
    /// The operator's command line (`portico portal-link`), which has no key.
    Operator,
}

/// An authenticated vendor: the account every lookup is scoped to, and what it may do.
#[derive(Debug, Clone)]
pub struct VendorAuth {
    pub account: AccountId,
    pub credential: Credential,
    pub scopes: ApiScopes,
    /// The `Idempotency-Key` this request claimed, as stored (see [`crate::idempotency`]).
    pub idempotency_key: Option<String>,
    /// The request this is (its id and client address), which the events of its changes carry.
    pub origin: Option<Origin>,
}

impl VendorAuth {
    /// The API key behind this request, if it came with one.
    pub fn key_id(&self) -> Option<&ApiKeyId> {
        match &self.credential {
            Credential::ApiKey(id) => Some(id),
            Credential::OAuthClient(_) | Credential::Operator => None,
        }
    }

    /// The credential as the actor of what it does.
    pub fn actor(&self) -> Actor {
        match &self.credential {
            Credential::ApiKey(id) => Actor::ApiKey(id.clone()),
            Credential::OAuthClient(id) => Actor::OauthClient(id.clone()),
            Credential::Operator => Actor::Operator,
        }
    }

    /// Who issued something, as recorded with it: the key or client id, or `cli`.
    pub fn issuer(&self) -> String {
        // Every credential's actor is one that issues.
        self.actor().issuer().unwrap_or_default()
    }

    /// The caller of a use case: this account, and the credential as the actor.
    pub fn caller(&self) -> portico_app::Caller {
        portico_app::Caller::new(self.account.clone(), self.actor(), self.scopes)
            .with_idempotency_key(self.idempotency_key.clone())
            .with_origin(self.origin.clone())
    }

    /// The operator acting on one account with every scope, for the command line.
    pub fn operator(account: AccountId) -> Self {
        VendorAuth {
            account,
            credential: Credential::Operator,
            scopes: ApiScopes::all(),
            idempotency_key: None,
            origin: None,
        }
    }

    /// 403 unless the credential has `scope` (a `…:write` scope implies its `…:read`).
    pub fn require(&self, scope: ApiScope) -> ApiResult<()> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this credential lacks the scope `{}`",
                scope.as_str()
            )))
        }
    }

    /// 403 unless this credential holds every scope of a credential it creates or revokes;
    /// `what` says which it does, e.g. "a key cannot grant".
    pub fn require_all(&self, scopes: ApiScopes, what: &str) -> ApiResult<()> {
        Ok(self.caller().require_all(scopes, what)?)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VendorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<VendorAuth>()
            .cloned()
            // Only a route mounted outside the auth layer gets here: a bug, not a client error.
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("route is not behind vendor auth")))
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized(message.to_owned())
}

/// Middleware: authenticates every request on the routes it wraps. The secret is checked against
/// the stored hash on each request; only the lookup of the key's record may come from the cache.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let addr =
        crate::client_addr::of_request(&state.trusted_proxies, req.extensions(), req.headers());
    state.refuse_failing(addr)?;
    let authenticated = match bearer_token(req.headers()) {
        Ok(token) => authenticate_bearer(&state, token).await,
        Err(e) => Err(e),
    };
    let mut auth = match authenticated {
        Ok(auth) => auth,
        Err(e) => {
            if matches!(e, ApiError::Unauthorized(_)) {
                state.count_failure(addr);
            }
            return Err(e);
        }
    };
    state
        .api_limiter
        .check(&auth.issuer(), state.app.clock.now())
        .map_err(ApiError::TooManyRequests)?;
    tracing::Span::current().record("account", tracing::field::display(&auth.account));
    auth.origin = crate::origin::of_request(&state, req.extensions(), req.headers());
    req.extensions_mut().insert(auth);
    Ok(next.run(req).await)
}

fn bearer_token(headers: &HeaderMap) -> ApiResult<&str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthorized("missing Authorization: Bearer credential"))?;
    let value = value
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    bearer_credential(value)
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <API key>`"))
}

/// The credential of an `Authorization` value in the bearer scheme, matched without regard to
/// case (RFC 9110), as published clients send `bearer` in lower case.
pub(crate) fn bearer_credential(value: &str) -> Option<&str> {
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Some(token.trim())
        }
        _ => None,
    }
}

/// Checks one bearer token by its kind. This is the request's first read, so it first brings
/// the store's cache up to date (see [`crate::CHANGE_LAG`]).
pub async fn authenticate_bearer(state: &AppState, token: &str) -> ApiResult<VendorAuth> {
    state.catch_up().await?;
    if token.starts_with(api_key::PREFIX) {
        return authenticate_api_key(state, token).await;
    }
    if token.starts_with(oauth::ACCESS_TOKEN_PREFIX) {
        return authenticate_oauth_token(state, token).await;
    }
    Err(unauthorized("unknown kind of bearer credential"))
}

async fn authenticate_api_key(state: &AppState, token: &str) -> ApiResult<VendorAuth> {
    let invalid = || unauthorized("invalid API key");
    let presented = api_key::parse_key(token).ok_or_else(invalid)?;
    let credential = match state.app.store.api_key_credential(&presented.id).await {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    if !api_key::secret_matches(presented.secret, &credential.secret_sha256) {
        return Err(invalid());
    }
    let now = state.app.clock.now();
    let key = &credential.key;
    if key.revoked_at.is_some() {
        return Err(unauthorized("this API key has been revoked"));
    }
    if key.expires_at.is_some_and(|e| now >= e) {
        return Err(unauthorized("this API key has expired"));
    }
    // Last-used time is informational; failing the request over it would be worse.
    if needs_touch(key.last_used_at, now)
        && let Err(e) = state.app.store.touch_api_key(&key.id, now).await
    {
        tracing::warn!(error = %e, "could not record API key use");
    }
    Ok(VendorAuth {
        account: credential.account,
        credential: Credential::ApiKey(key.id.clone()),
        scopes: key.scopes,
        idempotency_key: None,
        origin: None,
    })
}

/// An OAuth access token: only its hash is stored, and the store answers only for one that has
/// not expired and whose client is not revoked.
async fn authenticate_oauth_token(state: &AppState, token: &str) -> ApiResult<VendorAuth> {
    let invalid = || unauthorized("invalid, expired or revoked access token");
    let hash = oauth::access_token_hash(token).ok_or_else(invalid)?;
    let record = state
        .app
        .store
        .oauth_token(&hash, state.app.clock.now())
        .await?
        .ok_or_else(invalid)?;
    Ok(VendorAuth {
        account: record.account,
        credential: Credential::OAuthClient(record.client),
        scopes: record.scopes,
        idempotency_key: None,
        origin: None,
    })
}

fn needs_touch(last_used: Option<Timestamp>, now: Timestamp) -> bool {
    last_used.is_none_or(|t| now.as_millis() - t.as_millis() >= TOUCH_INTERVAL_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_parsing() {
        let mut h = HeaderMap::new();
        assert!(bearer_token(&h).is_err());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer_token(&h).unwrap(), "abc");
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(bearer_token(&h).is_err());
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(bearer_token(&h).is_err());
    }

    #[test]
    fn touches_at_most_once_a_minute() {
        let now = Timestamp::from_secs(1_000);
        assert!(needs_touch(None, now));
        assert!(!needs_touch(Some(now.minus_secs(59)), now));
        assert!(needs_touch(Some(now.minus_secs(60)), now));
    }

    #[test]
    fn write_scopes_imply_read() {
        let auth = VendorAuth {
            account: AccountId::new(Timestamp::from_secs(1), [0; 10]),
            credential: Credential::ApiKey(ApiKeyId::new(Timestamp::from_secs(1), [0; 10])),
            scopes: ApiScopes::empty().with(ApiScope::BillingWrite),
            idempotency_key: None,
            origin: None,
        };
        assert!(auth.require(ApiScope::BillingRead).is_ok());
        let e = auth.require(ApiScope::CustomersRead).unwrap_err();
        assert!(e.to_string().contains("customers:read"));
    }
}
