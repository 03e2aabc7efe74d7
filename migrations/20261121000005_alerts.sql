-- Alerts: every state change kept, and a durable outbox of notifications written before
-- any delivery attempt (one row per notification and receiver, unique idempotency key).

CREATE TABLE alert_events (
    id          INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    cluster     TEXT NOT NULL,
    rule        TEXT NOT NULL,
    state       TEXT NOT NULL,          -- pending | firing | resolved
    severity    TEXT NOT NULL,
    summary     TEXT NOT NULL,
    labels      TEXT NOT NULL,          -- JSON object
    at_ms       INTEGER NOT NULL
);
CREATE INDEX alert_events_fp ON alert_events (fingerprint, at_ms);
CREATE INDEX alert_events_at ON alert_events (at_ms);

-- The engine's state, so that a restart neither forgets nor re-fires an alert.
CREATE TABLE alert_state (
    fingerprint TEXT PRIMARY KEY,
    cluster     TEXT NOT NULL,
    body        TEXT NOT NULL           -- JSON of the alert
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL,
    receiver        TEXT NOT NULL,
    payload         TEXT NOT NULL,      -- the exact body sent, rendered once
    created_ms      INTEGER NOT NULL,
    next_attempt_ms INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL DEFAULT 'pending',   -- pending | delivered | dead
    last_error      TEXT,
    delivered_ms    INTEGER,
    UNIQUE (idempotency_key, receiver)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);
