use super::*;

const T0: i64 = 1_790_000_000_000;

fn broker(id: i32, up: bool) -> Broker {
    Broker {
        id,
        host: Some(format!("kafka-{id}")),
        port: Some(9092),
        rack: None,
        is_controller: id == 1,
        roles: vec!["broker".into()],
        status: if up {
            BrokerStatus::Up
        } else {
            BrokerStatus::Down
        },
        leader_partitions: 0,
        replicas: 0,
    }
}

fn part(id: i32, leader: Option<i32>, replicas: &[i32], isr: &[i32]) -> PartitionInfo {
    PartitionInfo {
        partition: id,
        leader,
        replicas: replicas.to_vec(),
        isr: isr.to_vec(),
        log_start_offset: Some(0),
        high_watermark: Some(0),
        last_stable_offset: Some(0),
        under_replicated: isr.len() < replicas.len(),
        offline: leader.is_none(),
    }
}

/// Partitions from `kafka-topics.sh --describe` output (a recorded fixture), found by the
/// `Partition:`, `Leader:`, `Replicas:` and `Isr:` fields.
fn from_cli(text: &str) -> Vec<(String, PartitionInfo)> {
    let list =
        |s: &str| -> Vec<i32> { s.split(',').filter_map(|x| x.trim().parse().ok()).collect() };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.contains("Partition:")) {
        let field = |name: &str| -> Option<String> {
            let i = line.find(name)? + name.len();
            Some(line[i..].split('\t').next()?.trim().to_string())
        };
        let topic = field("Topic:").unwrap();
        let leader: i32 = field("Leader:").unwrap().parse().unwrap();
        let replicas = list(&field("Replicas:").unwrap());
        let isr = list(&field("Isr:").unwrap());
        let id = field("Partition:").unwrap().parse().unwrap();
        out.push((
            topic,
            part(id, (leader >= 0).then_some(leader), &replicas, &isr),
        ));
    }
    out
}

struct World {
    brokers: Vec<Broker>,
    topics: Vec<(String, Vec<PartitionInfo>, Option<i32>)>,
    controller: Option<i32>,
    metrics: BTreeMap<i32, BTreeMap<String, f64>>,
    endpoints: Vec<MetricsEndpoint>,
    log_dirs: BTreeMap<i32, Vec<LogDir>>,
    reachable: bool,
    quorum: Option<kafscope_api::Quorum>,
    diagnosis: Option<kafscope_api::Diagnosis>,
}

impl World {
    fn new(brokers: Vec<Broker>) -> World {
        World {
            brokers,
            topics: Vec::new(),
            controller: Some(1),
            metrics: BTreeMap::new(),
            endpoints: Vec::new(),
            log_dirs: BTreeMap::new(),
            quorum: None,
            reachable: true,
            diagnosis: None,
        }
    }

    fn topic(mut self, name: &str, parts: Vec<PartitionInfo>, min_isr: Option<i32>) -> World {
        self.topics.push((name.to_string(), parts, min_isr));
        self
    }

    fn assess_at(&self, now: i64, since: &HashMap<String, i64>) -> Assessment {
        assess(&Input {
            cluster: "c",
            now_ms: now,
            reachable: self.reachable,
            unreachable_error: Some("connection refused"),
            diagnosis: self.diagnosis.as_ref(),
            data_at_ms: Some(T0),
            brokers: &self.brokers,
            controller_id: self.controller,
            controller_source: self.controller.map(|_| "metadata"),
            quorum: self.quorum.as_ref(),
            quorum_error: None,
            kraft: self.quorum.is_some(),
            topics: self
                .topics
                .iter()
                .map(|(n, p, m)| TopicInput {
                    name: n,
                    partitions: p,
                    min_insync_replicas: *m,
                })
                .collect(),
            metrics: &self.metrics,
            endpoints: &self.endpoints,
            log_dirs: &self.log_dirs,
            since,
        })
    }

    fn health(&self) -> ClusterHealth {
        self.assess_at(T0, &HashMap::new()).health
    }
}

fn kinds(h: &ClusterHealth) -> Vec<(&str, Severity)> {
    h.problems
        .iter()
        .map(|p| (p.kind.as_str(), p.severity))
        .collect()
}

