-- Downsampled history: raw samples are kept 24 h by default, 1-minute buckets 7 days and
-- 1-hour buckets 90 days (configurable). Rollups run incrementally from a watermark per
-- level, so the collector is never stalled by one big aggregation.

CREATE TABLE lag_rollup_1m (
    series_id   INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    committed   INTEGER,
    lag_max     INTEGER,
    lag_avg     REAL,
    lag_ms_max  INTEGER,
    lower_bound INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE lag_rollup_1h (
    series_id   INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    committed   INTEGER,
    lag_max     INTEGER,
    lag_avg     REAL,
    lag_ms_max  INTEGER,
    lower_bound INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE offset_rollup_1m (
    series_id  INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    log_start  INTEGER,
    end_offset INTEGER NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE offset_rollup_1h (
    series_id  INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    log_start  INTEGER,
    end_offset INTEGER NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

-- How far each rollup has been done (exclusive end, unix ms).
CREATE TABLE rollup_state (
    name       TEXT PRIMARY KEY,
    done_until INTEGER NOT NULL
);

-- Retention deletes by time across all series.
CREATE INDEX lag_samples_at ON lag_samples (at_ms);
CREATE INDEX offset_samples_at ON offset_samples (at_ms);
CREATE INDEX lag_rollup_1m_at ON lag_rollup_1m (at_ms);
CREATE INDEX offset_rollup_1m_at ON offset_rollup_1m (at_ms);
CREATE INDEX lag_rollup_1h_at ON lag_rollup_1h (at_ms);
CREATE INDEX offset_rollup_1h_at ON offset_rollup_1h (at_ms);
