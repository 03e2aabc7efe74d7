//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kafscope_api::Health;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

fn counts(st: &AppState) -> (usize, usize) {
    let snaps = st.snapshots();
    (snaps.iter().filter(|s| s.polled).count(), snaps.len())
}

/// Alive: answers as long as the process serves requests, whatever Kafka does.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = kafscope_api::Health))
)]
async fn healthz(State(st): State<AppState>) -> Json<Health> {
    let (polled, total) = counts(&st);
    Json(Health {
        status: "ok".into(),
        clusters_polled: polled,
        clusters: total,
        store_failure: super::clusters::store_failure(&st),
    })
}

/// Ready: the store answers and every cluster has finished one poll. A store that answers
/// but refuses writes (a full disk) leaves the console ready — its pages are live, from
/// memory — and is said in the status and `store_failure`.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "operations",
    responses((status = 200, description = "Ready: the store is open and every cluster was polled once", body = kafscope_api::Health), (status = 503, description = "Not ready yet", body = kafscope_api::Health))
)]
async fn readyz(State(st): State<AppState>) -> (StatusCode, Json<Health>) {
    let (polled, total) = counts(&st);
    let store_ok = st.store.ping().await;
    let ready = store_ok && polled == total;
    let store_failure = super::clusters::store_failure(&st);
    let status = if ready && store_failure.is_some() {
        "ready, but the store refuses writes"
    } else if ready {
        "ready"
    } else if !store_ok {
        "store unavailable"
    } else {
        "waiting for the first poll"
    };
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Health {
            status: status.into(),
            clusters_polled: polled,
            clusters: total,
            store_failure,
        }),
    )
}
