//! What one poll costs the cluster, counted by the brokers themselves: the scripted
//! protocol-level test broker (three brokers, test-only) counts every request it answers,
//! and moves group coordinators when told to.

mod common;

use std::collections::BTreeMap;

use common::scripted_broker::{
    coordinator, Script, ScriptMember, ScriptPartition, ScriptTopic, ScriptedCluster,
};
use common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_sends_batched_group_requests_per_coordinator_and_list_offsets_per_broker() {
    let groups = 20;
    let script = Script {
        controller: 1,
        topics: (0..4)
            .map(|t| ScriptTopic {
                name: format!("t{t}"),
                partitions: (0..6)
                    .map(|p| ScriptPartition {
                        leader: Some(p % 3 + 1),
                        replicas: vec![p % 3 + 1, (p + 1) % 3 + 1, (p + 2) % 3 + 1],
                        isr: vec![p % 3 + 1, (p + 1) % 3 + 1, (p + 2) % 3 + 1],
                        end_offset: 100 + p as i64,
                        size: 10,
                    })
                    .collect(),
                configs: vec![],
            })
            .collect(),
        groups: (0..groups)
            .map(|g| {
                let offs = (0..6)
                    .map(|p| (format!("t{}", g % 4), p, 40 + g as i64))
                    .collect();
                (format!("g{g:02}"), offs)
            })
            .collect(),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    // The groups are spread over the three coordinators.
    let coordinators: std::collections::BTreeSet<i32> = (0..groups)
        .map(|g| coordinator(&Script::default(), &cluster.ports, &format!("g{g:02}")).0)
        .collect();
    assert_eq!(coordinators.len(), 3);
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    // Warm-up: connections, ApiVersions, coordinator lookups, configs, log dirs.
    t.app.poll_now().await;
    let before = cluster.requests();
    t.app.poll_now().await;
    let after = cluster.requests();
    let delta = |after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>, api: &str| {
        after.get(api).unwrap_or(&0) - before.get(api).unwrap_or(&0)
    };
    let d = |api: &str| delta(&after, &before, api);
    // One batched OffsetFetch (v8) and one DescribeGroups per coordinator; coordinators and
    // API versions are remembered between polls.
    assert_eq!(d("OffsetFetch"), 3, "{after:?}");
    assert_eq!(d("DescribeGroups"), 3, "{after:?}");
    assert_eq!(d("FindCoordinator"), 0, "{after:?}");
    assert_eq!(d("ApiVersions"), 0, "{after:?}");
    // Earliest, latest and last-stable offsets: one batched request per broker each.
    assert_eq!(d("ListOffsets"), 9, "{after:?}");
    // ListGroups goes to every broker; each lists the groups it coordinates.
    assert_eq!(d("ListGroups"), 3, "{after:?}");
    assert!(d("Metadata") <= 2, "{after:?}");
    let total: u64 = after.keys().map(|k| d(k)).sum();
    assert!(total <= 22, "{total} requests in one poll: {after:?}");

    // And the numbers are the ones scripted: g05 reads t1 at 45, end offsets 100 + p.
    let g = t.get("/api/v1/clusters/test/consumer-groups/g05").await.1;
    assert_eq!(lags(&g), vec![55, 56, 57, 58, 59, 60]);
    assert_eq!(g["state"], "Empty");

    // Every coordinator moves: the old ones answer NOT_COORDINATOR, the groups are looked up
    // again in one batched FindCoordinator and asked again in the same poll. A member joins g05.
    cluster.edit(|s| {
        s.coordinator_shift = 1;
        s.members.insert(
            "g05".into(),
            vec![ScriptMember {
                member_id: "m-1".into(),
                client_id: "consumer-7".into(),
                host: "/10.1.2.3".into(),
                assignment: (0..6).map(|p| ("t1".to_string(), p)).collect(),
                ..Default::default()
            }],
        );
    });
    let before = cluster.requests();
    t.app.poll_now().await;
    let after = cluster.requests();
    let d = |api: &str| delta(&after, &before, api);
    assert_eq!(d("FindCoordinator"), 1, "{after:?}");
    assert_eq!(d("OffsetFetch"), 6, "{after:?}");
    let g = t.get("/api/v1/clusters/test/consumer-groups/g05").await.1;
    assert_eq!(lags(&g), vec![55, 56, 57, 58, 59, 60], "{g}");
    assert_eq!(g["state"], "Stable", "{g}");
    assert_eq!(g["members"][0]["client_id"], "consumer-7", "{g}");
    let assigned = g["members"][0]["assignments"].to_string();
    assert!(assigned.contains("t1"), "{g}");
    assert!(g["describe_error"].is_null(), "{g}");

    // Every request the console sent, on every path (librdkafka's admin client, its own
    // protocol connections), is counted under the protocol's API names: the console's counters
    // equal what the brokers received. Read between polls (both sides unchanged around it).
    let mut tries = 0;
    let (counted, received) = loop {
        let a = counted(&t).await;
        let received = cluster.requests();
        let b = counted(&t).await;
        if a == b && received == cluster.requests() {
            break (a, received);
        }
        tries += 1;
        assert!(tries < 50, "the counts never settled");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(received.contains_key("ApiVersions") && received.contains_key("Metadata"));
    assert_eq!(counted, received);
    t.app.stop().await;
}

/// `kafscope_kafka_requests_total{cluster="test"}` by API.
async fn counted(t: &TestApp) -> BTreeMap<String, u64> {
    t.text("/metrics")
        .await
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("kafscope_kafka_requests_total{cluster=\"test\",api=\"")?;
            let (api, n) = rest.split_once("\"} ")?;
            Some((api.to_string(), n.parse().ok()?))
        })
        .collect()
}

fn lags(g: &serde_json::Value) -> Vec<i64> {
    g["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["lag"].as_i64().unwrap())
        .collect()
}
