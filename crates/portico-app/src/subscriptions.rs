//! Subscriptions: start, change, cancel (now or at the end of the period), resume, reactivate.

use portico_core::event::EventType;
use portico_core::model::{
    CancelMode, CancelRefund, Customer, Invoice, InvoicePatch, InvoiceStatus, Metadata, NewInvoice,
    NewInvoiceLine, NewSubscription, NewTransaction, PaymentAttempt, Plan, PortalSettings,
    Subscription, SubscriptionPatch, Transaction, TransactionKind, TransactionStatus,
    unused_credit,
};
use portico_core::page::PageRequest;
use portico_core::{
    CustomerId, Invalid, InvoiceId, PlanId, SubscriptionId, Timestamp, TransactionId,
};
use portico_store::{InvoiceFilter, UnitOfWork};

use crate::error::no_such;
use crate::payments::{self, PayInput};
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

/// Who asks for a change to a subscription.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// The vendor: any change the subscription's state allows.
    Vendor,
    /// A customer in the portal: only their own subscriptions (others' are not found), within
    /// the account's feature switches and rules for subscription changes.
    Customer(&'a CustomerId),
}

/// How a subscription is to be canceled.
#[derive(Debug, Clone)]
pub struct Cancellation {
    pub mode: CancelMode,
    /// For a customer, one of the account's reasons.
    pub reason: Option<String>,
    pub comment: Option<String>,
}

/// Cancels now or at the end of the period. A customer may cancel only as the account allows,
/// giving one of its reasons; canceling now then credits the unused rest of the period when the
/// account's refund rule says so, in the same unit of work.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn cancel_as(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    c: Cancellation,
    now: Timestamp,
) -> AppResult<Subscription> {
    let rules = customer_rules(app, by, who).await?;
    let mut refund_rate = None;
    if let Some(settings) = &rules {
        let r = &settings.subscription_changes;
        if !settings.features.cancel || !r.allows_cancel(c.mode) {
            return Err(AppError::Forbidden(format!(
                "the account does not let customers cancel {}",
                c.mode.as_str()
            )));
        }
        if let Some(reason) = &c.reason
            && !r.cancel_reasons.contains(reason)
        {
            return Err(
                Invalid::new("reason", "must be one of the account's cancel reasons").into(),
            );
        }
        if c.mode == CancelMode::Immediately && r.cancel_refund == CancelRefund::ProratedCredit {
            refund_rate = Some(tax_rate(app, by, id).await?);
        }
    }
    let mut uow = app.begin(by, now).await?;
    let current = lock_for(&mut uow, who, id).await?;
    let refund = match refund_rate {
        Some(rate) => {
            let plan = plan_of(&mut uow, &current.plan).await?;
            unused_credit(&current, &plan, rate, now)
        }
        None => 0,
    };
    let canceled = current.cancel(c.mode, c.reason, c.comment, now)?;
    let kind = match c.mode {
        CancelMode::Immediately => EventType::SubscriptionCanceled,
        CancelMode::AtPeriodEnd => EventType::SubscriptionUpdated,
    };
    save_recorded(&mut uow, kind, &canceled).await?;
    if refund > 0 {
        let text = format!("Credit for the unused rest of {}", canceled.id);
        credit(&mut uow, &canceled.customer, refund, text, now).await?;
    }
    uow.commit().await?;
    Ok(canceled)
}

/// The vendor cancels at once.
pub async fn cancel(
    app: &App,
    by: &Caller,
    id: &SubscriptionId,
    reason: Option<String>,
    now: Timestamp,
) -> AppResult<Subscription> {
    let c = Cancellation {
        mode: CancelMode::Immediately,
        reason,
        comment: None,
    };
    cancel_as(app, by, Requester::Vendor, id, c, now).await
}

/// Takes back a cancellation at the end of the period.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn resume(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<Subscription> {
    customer_may(app, by, who, "cancel or resume", |s| s.features.cancel).await?;
    let mut uow = app.begin(by, now).await?;
    let resumed = lock_for(&mut uow, who, id).await?.resume(now)?;
    save_recorded(&mut uow, EventType::SubscriptionResumed, &resumed).await?;
    uow.commit().await?;
    Ok(resumed)
}

