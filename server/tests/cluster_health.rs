//! Cluster health end to end: broker metrics from a real HTTP endpoint and a real Jolokia
//! handler, replication problems on librdkafka's mock cluster, all read through the API.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{problem, Tansu, TestApp};
use kafscope::traffic;
use rdkafka::mocking::MockCluster;
use serde_json::Value;

const STRIMZI: &str = include_str!("fixtures/prometheus/strimzi_style_SYNTHETIC.prom");

/// A real HTTP metrics endpoint serving `body` on 127.0.0.1; abort the task to take it down.
async fn serve_metrics(body: &'static str) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app =
        axum::Router::new().route("/metrics", axum::routing::get(move || async move { body }));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}/metrics"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_endpoint_metrics_reach_the_broker_and_vanish_when_it_goes_down() {
    let tansu = Tansu::start();
    traffic::create_topics(&tansu.bootstrap(), &[("orders", 2)])
        .await
        .unwrap();
    let (url, server) = serve_metrics(STRIMZI).await;
    let t = TestApp::start_with(&tansu.bootstrap(), "1s", |cli| {
        cli.metrics_url = vec![url.clone()];
    })
    .await;
    // tansu's only broker is 111 at 127.0.0.1: the endpoint's host matches it.
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["under_replicated_partitions"] == 2.0,
        )
        .await;
    assert_eq!(b["metrics"]["under_min_isr_partitions"], 1.0);
    assert_eq!(b["metrics"]["request_handler_idle_ratio"], 0.75);
    // Not exported by this endpoint: unavailable, not 0.
    assert!(b["metrics"]["offline_partitions"].is_number());
    assert!(b["metrics"]["disk_free_bytes"].is_null());
    assert_eq!(b["endpoints"][0]["broker"], 111);
    assert!(b["endpoints"][0]["error"].is_null());
    assert!(b["endpoints"][0]["metrics_found"].as_u64().unwrap() >= 10);
    assert_eq!(b["log_size_source"], "metrics");
    // A counter gives a rate from the second scrape on (the fixture does not change: 0/s).
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["bytes_in_per_sec"].is_number(),
        )
        .await;
    assert_eq!(b["metrics"]["bytes_in_per_sec"], 0.0);

    let (_, health) = t.get("/api/v1/clusters/test/health").await;
    let urp = problem(&health, "metrics_under_replicated").expect("URP problem");
    assert_eq!(
        urp["message"],
        "Broker 111 reports 2 under-replicated partitions it leads (UnderReplicatedPartitions)"
    );
    assert_eq!(urp["brokers"], serde_json::json!([111]));
    assert_eq!(
        problem(&health, "metrics_under_min_isr").unwrap()["severity"],
        "critical"
    );
    assert_eq!(health["verdict"], "critical");
    assert_eq!(health["active_controller_count"], 1.0);
    let (_, summary) = t.get("/api/v1/clusters/test").await;
    assert_eq!(summary["health"], "critical");
    assert_eq!(summary["status"], "degraded");
    // The brokers' own count is in the summary beside the metadata's.
    assert_eq!(summary["metrics_under_replicated_partitions"], 2.0);
    assert_eq!(summary["under_replicated_partitions"], 0);
    assert!(summary["critical_problems"].as_u64().unwrap() >= 1);
    // The topic's size comes from the endpoint's log sizes (orders: 1 MiB + 2 MiB).
    let (_, topic) = t.get("/api/v1/clusters/test/topics?q=orders").await;
    assert_eq!(topic["items"][0]["size_bytes"], 3_145_728);
    assert_eq!(topic["items"][0]["size_source"], "metrics");
    // History was recorded at every poll.
    let (code, hist) = t
        .get("/api/v1/clusters/test/brokers/111/metrics/history?range=15m&step=1s&metrics=under_replicated_partitions")
        .await;
    assert_eq!(code, 200, "{hist}");
    let pts = hist["series"][0]["points"].as_array().unwrap();
    assert!(!pts.is_empty(), "{hist}");
    assert!(pts.iter().all(|p| p["avg"] == 2.0));
    for (path, want) in [
        ("/api/v1/clusters/test/brokers/abc", 400),
        ("/api/v1/clusters/test/brokers/7", 404),
        ("/api/v1/clusters/nope/health", 404),
        (
            "/api/v1/clusters/test/brokers/111/metrics/history?range=soon",
            400,
        ),
    ] {
        let (code, body) = t.get(path).await;
        assert_eq!(code, want, "{path}: {body}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    let (code, bad) = t
        .get("/api/v1/clusters/test/metrics/history?metrics=nope")
        .await;
    assert_eq!(code, 400);
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown metric 'nope'"));

    // Take the endpoint down: every metric becomes unavailable, never 0, and it says why.
    server.abort();
    let _ = server.await;
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["under_replicated_partitions"].is_null(),
        )
        .await;
    assert!(
        b["metrics"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_null),
        "{b}"
    );
    let err = b["endpoints"][0]["error"].as_str().unwrap();
    assert!(err.contains("connect"), "{err}");
    let (_, health) = t.get("/api/v1/clusters/test/health").await;
    assert!(problem(&health, "metrics_under_replicated").is_none());
    assert_eq!(
        problem(&health, "metrics_endpoint_down").unwrap()["severity"],
        "warning"
    );
    assert!(health["active_controller_count"].is_null());
    let (_, summary) = t.get("/api/v1/clusters/test").await;
    assert!(
        summary["metrics_under_replicated_partitions"].is_null(),
        "{summary}"
    );
    t.app.stop().await;
}

