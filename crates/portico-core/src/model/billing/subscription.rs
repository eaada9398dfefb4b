//! Subscriptions: a customer on a plan, its current period and its cancellation.

use serde::{Deserialize, Serialize};

use super::{BillingCycle, ChangeQuote, DAY, MAX_QUANTITY, PauseCollection, one};
use crate::error::{self, Invalid, Refused, ValidationResult, conflict};
use crate::model::{Customer, Metadata, Plan, nullable, text_enum, validate_metadata};
use crate::{CustomerId, InvoiceId, PlanId, SubscriptionId, Timestamp};

text_enum!(SubscriptionStatus {
    Trialing = "trialing",
    Active = "active",
    PastDue = "past_due",
    Canceled = "canceled",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: SubscriptionId,
    pub customer: CustomerId,
    pub plan: PlanId,
    pub quantity: i64,
    pub status: SubscriptionStatus,
    pub current_period_start: Timestamp,
    pub current_period_end: Timestamp,
    pub trial_end: Option<Timestamp>,
    /// Where billing periods are counted from: each renewal falls a whole number of intervals
    /// after it, the day clamped to the month's length. Set once, when the subscription starts.
    pub billing_cycle_anchor: Timestamp,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    /// What the customer wrote when canceling, beside the reason.
    pub cancel_comment: Option<String>,
    /// A change of plan or quantity waiting for the end of the current period.
    pub scheduled_change: Option<ScheduledChange>,
    /// Collection paused: the periods until `resumes_at` are not invoiced.
    #[serde(default)]
    pub pause_collection: Option<PauseCollection>,
    pub metadata: Metadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A change of plan or quantity that takes effect at `at`, the end of the current period; or,
/// with `payment`, one made now that waits for its invoice to be paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledChange {
    pub plan: PlanId,
    pub quantity: i64,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<AwaitedPayment>,
}

/// The invoice a change made now waits for: paid, the change applies for the period from the
/// change's `at` to `period_end`; declined, the change is withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AwaitedPayment {
    pub invoice: InvoiceId,
    pub period_end: Timestamp,
}

impl ScheduledChange {
    /// The invoice the change waits for, when it waits for one.
    pub fn awaited_invoice(&self) -> Option<&InvoiceId> {
        self.payment.as_ref().map(|p| &p.invoice)
    }
}

text_enum!(
    /// How a subscription is canceled: at the end of the period it is paid for, or now.
    CancelMode { AtPeriodEnd = "at_period_end", Immediately = "immediately" }
);

fn check_quantity(quantity: i64) -> ValidationResult<i64> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(Invalid::new(
            "quantity",
            format!("must be between 1 and {MAX_QUANTITY}"),
        ))
    }
}

