//! Identity and access: who is signed in, what they may do, API tokens, the audit log.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/me`: the principal of this request and what the console offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// Someone is signed in (a user, a proxy user or a token), not anonymous.
    pub authenticated: bool,
    /// `user`, `token`, `proxy`, `anonymous`, `embed`.
    pub kind: String,
    pub id: String,
    pub display: String,
    /// Role bindings as text: `operator (clusters prod, topics /^payments\./)`.
    pub roles: Vec<String>,
    /// Permissions that hold everywhere (not scoped).
    pub permissions: Vec<String>,
    /// Permissions per configured cluster (scoped bindings count in their clusters;
    /// read-only clusters never list changes to Kafka).
    pub cluster_permissions: std::collections::BTreeMap<String, Vec<String>>,
    /// For cookie sessions: the token every change must carry in `X-CSRF-Token`.
    pub csrf_token: Option<String>,
    pub auth: AuthInfo,
}

/// How one signs in here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthInfo {
    /// Sign-in is configured (OIDC, proxy or local users).
    pub enabled: bool,
    /// Local user names and passwords are accepted.
    pub local_users: bool,
    /// The OpenID Connect button's text, when configured.
    pub oidc_label: Option<String>,
    /// Identities come from a proxy in front of the console.
    pub proxy: bool,
    /// A warning the UI shows on every page (running open on a shared address).
    pub banner: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/auth/logout` → where to go next (the provider's logout page for OIDC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogoutResult {
    pub redirect: Option<String>,
}

/// `GET /api/v1/tokens`: an API token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenItem {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub clusters: Vec<String>,
    pub topics: Option<String>,
    pub consumer_groups: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// `active`, `expired` or `revoked`.
    pub state: String,
}

/// `POST /api/v1/tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub name: String,
    pub role: String,
    /// How long it lives (`30d`, `12h`); at most a year. Or `expires_at`.
    #[serde(default)]
    pub expires_in: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub clusters: Vec<String>,
    #[serde(default)]
    pub topics: Option<String>,
    #[serde(default)]
    pub consumer_groups: Option<String>,
}

/// The answer to a new token: the token is shown this once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: String,
    pub item: TokenItem,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("item", &self.item)
            .finish_non_exhaustive()
    }
}

/// `GET /api/v1/auth/roles`: roles and their permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleItem {
    pub name: String,
    pub permissions: Vec<String>,
    pub builtin: bool,
}
