//! Which node is the active controller, and the metadata quorum as the API shows it. Pure:
//! the DescribeQuorum read (or why there is none) and the Metadata answer in, the view out.
//!
//! KRaft brokers answer Metadata with a random live broker as the controller, so on a
//! cluster that offers DescribeQuorum only the quorum leader is ever named; when the quorum
//! cannot be read the controller is unknown, and said to be. Brokers that do not offer
//! DescribeQuorum are from the ZooKeeper era, where Metadata names the real controller.

use std::collections::BTreeSet;

use kafscope_api as api;

use crate::http::state::rfc3339;
use crate::kafka::quorum::{QuorumError, QuorumRead, Replica};

/// A voter is caught up when this close to the leader (time where known, else records).
pub const CAUGHT_UP_MS: i64 = 10_000;
pub const CAUGHT_UP_RECORDS: i64 = 1_000;

/// What the snapshot says about the controller and the quorum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControllerView {
    pub controller_id: Option<i32>,
    /// `quorum` or `metadata`.
    pub source: Option<String>,
    pub quorum: Option<api::Quorum>,
    pub quorum_error: Option<String>,
    /// Whether the cluster is KRaft, as far as is known (kept from poll to poll).
    pub kraft: Option<bool>,
}

/// How this poll went at reading the quorum.
pub enum QuorumOutcome<'a> {
    Read(&'a QuorumRead),
    Failed(&'a QuorumError),
    /// Kafscope's own connections cannot reach this cluster (why).
    NoConnection(&'a str),
}

/// `brokers`: every broker id known (live, seen before, named as a replica), so a dead
/// combined node is still "combined". `kraft`: what earlier polls established.
pub fn resolve(
    outcome: QuorumOutcome,
    metadata_controller: Option<i32>,
    brokers: &BTreeSet<i32>,
    kraft: Option<bool>,
    now_ms: i64,
) -> ControllerView {
    let from_metadata = |kraft: Option<bool>, quorum_error: Option<String>| ControllerView {
        controller_id: metadata_controller,
        source: metadata_controller.map(|_| "metadata".to_string()),
        quorum: None,
        quorum_error,
        kraft,
    };
    match outcome {
        QuorumOutcome::Read(q) => ControllerView {
            controller_id: q.leader_id,
            source: q.leader_id.map(|_| "quorum".to_string()),
            quorum: Some(to_api(q, brokers, now_ms)),
            quorum_error: None,
            kraft: Some(true),
        },
        QuorumOutcome::Failed(QuorumError::Unsupported) => from_metadata(Some(false), None),
        // Known to be ZooKeeper-era: a failed read changes nothing.
        QuorumOutcome::Failed(_) if kraft == Some(false) => from_metadata(kraft, None),
        QuorumOutcome::Failed(e) => ControllerView {
            controller_id: None,
            source: None,
            quorum: None,
            quorum_error: Some(format!(
                "The active controller is not known: the metadata quorum could not be read ({e})"
            )),
            kraft,
        },
        // Without our own connection the cluster's kind is unknown: Metadata's answer is all
        // there is, and it is said to be unreliable on KRaft.
        QuorumOutcome::NoConnection(why) => from_metadata(
            kraft,
            Some(format!(
                "The metadata quorum is read over Kafscope's own connections, which this cluster \
                 cannot use ({why}); on a KRaft cluster the controller Metadata names is a random broker"
            )),
        ),
    }
}

fn to_api(q: &QuorumRead, brokers: &BTreeSet<i32>, now_ms: i64) -> api::Quorum {
    let voters: BTreeSet<i32> = q.voters.iter().map(|v| v.id).collect();
    let node_type = |id: i32| match (voters.contains(&id), brokers.contains(&id)) {
        (true, true) => "combined",
        (true, false) => "controller",
        _ => "broker",
    };
    let endpoints = |id: i32| -> Vec<String> {
        q.endpoints
            .iter()
            .filter(|(n, ..)| *n == id)
            .map(|(_, l, h, p)| format!("{l}://{h}:{p}"))
            .collect()
    };
    let replica = |r: &Replica, role: &str| api::QuorumReplica {
        id: r.id,
        role: role.to_string(),
        node_type: node_type(r.id).to_string(),
        directory_id: r.directory_id.clone(),
        log_end_offset: r.log_end_offset,
        lag: r.lag,
        lag_ms: r.lag_ms,
        last_fetch_at: r.last_fetch_ms.map(rfc3339),
        last_caught_up_at: r.last_caught_up_ms.map(rfc3339),
        endpoints: endpoints(r.id),
    };
    let (max_follower_lag, max_follower_lag_ms) = q.max_follower_lag();
    api::Quorum {
        leader_id: q.leader_id,
        leader_epoch: q.leader_epoch,
        high_watermark: q.high_watermark,
        max_follower_lag,
        max_follower_lag_ms,
        voters_caught_up: q
            .voters
            .iter()
            .filter(|v| q.leader_id.is_some() && caught_up(v))
            .count(),
        voters: q
            .voters
            .iter()
            .map(|v| {
                let role = if Some(v.id) == q.leader_id {
                    "leader"
                } else {
                    "follower"
                };
                replica(v, role)
            })
            .collect(),
        observers: q.observers.iter().map(|o| replica(o, "observer")).collect(),
        via: q.via,
        read_at: rfc3339(now_ms),
    }
}

fn caught_up(r: &Replica) -> bool {
    match (r.lag_ms, r.lag) {
        (Some(ms), _) => ms <= CAUGHT_UP_MS,
        (None, Some(n)) => n <= CAUGHT_UP_RECORDS,
        _ => false,
    }
}

/// The roles of a node that is in the metadata as a broker.
pub fn broker_roles(id: i32, quorum: Option<&api::Quorum>) -> Vec<String> {
    let mut roles = vec!["broker".to_string()];
    if quorum.is_some_and(|q| q.voters.iter().any(|v| v.id == id)) {
        roles.push("controller".to_string());
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(id: i32, lag: Option<i64>, lag_ms: Option<i64>) -> Replica {
        Replica {
            id,
            directory_id: None,
            log_end_offset: Some(100),
            last_fetch_ms: Some(1_000),
            last_caught_up_ms: None,
            lag,
            lag_ms,
        }
    }

    fn read(leader: Option<i32>) -> QuorumRead {
        QuorumRead {
            leader_id: leader,
            leader_epoch: 3,
            high_watermark: 100,
            voters: vec![
                r(1, Some(0), Some(0)),
                r(2, Some(5), Some(200)),
                r(3, Some(12_000), Some(40_000)),
            ],
            observers: vec![r(4, Some(0), Some(0))],
            endpoints: vec![(3, "CONTROLLER".into(), "c3".into(), 9093)],
            via: 2,
        }
    }

    #[test]
    fn the_quorum_leader_is_the_controller_whatever_metadata_says() {
        let brokers: BTreeSet<i32> = [1, 2, 4].into();
        let q = read(Some(1));
        let v = resolve(QuorumOutcome::Read(&q), Some(2), &brokers, None, 0);
        assert_eq!(v.controller_id, Some(1));
        assert_eq!(v.source.as_deref(), Some("quorum"));
        let quorum = v.quorum.unwrap();
        assert_eq!(quorum.voters_caught_up, 2);
        let kinds: Vec<(&str, &str)> = quorum
            .voters
            .iter()
            .chain(&quorum.observers)
            .map(|r| (r.role.as_str(), r.node_type.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("leader", "combined"),
                ("follower", "combined"),
                ("follower", "controller"),
                ("observer", "broker")
            ]
        );
        assert_eq!(quorum.voters[2].endpoints, ["CONTROLLER://c3:9093"]);
        assert_eq!(broker_roles(2, Some(&quorum)), ["broker", "controller"]);
        assert_eq!(broker_roles(4, Some(&quorum)), ["broker"]);
    }

    #[test]
    fn no_leader_no_controller_and_failures_never_name_a_random_broker() {
        let brokers: BTreeSet<i32> = [1, 2, 3].into();
        let q = read(None);
        let v = resolve(QuorumOutcome::Read(&q), Some(2), &brokers, None, 0);
        assert_eq!((v.controller_id, v.source), (None, None));
        assert_eq!(v.quorum.unwrap().voters_caught_up, 0);

        let e = QuorumError::NotAuthorized("CLUSTER_AUTHORIZATION_FAILED".into());
        let v = resolve(QuorumOutcome::Failed(&e), Some(2), &brokers, Some(true), 0);
        assert_eq!(v.controller_id, None);
        assert!(v.quorum_error.unwrap().contains("DESCRIBE on the CLUSTER"));

        // ZooKeeper era: Metadata's controller is the real one.
        let v = resolve(
            QuorumOutcome::Failed(&QuorumError::Unsupported),
            Some(2),
            &brokers,
            None,
            0,
        );
        assert_eq!(
            (v.controller_id, v.source.as_deref()),
            (Some(2), Some("metadata"))
        );
        assert_eq!(v.kraft, Some(false));
        // Once known to be ZooKeeper-era, a failed read (a hung broker) changes nothing.
        let hung = QuorumError::Failed("timed out".into());
        let v = resolve(
            QuorumOutcome::Failed(&hung),
            Some(2),
            &brokers,
            Some(false),
            0,
        );
        assert_eq!((v.controller_id, v.quorum_error), (Some(2), None));
    }
}
