//! End to end against a real tansu broker: what a real client wrote is what the API says.

mod common;

use std::time::{Duration, Instant};

use common::{Tansu, TestApp};
use kafscope::traffic;
use serde_json::Value;

async fn seed(bs: &str) {
    traffic::create_topics(bs, &[("orders", 3), ("quiet", 1)])
        .await
        .unwrap();
    let bs2 = bs.to_string();
    tokio::task::spawn_blocking(move || {
        for (p, n) in [(0, 10), (1, 20), (2, 30)] {
            traffic::produce_n(&bs2, "orders", p, n).unwrap();
        }
        traffic::commit(&bs2, "billing", &[("orders", 0, 5), ("orders", 1, 20)]).unwrap();
    })
    .await
    .unwrap();
}

fn by_partition(rows: &Value, field: &str) -> Vec<Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r[field].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_and_lag_match_what_a_real_client_wrote() {
    let tansu = Tansu::start();
    seed(&tansu.bootstrap()).await;
    let t = TestApp::start(&tansu.bootstrap(), "1s").await;

    let group = t
        .poll_until(
            "/api/v1/clusters/test/consumer-groups/billing",
            Duration::from_secs(30),
            |v| v["offsets"].as_array().is_some_and(|a| a.len() == 3),
        )
        .await;
    let offsets = &group["offsets"];
    assert_eq!(by_partition(offsets, "partition"), [0, 1, 2]);
    assert_eq!(by_partition(offsets, "high_watermark"), [10, 20, 30]);
    assert_eq!(by_partition(offsets, "log_start_offset"), [0, 0, 0]);
    assert_eq!(
        by_partition(offsets, "committed_offset"),
        [Value::from(5), Value::from(20), Value::Null]
    );
    assert_eq!(
        by_partition(offsets, "lag"),
        [Value::from(5), Value::from(0), Value::Null]
    );
    assert_eq!(by_partition(offsets, "status"), ["ok", "ok", "no_commit"]);
    assert_eq!(offsets[2]["backlog"], 30);
    // No transactions here: the last stable offset is the end, and read_committed lag is lag.
    assert_eq!(by_partition(offsets, "last_stable_offset"), [10, 20, 30]);
    assert_eq!(
        by_partition(offsets, "lag_read_committed"),
        [Value::from(5), Value::from(0), Value::Null]
    );
    assert_eq!(group["lag"], 5);
    assert_eq!(group["partitions_without_commit"], 1);

    let (status, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(status, 200);
    assert_eq!(
        by_partition(&topic["partitions"], "high_watermark"),
        [10, 20, 30]
    );
    assert_eq!(
        by_partition(&topic["partitions"], "leader"),
        [111, 111, 111]
    );
    assert_eq!(topic["consumer_groups"][0]["group_id"], "billing");
    assert_eq!(topic["consumer_groups"][0]["lag"], 5);

    let (_, topics) = t.get("/api/v1/clusters/test/topics?q=ord").await;
    assert_eq!(topics["total"], 1);
    assert_eq!(topics["items"][0]["messages"], 60);
    assert_eq!(topics["items"][0]["partitions"], 3);
    assert_eq!(topics["items"][0]["replication_factor"], 1);

    let (_, groups) = t.get("/api/v1/clusters/test/consumer-groups").await;
    let billing = groups["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group_id"] == "billing")
        .unwrap();
    assert_eq!(billing["lag"], 5);
    assert_eq!(billing["topics"], 1);

    let (_, clusters) = t.get("/api/v1/clusters").await;
    let c = &clusters["items"][0];
    assert_eq!(c["name"], "test");
    assert_eq!(c["status"], "ok");
    assert_eq!(c["brokers"], 1);
    assert!(c["topics"].as_u64().unwrap() >= 2);
    assert_eq!(c["offline_partitions"], 0);
    assert!(c["last_poll"]["error"].is_null());

    let (_, brokers) = t.get("/api/v1/clusters/test/brokers").await;
    let b = &brokers["items"][0];
    assert_eq!(b["id"], 111);
    assert_eq!(b["host"], "127.0.0.1");
    assert_eq!(b["port"], tansu.port);
    assert_eq!(b["status"], "up");

    // History: one sample per group-partition per cycle went into SQLite.
    let samples = t
        .app
        .state
        .store
        .lag_samples("test", "billing", "orders", 0, 0, i64::MAX)
        .await
        .unwrap();
    assert!(!samples.is_empty());
    assert!(samples
        .iter()
        .all(|(_, c, l)| *c == Some(5) && *l == Some(5)));

    // The history API answers from the same samples, as the group total and per partition.
    let (s, h) = t
        .get("/api/v1/clusters/test/consumer-groups/billing/history?range=10m&step=1s")
        .await;
    assert_eq!(s, 200, "{h}");
    let pts = h["series"][0]["points"].as_array().unwrap();
    assert!(!pts.is_empty(), "{h}");
    assert!(pts.iter().all(|p| p["lag"] == 5), "{h}");
    let (_, h) = t
        .get("/api/v1/clusters/test/consumer-groups/billing/history?range=10m&step=1s&by=partition")
        .await;
    let parts: Vec<(Value, Value)> = h["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["partition"].clone(), s["points"][0]["lag"].clone()))
        .collect();
    // Partition 2 was never committed: it has no lag to record, so no series (the group
    // page still lists it, with its backlog).
    assert_eq!(parts, vec![(0.into(), 5.into()), (1.into(), 0.into())]);
    let (_, g) = t.get("/api/v1/clusters/test/consumer-groups/billing").await;
    let p2 = &g["offsets"][2];
    assert_eq!(
        (p2["partition"].clone(), p2["lag"].clone()),
        (2.into(), Value::Null),
        "{g}"
    );
    assert_eq!(p2["status"], "no_commit", "{g}");
    let (s, _) = t
        .get("/api/v1/clusters/test/consumer-groups/ghost/history")
        .await;
    assert_eq!(s, 404);
    let (s, _) = t
        .get("/api/v1/clusters/test/consumer-groups/billing/history?range=1h&step=1s")
        .await;
    assert_eq!(s, 400);

    // /metrics parses as Prometheus text and says what the API says.
    let text = t.text("/metrics").await;
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |metric: &str, labels: &[(&str, &str)]| -> Option<f64> {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    let g = [
        ("cluster", "test"),
        ("consumergroup", "billing"),
        ("topic", "orders"),
    ];
    for (p, lag) in [("0", Some(5.0)), ("1", Some(0.0)), ("2", None)] {
        let labels = [g[0], g[1], g[2], ("partition", p)];
        assert_eq!(
            value("kafka_consumergroup_lag", &labels),
            lag,
            "partition {p}"
        );
    }
    assert_eq!(
        value(
            "kafka_consumergroup_current_offset",
            &[g[1], ("partition", "1")]
        ),
        Some(20.0)
    );
    assert_eq!(
        value(
            "kafka_topic_partition_current_offset",
            &[("topic", "orders"), ("partition", "2")]
        ),
        Some(30.0)
    );
    assert_eq!(
        value(
            "kafka_topic_partition_oldest_offset",
            &[("topic", "orders"), ("partition", "2")]
        ),
        Some(0.0)
    );
    assert_eq!(value("kafka_consumergroup_lag_sum", &g), Some(5.0));
    assert_eq!(
        value("kafscope_cluster_up", &[("cluster", "test")]),
        Some(1.0)
    );
    assert!(value(
        "kafka_consumergroup_lag_seconds",
        &[g[1], ("partition", "0")]
    )
    .is_some());

    // New records show up within a poll.
    let bs = tansu.bootstrap();
    tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "orders", 0, 7).unwrap())
        .await
        .unwrap();
    t.poll_until(
        "/api/v1/clusters/test/consumer-groups/billing",
        Duration::from_secs(20),
        |v| v["offsets"][0]["high_watermark"] == 17 && v["offsets"][0]["lag"] == 12,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_use_the_envelope_with_the_right_status() {
    let tansu = Tansu::start();
    traffic::create_topics(&tansu.bootstrap(), &[("t1", 1)])
        .await
        .unwrap();
    let t = TestApp::start(&tansu.bootstrap(), "1s").await;
    t.poll_until(
        "/api/v1/clusters/test/topics",
        Duration::from_secs(20),
        |v| v["total"].as_u64() >= Some(1),
    )
    .await;

    let cases = [
        ("/api/v1/clusters/nope", 404, "not_found", "cluster 'nope'"),
        (
            "/api/v1/clusters/nope/topics",
            404,
            "not_found",
            "cluster 'nope'",
        ),
        (
            "/api/v1/clusters/test/topics/missing",
            404,
            "not_found",
            "topic 'missing' does not exist in cluster 'test'",
        ),
        (
            "/api/v1/clusters/test/consumer-groups/ghost",
            404,
            "not_found",
            "consumer group 'ghost'",
        ),
        (
            "/api/v1/clusters/test/topics?limit=0",
            400,
            "bad_request",
            "limit",
        ),
        (
            "/api/v1/clusters/test/topics?limit=abc",
            400,
            "bad_request",
            "limit",
        ),
        (
            "/api/v1/clusters/test/topics?sort=colour",
            400,
            "bad_request",
            "cannot sort by 'colour'",
        ),
        (
            "/api/v1/clusters/test/topics?order=sideways",
            400,
            "bad_request",
            "order",
        ),
        (
            "/api/v1/clusters/test/topics?bogus=1",
            400,
            "bad_request",
            "bogus",
        ),
        (
            "/api/v1/no-such-endpoint",
            404,
            "not_found",
            "no such API endpoint",
        ),
    ];
    for (path, status, code, needle) in cases {
        let (s, body) = t.get(path).await;
        assert_eq!(s, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        let msg = body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(needle), "{path}: '{msg}' lacks '{needle}'");
    }
    let (s, _) = t.get("/healthz").await;
    assert_eq!(s, 200);
    let (s, body) = t.get("/readyz").await;
    assert_eq!(s, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_outage_turns_unreachable_and_recovers() {
    let mut tansu = Tansu::start();
    traffic::create_topics(&tansu.bootstrap(), &[("survivor", 2)])
        .await
        .unwrap();
    let t = TestApp::start(&tansu.bootstrap(), "1s").await;
    t.poll_until("/api/v1/clusters/test", Duration::from_secs(20), |v| {
        v["status"] == "ok" && v["topics"].as_u64() >= Some(1)
    })
    .await;

    tansu.kill();
    let killed = Instant::now();
    // The collector runs on its own (1 s interval): no poll_now here, so the timing is real.
    loop {
        let (_, v) = t.get("/api/v1/clusters/test").await;
        if v["status"] == "unreachable" {
            assert!(
                v["last_poll"]["error"]
                    .as_str()
                    .is_some_and(|e| !e.is_empty()),
                "{v}"
            );
            assert!(v["data_age_seconds"].is_u64());
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(3),
            "not unreachable within two intervals: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Still serving: liveness and the last good data.
    let (s, _) = t.get("/healthz").await;
    assert_eq!(s, 200);
    let (s, topic) = t.get("/api/v1/clusters/test/topics/survivor").await;
    assert_eq!(s, 200, "{topic}");
    assert_eq!(topic["partitions"].as_array().unwrap().len(), 2);

    tansu.restart();
    t.poll_until("/api/v1/clusters/test", Duration::from_secs(30), |v| {
        v["status"] == "ok"
    })
    .await;
}
