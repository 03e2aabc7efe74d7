//! TEST-ONLY: a scripted, protocol-level Kafka broker (DESIGN.md §5) for cluster states no
//! real test broker can produce — ISR smaller than replicas, several brokers, log dirs with
//! volume sizes, Kafka 4 consumer-protocol groups, TLS listeners. It answers, with
//! `kafka-protocol`, exactly the requests Kafscope's collector sends (ApiVersions, Metadata,
//! ListOffsets, ListGroups, FindCoordinator, OffsetFetch, DescribeGroups,
//! ConsumerGroupDescribe, DescribeConfigs, DescribeLogDirs, DescribeQuorum), over TLS (rustls)
//! and with SASL
//! (PLAIN, SCRAM) when started secure; the state it reports is a script the test edits while
//! it runs. It is not a Kafka implementation: nothing is stored, nothing is replicated.

#![allow(dead_code)]

#[path = "scripted_admin.rs"]
mod admin;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult,
};
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::describe_log_dirs_response::{
    DescribeLogDirsPartition, DescribeLogDirsResult, DescribeLogDirsTopic,
};
use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse, ConsumerProtocolAssignment, DescribeConfigsRequest,
    DescribeConfigsResponse, DescribeGroupsRequest, DescribeGroupsResponse, DescribeLogDirsRequest,
    DescribeLogDirsResponse, FindCoordinatorRequest, FindCoordinatorResponse, GroupId,
    ListGroupsRequest, ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse,
    MetadataRequest, MetadataResponse, OffsetFetchRequest, OffsetFetchResponse, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
    TopicName,
};
use kafka_protocol::protocol::{decode_request_header_from_buffer, Decodable, Encodable, StrBytes};
use kafscope::kafka::wire::{read_frame, with_length};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct ScriptPartition {
    /// `None`: no leader.
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub end_offset: i64,
    /// Bytes of this partition's log on each replica's broker.
    pub size: i64,
}

#[derive(Debug, Clone)]
pub struct ScriptTopic {
    pub name: String,
    pub partitions: Vec<ScriptPartition>,
    /// Topic configs DescribeConfigs reports (e.g. `min.insync.replicas`).
    pub configs: Vec<(String, String)>,
}

/// A log directory: path, volume total and usable bytes.
#[derive(Debug, Clone)]
pub struct ScriptLogDir {
    pub path: String,
    pub total_bytes: i64,
    pub usable_bytes: i64,
}

/// What the brokers report. Edit it through [`ScriptedCluster::edit`].
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub controller: i32,
    pub topics: Vec<ScriptTopic>,
    pub log_dirs: BTreeMap<i32, ScriptLogDir>,
    /// Consumer groups and their committed offsets: (topic, partition, offset). A group's
    /// coordinator is one broker chosen from its name (see [`coordinator`]); the others answer
    /// NOT_COORDINATOR for it, as Kafka does.
    pub groups: BTreeMap<String, Vec<(String, i32, i64)>>,
    /// Members of groups (a group without members is described `Empty`, with them `Stable`).
    pub members: BTreeMap<String, Vec<ScriptMember>>,
    /// Added to every group's coordinator choice: changing it moves every coordinator.
    pub coordinator_shift: usize,
    /// Traffic: from this instant every end offset and every committed offset grows by this
    /// many per second (producers and consumers keeping pace), so nothing is idle.
    pub growth: Option<(std::time::Instant, i64)>,
    /// Groups on Kafka 4's consumer protocol (KIP-848): listed with type `consumer`, `Dead`
    /// to DescribeGroups (GROUP_ID_NOT_FOUND from v6), described by ConsumerGroupDescribe.
    pub consumer_protocol: std::collections::BTreeSet<String>,
    /// Highest version offered per API key, below the defaults (to play an older broker).
    pub max_versions: BTreeMap<i16, i16>,
    /// The KRaft metadata quorum DescribeQuorum reports; `None`: the API is not offered (a
    /// ZooKeeper-era broker).
    pub quorum: Option<ScriptQuorum>,
    /// Brokers that read requests and never answer (a hung or partitioned broker).
    pub silent: std::collections::BTreeSet<i32>,
    /// Brokers killed with [`ScriptedCluster::kill`]: their connections close.
    pub killed: std::collections::BTreeSet<i32>,
    /// Host names brokers advertise in Metadata instead of 127.0.0.1 (a wrong
    /// advertised.listeners).
    pub advertised: BTreeMap<i32, String>,
    /// Log start offsets moved by DeleteRecords (0 where absent).
    pub starts: BTreeMap<(String, i32), i64>,
    /// Dynamic broker configs by resource name (a broker id, or "" for the cluster-wide
    /// default), as IncrementalAlterConfigs set them.
    pub broker_configs: BTreeMap<String, Vec<(String, String)>>,
}

/// The metadata quorum: leader (−1: none), epoch, high watermark, and voters and observers as
/// (id, log end offset, last fetch ms, last caught-up ms).
#[derive(Debug, Clone, Default)]
pub struct ScriptQuorum {
    pub leader: i32,
    pub epoch: i32,
    pub high_watermark: i64,
    pub voters: Vec<(i32, i64, i64, i64)>,
    pub observers: Vec<(i32, i64, i64, i64)>,
}

impl Script {
    /// Offsets added by [`Script::growth`] so far.
    fn grown(&self) -> i64 {
        self.growth
            .map(|(from, per_sec)| (from.elapsed().as_millis() as i64 * per_sec) / 1000)
            .unwrap_or(0)
    }
}

