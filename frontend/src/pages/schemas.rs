//! `/clusters/:cluster/schemas` and `/clusters/:cluster/schemas/:subject`: the cluster's
//! Schema Registry — subjects and the topics they belong to, versions side by side, the
//! compatibility levels, and (with `schemas.manage`) test, register and delete.

use kafscope_api::{
    diff_lines, CompatibilityChanged, CompatibilityCheck, DiffLine, Registered, SchemaVersion,
    SchemasDeleted, SubjectDetail, SubjectList, COMPATIBILITY_LEVELS,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

use crate::api::{can, enc, href, needs, send_json, use_fetch, Load};
use crate::components::{show, ClusterHeader, Empty};

type Status = RwSignal<Option<Result<String, String>>>;

fn status_view(status: Status) -> impl IntoView {
    move || {
        status.get().map(|r| match r {
            Ok(m) => {
                view! { <p class="banner ok" role="status" data-testid="schema-status">{m}</p> }
                    .into_any()
            }
            Err(e) => {
                view! { <p class="banner crit" role="alert" data-testid="schema-error">{e}</p> }
                    .into_any()
            }
        })
    }
}

fn subject_href(cluster: &str, subject: &str) -> String {
    href(&format!(
        "/clusters/{}/schemas/{}",
        enc(cluster),
        enc(subject)
    ))
}

fn strategy_text(s: &str) -> &'static str {
    match s {
        "topic_name" => "topic name",
        "topic_record_name" => "topic + record name",
        _ => "record name (any topic)",
    }
}

