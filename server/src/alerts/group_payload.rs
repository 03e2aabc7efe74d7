//! The bodies of grouped notifications (see `grouping`), in every receiver format: one
//! notification lists the group's alerts, with their sentences and links. Titles and texts
//! come from the receiver's templates with the group's values (see [`fill_group`]).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::config::Format;
use super::engine::{Alert, State};
use super::grouping::GroupNotify;
use super::payload::Render;
use crate::http::state::rfc3339;

/// Alertmanager's "not ended" time.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
/// Alerts listed in a chat message at most (the rest are counted).
const LISTED: usize = 20;

fn link(a: &Alert, external_url: &str) -> String {
    format!(
        "{}{}",
        external_url.trim_end_matches('/'),
        super::link_path(&a.labels)
    )
}

/// The alerts page, filtered to the group's rule.
fn group_link(g: &GroupNotify, external_url: &str) -> String {
    match g.alerts.as_slice() {
        [one] => link(one, external_url),
        _ => format!(
            "{}/alerts?q={}",
            external_url.trim_end_matches('/'),
            g.labels.get("alertname").map(String::as_str).unwrap_or("")
        ),
    }
}

fn status(g: &GroupNotify) -> &'static str {
    if g.firing() == 0 {
        "resolved"
    } else {
        "firing"
    }
}

fn worst(g: &GroupNotify) -> kafscope_api::Severity {
    g.alerts
        .iter()
        .filter(|a| a.state != State::Resolved || g.firing() == 0)
        .map(|a| a.severity)
        .max()
        .unwrap_or(kafscope_api::Severity::Info)
}

