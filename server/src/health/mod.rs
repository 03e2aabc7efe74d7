//! "Is my cluster healthy?": replication problems from metadata, broker metrics and log dirs,
//! each said as a sentence with a severity and what it concerns. Pure: no I/O, unit-tested.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kafscope_api::fmt;
use kafscope_api::{
    Broker, BrokerHealth, BrokerStatus, ClusterHealth, HealthVerdict, LogDir, MetricsEndpoint,
    PartitionInfo, Problem, ReplicationCounts, Severity, TopicHealth,
};

mod quorum;
mod sentences;

use sentences::{broker_list, broker_name, isr_phrase, partitions_of};

/// Partitions listed by number in one problem; `partition_count` has them all.
const MAX_LISTED_PARTITIONS: usize = 100;
/// Kafka's default `leader.imbalance.per.broker.percentage`.
const IMBALANCE_RATIO: f64 = 0.10;

/// One topic as health sees it.
pub struct TopicInput<'a> {
    pub name: &'a str,
    pub partitions: &'a [PartitionInfo],
    pub min_insync_replicas: Option<i32>,
}

/// Everything one assessment reads.
pub struct Input<'a> {
    pub cluster: &'a str,
    pub now_ms: i64,
    pub reachable: bool,
    pub unreachable_error: Option<&'a str>,
    /// The connection check of brokers that are down: why each cannot be reached.
    pub diagnosis: Option<&'a kafscope_api::Diagnosis>,
    pub data_at_ms: Option<i64>,
    pub brokers: &'a [Broker],
    pub controller_id: Option<i32>,
    /// `quorum` (KRaft) or `metadata` (ZooKeeper era); `None` when unknown.
    pub controller_source: Option<&'a str>,
    pub quorum: Option<&'a kafscope_api::Quorum>,
    /// Why the quorum of a KRaft cluster could not be read.
    pub quorum_error: Option<&'a str>,
    /// Known to be a KRaft cluster (then the quorum's problems speak for the controller).
    pub kraft: bool,
    pub topics: Vec<TopicInput<'a>>,
    /// Known metrics per broker (missing key = unavailable).
    pub metrics: &'a BTreeMap<i32, BTreeMap<String, f64>>,
    pub endpoints: &'a [MetricsEndpoint],
    pub log_dirs: &'a BTreeMap<i32, Vec<LogDir>>,
    /// When each problem was first seen, from the previous assessment.
    pub since: &'a HashMap<String, i64>,
}

/// The assessment and the first-seen times to carry to the next one.
pub struct Assessment {
    pub health: ClusterHealth,
    pub since: HashMap<String, i64>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    UnderReplicated,
    AtMinIsr,
    UnderMinIsr,
    Offline,
}

