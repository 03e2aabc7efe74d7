//! Scale benchmark (a benchmark, not a test): 10 000 partitions and 1 000 consumer groups,
//! then Kafscope's collector cycle, the Kafka requests it sends per cycle, its memory, the
//! history it writes per day, and a 7-day history query.
//!
//! `cargo bench -p kafscope --bench scale` runs it on a real tansu broker (whose sqlite storage
//! bounds the cycle); `BENCH_BROKER=scripted cargo bench -p kafscope --bench scale` on the
//! scripted protocol-level test broker (tests/common/scripted_broker.rs: three brokers that
//! answer from memory), which shows Kafscope's own cycle time. Env: BENCH_TOPICS,
//! BENCH_PARTITIONS, BENCH_GROUPS, BENCH_CYCLES, BENCH_POLL (poll interval, default 15s),
//! BENCH_STATS=0 (no librdkafka statistics), BENCH_HOLD (seconds to keep the console up),
//! BENCH_ACTIVE=1 (scripted: every partition written and consumed all the time).
//! Prints one table; figures go in the README.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafscope::traffic::{self, Tansu};

#[path = "../tests/common/scripted_broker.rs"]
mod scripted_broker;

use scripted_broker::{Script, ScriptPartition, ScriptTopic, ScriptedCluster};

/// The console process, stopped when dropped (also when the benchmark panics).
struct Console(std::process::Child);

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The broker under the console; kept alive until the end.
#[allow(dead_code)]
enum Broker {
    Tansu(Tansu),
    Scripted(ScriptedCluster),
}

