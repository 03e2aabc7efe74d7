//! The routes of identity: who am I, sign in and out (local users, OpenID Connect), API
//! tokens, roles, and the audit log with its filters and export.

use std::collections::BTreeMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use kafscope_api::{
    AuditItem, AuthInfo, CreatedToken, LoginRequest, LogoutResult, Me, NewToken, Page, RoleItem,
    TokenItem,
};
use serde::Deserialize;

use super::access::{
    builtin_roles, permissions_in, Permission, Principal, PrincipalKind, Resource,
};
use super::{audit_entry, digest, random_secret, COOKIE, TOKEN_PREFIX};
use crate::collect::now_ms;
use crate::http::error::ApiError;
use crate::http::state::{rfc3339, AppState};
use crate::store::audit::{AuditFilter, AuditRow};
use crate::store::auth::{SessionRow, TokenRow};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(roles))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(audit))
        .routes(routes!(audit_export))
}

/// Routes the browser is sent to (outside `/api/v1`, under the base path).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(oidc_login))
        .routes(routes!(oidc_callback))
}

fn internal(e: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(e.into())
}

#[utoipa::path(
    get,
    path = "/me",
    operation_id = "me",
    tag = "identity",
    responses((status = 200, description = "OK", body = Me))
)]
async fn me(State(st): State<AppState>, p: Principal, headers: HeaderMap) -> Json<Me> {
    let cfg = &st.auth.cfg;
    let banner = if cfg.explicitly_open {
        Some("This console runs without sign-in (auth.mode = \"none\"): anyone who can reach it can do what the anonymous role allows.".to_string())
    } else {
        None
    };
    let everywhere = permissions_in(&p, None, false)
        .into_iter()
        .filter(|perm| {
            p.bindings.iter().any(|b| {
                b.role.permissions.contains(perm)
                    && b.scope.clusters.is_empty()
                    && b.scope.topics.is_none()
                    && b.scope.groups.is_none()
            })
        })
        .map(|p| p.as_str().to_string())
        .collect();
    let cluster_permissions: BTreeMap<String, Vec<String>> = st
        .clusters
        .iter()
        .map(|(name, rx)| {
            let ro = rx.borrow().read_only;
            (
                name.clone(),
                permissions_in(&p, Some(name), ro)
                    .into_iter()
                    .map(|p| p.as_str().to_string())
                    .collect(),
            )
        })
        .collect();
    let _ = headers;
    Json(Me {
        authenticated: p.kind != PrincipalKind::Anonymous,
        kind: p.kind.as_str().into(),
        id: p.id.clone(),
        display: p.display.clone(),
        roles: p.role_names(),
        permissions: everywhere,
        cluster_permissions,
        csrf_token: p.session.as_ref().map(|s| s.csrf.clone()),
        auth: AuthInfo {
            enabled: cfg.enabled,
            local_users: !cfg.users.is_empty(),
            oidc_label: st.auth.oidc.as_ref().map(|o| o.label().to_string()),
            proxy: cfg.proxy.is_some(),
            banner,
        },
    })
}

