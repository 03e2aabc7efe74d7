//! The widgets' contents, written from the same API types the JSON answers carry. Pure: the
//! handlers read the snapshot and the store, these functions only write HTML.

use std::fmt::Write;

use kafscope_api::fmt;
use kafscope_api::{AlertItem, ClusterHealth, GroupSummary, TopicGroupLag, TopicSummary};

use super::chart::{lag_chart, Unit};
use super::html::{esc, seg};

fn badge(tone: &str, text: &str) -> String {
    format!("<span class=\"badge {tone}\">{}</span>", esc(text))
}

fn open_link(href: &str) -> String {
    format!(
        "<a class=\"open\" href=\"{}\" target=\"_blank\" rel=\"noopener\">Open in Kafscope ↗</a>",
        esc(href)
    )
}

fn header(title: &str, sub: &str, status: &str, href: &str) -> String {
    format!(
        "<header><div><h1>{}</h1><p class=\"sub\">{}</p></div><div class=\"right\">{status}{}</div></header>",
        esc(title),
        esc(sub),
        open_link(href)
    )
}

fn footer(data_at: Option<&str>) -> String {
    match data_at {
        Some(t) => format!("<footer>data of {}</footer>", esc(&fmt::time(t))),
        None => "<footer>not read yet</footer>".to_string(),
    }
}

fn tone_of_severity(s: kafscope_api::Severity) -> &'static str {
    match s {
        kafscope_api::Severity::Critical => "crit",
        kafscope_api::Severity::Warning => "warn",
        kafscope_api::Severity::Info => "muted",
    }
}

/// A cluster's health card: the verdict, brokers, and each problem as its sentence.
pub fn health(base: &str, h: &ClusterHealth) -> String {
    let mut s = header(
        &h.cluster,
        "cluster health",
        &badge(h.verdict.tone(), h.verdict.as_str()),
        &format!("{base}/clusters/{}/health", seg(&h.cluster)),
    );
    let _ = write!(
        s,
        "<p class=\"summary\">{} · {} up{}</p>",
        esc(&h.summary),
        fmt::plural(h.brokers_up, "broker"),
        if h.brokers_down > 0 {
            format!(", <strong>{} down</strong>", h.brokers_down)
        } else {
            String::new()
        }
    );
    if h.problems.is_empty() {
        s.push_str("<p class=\"none\">No problems.</p>");
    } else {
        s.push_str("<ul class=\"problems\">");
        for p in &h.problems {
            let _ = write!(
                s,
                "<li>{} {}</li>",
                badge(tone_of_severity(p.severity), p.severity.as_str()),
                esc(&p.message)
            );
        }
        s.push_str("</ul>");
    }
    s.push_str(&footer(h.data_at.as_deref()));
    s
}

/// What a group widget shows below its header.
pub struct GroupChart<'a> {
    pub points: &'a [(i64, Option<f64>)],
    pub from_ms: i64,
    pub to_ms: i64,
    pub unit: Unit,
}

/// A consumer group's status, lag and lag chart.
pub fn group(
    base: &str,
    cluster: &str,
    g: &GroupSummary,
    chart: &GroupChart<'_>,
    data_at: Option<&str>,
) -> String {
    let mut s = header(
        &g.group_id,
        &format!("consumer group · {cluster}"),
        &badge(g.status.tone(), g.status.as_str()),
        &format!(
            "{base}/clusters/{}/consumer-groups/{}",
            seg(cluster),
            seg(&g.group_id)
        ),
    );
    let _ = write!(
        s,
        "<dl class=\"facts\"><div><dt>lag</dt><dd data-k=\"lag\">{}</dd></div>\
         <div><dt>lag in time</dt><dd data-k=\"lag_seconds\">{}</dd></div>\
         <div><dt>members</dt><dd>{}</dd></div><div><dt>topics</dt><dd>{}</dd></div></dl>\
         <p class=\"reason\">{}</p>",
        esc(&fmt::opt_num(g.lag)),
        esc(&fmt::lag_time(
            g.lag_seconds,
            g.lag_seconds_method.as_deref()
        )),
        g.members.map_or("—".to_string(), fmt::count),
        fmt::count(g.topics),
        esc(&g.status_reason)
    );
    s.push_str(&lag_chart(
        chart.points,
        chart.from_ms,
        chart.to_ms,
        chart.unit,
    ));
    s.push_str(&footer(data_at));
    s
}

