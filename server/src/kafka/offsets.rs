//! ListOffsets (API 2) over Kafscope's own connections, one kept connection per leader: the
//! collector's log-start, end and last-stable offsets, each kind a request of its own,
//! pipelined on that connection.
//!
//! Not librdkafka's `rd_kafka_ListOffsets`: its leader lookup runs first on the calling
//! thread and registers for metadata-cache changes before it is done, so a cache update on
//! librdkafka's main thread (a broker dying: exactly when the console is needed) can finish
//! and free the lookup while the caller still uses it. That crashed the console with SIGSEGV
//! (librdkafka 2.12.1, `rd_kafka_topic_partition_list_query_leaders_async_worker`, seen in
//! CI about once in thirty polls of a killed broker). Clusters the console's own connections
//! cannot reach keep librdkafka's path.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    ApiKey, BrokerId, ListOffsetsRequest, ListOffsetsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::ffi::{OffsetSpec, PartitionEntry};
use super::wire::{error_text, is_timeout, Dialer, Session};

/// The versions spoken here: v1 is the first with one offset per partition (Kafka 4 has no
/// v0); v2 adds the isolation level the last stable offset needs. v10 only adds a timeout
/// for tiered storage lookups.
const LIST_OFFSETS: (i16, i16) = (1, 9);

/// Kept connections to leaders, shared by the collector's calls (one at a time per leader).
#[derive(Clone)]
pub struct OffsetReader {
    dialer: Dialer,
    peers: Arc<Mutex<HashMap<i32, Arc<tokio::sync::Mutex<Peer>>>>>,
}

struct Peer {
    host: String,
    port: u16,
    session: Option<Session>,
}

impl OffsetReader {
    pub fn new(dialer: Dialer) -> OffsetReader {
        OffsetReader {
            dialer,
            peers: Default::default(),
        }
    }

    /// Forget the connections of brokers that are no longer in the metadata.
    pub fn retain(&self, brokers: &[i32]) {
        if let Ok(mut peers) = self.peers.lock() {
            peers.retain(|id, _| brokers.contains(id));
        }
    }

    /// The offsets of `parts`, all led by broker `leader` at `host:port`, for each of
    /// `specs` (answers in the same order); a partition the broker answers with an error has
    /// that error. `Err` when the call failed as a whole. Bounded by the dialer's connect and
    /// request timeouts.
    pub async fn list(
        &self,
        (leader, host, port): (i32, &str, u16),
        parts: &[(String, i32)],
        specs: &[OffsetSpec],
    ) -> Result<Vec<Vec<PartitionEntry>>, String> {
        if parts.is_empty() {
            return Ok(vec![Vec::new(); specs.len()]);
        }
        let slot = {
            let mut peers = self
                .peers
                .lock()
                .map_err(|_| "connection table poisoned".to_string())?;
            peers
                .entry(leader)
                .or_insert_with(|| {
                    Arc::new(tokio::sync::Mutex::new(Peer {
                        host: host.to_string(),
                        port,
                        session: None,
                    }))
                })
                .clone()
        };
        // One exchange at a time per leader; a caller waits for the one ahead of it at most
        // one request timeout (a page must not queue behind a hung leader's full call).
        let mut peer = tokio::time::timeout(self.dialer.timeout, slot.lock())
            .await
            .map_err(|_| {
                format!(
                    "another call to this broker did not finish within {} ms",
                    self.dialer.timeout.as_millis()
                )
            })?;
        if peer.host != host || peer.port != port {
            *peer = Peer {
                host: host.to_string(),
                port,
                session: None,
            };
        }
        let kept = peer.session.take();
        let reused = kept.is_some();
        let mut session = match kept {
            Some(s) => s,
            None => Session::open(&self.dialer, host, port)
                .await
                .map_err(|e| e.message)?,
        };
        let error = match ask(&mut session, parts, specs).await {
            Ok(out) => {
                peer.session = Some(session);
                return Ok(out);
            }
            Err(e) => e,
        };
        // A kept connection the broker closed (idle for connections.max.idle.ms, or a
        // restart) is not the broker failing: once more on a new one. A call that timed out
        // is a hung broker: not asked again. A failed connection is dropped either way.
        if !reused || is_timeout(&error) {
            return Err(error);
        }
        let mut session = Session::open(&self.dialer, host, port)
            .await
            .map_err(|e| format!("{error}; reconnecting: {}", e.message))?;
        let out = ask(&mut session, parts, specs).await?;
        peer.session = Some(session);
        Ok(out)
    }
}

