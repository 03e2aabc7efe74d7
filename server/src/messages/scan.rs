//! Reading records: a consumer of its own per scan, assigned to partitions (never joining a
//! group, never committing), bounded in records, bytes and time, and stopped by a flag the
//! HTTP layer raises when the client goes away. Runs on a blocking thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kafscope_api::{Message, PartitionProgress, ScanStats};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message as _};
use rdkafka::{Offset, Timestamp, TopicPartitionList};

use super::plan::{window, Lane, Order};
use super::record::{Outcome, Pipeline, RawRecord};
use crate::config::ClusterConfig;

/// What bounds a scan.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Matches wanted.
    pub limit: usize,
    pub max_scan: u64,
    pub max_bytes: u64,
    pub timeout: Duration,
}

/// `Page`: collect, then merge across partitions; `Stream`: hand each match over as soon as
/// its order is certain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Page,
    Stream,
}

pub struct Scan {
    pub topic: String,
    pub order: Order,
    pub lanes: Vec<Lane>,
    pub limits: Limits,
    pub mode: Mode,
}

pub enum Event {
    Match(Box<Message>),
    Progress(ScanStats),
}

/// How a scan ended: the page's messages (page mode), the counts and the lanes (for the
/// next cursor).
pub struct Finished {
    pub messages: Vec<Message>,
    pub stats: ScanStats,
    pub lanes: Vec<Lane>,
    pub error: Option<String>,
}

/// The consumer of one scan: the cluster's client settings, assigned partitions (never a
/// group membership), no commits, small local queues.
pub fn consumer(cfg: &ClusterConfig) -> Result<BaseConsumer<Quiet>, KafkaError> {
    let mut cc = crate::kafka::client_config(cfg);
    // librdkafka's assign() needs a group id; the group is never joined and nothing is
    // committed to it, so it never exists on the broker.
    cc.set("group.id", "kafscope-inspect")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        .set("auto.offset.reset", "earliest")
        // Local prefetch is bounded by size (4 MB per partition); librdkafka's default backoff
        // of a second once a queue is "full enough" would throttle a scan to a few thousand
        // records a second.
        .set("queued.min.messages", "20000")
        .set("queued.max.messages.kbytes", "4096")
        .set("fetch.queue.backoff.ms", "0")
        .set("fetch.wait.max.ms", "100")
        .set(
            "socket.timeout.ms",
            cfg.request_timeout.as_millis().max(10).to_string(),
        )
        .set("client.id", "kafscope-inspect");
    cc.create_with_context(Quiet)
}

/// The scan consumers' context: reaching a partition's end is how a scan knows it is done,
/// not an error worth a log line.
pub struct Quiet;

impl ClientContext for Quiet {
    fn error(&self, error: KafkaError, reason: &str) {
        if !matches!(error, KafkaError::PartitionEOF(_)) {
            tracing::warn!(%error, reason, "message scan consumer");
        }
    }
}

impl ConsumerContext for Quiet {}

const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Largest newest-first window (records per partition per round) when filtering.
const MAX_WINDOW: i64 = 100_000;

struct Run<'a> {
    cfg: &'a ClusterConfig,
    /// The current assignment's consumer (a new one per assignment: librdkafka keeps a
    /// partition paused across assign(), and a window once stalled a search that way).
    consumer: Option<std::sync::Arc<BaseConsumer<Quiet>>>,
    scan: Scan,
    pipe: &'a Pipeline,
    cancel: &'a AtomicBool,
    emit: &'a mut dyn FnMut(Event) -> bool,
    started: Instant,
    last_progress: Instant,
    stats: ScanStats,
    collected: Vec<Message>,
    error: Option<String>,
}

/// Run a scan to its end or a bound.
pub fn run(
    cfg: &ClusterConfig,
    scan: Scan,
    pipe: &Pipeline,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Event) -> bool,
) -> Finished {
    let now = Instant::now();
    let mut r = Run {
        cfg,
        consumer: None,
        scan,
        pipe,
        cancel,
        emit,
        started: now,
        // The first progress goes out at once: the client sees the scan's lanes.
        last_progress: now.checked_sub(PROGRESS_EVERY).unwrap_or(now),
        stats: ScanStats::default(),
        collected: Vec::new(),
        error: None,
    };
    let reason = match r.scan.order {
        Order::Oldest => r.oldest(),
        Order::Newest => r.newest(),
    };
    r.finish(reason)
}

