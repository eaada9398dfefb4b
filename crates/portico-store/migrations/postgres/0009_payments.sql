-- Payments through a provider. Card numbers never reach these tables: payment methods keep the
-- provider's reference, brand, last 4 and expiry (as before), attempts keep the provider's
-- reference of each charge.

-- The provider of each account, and its secret sealed with the deployment's master key (as
-- signing keys are); an account without a row takes no payments in the portal.
CREATE TABLE payment_providers (
    account_id TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES accounts (id),
    provider TEXT NOT NULL,
    -- A key the provider publishes to browsers (Stripe's pk_…); not a secret.
    public_key TEXT,
    sealed_secret TEXT,
    sealed_webhook_secret TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A customer's reference at a provider (Stripe's cus_…), made on first use.
CREATE TABLE payment_provider_customers (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    provider TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, customer_id, provider),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id)
);

-- Each try at charging an invoice, written before the provider is asked and settled after it:
-- a stop in between leaves a pending attempt, which the same idempotency key resumes.
CREATE TABLE payment_attempts (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    invoice_id TEXT COLLATE "C" NOT NULL,
    payment_method_id TEXT COLLATE "C" NOT NULL,
    idempotency_key TEXT NOT NULL,
    provider TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_ref TEXT,
    decline_code TEXT,
    action_url TEXT,
    transaction_id TEXT COLLATE "C",
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    UNIQUE (account_id, idempotency_key),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, invoice_id) REFERENCES invoices (account_id, id),
    FOREIGN KEY (account_id, payment_method_id) REFERENCES payment_methods (account_id, id),
    FOREIGN KEY (account_id, transaction_id) REFERENCES transactions (account_id, id)
);
CREATE INDEX payment_attempts_customer ON payment_attempts (account_id, customer_id, id);
-- One charge of an invoice at a time, whatever the interleaving of concurrent payers.
CREATE UNIQUE INDEX payment_attempts_pending ON payment_attempts (account_id, invoice_id)
    WHERE status = 'pending';
