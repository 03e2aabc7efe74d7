//! Consumer groups read over Kafka's own protocol, batched the way librdkafka's admin API
//! cannot: coordinators looked up once (FindCoordinator v4 takes every group in one request)
//! and remembered until a broker says otherwise; committed offsets of many groups in one
//! OffsetFetch (v8+; older brokers get one request per group, pipelined); DescribeGroups with
//! a chunk of groups per request. Each broker keeps one connection between polls, so
//! ApiVersions is asked once per connection, not per poll.
//!
//! Plaintext listeners only (as DescribeLogDirs); other clusters use librdkafka's calls.
//! The decoding of answers is pure and unit-tested; the I/O is exercised against the scripted
//! brokers and tansu.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::offset_fetch_response::OffsetFetchResponseGroup;
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, OffsetFetchRequest, OffsetFetchResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::ffi::MemberDescription;
use super::wire::{error_text, RequestCounts, Session};
use super::{GroupDescription, GroupOffsets, KafkaCallError};

/// Groups per OffsetFetch request where the broker takes many (v8+).
const OFFSET_FETCH_GROUPS: usize = 100;
/// Groups per FindCoordinator v4 request.
const FIND_COORDINATOR_KEYS: usize = 1000;

/// The versions spoken here, per API.
const FIND_COORDINATOR: (i16, i16) = (0, 4);
const OFFSET_FETCH: (i16, i16) = (2, 8);
const DESCRIBE_GROUPS: (i16, i16) = (0, 5);

/// A group-level error code that means "ask the coordinator again": load in progress,
/// coordinator not available, not coordinator.
fn coordinator_moved(code: i16) -> bool {
    matches!(code, 14..=16)
}

struct Peer {
    host: String,
    port: u16,
    session: Option<Session>,
}

/// What one coordinator answered for one group.
type Answers<T> = Vec<(String, Result<T, GroupError>)>;

#[derive(Debug, Clone)]
struct GroupError {
    /// Ask again after finding the coordinator anew.
    retry: bool,
    message: String,
}

impl GroupError {
    fn code(code: i16) -> GroupError {
        GroupError {
            retry: coordinator_moved(code),
            message: error_text(code),
        }
    }
    fn other(message: String) -> GroupError {
        GroupError {
            retry: false,
            message,
        }
    }
}

#[derive(Clone, Copy)]
enum Op {
    Offsets,
    Describe { chunk: usize },
}

enum Answer {
    Offsets(GroupOffsets),
    Described(GroupDescription),
}

/// The per-cluster reader: connections to brokers and the coordinators of groups, kept
/// between polls.
pub struct GroupReader {
    peers: BTreeMap<i32, Peer>,
    coordinators: HashMap<String, i32>,
    timeout: Duration,
    counts: RequestCounts,
}

impl GroupReader {
    pub fn new(timeout: Duration, counts: RequestCounts) -> GroupReader {
        GroupReader {
            peers: BTreeMap::new(),
            coordinators: HashMap::new(),
            timeout,
            counts,
        }
    }

    /// The brokers of the latest metadata: a broker that left is forgotten with its
    /// connection and the groups it coordinated; a moved address reconnects.
    pub fn set_brokers(&mut self, brokers: &[(i32, String, u16)]) {
        self.peers
            .retain(|id, _| brokers.iter().any(|(b, _, _)| b == id));
        for (id, host, port) in brokers {
            let same = self
                .peers
                .get(id)
                .is_some_and(|p| p.host == *host && p.port == *port);
            if !same {
                self.peers.insert(
                    *id,
                    Peer {
                        host: host.clone(),
                        port: *port,
                        session: None,
                    },
                );
            }
        }
        let peers = &self.peers;
        self.coordinators.retain(|_, b| peers.contains_key(b));
    }

