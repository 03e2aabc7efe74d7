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
    /// The `Count` of a Kafka meter marked with idle nanoseconds (RequestHandlerAvgIdlePercent):
    /// its rate per second in seconds is the idle ratio over exactly the interval between
    /// two reads.
    IdleNanos,
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
    // The broker pool's own meter (KIP-1207, Kafka 4.2+).
    Metric {
        key: "request_handler_idle_ratio",
        sources: &[
            src(
                "kafka_server_kafkarequesthandlerpool_brokerrequesthandleravgidle_percent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_brokerrequesthandleravgidlepercent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_count",
                Some("BrokerRequestHandlerAvgIdlePercent"),
                IdleNanos,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_oneminuterate",
                Some("BrokerRequestHandlerAvgIdlePercent"),
                Mean,
            ),
        ],
    },
    Metric {
        key: "controller_request_handler_idle_ratio",
        sources: &[
            src(
                "kafka_server_kafkarequesthandlerpool_controllerrequesthandleravgidle_percent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_controllerrequesthandleravgidlepercent",
                None,
                Mean,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_count",
                Some("ControllerRequestHandlerAvgIdlePercent"),
                IdleNanos,
            ),
            src(
                "kafka_server_kafkarequesthandlerpool_oneminuterate",
                Some("ControllerRequestHandlerAvgIdlePercent"),
                Mean,
            ),
        ],
    },
    // The meter every pool of the node marks: on a combined KRaft node before Kafka 4.2 the
    // broker's and the controller's pools both write it (KAFKA-19606), so it reads up to 2.
    // [`finish`] turns it into `request_handler_idle_ratio`.
    Metric {
        key: AGGREGATE_IDLE,
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
                "kafka_server_kafkarequesthandlerpool_count",
                Some("RequestHandlerAvgIdlePercent"),
                IdleNanos,
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
            // Count deltas give the real rate over the interval; the smoothed
            // OneMinuteRate is shown only until a second read (and said to be).
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("BytesInPerSec"),
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("BytesInPerSec"),
                Sum,
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
            // Count deltas give the real rate over the interval; the smoothed
            // OneMinuteRate is shown only until a second read (and said to be).
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("BytesOutPerSec"),
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("BytesOutPerSec"),
                Sum,
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
            // Count deltas give the real rate over the interval; the smoothed
            // OneMinuteRate is shown only until a second read (and said to be).
            src(
                "kafka_server_brokertopicmetrics_count",
                Some("MessagesInPerSec"),
                Counter,
            ),
            src(
                "kafka_server_brokertopicmetrics_oneminuterate",
                Some("MessagesInPerSec"),
                Sum,
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
        key: "metadata_log_size_bytes",
        // The `__cluster_metadata` partition of the per-partition sizes, kept apart.
        sources: &[],
    },
    // Written by the collector from DescribeQuorum, per voter and observer.
    Metric {
        key: "quorum_lag_records",
        sources: &[],
    },
    Metric {
        key: "quorum_lag_seconds",
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

/// Key of the request-handler idle meter shared by every pool of a node (internal).
pub const AGGREGATE_IDLE: &str = "request_handler_idle_aggregate";

/// Per-listener network processor idle (Kafka metrics `socket-server-metrics`, attribute
/// `io-wait-ratio`, one series per listener and processor).
const LISTENER_IO_WAIT: &str = "kafka_server_socket_server_metrics_io_wait_ratio";

/// The KRaft metadata log, reported as a partition like any other.
pub const METADATA_TOPIC: &str = "__cluster_metadata";

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
    /// For a counter: the smoothed gauge of the same metric (JMX `OneMinuteRate`), shown
    /// until a second read gives a delta.
    pub fallback: BTreeMap<&'static str, f64>,
    /// Log bytes per (topic, partition) hosted on the broker (the metadata log excluded).
    pub log_sizes: BTreeMap<(String, i32), f64>,
    /// Network processor idle per listener: the mean over its processors.
    pub listener_idle: BTreeMap<String, f64>,
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
                IdleNanos => Raw::Counter(sum / 1e9),
                CountPositive => Raw::Gauge(hits.iter().filter(|v| **v > 0.0).count() as f64),
            };
            match (reading.values.get(m.key), raw) {
                // A counter was found first: the next gauge is its fallback.
                (Some(Raw::Counter(_)), Raw::Gauge(g)) => {
                    reading.fallback.insert(m.key, g);
                    break;
                }
                (Some(_), _) => {}
                (None, Raw::Counter(_)) => {
                    reading.values.insert(m.key, raw);
                }
                (None, Raw::Gauge(_)) => {
                    reading.values.insert(m.key, raw);
                    break;
                }
            }
        }
    }
    // Kafka 4.2+ (KIP-1207) has per-pool meters, and its shared meter is already the mean
    // over both pools: whatever the per-pool naming, their presence means no correction.
    let per_pool = series.iter().any(|s| {
        let n = s.name.to_ascii_lowercase();
        let label = s.label("name").unwrap_or("").to_ascii_lowercase();
        n.starts_with("kafka_server_kafkarequesthandlerpool")
            && [
                "brokerrequesthandleravgidle",
                "controllerrequesthandleravgidle",
            ]
            .iter()
            .any(|p| n.contains(p) || label.starts_with(p))
    });
    if per_pool {
        if let Some(agg) = reading.values.remove(AGGREGATE_IDLE) {
            reading
                .values
                .entry("request_handler_idle_ratio")
                .or_insert(agg);
        }
        if let Some(f) = reading.fallback.remove(AGGREGATE_IDLE) {
            reading
                .fallback
                .entry("request_handler_idle_ratio")
                .or_insert(f);
        }
    }
    let mut per_listener: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for s in series
        .iter()
        .filter(|s| s.name.eq_ignore_ascii_case(LISTENER_IO_WAIT) && s.value.is_finite())
    {
        if let Some(l) = s.label("listener") {
            let e = per_listener.entry(l.to_string()).or_default();
            // Kafka's own aggregate caps each processor at 1 the same way.
            e.0 += s.value.clamp(0.0, 1.0);
            e.1 += 1;
        }
    }
    reading.listener_idle = per_listener
        .into_iter()
        .map(|(l, (sum, n))| (l, sum / n as f64))
        .collect();
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
            // A replica being moved between log dirs is a copy, not more data.
            if s.label("is-future")
                .or(s.label("is_future"))
                .is_some_and(|f| f == "true")
            {
                continue;
            }
            if topic == METADATA_TOPIC {
                reading
                    .values
                    .insert("metadata_log_size_bytes", Raw::Gauge(s.value));
                continue;
            }
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
/// next one; a counter that went down was reset and gives no rate this time, but its
/// smoothed fallback where there is one). Also says which values are those fallbacks.
pub fn values_noted(
    now: &Reading,
    now_ms: i64,
    prev: Option<(&Reading, i64)>,
) -> (BTreeMap<String, f64>, Vec<&'static str>) {
    let mut out = BTreeMap::new();
    let mut smoothed = Vec::new();
    for (key, raw) in &now.values {
        let v = match raw {
            Raw::Gauge(v) => Some(*v),
            Raw::Counter(c) => prev
                .and_then(|(p, at)| match p.values.get(key) {
                    Some(Raw::Counter(pc)) if *c >= *pc && now_ms > at => {
                        Some((c - pc) * 1000.0 / (now_ms - at) as f64)
                    }
                    _ => None,
                })
                .or_else(|| {
                    let f = now.fallback.get(key).copied();
                    if f.is_some() {
                        smoothed.push(*key);
                    }
                    f
                }),
        };
        if let Some(v) = v {
            out.insert(key.to_string(), v);
        }
    }
    (out, smoothed)
}

