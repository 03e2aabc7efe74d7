//! Management operations as plans (DESIGN.md §7 "Changes are plans"): a change is first
//! described in numbers — what the broker says about it, what it moves, what it costs — and
//! only then made, after its preconditions are checked again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Kafka's limit on a topic name's length.
const MAX_NAME: usize = 249;
/// Kafka's rules for a topic name (`Topic.validate`): 1–249 characters of ASCII letters,
/// digits, `.`, `_` and `-`, and not `.` or `..`.
pub fn valid_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a topic needs a name".into());
    }
    if name == "." || name == ".." {
        return Err(format!("'{name}' cannot be a topic name"));
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "a topic name has at most {MAX_NAME} characters; this one has {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "'{}' is not allowed in a topic name: use letters, digits, '.', '_' and '-'",
            c.escape_default()
        ));
    }
    Ok(())
}

/// `key=value` lines as a map; the first bad line as an error.
pub fn parse_configs(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| format!("'{line}' is not key=value"))?;
        out.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(out)
}

/// What to change: the body of `POST /api/v1/clusters/{c}/plans`, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanRequest {
    /// A new topic; the broker validates it first (`validate_only`).
    CreateTopic {
        name: String,
        partitions: i32,
        replication_factor: i16,
        #[serde(default)]
        configs: BTreeMap<String, String>,
    },
    /// Topic configs set or returned to their default (IncrementalAlterConfigs).
    AlterTopicConfigs {
        topic: String,
        #[serde(default)]
        set: BTreeMap<String, String>,
        #[serde(default)]
        delete: Vec<String>,
    },
    /// Grow a topic to `total` partitions.
    AddPartitions {
        topic: String,
        total: i32,
    },
    DeleteTopic {
        topic: String,
    },
    /// Delete records before an offset or a time (DeleteRecords), on all or some partitions.
    PurgeTopic {
        topic: String,
        before: PurgeBefore,
        #[serde(default)]
        partitions: Option<Vec<i32>>,
    },
    /// Move a group's committed offsets. No topics: every topic it has committed on.
    ResetOffsets {
        group: String,
        #[serde(default)]
        topics: Vec<TopicSelection>,
        to: ResetTo,
    },
    DeleteGroup {
        group: String,
    },
    /// Delete a group's committed offsets for one topic (OffsetDelete).
    DeleteGroupOffsets {
        group: String,
        topic: String,
    },
    /// Dynamic broker configs: one broker, or (`broker` null) the cluster-wide default.
    AlterBrokerConfigs {
        broker: Option<i32>,
        #[serde(default)]
        set: BTreeMap<String, String>,
        #[serde(default)]
        delete: Vec<String>,
    },
    /// Preferred leader election. No partitions: every partition the snapshot shows away
    /// from its preferred leader.
    ElectLeaders {
        #[serde(default)]
        partitions: Option<Vec<TopicPartition>>,
    },
}

impl PlanRequest {
    /// The kind's name, as in the JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            PlanRequest::CreateTopic { .. } => "create_topic",
            PlanRequest::AlterTopicConfigs { .. } => "alter_topic_configs",
            PlanRequest::AddPartitions { .. } => "add_partitions",
            PlanRequest::DeleteTopic { .. } => "delete_topic",
            PlanRequest::PurgeTopic { .. } => "purge_topic",
            PlanRequest::ResetOffsets { .. } => "reset_offsets",
            PlanRequest::DeleteGroup { .. } => "delete_group",
            PlanRequest::DeleteGroupOffsets { .. } => "delete_group_offsets",
            PlanRequest::AlterBrokerConfigs { .. } => "alter_broker_configs",
            PlanRequest::ElectLeaders { .. } => "elect_leaders",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

/// Some partitions of a topic (`partitions` null: all of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicSelection {
    pub topic: String,
    #[serde(default)]
    pub partitions: Option<Vec<i32>>,
}

/// Where records are deleted up to (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PurgeBefore {
    /// Every record below this offset (clamped to each partition's end).
    Offset { offset: i64 },
    /// Every record written before this time (unix milliseconds).
    Time { at_ms: i64 },
}

