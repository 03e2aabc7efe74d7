-- Broker metrics history (Prometheus endpoints, Jolokia), kept and downsampled with the
-- same machinery and retention as lag: raw samples, 1-minute and 1-hour rollups.

CREATE TABLE metric_series (
    id         INTEGER PRIMARY KEY,
    cluster_id INTEGER NOT NULL REFERENCES clusters(id),
    broker     INTEGER NOT NULL,
    metric     TEXT NOT NULL,
    UNIQUE (cluster_id, broker, metric)
);

CREATE TABLE metric_samples (
    series_id INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE metric_rollup_1m (
    series_id INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    avg       REAL NOT NULL,
    max       REAL NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

CREATE TABLE metric_rollup_1h (
    series_id INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    avg       REAL NOT NULL,
    max       REAL NOT NULL,
    PRIMARY KEY (series_id, at_ms)
) WITHOUT ROWID;

-- Retention deletes and rollups scan by time.
CREATE INDEX metric_samples_at ON metric_samples (at_ms);
CREATE INDEX metric_rollup_1m_at ON metric_rollup_1m (at_ms);
CREATE INDEX metric_rollup_1h_at ON metric_rollup_1h (at_ms);
