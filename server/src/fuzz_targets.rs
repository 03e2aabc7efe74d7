//! Fuzz targets (issue 15): every parser that takes bytes from outside — brokers and
//! proxies, Schema Registries, metrics endpoints, configuration files, users' queries and
//! filters — behind one signature, `fn(&[u8])`, that must return whatever the bytes: no
//! panic, no hang, no unbounded allocation. `fuzz/` drives them with AFL++
//! (`scripts/fuzz.sh`); `server/tests/fuzz_regressions.rs` replays the seeds and every input
//! a fuzzer found, in CI. Each runs on a 2 MiB stack, the size production parses on.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsResponse, ConsumerGroupDescribeResponse, DescribeClusterResponse,
    DescribeConfigsResponse, DescribeGroupsResponse, DescribeLogDirsResponse,
    DescribeQuorumResponse, FindCoordinatorResponse, ListGroupsResponse, MetadataResponse,
    OffsetFetchResponse, SaslAuthenticateResponse, SaslHandshakeResponse,
};

use crate::kafka::groups::decode as groups;
use crate::kafka::wire::decode_answer;
use crate::messages::decode::{
    decode, Decoded, Decoding, Lookup, RegisteredSchema, SchemaKind, SchemaSource,
};
use crate::messages::filter::{Filter, FilterSpec, View};

/// A target: outside bytes in, nothing out (what matters is that it returns).
pub type Target = fn(&[u8]);

/// Every target by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("kafka_answer", kafka_answer),
    ("group_assignment", group_assignment),
    ("record_decode", record_decode),
    ("avro_datum", avro_datum),
    ("protobuf_datum", protobuf_datum),
    ("schema_compile", schema_compile),
    ("cel_filter", cel_filter),
    ("prometheus_scrape", prometheus_scrape),
    ("jolokia_answer", jolokia_answer),
    ("config_toml", config_toml),
    ("query_params", query_params),
];

pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Run a target on a thread with production's stack size (tokio workers and blocking
/// threads: 2 MiB), so recursion too deep for production fails here too. A panic is
/// passed on to the caller (the fuzzer's crash, the test's failure).
pub fn run(f: Target, data: &[u8]) {
    let data = data.to_vec();
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || f(&data))
        .expect("a thread for the target");
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

/// The first byte picks among `n` choices; the rest is the input.
fn pick(data: &[u8], n: usize) -> (usize, &[u8]) {
    match data.split_first() {
        Some((b, rest)) => (*b as usize % n, rest),
        None => (0, data),
    }
}

