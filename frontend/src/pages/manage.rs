//! Changes from the pages (issue 13): small forms where the user already looks, each
//! building a plan request; the plan's preview in numbers (the broker's verdict, warnings,
//! per-partition moves, config diffs with their meaning); execution after the name is typed
//! where the change destroys something; the result linked to the audit log; revert for an
//! executed offset reset. The server authorises every step; the forms only hide what the
//! principal may not do.

use std::collections::BTreeMap;

use kafscope_api::fmt as format;
use kafscope_api::{
    ConfigChange, ConfigListing, OffsetMove, Page, Plan, PlanDetail, PlanRequest, PurgeBefore,
    ResetTo, TopicSelection,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{enc, href, send_json, use_fetch, Load};

/// What the dialog is asked to plan: a new change, or the revert of an executed reset.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    New(PlanRequest),
    Revert(i64),
}

/// A plan waiting to be previewed, shared by a page's forms and its dialog.
pub type Pending = RwSignal<Option<Ask>>;

/// The plan dialog: asks for the plan when a request is set, shows it, executes it.
#[component]
pub fn PlanDialog(cluster: Signal<String>, request: Pending) -> impl IntoView {
    let plan: RwSignal<Load<Plan>> = RwSignal::new(Load::Loading);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let typed = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    // Each ask and action gets a number: an answer that is not the latest's is dropped, so
    // the dialog never shows (and executes) a plan other than the one asked for last.
    let seq = StoredValue::new(0u64);
    let next = move || {
        seq.update_value(|n| *n += 1);
        seq.get_value()
    };
    let current = move |mine: u64| seq.try_get_value() == Some(mine);
    Effect::new(move |_| {
        if let Some(ask) = request.get() {
            let mine = next();
            plan.set(Load::Loading);
            error.set(None);
            typed.set(String::new());
            let c = cluster.get_untracked();
            spawn_local(async move {
                let r = match ask {
                    Ask::New(req) => {
                        let body = serde_json::to_value(&req).ok();
                        send_json::<Plan>("POST", &format!("/clusters/{}/plans", enc(&c)), body)
                            .await
                    }
                    Ask::Revert(id) => {
                        send_json::<Plan>(
                            "POST",
                            &format!("/clusters/{}/plans/{id}/revert", enc(&c)),
                            None,
                        )
                        .await
                    }
                };
                if current(mine) {
                    plan.try_set(match r {
                        Ok(p) => Load::Ready(p),
                        Err(e) => Load::Failed(e),
                    });
                }
            });
        }
    });
    let act = move |what: &'static str| {
        let Load::Ready(p) = plan.get_untracked() else {
            return;
        };
        let c = cluster.get_untracked();
        let confirm = typed.get_untracked();
        busy.set(true);
        error.set(None);
        let mine = next();
        spawn_local(async move {
            let path = format!("/clusters/{}/plans/{}/{what}", enc(&c), p.id);
            let body = (what == "execute").then(|| serde_json::json!({"confirm": confirm}));
            let r = send_json::<Plan>("POST", &path, body).await;
            if !current(mine) {
                return;
            }
            match r {
                Ok(answer) => {
                    typed.try_set(String::new());
                    plan.try_set(Load::Ready(answer));
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    move || {
        request.with(|r| r.is_some()).then(|| {
            view! {
                <div class="dialog plan" role="dialog" aria-label="Plan of a change" data-testid="plan-dialog">
                    {move || match plan.get() {
                        Load::Loading => view! { <p class="state loading">"Asking the cluster what this change would do…"</p> }.into_any(),
                        Load::Failed(e) => view! { <p class="banner crit" data-testid="plan-error">{e}</p> }.into_any(),
                        Load::Ready(p) => plan_view(cluster.get_untracked(), p, typed, busy, act).into_any(),
                    }}
                    {move || error.get().map(|e| view! { <p class="banner crit" data-testid="plan-execute-error">{e}</p> })}
                    <div class="row actions">
                        <button type="button" data-testid="plan-close" on:click=move |_| request.set(None)>"Close"</button>
                    </div>
                </div>
            }
        })
    }
}

fn plan_view(
    cluster: String,
    p: Plan,
    typed: RwSignal<String>,
    busy: RwSignal<bool>,
    act: impl Fn(&'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let planned = p.state == "planned";
    let confirm = p.confirm.clone();
    let need = confirm.clone();
    let id = p.id;
    let execution = p.execution.clone().map(|x| {
        let audit = x.audit_id.map(|a| {
            let link = href(&format!("/audit?cluster={}", enc(&cluster)));
            view! { " " <a href=link data-testid="plan-audit">{format!("Audit entry #{a}")}</a> }
        });
        let failures = (!x.failures.is_empty()).then(|| {
            let rows = x.failures.iter().map(|f| view! {
                <tr><td>{f.item.clone()}</td><td><code>{f.error.clone()}</code></td><td>{f.message.clone()}</td></tr>
            }).collect_view();
            view! { <table class="grid" data-testid="plan-failures"><thead><tr><th>"What"</th><th>"Error"</th><th>"What to do"</th></tr></thead><tbody>{rows}</tbody></table> }
        });
        let class = if x.outcome == "done" { "banner ok" } else { "banner crit" };
        view! {
            <p class=class data-testid="plan-result">{x.message.clone()}" ("{x.by.clone()}", "{format::time(&x.at)}")"{audit}</p>
            {failures}
        }
    });
    view! {
        <h3 data-testid="plan-title">{format!("Plan {} — {}", p.id, p.target)}</h3>
        <p data-testid="plan-summary"><strong>{p.summary.clone()}</strong></p>
        {p.verdict.clone().map(|v| view! { <p class="banner ok" data-testid="plan-verdict">{v}</p> })}
        {(!p.warnings.is_empty()).then(|| {
            let items = p.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view();
            view! { <div class="banner warn" data-testid="plan-warnings"><strong>"Before you go on:"</strong><ul>{items}</ul></div> }
        })}
        {detail_view(&p.detail)}
        <p class="sub" data-testid="plan-preconditions">{format!("Checked again when executed: {}. The plan can be executed until {}.", p.preconditions.join("; "), format::time(&p.expires_at))}</p>
        {execution}
        {planned.then(|| view! {
            <div class="row actions">
                {confirm.clone().map(|c| view! {
                    <label class="field"><span>{format!("Type {c} to confirm")}</span>
                        <input type="text" data-testid="plan-confirm" prop:value=move || typed.get() on:input=move |e| typed.set(event_target_value(&e))/></label>
                })}
                " "<button type="button" class="danger" data-testid="plan-execute"
                    disabled=move || busy.get() || need.as_ref().is_some_and(|c| typed.get() != *c)
                    on:click=move |_| act("execute")>{format!("Execute plan {id}")}</button>
            </div>
        })}
        {(p.state != "planned" && p.state != "executing").then(|| view! { <p class="sub" data-testid="plan-state">{format!("State: {}", p.state)}</p> })}
        {p.revertible.then(|| view! {
            <div class="row actions">
                <button type="button" data-testid="plan-revert" disabled=move || busy.get() on:click=move |_| act("revert")>"Revert: plan the previous offsets"</button>
            </div>
        })}
    }
}

fn opt(v: Option<i64>) -> String {
    format::opt_num(v)
}

fn value_cell(v: &Option<String>, human: &Option<String>, sensitive: bool) -> String {
    match (v, human) {
        (_, _) if sensitive => "(sensitive)".into(),
        (Some(v), Some(h)) => format!("{v} ({h})"),
        (Some(v), None) => v.clone(),
        (None, _) => "—".into(),
    }
}

fn config_rows(changes: &[ConfigChange]) -> impl IntoView {
    let rows = changes
        .iter()
        .map(|c| {
            let after = if c.to_default {
                format!("default: {}", value_cell(&c.after, &c.after_human, c.sensitive))
            } else {
                value_cell(&c.after, &c.after_human, c.sensitive)
            };
            view! {
                <tr data-testid=format!("change-{}", c.name)>
                    <td><code>{c.name.clone()}</code>{c.config_type.clone().map(|t| view! { <span class="sub">" "{t}</span> })}</td>
                    <td data-testid="change-before">{value_cell(&c.before, &c.before_human, c.sensitive)}<span class="sub">{c.before_source.clone().map(|s| format!(" {s}")).unwrap_or_default()}</span></td>
                    <td data-testid="change-after">{after}</td>
                    <td class="sub">{c.documentation.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="plan-configs">
            <thead><tr><th>"Config"</th><th>"Now"</th><th>"After"</th><th>"Meaning"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn offset_rows(moves: &[OffsetMove]) -> impl IntoView {
    let rows = moves
        .iter()
        .map(|m| {
            view! {
                <tr data-testid=format!("move-{}-{}", m.topic, m.partition)>
                    <td>{m.topic.clone()}</td><td class="num">{m.partition}</td>
                    <td class="num" data-testid="move-current">{opt(m.current)}</td>
                    <td class="num" data-testid="move-new">{if m.new.is_none() && m.current.is_some() { "removed".to_string() } else { opt(m.new) }}</td>
                    <td class="num">{format!("{} → {}", opt(m.lag_before), opt(m.lag_after))}</td>
                    <td class="num">{opt(m.skipped)}</td><td class="num">{opt(m.reread)}</td>
                    <td class="sub">{m.note.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="plan-offsets">
            <thead><tr><th>"Topic"</th><th class="num">"Partition"</th><th class="num">"Committed"</th><th class="num">"New"</th>
                <th class="num">"Lag before → after"</th><th class="num">"Skipped"</th><th class="num">"Read again"</th><th>""</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn detail_view(d: &PlanDetail) -> AnyView {
    match d {
        PlanDetail::CreateTopic {
            partitions,
            replication_factor,
            configs,
            ..
        } => view! {
            <p>{format!("{} × {replication_factor} replicas", format::plural(*partitions as usize, "partition"))}</p>
            {(!configs.is_empty()).then(|| config_rows(configs))}
        }
        .into_any(),
        PlanDetail::AlterConfigs { changes, .. } => config_rows(changes).into_any(),
        PlanDetail::AddPartitions { from, to, .. } => {
            view! { <p data-testid="plan-partitions">{format!("{from} → {to} partitions")}</p> }.into_any()
        }
        PlanDetail::DeleteTopic {
            partitions,
            records,
            size_bytes,
            groups,
            ..
        } => {
            let rows = groups.iter().map(|g| view! {
                <tr><td>{g.group.clone()}</td><td class="num">{opt(g.lag)}</td><td class="num">{g.members}</td>
                    <td>{g.last_commit_at.as_deref().map(format::time).unwrap_or_else(|| "—".into())}</td></tr>
            }).collect_view();
            view! {
                <p data-testid="plan-delete-size">{format!("{}, {} records{}", format::plural(*partitions as usize, "partition"), opt(*records),
                    size_bytes.map(|b| format!(", {}", format::bytes(b as f64))).unwrap_or_default())}</p>
                {(!groups.is_empty()).then(|| view! {
                    <table class="grid" data-testid="plan-groups"><thead><tr><th>"Group reading it"</th><th class="num">"Lag"</th><th class="num">"Members"</th><th>"Last active"</th></tr></thead><tbody>{rows}</tbody></table>
                })}
            }
            .into_any()
        }
        PlanDetail::PurgeTopic {
            partitions,
            records,
            ..
        } => {
            let rows = partitions.iter().map(|i| view! {
                <tr data-testid=format!("purge-{}", i.partition)><td class="num">{i.partition}</td><td class="num">{format!("{} → {}", format::num(i.earliest), format::num(i.new_earliest))}</td>
                    <td class="num">{format::num(i.latest)}</td><td class="num" data-testid="purge-records">{format::num(i.records)}</td></tr>
            }).collect_view();
            view! {
                <p data-testid="plan-purge-total">{format!("{} records are deleted.", format::num(*records))}</p>
                <table class="grid" data-testid="plan-purge"><thead><tr><th class="num">"Partition"</th><th class="num">"Start offset"</th><th class="num">"End offset"</th><th class="num">"Records deleted"</th></tr></thead><tbody>{rows}</tbody></table>
            }
            .into_any()
        }
        PlanDetail::ResetOffsets {
            partitions,
            skipped,
            reread,
            ..
        } => view! {
            <p data-testid="plan-reset-total">{format!("{} records skipped, {} read again.", format::num(*skipped), format::num(*reread))}</p>
            {offset_rows(partitions)}
        }
        .into_any(),
        PlanDetail::DeleteGroup { offsets, .. } | PlanDetail::DeleteGroupOffsets { offsets, .. } => {
            offset_rows(offsets).into_any()
        }
        PlanDetail::ElectLeaders { partitions } => {
            let rows = partitions.iter().map(|m| view! {
                <tr><td>{m.topic.clone()}</td><td class="num">{m.partition}</td>
                    <td class="num">{m.leader.map(|l| l.to_string()).unwrap_or_else(|| "none".into())}</td><td class="num">{m.preferred}</td></tr>
            }).collect_view();
            view! {
                <table class="grid" data-testid="plan-leaders"><thead><tr><th>"Topic"</th><th class="num">"Partition"</th><th class="num">"Leader now"</th><th class="num">"Preferred leader"</th></tr></thead><tbody>{rows}</tbody></table>
            }
            .into_any()
        }
    }
}

/// The topics page's "Create topic" form: name rules as you type, then the plan.
#[component]
pub fn CreateTopic(cluster: Signal<String>, pending: Pending) -> impl IntoView {
    let open = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let partitions = RwSignal::new("3".to_string());
    let rf = RwSignal::new("1".to_string());
    let configs = RwSignal::new(String::new());
    let problem = Memo::new(move |_| {
        let n = name.get();
        if n.is_empty() {
            return Some(String::new());
        }
        if let Err(e) = kafscope_api::valid_topic_name(&n) {
            return Some(e);
        }
        if partitions.get().parse::<i32>().map_or(true, |p| p < 1) {
            return Some("partitions: a number of 1 or more".into());
        }
        if rf.get().parse::<i16>().map_or(true, |r| r < 1) {
            return Some("replication factor: a number of 1 or more".into());
        }
        kafscope_api::parse_configs(&configs.get()).err()
    });
    let preview = move |_| {
        let Ok(c) = kafscope_api::parse_configs(&configs.get_untracked()) else {
            return;
        };
        pending.set(Some(Ask::New(PlanRequest::CreateTopic {
            name: name.get_untracked().trim().to_string(),
            partitions: partitions.get_untracked().parse().unwrap_or(1),
            replication_factor: rf.get_untracked().parse().unwrap_or(1),
            configs: c,
        })));
    };
    let _ = cluster;
    view! {
        <p><button type="button" data-testid="create-topic-open" on:click=move |_| open.update(|o| *o = !*o)>"Create topic…"</button></p>
        {move || open.get().then(|| view! {
            <form class="msg-form" data-testid="create-topic-form" on:submit=move |e| e.prevent_default()>
                <div class="row">
                    <label class="field"><span>"Name"</span><input type="text" data-testid="create-topic-name" prop:value=move || name.get() on:input=move |e| name.set(event_target_value(&e))/></label>
                    <label class="field"><span>"Partitions"</span><input type="number" min="1" data-testid="create-topic-partitions" prop:value=move || partitions.get() on:input=move |e| partitions.set(event_target_value(&e))/></label>
                    <label class="field"><span>"Replication factor"</span><input type="number" min="1" data-testid="create-topic-rf" prop:value=move || rf.get() on:input=move |e| rf.set(event_target_value(&e))/></label>
                </div>
                <div class="row">
                    <label class="field wide"><span>"Configs, one key=value per line (retention.ms=86400000)"</span>
                        <textarea rows="3" data-testid="create-topic-configs" prop:value=move || configs.get() on:input=move |e| configs.set(event_target_value(&e))></textarea></label>
                </div>
                {move || problem.get().filter(|p| !p.is_empty()).map(|p| view! { <p class="banner warn" data-testid="create-topic-problem">{p}</p> })}
                <div class="row actions">
                    <button type="button" data-testid="create-topic-preview" disabled=move || problem.get().is_some() on:click=preview>"Preview"</button>
                </div>
            </form>
        })}
    }
}

/// Edit configs of a topic, a broker or the cluster-wide default: the current values with
/// their source and meaning; changed ones and ones returned to default become the plan.
#[component]
pub fn ConfigEditor(
    /// `/clusters/{c}/topics/{t}/configs`, `/clusters/{c}/brokers/{id}/configs` or
    /// `/clusters/{c}/configs`.
    path: Signal<String>,
    /// Builds the request from (set, delete).
    make: fn(Signal<String>, BTreeMap<String, String>, Vec<String>) -> PlanRequest,
    /// What `make` needs to name the target (a topic, a broker id).
    target: Signal<String>,
    pending: Pending,
    /// The source of values this resource sets itself (`dynamic_topic`, `dynamic_broker`, …).
    own: &'static str,
    editable: bool,
) -> impl IntoView {
    let again = RwSignal::new(0u64);
    let listing = use_fetch::<ConfigListing>(move || path.get(), again);
    let edits: RwSignal<BTreeMap<String, String>> = RwSignal::new(BTreeMap::new());
    let resets: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let filter = RwSignal::new(String::new());
    let new_key = RwSignal::new(String::new());
    let new_value = RwSignal::new(String::new());
    let preview = move |_| {
        let Load::Ready(l) = listing.get_untracked() else {
            return;
        };
        let mut set: BTreeMap<String, String> = edits
            .get_untracked()
            .into_iter()
            .filter(|(k, v)| {
                l.entries
                    .iter()
                    .any(|e| &e.name == k && e.value.as_deref() != Some(v.as_str()))
            })
            .collect();
        let k = new_key.get_untracked().trim().to_string();
        if !k.is_empty() {
            set.insert(k, new_value.get_untracked().trim().to_string());
        }
        pending.set(Some(Ask::New(make(target, set, resets.get_untracked()))));
    };
    move || match listing.get() {
        Load::Loading => view! { <p class="state loading">"Reading configs…"</p> }.into_any(),
        Load::Failed(e) => {
            view! { <p class="state error" data-testid="configs-error">{e}</p> }.into_any()
        }
        Load::Ready(l) => {
            let entries = StoredValue::new(l.entries.clone());
            view! {
                <div class="row"><input type="search" placeholder="Filter configs" aria-label="Filter configs" data-testid="configs-filter" prop:value=move || filter.get() on:input=move |e| filter.set(event_target_value(&e))/></div>
                <table class="grid" data-testid="config-editor">
                    <thead><tr><th>"Config"</th><th>"Value"</th><th>"Source"</th><th>"Meaning"</th></tr></thead>
                    <tbody>{move || {
                        let f = filter.get().to_lowercase();
                        entries.with_value(|es| es.iter().filter(|e| f.is_empty() || e.name.contains(&f)).map(|e| {
                            let name = e.name.clone();
                            let k1 = name.clone();
                            let k2 = name.clone();
                            let k3 = name.clone();
                            let current = e.value.clone().unwrap_or_default();
                            let can_edit = editable && !e.read_only && !e.sensitive;
                            let can_reset = editable && e.source == own;
                            let shown = value_cell(&e.value, &e.human, e.sensitive);
                            view! {
                                <tr data-testid=format!("config-{}", e.name)>
                                    <td><code>{e.name.clone()}</code>{e.config_type.clone().map(|t| view! { <span class="sub">" "{t}</span> })}</td>
                                    <td>{if can_edit {
                                        let cur = current.clone();
                                        view! {
                                            <input type="text" data-testid="config-value" aria-label=format!("Value of {}", e.name) prop:value=move || edits.with(|m| m.get(&k1).cloned()).unwrap_or_else(|| cur.clone())
                                                on:input=move |ev| { let v = event_target_value(&ev); edits.update(|m| { m.insert(k2.clone(), v); }); }/>
                                            <span class="sub">{e.human.clone().unwrap_or_default()}</span>
                                        }.into_any()
                                    } else {
                                        view! { <span>{shown}</span>{e.read_only.then(|| view! { " " <span class="badge muted">"read-only"</span> })} }.into_any()
                                    }}
                                    {can_reset.then(|| view! {
                                        <label class="sub"><input type="checkbox" data-testid="config-reset" on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            resets.update(|r| { r.retain(|x| x != &k3); if on { r.push(k3.clone()); } });
                                        }/>" back to default"</label>
                                    })}
                                    </td>
                                    <td>{e.source.clone()}</td>
                                    <td class="sub">{e.documentation.clone().unwrap_or_default()}</td>
                                </tr>
                            }
                        }).collect_view())
                    }}</tbody>
                </table>
                {editable.then(|| view! {
                    <div class="row">
                        <label class="field"><span>"Set another key"</span>
                            <input type="text" data-testid="config-new-name" placeholder="retention.ms" prop:value=move || new_key.get() on:input=move |e| new_key.set(event_target_value(&e))/></label>
                        <label class="field"><span>"to"</span>
                            <input type="text" data-testid="config-new-value" prop:value=move || new_value.get() on:input=move |e| new_value.set(event_target_value(&e))/></label>
                        <span class="sub">{move || format::config_value(&new_key.get(), None, &new_value.get()).unwrap_or_default()}</span>
                    </div>
                    <div class="row actions"><button type="button" data-testid="configs-preview" on:click=preview>"Preview changes"</button></div>
                })}
            }
            .into_any()
        }
    }
}

/// The topic page's actions: edit configs, add partitions, purge, delete.
#[component]
pub fn TopicActions(
    topic: Signal<String>,
    cluster: Signal<String>,
    partitions: Signal<usize>,
    /// The page's dialog (it outlives this form: a deleted topic's page keeps the result).
    pending: Pending,
) -> impl IntoView {
    let open: RwSignal<&'static str> = RwSignal::new("");
    let total = RwSignal::new(String::new());
    let before_kind = RwSignal::new("offset".to_string());
    let before_value = RwSignal::new(String::new());
    let purge_parts = RwSignal::new(String::new());
    let toggle = move |what: &'static str| open.update(|o| *o = if *o == what { "" } else { what });
    let grow = move |_| {
        pending.set(Some(Ask::New(PlanRequest::AddPartitions {
            topic: topic.get_untracked(),
            total: total.get_untracked().trim().parse().unwrap_or(0),
        })))
    };
    let purge = move |_| {
        let v = before_value.get_untracked();
        let before = if before_kind.get_untracked() == "time" {
            PurgeBefore::Time {
                at_ms: format::utc_datetime_ms(&v).unwrap_or(-1),
            }
        } else {
            PurgeBefore::Offset {
                offset: v.trim().parse().unwrap_or(-1),
            }
        };
        let parts = purge_parts.get_untracked();
        let partitions = partition_list(&parts).ok().flatten();
        pending.set(Some(Ask::New(PlanRequest::PurgeTopic {
            topic: topic.get_untracked(),
            before,
            partitions,
        })));
    };
    let config_path = Signal::derive(move || {
        format!(
            "/clusters/{}/topics/{}/configs",
            enc(&cluster.get()),
            enc(&topic.get())
        )
    });
    let cannot_grow = move || {
        total
            .get()
            .trim()
            .parse::<usize>()
            .map_or(true, |n| n <= partitions.get())
    };
    view! {
        <div class="row actions" data-testid="topic-actions">
            <button type="button" data-testid="action-configs" on:click=move |_| toggle("configs")>"Edit configs…"</button>
            <button type="button" data-testid="action-partitions" on:click=move |_| toggle("partitions")>"Add partitions…"</button>
            <button type="button" data-testid="action-purge" on:click=move |_| toggle("purge")>"Purge records…"</button>
            <button type="button" class="danger" data-testid="action-delete" on:click=move |_| pending.set(Some(Ask::New(PlanRequest::DeleteTopic { topic: topic.get_untracked() })))>"Delete topic…"</button>
        </div>
        {move || match open.get() {
            "configs" => view! {
                <ConfigEditor path=config_path target=topic pending own="dynamic_topic" editable=true
                    make=|t, set, delete| PlanRequest::AlterTopicConfigs { topic: t.get_untracked(), set, delete }/>
            }.into_any(),
            "partitions" => view! {
                <form class="msg-form" on:submit=move |e| e.prevent_default()>
                    <div class="row">
                        <label class="field"><span>{move || format!("Partitions in total (now {})", partitions.get())}</span>
                            <input type="number" data-testid="partitions-total" prop:value=move || total.get() on:input=move |e| total.set(event_target_value(&e))/></label>
                        <button type="button" data-testid="partitions-preview"
                            disabled=cannot_grow on:click=grow>"Preview"</button>
                    </div>
                </form>
            }.into_any(),
            "purge" => view! {
                <form class="msg-form" on:submit=move |e| e.prevent_default()>
                    <div class="row">
                        <label class="field"><span>"Delete records before"</span>
                            <select data-testid="purge-kind" on:change=move |e| { before_kind.set(event_target_value(&e)); before_value.set(String::new()); }>
                                <option value="offset" selected>"an offset"</option><option value="time">"a time (UTC)"</option>
                            </select></label>
                        <label class="field"><span>{move || if before_kind.get() == "time" { "Time (UTC)" } else { "Offset" }}</span>
                            <input type=move || if before_kind.get() == "time" { "datetime-local" } else { "number" } data-testid="purge-value"
                                prop:value=move || before_value.get() on:input=move |e| before_value.set(event_target_value(&e))/></label>
                        <label class="field"><span>"Partitions (empty: all; or 0,2,5)"</span>
                            <input type="text" data-testid="purge-partitions" prop:value=move || purge_parts.get() on:input=move |e| purge_parts.set(event_target_value(&e))/></label>
                        <button type="button" data-testid="purge-preview" disabled=move || before_value.get().trim().is_empty() || partition_list(&purge_parts.get()).is_err() on:click=purge>"Preview"</button>
                    </div>
                </form>
            }.into_any(),
            _ => ().into_any(),
        }}
    }
}

/// `0, 2,5` as partition numbers; empty: all (`None`); a word that is not one is an error.
fn partition_list(text: &str) -> Result<Option<Vec<i32>>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.split(',')
        .map(|p| {
            p.trim()
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("'{}' is not a partition number", p.trim()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The group page's actions: reset offsets, delete a topic's offsets, delete the group; and
/// the group's recent plans with revert.
#[component]
pub fn GroupActions(
    cluster: Signal<String>,
    group: Signal<String>,
    topics: Signal<Vec<String>>,
) -> impl IntoView {
    let pending: Pending = RwSignal::new(None);
    let open = RwSignal::new(false);
    let chosen: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let kind = RwSignal::new("earliest".to_string());
    let value = RwSignal::new(String::new());
    let offsets_topic = RwSignal::new(String::new());
    let reset = move |_| {
        let v = value.get_untracked();
        let n = v.trim().parse::<i64>().ok();
        let to = match kind.get_untracked().as_str() {
            "latest" => ResetTo::Latest,
            "time" => ResetTo::Timestamp {
                at_ms: format::utc_datetime_ms(&v).unwrap_or(-1),
            },
            "offset" => ResetTo::Offset {
                offset: n.unwrap_or(-1),
            },
            "shift" => ResetTo::Shift { by: n.unwrap_or(0) },
            "duration" => ResetTo::Duration {
                back_ms: n.unwrap_or(0).saturating_mul(60_000),
            },
            "group" => ResetTo::Group {
                group: v.trim().to_string(),
            },
            _ => ResetTo::Earliest,
        };
        let topics = chosen
            .get_untracked()
            .into_iter()
            .map(|topic| TopicSelection {
                topic,
                partitions: None,
            })
            .collect();
        pending.set(Some(Ask::New(PlanRequest::ResetOffsets {
            group: group.get_untracked(),
            topics,
            to,
        })));
    };
    let again = RwSignal::new(0u64);
    let plans = use_fetch::<Page<Plan>>(
        move || {
            format!(
                "/clusters/{}/plans?group={}",
                enc(&cluster.get()),
                enc(&group.get())
            )
        },
        again,
    );
    // A closed dialog may have executed something: list the plans again.
    Effect::new(move |_| {
        if pending.get().is_none() {
            again.update(|n| *n += 1);
        }
    });
    let needs_value = move || !matches!(kind.get().as_str(), "earliest" | "latest");
    view! {
        <div class="row actions" data-testid="group-actions">
            <button type="button" data-testid="action-reset" on:click=move |_| open.update(|o| *o = !*o)>"Reset offsets…"</button>
            <select aria-label="Topic whose offsets to delete" data-testid="offsets-topic" on:change=move |e| offsets_topic.set(event_target_value(&e))>
                <option value="" selected>"Delete offsets of topic…"</option>
                {move || topics.get().into_iter().map(|t| view! { <option value=t.clone()>{t.clone()}</option> }).collect_view()}
            </select>
            <button type="button" data-testid="action-delete-offsets" disabled=move || offsets_topic.get().is_empty()
                on:click=move |_| pending.set(Some(Ask::New(PlanRequest::DeleteGroupOffsets { group: group.get_untracked(), topic: offsets_topic.get_untracked() })))>"Preview"</button>
            <button type="button" class="danger" data-testid="action-delete-group" on:click=move |_| pending.set(Some(Ask::New(PlanRequest::DeleteGroup { group: group.get_untracked() })))>"Delete group…"</button>
        </div>
        {move || open.get().then(|| view! {
            <form class="msg-form" data-testid="reset-form" on:submit=move |e| e.prevent_default()>
                <div class="row">
                    <fieldset><legend class="sub">"Topics (none ticked: every topic it committed on)"</legend>
                        {move || topics.get().into_iter().map(|t| {
                            let t2 = t.clone();
                            view! { <label><input type="checkbox" data-testid=format!("reset-topic-{t}") on:change=move |e| {
                                let on = event_target_checked(&e);
                                chosen.update(|c| { c.retain(|x| x != &t2); if on { c.push(t2.clone()); } });
                            }/>" "{t.clone()}</label>" " }
                        }).collect_view()}
                    </fieldset>
                </div>
                <div class="row">
                    <label class="field"><span>"To"</span>
                        <select data-testid="reset-kind" on:change=move |e| { kind.set(event_target_value(&e)); value.set(String::new()); }>
                            <option value="earliest" selected>"the earliest offset"</option>
                            <option value="latest">"the latest offset (skip the backlog)"</option>
                            <option value="time">"a time (UTC)"</option>
                            <option value="duration">"minutes back from now"</option>
                            <option value="offset">"an offset"</option>
                            <option value="shift">"shifted by N (negative: back)"</option>
                            <option value="group">"another group's offsets"</option>
                        </select></label>
                    {move || needs_value().then(|| view! {
                        <label class="field"><span>{move || match kind.get().as_str() { "time" => "Time (UTC)", "duration" => "Minutes", "group" => "Group", "shift" => "N", _ => "Offset" }}</span>
                            <input type=move || match kind.get().as_str() { "time" => "datetime-local", "group" => "text", _ => "number" } data-testid="reset-value"
                                prop:value=move || value.get() on:input=move |e| value.set(event_target_value(&e))/></label>
                    })}
                    <button type="button" data-testid="reset-preview" disabled=move || needs_value() && value.get().trim().is_empty() on:click=reset>"Preview"</button>
                </div>
            </form>
        })}
        <PlanDialog cluster request=pending/>
        {move || match plans.get() {
            Load::Ready(p) if !p.items.is_empty() => {
                let rows = p.items.iter().take(10).map(|x| {
                    let by = x.execution.as_ref().map(|e| e.by.clone()).unwrap_or_else(|| x.created_by.clone());
                    let id = x.id;
                    view! {
                        <tr data-testid=format!("group-plan-{}", x.id)>
                            <td class="num">{x.id}</td><td>{x.summary.clone()}</td><td data-testid="group-plan-state">{x.state.clone()}</td>
                            <td>{by}</td><td>{format::time(&x.created_at)}</td>
                            <td>{x.revertible.then(|| view! {
                                <button type="button" data-testid="group-plan-revert" on:click=move |_| pending.set(Some(Ask::Revert(id)))>"Revert…"</button>
                            })}</td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <h3>"Changes"</h3>
                    <table class="grid" data-testid="group-plans"><thead><tr><th class="num">"Plan"</th><th>"What"</th><th>"State"</th><th>"By"</th><th>"Made"</th><th>""</th></tr></thead><tbody>{rows}</tbody></table>
                }.into_any()
            }
            _ => ().into_any(),
        }}
    }
}