/// The real Jolokia handler from Debian's libjolokia-core-java in a test JVM
/// (tests/jolokia/KafkaJolokia.java), answering for Kafka-named MBeans.
struct Jolokia {
    child: Child,
    port: u16,
    props: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

const JARS: &str = "/usr/share/java/jolokia-core.jar:/usr/share/java/json-simple.jar";

impl Jolokia {
    fn start(values: &str) -> Jolokia {
        let dir = tempfile::tempdir().unwrap();
        let src = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/jolokia/KafkaJolokia.java"
        );
        let out = Command::new("javac")
            .args(["-nowarn", "-cp", JARS, "-d"])
            .arg(dir.path())
            .arg(src)
            .output()
            .expect("javac (openjdk-17-jdk-headless) is needed: scripts/test.sh installs it");
        assert!(
            out.status.success(),
            "javac failed (is libjolokia-core-java installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let props = dir.path().join("values.properties");
        std::fs::write(&props, values).unwrap();
        let mut child = Command::new("java")
            .arg("-cp")
            .arg(format!("{}:{JARS}", dir.path().display()))
            .arg("KafkaJolokia")
            .arg("0")
            .arg(&props)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("Jolokia test JVM did not start: {line:?}"));
        Jolokia {
            child,
            port,
            props,
            _dir: dir,
        }
    }

    fn set(&self, values: &str) {
        std::fs::write(&self.props, values).unwrap();
    }
}

impl Drop for Jolokia {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jolokia_reads_the_same_metrics_and_flags_two_controllers() {
    let values = "UnderReplicatedPartitions=0\nActiveControllerCount=1\nOfflinePartitionsCount=0\n\
                  RequestHandlerAvgIdlePercent.OneMinuteRate=0.85\nNetworkProcessorAvgIdlePercent=0.97\n\
                  RequestQueueSize=3\nBytesInPerSec.OneMinuteRate=1024.25\nBytesInPerSec.Count=123456\n\
                  Log.Size.orders.0=4096\nLog.Size.orders.1=8192\n";
    let jolokia = Jolokia::start(values);
    let tansu = Tansu::start();
    traffic::create_topics(&tansu.bootstrap(), &[("orders", 2)])
        .await
        .unwrap();
    let url = format!("jolokia+http://127.0.0.1:{}/jolokia", jolokia.port);
    let t = TestApp::start_with(&tansu.bootstrap(), "1s", |cli| cli.metrics_url = vec![url]).await;
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["active_controller_count"] == 1.0,
        )
        .await;
    assert_eq!(b["endpoints"][0]["kind"], "jolokia");
    assert!(b["endpoints"][0]["error"].is_null(), "{b}");
    assert_eq!(b["metrics"]["under_replicated_partitions"], 0.0);
    assert_eq!(b["metrics"]["network_processor_idle_ratio"], 0.97);
    assert_eq!(b["metrics"]["request_queue_size"], 3.0);
    assert_eq!(b["metrics"]["log_size_bytes"], 12_288.0);
    // Not registered in the JVM: unavailable.
    assert!(b["metrics"]["under_min_isr_partitions"].is_null());
    let (_, health) = t.get("/api/v1/clusters/test/health").await;
    assert!(problem(&health, "controller_count").is_none(), "{health}");