/// Partitions by the leader that answers for them: (id, host, port).
pub type ByLeader = BTreeMap<(i32, String, u16), Vec<(String, i32)>>;

/// Where partitions live, from a Metadata answer: each partition's leader (or why it has
/// none), the brokers' addresses, and the error of a topic the answer has no partitions for.
#[derive(Debug, Default)]
pub struct Layout {
    pub leaders: HashMap<(String, i32), Result<i32, String>>,
    pub brokers: HashMap<i32, (String, u16)>,
    pub topic_errors: HashMap<String, String>,
}

impl Layout {
    /// `parts` grouped by leader with its address; the others with why they cannot be read.
    pub fn split(&self, parts: &[(String, i32)]) -> (ByLeader, Vec<PartitionEntry>) {
        let mut by_leader = ByLeader::new();
        let mut failed = Vec::new();
        for (topic, partition) in parts {
            let leader = match self.leaders.get(&(topic.clone(), *partition)) {
                Some(l) => l.clone(),
                None => Err(self
                    .topic_errors
                    .get(topic)
                    .cloned()
                    .unwrap_or_else(|| "not in the cluster's metadata".to_string())),
            };
            let at = leader.and_then(|id| match self.brokers.get(&id) {
                Some((host, port)) => Ok((id, host.clone(), *port)),
                None => Err(format!("its leader {id} is not in the cluster's metadata")),
            });
            match at {
                Ok(key) => by_leader
                    .entry(key)
                    .or_default()
                    .push((topic.clone(), *partition)),
                Err(error) => {
                    failed.extend(failed_entries(&[(topic.clone(), *partition)], None, &error))
                }
            }
        }
        (by_leader, failed)
    }
}

impl OffsetReader {
    /// The offsets of `parts` for each of `specs` (answers in that order), asked of each
    /// leader `layout` names at once; every partition comes back in every kind, with its
    /// offset or why it could not be read.
    pub async fn list_by_layout(
        &self,
        layout: &Layout,
        parts: &[(String, i32)],
        specs: &[OffsetSpec],
    ) -> Vec<Vec<PartitionEntry>> {
        let (by_leader, failed) = layout.split(parts);
        let calls = by_leader
            .iter()
            .map(|((id, host, port), parts)| async move {
                self.list((*id, host, *port), parts, specs)
                    .await
                    .unwrap_or_else(|e| vec![failed_entries(parts, Some(id), &e); specs.len()])
            });
        let mut out = vec![failed; specs.len()];
        for per_kind in futures::future::join_all(calls).await {
            for (slot, entries) in out.iter_mut().zip(per_kind) {
                slot.extend(entries);
            }
        }
        out
    }
}

/// Whether a partition's answer says its leader moved (the metadata asked was stale):
/// worth asking the new leader once.
pub fn leader_moved(e: &PartitionEntry) -> bool {
    // NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
    // UNKNOWN_LEADER_EPOCH.
    const MOVED: [i16; 4] = [6, 5, 74, 76];
    e.error
        .as_deref()
        .is_some_and(|err| MOVED.iter().any(|c| error_text(*c) == err))
}

/// Every partition of a failed ListOffsets call, with the error (and the leader asked).
pub fn failed_entries(
    parts: &[(String, i32)],
    leader: Option<&i32>,
    error: &str,
) -> Vec<PartitionEntry> {
    let who = leader.map(|l| format!("leader {l}: ")).unwrap_or_default();
    parts
        .iter()
        .map(|(topic, partition)| PartitionEntry {
            topic: topic.clone(),
            partition: *partition,
            offset: -1,
            error: Some(format!("{who}{error}")),
        })
        .collect()
}

