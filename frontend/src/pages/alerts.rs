//! `/alerts`: firing, pending and recently resolved alerts with links to what they concern,
//! the rules with their current evaluation, the receivers and the delivery log.

use kafscope_api::{
    AlertEpisode, AlertItem, DeliveryItem, Page, ReceiverItem, RuleItem, SilenceItem,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{can, enc, href, needs, send_change, use_api};
use crate::components::{show, Empty};
use crate::pages::health::severity_badge;
use kafscope_api::fmt as format;

fn severity_badge_str(s: &str) -> &'static str {
    match s {
        "critical" => "badge crit",
        "warning" => "badge warn",
        _ => "badge muted",
    }
}

fn state_badge(state: &str) -> &'static str {
    match state {
        "firing" => "badge crit",
        "pending" => "badge warn",
        _ => "badge ok",
    }
}

/// Run a change and show its outcome in `status`.
fn change(
    status: RwSignal<Option<Result<String, String>>>,
    path: String,
    body: Option<serde_json::Value>,
    delete: bool,
    done: &'static str,
) {
    spawn_local(async move {
        let r = send_change(&path, body, delete).await;
        status.set(Some(r.map(|_| done.to_string())));
    });
}

/// One-click actions on an alert: silence it for an hour (matching its rule and what it
/// concerns), or acknowledge it (its repeats stop).
fn actions(a: &AlertItem, status: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    let mut matchers = serde_json::Map::new();
    for k in ["alertname", "cluster", "group", "topic", "broker"] {
        if let Some(v) = a.labels.get(k) {
            matchers.insert(k.into(), v.clone().into());
        }
    }
    let silence = serde_json::json!({"matchers": matchers, "duration": "1h",
        "comment": format!("silenced from the alerts page: {}", a.summary)});
    let ack = serde_json::json!({"fingerprint": a.fingerprint, "comment": "acknowledged from the alerts page"});
    let firing = a.state == "firing";
    let acked = a.acked_by.is_some();
    // Shown to everyone, usable by those who may handle the alert; the server decides.
    let cluster = a.cluster.clone();
    let allowed = Signal::derive(move || can("alerts.manage", Some(&cluster)));
    let why = move || (!allowed.get()).then(|| needs("alerts.manage"));
    view! {
        {(a.state != "resolved" && a.silenced_by.is_none()).then(|| view! {
            <button class="small" data-testid="silence-button" disabled=move || !allowed.get() title=why
                on:click=move |_| change(status, "/alerts/silences".into(), Some(silence.clone()), false, "Silenced for 1 h.")>"Silence 1 h"</button>
        })}
        {(firing && !acked).then(|| view! {
            " "<button class="small" data-testid="ack-button" disabled=move || !allowed.get() title=why
                on:click=move |_| change(status, "/alerts/ack".into(), Some(ack.clone()), false, "Acknowledged.")>"Acknowledge"</button>
        })}
    }
}

