//! `GET /badge/{health.svg|group-status.svg|group-lag.svg}`: shields-style SVG for READMEs
//! and wikis, readable with a session, a signed link, or by anyone when
//! `server.public_badges` is on.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::params::{bad, check, required, Failure, WidgetQuery};
use super::{grey_badge, svg_response};
use crate::embed::chart::Unit;
use crate::embed::{badge, BADGES};
use crate::http::auth::{Permission, Principal, PrincipalKind, Resource};
use crate::http::error::ApiError;
use crate::http::state::AppState;

#[utoipa::path(
    get,
    path = "/badge/{badge}",
    operation_id = "badge",
    tag = "embedding",
    params(("badge" = String, Path, description = "health.svg, group-status.svg or group-lag.svg"), WidgetQuery),
    responses(
        (status = 200, description = "A shields-style SVG badge", content_type = "image/svg+xml", body = String),
        (status = "4XX", description = "A grey badge saying why (no access, not found, bad link)", content_type = "image/svg+xml", body = String)
    )
)]
pub(super) async fn badge_svg(
    State(st): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    q: Result<Query<WidgetQuery>, QueryRejection>,
) -> Response {
    let made = match q {
        Ok(Query(q)) => badge_of(&st, &principal, &name, &q),
        Err(e) => Err(bad(e.body_text())),
    };
    // Shared caches may keep a badge only when anyone could have fetched it: a public badge
    // or a signed link (its URL is the capability); one read with a session is private.
    let shared = st.embed.cfg.public_badges || principal.kind == PrincipalKind::Embed;
    match made {
        // Short, so a README shows a state at most a minute old.
        Ok((label, message, tone)) => svg_response(
            StatusCode::OK,
            badge::badge(&label, &message, tone),
            if shared {
                "public, max-age=60"
            } else {
                "private, max-age=60"
            },
        ),
        Err(f) => {
            let msg = match f.status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "no access",
                StatusCode::NOT_FOUND => "not found",
                StatusCode::BAD_REQUEST => "bad badge link",
                _ => "unavailable",
            };
            grey_badge(f.status, msg)
        }
    }
}

/// The badge's label, message and tone.
fn badge_of(
    st: &AppState,
    principal: &Principal,
    name: &str,
    q: &WidgetQuery,
) -> Result<(String, String, &'static str), Failure> {
    if !BADGES.contains(&name) {
        return Err(Failure {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("no badge '{name}'"),
        });
    }
    check(name, q)?;
    let cluster = required(&q.cluster, "cluster", name)?;
    let public = st.embed.cfg.public_badges;
    let mut r = Resource::cluster(cluster, false);
    if let Some(g) = &q.group {
        r = r.group(g);
    }
    // Access first: whether a cluster or group exists is told only to those who may see it.
    if !public {
        st.allow(principal, Permission::View, &r)?;
    }
    if name == "health.svg" {
        let h = &st.cluster(cluster)?.health;
        return Ok((
            cluster.to_string(),
            h.verdict.as_str().to_string(),
            h.verdict.tone(),
        ));
    }
    let group = required(&q.group, "group", name)?;
    let snap = st.cluster_with_data(cluster)?;
    let g = snap.groups.get(group).ok_or_else(|| {
        ApiError::NotFound(format!(
            "consumer group '{group}' does not exist in cluster '{cluster}'"
        ))
    })?;
    let s = &g.summary;
    if name == "group-status.svg" {
        return Ok((
            group.to_string(),
            s.status.as_str().to_string(),
            s.status.tone(),
        ));
    }
    let unit = Unit::parse(q.unit.as_deref()).map_err(bad)?;
    let text = match unit {
        Unit::Messages => s.lag.map(|l| kafscope_api::fmt::compact(l as f64)),
        Unit::Seconds => s
            .lag_seconds
            .map(|v| kafscope_api::fmt::lag_time(Some(v), s.lag_seconds_method.as_deref())),
    };
    let tone = if text.is_some() {
        s.status.tone()
    } else {
        "muted"
    };
    Ok((
        format!("{group} lag"),
        text.unwrap_or_else(|| "unknown".into()),
        tone,
    ))
}
