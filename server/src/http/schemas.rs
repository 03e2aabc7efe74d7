//! The Schema Registry browser: a cluster's subjects, their versions and compatibility, and
//! the changes (register, compatibility levels, soft and permanent deletes). Reads need
//! `view`; changes need `schemas.manage` on the subject's topic (or the cluster for
//! record-name subjects and the global level), are refused on read-only clusters and are
//! audited with the actor, the before and the after.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use futures::StreamExt as _;
use kafscope_api::{
    CompatibilityChange, CompatibilityChanged, CompatibilityCheck, NewSchema, Registered,
    SchemaReference, SchemaVersion, SchemasDeleted, SubjectDetail, SubjectList, SubjectSummary,
    COMPATIBILITY_LEVELS,
};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::alert_actions::json_body;
use super::auth::{audit_entry, Permission, Principal, Resource};
use super::{ApiError, AppState};
use crate::messages::naming;
use crate::messages::registry::{ErrorKind, Registry, RegistryError, Version};

/// Versions of one subject shown at most (the newest).
const MAX_VERSIONS: usize = 100;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subjects))
        .routes(routes!(get_subject, delete_subject))
        .routes(routes!(register))
        .routes(routes!(delete_version))
        .routes(routes!(check_compatibility))
        .routes(routes!(set_subject_compatibility))
        .routes(routes!(set_global_compatibility))
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> ApiError {
        match e.kind {
            ErrorKind::NotFound => ApiError::NotFound(e.message),
            ErrorKind::Conflict => ApiError::Conflict(e.message),
            ErrorKind::Invalid => ApiError::BadRequest(e.message),
            ErrorKind::Unreachable | ErrorKind::Refused => ApiError::Unavailable(e.message),
        }
    }
}

fn registry(st: &AppState, cluster: &str) -> Result<Arc<Registry>, ApiError> {
    st.cluster(cluster)?;
    st.inspectors
        .get(cluster)
        .and_then(|i| i.registry.clone())
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "cluster '{cluster}' has no Schema Registry configured (schema_registry.url in its [[clusters]] table)"
            ))
        })
}

/// The cluster's topic names now.
fn topic_names(st: &AppState, cluster: &str) -> Result<(Vec<String>, bool), ApiError> {
    let snap = st.cluster(cluster)?;
    Ok((snap.topics.keys().cloned().collect(), snap.read_only))
}

#[derive(Deserialize)]
struct ConfigAnswer {
    #[serde(alias = "compatibility")]
    #[serde(rename = "compatibilityLevel")]
    level: Option<String>,
}

#[derive(Deserialize)]
struct LatestAnswer {
    subject: String,
    version: i64,
    id: u32,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize, Default)]
