//! Kafka access: one long-lived librdkafka client per cluster, and the calls the collector
//! makes with it. Every blocking librdkafka call runs on `spawn_blocking` under a name, so
//! nothing blocks the async runtime and errors say which Kafka API failed.

pub mod admin;
pub mod advice;
pub mod diagnosis;
pub mod ffi;
pub mod groups;
pub mod logdirs;
pub mod metadata;
pub mod oauth;
pub mod offsets;
pub mod probe;
pub mod quorum;
pub mod requests;
pub mod sasl;
pub mod security;
pub mod tls;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaType;
use rdkafka::ClientConfig;

use crate::config::ClusterConfig;
pub use ffi::{
    CallError, GroupDescription, GroupListing, GroupOffsets, OffsetSpec, PartitionEntry,
};

/// A failure of one Kafka call, named after the Kafka API.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{api}: {message}")]
pub struct KafkaCallError {
    pub api: &'static str,
    pub message: String,
    /// The broker does not implement what the call needs.
    pub unsupported: bool,
}

impl From<CallError> for KafkaCallError {
    fn from(e: CallError) -> Self {
        KafkaCallError {
            api: e.api,
            unsupported: e.is_unsupported(),
            message: e.message,
        }
    }
}

impl KafkaCallError {
    fn from_kafka(api: &'static str, e: &KafkaError) -> Self {
        let unsupported = matches!(
            e.rdkafka_error_code(),
            Some(rdkafka::types::RDKafkaErrorCode::UnsupportedVersion)
                | Some(rdkafka::types::RDKafkaErrorCode::UnsupportedFeature)
        );
        KafkaCallError {
            api,
            message: e.to_string(),
            unsupported,
        }
    }
}

/// Broker, topic and partition layout from one Metadata request.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    pub brokers: Vec<ffi::Node>,
    pub controller_id: Option<i32>,
    pub topics: Vec<TopicMetadata>,
}

#[derive(Debug, Clone)]
pub struct TopicMetadata {
    pub name: String,
    pub error: Option<String>,
    pub partitions: Vec<PartitionMetadata>,
}

#[derive(Debug, Clone)]
pub struct PartitionMetadata {
    pub id: i32,
    /// `None` when the partition has no leader.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

/// One config entry of a topic, as DescribeConfigs returned it. Sensitive values are dropped
/// here, so they never reach the snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub is_default: bool,
    pub is_sensitive: bool,
    pub read_only: bool,
}

/// ListConsumerGroupOffsets requests issued at once (one group each).
const GROUP_OFFSETS_IN_FLIGHT: usize = 256;

/// Partitions per ListOffsets admin call.
const LIST_OFFSETS_CHUNK: usize = 2500;

/// Keep the first listing of each group id, in the brokers' order.
pub(crate) fn dedup_groups(groups: &mut Vec<GroupListing>) {
    let mut seen = std::collections::HashSet::new();
    groups.retain(|g| seen.insert(g.group_id.clone()));
}

/// The console's connection to one cluster.
#[derive(Clone)]
pub struct ClusterClient {
    /// librdkafka's client (an admin client: a producer handle that produces nothing), its
    /// requests counted into `requests`.
    admin: Arc<ffi::CountedClient>,
    timeout: Duration,
    /// Requests sent to the cluster on every path: Kafscope's own protocol connections,
    /// this client (its interceptor), the message consumers and producer (statistics).
    pub requests: wire::RequestCounts,
    /// librdkafka statistics of the message clients, turned into counts.
    pub stats_tally: Arc<requests::StatsTally>,
    /// ListOffsets over Kafscope's own connections (see [`offsets`]), shared by the
    /// collector and the on-demand lookups; `None` when the cluster's security settings
    /// are ones only librdkafka speaks.
    own_offsets: Option<offsets::OffsetReader>,
    /// librdkafka's log lines: each said once, then counted (see [`Repeats`]); the last
    /// error-level line is kept for the diagnosis when the protocol check cannot run.
    logs: Arc<std::sync::Mutex<Repeats>>,
}

