//! The `[alerts]` part of the configuration: receivers, repeat interval, dead-letter age,
//! changes to the built-in rules, and user rules.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use kafscope_api::{LagStatus, Severity};
use serde::Deserialize;

use super::rules::{defaults, Cmp, Condition, Rule};
use crate::config::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Generic,
    Alertmanager,
    Slack,
    Teams,
    PagerDuty,
    /// Alerts pushed to an Alertmanager's API v2, which groups, inhibits and silences them.
    AlertmanagerApi,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Generic => "generic",
            Format::Alertmanager => "alertmanager",
            Format::Slack => "slack",
            Format::Teams => "teams",
            Format::PagerDuty => "pagerduty",
            Format::AlertmanagerApi => "alertmanager_api",
        }
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub name: String,
    pub url: String,
    pub format: Format,
    /// Sent with every request (e.g. `Authorization`); values never leave the server.
    pub headers: BTreeMap<String, String>,
    pub min_severity: Severity,
    /// Only alerts of these clusters (empty: all).
    pub clusters: Vec<String>,
    /// Only alerts carrying all of these labels with these values.
    pub match_labels: BTreeMap<String, String>,
    /// Title and text templates (see `payload::fill`).
    pub title: String,
    pub text: String,
    /// PagerDuty integration key (a secret).
    pub routing_key: Option<String>,
    /// How its notifications are grouped (not for `alertmanager_api`).
    pub grouping: super::grouping::GroupSettings,
    /// `alertmanager_api`: firing alerts are pushed again this often (and end three resends
    /// later unless pushed again).
    pub resend_interval: Duration,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("name", &self.name)
            .field("url", &crate::config::redact_url(&self.url))
            .field("format", &self.format)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("min_severity", &self.min_severity)
            .finish()
    }
}

impl Receiver {
    pub fn wants(&self, cluster: &str, severity: Severity) -> bool {
        severity >= self.min_severity
            && (self.clusters.is_empty() || self.clusters.iter().any(|c| c == cluster))
    }

    /// Routing: severity, cluster and labels.
    pub fn routes(&self, labels: &BTreeMap<String, String>, severity: Severity) -> bool {
        let cluster = labels.get("cluster").map(String::as_str).unwrap_or("");
        self.wants(cluster, severity)
            && self
                .match_labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
    }
}

#[derive(Debug, Clone)]
pub struct AlertsConfig {
    pub repeat_interval: Duration,
    /// A notification not delivered after this long becomes a dead letter.
    pub max_age: Duration,
    /// The console's URL as receivers should link to it (`http://kafscope.example`).
    pub external_url: String,
    pub receivers: Vec<Receiver>,
    pub rules: Vec<Rule>,
    /// Consumer groups no group rule alerts on (tools' throwaway groups), matched whole.
    pub ignore_groups: Vec<regex::Regex>,
}

/// Groups Kafka's own tools create and abandon: `kafka-console-consumer.sh` makes
/// `console-consumer-NNNNN`.
pub const DEFAULT_IGNORED_GROUPS: &[&str] = &["console-consumer-[0-9]+"];

fn whole(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            repeat_interval: Duration::from_secs(4 * 3600),
            max_age: Duration::from_secs(24 * 3600),
            external_url: String::new(),
            receivers: Vec::new(),
            rules: defaults(),
            ignore_groups: DEFAULT_IGNORED_GROUPS
                .iter()
                .filter_map(|p| whole(p).ok())
                .collect(),
        }
    }
}

