//! Management operations end to end (issue 13): plans made, previewed and executed through
//! the API against a real broker (tansu), each result read back with librdkafka — a client
//! independent of Kafscope's own protocol code that made the change — and each step in the
//! audit log with its actor. What tansu does not serve (CreatePartitions, DeleteRecords on
//! its SQLite storage, ElectLeaders, OffsetDelete) is driven against the scripted broker in
//! `manage_scripted.rs`.

mod common;

use std::time::Duration;

use common::{send, Tansu, TestApp};
use kafscope::traffic;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::TopicPartitionList;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "s3cret";

fn admin_and_viewers(c: &mut kafscope::config::Config) {
    // tansu 0.6 ignores validate_only: asked to check a topic or a config, it makes it.
    c.clusters[0].broker_validation = false;
    c.server.admin_token = Some(kafscope::config::Secret(ADMIN.into()));
    c.auth.anonymous = vec![kafscope::http::auth::access::Binding {
        role: c.auth.role("viewer").unwrap().clone(),
        scope: Default::default(),
    }];
}

/// A plan made and executed by the admin; the executed plan.
async fn plan_and_execute(t: &TestApp, body: Value, confirm: Option<&str>) -> (Value, Value) {
    let (s, plan) = send(
        t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(body),
    )
    .await;
    assert_eq!(s, 201, "{plan:#}");
    let id = plan["id"].as_i64().unwrap();
    let (s, done) = send(
        t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({"confirm": confirm})),
    )
    .await;
    assert_eq!(s, 200, "{done:#}");
    assert_eq!(done["state"], "executed", "{done:#}");
    (plan, done)
}

fn consumer(bootstrap: &str, group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

/// The group's committed offsets as librdkafka reads them.
fn committed(bootstrap: &str, group: &str, topic: &str, partitions: i32) -> Vec<Option<i64>> {
    let c = consumer(bootstrap, group);
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
    (0..partitions)
        .map(|p| match got.find_partition(topic, p).unwrap().offset() {
            rdkafka::Offset::Offset(o) => Some(o),
            _ => None,
        })
        .collect()
}

/// Partition count of a topic as librdkafka's Metadata says (`None`: no such topic).
fn partitions_of(bootstrap: &str, topic: &str) -> Option<usize> {
    let c = consumer(bootstrap, "meta-reader");
    let md = c
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    md.topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().len())
}

