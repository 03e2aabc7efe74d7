//! Alert rules and what they see in a snapshot. Pure: `observe` turns a snapshot into the
//! alert instances whose condition holds now; the engine decides pending/firing/resolved.

use std::collections::BTreeMap;

use kafscope_api::{ClusterStatus, LagStatus, Severity};

use crate::collect::ClusterSnapshot;

/// Comparison of a value with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

impl Cmp {
    pub fn holds(self, v: f64, threshold: f64) -> bool {
        match self {
            Cmp::Gt => v > threshold,
            Cmp::Ge => v >= threshold,
            Cmp::Lt => v < threshold,
            Cmp::Le => v <= threshold,
        }
    }

    pub fn parse(s: &str) -> Option<Cmp> {
        match s {
            ">" => Some(Cmp::Gt),
            ">=" => Some(Cmp::Ge),
            "<" => Some(Cmp::Lt),
            "<=" => Some(Cmp::Le),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
        }
    }
}

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// One alert per health problem of these kinds (see `health`).
    Problem(Vec<String>),
    /// One alert per consumer group whose status is one of these.
    GroupStatus(Vec<LagStatus>),
    /// A group's total lag in messages.
    GroupLag(Cmp, f64),
    /// A group's worst lag in seconds.
    GroupLagSeconds(Cmp, f64),
    /// Seconds until retention deletes records the group has not read (its nearest
    /// partition), at the current rates.
    GroupRetentionMargin(Cmp, f64),
    /// A group's producers outpace it while it owes messages.
    GroupFallingBehind,
    /// Rebalances of a group in the last hour.
    GroupRebalances(Cmp, f64),
    /// A broker metric (a key of `kafscope_api::KNOWN_METRICS`).
    BrokerMetric(String, Cmp, f64),
    /// The cluster cannot be reached.
    Unreachable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    /// `None`: the severity of the problem itself (for `Problem` rules).
    pub severity: Option<Severity>,
    /// How long the condition must hold before the alert fires.
    pub for_ms: i64,
    pub condition: Condition,
    /// Only these clusters / groups / topics (empty: all).
    pub clusters: Vec<String>,
    pub groups: Vec<String>,
    /// Only problems of these topics, and groups reading one of them (empty: all).
    pub topics: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub enabled: bool,
    /// `built-in`, `config` or `api`.
    pub source: &'static str,
}

const MIN: i64 = 60_000;

fn rule(id: &str, severity: Option<Severity>, for_ms: i64, condition: Condition) -> Rule {
    Rule::new(id, severity, for_ms, condition, "built-in")
}

impl Rule {
    /// A rule for every cluster, group and topic, without labels, enabled.
    pub fn new(
        id: &str,
        severity: Option<Severity>,
        for_ms: i64,
        condition: Condition,
        source: &'static str,
    ) -> Rule {
        Rule {
            id: id.to_string(),
            severity,
            for_ms,
            condition,
            clusters: Vec::new(),
            groups: Vec::new(),
            topics: Vec::new(),
            labels: BTreeMap::new(),
            enabled: true,
            source,
        }
    }
}

fn kinds(k: &[&str]) -> Condition {
    Condition::Problem(k.iter().map(|s| s.to_string()).collect())
}

