//! The customer's subscriptions: plan, price, quantity, period and what happens at its end.

use maud::{Markup, html};
use portico_core::model::{Interval, Plan, PortalPage, Subscription, SubscriptionStatus};
use portico_core::{Money, money};
use portico_render::format::{format_date_range, format_integer};
use portico_render::{Locale, Msg, format_date, format_money, t, tf};

use super::parts::{heading, subscription_badge};
use super::too_large;
use crate::AppState;
use crate::portal::load;
use crate::portal::session::{Denied, Visit};

/// A subscription with its plan and what it costs per interval.
pub struct Row {
    pub sub: Subscription,
    pub plan: Plan,
    /// Quantity × unit price, by core's checked rule.
    pub price: Money,
}

/// The customer's subscriptions, newest first, each with its plan and price (two reads: the
/// subscriptions, then their plans in one).
pub async fn rows(s: &AppState, v: &Visit) -> Result<Vec<Row>, Denied> {
    load::subscriptions(s, &v.account.id, &v.customer.id)
        .await?
        .into_iter()
        .map(|(sub, plan)| {
            let amount = money::line_amount("quantity", sub.quantity, plan.unit_amount)
                .map_err(|_| too_large())?;
            let price = Money::new(amount, plan.currency);
            Ok(Row { sub, plan, price })
        })
        .collect()
}

pub async fn load(s: &AppState, v: &Visit) -> Result<Vec<Row>, Denied> {
    rows(s, v).await
}

pub fn render(rows: &[Row], l: Locale) -> Markup {
    html! {
        (heading(l, PortalPage::Subscriptions))
        @if rows.is_empty() {
            p.empty { (t(l, Msg::NoSubscriptions)) }
        }
        @for r in rows {
            section.card.sub {
                h2 { (r.plan.name) " " (subscription_badge(l, r.sub.status)) }
                dl.facts {
                    div { dt { (t(l, Msg::Plan)) } dd { (price(l, r)) } }
                    div { dt { (t(l, Msg::Quantity)) } dd { (format_integer(r.sub.quantity, l)) } }
                    div {
                        dt { (t(l, Msg::CurrentPeriod)) }
                        dd { (format_date_range(r.sub.current_period_start, r.sub.current_period_end, l)) }
                    }
                }
                p.muted { (renewal(l, &r.sub)) }
                div.actions {}
            }
        }
    }
}

/// `€49.00 per month`, `€490.00 per year`, `€147.00 every 3 months`.
pub fn price(l: Locale, r: &Row) -> String {
    let amount = format_money(r.price, l);
    let count = r.plan.interval_count.to_string();
    let args = [("amount", amount.as_str()), ("count", count.as_str())];
    let msg = match (r.plan.interval, r.plan.interval_count) {
        (Interval::Month, 1) => Msg::PricePerMonth,
        (Interval::Year, 1) => Msg::PricePerYear,
        (Interval::Month, _) => Msg::PriceEveryMonths,
        (Interval::Year, _) => Msg::PriceEveryYears,
    };
    tf(l, msg, &args)
}

/// What happens at the end of the subscription's period.
pub fn renewal(l: Locale, sub: &Subscription) -> String {
    let end = format_date(sub.current_period_end, l);
    match sub.status {
        SubscriptionStatus::Canceled => {
            let at = format_date(sub.canceled_at.unwrap_or(sub.updated_at), l);
            tf(l, Msg::CanceledOn, &[("date", &at)])
        }
        SubscriptionStatus::Trialing => {
            let at = format_date(sub.trial_end.unwrap_or(sub.current_period_end), l);
            tf(l, Msg::TrialEndsOn, &[("date", &at)])
        }
        _ if sub.cancel_at_period_end => tf(l, Msg::CancelsOn, &[("date", &end)]),
        _ => tf(l, Msg::RenewsOn, &[("date", &end)]),
    }
}
