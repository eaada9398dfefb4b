-- Customers change their subscriptions in the portal: a comment beside the cancel reason, a
-- change of plan or quantity scheduled for the end of the period, and the quantities a plan
-- allows a customer to choose.
ALTER TABLE subscriptions ADD COLUMN cancel_comment TEXT;
ALTER TABLE subscriptions ADD COLUMN scheduled_plan_id TEXT COLLATE "C";
ALTER TABLE subscriptions ADD COLUMN scheduled_quantity BIGINT;
ALTER TABLE subscriptions ADD COLUMN scheduled_at BIGINT;
ALTER TABLE subscriptions ADD FOREIGN KEY (account_id, scheduled_plan_id)
    REFERENCES plans (account_id, id);
ALTER TABLE plans ADD COLUMN min_quantity BIGINT NOT NULL DEFAULT 1;
ALTER TABLE plans ADD COLUMN max_quantity BIGINT;
