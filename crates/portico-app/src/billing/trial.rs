//! The end of a trial: the first paid period, or, when the customer has no way to pay, the
//! account's rule (the subscription ends, or goes on past due with its first invoice open).

use portico_core::Timestamp;
use portico_core::event::EventType;
use portico_core::model::{Subscription, SubscriptionStatus, TrialEndRule};
use portico_store::UnitOfWork;

use crate::AppResult;
use crate::subscriptions::save_recorded;

/// What follows a trial that ends at the subscription's period end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialEnd {
    /// Not in a trial, or the customer can pay: renew as usual.
    Renew,
    /// Renew, and the subscription is past due (its first invoice waits for a payment method).
    RenewPastDue,
    /// The subscription ended (saved, with its event).
    Canceled,
}

/// Applies the account's rule to a subscription whose period ended, when that period was its
/// trial and `can_pay` is false.
pub(crate) async fn end(
    uow: &mut UnitOfWork,
    sub: &Subscription,
    can_pay: bool,
    rule: TrialEndRule,
    at: Timestamp,
) -> AppResult<TrialEnd> {
    if sub.status != SubscriptionStatus::Trialing || can_pay {
        return Ok(TrialEnd::Renew);
    }
    match rule {
        TrialEndRule::PastDue => Ok(TrialEnd::RenewPastDue),
        TrialEndRule::Cancel => {
            let reason = Some("The trial ended without a payment method".to_owned());
            let ended = sub.clone().cancel_now(reason, at)?;
            save_recorded(uow, EventType::SubscriptionCanceled, &ended).await?;
            Ok(TrialEnd::Canceled)
        }
    }
}
