//! Message inspection: browse, search, tail, decode, mask, export and produce. These are the
//! console's on-demand paths to Kafka: each scan has its own consumer (no group, no commits),
//! is bounded in records, bytes and time, and stops when its client goes away.

pub mod avro;
pub mod avro_bounds;
pub mod decode;
pub mod export;
pub mod filter;
pub mod mask;
pub mod naming;
pub mod plan;
pub mod protobuf;
pub mod record;
pub mod registry;
pub mod scan;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use kafscope_api::{Message, ProduceRequest, ProduceResult, ScanStats};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::ClusterConfig;
use crate::kafka::{ClusterClient, KafkaCallError, OffsetSpec};
use decode::{Decoding, SchemaSource};
use filter::{Filter, FilterSpec};
use mask::TopicMask;
use plan::{Lane, Marks, Order, Start};
use record::Pipeline;
use scan::{Event, Finished, Limits, Mode, Scan};

/// Message inspection for one cluster.
pub struct Inspector {
    pub cfg: ClusterConfig,
    pub client: ClusterClient,
    pub registry: Option<Arc<registry::Registry>>,
    producer: OnceLock<Result<FutureProducer<scan::Quiet>, String>>,
    /// Scans running now, and records read by all scans (for `/metrics`).
    pub active_scans: Arc<AtomicUsize>,
    pub scanned_total: Arc<AtomicU64>,
    permits: Arc<tokio::sync::Semaphore>,
}

/// Counts a scan as active while it lives, and adds what it read when it ends.
struct Running {
    active: Arc<AtomicUsize>,
}