pub fn assess(input: &Input) -> Assessment {
    let live: BTreeSet<i32> = input
        .brokers
        .iter()
        .filter(|b| b.status == BrokerStatus::Up)
        .map(|b| b.id)
        .collect();
    let down: BTreeSet<i32> = input
        .brokers
        .iter()
        .filter(|b| b.status == BrokerStatus::Down)
        .map(|b| b.id)
        .collect();
    let mut problems: Vec<Problem> = Vec::new();
    let mut counts = ReplicationCounts::default();
    let mut per_broker: BTreeMap<i32, BrokerHealth> = input
        .brokers
        .iter()
        .map(|b| {
            (
                b.id,
                BrokerHealth {
                    broker: b.id,
                    up: b.status == BrokerStatus::Up,
                    counts: ReplicationCounts::default(),
                    preferred_partitions: 0,
                    preferred_led: 0,
                },
            )
        })
        .collect();
    let mut topics_out: Vec<TopicHealth> = Vec::new();
    // Partitions affected by each down broker, for its sentence.
    let mut down_effect: BTreeMap<i32, (usize, usize)> = BTreeMap::new();

    for t in &input.topics {
        let mut tc = ReplicationCounts::default();
        let mut by_class: BTreeMap<Class, Vec<&PartitionInfo>> = BTreeMap::new();
        for p in t.partitions {
            let offline = p.leader.is_none_or(|l| !live.contains(&l));
            let isr = p.isr.len() as i32;
            let urp = p.isr.len() < p.replicas.len();
            let class = if offline {
                Some(Class::Offline)
            } else {
                match t.min_insync_replicas {
                    Some(min) if isr < min => Some(Class::UnderMinIsr),
                    Some(min) if isr == min && urp => Some(Class::AtMinIsr),
                    _ if urp => Some(Class::UnderReplicated),
                    _ => None,
                }
            };
            let mut pc = ReplicationCounts {
                offline: offline as usize,
                under_replicated: urp as usize,
                ..Default::default()
            };
            match t.min_insync_replicas {
                Some(min) => {
                    pc.under_min_isr = (!offline && isr < min) as usize;
                    pc.at_min_isr = (!offline && isr == min) as usize;
                }
                None => pc.min_isr_unknown = 1,
            }
            let on_down = p.replicas.iter().filter(|r| down.contains(r)).count();
            pc.replicas_on_down_brokers = on_down;
            let preferred = p.replicas.first().copied();
            pc.not_preferred_leader =
                (p.leader.is_some() && preferred.is_some() && p.leader != preferred) as usize;
            add(&mut tc, &pc);
            for r in &p.replicas {
                if let Some(bh) = per_broker.get_mut(r) {
                    let mut mine = pc.clone();
                    mine.replicas_on_down_brokers = down.contains(r) as usize;
                    mine.not_preferred_leader = 0;
                    add(&mut bh.counts, &mine);
                }
                if down.contains(r) {
                    let e = down_effect.entry(*r).or_default();
                    e.0 += 1;
                    e.1 += offline as usize;
                }
            }
            if let Some(pref) = preferred.filter(|b| live.contains(b)) {
                if let Some(bh) = per_broker.get_mut(&pref) {
                    bh.preferred_partitions += 1;
                    if p.leader == Some(pref) {
                        bh.preferred_led += 1;
                    } else if let Some(leader) = p.leader.and_then(|l| per_broker.get_mut(&l)) {
                        leader.counts.not_preferred_leader += 1;
                    }
                }
            }
            if let Some(c) = class {
                by_class.entry(c).or_default().push(p);
            }
        }
        add(&mut counts, &tc);
        for (class, parts) in by_class.iter().rev() {
            problems.push(partition_problem(t, *class, parts, &down, input));
        }
        let interesting = tc.under_replicated
            + tc.under_min_isr
            + tc.offline
            + tc.replicas_on_down_brokers
            + tc.not_preferred_leader
            > 0;
        if interesting {
            topics_out.push(TopicHealth {
                topic: t.name.to_string(),
                counts: tc,
                min_insync_replicas: t.min_insync_replicas,
            });
        }
    }

    for b in input
        .brokers
        .iter()
        .filter(|b| b.status == BrokerStatus::Down)
    {
        let (replicas, offline) = down_effect.get(&b.id).copied().unwrap_or((0, 0));
        let mut message = format!("{} is down", broker_name(b));
        if replicas > 0 {
            message.push_str(&format!(" — it hosts {}", fmt::plural(replicas, "replica")));
            if offline > 0 {
                message.push_str(&format!(
                    "; {} of them {} offline",
                    fmt::count(offline),
                    if offline == 1 { "is" } else { "are" }
                ));
            }
        } else {
            message.push_str(" — it hosts no replica now");
        }
        let why = input.diagnosis.and_then(|d| {
            d.targets
                .iter()
                .find(|t| t.broker_id == Some(b.id) && !t.ok)
                .and_then(|t| t.message.as_deref())
        });
        if let Some(why) = why {
            message.push_str(&format!(". The console's check: {why}"));
        }
        problems.push(problem(
            format!("broker_down:{}", b.id),
            "broker_down",
            Severity::Critical,
            message,
            None,
            &[],
            vec![b.id],
        ));
    }

    for bh in per_broker.values() {
        let missing = bh.preferred_partitions - bh.preferred_led;
        if bh.up
            && bh.preferred_partitions > 0
            && missing as f64 / bh.preferred_partitions as f64 > IMBALANCE_RATIO
        {
            problems.push(problem(
                format!("leader_imbalance:{}", bh.broker),
                "leader_imbalance",
                Severity::Warning,
                format!(
                    "Broker {} leads {} of the {} partitions it is preferred leader for ({} % \
                     imbalance, above Kafka's default 10 %) — a preferred leader election moves \
                     them back",
                    bh.broker,
                    fmt::count(bh.preferred_led),
                    fmt::count(bh.preferred_partitions),
                    (missing * 100) / bh.preferred_partitions
                ),
                None,
                &[],
                vec![bh.broker],
            ));
        }
    }

    if input.reachable {
        quorum::problems(input, &mut problems);
    }
    // On KRaft the quorum's problems say it; an unread quorum is not a missing controller.
    if input.reachable && input.controller_id.is_none() && !live.is_empty() && !input.kraft {
        problems.push(problem(
            "no_controller".into(),
            "no_controller",
            Severity::Critical,
            "No broker reports an active controller — partition leadership and topic changes \
             cannot be handled"
                .into(),
            None,
            &[],
            vec![],
        ));
    }

    let active_controller_count = metric_problems(input, &live, &mut problems);
    disk_problems(input, &mut problems);

    if !input.reachable {
        let why = input.unreachable_error.unwrap_or("no answer");
        problems.push(problem(
            "unreachable".into(),
            "unreachable",
            Severity::Critical,
            format!(
                "The console cannot reach the cluster: {why} — what is shown is the last data \
                 read{}",
                input
                    .data_at_ms
                    .map(|d| format!(", {} old", fmt::age(((input.now_ms - d) / 1000) as u64)))
                    .unwrap_or_default()
            ),
            None,
            &[],
            vec![],
        ));
    }

    // Carry first-seen times; new problems start now.
    let mut since = HashMap::new();
    for p in &mut problems {
        let at = input.since.get(&p.id).copied().unwrap_or(input.now_ms);
        since.insert(p.id.clone(), at);
        p.since = crate::http::state::rfc3339(at);
    }
    problems.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));

    let critical = problems
        .iter()
        .filter(|p| p.severity == Severity::Critical)
        .count();
    let warnings = problems
        .iter()
        .filter(|p| p.severity == Severity::Warning)
        .count();
    let verdict = if input.data_at_ms.is_none() {
        HealthVerdict::Unknown
    } else if critical > 0 {
        HealthVerdict::Critical
    } else if warnings > 0 {
        HealthVerdict::Warning
    } else {
        HealthVerdict::Healthy
    };
    let summary = match verdict {
        HealthVerdict::Unknown => "not read yet".to_string(),
        HealthVerdict::Healthy => "healthy".to_string(),
        _ => {
            let mut parts = Vec::new();
            if critical > 0 {
                parts.push(fmt::plural(critical, "critical problem"));
            }
            if warnings > 0 {
                parts.push(fmt::plural(warnings, "warning"));
            }
            parts.join(", ")
        }
    };
    Assessment {
        health: ClusterHealth {
            cluster: input.cluster.to_string(),
            verdict,
            summary,
            counts,
            brokers_up: live.len(),
            brokers_down: down.len(),
            controller_id: input.controller_id,
            controller_source: input.controller_source.map(str::to_string),
            quorum: input.quorum.cloned(),
            quorum_error: input.quorum_error.map(str::to_string),
            active_controller_count,
            problems,
            topics: topics_out,
            brokers: per_broker.into_values().collect(),
            metrics_endpoints: input.endpoints.to_vec(),
            data_at: input.data_at_ms.map(crate::http::state::rfc3339),
        },
        since,
    }
}

