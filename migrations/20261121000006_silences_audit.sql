-- Silences, acknowledgements, and the audit log of every mutating request.

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    matchers   TEXT NOT NULL,          -- JSON object: label -> value (all must match)
    starts_ms  INTEGER NOT NULL,
    ends_ms    INTEGER NOT NULL,
    author     TEXT NOT NULL,
    comment    TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expired_ms INTEGER                 -- set when ended early
);

CREATE TABLE acks (
    fingerprint TEXT NOT NULL,
    episode_ms  INTEGER NOT NULL,      -- the firing episode acknowledged
    author      TEXT NOT NULL,
    comment     TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    PRIMARY KEY (fingerprint, episode_ms)
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at_ms  INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL               -- JSON
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