impl Running {
    fn new(i: &Inspector) -> Running {
        i.active_scans.fetch_add(1, Ordering::Relaxed);
        Running {
            active: i.active_scans.clone(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Everything a scan needs, checked.
#[derive(Debug, Clone)]
pub struct Request {
    pub topic: String,
    pub partitions: Vec<i32>,
    pub order: Order,
    pub start: Start,
    /// Tail: keep reading new records (oldest first, stream only).
    pub follow: bool,
    pub limits: Limits,
    pub filter: FilterSpec,
    pub key_as: Decoding,
    pub value_as: Decoding,
    pub display_limit: usize,
}

/// What a stream sends.
pub enum StreamItem {
    Match(Box<Message>),
    Progress(ScanStats),
    Done {
        stats: ScanStats,
        cursor: Option<String>,
        error: Option<String>,
    },
}

/// Raises the scan's stop flag when the request it serves is dropped (client gone).
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Why a page could not be read.
#[derive(Debug)]
pub enum ScanError {
    Kafka(KafkaCallError),
    Client(String),
    /// As many scans as allowed are running on this cluster.
    Busy(String),
}

/// Scans running at once per cluster (each holds a blocking thread and a consumer).
pub const MAX_SCANS: usize = 16;

impl Inspector {
    /// Must be called inside the runtime (the registry client keeps its handle).
    pub fn new(cfg: ClusterConfig, client: ClusterClient) -> Inspector {
        let registry = cfg
            .schema_registry
            .clone()
            .map(|r| Arc::new(registry::Registry::new(r)));
        Inspector {
            cfg,
            client,
            registry,
            producer: OnceLock::new(),
            active_scans: Default::default(),
            scanned_total: Default::default(),
            permits: Arc::new(tokio::sync::Semaphore::new(MAX_SCANS)),
        }
    }

    /// The pipeline of a request; the error says which filter part is wrong.
    pub fn pipeline(&self, req: &Request) -> Result<Pipeline, String> {
        Ok(Pipeline {
            key_as: req.key_as,
            value_as: req.value_as,
            mask: TopicMask::for_topic(&self.cfg.masking, &req.topic),
            filter: Filter::compile(&req.filter)?,
            registry: self
                .registry
                .clone()
                .map(|r| r as Arc<dyn SchemaSource + Send + Sync>),
            display_limit: req.display_limit,
        })
    }

    /// Where each partition's lane starts: watermarks (and offsets for a timestamp) in
    /// batched ListOffsets calls.
    pub async fn lanes(&self, req: &Request) -> Result<Vec<Lane>, KafkaCallError> {
        let parts: Vec<(String, i32)> = req
            .partitions
            .iter()
            .map(|p| (req.topic.clone(), *p))
            .collect();
        // Both ends in one exchange per leader.
        let mut ends = self
            .client
            .list_offsets_kinds(parts.clone(), &[OffsetSpec::Earliest, OffsetSpec::Latest])
            .await?;
        let high = ends.pop().unwrap_or_default();
        let low = ends.pop().unwrap_or_default();
        let offsets = |entries: Vec<crate::kafka::PartitionEntry>| -> Result<BTreeMap<i32, i64>, KafkaCallError> {
            let mut m = BTreeMap::new();
            for e in entries {
                if let Some(err) = e.error {
                    return Err(KafkaCallError {
                        api: "ListOffsets",
                        message: format!("partition {}: {err}", e.partition),
                        unsupported: false,
                    });
                }
                m.insert(e.partition, e.offset);
            }
            Ok(m)
        };
        let (low, high) = (offsets(low)?, offsets(high)?);
        let marks: Marks = high
            .iter()
            .map(|(p, h)| (*p, (low.get(p).copied().unwrap_or(0).min(*h), *h)))
            .collect();
        let resolved = match req.start {
            Start::Timestamp(ms) => {
                // Newest first includes records at the time itself: look up the next ms.
                let at = if req.order == Order::Newest {
                    ms + 1
                } else {
                    ms
                };
                let found = self
                    .client
                    .list_offsets(parts, OffsetSpec::Timestamp(at))
                    .await?;
                // -1 without an error: no record at or after the time (the lane starts at
                // the end). An error is not that: the page says it, as for the ends.
                offsets(found)?
                    .into_iter()
                    .map(|(p, o)| (p, (o >= 0).then_some(o)))
                    .collect()
            }
            _ => BTreeMap::new(),
        };
        Ok(plan::lanes(
            req.order, &req.start, &marks, &resolved, req.follow,
        ))
    }

    fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ScanError> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            ScanError::Busy(format!(
                "{MAX_SCANS} message scans are running on cluster '{}' (the most at once); try again when one ends",
                self.cfg.name
            ))
        })
    }

    fn scan_of(req: &Request, lanes: Vec<Lane>, mode: Mode) -> Scan {
        Scan {
            topic: req.topic.clone(),
            order: req.order,
            lanes,
            limits: req.limits,
            mode,
        }
    }

    /// One page, merged across partitions. Stops early when the caller is dropped.
    pub async fn page(
        self: &Arc<Self>,
        req: Request,
    ) -> Result<(Finished, Option<String>), ScanError> {
        let permit = self.permit()?;
        let lanes = self.lanes(&req).await.map_err(ScanError::Kafka)?;
        let cancel = Arc::new(AtomicBool::new(false));
        let _guard = CancelOnDrop(cancel.clone());
        let this = self.clone();
        let order = req.order;
        let done = tokio::task::spawn_blocking(move || {
            // Declared after the counter so the permit is given back first.
            let _running = Running::new(&this);
            let _permit = permit;
            let pipe = this.pipeline(&req).map_err(ScanError::Client)?;
            let scan = Self::scan_of(&req, lanes, Mode::Page);
            let done = scan::run(&this.cfg, &this.client, scan, &pipe, &cancel, &mut |_| true);
            this.scanned_total
                .fetch_add(done.stats.scanned, Ordering::Relaxed);
            Ok(done)
        })
        .await
        .map_err(|e| ScanError::Client(format!("scan worker failed: {e}")))??;
        let cursor = next_cursor(order, &done.lanes);
        Ok((done, cursor))
    }

    /// A scan whose matches and progress arrive on the returned channel as they are found;
    /// dropping the receiver stops it.
    pub async fn stream(
        self: &Arc<Self>,
        req: Request,
    ) -> Result<tokio::sync::mpsc::Receiver<StreamItem>, ScanError> {
        let permit = self.permit()?;
        let lanes = self.lanes(&req).await.map_err(ScanError::Kafka)?;
        // Small: a slow reader holds the scan back rather than piling records up here.
        let (tx, rx) = tokio::sync::mpsc::channel(32);
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            // Declared after the counter so the permit is given back first.
            let _running = Running::new(&this);
            let _permit = permit;
            let cancel = AtomicBool::new(false);
            let order = req.order;
            let pipe = match this.pipeline(&req) {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.blocking_send(done_item(ScanStats::default(), None, Some(e)));
                    return;
                }
            };
            let scan = Self::scan_of(&req, lanes, Mode::Stream);
            let mut emit = |ev: Event| {
                let item = match ev {
                    Event::Match(m) => StreamItem::Match(m),
                    Event::Progress(s) => StreamItem::Progress(s),
                };
                tx.blocking_send(item).is_ok()
            };
            let done = scan::run(&this.cfg, &this.client, scan, &pipe, &cancel, &mut emit);
            this.scanned_total
                .fetch_add(done.stats.scanned, Ordering::Relaxed);
            let cursor = next_cursor(order, &done.lanes);
            let _ = tx.blocking_send(done_item(done.stats, cursor, done.error));
        });
        Ok(rx)
    }

    /// Write one record. The caller has checked the token and the cluster's read-only flag.
    pub async fn produce(
        &self,
        topic: &str,
        req: &ProduceRequest,
        timeout: Duration,
    ) -> Result<ProduceResult, String> {
        let bytes = |what: &str, s: &Option<String>, enc: &Option<String>| {
            let enc = enc.as_deref().unwrap_or("text");
            s.as_ref().map(|s| encode(what, s, enc)).transpose()
        };
        let key = bytes("key", &req.key, &req.key_encoding)?;
        let value = bytes("value", &req.value, &req.value_encoding)?;
        let mut headers = OwnedHeaders::new_with_capacity(req.headers.len());
        let mut header_values = Vec::with_capacity(req.headers.len());
        for h in &req.headers {
            if h.key.is_empty() {
                return Err("a header needs a key".into());
            }
            header_values.push(bytes(
                &format!("header '{}'", h.key),
                &h.value,
                &req.header_encoding,
            )?);
        }
        for (h, v) in req.headers.iter().zip(&header_values) {
            headers = headers.insert(Header {
                key: &h.key,
                value: v.as_deref(),
            });
        }
        let producer = self
            .producer
            .get_or_init(|| {
                let mut cc = crate::kafka::client_config(&self.cfg);
                cc.set("message.timeout.ms", timeout.as_millis().to_string())
                    .set("acks", "all")
                    .set("client.id", "kafscope-produce");
                if !self.cfg.client.contains_key("statistics.interval.ms") {
                    cc.set(
                        "statistics.interval.ms",
                        crate::kafka::requests::STATS_INTERVAL_MS,
                    );
                }
                let quiet = scan::Quiet {
                    counting: Some(self.client.counting()),
                };
                cc.create_with_context(quiet).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| format!("cannot create a producer: {e}"))?;
        let mut rec: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
        if let Some(k) = key.as_deref() {
            rec = rec.key(k);
        }
        if let Some(v) = value.as_deref() {
            rec = rec.payload(v);
        }
        if let Some(p) = req.partition {
            rec = rec.partition(p);
        }
        let now = crate::collect::now_ms();
        match producer.send(rec, timeout).await {
            Ok(d) => Ok(ProduceResult {
                partition: d.partition,
                offset: d.offset,
                timestamp: Some(crate::http::state::rfc3339(
                    d.timestamp.to_millis().unwrap_or(now),
                )),
            }),
            Err((e, _)) => Err(format!("the broker did not take the record: {e}")),
        }
    }
}

