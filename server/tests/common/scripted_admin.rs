//! TEST-ONLY: the scripted broker's answers to management requests, with Kafka's error codes
//! where Kafka gives them (KafkaApis, the group coordinator, the controller): CreateTopics
//! and CreatePartitions honour `validate_only`; OffsetCommit without a generation is refused
//! with UNKNOWN_MEMBER_ID while the group has members; DeleteGroups with NON_EMPTY_GROUP;
//! OffsetDelete with GROUP_SUBSCRIBED_TO_TOPIC for a topic a member owns; ElectLeaders says
//! ELECTION_NOT_NEEDED where the preferred replica leads. It edits the script, so what the
//! collector reads next shows the change.

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
    DeleteGroupsRequest, DeleteGroupsResponse, DeleteRecordsRequest, DeleteRecordsResponse,
    DeleteTopicsRequest, DeleteTopicsResponse, ElectLeadersRequest, ElectLeadersResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, OffsetCommitRequest,
    OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
};

use super::{not_coordinator, s, Script, ScriptPartition, ScriptTopic};

fn has_members(s_: &Script, group: &str) -> bool {
    s_.members.get(group).is_some_and(|m| !m.is_empty())
}

pub(super) fn create_topics(
    s_: &mut Script,
    brokers: &[i32],
    req: &CreateTopicsRequest,
) -> CreateTopicsResponse {
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let r = CreatableTopicResult::default().with_name(t.name.clone());
            let (code, message) = if s_.topics.iter().any(|x| x.name == name) {
                (36, format!("Topic '{name}' already exists."))
            } else if t.num_partitions < 1 {
                (
                    37,
                    "Number of partitions must be larger than 0.".to_string(),
                )
            } else if t.replication_factor < 1 || t.replication_factor as usize > brokers.len() {
                (
                    38,
                    format!(
                        "Replication factor: {} larger than available brokers: {}.",
                        t.replication_factor,
                        brokers.len()
                    ),
                )
            } else if let Some(c) = t.configs.iter().find(|c| {
                c.name.as_str() == "retention.ms"
                    && c.value
                        .as_deref()
                        .is_some_and(|v| v.parse::<i64>().map_or(true, |n| n < -1))
            }) {
                // As a CreateTopicPolicy would: a reason in the broker's words.
                (
                    44,
                    format!(
                        "retention.ms={} is not allowed here",
                        c.value.as_deref().unwrap_or("")
                    ),
                )
            } else {
                (0, String::new())
            };
            if code != 0 {
                return r
                    .with_error_code(code)
                    .with_error_message(Some(s(&message)));
            }
            let configs: Vec<(String, String)> = t
                .configs
                .iter()
                .map(|c| {
                    (
                        c.name.to_string(),
                        c.value.as_deref().unwrap_or("").to_string(),
                    )
                })
                .collect();
            if !req.validate_only {
                s_.topics.push(ScriptTopic {
                    name: name.clone(),
                    partitions: (0..t.num_partitions)
                        .map(|p| {
                            let replicas: Vec<i32> = (0..t.replication_factor as usize)
                                .map(|i| brokers[(p as usize + i) % brokers.len()])
                                .collect();
                            ScriptPartition {
                                leader: Some(replicas[0]),
                                isr: replicas.clone(),
                                replicas,
                                end_offset: 0,
                                size: 0,
                            }
                        })
                        .collect(),
                    configs: configs.clone(),
                });
            }
            r.with_num_partitions(t.num_partitions)
                .with_replication_factor(t.replication_factor)
                .with_configs(Some(
                    configs
                        .iter()
                        .map(|(k, v)| {
                            CreatableTopicConfigs::default()
                                .with_name(s(k))
                                .with_value(Some(s(v)))
                                .with_config_source(1)
                        })
                        .collect(),
                ))
        })
        .collect();
    CreateTopicsResponse::default().with_topics(topics)
}