#[test]
fn a_healthy_cluster_has_no_problem() {
    let h = World::new(vec![broker(1, true), broker(2, true), broker(3, true)])
        .topic(
            "orders",
            vec![
                part(0, Some(1), &[1, 2, 3], &[1, 2, 3]),
                part(1, Some(2), &[2, 3, 1], &[2, 3, 1]),
            ],
            Some(2),
        )
        .health();
    assert_eq!(h.verdict, HealthVerdict::Healthy);
    assert_eq!(h.summary, "healthy");
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert!(h.topics.is_empty());
    assert_eq!(h.brokers_up, 3);
}

#[test]
fn recorded_under_replicated_topic_is_a_sentence_naming_the_lagging_broker() {
    // Kafka in Action, ch. 6: `Replicas: 1,0,2  Isr: 0,2`, broker 1 up but out of sync.
    let text = include_str!(
        "../../tests/fixtures/kafka-cli/topics_describe_under-replicated_kafka-in-action-ch6.txt"
    );
    let parts: Vec<PartitionInfo> = from_cli(text).into_iter().map(|(_, p)| p).collect();
    assert_eq!(parts.len(), 1);
    let h = World::new(vec![broker(0, true), broker(1, true), broker(2, true)])
        .topic("kinaction_replica_test", parts, Some(1))
        .health();
    assert_eq!(h.verdict, HealthVerdict::Warning);
    assert_eq!(h.counts.under_replicated, 1);
    let urp = h
        .problems
        .iter()
        .find(|p| p.kind == "under_replicated")
        .expect("under_replicated problem");
    assert_eq!(
        urp.message,
        "1 partition of kinaction_replica_test has 2 of 3 replicas in sync — broker 1 is up but out of sync"
    );
    assert_eq!(urp.topic.as_deref(), Some("kinaction_replica_test"));
    assert_eq!(urp.partitions, vec![0]);
    assert_eq!(urp.brokers, vec![1]);
    // Leader 0 is not the preferred leader 1: broker 1 leads 0 of its 1 preferred partition.
    assert!(kinds(&h).contains(&("leader_imbalance", Severity::Warning)));
    assert_eq!(h.topics[0].counts.not_preferred_leader, 1);
}

#[test]
fn recorded_fully_replicated_topic_is_healthy() {
    let text =
        include_str!("../../tests/fixtures/kafka-cli/topics_describe_rf3_apache-docs-4.0-ops.txt");
    let parts: Vec<PartitionInfo> = from_cli(text).into_iter().map(|(_, p)| p).collect();
    let h = World::new(vec![broker(5, true), broker(6, true), broker(7, true)])
        .topic("foo", parts, Some(2))
        .health();
    assert_eq!(h.verdict, HealthVerdict::Healthy, "{:?}", h.problems);
    assert_eq!(h.counts.at_min_isr, 0);
}

#[test]
fn a_down_broker_explains_the_partitions_it_leaves_behind() {
    let mut w = World::new(vec![broker(1, true), broker(2, false), broker(3, true)]);
    w = w.topic(
        "orders",
        vec![
            // Broker 2 out of the ISR: 2 of 3 in sync, min 2 → at min ISR.
            part(0, Some(1), &[1, 2, 3], &[1, 3]),
            part(1, Some(3), &[3, 2, 1], &[3, 1]),
            // Only one left in sync: under min ISR.
            part(2, Some(1), &[1, 2, 3], &[1]),
            // Led by nobody: offline.
            part(3, None, &[2], &[]),
        ],
        Some(2),
    );
    let h = w.health();
    assert_eq!(h.verdict, HealthVerdict::Critical);
    assert_eq!(h.brokers_down, 1);
    assert_eq!(h.counts.offline, 1);
    assert_eq!(h.counts.under_min_isr, 1);
    assert_eq!(h.counts.at_min_isr, 2);
    assert_eq!(h.counts.under_replicated, 4);
    assert_eq!(h.counts.replicas_on_down_brokers, 4);
    let by_kind = |k: &str| h.problems.iter().find(|p| p.kind == k).unwrap();
    assert_eq!(
        by_kind("broker_down").message,
        "Broker 2 (kafka-2:9092) is down — it hosts 4 replicas; 1 of them is offline"
    );
    // With the connection check's finding for that broker, the problem says why.
    w.diagnosis = Some(kafscope_api::Diagnosis {
        ok: false,
        verdict: String::new(),
        step: Some("connect".into()),
        cause: Some("connection_refused".into()),
        setting: None,
        warnings: Vec::new(),
        security: "plaintext".into(),
        checked_at: String::new(),
        took_ms: 0,
        targets: vec![kafscope_api::DiagnosisTarget {
            address: "kafka-2:9092".into(),
            role: "broker".into(),
            broker_id: Some(2),
            ok: false,
            step: Some("connect".into()),
            cause: Some("connection_refused".into()),
            message: Some("cannot connect to kafka-2:9092: connection refused".into()),
            setting: None,
            took_ms: 1,
        }],
    });
    let h2 = w.health();
    assert_eq!(
        h2.problems.iter().find(|p| p.kind == "broker_down").unwrap().message,
        "Broker 2 (kafka-2:9092) is down — it hosts 4 replicas; 1 of them is offline. The console's check: cannot connect to kafka-2:9092: connection refused"
    );
    assert_eq!(
        by_kind("offline_partitions").message,
        "1 partition of orders is offline (no leader): nothing can be written or read there — broker 2 is down"
    );
    assert_eq!(
        by_kind("under_min_isr").message,
        "1 partition of orders has 1 of 3 replicas in sync, below min.insync.replicas=2: producers with acks=all are failing — broker 2 is down; broker 3 is up but out of sync"
    );
    let at_min = by_kind("at_min_isr");
    assert_eq!(at_min.partitions, vec![0, 1]);
    assert_eq!(at_min.partition_count, 2);
    assert_eq!(at_min.severity, Severity::Warning);
    // Critical first.
    assert_eq!(h.problems[0].severity, Severity::Critical);
    assert_eq!(h.summary, "3 critical problems, 1 warning");
    // Per broker: broker 2 hosts 4 replicas, all on a down broker.
    let b2 = h.brokers.iter().find(|b| b.broker == 2).unwrap();
    assert!(!b2.up);
    assert_eq!(b2.counts.replicas_on_down_brokers, 4);
}

