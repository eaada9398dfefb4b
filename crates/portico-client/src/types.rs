//! Request and answer bodies that the server defines in its HTTP layer rather than in
//! `portico-core`. Each has the name and the fields of the OpenAPI component it stands for; the
//! tests compare the two.

use portico_core::model::{
    Address, ApiKey, CancelMode, CancelRefund, ChangeQuote, ChangeTiming, OAuthClient,
    PaymentAttempt, PortalFlow, PortalPage, Subscription,
};
use portico_core::{
    ApiKeyId, ContactId, CustomerId, EventId, InvoiceId, OAuthClientId, PaymentMethodId, PlanId,
    PortalSessionId, Timestamp, WebhookDeliveryId, WebhookEndpointId,
};
use serde::{Deserialize, Serialize};

/// `GET /healthz` and `GET /readyz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// A new API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    pub name: String,
    /// Scope names such as `customers:read`; a key cannot get a scope its creator lacks.
    pub scopes: Vec<String>,
    /// When the key stops working; none means never.
    pub expires_at: Option<Timestamp>,
}

/// A new API key with its secret, which exists only in this answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// `portico_sk_…`; `None` when the answer is a replay of an earlier request under the same
    /// `Idempotency-Key`.
    pub key: Option<String>,
}

/// A new OAuth client for the client-credentials grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOAuthClient {
    pub name: String,
    /// Scope names such as `customers:read`; its tokens get these or the subset they ask for.
    pub scopes: Vec<String>,
}

/// A new OAuth client with its secret, which exists only in this answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedOAuthClient {
    #[serde(flatten)]
    pub client: OAuthClient,
    /// `portico_cs_…`; `None` in a replay.
    pub client_secret: Option<String>,
}

/// What to pay an invoice with: the customer's default payment method when `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayRequest {
    pub payment_method: Option<PaymentMethodId>,
}

/// What to refund of a payment: all that is left of it when `amount` is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    pub amount: Option<i64>,
}

/// The payment provider to take the portal's payments with, and its keys. The secrets are
/// sealed by the server and never answered.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentProviderSettings {
    /// `test` (built in) or another provider the server has.
    pub provider: String,
    pub secret: Option<String>,
    pub public_key: Option<String>,
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for PaymentProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentProviderSettings")
            .field("provider", &self.provider)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// The account's payment provider as it is set: which (`None` when the account takes no
/// payments in the portal), and whether its secrets are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentProvider {
    pub provider: Option<String>,
    pub public_key: Option<String>,
    pub secret_set: bool,
    pub webhook_secret_set: bool,
}

/// How and why a subscription is canceled.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelSubscription {
    pub reason: Option<String>,
    /// What the customer said, beside the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// `immediately` (the server's default) or `at_period_end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<CancelMode>,
}

/// A change of plan or quantity, to preview or to make; what is `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionChangeRequest {
    pub plan: Option<PlanId>,
    pub quantity: Option<i64>,
    /// `now_with_proration` (the server's default), `now_without_proration` or `at_period_end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<ChangeTiming>,
    /// For a change: the preview it must still cost; otherwise the server answers a conflict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<ChangeQuote>,
}

/// A change as made: the subscription afterwards, the invoice opened for money due now, and
/// its charge when the provider was asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionChanged {
    pub subscription: Subscription,
    pub invoice: Option<InvoiceId>,
    pub payment: Option<PaymentAttempt>,
}

/// Pauses collection for 1 to 3 periods after the current one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PauseSubscription {
    pub periods: u32,
}

/// The portal settings to change; fields left `None` stay as they are. A nullable setting is
/// `Option<Option<_>>`: `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalSettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branding: Option<BrandingPatch>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<FeaturesPatch>,
    /// `en`, `de`, `fr` or `es`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_locale: Option<String>,
    /// Replaces the origins allowed to frame the portal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub default_return_url: Option<Option<String>>,
    /// Lets a portal link open the portal again until it expires (for links sent by e-mail),
    /// where servers have this setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_reentry: Option<bool>,
    /// The rules for cancellations and changes of plan or quantity, where servers have them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_changes: Option<SubscriptionChangesPatch>,
    /// The billing clock's rules for trials without a payment method and failed charges,
    /// where servers have them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing: Option<BillingRulesPatch>,
}

/// The invoice settings to change; fields left `None` stay as they are, `Some(None)` clears one.
/// They apply to invoices issued afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceSettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub legal_name: Option<Option<String>>,
    /// Replaces the whole address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tax_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub registration: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub payment_instructions: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub footer: Option<Option<String>>,
}

/// The billing clock's rules to set; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingRulesPatch {
    /// Days after a renewal at which a failed charge is tried again, e.g. `[1, 3, 5]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_days: Option<Vec<u32>>,
    /// `cancel` or `leave_unpaid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_last_failure: Option<String>,
    /// `cancel` or `past_due`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial_end_without_payment_method: Option<String>,
}

