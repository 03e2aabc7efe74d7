//! Alerts, rules, receivers and deliveries (read-only; mutations come with their own
//! authentication and audit).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use kafscope_api::{AlertItem, DeliveryItem, Page, ReceiverItem, RuleItem};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Permission, Principal, Resource};
use super::error::ApiError;
use super::list::{num, ListQuery, Listable, SortKey};
use super::state::{rfc3339, AppState};
use crate::alerts::engine::{Alert, State as AlertState};
use crate::alerts::rules::{Condition, Rule};
use crate::alerts::Controls;
use crate::collect::now_ms;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alerts))
        .routes(routes!(list_rules))
        .routes(routes!(list_receivers))
        .routes(routes!(list_deliveries))
        .routes(routes!(history))
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct HistoryQuery {
    cluster: Option<String>,
    rule: Option<String>,
    group: Option<String>,
    topic: Option<String>,
    /// `24h`, `7d` … back from now (default 7 days), or `from`/`to` in RFC 3339.
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
}

/// Past episodes, newest first: when each alert fired, for how long, whether a silence held
/// it back and who acknowledged it; those of clusters, topics and groups the principal may
/// view.
#[utoipa::path(
    get,
    path = "/alerts/history",
    operation_id = "alert_history",
    tag = "alerts",
    params(HistoryQuery),
    responses((status = 200, description = "OK", body = Page<kafscope_api::AlertEpisode>))
)]
async fn history(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<Page<kafscope_api::AlertEpisode>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let now = now_ms();
    let to = match &q.to {
        Some(t) => super::history::parse_time("to", t)?,
        None => now,
    };
    let from = match (&q.from, &q.range) {
        (Some(f), _) => super::history::parse_time("from", f)?,
        (None, Some(r)) => {
            let d = humantime::parse_duration(r).map_err(|_| {
                ApiError::BadRequest(format!("range '{r}' is not a duration like 24h or 7d"))
            })?;
            i64::try_from(d.as_millis())
                .ok()
                .and_then(|ms| to.checked_sub(ms))
                .ok_or_else(|| ApiError::BadRequest(format!("range '{r}' is too long")))?
        }
        (None, None) => to - 7 * 86_400_000,
    };
    if from >= to {
        return Err(ApiError::BadRequest("from must be before to".into()));
    }
    let limit = q.limit.unwrap_or(200);
    if limit == 0 || limit > 1000 {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and 1000, got {limit}"
        )));
    }
    let list = st
        .store
        .alert_episodes(q.cluster.as_deref(), q.rule.as_deref(), from, to)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let items: Vec<kafscope_api::AlertEpisode> = list
        .into_iter()
        .filter(|e| {
            q.group
                .as_ref()
                .is_none_or(|g| e.labels.get("group") == Some(g))
        })
        .filter(|e| {
            q.topic
                .as_ref()
                .is_none_or(|t| e.labels.get("topic") == Some(t))
        })
        .filter(|e| {
            let mut r = Resource::cluster(&e.cluster, false);
            if let Some(t) = e.labels.get("topic") {
                r = r.topic(t);
            }
            if let Some(g) = e.labels.get("group") {
                r = r.group(g);
            }
            st.may(&principal, Permission::View, &r)
        })
        .take(limit)
        .map(|e| kafscope_api::AlertEpisode {
            duration_seconds: ((e.resolved_ms.unwrap_or(now) - e.fired_ms).max(0) / 1000) as u64,
            fired_at: rfc3339(e.fired_ms),
            resolved_at: e.resolved_ms.map(rfc3339),
            link: crate::alerts::link_path(&e.labels),
            fingerprint: e.fingerprint,
            cluster: e.cluster,
            rule: e.rule,
            severity: e.severity,
            summary: e.summary,
            labels: e.labels,
            silenced: e.silenced,
            silence_author: e.silenced_by,
            acked_by: e.acked_by,
            ack_comment: e.ack_comment,
        })
        .collect();
    Ok(Json(Page {
        total: items.len(),
        items,
    }))
}

pub fn item(cluster: &str, a: &Alert, controls: &Controls, now: i64) -> AlertItem {
    let ack = controls.ack_of(a);
    AlertItem {
        fingerprint: a.fingerprint.clone(),
        cluster: cluster.to_string(),
        rule: a.rule.clone(),
        state: a.state.as_str().to_string(),
        severity: a.severity,
        summary: a.summary.clone(),
        labels: a.labels.clone(),
        value: a.value,
        active_since: rfc3339(a.active_since_ms),
        firing_since: a.firing_since_ms.map(rfc3339),
        resolved_at: a.resolved_at_ms.map(rfc3339),
        link: crate::alerts::link_path(&a.labels),
        silenced_by: (a.state != AlertState::Resolved)
            .then(|| controls.silenced_by(&a.labels, now))
            .flatten(),
        acked_by: ack.as_ref().map(|k| k.author.clone()),
        acked_at: ack.as_ref().map(|k| rfc3339(k.at_ms)),
        ack_comment: ack.map(|k| k.comment),
    }
}