    /// Committed offsets of every group, one entry per group.
    pub async fn offsets(
        &mut self,
        groups: &[String],
    ) -> Vec<(String, Result<GroupOffsets, String>)> {
        self.run(groups, Op::Offsets)
            .await
            .into_iter()
            .map(|(g, r)| {
                let r = r.and_then(|a| match a {
                    Answer::Offsets(o) => Ok(o),
                    Answer::Described(_) => Err("unexpected answer".to_string()),
                });
                (g, r)
            })
            .collect()
    }

    /// Descriptions of every group (a group the broker would not describe carries its
    /// error). Fails as a whole only when no coordinator described any group.
    pub async fn describe(
        &mut self,
        groups: &[String],
        chunk: usize,
    ) -> Result<Vec<GroupDescription>, KafkaCallError> {
        let answers = self.run(groups, Op::Describe { chunk }).await;
        let mut out = Vec::with_capacity(answers.len());
        let mut first_error = None;
        for (group_id, r) in answers {
            match r {
                Ok(Answer::Described(d)) => out.push(d),
                Ok(Answer::Offsets(_)) => {}
                Err(error) => {
                    first_error.get_or_insert_with(|| error.clone());
                    out.push(GroupDescription {
                        group_id,
                        state: String::new(),
                        assignor: String::new(),
                        members: Vec::new(),
                        error: Some(error),
                    });
                }
            }
        }
        match first_error {
            Some(e) if out.iter().all(|d| d.error.is_some()) => Err(KafkaCallError {
                api: "DescribeGroups",
                unsupported: e.contains("does not support") || e.contains("Kafscope speaks"),
                message: e,
            }),
            _ => Ok(out),
        }
    }

    /// Ask each group's coordinator; groups whose coordinator moved are looked up and asked
    /// once more.
    async fn run(&mut self, groups: &[String], op: Op) -> Vec<(String, Result<Answer, String>)> {
        // Groups gone from the list are forgotten, so the cache stays the size of the list.
        let listed: std::collections::HashSet<&str> = groups.iter().map(String::as_str).collect();
        self.coordinators.retain(|g, _| listed.contains(g.as_str()));
        let mut out = Vec::with_capacity(groups.len());
        let mut todo: Vec<String> = groups.to_vec();
        for attempt in 0..2 {
            let by_coordinator = self.locate(&todo, &mut out).await;
            todo.clear();
            for (group, r) in self.on_coordinators(by_coordinator, op).await {
                match r {
                    Err(e) if e.retry && attempt == 0 => {
                        self.coordinators.remove(&group);
                        todo.push(group);
                    }
                    Err(e) => {
                        if e.retry {
                            self.coordinators.remove(&group);
                        }
                        out.push((group, Err(e.message)));
                    }
                    Ok(a) => out.push((group, Ok(a))),
                }
            }
            if todo.is_empty() {
                break;
            }
        }
        out
    }

