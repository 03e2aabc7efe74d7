//! Alerts, rules, receivers and deliveries as the API shows them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Severity;

/// `GET /api/v1/alerts`: an alert instance (firing, pending, or resolved in the last hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// `GET /api/v1/alerts/rules`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub labels: BTreeMap<String, String>,
    pub firing: usize,
    pub pending: usize,
}

/// `GET /api/v1/alerts/receivers`: never the URL's credentials nor header values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
