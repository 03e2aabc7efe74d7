//! TEST-ONLY: the scripted broker (tests/common/scripted_broker.rs) as a process, playing a
//! three-node KRaft cluster whose metadata quorum tansu cannot show: leader 2, voter 3
//! 12 000 records and 40 s behind, Metadata naming broker 3 as "controller" as KRaft brokers
//! do. The browser tests point a console at it. Prints the bootstrap address, then serves
//! until killed.

#[path = "../tests/common/scripted_broker.rs"]
mod scripted_broker;

use scripted_broker::{Script, ScriptPartition, ScriptQuorum, ScriptTopic, ScriptedCluster};

#[tokio::main]
async fn main() {
    let now = kafscope::collect::now_ms();
    let part = |leader: i32| ScriptPartition {
        leader: Some(leader),
        replicas: std::iter::once(leader)
            .chain([1, 2, 3].into_iter().filter(|b| *b != leader))
            .collect(),
        isr: vec![1, 2, 3],
        end_offset: 1_000,
        size: 4_096,
    };
    let script = Script {
        controller: 3,
        topics: vec![ScriptTopic {
            name: "payments".into(),
            partitions: vec![part(1), part(2), part(3)],
            configs: vec![],
        }],
        // A stopped group whose offsets the browser tests reset and revert.
        groups: [(
            "payments-audit".to_string(),
            vec![
                ("payments".to_string(), 0, 500),
                ("payments".to_string(), 1, 400),
                ("payments".to_string(), 2, 300),
            ],
        )]
        .into_iter()
        .collect(),
        quorum: Some(ScriptQuorum {
            leader: 2,
            epoch: 7,
            high_watermark: 20_000,
            voters: vec![
                (1, 20_000, now - 100, now - 100),
                (2, 20_000, -1, now),
                (3, 8_000, now - 40_000, now - 40_000),
            ],
            observers: vec![],
        }),
        ..Default::default()
    };
    let cluster = ScriptedCluster::start(3, script).await;
    println!("{}", cluster.bootstrap());
    std::future::pending::<()>().await;
}
