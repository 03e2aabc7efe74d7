//! Config listings with where each value comes from and what it means: a topic's, a
//! broker's, and the cluster-wide broker default. Asked of Kafka when a page opens (one
//! DescribeConfigs; brokers' configs are not part of the snapshot), bounded by the request
//! timeout. Needs `view` on the topic or the cluster; sensitive values are never sent.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;
use kafscope_api::fmt::config_value;
use kafscope_api::{ConfigItem, ConfigListing, ConfigSynonym};

use super::{admin, ApiError, AppState};
use crate::http::auth::{Permission, Principal, Resource};
use crate::kafka::admin::{ConfigRead, ResourceKind};

fn item(c: ConfigRead) -> ConfigItem {
    ConfigItem {
        human: c
            .value
            .as_deref()
            .and_then(|v| config_value(&c.name, c.config_type, v)),
        value: c.value,
        source: c.source.to_string(),
        sensitive: c.sensitive,
        read_only: c.read_only,
        documentation: c.documentation,
        config_type: c.config_type.map(String::from),
        synonyms: c
            .synonyms
            .into_iter()
            .map(|s| ConfigSynonym {
                name: s.name,
                value: s.value,
                source: s.source.to_string(),
            })
            .collect(),
        name: c.name,
    }
}

async fn listing(
    st: &AppState,
    cluster: &str,
    kind: ResourceKind,
    topic: &str,
) -> Result<ConfigListing, ApiError> {
    let admin = admin(st, cluster)?;
    let entries = admin.describe_configs(kind, topic).await?;
    let (resource, name) = match kind {
        ResourceKind::Topic => ("topic", topic.to_string()),
        ResourceKind::Broker(id) => ("broker", id.to_string()),
        ResourceKind::ClusterDefault => ("cluster", String::new()),
    };
    Ok(ConfigListing {
        resource: resource.into(),
        name,
        entries: entries.into_iter().map(item).collect(),
    })
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}/configs",
    operation_id = "topic_configs",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name")),
    responses((status = 200, description = "OK", body = ConfigListing))
)]
pub(super) async fn topic_configs(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<ConfigListing>, ApiError> {
    let Path((cluster, topic)) = p?;
    let snap = st.cluster_with_data(&cluster)?;
    st.allow(
        &principal,
        Permission::View,
        &Resource::cluster(&cluster, snap.read_only).topic(&topic),
    )?;
    if !snap.topics.contains_key(&topic) {
        return Err(ApiError::NotFound(format!(
            "topic '{topic}' does not exist in cluster '{cluster}'"
        )));
    }
    Ok(Json(
        listing(&st, &cluster, ResourceKind::Topic, &topic).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/brokers/{broker}/configs",
    operation_id = "broker_configs",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("broker" = i32, Path, description = "Broker (node) id")),
    responses((status = 200, description = "OK", body = ConfigListing))
)]
pub(super) async fn broker_configs(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, i32)>, PathRejection>,
) -> Result<Json<ConfigListing>, ApiError> {
    let Path((cluster, broker)) = p?;
    let snap = st.cluster_with_data(&cluster)?;
    st.allow_view(&principal, &cluster)?;
    if !snap.brokers.iter().any(|b| b.id == broker) {
        return Err(ApiError::NotFound(format!(
            "broker {broker} is not in cluster '{cluster}'"
        )));
    }
    Ok(Json(
        listing(&st, &cluster, ResourceKind::Broker(broker), "").await?,
    ))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/configs",
    operation_id = "cluster_configs",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    responses((status = 200, description = "OK", body = ConfigListing))
)]
pub(super) async fn cluster_configs(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<ConfigListing>, ApiError> {
    let Path(cluster) = p?;
    st.cluster_with_data(&cluster)?;
    st.allow_view(&principal, &cluster)?;
    Ok(Json(
        listing(&st, &cluster, ResourceKind::ClusterDefault, "").await?,
    ))
}
