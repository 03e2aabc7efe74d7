//! Silences, acknowledgements and rules sent through the API, each written with its audit
//! row in one transaction.

use std::collections::BTreeMap;

use sqlx::Row;

use super::audit::insert_audit;
pub use super::audit::AuditEntry;
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: i64,
    /// Every label must have this value for an alert to be silenced.
    pub matchers: BTreeMap<String, String>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub author: String,
    pub comment: String,
    pub created_ms: i64,
}

impl Silence {
    pub fn active(&self, now: i64) -> bool {
        self.starts_ms <= now && now < self.ends_ms
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.matchers.is_empty() && self.matchers.iter().all(|(k, v)| labels.get(k) == Some(v))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    pub fingerprint: String,
    pub episode_ms: i64,
    pub author: String,
    pub comment: String,
    pub at_ms: i64,
}

impl Store {
    /// Insert a silence and its audit entry in one transaction; returns its id.
    pub async fn add_silence(&self, s: &Silence, audit: &AuditEntry) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO silences (matchers, starts_ms, ends_ms, author, comment, created_ms)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(serde_json::to_string(&s.matchers).unwrap_or_default())
        .bind(s.starts_ms)
        .bind(s.ends_ms)
        .bind(&s.author)
        .bind(&s.comment)
        .bind(s.created_ms)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        insert_audit(&mut tx, audit, &id.to_string()).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// End a silence now; false when there is no such silence or it already ended.
    pub async fn expire_silence(
        &self,
        id: i64,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query(
            "UPDATE silences SET ends_ms = ?, expired_ms = ? WHERE id = ? AND ends_ms > ?",
        )
        .bind(now)
        .bind(now)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n > 0 {
            insert_audit(&mut tx, audit, &id.to_string()).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Silences that end after `since` (active, future, or recently ended).
    pub async fn silences(&self, since_ms: i64) -> Result<Vec<Silence>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, matchers, starts_ms, ends_ms, author, comment, created_ms FROM silences
             WHERE ends_ms > ? ORDER BY id",
        )
        .bind(since_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Silence {
                id: r.get(0),
                matchers: serde_json::from_str(&r.get::<String, _>(1)).unwrap_or_default(),
                starts_ms: r.get(2),
                ends_ms: r.get(3),
                author: r.get(4),
                comment: r.get(5),
                created_ms: r.get(6),
            })
            .collect())
    }

    pub async fn add_ack(&self, a: &Ack, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT OR REPLACE INTO acks (fingerprint, episode_ms, author, comment, at_ms) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&a.fingerprint)
        .bind(a.episode_ms)
        .bind(&a.author)
        .bind(&a.comment)
        .bind(a.at_ms)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit, &a.fingerprint).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn acks(&self) -> Result<Vec<Ack>, StoreError> {
        let rows = sqlx::query("SELECT fingerprint, episode_ms, author, comment, at_ms FROM acks")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Ack {
                fingerprint: r.get(0),
                episode_ms: r.get(1),
                author: r.get(2),
                comment: r.get(3),
                at_ms: r.get(4),
            })
            .collect())
    }
}

impl Store {
    /// Save (or replace) a rule sent through the API, with its audit row.
    pub async fn save_api_rule(
        &self,
        id: &str,
        body: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM api_rules WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO api_rules (id, body, author, at_ms) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(body)
            .bind(&audit.actor)
            .bind(audit.at_ms)
            .execute(&mut *tx)
            .await?;
        insert_audit(&mut tx, audit, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remove a rule sent through the API; false when there is none with this id.
    pub async fn delete_api_rule(&self, id: &str, audit: &AuditEntry) -> Result<bool, StoreError> {
        let mut tx = self.pool().begin().await?;
        let n = sqlx::query("DELETE FROM api_rules WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n > 0 {
            insert_audit(&mut tx, audit, id).await?;
        }
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Rules sent through the API, oldest first: (id, JSON body).
    pub async fn api_rules(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM api_rules ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
