//! Portico's storage: the [`Store`] trait every backend implements, and the SQL backends
//! (SQLite, the embedded default, and PostgreSQL), each with its own append-only migrations.

mod access;
pub mod cache;
mod error;
pub mod sql;
mod store;

pub use access::*;
pub use error::{StoreError, StoreResult};
pub use sql::SqlStore;
pub use sql::uow::{self, UnitOfWork};
pub use store::*;

use async_trait::async_trait;
use portico_core::event::{Actor, Event};
use portico_core::*;

/// Every method that reads or writes tenant data takes the `AccountId` it is scoped to; rows of
/// other accounts are invisible (`NotFound`), never an error that tells them apart. The reads and
/// the writes of each aggregate are a trait of their own ([`CustomerStore`], [`BillingStore`],
/// …); writes of the records a customer owns go through a [`UnitOfWork`].
#[async_trait]
pub trait Store:
    AccountStore
    + CredentialStore
    + CustomerStore
    + CatalogStore
    + BillingStore
    + SigningKeyStore
    + SessionStore
    + IdempotencyStore
    + HousekeepingStore
    + PaymentStore
    + WebhookStore
    + DocumentStore
    + ClockStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and readiness.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// Brings this node's read cache up to date with every change committed, on any node, more
    /// than `lag` before the call (with a zero lag: before the call). A request awaits it once
    /// before its first read; its reads then miss no change older than `lag`. A node's own
    /// writes leave its cache as they commit, without waiting for this.
    async fn sync(&self, lag: std::time::Duration) -> StoreResult<()>;
    /// Begins a unit of work: one write transaction of `account`, whose records and events
    /// say `actor` and `now`. Nothing is stored until [`UnitOfWork::commit`].
    async fn begin(
        &self,
        account: &AccountId,
        actor: Actor,
        now: Timestamp,
    ) -> StoreResult<UnitOfWork>;
    /// The account's recorded events, newest first.
    async fn events(
        &self,
        account: &AccountId,
        page: PageRequest<EventId>,
    ) -> StoreResult<List<Event>> {
        self.list_events(account, EventFilter::default(), page)
            .await
    }
    /// The account's recorded events that match `filter`, newest first.
    async fn list_events(
        &self,
        account: &AccountId,
        filter: EventFilter,
        page: PageRequest<EventId>,
    ) -> StoreResult<List<Event>>;
    /// One recorded event.
    async fn event(&self, account: &AccountId, id: &EventId) -> StoreResult<Event>;
}

/// Filters for listing events.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub customer: Option<CustomerId>,
    pub kind: Option<portico_core::event::EventType>,
}

/// Every trait of the store, for callers that use several: `use portico_store::prelude::*`.
pub mod prelude {
    pub use crate::{
        AccountStore, BillingStore, CatalogStore, ClockStore, CredentialStore, CustomerStore,
        DocumentStore, HousekeepingStore, IdempotencyStore, PaymentStore, SessionStore,
        SigningKeyStore, Store, WebhookStore,
    };
}
