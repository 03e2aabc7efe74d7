//! Topics: list and detail, read from the snapshot.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use kafscope_api::{Page, TopicDetail, TopicSummary};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::list::{num, ListQuery, Listable, SortKey};
use super::state::{rfc3339, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_topics))
        .routes(routes!(get_topic))
}

impl Listable for TopicSummary {
    const SORT_FIELDS: &'static [&'static str] = &[
        "name",
        "partitions",
        "replication_factor",
        "under_replicated_partitions",
        "offline_partitions",
        "messages",
        "size_bytes",
        "consumer_groups",
    ];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "partitions" => num(Some(self.partitions as f64)),
            "size_bytes" => num(self.size_bytes.map(|b| b as f64)),
            "replication_factor" => num(Some(self.replication_factor as f64)),
            "under_replicated_partitions" => num(Some(self.under_replicated_partitions as f64)),
            "offline_partitions" => num(Some(self.offline_partitions as f64)),
            "messages" => num(self.messages.map(|m| m as f64)),
            "consumer_groups" => num(Some(self.consumer_groups as f64)),
            _ => SortKey::Text(self.name.clone()),
        }
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics",
    operation_id = "list_topics",
    tag = "topics",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ListQuery),
    responses((status = 200, description = "OK", body = Page<TopicSummary>))
)]
async fn list_topics(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<TopicSummary>>, ApiError> {
    let Path(cluster) = p?;
    let Query(q) = q?;
    st.allow_view(&principal, &cluster)?;
    let snap = st.cluster_with_data(&cluster)?;
    let r = Resource::cluster(&cluster, snap.read_only);
    Ok(Json(
        q.apply(
            snap.topics
                .values()
                .filter(|t| st.may(&principal, Permission::View, &r.topic(&t.summary.name)))
                .map(|t| t.summary.clone()),
        )?,
    ))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}",
    operation_id = "get_topic",
    tag = "topics",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name")),
    responses((status = 200, description = "OK", body = TopicDetail))
)]
async fn get_topic(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<TopicDetail>, ApiError> {
    let Path((cluster, topic)) = p?;
    st.allow(
        &principal,
        Permission::View,
        &Resource::cluster(&cluster, st.read_only(&cluster)).topic(&topic),
    )?;
    let snap = st.cluster_with_data(&cluster)?;
    let t = snap.topics.get(&topic).ok_or_else(|| {
        ApiError::NotFound(format!(
            "topic '{topic}' does not exist in cluster '{cluster}'"
        ))
    })?;
    Ok(Json(TopicDetail {
        name: t.summary.name.clone(),
        internal: t.summary.internal,
        partitions: t.partitions.clone(),
        configs: t.configs.clone().unwrap_or_default(),
        configs_error: t.configs_error.clone(),
        consumer_groups: t
            .groups
            .iter()
            .filter(|g| {
                st.may(
                    &principal,
                    Permission::View,
                    &Resource::cluster(&cluster, false).group(&g.group_id),
                )
            })
            .cloned()
            .collect(),
        data_at: snap.data_at_ms.map(rfc3339),
    }))
}