/// Three scripted brokers: `topics × per_topic` partitions (replication 3, one record each)
/// and `groups` groups committed at 0 on ten partitions each.
async fn scripted(topics: usize, per_topic: i32, groups: usize) -> (Broker, String) {
    let names: Vec<String> = (0..topics).map(|i| format!("bench-{i:03}")).collect();
    let script = Script {
        controller: 1,
        topics: names
            .iter()
            .map(|n| ScriptTopic {
                name: n.clone(),
                partitions: (0..per_topic)
                    .map(|p| {
                        let first = p % 3 + 1;
                        let replicas = vec![first, first % 3 + 1, (first + 1) % 3 + 1];
                        ScriptPartition {
                            leader: Some(first),
                            isr: replicas.clone(),
                            replicas,
                            end_offset: 1,
                            size: 1024,
                        }
                    })
                    .collect(),
                configs: vec![("min.insync.replicas".into(), "2".into())],
            })
            .collect(),
        groups: (0..groups)
            .map(|g| {
                let topic = &names[g % topics];
                let base = ((g / topics) as i32 * 10) % per_topic;
                let offs = (0..10)
                    .map(|p| (topic.clone(), (base + p) % per_topic, 0))
                    .collect();
                (format!("bench-group-{g:04}"), offs)
            })
            .collect(),
        // BENCH_ACTIVE=1: every partition is written and every group consumes at 10 msg/s,
        // so no history collapses into the two points an idle series keeps.
        growth: (std::env::var("BENCH_ACTIVE").as_deref() == Ok("1"))
            .then(|| (std::time::Instant::now(), 10)),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    let bs = cluster.bootstrap();
    (Broker::Scripted(cluster), bs)
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
    assert!(
        groups > 0,
        "BENCH_GROUPS must be at least 1 (the history query needs a group)"
    );
    let cycles = env("BENCH_CYCLES", 5);
    let on_scripted = std::env::var("BENCH_BROKER").as_deref() == Ok("scripted");
    let t = Instant::now();
    let (broker, bs) = if on_scripted {
        scripted(topics, per_topic, groups).await
    } else {
        tansu_setup(topics, per_topic, groups).await
    };
    let setup = t.elapsed();
    measure(
        broker,
        bs,
        topics,
        per_topic,
        groups,
        cycles,
        setup,
        on_scripted,
    )
    .await;
}

/// tansu with the topics, one record per partition and the groups' commits.
async fn tansu_setup(topics: usize, per_topic: i32, groups: usize) -> (Broker, String) {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    let names: Vec<String> = (0..topics).map(|i| format!("bench-{i:03}")).collect();
    let specs: Vec<(&str, i32)> = names.iter().map(|n| (n.as_str(), per_topic)).collect();
    for chunk in specs.chunks(10) {
        traffic::create_topics(&bs, chunk)
            .await
            .expect("create topics");
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
                    let offs: Vec<(&str, i32, i64)> = (0..10)
                        .map(|p| (topic.as_str(), (base + p) % per_topic, 0))
                        .collect();
                    traffic::commit(&bs, &format!("bench-group-{g:04}"), &offs).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    (Broker::Tansu(tansu), bs)
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    broker: Broker,
    bs: String,
    topics: usize,
    per_topic: i32,
    groups: usize,
    cycles: usize,
    setup: Duration,
    on_scripted: bool,
) {
    // The console under test runs as its own process, as in production.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let config_path = dir.path().join("kafscope.toml");
    std::fs::write(
        &config_path,
        format!(
            "[store]\nurl = \"sqlite://{}\"\n[[clusters]]\nname = \"bench\"\nbootstrap_servers = \"{bs}\"\npoll_interval = \"{poll}\"\nrequest_timeout = \"30s\"\n[clusters.client]\n\"statistics.interval.ms\" = {stats}\n",
            db.display(),
            // BENCH_POLL: the poll interval (default 15s; shorter fills the trails sooner).
            poll = std::env::var("BENCH_POLL").unwrap_or_else(|_| "15s".into()),
            // librdkafka's statistics count the requests; BENCH_STATS=0 measures memory
            // without them (a console does not enable them by default).
            stats = if std::env::var("BENCH_STATS").as_deref() == Ok("0") { 0 } else { 1000 }
        ),
    )
    .unwrap();
    let port = traffic::free_port();
    // BENCH_BIN: another console binary (e.g. one built without mimalloc); BENCH_WRAP: a
    // program to run it under (e.g. heaptrack).
    let bin = std::env::var("BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_kafscope").into());
    let mut command = match std::env::var("BENCH_WRAP") {
        Ok(wrap) => {
            let mut c = std::process::Command::new(wrap);
            c.arg(&bin);
            c
        }
        Err(_) => std::process::Command::new(&bin),
    };
    let child = Console(
        command
            .arg("--config")
            .arg(&config_path)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--web-dir")
            .arg(dir.path().join("no-web"))
            .env("KAFSCOPE_LOG", "warn")
            .spawn()
            .expect("starting kafscope"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let get_json = |path: String| {
        let http = http.clone();
        async move {
            let r = http.get(path).send().await.ok()?;
            r.json::<serde_json::Value>().await.ok()
        }
    };
    let requests_total = |text: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with("kafscope_kafka_requests_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&db)
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(30)),
        )
        .await
        .unwrap();
    let db_bytes = || {
        let pool = pool.clone();
        async move {
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
            let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
            let size: i64 = sqlx::query_scalar("PRAGMA page_size")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
            pages * size
        }
    };

    // Watch cycles: each new last_poll.at is one finished cycle.
    let mut rows: Vec<(u64, BTreeMap<String, u64>, f64)> = Vec::new();
    let mut last_at = String::new();
    let mut last_requests = f64::NAN;
    let mut bytes_at_1 = 0i64;
    let deadline = Instant::now() + Duration::from_secs(600);
    while rows.len() < cycles + 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let Some(c) = get_json(format!("{base}/api/v1/clusters/bench")).await else {
            continue;
        };
        let at = c["last_poll"]["at"].as_str().unwrap_or("").to_string();
        if at.is_empty() || at == last_at {
            continue;
        }
        last_at = at;
        // Let the statistics of this cycle arrive (emitted every second, drained every second).
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let metrics = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let total = requests_total(&metrics);
        let stages: BTreeMap<String, u64> =
            serde_json::from_value(c["last_poll"]["stages_ms"].clone()).unwrap_or_default();
        rows.push((
            c["last_poll"]["duration_ms"].as_u64().unwrap_or(0),
            stages,
            total - last_requests,
        ));
        last_requests = total;
        if rows.len() == 2 {
            bytes_at_1 = db_bytes().await;
        }
    }
    let bytes_per_cycle =
        (db_bytes().await - bytes_at_1) as f64 / (rows.len().saturating_sub(2)).max(1) as f64;
    let rss_mb = std::fs::read_to_string(format!("/proc/{}/status", child.0.id()))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN);
    let summary = get_json(format!("{base}/api/v1/clusters/bench"))
        .await
        .unwrap_or_default();

    // A week of history for one group as maintenance leaves it: hourly rollups up to two
    // hours ago, minute rollups for the week up to two minutes ago, raw samples since.
    let now = kafscope::collect::now_ms();
    let (hour, minute, day) = (3_600_000i64, 60_000i64, 24 * 3_600_000i64);
    let sid: i64 = sqlx::query_scalar("SELECT MIN(id) FROM group_series")
        .fetch_one(&pool)
        .await
        .unwrap();
    let group: String = sqlx::query_scalar("SELECT group_id FROM group_series WHERE id = ?")
        .bind(sid)
        .fetch_one(&pool)
        .await
        .unwrap();
    let series: Vec<i64> = sqlx::query_scalar("SELECT id FROM group_series WHERE group_id = ?")
        .bind(&group)
        .fetch_all(&pool)
        .await
        .unwrap();
    let (done_1h, done_1m) = (
        now - now.rem_euclid(hour) - hour,
        now - now.rem_euclid(minute) - minute,
    );
    for s in &series {
        // One transaction per series: the console keeps writing its cycles meanwhile.
        let mut tx = pool.begin().await.unwrap();
        for (table, step, from, to) in [
            ("lag_rollup_1h", hour, now - 7 * day, done_1h),
            ("lag_rollup_1m", minute, now - 7 * day, done_1m),
        ] {
            let mut at = from - from.rem_euclid(step);
            while at < to {
                sqlx::query(&format!("INSERT OR REPLACE INTO {table} (series_id, at_ms, committed, lag_max, lag_avg, lag_ms_max, lower_bound) VALUES (?, ?, 0, 5, 5.0, 1000, 0)"))
                    .bind(s).bind(at).execute(&mut *tx).await.unwrap();
                at += step;
            }
        }
        let mut at = now - day;
        while at < now {
            sqlx::query("INSERT OR REPLACE INTO lag_samples (series_id, at_ms, committed, lag, lag_ms, lag_ms_lower_bound) VALUES (?, ?, 0, 5, 1000, 0)")
                .bind(s).bind(at).execute(&mut *tx).await.unwrap();
            at += 10_000;
        }
        tx.commit().await.unwrap();
    }
    for (name, done) in [("1h", done_1h), ("1m", done_1m)] {
        sqlx::query("INSERT OR REPLACE INTO rollup_state (name, done_until) VALUES (?, ?)")
            .bind(name)
            .bind(done)
            .execute(&pool)
            .await
            .unwrap();
    }
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let h = get_json(format!(
            "{base}/api/v1/clusters/bench/consumer-groups/{group}/history?range=7d"
        ))
        .await
        .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        points = h["series"][0]["points"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0);
    }
    // BENCH_HOLD=<seconds>: keep the console (and the brokers) up to inspect its memory.
    let hold = env("BENCH_HOLD", 0);
    if hold > 0 {
        println!("holding for {hold} s: console pid {}", child.0.id());
        tokio::time::sleep(Duration::from_secs(hold as u64)).await;
    }
    drop(child);

    println!(
        "\nKafscope scale benchmark ({}; release build)",
        if on_scripted {
            "scripted protocol-level test broker, three brokers answering from memory"
        } else {
            "tansu 0.6.0 with sqlite storage, one broker"
        }
    );
    println!("setup: {topics} topics × {per_topic} partitions, {groups} groups × 10 partitions, in {:.0} s", setup.as_secs_f64());
    println!(
        "seen by the console: {} partitions, {} groups\n",
        summary["partitions"], summary["consumer_groups"]
    );
    println!("| cycle | duration ms | Kafka requests | stages (ms) |");
    println!("|---|---|---|---|");
    for (i, (ms, stages, reqs)) in rows.iter().enumerate() {
        let st: Vec<String> = stages.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let reqs = if reqs.is_nan() {
            "—".to_string()
        } else {
            format!("{reqs:.0}")
        };
        println!("| {i} | {ms} | {reqs} | {} |", st.join(", "));
    }
    let steady: Vec<f64> = rows.iter().skip(1).map(|r| r.0 as f64).collect();
    let own: Vec<f64> = rows
        .iter()
        .skip(1)
        .map(|r| {
            ["build", "store", "group_offsets", "list_groups", "metadata"]
                .iter()
                .map(|k| r.1.get(*k).copied().unwrap_or(0) as f64)
                .sum()
        })
        .collect();
    println!(
        "\nsteady cycle (median after the first): {:.0} ms",
        median(steady)
    );
    println!("  metadata, groups, committed offsets, snapshot build and history write: {:.0} ms (the rest is the broker answering ListOffsets)", median(own));
    println!("console RSS after the cycles: {rss_mb:.0} MB");
    println!(
        "history written: {:.2} MB per cycle → {:.1} GB per day of raw samples at a 10 s poll (kept 24 h by default, then rolled up)",
        bytes_per_cycle / 1e6,
        bytes_per_cycle * 8640.0 / 1e9
    );
    println!("7-day history query over HTTP (group of {} partitions, {points} points): median {:.1} ms of 20", series.len(), median(times));
    if let Broker::Scripted(c) = &broker {
        println!("requests the scripted brokers answered: {:?}", c.requests());
    }
    drop(broker);
}
