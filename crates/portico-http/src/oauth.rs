//! The OAuth 2.0 token endpoint, `POST /oauth/token`: the client-credentials grant (RFC 6749
//! §4.4) turns an OAuth client's id and secret into a 1-hour bearer token for `/api/v1`.
//!
//! Its error answers are RFC 6749 §5.2 bodies (`{"error", "error_description"}`), not
//! [`ApiError`]'s, because OAuth client libraries read exactly those; only 429 and 5xx, which
//! the RFC does not define here, are [`ApiError`] answers.

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_auth::oauth;
use portico_core::OAuthClientId;
use portico_core::scope::ApiScopes;
use portico_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::body_error;
use crate::openapi::Routes;

pub fn router() -> Routes {
    Routes::new().routes(routes!(token))
}

/// The token request, as form fields (or the same names in a JSON object).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)] // Documentation only: the handler reads the fields one by one.
pub struct TokenRequest {
    /// Must be `client_credentials`.
    grant_type: String,
    /// Space-separated scopes, a subset of the client's; default all of them.
    scope: Option<String>,
    /// With `client_secret`, instead of HTTP Basic authentication.
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// A successful token answer (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// `portico_at_…`, sent as `Authorization: Bearer …` to `/api/v1`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires: 3600.
    pub expires_in: i64,
    /// The scopes the token has, space-separated.
    pub scope: String,
}

/// The `error` codes of RFC 6749 §5.2 that this endpoint answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    UnsupportedGrantType,
    InvalidScope,
}

/// An error answer of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OAuthErrorBody {
    pub error: OAuthErrorCode,
    pub error_description: String,
}

#[derive(Debug)]
enum TokenError {
    OAuth(OAuthErrorCode, String),
    Api(ApiError),
}

fn invalid_request(message: impl Into<String>) -> TokenError {
    TokenError::OAuth(OAuthErrorCode::InvalidRequest, message.into())
}

fn invalid_client(message: impl Into<String>) -> TokenError {
    TokenError::OAuth(OAuthErrorCode::InvalidClient, message.into())
}

fn invalid_scope(message: impl Into<String>) -> TokenError {
    TokenError::OAuth(OAuthErrorCode::InvalidScope, message.into())
}

impl From<ApiError> for TokenError {
    fn from(e: ApiError) -> Self {
        TokenError::Api(e)
    }
}

impl From<StoreError> for TokenError {
    fn from(e: StoreError) -> Self {
        TokenError::Api(e.into())
    }
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        let mut response = match self {
            TokenError::Api(e) => e.into_response(),
            TokenError::OAuth(error, error_description) => {
                let status = match error {
                    OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut response = (
                    status,
                    axum::Json(OAuthErrorBody {
                        error,
                        error_description,
                    }),
                )
                    .into_response();
                if error == OAuthErrorCode::InvalidClient {
                    response.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"portico\""),
                    );
                }
                response
            }
        };
        no_store(response.headers_mut());
        response
    }
}

/// RFC 6749 §5.1: token answers must not be cached.
fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// Issues an access token for the client-credentials grant.
///
/// The client authenticates with HTTP Basic (`client_id:client_secret`, each form-urlencoded)
/// or with the `client_id` and `client_secret` fields, not both. The body is
/// `application/x-www-form-urlencoded` as RFC 6749 asks; a JSON object with the same fields is
/// accepted too. The token lasts one hour and is used as `Authorization: Bearer …` on
/// `/api/v1`; revoking the client ends it at once.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content(
        (TokenRequest = "application/x-www-form-urlencoded"),
        (TokenRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "The access token; sent with `Cache-Control: no-store`", body = TokenResponse),
        (status = 400, description = "`invalid_request`, `unsupported_grant_type` or `invalid_scope`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`: unknown or revoked client, or wrong secret", body = OAuthErrorBody,
            headers(("WWW-Authenticate" = String, description = "`Basic realm=\"portico\"`"))),
        (status = 413, description = "The request body is larger than 1 MiB", body = ErrorBody),
        (status = 429, description = "Too many token requests for this client", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 500, description = "Internal error; the body says nothing more", body = ErrorBody),
    ))]