/// A member of a scripted group and the partitions assigned to it.
#[derive(Debug, Clone, Default)]
pub struct ScriptMember {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    pub assignment: Vec<(String, i32)>,
    /// Consumer-protocol groups: what the coordinator wants the member to own.
    pub target: Option<Vec<(String, i32)>>,
}

/// How a secure scripted cluster's listeners are protected.
#[derive(Clone, Default)]
pub struct Security {
    /// PEM certificate chain and key of every broker (TLS listener when set).
    pub tls: Option<(String, String)>,
    /// SASL: mechanism (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`), user, password.
    pub sasl: Option<(String, String, String)>,
    /// Session lifetime announced in SaslAuthenticate; the broker closes a connection that
    /// sends anything but SaslHandshake after it (KIP-368).
    pub session_lifetime_ms: i64,
}

/// The broker (id, port) coordinating `group`: fixed by its name and the script's shift.
pub fn coordinator(s_: &Script, ports: &[(i32, u16)], group: &str) -> (i32, u16) {
    let h = group.bytes().map(|b| b as usize).sum::<usize>() + s_.coordinator_shift;
    ports[h % ports.len()]
}

/// Brokers `1..=n`, each on its own loopback listener (librdkafka connects per node id).
pub struct ScriptedCluster {
    pub ports: Vec<(i32, u16)>,
    /// The current script; each request answers from one consistent version of it.
    script: Shared,
    /// Requests answered, by API name (for request-count checks).
    requests: Counts,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ScriptedCluster {
    pub async fn start(brokers: i32, script: Script) -> ScriptedCluster {
        Self::start_secure(brokers, script, Security::default()).await
    }

    pub async fn start_secure(brokers: i32, script: Script, security: Security) -> ScriptedCluster {
        let acceptor = security.tls.as_ref().map(|(cert, key)| {
            let chain: Vec<rustls::pki_types::CertificateDer<'static>> =
                rustls::pki_types::pem::PemObject::pem_slice_iter(cert.as_bytes())
                    .collect::<Result<_, _>>()
                    .unwrap();
            let key: rustls::pki_types::PrivateKeyDer<'static> =
                rustls::pki_types::pem::PemObject::from_pem_slice(key.as_bytes()).unwrap();
            let config = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
            tokio_rustls::TlsAcceptor::from(Arc::new(config))
        });
        // SCRAM's stored keys are made once: thousands of iterations per sign-in would make
        // the broker itself the bottleneck of a test about sessions.
        let credential = security.sasl.as_ref().and_then(|(m, _, pw)| {
            kafscope::kafka::sasl::Mechanism::parse(m)
                .filter(|m| m.name().starts_with("SCRAM"))
                .map(|m| {
                    Arc::new(kafscope::kafka::sasl::server::Credential::new(
                        m,
                        pw,
                        b"scripted-salt",
                        4096,
                    ))
                })
        });
        let mut listeners = Vec::new();
        for id in 1..=brokers {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            listeners.push((id, port, l));
        }
        let ports: Vec<(i32, u16)> = listeners.iter().map(|(id, p, _)| (*id, *p)).collect();
        Self::serve_listeners(listeners, ports, script, security, acceptor, credential)
    }

    /// One broker of a cluster whose brokers are separate processes (`ports` lists them all,
    /// this one included): killing the process kills that broker, as with Kafka.
    pub async fn start_member(me: i32, ports: Vec<(i32, u16)>, script: Script) -> ScriptedCluster {
        let port = ports.iter().find(|(id, _)| *id == me).expect("own port").1;
        let l = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        Self::serve_listeners(
            vec![(me, port, l)],
            ports,
            script,
            Security::default(),
            None,
            None,
        )
    }

    fn serve_listeners(
        listeners: Vec<(i32, u16, TcpListener)>,
        ports: Vec<(i32, u16)>,
        script: Script,
        security: Security,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
        credential: Option<Arc<kafscope::kafka::sasl::server::Credential>>,
    ) -> ScriptedCluster {
        let security = Arc::new((security, credential));
        let script: Shared = Arc::new(Mutex::new(Arc::new(script)));
        let requests: Counts = Arc::default();
        let mut tasks = Vec::new();
        for (id, _, listener) in listeners {
            let acceptor = acceptor.clone();
            let security = security.clone();
            let script = script.clone();
            let requests = requests.clone();
            let ports = ports.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let script = script.clone();
                    let requests = requests.clone();
                    let ports = ports.clone();
                    let acceptor = acceptor.clone();
                    let security = security.clone();
                    tokio::spawn(async move {
                        let stream: Box<dyn Io> = match acceptor {
                            None => Box::new(stream),
                            Some(a) => match a.accept(stream).await {
                                Ok(s) => Box::new(s),
                                Err(_) => {
                                    *requests
                                        .lock()
                                        .unwrap()
                                        .entry("TlsHandshakeFailed".into())
                                        .or_default() += 1;
                                    return;
                                }
                            },
                        };
                        let _ = serve(
                            stream,
                            id,
                            &ports,
                            &script,
                            &requests,
                            &security.0,
                            security.1.as_deref(),
                        )
                        .await;
                    });
                }
            }));
        }
        ScriptedCluster {
            ports,
            script,
            requests,
            tasks,
        }
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.ports[0].1)
    }

    /// The script as it is now (changes made through the API included).
    pub fn current(&self) -> Script {
        (**self.script.lock().unwrap()).clone()
    }

    pub fn edit(&self, f: impl FnOnce(&mut Script)) {
        f(Arc::make_mut(&mut self.script.lock().unwrap()));
    }

    /// Kill broker `id` as a crashed process dies: its port refuses connections and its open
    /// connections close at their next request. It stays in the metadata, as a killed Kafka
    /// broker does until its session times out.
    pub fn kill(&self, id: i32) {
        self.edit(|s| {
            s.killed.insert(id);
        });
        if let Some(t) = self
            .ports
            .iter()
            .position(|(b, _)| *b == id)
            .and_then(|i| self.tasks.get(i))
        {
            t.abort();
        }
    }

    pub fn requests(&self) -> BTreeMap<String, u64> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for ScriptedCluster {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

type Shared = Arc<Mutex<Arc<Script>>>;
type Counts = Arc<Mutex<BTreeMap<String, u64>>>;

/// The APIs answered, with the versions offered (within what `kafka-protocol` 0.18 speaks).
const OFFERED: &[(ApiKey, i16, i16)] = &[
    (ApiKey::ApiVersions, 0, 3),
    (ApiKey::Metadata, 1, 12),
    (ApiKey::ListOffsets, 1, 7),
    (ApiKey::ListGroups, 0, 5),
    (ApiKey::FindCoordinator, 0, 4),
    (ApiKey::OffsetFetch, 1, 8),
    (ApiKey::DescribeGroups, 0, 6),
    (ApiKey::ConsumerGroupDescribe, 0, 1),
    (ApiKey::DescribeConfigs, 1, 4),
    (ApiKey::CreateTopics, 2, 7),
    (ApiKey::CreatePartitions, 0, 3),
    (ApiKey::DeleteTopics, 1, 6),
    (ApiKey::DeleteRecords, 0, 2),
    (ApiKey::ElectLeaders, 0, 2),
    (ApiKey::OffsetCommit, 2, 9),
    (ApiKey::OffsetDelete, 0, 0),
    (ApiKey::DeleteGroups, 0, 2),
    (ApiKey::IncrementalAlterConfigs, 0, 1),
    (ApiKey::DescribeLogDirs, 1, 4),
    (ApiKey::DescribeQuorum, 0, 2),
    (ApiKey::SaslHandshake, 0, 1),
    (ApiKey::SaslAuthenticate, 0, 2),
];

trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Where a connection is in its SASL exchange.
#[derive(Default)]
struct SaslState {
    authenticated: bool,
    /// SCRAM: the auth-message prefix after the first round.
    scram_prefix: Option<String>,
    /// When the session ends (KIP-368).
    expires: Option<std::time::Instant>,
}

async fn serve(
    mut stream: Box<dyn Io>,
    me: i32,
    ports: &[(i32, u16)],
    script: &Mutex<Arc<Script>>,
    requests: &Mutex<BTreeMap<String, u64>>,
    security: &Security,
    credential: Option<&kafscope::kafka::sasl::server::Credential>,
) -> Result<(), String> {
    let mut sasl = SaslState::default();
    // The first ApiVersions' version tells the clients apart: librdkafka opens with v3,
    // Kafscope's own protocol connections with v0.
    let mut client = "unknown";
    loop {
        let mut frame = read_frame(&mut stream).await.map_err(|e| e.to_string())?;
        if frame.len() < 4 {
            return Err("short frame".into());
        }
        let header = decode_request_header_from_buffer(&mut frame).map_err(|e| e.to_string())?;
        let key = ApiKey::try_from(header.request_api_key).map_err(|_| "unknown api key")?;
        let version = header.request_api_version;
        if security.sasl.is_some()
            && !matches!(
                key,
                ApiKey::ApiVersions | ApiKey::SaslHandshake | ApiKey::SaslAuthenticate
            )
        {
            // Kafka closes a connection that sends requests before authenticating, or after
            // its session expired.
            let expired = sasl.expires.is_some_and(|e| std::time::Instant::now() >= e);
            if !sasl.authenticated || expired {
                *requests
                    .lock()
                    .unwrap()
                    .entry(format!(
                        "{}({client})",
                        if expired {
                            "ExpiredSessionClosed"
                        } else {
                            "UnauthenticatedClosed"
                        }
                    ))
                    .or_default() += 1;
                return Err("not authenticated".into());
            }
        }
        let mut body = BytesMut::new();
        ResponseHeader::default()
            .with_correlation_id(header.correlation_id)
            .encode(&mut body, key.response_header_version(version))
            .map_err(|e| e.to_string())?;
        *requests
            .lock()
            .unwrap()
            .entry(format!("{key:?}"))
            .or_default() += 1;
        let snapshot: Arc<Script> = script.lock().unwrap().clone();
        if snapshot.killed.contains(&me) {
            return Err("killed".into());
        }
        if snapshot.silent.contains(&me) && key != ApiKey::ApiVersions {
            // Hung: the request is read, no answer ever comes (the client's timeout decides).
            std::future::pending::<()>().await;
        }
        let encoded = match key {
            ApiKey::ApiVersions => {
                if client == "unknown" {
                    client = if version == 0 {
                        "protocol"
                    } else {
                        "librdkafka"
                    };
                }
                let _ = ApiVersionsRequest::decode(&mut frame, version.min(3));
                api_versions(&snapshot, version).encode(&mut body, version.min(3))
            }
            ApiKey::Metadata => {
                let req =
                    MetadataRequest::decode(&mut frame, version).map_err(|e| e.to_string())?;
                metadata(&snapshot, ports, &req).encode(&mut body, version)
            }
            ApiKey::ListOffsets => {
                let req =
                    ListOffsetsRequest::decode(&mut frame, version).map_err(|e| e.to_string())?;
                list_offsets(&snapshot, &req).encode(&mut body, version)
            }
            ApiKey::ListGroups => {
                let _ = ListGroupsRequest::decode(&mut frame, version);
                // As in Kafka, a broker lists the groups it coordinates.
                list_groups(&snapshot, ports, me, version).encode(&mut body, version)
            }
            ApiKey::FindCoordinator => {
                let req = FindCoordinatorRequest::decode(&mut frame, version)
                    .map_err(|e| e.to_string())?;
                find_coordinator(&snapshot, ports, &req, version).encode(&mut body, version)
            }
            ApiKey::OffsetFetch => {
                let req =
                    OffsetFetchRequest::decode(&mut frame, version).map_err(|e| e.to_string())?;
                offset_fetch(&snapshot, ports, me, &req).encode(&mut body, version)
            }
            ApiKey::DescribeGroups => {
                let req = DescribeGroupsRequest::decode(&mut frame, version)
                    .map_err(|e| e.to_string())?;
                describe_groups(&snapshot, ports, me, &req, version).encode(&mut body, version)
            }
            ApiKey::DescribeConfigs => {
                let req = DescribeConfigsRequest::decode(&mut frame, version)
                    .map_err(|e| e.to_string())?;
                describe_configs(&snapshot, &req).encode(&mut body, version)
            }
            ApiKey::DescribeLogDirs => {
                let _ = DescribeLogDirsRequest::decode(&mut frame, version);
                log_dirs(&snapshot, me).encode(&mut body, version)
            }
            ApiKey::DescribeQuorum => {
                let _ =
                    kafka_protocol::messages::DescribeQuorumRequest::decode(&mut frame, version);
                describe_quorum(&snapshot, ports).encode(&mut body, version)
            }
            ApiKey::ConsumerGroupDescribe => {
                let req = ConsumerGroupDescribeRequest::decode(&mut frame, version)
                    .map_err(|e| e.to_string())?;
                consumer_group_describe(&snapshot, ports, me, &req).encode(&mut body, version)
            }
            ApiKey::SaslHandshake => {
                let req =
                    SaslHandshakeRequest::decode(&mut frame, version).map_err(|e| e.to_string())?;
                let offered = security.sasl.as_ref().map(|(m, _, _)| m.clone());
                let ok = offered.as_deref() == Some(req.mechanism.as_str());
                SaslHandshakeResponse::default()
                    .with_error_code(if ok { 0 } else { 33 })
                    .with_mechanisms(offered.into_iter().map(|m| s(&m)).collect())
                    .encode(&mut body, version)
            }
            ApiKey::SaslAuthenticate => {
                let req = SaslAuthenticateRequest::decode(&mut frame, version)
                    .map_err(|e| e.to_string())?;
                let answer = sasl_authenticate(security, credential, &mut sasl, &req.auth_bytes);
                let failed = answer.error_code != 0;
                answer
                    .encode(&mut body, version)
                    .map_err(|e| e.to_string())?;
                stream
                    .write_all(&with_length(body))
                    .await
                    .map_err(|e| e.to_string())?;
                if failed {
                    return Err("authentication failed".into());
                }
                continue;
            }
            ApiKey::CreateTopics
            | ApiKey::CreatePartitions
            | ApiKey::DeleteTopics
            | ApiKey::DeleteRecords
            | ApiKey::ElectLeaders
            | ApiKey::OffsetCommit
            | ApiKey::OffsetDelete
            | ApiKey::DeleteGroups
            | ApiKey::IncrementalAlterConfigs => {
                change(key, version, &mut frame, &mut body, me, ports, script)?
            }
            other => return Err(format!("{other:?} is not scripted")),
        };
        encoded.map_err(|e| e.to_string())?;
        stream
            .write_all(&with_length(body))
            .await
            .map_err(|e| e.to_string())?;
    }
}

/// A management request: decoded, applied to the script, answered.
fn change(
    key: ApiKey,
    version: i16,
    frame: &mut bytes::Bytes,
    body: &mut BytesMut,
    me: i32,
    ports: &[(i32, u16)],
    script: &Mutex<Arc<Script>>,
) -> Result<anyhow::Result<()>, String> {
    use kafka_protocol::messages::*;
    let mut guard = script.lock().unwrap();
    let s_ = Arc::make_mut(&mut guard);
    let ids: Vec<i32> = ports.iter().map(|(id, _)| *id).collect();
    macro_rules! answer {
        ($req:ty, |$r:ident| $f:expr) => {{
            let $r = <$req>::decode(frame, version).map_err(|e| e.to_string())?;
            Ok($f.encode(body, version))
        }};
    }
    match key {
        ApiKey::CreateTopics => {
            answer!(CreateTopicsRequest, |r| admin::create_topics(s_, &ids, &r))
        }
        ApiKey::CreatePartitions => answer!(CreatePartitionsRequest, |r| admin::create_partitions(
            s_, &r
        )),
        ApiKey::DeleteTopics => answer!(DeleteTopicsRequest, |r| admin::delete_topics(s_, &r)),
        ApiKey::DeleteRecords => {
            answer!(DeleteRecordsRequest, |r| admin::delete_records(s_, me, &r))
        }
        ApiKey::ElectLeaders => answer!(ElectLeadersRequest, |r| admin::elect_leaders(s_, &r)),
        ApiKey::OffsetCommit => answer!(OffsetCommitRequest, |r| admin::offset_commit(
            s_, ports, me, &r
        )),
        ApiKey::OffsetDelete => answer!(OffsetDeleteRequest, |r| admin::offset_delete(
            s_, ports, me, &r
        )),
        ApiKey::DeleteGroups => answer!(DeleteGroupsRequest, |r| admin::delete_groups(
            s_, ports, me, &r
        )),
        ApiKey::IncrementalAlterConfigs => {
            answer!(IncrementalAlterConfigsRequest, |r| {
                admin::incremental_alter_configs(s_, &r)
            })
        }
        other => Err(format!("{other:?} is not a change")),
    }
}

/// As a broker forwards it to the active controller: the same answer from every broker.
fn describe_quorum(
    s_: &Script,
    ports: &[(i32, u16)],
) -> kafka_protocol::messages::DescribeQuorumResponse {
    use kafka_protocol::messages::describe_quorum_response::{
        Listener, Node, PartitionData, ReplicaState, TopicData,
    };
    let q = s_.quorum.clone().unwrap_or_default();
    let state = |(id, leo, fetch, caught): &(i32, i64, i64, i64)| {
        ReplicaState::default()
            .with_replica_id(BrokerId(*id))
            .with_log_end_offset(*leo)
            .with_last_fetch_timestamp(*fetch)
            .with_last_caught_up_timestamp(*caught)
    };
    let nodes = q
        .voters
        .iter()
        .filter_map(|(id, ..)| {
            let (_, port) = ports.iter().find(|(b, _)| b == id)?;
            Some(Node::default().with_node_id(BrokerId(*id)).with_listeners(
                vec![Listener::default()
                    .with_name(s("CONTROLLER"))
                    .with_host(s("127.0.0.1"))
                    .with_port(*port)],
            ))
        })
        .collect();
    kafka_protocol::messages::DescribeQuorumResponse::default()
        .with_topics(vec![TopicData::default()
            .with_topic_name(TopicName(s("__cluster_metadata")))
            .with_partitions(vec![PartitionData::default()
                .with_leader_id(BrokerId(q.leader))
                .with_leader_epoch(q.epoch)
                .with_high_watermark(q.high_watermark)
                .with_current_voters(q.voters.iter().map(state).collect())
                .with_observers(q.observers.iter().map(state).collect())])])
        .with_nodes(nodes)
}

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

fn api_versions(s_: &Script, requested: i16) -> ApiVersionsResponse {
    let keys = OFFERED
        .iter()
        .filter(|(k, _, _)| s_.max_versions.get(&(*k as i16)) != Some(&-1))
        .filter(|(k, _, _)| *k != ApiKey::DescribeQuorum || s_.quorum.is_some())
        .map(|(k, min, max)| {
            let max = s_
                .max_versions
                .get(&(*k as i16))
                .map_or(*max, |m| (*m).min(*max));
            ApiVersion::default()
                .with_api_key(*k as i16)
                .with_min_version(*min)
                .with_max_version(max)
        })
        .collect();
    // Asked for a version beyond ours: say so (error 35) with the list, as Kafka does.
    let error = if requested > 3 { 35 } else { 0 };
    ApiVersionsResponse::default()
        .with_error_code(error)
        .with_api_keys(keys)
}

fn metadata(s_: &Script, ports: &[(i32, u16)], req: &MetadataRequest) -> MetadataResponse {
    let brokers = ports
        .iter()
        .map(|(id, port)| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(*id))
                .with_host(StrBytes::from_string(
                    s_.advertised
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| "127.0.0.1".into()),
                ))
                .with_port(*port as i32)
        })
        .collect();
    let wanted: Option<Vec<String>> = req.topics.as_ref().map(|ts| {
        ts.iter()
            .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
            .collect()
    });
    let topics = s_
        .topics
        .iter()
        .filter(|t| wanted.as_ref().is_none_or(|w| w.contains(&t.name)))
        .map(|t| {
            let parts = t
                .partitions
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    MetadataResponsePartition::default()
                        .with_partition_index(i as i32)
                        .with_error_code(if p.leader.is_none() { 5 } else { 0 })
                        .with_leader_id(BrokerId(p.leader.unwrap_or(-1)))
                        .with_replica_nodes(p.replicas.iter().map(|r| BrokerId(*r)).collect())
                        .with_isr_nodes(p.isr.iter().map(|r| BrokerId(*r)).collect())
                })
                .collect();
            MetadataResponseTopic::default()
                .with_name(Some(TopicName(s(&t.name))))
                .with_partitions(parts)
        })
        .collect();
    MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(s("scripted-test-cluster")))
        .with_controller_id(BrokerId(s_.controller))
        .with_topics(topics)
}

