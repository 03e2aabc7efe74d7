//! One table from the many names brokers export to the metrics Kafscope knows.
//!
//! Styles covered (see `tests/fixtures/prometheus/SOURCES.md`):
//! * Strimzi / `kafka-2_0_0.yml`: `kafka_server_replicamanager_underreplicatedpartitions`,
//!   counters as `kafka_server_brokertopicmetrics_bytesin_total`;
//! * attribute-as-label (jmx_exporter's default naming, Confluent for Kubernetes, and what
//!   Jolokia reads are turned into): `kafka_server_replicamanager_value{name="UnderReplicatedPartitions"}`;
//! * Amazon MSK, case-preserving: `kafka_server_ReplicaManager_Value{name="UnderReplicatedPartitions"}`
//!   (names and the `name` label compare case-insensitively);
//! * Redpanda (`vectorized_*` and `redpanda_*`).
//!
//! A metric none of its sources matches is *unavailable*; it is never reported as 0.

use std::collections::BTreeMap;

use kafscope_api::MetricInfo;

/// One exported series, whatever its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Series {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// How a source's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The value as it is, summed over matching series.
    Sum,
    /// The mean over matching series (idle ratios per thread pool).
    Mean,
    /// A monotonic counter: turned into a per-second rate between two scrapes.
    Counter,
    /// The number of matching series with a value above 0 (Redpanda's per-partition
    /// under-replicated replica counts → under-replicated partitions).
    CountPositive,
}

pub struct Source {
    pub name: &'static str,
    /// Required value of the `name` label (attribute-as-label naming).
    pub name_label: Option<&'static str>,
    pub kind: Kind,
    /// Series carrying a `topic` label are per-topic copies of a broker total: skip them.
    pub broker_wide: bool,
}

const fn src(name: &'static str, name_label: Option<&'static str>, kind: Kind) -> Source {
    Source {
        name,
        name_label,
        kind,
        broker_wide: true,
    }
}

const fn per_partition(name: &'static str, kind: Kind) -> Source {
    Source {
        name,
        name_label: None,
        kind,
        broker_wide: false,
    }
}

/// A known metric (its label and unit are in `kafscope_api::KNOWN_METRICS`) and its sources.
pub struct Metric {
    pub key: &'static str,
    /// Tried in order; the first with any matching series wins.
    pub sources: &'static [Source],
}

use Kind::*;

