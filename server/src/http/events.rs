//! `GET /api/v1/events`: server-sent events, one `snapshot` event per published snapshot, so
//! pages refresh when data changes instead of polling. Viewers never cause Kafka requests.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures::stream::Stream;
use futures::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use super::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

async fn events(State(st): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = BroadcastStream::new(st.events.subscribe()).filter_map(|msg| async move {
        // A slow reader that missed events just gets the next one.
        let ev = msg.ok()?;
        Event::default()
            .event("snapshot")
            .json_data(&ev)
            .ok()
            .map(Ok)
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
