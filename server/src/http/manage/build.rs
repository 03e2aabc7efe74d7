//! Building a plan: read what the change depends on now (fresh from Kafka, not from the
//! snapshot, where the numbers decide what happens), ask the broker's verdict with
//! `validate_only` where the API has it, and state the impact in numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafscope_api::fmt::{config_value, num, plural, span_ms};
use kafscope_api::{
    ConfigChange, GroupUse, LeaderMove, OffsetMove, Plan, PlanDetail, PlanRequest, PurgeBefore,
    ResetTo,
};

use super::ApiError;
use crate::collect::{now_ms, ClusterSnapshot};
use crate::http::state::rfc3339;
use crate::http::AppState;
use crate::kafka::admin::{Admin, ConfigRead, ResourceKind};
use crate::kafka::OffsetSpec;
use crate::manage::offsets::{changes, plan_move, Found, PartitionNow};
use crate::manage::topics::{collision, purge_item, valid_name, valid_size};

/// The verdict where the broker is not asked first.
const NOT_VALIDATED: &str = "Not checked by the broker beforehand (broker_validation = false for this cluster): it judges the change when the plan is executed.";
/// Partitions one offset plan may cover.
const MAX_PLAN_PARTITIONS: usize = 20_000;
/// Config keys one plan may change.
const MAX_KEYS: usize = 200;
/// A group active on a topic this recently is named when the topic is to be deleted.
const RECENT_MS: i64 = 24 * 3600 * 1000;

pub(super) struct Ctx<'a> {
    pub st: &'a AppState,
    pub cluster: &'a str,
    pub snap: Arc<ClusterSnapshot>,
    pub admin: &'a Admin,
    pub principal: &'a crate::http::auth::Principal,
}

impl Ctx<'_> {
    /// `view` on each topic a group change reads or moves: the group's permission does not
    /// open topics the principal may not see (`action` names the change for the audit).
    pub async fn may_see_topics<'t>(
        &self,
        topics: impl IntoIterator<Item = &'t String>,
        action: &str,
    ) -> Result<(), ApiError> {
        let topics: BTreeSet<&String> = topics.into_iter().collect();
        for t in topics {
            let r =
                crate::http::auth::Resource::cluster(self.cluster, self.snap.read_only).topic(t);
            self.st
                .allow_change(
                    self.principal,
                    crate::http::auth::Permission::View,
                    &r,
                    action,
                    &format!("topic {t}"),
                )
                .await?;
        }
        Ok(())
    }
}

/// A plan's content before it is kept.
pub(super) struct Built {
    pub summary: String,
    pub detail: PlanDetail,
    pub warnings: Vec<String>,
    pub preconditions: Vec<String>,
    pub verdict: Option<String>,
    pub confirm: Option<String>,
}

/// What the change is about, for people and the audit log.
pub(super) fn target_of(req: &PlanRequest) -> String {
    use PlanRequest::*;
    match req {
        CreateTopic { name, .. } => format!("topic {name}"),
        AlterTopicConfigs { topic, .. }
        | AddPartitions { topic, .. }
        | DeleteTopic { topic }
        | PurgeTopic { topic, .. } => format!("topic {topic}"),
        ResetOffsets { group, .. } | DeleteGroup { group } => format!("group {group}"),
        DeleteGroupOffsets { group, topic } => format!("group {group} on topic {topic}"),
        AlterBrokerConfigs {
            broker: Some(b), ..
        } => format!("broker {b}"),
        AlterBrokerConfigs { broker: None, .. } => "cluster-wide broker default".into(),
        ElectLeaders { .. } => "partition leaders".into(),
    }
}

pub(super) async fn build(ctx: &Ctx<'_>, req: PlanRequest) -> Result<Built, ApiError> {
    use PlanRequest::*;
    match req {
        CreateTopic {
            name,
            partitions,
            replication_factor,
            configs,
        } => create_topic(ctx, name, partitions, replication_factor, configs).await,
        AlterTopicConfigs { topic, set, delete } => {
            refuse_internal(ctx, &topic, "change the configs of")?;
            existing_topic(ctx, &topic)?;
            alter_configs(ctx, ResourceKind::Topic, &topic, set, delete).await
        }
        AlterBrokerConfigs {
            broker,
            set,
            delete,
        } => {
            let kind = match broker {
                Some(id) => {
                    if !ctx.snap.brokers.iter().any(|b| b.id == id) {
                        return Err(ApiError::NotFound(format!(
                            "broker {id} is not in cluster '{}'",
                            ctx.cluster
                        )));
                    }
                    ResourceKind::Broker(id)
                }
                None => ResourceKind::ClusterDefault,
            };
            alter_configs(ctx, kind, "", set, delete).await
        }
        AddPartitions { topic, total } => add_partitions(ctx, &topic, total).await,
        DeleteTopic { topic } => delete_topic(ctx, &topic).await,
        PurgeTopic {
            topic,
            before,
            partitions,
        } => purge_topic(ctx, &topic, before, partitions).await,
        ResetOffsets { group, topics, to } => reset_offsets(ctx, &group, topics, to).await,
        DeleteGroup { group } => delete_group(ctx, &group).await,
        DeleteGroupOffsets { group, topic } => delete_group_offsets(ctx, &group, &topic).await,
        ElectLeaders { partitions } => elect_leaders(ctx, partitions),
    }
}