/// Whether the request reached the console over HTTPS (directly configured, or as a
/// proxy in front says).
fn https(st: &AppState, headers: &HeaderMap) -> bool {
    st.auth
        .cfg
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

fn cookie_path(st: &AppState) -> String {
    if st.auth.base_path.is_empty() {
        "/".into()
    } else {
        st.auth.base_path.clone()
    }
}

/// The session cookie: signed by being random and looked up server-side, `HttpOnly`,
/// `SameSite=Lax`, `Secure` over HTTPS.
fn session_cookie(st: &AppState, headers: &HeaderMap, value: &str, max_age_s: u64) -> HeaderValue {
    let secure = if https(st, headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path={}; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}",
        cookie_path(st)
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Create a session and the `Set-Cookie` that carries it.
async fn start_session(
    st: &AppState,
    headers: &HeaderMap,
    mut row: SessionRow,
) -> Result<HeaderValue, ApiError> {
    let value = random_secret();
    let now = now_ms();
    row.id_hash = digest(&value);
    row.csrf = random_secret();
    row.created_ms = now;
    row.last_seen_ms = now;
    row.expires_ms = now + st.auth.cfg.session_max.as_millis() as i64;
    st.store.create_session(&row).await.map_err(internal)?;
    Ok(session_cookie(
        st,
        headers,
        &value,
        st.auth.cfg.session_max.as_secs(),
    ))
}

#[derive(Deserialize)]
struct NoBody {}

#[utoipa::path(
    post,
    path = "/auth/login",
    operation_id = "login",
    tag = "identity",
    request_body = LoginRequest,
    responses((status = 204, description = "Signed in: the session cookie is set", headers(("set-cookie" = String, description = "kafscope_session"))))
)]
async fn login(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let req = crate::http::alert_actions::json_body(body)?;
    let cfg = &st.auth.cfg;
    if cfg.users.is_empty() {
        return Err(ApiError::BadRequest(
            "no local users are configured here ([[auth.users]])".into(),
        ));
    }
    if req.username.len() > 256 {
        return Err(ApiError::BadRequest(
            "a user name is at most 256 bytes".into(),
        ));
    }
    let now = now_ms();
    let addr = p.source_addr;
    if let Err(wait) = st.auth.limiter.check(&req.username, addr, now) {
        return Err(ApiError::TooManyRequests(format!(
            "too many failed sign-ins for '{}' from this address: try again in {wait} s",
            req.username
        )));
    }
    let user = cfg.users.iter().find(|u| u.name == req.username).cloned();
    // Verify against a fixed hash for unknown users, so timing does not tell who exists.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        st.auth.limiter.failed(&req.username, addr, now);
        let mut e = audit_entry(&p, "auth.login", None);
        e.actor = req.username.chars().take(100).collect();
        e.actor_kind = "user".into();
        e.outcome = "refused".into();
        e.detail = serde_json::json!({"reason": "wrong user name or password"}).to_string();
        let _ = st.store.audit(&e, "local").await;
        return Err(ApiError::Unauthorized("wrong user name or password".into()));
    };
    st.auth.limiter.succeeded(&user.name, addr);
    let cookie = start_session(
        &st,
        &headers,
        SessionRow {
            id_hash: String::new(),
            kind: "local".into(),
            subject: user.name.clone(),
            display: user.display_name.clone(),
            email: None,
            groups: user.groups.clone(),
            roles: user.roles.clone(),
            csrf: String::new(),
            created_ms: 0,
            last_seen_ms: 0,
            expires_ms: 0,
            refresh_token: None,
            id_token: None,
            identity_until_ms: None,
            source_addr: addr.map(|a| a.to_string()),
        },
    )
    .await?;
    let mut e = audit_entry(&p, "auth.login", None);
    e.actor = user.display_name.clone();
    e.actor_kind = "user".into();
    e.detail = serde_json::json!({"method": "local"}).to_string();
    let _ = st.store.audit(&e, &user.name).await;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// An argon2 hash of a password nobody has, for unknown users.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$a2Fmc2NvcGUtZHVtbXk$2F3o2M1sN0H6y1o4mQk8z8Vv0w3lq0k9qS3e1mJ8p0Y";

pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::{Argon2, PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An argon2id hash of a password (`kafscope hash-password`).
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::SaltString;
    use argon2::{Argon2, PasswordHasher};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[utoipa::path(
    post,
    path = "/auth/logout",
    operation_id = "logout",
    tag = "identity",
    responses((status = 200, description = "OK", body = LogoutResult))
)]
async fn logout(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    _body: Option<Json<NoBody>>,
) -> Result<Response, ApiError> {
    let now = now_ms();
    let mut redirect = None;
    if let Some(s) = &p.session {
        let row = st
            .store
            .live_session(&s.id_hash, now, i64::MAX / 2)
            .await
            .map_err(internal)?;
        st.store
            .revoke_session(&s.id_hash, now)
            .await
            .map_err(internal)?;
        if let (Some(oidc), Some(row)) = (&st.auth.oidc, row) {
            if let Some(t) = &row.id_token {
                redirect = oidc.logout_url(t, &home_url(&st, &headers)).await;
            }
        }
        let _ = st
            .store
            .audit(&audit_entry(&p, "auth.logout", None), &p.id)
            .await;
    }
    let mut resp = Json(LogoutResult { redirect }).into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie(&st, &headers, "", 0));
    Ok(resp)
}

