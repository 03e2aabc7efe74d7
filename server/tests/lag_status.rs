//! Consumer status against a real broker over a short window: a consumer that stops, one
//! slower than its producer, and one caught up on an idle topic.

mod common;

use std::time::Duration;

use common::{Tansu, TestApp};
use kafscope::config::{Cli, Config};
use kafscope::traffic;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_slow_and_idle_are_told_apart() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("s-topic", 1), ("l-topic", 1), ("i-topic", 1)])
        .await
        .unwrap();
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::produce_n(&bs, "s-topic", 0, 4).unwrap();
            traffic::produce_n(&bs, "i-topic", 0, 5).unwrap();
            traffic::commit(&bs, "stopper", &[("s-topic", 0, 1)]).unwrap();
            traffic::commit(&bs, "abandoned", &[("s-topic", 0, 1)]).unwrap();
            traffic::commit(&bs, "idler", &[("i-topic", 0, 5)]).unwrap();
        })
        .await
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        bootstrap_servers: Some(bs.clone()),
        cluster_name: "test".into(),
        poll_interval: Some("1s".into()),
        status_window: Some("3s".into()),
        store_url: Some(format!("sqlite://{}", dir.path().join("k.db").display())),
        web_dir: Some(dir.path().join("no-web")),
        ..Default::default()
    };
    let mut cfg = Config::load(&cli, &[]).unwrap();
    // A seconds-long test: "a lag that matters" scaled down with the window (the defaults,
    // 1 000 messages or 60 s, are unit-tested).
    cfg.clusters[0].significance = kafscope::lag::status::Significance {
        messages: 50,
        seconds: 1.0,
    };
    let t = TestApp::with_config(cfg, dir).await;
    // "stopper" moves once while watched (1, then 2): it was active, then stops. (A group
    // already stopped when first seen is `inactive`: the "idler" below shows it stays idle.)
    t.app.poll_now().await;
    {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || {
            traffic::commit(&bs, "stopper", &[("s-topic", 0, 2)]).unwrap()
        })
        .await
        .unwrap();
    }

    // Four seconds of traffic: s-topic grows while "stopper" never commits again;
    // l-topic gets 10 records per step while "laggard" commits 3 more.
    let mut laggard = 0i64;
    for _ in 0..20 {
        let bs2 = bs.clone();
        laggard += 3;
        let upto = laggard;
        tokio::task::spawn_blocking(move || {
            traffic::produce_n(&bs2, "s-topic", 0, 2).unwrap();
            traffic::produce_n(&bs2, "l-topic", 0, 10).unwrap();
            traffic::commit(&bs2, "laggard", &[("l-topic", 0, upto)]).unwrap();
        })
        .await
        .unwrap();
        t.app.poll_now().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    t.app.poll_now().await;

    let (_, stopper) = t.get("/api/v1/clusters/test/consumer-groups/stopper").await;
    assert_eq!(stopper["status"], "stopped", "{stopper:#}");
    let reason = stopper["status_reason"].as_str().unwrap();
    assert!(reason.contains("has not moved"), "{reason}");
    let p0 = &stopper["offsets"][0];
    assert!(p0["lag_seconds"].as_f64().unwrap() > 0.0, "{p0}");
    assert!(["interpolated", "lower_bound"].contains(&p0["lag_seconds_method"].as_str().unwrap()));
    assert_eq!(p0["consume_rate"], 0.0);

    let (_, laggard) = t.get("/api/v1/clusters/test/consumer-groups/laggard").await;
    assert_eq!(laggard["status"], "slow", "{laggard:#}");
    assert_eq!(laggard["falling_behind"], true, "{laggard:#}");
    assert!(laggard["produce_rate"].as_f64().unwrap() > laggard["consume_rate"].as_f64().unwrap());

    // Stopped before the console ever saw it move: abandoned, not an incident.
    let (_, abandoned) = t
        .get("/api/v1/clusters/test/consumer-groups/abandoned")
        .await;
    assert_eq!(abandoned["status"], "inactive", "{abandoned:#}");
    let reason = abandoned["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("no activity since the console began watching it"),
        "{reason}"
    );
    assert!(
        abandoned["lag"].as_i64().unwrap() > 0,
        "its lag stays visible"
    );

    let (_, idler) = t.get("/api/v1/clusters/test/consumer-groups/idler").await;
    assert_eq!(idler["status"], "idle", "{idler:#}");
    assert_eq!(idler["lag"], 0);
    assert_eq!(idler["lag_seconds"], 0.0);

    // The list sorts by severity.
    let (_, list) = t
        .get("/api/v1/clusters/test/consumer-groups?sort=status&order=desc")
        .await;
    assert_eq!(list["items"][0]["group_id"], "stopper", "{list:#}");

    // History survives a restart: the first poll after it already knows the window, and
    // the history API still has the samples from before.
    let t = t.restart().await;
    t.app.poll_now().await;
    let (_, stopper) = t.get("/api/v1/clusters/test/consumer-groups/stopper").await;
    assert_eq!(stopper["status"], "stopped", "{stopper:#}");
    let (_, h) = t
        .get("/api/v1/clusters/test/consumer-groups/laggard/history?range=5m&step=1s")
        .await;
    assert!(
        h["series"][0]["points"].as_array().unwrap().len() >= 10,
        "{h:#}"
    );
}
