//! Group changes, sent to the group's coordinator: OffsetCommit as Kafka's admin client
//! sends it for an empty group (generation −1, no member: the coordinator accepts it only
//! while the group has no members, classic or consumer protocol alike), DeleteGroups, and
//! OffsetDelete. Reads for plans (committed offsets, members) use the collector's batched
//! reader on a connection of their own.

use std::collections::BTreeMap;

use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::{
    ApiKey, DeleteGroupsRequest, DeleteGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, OffsetCommitRequest, OffsetCommitResponse,
    OffsetDeleteRequest, OffsetDeleteResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::{
    advice, check, exchange, retry_items_moved, retry_moved, About, Admin, AdminError, ItemOutcome,
    Layout,
};
use crate::kafka::groups::GroupReader;
use crate::kafka::wire::Session;
use crate::kafka::{GroupDescription, GroupOffsets};

const FIND_COORDINATOR: (i16, i16) = (0, 4);
const OFFSET_COMMIT: (i16, i16) = (2, 9);
const DELETE_GROUPS: (i16, i16) = (0, 2);
const OFFSET_DELETE: (i16, i16) = (0, 0);

/// A group as a plan needs it: its state and members, and what it has committed.
#[derive(Debug, Clone)]
pub struct GroupNow {
    /// `Err`: the coordinator would not describe it (some brokers drop DescribeGroups).
    pub description: Result<GroupDescription, String>,
    pub offsets: GroupOffsets,
}

fn about(group: &str) -> About<'_> {
    About {
        group: Some(group),
        ..Default::default()
    }
}

impl Admin {
    /// The group's state, members and committed offsets, read now from its coordinator.
    pub async fn group_now(&self, group: &str) -> Result<GroupNow, AdminError> {
        let layout = self.layout().await?;
        let mut reader = GroupReader::new(self.dialer.clone());
        let brokers: Vec<(i32, String, u16)> = layout
            .meta
            .brokers
            .iter()
            .map(|b| (b.id, b.host.clone(), b.port))
            .collect();
        reader.set_brokers(&brokers);
        // The group's type decides which API describes it (a listing says it; without one a
        // classic group may be asked with ConsumerGroupDescribe, which some brokers drop).
        let _ = reader.list().await;
        let ids = [group.to_string()];
        let description = match reader.describe(&ids, 1).await {
            Ok(mut d) => match d.pop() {
                Some(d) => match &d.error {
                    Some(e) => Err(e.clone()),
                    None => Ok(d),
                },
                None => Err("no answer".to_string()),
            },
            Err(e) => Err(e.message),
        };
        let offsets = match reader.offsets(&ids).await.pop() {
            Some((_, Ok(o))) => o,
            Some((_, Err(e))) => {
                return Err(AdminError::Unreachable(format!(
                    "the committed offsets of group '{group}' could not be read: {e}"
                )))
            }
            None => Vec::new(),
        };
        Ok(GroupNow {
            description,
            offsets,
        })
    }

    /// A session to the group's coordinator.
    async fn coordinator(&self, layout: &Layout, group: &str) -> Result<Session, AdminError> {
        let mut s = self.any(layout).await?;
        let v = s
            .version(ApiKey::FindCoordinator, FIND_COORDINATOR)
            .map_err(exchange)?;
        let (code, node, message) = if v >= 4 {
            let req = FindCoordinatorRequest::default()
                .with_key_type(0)
                .with_coordinator_keys(vec![StrBytes::from(group.to_string())]);
            let resp: FindCoordinatorResponse = s
                .call(ApiKey::FindCoordinator, v, &req)
                .await
                .map_err(exchange)?;
            let c = resp.coordinators.into_iter().next().ok_or_else(|| {
                AdminError::Unreachable("FindCoordinator: no answer for the group".into())
            })?;
            (
                c.error_code,
                c.node_id.0,
                c.error_message.map(|m| m.to_string()),
            )
        } else {
            let req = FindCoordinatorRequest::default().with_key(StrBytes::from(group.to_string()));
            let resp: FindCoordinatorResponse = s
                .call(ApiKey::FindCoordinator, v, &req)
                .await
                .map_err(exchange)?;
            (
                resp.error_code,
                resp.node_id.0,
                resp.error_message.map(|m| m.to_string()),
            )
        };
        check(code, &about(group), message.as_deref())?;
        self.broker(layout, node).await
    }

