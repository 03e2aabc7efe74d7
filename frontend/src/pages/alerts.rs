//! `/alerts`: firing, pending and recently resolved alerts with links to what they concern,
//! the rules with their current evaluation, the receivers and the delivery log.

use kafscope_api::{AlertItem, DeliveryItem, Page, ReceiverItem, RuleItem, SilenceItem};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{enc, href, send_change, use_api};
use crate::components::{show, Empty};
use crate::pages::health::severity_badge;
use kafscope_api::fmt as format;

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
    view! {
        {(a.state != "resolved" && a.silenced_by.is_none()).then(|| view! {
            <button class="small" data-testid="silence-button"
                on:click=move |_| change(status, "/alerts/silences".into(), Some(silence.clone()), false, "Silenced for 1 h.")>"Silence 1 h"</button>
        })}
        {(firing && !acked).then(|| view! {
            " "<button class="small" data-testid="ack-button"
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
                        <td>{s.active.then(|| view! {
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
        {show(rules, |page: Page<RuleItem>| {
            let rows = page.items.into_iter().map(|r| view! {
                <tr data-testid=format!("rule-{}", r.id)>
                    <td><code>{r.id.clone()}</code>{(!r.enabled).then(|| view! { " " <span class="badge muted">"off"</span> })}</td>
                    <td>{r.condition.clone()}</td>
                    <td>{r.severity.map(|s| s.as_str().to_string()).unwrap_or_else(|| "as the problem".into())}</td>
                    <td class="num">{if r.for_seconds == 0 { "at once".to_string() } else { format::span_ms(r.for_seconds as i64 * 1000) }}</td>
                    <td class="num" class:alert={r.firing > 0}>{r.firing}</td>
                    <td class="num">{r.pending}</td>
                </tr>
            }).collect_view();
            view! {
                <table class="grid" data-testid="rules-table">
                    <thead><tr><th>"Rule"</th><th>"Condition"</th><th>"Severity"</th><th class="num">"For"</th><th class="num">"Firing"</th><th class="num">"Pending"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })}
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
                        <td><button class="small" on:click=move |_| change(status, path.clone(), None, false, "Test notification queued: see Deliveries.")>"Send test"</button></td>
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