    /// Groups by coordinator, looking up the ones not known. A group whose coordinator
    /// cannot be found goes to `failed` with the reason.
    async fn locate(
        &mut self,
        groups: &[String],
        failed: &mut Vec<(String, Result<Answer, String>)>,
    ) -> BTreeMap<i32, Vec<String>> {
        let unknown: Vec<String> = groups
            .iter()
            .filter(|g| !self.coordinators.contains_key(*g))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            match self.find_coordinators(&unknown).await {
                Ok(mut found) => {
                    let answered: std::collections::HashSet<&str> =
                        found.iter().map(|(g, _)| g.as_str()).collect();
                    let left_out: Vec<String> = unknown
                        .iter()
                        .filter(|g| !answered.contains(g.as_str()))
                        .cloned()
                        .collect();
                    found.extend(
                        left_out.into_iter().map(|g| {
                            (g, Err("the broker's answer left the group out".to_string()))
                        }),
                    );
                    for (g, r) in found {
                        match r {
                            Ok(id) if self.peers.contains_key(&id) => {
                                self.coordinators.insert(g, id);
                            }
                            Ok(id) => failed.push((
                                g,
                                Err(format!("coordinator {id} is not in the cluster's metadata")),
                            )),
                            Err(e) => failed.push((g, Err(format!("FindCoordinator: {e}")))),
                        }
                    }
                }
                Err(e) => {
                    failed.extend(
                        unknown
                            .iter()
                            .map(|g| (g.clone(), Err(format!("FindCoordinator: {e}")))),
                    );
                }
            }
        }
        let mut by: BTreeMap<i32, Vec<String>> = BTreeMap::new();
        for g in groups {
            if let Some(id) = self.coordinators.get(g) {
                by.entry(*id).or_default().push(g.clone());
            }
        }
        by
    }

    /// Coordinators of `groups`, asked of the first broker that answers.
    async fn find_coordinators(
        &mut self,
        groups: &[String],
    ) -> Result<Vec<(String, Result<i32, String>)>, String> {
        let mut last = "no broker in the metadata".to_string();
        let ids: Vec<i32> = self.peers.keys().copied().collect();
        for id in ids {
            let timeout = self.timeout;
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            let session = match connected(peer, timeout, &self.counts).await {
                Ok(s) => s,
                Err(e) => {
                    last = format!("broker {id}: {e}");
                    continue;
                }
            };
            match find_at(session, groups).await {
                Ok(found) => return Ok(found),
                Err(e) => {
                    peer.session = None;
                    last = format!("broker {id}: {e}");
                }
            }
        }
        Err(last)
    }

    /// Run `op` on every coordinator at once, each over its own connection.
    async fn on_coordinators(
        &mut self,
        by_coordinator: BTreeMap<i32, Vec<String>>,
        op: Op,
    ) -> Answers<Answer> {
        let timeout = self.timeout;
        let counts = &self.counts;
        let mut work = Vec::new();
        for (id, groups) in by_coordinator {
            if let Some(peer) = self.peers.get_mut(&id) {
                // The connection leaves the peer for the call and comes back after it.
                let session = peer.session.take();
                let reused = session.is_some();
                let (host, port) = (peer.host.clone(), peer.port);
                work.push(async move {
                    let mut session = match session {
                        Some(s) => s,
                        None => match Session::open(&host, port, timeout, counts).await {
                            Ok(s) => s,
                            Err(e) => {
                                let e = GroupError {
                                    retry: true,
                                    message: format!("coordinator {id}: {e}"),
                                };
                                return (id, None, fail_all(groups, &e));
                            }
                        },
                    };
                    match ask(&mut session, &groups, op).await {
                        Ok(answers) => (id, Some(session), answers),
                        // The connection is in an unknown state: dropped. A kept one may simply
                        // have been closed by the broker since the last poll: asked again on a
                        // new connection (after looking the coordinator up) in this poll.
                        Err(e) => {
                            let e = GroupError {
                                retry: reused,
                                message: format!("coordinator {id}: {e}"),
                            };
                            (id, None, fail_all(groups, &e))
                        }
                    }
                });
            }
        }
        let mut out = Vec::new();
        for (id, session, answers) in futures::future::join_all(work).await {
            if let Some(peer) = self.peers.get_mut(&id) {
                peer.session = session;
            }
            out.extend(answers);
        }
        out
    }
}

fn fail_all<T>(groups: Vec<String>, e: &GroupError) -> Answers<T> {
    groups.into_iter().map(|g| (g, Err(e.clone()))).collect()
}

async fn connected<'a>(
    peer: &'a mut Peer,
    timeout: Duration,
    counts: &RequestCounts,
) -> Result<&'a mut Session, String> {
    if peer.session.is_none() {
        peer.session = Some(Session::open(&peer.host, peer.port, timeout, counts).await?);
    }
    peer.session
        .as_mut()
        .ok_or_else(|| "no connection".to_string())
}

