//! Changes to a cluster over Kafscope's own protocol connections (issue 13): topics,
//! configs, records, group offsets, groups and leaders. Each request goes where Kafka's own
//! admin client sends it — CreateTopics, CreatePartitions, DeleteTopics and ElectLeaders to
//! the controller Metadata names (on KRaft a random broker, which forwards to the active
//! controller), a broker's configs to that broker, DeleteRecords to each partition's leader,
//! group requests to the group's coordinator — with Kafka's error codes kept per topic,
//! partition or broker so that a partial failure names what failed (`advice` turns each
//! into a sentence). Plans, previews and authorisation are the HTTP layer's (`http/manage`).

mod configs;
mod groups;
mod topics;

use std::collections::BTreeMap;
use std::time::Duration;

pub use configs::{ConfigRead, ResourceKind, SynonymRead};

use super::advice::{advice, About, Advice};
use super::wire::{Dialer, Session};
use super::ClusterMetadata;
use crate::config::ClusterConfig;

/// What a change could not do.
#[derive(Debug, Clone)]
pub enum AdminError {
    /// Kafka refused it with an error code (for the request or the one thing asked).
    Kafka(Advice),
    /// No broker answered, or the exchange failed on the way.
    Unreachable(String),
    /// The brokers do not offer the API (or no version Kafscope speaks).
    Unsupported(String),
}

impl AdminError {
    pub fn sentence(&self) -> String {
        match self {
            AdminError::Kafka(a) => a.sentence.clone(),
            AdminError::Unreachable(m) => m.clone(),
            AdminError::Unsupported(m) => m.clone(),
        }
    }

    /// Kafka's error name, `unreachable` or `unsupported`.
    pub fn name(&self) -> String {
        match self {
            AdminError::Kafka(a) => a.name.clone(),
            AdminError::Unreachable(_) => "unreachable".into(),
            AdminError::Unsupported(_) => "unsupported".into(),
        }
    }
}

/// An exchange error from a session: the API missing is "unsupported", the rest
/// "unreachable" (a timeout, a closed connection).
fn exchange(e: String) -> AdminError {
    if e.contains("does not support") || e.contains("Kafscope speaks") {
        AdminError::Unsupported(e)
    } else if e.starts_with("cannot encode") {
        // Nothing was sent.
        AdminError::Unsupported(format!("Kafscope could not write the request: {e}"))
    } else {
        AdminError::Unreachable(e)
    }
}

/// Codes after which Kafka's admin client asks again: the coordinator or controller moved
/// or is loading (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
/// NOT_CONTROLLER).
const MOVED: [i16; 4] = [16, 14, 15, 41];

/// Attempts of an operation whose coordinator or controller moved.
const ATTEMPTS: usize = 3;

impl AdminError {
    /// The coordinator or controller moved: a fresh lookup may succeed.
    pub fn moved(&self) -> bool {
        matches!(self, AdminError::Kafka(a) if MOVED.contains(&a.code))
    }
}

/// Run `f` again (at most [`ATTEMPTS`] times) while it fails because the coordinator or
/// controller moved; each attempt looks them up afresh.
async fn retry_moved<T, F, Fut>(f: F) -> Result<T, AdminError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AdminError>>,
{
    retry(f, |r| r.as_ref().is_err_and(AdminError::moved)).await
}

/// Like [`retry_moved`], for a request that answers per item: asked again while the whole
/// request, or every item of it, met a moved coordinator or controller.
async fn retry_items_moved<T, F, Fut>(f: F) -> Result<Vec<ItemOutcome<T>>, AdminError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Vec<ItemOutcome<T>>, AdminError>>,
{
    retry(f, |r| match r {
        Err(e) => e.moved(),
        Ok(items) => all_moved(items),
    })
    .await
}

/// Run `f` up to [`ATTEMPTS`] times, 300 ms apart, while `again` says its answer calls for it.
async fn retry<T, F, Fut>(
    mut f: F,
    again: impl Fn(&Result<T, AdminError>) -> bool,
) -> Result<T, AdminError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AdminError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let r = f().await;
        if attempt >= ATTEMPTS || !again(&r) {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

fn all_moved<T>(items: &[ItemOutcome<T>]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|o| o.result.as_ref().is_err_and(AdminError::moved))
}

/// Kafka's error code as an [`AdminError`], or `Ok` for 0.
fn check(code: i16, about: &About<'_>, message: Option<&str>) -> Result<(), AdminError> {
    if code == 0 {
        Ok(())
    } else {
        Err(AdminError::Kafka(advice(code, about, message)))
    }
}

