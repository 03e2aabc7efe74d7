//! Executing a plan: claim it (one execution, whoever asks), check its preconditions again
//! against the cluster as it is now, make the change, and record the outcome with its audit
//! row in one transaction. A precondition that no longer holds refuses the plan (409) with
//! the first that changed, before anything is touched.

use std::collections::BTreeMap;

use kafscope_api::{Execution, ItemFailure, PlanDetail};
use serde_json::json;

use super::build::{member_lines, read_offsets};
use super::{action, ApiError, AppState};
use crate::collect::now_ms;
use crate::http::auth::{audit_entry, Principal};
use crate::http::state::rfc3339;
use crate::kafka::admin::{Admin, AdminError, ItemOutcome, ResourceKind};
use crate::kafka::OffsetSpec;
use crate::manage::offsets::changes;
use crate::store::plans::StoredPlan;

pub(super) struct Job {
    pub st: AppState,
    pub principal: Principal,
    pub cluster: String,
    pub admin: Admin,
    pub stored: StoredPlan,
    pub target: String,
}

/// What the change did.
struct Outcome {
    message: String,
    failures: Vec<ItemFailure>,
    /// Items attempted (to tell a partial failure from a whole one).
    attempted: usize,
}

fn item_failures<T>(outcomes: &[ItemOutcome<T>]) -> Vec<ItemFailure> {
    outcomes
        .iter()
        .filter_map(|o| {
            o.result.as_ref().err().map(|e| ItemFailure {
                item: format!("{}-{}", o.topic, o.partition),
                error: e.name(),
                message: e.sentence(),
            })
        })
        .collect()
}

/// A whole-request failure as the sentence to answer with: an exchange without an answer
/// may still have made the change.
fn whole(e: &AdminError) -> String {
    match e {
        AdminError::Unreachable(m) => format!(
            "{m} — no answer came, so the change may have been made: check the cluster before trying again"
        ),
        other => other.sentence(),
    }
}