#[serde(default)]
struct SubjectsQuery {
    /// Only the subjects of this topic.
    topic: Option<String>,
    /// Subjects whose name contains this (case-insensitive).
    q: Option<String>,
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/subjects",
    operation_id = "list_subjects",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), SubjectsQuery),
    responses((status = 200, description = "OK", body = SubjectList))
)]
async fn list_subjects(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    q: Result<Query<SubjectsQuery>, QueryRejection>,
) -> Result<Json<SubjectList>, ApiError> {
    let Path(cluster) = p?;
    let Query(q) = q?;
    st.allow_view(&principal, &cluster)?;
    let reg = registry(&st, &cluster)?;
    let (topic_list, read_only) = topic_names(&st, &cluster)?;
    let topics: Vec<&str> = topic_list.iter().map(String::as_str).collect();
    let (live, all, global, latest) = tokio::join!(
        reg.get::<Vec<String>>(&["subjects"]),
        reg.call::<Vec<String>>(Method::GET, &["subjects"], &[("deleted", "true")], None),
        reg.get::<ConfigAnswer>(&["config"]),
        // One call for every latest version where the registry offers it (Confluent 7+).
        reg.call::<Vec<LatestAnswer>>(Method::GET, &["schemas"], &[("latestOnly", "true")], None),
    );
    let live: HashSet<String> = live?.into_iter().collect();
    let all = all.unwrap_or_else(|_| live.iter().cloned().collect());
    // The highest version per subject (a registry that ignores latestOnly lists them all).
    let mut newest: HashMap<String, LatestAnswer> = HashMap::new();
    for l in latest.unwrap_or_default() {
        if newest.get(&l.subject).is_none_or(|n| n.version < l.version) {
            newest.insert(l.subject.clone(), l);
        }
    }
    let mut names: Vec<String> = match &q.topic {
        Some(t) => naming::subjects_of(t, &all).into_iter().cloned().collect(),
        None => all.clone(),
    };
    if q.topic.is_none() {
        names.sort();
    }
    if let Some(needle) =
        q.q.as_deref()
            .map(str::to_lowercase)
            .filter(|n| !n.is_empty())
    {
        names.retain(|s| s.to_lowercase().contains(&needle));
    }
    // Only what the principal may view: a topic-scoped viewer sees its topics' subjects.
    names.retain(|s| {
        st.may(
            &principal,
            Permission::View,
            &subject_resource(&cluster, read_only, s, &topic_list),
        )
    });
    let subjects = names
        .into_iter()
        .map(|s| {
            let (strategy, used_by) = naming::topics_of(&s, &topics);
            let l = newest.get(&s);
            SubjectSummary {
                deleted: !live.contains(&s),
                strategy: strategy.into(),
                topics: used_by,
                latest_version: l.map(|l| l.version),
                latest_id: l.map(|l| l.id),
                kind: l.map(|l| l.schema_type.clone().unwrap_or_else(|| "AVRO".into())),
                subject: s,
            }
        })
        .collect();
    Ok(Json(SubjectList {
        registry: reg.address(),
        compatibility: global.ok().and_then(|c| c.level),
        subjects,
    }))
}

/// Avro and JSON Schema texts pretty-printed (their keys keep their order); Protobuf as is.
fn readable(kind: &str, text: &str) -> String {
    if kind == "PROTOBUF" {
        return text.to_string();
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_string())
}

fn api_version(v: &Version, deleted: bool) -> SchemaVersion {
    SchemaVersion {
        version: v.version,
        id: v.id,
        kind: v.kind().to_string(),
        schema: readable(v.kind(), &v.schema),
        references: v
            .references
            .iter()
            .map(|r| SchemaReference {
                name: r.name.clone(),
                subject: r.subject.clone(),
                version: r.version,
            })
            .collect(),
        deleted,
    }
}