/// The outcome for one partition (or topic, or broker) of a request that covers many.
#[derive(Debug, Clone)]
pub struct ItemOutcome<T> {
    pub topic: String,
    pub partition: i32,
    pub result: Result<T, AdminError>,
}

/// How one cluster is changed: its connections' settings and where to start.
#[derive(Clone)]
pub struct Admin {
    dialer: Dialer,
    bootstrap: Vec<(String, u16)>,
    /// Ask the broker's verdict with `validate_only` (see `ClusterConfig::broker_validation`).
    pub validates: bool,
}

/// The brokers and topics of a fresh Metadata answer, for routing one change.
pub struct Layout {
    pub meta: ClusterMetadata,
}

impl Layout {
    fn address(&self, id: i32) -> Option<(String, u16)> {
        self.meta
            .brokers
            .iter()
            .find(|b| b.id == id)
            .map(|b| (b.host.clone(), b.port))
    }

    /// The leader of each partition of `topic`, `None` when it has none.
    pub fn leaders(&self, topic: &str) -> Option<BTreeMap<i32, Option<i32>>> {
        self.meta
            .topics
            .iter()
            .find(|t| t.name == topic && t.error.is_none())
            .map(|t| t.partitions.iter().map(|p| (p.id, p.leader)).collect())
    }
}

impl Admin {
    /// The admin connection of a cluster, or why changes cannot be made to it (a SASL
    /// mechanism or key store only librdkafka reads).
    pub fn new(cfg: &ClusterConfig, counts: super::wire::RequestCounts) -> Result<Admin, String> {
        let security = super::security::from_properties(&cfg.client)?;
        let dialer = Dialer::new(&security, cfg.request_timeout, counts)?;
        let bootstrap = crate::config::host_ports(&cfg.bootstrap_servers)?;
        Ok(Admin {
            dialer,
            bootstrap,
            validates: cfg.broker_validation,
        })
    }

    /// How long the broker may take over an operation: less than the connection's own
    /// timeout, so its answer (a timeout error naming what is unfinished) still arrives.
    fn op_timeout_ms(&self) -> i32 {
        (self.dialer.timeout.as_millis() as i32 * 3 / 4).max(1000)
    }

    pub fn timeout(&self) -> Duration {
        self.dialer.timeout
    }

    /// Brokers, controller and partition leaders as a broker says them now.
    pub async fn layout(&self) -> Result<Layout, AdminError> {
        let meta = super::metadata::read(&self.bootstrap, &self.dialer)
            .await
            .map_err(|e| AdminError::Unreachable(format!("no broker answered Metadata: {e}")))?;
        Ok(Layout { meta })
    }

    async fn open(&self, host: &str, port: u16) -> Result<Session, AdminError> {
        Session::open_now(&self.dialer, host, port)
            .await
            .map_err(|e| AdminError::Unreachable(e.message))
    }

    /// A session to broker `id`.
    async fn broker(&self, layout: &Layout, id: i32) -> Result<Session, AdminError> {
        let (host, port) = layout.address(id).ok_or_else(|| {
            AdminError::Unreachable(format!("broker {id} is not in the cluster's metadata"))
        })?;
        self.open(&host, port).await
    }

    /// A session to the controller Metadata names, or else to any broker that answers (on
    /// KRaft every broker forwards controller requests).
    async fn controller(&self, layout: &Layout) -> Result<Session, AdminError> {
        if let Some(id) = layout.meta.controller_id {
            if let Ok(s) = self.broker(layout, id).await {
                return Ok(s);
            }
        }
        self.any(layout).await
    }

    /// A session to the first broker that accepts one, in id order.
    async fn any(&self, layout: &Layout) -> Result<Session, AdminError> {
        let mut last = None;
        for b in &layout.meta.brokers {
            match self.open(&b.host, b.port).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| AdminError::Unreachable("no broker in the metadata".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_api_is_unsupported_and_a_timeout_unreachable() {
        assert!(matches!(
            exchange("the broker does not support ElectLeaders".into()),
            AdminError::Unsupported(_)
        ));
        assert!(matches!(
            exchange("request timed out after 5 s".into()),
            AdminError::Unreachable(_)
        ));
        let e = check(36, &About::default(), Some("exists")).unwrap_err();
        assert_eq!(e.name(), "TOPIC_ALREADY_EXISTS");
        assert!(check(0, &About::default(), None).is_ok());
    }
}
