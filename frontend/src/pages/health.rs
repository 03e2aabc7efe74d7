//! `/clusters/:cluster/health`: "is my cluster healthy?" at a glance — the verdict, every
//! problem as a sentence with its severity, since when, and links to what it concerns.

use kafscope_api::{
    BrokerHealth, ClusterHealth, HealthVerdict, MetricsEndpoint, Problem, ReplicationCounts,
    Severity, TopicHealth,
};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::components::{show, ClusterHeader};
use crate::metric_chart::MetricChart;
use kafscope_api::fmt as format;
use kafscope_api::known_metrics;

pub fn verdict_badge(v: HealthVerdict) -> (&'static str, &'static str) {
    match v {
        HealthVerdict::Healthy => ("badge ok", "healthy"),
        HealthVerdict::Warning => ("badge warn", "warning"),
        HealthVerdict::Critical => ("badge crit", "critical"),
        HealthVerdict::Unknown => ("badge muted", "unknown"),
    }
}

pub fn severity_badge(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "badge crit",
        Severity::Warning => "badge warn",
        Severity::Info => "badge muted",
    }
}

#[component]
pub fn Health() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let health =
        use_api::<ClusterHealth>(move || format!("/clusters/{}/health", enc(&cluster.get())));
    let pending: crate::pages::manage::Pending = RwSignal::new(None);
    view! {
        <ClusterHeader cluster active="health"/>
        {show(health, move |h: ClusterHealth| page(cluster.get_untracked(), h, pending))}
        <crate::pages::manage::PlanDialog cluster request=pending/>
        <MetricChart cluster broker=None title="Throughput (all brokers)"
            metrics=&["bytes_in_per_sec", "bytes_out_per_sec"] unit="bytes_per_second"
            labels=known_metrics() testid="chart-throughput"/>
        <MetricChart cluster broker=None title="Metadata quorum lag (summed over its replicas)"
            metrics=&["quorum_lag_seconds"] unit="seconds"
            labels=known_metrics() testid="chart-quorum"/>
        <MetricChart cluster broker=None title="Under-replicated partitions (brokers' own count)"
            metrics=&["under_replicated_partitions", "under_min_isr_partitions"] unit="count"
            labels=known_metrics() testid="chart-urp"/>
    }
}

fn page(
    cluster: String,
    h: ClusterHealth,
    pending: crate::pages::manage::Pending,
) -> impl IntoView {
    let (class, text) = verdict_badge(h.verdict);
    let who = match (h.controller_id, h.controller_source.as_deref()) {
        (Some(c), Some("quorum")) => {
            format!("active controller: node {c} (metadata quorum leader)")
        }
        (Some(c), _) => format!("controller: broker {c}"),
        (None, _) if h.quorum_error.is_some() => "active controller not known".to_string(),
        (None, _) => "no controller known".to_string(),
    };
    let controller = match h.active_controller_count {
        Some(n) => format!(
            "{who} · ActiveControllerCount {}",
            format::metric(Some(n), "count")
        ),
        None => who,
    };
    let problems = if h.problems.is_empty() {
        view! {
            <p class="state" data-testid="no-problems">
                "No problems: every broker is up, every partition has a live leader and its full ISR."
            </p>
        }
        .into_any()
    } else {
        let items = h
            .problems
            .iter()
            .map(|p| problem_item(&cluster, p, pending))
            .collect_view();
        view! { <ul class="problems" data-testid="problems">{items}</ul> }.into_any()
    };
    view! {
        <section class="verdict" data-testid="verdict">
            <span class=format!("{class} big") data-testid="verdict-badge">{text}</span>
            <span class="verdict-text" data-testid="verdict-summary">{h.summary.clone()}</span>
            <div class="sub">
                {format!("{} up, {} down · {controller}",
                    format::plural(h.brokers_up, "broker"), h.brokers_down)}
                {h.data_at.clone().map(|d| format!(" · data read {}", format::time(&d)))}
            </div>
        </section>
        <h3>"Problems"</h3>
        {problems}
        {quorum_panel(&cluster, &h)}
        <h3>"Replication"</h3>
        {counts_table(&h.counts)}
        {topics_table(&cluster, &h.topics)}
        {brokers_table(&cluster, &h.brokers)}
        {endpoints_table(&h.metrics_endpoints)}
    }
}

