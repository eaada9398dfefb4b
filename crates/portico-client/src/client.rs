//! The client itself: base URL and credential, how a call becomes a request, and what happens
//! between the request and a typed answer (429 retries, idempotency keys, token refresh, errors).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorBody, Result};
use crate::oauth::OAuth;
use crate::operations::{Method, Operation};
use crate::wire::Wire;

/// A client of one Portico deployment, for one vendor account (the credential's). Cheap to
/// clone; clones share connections and, with OAuth, the access token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    credential: Credential,
    retry: Retry,
}

enum Credential {
    ApiKey(String),
    OAuth(OAuth),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credential = match &self.inner.credential {
            Credential::ApiKey(_) => "api key",
            Credential::OAuth(_) => "oauth client",
        };
        f.debug_struct("Client")
            .field("base", &self.inner.base.as_str())
            .field("credential", &credential)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// How answers `429 Too Many Requests` are retried: after the `Retry-After` the server names
/// (one second when it names none), at most `max_retries` times, and never after waiting longer
/// than `max_wait` for one retry (the 429 is then the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_retries: u32,
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_retries: 3,
            max_wait: Duration::from_secs(30),
        }
    }
}

impl Retry {
    /// No retries: a 429 is returned at once.
    pub const NEVER: Retry = Retry {
        max_retries: 0,
        max_wait: Duration::ZERO,
    };
}

/// Sets a [`Client`] up: [`Client::builder`], then a credential, then [`ClientBuilder::build`].
#[derive(Debug)]
pub struct ClientBuilder {
    base: String,
    credential: Option<CredentialSpec>,
    retry: Retry,
    timeout: Option<Duration>,
    http: Option<reqwest::Client>,
}

enum CredentialSpec {
    ApiKey(String),
    OAuth {
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl std::fmt::Debug for CredentialSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSpec::ApiKey(_) => f.write_str("ApiKey(..)"),
            CredentialSpec::OAuth { client_id, .. } => write!(f, "OAuth({client_id}, ..)"),
        }
    }
}

impl ClientBuilder {
    /// Authenticates with an API key, `portico_sk_…`.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.credential = Some(CredentialSpec::ApiKey(key.into()));
        self
    }

    /// Authenticates as an OAuth client: the client trades the id and secret for a one-hour
    /// access token at `POST /oauth/token` and fetches a new one before it runs out.
    pub fn oauth_client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credential = Some(CredentialSpec::OAuth {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
        });
        self
    }

    /// With [`oauth_client`](Self::oauth_client): asks for these space-separated scopes only
    /// (default: all of the client's).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        if let Some(CredentialSpec::OAuth { scope: s, .. }) = &mut self.credential {
            *s = Some(scope.into());
        }
        self
    }

    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// A limit for each request (default none).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sends through this `reqwest` client (proxies, TLS settings); `timeout` is then ignored.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    pub fn build(self) -> Result<Client> {
        let base = Url::parse(&self.base)
            .map_err(|e| Error::Config(format!("base URL {:?}: {e}", self.base)))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {:?} must be http:// or https://",
                self.base
            )));
        }
        let credential = match self.credential {
            None => {
                return Err(Error::Config(
                    "a credential is needed: api_key or oauth_client".into(),
                ));
            }
            Some(CredentialSpec::ApiKey(key)) => Credential::ApiKey(key),
            Some(CredentialSpec::OAuth {
                client_id,
                client_secret,
                scope,
            }) => Credential::OAuth(OAuth::new(client_id, client_secret, scope)),
        };
        let http = match self.http {
            Some(http) => http,
            None => {
                let mut builder = reqwest::Client::builder();
                if let Some(t) = self.timeout {
                    builder = builder.timeout(t);
                }
                builder.build()?
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                credential,
                retry: self.retry,
            }),
        })
    }
}

impl Client {
    /// A client that authenticates with an API key; see [`Client::builder`] for the rest.
    pub fn new(base_url: &str, api_key: impl Into<String>) -> Result<Client> {
        Client::builder(base_url).api_key(api_key).build()
    }