fn existing_topic<'a>(
    ctx: &'a Ctx<'_>,
    topic: &str,
) -> Result<&'a crate::collect::snapshot::TopicState, ApiError> {
    ctx.snap.topics.get(topic).ok_or_else(|| {
        ApiError::NotFound(format!(
            "topic '{topic}' does not exist in cluster '{}'",
            ctx.cluster
        ))
    })
}

/// Internal topics (`__consumer_offsets`, `__transaction_state`, …) are Kafka's own.
fn refuse_internal(ctx: &Ctx<'_>, topic: &str, what: &str) -> Result<(), ApiError> {
    let internal = ctx
        .snap
        .topics
        .get(topic)
        .is_some_and(|t| t.summary.internal)
        || topic.starts_with("__");
    if internal {
        return Err(ApiError::BadRequest(format!(
            "'{topic}' is an internal topic: the console does not {what} it"
        )));
    }
    Ok(())
}

fn live_brokers(snap: &ClusterSnapshot) -> usize {
    snap.brokers
        .iter()
        .filter(|b| b.status == kafscope_api::BrokerStatus::Up)
        .count()
}

/// The value a key has where nothing more specific sets it: for a topic, its first synonym
/// that is not the topic's own setting.
fn default_of(c: &ConfigRead, own: &str) -> Option<(Option<String>, String)> {
    if c.source != own {
        return Some((c.value.clone(), c.source.to_string()));
    }
    c.synonyms
        .iter()
        .find(|s| s.source != own)
        .map(|s| (s.value.clone(), s.source.to_string()))
}

fn human(name: &str, config_type: Option<&str>, v: &Option<String>) -> Option<String> {
    v.as_deref()
        .and_then(|v| config_value(name, config_type, v))
}

async fn create_topic(
    ctx: &Ctx<'_>,
    name: String,
    partitions: i32,
    replication_factor: i16,
    configs: BTreeMap<String, String>,
) -> Result<Built, ApiError> {
    valid_name(&name).map_err(ApiError::BadRequest)?;
    valid_size(partitions, replication_factor, live_brokers(&ctx.snap))
        .map_err(ApiError::BadRequest)?;
    if configs.len() > MAX_KEYS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_KEYS} configs per topic"
        )));
    }
    if let Some(k) = configs.keys().find(|k| crate::config::is_secret_key(k)) {
        return Err(ApiError::BadRequest(format!(
            "'{k}' is a secret: set it outside the console (secrets do not pass through it)"
        )));
    }
    if ctx.snap.topics.contains_key(&name) {
        return Err(ApiError::Conflict(format!(
            "topic '{name}' exists already in cluster '{}'",
            ctx.cluster
        )));
    }
    let mut warnings: Vec<String> = collision(&name, ctx.snap.topics.keys())
        .into_iter()
        .collect();
    if name.starts_with("__") {
        warnings.push("names starting with '__' are by convention Kafka's internal topics".into());
    }
    // The broker's own verdict, and what it would make of the topic.
    let made = if ctx.admin.validates {
        let made = ctx
            .admin
            .create_topic(&name, partitions, replication_factor, &configs, true)
            .await?;
        // A broker that ignores validate_only has just created it: say so, loudly.
        if ctx.admin.layout().await?.leaders(&name).is_some() {
            tracing::warn!(cluster = ctx.cluster, topic = %name, "the broker created a topic it was only asked to validate");
            let mut e =
                crate::http::auth::audit_entry(ctx.principal, "topic.create", Some(ctx.cluster));
            e.detail = serde_json::json!({
                "note": "made by the broker while it was only asked to validate the topic (it ignores validate_only)",
                "partitions": partitions,
                "replication_factor": replication_factor,
            })
            .to_string();
            if let Err(err) = ctx.st.store.audit(&e, &format!("topic {name}")).await {
                tracing::error!(error = %err, "cannot write the audit row of a topic made while validating");
            }
            return Err(ApiError::Conflict(format!(
                "the broker created topic '{name}' while it was only asked to check it (it ignores validate_only): the topic exists now; set broker_validation = false for cluster '{}'",
                ctx.cluster
            )));
        }
        Some(made)
    } else {
        None
    };
    // Meanings and defaults of the keys asked for, from any existing topic (best effort): a
    // user topic first, else an internal one (a fresh cluster has only those) — the default
    // is read below the topic's own level, so its overrides do not matter.
    let sample = ctx
        .snap
        .topics
        .keys()
        .find(|t| !t.starts_with("__"))
        .or_else(|| ctx.snap.topics.keys().next());
    let known: BTreeMap<String, ConfigRead> = match sample {
        Some(any) if !configs.is_empty() => ctx
            .admin
            .describe_configs(ResourceKind::Topic, any)
            .await
            .map(|list| list.into_iter().map(|c| (c.name.clone(), c)).collect())
            .unwrap_or_default(),
        _ => BTreeMap::new(),
    };
    let changes: Vec<ConfigChange> = configs
        .iter()
        .map(|(k, v)| {
            let c = known.get(k);
            let config_type = c.and_then(|c| c.config_type);
            let (before, before_source) = c
                .and_then(|c| default_of(c, "dynamic_topic"))
                .map(|(v, s)| (v, Some(s)))
                .unwrap_or((None, None));
            let sensitive = c.is_some_and(|c| c.sensitive) || crate::config::is_secret_key(k);
            let after = Some(v.clone());
            ConfigChange {
                name: k.clone(),
                before_human: human(k, config_type, &before),
                after_human: human(k, config_type, &after),
                before,
                before_source,
                after,
                documentation: c.and_then(|c| c.documentation.clone()),
                config_type: config_type.map(String::from),
                sensitive,
                to_default: false,
            }
        })
        .collect();
    let verdict = match made {
        Some(m) if m.partitions > 0 => format!(
            "The broker accepts this topic (checked with validate_only): {} × {} replicas.",
            plural(m.partitions as usize, "partition"),
            m.replication_factor
        ),
        Some(_) => "The broker accepts this topic (checked with validate_only).".to_string(),
        None => NOT_VALIDATED.to_string(),
    };
    Ok(Built {
        summary: format!(
            "Create topic '{name}' with {}, replication factor {replication_factor}{}.",
            plural(partitions as usize, "partition"),
            if configs.is_empty() {
                String::new()
            } else {
                format!(" and {}", plural(configs.len(), "config"))
            }
        ),
        detail: PlanDetail::CreateTopic {
            name: name.clone(),
            partitions,
            replication_factor,
            configs: changes,
        },
        warnings,
        preconditions: vec![format!("topic '{name}' still does not exist")],
        verdict: Some(verdict),
        confirm: None,
    })
}

