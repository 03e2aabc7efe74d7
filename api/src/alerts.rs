//! Alerts, rules, receivers and deliveries as the API shows them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Severity;

/// `GET /api/v1/alerts`: an alert instance (firing, pending, or resolved in the last hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertItem {
    pub fingerprint: String,
    pub cluster: String,
    pub rule: String,
    /// `pending`, `firing` or `resolved`.
    pub state: String,
    pub severity: Severity,
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub value: Option<f64>,
    /// When the condition started to hold.
    pub active_since: String,
    pub firing_since: Option<String>,
    pub resolved_at: Option<String>,
    /// The UI page of what the alert concerns, relative to the console's base path.
    pub link: String,
    /// The active silence covering it (notifications held back).
    pub silenced_by: Option<i64>,
    /// Who acknowledged this firing episode (repeats stop), when, and why.
    pub acked_by: Option<String>,
    pub acked_at: Option<String>,
    pub ack_comment: Option<String>,
}

/// `GET /api/v1/alerts/silences`; `POST` takes `{matchers, duration | ends_at, starts_at?,
/// comment}` and answers `{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SilenceItem {
    pub id: i64,
    pub matchers: BTreeMap<String, String>,
    pub starts_at: String,
    pub ends_at: String,
    pub author: String,
    pub comment: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSilence {
    /// Labels an alert must all carry (e.g. `{"alertname": "consumer_stalled", "group": "x"}`).
    pub matchers: BTreeMap<String, String>,
    /// How long, e.g. `2h`; or `ends_at` (RFC 3339).
    pub duration: Option<String>,
    pub ends_at: Option<String>,
    pub starts_at: Option<String>,
    pub comment: String,
}

/// `POST /api/v1/alerts/ack`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AckRequest {
    pub fingerprint: String,
    pub comment: String,
}

/// `GET /api/v1/audit`: who tried to change what, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditItem {
    pub id: i64,
    pub at: String,
    /// The authenticated actor: a user, a token's name, a proxy user.
    pub actor: String,
    /// `user`, `token`, `proxy`, `anonymous`, `embed`.
    #[serde(default)]
    pub actor_kind: String,
    #[serde(default)]
    pub source_addr: Option<String>,
    pub action: String,
    #[serde(default)]
    pub cluster: Option<String>,
    pub target: String,
    /// `done`, `refused` (the missing permission in `detail`) or `failed`.
    #[serde(default)]
    pub outcome: String,
    pub detail: serde_json::Value,
}

/// `GET /api/v1/alerts/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleItem {
    pub id: String,
    pub enabled: bool,
    /// `null`: the severity of the problem the rule watches.
    pub severity: Option<Severity>,
    pub for_seconds: u64,
    /// The condition in words, e.g. `consumer group status in [stalled, stopped, data_loss]`.
    pub condition: String,
    pub clusters: Vec<String>,
    pub groups: Vec<String>,
    pub topics: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// `built-in`, `config` (changed or added in the file) or `api` (changed or added
    /// through `POST /api/v1/alerts/rules`, removable with `DELETE`).
    pub source: String,
    pub firing: usize,
    pub pending: usize,
}

/// `GET /api/v1/alerts/receivers`: never the URL's credentials nor header values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiverItem {
    pub name: String,
    pub url: String,
    /// `generic` or `alertmanager`.
    pub format: String,
    pub min_severity: Severity,
    pub clusters: Vec<String>,
    /// Names of the headers sent (values are secrets and stay on the server).
    pub headers: Vec<String>,
}

/// `GET /api/v1/alerts/deliveries`: the outbox, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryItem {
    pub id: i64,
    pub idempotency_key: String,
    pub receiver: String,
    pub created_at: String,
    pub attempts: i64,
    /// `pending`, `delivered` or `dead` (given up after `max_age`).
    pub state: String,
    pub last_error: Option<String>,
    pub delivered_at: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// `GET /api/v1/alerts/history`: one past (or ongoing) firing episode of an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertEpisode {
    pub fingerprint: String,
    pub cluster: String,
    pub rule: String,
    pub severity: String,
    pub summary: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub fired_at: String,
    /// `null` while it still fires.
    pub resolved_at: Option<String>,
    /// How long it fired (so far).
    pub duration_seconds: u64,
    /// A silence held its notification back.
    pub silenced: bool,
    /// Who made a silence that matched the alert while it fired.
    pub silence_author: Option<String>,
    pub acked_by: Option<String>,
    pub ack_comment: Option<String>,
    /// The console page of what it concerned.
    pub link: String,
}

/// `POST /alerts/ack`: the alert acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Acknowledged {
    /// The fingerprint of the alert.
    pub acknowledged: String,
}

/// `POST /alerts/receivers/{name}/test`: the test notification queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestQueued {
    /// The key of the queued delivery (see `/alerts/deliveries`).
    pub idempotency_key: String,
}

/// `POST /alerts/rules`: the rule saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleSaved {
    pub id: String,
}
