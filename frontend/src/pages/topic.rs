//! `/clusters/:cluster/topics/:topic`: partitions, configs and the groups reading the topic.

use kafscope_api::TopicDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::components::{show, ClusterHeader, LagBadge};
use kafscope_api::fmt as format;

#[component]
pub fn Topic() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let topic = Signal::derive(move || params.read().get("topic").unwrap_or_default());
    let detail = use_api::<TopicDetail>(move || {
        format!(
            "/clusters/{}/topics/{}",
            enc(&cluster.get()),
            enc(&topic.get())
        )
    });
    let summary = use_api::<kafscope_api::ClusterSummary>(move || {
        format!("/clusters/{}", enc(&cluster.get()))
    });
    // A bool: a new snapshot must not re-create the subjects line (and ask the registry).
    let has_registry = Memo::new(
        move |_| matches!(summary.get(), crate::api::Load::Ready(s) if s.schema_registry.is_some()),
    );
    let partitions = Memo::new(move |_| match detail.get() {
        crate::api::Load::Ready(t) => t.partitions.len(),
        _ => 0,
    });
    let pending: crate::pages::manage::Pending = RwSignal::new(None);
    let internal =
        Memo::new(move |_| matches!(detail.get(), crate::api::Load::Ready(t) if t.internal));
    view! {
        <ClusterHeader cluster active="topics"/>
        <h2 data-testid="topic-name">{move || topic.get()}</h2>
        {move || (crate::api::can("topics.manage", Some(&cluster.get())) && !internal.get() && partitions.get() > 0).then(|| view! {
            <crate::pages::manage::TopicActions cluster topic partitions=Signal::from(partitions) pending/>
        })}
        <crate::pages::manage::PlanDialog cluster request=pending/>
        {move || if crate::api::can("messages.read", Some(&cluster.get())) {
            view! { <p><a class="button" data-testid="messages-link"
                href=move || href(&format!("/clusters/{}/topics/{}/messages", enc(&cluster.get()), enc(&topic.get())))>"Browse messages"</a></p> }.into_any()
        } else {
            view! { <p class="sub" data-testid="messages-hidden">{crate::api::needs("messages.read")}" Message contents are not shown to viewers."</p> }.into_any()
        }}
        {move || has_registry.get().then(|| view! {
            <crate::pages::schemas::TopicSubjects cluster topic/>
        })}
        {show(detail, move |t: TopicDetail| body(cluster.get_untracked(), t))}
    }
}

fn body(cluster: String, t: TopicDetail) -> impl IntoView {
    let partitions = t.partitions.iter().map(|p| {
        let list = |v: &[i32]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
        let msgs = match (p.high_watermark, p.log_start_offset) {
            (Some(h), Some(l)) => Some(h - l),
            _ => None,
        };
        view! {
            <tr data-testid=format!("partition-row-{}", p.partition)>
                <td class="num">{p.partition}</td>
                <td class="num" class:alert=p.offline>{p.leader.map(|l| l.to_string()).unwrap_or_else(|| "none".into())}</td>
                <td>{list(&p.replicas)}</td>
                <td class:alert=p.under_replicated>{list(&p.isr)}</td>
                <td class="num" data-testid="log-start">{format::opt_num(p.log_start_offset)}</td>
                <td class="num" data-testid="high-watermark">{format::opt_num(p.high_watermark)}</td>
                <td class="num">{format::opt_num(msgs)}</td>
            </tr>
        }
    }).collect_view();
    let groups = if t.consumer_groups.is_empty() {
        view! { <p class="state empty" data-testid="no-groups">"No consumer group has committed offsets on this topic."</p> }.into_any()
    } else {
        let rows = t
            .consumer_groups
            .iter()
            .map(|g| {
                let link = href(&format!(
                    "/clusters/{}/consumer-groups/{}",
                    enc(&cluster),
                    enc(&g.group_id)
                ));
                view! {
                    <tr data-testid=format!("topic-group-{}", g.group_id)>
                        <td><a href=link>{g.group_id.clone()}</a></td>
                        <td class="num" data-testid="group-lag">{format::opt_num(g.lag)}</td>
                    <td class="num">{format::lag_time(g.lag_seconds, None)}</td>
                        <td class="num">{format::count(g.partitions_without_commit)}</td>
                        <td><LagBadge status=g.status/></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="grid" data-testid="topic-groups-table">
                <thead><tr><th>"Group"</th><th class="num">"Lag"</th><th class="num">"Lag (time)"</th><th class="num">"Partitions without commit"</th><th>"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    let configs = if t.configs.is_empty() {
        let why = t.configs_error.clone().unwrap_or_else(|| {
            "The broker reported no explicitly set configuration for this topic.".into()
        });
        view! { <p class="state empty" data-testid="no-configs">{why}</p> }.into_any()
    } else {
        let rows = t.configs.iter().map(|c| view! {
            <tr>
                <td><code>{c.name.clone()}</code></td>
                <td>{match &c.value { Some(v) => v.clone(), None if c.is_sensitive => "(hidden: sensitive)".into(), None => "—".into() }}</td>
                <td>{c.source.clone()}</td>
                <td>{if c.is_default { "default" } else { "set" }}</td>
            </tr>
        }).collect_view();
        view! {
            <table class="grid" data-testid="configs-table">
                <thead><tr><th>"Name"</th><th>"Value"</th><th>"Source"</th><th>""</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <div class="facts">
            <span>{format::plural(t.partitions.len(), "partition")}</span>
            {t.internal.then(|| view! { <span class="badge muted">"internal"</span> })}
            {t.data_at.clone().map(|d| view! { <span class="sub">"read "{format::time(&d)}</span> })}
        </div>
        <h3>"Partitions"</h3>
        <table class="grid" data-testid="partitions-table">
            <thead><tr>
                <th class="num">"Partition"</th><th class="num">"Leader"</th><th>"Replicas"</th><th>"In sync"</th>
                <th class="num">"Log start"</th><th class="num">"End offset"</th><th class="num">"Messages"</th>
            </tr></thead>
            <tbody>{partitions}</tbody>
        </table>
        <h3>"Consumer groups"</h3>
        {groups}
        <h3>"Configuration"</h3>
        {configs}
    }
}
