//! The billing clock's due work and claims, its renewals, and test clocks.

use super::webhooks::skip_locked;
use super::*;
use crate::{Backlog, ClockScope, DueSubscription, Renewal, TestClockRecord};

/// Columns of `billing_renewals`, as [`renewal`] reads them and [`renewal_values`] binds them
/// (after the account).
pub(in crate::sql) const RENEWAL_COLUMNS: &str = "subscription_id, period_start, period_end, \
     invoice_id, failures, next_charge_at, created_at, updated_at";

pub(in crate::sql) fn renewal(row: &super::super::db::Row) -> StoreResult<Renewal> {
    Ok(Renewal {
        subscription: row.parsed("subscription_id")?,
        period_start: row.ts("period_start")?,
        period_end: row.ts("period_end")?,
        invoice: row.opt_parsed("invoice_id")?,
        failures: row.int("failures")?,
        next_charge_at: row.opt_ts("next_charge_at")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) fn renewal_values(r: &Renewal) -> Vec<Value> {
    vec![
        Value::from(&r.subscription),
        Value::from(r.period_start),
        Value::from(r.period_end),
        Value::from(r.invoice.as_ref()),
        Value::from(r.failures),
        Value::from(r.next_charge_at),
        Value::from(r.created_at),
        Value::from(r.updated_at),
    ]
}

/// Whether subscription `s` belongs to the scope's customers; `$first` (and `$first + 1`) are
/// the scope's parameters.
fn in_scope(scope: &ClockScope, first: usize, p: &mut Vec<Value>) -> String {
    match scope {
        ClockScope::Real => "NOT EXISTS (SELECT 1 FROM customers c WHERE c.account_id = \
             s.account_id AND c.id = s.customer_id AND c.test_clock_id IS NOT NULL)"
            .to_owned(),
        ClockScope::Test { account, clock } => {
            p.push(Value::from(account));
            p.push(Value::from(clock.as_str()));
            format!(
                "s.account_id = ${first} AND EXISTS (SELECT 1 FROM customers c WHERE \
                 c.account_id = s.account_id AND c.id = s.customer_id AND c.test_clock_id = ${})",
                first + 1
            )
        }
    }
}

/// Whether subscription `s` has an action due at `$n`: its period ended (and it is not
/// canceled), or a charge of one of its renewals is due.
fn due_at(n: usize) -> String {
    format!(
        "((s.status <> 'canceled' AND s.current_period_end <= ${n}) OR EXISTS (SELECT 1 \
         FROM billing_renewals r WHERE r.subscription_id = s.id AND r.next_charge_at <= ${n}))"
    )
}

const TEST_CLOCK_COLUMNS: &str = "id, account_id, name, frozen_time, created_at, updated_at";

fn test_clock(row: &super::super::db::Row) -> StoreResult<TestClockRecord> {
    Ok(TestClockRecord {
        id: row.text("id")?,
        account: row.parsed("account_id")?,
        name: row.text("name")?,
        frozen_time: row.ts("frozen_time")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

#[async_trait]
impl ClockStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_due_subscriptions(
        &self,
        scope: &ClockScope,
        claim: &str,
        due_by: Timestamp,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DueSubscription>> {
        let mut p = params![due_by, now];
        let scoped = in_scope(scope, 3, &mut p);
        let free = "(s.clock_claimed_until IS NULL OR s.clock_claimed_until <= $2)";
        // Read first: with nothing due, no write lock is taken (on SQLite, the database's).
        let probe = format!(
            "SELECT 1 FROM subscriptions s WHERE {} AND {free} AND {scoped} LIMIT 1",
            due_at(1)
        );
        if query(&probe, p.clone())
            .fetch_optional(&self.pool)
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        let n = p.len();
        p.extend(params![claim, until, i64::from(limit.max(1))]);
        let sql = format!(
            "UPDATE subscriptions SET clock_claim = ${}, clock_claimed_until = ${} \
             WHERE (account_id, id) IN (SELECT s.account_id, s.id FROM subscriptions s \
             WHERE {} AND {free} AND {scoped} ORDER BY s.current_period_end LIMIT ${}{}) \
             RETURNING account_id, id",
            n + 1,
            n + 2,
            due_at(1),
            n + 3,
            skip_locked(self.backend)
        );
        let mut tx = self.write_tx().await?;
        let claimed = query(&sql, p).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        claimed
            .iter()
            .map(|row| {
                Ok(DueSubscription {
                    account: row.parsed("account_id")?,
                    subscription: row.parsed("id")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn release_subscription(&self, due: &DueSubscription, claim: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        query(
            "UPDATE subscriptions SET clock_claim = NULL, clock_claimed_until = NULL \
             WHERE account_id = $1 AND id = $2 AND clock_claim = $3",
            params![&due.account, &due.subscription, claim],
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn backlog(&self, now: Timestamp) -> StoreResult<Backlog> {
        let mut p = params![now];
        let scoped = in_scope(&ClockScope::Real, 2, &mut p);
        let sql = format!(
            "SELECT COUNT(*) AS due, MIN(due_at) AS oldest FROM (\
             SELECT s.current_period_end AS due_at FROM subscriptions s \
             WHERE s.status <> 'canceled' AND s.current_period_end <= $1 AND {scoped} \
             UNION ALL SELECT r.next_charge_at AS due_at FROM billing_renewals r \
             JOIN subscriptions s ON s.id = r.subscription_id \
             WHERE r.next_charge_at <= $1 AND {scoped}) d"
        );
        let clock = query(&sql, p).fetch_one(&self.pool).await?;
        let queue = query(
            "SELECT (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending') \
             + (SELECT COUNT(*) FROM outbox WHERE fanned_out_at IS NULL) AS queue",
            Vec::new(),
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Backlog {
            clock_due: clock.int("due")?,
            clock_oldest_due_at: clock.opt_ts("oldest")?,
            webhook_queue: queue.int("queue")?,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn renewals(
        &self,
        account: &AccountId,
        subscription: &SubscriptionId,
    ) -> StoreResult<Vec<Renewal>> {
        let sql = format!(
            "SELECT {RENEWAL_COLUMNS} FROM billing_renewals \
             WHERE account_id = $1 AND subscription_id = $2 ORDER BY period_start"
        );
        query(&sql, params![account, subscription])
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(renewal)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_test_clock(&self, clock: &TestClockRecord) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        query(
            &format!(
                "INSERT INTO test_clocks ({TEST_CLOCK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            ),
            params![
                clock.id.as_str(),
                &clock.account,
                clock.name.as_str(),
                clock.frozen_time,
                clock.created_at,
                clock.updated_at
            ],
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("test clock {}", clock.id),
                no_account(&clock.account),
            )
        })?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn test_clocks(&self, account: &AccountId) -> StoreResult<Vec<TestClockRecord>> {
        let sql = format!(
            "SELECT {TEST_CLOCK_COLUMNS} FROM test_clocks WHERE account_id = $1 ORDER BY id DESC"
        );
        query(&sql, params![account])
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(test_clock)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn test_clock(&self, account: &AccountId, id: &str) -> StoreResult<TestClockRecord> {
        let sql = format!(
            "SELECT {TEST_CLOCK_COLUMNS} FROM test_clocks WHERE account_id = $1 AND id = $2"
        );
        query(&sql, params![account, id])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| test_clock(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("test clock", id))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn set_test_clock_time(
        &self,
        account: &AccountId,
        id: &str,
        to: Timestamp,
        now: Timestamp,
    ) -> StoreResult<TestClockRecord> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "UPDATE test_clocks SET frozen_time = $3, updated_at = $4 \
             WHERE account_id = $1 AND id = $2 RETURNING {TEST_CLOCK_COLUMNS}"
        );
        let row = query(&sql, params![account, id, to, now])
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("test clock", id))?;
        let clock = test_clock(&row)?;
        tx.commit().await?;
        Ok(clock)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_test_clock(&self, account: &AccountId, id: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "DELETE FROM test_clocks WHERE account_id = $1 AND id = $2",
            params![account, id],
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("test clock", id));
        }
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn attach_test_clock(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        clock: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "UPDATE customers SET test_clock_id = $3 WHERE account_id = $1 AND id = $2",
            params![account, customer, clock],
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("customer", customer));
        }
        tx.commit().await
    }
}