/// A subject's versions, soft-deleted ones included: (all, live).
async fn version_numbers(reg: &Registry, subject: &str) -> Result<(Vec<i64>, Vec<i64>), ApiError> {
    let (all, live) = tokio::join!(
        reg.call::<Vec<i64>>(
            Method::GET,
            &["subjects", subject, "versions"],
            &[("deleted", "true")],
            None
        ),
        reg.get::<Vec<i64>>(&["subjects", subject, "versions"]),
    );
    let live = match live {
        Ok(v) => v,
        // Every version soft-deleted: the subject is "not found" unless deleted ones count.
        Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let all = match all {
        Ok(v) => v,
        Err(e) if e.kind == ErrorKind::NotFound && !live.is_empty() => live.clone(),
        Err(e) => return Err(e.into()),
    };
    Ok((all, live))
}

async fn subject_detail(
    reg: &Registry,
    subject: &str,
    topics: &[String],
) -> Result<SubjectDetail, ApiError> {
    let (all, live) = version_numbers(reg, subject).await?;
    let shown = &all[all.len().saturating_sub(MAX_VERSIONS)..];
    let asks: Vec<_> = shown
        .iter()
        .map(|&n| {
            let deleted = !live.contains(&n);
            let subject = subject.to_string();
            async move {
                reg.version(&subject, &n.to_string(), deleted)
                    .await
                    .map(|v| api_version(&v, deleted))
            }
        })
        .collect();
    let versions: Vec<Result<SchemaVersion, RegistryError>> =
        futures::stream::iter(asks).buffered(4).collect().await;
    let versions = versions.into_iter().collect::<Result<Vec<_>, _>>()?;
    let (own, global) = tokio::join!(
        reg.get::<ConfigAnswer>(&["config", subject]),
        reg.get::<ConfigAnswer>(&["config"]),
    );
    let own = match own {
        Ok(c) => c.level,
        Err(e) if e.kind == ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
    let (strategy, used_by) = naming::topics_of(subject, &topics);
    Ok(SubjectDetail {
        subject: subject.to_string(),
        strategy: strategy.into(),
        topics: used_by,
        effective_compatibility: own.clone().or_else(|| global.ok().and_then(|c| c.level)),
        compatibility: own,
        versions,
    })
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/subjects/{subject}",
    operation_id = "get_subject",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject")),
    responses((status = 200, description = "OK", body = SubjectDetail))
)]
async fn get_subject(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<SubjectDetail>, ApiError> {
    let Path((cluster, subject)) = p?;
    let (topics, read_only) = topic_names(&st, &cluster)?;
    st.allow(
        &principal,
        Permission::View,
        &subject_resource(&cluster, read_only, &subject, &topics),
    )?;
    valid_subject(&subject)?;
    let reg = registry(&st, &cluster)?;
    Ok(Json(subject_detail(&reg, &subject, &topics).await?))
}

/// A subject name the registry's paths can carry: `.` and `..` would be read as path steps
/// (another resource), control characters are not names.
fn valid_subject(s: &str) -> Result<(), ApiError> {
    if s.is_empty() || s == "." || s == ".." || s.chars().any(char::is_control) || s.len() > 1_000 {
        return Err(ApiError::BadRequest(format!(
            "'{}' is not a subject name",
            s.escape_debug()
        )));
    }
    Ok(())
}

/// The audit detail of a failed change: when the registry did not answer, the change may
/// still have been made, and the row says so.
fn failure(e: &RegistryError) -> serde_json::Value {
    if e.kind == ErrorKind::Unreachable {
        json!({"error": e.message, "note": "no answer: the registry may have made the change"})
    } else {
        json!({"error": e.message})
    }
}

/// The resource `subject` concerns: its topic when the name tells one (in both topic
/// strategies the topic is the start of the subject's name). A `<topic>-key|value` subject
/// is scoped by its topic even after the topic is gone; a `<topic>-<record>` subject whose
/// topic is gone reads as a record name, and only unscoped bindings may change it.
fn subject_resource<'a>(
    cluster: &'a str,
    read_only: bool,
    subject: &'a str,
    topics: &[String],
) -> Resource<'a> {
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let r = Resource::cluster(cluster, read_only);
    match naming::topics_of(subject, &names).1.first() {
        Some(u) => r.topic(&subject[..u.topic.len()]),
        None => r,
    }
}

fn check_body(b: &NewSchema) -> Result<serde_json::Value, ApiError> {
    if b.schema.trim().is_empty() {
        return Err(ApiError::BadRequest("the schema is empty".into()));
    }
    if b.schema.len() > 1 << 20 {
        return Err(ApiError::BadRequest(
            "the schema is larger than 1 MiB".into(),
        ));
    }
    let kind = b.schema_type.as_deref().unwrap_or("AVRO").to_uppercase();
    if !["AVRO", "PROTOBUF", "JSON"].contains(&kind.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "schema_type '{kind}' is not one of AVRO, PROTOBUF, JSON"
        )));
    }
    let mut body = json!({"schema": b.schema});
    if kind != "AVRO" {
        body["schemaType"] = json!(kind);
    }
    if !b.references.is_empty() {
        body["references"] = json!(b
            .references
            .iter()
            .map(|r| json!({"name": r.name, "subject": r.subject, "version": r.version}))
            .collect::<Vec<_>>());
    }
    Ok(body)
}

