//! `/clusters/:cluster/topics/:topic/messages`: the message browser. The form (partition,
//! start, order, filters, decoding) lives in the URL, so every view is a link; a page is
//! read on the server and merged across partitions; a search streams its matches and
//! progress and can be stopped; a live tail can be paused and resumed without losing
//! records; the detail pane shows decoded key, value and headers with copy buttons.

use std::collections::BTreeMap;

use kafscope_api::{LogicalValue, Message, MessagePage, Payload, ProduceResult, ScanStats};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::{base, can, enc, get_json, href, needs, send_change_json};
use crate::components::ClusterHeader;
use kafscope_api::fmt as format;

/// The browser's form, as kept in the URL.
#[derive(Clone, Debug, PartialEq, Default)]
struct Form {
    partition: String,
    from: String,
    order: String,
    limit: String,
    key_contains: String,
    value_contains: String,
    header_contains: String,
    value_regex: String,
    expr: String,
    decode_key: String,
    decode_value: String,
}

const FIELDS: [&str; 11] = [
    "partition",
    "from",
    "order",
    "limit",
    "key_contains",
    "value_contains",
    "header_contains",
    "value_regex",
    "expr",
    "decode_key",
    "decode_value",
];

impl Form {
    fn field(&mut self, name: &str) -> &mut String {
        match name {
            "partition" => &mut self.partition,
            "from" => &mut self.from,
            "order" => &mut self.order,
            "limit" => &mut self.limit,
            "key_contains" => &mut self.key_contains,
            "value_contains" => &mut self.value_contains,
            "header_contains" => &mut self.header_contains,
            "value_regex" => &mut self.value_regex,
            "expr" => &mut self.expr,
            "decode_key" => &mut self.decode_key,
            _ => &mut self.decode_value,
        }
    }

    fn from_query(get: impl Fn(&str) -> Option<String>) -> Form {
        let mut f = Form::default();
        for name in FIELDS {
            *f.field(name) = get(name).unwrap_or_default();
        }
        f
    }