async fn alter_configs(
    ctx: &Ctx<'_>,
    kind: ResourceKind,
    topic: &str,
    set: BTreeMap<String, String>,
    delete: Vec<String>,
) -> Result<Built, ApiError> {
    if set.is_empty() && delete.is_empty() {
        return Err(ApiError::BadRequest(
            "name at least one config to set or to return to its default".into(),
        ));
    }
    if set.len() + delete.len() > MAX_KEYS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_KEYS} configs per change"
        )));
    }
    if let Some(k) = delete.iter().find(|k| set.contains_key(*k)) {
        return Err(ApiError::BadRequest(format!(
            "'{k}' is both set and returned to its default: choose one"
        )));
    }
    if let Some(k) = set
        .keys()
        .chain(delete.iter())
        .find(|k| k.trim().is_empty() || k.len() > 255)
    {
        return Err(ApiError::BadRequest(format!("'{k}' is not a config name")));
    }
    let own = match kind {
        ResourceKind::Topic => "dynamic_topic",
        ResourceKind::Broker(_) => "dynamic_broker",
        ResourceKind::ClusterDefault => "dynamic_default_broker",
    };
    let current: BTreeMap<String, ConfigRead> = ctx
        .admin
        .describe_configs(kind, topic)
        .await?
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    let mut warnings = Vec::new();
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let wanted = set
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .chain(delete.iter().map(|k| (k.clone(), None)));
    for (k, after) in wanted {
        let c = current.get(&k);
        if c.is_none() {
            warnings.push(format!(
                "the broker did not describe '{k}': check its name (the broker's verdict below is the judge)"
            ));
        }
        if let Some(c) = c {
            if c.read_only && !matches!(kind, ResourceKind::Topic) {
                return Err(ApiError::BadRequest(format!(
                    "'{k}' cannot be changed while the broker runs (it is read-only: set it in server.properties and restart)"
                )));
            }
        }
        let config_type = c.and_then(|c| c.config_type);
        let sensitive = c.is_some_and(|c| c.sensitive) || crate::config::is_secret_key(&k);
        let before = c.and_then(|c| c.value.clone());
        let before_source = c.map(|c| c.source.to_string());
        // Returned to its default: the value that applies then.
        let after_shown = match &after {
            Some(v) => (!sensitive).then(|| v.clone()),
            None => c.and_then(|c| {
                c.synonyms
                    .iter()
                    .find(|s| s.source != own)
                    .and_then(|s| s.value.clone())
            }),
        };
        let same = match &after {
            Some(v) => c.is_some_and(|c| c.source == own && c.value.as_deref() == Some(v)),
            None => c.is_some_and(|c| c.source != own),
        };
        if same && !sensitive {
            unchanged += 1;
            warnings.push(format!("'{k}' has that value already"));
        }
        if sensitive && after.is_some() {
            return Err(ApiError::BadRequest(format!(
                "'{k}' is a secret: set it in the broker's own configuration, not through the console (secrets do not pass through it)"
            )));
        }
        changes.push(ConfigChange {
            to_default: after.is_none(),
            before_human: human(&k, config_type, &before),
            after_human: human(&k, config_type, &after_shown),
            name: k,
            before,
            before_source,
            after: after_shown,
            documentation: c.and_then(|c| c.documentation.clone()),
            config_type: config_type.map(String::from),
            sensitive,
        });
    }
    if unchanged == changes.len() {
        return Err(ApiError::BadRequest(
            "nothing would change: every config has that value already".into(),
        ));
    }
    let ops: Vec<(String, Option<String>)> = set
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .chain(delete.into_iter().map(|k| (k, None)))
        .collect();
    let verdict = if ctx.admin.validates {
        ctx.admin.alter_configs(kind, topic, &ops, true).await?;
        "The broker accepts these values (checked with validate_only)."
    } else {
        NOT_VALIDATED
    };
    let (resource, name, what) = match kind {
        ResourceKind::Topic => ("topic", topic.to_string(), format!("topic '{topic}'")),
        ResourceKind::Broker(id) => ("broker", id.to_string(), format!("broker {id}")),
        ResourceKind::ClusterDefault => (
            "cluster",
            String::new(),
            "every broker (cluster-wide default)".to_string(),
        ),
    };
    let keys: Vec<&str> = changes.iter().map(|c| c.name.as_str()).collect();
    Ok(Built {
        summary: format!(
            "Change {} of {what}: {}.",
            plural(changes.len(), "config"),
            keys.join(", ")
        ),
        detail: PlanDetail::AlterConfigs {
            resource: resource.into(),
            name,
            changes,
        },
        warnings,
        preconditions: vec!["every key still has the value shown as before".into()],
        verdict: Some(verdict.into()),
        confirm: None,
    })
}

