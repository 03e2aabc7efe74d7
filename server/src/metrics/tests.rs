use std::collections::BTreeMap;

use super::mapping::{extract, Raw, Series};
use super::{jolokia, prometheus};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/prometheus/", $name))
    };
}

fn gauge(r: &super::mapping::Reading, key: &str) -> Option<f64> {
    match r.values.get(key) {
        Some(Raw::Gauge(v)) => Some(*v),
        _ => None,
    }
}

#[test]
fn every_recorded_fixture_parses() {
    for (name, text, min_samples) in [
        (
            "jmx 0.6",
            fixture!("jmx_exporter_0.6_kafka0.10_selected-families.prom"),
            100,
        ),
        (
            "kafka_exporter",
            fixture!("kafka_exporter_v1.3.1_nexclipper.prom"),
            400,
        ),
        ("readme", fixture!("kafka_exporter_readme_samples.prom"), 10),
        ("kminion", fixture!("kminion_docs_metrics_sample.prom"), 10),
        (
            "redpanda",
            fixture!("redpanda_v21.9.6_metrics_datadog-fixture.txt"),
            100,
        ),
        (
            "strimzi synthetic",
            fixture!("strimzi_style_SYNTHETIC.prom"),
            15,
        ),
    ] {
        let series = prometheus::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            series.len() >= min_samples,
            "{name}: {} series",
            series.len()
        );
    }
}

#[test]
fn jmx_exporter_attribute_as_label_edge_cases() {
    let series = prometheus::parse(fixture!(
        "jmx_exporter_0.6_kafka0.10_selected-families.prom"
    ))
    .unwrap();
    // Trailing comma inside braces: the label is still read.
    let urp = series
        .iter()
        .find(|s| {
            s.name == "kafka_server_replicamanager_value"
                && s.label("name") == Some("UnderReplicatedPartitions")
        })
        .unwrap();
    assert_eq!(urp.value, 0.0);
    // Java exponent form.
    assert!(series.iter().any(|s| s.value == 3.006861860089286E8));
    // -Inf is read as a number but never mapped.
    assert!(series.iter().any(|s| s.value == f64::NEG_INFINITY));
    // Label values with spaces.
    assert!(series
        .iter()
        .any(|s| s.label("name") == Some("G1 Old Generation")));

    let r = extract(&series);
    assert_eq!(gauge(&r, "under_replicated_partitions"), Some(0.0));
    assert_eq!(gauge(&r, "active_controller_count"), Some(1.0));
    assert_eq!(gauge(&r, "offline_partitions"), Some(0.0));
    assert_eq!(gauge(&r, "partition_count"), Some(51.0));
    assert_eq!(gauge(&r, "leader_count"), Some(18.0));
    assert_eq!(
        gauge(&r, super::mapping::AGGREGATE_IDLE),
        Some(0.9996590142663573)
    );
    assert_eq!(
        gauge(&r, "network_processor_idle_ratio"),
        Some(1.0024901782565627)
    );
    // Shown: the node is not known to be combined, so the meter is one pool's; the
    // network idle above 1 is capped.
    let shown = finished(&r, None);
    assert_eq!(shown["request_handler_idle_ratio"], 0.9996590142663573);
    assert_eq!(shown["network_processor_idle_ratio"], 1.0);
    // The excerpt has only per-topic BrokerTopicMetrics, and no log sizes: unavailable.
    assert_eq!(r.values.get("bytes_in_per_sec"), None);
    assert_eq!(r.values.get("log_size_bytes"), None);
    assert_eq!(r.values.get("under_min_isr_partitions"), None);
}

#[test]
fn strimzi_style_synthetic_names_and_counter_rates() {
    let series = prometheus::parse(fixture!("strimzi_style_SYNTHETIC.prom")).unwrap();
    let r = extract(&series);
    assert_eq!(gauge(&r, "under_replicated_partitions"), Some(2.0));
    assert_eq!(gauge(&r, "under_min_isr_partitions"), Some(1.0));
    assert_eq!(finished(&r, None)["request_handler_idle_ratio"], 0.75);
    assert_eq!(gauge(&r, "request_queue_size"), Some(3.0));
    // The broker total, not the per-topic copies added to it.
    assert_eq!(
        r.values.get("bytes_in_per_sec"),
        Some(&Raw::Counter(1_000_000.0))
    );
    assert_eq!(
        gauge(&r, "log_size_bytes"),
        Some(1048576.0 + 2097152.0 + 512.0)
    );
    assert_eq!(
        r.log_sizes.get(&("orders".to_string(), 1)),
        Some(&2097152.0)
    );

    // A counter is a rate only from the second scrape on.
    let first = values(&r, 10_000, None);
    assert_eq!(first.get("bytes_in_per_sec"), None);
    assert_eq!(first.get("under_replicated_partitions"), Some(&2.0));
    let text2 = fixture!("strimzi_style_SYNTHETIC.prom").replace(
        "kafka_server_brokertopicmetrics_bytesin_total 1000000.0",
        "kafka_server_brokertopicmetrics_bytesin_total 1500000.0",
    );
    let r2 = extract(&prometheus::parse(&text2).unwrap());
    let second = values(&r2, 20_000, Some((&r, 10_000)));
    assert_eq!(second.get("bytes_in_per_sec"), Some(&50_000.0));
    assert_eq!(second.get("bytes_out_per_sec"), Some(&0.0));
    // A counter that went down was reset: no rate this time, not a negative one.
    let third = values(&r, 30_000, Some((&r2, 20_000)));
    assert_eq!(third.get("bytes_in_per_sec"), None);
}

