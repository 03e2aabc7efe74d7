//! The SQLite store: opened once as a pool with WAL and a busy timeout, migrated at start
//! (a failed migration fails the start), and written once per collector cycle in one
//! transaction. Times are unix milliseconds UTC.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use tokio::sync::Mutex;

pub mod activity;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod episodes;
pub mod metrics;
pub mod plans;
pub mod rollup;
pub mod secrets;
pub mod silences;
pub use rollup::{MaintenanceReport, Retention};

/// One partition's offsets at a cycle.
#[derive(Debug, Clone)]
pub struct OffsetSample {
    pub topic: String,
    pub partition: i32,
    pub log_start: Option<i64>,
    pub end_offset: i64,
}

/// One group-partition's committed offset and lag at a cycle.
#[derive(Debug, Clone)]
pub struct LagSample {
    pub group_id: String,
    pub topic: String,
    pub partition: i32,
    pub committed: Option<i64>,
    pub lag: Option<i64>,
    /// Lag in milliseconds, and whether it is only a lower bound.
    pub lag_ms: Option<i64>,
    pub lag_ms_lower_bound: bool,
}

/// One point of a history answer: the bucket's start, the largest and mean lag in it, and the
/// largest time lag.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    pub at_ms: i64,
    pub lag_max: Option<i64>,
    pub lag_avg: Option<f64>,
    pub lag_ms_max: Option<i64>,
    pub lower_bound: bool,
}

/// Which part of a group a history query covers, and how it is split.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub topic: Option<String>,
    pub partition: Option<i32>,
    /// Split into one series per topic-partition instead of the group total.
    pub by_partition: bool,
    pub from_ms: i64,
    pub to_ms: i64,
    pub step_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The store cannot be used at all: what is wrong and what to do, in one sentence.
    #[error("{0}")]
    Unusable(String),
}

/// What to tell about a store that cannot be opened, from SQLite's primary result code.
fn unusable(url: &str, code: Option<&str>) -> Option<String> {
    let primary = code?.parse::<i32>().ok()? & 0xff;
    Some(match primary {
        // SQLITE_NOTADB, SQLITE_CORRUPT
        26 | 11 => format!(
            "the store {url} is not a SQLite database, or is damaged: move the file aside (Kafscope makes a new one) or set store.url to another file"
        ),
        // SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY
        14 | 3 | 8 => format!(
            "the store {url} cannot be opened for writing: check that its directory exists and that Kafscope may write there"
        ),
        // SQLITE_FULL
        13 => format!("the disk under the store {url} is full: free some space"),
        _ => return None,
    })
}

/// A failed write in words: SQLite's own message ("database or disk is full") without the
/// layers around it.
fn failure_text(e: &StoreError) -> String {
    match e {
        StoreError::Sqlx(sqlx::Error::Database(d)) => d.message().to_string(),
        other => other.to_string(),
    }
}

fn database_code(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.to_string()),
        _ => None,
    }
}

type SeriesKey = (String, String, i32);

#[derive(Default)]
pub(crate) struct SeriesCache {
    clusters: HashMap<String, i64>,
    partitions: HashMap<(i64, String, i32), i64>,
    groups: HashMap<(i64, SeriesKey), i64>,
    metrics: HashMap<(i64, i32, String), i64>,
}

/// Rows per multi-row INSERT: 6 values a row stays well under SQLite's 32 766 variables.
const ROWS_PER_STATEMENT: usize = 1000;

/// The id of a cluster's row, inserted on first use.
pub(crate) async fn cluster_id(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    cache: &mut SeriesCache,
    cluster: &str,
) -> Result<i64, StoreError> {
    if let Some(id) = cache.clusters.get(cluster) {
        return Ok(*id);
    }
    sqlx::query("INSERT OR IGNORE INTO clusters (name) VALUES (?)")
        .bind(cluster)
        .execute(&mut **tx)
        .await?;
    let id: i64 = sqlx::query("SELECT id FROM clusters WHERE name = ?")
        .bind(cluster)
        .fetch_one(&mut **tx)
        .await?
        .get(0);
    cache.clusters.insert(cluster.to_string(), id);
    Ok(id)
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    pub(crate) cache: Arc<Mutex<SeriesCache>>,
    /// The periodic writes (history, alerts) failing: why, and since when.
    failing: Arc<std::sync::Mutex<Option<WriteFailure>>>,
}

