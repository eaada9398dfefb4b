-- A portal session may be locked to one task (a single-task link): the task as JSON, with what
-- happens once it is done.
ALTER TABLE portal_sessions ADD COLUMN flow TEXT;
-- A subscription whose collection is paused: since when, and when it resumes by itself.
ALTER TABLE subscriptions ADD COLUMN paused_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN pause_resumes_at BIGINT;
