-- When the change of the request that claimed an idempotency key committed: written in the
-- same transaction as the change, so that a claim whose request stopped after its change
-- committed (and before its answer was stored) is never run a second time.
ALTER TABLE idempotency_keys ADD COLUMN committed_at BIGINT;
