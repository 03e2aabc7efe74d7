//! `/`: every configured cluster with its status and counts.

use kafscope_api::{ClusterSummary, Page};
use leptos::prelude::*;

use crate::api::{enc, href, use_api};
use crate::components::{show, ClusterBadge, Empty};
use crate::pages::health::verdict_badge;
use kafscope_api::fmt as format;

#[component]
pub fn Overview() -> impl IntoView {
    let clusters = use_api::<Page<ClusterSummary>>(|| "/clusters?limit=1000".to_string());
    view! {
        <section>
            <h1>"Clusters"</h1>
            {show(clusters, |page: Page<ClusterSummary>| {
                if page.items.is_empty() {
                    return view! { <Empty message="No clusters are configured.".to_string()/> }.into_any();
                }
                let rows = page.items.into_iter().map(row).collect_view();
                view! {
                    <table class="grid" data-testid="clusters-table">
                        <thead><tr>
                            <th>"Cluster"</th><th>"Status"</th><th>"Health"</th><th class="num">"Brokers"</th>
                            <th class="num">"Topics"</th><th class="num">"Partitions"</th>
                            <th class="num">"Under-replicated"</th><th class="num">"Offline"</th>
                            <th class="num">"Consumer groups"</th><th class="num">"Total lag"</th>
                            <th>"Last poll"</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            })}
        </section>
    }
}

fn connection_text(c: &kafscope_api::ConnectionPath) -> String {
    match c.group_reads.as_str() {
        "librdkafka" => format!("{}, groups through librdkafka", c.security),
        "" => String::new(),
        _ => c.security.clone(),
    }
}

fn row(c: ClusterSummary) -> impl IntoView {
    let name = c.name.clone();
    let topics = href(&format!("/clusters/{}/topics", enc(&name)));
    let brokers_link = href(&format!("/clusters/{}/brokers", enc(&name)));
    let groups_link = href(&format!("/clusters/{}/consumer-groups", enc(&name)));
    let health_link = href(&format!("/clusters/{}/health", enc(&name)));
    let health_text = match (c.critical_problems, c.warning_problems) {
        (0, 0) => verdict_badge(c.health).1.to_string(),
        (0, w) => format::plural(w, "warning"),
        (n, 0) => format!("{n} critical"),
        (n, w) => format!("{n} critical, {}", format::plural(w, "warning")),
    };
    let brokers = if c.brokers_down > 0 {
        format!("{} ({} down)", c.brokers, c.brokers_down)
    } else {
        c.brokers.to_string()
    };
    let poll = match (&c.last_poll.at, &c.last_poll.error) {
        (None, _) => "not yet".to_string(),
        (Some(_), Some(e)) => format!(
            "failed: {}",
            c.diagnosis
                .as_ref()
                .filter(|d| !d.ok)
                .map_or(e.as_str(), |d| d.verdict.as_str())
        ),
        (Some(_), None) => format!(
            "{} ago, took {} ms",
            format::age(c.data_age_seconds.unwrap_or(0)),
            c.last_poll.duration_ms.unwrap_or(0)
        ),
    };
    view! {
        <tr data-testid=format!("cluster-row-{name}")>
            <td>
                <a href=topics.clone()>{name.clone()}</a>
                <div class="sub">{c.bootstrap_servers.clone()}</div>
                <div class="sub" data-testid="connection" title=c.connection.reason.clone().unwrap_or_else(|| "consumer groups and log dirs are read over Kafscope's own batched connections".into())>
                    {connection_text(&c.connection)}
                </div>
            </td>
            <td><ClusterBadge status=c.status/></td>
            <td><a href=health_link data-testid="health-link">
                <span class=verdict_badge(c.health).0>{health_text}</span>
            </a></td>
            <td class="num"><a href=brokers_link data-testid="brokers-count">{brokers}</a></td>
            <td class="num"><a href=topics data-testid="topics-count">{format::count(c.topics)}</a></td>
            <td class="num">{format::count(c.partitions)}</td>
            <td class="num" class:alert={c.under_replicated_partitions > 0 || c.metrics_under_replicated_partitions.is_some_and(|v| v > 0.0)}
                data-testid="urp" title="from metadata; in parentheses, the brokers' own UnderReplicatedPartitions">
                {format::count(c.under_replicated_partitions)}
                {c.metrics_under_replicated_partitions.map(|v| format!(" (brokers: {})", format::metric(Some(v), "count")))}
            </td>
            <td class="num" class:alert={c.offline_partitions > 0}>{format::count(c.offline_partitions)}</td>
            <td class="num"><a href=groups_link data-testid="groups-count">{format::count(c.consumer_groups)}</a></td>
            <td class="num">{format::opt_num(c.total_lag)}</td>
            <td class="sub" data-testid="last-poll">{poll}</td>
        </tr>
    }
}
