//! Plans of management operations (see migration `20261207000001_plans.sql`). A plan is
//! claimed for execution by one statement (`planned` → `executing`), so two requests cannot
//! execute it twice; its outcome and its audit row are written in one transaction.

use kafscope_api::{Execution, Plan};
use sqlx::Row;

use super::audit::{insert_audit, AuditEntry};
use super::{Store, StoreError};

/// A new plan's row: what lists and authorisation filter on.
pub struct NewPlan<'a> {
    pub plan: &'a Plan,
    pub topic: Option<&'a str>,
    pub group: Option<&'a str>,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// A stored plan with the columns authorisation needs.
#[derive(Debug, Clone)]
pub struct StoredPlan {
    pub plan: Plan,
    pub topic: Option<String>,
    pub group: Option<String>,
    pub expires_at_ms: i64,
}

fn to_plan(r: &sqlx::sqlite::SqliteRow) -> Result<StoredPlan, StoreError> {
    let body: String = r.get("body");
    let mut plan: Plan = serde_json::from_str(&body)
        .map_err(|e| StoreError::Sqlx(sqlx::Error::Decode(Box::new(e))))?;
    plan.id = r.get("id");
    plan.state = r.get("state");
    let execution: Option<String> = r.get("execution");
    plan.execution = execution.and_then(|e| serde_json::from_str::<Execution>(&e).ok());
    Ok(StoredPlan {
        plan,
        topic: r.get("topic"),
        group: r.get("group_id"),
        expires_at_ms: r.get("expires_at_ms"),
    })
}

const COLUMNS: &str = "id, topic, group_id, expires_at_ms, state, body, execution";

impl Store {
    /// Keep a new plan; its id.
    pub async fn save_plan(&self, p: &NewPlan<'_>) -> Result<i64, StoreError> {
        let body = serde_json::to_string(p.plan).unwrap_or_default();
        let id = sqlx::query(
            "INSERT INTO plans (cluster, kind, topic, group_id, created_by, created_at_ms, expires_at_ms, state, body, reverts)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?)",
        )
        .bind(&p.plan.cluster)
        .bind(&p.plan.kind)
        .bind(p.topic)
        .bind(p.group)
        .bind(&p.plan.created_by)
        .bind(p.created_at_ms)
        .bind(p.expires_at_ms)
        .bind(body)
        .bind(p.plan.reverts)
        .execute(self.pool())
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    pub async fn plan(&self, cluster: &str, id: i64) -> Result<Option<StoredPlan>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE cluster = ? AND id = ?"
        ))
        .bind(cluster)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(to_plan).transpose()
    }

    /// The newest plans of a cluster (older than `before_id` when given), of one group or
    /// topic when given.
    pub async fn plans(
        &self,
        cluster: &str,
        group: Option<&str>,
        topic: Option<&str>,
        limit: i64,
        before_id: Option<i64>,
    ) -> Result<Vec<StoredPlan>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM plans WHERE cluster = ?
               AND (? IS NULL OR group_id = ?) AND (? IS NULL OR topic = ?)
               AND (? IS NULL OR id < ?)
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(cluster)
        .bind(group)
        .bind(group)
        .bind(topic)
        .bind(topic)
        .bind(before_id)
        .bind(before_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(to_plan).collect()
    }

    /// Claim a planned plan for execution: `false` when it is not `planned` any more (being
    /// or already executed).
    pub async fn claim_plan(&self, id: i64) -> Result<bool, StoreError> {
        let n =
            sqlx::query("UPDATE plans SET state = 'executing' WHERE id = ? AND state = 'planned'")
                .bind(id)
                .execute(self.pool())
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    /// Give a claimed plan back (its preconditions failed before anything was changed).
    pub async fn release_plan(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE plans SET state = 'planned' WHERE id = ? AND state = 'executing'")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Record what executing the plan did and its audit row, in one transaction; the audit
    /// row's id.
    pub async fn finish_plan(
        &self,
        id: i64,
        state: &str,
        execution: &Execution,
        audit: &AuditEntry,
        target: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let audit_id = insert_audit(&mut tx, audit, target).await?;
        let mut execution = execution.clone();
        execution.audit_id = Some(audit_id);
        sqlx::query("UPDATE plans SET state = ?, execution = ? WHERE id = ?")
            .bind(state)
            .bind(serde_json::to_string(&execution).unwrap_or_default())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(audit_id)
    }

    /// Plans left `executing` by a console that stopped mid-way: their outcome is unknown.
    pub async fn interrupt_plans(&self) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("UPDATE plans SET state = 'interrupted' WHERE state = 'executing'")
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
