//! `/clusters/:cluster/topics`: search, sort and page through topics (server-side, so it
//! stays fast at 10 000 topics); the state lives in the URL.

use kafscope_api::{Page, TopicSummary};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::components::{show, use_list_state, ClusterHeader, Empty, Pager, SearchBox, SortHeader};
use kafscope_api::fmt as format;

#[component]
pub fn Topics() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let state = use_list_state("name", "asc");
    let path = Signal::derive(move || href(&format!("/clusters/{}/topics", enc(&cluster.get()))));
    let topics = use_api::<Page<TopicSummary>>(move || {
        format!(
            "/clusters/{}/topics{}",
            enc(&cluster.get()),
            state.get().api_query()
        )
    });
    let pending: crate::pages::manage::Pending = RwSignal::new(None);
    view! {
        <ClusterHeader cluster active="topics"/>
        {move || crate::api::can("topics.manage", Some(&cluster.get())).then(|| view! {
            <crate::pages::manage::CreateTopic cluster pending/>
        })}
        <crate::pages::manage::PlanDialog cluster request=pending/>
        <div class="toolbar"><SearchBox placeholder="Filter topics" state path/></div>
        {show(topics, move |page: Page<TopicSummary>| {
            if page.total == 0 {
                let q = state.get_untracked().q;
                let msg = if q.is_empty() { "This cluster has no topics.".to_string() } else { format!("No topic matches '{q}'.") };
                return view! { <Empty message=msg/> }.into_any();
            }
            let c = cluster.get_untracked();
            let rows = page.items.into_iter().map(|t| {
                let link = href(&format!("/clusters/{}/topics/{}", enc(&c), enc(&t.name)));
                view! {
                    <tr data-testid=format!("topic-row-{}", t.name)>
                        <td><a href=link>{t.name.clone()}</a>{t.internal.then(|| view! { " " <span class="badge muted">"internal"</span> })}</td>
                        <td class="num">{format::count(t.partitions)}</td>
                        <td class="num">{format::count(t.replication_factor)}</td>
                        <td class="num" class:alert={t.under_replicated_partitions > 0}>{format::count(t.under_replicated_partitions)}</td>
                        <td class="num" class:alert={t.offline_partitions > 0}>{format::count(t.offline_partitions)}</td>
                        <td class="num" data-testid="messages">{format::opt_num(t.messages)}</td>
                        <td class="num" data-testid="size" title=size_title(t.size_source.as_deref())>
                            {t.size_bytes.map(|b| format::bytes(b as f64)).unwrap_or_else(|| "—".into())}
                        </td>
                        <td class="num">{format::count(t.consumer_groups)}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="topics-table">
                    <thead><tr>
                        <SortHeader label="Topic" field="name" state path/>
                        <SortHeader label="Partitions" field="partitions" state path numeric=true/>
                        <SortHeader label="Replication" field="replication_factor" state path numeric=true/>
                        <SortHeader label="Under-replicated" field="under_replicated_partitions" state path numeric=true/>
                        <SortHeader label="Offline" field="offline_partitions" state path numeric=true/>
                        <SortHeader label="Messages" field="messages" state path numeric=true/>
                        <SortHeader label="Size" field="size_bytes" state path numeric=true/>
                        <SortHeader label="Groups" field="consumer_groups" state path numeric=true/>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <Pager total=page.total state path/>
            }.into_any()
        })}
    }
}

/// Where a topic's size comes from, for the cell's tooltip.
pub fn size_title(source: Option<&str>) -> String {
    match source {
        Some("describe_log_dirs") => "all replicas, from DescribeLogDirs".into(),
        Some("metrics") => "all replicas, from broker metrics (log Size)".into(),
        _ => {
            "unknown: no metrics endpoint exports log sizes and DescribeLogDirs gave nothing".into()
        }
    }
}
