//! Cluster health and broker metrics: the answer to "is my cluster healthy?".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How bad a problem is. Ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The verdict for a whole cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HealthVerdict {
    /// Nothing above `info`.
    Healthy,
    /// At least one warning, no critical problem.
    Warning,
    /// At least one critical problem.
    Critical,
    /// Never polled, or the last poll could not reach the cluster.
    Unknown,
}

impl HealthVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthVerdict::Healthy => "healthy",
            HealthVerdict::Warning => "warning",
            HealthVerdict::Critical => "critical",
            HealthVerdict::Unknown => "unknown",
        }
    }

    /// The colour family: `ok`, `warn`, `crit` or `muted`.
    pub fn tone(self) -> &'static str {
        match self {
            HealthVerdict::Healthy => "ok",
            HealthVerdict::Warning => "warn",
            HealthVerdict::Critical => "crit",
            HealthVerdict::Unknown => "muted",
        }
    }
}

/// One problem, said as a sentence, with what it concerns so a UI can link to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Stable identity while the problem lasts (`under_replicated:orders`), used for `since`.
    pub id: String,
    /// `broker_down`, `offline_partitions`, `under_min_isr`, `under_replicated`, `at_min_isr`,
    /// `leader_imbalance`, `no_controller`, `controller_count`, `metrics_offline_partitions`,
    /// `metrics_under_replicated`, `request_handler_busy`, `network_busy`,
    /// `request_queue`, `metrics_endpoint_down`, `disk_usage`.
    pub kind: String,
    pub severity: Severity,
    /// A sentence an on-call engineer can act on.
    pub message: String,
    /// When the console first saw this problem (RFC 3339), kept across polls.
    pub since: String,
    pub topic: Option<String>,
    /// Partitions concerned (of `topic`), at most 100 listed; `partition_count` has them all.
    pub partitions: Vec<i32>,
    pub partition_count: usize,
    /// Brokers concerned (the one down, the ones missing from ISR, …).
    pub brokers: Vec<i32>,
}

/// Counts by kind of replication problem, for a cluster, a broker or a topic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplicationCounts {
    pub under_replicated: usize,
    /// ISR smaller than the topic's `min.insync.replicas`: producers with `acks=all` fail.
    pub under_min_isr: usize,
    /// ISR exactly at `min.insync.replicas`: one more replica lost and writes fail.
    pub at_min_isr: usize,
    pub offline: usize,
    /// Replicas hosted on brokers that are down.
    pub replicas_on_down_brokers: usize,
    /// Partitions led by a broker other than their preferred (first) replica.
    pub not_preferred_leader: usize,
    /// Partitions whose topic's `min.insync.replicas` is not known (configs not readable).
    pub min_isr_unknown: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicHealth {
    pub topic: String,
    pub counts: ReplicationCounts,
    /// `min.insync.replicas` of the topic; `null` when unknown.
    pub min_insync_replicas: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokerHealth {
    pub broker: i32,
    pub up: bool,
    /// Partitions with a replica on this broker, counted by problem.
    pub counts: ReplicationCounts,
    /// Partitions whose preferred leader is this broker.
    pub preferred_partitions: usize,
    /// Of those, the ones this broker leads now.
    pub preferred_led: usize,
}

/// `GET /api/v1/clusters/{c}/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClusterHealth {
    pub cluster: String,
    pub verdict: HealthVerdict,
    /// One line: "healthy", "2 critical problems, 1 warning", "unreachable since …".
    pub summary: String,
    pub counts: ReplicationCounts,
    pub brokers_up: usize,
    pub brokers_down: usize,
    pub controller_id: Option<i32>,
    /// `quorum` or `metadata`; `null` when the controller is not known.
    #[serde(default)]
    pub controller_source: Option<String>,
    /// The KRaft metadata quorum; `null` on ZooKeeper-era clusters or when unread.
    #[serde(default)]
    pub quorum: Option<crate::Quorum>,
    #[serde(default)]
    pub quorum_error: Option<String>,
    /// Sum of ActiveControllerCount over the brokers whose metrics were read; `null` when
    /// no endpoint reports it.
    pub active_controller_count: Option<f64>,
    /// Problems, most severe first.
    pub problems: Vec<Problem>,
    /// Topics with at least one problem (all counts zero are left out).
    pub topics: Vec<TopicHealth>,
    pub brokers: Vec<BrokerHealth>,
    pub metrics_endpoints: Vec<MetricsEndpoint>,
    pub data_at: Option<String>,
}

