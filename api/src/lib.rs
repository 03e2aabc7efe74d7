//! Kafscope JSON API v1: the types the server answers with and the WASM front end reads.
//!
//! Plain serde structs, no I/O, compiled for the server and for `wasm32`. Field names are the
//! contract in DESIGN.md §3: fields may be added, never renamed. `None` serialises as `null`
//! and means *unknown*; it is never replaced by 0.

use serde::{Deserialize, Serialize};

mod alerts;
mod embed;
pub mod fmt;
mod health;
mod identity;
pub mod manage;
mod messages;
pub mod schemas;
pub use alerts::*;
pub use embed::*;
pub use health::*;
pub use identity::*;
pub use manage::*;
pub use messages::*;
pub use schemas::*;

/// A list answer: `{"total": N, "items": [...]}`; `total` counts matches before paging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

/// The error envelope: `{"error": {"code": "not_found", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Machine-readable: `not_found`, `bad_request`, `unsupported`, `unavailable`, `internal`.
    pub code: String,
    pub message: String,
}

/// Overall state of a cluster as the console last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    /// Reachable, every broker up, every partition led and fully replicated.
    Ok,
    /// Reachable, but a broker is down, a partition is offline or under-replicated,
    /// or the health assessment found another problem (see `…/health`).
    Degraded,
    /// The last poll could not reach the cluster; the data shown is the last good data.
    Unreachable,
    /// Not polled yet since the console started.
    Unknown,
}

/// One stage of a poll that failed while the rest succeeded (e.g. `describe_groups`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageError {
    pub stage: String,
    pub message: String,
}

/// The most recent poll of a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastPoll {
    /// When the poll finished (RFC 3339 UTC); `null` before the first poll.
    pub at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Why the poll failed as a whole (cluster unreachable); `null` when it succeeded.
    pub error: Option<String>,
    /// Stages that failed while the poll as a whole succeeded.
    pub stage_errors: Vec<StageError>,
    /// Milliseconds each stage of the last poll took (`metadata`, `group_offsets`, …,
    /// `build`, `store`).
    pub stages_ms: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterSummary {
    pub name: String,
    pub status: ClusterStatus,
    pub bootstrap_servers: String,
    pub brokers: usize,
    pub brokers_down: usize,
    /// The active controller: on KRaft clusters the metadata quorum's leader (DescribeQuorum);
    /// on ZooKeeper-era clusters the controller Metadata names. `null` when not known — a KRaft
    /// broker's Metadata names a random live broker, which is never shown as the controller.
    pub controller_id: Option<i32>,
    /// Where `controller_id` comes from: `quorum` or `metadata`; `null` when unknown.
    #[serde(default)]
    pub controller_source: Option<String>,
    /// The KRaft metadata quorum; `null` on ZooKeeper-era clusters and when it could not be
    /// read (`quorum_error` says why).
    #[serde(default)]
    pub quorum: Option<Quorum>,
    #[serde(default)]
    pub quorum_error: Option<String>,
    pub topics: usize,
    pub partitions: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
    /// UnderReplicatedPartitions summed over the brokers whose metrics were read; `null` when
    /// no metrics endpoint reports it (unavailable, not 0).
    pub metrics_under_replicated_partitions: Option<f64>,
    /// OfflinePartitionsCount summed over the brokers whose metrics were read.
    pub metrics_offline_partitions: Option<f64>,
    pub consumer_groups: usize,
    /// Sum of every defined consumer lag in the cluster.
    pub total_lag: Option<i64>,
    pub last_poll: LastPoll,
    /// When the data shown was read (RFC 3339); older than `last_poll.at` when unreachable.
    pub data_at: Option<String>,
    /// Seconds since `data_at`, computed when the answer is made.
    pub data_age_seconds: Option<u64>,
    pub poll_interval_ms: u64,
    pub read_only: bool,
    /// The health verdict and its problem counts (details at `…/health`).
    pub health: HealthVerdict,
    pub critical_problems: usize,
    pub warning_problems: usize,
    /// How the console reaches the cluster's brokers.
    #[serde(default)]
    pub connection: ConnectionPath,
    /// Why the cluster, or one of its brokers, cannot be read; `null` while all is well.
    #[serde(default)]
    pub diagnosis: Option<Diagnosis>,
    /// The cluster's Schema Registry (address without credentials); `null` when none is
    /// configured.
    #[serde(default)]
    pub schema_registry: Option<String>,
    /// The console's own store refuses writes (a full disk): lag history is not saved and
    /// notifications wait in memory until it takes them again. The live data is current.
    /// `null` while the store takes writes.
    #[serde(default)]
    pub store_failure: Option<StoreFailure>,
}