/// What is known of the node a reading came from.
#[derive(Debug, Clone, Default)]
pub struct NodeFacts {
    /// A KRaft node that is both broker and controller; `None` when not known.
    pub combined: Option<bool>,
    /// Listener names the controllers use (excluded from network idle).
    pub controller_listeners: std::collections::BTreeSet<String>,
}

/// The last step, once the node is known: request-handler idle from the shared meter (halved
/// on a combined node before Kafka 4.2, where both pools write it), network idle from the
/// client listeners, every ratio within 0–1. Returns notes saying what was corrected.
pub fn finish(
    values: &mut BTreeMap<String, f64>,
    listener_idle: &BTreeMap<String, f64>,
    node: &NodeFacts,
) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(agg) = values.remove(AGGREGATE_IDLE) {
        if !values.contains_key("request_handler_idle_ratio") {
            let v = match node.combined {
                Some(true) => {
                    notes.push(format!(
                        "request handler idle: {} read from RequestHandlerAvgIdlePercent, which the \
                         broker and controller pools of this combined node both mark \
                         (KAFKA-19606); halved to {}",
                        ratio(agg),
                        ratio(agg / 2.0)
                    ));
                    agg / 2.0
                }
                None if agg > 1.0 => {
                    notes.push(format!(
                        "request handler idle: RequestHandlerAvgIdlePercent read {} — above 100 %, \
                         as on a combined KRaft node (KAFKA-19606); capped",
                        ratio(agg)
                    ));
                    agg
                }
                _ => agg,
            };
            values.insert("request_handler_idle_ratio".into(), v);
        }
    }
    let client: Vec<(&String, &f64)> = listener_idle
        .iter()
        .filter(|(l, _)| {
            if node.controller_listeners.is_empty() {
                !l.eq_ignore_ascii_case("CONTROLLER")
            } else {
                !node.controller_listeners.contains(*l)
            }
        })
        .collect();
    if !client.is_empty() {
        let mean = client.iter().map(|(_, v)| **v).sum::<f64>() / client.len() as f64;
        let each: Vec<String> = listener_idle
            .iter()
            .map(|(l, v)| format!("{l} {}", ratio(*v)))
            .collect();
        notes.push(format!(
            "network idle per listener: {} — the client listeners' mean is shown",
            each.join(", ")
        ));
        values.insert("network_processor_idle_ratio".into(), mean);
    }
    for key in [
        "request_handler_idle_ratio",
        "controller_request_handler_idle_ratio",
        "network_processor_idle_ratio",
    ] {
        if let Some(v) = values.get_mut(key) {
            *v = v.clamp(0.0, 1.0);
        }
    }
    notes
}

fn ratio(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}
