//! Who is signed in: the sign-in page (local users and single sign-on), the user menu in the
//! navigation, and the warning banner of a console running open.

use kafscope_api::{LoginRequest, LogoutResult, Me};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{base, can, enc, href, send_change_json, session};

fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// The page a visitor sees when sign-in is required.
#[component]
pub fn SignIn(me: Me) -> impl IntoView {
    let user = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let body = LoginRequest {
            username: user.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            let url = format!("{}/api/v1/auth/login", base());
            let r = gloo_net::http::Request::post(&url)
                .json(&body)
                .map_err(|e| e.to_string());
            let r = match r {
                Ok(req) => req.send().await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            busy.set(false);
            match r {
                Ok(resp) if resp.ok() => reload(),
                Ok(resp) => {
                    let msg = resp
                        .json::<kafscope_api::ErrorBody>()
                        .await
                        .map(|b| b.error.message)
                        .unwrap_or_else(|_| format!("the server answered HTTP {}", resp.status()));
                    error.set(Some(msg));
                }
                Err(e) => error.set(Some(format!("cannot reach the Kafscope server: {e}"))),
            }
        });
    };
    let here = web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_default();
    let sso = me.auth.oidc_label.clone().map(|label| {
        let url = format!("{}/auth/oidc/login?return_to={}", base(), enc(&here));
        view! { <p><a class="button primary" href=url rel="external" data-testid="sso-button">{label}</a></p> }
    });
    let local = me.auth.local_users.then(|| {
        view! {
            <form class="sign-in" on:submit=submit data-testid="sign-in-form">
                <label>"User name "<input type="text" autocomplete="username" required
                    prop:value=move || user.get() on:input=move |e| user.set(event_target_value(&e))/></label>
                <label>"Password "<input type="password" autocomplete="current-password" required
                    prop:value=move || password.get() on:input=move |e| password.set(event_target_value(&e))/></label>
                <button type="submit" disabled=move || busy.get()>"Sign in"</button>
            </form>
        }
    });
    let proxy = (me.auth.proxy && !me.auth.local_users && me.auth.oidc_label.is_none()).then(|| {
        view! { <p>"This console takes your identity from the proxy in front of it. Open it through that proxy."</p> }
    });
    view! {
        <section class="sign-in-page" data-testid="sign-in">
            <h1>"Sign in to Kafscope"</h1>
            {sso}
            {local}
            {proxy}
            {move || error.get().map(|e| view! { <p class="state error" role="alert" data-testid="sign-in-error">{e}</p> })}
        </section>
    }
}

/// The signed-in user, their roles and sign-out; links to the audit log and tokens.
#[component]
pub fn UserMenu() -> impl IntoView {
    let Some(s) = session() else {
        return ().into_any();
    };
    let sign_out = move |_| {
        spawn_local(async move {
            let r = send_change_json::<LogoutResult>("/auth/logout", serde_json::json!({})).await;
            match r.ok().and_then(|l| l.redirect) {
                Some(to) => {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().set_href(&to);
                    }
                }
                None => reload(),
            }
        });
    };
    view! {
        <span class="user-menu">
            {move || can("view", None).then(|| view! { <a href=href("/audit") data-testid="nav-audit">"Audit"</a> })}
            {move || can("admin", None).then(|| view! { " " <a href=href("/tokens") data-testid="nav-tokens">"Tokens"</a> })}
            {move || s.0.get().filter(|m| m.authenticated).map(|m| {
                let roles = if m.roles.is_empty() { "no role".to_string() } else { m.roles.join(", ") };
                let session_user = m.csrf_token.is_some();
                view! {
                    " "<span class="who" data-testid="user-name" title=format!("{} ({})", m.id, m.kind)>{m.display.clone()}</span>
                    " "<span class="sub" data-testid="user-roles">{roles}</span>
                    {session_user.then(|| view! { " "<button class="small" data-testid="sign-out" on:click=sign_out>"Sign out"</button> })}
                }
            })}
        </span>
    }
    .into_any()
}

/// The warning of a console that runs without sign-in on a shared address.
#[component]
pub fn Banner() -> impl IntoView {
    let Some(s) = session() else {
        return ().into_any();
    };
    view! {
        {move || s.0.get().and_then(|m| m.auth.banner).map(|b| view! {
            <p class="banner warn" role="alert" data-testid="open-banner">{b}</p>
        })}
    }
    .into_any()
}