/// A configured metrics source and how its last scrape went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsEndpoint {
    /// The URL with any credentials removed.
    pub url: String,
    /// `prometheus` or `jolokia`.
    pub kind: String,
    /// The broker the endpoint describes; `null` when it could not be matched to one.
    pub broker: Option<i32>,
    pub last_scrape_at: Option<String>,
    pub duration_ms: Option<u64>,
    /// Why the last scrape failed; `null` after a successful scrape.
    pub error: Option<String>,
    /// Series (Prometheus) or attribute values (Jolokia) read at the last scrape.
    pub samples: usize,
    /// Known metrics found at the last successful scrape.
    pub metrics_found: usize,
    /// What was corrected or approximated in the last reading: a smoothed rate shown until a
    /// counter delta exists, a request-handler idle shared by two pools, network idle per
    /// listener.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A known broker metric: its key, what it means, and its unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricInfo {
    pub key: String,
    pub label: String,
    /// `count`, `ratio` (0–1), `bytes_per_second`, `per_second`, `bytes`.
    pub unit: String,
}

/// `GET /api/v1/clusters/{c}/brokers/{id}`: one broker with its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokerDetail {
    pub broker: crate::Broker,
    pub health: Option<BrokerHealth>,
    /// Every known metric; `null` means unavailable (no endpoint, endpoint down, or not
    /// exported), never 0.
    pub metrics: BTreeMap<String, Option<f64>>,
    pub metric_info: Vec<MetricInfo>,
    pub endpoints: Vec<MetricsEndpoint>,
    /// Bytes of log on this broker and where the number comes from (`metrics`,
    /// `describe_log_dirs`); `null` when no source has it.
    pub log_size_bytes: Option<u64>,
    pub log_size_source: Option<String>,
    pub log_dirs: Vec<LogDir>,
    /// Why DescribeLogDirs gave nothing (not supported by the broker, TLS listener, …).
    pub log_dirs_error: Option<String>,
    pub problems: Vec<Problem>,
    pub data_at: Option<String>,
}

/// A log directory as DescribeLogDirs reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogDir {
    pub path: String,
    pub error: Option<String>,
    /// Bytes of partition logs in the directory.
    pub size_bytes: u64,
    /// Volume size and free space (Kafka 3.3+); `null` when the broker does not say.
    pub total_bytes: Option<u64>,
    pub usable_bytes: Option<u64>,
}

/// `GET …/brokers/{id}/metrics/history` and `GET …/metrics/history`: metric values over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricHistory {
    pub from: String,
    pub to: String,
    pub step_seconds: u64,
    pub series: Vec<MetricSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricSeries {
    pub metric: String,
    /// The broker; `null` for a cluster-wide series (sum over brokers).
    pub broker: Option<i32>,
    pub points: Vec<MetricPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricPoint {
    pub at: String,
    /// Mean over the bucket; `null` where nothing was sampled.
    pub avg: Option<f64>,
    pub max: Option<f64>,
}

/// The broker metrics Kafscope knows: key, label, unit. The server maps every exporter's
/// names onto these keys; the UI labels and formats them from here.
pub const KNOWN_METRICS: &[(&str, &str, &str)] = &[
    (
        "under_replicated_partitions",
        "Under-replicated partitions (led here)",
        "count",
    ),
    (
        "offline_partitions",
        "Offline partitions (controller)",
        "count",
    ),
    ("active_controller_count", "Active controller", "count"),
    (
        "under_min_isr_partitions",
        "Under min ISR partitions",
        "count",
    ),
    ("at_min_isr_partitions", "At min ISR partitions", "count"),
    ("partition_count", "Partitions (replicas here)", "count"),
    ("leader_count", "Partitions led", "count"),
    (
        "request_handler_idle_ratio",
        "Request handler idle",
        "ratio",
    ),
    (
        "controller_request_handler_idle_ratio",
        "Controller request handler idle",
        "ratio",
    ),
    (
        "network_processor_idle_ratio",
        "Network processor idle",
        "ratio",
    ),
    ("bytes_in_per_sec", "Bytes in", "bytes_per_second"),
    ("bytes_out_per_sec", "Bytes out", "bytes_per_second"),
    ("messages_in_per_sec", "Messages in", "per_second"),
    ("request_queue_size", "Request queue", "count"),
    ("log_size_bytes", "Log size on this broker", "bytes"),
    (
        "metadata_log_size_bytes",
        "KRaft metadata log (__cluster_metadata)",
        "bytes",
    ),
    (
        "quorum_lag_records",
        "Metadata quorum lag (records behind the leader)",
        "count",
    ),
    (
        "quorum_lag_seconds",
        "Metadata quorum lag (time behind the leader)",
        "seconds",
    ),
    ("disk_free_bytes", "Disk free", "bytes"),
    ("disk_total_bytes", "Disk size", "bytes"),
];

pub fn known_metrics() -> Vec<MetricInfo> {
    KNOWN_METRICS
        .iter()
        .map(|(key, label, unit)| MetricInfo {
            key: key.to_string(),
            label: label.to_string(),
            unit: unit.to_string(),
        })
        .collect()
}
