//! Proration: what a change of plan or quantity credits and charges, computed once for the
//! preview and for the charge alike.
//!
//! Rounding rule: time is counted in days. The days left of a period are the started days from
//! `now` to its end, and a period lasts its started days from start to end (a month of 31 days
//! at the same time of day is 31 days). Each line — the credit for the unused days of the old
//! plan, the charge for the same days of the new one — is `amount × days left ÷ days in the
//! period`, computed exactly in 128 bits and rounded once, half away from zero. So each line is
//! within half a minor unit of the day-exact amount, their sum within one, and a change and its
//! reverse on the same day net to exactly zero. Tax is core's rule ([`tax_amount`]) on the sum.

use serde::{Deserialize, Serialize};

use super::{DAY, Period, Subscription, SubscriptionStatus};
use crate::error::{Invalid, Refused, ValidationResult, conflict};
use crate::model::{Interval, NewInvoiceLine, Plan, text_enum};
use crate::money::{MAX_TOTAL, line_amount, tax_amount, with_tax};
use crate::{PlanId, Timestamp};

text_enum!(
    /// When a change of plan or quantity takes effect, and whether the time left is prorated.
    ChangeTiming {
        NowWithProration = "now_with_proration",
        NowWithoutProration = "now_without_proration",
        AtPeriodEnd = "at_period_end",
    }
);

text_enum!(
    /// Whether a change costs more per unit of time than before (an upgrade) or not.
    ChangeDirection { Upgrade = "upgrade", Downgrade = "downgrade" }
);

/// The months of one interval of `plan`.
fn months(plan: &Plan) -> i64 {
    let per = match plan.interval {
        Interval::Month => 1,
        Interval::Year => 12,
    };
    per * i64::from(plan.interval_count)
}

/// Whether moving from `quantity` of `from` to `new_quantity` of `to` is an upgrade: the new
/// price per month is higher. A change that costs the same per month counts as an upgrade
/// (nothing is given up).
pub fn direction(from: &Plan, quantity: i64, to: &Plan, new_quantity: i64) -> ChangeDirection {
    let old = i128::from(from.unit_amount) * i128::from(quantity) * i128::from(months(to));
    let new = i128::from(to.unit_amount) * i128::from(new_quantity) * i128::from(months(from));
    if new >= old {
        ChangeDirection::Upgrade
    } else {
        ChangeDirection::Downgrade
    }
}

/// Started days from `from` to `to` (none when `to` is not later).
fn days(from: Timestamp, to: Timestamp) -> i64 {
    let secs = from.secs_until(to).max(0);
    secs.div_euclid(DAY) + i64::from(secs.rem_euclid(DAY) != 0)
}

/// `amount` for the days of `period` left at `now`, by the module's rounding rule.
pub fn prorate(amount: i64, period: Period, now: Timestamp) -> i64 {
    let total = days(period.start, period.end).max(1);
    let left = days(now.max(period.start), period.end).min(total);
    let exact = i128::from(amount) * i128::from(left);
    let total = i128::from(total);
    let rounded = (exact.abs() * 2 + total) / (total * 2) * exact.signum();
    // |rounded| <= |amount|, which fits.
    i64::try_from(rounded).unwrap_or(amount)
}

/// The period a subscription moving to `to` at `now` is in: its current period when the
/// interval stays, else the period of `to`'s cycle (from the same anchor) that holds `now`.
pub fn period_on(sub: &Subscription, from: &Plan, to: &Plan, now: Timestamp) -> Option<Period> {
    let current = Period {
        start: sub.current_period_start,
        end: sub.current_period_end,
    };
    if months(from) == months(to) {
        return Some(current);
    }
    let cycle = sub.billing_cycle(to)?;
    match cycle.period_containing(now) {
        Some((_, period)) => Some(period),
        // Before the anchor (a first period shortened to reach it): up to the anchor.
        None => Some(Period {
            start: sub.current_period_start,
            end: cycle.anchor(),
        }),
    }
}

