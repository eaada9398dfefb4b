//! Adding a payment method through the provider: the customer enters it on the provider's
//! page (or in its form inside the portal), comes back, and Portico keeps what the provider
//! reports of it — brand, last 4, expiry and the provider's reference, never a card number.

use portico_core::event::EventType;
use portico_core::model::{NewPaymentMethod, PaymentMethod, PaymentMethodKind};
use portico_core::{CustomerId, PaymentMethodId, Timestamp};

use super::{ReturnParams, SetupRequest, SetupResult, SetupStart, call, provider_of};
use crate::{App, AppError, AppResult, Caller, body_customer, entropy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupInput {
    pub customer: CustomerId,
    /// Where the provider sends the customer back.
    pub return_url: String,
}

/// Where the customer enters the new payment method.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn begin_setup(
    app: &App,
    by: &Caller,
    input: SetupInput,
    now: Timestamp,
) -> AppResult<SetupStart> {
    let (provider, opened) = provider_of(app, &by.account).await?;
    let customer_text = input.customer.to_string();
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, &customer_text).await?;
    let known = uow
        .payment_providers()
        .customer_ref(&customer.id, provider.name())
        .await?;
    drop(uow);
    let provider_customer = match known {
        Some(reference) => Some(reference),
        None => {
            let made = call(
                app,
                "the new customer",
                provider.create_customer(&opened, &customer),
            )
            .await?;
            if let Some(reference) = &made {
                let mut uow = app.begin(by, now).await?;
                body_customer(&mut uow, &customer_text).await?;
                uow.payment_providers()
                    .insert_customer_ref(&customer.id, provider.name(), reference)
                    .await?;
                uow.commit().await?;
            }
            made
        }
    };
    let request = SetupRequest {
        customer: customer.id,
        provider_customer,
        return_url: input.return_url,
    };
    call(app, "the setup", provider.begin_setup(&opened, &request)).await
}

/// Keeps the payment method the provider set up, from what it added to the return URL. It
/// becomes the default when it is the customer's first, when it replaces one (which is removed
/// in the same unit), or when the default has expired. Coming back twice (a reload) answers the
/// payment method kept the first time.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn complete_setup(
    app: &App,
    by: &Caller,
    customer: &CustomerId,
    returned: &ReturnParams,
    replace: Option<&PaymentMethodId>,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let (provider, opened) = provider_of(app, &by.account).await?;
    let result = call(
        app,
        "the new payment method",
        provider.complete_setup(&opened, returned),
    )
    .await?;
    if result.customer != *customer {
        return Err(AppError::Conflict(
            "this payment method was set up for another customer".into(),
        ));
    }
    keep(app, by, result, replace, now).await
}

/// Keeps what the provider reports of a payment method it set up (once: a second report of
/// the same reference answers the payment method kept the first time).
pub(super) async fn keep(
    app: &App,
    by: &Caller,
    result: SetupResult,
    replace: Option<&PaymentMethodId>,
    now: Timestamp,
) -> AppResult<PaymentMethod> {
    let customer = &result.customer;
    let mut uow = app.begin(by, now).await?;
    let customer = body_customer(&mut uow, customer.as_str()).await?;
    if let Some(kept) = uow
        .payment_methods()
        .by_provider_ref(&customer.id, &result.reference)
        .await?
    {
        return Ok(kept);
    }
    let current = uow.payment_methods().live_of(&customer.id).await?;
    let replaced = match replace {
        Some(id) => Some(
            current
                .iter()
                .find(|pm| pm.id == *id)
                .cloned()
                .ok_or_else(|| AppError::not_found("payment method", id))?,
        ),
        None => None,
    };
    let default_expired = current
        .iter()
        .find(|pm| pm.is_default)
        .is_none_or(|pm| pm.is_expired(now));
    let input = NewPaymentMethod {
        customer: customer.id.to_string(),
        kind: PaymentMethodKind::Card,
        brand: Some(result.brand),
        last4: result.last4,
        exp_month: Some(result.exp_month),
        exp_year: Some(result.exp_year),
        is_default: Some(current.is_empty() || replaced.is_some() || default_expired),
        provider_ref: Some(result.reference),
    };
    let pm = PaymentMethod::create(
        PaymentMethodId::new(now, entropy()),
        &customer,
        current.is_empty(),
        input,
        now,
    )?;
    crate::payment_methods::insert(&mut uow, &pm, now).await?;
    if let Some(old) = replaced {
        uow.payment_methods().remove(&old, now).await?;
        uow.record(EventType::PaymentMethodDetached, Some(&old.customer), &old)?;
    }
    uow.commit().await?;
    Ok(pm)
}
