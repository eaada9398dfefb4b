-- Where each event's change came from, for the vendor's audit trail: the request's id (as its
-- answer said in x-request-id) and the client's address (the peer's, or the one a trusted proxy
-- reported). Changes made outside a request (the billing clock, the command line), and every
-- event recorded before this migration, have neither.
ALTER TABLE outbox ADD COLUMN request_id TEXT;
ALTER TABLE outbox ADD COLUMN client_ip TEXT;
-- The events of one customer, newest first.
CREATE INDEX outbox_customer ON outbox (account_id, customer_id, id);
-- When a single-task session's task was done: from then on the session shows only its
-- confirmation page.
ALTER TABLE portal_sessions ADD COLUMN flow_completed_at BIGINT;
