//! Faults that happen in production, against real processes: a broker killed and started
//! again and again while the console polls it, and metrics endpoints that answer slowly or
//! without end. (A full disk under the store: `alerts.rs`; a store that cannot be opened:
//! `serving.rs`.)

mod common;

use std::time::{Duration, Instant};

use common::{Tansu, TestApp};
use kafscope::traffic;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_broker_recovers_every_time_and_nothing_grows() {
    let mut tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("flap", 2)]).await.unwrap();
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::produce_n(&bs, "flap", 0, 10).unwrap();
            traffic::commit(&bs, "flapper", &[("flap", 0, 4)]).unwrap();
        })
        .await
        .unwrap();
    }
    let t = TestApp::start_configured(
        &bs,
        "60s",
        |_| {},
        |c| c.clusters[0].request_timeout = Duration::from_secs(2),
    )
    .await;
    let group = "/api/v1/clusters/test/consumer-groups/flapper";
    t.poll_until(group, Duration::from_secs(30), |g| g["lag"] == 6)
        .await;
    let mut baseline = None;
    let rounds = 8;
    for round in 0..rounds {
        tansu.kill();
        let started = Instant::now();
        t.app.poll_now().await;
        let (_, c) = t.get("/api/v1/clusters/test").await;
        assert_eq!(c["status"], "unreachable", "round {round}: {c}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "a poll of a dead broker took {:?}",
            started.elapsed()
        );
        tansu.restart();
        // Back to the truth every time: the status, and the lag after one more record.
        {
            let bs = bs.clone();
            tokio::task::spawn_blocking(move || traffic::produce_n(&bs, "flap", 0, 1).unwrap())
                .await
                .unwrap();
        }
        let want = 6 + round + 1;
        let g = t
            .poll_until(group, Duration::from_secs(60), |g| g["lag"] == want)
            .await;
        assert_eq!(g["offsets"][0]["committed_offset"], 4, "{g}");
        let (_, c) = t.get("/api/v1/clusters/test").await;
        assert_eq!(c["status"], "ok", "round {round}: {c}");
        // Connections and threads made lazily settle in the first rounds; after that, a
        // flap must not leave any behind.
        if round == 2 {
            baseline = Some((open_fds(), threads()));
        }
    }
    let (fds, tasks) = baseline.unwrap();
    let (fds_now, tasks_now) = (open_fds(), threads());
    eprintln!("after {rounds} flaps: {fds_now} fds (baseline {fds}), {tasks_now} threads (baseline {tasks})");
    assert!(
        fds_now <= fds + 4,
        "file descriptors grew: {fds} → {fds_now}"
    );
    assert!(
        tasks_now <= tasks + 4,
        "threads grew: {tasks} → {tasks_now}"
    );
    t.app.stop().await;
}

/// A metrics endpoint on loopback: `slow` answers after a minute; `endless` streams metric
/// lines for ever.
async fn bad_endpoint() -> String {
    use axum::body::Body;
    let line = "kafka_server_replicamanager_underreplicatedpartitions 0\n".repeat(1024);
    let app = axum::Router::new()
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "kafka_server_replicamanager_underreplicatedpartitions 0\n"
            }),
        )
        .route(
            "/endless",
            axum::routing::get(move || {
                let line = bytes::Bytes::from(line.clone());
                async move {
                    let chunks =
                        futures::stream::repeat_with(move || Ok::<_, std::io::Error>(line.clone()));
                    Body::from_stream(chunks)
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoints_that_answer_slowly_or_without_end_are_cut_short() {
    let tansu = Tansu::start();
    let bad = bad_endpoint().await;
    for (path, said) in [("slow", "timed out"), ("endless", "larger than")] {
        let url = format!("{bad}/{path}");
        let t = TestApp::start_configured(
            &tansu.bootstrap(),
            "60s",
            |cli| cli.metrics_url = vec![url],
            |c| {
                c.clusters[0].request_timeout = Duration::from_secs(2);
                for m in &mut c.clusters[0].metrics {
                    m.max_bytes = 4 << 20;
                }
            },
        )
        .await;
        let started = Instant::now();
        t.app.poll_now().await;
        let took = started.elapsed();
        let (_, b) = t.get("/api/v1/clusters/test/brokers/111").await;
        let error = b["endpoints"][0]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(error.contains(said), "{path}: {b}");
        assert!(
            took < Duration::from_secs(6),
            "{path}: the poll took {took:?}"
        );
        // The cluster itself is read all the same (degraded: a metrics endpoint fails).
        let (_, c) = t.get("/api/v1/clusters/test").await;
        assert_eq!(c["status"], "degraded", "{path}: {c}");
        assert_eq!(c["brokers_down"], 0, "{path}: {c}");
        assert!(c["last_poll"]["error"].is_null(), "{path}: {c}");
        t.app.stop().await;
    }
}
