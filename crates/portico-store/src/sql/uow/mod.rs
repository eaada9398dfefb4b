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

use portico_core::event::{Actor, Event, EventType};
use portico_core::id::Entropy;
use portico_core::{AccountId, CustomerId, EventId, Timestamp};
use serde::Serialize;

use super::changes::WriteTx;
use super::db::Conn;
use super::rows::{Value, params, placeholder_rows, query};
use super::{Backend, entropy};
use crate::{StoreError, StoreResult};

/// One account's write transaction; see the module documentation.
pub struct UnitOfWork {
    tx: WriteTx,
    backend: Backend,
    account: AccountId,
    actor: Actor,
    now: Timestamp,
    events: Vec<Event>,
    /// The random part of the last event id, which the next one counts up from: events of one
    /// unit share their time, and their ids keep the order they were recorded in.
    last_entropy: Option<Entropy>,
    /// The idempotency key claimed by the request this unit serves, if any.
    idempotency_key: Option<String>,
    /// When the transaction began, for its duration in the metrics.
    began: std::time::Instant,
}

impl std::fmt::Debug for UnitOfWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitOfWork")
            .field("account", &self.account)
            .field("actor", &self.actor)
            .field("events", &self.events.len())
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
            events: Vec::new(),
            last_entropy: None,
            idempotency_key: None,
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

    /// Records an event about `record` (as the API shows it), to be stored with the change.
    pub fn record<T: Serialize>(
        &mut self,
        kind: EventType,
        customer: Option<&CustomerId>,
        record: &T,
    ) -> StoreResult<()> {
        let data = serde_json::to_value(record)
            .map_err(|e| StoreError::Corrupt(format!("event {kind}: {e}")))?;
        let entropy = next_entropy(self.last_entropy);
        self.last_entropy = Some(entropy);
        self.events.push(Event {
            id: EventId::new(self.now, entropy),
            account: self.account.clone(),
            kind,
            customer: customer.cloned(),
            actor: self.actor.clone(),
            data,
            created_at: self.now,
        });
        Ok(())
    }

    /// The events recorded so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Stores the events and commits; the read side forgets what changed.
    #[tracing::instrument(skip_all, fields(account = %self.account, events = self.events.len()))]
    pub async fn commit(mut self) -> StoreResult<()> {
        let events = std::mem::take(&mut self.events);
        let written = match write_outbox(&mut self.tx, &events).await {
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

/// Random for a unit's first event (with the top bit clear, so that counting up cannot wrap
/// within a unit), one more than `last` for the next.
fn next_entropy(last: Option<Entropy>) -> Entropy {
    let Some(mut e) = last else {
        let mut e = entropy();
        e[0] &= 0x7f;
        return e;
    };
    for byte in e.iter_mut().rev() {
        let (next, carry) = byte.overflowing_add(1);
        *byte = next;
        if !carry {
            break;
        }
    }
    e
}

/// Columns of the outbox, in the order [`write_outbox`] binds them.
const OUTBOX_COLUMNS: [&str; 7] = [
    "id",
    "account_id",
    "type",
    "customer_id",
    "actor",
    "data",
    "created_at",
];
/// Rows per `INSERT`, well under every backend's parameter limit.
const OUTBOX_BATCH: usize = 100;

async fn write_outbox(conn: &mut Conn, events: &[Event]) -> StoreResult<()> {
    for batch in events.chunks(OUTBOX_BATCH) {
        let sql = format!(
            "INSERT INTO outbox ({}) VALUES {}",
            OUTBOX_COLUMNS.join(", "),
            placeholder_rows(batch.len(), OUTBOX_COLUMNS.len())
        );
        let mut params: Vec<Value> = Vec::with_capacity(batch.len() * OUTBOX_COLUMNS.len());
        for e in batch {
            params.extend([
                Value::from(&e.id),
                Value::from(&e.account),
                Value::from(e.kind.as_str()),
                Value::from(e.customer.as_ref().map(|c| c.as_str())),
                Value::from(e.actor.to_text()),
                Value::from(e.data.to_string()),
                Value::from(e.created_at),
            ]);
        }
        query(&sql, params).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_of_one_unit_count_up_in_order() {
        let now = Timestamp::from_millis(1_767_225_600_000);
        let mut last = None;
        let mut ids = Vec::new();
        for _ in 0..300 {
            let e = next_entropy(last);
            last = Some(e);
            ids.push(EventId::new(now, e).to_string());
        }
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        // Carries run through the bytes.
        assert_eq!(
            next_entropy(Some([0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]))[8..],
            [1, 0]
        );
    }
}
