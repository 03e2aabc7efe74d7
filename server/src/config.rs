//! Configuration: a TOML file, `KAFSCOPE_*` environment variables over it, and flags over both
//! (DESIGN.md §4). Everything is validated at start; a bad value fails with the file, the key
//! and the reason, never a panic trace.
//!
//! Environment keys are the TOML path in upper case joined by `__`, with array indexes as
//! numbers: `KAFSCOPE_SERVER__LISTEN`, `KAFSCOPE_STORE__URL`,
//! `KAFSCOPE_CLUSTERS__0__POLL_INTERVAL`. Inside a cluster's `client` table (librdkafka
//! properties) `_` stands for `.`: `KAFSCOPE_CLUSTERS__0__CLIENT__SASL_PASSWORD` sets
//! `sasl.password`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Parser;
use serde::Deserialize;

/// Command-line flags. Each one overrides the file and the environment.
#[derive(Debug, Parser, Default)]
#[command(name = "kafscope", version, about = "Kafka monitoring console")]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<String>,
    /// URL prefix the console is served under, e.g. /kafka.
    #[arg(long)]
    pub base_path: Option<String>,
    /// Store URL, e.g. sqlite://kafscope.db (created if missing).
    #[arg(long)]
    pub store_url: Option<String>,
    /// Quick start: watch one cluster at these bootstrap servers (no file needed).
    #[arg(long)]
    pub bootstrap_servers: Option<String>,
    /// Name of the quick-start cluster.
    #[arg(long, default_value = "local")]
    pub cluster_name: String,
    /// Poll interval of the quick-start cluster, e.g. 10s.
    #[arg(long)]
    pub poll_interval: Option<String>,
    /// Window over which consumer status is judged, e.g. 10m (all clusters).
    #[arg(long)]
    pub status_window: Option<String>,
    /// Quick start: a broker metrics URL (Prometheus text; prefix `jolokia+` for a Jolokia
    /// agent). Repeat for each broker.
    #[arg(long = "metrics-url")]
    pub metrics_url: Vec<String>,
    /// Schema Registry of the quick-start cluster (Confluent wire format decoding).
    #[arg(long)]
    pub schema_registry_url: Option<String>,
    /// Directory holding the built web UI (default: `web/` next to the executable).
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What else the binary does besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Print an argon2 hash of a password (read from standard input) for `[[auth.users]]`.
    HashPassword,
    /// Check the connection to each configured cluster step by step (name lookup, TCP, TLS,
    /// ApiVersions, SASL, Metadata, authorisation), print the verdict, and exit 0 when every
    /// cluster can be read, 1 when one cannot.
    Check {
        /// Only this cluster.
        #[arg(long)]
        cluster: Option<String>,
    },
}

/// A configuration error: where it is, and why, on one line.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {key}: {reason}")]
pub struct ConfigError {
    pub origin: String,
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(origin: &str, key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError {
            origin: origin.to_string(),
            key: key.into(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub clusters: Vec<ClusterConfig>,
    pub alerts: crate::alerts::config::AlertsConfig,
    pub auth: crate::http::auth::AuthConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Always starts with `/` and never ends with one, except the root which is `/`.
    pub base_path: String,
    pub web_dir: Option<PathBuf>,
    /// Bearer token that mutating API requests must carry; `None` switches mutations off.
    pub admin_token: Option<Secret>,
    /// Frames, CORS, embed links and badges.
    pub embed: crate::embed::EmbedConfig,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: String,
    /// How long raw samples, 1-minute and 1-hour rollups are kept.
    pub retention: crate::store::Retention,
}

#[derive(Clone)]
pub struct ClusterConfig {
    pub name: String,
    pub bootstrap_servers: String,
    pub poll_interval: Duration,
    /// Upper bound on each Kafka request of a poll.
    pub request_timeout: Duration,
    /// How often topic configs are re-read (they change rarely and are large).
    pub config_refresh_interval: Duration,
    /// Window over which consumer status and rates are judged.
    pub status_window: Duration,
    /// When a growing lag counts as `slow`: this many messages behind, or (where a time lag
    /// is known, which then decides) this far behind in time.
    pub significance: crate::lag::status::Significance,
    /// A group with no commit and no member for this long is `inactive` (abandoned).
    pub inactive_after: Duration,
    /// Also read the last stable offsets (one more batched ListOffsets per cycle) to report
    /// the lag of read_committed consumers.
    pub read_committed_lag: bool,
    /// Refuse every mutating operation on this cluster.
    pub read_only: bool,
    /// Ask the broker's verdict on a change before it is made (`validate_only` on
    /// CreateTopics, CreatePartitions and IncrementalAlterConfigs). Only for a broker that
    /// ignores `validate_only` and makes the change (tansu 0.6) is it turned off.
    pub broker_validation: bool,
    /// librdkafka properties, passed as they are (security.protocol, sasl.*, ssl.*).
    pub client: BTreeMap<String, String>,
    /// Broker metrics endpoints (Prometheus text or Jolokia), scraped every poll.
    pub metrics: Vec<MetricsSource>,
    /// Read disk usage per broker with DescribeLogDirs (plaintext listeners only).
    pub describe_log_dirs: bool,
    /// KRaft controllers (`bootstrap_controllers`, HOST:PORT of their CONTROLLER listeners):
    /// DescribeQuorum is asked of them directly. Empty: of the brokers, which forward it.
    pub bootstrap_controllers: Vec<(String, u16)>,
    /// Schema Registry for decoding Confluent wire-format records.
    pub schema_registry: Option<SchemaRegistryConfig>,
    /// Masking rules applied to records before they leave the server.
    pub masking: Vec<crate::messages::mask::MaskRule>,
}

/// A Schema Registry (Confluent API) of a cluster.
#[derive(Clone)]
pub struct SchemaRegistryConfig {
    pub url: String,
    /// Basic auth.
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Bearer token (sent instead of basic auth when both are set).
    pub token: Option<Secret>,
    /// PEM certificates trusted besides the system's (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    pub timeout: Duration,
}

impl fmt::Debug for SchemaRegistryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaRegistryConfig")
            .field("url", &redact_url(&self.url))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.as_ref().map(Vec::len))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsKind {
    Prometheus,
    Jolokia,
}

impl MetricsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricsKind::Prometheus => "prometheus",
            MetricsKind::Jolokia => "jolokia",
        }
    }
}

