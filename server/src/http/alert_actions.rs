//! Changes to alerting: silences, acknowledgements, rules, test notifications. Each needs
//! the `alerts.manage` permission where it applies and is written to the audit log with the
//! authenticated actor, in the same transaction as the change.

use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kafscope_api::{AckRequest, NewSilence, Page, SilenceItem};
use serde_json::json;

use super::auth::{audit_entry, Permission, Principal, Resource};
use super::error::ApiError;
use super::history::parse_time;
use super::list::{num, ListQuery, Listable, SortKey};
use super::state::{rfc3339, AppState};
use crate::alerts::engine::{Alert, State as AlertState};
use crate::alerts::grouping::GroupNotify;
use crate::alerts::{group_payload, render_for};
use crate::collect::now_ms;
use crate::store::alerts::OutboxItem;
use crate::store::silences::{Ack, AuditEntry, Silence};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_silences, create_silence))
        .routes(routes!(expire_silence))
        .routes(routes!(ack))
        .routes(routes!(save_rule))
        .routes(routes!(delete_rule))
        .routes(routes!(test_receiver))
}

const MAX_SILENCE_MS: i64 = 90 * 24 * 3_600_000;

pub(crate) fn json_body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError::BadRequest(format!("bad JSON body: {}", e.body_text())))
}

fn silence_item(s: &Silence, now: i64) -> SilenceItem {
    SilenceItem {
        id: s.id,
        matchers: s.matchers.clone(),
        starts_at: rfc3339(s.starts_ms),
        ends_at: rfc3339(s.ends_ms),
        author: s.author.clone(),
        comment: s.comment.clone(),
        active: s.active(now),
    }
}

impl Listable for SilenceItem {
    const SORT_FIELDS: &'static [&'static str] = &["id", "ends_at"];
    fn sort_key(&self, field: &str) -> SortKey {
        match field {
            "ends_at" => SortKey::Text(self.ends_at.clone()),
            _ => num(Some(self.id as f64)),
        }
    }
    fn search_text(&self) -> &str {
        &self.comment
    }
}

#[utoipa::path(
    get,
    path = "/alerts/silences",
    operation_id = "list_silences",
    tag = "alerts",
    params(ListQuery),
    responses((status = 200, description = "OK", body = Page<SilenceItem>))
)]
async fn list_silences(
    State(st): State<AppState>,
    principal: Principal,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<SilenceItem>>, ApiError> {
    let Query(q) = q?;
    st.allow_somewhere(&principal)?;
    let now = now_ms();
    let items: Vec<SilenceItem> = st
        .alert_controls
        .silences
        .read()
        .map(|l| {
            l.iter()
                .filter(|s| st.may(&principal, Permission::View, &scope_of(&st, &s.matchers)))
                .map(|s| silence_item(s, now))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(q.apply(items.into_iter())?))
}

/// Where a silence applies: the cluster its matchers name, else every cluster.
fn matcher_cluster(m: &BTreeMap<String, String>) -> Option<&str> {
    m.get("cluster").map(String::as_str)
}

/// What a silence or an alert concerns, from its labels: its cluster, topic and group (a
/// scoped operator handles the alerts of its own topics and groups).
fn scope_of<'a>(st: &AppState, labels: &'a BTreeMap<String, String>) -> Resource<'a> {
    let mut r = match labels.get("cluster") {
        Some(c) => Resource::cluster(c, st.read_only(c)),
        None => Resource::global(),
    };
    if let Some(t) = labels.get("topic") {
        r = r.topic(t);
    }
    if let Some(g) = labels.get("group") {
        r = r.group(g);
    }
    r
}

#[utoipa::path(
    post,
    path = "/alerts/silences",
    operation_id = "create_silence",
    tag = "alerts",
    request_body = NewSilence,
    responses((status = 201, description = "Created", body = SilenceItem))
)]
async fn create_silence(
    State(st): State<AppState>,
    principal: Principal,
    body: Result<Json<NewSilence>, JsonRejection>,
) -> Result<(StatusCode, Json<SilenceItem>), ApiError> {
    let req = json_body(body)?;
    let cluster = matcher_cluster(&req.matchers);
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &scope_of(&st, &req.matchers),
        "silence.create",
        "",
    )
    .await?;
    let author = principal.actor();
    let now = now_ms();
    if req.matchers.is_empty() || req.matchers.values().any(|v| v.is_empty()) {
        return Err(ApiError::BadRequest(
            "a silence needs at least one matcher, each with a value".into(),
        ));
    }
    if req.comment.trim().is_empty() {
        return Err(ApiError::BadRequest("say why in `comment`".into()));
    }
    let starts = match &req.starts_at {
        Some(t) => parse_time("starts_at", t)?,
        None => now,
    };
    let ends = match (&req.duration, &req.ends_at) {
        (Some(d), None) => {
            let d = humantime::parse_duration(d).map_err(|_| {
                ApiError::BadRequest(format!("duration must be like 30m or 2h, got '{d}'"))
            })?;
            starts + d.as_millis() as i64
        }
        (None, Some(e)) => parse_time("ends_at", e)?,
        _ => {
            return Err(ApiError::BadRequest(
                "give either duration or ends_at".into(),
            ))
        }
    };
    if ends <= starts.max(now) || ends - starts > MAX_SILENCE_MS {
        return Err(ApiError::BadRequest(
            "a silence must end in the future and last at most 90 days".into(),
        ));
    }
    let mut silence = Silence {
        id: 0,
        matchers: req.matchers.clone(),
        starts_ms: starts,
        ends_ms: ends,
        author: author.clone(),
        comment: req.comment.trim().to_string(),
        created_ms: now,
    };
    let audit = AuditEntry {
        detail: json!({"matchers": req.matchers, "starts_at": rfc3339(starts), "ends_at": rfc3339(ends), "comment": silence.comment}).to_string(),
        ..audit_entry(&principal, "silence.create", cluster)
    };
    silence.id = st
        .store
        .add_silence(&silence, &audit)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Ok(mut l) = st.alert_controls.silences.write() {
        l.push(silence.clone());
    }
    Ok((StatusCode::CREATED, Json(silence_item(&silence, now))))
}

