//! Notification bodies: Kafscope's documented generic JSON; Alertmanager's webhook format
//! (version 4) so receivers written for Alertmanager work unchanged; Slack and Microsoft
//! Teams incoming webhooks; PagerDuty Events API v2. Titles and texts come from templates
//! with `{placeholders}` (see [`fill`]).

use serde_json::{json, Value};

use super::config::Format;
use super::engine::{Notify, State};
use crate::http::state::rfc3339;

/// Alertmanager's "not ended" time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Default title and text templates.
pub const TITLE: &str = "[{status}] {severity}: {rule} on {cluster}";
pub const TEXT: &str = "{summary}";

/// A receiver's rendering settings.
pub struct Render<'a> {
    pub format: Format,
    pub receiver: &'a str,
    pub external_url: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    /// PagerDuty's integration (routing) key.
    pub routing_key: Option<&'a str>,
}

pub fn render(r: &Render, n: &Notify) -> Value {
    match r.format {
        Format::Generic => generic(n, r.external_url),
        Format::Alertmanager => alertmanager(r.receiver, n, r.external_url),
        Format::Slack => slack(r, n),
        Format::Teams => teams(r, n),
        Format::PagerDuty => pagerduty(r, n),
        Format::AlertmanagerApi => super::group_payload::alertmanager_api(
            &[&n.alert],
            r.external_url,
            180_000,
            crate::collect::now_ms(),
        ),
    }
}

/// Replace `{status}`, `{severity}`, `{rule}`, `{cluster}`, `{summary}`, `{url}`, `{value}`
/// and `{label:NAME}`; unknown placeholders stay as they are.
pub fn fill(template: &str, n: &Notify, external_url: &str) -> String {
    let a = &n.alert;
    let status = if a.state == State::Resolved {
        "RESOLVED"
    } else {
        "FIRING"
    };
    let mut out = template
        .replace("{status}", status)
        .replace("{severity}", a.severity.as_str())
        .replace("{rule}", &a.rule)
        .replace(
            "{cluster}",
            a.labels.get("cluster").map(String::as_str).unwrap_or(""),
        )
        .replace("{summary}", &a.summary)
        .replace("{url}", &link(n, external_url))
        .replace(
            "{value}",
            &a.value.map(|v| v.to_string()).unwrap_or_default(),
        );
    for (k, v) in &a.labels {
        out = out.replace(&format!("{{label:{k}}}"), v);
    }
    out
}

fn slack(r: &Render, n: &Notify) -> Value {
    let title = fill(r.title, n, r.external_url);
    let text = fill(r.text, n, r.external_url);
    json!({
        "text": format!("*{title}*\n{text}\n<{}|Open in Kafscope>", link(n, r.external_url)),
    })
}

fn teams(r: &Render, n: &Notify) -> Value {
    let color = match (n.alert.state, n.alert.severity) {
        (State::Resolved, _) => "2EB886",
        (_, kafscope_api::Severity::Critical) => "B3261E",
        _ => "E8A317",
    };
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "themeColor": color,
        "summary": fill(r.title, n, r.external_url),
        "title": fill(r.title, n, r.external_url),
        "text": fill(r.text, n, r.external_url),
        "potentialAction": [{
            "@type": "OpenUri",
            "name": "Open in Kafscope",
            "targets": [{"os": "default", "uri": link(n, r.external_url)}],
        }],
    })
}

fn pagerduty(r: &Render, n: &Notify) -> Value {
    let a = &n.alert;
    let severity = match a.severity {
        kafscope_api::Severity::Critical => "critical",
        kafscope_api::Severity::Warning => "warning",
        kafscope_api::Severity::Info => "info",
    };
    let action = if a.state == State::Resolved {
        "resolve"
    } else {
        "trigger"
    };
    json!({
        "routing_key": r.routing_key.unwrap_or(""),
        "event_action": action,
        // PagerDuty's own dedup key: the alert, so resolve matches its trigger.
        "dedup_key": a.fingerprint,
        "payload": {
            "summary": fill(r.title, n, r.external_url),
            "source": a.labels.get("cluster").cloned().unwrap_or_default(),
            "severity": severity,
            "component": a.labels.get("group").or(a.labels.get("topic")).or(a.labels.get("broker")).cloned(),
            "group": a.rule,
            "custom_details": { "summary": a.summary, "labels": a.labels, "idempotency_key": n.idempotency_key },
        },
        "links": [{ "href": link(n, r.external_url), "text": "Open in Kafscope" }],
    })
}

