//! `GET /api/v1/events`: server-sent events, one `snapshot` event per published snapshot, so
//! pages refresh when data changes instead of polling. Viewers never cause Kafka requests.

use std::convert::Infallible;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::Stream;
use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

#[utoipa::path(
    get,
    path = "/events",
    operation_id = "events",
    tag = "operations",
    responses((status = 200, description = "Server-sent events: `snapshot` (data: SnapshotEvent) for every snapshot of a cluster the caller may view; a comment every 15 s keeps proxies open", content_type = "text/event-stream", body = String))
)]
async fn events(
    State(st): State<AppState>,
    principal: Principal,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    st.allow_somewhere(&principal)?;
    let visible: std::collections::HashSet<String> = st
        .clusters
        .iter()
        .map(|(c, _)| c.clone())
        .filter(|c| st.may(&principal, Permission::View, &Resource::cluster(c, false)))
        .collect();
    let visible = std::sync::Arc::new(visible);
    let stream = BroadcastStream::new(st.events.subscribe()).filter_map(move |msg| {
        let visible = visible.clone();
        async move {
            // A slow reader that missed events just gets the next one.
            let ev = msg.ok()?;
            if !visible.contains(&ev.cluster) {
                return None;
            }
            Event::default()
                .event("snapshot")
                .json_data(&ev)
                .ok()
                .map(Ok)
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
