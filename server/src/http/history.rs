//! `GET /api/v1/clusters/{cluster}/consumer-groups/{group}/history`: lag over time from the
//! store, bucketed so an answer has at most a few thousand points.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use kafscope_api::{LagHistory, LagPoint, LagSeries};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::state::{rfc3339, AppState};
use crate::collect::now_ms;
use crate::store::HistoryQuery;

const MAX_RANGE_MS: i64 = 90 * 24 * 3600 * 1000;
const MAX_POINTS: i64 = 2000;
/// About this many buckets by default (fewer where a round step is larger).
const DEFAULT_POINTS: i64 = 240;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(history))
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// Shortcut for `from = now − range`, `to = now`, e.g. `1h`, `7d`.
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Bucket size, e.g. `1m`; default: the range split in about 240 buckets.
    pub step: Option<String>,
    pub topic: Option<String>,
    pub partition: Option<i32>,
    /// `group` (default) or `partition`.
    pub by: Option<String>,
}

pub(crate) fn parse_time(name: &str, v: &str) -> Result<i64, ApiError> {
    OffsetDateTime::parse(v, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| {
            ApiError::BadRequest(format!(
                "{name} must be an RFC 3339 time like 2026-11-21T14:00:00Z, got '{v}'"
            ))
        })
}

fn parse_span(name: &str, v: &str) -> Result<i64, ApiError> {
    humantime::parse_duration(v)
        .ok()
        // A span past i64 milliseconds would wrap around and slip past every bound after.
        .and_then(|d| i64::try_from(d.as_millis()).ok())
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{name} must be a duration like 15m, 1h or 7d, got '{v}'"
            ))
        })
}

/// The smallest step at least `raw_ms` from a list of round sizes, so that long ranges land
/// on a stored resolution (a 7-day chart reads hourly rollups, not minute ones).
fn nice_step(raw_ms: i64) -> i64 {
    const STEPS_S: [i64; 17] = [
        1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    ];
    STEPS_S
        .iter()
        .map(|s| s * 1000)
        .find(|s| *s >= raw_ms)
        .unwrap_or(86_400_000)
}

/// Turn the parameters into a store query, with a 400 for anything out of bounds.
pub fn plan(p: &HistoryParams, now: i64) -> Result<HistoryQuery, ApiError> {
    let to = match &p.to {
        Some(t) => parse_time("to", t)?,
        None => now,
    };
    let from = match (&p.from, &p.range) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "give either range or from, not both".into(),
            ))
        }
        (Some(f), None) => parse_time("from", f)?,
        (None, Some(r)) => to
            .checked_sub(parse_span("range", r)?)
            .ok_or_else(|| ApiError::BadRequest("the range may span at most 90 days".into()))?,
        (None, None) => to - 3_600_000,
    };
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".into()));
    }
    if to - from > MAX_RANGE_MS {
        return Err(ApiError::BadRequest(
            "the range may span at most 90 days".into(),
        ));
    }
    let step = match &p.step {
        Some(s) => parse_span("step", s)?,
        None => nice_step((to - from) / DEFAULT_POINTS),
    };
    if step < 1_000 {
        return Err(ApiError::BadRequest("step must be at least 1s".into()));
    }
    if (to - from) / step > MAX_POINTS {
        return Err(ApiError::BadRequest(format!(
            "that range and step make more than {MAX_POINTS} points: use a larger step"
        )));
    }
    let by_partition = match p.by.as_deref() {
        None | Some("group") => false,
        Some("partition") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "by must be group or partition, got '{other}'"
            )))
        }
    };
    Ok(HistoryQuery {
        topic: p.topic.clone(),
        partition: p.partition,
        by_partition,
        from_ms: from,
        to_ms: to,
        step_ms: step,
    })
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/consumer-groups/{group}/history",
    operation_id = "group_lag_history",
    tag = "consumer groups",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("group" = String, Path, description = "Consumer group id"), HistoryParams),
    responses((status = 200, description = "OK", body = LagHistory))
)]
async fn history(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<HistoryParams>, QueryRejection>,
) -> Result<Json<LagHistory>, ApiError> {
    let Path((cluster, group)) = p?;
    let Query(params) = q?;
    st.allow(
        &principal,
        Permission::View,
        &Resource::cluster(&cluster, false).group(&group),
    )?;
    let snap = st.cluster(&cluster)?;
    let hq = plan(&params, now_ms())?;
    let series = st
        .store
        .group_history(&cluster, &group, &hq)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if series.is_empty() && !snap.groups.contains_key(&group) {
        return Err(ApiError::NotFound(format!(
            "consumer group '{group}' does not exist in cluster '{cluster}' and has no history"
        )));
    }
    let series = series
        .into_iter()
        .map(|(key, points)| LagSeries {
            topic: key
                .as_ref()
                .map(|(t, _)| t.clone())
                .or_else(|| hq.topic.clone()),
            partition: key.as_ref().map(|(_, p)| *p).or(hq.partition),
            points: points
                .into_iter()
                .map(|p| LagPoint {
                    at: rfc3339(p.at_ms),
                    lag: p.lag_max,
                    lag_avg: p.lag_avg.map(|v| (v * 10.0).round() / 10.0),
                    lag_seconds: p.lag_ms_max.map(|ms| ms as f64 / 1000.0),
                    lag_seconds_lower_bound: p.lower_bound,
                })
                .collect(),
        })
        .collect();
    Ok(Json(LagHistory {
        group_id: group,
        from: rfc3339(hq.from_ms),
        to: rfc3339(hq.to_ms),
        step_seconds: (hq.step_ms / 1000) as u64,
        series,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(f: impl FnOnce(&mut HistoryParams)) -> HistoryParams {
        let mut p = HistoryParams::default();
        f(&mut p);
        p
    }

    #[test]
    fn defaults_to_the_last_hour_in_about_240_buckets() {
        let q = plan(&HistoryParams::default(), 10_000_000).unwrap();
        assert_eq!(q.to_ms - q.from_ms, 3_600_000);
        assert_eq!(q.step_ms, 15_000);
        // Long ranges land on stored resolutions.
        let q = plan(&params(|p| p.range = Some("7d".into())), 1_000_000_000_000).unwrap();
        assert_eq!(q.step_ms, 3_600_000);
        let q = plan(&params(|p| p.range = Some("24h".into())), 1_000_000_000_000).unwrap();
        assert_eq!(q.step_ms, 600_000);
    }

    #[test]
    fn rejects_what_cannot_be_answered() {
        for p in [
            params(|p| p.range = Some("soon".into())),
            params(|p| p.from = Some("yesterday".into())),
            params(|p| p.range = Some("91d".into())),
            // Spans past i64 milliseconds once wrapped around and slipped past the bounds.
            params(|p| p.range = Some("9223372036854776s".into())),
            params(|p| p.range = Some("292000000y".into())),
            params(|p| p.step = Some("9223372036854776s".into())),
            params(|p| p.step = Some("500ms".into())),
            params(|p| p.step = Some("1s".into())),
            params(|p| p.by = Some("broker".into())),
            params(|p| {
                p.range = Some("1h".into());
                p.from = Some("2026-01-01T00:00:00Z".into());
            }),
            params(|p| {
                p.from = Some("2026-01-02T00:00:00Z".into());
                p.to = Some("2026-01-01T00:00:00Z".into());
            }),
        ] {
            assert!(
                matches!(plan(&p, 10_000_000_000), Err(ApiError::BadRequest(_))),
                "{p:?}"
            );
        }
    }
}