/// The assessment before the first poll.
pub fn unknown(cluster: &str) -> ClusterHealth {
    ClusterHealth {
        cluster: cluster.to_string(),
        verdict: HealthVerdict::Unknown,
        summary: "not read yet".to_string(),
        counts: ReplicationCounts::default(),
        brokers_up: 0,
        brokers_down: 0,
        controller_id: None,
        controller_source: None,
        quorum: None,
        quorum_error: None,
        active_controller_count: None,
        problems: Vec::new(),
        topics: Vec::new(),
        brokers: Vec::new(),
        metrics_endpoints: Vec::new(),
        data_at: None,
    }
}

fn add(total: &mut ReplicationCounts, c: &ReplicationCounts) {
    total.under_replicated += c.under_replicated;
    total.under_min_isr += c.under_min_isr;
    total.at_min_isr += c.at_min_isr;
    total.offline += c.offline;
    total.replicas_on_down_brokers += c.replicas_on_down_brokers;
    total.not_preferred_leader += c.not_preferred_leader;
    total.min_isr_unknown += c.min_isr_unknown;
}

fn problem(
    id: String,
    kind: &str,
    severity: Severity,
    message: String,
    topic: Option<&str>,
    partitions: &[i32],
    brokers: Vec<i32>,
) -> Problem {
    Problem {
        id,
        kind: kind.to_string(),
        severity,
        message,
        since: String::new(),
        topic: topic.map(str::to_string),
        partitions: partitions
            .iter()
            .take(MAX_LISTED_PARTITIONS)
            .copied()
            .collect(),
        partition_count: partitions.len(),
        brokers,
    }
}

