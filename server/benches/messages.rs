//! Message inspection benchmark: a broker with `BENCH_MESSAGES` records (default 1 000 000,
//! JSON of ~50 bytes, 20 partitions, three needles), the release console as its own process,
//! then: first-page latency, full scans with a substring, a regex and a CEL filter
//! (messages/s), an unfiltered export, and the console's memory while scanning.
//!
//! The broker is librdkafka's mock cluster on loopback (in memory, so the console's own cost
//! shows), or tansu with `BENCH_BROKER=tansu` (whose Fetch costs grow with the distance to the
//! partition's end, so it bounds the figures).
//!
//! `cargo bench -p kafscope --bench messages` (BENCH_MESSAGES=200000 for a quicker run).

use std::time::{Duration, Instant};

use kafscope::traffic::{self, Tansu};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The mock cluster keeps at most 100 000 records (and 5 MB) per partition: 20 partitions hold
/// a million records of this size without dropping any.
const PARTITIONS: i32 = 20;

/// Samples a process's RSS every 50 ms until stopped; gives the peak.
struct PeakRss {
    on: std::sync::Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<f64>,
}

impl PeakRss {
    fn start(pid: u32) -> PeakRss {
        let on = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = on.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0f64;
            while flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_mb(pid, "VmRSS:"));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            peak
        });
        PeakRss { on, task }
    }

    async fn stop(self) -> f64 {
        self.on.store(false, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap_or(f64::NAN)
    }
}

/// Read an SSE scan to its `done` event; returns (scanned, matched, stopped, seconds).
async fn stream_scan(http: &reqwest::Client, url: &str) -> (u64, u64, String, f64) {
    let t = Instant::now();
    let mut resp = http.get(url).send().await.unwrap();
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(i) = buf.find("event: done\ndata: ") {
            let rest = &buf[i + 18..];
            if let Some(end) = rest.find('\n') {
                let v: serde_json::Value = serde_json::from_str(&rest[..end]).unwrap();
                let s = &v["stats"];
                return (
                    s["scanned"].as_u64().unwrap_or(0),
                    s["matched"].as_u64().unwrap_or(0),
                    s["stopped"].as_str().unwrap_or("").to_string(),
                    t.elapsed().as_secs_f64(),
                );
            }
        }
        // Keep only the tail: matches are not needed here.
        if buf.len() > 1 << 20 {
            buf.drain(..buf.len() - 4096);
        }
    }
    panic!("{url}: the stream ended without a done event")
}

