//! The overview: the current plan, an estimate of the next invoice, the default payment method
//! and the open balance, each linking to its page.

use maud::{Markup, html};
use portico_core::model::{PaymentMethod, PortalPage, SubscriptionStatus};
use portico_core::scope::PortalScope;
use portico_core::{Currency, Money, Timestamp, money};
use portico_render::format::format_card_expiry;
use portico_render::{Locale, Msg, format_date, format_money, t, tf};

use super::parts::{card, subscription_badge};
use super::payment_methods::method_name;
use super::subscriptions::{Row, price, renewal, rows};
use super::{page_enabled, too_large};
use crate::AppState;
use crate::portal::load;
use crate::portal::session::{Denied, Visit};

pub struct Overview {
    pub customer_name: String,
    pub currency: Currency,
    /// `None` when the session may not see subscriptions.
    pub plan: Option<Plan>,
    /// `None` when the session may not see payment methods; else the default one, if any.
    pub payment_method: Option<Option<PaymentMethod>>,
    /// `None` when the session may not see invoices; else what is due per currency.
    pub open_balance: Option<Vec<Money>>,
    /// Whether the card links to the invoices page (the balance shows for transactions too).
    pub invoices_link: bool,
}

pub struct Plan {
    /// The first subscription that is not canceled.
    pub current: Option<Row>,
    /// The next invoice's estimate and date, unless the subscription ends with its period.
    pub next: Option<(Money, Timestamp)>,
}

pub async fn load(s: &AppState, v: &Visit) -> Result<Overview, Denied> {
    let plan = match page_enabled(v, PortalPage::Subscriptions) {
        true => Some(plan(s, v).await?),
        false => None,
    };
    let payment_method = match page_enabled(v, PortalPage::PaymentMethod) {
        true => Some(
            load::payment_methods(s, &v.account.id, &v.customer.id)
                .await?
                .into_iter()
                .next(),
        ),
        false => None,
    };
    let features = &v.account.settings.features;
    let balance = v.session.scopes.contains(PortalScope::InvoicesRead)
        && (features.invoices || features.transactions);
    let open_balance = match balance {
        true => Some(load::open_balance(s, &v.account.id, &v.customer.id).await?),
        false => None,
    };
    Ok(Overview {
        customer_name: v.customer.name.clone(),
        currency: v.customer.currency,
        plan,
        payment_method,
        open_balance,
        invoices_link: page_enabled(v, PortalPage::Invoices),
    })
}

async fn plan(s: &AppState, v: &Visit) -> Result<Plan, Denied> {
    let current = rows(s, v)
        .await?
        .into_iter()
        .find(|r| r.sub.status != SubscriptionStatus::Canceled);
    let next = match &current {
        Some(r) if !r.sub.cancel_at_period_end => {
            let tax_bps = load::last_tax_rate(s, &v.account.id, &v.customer.id, &r.sub.id).await?;
            let total = money::with_tax(r.price.amount, tax_bps).ok_or_else(too_large)?;
            Some((
                Money::new(total, r.price.currency),
                r.sub.current_period_end,
            ))
        }
        _ => None,
    };
    Ok(Plan { current, next })
}

pub fn render(d: &Overview, l: Locale) -> Markup {
    let manage = t(l, Msg::Manage);
    html! {
        h1 { (tf(l, Msg::Welcome, &[("name", &d.customer_name)])) }
        div.grid {
            @if let Some(plan) = &d.plan {
                (card(t(l, Msg::CurrentPlan), current_plan(plan, l), Some((PortalPage::Subscriptions.path(), manage))))
                (card(t(l, Msg::NextInvoice), next_invoice(plan, l), None))
            }
            @if let Some(pm) = &d.payment_method {
                (card(t(l, Msg::DefaultPaymentMethod), payment_method(pm.as_ref(), l), Some((PortalPage::PaymentMethod.path(), manage))))
            }
            @if let Some(totals) = &d.open_balance {
                (card(
                    t(l, Msg::OpenBalance),
                    open_balance(totals, d.currency, l),
                    d.invoices_link.then(|| (PortalPage::Invoices.path(), t(l, Msg::ViewAll))),
                ))
            }
        }
    }
}

fn current_plan(plan: &Plan, l: Locale) -> Markup {
    html! {
        @match &plan.current {
            Some(r) => {
                p.big { (r.plan.name) " " (subscription_badge(l, r.sub.status)) }
                p { (price(l, r)) }
                p.muted { (renewal(l, &r.sub)) }
            }
            None => p { (t(l, Msg::NoActiveSubscription)) },
        }
    }
}

fn next_invoice(plan: &Plan, l: Locale) -> Markup {
    html! {
        @match plan.next {
            Some((amount, date)) => {
                @let (amount, date) = (format_money(amount, l), format_date(date, l));
                p.big { (tf(l, Msg::AmountOnDate, &[("amount", &amount), ("date", &date)])) }
            }
            None => p { (t(l, Msg::NoActiveSubscription)) },
        }
    }
}

fn payment_method(pm: Option<&PaymentMethod>, l: Locale) -> Markup {
    html! {
        @match pm {
            Some(pm) => {
                p.big { (method_name(pm, l)) }
                @if let (Some(m), Some(y)) = (pm.exp_month, pm.exp_year) {
                    p.muted { (tf(l, Msg::Expires, &[("expiry", &format_card_expiry(m, y))])) }
                }
            }
            None => p { (t(l, Msg::NoPaymentMethod)) },
        }
    }
}

fn open_balance(totals: &[Money], currency: Currency, l: Locale) -> Markup {
    html! {
        @if totals.is_empty() {
            p.big { (format_money(Money::new(0, currency), l)) }
            p.muted { (t(l, Msg::NothingDue)) }
        }
        @for m in totals {
            p.big.due { (format_money(*m, l)) }
        }
    }
}