#[utoipa::path(
    delete,
    path = "/alerts/silences/{id}",
    operation_id = "expire_silence",
    tag = "alerts",
    params(("id" = i64, Path, description = "Silence id")),
    responses((status = 204, description = "Expired"))
)]
async fn expire_silence(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = p?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("silence id must be a number, got '{id}'")))?;
    let matchers: BTreeMap<String, String> = st
        .alert_controls
        .silences
        .read()
        .ok()
        .and_then(|l| l.iter().find(|s| s.id == id).map(|s| s.matchers.clone()))
        .unwrap_or_default();
    let cluster = matcher_cluster(&matchers).map(String::from);
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &scope_of(&st, &matchers),
        "silence.expire",
        &id.to_string(),
    )
    .await?;
    let now = now_ms();
    let audit = AuditEntry {
        detail: "{}".into(),
        ..audit_entry(&principal, "silence.expire", cluster.as_deref())
    };
    let done = st
        .store
        .expire_silence(id, now, &audit)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if !done {
        return Err(ApiError::NotFound(format!("no active silence {id}")));
    }
    if let Ok(mut l) = st.alert_controls.silences.write() {
        for s in l.iter_mut().filter(|s| s.id == id) {
            s.ends_ms = now;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

fn firing_alert(st: &AppState, fingerprint: &str) -> Option<Alert> {
    st.alerts.read().ok()?.values().find_map(|list| {
        list.iter()
            .find(|a| a.fingerprint == fingerprint && a.state == AlertState::Firing)
            .cloned()
    })
}

#[utoipa::path(
    post,
    path = "/alerts/ack",
    operation_id = "acknowledge_alert",
    tag = "alerts",
    request_body = AckRequest,
    responses((status = 200, description = "OK", body = kafscope_api::Acknowledged))
)]
async fn ack(
    State(st): State<AppState>,
    principal: Principal,
    body: Result<Json<AckRequest>, JsonRejection>,
) -> Result<Json<kafscope_api::Acknowledged>, ApiError> {
    let req = json_body(body)?;
    let alert = firing_alert(&st, &req.fingerprint)
        .ok_or_else(|| ApiError::NotFound(format!("no firing alert '{}'", req.fingerprint)))?;
    let cluster = alert.labels.get("cluster").cloned();
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &scope_of(&st, &alert.labels),
        "alert.ack",
        &req.fingerprint,
    )
    .await?;
    let author = principal.actor();
    let now = now_ms();
    let a = Ack {
        fingerprint: alert.fingerprint.clone(),
        episode_ms: alert.firing_since_ms.unwrap_or(alert.active_since_ms),
        author: author.clone(),
        comment: req.comment.trim().to_string(),
        at_ms: now,
    };
    let audit = AuditEntry {
        detail: json!({"comment": a.comment, "episode": rfc3339(a.episode_ms)}).to_string(),
        ..audit_entry(&principal, "alert.ack", cluster.as_deref())
    };
    st.store
        .add_ack(&a, &audit)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Ok(mut m) = st.alert_controls.acks.write() {
        m.insert((a.fingerprint.clone(), a.episode_ms), a);
    }
    Ok(Json(kafscope_api::Acknowledged {
        acknowledged: req.fingerprint,
    }))
}

