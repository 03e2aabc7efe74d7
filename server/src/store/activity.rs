//! Consumer groups' activity (see migration `20261130000002_group_activity.sql`).

use sqlx::Row;

use super::{Store, StoreError};

/// One group's activity as stored: (group, first seen, last active, seen active).
pub type ActivityRow = (String, i64, Option<i64>, bool);

impl Store {
    pub async fn group_activity(&self, cluster: &str) -> Result<Vec<ActivityRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT group_id, first_seen_ms, last_active_ms, seen_active FROM group_activity WHERE cluster = ?",
        )
        .bind(cluster)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get::<i64, _>(3) != 0))
            .collect())
    }

    /// Write the activity of these groups (in one transaction).
    pub async fn save_group_activity(
        &self,
        cluster: &str,
        rows: &[ActivityRow],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool().begin().await?;
        for (g, first, last, seen) in rows {
            sqlx::query(
                "INSERT INTO group_activity (cluster, group_id, first_seen_ms, last_active_ms, seen_active)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (cluster, group_id) DO UPDATE SET
                   last_active_ms = excluded.last_active_ms, seen_active = excluded.seen_active",
            )
            .bind(cluster)
            .bind(g)
            .bind(first)
            .bind(last)
            .bind(*seen as i64)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
