//! The KRaft metadata quorum with DescribeQuorum (API 55): who leads `__cluster_metadata`,
//! and how far each voter and observer is behind it.
//!
//! In KRaft, brokers answer Metadata and DescribeCluster with a random live broker as the
//! "controller"; the quorum leader is the active controller. Brokers forward DescribeQuorum
//! to the active controller (it needs DESCRIBE on CLUSTER); a controller that is not the
//! leader answers NOT_LEADER_OR_FOLLOWER, so every candidate is asked at once and the first
//! answer wins. A broker that does not offer the API is from the ZooKeeper era: no quorum.
//!
//! Lag is computed as `kafka-metadata-quorum.sh` does: records = leader's log end offset −
//! the replica's; time = the leader's last-caught-up time − the replica's; the largest
//! follower lag is over the voters only.

use kafka_protocol::messages::describe_quorum_request::{PartitionData, TopicData};
use kafka_protocol::messages::{ApiKey, DescribeQuorumRequest, DescribeQuorumResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::wire::{error_text, Dialer, Session};

const METADATA_TOPIC: &str = "__cluster_metadata";
const VERSIONS: (i16, i16) = (0, 2);

/// One replica of the metadata log as the quorum leader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Replica {
    pub id: i32,
    pub directory_id: Option<String>,
    pub log_end_offset: Option<i64>,
    /// Unix ms; `None` when the leader does not know (v0, or −1) — for the leader itself.
    pub last_fetch_ms: Option<i64>,
    pub last_caught_up_ms: Option<i64>,
    /// Leader's log end offset − this replica's.
    pub lag: Option<i64>,
    /// Leader's last-caught-up time − this replica's (0 for the leader).
    pub lag_ms: Option<i64>,
}

/// A DescribeQuorum answer, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct QuorumRead {
    /// `None`: the quorum has no leader (an election is running or the quorum is lost).
    pub leader_id: Option<i32>,
    pub leader_epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<Replica>,
    pub observers: Vec<Replica>,
    /// Controller endpoints by node id (v2): `(listener, host, port)`.
    pub endpoints: Vec<(i32, String, String, u16)>,
    /// The node that answered.
    pub via: i32,
}

impl QuorumRead {
    /// The voter furthest behind and its lag, as `describe --status` prints
    /// `MaxFollowerLag` and `MaxFollowerLagTimeMs`. A voter whose position the leader does
    /// not know (the tool counts its LEO as −1) makes both unknown, never 0.
    pub fn max_follower_lag(&self) -> (Option<i64>, Option<i64>) {
        if self.voters.iter().any(|v| v.log_end_offset.is_none()) {
            return (None, None);
        }
        let Some(worst) = self
            .voters
            .iter()
            .filter(|v| v.log_end_offset.is_some())
            .min_by_key(|v| v.log_end_offset)
        else {
            return (None, None);
        };
        (worst.lag, worst.lag_ms)
    }
}

/// Why no quorum could be read.
#[derive(Debug, Clone, PartialEq)]
pub enum QuorumError {
    /// No candidate offers DescribeQuorum: a ZooKeeper-era cluster, or Kafka before 2.7.
    Unsupported,
    /// The principal lacks DESCRIBE on CLUSTER.
    NotAuthorized(String),
    Failed(String),
}

impl std::fmt::Display for QuorumError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuorumError::Unsupported => {
                write!(f, "the brokers do not offer DescribeQuorum (not a KRaft cluster)")
            }
            QuorumError::NotAuthorized(e) => write!(
                f,
                "DescribeQuorum was refused ({e}): grant the console's principal DESCRIBE on the CLUSTER resource"
            ),
            QuorumError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// A session kept to the node that answered DescribeQuorum last, so a poll does not open
/// (and on SASL listeners authenticate) a new connection each time.
pub struct Kept {
    pub id: i32,
    pub host: String,
    pub port: u16,
    session: Session,
}

