-- A change of plan or quantity (or a reactivation) that costs money now waits for its invoice
-- to be paid: the invoice it waits for, and the end of the period it applies for.
ALTER TABLE subscriptions ADD COLUMN scheduled_invoice_id TEXT;
ALTER TABLE subscriptions ADD COLUMN scheduled_period_end BIGINT;
