//! Changes of plan or quantity: the preview a customer confirms, and the confirmation that
//! applies exactly that preview (now, with or without proration, or at the end of the period).

use portico_core::event::EventType;
use portico_core::model::{
    ChangeQuote, ChangeRequest, ChangeTiming, Plan, Subscription, direction, quote,
};
use portico_core::{Invalid, PlanId, SubscriptionId, Timestamp};

use portico_store::StoreError;

use crate::subscriptions::{
    Changed, Requester, can_charge, charged, credit, customer_may, customer_rules, finish,
    lock_for, open_invoice, plan_of, save_recorded, tax_rate,
};
use crate::{App, AppError, AppResult, Caller};

/// The plan and quantity asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInput {
    pub plan: PlanId,
    pub quantity: i64,
}

/// What a change would do: the subscription and both plans, and what it costs.
#[derive(Debug, Clone)]
pub struct Preview {
    pub subscription: Subscription,
    pub from: Plan,
    pub to: Plan,
    pub quote: ChangeQuote,
}

/// Prices a change without making it. For a customer the new plan must be self-service and
/// the change within the account's feature switches; the account's rules say when it takes
/// effect. The vendor's changes follow the same rules unless it names another `timing`.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn preview(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    input: &ChangeInput,
    timing: Option<ChangeTiming>,
    now: Timestamp,
) -> AppResult<Preview> {
    let sub = app.store.subscription(&by.account, id).await?;
    if let Requester::Customer(customer) = who
        && *customer != sub.customer
    {
        return Err(AppError::not_found("subscription", id));
    }
    let from = app.store.plan(&by.account, &sub.plan).await?;
    let to = match app.store.plan(&by.account, &input.plan).await {
        Err(StoreError::NotFound { .. }) => {
            return Err(Invalid::new("plan", format!("no such plan: '{}'", input.plan)).into());
        }
        found => found?,
    };
    let rate = tax_rate(app, by, id).await?;
    let way = direction(&from, sub.quantity, &to, input.quantity);
    let timing = match customer_rules(app, by, who).await? {
        Some(settings) => {
            let f = &settings.features;
            let plan_changes = to.id != sub.plan;
            if (plan_changes && !f.plan_change)
                || (input.quantity != sub.quantity && !f.quantity_change)
                || (plan_changes && !to.self_service)
            {
                return Err(AppError::Forbidden(
                    "the account does not let customers make this change".into(),
                ));
            }
            settings.subscription_changes.timing(way)
        }
        // The vendor's change follows the same rules as the customer's unless it names its own
        // timing, so that the vendor's preview of a change is the portal's.
        None => match timing {
            Some(timing) => timing,
            None => {
                let account = app.store.account(&by.account).await?;
                account.settings.subscription_changes.timing(way)
            }
        },
    };
    let request = ChangeRequest {
        sub: &sub,
        from: &from,
        to: &to,
        quantity: input.quantity,
        timing,
        tax_rate_bps: rate,
    };
    let quote = quote(request, now)?;
    Ok(Preview {
        subscription: sub,
        from,
        to,
        quote,
    })
}

/// Makes the change `shown` describes, if it still costs exactly that: the quote is computed
/// again in the unit of work, on the locked subscription, and a different one (the day turned,
/// the subscription changed meanwhile) is a conflict that changes nothing. Applied now, money
/// owed is credited in the same unit, and money due opens an invoice of the quote's lines.
/// When that invoice can be charged at once ([`can_charge`]), the unit keeps the change
/// waiting for it and [`collect`] charges it: the settling unit makes the change when the
/// charge succeeds and withdraws it when it is declined. Otherwise the change is made and the
/// invoice left open. At the end of the period, the change is scheduled. Confirming a change
/// that waits for its payment again charges its invoice with the same key: once.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn confirm(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    input: &ChangeInput,
    shown: &ChangeQuote,
    now: Timestamp,
) -> AppResult<Changed> {
    let priced = preview(app, by, who, id, input, Some(shown.timing), now).await?;
    let charge = priced.quote.due_now > 0
        && !priced.quote.is_scheduled()
        && can_charge(app, by, &priced.subscription.customer, now).await?;
    let mut uow = app.begin(by, now).await?;
    let sub = lock_for(&mut uow, who, id).await?;
    if let Some(waiting) = sub.scheduled_change.as_ref()
        && let Some(invoice) = waiting.awaited_invoice()
    {
        if waiting.plan != input.plan || waiting.quantity != input.quantity {
            return Err(AppError::Conflict(
                "another change of the subscription waits for its payment".into(),
            ));
        }
        drop(uow);
        let invoice = app.store.invoice(&by.account, invoice).await?;
        return charged(app, by, id, &invoice, now).await;
    }
    let from = plan_of(&mut uow, &sub.plan).await?;
    let request = ChangeRequest {
        sub: &sub,
        from: &from,
        to: &priced.to,
        quantity: input.quantity,
        timing: priced.quote.timing,
        tax_rate_bps: priced.quote.tax_rate_bps,
    };
    let quote = quote(request, now)?;
    if !quote.agrees_with(shown) {
        return Err(AppError::Conflict(
            "the change no longer costs what was shown; look at the new preview".into(),
        ));
    }
    let lines = quote.invoice_lines(&sub, &from, &priced.to);
    let rate = quote.tax_rate_bps;
    let (changed, invoice) = if charge {
        // `charge` holds only for money due now: the invoice is opened first, for the change
        // to wait for it.
        let invoice = open_invoice(&mut uow, &sub, lines, rate, now).await?;
        let waiting = match &invoice {
            Some(invoice) => sub.await_payment(&priced.to, &quote, &invoice.id, now)?,
            None => sub.change_plan(&priced.to, &quote, now)?,
        };
        save_recorded(&mut uow, EventType::SubscriptionUpdated, &waiting).await?;
        (waiting, invoice)
    } else {
        let changed = sub.change_plan(&priced.to, &quote, now)?;
        let kind = if quote.is_scheduled() {
            EventType::SubscriptionChangeScheduled
        } else {
            EventType::SubscriptionUpdated
        };
        save_recorded(&mut uow, kind, &changed).await?;
        let invoice = if quote.due_now > 0 && !quote.is_scheduled() {
            open_invoice(&mut uow, &changed, lines, rate, now).await?
        } else {
            None
        };
        (changed, invoice)
    };
    if quote.credited_now > 0 {
        let text = format!("Credit for the change of {}", changed.id);
        credit(&mut uow, &changed.customer, quote.credited_now, text, now).await?;
    }
    uow.commit().await?;
    finish(app, by, changed, invoice, charge, now).await
}

/// Withdraws the change scheduled for the end of the period.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn withdraw(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<Subscription> {
    customer_may(app, by, who, "change plans or quantities", |s| {
        s.features.plan_change || s.features.quantity_change
    })
    .await?;
    let mut uow = app.begin(by, now).await?;
    let sub = lock_for(&mut uow, who, id)
        .await?
        .withdraw_scheduled_change(now)?;
    save_recorded(&mut uow, EventType::SubscriptionUpdated, &sub).await?;
    uow.commit().await?;
    Ok(sub)
}