/// The built-in rules; each can be switched off or changed in the configuration.
pub fn defaults() -> Vec<Rule> {
    use Severity::*;
    vec![
        rule(
            "cluster_unreachable",
            Some(Critical),
            MIN,
            Condition::Unreachable,
        ),
        rule("broker_down", Some(Critical), 0, kinds(&["broker_down"])),
        rule(
            "under_replicated_partitions",
            Some(Critical),
            5 * MIN,
            kinds(&["under_replicated", "at_min_isr", "metrics_under_replicated"]),
        ),
        rule(
            "offline_partitions",
            Some(Critical),
            0,
            kinds(&["offline_partitions", "metrics_offline_partitions"]),
        ),
        rule(
            "active_controller_count",
            Some(Critical),
            0,
            kinds(&["controller_count", "no_controller"]),
        ),
        // The KRaft metadata quorum: no leader at once; lag and a majority at risk when they
        // last a minute (a restart catches up within seconds). Severity is the problem's.
        rule("metadata_quorum", None, 0, kinds(&["quorum_no_leader"])),
        rule(
            "metadata_quorum_lag",
            None,
            MIN,
            kinds(&["quorum_at_risk", "quorum_lag", "metadata_lag"]),
        ),
        rule(
            "under_min_isr",
            Some(Critical),
            0,
            kinds(&["under_min_isr", "metrics_under_min_isr"]),
        ),
        rule(
            "consumer_stalled",
            Some(Critical),
            0,
            Condition::GroupStatus(vec![
                LagStatus::Stalled,
                LagStatus::Stopped,
                LagStatus::DataLoss,
            ]),
        ),
        // `slow` already needs a lag that matters (the cluster's significance); it must
        // also last before anyone is told.
        rule(
            "consumer_slow",
            Some(Warning),
            5 * MIN,
            Condition::GroupStatus(vec![LagStatus::Slow]),
        ),
        rule(
            "data_loss_imminent",
            Some(Critical),
            0,
            Condition::GroupRetentionMargin(Cmp::Lt, 3600.0),
        ),
        rule(
            "consumer_lag",
            Some(Warning),
            0,
            Condition::GroupLag(Cmp::Gt, 1_000_000.0),
        ),
        rule(
            "lag_growing",
            Some(Warning),
            15 * MIN,
            Condition::GroupFallingBehind,
        ),
        rule(
            "rebalances",
            Some(Warning),
            0,
            Condition::GroupRebalances(Cmp::Gt, 5.0),
        ),
        rule("disk_usage", None, 0, kinds(&["disk_usage"])),
        rule(
            "request_queue",
            Some(Warning),
            5 * MIN,
            Condition::BrokerMetric("request_queue_size".into(), Cmp::Gt, 100.0),
        ),
    ]
}

/// One alert instance whose condition holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Stable identity: cluster, rule and what it concerns.
    pub fingerprint: String,
    pub rule: String,
    pub severity: Severity,
    pub for_ms: i64,
    /// `alertname`, `cluster`, `severity`, and `broker` / `topic` / `group` where relevant,
    /// plus the rule's own labels.
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub value: Option<f64>,
}

fn applies(r: &Rule, cluster: &str) -> bool {
    r.enabled && (r.clusters.is_empty() || r.clusters.iter().any(|c| c == cluster))
}

