-- The change log that keeps every node's read cache correct (see portico_store::cache).
-- Each write transaction that changes cached data bumps the one counter row (which orders the
-- writers: a generation is only visible once every smaller one has committed) and records
-- which account, and which customer of it, changed. Nodes read the rows past the last
-- generation they have seen and drop what those rows name.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO change_counter (id, generation) VALUES (1, 0);

CREATE TABLE changes (
    generation BIGINT PRIMARY KEY,
    account_id TEXT NOT NULL,
    -- NULL: something of the whole account changed (settings, keys, catalogue).
    customer_id TEXT,
    changed_at BIGINT NOT NULL
);
CREATE INDEX changes_changed_at ON changes (changed_at);
