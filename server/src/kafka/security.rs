//! How Kafscope's own protocol connections reach a cluster's brokers, read from the same
//! `[clusters.client]` properties librdkafka reads (`security.protocol`, `ssl.*`, `sasl.*`),
//! so one configuration drives both paths. Pure: properties in, settings or the reason the
//! cluster stays on librdkafka's path out.

use std::collections::BTreeMap;

use super::sasl::Mechanism;

/// TLS settings for a protocol connection.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// CA certificates: a PEM file (`ssl.ca.location`) or PEM text (`ssl.ca.pem`); both
    /// `None`: the system's trust store, as librdkafka does.
    pub ca_location: Option<String>,
    pub ca_pem: Option<String>,
    /// Client certificate and key (mutual TLS), as files or PEM text.
    pub certificate_location: Option<String>,
    pub certificate_pem: Option<String>,
    pub key_location: Option<String>,
    pub key_pem: Option<String>,
    pub key_password: Option<String>,
    /// `ssl.endpoint.identification.algorithm=https` (librdkafka's default): the broker's
    /// certificate must name the host connected to.
    pub verify_hostname: bool,
    /// `enable.ssl.certificate.verification` (default true).
    pub verify_certificate: bool,
}

impl std::fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSettings")
            .field("ca_location", &self.ca_location)
            .field("certificate_location", &self.certificate_location)
            .field("key_location", &self.key_location)
            .field("verify_hostname", &self.verify_hostname)
            .field("verify_certificate", &self.verify_certificate)
            .finish_non_exhaustive()
    }
}

/// Where an OAUTHBEARER token comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum OAuthSource {
    /// librdkafka's default method: an unsecured JWT built from `sasl.oauthbearer.config`
    /// (`principal=… [scope=…] [lifeSeconds=…]`), for test and development clusters.
    Unsecured {
        principal: String,
        scope: Vec<String>,
        life_seconds: u64,
    },
    /// `sasl.oauthbearer.method=oidc`: the client-credentials grant at a token endpoint.
    ClientCredentials {
        token_endpoint: String,
        client_id: String,
        client_secret: String,
        scope: Option<String>,
    },
}

impl std::fmt::Debug for OAuthSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OAuthSource::Unsecured { principal, .. } => f
                .debug_struct("Unsecured")
                .field("principal", principal)
                .finish_non_exhaustive(),
            OAuthSource::ClientCredentials {
                token_endpoint,
                client_id,
                ..
            } => f
                .debug_struct("ClientCredentials")
                .field("token_endpoint", token_endpoint)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// SASL settings for a protocol connection.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslSettings {
    pub mechanism: Mechanism,
    pub username: String,
    pub password: String,
    pub oauth: Option<OAuthSource>,
    /// KIP-342 extensions sent with an OAUTHBEARER token.
    pub extensions: Vec<(String, String)>,
}

impl std::fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslSettings")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("oauth", &self.oauth)
            .finish_non_exhaustive()
    }
}

/// How the protocol connections of a cluster are secured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireSecurity {
    pub tls: Option<TlsSettings>,
    pub sasl: Option<SaslSettings>,
}

impl WireSecurity {
    /// `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`, with the mechanism.
    pub fn describe(&self) -> String {
        match (&self.tls, &self.sasl) {
            (None, None) => "plaintext".into(),
            (Some(_), None) => "ssl".into(),
            (None, Some(s)) => format!("sasl_plaintext ({})", s.mechanism.name()),
            (Some(_), Some(s)) => format!("sasl_ssl ({})", s.mechanism.name()),
        }
    }
}

fn get<'a>(p: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    p.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn flag(p: &BTreeMap<String, String>, key: &str, default: bool) -> bool {
    match get(p, key).map(|s| s.to_ascii_lowercase()) {
        Some(v) => matches!(v.as_str(), "true" | "1" | "yes" | "on"),
        None => default,
    }
}

/// The settings for Kafscope's own connections, or why this cluster keeps librdkafka's path
/// (a mechanism or a key store Kafscope does not read itself).
pub fn from_properties(p: &BTreeMap<String, String>) -> Result<WireSecurity, String> {
    let protocol = get(p, "security.protocol")
        .unwrap_or("plaintext")
        .to_ascii_lowercase();
    let (tls, sasl) = match protocol.as_str() {
        "plaintext" => (false, false),
        "ssl" => (true, false),
        "sasl_plaintext" => (false, true),
        "sasl_ssl" => (true, true),
        other => {
            return Err(format!(
                "security.protocol '{other}' is not one Kafscope knows"
            ))
        }
    };
    let tls = if tls { Some(tls_settings(p)?) } else { None };
    let sasl = if sasl { Some(sasl_settings(p)?) } else { None };
    Ok(WireSecurity { tls, sasl })
}

