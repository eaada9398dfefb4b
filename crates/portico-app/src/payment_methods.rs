//! Payment methods: the first of a customer becomes its default; making one the default clears
//! the flag on the others.

use portico_core::event::EventType;
use portico_core::model::{NewPaymentMethod, PaymentMethod, PaymentMethodPatch};
use portico_core::{CustomerId, PaymentMethodId, Timestamp};
use portico_store::UnitOfWork;

use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn create(
    app: &App,
    by: &Caller,
    input: NewPaymentMethod,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let mut uow = app.begin(by, now).await?;
    // Locking the customer also serialises concurrent changes of its default method.
    let customer = body_customer(&mut uow, &input.customer).await?;
    let first = !uow.payment_methods().any_of(&customer.id).await?;
    let id = PaymentMethodId::new(now, entropy());
    let pm = PaymentMethod::create(id, &customer, first, input, now)?;
    insert(&mut uow, &pm, now).await?;
    uow.commit().await?;
    Ok(pm)
}

/// Stores a new payment method of a customer the unit has locked, taking the default flag
/// from the others when it has it, with its event.
pub(crate) async fn insert(
    uow: &mut UnitOfWork,
    pm: &PaymentMethod,
    now: Timestamp,
) -> AppResult<()> {
    if pm.is_default {
        uow.payment_methods()
            .clear_default(&pm.customer, now)
            .await?;
    }
    uow.payment_methods().insert(pm).await?;
    uow.record(EventType::PaymentMethodAttached, Some(&pm.customer), pm)?;
    Ok(())
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn update(
    app: &App,
    by: &Caller,
    id: &PaymentMethodId,
    patch: PaymentMethodPatch,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let mut uow = app.begin(by, now).await?;
    let current = lock(&mut uow, id).await?;
    let was_default = current.is_default;
    let updated = patch.apply(current, now)?;
    if updated.is_default && !was_default {
        uow.payment_methods()
            .clear_default(&updated.customer, now)
            .await?;
    }
    uow.payment_methods().save(&updated).await?;
    let kind = if updated.is_default && !was_default {
        EventType::PaymentMethodDefaultChanged
    } else {
        EventType::PaymentMethodUpdated
    };
    uow.record(kind, Some(&updated.customer), &updated)?;
    uow.commit().await?;
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn delete(
    app: &App,
    by: &Caller,
    id: &PaymentMethodId,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let mut uow = app.begin(by, now).await?;
    let pm = lock(&mut uow, id).await?;
    uow.payment_methods().remove(&pm, now).await?;
    uow.record(EventType::PaymentMethodDetached, Some(&pm.customer), &pm)?;
    uow.commit().await?;
    Ok(pm)
}

async fn lock(
    uow: &mut portico_store::UnitOfWork,
    id: &PaymentMethodId,
) -> AppResult<PaymentMethod> {
    uow.payment_methods()
        .lock(id)
        .await?
        .ok_or_else(|| AppError::not_found("payment method", id))
}

/// Why the portal refuses to remove a payment method: the customer's last, while a
/// subscription renews with it.
pub const LAST_METHOD_NEEDED: &str = "this is the customer's only payment method and a subscription renews with it; add another one first";

/// A unit with the customer and one of its payment methods locked, as the portal changes it:
/// another customer's is not found.
async fn begin_on(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    id: &PaymentMethodId,
    now: Timestamp,
) -> AppResult<(UnitOfWork, PaymentMethod)> {
    let mut uow = app.begin(by, now).await?;
    body_customer(&mut uow, customer.as_str()).await?;
    match lock(&mut uow, id).await? {
        pm if pm.customer == *customer => Ok((uow, pm)),
        _ => Err(AppError::not_found("payment method", id)),
    }
}

/// Makes `pm` its customer's default, with its event.
async fn set_default(
    uow: &mut UnitOfWork,
    mut pm: PaymentMethod,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    uow.payment_methods()
        .clear_default(&pm.customer, now)
        .await?;
    pm.is_default = true;
    pm.updated_at = now;
    uow.payment_methods().save(&pm).await?;
    uow.record(
        EventType::PaymentMethodDefaultChanged,
        Some(&pm.customer),
        &pm,
    )?;
    Ok(pm)
}

/// Makes one of the customer's payment methods its default (the portal's action); an expired
/// card cannot be.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn make_default(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    id: &PaymentMethodId,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let (mut uow, pm) = begin_on(app, by, customer, id, now).await?;
    if pm.is_default {
        return Ok(pm);
    }
    if pm.is_expired(now) {
        return Err(AppError::Conflict(format!(
            "payment method {id} has expired and cannot be the default"
        )));
    }
    let pm = set_default(&mut uow, pm, now).await?;
    uow.commit().await?;
    Ok(pm)
}

/// Removes one of the customer's payment methods (the portal's action). Not the last one while
/// a subscription renews with it ([`LAST_METHOD_NEEDED`]); when the default goes, the newest
/// usable other one takes its place.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn remove(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    id: &PaymentMethodId,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let (mut uow, pm) = begin_on(app, by, customer, id, now).await?;
    let others: Vec<PaymentMethod> = uow
        .payment_methods()
        .live_of(customer)
        .await?
        .into_iter()
        .filter(|other| other.id != pm.id)
        .collect();
    if others.is_empty() {
        let renewing = uow
            .subscriptions()
            .lock_live_of(customer)
            .await?
            .iter()
            .any(|s| !s.cancel_at_period_end);
        if renewing {
            return Err(AppError::Conflict(LAST_METHOD_NEEDED.into()));
        }
    }
    uow.payment_methods().remove(&pm, now).await?;
    uow.record(EventType::PaymentMethodDetached, Some(&pm.customer), &pm)?;
    if pm.is_default
        && let Some(next) = others.into_iter().find(|o| !o.is_expired(now))
    {
        set_default(&mut uow, next, now).await?;
    }
    uow.commit().await?;
    Ok(pm)
}
