//! The billing cycle: where each billing period starts and ends, counted from one stored anchor.
//!
//! Period `n` starts `n` intervals after the anchor, computed from the anchor itself and never
//! from the previous period's end, so a cycle anchored on Jan 31 runs Feb 28 → Mar 31 → Apr 30
//! instead of drifting to the 28th. The day is clamped to the length of each month and the time
//! of day is kept. Every step is checked: a boundary past 9999-12-31 is `None`, never a panic.

use crate::Timestamp;
use crate::model::{Interval, Plan};
use crate::time::month_index;

/// A span of billing time: from `start`, up to but not including `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn contains(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// Periods of a fixed number of calendar months, counted from an anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingCycle {
    anchor: Timestamp,
    months: i32,
}

impl BillingCycle {
    /// Periods of `count` intervals from `anchor`; `None` for a count below one or an anchor
    /// the API cannot write (after 9999-12-31).
    pub fn new(anchor: Timestamp, interval: Interval, count: i32) -> Option<Self> {
        let months = match interval {
            Interval::Month => count,
            Interval::Year => count.checked_mul(12)?,
        };
        let writable = anchor <= Timestamp::MAX && anchor.checked_datetime().is_some();
        (months >= 1 && writable).then_some(Self { anchor, months })
    }

    /// The cycle of `plan`'s interval from `anchor`.
    pub fn of_plan(plan: &Plan, anchor: Timestamp) -> Option<Self> {
        Self::new(anchor, plan.interval, plan.interval_count)
    }

    pub fn anchor(self) -> Timestamp {
        self.anchor
    }

    /// Where period `n` starts (and period `n - 1` ends): the anchor plus `n` intervals.
    pub fn boundary(self, n: u32) -> Option<Timestamp> {
        let months = i32::try_from(n).ok()?.checked_mul(self.months)?;
        self.anchor.checked_plus_months(months)
    }

    /// Period `n`; period 0 starts at the anchor.
    pub fn period(self, n: u32) -> Option<Period> {
        Some(Period {
            start: self.boundary(n)?,
            end: self.boundary(n.checked_add(1)?)?,
        })
    }

    /// The number and the span of the period that holds `at`; `None` before the anchor, or
    /// when that period would end after 9999-12-31.
    pub fn period_containing(self, at: Timestamp) -> Option<(u32, Period)> {
        if at < self.anchor {
            return None;
        }
        let elapsed = month_index(at.checked_datetime()?.date()) - month_index(self.anchor.date());
        // Boundary n falls in the anchor's month + n intervals, so the next one falls in a later
        // month than `at` and cannot hold it. Boundary n itself is in `at`'s month or earlier:
        // when it is later in that month (a later day or time of day), the period before holds
        // `at`, and that one began in an earlier month.
        let mut n = u32::try_from(elapsed / self.months).ok()?;
        if self.boundary(n)? > at {
            n = n.checked_sub(1)?;
        }
        Some((n, self.period(n)?))
    }

    /// The first period boundary after `at` (the anchor, for an instant before it): when a
    /// subscription at `at` renews next. `None` when it would fall after 9999-12-31.
    pub fn next_boundary_after(self, at: Timestamp) -> Option<Timestamp> {
        if at < self.anchor {
            return Some(self.anchor);
        }
        self.period_containing(at).map(|(_, period)| period.end)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::{Date, Month, OffsetDateTime, Time};

    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339("t", s).unwrap()
    }

    fn monthly(anchor: &str, count: i32) -> BillingCycle {
        BillingCycle::new(t(anchor), Interval::Month, count).unwrap()
    }

    /// The first `count` boundaries after the anchor, as dates and times.
    fn boundaries(cycle: BillingCycle, count: u32) -> Vec<String> {
        (1..=count)
            .map(|n| cycle.boundary(n).unwrap().rfc3339())
            .collect()
    }

    #[test]
    fn month_ends_are_kept_without_drift() {
        let jan31 = monthly("2026-01-31T10:30:15Z", 1);
        assert_eq!(
            boundaries(jan31, 4),
            [
                "2026-02-28T10:30:15Z",
                "2026-03-31T10:30:15Z",
                "2026-04-30T10:30:15Z",
                "2026-05-31T10:30:15Z",
            ]
        );
        assert_eq!(
            jan31.boundary(12).unwrap().rfc3339(),
            "2027-01-31T10:30:15Z"
        );
        let leap = monthly("2024-01-31T00:00:00Z", 1);
        assert_eq!(
            boundaries(leap, 3),
            [
                "2024-02-29T00:00:00Z",
                "2024-03-31T00:00:00Z",
                "2024-04-30T00:00:00Z",
            ]
        );
        let aug31 = monthly("2025-08-31T23:59:59Z", 1);
        assert_eq!(
            boundaries(aug31, 6),
            [
                "2025-09-30T23:59:59Z",
                "2025-10-31T23:59:59Z",
                "2025-11-30T23:59:59Z",
                "2025-12-31T23:59:59Z",
                "2026-01-31T23:59:59Z",
                "2026-02-28T23:59:59Z",
            ]
        );
    }