/// The console's external URL (its base path), from `auth.public_url` or the request.
fn home_url(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &st.auth.cfg.public_url {
        return format!("{u}/");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if https(st, headers) { "https" } else { "http" };
    format!("{scheme}://{host}{}/", st.auth.base_path)
}

/// The OIDC redirect URI registered with the provider.
pub(super) fn callback_url(st: &AppState, headers: Option<&HeaderMap>) -> String {
    let home = match headers {
        Some(h) => home_url(st, h),
        None => st
            .auth
            .cfg
            .public_url
            .clone()
            .map(|u| format!("{u}/"))
            .unwrap_or_else(|| "http://localhost/".into()),
    };
    format!("{home}auth/oidc/callback")
}

/// A path inside the console to return to after signing in (never another site).
fn local_path(st: &AppState, p: Option<&str>) -> String {
    let base = if st.auth.base_path.is_empty() {
        "/"
    } else {
        &st.auth.base_path
    };
    match p {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => base.to_string(),
    }
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize)]
struct OidcLoginQuery {
    return_to: Option<String>,
}

#[utoipa::path(
    get,
    path = "/auth/oidc/login",
    operation_id = "oidc_login",
    tag = "identity",
    params(OidcLoginQuery),
    responses((status = 303, description = "To the identity provider"))
)]
async fn oidc_login(
    State(st): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<OidcLoginQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let oidc = st.auth.oidc.as_ref().ok_or_else(|| {
        ApiError::NotFound("OpenID Connect is not configured ([auth.oidc])".into())
    })?;
    let url = oidc
        .start(
            &callback_url(&st, Some(&headers)),
            &local_path(&st, q.return_to.as_deref()),
        )
        .await
        .map_err(ApiError::Unavailable)?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[utoipa::path(
    get,
    path = "/auth/oidc/callback",
    operation_id = "oidc_callback",
    tag = "identity",
    params(CallbackQuery),
    responses((status = 303, description = "Signed in: back to the console with the session cookie set"))
)]
async fn oidc_callback(
    State(st): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    q: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q?;
    let oidc = st.auth.oidc.as_ref().ok_or_else(|| {
        ApiError::NotFound("OpenID Connect is not configured ([auth.oidc])".into())
    })?;
    if let Some(e) = q.error {
        return Err(ApiError::Unauthorized(format!(
            "the provider did not sign you in: {e}{}",
            q.error_description
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )));
    }
    let (Some(code), Some(state)) = (q.code, q.state) else {
        return Err(ApiError::BadRequest(
            "the callback needs code and state".into(),
        ));
    };
    let (id, return_to) = oidc
        .finish(&state, &code)
        .await
        .map_err(ApiError::Unauthorized)?;
    let cookie = start_session(
        &st,
        &headers,
        SessionRow {
            id_hash: String::new(),
            kind: "oidc".into(),
            subject: id.subject.clone(),
            display: id.display.clone(),
            email: id.email.clone(),
            groups: id.groups.clone(),
            roles: Vec::new(),
            csrf: String::new(),
            created_ms: 0,
            last_seen_ms: 0,
            expires_ms: 0,
            refresh_token: id.refresh_token.clone(),
            id_token: Some(id.id_token.clone()),
            identity_until_ms: Some(id.valid_until_ms),
            source_addr: p.source_addr.map(|a| a.to_string()),
        },
    )
    .await?;
    let mut e = audit_entry(&p, "auth.login", None);
    e.actor = id.display.clone();
    e.actor_kind = "user".into();
    e.detail = serde_json::json!({"method": "oidc", "groups": id.groups}).to_string();
    let _ = st.store.audit(&e, &id.subject).await;
    let mut resp = Redirect::to(&return_to).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

#[utoipa::path(
    get,
    path = "/auth/roles",
    operation_id = "list_roles",
    tag = "identity",
    responses((status = 200, description = "OK", body = Vec<RoleItem>))
)]
async fn roles(State(st): State<AppState>, p: Principal) -> Result<Json<Vec<RoleItem>>, ApiError> {
    // Anyone signed in may read the role table (it is configuration, not data).
    st.allow_somewhere(&p)?;
    let builtin: Vec<String> = builtin_roles().into_iter().map(|r| r.name).collect();
    Ok(Json(
        st.auth
            .cfg
            .roles
            .iter()
            .map(|r| RoleItem {
                name: r.name.clone(),
                permissions: r.permissions.iter().map(|p| p.as_str().into()).collect(),
                builtin: builtin.contains(&r.name),
            })
            .collect(),
    ))
}

