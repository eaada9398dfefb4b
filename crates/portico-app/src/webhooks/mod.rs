//! Webhooks: the vendor's endpoints (URL, event filter, signing secret shown once and rotated
//! with an overlap), and delivery of the outbox's events to them following Standard Webhooks.

pub mod delivery;
pub mod signature;
pub mod targets;

use std::sync::{Arc, OnceLock};

use portico_core::event::EventType;
use portico_core::{Invalid, List, PageRequest, Timestamp, WebhookDeliveryId, WebhookEndpointId};
use portico_store::{WebhookDeliveryRecord, WebhookEndpointRecord};

use crate::{App, AppError, AppResult, Caller, entropy};
use signature::WebhookSecret;
use targets::{GuardedResolver, TargetPolicy};

pub use delivery::{RunReport, run_forever, run_once};

/// How long the secret before a rotation keeps signing.
pub const ROTATION_OVERLAP_SECS: i64 = 24 * 3600;
const MAX_DESCRIPTION: usize = 500;
const MAX_URL: usize = 2048;

/// The deployment's webhook sender: where it may send, and the HTTP client it sends with (no
/// redirects, no proxy, a guarded resolver, a timeout per attempt).
pub struct Webhooks {
    pub policy: TargetPolicy,
    client: OnceLock<Result<reqwest::Client, String>>,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Webhooks {
    pub fn new(policy: TargetPolicy) -> Arc<Self> {
        Arc::new(Webhooks {
            policy,
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .no_proxy()
                    .dns_resolver(Arc::new(GuardedResolver(self.policy)))
                    .timeout(delivery::ATTEMPT_TIMEOUT)
                    .user_agent(concat!("Portico-Webhooks/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the webhook client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// POSTs one signed body; the status and the start of the answer, or why nothing was
    /// answered. The URL is checked again first (an IP address is not resolved, so the
    /// resolver would not see it).
    pub async fn send(
        &self,
        url: &str,
        id: &str,
        timestamp: i64,
        signature: &str,
        body: Vec<u8>,
    ) -> Result<(u16, String), String> {
        let url = self.policy.check_url(url)?;
        let mut response = self
            .client()?
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status().as_u16();
        let mut answer = Vec::new();
        while answer.len() < delivery::RESPONSE_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        answer.truncate(delivery::RESPONSE_LIMIT);
        let answer: String = String::from_utf8_lossy(&answer).chars().take(200).collect();
        Ok((status, answer))
    }
}

/// A failed send in words, with the cause a refused address gives.
fn describe(e: reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A new endpoint, as the vendor asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub description: Option<String>,
    /// Event type names; `None` for every type.
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
}

/// The fields to change; `event_types: Some(None)` means every type.
#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Option<Vec<String>>>,
    pub enabled: Option<bool>,
}

/// An endpoint with a secret shown this once.
#[derive(Debug)]
pub struct WithSecret {
    pub endpoint: WebhookEndpointRecord,
    pub secret: String,
}

/// The event type names, checked against the catalogue and without repeats.
fn event_types(names: Option<Vec<String>>) -> Result<Option<Vec<String>>, Invalid> {
    let Some(names) = names else {
        return Ok(None);
    };
    if names.is_empty() {
        return Err(Invalid::new(
            "event_types",
            "must name at least one event type; leave it out (or null) for every type",
        ));
    }
    let mut types = Vec::with_capacity(names.len());
    for name in names {
        let kind = EventType::parse(&name)
            .ok_or_else(|| Invalid::new("event_types", format!("unknown event type `{name}`")))?;
        if !types.contains(&kind) {
            types.push(kind);
        }
    }
    Ok(Some(types.iter().map(|t| t.as_str().to_owned()).collect()))
}

async fn url(app: &App, text: &str) -> AppResult<String> {
    let text = portico_core::error::required_text("url", text, MAX_URL)?;
    Ok(app.webhooks.policy.check("url", &text).await?)
}

fn description(text: Option<&str>) -> AppResult<String> {
    Ok(
        portico_core::error::optional_text("description", text, MAX_DESCRIPTION)?
            .unwrap_or_default(),
    )
}

fn seal(app: &App, secret: &WebhookSecret, endpoint: &WebhookEndpointRecord) -> AppResult<String> {
    secret
        .seal(app.keys.master(), &endpoint.account, &endpoint.id)
        .map_err(|e| AppError::Internal(format!("cannot seal a webhook secret: {e}").into()))
}

/// Makes an endpoint; its secret is in the answer and nowhere else.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewEndpoint,
    now: Timestamp,
) -> AppResult<WithSecret> {
    let event_types = event_types(input.event_types)?;
    let description = description(input.description.as_deref())?;
    let url = url(app, &input.url).await?;
    let secret = WebhookSecret::generate();
    let mut endpoint = WebhookEndpointRecord {
        id: WebhookEndpointId::new(now, entropy()),
        account: by.account.clone(),
        url,
        description,
        event_types,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        secret_sealed: String::new(),
        previous_secret_sealed: None,
        previous_secret_expires_at: None,
        last_success_at: None,
        created_at: now,
        updated_at: now,
    };
    endpoint.secret_sealed = seal(app, &secret, &endpoint)?;
    app.store.create_webhook_endpoint(&endpoint).await?;
    Ok(WithSecret {
        endpoint,
        secret: secret.to_text(),
    })
}

pub async fn list(
    app: &App,
    by: &Caller,
    page: PageRequest<WebhookEndpointId>,
) -> AppResult<List<WebhookEndpointRecord>> {
    Ok(app.store.webhook_endpoints(&by.account, page).await?)
}

pub async fn get(
    app: &App,
    by: &Caller,
    id: &WebhookEndpointId,
) -> AppResult<WebhookEndpointRecord> {
    Ok(app.store.webhook_endpoint(&by.account, id).await?)
}

/// Changes the given fields; enabling an endpoint clears the reason Portico disabled it for.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    id: &WebhookEndpointId,
    patch: EndpointPatch,
    now: Timestamp,
) -> AppResult<WebhookEndpointRecord> {
    let mut endpoint = app.store.webhook_endpoint(&by.account, id).await?;
    if let Some(types) = patch.event_types {
        endpoint.event_types = event_types(types)?;
    }
    if let Some(text) = patch.description {
        endpoint.description = description(Some(&text))?;
    }
    if let Some(text) = patch.url {
        endpoint.url = url(app, &text).await?;
    }
    if let Some(enabled) = patch.enabled {
        endpoint.enabled = enabled;
        endpoint.disabled_reason = None;
    }
    endpoint.updated_at = now;
    app.store.save_webhook_endpoint(&endpoint).await?;
    Ok(endpoint)
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(
    app: &App,
    by: &Caller,
    id: &WebhookEndpointId,
) -> AppResult<WebhookEndpointRecord> {
    let endpoint = app.store.webhook_endpoint(&by.account, id).await?;
    app.store.delete_webhook_endpoint(&by.account, id).await?;
    Ok(endpoint)
}

/// A new secret, shown this once; the one it replaces keeps signing (beside it) for
/// [`ROTATION_OVERLAP_SECS`], so that the vendor can switch its verifier over.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn rotate_secret(
    app: &App,
    by: &Caller,
    id: &WebhookEndpointId,
    now: Timestamp,
) -> AppResult<WithSecret> {
    let mut endpoint = app.store.webhook_endpoint(&by.account, id).await?;
    let secret = WebhookSecret::generate();
    // Both are sealed for this endpoint's row: the sealed text moves as it is.
    endpoint.previous_secret_sealed = Some(endpoint.secret_sealed.clone());
    endpoint.previous_secret_expires_at = Some(now.plus_secs(ROTATION_OVERLAP_SECS));
    endpoint.secret_sealed = seal(app, &secret, &endpoint)?;
    endpoint.updated_at = now;
    app.store.save_webhook_endpoint(&endpoint).await?;
    Ok(WithSecret {
        endpoint,
        secret: secret.to_text(),
    })
}

/// The endpoint's delivery log, newest first.
pub async fn deliveries(
    app: &App,
    by: &Caller,
    id: &WebhookEndpointId,
    page: PageRequest<WebhookDeliveryId>,
) -> AppResult<List<WebhookDeliveryRecord>> {
    Ok(app.store.webhook_deliveries(&by.account, id, page).await?)
}

/// Sends a delivery again, now, whatever came of it before.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn redeliver(
    app: &App,
    by: &Caller,
    id: &WebhookDeliveryId,
    now: Timestamp,
) -> AppResult<WebhookDeliveryRecord> {
    Ok(app.store.redeliver_webhook(&by.account, id, now).await?)
}
