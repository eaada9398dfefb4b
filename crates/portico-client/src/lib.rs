//! A typed async client for Portico's vendor API (`/api/v1`), its OAuth token endpoint and its
//! portal-access dialects.
//!
//! A [`Client`] holds a base URL and a credential (an API key, or an OAuth client whose tokens
//! it fetches and renews). Each resource is a handle on it — [`Client::customers`],
//! [`Client::contacts`], [`Client::products`], [`Client::plans`], [`Client::subscriptions`],
//! [`Client::invoices`], [`Client::transactions`], [`Client::payment_methods`],
//! [`Client::api_keys`], [`Client::oauth_clients`], [`Client::portal_settings`],
//! [`Client::portal_sessions`] — whose methods take and return the records of
//! [`portico_core`], which is what the server itself serializes.
//!
//! - Errors are one [`Error`]: an API error carries the status and the [`ErrorCode`]
//!   (`e.is_not_found()` for a 404), besides transport and decoding failures.
//! - A `429 Too Many Requests` is retried after its `Retry-After`, as [`Retry`] allows.
//! - Every POST to `/api/v1` carries an `Idempotency-Key`: a random one per call, the same on
//!   each retry of that call, or the caller's (`client.customers().idempotency_key("…")`).
//! - Lists are pages ([`Page`]); [`Pager`] walks them all.
//! - The calls are built from one table, [`operations::ALL`], which the tests hold against the
//!   server's OpenAPI document.
//!
//! HTTPS needs a TLS feature of `reqwest` in the application (`reqwest = { version = "0.12",
//! features = ["rustls-tls"] }`); plain HTTP works as is.
//!
//! # Example
//!
//! The whole of `examples/quickstart.rs`, which the tests also run against a live server:
//!
//! ```no_run
#![doc = include_str!("../examples/quickstart.rs")]
//! ```

mod client;
mod error;
mod oauth;
pub mod operations;
mod page;
mod resources;
mod types;
mod wire;

pub use client::{Client, ClientBuilder, Retry};
pub use error::{Error, ErrorBody, ErrorCode, Result};
pub use oauth::{OAuthErrorBody, TokenRequest, TokenResponse};
pub use page::{
    ApiKeyFilter, ContactFilter, CustomerFilter, EventFilter, Filter, InvoiceFilter,
    OAuthClientFilter, Page, Pager, PaymentMethodFilter, PlanFilter, PortalSessionFilter,
    ProductFilter, SubscriptionFilter, TransactionFilter, WebhookEndpointFilter,
};
pub use resources::billing::{Invoices, PaymentMethods, Subscriptions, Transactions};
pub use resources::catalog::{Plans, Products};
pub use resources::credentials::{ApiKeys, OAuthClients};
pub use resources::customers::{Contacts, Customers};
pub use resources::events::Events;
pub use resources::portal::PortalSessions;
pub use resources::service::{InvoiceSettingsApi, PaymentProviderApi, PortalSettingsApi};
pub use resources::webhooks::WebhookEndpoints;
pub use types::*;
pub use wire::{Listed, PathId, Wire};

/// The records and inputs of the API, as the server defines them.
pub use portico_core::model;
pub use portico_core::{
    ApiKeyId, ContactId, Currency, CustomerId, EventId, InvoiceId, List, OAuthClientId,
    PaymentMethodId, PlanId, PortalSessionId, ProductId, SubscriptionId, Timestamp, TransactionId,
    WebhookDeliveryId, WebhookEndpointId,
};
