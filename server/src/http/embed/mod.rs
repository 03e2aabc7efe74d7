//! Portal embedding over HTTP (DESIGN.md §7): widget pages under `/embed/…`, SVG badges
//! under `/badge/…` (`badges.rs`), the scripts that size and refresh them, and signed links
//! (`links.rs`: `POST /api/v1/embed-links`, and the principal a link is).
//!
//! A widget is authorised like any view: a session (same-site portals), a trusted proxy,
//! anonymous access where configured, or a signed link — which the authentication layer
//! turns into an `embed` principal on that one URL.

mod badges;
mod links;
mod params;

pub(crate) use links::{has_signature, link_principal};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use params::{bad, check, compact, required, Failure, WidgetQuery};

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::state::{rfc3339, AppState};
use crate::collect::now_ms;
use crate::embed::chart::Unit;
use crate::embed::html::{error_page, page, seg, Frame, Theme};
use crate::embed::{badge, widgets, WIDGETS};

const WIDGET_JS: &str = include_str!("../../../../assets/embed/widget.js");
const WIDGET_CSS: &str = include_str!("../../../../assets/embed/widget.css");
const EMBED_JS: &str = include_str!("../../../../assets/embed/embed.js");

/// Widget pages, badges and their static files (outside `/api/v1`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(widget_js))
        .routes(routes!(widget_css))
        .routes(routes!(embed_js))
        .routes(routes!(widget))
        .routes(routes!(badges::badge_svg))
}

/// `POST /api/v1/embed-links`.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(links::mint))
}

#[utoipa::path(get, path = "/embed/widget.js", operation_id = "widget_script", tag = "embedding",
    responses((status = 200, description = "The script every widget page runs: postMessage events and refresh", content_type = "text/javascript", body = String)))]
async fn widget_js() -> Response {
    asset(WIDGET_JS, "text/javascript")
}

#[utoipa::path(get, path = "/embed/widget.css", operation_id = "widget_style", tag = "embedding",
    responses((status = 200, description = "The widgets' style sheet (light, dark, auto)", content_type = "text/css", body = String)))]
async fn widget_css() -> Response {
    asset(WIDGET_CSS, "text/css")
}

#[utoipa::path(get, path = "/embed/embed.js", operation_id = "embed_loader", tag = "embedding",
    responses((status = 200, description = "The loader a portal includes: turns `data-kafscope-widget` placeholders into sized iframes", content_type = "text/javascript", body = String)))]
async fn embed_js() -> Response {
    asset(EMBED_JS, "text/javascript")
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Not hashed in the name: revalidate (with the ETag) after five minutes.
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

#[utoipa::path(
    get,
    path = "/embed/{widget}",
    operation_id = "widget",
    tag = "embedding",
    params(("widget" = String, Path, description = "health, group-lag, topic or alerts"), WidgetQuery),
    responses((status = 200, description = "The widget page (server-rendered HTML); on failure the same page shape with `data-error` set, and the error status", content_type = "text/html", body = String), (status = "4XX", description = "The error page: bad parameters, no access, an edited or expired link", content_type = "text/html", body = String))
)]
async fn widget(
    State(st): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
    q: Result<Query<WidgetQuery>, QueryRejection>,
) -> Response {
    let origins = &st.embed.cfg.frame_ancestors;
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return html(
                StatusCode::BAD_REQUEST,
                error_page(Theme::Auto, origins, "bad_request", &e.body_text()),
            )
        }
    };
    let theme = Theme::parse(q.theme.as_deref()).unwrap_or(Theme::Auto);
    match render(&st, &principal, &name, &q, theme).await {
        Ok(body) => html(StatusCode::OK, body),
        Err(f) => html(f.status, error_page(theme, origins, f.code, &f.message)),
    }
}