/// A requested change: move `sub` (on `from`) to `quantity` of `to`, taking effect per `timing`.
#[derive(Debug, Clone, Copy)]
pub struct ChangeRequest<'a> {
    pub sub: &'a Subscription,
    pub from: &'a Plan,
    pub to: &'a Plan,
    pub quantity: i64,
    pub timing: ChangeTiming,
    /// The tax rate of the subscription's invoices, in basis points.
    pub tax_rate_bps: i64,
}

/// Everything a change costs: the preview the customer confirms and the invoice that charges
/// it are both this, computed by [`quote`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeQuote {
    pub plan: PlanId,
    pub quantity: i64,
    pub direction: ChangeDirection,
    pub timing: ChangeTiming,
    /// When the change takes effect: now, or at the end of the current period.
    pub effective_at: Timestamp,
    /// The period the subscription is in after the change (its current one when the change
    /// waits for the period's end).
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    /// Credit for the unused time of the current plan (positive; zero without proration).
    pub credit: i64,
    /// Charge for the same time on the new plan (zero without proration).
    pub charge: i64,
    /// `charge - credit`.
    pub subtotal: i64,
    pub tax_rate_bps: i64,
    pub tax: i64,
    /// `subtotal + tax`; negative when the customer is owed money.
    pub total: i64,
    /// What the customer pays now: `total` when positive, else zero.
    pub due_now: i64,
    /// What the customer is credited now: `-total` when negative, else zero.
    pub credited_now: i64,
    /// The next regular invoice: its date and amount (tax included) on the new plan.
    pub next_invoice_at: Timestamp,
    pub next_invoice_amount: i64,
}

impl ChangeQuote {
    /// Whether the change waits for the end of the period.
    pub fn is_scheduled(&self) -> bool {
        self.timing == ChangeTiming::AtPeriodEnd
    }

    /// Whether `shown` (a preview, as the wire carries it: times to the second) is this quote:
    /// the same change, timing, amounts and dates. A change that takes effect now takes effect
    /// when it is confirmed, however long the customer read the preview; what it costs is in
    /// the amounts, which count whole days.
    pub fn agrees_with(&self, shown: &ChangeQuote) -> bool {
        let secs = |q: &ChangeQuote| {
            let effective = match q.timing {
                ChangeTiming::AtPeriodEnd => q.effective_at.as_secs(),
                ChangeTiming::NowWithProration | ChangeTiming::NowWithoutProration => 0,
            };
            [
                effective,
                q.period_start.as_secs(),
                q.period_end.as_secs(),
                q.next_invoice_at.as_secs(),
            ]
        };
        let amounts = |q: &ChangeQuote| {
            [
                q.quantity,
                q.credit,
                q.charge,
                q.subtotal,
                q.tax_rate_bps,
                q.tax,
                q.total,
                q.due_now,
                q.credited_now,
                q.next_invoice_amount,
            ]
        };
        self.plan == shown.plan
            && (self.direction, self.timing) == (shown.direction, shown.timing)
            && amounts(self) == amounts(shown)
            && secs(self) == secs(shown)
    }

    /// The lines of the invoice that charges this change: the credit for the unused time of
    /// `from` (negative) and the charge for the same time on `to`, each naming its period.
    /// Their sum is the quote's subtotal; the invoice's tax rule then gives its tax and total.
    pub fn invoice_lines(&self, sub: &Subscription, from: &Plan, to: &Plan) -> Vec<NewInvoiceLine> {
        let line = |description: String, amount: i64, start, end| NewInvoiceLine {
            description,
            quantity: 1,
            unit_amount: amount,
            period_start: Some(start),
            period_end: Some(end),
        };
        vec![
            line(
                format!("Unused time on {} × {}", from.name, sub.quantity),
                -self.credit,
                self.effective_at,
                sub.current_period_end,
            ),
            line(
                format!("Remaining time on {} × {}", to.name, self.quantity),
                self.charge,
                self.effective_at,
                self.period_end,
            ),
        ]
    }
}

