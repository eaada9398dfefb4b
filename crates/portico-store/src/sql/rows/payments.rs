//! Rows of payment attempts, payment providers and customers' references at them.

use super::*;
use crate::PaymentProviderRecord;

pub(in crate::sql) const PAYMENT_ATTEMPTS: Table = Table {
    name: "payment_attempts",
    columns: &[
        "id",
        "customer_id",
        "invoice_id",
        "payment_method_id",
        "idempotency_key",
        "provider",
        "amount",
        "currency",
        "status",
        "provider_ref",
        "decline_code",
        "action_url",
        "transaction_id",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn payment_attempt_values(a: &PaymentAttempt) -> Vec<Value> {
    params![
        a.id.as_str(),
        &a.customer,
        &a.invoice,
        &a.payment_method,
        a.idempotency_key.as_str(),
        a.provider.as_str(),
        a.amount,
        a.currency.code(),
        a.status.as_str(),
        a.provider_ref.clone(),
        a.decline_code.map(|c| c.as_str()),
        a.action_url.clone(),
        a.transaction.as_ref(),
        a.created_at,
        a.updated_at,
    ]
}

pub(in crate::sql) fn payment_attempt(row: &Row) -> StoreResult<PaymentAttempt> {
    Ok(PaymentAttempt {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        invoice: row.parsed("invoice_id")?,
        payment_method: row.parsed("payment_method_id")?,
        idempotency_key: row.text("idempotency_key")?,
        provider: row.text("provider")?,
        amount: row.int("amount")?,
        currency: row.currency("currency")?,
        status: row.word("status", PaymentAttemptStatus::parse)?,
        provider_ref: row.opt_text("provider_ref")?,
        decline_code: row
            .opt_text("decline_code")?
            .map(|c| DeclineCode::parse("decline_code", &c).map_err(|e| corrupt("decline_code", e)))
            .transpose()?,
        action_url: row.opt_text("action_url")?,
        transaction: row.opt_parsed("transaction_id")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const PAYMENT_PROVIDER_COLUMNS: &str = "account_id, provider, public_key, \
    sealed_secret, sealed_webhook_secret, created_at, updated_at";

pub(in crate::sql) fn payment_provider_values(p: &PaymentProviderRecord) -> Vec<Value> {
    params![
        &p.account,
        p.provider.as_str(),
        p.public_key.clone(),
        p.sealed_secret.clone(),
        p.sealed_webhook_secret.clone(),
        p.created_at,
        p.updated_at,
    ]
}

pub(in crate::sql) fn payment_provider(row: &Row) -> StoreResult<PaymentProviderRecord> {
    Ok(PaymentProviderRecord {
        account: row.parsed("account_id")?,
        provider: row.text("provider")?,
        public_key: row.opt_text("public_key")?,
        sealed_secret: row.opt_text("sealed_secret")?,
        sealed_webhook_secret: row.opt_text("sealed_webhook_secret")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}
