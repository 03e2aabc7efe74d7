//! OpenID Connect sign-in (authorization code + PKCE) with the maintained `openidconnect`
//! crate: discovery (retried until the provider answers), state and nonce, ID-token
//! validation with the provider's keys, refresh, RP-initiated logout. Groups or roles come
//! from a configurable claim of the validated ID token.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdToken};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RefreshToken, Scope,
    TokenResponse,
};
use tokio::sync::Mutex;

use super::config::OidcConfig;

type Rp = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in in progress: what the callback must find again.
struct Pending {
    nonce: Nonce,
    verifier: PkceCodeVerifier,
    return_to: String,
    redirect: String,
    started: Instant,
}

/// The identity an ID token gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub subject: String,
    pub display: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub refresh_token: Option<String>,
    pub id_token: String,
    /// When the identity must be refreshed (the ID token's expiry).
    pub valid_until_ms: i64,
}

/// Sign-ins waiting for their callback, at most, and for how long.
const MAX_PENDING: usize = 10_000;
const PENDING_FOR: Duration = Duration::from_secs(600);

pub struct Oidc {
    cfg: OidcConfig,
    http: openidconnect::reqwest::Client,
    metadata: Mutex<Option<ProviderMetadataWithLogout>>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Oidc {
    pub fn new(cfg: OidcConfig) -> Oidc {
        let http = openidconnect::reqwest::Client::builder()
            // Following redirects would open the token exchange to SSRF.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Oidc {
            cfg,
            http,
            metadata: Mutex::new(None),
            pending: Mutex::new(HashMap::new()),
        }
    }

    pub fn label(&self) -> &str {
        &self.cfg.label
    }

    /// The provider's metadata, discovered once (and again after a failure).
    async fn client(&self, redirect: &str) -> Result<(Rp, ProviderMetadataWithLogout), String> {
        let mut m = self.metadata.lock().await;
        if m.is_none() {
            let issuer = IssuerUrl::new(self.cfg.issuer.clone())
                .map_err(|e| format!("OIDC issuer '{}': {e}", self.cfg.issuer))?;
            let found = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
                .await
                .map_err(|e| {
                    format!(
                        "the OpenID Connect provider {} cannot be reached or read: {e}",
                        self.cfg.issuer
                    )
                })?;
            *m = Some(found);
        }
        let metadata = m.clone().ok_or("no provider metadata")?;
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.cfg.client_id.clone()),
            self.cfg
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.0.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect.to_string()).map_err(|e| e.to_string())?);
        Ok((client, metadata))
    }

    /// Where to send the browser to sign in; `redirect` is this console's callback URL.
    pub async fn start(&self, redirect: &str, return_to: &str) -> Result<String, String> {
        let (client, _) = self.client(redirect).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.cfg.scopes {
            if s != "openid" {
                req = req.add_scope(Scope::new(s.clone()));
            }
        }
        let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
        let mut pending = self.pending.lock().await;
        pending.retain(|_, p| p.started.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return Err("too many sign-ins in progress; try again in a few minutes".into());
        }
        pending.insert(
            state.secret().clone(),
            Pending {
                nonce,
                verifier,
                return_to: return_to.to_string(),
                redirect: redirect.to_string(),
                started: Instant::now(),
            },
        );
        Ok(url.to_string())
    }

    /// The provider sent the browser back: check the state, exchange the code, validate the
    /// ID token. Returns the identity and where the user wanted to go.
    pub async fn finish(&self, state: &str, code: &str) -> Result<(Identity, String), String> {
        let p = self
            .pending
            .lock()
            .await
            .remove(state)
            .filter(|p| p.started.elapsed() < PENDING_FOR)
            .ok_or("this sign-in is unknown or took too long: start again")?;
        let (client, _) = self.client(&p.redirect).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| format!("OIDC: {e}"))?
            .set_pkce_verifier(p.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| format!("the provider refused the sign-in code: {e}"))?;
        let id_token = tokens
            .id_token()
            .ok_or("the provider answered without an ID token")?;
        let identity = self.identity(
            &client,
            id_token,
            &p.nonce,
            tokens.refresh_token().map(|r| r.secret().clone()),
        )?;
        Ok((identity, p.return_to))
    }

    /// A new identity from the refresh token (groups may have changed); `Err` ends the
    /// session.
    pub async fn refresh(&self, redirect: &str, refresh_token: &str) -> Result<Identity, String> {
        let (client, _) = self.client(redirect).await?;
        let tokens = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .map_err(|e| format!("OIDC: {e}"))?
            .request_async(&self.http)
            .await
            .map_err(|e| format!("the provider refused to refresh the session: {e}"))?;
        let id_token = tokens
            .id_token()
            .ok_or("the provider refreshed the session without an ID token")?;
        // A refreshed ID token carries no nonce of ours.
        let no_nonce = |_: Option<&Nonce>| Ok(());
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, no_nonce)
            .map_err(|e| format!("the refreshed ID token is not valid: {e}"))?;
        let _ = claims;
        self.read_identity(
            id_token,
            tokens
                .refresh_token()
                .map(|r| r.secret().clone())
                .or(Some(refresh_token.to_string())),
        )
    }

    fn identity(
        &self,
        client: &Rp,
        id_token: &CoreIdToken,
        nonce: &Nonce,
        refresh_token: Option<String>,
    ) -> Result<Identity, String> {
        let verifier = client.id_token_verifier();
        id_token
            .claims(&verifier, nonce)
            .map_err(|e| format!("the ID token is not valid: {e}"))?;
        self.read_identity(id_token, refresh_token)
    }

    /// The claims of an ID token that was just validated: standard ones, and the configured
    /// name and roles claims read from its payload.
    fn read_identity(
        &self,
        id_token: &CoreIdToken,
        refresh_token: Option<String>,
    ) -> Result<Identity, String> {
        let raw = id_token.to_string();
        let payload = raw
            .split('.')
            .nth(1)
            .and_then(|p| B64URL.decode(p).ok())
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .ok_or("the ID token's payload is not JSON")?;
        claims_identity(&payload, &self.cfg, raw, refresh_token)
    }

    /// Where to send the browser to sign out at the provider too, when it supports it.
    pub async fn logout_url(&self, id_token: &str, post_logout: &str) -> Option<String> {
        let m = self.metadata.lock().await.clone()?;
        let endpoint = m.additional_metadata().end_session_endpoint.clone()?;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &self.cfg.client_id);
        if PostLogoutRedirectUrl::new(post_logout.to_string()).is_ok() {
            url.query_pairs_mut()
                .append_pair("post_logout_redirect_uri", post_logout);
        }
        Some(url.to_string())
    }
}

