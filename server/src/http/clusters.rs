//! Clusters and brokers, read from the snapshots.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use kafscope_api::{Broker, ClusterSummary, LastPoll, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::list::{num, ListQuery, Listable, SortKey};
use super::state::{rfc3339, AppState};
use crate::collect::{now_ms, ClusterSnapshot};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clusters))
        .routes(routes!(get_cluster))
        .routes(routes!(list_brokers))
        .routes(routes!(test_connection))
}

/// `POST /clusters/{cluster}/test-connection`: the connection check, run now (each bootstrap
/// server and advertised broker step by step, each within three request timeouts), bounded
/// by seven request timeouts in all and cancelled when the client goes away. Needs `view` on the cluster; audited, since it makes
/// connections to the cluster on a user's request.
#[utoipa::path(
    post,
    path = "/clusters/{cluster}/test-connection",
    operation_id = "test_connection",
    tag = "clusters",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    responses((status = 200, description = "The check's verdict, step by step", body = kafscope_api::Diagnosis))
)]
async fn test_connection(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<kafscope_api::Diagnosis>, ApiError> {
    let Path(cluster) = p?;
    let snap = st.cluster(&cluster)?;
    st.allow_change(
        &principal,
        Permission::View,
        &Resource::cluster(&cluster, snap.read_only),
        "cluster.test_connection",
        &cluster,
    )
    .await?;
    let inspector = st
        .inspectors
        .get(&cluster)
        .ok_or_else(|| ApiError::NotFound(format!("cluster '{cluster}' is not configured")))?;
    let cfg = &inspector.cfg;
    // One check per cluster at a time, and not more than one every few seconds: each opens
    // connections to every broker without waiting for their back-off.
    let _slot = TestSlot::take(&st.connection_tests, &cluster)?;
    // Bootstrap servers, then brokers, each address within three request timeouts.
    let bound = cfg.request_timeout * 7;
    let d = match tokio::time::timeout(
        bound,
        crate::kafka::probe::check_now(cfg, inspector.client.requests.clone()),
    )
    .await
    {
        Ok(d) => d,
        Err(_) => kafscope_api::Diagnosis::failed(
            format!("the check did not finish within {} s", bound.as_secs()),
            Some("timed_out"),
            Some("request_timeout"),
            snap.connection.security.clone(),
            rfc3339(now_ms()),
        ),
    };
    let mut entry = super::auth::audit_entry(&principal, "cluster.test_connection", Some(&cluster));
    entry.outcome = if d.ok { "done" } else { "failed" }.into();
    entry.detail = serde_json::json!({ "verdict": d.verdict, "cause": d.cause }).to_string();
    if let Err(e) = st.store.audit(&entry, &cluster).await {
        tracing::error!(error = %e, "cannot write the audit row of a connection test");
    }
    Ok(Json(d))
}

/// Connection tests running or run lately, by configured cluster: when the last started, and
/// whether it still runs. Shared by the handlers of one console.
pub type ConnectionTests =
    Arc<std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, bool)>>>;

/// Shortest time between two connection tests of one cluster.
const TEST_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A running connection test of one cluster; the slot frees when it ends.
struct TestSlot(ConnectionTests, String);

impl TestSlot {
    fn take(tests: &ConnectionTests, cluster: &str) -> Result<TestSlot, ApiError> {
        let mut map = tests
            .lock()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("connection tests poisoned")))?;
        let now = std::time::Instant::now();
        if let Some((at, running)) = map.get(cluster) {
            if *running || now.duration_since(*at) < TEST_EVERY {
                return Err(ApiError::TooManyRequests(format!(
                    "a connection test of cluster '{cluster}' {}: try again in a few seconds",
                    if *running {
                        "is running"
                    } else {
                        "has just run"
                    }
                )));
            }
        }
        map.insert(cluster.to_string(), (now, true));
        Ok(TestSlot(tests.clone(), cluster.to_string()))
    }
}

impl Drop for TestSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.0.lock() {
            if let Some(t) = map.get_mut(&self.1) {
                t.1 = false;
            }
        }
    }
}