/// The store refuses the periodic writes (a full disk, a file made read-only): the first
/// failure's time and the latest error. Cleared by the next write that succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFailure {
    pub since_ms: i64,
    pub error: String,
}

impl Store {
    /// Open (creating if missing) and migrate.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(15))
            .foreign_keys(true)
            // Multi-row statements are long: never echo them into the log.
            .disable_statement_logging();
        let explain = |e: sqlx::Error| match unusable(url, database_code(&e).as_deref()) {
            Some(why) => StoreError::Unusable(why),
            None => StoreError::Sqlx(e),
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // A transaction whose statement or COMMIT failed on a full disk may already be
            // rolled back by SQLite; sqlx's ROLLBACK then fails and it still counts the
            // transaction as open, so the connection's next transaction would be a savepoint
            // inside it whose failure never ends it — a write lock held for good ("database
            // is locked" for every other writer once space returns). Such a connection is
            // closed, not reused. Only a connection that looks in a transaction is pinged
            // (which lets a dropped transaction's queued ROLLBACK run) and asked again:
            // plain reads release without a round trip to the SQLite worker.
            .after_release(|conn, _| {
                Box::pin(async move {
                    if !sqlx::Connection::is_in_transaction(&*conn) {
                        return Ok(true);
                    }
                    sqlx::Connection::ping(&mut *conn).await?;
                    Ok(!sqlx::Connection::is_in_transaction(&*conn))
                })
            })
            .connect_with(opts)
            .await
            .map_err(explain)?;
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .map_err(|e| match e {
                sqlx::migrate::MigrateError::Execute(inner) => explain(inner),
                other => StoreError::Migrate(other),
            })?;
        Ok(Store {
            pool,
            cache: Arc::new(Mutex::new(SeriesCache::default())),
            failing: Default::default(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Whether the periodic writes are failing, and why.
    pub fn write_failure(&self) -> Option<WriteFailure> {
        self.failing.lock().ok().and_then(|f| f.clone())
    }

    /// Note the outcome of a periodic write (see [`Store::write_failure`]).
    pub(crate) fn noted<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if let Ok(mut f) = self.failing.lock() {
            match &r {
                Ok(_) => {
                    if let Some(was) = f.take() {
                        tracing::info!(since_ms = was.since_ms, "the store takes writes again");
                    }
                }
                Err(e) => {
                    let since_ms = f
                        .as_ref()
                        .map(|w| w.since_ms)
                        .unwrap_or_else(crate::collect::now_ms);
                    *f = Some(WriteFailure {
                        since_ms,
                        error: failure_text(e),
                    });
                }
            }
        }
        r
    }

    /// A cheap query, for readiness.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Write one cycle's samples in one transaction, with multi-row statements (a cycle of
    /// 10 000 partitions is a few dozen statements, not 20 000).
    pub async fn write_cycle(
        &self,
        cluster: &str,
        at_ms: i64,
        offsets: &[OffsetSample],
        lags: &[LagSample],
    ) -> Result<(), StoreError> {
        let mut cache = self.cache.lock().await;
        let mut tx = self.pool.begin().await?;
        let result = async {
            let cluster_id = cluster_id(&mut tx, &mut cache, cluster).await?;
            // Intern series not seen yet, in bulk, then reload this cluster's ids.
            let missing_parts: Vec<&OffsetSample> = offsets
                .iter()
                .filter(|o| !cache.partitions.contains_key(&(cluster_id, o.topic.clone(), o.partition)))
                .collect();
            if !missing_parts.is_empty() {
                for chunk in missing_parts.chunks(ROWS_PER_STATEMENT) {
                    let mut qb = QueryBuilder::<Sqlite>::new(
                        "INSERT OR IGNORE INTO partition_series (cluster_id, topic, partition) ",
                    );
                    qb.push_values(chunk, |mut b, o| {
                        b.push_bind(cluster_id).push_bind(&o.topic).push_bind(o.partition);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                let rows = sqlx::query("SELECT id, topic, partition FROM partition_series WHERE cluster_id = ?")
                    .bind(cluster_id)
                    .fetch_all(&mut *tx)
                    .await?;
                for r in rows {
                    cache.partitions.insert((cluster_id, r.get(1), r.get(2)), r.get(0));
                }
            }
            let missing_groups: Vec<&LagSample> = lags
                .iter()
                .filter(|l| {
                    !cache
                        .groups
                        .contains_key(&(cluster_id, (l.group_id.clone(), l.topic.clone(), l.partition)))
                })
                .collect();
            if !missing_groups.is_empty() {
                for chunk in missing_groups.chunks(ROWS_PER_STATEMENT) {
                    let mut qb = QueryBuilder::<Sqlite>::new(
                        "INSERT OR IGNORE INTO group_series (cluster_id, group_id, topic, partition) ",
                    );
                    qb.push_values(chunk, |mut b, l| {
                        b.push_bind(cluster_id)
                            .push_bind(&l.group_id)
                            .push_bind(&l.topic)
                            .push_bind(l.partition);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                let rows = sqlx::query("SELECT id, group_id, topic, partition FROM group_series WHERE cluster_id = ?")
                    .bind(cluster_id)
                    .fetch_all(&mut *tx)
                    .await?;
                for r in rows {
                    cache.groups.insert((cluster_id, (r.get(1), r.get(2), r.get(3))), r.get(0));
                }
            }
            for chunk in offsets.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Sqlite>::new(
                    "INSERT OR REPLACE INTO offset_samples (series_id, at_ms, log_start, end_offset) ",
                );
                qb.push_values(chunk, |mut b, o| {
                    let sid = cache.partitions[&(cluster_id, o.topic.clone(), o.partition)];
                    b.push_bind(sid).push_bind(at_ms).push_bind(o.log_start).push_bind(o.end_offset);
                });
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in lags.chunks(ROWS_PER_STATEMENT) {
                let mut qb = QueryBuilder::<Sqlite>::new(
                    "INSERT OR REPLACE INTO lag_samples (series_id, at_ms, committed, lag, lag_ms, lag_ms_lower_bound) ",
                );
                qb.push_values(chunk, |mut b, l| {
                    let sid = cache.groups[&(cluster_id, (l.group_id.clone(), l.topic.clone(), l.partition))];
                    b.push_bind(sid)
                        .push_bind(at_ms)
                        .push_bind(l.committed)
                        .push_bind(l.lag)
                        .push_bind(l.lag_ms)
                        .push_bind(l.lag_ms_lower_bound);
                });
                qb.build().execute(&mut *tx).await?;
            }
            Ok::<(), StoreError>(())
        }
        .await;
        let result = match result {
            Ok(()) => tx.commit().await.map_err(StoreError::from),
            Err(e) => Err(e),
        };
        if result.is_err() {
            // Series inserted in the failed transaction are gone: forget every cached id.
            *cache = SeriesCache::default();
        }
        self.noted(result)
    }

    /// Lag samples of one group-partition between two times, oldest first:
    /// `(at_ms, committed, lag)`.
    pub async fn lag_samples(
        &self,
        cluster: &str,
        group_id: &str,
        topic: &str,
        partition: i32,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, Option<i64>, Option<i64>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.at_ms, s.committed, s.lag FROM lag_samples s
             JOIN group_series g ON g.id = s.series_id
             JOIN clusters c ON c.id = g.cluster_id
             WHERE c.name = ? AND g.group_id = ? AND g.topic = ? AND g.partition = ?
               AND s.at_ms BETWEEN ? AND ?
             ORDER BY s.at_ms",
        )
        .bind(cluster)
        .bind(group_id)
        .bind(topic)
        .bind(partition)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect())
    }

    /// Lag history of a group: per sample time the group's (or the selected topic's or
    /// partition's) total lag, bucketed by `step`. With `by_partition`, one series per
    /// topic-partition. Each series is `((topic, partition) or None, points)`.
    ///
    /// Reads the coarsest resolution the step allows (raw, 1-minute or 1-hour rollups) and
    /// fills the span not rolled up yet from the finer tables, so the newest data is there.
    #[allow(clippy::type_complexity)]
    pub async fn group_history(
        &self,
        cluster: &str,
        group_id: &str,
        q: &HistoryQuery,
    ) -> Result<Vec<(Option<(String, i32)>, Vec<HistoryPoint>)>, StoreError> {
        let done = |name: &'static str| async move {
            sqlx::query("SELECT done_until FROM rollup_state WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map(|r| r.map(|r| r.get::<i64, _>(0)).unwrap_or(i64::MIN))
        };
        let (done_1m, done_1h) = (done("1m").await?, done("1h").await?);
        let coarsest = if q.step_ms >= rollup::HOUR_MS {
            2
        } else if q.step_ms >= rollup::MINUTE_MS {
            1
        } else {
            0
        };
        // (table, lag, defined, lag_ms, lower bound, from, to)
        let mut segments: Vec<(&str, &str, &str, &str, &str, i64, i64)> = Vec::new();
        let mut start = q.from_ms;
        if coarsest >= 2 && start < done_1h {
            let end = q.to_ms.min(done_1h);
            segments.push((
                "lag_rollup_1h",
                "s.lag_max",
                "s.lag_max",
                "s.lag_ms_max",
                "s.lower_bound",
                start,
                end,
            ));
            start = end;
        }
        if coarsest >= 1 && start < done_1m && start < q.to_ms {
            let end = q.to_ms.min(done_1m);
            segments.push((
                "lag_rollup_1m",
                "s.lag_max",
                "s.lag_max",
                "s.lag_ms_max",
                "s.lower_bound",
                start,
                end,
            ));
            start = end;
        }
        if start < q.to_ms {
            segments.push((
                "lag_samples",
                "s.lag",
                "s.lag",
                "s.lag_ms",
                "s.lag_ms_lower_bound",
                start,
                q.to_ms,
            ));
        }
        let split = if q.by_partition {
            "g.topic, g.partition"
        } else {
            "'', -1"
        };
        // (key, at_ms, total, defined count, lag_ms, lower bound)
        let mut rows: Vec<(
            Option<(String, i32)>,
            i64,
            Option<i64>,
            i64,
            Option<i64>,
            bool,
        )> = Vec::new();
        for (table, lag, defined, lag_ms, lb, from, to) in segments {
            let sql = format!(
                "SELECT {split}, s.at_ms, SUM({lag}), COUNT({defined}), MAX({lag_ms}), MAX({lb})
                 FROM {table} s
                 JOIN group_series g ON g.id = s.series_id
                 JOIN clusters c ON c.id = g.cluster_id
                 WHERE c.name = ?1 AND g.group_id = ?2
                   AND (?3 IS NULL OR g.topic = ?3) AND (?4 IS NULL OR g.partition = ?4)
                   AND s.at_ms >= ?5 AND s.at_ms < ?6
                 GROUP BY 1, 2, s.at_ms"
            );
            let found = sqlx::query(&sql)
                .bind(cluster)
                .bind(group_id)
                .bind(q.topic.as_deref())
                .bind(q.partition)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
            for r in found {
                let topic: String = r.get(0);
                let partition: i64 = r.get(1);
                let defined: i64 = r.get(4);
                let total: Option<i64> = r.get(3);
                rows.push((
                    q.by_partition.then_some((topic, partition as i32)),
                    r.get(2),
                    (defined > 0).then_some(total).flatten(),
                    defined,
                    r.get(5),
                    r.get::<Option<i64>, _>(6) == Some(1),
                ));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        Ok(bucket_rows(rows, q.step_ms.max(1)))
    }

    /// End offsets of every partition of a cluster since `since_ms`, oldest first per
    /// partition: `(topic, partition, at_ms, end_offset)`. Seeds the collector after a restart.
    pub async fn recent_end_offsets(
        &self,
        cluster: &str,
        since_ms: i64,
    ) -> Result<Vec<(String, i32, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.topic, p.partition, s.at_ms, s.end_offset FROM offset_samples s
             JOIN partition_series p ON p.id = s.series_id
             JOIN clusters c ON c.id = p.cluster_id
             WHERE c.name = ? AND s.at_ms >= ?
             ORDER BY s.series_id, s.at_ms",
        )
        .bind(cluster)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    }

    /// Committed offsets of every group-partition of a cluster since `since_ms`, oldest
    /// first per series: `(group, topic, partition, at_ms, committed)`.
    #[allow(clippy::type_complexity)]
    pub async fn recent_commits(
        &self,
        cluster: &str,
        since_ms: i64,
    ) -> Result<Vec<(String, String, i32, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT g.group_id, g.topic, g.partition, s.at_ms, s.committed FROM lag_samples s
             JOIN group_series g ON g.id = s.series_id
             JOIN clusters c ON c.id = g.cluster_id
             WHERE c.name = ? AND s.at_ms >= ? AND s.committed IS NOT NULL
             ORDER BY s.series_id, s.at_ms",
        )
        .bind(cluster)
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect())
    }

    /// Close the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Group sorted `(key, at, total, defined, lag_ms, lower_bound)` rows into step buckets per key.
#[allow(clippy::type_complexity)]
fn bucket_rows(
    rows: Vec<(
        Option<(String, i32)>,
        i64,
        Option<i64>,
        i64,
        Option<i64>,
        bool,
    )>,
    step: i64,
) -> Vec<(Option<(String, i32)>, Vec<HistoryPoint>)> {
    let mut out: Vec<(Option<(String, i32)>, Vec<HistoryPoint>)> = Vec::new();
    // Current bucket: (start, sum of totals, number of totals, max total, max lag_ms, lower bound)
    let mut acc: Option<(i64, i64, i64, Option<i64>, Option<i64>, bool)> = None;
    let close = |acc: &mut Option<(i64, i64, i64, Option<i64>, Option<i64>, bool)>,
                 out: &mut Vec<(Option<(String, i32)>, Vec<HistoryPoint>)>| {
        if let (Some((b, sum, n, max, lag_ms, lb)), Some((_, pts))) = (acc.take(), out.last_mut()) {
            pts.push(HistoryPoint {
                at_ms: b,
                lag_max: max,
                lag_avg: (n > 0).then(|| sum as f64 / n as f64),
                lag_ms_max: lag_ms,
                lower_bound: lb,
            });
        }
    };
    for (key, at, total, _defined, lag_ms, lb) in rows {
        let b = at - at.rem_euclid(step);
        if out.last().map(|(k, _)| k) != Some(&key) {
            close(&mut acc, &mut out);
            out.push((key, Vec::new()));
        } else if acc.as_ref().is_some_and(|(bb, ..)| *bb != b) {
            close(&mut acc, &mut out);
        }
        let e = acc.get_or_insert((b, 0, 0, None, None, false));
        if let Some(t) = total {
            e.1 += t;
            e.2 += 1;
            e.3 = Some(e.3.map_or(t, |m| m.max(t)));
        }
        if let Some(ms) = lag_ms {
            e.4 = Some(e.4.map_or(ms, |m| m.max(ms)));
        }
        e.5 |= lb;
    }
    close(&mut acc, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_and_reads_samples_in_a_real_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("k.db").display());
        let store = Store::open(&url).await.unwrap();
        let offs = vec![OffsetSample {
            topic: "t".into(),
            partition: 0,
            log_start: Some(0),
            end_offset: 10,
        }];
        let lag = |c: Option<i64>, l: Option<i64>| {
            vec![LagSample {
                group_id: "g".into(),
                topic: "t".into(),
                partition: 0,
                committed: c,
                lag: l,
                lag_ms: l.map(|l| l * 1000),
                lag_ms_lower_bound: false,
            }]
        };
        store
            .write_cycle("c", 1_000, &offs, &lag(Some(4), Some(6)))
            .await
            .unwrap();
        store
            .write_cycle("c", 2_000, &offs, &lag(None, None))
            .await
            .unwrap();
        store.close().await;

        // Reopen: history survives, migrations are idempotent.
        let store = Store::open(&url).await.unwrap();
        let rows = store
            .lag_samples("c", "g", "t", 0, 0, 10_000)
            .await
            .unwrap();
        assert_eq!(rows, vec![(1_000, Some(4), Some(6)), (2_000, None, None)]);
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM offset_samples")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 2);

        // A restarted collector can seed its trails from here.
        let ends = store.recent_end_offsets("c", 0).await.unwrap();
        assert_eq!(
            ends,
            vec![
                ("t".to_string(), 0, 1_000, 10),
                ("t".to_string(), 0, 2_000, 10)
            ]
        );
        let commits = store.recent_commits("c", 1_500).await.unwrap();
        assert!(commits.is_empty(), "the 2 s sample had no commit");
        let commits = store.recent_commits("c", 0).await.unwrap();
        assert_eq!(
            commits,
            vec![("g".to_string(), "t".to_string(), 0, 1_000, 4)]
        );

        // History buckets: both samples fall in one 10 s bucket; the null one adds nothing.
        let h = store
            .group_history(
                "c",
                "g",
                &HistoryQuery {
                    from_ms: 0,
                    to_ms: 10_000,
                    step_ms: 10_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(
            h[0].1,
            vec![HistoryPoint {
                at_ms: 0,
                lag_max: Some(6),
                lag_avg: Some(6.0),
                lag_ms_max: Some(6_000),
                lower_bound: false
            }]
        );
        let empty = store
            .group_history(
                "c",
                "other",
                &HistoryQuery {
                    from_ms: 0,
                    to_ms: 10_000,
                    step_ms: 1_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(empty.is_empty());
    }
}