/// Log lines seen, by their text without numbers ("3/3 brokers are down" and "0/3 brokers
/// are down" are one line): a line is written the first time, then at most every
/// [`REPEAT_EVERY`] with how often it came meanwhile.
#[derive(Default)]
pub struct Repeats {
    seen: std::collections::HashMap<String, (u64, std::time::Instant)>,
    pub last_error: Option<String>,
}

/// A log line without what changes between repeats: librdkafka's timings ("after 16ms"),
/// counts ("3/3 brokers are down", "2 identical error(s) suppressed"); broker names and
/// ports stay, so two brokers' failures are two lines.
pub(crate) fn repeat_key(line: &str) -> String {
    static VARYING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\d+ ?ms\b|\d+/\d+|\d+ identical|\d+ in-flight").expect("valid")
    });
    VARYING.replace_all(line, "#").chars().take(300).collect()
}

/// How often a repeated log line is written again, with its count.
pub const REPEAT_EVERY: Duration = Duration::from_secs(300);

impl Repeats {
    /// `Some(n)`: write the line now, saying it was suppressed `n` times since last written.
    pub fn note(&mut self, line: &str, now: std::time::Instant) -> Option<u64> {
        let key = repeat_key(line);
        if self.seen.len() >= 512 && !self.seen.contains_key(&key) {
            self.seen.clear();
        }
        match self.seen.get_mut(&key) {
            Some((n, at)) if now.duration_since(*at) < REPEAT_EVERY => {
                *n += 1;
                None
            }
            Some((n, at)) => {
                let suppressed = *n;
                *n = 0;
                *at = now;
                Some(suppressed)
            }
            None => {
                self.seen.insert(key, (0, now));
                Some(0)
            }
        }
    }
}

/// The librdkafka configuration for a cluster: the user's properties, then ours.
pub fn client_config(cfg: &ClusterConfig) -> ClientConfig {
    let mut cc = ClientConfig::new();
    for (k, v) in &cfg.client {
        cc.set(k, v);
    }
    cc.set("bootstrap.servers", &cfg.bootstrap_servers);
    if !cfg.client.contains_key("client.id") {
        cc.set("client.id", "kafscope");
    }
    // Quiet the broker-down log storm; the collector reports reachability itself.
    if !cfg.client.contains_key("log_level") {
        cc.set("log_level", "3");
    }
    cc
}

async fn run_blocking<T, F>(api: &'static str, f: F) -> Result<T, KafkaCallError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, KafkaCallError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(KafkaCallError {
            api,
            message: format!("worker failed: {e}"),
            unsupported: false,
        })
    })
}

impl ClusterClient {
    /// Create the client. librdkafka connects lazily, so this fails only for a bad
    /// configuration (an unknown property, a bad value), never for an unreachable cluster.
    pub fn connect(cfg: &ClusterConfig) -> Result<ClusterClient, KafkaError> {
        let counts = wire::RequestCounts::default();
        let mut config = client_config(cfg);
        // Gentle with a failing cluster. librdkafka connects to a random broker every
        // reconnect.backoff.ms / 2 (at most every second) while a request waits for any
        // broker to come up, whatever the per-broker back-off; its default of 100 ms meant a
        // connection attempt every 50 ms (7 failed TLS handshakes a second per broker of
        // three). Only this client (the collector's, and a test connection's librdkafka
        // check): a message scan's new consumer needs its first connections at once.
        if !cfg.client.contains_key("reconnect.backoff.ms") {
            config.set("reconnect.backoff.ms", "2000");
        }
        // A producer handle asks for topics with auto-creation allowed by default: the
        // topic-scoped Metadata of an offset lookup must never create the topic it names.
        config.set("allow.auto.create.topics", "false");
        let admin = ffi::CountedClient::new(&config, RDKafkaType::RD_KAFKA_PRODUCER, &counts)?;
        let own_offsets = security::from_properties(&cfg.client)
            .and_then(|sec| wire::Dialer::new(&sec, cfg.request_timeout, counts.clone()))
            .ok()
            .map(offsets::OffsetReader::new);
        Ok(ClusterClient {
            admin: Arc::new(admin),
            timeout: cfg.request_timeout,
            requests: counts,
            stats_tally: Default::default(),
            logs: Default::default(),
            own_offsets,
        })
    }

