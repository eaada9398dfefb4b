//! Subscriptions: start, change, cancel.

use portico_core::event::EventType;
use portico_core::model::{NewSubscription, Subscription, SubscriptionPatch};
use portico_core::{SubscriptionId, Timestamp};

use crate::error::no_such;
use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewSubscription,
    now: Timestamp,
) -> AppResult<Subscription> {
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, &input.customer).await?;
    let plan = uow
        .plans()
        .find(&input.plan)
        .await?
        .ok_or_else(|| no_such("plan", "plan", &input.plan))?;
    let id = SubscriptionId::new(now, entropy());
    let subscription = Subscription::start(id, &customer, &plan, input, now)?;
    uow.subscriptions().insert(&subscription).await?;
    let customer = Some(&subscription.customer);
    uow.record(EventType::SubscriptionCreated, customer, &subscription)?;
    uow.commit().await?;
    Ok(subscription)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    id: &SubscriptionId,
    patch: SubscriptionPatch,
    now: Timestamp,
) -> AppResult<Subscription> {
    let mut uow = app.begin(by, now).await?;
    let current = lock(&mut uow, id).await?;
    // Deleted or not: a deleted customer's subscriptions are canceled, and the patch rules
    // refuse to change a canceled one.
    let customer = uow
        .customers()
        .any(&current.customer)
        .await?
        .ok_or_else(|| AppError::Internal(format!("subscription {id} has no customer").into()))?;
    let new_plan = match &patch.plan {
        Some(plan) => Some(
            uow.plans()
                .find(plan)
                .await?
                .ok_or_else(|| no_such("plan", "plan", plan))?,
        ),
        None => None,
    };
    let updated = patch.apply(current, &customer, new_plan.as_ref(), now)?;
    uow.subscriptions().save(&updated).await?;
    let kind = if updated.status == portico_core::model::SubscriptionStatus::Canceled {
        EventType::SubscriptionCanceled
    } else {
        EventType::SubscriptionUpdated
    };
    uow.record(kind, Some(&updated.customer), &updated)?;
    uow.commit().await?;
    Ok(updated)
}

/// Cancels at once.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn cancel(
    app: &App,
    by: &Caller,
    id: &SubscriptionId,
    reason: Option<String>,
    now: Timestamp,
) -> AppResult<Subscription> {
    let mut uow = app.begin(by, now).await?;
    let canceled = lock(&mut uow, id).await?.cancel_now(reason, now)?;
    uow.subscriptions().save(&canceled).await?;
    uow.record(
        EventType::SubscriptionCanceled,
        Some(&canceled.customer),
        &canceled,
    )?;
    uow.commit().await?;
    Ok(canceled)
}

async fn lock(uow: &mut portico_store::UnitOfWork, id: &SubscriptionId) -> AppResult<Subscription> {
    uow.subscriptions()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("subscription", id))
}
