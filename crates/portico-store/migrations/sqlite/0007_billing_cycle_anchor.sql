-- Billing periods are counted from a stored anchor so that they never drift. Existing
-- subscriptions are anchored where their paid periods begin: the end of the trial, else the
-- start of the current period. SQLite cannot add a NOT NULL column without a default; every
-- write sets the anchor and the store refuses to read a row without one.
ALTER TABLE subscriptions ADD COLUMN billing_cycle_anchor BIGINT;
UPDATE subscriptions SET billing_cycle_anchor = COALESCE(trial_end, current_period_start);
