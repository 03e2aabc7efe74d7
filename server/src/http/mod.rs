//! The HTTP layer: one router per feature, merged under `{base_path}`, with one middleware
//! stack (trace span per request, panic → JSON 500, timeouts, compression).

pub(crate) mod alert_actions;
mod alerts;
pub mod assets;
pub mod auth;
mod cluster_health;
mod clusters;
pub mod embed;
pub mod error;
mod events;
mod groups;
mod headers;
mod health;
pub(crate) mod history;
pub mod list;
mod manage;
mod messages;
pub mod metrics;
pub mod openapi;
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
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use assets::WebAssets;
pub use error::ApiError;
pub use state::AppState;

/// Upper bound on a read request; reads are served from memory, so this is generous.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Run a change and its audit row to the end even when the request is dropped (the
/// client gone, the request timeout): a change is never left unaudited.
pub(crate) async fn detached<T: Send + 'static>(
    f: impl std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(f)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
}

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

/// Every documented route: the API under `/api/v1` and the pages outside it (health,
/// metrics, sign-in redirects, widgets and badges). The OpenAPI document is generated from
/// the same registrations, so what is served and what is documented cannot drift apart.
pub fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(clusters::router())
        .merge(topics::router())
        .merge(groups::router())
        .merge(history::router())
        .merge(cluster_health::router())
        .merge(alerts::router())
        .merge(alert_actions::router())
        .merge(messages::router())
        .merge(schemas::router())
        .merge(manage::router())
        .merge(auth::router())
        .merge(embed::api_router())
        .merge(openapi::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        // Server-sent events are long-lived: outside the timeout, and not buffered by
        // proxies (nginx honours X-Accel-Buffering).
        .merge(events::router().merge(messages::stream_router()).layer(
            SetResponseHeaderLayer::overriding(
                header::HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            ),
        ))
        .fallback(api_not_found);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(auth::public_router())
        .merge(health::router())
        .merge(metrics::router())
        .merge(embed::router())
}

/// The whole application router.
pub fn router(state: AppState, base_path: &str, web: Option<WebAssets>) -> Router {
    let (documented, _) = routes().split_for_parts();
    let app: Router<AppState> = documented
        .merge(assets::router(web))
        // Validators for what portals poll: the API, widgets and badges.
        .layer(axum::middleware::from_fn(headers::etag))
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
                    // The path only: a query can be a signed embed link (a capability).
                    .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
                        tracing::debug_span!(
                            "request",
                            method = %req.method(),
                            path = %req.uri().path()
                        )
                    })
                    .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
            )
            // Preflights are answered before anything else looks at the request, and every
            // answer to a listed origin (a panic's 500 too) carries its CORS headers.
            .option_layer(headers::cors(&state.embed.cfg.cors_origins))
            .layer(CatchPanicLayer::custom(panic_to_json))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                headers::security,
            ))
            .layer(CompressionLayer::new()),
    )
    .with_state(state)
}
