//! Consumer groups: list and detail, read from the snapshot.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use kafscope_api::{GroupDetail, GroupSummary, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::list::{num, ListQuery, Listable, SortKey};
use super::state::{rfc3339, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups))
        .routes(routes!(get_group))
}

impl Listable for GroupSummary {
    const SORT_FIELDS: &'static [&'static str] = &[
        "group_id",
        "lag",
        "lag_seconds",
        "status",
        "members",
        "topics",
        "state",
        "group_type",
        "retention_margin_seconds",
    ];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "lag" => num(self.lag.map(|l| l as f64)),
            "lag_seconds" => num(self.lag_seconds),
            // Severity order, not alphabetical.
            "status" => num(Some(self.status as u8 as f64)),
            "members" => num(self.members.map(|m| m as f64)),
            "topics" => num(Some(self.topics as f64)),
            "state" => SortKey::Text(self.state.clone().unwrap_or_default()),
            "group_type" => SortKey::Text(self.group_type.clone().unwrap_or_default()),
            "retention_margin_seconds" => num(self.retention_margin_seconds),
            _ => SortKey::Text(self.group_id.clone()),
        }
    }
    fn search_text(&self) -> &str {
        &self.group_id
    }
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/consumer-groups",
    operation_id = "list_groups",
    tag = "consumer groups",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ListQuery),
    responses((status = 200, description = "OK", body = Page<GroupSummary>))
)]
async fn list_groups(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<GroupSummary>>, ApiError> {
    let Path(cluster) = p?;
    let Query(q) = q?;
    st.allow_view(&principal, &cluster)?;
    let snap = st.cluster_with_data(&cluster)?;
    let r = Resource::cluster(&cluster, snap.read_only);
    Ok(Json(
        q.apply(
            snap.groups
                .values()
                .filter(|g| st.may(&principal, Permission::View, &r.group(&g.summary.group_id)))
                .map(|g| g.summary.clone()),
        )?,
    ))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/consumer-groups/{group}",
    operation_id = "get_group",
    tag = "consumer groups",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("group" = String, Path, description = "Consumer group id")),
    responses((status = 200, description = "OK", body = GroupDetail))
)]
async fn get_group(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<GroupDetail>, ApiError> {
    let Path((cluster, group)) = p?;
    st.allow(
        &principal,
        Permission::View,
        &Resource::cluster(&cluster, false).group(&group),
    )?;
    let snap = st.cluster_with_data(&cluster)?;
    let mut detail = snap.group_detail(&group).ok_or_else(|| {
        ApiError::NotFound(format!(
            "consumer group '{group}' does not exist in cluster '{cluster}'"
        ))
    })?;
    detail.data_at = snap.data_at_ms.map(rfc3339);
    Ok(Json(detail))
}