/// Pauses collection for the `periods` periods after the current one (1 to 3), or with `None`
/// resumes paused collection early; when the account lets customers pause.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn set_pause(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    periods: Option<u32>,
    now: Timestamp,
) -> AppResult<Subscription> {
    customer_may(app, by, who, "pause payments", |s| {
        s.subscription_changes.pause
    })
    .await?;
    let mut uow = app.begin(by, now).await?;
    let sub = lock_for(&mut uow, who, id).await?;
    let (changed, kind) = match periods {
        Some(periods) => {
            let plan = plan_of(&mut uow, &sub.plan).await?;
            (
                sub.pause(&plan, periods, now)?,
                EventType::SubscriptionPaused,
            )
        }
        None => (sub.unpause(now)?, EventType::SubscriptionResumed),
    };
    save_recorded(&mut uow, kind, &changed).await?;
    uow.commit().await?;
    Ok(changed)
}

/// Starts a canceled subscription again with a new period from now, and opens the invoice for
/// that period in the same unit of work. When the invoice can be charged at once
/// ([`can_charge`]) the reactivation waits for it, as a change of plan does (see
/// [`crate::plan_changes::confirm`]); otherwise it is made and the invoice left open. A
/// customer may reactivate only when the account allows it.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn reactivate(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<Changed> {
    customer_may(app, by, who, "reactivate subscriptions", |s| {
        s.subscription_changes.reactivation
    })
    .await?;
    let rate = tax_rate(app, by, id).await?;
    let customer = app.store.subscription(&by.account, id).await?.customer;
    let charge = can_charge(app, by, &customer, now).await?;
    let mut uow = app.begin(by, now).await?;
    let current = lock_for(&mut uow, who, id).await?;
    let plan = plan_of(&mut uow, &current.plan).await?;
    let started = current.clone().reactivate(&plan, now)?;
    let line = NewInvoiceLine {
        description: format!("{} × {}", plan.name, started.quantity),
        quantity: started.quantity,
        unit_amount: plan.unit_amount,
        period_start: Some(started.current_period_start),
        period_end: Some(started.current_period_end),
    };
    if charge {
        // The invoice is opened first, for the reactivation to wait for it.
        let invoice = open_invoice(&mut uow, &started, vec![line.clone()], rate, now).await?;
        if let Some(invoice) = invoice {
            let waiting = current.await_reactivation(&started, &invoice.id, now)?;
            save_recorded(&mut uow, EventType::SubscriptionUpdated, &waiting).await?;
            uow.commit().await?;
            return finish(app, by, waiting, Some(invoice), true, now).await;
        }
    }
    save_recorded(&mut uow, EventType::SubscriptionReactivated, &started).await?;
    let invoice = match charge {
        // Already found to total nothing.
        true => None,
        false => open_invoice(&mut uow, &started, vec![line], rate, now).await?,
    };
    uow.commit().await?;
    finish(app, by, started, invoice, false, now).await
}

/// A change of a subscription as made, and how the money it costs now is collected.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The subscription afterwards: changed, or (when the charge was declined or waits for the
    /// customer's step) as it was.
    pub subscription: Subscription,
    pub collection: Collection,
}

/// After the unit that made or kept a change: charges its invoice when `charge`, else leaves
/// it open.
pub(crate) async fn finish(
    app: &App,
    by: &Caller,
    sub: Subscription,
    invoice: Option<Invoice>,
    charge: bool,
    now: Timestamp,
) -> AppResult<Changed> {
    match invoice {
        Some(invoice) if charge => charged(app, by, &sub.id, &invoice, now).await,
        Some(invoice) => {
            tracing::info!(account = %by.account, invoice = %invoice.id,
                amount_due = invoice.amount_due, "invoice left open for payment");
            Ok(Changed {
                subscription: sub,
                collection: Collection::LeftOpen(invoice),
            })
        }
        None => Ok(Changed {
            subscription: sub,
            collection: Collection::NothingDue,
        }),
    }
}

/// Charges `invoice`, which a change of subscription `id` waits for, and answers the
/// subscription as the charge's outcome left it.
pub(crate) async fn charged(
    app: &App,
    by: &Caller,
    id: &SubscriptionId,
    invoice: &Invoice,
    now: Timestamp,
) -> AppResult<Changed> {
    let collection = collect(app, by, invoice, now).await?;
    Ok(Changed {
        subscription: app.store.subscription(&by.account, id).await?,
        collection,
    })
}