#[test]
fn unknown_min_isr_is_counted_not_guessed() {
    let h = World::new(vec![broker(1, true), broker(2, true)])
        .topic("t", vec![part(0, Some(1), &[1, 2], &[1])], None)
        .health();
    assert_eq!(h.counts.min_isr_unknown, 1);
    assert_eq!(h.counts.under_min_isr, 0);
    assert_eq!(kinds(&h), vec![("under_replicated", Severity::Warning)]);
}

#[test]
fn a_problem_keeps_its_first_seen_time_until_it_heals() {
    let sick = World::new(vec![broker(1, true), broker(2, true)]).topic(
        "t",
        vec![part(0, Some(1), &[1, 2], &[1])],
        Some(1),
    );
    let first = sick.assess_at(T0, &HashMap::new());
    let later = sick.assess_at(T0 + 60_000, &first.since);
    assert_eq!(
        later.health.problems[0].since,
        crate::http::state::rfc3339(T0)
    );
    let healed = World::new(vec![broker(1, true), broker(2, true)]).topic(
        "t",
        vec![part(0, Some(1), &[1, 2], &[1, 2])],
        Some(1),
    );
    let after = healed.assess_at(T0 + 120_000, &later.since);
    assert!(after.health.problems.is_empty());
    let again = sick.assess_at(T0 + 180_000, &after.since);
    assert_eq!(
        again.health.problems[0].since,
        crate::http::state::rfc3339(T0 + 180_000)
    );
}

#[test]
fn leader_imbalance_needs_more_than_ten_percent() {
    // Broker 1 is preferred for 10 partitions and leads 9 of them: 10 % is not above 10 %.
    let mut parts: Vec<PartitionInfo> = (0..10)
        .map(|i| part(i, Some(1), &[1, 2], &[1, 2]))
        .collect();
    parts[0].leader = Some(2);
    let h = World::new(vec![broker(1, true), broker(2, true)])
        .topic("t", parts.clone(), Some(1))
        .health();
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    parts[1].leader = Some(2);
    let h = World::new(vec![broker(1, true), broker(2, true)])
        .topic("t", parts, Some(1))
        .health();
    assert_eq!(
        h.problems[0].message,
        "Broker 1 leads 8 of the 10 partitions it is preferred leader for (20 % imbalance, above Kafka's default 10 %) — a preferred leader election moves them back"
    );
    let b1 = h.brokers.iter().find(|b| b.broker == 1).unwrap();
    assert_eq!((b1.preferred_partitions, b1.preferred_led), (10, 8));
}

