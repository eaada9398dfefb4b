-- Further addresses that receive a customer's invoices (a JSON array of e-mail addresses), and
-- the ones an issued invoice went to, kept with its parties. Existing rows have none.
ALTER TABLE customers ADD COLUMN invoice_recipients TEXT NOT NULL DEFAULT '[]';
ALTER TABLE invoice_documents ADD COLUMN customer_invoice_recipients TEXT NOT NULL DEFAULT '[]';
