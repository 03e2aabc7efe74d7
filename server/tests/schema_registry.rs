//! The Schema Registry end to end: subjects registered, tested, compared and deleted through
//! Kafscope's API against a registry whose every answer is a real registry's (Karapace,
//! recorded: see `common/recorded_registry.rs`), records written by independent clients
//! (fastavro, kafka-python) decoded field by field in the schema's order, with references.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use common::recorded_registry::RecordedRegistry;
use common::{python, send, Tansu, TestApp};
use kafscope::traffic;
use serde_json::{json, Value};

const ADMIN: &str = "s3cret";

/// Run one of the independent clients with `input` on stdin; its JSON output.
fn client(script: &str, args: &[&str], input: &Value) -> Value {
    let mut child = Command::new(python())
        .arg(format!(
            "{}/tests/clients/{script}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting the python client (scripts/test.sh installs it)");
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn admin_and_viewers(c: &mut kafscope::config::Config) {
    c.server.admin_token = Some(kafscope::config::Secret(ADMIN.into()));
    c.auth.anonymous = vec![kafscope::http::auth::access::Binding {
        role: c.auth.role("reader").unwrap().clone(),
        scope: Default::default(),
    }];
}

const MONEY: &str = "syntax = \"proto3\";\npackage common;\nmessage Money {\n  int64 units = 1;\n  string currency = 2;\n}\n";

const SHIPMENT: &str = "syntax = \"proto3\";\npackage ship;\nimport \"common/money.proto\";\nmessage Header {\n  string id = 1;\n}\nmessage Shipment {\n  map<string, int32> counts = 1;\n  message Item {\n    string sku = 1;\n    common.Money price = 2;\n  }\n  repeated Item items = 2;\n}\n";

fn order_v1() -> Value {
    json!({"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "zeta", "type": "string"},
        {"name": "id", "type": "long"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "tod", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "price", "type": {"type": "fixed", "name": "Price", "size": 8, "logicalType": "decimal", "precision": 12, "scale": 3}}
    ]})
}

fn order_with(field: Value) -> Value {
    let mut s = order_v1();
    s["fields"].as_array_mut().unwrap().push(field);
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subjects_are_registered_compared_decoded_and_deleted_through_a_real_registry() {
    let registry = RecordedRegistry::start("karapace").await;
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    traffic::create_topics(&bs, &[("orders", 1), ("shipments", 1), ("payments", 1)])
        .await
        .unwrap();
    let url = registry.url.clone();
    let t = TestApp::start_configured(
        &bs,
        "1s",
        move |cli| cli.schema_registry_url = Some(url),
        admin_and_viewers,
    )
    .await;
    t.app.poll_now().await;
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert_eq!(c["schema_registry"], json!(registry.url), "{c}");
    use reqwest::Method as M;

    // A Protobuf schema, and one that imports it by reference.
    let (s, money) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/money/versions",
        Some(ADMIN),
        Some(json!({"schema": MONEY, "schema_type": "PROTOBUF"})),
    )
    .await;
    assert_eq!(s, 200, "{money}");
    let (s, ship) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/shipments-value/versions",
        Some(ADMIN),
        Some(json!({"schema": SHIPMENT, "schema_type": "PROTOBUF",
            "references": [{"name": "common/money.proto", "subject": "money", "version": 1}]})),
    )
    .await;
    assert_eq!(s, 200, "{ship}");
    assert_eq!(ship["version"], 1);

    // Avro: v1, then a subject-level BACKWARD, a breaking change refused, a compatible one.
    let (s, v1) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/versions",
        Some(ADMIN),
        Some(json!({"schema": order_v1().to_string()})),
    )
    .await;
    assert_eq!((s, v1["version"].as_i64()), (200, Some(1)), "{v1}");
    let (s, lvl) = send(
        &t,
        M::PUT,
        "/clusters/test/subjects/orders-value/compatibility",
        Some(ADMIN),
        Some(json!({"level": "backward"})),
    )
    .await;
    assert_eq!(s, 200, "{lvl}");
    assert_eq!(
        (lvl["before"].clone(), lvl["after"].clone()),
        (Value::Null, json!("BACKWARD"))
    );
    let breaking = order_with(json!({"name": "status", "type": "string"})).to_string();
    let (s, check) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/compatibility-check",
        None,
        Some(json!({"schema": breaking})),
    )
    .await;
    assert_eq!(s, 200, "a viewer may test: {check}");
    assert_eq!(
        (check["compatible"].clone(), check["level"].clone()),
        (json!(false), json!("BACKWARD")),
        "{check}"
    );
    let (s, refused) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/versions",
        Some(ADMIN),
        Some(json!({"schema": breaking})),
    )
    .await;
    assert_eq!(s, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not compatible"),
        "{refused}"
    );
    let compatible =
        order_with(json!({"name": "status", "type": "string", "default": "new"})).to_string();
    let (s, check) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/compatibility-check",
        None,
        Some(json!({"schema": compatible})),
    )
    .await;
    assert_eq!(
        (s, check["compatible"].clone()),
        (200, json!(true)),
        "{check}"
    );
    let (s, v2) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/versions",
        Some(ADMIN),
        Some(json!({"schema": compatible})),
    )
    .await;
    assert_eq!((s, v2["version"].as_i64()), (200, Some(2)), "{v2}");
    let v2_id = v2["id"].as_u64().unwrap() as u32;

    // Refused: nobody signed in (a reader), an operator scoped to other topics.
    let (s, _) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/orders-value/versions",
        None,
        Some(json!({"schema": compatible})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, tok) = send(
        &t,
        M::POST,
        "/tokens",
        Some(ADMIN),
        Some(json!({"name": "payments-ops",
        "role": "operator", "expires_in": "1d", "clusters": [], "topics": "^payments$"})),
    )
    .await;
    assert_eq!(s, 201, "{tok}");
    let op = tok["token"].as_str().unwrap().to_string();
    // …who may manage the subjects of its own topic.
    let (s, own) = send(
        &t,
        M::POST,
        "/clusters/test/subjects/payments-value/versions",
        Some(&op),
        Some(json!({"schema": "\"string\""})),
    )
    .await;
    assert_eq!(
        s, 200,
        "a topic-scoped operator registers its topic's subject: {own}"
    );
    for (method, path) in [
        (M::POST, "/clusters/test/subjects/orders-value/versions"),
        (M::PUT, "/clusters/test/subjects/orders-value/compatibility"),
        (M::PUT, "/clusters/test/compatibility"),
        (M::DELETE, "/clusters/test/subjects/orders-value"),
        (M::DELETE, "/clusters/test/subjects/orders-value/versions/1"),
    ] {
        let (s, e) = send(
            &t,
            method.clone(),
            path,
            Some(&op),
            Some(json!({"schema": compatible, "level": "NONE"})),
        )
        .await;
        assert_eq!(s, 403, "{method} {path}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("schemas.manage"),
            "{e}"
        );
    }

    // A viewer scoped to one topic sees that topic's subjects (and record-name ones), no other.
    let (_, tok) = send(
        &t,
        M::POST,
        "/tokens",
        Some(ADMIN),
        Some(json!({"name": "orders-view",
        "role": "viewer", "expires_in": "1d", "clusters": [], "topics": "^orders$"})),
    )
    .await;
    let viewer = tok["token"].as_str().unwrap().to_string();
    let (s, scoped) = send(&t, M::GET, "/clusters/test/subjects", Some(&viewer), None).await;
    assert_eq!(s, 200, "{scoped}");
    let seen: Vec<&str> = scoped["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["money", "orders-value"], "{scoped}");
    let (s, _) = send(
        &t,
        M::GET,
        "/clusters/test/subjects/shipments-value",
        Some(&viewer),
        None,
    )
    .await;
    assert_eq!(s, 403);

    // The browser's views.
    let (s, list) = send(&t, M::GET, "/clusters/test/subjects", None, None).await;
    assert_eq!(s, 200, "{list}");
    let subjects: Vec<&str> = list["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["money", "orders-value", "payments-value", "shipments-value"]
    );
    let orders = &list["subjects"][1];
    assert_eq!(orders["latest_version"], 2, "the newest version: {orders}");
    assert_eq!(orders["strategy"], "topic_name");
    assert_eq!(
        orders["topics"],
        json!([{"topic": "orders", "part": "value", "exists": true}])
    );
    assert_eq!(list["subjects"][0]["strategy"], "record_name");
    let (_, of_topic) = send(
        &t,
        M::GET,
        "/clusters/test/subjects?topic=shipments",
        None,
        None,
    )
    .await;
    assert_eq!(
        of_topic["subjects"].as_array().unwrap().len(),
        1,
        "{of_topic}"
    );
    assert_eq!(of_topic["subjects"][0]["subject"], "shipments-value");
    let (s, detail) = send(
        &t,
        M::GET,
        "/clusters/test/subjects/orders-value",
        None,
        None,
    )
    .await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["compatibility"], "BACKWARD");
    let versions = detail["versions"].as_array().unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v["version"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(versions[1]["id"].as_u64(), Some(v2_id as u64));
    let (a, b) = (
        versions[0]["schema"].as_str().unwrap(),
        versions[1]["schema"].as_str().unwrap(),
    );
    assert!(
        a.find("\"zeta\"").unwrap() < a.find("\"amount\"").unwrap(),
        "pretty, in the schema's order:\n{a}"
    );
    let diff = kafscope_api::diff_lines(a, b).unwrap();
    let added: Vec<&String> = diff
        .iter()
        .filter_map(|l| match l {
            kafscope_api::DiffLine::Added(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(added.iter().any(|l| l.contains("\"status\"")), "{diff:?}");
    assert!(!diff
        .iter()
        .any(|l| matches!(l, kafscope_api::DiffLine::Removed(t) if t.contains("zeta"))));
    let (_, ship_detail) = send(
        &t,
        M::GET,
        "/clusters/test/subjects/shipments-value",
        None,
        None,
    )
    .await;
    assert_eq!(
        ship_detail["versions"][0]["references"],
        json!([{"name": "common/money.proto", "subject": "money", "version": 1}])
    );

    // Records written by fastavro (Avro, logical types) and by hand from the Protobuf
    // encoding (a message nested beside a map field, using an imported type).
    let avro = client(
        "avro_wire.py",
        &[],
        &json!({"schema": serde_json::from_str::<Value>(&compatible).unwrap(),
        "id": v2_id, "records": [{"zeta": "z", "id": 42, "amount": "123.45", "day": "2024-01-01",
        "at": "2024-01-01T00:00:00.123", "ref": "0b4d7f9c-4a4e-4c7e-9d35-1b2a3c4d5e6f",
        "tod": "12:34:56.789", "at_us": "2024-01-01T00:00:00.000001", "local": "2024-01-01T12:00:00.500",
        "price": "-0.125", "status": "paid"}]}),
    );
    let mut proto = vec![0u8];
    proto.extend_from_slice(&(ship["id"].as_u64().unwrap() as u32).to_be_bytes());
    // Indexes [1, 0] (Shipment.Item), then sku "A", price {units 5, currency "EUR"}.
    proto.extend_from_slice(&[
        4, 2, 0, 0x0a, 1, b'A', 0x12, 7, 0x08, 5, 0x12, 3, b'E', b'U', b'R',
    ]);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    client(
        "produce.py",
        &[&bs],
        &json!([
            {"topic": "orders", "partition": 0, "key": null, "value": avro[0]},
            {"topic": "shipments", "partition": 0, "key": null, "value": b64(&proto)},
        ]),
    );
    let (s, page) = t
        .get("/api/v1/clusters/test/topics/orders/messages?order=oldest&from=earliest")
        .await;
    assert_eq!(s, 200, "{page}");
    let v = &page["messages"][0]["value"];
    assert_eq!(v["encoding"], "avro", "{v}");
    let keys: Vec<&String> = v["json"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["zeta", "id", "amount", "day", "at", "ref", "tod", "at_us", "local", "price", "status"],
        "schema order"
    );
    assert_eq!(v["json"]["tod"], "12:34:56.789");
    assert_eq!(v["json"]["at_us"], "2024-01-01T00:00:00.000001Z");
    assert_eq!(
        v["json"]["local"], "2024-01-01T12:00:00.500",
        "local time: no zone"
    );
    assert_eq!(
        v["json"]["price"], "-0.125",
        "a decimal on fixed bytes, negative"
    );
    assert_eq!(v["json"]["amount"], "123.45");
    assert_eq!(v["json"]["day"], "2024-01-01");
    assert_eq!(v["json"]["at"], "2024-01-01T00:00:00.123Z");
    assert_eq!(v["json"]["ref"], "0b4d7f9c-4a4e-4c7e-9d35-1b2a3c4d5e6f");
    assert_eq!(
        v["schema"],
        json!({"id": v2_id, "subject": "orders-value", "version": 2, "kind": "AVRO"})
    );
    let raw: Vec<(&str, &Value)> = v["logical"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["path"].as_str().unwrap(), &l["raw"]))
        .collect();
    assert!(raw.contains(&("/day", &json!(19_723))), "{raw:?}");
    assert!(
        raw.contains(&("/at", &json!(1_704_067_200_123_i64))),
        "{raw:?}"
    );
    assert!(raw.contains(&("/amount", &json!("12345"))), "{raw:?}");
    // The text form keeps the order too (exports and copies).
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .starts_with("{\"zeta\":\"z\",\"id\":42,"),
        "{}",
        v["text"]
    );
    let (_, page) = t
        .get("/api/v1/clusters/test/topics/shipments/messages?order=oldest&from=earliest")
        .await;
    let v = &page["messages"][0]["value"];
    assert_eq!(v["encoding"], "protobuf", "{v}");
    assert_eq!(v["note"], "ship.Shipment.Item");
    assert_eq!(
        v["json"],
        json!({"sku": "A", "price": {"units": 5, "currency": "EUR"}})
    );
    assert_eq!(v["schema"]["subject"], "shipments-value");

    // Deletes: a version soft then permanently (the name typed), the subject likewise.
    let (s, d) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value/versions/1",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(
        (s, d["versions"].clone(), d["permanent"].clone()),
        (200, json!([1]), json!(false)),
        "{d}"
    );
    let (s, e) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value/versions/1?permanent=true",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 400, "no typed confirmation: {e}");
    let (s, d) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value/versions/1?permanent=true&confirm=orders-value",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!((s, d["permanent"].clone()), (200, json!(true)), "{d}");
    let (_, detail) = send(
        &t,
        M::GET,
        "/clusters/test/subjects/orders-value",
        None,
        None,
    )
    .await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 1, "{detail}");
    let (s, e) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value?permanent=true&confirm=orders-value",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 409, "a permanent delete needs a soft one first: {e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("soft delete first"),
        "{e}"
    );
    let (s, d) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!((s, d["versions"].clone()), (200, json!([2])), "{d}");
    let (_, list) = send(&t, M::GET, "/clusters/test/subjects", None, None).await;
    let gone = list["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subject"] == "orders-value")
        .unwrap();
    assert_eq!(gone["deleted"], true, "{list}");
    let (s, _) = send(
        &t,
        M::DELETE,
        "/clusters/test/subjects/orders-value?permanent=true&confirm=orders-value",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, e) = send(
        &t,
        M::GET,
        "/clusters/test/subjects/orders-value",
        None,
        None,
    )
    .await;
    assert_eq!(s, 404, "{e}");

    // The global level; a level that does not exist never reaches the registry.
    let (s, g) = send(
        &t,
        M::PUT,
        "/clusters/test/compatibility",
        Some(ADMIN),
        Some(json!({"level": "FULL"})),
    )
    .await;
    assert_eq!((s, g["after"].clone()), (200, json!("FULL")), "{g}");
    let (s, _) = send(
        &t,
        M::PUT,
        "/clusters/test/compatibility",
        Some(ADMIN),
        Some(json!({"level": "SIDEWAYS"})),
    )
    .await;
    assert_eq!(s, 400);
    let (_, list) = send(&t, M::GET, "/clusters/test/subjects", None, None).await;
    assert_eq!(list["compatibility"], "FULL");

    // Every change and refusal is in the audit log with its actor.
    let (_, audit) = t.get("/api/v1/audit?limit=500").await;
    let rows: Vec<(String, String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"].as_str().unwrap().starts_with("schema."))
        .map(|a| {
            (
                a["action"].as_str().unwrap().into(),
                a["outcome"].as_str().unwrap().into(),
                a["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |action: &str, outcome: &str| rows.iter().any(|r| r.0 == action && r.1 == outcome);
    assert!(
        has("schema.register", "done")
            && has("schema.register", "failed")
            && has("schema.register", "refused"),
        "{rows:?}"
    );
    assert!(
        has("schema.delete_version_permanently", "done")
            && has("schema.delete_subject_permanently", "failed"),
        "{rows:?}"
    );
    assert!(has("schema.compatibility", "done"), "{rows:?}");
    let reg = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["action"] == "schema.register"
                && a["outcome"] == "done"
                && a["target"] == "orders-value"
                && a["detail"]["after"]["version"] == 2
        })
        .expect("v2 audited");
    assert_eq!(reg["actor"], "admin_token");
    assert_eq!(reg["detail"]["before"]["version"], 1);
    t.app.stop().await;
    registry.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_clusters_refuse_registry_changes_before_asking_the_registry() {
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    // Nothing listens there: a refusal must not need the registry.
    let t = TestApp::start_configured(
        &bs,
        "1s",
        |cli| cli.schema_registry_url = Some("http://127.0.0.1:9".into()),
        |c| {
            admin_and_viewers(c);
            c.clusters[0].read_only = true;
        },
    )
    .await;
    t.app.poll_now().await;
    use reqwest::Method as M;
    for (method, path) in [
        (M::POST, "/clusters/test/subjects/orders-value/versions"),
        (M::PUT, "/clusters/test/compatibility"),
        (M::DELETE, "/clusters/test/subjects/orders-value"),
    ] {
        let (s, e) = send(
            &t,
            method,
            path,
            Some(ADMIN),
            Some(json!({"schema": "{}", "level": "NONE"})),
        )
        .await;
        assert_eq!(s, 403, "{path}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read-only"),
            "{e}"
        );
    }
    // Reads say the registry cannot be reached, as a 503 with the reason.
    let (s, e) = send(&t, M::GET, "/clusters/test/subjects", None, None).await;
    assert_eq!(s, 503, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("registry unreachable"),
        "{e}"
    );
    // A subject name that would be read as a path step (sent raw: HTTP clients normalise
    // it away) or holds control characters is refused before anything else.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(t.addr).await.unwrap();
    raw.write_all(b"GET /api/v1/clusters/test/subjects/%2E%2E HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    raw.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("is not a subject name"), "{answer}");
    let (s, e) = send(&t, M::GET, "/clusters/test/subjects/a%01b", None, None).await;
    assert_eq!(s, 400, "{e}");
    t.app.stop().await;
    // A cluster without a registry says so.
    let t = TestApp::start_configured(&bs, "1s", |_| {}, admin_and_viewers).await;
    let (s, e) = send(&t, M::GET, "/clusters/test/subjects", None, None).await;
    assert_eq!(s, 404, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no Schema Registry configured"),
        "{e}"
    );
    t.app.stop().await;
}

/// A registry behind TLS signed by a private CA, wanting a bearer token: only the console
/// configured with both reaches it, and the others say why. (A transport test: the endpoint
/// answers `/subjects` alone.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_behind_a_private_ca_and_a_bearer_token() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut req = Vec::new();
                let mut buf = [0u8; 4096];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&req).to_lowercase();
                let (status, body) = if head.contains("authorization: bearer t0k\r\n") {
                    ("200 OK", r#"["orders-value"]"#)
                } else {
                    (
                        "401 Unauthorized",
                        r#"{"error_code":40101,"message":"Unauthorized"}"#,
                    )
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("registry-ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let tansu = Tansu::start();
    let bs = tansu.bootstrap();
    let console = |registry: String| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kafscope.toml");
        std::fs::write(
            &file,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{}\"\n[[clusters]]\nname = \"test\"\nbootstrap_servers = \"{bs}\"\n[clusters.schema_registry]\n{registry}\n",
                dir.path().join("k.db").display()
            ),
        )
        .unwrap();
        let cli = kafscope::config::Cli {
            config: Some(file),
            web_dir: Some(dir.path().join("no-web")),
            ..Default::default()
        };
        (kafscope::config::Config::load(&cli, &[]), dir)
    };
    let url = format!("https://127.0.0.1:{port}");
    let ca = ca_file.display();
    for (registry, status, says) in [
        (
            format!("url = \"{url}\"\ntoken = \"t0k\"\nca_file = \"{ca}\""),
            200,
            "orders-value",
        ),
        (
            format!("url = \"{url}\"\ntoken = \"wrong\"\nca_file = \"{ca}\""),
            503,
            "refused Kafscope's credentials",
        ),
        (
            format!("url = \"{url}\"\ntoken = \"t0k\""),
            503,
            "registry unreachable",
        ),
    ] {
        let (cfg, dir) = console(registry);
        let cfg = cfg.unwrap();
        assert!(
            !format!("{:?}", cfg.clusters[0].schema_registry).contains("t0k"),
            "the token is redacted"
        );
        let t = TestApp::with_config(cfg, dir).await;
        let (s, body) = t.get("/api/v1/clusters/test/subjects").await;
        assert_eq!(s, status, "{body}");
        assert!(body.to_string().contains(says), "{body}");
        t.app.stop().await;
    }
    // A CA file that holds no certificate is refused when the configuration is read.
    std::fs::write(&ca_file, "not a certificate").unwrap();
    let (cfg, _dir) = console(format!("url = \"{url}\"\nca_file = \"{ca}\""));
    let e = cfg.unwrap_err().to_string();
    assert!(
        e.contains("schema_registry.ca_file") && e.contains("holds no PEM certificate"),
        "{e}"
    );
}
