//! The account's audit trail: its recorded events with who made each change and in which
//! request.
//!
//! A portal event's actor is its portal session; the person behind it (the customer, or which
//! contact) is the session's, looked up when the trail is read rather than copied into every
//! event: portal sessions are never deleted (revoking one only marks it), so the lookup always
//! finds the person the session was issued to, and one row per session says it once.

use std::collections::HashMap;

use portico_core::event::{Actor, Event};
use portico_core::{ContactId, CustomerId, EventId, List, PageRequest, PortalSessionId};
use portico_store::{EventFilter, StoreError};

use crate::{App, AppResult, Caller};

/// One event of the trail.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event: Event,
    /// For an event made in the portal: the person the portal session was issued to.
    pub person: Option<Person>,
}

/// Who used a portal session: the customer itself, or one of its contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub customer: CustomerId,
    pub contact: Option<ContactId>,
}

/// A page of the caller's account's events, newest first.
pub async fn list(
    app: &App,
    by: &Caller,
    filter: EventFilter,
    page: PageRequest<EventId>,
) -> AppResult<List<Recorded>> {
    let events = app.store.list_events(&by.account, filter, page).await?;
    // One lookup per portal session on the page (at most a page's worth), not per event.
    let mut people: HashMap<PortalSessionId, Option<Person>> = HashMap::new();
    for event in &events.data {
        if let Actor::Portal(session) = &event.actor
            && !people.contains_key(session)
        {
            let person = person(app, by, session).await?;
            people.insert(session.clone(), person);
        }
    }
    let data = events
        .data
        .into_iter()
        .map(|event| {
            let person = match &event.actor {
                Actor::Portal(session) => people.get(session).cloned().flatten(),
                _ => None,
            };
            Recorded { event, person }
        })
        .collect();
    Ok(List {
        data,
        has_more: events.has_more,
    })
}

/// One event of the caller's account.
pub async fn get(app: &App, by: &Caller, id: &EventId) -> AppResult<Recorded> {
    let event = app.store.event(&by.account, id).await?;
    let person = match &event.actor {
        Actor::Portal(session) => person(app, by, session).await?,
        _ => None,
    };
    Ok(Recorded { event, person })
}

async fn person(app: &App, by: &Caller, session: &PortalSessionId) -> AppResult<Option<Person>> {
    match app.store.portal_session(&by.account, session).await {
        Ok(s) => Ok(Some(Person {
            customer: s.customer,
            contact: s.contact,
        })),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