/// The KRaft metadata quorum: leader, epoch, and every voter and observer with its lag, as
/// `kafka-metadata-quorum.sh describe --replication` prints them.
fn quorum_panel(cluster: &str, h: &ClusterHealth) -> impl IntoView {
    let Some(q) = &h.quorum else {
        return h
            .quorum_error
            .clone()
            .map(|e| {
                view! {
                    <h3>"Metadata quorum"</h3>
                    <p class="state" data-testid="quorum-error">{e}</p>
                }
            })
            .into_any();
    };
    let leader = q
        .leader_id
        .map(|l| format!("leader: node {l}"))
        .unwrap_or_else(|| "no leader".to_string());
    let summary = format!(
        "{leader} · epoch {} · high watermark {} · {} of {} voters caught up · largest follower lag {} · answered through node {}",
        q.leader_epoch,
        format::num(q.high_watermark),
        q.voters_caught_up,
        q.voters.len(),
        match (q.max_follower_lag, q.max_follower_lag_ms) {
            (Some(n), Some(ms)) => format!("{} records / {}", format::num(n), format::span_ms(ms)),
            (Some(n), None) => format!("{} records", format::num(n)),
            _ => "unknown".to_string(),
        },
        q.via
    );
    let rows = q
        .voters
        .iter()
        .chain(&q.observers)
        .map(|r| {
            let link = href(&format!("/clusters/{}/brokers/{}", enc(cluster), r.id));
            let node = if r.node_type == "controller" {
                view! { {r.id} }.into_any()
            } else {
                view! { <a href=link>{r.id}</a> }.into_any()
            };
            let ago = |t: &Option<String>| t.as_deref().map(format::time).unwrap_or_else(|| "—".into());
            let behind = r.lag_ms.is_some_and(|ms| ms > 10_000);
            view! {
                <tr data-testid=format!("quorum-node-{}", r.id)>
                    <td class="num">{node}</td>
                    <td data-testid="quorum-role">{r.role.clone()}</td>
                    <td>{r.node_type.clone()}</td>
                    <td class="num">{format::opt_num(r.log_end_offset)}</td>
                    <td class="num" class:alert=behind data-testid="quorum-lag">{format::opt_num(r.lag)}</td>
                    <td class="num" class:alert=behind>{r.lag_ms.map(format::span_ms).unwrap_or_else(|| "—".into())}</td>
                    <td class="sub">{ago(&r.last_fetch_at)}</td>
                    <td class="sub">{ago(&r.last_caught_up_at)}</td>
                    <td class="sub">{r.endpoints.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Metadata quorum"</h3>
        <div class="sub" data-testid="quorum-summary">{summary}</div>
        <table class="grid" data-testid="quorum">
            <thead><tr>
                <th class="num">"Node"</th><th>"Role"</th><th>"Type"</th><th class="num">"Log end offset"</th>
                <th class="num">"Lag (records)"</th><th class="num">"Lag (time)"</th><th>"Last fetch"</th>
                <th>"Last caught up"</th><th>"Controller endpoints"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn problem_item(
    cluster: &str,
    p: &Problem,
    pending: crate::pages::manage::Pending,
) -> impl IntoView {
    // Leadership away from the preferred replicas: one click to the election's plan, which
    // lists every partition it moves.
    let elect = (p.kind == "leader_imbalance" && crate::api::can("configs.manage", Some(cluster))).then(|| {
        view! {
            " " <button type="button" data-testid="elect-leaders" on:click=move |_| pending.set(Some(
                crate::pages::manage::Ask::New(kafscope_api::PlanRequest::ElectLeaders { partitions: None }),
            ))>"Elect preferred leaders…"</button>
        }
    });
    let topic_link = p.topic.clone().map(|t| {
        let link = href(&format!("/clusters/{}/topics/{}", enc(cluster), enc(&t)));
        let parts = if p.partition_count == 0 {
            String::new()
        } else {
            let listed: Vec<String> = p.partitions.iter().map(|n| n.to_string()).collect();
            let more = p.partition_count.saturating_sub(p.partitions.len());
            format!(
                " (partition{} {}{})",
                if p.partition_count == 1 { "" } else { "s" },
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        };
        view! { <a href=link data-testid="problem-topic">{format!("topic {t}")}</a>{parts} }
    });
    let broker_links = p
        .brokers
        .iter()
        .map(|b| {
            let link = href(&format!("/clusters/{}/brokers/{b}", enc(cluster)));
            view! { " " <a href=link data-testid="problem-broker">{format!("broker {b}")}</a> }
        })
        .collect_view();
    view! {
        <li class=format!("problem {}", p.severity.as_str()) data-testid=format!("problem-{}", p.kind)>
            <span class=severity_badge(p.severity)>{p.severity.as_str()}</span>
            " "
            <span class="message" data-testid="problem-message">{p.message.clone()}</span>
            <div class="sub">
                {format!("since {}", format::time(&p.since))}
                {(p.topic.is_some() || !p.brokers.is_empty()).then_some(" · ")}
                {topic_link}
                {broker_links}
                {elect}
            </div>
        </li>
    }
}

fn counts_table(c: &ReplicationCounts) -> impl IntoView {
    let cell = |n: usize| view! { <td class="num" class:alert={n > 0}>{format::count(n)}</td> };
    view! {
        <table class="grid" data-testid="replication-counts">
            <thead><tr>
                <th class="num">"Under-replicated"</th><th class="num">"Under min ISR"</th>
                <th class="num">"At min ISR"</th><th class="num">"Offline"</th>
                <th class="num">"Replicas on down brokers"</th><th class="num">"Not on preferred leader"</th>
                <th class="num">"min.insync.replicas unknown"</th>
            </tr></thead>
            <tbody><tr>
                {cell(c.under_replicated)}{cell(c.under_min_isr)}
                <td class="num">{format::count(c.at_min_isr)}</td>
                {cell(c.offline)}{cell(c.replicas_on_down_brokers)}
                <td class="num">{format::count(c.not_preferred_leader)}</td>
                <td class="num">{format::count(c.min_isr_unknown)}</td>
            </tr></tbody>
        </table>
    }
}

fn topics_table(cluster: &str, topics: &[TopicHealth]) -> impl IntoView {
    if topics.is_empty() {
        return ().into_any();
    }
    let rows = topics
        .iter()
        .map(|t| {
            let link = href(&format!("/clusters/{}/topics/{}", enc(cluster), enc(&t.topic)));
            let c = &t.counts;
            view! {
                <tr data-testid=format!("health-topic-{}", t.topic)>
                    <td><a href=link>{t.topic.clone()}</a></td>
                    <td class="num">{t.min_insync_replicas.map(|m| m.to_string()).unwrap_or_else(|| "unknown".into())}</td>
                    <td class="num" class:alert={c.under_replicated > 0}>{format::count(c.under_replicated)}</td>
                    <td class="num" class:alert={c.under_min_isr > 0}>{format::count(c.under_min_isr)}</td>
                    <td class="num" class:alert={c.offline > 0}>{format::count(c.offline)}</td>
                    <td class="num">{format::count(c.not_preferred_leader)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Topics with problems"</h3>
        <table class="grid" data-testid="health-topics">
            <thead><tr>
                <th>"Topic"</th><th class="num">"min.insync.replicas"</th><th class="num">"Under-replicated"</th>
                <th class="num">"Under min ISR"</th><th class="num">"Offline"</th><th class="num">"Not on preferred leader"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn brokers_table(cluster: &str, brokers: &[BrokerHealth]) -> impl IntoView {
    let rows = brokers
        .iter()
        .map(|b| {
            let link = href(&format!("/clusters/{}/brokers/{}", enc(cluster), b.broker));
            let (class, text) = if b.up { ("badge ok", "up") } else { ("badge crit", "down") };
            view! {
                <tr data-testid=format!("health-broker-{}", b.broker)>
                    <td class="num"><a href=link>{b.broker}</a></td>
                    <td><span class=class>{text}</span></td>
                    <td class="num" class:alert={b.counts.under_replicated > 0}>{format::count(b.counts.under_replicated)}</td>
                    <td class="num" class:alert={b.counts.offline > 0}>{format::count(b.counts.offline)}</td>
                    <td class="num">{format!("{} of {}", format::count(b.preferred_led), format::count(b.preferred_partitions))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Brokers"</h3>
        <table class="grid" data-testid="health-brokers">
            <thead><tr>
                <th class="num">"Broker"</th><th>"Status"</th><th class="num">"Under-replicated replicas"</th>
                <th class="num">"Offline replicas"</th><th class="num">"Leads its preferred partitions"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

pub fn endpoints_table(endpoints: &[MetricsEndpoint]) -> impl IntoView {
    if endpoints.is_empty() {
        return view! {
            <h3>"Metrics endpoints"</h3>
            <p class="state" data-testid="no-endpoints">
                "No metrics endpoint is configured, so broker metrics (request handler idle, \
                 throughput, request queue, log sizes) are unavailable. Add a [[clusters.metrics]] \
                 entry per broker (Prometheus JMX exporter or Jolokia) — see the README."
            </p>
        }
        .into_any();
    }
    let rows = endpoints
        .iter()
        .map(|e| {
            let state = match &e.error {
                None => view! { <span class="badge ok">"ok"</span> }.into_any(),
                Some(err) => view! { <span class="badge crit">"failing"</span>" "<span class="sub">{err.clone()}</span> }.into_any(),
            };
            view! {
                <tr data-testid="endpoint-row">
                    <td><code>{e.url.clone()}</code></td>
                    <td>{e.kind.clone()}</td>
                    <td class="num">{e.broker.map(|b| b.to_string()).unwrap_or_else(|| "unmatched".into())}</td>
                    <td>{state}</td>
                    <td class="sub">{e.last_scrape_at.as_deref().map(format::time).unwrap_or_else(|| "never".into())}</td>
                    <td class="num">{e.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{format!("{} of {} series", e.metrics_found, format::count(e.samples))}</td>
                    <td class="sub" data-testid="endpoint-notes">{e.notes.join("; ")}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>"Metrics endpoints"</h3>
        <table class="grid" data-testid="endpoints">
            <thead><tr>
                <th>"URL"</th><th>"Kind"</th><th class="num">"Broker"</th><th>"Last scrape"</th>
                <th>"At"</th><th class="num">"Took"</th><th class="num">"Known metrics found"</th>
                <th>"Notes"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
