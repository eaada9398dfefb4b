//! What a backend answers, one trait per aggregate; [`crate::Store`] is all of them.

mod accounts;
mod billing;
mod catalog;
mod clock;
mod credentials;
mod customers;
mod documents;
mod housekeeping;
mod idempotency;
mod payments;
mod sessions;
mod signing_keys;
mod webhooks;

pub use accounts::*;
pub use billing::*;
pub use catalog::*;
pub use clock::*;
pub use credentials::*;
pub use customers::*;
pub use documents::*;
pub use housekeeping::*;
pub use idempotency::*;
pub use payments::*;
pub use sessions::*;
pub use signing_keys::*;
pub use webhooks::*;
