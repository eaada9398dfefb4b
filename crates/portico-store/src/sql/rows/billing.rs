//! Rows of subscriptions, invoices, transactions and payment methods.

use super::*;

pub(in crate::sql) const SUBSCRIPTIONS: Table = Table {
    name: "subscriptions",
    columns: &[
        "id",
        "customer_id",
        "plan_id",
        "quantity",
        "status",
        "current_period_start",
        "current_period_end",
        "trial_end",
        "cancel_at_period_end",
        "canceled_at",
        "cancel_reason",
        "metadata",
        "created_at",
        "updated_at",
        "billing_cycle_anchor",
        "cancel_comment",
        "scheduled_plan_id",
        "scheduled_quantity",
        "scheduled_at",
        "scheduled_invoice_id",
        "scheduled_period_end",
        "paused_at",
        "pause_resumes_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn subscription_values(s: &Subscription) -> StoreResult<Vec<Value>> {
    Ok(params![
        &s.id,
        &s.customer,
        &s.plan,
        s.quantity,
        s.status.as_str(),
        s.current_period_start,
        s.current_period_end,
        s.trial_end,
        s.cancel_at_period_end,
        s.canceled_at,
        s.cancel_reason.clone(),
        to_json(&s.metadata)?,
        s.created_at,
        s.updated_at,
        s.billing_cycle_anchor,
        s.cancel_comment.clone(),
        s.scheduled_change.as_ref().map(|c| c.plan.as_str()),
        s.scheduled_change.as_ref().map(|c| c.quantity),
        s.scheduled_change.as_ref().map(|c| c.at),
        s.scheduled_change
            .as_ref()
            .and_then(|c| c.awaited_invoice())
            .map(|i| i.as_str()),
        s.scheduled_change
            .as_ref()
            .and_then(|c| c.payment.as_ref())
            .map(|p| p.period_end),
        s.pause_collection.map(|p| p.paused_at),
        s.pause_collection.map(|p| p.resumes_at),
    ])
}

pub(in crate::sql) fn subscription(row: &Row) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        plan: row.parsed("plan_id")?,
        quantity: row.int("quantity")?,
        status: row.word("status", SubscriptionStatus::parse)?,
        current_period_start: row.ts("current_period_start")?,
        current_period_end: row.ts("current_period_end")?,
        trial_end: row.opt_ts("trial_end")?,
        billing_cycle_anchor: row.ts("billing_cycle_anchor")?,
        cancel_at_period_end: row.flag("cancel_at_period_end")?,
        canceled_at: row.opt_ts("canceled_at")?,
        cancel_reason: row.opt_text("cancel_reason")?,
        cancel_comment: row.opt_text("cancel_comment")?,
        scheduled_change: match row.opt_parsed("scheduled_plan_id")? {
            Some(plan) => Some(ScheduledChange {
                plan,
                quantity: row.int("scheduled_quantity")?,
                at: row.ts("scheduled_at")?,
                payment: match row.opt_parsed("scheduled_invoice_id")? {
                    Some(invoice) => Some(AwaitedPayment {
                        invoice,
                        period_end: row.ts("scheduled_period_end")?,
                    }),
                    None => None,
                },
            }),
            None => None,
        },
        pause_collection: match (row.opt_ts("paused_at")?, row.opt_ts("pause_resumes_at")?) {
            (Some(paused_at), Some(resumes_at)) => Some(PauseCollection {
                paused_at,
                resumes_at,
            }),
            _ => None,
        },
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const INVOICES: Table = Table {
    name: "invoices",
    columns: &[
        "id",
        "number",
        "customer_id",
        "subscription_id",
        "status",
        "currency",
        "lines",
        "subtotal",
        "tax_rate_bps",
        "tax",
        "total",
        "amount_paid",
        "amount_due",
        "issued_at",
        "due_at",
        "paid_at",
        "metadata",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

/// An invoice line as stored: the storage format is the store's own (times in milliseconds),
/// so that the API's JSON shape can change without touching stored invoices.
#[derive(Serialize, Deserialize)]
struct StoredLine {
    description: String,
    quantity: i64,
    unit_amount: i64,
    amount: i64,
    period_start: Option<i64>,
    period_end: Option<i64>,
}

pub(in crate::sql) fn invoice_values(i: &Invoice) -> StoreResult<Vec<Value>> {
    let lines: Vec<StoredLine> = i
        .lines
        .iter()
        .map(|l| StoredLine {
            description: l.description.clone(),
            quantity: l.quantity,
            unit_amount: l.unit_amount,
            amount: l.amount,
            period_start: l.period_start.map(Timestamp::as_millis),
            period_end: l.period_end.map(Timestamp::as_millis),
        })
        .collect();
    Ok(params![
        &i.id,
        i.number.as_str(),
        &i.customer,
        i.subscription.as_ref(),
        i.status.as_str(),
        i.currency.code(),
        to_json(&lines)?,
        i.subtotal,
        i.tax_rate_bps,
        i.tax,
        i.total,
        i.amount_paid,
        i.amount_due,
        i.issued_at,
        i.due_at,
        i.paid_at,
        to_json(&i.metadata)?,
        i.created_at,
        i.updated_at,
    ])
}

pub(in crate::sql) fn invoice(row: &Row) -> StoreResult<Invoice> {
    let lines: Vec<StoredLine> = row.json("lines")?;
    Ok(Invoice {
        id: row.parsed("id")?,
        number: row.text("number")?,
        customer: row.parsed("customer_id")?,
        subscription: row.opt_parsed("subscription_id")?,
        status: row.word("status", InvoiceStatus::parse)?,
        currency: row.currency("currency")?,
        lines: lines
            .into_iter()
            .map(|l| InvoiceLine {
                description: l.description,
                quantity: l.quantity,
                unit_amount: l.unit_amount,
                amount: l.amount,
                period_start: l.period_start.map(Timestamp::from_millis),
                period_end: l.period_end.map(Timestamp::from_millis),
            })
            .collect(),
        subtotal: row.int("subtotal")?,
        tax_rate_bps: row.int("tax_rate_bps")?,
        tax: row.int("tax")?,
        total: row.int("total")?,
        amount_paid: row.int("amount_paid")?,
        amount_due: row.int("amount_due")?,
        issued_at: row.opt_ts("issued_at")?,
        due_at: row.opt_ts("due_at")?,
        paid_at: row.opt_ts("paid_at")?,
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const TRANSACTIONS: Table = Table {
    name: "transactions",
    columns: &[
        "id",
        "customer_id",
        "kind",
        "status",
        "amount",
        "currency",
        "invoice_id",
        "payment_method_id",
        "description",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn transaction_values(t: &Transaction) -> Vec<Value> {
    params![
        &t.id,
        &t.customer,
        t.kind.as_str(),
        t.status.as_str(),
        t.amount,
        t.currency.code(),
        t.invoice.as_ref(),
        t.payment_method.as_ref(),
        t.description.clone(),
        t.created_at,
        t.updated_at,
    ]
}

pub(in crate::sql) fn transaction(row: &Row) -> StoreResult<Transaction> {
    Ok(Transaction {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        kind: row.word("kind", TransactionKind::parse)?,
        status: row.word("status", TransactionStatus::parse)?,
        amount: row.int("amount")?,
        currency: row.currency("currency")?,
        invoice: row.opt_parsed("invoice_id")?,
        payment_method: row.opt_parsed("payment_method_id")?,
        description: row.opt_text("description")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const PAYMENT_METHODS: Table = Table {
    name: "payment_methods",
    columns: &[
        "id",
        "customer_id",
        "kind",
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "is_default",
        "provider_ref",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(in crate::sql) fn payment_method_values(p: &PaymentMethod) -> Vec<Value> {
    params![
        &p.id,
        &p.customer,
        p.kind.as_str(),
        p.brand.clone(),
        p.last4.as_str(),
        p.exp_month,
        p.exp_year,
        p.is_default,
        p.provider_ref.clone(),
        p.created_at,
        p.updated_at,
    ]
}

pub(in crate::sql) fn payment_method(row: &Row) -> StoreResult<PaymentMethod> {
    Ok(PaymentMethod {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        kind: row.word("kind", PaymentMethodKind::parse)?,
        brand: row.opt_text("brand")?,
        last4: row.text("last4")?,
        exp_month: row.opt_small("exp_month")?,
        exp_year: row.opt_small("exp_year")?,
        is_default: row.flag("is_default")?,
        provider_ref: row.opt_text("provider_ref")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- portal access ---
