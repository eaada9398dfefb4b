-- A portal link opens one browser session unless the account allows re-entry: the first
-- exchange of a portal session's token sets this, and a second finds it set.
ALTER TABLE portal_sessions ADD COLUMN entered_at BIGINT;
