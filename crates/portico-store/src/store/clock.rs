//! The billing clock's work: which subscriptions are due (a period ended, or a charge of a
//! renewal invoice is due), claimed by one worker at a time, and test clocks.

use async_trait::async_trait;
use portico_core::*;

use crate::*;

/// One billing period a subscription renewed into, and the collection of its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub subscription: SubscriptionId,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// `None` when the period cost nothing.
    pub invoice: Option<InvoiceId>,
    /// Charges of the invoice that failed so far.
    pub failures: i64,
    /// When the invoice is charged (again); `None` once it is paid or collection gave up.
    pub next_charge_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which subscriptions a clock runs: the real clock runs every customer not attached to a
/// test clock; a test clock runs only the customers attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockScope {
    Real,
    Test { account: AccountId, clock: String },
}

/// A subscription whose next action is due, held by the worker that claimed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueSubscription {
    pub account: AccountId,
    pub subscription: SubscriptionId,
}

/// What the background work has left to do at an instant, for the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// The real clock's due actions not yet processed: periods that ended and charges due.
    pub clock_due: i64,
    /// When the oldest of them fell due.
    pub clock_oldest_due_at: Option<Timestamp>,
    /// Webhook deliveries waiting to be sent (now or at their retry), and events not yet
    /// fanned out to endpoints.
    pub webhook_queue: i64,
}

/// A vendor's test clock: frozen time, moved only by advancing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestClockRecord {
    pub id: String,
    pub account: AccountId,
    pub name: String,
    pub frozen_time: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait ClockStore: Send + Sync {
    /// Claims up to `limit` subscriptions of `scope` with an action due by `due_by` that no
    /// worker holds at `now` (the wall clock, which leases are counted in), until `until`,
    /// under `claim`; every node may call this at once and none gets a subscription another
    /// holds.
    async fn claim_due_subscriptions(
        &self,
        scope: &ClockScope,
        claim: &str,
        due_by: Timestamp,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DueSubscription>>;
    /// Lets a claimed subscription go, if `claim` still holds it.
    async fn release_subscription(&self, due: &DueSubscription, claim: &str) -> StoreResult<()>;
    /// What is left to do at `now`.
    async fn backlog(&self, now: Timestamp) -> StoreResult<Backlog>;
    /// A subscription's renewals, oldest first.
    async fn renewals(
        &self,
        account: &AccountId,
        subscription: &SubscriptionId,
    ) -> StoreResult<Vec<Renewal>>;

    async fn create_test_clock(&self, clock: &TestClockRecord) -> StoreResult<()>;
    /// The account's test clocks, newest first.
    async fn test_clocks(&self, account: &AccountId) -> StoreResult<Vec<TestClockRecord>>;
    async fn test_clock(&self, account: &AccountId, id: &str) -> StoreResult<TestClockRecord>;
    /// Moves the clock's time to `to`.
    async fn set_test_clock_time(
        &self,
        account: &AccountId,
        id: &str,
        to: Timestamp,
        now: Timestamp,
    ) -> StoreResult<TestClockRecord>;
    /// Deletes the clock; its customers stay attached to nothing and are never run by the
    /// real clock (they belong to a test).
    async fn delete_test_clock(&self, account: &AccountId, id: &str) -> StoreResult<()>;
    /// Attaches the customer to the clock.
    async fn attach_test_clock(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        clock: &str,
    ) -> StoreResult<()>;
}
