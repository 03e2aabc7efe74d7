//! `/audit`: every attempted change — who, from where, what, in which cluster, and whether it
//! was done, refused or failed — filtered by actor, action, cluster, outcome and time (all in
//! the URL), with CSV and JSON Lines exports of the same selection.

use kafscope_api::{AuditItem, Page};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::{base, enc, href, use_api};
use crate::components::{show, Empty};
use kafscope_api::fmt as format;

const FILTERS: [(&str, &str); 6] = [
    ("actor", "Actor"),
    ("action", "Action (prefix)"),
    ("cluster", "Cluster"),
    ("outcome", "Outcome"),
    ("from", "From (RFC 3339)"),
    ("to", "To"),
];

fn outcome_badge(o: &str) -> &'static str {
    match o {
        "done" => "badge ok",
        "refused" => "badge warn",
        _ => "badge crit",
    }
}

#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let qs = Memo::new(move |_| {
        let q = query.read();
        FILTERS
            .iter()
            .filter_map(|(k, _)| {
                q.get(k)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", enc(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let rows = use_api::<Page<AuditItem>>(move || format!("/audit?limit=500&{}", qs.get()));
    let fields: Vec<(&'static str, &'static str, RwSignal<String>)> = FILTERS
        .iter()
        .map(|(k, l)| {
            (
                *k,
                *l,
                RwSignal::new(query.read_untracked().get(k).unwrap_or_default()),
            )
        })
        .collect();
    let fields2 = fields.clone();
    let navigate = use_navigate();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q: Vec<String> = fields2
            .iter()
            .filter(|(_, _, s)| !s.get_untracked().is_empty())
            .map(|(k, _, s)| format!("{k}={}", enc(&s.get_untracked())))
            .collect();
        navigate(
            &href(&format!("/audit?{}", q.join("&"))),
            Default::default(),
        );
    };
    let inputs = fields
        .into_iter()
        .map(|(k, label, sig)| {
            view! {
                <label class="field"><span>{label}</span>
                    <input type="text" name=k data-testid=format!("audit-{k}")
                        prop:value=move || sig.get() on:input=move |e| sig.set(event_target_value(&e))/>
                </label>
            }
        })
        .collect_view();
    let export =
        move |fmt: &str| format!("{}/api/v1/audit/export?format={fmt}&{}", base(), qs.get());
    view! {
        <h1>"Audit log"</h1>
        <form class="msg-form" on:submit=apply data-testid="audit-filters">
            <div class="row">{inputs}</div>
            <div class="row actions">
                <button type="submit">"Filter"</button>
                <a class="button" href=move || export("csv") download="" data-testid="audit-export-csv">"Export CSV"</a>
                <a class="button" href=move || export("jsonl") download="">"Export JSON Lines"</a>
            </div>
        </form>
        {show(rows, |page: Page<AuditItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No change matches.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|a| view! {
                <tr data-testid="audit-row">
                    <td class="sub">{format::time(&a.at)}</td>
                    <td>{a.actor.clone()}<div class="sub">{a.actor_kind.clone()}{a.source_addr.clone().map(|s| format!(" from {s}"))}</div></td>
                    <td><code>{a.action.clone()}</code></td>
                    <td>{a.cluster.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{a.target.clone()}</td>
                    <td><span class=outcome_badge(&a.outcome) data-testid="audit-outcome">{a.outcome.clone()}</span></td>
                    <td class="sub"><code>{a.detail.to_string()}</code></td>
                </tr>
            }).collect_view();
            view! {
                <table class="grid" data-testid="audit-table">
                    <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Cluster"</th><th>"Target"</th><th>"Outcome"</th><th>"Detail"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
    }
}