/// One request per kind, pipelined; the answers matched to `parts`.
async fn ask(
    session: &mut Session,
    parts: &[(String, i32)],
    specs: &[OffsetSpec],
) -> Result<Vec<Vec<PartitionEntry>>, String> {
    let v = session.version(ApiKey::ListOffsets, LIST_OFFSETS)?;
    if v < 2 && specs.contains(&OffsetSpec::LastStable) {
        return Err("the broker's ListOffsets has no isolation level (v2+)".into());
    }
    let reqs: Vec<ListOffsetsRequest> = specs.iter().map(|s| request(parts, *s)).collect();
    let resps: Vec<ListOffsetsResponse> = session.call_many(ApiKey::ListOffsets, v, &reqs).await?;
    Ok(resps.iter().map(|r| entries(parts, r)).collect())
}

/// A ListOffsets request for `parts`, by topic, as a consumer (replica -1) asks.
pub fn request(parts: &[(String, i32)], spec: OffsetSpec) -> ListOffsetsRequest {
    let (timestamp, isolation) = match spec {
        OffsetSpec::Earliest => (-2, 0),
        OffsetSpec::Latest => (-1, 0),
        OffsetSpec::LastStable => (-1, 1),
        OffsetSpec::Timestamp(ms) => (ms.max(0), 0),
    };
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in parts {
        let ps = by_topic.entry(t).or_default();
        if !ps.contains(p) {
            ps.push(*p);
        }
    }
    ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_isolation_level(isolation)
        .with_topics(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    ListOffsetsTopic::default()
                        .with_name(TopicName(StrBytes::from_string(t.to_string())))
                        .with_partitions(
                            ps.into_iter()
                                .map(|p| {
                                    ListOffsetsPartition::default()
                                        .with_partition_index(p)
                                        .with_current_leader_epoch(-1)
                                        .with_timestamp(timestamp)
                                })
                                .collect(),
                        )
                })
                .collect(),
        )
}

