-- Indexes for the periodic purge of expired credentials (Store::purge_expired), which would
-- otherwise read these tables whole every ten minutes.
CREATE INDEX redirect_tokens_expires ON redirect_tokens (expires_at);
CREATE INDEX browser_sessions_ended ON browser_sessions (ended_at);
CREATE INDEX browser_sessions_last_seen ON browser_sessions (last_seen_at);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
