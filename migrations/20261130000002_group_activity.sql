-- When each consumer group was last active (a committed offset moved, or it had members),
-- and whether it ever was while the console watched: a group abandoned long ago is
-- `inactive`, not an incident, and stays so across restarts.
CREATE TABLE group_activity (
    cluster        TEXT NOT NULL,
    group_id       TEXT NOT NULL,
    first_seen_ms  INTEGER NOT NULL,
    last_active_ms INTEGER,
    seen_active    INTEGER NOT NULL,
    PRIMARY KEY (cluster, group_id)
);