/// An answer frame (header and body) of one of the Kafka APIs Kafscope decodes itself, at
/// one of the versions it asks for, then the conversions that read it.
pub fn kafka_answer(data: &[u8]) {
    let (api, rest) = pick(data, 13);
    let (v, frame) = pick(rest, 13);
    // The correlation id the frame carries, so its body is decoded too.
    let id = frame
        .get(..4)
        .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0);
    let frame = Bytes::copy_from_slice(frame);
    let ver = |lo: i16, hi: i16| lo + (v as i16 % (hi - lo + 1));
    match api {
        0 => {
            let _ = decode_answer::<ApiVersionsResponse>(ApiKey::ApiVersions, 0, id, frame);
        }
        1 => {
            if let Ok(r) =
                decode_answer::<MetadataResponse>(ApiKey::Metadata, ver(1, 12), id, frame)
            {
                let _ = crate::kafka::metadata::to_metadata(&r);
            }
        }
        2 => {
            let _ = decode_answer::<DescribeClusterResponse>(
                ApiKey::DescribeCluster,
                ver(0, 1),
                id,
                frame,
            );
        }
        3 => {
            if let Ok(r) = decode_answer::<DescribeLogDirsResponse>(
                ApiKey::DescribeLogDirs,
                ver(1, 4),
                id,
                frame,
            ) {
                let _ = crate::kafka::logdirs::to_dirs(&r);
            }
        }
        4 => {
            if let Ok(r) = decode_answer::<DescribeQuorumResponse>(
                ApiKey::DescribeQuorum,
                ver(0, 2),
                id,
                frame,
            ) {
                let _ = crate::kafka::quorum::to_quorum(&r, 1);
            }
        }
        5 => {
            if let Ok(r) =
                decode_answer::<ListGroupsResponse>(ApiKey::ListGroups, ver(0, 5), id, frame)
            {
                r.groups.iter().for_each(|g| {
                    let _ = groups::listed(g);
                });
            }
        }
        6 => {
            let _ = decode_answer::<FindCoordinatorResponse>(
                ApiKey::FindCoordinator,
                ver(0, 4),
                id,
                frame,
            );
        }
        7 => {
            let version = ver(2, 8);
            if let Ok(r) =
                decode_answer::<OffsetFetchResponse>(ApiKey::OffsetFetch, version, id, frame)
            {
                if version < 8 {
                    let _ = groups::offsets_v2(&r);
                } else {
                    r.groups.iter().for_each(|g| {
                        let _ = groups::offsets_v8(g);
                    });
                }
            }
        }
        8 => {
            if let Ok(r) = decode_answer::<DescribeGroupsResponse>(
                ApiKey::DescribeGroups,
                ver(0, 5),
                id,
                frame,
            ) {
                r.groups.iter().for_each(|g| {
                    let _ = groups::described(g);
                });
            }
        }
        9 => {
            if let Ok(r) = decode_answer::<ConsumerGroupDescribeResponse>(
                ApiKey::ConsumerGroupDescribe,
                0,
                id,
                frame,
            ) {
                r.groups.iter().for_each(|g| {
                    let _ = groups::described_consumer(g);
                });
            }
        }
        10 => {
            let _ = decode_answer::<DescribeConfigsResponse>(
                ApiKey::DescribeConfigs,
                ver(1, 4),
                id,
                frame,
            );
        }
        11 => {
            let _ = decode_answer::<SaslHandshakeResponse>(ApiKey::SaslHandshake, 1, id, frame);
        }
        _ => {
            let _ = decode_answer::<SaslAuthenticateResponse>(
                ApiKey::SaslAuthenticate,
                ver(0, 2),
                id,
                frame,
            );
        }
    }
}

/// A consumer group member's assignment (the consumer protocol's bytes in DescribeGroups).
pub fn group_assignment(data: &[u8]) {
    let _ = groups::assignment(data);
}

/// The schemas the record targets decode with: a record with logical types and nested
/// records, a recursive list, a map, an array of nulls, a zero-size fixed, Protobuf with a
/// map and nested messages, Protobuf with an `Any`.
struct Schemas {
    avro: Vec<Arc<RegisteredSchema>>,
    proto: Vec<Arc<RegisteredSchema>>,
}

const AVRO: [&str; 5] = [
    r#"{"type":"record","name":"Order","namespace":"shop","fields":[
        {"name":"id","type":"long"},{"name":"customer","type":"string"},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
        {"name":"day","type":{"type":"int","logicalType":"date"}},
        {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"id2","type":{"type":"string","logicalType":"uuid"}},
        {"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
            {"name":"sku","type":"string"},{"name":"qty","type":"int"}]}}}]}"#,
    r#"{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},
        {"name":"next","type":["null","Node"]}]}"#,
    r#"{"type":"map","values":"string"}"#,
    r#"{"type":"array","items":"null"}"#,
    r#"{"type":"record","name":"F","fields":[{"name":"f","type":{"type":"fixed","name":"Z","size":0}},
        {"name":"d","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}}]}"#,
];

