//! `portico-client` against a live server on SQLite and PostgreSQL: every resource, errors,
//! retries, idempotency, OAuth, every portal-access dialect, and the agreement of the client
//! with the server's OpenAPI document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client/support.rs"]
mod support;

#[path = "client/access.rs"]
mod access;
#[path = "client/behaviour.rs"]
mod behaviour;
#[path = "client/drift.rs"]
mod drift;
#[path = "client/resources.rs"]
mod resources;