fn tls_settings(p: &BTreeMap<String, String>) -> Result<TlsSettings, String> {
    for key in [
        "ssl.keystore.location",
        "ssl.engine.location",
        "ssl.providers",
    ] {
        if get(p, key).is_some() {
            return Err(format!(
                "{key} is read by librdkafka only; use ssl.certificate.location and ssl.key.location (PEM) for Kafscope's own connections"
            ));
        }
    }
    if get(p, "ssl.ca.location").is_some_and(|s| s == "probe") {
        return Err("ssl.ca.location=probe is librdkafka's; Kafscope's own connections use the system trust store when ssl.ca.location is not set".into());
    }
    let algorithm = get(p, "ssl.endpoint.identification.algorithm")
        .unwrap_or("https")
        .to_ascii_lowercase();
    let verify_hostname = match algorithm.as_str() {
        "https" => true,
        "none" => false,
        other => {
            return Err(format!(
                "ssl.endpoint.identification.algorithm '{other}' is not https or none"
            ))
        }
    };
    Ok(TlsSettings {
        ca_location: get(p, "ssl.ca.location").map(String::from),
        ca_pem: get(p, "ssl.ca.pem").map(String::from),
        certificate_location: get(p, "ssl.certificate.location").map(String::from),
        certificate_pem: get(p, "ssl.certificate.pem").map(String::from),
        key_location: get(p, "ssl.key.location").map(String::from),
        key_pem: get(p, "ssl.key.pem").map(String::from),
        key_password: get(p, "ssl.key.password").map(String::from),
        verify_hostname,
        verify_certificate: flag(p, "enable.ssl.certificate.verification", true),
    })
}

fn sasl_settings(p: &BTreeMap<String, String>) -> Result<SaslSettings, String> {
    // librdkafka's default mechanism is GSSAPI.
    let name = get(p, "sasl.mechanisms")
        .or_else(|| get(p, "sasl.mechanism"))
        .unwrap_or("GSSAPI");
    let mechanism = Mechanism::parse(name).ok_or_else(|| {
        format!("SASL mechanism {name} is spoken by librdkafka only (Kafscope speaks PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER)")
    })?;
    let username = get(p, "sasl.username").unwrap_or_default().to_string();
    let password = p.get("sasl.password").cloned().unwrap_or_default();
    let mut oauth = None;
    let mut extensions = Vec::new();
    match mechanism {
        Mechanism::Plain | Mechanism::ScramSha256 | Mechanism::ScramSha512 => {
            if username.is_empty() {
                return Err(format!("SASL {} needs sasl.username", mechanism.name()));
            }
        }
        Mechanism::OAuthBearer => {
            let method = get(p, "sasl.oauthbearer.method")
                .unwrap_or("default")
                .to_ascii_lowercase();
            oauth = Some(match method.as_str() {
                "oidc" => {
                    let need = |k: &str| {
                        get(p, k)
                            .map(String::from)
                            .ok_or_else(|| format!("sasl.oauthbearer.method=oidc needs {k}"))
                    };
                    OAuthSource::ClientCredentials {
                        token_endpoint: need("sasl.oauthbearer.token.endpoint.url")?,
                        client_id: need("sasl.oauthbearer.client.id")?,
                        client_secret: p
                            .get("sasl.oauthbearer.client.secret")
                            .cloned()
                            .unwrap_or_default(),
                        scope: get(p, "sasl.oauthbearer.scope").map(String::from),
                    }
                }
                "default" => unsecured(get(p, "sasl.oauthbearer.config").unwrap_or_default())?,
                other => {
                    return Err(format!(
                        "sasl.oauthbearer.method '{other}' is not default or oidc"
                    ))
                }
            });
            if let Some(ext) = get(p, "sasl.oauthbearer.extensions") {
                extensions = key_values(ext, ',')
                    .map_err(|e| format!("sasl.oauthbearer.extensions: {e}"))?;
            }
        }
    }
    Ok(SaslSettings {
        mechanism,
        username,
        password,
        oauth,
        extensions,
    })
}