async fn topic_config(bootstrap: &str, topic: &str, key: &str) -> Option<String> {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let r = admin
        .describe_configs(
            &[ResourceSpecifier::Topic(topic)],
            &AdminOptions::new().request_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .unwrap();
    let res = r.into_iter().next().unwrap().unwrap();
    res.get(key).and_then(|e| e.value.clone())
}

async fn audit(t: &TestApp, action: &str) -> Vec<Value> {
    let (s, v) = send(
        t,
        Method::GET,
        &format!("/audit?action={action}"),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_is_created_changed_and_deleted_through_plans() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("existing", 1)])
        .await
        .unwrap();
    let t = TestApp::start_configured(&bs, "60s", |_| {}, admin_and_viewers).await;
    t.app.poll_now().await;

    // The preview creates nothing (tansu is not asked to validate: see admin_and_viewers).
    let body = json!({"kind": "create_topic", "name": "orders", "partitions": 3,
        "replication_factor": 1, "configs": {"retention.ms": "86400000"}});
    let (s, plan) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 201, "{plan:#}");
    assert_eq!(plan["state"], "planned");
    assert!(
        plan["verdict"].as_str().unwrap().contains("Not checked"),
        "{plan:#}"
    );
    assert_eq!(plan["detail"]["configs"][0]["after_human"], "1 day");
    assert_eq!(
        partitions_of(&bs, "orders"),
        None,
        "a preview must not create the topic"
    );

    // Bad input is a sentence, before the broker is asked.
    for (bad, why) in [
        (
            json!({"kind": "create_topic", "name": "a b", "partitions": 1, "replication_factor": 1}),
            "not allowed",
        ),
        (
            json!({"kind": "create_topic", "name": "x", "partitions": 1, "replication_factor": 3}),
            "1 are alive",
        ),
        (
            json!({"kind": "create_topic", "name": "existing", "partitions": 1, "replication_factor": 1}),
            "exists",
        ),
        (json!({"kind": "no_such_kind"}), "kind"),
    ] {
        let (s, v) = send(
            &t,
            Method::POST,
            "/clusters/test/plans",
            Some(ADMIN),
            Some(bad),
        )
        .await;
        assert!(s == 400 || s == 409 || s == 422, "{s} {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(why), "{v}");
    }

    // A viewer may look but not change; refusals are audited.
    let (s, _) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 403);
    let id = plan["id"].as_i64().unwrap();
    let (s, _) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        None,
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, seen) = send(
        &t,
        Method::GET,
        &format!("/clusters/test/plans/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!((s, seen["id"].as_i64()), (200, Some(id)));

    let (s, done) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{done:#}");
    assert_eq!(done["state"], "executed");
    let audit_id = done["execution"]["audit_id"].as_i64().unwrap();
    assert_eq!(partitions_of(&bs, "orders"), Some(3));
    assert_eq!(
        topic_config(&bs, "orders", "retention.ms").await.as_deref(),
        Some("86400000")
    );
    // The snapshot followed at once (the collector polls every hour here).
    let (_, topic) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(
        topic["partitions"].as_array().map(|p| p.len()),
        Some(3),
        "{topic}"
    );
    // A plan executes once.
    let (s, again) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 409, "{again}");

    // Edit a config: a diff with units, checked by the broker, then made.
    let (plan, _) = plan_and_execute(
        &t,
        json!({"kind": "alter_topic_configs", "topic": "orders", "set": {"retention.ms": "604800000"}}),
        None,
    )
    .await;
    let change = &plan["detail"]["changes"][0];
    assert_eq!(change["before"], "86400000", "{plan:#}");
    assert_eq!(
        (
            change["before_human"].as_str(),
            change["after_human"].as_str()
        ),
        (Some("1 day"), Some("7 days"))
    );
    assert_eq!(
        topic_config(&bs, "orders", "retention.ms").await.as_deref(),
        Some("604800000")
    );

    // A plan whose "before" no longer holds is refused with what changed.
    let (_, stale) = send(&t, Method::POST, "/clusters/test/plans", Some(ADMIN),
        Some(json!({"kind": "alter_topic_configs", "topic": "orders", "set": {"retention.ms": "3600000"}}))).await;
    let stale_id = stale["id"].as_i64().unwrap();
    plan_and_execute(&t, json!({"kind": "alter_topic_configs", "topic": "orders", "set": {"retention.ms": "7200000"}}), None).await;
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{stale_id}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("604800000"),
        "{v}"
    );

    // Delete: the name typed to confirm; internal topics refused.
    let (s, plan) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(json!({"kind": "delete_topic", "topic": "orders"})),
    )
    .await;
    assert_eq!(s, 201, "{plan}");
    assert_eq!(plan["confirm"], "orders");
    let id = plan["id"].as_i64().unwrap();
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({"confirm": "order"})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(partitions_of(&bs, "orders"), Some(3));
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({"confirm": "orders"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(partitions_of(&bs, "orders"), None);
    let (s, _) = t.get("/api/v1/clusters/test/topics/orders").await;
    assert_eq!(s, 404, "the snapshot follows a deletion at once");
    let (s, v) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(json!({"kind": "delete_topic", "topic": "__consumer_offsets"})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("internal topic"),
        "{v}"
    );

    // Every step is in the audit log with its actor.
    let created = audit(&t, "topic.create").await;
    assert!(
        created
            .iter()
            .any(|r| r["id"] == audit_id && r["outcome"] == "done" && r["actor"] == "admin_token"),
        "{created:#?}"
    );
    assert!(
        created.iter().any(|r| r["outcome"] == "refused"),
        "{created:#?}"
    );
    let configs = audit(&t, "topic.configs").await;
    assert!(
        configs.iter().filter(|r| r["outcome"] == "done").count() >= 2,
        "{configs:#?}"
    );
    assert!(
        configs.iter().any(|r| r["outcome"] == "refused"),
        "the stale plan's refusal: {configs:#?}"
    );
    assert!(audit(&t, "topic.delete")
        .await
        .iter()
        .any(|r| r["outcome"] == "done"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offset_reset_is_planned_executed_and_reverted_exactly() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("events", 2), ("other", 1)])
        .await
        .unwrap();
    for p in 0..2 {
        traffic::produce_n(&bs, "events", p, 50).unwrap();
    }
    traffic::commit(&bs, "billing", &[("events", 0, 10), ("events", 1, 40)]).unwrap();
    traffic::commit(&bs, "mirror", &[("events", 0, 25)]).unwrap();
    let t = TestApp::start_configured(&bs, "60s", |_| {}, admin_and_viewers).await;
    t.app.poll_now().await;

    // The plan's numbers equal what the watermarks and commits say.
    let (s, plan) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(json!({"kind": "reset_offsets", "group": "billing", "to": {"type": "earliest"}})),
    )
    .await;
    assert_eq!(s, 201, "{plan:#}");
    let parts = plan["detail"]["partitions"].as_array().unwrap();
    let row = |p: i64| parts.iter().find(|r| r["partition"] == p).unwrap();
    assert_eq!(
        (
            row(0)["current"].as_i64(),
            row(0)["new"].as_i64(),
            row(0)["latest"].as_i64()
        ),
        (Some(10), Some(0), Some(50))
    );
    assert_eq!(
        (
            row(1)["reread"].as_i64(),
            row(1)["lag_before"].as_i64(),
            row(1)["lag_after"].as_i64()
        ),
        (Some(40), Some(10), Some(50))
    );
    assert_eq!(plan["detail"]["reread"], 50);

    // Shift by -5 and to another group's offsets, clamped where the log ends.
    let (_, shift) = send(&t, Method::POST, "/clusters/test/plans", Some(ADMIN),
        Some(json!({"kind": "reset_offsets", "group": "billing", "topics": [{"topic": "events", "partitions": [1]}], "to": {"type": "shift", "by": 100}}))).await;
    assert_eq!(shift["detail"]["partitions"][0]["new"], 50, "{shift:#}");
    assert!(shift["detail"]["partitions"][0]["note"]
        .as_str()
        .unwrap()
        .contains("clamped"));
    let (_, other) = send(&t, Method::POST, "/clusters/test/plans", Some(ADMIN),
        Some(json!({"kind": "reset_offsets", "group": "billing", "to": {"type": "group", "group": "mirror"}}))).await;
    let o = other["detail"]["partitions"].as_array().unwrap();
    assert_eq!(
        (o[0]["new"].as_i64(), o[1]["new"].as_i64()),
        (Some(25), Some(40)),
        "{other:#}"
    );

    // Execute: exactly those offsets, read back by librdkafka.
    let id = plan["id"].as_i64().unwrap();
    let (s, done) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{done:#}");
    assert_eq!(done["revertible"], true);
    assert_eq!(
        committed(&bs, "billing", "events", 2),
        vec![Some(0), Some(0)]
    );

    // Revert: a new plan from the previous offsets, executed like any other.
    let (s, back) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{id}/revert"),
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 201, "{back:#}");
    assert_eq!(back["reverts"], id);
    let back_id = back["id"].as_i64().unwrap();
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{back_id}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 200, "{v:#}");
    assert_eq!(
        committed(&bs, "billing", "events", 2),
        vec![Some(10), Some(40)]
    );

    // A plan whose offsets moved since is refused, naming the partition.
    let (_, stale) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(json!({"kind": "reset_offsets", "group": "billing", "to": {"type": "latest"}})),
    )
    .await;
    traffic::commit(&bs, "billing", &[("events", 0, 11)]).unwrap();
    let sid = stale["id"].as_i64().unwrap();
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{sid}/execute"),
        Some(ADMIN),
        Some(json!({})),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("events-0"),
        "{v}"
    );

    // Delete a group (its name typed) once it is empty.
    let (s, plan) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(ADMIN),
        Some(json!({"kind": "delete_group", "group": "mirror"})),
    )
    .await;
    assert_eq!(s, 201, "{plan:#}");
    let gid = plan["id"].as_i64().unwrap();
    let (s, v) = send(
        &t,
        Method::POST,
        &format!("/clusters/test/plans/{gid}/execute"),
        Some(ADMIN),
        Some(json!({"confirm": "mirror"})),
    )
    .await;
    assert_eq!(s, 200, "{v:#}");
    assert_eq!(committed(&bs, "mirror", "events", 1), vec![None]);

    // (A group with live members is refused in manage_scripted.rs: tansu drops
    // DescribeGroups and accepts any commit.)
    let resets = audit(&t, "offsets.reset").await;
    assert!(
        resets.iter().filter(|r| r["outcome"] == "done").count() >= 2,
        "{resets:#?}"
    );
    assert!(
        resets.iter().any(|r| r["outcome"] == "refused"),
        "{resets:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_scoped_operators_and_read_only_clusters_are_refused() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("events", 1), ("secret", 1)])
        .await
        .unwrap();
    traffic::produce_n(&bs, "events", 0, 5).unwrap();
    traffic::commit(&bs, "billing", &[("events", 0, 3)]).unwrap();
    traffic::commit(&bs, "payroll", &[("events", 0, 1)]).unwrap();
    traffic::produce_n(&bs, "secret", 0, 2).unwrap();
    traffic::commit(&bs, "billing", &[("secret", 0, 1)]).unwrap();
    let t = TestApp::start_configured(&bs, "60s", |_| {}, admin_and_viewers).await;
    t.app.poll_now().await;
    // An operator of group billing and topic events only: other topics and other groups'
    // offsets stay closed through a reset too.
    let (s, v) = send(&t, Method::POST, "/tokens", Some(ADMIN),
        Some(json!({"name": "billing-team", "role": "operator", "topics": "^events$", "consumer_groups": "^billing$", "expires_in": "1d"}))).await;
    assert_eq!(s, 201, "{v}");
    let team = v["token"].as_str().unwrap().to_string();
    let (s, v) = send(&t, Method::POST, "/clusters/test/plans", Some(&team),
        Some(json!({"kind": "reset_offsets", "group": "billing", "topics": [{"topic": "events"}], "to": {"type": "earliest"}}))).await;
    assert_eq!(s, 201, "its own group and topic: {v}");
    let (s, v) = send(&t, Method::POST, "/clusters/test/plans", Some(&team),
        Some(json!({"kind": "reset_offsets", "group": "billing", "topics": [{"topic": "secret"}], "to": {"type": "earliest"}}))).await;
    assert_eq!(s, 403, "a topic it may not see: {v}");
    let (s, v) = send(&t, Method::POST, "/clusters/test/plans", Some(&team),
        Some(json!({"kind": "reset_offsets", "group": "billing", "topics": [{"topic": "events"}], "to": {"type": "group", "group": "payroll"}}))).await;
    assert_eq!(s, 403, "another group's offsets: {v}");
    // Deleting its group would delete its commits on a topic it may not see.
    let (s, v) = send(
        &t,
        Method::POST,
        "/clusters/test/plans",
        Some(&team),
        Some(json!({"kind": "delete_group", "group": "billing"})),
    )
    .await;
    assert_eq!(
        s, 403,
        "a group with commits on a topic it may not see: {v}"
    );
    assert!(v.to_string().contains("secret"), "{v}");
    let (s, v) = send(&t, Method::POST, "/tokens", Some(ADMIN),
        Some(json!({"name": "elsewhere", "role": "operator", "topics": "^other", "consumer_groups": "^other", "expires_in": "1d"}))).await;
    assert_eq!(s, 201, "{v}");
    let scoped = v["token"].as_str().unwrap().to_string();
    let kinds = [
        json!({"kind": "create_topic", "name": "events2", "partitions": 1, "replication_factor": 1}),
        json!({"kind": "alter_topic_configs", "topic": "events", "set": {"retention.ms": "1000"}}),
        json!({"kind": "add_partitions", "topic": "events", "total": 2}),
        json!({"kind": "delete_topic", "topic": "events"}),
        json!({"kind": "purge_topic", "topic": "events", "before": {"type": "offset", "offset": 1}}),
        json!({"kind": "reset_offsets", "group": "billing", "to": {"type": "earliest"}}),
        json!({"kind": "delete_group", "group": "billing"}),
        json!({"kind": "delete_group_offsets", "group": "billing", "topic": "events"}),
        json!({"kind": "alter_broker_configs", "broker": null, "set": {"log.retention.ms": "1000"}}),
        json!({"kind": "elect_leaders"}),
    ];
    for k in &kinds {
        let (s, v) = send(
            &t,
            Method::POST,
            "/clusters/test/plans",
            None,
            Some(k.clone()),
        )
        .await;
        assert_eq!(s, 403, "viewer, {k}: {v}");
        let (s, v) = send(
            &t,
            Method::POST,
            "/clusters/test/plans",
            Some(&scoped),
            Some(k.clone()),
        )
        .await;
        assert_eq!(s, 403, "operator of other topics, {k}: {v}");
    }
    drop(t);

    let t = TestApp::start_configured(
        &bs,
        "60s",
        |_| {},
        |c| {
            admin_and_viewers(c);
            c.clusters[0].read_only = true;
        },
    )
    .await;
    t.app.poll_now().await;
    for k in &kinds {
        let (s, v) = send(
            &t,
            Method::POST,
            "/clusters/test/plans",
            Some(ADMIN),
            Some(k.clone()),
        )
        .await;
        assert_eq!(s, 403, "read-only, {k}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only"),
            "{v}"
        );
    }
}
