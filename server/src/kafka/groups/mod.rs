//! Consumer groups read over Kafka's own protocol, batched the way librdkafka's admin API
//! cannot: groups listed with their type (ListGroups v5 on every broker); coordinators
//! looked up once (FindCoordinator v4 takes every group in one request) and remembered until
//! a broker says otherwise; committed offsets of many groups in one OffsetFetch (v8+; older
//! brokers get one request per group, pipelined); descriptions in chunks, each group with the
//! API of its type — DescribeGroups for classic groups, ConsumerGroupDescribe for Kafka 4
//! consumer-protocol groups (KIP-848), ShareGroupDescribe for share groups where the broker
//! offers its stable version. Each broker keeps one connection between polls, over plain TCP
//! or TLS, authenticated with SASL where the cluster says so (see `wire::Dialer`).
//!
//! The decoding of answers is pure and unit-tested (`decode.rs`); the I/O is exercised
//! against the scripted brokers and tansu.

#[doc(hidden)]
pub mod decode;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestGroup;
use kafka_protocol::messages::{
    ApiKey, ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, DescribeGroupsRequest,
    DescribeGroupsResponse, FindCoordinatorRequest, FindCoordinatorResponse, GroupId,
    ListGroupsRequest, ListGroupsResponse, OffsetFetchRequest, OffsetFetchResponse,
    ShareGroupDescribeRequest, ShareGroupDescribeResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::wire::{error_text, Dialer, Session};
use super::{GroupDescription, GroupListing, GroupOffsets, KafkaCallError};
use decode::{
    answered_all, coordinators_v4, described, described_consumer, described_share, listed,
    offsets_v2, offsets_v8, GroupError,
};

/// Groups per OffsetFetch request where the broker takes many (v8+).
const OFFSET_FETCH_GROUPS: usize = 100;
/// Groups per FindCoordinator v4 request.
const FIND_COORDINATOR_KEYS: usize = 1000;

/// The versions spoken here, per API.
const FIND_COORDINATOR: (i16, i16) = (0, 4);
const OFFSET_FETCH: (i16, i16) = (2, 8);
const DESCRIBE_GROUPS: (i16, i16) = (0, 6);
const LIST_GROUPS: (i16, i16) = (0, 5);
const CONSUMER_GROUP_DESCRIBE: (i16, i16) = (0, 1);
/// ShareGroupDescribe v0 was Kafka 4.0's early access, removed in 4.1; v1 is the first
/// stable version.
const SHARE_GROUP_DESCRIBE: (i16, i16) = (1, 1);

struct Peer {
    host: String,
    port: u16,
    session: Option<Session>,
}

/// What one coordinator answered for one group.
type Answers<T> = Vec<(String, Result<T, GroupError>)>;

#[derive(Clone, Copy)]
enum Op {
    Offsets,
    Describe { chunk: usize },
}

enum Answer {
    Offsets(GroupOffsets),
    Described(GroupDescription),
}

/// A broker's connection failed during a call.
struct PeerFailure {
    message: String,
    /// The connection was kept from an earlier poll (the broker may simply have closed it).
    reused: bool,
    /// The connection could not even be opened.
    opening: bool,
}

/// The per-cluster reader: connections to brokers and the coordinators of groups, kept
/// between polls.
pub struct GroupReader {
    peers: BTreeMap<i32, Peer>,
    coordinators: HashMap<String, i32>,
    /// Group types from the latest listing (`classic`, `consumer`, `share`).
    types: HashMap<String, String>,
    dialer: Dialer,
    /// Brokers that could not be reached in this poll, and why: not dialled again until the
    /// next poll, so an unreachable broker costs one connect timeout per poll, not one per
    /// stage.
    down: BTreeMap<i32, String>,
}

impl GroupReader {
    pub fn new(dialer: Dialer) -> GroupReader {
        GroupReader {
            peers: BTreeMap::new(),
            coordinators: HashMap::new(),
            types: HashMap::new(),
            dialer,
            down: BTreeMap::new(),
        }
    }

    /// Brokers that could not be reached in this poll, and why.
    pub fn down(&self) -> &BTreeMap<i32, String> {
        &self.down
    }

    /// How this reader reaches the brokers (DescribeLogDirs uses the same).
    pub fn dialer(&self) -> &Dialer {
        &self.dialer
    }

    /// The brokers of the latest metadata: a broker that left is forgotten with its
    /// connection and the groups it coordinated; a moved address reconnects.
    pub fn set_brokers(&mut self, brokers: &[(i32, String, u16)]) {
        self.down.clear();
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

    /// Every consumer and share group, with its type and state where the broker says
    /// (ListGroups v4/v5), from every broker at once (each lists the groups it coordinates).
    /// Per-broker failures come back beside the groups; `Err` when no broker answered.
    pub async fn list(&mut self) -> Result<(Vec<GroupListing>, Vec<String>), KafkaCallError> {
        let work: Vec<(i32, ())> = self.peers.keys().map(|id| (*id, ())).collect();
        let answers = self
            .on_peers(work, |mut s, ()| async move {
                let r = list_at(&mut s).await;
                (s, r)
            })
            .await;
        let mut groups = Vec::new();
        let mut errors = Vec::new();
        let mut answered = 0;
        for (id, r) in answers {
            match r {
                Ok(list) => {
                    answered += 1;
                    groups.extend(list);
                }
                Err(f) => errors.push(format!("broker {id}: {}", f.message)),
            }
        }
        if answered == 0 {
            return Err(KafkaCallError {
                api: "ListGroups",
                unsupported: errors.iter().any(|e| e.contains("does not support")),
                message: errors
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no broker in the metadata".into()),
            });
        }
        // A group whose coordinator moved between two brokers' answers is listed twice.
        crate::kafka::dedup_groups(&mut groups);
        self.types = groups
            .iter()
            .filter_map(|g| Some((g.group_id.clone(), g.group_type.clone()?)))
            .collect();
        Ok((groups, errors))
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
                        group_type: self.types.get(&group_id).cloned(),
                        group_id,
                        error: Some(error),
                        ..Default::default()
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
        let listed: HashSet<&str> = groups.iter().map(String::as_str).collect();
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
                    let answered: HashSet<&str> = found.iter().map(|(g, _)| g.as_str()).collect();
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
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            if let Some(e) = self.down.get(&id) {
                last = format!("broker {id}: {e}");
                continue;
            }
            if peer.session.is_none() {
                match Session::open(&self.dialer, &peer.host, peer.port).await {
                    Ok(s) => peer.session = Some(s),
                    Err(e) => {
                        last = format!("broker {id}: {e}");
                        self.down.insert(id, e.message);
                        continue;
                    }
                }
            }
            let Some(session) = peer.session.as_mut() else {
                continue;
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

    /// Run `f` on the connection of each broker in `work` (opened when there is none), all
    /// brokers at once. A connection whose call fails is dropped; the others are kept.
    async fn on_peers<W, T, F, Fut>(
        &mut self,
        work: Vec<(i32, W)>,
        f: F,
    ) -> Vec<(i32, Result<T, PeerFailure>)>
    where
        F: Fn(Session, W) -> Fut,
        Fut: Future<Output = (Session, Result<T, String>)>,
    {
        let dialer = &self.dialer;
        let f = &f;
        let mut calls = Vec::new();
        let mut skipped = Vec::new();
        for (id, w) in work {
            let Some(peer) = self.peers.get_mut(&id) else {
                continue;
            };
            if let Some(e) = self.down.get(&id) {
                let f = PeerFailure {
                    message: e.clone(),
                    reused: false,
                    opening: true,
                };
                skipped.push((id, Err(f)));
                continue;
            }
            // The connection leaves the peer for the call and comes back after it.
            let kept = peer.session.take();
            let (host, port) = (peer.host.clone(), peer.port);
            calls.push(async move {
                let reused = kept.is_some();
                let session = match kept {
                    Some(s) => s,
                    None => match Session::open(dialer, &host, port).await {
                        Ok(s) => s,
                        Err(e) => {
                            let f = PeerFailure {
                                message: e.message,
                                reused,
                                opening: true,
                            };
                            return (id, None, Err(f));
                        }
                    },
                };
                match f(session, w).await {
                    (s, Ok(t)) => (id, Some(s), Ok(t)),
                    // (A call that timed out is a hung broker: not dialled again.)
                    (_, Err(message)) if reused && !super::wire::is_timeout(&message) => {
                        // A kept connection failed: the broker may have closed it while idle,
                        // or died. A new connection tells which (and is kept for the retry);
                        // a broker that refuses it is down for the rest of the poll.
                        match Session::open(dialer, &host, port).await {
                            Ok(s) => {
                                let f = PeerFailure {
                                    message,
                                    reused,
                                    opening: false,
                                };
                                (id, Some(s), Err(f))
                            }
                            Err(why) => {
                                let f = PeerFailure {
                                    message: format!("{message}; reconnecting: {why}"),
                                    reused,
                                    opening: true,
                                };
                                (id, None, Err(f))
                            }
                        }
                    }
                    (_, Err(message)) => {
                        let f = PeerFailure {
                            message,
                            reused,
                            opening: false,
                        };
                        (id, None, Err(f))
                    }
                }
            });
        }
        let mut out = skipped;
        for (id, session, r) in futures::future::join_all(calls).await {
            if let Some(peer) = self.peers.get_mut(&id) {
                peer.session = session;
            }
            // Not reachable, or reachable and hung: either way not asked again this poll.
            if let Err(f) = &r {
                if f.opening || super::wire::is_timeout(&f.message) {
                    self.down.insert(id, f.message.clone());
                }
            }
            out.push((id, r));
        }
        out
    }

    /// Run `op` on every coordinator at once, each over its own connection.
    async fn on_coordinators(
        &mut self,
        by_coordinator: BTreeMap<i32, Vec<String>>,
        op: Op,
    ) -> Answers<Answer> {
        let asked: HashMap<i32, Vec<String>> = by_coordinator
            .iter()
            .map(|(id, g)| (*id, g.clone()))
            .collect();
        let types = std::mem::take(&mut self.types);
        let work: Vec<(i32, Vec<String>)> = by_coordinator.into_iter().collect();
        let results = {
            let types = &types;
            self.on_peers(work, move |mut s, groups| async move {
                let r = ask(&mut s, &groups, op, types).await;
                (s, r)
            })
            .await
        };
        self.types = types;
        let mut out = Vec::new();
        for (id, r) in results {
            match r {
                Ok(answers) => out.extend(answers),
                Err(f) => {
                    // A coordinator that cannot be reached may have moved: looked up again. A
                    // kept connection may simply have been closed by the broker since the last
                    // poll: asked again on a new one in this poll. A new connection dropped
                    // during the call is the broker refusing it: not asked again.
                    let e = GroupError {
                        retry: f.opening || f.reused,
                        not_found: false,
                        message: format!("coordinator {id}: {}", f.message),
                    };
                    for g in asked.get(&id).cloned().unwrap_or_default() {
                        out.push((g, Err(e.clone())));
                    }
                }
            }
        }
        out
    }
}

/// ListGroups on one broker: the consumer and share groups it coordinates.
async fn list_at(session: &mut Session) -> Result<Vec<GroupListing>, String> {
    let v = session.version(ApiKey::ListGroups, LIST_GROUPS)?;
    let resp: ListGroupsResponse = session
        .call(ApiKey::ListGroups, v, &ListGroupsRequest::default())
        .await?;
    if resp.error_code != 0 {
        return Err(format!("ListGroups: {}", error_text(resp.error_code)));
    }
    Ok(resp.groups.iter().filter_map(listed).collect())
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
                session.call(ApiKey::FindCoordinator, v, &req).await?;
            out.extend(coordinators_v4(&resp));
        }
    } else {
        let reqs: Vec<FindCoordinatorRequest> = groups
            .iter()
            .map(|g| FindCoordinatorRequest::default().with_key(StrBytes::from(g.clone())))
            .collect();
        let resps: Vec<FindCoordinatorResponse> =
            session.call_many(ApiKey::FindCoordinator, v, &reqs).await?;
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

fn group_ids(groups: &[String]) -> Vec<GroupId> {
    groups
        .iter()
        .map(|g| GroupId(StrBytes::from(g.clone())))
        .collect()
}

/// Ask one coordinator about its groups. `Err` means the connection failed.
async fn ask(
    session: &mut Session,
    groups: &[String],
    op: Op,
    types: &HashMap<String, String>,
) -> Result<Answers<Answer>, String> {
    match op {
        Op::Offsets => Ok(offsets_at(session, groups)
            .await?
            .into_iter()
            .map(|(g, r)| (g, r.map(Answer::Offsets)))
            .collect()),
        Op::Describe { chunk } => Ok(describe_at(session, groups, chunk, types)
            .await?
            .into_iter()
            .map(|(g, r)| (g, r.map(Answer::Described)))
            .collect()),
    }
}

async fn offsets_at(
    session: &mut Session,
    groups: &[String],
) -> Result<Answers<GroupOffsets>, String> {
    let v = session.version(ApiKey::OffsetFetch, OFFSET_FETCH)?;
    let mut out = Vec::with_capacity(groups.len());
    if v >= 8 {
        let reqs: Vec<OffsetFetchRequest> = groups
            .chunks(OFFSET_FETCH_GROUPS)
            .map(|chunk| {
                OffsetFetchRequest::default().with_groups(
                    group_ids(chunk)
                        .into_iter()
                        .map(|g| {
                            OffsetFetchRequestGroup::default()
                                .with_group_id(g)
                                .with_topics(None)
                        })
                        .collect(),
                )
            })
            .collect();
        let resps: Vec<OffsetFetchResponse> =
            session.call_many(ApiKey::OffsetFetch, v, &reqs).await?;
        for r in &resps {
            out.extend(r.groups.iter().map(offsets_v8));
        }
        answered_all(groups, &mut out, "OffsetFetch");
    } else {
        let reqs: Vec<OffsetFetchRequest> = group_ids(groups)
            .into_iter()
            .map(|g| {
                OffsetFetchRequest::default()
                    .with_group_id(g)
                    .with_topics(None)
            })
            .collect();
        let resps: Vec<OffsetFetchResponse> =
            session.call_many(ApiKey::OffsetFetch, v, &reqs).await?;
        for (g, r) in groups.iter().zip(resps) {
            out.push((g.clone(), offsets_v2(&r)));
        }
    }
    Ok(out)
}

/// Describe one coordinator's groups, each with the API of its type. Consumer-protocol
/// groups go to ConsumerGroupDescribe first; what it does not know (a classic group, or a
/// broker without the API) goes to DescribeGroups. A group DescribeGroups calls `Dead`
/// without members (before v6) or "not a classic group" (v6) while the listing did not say
/// its type is retried with ConsumerGroupDescribe: that is how a Kafka 4 consumer-protocol
/// group looks to the classic API.
async fn describe_at(
    session: &mut Session,
    groups: &[String],
    chunk: usize,
    types: &HashMap<String, String>,
) -> Result<Answers<GroupDescription>, String> {
    let chunk = chunk.max(1);
    let kind = |g: &String| types.get(g).map(String::as_str);
    let mut out = Vec::with_capacity(groups.len());
    let mut classic: Vec<String> = Vec::new();
    let mut consumer: Vec<String> = Vec::new();
    let mut share: Vec<String> = Vec::new();
    for g in groups {
        match kind(g) {
            Some("consumer") => consumer.push(g.clone()),
            Some("share") => share.push(g.clone()),
            _ => classic.push(g.clone()),
        }
    }
    let modern = session.version(ApiKey::ConsumerGroupDescribe, CONSUMER_GROUP_DESCRIBE);
    let mut tried_modern: HashSet<String> = HashSet::new();
    if !consumer.is_empty() {
        match &modern {
            Ok(v) => {
                for (g, r) in describe_consumer(session, &consumer, chunk, *v).await? {
                    tried_modern.insert(g.clone());
                    match r {
                        Err(e) if e.not_found => classic.push(g),
                        other => out.push((g, other)),
                    }
                }
            }
            Err(_) => classic.append(&mut consumer),
        }
    }
    if !classic.is_empty() {
        let v = session.version(ApiKey::DescribeGroups, DESCRIBE_GROUPS)?;
        let reqs: Vec<DescribeGroupsRequest> = classic
            .chunks(chunk)
            .map(|c| DescribeGroupsRequest::default().with_groups(group_ids(c)))
            .collect();
        let resps: Vec<DescribeGroupsResponse> =
            session.call_many(ApiKey::DescribeGroups, v, &reqs).await?;
        let mut answers: Answers<GroupDescription> = Vec::with_capacity(classic.len());
        for r in &resps {
            answers.extend(r.groups.iter().map(described));
        }
        answered_all(&classic, &mut answers, "DescribeGroups");
        let (maybe_modern, settled): (Answers<GroupDescription>, Answers<GroupDescription>) =
            answers.into_iter().partition(|(g, r)| {
                !tried_modern.contains(g) && kind(g) != Some("classic") && not_classic(r)
            });
        out.extend(settled);
        match (&modern, maybe_modern.is_empty()) {
            (Ok(v), false) => {
                let ids: Vec<String> = maybe_modern.iter().map(|(g, _)| g.clone()).collect();
                let mut by_id: HashMap<String, Result<GroupDescription, GroupError>> =
                    maybe_modern.into_iter().collect();
                for (g, r) in describe_consumer(session, &ids, chunk, *v).await? {
                    match r {
                        // Not a consumer-protocol group either: DescribeGroups' answer stands.
                        Err(e) if e.not_found => {
                            if let Some(first) = by_id.remove(&g) {
                                out.push((g, first));
                            }
                        }
                        other => {
                            by_id.remove(&g);
                            out.push((g, other));
                        }
                    }
                }
                out.extend(by_id);
            }
            (Err(_), false) => {
                // Listed, yet `Dead` to the classic API, and no ConsumerGroupDescribe to ask:
                // say so rather than show a live group as dead.
                let why = GroupError::other(
                    "the broker lists this group but DescribeGroups calls it Dead: a consumer-protocol group (KIP-848) this broker does not describe (no ConsumerGroupDescribe)".into(),
                );
                out.extend(maybe_modern.into_iter().map(|(g, r)| match r {
                    Ok(_) => (g, Err(why.clone())),
                    err => (g, err),
                }));
            }
            _ => out.extend(maybe_modern),
        }
    }
    if !share.is_empty() {
        match session.version(ApiKey::ShareGroupDescribe, SHARE_GROUP_DESCRIBE) {
            Ok(v) => {
                let reqs: Vec<ShareGroupDescribeRequest> = share
                    .chunks(chunk)
                    .map(|c| ShareGroupDescribeRequest::default().with_group_ids(group_ids(c)))
                    .collect();
                let resps: Vec<ShareGroupDescribeResponse> = session
                    .call_many(ApiKey::ShareGroupDescribe, v, &reqs)
                    .await?;
                let mut answers = Vec::with_capacity(share.len());
                for r in &resps {
                    answers.extend(r.groups.iter().map(described_share));
                }
                answered_all(&share, &mut answers, "ShareGroupDescribe");
                out.extend(answers);
            }
            Err(e) => {
                let why = GroupError::other(format!(
                    "share groups cannot be described here: {e} (ShareGroupDescribe v1, Kafka 4.1 or later)"
                ));
                out.extend(share.into_iter().map(|g| (g, Err(why.clone()))));
            }
        }
    }
    Ok(out)
}

/// DescribeGroups' way of saying the group is not a classic group: `Dead` with no members
/// and no protocol (v0–v5), or GROUP_ID_NOT_FOUND (v6).
fn not_classic(r: &Result<GroupDescription, GroupError>) -> bool {
    match r {
        Ok(d) => d.state == "Dead" && d.members.is_empty(),
        Err(e) => e.not_found,
    }
}

async fn describe_consumer(
    session: &mut Session,
    groups: &[String],
    chunk: usize,
    version: i16,
) -> Result<Answers<GroupDescription>, String> {
    let reqs: Vec<ConsumerGroupDescribeRequest> = groups
        .chunks(chunk)
        .map(|c| ConsumerGroupDescribeRequest::default().with_group_ids(group_ids(c)))
        .collect();
    let resps: Vec<ConsumerGroupDescribeResponse> = session
        .call_many(ApiKey::ConsumerGroupDescribe, version, &reqs)
        .await?;
    let mut out = Vec::with_capacity(groups.len());
    for r in &resps {
        out.extend(r.groups.iter().map(described_consumer));
    }
    answered_all(groups, &mut out, "ConsumerGroupDescribe");
    Ok(out)
}