/// The console's store refusing the writes it makes every cycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreFailure {
    /// Since when (RFC 3339).
    pub since: String,
    /// SQLite's error, e.g. `database or disk is full`.
    pub error: String,
}

/// How the console talks to a cluster: the listener's security, and which client reads
/// consumer groups and log dirs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionPath {
    /// `plaintext`, `ssl`, `sasl_plaintext (SCRAM-SHA-256)`, `sasl_ssl (PLAIN)`, …
    pub security: String,
    /// `protocol`: Kafscope's own batched connections (groups listed with their type,
    /// offsets of 100 groups per request, DescribeLogDirs); `librdkafka`: one request per
    /// group through librdkafka's admin API, no disk usage.
    pub group_reads: String,
    /// Why the cluster is on librdkafka's path (a SASL mechanism Kafscope does not speak).
    pub reason: Option<String>,
}

/// Why a cluster or broker cannot be read: each bootstrap server and broker taken step by
/// step (`resolve`, `connect`, `tls`, `api_versions`, `sasl`, `metadata`, `authorize`) over
/// the console's own connections. On `GET /clusters/{c}` while the cluster or a broker is
/// down (kept while it lasts), and the answer of `POST /clusters/{c}/test-connection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnosis {
    /// Every step passed on every address.
    pub ok: bool,
    /// One sentence: what fails and the setting to check (never a secret).
    pub verdict: String,
    /// The failing step and its class (`dns_not_found`, `connection_refused`, `timed_out`,
    /// `no_route`, `tls_untrusted`, `tls_hostname`, `tls_expired`, `tls_not_yet_valid`,
    /// `tls_client_certificate`, `tls_failed`, `listener_not_tls`, `listener_expects_tls`,
    /// `sasl_required`, `sasl_mechanism_not_enabled`, `authentication_failed`,
    /// `not_authorized`, `advertised_host_unresolvable`, `advertised_address_unreachable`,
    /// `connection_closed`, `protocol_error`, `configuration`); `null` when `ok`.
    pub step: Option<String>,
    pub cause: Option<String>,
    /// The settings to check.
    pub setting: Option<String>,
    /// Readable, but some APIs are refused (an ACL is missing).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The security the check used: `plaintext`, `sasl_ssl (SCRAM-SHA-512)`, …
    pub security: String,
    pub checked_at: String,
    pub took_ms: u64,
    pub targets: Vec<DiagnosisTarget>,
}

impl Diagnosis {
    /// A check that failed without reaching any address (or through librdkafka only).
    pub fn failed(
        verdict: String,
        cause: Option<&str>,
        setting: Option<&str>,
        security: String,
        checked_at: String,
    ) -> Diagnosis {
        Diagnosis {
            ok: false,
            verdict,
            step: None,
            cause: cause.map(String::from),
            setting: setting.map(String::from),
            warnings: Vec::new(),
            security,
            checked_at,
            took_ms: 0,
            targets: Vec::new(),
        }
    }
}

/// One address checked: a bootstrap server, or a broker at the address it advertises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DiagnosisTarget {
    pub address: String,
    /// `bootstrap` or `broker`.
    pub role: String,
    pub broker_id: Option<i32>,
    pub ok: bool,
    pub step: Option<String>,
    pub cause: Option<String>,
    pub message: Option<String>,
    pub setting: Option<String>,
    pub took_ms: u64,
}

