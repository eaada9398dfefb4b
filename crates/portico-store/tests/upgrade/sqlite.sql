PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);
INSERT INTO _sqlx_migrations VALUES(1,'init','2026-11-30 11:42:12',1,X'4814b96bc12aeb2354db8e0899ab00211e997af4351cc6affcf496633240f1e02ebd3b239725a86bf1bf22b7aac54cfe',3657329);
INSERT INTO _sqlx_migrations VALUES(2,'portal access','2026-11-30 11:42:12',1,X'6a77bd0de2d7fab8e3ca8201ef3767eb7d40f6b3e20df6e0498e6b6291f5c26605ebe622349ef68677cc08411e31b198',1511649);
INSERT INTO _sqlx_migrations VALUES(3,'purge indexes','2026-11-30 11:42:12',1,X'6b2ca61ff8bb81be4125bb3896b83df550647609a4cae3aceaa4224c6e0ee379e2b9a67d307971d36f1b67b81475af24',795228);
INSERT INTO _sqlx_migrations VALUES(4,'changes','2026-11-30 11:42:12',1,X'9e22c9c6d2e055c1cc8d8ecd0d252fa1947d1b2cf73ac3cba7a92c327786f055c2852ba8a67a3391811539b72b0e5da1',578998);
INSERT INTO _sqlx_migrations VALUES(5,'portal entry','2026-11-30 11:42:12',1,X'1a983d1faf844d059cb099a0e030e4defa8c0e6c83d8f8205fdb450c1ebcaae04bfdd3df1b0a71a2c00c5ab16d64522d',874466);
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
INSERT INTO accounts VALUES('acct_01kdvdnazftgvhbhcd6hpxfpfw','upgrade','Upgrade GmbH','{"branding":{"display_name":"Upgrade","logo_url":"https://cdn.example/logo.png","primary_color":"#0055aa","support_email":"help@upgrade.example","support_url":"https://upgrade.example/help"},"features":{"subscriptions":true,"invoices":true,"transactions":true,"payment_methods":true,"account":true,"cancel":false,"plan_change":true,"quantity_change":false},"default_locale":"de","allowed_origins":["https://app.upgrade.example"],"default_return_url":"https://app.upgrade.example/billing","link_reentry":true}',1,1767225601007,1767225602007);
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
INSERT INTO api_keys VALUES('key_01kdvdncxzywax104qwys3ekf2','acct_01kdvdnazftgvhbhcd6hpxfpfw','Backend','customers:read billing:write','e5b6abefe4440ba022b2a6ca2dfa065ce8b0997e3a4d64726c00fd0d1f407374',1767225603007,1767225604007,1767312000007,NULL);
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
INSERT INTO customers VALUES('cus_01kdvdnfvq6vzayaq2da1s2jxe','acct_01kdvdnazftgvhbhcd6hpxfpfw','tenant-42','Acme Ltd','billing@acme.example','EUR','{"line1":"Hauptstr. 1","line2":null,"city":"Berlin","state":null,"postal_code":"10115","country":"DE"}','DE123456789',1,'{"crm":"7"}',1767225606007,1767225606007,NULL);
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
INSERT INTO contacts VALUES('ctc_01kdvdngtz7j22tmzmn9t1qsb5','acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe','user-9','ana@acme.example','Ana',1,'billing',1767225607007,1767225607007,NULL);
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
INSERT INTO products VALUES('prod_01kdvdnht77h69952tvs78fs28','acct_01kdvdnazftgvhbhcd6hpxfpfw','Cloud','Hosted',1,1,1767225608007,1767225608007);
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
INSERT INTO plans VALUES('plan_01kdvdnjsfhbkv5pbm6sjn8bbx','acct_01kdvdnazftgvhbhcd6hpxfpfw','prod_01kdvdnht77h69952tvs78fs28','Pro','year',1,29000,'EUR',1,14,1,1767225609007,1767225609007);
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
INSERT INTO subscriptions VALUES('sub_01kdvdnkrqk3w4qbj7rppgsn79','acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe','plan_01kdvdnjsfhbkv5pbm6sjn8bbx',3,'trialing',1767225610007,1768435210007,1768435210007,1,NULL,NULL,'{"seats":"3"}',1767225610007,1767225610007);
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
INSERT INTO invoices VALUES('inv_01kdvdnmqz5198ta08xb3ycq7z','acct_01kdvdnazftgvhbhcd6hpxfpfw','UPGRADE-0001','cus_01kdvdnfvq6vzayaq2da1s2jxe','sub_01kdvdnkrqk3w4qbj7rppgsn79','paid','EUR','[{"description":"Pro × 3","quantity":3,"unit_amount":29000,"amount":87000,"period_start":null,"period_end":null},{"description":"Discount","quantity":1,"unit_amount":-5000,"amount":-5000,"period_start":null,"period_end":null}]',82000,1900,15580,97580,98175,0,1767225611007,1769817611007,1767225613007,'{"po":"PO-1"}',1767225611007,1767225613007);
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
INSERT INTO payment_methods VALUES('pm_01kdvdnnq7by8jf36gz6r5q3x8','acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe','card','visa','4242',12,2030,1,'pm_test_1',1767225612007,1767225612007,NULL);
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
INSERT INTO transactions VALUES('txn_01kdvdnppf1ekvtwm5w2n94wsh','acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe','payment','succeeded',98175,'EUR','inv_01kdvdnmqz5198ta08xb3ycq7z','pm_01kdvdnnq7by8jf36gz6r5q3x8','Invoice payment',1767225613007,1767225613007);
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
INSERT INTO idempotency_keys VALUES('acct_01kdvdnazftgvhbhcd6hpxfpfw','order-2026-0001','1f58b9145b24d108d7ac38887338b3ea3229833b9c1e418250343f907bfd1047',201,X'7b226964223a226375735f31227d',1767225619007);
CREATE TABLE signing_keys (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    -- The one algorithm the key signs with; verification pins it by kid.
    algorithm TEXT NOT NULL,
    -- Hex of the raw public key.
    public_key TEXT NOT NULL,
    -- The private key sealed with the deployment's master key; useless without it.
    sealed_private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    revoked_at BIGINT,
    UNIQUE (account_id, id)
);
INSERT INTO signing_keys VALUES('sk_01kdvdnewf0m2ga1850m2ga185','acct_01kdvdnazftgvhbhcd6hpxfpfw','EdDSA','000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f','sealed:v1:AAECAwQF',1767225605007,NULL,NULL);
CREATE TABLE portal_sessions (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_id TEXT NOT NULL,
    -- NULL for a session that acts as the customer itself.
    contact_id TEXT,
    -- Space-separated portal scopes.
    scopes TEXT NOT NULL,
    return_url TEXT,
    locale TEXT,
    page TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    issued_by TEXT NOT NULL, entered_at BIGINT,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id)
);
INSERT INTO portal_sessions VALUES('ps_01kdvdnqnq1r70w3ge1r70w3ge','acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe','ctc_01kdvdngtz7j22tmzmn9t1qsb5','subscriptions:read invoices:read payment_methods:read account:read','https://app.upgrade.example/back','de','overview',1767225614007,1769817614007,NULL,'key_01kdvdncxzywax104qwys3ekf2',NULL);
CREATE TABLE redirect_tokens (
    token_sha256 TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    portal_session_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once, by the one exchange that wins.
    used_at BIGINT,
    FOREIGN KEY (account_id, portal_session_id) REFERENCES portal_sessions (account_id, id)
);
INSERT INTO redirect_tokens VALUES('d715a593b814497afe1bf18517bd31efb68c5e3dd5889cf8e2efe4987fa14a93','acct_01kdvdnazftgvhbhcd6hpxfpfw','ps_01kdvdnqnq1r70w3ge1r70w3ge',1767225645007,NULL);
CREATE TABLE browser_sessions (
    cookie_sha256 TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    portal_session_id TEXT NOT NULL,
    -- Hex; the key CSRF tokens are derived from, so the server needs it in clear.
    csrf_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT,
    FOREIGN KEY (account_id, portal_session_id) REFERENCES portal_sessions (account_id, id)
);
INSERT INTO browser_sessions VALUES('d7e83e28a04b537e64424546b14caf9b67bad2f28dabce68116e0d372319fa00','acct_01kdvdnazftgvhbhcd6hpxfpfw','ps_01kdvdnqnq1r70w3ge1r70w3ge','7ce12ba8782a32f74357cefb81edb8c20ea4d755115ecb4063348b8cc9d41f34',1767225616007,1767225617007,NULL);
CREATE TABLE oauth_clients (
    id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (account_id, id)
);
INSERT INTO oauth_clients VALUES('cli_01kdvdnvjqm5569wka8s42ya2t','acct_01kdvdnazftgvhbhcd6hpxfpfw','Zapier','customers:read billing:write','e934524395ab8aa265a88f10538ab034b8196fb8d369e6fe3d519ed16bde4030',1767225618007,NULL);
CREATE TABLE oauth_tokens (
    token_sha256 TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (account_id, client_id) REFERENCES oauth_clients (account_id, id)
);
INSERT INTO oauth_tokens VALUES('0c3d46946bbf99c8213dd7f6c640ed6433bdc056a5b68e7e80f5525311b0ca11','acct_01kdvdnazftgvhbhcd6hpxfpfw','cli_01kdvdnvjqm5569wka8s42ya2t','customers:read billing:write',1767232800007);
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO change_counter VALUES(1,7);
CREATE TABLE changes (
    generation BIGINT PRIMARY KEY,
    account_id TEXT NOT NULL,
    -- NULL: something of the whole account changed (settings, keys, catalogue).
    customer_id TEXT,
    changed_at BIGINT NOT NULL
);
INSERT INTO changes VALUES(1,'acct_01kdvdnazftgvhbhcd6hpxfpfw',NULL,1796038932439);
INSERT INTO changes VALUES(2,'acct_01kdvdnazftgvhbhcd6hpxfpfw',NULL,1796038932440);
INSERT INTO changes VALUES(3,'acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe',1796038932442);
INSERT INTO changes VALUES(4,'acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe',1796038932454);
INSERT INTO changes VALUES(5,'acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe',1796038932455);
INSERT INTO changes VALUES(6,'acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe',1796038932457);
INSERT INTO changes VALUES(7,'acct_01kdvdnazftgvhbhcd6hpxfpfw','cus_01kdvdnfvq6vzayaq2da1s2jxe',1796038932459);
CREATE UNIQUE INDEX customers_alias ON customers (account_id, alias) WHERE deleted_at IS NULL;
CREATE INDEX customers_email ON customers (account_id, email);
CREATE UNIQUE INDEX contacts_external_id ON contacts (account_id, external_id)
    WHERE deleted_at IS NULL;