/// One sentence for the partitions of a topic in one class.
fn partition_problem(
    t: &TopicInput,
    class: Class,
    parts: &[&PartitionInfo],
    down: &BTreeSet<i32>,
    input: &Input,
) -> Problem {
    let ids: Vec<i32> = parts.iter().map(|p| p.partition).collect();
    let subject = partitions_of(parts.len(), t.name);
    // Brokers that hold a replica but are missing from the ISR.
    let mut out_of_sync: BTreeSet<i32> = BTreeSet::new();
    for p in parts {
        for r in &p.replicas {
            if !p.isr.contains(r) {
                out_of_sync.insert(*r);
            }
        }
    }
    let down_here: Vec<i32> = out_of_sync.intersection(down).copied().collect();
    let lagging: Vec<i32> = out_of_sync.difference(down).copied().collect();
    let mut cause = Vec::new();
    if !down_here.is_empty() {
        cause.push(format!(
            "{} {} down",
            broker_list(&down_here, input.brokers),
            if down_here.len() == 1 { "is" } else { "are" }
        ));
    }
    if !lagging.is_empty() {
        cause.push(format!(
            "{} {} up but out of sync",
            broker_list(&lagging, input.brokers),
            if lagging.len() == 1 { "is" } else { "are" }
        ));
    }
    let cause = if cause.is_empty() {
        String::new()
    } else {
        format!(" — {}", cause.join("; "))
    };
    let isr = isr_phrase(parts);
    let min = t.min_insync_replicas.unwrap_or(0);
    let (kind, severity, message) = match class {
        Class::Offline => {
            let leaders: BTreeSet<i32> = parts.iter().filter_map(|p| p.leader).collect();
            let why = if leaders.is_empty() {
                "no leader".to_string()
            } else {
                format!(
                    "leader {} not live",
                    broker_list(&leaders.into_iter().collect::<Vec<_>>(), input.brokers)
                )
            };
            let on: BTreeSet<i32> = parts
                .iter()
                .flat_map(|p| p.replicas.iter().copied())
                .collect();
            let on_down: Vec<i32> = on.intersection(down).copied().collect();
            let tail = if on_down.is_empty() {
                String::new()
            } else {
                format!(
                    " — {} {} down",
                    broker_list(&on_down, input.brokers),
                    if on_down.len() == 1 { "is" } else { "are" }
                )
            };
            (
                "offline_partitions",
                Severity::Critical,
                format!(
                    "{subject} {} offline ({why}): nothing can be written or read there{tail}",
                    verb(parts.len())
                ),
            )
        }
        Class::UnderMinIsr => (
            "under_min_isr",
            Severity::Critical,
            format!(
                "{subject} {} {isr} replicas in sync, below min.insync.replicas={min}: \
                 producers with acks=all are failing{cause}",
                has(parts.len())
            ),
        ),
        Class::AtMinIsr => (
            "at_min_isr",
            Severity::Warning,
            format!(
                "{subject} {} {isr} replicas in sync, exactly min.insync.replicas={min}: one \
                 more lost replica stops acks=all writes{cause}",
                has(parts.len())
            ),
        ),
        Class::UnderReplicated => (
            "under_replicated",
            Severity::Warning,
            format!(
                "{subject} {} {isr} replicas in sync{cause}",
                has(parts.len())
            ),
        ),
    };
    let mut brokers: Vec<i32> = out_of_sync.into_iter().collect();
    if class == Class::Offline {
        brokers = parts
            .iter()
            .flat_map(|p| p.replicas.iter().copied())
            .collect::<BTreeSet<i32>>()
            .into_iter()
            .collect();
    }
    problem(
        format!("{kind}:{}", t.name),
        kind,
        severity,
        message,
        Some(t.name),
        &ids,
        brokers,
    )
}

