//! Instants in UTC with millisecond precision; RFC 3339 (whole seconds) on the wire.
//!
//! The domain never reads the clock: callers pass `now` in, which keeps expiry rules exact
//! under test.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

use crate::error::{Invalid, ValidationResult};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The last instant RFC 3339 can write: 9999-12-31T23:59:59Z.
    pub const MAX: Timestamp = Timestamp::from_secs(253_402_300_799);

    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Self(secs * 1000)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds, rounded down (as JWT `iat`/`exp` want them).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub const fn plus_secs(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs.saturating_mul(1000)))
    }

    pub const fn minus_secs(self, secs: i64) -> Self {
        self.plus_secs(-secs)
    }

    /// Seconds from `self` until `later` (negative when `later` is earlier).
    pub const fn secs_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).div_euclid(1000)
    }

    pub fn to_datetime(self) -> OffsetDateTime {
        self.checked_datetime()
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The calendar instant, or `None` outside the calendar's range (years -9999 to 9999).
    pub fn checked_datetime(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000).ok()
    }

    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Self((dt.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn date(self) -> Date {
        self.to_datetime().date()
    }

    /// The same wall-clock time `months` calendar months later, clamped to the end of a
    /// shorter month (Jan 31 + 1 month = Feb 28/29), as billing periods are counted.
    pub fn plus_months(self, months: i32) -> Self {
        self.checked_plus_months(months).unwrap_or(self)
    }

    /// `months` calendar months later, the day clamped to the month's length; `None` past the
    /// calendar's range (year 9999).
    pub fn checked_plus_months(self, months: i32) -> Option<Self> {
        let dt = self.checked_datetime()?;
        let total = month_index(dt.date()).checked_add(months)?;
        let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
        let month = Month::try_from((month0 + 1) as u8).ok()?;
        let day = dt.day().min(time::util::days_in_month(month, year));
        let date = Date::from_calendar_date(year, month, day).ok()?;
        let later = Self::from_datetime(dt.replace_date(date));
        // Past the range that RFC 3339 (and so the API) can write, a time is no use either.
        (year <= 9999).then_some(later)
    }

    pub fn rfc3339(self) -> String {
        let secs = self
            .to_datetime()
            .replace_nanosecond(0)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        secs.format(&Rfc3339).unwrap_or_default()
    }

    pub fn parse_rfc3339(field: &str, value: &str) -> ValidationResult<Self> {
        OffsetDateTime::parse(value, &Rfc3339)
            .map(Self::from_datetime)
            .map_err(|_| {
                Invalid::new(
                    field,
                    "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
                )
            })
    }
}

/// Months since the start of year 0, so that months can be counted across years.
pub(crate) fn month_index(date: Date) -> i32 {
    date.year() * 12 + (i32::from(u8::from(date.month())) - 1)
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        OffsetDateTime::parse(&s, &Rfc3339)
            .map(Self::from_datetime)
            .map_err(|_| {
                serde::de::Error::custom(
                    "expected an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
                )
            })
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_clamp_to_month_end() {
        let jan31 = Timestamp::parse_rfc3339("t", "2025-01-31T10:00:00Z").unwrap();
        assert_eq!(jan31.plus_months(1).rfc3339(), "2025-02-28T10:00:00Z");
        let end_of_time = Timestamp::parse_rfc3339("t", "9999-12-15T00:00:00Z").unwrap();
        assert_eq!(end_of_time.checked_plus_months(1), None);
        assert_eq!(end_of_time.checked_plus_months(i32::MAX), None);
        // An instant the calendar cannot hold has no month to count from.
        assert_eq!(
            Timestamp::from_millis(i64::MAX).checked_plus_months(0),
            None
        );
        assert_eq!(
            Timestamp::from_millis(i64::MIN).checked_plus_months(1),
            None
        );
        assert_eq!(
            end_of_time.checked_plus_months(-1).map(Timestamp::rfc3339),
            Some("9999-11-15T00:00:00Z".to_owned())
        );
        assert_eq!(jan31.plus_months(13).rfc3339(), "2026-02-28T10:00:00Z");
        assert_eq!(jan31.plus_months(-2).rfc3339(), "2024-11-30T10:00:00Z");
        let leap = Timestamp::parse_rfc3339("t", "2024-01-31T00:00:00Z").unwrap();
        assert_eq!(leap.plus_months(1).rfc3339(), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn wire_format_round_trips_whole_seconds() {
        let t = Timestamp::from_millis(1_700_000_000_999);
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20Z");
        let json = serde_json::to_string(&t).unwrap();
        let back: Timestamp = serde_json::from_str(&json).unwrap();
        assert_eq!(back.as_secs(), t.as_secs());
        assert!(Timestamp::parse_rfc3339("t", "yesterday").is_err());
    }
}