    /// `base_url` is where the deployment is reached, e.g. `https://billing.example.com`.
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base: base_url.into(),
            credential: None,
            retry: Retry::default(),
            timeout: None,
            http: None,
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The URL of `op` with its path parameters filled in, each as one escaped path segment.
    pub(crate) fn url(&self, op: Operation, args: &[&str]) -> Result<Url> {
        let mut url = self.inner.base.clone();
        let mut args = args.iter();
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|()| Error::Config("the base URL cannot take a path".into()))?;
            segments.pop_if_empty();
            for part in op.path.trim_start_matches('/').split('/') {
                if part.starts_with('{') {
                    let arg = args
                        .next()
                        .ok_or_else(|| Error::Config(format!("{op}: too few path parameters")))?;
                    if arg.is_empty() || *arg == "." || *arg == ".." {
                        return Err(Error::Config(format!("{op}: {part} must not be {arg:?}")));
                    }
                    segments.push(arg);
                } else {
                    segments.push(part);
                }
            }
        }
        if args.next().is_some() {
            return Err(Error::Config(format!("{op}: too many path parameters")));
        }
        Ok(url)
    }

    /// Sends `build()`'s request, again after each `429` as [`Retry`] allows.
    pub(crate) async fn send_retrying(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response> {
        let retry = self.inner.retry;
        let mut attempt = 0;
        loop {
            let response = build().send().await?;
            if response.status() != StatusCode::TOO_MANY_REQUESTS || attempt >= retry.max_retries {
                return Ok(response);
            }
            let wait = retry_after(&response);
            if wait > retry.max_wait {
                return Ok(response);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends a vendor-API request with the credential. With OAuth, a `401` (the token was
    /// revoked or ran out early) fetches a new token and tries once more.
    async fn send_authenticated(&self, build: impl Fn() -> RequestBuilder) -> Result<Response> {
        let mut renewed = false;
        loop {
            let bearer = match &self.inner.credential {
                Credential::ApiKey(key) => key.clone(),
                Credential::OAuth(oauth) => oauth.token(self).await?,
            };
            let response = self.send_retrying(|| build().bearer_auth(&bearer)).await?;
            if let Credential::OAuth(oauth) = &self.inner.credential
                && response.status() == StatusCode::UNAUTHORIZED
                && !renewed
            {
                oauth.forget(&bearer).await;
                renewed = true;
                continue;
            }
            return Ok(response);
        }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// One call of a vendor operation: the URL from `op` and `args`, `query` pairs, a JSON
    /// `body`, and for POSTs an `Idempotency-Key` (the given one, or a fresh random one) that
    /// every retry of this call repeats.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        op: Operation,
        args: &[&str],
        query: &[(&'static str, String)],
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
    ) -> Result<T> {
        let body = body.map(|b| (HeaderValue::from_static("application/json"), b));
        let response = self.request(op, args, query, body, idempotency_key).await?;
        decode(op, response).await
    }

    /// The request of [`Client::execute`] with a body of any content type, answering the
    /// response as it came.
    pub(crate) async fn request(
        &self,
        op: Operation,
        args: &[&str],
        query: &[(&'static str, String)],
        body: Option<(HeaderValue, Vec<u8>)>,
        idempotency_key: Option<&str>,
    ) -> Result<Response> {
        let url = self.url(op, args)?;
        let key = op
            .takes_idempotency_key()
            .then(|| idempotency_key.map_or_else(new_idempotency_key, str::to_owned));
        self.send_authenticated(|| {
            let mut request = self.inner.http.request(op.method.to_http(), url.clone());
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(key) = &key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some((content_type, body)) = &body {
                request = request
                    .header(CONTENT_TYPE, content_type.clone())
                    .body(body.clone());
            }
            request
        })
        .await
    }

    /// A call without credential (health checks, the OpenAPI document).
    pub(crate) async fn execute_public<T: DeserializeOwned + Wire>(
        &self,
        op: Operation,
    ) -> Result<T> {
        check_types::<(), T>(op);
        let url = self.url(op, &[])?;
        let response = self
            .send_retrying(|| self.inner.http.request(op.method.to_http(), url.clone()))
            .await?;
        decode(op, response).await
    }
}

/// The state of one call: its client and an `Idempotency-Key` the caller chose, if any. Every
/// resource handle holds one.
#[derive(Debug, Clone)]
pub(crate) struct Call<'a> {
    pub client: &'a Client,
    pub idempotency_key: Option<String>,
}

impl<'a> Call<'a> {
    pub fn new(client: &'a Client) -> Self {
        Self {
            client,
            idempotency_key: None,
        }
    }

    pub async fn get<T: DeserializeOwned + Wire>(
        &self,
        op: Operation,
        args: &[&str],
        query: &[(&'static str, String)],
    ) -> Result<T> {
        debug_assert_eq!(op.method, Method::Get, "{op}");
        check_types::<(), T>(op);
        self.client.execute(op, args, query, None, None).await
    }

    /// POST, PATCH or DELETE with `body` as JSON.
    pub async fn send<B: Serialize + Wire, T: DeserializeOwned + Wire>(
        &self,
        op: Operation,
        args: &[&str],
        body: &B,
    ) -> Result<T> {
        check_types::<B, T>(op);
        let body = serde_json::to_vec(body).map_err(|e| Error::decode(op.to_string(), e))?;
        self.client
            .execute(op, args, &[], Some(body), self.idempotency_key.as_deref())
            .await
    }

    /// DELETE without a body.
    pub async fn delete<T: DeserializeOwned + Wire>(
        &self,
        op: Operation,
        args: &[&str],
    ) -> Result<T> {
        debug_assert_eq!(op.method, Method::Delete, "{op}");
        check_types::<(), T>(op);
        self.client.execute(op, args, &[], None, None).await
    }
}

/// The request and answer types of a call are the ones its table entry names: the table the
/// tests hold against the server's document is then the one the calls really use.
pub(crate) fn check_types<B: Wire, T: Wire>(op: Operation) {
    debug_assert_eq!(
        B::schema_name().as_deref(),
        op.request,
        "{op}: request body"
    );
    debug_assert_eq!(T::schema_name().as_deref(), op.answer, "{op}: answer");
}

/// A fresh key for one call: 128 random bits.
fn new_idempotency_key() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The wait a 429 asks for: `Retry-After` in seconds (RFC 9110 also allows a date, which
/// Portico never sends; it counts as one second, like a missing header).
fn retry_after(response: &Response) -> Duration {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
}

/// A 2xx answer as `T`, anything else as an [`Error::Api`].
pub(crate) async fn decode<T: DeserializeOwned>(op: Operation, response: Response) -> Result<T> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if status.is_success() {
        serde_json::from_slice(&bytes).map_err(|e| Error::decode(op.to_string(), e))
    } else {
        Err(api_error(status, &bytes))
    }
}

pub(crate) fn api_error(status: StatusCode, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => Error::Api {
            status: status.as_u16(),
            code: Some(e.code),
            message: e.message,
        },
        Err(_) => Error::Api {
            status: status.as_u16(),
            code: None,
            message: String::from_utf8_lossy(body).into_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::operations::{CUSTOMERS_GET, OAUTH_TOKEN, PORTAL_TOKEN};

    fn client(base: &str) -> Client {
        Client::new(base, "portico_sk_test").unwrap()
    }

    #[test]
    fn path_parameters_are_one_escaped_segment_each() {
        let c = client("http://127.0.0.1:8080");
        let url = c.url(PORTAL_TOKEN, &["org:42@eu"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/api/v1/customers/org:42@eu/portal-token"
        );
        let url = c.url(CUSTOMERS_GET, &["a/../b?c#d e"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/api/v1/customers/a%2F..%2Fb%3Fc%23d%20e"
        );
        for bad in ["", ".", ".."] {
            assert!(matches!(
                c.url(CUSTOMERS_GET, &[bad]),
                Err(Error::Config(_))
            ));
        }
        assert!(matches!(c.url(CUSTOMERS_GET, &[]), Err(Error::Config(_))));
        assert!(matches!(c.url(OAUTH_TOKEN, &["x"]), Err(Error::Config(_))));
    }

    #[test]
    fn a_base_url_may_have_a_path() {
        for base in [
            "https://example.com/billing",
            "https://example.com/billing/",
        ] {
            let url = client(base).url(OAUTH_TOKEN, &[]).unwrap();
            assert_eq!(url.as_str(), "https://example.com/billing/oauth/token");
        }
        assert!(matches!(
            Client::new("mailto:x@example.com", "k"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            Client::builder("http://127.0.0.1").build(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn idempotency_keys_are_fresh_for_each_call() {
        let (a, b) = (new_idempotency_key(), new_idempotency_key());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
