-- Secrets the server makes for itself when the configuration gives none (the embed-link
-- signing key), so that what they signed survives a restart.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
