//! Management operations tansu cannot serve, against the scripted protocol-level broker
//! (`common/scripted_admin.rs`: Kafka's error codes and `validate_only` as Kafka gives them):
//! the broker's verdict before a change, partitions added, records purged before an offset
//! and a time, preferred leaders elected, a group with live members refused by name, a
//! group's offsets on one topic deleted, and dynamic broker configs with their sources.

mod common;

use common::scripted_broker::{
    Script, ScriptMember, ScriptPartition, ScriptTopic, ScriptedCluster,
};
use common::{send, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "s3cret";

fn part(leader: i32, replicas: &[i32]) -> ScriptPartition {
    ScriptPartition {
        leader: Some(leader),
        replicas: replicas.to_vec(),
        isr: replicas.to_vec(),
        end_offset: 100,
        size: 1_000,
    }
}

fn script() -> Script {
    Script {
        controller: 1,
        topics: vec![ScriptTopic {
            name: "orders".into(),
            // Partition 0 is led by broker 2, its preferred replica is 1.
            partitions: vec![part(2, &[1, 2]), part(2, &[2, 3])],
            configs: vec![],
        }],
        groups: [
            (
                "billing".to_string(),
                vec![("orders".to_string(), 0, 30), ("orders".to_string(), 1, 60)],
            ),
            ("live".to_string(), vec![("orders".to_string(), 0, 10)]),
        ]
        .into_iter()
        .collect(),
        members: [(
            "live".to_string(),
            vec![ScriptMember {
                member_id: "m-1".into(),
                client_id: "shipper".into(),
                host: "/10.0.0.7".into(),
                assignment: vec![("orders".into(), 0), ("orders".into(), 1)],
                target: None,
            }],
        )]
        .into_iter()
        .collect(),
        ..Default::default()
    }
}

async fn start() -> (ScriptedCluster, TestApp) {
    let cluster = ScriptedCluster::start(3, script()).await;
    let t = TestApp::start_configured(
        &cluster.bootstrap(),
        "60s",
        |_| {},
        |c| {
            c.server.admin_token = Some(kafscope::config::Secret(ADMIN.into()));
            c.auth.anonymous = vec![kafscope::http::auth::access::Binding {
                role: c.auth.role("viewer").unwrap().clone(),
                scope: Default::default(),
            }];
        },
    )
    .await;
    t.app.poll_now().await;
    (cluster, t)
}

async fn plan(t: &TestApp, body: Value) -> (u16, Value) {
    send(
        t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(body),
    )
    .await
}

async fn execute(t: &TestApp, plan: &Value, confirm: Option<&str>) -> (u16, Value) {
    let id = plan["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no plan: {plan:#}"));
    send(
        t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({"confirm": confirm})),
    )
    .await
}

