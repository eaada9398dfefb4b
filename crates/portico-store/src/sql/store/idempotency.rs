//! Idempotency keys of vendor POSTs.

use super::*;

/// How long an unfinished claim holds its key: longer than any request may run (the server's
/// `request_timeout` is at most an hour), so that a claim this old was left by a process that
/// stopped mid-request, and a retry may take it over instead of waiting for the purge.
const CLAIM_LEASE_SECS: i64 = 3600 + 600;

#[async_trait]
impl IdempotencyStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn idempotency_begin(
        &self,
        account: &AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        let fingerprint = hex::encode(fingerprint);
        // A claim abandoned between our insert and our read is retried; three rounds are
        // plenty, as abandoning needs a whole failed request in between.
        for _ in 0..3 {
            let claimed = query(
                "INSERT INTO idempotency_keys (account_id, key, fingerprint, status, body, \
                 created_at) VALUES ($1, $2, $3, NULL, NULL, $4) \
                 ON CONFLICT (account_id, key) DO NOTHING",
                params![account, key, fingerprint.as_str(), now],
            )
            .execute(&self.pool)
            .await
            .map_err(|e| {
                write_error(
                    e,
                    || format!("idempotency key '{key}'"),
                    no_account(account),
                )
            })?;
            if claimed.rows_affected() == 1 {
                return Ok(IdempotencyBegin::Started);
            }
            let seen = query(
                "SELECT fingerprint, status, body, created_at, committed_at FROM idempotency_keys \
                 WHERE account_id = $1 AND key = $2",
                params![account, key],
            )
            .fetch_optional(&self.pool)
            .await?;
            let Some(seen) = seen else { continue };
            if seen.text("fingerprint")? != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            let claimed_at = seen.ts("created_at")?;
            return Ok(match seen.opt_int("status")? {
                Some(status) => IdempotencyBegin::Replay {
                    status: u16::try_from(status)
                        .map_err(|_| StoreError::Corrupt(format!("idempotency status {status}")))?,
                    body: seen.bytes("body")?.unwrap_or_default(),
                },
                None if seen.opt_ts("committed_at")?.is_some() => {
                    if claimed_at.plus_secs(CLAIM_LEASE_SECS) <= now {
                        IdempotencyBegin::Committed
                    } else {
                        IdempotencyBegin::InProgress
                    }
                }
                None if claimed_at.plus_secs(CLAIM_LEASE_SECS) <= now => {
                    // The request that claimed the key cannot still be running: its process
                    // stopped before it could finish or abandon the claim, and before any change
                    // of it committed. This one takes over, unless another retry did so first.
                    let taken = query(
                        "UPDATE idempotency_keys SET created_at = $4 \
                         WHERE account_id = $1 AND key = $2 AND status IS NULL \
                         AND committed_at IS NULL AND created_at = $3",
                        params![account, key, claimed_at, now],
                    )
                    .execute(&self.pool)
                    .await?;
                    if taken.rows_affected() == 1 {
                        IdempotencyBegin::Started
                    } else {
                        IdempotencyBegin::InProgress
                    }
                }
                None => IdempotencyBegin::InProgress,
            });
        }
        Ok(IdempotencyBegin::InProgress)
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn idempotency_finish(
        &self,
        account: &AccountId,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()> {
        let done = query(
            "UPDATE idempotency_keys SET status = $3, body = $4 \
             WHERE account_id = $1 AND key = $2",
            params![account, key, i64::from(status), body],
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("idempotency key", key));
        }
        Ok(())
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn idempotency_abandon(&self, account: &AccountId, key: &str) -> StoreResult<bool> {
        // Only an unfinished claim with nothing committed under it: a finished answer stays for
        // the replays, and a committed change must not run again.
        let dropped = query(
            "DELETE FROM idempotency_keys \
             WHERE account_id = $1 AND key = $2 AND status IS NULL AND committed_at IS NULL",
            params![account, key],
        )
        .execute(&self.pool)
        .await?;
        Ok(dropped.rows_affected() == 1)
    }
}
