//! Signed embed links over HTTP: the principal a link is (on its one URL), and
//! `POST /api/v1/embed-links`, which mints one for a principal who may see what it shows.

use std::collections::BTreeMap;
use std::net::IpAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use kafscope_api::{EmbedLink, EmbedLinkRequest};
use regex::{Regex, RegexBuilder};

use super::params::{check, WidgetQuery};
use super::{grey_badge, html};
use crate::collect::now_ms;
use crate::embed::html::{error_page, Theme};
use crate::embed::{link, BADGES, WIDGETS};
use crate::http::auth::access::{sees_all, Binding, Role, Scope};
use crate::http::auth::{audit_entry, Permission, Principal, PrincipalKind, Resource};
use crate::http::error::ApiError;
use crate::http::state::{rfc3339, AppState};

/// A regex that matches nothing: a scope that grants no topic (or no group) by name.
fn none_re() -> Regex {
    Regex::new(r"[^\s\S]").expect("a valid regex")
}

/// Exactly `name`; nothing when the pattern would be too large (names are bounded when a
/// link is made, so only a hand-made URL gets here, and it opens nothing).
fn exactly(name: &str) -> Regex {
    RegexBuilder::new(&format!("^{}$", regex::escape(name)))
        .size_limit(1 << 20)
        .build()
        .unwrap_or_else(|_| none_re())
}

/// The scope a link grants: its cluster, and by name only what its widget shows. `None`
/// for a link without a cluster (never made; refused rather than read as "every cluster").
fn link_scope(widget: &str, params: &BTreeMap<String, String>) -> Option<Scope> {
    let cluster = params.get("cluster")?.clone();
    let group = params.get("group").map(|g| exactly(g));
    let topic = params.get("topic").map(|t| exactly(t));
    let (topics, groups) = match widget {
        "health" | "health.svg" => (Some(none_re()), Some(none_re())),
        // A topic's widget lists the groups reading it, when its maker may see every group.
        "topic" => {
            let all = params.get("with_groups").is_some_and(|w| w == "true");
            let groups = if all {
                Regex::new(".*").expect("a valid regex")
            } else {
                none_re()
            };
            (topic, Some(groups))
        }
        "alerts" => match (topic, group) {
            (None, None) => (None, None),
            (t, g) => (t.or_else(|| Some(none_re())), g.or_else(|| Some(none_re()))),
        },
        _ => (Some(none_re()), group.or_else(|| Some(none_re()))),
    };
    Some(Scope {
        clusters: vec![cluster],
        topics,
        groups,
    })
}

/// Whether a query carries a link signature (then only the link decides who asks).
pub(crate) fn has_signature(query: &str) -> bool {
    link::query_pairs(query).iter().any(|(k, _)| k == link::SIG)
}

fn refused(st: &AppState, path: &str, query: &str, code: &str, message: &str) -> Response {
    let status = StatusCode::FORBIDDEN;
    if path.starts_with("/badge/") {
        grey_badge(status, "link expired or invalid")
    } else {
        let theme = link::query_pairs(query)
            .into_iter()
            .find(|(k, _)| k == "theme")
            .and_then(|(_, v)| Theme::parse(Some(&v)).ok())
            .unwrap_or(Theme::Auto);
        html(
            status,
            error_page(theme, &st.embed.cfg.frame_ancestors, code, message),
        )
    }
}

/// The principal of a request to a widget or badge that carries a signed link, or the
/// page (or badge) saying why the link is refused.
pub(crate) fn link_principal(
    st: &AppState,
    path: &str,
    query: &str,
    addr: Option<IpAddr>,
) -> Result<Principal, Box<Response>> {
    let now_s = now_ms() / 1000;
    let link = link::verify(&st.embed.keys.all(), path, query, now_s).map_err(|e| {
        let code = match e {
            link::LinkError::Expired(_) => "expired",
            link::LinkError::BadSignature => "bad_signature",
            link::LinkError::Malformed(_) => "bad_request",
        };
        Box::new(refused(st, path, query, code, &e.to_string()))
    })?;
    let widget = path.rsplit('/').next().unwrap_or_default();
    let scope = link_scope(widget, &link.params).ok_or_else(|| {
        Box::new(refused(
            st,
            path,
            query,
            "bad_request",
            "this embed link names no cluster",
        ))
    })?;
    let sig: String = link::query_pairs(query)
        .into_iter()
        .find(|(k, _)| k == link::SIG)
        .map(|(_, v)| v.chars().take(10).collect())
        .unwrap_or_default();
    Ok(Principal {
        kind: PrincipalKind::Embed,
        id: format!("link:{sig}"),
        display: "signed embed link".into(),
        bindings: vec![Binding {
            role: Role {
                name: "viewer".into(),
                permissions: vec![Permission::View],
            },
            scope,
        }],
        source_addr: addr,
        session: None,
    })
}

