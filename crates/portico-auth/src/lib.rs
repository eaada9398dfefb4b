//! Portico's credentials: API keys, and (with the portal access work) signing keys, portal
//! tokens, redirect tokens and browser sessions. Secrets are only ever stored as SHA-256 hashes.

pub mod api_key;
pub mod secret;