#[test]
fn msk_case_preserving_names_map_the_same() {
    let text = "kafka_server_ReplicaManager_Value{name=\"UnderReplicatedPartitions\"} 3\n\
                kafka_controller_KafkaController_Value{name=\"ActiveControllerCount\"} 1\n\
                kafka_server_BrokerTopicMetrics_OneMinuteRate{name=\"BytesInPerSec\"} 2048.5\n\
                kafka_server_BrokerTopicMetrics_OneMinuteRate{name=\"BytesInPerSec\",topic=\"orders\"} 2000\n";
    let r = extract(&prometheus::parse(text).unwrap());
    assert_eq!(gauge(&r, "under_replicated_partitions"), Some(3.0));
    assert_eq!(gauge(&r, "active_controller_count"), Some(1.0));
    assert_eq!(gauge(&r, "bytes_in_per_sec"), Some(2048.5));
}

#[test]
fn redpanda_names_and_edge_cases() {
    let series =
        prometheus::parse(fixture!("redpanda_v21.9.6_metrics_datadog-fixture.txt")).unwrap();
    let r = extract(&series);
    // Per-partition under-replicated replica counts: no partition has any.
    assert_eq!(gauge(&r, "under_replicated_partitions"), Some(0.0));
    assert_eq!(r.values.get("bytes_in_per_sec"), Some(&Raw::Counter(525.0)));
    assert_eq!(
        r.values.get("bytes_out_per_sec"),
        Some(&Raw::Counter(6164.0))
    );
    // Only internal namespaces have log sizes: no Kafka topic size, so unavailable.
    assert!(r.log_sizes.is_empty());
    assert_eq!(r.values.get("log_size_bytes"), None);
    // Redpanda has no controller count in this version: unavailable, never 0.
    assert_eq!(r.values.get("active_controller_count"), None);
}

#[test]
fn exporters_without_broker_metrics_leave_everything_unavailable() {
    for text in [
        fixture!("kafka_exporter_v1.3.1_nexclipper.prom"),
        fixture!("kminion_docs_metrics_sample.prom"),
    ] {
        let r = extract(&prometheus::parse(text).unwrap());
        assert_eq!(r.values, BTreeMap::new(), "{:?}", r.values);
    }
}

/// Rates from a reading and the previous one, without the smoothed-fallback notes.
fn values(
    r: &super::mapping::Reading,
    at: i64,
    prev: Option<(&super::mapping::Reading, i64)>,
) -> BTreeMap<String, f64> {
    super::mapping::values_noted(r, at, prev).0
}

/// What the API shows for a reading: rates against no previous read, then `finish`.
fn finished(r: &super::mapping::Reading, combined: Option<bool>) -> BTreeMap<String, f64> {
    let mut v = values(r, 10_000, None);
    super::mapping::finish(
        &mut v,
        &r.listener_idle,
        &super::mapping::NodeFacts {
            combined,
            ..Default::default()
        },
    );
    v
}

#[test]
fn garbage_is_a_clear_error() {
    let e = prometheus::parse("<html><body>login</body></html>\n").unwrap_err();
    assert!(e.contains("not Prometheus text"), "{e}");
    assert_eq!(prometheus::parse("").unwrap(), Vec::<Series>::new());
}