async fn find_at(
    session: &mut Session,
    groups: &[String],
) -> Result<Vec<(String, Result<i32, String>)>, String> {
    let v = session.version(ApiKey::FindCoordinator, FIND_COORDINATOR)?;
    let mut out = Vec::with_capacity(groups.len());
    if v >= 4 {
        for chunk in groups.chunks(FIND_COORDINATOR_KEYS) {
            let req = FindCoordinatorRequest::default()
                .with_key_type(0)
                .with_coordinator_keys(chunk.iter().map(|g| StrBytes::from(g.clone())).collect());
            let resp: FindCoordinatorResponse =
                session.conn.call(ApiKey::FindCoordinator, v, &req).await?;
            out.extend(coordinators_v4(&resp));
        }
    } else {
        let reqs: Vec<FindCoordinatorRequest> = groups
            .iter()
            .map(|g| FindCoordinatorRequest::default().with_key(StrBytes::from(g.clone())))
            .collect();
        let resps: Vec<FindCoordinatorResponse> = session
            .conn
            .call_many(ApiKey::FindCoordinator, v, &reqs)
            .await?;
        for (g, r) in groups.iter().zip(resps) {
            let found = if r.error_code == 0 {
                Ok(r.node_id.0)
            } else {
                Err(error_text(r.error_code))
            };
            out.push((g.clone(), found));
        }
    }
    Ok(out)
}

/// The coordinators in a batched (v4+) answer.
fn coordinators_v4(resp: &FindCoordinatorResponse) -> Vec<(String, Result<i32, String>)> {
    resp.coordinators
        .iter()
        .map(|c| {
            let found = if c.error_code == 0 {
                Ok(c.node_id.0)
            } else {
                Err(error_text(c.error_code))
            };
            (c.key.to_string(), found)
        })
        .collect()
}

/// Ask one coordinator about its groups. `Err` means the connection failed.
async fn ask(session: &mut Session, groups: &[String], op: Op) -> Result<Answers<Answer>, String> {
    match op {
        Op::Offsets => {
            let v = session.version(ApiKey::OffsetFetch, OFFSET_FETCH)?;
            let mut out = Vec::with_capacity(groups.len());
            if v >= 8 {
                let reqs: Vec<OffsetFetchRequest> = groups
                    .chunks(OFFSET_FETCH_GROUPS)
                    .map(|chunk| {
                        OffsetFetchRequest::default().with_groups(
                            chunk
                                .iter()
                                .map(|g| {
                                    OffsetFetchRequestGroup::default()
                                        .with_group_id(GroupId(StrBytes::from(g.clone())))
                                        .with_topics(None)
                                })
                                .collect(),
                        )
                    })
                    .collect();
                let resps: Vec<OffsetFetchResponse> = session
                    .conn
                    .call_many(ApiKey::OffsetFetch, v, &reqs)
                    .await?;
                for r in &resps {
                    out.extend(r.groups.iter().map(offsets_v8));
                }
                answered_all(groups, &mut out, "OffsetFetch");
            } else {
                let reqs: Vec<OffsetFetchRequest> = groups
                    .iter()
                    .map(|g| {
                        OffsetFetchRequest::default()
                            .with_group_id(GroupId(StrBytes::from(g.clone())))
                            .with_topics(None)
                    })
                    .collect();
                let resps: Vec<OffsetFetchResponse> = session
                    .conn
                    .call_many(ApiKey::OffsetFetch, v, &reqs)
                    .await?;
                for (g, r) in groups.iter().zip(resps) {
                    out.push((g.clone(), offsets_v2(&r)));
                }
            }
            Ok(out
                .into_iter()
                .map(|(g, r)| (g, r.map(Answer::Offsets)))
                .collect())
        }
        Op::Describe { chunk } => {
            let v = session.version(ApiKey::DescribeGroups, DESCRIBE_GROUPS)?;
            let reqs: Vec<DescribeGroupsRequest> = groups
                .chunks(chunk.max(1))
                .map(|c| {
                    DescribeGroupsRequest::default().with_groups(
                        c.iter()
                            .map(|g| GroupId(StrBytes::from(g.clone())))
                            .collect(),
                    )
                })
                .collect();
            let mut out = Vec::with_capacity(groups.len());
            let resps: Vec<DescribeGroupsResponse> = session
                .conn
                .call_many(ApiKey::DescribeGroups, v, &reqs)
                .await?;
            for r in &resps {
                out.extend(r.groups.iter().map(described));
            }
            answered_all(groups, &mut out, "DescribeGroups");
            Ok(out
                .into_iter()
                .map(|(g, r)| (g, r.map(Answer::Described)))
                .collect())
        }
    }
}

