-- Portico's first schema on PostgreSQL: accounts, API keys, billing records and idempotency keys.
--
-- Append-only: once shipped, change the schema with a new migration, never by editing this one
-- (its checksum is recorded and a changed file stops start-up).
--
-- Column types are TEXT, BIGINT, BOOLEAN and BYTEA only, the types sqlx's Any driver reads on
-- both backends. Times are unix milliseconds, ids are TEXT, money is BIGINT minor units,
-- documents are JSON text (not JSONB, which the Any driver cannot read).
--
-- Ids use the "C" collation: lists are ordered by id (ids sort by creation time), and cursor
-- comparisons (id < $n) must compare bytes as SQLite does, whatever the cluster's locale.
--
-- Every tenant table carries account_id, and references between tenant rows are composite
-- foreign keys (account_id, x_id) so that a row can never point into another account.

CREATE TABLE accounts (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    subdomain TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    -- The last invoice number handed out; bumped in the transaction that inserts the invoice.
    invoice_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    -- Hex SHA-256 of the secret; the secret itself is never stored.
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT,
    UNIQUE (account_id, id)
);

CREATE TABLE customers (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    alias TEXT,
    name TEXT NOT NULL,
    email TEXT,
    currency TEXT NOT NULL,
    address TEXT NOT NULL,
    tax_id TEXT,
    portal_enabled BOOLEAN NOT NULL,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    UNIQUE (account_id, id)
);
-- A deleted customer gives its alias back.
CREATE UNIQUE INDEX customers_alias ON customers (account_id, alias) WHERE deleted_at IS NULL;
CREATE INDEX customers_email ON customers (account_id, email);

CREATE TABLE contacts (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    external_id TEXT,
    email TEXT NOT NULL,
    name TEXT,
    portal_access BOOLEAN NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id)
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (account_id, external_id)
    WHERE deleted_at IS NULL;
CREATE INDEX contacts_customer ON contacts (account_id, customer_id, id);

CREATE TABLE products (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    description TEXT,
    self_service BOOLEAN NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id)
);

CREATE TABLE plans (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    product_id TEXT COLLATE "C" NOT NULL,
    name TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    interval_count BIGINT NOT NULL,
    unit_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    self_service BOOLEAN NOT NULL,
    trial_days BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, product_id) REFERENCES products (account_id, id)
);
CREATE INDEX plans_product ON plans (account_id, product_id, id);

CREATE TABLE subscriptions (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    plan_id TEXT COLLATE "C" NOT NULL,
    quantity BIGINT NOT NULL,
    status TEXT NOT NULL,
    current_period_start BIGINT NOT NULL,
    current_period_end BIGINT NOT NULL,
    trial_end BIGINT,
    cancel_at_period_end BOOLEAN NOT NULL,
    canceled_at BIGINT,
    cancel_reason TEXT,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, plan_id) REFERENCES plans (account_id, id)
);
CREATE INDEX subscriptions_customer ON subscriptions (account_id, customer_id, id);
CREATE INDEX subscriptions_plan ON subscriptions (account_id, plan_id);

CREATE TABLE invoices (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    number TEXT NOT NULL,
    customer_id TEXT COLLATE "C" NOT NULL,
    subscription_id TEXT COLLATE "C",
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    tax_rate_bps BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    amount_paid BIGINT NOT NULL,
    amount_due BIGINT NOT NULL,
    issued_at BIGINT,
    due_at BIGINT,
    paid_at BIGINT,
    metadata TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    UNIQUE (account_id, number),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, subscription_id) REFERENCES subscriptions (account_id, id)
);
CREATE INDEX invoices_customer ON invoices (account_id, customer_id, id);
CREATE INDEX invoices_subscription ON invoices (account_id, subscription_id, id);

CREATE TABLE payment_methods (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    brand TEXT,
    last4 TEXT NOT NULL,
    exp_month BIGINT,
    exp_year BIGINT,
    is_default BOOLEAN NOT NULL,
    provider_ref TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Removed payment methods stay, so that past transactions still say how they were paid.
    deleted_at BIGINT,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id)
);
CREATE INDEX payment_methods_customer ON payment_methods (account_id, customer_id, id);
-- At most one default per customer, whatever the interleaving of concurrent writers.
CREATE UNIQUE INDEX payment_methods_default ON payment_methods (account_id, customer_id)
    WHERE is_default AND deleted_at IS NULL;

CREATE TABLE transactions (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    invoice_id TEXT COLLATE "C",
    payment_method_id TEXT COLLATE "C",
    description TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, invoice_id) REFERENCES invoices (account_id, id),
    FOREIGN KEY (account_id, payment_method_id) REFERENCES payment_methods (account_id, id)
);
CREATE INDEX transactions_customer ON transactions (account_id, customer_id, id);
CREATE INDEX transactions_invoice ON transactions (account_id, invoice_id, id);
CREATE INDEX transactions_payment_method ON transactions (account_id, payment_method_id);

CREATE TABLE idempotency_keys (
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    key TEXT NOT NULL,
    -- Hex SHA-256 of the request's method, path and body.
    fingerprint TEXT NOT NULL,
    -- NULL until the request has finished.
    status BIGINT,
    body BYTEA,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