#[test]
fn jolokia_answers_become_jmx_exporter_named_series() {
    // Recorded from Jolokia 1.7.1's handler (tests/jolokia/sample-responses.txt), trimmed.
    let bulk: serde_json::Value = serde_json::from_str(r#"[
      {"request":{"mbean":"kafka.server:name=UnderReplicatedPartitions,type=ReplicaManager","attribute":"Value","type":"read"},"value":2,"status":200},
      {"request":{"mbean":"kafka.server:name=BytesInPerSec,type=BrokerTopicMetrics","type":"read"},"value":{"RateUnit":"SECONDS","OneMinuteRate":1024.25,"EventType":"bytes","Count":123456,"FifteenMinuteRate":800.0,"FiveMinuteRate":900.0,"MeanRate":1000.5},"status":200},
      {"request":{"mbean":"kafka.server:name=Missing,type=ReplicaManager","type":"read"},"error_type":"javax.management.InstanceNotFoundException","error":"javax.management.InstanceNotFoundException : kafka.server:type=ReplicaManager,name=Missing","status":404},
      {"request":{"mbean":"kafka.log:name=Size,type=Log,*","type":"read"},"value":{"kafka.log:name=Size,partition=1,topic=orders,type=Log":{"Value":8192},"kafka.log:name=Size,partition=0,topic=orders,type=Log":{"Value":4096}},"status":200},
      {"request":{"mbean":"kafka.controller:type=KafkaController,name=*","type":"read"},"error":"java.lang.SecurityException : denied","status":403}
    ]"#).unwrap();
    let (series, errors) = jolokia::parse(&bulk).unwrap();
    // 404 = not registered = unavailable; other failures are reported.
    assert_eq!(
        errors,
        vec!["kafka.controller:type=KafkaController,name=*: java.lang.SecurityException : denied"]
    );
    let r = extract(&series);
    assert_eq!(gauge(&r, "under_replicated_partitions"), Some(2.0));
    // The Count is preferred; until a second read, the smoothed rate stands in, said so.
    assert_eq!(
        r.values.get("bytes_in_per_sec"),
        Some(&Raw::Counter(123456.0))
    );
    let (first, smoothed) = super::mapping::values_noted(&r, 10_000, None);
    assert_eq!(first["bytes_in_per_sec"], 1024.25);
    assert_eq!(smoothed, ["bytes_in_per_sec"]);
    assert_eq!(gauge(&r, "log_size_bytes"), Some(8192.0 + 4096.0));
    assert_eq!(r.log_sizes.get(&("orders".to_string(), 0)), Some(&4096.0));
    assert_eq!(r.values.get("active_controller_count"), None);
    // One object instead of a bulk answer (e.g. a proxy's error page in JSON).
    let e = jolokia::parse(&serde_json::json!({"status": 400, "error": "bad"})).unwrap_err();
    assert!(e.contains("bad"), "{e}");
}

#[test]
fn jolokia_request_reads_every_mapped_bean() {
    let req = jolokia::request();
    let beans: Vec<&str> = req
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["mbean"].as_str().unwrap())
        .collect();
    assert!(beans.contains(&"kafka.server:type=ReplicaManager,name=*"));
    assert!(beans.iter().all(|b| b.starts_with("kafka.")));
}

#[test]
fn every_mapped_metric_has_a_label_and_unit_and_no_more() {
    // The shared request-handler meter is an input of `finish`, never shown as it is.
    let mapped: Vec<&str> = super::mapping::METRICS
        .iter()
        .map(|m| m.key)
        .filter(|k| *k != super::mapping::AGGREGATE_IDLE)
        .collect();
    let known: Vec<&str> = kafscope_api::KNOWN_METRICS
        .iter()
        .map(|(k, _, _)| *k)
        .collect();
    assert_eq!(mapped, known);
}

/// A Jolokia answer recorded from a real combined Kafka 4.0 node (tests/fixtures/jolokia).
fn jolokia_fixture(text: &str) -> super::mapping::Reading {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let (series, errors) = jolokia::parse(&v).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    extract(&series)
}

