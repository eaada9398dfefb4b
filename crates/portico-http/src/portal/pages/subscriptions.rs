//! The customer's subscriptions: plan, price, quantity, period and what happens at its end.

use maud::{Markup, html};
use portico_core::model::{
    Interval, MAX_PAUSE_PERIODS, Plan, PortalPage, Subscription, SubscriptionStatus,
};
use portico_core::scope::PortalScope;
use portico_core::{InvoiceId, Money, PlanId, Timestamp, money};
use portico_render::format::{format_date_range, format_integer};
use portico_render::{Locale, Msg, format_date, format_money, t, tf};

use super::parts::{badge, heading, subscription_badge};
use super::too_large;
use crate::AppState;
use crate::portal::action::allows;
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

/// The page: the subscriptions, the names of plans they are scheduled to move to, and what
/// the session may do to them.
pub struct Page {
    pub rows: Vec<Row>,
    pub scheduled_plans: Vec<Plan>,
    /// What each change that waits for its payment still costs, by the invoice it waits for.
    pub awaited: Vec<(InvoiceId, Money)>,
    pub can: Abilities,
    pub csrf: String,
    /// When the page is shown: a pause that has ended by now is not shown.
    pub now: Timestamp,
}

/// Which subscription actions the session may take: its scope, the contact's role and the
/// account's feature switches and rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Abilities {
    pub cancel: bool,
    pub reactivate: bool,
    pub change: bool,
    pub pause: bool,
}

impl Abilities {
    pub fn of(v: &Visit) -> Self {
        if !allows(v, PortalScope::SubscriptionsWrite) {
            return Abilities::default();
        }
        let s = &v.account.settings;
        Abilities {
            cancel: s.features.cancel,
            reactivate: s.subscription_changes.reactivation,
            change: s.features.plan_change || s.features.quantity_change,
            pause: s.subscription_changes.pause,
        }
    }
}

pub async fn load(s: &AppState, v: &Visit) -> Result<Page, Denied> {
    let rows = rows(s, v).await?;
    let scheduled: Vec<PlanId> = rows
        .iter()
        .filter_map(|r| r.sub.scheduled_change.as_ref().map(|c| c.plan.clone()))
        .collect();
    let scheduled_plans = if scheduled.is_empty() {
        Vec::new()
    } else {
        s.app.store.plans_by_ids(&v.account.id, &scheduled).await?
    };
    let mut awaited = Vec::new();
    for id in rows
        .iter()
        .filter_map(|r| r.sub.scheduled_change.as_ref()?.awaited_invoice())
    {
        let invoice = s.app.store.invoice(&v.account.id, id).await?;
        awaited.push((id.clone(), Money::new(invoice.amount_due, invoice.currency)));
    }
    Ok(Page {
        rows,
        scheduled_plans,
        awaited,
        can: Abilities::of(v),
        csrf: v.csrf_token(),
        now: s.app.clock.now(),
    })
}

pub fn render(page: &Page, l: Locale) -> Markup {
    let rows = &page.rows;
    html! {
        (heading(l, PortalPage::Subscriptions))
        @if rows.is_empty() {
            p.empty { (t(l, Msg::NoSubscriptions)) }
        }
        @for r in rows {
            section.card.sub id=(r.sub.id) {
                h2 { (r.plan.name) " " (status_badge(l, &r.sub, page.now)) }
                dl.facts {
                    div {
                        dt { (t(l, Msg::Price)) }
                        dd {
                            (price(l, r))
                            @if let Some(each) = per_unit(l, r) { br; span.muted { (each) } }
                        }
                    }
                    div { dt { (t(l, Msg::Quantity)) } dd { (format_integer(r.sub.quantity, l)) } }
                    @if !r.sub.is_canceled() {
                        div {
                            dt { (t(l, Msg::CurrentPeriod)) }
                            dd { (format_date_range(r.sub.current_period_start, r.sub.current_period_end, l)) }
                        }
                    }
                }
                p.muted { (renewal(l, &r.sub)) }
                @if let Some(change) = &r.sub.scheduled_change {
                    @let name = page.scheduled_plans.iter().find(|p| p.id == change.plan).map_or("", |p| p.name.as_str());
                    @let quantity = format_integer(change.quantity, l);
                    @let owed = change.awaited_invoice()
                        .and_then(|id| page.awaited.iter().find(|(i, _)| i == id))
                        .map(|(_, m)| format_money(*m, l));
                    p.scheduled {
                        @match owed {
                            // Waiting for its payment, the change has no date of its own.
                            Some(amount) => (tf(l, Msg::WaitingForPayment, &[
                                ("plan", name), ("quantity", &quantity), ("amount", &amount),
                            ])),
                            None => (tf(l, Msg::ScheduledChange, &[
                                ("plan", name), ("quantity", &quantity),
                                ("date", &format_date(change.at, l)),
                            ])),
                        }
                    }
                }
                div.actions { (actions(page, r, l)) }
            }
        }
    }
}