/// Where a group's offsets go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResetTo {
    Earliest,
    Latest,
    /// The first record at or after this time (unix milliseconds); the end where none is.
    Timestamp {
        at_ms: i64,
    },
    /// This offset on every chosen partition (clamped to what the log holds).
    Offset {
        offset: i64,
    },
    /// The committed offset moved by `by` (negative: back).
    Shift {
        by: i64,
    },
    /// Back by a duration from now: the first record written since then.
    Duration {
        back_ms: i64,
    },
    /// Another group's committed offsets on the same partitions.
    Group {
        group: String,
    },
    /// Exact offsets per partition; `offset` null removes the committed offset (a revert of
    /// a partition that had none).
    Explicit {
        offsets: Vec<ExplicitOffset>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplicitOffset {
    pub topic: String,
    pub partition: i32,
    pub offset: Option<i64>,
}

/// A change described before it is made. `state`: `planned`, `executed` (done), `partial`
/// (some partitions or brokers failed: `execution.failures` names them), `failed`,
/// `expired` (not executed in time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    pub id: i64,
    pub cluster: String,
    pub kind: String,
    /// What it changes: `topic orders`, `group billing`, `broker 2`, `cluster`.
    pub target: String,
    /// The impact in one sentence with its numbers.
    pub summary: String,
    pub created_by: String,
    pub created_at: String,
    /// It cannot be executed after this.
    pub expires_at: String,
    pub state: String,
    pub detail: PlanDetail,
    /// What the user should know before confirming.
    pub warnings: Vec<String>,
    /// What is checked again at execution; it is refused (409) when one no longer holds.
    pub preconditions: Vec<String>,
    /// The broker's own verdict on the change, asked with `validate_only` where the API has it.
    pub verdict: Option<String>,
    /// Text that must be sent as `confirm` to execute (a destructive plan: the name).
    pub confirm: Option<String>,
    pub execution: Option<Execution>,
    /// This plan reverts that executed plan.
    pub reverts: Option<i64>,
    /// An executed offset reset can be reverted (its previous offsets are kept).
    pub revertible: bool,
}

/// What executing a plan did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Execution {
    pub at: String,
    pub by: String,
    /// `done`, `partial` or `failed`.
    pub outcome: String,
    pub message: String,
    /// Each partition, broker or topic that failed, with the reason as a sentence.
    pub failures: Vec<ItemFailure>,
    /// The audit row written for it.
    pub audit_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemFailure {
    /// `orders-3`, `broker 2`, `orders`.
    pub item: String,
    /// Kafka's error name (`NON_EMPTY_GROUP`) or `unreachable`.
    pub error: String,
    pub message: String,
}

/// The per-kind part of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanDetail {
    CreateTopic {
        name: String,
        partitions: i32,
        replication_factor: i16,
        /// The configs asked for (before = the default the broker would use otherwise).
        configs: Vec<ConfigChange>,
    },
    /// `resource`: `topic`, `broker` or `cluster` (the cluster-wide broker default).
    AlterConfigs {
        resource: String,
        name: String,
        changes: Vec<ConfigChange>,
    },
    AddPartitions {
        topic: String,
        from: i32,
        to: i32,
    },
    DeleteTopic {
        topic: String,
        /// The topic's id when the plan was made (Metadata v10+): a topic made again under
        /// the name since is not deleted by this plan.
        #[serde(default)]
        topic_id: Option<String>,
        partitions: i32,
        /// Records it holds now (sum of end − start offsets).
        records: Option<i64>,
        size_bytes: Option<i64>,
        /// Groups that committed on it recently.
        groups: Vec<GroupUse>,
    },
    PurgeTopic {
        topic: String,
        before: PurgeBefore,
        partitions: Vec<PurgeItem>,
        /// Records that will be deleted, all partitions.
        records: i64,
    },
    ResetOffsets {
        group: String,
        to: ResetTo,
        partitions: Vec<OffsetMove>,
        /// Records the group will skip (not read) and read again, all partitions.
        skipped: i64,
        reread: i64,
    },
    DeleteGroup {
        group: String,
        /// Its committed offsets, which go with it.
        offsets: Vec<OffsetMove>,
    },
    DeleteGroupOffsets {
        group: String,
        topic: String,
        offsets: Vec<OffsetMove>,
    },
    ElectLeaders {
        partitions: Vec<LeaderMove>,
    },
}