impl Job {
    pub async fn run(self) -> Result<StoredPlan, ApiError> {
        let id = self.stored.plan.id;
        let claimed = self
            .st
            .store
            .claim_plan(id)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        if !claimed {
            return Err(ApiError::Conflict(format!(
                "plan {id} is being executed or was executed already"
            )));
        }
        if let Err(e) = self.preconditions().await {
            let _ = self.st.store.release_plan(id).await;
            let outcome = if matches!(e, ApiError::Conflict(_)) {
                "refused"
            } else {
                "failed"
            };
            let mut entry = audit_entry(
                &self.principal,
                action(&self.stored.plan.kind),
                Some(&self.cluster),
            );
            entry.outcome = outcome.into();
            entry.detail = json!({"plan": id, "precondition": e.to_string()}).to_string();
            if let Err(err) = self.st.store.audit(&entry, &self.target).await {
                tracing::error!(error = %err, "cannot write the audit row of a refused plan");
            }
            return Err(e);
        }
        let result = self.change().await;
        let (state, outcome, execution_message, failures) = match &result {
            Ok(o) if o.failures.is_empty() => ("executed", "done", o.message.clone(), Vec::new()),
            Ok(o) if o.failures.len() < o.attempted => (
                "partial",
                "failed",
                format!(
                    "{} {} of {} failed.",
                    o.message,
                    o.failures.len(),
                    o.attempted
                ),
                o.failures.clone(),
            ),
            Ok(o) => (
                "failed",
                "failed",
                "Nothing was changed: every item failed.".into(),
                o.failures.clone(),
            ),
            Err(e) => (
                "failed",
                "failed",
                whole(e),
                vec![ItemFailure {
                    item: self.stored.plan.target.clone(),
                    error: e.name(),
                    message: whole(e),
                }],
            ),
        };
        let execution = Execution {
            at: rfc3339(now_ms()),
            by: self.principal.display.clone(),
            outcome: if state == "partial" {
                "partial".into()
            } else {
                outcome.into()
            },
            message: execution_message.clone(),
            failures: failures.clone(),
            audit_id: None,
        };
        let mut entry = audit_entry(
            &self.principal,
            action(&self.stored.plan.kind),
            Some(&self.cluster),
        );
        entry.outcome = outcome.into();
        entry.detail = json!({
            "plan": id,
            "summary": self.stored.plan.summary,
            "result": execution_message,
            "failures": failures,
            "change": self.stored.plan.detail,
        })
        .to_string();
        // The change is made: its record must be written (once more after a moment, the
        // store may be busy); when it cannot be, the answer says so.
        let mut recorded = self
            .st
            .store
            .finish_plan(id, state, &execution, &entry, &self.target)
            .await;
        if recorded.is_err() {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            recorded = self
                .st
                .store
                .finish_plan(id, state, &execution, &entry, &self.target)
                .await;
        }
        let audit_id = match recorded {
            Ok(a) => Some(a),
            Err(err) => {
                tracing::error!(error = %err, plan = id, outcome = outcome, "cannot record the outcome of an executed plan");
                return Err(ApiError::Unavailable(format!(
                    "plan {id} was executed ({execution_message}) but its outcome and audit row could not be written to the store: {err}"
                )));
            }
        };
        if let Err(e) = result {
            let audit = audit_id
                .map(|a| format!(" (audit entry {a})"))
                .unwrap_or_default();
            let sentence = format!("{}{audit}", whole(&e));
            return Err(match ApiError::from(e) {
                ApiError::Forbidden(_) => ApiError::Forbidden(sentence),
                ApiError::NotFound(_) => ApiError::NotFound(sentence),
                ApiError::Conflict(_) => ApiError::Conflict(sentence),
                ApiError::BadRequest(_) => ApiError::BadRequest(sentence),
                ApiError::Unsupported(_) => ApiError::Unsupported(sentence),
                _ => ApiError::Unavailable(sentence),
            });
        }
        self.st
            .store
            .plan(&self.cluster, id)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("plan {id} vanished")))
    }

    /// Check again what the plan assumed; 409 with the first that no longer holds.
    async fn preconditions(&self) -> Result<(), ApiError> {
        let a = &self.admin;
        match &self.stored.plan.detail {
            PlanDetail::CreateTopic { name, .. } => {
                if a.layout().await?.leaders(name).is_some() {
                    return Err(ApiError::Conflict(format!(
                        "topic '{name}' exists now: it was created since the plan was made"
                    )));
                }
            }
            PlanDetail::AlterConfigs {
                resource,
                name,
                changes,
            } => {
                let kind = resource_kind(resource, name)?;
                let now: BTreeMap<String, Option<String>> = a
                    .describe_configs(kind, name)
                    .await?
                    .into_iter()
                    .map(|c| (c.name, c.value))
                    .collect();
                for c in changes.iter().filter(|c| !c.sensitive) {
                    let value = now.get(&c.name).cloned().flatten();
                    if value != c.before {
                        return Err(ApiError::Conflict(format!(
                            "'{}' changed since the plan was made: it was {}, it is {} now; make a new plan",
                            c.name,
                            c.before.as_deref().unwrap_or("unset"),
                            value.as_deref().unwrap_or("unset")
                        )));
                    }
                }
            }
            PlanDetail::AddPartitions { topic, from, .. } => {
                let n = a.layout().await?.leaders(topic).map(|l| l.len());
                if n != Some(*from as usize) {
                    return Err(ApiError::Conflict(match n {
                        Some(n) => format!(
                            "topic '{topic}' has {n} partitions now, not {from} as planned; make a new plan"
                        ),
                        None => format!("topic '{topic}' does not exist any more"),
                    }));
                }
            }
            PlanDetail::DeleteTopic {
                topic, topic_id, ..
            } => {
                if a.layout().await?.leaders(topic).is_none() {
                    return Err(ApiError::Conflict(format!(
                        "topic '{topic}' does not exist any more"
                    )));
                }
                if let Some(planned) = topic_id {
                    let now = a.topic_id(topic).await?;
                    if now.as_ref().is_some_and(|n| n != planned) {
                        return Err(ApiError::Conflict(format!(
                            "topic '{topic}' was deleted and made again since the plan was made (its id was {planned}, it is {} now): make a new plan",
                            now.unwrap_or_default()
                        )));
                    }
                }
            }
            PlanDetail::PurgeTopic {
                topic, partitions, ..
            } => {
                let parts: Vec<(String, i32)> = partitions
                    .iter()
                    .map(|p| (topic.clone(), p.partition))
                    .collect();
                let now =
                    read_offsets(&self.st, &self.cluster, &parts, OffsetSpec::Earliest).await?;
                for p in partitions {
                    let start = now.get(&(topic.clone(), p.partition)).copied();
                    if start != Some(p.earliest) {
                        return Err(ApiError::Conflict(format!(
                            "partition {} of '{topic}' starts at {} now, not {} as planned (retention or another purge removed records): make a new plan so its numbers are exact",
                            p.partition,
                            start.map(|s| s.to_string()).unwrap_or_else(|| "an unknown offset".into()),
                            p.earliest
                        )));
                    }
                }
            }
            PlanDetail::ResetOffsets {
                group, partitions, ..
            } => {
                let now = a.group_now(group).await?;
                refuse_members(group, &now.description)?;
                let committed: BTreeMap<(String, i32), Option<i64>> = now
                    .offsets
                    .iter()
                    .map(|(t, p, o)| ((t.clone(), *p), *o))
                    .collect();
                for m in partitions {
                    let c = committed
                        .get(&(m.topic.clone(), m.partition))
                        .copied()
                        .flatten();
                    if c != m.current {
                        return Err(ApiError::Conflict(format!(
                            "the committed offset of group '{group}' on {}-{} moved since the plan was made: it was {}, it is {} now; make a new plan",
                            m.topic,
                            m.partition,
                            m.current.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
                            c.map(|c| c.to_string()).unwrap_or_else(|| "none".into()),
                        )));
                    }
                }
            }
            PlanDetail::DeleteGroup { group, .. } => {
                let now = a.group_now(group).await?;
                refuse_members(group, &now.description)?;
            }
            PlanDetail::DeleteGroupOffsets { group, topic, .. } => {
                if let Ok(d) = a.group_now(group).await?.description {
                    let consuming: Vec<String> = member_lines(&d)
                        .into_iter()
                        .zip(&d.members)
                        .filter(|(_, m)| {
                            m.assignment.iter().any(|(t, _)| t == topic)
                                || m.subscribed_topics
                                    .as_ref()
                                    .is_some_and(|s| s.contains(topic))
                        })
                        .map(|(line, _)| line)
                        .collect();
                    if !consuming.is_empty() {
                        return Err(ApiError::Conflict(format!(
                            "members of group '{group}' consume '{topic}' now ({}): Kafka keeps a subscribed topic's offsets; stop them first",
                            consuming.join(", ")
                        )));
                    }
                }
            }
            PlanDetail::ElectLeaders { .. } => {}
        }
        Ok(())
    }

    /// Make the change.
    async fn change(&self) -> Result<Outcome, AdminError> {
        let a = &self.admin;
        let done = |message: String, attempted: usize| Outcome {
            message,
            failures: Vec::new(),
            attempted,
        };
        match &self.stored.plan.detail {
            PlanDetail::CreateTopic {
                name,
                partitions,
                replication_factor,
                configs,
            } => {
                let configs: BTreeMap<String, String> = configs
                    .iter()
                    .filter_map(|c| Some((c.name.clone(), c.after.clone()?)))
                    .collect();
                a.create_topic(name, *partitions, *replication_factor, &configs, false)
                    .await?;
                Ok(done(format!("Created topic '{name}'."), 1))
            }
            PlanDetail::AlterConfigs {
                resource,
                name,
                changes,
            } => {
                let kind = resource_kind(resource, name)
                    .map_err(|e| AdminError::Unsupported(e.to_string()))?;
                let ops: Vec<(String, Option<String>)> = changes
                    .iter()
                    .map(|c| {
                        let v = if c.to_default { None } else { c.after.clone() };
                        (c.name.clone(), v)
                    })
                    .collect();
                a.alter_configs(kind, name, &ops, false).await?;
                Ok(done(
                    format!(
                        "Changed {}.",
                        kafscope_api::fmt::plural(ops.len(), "config")
                    ),
                    1,
                ))
            }
            PlanDetail::AddPartitions { topic, to, .. } => {
                a.add_partitions(topic, *to, false).await?;
                Ok(done(format!("Topic '{topic}' has {to} partitions."), 1))
            }
            PlanDetail::DeleteTopic { topic, .. } => {
                a.delete_topic(topic).await?;
                Ok(done(format!("Deleted topic '{topic}'."), 1))
            }
            PlanDetail::PurgeTopic {
                topic, partitions, ..
            } => {
                let before: BTreeMap<i32, i64> = partitions
                    .iter()
                    .filter(|p| p.records > 0)
                    .map(|p| (p.partition, p.new_earliest))
                    .collect();
                let out = a.delete_records(topic, &before).await?;
                let failures = item_failures(&out);
                let removed: i64 = partitions
                    .iter()
                    .filter(|p| {
                        out.iter()
                            .any(|o| o.partition == p.partition && o.result.is_ok())
                    })
                    .map(|p| p.records)
                    .sum();
                Ok(Outcome {
                    message: format!(
                        "Deleted {} records from topic '{topic}'.",
                        kafscope_api::fmt::num(removed)
                    ),
                    attempted: out.len(),
                    failures,
                })
            }
            PlanDetail::ResetOffsets {
                group, partitions, ..
            } => {
                let commits: Vec<(String, i32, i64)> = partitions
                    .iter()
                    .filter(|m| changes(m))
                    .filter_map(|m| Some((m.topic.clone(), m.partition, m.new?)))
                    .collect();
                let removals: Vec<(String, i32)> = partitions
                    .iter()
                    .filter(|m| changes(m) && m.new.is_none())
                    .map(|m| (m.topic.clone(), m.partition))
                    .collect();
                // Two requests: a whole failure of one becomes its partitions' failures, so a
                // reset half made is `partial` (and revertible), never `failed`.
                let mut failures = Vec::new();
                let mut attempted = 0;
                if !commits.is_empty() {
                    let parts: Vec<(String, i32)> =
                        commits.iter().map(|(t, p, _)| (t.clone(), *p)).collect();
                    let out = each(a.commit_offsets(group, &commits).await, &parts);
                    attempted += out.len();
                    failures.extend(item_failures(&out));
                }
                if !removals.is_empty() {
                    let out = each(a.delete_offsets(group, &removals).await, &removals);
                    attempted += out.len();
                    failures.extend(item_failures(&out));
                }
                Ok(Outcome {
                    message: format!(
                        "Moved group '{group}' on {}.",
                        kafscope_api::fmt::plural(attempted - failures.len(), "partition")
                    ),
                    failures,
                    attempted,
                })
            }
            PlanDetail::DeleteGroup { group, .. } => {
                a.delete_group(group).await?;
                Ok(done(format!("Deleted group '{group}'."), 1))
            }
            PlanDetail::DeleteGroupOffsets {
                group,
                topic,
                offsets,
            } => {
                let parts: Vec<(String, i32)> = offsets
                    .iter()
                    .map(|m| (m.topic.clone(), m.partition))
                    .collect();
                let out = a.delete_offsets(group, &parts).await?;
                Ok(Outcome {
                    message: format!(
                        "Deleted the committed offsets of group '{group}' on topic '{topic}'."
                    ),
                    attempted: out.len(),
                    failures: item_failures(&out),
                })
            }
            PlanDetail::ElectLeaders { partitions } => {
                let parts: Vec<(String, i32)> = partitions
                    .iter()
                    .map(|m| (m.topic.clone(), m.partition))
                    .collect();
                let out = a.elect_preferred(&parts).await?;
                Ok(Outcome {
                    message: format!(
                        "Preferred leaders elected on {}.",
                        kafscope_api::fmt::plural(parts.len(), "partition")
                    ),
                    attempted: out.len(),
                    failures: item_failures(&out),
                })
            }
        }
    }
}