/// The KRaft metadata quorum (`__cluster_metadata`-0) as its leader describes it
/// (DescribeQuorum, the same answer `kafka-metadata-quorum.sh describe` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quorum {
    /// `null`: no leader (an election is running, or a majority of voters is gone).
    pub leader_id: Option<i32>,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    /// Records the furthest-behind voter lacks (`MaxFollowerLag` of `describe --status`).
    pub max_follower_lag: Option<i64>,
    /// Milliseconds it is behind (`MaxFollowerLagTimeMs`); `null` when not known.
    pub max_follower_lag_ms: Option<i64>,
    /// Voters caught up with the leader (lag under 10 s where times are known, else under
    /// 1 000 records), the leader included.
    pub voters_caught_up: usize,
    pub voters: Vec<QuorumReplica>,
    /// Brokers replicating the metadata log without a vote.
    pub observers: Vec<QuorumReplica>,
    /// The node that answered (a broker forwards the question to the active controller).
    pub via: i32,
    pub read_at: String,
}

/// One replica of the metadata log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuorumReplica {
    pub id: i32,
    /// `leader`, `follower` (a voter) or `observer`.
    pub role: String,
    /// `controller`, `broker` or `combined` (both).
    pub node_type: String,
    pub directory_id: Option<String>,
    pub log_end_offset: Option<i64>,
    /// Leader's log end offset − this replica's.
    pub lag: Option<i64>,
    /// Leader's last-caught-up time − this replica's, in milliseconds.
    pub lag_ms: Option<i64>,
    pub last_fetch_at: Option<String>,
    pub last_caught_up_at: Option<String>,
    /// `LISTENER://host:port`, from the controllers' registrations (Kafka 3.9+).
    pub endpoints: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BrokerStatus {
    Up,
    /// Seen earlier, or named as a replica, but absent from the current metadata.
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Broker {
    pub id: i32,
    /// `null` for a broker known only as a replica id and never seen in metadata.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub rack: Option<String>,
    /// The active controller (the quorum leader on KRaft).
    pub is_controller: bool,
    /// `broker`, plus `controller` for a node that is also a voter of the metadata quorum
    /// (a combined KRaft node).
    #[serde(default)]
    pub roles: Vec<String>,
    pub status: BrokerStatus,
    /// Partitions this broker leads.
    pub leader_partitions: usize,
    /// Partition replicas hosted on this broker.
    pub replicas: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicSummary {
    pub name: String,
    pub internal: bool,
    pub partitions: usize,
    pub replication_factor: usize,
    pub under_replicated_partitions: usize,
    pub offline_partitions: usize,
    /// Sum over partitions of `high_watermark − log_start_offset`; `null` when unknown.
    pub messages: Option<i64>,
    /// Bytes on disk over all replicas; `null` when neither metrics nor DescribeLogDirs say.
    pub size_bytes: Option<u64>,
    /// Where `size_bytes` comes from: `describe_log_dirs` or `metrics`.
    pub size_source: Option<String>,
    /// Consumer groups with committed offsets on this topic.
    pub consumer_groups: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartitionInfo {
    pub partition: i32,
    /// `null` when the partition has no leader (offline).
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub log_start_offset: Option<i64>,
    pub high_watermark: Option<i64>,
    /// End of the partition for read_committed consumers (before any open transaction).
    pub last_stable_offset: Option<i64>,
    pub under_replicated: bool,
    pub offline: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigEntry {
    pub name: String,
    /// `null` when sensitive: secrets never leave the server.
    pub value: Option<String>,
    pub source: String,
    pub is_default: bool,
    pub is_sensitive: bool,
    pub read_only: bool,
}

/// A consumer group reading a topic, as listed on the topic page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicGroupLag {
    pub group_id: String,
    /// Sum of defined lags on this topic's partitions; `null` when none is defined.
    pub lag: Option<i64>,
    pub partitions_without_commit: usize,
    /// Worst lag in seconds over the topic's partitions.
    pub lag_seconds: Option<f64>,
    pub status: LagStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicDetail {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
    pub configs: Vec<ConfigEntry>,
    /// Why configs are missing or incomplete (broker refused DescribeConfigs, not read yet).
    pub configs_error: Option<String>,
    pub consumer_groups: Vec<TopicGroupLag>,
    pub data_at: Option<String>,
}

/// Consumer status of a partition or a group (DESIGN.md §2). A group's status is its worst
/// partition's. Variants are ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LagStatus {
    /// Nothing produced, nothing owed.
    Idle,
    /// Abandoned: no commit and no member for longer than the cluster's `inactive_after`,
    /// or never active while the console watched. Not an incident; the lag stays visible.
    Inactive,
    /// The group committed offsets on a topic that no longer exists.
    TopicDeleted,
    Ok,
    /// No committed offset: lag is unknown, not zero.
    NoCommit,
    /// Committing, but lag growing.
    Slow,
    /// Committed offset went backwards.
    Rewind,
    /// Committed offset flat while the group has no live owner for the partition.
    Stopped,
    /// Committed offset flat, lag > 0, partition owned by a live member.
    Stalled,
    /// Committed offset below the log start: records were deleted unread.
    DataLoss,
}

impl LagStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LagStatus::Idle => "idle",
            LagStatus::Inactive => "inactive",
            LagStatus::TopicDeleted => "topic_deleted",
            LagStatus::Ok => "ok",
            LagStatus::NoCommit => "no_commit",
            LagStatus::Slow => "slow",
            LagStatus::Rewind => "rewind",
            LagStatus::Stopped => "stopped",
            LagStatus::Stalled => "stalled",
            LagStatus::DataLoss => "data_loss",
        }
    }

    /// The colour family a status is shown in: `ok`, `muted`, `warn` or `crit` (UI badges,
    /// embed widgets, SVG badges).
    pub fn tone(self) -> &'static str {
        match self {
            LagStatus::Ok | LagStatus::Idle => "ok",
            LagStatus::NoCommit | LagStatus::TopicDeleted | LagStatus::Inactive => "muted",
            LagStatus::Slow | LagStatus::Rewind => "warn",
            LagStatus::Stopped | LagStatus::Stalled | LagStatus::DataLoss => "crit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupSummary {
    pub group_id: String,
    /// `classic`, `consumer` (Kafka 4's consumer protocol, KIP-848) or `share`; `null` when
    /// the broker does not say (ListGroups before v5, librdkafka's path on old brokers).
    #[serde(default)]
    pub group_type: Option<String>,
    /// Group state as the broker reports it (`Stable`, `Empty`, …); `null` when unknown.
    pub state: Option<String>,
    /// Member count; `null` when the broker would not describe the group.
    pub members: Option<usize>,
    /// Number of topics the group has committed offsets on or is assigned.
    pub topics: usize,
    pub topic_names: Vec<String>,
    /// Sum of defined lags; `null` when no partition has a commit.
    pub lag: Option<i64>,
    pub partitions_without_commit: usize,
    /// Worst lag in seconds over the group's partitions; `null` until it can be computed.
    pub lag_seconds: Option<f64>,
    /// How `lag_seconds` was obtained: `interpolated`, `lower_bound` or `caught_up`.
    pub lag_seconds_method: Option<String>,
    pub status: LagStatus,
    /// One line saying why the group has its status.
    pub status_reason: String,
    #[serde(flatten)]
    pub rates: Rates,
    /// Some partition is on a compacted topic: offset lag there is an upper bound.
    pub lag_is_upper_bound: bool,
    /// The group's total lag at its most recent polls, oldest first (for a sparkline).
    pub lag_trend: Vec<i64>,
    /// Rebalances seen in the last hour: changes of the group's member set between polls
    /// (a rebalance that keeps every member id is not seen). `null` when the broker does not
    /// describe the group.
    #[serde(default)]
    pub rebalances_last_hour: Option<usize>,
    /// The nearest data loss: seconds until retention deletes records the group has not
    /// read, over its partitions, at the current rates (see `OffsetRow`); `null`: none in
    /// sight.
    #[serde(default)]
    pub retention_margin_seconds: Option<f64>,
    /// Which partition that is (`topic[partition]`).
    #[serde(default)]
    pub retention_margin_where: Option<String>,
    /// The group no longer exists on the broker; its last state and its history are kept.
    pub deleted: bool,
    /// When the group was last seen, for a deleted group.
    pub deleted_at: Option<String>,
}

/// Rates over the status window, and when the group catches up at those rates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rates {
    /// Messages per second written to the partitions the group reads.
    pub produce_rate: Option<f64>,
    /// Messages per second the group commits past.
    pub consume_rate: Option<f64>,
    /// Seconds until lag reaches 0 at the current rates; `null` when unknown or never.
    pub catch_up_seconds: Option<f64>,
    /// Producers are faster than the consumer while it owes messages.
    pub falling_behind: bool,
    /// Where the lag goes at these rates: `caught_up`, `catching_up`, `keeping_pace`,
    /// `falling_behind` (producers faster), `not_consuming` (nothing produced or consumed),
    /// `unknown`.
    #[serde(default)]
    pub pace: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub topic: String,
    pub partitions: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub group_instance_id: Option<String>,
    /// The partitions the member owns now.
    pub assignments: Vec<Assignment>,
    /// Consumer-protocol groups: what the coordinator wants the member to own (differs from
    /// `assignments` while the group reconciles); `null` for classic groups.
    #[serde(default)]
    pub target_assignments: Option<Vec<Assignment>>,
    #[serde(default)]
    pub rack: Option<String>,
    /// Consumer-protocol groups: the epoch the member has reconciled to.
    #[serde(default)]
    pub member_epoch: Option<i32>,
    /// Consumer-protocol groups: the topics it subscribes to (or the regular expression).
    #[serde(default)]
    pub subscribed_topics: Option<Vec<String>>,
    #[serde(default)]
    pub subscribed_topic_regex: Option<String>,
    /// Consumer-protocol groups: a member still on the classic protocol (an upgrade in
    /// progress); `null` when the broker does not say.
    #[serde(default)]
    pub classic_member: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OffsetRow {
    pub topic: String,
    pub partition: i32,
    /// Next offset the group will consume; `null` when the group has not committed here.
    pub committed_offset: Option<i64>,
    pub log_start_offset: Option<i64>,
    pub high_watermark: Option<i64>,
    /// `max(0, high_watermark − committed_offset)`; `null` without a commit.
    pub lag: Option<i64>,
    pub last_stable_offset: Option<i64>,
    /// Lag of a read_committed consumer: `max(0, last_stable_offset − committed_offset)`.
    pub lag_read_committed: Option<i64>,
    /// Records deleted before the group read them (`log_start − committed`), when positive.
    pub lost: Option<i64>,
    /// Records waiting in the partition (`high_watermark − log_start`), shown beside a
    /// missing commit.
    pub backlog: Option<i64>,
    pub lag_seconds: Option<f64>,
    pub lag_seconds_method: Option<String>,
    pub status: LagStatus,
    pub status_reason: String,
    pub produce_rate: Option<f64>,
    pub consume_rate: Option<f64>,
    /// The topic is compacted: records below the end offset may be gone, so offset lag is an
    /// upper bound.
    pub lag_is_upper_bound: bool,
    /// The member that owns the partition, when the broker says.
    pub member_id: Option<String>,
    /// Records between the committed offset and the log start: how much retention may
    /// delete before it reaches records the group has not read.
    #[serde(default)]
    pub retention_margin_records: Option<i64>,
    /// Seconds until retention deletes a record the group has not read, at the current
    /// rates (at the earliest); `null` when it never will at these rates, or nothing says.
    #[serde(default)]
    pub retention_margin_seconds: Option<f64>,
    /// `time_retention` (the unread record ages past `retention.ms`) or `log_start_rate`
    /// (the log start moves towards the committed offset).
    #[serde(default)]
    pub retention_margin_basis: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupDetail {
    pub group_id: String,
    /// See [`GroupSummary::group_type`].
    #[serde(default)]
    pub group_type: Option<String>,
    /// Consumer-protocol groups: the group epoch and the epoch of its target assignment
    /// (they differ while the coordinator computes a new assignment).
    #[serde(default)]
    pub group_epoch: Option<i32>,
    #[serde(default)]
    pub assignment_epoch: Option<i32>,
    pub state: Option<String>,
    pub protocol: Option<String>,
    /// `null` when the broker would not describe the group (see `describe_error`).
    pub members: Option<Vec<Member>>,
    pub describe_error: Option<String>,
    pub offsets_error: Option<String>,
    pub lag: Option<i64>,
    pub partitions_without_commit: usize,
    pub lag_seconds: Option<f64>,
    pub lag_seconds_method: Option<String>,
    pub status: LagStatus,
    pub status_reason: String,
    #[serde(flatten)]
    pub rates: Rates,
    /// The window statuses and rates are judged over, in seconds.
    pub status_window_seconds: u64,
    /// Member-set changes seen in the last hour (see `GroupSummary`).
    #[serde(default)]
    pub rebalances_last_hour: Option<usize>,
    pub offsets: Vec<OffsetRow>,
    pub data_at: Option<String>,
}

/// `GET …/consumer-groups/{group}/history`: lag over time, bucketed by `step_seconds`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LagHistory {
    pub group_id: String,
    pub from: String,
    pub to: String,
    pub step_seconds: u64,
    /// One series for the group total (or the selected topic/partition), or one per
    /// topic-partition with `by=partition`.
    pub series: Vec<LagSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LagSeries {
    pub topic: Option<String>,
    pub partition: Option<i32>,
    pub points: Vec<LagPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LagPoint {
    /// Start of the bucket.
    pub at: String,
    /// Largest lag (messages) sampled in the bucket; `null` when no sample had a commit.
    pub lag: Option<i64>,
    pub lag_avg: Option<f64>,
    /// Largest lag in seconds sampled in the bucket.
    pub lag_seconds: Option<f64>,
    /// Some sample's time lag in the bucket was only a lower bound.
    pub lag_seconds_lower_bound: bool,
}

/// `/readyz` and `/healthz` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub clusters_polled: usize,
    pub clusters: usize,
    /// The store refuses writes (see [`ClusterSummary::store_failure`]); `null` while it
    /// takes them.
    #[serde(default)]
    pub store_failure: Option<StoreFailure>,
}

/// Server-sent event on `/api/v1/events`: a cluster published a new snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotEvent {
    pub cluster: String,
    pub version: u64,
    pub status: ClusterStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_status_orders_by_severity_and_serialises_snake_case() {
        assert!(LagStatus::DataLoss > LagStatus::Stalled);
        assert!(LagStatus::NoCommit > LagStatus::Ok);
        assert!(LagStatus::Ok > LagStatus::Idle);
        let json = serde_json::to_string(&LagStatus::DataLoss).unwrap();
        assert_eq!(json, "\"data_loss\"");
        assert_eq!(LagStatus::NoCommit.as_str(), "no_commit");
    }

    #[test]
    fn unknown_values_serialise_as_null_not_zero() {
        let row = OffsetRow {
            topic: "t".into(),
            partition: 0,
            committed_offset: None,
            log_start_offset: Some(0),
            high_watermark: Some(10),
            lag: None,
            last_stable_offset: None,
            lag_read_committed: None,
            lost: None,
            backlog: Some(10),
            lag_seconds: None,
            lag_seconds_method: None,
            status: LagStatus::NoCommit,
            status_reason: String::new(),
            produce_rate: None,
            consume_rate: None,
            lag_is_upper_bound: false,
            member_id: None,
            retention_margin_records: None,
            retention_margin_seconds: None,
            retention_margin_basis: None,
        };
        let v: serde_json::Value = serde_json::to_value(&row).unwrap();
        assert!(v["lag"].is_null());
        assert!(v["committed_offset"].is_null());
        assert_eq!(v["backlog"], 10);
    }
}
