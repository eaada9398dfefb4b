//! Portico's credentials: API keys, OAuth client secrets and access tokens, signing keys, portal
//! tokens, redirect tokens, browser sessions and CSRF. Pure logic: no database, no HTTP, no clock
//! (`now` is always an argument). Secrets are only ever stored as SHA-256 hashes, private keys
//! only sealed.

pub mod api_key;
pub mod oauth;
pub mod portal_token;
pub mod redirect;
pub mod secret;
pub mod session;
pub mod signing;
