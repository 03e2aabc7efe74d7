//! Test harness: a real tansu broker process on a free loopback port, and a real Kafscope
//! (store in a temp SQLite file, HTTP on 127.0.0.1:0) driven with `poll_now`, no sleeps to
//! "let it start".

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kafscope::config::{Cli, Config};
use kafscope::App;
use serde_json::Value;

/// The tansu binary: `$TANSU_BIN`, else on PATH, else `~/.cargo/bin/tansu`.
fn tansu_bin() -> PathBuf {
    if let Ok(p) = std::env::var("TANSU_BIN") {
        return p.into();
    }
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            let c = dir.join("tansu");
            if c.is_file() {
                return c;
            }
        }
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let c = PathBuf::from(home).join(".cargo/bin/tansu");
    assert!(
        c.is_file(),
        "tansu is not installed: run scripts/test.sh (it installs tansu 0.6.0)"
    );
    c
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tansu broker with sqlite storage in its own temp dir.
pub struct Tansu {
    child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

impl Tansu {
    pub fn start() -> Tansu {
        let mut t = Tansu {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
        };
        t.spawn();
        t
    }

    fn spawn(&mut self) {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("tansu.log"))
            .unwrap();
        let child = Command::new(tansu_bin())
            .current_dir(self.dir.path())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "sqlite://tansu.db"])
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("starting tansu");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "tansu did not open port {}: {}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("tansu.log")).unwrap_or_default()
    }

    /// Kill the broker process (SIGKILL) and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port with the same data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        self.kill();
    }
}

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
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli {
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
        let config = Config::load(&cli, &[]).unwrap();
        Self::with_config(config, dir).await
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
            axum::serve(listener, router).await.unwrap();
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
