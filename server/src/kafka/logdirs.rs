//! Disk usage per broker with DescribeLogDirs (API 35), which librdkafka does not offer:
//! ApiVersions first (a broker that does not offer it is said to, never asked), then one
//! request for every topic's log dirs, to every live broker at once.

use std::collections::BTreeMap;

use kafka_protocol::messages::{ApiKey, DescribeLogDirsRequest, DescribeLogDirsResponse};
use kafscope_api::LogDir;

use super::wire::{Dialer, Session};
use crate::collect::assess::LogDirsRead;

/// Read every broker's log dirs. A broker that fails is reported in the error only when all
/// fail; otherwise its dirs are missing and the others are kept.
pub async fn read(brokers: &[(i32, String, u16)], dialer: &Dialer) -> Result<LogDirsRead, String> {
    let reads = brokers
        .iter()
        .map(|(id, host, port)| async move { (*id, describe_one(host, *port, dialer).await) });
    let results = futures::future::join_all(reads).await;
    let mut out = LogDirsRead::default();
    let mut errors = Vec::new();
    for (id, r) in results {
        match r {
            Ok((dirs, topics)) => {
                out.dirs.insert(id, dirs);
                for (t, b) in topics {
                    *out.topic_sizes.entry(t).or_default() += b;
                }
            }
            Err(e) => errors.push(format!("broker {id}: {e}")),
        }
    }
    if out.dirs.is_empty() && !errors.is_empty() {
        return Err(errors.join("; "));
    }
    Ok(out)
}

type TopicBytes = BTreeMap<String, u64>;

async fn describe_one(
    host: &str,
    port: u16,
    dialer: &Dialer,
) -> Result<(Vec<LogDir>, TopicBytes), String> {
    let mut session = Session::open(dialer, host, port).await?;
    let version = session.version(ApiKey::DescribeLogDirs, (1, 4))?;
    let req = DescribeLogDirsRequest::default().with_topics(None);
    let resp: DescribeLogDirsResponse =
        session.call(ApiKey::DescribeLogDirs, version, &req).await?;
    if resp.error_code != 0 {
        return Err(format!(
            "DescribeLogDirs failed with error {}",
            resp.error_code
        ));
    }
    Ok(to_dirs(&resp))
}

/// Log dirs and bytes per topic from one broker's answer.
pub fn to_dirs(resp: &DescribeLogDirsResponse) -> (Vec<LogDir>, TopicBytes) {
    let mut topics = TopicBytes::new();
    let dirs = resp
        .results
        .iter()
        .map(|r| {
            let mut size = 0u64;
            for t in &r.topics {
                let bytes: u64 = t
                    .partitions
                    .iter()
                    .filter(|p| !p.is_future_key)
                    .map(|p| p.partition_size.max(0) as u64)
                    .fold(0u64, u64::saturating_add);
                size = size.saturating_add(bytes);
                let topic = topics.entry(t.name.0.to_string()).or_default();
                *topic = topic.saturating_add(bytes);
            }
            LogDir {
                path: r.log_dir.to_string(),
                error: (r.error_code != 0).then(|| log_dir_error(r.error_code)),
                size_bytes: size,
                total_bytes: (r.total_bytes >= 0).then_some(r.total_bytes as u64),
                usable_bytes: (r.usable_bytes >= 0).then_some(r.usable_bytes as u64),
            }
        })
        .collect();
    (dirs, topics)
}

fn log_dir_error(code: i16) -> String {
    match code {
        57 => "KAFKA_STORAGE_ERROR: the log dir is offline".to_string(),
        other => format!("error code {other}"),
    }
}
