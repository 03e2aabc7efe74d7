//! Problems of the KRaft metadata quorum: no leader, a majority at risk, voters and brokers
//! behind the leader, a quorum that cannot be read.

use kafscope_api::fmt;
use kafscope_api::{Problem, Severity};
use kafscope_api::{Quorum, QuorumReplica};

use super::{problem, Input};

/// A voter this far behind is a warning; ten times as far, critical.
const VOTER_LAG_WARN_MS: i64 = 10_000;
/// Records behind when the leader gives no times (DescribeQuorum v0): the same line as
/// "caught up", so a voter is either caught up or named as behind.
const VOTER_LAG_WARN_RECORDS: i64 = crate::collect::controller::CAUGHT_UP_RECORDS;
/// A broker's metadata this far behind serves stale metadata to clients.
const OBSERVER_LAG_WARN_MS: i64 = 30_000;

pub fn problems(input: &Input, out: &mut Vec<Problem>) {
    if let Some(q) = input.quorum {
        of_quorum(q, out);
    } else if let Some(e) = input.quorum_error {
        out.push(problem(
            "quorum_unreadable".into(),
            "quorum_unreadable",
            Severity::Info,
            format!("{e}."),
            None,
            &[],
            vec![],
        ));
    }
}

fn of_quorum(q: &Quorum, out: &mut Vec<Problem>) {
    let voters = q.voters.len();
    let majority = voters / 2 + 1;
    let Some(leader) = q.leader_id else {
        out.push(problem(
            "quorum_no_leader".into(),
            "quorum_no_leader",
            Severity::Critical,
            format!(
                "The metadata quorum has no leader (epoch {}, {} voters): no controller is active, \
                 so leadership changes, topic changes and broker registrations wait",
                q.leader_epoch, voters
            ),
            None,
            &[],
            q.voters.iter().map(|v| v.id).collect(),
        ));
        return;
    };
    for v in q.voters.iter().filter(|v| v.role == "follower") {
        if let Some((severity, behind)) = behind(v, VOTER_LAG_WARN_MS) {
            out.push(problem(
                format!("quorum_lag:{}", v.id),
                "quorum_lag",
                severity,
                match behind {
                    Some(behind) => format!(
                        "Controller {} is {behind} behind the quorum leader {leader}",
                        v.id
                    ),
                    None => format!(
                        "Controller {} has not fetched from the quorum leader {leader} since it \
                         was elected (epoch {}): it is down or cut off, how far behind is unknown",
                        v.id, q.leader_epoch
                    ),
                },
                None,
                &[],
                vec![v.id],
            ));
        }
    }
    for o in &q.observers {
        if let Some((severity, behind)) = behind(o, OBSERVER_LAG_WARN_MS) {
            out.push(problem(
                format!("metadata_lag:{}", o.id),
                "metadata_lag",
                severity.min(Severity::Warning),
                match behind {
                    Some(behind) => format!(
                        "Broker {}'s metadata is {behind} behind the quorum leader {leader}: it \
                         serves clients an old view of leaders and topics",
                        o.id
                    ),
                    None => format!(
                        "Broker {} has not fetched metadata from the quorum leader {leader} \
                         since it was elected: it may serve clients an old view",
                        o.id
                    ),
                },
                None,
                &[],
                vec![o.id],
            ));
        }
    }
    // A single-voter quorum (a development cluster) is always one failure from loss.
    if voters >= 3 && q.voters_caught_up <= majority {
        let lagging: Vec<i32> = q
            .voters
            .iter()
            .filter(|v| {
                v.role != "leader" && behind(v, crate::collect::controller::CAUGHT_UP_MS).is_some()
            })
            .map(|v| v.id)
            .collect();
        let (severity, consequence) = if q.voters_caught_up < majority {
            (
                Severity::Critical,
                "the leader cannot commit metadata changes until one catches up".to_string(),
            )
        } else {
            (
                Severity::Warning,
                "one more failure loses the quorum".to_string(),
            )
        };
        out.push(problem(
            "quorum_at_risk".into(),
            "quorum_at_risk",
            severity,
            format!(
                "Only {} of {voters} metadata quorum voters are caught up: {consequence}",
                q.voters_caught_up
            ),
            None,
            &[],
            lagging,
        ));
    }
}

/// How far behind, with its severity, when past `warn_ms` (or past the record threshold when
/// the leader gives no times); `None` when close enough. A replica the leader has no offset
/// for (it has not fetched since the election) is critical, at an unknown distance (`None`).
fn behind(r: &QuorumReplica, warn_ms: i64) -> Option<(Severity, Option<String>)> {
    match (r.lag_ms, r.lag) {
        (Some(ms), lag) if ms > warn_ms => {
            let severity = if ms > warn_ms * 6 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let records = lag.map(|n| format!("{} records / ", fmt::num(n)));
            Some((
                severity,
                Some(format!(
                    "{}{}",
                    records.unwrap_or_default(),
                    fmt::span_ms(ms)
                )),
            ))
        }
        (Some(_), _) => None,
        (None, Some(n)) if n > VOTER_LAG_WARN_RECORDS => {
            Some((Severity::Warning, Some(format!("{} records", fmt::num(n)))))
        }
        (None, Some(_)) => None,
        (None, None) if r.log_end_offset.is_none() => Some((Severity::Critical, None)),
        (None, None) => None,
    }
}
