//! Portico's use cases. Every action of the vendor API, GraphQL, the portal, the CLI and (later)
//! the billing clock is one function here, taking the [`Caller`], its input and `now`: it opens a
//! unit of work for the caller's account, applies core's rules, writes through the store's
//! per-aggregate repositories, records its events in the outbox, and commits. The surfaces only
//! translate: a request into a call, an [`AppError`] into their own answer.
//!
//! A new use case goes into the file of its aggregate (or a new file beside them); reads that
//! pages and the API serve go straight to the store's cached query side.

pub mod access;
pub mod accounts;
pub mod billing;
pub mod catalog;
pub mod clock;
pub mod contacts;
pub mod credentials;
pub mod customers;
mod error;
pub mod events;
pub mod invoice_settings;
pub mod invoices;
pub mod keys;
pub mod payment_methods;
pub mod payments;
pub mod plan_changes;
pub mod subscriptions;
pub mod transactions;
pub mod webhooks;

use std::sync::Arc;

use portico_auth::signing::MasterKey;
use portico_core::event::{Actor, Origin};
use portico_core::model::{Customer, CustomerRef};
use portico_core::scope::ApiScopes;
use portico_core::{AccountId, PortalSessionId, Timestamp};
use portico_store::{Store, UnitOfWork};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AppError, AppResult};
pub use keys::SigningKeys;

/// What every use case may reach. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// The accounts' signing keys, opened with the master key.
    pub keys: Arc<SigningKeys>,
    /// The payment providers this build has.
    pub payments: Arc<payments::Payments>,
    /// Where this deployment is reached from outside, e.g. `https://billing.example.com`; may
    /// contain `{subdomain}`.
    pub public_url: String,
    /// Where webhooks may go, and the client that sends them.
    pub webhooks: Arc<webhooks::Webhooks>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl App {
    /// `master_key` seals the signing keys at rest; it must be the same on every node and
    /// across restarts.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        public_url: impl Into<String>,
        master_key: MasterKey,
    ) -> Self {
        App {
            store,
            clock,
            keys: Arc::new(SigningKeys::new(master_key)),
            payments: Arc::new(payments::Payments::default()),
            public_url: public_url.into(),
            webhooks: webhooks::Webhooks::new(Default::default()),
        }
    }

    /// The same app with these payment providers.
    pub fn with_payments(mut self, payments: payments::Payments) -> Self {
        self.payments = Arc::new(payments);
        self
    }

    /// The same app, sending webhooks where `policy` allows (by default only to public `https`
    /// addresses).
    pub fn with_webhook_targets(mut self, policy: webhooks::targets::TargetPolicy) -> Self {
        self.webhooks = webhooks::Webhooks::new(policy);
        self
    }

    /// A unit of work in the caller's account; it marks the caller's idempotency key as
    /// committed together with the change.
    async fn begin(&self, by: &Caller, now: Timestamp) -> AppResult<UnitOfWork> {
        let mut uow = self.store.begin(&by.account, by.actor.clone(), now).await?;
        if let Some(key) = &by.idempotency_key {
            uow.idempotent(key);
        }
        uow.from_request(by.origin.clone());
        Ok(uow)
    }
}

/// Who calls a use case, and in which account: every record it reads or writes belongs there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: AccountId,
    pub actor: Actor,
    /// What the caller's credential may do in the vendor API; what it grants to others (a new
    /// key) stays within it.
    pub scopes: ApiScopes,
    /// The idempotency key the caller's request claimed (as stored), which every unit of work
    /// of the request marks as committed with its change.
    pub idempotency_key: Option<String>,
    /// The request the caller acts in (its id and client address), which every event of the
    /// call carries; `None` for the billing clock and the command line.
    pub origin: Option<Origin>,
}

impl Caller {
    pub fn new(account: AccountId, actor: Actor, scopes: ApiScopes) -> Self {
        Caller {
            account,
            actor,
            scopes,
            idempotency_key: None,
            origin: None,
        }
    }

    /// The same caller, acting in the request `origin`.
    pub fn with_origin(mut self, origin: Option<Origin>) -> Self {
        self.origin = origin;
        self
    }

    /// The same caller, in a request that claimed `key`.
    pub fn with_idempotency_key(mut self, key: Option<String>) -> Self {
        self.idempotency_key = key;
        self
    }

    /// An operator at the command line, who may do everything in the account.
    pub fn operator(account: AccountId) -> Self {
        Caller::new(account, Actor::Operator, ApiScopes::all())
    }

    /// A customer or contact in the portal, in this portal session.
    pub fn portal(account: AccountId, session: PortalSessionId) -> Self {
        Caller::new(account, Actor::Portal(session), ApiScopes::empty())
    }

    /// `Forbidden` unless the caller has every scope of `scopes`; `what` says what needs them.
    pub fn require_all(&self, scopes: ApiScopes, what: &str) -> AppResult<()> {
        match self.scopes.first_missing(scopes) {
            None => Ok(()),
            Some(missing) => Err(AppError::Forbidden(format!(
                "scopes: {what} `{}`, which this credential lacks",
                missing.as_str()
            ))),
        }
    }
}

/// The customer an input names by id or alias (`"customer": "cus_…"`), locked for the rest of
/// the unit; a missing one is the input's fault.
async fn body_customer(uow: &mut UnitOfWork, text: &str) -> AppResult<Customer> {
    uow.customers()
        .lock(&CustomerRef::parse(text))
        .await?
        .ok_or_else(|| error::no_such("customer", "customer", text))
}

/// The random part of a new id.
fn entropy() -> portico_core::id::Entropy {
    rand::random()
}
