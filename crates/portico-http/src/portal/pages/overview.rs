//! The overview: alerts that need the customer (an overdue invoice, a failed payment, an expired
//! or expiring card), the current plan, an estimate of the next invoice, the default payment
//! method and the open balance, each linking to its page.

use maud::{Markup, html};
use portico_core::model::{
    CustomerRef, Invoice, InvoiceStatus, PaymentAttemptStatus, PaymentMethod, PortalPage,
    SubscriptionStatus,
};
use portico_core::page::PageRequest;
use portico_core::scope::PortalScope;
use portico_core::{Currency, Money, Timestamp, money};
use portico_render::format::format_card_expiry;
use portico_render::{Locale, Msg, format_date, format_money, t, tf};

use super::parts::{card, money as amount, subscription_badge};
use super::payment_methods::method_name;
use super::subscriptions::{Row, price, renewal, rows};
use super::{page_enabled, too_large};
use crate::AppState;
use crate::portal::load;
use crate::portal::session::{Denied, Visit};

pub struct Overview {
    pub alerts: Vec<Alert>,
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

/// Something that needs the customer, with the way to it.
pub struct Alert {
    pub text: String,
    pub href: String,
    pub action: String,
}

/// The alerts, most pressing first: overdue invoices (when invoices show), the last payment
/// when it failed and its invoice is still due, the default card when it has expired or
/// expires soon (when payment methods show).
async fn alerts(
    s: &AppState,
    v: &Visit,
    default_method: Option<&PaymentMethod>,
) -> Result<Vec<Alert>, Denied> {
    let l = v.locale;
    let now = s.app.clock.now();
    let mut alerts = Vec::new();
    if page_enabled(v, PortalPage::Invoices) {
        let filter = portico_store::InvoiceFilter {
            customer: Some(CustomerRef::Id(v.customer.id.clone())),
            status: Some(InvoiceStatus::Open),
            subscription: None,
            exclude_drafts: true,
        };
        let open: Vec<Invoice> = s
            .app
            .store
            .list_invoices(&v.account.id, filter, PageRequest::first(20))
            .await?
            .data;
        for inv in open.iter().filter(|i| i.is_overdue(now)) {
            let due = amount(l, inv.amount_due, inv.currency);
            alerts.push(Alert {
                text: tf(
                    l,
                    Msg::AlertPastDue,
                    &[("number", &inv.number), ("amount", &due)],
                ),
                href: format!("/portal/invoices/{}#pay", inv.id),
                action: tf(l, Msg::PayAmount, &[("amount", &due)]),
            });
        }
        let last = s
            .app
            .store
            .recent_payment_attempts(&v.account.id, &v.customer.id, 1)
            .await?;
        if let Some(a) = last
            .first()
            .filter(|a| a.status == PaymentAttemptStatus::Declined)
            && open.iter().any(|i| i.id == a.invoice && i.amount_due > 0)
        {
            let reason = t(
                l,
                a.decline_code
                    .map_or(Msg::DeclineProcessingError, Msg::from),
            );
            let paid = amount(l, a.amount, a.currency);
            alerts.push(Alert {
                text: tf(
                    l,
                    Msg::AlertPaymentFailed,
                    &[("amount", &paid), ("reason", reason)],
                ),
                href: format!("/portal/invoices/{}#pay", a.invoice),
                action: t(l, Msg::RetryPayment).to_owned(),
            });
        }
    }
    if let Some(pm) = default_method.filter(|pm| pm.is_expired(now) || pm.is_expiring(now)) {
        let msg = match pm.is_expired(now) {
            true => Msg::AlertCardExpired,
            false => Msg::AlertCardExpiring,
        };
        alerts.push(Alert {
            text: tf(l, msg, &[("card", &method_name(pm, l))]),
            href: PortalPage::PaymentMethod.path().to_owned(),
            action: t(l, Msg::ReplaceCard).to_owned(),
        });
    }
    Ok(alerts)
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
    let default_method = payment_method
        .as_ref()
        .and_then(|pm| pm.as_ref())
        .filter(|pm| pm.is_default);
    Ok(Overview {
        alerts: alerts(s, v, default_method).await?,
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
        @for alert in &d.alerts {
            div.flash.bad.alert role="alert" {
                p { (alert.text) }
                a.button href=(alert.href) { (alert.action) }
            }
        }
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