    // Bytes in is the Count's delta between two reads, not the smoothed OneMinuteRate: a
    // Count that did not move is 0 B/s, one that moved is a rate, and neither is noted.
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["bytes_in_per_sec"] == 0.0,
        )
        .await;
    assert!(
        !b["endpoints"][0]["notes"].to_string().contains("smoothed"),
        "{b}"
    );
    // Request-handler idle is the idle-nanoseconds Count's delta too: this test bean's Count
    // never moves (its OneMinuteRate says 0.85), so the pool was never idle between reads.
    assert_eq!(b["metrics"]["request_handler_idle_ratio"], 0.0, "{b}");
    // A producer of 100 000 B/s: the Count grows by 10 000 every 100 ms.
    let writer = {
        let props = jolokia.props.clone();
        let values = values.to_string();
        tokio::spawn(async move {
            for i in 1i64.. {
                let v = values.replace(
                    "BytesInPerSec.Count=123456",
                    &format!("BytesInPerSec.Count={}", 123_456 + i * 10_000),
                );
                let tmp = props.with_extension("tmp");
                std::fs::write(&tmp, v).unwrap();
                std::fs::rename(&tmp, &props).unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let b = t
        .poll_until(
            "/api/v1/clusters/test/brokers/111",
            Duration::from_secs(30),
            |v| v["metrics"]["bytes_in_per_sec"].as_f64().unwrap_or(0.0) > 0.0,
        )
        .await;
    let rate = b["metrics"]["bytes_in_per_sec"].as_f64().unwrap();
    // Two reads can be close together (the task's and an explicit poll's): a rate, not a figure.
    assert!((10_000.0..5_000_000.0).contains(&rate), "{b}");
    writer.abort();

    // Two active controllers is a split brain; the JVM re-reads its values at each read.
    jolokia.set(&values.replace("ActiveControllerCount=1", "ActiveControllerCount=2"));
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(30),
            |h| problem(h, "controller_count").is_some(),
        )
        .await;
    assert_eq!(
        problem(&health, "controller_count").unwrap()["severity"],
        "critical"
    );
    assert_eq!(health["active_controller_count"], 2.0);
    t.app.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn mock_cluster_broker_down_and_leaderless_partition_are_sentences_that_heal() {
    // librdkafka's mock cluster: 3 brokers, ids 1..=3. It is not Send: it stays on this
    // thread, while the console runs on the same runtime.
    let mock = MockCluster::new(3).unwrap();
    mock.create_topic("orders", 4, 3).unwrap();
    let t = TestApp::start(&mock.bootstrap_servers(), "1s").await;
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(60),
            |h| h["brokers_up"] == 3,
        )
        .await;
    assert!(problem(&health, "broker_down").is_none(), "{health}");
    assert_eq!(health["counts"]["offline"], 0);

    mock.broker_down(3).unwrap();
    mock.partition_leader("orders", 1, None).unwrap();
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(60),
            |h| problem(h, "broker_down").is_some() && h["counts"]["offline"].as_u64() >= Some(1),
        )
        .await;
    assert_eq!(health["verdict"], "critical");
    let down = problem(&health, "broker_down").unwrap();
    assert_eq!(down["brokers"], serde_json::json!([3]));
    assert!(
        down["message"]
            .as_str()
            .unwrap()
            .starts_with("Broker 3 (127.0.0.1:"),
        "{down}"
    );
    assert!(
        down["message"]
            .as_str()
            .unwrap()
            .contains("it hosts 4 replicas"),
        "{down}"
    );
    let offline = problem(&health, "offline_partitions").unwrap();
    assert_eq!(offline["topic"], "orders");
    assert!(offline["partitions"]
        .as_array()
        .unwrap()
        .contains(&Value::from(1)));
    assert!(
        offline["message"].as_str().unwrap().contains("of orders"),
        "{offline}"
    );
    assert!(!offline["since"].as_str().unwrap().is_empty());
    let (_, brokers) = t.get("/api/v1/clusters/test/brokers").await;
    let b3 = brokers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == 3)
        .unwrap()
        .clone();
    assert_eq!(b3["status"], "down");

    mock.broker_up(3).unwrap();
    mock.partition_leader("orders", 1, Some(1)).unwrap();
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(60),
            |h| problem(h, "broker_down").is_none() && problem(h, "offline_partitions").is_none(),
        )
        .await;
    assert_eq!(health["counts"]["offline"], 0);
    t.app.stop().await;
}

mod scripted {
    use super::*;
    use crate::common::scripted_broker::{
        Script, ScriptLogDir, ScriptPartition, ScriptTopic, ScriptedCluster,
    };

    fn part(leader: i32, isr: &[i32]) -> ScriptPartition {
        ScriptPartition {
            leader: Some(leader),
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            end_offset: 100,
            size: 1_000_000,
        }
    }