pub(super) fn create_partitions(
    s_: &mut Script,
    req: &CreatePartitionsRequest,
) -> CreatePartitionsResponse {
    let results = req
        .topics
        .iter()
        .map(|t| {
            let r = CreatePartitionsTopicResult::default().with_name(t.name.clone());
            let Some(topic) = s_.topics.iter_mut().find(|x| x.name == t.name.0.as_str()) else {
                return r.with_error_code(3);
            };
            let have = topic.partitions.len() as i32;
            if t.count <= have {
                return r.with_error_code(37).with_error_message(Some(s(&format!(
                    "Topic currently has {have} partitions, which is higher than the requested {}.",
                    t.count
                ))));
            }
            if !req.validate_only {
                let template = topic.partitions[0].clone();
                for _ in have..t.count {
                    topic.partitions.push(ScriptPartition {
                        end_offset: 0,
                        size: 0,
                        ..template.clone()
                    });
                }
            }
            r
        })
        .collect();
    CreatePartitionsResponse::default().with_results(results)
}

pub(super) fn delete_topics(s_: &mut Script, req: &DeleteTopicsRequest) -> DeleteTopicsResponse {
    let names: Vec<String> = req
        .topic_names
        .iter()
        .map(|n| n.0.to_string())
        .chain(
            req.topics
                .iter()
                .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string())),
        )
        .collect();
    let responses = names
        .into_iter()
        .map(|n| {
            let before = s_.topics.len();
            s_.topics.retain(|t| t.name != n);
            DeletableTopicResult::default()
                .with_name(Some(kafka_protocol::messages::TopicName(s(&n))))
                .with_error_code(if s_.topics.len() < before { 0 } else { 3 })
        })
        .collect();
    DeleteTopicsResponse::default().with_responses(responses)
}

pub(super) fn delete_records(
    s_: &mut Script,
    me: i32,
    req: &DeleteRecordsRequest,
) -> DeleteRecordsResponse {
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let r = DeleteRecordsPartitionResult::default()
                        .with_partition_index(p.partition_index)
                        .with_low_watermark(-1);
                    let Some(part) = s_
                        .topics
                        .iter()
                        .find(|x| x.name == name)
                        .and_then(|x| x.partitions.get(p.partition_index as usize))
                    else {
                        return r.with_error_code(3);
                    };
                    if part.leader != Some(me) {
                        return r.with_error_code(6);
                    }
                    let end = part.end_offset;
                    let offset = if p.offset == -1 { end } else { p.offset };
                    if offset < 0 || offset > end {
                        return r.with_error_code(1);
                    }
                    let start = s_
                        .starts
                        .entry((name.clone(), p.partition_index))
                        .or_insert(0);
                    *start = (*start).max(offset);
                    r.with_low_watermark(*start)
                })
                .collect();
            DeleteRecordsTopicResult::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    DeleteRecordsResponse::default().with_topics(topics)
}

pub(super) fn elect_leaders(s_: &mut Script, req: &ElectLeadersRequest) -> ElectLeadersResponse {
    let results = req
        .topic_partitions
        .iter()
        .flatten()
        .map(|tp| {
            let topic = s_.topics.iter_mut().find(|x| x.name == tp.topic.0.as_str());
            let mut out = Vec::new();
            match topic {
                None => {
                    for p in &tp.partitions {
                        out.push(
                            PartitionResult::default()
                                .with_partition_id(*p)
                                .with_error_code(3),
                        );
                    }
                }
                Some(topic) => {
                    for p in &tp.partitions {
                        let r = PartitionResult::default().with_partition_id(*p);
                        let code = match topic.partitions.get_mut(*p as usize) {
                            None => 3,
                            Some(part) => {
                                let preferred = part.replicas[0];
                                if part.leader == Some(preferred) {
                                    84
                                } else if !part.isr.contains(&preferred) {
                                    80
                                } else {
                                    part.leader = Some(preferred);
                                    0
                                }
                            }
                        };
                        out.push(r.with_error_code(code));
                    }
                }
            }
            ReplicaElectionResult::default()
                .with_topic(tp.topic.clone())
                .with_partition_result(out)
        })
        .collect();
    ElectLeadersResponse::default().with_replica_election_results(results)
}

