//! Management operations over HTTP (issue 13; DESIGN.md §7 "Changes are plans"). Every
//! change is two calls: `POST /clusters/{c}/plans` describes it in numbers (the broker's
//! `validate_only` verdict where the API has one, per-partition offsets, records removed,
//! config diffs with their meaning) and keeps it; `POST /clusters/{c}/plans/{id}/execute`
//! checks its preconditions again, makes it, writes the outcome and the audit row in one
//! transaction, and has the collector poll at once. An executed offset reset keeps its
//! previous offsets: `POST …/plans/{id}/revert` is a new plan built from them.
//!
//! Authorisation is the one function, per kind: `topics.manage` on the topic, `groups.manage`
//! on the group, `configs.manage` on the cluster; read-only clusters refuse them all.

mod build;
mod configs;
mod execute;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use kafscope_api::{ExecuteRequest, Page, Plan, PlanRequest};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::alert_actions::json_body;
use super::auth::{Permission, Principal, Resource};
use super::state::rfc3339;
use super::{ApiError, AppState};
use crate::collect::{now_ms, ClusterSnapshot};
use crate::kafka::admin::{Admin, AdminError};
use crate::kafka::advice::Class;
use crate::store::plans::{NewPlan, StoredPlan};

/// How long a plan can be executed after it was made.
const PLAN_LIFETIME_MS: i64 = 15 * 60 * 1000;
/// Plans listed at most.
const MAX_LISTED: i64 = 200;
/// Plans read at most to fill one list.
const SCANNED: usize = 5_000;
/// How long an execution waits for the snapshot to show the change before answering.
const POLL_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// Between polls while waiting for it.
const FOLLOW_STEP: std::time::Duration = std::time::Duration::from_millis(200);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(one))
        .routes(routes!(execute))
        .routes(routes!(revert))
        .routes(routes!(configs::topic_configs))
        .routes(routes!(configs::broker_configs))
        .routes(routes!(configs::cluster_configs))
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> ApiError {
        match e {
            AdminError::Kafka(a) => match a.class {
                Class::NotAuthorized => ApiError::Forbidden(a.sentence),
                Class::NotFound => ApiError::NotFound(a.sentence),
                Class::Conflict => ApiError::Conflict(a.sentence),
                Class::Invalid => ApiError::BadRequest(a.sentence),
                Class::Retry => ApiError::Unavailable(a.sentence),
                Class::Unsupported => ApiError::Unsupported(a.sentence),
            },
            AdminError::Unreachable(m) => ApiError::Unavailable(m),
            AdminError::Unsupported(m) => ApiError::Unsupported(m),
        }
    }
}

/// The admin connection of a cluster, or 501 saying why changes cannot be made to it.
fn admin(st: &AppState, cluster: &str) -> Result<Admin, ApiError> {
    match st.admins.get(cluster) {
        Some(Ok(a)) => Ok(a.clone()),
        Some(Err(why)) => Err(ApiError::Unsupported(format!(
            "changes to cluster '{cluster}' go over Kafscope's own connections to the brokers, which its settings do not allow: {why}"
        ))),
        None => Err(ApiError::NotFound(format!(
            "cluster '{cluster}' is not configured"
        ))),
    }
}

/// What a plan is about, for authorisation and lists.
#[derive(Debug, Clone, Default)]
struct Subject {
    topic: Option<String>,
    group: Option<String>,
}

impl Subject {
    fn of(req: &PlanRequest) -> Subject {
        use PlanRequest::*;
        match req {
            CreateTopic { name, .. } => Subject {
                topic: Some(name.clone()),
                group: None,
            },
            AlterTopicConfigs { topic, .. }
            | AddPartitions { topic, .. }
            | DeleteTopic { topic }
            | PurgeTopic { topic, .. } => Subject {
                topic: Some(topic.clone()),
                group: None,
            },
            ResetOffsets { group, .. }
            | DeleteGroup { group }
            | DeleteGroupOffsets { group, .. } => Subject {
                topic: None,
                group: Some(group.clone()),
            },
            AlterBrokerConfigs { .. } | ElectLeaders { .. } => Subject::default(),
        }
    }