    /// Serve queued statistics and error callbacks (non-blocking); the collector calls this
    /// every cycle.
    pub fn serve_callbacks(&self) {
        let ev = ffi::drain_main_queue(self.raw(), 10_000);
        let now = std::time::Instant::now();
        if let Ok(mut seen) = self.logs.lock() {
            for (level, fac, msg) in ev.logs {
                if level > 3 {
                    tracing::debug!(target: "librdkafka", facility = %fac, "{msg}");
                    continue;
                }
                match seen.note(&msg, now) {
                    Some(0) => tracing::warn!(target: "librdkafka", facility = %fac, "{msg}"),
                    Some(n) => {
                        tracing::warn!(target: "librdkafka", facility = %fac, "{msg} (and {n} more like it in the last {} s)", REPEAT_EVERY.as_secs())
                    }
                    None => {}
                }
                seen.last_error = Some(msg);
            }
        }
        for e in ev.errors {
            tracing::debug!(target: "librdkafka", "client error: {e}");
        }
    }

    /// Request counting for a new message consumer or producer.
    pub fn counting(&self) -> requests::Counting {
        requests::Counting::new(self.stats_tally.clone(), self.requests.clone())
    }

    /// Requests sent so far by Kafka API name, on every path (see `requests`).
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.requests.get()
    }

    /// A diagnosis from librdkafka's own words, for a cluster the protocol check cannot
    /// speak to (a SASL mechanism only librdkafka has): its last error line, classified.
    pub fn librdkafka_diagnosis(&self, checked_at: String) -> kafscope_api::Diagnosis {
        let line = self.logs.lock().ok().and_then(|l| l.last_error.clone());
        let cause = line.as_deref().and_then(diagnosis::from_librdkafka);
        kafscope_api::Diagnosis::failed(
            line.unwrap_or_else(|| "librdkafka reached no broker and logged no reason".into()),
            cause.map(|c| c.as_str()),
            cause.and_then(|c| c.setting()),
            "librdkafka".into(),
            checked_at,
        )
    }

    /// The cluster was read: librdkafka's last error line no longer says anything.
    pub fn clear_last_error(&self) {
        if let Ok(mut l) = self.logs.lock() {
            l.last_error = None;
        }
    }

    fn raw(&self) -> ffi::RawClient {
        ffi::RawClient::new(self.admin.client().native_ptr())
    }

    /// Metadata for all topics, plus brokers with racks and the controller from
    /// DescribeCluster where the broker supports it.
    pub async fn metadata(&self) -> Result<ClusterMetadata, KafkaCallError> {
        let this = self.clone();
        run_blocking("Metadata", move || {
            // A dropped connection fails a Metadata request at once; retry within the
            // request timeout so one reconnect does not mark the cluster unreachable. Each
            // attempt gets a third of it: librdkafka asks its least idle broker, and a hung
            // one keeps the request as in flight, so the next attempt goes elsewhere.
            // Two attempts at most: more only multiply connection attempts to a cluster
            // that fails every handshake.
            let deadline = std::time::Instant::now() + this.timeout;
            let attempt = (this.timeout / 3).max(Duration::from_millis(300));
            let mut tries = 0;
            let md = loop {
                tries += 1;
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                match this
                    .admin
                    .client()
                    .fetch_metadata(None, left.min(attempt).max(Duration::from_millis(100)))
                {
                    Ok(md) => break md,
                    Err(e) if tries < 2 && left > Duration::from_millis(700) => {
                        tracing::debug!(error = %e, "metadata attempt failed; retrying");
                        std::thread::sleep(Duration::from_millis(500));
                    }
                    Err(e) => return Err(KafkaCallError::from_kafka("Metadata", &e)),
                }
            };
            let brokers: Vec<ffi::Node> = md
                .brokers()
                .iter()
                .map(|b| ffi::Node {
                    id: b.id(),
                    host: b.host().to_string(),
                    port: u16::try_from(b.port()).unwrap_or(0),
                    rack: None,
                })
                .collect();
            let topics = md
                .topics()
                .iter()
                .map(|t| TopicMetadata {
                    name: t.name().to_string(),
                    error: t.error().map(|e| format!("{e:?}")),
                    partitions: t
                        .partitions()
                        .iter()
                        .map(|p| PartitionMetadata {
                            id: p.id(),
                            leader: (p.leader() >= 0).then_some(p.leader()),
                            replicas: p.replicas().to_vec(),
                            isr: p.isr().to_vec(),
                        })
                        .collect(),
                })
                .collect();
            // Racks and a fresh controller id come from DescribeCluster, asked beside the
            // other stages (see `describe_cluster`).
            let controller_id = ffi::controller_id(this.raw(), Duration::ZERO);
            Ok(ClusterMetadata {
                brokers,
                controller_id,
                topics,
            })
        })
        .await
    }

    /// DescribeCluster (KIP-919): racks by broker, and the controller Metadata would name (a
    /// random broker on KRaft; the real one before).
    pub async fn describe_cluster(
        &self,
        timeout: Duration,
    ) -> Result<(Vec<(i32, Option<String>)>, Option<i32>), KafkaCallError> {
        let this = self.clone();
        run_blocking("DescribeCluster", move || {
            let desc = ffi::describe_cluster(this.raw(), timeout)?;
            Ok((
                desc.nodes.into_iter().map(|n| (n.id, n.rack)).collect(),
                desc.controller,
            ))
        })
        .await
    }

    /// The reader of offsets over Kafscope's own connections, when the cluster has one.
    pub fn own_offsets(&self) -> Option<&offsets::OffsetReader> {
        self.own_offsets.as_ref()
    }

    /// Log-start, end or by-time offsets of many partitions, batched per leader: over
    /// Kafscope's own connections to the leaders a topic-scoped Metadata names (never
    /// librdkafka's ListOffsets where those exist: see [`offsets`] for the crash it has),
    /// else through librdkafka. A partition that could not be read carries its error.
    pub async fn list_offsets(
        &self,
        partitions: Vec<(String, i32)>,
        spec: OffsetSpec,
    ) -> Result<Vec<PartitionEntry>, KafkaCallError> {
        let mut kinds = self.list_offsets_kinds(partitions, &[spec]).await?;
        Ok(kinds.pop().unwrap_or_default())
    }

    /// [`list_offsets`](Self::list_offsets) for several kinds at once (answers in the order
    /// of `specs`): on Kafscope's own connections one pipelined exchange per leader. A
    /// partition whose leader answered that it no longer leads it is asked once more, of
    /// the leader a fresh Metadata names.
    pub async fn list_offsets_kinds(
        &self,
        partitions: Vec<(String, i32)>,
        specs: &[OffsetSpec],
    ) -> Result<Vec<Vec<PartitionEntry>>, KafkaCallError> {
        let Some(reader) = &self.own_offsets else {
            let kinds = specs
                .iter()
                .map(|spec| self.list_offsets_librdkafka(partitions.clone(), *spec));
            return futures::future::join_all(kinds).await.into_iter().collect();
        };
        let layout = self.layout_of(&partitions).await?;
        let mut kinds = reader.list_by_layout(&layout, &partitions, specs).await;
        let moved: Vec<(String, i32)> = {
            let mut m: Vec<(String, i32)> = kinds
                .iter()
                .flatten()
                .filter(|e| offsets::leader_moved(e))
                .map(|e| (e.topic.clone(), e.partition))
                .collect();
            m.sort();
            m.dedup();
            m
        };
        if moved.is_empty() {
            return Ok(kinds);
        }
        let layout = self.layout_of(&moved).await?;
        let again = reader.list_by_layout(&layout, &moved, specs).await;
        for (kind, fresh) in kinds.iter_mut().zip(again) {
            kind.retain(|e| !moved.contains(&(e.topic.clone(), e.partition)));
            kind.extend(fresh);
        }
        Ok(kinds)
    }

    /// Where `partitions` live now: a Metadata for just their topics (auto-creation off on
    /// this client, so asking never creates one).
    async fn layout_of(
        &self,
        partitions: &[(String, i32)],
    ) -> Result<offsets::Layout, KafkaCallError> {
        let mut topics: Vec<String> = partitions.iter().map(|(t, _)| t.clone()).collect();
        topics.sort();
        topics.dedup();
        let this = self.clone();
        run_blocking("Metadata", move || {
            let mut layout = offsets::Layout::default();
            for topic in &topics {
                let md = this
                    .admin
                    .client()
                    .fetch_metadata(Some(topic), this.timeout)
                    .map_err(|e| KafkaCallError::from_kafka("Metadata", &e))?;
                for b in md.brokers() {
                    let port = u16::try_from(b.port()).unwrap_or(0);
                    layout.brokers.insert(b.id(), (b.host().to_string(), port));
                }
                for t in md.topics() {
                    let error = t.error().map(|e| match e {
                        rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART => {
                            format!("topic '{}' does not exist", t.name())
                        }
                        other => format!("{other:?}"),
                    });
                    for p in t.partitions() {
                        let leader = match (&error, p.leader()) {
                            (Some(e), _) => Err(e.clone()),
                            (None, l) if l < 0 => Err("the partition has no leader".to_string()),
                            (None, l) => Ok(l),
                        };
                        layout
                            .leaders
                            .insert((t.name().to_string(), p.id()), leader);
                    }
                    if t.partitions().is_empty() {
                        if let Some(e) = error {
                            layout.topic_errors.insert(t.name().to_string(), e);
                        }
                    }
                }
            }
            Ok(layout)
        })
        .await
    }

    async fn list_offsets_librdkafka(
        &self,
        partitions: Vec<(String, i32)>,
        spec: OffsetSpec,
    ) -> Result<Vec<PartitionEntry>, KafkaCallError> {
        let this = self.clone();
        run_blocking("ListOffsets", move || {
            // librdkafka's ListOffsets handling grows faster than linearly with the number of
            // partitions in one call; calls of a few thousand keep it near linear.
            let mut out = Vec::with_capacity(partitions.len());
            for chunk in partitions.chunks(LIST_OFFSETS_CHUNK) {
                out.extend(ffi::list_offsets(this.raw(), chunk, spec, this.timeout)?);
            }
            Ok(out)
        })
        .await
    }

    /// All consumer groups, plus per-broker errors. ListGroups goes to every broker; a group
    /// listed by two of them (its coordinator moving) is kept once, so its offsets are not
    /// fetched twice.
    pub async fn list_groups(&self) -> Result<(Vec<GroupListing>, Vec<String>), KafkaCallError> {
        let this = self.clone();
        let (mut groups, errors) = run_blocking("ListConsumerGroups", move || {
            Ok(ffi::list_groups(this.raw(), this.timeout)?)
        })
        .await?;
        dedup_groups(&mut groups);
        Ok((groups, errors))
    }

    /// Describe groups in chunks of `chunk`.
    pub async fn describe_groups(
        &self,
        ids: Vec<String>,
        chunk: usize,
    ) -> Result<Vec<GroupDescription>, KafkaCallError> {
        let this = self.clone();
        run_blocking("DescribeConsumerGroups", move || {
            let mut out = Vec::with_capacity(ids.len());
            // The first chunk probes the broker; the rest goes in larger calls (librdkafka
            // sends one request per group either way, all of a call at once).
            let first = chunk.max(1).min(ids.len());
            let (head, rest) = ids.split_at(first);
            let chunks = std::iter::once(head).chain(rest.chunks(chunk.max(1) * 10));
            for (i, c) in chunks.enumerate() {
                if c.is_empty() {
                    continue;
                }
                let descs = ffi::describe_groups(this.raw(), c, this.timeout)?;
                // A broker that fails every group of the first chunk will fail the others:
                // stop instead of sending it more requests it drops.
                if i == 0
                    && ids.len() > c.len()
                    && !descs.is_empty()
                    && descs.iter().all(|d| d.error.is_some())
                {
                    return Err(KafkaCallError {
                        api: "DescribeConsumerGroups",
                        message: format!(
                            "the broker answered no DescribeGroups request ({} groups tried; {})",
                            descs.len(),
                            descs[0].error.clone().unwrap_or_default()
                        ),
                        unsupported: false,
                    });
                }
                out.extend(descs);
            }
            Ok(out)
        })
        .await
    }

    /// Committed offsets of many groups, one request per group, many in flight.
    pub async fn group_offsets(
        &self,
        ids: Vec<String>,
    ) -> Result<Vec<(String, Result<GroupOffsets, KafkaCallError>)>, KafkaCallError> {
        let this = self.clone();
        run_blocking("ListConsumerGroupOffsets", move || {
            Ok(
                ffi::group_offsets(this.raw(), &ids, GROUP_OFFSETS_IN_FLIGHT, this.timeout)
                    .into_iter()
                    .map(|(g, r)| (g, r.map_err(KafkaCallError::from)))
                    .collect(),
            )
        })
        .await
    }

    /// Configs of many topics in one DescribeConfigs call. Sensitive values are removed.
    pub async fn topic_configs(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<String, Result<Vec<TopicConfigEntry>, String>>, KafkaCallError> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let this = self.clone();
        let topics = topics.to_vec();
        let results = run_blocking("DescribeConfigs", move || {
            Ok(ffi::describe_topic_configs(
                this.raw(),
                &topics,
                this.timeout,
            )?)
        })
        .await?;
        Ok(results
            .into_iter()
            .map(|(topic, r)| {
                let entries = r.map(|entries| {
                    entries
                        .into_iter()
                        .map(|e| {
                            let secret = e.is_sensitive || crate::config::is_secret_key(&e.name);
                            TopicConfigEntry {
                                value: if secret { None } else { e.value },
                                is_sensitive: secret,
                                source: config_source_name(e.source),
                                is_default: e.is_default,
                                read_only: e.read_only,
                                name: e.name,
                            }
                        })
                        .collect()
                });
                (topic, entries)
            })
            .collect())
    }
}

/// Config source codes, Kafka's (DescribeConfigs) and librdkafka's
/// (`rd_kafka_ConfigSource_t`) alike.
pub(crate) fn config_source_name(s: i32) -> &'static str {
    match s {
        1 => "dynamic_topic",
        2 => "dynamic_broker",
        3 => "dynamic_default_broker",
        4 => "static_broker",
        5 => "default",
        6 => "dynamic_broker_logger",
        7 => "client_metrics",
        8 => "group",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_listed_by_two_brokers_is_kept_once() {
        let g = |id: &str, state: &str| GroupListing {
            group_id: id.into(),
            is_simple: false,
            state: state.into(),
            group_type: None,
        };
        let mut list = vec![g("a", "Stable"), g("b", "Empty"), g("a", "Unknown")];
        dedup_groups(&mut list);
        let ids: Vec<(&str, &str)> = list
            .iter()
            .map(|l| (l.group_id.as_str(), l.state.as_str()))
            .collect();
        assert_eq!(ids, vec![("a", "Stable"), ("b", "Empty")]);
    }
}