pub const METRICS: &[Metric] = &[
    Metric {
        key: "under_replicated_partitions",
        sources: &[
            src(
                "kafka_server_replicamanager_underreplicatedpartitions",
                None,
                Sum,
            ),
            src(
                "kafka_server_replicamanager_value",
                Some("UnderReplicatedPartitions"),
                Sum,
            ),
            per_partition(
                "vectorized_cluster_partition_under_replicated_replicas",
                CountPositive,
            ),
            per_partition("redpanda_kafka_under_replicated_replicas", CountPositive),
        ],
    },
    Metric {
        key: "offline_partitions",
        sources: &[
            src(
                "kafka_controller_kafkacontroller_offlinepartitionscount",
                None,
                Sum,
            ),
            src(
                "kafka_controller_kafkacontroller_value",
                Some("OfflinePartitionsCount"),
                Sum,
            ),
            src("redpanda_cluster_unavailable_partitions", None, Sum),
        ],
    },
    Metric {
        key: "active_controller_count",
        sources: &[
            src(
                "kafka_controller_kafkacontroller_activecontrollercount",
                None,
                Sum,
            ),
            src(
                "kafka_controller_kafkacontroller_value",
                Some("ActiveControllerCount"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "under_min_isr_partitions",
        sources: &[
            src(
                "kafka_server_replicamanager_underminisrpartitioncount",
                None,
                Sum,
            ),
            src(
                "kafka_server_replicamanager_value",
                Some("UnderMinIsrPartitionCount"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "at_min_isr_partitions",
        sources: &[
            src(
                "kafka_server_replicamanager_atminisrpartitioncount",
                None,
                Sum,
            ),
            src(
                "kafka_server_replicamanager_value",
                Some("AtMinIsrPartitionCount"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "partition_count",
        sources: &[
            src("kafka_server_replicamanager_partitioncount", None, Sum),
            src(
                "kafka_server_replicamanager_value",
                Some("PartitionCount"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "leader_count",
        sources: &[
            src("kafka_server_replicamanager_leadercount", None, Sum),
            src(
                "kafka_server_replicamanager_value",
                Some("LeaderCount"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "request_handler_idle_ratio",
        sources: &[
            src(
                "kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_oneminuterate",
                Some("RequestHandlerAvgIdlePercent"),
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_meanrate",
                Some("RequestHandlerAvgIdlePercent"),
                Mean,
            ),
        ],
    },
    Metric {
        key: "network_processor_idle_ratio",
        sources: &[
            src(
                "kafka_network_socketserver_networkprocessoravgidlepercent",
                None,
                Mean,
            ),
            src(
                "kafka_network_socketserver_networkprocessoravgidle_percent",
                None,
                Mean,
            ),
            src(
                "kafka_network_socketserver_value",
                Some("NetworkProcessorAvgIdlePercent"),
                Mean,
            ),
        ],
    },
    Metric {
        key: "bytes_in_per_sec",
        sources: &[
            src(
                "kafka_server_brokertopicmetrics_bytesin_total",
                None,
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("BytesInPerSec"),
                Sum,
            ),
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("BytesInPerSec"),
                Counter,
            ),
            src("vectorized_kafka_rpc_received_bytes", None, Counter),
        ],
    },
    Metric {
        key: "bytes_out_per_sec",
        sources: &[
            src(
                "kafka_server_brokertopicmetrics_bytesout_total",
                None,
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("BytesOutPerSec"),
                Sum,
            ),
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("BytesOutPerSec"),
                Counter,
            ),
            src("vectorized_kafka_rpc_sent_bytes", None, Counter),
        ],
    },
    Metric {
        key: "messages_in_per_sec",
        sources: &[
            src(
                "kafka_server_brokertopicmetrics_messagesin_total",
                None,
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("MessagesInPerSec"),
                Sum,
            ),
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("MessagesInPerSec"),
                Counter,
            ),
            per_partition("vectorized_cluster_partition_records_produced", Counter),
        ],
    },
    Metric {
        key: "request_queue_size",
        sources: &[
            src("kafka_network_requestchannel_requestqueuesize", None, Sum),
            src(
                "kafka_network_requestchannel_value",
                Some("RequestQueueSize"),
                Sum,
            ),
        ],
    },
    Metric {
        key: "log_size_bytes",
        // Filled from the per-partition sizes below, not from a source of its own.
        sources: &[],
    },
    Metric {
        key: "disk_free_bytes",
        sources: &[src("redpanda_storage_disk_free_bytes", None, Sum)],
    },
    Metric {
        key: "disk_total_bytes",
        sources: &[src("redpanda_storage_disk_total_bytes", None, Sum)],
    },
];

/// Per-partition log sizes: (name, required `name` label).
const LOG_SIZE: &[(&str, Option<&str>)] = &[
    ("kafka_log_log_size", None),
    ("kafka_log_log_value", Some("Size")),
    ("vectorized_storage_log_partition_size", None),
];

pub fn metric_info() -> Vec<MetricInfo> {
    kafscope_api::known_metrics()
}

/// A value read from one scrape: a gauge now, or a counter to be turned into a rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Raw {
    Gauge(f64),
    Counter(f64),
}

/// What one scrape says, by metric key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    pub values: BTreeMap<&'static str, Raw>,
    /// Log bytes per (topic, partition) hosted on the broker.
    pub log_sizes: BTreeMap<(String, i32), f64>,
    pub samples: usize,
}

fn matches(s: &Series, source: &Source) -> bool {
    s.name.eq_ignore_ascii_case(source.name)
        && source
            .name_label
            .is_none_or(|n| s.label("name").is_some_and(|v| v.eq_ignore_ascii_case(n)))
        && (!source.broker_wide || s.label("topic").is_none())
        && s.value.is_finite()
}

/// Map every series of one scrape through the table.
pub fn extract(series: &[Series]) -> Reading {
    let mut reading = Reading {
        samples: series.len(),
        ..Default::default()
    };
    for m in METRICS {
        for source in m.sources {
            let hits: Vec<f64> = series
                .iter()
                .filter(|s| matches(s, source))
                .map(|s| s.value)
                .collect();
            if hits.is_empty() {
                continue;
            }
            let sum: f64 = hits.iter().sum();
            let raw = match source.kind {
                Sum => Raw::Gauge(sum),
                Mean => Raw::Gauge(sum / hits.len() as f64),
                Counter => Raw::Counter(sum),
                CountPositive => Raw::Gauge(hits.iter().filter(|v| **v > 0.0).count() as f64),
            };
            reading.values.insert(m.key, raw);
            break;
        }
    }
    for (name, name_label) in LOG_SIZE {
        let source = Source {
            name,
            name_label: *name_label,
            kind: Sum,
            broker_wide: false,
        };
        for s in series.iter().filter(|s| matches(s, &source)) {
            // Redpanda also reports its internal namespaces; only Kafka topics count.
            if s.label("namespace").is_some_and(|n| n != "kafka") {
                continue;
            }
            let (Some(topic), Some(partition)) = (
                s.label("topic"),
                s.label("partition").and_then(|p| p.parse::<i32>().ok()),
            ) else {
                continue;
            };
            *reading
                .log_sizes
                .entry((topic.to_string(), partition))
                .or_default() += s.value;
        }
        if !reading.log_sizes.is_empty() {
            let total: f64 = reading.log_sizes.values().sum();
            reading.values.insert("log_size_bytes", Raw::Gauge(total));
            break;
        }
    }
    reading
}

/// Turn counters into rates against the previous scrape (`None` → unavailable until the
/// next one; a counter that went down was reset and gives no rate this time).
pub fn values(now: &Reading, now_ms: i64, prev: Option<(&Reading, i64)>) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for (key, raw) in &now.values {
        let v = match raw {
            Raw::Gauge(v) => Some(*v),
            Raw::Counter(c) => prev.and_then(|(p, at)| match p.values.get(key) {
                Some(Raw::Counter(pc)) if *c >= *pc && now_ms > at => {
                    Some((c - pc) * 1000.0 / (now_ms - at) as f64)
                }
                _ => None,
            }),
        };
        if let Some(v) = v {
            out.insert(key.to_string(), v);
        }
    }
    out
}
