//! Rows of the outbox's events.

use super::*;

/// The outbox's columns, for reading events back.
pub(in crate::sql) const OUTBOX_SELECT: &str = "SELECT id, account_id, type, customer_id, actor, data, created_at, request_id, client_ip \
     FROM outbox";

pub(in crate::sql) fn event(row: &Row) -> StoreResult<Event> {
    let kind = row.text("type")?;
    let actor = row.text("actor")?;
    Ok(Event {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        kind: EventType::parse(&kind).ok_or_else(|| corrupt("type", kind))?,
        customer: row.opt_parsed("customer_id")?,
        actor: Actor::parse(&actor).ok_or_else(|| corrupt("actor", actor))?,
        data: row.json("data")?,
        created_at: row.ts("created_at")?,
        origin: match row.opt_text("request_id")? {
            Some(request_id) => Some(Origin {
                request_id,
                ip: row.opt_parsed("client_ip")?,
            }),
            None => None,
        },
    })
}
