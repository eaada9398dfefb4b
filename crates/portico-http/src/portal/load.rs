//! What the portal loads for one customer, shared by the pages and the portal read API so that
//! both say the same thing: subscriptions with their plans, payment methods, the open balance.

use portico_core::model::{CustomerRef, InvoiceStatus, PaymentMethod, Plan, Subscription};
use portico_core::money::totals_by_currency;
use portico_core::page::PageRequest;
use portico_core::{AccountId, CustomerId, Money, PlanId, SubscriptionId};
use portico_store::{InvoiceFilter, SubscriptionFilter};

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The most of each list the portal shows on one page.
const LIMIT: u32 = 100;

/// The customer's subscriptions, newest first, each with its plan.
pub async fn subscriptions(
    s: &AppState,
    account: &AccountId,
    customer: &CustomerId,
) -> ApiResult<Vec<(Subscription, Plan)>> {
    let filter = SubscriptionFilter {
        customer: Some(CustomerRef::Id(customer.clone())),
        status: None,
    };
    let list = s
        .app
        .store
        .list_subscriptions(account, filter, PageRequest::first(LIMIT))
        .await?;
    // The store reads each plan once, however many subscriptions name it.
    let ids: Vec<PlanId> = list.data.iter().map(|sub| sub.plan.clone()).collect();
    let plans = s.app.store.plans_by_ids(account, &ids).await?;
    list.data
        .into_iter()
        .map(|sub| {
            let plan = plans.iter().find(|p| p.id == sub.plan).cloned();
            let plan = plan.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "subscription {} names plan {}, which is gone",
                    sub.id,
                    sub.plan
                ))
            })?;
            Ok((sub, plan))
        })
        .collect()
}

/// The tax rate of the subscription's latest issued invoice, to estimate the next one.
pub async fn last_tax_rate(
    s: &AppState,
    account: &AccountId,
    customer: &CustomerId,
    subscription: &SubscriptionId,
) -> ApiResult<i64> {
    let filter = InvoiceFilter {
        customer: Some(CustomerRef::Id(customer.clone())),
        subscription: Some(subscription.clone()),
        exclude_drafts: true,
        status: None,
    };
    let latest = s
        .app
        .store
        .list_invoices(account, filter, PageRequest::first(1))
        .await?;
    Ok(latest.data.first().map_or(0, |i| i.tax_rate_bps))
}

/// The customer's payment methods, the default first.
pub async fn payment_methods(
    s: &AppState,
    account: &AccountId,
    customer: &CustomerId,
) -> ApiResult<Vec<PaymentMethod>> {
    let mut methods = s
        .app
        .store
        .list_payment_methods(
            account,
            Some(&CustomerRef::Id(customer.clone())),
            PageRequest::first(LIMIT),
        )
        .await?
        .data;
    methods.sort_by_key(|m| !m.is_default);
    Ok(methods)
}

/// What the customer owes on open invoices, per currency; empty when nothing is due.
pub async fn open_balance(
    s: &AppState,
    account: &AccountId,
    customer: &CustomerId,
) -> ApiResult<Vec<Money>> {
    let open = s
        .app
        .store
        .list_invoices(
            account,
            InvoiceFilter {
                customer: Some(CustomerRef::Id(customer.clone())),
                status: Some(InvoiceStatus::Open),
                subscription: None,
                exclude_drafts: true,
            },
            PageRequest::first(LIMIT),
        )
        .await?;
    let due = open
        .data
        .iter()
        .filter(|i| i.amount_due > 0)
        .map(|i| Money::new(i.amount_due, i.currency));
    totals_by_currency(due).ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!(
            "the open balance of customer {customer} overflows"
        ))
    })
}