#[derive(Deserialize)]
struct CompatAnswer {
    is_compatible: bool,
    #[serde(default)]
    messages: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/subjects/{subject}/compatibility-check",
    operation_id = "check_schema_compatibility",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject")),
    request_body = NewSchema,
    responses((status = 200, description = "OK", body = CompatibilityCheck))
)]
async fn check_compatibility(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    b: Result<Json<NewSchema>, JsonRejection>,
) -> Result<Json<CompatibilityCheck>, ApiError> {
    let Path((cluster, subject)) = p?;
    let (topics, read_only) = topic_names(&st, &cluster)?;
    st.allow(
        &principal,
        Permission::View,
        &subject_resource(&cluster, read_only, &subject, &topics),
    )?;
    valid_subject(&subject)?;
    let b = json_body(b)?;
    let reg = registry(&st, &cluster)?;
    let body = check_body(&b)?;
    let (answer, own, global) = tokio::join!(
        reg.call::<CompatAnswer>(
            Method::POST,
            &["compatibility", "subjects", &subject, "versions", "latest"],
            &[("verbose", "true")],
            Some(&body),
        ),
        reg.get::<ConfigAnswer>(&["config", &subject]),
        reg.get::<ConfigAnswer>(&["config"]),
    );
    let level = own
        .ok()
        .and_then(|c| c.level)
        .or_else(|| global.ok().and_then(|c| c.level));
    Ok(Json(match answer {
        Ok(a) => CompatibilityCheck {
            compatible: a.is_compatible,
            level,
            messages: a.messages,
        },
        // No version yet: nothing to be compatible with.
        Err(e) if e.kind == ErrorKind::NotFound => CompatibilityCheck {
            compatible: true,
            level,
            messages: vec![
                "the subject has no version yet: any valid schema can be registered".into(),
            ],
        },
        Err(e) => return Err(e.into()),
    }))
}

#[derive(Deserialize)]
struct IdAnswer {
    id: u32,
}

#[derive(Deserialize)]
struct LookupAnswer {
    version: i64,
}

/// One registry change being made: who, what, where — what every change handler
/// authorises, audits and answers with.
struct Change {
    st: AppState,
    principal: Principal,
    action: &'static str,
    cluster: String,
    target: String,
    registry: Arc<Registry>,
}

impl Change {
    /// The checks every change passes, in this order: the cluster exists, the one
    /// authorisation function (on the subject's topic, or the cluster), a subject name the
    /// registry's paths can carry, a registry configured.
    async fn authorise(
        st: &AppState,
        principal: &Principal,
        action: &'static str,
        cluster: &str,
        subject: Option<&str>,
        target: String,
    ) -> Result<Change, ApiError> {
        let (topics, read_only) = topic_names(st, cluster)?;
        let resource = match subject {
            Some(s) => subject_resource(cluster, read_only, s, &topics),
            None => Resource::cluster(cluster, read_only),
        };
        st.allow_change(
            principal,
            Permission::SchemasManage,
            &resource,
            action,
            &target,
        )
        .await?;
        if let Some(s) = subject {
            valid_subject(s)?;
        }
        Ok(Change {
            registry: registry(st, cluster)?,
            st: st.clone(),
            principal: principal.clone(),
            action,
            cluster: cluster.to_string(),
            target,
        })
    }

    /// Write the audit row; its id, or `None` when the store failed (the change is made: the
    /// error is logged, the answer still says what happened).
    async fn audit(&self, outcome: &str, detail: serde_json::Value) -> Option<i64> {
        let mut e = audit_entry(&self.principal, self.action, Some(&self.cluster));
        e.outcome = outcome.into();
        e.detail = detail.to_string();
        match self.st.store.audit(&e, &self.target).await {
            Ok(id) => Some(id),
            Err(err) => {
                tracing::error!(error = %err, action = self.action, "cannot write the audit row of a registry change");
                None
            }
        }
    }

