//! The in-memory picture of one cluster that every read view is served from, and the pure
//! function that builds it from what one poll read. No I/O here: `build` is unit-tested.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use kafscope_api as api;
use kafscope_api::{BrokerStatus, ClusterStatus, LagStatus, StageError};

use crate::kafka::{
    ClusterMetadata, GroupDescription, GroupListing, GroupOffsets, TopicConfigEntry,
};
use crate::lag::retention::{effective_retention_ms, margin, RetentionInput};
use crate::lag::status::{judge, Owner, Significance, StatusInput, TimeLag};
use crate::lag::trail::{catch_up, time_lag, window_rate, CatchUp, Trail};
use crate::lag::{partition_lag, read_committed_lag, LagTotals, PartitionLag, PartitionOffsets};

/// Committed offsets of one group by (topic, partition); `None` where there is no commit.
type Committed = HashMap<(String, i32), Option<i64>>;

/// Short histories the collector keeps between cycles: end offsets per partition (for lag in
/// seconds and produce rates) and committed offsets per group-partition (for status and
/// consume rates). Bounded per series; series not seen in a cycle are dropped.
#[derive(Debug, Default)]
pub struct Trails {
    pub window_ms: i64,
    /// When a growing lag counts as `slow` (the cluster's configuration).
    pub significance: Significance,
    pub ends: HashMap<(String, i32), Trail>,
    /// Log-start offsets per partition (a moving log start is retention at work).
    pub starts: HashMap<(String, i32), Trail>,
    /// When each group was last active, and whether it ever was while watched.
    pub activity: HashMap<String, Activity>,
    /// A group without activity for this long is `inactive` (the cluster's `inactive_after`).
    pub inactive_after_ms: i64,
    pub commits: HashMap<(String, String, i32), Trail>,
    /// Total lag per group, for the trend shown beside each group.
    pub group_lag: HashMap<String, std::collections::VecDeque<i64>>,
    /// Each group's last described member set, and when it changed (rebalances).
    pub memberships: HashMap<String, Membership>,
}

/// A group's activity: a committed offset moved, or it had members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub first_seen_ms: i64,
    pub last_active_ms: Option<i64>,
    /// Active at least once while the console watched (or as stored from before).
    pub seen_active: bool,
}

impl Activity {
    pub fn new(now: i64) -> Activity {
        Activity {
            first_seen_ms: now,
            last_active_ms: None,
            seen_active: false,
        }
    }

    /// Whether a group that is not active now counts as abandoned.
    pub fn abandoned(&self, now: i64, after_ms: i64) -> bool {
        !self.seen_active || self.last_active_ms.is_some_and(|t| now - t > after_ms)
    }

    /// "3 days ago", or since when it has been watched without activity.
    pub fn since_text(&self, now: i64) -> String {
        use kafscope_api::fmt::span_ms;
        match self.last_active_ms {
            Some(t) => format!("no activity for {}", span_ms(now - t)),
            None => format!(
                "no activity since the console began watching it {} ago",
                span_ms(now - self.first_seen_ms)
            ),
        }
    }
}

/// A group's member set as last described, and the times it changed within the last hour.
#[derive(Debug, Default)]
pub struct Membership {
    /// Sorted member ids; `None` before the first description.
    pub signature: Option<String>,
    pub changes: Vec<i64>,
}

impl Membership {
    /// Record a description at `now`; returns the changes seen in the last hour.
    pub fn observe(&mut self, member_ids: &[&str], now: i64) -> usize {
        let mut ids = member_ids.to_vec();
        ids.sort_unstable();
        let sig = ids.join(",");
        if self.signature.as_ref().is_some_and(|s| *s != sig) {
            self.changes.push(now);
        }
        self.signature = Some(sig);
        self.changes.retain(|t| *t > now - 3_600_000);
        self.changes.len()
    }
}

/// Points of a group's lag trend.
const TREND_POINTS: usize = 30;

impl Trails {
    pub fn new(window: Duration) -> Trails {
        Trails {
            window_ms: window.as_millis() as i64,
            significance: Significance::default(),
            inactive_after_ms: 24 * 3_600_000,
            ..Default::default()
        }
    }
}

/// Everything the console knows about one cluster after its last poll.
#[derive(Debug, Clone)]
pub struct ClusterSnapshot {
    pub name: String,
    pub bootstrap_servers: String,
    pub poll_interval: Duration,
    pub read_only: bool,
    /// Increases with every published snapshot.
    pub version: u64,
    pub status: ClusterStatus,
    /// Whether at least one poll finished (successfully or not).
    pub polled: bool,
    pub last_poll_at_ms: Option<i64>,
    pub last_poll_duration_ms: Option<u64>,
    pub last_poll_error: Option<String>,
    pub stage_errors: Vec<StageError>,
    /// How long each stage of the last poll took, in milliseconds.
    pub stages_ms: BTreeMap<String, u64>,
    /// When the data below was read (older than the last poll while unreachable).
    pub data_at_ms: Option<i64>,
    /// The active controller (see `collect::controller`).
    pub controller_id: Option<i32>,
    pub controller_source: Option<String>,
    pub quorum: Option<api::Quorum>,
    pub quorum_error: Option<String>,
    /// Whether the cluster is KRaft, as far as is known.
    pub kraft: Option<bool>,
    pub brokers: Vec<api::Broker>,
    pub topics: BTreeMap<String, TopicState>,
    pub groups: BTreeMap<String, GroupState>,
    /// Lags that came out negative and were clamped to 0 since the console started.
    pub clamped_lags: u64,
    /// Failed poll stages since the console started, by stage (`metadata` for unreachable).
    pub stage_error_counts: BTreeMap<String, u64>,
    /// When the last successful poll finished.
    pub last_success_ms: Option<i64>,
    /// The health assessment of this snapshot (see `collect::assess`).
    pub health: api::ClusterHealth,
    /// When each current problem was first seen.
    pub health_since: HashMap<String, i64>,
    /// Known broker metrics from the last scrape (a missing key is unavailable).
    pub broker_metrics: BTreeMap<i32, BTreeMap<String, f64>>,
    pub metrics_endpoints: Vec<api::MetricsEndpoint>,
    /// When each node's metrics were read (unix ms).
    pub metrics_read_at: BTreeMap<i32, i64>,
    /// Log bytes per (topic, partition) per broker, from metrics.
    pub log_sizes: BTreeMap<i32, BTreeMap<(String, i32), f64>>,
    /// Log directories per broker, from DescribeLogDirs.
    pub log_dirs: BTreeMap<i32, Vec<api::LogDir>>,
    /// Why DescribeLogDirs gave nothing (not supported, TLS listener, …).
    pub log_dirs_error: Option<String>,
    /// Bytes per topic over all replicas, from DescribeLogDirs.
    pub topic_dir_sizes: BTreeMap<String, u64>,
    /// How the console reaches the brokers (set by the collector).
    pub connection: api::ConnectionPath,
    /// Why the cluster or a broker cannot be read (the probe's verdict), while it lasts.
    pub diagnosis: Option<api::Diagnosis>,
}

impl ClusterSnapshot {
    /// Why the cluster cannot be read: the connection check's verdict, else the client's
    /// error; `None` when the last poll read it.
    pub fn failure_text(&self) -> Option<&str> {
        self.last_poll_error.as_ref()?;
        self.diagnosis
            .as_ref()
            .filter(|d| !d.ok)
            .map(|d| d.verdict.as_str())
            .or(self.last_poll_error.as_deref())
    }

    /// The snapshot before the first poll: no data, status `unknown`.
    pub fn empty(
        name: &str,
        bootstrap_servers: &str,
        poll_interval: Duration,
        read_only: bool,
    ) -> Self {
        ClusterSnapshot {
            name: name.to_string(),
            bootstrap_servers: bootstrap_servers.to_string(),
            poll_interval,
            read_only,
            version: 0,
            status: ClusterStatus::Unknown,
            polled: false,
            last_poll_at_ms: None,
            last_poll_duration_ms: None,
            last_poll_error: None,
            stage_errors: Vec::new(),
            stages_ms: BTreeMap::new(),
            data_at_ms: None,
            controller_id: None,
            controller_source: None,
            quorum: None,
            quorum_error: None,
            kraft: None,
            brokers: Vec::new(),
            topics: BTreeMap::new(),
            groups: BTreeMap::new(),
            clamped_lags: 0,
            stage_error_counts: BTreeMap::new(),
            last_success_ms: None,
            health: crate::health::unknown(name),
            health_since: HashMap::new(),
            broker_metrics: BTreeMap::new(),
            metrics_endpoints: Vec::new(),
            metrics_read_at: BTreeMap::new(),
            log_sizes: BTreeMap::new(),
            log_dirs: BTreeMap::new(),
            log_dirs_error: None,
            topic_dir_sizes: BTreeMap::new(),
            connection: Default::default(),
            diagnosis: None,
        }
    }