/// librdkafka's unsecured-token configuration: `principal=admin scope=a,b lifeSeconds=3600`
/// (space separated; `extension_K=V` entries add extensions).
fn unsecured(config: &str) -> Result<OAuthSource, String> {
    let mut principal = None;
    let mut scope = Vec::new();
    let mut life_seconds = 3600;
    for kv in config.split_whitespace() {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("sasl.oauthbearer.config: '{kv}' is not key=value"))?;
        match k {
            "principal" => principal = Some(v.to_string()),
            "scope" => scope = v.split(',').map(String::from).collect(),
            "lifeSeconds" => {
                life_seconds = v.parse().map_err(|_| {
                    format!("sasl.oauthbearer.config: lifeSeconds '{v}' is not a number")
                })?
            }
            _ => {}
        }
    }
    let principal = principal.ok_or(
        "OAUTHBEARER needs sasl.oauthbearer.method=oidc (with a token endpoint) or a principal in sasl.oauthbearer.config",
    )?;
    Ok(OAuthSource::Unsecured {
        principal,
        scope,
        life_seconds,
    })
}

fn key_values(s: &str, sep: char) -> Result<Vec<(String, String)>, String> {
    s.split(sep)
        .map(str::trim)
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| format!("'{kv}' is not key=value"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn plaintext_by_default() {
        let s = from_properties(&props(&[])).unwrap();
        assert_eq!(s, WireSecurity::default());
        assert_eq!(s.describe(), "plaintext");
        let s = from_properties(&props(&[("security.protocol", "PLAINTEXT")])).unwrap();
        assert!(s.tls.is_none() && s.sasl.is_none());
    }

    #[test]
    fn sasl_ssl_with_scram_reads_librdkafkas_properties() {
        let s = from_properties(&props(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanisms", "SCRAM-SHA-512"),
            ("sasl.username", "client"),
            ("sasl.password", "pw"),
            ("ssl.ca.location", "/etc/kafka/ca.pem"),
            ("ssl.endpoint.identification.algorithm", "none"),
        ]))
        .unwrap();
        let tls = s.tls.as_ref().unwrap();
        assert_eq!(tls.ca_location.as_deref(), Some("/etc/kafka/ca.pem"));
        assert!(!tls.verify_hostname);
        assert!(tls.verify_certificate);
        let sasl = s.sasl.as_ref().unwrap();
        assert_eq!(sasl.mechanism, Mechanism::ScramSha512);
        assert_eq!(
            (sasl.username.as_str(), sasl.password.as_str()),
            ("client", "pw")
        );
        assert_eq!(s.describe(), "sasl_ssl (SCRAM-SHA-512)");
        // The password never shows in debug output.
        assert!(!format!("{s:?}").contains("pw\""), "{s:?}");
    }

    #[test]
    fn what_kafscope_does_not_speak_says_so() {
        for (kv, why) in [
            (vec![("security.protocol", "sasl_plaintext")], "GSSAPI"),
            (
                vec![
                    ("security.protocol", "sasl_ssl"),
                    ("sasl.mechanism", "GSSAPI"),
                ],
                "GSSAPI",
            ),
            (
                vec![
                    ("security.protocol", "ssl"),
                    ("ssl.keystore.location", "/k.p12"),
                ],
                "ssl.keystore.location",
            ),
            (vec![("security.protocol", "tcp")], "'tcp'"),
            (
                vec![
                    ("security.protocol", "sasl_ssl"),
                    ("sasl.mechanism", "PLAIN"),
                ],
                "sasl.username",
            ),
            (
                vec![
                    ("security.protocol", "sasl_ssl"),
                    ("sasl.mechanism", "OAUTHBEARER"),
                    ("sasl.oauthbearer.method", "oidc"),
                ],
                "token.endpoint.url",
            ),
        ] {
            let e = from_properties(&props(&kv)).unwrap_err();
            assert!(e.contains(why), "{kv:?}: {e}");
        }
    }

    #[test]
    fn oauthbearer_sources() {
        let s = from_properties(&props(&[
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanism", "OAUTHBEARER"),
            (
                "sasl.oauthbearer.config",
                "principal=admin scope=a,b lifeSeconds=60",
            ),
            (
                "sasl.oauthbearer.extensions",
                "traceId=1, logicalCluster=lkc-1",
            ),
        ]))
        .unwrap();
        let sasl = s.sasl.unwrap();
        assert_eq!(
            sasl.oauth,
            Some(OAuthSource::Unsecured {
                principal: "admin".into(),
                scope: vec!["a".into(), "b".into()],
                life_seconds: 60
            })
        );
        assert_eq!(sasl.extensions.len(), 2);
        let s = from_properties(&props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.method", "oidc"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            ("sasl.oauthbearer.client.id", "kafscope"),
            ("sasl.oauthbearer.client.secret", "shh"),
        ]))
        .unwrap();
        assert!(matches!(
            s.sasl.unwrap().oauth,
            Some(OAuthSource::ClientCredentials { .. })
        ));
    }
}
