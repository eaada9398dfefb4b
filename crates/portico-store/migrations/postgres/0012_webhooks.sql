-- Webhooks: the vendor's endpoints, and one delivery per event and endpoint, fanned out from the
-- outbox.
CREATE TABLE webhook_endpoints (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The event types it receives, space-separated; NULL for every type.
    event_types TEXT,
    enabled BOOLEAN NOT NULL,
    -- Why Portico disabled it (deliveries kept failing); NULL when the vendor did, or it is on.
    disabled_reason TEXT,
    -- The signing secret, sealed with the master key; the previous one keeps signing until
    -- previous_secret_expires_at after a rotation.
    secret_sealed TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_expires_at BIGINT,
    last_success_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id, id);

CREATE TABLE webhook_deliveries (
    id TEXT COLLATE "C" NOT NULL UNIQUE,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    endpoint_id TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id TEXT COLLATE "C" NOT NULL REFERENCES outbox (id),
    -- pending, succeeded or failed.
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    -- The worker that holds the delivery while it sends it, and until when.
    claim TEXT,
    claimed_until BIGINT,
    last_attempt_at BIGINT,
    last_status_code BIGINT,
    last_latency_ms BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';

-- When an event was fanned out to the endpoints of its account. Events that were stored before
-- webhooks existed count as fanned out: endpoints get what happens after they are made.
ALTER TABLE outbox ADD COLUMN fanned_out_at BIGINT;
UPDATE outbox SET fanned_out_at = created_at;
CREATE INDEX outbox_not_fanned_out ON outbox (id) WHERE fanned_out_at IS NULL;
