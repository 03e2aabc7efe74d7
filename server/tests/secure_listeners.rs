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
    // Polled only when asked, so one poll's requests are counted alone.
    let client = props(&ca, &[]);
    let t = TestApp::start_configured(
        &cluster.bootstrap(),
        "5m",
        |_| {},
        move |c| c.clusters[0].client = client,
    )
    .await;
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

/// Open one protocol session with these properties against `port`: the failure's class and
/// sentence.
async fn open(
    props: BTreeMap<String, String>,
    host: &str,
    port: u16,
) -> Result<(), (&'static str, String)> {
    let sec = from_properties(&props).map_err(|e| ("settings", e))?;
    let dialer = Dialer::new(&sec, Duration::from_secs(5), RequestCounts::default())
        .map_err(|e| ("settings", e))?;
    Session::open(&dialer, host, port)
        .await
        .map(|_| ())
        .map_err(|e| (e.cause.as_str(), e.message))
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
    let (c, e) = open(props(&ca, &[]), "127.0.0.1", port).await.unwrap_err();
    assert_eq!(c, "tls_hostname");
    assert!(e.contains("does not name the host"), "{e}");
    // … which is fine with host-name checks off.
    open(
        props(&ca, &[("ssl.endpoint.identification.algorithm", "none")]),
        "127.0.0.1",
        port,
    )
    .await
    .unwrap();
    let (c, e) = open(props(&wrong_ca, &[]), "localhost", port)
        .await
        .unwrap_err();
    assert_eq!(c, "tls_untrusted");
    assert!(e.contains("not signed by a CA in ssl.ca.location"), "{e}");
    let (c, e) = open(props(&ca, &[("sasl.password", "wrong")]), "localhost", port)
        .await
        .unwrap_err();
    assert_eq!(c, "authentication_failed");
    assert!(
        e.contains("authentication failed with SASL SCRAM-SHA-512 for sasl.username 'client'"),
        "{e}"
    );
    assert!(!e.contains("wrong"), "the password is never repeated: {e}");
    let (c, e) = open(
        props(&ca, &[("sasl.mechanisms", "PLAIN")]),
        "localhost",
        port,
    )
    .await
    .unwrap_err();
    assert_eq!(c, "sasl_mechanism_not_enabled");
    assert!(
        e.contains("PLAIN is not enabled on this listener (it offers SCRAM-SHA-512)"),
        "{e}"
    );
    // TLS configured, the port speaks plaintext; and the reverse.
    let (c, e) = open(props(&ca, &[]), "localhost", plain.ports[0].1)
        .await
        .unwrap_err();
    assert_eq!(c, "listener_not_tls");
    assert!(e.contains("does not speak TLS"), "{e}");
    let (c, e) = open(
        props(&ca, &[("security.protocol", "SASL_PLAINTEXT")]),
        "localhost",
        port,
    )
    .await
    .unwrap_err();
    assert_eq!(c, "listener_expects_tls");
    assert!(e.contains("may expect TLS"), "{e}");
    let e = from_properties(&props(&ca, &[("sasl.mechanisms", "GSSAPI")])).unwrap_err();
    assert!(e.contains("librdkafka only"), "{e}");
}

