//! Kafscope's web UI: a Leptos client-side app compiled to WASM. Every view has its own URL;
//! data comes from the JSON API and refreshes on the server's snapshot events.

mod api;
mod chart;
mod components;
mod diagnosis;
mod metric_chart;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::api::{base, href, refresh_session, set_session, start_live_updates, Session};

#[component]
fn App() -> impl IntoView {
    let session = Session(RwSignal::new(None));
    set_session(session);
    refresh_session(session);
    provide_context(start_live_updates());
    // Signed in, or a console that needs no sign-in.
    let inside = move || {
        session
            .0
            .get()
            .is_some_and(|m| m.authenticated || !m.auth.enabled || !m.roles.is_empty())
    };
    let outside = move || {
        session
            .0
            .get()
            .filter(|m| m.auth.enabled && !m.authenticated && m.roles.is_empty())
    };
    view! {
        <Router base=base()>
            <nav class="top" aria-label="Main">
                <a class="brand" href=href("/")>"Kafscope"</a>
                <Show when=inside>
                    <components::HealthBadges/>
                    <components::AlertsBadge/>
                </Show>
                <pages::identity::UserMenu/>
                <components::ThemeSwitch/>
            </nav>
            <pages::identity::Banner/>
            <main>
                {move || outside().map(|me| view! { <pages::identity::SignIn me/> })}
                <Show when=inside>
                <Routes fallback=|| view! { <p class="state error" data-testid="not-found">"This page does not exist."</p> }>
                    <Route path=path!("/") view=pages::overview::Overview/>
                    <Route path=path!("/alerts") view=pages::alerts::Alerts/>
                    <Route path=path!("/clusters/:cluster/health") view=pages::health::Health/>
                    <Route path=path!("/clusters/:cluster/brokers") view=pages::brokers::Brokers/>
                    <Route path=path!("/clusters/:cluster/brokers/:broker") view=pages::broker::BrokerPage/>
                    <Route path=path!("/clusters/:cluster/topics") view=pages::topics::Topics/>
                    <Route path=path!("/clusters/:cluster/topics/:topic") view=pages::topic::Topic/>
                    <Route path=path!("/clusters/:cluster/topics/:topic/messages") view=pages::messages::Messages/>
                    <Route path=path!("/clusters/:cluster/schemas") view=pages::schemas::Subjects/>
                    <Route path=path!("/clusters/:cluster/schemas/:subject") view=pages::schemas::Subject/>
                    <Route path=path!("/clusters/:cluster/consumer-groups") view=pages::groups::Groups/>
                    <Route path=path!("/clusters/:cluster/consumer-groups/:group") view=pages::group::Group/>
                    <Route path=path!("/audit") view=pages::audit::Audit/>
                    <Route path=path!("/tokens") view=pages::tokens::Tokens/>
                </Routes>
                </Show>
            </main>
        </Router>
    }
}

/// Entry point called by the generated JS.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}
