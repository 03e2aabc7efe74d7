//! Topic changes: CreateTopics, CreatePartitions, DeleteTopics, DeleteRecords, and
//! ElectLeaders (preferred replica election).

use std::collections::BTreeMap;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::elect_leaders_request::TopicPartitions;
use kafka_protocol::messages::{
    ApiKey, CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest,
    CreateTopicsResponse, DeleteRecordsRequest, DeleteRecordsResponse, DeleteTopicsRequest,
    DeleteTopicsResponse, ElectLeadersRequest, ElectLeadersResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::{advice, check, exchange, retry_moved, About, Admin, AdminError, ItemOutcome, Layout};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, MetadataResponse};

const CREATE_TOPICS: (i16, i16) = (2, 7);
const CREATE_PARTITIONS: (i16, i16) = (0, 3);
const DELETE_TOPICS: (i16, i16) = (1, 6);
const DELETE_RECORDS: (i16, i16) = (0, 2);
const ELECT_LEADERS: (i16, i16) = (0, 2);

/// ELECTION_NOT_NEEDED: the preferred replica leads already.
const ELECTION_NOT_NEEDED: i16 = 84;

fn topic_name(s: &str) -> TopicName {
    TopicName(StrBytes::from(s.to_string()))
}

/// What the broker made (or would make, validating) of a new topic.
#[derive(Debug, Clone, Default)]
pub struct CreatedTopic {
    /// −1 where the broker did not say (before CreateTopics v5).
    pub partitions: i32,
    pub replication_factor: i16,
    /// The topic's configs as the broker would apply them: (name, value, source code,
    /// sensitive). Empty before v5.
    pub configs: Vec<(String, Option<String>, i8, bool)>,
}

impl Admin {
    /// CreateTopics for one topic; `validate_only` asks the broker's verdict without creating.
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<CreatedTopic, AdminError> {
        retry_moved(|| {
            self.create_topic_once(name, partitions, replication_factor, configs, validate_only)
        })
        .await
    }

