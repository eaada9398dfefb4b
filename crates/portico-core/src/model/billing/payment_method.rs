//! Payment methods: what a customer pays with, described without ever holding a card number.

use serde::{Deserialize, Serialize};

use crate::error::{self, Invalid, ValidationResult};
use crate::model::{Customer, nullable, text_enum};
use crate::{CustomerId, PaymentMethodId, Timestamp};

text_enum!(PaymentMethodKind { Card = "card", SepaDebit = "sepa_debit", UsBankAccount = "us_bank_account" });

pub const CARD_BRANDS: &[&str] = &[
    "visa",
    "mastercard",
    "amex",
    "discover",
    "jcb",
    "diners",
    "unionpay",
    "unknown",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentMethod {
    pub id: PaymentMethodId,
    pub customer: CustomerId,
    pub kind: PaymentMethodKind,
    /// Card brand, or the bank's name for bank accounts.
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    pub is_default: bool,
    /// The payment provider's reference (never a card number).
    pub provider_ref: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPaymentMethod {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    pub kind: PaymentMethodKind,
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub brand: Option<String>,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{4}$"))]
    pub last4: String,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 12))]
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    /// Defaults to true for a customer's first payment method.
    pub is_default: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub provider_ref: Option<String>,
}

/// An expiry given for a method of `kind`: only cards have one, and it must be a real month.
fn check_card_expiry(
    kind: PaymentMethodKind,
    exp_month: Option<i32>,
    exp_year: Option<i32>,
) -> ValidationResult<()> {
    if kind != PaymentMethodKind::Card && (exp_month.is_some() || exp_year.is_some()) {
        let field = if exp_month.is_some() {
            "exp_month"
        } else {
            "exp_year"
        };
        return Err(Invalid::new(field, "applies to cards only"));
    }
    check_expiry(exp_month, exp_year)
}

fn check_expiry(month: Option<i32>, year: Option<i32>) -> ValidationResult<()> {
    if let Some(m) = month
        && !(1..=12).contains(&m)
    {
        return Err(Invalid::new("exp_month", "must be between 1 and 12"));
    }
    if let Some(y) = year
        && !(2000..=2100).contains(&y)
    {
        return Err(Invalid::new("exp_year", "must be a four-digit year"));
    }
    Ok(())
}

impl PaymentMethod {
    /// Whether the card's expiry month has passed at `now` (bank accounts never expire).
    pub fn is_expired(&self, now: Timestamp) -> bool {
        match (self.exp_month, self.exp_year) {
            (Some(m), Some(y)) => {
                let date = now.date();
                (y, m) < (date.year(), i32::from(u8::from(date.month())))
            }
            _ => false,
        }
    }

    /// Whether the card expires this month or the next (and has not yet): time to replace it.
    pub fn is_expiring(&self, now: Timestamp) -> bool {
        match (self.exp_month, self.exp_year) {
            (Some(m), Some(y)) if !self.is_expired(now) => {
                let date = now.date();
                let (year, month) = (date.year(), i32::from(u8::from(date.month())));
                let next = if month == 12 {
                    (year + 1, 1)
                } else {
                    (year, month + 1)
                };
                (y, m) <= next
            }
            _ => false,
        }
    }

