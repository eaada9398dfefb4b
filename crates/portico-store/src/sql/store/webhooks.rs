//! Webhook endpoints, and the deliveries fanned out from the outbox.

use super::*;
use crate::{
    ClaimedDelivery, DeliveryAttempt, DeliveryStatus, WebhookDeliveryRecord, WebhookEndpointRecord,
    WebhookStore,
};

/// `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that concurrent workers take disjoint rows; SQLite
/// has one writer at a time and no row locks.
pub(super) fn skip_locked(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    }
}

/// `$first, $first+1, …` for `n` parameters.
fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The most events one fan-out of the group writer takes (on a SQLite file): the issuances and
/// exchanges queued behind it wait for it, so a thousand at once (several milliseconds) would be
/// the slowest of their answers.
const WRITER_FAN_OUT: u32 = 100;

/// Rows wider than this many per statement are split, to stay under SQLite's parameter limit.
const ROWS_PER_INSERT: usize = 500;

impl SqlStore {
    /// A page of `select` (which filters on `$1`… `params`), newest first by `key`.
    async fn keyset_page<T>(
        &self,
        select: &str,
        key: &str,
        mut p: Vec<Value>,
        limit: u32,
        starting_after: Option<&str>,
        decode: Decode<T>,
    ) -> StoreResult<List<T>> {
        let mut sql = select.to_owned();
        if let Some(after) = starting_after {
            p.push(after.into());
            sql.push_str(&format!(" AND {key} < ${}", p.len()));
        }
        let limit = limit.clamp(1, MAX_LIMIT);
        p.push(Value::from(i64::from(limit) + 1));
        sql.push_str(&format!(" ORDER BY {key} DESC LIMIT ${}", p.len()));
        let rows = query(&sql, p).fetch_all(&self.pool).await?;
        let items = rows.iter().map(decode).collect::<StoreResult<Vec<T>>>()?;
        Ok(List::from_overfetch(items, limit))
    }

    /// Whether `sql` finds a row, read outside any transaction.
    async fn any_row(&self, sql: &str, p: Vec<Value>) -> StoreResult<bool> {
        Ok(query(sql, p).fetch_optional(&self.pool).await?.is_some())
    }

    async fn endpoints_by_ids(&self, ids: &[&str]) -> StoreResult<Vec<WebhookEndpointRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT account_id, {} FROM webhook_endpoints WHERE id IN ({})",
            rows::WEBHOOK_ENDPOINTS.columns(),
            marks(1, ids.len())
        );
        let p = ids.iter().map(|id| Value::from(*id)).collect();
        query(&sql, p)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::webhook_endpoint)
            .collect()
    }
}

