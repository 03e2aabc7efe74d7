//! Secrets the server makes for itself (migration `20261207000002_server_secrets.sql`).

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// The secret called `name`, made with `make` and kept the first time it is asked for.
    /// Two consoles starting on one store at once agree on the first one written.
    pub async fn server_secret(
        &self,
        name: &str,
        now_ms: i64,
        make: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value, created_at_ms) VALUES (?, ?, ?) \
             ON CONFLICT(name) DO NOTHING",
        )
        .bind(name)
        .bind(make())
        .bind(now_ms)
        .execute(self.pool())
        .await?;
        let row = sqlx::query("SELECT value FROM server_secrets WHERE name = ?")
            .bind(name)
            .fetch_one(self.pool())
            .await?;
        Ok(row.get("value"))
    }
}
