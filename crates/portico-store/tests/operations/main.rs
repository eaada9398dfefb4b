#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! How the store runs in a deployment: PostgreSQL over TLS, the change log between nodes, and
//! databases made by an earlier release migrating forward.

// Only the reading half runs here; the making half runs in a release's build (make_fixture.rs).
#[allow(dead_code)]
#[path = "../upgrade/records.rs"]
mod records;
mod tls;
mod upgrade;