fn list_offsets(s_: &Script, req: &ListOffsetsRequest) -> ListOffsetsResponse {
    let topics = req
        .topics
        .iter()
        .map(|rt| {
            let topic = s_.topics.iter().find(|t| t.name == rt.name.0.as_str());
            let parts = rt
                .partitions
                .iter()
                .map(|rp| {
                    let p = topic.and_then(|t| t.partitions.get(rp.partition_index as usize));
                    let r = ListOffsetsPartitionResponse::default()
                        .with_partition_index(rp.partition_index)
                        .with_timestamp(-1);
                    match p {
                        None => r.with_error_code(3).with_offset(-1),
                        Some(p) if p.leader.is_none() => r.with_error_code(5).with_offset(-1),
                        // -2 earliest, -1 latest (also the last stable offset here). By
                        // timestamp: record n is taken to be written at n × 1000 ms, so the
                        // answer is the first offset at or after it, -1 past the end.
                        Some(p) => r.with_offset(match rp.timestamp {
                            -2 => s_
                                .starts
                                .get(&(rt.name.0.to_string(), rp.partition_index))
                                .copied()
                                .unwrap_or(0),
                            t if t < 0 => p.end_offset + s_.grown(),
                            t => {
                                let n = (t + 999) / 1000;
                                if n < p.end_offset {
                                    n
                                } else {
                                    -1
                                }
                            }
                        }),
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(rt.name.clone())
                .with_partitions(parts)
        })
        .collect();
    ListOffsetsResponse::default().with_topics(topics)
}

fn list_groups(s_: &Script, ports: &[(i32, u16)], me: i32, version: i16) -> ListGroupsResponse {
    ListGroupsResponse::default().with_groups(
        s_.groups
            .keys()
            .filter(|g| coordinator(s_, ports, g).0 == me)
            .map(|g| {
                let l = ListedGroup::default()
                    .with_group_id(GroupId(s(g)))
                    .with_protocol_type(s("consumer"));
                let l = if version >= 4 {
                    l.with_group_state(s(group_state(s_, g)))
                } else {
                    l
                };
                if version >= 5 {
                    l.with_group_type(s(if s_.consumer_protocol.contains(g) {
                        "consumer"
                    } else {
                        "classic"
                    }))
                } else {
                    l
                }
            })
            .collect(),
    )
}

/// ConsumerGroupDescribe: consumer-protocol groups with members, epochs and both
/// assignments; classic groups are GROUP_ID_NOT_FOUND, as in Kafka.
fn consumer_group_describe(
    s_: &Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &ConsumerGroupDescribeRequest,
) -> ConsumerGroupDescribeResponse {
    use kafka_protocol::messages::consumer_group_describe_response as cgd;
    let tps = |parts: &[(String, i32)]| {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (t, p) in parts {
            by_topic.entry(t).or_default().push(*p);
        }
        cgd::Assignment::default().with_topic_partitions(
            by_topic
                .into_iter()
                .map(|(t, ps)| {
                    cgd::TopicPartitions::default()
                        .with_topic_name(TopicName(s(t)))
                        .with_partitions(ps)
                })
                .collect(),
        )
    };
    ConsumerGroupDescribeResponse::default().with_groups(
        req.group_ids
            .iter()
            .map(|g| {
                let id = g.0.as_str();
                let code = match not_coordinator(s_, ports, me, id) {
                    0 if s_.consumer_protocol.contains(id) => 0,
                    0 => 69,
                    other => other,
                };
                if code != 0 {
                    return cgd::DescribedGroup::default()
                        .with_group_id(g.clone())
                        .with_error_code(code)
                        .with_error_message(Some(s(&format!(
                            "Group {id} is not a consumer group."
                        ))));
                }
                let members = s_
                    .members
                    .get(id)
                    .into_iter()
                    .flatten()
                    .map(|m| {
                        cgd::Member::default()
                            .with_member_id(s(&m.member_id))
                            .with_client_id(s(&m.client_id))
                            .with_client_host(s(&m.host))
                            .with_member_epoch(3)
                            .with_rack_id(Some(s("rack-a")))
                            .with_subscribed_topic_names(
                                m.assignment
                                    .iter()
                                    .map(|(t, _)| t.clone())
                                    .collect::<std::collections::BTreeSet<_>>()
                                    .into_iter()
                                    .map(|t| TopicName(s(&t)))
                                    .collect(),
                            )
                            .with_assignment(tps(&m.assignment))
                            .with_target_assignment(tps(m.target.as_ref().unwrap_or(&m.assignment)))
                            .with_member_type(1)
                    })
                    .collect();
                cgd::DescribedGroup::default()
                    .with_group_id(g.clone())
                    .with_group_state(s(group_state(s_, id)))
                    .with_group_epoch(3)
                    .with_assignment_epoch(3)
                    .with_assignor_name(s("uniform"))
                    .with_members(members)
            })
            .collect(),
    )
}

/// One SaslAuthenticate round on the server side.
fn sasl_authenticate(
    security: &Security,
    credential: Option<&kafscope::kafka::sasl::server::Credential>,
    state: &mut SaslState,
    bytes: &[u8],
) -> SaslAuthenticateResponse {
    let Some((mechanism, user, password)) = &security.sasl else {
        return SaslAuthenticateResponse::default().with_error_code(34);
    };
    let fail = |msg: &str| {
        SaslAuthenticateResponse::default()
            .with_error_code(58)
            .with_error_message(Some(s(msg)))
    };
    let done = |state: &mut SaslState, bytes: Vec<u8>| {
        state.authenticated = true;
        state.scram_prefix = None;
        if security.session_lifetime_ms > 0 {
            state.expires = Some(
                std::time::Instant::now()
                    + std::time::Duration::from_millis(security.session_lifetime_ms as u64),
            );
        }
        SaslAuthenticateResponse::default()
            .with_auth_bytes(bytes::Bytes::from(bytes))
            .with_session_lifetime_ms(security.session_lifetime_ms)
    };
    let text = String::from_utf8_lossy(bytes).to_string();
    match mechanism.as_str() {
        "PLAIN" => {
            let parts: Vec<&str> = text.split('\0').collect();
            if parts.len() == 3 && parts[1] == user && parts[2] == password {
                done(state, Vec::new())
            } else {
                fail("Authentication failed: Invalid username or password")
            }
        }
        m => {
            let Some(cred) = credential else {
                return fail("no SCRAM credential");
            };
            let _ = password;
            match state.scram_prefix.take() {
                None => {
                    let wanted = format!("n={user},");
                    if !text.contains(&wanted) {
                        return fail(&format!("Authentication failed during authentication due to invalid credentials with SASL mechanism {m}"));
                    }
                    let (first, prefix) = cred.challenge(&text, "srvnonce");
                    state.scram_prefix = Some(prefix);
                    SaslAuthenticateResponse::default()
                        .with_auth_bytes(bytes::Bytes::from(first.into_bytes()))
                }
                Some(prefix) => match cred.finish(&prefix, &text) {
                    Some(fin) => done(state, fin.into_bytes()),
                    None => fail(&format!("Authentication failed during authentication due to invalid credentials with SASL mechanism {m}")),
                },
            }
        }
    }
}

fn group_state(s_: &Script, group: &str) -> &'static str {
    if s_.members.get(group).is_some_and(|m| !m.is_empty()) {
        "Stable"
    } else {
        "Empty"
    }
}

/// One key per request before v4, many after.
fn find_coordinator(
    s_: &Script,
    ports: &[(i32, u16)],
    req: &FindCoordinatorRequest,
    version: i16,
) -> FindCoordinatorResponse {
    if version < 4 {
        let (id, port) = coordinator(s_, ports, req.key.as_str());
        return FindCoordinatorResponse::default()
            .with_node_id(BrokerId(id))
            .with_host(s("127.0.0.1"))
            .with_port(port as i32);
    }
    FindCoordinatorResponse::default().with_coordinators(
        req.coordinator_keys
            .iter()
            .map(|k| {
                let (id, port) = coordinator(s_, ports, k.as_str());
                Coordinator::default()
                    .with_key(k.clone())
                    .with_node_id(BrokerId(id))
                    .with_host(s("127.0.0.1"))
                    .with_port(port as i32)
            })
            .collect(),
    )
}

/// NOT_COORDINATOR when `me` does not coordinate `group`.
fn not_coordinator(s_: &Script, ports: &[(i32, u16)], me: i32, group: &str) -> i16 {
    if coordinator(s_, ports, group).0 == me {
        0
    } else {
        16
    }
}

/// The committed offsets of one group: (topic, partitions as (index, offset)).
fn committed(
    s_: &Script,
    group: &str,
    wanted: impl Fn(&str, i32) -> bool,
) -> BTreeMap<String, Vec<(i32, i64)>> {
    let mut by_topic: BTreeMap<String, Vec<(i32, i64)>> = BTreeMap::new();
    for (t, p, o) in s_.groups.get(group).into_iter().flatten() {
        if wanted(t, *p) {
            by_topic
                .entry(t.clone())
                .or_default()
                .push((*p, *o + s_.grown()));
        }
    }
    by_topic
}

/// One group per request up to v7; v8 takes many.
fn offset_fetch(
    s_: &Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &OffsetFetchRequest,
) -> OffsetFetchResponse {
    let groups = req
        .groups
        .iter()
        .map(|g| {
            let id = g.group_id.0.as_str();
            let code = not_coordinator(s_, ports, me, id);
            let topics = if code != 0 {
                vec![]
            } else {
                committed(s_, id, |t, p| {
                    g.topics.as_ref().is_none_or(|ts| {
                        ts.iter()
                            .any(|rt| rt.name.0.as_str() == t && rt.partition_indexes.contains(&p))
                    })
                })
                .into_iter()
                .map(|(t, parts)| {
                    OffsetFetchResponseTopics::default()
                        .with_name(TopicName(s(&t)))
                        .with_partitions(
                            parts
                                .into_iter()
                                .map(|(p, o)| {
                                    OffsetFetchResponsePartitions::default()
                                        .with_partition_index(p)
                                        .with_committed_offset(o)
                                        .with_metadata(Some(s("")))
                                })
                                .collect(),
                        )
                })
                .collect()
            };
            OffsetFetchResponseGroup::default()
                .with_group_id(g.group_id.clone())
                .with_error_code(code)
                .with_topics(topics)
        })
        .collect();
    let id = req.group_id.0.as_str();
    let code = if req.groups.is_empty() {
        not_coordinator(s_, ports, me, id)
    } else {
        0
    };
    let topics = if code != 0 || !req.groups.is_empty() {
        vec![]
    } else {
        committed(s_, id, |t, p| {
            req.topics.as_ref().is_none_or(|ts| {
                ts.iter()
                    .any(|rt| rt.name.0.as_str() == t && rt.partition_indexes.contains(&p))
            })
        })
        .into_iter()
        .map(|(t, parts)| {
            OffsetFetchResponseTopic::default()
                .with_name(TopicName(s(&t)))
                .with_partitions(
                    parts
                        .into_iter()
                        .map(|(p, o)| {
                            OffsetFetchResponsePartition::default()
                                .with_partition_index(p)
                                .with_committed_offset(o)
                                .with_metadata(Some(s("")))
                        })
                        .collect(),
                )
        })
        .collect()
    };
    OffsetFetchResponse::default()
        .with_error_code(code)
        .with_topics(topics)
        .with_groups(groups)
}

fn describe_groups(
    s_: &Script,
    ports: &[(i32, u16)],
    me: i32,
    req: &DescribeGroupsRequest,
    version: i16,
) -> DescribeGroupsResponse {
    DescribeGroupsResponse::default().with_groups(
        req.groups
            .iter()
            .map(|g| {
                let id = g.0.as_str();
                if s_.consumer_protocol.contains(id) && not_coordinator(s_, ports, me, id) == 0 {
                    // What Kafka 4 says of a consumer-protocol group: Dead and empty before
                    // v6, GROUP_ID_NOT_FOUND from v6 (KIP-1043).
                    let d = DescribedGroup::default()
                        .with_group_id(g.clone())
                        .with_group_state(s("Dead"));
                    return if version >= 6 {
                        d.with_error_code(69).with_error_message(Some(s(&format!(
                            "Group {id} is not a classic group."
                        ))))
                    } else {
                        d
                    };
                }
                let known = s_.groups.contains_key(id) || s_.members.contains_key(id);
                let code = match not_coordinator(s_, ports, me, id) {
                    0 if known => 0,
                    0 => 69,
                    other => other,
                };
                let members = s_.members.get(id).into_iter().flatten().map(|m| {
                    DescribedGroupMember::default()
                        .with_member_id(s(&m.member_id))
                        .with_client_id(s(&m.client_id))
                        .with_client_host(s(&m.host))
                        .with_member_assignment(assignment_bytes(&m.assignment))
                });
                DescribedGroup::default()
                    .with_group_id(g.clone())
                    .with_error_code(code)
                    .with_group_state(s(if code == 0 {
                        group_state(s_, id)
                    } else {
                        "Dead"
                    }))
                    .with_protocol_type(s("consumer"))
                    .with_protocol_data(s("range"))
                    .with_members(if code == 0 { members.collect() } else { vec![] })
            })
            .collect(),
    )
}

/// A consumer-protocol assignment (version 0) as a member's assignment bytes.
fn assignment_bytes(parts: &[(String, i32)]) -> bytes::Bytes {
    let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for (t, p) in parts {
        by_topic.entry(t).or_default().push(*p);
    }
    let a = ConsumerProtocolAssignment::default().with_assigned_partitions(
        by_topic
            .into_iter()
            .map(|(t, ps)| {
                TopicPartition::default()
                    .with_topic(TopicName(s(t)))
                    .with_partitions(ps)
            })
            .collect(),
    );
    let mut buf = BytesMut::new();
    bytes::BufMut::put_i16(&mut buf, 0);
    let _ = a.encode(&mut buf, 0);
    buf.freeze()
}

fn describe_configs(s_: &Script, req: &DescribeConfigsRequest) -> DescribeConfigsResponse {
    let results = req
        .resources
        .iter()
        .map(|r| {
            let configs = if r.resource_type == 2 {
                s_.topics
                    .iter()
                    .find(|t| t.name == r.resource_name.as_str())
                    .map(|t| {
                        t.configs
                            .iter()
                            .map(|(k, v)| {
                                DescribeConfigsResourceResult::default()
                                    .with_name(s(k))
                                    .with_value(Some(s(v)))
                                    .with_config_source(1)
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            } else if r.resource_type == 4 {
                broker_configs(s_, r.resource_name.as_str())
            } else {
                Vec::new()
            };
            DescribeConfigsResult::default()
                .with_resource_type(r.resource_type)
                .with_resource_name(r.resource_name.clone())
                .with_configs(configs)
        })
        .collect();
    DescribeConfigsResponse::default().with_results(results)
}

/// A broker's configs (`name` its id): a static read-only key, a key at its default, and
/// what IncrementalAlterConfigs set, with Kafka's sources and synonyms; for "" (the
/// cluster-wide default) only the keys set there.
fn broker_configs(s_: &Script, name: &str) -> Vec<DescribeConfigsResourceResult> {
    use kafka_protocol::messages::describe_configs_response::DescribeConfigsSynonym;
    if name.is_empty() {
        // As Kafka's ConfigHelper: the cluster-wide default lists only what is set there.
        return s_
            .broker_configs
            .get("")
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                DescribeConfigsResourceResult::default()
                    .with_name(s(k))
                    .with_value(Some(s(v)))
                    .with_config_source(3)
            })
            .collect();
    }
    let own = 2;
    let cluster = s_.broker_configs.get("").cloned().unwrap_or_default();
    let mine = s_.broker_configs.get(name).cloned().unwrap_or_default();
    let retention = |list: &[(String, String)]| {
        list.iter()
            .find(|(k, _)| k == "log.retention.ms")
            .map(|(_, v)| v.clone())
    };
    let mut synonyms = Vec::new();
    if let Some(v) = retention(&mine) {
        synonyms.push((v, 2i8));
    }
    if let Some(v) = retention(&cluster) {
        synonyms.push((v, 3));
    }
    synonyms.push(("604800000".to_string(), 5));
    let (value, source) = synonyms[0].clone();
    let mut out = vec![
        DescribeConfigsResourceResult::default()
            .with_name(s("broker.id"))
            .with_value(Some(s(name)))
            .with_read_only(true)
            .with_config_source(4)
            .with_config_type(3)
            .with_documentation(Some(s("The broker id for this server."))),
        DescribeConfigsResourceResult::default()
            .with_name(s("log.retention.ms"))
            .with_value(Some(s(&value)))
            .with_config_source(source)
            .with_config_type(5)
            .with_documentation(Some(s(
                "The number of milliseconds to keep a log file before deleting it.",
            )))
            .with_synonyms(
                synonyms
                    .iter()
                    .map(|(v, src)| {
                        DescribeConfigsSynonym::default()
                            .with_name(s("log.retention.ms"))
                            .with_value(Some(s(v)))
                            .with_source(*src)
                    })
                    .collect(),
            ),
    ];
    for (k, v) in &mine {
        if k != "log.retention.ms" {
            out.push(
                DescribeConfigsResourceResult::default()
                    .with_name(s(k))
                    .with_value(Some(s(v)))
                    .with_config_source(own),
            );
        }
    }
    out
}

fn log_dirs(s_: &Script, me: i32) -> DescribeLogDirsResponse {
    let Some(dir) = s_.log_dirs.get(&me) else {
        return DescribeLogDirsResponse::default();
    };
    let topics = s_
        .topics
        .iter()
        .map(|t| {
            let parts = t
                .partitions
                .iter()
                .enumerate()
                .filter(|(_, p)| p.replicas.contains(&me))
                .map(|(i, p)| {
                    DescribeLogDirsPartition::default()
                        .with_partition_index(i as i32)
                        .with_partition_size(p.size)
                })
                .collect();
            DescribeLogDirsTopic::default()
                .with_name(TopicName(s(&t.name)))
                .with_partitions(parts)
        })
        .collect();
    DescribeLogDirsResponse::default().with_results(vec![DescribeLogDirsResult::default()
        .with_log_dir(s(&dir.path))
        .with_topics(topics)
        .with_total_bytes(dir.total_bytes)
        .with_usable_bytes(dir.usable_bytes)])
}
