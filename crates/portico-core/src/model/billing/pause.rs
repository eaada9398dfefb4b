//! Pausing collection: a subscription stays on its plan but is not invoiced for one to three
//! periods after the current one, which is already paid; the billing clock skips those periods
//! and collection resumes by itself at `resumes_at`, or earlier when the customer asks.

use serde::{Deserialize, Serialize};

use super::Subscription;
use crate::Timestamp;
use crate::error::{Invalid, Refused, conflict};
use crate::model::Plan;

/// How many periods collection may be paused for at once.
pub const MAX_PAUSE_PERIODS: u32 = 3;

/// A pause of collection: since when, and the period boundary at which it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PauseCollection {
    pub paused_at: Timestamp,
    pub resumes_at: Timestamp,
}

impl Subscription {
    /// Whether collection is paused at `now`.
    pub fn is_paused(&self, now: Timestamp) -> bool {
        self.pause_collection.is_some_and(|p| now < p.resumes_at)
    }

    /// Pauses collection for the `periods` periods after the current one (on `plan`, the
    /// subscription's plan): collection resumes at the end of the last of them.
    pub fn pause(mut self, plan: &Plan, periods: u32, now: Timestamp) -> Result<Self, Refused> {
        if !(1..=MAX_PAUSE_PERIODS).contains(&periods) {
            return Err(Invalid::new(
                "periods",
                format!("must be between 1 and {MAX_PAUSE_PERIODS}"),
            )
            .into());
        }
        if self.is_canceled() || self.cancel_at_period_end {
            return conflict("a subscription that is canceled or ending cannot be paused");
        }
        if self.is_paused(now) {
            return conflict("collection is paused already");
        }
        let too_far = || Invalid::new("periods", "the pause would end after 9999-12-31");
        let cycle = self.billing_cycle(plan).ok_or_else(too_far)?;
        let mut resumes_at = self.current_period_end;
        for _ in 0..periods {
            resumes_at = cycle.next_boundary_after(resumes_at).ok_or_else(too_far)?;
        }
        self.pause_collection = Some(PauseCollection {
            paused_at: now,
            resumes_at,
        });
        self.updated_at = now;
        Ok(self)
    }

    /// Resumes paused collection now, before the pause would end by itself.
    pub fn unpause(mut self, now: Timestamp) -> Result<Self, Refused> {
        if !self.is_paused(now) {
            return conflict("collection is not paused");
        }
        self.pause_collection = None;
        self.updated_at = now;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubscriptionId;
    use crate::model::billing::fixtures::{customer, plan, t};
    use crate::model::{CancelMode, Metadata, NewSubscription};

    fn sub(p: &Plan) -> Subscription {
        let now = t("2026-01-31T09:00:00Z");
        let input = NewSubscription {
            customer: "x".into(),
            plan: p.id.clone(),
            quantity: 1,
            status: None,
            current_period_start: None,
            billing_cycle_anchor: None,
            cancel_at_period_end: false,
            metadata: Metadata::new(),
        };
        Subscription::start(
            SubscriptionId::new(now, [4; 10]),
            &customer(),
            p,
            input,
            now,
        )
        .unwrap()
    }

    #[test]
    fn a_pause_skips_whole_periods_after_the_current_one() {
        let p = plan(0);
        let s = sub(&p);
        let now = t("2026-02-10T00:00:00Z");
        assert_eq!(s.current_period_end.rfc3339(), "2026-02-28T09:00:00Z");
        let one = s.clone().pause(&p, 1, now).unwrap();
        // The anchor's day counts: the period after Feb 28 ends on Mar 31.
        assert_eq!(
            one.pause_collection.unwrap().resumes_at.rfc3339(),
            "2026-03-31T09:00:00Z"
        );
        assert!(one.is_paused(now));
        assert!(!one.is_paused(t("2026-03-31T09:00:00Z")));
        let three = s.clone().pause(&p, 3, now).unwrap();
        assert_eq!(
            three.pause_collection.unwrap().resumes_at.rfc3339(),
            "2026-05-31T09:00:00Z"
        );
        for bad in [0, 4] {
            match s.clone().pause(&p, bad, now) {
                Err(Refused::Invalid(i)) => assert_eq!(i.field, "periods"),
                other => panic!("{bad} periods: {other:?}"),
            }
        }
    }

    #[test]
    fn only_a_running_subscription_pauses_and_only_a_paused_one_resumes() {
        let p = plan(0);
        let now = t("2026-02-10T00:00:00Z");
        let s = sub(&p);
        assert!(matches!(s.clone().unpause(now), Err(Refused::Conflict(_))));
        let paused = s.clone().pause(&p, 2, now).unwrap();
        assert!(matches!(
            paused.clone().pause(&p, 1, now),
            Err(Refused::Conflict(_))
        ));
        let resumed = paused.unpause(now).unwrap();
        assert_eq!(resumed.pause_collection, None);
        let ending = s
            .clone()
            .cancel(CancelMode::AtPeriodEnd, None, None, now)
            .unwrap();
        assert!(matches!(
            ending.pause(&p, 1, now),
            Err(Refused::Conflict(_))
        ));
    }
}
