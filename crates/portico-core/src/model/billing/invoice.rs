//! Invoices: lines, tax and totals (checked), payments received and the status they move through.

use serde::{Deserialize, Serialize};

use super::{DAY, MAX_QUANTITY, one};
use crate::error::{self, Invalid, Refused, ValidationResult, conflict};
use crate::model::{Customer, Metadata, nullable, text_enum, validate_metadata};
use crate::money::{MAX_TOTAL, line_amount, tax_amount};
use crate::{Currency, CustomerId, InvoiceId, SubscriptionId, Timestamp};

text_enum!(InvoiceStatus {
    Draft = "draft",
    Open = "open",
    Paid = "paid",
    Void = "void",
    Uncollectible = "uncollectible",
});

impl InvoiceStatus {
    fn may_become(self, next: InvoiceStatus) -> bool {
        use InvoiceStatus::*;
        matches!(
            (self, next),
            (Draft, Open) | (Open, Paid | Void | Uncollectible) | (Uncollectible, Paid | Void)
        ) || self == next
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: i64,
    pub unit_amount: i64,
    pub amount: i64,
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invoice {
    pub id: InvoiceId,
    /// Sequential per account, e.g. `ACME-0042`; drafts get theirs too.
    pub number: String,
    pub customer: CustomerId,
    pub subscription: Option<SubscriptionId>,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: i64,
    /// Tax rate in basis points (1900 = 19 %).
    pub tax_rate_bps: i64,
    pub tax: i64,
    pub total: i64,
    pub amount_paid: i64,
    pub amount_due: i64,
    pub issued_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub metadata: Metadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvoiceLine {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub description: String,
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: i64,
    /// May be negative for a discount or credit line.
    #[cfg_attr(feature = "openapi", schema(minimum = -10000000000i64, maximum = 10000000000i64))]
    pub unit_amount: i64,
    pub period_start: Option<Timestamp>,
    pub period_end: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvoice {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    pub subscription: Option<SubscriptionId>,
    /// Defaults to the customer's currency.
    pub currency: Option<Currency>,
    /// Defaults to `open`; `draft` can still be edited; the others import history.
    pub status: Option<InvoiceStatus>,
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub lines: Vec<NewInvoiceLine>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 10000))]
    pub tax_rate_bps: i64,
    /// Defaults to now unless the invoice is a draft.
    pub issued_at: Option<Timestamp>,
    /// Defaults to 30 days after issue.
    pub due_at: Option<Timestamp>,
    /// For `paid` invoices; defaults to the issue time.
    pub paid_at: Option<Timestamp>,
    #[serde(default)]
    pub metadata: Metadata,
}

fn build_lines(lines: Vec<NewInvoiceLine>) -> ValidationResult<(Vec<InvoiceLine>, i64)> {
    if lines.is_empty() || lines.len() > 100 {
        return Err(Invalid::new("lines", "must hold 1 to 100 lines"));
    }
    let mut subtotal: i64 = 0;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let field = |name: &str| format!("lines[{i}].{name}");
        let description = error::required_text(&field("description"), &line.description, 500)?;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(Invalid::new(
                field("quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        if line.unit_amount.abs() > 10_000_000_000 {
            return Err(Invalid::new(field("unit_amount"), "is too large"));
        }
        if let (Some(s), Some(e)) = (line.period_start, line.period_end)
            && e < s
        {
            return Err(Invalid::new(
                field("period_end"),
                "must not be before period_start",
            ));
        }
        let amount = line_amount(&field("unit_amount"), line.quantity, line.unit_amount)?;
        subtotal = subtotal
            .checked_add(amount)
            .ok_or_else(|| Invalid::new("lines", "total is too large"))?;
        out.push(InvoiceLine {
            description,
            quantity: line.quantity,
            unit_amount: line.unit_amount,
            amount,
            period_start: line.period_start,
            period_end: line.period_end,
        });
    }
    Ok((out, subtotal))
}

fn check_tax_rate(bps: i64) -> ValidationResult<i64> {
    if (0..=10_000).contains(&bps) {
        Ok(bps)
    } else {
        Err(Invalid::new("tax_rate_bps", "must be between 0 and 10000"))
    }
}

impl Invoice {
    /// A new invoice for `customer` numbered `number`.
    pub fn create(
        id: InvoiceId,
        number: String,
        customer: &Customer,
        input: NewInvoice,
        now: Timestamp,
    ) -> ValidationResult<Invoice> {
        validate_metadata(&input.metadata)?;
        let status = input.status.unwrap_or(InvoiceStatus::Open);
        let (lines, subtotal) = build_lines(input.lines)?;
        let tax_rate_bps = check_tax_rate(input.tax_rate_bps)?;
        let issued_at = match status {
            InvoiceStatus::Draft => None,
            _ => Some(input.issued_at.unwrap_or(now)),
        };
        let due_at = input
            .due_at
            .or_else(|| issued_at.map(|i| i.plus_secs(30 * DAY)));
        if let (Some(i), Some(d)) = (issued_at, due_at)
            && d < i
        {
            return Err(Invalid::new("due_at", "must not be before issued_at"));
        }
        let mut invoice = Invoice {
            id,
            number,
            customer: customer.id.clone(),
            subscription: input.subscription,
            status,
            currency: input.currency.unwrap_or(customer.currency),
            lines,
            subtotal,
            tax_rate_bps,
            tax: 0,
            total: 0,
            amount_paid: 0,
            amount_due: 0,
            issued_at,
            due_at,
            paid_at: None,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        };
        invoice.recompute()?;
        if status == InvoiceStatus::Paid {
            invoice.amount_paid = invoice.total;
            invoice.amount_due = 0;
            invoice.paid_at = Some(input.paid_at.or(issued_at).unwrap_or(now));
        }
        Ok(invoice)
    }

    fn recompute(&mut self) -> ValidationResult<()> {
        let too_large = || {
            Invalid::new(
                "lines",
                format!("the invoice total must be at most {MAX_TOTAL} minor units"),
            )
        };
        self.tax = tax_amount(self.subtotal, self.tax_rate_bps).ok_or_else(too_large)?;
        self.total = self.subtotal.checked_add(self.tax).ok_or_else(too_large)?;
        if self.total < 0 {
            return Err(Invalid::new(
                "lines",
                "the invoice total must not be negative",
            ));
        }
        if self.total > MAX_TOTAL {
            return Err(too_large());
        }
        self.amount_due = self.total.saturating_sub(self.amount_paid).max(0);
        Ok(())
    }

    /// Open, something still due, and past its due date at `now`: what the portal, the PDF and
    /// the overview's alert call overdue.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status == InvoiceStatus::Open
            && self.amount_due > 0
            && self.due_at.is_some_and(|due| due < now)
    }

    /// Records `amount` received against this invoice; it becomes paid once nothing is due.
    pub fn apply_payment(&mut self, amount: i64, now: Timestamp) -> Result<(), Refused> {
        if !matches!(
            self.status,
            InvoiceStatus::Open | InvoiceStatus::Uncollectible
        ) {
            return conflict(format!(
                "invoice {} is {} and takes no payments",
                self.number, self.status
            ));
        }
        self.amount_paid = self.amount_paid.saturating_add(amount);
        self.amount_due = self.total.saturating_sub(self.amount_paid).max(0);
        if self.amount_due == 0 {
            self.status = InvoiceStatus::Paid;
            self.paid_at = Some(now);
        }
        self.updated_at = now;
        Ok(())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvoicePatch {
    /// Moves the invoice on: draft → open → paid | void | uncollectible; uncollectible → paid | void.
    pub status: Option<InvoiceStatus>,
    /// Only while draft.
    pub lines: Option<Vec<NewInvoiceLine>>,
    /// Only while draft.
    pub tax_rate_bps: Option<i64>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Timestamp>))]
    pub due_at: Option<Option<Timestamp>>,
    pub metadata: Option<Metadata>,
}