async fn add_partitions(ctx: &Ctx<'_>, topic: &str, total: i32) -> Result<Built, ApiError> {
    refuse_internal(ctx, topic, "add partitions to")?;
    let t = existing_topic(ctx, topic)?;
    let from = t.partitions.len() as i32;
    if total <= from {
        return Err(ApiError::BadRequest(format!(
            "topic '{topic}' has {} already: partitions can only be added (asked for {total})",
            plural(from as usize, "partition")
        )));
    }
    if total > crate::manage::topics::MAX_PARTITIONS {
        return Err(ApiError::BadRequest(format!(
            "at most {} partitions",
            crate::manage::topics::MAX_PARTITIONS
        )));
    }
    let verdict = if ctx.admin.validates {
        ctx.admin.add_partitions(topic, total, true).await?;
        "The broker accepts this change (checked with validate_only)."
    } else {
        NOT_VALIDATED
    };
    let mut warnings = vec![format!(
        "Records with a key go to partition hash(key) mod the partition count: after this change most keys map to another partition than before, so per-key order across the change is lost and compacted topics keep old values of a key in its old partition."
    )];
    if !t.groups.is_empty() {
        let names: Vec<&str> = t
            .groups
            .iter()
            .take(10)
            .map(|g| g.group_id.as_str())
            .collect();
        warnings.push(format!(
            "{} reading it will rebalance to take the new partitions (a consumer with auto.offset.reset=latest misses what is written to them before it joins): {}",
            plural(t.groups.len(), "group"),
            names.join(", ")
        ));
    }
    Ok(Built {
        summary: format!(
            "Grow topic '{topic}' from {from} to {total} partitions ({} new).",
            total - from
        ),
        detail: PlanDetail::AddPartitions {
            topic: topic.into(),
            from,
            to: total,
        },
        warnings,
        preconditions: vec![format!("topic '{topic}' still has {from} partitions")],
        verdict: Some(verdict.into()),
        confirm: None,
    })
}

/// Groups reading a topic, with when they were last active.
async fn groups_on(ctx: &Ctx<'_>, topic: &str) -> Vec<GroupUse> {
    let Some(t) = ctx.snap.topics.get(topic) else {
        return Vec::new();
    };
    let activity: BTreeMap<String, Option<i64>> = ctx
        .st
        .store
        .group_activity(ctx.cluster)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(g, _, last, _)| (g, last))
        .collect();
    t.groups
        .iter()
        .map(|g| GroupUse {
            group: g.group_id.clone(),
            last_commit_at: activity.get(&g.group_id).copied().flatten().map(rfc3339),
            lag: g.lag,
            members: ctx
                .snap
                .groups
                .get(&g.group_id)
                .and_then(|s| s.summary.members)
                .unwrap_or(0),
        })
        .collect()
}

async fn delete_topic(ctx: &Ctx<'_>, topic: &str) -> Result<Built, ApiError> {
    refuse_internal(ctx, topic, "delete")?;
    let t = existing_topic(ctx, topic)?;
    // Its id, so that a topic deleted and made again under the name is not deleted by this
    // plan (where the broker has ids).
    let topic_id = ctx.admin.topic_id(topic).await?;
    let records = t
        .partitions
        .iter()
        .map(|p| Some(p.high_watermark? - p.log_start_offset?))
        .sum::<Option<i64>>();
    let groups = groups_on(ctx, topic).await;
    let now = now_ms();
    let mut warnings = Vec::new();
    for g in &groups {
        let recent = g
            .last_commit_at
            .as_deref()
            .and_then(|at| {
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
            })
            .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
            .filter(|at| now - at < RECENT_MS);
        if g.members > 0 {
            warnings.push(format!(
                "group '{}' is reading it now ({}): its consumers will fail or wait for the topic",
                g.group,
                plural(g.members, "member")
            ));
        } else if let Some(at) = recent {
            warnings.push(format!(
                "group '{}' was active on it {} ago",
                g.group,
                span_ms(now - at)
            ));
        }
    }
    Ok(Built {
        summary: format!(
            "Delete topic '{topic}': {} and {} records, for good.",
            plural(t.partitions.len(), "partition"),
            records
                .map(num)
                .unwrap_or_else(|| "an unknown number of".into())
        ),
        detail: PlanDetail::DeleteTopic {
            topic_id,
            topic: topic.into(),
            partitions: t.partitions.len() as i32,
            records,
            size_bytes: ctx.snap.topic_dir_sizes.get(topic).map(|b| *b as i64),
            groups,
        },
        warnings,
        preconditions: vec![format!("topic '{topic}' still exists")],
        verdict: None,
        confirm: Some(topic.into()),
    })
}

/// Fresh offsets of these partitions (librdkafka's ListOffsets, per leader); 503 naming
/// the partitions that could not be read.
async fn offsets(
    ctx: &Ctx<'_>,
    parts: &[(String, i32)],
    spec: OffsetSpec,
) -> Result<BTreeMap<(String, i32), i64>, ApiError> {
    read_offsets(ctx.st, ctx.cluster, parts, spec).await
}

