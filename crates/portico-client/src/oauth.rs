//! The OAuth client-credentials credential: trades a client id and secret for an access token at
//! `POST /oauth/token`, keeps it, and fetches a new one shortly before it runs out.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::client::{Client, api_error, check_types, decode};
use crate::error::{Error, Result};
use crate::operations::OAUTH_TOKEN;

/// The token request (RFC 6749 §4.4.2), sent as form fields with the client's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRequest {
    /// `client_credentials`.
    pub grant_type: String,
    /// Space-separated scopes, a subset of the client's; default all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A successful token answer (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// `portico_at_…`, sent as `Authorization: Bearer …`.
    pub access_token: String,
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    /// The token's scopes, space-separated.
    pub scope: String,
}

/// An error answer of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type` or `invalid_scope`.
    pub error: String,
    pub error_description: String,
}

pub(crate) struct OAuth {
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    token: Mutex<Option<Cached>>,
}

struct Cached {
    value: String,
    renew_at: Instant,
}

/// How long before its expiry a token is renewed, at most.
const RENEW_AHEAD: Duration = Duration::from_secs(60);

impl OAuth {
    pub fn new(client_id: String, client_secret: String, scope: Option<String>) -> Self {
        Self {
            client_id,
            client_secret,
            scope,
            token: Mutex::new(None),
        }
    }

    /// The current access token, fetched when there is none or it is about to run out. Callers
    /// that arrive during a fetch wait for it rather than fetching too.
    pub async fn token(&self, client: &Client) -> Result<String> {
        let mut slot = self.token.lock().await;
        if let Some(cached) = slot.as_ref()
            && Instant::now() < cached.renew_at
        {
            return Ok(cached.value.clone());
        }
        let answer = request_token(
            client,
            &self.client_id,
            &self.client_secret,
            self.scope.as_deref(),
        )
        .await?;
        let lifetime = Duration::from_secs(u64::try_from(answer.expires_in).unwrap_or(0));
        let ahead = RENEW_AHEAD.min(lifetime / 10);
        *slot = Some(Cached {
            value: answer.access_token.clone(),
            renew_at: Instant::now()
                .checked_add(lifetime - ahead)
                .unwrap_or_else(Instant::now),
        });
        Ok(answer.access_token)
    }

    /// Drops `token` if it is still the current one, so that the next call fetches another.
    pub async fn forget(&self, token: &str) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|c| c.value == token) {
            *slot = None;
        }
    }
}

/// `POST /oauth/token` with the client-credentials grant, the credentials in the form body.
pub async fn request_token(
    client: &Client,
    client_id: &str,
    client_secret: &str,
    scope: Option<&str>,
) -> Result<TokenResponse> {
    check_types::<TokenRequest, TokenResponse>(OAUTH_TOKEN);
    let url = client.url(OAUTH_TOKEN, &[])?;
    let form = TokenRequest {
        grant_type: "client_credentials".to_owned(),
        scope: scope.map(str::to_owned),
        client_id: Some(client_id.to_owned()),
        client_secret: Some(client_secret.to_owned()),
    };
    let response = client
        .send_retrying(|| client.http().post(url.clone()).form(&form))
        .await?;
    match response.status() {
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED => {
            let status = response.status();
            let bytes = response.bytes().await?;
            match serde_json::from_slice::<OAuthErrorBody>(&bytes) {
                Ok(e) => Err(Error::OAuth {
                    error: e.error,
                    description: e.error_description,
                }),
                Err(_) => Err(api_error(status, &bytes)),
            }
        }
        _ => decode(OAUTH_TOKEN, response).await,
    }
}