/// How an invoice that a subscription change opened is collected.
#[derive(Debug, Clone)]
pub enum Collection {
    /// Nothing is due now.
    NothingDue,
    /// The account takes no payments through a provider or the customer has no usable
    /// default payment method: the change was made and the invoice left open, for the
    /// customer to pay from the invoices page.
    LeftOpen(Invoice),
    /// Charged through the provider: succeeded (the change is made), declined (the change is
    /// withdrawn and the invoice void), or waiting for the customer's step at `action_url`
    /// (the change is made when it succeeds).
    Charged(PaymentAttempt),
}

/// Whether money due now for the customer can be charged at once: the account takes payments
/// through a provider this build has, and the customer's default payment method is known to
/// the provider and has not expired.
pub async fn can_charge(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    now: Timestamp,
) -> AppResult<bool> {
    let Some(record) = app.store.payment_provider(&by.account).await? else {
        return Ok(false);
    };
    if app.payments.get(&record.provider).is_none() {
        return Ok(false);
    }
    let mut uow = app.begin(by, now).await?;
    let methods = uow.payment_methods().live_of(customer).await?;
    drop(uow);
    Ok(methods
        .iter()
        .any(|pm| pm.is_default && pm.provider_ref.is_some() && !pm.is_expired(now)))
}

/// Charges the invoice a change opened and left waiting for its payment, between units of
/// work; the key derived from the invoice makes a repeated confirmation charge once.
pub(crate) async fn collect(
    app: &App,
    by: &Caller,
    invoice: &Invoice,
    now: Timestamp,
) -> AppResult<Collection> {
    let input = PayInput {
        invoice: invoice.id.clone(),
        payment_method: None,
        idempotency_key: format!("subscription-change/{}", invoice.id),
        customer: Some(invoice.customer.clone()),
    };
    Ok(Collection::Charged(
        payments::pay(app, by, input, now).await?,
    ))
}

/// Makes the change that waited for `invoice`, now paid, in the settling unit.
pub(crate) async fn apply_awaited_change(
    uow: &mut UnitOfWork,
    id: &SubscriptionId,
    invoice: &InvoiceId,
    now: Timestamp,
) -> AppResult<()> {
    let Some(sub) = uow.subscriptions().lock(id).await? else {
        return Ok(());
    };
    let was_canceled = sub.is_canceled();
    if let Some(changed) = sub.apply_paid_change(invoice, now) {
        let kind = if was_canceled {
            EventType::SubscriptionReactivated
        } else {
            EventType::SubscriptionUpdated
        };
        save_recorded(uow, kind, &changed).await?;
    }
    Ok(())
}

/// Withdraws the change that waited for `invoice`, whose charge was declined, and voids the
/// invoice, in the settling unit. Nothing happens for an invoice no change waits for.
pub(crate) async fn drop_awaited_change(
    uow: &mut UnitOfWork,
    invoice: &InvoiceId,
    now: Timestamp,
) -> AppResult<()> {
    let Some(found) = uow.invoices().lock_of_locked_customer(invoice).await? else {
        return Ok(());
    };
    let Some(id) = &found.subscription else {
        return Ok(());
    };
    let Some(sub) = uow.subscriptions().lock(id).await? else {
        return Ok(());
    };
    let Some(unchanged) = sub.drop_unpaid_change(invoice, now) else {
        return Ok(());
    };
    save_recorded(uow, EventType::SubscriptionUpdated, &unchanged).await?;
    if found.status == InvoiceStatus::Open {
        let void = InvoicePatch {
            status: Some(InvoiceStatus::Void),
            ..InvoicePatch::default()
        }
        .apply(found, now)?;
        uow.invoices().save(&void).await?;
        let kind = crate::invoices::change_kind(InvoiceStatus::Open, &void);
        uow.record(kind, Some(&void.customer), &void)?;
    }
    Ok(())
}

/// `Forbidden` when a customer asks and the account's settings do not `allow` what they ask.
pub(crate) async fn customer_may(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
    what: &str,
    allow: impl FnOnce(&PortalSettings) -> bool,
) -> AppResult<()> {
    match customer_rules(app, by, who).await? {
        Some(settings) if !allow(&settings) => Err(AppError::Forbidden(format!(
            "the account does not let customers {what}"
        ))),
        _ => Ok(()),
    }
}

/// Saves the changed subscription and records `kind` about it.
pub(crate) async fn save_recorded(
    uow: &mut UnitOfWork,
    kind: EventType,
    sub: &Subscription,
) -> AppResult<()> {
    uow.subscriptions().save(sub).await?;
    uow.record(kind, Some(&sub.customer), sub)?;
    Ok(())
}

