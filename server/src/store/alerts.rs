//! Alert history, the engine's persisted state, and the notification outbox.

use sqlx::Row;

use super::{Store, StoreError};

/// A state change to record.
#[derive(Debug, Clone)]
pub struct AlertEvent {
    pub fingerprint: String,
    pub cluster: String,
    pub rule: String,
    pub state: String,
    pub severity: String,
    pub summary: String,
    pub labels: String,
    pub at_ms: i64,
}

/// A notification for one receiver, rendered once.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub idempotency_key: String,
    pub receiver: String,
    pub payload: String,
}

/// An outbox row due for an attempt.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub idempotency_key: String,
    pub receiver: String,
    pub payload: String,
    pub created_ms: i64,
    pub attempts: i64,
}

/// An outbox row as the API shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub idempotency_key: String,
    pub receiver: String,
    pub created_ms: i64,
    pub attempts: i64,
    pub state: String,
    pub last_error: Option<String>,
    pub delivered_ms: Option<i64>,
    pub next_attempt_ms: i64,
}

impl Store {
    /// Record state changes, the engine's state and the notifications they cause, in one
    /// transaction: a notification exists in the outbox before anyone tries to send it.
    pub async fn record_alerts(
        &self,
        cluster: &str,
        events: &[AlertEvent],
        state: &[(String, String)],
        outbox: &[OutboxItem],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let r = self
            .write_alerts(cluster, events, state, outbox, now_ms)
            .await;
        self.noted(r)
    }

    async fn write_alerts(
        &self,
        cluster: &str,
        events: &[AlertEvent],
        state: &[(String, String)],
        outbox: &[OutboxItem],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO alert_events (fingerprint, cluster, rule, state, severity, summary, labels, at_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&e.fingerprint)
            .bind(&e.cluster)
            .bind(&e.rule)
            .bind(&e.state)
            .bind(&e.severity)
            .bind(&e.summary)
            .bind(&e.labels)
            .bind(e.at_ms)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM alert_state WHERE cluster = ?")
            .bind(cluster)
            .execute(&mut *tx)
            .await?;
        for (fp, body) in state {
            sqlx::query("INSERT INTO alert_state (fingerprint, cluster, body) VALUES (?, ?, ?)")
                .bind(fp)
                .bind(cluster)
                .bind(body)
                .execute(&mut *tx)
                .await?;
        }
        insert_outbox(&mut tx, outbox, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queue notifications outside an evaluation (a receiver test).
    pub async fn enqueue(&self, outbox: &[OutboxItem], now_ms: i64) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        insert_outbox(&mut tx, outbox, now_ms).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The engine state saved for a cluster (JSON bodies).
    pub async fn alert_state(&self, cluster: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT body FROM alert_state WHERE cluster = ?")
            .bind(cluster)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    /// Pending notifications whose next attempt is due, oldest first.
    pub async fn due_notifications(&self, now_ms: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, idempotency_key, receiver, payload, created_ms, attempts FROM outbox
             WHERE state = 'pending' AND next_attempt_ms <= ? ORDER BY id LIMIT ?",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Due {
                id: r.get(0),
                idempotency_key: r.get(1),
                receiver: r.get(2),
                payload: r.get(3),
                created_ms: r.get(4),
                attempts: r.get(5),
            })
            .collect())
    }

    pub async fn mark_delivered(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET state = 'delivered', delivered_ms = ?, attempts = attempts + 1,
             last_error = NULL WHERE id = ?",
        )
        .bind(now_ms)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A failed attempt: retry at `next_ms`, or a dead letter when `dead`.
    pub async fn mark_failed(
        &self,
        id: i64,
        error: &str,
        next_ms: i64,
        dead: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_ms = ?,
             state = CASE WHEN ? THEN 'dead' ELSE 'pending' END WHERE id = ?",
        )
        .bind(error)
        .bind(next_ms)
        .bind(dead)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The newest deliveries, for the API and the UI.
    pub async fn deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, idempotency_key, receiver, created_ms, attempts, state, last_error,
             delivered_ms, next_attempt_ms FROM outbox ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Delivery {
                id: r.get(0),
                idempotency_key: r.get(1),
                receiver: r.get(2),
                created_ms: r.get(3),
                attempts: r.get(4),
                state: r.get(5),
                last_error: r.get(6),
                delivered_ms: r.get(7),
                next_attempt_ms: r.get(8),
            })
            .collect())
    }
}

/// Outbox rows due at once; the same key twice (a replayed cycle) is the same notification.
async fn insert_outbox(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    outbox: &[OutboxItem],
    now_ms: i64,
) -> Result<(), StoreError> {
    for o in outbox {
        sqlx::query(
            "INSERT OR IGNORE INTO outbox (idempotency_key, receiver, payload, created_ms, next_attempt_ms)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&o.idempotency_key)
        .bind(&o.receiver)
        .bind(&o.payload)
        .bind(now_ms)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