/// The API view of a snapshot's cluster-level facts.
pub fn summary(s: &ClusterSnapshot) -> ClusterSummary {
    let now = now_ms();
    ClusterSummary {
        name: s.name.clone(),
        status: s.status,
        bootstrap_servers: s.bootstrap_servers.clone(),
        brokers: s.brokers.len(),
        brokers_down: s.brokers_down(),
        controller_id: s.controller_id,
        controller_source: s.controller_source.clone(),
        quorum: s.quorum.clone(),
        quorum_error: s.quorum_error.clone(),
        topics: s.topics.len(),
        partitions: s.partition_count(),
        under_replicated_partitions: s
            .topics
            .values()
            .map(|t| t.summary.under_replicated_partitions)
            .sum(),
        offline_partitions: s
            .topics
            .values()
            .map(|t| t.summary.offline_partitions)
            .sum(),
        metrics_under_replicated_partitions: metric_sum(s, "under_replicated_partitions"),
        metrics_offline_partitions: metric_sum(s, "offline_partitions"),
        consumer_groups: s.live_groups().count(),
        total_lag: s.total_lag(),
        last_poll: LastPoll {
            at: s.last_poll_at_ms.map(rfc3339),
            duration_ms: s.last_poll_duration_ms,
            error: s.last_poll_error.clone(),
            stage_errors: s.stage_errors.clone(),
            stages_ms: s.stages_ms.clone(),
        },
        data_at: s.data_at_ms.map(rfc3339),
        data_age_seconds: s.data_at_ms.map(|d| ((now - d).max(0) / 1000) as u64),
        poll_interval_ms: s.poll_interval.as_millis() as u64,
        read_only: s.read_only,
        health: s.health.verdict,
        critical_problems: s
            .health
            .problems
            .iter()
            .filter(|p| p.severity == kafscope_api::Severity::Critical)
            .count(),
        warning_problems: s
            .health
            .problems
            .iter()
            .filter(|p| p.severity == kafscope_api::Severity::Warning)
            .count(),
        connection: s.connection.clone(),
        diagnosis: s.diagnosis.clone(),
        schema_registry: None,
        store_failure: None,
    }
}

/// A metric summed over the brokers that report it; `None` when none does.
fn metric_sum(s: &ClusterSnapshot, key: &str) -> Option<f64> {
    s.broker_metrics
        .values()
        .filter_map(|m| m.get(key))
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

impl Listable for ClusterSummary {
    const SORT_FIELDS: &'static [&'static str] = &["name", "status", "topics", "consumer_groups"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "status" => SortKey::Text(format!("{:?}", self.status)),
            "topics" => num(Some(self.topics as f64)),
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
    path = "/clusters",
    operation_id = "list_clusters",
    tag = "clusters",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<ClusterSummary>))
)]
async fn list_clusters(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<ClusterSummary>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let all: Vec<ClusterSummary> = st
        .snapshots()
        .iter()
        .filter(|s| {
            st.may(
                &principal,
                Permission::View,
                &Resource::cluster(&s.name, s.read_only),
            )
        })
        .map(|s| with_registry(&st, summary(s)))
        .collect();
    Ok(Json(q.apply(all.into_iter())?))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}",
    operation_id = "get_cluster",
    tag = "clusters",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    responses((status = 200, description = "OK", body = ClusterSummary))
)]
async fn get_cluster(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<Json<ClusterSummary>, ApiError> {
    let Path(cluster) = p?;
    st.allow_view(&principal, &cluster)?;
    let snap = st.cluster(&cluster)?;
    Ok(Json(with_registry(&st, summary(&snap))))
}

/// The summary with its cluster's Schema Registry address (from the configuration) and the
/// store's state.
fn with_registry(st: &AppState, mut s: ClusterSummary) -> ClusterSummary {
    s.store_failure = store_failure(st);
    s.schema_registry = st
        .inspectors
        .get(&s.name)
        .and_then(|i| i.registry.as_ref())
        .map(|r| r.address());
    s
}

impl Listable for Broker {
    const SORT_FIELDS: &'static [&'static str] =
        &["id", "host", "status", "leader_partitions", "replicas"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "host" => SortKey::Text(self.host.clone().unwrap_or_default()),
            "status" => SortKey::Text(format!("{:?}", self.status)),
            "leader_partitions" => num(Some(self.leader_partitions as f64)),
            "replicas" => num(Some(self.replicas as f64)),
            _ => num(Some(self.id as f64)),
        }
    }
    fn search_text(&self) -> &str {
        self.host.as_deref().unwrap_or("")
    }
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/brokers",
    operation_id = "list_brokers",
    tag = "clusters",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ListQuery),
    responses((status = 200, description = "OK", body = Page<Broker>))
)]
async fn list_brokers(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Broker>>, ApiError> {
    let Path(cluster) = p?;
    let Query(q) = q?;
    st.allow_view(&principal, &cluster)?;
    let snap = st.cluster_with_data(&cluster)?;
    Ok(Json(q.apply(snap.brokers.iter().cloned())?))
}

/// The store refusing writes, for the API.
pub fn store_failure(st: &AppState) -> Option<kafscope_api::StoreFailure> {
    st.store
        .write_failure()
        .map(|f| kafscope_api::StoreFailure {
            since: crate::http::state::rfc3339(f.since_ms),
            error: f.error,
        })
}
