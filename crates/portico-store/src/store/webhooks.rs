//! Webhook endpoints and their deliveries: fanned out from the outbox, claimed by one worker at
//! a time, settled after each attempt.

use async_trait::async_trait;
use portico_core::event::Event;
use portico_core::*;

use crate::*;

/// A vendor's webhook endpoint as stored; its secrets are sealed with the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointRecord {
    pub id: WebhookEndpointId,
    pub account: AccountId,
    pub url: String,
    pub description: String,
    /// The event type names it receives; `None` for every type.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// Why Portico disabled it, when it did.
    pub disabled_reason: Option<String>,
    pub secret_sealed: String,
    /// The secret before the last rotation, which keeps signing until it expires.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_expires_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl WebhookEndpointRecord {
    /// Whether an event of this type is for this endpoint (enabled or not).
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == event_type))
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not sent yet, or to be tried again at `next_attempt_at`.
    Pending,
    Succeeded,
    /// Every attempt failed; only a redelivery sends it again.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// One event for one endpoint, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDeliveryRecord {
    pub id: WebhookDeliveryId,
    pub account: AccountId,
    pub endpoint: WebhookEndpointId,
    pub event: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// A delivery a worker holds until `claimed_until`, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub endpoint: WebhookEndpointRecord,
    pub event: Event,
    /// Attempts made before this one.
    pub attempts: i64,
    pub created_at: Timestamp,
    /// The worker's token: only its holder may settle the delivery.
    pub claim: String,
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub at: Timestamp,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// What follows: `Succeeded`, `Pending` (tried again at `next_attempt_at`) or `Failed`.
    pub outcome: DeliveryStatus,
    pub next_attempt_at: Option<Timestamp>,
    /// With a final failure: disable the endpoint, for this reason, when it has had no
    /// successful delivery since this delivery was made.
    pub disable_reason: Option<String>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord) -> StoreResult<()>;
    /// The account's endpoints, newest first.
    async fn webhook_endpoints(
        &self,
        account: &AccountId,
        page: PageRequest<WebhookEndpointId>,
    ) -> StoreResult<List<WebhookEndpointRecord>>;
    async fn webhook_endpoint(
        &self,
        account: &AccountId,
        id: &WebhookEndpointId,
    ) -> StoreResult<WebhookEndpointRecord>;
    /// Writes the endpoint back whole.
    async fn save_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord) -> StoreResult<()>;
    /// Deletes the endpoint and its deliveries.
    async fn delete_webhook_endpoint(
        &self,
        account: &AccountId,
        id: &WebhookEndpointId,
    ) -> StoreResult<()>;
    /// Fans out up to `limit` events that were not yet: one pending delivery, due at `now`, for
    /// each enabled endpoint of the event's account that wants its type and existed when it
    /// happened. The deliveries and the mark on the events are one transaction; events another
    /// node is fanning out are skipped. Returns how many events it took, which may be fewer than
    /// `limit` while more are left (a store may take fewer at a time); 0 once none is left.
    async fn fan_out_webhook_events(&self, now: Timestamp, limit: u32) -> StoreResult<usize>;
    /// Claims up to `limit` pending deliveries due at `now` that no worker holds, until
    /// `until`, under `claim`; every node may call this at once, and none gets a delivery
    /// another holds.
    async fn claim_webhook_deliveries(
        &self,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Records an attempt of a claimed delivery and releases it; `false` when the claim was
    /// lost (its lease ran out and another worker took the delivery).
    async fn settle_webhook_delivery(
        &self,
        delivery: &ClaimedDelivery,
        attempt: &DeliveryAttempt,
    ) -> StoreResult<bool>;
    /// An endpoint's deliveries, newest first.
    async fn webhook_deliveries(
        &self,
        account: &AccountId,
        endpoint: &WebhookEndpointId,
        page: PageRequest<WebhookDeliveryId>,
    ) -> StoreResult<List<WebhookDeliveryRecord>>;
    /// Makes a delivery pending again, due at `now`, whatever its status.
    async fn redeliver_webhook(
        &self,
        account: &AccountId,
        id: &WebhookDeliveryId,
        now: Timestamp,
    ) -> StoreResult<WebhookDeliveryRecord>;
}
