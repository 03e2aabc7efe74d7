//! Cluster health, one broker with its metrics, and metric history.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use kafscope_api::{BrokerDetail, ClusterHealth, MetricHistory, MetricPoint, MetricSeries};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::error::ApiError;
use super::history::{plan, HistoryParams};
use super::state::{rfc3339, AppState};
use crate::collect::now_ms;
use crate::metrics::mapping::{metric_info, METRICS};
use crate::store::metrics::MetricQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(broker))
        .routes(routes!(broker_history))
        .routes(routes!(cluster_history))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/health",
    operation_id = "cluster_health",
    tag = "health",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    responses((status = 200, description = "OK", body = ClusterHealth))
)]
async fn health(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<ClusterHealth>, ApiError> {
    let Path(cluster) = p?;
    st.allow_view(&principal, &cluster)?;
    Ok(Json(st.cluster(&cluster)?.health.clone()))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/brokers/{broker}",
    operation_id = "get_broker",
    tag = "health",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("broker" = i32, Path, description = "Broker (node) id")),
    responses((status = 200, description = "OK", body = BrokerDetail))
)]
async fn broker(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<BrokerDetail>, ApiError> {
    let Path((cluster, id)) = p?;
    st.allow_view(&principal, &cluster)?;
    let id = broker_id(&id)?;
    let snap = st.cluster_with_data(&cluster)?;
    let b =
        snap.brokers.iter().find(|b| b.id == id).ok_or_else(|| {
            ApiError::NotFound(format!("broker {id} is not known in '{cluster}'"))
        })?;
    let values = snap.broker_metrics.get(&id);
    let metrics = METRICS
        .iter()
        .map(|m| {
            (
                m.key.to_string(),
                values.and_then(|v| v.get(m.key)).copied(),
            )
        })
        .collect();
    let dirs = snap.log_dirs.get(&id).cloned().unwrap_or_default();
    let (log_size_bytes, log_size_source) = if !dirs.is_empty() {
        (
            Some(dirs.iter().map(|d| d.size_bytes).sum()),
            Some("describe_log_dirs".to_string()),
        )
    } else {
        match values.and_then(|v| v.get("log_size_bytes")) {
            Some(v) => (Some(*v as u64), Some("metrics".to_string())),
            None => (None, None),
        }
    };
    Ok(Json(BrokerDetail {
        broker: b.clone(),
        health: snap.health.brokers.iter().find(|h| h.broker == id).cloned(),
        metrics,
        metric_info: metric_info(),
        endpoints: snap
            .metrics_endpoints
            .iter()
            .filter(|e| e.broker == Some(id))
            .cloned()
            .collect(),
        log_size_bytes,
        log_size_source,
        log_dirs: dirs,
        log_dirs_error: snap.log_dirs_error.clone(),
        problems: snap
            .health
            .problems
            .iter()
            .filter(|p| p.brokers.contains(&id))
            .cloned()
            .collect(),
        data_at: snap.data_at_ms.map(rfc3339),
    }))
}

fn broker_id(s: &str) -> Result<i32, ApiError> {
    s.parse()
        .map_err(|_| ApiError::BadRequest(format!("broker must be a number, got '{s}'")))
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricParams {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    /// Comma-separated metric keys; default: all known metrics.
    metrics: Option<String>,
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/brokers/{broker}/metrics/history",
    operation_id = "broker_metric_history",
    tag = "health",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("broker" = i32, Path, description = "Broker (node) id"), MetricParams),
    responses((status = 200, description = "OK", body = MetricHistory))
)]
async fn broker_history(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<MetricParams>, QueryRejection>,
) -> Result<Json<MetricHistory>, ApiError> {
    let Path((cluster, id)) = p?;
    st.allow_view(&principal, &cluster)?;
    let id = broker_id(&id)?;
    let Query(q) = q?;
    history(&st, &cluster, Some(id), q).await
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/metrics/history",
    operation_id = "cluster_metric_history",
    tag = "health",
    params(("cluster" = String, Path, description = "A configured cluster's name"), MetricParams),
    responses((status = 200, description = "OK", body = MetricHistory))
)]
async fn cluster_history(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<MetricParams>, QueryRejection>,
) -> Result<Json<MetricHistory>, ApiError> {
    let Path(cluster) = p?;
    st.allow_view(&principal, &cluster)?;
    let Query(q) = q?;
    history(&st, &cluster, None, q).await
}

async fn history(
    st: &AppState,
    cluster: &str,
    broker: Option<i32>,
    q: MetricParams,
) -> Result<Json<MetricHistory>, ApiError> {
    st.cluster(cluster)?;
    let metrics: Vec<String> = match &q.metrics {
        None => METRICS.iter().map(|m| m.key.to_string()).collect(),
        Some(list) => {
            let keys: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
            if let Some(bad) = keys
                .iter()
                .find(|k| !METRICS.iter().any(|m| m.key == k.as_str()))
            {
                return Err(ApiError::BadRequest(format!(
                    "unknown metric '{bad}'; known: {}",
                    METRICS.iter().map(|m| m.key).collect::<Vec<_>>().join(", ")
                )));
            }
            keys
        }
    };
    let hq = plan(
        &HistoryParams {
            range: q.range,
            from: q.from,
            to: q.to,
            step: q.step,
            ..Default::default()
        },
        now_ms(),
    )?;
    let found = st
        .store
        .metric_history(
            cluster,
            &MetricQuery {
                broker,
                metrics: metrics.clone(),
                from_ms: hq.from_ms,
                to_ms: hq.to_ms,
                step_ms: hq.step_ms,
            },
        )
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let series = metrics
        .into_iter()
        .filter_map(|m| {
            let points = found.get(&m)?;
            Some(MetricSeries {
                metric: m,
                broker,
                points: points
                    .iter()
                    .map(|(at, avg, max)| MetricPoint {
                        at: rfc3339(*at),
                        avg: Some(*avg),
                        max: Some(*max),
                    })
                    .collect(),
            })
        })
        .collect();
    Ok(Json(MetricHistory {
        from: rfc3339(hq.from_ms),
        to: rfc3339(hq.to_ms),
        step_seconds: (hq.step_ms / 1000) as u64,
        series,
    }))
}
