//! Configs of topics, brokers and the cluster-wide broker default: DescribeConfigs with
//! synonyms and documentation, IncrementalAlterConfigs SET and DELETE. A broker's own
//! configs are asked of that broker (only it knows its static and per-broker values), as
//! Kafka's admin client does; topics and the cluster-wide default of any broker.

use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_request::{
    AlterConfigsResource, AlterableConfig,
};
use kafka_protocol::messages::{
    ApiKey, DescribeConfigsRequest, DescribeConfigsResponse, IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{check, exchange, About, Admin, AdminError};
use crate::kafka::config_source_name;

const DESCRIBE_CONFIGS: (i16, i16) = (1, 4);
const INCREMENTAL_ALTER_CONFIGS: (i16, i16) = (0, 1);

/// What the configs belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Topic,
    /// One broker, by id.
    Broker(i32),
    /// The default of every broker (resource BROKER with an empty name).
    ClusterDefault,
}

impl ResourceKind {
    fn code(self) -> i8 {
        match self {
            ResourceKind::Topic => 2,
            ResourceKind::Broker(_) | ResourceKind::ClusterDefault => 4,
        }
    }

    fn name(self, topic: &str) -> String {
        match self {
            ResourceKind::Topic => topic.to_string(),
            ResourceKind::Broker(id) => id.to_string(),
            ResourceKind::ClusterDefault => String::new(),
        }
    }

    fn about(self, topic: &str) -> About<'_> {
        match self {
            ResourceKind::Topic => About {
                topic: Some(topic),
                ..Default::default()
            },
            ResourceKind::Broker(id) => About {
                broker: Some(id),
                ..Default::default()
            },
            ResourceKind::ClusterDefault => About::default(),
        }
    }
}

/// One config as the broker describes it. Sensitive values never leave here.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigRead {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
    pub sensitive: bool,
    pub read_only: bool,
    pub config_type: Option<&'static str>,
    pub documentation: Option<String>,
    pub synonyms: Vec<SynonymRead>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SynonymRead {
    pub name: String,
    pub value: Option<String>,
    pub source: &'static str,
}

/// A broker's configs valued at the cluster-default level: the dynamic default where
/// `defaults` sets the key, else the first value below it (static, default); the broker's
/// own dynamic values are left out.
fn cluster_default_view(broker: Vec<ConfigRead>, defaults: Vec<ConfigRead>) -> Vec<ConfigRead> {
    let set: std::collections::HashMap<String, ConfigRead> =
        defaults.into_iter().map(|c| (c.name.clone(), c)).collect();
    broker
        .into_iter()
        .map(|mut c| {
            c.synonyms.retain(|s| s.source != "dynamic_broker");
            match set.get(&c.name) {
                Some(d) => {
                    c.value = d.value.clone();
                    c.source = "dynamic_default_broker";
                }
                None => {
                    let below = c
                        .synonyms
                        .iter()
                        .find(|s| s.source != "dynamic_default_broker");
                    c.value = below.and_then(|s| s.value.clone());
                    c.source = below.map_or("default", |s| s.source);
                }
            }
            c
        })
        .collect()
}

/// DescribeConfigs v3+ config types.
fn type_name(t: i8) -> Option<&'static str> {
    Some(match t {
        1 => "boolean",
        2 => "string",
        3 => "int",
        4 => "short",
        5 => "long",
        6 => "double",
        7 => "list",
        8 => "class",
        9 => "password",
        _ => return None,
    })
}

