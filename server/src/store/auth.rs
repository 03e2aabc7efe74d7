//! Sessions and API tokens. Only SHA-256 hashes of cookie values and tokens are stored: a
//! copy of the database does not sign anyone in. Revocation and logout take effect at the
//! next request.

use sqlx::Row;

use super::audit::{insert_audit, AuditEntry};
use super::{Store, StoreError};

/// A signed-in person's session.
#[derive(Clone, PartialEq)]
pub struct SessionRow {
    pub id_hash: String,
    /// `local` or `oidc`.
    pub kind: String,
    pub subject: String,
    pub display: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub csrf: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    pub expires_ms: i64,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    pub identity_until_ms: Option<i64>,
    pub source_addr: Option<String>,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The CSRF token and the provider's tokens are secrets.
        f.debug_struct("SessionRow")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .field("roles", &self.roles)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// An API token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub clusters: Vec<String>,
    pub topics: Option<String>,
    pub consumer_groups: Option<String>,
    pub created_by: String,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

fn json_list(s: String) -> Vec<String> {
    serde_json::from_str(&s).unwrap_or_default()
}

const SESSION_COLUMNS: &str = "id_hash, kind, subject, display, email, groups, roles, csrf, created_ms, last_seen_ms, expires_ms, refresh_token, id_token, identity_until_ms, source_addr";

fn session_row(r: sqlx::sqlite::SqliteRow) -> SessionRow {
    SessionRow {
        id_hash: r.get(0),
        kind: r.get(1),
        subject: r.get(2),
        display: r.get(3),
        email: r.get(4),
        groups: json_list(r.get(5)),
        roles: json_list(r.get(6)),
        csrf: r.get(7),
        created_ms: r.get(8),
        last_seen_ms: r.get(9),
        expires_ms: r.get(10),
        refresh_token: r.get(11),
        id_token: r.get(12),
        identity_until_ms: r.get(13),
        source_addr: r.get(14),
    }
}

const TOKEN_COLUMNS: &str = "id, name, role, clusters, topics, consumer_groups, created_by, created_ms, expires_ms, revoked_ms, last_used_ms";

fn token_row(r: sqlx::sqlite::SqliteRow) -> TokenRow {
    TokenRow {
        id: r.get(0),
        name: r.get(1),
        role: r.get(2),
        clusters: json_list(r.get(3)),
        topics: r.get(4),
        consumer_groups: r.get(5),
        created_by: r.get(6),
        created_ms: r.get(7),
        expires_ms: r.get(8),
        revoked_ms: r.get(9),
        last_used_ms: r.get(10),
    }
}

impl Store {
    pub async fn create_session(&self, s: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&s.id_hash)
        .bind(&s.kind)
        .bind(&s.subject)
        .bind(&s.display)
        .bind(&s.email)
        .bind(serde_json::to_string(&s.groups).unwrap_or_default())
        .bind(serde_json::to_string(&s.roles).unwrap_or_default())
        .bind(&s.csrf)
        .bind(s.created_ms)
        .bind(s.last_seen_ms)
        .bind(s.expires_ms)
        .bind(&s.refresh_token)
        .bind(&s.id_token)
        .bind(s.identity_until_ms)
        .bind(&s.source_addr)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A live session: not revoked, not past its absolute end, seen within `idle_ms`.
    pub async fn live_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions
             WHERE id_hash = ? AND revoked_ms IS NULL AND expires_ms > ? AND last_seen_ms > ?"
        ))
        .bind(id_hash)
        .bind(now)
        .bind(now - idle_ms)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.map(session_row))
    }

    /// Mark a session used now (throttled by the caller).
    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_ms = ? WHERE id_hash = ?")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// A refreshed OIDC identity: new groups, tokens and refresh deadline.
    pub async fn refresh_session(
        &self,
        id_hash: &str,
        groups: &[String],
        refresh_token: Option<&str>,
        id_token: Option<&str>,
        identity_until_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET groups = ?, refresh_token = COALESCE(?, refresh_token),
             id_token = COALESCE(?, id_token), identity_until_ms = ? WHERE id_hash = ?",
        )
        .bind(serde_json::to_string(groups).unwrap_or_default())
        .bind(refresh_token)
        .bind(id_token)
        .bind(identity_until_ms)
        .bind(id_hash)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// End a session (logout, failed refresh); its row stays for the record.
    pub async fn revoke_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_ms = ? WHERE id_hash = ? AND revoked_ms IS NULL")
            .bind(now)
            .bind(id_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Forget sessions that ended more than a day ago.
    pub async fn prune_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let day = 86_400_000;
        Ok(sqlx::query(
            "DELETE FROM sessions WHERE expires_ms < ? OR (revoked_ms IS NOT NULL AND revoked_ms < ?)",
        )
        .bind(now - day)
        .bind(now - day)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Store a new token (its hash) with its audit row; fails when a live token has the name.
    pub async fn create_token(
        &self,
        t: &TokenRow,
        token_hash: &str,
        audit: &AuditEntry,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, role, clusters, topics, consumer_groups, created_by, created_ms, expires_ms)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(&t.name)
        .bind(token_hash)
        .bind(&t.role)
        .bind(serde_json::to_string(&t.clusters).unwrap_or_default())
        .bind(&t.topics)
        .bind(&t.consumer_groups)
        .bind(&t.created_by)
        .bind(t.created_ms)
        .bind(t.expires_ms)
        .fetch_one(&mut *tx)
        .await?
        .get(0);
        insert_audit(&mut tx, audit, &t.name).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The live token with this hash (not revoked, not expired).
    pub async fn token_by_hash(
        &self,
        hash: &str,
        now: i64,
    ) -> Result<Option<TokenRow>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens
             WHERE token_hash = ? AND revoked_ms IS NULL AND (expires_ms IS NULL OR expires_ms > ?)"
        ))
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        Ok(r.map(token_row))
    }

    pub async fn token_used(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_ms = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Every token, newest first (revoked and expired ones too, for the record).
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(token_row).collect())
    }

    /// Revoke a token with its audit row; false when there is no live token with this id.
    pub async fn revoke_token(
        &self,
        id: i64,
        now: i64,
        audit: &AuditEntry,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.pool().begin().await?;
        let name: Option<String> = sqlx::query(
            "UPDATE api_tokens SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL RETURNING name",
        )
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.get(0));
        if let Some(n) = &name {
            insert_audit(&mut tx, audit, n).await?;
        }
        tx.commit().await?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
            .await
            .unwrap();
        (dir, s)
    }

    fn session(hash: &str, now: i64) -> SessionRow {
        SessionRow {
            id_hash: hash.into(),
            kind: "local".into(),
            subject: "ann".into(),
            display: "Ann".into(),
            email: None,
            groups: vec!["g".into()],
            roles: vec!["viewer".into()],
            csrf: "c".into(),
            created_ms: now,
            last_seen_ms: now,
            expires_ms: now + 10_000,
            refresh_token: None,
            id_token: None,
            identity_until_ms: None,
            source_addr: None,
        }
    }

    #[tokio::test]
    async fn sessions_end_when_idle_past_their_end_or_revoked() {
        let (_d, s) = store().await;
        s.create_session(&session("h", 1_000)).await.unwrap();
        let live = s.live_session("h", 2_000, 5_000).await.unwrap().unwrap();
        assert_eq!(
            (live.groups, live.roles),
            (vec!["g".to_string()], vec!["viewer".to_string()])
        );
        assert!(
            s.live_session("h", 7_000, 5_000).await.unwrap().is_none(),
            "idle"
        );
        s.touch_session("h", 6_500).await.unwrap();
        assert!(
            s.live_session("h", 7_000, 5_000).await.unwrap().is_some(),
            "seen again"
        );
        assert!(
            s.live_session("h", 11_000, 60_000).await.unwrap().is_none(),
            "absolute end"
        );
        s.revoke_session("h", 8_000).await.unwrap();
        assert!(
            s.live_session("h", 8_001, 60_000).await.unwrap().is_none(),
            "revoked"
        );
        assert!(s
            .live_session("other", 2_000, 5_000)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn tokens_are_found_by_hash_until_revoked_or_expired_and_names_reusable_after() {
        let (_d, s) = store().await;
        let t = TokenRow {
            id: 0,
            name: "ci".into(),
            role: "viewer".into(),
            clusters: vec!["prod".into()],
            topics: Some("^a".into()),
            consumer_groups: None,
            created_by: "admin".into(),
            created_ms: 1,
            expires_ms: Some(100),
            revoked_ms: None,
            last_used_ms: None,
        };
        let audit = AuditEntry::default();
        let id = s.create_token(&t, "hash1", &audit).await.unwrap();
        assert!(
            s.create_token(&t, "hash2", &audit).await.is_err(),
            "a live name is unique"
        );
        let found = s.token_by_hash("hash1", 50).await.unwrap().unwrap();
        assert_eq!(
            (found.clusters, found.topics),
            (vec!["prod".to_string()], Some("^a".to_string()))
        );
        assert!(
            s.token_by_hash("hash1", 100).await.unwrap().is_none(),
            "expired"
        );
        assert_eq!(
            s.revoke_token(id, 60, &audit).await.unwrap().as_deref(),
            Some("ci")
        );
        assert!(
            s.token_by_hash("hash1", 61).await.unwrap().is_none(),
            "revoked"
        );
        assert_eq!(s.revoke_token(id, 62, &audit).await.unwrap(), None);
        s.create_token(&t, "hash3", &audit).await.unwrap();
        assert_eq!(s.tokens().await.unwrap().len(), 2);
    }
}