fn link(n: &Notify, external_url: &str) -> String {
    format!(
        "{}{}",
        external_url.trim_end_matches('/'),
        super::link_path(&n.alert.labels)
    )
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use kafscope_api::Severity;

    use super::*;
    use crate::alerts::engine::Alert;

    fn note(state: State) -> Notify {
        Notify {
            alert: Alert {
                fingerprint: "prod/consumer_stalled/group=orders".into(),
                rule: "consumer_stalled".into(),
                severity: Severity::Critical,
                labels: BTreeMap::from([
                    ("alertname".to_string(), "consumer_stalled".to_string()),
                    ("cluster".to_string(), "prod".to_string()),
                    ("group".to_string(), "orders".to_string()),
                ]),
                summary: "Consumer group orders is stopped".into(),
                value: None,
                state,
                active_since_ms: 1_000,
                firing_since_ms: Some(61_000),
                resolved_at_ms: (state == State::Resolved).then_some(121_000),
                last_notified_ms: Some(61_000),
                notifications: 1,
                suppressed: false,
            },
            kind: if state == State::Resolved {
                "resolved"
            } else {
                "firing"
            },
            idempotency_key: "k1".into(),
        }
    }

    fn r(format: Format) -> Render<'static> {
        Render {
            format,
            receiver: "ops",
            external_url: "https://k.example/",
            title: TITLE,
            text: "{summary} ({label:group}) {url}",
            routing_key: Some("R0UT1NG"),
        }
    }

    #[test]
    fn templates_fill_placeholders_and_leave_unknown_ones() {
        let n = note(State::Firing);
        assert_eq!(
            fill(TITLE, &n, ""),
            "[FIRING] critical: consumer_stalled on prod"
        );
        assert_eq!(
            fill("{summary} | {label:group} | {nope} | {url}", &n, "https://k.example"),
            "Consumer group orders is stopped | orders | {nope} | https://k.example/clusters/prod/consumer-groups/orders"
        );
    }

    #[test]
    fn generic_and_alertmanager() {
        let g = render(&r(Format::Generic), &note(State::Firing));
        assert_eq!(g["idempotency_key"], "k1");
        assert_eq!(g["status"], "firing");
        assert_eq!(g["alert"]["started_at"], "1970-01-01T00:01:01Z");
        let am = render(&r(Format::Alertmanager), &note(State::Resolved));
        assert_eq!(am["status"], "resolved");
        assert_eq!(am["receiver"], "ops");
        assert_eq!(am["alerts"][0]["endsAt"], "1970-01-01T00:02:01Z");
        assert_eq!(am["alerts"][0]["labels"]["alertname"], "consumer_stalled");
    }

    #[test]
    fn slack_teams_and_pagerduty() {
        let s = render(&r(Format::Slack), &note(State::Firing));
        let text = s["text"].as_str().unwrap();
        assert!(text.starts_with("*[FIRING] critical: consumer_stalled on prod*\nConsumer group orders is stopped (orders)"), "{text}");
        let t = render(&r(Format::Teams), &note(State::Resolved));
        assert_eq!(t["@type"], "MessageCard");
        assert_eq!(t["themeColor"], "2EB886");
        assert_eq!(t["title"], "[RESOLVED] critical: consumer_stalled on prod");
        let p = render(&r(Format::PagerDuty), &note(State::Firing));
        assert_eq!(p["routing_key"], "R0UT1NG");
        assert_eq!(p["event_action"], "trigger");
        assert_eq!(p["dedup_key"], "prod/consumer_stalled/group=orders");
        assert_eq!(p["payload"]["severity"], "critical");
        assert_eq!(p["payload"]["component"], "orders");
        let p = render(&r(Format::PagerDuty), &note(State::Resolved));
        assert_eq!(p["event_action"], "resolve");
    }
}