    /// `a=1&b=2` of the non-empty fields.
    fn query(&self) -> String {
        let mut f = self.clone();
        FIELDS
            .iter()
            .filter_map(|name| {
                let v = f.field(name).trim().to_string();
                (!v.is_empty()).then(|| format!("{name}={}", enc(&v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A running search or tail: its event source and listeners (dropped on close).
struct Live {
    source: web_sys::EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>>,
}

impl Live {
    fn close(self) {
        self.source.close();
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Running {
    Idle,
    Searching,
    Tailing,
    Paused,
}

/// Kept at most in the browser while tailing (newest first).
const TAIL_KEEP: usize = 500;

fn copy(text: String) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(&text);
    }
}

#[component]
pub fn Messages() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let topic = Signal::derive(move || params.read().get("topic").unwrap_or_default());
    let url_form = Memo::new(move |_| {
        let q = query.read();
        Form::from_query(|k| q.get(k))
    });
    let cursor = Memo::new(move |_| query.read().get("cursor"));
    let select = Memo::new(move |_| query.read().get("select"));
    let form = RwSignal::new(url_form.get_untracked());
    Effect::new(move |_| form.set(url_form.get()));

    let messages: RwSignal<Vec<Message>> = RwSignal::new(Vec::new());
    let stats: RwSignal<Option<ScanStats>> = RwSignal::new(None);
    let next: RwSignal<Option<String>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let selected: RwSignal<Option<Message>> = RwSignal::new(None);
    let running = RwSignal::new(Running::Idle);
    let live: StoredValue<Option<Live>, LocalStorage> = StoredValue::new_local(None);
    let positions: StoredValue<BTreeMap<i32, i64>, LocalStorage> =
        StoredValue::new_local(BTreeMap::new());
    // Records received and not yet drawn, and whether a redraw is scheduled.
    let pending: StoredValue<Vec<Message>, LocalStorage> = StoredValue::new_local(Vec::new());
    // Bumped by every browse and every stream: a late answer for an older one is dropped.
    let generation = StoredValue::new(0u64);
    let flush_due = StoredValue::new(false);
    let flush = move |follow: bool| {
        flush_due.try_set_value(false);
        let batch = pending.try_update_value(std::mem::take).unwrap_or_default();
        if batch.is_empty() {
            return;
        }
        messages.try_update(|v| {
            if follow {
                for m in batch {
                    v.insert(0, m);
                }
                v.truncate(TAIL_KEEP);
            } else {
                v.extend(batch);
            }
        });
    };

    let api_base = move || {
        format!(
            "/clusters/{}/topics/{}/messages",
            enc(&cluster.get_untracked()),
            enc(&topic.get_untracked())
        )
    };
    let stop_live = move || {
        if let Some(l) = live.try_update_value(|l| l.take()).flatten() {
            l.close();
        }
    };
    on_cleanup(move || {
        if let Some(l) = live.try_update_value(|l| l.take()).flatten() {
            l.close();
        }
    });

    // Browse: read the page the URL describes.
    Effect::new(move |_| {
        let f = url_form.get();
        let c = cursor.get();
        let sel = select.get();
        let path = format!(
            "/clusters/{}/topics/{}/messages?{}{}",
            enc(&cluster.get()),
            enc(&topic.get()),
            f.query(),
            c.map(|c| format!("&cursor={}", enc(&c)))
                .unwrap_or_default()
        );
        stop_live();
        running.set(Running::Idle);
        loading.set(true);
        error.set(None);
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        spawn_local(async move {
            let page = get_json::<MessagePage>(&path).await;
            // A search or tail started meanwhile owns the table now.
            if generation.try_get_value() != Some(mine) {
                return;
            }
            match page {
                Ok(p) => {
                    let pick = sel.and_then(|s| {
                        let (pp, oo) = s.split_once(':')?;
                        let (pp, oo): (i32, i64) = (pp.parse().ok()?, oo.parse().ok()?);
                        p.messages
                            .iter()
                            .find(|m| m.partition == pp && m.offset == oo)
                            .cloned()
                    });
                    selected.set(pick);
                    next.set(p.next_cursor);
                    stats.set(Some(p.stats));
                    messages.set(p.messages);
                }
                Err(e) => {
                    messages.set(Vec::new());
                    stats.set(None);
                    next.set(None);
                    error.set(Some(e));
                }
            }
            loading.set(false);
        });
    });

    let navigate = use_navigate();
    let go = {
        let navigate = navigate.clone();
        move |extra: String| {
            let q = form.get_untracked().query();
            let sep = if q.is_empty() || extra.is_empty() {
                ""
            } else {
                "&"
            };
            navigate(
                &format!(
                    "/clusters/{}/topics/{}/messages?{q}{sep}{extra}",
                    enc(&cluster.get_untracked()),
                    enc(&topic.get_untracked())
                ),
                NavigateOptions::default(),
            );
        }
    };

    // Open a stream (search or tail) and feed the table from it.
    let open = move |follow: bool, resume: Option<String>| {
        stop_live();
        error.set(None);
        generation.update_value(|g| *g += 1);
        loading.set(false);
        let mut f = form.get_untracked();
        if follow {
            // A tail starts at the end; the form's start is for browsing.
            f.from = "latest".into();
        }
        let mut q = f.query();
        if follow {
            q.push_str("&follow=true");
        }
        if let Some(c) = resume {
            q.push_str(&format!("&cursor={}", enc(&c)));
        } else {
            messages.set(Vec::new());
            pending.set_value(Vec::new());
            positions.set_value(BTreeMap::new());
        }
        stats.set(None);
        next.set(None);
        let url = format!("{}/api/v1{}/stream?{q}", base(), api_base());
        let Ok(source) = web_sys::EventSource::new(&url) else {
            error.set(Some("the browser could not open the stream".into()));
            return;
        };
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(data) = e.data().as_string() else {
                    return;
                };
                let Ok(m) = serde_json::from_str::<Message>(&data) else {
                    return;
                };
                positions.update_value(|p| {
                    p.insert(m.partition, m.offset + 1);
                });
                // Batched: the table is redrawn at most every 200 ms, not once per record.
                pending.update_value(|q| q.push(m));
                if !flush_due.get_value() {
                    flush_due.set_value(true);
                    gloo_timers::callback::Timeout::new(200, move || flush(follow)).forget();
                }
            });
        let on_progress =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(data) = e.data().as_string() else {
                    return;
                };
                if let Ok(s) = serde_json::from_str::<ScanStats>(&data) {
                    positions.update_value(|p| {
                        for l in &s.partitions {
                            let e = p.entry(l.partition).or_insert(l.position);
                            *e = (*e).max(l.position);
                        }
                    });
                    stats.set(Some(s));
                }
            });
        let on_done =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                // Close at once: an EventSource would otherwise reconnect and scan again.
                if let Some(l) = live.try_update_value(|l| l.take()).flatten() {
                    l.close();
                }
                flush(follow);
                let data = e.data().as_string().unwrap_or_default();
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&data) {
                    if let Ok(s) = serde_json::from_value::<ScanStats>(v["stats"].clone()) {
                        stats.set(Some(s));
                    }
                    if let Some(err) = v["error"].as_str() {
                        error.set(Some(err.to_string()));
                    }
                    next.set(v["next_cursor"].as_str().map(str::to_string));
                }
                running.set(Running::Idle);
            });
        let on_error = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
            if let Some(l) = live.try_update_value(|l| l.take()).flatten() {
                l.close();
                error.set(Some(
                    "the stream was interrupted (bad filter, or the server went away)".into(),
                ));
                running.set(Running::Idle);
            }
        });
        for (name, cb) in [
            ("message", &on_message),
            ("progress", &on_progress),
            ("done", &on_done),
            ("error", &on_error),
        ] {
            let _ = source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        }
        live.set_value(Some(Live {
            source,
            _listeners: vec![on_message, on_progress, on_done, on_error],
        }));
        running.set(if follow {
            Running::Tailing
        } else {
            Running::Searching
        });
    };

    let pause = move || {
        stop_live();
        running.set(Running::Paused);
    };
    let resume = move || {
        let c = positions.with_value(|p| {
            let parts: Vec<String> = p.iter().map(|(k, v)| format!("{k}_{v}")).collect();
            (!parts.is_empty()).then(|| format!("o.{}", parts.join(".")))
        });
        open(true, c);
    };

    let produce_status: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);

    let input = move |name: &'static str, label: &'static str, placeholder: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type="text" name=name placeholder=placeholder data-testid=format!("f-{name}")
                    prop:value=move || form.with(|f| f.clone().field(name).clone())
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| *f.field(name) = v);
                    }/>
            </label>
        }
    };
    let select_field = move |name: &'static str,
                             label: &'static str,
                             options: Vec<(String, String)>| {
        let opts = options
            .into_iter()
            .map(|(v, l)| {
                let v2 = v.clone();
                view! { <option value=v.clone() selected=move || form.with(|f| f.clone().field(name) == &v2)>{l}</option> }
            })
            .collect_view();
        view! {
            <label class="field">
                <span>{label}</span>
                <select name=name data-testid=format!("f-{name}")
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        form.update(|f| *f.field(name) = v);
                    }>{opts}</select>
            </label>
        }
    };
    let decodings = || {
        [
            "", "text", "json", "hex", "base64", "int", "msgpack", "registry",
        ]
        .iter()
        .map(|d| {
            (
                d.to_string(),
                if d.is_empty() {
                    "auto".to_string()
                } else {
                    d.to_string()
                },
            )
        })
        .collect::<Vec<_>>()
    };
    let go_browse = go.clone();
    let go_next = go.clone();
    let export_href = move |fmt: &'static str| {
        format!(
            "{}/api/v1{}/export?{}&format={fmt}",
            base(),
            api_base(),
            form.get().query()
        )
    };

    view! {
        <ClusterHeader cluster active="topics"/>
        <h2>
            <a href=move || href(&format!("/clusters/{}/topics/{}", enc(&cluster.get()), enc(&topic.get())))>{move || topic.get()}</a>
            " · messages"
        </h2>
        <form class="msg-form" data-testid="message-form" on:submit=move |ev| { ev.prevent_default(); go_browse(String::new()); }>
            <div class="row">
                {input("partition", "Partition", "all")}
                {input("from", "Start", "latest | earliest | offset | 2024-05-01T10:00:00Z")}
                {select_field("order", "Order", vec![("".into(), "newest first".into()), ("oldest".into(), "oldest first".into())])}
                {input("limit", "Limit", "50")}
            </div>
            <div class="row">
                {input("key_contains", "Key contains", "")}
                {input("value_contains", "Value contains", "")}
                {input("header_contains", "Header contains", "")}
                {input("value_regex", "Value regex", "")}
            </div>
            <div class="row">
                <label class="field wide">
                    <span>"Expression (CEL)"</span>
                    <input type="text" name="expr" data-testid="f-expr" placeholder="value.status == 'paid' && headers.source == 'web'"
                        prop:value=move || form.with(|f| f.expr.clone())
                        on:input=move |ev| { let v = event_target_value(&ev); form.update(|f| f.expr = v); }/>
                </label>
                {select_field("decode_key", "Key as", decodings())}
                {select_field("decode_value", "Value as", decodings())}
            </div>
            <div class="row actions">
                <button type="submit" data-testid="browse-button">"Browse"</button>
                <button type="button" data-testid="search-button"
                    disabled=move || running.get() == Running::Searching
                    on:click=move |_| open(false, None)>"Search (stream)"</button>
                {move || match running.get() {
                    Running::Searching => view! { <button type="button" data-testid="stop-button" on:click=move |_| { stop_live(); running.set(Running::Idle); }>"Stop"</button> }.into_any(),
                    Running::Tailing => view! { <button type="button" data-testid="pause-button" on:click=move |_| pause()>"Pause tail"</button> }.into_any(),
                    Running::Paused => view! {
                        <button type="button" data-testid="resume-button" on:click=move |_| resume()>"Resume tail"</button>
                        <button type="button" on:click=move |_| { running.set(Running::Idle); }>"End tail"</button>
                    }.into_any(),
                    Running::Idle => view! { <button type="button" data-testid="tail-button" on:click=move |_| open(true, None)>"Live tail"</button> }.into_any(),
                }}
                {move || can("messages.export", Some(&cluster.get())).then(|| view! {
                    <a class="button" data-testid="export-jsonl" href=move || export_href("jsonl") download="">"Export JSON Lines"</a>
                    <a class="button" data-testid="export-csv" href=move || export_href("csv") download="">"Export CSV"</a>
                })}
            </div>
        </form>
        {move || error.get().map(|e| view! { <p class="state error" role="alert" data-testid="error">{e}</p> })}
        {move || stats.get().map(|s| stats_line(&s, running.get()))}
        {move || loading.get().then(|| view! { <p class="state loading" role="status" data-testid="loading">"Reading…"</p> })}
        <div class="msg-split">
            <div class="msg-list">
                {move || {
                    let list = messages.get();
                    if list.is_empty() && !loading.get() && error.get().is_none() {
                        return view! { <p class="state empty" data-testid="no-messages">{
                            match running.get() {
                                Running::Tailing => "Waiting for new records…",
                                Running::Searching => "Searching…",
                                _ => "No records here: try another start, order or filter.",
                            }
                        }</p> }.into_any();
                    }
                    let rows = list.into_iter().map(|m| {
                        let key = preview(&m.key, 40);
                        let value = preview(&m.value, 120);
                        let ts = m.timestamp.as_deref().map(format::time).unwrap_or_else(|| "—".into());
                        let (p, o) = (m.partition, m.offset);
                        let is_sel = move || selected.with(|s| s.as_ref().is_some_and(|s| s.partition == p && s.offset == o));
                        let m2 = m.clone();
                        view! {
                            <tr data-testid="message-row" class:selected=is_sel tabindex="0"
                                on:click=move |_| selected.set(Some(m2.clone()))>
                                <td class="num">{p}</td>
                                <td class="num" data-testid="message-offset">{o}</td>
                                <td>{ts}</td>
                                <td class="mono">{key}</td>
                                <td class="mono">{value}</td>
                                <td class="num">{format::bytes(m.size as f64)}</td>
                            </tr>
                        }
                    }).collect_view();
                    view! {
                        <table class="grid" data-testid="messages-table">
                            <thead><tr><th class="num">"Partition"</th><th class="num">"Offset"</th><th>"Time"</th><th>"Key"</th><th>"Value"</th><th class="num">"Size"</th></tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    }.into_any()
                }}
                {move || (running.get() == Running::Idle).then(|| next.get()).flatten().map(|c| {
                    let go_next = go_next.clone();
                    view! { <button class="small" data-testid="next-page" on:click=move |_| go_next(format!("cursor={}", enc(&c)))>"Next page"</button> }
                })}
            </div>
            {move || selected.get().map(|m| detail(m, cluster.get_untracked(), topic.get_untracked(), form.get_untracked(), selected))}
        </div>
        {move || if can("messages.produce", Some(&cluster.get())) {
            view! {
                <details class="produce" data-testid="produce">
                    <summary>"Produce a message"</summary>
                    {produce_form(api_base, produce_status)}
                </details>
            }.into_any()
        } else {
            view! { <p class="sub" data-testid="produce-hidden">{needs("messages.produce")}" (producing is refused on read-only clusters)"</p> }.into_any()
        }}
    }
}

