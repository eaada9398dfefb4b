-- Portico's first schema on SQLite: accounts, API keys, billing records and idempotency keys.
--
-- Append-only: once shipped, change the schema with a new migration, never by editing this one
-- (its checksum is recorded and a changed file stops start-up).
--
-- Column types are TEXT, BIGINT and BLOB only, so that one set of statements reads the same
-- values on both backends through sqlx's Any driver. Booleans are BIGINT 0/1 here because that
-- driver refuses to read a column declared BOOLEAN on SQLite (PostgreSQL keeps real BOOLEANs).
-- Times are unix milliseconds, ids are TEXT, money is BIGINT minor units, documents are JSON text.
--
-- Every tenant table carries account_id, and references between tenant rows are composite
-- foreign keys (account_id, x_id) so that a row can never point into another account.

CREATE TABLE accounts (
    id TEXT NOT NULL PRIMARY KEY,
    subdomain TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    -- The last invoice number handed out; bumped in the transaction that inserts the invoice.
    invoice_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
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
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    alias TEXT,
    name TEXT NOT NULL,
    email TEXT,
    currency TEXT NOT NULL,
    address TEXT NOT NULL,
    tax_id TEXT,
    portal_enabled BIGINT NOT NULL CHECK (portal_enabled IN (0, 1)),
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
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_id TEXT NOT NULL,
    external_id TEXT,
    email TEXT NOT NULL,
    name TEXT,
    portal_access BIGINT NOT NULL CHECK (portal_access IN (0, 1)),
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
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    description TEXT,
    self_service BIGINT NOT NULL CHECK (self_service IN (0, 1)),
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id)
);

CREATE TABLE plans (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    billing_interval TEXT NOT NULL,
    interval_count BIGINT NOT NULL,
    unit_amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    self_service BIGINT NOT NULL CHECK (self_service IN (0, 1)),
    trial_days BIGINT NOT NULL,
    active BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, product_id) REFERENCES products (account_id, id)
);
CREATE INDEX plans_product ON plans (account_id, product_id, id);

CREATE TABLE subscriptions (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_id TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    status TEXT NOT NULL,
    current_period_start BIGINT NOT NULL,
    current_period_end BIGINT NOT NULL,
    trial_end BIGINT,
    cancel_at_period_end BIGINT NOT NULL CHECK (cancel_at_period_end IN (0, 1)),
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
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    number TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subscription_id TEXT,
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
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    brand TEXT,
    last4 TEXT NOT NULL,
    exp_month BIGINT,
    exp_year BIGINT,
    is_default BIGINT NOT NULL CHECK (is_default IN (0, 1)),
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
    WHERE is_default = 1 AND deleted_at IS NULL;

CREATE TABLE transactions (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    invoice_id TEXT,
    payment_method_id TEXT,
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
    account_id TEXT NOT NULL REFERENCES accounts (id),
    key TEXT NOT NULL,
    -- Hex SHA-256 of the request's method, path and body.
    fingerprint TEXT NOT NULL,
    -- NULL until the request has finished.
    status BIGINT,
    body BLOB,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, key)
);