    fn resource<'a>(&'a self, cluster: &'a str, read_only: bool) -> Resource<'a> {
        let mut r = Resource::cluster(cluster, read_only);
        if let Some(t) = &self.topic {
            r = r.topic(t);
        } else if let Some(g) = &self.group {
            r = r.group(g);
        }
        r
    }
}

/// The permission a kind of change needs.
fn permission(kind: &str) -> Permission {
    match kind {
        "reset_offsets" | "delete_group" | "delete_group_offsets" => Permission::GroupsManage,
        "alter_broker_configs" | "elect_leaders" => Permission::ConfigsManage,
        _ => Permission::TopicsManage,
    }
}

/// The audit action of a kind: `topic.create`, `offsets.reset`, …
fn action(kind: &str) -> &'static str {
    match kind {
        "create_topic" => "topic.create",
        "alter_topic_configs" => "topic.configs",
        "add_partitions" => "topic.partitions",
        "delete_topic" => "topic.delete",
        "purge_topic" => "topic.purge",
        "reset_offsets" => "offsets.reset",
        "delete_group" => "group.delete",
        "delete_group_offsets" => "group.delete_offsets",
        "alter_broker_configs" => "configs.alter",
        "elect_leaders" => "leaders.elect",
        _ => "plan",
    }
}