/// `POST /api/v1/embed-links`: a signed link for one widget (or badge) and one resource,
/// for a signed-in principal or a token that may view what the link will show. Audited.
#[utoipa::path(
    post,
    path = "/embed-links",
    operation_id = "create_embed_link",
    tag = "embedding",
    request_body = EmbedLinkRequest,
    responses((status = 201, description = "A signed link for that one widget and resource", body = EmbedLink))
)]
pub(super) async fn mint(
    State(st): State<AppState>,
    principal: Principal,
    body: Result<Json<EmbedLinkRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<EmbedLink>), ApiError> {
    let r = crate::http::alert_actions::json_body(body)?;
    match principal.kind {
        PrincipalKind::Embed => {
            return Err(ApiError::Forbidden(
                "an embed link cannot make links".into(),
            ))
        }
        // Whoever the anonymous role lets in is nobody in particular: a link is handed on
        // by someone who answers for it.
        PrincipalKind::Anonymous => {
            return Err(ApiError::Unauthorized(
                "sign in or use an API token to make embed links".into(),
            ))
        }
        _ => {}
    }
    let is_widget = WIDGETS.contains(&r.widget.as_str());
    if !is_widget && !BADGES.contains(&r.widget.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "widget must be one of {} (or a badge: {}), got '{}'",
            WIDGETS.join(", "),
            BADGES.join(", "),
            r.widget
        )));
    }
    let mut resource = Resource::cluster(&r.cluster, false);
    if let Some(t) = &r.topic {
        resource = resource.topic(t);
    }
    if let Some(g) = &r.group {
        resource = resource.group(g);
    }
    // Access first: whether a cluster exists is not told to those who may not see it. A
    // refusal is audited like the links made.
    let target = r
        .group
        .clone()
        .or_else(|| r.topic.clone())
        .unwrap_or_else(|| r.cluster.clone());
    st.allow_change(
        &principal,
        Permission::View,
        &resource,
        "embed_link.create",
        &target,
    )
    .await?;
    st.cluster(&r.cluster)?;
    let sees_every_name = sees_all(&principal, Permission::View, &r.cluster);
    if r.widget == "alerts" && r.topic.is_none() && r.group.is_none() && !sees_every_name {
        return Err(ApiError::Forbidden(format!(
            "your access covers only some topics or groups of '{}': name a topic or a group for the alerts widget",
            r.cluster
        )));
    }
    let ttl = match &r.ttl {
        None => st.embed.cfg.link_ttl,
        Some(t) => humantime::parse_duration(t).map_err(|_| {
            ApiError::BadRequest(format!("ttl must be a duration like 15m or 2h, got '{t}'"))
        })?,
    };
    let max = st.embed.cfg.link_max_ttl;
    if ttl < std::time::Duration::from_secs(1) || ttl > max {
        return Err(ApiError::BadRequest(format!(
            "ttl must be from 1s to {} (server.embed_link_max_ttl)",
            humantime::format_duration(max)
        )));
    }
    let probe = WidgetQuery {
        cluster: Some(r.cluster.clone()),
        group: r.group.clone(),
        topic: r.topic.clone(),
        range: r.range.clone(),
        unit: r.unit.clone(),
        theme: r.theme.clone(),
        compact: r.compact.filter(|c| *c).map(|c| c.to_string()),
        with_groups: (r.widget == "topic" && sees_every_name).then(|| "true".to_string()),
        exp: None,
        sig: None,
    };
    // The widget's own rules, so a link never leads to an error page.
    check(&r.widget, &probe).map_err(|f| ApiError::BadRequest(f.message))?;
    let mut params = BTreeMap::new();
    for (k, v) in [
        ("cluster", &probe.cluster),
        ("group", &probe.group),
        ("topic", &probe.topic),
        ("range", &probe.range),
        ("unit", &probe.unit),
        ("theme", &probe.theme),
        ("compact", &probe.compact),
        ("with_groups", &probe.with_groups),
    ] {
        if let Some(v) = v {
            params.insert(k.to_string(), v.clone());
        }
    }
    let kind = if is_widget { "embed" } else { "badge" };
    let path = format!("/{kind}/{}", r.widget);
    let expires_at = now_ms() / 1000 + ttl.as_secs() as i64;
    let query = link::sign(&st.embed.keys.current, &path, &params, expires_at);
    // `auth.public_url` is the console's external address with its base path.
    let root = st
        .auth
        .cfg
        .public_url
        .clone()
        .unwrap_or_else(|| st.auth.base_path.clone());
    let url = format!("{root}{path}?{query}");
    let mut e = audit_entry(&principal, "embed_link.create", Some(&r.cluster));
    e.detail = serde_json::json!({
        "widget": r.widget, "group": r.group, "topic": r.topic,
        "expires_at": rfc3339(expires_at * 1000),
    })
    .to_string();
    st.store
        .audit(&e, &target)
        .await
        .map_err(|e| ApiError::Unavailable(format!("the audit log could not be written: {e}")))?;
    Ok((
        StatusCode::CREATED,
        Json(EmbedLink {
            url,
            widget: r.widget,
            expires_at: rfc3339(expires_at * 1000),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::link::params;

    fn covers(s: &Scope, r: Resource<'_>) -> bool {
        let p = Principal {
            kind: PrincipalKind::Embed,
            id: "link".into(),
            display: "link".into(),
            bindings: vec![Binding {
                role: Role {
                    name: "viewer".into(),
                    permissions: vec![Permission::View],
                },
                scope: s.clone(),
            }],
            source_addr: None,
            session: None,
        };
        crate::http::auth::allow(&p, Permission::View, &r).is_ok()
    }

    #[test]
    fn a_group_link_sees_its_group_and_nothing_else_by_name() {
        let s = link_scope(
            "group-lag",
            &params(&[("cluster", "prod"), ("group", "orders.v2")]),
        )
        .unwrap();
        assert!(covers(
            &s,
            Resource::cluster("prod", false).group("orders.v2")
        ));
        assert!(!covers(
            &s,
            Resource::cluster("prod", false).group("ordersXv2")
        ));
        assert!(!covers(
            &s,
            Resource::cluster("prod", false).topic("orders")
        ));
        assert!(!covers(
            &s,
            Resource::cluster("other", false).group("orders.v2")
        ));
        assert!(!covers(&s, Resource::global()));
    }

    #[test]
    fn a_health_link_sees_the_cluster_but_no_topic_or_group() {
        let s = link_scope("health", &params(&[("cluster", "prod")])).unwrap();
        assert!(covers(&s, Resource::cluster("prod", false)));
        assert!(!covers(&s, Resource::cluster("prod", false).topic("t")));
        assert!(!covers(&s, Resource::cluster("prod", false).group("g")));
    }

    #[test]
    fn a_topic_link_lists_groups_only_when_its_maker_could() {
        let with = link_scope(
            "topic",
            &params(&[
                ("cluster", "prod"),
                ("topic", "orders"),
                ("with_groups", "true"),
            ]),
        )
        .unwrap();
        assert!(covers(
            &with,
            Resource::cluster("prod", false).topic("orders")
        ));
        assert!(!covers(
            &with,
            Resource::cluster("prod", false).topic("payments")
        ));
        assert!(covers(&with, Resource::cluster("prod", false).group("any")));
        let without = link_scope(
            "topic",
            &params(&[("cluster", "prod"), ("topic", "orders")]),
        )
        .unwrap();
        assert!(covers(
            &without,
            Resource::cluster("prod", false).topic("orders")
        ));
        assert!(!covers(
            &without,
            Resource::cluster("prod", false).group("any")
        ));
    }

    #[test]
    fn a_link_without_a_cluster_grants_nothing() {
        assert!(link_scope("health", &params(&[])).is_none());
    }

    #[test]
    fn a_huge_name_opens_nothing_instead_of_failing() {
        let huge = "g".repeat(5_000_000);
        let s = link_scope("group-lag", &params(&[("cluster", "c"), ("group", &huge)])).unwrap();
        assert!(!covers(&s, Resource::cluster("c", false).group(&huge)));
    }
}
