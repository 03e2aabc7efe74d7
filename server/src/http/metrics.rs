//! `GET /metrics`: Prometheus text from the snapshots. Lag series use kafka_exporter's names
//! and labels (plus `cluster`), so existing Grafana dashboards work unchanged; unknown values
//! are left out, never written as 0. The console's own health is under `kafscope_*`.

use std::fmt::Write;
use std::sync::atomic::Ordering;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::auth::{Permission, Principal, Resource};
use super::state::AppState;
use crate::collect::ClusterSnapshot;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(metrics))
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition: the console's own health and the lag, with names compatible with kafka_exporter", content_type = "text/plain", body = String))
)]
async fn metrics(State(st): State<AppState>, principal: Principal) -> Response {
    if !st.auth.cfg.metrics_public {
        // Series of the clusters this principal may view (a Prometheus bearer token).
        if let Err(e) = st.allow_somewhere(&principal) {
            return e.into_response();
        }
    }
    let snaps: Vec<_> = st
        .snapshots()
        .into_iter()
        .filter(|s| {
            st.auth.cfg.metrics_public
                || st.may(
                    &principal,
                    Permission::View,
                    &Resource::cluster(&s.name, false),
                )
        })
        .collect();
    let mut body = render(&snaps.iter().map(|s| s.as_ref()).collect::<Vec<_>>());
    let mut f = Family { out: &mut body };
    f.head(
        "kafscope_kafka_requests_total",
        "counter",
        "Requests the console sent to the cluster by Kafka API, on every path: its own protocol connections, librdkafka's admin client, and the message consumers and producer.",
    );
    let shown: std::collections::HashSet<&str> = snaps.iter().map(|s| s.name.as_str()).collect();
    for (cluster, client) in st
        .clients
        .iter()
        .filter(|(c, _)| shown.contains(c.as_str()))
    {
        for (api, n) in client.request_counts() {
            f.sample(
                "kafscope_kafka_requests_total",
                &[("cluster", cluster), ("api", &api)],
                n,
            );
        }
    }
    type Count = fn(&crate::messages::Inspector) -> u64;
    let inspection: [(&str, &str, &str, Count); 2] = [
        (
            "kafscope_message_scans_active",
            "gauge",
            "Message browse, search, tail and export scans running now.",
            |i| i.active_scans.load(Ordering::Relaxed) as u64,
        ),
        (
            "kafscope_message_scanned_records_total",
            "counter",
            "Records read by finished message scans.",
            |i| i.scanned_total.load(Ordering::Relaxed),
        ),
    ];
    for (name, kind, help, count) in inspection {
        f.head(name, kind, help);
        for (cluster, i) in st.inspectors.iter() {
            f.sample(name, &[("cluster", cluster)], count(i));
        }
    }
    f.head(
        "kafscope_auth_untrusted_proxy_headers_total",
        "counter",
        "Requests that carried identity headers from an address that is not a trusted proxy (ignored).",
    );
    f.sample(
        "kafscope_auth_untrusted_proxy_headers_total",
        &[],
        st.auth.untrusted_proxy_headers.load(Ordering::Relaxed),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Escape a label value per the text exposition format.
fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Family<'a> {
    out: &'a mut String,
}

impl Family<'_> {
    fn head(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let l: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", esc(v)))
            .collect();
        if l.is_empty() {
            let _ = writeln!(self.out, "{name} {value}");
        } else {
            let _ = writeln!(self.out, "{name}{{{}}} {value}", l.join(","));
        }
    }
}