impl Admin {
    /// Every config of a topic, a broker or the cluster-wide default (`topic` names the topic
    /// for [`ResourceKind::Topic`]).
    ///
    /// The cluster-wide default as Kafka describes it (BROKER "") holds only the keys set at
    /// that level; it is shown over a live broker's list instead — every key with its type,
    /// meaning and whether it can change at run time, valued at the default level: the
    /// dynamic default where one is set, else what applies below it (static, default).
    pub async fn describe_configs(
        &self,
        kind: ResourceKind,
        topic: &str,
    ) -> Result<Vec<ConfigRead>, AdminError> {
        let layout = self.layout().await?;
        if kind != ResourceKind::ClusterDefault {
            return self.describe_at(&layout, kind, topic).await;
        }
        let defaults = self.describe_at(&layout, kind, "").await?;
        let mut last = None;
        for b in &layout.meta.brokers {
            match self
                .describe_at(&layout, ResourceKind::Broker(b.id), "")
                .await
            {
                Ok(list) => return Ok(cluster_default_view(list, defaults)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| AdminError::Unreachable("no broker in the metadata".into())))
    }

    async fn describe_at(
        &self,
        layout: &super::Layout,
        kind: ResourceKind,
        topic: &str,
    ) -> Result<Vec<ConfigRead>, AdminError> {
        let mut s = match kind {
            ResourceKind::Broker(id) => self.broker(layout, id).await?,
            _ => self.any(layout).await?,
        };
        let v = s
            .version(ApiKey::DescribeConfigs, DESCRIBE_CONFIGS)
            .map_err(exchange)?;
        let req = DescribeConfigsRequest::default()
            .with_resources(vec![DescribeConfigsResource::default()
                .with_resource_type(kind.code())
                .with_resource_name(StrBytes::from(kind.name(topic)))
                .with_configuration_keys(None)])
            .with_include_synonyms(true)
            .with_include_documentation(v >= 3);
        let resp: DescribeConfigsResponse = s
            .call(ApiKey::DescribeConfigs, v, &req)
            .await
            .map_err(exchange)?;
        let r = resp
            .results
            .into_iter()
            .next()
            .ok_or_else(|| AdminError::Unreachable("DescribeConfigs: no answer".into()))?;
        check(r.error_code, &kind.about(topic), r.error_message.as_deref())?;
        let mut out: Vec<ConfigRead> = r
            .configs
            .into_iter()
            .map(|c| {
                let name = c.name.to_string();
                let sensitive = c.is_sensitive || crate::config::is_secret_key(&name);
                let shown = |v: Option<StrBytes>| {
                    if sensitive {
                        None
                    } else {
                        v.map(|v| v.to_string())
                    }
                };
                ConfigRead {
                    value: shown(c.value),
                    source: config_source_name(c.config_source as i32),
                    sensitive,
                    read_only: c.read_only,
                    config_type: type_name(c.config_type),
                    documentation: c
                        .documentation
                        .map(|d| d.to_string())
                        .filter(|d| !d.is_empty()),
                    synonyms: c
                        .synonyms
                        .into_iter()
                        .map(|s| SynonymRead {
                            name: s.name.to_string(),
                            value: shown(s.value),
                            source: config_source_name(s.source as i32),
                        })
                        .collect(),
                    name,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// IncrementalAlterConfigs: set keys (`Some`) and return keys to their default (`None`).
    pub async fn alter_configs(
        &self,
        kind: ResourceKind,
        topic: &str,
        changes: &[(String, Option<String>)],
        validate_only: bool,
    ) -> Result<(), AdminError> {
        let layout = self.layout().await?;
        let mut s = match kind {
            ResourceKind::Broker(id) => self.broker(&layout, id).await?,
            _ => self.any(&layout).await?,
        };
        let v = s
            .version(ApiKey::IncrementalAlterConfigs, INCREMENTAL_ALTER_CONFIGS)
            .map_err(exchange)?;
        let configs = changes
            .iter()
            .map(|(k, v)| {
                AlterableConfig::default()
                    .with_name(StrBytes::from(k.clone()))
                    // 0 SET, 1 DELETE.
                    .with_config_operation(if v.is_some() { 0 } else { 1 })
                    .with_value(v.clone().map(StrBytes::from))
            })
            .collect();
        let req = IncrementalAlterConfigsRequest::default()
            .with_resources(vec![AlterConfigsResource::default()
                .with_resource_type(kind.code())
                .with_resource_name(StrBytes::from(kind.name(topic)))
                .with_configs(configs)])
            .with_validate_only(validate_only);
        let resp: IncrementalAlterConfigsResponse = s
            .call(ApiKey::IncrementalAlterConfigs, v, &req)
            .await
            .map_err(exchange)?;
        let r =
            resp.responses.into_iter().next().ok_or_else(|| {
                AdminError::Unreachable("IncrementalAlterConfigs: no answer".into())
            })?;
        check(r.error_code, &kind.about(topic), r.error_message.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        name: &str,
        value: &str,
        source: &'static str,
        synonyms: &[(&str, &'static str)],
    ) -> ConfigRead {
        ConfigRead {
            name: name.into(),
            value: Some(value.into()),
            source,
            sensitive: false,
            read_only: false,
            config_type: Some("long"),
            documentation: None,
            synonyms: synonyms
                .iter()
                .map(|(v, s)| SynonymRead {
                    name: name.into(),
                    value: Some((*v).into()),
                    source: s,
                })
                .collect(),
        }
    }

    #[test]
    fn the_cluster_default_is_valued_below_a_brokers_own_setting() {
        let broker = vec![
            read(
                "log.retention.ms",
                "1000",
                "dynamic_broker",
                &[("1000", "dynamic_broker"), ("604800000", "default")],
            ),
            read(
                "num.io.threads",
                "8",
                "dynamic_broker",
                &[
                    ("8", "dynamic_broker"),
                    ("6", "dynamic_default_broker"),
                    ("4", "static_broker"),
                ],
            ),
        ];
        let defaults = vec![read("num.io.threads", "6", "dynamic_default_broker", &[])];
        let v = cluster_default_view(broker, defaults);
        assert_eq!(
            (v[0].value.as_deref(), v[0].source),
            (Some("604800000"), "default")
        );
        assert_eq!(
            (v[1].value.as_deref(), v[1].source),
            (Some("6"), "dynamic_default_broker")
        );
        assert!(v[1].synonyms.iter().all(|s| s.source != "dynamic_broker"));
    }

    #[test]
    fn resources_are_named_as_kafka_names_them() {
        assert_eq!(ResourceKind::Topic.name("orders"), "orders");
        assert_eq!(ResourceKind::Broker(2).name("x"), "2");
        assert_eq!(ResourceKind::ClusterDefault.name("x"), "");
        assert_eq!(ResourceKind::ClusterDefault.code(), 4);
        assert_eq!(type_name(5), Some("long"));
        assert_eq!(type_name(0), None);
    }
}
