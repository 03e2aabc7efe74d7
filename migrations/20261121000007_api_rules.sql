-- Alert rules created or changed through the API, applied over the configuration's rules
-- at start (in id order of creation).

CREATE TABLE api_rules (
    seq     INTEGER PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    body    TEXT NOT NULL,      -- JSON, the same shape as an [[alerts.rules]] entry
    author  TEXT NOT NULL,
    at_ms   INTEGER NOT NULL
);
