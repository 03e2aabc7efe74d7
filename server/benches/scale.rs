//! Scale benchmark (a benchmark, not a test): 10 000 partitions and 1 000 consumer groups on a
//! real tansu broker, then Kafscope's collector cycle, the Kafka requests it sends per cycle,
//! its memory, the history it writes per day, and a 7-day history query.
//!
//! `cargo bench -p kafscope --bench scale` (env: BENCH_TOPICS, BENCH_PARTITIONS, BENCH_GROUPS,
//! BENCH_CYCLES). Prints one table; figures go in the README with this command.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafscope::config::{Cli, Config};
use kafscope::store::HistoryQuery;
use kafscope::traffic::{self, Tansu};
use kafscope::App;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn file_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with("k.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let topics = env("BENCH_TOPICS", 100);
    let per_topic = env("BENCH_PARTITIONS", 100) as i32;
    let groups = env("BENCH_GROUPS", 1000);
    let cycles = env("BENCH_CYCLES", 5);
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();

    let t = Instant::now();
    let names: Vec<String> = (0..topics).map(|i| format!("bench-{i:03}")).collect();
    let specs: Vec<(&str, i32)> = names.iter().map(|n| (n.as_str(), per_topic)).collect();
    for chunk in specs.chunks(10) {
        traffic::create_topics(&bs, chunk).await.expect("create topics");
    }
    // One record in every partition, and every group committed on ten partitions.
    {
        let (bs, names) = (bs.clone(), names.clone());
        tokio::task::spawn_blocking(move || {
            let p = traffic::producer(&bs).unwrap();
            for n in &names {
                for part in 0..per_topic {
                    traffic::send(&p, n, part, "k", b"v").unwrap();
                }
            }
            rdkafka::producer::Producer::flush(&p, Duration::from_secs(60)).unwrap();
        })
        .await
        .unwrap();
    }
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (bs, names) = (bs.clone(), names.clone());
            tokio::task::spawn_blocking(move || {
                for g in (w..groups).step_by(8) {
                    let topic = &names[g % topics];
                    let base = ((g / topics) as i32 * 10) % per_topic;
                    let offs: Vec<(&str, i32, i64)> =
                        (0..10).map(|p| (topic.as_str(), (base + p) % per_topic, 0)).collect();
                    traffic::commit(&bs, &format!("bench-group-{g:04}"), &offs).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let setup = t.elapsed();

    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("kafscope.toml");
    std::fs::write(
        &config_path,
        format!(
            "[store]\nurl = \"sqlite://{}\"\n[[clusters]]\nname = \"bench\"\nbootstrap_servers = \"{bs}\"\npoll_interval = \"10s\"\nrequest_timeout = \"30s\"\n[clusters.client]\n\"statistics.interval.ms\" = 100\n",
            dir.path().join("k.db").display()
        ),
    )
    .unwrap();
    let cli = Cli {
        config: Some(config_path),
        cluster_name: "local".into(),
        web_dir: Some(dir.path().join("no-web")),
        ..Default::default()
    };
    let config = Config::load(&cli, &[]).unwrap();
    let app = App::start(&config).await.unwrap();
    let client = app.state.clients[0].1.clone();
    let rx = app.state.clusters[0].1.clone();

    let requests = |c: &BTreeMap<String, i64>| c.values().sum::<i64>();
    let mut rows = Vec::new();
    let mut bytes_before = 0;
    for i in 0..=cycles {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before = client.request_counts();
        let started = Instant::now();
        app.poll_now().await;
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = client.request_counts();
        let mut by_api: BTreeMap<String, i64> = BTreeMap::new();
        for (k, v) in &after {
            let d = v - before.get(k).copied().unwrap_or(0);
            if d > 0 {
                by_api.insert(k.clone(), d);
            }
        }
        let snap = rx.borrow().clone();
        if i == 1 {
            bytes_before = file_bytes(dir.path());
        }
        rows.push((i, took, snap.stages_ms.clone(), requests(&after) - requests(&before), by_api));
    }
    let bytes_per_cycle = (file_bytes(dir.path()) - bytes_before) as f64 / (cycles - 1).max(1) as f64;
    let snap = rx.borrow().clone();
    let partitions = snap.partition_count();
    let group_count = snap.live_groups().count();
    let brokers = snap.brokers.len();

    // A week of history for one group: hourly and minute rollups as maintenance leaves them,
    // plus the raw last day, then the 7-day query the chart makes (default step).
    let store = app.state.store.clone();
    let now = kafscope::collect::now_ms();
    let pool = store.pool();
    let sid: i64 = sqlx::query_scalar("SELECT MIN(id) FROM group_series").fetch_one(pool).await.unwrap();
    let series: Vec<i64> = (sid..sid + 10).collect();
    let mut tx = pool.begin().await.unwrap();
    for s in &series {
        let mut at = now - 7 * 24 * 3_600_000;
        while at < now - 24 * 3_600_000 {
            sqlx::query("INSERT OR REPLACE INTO lag_rollup_1m (series_id, at_ms, committed, lag_max, lag_avg, lag_ms_max, lower_bound) VALUES (?, ?, 0, 5, 5.0, 1000, 0)")
                .bind(s).bind(at).execute(&mut *tx).await.unwrap();
            at += 60_000;
        }
        while at < now {
            sqlx::query("INSERT OR REPLACE INTO lag_samples (series_id, at_ms, committed, lag, lag_ms, lag_ms_lower_bound) VALUES (?, ?, 0, 5, 1000, 0)")
                .bind(s).bind(at).execute(&mut *tx).await.unwrap();
            at += 10_000;
        }
    }
    sqlx::query("INSERT OR REPLACE INTO rollup_state (name, done_until) VALUES ('1m', ?)")
        .bind(now - 24 * 3_600_000)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let group: String = sqlx::query_scalar("SELECT group_id FROM group_series WHERE id = ?").bind(sid).fetch_one(pool).await.unwrap();
    let q = HistoryQuery {
        from_ms: now - 7 * 24 * 3_600_000,
        to_ms: now,
        step_ms: 7 * 24 * 3_600_000 / 240,
        ..Default::default()
    };
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let h = store.group_history("bench", &group, &q).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        points = h[0].1.len();
    }

    println!("\nKafscope scale benchmark (tansu 0.6.0, sqlite storage, {brokers} broker)");
    println!("setup: {topics} topics × {per_topic} partitions, {groups} groups × 10 partitions in {:.0} s", setup.as_secs_f64());
    println!("seen: {partitions} partitions, {group_count} groups\n");
    println!("| cycle | wall ms | requests | stages (ms) |");
    println!("|---|---|---|---|");
    for (i, took, stages, reqs, by_api) in &rows {
        let st: Vec<String> = stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("| {i} | {} | {reqs} ({}) | {} |", took.as_millis(), by_api.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "), st.join(", "));
    }
    let steady: Vec<f64> = rows.iter().skip(2).map(|r| r.1.as_secs_f64() * 1000.0).collect();
    println!("\nsteady cycle (median of cycles 2..): {:.0} ms", median(steady));
    println!("RSS after the cycles: {:.0} MB", rss_mb());
    println!(
        "history written: {:.0} KB per cycle → {:.0} MB per day of raw samples at a 10 s poll",
        bytes_per_cycle / 1024.0,
        bytes_per_cycle * 8640.0 / 1024.0 / 1024.0
    );
    println!("7-day history query (10 partitions, {points} points): median {:.1} ms of 20", median(times));
    drop(tansu);
}
