//! What a vendor sells: products and their plans (prices with a billing interval).

use serde::{Deserialize, Serialize};

use super::{nullable, text_enum};
use crate::error::{self, Invalid, ValidationResult};
use crate::{Currency, PlanId, ProductId, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: Option<String>,
    /// Shown in the portal, so customers may switch to its self-service plans.
    pub self_service: bool,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 1000))]
    pub description: Option<String>,
    #[serde(default)]
    pub self_service: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl NewProduct {
    pub fn validate(self) -> ValidationResult<Self> {
        Ok(Self {
            name: error::required_text("name", &self.name, 200)?,
            description: error::optional_text("description", self.description.as_deref(), 1000)?,
            ..self
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    pub self_service: Option<bool>,
    pub active: Option<bool>,
}

impl ProductPatch {
    pub fn apply(self, mut product: Product, now: Timestamp) -> ValidationResult<Product> {
        if let Some(name) = self.name {
            product.name = error::required_text("name", &name, 200)?;
        }
        if let Some(d) = self.description {
            product.description = error::optional_text("description", d.as_deref(), 1000)?;
        }
        if let Some(s) = self.self_service {
            product.self_service = s;
        }
        if let Some(a) = self.active {
            product.active = a;
        }
        product.updated_at = now;
        Ok(product)
    }
}

text_enum!(Interval { Month = "month", Year = "year" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub id: PlanId,
    pub product: ProductId,
    pub name: String,
    pub interval: Interval,
    pub interval_count: i32,
    /// Price of one unit per interval, in minor units.
    pub unit_amount: i64,
    pub currency: Currency,
    pub self_service: bool,
    pub trial_days: i32,
    /// The fewest units a customer may choose in the portal.
    pub min_quantity: i64,
    /// The most units a customer may choose in the portal; none for no limit but the global one.
    pub max_quantity: Option<i64>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    pub product: ProductId,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    pub interval: Interval,
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 36))]
    pub interval_count: i32,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10000000000i64))]
    pub unit_amount: i64,
    pub currency: Currency,
    #[serde(default = "yes")]
    pub self_service: bool,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 730))]
    pub trial_days: i32,
    /// The fewest units a customer may choose in the portal (default 1).
    #[serde(default = "one_unit")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub min_quantity: i64,
    /// The most units a customer may choose in the portal.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub max_quantity: Option<i64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn one_unit() -> i64 {
    1
}

/// Checks a plan's quantity limits: `1 <= min <= max <= MAX_QUANTITY`.
pub fn check_quantity_limits(min: i64, max: Option<i64>) -> ValidationResult<()> {
    let top = crate::model::MAX_QUANTITY;
    if !(1..=top).contains(&min) {
        return Err(Invalid::new(
            "min_quantity",
            format!("must be between 1 and {top}"),
        ));
    }
    if let Some(max) = max
        && !(min..=top).contains(&max)
    {
        return Err(Invalid::new(
            "max_quantity",
            format!("must be between min_quantity ({min}) and {top}"),
        ));
    }
    Ok(())
}

fn one() -> i32 {
    1
}

impl NewPlan {
    pub fn validate(self) -> ValidationResult<Self> {
        let max_count = match self.interval {
            Interval::Month => 36,
            Interval::Year => 3,
        };
        if !(1..=max_count).contains(&self.interval_count) {
            return Err(Invalid::new(
                "interval_count",
                format!("must be between 1 and {max_count}"),
            ));
        }
        if !(0..=10_000_000_000).contains(&self.unit_amount) {
            return Err(Invalid::new(
                "unit_amount",
                "must be between 0 and 10000000000 minor units",
            ));
        }
        check_trial_days(self.trial_days)?;
        check_quantity_limits(self.min_quantity, self.max_quantity)?;
        Ok(Self {
            name: error::required_text("name", &self.name, 200)?,
            ..self
        })
    }
}

fn check_trial_days(days: i32) -> ValidationResult<()> {
    if (0..=730).contains(&days) {
        Ok(())
    } else {
        Err(Invalid::new("trial_days", "must be between 0 and 730"))
    }
}

/// Price and interval are fixed once a plan exists, as invoices refer to them; create a new plan
/// to change a price.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    pub self_service: Option<bool>,
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 730))]
    pub trial_days: Option<i32>,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub min_quantity: Option<i64>,
    /// `null` removes the limit.
    #[serde(
        default,
        deserialize_with = "crate::model::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 1, maximum = 1000000))]
    pub max_quantity: Option<Option<i64>>,
    pub active: Option<bool>,
}

impl PlanPatch {
    pub fn apply(self, mut plan: Plan, now: Timestamp) -> ValidationResult<Plan> {
        if let Some(name) = self.name {
            plan.name = error::required_text("name", &name, 200)?;
        }
        if let Some(s) = self.self_service {
            plan.self_service = s;
        }
        if let Some(days) = self.trial_days {
            check_trial_days(days)?;
            plan.trial_days = days;
        }
        if let Some(min) = self.min_quantity {
            plan.min_quantity = min;
        }
        if let Some(max) = self.max_quantity {
            plan.max_quantity = max;
        }
        check_quantity_limits(plan.min_quantity, plan.max_quantity)?;
        if let Some(a) = self.active {
            plan.active = a;
        }
        plan.updated_at = now;
        Ok(plan)
    }
}