/// Every current alert of every cluster.
pub fn all_alerts(st: &AppState) -> Vec<AlertItem> {
    let now = now_ms();
    match st.alerts.read() {
        Ok(v) => v
            .iter()
            .flat_map(|(c, list)| {
                list.iter()
                    .map(|a| item(c, a, &st.alert_controls, now))
                    .collect::<Vec<_>>()
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

impl Listable for AlertItem {
    const SORT_FIELDS: &'static [&'static str] =
        &["state", "severity", "cluster", "rule", "active_since"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "severity" => num(Some(self.severity as u8 as f64)),
            "cluster" => SortKey::Text(self.cluster.clone()),
            "rule" => SortKey::Text(self.rule.clone()),
            "active_since" => SortKey::Text(self.active_since.clone()),
            _ => num(Some(match self.state.as_str() {
                "firing" => 0.0,
                "pending" => 1.0,
                _ => 2.0,
            })),
        }
    }
    fn search_text(&self) -> &str {
        &self.fingerprint
    }
}

#[utoipa::path(
    get,
    path = "/alerts",
    operation_id = "list_alerts",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<AlertItem>))
)]
async fn list_alerts(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<AlertItem>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    // Each alert is seen by those who may view what it concerns.
    let visible = all_alerts(&st).into_iter().filter(|a| {
        let mut r = Resource::cluster(&a.cluster, false);
        if let Some(t) = a.labels.get("topic") {
            r = r.topic(t);
        }
        if let Some(g) = a.labels.get("group") {
            r = r.group(g);
        }
        st.may(&principal, Permission::View, &r)
    });
    Ok(Json(q.apply(visible)?))
}

pub fn describe(c: &Condition) -> String {
    match c {
        Condition::Problem(kinds) => format!("health problem of kind {}", kinds.join(" or ")),
        Condition::GroupStatus(set) => format!(
            "consumer group status in [{}]",
            set.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Condition::GroupLag(cmp, t) => format!("consumer group lag {} {t} messages", cmp.as_str()),
        Condition::GroupLagSeconds(cmp, t) => format!("consumer group lag {} {t} s", cmp.as_str()),
        Condition::GroupRetentionMargin(cmp, t) => format!(
            "time until retention deletes unread records {} {t} s",
            cmp.as_str()
        ),
        Condition::GroupFallingBehind => "consumer group falling behind (lag growing)".into(),
        Condition::GroupRebalances(cmp, t) => {
            format!(
                "consumer group rebalances in the last hour {} {t}",
                cmp.as_str()
            )
        }
        Condition::BrokerMetric(m, cmp, t) => format!("broker {m} {} {t}", cmp.as_str()),
        Condition::Unreachable => "cluster unreachable".into(),
    }
}

fn rule_item(r: &Rule, alerts: &[AlertItem]) -> RuleItem {
    let count = |state: AlertState| {
        alerts
            .iter()
            .filter(|a| a.rule == r.id && a.state == state.as_str())
            .count()
    };
    RuleItem {
        id: r.id.clone(),
        enabled: r.enabled,
        severity: r.severity,
        for_seconds: (r.for_ms / 1000) as u64,
        condition: describe(&r.condition),
        clusters: r.clusters.clone(),
        groups: r.groups.clone(),
        topics: r.topics.clone(),
        labels: r.labels.clone(),
        source: r.source.to_string(),
        firing: count(AlertState::Firing),
        pending: count(AlertState::Pending),
    }
}

impl Listable for RuleItem {
    const SORT_FIELDS: &'static [&'static str] = &["id", "firing"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "firing" => num(Some(self.firing as f64)),
            _ => SortKey::Text(self.id.clone()),
        }
    }
    fn search_text(&self) -> &str {
        &self.id
    }
}

#[utoipa::path(
    get,
    path = "/alerts/rules",
    operation_id = "list_alert_rules",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<RuleItem>))
)]
async fn list_rules(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<RuleItem>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let alerts = all_alerts(&st);
    let rules: Vec<RuleItem> = st
        .alert_rules
        .read()
        .map(|rules| rules.iter().map(|r| rule_item(r, &alerts)).collect())
        .unwrap_or_default();
    Ok(Json(q.apply(rules.into_iter())?))
}

impl Listable for ReceiverItem {
    const SORT_FIELDS: &'static [&'static str] = &["name"];
    fn sort_key(&self, _: &str) -> SortKey {
        SortKey::Text(self.name.clone())
    }
    fn search_text(&self) -> &str {
        &self.name
    }
}

#[utoipa::path(
    get,
    path = "/alerts/receivers",
    operation_id = "list_alert_receivers",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<ReceiverItem>))
)]
async fn list_receivers(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<ReceiverItem>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let items: Vec<ReceiverItem> = st
        .alerts_config
        .receivers
        .iter()
        .map(|r| ReceiverItem {
            name: r.name.clone(),
            url: crate::config::redact_url(&r.url),
            format: r.format.as_str().to_string(),
            min_severity: r.min_severity,
            clusters: r.clusters.clone(),
            headers: r.headers.keys().cloned().collect(),
        })
        .collect();
    Ok(Json(q.apply(items.into_iter())?))
}

impl Listable for DeliveryItem {
    const SORT_FIELDS: &'static [&'static str] = &["id", "state", "receiver"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "state" => SortKey::Text(self.state.clone()),
            "receiver" => SortKey::Text(self.receiver.clone()),
            _ => num(Some(-(self.id as f64))),
        }
    }
    fn search_text(&self) -> &str {
        &self.idempotency_key
    }
}

#[utoipa::path(
    get,
    path = "/alerts/deliveries",
    operation_id = "list_alert_deliveries",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<DeliveryItem>))
)]
async fn list_deliveries(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<DeliveryItem>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let rows = st
        .store
        .deliveries(1000)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let items: Vec<DeliveryItem> = rows
        .into_iter()
        .map(|d| DeliveryItem {
            id: d.id,
            idempotency_key: d.idempotency_key,
            receiver: d.receiver,
            created_at: rfc3339(d.created_ms),
            attempts: d.attempts,
            next_attempt_at: (d.state == "pending").then(|| rfc3339(d.next_attempt_ms)),
            state: d.state,
            last_error: d.last_error,
            delivered_at: d.delivered_ms.map(rfc3339),
        })
        .collect();
    Ok(Json(q.apply(items.into_iter())?))
}
