-- Lag history: one sample per group-partition per collector cycle, and one
-- (log start, end offset, time) sample per partition per cycle, for lag in seconds.
-- Series are interned so samples stay small: (series_id, at_ms) is the whole key.

CREATE TABLE clusters (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE partition_series (
    id         INTEGER PRIMARY KEY,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    topic      TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    UNIQUE (cluster_id, topic, partition)
);

CREATE TABLE group_series (
    id         INTEGER PRIMARY KEY,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    group_id   TEXT NOT NULL,
    topic      TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    UNIQUE (cluster_id, group_id, topic, partition)
);

CREATE TABLE offset_samples (
    series_id  INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    log_start  INTEGER,
    end_offset INTEGER NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

-- committed and lag are NULL when the group has no commit on the partition.
CREATE TABLE lag_samples (
    series_id INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    committed INTEGER,
    lag       INTEGER,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;
