//! Kafka's group answers as Kafscope's group shapes. Pure: every function takes a decoded
//! answer (or member bytes) and returns listings, offsets or descriptions; nothing here
//! talks to a broker.

use kafka_protocol::messages::consumer_group_describe_response as cgd;
use kafka_protocol::messages::describe_groups_response::DescribedGroup;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::offset_fetch_response::OffsetFetchResponseGroup;
use kafka_protocol::messages::share_group_describe_response as sgd;
use kafka_protocol::messages::{FindCoordinatorResponse, OffsetFetchResponse};
use kafka_protocol::protocol::StrBytes;

use super::Answers;
use crate::kafka::ffi::MemberDescription;
use crate::kafka::wire::error_text;
use crate::kafka::{GroupDescription, GroupListing, GroupOffsets};

/// A group-level error code that means "ask the coordinator again": load in progress,
/// coordinator not available, not coordinator.
fn coordinator_moved(code: i16) -> bool {
    matches!(code, 14..=16)
}

/// GROUP_ID_NOT_FOUND: the API asked does not know the group (another group type's API may).
const GROUP_ID_NOT_FOUND: i16 = 69;

#[derive(Debug, Clone)]
pub struct GroupError {
    /// Ask again after finding the coordinator anew.
    pub retry: bool,
    /// The API asked does not know this group.
    pub not_found: bool,
    pub message: String,
}

impl GroupError {
    pub fn code(code: i16) -> GroupError {
        GroupError {
            retry: coordinator_moved(code),
            not_found: code == GROUP_ID_NOT_FOUND,
            message: error_text(code),
        }
    }
    pub fn other(message: String) -> GroupError {
        GroupError {
            retry: false,
            not_found: false,
            message,
        }
    }
    fn with_message(code: i16, message: Option<&StrBytes>) -> GroupError {
        let mut e = GroupError::code(code);
        if let Some(m) = message.filter(|m| !m.is_empty()) {
            e.message = format!("{} ({m})", e.message);
        }
        e
    }
}

/// A listed group Kafscope watches: consumer groups (classic or consumer protocol, and groups
/// that only hold committed offsets) and share groups; Connect and other protocols are not
/// consumer groups.
pub fn listed(g: &ListedGroup) -> Option<GroupListing> {
    let protocol = g.protocol_type.as_str();
    let group_type = Some(g.group_type.to_ascii_lowercase()).filter(|t| !t.is_empty());
    let share = group_type.as_deref() == Some("share") || protocol == "share";
    if !(protocol == "consumer" || protocol.is_empty() || share) {
        return None;
    }
    Some(GroupListing {
        group_id: g.group_id.0.to_string(),
        is_simple: protocol.is_empty(),
        state: g.group_state.to_string(),
        group_type: if share {
            Some("share".into())
        } else {
            group_type
        },
    })
}

/// The coordinators in a batched (v4+) answer.
pub(super) fn coordinators_v4(
    resp: &FindCoordinatorResponse,
) -> Vec<(String, Result<i32, String>)> {
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

/// A group asked but missing from the answers gets an error saying so.
///
/// Also leaves one answer per group, a success before an error: Kafka 4.0.0's coordinator
/// describes every group of a request on each of its `__consumer_offsets` partitions, so a
/// request for groups of two partitions answers each group twice, once found and once
/// GROUP_ID_NOT_FOUND (KAFKA-19195, fixed after 4.0.0).
pub(super) fn answered_all<T>(asked: &[String], out: &mut Answers<T>, api: &str) {
    let found: std::collections::HashSet<String> = out
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(g, _)| g.clone())
        .collect();
    let mut kept: std::collections::HashSet<String> = std::collections::HashSet::new();
    out.retain(|(g, r)| (r.is_ok() || !found.contains(g)) && kept.insert(g.clone()));
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
pub fn offsets_v2(r: &OffsetFetchResponse) -> Result<GroupOffsets, GroupError> {
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
pub fn offsets_v8(g: &OffsetFetchResponseGroup) -> (String, Result<GroupOffsets, GroupError>) {
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

/// A classic group (DescribeGroups) in the form librdkafka's admin API gives it.
pub fn described(g: &DescribedGroup) -> (String, Result<GroupDescription, GroupError>) {
    let id = g.group_id.0.to_string();
    if g.error_code != 0 {
        return (
            id,
            Err(GroupError::with_message(
                g.error_code,
                g.error_message.as_ref(),
            )),
        );
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
            ..Default::default()
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
            group_type: Some("classic".into()),
            group_epoch: None,
            assignment_epoch: None,
        }),
    )
}

/// (topic, partition) pairs of a consumer-protocol assignment (the broker names the topics;
/// a topic it no longer knows is left out by the broker itself).
fn partitions_of(a: &[cgd::TopicPartitions]) -> Vec<(String, i32)> {
    a.iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(move |p| (t.topic_name.0.to_string(), *p))
        })
        .collect()
}

