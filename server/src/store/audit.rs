//! The audit log: one row per attempted change — who (the authenticated actor and how it
//! was authenticated), from where, what, in which cluster, and whether it was done, refused
//! (with the missing permission) or failed. Written in the transaction of the change.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::{Store, StoreError};

/// Who did what (the target is given to the store call).
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub at_ms: i64,
    /// The actor's display name: a user, a token's name, a proxy user.
    pub actor: String,
    /// `user`, `token`, `proxy`, `anonymous`, `embed`.
    pub actor_kind: String,
    pub source_addr: Option<String>,
    pub action: String,
    pub cluster: Option<String>,
    /// `done`, `refused` or `failed`.
    pub outcome: String,
    /// JSON: before/after, or the missing permission.
    pub detail: String,
}

/// An audit row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub actor_kind: String,
    pub source_addr: Option<String>,
    pub action: String,
    pub cluster: Option<String>,
    pub target: String,
    pub outcome: String,
    pub detail: String,
}

/// What to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Substring of the actor.
    pub actor: Option<String>,
    /// Prefix of the action (`alert.` matches every alert action).
    pub action: Option<String>,
    pub cluster: Option<String>,
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Rows with a smaller id (paging newest first).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub(super) async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    e: &AuditEntry,
    target: &str,
) -> Result<i64, StoreError> {
    let done = sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, actor_kind, source_addr, action, cluster, target, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.at_ms)
    .bind(&e.actor)
    .bind(&e.actor_kind)
    .bind(&e.source_addr)
    .bind(&e.action)
    .bind(&e.cluster)
    .bind(target)
    .bind(if e.outcome.is_empty() { "done" } else { &e.outcome })
    .bind(&e.detail)
    .execute(&mut **tx)
    .await?;
    Ok(done.last_insert_rowid())
}

impl Store {
    /// Record an attempt that touched no other table (a refusal, a test notification, a
    /// change made in Kafka itself).
    /// Returns the row's id.
    pub async fn audit(&self, e: &AuditEntry, target: &str) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id = insert_audit(&mut tx, e, target).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Audit rows, newest first, narrowed by `f`.
    pub async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT id, at_ms, actor, actor_kind, source_addr, action, cluster, target, outcome, detail
             FROM audit_log WHERE 1 = 1",
        );
        if let Some(a) = &f.actor {
            q.push(" AND instr(lower(actor), lower(")
                .push_bind(a.clone())
                .push(")) > 0");
        }
        if let Some(a) = &f.action {
            q.push(" AND substr(action, 1, length(")
                .push_bind(a.clone())
                .push(")) = ")
                .push_bind(a.clone());
        }
        if let Some(c) = &f.cluster {
            q.push(" AND cluster = ").push_bind(c.clone());
        }
        if let Some(o) = &f.outcome {
            q.push(" AND outcome = ").push_bind(o.clone());
        }
        if let Some(t) = f.from_ms {
            q.push(" AND at_ms >= ").push_bind(t);
        }
        if let Some(t) = f.to_ms {
            q.push(" AND at_ms < ").push_bind(t);
        }
        if let Some(id) = f.before_id {
            q.push(" AND id < ").push_bind(id);
        }
        q.push(" ORDER BY id DESC LIMIT ")
            .push_bind(f.limit.clamp(1, 10_000));
        let rows = q.build().fetch_all(self.pool()).await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRow {
                id: r.get(0),
                at_ms: r.get(1),
                actor: r.get(2),
                actor_kind: r.get(3),
                source_addr: r.get(4),
                action: r.get(5),
                cluster: r.get(6),
                target: r.get(7),
                outcome: r.get(8),
                detail: r.get(9),
            })
            .collect())
    }
}
