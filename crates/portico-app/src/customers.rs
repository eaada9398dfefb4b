//! Customers: create (on a test clock if asked), change, delete.

use portico_core::event::EventType;
use portico_core::model::{Customer, CustomerPatch, CustomerRef, NewCustomer};
use portico_core::{CustomerId, Timestamp};

use crate::error::no_such;
use crate::{App, AppError, AppResult, Caller, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewCustomer,
    now: Timestamp,
) -> AppResult<Customer> {
    let clock = input.test_clock.clone();
    let customer = Customer::create(CustomerId::new(now, entropy()), input, now)?;
    let mut uow = app.begin(by, now).await?;
    uow.customers().insert(&customer).await?;
    if let Some(clock) = clock.as_deref()
        && !uow
            .customers()
            .attach_test_clock(&customer.id, clock)
            .await?
    {
        return Err(no_such("test_clock", "test clock", clock));
    }
    uow.record(EventType::CustomerCreated, Some(&customer.id), &customer)?;
    uow.commit().await?;
    Ok(customer)
}

/// Switching portal access off ends the customer's portal sessions for good: switching it on
/// again does not bring old links and cookies back.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    customer: &CustomerRef,
    patch: CustomerPatch,
    now: Timestamp,
) -> AppResult<Customer> {
    let mut uow = app.begin(by, now).await?;
    let current = uow
        .customers()
        .lock(customer)
        .await?
        .ok_or_else(|| AppError::not_found("customer", customer))?;
    let was_enabled = current.portal_enabled;
    let updated = patch.apply(current, now)?;
    uow.customers().save(&updated).await?;
    if was_enabled && !updated.portal_enabled {
        uow.customers()
            .end_portal_sessions(&updated.id, now)
            .await?;
    }
    uow.record(EventType::CustomerUpdated, Some(&updated.id), &updated)?;
    uow.commit().await?;
    Ok(updated)
}

/// Deletes the customer (it disappears from every lookup and frees its alias, its contacts
/// go with it) and cancels its live subscriptions.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(
    app: &App,
    by: &Caller,
    customer: &CustomerRef,
    now: Timestamp,
) -> AppResult<Customer> {
    let mut uow = app.begin(by, now).await?;
    let mut deleted = uow
        .customers()
        .lock(customer)
        .await?
        .ok_or_else(|| AppError::not_found("customer", customer))?;
    // Its portal sessions (its contacts' too) end with it, each saying so.
    uow.customers()
        .end_portal_sessions(&deleted.id, now)
        .await?;
    uow.customers().delete(&deleted.id, now).await?;
    for live in uow.subscriptions().lock_live_of(&deleted.id).await? {
        let canceled = live.cancel_now(None, now)?;
        uow.subscriptions().save(&canceled).await?;
        uow.record(
            EventType::SubscriptionCanceled,
            Some(&deleted.id),
            &canceled,
        )?;
    }
    deleted.updated_at = now;
    uow.record(EventType::CustomerDeleted, Some(&deleted.id), &deleted)?;
    uow.commit().await?;
    Ok(deleted)
}
