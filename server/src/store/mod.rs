//! The SQLite store: opened once as a pool with WAL and a busy timeout, migrated at start
//! (a failed migration fails the start), and written once per collector cycle in one
//! transaction. Times are unix milliseconds UTC.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::Mutex;

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
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("store migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

type SeriesKey = (String, String, i32);

#[derive(Default)]
struct SeriesCache {
    clusters: HashMap<String, i64>,
    partitions: HashMap<(i64, String, i32), i64>,
    groups: HashMap<(i64, SeriesKey), i64>,
}

/// Handle to the store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    cache: Arc<Mutex<SeriesCache>>,
}

impl Store {
    /// Open (creating if missing) and migrate.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("../migrations").run(&pool).await?;
        Ok(Store {
            pool,
            cache: Arc::new(Mutex::new(SeriesCache::default())),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A cheap query, for readiness.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Write one cycle's samples in one transaction.
    pub async fn write_cycle(
        &self,
        cluster: &str,
        at_ms: i64,
        offsets: &[OffsetSample],
        lags: &[LagSample],
    ) -> Result<(), StoreError> {
        let mut cache = self.cache.lock().await;
        let mut tx = self.pool.begin().await?;
        let cluster_id = match cache.clusters.get(cluster) {
            Some(id) => *id,
            None => {
                sqlx::query("INSERT OR IGNORE INTO clusters (name) VALUES (?)")
                    .bind(cluster)
                    .execute(&mut *tx)
                    .await?;
                let id: i64 = sqlx::query("SELECT id FROM clusters WHERE name = ?")
                    .bind(cluster)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                cache.clusters.insert(cluster.to_string(), id);
                id
            }
        };
        for o in offsets {
            let key = (cluster_id, o.topic.clone(), o.partition);
            let sid = match cache.partitions.get(&key) {
                Some(id) => *id,
                None => {
                    sqlx::query(
                        "INSERT OR IGNORE INTO partition_series (cluster_id, topic, partition) VALUES (?, ?, ?)",
                    )
                    .bind(cluster_id)
                    .bind(&o.topic)
                    .bind(o.partition)
                    .execute(&mut *tx)
                    .await?;
                    let id: i64 = sqlx::query(
                        "SELECT id FROM partition_series WHERE cluster_id = ? AND topic = ? AND partition = ?",
                    )
                    .bind(cluster_id)
                    .bind(&o.topic)
                    .bind(o.partition)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                    cache.partitions.insert(key, id);
                    id
                }
            };
            sqlx::query(
                "INSERT OR REPLACE INTO offset_samples (series_id, at_ms, log_start, end_offset) VALUES (?, ?, ?, ?)",
            )
            .bind(sid)
            .bind(at_ms)
            .bind(o.log_start)
            .bind(o.end_offset)
            .execute(&mut *tx)
            .await?;
        }
        for l in lags {
            let key = (
                cluster_id,
                (l.group_id.clone(), l.topic.clone(), l.partition),
            );
            let sid = match cache.groups.get(&key) {
                Some(id) => *id,
                None => {
                    sqlx::query(
                        "INSERT OR IGNORE INTO group_series (cluster_id, group_id, topic, partition) VALUES (?, ?, ?, ?)",
                    )
                    .bind(cluster_id)
                    .bind(&l.group_id)
                    .bind(&l.topic)
                    .bind(l.partition)
                    .execute(&mut *tx)
                    .await?;
                    let id: i64 = sqlx::query(
                        "SELECT id FROM group_series WHERE cluster_id = ? AND group_id = ? AND topic = ? AND partition = ?",
                    )
                    .bind(cluster_id)
                    .bind(&l.group_id)
                    .bind(&l.topic)
                    .bind(l.partition)
                    .fetch_one(&mut *tx)
                    .await?
                    .get(0);
                    cache.groups.insert(key, id);
                    id
                }
            };
            sqlx::query(
                "INSERT OR REPLACE INTO lag_samples (series_id, at_ms, committed, lag) VALUES (?, ?, ?, ?)",
            )
            .bind(sid)
            .bind(at_ms)
            .bind(l.committed)
            .bind(l.lag)
            .execute(&mut *tx)
            .await?;
        }
        match tx.commit().await {
            Ok(()) => Ok(()),
            Err(e) => {
                // Series inserted in the failed transaction are gone: forget their ids.
                *cache = SeriesCache::default();
                Err(e.into())
            }
        }
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

    /// Close the pool, flushing the WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
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
    }
}