/// The rules for subscription changes to set; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionChangesPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_modes: Option<Vec<CancelMode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_refund: Option<CancelRefund>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel_reasons: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactivation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrades: Option<ChangeTiming>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downgrades: Option<ChangeTiming>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandingPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub display_name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub logo_url: Option<Option<String>>,
    /// `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub primary_color: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub support_email: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub support_url: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeaturesPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriptions: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoices: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_methods: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancel: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_change: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_change: Option<bool>,
}

/// A new portal session: its token and the link that opens the portal with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalSessionCreated {
    pub id: PortalSessionId,
    /// The portal token (a JWT); `None` in a replay, which never repeats it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub token: Option<String>,
    /// The portal link, deep-linked to `page`, carrying the token (without it in a replay).
    pub url: String,
    pub expires_at: Timestamp,
    pub customer: CustomerId,
    pub contact: Option<ContactId>,
    pub page: PortalPage,
    pub scopes: Vec<String>,
    /// The one task the session is locked to, when it is a single-task link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<PortalFlow>,
}

/// How many portal sessions a revoke-all ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    pub revoked: u64,
}

/// What a portal token may do: `read` shows billing state only, `manage` also allows the
/// portal's actions (as the account's settings and the contact's role allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CustomerPortalScope {
    Read,
    Manage,
}

/// The body of `POST /api/v1/customers/{id_or_alias}/portal-token`; both fields may be left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerPortalTokenRequest {
    /// Token lifetime in seconds, 60 to 2592000 (30 days); default 86400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<i64>,
    /// Default both; `read` alone gives a token that only reads billing state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<CustomerPortalScope>>,
}

/// A portal token in the REST dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerPortalTokenResponse {
    /// The portal token (a JWT); `None` in a replay, which never repeats it.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub token: Option<String>,
    /// The portal's base URL; `{portal_url}?token={token}` opens it.
    pub portal_url: String,
    /// The portal URL with the token, where to send the customer's browser (`None` in a
    /// replay, like `token`).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub portal_link: Option<String>,
    /// The base URL of the portal read API, which takes this token as a bearer credential.
    pub api_url: String,
    /// When the token expires.
    pub expires_at: Timestamp,
}

/// Whether a contact may open the portal now, and if not why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalAccess {
    pub access: bool,
    pub reason: Option<String>,
    pub enduser_id: ContactId,
    pub customer: CustomerId,
}

/// A single-use link `{portal_url}/redirect/{token}` that logs a contact in within 30 seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedLink {
    pub url: String,
    pub expires_at: Timestamp,
}

/// A webhook endpoint; its secret is shown only when it is made or rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: WebhookEndpointId,
    pub url: String,
    pub description: String,
    /// The event types it receives; `None` for every type.
    pub event_types: Option<Vec<String>>,
    pub enabled: bool,
    /// Why Portico disabled it (its deliveries kept failing).
    pub disabled_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An endpoint with its signing secret, which exists only in this answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`, for a Standard Webhooks verifier; `None` in a replay.
    pub secret: Option<String>,
    /// After a rotation: until when the previous secret also signs every delivery.
    pub previous_secret_expires_at: Option<Timestamp>,
}

/// A new webhook endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWebhookEndpoint {
    /// An `https` URL whose host resolves only to public addresses.
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Event type names such as `customer.created`; `None` for every type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_types: Option<Vec<String>>,
    /// Default `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// The fields of an endpoint to change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpointPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Some(None)` for every type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub event_types: Option<Option<Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: WebhookDeliveryId,
    pub endpoint: WebhookEndpointId,
    /// The event, also the `webhook-id` of every attempt.
    pub event: EventId,
    pub event_type: String,
    pub status: WebhookDeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_status_code: Option<i64>,
    pub last_latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// Who made a recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventActor {
    /// The customer itself, in the portal.
    Customer {
        customer: CustomerId,
        portal_session: PortalSessionId,
    },
    /// One of the customer's contacts, in the portal.
    Contact {
        contact: ContactId,
        customer: CustomerId,
        portal_session: PortalSessionId,
    },
    /// A portal session whose record is gone.
    PortalSession { portal_session: PortalSessionId },
    /// The vendor's backend, with this API key.
    ApiKey { api_key: ApiKeyId },
    /// The vendor's backend, with a token of this OAuth client.
    OauthClient { oauth_client: OAuthClientId },
    /// An operator at the command line.
    Operator {},
    /// Portico itself: the billing clock.
    System {},
}

/// The request that made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventRequest {
    /// As the request's answer said in `x-request-id`.
    pub id: String,
    /// The client's address.
    pub ip: Option<String>,
}

/// One recorded change of the account (`GET /api/v1/events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub customer: Option<CustomerId>,
    pub actor: EventActor,
    /// `None` for the billing clock and the command line.
    pub request: Option<EventRequest>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    pub created_at: Timestamp,
}
