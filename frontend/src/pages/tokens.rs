//! `/tokens` (admins): API tokens with their role, scope and expiry; a new token is shown
//! once; revoking takes effect at the next request.

use kafscope_api::{CreatedToken, Page, RoleItem, TokenItem};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{send_change, send_change_json, use_api};
use crate::components::{show, Empty};
use kafscope_api::fmt as format;

#[component]
pub fn Tokens() -> impl IntoView {
    let tokens = use_api::<Page<TokenItem>>(|| "/tokens".to_string());
    let roles = use_api::<Vec<RoleItem>>(|| "/auth/roles".to_string());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_string());
    let expires = RwSignal::new("90d".to_string());
    let clusters = RwSignal::new(String::new());
    let topics = RwSignal::new(String::new());
    let groups = RwSignal::new(String::new());
    let created: RwSignal<Option<String>> = RwSignal::new(None);
    let status: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let opt = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());
        let body = serde_json::json!({
            "name": name.get_untracked(),
            "role": role.get_untracked(),
            "expires_in": expires.get_untracked(),
            "clusters": clusters.get_untracked().split(',').map(str::trim).filter(|c| !c.is_empty()).collect::<Vec<_>>(),
            "topics": opt(topics),
            "consumer_groups": opt(groups),
        });
        spawn_local(async move {
            match send_change_json::<CreatedToken>("/tokens", body).await {
                Ok(t) => {
                    created.set(Some(t.token));
                    status.set(Some(Ok(format!("Token '{}' created.", t.item.name))));
                    name.set(String::new());
                }
                Err(e) => status.set(Some(Err(e))),
            }
        });
    };
    let field = |label: &'static str,
                 sig: RwSignal<String>,
                 testid: &'static str,
                 hint: &'static str| {
        view! {
            <label class="field"><span>{label}</span>
                <input type="text" placeholder=hint data-testid=testid prop:value=move || sig.get()
                    on:input=move |e| sig.set(event_target_value(&e))/></label>
        }
    };
    view! {
        <h1>"API tokens"</h1>
        <p class="sub">"Tokens authenticate scripts and portals: `Authorization: Bearer <token>`. Each has a role, an optional scope and an expiry. Only a hash is stored: a token is shown once, here, when it is made."</p>
        {move || created.get().map(|t| view! {
            <div class="banner ok" data-testid="new-token">
                <p>"Copy it now — it will not be shown again:"</p>
                <code data-testid="new-token-value">{t}</code>
            </div>
        })}
        {move || status.get().map(|r| match r {
            Ok(m) => view! { <p class="state" role="status">{m}</p> }.into_any(),
            Err(e) => view! { <p class="state error" role="alert" data-testid="token-error">{e}</p> }.into_any(),
        })}
        <form class="msg-form" on:submit=submit data-testid="token-form">
            <div class="row">
                {field("Name", name, "token-name", "ci-deploy")}
                <label class="field"><span>"Role"</span>
                    <select data-testid="token-role" on:change=move |e| role.set(event_target_value(&e))>
                        {move || match roles.get() {
                            crate::api::Load::Ready(rs) => rs.into_iter().map(|r| {
                                let n = r.name.clone();
                                view! { <option value=n.clone() selected=move || role.get() == n title=r.permissions.join(", ")>{r.name.clone()}</option> }
                            }).collect_view().into_any(),
                            _ => ().into_any(),
                        }}
                    </select></label>
                <label class="field"><span>"Expires in"</span>
                    <select on:change=move |e| expires.set(event_target_value(&e))>
                        <option value="7d">"7 days"</option>
                        <option value="30d">"30 days"</option>
                        <option value="90d" selected>"90 days"</option>
                        <option value="365d">"a year"</option>
                    </select></label>
            </div>
            <div class="row">
                {field("Clusters (comma-separated; empty: all)", clusters, "token-clusters", "")}
                {field("Topics (regular expression)", topics, "token-topics", "^payments\\.")}
                {field("Consumer groups (regular expression)", groups, "token-groups", "")}
            </div>
            <div class="row actions"><button type="submit" data-testid="token-create">"Create token"</button></div>
        </form>
        {show(tokens, move |page: Page<TokenItem>| {
            if page.items.is_empty() {
                return view! { <Empty message="No token yet.".to_string()/> }.into_any();
            }
            let rows = page.items.into_iter().map(|t| {
                let id = t.id;
                let scope = [
                    (!t.clusters.is_empty()).then(|| format!("clusters {}", t.clusters.join(", "))),
                    t.topics.clone().map(|r| format!("topics /{r}/")),
                    t.consumer_groups.clone().map(|r| format!("groups /{r}/")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                let active = t.state == "active";
                view! {
                    <tr data-testid=format!("token-row-{}", t.name)>
                        <td>{t.name.clone()}</td>
                        <td>{t.role.clone()}<div class="sub">{if scope.is_empty() { "everywhere".to_string() } else { scope }}</div></td>
                        <td class="sub">{t.created_by.clone()}" · "{format::time(&t.created_at)}</td>
                        <td class="sub">{t.expires_at.as_deref().map(format::time).unwrap_or_else(|| "never".into())}</td>
                        <td class="sub">{t.last_used_at.as_deref().map(format::time).unwrap_or_else(|| "never".into())}</td>
                        <td><span class=if active { "badge ok" } else { "badge muted" }>{t.state.clone()}</span></td>
                        <td>{active.then(|| view! {
                            <button class="small" data-testid="token-revoke" on:click=move |_| {
                                spawn_local(async move {
                                    let r = send_change(&format!("/tokens/{id}"), None, true).await;
                                    status.set(Some(r.map(|_| "Token revoked.".to_string())));
                                });
                            }>"Revoke"</button>
                        })}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="tokens-table">
                    <thead><tr><th>"Name"</th><th>"Role and scope"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th>"State"</th><th></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
    }
}