fn too_large() -> Invalid {
    Invalid::new(
        "quantity",
        format!("the change would cost more than {MAX_TOTAL} minor units"),
    )
}

/// Checks that `quantity` is within `plan`'s limits.
pub fn check_plan_quantity(plan: &Plan, quantity: i64) -> ValidationResult<i64> {
    let max = plan.max_quantity.unwrap_or(super::MAX_QUANTITY);
    if (plan.min_quantity..=max).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(Invalid::new(
            "quantity",
            format!("must be between {} and {max}", plan.min_quantity),
        ))
    }
}

/// The cost of a change, by the module's rounding rule. Refused for a canceled subscription, a
/// change that changes nothing, a plan in another currency or that takes no new subscriptions,
/// and a quantity beyond the new plan's limits. While trialing nothing is prorated: the trial
/// continues on the new plan.
pub fn quote(req: ChangeRequest<'_>, now: Timestamp) -> Result<ChangeQuote, Refused> {
    let ChangeRequest {
        sub,
        from,
        to,
        quantity,
        timing,
        tax_rate_bps,
    } = req;
    if sub.is_canceled() {
        return conflict("a canceled subscription cannot be changed");
    }
    if to.id == sub.plan && quantity == sub.quantity {
        return Err(Invalid::new("plan", "is the subscription's plan and quantity already").into());
    }
    if to.currency != from.currency {
        return Err(Invalid::new("plan", "is priced in another currency").into());
    }
    if to.id != sub.plan && !to.active {
        return Err(Invalid::new("plan", "is archived and takes no new subscriptions").into());
    }
    check_plan_quantity(to, quantity)?;
    let old_amount = line_amount("quantity", sub.quantity, from.unit_amount)?;
    let new_amount = line_amount("quantity", quantity, to.unit_amount)?;
    let current = Period {
        start: sub.current_period_start,
        end: sub.current_period_end,
    };
    let scheduled = timing == ChangeTiming::AtPeriodEnd;
    let period = if scheduled {
        current
    } else {
        period_on(sub, from, to, now).ok_or_else(too_large)?
    };
    let prorated =
        timing == ChangeTiming::NowWithProration && sub.status != SubscriptionStatus::Trialing;
    let (credit, charge) = if prorated {
        (
            prorate(old_amount, current, now),
            prorate(new_amount, period, now),
        )
    } else {
        (0, 0)
    };
    let subtotal = charge - credit;
    let tax = tax_amount(subtotal, tax_rate_bps).ok_or_else(too_large)?;
    let total = subtotal.checked_add(tax).ok_or_else(too_large)?;
    let next_invoice_amount = with_tax(new_amount, tax_rate_bps).ok_or_else(too_large)?;
    if total.abs() > MAX_TOTAL || next_invoice_amount > MAX_TOTAL {
        return Err(too_large().into());
    }
    Ok(ChangeQuote {
        plan: to.id.clone(),
        quantity,
        direction: direction(from, sub.quantity, to, quantity),
        timing,
        effective_at: if scheduled { current.end } else { now },
        period_start: period.start,
        period_end: period.end,
        credit,
        charge,
        subtotal,
        tax_rate_bps,
        tax,
        total,
        due_now: total.max(0),
        credited_now: (-total).max(0),
        next_invoice_at: period.end,
        next_invoice_amount,
    })
}