    #[test]
    fn year_ends_and_leap_days() {
        let dec31 = monthly("2025-12-31T08:00:00Z", 1);
        assert_eq!(
            boundaries(dec31, 2),
            ["2026-01-31T08:00:00Z", "2026-02-28T08:00:00Z"]
        );
        let quarterly = monthly("2025-12-31T08:00:00Z", 3);
        assert_eq!(
            boundaries(quarterly, 5),
            [
                "2026-03-31T08:00:00Z",
                "2026-06-30T08:00:00Z",
                "2026-09-30T08:00:00Z",
                "2026-12-31T08:00:00Z",
                "2027-03-31T08:00:00Z",
            ]
        );
        let feb29 = monthly("2024-02-29T12:00:00Z", 1);
        assert_eq!(
            boundaries(feb29, 2),
            ["2024-03-29T12:00:00Z", "2024-04-29T12:00:00Z"]
        );
        let yearly = BillingCycle::new(t("2024-02-29T12:00:00Z"), Interval::Year, 1).unwrap();
        assert_eq!(
            boundaries(yearly, 4),
            [
                "2025-02-28T12:00:00Z",
                "2026-02-28T12:00:00Z",
                "2027-02-28T12:00:00Z",
                "2028-02-29T12:00:00Z",
            ]
        );
    }

    #[test]
    fn periods_hold_their_instants_to_the_millisecond() {
        let cycle = monthly("2026-01-31T10:00:00Z", 1);
        let feb28 = t("2026-02-28T10:00:00Z");
        let second = Period {
            start: feb28,
            end: t("2026-03-31T10:00:00Z"),
        };
        assert_eq!(cycle.period(1), Some(second));
        assert_eq!(cycle.period_containing(feb28), Some((1, second)));
        let just_before = Timestamp::from_millis(feb28.as_millis() - 1);
        assert_eq!(
            cycle.period_containing(just_before).map(|(n, _)| n),
            Some(0)
        );
        // Later in the day of a boundary's month, but before the boundary's time.
        let same_day_earlier = t("2026-03-31T09:59:59Z");
        assert_eq!(cycle.period_containing(same_day_earlier), Some((1, second)));
        assert_eq!(cycle.period_containing(t("2026-01-31T09:59:59Z")), None);
        assert_eq!(
            cycle.next_boundary_after(t("2026-01-01T00:00:00Z")),
            Some(cycle.anchor())
        );
        assert_eq!(cycle.next_boundary_after(cycle.anchor()), Some(feb28));
        assert_eq!(cycle.next_boundary_after(feb28), Some(second.end));
    }

    #[test]
    fn the_end_of_the_calendar_answers_none() {
        let late = monthly("9999-11-30T00:00:00Z", 1);
        assert_eq!(
            late.period(0),
            Some(Period {
                start: t("9999-11-30T00:00:00Z"),
                end: t("9999-12-30T00:00:00Z"),
            })
        );
        assert_eq!(late.period(1), None);
        assert_eq!(late.period_containing(t("9999-12-30T00:00:00Z")), None);
        assert_eq!(late.next_boundary_after(t("9999-12-31T23:59:59Z")), None);
        assert_eq!(late.boundary(u32::MAX), None);
        assert_eq!(late.period(u32::MAX), None);
        let past_writable = Timestamp::from_millis(Timestamp::MAX.as_millis() + 1000);
        assert_eq!(BillingCycle::new(past_writable, Interval::Month, 1), None);
        assert_eq!(
            BillingCycle::new(Timestamp::from_millis(i64::MIN), Interval::Month, 1),
            None
        );
        assert_eq!(
            BillingCycle::new(t("2026-01-01T00:00:00Z"), Interval::Month, 0),
            None
        );
        assert_eq!(
            BillingCycle::new(t("2026-01-01T00:00:00Z"), Interval::Year, -1),
            None
        );
        assert_eq!(
            BillingCycle::new(t("2026-01-01T00:00:00Z"), Interval::Year, i32::MAX),
            None
        );
        let huge = BillingCycle::new(t("2026-01-01T00:00:00Z"), Interval::Month, i32::MAX).unwrap();
        assert_eq!(huge.boundary(1), None);
        assert_eq!(huge.period_containing(t("9999-12-31T23:59:59Z")), None);
    }

    /// Anchors from 1970 to 9999, often on the last days of a month, to the millisecond.
    fn anchor(latest_year: i32) -> impl Strategy<Value = OffsetDateTime> {
        (
            1970..=latest_year,
            1u8..=12,
            prop_oneof![1u8..=31, 28u8..=31],
            0u32..86_400_000,
        )
            .prop_map(|(year, month, day, millis)| {
                let month = Month::try_from(month).unwrap();
                let day = day.min(time::util::days_in_month(month, year));
                let date = Date::from_calendar_date(year, month, day).unwrap();
                let time = Time::from_hms_milli(
                    (millis / 3_600_000) as u8,
                    (millis / 60_000 % 60) as u8,
                    (millis / 1000 % 60) as u8,
                    (millis % 1000) as u16,
                )
                .unwrap();
                date.with_time(time).assume_utc()
            })
    }