fn preview(p: &Option<Payload>, n: usize) -> String {
    match p {
        None => "null".into(),
        Some(p) => {
            let t: String = p.text.chars().take(n).collect();
            if p.text.chars().count() > n || p.truncated {
                format!("{t}…")
            } else {
                t
            }
        }
    }
}

fn stats_line(s: &ScanStats, running: Running) -> impl IntoView {
    let state = match (&s.stopped, running) {
        (_, Running::Tailing) => "tailing".to_string(),
        (None, _) => "running".to_string(),
        (Some(r), _) => match r.as_str() {
            "limit" => "stopped: limit reached".into(),
            "end" => "reached the end".into(),
            "max_scan" => "stopped: scan limit (max_scan)".into(),
            "max_bytes" => "stopped: byte limit (max_bytes)".into(),
            "timeout" => "stopped: time limit".into(),
            "cancelled" => "cancelled".into(),
            other => other.to_string(),
        },
    };
    let lanes = s
        .partitions
        .iter()
        .map(|p| format!("p{} @{}", p.partition, p.position))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <p class="facts" data-testid="scan-stats">
            <span data-testid="scan-scanned">{format!("scanned {}", format::num(s.scanned as i64))}</span>
            <span data-testid="scan-matched">{format!("matched {}", format::num(s.matched as i64))}</span>
            <span>{format::bytes(s.bytes as f64)}</span>
            <span>{format!("{} ms", s.elapsed_ms)}</span>
            <span data-testid="scan-state">{state}</span>
            {(s.filter_errors > 0).then(|| view! {
                <span class="badge warn" title=s.first_filter_error.clone().unwrap_or_default()>{format!("{} records the filter could not evaluate", s.filter_errors)}</span>
            })}
            <span class="sub">{lanes}</span>
        </p>
    }
}

