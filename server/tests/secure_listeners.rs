//! TLS and SASL on Kafscope's own protocol connections, configured with librdkafka's
//! properties. TLS listeners come from the scripted protocol-level test broker behind rustls
//! with certificates made here (tansu 0.6 cannot serve TLS); SASL/SCRAM also from a real
//! tansu broker started with `--authentication`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::scripted_broker::{
    Script, ScriptLogDir, ScriptPartition, ScriptTopic, ScriptedCluster, Security,
};
use common::{Tansu, TestApp};
use kafscope::kafka::security::from_properties;
use kafscope::kafka::wire::{Dialer, RequestCounts, Session};

/// A CA, and a broker certificate signed by it for `names`.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki(names: &[&str]) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Kafscope test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn script(groups: usize) -> Script {
    Script {
        controller: 1,
        topics: vec![ScriptTopic {
            name: "orders".into(),
            partitions: (0..3)
                .map(|p| ScriptPartition {
                    leader: Some(p + 1),
                    replicas: vec![p + 1],
                    isr: vec![p + 1],
                    end_offset: 100,
                    size: 1_000,
                })
                .collect(),
            configs: vec![],
        }],
        groups: (0..groups)
            .map(|g| {
                let offs = (0..3)
                    .map(|p| ("orders".to_string(), p, 40 + g as i64))
                    .collect();
                (format!("g{g:02}"), offs)
            })
            .collect(),
        log_dirs: (1..=3)
            .map(|b| {
                (
                    b,
                    ScriptLogDir {
                        path: "/var/kafka".into(),
                        total_bytes: 1 << 30,
                        usable_bytes: 1 << 29,
                    },
                )
            })
            .collect(),
        ..Default::default()
    }
}

const USER: &str = "client";
const PASSWORD: &str = "s3cret,=pw";