/// The connection check over plain listeners: a name that does not resolve, a port nothing
/// listens on, a broker that never answers, a SASL listener asked without SASL, and a broker
/// advertising a name the console cannot resolve — each its own class and setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_check_names_the_failing_step() {
    use kafscope::kafka::probe::Probe;
    let plain = from_properties(&BTreeMap::new()).unwrap();
    let dialer = Dialer::new(&plain, Duration::from_millis(800), RequestCounts::default()).unwrap();
    let check = |bootstrap: Vec<(String, u16)>| {
        let dialer = dialer.clone();
        async move { Probe::now(&dialer, bootstrap).run("now".into()).await }
    };
    let d = check(vec![("kafscope-nowhere.invalid".into(), 9092)]).await;
    assert!(!d.ok);
    assert_eq!(
        (d.step.as_deref(), d.cause.as_deref(), d.setting.as_deref()),
        (
            Some("resolve"),
            Some("dns_not_found"),
            Some("bootstrap.servers")
        )
    );
    assert!(
        d.verdict
            .contains("'kafscope-nowhere.invalid' does not resolve"),
        "{}",
        d.verdict
    );

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let d = check(vec![("127.0.0.1".into(), closed)]).await;
    assert_eq!(
        d.cause.as_deref(),
        Some("connection_refused"),
        "{}",
        d.verdict
    );
    assert!(d.verdict.contains("nothing listens there"), "{}", d.verdict);

    // Accepts and never answers: ApiVersions times out.
    let mute = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mute_port = mute.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut keep = Vec::new();
        while let Ok((s, _)) = mute.accept().await {
            keep.push(s);
        }
    });
    let d = check(vec![("127.0.0.1".into(), mute_port)]).await;
    assert_eq!(
        (d.step.as_deref(), d.cause.as_deref()),
        (Some("api_versions"), Some("timed_out")),
        "{}",
        d.verdict
    );
    held.abort();

    // A SASL listener closes the connection at the first request before authentication.
    let sasl_only = ScriptedCluster::start_secure(
        1,
        script(1),
        Security {
            tls: None,
            sasl: Some(("SCRAM-SHA-256".into(), USER.into(), PASSWORD.into())),
            session_lifetime_ms: 0,
        },
    )
    .await;
    let d = check(vec![("127.0.0.1".into(), sasl_only.ports[0].1)]).await;
    assert_eq!(
        (d.step.as_deref(), d.cause.as_deref(), d.setting.as_deref()),
        (
            Some("metadata"),
            Some("sasl_required"),
            Some("security.protocol")
        ),
        "{}",
        d.verdict
    );

    // Bootstrap answers; broker 2 advertises a name nobody resolves.
    let mut s = script(1);
    s.advertised
        .insert(2, "broker-2.kafscope-nowhere.invalid".into());
    let cluster = ScriptedCluster::start(2, s).await;
    let d = check(vec![("127.0.0.1".into(), cluster.ports[0].1)]).await;
    assert!(!d.ok);
    assert_eq!(d.cause.as_deref(), Some("advertised_host_unresolvable"));
    assert_eq!(
        d.setting.as_deref(),
        Some("the broker's advertised.listeners")
    );
    assert!(
        d.verdict.starts_with(&format!(
            "the cluster answers, but broker 2 advertises broker-2.kafscope-nowhere.invalid:{}",
            cluster.ports[1].1
        )),
        "{}",
        d.verdict
    );
    let ok: Vec<bool> = d.targets.iter().map(|t| t.ok).collect();
    assert_eq!(ok, vec![true, true, false], "{:?}", d.targets);

    // All well: every step passed.
    let fine = ScriptedCluster::start(2, script(1)).await;
    let d = check(vec![("127.0.0.1".into(), fine.ports[0].1)]).await;
    assert!(d.ok, "{}", d.verdict);
    assert_eq!(
        d.verdict,
        "every step passed: 1 bootstrap server and 2 brokers reached over plaintext"
    );

    // The collector's check of a broker Metadata no longer lists (a fenced KRaft broker)
    // that still accepts connections.
    let d = Probe {
        dialer: &dialer,
        bootstrap: Vec::new(),
        missing: vec![(2, "127.0.0.1".into(), fine.ports[1].1)],
        suspects: Vec::new(),
        now: true,
    }
    .run("now".into())
    .await;
    assert!(!d.ok);
    assert!(
        d.verdict
            .contains("accepts connections but the cluster does not list it"),
        "{}",
        d.verdict
    );
}