fn token_item(t: &TokenRow, now: i64) -> TokenItem {
    let state = if t.revoked_ms.is_some() {
        "revoked"
    } else if t.expires_ms.is_some_and(|e| e <= now) {
        "expired"
    } else {
        "active"
    };
    TokenItem {
        id: t.id,
        name: t.name.clone(),
        role: t.role.clone(),
        clusters: t.clusters.clone(),
        topics: t.topics.clone(),
        consumer_groups: t.consumer_groups.clone(),
        created_by: t.created_by.clone(),
        created_at: rfc3339(t.created_ms),
        expires_at: t.expires_ms.map(rfc3339),
        revoked_at: t.revoked_ms.map(rfc3339),
        last_used_at: t.last_used_ms.map(rfc3339),
        state: state.into(),
    }
}

#[utoipa::path(
    get,
    path = "/tokens",
    operation_id = "list_tokens",
    tag = "identity",
    responses((status = 200, description = "OK", body = Page<TokenItem>))
)]
async fn list_tokens(
    State(st): State<AppState>,
    p: Principal,
) -> Result<Json<Page<TokenItem>>, ApiError> {
    st.allow(&p, Permission::Admin, &Resource::global())?;
    let now = now_ms();
    let items: Vec<TokenItem> = st
        .store
        .tokens()
        .await
        .map_err(internal)?
        .iter()
        .map(|t| token_item(t, now))
        .collect();
    Ok(Json(Page {
        total: items.len(),
        items,
    }))
}

/// Tokens live at most this long.
const MAX_TOKEN_LIFE_MS: i64 = 366 * 86_400_000;

