//! One collector per cluster. Every poll interval it reads the cluster in batched requests,
//! builds a [`ClusterSnapshot`], publishes it on a `watch` channel and writes one cycle of
//! lag history to the store. Read views only ever look at the published snapshot.
//!
//! Order within a cycle: metadata, groups, committed offsets, *then* end offsets (so a live
//! consumer's lag is never negative), then group descriptions (last: some brokers drop the
//! connection on DescribeGroups, which must not cost the other stages), then topic configs
//! when due. A failing stage is reported and retried with backoff; it never kills the loop.

pub mod assess;
pub mod controller;
pub mod snapshot;

use crate::kafka::offsets::failed_entries;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafscope_api::{SnapshotEvent, StageError};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::ClusterConfig;
use crate::kafka::quorum::{QuorumError, QuorumRead};
use crate::kafka::{ClusterClient, OffsetSpec};
use crate::store::{LagSample, OffsetSample, Store};
use controller::QuorumOutcome;
pub use snapshot::{ClusterSnapshot, GroupState, PollData, TopicState, Trails};

/// Group ids per DescribeConsumerGroups request.
const DESCRIBE_CHUNK: usize = 100;

/// Wall clock in unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Exponential backoff for a stage that keeps failing: skip it until `until`.
#[derive(Debug, Default, Clone)]
struct StageBackoff {
    failures: u32,
    until: Option<Instant>,
    last_error: Option<String>,
}

impl StageBackoff {
    fn due(&self, now: Instant) -> bool {
        self.until.is_none_or(|u| now >= u)
    }
    fn failed(&mut self, now: Instant, base: Duration, error: String) {
        self.failures = self.failures.saturating_add(1);
        let factor = 1u32 << self.failures.min(8);
        // Jitter from the clock's sub-second noise: enough to spread several clusters.
        let jitter = Duration::from_millis(now_ms().rem_euclid(250) as u64);
        let wait = (base * factor).min(Duration::from_secs(300)) + jitter;
        self.until = Some(now + wait);
        self.last_error = Some(error);
    }
    fn succeeded(&mut self) {
        *self = StageBackoff::default();
    }
}

enum Command {
    PollNow(oneshot::Sender<()>),
    Stop,
}

/// The metrics endpoints are read by their own task on their own schedule, so a slow poll
/// (a dead broker) never delays them and a sample is stamped with the time it was read.
/// A poll takes the latest reading; `poll_now` asks for a fresh one and waits for it.
struct MetricsTask {
    latest: Arc<std::sync::Mutex<Option<crate::metrics::scrape::Fetched>>>,
    now: mpsc::Sender<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl MetricsTask {
    fn start(mut scraper: crate::metrics::scrape::Scraper, every: Duration) -> MetricsTask {
        let latest = Arc::new(std::sync::Mutex::new(None));
        let (now, mut asks) = mpsc::channel::<oneshot::Sender<()>>(8);
        let out = latest.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let done = tokio::select! {
                    _ = tick.tick() => None,
                    ask = asks.recv() => match ask {
                        Some(done) => Some(done),
                        None => break,
                    },
                };
                let fetched = scraper.scrape().await;
                if let Ok(mut l) = out.lock() {
                    *l = Some(fetched);
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
        });
        MetricsTask { latest, now, task }
    }

    fn latest(&self) -> Option<crate::metrics::scrape::Fetched> {
        self.latest.lock().ok().and_then(|l| l.clone())
    }

