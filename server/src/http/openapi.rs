//! The OpenAPI 3.1 document, generated from the route registrations (`utoipa`), served at
//! `/api/v1/openapi.json`, with a browsable page at `/api/v1/docs` rendered from it on the
//! server (no script, so it works under the console's content security policy).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::LazyLock;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Principal;
use super::error::ApiError;
use super::state::AppState;
use crate::embed::html::esc;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kafscope API",
        version = "1",
        description = "Kafka monitoring and management console. JSON, snake_case, times in RFC 3339 UTC, offsets as integers. \
Lists take `q`, `sort`, `order`, `limit`, `offset` and answer `{\"total\", \"items\"}`. \
`null` means unknown and is never replaced by 0. Errors are `{\"error\": {\"code\", \"message\"}}` with the status saying what kind. \
Authenticate with `Authorization: Bearer <token>` (an API token or `server.admin_token`), or a session cookie \
(changes then carry the session's `X-CSRF-Token`)."
    ),
    components(schemas(
        kafscope_api::ErrorBody,
        kafscope_api::SnapshotEvent,
        kafscope_api::Message,
        kafscope_api::ScanStats,
        kafscope_api::StreamDone
    )),
    tags(
        (name = "clusters", description = "Clusters, brokers, connection checks"),
        (name = "topics", description = "Topics and partitions"),
        (name = "consumer groups", description = "Groups, lag, lag in seconds, status, history"),
        (name = "health", description = "Cluster health, broker metrics and their history"),
        (name = "alerts", description = "Alerts, rules, receivers, deliveries, silences, acknowledgements"),
        (name = "messages", description = "Browse, search, tail, export and produce records"),
        (name = "schemas", description = "Schema Registry subjects and versions"),
        (name = "management", description = "Changes as plans: preview, execute, revert; configs"),
        (name = "identity", description = "Who is asking, sessions, tokens, roles, the audit log"),
        (name = "embedding", description = "Widgets, badges and signed embed links for portals"),
        (name = "operations", description = "Liveness, readiness, Prometheus metrics, events"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json` and `GET /api/v1/docs`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(docs))
}

/// The statuses the error envelope answers with, and what each means.
const ERRORS: [(&str, &str); 9] = [
    ("400", "A bad parameter or body (`bad_request`)"),
    (
        "401",
        "Nobody is signed in, or the token is not valid (`unauthorized`)",
    ),
    (
        "403",
        "The principal lacks the permission, or the cluster is read-only (`forbidden`)",
    ),
    (
        "404",
        "No such cluster, topic, group or endpoint (`not_found`)",
    ),
    (
        "409",
        "The change conflicts with the current state (`conflict`)",
    ),
    (
        "429",
        "Too many attempts; try again later (`too_many_requests`)",
    ),
    (
        "500",
        "A defect; the server log has the detail (`internal`)",
    ),
    (
        "501",
        "The broker does not implement the Kafka API this needs (`unsupported`)",
    ),
    (
        "503",
        "Kafka or the store cannot be reached right now (`unavailable`)",
    ),
];

/// The document as served: the generated one, with the error envelope on every API
/// operation and the ways to authenticate.
pub fn document() -> &'static Value {
    static DOC: LazyLock<Value> = LazyLock::new(|| {
        let mut doc = serde_json::to_value(super::routes().into_openapi())
            .expect("the OpenAPI document serialises");
        complete(&mut doc);
        doc
    });
    &DOC
}

fn complete(doc: &mut Value) {
    let envelope = json!({"$ref": "#/components/schemas/ErrorBody"});
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(ops) = item.as_object_mut() else {
                continue;
            };
            for op in ops.values_mut() {
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                    continue;
                };
                // The API, and the pages outside it that answer with the envelope too.
                if !(path.starts_with("/api/v1/")
                    || path.starts_with("/auth/")
                    || path == "/metrics")
                {
                    continue;
                }
                for (status, meaning) in ERRORS {
                    responses.entry(status.to_string()).or_insert_with(|| {
                        json!({
                            "description": meaning,
                            "content": {"application/json": {"schema": envelope}}
                        })
                    });
                }
            }
        }
    }
    let components = doc["components"]
        .as_object_mut()
        .expect("the document has components");
    components.insert(
        "securitySchemes".into(),
        json!({
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "An API token (`ksc_…`) or `server.admin_token`"},
            "session": {"type": "apiKey", "in": "cookie", "name": super::auth::COOKIE,
                        "description": "A signed-in session; changes also carry `X-CSRF-Token`"}
        }),
    );
    // Anonymous access exists where the configuration grants it.
    doc["security"] = json!([{}, {"bearer": []}, {"session": []}]);
}

/// The document for this console: its base path as the server URL.
fn for_console(st: &AppState) -> Value {
    let mut doc = document().clone();
    let base = if st.auth.base_path.is_empty() {
        "/".to_string()
    } else {
        st.auth.base_path.clone()
    };
    doc["servers"] = json!([{"url": base}]);
    doc
}

#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi", tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1)", content_type = "application/json", body = Object)))]
async fn openapi_json(
    State(st): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    // Authorised like every route: anyone who may view something here may read the contract.
    st.allow_somewhere(&principal)?;
    Ok(Json(for_console(&st)))
}

#[utoipa::path(get, path = "/docs", operation_id = "api_docs", tag = "operations",
    responses((status = 200, description = "The API documented as a page, from this document", content_type = "text/html", body = String)))]
async fn docs(State(st): State<AppState>, principal: Principal) -> Result<Response, ApiError> {
    st.allow_somewhere(&principal)?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        render(&for_console(&st)),
    )
        .into_response())
}

/// The name of a schema a `$ref` points to, or its JSON type.
fn type_name(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_string();
    }
    if let Some(items) = schema.get("items") {
        return format!("[{}]", type_name(items));
    }
    if let Some(all) = schema["oneOf"].as_array().or(schema["allOf"].as_array()) {
        return all.iter().map(type_name).collect::<Vec<_>>().join(" | ");
    }
    match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "object".into(),
    }
}

/// A plain page: operations by tag, each with its parameters, body and answers, and the
/// schemas' fields.
pub fn render(doc: &Value) -> String {
    let mut by_tag: BTreeMap<String, Vec<(String, String, &Value)>> = BTreeMap::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                by_tag
                    .entry(tag)
                    .or_default()
                    .push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    let mut s = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kafscope API</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"../../embed/widget.css\"></head><body><main class=\"docs\">",
    );
    let _ = write!(
        s,
        "<h1>{}</h1><p>{}</p><p><a href=\"openapi.json\">openapi.json</a> (OpenAPI {})</p>",
        esc(doc["info"]["title"].as_str().unwrap_or_default()),
        esc(doc["info"]["description"].as_str().unwrap_or_default()),
        esc(doc["openapi"].as_str().unwrap_or_default())
    );
    for (tag, ops) in &by_tag {
        let _ = write!(s, "<h2 id=\"{0}\">{0}</h2>", esc(tag));
        for (method, path, op) in ops {
            let _ = write!(
                s,
                "<section class=\"op\"><h3><code>{method} {}</code></h3>",
                esc(path)
            );
            if let Some(d) = op["description"].as_str().or(op["summary"].as_str()) {
                let _ = write!(s, "<p>{}</p>", esc(d));
            }
            if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
                s.push_str("<table><thead><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr></thead><tbody>");
                for p in params {
                    let _ = write!(
                        s,
                        "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(p["name"].as_str().unwrap_or_default()),
                        esc(p["in"].as_str().unwrap_or_default()),
                        esc(&type_name(&p["schema"])),
                        esc(p["description"].as_str().unwrap_or_default())
                    );
                }
                s.push_str("</tbody></table>");
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (ct, c) in content {
                    let _ = write!(
                        s,
                        "<p>Body: <code>{}</code> ({})</p>",
                        esc(&type_name(&c["schema"])),
                        esc(ct)
                    );
                }
            }
            s.push_str("<ul>");
            for (status, r) in op["responses"].as_object().into_iter().flatten() {
                let types: Vec<String> = r["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(ct, c)| format!("{} ({ct})", type_name(&c["schema"])))
                    .collect();
                let _ = write!(
                    s,
                    "<li><code>{}</code> {} {}</li>",
                    esc(status),
                    esc(r["description"].as_str().unwrap_or_default()),
                    esc(&types.join(", "))
                );
            }
            s.push_str("</ul></section>");
        }
    }
    s.push_str("<h2 id=\"schemas\">schemas</h2>");
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let _ = write!(
            s,
            "<section class=\"op\"><h3 id=\"{0}\"><code>{0}</code></h3>",
            esc(name)
        );
        if let Some(d) = schema["description"].as_str() {
            let _ = write!(s, "<p>{}</p>", esc(d));
        }
        if let Some(props) = schema["properties"].as_object() {
            s.push_str("<table><tbody>");
            for (field, f) in props {
                let _ = write!(
                    s,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                    esc(field),
                    esc(&type_name(f)),
                    esc(f["description"].as_str().unwrap_or_default())
                );
            }
            s.push_str("</tbody></table>");
        }
        s.push_str("</section>");
    }
    s.push_str("</main></body></html>");
    s
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use regex::Regex;
    use serde_json::Value;

    /// (METHOD, path) pairs the router really serves, read from axum's `Debug` output (axum
    /// 0.8 has no other way to list routes). HEAD comes with GET and is left out. The parser
    /// is strict: a changed format fails here rather than comparing nothing.
    fn served() -> BTreeSet<(String, String)> {
        let (router, _) = super::super::routes().split_for_parts();
        let dbg = format!("{router:?}");
        let main = dbg.split("fallback_router:").next().unwrap();
        let paths: BTreeMap<u32, String> = Regex::new(r#"RouteId\((\d+)\): "([^"]*)""#)
            .unwrap()
            .captures_iter(main)
            .map(|c| (c[1].parse().unwrap(), c[2].to_string()))
            .collect();
        let methods: BTreeMap<u32, Vec<String>> = Regex::new(
            r#"RouteId\((\d+)\): MethodRouter\(MethodRouter \{[^}]*?allow_header: Bytes\(b"([A-Z,]*)"\)"#,
        )
        .unwrap()
        .captures_iter(main)
        .map(|c| {
            let list: Vec<String> = c[2]
                .split(',')
                .filter(|m| *m != "HEAD")
                .map(String::from)
                .collect();
            (c[1].parse().unwrap(), list)
        })
        .collect();
        assert!(
            paths.len() >= 60,
            "axum's Debug format changed: {}",
            &dbg[..300]
        );
        for id in paths.keys() {
            assert!(
                methods.contains_key(id),
                "route {} has no method list (a route_service?)",
                paths[id]
            );
        }
        paths
            .iter()
            .flat_map(|(id, path)| methods[id].iter().map(move |m| (m.clone(), path.clone())))
            .collect()
    }

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| {
                        [
                            "get", "put", "post", "delete", "patch", "options", "head", "trace",
                        ]
                        .contains(&k.as_str())
                    })
                    .map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect()
    }

    #[test]
    fn the_document_covers_exactly_the_routes_served() {
        let doc = super::document();
        let served = served();
        let documented = documented(doc);
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let phantom: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served, not documented: {undocumented:?}"
        );
        assert!(phantom.is_empty(), "documented, not served: {phantom:?}");
        assert!(served.contains(&("GET".into(), "/api/v1/openapi.json".into())));
    }

    /// Every `$ref` of the document, recursively.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_consistent() {
        let doc = super::document();
        assert_eq!(doc["openapi"], "3.1.0");
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut all = Vec::new();
        refs(doc, &mut all);
        assert!(all.len() > 100);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(schemas.contains_key(name), "unresolved {r}");
        }
        let mut ids = BTreeSet::new();
        let placeholder = Regex::new(r"\{(\w+)\}").unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
                let params: BTreeSet<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "path")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                for c in placeholder.captures_iter(path) {
                    assert!(
                        params.contains(&c[1]),
                        "{method} {path}: no parameter {}",
                        &c[1]
                    );
                }
                if path.starts_with("/api/v1/") {
                    let r = &op["responses"];
                    for status in ["400", "401", "403", "404", "503"] {
                        assert_eq!(
                            r[status]["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/ErrorBody",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_docs_page_lists_every_operation() {
        let doc = super::document();
        let page = super::render(doc);
        for (method, path) in documented(doc) {
            let line = format!("<code>{method} {}</code>", super::esc(&path));
            assert!(page.contains(&line), "{line}");
        }
        assert!(page.contains("<h3 id=\"GroupDetail\">"));
    }
}
