//! Test harness: a real tansu broker process on a free loopback port, and a real Kafscope
//! (store in a temp SQLite file, HTTP on 127.0.0.1:0) driven with `poll_now`, no sleeps to
//! "let it start".

#![allow(dead_code)]

pub mod recorded_registry;
pub mod scripted_broker;
pub mod webhook;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use kafscope::traffic::{free_port, Tansu};

use kafscope::config::{Cli, Config};
use kafscope::App;
use serde_json::Value;

/// A running Kafscope with a real store file and a real HTTP server.
pub struct TestApp {
    pub app: App,
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    config: Config,
    _dir: tempfile::TempDir,
}

impl TestApp {
    /// One cluster named `test` at `bootstrap`, polled every `poll`.
    pub async fn start(bootstrap: &str, poll: &str) -> TestApp {
        Self::start_with(bootstrap, poll, |_| {}).await
    }

    /// Like [`TestApp::start`], with flags changed by `adjust` (e.g. `metrics_url`).
    pub async fn start_with(bootstrap: &str, poll: &str, adjust: impl FnOnce(&mut Cli)) -> TestApp {
        Self::start_configured(bootstrap, poll, adjust, |_| {}).await
    }

    /// Like [`TestApp::start_with`], then `config` changes what flags cannot (masking,
    /// admin token, read-only).
    pub async fn start_configured(
        bootstrap: &str,
        poll: &str,
        adjust: impl FnOnce(&mut Cli),
        config: impl FnOnce(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let mut cli = Cli {
            bootstrap_servers: Some(bootstrap.to_string()),
            cluster_name: "test".into(),
            poll_interval: Some(poll.to_string()),
            store_url: Some(format!(
                "sqlite://{}",
                dir.path().join("kafscope.db").display()
            )),
            listen: Some("127.0.0.1:0".into()),
            web_dir: Some(dir.path().join("no-web")),
            ..Default::default()
        };
        adjust(&mut cli);
        let mut c = Config::load(&cli, &[]).unwrap();
        config(&mut c);
        Self::with_config(c, dir).await
    }

    /// Stop the console and start it again on the same store file (a new HTTP port).
    pub async fn restart(self) -> TestApp {
        let TestApp {
            app, config, _dir, ..
        } = self;
        app.stop().await;
        Self::with_config(config, _dir).await
    }

    pub async fn with_config(config: Config, dir: tempfile::TempDir) -> TestApp {
        let app = App::start(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = app.router();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        TestApp {
            app,
            addr,
            http: reqwest::Client::new(),
            config,
            _dir: dir,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("http://{}{}", self.addr, path))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    /// GET a text answer (for `/metrics`).
    pub async fn text(&self, path: &str) -> String {
        self.http
            .get(format!("http://{}{}", self.addr, path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// GET until `ok` holds, polling the collector between tries (at most `limit`).
    pub async fn poll_until(
        &self,
        path: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            self.app.poll_now().await;
            let (_, v) = self.get(path).await;
            if ok(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "condition not met on {path} in {limit:?}: {v:#}"
            );
        }
    }
}

/// An API call (`path` under `/api/v1`) with an optional bearer token and JSON body: the
/// status and the JSON answer (a string when it is not JSON).
pub async fn send(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = t
        .http
        .request(method, format!("http://{}/api/v1{path}", t.addr));
    if let Some(tok) = token {
        r = r.bearer_auth(tok);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The first problem of `kind` in a `/health` answer.
pub fn problem<'a>(health: &'a Value, kind: &str) -> Option<&'a Value> {
    health["problems"]
        .as_array()?
        .iter()
        .find(|p| p["kind"] == kind)
}

/// The independent clients (kafka-python, fastavro) in the venv `scripts/test.sh` prepares.
pub fn python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("KAFSCOPE_TEST_PYTHON") {
        return p.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let p = target.join("pyclient/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh once (it installs kafka-python there)",
        p.display()
    );
    p
}