/// One line for the whole group: its alert's sentence, or a count and the first sentences.
fn summary(g: &GroupNotify) -> String {
    let firing: Vec<&Alert> = g
        .alerts
        .iter()
        .filter(|a| a.state != State::Resolved)
        .collect();
    let resolved = g.alerts.len() - firing.len();
    match (firing.as_slice(), resolved) {
        ([one], 0) => one.summary.clone(),
        ([], _) => format!("{} resolved", plural(resolved, "alert")),
        (list, r) => {
            let mut s = format!("{} firing", plural(list.len(), "alert"));
            if r > 0 {
                s.push_str(&format!(", {r} resolved"));
            }
            s
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The receiver's title/text template with the group's values: `{status}`, `{severity}`
/// (the worst), `{rule}`, `{cluster}`, `{summary}` (the group's line), `{count}`, `{url}`,
/// `{label:NAME}` (a group label); unknown placeholders stay.
pub fn fill_group(template: &str, g: &GroupNotify, external_url: &str) -> String {
    let first = g.alerts.first();
    let mut out = template
        .replace("{status}", &status(g).to_uppercase())
        .replace("{severity}", worst(g).as_str())
        .replace(
            "{rule}",
            g.labels
                .get("alertname")
                .map(String::as_str)
                .or(first.map(|a| a.rule.as_str()))
                .unwrap_or(""),
        )
        .replace(
            "{cluster}",
            g.labels
                .get("cluster")
                .or(first.and_then(|a| a.labels.get("cluster")))
                .map(String::as_str)
                .unwrap_or(""),
        )
        .replace("{summary}", &summary(g))
        .replace("{count}", &g.firing().to_string())
        .replace("{url}", &group_link(g, external_url))
        .replace(
            "{value}",
            &first
                .and_then(|a| a.value)
                .filter(|_| g.alerts.len() == 1)
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
    for (k, v) in &g.labels {
        out = out.replace(&format!("{{label:{k}}}"), v);
    }
    out
}

/// The body of a group notification for a receiver.
pub fn render_group(r: &Render, g: &GroupNotify, cluster: &str) -> Value {
    match r.format {
        Format::Generic => generic(g, r.external_url),
        Format::Alertmanager => alertmanager(r.receiver, g, r.external_url),
        Format::Slack => slack(r, g),
        Format::Teams => teams(r, g),
        Format::PagerDuty => pagerduty(r, g, cluster),
        // Pushed per alert, not in groups (Alertmanager groups them itself).
        Format::AlertmanagerApi => json!([]),
    }
}

fn alert_json(a: &Alert, external_url: &str) -> Value {
    json!({
        "fingerprint": a.fingerprint,
        "rule": a.rule,
        "state": if a.state == State::Resolved { "resolved" } else { "firing" },
        "severity": a.severity.as_str(),
        "summary": a.summary,
        "labels": a.labels,
        "value": a.value,
        "started_at": rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
        "resolved_at": a.resolved_at_ms.map(rfc3339),
        "url": link(a, external_url),
    })
}

/// `{"version": "kafscope.alerts.v2", "idempotency_key", "kind", "status", "group_key",
/// "group_labels", "firing", "resolved", "alerts": [...], "url"}`.
fn generic(g: &GroupNotify, external_url: &str) -> Value {
    json!({
        "version": "kafscope.alerts.v2",
        "idempotency_key": g.idempotency_key,
        "kind": g.kind,
        "status": status(g),
        "group_key": g.key,
        "group_labels": g.labels,
        "firing": g.firing(),
        "resolved": g.alerts.len() - g.firing(),
        "summary": summary(g),
        "alerts": g.alerts.iter().map(|a| alert_json(a, external_url)).collect::<Vec<_>>(),
        "url": group_link(g, external_url),
    })
}

/// Labels every alert of the group has, with the same value.
fn common_labels(g: &GroupNotify) -> BTreeMap<String, String> {
    let mut it = g.alerts.iter();
    let Some(first) = it.next() else {
        return BTreeMap::new();
    };
    let mut common = first.labels.clone();
    for a in it {
        common.retain(|k, v| a.labels.get(k) == Some(v));
    }
    common
}

/// Alertmanager's webhook body (version 4), so receivers written for it work unchanged.
fn alertmanager(receiver: &str, g: &GroupNotify, external_url: &str) -> Value {
    let st = status(g);
    json!({
        "version": "4",
        "groupKey": g.key,
        "truncatedAlerts": 0,
        "status": st,
        "receiver": receiver,
        "groupLabels": g.labels,
        "commonLabels": common_labels(g),
        "commonAnnotations": { "kafscope_idempotency_key": g.idempotency_key },
        "externalURL": external_url,
        "alerts": g.alerts.iter().map(|a| json!({
            "status": if a.state == State::Resolved { "resolved" } else { "firing" },
            "labels": a.labels,
            "annotations": { "summary": a.summary },
            "startsAt": rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
            "endsAt": a.resolved_at_ms.map(rfc3339).unwrap_or_else(|| ZERO_TIME.to_string()),
            "generatorURL": link(a, external_url),
            "fingerprint": a.fingerprint,
        })).collect::<Vec<_>>(),
    })
}

/// Chat lines: one per alert, firing first, at most [`LISTED`].
fn lines(g: &GroupNotify, external_url: &str, item: impl Fn(&str, &str, &str) -> String) -> String {
    let mut list: Vec<&Alert> = g.alerts.iter().collect();
    list.sort_by_key(|a| (a.state == State::Resolved, a.fingerprint.clone()));
    let mut out: Vec<String> = list
        .iter()
        .take(LISTED)
        .map(|a| {
            let mark = if a.state == State::Resolved {
                "resolved: "
            } else {
                ""
            };
            item(mark, &a.summary, &link(a, external_url))
        })
        .collect();
    if list.len() > LISTED {
        out.push(format!("… and {} more", list.len() - LISTED));
    }
    out.join("\n")
}

fn slack(r: &Render, g: &GroupNotify) -> Value {
    let title = fill_group(r.title, g, r.external_url);
    let body = if g.alerts.len() == 1 {
        fill_group(r.text, g, r.external_url)
    } else {
        lines(g, r.external_url, |mark, s, url| {
            format!("• {mark}{s} <{url}|open>")
        })
    };
    json!({
        "text": format!("*{title}*\n{body}\n<{}|Open in Kafscope>", group_link(g, r.external_url)),
    })
}

fn teams(r: &Render, g: &GroupNotify) -> Value {
    let color = match (status(g), worst(g)) {
        ("resolved", _) => "2EB886",
        (_, kafscope_api::Severity::Critical) => "B3261E",
        _ => "E8A317",
    };
    let text = if g.alerts.len() == 1 {
        fill_group(r.text, g, r.external_url)
    } else {
        lines(g, r.external_url, |mark, s, url| {
            format!("- {mark}[{s}]({url})")
        })
    };
    json!({
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "themeColor": color,
        "summary": fill_group(r.title, g, r.external_url),
        "title": fill_group(r.title, g, r.external_url),
        "text": text,
        "potentialAction": [{
            "@type": "OpenUri",
            "name": "Open in Kafscope",
            "targets": [{"os": "default", "uri": group_link(g, r.external_url)}],
        }],
    })
}

/// One PagerDuty incident per group: triggered (and updated) while any alert fires,
/// resolved with the group.
fn pagerduty(r: &Render, g: &GroupNotify, cluster: &str) -> Value {
    let severity = match worst(g) {
        kafscope_api::Severity::Critical => "critical",
        kafscope_api::Severity::Warning => "warning",
        kafscope_api::Severity::Info => "info",
    };
    json!({
        "routing_key": r.routing_key.unwrap_or(""),
        "event_action": if status(g) == "resolved" { "resolve" } else { "trigger" },
        "dedup_key": format!("{cluster}:{}", g.key),
        "payload": {
            "summary": fill_group(r.title, g, r.external_url),
            "source": cluster,
            "severity": severity,
            "group": g.labels.get("alertname").cloned(),
            "custom_details": {
                "summary": summary(g),
                "alerts": g.alerts.iter().map(|a| json!({"summary": a.summary, "labels": a.labels, "state": if a.state == State::Resolved { "resolved" } else { "firing" }})).collect::<Vec<_>>(),
                "idempotency_key": g.idempotency_key,
            },
        },
        "links": [{ "href": group_link(g, r.external_url), "text": "Open in Kafscope" }],
    })
}

/// Alerts pushed to Alertmanager's API v2 (`POST /api/v2/alerts`): firing ones end a few
/// resends later unless pushed again, so Alertmanager resolves them by itself if the
/// console goes away; resolved ones end when they resolved.
pub fn alertmanager_api(alerts: &[&Alert], external_url: &str, ends_in_ms: i64, now: i64) -> Value {
    Value::Array(
        alerts
            .iter()
            .map(|a| {
                let ends = match (a.state, a.resolved_at_ms) {
                    (State::Resolved, Some(t)) => t,
                    _ => now + ends_in_ms,
                };
                json!({
                    "labels": a.labels,
                    "annotations": {
                        "summary": a.summary,
                        "kafscope_rule": a.rule,
                        "kafscope_fingerprint": a.fingerprint,
                    },
                    "startsAt": rfc3339(a.firing_since_ms.unwrap_or(a.active_since_ms)),
                    "endsAt": rfc3339(ends),
                    "generatorURL": link(a, external_url),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::config::Format;
    use kafscope_api::Severity;

    fn alert(group: &str, state: State) -> Alert {
        Alert {
            fingerprint: format!("prod/consumer_stalled/group={group}"),
            rule: "consumer_stalled".into(),
            severity: Severity::Critical,
            labels: BTreeMap::from([
                ("alertname".to_string(), "consumer_stalled".to_string()),
                ("cluster".to_string(), "prod".to_string()),
                ("group".to_string(), group.to_string()),
            ]),
            summary: format!("Consumer group {group} is stopped"),
            value: None,
            state,
            active_since_ms: 0,
            firing_since_ms: Some(60_000),
            resolved_at_ms: (state == State::Resolved).then_some(120_000),
            last_notified_ms: None,
            notifications: 1,
            suppressed: false,
        }
    }

    fn group(alerts: Vec<Alert>, kind: &'static str) -> GroupNotify {
        GroupNotify {
            receiver: "ops".into(),
            key: r#"{alertname="consumer_stalled",cluster="prod"}"#.into(),
            labels: BTreeMap::from([
                ("alertname".to_string(), "consumer_stalled".to_string()),
                ("cluster".to_string(), "prod".to_string()),
            ]),
            kind,
            alerts,
            idempotency_key: "g1".into(),
        }
    }

    fn r(format: Format) -> Render<'static> {
        Render {
            format,
            receiver: "ops",
            external_url: "https://k.example/",
            title: crate::alerts::payload::TITLE,
            text: "{summary}",
            routing_key: Some("R0UT1NG"),
        }
    }

    #[test]
    fn one_notification_lists_the_group() {
        let g = group(
            vec![
                alert("a", State::Firing),
                alert("b", State::Firing),
                alert("c", State::Resolved),
            ],
            "update",
        );
        let v = render_group(&r(Format::Generic), &g, "prod");
        assert_eq!(v["version"], "kafscope.alerts.v2");
        assert_eq!(
            (v["firing"].as_u64(), v["resolved"].as_u64()),
            (Some(2), Some(1))
        );
        assert_eq!(v["summary"], "2 alerts firing, 1 resolved");
        assert_eq!(v["alerts"][2]["state"], "resolved");
        assert_eq!(
            v["alerts"][0]["url"],
            "https://k.example/clusters/prod/consumer-groups/a"
        );
        assert_eq!(v["url"], "https://k.example/alerts?q=consumer_stalled");
        let am = render_group(&r(Format::Alertmanager), &g, "prod");
        assert_eq!(am["groupLabels"]["alertname"], "consumer_stalled");
        assert_eq!(am["commonLabels"]["cluster"], "prod");
        assert!(am["commonLabels"].get("group").is_none());
        assert_eq!(am["alerts"].as_array().unwrap().len(), 3);
        let s = render_group(&r(Format::Slack), &g, "prod");
        let text = s["text"].as_str().unwrap();
        assert!(
            text.starts_with("*[FIRING] critical: consumer_stalled on prod*"),
            "{text}"
        );
        assert!(text.contains("• Consumer group a is stopped <https://k.example/clusters/prod/consumer-groups/a|open>"), "{text}");
        assert!(
            text.contains("• resolved: Consumer group c is stopped"),
            "{text}"
        );
        let p = render_group(&r(Format::PagerDuty), &g, "prod");
        assert_eq!(p["event_action"], "trigger");
        assert_eq!(
            p["dedup_key"],
            r#"prod:{alertname="consumer_stalled",cluster="prod"}"#
        );
    }

    #[test]
    fn the_group_resolves_as_one_and_a_single_alert_keeps_its_sentence() {
        let done = group(vec![alert("a", State::Resolved)], "resolved");
        let t = render_group(&r(Format::Teams), &done, "prod");
        assert_eq!(t["themeColor"], "2EB886");
        assert_eq!(t["title"], "[RESOLVED] critical: consumer_stalled on prod");
        assert_eq!(
            render_group(&r(Format::PagerDuty), &done, "prod")["event_action"],
            "resolve"
        );
        let one = group(vec![alert("a", State::Firing)], "firing");
        assert_eq!(
            fill_group("{summary} {count} {url}", &one, "https://k.example"),
            "Consumer group a is stopped 1 https://k.example/clusters/prod/consumer-groups/a"
        );
    }

    #[test]
    fn alertmanager_api_alerts_end_unless_pushed_again() {
        let firing = alert("a", State::Firing);
        let resolved = alert("b", State::Resolved);
        let v = alertmanager_api(
            &[&firing, &resolved],
            "https://k.example",
            180_000,
            1_000_000,
        );
        assert_eq!(v[0]["labels"]["group"], "a");
        assert_eq!(v[0]["startsAt"], "1970-01-01T00:01:00Z");
        assert_eq!(v[0]["endsAt"], rfc3339(1_180_000));
        assert_eq!(v[1]["endsAt"], "1970-01-01T00:02:00Z");
        assert_eq!(
            v[0]["generatorURL"],
            "https://k.example/clusters/prod/consumer-groups/a"
        );
    }
}
