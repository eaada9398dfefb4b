//! What was scheduled for the end of a period: a cancellation, or a change of plan or quantity
//! (which the renewal then bills).

use portico_core::Timestamp;
use portico_core::event::EventType;
use portico_core::model::Subscription;
use portico_store::UnitOfWork;

use crate::AppResult;
use crate::subscriptions::save_recorded;

/// Ends a subscription canceled at the end of its period, at that end (saved, with its
/// event); `false` when it was not canceled so.
pub(crate) async fn cancel_at_period_end(
    uow: &mut UnitOfWork,
    sub: &Subscription,
    at: Timestamp,
) -> AppResult<bool> {
    if !sub.cancel_at_period_end {
        return Ok(false);
    }
    let mut ended = sub.clone().cancel_now(sub.cancel_reason.clone(), at)?;
    ended.cancel_comment = sub.cancel_comment.clone();
    save_recorded(uow, EventType::SubscriptionCanceled, &ended).await?;
    Ok(true)
}

/// The subscription with the change scheduled for `at` (the end of its period) made: its plan
/// and quantity for the next period. A change that waits for a payment is not scheduled for
/// the period end and stays as it is.
pub(crate) fn apply_change(mut sub: Subscription, at: Timestamp) -> Subscription {
    let due = sub
        .scheduled_change
        .take_if(|c| c.payment.is_none() && c.at <= at);
    if let Some(change) = due {
        sub.plan = change.plan;
        sub.quantity = change.quantity;
    }
    sub
}