CREATE INDEX contacts_customer ON contacts (account_id, customer_id, id);
CREATE INDEX plans_product ON plans (account_id, product_id, id);
CREATE INDEX subscriptions_customer ON subscriptions (account_id, customer_id, id);
CREATE INDEX subscriptions_plan ON subscriptions (account_id, plan_id);
CREATE INDEX invoices_customer ON invoices (account_id, customer_id, id);
CREATE INDEX invoices_subscription ON invoices (account_id, subscription_id, id);
CREATE INDEX payment_methods_customer ON payment_methods (account_id, customer_id, id);
CREATE UNIQUE INDEX payment_methods_default ON payment_methods (account_id, customer_id)
    WHERE is_default = 1 AND deleted_at IS NULL;
CREATE INDEX transactions_customer ON transactions (account_id, customer_id, id);
CREATE INDEX transactions_invoice ON transactions (account_id, invoice_id, id);
CREATE INDEX transactions_payment_method ON transactions (account_id, payment_method_id);
CREATE INDEX portal_sessions_customer ON portal_sessions (account_id, customer_id, id);
CREATE INDEX redirect_tokens_expires ON redirect_tokens (expires_at);
CREATE INDEX browser_sessions_ended ON browser_sessions (ended_at);
CREATE INDEX browser_sessions_last_seen ON browser_sessions (last_seen_at);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
CREATE INDEX changes_changed_at ON changes (changed_at);
COMMIT;