/// Ask every candidate at once; the first good answer wins, and its session is kept.
/// Candidates are the live brokers (they forward to the active controller) or, when
/// configured, the controllers.
pub async fn read(
    candidates: &[(i32, String, u16)],
    dialer: &Dialer,
) -> Result<(QuorumRead, Kept), QuorumError> {
    if candidates.is_empty() {
        return Err(QuorumError::Failed("no broker to ask".into()));
    }
    let asks = candidates
        .iter()
        .map(|(id, host, port)| {
            Box::pin(async move {
                let session = Session::open(dialer, host, *port)
                    .await
                    .map_err(|e| QuorumError::Failed(e.message))?;
                let kept = Kept {
                    id: *id,
                    host: host.clone(),
                    port: *port,
                    session,
                };
                ask(kept).await
            })
        })
        .collect();
    let errors = match super::wire::first_ok(asks).await {
        Ok(q) => return Ok(q),
        Err(errors) => errors,
    };
    // The most telling error: refused beats unsupported beats a transport failure.
    if let Some(e) = errors
        .iter()
        .find(|e| matches!(e, QuorumError::NotAuthorized(_)))
    {
        return Err(e.clone());
    }
    // A node that answers ApiVersions without DescribeQuorum proves the cluster is not KRaft
    // (every KRaft broker forwards it): the others' failures do not make it one.
    if errors.contains(&QuorumError::Unsupported) {
        return Err(QuorumError::Unsupported);
    }
    let texts: Vec<String> = errors
        .iter()
        .filter(|e| **e != QuorumError::Unsupported)
        .map(|e| e.to_string())
        .collect();
    Err(QuorumError::Failed(texts.join("; ")))
}

/// DescribeQuorum over a kept session; the session comes back with the answer.
pub async fn ask(mut kept: Kept) -> Result<(QuorumRead, Kept), QuorumError> {
    let version = kept
        .session
        .version(ApiKey::DescribeQuorum, VERSIONS)
        .map_err(|_| QuorumError::Unsupported)?;
    let req = DescribeQuorumRequest::default().with_topics(vec![TopicData::default()
        .with_topic_name(TopicName(StrBytes::from_static_str(METADATA_TOPIC)))
        .with_partitions(vec![PartitionData::default().with_partition_index(0)])]);
    let resp: DescribeQuorumResponse = kept
        .session
        .call(ApiKey::DescribeQuorum, version, &req)
        .await
        .map_err(QuorumError::Failed)?;
    Ok((to_quorum(&resp, kept.id)?, kept))
}

/// Check an answer as Kafka's admin client does, and compute the lags.
pub fn to_quorum(resp: &DescribeQuorumResponse, via: i32) -> Result<QuorumRead, QuorumError> {
    check(resp.error_code, resp.error_message.as_deref())?;
    let [topic] = resp.topics.as_slice() else {
        return Err(QuorumError::Failed(format!(
            "DescribeQuorum answered {} topics, not one",
            resp.topics.len()
        )));
    };
    if topic.topic_name.0.as_str() != METADATA_TOPIC {
        return Err(QuorumError::Failed(format!(
            "DescribeQuorum answered for topic '{}', not {METADATA_TOPIC}",
            topic.topic_name.0.as_str()
        )));
    }
    let [p] = topic.partitions.as_slice() else {
        return Err(QuorumError::Failed(format!(
            "DescribeQuorum answered {} partitions, not one",
            topic.partitions.len()
        )));
    };
    check(p.error_code, p.error_message.as_deref())?;
    let leader_id = (p.leader_id.0 >= 0).then_some(p.leader_id.0);
    let replica = |r: &kafka_protocol::messages::describe_quorum_response::ReplicaState| Replica {
        id: r.replica_id.0,
        directory_id: (!r.replica_directory_id.is_nil())
            .then(|| r.replica_directory_id.to_string()),
        log_end_offset: (r.log_end_offset >= 0).then_some(r.log_end_offset),
        last_fetch_ms: (r.last_fetch_timestamp >= 0).then_some(r.last_fetch_timestamp),
        last_caught_up_ms: (r.last_caught_up_timestamp >= 0).then_some(r.last_caught_up_timestamp),
        lag: None,
        lag_ms: None,
    };
    let mut voters: Vec<Replica> = p.current_voters.iter().map(replica).collect();
    let mut observers: Vec<Replica> = p.observers.iter().map(replica).collect();
    let leader = leader_id.and_then(|l| voters.iter().find(|v| v.id == l).cloned());
    if let Some(leader) = &leader {
        for r in voters.iter_mut().chain(observers.iter_mut()) {
            r.lag = match (leader.log_end_offset, r.log_end_offset) {
                (Some(l), Some(o)) => Some((l - o).max(0)),
                _ => None,
            };
            r.lag_ms = if r.id == leader.id {
                Some(0)
            } else {
                match (leader.last_caught_up_ms, r.last_caught_up_ms) {
                    (Some(l), Some(o)) => Some((l - o).max(0)),
                    _ => None,
                }
            };
        }
    }
    let endpoints = resp
        .nodes
        .iter()
        .flat_map(|n| {
            n.listeners
                .iter()
                .map(move |l| (n.node_id.0, l.name.to_string(), l.host.to_string(), l.port))
        })
        .collect();
    Ok(QuorumRead {
        leader_id,
        leader_epoch: p.leader_epoch,
        high_watermark: p.high_watermark,
        voters,
        observers,
        endpoints,
        via,
    })
}

