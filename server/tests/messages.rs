//! Message inspection end to end against a real tansu broker: records written by an
//! independent client (kafka-python, not librdkafka) come back byte-identical, searches find
//! exactly their matches, tails stop when the client leaves, masked data never leaves the
//! server, produce is protected and audited, and bad input gets a clear 4xx.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{python, Tansu, TestApp};
use kafscope::traffic;
use serde_json::{json, Value};

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Produce with kafka-python; returns (partition, offset, timestamp_ms) per record.
fn produce_independently(bootstrap: &str, create: &[&str], records: &Value) -> Vec<Value> {
    let mut cmd = Command::new(python());
    cmd.arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/produce.py"
    ))
    .arg(bootstrap);
    for c in create {
        cmd.arg(format!("--create={c}"));
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the python client");
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        records.to_string().as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

const T0: i64 = 1_700_000_000_000;

/// Twelve records over three partitions: JSON, text, binary, empty and null keys, a
/// tombstone, binary and null-free headers; timestamps one second apart in input order.
fn sample_records() -> Vec<Value> {
    let values: Vec<Option<Vec<u8>>> = vec![
        Some(br#"{"order":1,"item":"tea"}"#.to_vec()),
        Some(b"plain text".to_vec()),
        Some(vec![0, 255, 1, 2, 0x80]),
        None,
        Some("ünïcödé ✓".as_bytes().to_vec()),
        Some(br#"[1,2,3]"#.to_vec()),
        Some(42i64.to_be_bytes().to_vec()),
        Some(Vec::new()),
        Some(br#"{"order":9,"nested":{"a":[true,null]}}"#.to_vec()),
        Some(b"x".repeat(300)),
        Some(vec![0xc3, 0x28]),
        Some(br#"{"order":12}"#.to_vec()),
    ];
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let key: Value = match i % 4 {
                0 => json!(b64(format!("key-{i}").as_bytes())),
                1 => Value::Null,
                2 => json!(b64(b"")),
                _ => json!(b64(&[0xde, 0xad, i as u8])),
            };
            json!({
                "topic": "inspect",
                "partition": (i % 3) as i32,
                "key": key,
                "value": v.map(|v| b64(&v)),
                "headers": [["trace", b64(format!("t-{i}").as_bytes())], ["bin", b64(&[0, 1, i as u8])]],
                "timestamp_ms": T0 + i as i64 * 1000,
            })
        })
        .collect()
}

fn summary(m: &Value) -> (i64, i64) {
    (
        m["partition"].as_i64().unwrap(),
        m["offset"].as_i64().unwrap(),
    )
}

/// (partition, offset) of each record of a page or list.
fn coords(records: &[Value]) -> Vec<(i64, i64)> {
    records.iter().map(summary).collect()
}

/// The page's records (a page that is not one fails the test).
fn page_records(page: &Value) -> &[Value] {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page of messages: {page}"))
}

/// Page through a topic with a cursor; returns every message.
async fn all_pages(t: &TestApp, base: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let (s, mut page) = t.get(base).await;
    assert_eq!(s, 200, "{page}");
    for _ in 0..50 {
        out.extend(page_records(&page).iter().cloned());
        let Some(c) = page["next_cursor"].as_str() else {
            return out;
        };
        let (s, next) = t.get(&format!("{base}&cursor={c}")).await;
        assert_eq!(s, 200, "{next}");
        if page_records(&next).is_empty() {
            return out;
        }
        page = next;
    }
    panic!("paging did not end")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_from_an_independent_client_come_back_byte_identical_in_every_order() {
    let tansu = Tansu::start();
    let records = sample_records();
    let written = produce_independently(&tansu.bootstrap(), &["inspect:3"], &json!(records));
    let t = TestApp::start(&tansu.bootstrap(), "1s").await;
    t.app.poll_now().await;
    let api = "/api/v1/clusters/test/topics/inspect/messages";

    let (s, page) = t
        .get(&format!("{api}?order=oldest&from=earliest&limit=500"))
        .await;
    assert_eq!(s, 200, "{page}");
    let got = page_records(&page);
    assert_eq!(got.len(), records.len());
    // Merged across partitions by timestamp: input order.
    for (i, ((m, r), w)) in got.iter().zip(&records).zip(&written).enumerate() {
        assert_eq!(
            summary(m),
            (
                w["partition"].as_i64().unwrap(),
                w["offset"].as_i64().unwrap()
            ),
            "record {i}"
        );
        assert_eq!(m["timestamp_ms"], r["timestamp_ms"], "record {i}");
        assert_eq!(m["timestamp_type"], "create");
        match r["key"].as_str() {
            None => assert!(m["key"].is_null(), "record {i}: a null key stays null"),
            Some(k) => assert_eq!(m["key"]["base64"], k, "record {i} key"),
        }
        match r["value"].as_str() {
            None => assert!(m["value"].is_null(), "record {i}: a tombstone"),
            Some(v) => {
                assert_eq!(m["value"]["base64"], v, "record {i} value");
                assert_eq!(m["value"]["truncated"], false);
            }
        }
        let headers: Vec<(String, String)> = m["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["key"].as_str().unwrap().to_string(),
                    h["value"]["base64"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let sent: Vec<(String, String)> = r["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_string(),
                    h[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(headers, sent, "record {i} headers, in order");
    }
    // Decoding: JSON parsed, text, hex for binary, the 8-byte integer guessed and said so.
    assert_eq!(got[0]["value"]["encoding"], "json");
    assert_eq!(got[0]["value"]["json"], json!({"order": 1, "item": "tea"}));
    assert_eq!(got[1]["value"]["text"], "plain text");
    assert_eq!(got[2]["value"]["encoding"], "hex");
    assert_eq!(got[4]["value"]["text"], "ünïcödé ✓");
    assert_eq!(
        (
            got[6]["value"]["encoding"].as_str(),
            got[6]["value"]["text"].as_str()
        ),
        (Some("int"), Some("42"))
    );
    assert_eq!(
        got[10]["value"]["encoding"], "hex",
        "invalid UTF-8 is shown as bytes"
    );
    assert_eq!(got[0]["headers"][0]["value"]["text"], "t-0");

    // Newest first: the reverse.
    let (_, newest) = t.get(&format!("{api}?order=newest&limit=500")).await;
    let rev = coords(page_records(&newest));
    let mut expect = coords(got);
    expect.reverse();
    assert_eq!(rev, expect);
    assert!(newest["next_cursor"].is_null(), "nothing older is left");

    // Paging with a cursor covers everything once, in order, both ways.
    let asc = coords(&all_pages(&t, &format!("{api}?order=oldest&from=earliest&limit=5")).await);
    assert_eq!(asc, coords(got));
    let desc = coords(&all_pages(&t, &format!("{api}?order=newest&limit=4")).await);
    assert_eq!(desc, expect);

    // One partition from an offset, both orders; latest oldest-first is empty.
    let (_, p1) = t
        .get(&format!("{api}?partition=1&from=2&order=oldest"))
        .await;
    let p1 = coords(page_records(&p1));
    assert_eq!(p1, vec![(1, 2), (1, 3)]);
    let (_, p1) = t
        .get(&format!("{api}?partition=1&from=2&order=newest"))
        .await;
    let p1 = coords(page_records(&p1));
    assert_eq!(p1, vec![(1, 2), (1, 1), (1, 0)]);
    // `from=earliest` without `order` reads oldest first, as documented: page, stream and
    // export alike (issue 11).
    let (s, plain) = t.get(&format!("{api}?from=earliest&limit=500")).await;
    assert_eq!(s, 200, "{plain}");
    assert_eq!(plain["order"], "oldest", "{plain}");
    assert_eq!(coords(page_records(&plain)), coords(got));
    let resp = t
        .http
        .get(format!(
            "http://{}{api}/stream?from=earliest&limit=500",
            t.addr
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let events = sse_events(resp, Duration::from_secs(30), |e, _| e == "done").await;
    let streamed: Vec<(i64, i64)> = events
        .iter()
        .filter(|(e, _)| e == "message")
        .map(|(_, m)| summary(m))
        .collect();
    // A stream hands over each partition in offset order as soon as it is certain.
    let per_partition = |mut v: Vec<(i64, i64)>| {
        v.sort();
        v
    };
    assert_eq!(
        per_partition(streamed.clone()),
        per_partition(coords(got)),
        "stream from=earliest"
    );
    for p in 0..3 {
        let offsets: Vec<i64> = streamed.iter().filter(|c| c.0 == p).map(|c| c.1).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "partition {p} oldest first: {offsets:?}"
        );
    }
    let exported = t
        .text(&format!("{api}/export?from=earliest&format=jsonl"))
        .await;
    let exported: Vec<(i64, i64)> = exported
        .lines()
        .map(|l| summary(&serde_json::from_str::<Value>(l).unwrap()))
        .collect();
    assert_eq!(
        per_partition(exported.clone()),
        per_partition(coords(got)),
        "export from=earliest"
    );
    for p in 0..3 {
        let offsets: Vec<i64> = exported.iter().filter(|c| c.0 == p).map(|c| c.1).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "partition {p} oldest first: {offsets:?}"
        );
    }

    let (_, late) = t.get(&format!("{api}?order=oldest&from=latest")).await;
    assert_eq!(page_records(&late).len(), 0);
    assert_eq!(late["stats"]["stopped"], "end");

    // One whole record by its coordinates (the "load full" path).
    let (s, one) = t.get(&format!("{api}/0/3")).await;
    assert_eq!(s, 200, "{one}");
    assert_eq!(one["value"]["base64"], records[9]["value"]);
    let (s, gone) = t.get(&format!("{api}/0/99")).await;
    assert_eq!(s, 404, "{gone}");
    // A small display limit cuts the value and says so.
    let (_, cut) = t.get(&format!("{api}/0/3?max_value_bytes=100")).await;
    assert_eq!(cut["value"]["truncated"], true);
    assert_eq!(cut["value"]["text"].as_str().unwrap().len(), 100);
    assert_eq!(cut["value"]["size"], 300);
    // None of those scans joined or created a consumer group on the broker.
    t.app.poll_now().await;
    let (_, groups) = t.get("/api/v1/clusters/test/consumer-groups").await;
    assert_eq!(groups["total"], 0, "{groups}");
    t.app.stop().await;
}

/// Read an SSE response into (event, data) pairs until `stop` says so or it ends.
async fn sse_events(
    resp: reqwest::Response,
    limit: Duration,
    mut stop: impl FnMut(&str, &Value) -> bool,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut resp = resp;
    let deadline = Instant::now() + limit;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline.into(), resp.chunk()).await {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut ev = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    ev = e.to_string();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            if ev.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let done = stop(&ev, &v);
            out.push((ev, v));
            if done {
                return out;
            }
        }
    }
    out
}

async fn scans_active(t: &TestApp) -> i64 {
    let text = t.text("/metrics").await;
    text.lines()
        .find(|l| l.starts_with("kafscope_message_scans_active{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

async fn wait_no_scans(t: &TestApp, why: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while scans_active(t).await != 0 {
        assert!(Instant::now() < deadline, "{why}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_finds_exactly_its_matches_with_progress_and_a_tail_stops_when_its_client_leaves()
{
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("haystack", 2)])
        .await
        .unwrap();
    const N: usize = 20_000;
    let needles = [7usize, 12_345, 19_998];
    tokio::task::spawn_blocking({
        let bs = bs.clone();
        move || {
            let p = traffic::producer(&bs).unwrap();
            for i in 0..N {
                let part = (i % 2) as i32;
                let needle = needles.contains(&i);
                let v = if needle {
                    format!(r#"{{"n":{i},"needle":true}}"#)
                } else {
                    format!(r#"{{"n":{i}}}"#)
                };
                traffic::send(&p, "haystack", part, &format!("k{i}"), v.as_bytes()).unwrap();
            }
            rdkafka::producer::Producer::flush(&p, Duration::from_secs(30)).unwrap();
        }
    })
    .await
    .unwrap();
    let t = TestApp::start(&bs, "1s").await;
    t.app.poll_now().await;
    let api = format!(
        "http://{}/api/v1/clusters/test/topics/haystack/messages",
        t.addr
    );

    // Streamed: matches as found, progress on the way, counts at the end.
    let resp = t
        .http
        .get(format!(
            "{api}/stream?order=oldest&from=earliest&expr=has(value.needle)&limit=100"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let events = sse_events(resp, Duration::from_secs(60), |e, _| e == "done").await;
    let found: Vec<i64> = events
        .iter()
        .filter(|(e, _)| e == "message")
        .map(|(_, m)| m["value"]["json"]["n"].as_i64().unwrap())
        .collect();
    let mut found_sorted = found.clone();
    found_sorted.sort();
    assert_eq!(found_sorted, vec![7, 12_345, 19_998]);
    assert!(
        events.iter().any(|(e, _)| e == "progress"),
        "progress is streamed"
    );
    let (_, done) = events.last().unwrap();
    assert_eq!(done["stats"]["scanned"], N as u64);
    assert_eq!(done["stats"]["matched"], 3);
    assert_eq!(done["stats"]["stopped"], "end");
    assert_eq!(done["stats"]["filter_errors"], 0);

    // The same search as a page, newest first, and with a substring filter.
    let (s, page) = t
        .get("/api/v1/clusters/test/topics/haystack/messages?value_contains=needle&limit=10")
        .await;
    assert_eq!(s, 200, "{page}");
    let ns: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"]["json"]["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns.len(), 3, "{ns:?} {}", page["stats"]);
    // A bound stops a scan and says which.
    let (_, bounded) = t.get("/api/v1/clusters/test/topics/haystack/messages?order=oldest&from=earliest&value_contains=needle&max_scan=1000").await;
    assert_eq!(bounded["stats"]["stopped"], "max_scan");
    assert!(bounded["stats"]["scanned"].as_u64().unwrap() >= 1000);
    assert!(bounded["stats"]["scanned"].as_u64().unwrap() < 5000);

    // Export: every match as a line, and a cap that stops it with the reason in a header.
    let r = t
        .http
        .get(format!(
            "{api}/export?order=oldest&from=earliest&value_contains=needle&format=jsonl"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-kafscope-rows"], "3");
    assert_eq!(r.headers()["x-kafscope-stopped"], "end");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"haystack-"));
    let lines: Vec<Value> = r
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // In the order found: each partition in offset order.
    let mut ns: Vec<i64> = lines
        .iter()
        .map(|m| m["value"]["json"]["n"].as_i64().unwrap())
        .collect();
    ns.sort();
    assert_eq!(ns, vec![7, 12_345, 19_998]);
    let r = t
        .http
        .get(format!(
            "{api}/export?order=oldest&from=earliest&format=csv&max_export_bytes=2000"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-kafscope-stopped"], "max_export_bytes");
    // An export that matches nothing, compressed: a complete, empty answer (the compression
    // layer polls the body once more after its end; found by the API contract run).
    let empty = t
        .http
        .get(format!(
            "{api}/export?order=oldest&from=earliest&value_contains=no-such-needle&format=jsonl"
        ))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status().as_u16(), 200);
    assert_eq!(empty.headers()["x-kafscope-rows"], "0");
    empty.bytes().await.expect("a complete body");
    let rows: usize = r.headers()["x-kafscope-rows"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = r.text().await.unwrap();
    assert!(
        body.len() <= 2000 && rows > 5,
        "{rows} rows, {} bytes",
        body.len()
    );
    assert_eq!(
        body.matches("\r\n").count(),
        rows + 1,
        "a header line and one line per row"
    );

    // The capped export's scan ends once its reader is gone.
    wait_no_scans(&t, "the export's scan kept running after the cap").await;

    // A live tail: a new record arrives; when the client goes away the scan ends.
    let resp = t
        .http
        .get(format!("{api}/stream?follow=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bs2 = bs.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        tokio::task::spawn_blocking(move || {
            let p = traffic::producer(&bs2).unwrap();
            traffic::send(&p, "haystack", 1, "live", br#"{"live":true}"#).unwrap();
            rdkafka::producer::Producer::flush(&p, Duration::from_secs(10)).unwrap();
        })
        .await
        .unwrap();
    });
    let events = sse_events(resp, Duration::from_secs(30), |e, _| e == "message").await;
    writer.await.unwrap();
    let (_, live) = events.last().unwrap();
    assert_eq!(live["value"]["json"]["live"], true, "{events:?}");
    assert_eq!(live["offset"], N as i64 / 2);
    assert_eq!(scans_active(&t).await, 1, "the tail is still running");
    // `events` consumed the response; it is dropped now: the scan must stop on its own.
    wait_no_scans(&t, "the tail kept running after its client left").await;

    // Scans at once are limited per cluster: one more is refused with the reason, not queued.
    let mut tails = Vec::new();
    for _ in 0..kafscope::messages::MAX_SCANS {
        let r = t
            .http
            .get(format!("{api}/stream?follow=true"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        tails.push(r);
    }
    let (s, busy) = t
        .get("/api/v1/clusters/test/topics/haystack/messages")
        .await;
    assert_eq!(s, 503, "{busy}");
    assert!(busy["error"]["message"]
        .as_str()
        .unwrap()
        .contains("message scans are running"));
    drop(tails);
    wait_no_scans(&t, "tails kept running after their clients left").await;
    let (s, _) = t
        .get("/api/v1/clusters/test/topics/haystack/messages")
        .await;
    assert_eq!(s, 200);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_fields_never_leave_the_server() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    let secret = r#"{"card":{"number":"4111111111111111","cvc":"123"},"email":"ann@example.com","amount":5}"#;
    produce_independently(
        &bs,
        &["payments:1"],
        &json!([{"topic": "payments", "partition": 0, "key": b64(b"ann@example.com"), "value": b64(secret.as_bytes()),
                 "headers": [["who", b64(b"ann@example.com")]]}]),
    );
    let t = TestApp::start_configured(
        &bs,
        "1s",
        |_| {},
        |c| {
            use kafscope::messages::mask::{MaskKind, MaskRule, Part};
            c.clusters[0].masking = vec![
                MaskRule::fields(
                    regex::Regex::new("^pay").unwrap(),
                    vec![Part::Value],
                    &["card.number".into(), "card.cvc".into()],
                    "***",
                ),
                MaskRule {
                    topics: regex::Regex::new(".*").unwrap(),
                    parts: vec![Part::Key, Part::Value, Part::Header],
                    kind: MaskKind::Pattern(regex::Regex::new(r"[\w.]+@[\w.]+").unwrap()),
                    replacement: "<email>".into(),
                },
            ];
        },
    )
    .await;
    t.app.poll_now().await;
    let api = format!(
        "http://{}/api/v1/clusters/test/topics/payments/messages",
        t.addr
    );
    let forbidden = [
        "4111111111111111",
        "ann@example.com",
        "123\"",
        &b64(secret.as_bytes())[..20],
    ];
    let mut bodies = Vec::new();
    for path in [
        "?order=oldest&from=earliest",
        "/0/0",
        "/export?order=oldest&from=earliest&format=jsonl",
        "/export?order=oldest&from=earliest&format=csv",
        "/stream?order=oldest&from=earliest",
        "?order=oldest&from=earliest&decode_value=hex",
        "?order=oldest&from=earliest&decode_value=base64",
    ] {
        let r = t.http.get(format!("{api}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        bodies.push((path, r.text().await.unwrap()));
    }
    for (path, body) in &bodies {
        for f in forbidden {
            assert!(!body.contains(f), "{path} leaked {f}: {body}");
        }
        assert!(
            body.contains("***") || body.contains("<email>"),
            "{path}: {body}"
        );
    }
    let page: Value = serde_json::from_str(&bodies[0].1).unwrap();
    let v = &page["messages"][0]["value"];
    assert_eq!(v["masked"], true);
    assert!(v["base64"].is_null(), "masked parts carry no stored bytes");
    assert_eq!(v["json"]["amount"], 5, "unmasked fields stay");
    // Searching for the hidden value finds nothing.
    let (_, hit) = t
        .get("/api/v1/clusters/test/topics/payments/messages?value_contains=4111")
        .await;
    assert_eq!(page_records(&hit).len(), 0);
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn produce_needs_the_permission_is_audited_and_is_refused_on_read_only_clusters() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("out", 2)]).await.unwrap();
    // Visitors may read messages (reader), not produce; the token is an admin.
    let reader = |c: &mut kafscope::config::Config| {
        c.server.admin_token = Some(kafscope::config::Secret("s3cret".into()));
        c.auth.anonymous = vec![kafscope::http::auth::access::Binding {
            role: c.auth.role("reader").unwrap().clone(),
            scope: Default::default(),
        }];
    };
    let t = TestApp::start_configured(&bs, "1s", |_| {}, reader).await;
    t.app.poll_now().await;
    let url = format!("http://{}/api/v1/clusters/test/topics/out/messages", t.addr);
    let body = json!({"partition": 1, "key": "k-1", "value": "{\"a\":1}", "value_encoding": "json",
                      "headers": [{"key": "h", "value": "v"}]});
    let r = t.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("lacks the permission messages.produce"));
    let r = t
        .http
        .post(&url)
        .bearer_auth("s3cret")
        .header("x-kafscope-user", "alice")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let res: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{res}");
    assert_eq!(
        (res["partition"].as_i64(), res["offset"].as_i64()),
        (Some(1), Some(0))
    );
    let (_, page) = t
        .get("/api/v1/clusters/test/topics/out/messages?partition=1&order=oldest&from=earliest")
        .await;
    let m = &page["messages"][0];
    assert_eq!(m["key"]["text"], "k-1");
    assert_eq!(m["value"]["json"], json!({"a": 1}));
    assert_eq!(m["headers"][0]["value"]["text"], "v");
    // Bad input: invalid JSON when JSON is claimed, a partition the topic lacks.
    let bad = t
        .http
        .post(&url)
        .bearer_auth("s3cret")
        .json(&json!({"value": "{", "value_encoding": "json"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad = t
        .http
        .post(&url)
        .bearer_auth("s3cret")
        .json(&json!({"value": "x", "partition": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 404);
    let (_, audit) = t.get("/api/v1/audit").await;
    let entry = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "message.produce" && a["outcome"] == "done")
        .expect("audited");
    // The refused anonymous attempt and the two failed ones are on record too.
    let outcomes: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "message.produce")
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert!(outcomes.contains(&"refused"), "{outcomes:?}");
    assert_eq!(
        entry["actor"], "admin_token",
        "a forged X-Kafscope-User changes nothing"
    );
    assert_eq!(entry["outcome"], "done");
    assert_eq!(entry["cluster"], "test");
    assert_eq!(entry["target"], "test/out");
    assert_eq!(entry["detail"]["result"]["offset"], 0);
    t.app.stop().await;

    let t = TestApp::start_configured(
        &bs,
        "1s",
        |_| {},
        move |c| {
            reader(c);
            c.clusters[0].read_only = true;
        },
    )
    .await;
    t.app.poll_now().await;
    let url = format!("http://{}/api/v1/clusters/test/topics/out/messages", t.addr);
    let r = t
        .http
        .post(&url)
        .bearer_auth("s3cret")
        .json(&json!({"value": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("read-only"));
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("t", 1)]).await.unwrap();
    let t = TestApp::start(&bs, "1s").await;
    t.app.poll_now().await;
    let api = "/api/v1/clusters/test/topics";
    for (path, status, says) in [
        ("/nope/messages", 404, "topic 'nope' does not exist"),
        ("/t/messages?partition=9", 404, "no partition 9"),
        ("/t/messages?partition=x", 400, "partition='x'"),
        ("/t/messages?from=yesterday", 400, "RFC 3339"),
        ("/t/messages?limit=0", 400, "limit=0 is out of range"),
        ("/t/messages?limit=100000", 400, "out of range"),
        ("/t/messages?order=sideways", 400, "order="),
        ("/t/messages?cursor=zzz", 400, "cursor"),
        ("/t/messages?cursor=o.5_1", 400, "partition 5"),
        (
            "/t/messages?value_regex=(",
            400,
            "value_regex is not a valid regular expression",
        ),
        (
            "/t/messages?expr=value.a%20%3D%3D",
            400,
            "expr is not valid CEL",
        ),
        ("/t/messages?decode_value=yaml", 400, "decode_value='yaml'"),
        ("/t/messages?colour=red", 400, "colour"),
        ("/t/messages/0/-1", 400, "offset"),
        ("/t/messages/all/0", 400, "partition 'all' is not a number"),
        ("/t/messages/export?format=xml", 400, "format='xml'"),
        ("/t/messages/stream?follow=maybe", 400, "follow="),
    ] {
        let (s, body) = t.get(&format!("{api}{path}")).await;
        assert_eq!(s, status, "{path}: {body}");
        let msg = body["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(says), "{path}: {msg}");
    }
    t.app.stop().await;
}

/// A Schema Registry answering with recorded schemas (the registry's REST API, served on
/// loopback); the records are Confluent wire format written by the independent client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_registry_wire_format_records_decode_to_their_fields() {
    use axum::routing::get;
    let schema = r#"{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"},{"name":"paid","type":"boolean"}]}"#;
    let registry = axum::Router::new()
        .route(
            "/schemas/ids/7",
            get(move || async move { axum::Json(json!({"schema": schema})) }),
        )
        .route(
            "/schemas/ids/7/versions",
            get(|| async { axum::Json(json!([{"subject": "orders-value", "version": 3}])) }),
        )
        .route(
            "/schemas/ids/9",
            get(|| async {
                axum::Json(json!({"schemaType": "PROTOBUF", "schema":
                    "syntax = \"proto3\"; package shop; message Order { int64 id = 1; string item = 2; }"}))
            }),
        )
        .route(
            "/schemas/ids/8",
            get(|| async { axum::Json(json!({"schema": "{\"type\":\"object\"}", "schemaType": "JSON"})) }),
        )
        // An unknown id, answered as Karapace and Confluent do.
        .fallback(|| async {
            (
                axum::http::StatusCode::NOT_FOUND,
                axum::Json(json!({"error_code": 40403, "message": "Schema not found"})),
            )
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let reg_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, registry).await.unwrap() });

    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    // Avro binary by hand from the specification: long 42 → zig-zag 0x54; "tea" → 0x06 't' 'e' 'a'; true → 1.
    let avro = [0u8, 0, 0, 0, 7, 0x54, 0x06, b't', b'e', b'a', 1];
    let mut js = vec![0u8, 0, 0, 0, 8];
    js.extend_from_slice(br#"{"x":1}"#);
    let unknown = [0u8, 0, 0, 0, 99, 1, 2, 3];
    // Protobuf by hand: index count 0 (first message), field 1 varint 42, field 2 "tea".
    let proto = [0u8, 0, 0, 0, 9, 0, 0x08, 42, 0x12, 3, b't', b'e', b'a'];
    produce_independently(
        &bs,
        &["orders:1"],
        &json!([
            {"topic": "orders", "partition": 0, "key": null, "value": b64(&avro)},
            {"topic": "orders", "partition": 0, "key": null, "value": b64(&js)},
            {"topic": "orders", "partition": 0, "key": null, "value": b64(&unknown)},
            {"topic": "orders", "partition": 0, "key": null, "value": b64(&proto)},
        ]),
    );
    let t = TestApp::start_with(&bs, "1s", |cli| {
        cli.schema_registry_url = Some(format!("http://{reg_addr}"));
    })
    .await;
    t.app.poll_now().await;
    let (s, page) = t
        .get("/api/v1/clusters/test/topics/orders/messages?order=oldest&from=earliest")
        .await;
    assert_eq!(s, 200, "{page}");
    let m = page_records(&page);
    assert_eq!(m[0]["value"]["encoding"], "avro");
    assert_eq!(
        m[0]["value"]["json"],
        json!({"id": 42, "item": "tea", "paid": true})
    );
    assert_eq!(
        m[0]["value"]["schema"],
        json!({"id": 7, "subject": "orders-value", "version": 3, "kind": "AVRO"})
    );
    assert_eq!(
        m[0]["value"]["base64"],
        b64(&avro),
        "the stored bytes are still there"
    );
    assert_eq!(m[1]["value"]["encoding"], "json_schema");
    assert_eq!(m[1]["value"]["json"], json!({"x": 1}));
    assert_eq!(m[2]["value"]["encoding"], "int", "guessed as usual");
    assert!(
        m[2]["value"]["note"].as_str().unwrap().starts_with(
            "starts like Schema Registry data, but schema id 99 is not in the registry"
        ),
        "{}",
        m[2]
    );
    assert_eq!(m[3]["value"]["encoding"], "protobuf");
    assert_eq!(m[3]["value"]["json"], json!({"id": 42, "item": "tea"}));
    assert_eq!(m[3]["value"]["schema"]["kind"], "PROTOBUF");
    assert_eq!(m[3]["value"]["note"], "shop.Order");
    // A filter over decoded Avro and Protobuf fields.
    let (_, hit) = t
        .get("/api/v1/clusters/test/topics/orders/messages?expr=value.item%20%3D%3D%20%27tea%27")
        .await;
    assert_eq!(page_records(&hit).len(), 2, "{hit}");
    t.app.stop().await;
}

/// tansu and librdkafka's mock cluster both ignore the timestamp of a ListOffsets lookup, so
/// the scripted test broker answers it (record n written at n × 1000 ms): a timestamp start
/// becomes the broker's offset, oldest first from it, newest first up to it, the end past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_starts_use_the_brokers_offset_for_that_time() {
    use common::scripted_broker::{Script, ScriptPartition, ScriptTopic, ScriptedCluster};
    use kafscope::messages::plan::{Order, Start};
    let part = ScriptPartition {
        leader: Some(1),
        replicas: vec![1],
        isr: vec![1],
        end_offset: 100,
        size: 0,
    };
    let cluster = ScriptedCluster::start(
        1,
        Script {
            controller: 1,
            topics: vec![ScriptTopic {
                name: "timed".into(),
                partitions: vec![part.clone(), part],
                configs: vec![],
            }],
            ..Default::default()
        },
    )
    .await;
    let cli = kafscope::config::Cli {
        bootstrap_servers: Some(cluster.bootstrap()),
        cluster_name: "scripted".into(),
        ..Default::default()
    };
    let cfg = kafscope::config::Config::load(&cli, &[])
        .unwrap()
        .clusters
        .remove(0);
    let client = kafscope::kafka::ClusterClient::connect(&cfg).unwrap();
    let inspector = kafscope::messages::Inspector::new(cfg, client);
    let request = |order, start| kafscope::messages::Request {
        topic: "timed".into(),
        partitions: vec![0, 1],
        order,
        start,
        follow: false,
        limits: kafscope::messages::scan::Limits {
            limit: 10,
            max_scan: 1000,
            max_bytes: 1 << 20,
            timeout: Duration::from_secs(5),
        },
        filter: Default::default(),
        key_as: kafscope::messages::decode::Decoding::Auto,
        value_as: kafscope::messages::decode::Decoding::Auto,
        display_limit: 1024,
    };
    let at = |order, ms| {
        let r = request(order, Start::Timestamp(ms));
        let i = &inspector;
        async move {
            i.lanes(&r)
                .await
                .unwrap()
                .iter()
                .map(|l| l.position)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        at(Order::Oldest, 5_500).await,
        vec![6, 6],
        "first record at or after"
    );
    assert_eq!(
        at(Order::Newest, 5_000).await,
        vec![6, 6],
        "records up to and at the time"
    );
    assert_eq!(
        at(Order::Oldest, 500_000).await,
        vec![100, 100],
        "later than all: the end"
    );
}

/// The on-demand offset lookups (message lanes, reset and purge plans) go over Kafscope's own
/// connections to the leaders a topic-scoped Metadata names: exact against offsets an
/// independent client saw, a partition that cannot be read says why, and naming a topic
/// that does not exist never creates it (a producer handle's Metadata would, by default:
/// a real Kafka 4.0 cluster created the topic without `allow.auto.create.topics=false`;
/// tansu never auto-creates, so here that assertion only guards the error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_lookups_read_each_leader_and_never_create_a_topic_they_name() {
    use kafscope::kafka::OffsetSpec;
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    let written = produce_independently(&bs, &["inspect:3"], &json!(sample_records()));
    let mut ends = [0i64; 3];
    for w in &written {
        let p = w["partition"].as_i64().unwrap() as usize;
        ends[p] = ends[p].max(w["offset"].as_i64().unwrap() + 1);
    }
    assert!(ends.iter().all(|e| *e > 0), "{written:?}");
    let cli = kafscope::config::Cli {
        bootstrap_servers: Some(bs.clone()),
        cluster_name: "lookups".into(),
        ..Default::default()
    };
    let cfg = kafscope::config::Config::load(&cli, &[])
        .unwrap()
        .clusters
        .remove(0);
    let client = kafscope::kafka::ClusterClient::connect(&cfg).unwrap();
    assert!(client.own_offsets().is_some(), "plaintext: the own path");
    let asked: Vec<(String, i32)> = vec![
        ("inspect".into(), 0),
        ("inspect".into(), 1),
        ("inspect".into(), 2),
        ("inspect".into(), 7),
        ("kafscope-never-created".into(), 0),
    ];
    let read = |spec| {
        let (client, asked) = (client.clone(), asked.clone());
        async move {
            let mut got: Vec<(String, i32, i64, bool)> = client
                .list_offsets(asked, spec)
                .await
                .unwrap()
                .into_iter()
                .map(|e| (e.topic, e.partition, e.offset, e.error.is_some()))
                .collect();
            got.sort();
            got
        }
    };
    let latest = read(OffsetSpec::Latest).await;
    assert_eq!(
        latest,
        vec![
            ("inspect".into(), 0, ends[0], false),
            ("inspect".into(), 1, ends[1], false),
            ("inspect".into(), 2, ends[2], false),
            ("inspect".into(), 7, -1, true),
            ("kafscope-never-created".into(), 0, -1, true),
        ]
    );
    let missing = client
        .list_offsets(
            vec![("kafscope-never-created".into(), 0)],
            OffsetSpec::Latest,
        )
        .await
        .unwrap();
    assert_eq!(
        missing[0].error.as_deref(),
        Some("topic 'kafscope-never-created' does not exist")
    );
    let earliest = read(OffsetSpec::Earliest).await;
    assert_eq!(
        earliest
            .iter()
            .filter(|e| !e.3)
            .map(|e| e.2)
            .collect::<Vec<_>>(),
        vec![0, 0, 0]
    );
    let md = client.metadata().await.unwrap();
    assert!(
        !md.topics.iter().any(|t| t.name == "kafscope-never-created"),
        "a lookup created the topic it named: {:?}",
        md.topics.iter().map(|t| &t.name).collect::<Vec<_>>()
    );
}
