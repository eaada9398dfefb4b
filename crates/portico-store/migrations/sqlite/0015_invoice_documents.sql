-- What an issued invoice shows of its parties as they were when it was issued: the customer's
-- billing details and the account's settings (seller block, branding). Later edits apply to
-- invoices issued afterwards and never rewrite these. Invoices issued before this table have
-- no row and show their customer as it is now.
CREATE TABLE invoice_documents (
    invoice_id TEXT NOT NULL PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    customer_name TEXT NOT NULL,
    customer_email TEXT,
    customer_address TEXT NOT NULL,
    customer_tax_id TEXT,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The logo on the account's invoices, uploaded through the API (PNG or JPEG, checked).
CREATE TABLE invoice_logos (
    account_id TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id),
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    updated_at BIGINT NOT NULL
);
