//! What one poll costs the cluster, counted by the brokers themselves: the scripted
//! protocol-level test broker (three brokers, test-only) counts every request it answers.

mod common;

use common::scripted_broker::{Script, ScriptPartition, ScriptTopic, ScriptedCluster};
use common::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_sends_one_offset_fetch_per_group_and_batched_list_offsets_per_broker() {
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
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    // Warm-up: connections, ApiVersions, coordinator lookups, configs, log dirs.
    t.app.poll_now().await;
    let before = cluster.requests();
    t.app.poll_now().await;
    let after = cluster.requests();
    let delta = |api: &str| after.get(api).unwrap_or(&0) - before.get(api).unwrap_or(&0);
    assert_eq!(delta("OffsetFetch"), groups as u64, "{after:?}");
    // librdkafka's admin API describes one group per DescribeGroups request, and its
    // coordinator cache keeps 11 entries, so with more groups most group calls look their
    // coordinator up again (README, Figures: requests per cycle).
    assert_eq!(delta("DescribeGroups"), groups as u64, "{after:?}");
    assert!(delta("FindCoordinator") <= 2 * groups as u64, "{after:?}");
    // Earliest, latest and last-stable offsets: one batched request per broker each.
    assert_eq!(delta("ListOffsets"), 9, "{after:?}");
    // ListGroups goes to every broker; only the coordinator lists the groups, once each.
    assert_eq!(delta("ListGroups"), 3, "{after:?}");
    assert!(delta("Metadata") <= 2, "{after:?}");

    // And the numbers are the ones scripted: g05 reads t1 at 45, end offsets 100 + p.
    let (_, g) = t.get("/api/v1/clusters/test/consumer-groups/g05").await;
    let lags: Vec<i64> = g["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["lag"].as_i64().unwrap())
        .collect();
    assert_eq!(lags, vec![55, 56, 57, 58, 59, 60]);
    assert_eq!(g["state"], "Empty");
    t.app.stop().await;
}
