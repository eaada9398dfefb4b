-- The outbox: every event a use case records, written in the same transaction as the change it
-- describes, so that a change and its event are stored together or not at all. Webhook delivery
-- reads it in id order (ids start with their creation time).
CREATE TABLE outbox (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    type TEXT NOT NULL,
    customer_id TEXT COLLATE "C",
    -- Who made the change: api_key:key_…, oauth_client:cli_…, portal:ps_…, operator, system.
    actor TEXT NOT NULL,
    -- The record right after the change, as the API shows it (JSON).
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_account ON outbox (account_id, id);
