//! Money as integer minor units of an ISO 4217 currency.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Invalid, ValidationResult};

/// The currencies Portico bills in, with the number of minor-unit digits of each.
const CURRENCIES: &[(&str, u8)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JPY", 0),
    ("KRW", 0),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("RON", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("ZAR", 2),
    ("BHD", 3),
    ("KWD", 3),
    ("JOD", 3),
];

/// An ISO 4217 currency code that Portico knows the minor units of.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");

    /// Accepts the code in any letter case; `field` names the input in the error.
    pub fn parse(field: &str, code: &str) -> ValidationResult<Self> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .and_then(|(c, _)| <[u8; 3]>::try_from(c.as_bytes()).ok())
            .map(Currency)
            .ok_or_else(|| {
                Invalid::new(
                    field,
                    format!("`{code}` is not a supported ISO 4217 currency code"),
                )
            })
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal separator (2 for EUR, 0 for JPY).
    pub fn minor_digits(&self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map_or(2, |(_, d)| *d)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse("currency", &s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "ISO 4217 currency code, in any letter case; answers use upper case",
            ))
            .enum_values(Some(CURRENCIES.iter().map(|(code, _)| *code)))
            .examples(["EUR"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Currency {}

/// An amount in minor units (cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// The amount as a plain decimal string (`-12.50`, `1200` for JPY), with no symbol or grouping.
    pub fn decimal(&self) -> String {
        let digits = u32::from(self.currency.minor_digits());
        if digits == 0 {
            return self.amount.to_string();
        }
        let scale = 10i64.pow(digits);
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = digits as usize
        )
    }
}

/// `quantity × unit_amount`, failing instead of overflowing.
pub fn line_amount(field: &str, quantity: i64, unit_amount: i64) -> ValidationResult<i64> {
    quantity
        .checked_mul(unit_amount)
        .ok_or_else(|| Invalid::new(field, "amount is too large"))
}

/// The largest total one invoice may have, in minor units: 10^15, ten trillion euros. Line
/// amounts, quantities and line counts are bounded too, so that nothing computed on the way to
/// it overflows; sums over many invoices are computed by [`sum`].
pub const MAX_TOTAL: i64 = 1_000_000_000_000_000;

/// Tax on `subtotal` at `rate_bps` basis points, rounded half away from zero; `None` if it does
/// not fit in i64.
pub fn tax_amount(subtotal: i64, rate_bps: i64) -> Option<i64> {
    let product = i128::from(subtotal) * i128::from(rate_bps);
    let rounded = (product.abs() + 5_000) / 10_000 * product.signum();
    i64::try_from(rounded).ok()
}

/// `subtotal` plus its tax at `rate_bps`; `None` if that does not fit in i64.
pub fn with_tax(subtotal: i64, rate_bps: i64) -> Option<i64> {
    subtotal.checked_add(tax_amount(subtotal, rate_bps)?)
}

/// The sum of `amounts`; `None` if it does not fit in i64. Added up in i128, which no number of
/// i64 amounts a store can hold overflows.
pub fn sum(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    let total: i128 = amounts.into_iter().map(i128::from).sum();
    i64::try_from(total).ok()
}

/// One total per currency, in the order the currencies first appear; `None` if a total does
/// not fit in i64.
pub fn totals_by_currency(amounts: impl IntoIterator<Item = Money>) -> Option<Vec<Money>> {
    let mut totals: Vec<(Currency, i128)> = Vec::new();
    for m in amounts {
        match totals.iter_mut().find(|(c, _)| *c == m.currency) {
            Some((_, total)) => *total += i128::from(m.amount),
            None => totals.push((m.currency, i128::from(m.amount))),
        }
    }
    totals
        .into_iter()
        .map(|(currency, total)| Some(Money::new(i64::try_from(total).ok()?, currency)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sums_are_per_currency_and_never_wrap() {
        let eur = |a| Money::new(a, Currency::EUR);
        let usd = Money::new(5, Currency::parse("c", "USD").unwrap());
        assert_eq!(
            totals_by_currency([eur(1), usd, eur(2)]),
            Some(vec![eur(3), usd])
        );
        assert_eq!(totals_by_currency([eur(i64::MAX), eur(1)]), None);
        assert_eq!(totals_by_currency([]), Some(vec![]));
    }

    #[test]
    fn currencies_parse_case_insensitively() {
        assert_eq!(Currency::parse("c", "eur").unwrap(), Currency::EUR);
        assert_eq!(Currency::parse("c", "JPY").unwrap().minor_digits(), 0);
        let err = Currency::parse("currency", "EURO").unwrap_err();
        assert_eq!(err.field, "currency");
    }

    #[test]
    fn decimals() {
        assert_eq!(Money::new(1250, Currency::EUR).decimal(), "12.50");
        assert_eq!(Money::new(-5, Currency::USD).decimal(), "-0.05");
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(Money::new(1200, jpy).decimal(), "1200");
        let kwd = Currency::parse("c", "KWD").unwrap();
        assert_eq!(Money::new(1_234_567, kwd).decimal(), "1234.567");
    }

    #[test]
    fn tax_rounds_half_away_from_zero() {
        assert_eq!(tax_amount(1000, 1900), Some(190));
        assert_eq!(tax_amount(105, 1000), Some(11)); // 10.5 -> 11
        assert_eq!(tax_amount(-105, 1000), Some(-11));
        assert_eq!(tax_amount(0, 2000), Some(0));
    }

    #[test]
    fn sums_never_wrap() {
        assert_eq!(with_tax(i64::MAX / 2 + 1, 10_000), None);
        assert_eq!(with_tax(1000, 1900), Some(1190));
        assert_eq!(sum([i64::MAX, 1]), None);
        assert_eq!(sum([i64::MAX, 1, -1]), Some(i64::MAX));
        assert_eq!(
            sum(std::iter::repeat_n(MAX_TOTAL, 9000)),
            Some(9000 * MAX_TOTAL)
        );
        let jpy = Currency::parse("c", "JPY").unwrap();
        assert_eq!(
            totals_by_currency([
                Money::new(5, Currency::EUR),
                Money::new(7, jpy),
                Money::new(6, Currency::EUR),
            ]),
            Some(vec![Money::new(11, Currency::EUR), Money::new(7, jpy)])
        );
        let huge = std::iter::repeat_n(Money::new(i64::MAX / 4, Currency::EUR), 5);
        assert_eq!(totals_by_currency(huge), None);
    }

    proptest! {
        #[test]
        fn tax_is_within_half_a_cent(subtotal in -1_000_000_000i64..1_000_000_000, rate in 0i64..=10_000) {
            let exact = subtotal as f64 * rate as f64 / 10_000.0;
            prop_assert!((tax_amount(subtotal, rate).unwrap() as f64 - exact).abs() <= 0.5 + 1e-6);
        }
    }
}