/// A metric value for a sentence: `2`, `1,204`, `0.35`.
fn value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        fmt::num(v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// `1 partition`, `2 partitions`, `2.5 partitions`.
fn counted(v: f64, noun: &str) -> String {
    if v == 1.0 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", value(v))
    }
}

fn verb(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

fn has(n: usize) -> &'static str {
    if n == 1 {
        "has"
    } else {
        "have"
    }
}

/// Problems broker metrics show; returns the cluster's summed ActiveControllerCount.
fn metric_problems(
    input: &Input,
    live: &BTreeSet<i32>,
    problems: &mut Vec<Problem>,
) -> Option<f64> {
    for e in input.endpoints.iter().filter(|e| e.error.is_some()) {
        let whose = e
            .broker
            .map(|b| format!(" (broker {b})"))
            .unwrap_or_default();
        problems.push(problem(
            format!("metrics_endpoint_down:{}", e.url),
            "metrics_endpoint_down",
            Severity::Warning,
            format!(
                "Metrics endpoint {}{whose} cannot be read: {} — its metrics show as unavailable",
                e.url,
                e.error.as_deref().unwrap_or("")
            ),
            None,
            &[],
            e.broker.into_iter().collect(),
        ));
    }
    for (b, m) in input.metrics {
        let get = |k: &str| m.get(k).copied();
        if let Some(v) = get("under_replicated_partitions").filter(|v| *v > 0.0) {
            problems.push(problem(
                format!("metrics_under_replicated:{b}"),
                "metrics_under_replicated",
                Severity::Warning,
                format!(
                    "Broker {b} reports {} it leads (UnderReplicatedPartitions)",
                    counted(v, "under-replicated partition")
                ),
                None,
                &[],
                vec![*b],
            ));
        }
        if let Some(v) = get("offline_partitions").filter(|v| *v > 0.0) {
            problems.push(problem(
                format!("metrics_offline_partitions:{b}"),
                "metrics_offline_partitions",
                Severity::Critical,
                format!(
                    "The controller (broker {b}) counts {} (OfflinePartitionsCount)",
                    counted(v, "offline partition")
                ),
                None,
                &[],
                vec![*b],
            ));
        }
        if let Some(v) = get("under_min_isr_partitions").filter(|v| *v > 0.0) {
            problems.push(problem(
                format!("metrics_under_min_isr:{b}"),
                "metrics_under_min_isr",
                Severity::Critical,
                format!(
                    "Broker {b} reports {} under min.insync.replicas \
                     (UnderMinIsrPartitionCount)",
                    counted(v, "partition")
                ),
                None,
                &[],
                vec![*b],
            ));
        }
        for (key, kind, what) in [
            (
                "request_handler_idle_ratio",
                "request_handler_busy",
                "request handler threads",
            ),
            (
                "network_processor_idle_ratio",
                "network_busy",
                "network threads",
            ),
        ] {
            if let Some(idle) = get(key).filter(|v| *v < 0.3) {
                let severity = if idle < 0.1 {
                    Severity::Critical
                } else {
                    Severity::Warning
                };
                problems.push(problem(
                    format!("{kind}:{b}"),
                    kind,
                    severity,
                    format!(
                        "Broker {b}'s {what} are {} % busy (idle {:.2}) — requests queue up",
                        ((1.0 - idle.clamp(0.0, 1.0)) * 100.0).round(),
                        idle
                    ),
                    None,
                    &[],
                    vec![*b],
                ));
            }
        }
        if let Some(q) = get("request_queue_size").filter(|v| *v > 100.0) {
            problems.push(problem(
                format!("request_queue:{b}"),
                "request_queue",
                Severity::Warning,
                format!(
                    "Broker {b} has {} requests waiting in its request queue",
                    value(q)
                ),
                None,
                &[],
                vec![*b],
            ));
        }
    }
    // ActiveControllerCount: exactly one across the controllers. On KRaft only the quorum's
    // voters can be the controller, and every voter must report before a sum of 0 means
    // none is active; before KRaft every live broker could be.
    let voters: Option<BTreeSet<i32>> = input
        .quorum
        .map(|q| q.voters.iter().map(|v| v.id).collect());
    let reporting: Vec<(i32, f64)> = input
        .metrics
        .iter()
        .filter(|(b, _)| voters.as_ref().is_none_or(|v| v.contains(b)))
        .filter_map(|(b, m)| m.get("active_controller_count").map(|v| (*b, *v)))
        .collect();
    if reporting.is_empty() {
        return None;
    }
    let total: f64 = reporting.iter().map(|(_, v)| v).sum();
    let candidates: Vec<i32> = match &voters {
        Some(v) => v.iter().copied().collect(),
        None => live.iter().copied().collect(),
    };
    let all_live_report = candidates
        .iter()
        .all(|b| reporting.iter().any(|(r, _)| r == b));
    let active: Vec<i32> = reporting
        .iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(b, _)| *b)
        .collect();
    if total > 1.0 {
        problems.push(problem(
            "controller_count".into(),
            "controller_count",
            Severity::Critical,
            format!(
                "{} brokers claim to be the active controller (ActiveControllerCount sums to {}: \
                 {}) — a split brain; exactly 1 is healthy",
                active.len(),
                value(total),
                broker_list(&active, input.brokers)
            ),
            None,
            &[],
            active,
        ));
    } else if total < 1.0 && all_live_report {
        problems.push(problem(
            "controller_count".into(),
            "controller_count",
            Severity::Critical,
            "No broker reports itself as the active controller (ActiveControllerCount sums to 0 \
             over every broker) — in KRaft mode the controllers are separate nodes: add their \
             metrics endpoints"
                .into(),
            None,
            &[],
            vec![],
        ));
    }
    Some(total)
}

