//! Subscriptions, invoices, transactions and payment methods, with the rules for creating and
//! changing them.

use serde::{Deserialize, Serialize};

use super::{Customer, Metadata, Plan, nullable, text_enum, validate_metadata};
use crate::error::{self, Invalid, Refused, ValidationResult, conflict};
use crate::money::{MAX_TOTAL, line_amount, tax_amount};
use crate::{
    Currency, CustomerId, InvoiceId, PaymentMethodId, PlanId, SubscriptionId, Timestamp,
    TransactionId,
};

pub const MAX_QUANTITY: i64 = 1_000_000;
const DAY: i64 = 86_400;

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
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub metadata: Metadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

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
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub metadata: Metadata,
}

fn one() -> i64 {
    1
}

impl Subscription {
    /// A new subscription of `customer` to `plan`, its first period starting at the requested
    /// time or now; a plan with trial days starts with a trial.
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
        let end = match trial_end {
            Some(end) => end,
            None => plan.period_end(start).ok_or_else(|| {
                Invalid::new(
                    "current_period_start",
                    "is too far in the future: its billing period would end after 9999-12-31",
                )
            })?,
        };
        // Past year 9999 a time cannot be written (RFC 3339) and the calendar gives up: a
        // zero-length or unwritable period would bill at once, forever.
        if end <= start || end > Timestamp::MAX {
            return Err(Invalid::new(
                "current_period_start",
                "is too far in the future: its billing period would end after 9999-12-31",
            ));
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
            cancel_at_period_end: input.cancel_at_period_end
                && status != SubscriptionStatus::Canceled,
            canceled_at: (status == SubscriptionStatus::Canceled).then_some(now),
            cancel_reason: None,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        })
    }

    pub fn is_canceled(&self) -> bool {
        self.status == SubscriptionStatus::Canceled
    }

    /// Ends the subscription now.
    pub fn cancel_now(mut self, reason: Option<String>, now: Timestamp) -> Result<Self, Refused> {
        if self.is_canceled() {
            return conflict("the subscription is already canceled");
        }
        self.status = SubscriptionStatus::Canceled;
        self.canceled_at = Some(now);
        self.cancel_at_period_end = false;
        self.cancel_reason = error::optional_text("cancel_reason", reason.as_deref(), 500)?;
        self.updated_at = now;
        Ok(self)
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

text_enum!(TransactionKind { Payment = "payment", Refund = "refund", Credit = "credit" });
text_enum!(TransactionStatus { Pending = "pending", Succeeded = "succeeded", Failed = "failed" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transaction {
    pub id: TransactionId,
    pub customer: CustomerId,
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    /// Always positive; `kind` says which way the money went.
    pub amount: i64,
    pub currency: Currency,
    pub invoice: Option<InvoiceId>,
    pub payment_method: Option<PaymentMethodId>,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTransaction {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    pub kind: TransactionKind,
    #[serde(default = "succeeded")]
    pub status: TransactionStatus,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000000000i64))]
    pub amount: i64,
    /// Defaults to the invoice's currency, else the customer's.
    pub currency: Option<Currency>,
    pub invoice: Option<InvoiceId>,
    pub payment_method: Option<PaymentMethodId>,
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    /// When it happened; defaults to now, set it to import history.
    pub created_at: Option<Timestamp>,
}

fn succeeded() -> TransactionStatus {
    TransactionStatus::Succeeded
}

impl Transaction {
    pub fn create(
        id: TransactionId,
        customer: &Customer,
        invoice: Option<&Invoice>,
        input: NewTransaction,
        now: Timestamp,
    ) -> ValidationResult<Transaction> {
        if !(1..=10_000_000_000).contains(&input.amount) {
            return Err(Invalid::new(
                "amount",
                "must be between 1 and 10000000000 minor units",
            ));
        }
        let currency = input
            .currency
            .or(invoice.map(|i| i.currency))
            .unwrap_or(customer.currency);
        if let Some(inv) = invoice
            && inv.currency != currency
        {
            return Err(Invalid::new(
                "currency",
                format!("must match the invoice's {}", inv.currency),
            ));
        }
        Ok(Transaction {
            id,
            customer: customer.id.clone(),
            kind: input.kind,
            status: input.status,
            amount: input.amount,
            currency,
            invoice: invoice.map(|i| i.id.clone()),
            payment_method: input.payment_method,
            description: error::optional_text("description", input.description.as_deref(), 500)?,
            created_at: input.created_at.unwrap_or(now),
            updated_at: now,
        })
    }

    /// Whether this transaction, once succeeded, pays down its invoice.
    pub fn pays_invoice(&self) -> bool {
        self.kind == TransactionKind::Payment
            && self.status == TransactionStatus::Succeeded
            && self.invoice.is_some()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransactionPatch {
    /// A pending transaction may become `succeeded` or `failed`.
    pub status: Option<TransactionStatus>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
}

impl TransactionPatch {
    pub fn apply(self, mut txn: Transaction, now: Timestamp) -> Result<Transaction, Refused> {
        if let Some(next) = self.status
            && next != txn.status
        {
            if txn.status != TransactionStatus::Pending {
                return conflict(format!(
                    "a {} transaction cannot change its status",
                    txn.status
                ));
            }
            txn.status = next;
        }
        if let Some(d) = self.description {
            txn.description = error::optional_text("description", d.as_deref(), 500)?;
        }
        txn.updated_at = now;
        Ok(txn)
    }
}

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
        } else if input.exp_month.is_some() || input.exp_year.is_some() {
            let field = if input.exp_month.is_some() {
                "exp_month"
            } else {
                "exp_year"
            };
            return Err(Invalid::new(field, "applies to cards only"));
        }
        check_expiry(input.exp_month, input.exp_year)?;
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
        if (self.exp_month.is_some() || self.exp_year.is_some())
            && pm.kind != PaymentMethodKind::Card
        {
            let field = if self.exp_month.is_some() {
                "exp_month"
            } else {
                "exp_year"
            };
            return Err(Invalid::new(field, "applies to cards only"));
        }
        check_expiry(self.exp_month, self.exp_year)?;
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
    use crate::model::{Address, Interval};
    use crate::{AccountId, PlanId, ProductId};

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339("t", s).unwrap()
    }

    fn customer() -> Customer {
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
            portal_enabled: true,
            metadata: Metadata::new(),
            created_at: now,
            updated_at: now,
        }
    }

    fn plan(trial_days: i32) -> Plan {
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
            active: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn new_sub(plan: &Plan) -> NewSubscription {
        NewSubscription {
            customer: "x".into(),
            plan: plan.id.clone(),
            quantity: 2,
            status: None,
            current_period_start: None,
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
    }

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
    }
}