/// Per-partition outcomes, a whole failure given to every partition asked.
fn each(
    r: Result<Vec<ItemOutcome<()>>, AdminError>,
    asked: &[(String, i32)],
) -> Vec<ItemOutcome<()>> {
    match r {
        Ok(items) => items,
        Err(e) => asked
            .iter()
            .map(|(t, p)| ItemOutcome {
                topic: t.clone(),
                partition: *p,
                result: Err(e.clone()),
            })
            .collect(),
    }
}

fn resource_kind(resource: &str, name: &str) -> Result<ResourceKind, ApiError> {
    match resource {
        "topic" => Ok(ResourceKind::Topic),
        "cluster" => Ok(ResourceKind::ClusterDefault),
        "broker" => name
            .parse()
            .map(ResourceKind::Broker)
            .map_err(|_| ApiError::BadRequest(format!("'{name}' is not a broker id"))),
        other => Err(ApiError::BadRequest(format!("unknown resource '{other}'"))),
    }
}

/// 409 naming the members when the group has any. When the coordinator would not describe
/// the group, the broker's own refusal guards the change (Kafka refuses an offset commit
/// without a generation, and a group deletion, while the group has members).
fn refuse_members(
    group: &str,
    d: &Result<crate::kafka::GroupDescription, String>,
) -> Result<(), ApiError> {
    let Ok(d) = d else {
        return Ok(());
    };
    let members = member_lines(d);
    if members.is_empty() {
        return Ok(());
    }
    Err(ApiError::Conflict(format!(
        "group '{group}' is not empty: {} {} connected ({}); stop its consumers first",
        kafscope_api::fmt::plural(members.len(), "member"),
        if members.len() == 1 { "is" } else { "are" },
        members.join(", ")
    )))
}
