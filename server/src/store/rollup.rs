//! Downsampling and retention of the history, done in bounded steps: each call to
//! [`Store::maintain`] rolls up at most a few hours of samples per level and deletes at most
//! a bounded number of expired rows per table, so it never holds the database for long.

use std::time::Duration;

use sqlx::Row;

use super::{Store, StoreError};

/// How long each resolution is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub minute: Duration,
    pub hour: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: Duration::from_secs(24 * 3600),
            minute: Duration::from_secs(7 * 24 * 3600),
            hour: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
/// Most source time rolled up per level per call.
const MAX_SPAN_PER_CALL_MS: i64 = 6 * HOUR_MS;
/// Most rows deleted per table per call.
const MAX_DELETE_PER_CALL: i64 = 20_000;

/// One rollup step: source table → target table at a bucket size.
struct Level {
    name: &'static str,
    lag_from: &'static str,
    lag_to: &'static str,
    lag_select: &'static str,
    offset_from: &'static str,
    offset_to: &'static str,
    metric_from: &'static str,
    metric_to: &'static str,
    /// Mean and max of a metric bucket from the source's columns.
    metric_select: &'static str,
    bucket_ms: i64,
}

const LEVELS: [Level; 2] = [
    Level {
        name: "1m",
        lag_from: "lag_samples",
        lag_to: "lag_rollup_1m",
        lag_select:
            "MAX(committed), MAX(lag), AVG(lag), MAX(lag_ms), MAX(COALESCE(lag_ms_lower_bound, 0))",
        offset_from: "offset_samples",
        offset_to: "offset_rollup_1m",
        metric_from: "metric_samples",
        metric_to: "metric_rollup_1m",
        metric_select: "AVG(value), MAX(value)",
        bucket_ms: MINUTE_MS,
    },
    Level {
        name: "1h",
        lag_from: "lag_rollup_1m",
        lag_to: "lag_rollup_1h",
        lag_select: "MAX(committed), MAX(lag_max), AVG(lag_avg), MAX(lag_ms_max), MAX(lower_bound)",
        offset_from: "offset_rollup_1m",
        offset_to: "offset_rollup_1h",
        metric_from: "metric_rollup_1m",
        metric_to: "metric_rollup_1h",
        metric_select: "AVG(avg), MAX(max)",
        bucket_ms: HOUR_MS,
    },
];

/// What one maintenance call did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MaintenanceReport {
    pub rolled_up_ms: i64,
    pub deleted: i64,
    /// More work is left: call again.
    pub more: bool,
}