#[async_trait]
impl WebhookStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn create_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        insert(
            &mut tx,
            &rows::WEBHOOK_ENDPOINTS,
            &endpoint.account,
            rows::webhook_endpoint_values(endpoint),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("webhook endpoint {}", endpoint.id),
                no_account(&endpoint.account),
            )
        })?;
        tx.commit().await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn webhook_endpoints(
        &self,
        account: &AccountId,
        page: PageRequest<WebhookEndpointId>,
    ) -> StoreResult<List<WebhookEndpointRecord>> {
        let select = format!(
            "SELECT account_id, {} FROM webhook_endpoints WHERE account_id = $1",
            rows::WEBHOOK_ENDPOINTS.columns()
        );
        let after = page.starting_after.as_ref().map(|id| id.as_str());
        self.keyset_page(
            &select,
            "id",
            params![account],
            page.limit,
            after,
            rows::webhook_endpoint,
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn webhook_endpoint(
        &self,
        account: &AccountId,
        id: &WebhookEndpointId,
    ) -> StoreResult<WebhookEndpointRecord> {
        let sql = format!(
            "SELECT account_id, {} FROM webhook_endpoints WHERE account_id = $1 AND id = $2",
            rows::WEBHOOK_ENDPOINTS.columns()
        );
        query(&sql, params![account, id])
            .fetch_optional(&self.pool)
            .await?
            .map(|row| rows::webhook_endpoint(&row))
            .transpose()?
            .ok_or_else(|| StoreError::not_found("webhook endpoint", id))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn save_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord) -> StoreResult<()> {
        let mut p = params![&endpoint.account];
        p.extend(rows::webhook_endpoint_values(endpoint));
        let done = query(&rows::WEBHOOK_ENDPOINTS.update(), p)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook endpoint", &endpoint.id));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn delete_webhook_endpoint(
        &self,
        account: &AccountId,
        id: &WebhookEndpointId,
    ) -> StoreResult<()> {
        let done = query(
            "DELETE FROM webhook_endpoints WHERE account_id = $1 AND id = $2",
            params![account, id],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook endpoint", id));
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn fan_out_webhook_events(&self, now: Timestamp, limit: u32) -> StoreResult<usize> {
        // A read first: an idle worker takes no write lock (all of SQLite's, every second).
        if !self
            .any_row(
                "SELECT 1 FROM outbox WHERE fanned_out_at IS NULL LIMIT 1",
                vec![],
            )
            .await?
        {
            return Ok(0);
        }
        if self.writer.is_native() {
            // On a SQLite file the group writer fans out, in a group of its own between the
            // requests' groups: the writes of portal access never wait for another connection to
            // let go of the database's lock (which SQLite's busy handler waits for in sleeps of
            // up to 25 ms), and the writer's page cache stays valid (another connection's commit
            // empties it). At most `WRITER_FAN_OUT` events at a time, which the next group of
            // requests waits for.
            let limit = limit.min(WRITER_FAN_OUT);
            return match self
                .writer
                .write(WriteOp::FanOutWebhookEvents { now, limit })
                .await?
            {
                Written::FannedOut(n) => Ok(n),
                _ => Err(StoreError::Corrupt(
                    "the fan-out answered something else".to_owned(),
                )),
            };
        }
        let mut tx = self.write_tx().await?;
        let n = fan_out(&mut tx, self.backend, now, limit).await?;
        tx.commit().await?;
        Ok(n)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn claim_webhook_deliveries(
        &self,
        claim: &str,
        now: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let due = "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' \
                   AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1) \
                   LIMIT 1";
        if !self.any_row(due, params![now]).await? {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        // Deliveries of a disabled endpoint wait, and go on if it is enabled again.
        let sql = format!(
            "UPDATE webhook_deliveries SET claim = $1, claimed_until = $2 \
             WHERE (endpoint_id, event_id) IN (SELECT d.endpoint_id, d.event_id \
             FROM webhook_deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $3 \
             AND (d.claimed_until IS NULL OR d.claimed_until <= $3) \
             AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.endpoint_id \
             AND e.enabled = $4) \
             ORDER BY d.next_attempt_at LIMIT $5{}) \
             RETURNING endpoint_id, event_id, attempts, created_at",
            skip_locked(self.backend)
        );
        let claimed = query(
            &sql,
            params![claim, until, now, true, i64::from(limit.max(1))],
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut endpoint_ids = Vec::new();
        let mut event_ids = Vec::new();
        for row in &claimed {
            endpoint_ids.push(row.text("endpoint_id")?);
            event_ids.push(row.text("event_id")?);
        }
        let mut unique = endpoint_ids.iter().map(String::as_str).collect::<Vec<_>>();
        unique.sort_unstable();
        unique.dedup();
        let endpoints = self.endpoints_by_ids(&unique).await?;
        let sql = format!(
            "{} WHERE id IN ({})",
            rows::OUTBOX_SELECT,
            marks(1, event_ids.len())
        );
        let p = event_ids
            .iter()
            .map(|id| Value::from(id.as_str()))
            .collect();
        let events = query(&sql, p)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(rows::event)
            .collect::<StoreResult<Vec<_>>>()?;
        let mut out = Vec::with_capacity(claimed.len());
        for (row, (endpoint_id, event_id)) in
            claimed.iter().zip(endpoint_ids.iter().zip(&event_ids))
        {
            // Both are referenced by the delivery, so they are there.
            let endpoint = endpoints.iter().find(|e| e.id.as_str() == endpoint_id);
            let event = events.iter().find(|e| e.id.as_str() == event_id);
            let (Some(endpoint), Some(event)) = (endpoint, event) else {
                return Err(StoreError::Corrupt(format!(
                    "delivery {endpoint_id}/{event_id} lost its endpoint or event"
                )));
            };
            out.push(ClaimedDelivery {
                endpoint: endpoint.clone(),
                event: event.clone(),
                attempts: row.int("attempts")?,
                created_at: row.ts("created_at")?,
                claim: claim.to_owned(),
            });
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn settle_webhook_delivery(
        &self,
        delivery: &ClaimedDelivery,
        attempt: &DeliveryAttempt,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = query(
            "UPDATE webhook_deliveries SET status = $4, attempts = attempts + 1, \
             next_attempt_at = $5, claim = NULL, claimed_until = NULL, last_attempt_at = $6, \
             last_status_code = $7, last_latency_ms = $8, last_error = $9 \
             WHERE endpoint_id = $1 AND event_id = $2 AND claim = $3",
            params![
                &delivery.endpoint.id,
                &delivery.event.id,
                delivery.claim.as_str(),
                attempt.outcome.as_str(),
                attempt.next_attempt_at,
                attempt.at,
                attempt.status_code,
                attempt.latency_ms,
                attempt.error.as_deref(),
            ],
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if attempt.outcome == DeliveryStatus::Succeeded {
            query(
                "UPDATE webhook_endpoints SET last_success_at = $2 \
                 WHERE id = $1 AND (last_success_at IS NULL OR last_success_at < $2)",
                params![&delivery.endpoint.id, attempt.at],
            )
            .execute(&mut *tx)
            .await?;
        }
        if let Some(reason) = &attempt.disable_reason {
            query(
                "UPDATE webhook_endpoints SET enabled = $3, disabled_reason = $4, updated_at = $5 \
                 WHERE id = $1 AND enabled = $6 \
                 AND (last_success_at IS NULL OR last_success_at < $2)",
                params![
                    &delivery.endpoint.id,
                    delivery.created_at,
                    false,
                    reason.as_str(),
                    attempt.at,
                    true,
                ],
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn webhook_deliveries(
        &self,
        account: &AccountId,
        endpoint: &WebhookEndpointId,
        page: PageRequest<WebhookDeliveryId>,
    ) -> StoreResult<List<WebhookDeliveryRecord>> {
        // An unknown endpoint is a 404, not an empty list.
        self.webhook_endpoint(account, endpoint).await?;
        let select = format!(
            "{} WHERE d.account_id = $1 AND d.endpoint_id = $2",
            rows::DELIVERY_SELECT
        );
        let after = page.starting_after.as_ref().map(|id| id.as_str());
        self.keyset_page(
            &select,
            "d.id",
            params![account, endpoint],
            page.limit,
            after,
            rows::webhook_delivery,
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    async fn redeliver_webhook(
        &self,
        account: &AccountId,
        id: &WebhookDeliveryId,
        now: Timestamp,
    ) -> StoreResult<WebhookDeliveryRecord> {
        let done = query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
             claim = NULL, claimed_until = NULL WHERE account_id = $1 AND id = $2",
            params![account, id, now],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("webhook delivery", id));
        }
        let sql = format!(
            "{} WHERE d.account_id = $1 AND d.id = $2",
            rows::DELIVERY_SELECT
        );
        let row = query(&sql, params![account, id])
            .fetch_one(&self.pool)
            .await?;
        rows::webhook_delivery(&row)
    }
}

/// Fans out up to `limit` events not yet fanned out, oldest first, in `tx`: a delivery for each
/// endpoint of the event's account that wants it, and the event marked. How many events.
pub(in crate::sql) async fn fan_out(
    tx: &mut WriteTx,
    backend: Backend,
    now: Timestamp,
    limit: u32,
) -> StoreResult<usize> {
    let sql = format!(
        "SELECT id, account_id, type, created_at FROM outbox WHERE fanned_out_at IS NULL \
         ORDER BY id LIMIT $1{}",
        skip_locked(backend)
    );
    let events = query(&sql, params![i64::from(limit.max(1))])
        .fetch_all(&mut **tx)
        .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let mut accounts: Vec<String> = events
        .iter()
        .map(|row| row.text("account_id"))
        .collect::<StoreResult<_>>()?;
    accounts.sort_unstable();
    accounts.dedup();
    let sql = format!(
        "SELECT account_id, {} FROM webhook_endpoints WHERE account_id IN ({})",
        rows::WEBHOOK_ENDPOINTS.columns(),
        marks(1, accounts.len())
    );
    let p = accounts.iter().map(|a| Value::from(a.as_str())).collect();
    let endpoints = query(&sql, p)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(rows::webhook_endpoint)
        .collect::<StoreResult<Vec<_>>>()?;

    let mut deliveries = Vec::new();
    let mut ids = Vec::with_capacity(events.len());
    for event in &events {
        let id = event.text("id")?;
        let account: AccountId = event.parsed("account_id")?;
        let kind = event.text("type")?;
        let created_at = event.ts("created_at")?;
        for endpoint in &endpoints {
            if endpoint.account == account
                && endpoint.enabled
                && endpoint.created_at <= created_at
                && endpoint.wants(&kind)
            {
                deliveries.push(params![
                    &WebhookDeliveryId::new(now, entropy()),
                    &account,
                    &endpoint.id,
                    id.as_str(),
                    DeliveryStatus::Pending.as_str(),
                    0i64,
                    now,
                    now,
                ]);
            }
        }
        ids.push(id);
    }
    for chunk in deliveries.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, account_id, endpoint_id, event_id, status, \
             attempts, next_attempt_at, created_at) VALUES {} ON CONFLICT DO NOTHING",
            rows::placeholder_rows(chunk.len(), 8)
        );
        query(&sql, chunk.concat()).execute(&mut **tx).await?;
    }
    let sql = format!(
        "UPDATE outbox SET fanned_out_at = $1 WHERE id IN ({})",
        marks(2, ids.len())
    );
    let mut p = params![now];
    p.extend(ids.iter().map(|id| Value::from(id.as_str())));
    query(&sql, p).execute(&mut **tx).await?;
    Ok(events.len())
}
