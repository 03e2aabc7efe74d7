//! The lag chart of a consumer group: history from the API drawn by uPlot (through
//! `assets/chart.js`), with range, unit and split in the URL so a chart can be linked.

use kafscope_api::{LagHistory, LagSeries};
use leptos::html::Div;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use wasm_bindgen::prelude::*;

use crate::api::{enc, use_api, Load};
use crate::components::{ErrorBox, Loading};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = window, js_name = kafscopeChart)]
    fn kafscope_chart(el: &web_sys::HtmlElement, spec: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = window, js_name = kafscopeSpark)]
    fn kafscope_spark(el: &web_sys::HtmlElement, values: &str) -> Result<JsValue, JsValue>;
}

/// Draw (or redraw) a chart from a JSON spec into `div`.
pub fn draw_chart(div: &web_sys::HtmlElement, spec: &str) -> Result<(), String> {
    kafscope_chart(div, spec)
        .map(|_| ())
        .map_err(|e| format!("the chart could not be drawn: {e:?}"))
}

/// A small trend line of a group's recent total lag.
#[component]
pub fn Sparkline(values: Vec<i64>) -> impl IntoView {
    let el = NodeRef::<Div>::new();
    let label = match (values.first(), values.last()) {
        (Some(a), Some(b)) if values.len() > 1 => format!("lag trend: from {a} to {b}"),
        _ => "lag trend: not enough polls yet".to_string(),
    };
    let json = serde_json::to_string(&values).unwrap_or_else(|_| "[]".into());
    Effect::new(move |_| {
        if let Some(div) = el.get() {
            // A missing chart library leaves the cell empty; the numbers beside it remain.
            let _ = kafscope_spark(&div, &json);
        }
    });
    view! { <div class="spark" node_ref=el role="img" aria-label=label data-testid="sparkline"></div> }
}

pub const RANGES: [&str; 5] = ["15m", "1h", "6h", "24h", "7d"];

/// A labelled series of (RFC 3339 time, value) points.
pub type Series<'a> = (String, Vec<(&'a str, Option<f64>)>);

/// The JSON spec chart.js draws: one x axis (unix seconds) shared by every series, each
/// given as (label, points of (RFC 3339 time, value)); a time a series lacks is a gap.
pub fn spec(unit: &str, series: Vec<Series<'_>>) -> String {
    let at = |t: &str| js_sys::Date::parse(t) / 1000.0;
    let mut xs: Vec<f64> = series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|(t, _)| at(t)))
        .collect();
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.dedup();
    let series: Vec<serde_json::Value> = series
        .into_iter()
        .map(|(label, pts)| {
            let mut values: Vec<Option<f64>> = vec![None; xs.len()];
            for (t, v) in pts {
                let x = at(t);
                if let Ok(i) = xs.binary_search_by(|p| p.total_cmp(&x)) {
                    values[i] = v;
                }
            }
            serde_json::json!({ "label": label, "values": values })
        })
        .collect();
    serde_json::json!({ "unit": unit, "x": xs, "series": series }).to_string()
}

/// The lag chart's spec, in messages or seconds.
pub fn chart_spec(h: &LagHistory, seconds: bool) -> String {
    let series = h
        .series
        .iter()
        .map(|s| {
            let pts = s
                .points
                .iter()
                .map(|p| {
                    let v = if seconds {
                        p.lag_seconds
                    } else {
                        p.lag.map(|v| v as f64)
                    };
                    (p.at.as_str(), v)
                })
                .collect();
            (label(s), pts)
        })
        .collect();
    spec(if seconds { "seconds" } else { "messages" }, series)
}

fn label(s: &LagSeries) -> String {
    match (&s.topic, s.partition) {
        (Some(t), Some(p)) => format!("{t}[{p}]"),
        (Some(t), None) => t.clone(),
        _ => "group total".to_string(),
    }
}

#[component]
pub fn LagChart(cluster: Signal<String>, group: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let range = Memo::new(move |_| {
        query
            .read()
            .get("range")
            .filter(|r| RANGES.contains(&r.as_str()))
            .unwrap_or_else(|| "1h".into())
    });
    let seconds = Memo::new(move |_| query.read().get("unit").as_deref() == Some("seconds"));
    let by_partition = Memo::new(move |_| query.read().get("by").as_deref() == Some("partition"));
    let history = use_api::<LagHistory>(move || {
        format!(
            "/clusters/{}/consumer-groups/{}/history?range={}{}",
            enc(&cluster.get()),
            enc(&group.get()),
            range.get(),
            if by_partition.get() {
                "&by=partition"
            } else {
                ""
            }
        )
    });
    let el = NodeRef::<Div>::new();
    let chart_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (Some(div), Load::Ready(h)) = (el.get(), history.get()) else {
            return;
        };
        if h.series.iter().all(|s| s.points.is_empty()) {
            div.set_text_content(Some("No samples in this range yet."));
            return;
        }
        if let Err(e) = draw_chart(&div, &chart_spec(&h, seconds.get())) {
            chart_error.set(Some(e));
        }
    });
    let set = move |key: &'static str, value: String| {
        let q = query.get_untracked();
        let mut parts: Vec<String> = Vec::new();
        for k in ["range", "unit", "by"] {
            let v = if k == key {
                Some(value.clone())
            } else {
                q.get(k)
            };
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", enc(&v)));
            }
        }
        let path = web_sys::window()
            .and_then(|w| w.location().pathname().ok())
            .unwrap_or_default();
        use_navigate()(
            &format!("{path}?{}", parts.join("&")),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let range_buttons = RANGES
        .iter()
        .map(|r| {
            let r = *r;
            view! {
                <button class:active=move || range.get() == r aria-pressed=move || (range.get() == r).to_string()
                    on:click=move |_| set("range", r.to_string()) data-testid=format!("range-{r}")>{r}</button>
            }
        })
        .collect_view();
    view! {
        <div class="chart-controls" role="group" aria-label="Chart range and unit">
            {range_buttons}
            <span class="sep"></span>
            <button class:active=move || !seconds.get() aria-pressed=move || (!seconds.get()).to_string() on:click=move |_| set("unit", String::new())>"Messages"</button>
            <button class:active=move || seconds.get() aria-pressed=move || seconds.get().to_string() on:click=move |_| set("unit", "seconds".into()) data-testid="unit-seconds">"Seconds"</button>
            <span class="sep"></span>
            <button class:active=move || !by_partition.get() aria-pressed=move || (!by_partition.get()).to_string() on:click=move |_| set("by", String::new())>"Total"</button>
            <button class:active=move || by_partition.get() aria-pressed=move || by_partition.get().to_string() on:click=move |_| set("by", "partition".into()) data-testid="by-partition">"Per partition"</button>
        </div>
        {move || match history.get() {
            Load::Loading => view! { <Loading/> }.into_any(),
            Load::Failed(e) => view! { <ErrorBox message=e/> }.into_any(),
            Load::Ready(_) => ().into_any(),
        }}
        {move || chart_error.get().map(|e| view! { <ErrorBox message=e/> })}
        <div class="chart" node_ref=el data-testid="lag-chart"></div>
    }
}