/// The account's portal settings when a customer asks, else `None` (the vendor's rules are its
/// own).
pub(crate) async fn customer_rules(
    app: &App,
    by: &Caller,
    who: Requester<'_>,
) -> AppResult<Option<PortalSettings>> {
    match who {
        Requester::Vendor => Ok(None),
        Requester::Customer(_) => Ok(Some(app.store.account(&by.account).await?.settings)),
    }
}

/// The tax rate of the subscription's latest issued invoice, which its next invoices keep;
/// none without one.
pub async fn tax_rate(app: &App, by: &Caller, id: &SubscriptionId) -> AppResult<i64> {
    let filter = InvoiceFilter {
        customer: None,
        subscription: Some(id.clone()),
        exclude_drafts: true,
        status: None,
    };
    let latest = app
        .store
        .list_invoices(&by.account, filter, PageRequest::first(1))
        .await?;
    Ok(latest.data.first().map_or(0, |i| i.tax_rate_bps))
}

/// An open invoice of `lines` for the subscription, issued (with its events), unless they total
/// nothing.
pub(crate) async fn open_invoice(
    uow: &mut UnitOfWork,
    sub: &Subscription,
    lines: Vec<NewInvoiceLine>,
    tax_rate_bps: i64,
    now: Timestamp,
) -> AppResult<Option<Invoice>> {
    let customer = customer_of(uow, sub).await?;
    let number = uow.invoices().next_number().await?;
    let input = NewInvoice {
        customer: customer.id.to_string(),
        subscription: Some(sub.id.clone()),
        currency: None,
        status: Some(InvoiceStatus::Open),
        lines,
        tax_rate_bps,
        issued_at: None,
        due_at: Some(now),
        paid_at: None,
        metadata: Metadata::new(),
    };
    let invoice = Invoice::create(
        InvoiceId::new(now, entropy()),
        number,
        &customer,
        input,
        now,
    )?;
    if invoice.total == 0 {
        return Ok(None);
    }
    uow.invoices().insert(&invoice).await?;
    uow.record(EventType::InvoiceCreated, Some(&invoice.customer), &invoice)?;
    uow.record(EventType::InvoiceIssued, Some(&invoice.customer), &invoice)?;
    Ok(Some(invoice))
}

/// A credit of `amount` to the customer, recorded as a succeeded transaction.
pub(crate) async fn credit(
    uow: &mut UnitOfWork,
    customer: &CustomerId,
    amount: i64,
    description: String,
    now: Timestamp,
) -> AppResult<Transaction> {
    let customer = uow
        .customers()
        .any(customer)
        .await?
        .ok_or_else(|| AppError::Internal(format!("customer {customer} is gone").into()))?;
    let input = NewTransaction {
        customer: customer.id.to_string(),
        kind: TransactionKind::Credit,
        status: TransactionStatus::Succeeded,
        amount,
        currency: None,
        invoice: None,
        payment_method: None,
        description: Some(description),
        created_at: None,
    };
    let id = TransactionId::new(now, entropy());
    let transaction = Transaction::create(id, &customer, None, input, now)?;
    uow.transactions().insert(&transaction).await?;
    uow.record(
        EventType::TransactionCreated,
        Some(&transaction.customer),
        &transaction,
    )?;
    Ok(transaction)
}

async fn customer_of(uow: &mut UnitOfWork, sub: &Subscription) -> AppResult<Customer> {
    uow.customers().any(&sub.customer).await?.ok_or_else(|| {
        AppError::Internal(format!("subscription {} has no customer", sub.id).into())
    })
}

pub(crate) async fn plan_of(uow: &mut UnitOfWork, id: &PlanId) -> AppResult<Plan> {
    uow.plans()
        .find(id)
        .await?
        .ok_or_else(|| AppError::Internal(format!("plan {id} is gone").into()))
}

/// The subscription, locked; for a customer only one of theirs (another's is not found).
pub(crate) async fn lock_for(
    uow: &mut UnitOfWork,
    who: Requester<'_>,
    id: &SubscriptionId,
) -> AppResult<Subscription> {
    let sub = lock(uow, id).await?;
    match who {
        Requester::Customer(customer) if *customer != sub.customer => {
            Err(AppError::not_found("subscription", id))
        }
        _ => Ok(sub),
    }
}

async fn lock(uow: &mut UnitOfWork, id: &SubscriptionId) -> AppResult<Subscription> {
    uow.subscriptions()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("subscription", id))
}