/// One metrics endpoint of a cluster.
#[derive(Clone)]
pub struct MetricsSource {
    pub url: String,
    pub kind: MetricsKind,
    /// The broker the endpoint describes; `None` to match the URL's host to a broker's.
    pub broker: Option<i32>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Largest response read, in bytes.
    pub max_bytes: usize,
}

impl MetricsSource {
    /// The URL without credentials, as it may be shown and logged.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }
}

impl fmt::Debug for MetricsSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsSource")
            .field("url", &self.display_url())
            .field("kind", &self.kind)
            .field("broker", &self.broker)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `http://user:secret@host/x` → `http://host/x`.
pub fn redact_url(url: &str) -> String {
    // Parsed, not cut at characters: a password may hold '/' or '@', a query an API key.
    let Ok(u) = reqwest::Url::parse(url) else {
        return "<invalid URL>".into();
    };
    let Some(host) = u.host_str() else {
        return "<invalid URL>".into();
    };
    let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = if u.path() == "/" && !url.ends_with('/') {
        ""
    } else {
        u.path()
    };
    format!("{}://{host}{port}{path}", u.scheme())
}

impl fmt::Debug for ClusterConfig {
    // Secrets in `client` never reach a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let client: BTreeMap<&str, &str> = self
            .client
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret_key(k) { "<redacted>" } else { v };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("ClusterConfig")
            .field("name", &self.name)
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("poll_interval", &self.poll_interval)
            .field("request_timeout", &self.request_timeout)
            .field("status_window", &self.status_window)
            .field("read_only", &self.read_only)
            .field("client", &client)
            .field("metrics", &self.metrics)
            .finish()
    }
}

/// A value that never appears in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Whether a librdkafka property or broker config holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "jaas",
        "private",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
        || k.ends_with(".key")
        || k.ends_with("key.pem")
}