/// Every instance of every enabled rule that holds in this snapshot; group rules skip the
/// groups `ignored` says.
pub fn observe(
    rules: &[Rule],
    snap: &ClusterSnapshot,
    ignored: &dyn Fn(&str) -> bool,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for r in rules.iter().filter(|r| applies(r, &snap.name)) {
        let mut add = |what: &[(&str, String)], severity: Severity, summary: String, value| {
            let mut labels = r.labels.clone();
            labels.insert("alertname".into(), r.id.clone());
            labels.insert("cluster".into(), snap.name.clone());
            labels.insert("severity".into(), severity.as_str().into());
            let mut key = format!("{}/{}", snap.name, r.id);
            for (k, v) in what {
                labels.insert(k.to_string(), v.clone());
                key.push_str(&format!("/{k}={v}"));
            }
            out.push(Observation {
                fingerprint: key,
                rule: r.id.clone(),
                severity,
                for_ms: r.for_ms,
                labels,
                summary,
                value,
            });
        };
        match &r.condition {
            Condition::Unreachable => {
                if snap.status == ClusterStatus::Unreachable {
                    // The connection check's verdict says why; librdkafka's error only
                    // that it failed.
                    let why = snap.failure_text().unwrap_or_default();
                    add(
                        &[],
                        r.severity.unwrap_or(Severity::Critical),
                        format!("Cluster {} is unreachable: {why}", snap.name),
                        None,
                    );
                }
            }
            Condition::Problem(kinds) => {
                for p in snap.health.problems.iter().filter(|p| {
                    kinds.contains(&p.kind)
                        && (r.topics.is_empty()
                            || p.topic.as_ref().is_some_and(|t| r.topics.contains(t)))
                }) {
                    let mut what: Vec<(&str, String)> = vec![("problem", p.id.clone())];
                    if let Some(t) = &p.topic {
                        what.push(("topic", t.clone()));
                    }
                    if let [b] = p.brokers.as_slice() {
                        what.push(("broker", b.to_string()));
                    }
                    add(
                        &what,
                        r.severity.unwrap_or(p.severity),
                        p.message.clone(),
                        None,
                    );
                }
            }
            Condition::BrokerMetric(key, cmp, threshold) => {
                for (b, m) in &snap.broker_metrics {
                    if let Some(v) = m.get(key).filter(|v| cmp.holds(**v, *threshold)) {
                        add(
                            &[("broker", b.to_string())],
                            r.severity.unwrap_or(Severity::Warning),
                            format!("Broker {b}: {key} is {v} ({} {threshold})", cmp.as_str()),
                            Some(*v),
                        );
                    }
                }
            }
            group_condition => {
                for g in snap.live_groups() {
                    let s = &g.summary;
                    if ignored(&s.group_id) {
                        continue;
                    }
                    if !r.groups.is_empty() && !r.groups.contains(&s.group_id) {
                        continue;
                    }
                    if !r.topics.is_empty() && !s.topic_names.iter().any(|t| r.topics.contains(t)) {
                        continue;
                    }
                    let hit = match group_condition {
                        Condition::GroupStatus(set) => set.contains(&s.status).then(|| {
                            (
                                format!(
                                    "Consumer group {} is {}: {}",
                                    s.group_id,
                                    s.status.as_str(),
                                    s.status_reason
                                ),
                                None,
                            )
                        }),
                        Condition::GroupLag(cmp, t) => {
                            s.lag.filter(|l| cmp.holds(*l as f64, *t)).map(|l| {
                                (
                                    format!(
                                        "Consumer group {} is {} messages behind ({} {})",
                                        s.group_id,
                                        l,
                                        cmp.as_str(),
                                        t
                                    ),
                                    Some(l as f64),
                                )
                            })
                        }
                        Condition::GroupLagSeconds(cmp, t) => {
                            s.lag_seconds.filter(|l| cmp.holds(*l, *t)).map(|l| {
                                (
                                    format!(
                                        "Consumer group {} is {:.0} s behind ({} {} s)",
                                        s.group_id,
                                        l,
                                        cmp.as_str(),
                                        t
                                    ),
                                    Some(l),
                                )
                            })
                        }
                        // Growing, not merely owed: a healthy consumer with a small steady
                        // lag consumes as fast as producers write ("falling behind" by the
                        // rates alone), so the window's verdict must also say the lag grew.
                        Condition::GroupFallingBehind => (s.rates.falling_behind
                            && s.lag.unwrap_or(0) > 0
                            && matches!(
                                s.status,
                                LagStatus::Slow | LagStatus::Stalled | LagStatus::Stopped
                            ))
                        .then(|| {
                                (
                                    format!(
                                        "The lag of consumer group {} is growing: producers outpace it",
                                        s.group_id
                                    ),
                                    s.lag.map(|l| l as f64),
                                )
                            }),
                        Condition::GroupRetentionMargin(cmp, t) => s
                            .retention_margin_seconds
                            .filter(|m| cmp.holds(*m, *t))
                            .map(|m| {
                                (
                                    format!(
                                        "Consumer group {}: retention deletes records it has not read in {} at the current rates ({})",
                                        s.group_id,
                                        kafscope_api::fmt::span_ms((m * 1000.0) as i64),
                                        s.retention_margin_where.as_deref().unwrap_or("")
                                    ),
                                    Some(m),
                                )
                            }),
                        Condition::GroupRebalances(cmp, t) => s
                            .rebalances_last_hour
                            .filter(|n| cmp.holds(*n as f64, *t))
                            .map(|n| {
                                (
                                    format!(
                                        "Consumer group {} rebalanced {n} times in the last hour ({} {t})",
                                        s.group_id,
                                        cmp.as_str()
                                    ),
                                    Some(n as f64),
                                )
                            }),
                        Condition::Problem(_)
                        | Condition::BrokerMetric(..)
                        | Condition::Unreachable => None,
                    };
                    if let Some((summary, value)) = hit {
                        add(
                            &[("group", s.group_id.clone())],
                            r.severity.unwrap_or(Severity::Warning),
                            summary,
                            value,
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use kafscope_api::{MetricsEndpoint, Problem};
    use serde_json::json;

    use super::*;
    use crate::collect::GroupState;

    fn snapshot() -> ClusterSnapshot {
        let mut s = ClusterSnapshot::empty("prod", "b:9092", Duration::from_secs(10), false);
        s.polled = true;
        s.status = ClusterStatus::Ok;
        s
    }

    fn problem(kind: &str, severity: Severity, topic: Option<&str>, brokers: Vec<i32>) -> Problem {
        Problem {
            id: format!("{kind}:{}", topic.unwrap_or("x")),
            kind: kind.into(),
            severity,
            message: format!("{kind} happened"),
            since: String::new(),
            topic: topic.map(str::to_string),
            partitions: vec![],
            partition_count: 0,
            brokers,
        }
    }

    fn group(id: &str, status: &str, lag: i64, falling_behind: bool) -> GroupState {
        let summary = json!({
            "group_id": id, "state": null, "members": null, "topics": 1, "topic_names": ["t"],
            "lag": lag, "partitions_without_commit": 0, "lag_seconds": 90.0,
            "lag_seconds_method": "interpolated", "status": status, "status_reason": "because",
            "produce_rate": 5.0, "consume_rate": 1.0, "catch_up_seconds": null,
            "falling_behind": falling_behind, "lag_is_upper_bound": false, "lag_trend": [],
            "deleted": false, "deleted_at": null, "rebalances_last_hour": 7
        });
        let detail = json!({
            "group_id": id, "state": null, "protocol": null, "members": null,
            "describe_error": null, "offsets_error": null, "lag": lag,
            "partitions_without_commit": 0, "lag_seconds": 90.0, "lag_seconds_method": null,
            "status": status, "status_reason": "because", "produce_rate": null,
            "consume_rate": null, "catch_up_seconds": null, "falling_behind": false,
            "status_window_seconds": 600, "offsets": [], "data_at": null
        });
        GroupState {
            summary: serde_json::from_value(summary).unwrap(),
            detail: serde_json::from_value(detail).unwrap(),
            deleted_at_ms: None,
        }
    }

    fn ids(obs: &[Observation]) -> Vec<(&str, &str)> {
        obs.iter()
            .map(|o| (o.rule.as_str(), o.fingerprint.as_str()))
            .collect()
    }

    #[test]
    fn a_healthy_cluster_observes_nothing() {
        assert!(observe(&defaults(), &snapshot(), &|_| false).is_empty());
    }

    #[test]
    fn health_problems_become_one_instance_each_with_labels() {
        let mut s = snapshot();
        s.health.problems = vec![
            problem("broker_down", Severity::Critical, None, vec![2]),
            problem(
                "under_replicated",
                Severity::Warning,
                Some("orders"),
                vec![2, 3],
            ),
            problem("disk_usage", Severity::Warning, None, vec![1]),
            problem("leader_imbalance", Severity::Warning, None, vec![1]),
        ];
        let obs = observe(&defaults(), &s, &|_| false);
        assert_eq!(
            ids(&obs),
            vec![
                (
                    "broker_down",
                    "prod/broker_down/problem=broker_down:x/broker=2"
                ),
                (
                    "under_replicated_partitions",
                    "prod/under_replicated_partitions/problem=under_replicated:orders/topic=orders"
                ),
                (
                    "disk_usage",
                    "prod/disk_usage/problem=disk_usage:x/broker=1"
                ),
            ]
        );
        // The rule's severity wins, except where the rule takes the problem's.
        assert_eq!(obs[1].severity, Severity::Critical);
        assert_eq!(obs[2].severity, Severity::Warning);
        assert_eq!(obs[1].for_ms, 5 * MIN);
        assert_eq!(obs[0].labels["alertname"], "broker_down");
        assert_eq!(obs[0].labels["cluster"], "prod");
        assert_eq!(obs[0].labels["broker"], "2");
        assert_eq!(obs[1].labels["topic"], "orders");
        assert_eq!(obs[0].summary, "broker_down happened");
    }

    #[test]
    fn group_rules_see_status_lag_and_trend() {
        let mut s = snapshot();
        for g in [
            group("stuck", "stopped", 10, false),
            group("slowpoke", "slow", 2_000_000, true),
            // Keeping up with a small steady lag: "falling behind" by the rates, not growing.
            group("fine", "ok", 3, true),
        ] {
            s.groups.insert(g.summary.group_id.clone(), g);
        }
        let obs = observe(&defaults(), &s, &|_| false);
        let mut got: Vec<(&str, &str)> = obs
            .iter()
            .map(|o| (o.rule.as_str(), o.labels["group"].as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("consumer_lag", "slowpoke"),
                ("consumer_slow", "slowpoke"),
                ("consumer_stalled", "stuck"),
                ("lag_growing", "slowpoke"),
                ("rebalances", "fine"),
                ("rebalances", "slowpoke"),
                ("rebalances", "stuck"),
            ]
        );
        let lag = obs.iter().find(|o| o.rule == "consumer_lag").unwrap();
        assert_eq!(lag.value, Some(2_000_000.0));
        let slow = obs.iter().find(|o| o.rule == "consumer_slow").unwrap();
        assert_eq!(slow.for_ms, 5 * MIN, "slow must last before anyone is told");

        // Retention about to delete unread records: critical, with where and when.
        let mut soon = group("retained", "stopped", 10, false);
        soon.summary.retention_margin_seconds = Some(1_800.0);
        soon.summary.retention_margin_where = Some("orders[2]".into());
        let mut later = group("later", "ok", 10, false);
        later.summary.retention_margin_seconds = Some(90_000.0);
        for g in [soon, later] {
            s.groups.insert(g.summary.group_id.clone(), g);
        }
        let obs = observe(&defaults(), &s, &|_| false);
        let loss: Vec<&Observation> = obs
            .iter()
            .filter(|o| o.rule == "data_loss_imminent")
            .collect();
        assert_eq!(loss.len(), 1, "{loss:?}");
        assert_eq!(loss[0].labels["group"], "retained");
        assert_eq!(loss[0].severity, Severity::Critical);
        assert!(loss[0].summary.contains("in 30 min"), "{}", loss[0].summary);
        assert!(loss[0].summary.contains("orders[2]"), "{}", loss[0].summary);
        s.groups.remove("retained");
        s.groups.remove("later");
        // Tools' throwaway groups are left alone when the configuration says so.
        let cfg = crate::alerts::config::AlertsConfig::default();
        let mut tool = group("console-consumer-42117", "stopped", 10, false);
        tool.summary.group_id = "console-consumer-42117".into();
        s.groups.insert("console-consumer-42117".into(), tool);
        assert!(!observe(&defaults(), &s, &|g| cfg.ignores(g))
            .iter()
            .any(|o| o.labels.get("group").map(String::as_str) == Some("console-consumer-42117")));
        assert!(observe(&defaults(), &s, &|_| false).iter().any(|o| o
            .labels
            .get("group")
            .map(String::as_str)
            == Some("console-consumer-42117")));
        assert!(!cfg.ignores("console-consumer-app"), "matched whole");
        s.groups.remove("console-consumer-42117");
        // A deleted group alerts no more.
        s.groups.get_mut("stuck").unwrap().summary.deleted = true;
        assert!(!observe(&defaults(), &s, &|_| false)
            .iter()
            .any(|o| o.rule == "consumer_stalled"));
    }

    #[test]
    fn disabled_rules_scopes_and_user_rules() {
        let mut s = snapshot();
        let mut g = group("orders", "ok", 5, false);
        g.summary.rebalances_last_hour = Some(0);
        s.groups.insert("orders".into(), g);
        let mut rules = defaults();
        rules.push(Rule {
            id: "orders_slo".into(),
            severity: Some(Severity::Critical),
            for_ms: 0,
            condition: Condition::GroupLagSeconds(Cmp::Gt, 60.0),
            clusters: vec!["prod".into()],
            groups: vec!["orders".into()],
            topics: vec![],
            labels: BTreeMap::from([("team".to_string(), "payments".to_string())]),
            enabled: true,
            source: "config",
        });
        let obs = observe(&rules, &s, &|_| false);
        assert_eq!(obs.len(), 1);
        assert_eq!(obs[0].labels["team"], "payments");
        assert_eq!(
            obs[0].summary,
            "Consumer group orders is 90 s behind (> 60 s)"
        );
        rules.last_mut().unwrap().clusters = vec!["staging".into()];
        assert!(observe(&rules, &s, &|_| false).is_empty());
        rules.last_mut().unwrap().clusters.clear();
        rules.last_mut().unwrap().enabled = false;
        assert!(observe(&rules, &s, &|_| false).is_empty());
    }

    #[test]
    fn broker_metrics_and_reachability() {
        let mut s = snapshot();
        s.broker_metrics = BTreeMap::from([
            (
                1,
                BTreeMap::from([("request_queue_size".to_string(), 250.0)]),
            ),
            (2, BTreeMap::from([("request_queue_size".to_string(), 3.0)])),
        ]);
        s.metrics_endpoints = Vec::<MetricsEndpoint>::new();
        let obs = observe(&defaults(), &s, &|_| false);
        assert_eq!(
            ids(&obs),
            vec![("request_queue", "prod/request_queue/broker=1")]
        );
        s.status = ClusterStatus::Unreachable;
        s.last_poll_error = Some("connection refused".into());
        let obs = observe(&defaults(), &s, &|_| false);
        assert!(obs.iter().any(|o| o.rule == "cluster_unreachable"
            && o.summary == "Cluster prod is unreachable: connection refused"));
    }
}
