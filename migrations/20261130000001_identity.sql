-- Identity and access: server-side sessions (logout and revocation take effect at once),
-- API tokens stored hashed, and an audit log that names the authenticated actor, where the
-- request came from, which cluster it concerned and whether the change was done, refused or
-- failed.

CREATE TABLE sessions (
    id_hash          TEXT PRIMARY KEY,     -- SHA-256 of the cookie value; the value itself is never stored
    kind             TEXT NOT NULL,        -- 'local' or 'oidc'
    subject          TEXT NOT NULL,        -- user name or OIDC subject
    display          TEXT NOT NULL,
    email            TEXT,
    groups           TEXT NOT NULL,        -- JSON array of identity groups
    roles            TEXT NOT NULL,        -- JSON array of a local user's own roles
    csrf             TEXT NOT NULL,        -- token every cookie-authenticated change must carry
    created_ms       INTEGER NOT NULL,
    last_seen_ms     INTEGER NOT NULL,
    expires_ms       INTEGER NOT NULL,     -- absolute end
    refresh_token    TEXT,                 -- OIDC: kept on the server only
    id_token         TEXT,                 -- OIDC: the logout hint
    identity_until_ms INTEGER,             -- OIDC: when the identity must be refreshed
    revoked_ms       INTEGER,
    source_addr      TEXT
);
CREATE INDEX sessions_expiry ON sessions (expires_ms);

CREATE TABLE api_tokens (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,  -- SHA-256 of the token; the token is shown once
    role            TEXT NOT NULL,
    clusters        TEXT NOT NULL,         -- JSON array; empty: all
    topics          TEXT,                  -- regular expression
    consumer_groups TEXT,                  -- regular expression
    created_by      TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER,
    revoked_ms      INTEGER,
    last_used_ms    INTEGER
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_ms IS NULL;

ALTER TABLE audit_log ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'token';
ALTER TABLE audit_log ADD COLUMN source_addr TEXT;
ALTER TABLE audit_log ADD COLUMN cluster TEXT;
ALTER TABLE audit_log ADD COLUMN outcome TEXT NOT NULL DEFAULT 'done';
CREATE INDEX audit_log_actor ON audit_log (actor);