    pub fn partition_count(&self) -> usize {
        self.topics.values().map(|t| t.partitions.len()).sum()
    }

    pub fn brokers_down(&self) -> usize {
        self.brokers
            .iter()
            .filter(|b| b.status == BrokerStatus::Down)
            .count()
    }

    /// Groups that exist on the broker now (not the ones kept as deleted).
    pub fn live_groups(&self) -> impl Iterator<Item = &GroupState> {
        self.groups.values().filter(|g| !g.summary.deleted)
    }

    /// Sum of every defined lag of live groups.
    pub fn total_lag(&self) -> Option<i64> {
        self.live_groups()
            .filter_map(|g| g.summary.lag)
            .fold(None, |acc, l| Some(acc.unwrap_or(0).saturating_add(l)))
    }
}

#[derive(Debug, Clone)]
pub struct TopicState {
    pub summary: api::TopicSummary,
    pub partitions: Vec<api::PartitionInfo>,
    /// `None` until configs were read once.
    pub configs: Option<Vec<api::ConfigEntry>>,
    pub configs_error: Option<String>,
    pub groups: Vec<api::TopicGroupLag>,
    /// Messages per second produced to each partition over the status window, in the order
    /// of `partitions` (for the rows of groups that never committed there).
    pub produce_rates: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct GroupState {
    pub summary: api::GroupSummary,
    pub detail: api::GroupDetail,
    /// When the group disappeared from the broker's list.
    pub deleted_at_ms: Option<i64>,
}

/// Whether a topic's `cleanup.policy` compacts (its lag is an upper bound).
fn compacted_topic(t: &TopicState) -> bool {
    t.configs.as_ref().is_some_and(|c| {
        c.iter().any(|e| {
            e.name == "cleanup.policy" && e.value.as_deref().is_some_and(|v| v.contains("compact"))
        })
    })
}

/// The rows a group keeps in the snapshot: those with a commit or an owner. A row with
/// neither is the topic's numbers and one sentence ([`uncommitted_row`]); at thousands of
/// groups over wide topics they would be most of the console's memory, so they are rebuilt
/// when the group is asked for ([`ClusterSnapshot::group_detail`]).
/// Rows of topics gone from the metadata (`known` says no) are kept whole: nothing could
/// rebuild them.
fn kept_rows(
    rows: Vec<(api::OffsetRow, PartitionLag)>,
    known: impl Fn(&str) -> bool,
) -> Vec<api::OffsetRow> {
    let mut kept: Vec<api::OffsetRow> = rows
        .into_iter()
        .map(|(r, _)| r)
        .filter(|r| r.committed_offset.is_some() || r.member_id.is_some() || !known(&r.topic))
        .map(|mut r| {
            r.status_reason.shrink_to_fit();
            r
        })
        .collect();
    kept.shrink_to_fit();
    kept
}

/// The row of a partition (`topic.partitions[i]`) the group never committed on and no
/// member owns: lag unknown, the backlog beside it.
pub fn uncommitted_row(topic: &TopicState, i: usize, upper_bound: bool) -> api::OffsetRow {
    let p = &topic.partitions[i];
    let pl = partition_lag(PartitionOffsets {
        committed: None,
        log_start: p.log_start_offset,
        high_watermark: p.high_watermark,
    });
    let verdict = judge(&StatusInput {
        now_ms: 0,
        window_ms: 0,
        committed: None,
        log_start: p.log_start_offset,
        end: p.high_watermark,
        committed_trail: &[],
        end_trail: &[],
        owner: &Owner::Nobody,
        time_lag: None,
        significance: Significance::default(),
    });
    api::OffsetRow {
        topic: topic.summary.name.clone(),
        partition: p.partition,
        committed_offset: None,
        log_start_offset: p.log_start_offset,
        high_watermark: p.high_watermark,
        lag: None,
        last_stable_offset: p.last_stable_offset,
        lag_read_committed: None,
        lost: None,
        backlog: pl.backlog,
        lag_seconds: None,
        lag_seconds_method: None,
        status: verdict.status,
        status_reason: verdict.reason,
        produce_rate: topic.produce_rates.get(i).copied().flatten(),
        consume_rate: None,
        lag_is_upper_bound: upper_bound,
        member_id: None,
        retention_margin_records: None,
        retention_margin_seconds: None,
        retention_margin_basis: None,
    }
}

impl ClusterSnapshot {
    /// A group's detail with every partition of the topics it reads, the rows it never
    /// committed on rebuilt from the topics ([`kept_rows`]).
    pub fn group_detail(&self, group: &str) -> Option<api::GroupDetail> {
        let g = self.groups.get(group)?;
        let mut detail = g.detail.clone();
        let have: HashSet<(String, i32)> = detail
            .offsets
            .iter()
            .map(|r| (r.topic.clone(), r.partition))
            .collect();
        for name in &g.summary.topic_names {
            let Some(t) = self.topics.get(name) else {
                continue;
            };
            let upper_bound = compacted_topic(t);
            for (i, p) in t.partitions.iter().enumerate() {
                if !have.contains(&(name.clone(), p.partition)) {
                    detail.offsets.push(uncommitted_row(t, i, upper_bound));
                }
            }
        }
        detail
            .offsets
            .sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Some(detail)
    }
}

/// Deleted groups kept in memory at most (the oldest go first; their history stays stored).
const MAX_DELETED_GROUPS: usize = 1000;

/// What one successful poll read from Kafka.
#[derive(Debug, Default)]
pub struct PollData {
    pub metadata: ClusterMetadata,
    pub log_start: HashMap<(String, i32), i64>,
    pub high_watermark: HashMap<(String, i32), i64>,
    /// Last stable offsets (end for read_committed consumers), when read.
    pub last_stable: HashMap<(String, i32), i64>,
    pub groups: Vec<GroupListing>,
    /// The group list could not be read this cycle: `groups` is the previous list, and no
    /// group is taken for deleted.
    pub groups_from_previous: bool,
    /// Descriptions by group id; missing when DescribeConsumerGroups failed or was skipped.
    pub descriptions: HashMap<String, GroupDescription>,
    pub describe_error: Option<String>,
    pub offsets: HashMap<String, Result<GroupOffsets, String>>,
    /// New topic configs, when they were read this cycle.
    pub configs: Option<BTreeMap<String, Result<Vec<TopicConfigEntry>, String>>>,
    /// The active controller and the metadata quorum.
    pub controller: super::controller::ControllerView,
    /// DescribeLogDirs, when it was due this poll.
    pub log_dirs: Option<Result<super::assess::LogDirsRead, String>>,
    pub stage_errors: Vec<StageError>,
    /// Milliseconds per stage.
    pub stages_ms: BTreeMap<String, u64>,
}

impl PollData {
    /// Record how long a stage took since `started`.
    pub fn timed(&mut self, stage: &str, started: std::time::Instant) {
        self.stages_ms
            .insert(stage.to_string(), started.elapsed().as_millis() as u64);
    }
}

/// Build the snapshot from a successful poll. `prev` supplies what this poll did not read
/// (configs between refreshes, brokers seen before that are now gone).
pub fn build(
    prev: &ClusterSnapshot,
    data: PollData,
    trails: &mut Trails,
    now_ms: i64,
    duration_ms: u64,
) -> ClusterSnapshot {
    let md = &data.metadata;
    let window_ms = trails.window_ms;
    let keep_after = now_ms - window_ms - window_ms / 10;
    // Record this cycle's end and log-start offsets; forget partitions that are gone.
    for (key, h) in &data.high_watermark {
        trails
            .ends
            .entry(key.clone())
            .or_default()
            .push(now_ms, *h, keep_after);
    }
    for (key, l) in &data.log_start {
        trails
            .starts
            .entry(key.clone())
            .or_default()
            .push(now_ms, *l, keep_after);
    }
    // Forget only partitions gone from metadata: a poll whose offsets failed keeps history.
    let known: std::collections::HashSet<(&str, i32)> = md
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.name.as_str(), p.id)))
        .collect();
    trails
        .ends
        .retain(|(t, p), _| known.contains(&(t.as_str(), *p)));
    trails
        .starts
        .retain(|(t, p), _| known.contains(&(t.as_str(), *p)));
    let live: BTreeSet<i32> = md.brokers.iter().map(|b| b.id).collect();

    // Topics and partitions.
    let mut topics: BTreeMap<String, TopicState> = BTreeMap::new();
    let mut leaders: HashMap<i32, usize> = HashMap::new();
    let mut replica_counts: HashMap<i32, usize> = HashMap::new();
    for t in &md.topics {
        let mut parts: Vec<api::PartitionInfo> = t
            .partitions
            .iter()
            .map(|p| {
                let key = (t.name.clone(), p.id);
                let offline = p.leader.is_none_or(|l| !live.contains(&l));
                if let Some(l) = p.leader {
                    *leaders.entry(l).or_default() += 1;
                }
                for r in &p.replicas {
                    *replica_counts.entry(*r).or_default() += 1;
                }
                api::PartitionInfo {
                    partition: p.id,
                    leader: p.leader,
                    replicas: p.replicas.clone(),
                    isr: p.isr.clone(),
                    log_start_offset: data.log_start.get(&key).copied(),
                    high_watermark: data.high_watermark.get(&key).copied(),
                    last_stable_offset: data.last_stable.get(&key).copied(),
                    under_replicated: p.isr.len() < p.replicas.len(),
                    offline,
                }
            })
            .collect();
        parts.sort_by_key(|p| p.partition);
        let since = now_ms - window_ms;
        let produce_rates = parts
            .iter()
            .map(|p| {
                let trail = trails.ends.get(&(t.name.clone(), p.partition))?;
                window_rate(&trail.points(), since).map(round1)
            })
            .collect();
        let messages = parts
            .iter()
            .map(|p| match (p.high_watermark, p.log_start_offset) {
                (Some(h), Some(l)) => Some((h - l).max(0)),
                _ => None,
            })
            .sum::<Option<i64>>();
        let (configs, configs_error) = topic_configs(prev, &data, &t.name);
        let summary = api::TopicSummary {
            name: t.name.clone(),
            internal: t.name.starts_with("__"),
            partitions: parts.len(),
            replication_factor: parts.iter().map(|p| p.replicas.len()).max().unwrap_or(0),
            under_replicated_partitions: parts.iter().filter(|p| p.under_replicated).count(),
            offline_partitions: parts.iter().filter(|p| p.offline).count(),
            messages: if parts.is_empty() { Some(0) } else { messages },
            size_bytes: None,
            size_source: None,
            consumer_groups: 0,
        };
        topics.insert(
            t.name.clone(),
            TopicState {
                summary,
                partitions: parts,
                configs,
                configs_error: configs_error.or_else(|| t.error.clone()),
                groups: Vec::new(),
                produce_rates,
            },
        );
    }

    // Brokers: live ones, plus any seen before or named as a replica, marked down.
    let mut brokers: BTreeMap<i32, api::Broker> = BTreeMap::new();
    for b in &md.brokers {
        brokers.insert(
            b.id,
            api::Broker {
                id: b.id,
                host: Some(b.host.clone()),
                port: Some(b.port),
                rack: b.rack.clone(),
                is_controller: data.controller.controller_id == Some(b.id),
                roles: super::controller::broker_roles(b.id, data.controller.quorum.as_ref()),
                status: BrokerStatus::Up,
                leader_partitions: 0,
                replicas: 0,
            },
        );
    }
    for b in &prev.brokers {
        brokers.entry(b.id).or_insert_with(|| api::Broker {
            status: BrokerStatus::Down,
            is_controller: false,
            roles: super::controller::broker_roles(b.id, data.controller.quorum.as_ref()),
            ..b.clone()
        });
    }
    for id in replica_counts.keys() {
        brokers.entry(*id).or_insert_with(|| api::Broker {
            id: *id,
            host: None,
            port: None,
            rack: None,
            is_controller: false,
            roles: super::controller::broker_roles(*id, data.controller.quorum.as_ref()),
            status: BrokerStatus::Down,
            leader_partitions: 0,
            replicas: 0,
        });
    }
    for b in brokers.values_mut() {
        b.leader_partitions = leaders.get(&b.id).copied().unwrap_or(0);
        b.replicas = replica_counts.get(&b.id).copied().unwrap_or(0);
    }

    // Consumer groups.
    let compacted: BTreeSet<String> = topics
        .iter()
        .filter(|(_, t)| compacted_topic(t))
        .map(|(n, _)| n.clone())
        .collect();
    let retention: HashMap<String, i64> = topics
        .iter()
        .filter_map(|(n, t)| Some((n.clone(), topic_retention_ms(t)?)))
        .collect();
    let mut clamped = 0u64;
    let mut groups: BTreeMap<String, GroupState> = BTreeMap::new();
    let mut topic_groups: BTreeMap<String, Vec<api::TopicGroupLag>> = BTreeMap::new();
    for listing in &data.groups {
        let gid = &listing.group_id;
        let desc = data.descriptions.get(gid).filter(|d| d.error.is_none());
        let describe_error = match data.descriptions.get(gid) {
            Some(d) => d.error.clone(),
            None => data.describe_error.clone(),
        };
        let (committed, offsets_error): (Committed, Option<String>) = match data.offsets.get(gid) {
            Some(Ok(list)) => (
                list.iter().map(|(t, p, c)| ((t.clone(), *p), *c)).collect(),
                None,
            ),
            failed => {
                let why = match failed {
                    Some(Err(e)) => e.clone(),
                    _ => "offsets were not read".to_string(),
                };
                // A failed read is not "no commit": keep the group's last good numbers and
                // say why they are not fresh.
                if let Some(last) = prev.groups.get(gid).filter(|g| !g.summary.deleted) {
                    let mut kept = last.clone();
                    kept.detail.offsets_error = Some(format!("not refreshed this poll: {why}"));
                    groups.insert(gid.clone(), kept);
                    continue;
                }
                (HashMap::new(), Some(why))
            }
        };
        // Owners by partition, from the description's assignments.
        let mut owner: HashMap<(String, i32), String> = HashMap::new();
        let mut group_topics: BTreeSet<String> = BTreeSet::new();
        if let Some(d) = desc {
            for m in &d.members {
                for (t, p) in &m.assignment {
                    owner.insert((t.clone(), *p), m.member_id.clone());
                    group_topics.insert(t.clone());
                }
            }
        }
        for ((t, _), c) in &committed {
            if c.is_some() {
                group_topics.insert(t.clone());
            }
        }
        // Every partition of every topic the group reads: uncommitted ones show as null.
        let mut rows: Vec<(api::OffsetRow, PartitionLag)> = Vec::new();
        for t in &group_topics {
            let partition_ids: Vec<i32> = match topics.get(t) {
                Some(ts) => ts.partitions.iter().map(|p| p.partition).collect(),
                None => {
                    // A topic the group committed on that no longer exists in metadata.
                    let mut ids: Vec<i32> = committed
                        .keys()
                        .filter(|(tt, _)| tt == t)
                        .map(|(_, p)| *p)
                        .collect();
                    ids.sort();
                    ids
                }
            };
            for p in partition_ids {
                let key = (t.clone(), p);
                let c = committed.get(&key).copied().flatten();
                let l = data.log_start.get(&key).copied();
                let h = data.high_watermark.get(&key).copied();
                let mut pl = partition_lag(PartitionOffsets {
                    committed: c,
                    log_start: l,
                    high_watermark: h,
                });
                if pl.clamped {
                    clamped += 1;
                }
                let ckey = (gid.clone(), t.clone(), p);
                if let Some(c) = c {
                    trails
                        .commits
                        .entry(ckey.clone())
                        .or_default()
                        .push(now_ms, c, keep_after);
                }
                let member = owner.get(&key).cloned();
                if c.is_none() && member.is_none() {
                    if let Some((ts, i)) = topics.get(t).and_then(|ts| {
                        let i = ts.partitions.iter().position(|x| x.partition == p)?;
                        Some((ts, i))
                    }) {
                        let row = uncommitted_row(ts, i, compacted.contains(t));
                        pl.status = row.status;
                        rows.push((row, pl));
                        continue;
                    }
                }
                let cpts = trails
                    .commits
                    .get(&ckey)
                    .map(Trail::points)
                    .unwrap_or_default();
                let epts = trails.ends.get(&key).map(Trail::points).unwrap_or_default();
                let who = match (&member, desc) {
                    (Some(m), _) => Owner::Member(m.clone()),
                    (None, Some(_)) => Owner::Nobody,
                    (None, None) => Owner::Unknown,
                };
                let tl = match (c, h) {
                    (Some(c), Some(h)) => time_lag(&epts, c.max(l.unwrap_or(c)), h, now_ms),
                    _ => None,
                };
                let mut verdict = judge(&StatusInput {
                    now_ms,
                    window_ms,
                    committed: c,
                    log_start: l,
                    end: h,
                    committed_trail: &cpts,
                    end_trail: &epts,
                    owner: &who,
                    time_lag: tl.map(|(seconds, m)| TimeLag {
                        seconds,
                        lower_bound: m.as_str() == "lower_bound",
                    }),
                    significance: trails.significance,
                });
                if let (Some(c), false) = (c, topics.contains_key(t)) {
                    verdict = topic_gone(t, c);
                }
                pl.status = verdict.status;
                let since = now_ms - window_ms;
                let produce_rate = window_rate(&epts, since);
                let consume_rate = c.and_then(|_| window_rate(&cpts, since));
                let risk = c.map(|c| {
                    let spts = trails
                        .starts
                        .get(&key)
                        .map(Trail::points)
                        .unwrap_or_default();
                    margin(&RetentionInput {
                        committed: c,
                        log_start: l,
                        lag: pl.lag,
                        age_s: tl.map(|(s, _)| s),
                        retention_ms: retention.get(t).copied(),
                        produce_rate,
                        consume_rate,
                        log_start_rate: window_rate(&spts, since),
                    })
                });
                rows.push((
                    api::OffsetRow {
                        topic: t.clone(),
                        partition: p,
                        committed_offset: c,
                        log_start_offset: l,
                        high_watermark: h,
                        lag: pl.lag,
                        last_stable_offset: data.last_stable.get(&key).copied(),
                        lag_read_committed: if pl.lost.is_some() {
                            None
                        } else {
                            read_committed_lag(c, data.last_stable.get(&key).copied())
                        },
                        lost: pl.lost,
                        backlog: pl.backlog,
                        lag_seconds: tl.map(|(s, _)| round1(s)),
                        lag_seconds_method: tl.map(|(_, m)| m.as_str().to_string()),
                        status: verdict.status,
                        status_reason: verdict.reason,
                        produce_rate: produce_rate.map(round1),
                        consume_rate: consume_rate.map(round1),
                        lag_is_upper_bound: compacted.contains(t),
                        member_id: member,
                        retention_margin_records: risk.as_ref().and_then(|r| r.records),
                        retention_margin_seconds: risk.as_ref().and_then(|r| r.seconds),
                        retention_margin_basis: risk
                            .as_ref()
                            .and_then(|r| r.basis)
                            .map(String::from),
                    },
                    pl,
                ));
            }
        }
        // Topics deleted since the last poll took the group's offsets with them (Kafka
        // removes them): the rows stay, saying so, instead of the group looking uncommitted.
        if let Some(last) = prev.groups.get(gid) {
            for r in &last.detail.offsets {
                let gone = !topics.contains_key(&r.topic) && !group_topics.contains(&r.topic);
                if let (true, Some(c)) = (gone, r.committed_offset) {
                    let mut row = r.clone();
                    let v = topic_gone(&r.topic, c);
                    row.status = v.status;
                    row.status_reason = v.reason;
                    row.high_watermark = None;
                    row.log_start_offset = None;
                    row.lag = None;
                    row.lag_seconds = None;
                    row.lag_seconds_method = None;
                    row.member_id = None;
                    let mut pl = partition_lag(PartitionOffsets {
                        committed: Some(c),
                        log_start: None,
                        high_watermark: None,
                    });
                    pl.status = v.status;
                    rows.push((row, pl));
                }
            }
            for (r, _) in &rows {
                group_topics.insert(r.topic.clone());
            }
        }
        // Activity: a commit moved since the last poll, or members are present. A group with
        // none — for longer than `inactive_after`, or ever while watched — is abandoned:
        // `inactive`, not stopped (nor data loss: nobody reads it).
        let moved = prev.groups.get(gid).is_some_and(|last| {
            let before: HashMap<(&str, i32), i64> = last
                .detail
                .offsets
                .iter()
                .filter_map(|o| Some(((o.topic.as_str(), o.partition), o.committed_offset?)))
                .collect();
            rows.iter().any(|(r, _)| {
                r.committed_offset
                    .zip(before.get(&(r.topic.as_str(), r.partition)))
                    .is_some_and(|(now, was)| now != *was)
            })
        });
        let has_members = desc.is_some_and(|d| !d.members.is_empty());
        let act = trails
            .activity
            .entry(gid.clone())
            .or_insert_with(|| Activity::new(now_ms));
        if moved || has_members {
            act.last_active_ms = Some(now_ms);
            act.seen_active = true;
        } else if act.abandoned(now_ms, trails.inactive_after_ms) {
            let since = act.since_text(now_ms);
            for (r, pl) in rows.iter_mut() {
                if matches!(r.status, LagStatus::Stopped | LagStatus::DataLoss) {
                    let lost = r
                        .lost
                        .map(|l| {
                            format!(
                                "; {} messages were deleted unread",
                                kafscope_api::fmt::num(l)
                            )
                        })
                        .unwrap_or_default();
                    r.status = LagStatus::Inactive;
                    r.status_reason = format!(
                        "{since}: {} messages wait{lost}",
                        kafscope_api::fmt::opt_num(r.lag)
                    );
                    pl.status = LagStatus::Inactive;
                }
            }
        }
        let totals = LagTotals::of(rows.iter().map(|(_, pl)| pl));
        // The last polls' totals as they were, flat stretches included (a trail would fold them).
        let trend = trails.group_lag.entry(gid.clone()).or_default();
        if let Some(l) = totals.lag {
            if trend.len() == TREND_POINTS {
                trend.pop_front();
            }
            trend.push_back(l);
        }
        let lag_trend: Vec<i64> = trend.iter().copied().collect();
        let worst_time = worst_time_lag(rows.iter().map(|(r, _)| r));
        let rates = group_rates(rows.iter().map(|(r, _)| r), totals.lag);
        let reason = group_reason(rows.iter().map(|(r, _)| r), totals.status, totals.lag);
        for t in &group_topics {
            let on_topic: Vec<&PartitionLag> = rows
                .iter()
                .filter(|(r, _)| &r.topic == t)
                .map(|(_, pl)| pl)
                .collect();
            let tt = LagTotals::of(on_topic);
            let topic_time = worst_time_lag(rows.iter().map(|(r, _)| r).filter(|r| &r.topic == t));
            topic_groups
                .entry(t.clone())
                .or_default()
                .push(api::TopicGroupLag {
                    group_id: gid.clone(),
                    lag: tt.lag,
                    partitions_without_commit: tt.without_commit,
                    lag_seconds: topic_time.map(|(s, _)| s),
                    status: tt.status,
                });
        }
        let state = desc
            .map(|d| d.state.clone())
            .or_else(|| known_state(&listing.state));
        let members: Option<Vec<api::Member>> = desc.map(|d| {
            d.members
                .iter()
                .map(|m| api::Member {
                    member_id: m.member_id.clone(),
                    client_id: m.client_id.clone(),
                    host: m.host.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    assignments: assignments(&m.assignment),
                    target_assignments: m.target_assignment.as_deref().map(assignments),
                    rack: m.rack.clone(),
                    member_epoch: m.member_epoch,
                    subscribed_topics: m.subscribed_topics.clone(),
                    subscribed_topic_regex: m.subscribed_topic_regex.clone(),
                    classic_member: m.classic_member,
                })
                .collect()
        });
        let rebalances = desc.map(|d| {
            let ids: Vec<&str> = d.members.iter().map(|m| m.member_id.as_str()).collect();
            trails
                .memberships
                .entry(gid.clone())
                .or_default()
                .observe(&ids, now_ms)
        });
        let group_type = desc
            .and_then(|d| d.group_type.clone())
            .or_else(|| listing.group_type.clone())
            .or_else(|| {
                data.descriptions
                    .get(gid)
                    .and_then(|d| d.group_type.clone())
            });
        let nearest_loss = rows
            .iter()
            .filter_map(|(r, _)| Some((r.retention_margin_seconds?, r)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let summary = api::GroupSummary {
            retention_margin_seconds: nearest_loss.map(|(m, _)| m),
            retention_margin_where: nearest_loss
                .map(|(_, r)| format!("{}[{}]", r.topic, r.partition)),
            rebalances_last_hour: rebalances,
            group_id: gid.clone(),
            group_type: group_type.clone(),
            state: state.clone(),
            members: members.as_ref().map(|m| m.len()),
            topics: group_topics.len(),
            topic_names: group_topics.iter().cloned().collect(),
            lag: totals.lag,
            partitions_without_commit: totals.without_commit,
            lag_seconds: worst_time.as_ref().map(|(s, _)| *s),
            lag_seconds_method: worst_time.as_ref().map(|(_, m)| m.clone()),
            status: totals.status,
            status_reason: reason.clone(),
            rates: rates.clone(),
            lag_is_upper_bound: group_topics.iter().any(|t| compacted.contains(t)),
            lag_trend,
            deleted: false,
            deleted_at: None,
        };
        let detail = api::GroupDetail {
            group_id: gid.clone(),
            group_type,
            group_epoch: desc.and_then(|d| d.group_epoch),
            assignment_epoch: desc.and_then(|d| d.assignment_epoch),
            state,
            protocol: desc.map(|d| d.assignor.clone()).filter(|a| !a.is_empty()),
            members,
            describe_error,
            offsets_error,
            lag: totals.lag,
            partitions_without_commit: totals.without_commit,
            lag_seconds: worst_time.as_ref().map(|(s, _)| *s),
            lag_seconds_method: worst_time.as_ref().map(|(_, m)| m.clone()),
            status: totals.status,
            status_reason: reason,
            rates,
            status_window_seconds: (window_ms / 1000) as u64,
            rebalances_last_hour: rebalances,
            offsets: kept_rows(rows, |t| topics.contains_key(t)),
            data_at: None,
        };
        groups.insert(
            gid.clone(),
            GroupState {
                summary,
                detail,
                deleted_at_ms: None,
            },
        );
    }
    // Groups that left the broker's list: kept, marked deleted, with their last numbers.
    if !data.groups_from_previous {
        let mut gone: Vec<GroupState> = prev
            .groups
            .iter()
            .filter(|(id, _)| !groups.contains_key(*id))
            .map(|(_, g)| {
                let at = g.deleted_at_ms.unwrap_or(now_ms);
                let mut g = g.clone();
                if g.deleted_at_ms.is_none() {
                    g.summary.status_reason = format!(
                        "the group no longer exists on the broker; last seen: {}",
                        g.summary.status_reason
                    );
                    g.detail.status_reason = g.summary.status_reason.clone();
                }
                g.deleted_at_ms = Some(at);
                g.summary.deleted = true;
                g.summary.deleted_at = Some(crate::http::state::rfc3339(at));
                g
            })
            .collect();
        gone.sort_by_key(|g| std::cmp::Reverse(g.deleted_at_ms));
        gone.truncate(MAX_DELETED_GROUPS);
        for g in gone {
            groups.insert(g.summary.group_id.clone(), g);
        }
    }
    // Forget trails only of groups that are gone: a group whose offsets could not be read
    // this poll keeps its history.
    let listed_groups: std::collections::HashSet<&str> =
        data.groups.iter().map(|l| l.group_id.as_str()).collect();
    trails
        .commits
        .retain(|(g, _, _), _| listed_groups.contains(g.as_str()));
    let listed: std::collections::HashSet<&str> =
        data.groups.iter().map(|l| l.group_id.as_str()).collect();
    trails.group_lag.retain(|g, _| listed.contains(g.as_str()));
    trails
        .memberships
        .retain(|g, _| listed.contains(g.as_str()));
    trails.activity.retain(|g, _| listed.contains(g.as_str()));
    for (t, mut list) in topic_groups {
        if let Some(ts) = topics.get_mut(&t) {
            list.sort_by(|a, b| a.group_id.cmp(&b.group_id));
            ts.summary.consumer_groups = list.len();
            ts.groups = list;
        }
    }

    let brokers: Vec<api::Broker> = brokers.into_values().collect();
    let urp: usize = topics
        .values()
        .map(|t| t.summary.under_replicated_partitions)
        .sum();
    let offline: usize = topics.values().map(|t| t.summary.offline_partitions).sum();
    let down = brokers
        .iter()
        .filter(|b| b.status == BrokerStatus::Down)
        .count();
    let status = if urp > 0 || offline > 0 || down > 0 {
        ClusterStatus::Degraded
    } else {
        ClusterStatus::Ok
    };
    ClusterSnapshot {
        name: prev.name.clone(),
        bootstrap_servers: prev.bootstrap_servers.clone(),
        poll_interval: prev.poll_interval,
        read_only: prev.read_only,
        version: prev.version + 1,
        status,
        polled: true,
        last_poll_at_ms: Some(now_ms),
        last_poll_duration_ms: Some(duration_ms),
        last_poll_error: None,
        stage_error_counts: count_errors(
            &prev.stage_error_counts,
            data.stage_errors.iter().map(|e| e.stage.as_str()),
        ),
        last_success_ms: Some(now_ms),
        stage_errors: data.stage_errors,
        stages_ms: data.stages_ms,
        data_at_ms: Some(now_ms),
        controller_id: data.controller.controller_id,
        controller_source: data.controller.source.clone(),
        quorum: data.controller.quorum.clone(),
        quorum_error: data.controller.quorum_error.clone(),
        kraft: data.controller.kraft,
        brokers,
        topics,
        groups,
        clamped_lags: prev.clamped_lags + clamped,
        health: prev.health.clone(),
        health_since: prev.health_since.clone(),
        broker_metrics: prev.broker_metrics.clone(),
        metrics_endpoints: prev.metrics_endpoints.clone(),
        metrics_read_at: prev.metrics_read_at.clone(),
        log_sizes: prev.log_sizes.clone(),
        log_dirs: prev.log_dirs.clone(),
        log_dirs_error: prev.log_dirs_error.clone(),
        topic_dir_sizes: prev.topic_dir_sizes.clone(),
        connection: prev.connection.clone(),
        diagnosis: None,
    }
}

fn count_errors<'a>(
    prev: &BTreeMap<String, u64>,
    stages: impl Iterator<Item = &'a str>,
) -> BTreeMap<String, u64> {
    let mut counts = prev.clone();
    for s in stages {
        *counts.entry(s.to_string()).or_default() += 1;
    }
    counts
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The worst (largest) lag in seconds among rows, with how it was obtained.
fn worst_time_lag<'a>(rows: impl Iterator<Item = &'a api::OffsetRow>) -> Option<(f64, String)> {
    rows.filter_map(|r| Some((r.lag_seconds?, r.lag_seconds_method.clone()?)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Group rates: sums over partitions where known, and the catch-up estimate.
fn group_rates<'a>(rows: impl Iterator<Item = &'a api::OffsetRow>, lag: Option<i64>) -> api::Rates {
    let mut produce: Option<f64> = None;
    let mut consume: Option<f64> = None;
    for r in rows {
        if let Some(p) = r.produce_rate {
            produce = Some(produce.unwrap_or(0.0) + p);
        }
        if let Some(c) = r.consume_rate {
            consume = Some(consume.unwrap_or(0.0) + c);
        }
    }
    let pace = catch_up(lag.unwrap_or(0), produce, consume);
    let (catch_up_seconds, word) = match pace {
        CatchUp::In(s) => (Some(round1(s)), "catching_up"),
        CatchUp::KeepingPace => (None, "keeping_pace"),
        CatchUp::FallingBehind => (None, "falling_behind"),
        CatchUp::NotConsuming => (None, "not_consuming"),
        CatchUp::Done => (Some(0.0), "caught_up"),
        CatchUp::Unknown => (None, "unknown"),
    };
    api::Rates {
        produce_rate: produce.map(round1),
        consume_rate: consume.map(round1),
        catch_up_seconds,
        falling_behind: pace == CatchUp::FallingBehind,
        pace: Some(word.to_string()),
    }
}

/// One line for the group: the worst partition's reason, or a summary when all is well.
fn group_reason<'a>(
    rows: impl Iterator<Item = &'a api::OffsetRow>,
    status: kafscope_api::LagStatus,
    lag: Option<i64>,
) -> String {
    use kafscope_api::fmt::{num, plural};
    let rows: Vec<&api::OffsetRow> = rows.collect();
    if rows.is_empty() {
        return "no committed offsets and no assignments".to_string();
    }
    let same: Vec<&&api::OffsetRow> = rows.iter().filter(|r| r.status == status).collect();
    match status {
        kafscope_api::LagStatus::Ok | kafscope_api::LagStatus::Idle => format!(
            "{} {}; total lag {}",
            plural(rows.len(), "partition"),
            if status == kafscope_api::LagStatus::Idle {
                "idle"
            } else {
                "consuming"
            },
            lag.map(num).unwrap_or_else(|| "unknown".into())
        ),
        _ => {
            let first = same[0];
            let more = if same.len() > 1 {
                let n = same.len() - 1;
                format!(
                    " (and {} more {})",
                    num(n as i64),
                    if n == 1 { "partition" } else { "partitions" }
                )
            } else {
                String::new()
            };
            format!(
                "{}[{}]: {}{more}",
                first.topic, first.partition, first.status_reason
            )
        }
    }
}

/// The snapshot after a poll that could not reach the cluster: last good data kept, marked
/// unreachable with the reason.
pub fn unreachable(
    prev: &ClusterSnapshot,
    error: String,
    now_ms: i64,
    duration_ms: u64,
) -> ClusterSnapshot {
    ClusterSnapshot {
        version: prev.version + 1,
        status: ClusterStatus::Unreachable,
        polled: true,
        last_poll_at_ms: Some(now_ms),
        last_poll_duration_ms: Some(duration_ms),
        last_poll_error: Some(error),
        stage_errors: Vec::new(),
        stages_ms: BTreeMap::new(),
        stage_error_counts: count_errors(&prev.stage_error_counts, ["metadata"].into_iter()),
        ..prev.clone()
    }
}

/// ListGroups states a broker reports without knowing ("Unknown") are not states.
/// Partitions by topic, sorted, as the API lists a member's assignment.
fn assignments(parts: &[(String, i32)]) -> Vec<api::Assignment> {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in parts {
        by_topic.entry(t.as_str()).or_default().push(*p);
    }
    by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort();
            api::Assignment {
                topic: t.to_string(),
                partitions: ps,
            }
        })
        .collect()
}