fn timestamp(t: Timestamp) -> Option<(i64, &'static str)> {
    match t {
        Timestamp::NotAvailable => None,
        Timestamp::CreateTime(ms) => Some((ms, "create")),
        Timestamp::LogAppendTime(ms) => Some((ms, "log_append")),
    }
}

impl Run<'_> {
    fn bound(&self) -> Option<&'static str> {
        let l = &self.scan.limits;
        if self.cancel.load(Ordering::Relaxed) {
            Some("cancelled")
        } else if self.started.elapsed() >= l.timeout {
            Some("timeout")
        } else if self.stats.scanned >= l.max_scan {
            Some("max_scan")
        } else if self.stats.bytes >= l.max_bytes {
            Some("max_bytes")
        } else {
            None
        }
    }

    fn progress(&mut self) {
        if self.scan.mode == Mode::Stream && self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
            let s = self.snapshot(None);
            if !(self.emit)(Event::Progress(s)) {
                self.cancel.store(true, Ordering::Relaxed);
            }
        }
    }

    fn snapshot(&self, stopped: Option<&str>) -> ScanStats {
        let order = self.scan.order;
        ScanStats {
            elapsed_ms: self.started.elapsed().as_millis() as u64,
            stopped: stopped.map(str::to_string),
            partitions: self
                .scan
                .lanes
                .iter()
                .map(|l| PartitionProgress {
                    partition: l.partition,
                    start: l.start,
                    position: l.position,
                    stop: l.stop,
                    done: l.exhausted(order),
                })
                .collect(),
            ..self.stats.clone()
        }
    }

    /// Start reading these partitions at these offsets, on a fresh consumer.
    fn assign(&mut self, from: &[(i32, i64)]) -> Result<(), String> {
        self.close();
        let mut tpl = TopicPartitionList::with_capacity(from.len());
        for &(p, o) in from {
            tpl.add_partition_offset(&self.scan.topic, p, Offset::Offset(o))
                .map_err(|e| e.to_string())?;
        }
        let c = consumer(self.cfg).map_err(|e| format!("cannot create a consumer: {e}"))?;
        c.assign(&tpl).map_err(|e| e.to_string())?;
        self.consumer = Some(std::sync::Arc::new(c));
        Ok(())
    }

    /// Closing waits for the in-flight fetch (up to fetch.wait.max.ms): off the scan's path.
    fn close(&mut self) {
        if let Some(c) = self.consumer.take() {
            std::thread::spawn(move || drop(c));
        }
    }

    fn pause(&self, p: i32) {
        let mut tpl = TopicPartitionList::with_capacity(1);
        tpl.add_partition(&self.scan.topic, p);
        if let Some(c) = &self.consumer {
            let _ = c.pause(&tpl);
        }
    }

    /// The current consumer, to poll while `self` changes.
    fn current(&self) -> Option<std::sync::Arc<BaseConsumer<Quiet>>> {
        self.consumer.clone()
    }

    /// Process one record; counts it and says whether it matched.
    fn process(&mut self, rec: &RawRecord) -> Option<Box<Message>> {
        self.stats.scanned += 1;
        self.stats.bytes += rec.size();
        match self.pipe.process(rec) {
            Outcome::Match(m) => Some(m),
            Outcome::Skip => None,
            Outcome::FilterError(e) => {
                self.stats.filter_errors += 1;
                if self.stats.first_filter_error.is_none() {
                    self.stats.first_filter_error = Some(format!(
                        "partition {} offset {}: {e}",
                        rec.partition, rec.offset
                    ));
                }
                None
            }
        }
    }

    /// Hand a match to the client (stream mode); false when the scan should stop.
    fn hand_over(&mut self, m: Box<Message>) -> bool {
        self.stats.matched += 1;
        if !(self.emit)(Event::Match(m)) {
            self.cancel.store(true, Ordering::Relaxed);
            return false;
        }
        (self.stats.matched as usize) < self.scan.limits.limit
    }

    /// Oldest first: every lane reads upwards from its position in one assignment.
    fn oldest(&mut self) -> &'static str {
        let page = self.scan.mode == Mode::Page;
        let limit = self.scan.limits.limit;
        let index: BTreeMap<i32, usize> = self
            .scan
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.partition, i))
            .collect();
        let mut open: Vec<bool> = self
            .scan
            .lanes
            .iter()
            .map(|l| !l.exhausted(Order::Oldest))
            .collect();
        let from: Vec<(i32, i64)> = self
            .scan
            .lanes
            .iter()
            .zip(&open)
            .filter(|(_, o)| **o)
            .map(|(l, _)| (l.partition, l.position))
            .collect();
        if from.is_empty() {
            return "end";
        }
        if let Err(e) = self.assign(&from) {
            self.error = Some(e);
            return "error";
        }
        let Some(consumer) = self.current() else {
            return "error";
        };
        loop {
            if !open.iter().any(|o| *o) {
                return if page && self.collected.len() >= limit {
                    "limit"
                } else {
                    "end"
                };
            }
            if let Some(b) = self.bound() {
                return b;
            }
            self.progress();
            let Some(res) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let msg = match res {
                Ok(m) => m,
                Err(KafkaError::PartitionEOF(p)) => {
                    if let Some(&i) = index.get(&p) {
                        let lane = &mut self.scan.lanes[i];
                        if let Some(stop) = lane.stop {
                            lane.position = lane.position.max(stop);
                            open[i] = false;
                        }
                    }
                    continue;
                }
                Err(e) => {
                    self.error = Some(e.to_string());
                    return "error";
                }
            };
            let p = msg.partition();
            let Some(&i) = index.get(&p) else { continue };
            if !open[i] {
                continue;
            }
            let off = msg.offset();
            if self.scan.lanes[i].stop.is_some_and(|s| off >= s) {
                self.scan.lanes[i].position = self.scan.lanes[i].stop.unwrap_or(off);
                open[i] = false;
                self.pause(p);
                continue;
            }
            let rec = raw(&msg);
            let hit = self.process(&rec);
            drop(rec);
            let lane = &mut self.scan.lanes[i];
            lane.position = off + 1;
            if lane.exhausted(Order::Oldest) {
                open[i] = false;
            }
            if let Some(m) = hit {
                if page {
                    self.collected.push(*m);
                    let lane = &mut self.scan.lanes[i];
                    lane.kept += 1;
                    if lane.kept >= limit {
                        open[i] = false;
                    }
                } else if !self.hand_over(m) {
                    return if self.cancel.load(Ordering::Relaxed) {
                        "cancelled"
                    } else {
                        "limit"
                    };
                }
            }
            if !open[i] {
                self.pause(p);
            }
        }
    }

    /// Newest first: rounds of windows read upwards, released downwards once complete.
    fn newest(&mut self) -> &'static str {
        let page = self.scan.mode == Mode::Page;
        let limit = self.scan.limits.limit;
        let mut size: i64 = if self.pipe.filter.is_some() {
            1_000.max(limit as i64)
        } else {
            limit as i64
        };
        loop {
            if let Some(b) = self.bound() {
                return b;
            }
            let wanted = |l: &Lane, matched: u64| {
                let need = if page {
                    limit.saturating_sub(l.kept)
                } else {
                    limit.saturating_sub(matched as usize)
                };
                (!l.exhausted(Order::Newest) && need > 0).then_some(need)
            };
            // (lane index, lo, hi, need, next, done, buffer)
            let mut wins: Vec<Window> = self
                .scan
                .lanes
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let need = wanted(l, self.stats.matched)?;
                    let (lo, hi) = window(l, size);
                    Some(Window {
                        lane: i,
                        lo,
                        hi,
                        need,
                        done: lo >= hi,
                        dropped: false,
                        found: VecDeque::new(),
                    })
                })
                .collect();
            if wins.is_empty() {
                return if page && self.collected.len() >= limit {
                    "limit"
                } else {
                    "end"
                };
            }
            let from: Vec<(i32, i64)> = wins
                .iter()
                .filter(|w| !w.done)
                .map(|w| (self.scan.lanes[w.lane].partition, w.lo))
                .collect();
            if !from.is_empty() {
                if let Err(e) = self.assign(&from) {
                    self.error = Some(e);
                    return "error";
                }
            }
            let consumer = self.current();
            let index: BTreeMap<i32, usize> = wins
                .iter()
                .enumerate()
                .map(|(wi, w)| (self.scan.lanes[w.lane].partition, wi))
                .collect();
            let mut interrupted = None;
            while wins.iter().any(|w| !w.done) {
                if let Some(b) = self.bound() {
                    interrupted = Some(b);
                    break;
                }
                self.progress();
                let Some(res) = consumer
                    .as_ref()
                    .and_then(|c| c.poll(Duration::from_millis(100)))
                else {
                    continue;
                };
                let msg = match res {
                    Ok(m) => m,
                    Err(KafkaError::PartitionEOF(p)) => {
                        if let Some(&wi) = index.get(&p) {
                            wins[wi].done = true;
                        }
                        continue;
                    }
                    Err(e) => {
                        self.error = Some(e.to_string());
                        interrupted = Some("error");
                        break;
                    }
                };
                let p = msg.partition();
                let Some(&wi) = index.get(&p) else { continue };
                if wins[wi].done {
                    continue;
                }
                let off = msg.offset();
                if off >= wins[wi].hi {
                    wins[wi].done = true;
                    self.pause(p);
                    continue;
                }
                let rec = raw(&msg);
                let hit = self.process(&rec);
                drop(rec);
                let w = &mut wins[wi];
                if let Some(m) = hit {
                    if w.found.len() == w.need {
                        w.found.pop_front();
                        w.dropped = true;
                    }
                    w.found.push_back(*m);
                }
                if off + 1 >= w.hi {
                    w.done = true;
                    self.pause(p);
                }
            }
            // Release complete windows, newest first; an incomplete one is read again.
            for w in wins.into_iter().filter(|w| w.done) {
                let lane = w.lane;
                self.scan.lanes[lane].position = w.lo;
                if w.dropped {
                    // Older matches were left for the next page: continue below the oldest kept.
                    if let Some(m) = w.found.front() {
                        self.scan.lanes[lane].position = m.offset;
                    }
                }
                for m in w.found.into_iter().rev() {
                    let off = m.offset;
                    if page {
                        self.collected.push(m);
                        self.scan.lanes[lane].kept += 1;
                    } else if !self.hand_over(Box::new(m)) {
                        self.scan.lanes[lane].position = off;
                        return if self.cancel.load(Ordering::Relaxed) {
                            "cancelled"
                        } else {
                            "limit"
                        };
                    }
                }
            }
            if let Some(b) = interrupted {
                return b;
            }
            size = (size * 2).min(MAX_WINDOW.max(limit as i64));
        }
    }

    fn finish(mut self, reason: &'static str) -> Finished {
        self.close();
        let order = self.scan.order;
        if self.scan.mode == Mode::Page {
            let key = |m: &Message| (m.timestamp_ms.unwrap_or(i64::MIN), m.partition, m.offset);
            match order {
                Order::Oldest => self.collected.sort_by_key(key),
                Order::Newest => self.collected.sort_by_key(|m| std::cmp::Reverse(key(m))),
            }
            let limit = self.scan.limits.limit;
            if self.collected.len() > limit {
                // Continue each lane from its first record left out of this page.
                for m in self.collected.drain(limit..) {
                    if let Some(l) = self
                        .scan
                        .lanes
                        .iter_mut()
                        .find(|l| l.partition == m.partition)
                    {
                        l.position = match order {
                            Order::Oldest => l.position.min(m.offset),
                            Order::Newest => l.position.max(m.offset + 1),
                        };
                    }
                }
            }
            self.stats.matched = self.collected.len() as u64;
        }
        let stats = self.snapshot(Some(reason));
        Finished {
            messages: self.collected,
            stats,
            lanes: self.scan.lanes,
            error: self.error,
        }
    }
}

struct Window {
    lane: usize,
    lo: i64,
    hi: i64,
    need: usize,
    done: bool,
    dropped: bool,
    found: VecDeque<Message>,
}

fn raw<'a>(m: &'a rdkafka::message::BorrowedMessage<'a>) -> RawRecord<'a> {
    RawRecord {
        partition: m.partition(),
        offset: m.offset(),
        timestamp: timestamp(m.timestamp()),
        key: m.key(),
        value: m.payload(),
        headers: m
            .headers()
            .map(|h| h.iter().map(|h| (h.key, h.value)).collect())
            .unwrap_or_default(),
    }
}
