//! The unit of work: one write transaction for one account, the per-aggregate repositories a use
//! case writes through, and the outbox.
//!
//! A use case (in `portico-app`) begins a unit, reads and locks what it changes through the
//! repositories, applies core's rules, writes back, records its events, and commits. Each
//! repository write records the cache scope of the row it touches, so that the read side drops
//! what changed at commit; the events go to the `outbox` table in the same transaction, so that
//! a change and its event are stored together or not at all. Dropping a unit without committing
//! rolls everything back.

mod accounts;
mod catalog;
mod contacts;
mod customers;
mod invoices;
mod payment_methods;
mod payments;
mod renewals;
mod subscriptions;
mod transactions;

pub use accounts::Accounts;
pub use catalog::{Plans, Products};
pub use contacts::Contacts;
pub use customers::Customers;
pub use invoices::Invoices;
pub use payment_methods::PaymentMethods;
pub use payments::{PaymentAttempts, PaymentProviders};
pub use renewals::Renewals;
pub use subscriptions::Subscriptions;
pub use transactions::Transactions;

use portico_core::event::{Actor, Event, EventType, Origin};
use portico_core::model::PortalSession;
use portico_core::{AccountId, CustomerId, Timestamp};
use serde::Serialize;

use super::Backend;
use super::changes::WriteTx;
use super::db::Conn;
use super::outbox::Outbox;
use super::rows::{params, query};
use crate::StoreResult;

/// One account's write transaction; see the module documentation.
pub struct UnitOfWork {
    tx: WriteTx,
    backend: Backend,
    account: AccountId,
    actor: Actor,
    now: Timestamp,
    /// The unit's events: they share its time, and their ids keep the order they were
    /// recorded in.
    outbox: Outbox,
    /// The idempotency key claimed by the request this unit serves, if any.
    idempotency_key: Option<String>,
    /// The request this unit serves, which every event it records carries.
    origin: Option<Origin>,
    /// When the transaction began, for its duration in the metrics.
    began: std::time::Instant,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("account", &self.account)
            .field("actor", &self.actor)
            .field("events", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl UnitOfWork {
    pub(super) fn new(
        tx: WriteTx,
        backend: Backend,
        account: AccountId,
        actor: Actor,
        now: Timestamp,
    ) -> Self {
        UnitOfWork {
            tx,
            backend,
            account,
            actor,
            now,
            outbox: Outbox::default(),
            idempotency_key: None,
            origin: None,
            began: std::time::Instant::now(),
        }
    }

    /// The account every read and write of this unit is scoped to.
    pub fn account(&self) -> &AccountId {
        &self.account
    }

    /// The time of this unit's change: every record it writes and every event it records says
    /// this time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Marks the request's claimed idempotency key as committed in this unit's transaction, so
    /// that the request is never run a second time once its change is stored, even if its
    /// process stops before the answer is (see [`crate::IdempotencyBegin::Committed`]).
    pub fn idempotent(&mut self, key: &str) {
        self.idempotency_key = Some(key.to_owned());
    }

    /// Says which request this unit serves: every event it records carries `origin`.
    pub fn from_request(&mut self, origin: Option<Origin>) {
        self.origin = origin;
    }

    /// Records an event about `record` (as the API shows it), to be stored with the change.
    pub fn record<T: Serialize>(
        &mut self,
        kind: EventType,
        customer: Option<&CustomerId>,
        record: &T,
    ) -> StoreResult<()> {
        let origin = self.origin.as_ref();
        self.outbox.record(
            &self.account,
            &self.actor,
            origin,
            self.now,
            kind,
            customer,
            record,
        )
    }

    /// Records `portal_session.revoked` for each of `sessions`; returns how many.
    fn record_revoked(&mut self, sessions: &[PortalSession]) -> StoreResult<u64> {
        for session in sessions {
            let customer = Some(&session.customer);
            self.record(EventType::PortalSessionRevoked, customer, session)?;
        }
        Ok(sessions.len() as u64)
    }

    /// The events recorded so far, in order.
    pub fn events(&self) -> &[Event] {
        self.outbox.events()
    }

    /// Stores the events and commits; the read side forgets what changed.
    #[tracing::instrument(skip_all, fields(account = %self.account, events = self.outbox.len()))]
    pub async fn commit(mut self) -> StoreResult<()> {
        let written = match self.outbox.write(&mut self.tx).await {
            Ok(()) => self.mark_idempotency_key().await,
            Err(e) => Err(e),
        };
        let result = match written {
            Ok(()) => self.tx.commit().await,
            Err(e) => Err(e),
        };
        let outcome = if result.is_ok() {
            "committed"
        } else {
            "failed"
        };
        metrics::histogram!("portico_store_unit_of_work_duration_seconds", "outcome" => outcome)
            .record(self.began.elapsed().as_secs_f64());
        result
    }

    async fn mark_idempotency_key(&mut self) -> StoreResult<()> {
        let Some(key) = self.idempotency_key.take() else {
            return Ok(());
        };
        query(
            "UPDATE idempotency_keys SET committed_at = $3 \
             WHERE account_id = $1 AND key = $2 AND status IS NULL",
            params![&self.account, key.as_str(), self.now],
        )
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    pub fn accounts(&mut self) -> Accounts<'_> {
        Accounts(self)
    }
    pub fn customers(&mut self) -> Customers<'_> {
        Customers(self)
    }
    pub fn contacts(&mut self) -> Contacts<'_> {
        Contacts(self)
    }
    pub fn products(&mut self) -> Products<'_> {
        Products(self)
    }
    pub fn plans(&mut self) -> Plans<'_> {
        Plans(self)
    }
    pub fn subscriptions(&mut self) -> Subscriptions<'_> {
        Subscriptions(self)
    }
    pub fn invoices(&mut self) -> Invoices<'_> {
        Invoices(self)
    }
    pub fn transactions(&mut self) -> Transactions<'_> {
        Transactions(self)
    }
    pub fn payment_methods(&mut self) -> PaymentMethods<'_> {
        PaymentMethods(self)
    }
    pub fn payment_attempts(&mut self) -> PaymentAttempts<'_> {
        PaymentAttempts(self)
    }
    pub fn payment_providers(&mut self) -> PaymentProviders<'_> {
        PaymentProviders(self)
    }
    pub fn renewals(&mut self) -> Renewals<'_> {
        Renewals(self)
    }

    /// The connection, the backend and the account, for a repository's statements.
    fn parts(&mut self) -> (&mut Conn, Backend, &AccountId) {
        (&mut self.tx, self.backend, &self.account)
    }

    /// Something of the whole account changed (the catalogue shows on every customer's pages).
    fn account_changed(&mut self) {
        let account = self.account.clone();
        self.tx.account_changed(&account);
    }

    fn customer_changed(&mut self, customer: &CustomerId) {
        let account = self.account.clone();
        self.tx.customer_changed(&account, customer);
    }
}