/// Authorise a change of this kind on this subject (refusals are audited).
async fn authorise(
    st: &AppState,
    p: &Principal,
    cluster: &str,
    snap: &ClusterSnapshot,
    kind: &str,
    subject: &Subject,
    target: &str,
) -> Result<(), ApiError> {
    let r = subject.resource(cluster, snap.read_only);
    st.allow_change(p, permission(kind), &r, action(kind), target)
        .await
}

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/plans",
    operation_id = "create_plan",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    request_body = PlanRequest,
    responses((status = 201, description = "The plan: what the change will do, nothing changed yet", body = Plan))
)]
async fn create(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<PlanRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let Path(cluster) = p?;
    let req = json_body(b)?;
    let plan = make_plan(&st, &principal, &cluster, req, None).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Authorise, build and keep a plan.
async fn make_plan(
    st: &AppState,
    principal: &Principal,
    cluster: &str,
    req: PlanRequest,
    reverts: Option<i64>,
) -> Result<Plan, ApiError> {
    let snap = st.cluster_with_data(cluster)?;
    let subject = Subject::of(&req);
    let kind = req.kind();
    let target = build::target_of(&req);
    authorise(st, principal, cluster, &snap, kind, &subject, &target).await?;
    let admin = admin(st, cluster)?;
    let ctx = build::Ctx {
        st,
        cluster,
        snap: snap.clone(),
        admin: &admin,
        principal,
    };
    let built = build::build(&ctx, req).await?;
    let now = now_ms();
    let mut plan = Plan {
        id: 0,
        cluster: cluster.to_string(),
        kind: kind.to_string(),
        target,
        summary: built.summary,
        created_by: principal.display.clone(),
        created_at: rfc3339(now),
        expires_at: rfc3339(now + PLAN_LIFETIME_MS),
        state: "planned".into(),
        detail: built.detail,
        warnings: built.warnings,
        preconditions: built.preconditions,
        verdict: built.verdict,
        confirm: built.confirm,
        execution: None,
        reverts,
        revertible: false,
    };
    plan.id = st
        .store
        .save_plan(&NewPlan {
            plan: &plan,
            topic: subject.topic.as_deref(),
            group: subject.group.as_deref(),
            expires_at_ms: now + PLAN_LIFETIME_MS,
            created_at_ms: now,
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(plan)
}

/// The plan as answered: expired when not executed in time; revertible when an executed
/// offset reset.
fn shown(s: StoredPlan) -> Plan {
    let mut p = s.plan;
    if p.state == "planned" && now_ms() > s.expires_at_ms {
        p.state = "expired".into();
    }
    p.revertible = p.kind == "reset_offsets" && matches!(p.state.as_str(), "executed" | "partial");
    p
}

/// A stored plan the principal may see, or 404.
async fn load(
    st: &AppState,
    principal: &Principal,
    cluster: &str,
    id: i64,
) -> Result<StoredPlan, ApiError> {
    let snap = st.cluster(cluster)?;
    let stored = st
        .store
        .plan(cluster, id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .ok_or_else(|| {
            ApiError::NotFound(format!("plan {id} does not exist in cluster '{cluster}'"))
        })?;
    st.allow_somewhere(principal)?;
    if !may_read(st, principal, cluster, snap.read_only, &stored) {
        // Indistinguishable from a plan that does not exist.
        return Err(ApiError::NotFound(format!(
            "plan {id} does not exist in cluster '{cluster}'"
        )));
    }
    Ok(stored)
}

/// Who may read a plan: `view` on its topic or group; a plan about the whole cluster (broker
/// configs, leader elections, which name partitions of every topic) needs the permission
/// that makes it.
fn may_read(
    st: &AppState,
    principal: &Principal,
    cluster: &str,
    read_only: bool,
    stored: &StoredPlan,
) -> bool {
    let subject = Subject {
        topic: stored.topic.clone(),
        group: stored.group.clone(),
    };
    if subject.topic.is_none() && subject.group.is_none() {
        // Read-only clusters refuse every `*.manage`; reading changes nothing, so ask as if
        // it were not.
        let r = subject.resource(cluster, false);
        return st.may(principal, permission(&stored.plan.kind), &r);
    }
    st.may(
        principal,
        Permission::View,
        &subject.resource(cluster, read_only),
    )
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/plans/{id}",
    operation_id = "get_plan",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("id" = i64, Path, description = "Plan id")),
    responses((status = 200, description = "OK", body = Plan))
)]
async fn one(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, i64)>, PathRejection>,
) -> Result<Json<Plan>, ApiError> {
    let Path((cluster, id)) = p?;
    Ok(Json(shown(load(&st, &principal, &cluster, id).await?)))
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    group: Option<String>,
    topic: Option<String>,
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/plans",
    operation_id = "list_plans",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ListQuery),
    responses((status = 200, description = "OK", body = Page<Plan>))
)]
async fn list(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Plan>>, ApiError> {
    let Path(cluster) = p?;
    let Query(q) = q?;
    let snap = st.cluster(&cluster)?;
    st.allow_somewhere(&principal)?;
    // Filtered before the page is full: a scoped principal sees its newest plans even when
    // others made many since (at most SCANNED rows are read).
    let mut items: Vec<Plan> = Vec::new();
    let mut before: Option<i64> = None;
    let mut scanned = 0;
    while items.len() < MAX_LISTED as usize && scanned < SCANNED {
        let rows = st
            .store
            .plans(
                &cluster,
                q.group.as_deref(),
                q.topic.as_deref(),
                MAX_LISTED,
                before,
            )
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let Some(last) = rows.last() else {
            break;
        };
        before = Some(last.plan.id);
        scanned += rows.len();
        let full = rows.len() as i64 == MAX_LISTED;
        items.extend(
            rows.into_iter()
                .filter(|s| may_read(&st, &principal, &cluster, snap.read_only, s))
                .map(shown),
        );
        if !full {
            break;
        }
    }
    items.truncate(MAX_LISTED as usize);
    Ok(Json(Page {
        total: items.len(),
        items,
    }))
}

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/plans/{id}/execute",
    operation_id = "execute_plan",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("id" = i64, Path, description = "Plan id")),
    request_body = ExecuteRequest,
    responses((status = 200, description = "Executed (or partly: see execution)", body = Plan), (status = 409, description = "A precondition no longer holds", body = kafscope_api::ErrorBody))
)]
async fn execute(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, i64)>, PathRejection>,
    b: Result<Json<ExecuteRequest>, JsonRejection>,
) -> Result<Json<Plan>, ApiError> {
    let Path((cluster, id)) = p?;
    // An empty body is a request without confirmation.
    let confirm = match b {
        Ok(Json(r)) => r.confirm,
        Err(JsonRejection::MissingJsonContentType(_)) => None,
        Err(e) => return Err(json_body::<ExecuteRequest>(Err(e)).unwrap_err()),
    };
    let stored = load(&st, &principal, &cluster, id).await?;
    let snap = st.cluster(&cluster)?;
    let subject = Subject {
        topic: stored.topic.clone(),
        group: stored.group.clone(),
    };
    let plan = &stored.plan;
    let target = format!("plan {id}: {}", plan.target);
    authorise(
        &st, &principal, &cluster, &snap, &plan.kind, &subject, &target,
    )
    .await?;
    build::Ctx {
        st: &st,
        cluster: &cluster,
        snap: snap.clone(),
        admin: &admin(&st, &cluster)?,
        principal: &principal,
    }
    .may_see_topics(
        &build::group_change_topics(&plan.detail),
        action(&plan.kind),
    )
    .await?;
    match plan.state.as_str() {
        "planned" => {}
        "executing" => {
            return Err(ApiError::Conflict(format!(
                "plan {id} is being executed now"
            )))
        }
        other => {
            return Err(ApiError::Conflict(format!(
                "plan {id} was {other} already: make a new plan"
            )))
        }
    }
    if now_ms() > stored.expires_at_ms {
        return Err(ApiError::Conflict(format!(
            "plan {id} expired at {}: make a new one (offsets and configs move; a plan shows them as they were)",
            plan.expires_at
        )));
    }
    if let Some(want) = &plan.confirm {
        if confirm.as_deref() != Some(want.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "type '{want}' to confirm this change"
            )));
        }
    }
    let admin = admin(&st, &cluster)?;
    let job = execute::Job {
        st: st.clone(),
        principal: principal.clone(),
        cluster: cluster.clone(),
        admin,
        stored: stored.clone(),
        target,
    };
    // The change and its audit row run in their own task: a dropped request cannot leave a
    // change made and not recorded.
    let executed = super::detached(job.run()).await?;
    follow(&st, &cluster, &executed.plan).await;
    Ok(Json(shown(executed)))
}

