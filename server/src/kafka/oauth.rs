//! OAUTHBEARER tokens for Kafscope's own protocol connections: librdkafka's unsecured JWT
//! (`sasl.oauthbearer.config`, development clusters) or the OAuth 2 client-credentials grant
//! (`sasl.oauthbearer.method=oidc`), cached until shortly before they expire.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use tokio::sync::Mutex;

use super::security::OAuthSource;

/// A token and when to stop using it.
#[derive(Clone)]
struct Token {
    value: String,
    refresh_at: Instant,
}

/// Hands out a valid token, fetching a new one when the cached one is near its end.
pub struct TokenSource {
    source: OAuthSource,
    timeout: Duration,
    cached: Mutex<Option<Token>>,
}

/// Tokens are renewed at this share of their lifetime (librdkafka renews at 80 %).
const RENEW_AT: f64 = 0.8;

impl TokenSource {
    pub fn new(source: OAuthSource, timeout: Duration) -> TokenSource {
        TokenSource {
            source,
            timeout,
            cached: Mutex::new(None),
        }
    }

    pub async fn token(&self) -> Result<String, String> {
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let (value, life) = match &self.source {
            OAuthSource::Unsecured {
                principal,
                scope,
                life_seconds,
            } => (
                unsecured_jwt(principal, scope, *life_seconds, now_s()),
                Duration::from_secs(*life_seconds),
            ),
            OAuthSource::ClientCredentials {
                token_endpoint,
                client_id,
                client_secret,
                scope,
            } => {
                fetch(
                    token_endpoint,
                    client_id,
                    client_secret,
                    scope.as_deref(),
                    self.timeout,
                )
                .await?
            }
        };
        *cached = Some(Token {
            value: value.clone(),
            refresh_at: Instant::now() + life.mul_f64(RENEW_AT),
        });
        Ok(value)
    }
}

fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An unsigned JWT (`alg: none`) as librdkafka's default OAUTHBEARER method builds it.
pub fn unsecured_jwt(principal: &str, scope: &[String], life_seconds: u64, now: u64) -> String {
    let header = B64URL.encode(br#"{"alg":"none"}"#);
    let mut claims = serde_json::json!({
        "sub": principal,
        "iat": now,
        "exp": now + life_seconds,
    });
    if !scope.is_empty() {
        claims["scope"] = serde_json::json!(scope);
    }
    let payload = B64URL.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// The client-credentials grant: the token and its lifetime.
async fn fetch(
    endpoint: &str,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
    timeout: Duration,
) -> Result<(String, Duration), String> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("OAUTHBEARER: {e}"))?;
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let resp = client
        .post(endpoint)
        .basic_auth(client_id, Some(secret))
        .form(&form)
        .send()
        .await
        .map_err(|e| {
            format!(
                "OAUTHBEARER: the token endpoint {} cannot be reached: {}",
                crate::config::redact_url(endpoint),
                e.without_url()
            )
        })?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    if !status.is_success() {
        let why = body["error_description"]
            .as_str()
            .or(body["error"].as_str())
            .unwrap_or("no reason given");
        return Err(format!(
            "OAUTHBEARER: the token endpoint refused sasl.oauthbearer.client.id '{client_id}' ({status}: {why})"
        ));
    }
    let token = body["access_token"]
        .as_str()
        .ok_or("OAUTHBEARER: the token endpoint's answer has no access_token")?
        .to_string();
    let life = body["expires_in"].as_u64().unwrap_or(300).max(10);
    Ok((token, Duration::from_secs(life)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsecured_tokens_are_librdkafkas_shape() {
        let t = unsecured_jwt("admin", &["a".into()], 60, 1_000);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "", "no signature");
        let claims: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["sub"], "admin");
        assert_eq!(claims["exp"], 1_060);
        assert_eq!(claims["scope"][0], "a");
    }
}
