//! Alerts end to end: a real broker, a consumer group that stops, the built-in rule, and a
//! real HTTP receiver on loopback getting the firing and the resolved notification, in the
//! generic and the Alertmanager formats, with retries when the receiver fails.

mod common;

use std::time::{Duration, Instant};

use common::webhook::{receiver, receiver_with, Got};
use common::{Tansu, TestApp};
use kafscope::config::{Cli, Config};
use kafscope::traffic;
use serde_json::Value;

/// `s-topic` with `produced` records, and groups committed at the given offsets.
async fn seed(bs: &str, produced: usize, groups: &[(&'static str, i64)]) {
    traffic::create_topics(bs, &[("s-topic", 1)]).await.unwrap();
    let (bs, groups) = (bs.to_string(), groups.to_vec());
    tokio::task::spawn_blocking(move || {
        traffic::produce_n(&bs, "s-topic", 0, produced).unwrap();
        for (g, offset) in groups {
            traffic::commit(&bs, g, &[("s-topic", 0, offset)]).unwrap();
        }
    })
    .await
    .unwrap();
}

/// The groups move once while the console watches (one commit further), so they count as
/// active before they stop: a group already stopped when first seen is `inactive`, not an
/// incident.
async fn move_once(t: &TestApp, bs: &str, groups: &[(&'static str, i64)]) {
    t.app.poll_now().await;
    let (bs, groups) = (bs.to_string(), groups.to_vec());
    tokio::task::spawn_blocking(move || {
        for (g, offset) in groups {
            traffic::commit(&bs, g, &[("s-topic", 0, offset + 1)]).unwrap();
        }
    })
    .await
    .unwrap();
    t.app.poll_now().await;
}

fn config(bs: &str, url: &str, dir: &std::path::Path) -> Config {
    let path = write_config(bs, url, dir);
    let cli = Cli {
        config: Some(path),
        web_dir: Some(dir.join("no-web")),
        ..Default::default()
    };
    Config::load(&cli, &[]).unwrap()
}

fn write_config(bs: &str, url: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let toml = format!(
        r#"
[server]
admin_token = "t0p-secret"
# Anyone may look without signing in; changes need the token.
[auth]
anonymous_role = "viewer"
[store]
url = "sqlite://{db}"
[[clusters]]
name = "test"
bootstrap_servers = "{bs}"
poll_interval = "1s"
status_window = "3s"
[alerts]
external_url = "http://kafscope.example"
[[alerts.receivers]]
name = "generic"
url = "{url}/generic"
# Seconds-long tests: groups go out at once and update every second.
group_wait = "0s"
group_interval = "1s"
[alerts.receivers.headers]
Authorization = "Bearer s3cret-token"
[[alerts.receivers]]
name = "am"
url = "{url}/alertmanager"
format = "alertmanager"
group_wait = "0s"
group_interval = "1s"
[[alerts.rules]]
id = "consumer_stalled"
for = "2s"
"#,
        db = dir.join("k.db").display()
    );
    let path = dir.join("kafscope.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Poll (producing a record each time) until `ok` holds for what the receiver got.
async fn until(
    t: &TestApp,
    bs: &str,
    got: &Got,
    limit: Duration,
    ok: impl Fn(&[(String, String, String, Value)]) -> bool,
) {
    let deadline = Instant::now() + limit;
    loop {
        if ok(&got.lock().unwrap()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "receiver got: {:#?}",
            got.lock().unwrap()
        );
        let bs = bs.to_string();
        tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "s-topic", 0, 1).unwrap())
            .await
            .unwrap();
        t.app.poll_now().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn of<'a>(
    got: &'a [(String, String, String, Value)],
    kind: &str,
    status: &str,
) -> Vec<&'a (String, String, String, Value)> {
    got.iter()
        .filter(|(k, _, _, v)| k == kind && v["status"] == status)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_group_fires_then_resolves_in_both_formats_despite_receiver_errors() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 4, &[("stopper", 2)]).await;
    // The receiver fails its first two requests: the outbox retries them.
    let (url, got) = receiver(2).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&bs, &url, dir.path());
    let t = TestApp::with_config(cfg, dir).await;
    move_once(&t, &bs, &[("stopper", 2)]).await;

    until(&t, &bs, &got, Duration::from_secs(60), |g| {
        !of(g, "generic", "firing").is_empty() && !of(g, "alertmanager", "firing").is_empty()
    })
    .await;
    {
        let g = got.lock().unwrap();
        let (_, key, auth, body) = of(&g, "generic", "firing")[0].clone();
        assert_eq!(body["version"], "kafscope.alerts.v2");
        assert_eq!(body["kind"], "firing");
        assert_eq!(body["group_labels"]["alertname"], "consumer_stalled");
        assert_eq!(body["group_labels"]["cluster"], "test");
        assert_eq!(body["firing"], 1);
        let alert = &body["alerts"][0];
        assert_eq!(alert["rule"], "consumer_stalled");
        assert_eq!(alert["severity"], "critical");
        assert_eq!(alert["labels"]["group"], "stopper");
        assert_eq!(
            alert["url"],
            "http://kafscope.example/clusters/test/consumer-groups/stopper"
        );
        assert!(
            alert["summary"]
                .as_str()
                .unwrap()
                .contains("stopper is stopped"),
            "{body}"
        );
        assert_eq!(key, body["idempotency_key"].as_str().unwrap());
        assert_eq!(auth, "Bearer s3cret-token");
        let (_, am_key, am_auth, am) = of(&g, "alertmanager", "firing")[0].clone();
        assert_eq!(am["version"], "4");
        assert_eq!(am["receiver"], "am");
        assert_eq!(am["alerts"][0]["labels"]["alertname"], "consumer_stalled");
        assert_eq!(am["alerts"][0]["labels"]["group"], "stopper");
        assert_eq!(am["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        assert_ne!(am_key, key, "each receiver has its own groups and keys");
        assert_eq!(am_auth, "", "headers are per receiver");
    }
    let (_, alerts) = t.get("/api/v1/alerts?q=stopper").await;
    assert_eq!(alerts["items"][0]["state"], "firing", "{alerts}");
    assert_eq!(
        alerts["items"][0]["link"],
        "/clusters/test/consumer-groups/stopper"
    );
    let (_, receivers) = t.get("/api/v1/alerts/receivers").await;
    assert!(!receivers.to_string().contains("s3cret"), "{receivers}");
    assert_eq!(
        receivers["items"][1]["headers"],
        serde_json::json!(["Authorization"])
    );

    // The group catches up to the end and keeps up: the alert resolves, both receivers hear.
    let (_, topic) = t.get("/api/v1/clusters/test/topics/s-topic").await;
    let end = topic["partitions"][0]["high_watermark"].as_i64().unwrap();
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::commit(&bs, "stopper", &[("s-topic", 0, end)]).unwrap()
        })
        .await
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        t.app.poll_now().await;
        let done = {
            let g = got.lock().unwrap();
            !of(&g, "generic", "resolved").is_empty()
                && !of(&g, "alertmanager", "resolved").is_empty()
        };
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no resolved notification: {:#?}",
            got.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let g = got.lock().unwrap().clone();
    let resolved = of(&g, "alertmanager", "resolved")[0].3.clone();
    assert_ne!(resolved["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    // Exactly one firing and one resolved per receiver: retries never duplicate a key.
    let mut keys: Vec<(String, String)> = g
        .iter()
        .map(|(k, key, _, _)| (k.clone(), key.clone()))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a key arrived twice: {g:#?}");
    assert_eq!(of(&g, "generic", "firing").len(), 1);
    assert_eq!(of(&g, "generic", "resolved").len(), 1);
    let (_, deliveries) = t.get("/api/v1/alerts/deliveries").await;
    let items = deliveries["items"].as_array().unwrap();
    assert!(
        items.iter().all(|d| d["state"] == "delivered"),
        "{deliveries}"
    );
    assert!(
        items.iter().any(|d| d["attempts"].as_i64().unwrap() > 1),
        "the failures were retried: {deliveries}"
    );
    // The episode is in the history, with when it fired and how long it lasted.
    let (_, history) = t.get("/api/v1/alerts/history?group=stopper").await;
    let ep = &history["items"][0];
    assert_eq!(ep["rule"], "consumer_stalled", "{history}");
    assert!(ep["resolved_at"].is_string(), "{history}");
    assert!(ep["duration_seconds"].as_u64().is_some(), "{history}");
    assert_eq!(ep["link"], "/clusters/test/consumer-groups/stopper");
    let (status, bad) = t.get("/api/v1/alerts/history?limit=0").await;
    assert_eq!(status, 400, "{bad}");
    let (status, bad) = t
        .get("/api/v1/alerts/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z")
        .await;
    assert_eq!(status, 400, "{bad}");
    t.app.stop().await;
}

/// The console as its own process, so it can be killed with SIGKILL.
struct Console {
    child: std::process::Child,
    base: String,
}

impl Console {
    async fn start(config: &std::path::Path, dir: &std::path::Path) -> Console {
        let port = traffic::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_kafscope"))
            .arg("--config")
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--web-dir")
            .arg(dir.join("no-web"))
            .env("KAFSCOPE_LOG", "warn")
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while reqwest::get(format!("{base}/healthz")).await.is_err() {
            assert!(Instant::now() < deadline, "console did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Console { child, base }
    }

    async fn get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn kill(&mut self) {
        // SIGKILL: no shutdown code runs.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_receiver_is_down_and_the_console_is_killed() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 4, &[("stopper", 2)]).await;
    // The receiver is down (500) until told otherwise.
    let (url, got, budget) = receiver_with(usize::MAX).await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(&bs, &url, dir.path());
    let mut console = Console::start(&path, dir.path()).await;
    // The group moves once while this console watches (2 seen, then 3): active, then stopped.
    let committed = |c: &Value| c["offsets"][0]["committed_offset"].as_i64();
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed(
        &console
            .get("/api/v1/clusters/test/consumer-groups/stopper")
            .await,
    ) != Some(2)
    {
        assert!(
            Instant::now() < deadline,
            "the console never read the group"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::commit(&bs, "stopper", &[("s-topic", 0, 3)]).unwrap()
        })
        .await
        .unwrap();
    }
    while committed(
        &console
            .get("/api/v1/clusters/test/consumer-groups/stopper")
            .await,
    ) != Some(3)
    {
        assert!(
            Instant::now() < deadline,
            "the console never saw the group move"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Produce until the firing notifications sit in the outbox with failed attempts.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = console.get("/api/v1/alerts/deliveries").await;
        let items = d["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= 2
            && items
                .iter()
                .all(|i| i["state"] == "pending" && i["attempts"].as_i64() >= Some(1))
        {
            assert!(
                items
                    .iter()
                    .all(|i| i["last_error"] == "HTTP 500 Internal Server Error"),
                "{d}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "no pending notification: {d}");
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "s-topic", 0, 1).unwrap())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    console.kill();
    assert!(got.lock().unwrap().is_empty());

    // Both come back.
    *budget.lock().unwrap() = 0;
    let console = Console::start(&path, dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = got.lock().unwrap().len();
        if n >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few more polls: the restarted console knows the alert fires already and sends no
    // new episode; every key arrived once per receiver.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let g = got.lock().unwrap().clone();
    let firing: Vec<_> = g
        .iter()
        .filter(|(_, _, _, v)| v["status"] == "firing")
        .collect();
    assert_eq!(firing.len(), 2, "{g:#?}");
    let mut receivers: Vec<&str> = firing.iter().map(|f| f.0.as_str()).collect();
    receivers.sort();
    assert_eq!(
        receivers,
        vec!["alertmanager", "generic"],
        "one notification per receiver"
    );
    let d = console.get("/api/v1/alerts/deliveries").await;
    assert!(
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "delivered"),
        "{d}"
    );
    let alerts = console.get("/api/v1/alerts?q=stopper").await;
    assert_eq!(alerts["items"][0]["state"], "firing", "{alerts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_holds_back_matching_alerts_only_until_it_expires() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 4, &[("quiet-one", 2), ("loud-one", 1)]).await;
    let (url, got) = receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&bs, &url, dir.path());
    let t = TestApp::with_config(cfg, dir).await;
    move_once(&t, &bs, &[("quiet-one", 2), ("loud-one", 1)]).await;
    let http = reqwest::Client::new();
    let api = |p: &str| format!("http://{}/api/v1{p}", t.addr);
    let silence = serde_json::json!({
        "matchers": {"alertname": "consumer_stalled", "group": "quiet-one"},
        "duration": "6s",
        "comment": "maintenance of quiet-one"
    });

    // Changes need a principal with alerts.manage; the answer says which permission.
    let r = http
        .post(api("/alerts/silences"))
        .json(&silence)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lacks the permission alerts.manage"),
        "{body}"
    );
    let r = http
        .post(api("/alerts/silences"))
        .bearer_auth("t0p-secret")
        .header("x-kafscope-user", "alice")
        .json(&serde_json::json!({"matchers": {}, "duration": "1h", "comment": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(api("/alerts/silences"))
        .bearer_auth("t0p-secret")
        .header("x-kafscope-user", "alice")
        .json(&silence)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    // The author is the authenticated token; a forged X-Kafscope-User changes nothing.
    assert_eq!(created["author"], "admin_token (token)");
    assert_eq!(created["active"], true);
    let silenced_at = Instant::now();

    // Both groups stop; only the loud one is told while the silence lasts.
    until(&t, &bs, &got, Duration::from_secs(60), |g| {
        !of(g, "generic", "firing").is_empty()
    })
    .await;
    {
        let g = got.lock().unwrap();
        let groups: Vec<&str> = of(&g, "generic", "firing")
            .iter()
            .flat_map(|(_, _, _, v)| v["alerts"].as_array().unwrap().iter())
            .map(|a| a["labels"]["group"].as_str().unwrap())
            .collect();
        assert_eq!(groups, vec!["loud-one"], "{g:#?}");
    }
    if silenced_at.elapsed() < Duration::from_secs(5) {
        let (_, alerts) = t.get("/api/v1/alerts?q=quiet-one").await;
        assert_eq!(alerts["items"][0]["state"], "firing", "{alerts}");
        assert_eq!(alerts["items"][0]["silenced_by"], created["id"], "{alerts}");
    }
    // When the silence ends, the held-back alert is sent.
    until(&t, &bs, &got, Duration::from_secs(60), |g| {
        of(g, "generic", "firing").iter().any(|(_, _, _, v)| {
            v["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["labels"]["group"] == "quiet-one")
        })
    })
    .await;
    assert!(
        silenced_at.elapsed() >= Duration::from_secs(6),
        "sent before the silence ended"
    );
    let audit: Value = http
        .get(api("/audit"))
        .bearer_auth("t0p-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["action"], "silence.create", "{audit}");
    assert_eq!(audit["items"][0]["actor"], "admin_token");
    assert_eq!(audit["items"][0]["actor_kind"], "token");
    assert_eq!(audit["items"][0]["outcome"], "done");
    assert_eq!(audit["items"][0]["source_addr"], "127.0.0.1");
    // The anonymous attempt is on record as refused, with the missing permission.
    assert_eq!(audit["items"][1]["outcome"], "refused", "{audit}");
    assert_eq!(audit["items"][1]["actor_kind"], "anonymous");
    assert_eq!(
        audit["items"][1]["detail"]["missing_permission"],
        "alerts.manage"
    );
    // Viewers do not read the audit of changes outside a cluster.
    let (_, seen) = t.get("/api/v1/audit").await;
    assert_eq!(seen["total"], 0, "{seen}");

    // Acknowledge the loud one; test a receiver; both audited.
    let (_, alerts) = t.get("/api/v1/alerts?q=loud-one").await;
    let fp = alerts["items"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let r = http
        .post(api("/alerts/ack"))
        .bearer_auth("t0p-secret")
        .json(&serde_json::json!({"fingerprint": fp, "comment": "on it"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, alerts) = t.get("/api/v1/alerts?q=loud-one").await;
    assert_eq!(alerts["items"][0]["acked_by"], "admin_token (token)");
    assert_eq!(alerts["items"][0]["ack_comment"], "on it");
    let r = http
        .post(api("/alerts/receivers/am/test"))
        .bearer_auth("t0p-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !got.lock().unwrap().iter().any(|(k, _, _, v)| {
        k == "alertmanager" && v["alerts"][0]["labels"]["alertname"] == "kafscope_test"
    }) {
        assert!(Instant::now() < deadline, "no test notification");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = http
        .post(api("/alerts/receivers/nope/test"))
        .bearer_auth("t0p-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let audit: Value = http
        .get(api("/audit?outcome=done"))
        .bearer_auth("t0p-secret")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Who acknowledged which episode is in the history.
    let (_, history) = t.get("/api/v1/alerts/history?group=loud-one").await;
    assert_eq!(
        history["items"][0]["acked_by"], "admin_token (token)",
        "{history}"
    );
    assert_eq!(history["items"][0]["ack_comment"], "on it");
    let (_, quiet) = t.get("/api/v1/alerts/history?group=quiet-one").await;
    assert_eq!(quiet["items"][0]["silenced"], true, "{quiet}");
    assert_eq!(
        quiet["items"][0]["silence_author"], "admin_token (token)",
        "{quiet}"
    );
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["receiver.test", "alert.ack", "silence.create"]
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tokens_are_refused_not_taken_for_anonymous() {
    // No cluster needs to answer: the console starts and refuses the request.
    let t = TestApp::start("127.0.0.1:9", "1s").await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/api/v1/alerts/silences", t.addr))
        .bearer_auth("anything")
        .json(&serde_json::json!({"matchers": {"a": "b"}, "duration": "1h", "comment": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown, revoked or expired"),
        "{body}"
    );
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_created_through_the_api_fire_survive_a_restart_and_can_be_removed() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 10, &[("lagger", 4)]).await;
    let (url, _got) = receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&bs, &url, dir.path());
    let t = TestApp::with_config(cfg, dir).await;
    let http = reqwest::Client::new();
    let post = |body: Value| {
        let http = http.clone();
        let url = format!("http://{}/api/v1/alerts/rules", t.addr);
        async move {
            http.post(url)
                .bearer_auth("t0p-secret")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    // Mistakes are 400s that name the field.
    let r = post(serde_json::json!({"id": "nope"})).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs a `kind`"),
        "{e}"
    );
    let r = post(serde_json::json!({"id": "x", "kind": "group_lag", "threshold": "many"})).await;
    assert_eq!(r.status(), 400);

    let r = post(serde_json::json!({
        "id": "lagger_lag", "kind": "group_lag", "cmp": ">", "threshold": 3,
        "groups": ["lagger"], "topics": ["s-topic"], "severity": "critical",
        "labels": {"team": "payments"}
    }))
    .await;
    assert_eq!(r.status(), 201);
    let alerts = t
        .poll_until(
            "/api/v1/alerts?q=lagger_lag",
            Duration::from_secs(30),
            |v| v["items"][0]["state"] == "firing",
        )
        .await;
    assert_eq!(alerts["items"][0]["labels"]["team"], "payments");
    assert_eq!(alerts["items"][0]["value"], 6.0);
    let (_, rules) = t.get("/api/v1/alerts/rules?q=lagger_lag").await;
    assert_eq!(rules["items"][0]["source"], "api");
    assert_eq!(rules["items"][0]["firing"], 1);

    // The rule outlives a restart (it lives in the store).
    let t = t.restart().await;
    let (_, rules) = t.get("/api/v1/alerts/rules?q=lagger_lag").await;
    assert_eq!(rules["items"][0]["source"], "api", "{rules}");

    let del = |id: &str| {
        let http = http.clone();
        let url = format!("http://{}/api/v1/alerts/rules/{id}", t.addr);
        async move {
            http.delete(url)
                .bearer_auth("t0p-secret")
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(del("lagger_lag").await, 204);
    assert_eq!(del("lagger_lag").await, 404);
    assert_eq!(
        del("consumer_stalled").await,
        404,
        "configured rules are changed in the file"
    );
    let (_, rules) = t.get("/api/v1/alerts/rules?q=lagger_lag").await;
    assert_eq!(rules["total"], 0);
    t.poll_until(
        "/api/v1/alerts?q=lagger_lag",
        Duration::from_secs(30),
        |v| v["items"][0]["state"] == "resolved",
    )
    .await;
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_groups_stay_quiet_and_groups_that_stop_together_make_one_notification() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    // Thirty groups abandoned before the console started, two live ones.
    let mut groups: Vec<(&'static str, i64)> = vec![("live-a", 1), ("live-b", 1)];
    let abandoned: Vec<&'static str> = (0..30)
        .map(|i| &*Box::leak(format!("old-{i:02}").into_boxed_str()))
        .collect();
    groups.extend(abandoned.iter().map(|g| (*g, 1)));
    seed(&bs, 4, &groups).await;
    let (url, got) = receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&bs, &url, dir.path());
    // Long enough for both live groups to fire inside the wait.
    for r in cfg.alerts.receivers.iter_mut() {
        r.grouping.group_wait_ms = 4_000;
    }
    let t = TestApp::with_config(cfg, dir).await;
    move_once(&t, &bs, &[("live-a", 1), ("live-b", 1)]).await;
    until(&t, &bs, &got, Duration::from_secs(60), |g| {
        !of(g, "generic", "firing").is_empty()
    })
    .await;
    let g = got.lock().unwrap().clone();
    let firing = of(&g, "generic", "firing");
    assert_eq!(firing.len(), 1, "one notification for the group: {g:#?}");
    let listed: Vec<&str> = firing[0].3["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["group"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec!["live-a", "live-b"], "{g:#?}");
    // The abandoned ones are inactive, visible, and fire nothing.
    let (_, alerts) = t.get("/api/v1/alerts").await;
    let firing_groups: Vec<&str> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state"] == "firing")
        .filter_map(|a| a["labels"]["group"].as_str())
        .collect();
    assert_eq!(firing_groups, vec!["live-a", "live-b"], "{alerts}");
    let (_, list) = t
        .get("/api/v1/clusters/test/consumer-groups?q=old-&limit=100")
        .await;
    assert_eq!(list["total"], 30);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["status"] == "inactive" && g["lag"].as_i64() > Some(0)),
        "{list}"
    );
    t.app.stop().await;
}

/// A real Alertmanager (Debian's `prometheus-alertmanager`) on a free loopback port.
struct Alertmanager {
    child: std::process::Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    async fn start() -> Alertmanager {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("am.yml");
        std::fs::write(
            &cfg,
            "route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n",
        )
        .unwrap();
        let port = common::free_port();
        let child = std::process::Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("am.log")).unwrap())
            .spawn()
            .expect("prometheus-alertmanager (Debian package) is installed by scripts/test.sh");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reqwest::get(format!("{base}/-/ready"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "alertmanager did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Alertmanager {
            child,
            base,
            _dir: dir,
        }
    }

    async fn alerts(&self) -> Vec<Value> {
        reqwest::get(format!("{}/api/v2/alerts", self.base))
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_a_real_alertmanager_resolve_there_and_its_silences_apply() {
    let am = Alertmanager::start().await;
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 4, &[("pushed", 1)]).await;
    let (url, _got) = receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&bs, &url, dir.path());
    let mut am_receiver = cfg.alerts.receivers[0].clone();
    am_receiver.name = "am-api".into();
    am_receiver.url = format!("{}/api/v2/alerts", am.base);
    am_receiver.format = kafscope::alerts::config::Format::AlertmanagerApi;
    am_receiver.headers.clear();
    am_receiver.resend_interval = Duration::from_secs(1);
    cfg.alerts.receivers = vec![am_receiver];
    let t = TestApp::with_config(cfg, dir).await;
    move_once(&t, &bs, &[("pushed", 1)]).await;
    let ours = |alerts: &[Value]| {
        alerts
            .iter()
            .find(|a| a["labels"]["group"] == "pushed")
            .cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let alert = loop {
        t.app.poll_now().await;
        if let Some(a) = ours(&am.alerts().await) {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "the alert never reached Alertmanager"
        );
        {
            let bs = bs.clone();
            tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "s-topic", 0, 1).unwrap())
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(alert["labels"]["alertname"], "consumer_stalled");
    assert_eq!(alert["labels"]["cluster"], "test");
    assert_eq!(alert["labels"]["severity"], "critical");
    assert!(alert["annotations"]["summary"]
        .as_str()
        .unwrap()
        .contains("pushed"));
    assert_eq!(
        alert["generatorURL"],
        "http://kafscope.example/clusters/test/consumer-groups/pushed"
    );
    assert_eq!(alert["status"]["state"], "active");
    // A silence made in Alertmanager applies there to what Kafscope pushes.
    let silence = serde_json::json!({
        "matchers": [{"name": "group", "value": "pushed", "isRegex": false, "isEqual": true}],
        "startsAt": "2020-01-01T00:00:00Z",
        "endsAt": "2099-01-01T00:00:00Z",
        "createdBy": "on-call",
        "comment": "maintenance",
    });
    let r = reqwest::Client::new()
        .post(format!("{}/api/v2/silences", am.base))
        .json(&silence)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        t.app.poll_now().await;
        if ours(&am.alerts().await).is_some_and(|a| a["status"]["state"] == "suppressed") {
            break;
        }
        assert!(Instant::now() < deadline, "the silence never applied");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The group catches up: resolved in Alertmanager too.
    let (_, topic) = t.get("/api/v1/clusters/test/topics/s-topic").await;
    let end = topic["partitions"][0]["high_watermark"].as_i64().unwrap();
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::commit(&bs, "pushed", &[("s-topic", 0, end)]).unwrap()
        })
        .await
        .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        t.app.poll_now().await;
        if ours(&am.alerts().await).is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "never resolved in Alertmanager");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    t.app.stop().await;
}

/// A tmpfs of `size` mounted on `dir` for the life of the guard; `None` where this process
/// may not mount (not root, or a container without the capability).
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, size: &str) -> Option<SmallDisk> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }

    /// Fill what is left with a file; its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        // The last partial block: byte by byte until the disk refuses.
        while f.write_all(&[0]).is_ok() {}
        let _ = f.flush();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_under_the_store_delays_notifications_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(dir.path(), "8m") else {
        eprintln!("SKIPPED: this process may not mount a tmpfs to fill (run the tests as root)");
        return;
    };
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    seed(&bs, 4, &[("stopper", 2)]).await;
    let (url, got) = receiver(0).await;
    let cfg = config(&bs, &url, dir.path());
    let t = TestApp::with_config(cfg, tempfile::tempdir().unwrap()).await;
    move_once(&t, &bs, &[("stopper", 2)]).await;
    let filler = disk.fill();

    // Each cycle writes lag history: the store refuses it, and says so.
    let deadline = Instant::now() + Duration::from_secs(60);
    let failure = loop {
        t.app.poll_now().await;
        let (_, c) = t.get("/api/v1/clusters/test").await;
        if !c["store_failure"].is_null() {
            break c["store_failure"].clone();
        }
        assert!(Instant::now() < deadline, "the store never refused: {c}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        failure["error"].as_str().unwrap().contains("full"),
        "{failure}"
    );
    let (code, ready) = t.get("/readyz").await;
    assert_eq!(code, 200, "the pages are live: {ready}");
    assert_eq!(ready["status"], "ready, but the store refuses writes");
    assert_eq!(ready["store_failure"]["error"], failure["error"]);

    // The snapshot stays live: new records show at the next poll.
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "s-topic", 0, 5).unwrap())
            .await
            .unwrap();
    }
    t.app.poll_now().await;
    let (_, topic) = t.get("/api/v1/clusters/test/topics/s-topic").await;
    assert_eq!(topic["partitions"][0]["high_watermark"], 9, "{topic}");

    // The stopped group's alert fires from memory; its notification cannot be queued yet.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        t.app.poll_now().await;
        let (_, alerts) = t.get("/api/v1/alerts?q=stopper").await;
        if alerts["items"][0]["state"] == "firing" {
            break;
        }
        assert!(Instant::now() < deadline, "never fired: {alerts}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(got.lock().unwrap().is_empty(), "sent before it was stored");

    // Space returns: the waiting notification is written and delivered, history resumes.
    let stored = |h: &Value| {
        h["series"][0]["points"]
            .as_array()
            .map_or(0, |ps| ps.iter().filter(|p| !p["lag"].is_null()).count())
    };
    let history = "/api/v1/clusters/test/consumer-groups/stopper/history?range=10m&step=1s";
    let (_, before) = t.get(history).await;
    std::fs::remove_file(&filler).unwrap();
    until(&t, &bs, &got, Duration::from_secs(60), |g| {
        !of(g, "generic", "firing").is_empty() && !of(g, "alertmanager", "firing").is_empty()
    })
    .await;
    {
        let g = got.lock().unwrap();
        let body = &of(&g, "generic", "firing")[0].3;
        assert_eq!(body["alerts"][0]["labels"]["group"], "stopper", "{body}");
    }
    // The next cycle's write goes through.
    t.app.poll_now().await;
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert!(c["store_failure"].is_null(), "{c}");
    let (code, ready) = t.get("/readyz").await;
    assert_eq!((code, ready["status"].as_str()), (200, Some("ready")));
    t.app.poll_now().await;
    let (_, after) = t.get(history).await;
    assert!(stored(&after) > stored(&before), "{before}\n{after}");
    t.app.stop().await;
    drop(disk);
}
