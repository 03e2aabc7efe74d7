-- Management operations as plans (issue 13): what a change will do, kept with what it did.
-- An executed offset reset keeps its previous offsets here (`body`), so it can be reverted
-- after a restart too.
CREATE TABLE plans (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    -- The topic or group it is about (for lists and for authorisation), when it has one.
    topic         TEXT,
    group_id      TEXT,
    created_by    TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    -- planned | executing | executed | partial | failed | interrupted
    state         TEXT NOT NULL,
    -- The plan as JSON (kafscope_api::Plan; id, state and execution come from the columns).
    body          TEXT NOT NULL,
    -- kafscope_api::Execution as JSON, once executed.
    execution     TEXT,
    -- The plan this one reverts.
    reverts       INTEGER
);
CREATE INDEX plans_by_group ON plans (cluster, group_id, id);
CREATE INDEX plans_by_topic ON plans (cluster, topic, id);
