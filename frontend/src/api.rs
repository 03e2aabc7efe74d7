//! The one API client of the UI: the base path, JSON fetches with the server's error
//! envelope turned into a message, and `use_api`, a load that refreshes when the server
//! publishes a new snapshot (server-sent events) or when its URL changes.

use std::sync::OnceLock;

use kafscope_api::{ErrorBody, Me};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

static BASE: OnceLock<String> = OnceLock::new();

/// The base path the server is mounted under ("" at the root), from `index.html`.
pub fn base() -> &'static str {
    BASE.get_or_init(|| {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("meta[name=kafscope-base]").ok().flatten())
            .and_then(|m| m.get_attribute("content"))
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    })
}

/// A UI path under the base path.
pub fn href(path: &str) -> String {
    format!("{}{}", base(), path)
}

/// Percent-encode one path segment or query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Who is signed in, as `/me` said last; `None` until it answered.
#[derive(Clone, Copy)]
pub struct Session(pub RwSignal<Option<Me>>);

/// The app's one session (set once at the root; read from async code too, where there is no
/// reactive context).
static SESSION: OnceLock<Session> = OnceLock::new();

/// Make `s` the app's session.
pub fn set_session(s: Session) {
    let _ = SESSION.set(s);
}

/// The session of the app.
pub fn session() -> Option<Session> {
    SESSION.get().copied()
}

/// Load `/me` into the session.
pub fn refresh_session(s: Session) {
    spawn_local(async move {
        if let Ok(me) = get_json::<Me>("/me").await {
            s.0.try_set(Some(me));
        }
    });
}

/// The CSRF token of the signed-in session (changes carry it).
fn csrf_token() -> Option<String> {
    session()?.0.get_untracked()?.csrf_token
}

/// Whether the signed-in principal has `permission` in `cluster` (or anywhere when `None`).
/// For showing or hiding actions only: the server decides every request.
pub fn can(permission: &str, cluster: Option<&str>) -> bool {
    let Some(me) = session().and_then(|s| s.0.get()) else {
        return false;
    };
    if me.permissions.iter().any(|p| p == permission) {
        return true;
    }
    match cluster {
        Some(c) => me
            .cluster_permissions
            .get(c)
            .is_some_and(|ps| ps.iter().any(|p| p == permission)),
        None => me
            .cluster_permissions
            .values()
            .any(|ps| ps.iter().any(|p| p == permission)),
    }
}

/// The sentence shown on an action the principal may not take.
pub fn needs(permission: &str) -> String {
    format!("You need the permission {permission} for this (ask an administrator).")
}

/// A 401 means the session ended: ask `/me` again, so the sign-in page shows.
fn signed_out() {
    if let Some(s) = session() {
        refresh_session(s);
    }
}

/// GET `{base}/api/v1{path}` as JSON.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let url = format!("{}/api/v1{}", base(), path);
    let resp = gloo_net::http::Request::get(&url)
        .send()
        .await
        .map_err(|e| format!("cannot reach the Kafscope server: {e}"))?;
    if resp.ok() {
        resp.json::<T>()
            .await
            .map_err(|e| format!("unexpected answer from the server: {e}"))
    } else {
        let status = resp.status();
        if status == 401 && path != "/me" {
            signed_out();
        }
        match resp.json::<ErrorBody>().await {
            Ok(b) => Err(b.error.message),
            Err(_) => Err(format!("the server answered HTTP {status}")),
        }
    }
}

/// POST (or DELETE when `body` is `None` and `delete`) a change to `{base}/api/v1{path}`
/// as the signed-in principal (with the session's CSRF token); the server's error message
/// on failure.
pub async fn send_change(
    path: &str,
    body: Option<serde_json::Value>,
    delete: bool,
) -> Result<(), String> {
    change(path, body, delete).await.map(|_| ())
}

/// Like [`send_change`] (a POST), returning the server's JSON answer.
pub async fn send_change_json<T: DeserializeOwned>(
    path: &str,
    body: serde_json::Value,
) -> Result<T, String> {
    change(path, Some(body), false)
        .await?
        .json::<T>()
        .await
        .map_err(|e| format!("unexpected answer from the server: {e}"))
}