// ---- the file's shape -------------------------------------------------------------------

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    server: FileServer,
    #[serde(default)]
    store: FileStore,
    #[serde(default)]
    clusters: Vec<FileCluster>,
    #[serde(default)]
    alerts: crate::alerts::config::FileAlerts,
    #[serde(default)]
    auth: crate::http::auth::config::FileAuth,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileServer {
    listen: Option<String>,
    base_path: Option<String>,
    web_dir: Option<PathBuf>,
    admin_token: Option<String>,
    /// Origins that may frame the console (a list, or one comma-separated string).
    frame_ancestors: Option<toml::Value>,
    /// Origins whose pages may call the API from the browser.
    cors_origins: Option<toml::Value>,
    embed_key: Option<String>,
    embed_key_previous: Option<String>,
    embed_link_ttl: Option<String>,
    embed_link_max_ttl: Option<String>,
    public_badges: Option<toml::Value>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileStore {
    url: Option<String>,
    raw_retention: Option<String>,
    minute_retention: Option<String>,
    hour_retention: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCluster {
    name: String,
    bootstrap_servers: String,
    poll_interval: Option<String>,
    request_timeout: Option<String>,
    config_refresh_interval: Option<String>,
    status_window: Option<String>,
    /// Messages (a number, or a numeric string from the environment).
    significant_lag_messages: Option<toml::Value>,
    significant_lag_time: Option<String>,
    inactive_after: Option<String>,
    read_committed_lag: Option<bool>,
    read_only: Option<toml::Value>,
    broker_validation: Option<bool>,
    #[serde(default)]
    client: BTreeMap<String, toml::Value>,
    #[serde(default)]
    metrics: Vec<FileMetrics>,
    describe_log_dirs: Option<bool>,
    bootstrap_controllers: Option<String>,
    schema_registry: Option<FileRegistry>,
    #[serde(default)]
    masking: Vec<FileMask>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRegistry {
    url: String,
    username: Option<String>,
    password: Option<String>,
    /// Bearer token.
    token: Option<String>,
    /// PEM file of the CA that signed the registry's certificate.
    ca_file: Option<PathBuf>,
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMask {
    /// Regular expression over topic names; every topic when absent.
    topics: Option<String>,
    /// `key`, `value`, `headers`; all three when absent.
    parts: Option<Vec<String>>,
    /// JSON fields (dotted paths, `*` for any field) whose values are replaced.
    fields: Option<Vec<String>>,
    /// Or: a regular expression whose matches are replaced.
    pattern: Option<String>,
    replacement: Option<String>,
}

/// `key` names the registry's table (`clusters[0].schema_registry`) or the flag.
fn registry_config(
    r: FileRegistry,
    timeout: Duration,
    key: &str,
    origin: &str,
) -> Result<SchemaRegistryConfig, ConfigError> {
    let url = &r.url;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError::new(
            origin,
            key,
            format!("'{}' is not an http:// or https:// URL", redact_url(url)),
        ));
    }
    if reqwest::Url::parse(url).map_or(true, |u| u.cannot_be_a_base()) {
        return Err(ConfigError::new(
            origin,
            key,
            format!("'{}' is not a valid URL", redact_url(url)),
        ));
    }
    let ca_pem = match &r.ca_file {
        None => None,
        Some(p) => {
            let pem = std::fs::read(p).map_err(|e| {
                ConfigError::new(
                    origin,
                    format!("{key}.ca_file"),
                    format!("cannot read {}: {e}", p.display()),
                )
            })?;
            match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(c) if !c.is_empty() => {}
                _ => {
                    return Err(ConfigError::new(
                        origin,
                        format!("{key}.ca_file"),
                        format!("{} holds no PEM certificate", p.display()),
                    ))
                }
            }
            Some(pem)
        }
    };
    Ok(SchemaRegistryConfig {
        url: url.clone(),
        username: r.username,
        password: r.password.map(Secret),
        token: r.token.map(Secret),
        ca_pem,
        timeout,
    })
}

fn mask_from_file(
    m: FileMask,
    key: &str,
    origin: &str,
) -> Result<crate::messages::mask::MaskRule, ConfigError> {
    use crate::messages::mask::{MaskKind, MaskRule, Part};
    let err = |k: &str, why: String| ConfigError::new(origin, format!("{key}.{k}"), why);
    let regex = |k: &str, src: &str| {
        regex::Regex::new(src).map_err(|e| err(k, format!("not a valid regular expression: {e}")))
    };
    let topics = regex("topics", m.topics.as_deref().unwrap_or(".*"))?;
    let parts = match m.parts {
        None => vec![Part::Key, Part::Value, Part::Header],
        Some(ps) => ps
            .iter()
            .map(|p| {
                Part::parse(p)
                    .ok_or_else(|| err("parts", format!("'{p}' is not one of key, value, headers")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let replacement = m.replacement.unwrap_or_else(|| "***".into());
    match (m.fields, m.pattern) {
        (Some(f), None) if !f.is_empty() => Ok(MaskRule::fields(topics, parts, &f, &replacement)),
        (None, Some(p)) => Ok(MaskRule {
            topics,
            parts,
            kind: MaskKind::Pattern(regex("pattern", &p)?),
            replacement,
        }),
        _ => Err(ConfigError::new(
            origin,
            key,
            "a masking rule needs either `fields` (a non-empty list) or `pattern`, not both",
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileMetrics {
    url: String,
    kind: Option<String>,
    /// A number (from the file) or a numeric string (from the environment).
    broker: Option<toml::Value>,
    username: Option<String>,
    password: Option<String>,
    max_bytes: Option<usize>,
}

const DEFAULT_METRICS_MAX_BYTES: usize = 64 << 20;
const DEFAULT_REGISTRY_TIMEOUT: Duration = Duration::from_secs(5);

fn metrics_from_file(
    m: FileMetrics,
    key: &str,
    origin: &str,
) -> Result<MetricsSource, ConfigError> {
    let kind = match m.kind.as_deref() {
        None | Some("prometheus") => MetricsKind::Prometheus,
        Some("jolokia") => MetricsKind::Jolokia,
        Some(other) => {
            return Err(ConfigError::new(
                origin,
                format!("{key}.kind"),
                format!("'{other}' is not a metrics kind: use prometheus or jolokia"),
            ))
        }
    };
    let broker = match &m.broker {
        None => None,
        Some(toml::Value::Integer(n)) => i32::try_from(*n).ok(),
        Some(toml::Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    if m.broker.is_some() && broker.is_none() {
        return Err(ConfigError::new(
            origin,
            format!("{key}.broker"),
            "must be a broker id (a number)",
        ));
    }
    metrics_source(&m.url, kind, broker, key, origin).map(|mut s| {
        s.username = m.username;
        s.password = m.password;
        s.max_bytes = m.max_bytes.unwrap_or(DEFAULT_METRICS_MAX_BYTES);
        s
    })
}

fn metrics_source(
    url: &str,
    kind: MetricsKind,
    broker: Option<i32>,
    key: &str,
    origin: &str,
) -> Result<MetricsSource, ConfigError> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .split_once("://")
            .is_some_and(|(_, r)| !r.is_empty() && !r.starts_with('/'));
    if !ok {
        return Err(ConfigError::new(
            origin,
            format!("{key}.url"),
            format!("'{}' is not an http:// or https:// URL", redact_url(url)),
        ));
    }
    Ok(MetricsSource {
        url: url.to_string(),
        kind,
        broker,
        username: None,
        password: None,
        max_bytes: DEFAULT_METRICS_MAX_BYTES,
    })
}

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_STORE: &str = "sqlite://kafscope.db";
const DEFAULT_POLL: Duration = Duration::from_secs(10);
const DEFAULT_STATUS_WINDOW: Duration = Duration::from_secs(600);
const DEFAULT_INACTIVE_AFTER: Duration = Duration::from_secs(24 * 3600);

impl Config {
    /// Build the configuration from flags, the environment and the file the flags name.
    /// Build the configuration from the text of a TOML file (`origin` names it in errors),
    /// the environment and the flags: what [`Config::load`] does once it has read the file.
    pub fn from_toml_str(
        text: &str,
        origin: &str,
        cli: &Cli,
        env: &[(String, String)],
    ) -> Result<Config, ConfigError> {
        let mut doc = text
            .parse::<toml::Table>()
            .map(toml::Value::Table)
            .map_err(|e| ConfigError::new(origin, "(syntax)", one_line(&e.to_string())))?;
        apply_env(&mut doc, env, origin)?;
        let file: FileConfig = FileConfig::deserialize(doc)
            .map_err(|e| ConfigError::new(origin, "(file)", e.message().trim_end().to_string()))?;
        Self::from_file(file, cli, origin)
    }

    pub fn load(cli: &Cli, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let (origin, mut doc) = match &cli.config {
            Some(path) => (path.display().to_string(), read_file(path)?),
            None => (
                "configuration".to_string(),
                toml::Value::Table(Default::default()),
            ),
        };
        apply_env(&mut doc, env, &origin)?;
        let file: FileConfig = FileConfig::deserialize(doc.clone())
            .map_err(|e| ConfigError::new(&origin, "(file)", e.message().trim_end().to_string()))?;
        Self::from_file(file, cli, &origin)
    }

    fn from_file(file: FileConfig, cli: &Cli, origin: &str) -> Result<Config, ConfigError> {
        let embed = embed_config(&file.server, origin)?;
        let listen_s = cli
            .listen
            .clone()
            .or(file.server.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_s.parse().map_err(|_| {
            ConfigError::new(
                origin,
                "server.listen",
                format!("'{listen_s}' is not an address like 127.0.0.1:8080"),
            )
        })?;
        let base_path = normalise_base_path(
            cli.base_path
                .as_deref()
                .or(file.server.base_path.as_deref()),
            origin,
        )?;
        let url = cli
            .store_url
            .clone()
            .or(file.store.url.clone())
            .unwrap_or_else(|| DEFAULT_STORE.to_string());
        let retention = retention(&file.store, origin)?;
        let alerts = file.alerts.build(origin)?;
        let auth = file.auth.build(origin, listen)?;
        if !url.starts_with("sqlite:") {
            return Err(ConfigError::new(
                origin,
                "store.url",
                format!("'{url}' is not supported: use sqlite://PATH"),
            ));
        }

        let mut clusters = Vec::new();
        for (i, c) in file.clusters.into_iter().enumerate() {
            clusters.push(cluster_from_file(c, i, origin)?);
        }
        if let Some(bs) = &cli.bootstrap_servers {
            let poll = match &cli.poll_interval {
                Some(p) => parse_duration(p, origin, "--poll-interval")?,
                None => DEFAULT_POLL,
            };
            clusters.push(ClusterConfig {
                name: cli.cluster_name.clone(),
                bootstrap_servers: bs.clone(),
                poll_interval: poll,
                request_timeout: default_request_timeout(poll),
                config_refresh_interval: Duration::from_secs(300),
                status_window: DEFAULT_STATUS_WINDOW,
                significance: Default::default(),
                inactive_after: DEFAULT_INACTIVE_AFTER,
                read_committed_lag: true,
                read_only: false,
                broker_validation: true,
                client: BTreeMap::new(),
                metrics: cli
                    .metrics_url
                    .iter()
                    .enumerate()
                    .map(|(i, u)| {
                        let (kind, url) = match u.strip_prefix("jolokia+") {
                            Some(rest) => (MetricsKind::Jolokia, rest),
                            None => (MetricsKind::Prometheus, u.as_str()),
                        };
                        metrics_source(url, kind, None, &format!("--metrics-url[{i}]"), origin)
                    })
                    .collect::<Result<_, _>>()?,
                describe_log_dirs: true,
                bootstrap_controllers: Vec::new(),
                schema_registry: cli
                    .schema_registry_url
                    .as_deref()
                    .map(|u| {
                        let r = FileRegistry {
                            url: u.to_string(),
                            username: None,
                            password: None,
                            token: None,
                            ca_file: None,
                            timeout: None,
                        };
                        registry_config(
                            r,
                            DEFAULT_REGISTRY_TIMEOUT,
                            "--schema-registry-url",
                            origin,
                        )
                    })
                    .transpose()?,
                masking: Vec::new(),
            });
        } else if let Some(p) = &cli.poll_interval {
            let poll = parse_duration(p, origin, "--poll-interval")?;
            for c in &mut clusters {
                c.poll_interval = poll;
            }
        }
        if let Some(w) = &cli.status_window {
            let w = parse_duration(w, origin, "--status-window")?;
            for c in &mut clusters {
                c.status_window = w;
            }
        }
        if clusters.is_empty() {
            return Err(ConfigError::new(
                origin,
                "clusters",
                "no cluster configured: pass --bootstrap-servers HOST:PORT or add a [[clusters]] table",
            ));
        }
        for (i, c) in clusters.iter().enumerate() {
            validate_cluster(c, i, origin)?;
            if clusters[..i].iter().any(|o| o.name == c.name) {
                return Err(ConfigError::new(
                    origin,
                    format!("clusters[{i}].name"),
                    format!("cluster name '{}' is used twice", c.name),
                ));
            }
        }
        Ok(Config {
            server: ServerConfig {
                listen,
                base_path,
                web_dir: cli.web_dir.clone().or(file.server.web_dir),
                admin_token: file
                    .server
                    .admin_token
                    .filter(|t| !t.is_empty())
                    .map(Secret),
                embed,
            },
            store: StoreConfig { url, retention },
            clusters,
            alerts,
            auth,
        })
    }
}

/// A boolean that may come from the environment as `true`/`false`.
fn flag(v: &Option<toml::Value>, origin: &str, key: &str) -> Result<Option<bool>, ConfigError> {
    match v {
        None => Ok(None),
        Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
        Some(toml::Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(other) => Err(ConfigError::new(
            origin,
            key,
            format!("expected true or false, got {other}"),
        )),
    }
}

/// A list of origins: a TOML list, or one string separated by commas or spaces (the
/// environment's form).
fn origins(v: &Option<toml::Value>, origin: &str, key: &str) -> Result<Vec<String>, ConfigError> {
    let raw: Vec<String> = match v {
        None => Vec::new(),
        Some(toml::Value::String(s)) => s
            .split([',', ' '])
            .filter(|x| !x.trim().is_empty())
            .map(String::from)
            .collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str().map(String::from).ok_or_else(|| {
                    ConfigError::new(origin, key, "expected a list of origins (strings)")
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ConfigError::new(
                origin,
                key,
                "expected a list of origins like [\"https://portal.example.com\"]",
            ))
        }
    };
    raw.iter()
        .map(|o| crate::embed::parse_origin(o).map_err(|e| ConfigError::new(origin, key, e)))
        .collect()
}

fn embed_config(f: &FileServer, origin: &str) -> Result<crate::embed::EmbedConfig, ConfigError> {
    let d = crate::embed::EmbedConfig::default();
    let key = |k: &Option<String>, name: &str| -> Result<Option<Secret>, ConfigError> {
        match k.as_deref().filter(|k| !k.is_empty()) {
            None => Ok(None),
            Some(k) if k.len() < 32 => Err(ConfigError::new(
                origin,
                format!("server.{name}"),
                "an embed key must be at least 32 characters (make one with: openssl rand -base64 32)",
            )),
            Some(k) => Ok(Some(Secret(k.to_string()))),
        }
    };
    let ttl = |v: &Option<String>, name: &str, dflt| match v {
        Some(t) => parse_duration(t, origin, &format!("server.{name}")),
        None => Ok(dflt),
    };
    let link_ttl = ttl(&f.embed_link_ttl, "embed_link_ttl", d.link_ttl)?;
    let link_max_ttl = ttl(&f.embed_link_max_ttl, "embed_link_max_ttl", d.link_max_ttl)?;
    if link_max_ttl > Duration::from_secs(366 * 24 * 3600) {
        return Err(ConfigError::new(
            origin,
            "server.embed_link_max_ttl",
            "at most a year: a link is a capability anyone holding it can use",
        ));
    }
    if link_ttl < Duration::from_secs(1) || link_ttl > link_max_ttl {
        return Err(ConfigError::new(
            origin,
            "server.embed_link_ttl",
            format!(
                "must be more than 0 and at most embed_link_max_ttl ({})",
                humantime::format_duration(link_max_ttl)
            ),
        ));
    }
    Ok(crate::embed::EmbedConfig {
        frame_ancestors: origins(&f.frame_ancestors, origin, "server.frame_ancestors")?,
        cors_origins: origins(&f.cors_origins, origin, "server.cors_origins")?,
        key: key(&f.embed_key, "embed_key")?,
        previous_key: key(&f.embed_key_previous, "embed_key_previous")?,
        link_ttl,
        link_max_ttl,
        public_badges: flag(&f.public_badges, origin, "server.public_badges")?.unwrap_or(false),
    })
}

fn retention(f: &FileStore, origin: &str) -> Result<crate::store::Retention, ConfigError> {
    let d = crate::store::Retention::default();
    let get = |v: &Option<String>, key: &str, default: Duration| match v {
        Some(s) => parse_duration(s, origin, key),
        None => Ok(default),
    };
    let r = crate::store::Retention {
        raw: get(&f.raw_retention, "store.raw_retention", d.raw)?,
        minute: get(&f.minute_retention, "store.minute_retention", d.minute)?,
        hour: get(&f.hour_retention, "store.hour_retention", d.hour)?,
    };
    if r.raw < Duration::from_secs(3600) || r.raw > r.minute || r.minute > r.hour {
        return Err(ConfigError::new(
            origin,
            "store",
            "retention must satisfy 1h <= raw_retention <= minute_retention <= hour_retention",
        ));
    }
    Ok(r)
}

fn read_file(path: &Path) -> Result<toml::Value, ConfigError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(&origin, "(file)", format!("cannot read: {e}")))?;
    text.parse::<toml::Table>()
        .map(toml::Value::Table)
        .map_err(|e| ConfigError::new(&origin, "(syntax)", one_line(&e.to_string())))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn default_request_timeout(poll: Duration) -> Duration {
    poll.clamp(Duration::from_secs(1), Duration::from_secs(10))
}

fn cluster_from_file(c: FileCluster, i: usize, origin: &str) -> Result<ClusterConfig, ConfigError> {
    let key = |k: &str| format!("clusters[{i}].{k}");
    let poll = match &c.poll_interval {
        Some(s) => parse_duration(s, origin, &key("poll_interval"))?,
        None => DEFAULT_POLL,
    };
    let request_timeout = match &c.request_timeout {
        Some(s) => parse_duration(s, origin, &key("request_timeout"))?,
        None => default_request_timeout(poll),
    };
    let config_refresh_interval = match &c.config_refresh_interval {
        Some(s) => parse_duration(s, origin, &key("config_refresh_interval"))?,
        None => Duration::from_secs(300),
    };
    let status_window = match &c.status_window {
        Some(s) => parse_duration(s, origin, &key("status_window"))?,
        None => DEFAULT_STATUS_WINDOW,
    };
    let mut significance = crate::lag::status::Significance::default();
    match &c.significant_lag_messages {
        None => {}
        Some(v) => {
            let n = match v {
                toml::Value::Integer(n) => Some(*n),
                toml::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            significance.messages = n.filter(|n| *n >= 1).ok_or_else(|| {
                ConfigError::new(
                    origin,
                    key("significant_lag_messages"),
                    format!("expected a number of messages ≥ 1, got {v}"),
                )
            })?;
        }
    }
    if let Some(t) = &c.significant_lag_time {
        significance.seconds =
            parse_duration(t, origin, &key("significant_lag_time"))?.as_secs_f64();
    }
    let read_only = match &c.read_only {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(toml::Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(other) => {
            return Err(ConfigError::new(
                origin,
                key("read_only"),
                format!("expected true or false, got {other}"),
            ))
        }
    };
    let mut client = BTreeMap::new();
    for (k, v) in c.client {
        let s = match v {
            toml::Value::String(s) => s,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => {
                return Err(ConfigError::new(
                    origin,
                    key(&format!("client.\"{k}\"")),
                    "librdkafka properties are strings, numbers or booleans",
                ))
            }
        };
        client.insert(k, s);
    }
    let metrics = c
        .metrics
        .into_iter()
        .enumerate()
        .map(|(j, m)| metrics_from_file(m, &key(&format!("metrics[{j}]")), origin))
        .collect::<Result<Vec<_>, _>>()?;
    let schema_registry = match c.schema_registry {
        None => None,
        Some(r) => {
            let timeout = match &r.timeout {
                Some(t) => parse_duration(t, origin, &key("schema_registry.timeout"))?,
                None => DEFAULT_REGISTRY_TIMEOUT,
            };
            Some(registry_config(
                r,
                timeout,
                &key("schema_registry"),
                origin,
            )?)
        }
    };
    let masking = c
        .masking
        .into_iter()
        .enumerate()
        .map(|(j, m)| mask_from_file(m, &key(&format!("masking[{j}]")), origin))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClusterConfig {
        name: c.name,
        bootstrap_servers: c.bootstrap_servers,
        poll_interval: poll,
        request_timeout,
        config_refresh_interval,
        status_window,
        significance,
        inactive_after: match &c.inactive_after {
            Some(s) => parse_duration(s, origin, &key("inactive_after"))?,
            None => DEFAULT_INACTIVE_AFTER,
        },
        read_committed_lag: c.read_committed_lag.unwrap_or(true),
        read_only,
        broker_validation: c.broker_validation.unwrap_or(true),
        client,
        metrics,
        describe_log_dirs: c.describe_log_dirs.unwrap_or(true),
        bootstrap_controllers: match &c.bootstrap_controllers {
            Some(list) => host_ports(list)
                .map_err(|bad| ConfigError::new(origin, key("bootstrap_controllers"), bad))?,
            None => Vec::new(),
        },
        schema_registry,
        masking,
    })
}

/// `host:port,host:port` (a `SCHEME://` prefix is allowed); the error names the bad entry.
pub fn host_ports(list: &str) -> Result<Vec<(String, u16)>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let hostport = s.rsplit_once("://").map_or(s, |(_, rest)| rest);
            hostport
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)))
                .filter(|(h, _)| !h.is_empty())
                .ok_or_else(|| format!("'{s}' is not HOST:PORT"))
        })
        .collect()
}

fn validate_cluster(c: &ClusterConfig, i: usize, origin: &str) -> Result<(), ConfigError> {
    let key = |k: &str| format!("clusters[{i}].{k}");
    let name_ok = !c.name.is_empty()
        && c.name.len() <= 64
        && c.name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
    if !name_ok {
        return Err(ConfigError::new(
            origin,
            key("name"),
            format!(
                "'{}' is not a valid cluster name: use 1-64 letters, digits, '-', '_' or '.'",
                c.name
            ),
        ));
    }
    if c.bootstrap_servers.trim().is_empty() {
        return Err(ConfigError::new(
            origin,
            key("bootstrap_servers"),
            "is empty",
        ));
    }
    for server in c.bootstrap_servers.split(',') {
        let s = server.trim();
        let hostport = s.rsplit_once("://").map_or(s, |(_, rest)| rest);
        let ok = hostport
            .rsplit_once(':')
            .map(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
            .unwrap_or(false);
        if !ok {
            return Err(ConfigError::new(
                origin,
                key("bootstrap_servers"),
                format!("'{s}' is not HOST:PORT"),
            ));
        }
    }
    if c.poll_interval < Duration::from_millis(100) {
        return Err(ConfigError::new(
            origin,
            key("poll_interval"),
            "must be at least 100ms",
        ));
    }
    if c.status_window < c.poll_interval * 2 {
        return Err(ConfigError::new(
            origin,
            key("status_window"),
            "must be at least two poll intervals",
        ));
    }
    if c.client.contains_key("bootstrap.servers") {
        return Err(ConfigError::new(
            origin,
            key("client.\"bootstrap.servers\""),
            "set bootstrap_servers on the cluster instead",
        ));
    }
    Ok(())
}

fn normalise_base_path(raw: Option<&str>, origin: &str) -> Result<String, ConfigError> {
    let raw = raw.unwrap_or("/").trim();
    if !raw.starts_with('/') {
        return Err(ConfigError::new(
            origin,
            "server.base_path",
            format!("'{raw}' must start with '/'"),
        ));
    }
    let ok = raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    if !ok || raw.contains("//") {
        return Err(ConfigError::new(
            origin,
            "server.base_path",
            format!("'{raw}' may hold only letters, digits, '/', '-', '_' and '.'"),
        ));
    }
    let trimmed = raw.trim_end_matches('/');
    Ok(if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    })
}

/// Parse `10s`, `500ms`, `2m` (humantime syntax) with a clear error.
pub fn parse_duration(s: &str, origin: &str, key: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(s.trim()).map_err(|e| {
        ConfigError::new(
            origin,
            key,
            format!("'{s}' is not a duration like 10s or 500ms ({e})"),
        )
    })
}

/// Apply `KAFSCOPE_A__B__0__C=value` overrides onto the TOML document.
fn apply_env(
    doc: &mut toml::Value,
    env: &[(String, String)],
    origin: &str,
) -> Result<(), ConfigError> {
    let mut vars: Vec<&(String, String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with("KAFSCOPE_") && k.contains("__"))
        .collect();
    vars.sort();
    for (k, v) in vars {
        let path: Vec<String> = k["KAFSCOPE_".len()..]
            .split("__")
            .map(|p| p.to_ascii_lowercase())
            .collect();
        set_path(doc, &path, v, k).map_err(|reason| ConfigError::new(origin, k.clone(), reason))?;
    }
    Ok(())
}

fn set_path(doc: &mut toml::Value, path: &[String], value: &str, var: &str) -> Result<(), String> {
    let mut cur = doc;
    let mut in_client = false;
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        let seg = if in_client {
            seg.replace('_', ".")
        } else {
            seg.clone()
        };
        if let Ok(idx) = seg.parse::<usize>() {
            let arr = match cur {
                toml::Value::Array(a) => a,
                _ => {
                    return Err(format!(
                        "{var}: '{seg}' indexes something that is not a list"
                    ))
                }
            };
            while arr.len() <= idx {
                arr.push(toml::Value::Table(Default::default()));
            }
            if last {
                return Err(format!("{var}: a list item cannot be set to a plain value"));
            }
            cur = &mut arr[idx];
            continue;
        }
        let table = match cur {
            toml::Value::Table(t) => t,
            _ => {
                return Err(format!(
                    "{var}: '{seg}' is inside a value that is not a table"
                ))
            }
        };
        if last {
            table.insert(seg, toml::Value::String(value.to_string()));
            return Ok(());
        }
        let next_is_index = path[i + 1].parse::<usize>().is_ok();
        let entry = table.entry(seg.clone()).or_insert_with(|| {
            if next_is_index {
                toml::Value::Array(vec![])
            } else {
                toml::Value::Table(Default::default())
            }
        });
        in_client = seg == "client";
        cur = entry;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> Cli {
        Cli {
            cluster_name: "local".into(),
            ..Default::default()
        }
    }

    fn load_str(toml_text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kafscope.toml");
        std::fs::write(&path, toml_text).unwrap();
        let mut c = cli();
        c.config = Some(path);
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(&c, &env)
    }

    #[test]
    fn quick_start_needs_no_file() {
        let mut c = cli();
        c.bootstrap_servers = Some("127.0.0.1:9092".into());
        let cfg = Config::load(&c, &[]).unwrap();
        assert_eq!(cfg.clusters.len(), 1);
        assert_eq!(cfg.clusters[0].name, "local");
        assert_eq!(cfg.clusters[0].poll_interval, Duration::from_secs(10));
        assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(cfg.server.base_path, "/");
    }

    #[test]
    fn urls_are_shown_without_credentials_or_queries() {
        assert_eq!(
            redact_url("https://u:p@reg:8081/path"),
            "https://reg:8081/path"
        );
        assert_eq!(redact_url("http://reg:8081"), "http://reg:8081");
        assert_eq!(
            redact_url("https://key:ab%2Fcd@reg/x?apikey=s3cret#f"),
            "https://reg/x"
        );
        // Not parseable (a secret with a raw '/', no scheme): nothing of it is repeated.
        assert_eq!(redact_url("https://key:ab/cd@reg/"), "<invalid URL>");
        assert_eq!(redact_url("user:pass@reg:8081"), "<invalid URL>");
    }

    #[test]
    fn no_cluster_is_a_clear_error() {
        let err = Config::load(&cli(), &[]).unwrap_err().to_string();
        assert!(err.contains("no cluster configured"), "{err}");
    }

    #[test]
    fn full_file_with_several_clusters_and_client_properties() {
        let cfg = load_str(
            r#"
            [server]
            listen = "0.0.0.0:9000"
            base_path = "/kafka/"
            [auth]
            mode = "none"
            anonymous_role = "viewer"
            [store]
            url = "sqlite://x.db"
            [[clusters]]
            name = "prod"
            bootstrap_servers = "b1:9092,b2:9092"
            poll_interval = "30s"
            read_only = true
            [clusters.client]
            "security.protocol" = "SASL_SSL"
            "sasl.password" = "hunter2"
            "socket.timeout.ms" = 5000
            [[clusters]]
            name = "dev"
            bootstrap_servers = "localhost:9092"
            "#,
            &[],
        )
        .unwrap();
        assert_eq!(cfg.server.base_path, "/kafka");
        assert_eq!(cfg.clusters.len(), 2);
        let prod = &cfg.clusters[0];
        assert!(prod.read_only);
        assert_eq!(prod.poll_interval, Duration::from_secs(30));
        assert_eq!(prod.client["socket.timeout.ms"], "5000");
        let dbg = format!("{prod:?}");
        assert!(!dbg.contains("hunter2"), "secret leaked into Debug: {dbg}");
        assert!(dbg.contains("<redacted>"));
    }

    #[test]
    fn embedding_keys_are_read_and_checked() {
        let cfg = load_str(
            r#"
            [server]
            frame_ancestors = ["https://Portal.example/", "https://*.corp.example"]
            embed_link_ttl = "10m"
            public_badges = true
            [[clusters]]
            name = "c"
            bootstrap_servers = "k:9092"
            "#,
            &[
                (
                    "KAFSCOPE_SERVER__CORS_ORIGINS",
                    "https://a.example, http://localhost:3000",
                ),
                (
                    "KAFSCOPE_SERVER__EMBED_KEY",
                    "k3y-that-is-long-enough-for-hmac-use",
                ),
            ],
        )
        .unwrap();
        let e = &cfg.server.embed;
        assert_eq!(
            e.frame_ancestors,
            vec!["https://portal.example", "https://*.corp.example"]
        );
        assert_eq!(
            e.cors_origins,
            vec!["https://a.example", "http://localhost:3000"]
        );
        assert_eq!(e.link_ttl, Duration::from_secs(600));
        assert!(e.public_badges);
        assert!(e.key.is_some());
        for (toml_text, key) in [
            (
                "[server]\nframe_ancestors = [\"portal\"]",
                "server.frame_ancestors",
            ),
            ("[server]\nembed_key = \"short\"", "server.embed_key"),
            (
                "[server]\nembed_link_ttl = \"48h\"",
                "server.embed_link_ttl",
            ),
            ("[server]\npublic_badges = \"yes\"", "server.public_badges"),
        ] {
            let err = load_str(
                &format!("{toml_text}\n[[clusters]]\nname = \"c\"\nbootstrap_servers = \"k:9092\""),
                &[],
            )
            .unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn env_overrides_file_and_maps_client_underscores_to_dots() {
        let cfg = load_str(
            r#"
            [[clusters]]
            name = "prod"
            bootstrap_servers = "b1:9092"
            "#,
            &[
                ("KAFSCOPE_SERVER__LISTEN", "127.0.0.1:7000"),
                ("KAFSCOPE_CLUSTERS__0__POLL_INTERVAL", "2s"),
                ("KAFSCOPE_CLUSTERS__0__CLIENT__SASL_USERNAME", "me"),
                ("KAFSCOPE_CLUSTERS__0__READ_ONLY", "true"),
            ],
        )
        .unwrap();
        assert_eq!(cfg.server.listen.port(), 7000);
        assert_eq!(cfg.clusters[0].poll_interval, Duration::from_secs(2));
        assert_eq!(cfg.clusters[0].client["sasl.username"], "me");
        assert!(cfg.clusters[0].read_only);
    }

    #[test]
    fn bad_values_name_file_key_and_reason() {
        let err = load_str(
            "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\npoll_interval = \"ten\"\n",
            &[],
        )
        .unwrap_err();
        assert!(err.origin.ends_with("kafscope.toml"));
        assert_eq!(err.key, "clusters[0].poll_interval");
        assert!(err.reason.contains("'ten'"), "{err}");

        let err = load_str(
            "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"nohost\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(err.key, "clusters[0].bootstrap_servers");

        let err = load_str("[server]\nlisten = \"nope\"\n", &[]).unwrap_err();
        assert_eq!(err.key, "server.listen");

        let err = load_str("[server]\nlisen = \"x\"\n", &[]).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");

        let err = load_str("[[clusters]\n", &[]).unwrap_err();
        assert_eq!(err.key, "(syntax)");
        assert!(!err.to_string().contains('\n'));

        let err = load_str(
            "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\n[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:2\"\n",
            &[],
        )
        .unwrap_err();
        assert!(err.reason.contains("used twice"));
    }

    #[test]
    fn secret_keys_are_recognised() {
        assert!(is_secret_key("sasl.password"));
        assert!(is_secret_key("ssl.key.password"));
        assert!(is_secret_key("sasl.oauthbearer.client.secret"));
        assert!(is_secret_key("ssl.key.pem"));
        assert!(!is_secret_key("security.protocol"));
        assert!(!is_secret_key("cleanup.policy"));
    }

    #[test]
    fn bootstrap_controllers_are_host_ports_and_a_bad_one_is_named() {
        let cfg = load_str(
            r#"
            [[clusters]]
            name = "prod"
            bootstrap_servers = "b1:9092"
            bootstrap_controllers = "c1:9093, CONTROLLER://c2:9093"
            "#,
            &[],
        )
        .unwrap();
        assert_eq!(
            cfg.clusters[0].bootstrap_controllers,
            vec![("c1".to_string(), 9093), ("c2".to_string(), 9093)]
        );
        let err = load_str(
            r#"
            [[clusters]]
            name = "prod"
            bootstrap_servers = "b1:9092"
            bootstrap_controllers = "c1"
            "#,
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("bootstrap_controllers") && err.contains("'c1' is not HOST:PORT"),
            "{err}"
        );
    }

    #[test]
    fn metrics_endpoints_from_file_env_and_flags_with_secrets_kept_in() {
        let cfg = load_str(
            r#"
            [[clusters]]
            name = "prod"
            bootstrap_servers = "b1:9092"
            describe_log_dirs = false
            [[clusters.metrics]]
            url = "http://exporter:s3cret@b1:7071/metrics"
            broker = 1
            [[clusters.metrics]]
            url = "http://b2:8778/jolokia"
            kind = "jolokia"
            username = "jmx"
            password = "hunter2"
            "#,
            &[("KAFSCOPE_CLUSTERS__0__METRICS__1__BROKER", "2")],
        )
        .unwrap();
        let c = &cfg.clusters[0];
        assert!(!c.describe_log_dirs);
        assert_eq!(c.metrics.len(), 2);
        assert_eq!(c.metrics[0].kind, MetricsKind::Prometheus);
        assert_eq!(c.metrics[0].broker, Some(1));
        assert_eq!(c.metrics[0].display_url(), "http://b1:7071/metrics");
        assert_eq!(c.metrics[1].kind, MetricsKind::Jolokia);
        assert_eq!(c.metrics[1].broker, Some(2));
        assert_eq!(c.metrics[1].password.as_deref(), Some("hunter2"));
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2") && !dbg.contains("s3cret"), "{dbg}");

        let err = load_str(
            "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\n[[clusters.metrics]]\nurl = \"ftp://x\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(err.key, "clusters[0].metrics[0].url");
        let err = load_str(
            "[[clusters]]\nname = \"a\"\nbootstrap_servers = \"h:1\"\n[[clusters.metrics]]\nurl = \"http://x/m\"\nkind = \"jmx\"\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(err.key, "clusters[0].metrics[0].kind");
        assert!(err.reason.contains("prometheus or jolokia"), "{err}");

        let mut c = cli();
        c.bootstrap_servers = Some("h:1".into());
        c.metrics_url = vec![
            "http://h:7071/metrics".into(),
            "jolokia+http://h:8778/jolokia".into(),
        ];
        let cfg = Config::load(&c, &[]).unwrap();
        assert_eq!(cfg.clusters[0].metrics[1].kind, MetricsKind::Jolokia);
        assert_eq!(cfg.clusters[0].metrics[1].url, "http://h:8778/jolokia");
    }
}
