//! Broker metric history: one sample per broker and known metric per cycle, rolled up with
//! the lag history (see `rollup`), read back per broker or summed over the cluster.

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Row, Sqlite};

use super::{cluster_id, rollup, SeriesCache, Store, StoreError, ROWS_PER_STATEMENT};

/// A bucket of one metric series: (bucket start, mean, max).
pub type MetricBucket = (i64, f64, f64);

/// What to read: one broker or the whole cluster (sum over brokers), some metrics, a range.
#[derive(Debug, Clone)]
pub struct MetricQuery {
    pub broker: Option<i32>,
    pub metrics: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub step_ms: i64,
}

impl Store {
    /// Write one cycle's broker metrics in one transaction.
    pub async fn write_metrics(
        &self,
        cluster: &str,
        at_ms: i64,
        by_broker: &BTreeMap<i32, BTreeMap<String, f64>>,
    ) -> Result<(), StoreError> {
        let at: BTreeMap<i32, i64> = by_broker.keys().map(|b| (*b, at_ms)).collect();
        self.write_metric_reads(cluster, &at, by_broker).await
    }

    /// Like [`Store::write_metrics`], each broker's samples stamped with the time they were
    /// read. Writing the same read again replaces it.
    pub async fn write_metric_reads(
        &self,
        cluster: &str,
        read_at: &BTreeMap<i32, i64>,
        by_broker: &BTreeMap<i32, BTreeMap<String, f64>>,
    ) -> Result<(), StoreError> {
        let rows: Vec<(i32, &str, f64, i64)> = by_broker
            .iter()
            .filter_map(|(b, m)| Some((b, m, *read_at.get(b)?)))
            .flat_map(|(b, m, at)| m.iter().map(move |(k, v)| (*b, k.as_str(), *v, at)))
            .filter(|(_, _, v, _)| v.is_finite())
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let mut cache = self.cache.lock().await;
        let mut tx = self.pool().begin().await?;
        let result = write(&mut tx, &mut cache, cluster, &rows).await;
        let result = match result {
            Ok(()) => tx.commit().await.map_err(StoreError::from),
            Err(e) => Err(e),
        };
        if result.is_err() {
            *cache = SeriesCache::default();
        }
        result
    }

    /// Metric history bucketed by `step_ms`, read from the coarsest stored resolution the
    /// step allows. Keyed by metric; each series is (broker or `None` for the sum, buckets).
    pub async fn metric_history(
        &self,
        cluster: &str,
        q: &MetricQuery,
    ) -> Result<BTreeMap<String, Vec<MetricBucket>>, StoreError> {
        let done = |name: &'static str| async move {
            sqlx::query("SELECT done_until FROM rollup_state WHERE name = ?")
                .bind(name)
                .fetch_optional(self.pool())
                .await
                .map(|r| r.map(|r| r.get::<i64, _>(0)).unwrap_or(i64::MIN))
        };
        let (done_1m, done_1h) = (done("1m").await?, done("1h").await?);
        let mut segments: Vec<(&str, &str, &str, i64, i64)> = Vec::new();
        let mut start = q.from_ms;
        if q.step_ms >= rollup::HOUR_MS && start < done_1h {
            let end = q.to_ms.min(done_1h);
            segments.push(("metric_rollup_1h", "s.avg", "s.max", start, end));
            start = end;
        }
        if q.step_ms >= rollup::MINUTE_MS && start < done_1m && start < q.to_ms {
            let end = q.to_ms.min(done_1m);
            segments.push(("metric_rollup_1m", "s.avg", "s.max", start, end));
            start = end;
        }
        if start < q.to_ms {
            segments.push(("metric_samples", "s.value", "s.value", start, q.to_ms));
        }
        // (metric, at_ms) → (sum of means, sum of maxes) over the brokers selected.
        let mut points: BTreeMap<(String, i64), (f64, f64)> = BTreeMap::new();
        for (table, avg, max, from, to) in segments {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT m.metric, s.at_ms, SUM({avg}), SUM({max}) FROM {table} s
                 JOIN metric_series m ON m.id = s.series_id
                 JOIN clusters c ON c.id = m.cluster_id
                 WHERE c.name = "
            ));
            qb.push_bind(cluster);
            if let Some(b) = q.broker {
                qb.push(" AND m.broker = ").push_bind(b);
            }
            qb.push(" AND s.at_ms >= ").push_bind(from);
            qb.push(" AND s.at_ms < ").push_bind(to);
            qb.push(" AND m.metric IN (");
            let mut sep = qb.separated(", ");
            for m in &q.metrics {
                sep.push_bind(m);
            }
            qb.push(") GROUP BY m.metric, s.at_ms");
            for r in qb.build().fetch_all(self.pool()).await? {
                points.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
            }
        }
        let step = q.step_ms.max(1);
        let mut out: BTreeMap<String, Vec<MetricBucket>> = BTreeMap::new();
        // Bucket: mean of the means, max of the maxes.
        let mut acc: BTreeMap<(String, i64), (f64, usize, f64)> = BTreeMap::new();
        for ((metric, at), (avg, max)) in points {
            let bucket = at - at.rem_euclid(step);
            let e = acc.entry((metric, bucket)).or_insert((0.0, 0, f64::MIN));
            e.0 += avg;
            e.1 += 1;
            e.2 = e.2.max(max);
        }
        for ((metric, bucket), (sum, n, max)) in acc {
            out.entry(metric)
                .or_default()
                .push((bucket, sum / n as f64, max));
        }
        Ok(out)
    }
}

async fn write(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    cache: &mut SeriesCache,
    cluster: &str,
    rows: &[(i32, &str, f64, i64)],
) -> Result<(), StoreError> {
    let cid = cluster_id(tx, cache, cluster).await?;
    let missing: Vec<&(i32, &str, f64, i64)> = rows
        .iter()
        .filter(|(b, m, _, _)| !cache.metrics.contains_key(&(cid, *b, m.to_string())))
        .collect();
    if !missing.is_empty() {
        for chunk in missing.chunks(ROWS_PER_STATEMENT) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT OR IGNORE INTO metric_series (cluster_id, broker, metric) ",
            );
            qb.push_values(chunk, |mut b, (broker, metric, _, _)| {
                b.push_bind(cid).push_bind(*broker).push_bind(*metric);
            });
            qb.build().execute(&mut **tx).await?;
        }
        let found =
            sqlx::query("SELECT id, broker, metric FROM metric_series WHERE cluster_id = ?")
                .bind(cid)
                .fetch_all(&mut **tx)
                .await?;
        for r in found {
            cache.metrics.insert((cid, r.get(1), r.get(2)), r.get(0));
        }
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT OR REPLACE INTO metric_samples (series_id, at_ms, value) ",
        );
        qb.push_values(chunk, |mut b, (broker, metric, value, at_ms)| {
            let sid = cache.metrics[&(cid, *broker, metric.to_string())];
            b.push_bind(sid).push_bind(*at_ms).push_bind(*value);
        });
        qb.build().execute(&mut **tx).await?;
    }
    Ok(())
}
