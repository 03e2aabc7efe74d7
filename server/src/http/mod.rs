//! The HTTP layer: one router per feature, merged under `{base_path}`, with one middleware
//! stack (trace span per request, panic → JSON 500, timeouts, compression).

pub(crate) mod alert_actions;
mod alerts;
pub mod assets;
pub mod auth;
mod cluster_health;
mod clusters;
pub mod error;
mod events;
mod groups;
mod health;
pub(crate) mod history;
pub mod list;
mod messages;
pub mod metrics;
mod schemas;
pub mod state;
mod topics;

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

pub use assets::WebAssets;
pub use error::ApiError;
pub use state::AppState;

/// Upper bound on a read request; reads are served from memory, so this is generous.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint".into())
}

fn panic_to_json(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    error::envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; see the server log".into(),
    )
}

/// The whole application router.
pub fn router(state: AppState, base_path: &str, web: Option<WebAssets>) -> Router {
    let api = Router::new()
        .merge(clusters::router())
        .merge(topics::router())
        .merge(groups::router())
        .merge(history::router())
        .merge(cluster_health::router())
        .merge(alerts::router())
        .merge(alert_actions::router())
        .merge(messages::router())
        .merge(schemas::router())
        .merge(auth::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // Server-sent events are long-lived: outside the timeout.
        .merge(events::router())
        .merge(messages::stream_router())
        .fallback(api_not_found);
    let app: Router<AppState> = Router::new()
        .nest("/api/v1", api)
        .merge(auth::public_router())
        .merge(health::router())
        .merge(metrics::router())
        .merge(assets::router(web))
        // Every request is resolved to one principal before any handler runs.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let app = if base_path == "/" {
        app
    } else {
        let target = format!("{base_path}/");
        Router::new().nest(base_path, app).route(
            "/",
            get(move || async move { Redirect::temporary(&target) }),
        )
    };
    app.layer(
        ServiceBuilder::new()
            // 5xx answers are logged where they arise (internal errors, panics); a 503 from
            // /readyz while starting is expected and not worth an error line.
            .layer(
                TraceLayer::new_for_http()
                    .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
            )
            .layer(CatchPanicLayer::custom(panic_to_json))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(CompressionLayer::new()),
    )
    .with_state(state)
}
