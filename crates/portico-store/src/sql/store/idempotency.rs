//! Idempotency keys of vendor POSTs.

use super::*;

#[async_trait]
impl IdempotencyStore for SqlStore {
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
                "SELECT fingerprint, status, body FROM idempotency_keys \
                 WHERE account_id = $1 AND key = $2",
                params![account, key],
            )
            .fetch_optional(&self.pool)
            .await?;
            let Some(seen) = seen else { continue };
            if seen.text("fingerprint")? != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            return Ok(match seen.opt_int("status")? {
                Some(status) => IdempotencyBegin::Replay {
                    status: u16::try_from(status)
                        .map_err(|_| StoreError::Corrupt(format!("idempotency status {status}")))?,
                    body: seen.bytes("body")?.unwrap_or_default(),
                },
                None => IdempotencyBegin::InProgress,
            });
        }
        Ok(IdempotencyBegin::InProgress)
    }
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
    async fn idempotency_abandon(&self, account: &AccountId, key: &str) -> StoreResult<()> {
        // Only an unfinished claim: a finished answer stays for the replays.
        query(
            "DELETE FROM idempotency_keys \
             WHERE account_id = $1 AND key = $2 AND status IS NULL",
            params![account, key],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
