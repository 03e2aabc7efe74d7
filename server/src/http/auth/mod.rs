//! Authentication and authorisation (DESIGN.md §7). One layer resolves every request to one
//! [`Principal`] before any handler runs — an `Authorization: Bearer` API token (or the
//! bootstrap `server.admin_token`), a session cookie (a local user or OpenID Connect), a
//! trusted proxy's headers, or nobody — and checks the CSRF rules of changes. Handlers take
//! the principal as an extractor and call [`AppState::allow`] (or
//! [`AppState::allow_change`], which also audits a refusal) before any work.

pub mod access;
pub mod config;
pub mod limiter;
pub mod oidc;
mod routes;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use sha2::{Digest, Sha256};

pub use access::{allow, Denied, Permission, Principal, PrincipalKind, Resource};
use access::{Binding, Role, Scope, SessionRef};
pub use config::AuthConfig;
pub use routes::{hash_password, public_router, router, verify_password};

use super::error::ApiError;
use super::state::AppState;
use crate::collect::now_ms;
use crate::config::Secret;
use crate::store::auth::SessionRow;
use crate::store::Store;

/// The session cookie's name.
pub const COOKIE: &str = "kafscope_session";
/// The header a cookie-authenticated change carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// API tokens start with this, so they are recognisable in a leak scanner.
pub const TOKEN_PREFIX: &str = "ksc_";

/// What the authentication layer knows and keeps.
pub struct Authenticator {
    pub cfg: AuthConfig,
    pub admin_token: Option<Secret>,
    pub base_path: String,
    pub oidc: Option<oidc::Oidc>,
    pub limiter: limiter::LoginLimiter,
    /// Proxy identity headers seen from addresses that are not trusted (ignored).
    pub untrusted_proxy_headers: AtomicU64,
    /// One OIDC refresh at a time (providers rotate refresh tokens).
    refreshing: tokio::sync::Mutex<()>,
}

impl Authenticator {
    pub fn new(cfg: AuthConfig, admin_token: Option<Secret>, base_path: &str) -> Authenticator {
        Authenticator {
            oidc: cfg.oidc.clone().map(oidc::Oidc::new),
            limiter: limiter::LoginLimiter::new(cfg.login_attempts, cfg.login_window),
            cfg,
            admin_token,
            base_path: base_path.trim_end_matches('/').to_string(),
            untrusted_proxy_headers: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn admin_role(&self) -> Role {
        self.cfg.role("admin").cloned().unwrap_or_else(|| Role {
            name: "admin".into(),
            permissions: Permission::ALL.to_vec(),
        })
    }
}

/// SHA-256 of a secret, hex: how cookie values and tokens are stored and looked up.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 32 random bytes, base64url.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    // A machine without randomness cannot mint secrets; refuse rather than weaken them.
    getrandom::fill(&mut b).expect("the operating system's random number generator");
    B64URL.encode(b)
}

/// A cookie from the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Why a request could not be authenticated at all (a bad token is an answer, not
/// "anonymous").
fn unauthorized(msg: &str) -> Response {
    ApiError::Unauthorized(msg.to_string()).into_response()
}

/// The layer: resolve the principal, apply the change rules, hand on.
pub async fn authenticate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr: Option<IpAddr> = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    // A signed embed link is the principal of the one widget or badge URL it signs.
    let path = req.uri().path();
    if path.starts_with("/embed/") || path.starts_with("/badge/") {
        let query = req.uri().query().unwrap_or_default();
        let signed = super::embed::has_signature(query);
        if signed {
            let principal = match super::embed::link_principal(&st, path, query, addr) {
                Ok(p) => p,
                Err(resp) => return *resp,
            };
            req.extensions_mut().insert(principal);
            return next.run(req).await;
        }
    }
    let principal = match resolve(&st, req.headers(), addr).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    if is_change(req.method()) {
        if let Err(e) = change_allowed(&st, &principal, req.headers()) {
            return e.into_response();
        }
    }
    req.extensions_mut().insert(principal);
    next.run(req).await
}

