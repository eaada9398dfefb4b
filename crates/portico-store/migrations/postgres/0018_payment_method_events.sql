-- The catalogue names what happened to a payment method from the customer's side: a card is
-- attached and detached (no longer created and deleted), and a change of default has its own
-- type. Events already recorded, and endpoints that asked for the old names, take the new ones.
UPDATE outbox SET type = 'payment_method.attached' WHERE type = 'payment_method.created';
UPDATE outbox SET type = 'payment_method.detached' WHERE type = 'payment_method.deleted';
UPDATE webhook_endpoints
SET event_types = TRIM(REPLACE(REPLACE(' ' || event_types || ' ',
    ' payment_method.created ', ' payment_method.attached '),
    ' payment_method.deleted ', ' payment_method.detached '))
WHERE event_types IS NOT NULL;
