//! Renewals: the billing periods the clock renewed subscriptions into, one per subscription and
//! period start, and the collection of their invoices.

use portico_core::{InvoiceId, SubscriptionId, Timestamp};

use super::UnitOfWork;
use crate::Renewal;
use crate::StoreResult;
use crate::sql::rows::{Value, params, query};
use crate::sql::statements::for_update;
use crate::sql::store::clock::{RENEWAL_COLUMNS, renewal, renewal_values};

pub struct Renewals<'u>(pub(super) &'u mut UnitOfWork);

impl Renewals<'_> {
    /// Records a renewal of a subscription the caller has locked; `false` (and nothing
    /// written) when that period was renewed before.
    pub async fn insert(&mut self, r: &Renewal) -> StoreResult<bool> {
        let (conn, _, account) = self.0.parts();
        let mut p: Vec<Value> = params![account];
        p.extend(renewal_values(r));
        let done = query(
            &format!(
                "INSERT INTO billing_renewals (account_id, {RENEWAL_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (subscription_id, period_start) DO NOTHING"
            ),
            p,
        )
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The renewal whose invoice is `invoice`, locked.
    pub async fn lock_of_invoice(&mut self, invoice: &InvoiceId) -> StoreResult<Option<Renewal>> {
        let (conn, backend, account) = self.0.parts();
        let sql = format!(
            "SELECT {RENEWAL_COLUMNS} FROM billing_renewals \
             WHERE account_id = $1 AND invoice_id = $2{}",
            for_update(backend)
        );
        query(&sql, params![account, invoice])
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| renewal(&row))
            .transpose()
    }

    /// The renewals of a subscription (which the caller has locked) whose invoice is to be
    /// charged at `now`, oldest first, locked.
    pub async fn due_of(
        &mut self,
        subscription: &SubscriptionId,
        now: Timestamp,
    ) -> StoreResult<Vec<Renewal>> {
        let (conn, backend, account) = self.0.parts();
        let sql = format!(
            "SELECT {RENEWAL_COLUMNS} FROM billing_renewals WHERE account_id = $1 \
             AND subscription_id = $2 AND next_charge_at <= $3 ORDER BY period_start{}",
            for_update(backend)
        );
        query(&sql, params![account, subscription, now])
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(renewal)
            .collect()
    }

    /// Whether another renewal of the subscription than `except` still waits for its invoice
    /// to be collected.
    pub async fn others_collecting(
        &mut self,
        subscription: &SubscriptionId,
        except: Timestamp,
    ) -> StoreResult<bool> {
        let (conn, _, account) = self.0.parts();
        Ok(query(
            "SELECT 1 FROM billing_renewals WHERE account_id = $1 AND subscription_id = $2 \
             AND period_start <> $3 AND next_charge_at IS NOT NULL",
            params![account, subscription, except],
        )
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
    }

    /// Writes the renewal's collection back.
    pub async fn save(&mut self, r: &Renewal) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        query(
            "UPDATE billing_renewals SET failures = $4, next_charge_at = $5, updated_at = $6 \
             WHERE account_id = $1 AND subscription_id = $2 AND period_start = $3",
            params![
                account,
                &r.subscription,
                r.period_start,
                r.failures,
                r.next_charge_at,
                r.updated_at
            ],
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
