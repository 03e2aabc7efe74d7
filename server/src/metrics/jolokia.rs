//! JMX through Jolokia: one bulk `read` request for the Kafka MBeans, and its answer turned
//! into series named the way jmx_exporter names them by default
//! (`kafka.server:type=ReplicaManager,name=X` attribute `Value` →
//! `kafka_server_replicamanager_value{name="X"}`), so one mapping table serves both.

use serde_json::{json, Value};

use super::mapping::Series;

/// MBean patterns read at each scrape. `name=*` without `,*` matches only broker-wide beans,
/// not their per-topic copies.
pub const MBEANS: &[&str] = &[
    "kafka.server:type=ReplicaManager,name=*",
    "kafka.controller:type=KafkaController,name=*",
    // The shared meter, and from Kafka 4.2 one per pool (broker, controller).
    "kafka.server:type=KafkaRequestHandlerPool,name=*",
    "kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent",
    // Network idle per listener and processor (the SocketServer gauge above is one
    // listener's on a combined node).
    "kafka.server:type=socket-server-metrics,listener=*,networkProcessor=*",
    "kafka.server:type=BrokerTopicMetrics,name=*",
    "kafka.network:type=RequestChannel,name=RequestQueueSize",
    "kafka.log:type=Log,name=Size,*",
];

/// The bulk request body.
pub fn request() -> Value {
    Value::Array(
        MBEANS
            .iter()
            .map(|m| json!({"type": "read", "mbean": m, "config": {"includeStackTrace": false}}))
            .collect(),
    )
}

/// Series from a bulk answer, and the errors of the reads that failed (a missing MBean is
/// status 404: that metric is unavailable, the scrape still counts).
pub fn parse(body: &Value) -> Result<(Vec<Series>, Vec<String>), String> {
    let items = match body {
        Value::Array(items) => items,
        Value::Object(_) => {
            return Err(format!(
                "Jolokia answered with one object, not a bulk answer: {}",
                error_of(body)
            ))
        }
        _ => return Err("not a Jolokia answer".into()),
    };
    let mut series = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let status = item.get("status").and_then(Value::as_i64).unwrap_or(0);
        let mbean = item
            .pointer("/request/mbean")
            .and_then(Value::as_str)
            .unwrap_or("?");
        if status != 200 {
            if status != 404 {
                errors.push(format!("{mbean}: {}", error_of(item)));
            }
            continue;
        }
        let Some(value) = item.get("value") else {
            continue;
        };
        if mbean.contains('*') {
            // Pattern read: {"<mbean name>": {"<attribute>": value}}.
            if let Value::Object(beans) = value {
                for (name, attrs) in beans {
                    add_bean(&mut series, name, attrs);
                }
            }
        } else if let Some(attr) = item.pointer("/request/attribute").and_then(Value::as_str) {
            // A single-attribute read answers with the bare value.
            add_bean(&mut series, mbean, &json!({ attr: value }));
        } else {
            add_bean(&mut series, mbean, value);
        }
    }
    Ok((series, errors))
}

fn error_of(item: &Value) -> String {
    item.get("error")
        .and_then(Value::as_str)
        .unwrap_or("no reason given")
        .chars()
        .take(300)
        .collect()
}

/// One MBean's numeric attributes as series.
fn add_bean(out: &mut Vec<Series>, object_name: &str, attrs: &Value) {
    let Some((domain, props)) = object_name.split_once(':') else {
        return;
    };
    let mut kind = None;
    let mut labels = Vec::new();
    for p in props.split(',') {
        if let Some((k, v)) = p.split_once('=') {
            if k == "type" {
                kind = Some(v.to_string());
            } else {
                labels.push((k.to_string(), v.trim_matches('"').to_string()));
            }
        }
    }
    labels.sort();
    // Kafka-metrics beans have dashes in their type and attributes (`socket-server-metrics`,
    // `io-wait-ratio`): Prometheus names cannot, jmx_exporter turns them into `_` too.
    let prefix = format!(
        "{}_{}",
        domain.replace(['.', '-'], "_"),
        kind.unwrap_or_default().replace(['.', '-'], "_")
    )
    .to_ascii_lowercase();
    let Value::Object(attrs) = attrs else {
        return;
    };
    for (attr, v) in attrs {
        let Some(value) = v.as_f64() else {
            continue;
        };
        out.push(Series {
            name: format!(
                "{prefix}_{}",
                attr.replace(['.', '-'], "_").to_ascii_lowercase()
            ),
            labels: labels.clone(),
            value,
        });
    }
}