/// A group asked but missing from the answers gets an error saying so.
fn answered_all<T>(asked: &[String], out: &mut Answers<T>, api: &str) {
    let answered: std::collections::HashSet<&str> = out.iter().map(|(g, _)| g.as_str()).collect();
    let missing: Vec<String> = asked
        .iter()
        .filter(|g| !answered.contains(g.as_str()))
        .cloned()
        .collect();
    for g in missing {
        out.push((
            g,
            Err(GroupError::other(format!(
                "{api}: the broker's answer left the group out"
            ))),
        ));
    }
}

/// One group's committed offsets from a v2–v7 answer (one group per request).
fn offsets_v2(r: &OffsetFetchResponse) -> Result<GroupOffsets, GroupError> {
    if r.error_code != 0 {
        return Err(GroupError::code(r.error_code));
    }
    Ok(committed_offsets(r.topics.iter().flat_map(|t| {
        t.partitions.iter().map(move |p| {
            (
                &t.name.0,
                p.partition_index,
                p.committed_offset,
                p.error_code,
            )
        })
    })))
}

/// One group's committed offsets from a v8+ answer.
fn offsets_v8(g: &OffsetFetchResponseGroup) -> (String, Result<GroupOffsets, GroupError>) {
    let id = g.group_id.0.to_string();
    if g.error_code != 0 {
        return (id, Err(GroupError::code(g.error_code)));
    }
    let offsets = committed_offsets(g.topics.iter().flat_map(|t| {
        t.partitions.iter().map(move |p| {
            (
                &t.name.0,
                p.partition_index,
                p.committed_offset,
                p.error_code,
            )
        })
    }));
    (id, Ok(offsets))
}

/// `(topic, partition, committed, error)` as answered → the committed offsets: a failed
/// partition is left out, -1 is "no commit".
fn committed_offsets<'a>(
    parts: impl Iterator<Item = (&'a StrBytes, i32, i64, i16)>,
) -> GroupOffsets {
    parts
        .filter(|(_, _, _, error)| *error == 0)
        .map(|(t, p, o, _)| committed(t, p, o))
        .collect()
}

fn committed(topic: &str, partition: i32, offset: i64) -> (String, i32, Option<i64>) {
    (
        topic.to_string(),
        partition,
        (offset >= 0).then_some(offset),
    )
}

/// A described group in the form librdkafka's admin API gives it.
fn described(g: &DescribedGroup) -> (String, Result<GroupDescription, GroupError>) {
    let id = g.group_id.0.to_string();
    if g.error_code != 0 {
        return (id, Err(GroupError::code(g.error_code)));
    }
    let consumer = g.protocol_type.as_str() == "consumer" || g.protocol_type.is_empty();
    let members = g
        .members
        .iter()
        .map(|m| MemberDescription {
            member_id: m.member_id.to_string(),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            group_instance_id: m.group_instance_id.as_ref().map(|s| s.to_string()),
            assignment: if consumer {
                assignment(&m.member_assignment)
            } else {
                Vec::new()
            },
        })
        .collect();
    (
        id.clone(),
        Ok(GroupDescription {
            group_id: id,
            state: g.group_state.to_string(),
            assignor: g.protocol_data.to_string(),
            members,
            error: None,
        }),
    )
}

