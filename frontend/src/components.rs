//! Pieces shared by the pages: status badges, the designed loading/error/empty states,
//! sortable headers, the pager and the cluster header with its tabs and reachability banner.

use kafscope_api::{ClusterStatus, ClusterSummary, LagStatus};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::api::{enc, href, use_api, Load};
use kafscope_api::fmt as format;

pub fn cluster_status_text(s: ClusterStatus) -> &'static str {
    match s {
        ClusterStatus::Ok => "ok",
        ClusterStatus::Degraded => "degraded",
        ClusterStatus::Unreachable => "unreachable",
        ClusterStatus::Unknown => "not polled yet",
    }
}

#[component]
pub fn ClusterBadge(status: ClusterStatus) -> impl IntoView {
    let class = match status {
        ClusterStatus::Ok => "badge ok",
        ClusterStatus::Degraded => "badge warn",
        ClusterStatus::Unreachable => "badge crit",
        ClusterStatus::Unknown => "badge muted",
    };
    view! { <span class=class data-testid="cluster-status">{cluster_status_text(status)}</span> }
}

pub fn lag_status_title(s: LagStatus) -> &'static str {
    match s {
        LagStatus::Idle => "nothing produced, nothing owed",
        LagStatus::TopicDeleted => "the topic no longer exists",
        LagStatus::Inactive => "abandoned: no commit and no member for a long time",
        LagStatus::Ok => "consuming",
        LagStatus::NoCommit => "no committed offset: lag unknown",
        LagStatus::Slow => "committing, but lag is growing",
        LagStatus::Rewind => "committed offset went backwards",
        LagStatus::Stopped => "committed offset flat and no live owner",
        LagStatus::Stalled => "committed offset flat while owned and lagging",
        LagStatus::DataLoss => "committed offset below log start: records deleted unread",
    }
}

#[component]
pub fn LagBadge(
    status: LagStatus,
    #[prop(optional, into)] reason: Option<String>,
) -> impl IntoView {
    let class = format!("badge {}", status.tone());
    let title = reason.unwrap_or_else(|| lag_status_title(status).to_string());
    view! { <span class=class title=title data-testid="lag-status">{status.as_str()}</span> }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="state loading" data-testid="loading" role="status">"Loading…"</p> }
}

#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    view! { <p class="state error" data-testid="error" role="alert">{message}</p> }
}

#[component]
pub fn Empty(message: String) -> impl IntoView {
    view! { <p class="state empty" data-testid="empty">{message}</p> }
}

/// Render a load: loading, error, or the view made from the data.
pub fn show<T, V>(
    load: ReadSignal<Load<T>>,
    ready: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match load.get() {
        Load::Loading => view! { <Loading/> }.into_any(),
        Load::Failed(e) => view! { <ErrorBox message=e/> }.into_any(),
        Load::Ready(v) => ready(v).into_any(),
    }
}

/// List state kept in the URL's query string: filter, sort, order, page.
#[derive(Clone, Debug, PartialEq)]
pub struct ListState {
    pub q: String,
    pub sort: String,
    pub order: String,
    pub page: usize,
}

pub const PAGE_SIZE: usize = 50;

impl ListState {
    /// The API query for this state.
    pub fn api_query(&self) -> String {
        let mut s = format!(
            "?limit={PAGE_SIZE}&offset={}&sort={}&order={}",
            self.page * PAGE_SIZE,
            enc(&self.sort),
            enc(&self.order)
        );
        if !self.q.is_empty() {
            s.push_str(&format!("&q={}", enc(&self.q)));
        }
        s
    }
    fn ui_query(&self) -> String {
        let mut parts = vec![
            format!("sort={}", enc(&self.sort)),
            format!("order={}", enc(&self.order)),
        ];
        if !self.q.is_empty() {
            parts.push(format!("q={}", enc(&self.q)));
        }
        if self.page > 0 {
            parts.push(format!("page={}", self.page + 1));
        }
        format!("?{}", parts.join("&"))
    }
}

/// Read the list state from the URL, with defaults.
pub fn use_list_state(default_sort: &'static str, default_order: &'static str) -> Memo<ListState> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        ListState {
            q: q.get("q").unwrap_or_default(),
            sort: q.get("sort").unwrap_or_else(|| default_sort.to_string()),
            order: q.get("order").unwrap_or_else(|| default_order.to_string()),
            page: q
                .get("page")
                .and_then(|p| p.parse::<usize>().ok())
                .map(|p| p.saturating_sub(1))
                .unwrap_or(0),
        }
    })
}

/// Replace the list state in the URL (no new history entry for typing).
pub fn set_list_state(path: String, state: ListState) {
    let navigate = use_navigate();
    navigate(
        &format!("{}{}", path, state.ui_query()),
        NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        },
    );
}

