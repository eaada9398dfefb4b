//! Billing records, one module per aggregate: subscriptions, invoices, transactions and payment
//! methods, with the rules for creating and changing them.

mod cycle;
mod invoice;
mod pause;
mod payment;
mod payment_method;
mod proration;
mod subscription;
mod transaction;

pub use cycle::*;
pub use invoice::*;
pub use pause::*;
pub use payment::*;
pub use payment_method::*;
pub use proration::*;
pub use subscription::*;
pub use transaction::*;

pub const MAX_QUANTITY: i64 = 1_000_000;
const DAY: i64 = 86_400;

fn one() -> i64 {
    1
}

/// Records the tests of several aggregates build on.
#[cfg(test)]
mod fixtures {
    use crate::model::{Address, Customer, Interval, Metadata, Plan};
    use crate::{AccountId, Currency, CustomerId, PlanId, ProductId, Timestamp};

    pub(crate) fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339("t", s).unwrap()
    }

    pub(crate) fn customer() -> Customer {
        let now = t("2026-01-31T09:00:00Z");
        let _ = AccountId::new(now, [0; 10]);
        Customer {
            id: CustomerId::new(now, [1; 10]),
            alias: None,
            name: "Acme".into(),
            email: None,
            currency: Currency::EUR,
            address: Address::default(),
            tax_id: None,
            invoice_recipients: Vec::new(),
            portal_enabled: true,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: now,
        }
    }

    pub(crate) fn plan(trial_days: i32) -> Plan {
        let now = t("2026-01-01T00:00:00Z");
        Plan {
            id: PlanId::new(now, [2; 10]),
            product: ProductId::new(now, [3; 10]),
            name: "Pro".into(),
            interval: Interval::Month,
            interval_count: 1,
            unit_amount: 2900,
            currency: Currency::EUR,
            self_service: true,
            trial_days,
            min_quantity: 1,
            max_quantity: None,
            active: true,
            created_at: now,
            updated_at: now,
        }
    }
}