#[test]
fn a_real_combined_kraft_node_under_a_burst_reads_right() {
    // Sent at these times, 10 s apart, while ~0.95 MB/s went to `burst` (SOURCES.md).
    const T0: i64 = 1_796_020_068_000;
    const T10: i64 = 1_796_020_078_000;
    let r0 = jolokia_fixture(include_str!(
        "../../tests/fixtures/jolokia/kafka4.0-combined-burst-t0.json"
    ));
    let r10 = jolokia_fixture(include_str!(
        "../../tests/fixtures/jolokia/kafka4.0-combined-burst-t10.json"
    ));
    let (mut v, smoothed) = super::mapping::values_noted(&r10, T10, Some((&r0, T0)));
    assert!(smoothed.is_empty(), "{smoothed:?}");
    // Bytes in from the Count delta: (17346392 − 14493565) / 10 s. The smoothed
    // OneMinuteRate at t10 said 82 099 B/s, less than a third of it.
    let bytes_in = v["bytes_in_per_sec"];
    assert!((bytes_in - 285_282.7).abs() < 0.1, "{bytes_in}");
    assert!((v["messages_in_per_sec"] - 280.7).abs() < 0.01);
    // The idle meter's Count in nanoseconds: (921313316776 − 901597960050) ns over 10 s is
    // 1.97 — both pools of the combined node mark it.
    let agg = v[super::mapping::AGGREGATE_IDLE];
    assert!((agg - 1.9715).abs() < 0.001, "{agg}");
    let facts = super::mapping::NodeFacts {
        combined: Some(true),
        controller_listeners: ["CONTROLLER".to_string()].into(),
    };
    let notes = super::mapping::finish(&mut v, &r10.listener_idle, &facts);
    let idle = v["request_handler_idle_ratio"];
    assert!((idle - 0.9858).abs() < 0.001, "{idle}");
    assert!(notes.iter().any(|n| n.contains("KAFKA-19606")), "{notes:?}");
    // Network idle from the client listeners only, each processor capped at 1 as Kafka does:
    // PLAINTEXT (0.99727, 0.99045) and SASL_SSL (1.00381, 1.00380 → 1).
    let net = v["network_processor_idle_ratio"];
    assert!((net - (0.99386 + 1.0) / 2.0).abs() < 0.0001, "{net}");
    assert_eq!(r10.listener_idle.len(), 3);
    // The metadata log is apart from the log size it is not part of.
    assert_eq!(v["metadata_log_size_bytes"], 1_017_294.0);
    assert!(!r10
        .log_sizes
        .keys()
        .any(|(t, _)| t == super::mapping::METADATA_TOPIC));
    assert_eq!(
        r10.log_sizes.get(&("burst".to_string(), 1)),
        Some(&17_346_392.0)
    );
}

#[test]
fn the_first_read_of_a_real_node_shows_smoothed_rates_and_a_capped_idle() {
    let r = jolokia_fixture(include_str!(
        "../../tests/fixtures/jolokia/kafka4.0-combined-idle.json"
    ));
    let (mut v, smoothed) = super::mapping::values_noted(&r, 1, None);
    assert!(smoothed.contains(&"bytes_in_per_sec"), "{smoothed:?}");
    assert!(
        smoothed.contains(&super::mapping::AGGREGATE_IDLE),
        "{smoothed:?}"
    );
    // Not known to be combined (no quorum read): the 191 % meter is capped, and said so.
    let notes = super::mapping::finish(&mut v, &r.listener_idle, &Default::default());
    assert_eq!(v["request_handler_idle_ratio"], 1.0);
    assert!(notes.iter().any(|n| n.contains("above 100 %")), "{notes:?}");
    for key in ["request_handler_idle_ratio", "network_processor_idle_ratio"] {
        assert!((0.0..=1.0).contains(&v[key]), "{key} {}", v[key]);
    }
}

#[test]
fn kafka_4_2_per_pool_meters_are_used_and_nothing_is_halved() {
    // KIP-1207 names (jmx_exporter attribute-as-label and Strimzi-style), with the shared
    // meter beside them: the broker pool's own idle is shown, never a halved aggregate.
    let text = "kafka_server_kafkarequesthandlerpool_oneminuterate{name=\"RequestHandlerAvgIdlePercent\",} 0.6\n\
                kafka_server_kafkarequesthandlerpool_oneminuterate{name=\"BrokerRequestHandlerAvgIdlePercent\",} 0.5\n\
                kafka_server_kafkarequesthandlerpool_oneminuterate{name=\"ControllerRequestHandlerAvgIdlePercent\",} 0.7\n";
    let r = extract(&prometheus::parse(text).unwrap());
    let combined = Some(true);
    let v = finished(&r, combined);
    assert_eq!(v["request_handler_idle_ratio"], 0.5);
    assert_eq!(v["controller_request_handler_idle_ratio"], 0.7);
    // Only an unmapped per-pool spelling beside the shared meter: the shared one, not halved.
    let text = "kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent 0.6\n\
                kafka_server_kafkarequesthandlerpool_brokerrequesthandleravgidle_percent_total 3\n";
    let r = extract(&prometheus::parse(text).unwrap());
    assert_eq!(finished(&r, combined)["request_handler_idle_ratio"], 0.6);
    // Strimzi-style per-pool gauges are mapped.
    let text = "kafka_server_kafkarequesthandlerpool_brokerrequesthandleravgidle_percent 0.4\n";
    let r = extract(&prometheus::parse(text).unwrap());
    assert_eq!(finished(&r, combined)["request_handler_idle_ratio"], 0.4);
}