/// Pretty JSON as nested, collapsible blocks, keys in the order they came (a schema's
/// field order); logical-type values (an Avro date, a decimal) with what is stored beside
/// them. `path` is the JSON pointer of `v`.
fn json_tree(v: &serde_json::Value, depth: usize, path: &str, logical: &[LogicalValue]) -> AnyView {
    use serde_json::Value;
    let child = |k: &str| format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
    match v {
        Value::Object(o) if !o.is_empty() => {
            let items = o
                .iter()
                .map(|(k, v)| view! { <li><span class="jk">{format!("{k:?}")}</span>": "{json_tree(v, depth + 1, &child(k), logical)}</li> })
                .collect_view();
            view! { <details open=depth < 3 class="jt"><summary>{format!("{{…}} {} keys", o.len())}</summary><ul>{items}</ul></details> }.into_any()
        }
        Value::Array(a) if !a.is_empty() => {
            let items = a
                .iter()
                .enumerate()
                .map(|(i, v)| view! { <li><span class="jk">{i}</span>": "{json_tree(v, depth + 1, &child(&i.to_string()), logical)}</li> })
                .collect_view();
            view! { <details open=depth < 3 class="jt"><summary>{format!("[…] {} items", a.len())}</summary><ul>{items}</ul></details> }.into_any()
        }
        leaf => {
            let shown = match leaf {
                Value::String(s) => view! { <span class="js">{format!("{s:?}")}</span> }.into_any(),
                other => view! { <span class="jn">{other.to_string()}</span> }.into_any(),
            };
            let stored = logical.iter().find(|l| l.path == path).map(|l| {
                let raw = match &l.raw {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                view! { " "<span class="jl" data-testid="logical-raw" title="the value as stored, and its logical type">{format!("{} {raw}", l.logical_type)}</span> }
            });
            view! { {shown}{stored} }.into_any()
        }
    }
}

fn payload_view(
    label: &'static str,
    p: Option<Payload>,
    testid: &'static str,
    cluster: &str,
) -> impl IntoView {
    let Some(p) = p else {
        return view! {
            <section class="payload" data-testid=testid>
                <h4>{label}</h4>
                <p class="sub">{if label == "Value" { "null (a tombstone)" } else { "null" }}</p>
            </section>
        }
        .into_any();
    };
    let copy_text = match &p.json {
        Some(j) => serde_json::to_string_pretty(j).unwrap_or_else(|_| p.text.clone()),
        None => p.text.clone(),
    };
    let raw = p.base64.clone();
    let body = match &p.json {
        Some(j) => {
            view! { <div class="json" data-testid=format!("{testid}-json")>{json_tree(j, 0, "", &p.logical)}</div> }
                .into_any()
        }
        None => {
            view! { <pre data-testid=format!("{testid}-text")>{p.text.clone()}</pre> }.into_any()
        }
    };
    view! {
        <section class="payload" data-testid=testid>
            <h4>
                {label}" "
                <span class="badge muted" data-testid=format!("{testid}-encoding")>{p.encoding.clone()}</span>" "
                <span class="sub">{format::bytes(p.size as f64)}</span>
                {p.masked.then(|| view! { " "<span class="badge warn">"masked"</span> })}
                {p.schema.clone().map(|s| {
                    let text = format!("{} schema {}{}{}", s.kind, s.id,
                        s.subject.clone().map(|x| format!(" · {x}")).unwrap_or_default(),
                        s.version.map(|v| format!(" v{v}")).unwrap_or_default());
                    // The subject's page in the registry browser.
                    let body = match &s.subject {
                        Some(subject) => view! { <a href=href(&format!("/clusters/{}/schemas/{}", enc(cluster), enc(subject)))>{text}</a> }.into_any(),
                        None => view! { {text} }.into_any(),
                    };
                    view! { " "<span class="badge muted" data-testid=format!("{testid}-schema")>{body}</span> }
                })}
                " "<button class="small" type="button" on:click=move |_| copy(copy_text.clone())>"Copy"</button>
                {raw.map(|r| view! { " "<button class="small" type="button" title="the stored bytes, base64" on:click=move |_| copy(r.clone())>"Copy base64"</button> })}
            </h4>
            {p.note.clone().map(|n| view! { <p class="sub" data-testid=format!("{testid}-note")>{n}</p> })}
            {p.truncated.then(|| view! { <p class="sub">"Shown in part (the record is "{format::bytes(p.size as f64)}")."</p> })}
            {body}
        </section>
    }
    .into_any()
}

fn detail(
    m: Message,
    cluster: String,
    topic: String,
    form: Form,
    selected: RwSignal<Option<Message>>,
) -> impl IntoView {
    let link = href(&format!(
        "/clusters/{}/topics/{}/messages?partition={}&from={}&order=oldest&limit=1{}&select={}:{}",
        enc(&cluster),
        enc(&topic),
        m.partition,
        m.offset,
        if form.decode_value.is_empty() {
            String::new()
        } else {
            format!("&decode_value={}", enc(&form.decode_value))
        },
        m.partition,
        m.offset
    ));
    let truncated = m.value.as_ref().is_some_and(|v| v.truncated)
        || m.key.as_ref().is_some_and(|k| k.truncated);
    let full_path = format!(
        "/clusters/{}/topics/{}/messages/{}/{}?{}",
        enc(&cluster),
        enc(&topic),
        m.partition,
        m.offset,
        form.query()
            .split('&')
            .filter(|kv| kv.starts_with("decode_"))
            .collect::<Vec<_>>()
            .join("&")
    );
    let load_full = move |_| {
        let path = full_path.clone();
        spawn_local(async move {
            if let Ok(full) = get_json::<Message>(&path).await {
                selected.set(Some(full));
            }
        });
    };
    let whole = serde_json::to_string_pretty(&m).unwrap_or_default();
    let headers = if m.headers.is_empty() {
        view! { <p class="sub">"No headers."</p> }.into_any()
    } else {
        let rows = m
            .headers
            .iter()
            .map(|h| view! {
                <tr><td class="mono">{h.key.clone()}</td><td class="mono">{preview(&h.value, 200)}</td>
                <td>{h.value.as_ref().map(|v| v.encoding.clone()).unwrap_or_else(|| "null".into())}</td></tr>
            })
            .collect_view();
        view! { <table class="grid" data-testid="detail-headers"><tbody>{rows}</tbody></table> }
            .into_any()
    };
    view! {
        <aside class="msg-detail" data-testid="message-detail" aria-label="Message detail">
            <h3>{format!("Partition {} · offset {}", m.partition, m.offset)}</h3>
            <p class="facts">
                <span>{m.timestamp.clone().unwrap_or_else(|| "no timestamp".into())}</span>
                <span>{m.timestamp_type.clone().map(|t| if t == "create" { "set by the producer" } else { "set by the broker" }).unwrap_or("")}</span>
                <span>{format::bytes(m.size as f64)}</span>
                <a href=link data-testid="message-link">"Link to this record"</a>
                <button class="small" type="button" on:click=move |_| copy(whole.clone())>"Copy as JSON"</button>
                {truncated.then(|| view! { <button class="small" type="button" data-testid="load-full" on:click=load_full>"Load full"</button> })}
            </p>
            {payload_view("Key", m.key.clone(), "detail-key", &cluster)}
            {payload_view("Value", m.value.clone(), "detail-value", &cluster)}
            <h4>"Headers"</h4>
            {headers}
        </aside>
    }
}

fn produce_form(
    path: impl Fn() -> String + Clone + Send + Sync + 'static,
    status: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let partition = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let encoding = RwSignal::new("text".to_string());
    let headers = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let part = partition.get_untracked();
        let part: Option<i32> = match part.trim() {
            "" => None,
            p => match p.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    status.set(Some(Err(format!("partition '{p}' is not a number"))));
                    return;
                }
            },
        };
        let hs: Vec<serde_json::Value> = headers
            .get_untracked()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (k, v) = l.split_once('=').unwrap_or((l, ""));
                serde_json::json!({"key": k.trim(), "value": v})
            })
            .collect();
        let k = key.get_untracked();
        let body = serde_json::json!({
            "partition": part,
            "key": if k.is_empty() { None } else { Some(k) },
            "value": value.get_untracked(),
            "value_encoding": encoding.get_untracked(),
            "headers": hs,
        });
        let p = path();
        spawn_local(async move {
            let r = send_change_json::<ProduceResult>(&p, body).await;
            status.set(Some(r.map(|r| {
                format!(
                    "Written to partition {} at offset {}.",
                    r.partition, r.offset
                )
            })));
        });
    };
    view! {
        <form class="msg-form" data-testid="produce-form" on:submit=submit>
            <div class="row">
                <label class="field"><span>"Partition"</span>
                    <input type="text" placeholder="by key" data-testid="p-partition" on:input=move |ev| partition.set(event_target_value(&ev))/></label>
                <label class="field"><span>"Key"</span>
                    <input type="text" data-testid="p-key" on:input=move |ev| key.set(event_target_value(&ev))/></label>
                <label class="field"><span>"Value is"</span>
                    <select data-testid="p-encoding" on:change=move |ev| encoding.set(event_target_value(&ev))>
                        <option value="text">"text"</option><option value="json">"JSON (checked)"</option><option value="base64">"base64 (binary)"</option>
                    </select></label>
            </div>
            <label class="field wide"><span>"Value"</span>
                <textarea rows="4" data-testid="p-value" on:input=move |ev| value.set(event_target_value(&ev))></textarea></label>
            <label class="field wide"><span>"Headers (name=value per line)"</span>
                <textarea rows="2" data-testid="p-headers" on:input=move |ev| headers.set(event_target_value(&ev))></textarea></label>
            <button type="submit" data-testid="produce-button">"Produce"</button>
            {move || status.get().map(|r| match r {
                Ok(m) => view! { <p class="banner ok" role="status" data-testid="produce-ok">{m}</p> }.into_any(),
                Err(e) => view! { <p class="banner crit" role="alert" data-testid="produce-error">{e}</p> }.into_any(),
            })}
        </form>
    }
}