/// What a subscription canceled now is owed for the unused rest of its period, tax included
/// (zero while trialing).
pub fn unused_credit(sub: &Subscription, plan: &Plan, tax_rate_bps: i64, now: Timestamp) -> i64 {
    if sub.status == SubscriptionStatus::Trialing || sub.is_canceled() {
        return 0;
    }
    let Ok(amount) = line_amount("quantity", sub.quantity, plan.unit_amount) else {
        return 0;
    };
    let period = Period {
        start: sub.current_period_start,
        end: sub.current_period_end,
    };
    with_tax(prorate(amount, period, now), tax_rate_bps).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::billing::fixtures::{plan, t};
    use crate::model::{Metadata, NewInvoice};
    use crate::{Currency, CustomerId, SubscriptionId};

    fn sub_on(p: &Plan, quantity: i64, start: &str, end: &str) -> Subscription {
        let now = t(start);
        Subscription {
            id: SubscriptionId::new(now, [4; 10]),
            customer: CustomerId::new(now, [1; 10]),
            plan: p.id.clone(),
            quantity,
            status: SubscriptionStatus::Active,
            current_period_start: t(start),
            current_period_end: t(end),
            trial_end: None,
            billing_cycle_anchor: t(start),
            cancel_at_period_end: false,
            canceled_at: None,
            cancel_reason: None,
            cancel_comment: None,
            scheduled_change: None,
            pause_collection: None,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: now,
        }
    }

    fn other(id: u8, unit_amount: i64, interval: Interval) -> Plan {
        let mut p = plan(0);
        p.id = PlanId::new(t("2026-01-01T00:00:00Z"), [id; 10]);
        p.unit_amount = unit_amount;
        p.interval = interval;
        p
    }

    #[test]
    fn an_upgrade_halfway_through_a_month() {
        // March has 31 days; on the 16th at 00:00, 16 days are left.
        let pro = plan(0);
        let sub = sub_on(&pro, 1, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        let team = other(9, 9900, Interval::Month);
        let q = quote(
            prorated(&sub, &pro, &team, 1, 1900),
            t("2026-03-16T00:00:00Z"),
        )
        .unwrap();
        // 2900 × 16/31 = 1496.77 → 1497; 9900 × 16/31 = 5109.68 → 5110.
        assert_eq!((q.credit, q.charge, q.subtotal), (1497, 5110, 3613));
        // 19 % of 3613 = 686.47 → 686.
        assert_eq!(
            (q.tax, q.total, q.due_now, q.credited_now),
            (686, 4299, 4299, 0)
        );
        assert_eq!(q.direction, ChangeDirection::Upgrade);
        assert_eq!(q.effective_at, t("2026-03-16T00:00:00Z"));
        assert_eq!(q.next_invoice_at, t("2026-04-01T00:00:00Z"));
        assert_eq!(q.next_invoice_amount, 11781);
        // A started day counts as left: one second into the 16th still leaves 16 days.
        let later = quote(
            prorated(&sub, &pro, &team, 1, 1900),
            t("2026-03-16T00:00:01Z"),
        )
        .unwrap();
        assert_eq!(later.credit, 1497);
    }

    #[test]
    fn scheduled_and_unprorated_changes_cost_nothing_now() {
        let pro = plan(0);
        let sub = sub_on(&pro, 3, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        for timing in [ChangeTiming::AtPeriodEnd, ChangeTiming::NowWithoutProration] {
            let q = quote(
                ChangeRequest {
                    sub: &sub,
                    from: &pro,
                    to: &pro,
                    quantity: 2,
                    timing,
                    tax_rate_bps: 0,
                },
                t("2026-03-10T00:00:00Z"),
            )
            .unwrap();
            assert_eq!((q.credit, q.charge, q.total), (0, 0, 0), "{timing:?}");
            assert_eq!(q.direction, ChangeDirection::Downgrade);
            assert_eq!(q.next_invoice_amount, 5800);
        }
    }

    #[test]
    fn a_change_to_a_yearly_plan_charges_the_rest_of_its_year() {
        let pro = plan(0);
        let sub = sub_on(&pro, 1, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        let yearly = other(8, 29000, Interval::Year);
        let q = quote(
            prorated(&sub, &pro, &yearly, 1, 0),
            t("2026-03-16T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(q.period_end, t("2027-03-01T00:00:00Z"));
        // 350 of 365 days: 29000 × 350/365 = 27808.2 → 27808.
        assert_eq!((q.credit, q.charge), (1497, 27808));
    }

    #[test]
    fn a_quote_agrees_only_with_itself() {
        let pro = plan(0);
        let sub = sub_on(&pro, 1, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        let team = other(9, 9900, Interval::Month);
        let q = quote(
            prorated(&sub, &pro, &team, 1, 1900),
            t("2026-03-16T00:00:00Z"),
        )
        .unwrap();
        assert!(q.agrees_with(&q.clone()));
        let later = quote(
            prorated(&sub, &pro, &team, 1, 1900),
            t("2026-03-17T00:00:00Z"),
        )
        .unwrap();
        assert!(!q.agrees_with(&later));
        // Read for a few minutes, the same preview still holds: it takes effect when confirmed.
        let minutes_later = quote(
            prorated(&sub, &pro, &team, 1, 1900),
            t("2026-03-16T00:05:00Z"),
        )
        .unwrap();
        assert!(minutes_later.agrees_with(&q));
        let mut other_timing = q.clone();
        other_timing.timing = ChangeTiming::NowWithoutProration;
        assert!(!q.agrees_with(&other_timing));
    }

    #[test]
    fn refused_changes() {
        let pro = plan(0);
        let sub = sub_on(&pro, 1, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
        let req = |to: &Plan, quantity| {
            quote(
                ChangeRequest {
                    sub: &sub,
                    from: &pro,
                    to,
                    quantity,
                    timing: ChangeTiming::NowWithProration,
                    tax_rate_bps: 0,
                },
                t("2026-03-10T00:00:00Z"),
            )
        };
        assert!(matches!(req(&pro, 1), Err(Refused::Invalid(e)) if e.field == "plan"));
        let mut limited = other(7, 100, Interval::Month);
        limited.min_quantity = 2;
        limited.max_quantity = Some(5);
        assert!(matches!(req(&limited, 1), Err(Refused::Invalid(e)) if e.field == "quantity"));
        assert!(matches!(req(&limited, 6), Err(Refused::Invalid(e)) if e.field == "quantity"));
        assert!(req(&limited, 5).is_ok());
        let mut usd = other(6, 100, Interval::Month);
        usd.currency = Currency::USD;
        assert!(matches!(req(&usd, 1), Err(Refused::Invalid(e)) if e.field == "plan"));
    }

    fn arb_plan(id: u8) -> impl Strategy<Value = Plan> {
        (0i64..=10_000_000, prop::bool::ANY, 1i32..=3).prop_map(move |(amount, yearly, count)| {
            let interval = if yearly {
                Interval::Year
            } else {
                Interval::Month
            };
            let mut p = other(id, amount, interval);
            p.interval_count = count;
            p
        })
    }

    /// A subscription in its cycle's period at some instant, on a plan, at some quantity.
    fn arb_case() -> impl Strategy<Value = (Plan, Plan, Subscription, i64, Timestamp, i64)> {
        let anchor = 1_767_225_600i64; // 2026-01-01
        (
            arb_plan(1),
            arb_plan(2),
            1i64..=1000,
            1i64..=1000,
            0i64..(3 * 365 * DAY),
            0i64..=10_000,
        )
            .prop_map(move |(from, to, q0, q1, offset, tax)| {
                let now = Timestamp::from_secs(anchor + offset);
                let cycle =
                    super::super::BillingCycle::of_plan(&from, Timestamp::from_secs(anchor))
                        .unwrap();
                let (_, period) = cycle.period_containing(now).unwrap();
                let mut sub = sub_on(&from, q0, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
                sub.current_period_start = period.start;
                sub.current_period_end = period.end;
                (from, to, sub, q1, now, tax)
            })
    }

    fn prorated<'a>(
        sub: &'a Subscription,
        from: &'a Plan,
        to: &'a Plan,
        quantity: i64,
        tax_rate_bps: i64,
    ) -> ChangeRequest<'a> {
        ChangeRequest {
            sub,
            from,
            to,
            quantity,
            timing: ChangeTiming::NowWithProration,
            tax_rate_bps,
        }
    }

    proptest! {
        #[test]
        fn lines_sum_to_the_day_exact_amount((from, to, sub, q, now, tax) in arb_case()) {
            let Ok(qt) = quote(prorated(&sub, &from, &to, q, tax), now) else {
                return Ok(()); // the same plan and quantity: nothing to change
            };
            let old = sub.quantity * from.unit_amount;
            let new = q * to.unit_amount;
            let (r1, t1) = (
                days(now, sub.current_period_end),
                days(sub.current_period_start, sub.current_period_end),
            );
            let (r2, t2) = (days(now, qt.period_end), days(qt.period_start, qt.period_end));
            // exact = new × r2/t2 − old × r1/t1, scaled by t1 × t2.
            let exact = i128::from(new) * i128::from(r2) * i128::from(t1)
                - i128::from(old) * i128::from(r1) * i128::from(t2);
            let got = i128::from(qt.subtotal) * i128::from(t1) * i128::from(t2);
            prop_assert!((got - exact).abs() <= i128::from(t1) * i128::from(t2));
            // Each line on its own is within half a minor unit.
            prop_assert!((i128::from(qt.credit) * i128::from(t1) * 2 - i128::from(old) * i128::from(r1) * 2).abs() <= i128::from(t1));
            prop_assert!((i128::from(qt.charge) * i128::from(t2) * 2 - i128::from(new) * i128::from(r2) * 2).abs() <= i128::from(t2));
            prop_assert_eq!(qt.total, qt.subtotal + qt.tax);
            prop_assert_eq!(qt.due_now - qt.credited_now, qt.total);
        }

        #[test]
        fn a_change_and_its_reverse_on_the_same_day_net_to_zero((from, to, sub, q, now, tax) in arb_case()) {
            let Ok(forward) = quote(prorated(&sub, &from, &to, q, tax), now) else {
                return Ok(());
            };
            let moved = sub.clone().change_plan(&to, &forward, now).unwrap();
            let back = quote(prorated(&moved, &to, &from, sub.quantity, tax), now).unwrap();
            prop_assert_eq!(forward.subtotal + back.subtotal, 0);
            prop_assert_eq!(forward.total + back.total, 0);
            prop_assert_eq!(forward.credit, back.charge);
        }

        #[test]
        fn the_invoice_charges_exactly_the_preview((from, to, sub, q, now, tax) in arb_case()) {
            let Ok(qt) = quote(prorated(&sub, &from, &to, q, tax), now) else {
                return Ok(());
            };
            prop_assume!(qt.due_now > 0);
            let customer = crate::model::billing::fixtures::customer();
            let lines = qt.invoice_lines(&sub, &from, &to);
            let invoice = crate::model::Invoice::create(
                crate::InvoiceId::new(now, [5; 10]),
                "X-1".into(),
                &customer,
                NewInvoice {
                    customer: "x".into(),
                    subscription: Some(sub.id.clone()),
                    currency: None,
                    status: None,
                    lines,
                    tax_rate_bps: tax,
                    issued_at: None,
                    due_at: None,
                    paid_at: None,
                    metadata: Metadata::new(),
                },
                now,
            )
            .unwrap();
            prop_assert_eq!(invoice.total, qt.due_now);
            // What the preview page carries back is the same quote.
            let wire: ChangeQuote = serde_json::from_str(&serde_json::to_string(&qt).unwrap()).unwrap();
            prop_assert!(qt.agrees_with(&wire));
            prop_assert_eq!(invoice.tax, qt.tax);
            prop_assert_eq!(invoice.amount_due, qt.due_now);
        }
    }
}