    const GIB: i64 = 1 << 30;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn isr_smaller_than_replicas_min_isr_and_disk_from_describe_log_dirs() {
        let script = Script {
            controller: 1,
            topics: vec![ScriptTopic {
                name: "orders".into(),
                // p0 in sync; p1 at min ISR (2 of 3); p2 under min ISR (1 of 3).
                partitions: vec![part(1, &[1, 2, 3]), part(1, &[1, 3]), part(1, &[1])],
                configs: vec![("min.insync.replicas".into(), "2".into())],
            }],
            log_dirs: [1, 2, 3]
                .into_iter()
                .map(|b| {
                    let usable = if b == 1 { 5 * GIB } else { 60 * GIB };
                    (
                        b,
                        ScriptLogDir {
                            path: "/var/lib/kafka/data".into(),
                            total_bytes: 100 * GIB,
                            usable_bytes: usable,
                        },
                    )
                })
                .collect(),
            ..Default::default()
        };
        let cluster = ScriptedCluster::start(3, script).await;
        let t = TestApp::start(&cluster.bootstrap(), "1s").await;
        let health = t
            .poll_until(
                "/api/v1/clusters/test/health",
                Duration::from_secs(60),
                |h| problem(h, "under_min_isr").is_some(),
            )
            .await;
        assert_eq!(health["counts"]["under_replicated"], 2);
        assert_eq!(health["counts"]["under_min_isr"], 1);
        assert_eq!(health["counts"]["at_min_isr"], 1);
        assert_eq!(health["counts"]["min_isr_unknown"], 0);
        assert_eq!(
            problem(&health, "under_min_isr").unwrap()["message"],
            "1 partition of orders has 1 of 3 replicas in sync, below min.insync.replicas=2: producers with acks=all are failing — brokers 2 and 3 are up but out of sync"
        );
        let at_min = problem(&health, "at_min_isr").unwrap();
        assert_eq!(
            at_min["message"],
            "1 partition of orders has 2 of 3 replicas in sync, exactly min.insync.replicas=2: one more lost replica stops acks=all writes — broker 2 is up but out of sync"
        );
        assert_eq!(at_min["partitions"], serde_json::json!([1]));
        // Disk: broker 1's volume is 95 % full, read with DescribeLogDirs v4.
        let disk = problem(&health, "disk_usage").unwrap();
        assert_eq!(disk["severity"], "critical");
        assert_eq!(
            disk["message"],
            "Broker 1's /var/lib/kafka/data is 95 % full — when it fills the broker stops"
        );
        let (_, b1) = t.get("/api/v1/clusters/test/brokers/1").await;
        assert_eq!(b1["log_size_source"], "describe_log_dirs");
        assert_eq!(b1["log_size_bytes"], 3_000_000);
        assert_eq!(b1["log_dirs"][0]["usable_bytes"], 5 * GIB);
        // Topic size over all replicas: 3 partitions × 3 replicas × 1 MB.
        let (_, topics) = t.get("/api/v1/clusters/test/topics?q=orders").await;
        assert_eq!(topics["items"][0]["size_bytes"], 9_000_000);
        assert_eq!(topics["items"][0]["size_source"], "describe_log_dirs");
        assert!(
            cluster
                .requests()
                .get("DescribeLogDirs")
                .copied()
                .unwrap_or(0)
                >= 3
        );

        // The replicas catch up: the replication problems go, the disk one stays.
        cluster.edit(|s| {
            for p in &mut s.topics[0].partitions {
                p.isr = vec![1, 2, 3];
            }
        });
        let health = t
            .poll_until(
                "/api/v1/clusters/test/health",
                Duration::from_secs(60),
                |h| h["counts"]["under_replicated"] == 0,
            )
            .await;
        assert!(problem(&health, "under_min_isr").is_none());
        assert!(problem(&health, "at_min_isr").is_none());
        assert!(problem(&health, "disk_usage").is_some());
        t.app.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_broker_without_describe_log_dirs_is_said_so_not_zero() {
        // tansu does not offer DescribeLogDirs: sizes stay unknown, with the reason.
        let tansu = Tansu::start();
        traffic::create_topics(&tansu.bootstrap(), &[("orders", 1)])
            .await
            .unwrap();
        let t = TestApp::start(&tansu.bootstrap(), "1s").await;
        let b = t
            .poll_until(
                "/api/v1/clusters/test/brokers/111",
                Duration::from_secs(30),
                |v| v["broker"]["id"] == 111,
            )
            .await;
        assert!(b["log_size_bytes"].is_null(), "{b}");
        assert!(b["log_dirs"].as_array().unwrap().is_empty());
        let why = b["log_dirs_error"].as_str().unwrap();
        assert!(why.contains("does not support DescribeLogDirs"), "{why}");
        let (_, topics) = t.get("/api/v1/clusters/test/topics?q=orders").await;
        assert!(topics["items"][0]["size_bytes"].is_null());
        t.app.stop().await;
    }
}