/// The partitions in a consumer-protocol assignment: a 2-byte version, then topics (a name
/// and its partitions; the layout of versions 0–3). Read by hand, every count checked against
/// the bytes left: these bytes come from a group member, not the broker, and a decoder that
/// reserves what a count announces can be made to ask for gigabytes. Empty or unreadable
/// bytes are no partitions.
fn assignment(bytes: &[u8]) -> Vec<(String, i32)> {
    let mut r = Reader(bytes);
    let mut parse = || -> Option<Vec<(String, i32)>> {
        r.take(2)?;
        let mut out = Vec::new();
        // A topic takes at least a 2-byte name length and a 4-byte partition count.
        for _ in 0..r.count(6)? {
            let len = usize::try_from(r.i16()?).ok()?;
            let name = std::str::from_utf8(r.take(len)?).ok()?.to_string();
            for _ in 0..r.count(4)? {
                out.push((name.clone(), r.i32()?));
            }
        }
        Some(out)
    };
    parse().unwrap_or_default()
}

/// Big-endian reads over a byte slice that fail instead of reading past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    /// An array count (a null array is empty), refused when the bytes left cannot hold that
    /// many items of at least `item` bytes.
    fn count(&mut self, item: usize) -> Option<usize> {
        let n = usize::try_from(self.i32()?).unwrap_or(0);
        (n <= self.0.len() / item).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, Bytes, BytesMut};
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
    use kafka_protocol::messages::describe_groups_response::DescribedGroupMember;
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::offset_fetch_response::{
        OffsetFetchResponsePartition, OffsetFetchResponsePartitions, OffsetFetchResponseTopic,
        OffsetFetchResponseTopics,
    };
    use kafka_protocol::messages::ConsumerProtocolAssignment;
    use kafka_protocol::messages::{BrokerId, TopicName};
    use kafka_protocol::protocol::Encodable;

    fn s(v: &str) -> StrBytes {
        StrBytes::from(v.to_string())
    }

    fn assignment_bytes(version: i16, parts: &[(&str, &[i32])]) -> Bytes {
        let a = ConsumerProtocolAssignment::default().with_assigned_partitions(
            parts
                .iter()
                .map(|(t, ps)| {
                    TopicPartition::default()
                        .with_topic(TopicName(s(t)))
                        .with_partitions(ps.to_vec())
                })
                .collect(),
        );
        let mut buf = BytesMut::new();
        buf.put_i16(version);
        a.encode(&mut buf, version).unwrap();
        buf.freeze()
    }

    #[test]
    fn a_member_assignment_is_read_at_its_own_version() {
        for v in [0, 1, 3] {
            let b = assignment_bytes(v, &[("orders", &[0, 2]), ("pay", &[1])]);
            assert_eq!(
                assignment(&b),
                vec![
                    ("orders".into(), 0),
                    ("orders".into(), 2),
                    ("pay".into(), 1)
                ]
            );
        }
        assert!(assignment(&[]).is_empty());
        assert!(assignment(&[0, 0, 0, 0, 0, 9]).is_empty());
        // Counts that announce more than the bytes hold are refused, not reserved.
        assert!(assignment(&[0, 0, 0x7f, 0xff, 0xff, 0xff]).is_empty());
        let mut huge = assignment_bytes(0, &[("t", &[1])]).to_vec();
        huge[9..13].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(assignment(&huge).is_empty());
        // A null partition array is no partitions.
        let mut null = assignment_bytes(0, &[("t", &[])]).to_vec();
        null[9..13].copy_from_slice(&(-1i32).to_be_bytes());
        assert!(assignment(&null).is_empty());
    }

    #[test]
    fn described_groups_keep_members_and_errors() {
        let g = DescribedGroup::default()
            .with_group_id(GroupId(s("billing")))
            .with_group_state(s("Stable"))
            .with_protocol_type(s("consumer"))
            .with_protocol_data(s("range"))
            .with_members(vec![DescribedGroupMember::default()
                .with_member_id(s("m-1"))
                .with_client_id(s("consumer-3"))
                .with_client_host(s("/10.0.0.7"))
                .with_group_instance_id(Some(s("pod-a")))
                .with_member_assignment(assignment_bytes(0, &[("orders", &[1])]))]);
        let (id, d) = described(&g);
        assert_eq!(id, "billing");
        let d = d.unwrap();
        assert_eq!((d.state.as_str(), d.assignor.as_str()), ("Stable", "range"));
        assert_eq!(d.members[0].client_id, "consumer-3");
        assert_eq!(d.members[0].host, "/10.0.0.7");
        assert_eq!(d.members[0].group_instance_id.as_deref(), Some("pod-a"));
        assert_eq!(d.members[0].assignment, vec![("orders".to_string(), 1)]);

        let (_, e) = described(&DescribedGroup::default().with_error_code(16));
        let e = e.unwrap_err();
        assert!(e.retry, "NOT_COORDINATOR means ask the coordinator again");
        assert!(e.message.contains("NotCoordinator"), "{}", e.message);
        let (_, e) = described(&DescribedGroup::default().with_error_code(30));
        assert!(!e.unwrap_err().retry);
    }

    #[test]
    fn committed_offsets_from_both_answer_shapes() {
        // v2–v7: one group per answer; -1 is "no commit"; a failed partition is left out.
        let r =
            OffsetFetchResponse::default().with_topics(vec![OffsetFetchResponseTopic::default()
                .with_name(TopicName(s("orders")))
                .with_partitions(vec![
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(0)
                        .with_committed_offset(42),
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(1)
                        .with_committed_offset(-1),
                    OffsetFetchResponsePartition::default()
                        .with_partition_index(2)
                        .with_committed_offset(7)
                        .with_error_code(3),
                ])]);
        assert_eq!(
            offsets_v2(&r).unwrap(),
            vec![("orders".into(), 0, Some(42)), ("orders".into(), 1, None)]
        );
        assert!(
            offsets_v2(&OffsetFetchResponse::default().with_error_code(15))
                .unwrap_err()
                .retry
        );

        // v8+: many groups per answer, each with its own error.
        let ok = OffsetFetchResponseGroup::default()
            .with_group_id(GroupId(s("a")))
            .with_topics(vec![OffsetFetchResponseTopics::default()
                .with_name(TopicName(s("pay")))
                .with_partitions(vec![OffsetFetchResponsePartitions::default()
                    .with_partition_index(3)
                    .with_committed_offset(9)])]);
        let (g, r) = offsets_v8(&ok);
        assert_eq!(g, "a");
        assert_eq!(r.unwrap(), vec![("pay".into(), 3, Some(9))]);
        let (g, e) = offsets_v8(
            &OffsetFetchResponseGroup::default()
                .with_group_id(GroupId(s("b")))
                .with_error_code(30),
        );
        assert_eq!(g, "b");
        assert!(e.unwrap_err().message.contains("GroupAuthorizationFailed"));
    }

    #[test]
    fn batched_coordinators_and_missing_answers() {
        let resp = FindCoordinatorResponse::default().with_coordinators(vec![
            Coordinator::default()
                .with_key(s("a"))
                .with_node_id(BrokerId(2)),
            Coordinator::default().with_key(s("b")).with_error_code(15),
        ]);
        let found = coordinators_v4(&resp);
        assert_eq!(found[0], ("a".to_string(), Ok(2)));
        assert!(found[1]
            .1
            .as_ref()
            .unwrap_err()
            .contains("CoordinatorNotAvailable"));

        let mut out: Answers<()> = vec![("a".into(), Ok(()))];
        answered_all(
            &["a".to_string(), "z".to_string()],
            &mut out,
            "DescribeGroups",
        );
        assert_eq!(out.len(), 2);
        assert!(out[1]
            .1
            .as_ref()
            .unwrap_err()
            .message
            .contains("left the group out"));
    }
}
