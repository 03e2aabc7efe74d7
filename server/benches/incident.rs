//! Incident benchmark (a benchmark, not a test): how fresh the console stays while a broker
//! dies. Three scripted brokers (tests/common/scripted_broker.rs), each its **own process**
//! (this binary re-run as one member), 300 partitions led evenly by the three, 30 groups.
//! The release console runs as its own process (poll 1 s, request timeout 2 s). Then broker 3
//! is killed with SIGKILL (connections refused, as after a crash) or frozen with SIGSTOP
//! (connections accepted by the kernel, nothing answered: a hung broker or a partition), and
//! for 20 s every published poll is recorded: its duration, and when the pages first showed
//! the broker's failure. The scripted brokers keep a dead broker in their metadata (Kafka does
//! so until `broker.session.timeout.ms`, 9 s by default), so this measures the poll itself.
//!
//! `cargo bench -p kafscope --bench incident` (BENCH_TIMEOUT: request timeout, default 2s).
//! Prints one table; figures go in the README.

use std::time::{Duration, Instant};

use kafscope::traffic;

#[path = "../tests/common/scripted_broker.rs"]
mod scripted_broker;

use scripted_broker::{Script, ScriptPartition, ScriptQuorum, ScriptTopic, ScriptedCluster};

const MEMBER: &str = "INCIDENT_MEMBER";
const PORTS: &str = "INCIDENT_PORTS";

fn script() -> Script {
    let parts = (0..300)
        .map(|p| {
            let leader = p % 3 + 1;
            ScriptPartition {
                leader: Some(leader),
                replicas: vec![leader, leader % 3 + 1, (leader + 1) % 3 + 1],
                isr: vec![1, 2, 3],
                end_offset: 1_000,
                size: 1_024,
            }
        })
        .collect();
    Script {
        controller: 1,
        topics: vec![ScriptTopic {
            name: "orders".into(),
            partitions: parts,
            configs: vec![],
        }],
        groups: (0..30)
            .map(|g| {
                let offsets = (0..10)
                    .map(|p| ("orders".to_string(), g * 10 + p, 500))
                    .collect();
                (format!("group-{g:02}"), offsets)
            })
            .collect(),
        quorum: Some(ScriptQuorum {
            leader: 1,
            epoch: 1,
            high_watermark: 100,
            voters: vec![(1, 100, -1, -1), (2, 100, -1, -1), (3, 100, -1, -1)],
            observers: vec![],
        }),
        ..Default::default()
    }
}

/// A child process, killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([sig, &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

async fn wait_port(port: u16) {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("port {port} never opened");
}

fn parse_ports(s: &str) -> Vec<(i32, u16)> {
    s.split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.parse().unwrap(), v.parse().unwrap())
        })
        .collect()
}

/// One scenario: start members and console, break broker 3 with `sig`, watch 20 s.
async fn scenario(sig: &str, timeout: &str) -> (Option<Duration>, Vec<u64>, Vec<u64>) {
    let ports: Vec<(i32, u16)> = (1..=3).map(|id| (id, traffic::free_port())).collect();
    let list: Vec<String> = ports.iter().map(|(id, p)| format!("{id}={p}")).collect();
    let exe = std::env::current_exe().unwrap();
    let members: Vec<Child> = ports
        .iter()
        .map(|(id, _)| {
            Child(
                std::process::Command::new(&exe)
                    .env(MEMBER, id.to_string())
                    .env(PORTS, list.join(","))
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for (_, p) in &ports {
        wait_port(*p).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kafscope.toml");
    let bs: Vec<String> = ports
        .iter()
        .map(|(_, p)| format!("127.0.0.1:{p}"))
        .collect();
    std::fs::write(
        &config,
        format!(
            "[store]\nurl = \"sqlite://{}\"\n[[clusters]]\nname = \"bench\"\nbootstrap_servers = \"{}\"\npoll_interval = \"1s\"\nrequest_timeout = \"{timeout}\"\nstatus_window = \"1m\"\n",
            dir.path().join("k.db").display(),
            bs.join(",")
        ),
    )
    .unwrap();
    let port = traffic::free_port();
    let _console = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_kafscope"))
            .arg("--config")
            .arg(&config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--web-dir")
            .arg(dir.path().join("no-web"))
            .env("KAFSCOPE_LOG", "error")
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/clusters/bench");
    let get = || async {
        http.get(&url)
            .send()
            .await
            .ok()?
            .json::<serde_json::Value>()
            .await
            .ok()
    };
    // Warm up: ten polls with every broker up.
    let mut before = Vec::new();
    let mut last = String::new();
    while before.len() < 10 {
        if let Some(s) = get().await {
            let at = s["last_poll"]["at"].as_str().unwrap_or("").to_string();
            if !at.is_empty() && at != last && s["last_poll"]["error"].is_null() {
                last = at;
                before.push(s["last_poll"]["duration_ms"].as_u64().unwrap_or(0));
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let killed = Instant::now();
    signal(&members[2], sig);
    let mut shown = None;
    let mut during = Vec::new();
    while killed.elapsed() < Duration::from_secs(20) {
        if let Some(s) = get().await {
            let at = s["last_poll"]["at"].as_str().unwrap_or("").to_string();
            if at != last {
                last = at;
                during.push(s["last_poll"]["duration_ms"].as_u64().unwrap_or(0));
                let errors = s["last_poll"]["stage_errors"].to_string();
                if shown.is_none() && (errors.contains("broker 3") || errors.contains("leader 3")) {
                    shown = Some(killed.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if sig == "-STOP" {
        signal(&members[2], "-CONT");
    }
    drop(members);
    (shown, before, during)
}

fn summary(v: &[u64]) -> String {
    let mut s = v.to_vec();
    s.sort();
    if s.is_empty() {
        return "—".into();
    }
    format!(
        "{} polls, median {} ms, max {} ms",
        s.len(),
        s[s.len() / 2],
        s[s.len() - 1]
    )
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    if let Ok(me) = std::env::var(MEMBER) {
        let ports = parse_ports(&std::env::var(PORTS).unwrap());
        rt.block_on(async {
            let _broker = ScriptedCluster::start_member(me.parse().unwrap(), ports, script()).await;
            std::future::pending::<()>().await;
        });
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let timeout = std::env::var("BENCH_TIMEOUT").unwrap_or_else(|_| "2s".into());
    println!("\nKafscope incident benchmark (release; 3 scripted brokers as processes, 300 partitions, 30 groups; poll 1s, request timeout {timeout})\n");
    println!("| broker 3 | pages show it after | polls before | polls during the 20 s after |");
    println!("|---|---|---|---|");
    for (sig, what) in [("-KILL", "killed (SIGKILL)"), ("-STOP", "hung (SIGSTOP)")] {
        let (shown, before, during) = rt.block_on(scenario(sig, &timeout));
        println!(
            "| {what} | {} | {} | {} |",
            shown
                .map(|d| format!("{:.1} s", d.as_secs_f64()))
                .unwrap_or_else(|| "not within 20 s".into()),
            summary(&before),
            summary(&during)
        );
    }
}
