//! `/clusters/:cluster/consumer-groups/:group`: members and per-partition offsets and lag.

use kafscope_api::GroupDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::chart::LagChart;
use crate::components::{show, ClusterHeader, LagBadge};
use kafscope_api::fmt as format;

#[component]
pub fn Group() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let group = Signal::derive(move || params.read().get("group").unwrap_or_default());
    let detail = use_api::<GroupDetail>(move || {
        format!(
            "/clusters/{}/consumer-groups/{}",
            enc(&cluster.get()),
            enc(&group.get())
        )
    });
    let topics = Memo::new(move |_| match detail.get() {
        crate::api::Load::Ready(g) => {
            let mut t: Vec<String> = g.offsets.iter().map(|r| r.topic.clone()).collect();
            t.dedup();
            t
        }
        _ => Vec::new(),
    });
    view! {
        <ClusterHeader cluster active="consumer-groups"/>
        <h2 data-testid="group-name">{move || group.get()}</h2>
        {move || crate::api::can("groups.manage", Some(&cluster.get())).then(|| view! {
            <crate::pages::manage::GroupActions cluster group topics=Signal::from(topics)/>
        })}
        {show(detail, move |g: GroupDetail| body(cluster.get_untracked(), g))}
        <h3>"Lag history"</h3>
        <LagChart cluster group/>
    }
}

fn catch_up(g: &GroupDetail) -> String {
    let r = &g.rates;
    match (r.pace.as_deref(), r.catch_up_seconds) {
        (Some("falling_behind"), _) => format!(
            "Falling behind: producers are faster ({} in, {} out)",
            format::per_sec(r.produce_rate),
            format::per_sec(r.consume_rate)
        ),
        (Some("not_consuming"), _) => match g.lag_seconds {
            Some(s) => format!(
                "Not consuming: nothing is produced or consumed; the backlog has waited {}",
                format::age(s.round() as u64)
            ),
            None => "Not consuming: nothing is produced or consumed".to_string(),
        },
        (Some("keeping_pace"), _) => {
            format!("Keeping pace: the lag holds at {}", format::opt_num(g.lag))
        }
        (_, Some(s)) if s <= 0.0 => "Caught up".to_string(),
        (_, Some(s)) => format!("Catches up in {}", format::age(s.round() as u64)),
        _ => "Catch-up time unknown yet".to_string(),
    }
}

