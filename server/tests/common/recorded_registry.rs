//! A Schema Registry for tests: either a real one (Karapace, Confluent) reached through a
//! recording proxy, or the replay of such a recording — every answer was given by a real
//! registry, none is written by hand.
//!
//! With `KAFSCOPE_TEST_REGISTRY=http://host:port` (a fresh, empty registry) each exchange is
//! forwarded and written to the fixture when [`RecordedRegistry::finish`] runs; without it the
//! fixture is replayed.
//!
//! Replay follows the registry's state: the changes the registry made split the recording
//! into epochs. A change must be the next recorded one (same method, path, query and body)
//! and moves to its epoch; a read gets the same read recorded in the current epoch, else in
//! the latest earlier one (never a later state), so a UI that asks again, or in another
//! order, gets what the registry said in that state. Anything else is a 599 naming it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    /// Path and query, as sent.
    pub uri: String,
    /// The request body (JSON text), `null` when empty.
    pub body: Option<serde_json::Value>,
    pub status: u16,
    pub response: String,
}

#[derive(Clone)]
struct Shared {
    upstream: Option<String>,
    /// Where a recording is written.
    fixture: Option<PathBuf>,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
    /// Replay: recorded exchanges with their epochs, which changes were used, and the
    /// current epoch.
    recorded: Arc<Vec<(Exchange, usize)>>,
    used: Arc<Mutex<(Vec<bool>, usize)>>,
}

pub struct RecordedRegistry {
    pub url: String,
    pub recording: bool,
    shared: Shared,
}

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry")
        .join(format!("{name}.json"))
}

async fn handle(State(s): State<Shared>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let json_body: Option<serde_json::Value> =
        if body.is_empty() {
            None
        } else {
            Some(serde_json::from_slice(&body).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&body).into())
            }))
        };
    // The replay's own controls (for a browser spec, which runs in another process):
    // start over (a retried spec), and the recorded changes not made again.
    if path == "/__replay/reset" {
        let mut used = s.used.lock().unwrap();
        used.0.iter_mut().for_each(|u| *u = false);
        used.1 = 0;
        return answer(200, "{}".into());
    }
    if path == "/__replay/unused" {
        return answer(200, serde_json::to_string(&unused(&s)).unwrap_or_default());
    }
    if let Some(up) = &s.upstream {
        let mut req = s
            .http
            .request(method.clone(), format!("{up}{path}"))
            .header("accept", "application/vnd.schemaregistry.v1+json");
        if !body.is_empty() {
            req = req
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_vec());
        }
        let r = req.send().await.expect("the real registry answers");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        let mut log = s.log.lock().unwrap();
        log.push(Exchange {
            method: method.to_string(),
            uri: path,
            body: json_body,
            status,
            response: text.clone(),
        });
        // Written as it goes: a recording console (the browser tests') is stopped, not ended.
        if let Some(f) = &s.fixture {
            save(f, &log);
        }
        return answer(status, text);
    }
    let mut used = s.used.lock().unwrap();
    let write = changes(method.as_str(), &path);
    let matches =
        |e: &Exchange| e.method == method.as_str() && e.uri == path && e.body == json_body;
    let epoch = used.1;
    let found = if write {
        // Changes in the order they were recorded: the next one not made yet.
        (0..s.recorded.len())
            .find(|&i| !used.0[i] && changes(&s.recorded[i].0.method, &s.recorded[i].0.uri))
            .filter(|&i| matches(&s.recorded[i].0))
    } else {
        // A read as recorded in this state, else in the latest state before it (never one
        // recorded after a change not made yet).
        (0..s.recorded.len())
            .filter(|&i| matches(&s.recorded[i].0) && s.recorded[i].1 <= epoch)
            .max_by_key(|&i| (s.recorded[i].1, i))
    };
    if std::env::var_os("KAFSCOPE_REPLAY_DEBUG").is_some() {
        eprintln!("replay {method} {path} in epoch {epoch} -> {found:?}");
    }
    match found {
        Some(i) => {
            if write {
                used.0[i] = true;
                used.1 = s.recorded[i].1 + usize::from(succeeded(&s.recorded[i].0));
            }
            let e = &s.recorded[i].0;
            answer(e.status, e.response.clone())
        }
        None => answer(
            599,
            format!("not in the recording: {method} {path} {json_body:?} (record again: see scripts/record-registry.sh)"),
        ),
    }
}

/// A change the registry made (a refused one leaves the state as it was).
fn succeeded(e: &Exchange) -> bool {
    (200..300).contains(&e.status)
}

/// The recorded changes not made again.
fn unused(s: &Shared) -> Vec<String> {
    let used = s.used.lock().unwrap();
    s.recorded
        .iter()
        .enumerate()
        .filter(|(i, (e, _))| changes(&e.method, &e.uri) && !used.0[*i])
        .map(|(_, (e, _))| format!("{} {}", e.method, e.uri))
        .collect()
}

/// Whether a request changes the registry (compatibility checks and schema lookups are
/// POSTs that read).
fn changes(method: &str, path: &str) -> bool {
    let p = path.split('?').next().unwrap_or_default();
    let lookup = method == "POST" && p.starts_with("/subjects/") && p.matches('/').count() == 2;
    method != "GET" && !p.starts_with("/compatibility/") && !lookup
}

fn answer(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/vnd.schemaregistry.v1+json")],
        body,
    )
        .into_response()
}

impl RecordedRegistry {
    /// Serve the fixture `name` (or record it, see the module's comment) on loopback.
    pub async fn start(name: &str) -> RecordedRegistry {
        let fixture = fixture_path(name);
        let upstream = std::env::var("KAFSCOPE_TEST_REGISTRY")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|u| u.trim_end_matches('/').to_string());
        let recorded: Vec<Exchange> = match &upstream {
            Some(_) => Vec::new(),
            None => serde_json::from_str(
                &std::fs::read_to_string(&fixture)
                    .unwrap_or_else(|e| panic!("{}: {e}", fixture.display())),
            )
            .expect("a recording"),
        };
        // Each exchange's epoch: the changes recorded before it.
        let mut epoch = 0;
        let recorded: Vec<(Exchange, usize)> = recorded
            .into_iter()
            .map(|e| {
                let at = epoch;
                if changes(&e.method, &e.uri) && succeeded(&e) {
                    epoch += 1;
                }
                (e, at)
            })
            .collect();
        let shared = Shared {
            upstream: upstream.clone(),
            fixture: upstream.is_some().then(|| fixture.clone()),
            http: reqwest::Client::new(),
            log: Default::default(),
            used: Arc::new(Mutex::new((vec![false; recorded.len()], 0))),
            recorded: Arc::new(recorded),
        };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        RecordedRegistry {
            url: format!("http://{addr}"),
            recording: upstream.is_some(),
            shared,
        }
    }

    /// Replaying: every recorded change was made again (the test still does what was
    /// recorded). Recording: nothing more to do, the fixture is written as it goes.
    pub fn finish(&self) {
        if self.recording {
            return;
        }
        let missed = unused(&self.shared);
        assert!(
            missed.is_empty(),
            "recorded changes not made again: {missed:?}"
        );
    }
}

fn save(path: &std::path::Path, log: &[Exchange]) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(
        path,
        serde_json::to_string_pretty(log).unwrap_or_default() + "\n",
    );
}