impl AlertsConfig {
    /// Whether group rules leave this group alone.
    pub fn ignores(&self, group: &str) -> bool {
        self.ignore_groups.iter().any(|r| r.is_match(group))
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileAlerts {
    repeat_interval: Option<String>,
    max_age: Option<String>,
    external_url: Option<String>,
    #[serde(default)]
    receivers: Vec<FileReceiver>,
    #[serde(default)]
    rules: Vec<FileRule>,
    /// Regular expressions (matched whole) of groups no group rule alerts on.
    ignore_groups: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileReceiver {
    name: String,
    url: String,
    format: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    min_severity: Option<String>,
    #[serde(default)]
    clusters: Vec<String>,
    #[serde(default, rename = "match")]
    match_labels: BTreeMap<String, String>,
    title: Option<String>,
    text: Option<String>,
    routing_key: Option<String>,
    /// Labels whose values make a group (default `["alertname", "cluster"]`; `["..."]`:
    /// every alert alone).
    group_by: Option<Vec<String>>,
    group_wait: Option<String>,
    group_interval: Option<String>,
    resend_interval: Option<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    id: String,
    /// For a user rule: `group_lag`, `group_lag_seconds`, `group_status`, `broker_metric`.
    kind: Option<String>,
    enabled: Option<bool>,
    #[serde(rename = "for")]
    for_: Option<String>,
    severity: Option<String>,
    metric: Option<String>,
    cmp: Option<String>,
    threshold: Option<f64>,
    #[serde(default)]
    statuses: Vec<String>,
    #[serde(default)]
    clusters: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl FileRule {
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn severity(s: &str, origin: &str, key: &str) -> Result<Severity, ConfigError> {
    match s {
        "info" => Ok(Severity::Info),
        "warning" => Ok(Severity::Warning),
        "critical" => Ok(Severity::Critical),
        other => Err(ConfigError::new(
            origin,
            key,
            format!("'{other}' is not a severity: use info, warning or critical"),
        )),
    }
}

fn duration(s: &str, origin: &str, key: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(s).map_err(|_| {
        ConfigError::new(
            origin,
            key,
            format!("'{s}' is not a duration like 5m or 1h"),
        )
    })
}

fn status(s: &str) -> Option<LagStatus> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

impl FileAlerts {
    pub fn build(self, origin: &str) -> Result<AlertsConfig, ConfigError> {
        let d = AlertsConfig::default();
        let mut cfg = AlertsConfig {
            repeat_interval: match &self.repeat_interval {
                Some(s) => duration(s, origin, "alerts.repeat_interval")?,
                None => d.repeat_interval,
            },
            max_age: match &self.max_age {
                Some(s) => duration(s, origin, "alerts.max_age")?,
                None => d.max_age,
            },
            external_url: self.external_url.unwrap_or_default(),
            receivers: Vec::new(),
            rules: d.rules,
            ignore_groups: match &self.ignore_groups {
                None => d.ignore_groups,
                Some(list) => list
                    .iter()
                    .map(|p| {
                        whole(p).map_err(|e| {
                            ConfigError::new(
                                origin,
                                "alerts.ignore_groups",
                                format!("'{p}' is not a valid regular expression: {e}"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            },
        };
        for (i, r) in self.receivers.into_iter().enumerate() {
            let key = |k: &str| format!("alerts.receivers[{i}].{k}");
            if !(r.url.starts_with("http://") || r.url.starts_with("https://")) {
                return Err(ConfigError::new(
                    origin,
                    key("url"),
                    format!(
                        "'{}' is not an http:// or https:// URL",
                        crate::config::redact_url(&r.url)
                    ),
                ));
            }
            let format = match r.format.as_deref() {
                None | Some("generic") => Format::Generic,
                Some("alertmanager") => Format::Alertmanager,
                Some("slack") => Format::Slack,
                Some("teams") => Format::Teams,
                Some("pagerduty") => Format::PagerDuty,
                Some("alertmanager_api") => Format::AlertmanagerApi,
                Some(other) => {
                    return Err(ConfigError::new(
                        origin,
                        key("format"),
                        format!("'{other}' is not a payload format: use generic, alertmanager, alertmanager_api, slack, teams or pagerduty"),
                    ))
                }
            };
            let d = super::grouping::GroupSettings::default();
            let ms = |v: &Option<String>, k: &str, def: i64| -> Result<i64, ConfigError> {
                Ok(match v {
                    Some(s) => duration(s, origin, &key(k))?.as_millis() as i64,
                    None => def,
                })
            };
            let grouping = super::grouping::GroupSettings {
                group_by: r.group_by.clone().unwrap_or(d.group_by),
                group_wait_ms: ms(&r.group_wait, "group_wait", d.group_wait_ms)?,
                group_interval_ms: ms(&r.group_interval, "group_interval", d.group_interval_ms)?,
            };
            let resend_interval = Duration::from_millis(
                ms(&r.resend_interval, "resend_interval", 60_000)?.max(1_000) as u64,
            );
            let url = if format == Format::AlertmanagerApi
                && !r.url.trim_end_matches('/').ends_with("/api/v2/alerts")
            {
                format!("{}/api/v2/alerts", r.url.trim_end_matches('/'))
            } else {
                r.url.clone()
            };
            if format == Format::PagerDuty && r.routing_key.is_none() {
                return Err(ConfigError::new(
                    origin,
                    key("routing_key"),
                    "is required for pagerduty",
                ));
            }
            if cfg.receivers.iter().any(|x| x.name == r.name) {
                return Err(ConfigError::new(
                    origin,
                    key("name"),
                    format!("receiver '{}' is defined twice", r.name),
                ));
            }
            cfg.receivers.push(Receiver {
                name: r.name,
                url,
                grouping,
                resend_interval,
                format,
                headers: r.headers,
                min_severity: match &r.min_severity {
                    Some(s) => severity(s, origin, &key("min_severity"))?,
                    None => Severity::Warning,
                },
                clusters: r.clusters,
                match_labels: r.match_labels,
                title: r.title.unwrap_or_else(|| super::payload::TITLE.to_string()),
                text: r.text.unwrap_or_else(|| super::payload::TEXT.to_string()),
                routing_key: r.routing_key,
            });
        }
        for (i, r) in self.rules.into_iter().enumerate() {
            apply_rule(
                &mut cfg.rules,
                r,
                origin,
                &format!("alerts.rules[{i}]"),
                "config",
            )?;
        }
        Ok(cfg)
    }
}

/// Change a built-in rule (same `id`, no `kind`) or add a rule (new `id` with a `kind`).
/// Used for the configuration file and for rules sent through the API.
pub fn apply_rule(
    rules: &mut Vec<Rule>,
    r: FileRule,
    origin: &str,
    prefix: &str,
    source: &'static str,
) -> Result<(), ConfigError> {
    let key = |k: &str| format!("{prefix}.{k}");
    let existing = rules.iter().position(|x| x.id == r.id);
    let mut rule = match (existing, r.kind.as_deref()) {
        (Some(pos), None) => rules[pos].clone(),
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                origin,
                key("kind"),
                format!(
                "'{}' is a built-in rule: change it without `kind`, or give your rule another id",
                r.id
            ),
            ))
        }
        (None, None) => {
            return Err(ConfigError::new(
                origin,
                key("id"),
                format!(
                    "'{}' is not a built-in rule; a new rule needs a `kind`",
                    r.id
                ),
            ))
        }
        (None, Some(kind)) => {
            let cmp = match r.cmp.as_deref() {
                None => Cmp::Gt,
                Some(c) => Cmp::parse(c).ok_or_else(|| {
                    ConfigError::new(
                        origin,
                        key("cmp"),
                        format!("'{c}' is not one of >, >=, <, <="),
                    )
                })?,
            };
            let need_threshold = || {
                r.threshold.ok_or_else(|| {
                    ConfigError::new(origin, key("threshold"), "is required for this kind")
                })
            };
            let condition = match kind {
                    "group_lag" => Condition::GroupLag(cmp, need_threshold()?),
                    "group_lag_seconds" => Condition::GroupLagSeconds(cmp, need_threshold()?),
                    "group_retention_margin" => {
                        Condition::GroupRetentionMargin(cmp, need_threshold()?)
                    }
                    "group_rebalances" => Condition::GroupRebalances(cmp, need_threshold()?),
                    "group_status" => {
                        let mut set = Vec::new();
                        for s in &r.statuses {
                            set.push(status(s).ok_or_else(|| {
                                ConfigError::new(origin, key("statuses"), format!("'{s}' is not a consumer status"))
                            })?);
                        }
                        if set.is_empty() {
                            return Err(ConfigError::new(origin, key("statuses"), "list at least one status"));
                        }
                        Condition::GroupStatus(set)
                    }
                    "broker_metric" => {
                        let m = r.metric.clone().ok_or_else(|| {
                            ConfigError::new(origin, key("metric"), "is required for broker_metric")
                        })?;
                        if !kafscope_api::KNOWN_METRICS.iter().any(|(k, _, _)| *k == m) {
                            return Err(ConfigError::new(origin, key("metric"), format!("'{m}' is not a known broker metric")));
                        }
                        Condition::BrokerMetric(m, cmp, need_threshold()?)
                    }
                    other => {
                        return Err(ConfigError::new(
                            origin,
                            key("kind"),
                            format!("'{other}' is not a rule kind: use group_lag, group_lag_seconds, group_retention_margin, group_rebalances, group_status or broker_metric"),
                        ))
                    }
                };
            Rule::new(&r.id, Some(Severity::Warning), 0, condition, source)
        }
    };
    if let Some(e) = r.enabled {
        rule.enabled = e;
    }
    if let Some(f) = &r.for_ {
        rule.for_ms = duration(f, origin, &key("for"))?.as_millis() as i64;
    }
    if let Some(s) = &r.severity {
        rule.severity = Some(severity(s, origin, &key("severity"))?);
    }
    if let (Some(t), Some(_)) = (r.threshold, existing) {
        match &mut rule.condition {
            Condition::GroupLag(_, x)
            | Condition::GroupLagSeconds(_, x)
            | Condition::GroupRetentionMargin(_, x)
            | Condition::GroupRebalances(_, x)
            | Condition::BrokerMetric(_, _, x) => *x = t,
            _ => {
                return Err(ConfigError::new(
                    origin,
                    key("threshold"),
                    format!("rule '{}' has no threshold", r.id),
                ))
            }
        }
    }
    if !r.clusters.is_empty() {
        rule.clusters = r.clusters;
    }
    if !r.groups.is_empty() {
        rule.groups = r.groups;
    }
    if !r.topics.is_empty() {
        rule.topics = r.topics;
    }
    rule.labels.extend(r.labels);
    rule.source = source;
    match existing {
        Some(pos) => rules[pos] = rule,
        None => rules.push(rule),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Cli, Config};

    fn load(alerts: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.toml");
        std::fs::write(
            &path,
            format!("[[clusters]]\nname = \"prod\"\nbootstrap_servers = \"h:1\"\n{alerts}"),
        )
        .unwrap();
        let cli = Cli {
            config: Some(path),
            ..Default::default()
        };
        Config::load(&cli, &[])
    }

    #[test]
    fn defaults_without_an_alerts_table() {
        let c = load("").unwrap().alerts;
        assert!(c.receivers.is_empty());
        assert_eq!(c.repeat_interval, Duration::from_secs(4 * 3600));
        assert!(c
            .rules
            .iter()
            .any(|r| r.id == "consumer_stalled" && r.enabled));
    }

    #[test]
    fn receivers_rule_changes_and_user_rules() {
        let c = load(
            r#"
            [alerts]
            repeat_interval = "1h"
            max_age = "2h"
            [[alerts.receivers]]
            name = "pager"
            url = "https://events.example/hook"
            format = "alertmanager"
            min_severity = "critical"
            clusters = ["prod"]
            [alerts.receivers.headers]
            Authorization = "Bearer t0ken"
            [[alerts.rules]]
            id = "consumer_lag"
            threshold = 5000
            for = "10m"
            [[alerts.rules]]
            id = "consumer_slow"
            enabled = false
            [[alerts.rules]]
            id = "rebalances"
            threshold = 10
            [[alerts.rules]]
            id = "orders_slo"
            kind = "group_lag_seconds"
            cmp = ">="
            threshold = 300
            severity = "critical"
            groups = ["orders"]
            labels = { team = "payments" }
            [[alerts.rules]]
            id = "busy"
            kind = "broker_metric"
            metric = "request_handler_idle_ratio"
            cmp = "<"
            threshold = 0.2
            "#,
        )
        .unwrap()
        .alerts;
        assert_eq!(c.repeat_interval, Duration::from_secs(3600));
        assert_eq!(c.max_age, Duration::from_secs(7200));
        let r = &c.receivers[0];
        assert_eq!(r.format, Format::Alertmanager);
        assert!(r.wants("prod", Severity::Critical));
        assert!(!r.wants("prod", Severity::Warning));
        assert!(!r.wants("dev", Severity::Critical));
        assert!(!format!("{r:?}").contains("t0ken"));
        let rule = |id: &str| c.rules.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            rule("consumer_lag").condition,
            Condition::GroupLag(Cmp::Gt, 5000.0)
        );
        assert_eq!(rule("consumer_lag").for_ms, 600_000);
        assert!(!rule("consumer_slow").enabled);
        assert_eq!(
            rule("rebalances").condition,
            Condition::GroupRebalances(Cmp::Gt, 10.0)
        );
        assert_eq!(
            rule("orders_slo").condition,
            Condition::GroupLagSeconds(Cmp::Ge, 300.0)
        );
        assert_eq!(rule("orders_slo").groups, vec!["orders".to_string()]);
        assert_eq!(rule("orders_slo").labels["team"], "payments");
        assert_eq!(
            rule("busy").condition,
            Condition::BrokerMetric("request_handler_idle_ratio".into(), Cmp::Lt, 0.2)
        );
    }

    #[test]
    fn mistakes_name_the_key() {
        for (text, key, words) in [
            ("[[alerts.receivers]]\nname = \"a\"\nurl = \"ftp://x\"\n", "alerts.receivers[0].url", "http"),
            ("[[alerts.receivers]]\nname = \"a\"\nurl = \"http://x\"\nformat = \"xml\"\n", "alerts.receivers[0].format", "generic, alertmanager, alertmanager_api, slack"),
            ("[[alerts.rules]]\nid = \"nope\"\n", "alerts.rules[0].id", "needs a `kind`"),
            ("[[alerts.rules]]\nid = \"x\"\nkind = \"group_lag\"\n", "alerts.rules[0].threshold", "required"),
            ("[[alerts.rules]]\nid = \"x\"\nkind = \"broker_metric\"\nmetric = \"cpu\"\nthreshold = 1\n", "alerts.rules[0].metric", "not a known broker metric"),
            ("[[alerts.rules]]\nid = \"broker_down\"\nthreshold = 3\n", "alerts.rules[0].threshold", "no threshold"),
            ("[[alerts.rules]]\nid = \"consumer_slow\"\nseverity = \"loud\"\n", "alerts.rules[0].severity", "info, warning or critical"),
            ("[alerts]\nrepeat_interval = \"often\"\n", "alerts.repeat_interval", "duration"),
        ] {
            let e = load(text).unwrap_err();
            assert_eq!(e.key, key, "{text}");
            assert!(e.reason.contains(words), "{text}: {e}");
        }
    }
}