#[test]
fn active_controller_count_must_sum_to_exactly_one() {
    let mut w = World::new(vec![broker(1, true), broker(2, true)]);
    let m = |v: f64| BTreeMap::from([("active_controller_count".to_string(), v)]);
    w.metrics = BTreeMap::from([(1, m(1.0)), (2, m(0.0))]);
    let h = w.health();
    assert_eq!(h.active_controller_count, Some(1.0));
    assert!(h.problems.is_empty());
    w.metrics = BTreeMap::from([(1, m(1.0)), (2, m(1.0))]);
    let h = w.health();
    assert_eq!(kinds(&h), vec![("controller_count", Severity::Critical)]);
    assert!(h.problems[0]
        .message
        .starts_with("2 brokers claim to be the active controller"));
    w.metrics = BTreeMap::from([(1, m(0.0)), (2, m(0.0))]);
    assert_eq!(
        kinds(&w.health()),
        vec![("controller_count", Severity::Critical)]
    );
    // Zero from only some brokers is not a verdict: the controller may be the unscraped one.
    w.metrics = BTreeMap::from([(1, m(0.0))]);
    let h = w.health();
    assert!(h.problems.is_empty());
    assert_eq!(h.active_controller_count, Some(0.0));
    // No broker reports it: unknown, not 0.
    w.metrics.clear();
    assert_eq!(w.health().active_controller_count, None);
}

#[test]
fn broker_metrics_and_endpoints_become_problems() {
    let mut w = World::new(vec![broker(1, true), broker(2, true)]);
    w.metrics = BTreeMap::from([(
        1,
        BTreeMap::from([
            ("under_replicated_partitions".to_string(), 2.0),
            ("request_handler_idle_ratio".to_string(), 0.05),
            ("network_processor_idle_ratio".to_string(), 0.9),
            ("request_queue_size".to_string(), 250.0),
        ]),
    )]);
    w.endpoints = vec![MetricsEndpoint {
        url: "http://kafka-2:7071/metrics".into(),
        kind: "prometheus".into(),
        broker: Some(2),
        last_scrape_at: None,
        duration_ms: None,
        error: Some("connection refused".into()),
        samples: 0,
        metrics_found: 0,
        notes: vec![],
    }];
    let h = w.health();
    let mut k = kinds(&h);
    k.sort();
    assert_eq!(
        k,
        vec![
            ("metrics_endpoint_down", Severity::Warning),
            ("metrics_under_replicated", Severity::Warning),
            ("request_handler_busy", Severity::Critical),
            ("request_queue", Severity::Warning),
        ]
    );
    let busy = h
        .problems
        .iter()
        .find(|p| p.kind == "request_handler_busy")
        .unwrap();
    assert_eq!(
        busy.message,
        "Broker 1's request handler threads are 95 % busy (idle 0.05) — requests queue up"
    );
    let urp = h
        .problems
        .iter()
        .find(|p| p.kind == "metrics_under_replicated")
        .unwrap();
    assert_eq!(
        urp.message,
        "Broker 1 reports 2 under-replicated partitions it leads (UnderReplicatedPartitions)"
    );
}

#[test]
fn disk_usage_from_log_dirs() {
    let mut w = World::new(vec![broker(1, true)]);
    let dir = |total: u64, usable: u64| LogDir {
        path: "/var/lib/kafka".into(),
        error: None,
        size_bytes: 10,
        total_bytes: Some(total),
        usable_bytes: Some(usable),
    };
    w.log_dirs = BTreeMap::from([(1, vec![dir(100, 50)])]);
    assert!(w.health().problems.is_empty());
    w.log_dirs = BTreeMap::from([(1, vec![dir(100, 15)])]);
    assert_eq!(kinds(&w.health()), vec![("disk_usage", Severity::Warning)]);
    w.log_dirs = BTreeMap::from([(1, vec![dir(100, 5)])]);
    let h = w.health();
    assert_eq!(kinds(&h), vec![("disk_usage", Severity::Critical)]);
    assert_eq!(
        h.problems[0].message,
        "Broker 1's /var/lib/kafka is 95 % full — when it fills the broker stops"
    );
}

#[test]
fn unreachable_cluster_is_critical_and_says_so() {
    let mut w = World::new(vec![broker(1, true)]);
    w.reachable = false;
    let h = w.assess_at(T0 + 90_000, &HashMap::new()).health;
    assert_eq!(h.verdict, HealthVerdict::Critical);
    assert_eq!(
        h.problems[0].message,
        "The console cannot reach the cluster: connection refused — what is shown is the last data read, 1 min 30 s old"
    );
}

#[test]
fn no_controller_is_critical() {
    let mut w = World::new(vec![broker(1, true)]);
    w.controller = None;
    assert_eq!(
        kinds(&w.health()),
        vec![("no_controller", Severity::Critical)]
    );
}