fn check(code: i16, message: Option<&str>) -> Result<(), QuorumError> {
    if code == 0 {
        return Ok(());
    }
    let text = match message {
        Some(m) if !m.is_empty() => format!("{}: {m}", error_text(code)),
        _ => error_text(code),
    };
    // CLUSTER_AUTHORIZATION_FAILED (31), TOPIC_AUTHORIZATION_FAILED (29).
    if code == 31 || code == 29 {
        return Err(QuorumError::NotAuthorized(text));
    }
    Err(QuorumError::Failed(format!(
        "DescribeQuorum failed: {text}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::describe_quorum_response::{
        Listener, Node, PartitionData as RespPartition, ReplicaState, TopicData as RespTopic,
    };
    use kafka_protocol::messages::BrokerId;

    fn state(id: i32, leo: i64, fetch: i64, caught_up: i64) -> ReplicaState {
        ReplicaState::default()
            .with_replica_id(BrokerId(id))
            .with_log_end_offset(leo)
            .with_last_fetch_timestamp(fetch)
            .with_last_caught_up_timestamp(caught_up)
    }

    fn answer(
        leader: i32,
        voters: Vec<ReplicaState>,
        observers: Vec<ReplicaState>,
    ) -> DescribeQuorumResponse {
        DescribeQuorumResponse::default().with_topics(vec![RespTopic::default()
            .with_topic_name(TopicName(StrBytes::from_static_str(METADATA_TOPIC)))
            .with_partitions(vec![RespPartition::default()
                .with_leader_id(BrokerId(leader))
                .with_leader_epoch(7)
                .with_high_watermark(1_000)
                .with_current_voters(voters)
                .with_observers(observers)])])
    }

    #[test]
    fn lags_follow_the_metadata_quorum_tool() {
        // Leader 1 at 1000; voter 2 one record behind; voter 3 12 000 records and 40 s behind.
        let resp = answer(
            1,
            vec![
                state(1, 13_000, -1, 1_700_000_100_000),
                state(2, 12_999, 1_700_000_099_900, 1_700_000_099_950),
                state(3, 1_000, 1_700_000_060_000, 1_700_000_060_000),
            ],
            vec![state(4, 13_000, 1_700_000_099_990, 1_700_000_099_990)],
        )
        .with_nodes(vec![Node::default()
            .with_node_id(BrokerId(1))
            .with_listeners(vec![Listener::default()
                .with_name(StrBytes::from_static_str("CONTROLLER"))
                .with_host(StrBytes::from_static_str("c1"))
                .with_port(9093)])]);
        let q = to_quorum(&resp, 2).unwrap();
        assert_eq!(q.leader_id, Some(1));
        assert_eq!(q.leader_epoch, 7);
        assert_eq!(q.via, 2);
        let lag = |id: i32| {
            let r = q
                .voters
                .iter()
                .chain(&q.observers)
                .find(|r| r.id == id)
                .unwrap();
            (r.lag, r.lag_ms)
        };
        assert_eq!(lag(1), (Some(0), Some(0)));
        assert_eq!(lag(2), (Some(1), Some(50)));
        assert_eq!(lag(3), (Some(12_000), Some(40_000)));
        assert_eq!(lag(4), (Some(0), Some(10)));
        // The leader's unknown last fetch stays unknown, not 1970.
        assert_eq!(q.voters[0].last_fetch_ms, None);
        // Voters only: the observer never counts toward MaxFollowerLag.
        assert_eq!(q.max_follower_lag(), (Some(12_000), Some(40_000)));
        assert_eq!(
            q.endpoints,
            vec![(1, "CONTROLLER".into(), "c1".into(), 9093)]
        );
    }

    #[test]
    fn v0_answers_have_no_times_and_no_leader_means_no_lag() {
        let q = to_quorum(
            &answer(1, vec![state(1, 10, -1, -1), state(2, 4, -1, -1)], vec![]),
            1,
        )
        .unwrap();
        assert_eq!(q.voters[1].lag, Some(6));
        assert_eq!(q.voters[1].lag_ms, None);
        // A voter the new leader never heard from (the old leader, killed): unknown, not 0.
        let q = to_quorum(
            &answer(1, vec![state(1, 10, -1, -1), state(2, -1, -1, -1)], vec![]),
            1,
        )
        .unwrap();
        assert_eq!(q.max_follower_lag(), (None, None));
        let q = to_quorum(&answer(-1, vec![state(1, 10, -1, -1)], vec![]), 1).unwrap();
        assert_eq!(q.leader_id, None);
        assert_eq!(q.voters[0].lag, None);
    }

    #[test]
    fn errors_are_checked_like_the_admin_client() {
        let refused = DescribeQuorumResponse::default().with_error_code(31);
        assert!(matches!(
            to_quorum(&refused, 1),
            Err(QuorumError::NotAuthorized(_))
        ));
        let mut not_leader = answer(1, vec![], vec![]);
        not_leader.topics[0].partitions[0].error_code = 6;
        let e = to_quorum(&not_leader, 1).unwrap_err().to_string();
        assert!(
            e.contains("NOT_LEADER_OR_FOLLOWER") || e.contains("NotLeaderOrFollower"),
            "{e}"
        );
        let wrong_topic = DescribeQuorumResponse::default().with_topics(vec![]);
        assert!(to_quorum(&wrong_topic, 1).is_err());
    }

    #[test]
    fn lags_match_the_cli_on_a_real_cluster_with_a_node_killed() {
        // `kafka-metadata-quorum.sh describe --replication` on Kafka 4.0 after node 3 was
        // killed: the same numbers as a DescribeQuorum answer give the CLI's Lag column.
        let table = include_str!(
            "../../tests/fixtures/kafka-cli/metadata-quorum_replication_kafka4.0_node3-killed.txt"
        );
        let rows: Vec<Vec<&str>> = table
            .lines()
            .skip(1)
            .map(|l| l.split('\t').map(str::trim).collect())
            .collect();
        let num = |s: &str| s.parse::<i64>().unwrap();
        let voters = rows
            .iter()
            .map(|r| state(num(r[0]) as i32, num(r[2]), num(r[4]), num(r[5])))
            .collect();
        let q = to_quorum(&answer(2, voters, vec![]), 1).unwrap();
        for r in &rows {
            let id = num(r[0]) as i32;
            let got = q.voters.iter().find(|v| v.id == id).unwrap();
            assert_eq!(got.lag, Some(num(r[3])), "node {id}");
        }
        assert_eq!(
            q.max_follower_lag(),
            (Some(105), Some(1_796_020_113_955 - 1_796_020_092_666))
        );
    }
}
