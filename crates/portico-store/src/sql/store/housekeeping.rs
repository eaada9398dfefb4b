//! Housekeeping: purging what can no longer be used, reporting vendor ids.

use super::*;

#[async_trait]
impl HousekeepingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn id_form_vendor_ids(&self) -> StoreResult<Vec<crate::IdFormVendorId>> {
        crate::sql::vendor_ids::id_form_vendor_ids(&self.pool).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<PurgeCounts> {
        const DAY_SECS: i64 = 24 * 60 * 60;
        let grace = now.minus_secs(DAY_SECS);
        let unseen = now.minus_secs(30 * DAY_SECS);
        // Separate statements, not one transaction: each is atomic by itself and none depends on
        // another, and a long transaction would hold SQLite's write lock against live requests.
        let redirect_tokens = query(
            "DELETE FROM redirect_tokens WHERE expires_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let browser_sessions = query(
            "DELETE FROM browser_sessions WHERE ended_at < $1 OR last_seen_at < $2 \
             OR EXISTS (SELECT 1 FROM portal_sessions p \
             WHERE p.account_id = browser_sessions.account_id \
             AND p.id = browser_sessions.portal_session_id AND p.expires_at < $1)",
            params![grace, unseen],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let oauth_tokens = query(
            "DELETE FROM oauth_tokens WHERE expires_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let idempotency_keys = query(
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            params![grace],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let provider_events = query(
            "DELETE FROM provider_events WHERE received_at < $1",
            params![now.minus_secs(crate::PROVIDER_EVENT_RETENTION_DAYS * DAY_SECS)],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        // SQLite's change log (PostgreSQL has none): nodes read it every second, so a day-old
        // change has long been applied.
        if self.backend == Backend::Sqlite {
            query("DELETE FROM changes WHERE changed_at < $1", params![grace])
                .execute(&self.pool)
                .await?;
        }
        Ok(PurgeCounts {
            redirect_tokens,
            browser_sessions,
            oauth_tokens,
            idempotency_keys,
            provider_events,
        })
    }
}