    pub fn create(
        id: PaymentMethodId,
        customer: &Customer,
        is_first: bool,
        input: NewPaymentMethod,
        now: Timestamp,
    ) -> ValidationResult<PaymentMethod> {
        if input.last4.len() != 4 || !input.last4.chars().all(|c| c.is_ascii_digit()) {
            return Err(Invalid::new("last4", "must be exactly four digits"));
        }
        let brand = error::optional_text("brand", input.brand.as_deref(), 50)?;
        if input.kind == PaymentMethodKind::Card {
            let brand = brand.as_deref().unwrap_or("");
            if !CARD_BRANDS.contains(&brand) {
                return Err(Invalid::new(
                    "brand",
                    format!("a card's brand must be one of: {}", CARD_BRANDS.join(", ")),
                ));
            }
            if input.exp_month.is_none() || input.exp_year.is_none() {
                let field = if input.exp_month.is_none() {
                    "exp_month"
                } else {
                    "exp_year"
                };
                return Err(Invalid::new(field, "is required for cards"));
            }
        }
        check_card_expiry(input.kind, input.exp_month, input.exp_year)?;
        Ok(PaymentMethod {
            id,
            customer: customer.id.clone(),
            kind: input.kind,
            brand,
            last4: input.last4,
            exp_month: input.exp_month,
            exp_year: input.exp_year,
            is_default: input.is_default.unwrap_or(is_first),
            provider_ref: error::optional_text("provider_ref", input.provider_ref.as_deref(), 200)?,
            created_at: now,
            updated_at: now,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodPatch {
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    /// `true` makes this the customer's default; to change the default, set it on another one.
    pub is_default: Option<bool>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub provider_ref: Option<Option<String>>,
}

impl PaymentMethodPatch {
    pub fn apply(self, mut pm: PaymentMethod, now: Timestamp) -> ValidationResult<PaymentMethod> {
        check_card_expiry(pm.kind, self.exp_month, self.exp_year)?;
        pm.exp_month = self.exp_month.or(pm.exp_month);
        pm.exp_year = self.exp_year.or(pm.exp_year);
        match self.is_default {
            Some(false) if pm.is_default => {
                return Err(Invalid::new(
                    "is_default",
                    "make another payment method the default instead",
                ));
            }
            Some(d) => pm.is_default = pm.is_default || d,
            None => {}
        }
        if let Some(r) = self.provider_ref {
            pm.provider_ref = error::optional_text("provider_ref", r.as_deref(), 200)?;
        }
        pm.updated_at = now;
        Ok(pm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::billing::fixtures::{customer, t};

    #[test]
    fn payment_methods_are_checked() {
        let now = t("2026-03-02T00:00:00Z");
        let input = |kind, brand: Option<&str>, m, y| NewPaymentMethod {
            customer: "x".into(),
            kind,
            brand: brand.map(Into::into),
            last4: "4242".into(),
            exp_month: m,
            exp_year: y,
            is_default: None,
            provider_ref: None,
        };
        let id = || PaymentMethodId::new(now, [6; 10]);
        let pm = PaymentMethod::create(
            id(),
            &customer(),
            true,
            input(PaymentMethodKind::Card, Some("visa"), Some(12), Some(2030)),
            now,
        )
        .unwrap();
        assert!(pm.is_default);
        let expiring = |m, y, at| {
            let mut card = pm.clone();
            (card.exp_month, card.exp_year) = (Some(m), Some(y));
            (card.is_expired(t(at)), card.is_expiring(t(at)))
        };
        assert_eq!(expiring(3, 2026, "2026-03-31T23:59:59Z"), (false, true));
        assert_eq!(expiring(4, 2026, "2026-03-02T00:00:00Z"), (false, true));
        assert_eq!(expiring(5, 2026, "2026-03-02T00:00:00Z"), (false, false));
        assert_eq!(expiring(1, 2027, "2026-12-02T00:00:00Z"), (false, true));
        assert_eq!(expiring(2, 2026, "2026-03-02T00:00:00Z"), (true, false));
        let e = PaymentMethod::create(
            id(),
            &customer(),
            true,
            input(PaymentMethodKind::Card, Some("visa"), Some(13), Some(2030)),
            now,
        )
        .unwrap_err();
        assert_eq!(e.field, "exp_month");
        let e = PaymentMethod::create(
            id(),
            &customer(),
            true,
            input(PaymentMethodKind::SepaDebit, None, Some(1), None),
            now,
        )
        .unwrap_err();
        assert_eq!(e.field, "exp_month");
        let e = PaymentMethod::create(
            id(),
            &customer(),
            true,
            input(PaymentMethodKind::Card, Some("visa"), None, Some(2030)),
            now,
        )
        .unwrap_err();
        assert_eq!(e.field, "exp_month");

        // A change of expiry: only for cards, and only to a real month.
        let sepa = PaymentMethod::create(
            id(),
            &customer(),
            true,
            input(PaymentMethodKind::SepaDebit, None, None, None),
            now,
        )
        .unwrap();
        let patch = |m, y| PaymentMethodPatch {
            exp_month: m,
            exp_year: y,
            ..PaymentMethodPatch::default()
        };
        let e = patch(None, Some(2031)).apply(sepa, now).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("exp_year", "applies to cards only")
        );
        let e = patch(Some(0), None).apply(pm.clone(), now).unwrap_err();
        assert_eq!(e.field, "exp_month");
        let renewed = patch(Some(1), Some(2031)).apply(pm, now).unwrap();
        assert_eq!((renewed.exp_month, renewed.exp_year), (Some(1), Some(2031)));
    }
}
