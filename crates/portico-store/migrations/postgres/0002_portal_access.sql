-- Portal access on PostgreSQL: signing keys, portal sessions, redirect tokens, browser sessions
-- and OAuth clients with their access tokens.
--
-- Append-only, like 0001, and with its conventions: TEXT and BIGINT columns, ids (and hashes)
-- in the "C" collation, times in unix milliseconds, composite (account_id, x_id) references.
-- Secrets a client presents (redirect tokens, session cookies, OAuth client secrets and tokens)
-- are stored only as hex SHA-256; the lookups by hash are the primary keys.

CREATE TABLE signing_keys (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
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

CREATE TABLE portal_sessions (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    customer_id TEXT COLLATE "C" NOT NULL,
    -- NULL for a session that acts as the customer itself.
    contact_id TEXT COLLATE "C",
    -- Space-separated portal scopes.
    scopes TEXT NOT NULL,
    return_url TEXT,
    locale TEXT,
    page TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    issued_by TEXT NOT NULL,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, customer_id) REFERENCES customers (account_id, id),
    FOREIGN KEY (account_id, contact_id) REFERENCES contacts (account_id, id)
);
CREATE INDEX portal_sessions_customer ON portal_sessions (account_id, customer_id, id);

CREATE TABLE redirect_tokens (
    token_sha256 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    portal_session_id TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once, by the one exchange that wins.
    used_at BIGINT,
    FOREIGN KEY (account_id, portal_session_id) REFERENCES portal_sessions (account_id, id)
);

CREATE TABLE browser_sessions (
    cookie_sha256 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    portal_session_id TEXT COLLATE "C" NOT NULL,
    -- Hex; the key CSRF tokens are derived from, so the server needs it in clear.
    csrf_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at BIGINT,
    FOREIGN KEY (account_id, portal_session_id) REFERENCES portal_sessions (account_id, id)
);

CREATE TABLE oauth_clients (
    id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (account_id, id)
);

CREATE TABLE oauth_tokens (
    token_sha256 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts (id),
    client_id TEXT COLLATE "C" NOT NULL,
    scopes TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (account_id, client_id) REFERENCES oauth_clients (account_id, id)
);