    async fn create_topic_once(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<CreatedTopic, AdminError> {
        let layout = self.layout().await?;
        let mut s = self.controller(&layout).await?;
        let v = s
            .version(ApiKey::CreateTopics, CREATE_TOPICS)
            .map_err(exchange)?;
        let topic = CreatableTopic::default()
            .with_name(topic_name(name))
            .with_num_partitions(partitions)
            .with_replication_factor(replication_factor)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from(k.clone()))
                            .with_value(Some(StrBytes::from(v.clone())))
                    })
                    .collect(),
            );
        let req = CreateTopicsRequest::default()
            .with_topics(vec![topic])
            .with_timeout_ms(self.op_timeout_ms())
            .with_validate_only(validate_only);
        let resp: CreateTopicsResponse = s
            .call(ApiKey::CreateTopics, v, &req)
            .await
            .map_err(exchange)?;
        let t = resp
            .topics
            .into_iter()
            .find(|t| t.name.0.as_str() == name)
            .ok_or_else(|| {
                AdminError::Unreachable(format!("CreateTopics: no answer for '{name}'"))
            })?;
        let about = About {
            topic: Some(name),
            ..Default::default()
        };
        check(t.error_code, &about, t.error_message.as_deref())?;
        Ok(CreatedTopic {
            partitions: t.num_partitions,
            replication_factor: t.replication_factor,
            configs: t
                .configs
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    let value = if c.is_sensitive {
                        None
                    } else {
                        c.value.map(|v| v.to_string())
                    };
                    (c.name.to_string(), value, c.config_source, c.is_sensitive)
                })
                .collect(),
        })
    }

    /// CreatePartitions: grow `topic` to `total` partitions.
    pub async fn add_partitions(
        &self,
        topic: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), AdminError> {
        retry_moved(|| self.add_partitions_once(topic, total, validate_only)).await
    }

    async fn add_partitions_once(
        &self,
        topic: &str,
        total: i32,
        validate_only: bool,
    ) -> Result<(), AdminError> {
        let layout = self.layout().await?;
        let mut s = self.controller(&layout).await?;
        let v = s
            .version(ApiKey::CreatePartitions, CREATE_PARTITIONS)
            .map_err(exchange)?;
        let req = CreatePartitionsRequest::default()
            .with_topics(vec![CreatePartitionsTopic::default()
                .with_name(topic_name(topic))
                .with_count(total)
                .with_assignments(None)])
            .with_timeout_ms(self.op_timeout_ms())
            .with_validate_only(validate_only);
        let resp: CreatePartitionsResponse = s
            .call(ApiKey::CreatePartitions, v, &req)
            .await
            .map_err(exchange)?;
        let r = resp
            .results
            .into_iter()
            .find(|r| r.name.0.as_str() == topic)
            .ok_or_else(|| AdminError::Unreachable("CreatePartitions: no answer".into()))?;
        check(
            r.error_code,
            &About {
                topic: Some(topic),
                ..Default::default()
            },
            r.error_message.as_deref(),
        )
    }

    /// DeleteTopics for one topic, by name.
    pub async fn delete_topic(&self, topic: &str) -> Result<(), AdminError> {
        retry_moved(|| self.delete_topic_once(topic)).await
    }

    /// The topic's id (Metadata v10+), to tell a topic from one deleted and created again
    /// under its name; `None` where the broker has no ids.
    pub async fn topic_id(&self, topic: &str) -> Result<Option<String>, AdminError> {
        let layout = self.layout().await?;
        let mut s = self.any(&layout).await?;
        let v = s.version(ApiKey::Metadata, (1, 12)).map_err(exchange)?;
        if v < 10 {
            return Ok(None);
        }
        // Never create the topic asked about (a broker with auto.create.topics.enable
        // would, and kafka-protocol's default asks for it).
        let req = MetadataRequest::default()
            .with_allow_auto_topic_creation(false)
            .with_topics(Some(vec![
                MetadataRequestTopic::default().with_name(Some(topic_name(topic)))
            ]));
        let resp: MetadataResponse = s.call(ApiKey::Metadata, v, &req).await.map_err(exchange)?;
        Ok(resp
            .topics
            .iter()
            .find(|t| t.error_code == 0 && t.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
            .map(|t| t.topic_id)
            .filter(|id| !id.is_nil())
            .map(|id| id.to_string()))
    }

    async fn delete_topic_once(&self, topic: &str) -> Result<(), AdminError> {
        let layout = self.layout().await?;
        let mut s = self.controller(&layout).await?;
        let v = s
            .version(ApiKey::DeleteTopics, DELETE_TOPICS)
            .map_err(exchange)?;
        let mut req = DeleteTopicsRequest::default().with_timeout_ms(self.op_timeout_ms());
        if v >= 6 {
            req.topics = vec![DeleteTopicState::default().with_name(Some(topic_name(topic)))];
        } else {
            req.topic_names = vec![topic_name(topic)];
        }
        let resp: DeleteTopicsResponse = s
            .call(ApiKey::DeleteTopics, v, &req)
            .await
            .map_err(exchange)?;
        let r = resp
            .responses
            .into_iter()
            .find(|r| r.name.as_ref().is_some_and(|n| n.0.as_str() == topic))
            .ok_or_else(|| AdminError::Unreachable("DeleteTopics: no answer".into()))?;
        check(
            r.error_code,
            &About {
                topic: Some(topic),
                ..Default::default()
            },
            r.error_message.as_deref(),
        )
    }

    /// DeleteRecords: each partition's records before its offset, asked of each leader at
    /// once. The new start offset (low watermark) per partition, or its error.
    pub async fn delete_records(
        &self,
        topic: &str,
        before: &BTreeMap<i32, i64>,
    ) -> Result<Vec<ItemOutcome<i64>>, AdminError> {
        let layout = self.layout().await?;
        let leaders = layout.leaders(topic).ok_or_else(|| {
            AdminError::Kafka(advice(
                3,
                &About {
                    topic: Some(topic),
                    ..Default::default()
                },
                None,
            ))
        })?;
        let mut out = Vec::new();
        let mut by_leader: BTreeMap<i32, Vec<(i32, i64)>> = BTreeMap::new();
        for (p, offset) in before {
            match leaders.get(p).copied().flatten() {
                Some(l) => by_leader.entry(l).or_default().push((*p, *offset)),
                None => out.push(ItemOutcome {
                    topic: topic.into(),
                    partition: *p,
                    result: Err(AdminError::Kafka(advice(
                        if leaders.contains_key(p) { 5 } else { 3 },
                        &About {
                            topic: Some(topic),
                            partition: Some(*p),
                            ..Default::default()
                        },
                        None,
                    ))),
                }),
            }
        }
        let asks = by_leader
            .into_iter()
            .map(|(leader, parts)| self.delete_records_at(&layout, leader, topic, parts));
        for r in futures::future::join_all(asks).await {
            out.extend(r);
        }
        out.sort_by_key(|o| o.partition);
        Ok(out)
    }

    async fn delete_records_at(
        &self,
        layout: &Layout,
        leader: i32,
        topic: &str,
        parts: Vec<(i32, i64)>,
    ) -> Vec<ItemOutcome<i64>> {
        let fail_all = |e: AdminError| {
            parts
                .iter()
                .map(|(p, _)| ItemOutcome {
                    topic: topic.to_string(),
                    partition: *p,
                    result: Err(e.clone()),
                })
                .collect::<Vec<_>>()
        };
        let mut s = match self.broker(layout, leader).await {
            Ok(s) => s,
            Err(e) => return fail_all(e),
        };
        let v = match s.version(ApiKey::DeleteRecords, DELETE_RECORDS) {
            Ok(v) => v,
            Err(e) => return fail_all(exchange(e)),
        };
        let req = DeleteRecordsRequest::default()
            .with_topics(vec![DeleteRecordsTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(
                    parts
                        .iter()
                        .map(|(p, o)| {
                            DeleteRecordsPartition::default()
                                .with_partition_index(*p)
                                .with_offset(*o)
                        })
                        .collect(),
                )])
            .with_timeout_ms(self.op_timeout_ms());
        let resp: DeleteRecordsResponse = match s.call(ApiKey::DeleteRecords, v, &req).await {
            Ok(r) => r,
            Err(e) => return fail_all(exchange(e)),
        };
        let mut answered: BTreeMap<i32, (i16, i64)> = BTreeMap::new();
        for t in resp.topics.iter().filter(|t| t.name.0.as_str() == topic) {
            for p in &t.partitions {
                answered.insert(p.partition_index, (p.error_code, p.low_watermark));
            }
        }
        parts
            .iter()
            .map(|(p, _)| {
                let about = About {
                    topic: Some(topic),
                    partition: Some(*p),
                    ..Default::default()
                };
                let result = match answered.get(p) {
                    Some((0, low)) => Ok(*low),
                    Some((code, _)) => Err(AdminError::Kafka(advice(*code, &about, None))),
                    None => Err(AdminError::Unreachable(format!(
                        "broker {leader} did not answer for partition {p}"
                    ))),
                };
                ItemOutcome {
                    topic: topic.to_string(),
                    partition: *p,
                    result,
                }
            })
            .collect()
    }

    /// Preferred leader election for these partitions (ElectLeaders, type PREFERRED). A
    /// partition already led by its preferred replica counts as done.
    pub async fn elect_preferred(
        &self,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        retry_moved(|| self.elect_preferred_once(partitions)).await
    }

    async fn elect_preferred_once(
        &self,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        let layout = self.layout().await?;
        let mut s = self.controller(&layout).await?;
        let v = s
            .version(ApiKey::ElectLeaders, ELECT_LEADERS)
            .map_err(exchange)?;
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in partitions {
            by_topic.entry(t).or_default().push(*p);
        }
        let req = ElectLeadersRequest::default()
            .with_election_type(0)
            .with_topic_partitions(Some(
                by_topic
                    .iter()
                    .map(|(t, ps)| {
                        TopicPartitions::default()
                            .with_topic(topic_name(t))
                            .with_partitions(ps.clone())
                    })
                    .collect(),
            ))
            .with_timeout_ms(self.op_timeout_ms());
        let resp: ElectLeadersResponse = s
            .call(ApiKey::ElectLeaders, v, &req)
            .await
            .map_err(exchange)?;
        check(resp.error_code, &About::default(), None)?;
        let mut answered: BTreeMap<(String, i32), (i16, Option<String>)> = BTreeMap::new();
        for t in &resp.replica_election_results {
            for p in &t.partition_result {
                answered.insert(
                    (t.topic.0.to_string(), p.partition_id),
                    (
                        p.error_code,
                        p.error_message.as_ref().map(|m| m.to_string()),
                    ),
                );
            }
        }
        Ok(partitions
            .iter()
            .map(|(t, p)| {
                let about = About {
                    topic: Some(t),
                    partition: Some(*p),
                    ..Default::default()
                };
                let result = match answered.get(&(t.clone(), *p)) {
                    Some((0 | ELECTION_NOT_NEEDED, _)) => Ok(()),
                    Some((code, msg)) => {
                        Err(AdminError::Kafka(advice(*code, &about, msg.as_deref())))
                    }
                    None => Err(AdminError::Unreachable(
                        "the controller did not answer for this partition".into(),
                    )),
                };
                ItemOutcome {
                    topic: t.clone(),
                    partition: *p,
                    result,
                }
            })
            .collect())
    }
}
