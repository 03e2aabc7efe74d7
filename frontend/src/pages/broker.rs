//! `/clusters/:cluster/brokers/:broker`: one broker — its problems, every known metric (or
//! "unavailable"), where the numbers come from, disk, and metric charts.

use kafscope_api::{known_metrics, BrokerDetail, BrokerStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, use_api};
use crate::components::{show, ClusterHeader};
use crate::metric_chart::MetricChart;
use crate::pages::health::{endpoints_table, severity_badge};
use kafscope_api::fmt as format;

#[component]
pub fn BrokerPage() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let broker = Signal::derive(move || params.read().get("broker").unwrap_or_default());
    let detail = use_api::<BrokerDetail>(move || {
        format!(
            "/clusters/{}/brokers/{}",
            enc(&cluster.get()),
            enc(&broker.get())
        )
    });
    let id = move || broker.get().parse::<i32>().ok();
    let pending: crate::pages::manage::Pending = RwSignal::new(None);
    let scope = RwSignal::new("broker");
    let config_path = Signal::derive(move || {
        if scope.get() == "cluster" {
            format!("/clusters/{}/configs", enc(&cluster.get()))
        } else {
            format!(
                "/clusters/{}/brokers/{}/configs",
                enc(&cluster.get()),
                enc(&broker.get())
            )
        }
    });
    let editable = move || crate::api::can("configs.manage", Some(&cluster.get()));
    view! {
        <ClusterHeader cluster active="brokers"/>
        {show(detail, page)}
        <h3>"Configuration"</h3>
        <div class="row">
            <label><input type="radio" name="config-scope" data-testid="configs-scope-broker" checked=true on:change=move |_| scope.set("broker")/>" this broker"</label>" "
            <label><input type="radio" name="config-scope" data-testid="configs-scope-cluster" on:change=move |_| scope.set("cluster")/>" every broker (cluster-wide default)"</label>
        </div>
        {move || if scope.get() == "cluster" {
            view! { <crate::pages::manage::ConfigEditor path=config_path target=broker pending own="dynamic_default_broker" editable=editable()
                make=|_, set, delete| kafscope_api::PlanRequest::AlterBrokerConfigs { broker: None, set, delete }/> }.into_any()
        } else {
            view! { <crate::pages::manage::ConfigEditor path=config_path target=broker pending own="dynamic_broker" editable=editable()
                make=|b, set, delete| kafscope_api::PlanRequest::AlterBrokerConfigs { broker: b.get_untracked().parse().ok(), set, delete }/> }.into_any()
        }}
        <crate::pages::manage::PlanDialog cluster request=pending/>
        {move || id().map(|b| view! {
            <MetricChart cluster broker=Some(b) title="Throughput"
                metrics=&["bytes_in_per_sec", "bytes_out_per_sec"] unit="bytes_per_second"
                labels=known_metrics() testid="chart-broker-throughput"/>
            <MetricChart cluster broker=Some(b) title="Thread pools idle"
                metrics=&["request_handler_idle_ratio", "network_processor_idle_ratio"] unit="ratio"
                labels=known_metrics() testid="chart-broker-idle"/>
            <MetricChart cluster broker=Some(b) title="Replication"
                metrics=&["under_replicated_partitions", "under_min_isr_partitions"] unit="count"
                labels=known_metrics() testid="chart-broker-urp"/>
            <MetricChart cluster broker=Some(b) title="Request queue"
                metrics=&["request_queue_size"] unit="count"
                labels=known_metrics() testid="chart-broker-queue"/>
        })}
    }
}

fn page(d: BrokerDetail) -> impl IntoView {
    let b = &d.broker;
    let (class, text) = match b.status {
        BrokerStatus::Up => ("badge ok", "up"),
        BrokerStatus::Down => ("badge crit", "down"),
    };
    let address = match (&b.host, b.port) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        _ => "address never seen".to_string(),
    };
    let problems = if d.problems.is_empty() {
        view! { <p class="state" data-testid="no-problems">"No problem concerns this broker."</p> }
            .into_any()
    } else {
        let items = d
            .problems
            .iter()
            .map(|p| {
                view! {
                    <li class="problem" data-testid=format!("problem-{}", p.kind)>
                        <span class=severity_badge(p.severity)>{p.severity.as_str()}</span>" "
                        <span class="message">{p.message.clone()}</span>
                        <div class="sub">{format!("since {}", format::time(&p.since))}</div>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="problems">{items}</ul> }.into_any()
    };
    let metric_rows = d
        .metric_info
        .iter()
        .map(|m| {
            let v = d.metrics.get(&m.key).copied().flatten();
            view! {
                <tr data-testid=format!("metric-{}", m.key)>
                    <td>{m.label.clone()}</td>
                    <td class="num" class:muted=v.is_none() data-testid="metric-value">{format::metric(v, &m.unit)}</td>
                </tr>
            }
        })
        .collect_view();
    let disk =
        match (d.log_size_bytes, d.log_size_source.as_deref()) {
            (Some(bytes), Some(src)) => format!(
                "{} of logs on this broker (from {})",
                format::bytes(bytes as f64),
                if src == "describe_log_dirs" {
                    "DescribeLogDirs"
                } else {
                    "broker metrics"
                }
            ),
            _ => format!(
            "Log size unknown: no metrics endpoint exports it and DescribeLogDirs gave nothing{}.",
            d.log_dirs_error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
        ),
        };
    let dirs = d
        .log_dirs
        .iter()
        .map(|l| {
            let free = match (l.total_bytes, l.usable_bytes) {
                (Some(t), Some(u)) if t > 0 => format!(
                    "{} free of {} ({:.0} % used)",
                    format::bytes(u as f64),
                    format::bytes(t as f64),
                    100.0 - u as f64 * 100.0 / t as f64
                ),
                _ => "volume size not reported (Kafka < 3.3)".to_string(),
            };
            view! {
                <tr>
                    <td><code>{l.path.clone()}</code></td>
                    <td class="num">{format::bytes(l.size_bytes as f64)}</td>
                    <td>{free}</td>
                    <td>{l.error.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="verdict" data-testid="broker-detail">
            <h2>{format!("Broker {}", b.id)}" "<span class=class data-testid="broker-status">{text}</span></h2>
            <div class="sub">
                {address}
                {b.rack.clone().map(|r| format!(" · rack {r}"))}
                {format!(" · {}", crate::pages::brokers::role(b))}
                {format!(" · leads {} · hosts {}", format::plural(b.leader_partitions, "partition"), format::plural(b.replicas, "replica"))}
            </div>
        </section>
        <h3>"Problems"</h3>
        {problems}
        <h3>"Metrics"</h3>
        <table class="grid narrow" data-testid="broker-metrics">
            <thead><tr><th>"Metric"</th><th class="num">"Value"</th></tr></thead>
            <tbody>{metric_rows}</tbody>
        </table>
        {endpoints_table(&d.endpoints)}
        <h3>"Disk"</h3>
        <p data-testid="broker-disk">{disk}</p>
        {(!d.log_dirs.is_empty()).then(|| view! {
            <table class="grid" data-testid="log-dirs">
                <thead><tr><th>"Log directory"</th><th class="num">"Logs"</th><th>"Volume"</th><th>"Error"</th></tr></thead>
                <tbody>{dirs}</tbody>
            </table>
        })}
    }
}