const PROTO: [&str; 2] = [
    "syntax = \"proto3\"; package ship; message H { string id = 1; }
     message Shipment { map<string, int32> counts = 1;
       message Item { string sku = 1; int64 units = 2; Shipment inner = 3; } repeated Item items = 2; }",
    "syntax = \"proto3\"; package wrap; import \"google/protobuf/any.proto\";
     message Envelope { google.protobuf.Any body = 1; string note = 2; }",
];

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        let reg = |id: u32, kind: SchemaKind| {
            Arc::new(RegisteredSchema {
                id,
                subject: Some(format!("s{id}")),
                version: Some(1),
                kind,
            })
        };
        let avro = AVRO
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let s = crate::messages::avro::parse(t, &[]).expect("a fuzz schema parses");
                reg(1 + i as u32, SchemaKind::Avro(Box::new(s)))
            })
            .collect();
        let proto = PROTO
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let s = crate::messages::protobuf::compile(t, &[]).expect("a fuzz schema compiles");
                reg(10 + i as u32, SchemaKind::Protobuf(Box::new(s)))
            })
            .collect();
        Schemas { avro, proto }
    })
}

struct Fixed;

impl SchemaSource for Fixed {
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, Lookup> {
        let s = schemas();
        s.avro
            .iter()
            .chain(&s.proto)
            .find(|r| r.id == id)
            .cloned()
            .ok_or(Lookup::NotFound)
    }
}

const DECODINGS: [Decoding; 8] = [
    Decoding::Auto,
    Decoding::Text,
    Decoding::Json,
    Decoding::Hex,
    Decoding::Base64,
    Decoding::Int,
    Decoding::MsgPack,
    Decoding::Registry,
];

/// A record's key or value as the message browser decodes it (Confluent wire format with a
/// registry holding the schemas above).
pub fn record_decode(data: &[u8]) {
    let (how, bytes) = pick(data, DECODINGS.len());
    let _ = decode(bytes, DECODINGS[how], Some(&Fixed));
}

/// An Avro datum against one of the schemas above.
pub fn avro_datum(data: &[u8]) {
    let (i, bytes) = pick(data, AVRO.len());
    if let SchemaKind::Avro(s) = &schemas().avro[i].kind {
        let _ = crate::messages::avro::decode(s, bytes);
    }
}

/// A Protobuf message (with its message-index prefix) against one of the schemas above.
pub fn protobuf_datum(data: &[u8]) {
    let (i, bytes) = pick(data, PROTO.len());
    if let SchemaKind::Protobuf(s) = &schemas().proto[i].kind {
        let _ = crate::messages::protobuf::decode(s, bytes);
    }
}

/// A schema as a registry serves it (Avro, Protobuf or JSON Schema text).
pub fn schema_compile(data: &[u8]) {
    let (kind, text) = pick(data, 3);
    let text = String::from_utf8_lossy(text);
    let _ =
        crate::messages::registry::compile(Some(["AVRO", "PROTOBUF", "JSON"][kind]), &text, &[]);
}

/// A filter (CEL expression, or substring and regex filters) applied to a record: the
/// input is the expression, a zero byte, then the record's value.
pub fn cel_filter(data: &[u8]) {
    let (kind, rest) = pick(data, 3);
    let (expr, value) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"{\"n\": 1, \"s\": \"x\", \"l\": [1, 2, 3]}"[..]),
    };
    let expr = String::from_utf8_lossy(expr).to_string();
    let spec = match kind {
        0 => FilterSpec {
            expr: Some(expr),
            ..Default::default()
        },
        1 => FilterSpec {
            value_regex: Some(expr),
            ..Default::default()
        },
        _ => FilterSpec {
            header_regex: Some(expr.clone()),
            key_contains: Some(expr),
            ..Default::default()
        },
    };
    let Ok(Some(filter)) = Filter::compile(&spec) else {
        return;
    };
    let value: Decoded = decode(value, Decoding::Auto, None);
    let headers = [("h".to_string(), Some(decode(b"v", Decoding::Auto, None)))];
    let _ = filter.matches(&View {
        key: None,
        value: Some(&value),
        headers: &headers,
        partition: 0,
        offset: 0,
        timestamp_ms: Some(0),
        size: value.text.len() as u64,
    });
}