    /// Audit a failed change (with `context` merged into the detail) and answer its error.
    async fn failed<T>(&self, e: RegistryError, context: serde_json::Value) -> Result<T, ApiError> {
        let mut detail = failure(&e);
        if let (Some(d), serde_json::Value::Object(c)) = (detail.as_object_mut(), context) {
            d.extend(c);
        }
        self.audit("failed", detail).await;
        Err(e.into())
    }
}

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/subjects/{subject}/versions",
    operation_id = "register_schema",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject")),
    request_body = NewSchema,
    responses((status = 200, description = "OK", body = Registered))
)]
async fn register(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    b: Result<Json<NewSchema>, JsonRejection>,
) -> Result<Json<Registered>, ApiError> {
    let Path((cluster, subject)) = p?;
    let c = Change::authorise(
        &st,
        &principal,
        "schema.register",
        &cluster,
        Some(&subject),
        subject.clone(),
    )
    .await?;
    let body = check_body(&json_body(b)?)?;
    super::detached(async move {
        let reg = &c.registry;
        let before = match reg.version(&subject, "latest", false).await {
            Ok(v) => Some(json!({"version": v.version, "id": v.id})),
            Err(e) if e.kind == ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let done = reg
            .call::<IdAnswer>(
                Method::POST,
                &["subjects", &subject, "versions"],
                &[],
                Some(&body),
            )
            .await;
        reg.forget(&subject);
        let id = match done {
            Ok(a) => a.id,
            Err(e) => return c.failed(e, json!({"before": before})).await,
        };
        // The version it got (best effort: the lookup endpoint answers it).
        let version = reg
            .call::<LookupAnswer>(Method::POST, &["subjects", &subject], &[], Some(&body))
            .await
            .ok()
            .map(|l| l.version);
        let audit_id = c
            .audit(
                "done",
                json!({"before": before, "after": {"id": id, "version": version}}),
            )
            .await;
        Ok(Json(Registered {
            subject,
            id,
            version,
            audit_id,
        }))
    })
    .await
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteQuery {
    /// Hard delete (after a soft one): the versions and their ids are gone for good.
    permanent: bool,
    /// The subject's name typed again, required for a permanent delete. (A soft delete can
    /// be undone by registering the schema again: the UI previews it, no name is typed.)
    confirm: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/clusters/{cluster}/subjects/{subject}",
    operation_id = "delete_subject",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject"), DeleteQuery),
    responses((status = 200, description = "OK", body = SchemasDeleted))
)]
async fn delete_subject(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<DeleteQuery>, QueryRejection>,
) -> Result<Json<SchemasDeleted>, ApiError> {
    let Path((cluster, subject)) = p?;
    delete_schemas(st, principal, cluster, subject, None, q?.0).await
}

#[utoipa::path(
    delete,
    path = "/clusters/{cluster}/subjects/{subject}/versions/{version}",
    operation_id = "delete_schema_version",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject"), ("version" = i64, Path, description = "Schema version"), DeleteQuery),
    responses((status = 200, description = "OK", body = SchemasDeleted))
)]
async fn delete_version(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String, String)>, PathRejection>,
    q: Result<Query<DeleteQuery>, QueryRejection>,
) -> Result<Json<SchemasDeleted>, ApiError> {
    let Path((cluster, subject, version)) = p?;
    delete_schemas(st, principal, cluster, subject, Some(version), q?.0).await
}

/// A soft or permanent delete of a subject (`version` `None`) or of one version.
async fn delete_schemas(
    st: AppState,
    principal: Principal,
    cluster: String,
    subject: String,
    version: Option<String>,
    q: DeleteQuery,
) -> Result<Json<SchemasDeleted>, ApiError> {
    let action = match (&version, q.permanent) {
        (None, false) => "schema.delete_subject",
        (None, true) => "schema.delete_subject_permanently",
        (Some(_), false) => "schema.delete_version",
        (Some(_), true) => "schema.delete_version_permanently",
    };
    let target = match &version {
        Some(v) => format!("{subject} v{v}"),
        None => subject.clone(),
    };
    let c = Change::authorise(&st, &principal, action, &cluster, Some(&subject), target).await?;
    let version = match version {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::BadRequest(format!("version '{v}' is not a version number"))
        })?),
    };
    if q.permanent && q.confirm.as_deref() != Some(subject.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "a permanent delete needs the subject's name typed to confirm: confirm={subject}"
        )));
    }
    super::detached(async move {
        let reg = &c.registry;
        let query: &[(&str, &str)] = if q.permanent {
            &[("permanent", "true")]
        } else {
            &[]
        };
        let (done, before) = match version {
            None => {
                let done = reg
                    .call::<Vec<i64>>(Method::DELETE, &["subjects", &subject], query, None)
                    .await;
                let before = done.as_ref().ok().map(|vs| json!({"versions": vs}));
                (done, before)
            }
            Some(n) => {
                let v = n.to_string();
                let before = reg
                    .version(&subject, &v, q.permanent)
                    .await
                    .ok()
                    .map(|b| json!({"version": b.version, "id": b.id}));
                let done = reg
                    .call::<i64>(
                        Method::DELETE,
                        &["subjects", &subject, "versions", &v],
                        query,
                        None,
                    )
                    .await
                    .map(|gone| vec![gone]);
                (done, before)
            }
        };
        reg.forget(&subject);
        let versions = match done {
            Ok(vs) => vs,
            Err(e) => return c.failed(e, json!({"permanent": q.permanent})).await,
        };
        let audit_id = c
            .audit(
                "done",
                json!({"before": before, "after": null, "permanent": q.permanent}),
            )
            .await;
        Ok(Json(SchemasDeleted {
            subject,
            versions,
            permanent: q.permanent,
            audit_id,
        }))
    })
    .await
}