fn is_change(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// CSRF: a change from a browser must come from this console's own pages — its `Origin`
/// (when sent) is this host (or the configured public URL), and a cookie-authenticated one
/// carries the session's token in `X-CSRF-Token`. Bearer tokens are not sent by browsers on
/// their own, so token requests need neither.
fn change_allowed(st: &AppState, p: &Principal, headers: &HeaderMap) -> Result<(), ApiError> {
    if p.kind == PrincipalKind::Token {
        return Ok(());
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host);
        let public = st
            .auth
            .cfg
            .public_url
            .as_deref()
            .is_some_and(|u| u == origin.trim_end_matches('/'));
        if !(same || public) {
            return Err(ApiError::Forbidden(format!(
                "a change from another site ({origin}) is refused: changes come from this console's own pages or with an API token"
            )));
        }
    }
    if let Some(s) = &p.session {
        let given = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !crate::kafka::sasl::constant_time_eq(given.as_bytes(), s.csrf.as_bytes()) {
            return Err(ApiError::Forbidden(
                "this change is missing the session's X-CSRF-Token (reload the page)".into(),
            ));
        }
    }
    Ok(())
}

/// Who this request is from. `Err` is the answer to send (a bad or expired token).
async fn resolve(
    st: &AppState,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
) -> Result<Principal, Response> {
    let a = &st.auth;
    let now = now_ms();
    // 1. A bearer token: the bootstrap admin token or an API token.
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let Some(token) = auth.strip_prefix("Bearer ").map(str::trim) else {
            return Err(unauthorized(
                "the Authorization header must be `Bearer <token>`",
            ));
        };
        if let Some(admin) = &a.admin_token {
            if crate::kafka::sasl::constant_time_eq(token.as_bytes(), admin.0.as_bytes()) {
                return Ok(Principal {
                    kind: PrincipalKind::Token,
                    id: "admin_token".into(),
                    display: "admin_token".into(),
                    bindings: vec![Binding {
                        role: a.admin_role(),
                        scope: Scope::everywhere(),
                    }],
                    source_addr: addr,
                    session: None,
                });
            }
        }
        // Looked up by its hash: the comparison happens in the index, on digests.
        let row = st
            .store
            .token_by_hash(&digest(token), now)
            .await
            .map_err(|e| ApiError::Internal(e.into()).into_response())?;
        let Some(t) = row else {
            return Err(unauthorized("this token is unknown, revoked or expired"));
        };
        let _ = st.store.token_used(t.id, now).await;
        let role = a.cfg.role(&t.role).cloned().unwrap_or(Role {
            name: t.role.clone(),
            permissions: Vec::new(),
        });
        // A stored pattern that no longer compiles matches nothing (never everything).
        let regex = |s: &Option<String>| {
            s.as_deref()
                .map(|r| regex::Regex::new(r).unwrap_or_else(|_| matches_nothing()))
        };
        return Ok(Principal {
            kind: PrincipalKind::Token,
            id: format!("token:{}", t.name),
            display: t.name.clone(),
            bindings: vec![Binding {
                role,
                scope: Scope {
                    clusters: t.clusters.clone(),
                    topics: regex(&t.topics),
                    groups: regex(&t.consumer_groups),
                },
            }],
            source_addr: addr,
            session: None,
        });
    }
    // 2. A session cookie.
    if let Some(value) = cookie(headers, COOKIE) {
        if let Some(p) = session_principal(st, value, addr, now).await? {
            return Ok(p);
        }
    }
    // 3. A trusted proxy's headers.
    if let Some(proxy) = &a.cfg.proxy {
        let user = headers
            .get(proxy.user_header.as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if let Some(user) = user {
            let trusted = addr.is_some_and(|ip| proxy.trusted.iter().any(|c| c.contains(ip)));
            if trusted {
                let email = headers
                    .get(proxy.email_header.as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(str::trim)
                    .filter(|e| !e.is_empty());
                let groups: Vec<String> = headers
                    .get(proxy.groups_header.as_str())
                    .and_then(|v| v.to_str().ok())
                    .map(|g| {
                        g.split(proxy.groups_separator.as_str())
                            .map(str::trim)
                            .filter(|g| !g.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                let mut ids = vec![user];
                ids.extend(email);
                return Ok(Principal {
                    kind: PrincipalKind::Proxy,
                    id: user.to_string(),
                    display: user.chars().take(100).collect(),
                    bindings: a.cfg.bindings_for(&ids, &groups, &[]),
                    source_addr: addr,
                    session: None,
                });
            }
            a.untrusted_proxy_headers.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(?addr, "identity headers from an untrusted address ignored");
        }
    } else if headers.contains_key("x-kafscope-user") {
        a.untrusted_proxy_headers.fetch_add(1, Ordering::Relaxed);
    }
    // 4. Nobody.
    Ok(Principal::anonymous(a.cfg.anonymous.clone(), addr))
}

/// The session a cookie names, if it is live; an OIDC identity past its validity is
/// refreshed (or the session ends).
async fn session_principal(
    st: &AppState,
    value: &str,
    addr: Option<IpAddr>,
    now: i64,
) -> Result<Option<Principal>, Response> {
    let a = &st.auth;
    let hash = digest(value);
    let idle = a.cfg.session_idle.as_millis() as i64;
    let internal = |e: crate::store::StoreError| ApiError::Internal(e.into()).into_response();
    let Some(mut s) = st
        .store
        .live_session(&hash, now, idle)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    if s.kind == "oidc" && s.identity_until_ms.is_some_and(|t| t <= now) {
        s = match refresh(st, s, now).await {
            Some(s) => s,
            None => return Ok(None),
        };
    }
    // Seen at most once a minute, so reads do not all become writes.
    if now - s.last_seen_ms > 60_000 {
        let _ = st.store.touch_session(&hash, now).await;
    }
    Ok(Some(session_to_principal(&a.cfg, &s, addr)))
}

async fn refresh(st: &AppState, s: SessionRow, now: i64) -> Option<SessionRow> {
    let a = &st.auth;
    let _one = a.refreshing.lock().await;
    // Another request may have refreshed it while this one waited.
    let idle = a.cfg.session_idle.as_millis() as i64;
    let fresh = st.store.live_session(&s.id_hash, now, idle).await.ok()??;
    if fresh.identity_until_ms.is_some_and(|t| t > now) {
        return Some(fresh);
    }
    let (Some(oidc), Some(rt)) = (&a.oidc, &fresh.refresh_token) else {
        let _ = st.store.revoke_session(&fresh.id_hash, now).await;
        return None;
    };
    let redirect = routes::callback_url(st, None);
    match oidc.refresh(&redirect, rt).await {
        Ok(id) => {
            let _ = st
                .store
                .refresh_session(
                    &fresh.id_hash,
                    &id.groups,
                    id.refresh_token.as_deref(),
                    Some(&id.id_token),
                    id.valid_until_ms,
                )
                .await;
            Some(SessionRow {
                groups: id.groups,
                identity_until_ms: Some(id.valid_until_ms),
                ..fresh
            })
        }
        Err(e) => {
            tracing::info!(user = %fresh.display, error = %e, "session ended: the identity could not be refreshed");
            let _ = st.store.revoke_session(&fresh.id_hash, now).await;
            None
        }
    }
}

fn session_to_principal(cfg: &AuthConfig, s: &SessionRow, addr: Option<IpAddr>) -> Principal {
    let mut ids = vec![s.subject.as_str()];
    if let Some(e) = &s.email {
        ids.push(e);
    }
    if s.display != s.subject {
        ids.push(&s.display);
    }
    Principal {
        kind: PrincipalKind::User,
        id: s.subject.clone(),
        display: s.display.clone(),
        bindings: cfg.bindings_for(&ids, &s.groups, &s.roles),
        source_addr: addr,
        session: Some(SessionRef {
            id_hash: s.id_hash.clone(),
            csrf: s.csrf.clone(),
        }),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Routes outside the layer (none should be) see nobody.
        Ok(parts
            .extensions
            .get::<Principal>()
            .cloned()
            .unwrap_or_else(|| Principal::anonymous(Vec::new(), None)))
    }
}

impl AppState {
    /// The one authorisation check of a route: 401 when nobody is signed in, 403 with the
    /// missing permission otherwise.
    pub fn allow(&self, p: &Principal, perm: Permission, r: &Resource<'_>) -> Result<(), ApiError> {
        allow(p, perm, r).map_err(|d| denied(&d))
    }

    /// [`AppState::allow`] for a change: a refusal is written to the audit log with the
    /// missing permission.
    pub async fn allow_change(
        &self,
        p: &Principal,
        perm: Permission,
        r: &Resource<'_>,
        action: &str,
        target: &str,
    ) -> Result<(), ApiError> {
        match allow(p, perm, r) {
            Ok(()) => Ok(()),
            Err(d) => {
                let mut e = audit_entry(p, action, r.cluster);
                e.outcome = "refused".into();
                e.detail = serde_json::json!({
                    "missing_permission": d.permission.as_str(),
                    "reason": d.reason,
                })
                .to_string();
                if let Err(err) = self.store.audit(&e, target).await {
                    tracing::error!(error = %err, "cannot write the audit row of a refusal");
                }
                Err(denied(&d))
            }
        }
    }

    /// `view` on one cluster (its pages, brokers, health).
    pub fn allow_view(&self, p: &Principal, cluster: &str) -> Result<(), ApiError> {
        self.allow(p, Permission::View, &Resource::cluster(cluster, false))
    }

    /// Lists filter what the principal may see; nobody signed in gets 401 rather than an
    /// empty list.
    pub fn allow_somewhere(&self, p: &Principal) -> Result<(), ApiError> {
        if p.kind == PrincipalKind::Anonymous && p.bindings.is_empty() {
            return Err(ApiError::Unauthorized(
                "sign in first: this needs the permission view".into(),
            ));
        }
        Ok(())
    }

    /// Whether the principal may see this resource (for filtering lists).
    pub fn may(&self, p: &Principal, perm: Permission, r: &Resource<'_>) -> bool {
        allow(p, perm, r).is_ok()
    }

    /// Whether a cluster is configured read-only.
    pub fn read_only(&self, cluster: &str) -> bool {
        self.clusters
            .iter()
            .find(|(n, _)| n == cluster)
            .is_some_and(|(_, rx)| rx.borrow().read_only)
    }
}

fn denied(d: &Denied) -> ApiError {
    if d.unauthenticated {
        ApiError::Unauthorized(format!(
            "sign in first: this needs the permission {}",
            d.permission.as_str()
        ))
    } else {
        ApiError::Forbidden(d.reason.clone())
    }
}

/// An audit entry for a change by `p` (outcome `done`; detail and target filled in after).
pub fn audit_entry(
    p: &Principal,
    action: &str,
    cluster: Option<&str>,
) -> crate::store::audit::AuditEntry {
    crate::store::audit::AuditEntry {
        at_ms: now_ms(),
        actor: p.display.clone(),
        actor_kind: p.kind.as_str().into(),
        source_addr: p.source_addr.map(|a| a.to_string()),
        action: action.into(),
        cluster: cluster.map(String::from),
        outcome: "done".into(),
        detail: String::new(),
    }
}

/// Store sessions that ended long ago are forgotten now and then.
pub async fn prune(store: &Store) {
    if let Err(e) = store.prune_sessions(now_ms()).await {
        tracing::warn!(error = %e, "cannot prune sessions");
    }
}

/// A pattern no name matches.
fn matches_nothing() -> regex::Regex {
    regex::Regex::new("[^\\s\\S]").expect("a valid constant pattern")
}
