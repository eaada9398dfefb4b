#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! How the store runs in a deployment: PostgreSQL over TLS, the change log between nodes, and
//! databases made by an earlier release migrating forward.

mod tls;