fn message(v: &Value) -> &str {
    v["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_judges_a_topic_before_it_is_made_and_partitions_are_added() {
    let (cluster, t) = start().await;

    // validate_only: the verdict without the topic.
    let (s, p) = plan(&t, json!({"kind": "create_topic", "name": "payments", "partitions": 4, "replication_factor": 2})).await;
    assert_eq!(s, 201, "{p:#}");
    assert!(
        p["verdict"]
            .as_str()
            .unwrap()
            .contains("4 partitions × 2 replicas"),
        "{p:#}"
    );
    assert!(
        cluster
            .current()
            .topics
            .iter()
            .all(|t| t.name != "payments"),
        "validation must not create"
    );
    // The broker's own reason, as a sentence with what to do.
    let (s, v) = plan(&t, json!({"kind": "create_topic", "name": "bad", "partitions": 1, "replication_factor": 1, "configs": {"retention.ms": "-5"}})).await;
    assert_eq!(s, 400, "{v}");
    assert!(message(&v).contains("is not allowed here"), "{v}");
    assert!(message(&v).to_lowercase().contains("policy"), "{v}");
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("executed")), "{v:#}");
    let made = cluster.current();
    let topic = made.topics.iter().find(|t| t.name == "payments").unwrap();
    assert_eq!(topic.partitions.len(), 4);
    assert_eq!(topic.partitions[0].replicas.len(), 2);

    // Add partitions: the warning about keys, the broker's verdict, then the new count.
    let (s, v) = plan(
        &t,
        json!({"kind": "add_partitions", "topic": "orders", "total": 2}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(message(&v).contains("can only be added"), "{v}");
    let (s, p) = plan(
        &t,
        json!({"kind": "add_partitions", "topic": "orders", "total": 3}),
    )
    .await;
    assert_eq!(s, 201, "{p:#}");
    assert!(
        p["warnings"][0].as_str().unwrap().contains("hash(key)"),
        "{p:#}"
    );
    assert_eq!(
        (p["detail"]["from"].as_i64(), p["detail"]["to"].as_i64()),
        (Some(2), Some(3))
    );
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!(s, 200, "{v:#}");
    assert_eq!(cluster.current().topics[0].partitions.len(), 3);
    let (_, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(
        topic["partitions"].as_array().unwrap().len(),
        3,
        "the snapshot followed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_are_purged_before_an_offset_and_a_time_with_their_exact_count() {
    let (cluster, t) = start().await;
    let (s, p) = plan(&t, json!({"kind": "purge_topic", "topic": "orders", "before": {"type": "offset", "offset": 50}})).await;
    assert_eq!(s, 201, "{p:#}");
    assert_eq!(p["detail"]["records"], 100, "{p:#}");
    assert_eq!(p["confirm"], "orders");
    // billing committed 30 on partition 0: 20 records it has not read go.
    assert!(
        p["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("'billing' has not read 20")),
        "{p:#}"
    );
    let (s, v) = execute(&t, &p, Some("orders")).await;
    assert_eq!(s, 200, "{v:#}");
    let starts = cluster.current().starts;
    assert_eq!(
        (
            starts[&("orders".to_string(), 0)],
            starts[&("orders".to_string(), 1)]
        ),
        (50, 50)
    );
    let (_, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(topic["partitions"][0]["log_start_offset"], 50, "{topic}");

    // Before a time (record n is written at n seconds here): 70 s → 20 more per partition.
    let (s, p) = plan(&t, json!({"kind": "purge_topic", "topic": "orders", "partitions": [1], "before": {"type": "time", "at_ms": 70_000}})).await;
    assert_eq!(s, 201, "{p:#}");
    assert_eq!(p["detail"]["records"], 20, "{p:#}");
    // Records removed meanwhile make the plan's count wrong: refused.
    cluster.edit(|s| {
        s.starts.insert(("orders".into(), 1), 55);
    });
    let (s, v) = execute(&t, &p, Some("orders")).await;
    assert_eq!(s, 409, "{v}");
    assert!(message(&v).contains("starts at 55"), "{v}");
    let (s, v) = plan(&t, json!({"kind": "purge_topic", "topic": "orders", "before": {"type": "offset", "offset": 10}})).await;
    assert_eq!(s, 400, "{v}");
    assert!(message(&v).contains("nothing to purge"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferred_leaders_are_elected_where_the_health_page_says_they_are_not() {
    let (cluster, t) = start().await;
    let (s, p) = plan(&t, json!({"kind": "elect_leaders"})).await;
    assert_eq!(s, 201, "{p:#}");
    let moves = p["detail"]["partitions"].as_array().unwrap();
    assert_eq!(
        moves.len(),
        1,
        "only partition 0 is away from its preferred leader: {p:#}"
    );
    assert_eq!(
        (moves[0]["leader"].as_i64(), moves[0]["preferred"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(
        p["summary"]
            .as_str()
            .unwrap()
            .contains("broker 1 takes 1 partition"),
        "{p:#}"
    );
    // A plan about every topic is not shown to a viewer (it names partitions of all of them).
    let id = p["id"].as_i64().unwrap();
    let (s, _) = send(
        &t,
        Method::GET,
        &format!("/clusters/test/plans/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, list) = send(&t, Method::GET, "/clusters/test/plans", None, None).await;
    assert_eq!((s, list["total"].as_u64()), (200, Some(0)), "{list}");
    let (s, _) = send(
        &t,
        Method::GET,
        &format!("/clusters/test/plans/{id}"),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("executed")), "{v:#}");
    assert_eq!(cluster.current().topics[0].partitions[0].leader, Some(1));

    // Partition 1 led by 3 with 2 preferred; by execution 2 fell out of sync: that partition
    // fails, named, with Kafka's reason; the other moves.
    cluster.edit(|s| {
        s.topics[0].partitions[0].leader = Some(2);
        s.topics[0].partitions[1].leader = Some(3);
    });
    t.app.poll_now().await;
    let (s, p) = plan(&t, json!({"kind": "elect_leaders"})).await;
    assert_eq!(
        (s, p["detail"]["partitions"].as_array().map(|a| a.len())),
        (201, Some(2)),
        "{p:#}"
    );
    cluster.edit(|s| s.topics[0].partitions[1].isr = vec![3]);
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("partial")), "{v:#}");
    let f = &v["execution"]["failures"];
    assert_eq!(f.as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(
        (f[0]["item"].as_str(), f[0]["error"].as_str()),
        (Some("orders-1"), Some("PREFERRED_LEADER_NOT_AVAILABLE")),
        "{v:#}"
    );
    assert_eq!(cluster.current().topics[0].partitions[0].leader, Some(1));
    cluster.edit(|s| {
        s.topics[0].partitions[1].isr = vec![2, 3];
        s.topics[0].partitions[1].leader = Some(2);
    });
    t.app.poll_now().await;
    let (_, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(topic["partitions"][0]["leader"], 1);
    let (s, v) = plan(&t, json!({"kind": "elect_leaders"})).await;
    assert_eq!(s, 400, "nothing left to elect: {v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_with_members_is_refused_by_name_and_offsets_are_deleted_per_topic() {
    let (cluster, t) = start().await;
    // The plan is made, with its members named; execution is refused, naming them.
    let (s, p) = plan(
        &t,
        json!({"kind": "reset_offsets", "group": "live", "to": {"type": "earliest"}}),
    )
    .await;
    assert_eq!(s, 201, "{p:#}");
    assert!(
        p["warnings"][0]
            .as_str()
            .unwrap()
            .contains("shipper (m-1) at 10.0.0.7"),
        "{p:#}"
    );
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!(s, 409, "{v}");
    assert!(
        message(&v).contains("is not empty") && message(&v).contains("shipper"),
        "{v}"
    );
    assert_eq!(
        cluster.current().groups["live"],
        vec![("orders".to_string(), 0, 10)]
    );
    // Deleting it is refused the same way (and Kafka would say NON_EMPTY_GROUP).
    let (s, v) = plan(&t, json!({"kind": "delete_group", "group": "live"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = execute(&t, &v, Some("live")).await;
    assert_eq!(s, 409, "{v}");

    // OffsetDelete on a topic the members consume: refused, naming them.
    let (s, p) = plan(
        &t,
        json!({"kind": "delete_group_offsets", "group": "live", "topic": "orders"}),
    )
    .await;
    assert_eq!(s, 201, "{p:#}");
    let (s, v) = execute(&t, &p, Some("live")).await;
    assert_eq!(s, 409, "{v:#}");
    assert!(message(&v).contains("consume 'orders' now (shipper"), "{v}");
    assert_eq!(
        cluster.current().groups["live"],
        vec![("orders".to_string(), 0, 10)]
    );

    // An empty group's offsets on the topic go.
    let (s, p) = plan(
        &t,
        json!({"kind": "delete_group_offsets", "group": "billing", "topic": "orders"}),
    )
    .await;
    assert_eq!(s, 201, "{p:#}");
    assert_eq!(p["detail"]["offsets"].as_array().unwrap().len(), 2);
    let (s, v) = execute(&t, &p, Some("billing")).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("executed")), "{v:#}");
    assert!(cluster.current().groups["billing"].is_empty());

    // A reset with a member gone: executed, and reverted exactly.
    cluster.edit(|s| {
        s.members.remove("live");
    });
    let (_, p) = plan(&t, json!({"kind": "reset_offsets", "group": "live", "topics": [{"topic": "orders"}], "to": {"type": "offset", "offset": 70}})).await;
    let (s, v) = execute(&t, &p, None).await;
    assert_eq!(s, 200, "{v:#}");
    let mut offsets = cluster.current().groups["live"].clone();
    offsets.sort();
    assert_eq!(
        offsets,
        vec![("orders".to_string(), 0, 70), ("orders".to_string(), 1, 70)]
    );
    let id = p["id"].as_i64().unwrap();
    let (s, back) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/revert"),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 201, "{back:#}");
    let rows = back["detail"]["partitions"].as_array().unwrap();
    let p1 = rows.iter().find(|r| r["partition"] == 1).unwrap();
    assert!(
        p1["new"].is_null(),
        "partition 1 had no commit before: its commit is removed: {back:#}"
    );
    let (s, v) = execute(&t, &back, None).await;
    assert_eq!(s, 200, "{v:#}");
    assert_eq!(
        cluster.current().groups["live"],
        vec![("orders".to_string(), 0, 10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_configs_show_their_sources_and_dynamic_ones_change_with_a_diff() {
    let (cluster, t) = start().await;
    let (s, v) = t.get("/api/v1/clusters/test/brokers/1/configs").await;
    assert_eq!(s, 200, "{v}");
    let entry = |v: &Value, k: &str| {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == k)
            .cloned()
            .unwrap()
    };
    let r = entry(&v, "log.retention.ms");
    assert_eq!(
        (r["source"].as_str(), r["human"].as_str()),
        (Some("default"), Some("7 days")),
        "{r}"
    );
    assert!(r["documentation"]
        .as_str()
        .unwrap()
        .contains("milliseconds"));
    assert_eq!(entry(&v, "broker.id")["read_only"], true);

    // Static keys cannot change while the broker runs.
    let (s, v) = plan(
        &t,
        json!({"kind": "alter_broker_configs", "broker": 1, "set": {"broker.id": "7"}}),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(message(&v).contains("read-only"), "{v}");

    // The cluster-wide default, then one broker over it.
    let (s, p) = plan(&t, json!({"kind": "alter_broker_configs", "broker": null, "set": {"log.retention.ms": "172800000"}})).await;
    assert_eq!(s, 201, "{p:#}");
    let c = &p["detail"]["changes"][0];
    assert_eq!(
        (c["before_human"].as_str(), c["after_human"].as_str()),
        (Some("7 days"), Some("2 days")),
        "{p:#}"
    );
    assert_eq!(execute(&t, &p, None).await.0, 200);
    let (_, p) = plan(&t, json!({"kind": "alter_broker_configs", "broker": 1, "set": {"log.retention.ms": "86400000"}})).await;
    assert_eq!(
        p["detail"]["changes"][0]["before_source"], "dynamic_default_broker",
        "{p:#}"
    );
    assert_eq!(execute(&t, &p, None).await.0, 200);
    let (_, v) = t.get("/api/v1/clusters/test/brokers/1/configs").await;
    let r = entry(&v, "log.retention.ms");
    assert_eq!(
        (r["value"].as_str(), r["source"].as_str()),
        (Some("86400000"), Some("dynamic_broker"))
    );
    assert_eq!(r["synonyms"].as_array().unwrap().len(), 3, "{r}");
    // Returned to its default: the value that applies then is shown.
    let (_, p) = plan(
        &t,
        json!({"kind": "alter_broker_configs", "broker": 1, "delete": ["log.retention.ms"]}),
    )
    .await;
    let c = &p["detail"]["changes"][0];
    assert_eq!(
        (c["to_default"].as_bool(), c["after"].as_str()),
        (Some(true), Some("172800000")),
        "{p:#}"
    );
    assert_eq!(execute(&t, &p, None).await.0, 200);
    assert!(cluster.current().broker_configs["1"].is_empty());
}
