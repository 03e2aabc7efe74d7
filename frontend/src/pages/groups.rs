//! `/clusters/:cluster/consumer-groups`: groups with state, members, lag and status.

use kafscope_api::{GroupSummary, Page};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::chart::Sparkline;
use crate::components::{
    show, use_list_state, ClusterHeader, Empty, LagBadge, Pager, SearchBox, SortHeader,
};
use kafscope_api::fmt as format;

/// What a group type means, for its tooltip.
pub fn group_type_title(t: Option<&str>) -> &'static str {
    match t {
        Some("consumer") => "Kafka 4 consumer protocol (KIP-848): the broker assigns partitions",
        Some("classic") => "classic group protocol: the group leader assigns partitions",
        Some("share") => "share group (KIP-932): members share partitions record by record",
        _ => "the broker does not say (ListGroups before v5)",
    }
}

#[component]
pub fn Groups() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let state = use_list_state("group_id", "asc");
    let path = Signal::derive(move || {
        href(&format!(
            "/clusters/{}/consumer-groups",
            enc(&cluster.get())
        ))
    });
    let groups = use_api::<Page<GroupSummary>>(move || {
        format!(
            "/clusters/{}/consumer-groups{}",
            enc(&cluster.get()),
            state.get().api_query()
        )
    });
    view! {
        <ClusterHeader cluster active="consumer-groups"/>
        <div class="toolbar"><SearchBox placeholder="Filter consumer groups" state path/></div>
        {show(groups, move |page: Page<GroupSummary>| {
            if page.total == 0 {
                let q = state.get_untracked().q;
                let msg = if q.is_empty() { "This cluster has no consumer groups.".to_string() } else { format!("No consumer group matches '{q}'.") };
                return view! { <Empty message=msg/> }.into_any();
            }
            let c = cluster.get_untracked();
            let rows = page.items.into_iter().map(|g| {
                let link = href(&format!("/clusters/{}/consumer-groups/{}", enc(&c), enc(&g.group_id)));
                view! {
                    <tr data-testid=format!("group-row-{}", g.group_id)>
                        <td>
                            <a href=link>{g.group_id.clone()}</a>
                            {g.deleted.then(|| view! { " " <span class="badge muted" data-testid="deleted" title=g.deleted_at.clone().unwrap_or_default()>"deleted"</span> })}
                        </td>
                        <td data-testid="group-type" title=group_type_title(g.group_type.as_deref())>{g.group_type.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{g.state.clone().unwrap_or_else(|| "unknown".into())}</td>
                        <td class="num">{g.members.map(|m| m.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td class="sub">{g.topic_names.join(", ")}</td>
                        <td class="num" data-testid="group-lag" title=if g.lag_is_upper_bound { "upper bound: a compacted topic" } else { "" }>{format::opt_num(g.lag)}{g.lag_is_upper_bound.then_some(" ≤")}</td>
                        <td><Sparkline values=g.lag_trend.clone()/></td>
                        <td class="num" data-testid="group-lag-time">{format::lag_time(g.lag_seconds, g.lag_seconds_method.as_deref())}</td>
                        <td class="num">{format::count(g.partitions_without_commit)}</td>
                        <td><LagBadge status=g.status reason=g.status_reason.clone()/></td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="groups-table">
                    <thead><tr>
                        <SortHeader label="Group" field="group_id" state path/>
                        <SortHeader label="Type" field="group_type" state path/>
                        <SortHeader label="State" field="state" state path/>
                        <SortHeader label="Members" field="members" state path numeric=true/>
                        <th>"Topics"</th>
                        <SortHeader label="Lag" field="lag" state path numeric=true/>
                        <th>"Trend"</th>
                        <SortHeader label="Lag (time)" field="lag_seconds" state path numeric=true/>
                        <th class="num">"No commit"</th>
                        <SortHeader label="Status" field="status" state path desc_first=true/>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <Pager total=page.total state path/>
            }.into_any()
        })}
    }
}