/// One config key before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigChange {
    pub name: String,
    /// `null`: not set (or sensitive: never shown).
    pub before: Option<String>,
    /// Where the value before came from (`default`, `dynamic_topic`, `static_broker`, …).
    pub before_source: Option<String>,
    /// The value after the change (for a key returned to its default, the default that
    /// applies then, where the broker says it); `null` when unknown or sensitive.
    pub after: Option<String>,
    /// The key is deleted, so its default applies again.
    #[serde(default)]
    pub to_default: bool,
    /// Values for people: `604800000` → `7 days`.
    pub before_human: Option<String>,
    pub after_human: Option<String>,
    /// What the key means, from the broker (DescribeConfigs documentation).
    pub documentation: Option<String>,
    /// The broker's type for it: `long`, `int`, `boolean`, `string`, `list`, `password`, …
    pub config_type: Option<String>,
    pub sensitive: bool,
}

/// A group that used a topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupUse {
    pub group: String,
    /// When it last committed, where the console saw it.
    pub last_commit_at: Option<String>,
    pub lag: Option<i64>,
    pub members: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurgeItem {
    pub partition: i32,
    pub earliest: i64,
    pub latest: i64,
    /// The start offset after the purge.
    pub new_earliest: i64,
    pub records: i64,
}

/// One partition's committed offset before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OffsetMove {
    pub topic: String,
    pub partition: i32,
    /// `null`: nothing committed.
    pub current: Option<i64>,
    /// `null`: the committed offset is removed.
    pub new: Option<i64>,
    pub earliest: Option<i64>,
    pub latest: Option<i64>,
    pub lag_before: Option<i64>,
    pub lag_after: Option<i64>,
    /// Records between the current and the new offset that will not be read.
    pub skipped: Option<i64>,
    /// Records before the current offset that will be read again.
    pub reread: Option<i64>,
    /// Why the new offset is not the one asked for (clamped, not found, …).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaderMove {
    pub topic: String,
    pub partition: i32,
    pub leader: Option<i32>,
    pub preferred: i32,
}

/// The configs of a topic, a broker or the cluster-wide default, with where each value comes
/// from (`GET …/topics/{t}/configs`, `…/brokers/{id}/configs`, `…/configs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigListing {
    pub resource: String,
    pub name: String,
    pub entries: Vec<ConfigItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigItem {
    pub name: String,
    /// `null` when sensitive or unset.
    pub value: Option<String>,
    pub human: Option<String>,
    /// `default`, `static_broker`, `dynamic_broker`, `dynamic_default_broker`,
    /// `dynamic_topic`, `dynamic_broker_logger`, `client_metrics`, `group`, `unknown`.
    pub source: String,
    pub sensitive: bool,
    /// Cannot be changed at run time.
    pub read_only: bool,
    pub documentation: Option<String>,
    pub config_type: Option<String>,
    /// Every place the key is set, highest precedence first.
    pub synonyms: Vec<ConfigSynonym>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigSynonym {
    pub name: String,
    pub value: Option<String>,
    pub source: String,
}

/// `POST …/plans/{id}/execute`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecuteRequest {
    /// The plan's `confirm` text, when it has one.
    #[serde(default)]
    pub confirm: Option<String>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn config_lines_and_topic_names() {
        let c = super::parse_configs("a=1\n\n b = 2 ").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c["b"], "2");
        assert!(super::parse_configs("novalue").is_err());
        assert!(super::valid_topic_name("orders.v2_eu-1").is_ok());
        assert!(super::valid_topic_name("a b").unwrap_err().contains("' '"));
    }
}