pub(super) fn offset_commit(
    s_: &mut Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &OffsetCommitRequest,
) -> OffsetCommitResponse {
    let group = req.group_id.0.to_string();
    let code = match not_coordinator(s_, ports, me, &group) {
        0 if req.generation_id_or_member_epoch < 0 && has_members(s_, &group) => 25,
        other => other,
    };
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let parts = t
                .partitions
                .iter()
                .map(|p| {
                    if code == 0 {
                        let offsets = s_.groups.entry(group.clone()).or_default();
                        offsets.retain(|(x, q, _)| {
                            !(x == t.name.0.as_str() && *q == p.partition_index)
                        });
                        offsets.push((t.name.0.to_string(), p.partition_index, p.committed_offset));
                    }
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(parts)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}

pub(super) fn offset_delete(
    s_: &mut Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &OffsetDeleteRequest,
) -> OffsetDeleteResponse {
    let group = req.group_id.0.to_string();
    let code = match not_coordinator(s_, ports, me, &group) {
        0 if !s_.groups.contains_key(&group) => 69,
        other => other,
    };
    if code != 0 {
        return OffsetDeleteResponse::default().with_error_code(code);
    }
    let owned: Vec<String> = s_
        .members
        .get(&group)
        .into_iter()
        .flatten()
        .flat_map(|m| m.assignment.iter().map(|(t, _)| t.clone()))
        .collect();
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let name = t.name.0.to_string();
            let subscribed = owned.contains(&name);
            let parts = t
                .partitions
                .iter()
                .map(|p| {
                    if !subscribed {
                        if let Some(o) = s_.groups.get_mut(&group) {
                            o.retain(|(x, q, _)| !(*x == name && *q == p.partition_index));
                        }
                    }
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(if subscribed { 86 } else { 0 })
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(parts)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}

pub(super) fn delete_groups(
    s_: &mut Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &DeleteGroupsRequest,
) -> DeleteGroupsResponse {
    let results = req
        .groups_names
        .iter()
        .map(|g| {
            let id = g.0.to_string();
            let code = match not_coordinator(s_, ports, me, &id) {
                0 if has_members(s_, &id) => 68,
                0 if !s_.groups.contains_key(&id) => 69,
                0 => {
                    s_.groups.remove(&id);
                    0
                }
                other => other,
            };
            DeletableGroupResult::default()
                .with_group_id(g.clone())
                .with_error_code(code)
        })
        .collect();
    DeleteGroupsResponse::default().with_results(results)
}

pub(super) fn incremental_alter_configs(
    s_: &mut Script,
    req: &IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let responses = req
        .resources
        .iter()
        .map(|r| {
            let name = r.resource_name.to_string();
            let out = AlterConfigsResourceResponse::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone());
            let configs = match r.resource_type {
                2 => match s_.topics.iter_mut().find(|t| t.name == name) {
                    Some(t) => &mut t.configs,
                    None => return out.with_error_code(3),
                },
                4 => s_.broker_configs.entry(name).or_default(),
                _ => return out.with_error_code(87),
            };
            if let Some(bad) = r.configs.iter().find(|c| {
                c.config_operation == 0 && c.value.as_deref().is_some_and(|v| v.is_empty())
            }) {
                return out.with_error_code(42).with_error_message(Some(s(&format!(
                    "Invalid value for configuration {}: empty",
                    bad.name.as_str()
                ))));
            }
            if !req.validate_only {
                for c in &r.configs {
                    configs.retain(|(k, _)| k != c.name.as_str());
                    if c.config_operation == 0 {
                        configs.push((
                            c.name.to_string(),
                            c.value.as_deref().unwrap_or("").to_string(),
                        ));
                    }
                }
            }
            out
        })
        .collect();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}
