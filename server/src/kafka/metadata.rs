//! Metadata over Kafscope's own connections, asked of every known broker at once: the
//! fallback when librdkafka's Metadata request fails. librdkafka sends it to one broker it
//! picks (its least idle), so one hung broker can take the whole request timeout, and the
//! cluster would look unreachable while every other broker answers.

use kafka_protocol::messages::{ApiKey, MetadataRequest, MetadataResponse};

use super::ffi::Node;
use super::wire::{error_text, Dialer, Session};
use super::{ClusterMetadata, PartitionMetadata, TopicMetadata};

const VERSIONS: (i16, i16) = (1, 12);

/// The first answer from any of `brokers`; the error names each failure when none answers.
pub async fn read(brokers: &[(String, u16)], dialer: &Dialer) -> Result<ClusterMetadata, String> {
    if brokers.is_empty() {
        return Err("no broker to ask".into());
    }
    let asks = brokers
        .iter()
        .map(|(host, port)| Box::pin(ask(host, *port, dialer)))
        .collect();
    super::wire::first_ok(asks).await.map_err(|e| e.join("; "))
}

async fn ask(host: &str, port: u16, dialer: &Dialer) -> Result<ClusterMetadata, String> {
    let mut session = Session::open(dialer, host, port).await?;
    let version = session.version(ApiKey::Metadata, VERSIONS)?;
    // All topics: `None` from v1 on.
    let req = MetadataRequest::default().with_topics(None);
    let resp: MetadataResponse = session.call(ApiKey::Metadata, version, &req).await?;
    Ok(to_metadata(&resp))
}

/// The layout as the librdkafka path gives it.
pub fn to_metadata(resp: &MetadataResponse) -> ClusterMetadata {
    ClusterMetadata {
        brokers: resp
            .brokers
            .iter()
            .map(|b| Node {
                id: b.node_id.0,
                host: b.host.to_string(),
                port: u16::try_from(b.port).unwrap_or(0),
                rack: b.rack.as_ref().map(|r| r.to_string()),
            })
            .collect(),
        controller_id: (resp.controller_id.0 >= 0).then_some(resp.controller_id.0),
        topics: resp
            .topics
            .iter()
            .filter_map(|t| {
                Some(TopicMetadata {
                    name: t.name.as_ref()?.0.to_string(),
                    error: (t.error_code != 0).then(|| error_text(t.error_code)),
                    partitions: t
                        .partitions
                        .iter()
                        .map(|p| PartitionMetadata {
                            id: p.partition_index,
                            leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                            replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                            isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                        })
                        .collect(),
                })
            })
            .collect(),
    }
}