fn done_item(stats: ScanStats, cursor: Option<String>, error: Option<String>) -> StreamItem {
    StreamItem::Done {
        stats,
        cursor,
        error,
    }
}

/// The cursor that continues after a scan; `None` when newest first reached every log start.
pub fn next_cursor(order: Order, lanes: &[Lane]) -> Option<String> {
    if lanes.is_empty() || (order == Order::Newest && lanes.iter().all(|l| l.exhausted(order))) {
        return None;
    }
    Some(plan::encode_cursor(order, lanes))
}

/// Bytes to produce from text as the request states their encoding.
fn encode(what: &str, s: &str, encoding: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    match encoding {
        "text" => Ok(s.as_bytes().to_vec()),
        "json" => serde_json::from_str::<serde_json::Value>(s)
            .map(|_| s.as_bytes().to_vec())
            .map_err(|e| format!("{what} is not valid JSON: {e}")),
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|e| format!("{what} is not valid base64: {e}")),
        other => Err(format!(
            "encoding '{other}' is not one of text, json, base64"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produce_encodings_check_their_input() {
        assert_eq!(
            encode("value", "héllo", "text").unwrap(),
            "héllo".as_bytes()
        );
        assert_eq!(encode("key", "AAEC", "base64").unwrap(), vec![0, 1, 2]);
        assert!(encode("value", "{bad", "json")
            .unwrap_err()
            .starts_with("value is not valid JSON"));
        assert!(encode("key", "***", "base64")
            .unwrap_err()
            .contains("base64"));
        assert!(encode("key", "x", "utf16")
            .unwrap_err()
            .contains("not one of"));
    }

    #[test]
    fn newest_first_has_no_cursor_once_every_log_start_is_reached() {
        let lane = |position| Lane {
            partition: 0,
            start: 10,
            position,
            stop: Some(0),
            kept: 0,
        };
        assert_eq!(next_cursor(Order::Newest, &[lane(0)]), None);
        assert_eq!(
            next_cursor(Order::Newest, &[lane(4)]).as_deref(),
            Some("n.0_4")
        );
        assert_eq!(next_cursor(Order::Oldest, &[]), None);
    }
}
