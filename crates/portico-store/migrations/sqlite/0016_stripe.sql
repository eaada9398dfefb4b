-- The provider events an account has acted on, by the provider's id of each: an event that
-- comes again (providers deliver at least once) changes nothing more.
CREATE TABLE provider_events (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, provider, event_id)
);
