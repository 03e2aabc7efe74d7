//! Reading records: a consumer of its own per scan, assigned to partitions (never joining a
//! group, never committing), bounded in records, bytes and time, and stopped by a flag the
//! HTTP layer raises when the client goes away. Runs on a blocking thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kafscope_api::{Message, PartitionProgress, ScanStats};
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};

use crate::kafka::requests::{Counting, STATS_INTERVAL_MS};
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
pub fn consumer(
    cfg: &ClusterConfig,
    counting: Option<Counting>,
) -> Result<BaseConsumer<Quiet>, KafkaError> {
    let mut cc = crate::kafka::client_config(cfg);
    if counting.is_some() && !cfg.client.contains_key("statistics.interval.ms") {
        cc.set("statistics.interval.ms", STATS_INTERVAL_MS);
    }
    // librdkafka's assign() needs a group id; the group is never joined and nothing is
    // committed to it, so it never exists on the broker.
    cc.set("group.id", "kafscope-inspect")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "true")
        // Everything up to the end offset (what the lanes are planned against), including
        // records of open or aborted transactions: read_committed (librdkafka's default)
        // would stop at the last stable offset and the cursor would skip past it.
        .set("isolation.level", "read_uncommitted")
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
    cc.create_with_context(Quiet { counting })
}

/// The message clients' context: reaching a partition's end is how a scan knows it is done,
/// not an error worth a log line; statistics count the client's requests.
pub struct Quiet {
    pub counting: Option<Counting>,
}

impl ClientContext for Quiet {
    fn stats_raw(&self, statistics: &[u8]) {
        if let Some(c) = &self.counting {
            c.note(statistics);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        // librdkafka reports it as `PartitionEOF` or as a global error with that code.
        let eof = matches!(error, KafkaError::PartitionEOF(_))
            || error.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::PartitionEOF);
        if !eof {
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
    /// Whose request counts the scan's consumers add to.
    client: &'a crate::kafka::ClusterClient,
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
    /// About how much memory `collected` holds.
    collected_bytes: usize,
    error: Option<String>,
}

/// Most a page collects before it stops (`max_bytes`): partitions × limit records of up to
/// `max_value_bytes` could otherwise add up to gigabytes.
const PAGE_BYTES: usize = 64 << 20;

/// About what a record of the API holds in memory.
fn approx_size(m: &Message) -> usize {
    let part = |p: &Option<kafscope_api::Payload>| {
        p.as_ref().map_or(0, |p| {
            2 * p.text.len() + p.base64.as_ref().map_or(0, String::len)
        })
    };
    256 + part(&m.key)
        + part(&m.value)
        + m.headers
            .iter()
            .map(|h| h.key.len() + part(&h.value))
            .sum::<usize>()
}

/// Run a scan to its end or a bound.
pub fn run(
    cfg: &ClusterConfig,
    client: &crate::kafka::ClusterClient,
    scan: Scan,
    pipe: &Pipeline,
    cancel: &AtomicBool,
    emit: &mut dyn FnMut(Event) -> bool,
) -> Finished {
    let now = Instant::now();
    let mut r = Run {
        cfg,
        client,
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
        collected_bytes: 0,
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
        } else if self.stats.bytes >= l.max_bytes || self.collected_bytes >= PAGE_BYTES {
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
        let c = consumer(self.cfg, Some(self.client.counting()))
            .map_err(|e| format!("cannot create a consumer: {e}"))?;
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
                    self.collected_bytes += approx_size(&m);
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
        // Small first windows finish quickly (a window cut short by a bound is read again);
        // they double each round.
        let mut size: i64 = limit.max(1) as i64;
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
                        self.collected_bytes += approx_size(&m);
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
            let (page, left) = merge(
                std::mem::take(&mut self.collected),
                order,
                self.scan.limits.limit,
            );
            // Continue each lane from its first record left out of this page.
            for (partition, first_left) in left {
                if let Some(l) = self
                    .scan
                    .lanes
                    .iter_mut()
                    .find(|l| l.partition == partition)
                {
                    l.position = match order {
                        Order::Oldest => first_left,
                        Order::Newest => first_left + 1,
                    };
                }
            }
            self.stats.matched = page.len() as u64;
            self.collected = page;
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

/// Merge the lanes' matches (each lane's in its reading order) by (timestamp, partition,
/// offset), oldest or newest first, up to `limit`: a k-way merge, so each lane keeps a run of
/// consecutive records even when its timestamps are out of order. Also returns, per lane
/// with records left out, the offset of the first one.
fn merge(collected: Vec<Message>, order: Order, limit: usize) -> (Vec<Message>, Vec<(i32, i64)>) {
    let mut lanes: BTreeMap<i32, VecDeque<Message>> = BTreeMap::new();
    for m in collected {
        lanes.entry(m.partition).or_default().push_back(m);
    }
    let key = |m: &Message| (m.timestamp_ms.unwrap_or(i64::MIN), m.partition, m.offset);
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let pick = lanes
            .iter()
            .filter_map(|(p, q)| q.front().map(|m| (*p, key(m))))
            .reduce(|a, b| {
                let better = match order {
                    Order::Oldest => b.1 < a.1,
                    Order::Newest => b.1 > a.1,
                };
                if better {
                    b
                } else {
                    a
                }
            });
        let Some((p, _)) = pick else { break };
        if let Some(m) = lanes.get_mut(&p).and_then(VecDeque::pop_front) {
            out.push(m);
        }
    }
    let left = lanes
        .into_iter()
        .filter_map(|(p, q)| q.front().map(|m| (p, m.offset)))
        .collect();
    (out, left)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(partition: i32, offset: i64, ts: i64) -> Message {
        Message {
            partition,
            offset,
            timestamp: None,
            timestamp_ms: Some(ts),
            timestamp_type: None,
            key: None,
            value: None,
            headers: vec![],
            size: 0,
        }
    }

    #[test]
    fn merging_keeps_each_partition_a_run_of_consecutive_records() {
        // Partition 0's timestamps go backwards (two producers with skewed clocks).
        let collected = vec![
            msg(0, 0, 10),
            msg(0, 1, 5),
            msg(0, 2, 30),
            msg(1, 0, 7),
            msg(1, 1, 20),
        ];
        let (page, left) = merge(collected, Order::Oldest, 3);
        let got: Vec<(i32, i64)> = page.iter().map(|m| (m.partition, m.offset)).collect();
        assert_eq!(got, vec![(1, 0), (0, 0), (0, 1)]);
        assert_eq!(
            left,
            vec![(0, 2), (1, 1)],
            "each lane continues at its first record left out"
        );
        // Newest first: lanes arrive in descending offsets.
        let collected = vec![msg(0, 2, 30), msg(0, 1, 5), msg(1, 1, 20), msg(1, 0, 7)];
        let (page, left) = merge(collected, Order::Newest, 2);
        let got: Vec<(i32, i64)> = page.iter().map(|m| (m.partition, m.offset)).collect();
        assert_eq!(got, vec![(0, 2), (1, 1)]);
        assert_eq!(left, vec![(0, 1), (1, 0)]);
    }
}