#[component]
pub fn Alerts() -> impl IntoView {
    let status: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let silences = use_api::<Page<SilenceItem>>(|| "/alerts/silences?limit=1000".to_string());
    let alerts = use_api::<Page<AlertItem>>(|| "/alerts?limit=1000".to_string());
    let rules = use_api::<Page<RuleItem>>(|| "/alerts/rules?limit=1000".to_string());
    let receivers = use_api::<Page<ReceiverItem>>(|| "/alerts/receivers?limit=1000".to_string());
    let deliveries = use_api::<Page<DeliveryItem>>(|| "/alerts/deliveries?limit=100".to_string());
    let history =
        use_api::<Page<AlertEpisode>>(|| "/alerts/history?range=7d&limit=200".to_string());
    view! {
        <h1>"Alerts"</h1>
        {move || status.get().map(|r| match r {
            Ok(m) => view! { <p class="banner ok" role="status" data-testid="action-ok">{m}</p> }.into_any(),
            Err(e) => view! { <p class="banner crit" role="alert" data-testid="action-error">{e}</p> }.into_any(),
        })}
        {show(alerts, move |page: Page<AlertItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No alert is firing or pending, and none resolved in the last hour.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|a| {
                let since = a.firing_since.clone().unwrap_or_else(|| a.active_since.clone());
                view! {
                    <tr data-testid=format!("alert-{}", a.rule)>
                        <td><span class=state_badge(&a.state) data-testid="alert-state">{a.state.clone()}</span></td>
                        <td><span class=severity_badge(a.severity)>{a.severity.as_str()}</span></td>
                        <td><a href=href(&a.link)>{a.summary.clone()}</a>
                            <div class="sub">{format!("{} · {}", a.cluster, a.rule)}</div></td>
                        <td class="sub">{format::time(&since)}
                            {a.resolved_at.clone().map(|r| format!(" → {}", format::time(&r)))}
                            {a.silenced_by.map(|id| format!(" · silenced (#{id})"))}
                            {a.acked_by.clone().map(|who| format!(" · acknowledged by {who}"))}</td>
                        <td>{actions(&a, status)}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="alerts-table">
                    <thead><tr><th>"State"</th><th>"Severity"</th><th>"Alert"</th><th>"Since"</th><th>"Actions"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
        <h3>"Silences"</h3>
        {show(silences, move |page: Page<SilenceItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No silence.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|s| {
                let matchers = s.matchers.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
                let id = s.id;
                view! {
                    <tr data-testid="silence-row">
                        <td>{if s.active { view! { <span class="badge warn">"active"</span> }.into_any() } else { view! { <span class="badge muted">"ended"</span> }.into_any() }}</td>
                        <td><code>{matchers}</code></td>
                        <td class="sub">{format!("{} → {}", format::time(&s.starts_at), format::time(&s.ends_at))}</td>
                        <td>{s.author.clone()}": "{s.comment.clone()}</td>
                        <td>{(s.active && can("alerts.manage", None)).then(|| view! {
                            <button class="small" on:click=move |_| change(status, format!("/alerts/silences/{id}"), None, true, "Silence ended.")>"End now"</button>
                        })}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="silences-table">
                    <thead><tr><th>"State"</th><th>"Matchers"</th><th>"When"</th><th>"By"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
        <h3>"Rules"</h3>
        {show(rules, move |page: Page<RuleItem>| {
            let rows = page.items.into_iter().map(|r| {
                let del = format!("/alerts/rules/{}", enc(&r.id));
                let api = r.source == "api" && can("alerts.manage", None);
                view! {
                <tr data-testid=format!("rule-{}", r.id)>
                    <td><code>{r.id.clone()}</code>{(!r.enabled).then(|| view! { " " <span class="badge muted">"off"</span> })}
                        <div class="sub">{r.source.clone()}
                        {api.then(|| view! { " "<button class="small" on:click=move |_| change(status, del.clone(), None, true, "Rule removed.")>"Remove"</button> })}</div></td>
                    <td>{r.condition.clone()}</td>
                    <td>{r.severity.map(|s| s.as_str().to_string()).unwrap_or_else(|| "as the problem".into())}</td>
                    <td class="num">{if r.for_seconds == 0 { "at once".to_string() } else { format::span_ms(r.for_seconds as i64 * 1000) }}</td>
                    <td class="num" class:alert={r.firing > 0}>{r.firing}</td>
                    <td class="num">{r.pending}</td>
                </tr>
            }}).collect_view();
            view! {
                <table class="grid" data-testid="rules-table">
                    <thead><tr><th>"Rule"</th><th>"Condition"</th><th>"Severity"</th><th class="num">"For"</th><th class="num">"Firing"</th><th class="num">"Pending"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })}
        {move || if can("alerts.manage", None) {
            view! { <RuleForm status/> }.into_any()
        } else {
            view! { <p class="sub" data-testid="rule-form-hidden">{needs("alerts.manage")}" Rules can be added here by an operator."</p> }.into_any()
        }}
        <h3>"Receivers"</h3>
        {show(receivers, move |page: Page<ReceiverItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No receiver is configured: alerts show here but notify no one. Add [[alerts.receivers]] (see the README).".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|r| {
                let path = format!("/alerts/receivers/{}/test", enc(&r.name));
                view! {
                    <tr>
                        <td>{r.name.clone()}</td><td><code>{r.url.clone()}</code></td><td>{r.format.clone()}</td>
                        <td>{format!("{} and above", r.min_severity.as_str())}</td>
                        <td>{if r.clusters.is_empty() { "all clusters".to_string() } else { r.clusters.join(", ") }}</td>
                        <td>{can("alerts.manage", None).then(|| view! {
                            <button class="small" on:click=move |_| change(status, path.clone(), None, false, "Test notification queued: see Deliveries.")>"Send test"</button>
                        })}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="receivers-table">
                    <thead><tr><th>"Name"</th><th>"URL"</th><th>"Format"</th><th>"Severity"</th><th>"Clusters"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
        <h3>"History (7 days)"</h3>
        {show(history, |page: Page<AlertEpisode>| {
            if page.items.is_empty() {
                return view! { <Empty message="No alert fired in the last 7 days.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|e| {
                let took = format::age(e.duration_seconds);
                view! {
                    <tr data-testid="episode-row">
                        <td class="sub">{format::time(&e.fired_at)}</td>
                        <td>{if e.resolved_at.is_some() { took } else { format!("{took}, still firing") }}</td>
                        <td><span class=severity_badge_str(&e.severity)>{e.severity.clone()}</span></td>
                        <td><a href=href(&e.link)>{e.summary.clone()}</a><div class="sub">{format!("{} · {}", e.cluster, e.rule)}</div></td>
                        <td class="sub">
                            {e.acked_by.clone().map(|w| format!("acknowledged by {w}"))}
                            {e.silence_author.clone().map(|w| format!(" · silenced by {w}")).or_else(|| e.silenced.then(|| " · silenced".to_string()))}
                        </td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="history-table">
                    <thead><tr><th>"Fired"</th><th>"Lasted"</th><th>"Severity"</th><th>"Alert"</th><th>"Handled"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
        <h3>"Deliveries"</h3>
        {show(deliveries, |page: Page<DeliveryItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No notification has been sent yet.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|d| view! {
                <tr data-testid="delivery-row">
                    <td><span class=state_badge(if d.state == "delivered" { "resolved" } else if d.state == "dead" { "firing" } else { "pending" })>{d.state.clone()}</span></td>
                    <td>{d.receiver.clone()}</td>
                    <td><code class="sub">{d.idempotency_key.clone()}</code></td>
                    <td class="num">{d.attempts}</td>
                    <td class="sub">{d.last_error.clone().unwrap_or_default()}</td>
                    <td class="sub">{format::time(&d.created_at)}</td>
                </tr>
            }).collect_view();
            view! {
                <table class="grid" data-testid="deliveries-table">
                    <thead><tr><th>"State"</th><th>"Receiver"</th><th>"Key"</th><th class="num">"Attempts"</th><th>"Last error"</th><th>"Created"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
    }
}

/// Add a rule (or change a built-in one) through the API.
#[component]
fn RuleForm(status: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    let id = RwSignal::new(String::new());
    let kind = RwSignal::new("group_lag_seconds".to_string());
    let cmp = RwSignal::new(">".to_string());
    let threshold = RwSignal::new(String::new());
    let groups = RwSignal::new(String::new());
    let metric = RwSignal::new(String::new());
    let severity = RwSignal::new("warning".to_string());
    let for_ = RwSignal::new("0s".to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list = |s: String| -> Vec<String> {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        };
        let mut body = serde_json::json!({
            "id": id.get_untracked().trim(),
            "kind": kind.get_untracked(),
            "cmp": cmp.get_untracked(),
            "severity": severity.get_untracked(),
            "for": for_.get_untracked(),
            "groups": list(groups.get_untracked()),
        });
        match threshold.get_untracked().trim().parse::<f64>() {
            Ok(t) => body["threshold"] = t.into(),
            Err(_) => {
                status.set(Some(Err("the threshold must be a number".into())));
                return;
            }
        }
        if kind.get_untracked() == "broker_metric" {
            body["metric"] = metric.get_untracked().trim().into();
        }
        change(
            status,
            "/alerts/rules".into(),
            Some(body),
            false,
            "Rule saved.",
        );
    };
    let field = |label: &'static str, sig: RwSignal<String>, testid: &'static str| {
        view! {
            <label>{label}" "<input prop:value=move || sig.get() on:input=move |e| sig.set(event_target_value(&e)) data-testid=testid/></label>
        }
    };
    view! {
        <form class="rule-form" on:submit=submit data-testid="rule-form">
            {field("Id", id, "rule-id")}
            <label>"Kind "<select on:change=move |e| kind.set(event_target_value(&e)) data-testid="rule-kind">
                <option value="group_lag_seconds" selected>"group lag (seconds)"</option>
                <option value="group_lag">"group lag (messages)"</option>
                <option value="group_rebalances">"group rebalances / hour"</option>
                <option value="broker_metric">"broker metric"</option>
            </select></label>
            <label>"Comparison "<select on:change=move |e| cmp.set(event_target_value(&e))>
                <option value=">" selected>">"</option><option value=">=">">="</option>
                <option value="<">"<"</option><option value="<=">"<="</option>
            </select></label>
            {field("Threshold", threshold, "rule-threshold")}
            {field("Groups (comma-separated)", groups, "rule-groups")}
            {field("Metric (broker metric)", metric, "rule-metric")}
            <label>"Severity "<select on:change=move |e| severity.set(event_target_value(&e))>
                <option value="warning" selected>"warning"</option><option value="critical">"critical"</option><option value="info">"info"</option>
            </select></label>
            {field("For", for_, "rule-for")}
            <button type="submit" data-testid="rule-save">"Save rule"</button>
        </form>
    }
}
