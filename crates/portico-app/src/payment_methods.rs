//! Payment methods: the first of a customer becomes its default; making one the default clears
//! the flag on the others.

use portico_core::event::EventType;
use portico_core::model::{NewPaymentMethod, PaymentMethod, PaymentMethodPatch};
use portico_core::{PaymentMethodId, Timestamp};
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
    uow.record(EventType::PaymentMethodCreated, Some(&pm.customer), pm)?;
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
    uow.record(
        EventType::PaymentMethodUpdated,
        Some(&updated.customer),
        &updated,
    )?;
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
    uow.record(EventType::PaymentMethodDeleted, Some(&pm.customer), &pm)?;
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