impl InvoicePatch {
    pub fn apply(self, mut inv: Invoice, now: Timestamp) -> Result<Invoice, Refused> {
        let was_draft = inv.status == InvoiceStatus::Draft;
        if self.lines.is_some() || self.tax_rate_bps.is_some() {
            if !was_draft {
                return conflict(format!(
                    "invoice {} is {}; only drafts can be edited",
                    inv.number, inv.status
                ));
            }
            if let Some(lines) = self.lines {
                let (lines, subtotal) = build_lines(lines)?;
                inv.lines = lines;
                inv.subtotal = subtotal;
            }
            if let Some(bps) = self.tax_rate_bps {
                inv.tax_rate_bps = check_tax_rate(bps)?;
            }
            inv.recompute()?;
        }
        if let Some(due) = self.due_at {
            inv.due_at = due;
        }
        if let Some(m) = self.metadata {
            validate_metadata(&m)?;
            inv.metadata = m;
        }
        if let Some(next) = self.status {
            if !inv.status.may_become(next) {
                return conflict(format!(
                    "invoice {} cannot go from {} to {}",
                    inv.number, inv.status, next
                ));
            }
            if next != inv.status {
                match next {
                    InvoiceStatus::Open => {
                        inv.issued_at = Some(now);
                        inv.due_at = inv.due_at.or(Some(now.plus_secs(30 * DAY)));
                    }
                    InvoiceStatus::Paid => {
                        inv.amount_paid = inv.total;
                        inv.amount_due = 0;
                        inv.paid_at = Some(now);
                    }
                    _ => {}
                }
                inv.status = next;
            }
        }
        if let (Some(i), Some(d)) = (inv.issued_at, inv.due_at)
            && d < i
        {
            return Err(Invalid::new("due_at", "must not be before issued_at").into());
        }
        inv.updated_at = now;
        Ok(inv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::billing::fixtures::{customer, t};

    fn invoice(status: Option<InvoiceStatus>) -> Invoice {
        let now = t("2026-03-01T00:00:00Z");
        let input = NewInvoice {
            customer: "x".into(),
            subscription: None,
            currency: None,
            status,
            lines: vec![
                NewInvoiceLine {
                    description: "Pro × 2".into(),
                    quantity: 2,
                    unit_amount: 2900,
                    period_start: None,
                    period_end: None,
                },
                NewInvoiceLine {
                    description: "Discount".into(),
                    quantity: 1,
                    unit_amount: -800,
                    period_start: None,
                    period_end: None,
                },
            ],
            tax_rate_bps: 1900,
            issued_at: None,
            due_at: None,
            paid_at: None,
            metadata: Metadata::new(),
        };
        Invoice::create(
            InvoiceId::new(now, [5; 10]),
            "ACME-0001".into(),
            &customer(),
            input,
            now,
        )
        .unwrap()
    }

    #[test]
    fn invoice_totals() {
        let inv = invoice(None);
        assert_eq!(inv.subtotal, 5000);
        assert_eq!(inv.tax, 950);
        assert_eq!(inv.total, 5950);
        assert_eq!(inv.amount_due, 5950);
        assert_eq!(inv.currency, Currency::EUR);
        assert!(inv.due_at.is_some());
    }

    #[test]
    fn invoice_payments_and_transitions() {
        let now = t("2026-03-02T00:00:00Z");
        let mut inv = invoice(None);
        inv.apply_payment(5000, now).unwrap();
        assert_eq!((inv.status, inv.amount_due), (InvoiceStatus::Open, 950));
        inv.apply_payment(950, now).unwrap();
        assert_eq!(
            (inv.status, inv.amount_due, inv.paid_at),
            (InvoiceStatus::Paid, 0, Some(now))
        );
        assert!(matches!(
            inv.apply_payment(1, now),
            Err(Refused::Conflict(_))
        ));

        let paid = invoice(Some(InvoiceStatus::Paid));
        let patch = InvoicePatch {
            status: Some(InvoiceStatus::Open),
            ..Default::default()
        };
        assert!(matches!(
            patch.apply(paid.clone(), now),
            Err(Refused::Conflict(_))
        ));
        let patch = InvoicePatch {
            tax_rate_bps: Some(0),
            ..Default::default()
        };
        assert!(matches!(patch.apply(paid, now), Err(Refused::Conflict(_))));

        let draft = invoice(Some(InvoiceStatus::Draft));
        assert_eq!(draft.issued_at, None);
        let patch = InvoicePatch {
            tax_rate_bps: Some(0),
            status: Some(InvoiceStatus::Open),
            ..Default::default()
        };
        let open = patch.apply(draft, now).unwrap();
        assert_eq!((open.total, open.issued_at), (5000, Some(now)));
    }

    #[test]
    fn overdue_is_open_with_something_due_after_the_due_date() {
        let due = t("2026-03-15T00:00:00Z");
        let after = t("2026-03-15T00:00:01Z");
        let mut inv = invoice(Some(InvoiceStatus::Open));
        assert!(!inv.is_overdue(after), "no due date, never overdue");
        inv.due_at = Some(due);
        assert!(
            !inv.is_overdue(due),
            "due that very moment is not yet overdue"
        );
        assert!(inv.is_overdue(after));
        inv.amount_due = 0;
        assert!(!inv.is_overdue(after), "nothing due");
        let mut paid = invoice(Some(InvoiceStatus::Paid));
        paid.due_at = Some(due);
        assert!(!paid.is_overdue(after), "paid");
    }
}