/// The subscription's buttons: each a link to its confirmation page, or a one-click form.
fn actions(page: &Page, r: &Row, l: Locale) -> Markup {
    let (can, sub) = (page.can, &r.sub);
    let base = format!("{}/{}", PortalPage::Subscriptions.path(), sub.id);
    let button = |action: &str, label: Msg, class: &str| {
        html! {
            form.inline method="post" action={ (base) "/" (action) } {
                input type="hidden" name="csrf" value=(page.csrf);
                button type="submit" class=(class) { (t(l, label)) }
            }
        }
    };
    html! {
        @if sub.is_canceled() {
            @if can.reactivate { (button("reactivate", Msg::ReactivateSubscription, "primary")) }
        } @else {
            @if can.change {
                a.button href={ (base) "/change" } { (t(l, Msg::ChangePlan)) }
            }
            @if can.change && sub.scheduled_change.as_ref().is_some_and(|c| c.payment.is_none()) {
                (button("withdraw-change", Msg::WithdrawChange, "secondary"))
            }
            @if can.pause && sub.is_paused(page.now) {
                (button("unpause", Msg::UnpauseSubscription, "primary"))
            } @else if can.pause && !sub.cancel_at_period_end {
                form.inline.pause method="post" action={ (base) "/pause" } {
                    input type="hidden" name="csrf" value=(page.csrf);
                    label for={ "pause-" (sub.id) } { (t(l, Msg::PausePeriods)) }
                    " "
                    select id={ "pause-" (sub.id) } name="periods" {
                        @for n in 1..=MAX_PAUSE_PERIODS { option value=(n) { (n) } }
                    }
                    " "
                    button type="submit" class="secondary" { (t(l, Msg::PauseSubscription)) }
                }
            }
            @if can.cancel && sub.cancel_at_period_end {
                (button("resume", Msg::Resume, "primary"))
            } @else if can.cancel {
                a.button.secondary href={ (base) "/cancel" } { (t(l, Msg::CancelSubscription)) }
            }
        }
    }
}

/// The status, or for a cancellation at the end of the period the date it ends, or for a pause
/// the date it ends.
fn status_badge(l: Locale, sub: &Subscription, now: Timestamp) -> Markup {
    if let Some(pause) = sub.pause_collection.filter(|_| sub.is_paused(now)) {
        let end = format_date(pause.resumes_at, l);
        return badge("info", &tf(l, Msg::PausedUntil, &[("date", &end)]));
    }
    if sub.cancel_at_period_end && !sub.is_canceled() {
        let end = format_date(sub.current_period_end, l);
        return badge("warn", &tf(l, Msg::CancelsOn, &[("date", &end)]));
    }
    subscription_badge(l, sub.status)
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

/// `5 × €49.00` under a price for more than one unit, so that the total explains itself; the
/// parts are kept on one line.
pub fn per_unit(l: Locale, r: &Row) -> Option<String> {
    (r.sub.quantity != 1).then(|| {
        let unit = Money::new(r.plan.unit_amount, r.plan.currency);
        format!(
            "{}\u{a0}×\u{a0}{}",
            format_integer(r.sub.quantity, l),
            format_money(unit, l)
        )
    })
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