fn voter(
    id: i32,
    role: &str,
    lag: Option<i64>,
    lag_ms: Option<i64>,
) -> kafscope_api::QuorumReplica {
    kafscope_api::QuorumReplica {
        id,
        role: role.into(),
        node_type: "combined".into(),
        directory_id: None,
        log_end_offset: lag.map(|l| 20_000 - l),
        lag,
        lag_ms,
        last_fetch_at: None,
        last_caught_up_at: None,
        endpoints: vec![],
    }
}

fn quorum(leader: Option<i32>, voters: Vec<kafscope_api::QuorumReplica>) -> kafscope_api::Quorum {
    let caught_up = voters
        .iter()
        .filter(|v| leader.is_some() && v.lag_ms.is_some_and(|ms| ms <= 10_000))
        .count();
    kafscope_api::Quorum {
        leader_id: leader,
        leader_epoch: 4,
        high_watermark: 20_000,
        max_follower_lag: None,
        max_follower_lag_ms: None,
        voters_caught_up: caught_up,
        voters,
        observers: vec![],
        via: 1,
        read_at: String::new(),
    }
}

fn kraft(q: kafscope_api::Quorum) -> World {
    let mut w = World::new(vec![broker(1, true), broker(2, true), broker(3, true)]);
    w.quorum = Some(q);
    // KRaft names the quorum leader, never Metadata's pick.
    w.controller = w.quorum.as_ref().and_then(|q| q.leader_id);
    w
}

#[test]
fn a_voter_behind_the_quorum_leader_is_named_with_records_and_time() {
    let h = kraft(quorum(
        Some(1),
        vec![
            voter(1, "leader", Some(0), Some(0)),
            voter(2, "follower", Some(3), Some(120)),
            voter(3, "follower", Some(12_000), Some(40_000)),
        ],
    ))
    .health();
    assert_eq!(
        kinds(&h),
        [
            ("quorum_at_risk", Severity::Warning),
            ("quorum_lag", Severity::Warning)
        ]
    );
    assert_eq!(
        h.problems[1].message,
        "Controller 3 is 12,000 records / 40 s behind the quorum leader 1"
    );
    assert_eq!(
        h.problems[0].message,
        "Only 2 of 3 metadata quorum voters are caught up: one more failure loses the quorum"
    );
    assert_eq!(h.problems[0].brokers, [3]);
    assert!(h.quorum.is_some());
}

#[test]
fn a_caught_up_quorum_is_healthy_and_a_leaderless_one_is_critical_without_no_controller() {
    let ok = kraft(quorum(
        Some(2),
        vec![
            voter(1, "follower", Some(0), Some(5)),
            voter(2, "leader", Some(0), Some(0)),
            voter(3, "follower", Some(1), Some(300)),
        ],
    ))
    .health();
    assert!(ok.problems.is_empty(), "{:?}", ok.problems);

    let lost = kraft(quorum(
        None,
        vec![
            voter(1, "follower", None, None),
            voter(2, "follower", None, None),
            voter(3, "follower", None, None),
        ],
    ))
    .health();
    assert_eq!(kinds(&lost), [("quorum_no_leader", Severity::Critical)]);
    assert!(lost.problems[0].message.contains("no controller is active"));
}

#[test]
fn controllers_that_never_fetched_put_the_quorum_below_a_majority() {
    // Two of three voters gone: the leader cannot commit.
    let h = kraft(quorum(
        Some(1),
        vec![
            voter(1, "leader", Some(0), Some(0)),
            voter(2, "follower", None, None),
            voter(3, "follower", None, None),
        ],
    ))
    .health();
    let k = kinds(&h);
    assert!(k.contains(&("quorum_at_risk", Severity::Critical)), "{k:?}");
    assert!(k.contains(&("quorum_lag", Severity::Critical)), "{k:?}");
}

#[test]
fn a_voter_the_new_leader_never_heard_from_is_named_as_down() {
    // Seen killing the quorum leader of a real cluster: the new leader has no position for it.
    let h = kraft(quorum(
        Some(1),
        vec![
            voter(1, "leader", Some(0), Some(0)),
            voter(2, "follower", None, None),
            voter(3, "follower", Some(0), Some(360)),
        ],
    ))
    .health();
    let lag = h.problems.iter().find(|p| p.kind == "quorum_lag").unwrap();
    assert_eq!(lag.severity, Severity::Critical);
    assert_eq!(
        lag.message,
        "Controller 2 has not fetched from the quorum leader 1 since it was elected (epoch 4): \
         it is down or cut off, how far behind is unknown"
    );
}