/// A column header that sorts the list by `field`.
#[component]
pub fn SortHeader(
    label: &'static str,
    field: &'static str,
    state: Memo<ListState>,
    path: Signal<String>,
    /// Right-aligned, and sorted largest first on the first click.
    #[prop(optional)]
    numeric: bool,
    /// Sorted descending on the first click (e.g. severity), without right alignment.
    #[prop(optional)]
    desc_first: bool,
) -> impl IntoView {
    let navigate = use_navigate();
    let on_click = move |_| {
        let mut s = state.get_untracked();
        if s.sort == field {
            s.order = if s.order == "asc" {
                "desc".into()
            } else {
                "asc".into()
            };
        } else {
            s.sort = field.to_string();
            s.order = if numeric || desc_first {
                "desc".into()
            } else {
                "asc".into()
            };
        }
        s.page = 0;
        navigate(
            &format!("{}{}", path.get_untracked(), s.ui_query()),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let arrow = move || {
        let s = state.get();
        if s.sort == field {
            if s.order == "asc" {
                " ▲"
            } else {
                " ▼"
            }
        } else {
            ""
        }
    };
    let aria = move || {
        let s = state.get();
        if s.sort == field {
            if s.order == "asc" {
                "ascending"
            } else {
                "descending"
            }
        } else {
            "none"
        }
    };
    view! {
        <th class:num=numeric aria-sort=aria>
            <button class="sort" on:click=on_click data-testid=format!("sort-{field}")>{label}{arrow}</button>
        </th>
    }
}

/// Previous/next paging with the position.
#[component]
pub fn Pager(total: usize, state: Memo<ListState>, path: Signal<String>) -> impl IntoView {
    let s = state.get_untracked();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let first = if total == 0 {
        0
    } else {
        s.page * PAGE_SIZE + 1
    };
    let last = ((s.page + 1) * PAGE_SIZE).min(total);
    let go = move |delta: isize| {
        let mut st = state.get_untracked();
        st.page = (st.page as isize + delta).max(0) as usize;
        set_list_state(path.get_untracked(), st);
    };
    let prev_disabled = s.page == 0;
    let next_disabled = s.page + 1 >= pages;
    view! {
        <div class="pager" data-testid="pager">
            <button on:click=move |_| go(-1) disabled=prev_disabled>"← Previous"</button>
            <span>{format!("{first}–{last} of {}", format::count(total))}</span>
            <button on:click=move |_| go(1) disabled=next_disabled>"Next →"</button>
        </div>
    }
}

/// A search box bound to the list state's `q`.
#[component]
pub fn SearchBox(
    placeholder: &'static str,
    state: Memo<ListState>,
    path: Signal<String>,
) -> impl IntoView {
    let on_input = move |ev| {
        let mut s = state.get_untracked();
        s.q = event_target_value(&ev);
        s.page = 0;
        set_list_state(path.get_untracked(), s);
    };
    view! {
        <input type="search" class="search" placeholder=placeholder aria-label=placeholder
            prop:value=move || state.get().q on:input=on_input data-testid="search"/>
    }
}

/// The cluster's name, status and tabs, and a banner when the data is stale or partial.
#[component]
pub fn ClusterHeader(cluster: Signal<String>, active: &'static str) -> impl IntoView {
    let summary = use_api::<ClusterSummary>(move || format!("/clusters/{}", enc(&cluster.get())));
    let tab = move |name: &'static str, label: &'static str| {
        let link = move || href(&format!("/clusters/{}/{}", enc(&cluster.get()), name));
        view! {
            <a href=link class:active=move || active == name aria-current=move || (active == name).then_some("page")>{label}</a>
        }
    };
    view! {
        <header class="cluster-header">
            <h1>
                <a href=href("/")>"Clusters"</a>" / "
                <span data-testid="cluster-name">{move || cluster.get()}</span>
                {move || match summary.get() {
                    Load::Ready(s) => view! { " " <ClusterBadge status=s.status/> }.into_any(),
                    _ => ().into_any(),
                }}
            </h1>
            <nav class="tabs" aria-label="Cluster sections">
                {tab("health", "Health")}
                {tab("brokers", "Brokers")}
                {tab("topics", "Topics")}
                {tab("consumer-groups", "Consumer groups")}
                {move || match summary.get() {
                    Load::Ready(s) if s.schema_registry.is_some() => tab("schemas", "Schemas").into_any(),
                    _ => ().into_any(),
                }}
            </nav>
            {move || match summary.get() {
                Load::Ready(s) => banner(&s).into_any(),
                Load::Failed(e) => view! { <ErrorBox message=e/> }.into_any(),
                Load::Loading => ().into_any(),
            }}
            <crate::diagnosis::TestConnection cluster=cluster/>
        </header>
    }
}

fn banner(s: &ClusterSummary) -> impl IntoView {
    let diagnosis = s.diagnosis.clone().filter(|d| !d.ok);
    let unreachable = s.last_poll.error.clone().map(|e| {
        let age = s
            .data_age_seconds
            .map(|a| format!("Showing data read {} ago.", format::age(a)))
            .unwrap_or_else(|| "No data has been read yet.".into());
        // The connection check says why; librdkafka's error only that it failed.
        match &diagnosis {
            Some(d) => view! {
                <div class="banner crit" role="alert" data-testid="unreachable-banner">
                    <strong>"Cluster unreachable. "</strong>{age}
                    {crate::diagnosis::diagnosis_view(d)}
                    <details><summary>"The client's error"</summary><code>{e}</code></details>
                </div>
            }
            .into_any(),
            None => view! {
                <div class="banner crit" role="alert" data-testid="unreachable-banner">
                    <strong>"Cluster unreachable. "</strong>{e}" "{age}
                </div>
            }
            .into_any(),
        }
    });
    let brokers = (s.status != ClusterStatus::Unreachable)
        .then_some(diagnosis)
        .flatten()
        .map(|d| {
            view! {
                <div class="banner warn" data-testid="broker-diagnosis">
                    <strong>"A broker cannot be reached. "</strong>
                    {crate::diagnosis::diagnosis_view(&d)}
                </div>
            }
        });
    let partial = (!s.last_poll.stage_errors.is_empty()).then(|| {
        let items = s
            .last_poll
            .stage_errors
            .iter()
            .map(|e| view! { <li><code>{e.stage.clone()}</code>": "{e.message.clone()}</li> })
            .collect_view();
        view! {
            <details class="banner warn" data-testid="stage-errors">
                <summary>"Some data could not be read from this cluster"</summary>
                <ul>{items}</ul>
            </details>
        }
    });
    let store = s.store_failure.clone().map(|f| {
        view! {
            <div class="banner crit" role="alert" data-testid="store-failure">
                <strong>"The console's store refuses writes"</strong>
                " since "{f.since}" ("<code>{f.error}</code>"): lag history is not being saved "
                "and alert notifications wait in memory until it takes them again. The data "
                "below is live."
            </div>
        }
    });
    view! { {store}{unreachable}{brokers}{partial} }
}

/// In the top navigation: each cluster's health verdict with its problem counts, linking to
/// its health page.
#[component]
pub fn HealthBadges() -> impl IntoView {
    let clusters =
        use_api::<kafscope_api::Page<ClusterSummary>>(|| "/clusters?limit=100".to_string());
    move || match clusters.get() {
        Load::Ready(page) => page
            .items
            .into_iter()
            .map(|c| {
                let (class, text) = match c.health {
                    kafscope_api::HealthVerdict::Healthy => ("badge ok", "healthy".to_string()),
                    kafscope_api::HealthVerdict::Unknown => ("badge muted", "unknown".to_string()),
                    _ => {
                        let mut parts = Vec::new();
                        if c.critical_problems > 0 {
                            parts.push(format!("{} critical", c.critical_problems));
                        }
                        if c.warning_problems > 0 {
                            parts.push(format!("{} warning", c.warning_problems));
                        }
                        let class = if c.critical_problems > 0 {
                            "badge crit"
                        } else {
                            "badge warn"
                        };
                        (class, parts.join(", "))
                    }
                };
                let link = href(&format!("/clusters/{}/health", enc(&c.name)));
                view! {
                    <a class="nav-health" href=link data-testid=format!("nav-health-{}", c.name)
                        title=format!("{}: {}", c.name, text)>
                        {c.name.clone()}" "<span class=class>{text.clone()}</span>
                    </a>
                }
            })
            .collect_view()
            .into_any(),
        _ => ().into_any(),
    }
}

/// In the top navigation: the number of firing alerts, linking to the alerts page.
#[component]
pub fn AlertsBadge() -> impl IntoView {
    let alerts =
        use_api::<kafscope_api::Page<kafscope_api::AlertItem>>(|| "/alerts?limit=1000".to_string());
    let text = move || match alerts.get() {
        Load::Ready(p) => {
            let firing = p.items.iter().filter(|a| a.state == "firing").count();
            Some((
                firing,
                if firing == 0 {
                    "badge ok"
                } else {
                    "badge crit"
                },
            ))
        }
        _ => None,
    };
    view! {
        <a class="nav-health" href=href("/alerts") data-testid="nav-alerts">
            "Alerts"
            {move || text().map(|(n, class)| view! { " " <span class=class data-testid="nav-alerts-count">{format!("{n} firing")}</span> })}
        </a>
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = kafscopeTheme, js_name = current)]
    fn theme_current() -> Result<String, wasm_bindgen::JsValue>;
    #[wasm_bindgen(catch, js_namespace = kafscopeTheme, js_name = cycle)]
    fn theme_cycle() -> Result<String, wasm_bindgen::JsValue>;
}

/// The colour theme switch: auto (the system's setting) → light → dark, kept in this browser
/// by `assets/theme.js`.
#[component]
pub fn ThemeSwitch() -> impl IntoView {
    let theme = RwSignal::new(theme_current().unwrap_or_else(|_| "auto".into()));
    let next = move |_| {
        if let Ok(t) = theme_cycle() {
            theme.set(t);
        }
    };
    view! {
        <button
            class="theme-switch"
            data-testid="theme-switch"
            title="Colour theme: auto follows the system setting"
            on:click=next
        >
            {move || format!("Theme: {}", theme.get())}
        </button>
    }
}
