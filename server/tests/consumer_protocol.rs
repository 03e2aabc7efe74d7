//! Kafka 4 consumer-protocol groups (KIP-848) as a real Kafka 4 broker shows them: listed
//! with type `consumer`, `Dead` to DescribeGroups, described by ConsumerGroupDescribe. The
//! scripted protocol-level test broker (test-only) plays the broker: tansu 0.6 speaks only the
//! classic protocol. The same run was checked against a real Apache Kafka 4.0 cluster (README).

mod common;

use common::scripted_broker::{
    Script, ScriptMember, ScriptPartition, ScriptTopic, ScriptedCluster,
};
use common::TestApp;
use serde_json::Value;

fn script() -> Script {
    let topic = ScriptTopic {
        name: "orders".into(),
        partitions: (0..2)
            .map(|p| ScriptPartition {
                leader: Some(1),
                replicas: vec![1],
                isr: vec![1],
                end_offset: 100 + p as i64,
                size: 10,
            })
            .collect(),
        configs: vec![],
    };
    let member = |id: &str, client: &str, parts: Vec<(String, i32)>| ScriptMember {
        member_id: id.into(),
        client_id: client.into(),
        host: "/10.0.0.5".into(),
        assignment: parts,
        target: None,
    };
    let all = |t: &str| vec![(t.to_string(), 0), (t.to_string(), 1)];
    let mut s = Script {
        controller: 1,
        topics: vec![topic],
        groups: [
            (
                "modern".to_string(),
                vec![("orders".to_string(), 0, 90), ("orders".to_string(), 1, 95)],
            ),
            (
                "legacy".to_string(),
                vec![("orders".to_string(), 0, 80), ("orders".to_string(), 1, 81)],
            ),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    s.consumer_protocol.insert("modern".into());
    s.members.insert(
        "modern".into(),
        vec![ScriptMember {
            // Reconciling: it owns both partitions, the coordinator wants it to keep one.
            target: Some(vec![("orders".to_string(), 0)]),
            ..member("m-new", "console-consumer", all("orders"))
        }],
    );
    s.members.insert(
        "legacy".into(),
        vec![member("m-old", "legacy-app", all("orders"))],
    );
    s
}

fn member(g: &Value) -> &Value {
    &g["members"][0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_protocol_group_has_its_members_state_and_owners() {
    let cluster = ScriptedCluster::start(1, script()).await;
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    t.app.poll_now().await;

    let (_, list) = t.get("/api/v1/clusters/test/consumer-groups").await;
    let by_id = |id: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["group_id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("modern")["group_type"], "consumer", "{list}");
    assert_eq!(by_id("modern")["state"], "Stable", "{list}");
    assert_eq!(by_id("modern")["members"], 1, "{list}");
    assert_eq!(by_id("legacy")["group_type"], "classic", "{list}");

    let (s, g) = t.get("/api/v1/clusters/test/consumer-groups/modern").await;
    assert_eq!(s, 200, "{g}");
    assert_eq!(g["group_type"], "consumer");
    assert_eq!(g["group_epoch"], 3);
    assert_eq!(g["protocol"], "uniform");
    assert!(g["describe_error"].is_null(), "{g}");
    let m = member(&g);
    assert_eq!(m["client_id"], "console-consumer", "{g}");
    assert_eq!(m["rack"], "rack-a");
    assert_eq!(m["member_epoch"], 3);
    assert_eq!(m["subscribed_topics"][0], "orders");
    assert_eq!(m["assignments"][0]["partitions"], serde_json::json!([0, 1]));
    assert_eq!(
        m["target_assignments"][0]["partitions"],
        serde_json::json!([0])
    );
    // Ownership is the current assignment: no partition looks unowned (no `stopped`).
    for o in g["offsets"].as_array().unwrap() {
        assert_eq!(o["member_id"], "m-new", "{o}");
        assert_ne!(o["status"], "stopped", "{o}");
    }
    assert_eq!(g["lag"], 10 + 6);

    // The classic group next to it is described by DescribeGroups, as before.
    let (_, legacy) = t.get("/api/v1/clusters/test/consumer-groups/legacy").await;
    assert_eq!(legacy["group_type"], "classic");
    assert_eq!(member(&legacy)["client_id"], "legacy-app", "{legacy}");
    assert!(member(&legacy)["target_assignments"].is_null());

    // Requests: ConsumerGroupDescribe for the modern group only, DescribeGroups for the
    // classic one; no group asked twice.
    let before = cluster.requests();
    t.app.poll_now().await;
    let after = cluster.requests();
    let d = |api: &str| after.get(api).unwrap_or(&0) - before.get(api).unwrap_or(&0);
    assert_eq!(d("ConsumerGroupDescribe"), 1, "{after:?}");
    assert_eq!(d("DescribeGroups"), 1, "{after:?}");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_listing_without_types_still_finds_the_consumer_protocol_group() {
    // A broker whose ListGroups predates v5 (no types) and whose DescribeGroups predates v6:
    // a consumer-protocol group looks `Dead` and empty to DescribeGroups. The console asks
    // ConsumerGroupDescribe instead of believing it.
    let mut s = script();
    s.max_versions.insert(16, 4); // ListGroups v4
    s.max_versions.insert(15, 5); // DescribeGroups v5
    let cluster = ScriptedCluster::start(1, s).await;
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    t.app.poll_now().await;
    let (_, g) = t.get("/api/v1/clusters/test/consumer-groups/modern").await;
    assert_ne!(g["state"], "Dead", "{g}");
    assert_eq!(g["group_type"], "consumer", "{g}");
    assert_eq!(member(&g)["client_id"], "console-consumer", "{g}");
    let (_, legacy) = t.get("/api/v1/clusters/test/consumer-groups/legacy").await;
    assert_eq!(legacy["group_type"], "classic", "{legacy}");

    // A broker without ConsumerGroupDescribe at all: the group is not invented; the state
    // the classic API gives is shown with the reason members are missing.
    cluster.edit(|s| {
        s.max_versions.insert(69, -1);
    });
    let t = t.restart().await;
    t.app.poll_now().await;
    let (_, g) = t.get("/api/v1/clusters/test/consumer-groups/modern").await;
    assert_eq!(g["lag"], 16, "lag does not depend on describing: {g}");
    assert_eq!(g["state"], "Stable", "the listing's state, not Dead: {g}");
    assert!(g["members"].is_null(), "{g}");
    let why = g["describe_error"].as_str().unwrap_or_default();
    assert!(why.contains("consumer-protocol group"), "{g}");
    t.app.stop().await;
}