/// Poll the cluster until the snapshot shows the change (brokers learn a new topic from
/// the metadata log a moment after the controller answers), at most [`POLL_WAIT`].
async fn follow(st: &AppState, cluster: &str, plan: &Plan) {
    let Some(poller) = st.pollers.get(cluster) else {
        return;
    };
    let deadline = tokio::time::Instant::now() + POLL_WAIT;
    loop {
        if tokio::time::timeout_at(deadline, poller.poll_now())
            .await
            .is_err()
        {
            return;
        }
        let shows = st
            .cluster(cluster)
            .map(|snap| settled(&snap, &plan.detail))
            .unwrap_or(true);
        if shows || tokio::time::Instant::now() + FOLLOW_STEP >= deadline {
            return;
        }
        tokio::time::sleep(FOLLOW_STEP).await;
    }
}

/// Whether the snapshot shows what the change made.
fn settled(snap: &ClusterSnapshot, detail: &kafscope_api::PlanDetail) -> bool {
    use kafscope_api::PlanDetail::*;
    match detail {
        CreateTopic {
            name, partitions, ..
        } => snap
            .topics
            .get(name)
            .is_some_and(|t| t.partitions.len() == *partitions as usize),
        AddPartitions { topic, to, .. } => snap
            .topics
            .get(topic)
            .is_some_and(|t| t.partitions.len() == *to as usize),
        DeleteTopic { topic, .. } => !snap.topics.contains_key(topic),
        _ => true,
    }
}

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/plans/{id}/revert",
    operation_id = "revert_plan",
    tag = "management",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("id" = i64, Path, description = "Plan id")),
    responses((status = 201, description = "A new plan that restores the previous offsets", body = Plan))
)]
async fn revert(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, i64)>, PathRejection>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    let Path((cluster, id)) = p?;
    let stored = load(&st, &principal, &cluster, id).await?;
    let plan = shown(stored);
    if !plan.revertible {
        return Err(ApiError::Conflict(format!(
            "plan {id} is not an executed offset reset: there is nothing to revert"
        )));
    }
    let req = build::revert_request(&plan)?;
    let plan = make_plan(&st, &principal, &cluster, req, Some(id)).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}
