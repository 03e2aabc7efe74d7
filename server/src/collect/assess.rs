//! After each poll: attach broker metrics and log dirs to the snapshot, fill topic sizes,
//! and assess the cluster's health.

use std::collections::BTreeMap;

use kafscope_api::{ClusterStatus, HealthVerdict};

use super::ClusterSnapshot;
use crate::health::{self, Input, TopicInput};
use crate::metrics::scrape::Scraped;

/// What this cycle read besides Kafka's metadata and offsets.
#[derive(Debug, Default)]
pub struct Extras {
    /// `None` when no metrics endpoint is configured.
    pub scraped: Option<Scraped>,
    /// `None` when log dirs were not read this cycle (keep the last ones).
    pub log_dirs: Option<Result<LogDirsRead, String>>,
}

/// What DescribeLogDirs told about every broker.
#[derive(Debug, Default, Clone)]
pub struct LogDirsRead {
    pub dirs: BTreeMap<i32, Vec<kafscope_api::LogDir>>,
    /// Bytes per topic over all replicas.
    pub topic_sizes: BTreeMap<String, u64>,
}

pub fn attach(snap: &mut ClusterSnapshot, extras: Extras, now_ms: i64) {
    if let Some(s) = extras.scraped {
        snap.broker_metrics = s.brokers;
        snap.metrics_endpoints = s.endpoints;
        snap.log_sizes = s.log_sizes;
        snap.metrics_read_at = s.read_at;
    }
    match extras.log_dirs {
        Some(Ok(read)) => {
            snap.log_dirs = read.dirs;
            snap.topic_dir_sizes = read.topic_sizes;
            snap.log_dirs_error = None;
        }
        Some(Err(e)) => {
            snap.log_dirs = BTreeMap::new();
            snap.topic_dir_sizes = BTreeMap::new();
            snap.log_dirs_error = Some(e);
        }
        None => {}
    }
    fill_topic_sizes(snap);
    let assessment = {
        let topics: Vec<TopicInput> = snap
            .topics
            .values()
            .map(|t| TopicInput {
                name: &t.summary.name,
                partitions: &t.partitions,
                min_insync_replicas: t.configs.as_ref().and_then(|c| {
                    c.iter()
                        .find(|e| e.name == "min.insync.replicas")
                        .and_then(|e| e.value.as_deref()?.parse().ok())
                }),
            })
            .collect();
        health::assess(&Input {
            cluster: &snap.name,
            now_ms,
            reachable: snap.status != ClusterStatus::Unreachable,
            unreachable_error: snap.failure_text(),
            diagnosis: snap.diagnosis.as_ref(),
            data_at_ms: snap.data_at_ms,
            brokers: &snap.brokers,
            controller_id: snap.controller_id,
            controller_source: snap.controller_source.as_deref(),
            quorum: snap.quorum.as_ref(),
            quorum_error: snap.quorum_error.as_deref(),
            kraft: snap.kraft == Some(true),
            topics,
            metrics: &snap.broker_metrics,
            endpoints: &snap.metrics_endpoints,
            log_dirs: &snap.log_dirs,
            since: &snap.health_since,
        })
    };
    snap.health = assessment.health;
    snap.health_since = assessment.since;
    if snap.status == ClusterStatus::Ok
        && matches!(
            snap.health.verdict,
            HealthVerdict::Critical | HealthVerdict::Warning
        )
    {
        snap.status = ClusterStatus::Degraded;
    }
}

/// Topic bytes on disk over all replicas: from DescribeLogDirs when read, else from metrics.
fn fill_topic_sizes(snap: &mut ClusterSnapshot) {
    let mut from_metrics: BTreeMap<String, f64> = BTreeMap::new();
    for sizes in snap.log_sizes.values() {
        for ((topic, _), bytes) in sizes {
            *from_metrics.entry(topic.clone()).or_default() += bytes;
        }
    }
    for (name, t) in snap.topics.iter_mut() {
        let (size, source) = match snap.topic_dir_sizes.get(name) {
            Some(b) => (Some(*b), Some("describe_log_dirs")),
            None => match from_metrics.get(name) {
                Some(b) => (Some(*b as u64), Some("metrics")),
                None => (None, None),
            },
        };
        t.summary.size_bytes = size;
        t.summary.size_source = source.map(str::to_string);
    }
}