pub(super) async fn read_offsets(
    st: &AppState,
    cluster: &str,
    parts: &[(String, i32)],
    spec: OffsetSpec,
) -> Result<BTreeMap<(String, i32), i64>, ApiError> {
    if parts.is_empty() {
        return Ok(BTreeMap::new());
    }
    let client = st
        .clients
        .iter()
        .find(|(n, _)| n == cluster)
        .map(|(_, c)| c.clone())
        .ok_or_else(|| ApiError::NotFound(format!("cluster '{cluster}' is not configured")))?;
    let entries = client
        .list_offsets(parts.to_vec(), spec)
        .await
        .map_err(|e| ApiError::Unavailable(format!("offsets could not be read: {}", e.message)))?;
    let mut out = BTreeMap::new();
    let mut failed = Vec::new();
    for e in entries {
        match e.error {
            None => {
                out.insert((e.topic, e.partition), e.offset);
            }
            Some(err) => failed.push(format!("{}-{}: {err}", e.topic, e.partition)),
        }
    }
    if !failed.is_empty() {
        let more = if failed.len() > 5 {
            format!(" and {} more", failed.len() - 5)
        } else {
            String::new()
        };
        failed.truncate(5);
        return Err(ApiError::Unavailable(format!(
            "offsets of {}{more} could not be read; try again",
            failed.join(", ")
        )));
    }
    Ok(out)
}

/// A partition's start and end as read, or 503 when either is missing; an end read below
/// the start (two reads while leadership moved) is the start.
fn watermarks(
    earliest: &BTreeMap<(String, i32), i64>,
    latest: &BTreeMap<(String, i32), i64>,
    k: &(String, i32),
) -> Result<(i64, i64), ApiError> {
    match (earliest.get(k), latest.get(k)) {
        (Some(lo), Some(hi)) => Ok((*lo, (*hi).max(*lo))),
        _ => Err(ApiError::Unavailable(format!(
            "the offsets of {}-{} were not in the broker's answer; try again",
            k.0, k.1
        ))),
    }
}

async fn purge_topic(
    ctx: &Ctx<'_>,
    topic: &str,
    before: PurgeBefore,
    partitions: Option<Vec<i32>>,
) -> Result<Built, ApiError> {
    refuse_internal(ctx, topic, "purge")?;
    let t = existing_topic(ctx, topic)?;
    let all: BTreeSet<i32> = t.partitions.iter().map(|p| p.partition).collect();
    let chosen: BTreeSet<i32> = match partitions {
        Some(ps) if ps.is_empty() => {
            return Err(ApiError::BadRequest("choose at least one partition".into()))
        }
        Some(ps) => {
            if let Some(p) = ps.iter().find(|p| !all.contains(p)) {
                return Err(ApiError::BadRequest(format!(
                    "topic '{topic}' has no partition {p}"
                )));
            }
            ps.into_iter().collect()
        }
        None => all,
    };
    let parts: Vec<(String, i32)> = chosen.iter().map(|p| (topic.to_string(), *p)).collect();
    let earliest = offsets(ctx, &parts, OffsetSpec::Earliest).await?;
    let latest = offsets(ctx, &parts, OffsetSpec::Latest).await?;
    let targets: BTreeMap<(String, i32), i64> = match &before {
        PurgeBefore::Offset { offset } => {
            if *offset < 0 {
                return Err(ApiError::BadRequest("an offset is 0 or more".into()));
            }
            parts.iter().map(|k| (k.clone(), *offset)).collect()
        }
        PurgeBefore::Time { at_ms } => {
            if *at_ms < 0 {
                return Err(ApiError::BadRequest("a time is after 1970".into()));
            }
            let found = offsets(ctx, &parts, OffsetSpec::Timestamp(*at_ms)).await?;
            // No record at or after the time: every record is older.
            parts
                .iter()
                .map(|k| {
                    let o = found.get(k).copied().filter(|o| *o >= 0);
                    (
                        k.clone(),
                        o.unwrap_or_else(|| latest.get(k).copied().unwrap_or(0)),
                    )
                })
                .collect()
        }
    };
    let mut items = Vec::with_capacity(parts.len());
    for k in &parts {
        let (lo, hi) = watermarks(&earliest, &latest, k)?;
        items.push(purge_item(
            k.1,
            lo,
            hi,
            targets.get(k).copied().unwrap_or(lo),
        ));
    }
    let records: i64 = items.iter().map(|i| i.records).sum();
    if records == 0 {
        return Err(ApiError::BadRequest(format!(
            "nothing to purge: no record of '{topic}' lies before that point"
        )));
    }
    let touched = items.iter().filter(|i| i.records > 0).count();
    let mut warnings = Vec::new();
    for g in t.groups.iter() {
        if let Some(detail) = ctx.snap.groups.get(&g.group_id) {
            let unread: i64 = detail
                .detail
                .offsets
                .iter()
                .filter(|r| r.topic == topic)
                .filter_map(|r| {
                    let item = items.iter().find(|i| i.partition == r.partition)?;
                    let c = r.committed_offset?;
                    Some((item.new_earliest - c.max(item.earliest)).max(0))
                })
                .sum();
            if unread > 0 {
                warnings.push(format!(
                    "group '{}' has not read {} of these records: it will never see them",
                    g.group_id,
                    num(unread)
                ));
            }
        }
    }
    Ok(Built {
        summary: format!(
            "Delete {} records from {} of topic '{topic}'.",
            num(records),
            plural(touched, "partition")
        ),
        detail: PlanDetail::PurgeTopic {
            topic: topic.into(),
            before,
            partitions: items,
            records,
        },
        warnings,
        preconditions: vec![
            "each partition's start is still where it was (records written meanwhile are kept)"
                .into(),
        ],
        verdict: None,
        confirm: Some(topic.into()),
    })
}