#[utoipa::path(
    post,
    path = "/tokens",
    operation_id = "create_token",
    tag = "identity",
    request_body = NewToken,
    responses((status = 201, description = "Created; the secret is shown this once", body = CreatedToken))
)]
async fn create_token(
    State(st): State<AppState>,
    p: Principal,
    body: Result<Json<NewToken>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    st.allow_change(
        &p,
        Permission::Admin,
        &Resource::global(),
        "token.create",
        "",
    )
    .await?;
    let req = crate::http::alert_actions::json_body(body)?;
    let name = req.name.trim();
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(ApiError::BadRequest(
            "a token's name is 1–100 letters, digits, '-', '_', '.' or '@'".into(),
        ));
    }
    if st.auth.cfg.role(&req.role).is_none() {
        return Err(ApiError::BadRequest(format!(
            "'{}' is not a role ({})",
            req.role,
            st.auth
                .cfg
                .roles
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for (what, re) in [
        ("topics", &req.topics),
        ("consumer_groups", &req.consumer_groups),
    ] {
        if let Some(r) = re {
            regex::Regex::new(r).map_err(|e| {
                ApiError::BadRequest(format!("{what} is not a valid regular expression: {e}"))
            })?;
        }
    }
    for c in &req.clusters {
        st.cluster(c)?;
    }
    let now = now_ms();
    let expires_ms = match (&req.expires_in, &req.expires_at) {
        (Some(d), _) => {
            let d = humantime::parse_duration(d).map_err(|_| {
                ApiError::BadRequest(format!(
                    "expires_in '{d}' is not a duration like 30d or 12h"
                ))
            })?;
            let later = i64::try_from(d.as_millis())
                .ok()
                .and_then(|ms| now.checked_add(ms))
                .ok_or_else(|| {
                    ApiError::BadRequest(format!("expires_in '{d:?}' is too far ahead"))
                })?;
            Some(later)
        }
        (None, Some(t)) => Some(crate::http::history::parse_time("expires_at", t)?),
        (None, None) => {
            return Err(ApiError::BadRequest(
                "a token needs an expiry: expires_in (\"90d\") or expires_at".into(),
            ))
        }
    };
    if let Some(e) = expires_ms {
        if e <= now || e - now > MAX_TOKEN_LIFE_MS {
            return Err(ApiError::BadRequest(
                "a token expires in the future, within a year".into(),
            ));
        }
    }
    let token = format!("{TOKEN_PREFIX}{}", random_secret());
    let row = TokenRow {
        id: 0,
        name: name.to_string(),
        role: req.role.clone(),
        clusters: req.clusters.clone(),
        topics: req.topics.clone().filter(|s| !s.is_empty()),
        consumer_groups: req.consumer_groups.clone().filter(|s| !s.is_empty()),
        created_by: p.actor(),
        created_ms: now,
        expires_ms,
        revoked_ms: None,
        last_used_ms: None,
    };
    let mut audit = audit_entry(&p, "token.create", None);
    audit.detail = serde_json::json!({
        "role": row.role, "clusters": row.clusters, "topics": row.topics,
        "consumer_groups": row.consumer_groups, "expires_at": expires_ms.map(rfc3339),
    })
    .to_string();
    let id = st
        .store
        .create_token(&row, &digest(&token), &audit)
        .await
        .map_err(|e| {
            if e.to_string().contains("UNIQUE") {
                ApiError::BadRequest(format!("a live token is already named '{name}'"))
            } else {
                internal(e)
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            token,
            item: token_item(&TokenRow { id, ..row }, now),
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/tokens/{id}",
    operation_id = "revoke_token",
    tag = "identity",
    params(("id" = i64, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"))
)]
async fn revoke_token(
    State(st): State<AppState>,
    p: Principal,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = path?;
    st.allow_change(
        &p,
        Permission::Admin,
        &Resource::global(),
        "token.revoke",
        &id,
    )
    .await?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("token id '{id}' is not a number")))?;
    let audit = audit_entry(&p, "token.revoke", None);
    match st
        .store
        .revoke_token(id, now_ms(), &audit)
        .await
        .map_err(internal)?
    {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound(format!("no live token has id {id}"))),
    }
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    cluster: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before_id: Option<i64>,
    limit: Option<i64>,
    format: Option<String>,
}

fn audit_item(r: AuditRow) -> AuditItem {
    AuditItem {
        id: r.id,
        at: rfc3339(r.at_ms),
        actor: r.actor,
        actor_kind: r.actor_kind,
        source_addr: r.source_addr,
        action: r.action,
        cluster: r.cluster,
        target: r.target,
        outcome: r.outcome,
        detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
    }
}

/// Audit rows this principal may read: every row for an admin; otherwise rows of the
/// clusters it may view.
async fn audit_rows(
    st: &AppState,
    p: &Principal,
    q: &AuditQuery,
    max: i64,
) -> Result<Vec<AuditRow>, ApiError> {
    let admin = st.may(p, Permission::Admin, &Resource::global());
    if !admin {
        let any = st
            .clusters
            .iter()
            .any(|(c, _)| st.may(p, Permission::View, &Resource::cluster(c, false)));
        if !any {
            st.allow(p, Permission::Admin, &Resource::global())?;
        }
    }
    let time = |v: &Option<String>, k: &str| {
        v.as_deref()
            .map(|t| crate::http::history::parse_time(k, t))
            .transpose()
    };
    if let Some(o) = &q.outcome {
        if !["done", "refused", "failed"].contains(&o.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "outcome '{o}' is not done, refused or failed"
            )));
        }
    }
    let f = AuditFilter {
        actor: q.actor.clone().filter(|s| !s.is_empty()),
        action: q.action.clone().filter(|s| !s.is_empty()),
        cluster: q.cluster.clone().filter(|s| !s.is_empty()),
        outcome: q.outcome.clone().filter(|s| !s.is_empty()),
        from_ms: time(&q.from, "from")?,
        to_ms: time(&q.to, "to")?,
        before_id: q.before_id,
        limit: q.limit.unwrap_or(100).clamp(1, max),
    };
    let rows = st.store.audit_log(&f).await.map_err(internal)?;
    Ok(rows
        .into_iter()
        .filter(|r| admin || row_visible(st, p, r))
        .collect())
}

/// A non-admin sees a row of a cluster it may view; a message row (whose detail may show the
/// record's key) only with `messages.read` on that topic.
fn row_visible(st: &AppState, p: &Principal, r: &crate::store::audit::AuditRow) -> bool {
    let Some(c) = r.cluster.as_deref() else {
        return false;
    };
    let cluster = Resource::cluster(c, false);
    if r.action.starts_with("message.") {
        let topic = r.target.strip_prefix(c).and_then(|t| t.strip_prefix('/'));
        return topic.is_some_and(|t| st.may(p, Permission::MessagesRead, &cluster.topic(t)));
    }
    st.may(p, Permission::View, &cluster)
}

#[utoipa::path(
    get,
    path = "/audit",
    operation_id = "audit_log",
    tag = "identity",
    params(AuditQuery),
    responses((status = 200, description = "OK", body = Page<AuditItem>))
)]
async fn audit(
    State(st): State<AppState>,
    p: Principal,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Page<AuditItem>>, ApiError> {
    let Query(q) = q?;
    let rows = audit_rows(&st, &p, &q, 1000).await?;
    let items: Vec<AuditItem> = rows.into_iter().map(audit_item).collect();
    Ok(Json(Page {
        total: items.len(),
        items,
    }))
}

/// The audit log as CSV or JSON lines (at most 10 000 rows per export, newest first).
#[utoipa::path(
    get,
    path = "/audit/export",
    operation_id = "export_audit_log",
    tag = "identity",
    params(AuditQuery),
    responses((status = 200, description = "The audit rows as CSV (default) or JSON lines, as a download", content((String = "text/csv"), (String = "application/x-ndjson"))))
)]
async fn audit_export(
    State(st): State<AppState>,
    p: Principal,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(mut q) = q?;
    let format = q.format.take().unwrap_or_else(|| "csv".into());
    q.limit = Some(q.limit.unwrap_or(10_000));
    let rows = audit_rows(&st, &p, &q, 10_000).await?;
    let (body, ctype, ext) = match format.as_str() {
        "jsonl" => {
            let mut out = String::new();
            for r in rows {
                out.push_str(&serde_json::to_string(&audit_item(r)).unwrap_or_default());
                out.push('\n');
            }
            (out, "application/x-ndjson", "jsonl")
        }
        "csv" => {
            let mut out = String::from(
                "id,at,actor,actor_kind,source_addr,action,cluster,target,outcome,detail\n",
            );
            for r in rows {
                let cells = [
                    r.id.to_string(),
                    rfc3339(r.at_ms),
                    r.actor,
                    r.actor_kind,
                    r.source_addr.unwrap_or_default(),
                    r.action,
                    r.cluster.unwrap_or_default(),
                    r.target,
                    r.outcome,
                    r.detail,
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
            (out, "text/csv; charset=utf-8", "csv")
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "format '{other}' is not csv or jsonl"
            )))
        }
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"kafscope-audit.{ext}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// A CSV cell: quoted, and defused when a spreadsheet would run it as a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("anything", DUMMY_HASH));
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_cell("=1+1"), "\"'=1+1\"");
    }
}
