//! The account's audit trail: each change, who made it and in which request.

use portico_core::List;

use super::resource;
use crate::operations;
use crate::page::{EventFilter, Page, Pager};
use crate::types::Event;
use crate::{PathId, Result};

resource!(
    /// The account's events, newest first (`security:read`).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::{Client, EventFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let filter = EventFilter {
    ///     customer: Some("wayne".into()),
    ///     event_type: Some("subscription.canceled".into()),
    /// };
    /// for event in client.events().pages(filter).all().await? {
    ///     println!("{} by {:?} in {:?}", event.event_type, event.actor, event.request);
    /// }
    /// # Ok(()) }
    /// ```
    Events,
    events
);

impl<'a> Events<'a> {
    /// One page of the events `filter` lets through, newest first.
    pub async fn list(&self, filter: &EventFilter, page: &Page) -> Result<List<Event>> {
        crate::page::list(&self.call, filter, page).await
    }

    /// Every event that `filter` lets through, page by page.
    pub fn pages(&self, filter: EventFilter) -> Pager<'a, EventFilter> {
        Pager::new(self.call.clone(), filter)
    }

    /// Gets one event; an unknown one is a not-found error.
    pub async fn get(&self, id: impl PathId) -> Result<Event> {
        self.call
            .get(operations::EVENTS_GET, &[id.path_id()], &[])
            .await
    }
}
