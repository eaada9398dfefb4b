-- The billing clock. One row per subscription and billing period it renewed: the key makes a
-- period renew once, whichever node runs the clock, and the row carries the collection of the
-- period's invoice (when it is charged next, and how many charges failed: dunning).
CREATE TABLE billing_renewals (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    subscription_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    -- NULL when the period cost nothing.
    invoice_id TEXT,
    failures BIGINT NOT NULL,
    -- When the invoice is charged (again); NULL once it is paid, or collection gave up.
    next_charge_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, period_start),
    FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions (account_id, id)
);
CREATE INDEX billing_renewals_due ON billing_renewals (next_charge_at)
    WHERE next_charge_at IS NOT NULL;
CREATE INDEX billing_renewals_invoice ON billing_renewals (account_id, invoice_id);

-- A clock worker holds a due subscription while it runs it, and until when: nodes take
-- disjoint subscriptions without a leader. A lease that ran out is taken over.
ALTER TABLE subscriptions ADD COLUMN clock_claim TEXT;
ALTER TABLE subscriptions ADD COLUMN clock_claimed_until BIGINT;
CREATE INDEX subscriptions_period_end ON subscriptions (current_period_end)
    WHERE status <> 'canceled';

-- Test clocks: a vendor's frozen time, which its customers attached to it are billed by. The
-- real clock never runs them; advancing the test clock runs them up to its new time.
CREATE TABLE test_clocks (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    frozen_time BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id)
);
ALTER TABLE customers ADD COLUMN test_clock_id TEXT;
CREATE INDEX customers_test_clock ON customers (account_id, test_clock_id)
    WHERE test_clock_id IS NOT NULL;