/// A topic's summary: size, throughput, replication, and the groups reading it.
pub fn topic(
    base: &str,
    cluster: &str,
    t: &TopicSummary,
    produce_rate: Option<f64>,
    groups: &[TopicGroupLag],
    data_at: Option<&str>,
) -> String {
    let trouble = t.offline_partitions > 0 || t.under_replicated_partitions > 0;
    let status = if t.offline_partitions > 0 {
        badge("crit", &format!("{} offline", t.offline_partitions))
    } else if t.under_replicated_partitions > 0 {
        badge(
            "warn",
            &format!("{} under-replicated", t.under_replicated_partitions),
        )
    } else {
        badge("ok", "replicated")
    };
    let mut s = header(
        &t.name,
        &format!("topic · {cluster}"),
        &status,
        &format!("{base}/clusters/{}/topics/{}", seg(cluster), seg(&t.name)),
    );
    let _ = write!(
        s,
        "<dl class=\"facts\"><div><dt>partitions</dt><dd>{}</dd></div>\
         <div><dt>replicas</dt><dd>{}</dd></div><div><dt>messages</dt><dd>{}</dd></div>\
         <div><dt>size</dt><dd>{}</dd></div><div><dt>produced</dt><dd>{}</dd></div></dl>",
        fmt::count(t.partitions),
        t.replication_factor,
        esc(&fmt::opt_num(t.messages)),
        t.size_bytes
            .map_or("—".to_string(), |b| fmt::bytes(b as f64)),
        esc(&fmt::per_sec(produce_rate)),
    );
    if trouble {
        s.push_str("<p class=\"reason\">Some partitions are not fully replicated.</p>");
    }
    if groups.is_empty() {
        s.push_str("<p class=\"none\">No consumer group has committed offsets on it.</p>");
    } else {
        s.push_str(
            "<table><thead><tr><th>group</th><th>status</th><th class=\"num\">lag</th>\
             <th class=\"num\">lag in time</th></tr></thead><tbody>",
        );
        for g in groups {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&g.group_id),
                badge(g.status.tone(), g.status.as_str()),
                esc(&fmt::opt_num(g.lag)),
                esc(&fmt::lag_time(g.lag_seconds, None))
            );
        }
        s.push_str("</tbody></table>");
    }
    s.push_str(&footer(data_at));
    s
}

/// The firing and pending alerts of a cluster, a topic or a group.
pub fn alerts(base: &str, scope: &str, href: &str, items: &[AlertItem]) -> String {
    let firing = items.iter().filter(|a| a.state == "firing").count();
    let status = if firing > 0 {
        badge("crit", &format!("{firing} firing"))
    } else if items.is_empty() {
        badge("ok", "none")
    } else {
        badge("warn", &format!("{} pending", items.len()))
    };
    let mut s = header(scope, "alerts", &status, &format!("{base}{href}"));
    if items.is_empty() {
        s.push_str("<p class=\"none\">No alert is firing or pending.</p>");
        return s;
    }
    s.push_str("<ul class=\"problems\">");
    for a in items {
        let since = a.firing_since.as_deref().unwrap_or(&a.active_since);
        let _ = write!(
            s,
            "<li>{} <strong>{}</strong> {}<span class=\"sub\"> · {} since {}{}</span></li>",
            badge(tone_of_severity(a.severity), a.severity.as_str()),
            esc(&a.rule),
            esc(&a.summary),
            esc(&a.state),
            esc(&fmt::time(since)),
            if a.silenced_by.is_some() {
                " · silenced"
            } else {
                ""
            }
        );
    }
    s.push_str("</ul>");
    s
}