    /// The plans' intervals: 1 to 36 months or 1 to 3 years.
    fn interval() -> impl Strategy<Value = (Interval, i32)> {
        prop_oneof![
            (1..=36i32).prop_map(|n| (Interval::Month, n)),
            (1..=3i32).prop_map(|n| (Interval::Year, n)),
        ]
    }

    fn cycle_of(anchor: OffsetDateTime, (interval, count): (Interval, i32)) -> BillingCycle {
        BillingCycle::new(Timestamp::from_datetime(anchor), interval, count).unwrap()
    }

    fn months_of((interval, count): (Interval, i32)) -> i64 {
        match interval {
            Interval::Month => i64::from(count),
            Interval::Year => i64::from(count) * 12,
        }
    }

    /// `months` calendar months after `anchor` by counting years and months directly: the day
    /// clamped to the target month, the time of day kept; `None` after year 9999.
    fn months_later(anchor: OffsetDateTime, months: i64) -> Option<Timestamp> {
        let month0 = i64::from(u8::from(anchor.month())) - 1 + months;
        let year = i64::from(anchor.year()) + month0 / 12;
        if year > 9999 {
            return None;
        }
        let year = year as i32;
        let month = Month::try_from((month0 % 12 + 1) as u8).unwrap();
        let day = anchor.day().min(time::util::days_in_month(month, year));
        let date = Date::from_calendar_date(year, month, day).unwrap();
        Some(Timestamp::from_datetime(
            date.with_time(anchor.time()).assume_utc(),
        ))
    }

    proptest! {
        #[test]
        fn periods_are_contiguous_and_strictly_increasing(
            anchor in anchor(9999), interval in interval(), n in 0u32..5000,
        ) {
            let cycle = cycle_of(anchor, interval);
            if let (Some(this), Some(next)) = (cycle.period(n), cycle.period(n + 1)) {
                prop_assert!(this.start < this.end);
                prop_assert_eq!(this.end, next.start);
                prop_assert!(next.start < next.end);
            }
            prop_assert_eq!(cycle.period(n).map(|p| p.end), cycle.boundary(n + 1));
        }

        #[test]
        fn every_instant_after_the_anchor_lies_in_exactly_one_period(
            anchor in anchor(8000),
            interval in interval(),
            after in 0i64..(200 * 366 * 86_400_000),
        ) {
            let cycle = cycle_of(anchor, interval);
            let at = Timestamp::from_millis(cycle.anchor().as_millis() + after);
            let (n, period) = cycle.period_containing(at).unwrap();
            prop_assert!(period.contains(at), "{period:?} does not hold {at:?}");
            prop_assert_eq!(cycle.period(n), Some(period));
            if let Some(before) = n.checked_sub(1) {
                prop_assert!(!cycle.period(before).unwrap().contains(at));
            }
            prop_assert!(!cycle.period(n + 1).unwrap().contains(at));
            prop_assert_eq!(cycle.next_boundary_after(at), Some(period.end));
        }

        #[test]
        fn the_nth_boundary_is_the_anchor_plus_n_intervals(
            anchor in anchor(9999), interval in interval(), n in 0u32..5000,
        ) {
            let cycle = cycle_of(anchor, interval);
            let expected = months_later(anchor, i64::from(n) * months_of(interval));
            prop_assert_eq!(cycle.boundary(n), expected);
        }

        #[test]
        fn the_day_is_the_anchors_clamped_and_the_time_is_kept(
            anchor in anchor(9999), interval in interval(), n in 0u32..5000,
        ) {
            let cycle = cycle_of(anchor, interval);
            if let Some(boundary) = cycle.boundary(n) {
                let at = boundary.to_datetime();
                let month_length = time::util::days_in_month(at.month(), at.year());
                prop_assert_eq!(at.day(), anchor.day().min(month_length));
                prop_assert_eq!(at.time(), anchor.time());
            }
        }

        #[test]
        fn renewing_from_each_period_end_never_drifts(
            anchor in anchor(9000), interval in interval(), periods in 1u32..400,
        ) {
            // Chained as a billing clock will chain them: each renewal asks for the boundary
            // after the end of the period it closes.
            let cycle = cycle_of(anchor, interval);
            let mut end = cycle.anchor();
            for n in 1..=periods {
                match cycle.next_boundary_after(end) {
                    Some(next) => end = next,
                    None => {
                        prop_assert_eq!(cycle.boundary(n), None);
                        return Ok(());
                    }
                }
                prop_assert_eq!(Some(end), cycle.boundary(n));
            }
            let at = end.to_datetime();
            let month_length = time::util::days_in_month(at.month(), at.year());
            prop_assert_eq!(at.day(), anchor.day().min(month_length));
        }
    }
}
