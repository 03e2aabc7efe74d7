//! `/clusters/:cluster/brokers`: brokers with their state and load.

use kafscope_api::{Broker, BrokerStatus, Page};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{enc, href, use_api};
use crate::components::{show, ClusterHeader, Empty};
use kafscope_api::fmt as format;

#[component]
pub fn Brokers() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let brokers = use_api::<Page<Broker>>(move || {
        format!("/clusters/{}/brokers?limit=1000", enc(&cluster.get()))
    });
    view! {
        <ClusterHeader cluster active="brokers"/>
        {show(brokers, move |page: Page<Broker>| {
            if page.items.is_empty() {
                return view! { <Empty message="The cluster reported no brokers.".to_string()/> }.into_any();
            }
            let c = cluster.get_untracked();
            let rows = page.items.into_iter().map(|b| {
                let (class, text) = match b.status {
                    BrokerStatus::Up => ("badge ok", "up"),
                    BrokerStatus::Down => ("badge crit", "down"),
                };
                view! {
                    <tr data-testid=format!("broker-row-{}", b.id)>
                        <td class="num"><a href=href(&format!("/clusters/{}/brokers/{}", enc(&c), b.id)) data-testid="broker-link">{b.id}</a></td>
                        <td>{b.host.clone().unwrap_or_else(|| "unknown".into())}</td>
                        <td class="num">{b.port.map(|p| p.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td>{b.rack.clone().unwrap_or_else(|| "—".into())}</td>
                        <td data-testid="broker-role">{role(&b)}</td>
                        <td><span class=class data-testid="broker-status">{text}</span></td>
                        <td class="num">{format::count(b.leader_partitions)}</td>
                        <td class="num">{format::count(b.replicas)}</td>
                    </tr>
                }
            }).collect_view();
            view! {
                <table class="grid" data-testid="brokers-table">
                    <thead><tr>
                        <th class="num">"ID"</th><th>"Host"</th><th class="num">"Port"</th><th>"Rack"</th>
                        <th>"Role"</th><th>"Status"</th><th class="num">"Leader of"</th><th class="num">"Replicas"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }.into_any()
        })}
    }
}

/// "broker", "broker + controller" (a combined KRaft node), and "· active controller".
pub fn role(b: &Broker) -> String {
    let mut r = if b.roles.iter().any(|r| r == "controller") {
        "broker + controller".to_string()
    } else {
        "broker".to_string()
    };
    if b.is_controller {
        r.push_str(" · active controller");
    }
    r
}
