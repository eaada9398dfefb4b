//! Records of portal access as the store keeps them: signing keys, redirect tokens, browser
//! sessions and OAuth clients. Secrets appear here only as SHA-256 hashes or sealed key material.

use portico_core::model::{OAuthClient, PortalSession, Role};
use portico_core::scope::ApiScopes;
use portico_core::{
    AccountId, ContactId, CustomerId, OAuthClientId, PortalSessionId, SigningKeyId, Timestamp,
};

/// A stored signing key: public half in clear, private half sealed with the master key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub id: SigningKeyId,
    pub account: AccountId,
    /// The one algorithm this key signs with (`EdDSA`).
    pub algorithm: String,
    pub public_key: Vec<u8>,
    /// Opaque sealed private key; useless without the master key.
    pub sealed_private_key: String,
    pub created_at: Timestamp,
    pub retired_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A stored redirect token, used or not (its hash is the key; the token itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTokenState {
    pub account: AccountId,
    pub portal_session: PortalSessionId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// Everything a portal request needs to decide whether its browser session still works, read in
/// one query: the browser session, its portal session, and the state of customer and contact.
#[derive(Debug, Clone)]
pub struct BrowserSessionView {
    pub account: AccountId,
    pub session: PortalSession,
    pub csrf_secret: [u8; 32],
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// False once the customer is deleted or its portal is disabled.
    pub customer_active: bool,
    /// The contact's role, while it exists and keeps portal access; `None` for customer sessions.
    pub contact_role: Option<Role>,
    /// False when the session names a contact that was deleted or lost portal access.
    pub contact_active: bool,
}

/// A new browser session, created when a portal link or redirect token is exchanged.
#[derive(Debug, Clone)]
pub struct NewBrowserSession {
    pub account: AccountId,
    pub portal_session: PortalSessionId,
    pub cookie_sha256: [u8; 32],
    pub csrf_secret: [u8; 32],
    pub now: Timestamp,
    /// The request that opened the portal, which `portal_session.entered` carries.
    pub origin: Option<portico_core::event::Origin>,
}

/// Filters for listing portal sessions.
#[derive(Debug, Clone, Default)]
pub struct PortalSessionFilter {
    pub customer: Option<CustomerId>,
    pub contact: Option<ContactId>,
}

/// An OAuth client as the token endpoint needs it.
#[derive(Debug, Clone)]
pub struct OAuthClientCredential {
    pub account: AccountId,
    pub client: OAuthClient,
    pub secret_sha256: [u8; 32],
}

/// A live OAuth access token, found by its hash.
#[derive(Debug, Clone)]
pub struct OAuthTokenRecord {
    pub account: AccountId,
    pub client: OAuthClientId,
    pub scopes: ApiScopes,
    pub expires_at: Timestamp,
}

/// How many expired records of each kind one [`crate::Store::purge_expired`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub redirect_tokens: u64,
    pub browser_sessions: u64,
    pub oauth_tokens: u64,
    pub idempotency_keys: u64,
    /// Ids of payment-provider events acted on, kept for [`PROVIDER_EVENT_RETENTION_DAYS`].
    pub provider_events: u64,
}

/// How long the id of a provider's event acted on is kept, so that a repeated delivery does
/// nothing: well past Stripe's retries of an event (3 days), after which none comes again.
pub const PROVIDER_EVENT_RETENTION_DAYS: i64 = 30;

impl PurgeCounts {
    pub fn total(&self) -> u64 {
        self.redirect_tokens
            + self.browser_sessions
            + self.oauth_tokens
            + self.idempotency_keys
            + self.provider_events
    }
}

/// A vendor's own identifier that has the form of a Portico id: refused since, but stored
/// before that. A lookup by it may find another record; `portico migrate` reports each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdFormVendorId {
    /// The account's subdomain.
    pub account: String,
    /// The record holding it: a customer (`cus_…`, its alias) or a contact (`ctc_…`, its
    /// external id).
    pub record: String,
    /// `alias` or `external_id`.
    pub field: &'static str,
    pub value: String,
}