/// Every asked partition with its offset or error; one the answer leaves out says so.
pub fn entries(parts: &[(String, i32)], resp: &ListOffsetsResponse) -> Vec<PartitionEntry> {
    let mut answered: HashMap<(&str, i32), (i16, i64)> = HashMap::new();
    for t in &resp.topics {
        for p in &t.partitions {
            answered.insert(
                (t.name.0.as_str(), p.partition_index),
                (p.error_code, p.offset),
            );
        }
    }
    parts
        .iter()
        .map(|(t, p)| {
            let (offset, error) = match answered.get(&(t.as_str(), *p)) {
                Some((0, offset)) => (*offset, None),
                Some((code, _)) => (-1, Some(error_text(*code))),
                None => (-1, Some("not in the broker's answer".to_string())),
            };
            PartitionEntry {
                topic: t.clone(),
                partition: *p,
                offset,
                error,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::list_offsets_response::{
        ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
    };

    fn parts() -> Vec<(String, i32)> {
        vec![
            ("orders".into(), 0),
            ("audit".into(), 2),
            ("orders".into(), 1),
            ("orders".into(), 0),
        ]
    }

    #[test]
    fn a_layout_groups_partitions_by_leader_and_says_why_others_cannot_be_read() {
        let mut layout = Layout::default();
        layout.brokers.insert(1, ("b1".into(), 9092));
        layout.brokers.insert(2, ("b2".into(), 9093));
        layout.leaders.insert(("orders".into(), 0), Ok(1));
        layout.leaders.insert(("orders".into(), 1), Ok(2));
        layout.leaders.insert(("orders".into(), 2), Ok(1));
        layout.leaders.insert(
            ("orders".into(), 3),
            Err("the partition has no leader".into()),
        );
        layout.leaders.insert(("orders".into(), 4), Ok(7));
        layout
            .topic_errors
            .insert("gone".into(), "UnknownTopicOrPartition".into());
        let asked: Vec<(String, i32)> = vec![
            ("orders".into(), 0),
            ("orders".into(), 1),
            ("orders".into(), 2),
            ("orders".into(), 3),
            ("orders".into(), 4),
            ("orders".into(), 9),
            ("gone".into(), 0),
        ];
        let (by_leader, failed) = layout.split(&asked);
        let grouped: Vec<(i32, Vec<i32>)> = by_leader
            .iter()
            .map(|((id, _, _), ps)| (*id, ps.iter().map(|(_, p)| *p).collect()))
            .collect();
        assert_eq!(grouped, vec![(1, vec![0, 2]), (2, vec![1])]);
        assert_eq!(by_leader.keys().next().unwrap().1, "b1");
        let why: Vec<(String, i32, String)> = failed
            .into_iter()
            .map(|e| (e.topic, e.partition, e.error.unwrap()))
            .collect();
        assert_eq!(
            why,
            vec![
                ("orders".into(), 3, "the partition has no leader".into()),
                (
                    "orders".into(),
                    4,
                    "its leader 7 is not in the cluster's metadata".into()
                ),
                ("orders".into(), 9, "not in the cluster's metadata".into()),
                ("gone".into(), 0, "UnknownTopicOrPartition".into()),
            ]
        );
    }

    #[test]
    fn a_moved_leader_is_told_from_other_partition_errors() {
        let with = |error: Option<String>| PartitionEntry {
            topic: "t".into(),
            partition: 0,
            offset: -1,
            error,
        };
        assert!(leader_moved(&with(Some(error_text(6)))));
        assert!(leader_moved(&with(Some(error_text(74)))));
        assert!(!leader_moved(&with(Some(error_text(3)))));
        assert!(!leader_moved(&with(Some(
            "leader 3: connection refused".into()
        ))));
        assert!(!leader_moved(&with(None)));
    }

    #[test]
    fn requests_group_partitions_by_topic_once_each_with_the_kind() {
        let r = request(&parts(), OffsetSpec::Earliest);
        assert_eq!(r.replica_id, BrokerId(-1));
        assert_eq!(r.isolation_level, 0);
        let asked: Vec<(String, Vec<(i32, i64)>)> = r
            .topics
            .iter()
            .map(|t| {
                let ps = t
                    .partitions
                    .iter()
                    .map(|p| (p.partition_index, p.timestamp))
                    .collect();
                (t.name.0.to_string(), ps)
            })
            .collect();
        assert_eq!(
            asked,
            vec![
                ("audit".to_string(), vec![(2, -2)]),
                ("orders".to_string(), vec![(0, -2), (1, -2)]),
            ]
        );
        let stable = request(&parts(), OffsetSpec::LastStable);
        assert_eq!(stable.isolation_level, 1);
        assert_eq!(stable.topics[0].partitions[0].timestamp, -1);
        let at = request(&parts(), OffsetSpec::Timestamp(1_700_000_000_000));
        assert_eq!(at.topics[0].partitions[0].timestamp, 1_700_000_000_000);
        assert_eq!(
            request(&parts(), OffsetSpec::Latest).topics[1].partitions[1].timestamp,
            -1
        );
    }

    #[test]
    fn answers_are_matched_to_the_asked_partitions_with_their_errors() {
        let part = |i, code, offset| {
            ListOffsetsPartitionResponse::default()
                .with_partition_index(i)
                .with_error_code(code)
                .with_offset(offset)
        };
        let resp = ListOffsetsResponse::default().with_topics(vec![
            ListOffsetsTopicResponse::default()
                .with_name(TopicName(StrBytes::from_static_str("orders")))
                .with_partitions(vec![part(0, 0, 120), part(1, 6, -1)]),
            ListOffsetsTopicResponse::default()
                .with_name(TopicName(StrBytes::from_static_str("other")))
                .with_partitions(vec![part(2, 0, 7)]),
        ]);
        let got = entries(&parts()[..3], &resp);
        assert_eq!(got[0].offset, 120);
        assert_eq!(got[0].error, None);
        assert_eq!(got[1].error.as_deref(), Some("not in the broker's answer"));
        assert_eq!((got[2].partition, got[2].offset), (1, -1));
        assert!(
            got[2].error.as_deref().unwrap().ends_with("(error 6)"),
            "{:?}",
            got[2]
        );
    }
}
