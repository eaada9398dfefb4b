-- Billing periods are counted from a stored anchor so that they never drift. Existing
-- subscriptions are anchored where their paid periods begin: the end of the trial, else the
-- start of the current period.
ALTER TABLE subscriptions ADD COLUMN billing_cycle_anchor BIGINT;
UPDATE subscriptions SET billing_cycle_anchor = COALESCE(trial_end, current_period_start);
ALTER TABLE subscriptions ALTER COLUMN billing_cycle_anchor SET NOT NULL;