/// What a plan says about a group's members: a warning when it has some or when they could
/// not be read (`what` says what Kafka refuses then).
fn members_warning(
    group: &str,
    d: &Result<crate::kafka::GroupDescription, String>,
    what: &str,
) -> Option<String> {
    match d {
        Ok(d) => {
            let members = member_lines(d);
            (!members.is_empty()).then(|| {
                format!(
                    "group '{group}' has {} now ({}): {what}",
                    plural(members.len(), "member"),
                    members.join(", ")
                )
            })
        }
        Err(e) => Some(format!(
            "the members of group '{group}' could not be read ({e}); Kafka itself refuses this while the group has members"
        )),
    }
}

/// Members of a group as one line each, for warnings and refusals.
pub(super) fn member_lines(d: &crate::kafka::GroupDescription) -> Vec<String> {
    d.members
        .iter()
        .map(|m| {
            let who = if m.client_id.is_empty() {
                m.member_id.clone()
            } else {
                format!("{} ({})", m.client_id, m.member_id)
            };
            if m.host.is_empty() {
                who
            } else {
                format!("{who} at {}", m.host.trim_start_matches('/'))
            }
        })
        .collect()
}

async fn reset_offsets(
    ctx: &Ctx<'_>,
    group: &str,
    topics: Vec<kafscope_api::TopicSelection>,
    to: ResetTo,
) -> Result<Built, ApiError> {
    let now = ctx.admin.group_now(group).await?;
    let committed: BTreeMap<(String, i32), i64> = now
        .offsets
        .iter()
        .filter_map(|(t, p, o)| Some(((t.clone(), *p), (*o)?)))
        .collect();
    // The partitions: explicit offsets name theirs; else the topics chosen (all partitions
    // unless narrowed), else every topic the group has committed on.
    let mut parts: BTreeSet<(String, i32)> = BTreeSet::new();
    let mut explicit: BTreeMap<(String, i32), Option<i64>> = BTreeMap::new();
    if let ResetTo::Explicit { offsets } = &to {
        for o in offsets {
            let t = existing_topic(ctx, &o.topic)?;
            if !t.partitions.iter().any(|p| p.partition == o.partition) {
                return Err(ApiError::BadRequest(format!(
                    "topic '{}' has no partition {}",
                    o.topic, o.partition
                )));
            }
            if o.offset.is_some_and(|x| x < 0) {
                return Err(ApiError::BadRequest("an offset is 0 or more".into()));
            }
            explicit.insert((o.topic.clone(), o.partition), o.offset);
            parts.insert((o.topic.clone(), o.partition));
        }
    } else {
        let selection = if topics.is_empty() {
            let names: BTreeSet<&String> = committed.keys().map(|(t, _)| t).collect();
            if names.is_empty() {
                return Err(ApiError::BadRequest(format!(
                    "group '{group}' has committed no offsets: choose the topics to set"
                )));
            }
            names
                .into_iter()
                .map(|t| kafscope_api::TopicSelection {
                    topic: t.clone(),
                    partitions: None,
                })
                .collect()
        } else {
            topics
        };
        for s in selection {
            let t = existing_topic(ctx, &s.topic)?;
            let all: BTreeSet<i32> = t.partitions.iter().map(|p| p.partition).collect();
            match s.partitions {
                Some(ps) => {
                    for p in ps {
                        if !all.contains(&p) {
                            return Err(ApiError::BadRequest(format!(
                                "topic '{}' has no partition {p}",
                                s.topic
                            )));
                        }
                        parts.insert((s.topic.clone(), p));
                    }
                }
                None => parts.extend(all.into_iter().map(|p| (s.topic.clone(), p))),
            }
        }
    }
    for (t, _) in &parts {
        existing_topic(ctx, t)?;
    }
    ctx.may_see_topics(parts.iter().map(|(t, _)| t), "offsets.reset")
        .await?;
    if parts.is_empty() {
        return Err(ApiError::BadRequest("choose at least one partition".into()));
    }
    if parts.len() > MAX_PLAN_PARTITIONS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_PLAN_PARTITIONS} partitions per plan; this covers {}",
            parts.len()
        )));
    }
    let list: Vec<(String, i32)> = parts.iter().cloned().collect();
    let earliest = offsets(ctx, &list, OffsetSpec::Earliest).await?;
    let latest = offsets(ctx, &list, OffsetSpec::Latest).await?;
    let found: BTreeMap<(String, i32), Found> = match &to {
        ResetTo::Timestamp { at_ms } => lookup_time(ctx, &list, *at_ms).await?,
        ResetTo::Duration { back_ms } => {
            if *back_ms <= 0 {
                return Err(ApiError::BadRequest(
                    "a duration back is more than 0".into(),
                ));
            }
            lookup_time(ctx, &list, now_ms() - back_ms).await?
        }
        ResetTo::Group { group: other } => {
            if other == group {
                return Err(ApiError::BadRequest(
                    "a group cannot be set to its own offsets".into(),
                ));
            }
            // Its offsets become part of the plan: the principal must be allowed to see them.
            let r =
                crate::http::auth::Resource::cluster(ctx.cluster, ctx.snap.read_only).group(other);
            ctx.st
                .allow_change(
                    ctx.principal,
                    crate::http::auth::Permission::View,
                    &r,
                    "offsets.reset",
                    &format!("group {other}"),
                )
                .await?;
            let theirs = ctx.admin.group_now(other).await?;
            let map: BTreeMap<(String, i32), i64> = theirs
                .offsets
                .iter()
                .filter_map(|(t, p, o)| Some(((t.clone(), *p), (*o)?)))
                .collect();
            list.iter()
                .map(|k| {
                    let f = map.get(k).map_or(Found::Missing, |o| Found::Offset(*o));
                    (k.clone(), f)
                })
                .collect()
        }
        ResetTo::Explicit { .. } => explicit
            .iter()
            .map(|(k, o)| (k.clone(), o.map_or(Found::Remove, Found::Offset)))
            .collect(),
        ResetTo::Offset { offset } if *offset < 0 => {
            return Err(ApiError::BadRequest("an offset is 0 or more".into()))
        }
        _ => BTreeMap::new(),
    };
    let mut moves: Vec<OffsetMove> = Vec::with_capacity(list.len());
    for k in &list {
        let (lo, hi) = watermarks(&earliest, &latest, k)?;
        let now = PartitionNow {
            topic: k.0.clone(),
            partition: k.1,
            current: committed.get(k).copied(),
            earliest: lo,
            latest: hi,
        };
        moves.push(plan_move(
            &now,
            &to,
            found.get(k).copied().unwrap_or(Found::Nothing),
        ));
    }
    let skipped: i64 = moves.iter().filter_map(|m| m.skipped).sum();
    let reread: i64 = moves.iter().filter_map(|m| m.reread).sum();
    let moved = moves.iter().filter(|m| changes(m)).count();
    if moved == 0 {
        return Err(ApiError::BadRequest(format!(
            "nothing would change: group '{group}' is at those offsets already"
        )));
    }
    let warnings: Vec<String> = members_warning(
        group,
        &now.description,
        "stop them before executing; a group with members is refused",
    )
    .into_iter()
    .collect();
    let topic_count = parts.iter().map(|(t, _)| t).collect::<BTreeSet<_>>().len();
    Ok(Built {
        summary: format!(
            "Move group '{group}' on {} of {}: {} records read again, {} skipped.",
            plural(moved, "partition"),
            plural(topic_count, "topic"),
            num(reread),
            num(skipped)
        ),
        detail: PlanDetail::ResetOffsets {
            group: group.into(),
            to,
            partitions: moves,
            skipped,
            reread,
        },
        warnings,
        preconditions: vec![
            format!("group '{group}' has no members"),
            "its committed offsets are still those shown as current".into(),
        ],
        verdict: None,
        confirm: None,
    })
}