/// A metrics endpoint's Prometheus text, read as the collector reads it.
pub fn prometheus_scrape(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(series) = crate::metrics::prometheus::parse(&text) {
        let _ = crate::metrics::mapping::extract(&series);
    }
}

/// A Jolokia agent's bulk read answer.
pub fn jolokia_answer(data: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok((series, _)) = crate::metrics::jolokia::parse(&body) {
            let _ = crate::metrics::mapping::extract(&series);
        }
    }
}

/// A configuration file.
pub fn config_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::config::Config::from_toml_str(
        &text,
        "fuzz.toml",
        &crate::config::Cli::default(),
        &[],
    );
}

/// What users put in URLs: message cursors and starts, history ranges, embed links — one
/// per line.
pub fn query_params(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let mut next = || lines.next().unwrap_or_default().to_string();
    let _ = crate::messages::plan::decode_cursor(&next());
    let _ = crate::messages::plan::Start::parse(&next());
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let params = crate::http::history::HistoryParams {
        range: opt(next()),
        from: opt(next()),
        to: opt(next()),
        step: opt(next()),
        ..Default::default()
    };
    let _ = crate::http::history::plan(&params, 1_796_000_000_000);
    let key: &[u8] = b"0123456789abcdef0123456789abcdef";
    let _ = crate::embed::link::verify(&[key], "/embed/group-lag", &next(), 1_796_000_000);
}