/// A value at a dotted path (`realm_access.roles`) of a JSON object.
fn at_path<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// The identity in validated claims. Pure.
pub fn claims_identity(
    claims: &serde_json::Value,
    cfg: &OidcConfig,
    id_token: String,
    refresh_token: Option<String>,
) -> Result<Identity, String> {
    let subject = claims["sub"]
        .as_str()
        .ok_or("the ID token has no subject")?
        .to_string();
    let text = |k: &str| {
        at_path(claims, k)
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    let display = text(&cfg.name_claim)
        .or_else(|| text("name"))
        .or_else(|| text("email"))
        .unwrap_or_else(|| subject.clone());
    let groups = match at_path(claims, &cfg.roles_claim) {
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|g| g.as_str().map(String::from))
            .collect(),
        Some(serde_json::Value::String(s)) => s
            .split([',', ' '])
            .filter(|g| !g.is_empty())
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    let exp = claims["exp"].as_i64().unwrap_or(0) * 1000;
    Ok(Identity {
        subject,
        display,
        email: text("email"),
        groups,
        refresh_token,
        id_token,
        valid_until_ms: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(roles: &str) -> OidcConfig {
        OidcConfig {
            issuer: "http://idp".into(),
            client_id: "c".into(),
            client_secret: None,
            scopes: vec![],
            roles_claim: roles.into(),
            name_claim: "preferred_username".into(),
            label: String::new(),
        }
    }

    #[test]
    fn groups_from_keycloak_style_and_flat_claims() {
        let claims = serde_json::json!({
            "sub": "f1e2", "exp": 100, "preferred_username": "alice", "email": "a@x",
            "groups": ["kafka-admins", "staff"],
            "realm_access": {"roles": ["operator"]},
            "roles": "a b,c"
        });
        let i = claims_identity(&claims, &cfg("groups"), "t".into(), None).unwrap();
        assert_eq!((i.subject.as_str(), i.display.as_str()), ("f1e2", "alice"));
        assert_eq!(i.groups, vec!["kafka-admins", "staff"]);
        assert_eq!(i.valid_until_ms, 100_000);
        let i = claims_identity(&claims, &cfg("realm_access.roles"), "t".into(), None).unwrap();
        assert_eq!(i.groups, vec!["operator"]);
        let i = claims_identity(&claims, &cfg("roles"), "t".into(), None).unwrap();
        assert_eq!(i.groups, vec!["a", "b", "c"]);
        let i = claims_identity(&claims, &cfg("missing"), "t".into(), None).unwrap();
        assert!(i.groups.is_empty());
        assert!(claims_identity(&serde_json::json!({}), &cfg("g"), "t".into(), None).is_err());
    }
}
