//! `portico-client` against a live server on SQLite and PostgreSQL: every resource, errors,
//! retries, idempotency, OAuth and every portal-access dialect.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "client/support.rs"]
mod support;

#[path = "client/access.rs"]
mod access;
#[path = "client/behaviour.rs"]
mod behaviour;
#[path = "client/resources.rs"]
mod resources;
