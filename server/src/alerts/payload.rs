//! Notification bodies: Kafscope's documented generic JSON, and Alertmanager's webhook
//! format (version 4) so receivers written for Alertmanager work unchanged.

use serde_json::{json, Value};

use super::config::Format;
use super::engine::{Notify, State};
use crate::http::state::rfc3339;

/// Alertmanager's "not ended" time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn render(format: Format, receiver: &str, n: &Notify, external_url: &str) -> Value {
    match format {
        Format::Generic => generic(n, external_url),
        Format::Alertmanager => alertmanager(receiver, n, external_url),
    }
}

fn link(n: &Notify, external_url: &str) -> String {
    let l = &n.alert.labels;
    let cluster = l.get("cluster").cloned().unwrap_or_default();
    let path = if let Some(g) = l.get("group") {
        format!("/clusters/{cluster}/consumer-groups/{g}")
    } else if let Some(b) = l.get("broker") {
        format!("/clusters/{cluster}/brokers/{b}")
    } else if let Some(t) = l.get("topic") {
        format!("/clusters/{cluster}/topics/{t}")
    } else {
        format!("/clusters/{cluster}/health")
    };
    format!("{}{path}", external_url.trim_end_matches('/'))
}

/// `{"version": "kafscope.alert.v1", "idempotency_key", "kind": firing|repeat|resolved, "alert": {…}}`.
fn generic(n: &Notify, external_url: &str) -> Value {
    let a = &n.alert;
    json!({
        "version": "kafscope.alert.v1",
        "idempotency_key": n.idempotency_key,
        "kind": n.kind,
        "status": if a.state == State::Resolved { "resolved" } else { "firing" },
        "alert": {
            "fingerprint": a.fingerprint,
            "rule": a.rule,
            "severity": a.severity.as_str(),
            "summary": a.summary,
            "labels": a.labels,
            "value": a.value,
            "started_at": rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
            "resolved_at": a.resolved_at_ms.map(rfc3339),
            "url": link(n, external_url),
        }
    })
}

fn alertmanager(receiver: &str, n: &Notify, external_url: &str) -> Value {
    let a = &n.alert;
    let status = if a.state == State::Resolved {
        "resolved"
    } else {
        "firing"
    };
    let annotations =
        json!({ "summary": a.summary, "kafscope_idempotency_key": n.idempotency_key });
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{fingerprint=\"{}\"}}", a.fingerprint),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {},
        "commonLabels": a.labels,
        "commonAnnotations": annotations,
        "externalURL": external_url,
        "alerts": [{
            "status": status,
            "labels": a.labels,
            "annotations": annotations,
            "startsAt": rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
            "endsAt": a.resolved_at_ms.map(rfc3339).unwrap_or_else(|| ZERO_TIME.to_string()),
            "generatorURL": link(n, external_url),
            "fingerprint": a.fingerprint,
        }],
    })
}