fn props(ca_file: &std::path::Path, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut p: BTreeMap<String, String> = [
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanisms", "SCRAM-SHA-512"),
        ("sasl.username", USER),
        ("sasl.password", PASSWORD),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.insert("ssl.ca.location".into(), ca_file.display().to_string());
    for (k, v) in extra {
        p.insert(k.to_string(), v.to_string());
    }
    p
}

fn secure(pki: &Pki, lifetime_ms: i64) -> Security {
    Security {
        tls: Some((pki.cert_pem.clone(), pki.key_pem.clone())),
        sasl: Some(("SCRAM-SHA-512".into(), USER.into(), PASSWORD.into())),
        session_lifetime_ms: lifetime_ms,
    }
}

async fn console(cluster: &ScriptedCluster, client: BTreeMap<String, String>) -> TestApp {
    TestApp::start_configured(
        &cluster.bootstrap(),
        "1s",
        |_| {},
        move |c| {
            c.clusters[0].client = client;
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_ssl_with_scram_reads_groups_batched_and_log_dirs() {
    let pki = pki(&["127.0.0.1", "localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let cluster = ScriptedCluster::start_secure(3, script(20), secure(&pki, 0)).await;
    let t = console(&cluster, props(&ca, &[])).await;
    t.app.poll_now().await;
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert_eq!(c["status"], "ok", "{c}");
    assert_eq!(
        c["connection"]["security"], "sasl_ssl (SCRAM-SHA-512)",
        "{c}"
    );
    assert_eq!(c["connection"]["group_reads"], "protocol", "{c}");
    // The numbers are the scripted ones.
    let (_, g) = t.get("/api/v1/clusters/test/consumer-groups/g07").await;
    assert_eq!(g["lag"], 3 * (100 - 47), "{g}");
    // Batched like plaintext: one OffsetFetch per coordinator per poll, not one per group.
    let before = cluster.requests();
    t.app.poll_now().await;
    let after = cluster.requests();
    let d = |api: &str| after.get(api).unwrap_or(&0) - before.get(api).unwrap_or(&0);
    assert_eq!(d("OffsetFetch"), 3, "{after:?}");
    assert_eq!(d("ListGroups"), 3, "{after:?}");
    assert_eq!(
        after.get("UnauthenticatedClosed(protocol)"),
        None,
        "{after:?}"
    );
    // Disk usage from DescribeLogDirs over the same secured connections.
    let (_, topic) = t.get("/api/v1/clusters/test/topics?q=orders").await;
    assert_eq!(
        topic["items"][0]["size_source"], "describe_log_dirs",
        "{topic}"
    );
    assert_eq!(topic["items"][0]["size_bytes"], 3_000, "{topic}");
    t.app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_connections_re_authenticate_before_the_session_ends() {
    // Sessions of 3 s and polls about every second: a kept connection outlives its session
    // unless it re-authenticates (KIP-368); the broker closes one that does not.
    let pki = pki(&["127.0.0.1"]);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let cluster = ScriptedCluster::start_secure(3, script(6), secure(&pki, 3_000)).await;
    let t = console(&cluster, props(&ca, &[])).await;
    t.app.poll_now().await;
    let first = cluster.requests();
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(900)).await;
        t.app.poll_now().await;
        let (_, c) = t.get("/api/v1/clusters/test").await;
        let stages = c["last_poll"]["stage_errors"].to_string();
        assert!(!stages.contains("group_offsets"), "{c}");
    }
    let after = cluster.requests();
    // Kafscope's own connections renewed their sessions in time (librdkafka's are its own
    // business: it reconnects when the broker closes one).
    assert_eq!(
        after.get("ExpiredSessionClosed(protocol)"),
        None,
        "{after:?}"
    );
    assert!(
        after["SaslAuthenticate"] > first["SaslAuthenticate"],
        "sessions were renewed: {first:?} → {after:?}"
    );
    t.app.stop().await;
}

/// Open one protocol session with these properties against `port`.
async fn open(props: BTreeMap<String, String>, host: &str, port: u16) -> Result<(), String> {
    let sec = from_properties(&props)?;
    let dialer = Dialer::new(&sec, Duration::from_secs(5), RequestCounts::default())?;
    Session::open(&dialer, host, port).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_wrong_setting_gets_its_own_sentence() {
    let pki = pki(&["localhost"]);
    let other = pki_other();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let wrong_ca = dir.path().join("other-ca.pem");
    std::fs::write(&wrong_ca, &other).unwrap();
    let cluster = ScriptedCluster::start_secure(1, script(1), secure(&pki, 0)).await;
    let port = cluster.ports[0].1;
    let plain = ScriptedCluster::start(1, script(1)).await;

    // Right settings, by the name in the certificate.
    open(props(&ca, &[]), "localhost", port).await.unwrap();
    // The certificate does not name 127.0.0.1 …
    let e = open(props(&ca, &[]), "127.0.0.1", port).await.unwrap_err();
    assert!(e.contains("does not name the host"), "{e}");
    // … which is fine with host-name checks off.
    open(
        props(&ca, &[("ssl.endpoint.identification.algorithm", "none")]),
        "127.0.0.1",
        port,
    )
    .await
    .unwrap();
    let e = open(props(&wrong_ca, &[]), "localhost", port)
        .await
        .unwrap_err();
    assert!(e.contains("not signed by a CA in ssl.ca.location"), "{e}");
    let e = open(props(&ca, &[("sasl.password", "wrong")]), "localhost", port)
        .await
        .unwrap_err();
    assert!(
        e.contains("authentication failed with SASL SCRAM-SHA-512 for sasl.username 'client'"),
        "{e}"
    );
    assert!(!e.contains("wrong"), "the password is never repeated: {e}");
    let e = open(
        props(&ca, &[("sasl.mechanisms", "PLAIN")]),
        "localhost",
        port,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("PLAIN is not enabled on this listener (it offers SCRAM-SHA-512)"),
        "{e}"
    );
    // TLS configured, the port speaks plaintext; and the reverse.
    let e = open(props(&ca, &[]), "localhost", plain.ports[0].1)
        .await
        .unwrap_err();
    assert!(e.contains("does not speak TLS"), "{e}");
    let e = open(
        props(&ca, &[("security.protocol", "SASL_PLAINTEXT")]),
        "localhost",
        port,
    )
    .await
    .unwrap_err();
    assert!(e.contains("may expect TLS"), "{e}");
    let e = from_properties(&props(&ca, &[("sasl.mechanisms", "GSSAPI")])).unwrap_err();
    assert!(e.contains("librdkafka only"), "{e}");
}

fn pki_other() -> String {
    pki(&["localhost"]).ca_pem
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_against_a_real_tansu_broker() {
    // tansu stores SCRAM credentials (AlterUserScramCredentials) and, restarted with
    // `--authentication`, refuses every request before SASL. Offsets are committed before.
    let mut tansu = Tansu::start();
    let bs = tansu.bootstrap();
    kafscope::traffic::create_topics(&bs, &[("secured", 2)])
        .await
        .unwrap();
    kafscope::traffic::produce_n(&bs, "secured", 0, 30).unwrap();
    kafscope::traffic::produce_n(&bs, "secured", 1, 20).unwrap();
    kafscope::traffic::commit(&bs, "audited", &[("secured", 0, 10), ("secured", 1, 5)]).unwrap();
    tansu.add_scram_user(USER, "tansu-pw", "scram256");
    tansu.require_authentication();
    let client: BTreeMap<String, String> = [
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanisms", "SCRAM-SHA-256"),
        ("sasl.username", USER),
        ("sasl.password", "tansu-pw"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let t = TestApp::start_configured(
        &bs,
        "1s",
        |_| {},
        move |c| {
            c.clusters[0].client = client;
        },
    )
    .await;
    let g = t
        .poll_until(
            "/api/v1/clusters/test/consumer-groups/audited",
            Duration::from_secs(30),
            |g| g["lag"].is_number(),
        )
        .await;
    assert_eq!(g["lag"], 20 + 15, "{g}");
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert_eq!(
        c["connection"]["security"], "sasl_plaintext (SCRAM-SHA-256)",
        "{c}"
    );
    assert_eq!(c["connection"]["group_reads"], "protocol", "{c}");
    // Without credentials nothing is read.
    let e = open(
        [
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanisms", "SCRAM-SHA-256"),
            ("sasl.username", USER),
            ("sasl.password", "nope"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect(),
        "127.0.0.1",
        tansu.port,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("authentication failed") || e.contains("SASL"),
        "{e}"
    );
    t.app.stop().await;
}