fn check_level(c: &CompatibilityChange) -> Result<Option<String>, ApiError> {
    match &c.level {
        None => Ok(None),
        Some(l) => {
            let up = l.trim().to_uppercase();
            if COMPATIBILITY_LEVELS.contains(&up.as_str()) {
                Ok(Some(up))
            } else {
                Err(ApiError::BadRequest(format!(
                    "'{l}' is not a compatibility level: {}",
                    COMPATIBILITY_LEVELS.join(", ")
                )))
            }
        }
    }
}

async fn set_compatibility(
    st: AppState,
    principal: Principal,
    cluster: String,
    subject: Option<String>,
    b: Result<Json<CompatibilityChange>, JsonRejection>,
) -> Result<Json<CompatibilityChanged>, ApiError> {
    let target = subject.clone().unwrap_or_else(|| "(global)".into());
    let c = Change::authorise(
        &st,
        &principal,
        "schema.compatibility",
        &cluster,
        subject.as_deref(),
        target,
    )
    .await?;
    let level = check_level(&json_body(b)?)?;
    if subject.is_none() && level.is_none() {
        return Err(ApiError::BadRequest(
            "the global level cannot be removed; give a level".into(),
        ));
    }
    super::detached(async move {
        let reg = &c.registry;
        let path: Vec<&str> = match &subject {
            Some(s) => vec!["config", s],
            None => vec!["config"],
        };
        let before = match reg.get::<ConfigAnswer>(&path).await {
            Ok(c) => c.level,
            Err(e) if e.kind == ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let done = match &level {
            Some(l) => reg
                .call::<serde_json::Value>(
                    Method::PUT,
                    &path,
                    &[],
                    Some(&json!({"compatibility": l})),
                )
                .await
                .map(|_| ()),
            None => match reg
                .call::<serde_json::Value>(Method::DELETE, &path, &[], None)
                .await
            {
                // Nothing of its own to remove.
                Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
                other => other.map(|_| ()),
            },
        };
        if let Err(e) = done {
            return c
                .failed(e, json!({"before": before, "wanted": level}))
                .await;
        }
        let audit_id = c
            .audit("done", json!({"before": before, "after": level}))
            .await;
        Ok(Json(CompatibilityChanged {
            subject,
            before,
            after: level,
            audit_id,
        }))
    })
    .await
}

#[utoipa::path(
    put,
    path = "/clusters/{cluster}/subjects/{subject}/compatibility",
    operation_id = "set_subject_compatibility",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("subject" = String, Path, description = "Schema Registry subject")),
    request_body = CompatibilityChange,
    responses((status = 200, description = "OK", body = CompatibilityChanged))
)]
async fn set_subject_compatibility(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    b: Result<Json<CompatibilityChange>, JsonRejection>,
) -> Result<Json<CompatibilityChanged>, ApiError> {
    let Path((cluster, subject)) = p?;
    set_compatibility(st, principal, cluster, Some(subject), b).await
}

#[utoipa::path(
    put,
    path = "/clusters/{cluster}/compatibility",
    operation_id = "set_global_compatibility",
    tag = "schemas",
    params(("cluster" = String, Path, description = "A configured cluster's name")),
    request_body = CompatibilityChange,
    responses((status = 200, description = "OK", body = CompatibilityChanged))
)]
async fn set_global_compatibility(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<String>, PathRejection>,
    b: Result<Json<CompatibilityChange>, JsonRejection>,
) -> Result<Json<CompatibilityChanged>, ApiError> {
    let Path(cluster) = p?;
    set_compatibility(st, principal, cluster, None, b).await
}