async fn lookup_time(
    ctx: &Ctx<'_>,
    list: &[(String, i32)],
    at_ms: i64,
) -> Result<BTreeMap<(String, i32), Found>, ApiError> {
    if at_ms < 0 {
        return Err(ApiError::BadRequest("a time is after 1970".into()));
    }
    let found = offsets(ctx, list, OffsetSpec::Timestamp(at_ms)).await?;
    Ok(list
        .iter()
        .map(|k| {
            let f = match found.get(k) {
                Some(o) if *o >= 0 => Found::Offset(*o),
                _ => Found::Missing,
            };
            (k.clone(), f)
        })
        .collect())
}

fn committed_moves(offsets: &crate::kafka::GroupOffsets, topic: Option<&str>) -> Vec<OffsetMove> {
    offsets
        .iter()
        .filter(|(t, _, o)| o.is_some() && topic.is_none_or(|x| x == t))
        .map(|(t, p, o)| OffsetMove {
            topic: t.clone(),
            partition: *p,
            current: *o,
            new: None,
            earliest: None,
            latest: None,
            lag_before: None,
            lag_after: None,
            skipped: None,
            reread: None,
            note: None,
        })
        .collect()
}

async fn delete_group(ctx: &Ctx<'_>, group: &str) -> Result<Built, ApiError> {
    let now = ctx.admin.group_now(group).await?;
    let dead = now.description.as_ref().is_ok_and(|d| d.state == "Dead");
    if dead && now.offsets.is_empty() {
        return Err(ApiError::NotFound(format!(
            "group '{group}' does not exist in cluster '{}'",
            ctx.cluster
        )));
    }
    let offsets = committed_moves(&now.offsets, None);
    // Deleting the group deletes its commits on every topic: only for those who may see
    // each of them, as for resets and OffsetDelete.
    let topics: BTreeSet<String> = offsets.iter().map(|m| m.topic.clone()).collect();
    ctx.may_see_topics(&topics, "group.delete").await?;
    let warnings: Vec<String> =
        members_warning(group, &now.description, "Kafka deletes only empty groups")
            .into_iter()
            .collect();
    Ok(Built {
        summary: format!(
            "Delete group '{group}' and its committed offsets on {} of {}.",
            plural(offsets.len(), "partition"),
            plural(topics.len(), "topic")
        ),
        detail: PlanDetail::DeleteGroup {
            group: group.into(),
            offsets,
        },
        warnings,
        preconditions: vec![format!("group '{group}' has no members")],
        verdict: None,
        confirm: Some(group.into()),
    })
}

