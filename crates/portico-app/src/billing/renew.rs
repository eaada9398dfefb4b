//! Renewal at the end of a period: the next period counted from the billing-cycle anchor, its
//! invoice (lines and tax, numbered from the account's sequence) issued at the period's start,
//! and the charge of that invoice scheduled for the same instant.

use portico_core::event::EventType;
use portico_core::model::{NewInvoiceLine, SubscriptionStatus};
use portico_core::{AccountId, SubscriptionId, Timestamp};
use portico_store::Renewal;

use super::trial::{self, TrialEnd};
use super::{scheduled, system};
use crate::subscriptions::{can_charge, open_invoice, plan_of, save_recorded, tax_rate};
use crate::{App, AppError, AppResult};

/// What one step did to a subscription whose period ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing was due (the period has not ended, the subscription is canceled, or another
    /// run renewed it first).
    Nothing,
    /// The subscription ended: canceled at the end of its period, or its trial ended without a
    /// way to pay.
    Ended,
    /// It moved into its next period.
    Renewed(Renewal),
}

/// Renews the subscription once, if its period ended by `now`: one unit of work. A scheduled
/// cancellation ends it instead; a scheduled change is made first and billed.
#[tracing::instrument(skip_all, fields(account = %account, subscription = %id))]
pub async fn renew(
    app: &App,
    account: &AccountId,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<Step> {
    let by = system(account);
    let found = app.store.subscription(account, id).await?;
    if found.is_canceled() || found.current_period_end > now {
        return Ok(Step::Nothing);
    }
    // Read before the unit: each opens its own.
    let rules = app.store.account(account).await?.settings.billing;
    let can_pay = can_charge(app, &by, &found.customer, now).await?;
    let rate = tax_rate(app, &by, id).await?;

    let mut uow = app.begin(&by, now).await?;
    let Some(sub) = uow.subscriptions().lock(id).await? else {
        return Ok(Step::Nothing);
    };
    if sub.is_canceled() || sub.current_period_end > now {
        return Ok(Step::Nothing);
    }
    let at = sub.current_period_end;
    if scheduled::cancel_at_period_end(&mut uow, &sub, at).await? {
        uow.commit().await?;
        return Ok(Step::Ended);
    }
    let past_due = match trial::end(
        &mut uow,
        &sub,
        can_pay,
        rules.trial_end_without_payment_method,
        at,
    )
    .await?
    {
        TrialEnd::Canceled => {
            uow.commit().await?;
            return Ok(Step::Ended);
        }
        TrialEnd::RenewPastDue => true,
        TrialEnd::Renew => false,
    };
    let mut next = scheduled::apply_change(sub.clone(), at);
    let plan = plan_of(&mut uow, &next.plan).await?;
    let end = next
        .billing_cycle(&plan)
        .and_then(|cycle| cycle.next_boundary_after(at))
        .ok_or_else(|| {
            AppError::Internal(format!("subscription {id} has no period after {at}").into())
        })?;
    next.current_period_start = at;
    next.current_period_end = end;
    next.updated_at = now;
    let line = NewInvoiceLine {
        description: format!("{} × {}", plan.name, next.quantity),
        quantity: next.quantity,
        unit_amount: plan.unit_amount,
        period_start: Some(at),
        period_end: Some(end),
    };
    let invoice = open_invoice(&mut uow, &next, vec![line], rate, at).await?;
    let renewal = Renewal {
        subscription: next.id.clone(),
        period_start: at,
        period_end: end,
        invoice: invoice.as_ref().map(|i| i.id.clone()),
        failures: 0,
        // Charged at once (without a usable card that is a failed charge, and dunning
        // begins), except after a trial that ended without one: that invoice waits for the
        // customer, past due.
        next_charge_at: invoice.as_ref().filter(|_| !past_due).map(|_| at),
        created_at: now,
        updated_at: now,
    };
    if !uow.renewals().insert(&renewal).await? {
        // Renewed before: the unit is dropped, and with it everything above.
        return Ok(Step::Nothing);
    }
    let was = next.status;
    if was == SubscriptionStatus::Trialing {
        next.status = SubscriptionStatus::Active;
    }
    if past_due {
        next.status = SubscriptionStatus::PastDue;
    }
    save_recorded(&mut uow, EventType::SubscriptionRenewed, &next).await?;
    if next.status == SubscriptionStatus::PastDue && was != SubscriptionStatus::PastDue {
        uow.record(EventType::SubscriptionPastDue, Some(&next.customer), &next)?;
    }
    uow.commit().await?;
    Ok(Step::Renewed(renewal))
}