fn opt(s: &Option<StrBytes>) -> Option<String> {
    s.as_ref().map(|s| s.to_string()).filter(|s| !s.is_empty())
}

/// A consumer-protocol group (KIP-848) from ConsumerGroupDescribe. Success is the error
/// code alone (tansu sets a message on success too).
pub fn described_consumer(
    g: &cgd::DescribedGroup,
) -> (String, Result<GroupDescription, GroupError>) {
    let id = g.group_id.0.to_string();
    if g.error_code != 0 {
        return (
            id,
            Err(GroupError::with_message(
                g.error_code,
                g.error_message.as_ref(),
            )),
        );
    }
    let members = g
        .members
        .iter()
        .map(|m| MemberDescription {
            member_id: m.member_id.to_string(),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            group_instance_id: opt(&m.instance_id),
            assignment: partitions_of(&m.assignment.topic_partitions),
            target_assignment: Some(partitions_of(&m.target_assignment.topic_partitions)),
            rack: opt(&m.rack_id),
            member_epoch: Some(m.member_epoch),
            subscribed_topics: Some(
                m.subscribed_topic_names
                    .iter()
                    .map(|t| t.0.to_string())
                    .collect(),
            ),
            subscribed_topic_regex: opt(&m.subscribed_topic_regex),
            classic_member: match m.member_type {
                0 => Some(true),
                1 => Some(false),
                _ => None,
            },
        })
        .collect();
    (
        id.clone(),
        Ok(GroupDescription {
            group_id: id,
            state: g.group_state.to_string(),
            assignor: g.assignor_name.to_string(),
            members,
            error: None,
            group_type: Some("consumer".into()),
            group_epoch: Some(g.group_epoch),
            assignment_epoch: Some(g.assignment_epoch),
        }),
    )
}

/// A share group (KIP-932) from ShareGroupDescribe v1.
pub fn described_share(g: &sgd::DescribedGroup) -> (String, Result<GroupDescription, GroupError>) {
    let id = g.group_id.0.to_string();
    if g.error_code != 0 {
        return (
            id,
            Err(GroupError::with_message(
                g.error_code,
                g.error_message.as_ref(),
            )),
        );
    }
    let members = g
        .members
        .iter()
        .map(|m| MemberDescription {
            member_id: m.member_id.to_string(),
            client_id: m.client_id.to_string(),
            host: m.client_host.to_string(),
            assignment: m
                .assignment
                .topic_partitions
                .iter()
                .flat_map(|t| {
                    t.partitions
                        .iter()
                        .map(move |p| (t.topic_name.0.to_string(), *p))
                })
                .collect(),
            rack: opt(&m.rack_id),
            member_epoch: Some(m.member_epoch),
            subscribed_topics: Some(
                m.subscribed_topic_names
                    .iter()
                    .map(|t| t.0.to_string())
                    .collect(),
            ),
            ..Default::default()
        })
        .collect();
    (
        id.clone(),
        Ok(GroupDescription {
            group_id: id,
            state: g.group_state.to_string(),
            assignor: g.assignor_name.to_string(),
            members,
            error: None,
            group_type: Some("share".into()),
            group_epoch: Some(g.group_epoch),
            assignment_epoch: Some(g.assignment_epoch),
        }),
    )
}