/// The row of a topic that is gone from the metadata.
fn topic_gone(topic: &str, committed: i64) -> crate::lag::status::Verdict {
    crate::lag::status::Verdict {
        status: LagStatus::TopicDeleted,
        reason: format!(
            "topic {topic} no longer exists (deleted, or not visible to the console); the group's last committed offset there was {}",
            kafscope_api::fmt::num(committed)
        ),
    }
}

/// `retention.ms` of a topic that deletes by time, from its configs.
fn topic_retention_ms(t: &TopicState) -> Option<i64> {
    let configs = t.configs.as_ref()?;
    let value = |k: &str| {
        configs
            .iter()
            .find(|e| e.name == k)
            .and_then(|e| e.value.as_deref())
    };
    effective_retention_ms(value("cleanup.policy"), value("retention.ms"))
}

fn known_state(s: &str) -> Option<String> {
    (!s.is_empty() && !s.eq_ignore_ascii_case("unknown")).then(|| s.to_string())
}

fn topic_configs(
    prev: &ClusterSnapshot,
    data: &PollData,
    topic: &str,
) -> (Option<Vec<api::ConfigEntry>>, Option<String>) {
    match data.configs.as_ref().and_then(|c| c.get(topic)) {
        Some(Ok(entries)) => {
            let mut list: Vec<api::ConfigEntry> = entries
                .iter()
                .map(|e| api::ConfigEntry {
                    name: e.name.clone(),
                    value: e.value.clone(),
                    source: e.source.to_string(),
                    is_default: e.is_default,
                    is_sensitive: e.is_sensitive,
                    read_only: e.read_only,
                })
                .collect();
            list.sort_by(|a, b| a.name.cmp(&b.name));
            (Some(list), None)
        }
        Some(Err(e)) => (None, Some(format!("DescribeConfigs failed: {e}"))),
        None => match prev.topics.get(topic) {
            Some(p) => (p.configs.clone(), p.configs_error.clone()),
            None => (None, Some("configs not read yet".into())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::ffi::{MemberDescription, Node};
    use crate::kafka::{PartitionMetadata, TopicMetadata};

    fn node(id: i32) -> Node {
        Node {
            id,
            host: format!("b{id}"),
            port: 9092,
            rack: None,
        }
    }

    fn sample() -> PollData {
        let mut d = PollData {
            metadata: ClusterMetadata {
                brokers: vec![node(1), node(2)],
                controller_id: Some(1),
                topics: vec![
                    TopicMetadata {
                        name: "orders".into(),
                        error: None,
                        partitions: vec![
                            PartitionMetadata {
                                id: 0,
                                leader: Some(1),
                                replicas: vec![1, 2],
                                isr: vec![1, 2],
                            },
                            PartitionMetadata {
                                id: 1,
                                leader: Some(2),
                                replicas: vec![2, 1],
                                isr: vec![2],
                            },
                            PartitionMetadata {
                                id: 2,
                                leader: None,
                                replicas: vec![1, 3],
                                isr: vec![],
                            },
                        ],
                    },
                    TopicMetadata {
                        name: "__consumer_offsets".into(),
                        error: None,
                        partitions: vec![],
                    },
                ],
            },
            groups: vec![GroupListing {
                group_id: "billing".into(),
                is_simple: false,
                state: "Unknown".into(),
                group_type: None,
            }],
            ..Default::default()
        };
        for (p, l, h) in [(0, 0, 10), (1, 5, 20), (2, 0, 30)] {
            d.log_start.insert(("orders".into(), p), l);
            d.high_watermark.insert(("orders".into(), p), h);
        }
        d.offsets.insert(
            "billing".into(),
            Ok(vec![
                ("orders".into(), 0, Some(7)),
                ("orders".into(), 1, Some(20)),
            ]),
        );
        d
    }

    fn tr() -> Trails {
        Trails::new(Duration::from_secs(600))
    }

    fn empty() -> ClusterSnapshot {
        ClusterSnapshot::empty("c", "b1:9092", Duration::from_secs(1), false)
    }

    #[test]
    fn builds_topics_with_replication_state_and_messages() {
        let s = build(&empty(), sample(), &mut tr(), 1_000, 5);
        let t = &s.topics["orders"];
        assert_eq!(t.summary.partitions, 3);
        assert_eq!(t.summary.replication_factor, 2);
        assert_eq!(t.summary.under_replicated_partitions, 2);
        assert_eq!(t.summary.offline_partitions, 1);
        assert_eq!(t.summary.messages, Some(10 + 15 + 30));
        assert!(s.topics["__consumer_offsets"].summary.internal);
        assert_eq!(s.status, ClusterStatus::Degraded);
        assert_eq!(s.version, 1);
    }

    #[test]
    fn brokers_named_only_as_replicas_are_down() {
        let mut data = sample();
        // The collector resolved the controller (here a ZooKeeper-era Metadata answer).
        data.controller.controller_id = Some(1);
        let s = build(&empty(), data, &mut tr(), 1_000, 5);
        let b3 = s.brokers.iter().find(|b| b.id == 3).unwrap();
        assert_eq!(b3.status, BrokerStatus::Down);
        let b1 = s.brokers.iter().find(|b| b.id == 1).unwrap();
        assert!(b1.is_controller);
        assert_eq!(b1.leader_partitions, 1);
        assert_eq!(b1.replicas, 3);
    }

    #[test]
    fn broker_seen_before_and_gone_now_is_down() {
        let first = build(&empty(), sample(), &mut tr(), 1_000, 5);
        let mut d = sample();
        d.metadata.brokers.retain(|b| b.id != 2);
        let second = build(&first, d, &mut tr(), 2_000, 5);
        let b2 = second.brokers.iter().find(|b| b.id == 2).unwrap();
        assert_eq!(b2.status, BrokerStatus::Down);
        assert_eq!(b2.host.as_deref(), Some("b2"));
        // Its partition 1 is now led by a dead broker: offline.
        assert!(second.topics["orders"].partitions[1].offline);
    }

    #[test]
    fn group_lag_covers_every_partition_and_leaves_uncommitted_null() {
        let s = build(&empty(), sample(), &mut tr(), 1_000, 5);
        let g = &s.groups["billing"];
        // The snapshot keeps the committed rows; the detail rebuilds the uncommitted one.
        assert_eq!(g.detail.offsets.len(), 2);
        let detail = s.group_detail("billing").unwrap();
        assert_eq!(detail.offsets.len(), 3);
        let p2 = &detail.offsets[2];
        assert_eq!((p2.topic.as_str(), p2.partition), ("orders", 2));
        assert_eq!(p2.committed_offset, None);
        assert_eq!(p2.lag, None);
        assert_eq!(p2.status, LagStatus::NoCommit);
        assert_eq!(p2.backlog, Some(30));
        assert!(
            p2.status_reason.contains("never committed"),
            "{}",
            p2.status_reason
        );
        assert_eq!(
            p2.high_watermark,
            s.topics["orders"].partitions[2].high_watermark
        );
        assert!(s.group_detail("nobody").is_none());
        assert_eq!(g.summary.lag, Some(3));
        assert_eq!(g.summary.partitions_without_commit, 1);
        assert_eq!(
            g.summary.state, None,
            "'Unknown' from ListGroups is not a state"
        );
        assert_eq!(g.summary.members, None);
        let tg = &s.topics["orders"].groups;
        assert_eq!(tg.len(), 1);
        assert_eq!(tg[0].lag, Some(3));
        assert_eq!(s.topics["orders"].summary.consumer_groups, 1);
        assert_eq!(s.total_lag(), Some(3));
    }

    #[test]
    fn described_group_has_members_and_owners() {
        let mut d = sample();
        d.descriptions.insert(
            "billing".into(),
            GroupDescription {
                group_id: "billing".into(),
                state: "Stable".into(),
                assignor: "range".into(),
                members: vec![MemberDescription {
                    member_id: "m-1".into(),
                    client_id: "c-1".into(),
                    host: "/10.0.0.1".into(),
                    group_instance_id: None,
                    assignment: vec![("orders".into(), 1), ("orders".into(), 0)],
                    ..Default::default()
                }],
                error: None,
                group_type: Some("classic".into()),
                ..Default::default()
            },
        );
        let s = build(&empty(), d, &mut tr(), 1_000, 5);
        let g = &s.groups["billing"];
        assert_eq!(g.summary.state.as_deref(), Some("Stable"));
        assert_eq!(g.summary.members, Some(1));
        let m = &g.detail.members.as_ref().unwrap()[0];
        assert_eq!(m.assignments[0].partitions, vec![0, 1]);
        let detail = s.group_detail("billing").unwrap();
        assert_eq!(detail.offsets[0].member_id.as_deref(), Some("m-1"));
        assert_eq!(g.summary.group_type.as_deref(), Some("classic"));
        assert!(m.target_assignments.is_none());
    }

    #[test]
    fn a_consumer_protocol_group_owns_partitions_like_a_classic_one() {
        // Kafka 4's consumer protocol (KIP-848): described by ConsumerGroupDescribe, with
        // epochs and a target assignment; its members own partitions exactly as classic ones.
        let mut d = sample();
        d.groups[0].group_type = Some("consumer".into());
        d.groups[0].state = "Stable".into();
        d.descriptions.insert(
            "billing".into(),
            GroupDescription {
                group_id: "billing".into(),
                state: "Reconciling".into(),
                assignor: "uniform".into(),
                members: vec![MemberDescription {
                    member_id: "m-9".into(),
                    client_id: "console-consumer".into(),
                    host: "/10.0.0.2".into(),
                    assignment: vec![("orders".into(), 0), ("orders".into(), 1)],
                    target_assignment: Some(vec![("orders".into(), 0)]),
                    rack: Some("rack-a".into()),
                    member_epoch: Some(4),
                    subscribed_topics: Some(vec!["orders".into()]),
                    classic_member: Some(false),
                    ..Default::default()
                }],
                group_type: Some("consumer".into()),
                group_epoch: Some(5),
                assignment_epoch: Some(5),
                ..Default::default()
            },
        );
        let s = build(&empty(), d, &mut tr(), 1_000, 5);
        let g = &s.groups["billing"];
        assert_eq!(g.summary.group_type.as_deref(), Some("consumer"));
        assert_eq!(g.summary.state.as_deref(), Some("Reconciling"));
        assert_eq!(g.summary.members, Some(1));
        assert_eq!(
            (g.detail.group_epoch, g.detail.assignment_epoch),
            (Some(5), Some(5))
        );
        let m = &g.detail.members.as_ref().unwrap()[0];
        assert_eq!(m.client_id, "console-consumer");
        assert_eq!(m.rack.as_deref(), Some("rack-a"));
        assert_eq!(
            m.target_assignments.as_ref().unwrap()[0].partitions,
            vec![0]
        );
        let detail = s.group_detail("billing").unwrap();
        let owners: Vec<(i32, Option<&str>)> = detail
            .offsets
            .iter()
            .map(|o| (o.partition, o.member_id.as_deref()))
            .collect();
        assert_eq!(owners, vec![(0, Some("m-9")), (1, Some("m-9")), (2, None)]);
        assert_eq!(detail.offsets[2].member_id, None);
    }

    #[test]
    fn unreachable_keeps_last_data_and_says_why() {
        let good = build(&empty(), sample(), &mut tr(), 1_000, 5);
        let bad = unreachable(
            &good,
            "Metadata: broker transport failure".into(),
            5_000,
            2_000,
        );
        assert_eq!(bad.status, ClusterStatus::Unreachable);
        assert_eq!(bad.data_at_ms, Some(1_000));
        assert_eq!(bad.last_poll_at_ms, Some(5_000));
        assert_eq!(bad.topics.len(), 2);
        assert_eq!(bad.version, 2);
    }

    #[test]
    fn configs_are_kept_between_refreshes() {
        let mut d = sample();
        let mut cfgs = BTreeMap::new();
        cfgs.insert(
            "orders".to_string(),
            Ok(vec![TopicConfigEntry {
                name: "retention.ms".into(),
                value: Some("1000".into()),
                source: "dynamic_topic",
                is_default: false,
                is_sensitive: false,
                read_only: false,
            }]),
        );
        d.configs = Some(cfgs);
        let first = build(&empty(), d, &mut tr(), 1_000, 5);
        assert_eq!(first.topics["orders"].configs.as_ref().unwrap().len(), 1);
        let second = build(&first, sample(), &mut tr(), 2_000, 5);
        assert_eq!(
            second.topics["orders"].configs.as_ref().unwrap()[0].name,
            "retention.ms"
        );
        assert!(second.topics["__consumer_offsets"].configs_error.is_some());
    }

    #[test]
    fn statuses_and_time_lag_come_from_the_history_of_cycles() {
        let mut trails = tr();
        let mut snap = empty();
        // billing was active when the console last saw it move (just before minute 0).
        trails.activity.insert(
            "billing".into(),
            Activity {
                first_seen_ms: -60_000,
                last_active_ms: Some(0),
                seen_active: true,
            },
        );
        // Twelve cycles a minute apart: partition 0 keeps growing while billing's commit
        // stays at 7; the group is not described, so ownership is unknown.
        for m in 0..=12i64 {
            let mut d = sample();
            d.high_watermark.insert(("orders".into(), 0), 10 + 60 * m);
            snap = build(&snap, d, &mut trails, m * 60_000, 5);
        }
        let g = &snap.groups["billing"];
        let p0 = &g.detail.offsets[0];
        assert_eq!(p0.status, LagStatus::Stopped, "{}", p0.status_reason);
        assert!(
            // Since the first sample at minute 0, not only over the 10 min window: the run
            // of equal committed offsets keeps its first point.
            p0.status_reason.contains("has not moved for 12 min"),
            "{}",
            p0.status_reason
        );
        assert_eq!(g.summary.status, LagStatus::Stopped);
        assert!(
            g.summary.status_reason.starts_with("orders[0]:"),
            "{}",
            g.summary.status_reason
        );
        // Offset 7 was written before the oldest kept sample: a lower bound, not a guess.
        assert_eq!(p0.lag_seconds_method.as_deref(), Some("lower_bound"));
        assert_eq!(p0.lag_seconds, Some(720.0));
        assert_eq!(p0.produce_rate, Some(1.0));
        assert_eq!(p0.consume_rate, Some(0.0));
        assert!(g.summary.rates.falling_behind);
        // Partition 1 is caught up and nothing new arrived: idle.
        assert_eq!(g.detail.offsets[1].status, LagStatus::Idle);
        assert_eq!(
            g.detail.offsets[1].lag_seconds_method.as_deref(),
            Some("caught_up")
        );
    }

    #[test]
    fn abandoned_groups_are_inactive_not_stopped_and_wake_up_when_they_move() {
        let mut trails = tr();
        trails.inactive_after_ms = 3_600_000;
        let mut snap = empty();
        // Never active while watched: after the window it is inactive, with its lag.
        for m in 0..=12i64 {
            let mut d = sample();
            d.high_watermark.insert(("orders".into(), 0), 10 + 60 * m);
            snap = build(&snap, d, &mut trails, m * 60_000, 5);
        }
        let g = &snap.groups["billing"];
        assert_eq!(
            g.summary.status,
            LagStatus::Inactive,
            "{}",
            g.summary.status_reason
        );
        assert!(
            g.summary
                .status_reason
                .contains("no activity since the console began watching it 12 min ago"),
            "{}",
            g.summary.status_reason
        );
        assert_eq!(g.summary.lag, Some(723), "the lag stays visible");
        // It commits: active again, and judged as any other group from then on.
        let mut d = sample();
        d.high_watermark.insert(("orders".into(), 0), 800);
        d.offsets.insert(
            "billing".into(),
            Ok(vec![
                ("orders".into(), 0, Some(790)),
                ("orders".into(), 1, Some(20)),
            ]),
        );
        snap = build(&snap, d, &mut trails, 13 * 60_000, 5);
        assert_ne!(snap.groups["billing"].summary.status, LagStatus::Inactive);
        assert!(trails.activity["billing"].seen_active);
        // Then nothing for more than `inactive_after`: stopped first, inactive after an hour.
        let mut at = 13 * 60_000;
        for _ in 0..6 {
            at += 12 * 60_000;
            let mut d = sample();
            d.high_watermark.insert(("orders".into(), 0), 900);
            d.offsets.insert(
                "billing".into(),
                Ok(vec![
                    ("orders".into(), 0, Some(790)),
                    ("orders".into(), 1, Some(20)),
                ]),
            );
            snap = build(&snap, d, &mut trails, at, 5);
            let st = snap.groups["billing"].summary.status;
            if at - 13 * 60_000 <= 3_600_000 {
                assert_eq!(st, LagStatus::Stopped, "at {} min", at / 60_000);
            } else {
                assert_eq!(st, LagStatus::Inactive, "at {} min", at / 60_000);
            }
        }
        assert!(
            snap.groups["billing"]
                .summary
                .status_reason
                .contains("no activity for 72 min: 110 messages wait"),
            "{}",
            snap.groups["billing"].summary.status_reason
        );
    }

    #[test]
    fn a_group_that_disappears_is_kept_as_deleted_unless_the_list_failed() {
        let mut trails = tr();
        let first = build(&empty(), sample(), &mut trails, 1_000, 5);
        let mut d = sample();
        d.groups.clear();
        d.groups_from_previous = true;
        let kept = build(&first, d, &mut trails, 2_000, 5);
        assert!(
            kept.groups.is_empty(),
            "a failed list is not a deletion: the collector refills it"
        );
        let mut d = sample();
        d.groups.clear();
        let gone = build(&first, d, &mut trails, 3_000, 5);
        let g = &gone.groups["billing"];
        assert!(g.summary.deleted);
        assert_eq!(g.deleted_at_ms, Some(3_000));
        assert!(
            g.summary
                .status_reason
                .starts_with("the group no longer exists"),
            "{}",
            g.summary.status_reason
        );
        assert_eq!(g.summary.lag, Some(3), "last numbers are kept");
        assert_eq!(gone.live_groups().count(), 0);
        assert_eq!(gone.total_lag(), None);
        // Still deleted a cycle later, with the same time.
        let mut d = sample();
        d.groups.clear();
        let later = build(&gone, d, &mut trails, 4_000, 5);
        assert_eq!(later.groups["billing"].deleted_at_ms, Some(3_000));
    }

    #[test]
    fn offsets_of_a_deleted_topic_say_so_instead_of_no_commit() {
        let mut trails = tr();
        let first = build(&empty(), sample(), &mut trails, 1_000, 5);
        // The topic is deleted: gone from the metadata, and Kafka removed the group's
        // offsets on it. The group must not look like it never committed.
        let mut d = sample();
        d.metadata.topics.retain(|t| t.name != "orders");
        d.log_start.clear();
        d.high_watermark.clear();
        d.offsets.insert("billing".into(), Ok(vec![]));
        let gone = build(&first, d, &mut trails, 2_000, 5);
        let g = &gone.groups["billing"];
        assert_eq!(
            g.summary.status,
            LagStatus::TopicDeleted,
            "{}",
            g.summary.status_reason
        );
        assert!(
            g.summary
                .status_reason
                .contains("topic orders no longer exists"),
            "{}",
            g.summary.status_reason
        );
        assert!(
            g.summary.status_reason.contains("was 7"),
            "{}",
            g.summary.status_reason
        );
        assert_eq!(g.summary.topic_names, vec!["orders".to_string()]);
        assert_eq!(g.summary.lag, None);
        // A broker that still returns offsets for a topic it no longer has: the same.
        let mut d = sample();
        d.metadata.topics.retain(|t| t.name != "orders");
        let stale = build(&first, d, &mut tr(), 2_000, 5);
        assert_eq!(
            stale.groups["billing"].summary.status,
            LagStatus::TopicDeleted
        );
    }

    #[test]
    fn retention_margin_from_the_topic_configs_and_rates() {
        // retention.ms = 100 s; a consumer that stopped at 7 on partition 0 while 10 arrived
        // over 100 s: the record at 7 is about 30 s old and goes in about 70 s.
        let mut trails = tr();
        let mut prev = empty();
        for step in 0..=10i64 {
            let mut d = sample();
            d.configs = Some(
                [(
                    "orders".to_string(),
                    Ok(vec![
                        TopicConfigEntry {
                            name: "retention.ms".into(),
                            value: Some("100000".into()),
                            source: "dynamic_topic",
                            is_default: false,
                            is_sensitive: false,
                            read_only: false,
                        },
                        TopicConfigEntry {
                            name: "cleanup.policy".into(),
                            value: Some("delete".into()),
                            source: "default",
                            is_default: true,
                            is_sensitive: false,
                            read_only: false,
                        },
                    ]),
                )]
                .into_iter()
                .collect(),
            );
            d.high_watermark.insert(("orders".into(), 0), step);
            d.log_start.insert(("orders".into(), 0), 0);
            prev = build(&prev, d, &mut trails, step * 10_000, 5);
        }
        let row = prev.groups["billing"]
            .detail
            .offsets
            .iter()
            .find(|r| r.partition == 0)
            .cloned()
            .unwrap();
        assert_eq!(row.lag, Some(3));
        assert_eq!(row.retention_margin_records, Some(7));
        assert_eq!(
            row.retention_margin_basis.as_deref(),
            Some("time_retention")
        );
        let m = row.retention_margin_seconds.unwrap();
        assert!((60.0..=80.0).contains(&m), "{m}: {row:?}");
        let g = &prev.groups["billing"].summary;
        assert_eq!(g.retention_margin_seconds, Some(m));
        assert_eq!(g.retention_margin_where.as_deref(), Some("orders[0]"));
    }

    #[test]
    fn lag_on_a_compacted_topic_is_an_upper_bound() {
        let mut d = sample();
        let mut cfgs = BTreeMap::new();
        cfgs.insert(
            "orders".to_string(),
            Ok(vec![TopicConfigEntry {
                name: "cleanup.policy".into(),
                value: Some("compact,delete".into()),
                source: "dynamic_topic",
                is_default: false,
                is_sensitive: false,
                read_only: false,
            }]),
        );
        d.configs = Some(cfgs);
        let s = build(&empty(), d, &mut tr(), 1_000, 5);
        assert!(s.groups["billing"].summary.lag_is_upper_bound);
        assert!(s.groups["billing"].detail.offsets[0].lag_is_upper_bound);
    }

    #[test]
    fn a_failed_offset_read_keeps_the_last_numbers_and_the_history() {
        let mut trails = tr();
        let first = build(&empty(), sample(), &mut trails, 1_000, 5);
        let mut d = sample();
        d.offsets.insert(
            "billing".into(),
            Err("Local: Broker transport failure".into()),
        );
        d.high_watermark.clear();
        let second = build(&first, d, &mut trails, 2_000, 5);
        let g = &second.groups["billing"];
        assert_eq!(g.summary.lag, Some(3), "not turned into no_commit");
        assert_eq!(g.detail.offsets[0].committed_offset, Some(7));
        assert!(g
            .detail
            .offsets_error
            .as_deref()
            .unwrap()
            .contains("not refreshed"));
        // The trails survive the failed poll.
        assert_eq!(
            trails.commits[&("billing".to_string(), "orders".to_string(), 0)]
                .points()
                .len(),
            1
        );
        assert_eq!(trails.ends[&("orders".to_string(), 0)].points().len(), 1);
    }
}

#[cfg(test)]
mod membership_tests {
    use super::Membership;

    #[test]
    fn member_set_changes_are_counted_for_an_hour() {
        let mut m = Membership::default();
        // The first description is a baseline, not a rebalance.
        assert_eq!(m.observe(&["a", "b"], 0), 0);
        assert_eq!(m.observe(&["b", "a"], 10_000), 0, "order does not matter");
        assert_eq!(m.observe(&["a"], 20_000), 1, "a member left");
        assert_eq!(m.observe(&["a", "c"], 30_000), 2, "a member joined");
        assert_eq!(m.observe(&[], 40_000), 3, "everyone left");
        assert_eq!(m.observe(&[], 50_000), 3);
        // An hour after the first change, it no longer counts.
        assert_eq!(m.observe(&[], 3_620_001), 2);
    }
}