/// A change with any method (`POST`, `PUT`, `DELETE`), returning the server's JSON answer.
pub async fn send_json<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<T, String> {
    request(method, path, body)
        .await?
        .json::<T>()
        .await
        .map_err(|e| format!("unexpected answer from the server: {e}"))
}

async fn change(
    path: &str,
    body: Option<serde_json::Value>,
    delete: bool,
) -> Result<gloo_net::http::Response, String> {
    request(if delete { "DELETE" } else { "POST" }, path, body).await
}

async fn request(
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<gloo_net::http::Response, String> {
    let url = format!("{}/api/v1{}", base(), path);
    let mut req = match method {
        "DELETE" => gloo_net::http::Request::delete(&url),
        "PUT" => gloo_net::http::Request::put(&url),
        _ => gloo_net::http::Request::post(&url),
    };
    if let Some(t) = csrf_token() {
        req = req.header("X-CSRF-Token", &t);
    }
    let resp = match body {
        Some(b) => req.json(&b).map_err(|e| e.to_string())?.send().await,
        None => req.send().await,
    }
    .map_err(|e| format!("cannot reach the Kafscope server: {e}"))?;
    if resp.ok() {
        return Ok(resp);
    }
    if resp.status() == 401 {
        signed_out();
    }
    match resp.json::<ErrorBody>().await {
        Ok(b) => Err(b.error.message),
        Err(_) => Err(format!("the server answered HTTP {}", resp.status())),
    }
}

/// State of a load.
#[derive(Clone, Debug, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// Bumped on every `snapshot` server-sent event; loads re-run when it changes.
#[derive(Clone, Copy)]
pub struct Refresh(pub RwSignal<u64>);

/// Open the event stream once for the whole app.
pub fn start_live_updates() -> Refresh {
    let tick = RwSignal::new(0u64);
    if let Ok(es) = web_sys::EventSource::new(&format!("{}/api/v1/events", base())) {
        let cb = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
            tick.update(|t| *t += 1);
        });
        let _ = es.add_event_listener_with_callback("snapshot", cb.as_ref().unchecked_ref());
        // Both live as long as the page: the stream reconnects by itself.
        cb.forget();
        std::mem::forget(es);
    }
    Refresh(tick)
}

/// Load `path()` now, again whenever it changes, and on every new snapshot. While a refresh
/// runs the previous data stays on screen; answers that arrive out of order are dropped.
pub fn use_api<T>(path: impl Fn() -> String + Send + Sync + 'static) -> ReadSignal<Load<T>>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    load_on(path, use_context::<Refresh>().map(|r| r.0))
}

/// Like [`use_api`], but loaded again only when `path()` or `again` changes, not on every
/// snapshot: for data that lives outside Kafscope's snapshot (the Schema Registry).
pub fn use_fetch<T>(
    path: impl Fn() -> String + Send + Sync + 'static,
    again: RwSignal<u64>,
) -> ReadSignal<Load<T>>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    load_on(path, Some(again))
}

fn load_on<T>(
    path: impl Fn() -> String + Send + Sync + 'static,
    tick: Option<RwSignal<u64>>,
) -> ReadSignal<Load<T>>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    let (data, set_data) = signal(Load::<T>::Loading);
    let seq = StoredValue::new(0u64);
    let last = StoredValue::new(String::new());
    Effect::new(move |_| {
        let p = path();
        if let Some(t) = tick {
            t.track();
        }
        if last.try_get_value().as_deref() != Some(p.as_str()) {
            last.try_set_value(p.clone());
            set_data.try_set(Load::Loading);
        }
        let id = seq.try_get_value().unwrap_or(0) + 1;
        seq.try_set_value(id);
        spawn_local(async move {
            let r = get_json::<T>(&p).await;
            if seq.try_get_value() == Some(id) {
                set_data.try_set(match r {
                    Ok(v) => Load::Ready(v),
                    Err(e) => Load::Failed(e),
                });
            }
        });
    });
    data
}