    /// Read every endpoint now and wait for it.
    async fn refresh(&self) {
        let (tx, rx) = oneshot::channel();
        if self.now.send(tx).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl Drop for MetricsTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The state a collector keeps between cycles.
pub struct Collector {
    cfg: ClusterConfig,
    client: ClusterClient,
    store: Store,
    tx: watch::Sender<Arc<ClusterSnapshot>>,
    events: broadcast::Sender<SnapshotEvent>,
    describe_backoff: StageBackoff,
    trails: Trails,
    /// Whether the trails were seeded from the store (done once, before the first poll).
    seeded: bool,
    /// How long the previous cycle's history write took (reported with the next cycle).
    last_store_ms: Option<u64>,
    configs_due: Option<Instant>,
    configs_known: usize,
    /// Broker metrics endpoints, read by their own task; `None` when none is configured.
    metrics: Option<MetricsTask>,
    /// The scraper until the loop starts and hands it to its task.
    scraper: Option<crate::metrics::scrape::Scraper>,
    /// When log dirs are read next (DescribeLogDirs).
    log_dirs_due: Option<Instant>,
    /// Batched group reads and DescribeLogDirs over Kafscope's own protocol connections;
    /// `None`: librdkafka's admin calls, one request per group (a SASL mechanism Kafscope does
    /// not speak).
    group_reader: Option<crate::kafka::groups::GroupReader>,
    /// ListOffsets over Kafscope's own connections (see `kafka::offsets`); `None` with
    /// `group_reader`.
    offset_reader: Option<crate::kafka::offsets::OffsetReader>,
    /// How the brokers are reached, for the API.
    connection: kafscope_api::ConnectionPath,
    /// Group activity as last written to the store (only changes are written).
    stored_activity: HashMap<String, snapshot::Activity>,
    /// Leaders whose ListOffsets failed in the previous poll: asked first, beside the
    /// groups, so their timeout does not add to the poll.
    suspect_leaders: std::collections::BTreeSet<i32>,
    /// The node that answered DescribeQuorum last (asked first next time).
    quorum_via: Option<i32>,
    /// Suspect leaders whose early ListOffsets is still running (not asked again meanwhile).
    early_inflight: Arc<std::sync::Mutex<std::collections::BTreeSet<i32>>>,
    /// The last quorum read (controllers' metrics endpoints are matched by it).
    last_quorum: Option<kafscope_api::Quorum>,
    /// DescribeQuorum unsupported (not KRaft) or refused: not asked again until due.
    quorum_backoff: StageBackoff,
    quorum_last_error: Option<QuorumError>,
    /// The failure being repeated (logged once, with its count when it ends).
    failing: Option<Failing>,
    /// The connection check running, and its last verdict.
    probe: ProbeState,
    /// The session to the node that answered DescribeQuorum last.
    quorum_session: Arc<tokio::sync::Mutex<Option<crate::kafka::quorum::Kept>>>,
}

/// How long a readable cluster's poll waits for the connection check of its down brokers.
const PROBE_WAIT: Duration = Duration::from_millis(300);

/// The connection check running and its last verdict, for the cluster state they were made
/// in (`unreachable`: bootstrap servers checked; else only brokers).
#[derive(Default)]
struct ProbeState {
    task: Option<JoinHandle<kafscope_api::Diagnosis>>,
    last: Option<kafscope_api::Diagnosis>,
    unreachable: bool,
}

impl ProbeState {
    /// Forget a check made for another state of the cluster.
    fn reset(&mut self, unreachable: bool) {
        if self.unreachable != unreachable {
            if let Some(t) = self.task.take() {
                t.abort();
            }
            self.last = None;
            self.unreachable = unreachable;
        }
    }
}

impl Drop for ProbeState {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

struct Failing {
    /// The failure's class (or its text when it has none).
    key: String,
    why: String,
    polls: u64,
    since: Instant,
}

/// How often DescribeLogDirs is sent (disk usage moves slowly; the answer is large).
const LOG_DIRS_INTERVAL: Duration = Duration::from_secs(60);

/// A running collector: ask it to poll now, or stop it.
pub struct CollectorHandle {
    cmd: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

impl Collector {
    pub fn new(
        cfg: ClusterConfig,
        client: ClusterClient,
        store: Store,
        tx: watch::Sender<Arc<ClusterSnapshot>>,
        events: broadcast::Sender<SnapshotEvent>,
    ) -> Collector {
        let cfg_metrics = cfg.metrics.clone();
        let request_timeout = cfg.request_timeout;
        let requests = client.requests.clone();
        let offset_reader = client.own_offsets().cloned();
        let dialer = crate::kafka::security::from_properties(&cfg.client).and_then(|sec| {
            crate::kafka::wire::Dialer::new(&sec, request_timeout, requests.clone())
        });
        let connection = match &dialer {
            Ok(d) => kafscope_api::ConnectionPath {
                security: d.describe().to_string(),
                group_reads: "protocol".into(),
                reason: None,
            },
            Err(why) => {
                tracing::info!(cluster = %cfg.name, "consumer groups are read through librdkafka: {why}");
                kafscope_api::ConnectionPath {
                    security: cfg
                        .client
                        .get("security.protocol")
                        .map(|p| p.to_ascii_lowercase())
                        .unwrap_or_else(|| "plaintext".into()),
                    group_reads: "librdkafka".into(),
                    reason: Some(why.clone()),
                }
            }
        };
        Collector {
            connection,
            trails: Trails {
                significance: cfg.significance,
                inactive_after_ms: cfg.inactive_after.as_millis() as i64,
                ..Trails::new(cfg.status_window)
            },
            stored_activity: HashMap::new(),
            suspect_leaders: Default::default(),
            quorum_via: None,
            early_inflight: Default::default(),
            last_quorum: None,
            quorum_backoff: StageBackoff::default(),
            quorum_last_error: None,
            failing: None,
            probe: ProbeState::default(),
            quorum_session: Default::default(),
            seeded: false,
            last_store_ms: None,
            cfg,
            client,
            store,
            tx,
            events,
            describe_backoff: StageBackoff::default(),
            configs_due: None,
            configs_known: 0,
            log_dirs_due: None,
            offset_reader,
            group_reader: dialer.ok().map(crate::kafka::groups::GroupReader::new),
            metrics: None,
            scraper: (!cfg_metrics.is_empty())
                .then(|| crate::metrics::scrape::Scraper::new(cfg_metrics, request_timeout)),
        }
    }

    /// Spawn the loop: one cycle at once, then one every poll interval.
    pub fn start(mut self) -> CollectorHandle {
        let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(8);
        let task = tokio::spawn(async move {
            self.metrics = self
                .scraper
                .take()
                .map(|s| MetricsTask::start(s, self.cfg.poll_interval));
            let mut tick = tokio::time::interval(self.cfg.poll_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            // librdkafka's main queue (statistics, logs, errors) is drained every second so
            // nothing piles up between polls, whatever the poll interval.
            let mut drain = tokio::time::interval(Duration::from_secs(1));
            drain.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = tick.tick() => { self.poll_once(false).await; }
                    _ = drain.tick() => { self.client.serve_callbacks(); }
                    cmd = cmd_rx.recv() => match cmd {
                        Some(Command::PollNow(done)) => {
                            self.poll_once(true).await;
                            let _ = done.send(());
                        }
                        Some(Command::Stop) | None => break,
                    },
                }
            }
            tracing::info!(cluster = %self.cfg.name, "collector stopped");
        });
        CollectorHandle { cmd: cmd_tx, task }
    }

    /// Load the last two windows of history from the store, so statuses and time lags are
    /// right straight after a restart instead of "watching" again.
    async fn seed_trails(&mut self) {
        self.seeded = true;
        match self.store.group_activity(&self.cfg.name).await {
            Ok(rows) => {
                for (g, first, last, seen) in rows {
                    let a = snapshot::Activity {
                        first_seen_ms: first,
                        last_active_ms: last,
                        seen_active: seen,
                    };
                    self.stored_activity.insert(g.clone(), a.clone());
                    self.trails.activity.insert(g, a);
                }
            }
            Err(e) => {
                tracing::warn!(cluster = %self.cfg.name, error = %e, "cannot load group activity")
            }
        }
        let since = now_ms() - 2 * self.trails.window_ms;
        let keep_after = since;
        match self.store.recent_end_offsets(&self.cfg.name, since).await {
            Ok(rows) => {
                for (t, p, at, end) in rows {
                    self.trails
                        .ends
                        .entry((t, p))
                        .or_default()
                        .push(at, end, keep_after);
                }
            }
            Err(e) => {
                tracing::warn!(cluster = %self.cfg.name, error = %e, "cannot seed end offsets")
            }
        }
        match self.store.recent_commits(&self.cfg.name, since).await {
            Ok(rows) => {
                for (g, t, p, at, c) in rows {
                    self.trails
                        .commits
                        .entry((g, t, p))
                        .or_default()
                        .push(at, c, keep_after);
                }
            }
            Err(e) => tracing::warn!(cluster = %self.cfg.name, error = %e, "cannot seed commits"),
        }
    }

    /// Run one cycle: read, publish, record. Never fails: errors end up in the snapshot.
    /// `fresh_metrics`: read the metrics endpoints now too (an explicit poll), instead of
    /// taking their task's latest reading.
    pub async fn poll_once(&mut self, fresh_metrics: bool) {
        if !self.seeded {
            self.seed_trails().await;
        }
        let started = Instant::now();
        let prev = self.tx.borrow().clone();
        let metrics = self.metrics.take();
        let refresh = async {
            if let (true, Some(m)) = (fresh_metrics, &metrics) {
                m.refresh().await;
            }
        };
        let (result, ()) = tokio::join!(self.read_cluster(), refresh);
        let fetched = metrics.as_ref().and_then(MetricsTask::latest);
        self.metrics = metrics;
        self.client.serve_callbacks();
        let at = now_ms();
        let took = started.elapsed().as_millis() as u64;
        let mut log_dirs = None;
        let next = match result {
            Ok(mut data) => {
                self.client.clear_last_error();
                log_dirs = data.log_dirs.take();
                let t = Instant::now();
                let mut snap = snapshot::build(&prev, data, &mut self.trails, at, took);
                snap.stages_ms
                    .insert("build".into(), t.elapsed().as_millis() as u64);
                if let Some(ms) = self.last_store_ms {
                    snap.stages_ms.insert("store".into(), ms);
                }
                snap
            }
            Err(e) => snapshot::unreachable(&prev, e, at, took),
        };
        // A broker the cluster lists again is dialled at once, whatever its back-off.
        if let Some(reader) = &self.group_reader {
            for b in next
                .brokers
                .iter()
                .filter(|b| b.status == kafscope_api::BrokerStatus::Up)
            {
                let was_down = prev
                    .brokers
                    .iter()
                    .any(|p| p.id == b.id && p.status == kafscope_api::BrokerStatus::Down);
                if let (true, Some(h), Some(p)) = (
                    was_down || prev.status == kafscope_api::ClusterStatus::Unreachable,
                    &b.host,
                    b.port,
                ) {
                    reader.dialer().forgive(h, p);
                }
            }
        }
        // The previous snapshot goes when the next is published, not after the history write.
        drop(prev);
        let mut next = next;
        next.connection = self.connection.clone();
        next.diagnosis = self.diagnose(&next).await;
        self.log_outcome(&next);
        let extras = assess::Extras {
            // Controllers' endpoints are matched by the last quorum read, so one failed read
            // does not drop their metrics (ActiveControllerCount) for a poll.
            scraped: fetched.map(|f| {
                f.resolve(
                    &next.brokers,
                    next.quorum.as_ref().or(self.last_quorum.as_ref()),
                )
            }),
            log_dirs,
        };
        assess::attach(&mut next, extras, at);
        if next.quorum.is_some() {
            self.last_quorum.clone_from(&next.quorum);
        }
        let next = Arc::new(next);
        self.tx.send_replace(next.clone());
        let _ = self.events.send(SnapshotEvent {
            cluster: next.name.clone(),
            version: next.version,
            status: next.status,
        });
        if !next.broker_metrics.is_empty() {
            if let Err(e) = self
                .store
                .write_metric_reads(&next.name, &next.metrics_read_at, &next.broker_metrics)
                .await
            {
                tracing::warn!(cluster = %self.cfg.name, error = %e, "cannot record metrics");
            }
        }
        self.record_quorum(&next).await;
        self.save_activity().await;
        if next.last_poll_error.is_none() {
            let t = Instant::now();
            self.record(&next, at).await;
            self.last_store_ms = Some(t.elapsed().as_millis() as u64);
        }
        tokio::task::spawn_blocking(crate::kafka::ffi::release_c_heap);
    }

    /// Why the cluster, or a broker that is down, cannot be read: the connection check over
    /// the console's own connections (each failing broker tried at most once per back-off).
    /// `None` while everything can be read. The check runs as its own task: an unreachable
    /// cluster's poll waits for it (the poll failed anyway, and its page should say why at
    /// once); a readable cluster's poll waits at most [`PROBE_WAIT`] and shows the previous
    /// verdict until the check ends, so a broker that drops packets cannot slow the snapshot.
    async fn diagnose(&mut self, snap: &ClusterSnapshot) -> Option<kafscope_api::Diagnosis> {
        let unreachable = snap.status == kafscope_api::ClusterStatus::Unreachable;
        let down: Vec<(i32, String, u16)> = snap
            .brokers
            .iter()
            .filter(|b| unreachable || b.status == kafscope_api::BrokerStatus::Down)
            .filter_map(|b| Some((b.id, b.host.clone()?, b.port?)))
            .collect();
        // Listed as up, but the console's own connections could not reach them this poll (an
        // advertised address the console cannot resolve or reach, a TLS or SASL setting).
        let suspects: Vec<(i32, String, u16)> = match (&self.group_reader, unreachable) {
            (Some(r), false) => snap
                .brokers
                .iter()
                .filter(|b| {
                    b.status == kafscope_api::BrokerStatus::Up && r.down().contains_key(&b.id)
                })
                .filter_map(|b| Some((b.id, b.host.clone()?, b.port?)))
                .collect(),
            _ => Vec::new(),
        };
        if !unreachable && down.is_empty() && suspects.is_empty() {
            if let Some(t) = self.probe.task.take() {
                t.abort();
            }
            self.probe.last = None;
            return None;
        }
        self.probe.reset(unreachable);
        let checked_at = crate::http::state::rfc3339(now_ms());
        let Some(reader) = &self.group_reader else {
            return unreachable.then(|| self.client.librdkafka_diagnosis(checked_at));
        };
        if self.probe.task.is_none() {
            let bootstrap = if unreachable {
                crate::config::host_ports(&self.cfg.bootstrap_servers).unwrap_or_default()
            } else {
                Vec::new()
            };
            // A broker at a bootstrap address is checked once, as a bootstrap server.
            let missing = down
                .into_iter()
                .filter(|(_, h, p)| !bootstrap.iter().any(|(bh, bp)| bh == h && bp == p))
                .collect();
            let dialer = reader.dialer().clone();
            self.probe.task = Some(tokio::spawn(async move {
                crate::kafka::probe::Probe {
                    dialer: &dialer,
                    bootstrap,
                    missing,
                    suspects,
                    now: false,
                }
                .run(checked_at)
                .await
            }));
        }
        let wait = if unreachable {
            self.cfg.request_timeout * 7
        } else {
            PROBE_WAIT
        };
        if let Some(task) = self.probe.task.as_mut() {
            if let Ok(done) = tokio::time::timeout(wait, task).await {
                self.probe.task = None;
                if let Ok(d) = done {
                    self.probe.last = Some(d);
                }
            }
        }
        self.probe.last.clone()
    }

    /// One log line when the cluster's state changes (unreachable with a new cause, readable
    /// again), not one per poll: a repeated failure is counted and said when it ends.
    fn log_outcome(&mut self, snap: &ClusterSnapshot) {
        // Said again when the cause changes, not when only its wording does (librdkafka's
        // lines carry timings).
        let failure = (snap.status == kafscope_api::ClusterStatus::Unreachable).then(|| {
            let d = snap.diagnosis.as_ref().filter(|d| !d.ok);
            let text = snap.failure_text().unwrap_or_default().to_string();
            let key = d
                .and_then(|d| {
                    let step = d.step.clone().unwrap_or_default();
                    d.cause.clone().map(|c| format!("{c}/{step}"))
                })
                .unwrap_or_else(|| crate::kafka::repeat_key(&text));
            (key, text)
        });
        let name = &self.cfg.name;
        match (&mut self.failing, failure) {
            (Some(f), Some((key, _))) if f.key == key => f.polls += 1,
            (prev, Some((key, why))) => {
                if let Some(f) = prev.take() {
                    tracing::info!(cluster = %name, polls = f.polls, "the previous failure lasted {} s: {}", f.since.elapsed().as_secs(), f.why);
                }
                tracing::warn!(cluster = %name, error = snap.last_poll_error.as_deref().unwrap_or(""), "cannot read the cluster: {why}");
                *prev = Some(Failing {
                    key,
                    why,
                    polls: 1,
                    since: Instant::now(),
                });
            }
            (prev, None) => {
                if let Some(f) = prev.take() {
                    tracing::info!(cluster = %name, failed_polls = f.polls, "the cluster can be read again after {} s", f.since.elapsed().as_secs());
                }
            }
        }
    }

    async fn read_cluster(&mut self) -> Result<PollData, String> {
        let t = Instant::now();
        let metadata = self.read_metadata().await?;
        let mut data = PollData {
            metadata,
            ..Default::default()
        };
        data.timed("metadata", t);
        let brokers: Vec<(i32, String, u16)> = data
            .metadata
            .brokers
            .iter()
            .map(|b| (b.id, b.host.clone(), b.port))
            .collect();

        // Stages that do not depend on each other run at once, so a dead broker costs a poll
        // one request timeout, not one per stage: the groups chain (its order is kept), the
        // metadata quorum, topic configs and log dirs when due.
        let now = Instant::now();
        let dialer = self.group_reader.as_ref().map(|r| r.dialer().clone());
        let quorum = {
            let dialer = dialer.clone();
            let controllers: Vec<(i32, String, u16)> = self
                .cfg
                .bootstrap_controllers
                .iter()
                .enumerate()
                .map(|(i, (h, p))| (-1 - i as i32, h.clone(), *p))
                .collect();
            let candidates = if controllers.is_empty() {
                brokers.clone()
            } else {
                controllers
            };
            let prefer = self.quorum_via;
            let kept = self.quorum_session.clone();
            // Not a KRaft cluster, or not allowed to ask: asked again only after a backoff
            // (the last answer stands meanwhile), not every poll of every broker.
            let skip = (!self.quorum_backoff.due(now))
                .then(|| self.quorum_last_error.clone())
                .flatten();
            async move {
                let t = Instant::now();
                let r = match (&dialer, skip) {
                    (Some(_), Some(last)) => Some(Err(last)),
                    (Some(d), None) => Some(read_quorum(&candidates, prefer, d, &kept).await),
                    (None, _) => None,
                };
                (r, t.elapsed().as_millis() as u64)
            }
        };
        let topic_names: Vec<String> = data
            .metadata
            .topics
            .iter()
            .map(|t| t.name.clone())
            .collect();
        let configs_due =
            self.configs_due.is_none_or(|d| now >= d) || topic_names.len() != self.configs_known;
        let configs = {
            let client = self.client.clone();
            let names = topic_names.clone();
            async move {
                if !configs_due {
                    return None;
                }
                let t = Instant::now();
                let r = client.topic_configs(&names).await;
                Some((r, t.elapsed().as_millis() as u64))
            }
        };
        let log_dirs_due = self.cfg.describe_log_dirs && self.log_dirs_due.is_none_or(|d| now >= d);
        let log_dirs = {
            let dialer = dialer.clone();
            let why = self.connection.reason.clone().unwrap_or_default();
            let live = brokers.clone();
            async move {
                if !log_dirs_due {
                    return None;
                }
                let t = Instant::now();
                let r = match &dialer {
                    Some(d) => crate::kafka::logdirs::read(&live, d).await,
                    None => Err(format!(
                        "DescribeLogDirs is read over Kafscope's own connections, which this cluster cannot use ({why}); export log sizes with a metrics endpoint instead"
                    )),
                };
                Some((r, t.elapsed().as_millis() as u64))
            }
        };
        // librdkafka sends it to a broker of its choosing, which may be the one that just
        // died: it gets a quarter of the request timeout (racks change rarely; the last known
        // ones stay).
        let described = {
            let client = self.client.clone();
            let timeout = (self.cfg.request_timeout / 4).max(Duration::from_millis(250));
            async move {
                let t = Instant::now();
                (
                    client.describe_cluster(timeout).await,
                    t.elapsed().as_millis() as u64,
                )
            }
        };
        let (chain, (quorum, quorum_ms), configs, log_dirs, described) = tokio::join!(
            self.read_groups(&mut data),
            quorum,
            configs,
            log_dirs,
            described
        );
        // A failed poll uses none of the stages' results: log dirs stay due.
        chain?;
        if log_dirs_due {
            self.log_dirs_due = Some(now + LOG_DIRS_INTERVAL);
        }
        let (described, describe_ms) = described;
        data.stages_ms
            .insert("describe_cluster".into(), describe_ms);
        // Racks, and the controller before KRaft. Without an answer the racks seen before
        // stay (a hung broker may have been asked).
        let prev = self.tx.borrow().clone();
        match described {
            Ok((racks, controller)) => {
                for (id, rack) in racks {
                    if let Some(b) = data.metadata.brokers.iter_mut().find(|b| b.id == id) {
                        b.rack = rack;
                    }
                }
                data.metadata.controller_id = controller.or(data.metadata.controller_id);
            }
            Err(_) => {
                for b in &mut data.metadata.brokers {
                    // Our own Metadata (the hedge) carries racks; else the last known.
                    b.rack = b.rack.take().or_else(|| {
                        prev.brokers
                            .iter()
                            .find(|p| p.id == b.id)
                            .and_then(|p| p.rack.clone())
                    });
                }
            }
        }

        data.stages_ms.insert("quorum".into(), quorum_ms);
        let mut quorum = quorum;
        match &quorum {
            Some(Ok(_)) => {
                self.quorum_backoff.succeeded();
                self.quorum_last_error = None;
            }
            Some(Err(e)) if self.quorum_backoff.due(now) => {
                let base = match e {
                    QuorumError::Unsupported => Some(Duration::from_secs(300)),
                    QuorumError::NotAuthorized(_) => Some(self.cfg.poll_interval),
                    // A transport failure is an incident: asked again next poll.
                    QuorumError::Failed(_) => None,
                };
                if let Some(base) = base {
                    self.quorum_backoff.failed(now, base, e.to_string());
                    self.quorum_last_error = Some(e.clone());
                }
            }
            _ => {}
        }
        let outcome = match &mut quorum {
            Some(Ok(q)) => {
                self.quorum_via = Some(q.via);
                // A configured controller has no id until it answers: the leader answered.
                if q.via < 0 {
                    q.via = q.leader_id.unwrap_or(q.via);
                }
                QuorumOutcome::Read(q)
            }
            Some(Err(e)) => {
                if !matches!(e, QuorumError::Unsupported) {
                    data.stage_errors.push(stage("quorum", e.to_string()));
                }
                QuorumOutcome::Failed(e)
            }
            None => QuorumOutcome::NoConnection(self.connection.reason.as_deref().unwrap_or("")),
        };
        // Every broker known, so a dead combined node stays "combined".
        let prev = self.tx.borrow().clone();
        let ids: std::collections::BTreeSet<i32> = brokers
            .iter()
            .map(|b| b.0)
            .chain(prev.brokers.iter().map(|b| b.id))
            .chain(
                data.metadata
                    .topics
                    .iter()
                    .flat_map(|t| &t.partitions)
                    .flat_map(|p| p.replicas.iter().copied()),
            )
            .collect();
        data.controller = controller::resolve(
            outcome,
            data.metadata.controller_id,
            &ids,
            prev.kraft,
            now_ms(),
        );

        if let Some((configs, took)) = configs {
            data.stages_ms.insert("topic_configs".into(), took);
            match configs {
                Ok(c) => {
                    data.configs = Some(c);
                    self.configs_known = topic_names.len();
                    self.configs_due = Some(now + self.cfg.config_refresh_interval);
                }
                Err(e) => {
                    data.stage_errors
                        .push(stage("topic_configs", e.to_string()));
                    // Retry on the next cycle but one.
                    self.configs_due = Some(now + self.cfg.poll_interval * 2);
                }
            }
        }
        if let Some((r, took)) = log_dirs {
            data.stages_ms.insert("log_dirs".into(), took);
            data.log_dirs = Some(r);
        }
        Ok(data)
    }

    /// Metadata through librdkafka, hedged: librdkafka asks the one broker it picks (its least
    /// idle), so when no answer came within a quarter of the request timeout (at most
    /// 500 ms) every known broker is asked too, over Kafscope's own connections, and the
    /// first answer wins. One hung broker then neither stalls the poll nor makes the
    /// cluster look unreachable.
    async fn read_metadata(&self) -> Result<crate::kafka::ClusterMetadata, String> {
        let rd = self.client.metadata();
        let Some(reader) = &self.group_reader else {
            return rd.await.map_err(|e| e.to_string());
        };
        let prev = self.tx.borrow().clone();
        let mut known: Vec<(String, u16)> = prev
            .brokers
            .iter()
            .filter(|b| b.status == kafscope_api::BrokerStatus::Up)
            .filter_map(|b| Some((b.host.clone()?, b.port?)))
            .collect();
        // Validated at start-up: every entry is HOST:PORT.
        known.extend(crate::config::host_ports(&self.cfg.bootstrap_servers).unwrap_or_default());
        known.sort();
        known.dedup();
        let own = crate::kafka::metadata::read(&known, reader.dialer());
        let hedge_after = (self.cfg.request_timeout / 4).min(Duration::from_millis(500));
        tokio::pin!(rd);
        tokio::pin!(own);
        let both = |e: &dyn std::fmt::Display, o: &str| {
            format!("{e}; and over Kafscope's own connections: {o}")
        };
        tokio::select! {
            r = &mut rd => match r {
                Ok(md) => return Ok(md),
                Err(e) => return (&mut own).await.map_err(|o| both(&e, &o)),
            },
            _ = tokio::time::sleep(hedge_after) => {}
        }
        tokio::select! {
            r = &mut rd => match r {
                Ok(md) => Ok(md),
                Err(e) => (&mut own).await.map_err(|o| both(&e, &o)),
            },
            r = &mut own => match r {
                Ok(md) => Ok(md),
                Err(o) => rd.await.map_err(|e| both(&e, &o)),
            },
        }
    }

    /// Groups, committed offsets, end offsets and descriptions. Committed offsets are read
    /// before end offsets (a live consumer's lag is never negative), except on leaders that
    /// failed the previous poll: those are asked at once, beside the groups, so a dead
    /// leader's request timeout runs alongside the other stages instead of after them.
    async fn read_groups(&mut self, data: &mut PollData) -> Result<(), String> {
        // Offsets are asked of each partition's leader; a partition without one (offline) has
        // none to give, and asking would fail librdkafka's whole batch ("No leaders found").
        let by_leader = partitions_by_leader(&data.metadata);
        let partitions: Vec<(String, i32)> = by_leader.values().flatten().cloned().collect();
        let (suspect, mut healthy): (ByLeader, ByLeader) = by_leader
            .clone()
            .into_iter()
            .partition(|(l, _)| self.suspect_leaders.contains(l));
        let mut kinds = vec![
            (OffsetSpec::Earliest, "log_start_offsets"),
            (OffsetSpec::Latest, "end_offsets"),
        ];
        if self.cfg.read_committed_lag {
            kinds.push((OffsetSpec::LastStable, "last_stable_offsets"));
        }
        // The suspect leaders first, beside the groups, one task each: a task that is not
        // waited for (its leader found down again) finishes in the background and clears its
        // in-flight mark, and a leader whose previous call is still in flight is not asked
        // again — so calls to a dead leader never pile up.
        let specs: Vec<OffsetSpec> = kinds.iter().map(|(s, _)| *s).collect();
        let source = match &self.offset_reader {
            Some(reader) => {
                let ids: Vec<i32> = data.metadata.brokers.iter().map(|b| b.id).collect();
                reader.retain(&ids);
                OffsetSource::Own {
                    reader: reader.clone(),
                    addrs: Arc::new(
                        data.metadata
                            .brokers
                            .iter()
                            .map(|b| (b.id, (b.host.clone(), b.port)))
                            .collect(),
                    ),
                }
            }
            None => OffsetSource::Librdkafka(self.client.clone()),
        };
        let mut early_tasks = Vec::new();
        for (leader, parts) in suspect {
            let fresh = self
                .early_inflight
                .lock()
                .map(|mut f| f.insert(leader))
                .unwrap_or(false);
            if !fresh {
                early_tasks.push((leader, parts, None));
                continue;
            }
            let source = source.clone();
            let specs = specs.clone();
            let inflight = self.early_inflight.clone();
            let by: ByLeader = [(leader, parts.clone())].into();
            let task = tokio::spawn(async move {
                let out = list_offsets_per_leader(&source, &by, &specs).await;
                if let Ok(mut f) = inflight.lock() {
                    f.remove(&leader);
                }
                out
            });
            early_tasks.push((leader, parts, Some(task)));
        }
        self.read_committed(data).await;
        let down = self
            .group_reader
            .as_ref()
            .map(|r| r.down().clone())
            .unwrap_or_default();
        let mut early: Vec<Vec<crate::kafka::PartitionEntry>> = vec![Vec::new(); specs.len()];
        for (leader, parts, task) in early_tasks {
            let unread = |why: String| failed_entries(&parts, Some(&leader), &why);
            let per_kind = match task {
                None => {
                    vec![unread("its previous request is still unanswered".into()); specs.len()]
                }
                // Found down again by this poll's own connections: not waited for.
                Some(t) if !t.is_finished() && down.contains_key(&leader) => {
                    let why = format!("not reachable in this poll ({})", down[&leader]);
                    vec![unread(why); specs.len()]
                }
                Some(t) => match t.await {
                    Ok(r) => r,
                    Err(e) => vec![unread(e.to_string()); specs.len()],
                },
            };
            for (k, entries) in per_kind.into_iter().enumerate() {
                if let Some(slot) = early.get_mut(k) {
                    slot.extend(entries);
                }
            }
        }
        // A leader that did not answer Kafscope's own connections in this poll (refused, or
        // hung until the timeout) is not asked again: its partitions are reported unread, and
        // the next poll asks it once, beside the groups. Only while some broker did answer:
        // when none did, the trouble is Kafscope's own path, and librdkafka's may still work.
        let mut unreachable: Vec<crate::kafka::PartitionEntry> = Vec::new();
        // Every leader is down for our own connections while another broker answered them:
        // the partitions' leaders are dead, the cluster is not unreachable.
        let mut leaders_dead = false;
        if let Some(reader) = &self.group_reader {
            let down = reader.down();
            leaders_dead = down.len() < data.metadata.brokers.len()
                && by_leader.keys().all(|l| down.contains_key(l));
            if !down.is_empty() && down.len() < data.metadata.brokers.len() {
                for (leader, why) in down {
                    if let Some(parts) = healthy.remove(leader) {
                        unreachable.extend(failed_entries(
                            &parts,
                            Some(leader),
                            &format!("not reachable in this poll ({why})"),
                        ));
                    }
                }
            }
        }

        // The earliest, latest and last-stable offsets: one call per healthy leader and kind,
        // all at once, after the committed offsets.
        let calls = async {
            let t = Instant::now();
            let r = list_offsets_per_leader(&source, &healthy, &specs).await;
            let took = t.elapsed().as_millis() as u64;
            r.into_iter().map(|e| (e, took)).collect::<Vec<_>>()
        };
        let ids: Vec<String> = data.groups.iter().map(|g| g.group_id.clone()).collect();
        // Over Kafscope's own connections the descriptions go beside ListOffsets; through
        // librdkafka they share its connections, and a broker that drops one on DescribeGroups
        // would fail the offsets in flight: after them.
        let (results, described) = if self.group_reader.is_some() {
            let describe = self.describe_groups(ids);
            tokio::join!(calls, describe)
        } else {
            let results = calls.await;
            (results, self.describe_groups(ids).await)
        };
        let mut early = early.into_iter();
        let mut failed_by_kind = Vec::new();
        for ((spec, name), (mut entries, took)) in kinds.into_iter().zip(results) {
            let mut failed_parts = std::collections::HashSet::new();
            entries.extend(early.next().unwrap_or_default());
            // The same partitions are unread for every kind.
            entries.extend(unreachable.iter().cloned());
            data.stages_ms.insert(name.to_string(), took);
            let target = match spec {
                OffsetSpec::Earliest => &mut data.log_start,
                OffsetSpec::Latest => &mut data.high_watermark,
                OffsetSpec::LastStable => &mut data.last_stable,
                // Lookups by time are message inspection's; a poll never asks for them.
                OffsetSpec::Timestamp(_) => continue,
            };
            let mut failed = 0usize;
            let mut example = None;
            for e in entries {
                match e.error {
                    None if e.offset >= 0 => {
                        target.insert((e.topic, e.partition), e.offset);
                    }
                    err => {
                        failed += 1;
                        failed_parts.insert((e.topic.clone(), e.partition));
                        if example.is_none() {
                            let why =
                                err.unwrap_or_else(|| format!("no offset (got {})", e.offset));
                            // Name the leader: it is usually the broker at fault.
                            let leader = by_leader
                                .iter()
                                .find(|(_, ps)| {
                                    ps.iter().any(|(t, p)| *t == e.topic && *p == e.partition)
                                })
                                .map(|(l, _)| *l);
                            example = Some(match leader {
                                Some(l) if !why.starts_with("leader ") => {
                                    format!("{}[{}] (leader {l}): {why}", e.topic, e.partition)
                                }
                                _ => format!("{}[{}]: {why}", e.topic, e.partition),
                            });
                        }
                    }
                }
            }
            if failed > 0 {
                data.stage_errors.push(stage(
                    name,
                    format!(
                        "{failed} partitions failed, e.g. {}",
                        example.unwrap_or_default()
                    ),
                ));
            }
            // Metadata can come from a connection that just died; when not one partition
            // answers ListOffsets, the brokers are not reachable and the data is not fresh —
            // unless other brokers did answer this poll and only the leaders are dead (every
            // partition led by the one broker that crashed).
            if target.is_empty() && !partitions.is_empty() && !leaders_dead {
                let why = data
                    .stage_errors
                    .last()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                return Err(format!("no broker answered ListOffsets: {why}"));
            }
            failed_by_kind.push(failed_parts);
        }
        // Suspect: a leader every partition of which failed (a dead or hung broker), not one
        // with a partition the broker cannot serve (a storage error): that would lose the
        // committed-before-end-offsets order for its partitions for good.
        self.suspect_leaders = by_leader
            .iter()
            .filter(|(_, ps)| {
                failed_by_kind
                    .iter()
                    .any(|f| ps.iter().all(|p| f.contains(p)))
            })
            .map(|(l, _)| *l)
            .collect();
        self.apply_descriptions(data, described);
        Ok(())
    }

    /// The group list, then every group's committed offsets.
    async fn read_committed(&mut self, data: &mut PollData) {
        let t = Instant::now();
        let brokers: Vec<(i32, String, u16)> = data
            .metadata
            .brokers
            .iter()
            .map(|b| (b.id, b.host.clone(), b.port))
            .collect();
        let listed = match &mut self.group_reader {
            Some(reader) => {
                reader.set_brokers(&brokers);
                reader.list().await
            }
            None => self.client.list_groups().await,
        };
        match listed {
            Ok((groups, errors)) => {
                data.groups = groups;
                for e in errors {
                    data.stage_errors.push(stage("list_groups", e));
                }
            }
            Err(e) => {
                data.stage_errors.push(stage("list_groups", e.to_string()));
                // Keep watching the groups we knew; none is taken for deleted.
                let prev = self.tx.borrow().clone();
                data.groups_from_previous = true;
                data.groups = prev
                    .groups
                    .values()
                    .filter(|g| !g.summary.deleted)
                    .map(|g| crate::kafka::GroupListing {
                        group_id: g.summary.group_id.clone(),
                        is_simple: false,
                        state: g.summary.state.clone().unwrap_or_default(),
                        group_type: g.summary.group_type.clone(),
                    })
                    .collect();
            }
        }
        data.groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        data.timed("list_groups", t);
        let ids: Vec<String> = data.groups.iter().map(|g| g.group_id.clone()).collect();

        let t = Instant::now();
        if let Some(reader) = &mut self.group_reader {
            let read = reader.offsets(&ids).await;
            let failed: Vec<&String> = read.iter().filter_map(|(_, r)| r.as_ref().err()).collect();
            if let Some(first) = failed.first() {
                data.stage_errors.push(stage(
                    "group_offsets",
                    format!(
                        "{} of {} groups failed, e.g. {first}",
                        failed.len(),
                        read.len()
                    ),
                ));
            }
            data.offsets.extend(read);
        } else {
            match self.client.group_offsets(ids).await {
                Ok(list) => {
                    for (g, r) in list {
                        data.offsets.insert(g, r.map_err(|e| e.to_string()));
                    }
                }
                Err(e) => data
                    .stage_errors
                    .push(stage("group_offsets", e.to_string())),
            }
        }
        data.timed("group_offsets", t);
    }

    /// Describe the groups, unless the stage is backing off.
    async fn describe_groups(&mut self, ids: Vec<String>) -> Option<(Described, u64)> {
        if ids.is_empty() || !self.describe_backoff.due(Instant::now()) {
            return None;
        }
        let t = Instant::now();
        let described = match &mut self.group_reader {
            Some(reader) => reader.describe(&ids, DESCRIBE_CHUNK).await,
            None => self.client.describe_groups(ids, DESCRIBE_CHUNK).await,
        };
        Some((described, t.elapsed().as_millis() as u64))
    }

    fn apply_descriptions(&mut self, data: &mut PollData, described: Option<(Described, u64)>) {
        let now = Instant::now();
        if data.groups.is_empty() {
            return;
        }
        if let Some((described, took)) = described {
            data.stages_ms.insert("describe_groups".into(), took);
            match described {
                Ok(descs) => {
                    let failed: Vec<&str> =
                        descs.iter().filter_map(|d| d.error.as_deref()).collect();
                    if !descs.is_empty() && failed.len() == descs.len() {
                        // Every group failed the same way: the broker cannot describe
                        // groups at all (tansu's sqlite storage drops the connection).
                        let msg = format!(
                            "the broker answered no DescribeGroups request ({} groups; {})",
                            descs.len(),
                            failed[0]
                        );
                        self.describe_backoff
                            .failed(now, self.cfg.poll_interval, msg);
                    } else {
                        self.describe_backoff.succeeded();
                        if let Some(first) = failed.first() {
                            data.stage_errors.push(stage(
                                "describe_groups",
                                format!(
                                    "{} groups could not be described, e.g. {first}",
                                    failed.len()
                                ),
                            ));
                        }
                        for d in descs {
                            data.descriptions.insert(d.group_id.clone(), d);
                        }
                    }
                }
                Err(e) => {
                    let msg = if e.unsupported {
                        format!("the broker refused {}: {}", e.api, e.message)
                    } else {
                        e.to_string()
                    };
                    self.describe_backoff
                        .failed(now, self.cfg.poll_interval, msg);
                }
            }
        }
        if let Some(err) = &self.describe_backoff.last_error {
            data.describe_error = Some(err.clone());
            data.stage_errors.push(stage(
                "describe_groups",
                format!("group state and members unavailable: {err}"),
            ));
        }
    }

    /// Each metadata replica's lag, as metric history (the health page's quorum chart).
    async fn record_quorum(&self, snap: &ClusterSnapshot) {
        let Some(q) = snap
            .quorum
            .as_ref()
            .filter(|_| snap.last_poll_error.is_none())
        else {
            return;
        };
        let at = snap.last_poll_at_ms.unwrap_or_else(now_ms);
        let mut values: std::collections::BTreeMap<i32, std::collections::BTreeMap<String, f64>> =
            Default::default();
        for r in q.voters.iter().chain(&q.observers) {
            let m = values.entry(r.id).or_default();
            if let Some(n) = r.lag {
                m.insert("quorum_lag_records".into(), n as f64);
            }
            if let Some(ms) = r.lag_ms {
                m.insert("quorum_lag_seconds".into(), ms as f64 / 1000.0);
            }
        }
        let at: std::collections::BTreeMap<i32, i64> = values.keys().map(|id| (*id, at)).collect();
        if let Err(e) = self
            .store
            .write_metric_reads(&snap.name, &at, &values)
            .await
        {
            tracing::warn!(cluster = %snap.name, error = %e, "cannot record the quorum's lag");
        }
    }

    /// Write the groups whose activity changed: a new group, a first activity, or an activity
    /// a minute newer than the stored one (so a busy group is written once a minute at most).
    async fn save_activity(&mut self) {
        // Forget groups the trails forgot (gone from the cluster), so this stays bounded.
        let live = &self.trails.activity;
        self.stored_activity.retain(|g, _| live.contains_key(g));
        let mut rows = Vec::new();
        for (g, a) in &self.trails.activity {
            let changed = match self.stored_activity.get(g) {
                None => true,
                Some(s) => {
                    s.seen_active != a.seen_active
                        || a.last_active_ms.unwrap_or(0) - s.last_active_ms.unwrap_or(0) >= 60_000
                }
            };
            if changed {
                rows.push((g.clone(), a.first_seen_ms, a.last_active_ms, a.seen_active));
            }
        }
        if rows.is_empty() {
            return;
        }
        match self.store.save_group_activity(&self.cfg.name, &rows).await {
            Ok(()) => {
                for (g, first, last, seen) in rows {
                    self.stored_activity.insert(
                        g,
                        snapshot::Activity {
                            first_seen_ms: first,
                            last_active_ms: last,
                            seen_active: seen,
                        },
                    );
                }
            }
            Err(e) => {
                tracing::warn!(cluster = %self.cfg.name, error = %e, "cannot record group activity")
            }
        }
    }

    /// Write this cycle's history. A store failure is logged; the snapshot is already served.
    async fn record(&self, snap: &ClusterSnapshot, at: i64) {
        let mut offsets = Vec::with_capacity(snap.partition_count());
        for t in snap.topics.values() {
            for p in &t.partitions {
                if let Some(h) = p.high_watermark {
                    offsets.push(OffsetSample {
                        topic: t.summary.name.clone(),
                        partition: p.partition,
                        log_start: p.log_start_offset,
                        end_offset: h,
                    });
                }
            }
        }
        let mut lags = Vec::new();
        for g in snap.groups.values() {
            for o in &g.detail.offsets {
                lags.push(LagSample {
                    group_id: g.summary.group_id.clone(),
                    topic: o.topic.clone(),
                    partition: o.partition,
                    committed: o.committed_offset,
                    lag: o.lag,
                    lag_ms: o.lag_seconds.map(|s| (s * 1000.0).round() as i64),
                    lag_ms_lower_bound: o.lag_seconds_method.as_deref() == Some("lower_bound"),
                });
            }
        }
        if let Err(e) = self
            .store
            .write_cycle(&snap.name, at, &offsets, &lags)
            .await
        {
            tracing::error!(cluster = %snap.name, error = %e, "writing lag history failed");
        }
    }
}

type ByLeader = std::collections::BTreeMap<i32, Vec<(String, i32)>>;

/// The partitions whose leader is a broker in the metadata, grouped by that leader.
fn partitions_by_leader(meta: &crate::kafka::ClusterMetadata) -> ByLeader {
    let mut out = ByLeader::new();
    for t in &meta.topics {
        for p in &t.partitions {
            if let Some(l) = p.leader.filter(|l| meta.brokers.iter().any(|b| b.id == *l)) {
                out.entry(l).or_default().push((t.name.clone(), p.id));
            }
        }
    }
    out
}

/// What describing the groups gave.
type Described = Result<Vec<crate::kafka::GroupDescription>, crate::kafka::KafkaCallError>;

/// Where the collector's ListOffsets go: Kafscope's own connections to the leaders (by
/// broker id), or librdkafka for a cluster only it can reach.
#[derive(Clone)]
enum OffsetSource {
    Own {
        reader: crate::kafka::offsets::OffsetReader,
        addrs: Arc<std::collections::BTreeMap<i32, (String, u16)>>,
    },
    Librdkafka(ClusterClient),
}

/// ListOffsets of every kind in `specs` as one call per leader, all at once; per kind (in
/// the order of `specs`), every partition with its offset or error. A call that fails gives
/// each of its partitions the error, so the caller sees which partitions (and through them
/// which broker) went unread, and a dead leader costs one request timeout beside the others.
async fn list_offsets_per_leader(
    source: &OffsetSource,
    by_leader: &ByLeader,
    specs: &[OffsetSpec],
) -> Vec<Vec<crate::kafka::PartitionEntry>> {
    let calls = by_leader.iter().map(|(leader, parts)| async move {
        match source {
            OffsetSource::Own { reader, addrs } => match addrs.get(leader) {
                Some((host, port)) => reader
                    .list((*leader, host, *port), parts, specs)
                    .await
                    .unwrap_or_else(|e| vec![failed_entries(parts, Some(leader), &e); specs.len()]),
                None => {
                    vec![failed_entries(parts, Some(leader), "not in the metadata"); specs.len()]
                }
            },
            OffsetSource::Librdkafka(client) => {
                let kinds = specs.iter().map(|spec| async move {
                    match client.list_offsets(parts.clone(), *spec).await {
                        Ok(entries) => entries,
                        Err(e) => failed_entries(parts, Some(leader), &e.to_string()),
                    }
                });
                futures::future::join_all(kinds).await
            }
        }
    });
    let mut out = vec![Vec::new(); specs.len()];
    for per_kind in futures::future::join_all(calls).await {
        for (slot, entries) in out.iter_mut().zip(per_kind) {
            slot.extend(entries);
        }
    }
    out
}

/// DescribeQuorum of the node that answered last time first, over the session kept to it;
/// when it fails, of every other candidate at once (one forwarded request per poll, on one
/// connection, while all is well).
async fn read_quorum(
    candidates: &[(i32, String, u16)],
    prefer: Option<i32>,
    dialer: &crate::kafka::wire::Dialer,
    kept: &tokio::sync::Mutex<Option<crate::kafka::quorum::Kept>>,
) -> Result<QuorumRead, QuorumError> {
    use crate::kafka::quorum;
    let mut slot = kept.lock().await;
    let mut first_error = None;
    let mut asked_first = false;
    if let Some(k) = slot.take() {
        let same = |c: &(i32, String, u16)| c.0 == k.id && c.1 == k.host && c.2 == k.port;
        if Some(k.id) == prefer && candidates.iter().any(same) {
            match quorum::ask(k).await {
                Ok((q, k)) => {
                    *slot = Some(k);
                    return Ok(q);
                }
                // A kept connection the node closed is opened again below; one that hung is
                // not asked twice.
                Err(QuorumError::Failed(e)) if crate::kafka::wire::is_timeout(&e) => {
                    asked_first = true;
                    first_error = Some(QuorumError::Failed(e));
                }
                Err(QuorumError::Failed(_)) => {}
                Err(e) => {
                    asked_first = true;
                    first_error = Some(e);
                }
            }
        }
    }
    let (first, rest): (Vec<_>, Vec<_>) = candidates
        .iter()
        .cloned()
        .partition(|c| Some(c.0) == prefer);
    if !first.is_empty() && !asked_first {
        match quorum::read(&first, dialer).await {
            Ok((q, k)) => {
                *slot = Some(k);
                return Ok(q);
            }
            Err(e) => first_error = Some(e),
        }
    }
    // The preferred candidate is never asked twice (a hung one would cost two timeouts).
    if rest.is_empty() {
        return Err(first_error.unwrap_or(QuorumError::Failed("no broker to ask".into())));
    }
    match quorum::read(&rest, dialer).await {
        Ok((q, k)) => {
            *slot = Some(k);
            Ok(q)
        }
        Err(_) if first_error == Some(QuorumError::Unsupported) => Err(QuorumError::Unsupported),
        Err(e) => Err(e),
    }
}

fn stage(name: &str, message: impl Into<String>) -> StageError {
    StageError {
        stage: name.to_string(),
        message: message.into(),
    }
}

/// Asks a collector for a poll now (after a change: the pages show its effect at once).
#[derive(Clone)]
pub struct Poller(mpsc::Sender<Command>);

impl Poller {
    /// Run one cycle now and wait for it to finish.
    pub async fn poll_now(&self) {
        let (tx, rx) = oneshot::channel();
        if self.0.send(Command::PollNow(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

impl CollectorHandle {
    /// Run one cycle now and wait for it to finish.
    pub async fn poll_now(&self) {
        self.poller().poll_now().await
    }

    pub fn poller(&self) -> Poller {
        Poller(self.cmd.clone())
    }

    /// Stop the loop and wait for it (at most 10 s, then it is aborted).
    pub async fn stop(self) {
        let _ = self.cmd.send(Command::Stop).await;
        let abort = self.task.abort_handle();
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            abort.abort();
        }
    }
}

/// The receivers of every cluster's snapshot, by name, in configuration order.
pub type Snapshots = Vec<(String, watch::Receiver<Arc<ClusterSnapshot>>)>;

/// Build a fresh empty snapshot channel for a cluster.
pub fn channel(
    cfg: &ClusterConfig,
) -> (
    watch::Sender<Arc<ClusterSnapshot>>,
    watch::Receiver<Arc<ClusterSnapshot>>,
) {
    watch::channel(Arc::new(ClusterSnapshot::empty(
        &cfg.name,
        &cfg.bootstrap_servers,
        cfg.poll_interval,
        cfg.read_only,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{ClusterMetadata, PartitionMetadata, TopicMetadata};

    #[test]
    fn offsets_are_asked_only_of_live_leaders() {
        let node = |id| crate::kafka::ffi::Node {
            id,
            host: "h".into(),
            port: 9092,
            rack: None,
        };
        let part = |id, leader| PartitionMetadata {
            id,
            leader,
            replicas: vec![1, 2, 3],
            isr: vec![1, 2],
        };
        let meta = ClusterMetadata {
            brokers: vec![node(1), node(2)],
            controller_id: Some(1),
            topics: vec![TopicMetadata {
                name: "orders".into(),
                error: None,
                // 0 and 3 led by 1, 1 by 2, 2 has no leader, 4 is led by broker 3 which is
                // not in the metadata.
                partitions: vec![
                    part(0, Some(1)),
                    part(1, Some(2)),
                    part(2, None),
                    part(3, Some(1)),
                    part(4, Some(3)),
                ],
            }],
        };
        let by = partitions_by_leader(&meta);
        assert_eq!(by.len(), 2);
        assert_eq!(by[&1], vec![("orders".into(), 0), ("orders".into(), 3)]);
        assert_eq!(by[&2], vec![("orders".to_string(), 1)]);
    }
}
