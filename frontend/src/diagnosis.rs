//! Why a cluster or broker cannot be read (the server's connection check), and the "Test
//! connection" action that runs the check now.

use kafscope_api::Diagnosis;
use leptos::prelude::*;

use crate::api::{enc, send_change_json};

/// The verdict, the setting to check, and each address's outcome.
pub fn diagnosis_view(d: &Diagnosis) -> impl IntoView {
    let rows = d
        .targets
        .iter()
        .map(|t| {
            let who = match t.broker_id {
                Some(id) => format!("broker {id}"),
                None => t.role.clone(),
            };
            let outcome = match (&t.step, &t.message) {
                (Some(step), Some(m)) => format!("failed at {}: {m}", step.replace('_', " ")),
                _ => format!("every step passed ({} ms)", t.took_ms),
            };
            view! {
                <tr class:alert=!t.ok>
                    <td>{who}</td><td><code>{t.address.clone()}</code></td>
                    <td data-testid="target-outcome">{outcome}</td>
                </tr>
            }
        })
        .collect_view();
    let warnings = d
        .warnings
        .iter()
        .map(|w| view! { <li>{w.clone()}</li> })
        .collect_view();
    view! {
        <div class="diagnosis" data-testid="diagnosis" data-cause=d.cause.clone().unwrap_or_default()>
            <p data-testid="diagnosis-verdict">{d.verdict.clone()}</p>
            {d.setting.clone().map(|s| view! {
                <p>"Check: "<strong data-testid="diagnosis-setting">{s}</strong></p>
            })}
            <details>
                <summary>{format!("Checked over {} at {}", d.security, d.checked_at)}</summary>
                <table class="grid compact"><tbody>{rows}</tbody></table>
            </details>
            {(!d.warnings.is_empty()).then(|| view! { <ul>{warnings}</ul> })}
        </div>
    }
}

/// A button that runs the connection check now and shows its verdict.
#[component]
pub fn TestConnection(cluster: Signal<String>) -> impl IntoView {
    let (result, set_result) = signal(None::<Result<Diagnosis, String>>);
    let (busy, set_busy) = signal(false);
    let run = move |_| {
        let c = cluster.get_untracked();
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            let path = format!("/clusters/{}/test-connection", enc(&c));
            let r = send_change_json::<Diagnosis>(&path, serde_json::json!({})).await;
            set_result.set(Some(r));
            set_busy.set(false);
        });
    };
    view! {
        <div class="test-connection">
            <button type="button" data-testid="test-connection" on:click=run disabled=busy
                title="Connect to every bootstrap server and broker now, step by step: name lookup, TCP, TLS, ApiVersions, SASL, Metadata, authorisation">
                {move || if busy.get() { "Testing the connection…" } else { "Test connection" }}
            </button>
            {move || result.get().map(|r| match r {
                Ok(d) => view! {
                    <div class=if d.ok { "banner ok" } else { "banner crit" } data-testid="test-connection-result">
                        {diagnosis_view(&d)}
                    </div>
                }.into_any(),
                Err(e) => view! {
                    <div class="banner crit" data-testid="test-connection-result">{e}</div>
                }.into_any(),
            })}
        </div>
    }
}