fn assignment_text(a: &[kafscope_api::Assignment]) -> String {
    if a.is_empty() {
        return "nothing".into();
    }
    a.iter()
        .map(|a| {
            format!(
                "{} [{}]",
                a.topic,
                a.partitions
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Time until retention deletes unread records: "never at these rates" when none is in
/// sight but records are unread, "—" when nothing says.
fn margin_text(seconds: Option<f64>, records: Option<i64>) -> String {
    match (seconds, records) {
        (Some(s), _) if s <= 0.0 => "now".into(),
        (Some(s), _) => format!("≥ {}", format::age(s.round() as u64)),
        (None, Some(_)) => "not in sight".into(),
        (None, None) => "—".into(),
    }
}

fn margin_title(o: &kafscope_api::OffsetRow) -> String {
    let basis = match o.retention_margin_basis.as_deref() {
        Some("time_retention") => "the oldest unread record ages past retention.ms",
        Some("log_start_rate") => "the log start moves towards the committed offset",
        _ => "no retention deadline at the current rates",
    };
    format!(
        "{basis}; {} records between the log start and the committed offset",
        format::opt_num(o.retention_margin_records)
    )
}

fn body(cluster: String, g: GroupDetail) -> impl IntoView {
    let members = match (&g.members, &g.describe_error) {
        (Some(ms), _) if ms.is_empty() => view! { <p class="state empty" data-testid="no-members">"No active members: nothing is consuming for this group now."</p> }.into_any(),
        (Some(ms), _) => {
            let modern = g.group_type.as_deref() == Some("consumer");
            let rows = ms.iter().map(|m| {
                let assigned = assignment_text(&m.assignments);
                // While a consumer-protocol group reconciles, what a member owns and what the
                // coordinator wants it to own differ: both are shown.
                let target = m.target_assignments.as_ref()
                    .filter(|t| **t != m.assignments)
                    .map(|t| format!("→ {}", assignment_text(t)));
                let subscribed = match (&m.subscribed_topic_regex, &m.subscribed_topics) {
                    (Some(re), _) => format!("/{re}/"),
                    (None, Some(ts)) => ts.join(", "),
                    (None, None) => "—".into(),
                };
                view! {
                    <tr data-testid="member-row">
                        <td>
                            <code>{m.member_id.clone()}</code>
                            {m.group_instance_id.clone().map(|i| view! { <div class="sub">"instance "{i}</div> })}
                            {(m.classic_member == Some(true)).then(|| view! { <div class="sub">"classic-protocol member"</div> })}
                        </td>
                        <td data-testid="member-client">{m.client_id.clone()}</td>
                        <td>{m.host.clone()}{m.rack.clone().map(|r| format!(" (rack {r})"))}</td>
                        {modern.then(|| view! {
                            <td class="num">{m.member_epoch.map(|e| e.to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td class="sub">{subscribed}</td>
                        })}
                        <td data-testid="member-assignment">{assigned}{target.map(|t| view! { <div class="sub" data-testid="member-target">{t}</div> })}</td>
                    </tr>
                }
            }).collect_view();
            let rebalances = g.rebalances_last_hour.map(|n| format!(
                "{} in the last hour (member set changes seen between polls)",
                format::plural(n, "rebalance")
            ));
            view! {
                <table class="grid" data-testid="members-table">
                    <thead><tr>
                        <th>"Member"</th><th>"Client"</th><th>"Host"</th>
                        {modern.then(|| view! { <th class="num">"Epoch"</th><th>"Subscribed"</th> })}
                        <th>"Assigned"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                <p class="sub" data-testid="rebalances">{rebalances}</p>
            }.into_any()
        }
        (None, err) => {
            let why = err.clone().unwrap_or_else(|| "the broker did not describe this group".into());
            view! {
                <p class="state unavailable" data-testid="members-unavailable">
                    "Group state and members unavailable: "{why}". Lag below comes from committed and end offsets and is not affected."
                </p>
            }.into_any()
        }
    };
    let rows = g.offsets.iter().map(|o| {
        let topic_link = href(&format!("/clusters/{}/topics/{}", enc(&cluster), enc(&o.topic)));
        let lag_cell = match (o.lag, o.backlog, o.lost) {
            (_, _, Some(lost)) => format!("{} ({} lost)", format::opt_num(o.lag), format::num(lost)),
            (None, Some(b), None) if o.committed_offset.is_none() => format!("— ({} waiting)", format::num(b)),
            (lag, _, None) if o.lag_is_upper_bound => format!("≤ {} (compacted)", format::opt_num(lag)),
            (Some(lag), _, None) if o.lag_read_committed.is_some_and(|rc| rc != lag) => format!(
                "{} ({} for read_committed)",
                format::num(lag),
                format::opt_num(o.lag_read_committed)
            ),
            (lag, _, None) => format::opt_num(lag),
        };
        view! {
            <tr data-testid=format!("offset-row-{}-{}", o.topic, o.partition)>
                <td><a href=topic_link>{o.topic.clone()}</a></td>
                <td class="num">{o.partition}</td>
                <td class="num" data-testid="committed">{format::opt_num(o.committed_offset)}</td>
                <td class="num" data-testid="log-start">{format::opt_num(o.log_start_offset)}</td>
                <td class="num" data-testid="high-watermark">{format::opt_num(o.high_watermark)}</td>
                <td class="num" data-testid="lag">{lag_cell}</td>
                <td class="num" data-testid="lag-time" title=o.lag_seconds_method.clone().unwrap_or_default()>{format::lag_time(o.lag_seconds, o.lag_seconds_method.as_deref())}</td>
                <td class="num">{format::per_sec(o.produce_rate)}</td>
                <td class="num">{format::per_sec(o.consume_rate)}</td>
                <td class="num" data-testid="retention-margin" title=margin_title(o)>{margin_text(o.retention_margin_seconds, o.retention_margin_records)}</td>
                <td><LagBadge status=o.status reason=o.status_reason.clone()/><div class="sub reason">{o.status_reason.clone()}</div></td>
                <td class="sub">{o.member_id.clone().unwrap_or_else(|| "—".into())}</td>
            </tr>
        }
    }).collect_view();
    let offsets = if g.offsets.is_empty() {
        let why = g
            .offsets_error
            .clone()
            .unwrap_or_else(|| "This group has no committed offsets and no assignments.".into());
        view! { <p class="state empty" data-testid="no-offsets">{why}</p> }.into_any()
    } else {
        view! {
            <table class="grid" data-testid="offsets-table">
                <thead><tr>
                    <th>"Topic"</th><th class="num">"Partition"</th><th class="num">"Committed"</th>
                    <th class="num">"Log start"</th><th class="num">"End offset"</th><th class="num">"Lag"</th>
                    <th class="num">"Lag (time)"</th><th class="num">"Produced"</th><th class="num">"Consumed"</th>
                    <th class="num" title="How long until retention deletes records this group has not read, at the current rates">"Until data loss"</th>
                    <th>"Status"</th><th>"Owner"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }.into_any()
    };
    view! {
        <div class="facts">
            <span>"Type: "<strong data-testid="group-type" title=crate::pages::groups::group_type_title(g.group_type.as_deref())>{g.group_type.clone().unwrap_or_else(|| "unknown".into())}</strong></span>
            <span>"State: "<strong data-testid="group-state">{g.state.clone().unwrap_or_else(|| "unknown".into())}</strong></span>
            {g.group_epoch.map(|e| view! { <span data-testid="group-epoch">"Epoch "{e}{g.assignment_epoch.filter(|a| *a != e).map(|a| format!(" (assignment at {a})"))}</span> })}
            {g.protocol.clone().map(|p| view! { <span>"Assignor: "{p}</span> })}
            <span>"Total lag: "<strong data-testid="group-total-lag">{format::opt_num(g.lag)}</strong></span>
            {(g.partitions_without_commit > 0).then(|| view! { <span>{format::plural(g.partitions_without_commit, "partition")}" without a commit"</span> })}
            <span>"Lag (time): "<strong data-testid="group-lag-time">{format::lag_time(g.lag_seconds, g.lag_seconds_method.as_deref())}</strong></span>
            <span>"Produced "{format::per_sec(g.rates.produce_rate)}", consumed "{format::per_sec(g.rates.consume_rate)}</span>
            <span data-testid="catch-up">{catch_up(&g)}</span>
        </div>
        <p class="status-line" data-testid="group-status">
            <LagBadge status=g.status reason=g.status_reason.clone()/>" "
            <span data-testid="group-status-reason">{g.status_reason.clone()}</span>
            <span class="sub">{format!(" (judged over {})", format::span_ms(g.status_window_seconds as i64 * 1000))}</span>
        </p>
        <h3>"Members"</h3>
        {members}
        <h3>"Offsets and lag"</h3>
        {offsets}
    }
}