fn check_plan_fits(customer: &Customer, plan: &Plan) -> ValidationResult<()> {
    if !plan.active {
        return Err(Invalid::new(
            "plan",
            "is archived and takes no new subscriptions",
        ));
    }
    if plan.currency != customer.currency {
        return Err(Invalid::new(
            "plan",
            format!(
                "is priced in {} but the customer pays in {}",
                plan.currency, customer.currency
            ),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    pub plan: PlanId,
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i64,
    /// For importing existing subscriptions; new ones start `trialing` or `active` by the plan.
    pub status: Option<SubscriptionStatus>,
    /// Defaults to now; set it to import a subscription that started earlier.
    pub current_period_start: Option<Timestamp>,
    /// Where billing periods are counted from. Defaults to the end of the trial, else the start;
    /// a later anchor, at most one interval later, makes the first period shorter.
    pub billing_cycle_anchor: Option<Timestamp>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub metadata: Metadata,
}

impl Subscription {
    /// A new subscription of `customer` to `plan`, its first period starting at the requested
    /// time or now; a plan with trial days starts with a trial. The billing cycle is anchored
    /// where the paid periods begin (the end of the trial, else the start) unless the vendor
    /// asks for a later anchor, which ends the first period there.
    pub fn start(
        id: SubscriptionId,
        customer: &Customer,
        plan: &Plan,
        input: NewSubscription,
        now: Timestamp,
    ) -> ValidationResult<Subscription> {
        check_plan_fits(customer, plan)?;
        validate_metadata(&input.metadata)?;
        let start = input.current_period_start.unwrap_or(now);
        let trial_end =
            (plan.trial_days > 0).then(|| start.plus_secs(i64::from(plan.trial_days) * DAY));
        let status = input.status.unwrap_or(if trial_end.is_some() {
            SubscriptionStatus::Trialing
        } else {
            SubscriptionStatus::Active
        });
        let trial_end = trial_end.filter(|_| status == SubscriptionStatus::Trialing);
        let paid_from = trial_end.unwrap_or(start);
        let (anchor, field) = match input.billing_cycle_anchor {
            Some(anchor) => (anchor, "billing_cycle_anchor"),
            None => (paid_from, "current_period_start"),
        };
        // Past year 9999 a time cannot be written (RFC 3339) and the calendar gives up: a
        // zero-length or unwritable period would bill at once, forever. The first full period
        // must fit too, or the subscription could never renew.
        let too_far = || {
            Invalid::new(
                field,
                "is too far in the future: its billing period would end after 9999-12-31",
            )
        };
        let cycle = BillingCycle::of_plan(plan, anchor).ok_or_else(too_far)?;
        let first = cycle.period(0).ok_or_else(too_far)?;
        if input.billing_cycle_anchor.is_some() {
            let latest = BillingCycle::of_plan(plan, paid_from)
                .and_then(|from_start| from_start.boundary(1))
                .ok_or_else(too_far)?;
            if anchor < paid_from || anchor > latest {
                return Err(Invalid::new(
                    field,
                    format!(
                        "must be from {paid_from} (where paid periods begin) to {latest} \
                         (one interval later)"
                    ),
                ));
            }
        }
        let end = match trial_end {
            Some(end) => end,
            None if anchor > start => anchor,
            None => first.end,
        };
        if end <= start || end > Timestamp::MAX {
            return Err(too_far());
        }
        Ok(Subscription {
            id,
            customer: customer.id.clone(),
            plan: plan.id.clone(),
            quantity: check_quantity(input.quantity)?,
            status,
            current_period_start: start,
            current_period_end: end,
            trial_end,
            billing_cycle_anchor: anchor,
            cancel_at_period_end: input.cancel_at_period_end
                && status != SubscriptionStatus::Canceled,
            canceled_at: (status == SubscriptionStatus::Canceled).then_some(now),
            cancel_reason: None,
            cancel_comment: None,
            scheduled_change: None,
            pause_collection: None,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        })
    }

    /// The billing cycle on `plan` (this subscription's plan, or one it moves to); `None` for a
    /// plan whose interval cannot be counted from the anchor.
    pub fn billing_cycle(&self, plan: &Plan) -> Option<BillingCycle> {
        BillingCycle::of_plan(plan, self.billing_cycle_anchor)
    }

    pub fn is_canceled(&self) -> bool {
        self.status == SubscriptionStatus::Canceled
    }

    /// Ends the subscription now.
    pub fn cancel_now(self, reason: Option<String>, now: Timestamp) -> Result<Self, Refused> {
        self.cancel(CancelMode::Immediately, reason, None, now)
    }

    /// Cancels now, or at the end of the current period (the subscription stays active until
    /// then and may be resumed). A scheduled change of plan is dropped: nothing follows.
    pub fn cancel(
        mut self,
        mode: CancelMode,
        reason: Option<String>,
        comment: Option<String>,
        now: Timestamp,
    ) -> Result<Self, Refused> {
        if self.is_canceled() {
            return conflict("the subscription is already canceled");
        }
        if mode == CancelMode::AtPeriodEnd && self.cancel_at_period_end {
            return conflict("the subscription is already canceled at the end of its period");
        }
        self.cancel_reason = error::optional_text("cancel_reason", reason.as_deref(), 500)?;
        self.cancel_comment = error::optional_text("cancel_comment", comment.as_deref(), 1000)?;
        self.scheduled_change = None;
        match mode {
            CancelMode::Immediately => {
                self.status = SubscriptionStatus::Canceled;
                self.canceled_at = Some(now);
                self.cancel_at_period_end = false;
            }
            CancelMode::AtPeriodEnd => self.cancel_at_period_end = true,
        }
        self.updated_at = now;
        Ok(self)
    }

    /// Takes back a cancellation scheduled for the end of the period.
    pub fn resume(mut self, now: Timestamp) -> Result<Self, Refused> {
        if self.is_canceled() || !self.cancel_at_period_end {
            return conflict("the subscription has no cancellation to take back");
        }
        self.cancel_at_period_end = false;
        self.cancel_reason = None;
        self.cancel_comment = None;
        self.updated_at = now;
        Ok(self)
    }

    /// Starts a canceled subscription again on its plan: a new period from `now`, which becomes
    /// the billing-cycle anchor.
    pub fn reactivate(mut self, plan: &Plan, now: Timestamp) -> Result<Self, Refused> {
        if !self.is_canceled() {
            return conflict("only a canceled subscription can be reactivated");
        }
        if !plan.active {
            return Err(Invalid::new("plan", "is archived and takes no new subscriptions").into());
        }
        let too_far = || Invalid::new("plan", "the new period would end after 9999-12-31");
        let cycle = BillingCycle::of_plan(plan, now).ok_or_else(too_far)?;
        let period = cycle.period(0).ok_or_else(too_far)?;
        self.status = SubscriptionStatus::Active;
        self.current_period_start = period.start;
        self.current_period_end = period.end;
        self.billing_cycle_anchor = now;
        self.trial_end = None;
        self.canceled_at = None;
        self.cancel_at_period_end = false;
        self.cancel_reason = None;
        self.cancel_comment = None;
        self.updated_at = now;
        Ok(self)
    }

    /// Refuses a change of a canceled subscription, or to a plan other than the quoted one.
    fn check_change(&self, plan: &Plan, quote: &ChangeQuote) -> Result<(), Refused> {
        if self.is_canceled() {
            return conflict("a canceled subscription cannot be changed");
        }
        if plan.id != quote.plan {
            return Err(Invalid::new("plan", "differs from the quoted plan").into());
        }
        Ok(())
    }

    /// Moves to the plan and quantity of `quote` now (its period is the one the subscription is
    /// in afterwards), or schedules the move for the end of the period when the quote says so.
    /// A change made now replaces a scheduled one.
    pub fn change_plan(
        mut self,
        plan: &Plan,
        quote: &ChangeQuote,
        now: Timestamp,
    ) -> Result<Self, Refused> {
        self.check_change(plan, quote)?;
        if quote.is_scheduled() {
            self.scheduled_change = Some(ScheduledChange {
                plan: quote.plan.clone(),
                quantity: quote.quantity,
                at: quote.effective_at,
                payment: None,
            });
        } else {
            self.plan = quote.plan.clone();
            self.quantity = check_quantity(quote.quantity)?;
            self.current_period_start = quote.period_start;
            self.current_period_end = quote.period_end;
            self.scheduled_change = None;
        }
        self.updated_at = now;
        Ok(self)
    }

    /// Withdraws the scheduled change of plan or quantity. One that waits for its payment is
    /// withdrawn only by the payment's outcome.
    pub fn withdraw_scheduled_change(mut self, now: Timestamp) -> Result<Self, Refused> {
        match &self.scheduled_change {
            None => return conflict("the subscription has no scheduled change"),
            Some(c) if c.payment.is_some() => {
                return conflict("the change waits for its payment");
            }
            Some(_) => self.scheduled_change = None,
        }
        self.updated_at = now;
        Ok(self)
    }

    /// Keeps the change of `quote` (made now) waiting for `invoice` to be paid, instead of
    /// making it: the subscription stays as it is until [`Subscription::apply_paid_change`].
    pub fn await_payment(
        self,
        plan: &Plan,
        quote: &ChangeQuote,
        invoice: &InvoiceId,
        now: Timestamp,
    ) -> Result<Self, Refused> {
        self.check_change(plan, quote)?;
        if quote.is_scheduled() {
            return conflict("a change at the end of the period waits for no payment");
        }
        self.pending_on(
            quote.plan.clone(),
            quote.quantity,
            invoice,
            quote.period_start,
            quote.period_end,
            now,
        )
    }

    /// Keeps the reactivation `started` (what [`Subscription::reactivate`] made of this
    /// canceled subscription) waiting for `invoice` to be paid.
    pub fn await_reactivation(
        self,
        started: &Subscription,
        invoice: &InvoiceId,
        now: Timestamp,
    ) -> Result<Self, Refused> {
        if !self.is_canceled() {
            return conflict("only a canceled subscription can be reactivated");
        }
        let (start, end) = (started.current_period_start, started.current_period_end);
        self.pending_on(
            started.plan.clone(),
            started.quantity,
            invoice,
            start,
            end,
            now,
        )
    }

    fn pending_on(
        mut self,
        plan: PlanId,
        quantity: i64,
        invoice: &InvoiceId,
        start: Timestamp,
        end: Timestamp,
        now: Timestamp,
    ) -> Result<Self, Refused> {
        if self
            .scheduled_change
            .as_ref()
            .is_some_and(|c| c.payment.is_some())
        {
            return conflict("another change waits for its payment");
        }
        self.scheduled_change = Some(ScheduledChange {
            plan,
            quantity: check_quantity(quantity)?,
            at: start,
            payment: Some(AwaitedPayment {
                invoice: invoice.clone(),
                period_end: end,
            }),
        });
        self.updated_at = now;
        Ok(self)
    }

    /// Makes the change that waited for `invoice`, now paid: the plan, quantity and period it
    /// was confirmed with; a canceled subscription is reactivated with that period. `None`
    /// when no change waits for that invoice.
    pub fn apply_paid_change(mut self, invoice: &InvoiceId, now: Timestamp) -> Option<Self> {
        let change = self
            .scheduled_change
            .take_if(|c| c.awaited_invoice() == Some(invoice))?;
        let payment = change.payment?;
        if self.is_canceled() {
            self.status = SubscriptionStatus::Active;
            self.billing_cycle_anchor = change.at;
            self.trial_end = None;
            self.canceled_at = None;
            self.cancel_at_period_end = false;
            self.cancel_reason = None;
            self.cancel_comment = None;
        }
        self.plan = change.plan;
        self.quantity = change.quantity;
        self.current_period_start = change.at;
        self.current_period_end = payment.period_end;
        self.updated_at = now;
        Some(self)
    }

    /// Withdraws the change that waited for `invoice`, whose charge was declined; `None` when
    /// no change waits for that invoice.
    pub fn drop_unpaid_change(mut self, invoice: &InvoiceId, now: Timestamp) -> Option<Self> {
        self.scheduled_change
            .take_if(|c| c.awaited_invoice() == Some(invoice))?;
        self.updated_at = now;
        Some(self)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    pub plan: Option<PlanId>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: Option<i64>,
    /// `trialing`, `active` or `past_due`; cancel with DELETE.
    pub status: Option<SubscriptionStatus>,
    pub cancel_at_period_end: Option<bool>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub cancel_reason: Option<Option<String>>,
    pub metadata: Option<Metadata>,
}

impl SubscriptionPatch {
    /// Applies the patch. `new_plan` is the plan named by `self.plan`, looked up by the caller.
    pub fn apply(
        self,
        mut sub: Subscription,
        customer: &Customer,
        new_plan: Option<&Plan>,
        now: Timestamp,
    ) -> Result<Subscription, Refused> {
        if sub.is_canceled() {
            return conflict("a canceled subscription cannot be changed");
        }
        if let Some(plan) = new_plan {
            check_plan_fits(customer, plan)?;
            sub.plan = plan.id.clone();
        }
        if let Some(q) = self.quantity {
            sub.quantity = check_quantity(q)?;
        }
        if let Some(status) = self.status {
            if status == SubscriptionStatus::Canceled {
                return Err(Invalid::new("status", "cancel a subscription with DELETE").into());
            }
            sub.status = status;
        }
        if let Some(c) = self.cancel_at_period_end {
            sub.cancel_at_period_end = c;
        }
        if let Some(reason) = self.cancel_reason {
            sub.cancel_reason = error::optional_text("cancel_reason", reason.as_deref(), 500)?;
        }
        if let Some(m) = self.metadata {
            validate_metadata(&m)?;
            sub.metadata = m;
        }
        sub.updated_at = now;
        Ok(sub)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use crate::model::billing::fixtures::{customer, plan, t};

    fn new_sub(plan: &Plan) -> NewSubscription {
        NewSubscription {
            customer: "x".into(),
            plan: plan.id.clone(),
            quantity: 2,
            status: None,
            current_period_start: None,
            billing_cycle_anchor: None,
            cancel_at_period_end: false,
            metadata: Metadata::new(),
        }
    }

    #[test]
    fn subscription_periods_and_trials() {
        let now = t("2026-01-31T09:00:00Z");
        let p = plan(0);
        let s = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &p,
            new_sub(&p),
            now,
        )
        .unwrap();
        assert_eq!(s.status, SubscriptionStatus::Active);
        assert_eq!(s.current_period_end.rfc3339(), "2026-02-28T09:00:00Z");
        assert_eq!(s.billing_cycle_anchor, now);
        // Renewals count from the anchor: the third period is Mar 31 to Apr 30, not Mar 28.
        let third = s.billing_cycle(&p).unwrap().period(2).unwrap();
        assert_eq!(
            (third.start.rfc3339(), third.end.rfc3339()),
            ("2026-03-31T09:00:00Z".into(), "2026-04-30T09:00:00Z".into())
        );

        let p = plan(14);
        let s = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &p,
            new_sub(&p),
            now,
        )
        .unwrap();
        assert_eq!(s.status, SubscriptionStatus::Trialing);
        assert_eq!(s.trial_end, Some(now.plus_secs(14 * DAY)));
        assert_eq!(s.current_period_end, now.plus_secs(14 * DAY));
        assert_eq!(s.billing_cycle_anchor, now.plus_secs(14 * DAY));

        // Imported as active, a trial plan's subscription has no trial and pays from its start.
        let mut active = new_sub(&p);
        active.status = Some(SubscriptionStatus::Active);
        let s = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &p,
            active,
            now,
        )
        .unwrap();
        assert_eq!((s.trial_end, s.billing_cycle_anchor), (None, now));
    }

    fn anchored(p: &Plan, start: &str, anchor: &str) -> ValidationResult<Subscription> {
        let mut input = new_sub(p);
        input.current_period_start = Some(t(start));
        input.billing_cycle_anchor = Some(t(anchor));
        let now = t("2026-01-01T00:00:00Z");
        Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            p,
            input,
            now,
        )
    }

    #[test]
    fn a_requested_anchor_ends_the_first_period_within_one_interval() {
        let monthly = plan(0);
        let s = anchored(&monthly, "2026-01-10T12:00:00Z", "2026-01-31T00:00:00Z").unwrap();
        assert_eq!(s.current_period_start, t("2026-01-10T12:00:00Z"));
        assert_eq!(s.current_period_end, t("2026-01-31T00:00:00Z"));
        assert_eq!(s.billing_cycle_anchor, t("2026-01-31T00:00:00Z"));
        let cycle = s.billing_cycle(&monthly).unwrap();
        assert_eq!(cycle.boundary(1), Some(t("2026-02-28T00:00:00Z")));

        let same = anchored(&monthly, "2026-01-31T00:00:00Z", "2026-01-31T00:00:00Z").unwrap();
        assert_eq!(same.current_period_end, t("2026-02-28T00:00:00Z"));
        let whole = anchored(&monthly, "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z").unwrap();
        assert_eq!(whole.current_period_end, t("2026-02-28T00:00:00Z"));

        for anchor in ["2026-01-30T23:59:59Z", "2026-02-28T00:00:01Z"] {
            let err = anchored(&monthly, "2026-01-31T00:00:00Z", anchor).unwrap_err();
            assert_eq!(err.field, "billing_cycle_anchor", "{anchor}");
        }
        // With a trial, paid periods begin when it ends: the anchor may not come before.
        let trial = plan(14);
        let err = anchored(&trial, "2026-01-01T00:00:00Z", "2026-01-14T00:00:00Z").unwrap_err();
        assert_eq!(err.field, "billing_cycle_anchor");
        let s = anchored(&trial, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z").unwrap();
        assert_eq!(s.current_period_end, t("2026-01-15T00:00:00Z"));
        assert_eq!(s.billing_cycle_anchor, t("2026-02-01T00:00:00Z"));
        let err = anchored(&monthly, "9999-11-30T00:00:00Z", "9999-12-30T00:00:00Z").unwrap_err();
        assert_eq!(err.field, "billing_cycle_anchor");
    }

    #[test]
    fn subscription_rejects_other_currency_and_bad_quantity() {
        let now = t("2026-01-31T09:00:00Z");
        let mut p = plan(0);
        p.currency = Currency::USD;
        let err = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &p,
            new_sub(&p),
            now,
        )
        .unwrap_err();
        assert_eq!(err.field, "plan");
        let p = plan(0);
        let mut input = new_sub(&p);
        input.quantity = 0;
        let err = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &p,
            input,
            now,
        )
        .unwrap_err();
        assert_eq!(err.field, "quantity");
    }

    #[test]
    fn a_period_that_cannot_be_computed_is_refused() {
        let now = t("2026-01-31T09:00:00Z");
        let start = |p: &Plan, at: &str| {
            let mut input = new_sub(p);
            input.current_period_start = Some(t(at));
            Subscription::start(
                SubscriptionId::new(now, [4; 10]),
                &customer(),
                p,
                input,
                now,
            )
        };
        let monthly = plan(0);
        let last = start(&monthly, "9999-11-15T00:00:00Z").unwrap();
        assert_eq!(last.current_period_end, t("9999-12-15T00:00:00Z"));
        let err = start(&monthly, "9999-12-15T00:00:00Z").unwrap_err();
        assert_eq!(err.field, "current_period_start");
        let err = start(&plan(14), "9999-12-31T00:00:00Z").unwrap_err();
        assert_eq!(err.field, "current_period_start");
        // The trial would end in time, but the first paid month after it would not.
        let err = start(&plan(14), "9999-11-20T00:00:00Z").unwrap_err();
        assert_eq!(err.field, "current_period_start");
    }

    #[test]
    fn a_change_waiting_for_its_invoice_applies_only_when_that_invoice_is_paid() {
        use crate::model::{ChangeRequest, ChangeTiming, quote};
        let now = t("2026-03-10T00:00:00Z");
        let pro = plan(0);
        let mut team = plan(0);
        team.id = PlanId::new(now, [9; 10]);
        team.unit_amount = 9900;
        let mut input = new_sub(&pro);
        input.current_period_start = Some(t("2026-03-01T00:00:00Z"));
        let sub = Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            &pro,
            input,
            t("2026-03-01T00:00:00Z"),
        )
        .unwrap();
        let request = ChangeRequest {
            sub: &sub,
            from: &pro,
            to: &team,
            quantity: 3,
            timing: ChangeTiming::NowWithProration,
            tax_rate_bps: 0,
        };
        let q = quote(request, now).unwrap();
        let invoice = InvoiceId::new(now, [5; 10]);
        let other = InvoiceId::new(now, [6; 10]);
        let waiting = sub.clone().await_payment(&team, &q, &invoice, now).unwrap();
        assert_eq!(
            (&waiting.plan, waiting.quantity),
            (&pro.id, 2),
            "nothing changes yet"
        );
        assert!(waiting.clone().withdraw_scheduled_change(now).is_err());
        assert!(
            waiting
                .clone()
                .await_payment(&team, &q, &other, now)
                .is_err()
        );
        assert_eq!(waiting.clone().apply_paid_change(&other, now), None);
        assert_eq!(waiting.clone().drop_unpaid_change(&other, now), None);
        let paid = waiting.clone().apply_paid_change(&invoice, now).unwrap();
        let made = sub.clone().change_plan(&team, &q, now).unwrap();
        assert_eq!(paid, made, "exactly the confirmed change");
        let declined = waiting.drop_unpaid_change(&invoice, now).unwrap();
        assert_eq!(
            declined,
            Subscription {
                updated_at: now,
                ..sub
            }
        );
    }
}
