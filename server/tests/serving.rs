//! Serving without a reachable cluster: several clusters, a base path, 503 before any data,
//! and configuration errors that stop the start with one clear line.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{free_port, Tansu, TestApp};
use kafscope::config::{Cli, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_clusters_under_a_base_path_with_an_unreachable_one() {
    let tansu = Tansu::start();
    let dead = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kafscope.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[server]
base_path = "/kafka"
[store]
url = "sqlite://{db}"
[[clusters]]
name = "live"
bootstrap_servers = "{live}"
poll_interval = "1s"
[[clusters]]
name = "gone"
bootstrap_servers = "{dead}"
poll_interval = "1s"
request_timeout = "500ms"
"#,
            db = dir.path().join("k.db").display(),
            live = tansu.bootstrap(),
        ),
    )
    .unwrap();
    let cli = Cli {
        config: Some(file),
        cluster_name: "local".into(),
        web_dir: Some(dir.path().join("no-web")),
        ..Default::default()
    };
    let t = TestApp::with_config(Config::load(&cli, &[]).unwrap(), dir).await;

    // Before any data: the unreachable cluster's views answer 503 with the reason.
    let v = t
        .poll_until("/kafka/api/v1/clusters", Duration::from_secs(20), |v| {
            v["items"].as_array().is_some_and(|a| {
                a.iter().any(|c| c["name"] == "live" && c["status"] == "ok")
                    && a.iter()
                        .any(|c| c["name"] == "gone" && c["status"] == "unreachable")
            })
        })
        .await;
    assert_eq!(v["total"], 2);
    let (s, body) = t.get("/kafka/api/v1/clusters/gone/topics").await;
    assert_eq!(s, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("has not been read yet"));

    // Filtering and sorting the cluster list.
    let (_, v) = t.get("/kafka/api/v1/clusters?q=LIV").await;
    assert_eq!(v["total"], 1);
    let (_, v) = t.get("/kafka/api/v1/clusters?sort=name&order=desc").await;
    assert_eq!(v["items"][0]["name"], "live");

    // Ready once every cluster has been polled, reachable or not.
    let (s, _) = t.get("/kafka/readyz").await;
    assert_eq!(s, 200);
    // Nothing is served outside the base path but a redirect into it.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://{}/", t.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 307);
    assert_eq!(r.headers()["location"], "/kafka/");
    let (s, _) = t.get("/api/v1/clusters").await;
    assert_eq!(s, 404);
}

fn run_kafscope(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kafscope"))
        .args(args)
        .env_remove("KAFSCOPE_LOG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_store_that_is_not_a_database_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("k.db");
    std::fs::write(&file, vec![0x5a; 8192]).unwrap();
    let url = format!("sqlite://{}", file.display());
    let (code, stderr) = run_kafscope(&[
        "--bootstrap-servers",
        "127.0.0.1:1",
        "--store-url",
        &url,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("is not a SQLite database, or is damaged: move the file aside"),
        "{stderr}"
    );
    // Nothing was written over it.
    assert_eq!(std::fs::read(&file).unwrap(), vec![0x5a; 8192]);
    // A store where no file can be made.
    let nowhere = format!("sqlite://{}", dir.path().join("no/such/dir/k.db").display());
    let (code, stderr) = run_kafscope(&[
        "--bootstrap-servers",
        "127.0.0.1:1",
        "--store-url",
        &nowhere,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot be opened for writing: check that its directory exists"),
        "{stderr}"
    );
}

#[test]
fn bad_configuration_stops_the_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let store = format!("sqlite://{}", dir.path().join("k.db").display());
    let cases = [
        (
            bad("dur.toml", "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\npoll_interval = \"soon\"\n"),
            "clusters[0].poll_interval: 'soon' is not a duration",
        ),
        (
            bad("prop.toml", "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\n[clusters.client]\n\"no.such.property\" = \"1\"\n"),
            "cluster 'a': bad client configuration",
        ),
        (bad("syntax.toml", "[[clusters]\n"), "(syntax)"),
    ];
    for (file, needle) in cases {
        let (code, stderr) = run_kafscope(&[
            "--config",
            &file,
            "--store-url",
            &store,
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_eq!(code, 2, "{stderr}");
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("kafscope: error"))
            .collect();
        assert_eq!(lines.len(), 1, "{stderr}");
        assert!(lines[0].contains(needle), "'{}' lacks '{needle}'", lines[0]);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (code, stderr) = run_kafscope(&["--listen", "127.0.0.1:0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no cluster configured"), "{stderr}");
    // Listening beyond this machine with nobody signing in: refused, in one line.
    let (code, stderr) = run_kafscope(&[
        "--bootstrap-servers",
        "127.0.0.1:9",
        "--store-url",
        &store,
        "--listen",
        "0.0.0.0:0",
    ]);
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("kafscope: error"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("auth.mode"), "{}", lines[0]);
    assert!(lines[0].contains("nobody has to sign in"), "{}", lines[0]);
    // `kafscope hash-password` prints a hash the configuration accepts.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafscope"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"s3cret pw\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(kafscope::http::auth::verify_password("s3cret pw", &hash));
}