/// Queue a test notification for one receiver through the outbox (so it shows in the
/// delivery log like any other).
#[utoipa::path(
    post,
    path = "/alerts/receivers/{name}/test",
    operation_id = "test_alert_receiver",
    tag = "alerts",
    params(("name" = String, Path, description = "Receiver name")),
    responses((status = 202, description = "Queued", body = kafscope_api::TestQueued))
)]
async fn test_receiver(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<(StatusCode, Json<kafscope_api::TestQueued>), ApiError> {
    let Path(name) = p?;
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &Resource::global(),
        "receiver.test",
        &name,
    )
    .await?;
    let author = principal.actor();
    let cfg = &st.alerts_config;
    let r = cfg
        .receivers
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("receiver '{name}' is not configured")))?;
    let now = now_ms();
    let key = format!("test:{name}:{now}");
    let alert = Alert {
        fingerprint: format!("kafscope/test/{name}"),
        rule: "kafscope_test".into(),
        severity: kafscope_api::Severity::Info,
        labels: BTreeMap::from([
            ("alertname".to_string(), "kafscope_test".to_string()),
            ("cluster".to_string(), "test".to_string()),
            ("severity".to_string(), "info".to_string()),
        ]),
        summary: format!("Test notification from Kafscope to receiver '{name}', sent by {author}"),
        value: None,
        state: AlertState::Firing,
        active_since_ms: now,
        firing_since_ms: Some(now),
        resolved_at_ms: None,
        last_notified_ms: Some(now),
        notifications: 1,
        suppressed: false,
    };
    // The shape the receiver gets for real alerts: a group of one (or an Alertmanager push).
    let body = if r.format == crate::alerts::config::Format::AlertmanagerApi {
        group_payload::alertmanager_api(&[&alert], &cfg.external_url, 300_000, now)
    } else {
        let g = GroupNotify {
            receiver: name.clone(),
            key: "{alertname=\"kafscope_test\"}".into(),
            labels: BTreeMap::from([("alertname".to_string(), "kafscope_test".to_string())]),
            kind: "firing",
            alerts: vec![alert],
            idempotency_key: key.clone(),
        };
        group_payload::render_group(&render_for(r, &cfg.external_url), &g, "test")
    };
    st.store
        .enqueue(
            &[OutboxItem {
                idempotency_key: key.clone(),
                receiver: name.clone(),
                payload: body.to_string(),
            }],
            now,
        )
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    st.store
        .audit(
            &AuditEntry {
                detail: "{}".into(),
                ..audit_entry(&principal, "receiver.test", None)
            },
            &name,
        )
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    st.alert_wake.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(kafscope_api::TestQueued {
            idempotency_key: key,
        }),
    ))
}

/// Create a rule or change one (same body as an `[[alerts.rules]]` entry, in JSON).
#[utoipa::path(
    post,
    path = "/alerts/rules",
    operation_id = "save_alert_rule",
    tag = "alerts",
    request_body = crate::alerts::config::FileRule,
    responses((status = 201, description = "Saved", body = kafscope_api::RuleSaved))
)]
async fn save_rule(
    State(st): State<AppState>,
    principal: Principal,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<(StatusCode, Json<kafscope_api::RuleSaved>), ApiError> {
    let raw = json_body(body)?;
    let target = raw["id"].as_str().unwrap_or_default().to_string();
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &Resource::global(),
        "rule.save",
        &target,
    )
    .await?;
    let rule: crate::alerts::config::FileRule = serde_json::from_value(raw.clone())
        .map_err(|e| ApiError::BadRequest(format!("not a rule: {e}")))?;
    let id = rule.id().to_string();
    if id.is_empty() || id.len() > 100 {
        return Err(ApiError::BadRequest(
            "a rule needs an id of 1–100 characters".into(),
        ));
    }
    // The rules as a restart would build them: the configuration's, the other API rules,
    // then this one.
    let saved = st
        .store
        .api_rules()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let others: Vec<(String, String)> = saved.into_iter().filter(|(i, _)| *i != id).collect();
    let mut next = crate::alerts::with_api_rules(&st.alerts_config.rules, &others);
    crate::alerts::config::apply_rule(&mut next, rule, "api", "rule", "api")
        .map_err(|e| ApiError::BadRequest(format!("{}: {}", e.key, e.reason)))?;
    let now = now_ms();
    let audit = AuditEntry {
        at_ms: now,
        detail: raw.to_string(),
        ..audit_entry(&principal, "rule.save", None)
    };
    st.store
        .save_api_rule(&id, &raw.to_string(), &audit)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if let Ok(mut r) = st.alert_rules.write() {
        *r = next;
    }
    Ok((StatusCode::CREATED, Json(kafscope_api::RuleSaved { id })))
}

/// Remove a rule created or changed through the API (a built-in one goes back to its
/// configured form).
#[utoipa::path(
    delete,
    path = "/alerts/rules/{id}",
    operation_id = "delete_alert_rule",
    tag = "alerts",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"))
)]
async fn delete_rule(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = p?;
    st.allow_change(
        &principal,
        Permission::AlertsManage,
        &Resource::global(),
        "rule.delete",
        &id,
    )
    .await?;
    let audit = AuditEntry {
        detail: "{}".into(),
        ..audit_entry(&principal, "rule.delete", None)
    };
    let removed = st
        .store
        .delete_api_rule(&id, &audit)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if !removed {
        return Err(ApiError::NotFound(format!(
            "no rule '{id}' was saved through the API (rules from the configuration are changed there)"
        )));
    }
    let saved = st
        .store
        .api_rules()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let next = crate::alerts::with_api_rules(&st.alerts_config.rules, &saved);
    if let Ok(mut r) = st.alert_rules.write() {
        *r = next;
    }
    Ok(StatusCode::NO_CONTENT)
}
