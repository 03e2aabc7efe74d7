//! Liveness and readiness.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use kafscope_api::Health;

use super::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

fn counts(st: &AppState) -> (usize, usize) {
    let snaps = st.snapshots();
    (snaps.iter().filter(|s| s.polled).count(), snaps.len())
}

/// Alive: answers as long as the process serves requests, whatever Kafka does.
async fn healthz(State(st): State<AppState>) -> Json<Health> {
    let (polled, total) = counts(&st);
    Json(Health {
        status: "ok".into(),
        clusters_polled: polled,
        clusters: total,
    })
}

/// Ready: the store answers and every cluster has finished one poll.
async fn readyz(State(st): State<AppState>) -> (StatusCode, Json<Health>) {
    let (polled, total) = counts(&st);
    let store_ok = st.store.ping().await;
    let ready = store_ok && polled == total;
    let status = if ready {
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
        }),
    )
}