/// A broker the cluster lists as up but advertises under a name nobody resolves: the
/// console's own connections to it fail, and the cluster's page says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_advertising_a_name_nobody_resolves_is_named() {
    let mut s = script(1);
    s.advertised
        .insert(2, "broker-2.kafscope-nowhere.invalid".into());
    let cluster = ScriptedCluster::start(2, s).await;
    let t = TestApp::start(&cluster.bootstrap(), "1s").await;
    let c = t
        .poll_until("/api/v1/clusters/test", Duration::from_secs(30), |c| {
            !c["diagnosis"].is_null()
        })
        .await;
    let d = &c["diagnosis"];
    assert_eq!(d["cause"], "advertised_host_unresolvable", "{c:#}");
    assert_eq!(d["setting"], "the broker's advertised.listeners");
    assert!(
        d["verdict"]
            .as_str()
            .unwrap()
            .starts_with("broker 2 advertises broker-2.kafscope-nowhere.invalid:"),
        "{d:#}"
    );
    assert_eq!(d["targets"][0]["broker_id"], 2);
    t.app.stop().await;
}

/// A console with a wrong CA: the page, the API and the health problem say so within one
/// poll, "test connection" says the same and is audited, and the broker sees few handshakes
/// however often the console polls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_cluster_says_why_and_is_not_hammered() {
    let pki = pki(&["127.0.0.1", "localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let wrong_ca = dir.path().join("other-ca.pem");
    std::fs::write(&wrong_ca, pki_other()).unwrap();
    let cluster = ScriptedCluster::start_secure(1, script(1), secure(&pki, 0)).await;
    let client = props(&wrong_ca, &[]);
    let t = TestApp::start_configured(
        &cluster.bootstrap(),
        "5m",
        |_| {},
        move |c| {
            c.clusters[0].client = client;
            c.clusters[0].request_timeout = Duration::from_secs(2);
            c.server.admin_token = Some(kafscope::config::Secret("tok".into()));
        },
    )
    .await;
    t.app.poll_now().await;
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert_eq!(c["status"], "unreachable", "{c:#}");
    let d = &c["diagnosis"];
    assert_eq!(d["cause"], "tls_untrusted", "{d:#}");
    assert_eq!(d["step"], "tls");
    assert_eq!(d["setting"], "ssl.ca.location");
    assert!(
        d["verdict"]
            .as_str()
            .unwrap()
            .contains("not signed by a CA in ssl.ca.location"),
        "{d:#}"
    );
    let (_, h) = t.get("/api/v1/clusters/test/health").await;
    assert!(
        h["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ssl.ca.location"),
        "{h:#}"
    );

    // Test connection: the same verdict, tried now, and audited with the actor.
    let url = format!("http://{}/api/v1/clusters/test/test-connection", t.addr);
    let r = t.http.post(&url).bearer_auth("tok").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let now: serde_json::Value = r.json().await.unwrap();
    assert_eq!(now["cause"], "tls_untrusted", "{now:#}");
    assert_eq!(now["targets"][0]["address"], cluster.bootstrap());
    let audit: serde_json::Value = t
        .http
        .get(format!("http://{}/api/v1/audit", t.addr))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let row = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "cluster.test_connection")
        .unwrap_or_else(|| panic!("{audit:#}"));
    assert_eq!(row["outcome"], "failed");
    assert_eq!(row["actor"], "admin_token");

    // Polled back to back for a while: librdkafka and the console's own connections back off,
    // so handshakes stay far below one per poll-and-retry (before: 7 a second per broker).
    let started = std::time::Instant::now();
    let before = cluster
        .requests()
        .get("TlsHandshakeFailed")
        .copied()
        .unwrap_or(0);
    let mut polls = 0;
    while started.elapsed() < Duration::from_secs(8) {
        t.app.poll_now().await;
        polls += 1;
    }
    let handshakes = cluster
        .requests()
        .get("TlsHandshakeFailed")
        .copied()
        .unwrap_or(0)
        - before;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{handshakes} failed handshakes in {secs:.1} s over {polls} polls");
    assert!(
        (handshakes as f64) < 3.0 * secs,
        "{handshakes} failed handshakes in {secs:.1} s over {polls} polls"
    );
    let (_, c) = t.get("/api/v1/clusters/test").await;
    assert_eq!(
        c["diagnosis"]["cause"], "tls_untrusted",
        "kept while it lasts: {c:#}"
    );
    t.app.stop().await;
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
    assert_eq!(e.0, "authentication_failed", "{e:?}");
    assert!(e.1.contains("authentication failed"), "{e:?}");
    t.app.stop().await;
}
