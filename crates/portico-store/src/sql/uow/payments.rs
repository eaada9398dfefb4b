//! Payments: attempts at charging invoices, the account's provider settings and customers'
//! references at the provider.

use portico_core::model::{PaymentAttempt, PaymentMethod};
use portico_core::{CustomerId, InvoiceId, PaymentAttemptId};

use super::{PaymentMethods, UnitOfWork};
use crate::sql::rows::{
    self, PAYMENT_ATTEMPTS, PAYMENT_METHODS, PAYMENT_PROVIDER_COLUMNS, RowExt, params,
    placeholder_rows, query,
};
use crate::sql::statements::{for_update, insert, locked_child, no_account, save};
use crate::sql::write_error;
use crate::{PaymentProviderRecord, StoreResult};

pub struct PaymentAttempts<'u>(pub(super) &'u mut UnitOfWork);

impl PaymentAttempts<'_> {
    /// An attempt, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, id: &PaymentAttemptId) -> StoreResult<Option<PaymentAttempt>> {
        let (conn, backend, account) = self.0.parts();
        locked_child(
            conn,
            backend,
            &PAYMENT_ATTEMPTS,
            account,
            id.as_str(),
            rows::payment_attempt,
        )
        .await
    }

    /// The attempt an idempotency key names, locked (after its customer).
    pub async fn lock_by_key(&mut self, key: &str) -> StoreResult<Option<PaymentAttempt>> {
        let (conn, _, account) = self.0.parts();
        let Some(row) = query(
            "SELECT id FROM payment_attempts WHERE account_id = $1 AND idempotency_key = $2",
            params![account, key],
        )
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let id: PaymentAttemptId = row.parsed("id")?;
        self.lock(&id).await
    }

    /// The attempt of an invoice (whose customer the caller has locked) that is still open:
    /// pending, or waiting for the customer's step at the provider.
    pub async fn open_of_invoice(
        &mut self,
        invoice: &InvoiceId,
    ) -> StoreResult<Option<PaymentAttempt>> {
        let (conn, backend, account) = self.0.parts();
        let sql = format!(
            "{} WHERE account_id = $1 AND invoice_id = $2 \
             AND status IN ('pending', 'requires_action') ORDER BY id DESC LIMIT 1{}",
            PAYMENT_ATTEMPTS.select(),
            for_update(backend)
        );
        query(&sql, params![account, invoice])
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| rows::payment_attempt(&row))
            .transpose()
    }

    /// A new attempt of a customer the caller has locked. A second attempt with the same
    /// idempotency key, or a second pending one of the invoice, is a `Conflict`.
    pub async fn insert(&mut self, attempt: &PaymentAttempt) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        insert(
            conn,
            &PAYMENT_ATTEMPTS,
            account,
            rows::payment_attempt_values(attempt),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("a payment attempt of invoice {}", attempt.invoice),
                no_account(account),
            )
        })?;
        self.0.customer_changed(&attempt.customer);
        Ok(())
    }

    pub async fn save(&mut self, attempt: &PaymentAttempt) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(
            conn,
            &PAYMENT_ATTEMPTS,
            account,
            rows::payment_attempt_values(attempt),
        )
        .await?;
        self.0.customer_changed(&attempt.customer);
        Ok(())
    }
}

pub struct PaymentProviders<'u>(pub(super) &'u mut UnitOfWork);

impl PaymentProviders<'_> {
    /// Sets the account's provider, replacing the one before.
    pub async fn put(&mut self, record: &PaymentProviderRecord) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        let mut values = rows::payment_provider_values(record);
        values[0] = account.into();
        let sql = format!(
            "INSERT INTO payment_providers ({PAYMENT_PROVIDER_COLUMNS}) VALUES {} \
             ON CONFLICT (account_id) DO UPDATE SET provider = excluded.provider, \
             public_key = excluded.public_key, sealed_secret = excluded.sealed_secret, \
             sealed_webhook_secret = excluded.sealed_webhook_secret, \
             updated_at = excluded.updated_at",
            placeholder_rows(1, values.len())
        );
        query(&sql, values).execute(&mut *conn).await?;
        self.0.account_changed();
        Ok(())
    }

    /// The customer's reference at `provider`, if one was made.
    pub async fn customer_ref(
        &mut self,
        customer: &CustomerId,
        provider: &str,
    ) -> StoreResult<Option<String>> {
        let (conn, _, account) = self.0.parts();
        query(
            "SELECT reference FROM payment_provider_customers \
             WHERE account_id = $1 AND customer_id = $2 AND provider = $3",
            params![account, customer, provider],
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.text("reference"))
        .transpose()
    }

    /// Keeps the customer's new reference at `provider`.
    pub async fn insert_customer_ref(
        &mut self,
        customer: &CustomerId,
        provider: &str,
        reference: &str,
    ) -> StoreResult<()> {
        let now = self.0.now;
        let (conn, _, account) = self.0.parts();
        query(
            "INSERT INTO payment_provider_customers \
             (account_id, customer_id, provider, reference, created_at) VALUES ($1, $2, $3, $4, $5)",
            params![account, customer, provider, reference, now],
        )
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("a {provider} reference of customer {customer}"),
                no_account(account),
            )
        })?;
        Ok(())
    }
}

impl PaymentProviders<'_> {
    /// Whether the provider's event `id` was acted on in this account.
    pub async fn event_seen(&mut self, provider: &str, id: &str) -> StoreResult<bool> {
        let (conn, _, account) = self.0.parts();
        Ok(query(
            "SELECT 1 AS seen FROM provider_events \
             WHERE account_id = $1 AND provider = $2 AND event_id = $3",
            params![account, provider, id],
        )
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
    }

    /// Records that the provider's event `id` was acted on; false when it was already.
    pub async fn mark_event(&mut self, provider: &str, id: &str) -> StoreResult<bool> {
        let now = self.0.now;
        let (conn, _, account) = self.0.parts();
        let done = query(
            "INSERT INTO provider_events (account_id, provider, event_id, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            params![account, provider, id, now],
        )
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// What paying needs of payment methods beyond their own repository.
impl PaymentMethods<'_> {
    /// The live payment methods of a customer the caller has locked, newest first.
    pub async fn live_of(&mut self, customer: &CustomerId) -> StoreResult<Vec<PaymentMethod>> {
        let (conn, _, account) = self.0.parts();
        let sql = format!(
            "{} WHERE account_id = $1 AND customer_id = $2 AND deleted_at IS NULL ORDER BY id DESC",
            PAYMENT_METHODS.select()
        );
        query(&sql, params![account, customer])
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::payment_method)
            .collect()
    }

    /// The live payment method of a customer's (locked by the caller) with the provider's
    /// reference, if one was added already.
    pub async fn by_provider_ref(
        &mut self,
        customer: &CustomerId,
        provider_ref: &str,
    ) -> StoreResult<Option<PaymentMethod>> {
        let (conn, _, account) = self.0.parts();
        let sql = format!(
            "{} WHERE account_id = $1 AND customer_id = $2 AND provider_ref = $3 \
             AND deleted_at IS NULL",
            PAYMENT_METHODS.select()
        );
        query(&sql, params![account, customer, provider_ref])
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| rows::payment_method(&row))
            .transpose()
    }
}