fn topics_view(cluster: &str, topics: &[kafscope_api::SubjectTopic]) -> AnyView {
    if topics.is_empty() {
        return view! { <span class="sub">"—"</span> }.into_any();
    }
    topics
        .iter()
        .map(|t| {
            let part = t.part.clone().map(|p| format!(" ({p})")).unwrap_or_default();
            if t.exists {
                let link = href(&format!("/clusters/{}/topics/{}", enc(cluster), enc(&t.topic)));
                view! { <a href=link data-testid="subject-topic">{t.topic.clone()}</a>{part}" " }.into_any()
            } else {
                view! { <span title="no such topic in the cluster now">{t.topic.clone()}{part}" (not in the cluster)"</span> }.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// A level picker with a Set button; `none_label` adds a choice that removes a subject's
/// own level.
fn level_form(
    current: Option<String>,
    none_label: Option<&'static str>,
    testid: &'static str,
    on_set: impl Fn(Option<String>) + Send + Sync + 'static,
) -> impl IntoView {
    // What the select shows at first: the current level, else "" (the no-level choice) or
    // the first level when there is no such choice.
    let chosen = RwSignal::new(current.clone().unwrap_or_else(|| match none_label {
        Some(_) => String::new(),
        None => COMPATIBILITY_LEVELS[0].to_string(),
    }));
    let options = COMPATIBILITY_LEVELS
        .iter()
        .map(|l| {
            let l = l.to_string();
            let sel = current.as_deref() == Some(l.as_str());
            view! { <option value=l.clone() selected=sel>{l.clone()}</option> }
        })
        .collect_view();
    view! {
        <span class="row">
            <select aria-label="Compatibility level" data-testid=format!("{testid}-select") on:change=move |e| chosen.set(event_target_value(&e))>
                {none_label.map(|n| view! { <option value="" selected=current.is_none()>{n}</option> })}
                {options}
            </select>
            " "<button class="small" type="button" data-testid=format!("{testid}-set")
                on:click=move |_| on_set(Some(chosen.get_untracked()).filter(|l| !l.is_empty()))>"Set"</button>
        </span>
    }
}

#[component]
pub fn Subjects() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let q = RwSignal::new(String::new());
    let again = RwSignal::new(0u64);
    let list = use_fetch::<SubjectList>(
        move || {
            format!(
                "/clusters/{}/subjects?q={}",
                enc(&cluster.get()),
                enc(&q.get())
            )
        },
        again,
    );
    let status: Status = RwSignal::new(None);
    let new_subject = RwSignal::new(String::new());
    let draft = Draft::new();
    // A bool, so that reloads do not re-create the form.
    let listed = Memo::new(move |_| matches!(list.get(), Load::Ready(_)));
    view! {
        <ClusterHeader cluster active="schemas"/>
        <h2>"Schema Registry"</h2>
        {status_view(status)}
        <div class="row">
            <label class="field"><span>"Search subjects"</span>
                <input type="search" data-testid="subject-search" prop:value=move || q.get()
                    on:input=move |e| q.set(event_target_value(&e))/></label>
        </div>
        {show(list, move |l: SubjectList| {
            let c = cluster.get_untracked();
            let manage = can("schemas.manage", Some(&c));
            let global = l.compatibility.clone();
            let set_global = {
                let c = c.clone();
                move |level: Option<String>| {
                    let c = c.clone();
                    spawn_local(async move {
                        let body = serde_json::json!({"level": level});
                        let r = send_json::<CompatibilityChanged>("PUT", &format!("/clusters/{}/compatibility", enc(&c)), Some(body)).await;
                        status.set(Some(r.map(|x| format!("Global compatibility: {} → {}.", x.before.unwrap_or_else(|| "none".into()), x.after.unwrap_or_default()))));
                        again.update(|n| *n += 1);
                    });
                }
            };
            let rows = l.subjects.iter().map(|s| {
                let version = match (s.latest_version, s.latest_id) {
                    (Some(v), Some(id)) => format!("v{v} · id {id}"),
                    _ => String::new(),
                };
                view! {
                    <tr data-testid=format!("subject-row-{}", s.subject)>
                        <td><a href=subject_href(&c, &s.subject)>{s.subject.clone()}</a>
                            {s.deleted.then(|| view! { " "<span class="badge muted">"soft-deleted"</span> })}</td>
                        <td class="sub">{strategy_text(&s.strategy)}</td>
                        <td>{topics_view(&c, &s.topics)}</td>
                        <td>{s.kind.clone().unwrap_or_default()}</td>
                        <td class="sub">{version}</td>
                    </tr>
                }
            }).collect_view();
            let table = if l.subjects.is_empty() {
                view! { <Empty message="No subject matches.".to_string()/> }.into_any()
            } else {
                view! {
                    <table class="grid" data-testid="subjects-table">
                        <thead><tr><th>"Subject"</th><th>"Naming strategy"</th><th>"Topics"</th><th>"Type"</th><th>"Latest"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }.into_any()
            };
            view! {
                <p class="sub">"Registry "<code>{l.registry.clone()}</code>" · global compatibility "
                    <strong data-testid="global-compatibility">{global.clone().unwrap_or_else(|| "unknown".into())}</strong>
                    {manage.then(|| view! { " " {level_form(global.clone(), None, "global-compat", set_global.clone())} })}
                </p>
                {table}
            }.into_any()
        })}
        {move || if !listed.get() {
            ().into_any()
        } else if can("schemas.manage", Some(&cluster.get())) {
            view! {
                <h3>"Register a schema under a new subject"</h3>
                <label class="field"><span>"Subject (for a topic's values: <topic>-value)"</span>
                    <input type="text" data-testid="new-subject" prop:value=move || new_subject.get()
                        on:input=move |e| new_subject.set(event_target_value(&e))/></label>
                <SchemaForm cluster subject=Signal::derive(move || new_subject.get()) draft status again/>
            }.into_any()
        } else {
            view! { <p class="sub">{needs("schemas.manage")}</p> }.into_any()
        }}
    }
}

/// A new schema being written: its text, type, references (one per line: `import-name
/// subject version`) and the last compatibility verdict.
#[derive(Clone, Copy)]
struct Draft {
    text: RwSignal<String>,
    kind: RwSignal<String>,
    refs: RwSignal<String>,
    verdict: RwSignal<Option<CompatibilityCheck>>,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            text: RwSignal::new(String::new()),
            kind: RwSignal::new("AVRO".to_string()),
            refs: RwSignal::new(String::new()),
            verdict: RwSignal::new(None),
        }
    }

    /// Start from a version (the latest), or from nothing.
    fn load(&self, v: Option<&SchemaVersion>) {
        self.text
            .set(v.map(|v| v.schema.clone()).unwrap_or_default());
        self.kind
            .set(v.map_or("AVRO".to_string(), |v| v.kind.clone()));
        self.refs.set(
            v.map(|v| {
                v.references
                    .iter()
                    .map(|r| format!("{} {} {}", r.name, r.subject, r.version))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        );
        self.verdict.set(None);
    }

    /// The API body, or what is wrong with the references.
    fn body(&self) -> Result<serde_json::Value, String> {
        let mut refs = Vec::new();
        for line in self
            .refs
            .get_untracked()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                [name, subject, version] if version.parse::<i64>().is_ok() => refs.push(
                    serde_json::json!({"name": name, "subject": subject, "version": version.parse::<i64>().unwrap_or(1)}),
                ),
                _ => return Err(format!("reference '{line}': write it as: import-name subject version")),
            }
        }
        Ok(serde_json::json!({
            "schema": self.text.get_untracked(),
            "schema_type": self.kind.get_untracked(),
            "references": refs,
        }))
    }
}

/// A schema text with Test compatibility and Register.
#[component]
fn SchemaForm(
    cluster: Signal<String>,
    subject: Signal<String>,
    draft: Draft,
    status: Status,
    again: RwSignal<u64>,
) -> impl IntoView {
    let Draft {
        text,
        kind,
        refs,
        verdict,
    } = draft;
    let path = move |tail: &str| {
        format!(
            "/clusters/{}/subjects/{}/{tail}",
            enc(&cluster.get_untracked()),
            enc(subject.get_untracked().trim())
        )
    };
    let test = move |_| {
        let p = path("compatibility-check");
        let b = match draft.body() {
            Ok(b) => b,
            Err(e) => return status.set(Some(Err(e))),
        };
        spawn_local(async move {
            match send_json::<CompatibilityCheck>("POST", &p, Some(b)).await {
                Ok(c) => {
                    verdict.set(Some(c));
                    status.set(None);
                }
                Err(e) => status.set(Some(Err(e))),
            }
        });
    };
    let register = move |_| {
        let p = path("versions");
        let b = match draft.body() {
            Ok(b) => b,
            Err(e) => return status.set(Some(Err(e))),
        };
        spawn_local(async move {
            let r = send_json::<Registered>("POST", &p, Some(b)).await;
            // Only a registered schema changes what the page shows; a refusal keeps the
            // verdict that explains it.
            if r.is_ok() {
                verdict.set(None);
                again.update(|n| *n += 1);
            }
            status.set(Some(r.map(|x| {
                format!(
                    "Registered {} as schema id {}{} (audit entry {}).",
                    x.subject,
                    x.id,
                    x.version
                        .map(|v| format!(", version {v}"))
                        .unwrap_or_default(),
                    x.audit_id
                        .map(|i| format!("#{i}"))
                        .unwrap_or_else(|| "not written".into())
                )
            })));
        });
    };
    let kinds = ["AVRO", "PROTOBUF", "JSON"]
        .map(|k| view! { <option value=k selected=move || kind.get() == k>{k}</option> });
    let no_subject = move || subject.get().trim().is_empty();
    view! {
        <div class="dialog" data-testid="schema-form">
            <label class="field"><span>"Type"</span>
                <select data-testid="schema-kind" on:change=move |e| kind.set(event_target_value(&e))>{kinds.collect_view()}</select></label>
            <textarea class="schema" aria-label="Schema text" data-testid="schema-text" prop:value=move || text.get()
                on:input=move |e| { text.set(event_target_value(&e)); verdict.set(None); }></textarea>
            <label class="field"><span>"References, one per line: import-name subject version (a Protobuf import path, an Avro full name)"</span>
                <textarea data-testid="schema-refs" rows="2" prop:value=move || refs.get()
                    on:input=move |e| { refs.set(event_target_value(&e)); verdict.set(None); }></textarea></label>
            <div class="row actions">
                <button type="button" data-testid="schema-test" on:click=test disabled=no_subject>"Test compatibility"</button>
                " "<button type="button" data-testid="schema-register" on:click=register
                    disabled=move || no_subject() || text.get().trim().is_empty()>"Register"</button>
            </div>
            {move || verdict.get().map(|c| {
                let level = c.level.clone().unwrap_or_else(|| "its level".into());
                let msgs = c.messages.iter().map(|m| view! { <li>{m.clone()}</li> }).collect_view();
                if c.compatible {
                    view! { <div class="banner ok" data-testid="compat-verdict">"Compatible under "{level}"."<ul>{msgs}</ul></div> }.into_any()
                } else {
                    view! { <div class="banner crit" data-testid="compat-verdict">"Not compatible under "{level}": registering it will be refused."<ul>{msgs}</ul></div> }.into_any()
                }
            })}
        </div>
    }
}

#[component]
pub fn Subject() -> impl IntoView {
    let params = use_params_map();
    let cluster = Signal::derive(move || params.read().get("cluster").unwrap_or_default());
    let subject = Signal::derive(move || params.read().get("subject").unwrap_or_default());
    let again = RwSignal::new(0u64);
    let detail = use_fetch::<SubjectDetail>(
        move || {
            format!(
                "/clusters/{}/subjects/{}",
                enc(&cluster.get()),
                enc(&subject.get())
            )
        },
        again,
    );
    let status: Status = RwSignal::new(None);
    // The new version starts as the latest version, once per subject: reloads after a change
    // keep what the user typed; another subject (a reference followed) starts afresh.
    let draft = Draft::new();
    let primed: StoredValue<Option<String>> = StoredValue::new(None);
    let loaded = Memo::new(move |_| matches!(detail.get(), Load::Ready(_)));
    Effect::new(move |_| {
        if let Load::Ready(d) = detail.get() {
            if primed.get_value().as_deref() != Some(d.subject.as_str()) {
                if primed.get_value().is_some() {
                    status.set(None);
                }
                primed.set_value(Some(d.subject.clone()));
                draft.load(d.versions.iter().rev().find(|v| !v.deleted));
            }
        }
    });
    view! {
        <ClusterHeader cluster active="schemas"/>
        <p class="sub"><a href=move || href(&format!("/clusters/{}/schemas", enc(&cluster.get())))>"Schema Registry"</a>" /"</p>
        <h2 data-testid="subject-name">{move || subject.get()}</h2>
        {status_view(status)}
        {show(detail, move |d: SubjectDetail| subject_body(cluster, subject, d, status, again))}
        {move || if !loaded.get() {
            ().into_any()
        } else if can("schemas.manage", Some(&cluster.get())) {
            view! {
                <h3>"New version"</h3>
                <p class="sub">"Edit the latest version, test it against the subject's compatibility level, then register it."</p>
                <SchemaForm cluster subject draft status again/>
            }.into_any()
        } else {
            view! { <p class="sub">{needs("schemas.manage")}" (to register, change compatibility or delete)"</p> }.into_any()
        }}
    }
}

fn subject_body(
    cluster: Signal<String>,
    subject: Signal<String>,
    d: SubjectDetail,
    status: Status,
    again: RwSignal<u64>,
) -> AnyView {
    let c = cluster.get_untracked();
    let manage = can("schemas.manage", Some(&c));
    let versions = StoredValue::new(d.versions.clone());
    let n = d.versions.len();
    // Shown: the newest; compared: the one before it.
    let right = RwSignal::new(d.versions.last().map(|v| v.version));
    let left = RwSignal::new(n.checked_sub(2).map(|i| d.versions[i].version));
    let pick = move |v: Option<i64>| {
        versions.with_value(|vs| vs.iter().find(|x| Some(x.version) == v).cloned())
    };
    let set_level = move |level: Option<String>| {
        let p = format!(
            "/clusters/{}/subjects/{}/compatibility",
            enc(&cluster.get_untracked()),
            enc(&subject.get_untracked())
        );
        spawn_local(async move {
            let r = send_json::<CompatibilityChanged>(
                "PUT",
                &p,
                Some(serde_json::json!({"level": level})),
            )
            .await;
            status.set(Some(r.map(|x| {
                format!(
                    "Compatibility of this subject: {} → {}.",
                    x.before.unwrap_or_else(|| "global".into()),
                    x.after.unwrap_or_else(|| "global".into())
                )
            })));
            again.update(|n| *n += 1);
        });
    };
    let rows = d.versions.iter().rev().map(|v| {
        let ver = v.version;
        let refs = v.references.iter().map(|r| {
            let link = subject_href(&c, &r.subject);
            view! { <a href=link>{format!("{} → {} v{}", r.name, r.subject, r.version)}</a>" " }
        }).collect_view();
        view! {
            <tr data-testid=format!("version-row-{ver}") class:selected=move || right.get() == Some(ver)>
                <td class="num">{ver}</td>
                <td class="num">{v.id}</td>
                <td>{v.kind.clone()}{v.deleted.then(|| view! { " "<span class="badge muted">"soft-deleted"</span> })}</td>
                <td>{refs}</td>
                <td>
                    <label><input type="radio" name="left" aria-label=format!("compare version {ver} as the old one") checked=move || left.get() == Some(ver) on:change=move |_| left.set(Some(ver))/>" old"</label>" "
                    <label><input type="radio" name="right" aria-label=format!("show version {ver}, or compare it as the new one") data-testid=format!("show-version-{ver}") checked=move || right.get() == Some(ver) on:change=move |_| right.set(Some(ver))/>" new"</label>
                </td>
            </tr>
        }
    }).collect_view();
    let compat = view! {
        <p class="sub">
            "Naming strategy: "{strategy_text(&d.strategy)}" · topics: "{topics_view(&c, &d.topics)}
            " · compatibility "<strong data-testid="subject-compatibility">{d.effective_compatibility.clone().unwrap_or_else(|| "unknown".into())}</strong>
            {if d.compatibility.is_some() { " (its own level)" } else { " (the global level)" }}
            {manage.then(|| view! { " " {level_form(d.compatibility.clone(), Some("use the global level"), "subject-compat", set_level)} })}
        </p>
    };
    let shown = move || {
        let r = pick(right.get());
        let l = pick(left.get());
        match (l, r) {
            (Some(l), Some(r)) if l.version != r.version => diff_view(&l, &r).into_any(),
            (_, Some(r)) => view! {
                <h3>{format!("Version {} · schema id {}", r.version, r.id)}</h3>
                <pre class="schema" data-testid="schema-view">{r.schema.clone()}</pre>
            }
            .into_any(),
            _ => view! { <p class="sub">"No version left."</p> }.into_any(),
        }
    };
    let form = manage.then(|| delete_view(cluster, subject, d.clone(), status, again));
    view! {
        {compat}
        <table class="grid" data-testid="versions-table">
            <thead><tr><th class="num">"Version"</th><th class="num">"Schema id"</th><th>"Type"</th><th>"References"</th><th>"Compare"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {shown}
        {form}
    }
    .into_any()
}

/// Two versions side by side, changed lines marked.
fn diff_view(l: &SchemaVersion, r: &SchemaVersion) -> impl IntoView {
    let title = format!("Version {} → version {}", l.version, r.version);
    let Some(lines) = diff_lines(&l.schema, &r.schema) else {
        return view! { <h3>{title}</h3><p class="sub">"Too long to compare line by line."</p> }
            .into_any();
    };
    let (mut ln, mut rn) = (0usize, 0usize);
    let rows = lines
        .into_iter()
        .map(|line| match line {
            DiffLine::Same(t) => {
                ln += 1;
                rn += 1;
                view! { <tr><td class="num">{ln}</td><td>{t.clone()}</td><td class="num">{rn}</td><td>{t}</td></tr> }.into_any()
            }
            DiffLine::Removed(t) => {
                ln += 1;
                view! { <tr data-testid="diff-removed"><td class="num">{ln}</td><td class="del">{t}</td><td class="num"></td><td></td></tr> }.into_any()
            }
            DiffLine::Added(t) => {
                rn += 1;
                view! { <tr data-testid="diff-added"><td class="num"></td><td></td><td class="num">{rn}</td><td class="add">{t}</td></tr> }.into_any()
            }
        })
        .collect_view();
    view! {
        <h3 data-testid="diff-title">{title}</h3>
        <table class="diff" data-testid="schema-diff"><tbody>{rows}</tbody></table>
    }
    .into_any()
}

/// Delete a version or the subject: a preview of what goes, then soft, or permanent with
/// the subject's name typed.
fn delete_view(
    cluster: Signal<String>,
    subject: Signal<String>,
    d: SubjectDetail,
    status: Status,
    again: RwSignal<u64>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let target: RwSignal<Option<i64>> = RwSignal::new(None);
    let all_deleted = d.versions.iter().all(|v| v.deleted);
    let go = move |permanent: bool| {
        let v = target.get_untracked();
        let mut p = match v {
            Some(v) => format!(
                "/clusters/{}/subjects/{}/versions/{v}",
                enc(&cluster.get_untracked()),
                enc(&subject.get_untracked())
            ),
            None => format!(
                "/clusters/{}/subjects/{}",
                enc(&cluster.get_untracked()),
                enc(&subject.get_untracked())
            ),
        };
        if permanent {
            p.push_str(&format!(
                "?permanent=true&confirm={}",
                enc(&typed.get_untracked())
            ));
        }
        spawn_local(async move {
            let r = send_json::<SchemasDeleted>("DELETE", &p, None).await;
            status.set(Some(r.map(|x| {
                let vs = x
                    .versions
                    .iter()
                    .map(|v| format!("v{v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "{} {} of {} (audit entry {}).",
                    if x.permanent {
                        "Permanently deleted"
                    } else {
                        "Soft-deleted"
                    },
                    vs,
                    x.subject,
                    x.audit_id
                        .map(|i| format!("#{i}"))
                        .unwrap_or_else(|| "not written".into())
                )
            })));
            open.set(false);
            typed.set(String::new());
            again.update(|n| *n += 1);
        });
    };
    let versions = StoredValue::new(d.versions.clone());
    let topics = d
        .topics
        .iter()
        .filter(|t| t.exists)
        .map(|t| t.topic.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let choices = d.versions.iter().rev().map(|v| {
        let ver = v.version;
        view! { <option value=ver.to_string()>{format!("version {ver} (id {}){}", v.id, if v.deleted { ", soft-deleted" } else { "" })}</option> }
    }).collect_view();
    view! {
        <h3>"Delete"</h3>
        <div class="row">
            <select aria-label="What to delete" data-testid="delete-target" on:change=move |e| {
                // A name typed for one target never confirms another.
                typed.set(String::new());
                target.set(event_target_value(&e).parse().ok());
            }>
                <option value="" selected>"the whole subject"</option>
                {choices}
            </select>
            " "<button type="button" data-testid="delete-preview" on:click=move |_| { typed.set(String::new()); open.set(true); }>"Delete…"</button>
        </div>
        {move || open.get().then(|| {
            let t = target.get();
            let gone: Vec<String> = versions.with_value(|vs| vs.iter()
                .filter(|v| t.is_none_or(|t| t == v.version))
                .map(|v| format!("v{} (id {}){}", v.version, v.id, if v.deleted { " soft-deleted" } else { "" })).collect());
            let name = subject.get_untracked();
            let soft_done = match t {
                Some(t) => versions.with_value(|vs| vs.iter().any(|v| v.version == t && v.deleted)),
                None => all_deleted,
            };
            let topics = topics.clone();
            view! {
                <div class="dialog" data-testid="delete-dialog" role="dialog" aria-label="Delete schema versions">
                    <p><strong>{if t.is_some() { "This deletes one version: " } else { "This deletes every version of the subject: " }}</strong>
                        <span data-testid="delete-versions">{gone.join(", ")}</span></p>
                    {(!topics.is_empty()).then(|| view! { <p class="banner warn">"Producers and consumers of "{topics}" look schemas up by this subject: records written with a deleted schema id can still be read while the id exists; a permanent delete removes it."</p> })}
                    <p class="sub">"A soft delete can be undone by registering the schema again; a permanent delete cannot, and needs a soft delete first."</p>
                    <div class="row actions">
                        {(!soft_done).then(|| view! { <button type="button" data-testid="delete-soft" on:click=move |_| go(false)>"Soft delete"</button>" " })}
                        <label class="field"><span>{format!("Type {name} to delete permanently")}</span>
                            <input type="text" data-testid="delete-confirm" prop:value=move || typed.get()
                                on:input=move |e| typed.set(event_target_value(&e))/></label>
                        " "<button type="button" class="danger" data-testid="delete-permanent"
                            disabled=move || !soft_done || typed.get() != subject.get_untracked() on:click=move |_| go(true)>"Delete permanently"</button>
                        " "<button type="button" on:click=move |_| { typed.set(String::new()); open.set(false); }>"Cancel"</button>
                    </div>
                </div>
            }
        })}
    }
}

/// The topic page's line: the subjects of this topic, linked.
#[component]
pub fn TopicSubjects(cluster: Signal<String>, topic: Signal<String>) -> impl IntoView {
    let again = RwSignal::new(0u64);
    let list = use_fetch::<SubjectList>(
        move || {
            format!(
                "/clusters/{}/subjects?topic={}",
                enc(&cluster.get()),
                enc(&topic.get())
            )
        },
        again,
    );
    move || {
        match list.get() {
        Load::Ready(l) if !l.subjects.is_empty() => {
            let c = cluster.get_untracked();
            let links = l.subjects.iter().map(|s| {
                view! { <a href=subject_href(&c, &s.subject) data-testid="topic-subject">{s.subject.clone()}</a>" " }
            }).collect_view();
            view! { <p class="sub" data-testid="topic-subjects">"Schemas: "{links}</p> }.into_any()
        }
        Load::Ready(_) => view! { <p class="sub" data-testid="topic-subjects">"No Schema Registry subject names this topic."</p> }.into_any(),
        Load::Failed(e) => view! { <p class="sub" data-testid="topic-subjects">"Schemas: "{e}</p> }.into_any(),
        Load::Loading => ().into_any(),
    }
    }
}