    /// Commit these offsets for an empty group, one outcome per partition (asked again, with
    /// the coordinator looked up again, while it moves).
    pub async fn commit_offsets(
        &self,
        group: &str,
        offsets: &[(String, i32, i64)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        retry_items_moved(|| self.commit_offsets_once(group, offsets)).await
    }

    async fn commit_offsets_once(
        &self,
        group: &str,
        offsets: &[(String, i32, i64)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        let layout = self.layout().await?;
        let mut s = self.coordinator(&layout, group).await?;
        let v = s
            .version(ApiKey::OffsetCommit, OFFSET_COMMIT)
            .map_err(exchange)?;
        let mut by_topic: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
        for (t, p, o) in offsets {
            by_topic.entry(t).or_default().push((*p, *o));
        }
        let req = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from(group.to_string())))
            .with_generation_id_or_member_epoch(-1)
            .with_member_id(StrBytes::default())
            .with_retention_time_ms(-1)
            .with_topics(
                by_topic
                    .iter()
                    .map(|(t, ps)| {
                        OffsetCommitRequestTopic::default()
                            .with_name(TopicName(StrBytes::from(t.to_string())))
                            .with_partitions(
                                ps.iter()
                                    .map(|(p, o)| {
                                        OffsetCommitRequestPartition::default()
                                            .with_partition_index(*p)
                                            .with_committed_offset(*o)
                                            .with_committed_leader_epoch(-1)
                                            .with_committed_metadata(Some(StrBytes::default()))
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let resp: OffsetCommitResponse = s
            .call(ApiKey::OffsetCommit, v, &req)
            .await
            .map_err(exchange)?;
        let mut answered: BTreeMap<(String, i32), i16> = BTreeMap::new();
        for t in &resp.topics {
            for p in &t.partitions {
                answered.insert((t.name.0.to_string(), p.partition_index), p.error_code);
            }
        }
        Ok(per_partition(
            group,
            offsets.iter().map(|(t, p, _)| (t.clone(), *p)),
            &answered,
        ))
    }

    /// DeleteGroups for one group (its committed offsets go with it).
    pub async fn delete_group(&self, group: &str) -> Result<(), AdminError> {
        retry_moved(|| self.delete_group_once(group)).await
    }

    async fn delete_group_once(&self, group: &str) -> Result<(), AdminError> {
        let layout = self.layout().await?;
        let mut s = self.coordinator(&layout, group).await?;
        let v = s
            .version(ApiKey::DeleteGroups, DELETE_GROUPS)
            .map_err(exchange)?;
        let req = DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(StrBytes::from(group.to_string()))]);
        let resp: DeleteGroupsResponse = s
            .call(ApiKey::DeleteGroups, v, &req)
            .await
            .map_err(exchange)?;
        let r = resp
            .results
            .into_iter()
            .find(|r| r.group_id.0.as_str() == group)
            .ok_or_else(|| AdminError::Unreachable("DeleteGroups: no answer".into()))?;
        check(r.error_code, &about(group), None)
    }

    /// OffsetDelete: remove the group's committed offsets on these partitions.
    pub async fn delete_offsets(
        &self,
        group: &str,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        retry_items_moved(|| self.delete_offsets_once(group, partitions)).await
    }

    async fn delete_offsets_once(
        &self,
        group: &str,
        partitions: &[(String, i32)],
    ) -> Result<Vec<ItemOutcome<()>>, AdminError> {
        let layout = self.layout().await?;
        let mut s = self.coordinator(&layout, group).await?;
        let v = s
            .version(ApiKey::OffsetDelete, OFFSET_DELETE)
            .map_err(exchange)?;
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in partitions {
            by_topic.entry(t).or_default().push(*p);
        }
        let req = OffsetDeleteRequest::default()
            .with_group_id(GroupId(StrBytes::from(group.to_string())))
            .with_topics(
                by_topic
                    .iter()
                    .map(|(t, ps)| {
                        OffsetDeleteRequestTopic::default()
                            .with_name(TopicName(StrBytes::from(t.to_string())))
                            .with_partitions(
                                ps.iter()
                                    .map(|p| {
                                        OffsetDeleteRequestPartition::default()
                                            .with_partition_index(*p)
                                    })
                                    .collect(),
                            )
                    })
                    .collect(),
            );
        let resp: OffsetDeleteResponse = s
            .call(ApiKey::OffsetDelete, v, &req)
            .await
            .map_err(exchange)?;
        check(resp.error_code, &about(group), None)?;
        let mut answered: BTreeMap<(String, i32), i16> = BTreeMap::new();
        for t in &resp.topics {
            for p in &t.partitions {
                answered.insert((t.name.0.to_string(), p.partition_index), p.error_code);
            }
        }
        Ok(per_partition(group, partitions.iter().cloned(), &answered))
    }
}

/// Each asked partition's outcome from the codes answered; one not answered failed.
fn per_partition(
    group: &str,
    asked: impl Iterator<Item = (String, i32)>,
    answered: &BTreeMap<(String, i32), i16>,
) -> Vec<ItemOutcome<()>> {
    asked
        .map(|(t, p)| {
            let result = match answered.get(&(t.clone(), p)) {
                Some(0) => Ok(()),
                Some(code) => Err(AdminError::Kafka(advice(
                    *code,
                    &About {
                        topic: Some(&t),
                        partition: Some(p),
                        group: Some(group),
                        ..Default::default()
                    },
                    None,
                ))),
                None => Err(AdminError::Unreachable(
                    "the coordinator did not answer for this partition".into(),
                )),
            };
            ItemOutcome {
                topic: t,
                partition: p,
                result,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asked_partition_gets_an_outcome() {
        let answered = BTreeMap::from([(("t".to_string(), 0), 0), (("t".to_string(), 1), 25)]);
        let asked = vec![
            ("t".to_string(), 0),
            ("t".to_string(), 1),
            ("t".to_string(), 2),
        ];
        let out = per_partition("g", asked.into_iter(), &answered);
        assert!(out[0].result.is_ok());
        assert_eq!(
            out[1].result.as_ref().unwrap_err().name(),
            "UNKNOWN_MEMBER_ID"
        );
        assert_eq!(out[2].result.as_ref().unwrap_err().name(), "unreachable");
    }
}