/// Render every cluster's snapshot.
pub fn render(snaps: &[&ClusterSnapshot]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let mut f = Family { out: &mut out };

    type ClusterPick = fn(&ClusterSnapshot) -> Option<f64>;
    let per_cluster: [(&str, &str, &str, ClusterPick); 5] = [
        (
            "kafscope_cluster_up",
            "gauge",
            "1 when the last poll reached the cluster.",
            |s| Some(f64::from(u8::from(s.polled && s.last_poll_error.is_none()))),
        ),
        (
            "kafscope_poll_duration_seconds",
            "gauge",
            "Duration of the last poll.",
            |s| s.last_poll_duration_ms.map(|d| d as f64 / 1000.0),
        ),
        (
            "kafscope_last_success_timestamp_seconds",
            "gauge",
            "Unix time of the last successful poll.",
            |s| s.last_success_ms.map(|t| t as f64 / 1000.0),
        ),
        (
            "kafscope_lag_clamped_total",
            "counter",
            "Negative lags clamped to 0 since start.",
            |s| Some(s.clamped_lags as f64),
        ),
        (
            "kafka_brokers",
            "gauge",
            "Number of brokers in the cluster.",
            |s| s.data_at_ms.map(|_| s.brokers.len() as f64),
        ),
    ];
    for (name, kind, help, pick) in per_cluster {
        f.head(name, kind, help);
        for s in snaps {
            if let Some(v) = pick(s) {
                f.sample(name, &[("cluster", &s.name)], v);
            }
        }
    }
    f.head(
        "kafscope_poll_errors_total",
        "counter",
        "Failed poll stages since start, by stage.",
    );
    for s in snaps {
        for (stage, n) in &s.stage_error_counts {
            f.sample(
                "kafscope_poll_errors_total",
                &[("cluster", &s.name), ("stage", stage)],
                n,
            );
        }
    }
    f.head(
        "kafka_topic_partitions",
        "gauge",
        "Number of partitions of a topic.",
    );
    for s in snaps {
        for t in s.topics.values() {
            f.sample(
                "kafka_topic_partitions",
                &[("cluster", &s.name), ("topic", &t.summary.name)],
                t.partitions.len(),
            );
        }
    }
    type PartitionPick = fn(&kafscope_api::PartitionInfo) -> Option<f64>;
    let per_topic_partition: [(&str, &str, PartitionPick); 3] = [
        (
            "kafka_topic_partition_current_offset",
            "End offset (high watermark) of a partition.",
            |p| p.high_watermark.map(|v| v as f64),
        ),
        (
            "kafka_topic_partition_oldest_offset",
            "Log start offset of a partition.",
            |p| p.log_start_offset.map(|v| v as f64),
        ),
        (
            "kafka_topic_partition_under_replicated_partition",
            "1 when the partition is under-replicated.",
            |p| Some(f64::from(u8::from(p.under_replicated))),
        ),
    ];
    for (name, help, pick) in per_topic_partition {
        f.head(name, "gauge", help);
        for s in snaps {
            for t in s.topics.values() {
                for p in &t.partitions {
                    if let Some(v) = pick(p) {
                        let part = p.partition.to_string();
                        f.sample(
                            name,
                            &[
                                ("cluster", &s.name),
                                ("topic", &t.summary.name),
                                ("partition", &part),
                            ],
                            v,
                        );
                    }
                }
            }
        }
    }

    type Pick = fn(&kafscope_api::OffsetRow) -> Option<f64>;
    let per_partition: [(&str, &str, Pick); 5] = [
        ("kafka_consumergroup_current_offset", "Committed offset of a group on a partition.", |o| o.committed_offset.map(|v| v as f64)),
        ("kafka_consumergroup_lag", "Lag in messages of a group on a partition.", |o| o.lag.map(|v| v as f64)),
        ("kafka_consumergroup_lag_seconds", "Lag in seconds of a group on a partition (a lower bound where the history is too short).", |o| o.lag_seconds),
        ("kafscope_consumergroup_retention_margin_records", "Records between a group's committed offset and the log start of a partition.", |o| o.retention_margin_records.map(|v| v as f64)),
        ("kafscope_consumergroup_retention_margin_seconds", "Seconds until retention deletes records the group has not read, at the current rates (absent: not in sight).", |o| o.retention_margin_seconds),
    ];
    for (name, help, pick) in per_partition {
        f.head(name, "gauge", help);
        for s in snaps {
            for g in s.live_groups() {
                for o in &g.detail.offsets {
                    if let Some(v) = pick(o) {
                        let part = o.partition.to_string();
                        f.sample(
                            name,
                            &[
                                ("cluster", &s.name),
                                ("consumergroup", &g.summary.group_id),
                                ("topic", &o.topic),
                                ("partition", &part),
                            ],
                            v,
                        );
                    }
                }
            }
        }
    }
    f.head(
        "kafka_consumergroup_lag_sum",
        "gauge",
        "Sum of a group's defined lags on a topic.",
    );
    for s in snaps {
        for t in s.topics.values() {
            for g in &t.groups {
                if let Some(l) = g.lag {
                    f.sample(
                        "kafka_consumergroup_lag_sum",
                        &[
                            ("cluster", &s.name),
                            ("consumergroup", &g.group_id),
                            ("topic", &t.summary.name),
                        ],
                        l,
                    );
                }
            }
        }
    }
    f.head(
        "kafscope_consumergroup_status",
        "gauge",
        "1 for the group's current status.",
    );
    for s in snaps {
        for g in s.live_groups() {
            f.sample(
                "kafscope_consumergroup_status",
                &[
                    ("cluster", &s.name),
                    ("consumergroup", &g.summary.group_id),
                    ("status", g.summary.status.as_str()),
                ],
                1,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_are_escaped() {
        assert_eq!(super::esc("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