#[tokio::main]
async fn main() {
    let n = env("BENCH_MESSAGES", 1_000_000);
    let on_tansu = std::env::var("BENCH_BROKER").as_deref() == Ok("tansu");
    let (_tansu, _mock, bs) = if on_tansu {
        let tansu = Tansu::start();
        let bs = tansu.bootstrap();
        traffic::create_topics(&bs, &[("bench", PARTITIONS)])
            .await
            .unwrap();
        (Some(tansu), None, bs)
    } else {
        let mock = rdkafka::mocking::MockCluster::new(1).unwrap();
        mock.create_topic("bench", PARTITIONS, 1).unwrap();
        let bs = mock.bootstrap_servers();
        (None, Some(mock), bs)
    };
    println!(
        "broker: {}",
        if on_tansu {
            "tansu 0.6 (sqlite)"
        } else {
            "librdkafka mock cluster"
        }
    );
    let needles = [n / 7, n / 2, n - 5];
    let t = Instant::now();
    tokio::task::spawn_blocking({
        let bs = bs.clone();
        move || {
            let p = traffic::producer(&bs).unwrap();
            for i in 0..n {
                let user = if needles.contains(&i) {
                    "needle".to_string()
                } else {
                    format!("u{}", i % 1000)
                };
                let v = format!(r#"{{"n":{i},"user":"{user}","amount":{}}}"#, i % 997);
                traffic::send(
                    &p,
                    "bench",
                    (i % PARTITIONS as usize) as i32,
                    &format!("k{i}"),
                    v.as_bytes(),
                )
                .unwrap();
            }
            rdkafka::producer::Producer::flush(&p, Duration::from_secs(300)).unwrap();
        }
    })
    .await
    .unwrap();
    println!(
        "setup: {n} records produced in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let dir = tempfile::tempdir().unwrap();
    let port = traffic::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kafscope"))
        .args(["--bootstrap-servers", &bs, "--cluster-name", "bench"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--store-url")
        .arg(format!("sqlite://{}", dir.path().join("k.db").display()))
        .arg("--web-dir")
        .arg(dir.path().join("no-web"))
        .env("KAFSCOPE_LOG", "warn")
        .spawn()
        .expect("starting kafscope");
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ok = http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the console did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let api = format!("{base}/api/v1/clusters/bench/topics/bench/messages");
    println!("console RSS before scans: {:.0} MB", rss_mb(pid, "VmRSS:"));

    // First page: newest 50 over all partitions, and oldest 50 from the start.
    for (label, q) in [
        ("newest 50, all partitions", "?limit=50"),
        (
            "oldest 50 from earliest",
            "?limit=50&order=oldest&from=earliest",
        ),
        ("one record by offset", "/2/1000"),
    ] {
        let mut times = Vec::new();
        for _ in 0..7 {
            let t = Instant::now();
            let r = http.get(format!("{api}{q}")).send().await.unwrap();
            let status = r.status();
            let body = r.bytes().await.unwrap();
            assert!(
                status.is_success(),
                "{q}: {status} {}",
                String::from_utf8_lossy(&body)
            );
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = times[0];
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "first page, {label}: first {first:.0} ms, median of 7 {:.0} ms",
            times[3]
        );
    }

    // Sample the console's memory while the scans run.
    let sampler = PeakRss::start(pid);
    let scan = "order=oldest&from=earliest&limit=100&timeout_ms=600000&max_scan=100000000";
    for (label, filter) in [
        (
            "substring (value_contains, no match)",
            "value_contains=%22zzz%22",
        ),
        (
            "regex (value_regex)",
            "value_regex=%22user%22%3A%22needle%22",
        ),
        (
            "CEL (value.user == 'needle' && value.amount >= 0)",
            "expr=value.user%20%3D%3D%20%27needle%27%20%26%26%20value.amount%20%3E%3D%200",
        ),
    ] {
        let (scanned, matched, stopped, secs) =
            stream_scan(&http, &format!("{api}/stream?{scan}&{filter}")).await;
        assert_eq!((scanned, stopped.as_str()), (n as u64, "end"), "{label}");
        assert_eq!(
            matched,
            if filter.starts_with("value_contains") {
                0
            } else {
                3
            },
            "{label}"
        );
        println!(
            "scan with {label}: {scanned} scanned, {matched} matched, stopped {stopped}, {secs:.2} s = {:.0} messages/s",
            scanned as f64 / secs
        );
    }
    let peak = sampler.stop().await;
    println!(
        "console RSS: peak while scanning (the three scans) {peak:.0} MB, after {:.0} MB",
        rss_mb(pid, "VmRSS:")
    );
    let sampler = PeakRss::start(pid);
    // No filter: an export, every record rendered as a JSON line (capped at 100 MB).
    let t = Instant::now();
    let r = http
        .get(format!(
            "{api}/export?order=oldest&from=earliest&limit=1000000&format=jsonl&max_export_bytes=104857600"
        ))
        .send()
        .await
        .unwrap();
    let rows: u64 = r
        .headers()
        .get("x-kafscope-rows")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    let bytes = r.bytes().await.unwrap().len();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "export without a filter (JSON Lines): {rows} records, {:.0} MB in {secs:.2} s = {:.0} messages/s",
        bytes as f64 / 1e6,
        rows as f64 / secs
    );
    let peak = sampler.stop().await;
    println!(
        "console RSS: peak during the export (spooled to a temporary file) {peak:.0} MB, after {:.0} MB",
        rss_mb(pid, "VmRSS:")
    );
    let _ = child.kill();
    let _ = child.wait();
}
