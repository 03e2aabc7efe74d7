//! Broker metric charts (one broker, or the cluster's sum over brokers), drawn by the same
//! uPlot glue as the lag chart.

use kafscope_api::{MetricHistory, MetricInfo};
use leptos::html::Div;
use leptos::prelude::*;

use crate::api::{enc, use_api, Load};
use crate::chart::{draw_chart, spec, RANGES};
use crate::components::{ErrorBox, Loading};

/// The chart spec of a metric history: each series' bucket means, labelled from `labels`.
pub fn metric_spec(h: &MetricHistory, unit: &str, labels: &[MetricInfo]) -> String {
    let series = h
        .series
        .iter()
        .map(|s| {
            let label = labels
                .iter()
                .find(|m| m.key == s.metric)
                .map(|m| m.label.clone())
                .unwrap_or_else(|| s.metric.clone());
            let pts = s.points.iter().map(|p| (p.at.as_str(), p.avg)).collect();
            (label, pts)
        })
        .collect();
    spec(unit, series)
}

/// A titled chart of some metrics with the same unit, with its own range buttons.
#[component]
pub fn MetricChart(
    cluster: Signal<String>,
    /// `None`: the cluster's sum over brokers.
    broker: Option<i32>,
    title: &'static str,
    metrics: &'static [&'static str],
    unit: &'static str,
    labels: Vec<MetricInfo>,
    testid: &'static str,
) -> impl IntoView {
    let range = RwSignal::new("1h");
    let history = use_api::<MetricHistory>(move || {
        let scope = match broker {
            Some(b) => format!("/brokers/{b}"),
            None => String::new(),
        };
        format!(
            "/clusters/{}{scope}/metrics/history?range={}&metrics={}",
            enc(&cluster.get()),
            range.get(),
            metrics.join(",")
        )
    });
    let el = NodeRef::<Div>::new();
    let chart_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let (Some(div), Load::Ready(h)) = (el.get(), history.get()) else {
            return;
        };
        if h.series.iter().all(|s| s.points.is_empty()) {
            div.set_text_content(Some(
                "No samples in this range: no metrics endpoint reported these metrics.",
            ));
            return;
        }
        if let Err(e) = draw_chart(&div, &metric_spec(&h, unit, &labels)) {
            chart_error.set(Some(e));
        }
    });
    let buttons = RANGES
        .iter()
        .map(|r| {
            let r = *r;
            view! {
                <button class:active=move || range.get() == r aria-pressed=move || (range.get() == r).to_string()
                    on:click=move |_| range.set(r)>{r}</button>
            }
        })
        .collect_view();
    view! {
        <section class="metric-chart" data-testid=testid>
            <h3>{title}</h3>
            <div class="chart-controls" role="group" aria-label=format!("{title}: range")>{buttons}</div>
            {move || match history.get() {
                Load::Loading => view! { <Loading/> }.into_any(),
                Load::Failed(e) => view! { <ErrorBox message=e/> }.into_any(),
                Load::Ready(_) => ().into_any(),
            }}
            {move || chart_error.get().map(|e| view! { <ErrorBox message=e/> })}
            <div class="chart" node_ref=el></div>
        </section>
    }
}
