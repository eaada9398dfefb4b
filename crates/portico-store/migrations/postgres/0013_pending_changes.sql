-- A change of plan or quantity (or a reactivation) that costs money now waits for its invoice
-- to be paid: the invoice it waits for, and the end of the period it applies for. No foreign
-- key: invoices already name their subscription, and a cycle would block purging an account.
ALTER TABLE subscriptions ADD COLUMN scheduled_invoice_id TEXT COLLATE "C";
ALTER TABLE subscriptions ADD COLUMN scheduled_period_end BIGINT;