async fn render(
    st: &AppState,
    principal: &Principal,
    name: &str,
    q: &WidgetQuery,
    theme: Theme,
) -> Result<String, Failure> {
    if !WIDGETS.contains(&name) {
        return Err(Failure {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!(
                "there is no widget '{name}': use one of {}",
                WIDGETS.join(", ")
            ),
        });
    }
    check(name, q)?;
    let compact = compact(&q.compact)?;
    let cluster = required(&q.cluster, "cluster", name)?;
    // Access first: whether a cluster, topic or group exists is told only to those who may
    // see it.
    let mut resource = Resource::cluster(cluster, false);
    if let Some(t) = &q.topic {
        resource = resource.topic(t);
    }
    if let Some(g) = &q.group {
        resource = resource.group(g);
    }
    st.allow(principal, Permission::View, &resource)?;
    let base = st.auth.base_path.as_str();
    let snap = st.cluster(cluster)?;
    let data_at = snap.data_at_ms.map(rfc3339);
    let (title, body) = match name {
        "health" => (
            format!("{cluster} health"),
            widgets::health(base, &snap.health),
        ),
        "group-lag" => {
            let group = required(&q.group, "group", name)?;
            let unit = Unit::parse(q.unit.as_deref()).map_err(bad)?;
            let snap = st.cluster_with_data(cluster)?;
            let g = snap.groups.get(group).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "consumer group '{group}' does not exist in cluster '{cluster}'"
                ))
            })?;
            let range = q.range.clone().unwrap_or_else(|| "6h".into());
            let points = group_points(st, cluster, group, &range, unit).await?;
            let body = widgets::group(
                base,
                cluster,
                &g.summary,
                &widgets::GroupChart {
                    points: &points.0,
                    from_ms: points.1,
                    to_ms: points.2,
                    unit,
                },
                data_at.as_deref(),
            );
            (format!("{group} lag"), body)
        }
        "topic" => {
            let topic = required(&q.topic, "topic", name)?;
            let snap = st.cluster_with_data(cluster)?;
            let t = snap.topics.get(topic).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "topic '{topic}' does not exist in cluster '{cluster}'"
                ))
            })?;
            let rates: Vec<f64> = t.produce_rates.iter().flatten().copied().collect();
            let rate = (!rates.is_empty()).then(|| rates.iter().sum());
            let groups: Vec<_> = t
                .groups
                .iter()
                .filter(|g| {
                    st.may(
                        principal,
                        Permission::View,
                        &Resource::cluster(cluster, false).group(&g.group_id),
                    )
                })
                .cloned()
                .collect();
            (
                topic.to_string(),
                widgets::topic(base, cluster, &t.summary, rate, &groups, data_at.as_deref()),
            )
        }
        _ => {
            let items: Vec<_> = super::alerts::all_alerts(st)
                .into_iter()
                .filter(|a| {
                    a.cluster == cluster
                        && a.state != "resolved"
                        && q.topic
                            .as_ref()
                            .is_none_or(|t| a.labels.get("topic") == Some(t))
                        && q.group
                            .as_ref()
                            .is_none_or(|g| a.labels.get("group") == Some(g))
                        && {
                            let mut r = Resource::cluster(&a.cluster, false);
                            if let Some(t) = a.labels.get("topic") {
                                r = r.topic(t);
                            }
                            if let Some(g) = a.labels.get("group") {
                                r = r.group(g);
                            }
                            st.may(principal, Permission::View, &r)
                        }
                })
                .collect();
            let (scope, href) = match (&q.topic, &q.group) {
                (Some(t), _) => (
                    format!("{cluster} · {t}"),
                    format!("/clusters/{}/topics/{}", seg(cluster), seg(t)),
                ),
                (None, Some(g)) => (
                    format!("{cluster} · {g}"),
                    format!("/clusters/{}/consumer-groups/{}", seg(cluster), seg(g)),
                ),
                (None, None) => (cluster.to_string(), "/alerts".to_string()),
            };
            (
                format!("{scope} alerts"),
                widgets::alerts(base, &scope, &href, &items),
            )
        }
    };
    let refresh_s = snap.poll_interval.as_secs().clamp(5, 60);
    Ok(page(
        &Frame {
            widget: name,
            title: &title,
            theme,
            compact,
            origins: &st.embed.cfg.frame_ancestors,
            refresh_s,
            expires_at: q.exp.as_deref().and_then(|e| e.parse().ok()),
            error: None,
        },
        &body,
    ))
}

/// A group's lag over `range` in `unit`, from the store: the points, and the span.
async fn group_points(
    st: &AppState,
    cluster: &str,
    group: &str,
    range: &str,
    unit: Unit,
) -> Result<(Vec<(i64, Option<f64>)>, i64, i64), Failure> {
    let hq = super::history::plan(
        &super::history::HistoryParams {
            range: Some(range.to_string()),
            ..Default::default()
        },
        now_ms(),
    )?;
    let series = st
        .store
        .group_history(cluster, group, &hq)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let points = series
        .into_iter()
        .flat_map(|(_, points)| points)
        .map(|p| {
            let v = match unit {
                Unit::Messages => p.lag_max.map(|l| l as f64),
                Unit::Seconds => p.lag_ms_max.map(|ms| ms as f64 / 1000.0),
            };
            (p.at_ms, v)
        })
        .collect();
    Ok((points, hq.from_ms, hq.to_ms))
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

fn svg_response(status: StatusCode, body: String, cache: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// A grey badge saying why there is no badge (never cached).
fn grey_badge(status: StatusCode, message: &str) -> Response {
    svg_response(
        status,
        badge::badge("kafscope", message, "muted"),
        "no-cache",
    )
}
