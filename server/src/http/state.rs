//! Shared state of the HTTP layer: the snapshot receivers, the store and the event bus.

use std::sync::Arc;

use kafscope_api::SnapshotEvent;
use tokio::sync::{broadcast, watch};

use super::error::ApiError;
use crate::collect::ClusterSnapshot;
use crate::store::Store;

#[derive(Clone)]
pub struct AppState {
    pub clusters: Arc<Vec<(String, watch::Receiver<Arc<ClusterSnapshot>>)>>,
    /// Each cluster's Kafka client, for request counters.
    pub clients: Arc<Vec<(String, crate::kafka::ClusterClient)>>,
    pub store: Store,
    pub events: broadcast::Sender<SnapshotEvent>,
    /// Current alerts of every cluster, kept by the alert tasks.
    pub alerts: crate::alerts::AlertsView,
    pub alerts_config: Arc<crate::alerts::config::AlertsConfig>,
    pub alert_controls: Arc<crate::alerts::Controls>,
    pub alert_rules: Arc<std::sync::RwLock<Vec<crate::alerts::rules::Rule>>>,
    /// Wakes the delivery worker (a test notification was queued).
    pub alert_wake: Arc<tokio::sync::Notify>,
    /// Who is asking (sessions, tokens, proxies) and what they may do.
    pub auth: Arc<super::auth::Authenticator>,
    /// Message inspection per cluster.
    pub inspectors: Arc<std::collections::BTreeMap<String, Arc<crate::messages::Inspector>>>,
    /// Connection tests by cluster: when the last one started, and whether it still runs.
    pub connection_tests: super::clusters::ConnectionTests,
    /// Each cluster's admin connection for changes, or why changes cannot be made to it.
    pub admins: Arc<std::collections::BTreeMap<String, Result<crate::kafka::admin::Admin, String>>>,
    /// Each cluster's collector, to poll at once after a change.
    pub pollers: Arc<std::collections::BTreeMap<String, crate::collect::Poller>>,
    /// Frames, CORS, embed-link keys and badges.
    pub embed: Arc<crate::embed::Embedding>,
}

impl AppState {
    /// Latest snapshot of a configured cluster, or 404.
    pub fn cluster(&self, name: &str) -> Result<Arc<ClusterSnapshot>, ApiError> {
        self.clusters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, rx)| rx.borrow().clone())
            .ok_or_else(|| ApiError::NotFound(format!("cluster '{name}' is not configured")))
    }

    /// Like [`AppState::cluster`], but 503 while the cluster has never been read, so that a
    /// missing topic or group means "does not exist", not "not known yet".
    pub fn cluster_with_data(&self, name: &str) -> Result<Arc<ClusterSnapshot>, ApiError> {
        let snap = self.cluster(name)?;
        if snap.data_at_ms.is_none() {
            let why = snap
                .last_poll_error
                .clone()
                .unwrap_or_else(|| "the first poll has not finished".into());
            return Err(ApiError::Unavailable(format!(
                "cluster '{name}' has not been read yet: {why}"
            )));
        }
        Ok(snap)
    }

    pub fn snapshots(&self) -> Vec<Arc<ClusterSnapshot>> {
        self.clusters
            .iter()
            .map(|(_, rx)| rx.borrow().clone())
            .collect()
    }
}

/// RFC 3339 UTC for unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            super::rfc3339(1_700_000_000_123),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
