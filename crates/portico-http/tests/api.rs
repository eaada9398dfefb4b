//! The vendor REST API over real HTTP, on SQLite and PostgreSQL: every route, its errors,
//! idempotency, tenancy, scopes and what reaches the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "api/support.rs"]
mod support;

#[path = "api/access.rs"]
mod access;
#[path = "api/audit.rs"]
mod audit;
#[path = "api/cost.rs"]
mod cost;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/graphql.rs"]
mod graphql;
#[path = "api/idempotency.rs"]
mod idempotency;
#[path = "api/invoice_documents.rs"]
mod invoice_documents;
#[path = "api/oauth.rs"]
mod oauth;
#[path = "api/openapi.rs"]
mod openapi;
#[path = "api/operations.rs"]
mod operations;
#[path = "api/portal_actions.rs"]
mod portal_actions;
#[path = "api/portal_api.rs"]
mod portal_api;
#[path = "api/portal_flows.rs"]
mod portal_flows;
#[path = "api/portal_links.rs"]
mod portal_links;
#[path = "api/portal_pages.rs"]
mod portal_pages;
#[path = "api/portal_payments.rs"]
mod portal_payments;
#[path = "api/portal_security.rs"]
mod portal_security;
#[path = "api/portal_viewer.rs"]
mod portal_viewer;
#[path = "api/provider_events.rs"]
mod provider_events;
#[path = "api/refunds.rs"]
mod refunds;
#[path = "api/resources.rs"]
mod resources;
#[path = "api/security.rs"]
mod security;
#[path = "api/subscription_changes.rs"]
mod subscription_changes;
#[path = "api/webhooks.rs"]
mod webhooks;