/// The partitions in a consumer-protocol assignment: a 2-byte version, then topics (a name
/// and its partitions; the layout of versions 0–3). Read by hand, every count checked against
/// the bytes left: these bytes come from a group member, not the broker, and a decoder that
/// reserves what a count announces can be made to ask for gigabytes. Empty or unreadable
/// bytes are no partitions.
pub fn assignment(bytes: &[u8]) -> Vec<(String, i32)> {
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
    use kafka_protocol::messages::{BrokerId, GroupId, TopicName};
    use kafka_protocol::protocol::Encodable;

    fn listing(id: &str, protocol: &str, state: &str, ty: &str) -> ListedGroup {
        ListedGroup::default()
            .with_group_id(GroupId(s(id)))
            .with_protocol_type(s(protocol))
            .with_group_state(s(state))
            .with_group_type(s(ty))
    }

    #[test]
    fn listed_groups_keep_their_type_and_only_consumer_and_share_groups_count() {
        let l = listed(&listing("orders", "consumer", "Stable", "consumer")).unwrap();
        assert_eq!(l.group_type.as_deref(), Some("consumer"));
        assert_eq!(l.state, "Stable");
        assert!(!l.is_simple);
        let l = listed(&listing("old", "consumer", "Empty", "Classic")).unwrap();
        assert_eq!(l.group_type.as_deref(), Some("classic"), "case folded");
        // Before ListGroups v5 the type is not said: unknown, not invented.
        let l = listed(&listing("v4", "consumer", "Empty", "")).unwrap();
        assert_eq!(l.group_type, None);
        // Offsets-only groups (no protocol) are consumer groups too.
        assert!(
            listed(&listing("simple", "", "Empty", "classic"))
                .unwrap()
                .is_simple
        );
        let l = listed(&listing("sh", "share", "Stable", "share")).unwrap();
        assert_eq!(l.group_type.as_deref(), Some("share"));
        assert!(listed(&listing("connect-cluster", "connect", "Stable", "classic")).is_none());
    }

    fn tps(parts: &[(&str, &[i32])]) -> cgd::Assignment {
        cgd::Assignment::default().with_topic_partitions(
            parts
                .iter()
                .map(|(t, ps)| {
                    cgd::TopicPartitions::default()
                        .with_topic_name(TopicName(s(t)))
                        .with_partitions(ps.to_vec())
                })
                .collect(),
        )
    }

    #[test]
    fn consumer_protocol_groups_keep_members_epochs_and_both_assignments() {
        let g = cgd::DescribedGroup::default()
            .with_group_id(GroupId(s("payments")))
            .with_group_state(s("Reconciling"))
            .with_group_epoch(7)
            .with_assignment_epoch(6)
            .with_assignor_name(s("uniform"))
            // tansu sets a message on success: the code decides.
            .with_error_message(Some(s("No error.")))
            .with_members(vec![cgd::Member::default()
                .with_member_id(s("m-1"))
                .with_instance_id(Some(s("pod-a")))
                .with_rack_id(Some(s("eu-1a")))
                .with_member_epoch(6)
                .with_client_id(s("console-consumer"))
                .with_client_host(s("/10.0.0.9"))
                .with_subscribed_topic_names(vec![TopicName(s("orders"))])
                .with_assignment(tps(&[("orders", &[0, 1])]))
                .with_target_assignment(tps(&[("orders", &[0])]))
                .with_member_type(1)]);
        let (id, d) = described_consumer(&g);
        assert_eq!(id, "payments");
        let d = d.unwrap();
        assert_eq!(d.group_type.as_deref(), Some("consumer"));
        assert_eq!(
            (d.state.as_str(), d.assignor.as_str()),
            ("Reconciling", "uniform")
        );
        assert_eq!((d.group_epoch, d.assignment_epoch), (Some(7), Some(6)));
        let m = &d.members[0];
        assert_eq!(m.client_id, "console-consumer");
        assert_eq!(m.host, "/10.0.0.9");
        assert_eq!(m.group_instance_id.as_deref(), Some("pod-a"));
        assert_eq!(m.rack.as_deref(), Some("eu-1a"));
        assert_eq!(m.member_epoch, Some(6));
        assert_eq!(
            m.assignment,
            vec![("orders".into(), 0), ("orders".into(), 1)]
        );
        assert_eq!(m.target_assignment, Some(vec![("orders".into(), 0)]));
        assert_eq!(m.subscribed_topics, Some(vec!["orders".to_string()]));
        assert_eq!(m.classic_member, Some(false));

        // A classic group asked with ConsumerGroupDescribe: not found, with the broker's words.
        let (_, e) = described_consumer(
            &cgd::DescribedGroup::default()
                .with_group_id(GroupId(s("legacy")))
                .with_error_code(69)
                .with_error_message(Some(s("Group legacy is not a consumer group."))),
        );
        let e = e.unwrap_err();
        assert!(e.not_found && !e.retry);
        assert!(e.message.contains("not a consumer group"), "{}", e.message);
    }

    #[test]
    fn describe_groups_v6_says_a_consumer_protocol_group_is_not_classic() {
        let (_, e) = described(
            &DescribedGroup::default()
                .with_group_id(GroupId(s("new")))
                .with_error_code(69)
                .with_error_message(Some(s("Group new is not a classic group."))),
        );
        assert!(e.unwrap_err().not_found);
        // Before v6: Dead without members or error — the same thing in other words.
        let (_, d) = described(
            &DescribedGroup::default()
                .with_group_id(GroupId(s("new")))
                .with_group_state(s("Dead")),
        );
        let d = d.unwrap();
        assert!(super::super::not_classic(&Ok(d)));
    }

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

    #[test]
    fn one_answer_per_group_and_a_success_wins() {
        // Kafka 4.0.0 answers a group of another shard as not found beside its real answer.
        let mut out: Answers<u8> = vec![
            ("a".into(), Err(GroupError::code(GROUP_ID_NOT_FOUND))),
            ("b".into(), Ok(2)),
            ("a".into(), Ok(1)),
            ("b".into(), Err(GroupError::code(GROUP_ID_NOT_FOUND))),
            ("c".into(), Err(GroupError::code(GROUP_ID_NOT_FOUND))),
            ("c".into(), Err(GroupError::code(GROUP_ID_NOT_FOUND))),
        ];
        let asked = vec!["a".to_string(), "b".into(), "c".into(), "d".into()];
        answered_all(&asked, &mut out, "ConsumerGroupDescribe");
        let got: Vec<(&str, bool)> = out.iter().map(|(g, r)| (g.as_str(), r.is_ok())).collect();
        assert_eq!(
            got,
            vec![("b", true), ("a", true), ("c", false), ("d", false)]
        );
    }
}