/// Disk usage above 80 % (warning) or 90 % (critical), from log dirs or metrics.
fn disk_problems(input: &Input, problems: &mut Vec<Problem>) {
    let mut usage: BTreeMap<i32, (f64, String)> = BTreeMap::new();
    for (b, dirs) in input.log_dirs {
        for d in dirs {
            if let (Some(total), Some(free)) = (d.total_bytes, d.usable_bytes) {
                if total > 0 {
                    let used = 1.0 - free as f64 / total as f64;
                    let e = usage.entry(*b).or_insert((used, d.path.clone()));
                    if used > e.0 {
                        *e = (used, d.path.clone());
                    }
                }
            }
        }
    }
    for (b, m) in input.metrics {
        if let (Some(total), Some(free)) = (m.get("disk_total_bytes"), m.get("disk_free_bytes")) {
            if *total > 0.0 {
                let used = 1.0 - free / total;
                let e = usage.entry(*b).or_insert((used, "data disk".into()));
                if used > e.0 {
                    *e = (used, "data disk".into());
                }
            }
        }
    }
    for (b, (used, path)) in usage {
        let severity = if used > 0.9 {
            Severity::Critical
        } else if used > 0.8 {
            Severity::Warning
        } else {
            continue;
        };
        problems.push(problem(
            format!("disk_usage:{b}"),
            "disk_usage",
            severity,
            format!(
                "Broker {b}'s {path} is {:.0} % full — when it fills the broker stops",
                used * 100.0
            ),
            None,
            &[],
            vec![b],
        ));
    }
}

#[cfg(test)]
mod tests;
