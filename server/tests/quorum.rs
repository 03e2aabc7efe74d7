//! The KRaft metadata quorum and polls during a broker's death, against the scripted broker
//! (a real protocol server: DescribeQuorum answered as a KRaft broker forwards it, brokers
//! killed or hung while the console polls).

mod common;

use std::time::{Duration, Instant};

use common::scripted_broker::{
    Script, ScriptPartition, ScriptQuorum, ScriptTopic, ScriptedCluster,
};
use common::{problem, TestApp};
use serde_json::Value;

fn orders(leaders: &[i32]) -> ScriptTopic {
    ScriptTopic {
        name: "orders".into(),
        partitions: leaders
            .iter()
            .map(|l| ScriptPartition {
                leader: Some(*l),
                // The leader is the preferred one: no imbalance to report.
                replicas: std::iter::once(*l)
                    .chain([1, 2, 3].into_iter().filter(|b| b != l))
                    .collect(),
                isr: vec![1, 2, 3],
                end_offset: 100,
                size: 1_000,
            })
            .collect(),
        configs: vec![],
    }
}

fn now_ms() -> i64 {
    kafscope::collect::now_ms()
}

/// Leader 2; voter 3 is 12 000 records and 40 s behind; broker 4 is no broker here, so the
/// observer list is empty.
fn quorum(leader: i32) -> ScriptQuorum {
    let t = now_ms();
    ScriptQuorum {
        leader,
        epoch: 9,
        high_watermark: 20_000,
        voters: vec![
            (1, 20_000, t - 100, t - 100),
            (2, 20_000, -1, t),
            (3, 8_000, t - 40_000, t - 40_000),
        ],
        observers: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_is_the_quorum_leader_whatever_metadata_names() {
    let script = Script {
        // KRaft brokers name a random live broker in Metadata: here 3, then 1.
        controller: 3,
        topics: vec![orders(&[1, 2, 3])],
        quorum: Some(quorum(2)),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(60),
            |h| !h["quorum"].is_null(),
        )
        .await;
    assert_eq!(health["controller_id"], 2);
    assert_eq!(health["controller_source"], "quorum");
    let q = &health["quorum"];
    assert_eq!(q["leader_id"], 2);
    assert_eq!(q["leader_epoch"], 9);
    assert_eq!(q["max_follower_lag"], 12_000);
    assert_eq!(q["voters_caught_up"], 2);
    let v3 = q["voters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == 3)
        .unwrap();
    assert_eq!(v3["role"], "follower");
    assert_eq!(v3["node_type"], "combined");
    assert_eq!(v3["lag"], 12_000);
    assert_eq!(
        v3["endpoints"][0],
        format!("CONTROLLER://127.0.0.1:{}", cluster.ports[2].1)
    );
    let lag = problem(&health, "quorum_lag").expect("quorum_lag");
    assert_eq!(
        lag["message"],
        "Controller 3 is 12,000 records / 40 s behind the quorum leader 2"
    );
    assert!(problem(&health, "quorum_at_risk").is_some());
    // Brokers: roles, and the active controller is the quorum leader.
    let (_, brokers) = t.get("/api/v1/clusters/test/brokers").await;
    let b = |id: i64| {
        brokers["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(b(2)["is_controller"], true);
    assert_eq!(b(3)["is_controller"], false);
    assert_eq!(b(1)["roles"], serde_json::json!(["broker", "controller"]));

    // Metadata names another broker; the quorum leader stays the controller.
    cluster.edit(|s| s.controller = 1);
    t.app.poll_now().await;
    let (_, summary) = t.get("/api/v1/clusters/test").await;
    assert_eq!(summary["controller_id"], 2);

    // Voter 3 catches up: no quorum problem remains.
    cluster.edit(|s| {
        s.quorum = Some(ScriptQuorum {
            voters: vec![
                (1, 20_000, now_ms(), now_ms()),
                (2, 20_000, -1, now_ms()),
                (3, 20_000, now_ms(), now_ms()),
            ],
            ..quorum(2)
        })
    });
    t.app.poll_now().await;
    let (_, health) = t.get("/api/v1/clusters/test/health").await;
    assert!(problem(&health, "quorum_lag").is_none(), "{health}");
    assert!(problem(&health, "quorum_at_risk").is_none());

    // An election: no leader, so no controller — said as such, not as a random broker.
    cluster.edit(|s| s.quorum = Some(quorum(-1)));
    t.app.poll_now().await;
    let (_, health) = t.get("/api/v1/clusters/test/health").await;
    assert_eq!(health["controller_id"], Value::Null);
    let lost = problem(&health, "quorum_no_leader").expect("quorum_no_leader");
    assert_eq!(lost["severity"], "critical");
    assert!(problem(&health, "no_controller").is_none());
    // The alert engine evaluates the snapshot on its own task: wait for it.
    let mut alerts = Value::Null;
    for _ in 0..50 {
        alerts = t.get("/api/v1/alerts").await.1;
        if alerts.to_string().contains("metadata_quorum") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        alerts.to_string().contains("metadata_quorum"),
        "the built-in rule fires: {alerts}"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zookeeper_era_broker_keeps_the_controller_metadata_names() {
    let script = Script {
        controller: 3,
        topics: vec![orders(&[1, 2, 3])],
        quorum: None,
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    let health = t
        .poll_until(
            "/api/v1/clusters/test/health",
            Duration::from_secs(60),
            |h| h["verdict"] != "unknown",
        )
        .await;
    assert_eq!(health["controller_id"], 3);
    assert_eq!(health["controller_source"], "metadata");
    assert_eq!(health["quorum"], Value::Null);
    assert_eq!(health["quorum_error"], Value::Null);
    assert!(
        health["problems"].as_array().unwrap().is_empty(),
        "{health}"
    );
    // Never asked: the brokers do not offer it.
    assert_eq!(cluster.requests().get("DescribeQuorum"), None);
    t.app.stop().await;
}

/// Poll with one broker dead and check the poll stays within one request timeout (plus the
/// metadata), and that every partition the other brokers lead is fresh.
async fn polls_stay_fresh_with_broker_3(kill: bool) {
    let script = Script {
        controller: 1,
        topics: vec![orders(&[1, 2, 3, 1, 2])],
        groups: [("billing".to_string(), vec![("orders".to_string(), 0, 50)])].into(),
        quorum: Some(quorum(1)),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    let timeout = Duration::from_secs(2);
    let t = TestApp::start_configured(
        &cluster.bootstrap(),
        "60s",
        |cli| cli.status_window = Some("10m".into()),
        |c| {
            c.clusters[0].request_timeout = timeout;
        },
    )
    .await;
    t.app.poll_now().await;
    if kill {
        cluster.kill(3);
    } else {
        cluster.edit(|s| {
            s.silent.insert(3);
        });
    }
    let mut took = Vec::new();
    for round in 1..=3i64 {
        cluster.edit(|s| {
            for p in &mut s.topics[0].partitions {
                p.end_offset = 100 + round * 10;
            }
        });
        let started = Instant::now();
        t.app.poll_now().await;
        took.push(started.elapsed());
        let (_, summary) = t.get("/api/v1/clusters/test").await;
        eprintln!(
            "poll {} took {:?}: {}",
            round,
            took[took.len() - 1],
            summary["last_poll"]["stages_ms"]
        );
        let (_, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
        for p in topic["partitions"].as_array().unwrap() {
            if p["leader"] != 3 {
                assert_eq!(p["high_watermark"], 100 + round * 10, "{p}");
            }
        }
    }
    // A killed broker refuses connections: found down at once, never waited for. A hung one
    // costs one request timeout (plus the Metadata hedge), not one timeout per stage.
    let bound = if kill { timeout / 2 } else { timeout * 7 / 4 };
    for d in &took {
        assert!(*d < bound, "polls took {took:?}");
    }
    let (_, summary) = t.get("/api/v1/clusters/test").await;
    assert_ne!(summary["status"], "unreachable", "{summary}");
    let errors = summary["last_poll"]["stage_errors"].to_string();
    assert!(errors.contains("leader 3"), "{errors}");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_broker_costs_a_poll_one_request_timeout_at_most() {
    polls_stay_fresh_with_broker_3(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_broker_costs_a_poll_one_request_timeout_at_most() {
    polls_stay_fresh_with_broker_3(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_leader_of_every_partition_is_not_an_unreachable_cluster() {
    // Seen on a real cluster: every partition led by the broker that crashed. The other
    // brokers answer; the partitions are unread, the cluster is not "unreachable".
    let script = Script {
        controller: 1,
        topics: vec![orders(&[3, 3])],
        quorum: Some(quorum(1)),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    let t = TestApp::start_configured(
        &cluster.bootstrap(),
        "60s",
        |cli| cli.status_window = Some("10m".into()),
        |c| c.clusters[0].request_timeout = Duration::from_secs(2),
    )
    .await;
    t.app.poll_now().await;
    cluster.kill(3);
    for _ in 0..2 {
        t.app.poll_now().await;
        let (_, summary) = t.get("/api/v1/clusters/test").await;
        assert_eq!(summary["status"], "degraded", "{summary}");
        assert!(
            summary["last_poll"]["stage_errors"]
                .to_string()
                .contains("leader 3"),
            "{summary}"
        );
    }
    t.app.stop().await;
}