/// Seeds for `kafka_answer`: each API at each version Kafscope asks for, encoded with the
/// protocol crate (empty answers, and a Metadata and a DescribeGroups answer with content),
/// framed as the target reads them.
pub fn kafka_seeds() -> Vec<(String, Vec<u8>)> {
    use kafka_protocol::messages::describe_groups_response::{
        DescribedGroup, DescribedGroupMember,
    };
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };
    use kafka_protocol::messages::{BrokerId, ResponseHeader, TopicName};
    use kafka_protocol::protocol::{Encodable, StrBytes};

    fn frame<R: Encodable>(api: u8, lo: i16, key: ApiKey, v: i16, body: &R) -> Option<Vec<u8>> {
        let mut out = vec![api, (v - lo) as u8];
        let mut buf = bytes::BytesMut::new();
        ResponseHeader::default()
            .with_correlation_id(7)
            .encode(&mut buf, key.response_header_version(v))
            .ok()?;
        body.encode(&mut buf, v).ok()?;
        out.extend_from_slice(&buf);
        Some(out)
    }
    let s = StrBytes::from_static_str;
    let metadata = MetadataResponse::default()
        .with_brokers(vec![MetadataResponseBroker::default()
            .with_node_id(BrokerId(1))
            .with_host(s("b1"))
            .with_port(9092)])
        .with_controller_id(BrokerId(1))
        .with_topics(vec![MetadataResponseTopic::default()
            .with_name(Some(TopicName(s("orders"))))
            .with_partitions(vec![MetadataResponsePartition::default()
                .with_leader_id(BrokerId(1))
                .with_replica_nodes(vec![BrokerId(1)])
                .with_isr_nodes(vec![BrokerId(1)])])]);
    let assignment = bytes::Bytes::from_static(
        b"\x00\x01\x00\x00\x00\x01\x00\x06orders\x00\x00\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff",
    );
    let groups = DescribeGroupsResponse::default().with_groups(vec![DescribedGroup::default()
        .with_group_id(kafka_protocol::messages::GroupId(s("billing")))
        .with_group_state(s("Stable"))
        .with_protocol_type(s("consumer"))
        .with_members(vec![DescribedGroupMember::default()
            .with_member_id(s("m-1"))
            .with_client_id(s("shipper"))
            .with_client_host(s("/10.0.0.7"))
            .with_member_assignment(assignment)])]);
    let mut out = Vec::new();
    let mut add = |name: String, f: Option<Vec<u8>>| {
        if let Some(f) = f {
            out.push((name, f));
        }
    };
    for v in 0..=3 {
        add(
            format!("api_versions-v{v}"),
            frame(
                0,
                0,
                ApiKey::ApiVersions,
                v,
                &ApiVersionsResponse::default(),
            ),
        );
    }
    for v in 1..=12 {
        add(
            format!("metadata-v{v}"),
            frame(1, 1, ApiKey::Metadata, v, &metadata),
        );
    }
    for v in 0..=1 {
        add(
            format!("describe_cluster-v{v}"),
            frame(
                2,
                0,
                ApiKey::DescribeCluster,
                v,
                &DescribeClusterResponse::default(),
            ),
        );
    }
    for v in 1..=4 {
        add(
            format!("log_dirs-v{v}"),
            frame(
                3,
                1,
                ApiKey::DescribeLogDirs,
                v,
                &DescribeLogDirsResponse::default(),
            ),
        );
    }
    for v in 0..=2 {
        add(
            format!("quorum-v{v}"),
            frame(
                4,
                0,
                ApiKey::DescribeQuorum,
                v,
                &DescribeQuorumResponse::default(),
            ),
        );
    }
    for v in 0..=5 {
        add(
            format!("list_groups-v{v}"),
            frame(5, 0, ApiKey::ListGroups, v, &ListGroupsResponse::default()),
        );
    }
    for v in 0..=4 {
        add(
            format!("find_coordinator-v{v}"),
            frame(
                6,
                0,
                ApiKey::FindCoordinator,
                v,
                &FindCoordinatorResponse::default(),
            ),
        );
    }
    for v in 2..=8 {
        add(
            format!("offset_fetch-v{v}"),
            frame(
                7,
                2,
                ApiKey::OffsetFetch,
                v,
                &OffsetFetchResponse::default(),
            ),
        );
    }
    for v in 0..=5 {
        add(
            format!("describe_groups-v{v}"),
            frame(8, 0, ApiKey::DescribeGroups, v, &groups),
        );
    }
    add(
        "consumer_group_describe-v0".into(),
        frame(
            9,
            0,
            ApiKey::ConsumerGroupDescribe,
            0,
            &ConsumerGroupDescribeResponse::default(),
        ),
    );
    for v in 1..=4 {
        add(
            format!("describe_configs-v{v}"),
            frame(
                10,
                1,
                ApiKey::DescribeConfigs,
                v,
                &DescribeConfigsResponse::default(),
            ),
        );
    }
    add(
        "sasl_handshake-v1".into(),
        frame(
            11,
            1,
            ApiKey::SaslHandshake,
            1,
            &SaslHandshakeResponse::default(),
        ),
    );
    for v in 0..=2 {
        add(
            format!("sasl_authenticate-v{v}"),
            frame(
                12,
                0,
                ApiKey::SaslAuthenticate,
                v,
                &SaslAuthenticateResponse::default(),
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn kafka_seeds_decode_as_what_they_are() {
        let seeds = super::kafka_seeds();
        assert!(seeds.len() > 50, "{}", seeds.len());
        // A seed is a real answer: its body decodes (the target would stop at the header
        // otherwise and the fuzzer would start from nothing).
        let (_, metadata) = seeds.iter().find(|(n, _)| n == "metadata-v12").unwrap();
        let r: kafka_protocol::messages::MetadataResponse = crate::kafka::wire::decode_answer(
            kafka_protocol::messages::ApiKey::Metadata,
            12,
            7,
            bytes::Bytes::copy_from_slice(&metadata[2..]),
        )
        .unwrap();
        assert_eq!(r.brokers.len(), 1);
        for (_, s) in &seeds {
            super::run(super::kafka_answer, s);
        }
    }

    #[test]
    fn every_target_takes_empty_and_small_inputs() {
        for (name, f) in super::TARGETS {
            for input in [
                &b""[..],
                b"\x00",
                b"\xff\xff\xff\xff",
                b"\x01\x02\x03\x04\x05\x06",
            ] {
                super::run(*f, input);
            }
            assert!(super::target(name).is_some());
        }
    }
}