async fn delete_group_offsets(ctx: &Ctx<'_>, group: &str, topic: &str) -> Result<Built, ApiError> {
    ctx.may_see_topics([&topic.to_string()], "group.delete_offsets")
        .await?;
    let now = ctx.admin.group_now(group).await?;
    let offsets = committed_moves(&now.offsets, Some(topic));
    if offsets.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "group '{group}' has no committed offsets on topic '{topic}'"
        )));
    }
    let mut warnings = Vec::new();
    if now
        .description
        .as_ref()
        .is_ok_and(|d| !d.members.is_empty())
    {
        warnings.push(format!(
            "group '{group}' has members: Kafka refuses while one of them subscribes to '{topic}' (GROUP_SUBSCRIBED_TO_TOPIC)"
        ));
    }
    Ok(Built {
        summary: format!(
            "Delete the committed offsets of group '{group}' on {} of topic '{topic}'.",
            plural(offsets.len(), "partition")
        ),
        detail: PlanDetail::DeleteGroupOffsets {
            group: group.into(),
            topic: topic.into(),
            offsets,
        },
        warnings,
        preconditions: vec![format!("no member of '{group}' subscribes to '{topic}'")],
        verdict: None,
        confirm: Some(group.into()),
    })
}

fn elect_leaders(
    ctx: &Ctx<'_>,
    partitions: Option<Vec<kafscope_api::TopicPartition>>,
) -> Result<Built, ApiError> {
    let mut moves = Vec::new();
    let mut warnings = Vec::new();
    let wanted: Option<BTreeSet<(String, i32)>> =
        partitions.map(|ps| ps.into_iter().map(|p| (p.topic, p.partition)).collect());
    if let Some(w) = &wanted {
        if w.is_empty() {
            return Err(ApiError::BadRequest("choose at least one partition".into()));
        }
        for (t, p) in w {
            let known = ctx
                .snap
                .topics
                .get(t)
                .is_some_and(|s| s.partitions.iter().any(|x| x.partition == *p));
            if !known {
                return Err(ApiError::NotFound(format!(
                    "partition {p} of topic '{t}' does not exist"
                )));
            }
        }
    }
    for (name, t) in &ctx.snap.topics {
        for p in &t.partitions {
            if wanted
                .as_ref()
                .is_some_and(|w| !w.contains(&(name.clone(), p.partition)))
            {
                continue;
            }
            let Some(&preferred) = p.replicas.first() else {
                continue;
            };
            if p.leader == Some(preferred) {
                continue;
            }
            if !p.isr.contains(&preferred) {
                warnings.push(format!(
                    "partition {} of '{name}': its preferred replica {preferred} is out of sync, so it cannot lead now (left out)",
                    p.partition
                ));
                continue;
            }
            moves.push(LeaderMove {
                topic: name.clone(),
                partition: p.partition,
                leader: p.leader,
                preferred,
            });
        }
    }
    if moves.is_empty() {
        return Err(ApiError::BadRequest(
            "every partition asked for is led by its preferred replica already (or it cannot lead now)"
                .into(),
        ));
    }
    let mut gains: BTreeMap<i32, usize> = BTreeMap::new();
    for m in &moves {
        *gains.entry(m.preferred).or_default() += 1;
    }
    let gains: Vec<String> = gains
        .iter()
        .map(|(b, n)| format!("broker {b} takes {}", plural(*n, "partition")))
        .collect();
    Ok(Built {
        summary: format!(
            "Move the leadership of {} back to the preferred replica: {}.",
            plural(moves.len(), "partition"),
            gains.join(", ")
        ),
        detail: PlanDetail::ElectLeaders { partitions: moves },
        warnings,
        preconditions: vec![
            "each preferred replica is still in sync (the controller checks it)".into(),
        ],
        verdict: None,
        confirm: None,
    })
}

/// The topics a group change reads or moves (none for other kinds).
pub(super) fn group_change_topics(d: &PlanDetail) -> BTreeSet<String> {
    match d {
        PlanDetail::ResetOffsets { partitions, .. }
        | PlanDetail::DeleteGroup {
            offsets: partitions,
            ..
        }
        | PlanDetail::DeleteGroupOffsets {
            offsets: partitions,
            ..
        } => partitions.iter().map(|m| m.topic.clone()).collect(),
        _ => BTreeSet::new(),
    }
}

/// The reset that puts an executed reset's partitions back where they were.
pub(super) fn revert_request(plan: &Plan) -> Result<PlanRequest, ApiError> {
    let PlanDetail::ResetOffsets {
        group, partitions, ..
    } = &plan.detail
    else {
        return Err(ApiError::Conflict(format!(
            "plan {} is not an offset reset",
            plan.id
        )));
    };
    let failed: BTreeSet<String> = plan
        .execution
        .as_ref()
        .map(|e| e.failures.iter().map(|f| f.item.clone()).collect())
        .unwrap_or_default();
    let offsets: Vec<kafscope_api::ExplicitOffset> = partitions
        .iter()
        .filter(|m| changes(m) && !failed.contains(&format!("{}-{}", m.topic, m.partition)))
        .map(|m| kafscope_api::ExplicitOffset {
            topic: m.topic.clone(),
            partition: m.partition,
            offset: m.current,
        })
        .collect();
    if offsets.is_empty() {
        return Err(ApiError::Conflict(format!(
            "plan {} moved no offset: there is nothing to revert",
            plan.id
        )));
    }
    Ok(PlanRequest::ResetOffsets {
        group: group.clone(),
        topics: Vec::new(),
        to: ResetTo::Explicit { offsets },
    })
}
