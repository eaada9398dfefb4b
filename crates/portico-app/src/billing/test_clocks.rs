//! Test clocks for vendors: frozen time that customers attached to it are billed by, moved
//! forward over the API to watch renewals, dunning and webhooks happen in seconds. The real
//! clock never runs those customers; a test clock runs only them.

use portico_core::model::CustomerRef;
use portico_core::{Invalid, PageRequest, Timestamp};
use portico_store::{ClockScope, StoreError, SubscriptionFilter, TestClockRecord};

use super::{RunReport, run_due};
use crate::error::no_such;
use crate::{App, AppResult, Caller};

/// A test clock to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTestClock {
    pub name: Option<String>,
    /// Where its time starts.
    pub frozen_time: Timestamp,
}

pub async fn create(
    app: &App,
    by: &Caller,
    input: NewTestClock,
    now: Timestamp,
) -> AppResult<TestClockRecord> {
    let name = portico_core::error::optional_text("name", input.name.as_deref(), 200)?
        .unwrap_or_else(|| "Test clock".to_owned());
    // What a clock runs is recorded, and sent to webhook endpoints, at the clock's time: it
    // starts now or later, so that its events come after the endpoints that exist.
    if input.frozen_time < now.plus_secs(-60) || input.frozen_time > Timestamp::MAX {
        return Err(Invalid::new(
            "frozen_time",
            format!("must be from now ({now}) to 9999-12-31"),
        )
        .into());
    }
    let clock = TestClockRecord {
        id: format!("clock_{}", hex::encode(rand::random::<[u8; 12]>())),
        account: by.account.clone(),
        name,
        frozen_time: input.frozen_time,
        created_at: now,
        updated_at: now,
    };
    app.store.create_test_clock(&clock).await?;
    Ok(clock)
}

pub async fn list(app: &App, by: &Caller) -> AppResult<Vec<TestClockRecord>> {
    Ok(app.store.test_clocks(&by.account).await?)
}

pub async fn get(app: &App, by: &Caller, id: &str) -> AppResult<TestClockRecord> {
    Ok(app.store.test_clock(&by.account, id).await?)
}

/// Deletes the clock. Its customers stay apart from the real clock: they belong to a test.
pub async fn delete(app: &App, by: &Caller, id: &str) -> AppResult<TestClockRecord> {
    let clock = app.store.test_clock(&by.account, id).await?;
    app.store.delete_test_clock(&by.account, id).await?;
    Ok(clock)
}

/// Attaches a new customer (one without subscriptions, so one the real clock never billed) to
/// the clock; from then on only the clock bills it.
pub async fn attach(app: &App, by: &Caller, id: &str, customer: &str) -> AppResult<()> {
    app.store.test_clock(&by.account, id).await?;
    let found = match app
        .store
        .customer(&by.account, &CustomerRef::parse(customer))
        .await
    {
        Err(StoreError::NotFound { .. }) => return Err(no_such("customer", "customer", customer)),
        found => found?,
    };
    let filter = SubscriptionFilter {
        customer: Some(CustomerRef::Id(found.id.clone())),
        status: None,
    };
    let subscribed = app
        .store
        .list_subscriptions(&by.account, filter, PageRequest::first(1))
        .await?;
    if !subscribed.data.is_empty() {
        return Err(Invalid::new(
            "customer",
            "already has subscriptions: attach a new customer, before its first subscription",
        )
        .into());
    }
    app.store
        .attach_test_clock(&by.account, &found.id, id)
        .await?;
    Ok(())
}

/// Moves the clock forward to `to` and runs its customers' subscriptions up to then: their
/// renewals, charges, retries and the events of each, as the real clock would have.
pub async fn advance(
    app: &App,
    by: &Caller,
    id: &str,
    to: Timestamp,
    now: Timestamp,
) -> AppResult<(TestClockRecord, RunReport)> {
    let clock = app.store.test_clock(&by.account, id).await?;
    if to <= clock.frozen_time || to > Timestamp::MAX {
        return Err(Invalid::new(
            "frozen_time",
            format!("must be later than the clock's time, {}", clock.frozen_time),
        )
        .into());
    }
    let clock = app
        .store
        .set_test_clock_time(&by.account, id, to, now)
        .await?;
    let scope = ClockScope::Test {
        account: by.account.clone(),
        clock: clock.id.clone(),
    };
    let report = run_due(app, &scope, to).await?;
    Ok((clock, report))
}
