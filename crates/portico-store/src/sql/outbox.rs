//! The outbox: events stored in the transaction of the change they describe, for the webhook
//! sender to deliver. The unit of work and the group-commit writer both record through it.

use portico_core::event::{Actor, Event, EventType, Origin};
use portico_core::id::Entropy;
use portico_core::{AccountId, CustomerId, EventId, Timestamp};
use serde::Serialize;

use super::db::{Conn, PgQuery};
use super::entropy;
use super::rows::{Value, placeholder_rows, query};
use crate::{StoreError, StoreResult};

/// Events waiting to be stored, in the order they were recorded.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    events: Vec<Event>,
    /// The random part of the last event id, which the next one counts up from: events recorded
    /// together often share their time, and their ids keep the order they were recorded in.
    last_entropy: Option<Entropy>,
}

impl Outbox {
    /// Records an event about `record` (as the API shows it), made by `actor` at `at` in the
    /// request `origin` (if a request made it).
    #[allow(clippy::too_many_arguments)]
    pub fn record<T: Serialize>(
        &mut self,
        account: &AccountId,
        actor: &Actor,
        origin: Option<&Origin>,
        at: Timestamp,
        kind: EventType,
        customer: Option<&CustomerId>,
        record: &T,
    ) -> StoreResult<()> {
        let data = serde_json::to_value(record)
            .map_err(|e| StoreError::Corrupt(format!("event {kind}: {e}")))?;
        let entropy = next_entropy(self.last_entropy);
        self.last_entropy = Some(entropy);
        self.events.push(Event {
            id: EventId::new(at, entropy),
            account: account.clone(),
            kind,
            customer: customer.cloned(),
            actor: actor.clone(),
            data,
            created_at: at,
            origin: origin.cloned(),
        });
        Ok(())
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// The events recorded so far, forgotten here: the caller stores them.
    pub fn take(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Stores the events recorded so far in `conn`'s transaction, and forgets them.
    pub async fn write(&mut self, conn: &mut Conn) -> StoreResult<()> {
        let events = std::mem::take(&mut self.events);
        write_outbox(conn, &events).await
    }
}

/// Random for the first event (with the top bit clear, so that counting up cannot wrap within
/// one outbox), one more than `last` for the next.
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

/// Columns of the outbox, in the order [`outbox_values`] lists them.
const OUTBOX_COLUMNS: [&str; 9] = [
    "id",
    "account_id",
    "type",
    "customer_id",
    "actor",
    "data",
    "created_at",
    "request_id",
    "client_ip",
];
/// Rows per `INSERT`, well under every backend's parameter limit.
const OUTBOX_BATCH: usize = 100;

async fn write_outbox(conn: &mut Conn, events: &[Event]) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if let Some(pg) = conn.postgres() {
        let mut q = PgQuery::default();
        let sql = insert_outbox(&mut q, events)?;
        q.execute(&sql, pg).await?;
        return Ok(());
    }
    for batch in events.chunks(OUTBOX_BATCH) {
        let sql = format!(
            "INSERT INTO outbox ({}) VALUES {}",
            OUTBOX_COLUMNS.join(", "),
            placeholder_rows(batch.len(), OUTBOX_COLUMNS.len())
        );
        let params: Vec<Value> = batch.iter().flat_map(outbox_values).collect();
        query(&sql, params).execute(&mut *conn).await?;
    }
    Ok(())
}

/// PostgreSQL: `INSERT INTO outbox … SELECT * FROM unnest(…)` of `events`, with its parameters
/// added to `q`; the same text for any number of events, to stand alone or end a statement
/// whose `WITH` makes the change they describe.
pub(super) fn insert_outbox(q: &mut PgQuery, events: &[Event]) -> StoreResult<String> {
    let rows = q.rows(events.iter().map(|e| outbox_values(e).to_vec()).collect())?;
    Ok(format!(
        "INSERT INTO outbox ({}) SELECT * FROM {rows}",
        OUTBOX_COLUMNS.join(", ")
    ))
}

/// An event's values, in the order of [`OUTBOX_COLUMNS`].
fn outbox_values(e: &Event) -> [Value; OUTBOX_COLUMNS.len()] {
    [
        Value::from(&e.id),
        Value::from(&e.account),
        Value::from(e.kind.as_str()),
        Value::from(e.customer.as_ref().map(|c| c.as_str())),
        Value::from(e.actor.to_text()),
        Value::from(e.data.to_string()),
        Value::from(e.created_at),
        Value::from(e.origin.as_ref().map(|o| o.request_id.as_str())),
        Value::from(
            e.origin
                .as_ref()
                .and_then(|o| o.ip)
                .map(|ip| ip.to_string()),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_of_one_outbox_count_up_in_order() {
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