async fn token(
    State(s): State<AppState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Guessing secrets, or flooding the endpoint with clients that do not parse, is limited
    // per client address like failed API authentications.
    let addr = crate::client_addr::of_request(&s.trusted_proxies, &extensions, &headers);
    if let Err(e) = s.refuse_failing(addr) {
        return TokenError::Api(e).into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return TokenError::Api(body_error(rejection)).into_response(),
    };
    let answer = issue(&s, &headers, &body).await;
    if let Err(TokenError::OAuth(OAuthErrorCode::InvalidClient, _)) = &answer {
        s.count_failure(addr);
    }
    match answer {
        Ok(answer) => {
            let mut response = axum::Json(answer).into_response();
            no_store(response.headers_mut());
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn issue(
    s: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, TokenError> {
    let params = Params::parse(headers, body)?;
    let (client_id, secret) = client_credentials(headers, &params)?;
    match params.get("grant_type") {
        None => return Err(invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(TokenError::OAuth(
                OAuthErrorCode::UnsupportedGrantType,
                format!("grant_type `{other}` is not supported; use `client_credentials`"),
            ));
        }
    }
    let failed = || invalid_client("client authentication failed");
    let id: OAuthClientId = client_id.parse().map_err(|_| failed())?;
    let now = s.app.clock.now();
    // Per client, like API requests: guessing one client's secret gets nowhere fast.
    s.api_limiter
        .check(id.as_str(), now)
        .map_err(ApiError::TooManyRequests)?;
    let credential = match s.app.store.oauth_client_credential(&id).await {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Err(failed()),
        Err(e) => return Err(e.into()),
    };
    if !oauth::client_secret_matches(&secret, &credential.secret_sha256) {
        return Err(failed());
    }
    let client = credential.client;
    if client.revoked_at.is_some() {
        return Err(invalid_client("this client has been revoked"));
    }
    let scopes = match params.get("scope") {
        None => client.scopes,
        Some(text) => {
            let requested =
                ApiScopes::parse("scope", text).map_err(|e| invalid_scope(e.to_string()))?;
            if let Some(missing) = requested.iter().find(|s| !client.scopes.allows(*s)) {
                return Err(invalid_scope(format!(
                    "scope: the client does not have `{}`",
                    missing.as_str()
                )));
            }
            requested
        }
    };
    let token = oauth::new_access_token();
    s.app
        .store
        .create_oauth_token(
            &credential.account,
            &client.id,
            scopes,
            &token.sha256,
            now.plus_secs(oauth::ACCESS_TOKEN_TTL_SECS),
        )
        .await?;
    tracing::Span::current().record("account", tracing::field::display(&credential.account));
    tracing::info!(client = %client.id, "OAuth access token issued");
    Ok(TokenResponse {
        access_token: token.value,
        token_type: "Bearer",
        expires_in: oauth::ACCESS_TOKEN_TTL_SECS,
        scope: scopes.to_text(),
    })
}

/// The most parameters a token request may have. The grant needs at most four; the cap is
/// checked before a parameter is decoded, so that a large body of many parameters costs no more
/// than reading it.
const MAX_PARAMS: usize = 16;

fn too_many_params() -> TokenError {
    invalid_request(format!(
        "a token request has at most {MAX_PARAMS} parameters"
    ))
}

/// The request's parameters, each at most once (RFC 6749 §3.2); empty ones count as absent.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, TokenError> {
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase()
            });
        let pairs = match media_type.as_deref() {
            None if body.is_empty() => Vec::new(),
            Some("application/x-www-form-urlencoded") => {
                let count = body.split(|b| *b == b'&').filter(|p| !p.is_empty()).count();
                if count > MAX_PARAMS {
                    return Err(too_many_params());
                }
                oauth::parse_form(body)
                    .ok_or_else(|| invalid_request("the body is not valid form-urlencoded UTF-8"))?
            }
            Some("application/json") => json_pairs(body)?,
            _ => {
                return Err(invalid_request(
                    "the body must be application/x-www-form-urlencoded (or application/json)",
                ));
            }
        };
        let pairs: Vec<(String, String)> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        let mut seen = HashSet::with_capacity(pairs.len());
        for (name, _) in &pairs {
            if !seen.insert(name.as_str()) {
                return Err(invalid_request(format!("{name} is given more than once")));
            }
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The members of a JSON object body in order, repeats kept, `null` ones left out; parsing stops
/// at the first member past [`MAX_PARAMS`].
fn json_pairs(body: &[u8]) -> Result<Vec<(String, String)>, TokenError> {
    struct Members(Vec<(String, Option<serde_json::Value>)>);

    impl<'de> Deserialize<'de> for Members {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_map(MembersVisitor)
        }
    }

    struct MembersVisitor;

    impl<'de> serde::de::Visitor<'de> for MembersVisitor {
        type Value = Members;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
            let mut members = Vec::new();
            while let Some(member) = map.next_entry()? {
                if members.len() == MAX_PARAMS {
                    return Err(serde::de::Error::custom(TOO_MANY));
                }
                members.push(member);
            }
            Ok(Members(members))
        }
    }

    const TOO_MANY: &str = "too many parameters";
    let Members(members) = serde_json::from_slice(body).map_err(|e| {
        if e.to_string().starts_with(TOO_MANY) {
            too_many_params()
        } else {
            invalid_request("the body is not a JSON object")
        }
    })?;
    members
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .map(|(name, value)| match value {
            serde_json::Value::String(v) => Ok((name, v)),
            _ => Err(invalid_request(format!("{name} must be a string"))),
        })
        .collect()
}

/// The client id and secret, from HTTP Basic or from the body, never both.
fn client_credentials(
    headers: &HeaderMap,
    params: &Params,
) -> Result<(String, String), TokenError> {
    let in_body = (params.get("client_id"), params.get("client_secret"));
    let Some(authorization) = headers.get(header::AUTHORIZATION) else {
        return match in_body {
            (Some(id), Some(secret)) => Ok((id.to_owned(), secret.to_owned())),
            (None, None) => Err(invalid_client(
                "client authentication is required: HTTP Basic, or client_id and client_secret",
            )),
            _ => Err(invalid_client(
                "client_id and client_secret must be given together",
            )),
        };
    };
    if in_body != (None, None) {
        return Err(invalid_request(
            "use one client authentication method: HTTP Basic or the client_id and \
             client_secret parameters, not both",
        ));
    }
    authorization
        .to_str()
        .ok()
        .and_then(oauth::parse_basic)
        .ok_or_else(|| {
            invalid_client("the Authorization header must be HTTP Basic client credentials")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Result<Params, TokenError> {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        Params::parse(&h, body.as_bytes())
    }

    fn code(e: TokenError) -> OAuthErrorCode {
        match e {
            TokenError::OAuth(code, _) => code,
            TokenError::Api(e) => panic!("not an OAuth error: {e}"),
        }
    }

    #[test]
    fn parameters_appear_at_most_once_and_empty_means_absent() {
        let p = form("grant_type=client_credentials&scope=&client_id=x").unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert_eq!(p.get("scope"), None);
        let e = form("scope=a&scope=b").err().unwrap();
        assert_eq!(code(e), OAuthErrorCode::InvalidRequest);
        assert!(form("a=%zz").is_err());
        assert!(form("scope=&scope=b").is_ok());
    }

    #[test]
    fn parameter_counts_are_capped_before_decoding() {
        let many = |n: usize| {
            (0..n)
                .map(|i| format!("p{i}=1"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(form(&many(MAX_PARAMS)).is_ok());
        // Over the cap even when a parameter would not decode.
        let over = format!("{}&bad=%zz", many(MAX_PARAMS));
        let e = form(&over).err().unwrap();
        assert!(
            matches!(&e, TokenError::OAuth(_, m) if m.contains("at most")),
            "{e:?}"
        );
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let object = |n: usize| {
            let members: Vec<String> = (0..n).map(|i| format!("\"p{i}\": \"1\"")).collect();
            format!("{{{}}}", members.join(","))
        };
        assert!(Params::parse(&h, object(MAX_PARAMS).as_bytes()).is_ok());
        let e = Params::parse(&h, object(MAX_PARAMS + 1).as_bytes())
            .err()
            .unwrap();
        assert!(
            matches!(&e, TokenError::OAuth(_, m) if m.contains("at most")),
            "{e:?}"
        );
        // JSON repeats are refused like form repeats, not silently collapsed.
        let e = Params::parse(&h, br#"{"scope": "a", "scope": "b"}"#)
            .err()
            .unwrap();
        assert_eq!(code(e), OAuthErrorCode::InvalidRequest);
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_an_answer_never_a_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            json in proptest::prelude::any::<bool>(),
        ) {
            let mut h = HeaderMap::new();
            let kind = if json { "application/json" } else { "application/x-www-form-urlencoded" };
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            if let Ok(p) = Params::parse(&h, &bytes) {
                proptest::prop_assert!(p.0.len() <= MAX_PARAMS);
            }
        }
    }

    #[test]
    fn body_kinds() {
        let mut h = HeaderMap::new();
        assert!(Params::parse(&h, b"").unwrap().0.is_empty());
        assert!(Params::parse(&h, b"grant_type=x").is_err());
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let p = Params::parse(
            &h,
            br#"{"grant_type": "client_credentials", "scope": null}"#,
        )
        .unwrap();
        assert_eq!(p.get("grant_type"), Some("client_credentials"));
        assert!(Params::parse(&h, br#"{"scope": ["a"]}"#).is_err());
        assert!(Params::parse(&h, b"[]").is_err());
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(Params::parse(&h, b"grant_type=x").is_err());
    }

    #[test]
    fn one_authentication_method() {
        let both = form("client_id=a&client_secret=b").unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(
            client_credentials(&h, &both).unwrap(),
            ("a".to_owned(), "b".to_owned())
        );
        let half = form("client_id=a").unwrap();
        assert_eq!(
            code(client_credentials(&h, &half).unwrap_err()),
            OAuthErrorCode::InvalidClient
        );
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YTpi"), // a:b
        );
        assert_eq!(
            code(client_credentials(&h, &both).unwrap_err()),
            OAuthErrorCode::InvalidRequest
        );
        let none = form("").unwrap();
        assert_eq!(
            client_credentials(&h, &none).unwrap(),
            ("a".to_owned(), "b".to_owned())
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(
            code(client_credentials(&h, &none).unwrap_err()),
            OAuthErrorCode::InvalidClient
        );
    }
}