impl Store {
    /// Roll up finished buckets and delete expired rows, a bounded amount per call.
    pub async fn maintain(
        &self,
        now_ms: i64,
        retention: Retention,
    ) -> Result<MaintenanceReport, StoreError> {
        let mut report = MaintenanceReport::default();
        for level in &LEVELS {
            let done: Option<i64> =
                sqlx::query("SELECT done_until FROM rollup_state WHERE name = ?")
                    .bind(level.name)
                    .fetch_optional(self.pool())
                    .await?
                    .map(|r| r.get(0));
            let start = match done {
                Some(d) => d,
                None => {
                    let first: Option<i64> = sqlx::query(&format!(
                        "SELECT MIN(m) FROM (SELECT MIN(at_ms) AS m FROM {} \
                         UNION ALL SELECT MIN(at_ms) FROM {})",
                        level.lag_from, level.metric_from
                    ))
                    .fetch_one(self.pool())
                    .await?
                    .get(0);
                    match first {
                        Some(f) => f - f.rem_euclid(level.bucket_ms),
                        None => continue,
                    }
                }
            };
            // Only whole buckets that can no longer receive samples.
            let ready = now_ms - now_ms.rem_euclid(level.bucket_ms) - level.bucket_ms;
            if ready <= start {
                continue;
            }
            let span = (ready - start).min(MAX_SPAN_PER_CALL_MS);
            let end = start + span - span.rem_euclid(level.bucket_ms);
            if end <= start {
                continue;
            }
            let mut tx = self.pool().begin().await?;
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO {to} (series_id, at_ms, committed, lag_max, lag_avg, lag_ms_max, lower_bound)
                 SELECT series_id, at_ms - (at_ms % ?1), {sel} FROM {from}
                 WHERE at_ms >= ?2 AND at_ms < ?3 GROUP BY series_id, at_ms - (at_ms % ?1)",
                to = level.lag_to,
                from = level.lag_from,
                sel = level.lag_select
            ))
            .bind(level.bucket_ms)
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
            // The last end offset of each bucket (what time-lag interpolation needs).
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO {to} (series_id, at_ms, log_start, end_offset)
                 SELECT series_id, at_ms - (at_ms % ?1), MAX(log_start), MAX(end_offset) FROM {from}
                 WHERE at_ms >= ?2 AND at_ms < ?3 GROUP BY series_id, at_ms - (at_ms % ?1)",
                to = level.offset_to,
                from = level.offset_from,
            ))
            .bind(level.bucket_ms)
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
            sqlx::query(&format!(
                "INSERT OR REPLACE INTO {to} (series_id, at_ms, avg, max)
                 SELECT series_id, at_ms - (at_ms % ?1), {sel} FROM {from}
                 WHERE at_ms >= ?2 AND at_ms < ?3 GROUP BY series_id, at_ms - (at_ms % ?1)",
                to = level.metric_to,
                from = level.metric_from,
                sel = level.metric_select,
            ))
            .bind(level.bucket_ms)
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT OR REPLACE INTO rollup_state (name, done_until) VALUES (?, ?)")
                .bind(level.name)
                .bind(end)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            report.rolled_up_ms += end - start;
            report.more |= end < ready;
        }
        let ms = |d: Duration| d.as_millis() as i64;
        // Raw rows are deleted only once rolled up (the 1m watermark passed them).
        let rolled: i64 =
            sqlx::query("SELECT COALESCE(MAX(done_until), 0) FROM rollup_state WHERE name = '1m'")
                .fetch_one(self.pool())
                .await?
                .get(0);
        let rolled_1h: i64 =
            sqlx::query("SELECT COALESCE(MAX(done_until), 0) FROM rollup_state WHERE name = '1h'")
                .fetch_one(self.pool())
                .await?
                .get(0);
        let raw_cut = (now_ms - ms(retention.raw)).min(rolled);
        let minute_cut = (now_ms - ms(retention.minute)).min(rolled_1h);
        let hour_cut = now_ms - ms(retention.hour);
        for (table, cut) in [
            ("lag_samples", raw_cut),
            ("offset_samples", raw_cut),
            ("lag_rollup_1m", minute_cut),
            ("offset_rollup_1m", minute_cut),
            ("lag_rollup_1h", hour_cut),
            ("offset_rollup_1h", hour_cut),
            ("metric_samples", raw_cut),
            ("metric_rollup_1m", minute_cut),
            ("metric_rollup_1h", hour_cut),
        ] {
            let n = sqlx::query(&format!(
                "DELETE FROM {table} WHERE (series_id, at_ms) IN
                 (SELECT series_id, at_ms FROM {table} WHERE at_ms < ? LIMIT ?)"
            ))
            .bind(cut)
            .bind(MAX_DELETE_PER_CALL)
            .execute(self.pool())
            .await?
            .rows_affected() as i64;
            report.deleted += n;
            report.more |= n == MAX_DELETE_PER_CALL;
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::store::metrics::MetricQuery;
    use crate::store::{HistoryQuery, LagSample, OffsetSample};

    const DAY: i64 = 24 * HOUR_MS;

    async fn count(store: &Store, table: &str, before: bool, at: i64) -> i64 {
        let op = if before { "<" } else { ">=" };
        sqlx::query(&format!("SELECT COUNT(*) FROM {table} WHERE at_ms {op} ?"))
            .bind(at)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0)
    }

    #[tokio::test]
    async fn downsamples_incrementally_and_keeps_each_resolution_for_its_retention() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
            .await
            .unwrap();
        let now = 100 * DAY + 30 * MINUTE_MS;
        let step = 5 * MINUTE_MS;
        let mut at = now - 9 * DAY;
        while at < now {
            let i = (at - (now - 9 * DAY)) / step;
            store
                .write_cycle(
                    "c",
                    at,
                    &[OffsetSample {
                        topic: "t".into(),
                        partition: 0,
                        log_start: Some(0),
                        end_offset: 1_000 + i,
                    }],
                    &[LagSample {
                        group_id: "g".into(),
                        topic: "t".into(),
                        partition: 0,
                        committed: Some(1_000),
                        lag: Some(i),
                        lag_ms: Some(i * 1_000),
                        lag_ms_lower_bound: false,
                    }],
                )
                .await
                .unwrap();
            // Two brokers' bytes-in rates: broker 1 rising, broker 2 flat at 10.
            let m = |v: f64| BTreeMap::from([("bytes_in_per_sec".to_string(), v)]);
            store
                .write_metrics("c", at, &BTreeMap::from([(1, m(i as f64)), (2, m(10.0))]))
                .await
                .unwrap();
            at += step;
        }
        // Bounded work per call: it takes several calls to catch up on nine days.
        let mut calls = 0;
        loop {
            let r = store.maintain(now, Retention::default()).await.unwrap();
            calls += 1;
            if !r.more {
                break;
            }
            assert!(calls < 200, "maintenance does not converge");
        }
        assert!(
            calls > 5,
            "one call did everything: not incremental ({calls})"
        );

        // Raw: only the last 24 h. Minutes: only the last 7 days. Hours: all nine days.
        assert_eq!(count(&store, "lag_samples", true, now - DAY).await, 0);
        assert!(count(&store, "lag_samples", false, now - DAY).await > 0);
        assert_eq!(count(&store, "offset_samples", true, now - DAY).await, 0);
        assert_eq!(count(&store, "lag_rollup_1m", true, now - 7 * DAY).await, 0);
        assert!(count(&store, "lag_rollup_1m", false, now - 7 * DAY).await > 0);
        assert!(count(&store, "lag_rollup_1h", true, now - 8 * DAY).await >= 20);

        // A full hour bucket keeps the largest and the mean lag of its 12 samples (rising by
        // one each): max − mean = 5.5. (The first bucket is a half hour.)
        let first_hour: (i64, i64, f64) = {
            let r = sqlx::query(
                "SELECT at_ms, lag_max, lag_avg FROM lag_rollup_1h ORDER BY at_ms LIMIT 1 OFFSET 1",
            )
            .fetch_one(store.pool())
            .await
            .unwrap();
            (r.get(0), r.get(1), r.get(2))
        };
        assert_eq!(first_hour.1 as f64 - first_hour.2, 5.5, "{first_hour:?}");

        // A 9-day chart at 1 h steps spans the whole range, to the last hour, from the
        // hourly rollups plus the minute and raw tail not rolled up yet.
        let h = store
            .group_history(
                "c",
                "g",
                &HistoryQuery {
                    from_ms: now - 9 * DAY,
                    to_ms: now,
                    step_ms: HOUR_MS,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let pts = &h[0].1;
        assert!(pts.len() >= 9 * 24 - 1, "{} points", pts.len());
        let last = pts.last().unwrap();
        assert!(
            last.at_ms >= now - 2 * HOUR_MS,
            "the newest hours are missing"
        );
        // The chart keeps its shape: lag rises steadily across all resolutions.
        assert!(
            pts.windows(2).all(|w| w[1].lag_max >= w[0].lag_max),
            "not monotonic"
        );
        // A 1-day chart at 5 min steps reads raw samples.
        let h = store
            .group_history(
                "c",
                "g",
                &HistoryQuery {
                    from_ms: now - DAY,
                    to_ms: now,
                    step_ms: 5 * MINUTE_MS,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(h[0].1.len() >= 287, "{}", h[0].1.len());

        // Metrics follow the same retention and downsampling.
        assert_eq!(count(&store, "metric_samples", true, now - DAY).await, 0);
        assert_eq!(
            count(&store, "metric_rollup_1m", true, now - 7 * DAY).await,
            0
        );
        assert!(count(&store, "metric_rollup_1h", true, now - 8 * DAY).await >= 40);
        let q = |broker: Option<i32>, step_ms: i64, from_ms: i64| MetricQuery {
            broker,
            metrics: vec!["bytes_in_per_sec".into()],
            from_ms,
            to_ms: now,
            step_ms,
        };
        let b1 = store
            .metric_history("c", &q(Some(1), HOUR_MS, now - 9 * DAY))
            .await
            .unwrap();
        let pts = &b1["bytes_in_per_sec"];
        assert!(pts.len() >= 9 * 24 - 1, "{} points", pts.len());
        assert!(pts.windows(2).all(|w| w[1].1 >= w[0].1), "not monotonic");
        // A full hour of 12 samples rising by one: max − mean = 5.5.
        assert_eq!(pts[1].2 - pts[1].1, 5.5, "{:?}", pts[1]);
        // The cluster series is the sum over brokers.
        let all = store
            .metric_history("c", &q(None, 5 * MINUTE_MS, now - HOUR_MS))
            .await
            .unwrap();
        let one = store
            .metric_history("c", &q(Some(1), 5 * MINUTE_MS, now - HOUR_MS))
            .await
            .unwrap();
        let (a, o) = (&all["bytes_in_per_sec"], &one["bytes_in_per_sec"]);
        assert_eq!(a.len(), o.len());
        assert!(a.iter().zip(o).all(|(a, o)| a.1 == o.1 + 10.0));
        // An unknown metric has no series, not zeros.
        let none = store
            .metric_history(
                "c",
                &MetricQuery {
                    metrics: vec!["nope".into()],
                    ..q(None, HOUR_MS, now - DAY)
                },
            )
            .await
            .unwrap();
        assert!(none.is_empty());
    }
}
