//! Alerts: rules evaluated on every snapshot a collector publishes, incidents with a state
//! machine, and notifications through a durable outbox to webhooks.
//!
//! `rules` and `engine` are pure (the clock is an argument); this module wires them to the
//! snapshots, the store and the delivery worker.

pub mod config;
pub mod delivery;
pub mod engine;
pub mod group_payload;
pub mod grouping;
pub mod payload;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use tokio::sync::{watch, Notify as Wake};
use tokio::task::JoinHandle;

use crate::collect::{now_ms, ClusterSnapshot};
use crate::store::alerts::{AlertEvent, OutboxItem};
use crate::store::silences::{Ack, Silence};
use crate::store::Store;
use config::AlertsConfig;
use engine::{Alert, Engine, State};
use std::collections::HashMap;

/// Current alerts of every cluster, for the API.
pub type AlertsView = Arc<RwLock<BTreeMap<String, Vec<Alert>>>>;

/// Silences and acknowledgements, written by the API (store first) and read by every
/// evaluation.
#[derive(Default)]
pub struct Controls {
    pub silences: RwLock<Vec<Silence>>,
    /// By (fingerprint, firing episode).
    pub acks: RwLock<HashMap<(String, i64), Ack>>,
}

impl Controls {
    /// The active silence covering these labels, if any.
    pub fn silenced_by(&self, labels: &BTreeMap<String, String>, now: i64) -> Option<i64> {
        self.silences
            .read()
            .ok()?
            .iter()
            .find(|s| s.active(now) && s.matches(labels))
            .map(|s| s.id)
    }

    pub fn ack_of(&self, a: &Alert) -> Option<Ack> {
        let episode = a.firing_since_ms?;
        self.acks
            .read()
            .ok()?
            .get(&(a.fingerprint.clone(), episode))
            .cloned()
    }
}

/// The running alert tasks.
pub struct Alerting {
    pub view: AlertsView,
    pub config: Arc<AlertsConfig>,
    pub controls: Arc<Controls>,
    /// The rules in force: the configuration's, with the API's changes applied.
    pub rules: Arc<RwLock<Vec<rules::Rule>>>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    pub wake: Arc<Wake>,
}

/// How an alert is saved between restarts.
#[derive(Serialize, Deserialize)]
struct Saved {
    fingerprint: String,
    rule: String,
    severity: kafscope_api::Severity,
    labels: BTreeMap<String, String>,
    summary: String,
    value: Option<f64>,
    state: String,
    active_since_ms: i64,
    firing_since_ms: Option<i64>,
    resolved_at_ms: Option<i64>,
    last_notified_ms: Option<i64>,
    notifications: u32,
    #[serde(default)]
    suppressed: bool,
}

fn save(a: &Alert) -> String {
    serde_json::to_string(&Saved {
        fingerprint: a.fingerprint.clone(),
        rule: a.rule.clone(),
        severity: a.severity,
        labels: a.labels.clone(),
        summary: a.summary.clone(),
        value: a.value,
        state: a.state.as_str().to_string(),
        active_since_ms: a.active_since_ms,
        firing_since_ms: a.firing_since_ms,
        resolved_at_ms: a.resolved_at_ms,
        last_notified_ms: a.last_notified_ms,
        notifications: a.notifications,
        suppressed: a.suppressed,
    })
    .unwrap_or_default()
}

fn load(body: &str) -> Option<Alert> {
    let s: Saved = serde_json::from_str(body).ok()?;
    Some(Alert {
        fingerprint: s.fingerprint,
        rule: s.rule,
        severity: s.severity,
        labels: s.labels,
        summary: s.summary,
        value: s.value,
        state: match s.state.as_str() {
            "pending" => State::Pending,
            "firing" => State::Firing,
            _ => State::Resolved,
        },
        active_since_ms: s.active_since_ms,
        firing_since_ms: s.firing_since_ms,
        resolved_at_ms: s.resolved_at_ms,
        last_notified_ms: s.last_notified_ms,
        notifications: s.notifications,
        suppressed: s.suppressed,
    })
}

impl Alerting {
    pub async fn start(
        cfg: AlertsConfig,
        store: Store,
        clusters: Vec<(String, watch::Receiver<Arc<ClusterSnapshot>>)>,
    ) -> Alerting {
        let cfg = Arc::new(cfg);
        let controls = Arc::new(Controls::default());
        let now = now_ms();
        match store.silences(now - 24 * 3_600_000).await {
            Ok(list) => *controls.silences.write().unwrap_or_else(|e| e.into_inner()) = list,
            Err(e) => tracing::warn!(error = %e, "cannot load silences"),
        }
        match store.acks().await {
            Ok(list) => {
                let mut acks = controls.acks.write().unwrap_or_else(|e| e.into_inner());
                for a in list {
                    acks.insert((a.fingerprint.clone(), a.episode_ms), a);
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot load acknowledgements"),
        }
        let api_rules = store.api_rules().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot load the rules saved through the API");
            Vec::new()
        });
        let rules = Arc::new(RwLock::new(with_api_rules(&cfg.rules, &api_rules)));
        let view: AlertsView = Arc::default();
        let (stop, stop_rx) = watch::channel(false);
        let wake = Arc::new(Wake::new());
        let mut tasks = Vec::new();
        let receivers = Arc::new(cfg.receivers.clone());
        let deliverer =
            delivery::Deliverer::new(store.clone(), receivers, cfg.max_age, wake.clone());
        tasks.push(tokio::spawn(deliverer.run(stop_rx.clone())));
        for (name, rx) in clusters {
            let task = ClusterAlerts {
                name,
                rx,
                cfg: cfg.clone(),
                store: store.clone(),
                view: view.clone(),
                wake: wake.clone(),
                controls: controls.clone(),
                rules: rules.clone(),
                engine: Engine::new(cfg.repeat_interval.as_millis() as i64),
                grouper: grouping::Grouper::default(),
                pushed: HashMap::new(),
                unsaved: Unsaved::default(),
            };
            tasks.push(tokio::spawn(task.run(stop_rx.clone())));
        }
        Alerting {
            view,
            config: cfg,
            controls,
            rules,
            stop,
            tasks,
            wake,
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

struct ClusterAlerts {
    name: String,
    rx: watch::Receiver<Arc<ClusterSnapshot>>,
    cfg: Arc<AlertsConfig>,
    store: Store,
    view: AlertsView,
    wake: Arc<Wake>,
    controls: Arc<Controls>,
    rules: Arc<RwLock<Vec<rules::Rule>>>,
    engine: Engine,
    /// Notifications grouped per receiver (see `grouping`).
    grouper: grouping::Grouper,
    /// Alertmanager API receivers: when each alert was last pushed, by (receiver, fingerprint).
    pushed: HashMap<(String, String), i64>,
    /// State changes and notifications the store could not take yet.
    unsaved: Unsaved,
}

/// Alert history rows and notifications waiting for the store, oldest first, bounded: past
/// the bound the oldest go (and say so), so a store that never comes back cannot exhaust
/// memory.
#[derive(Default)]
struct Unsaved {
    events: Vec<AlertEvent>,
    outbox: Vec<OutboxItem>,
}

/// At most this many of each wait in memory.
const UNSAVED_MAX: usize = 10_000;

impl Unsaved {
    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.outbox.is_empty()
    }

    fn add(&mut self, events: Vec<AlertEvent>, outbox: Vec<OutboxItem>) {
        self.events.extend(events);
        self.outbox.extend(outbox);
        keep_newest(&mut self.events, "alert history rows");
        keep_newest(&mut self.outbox, "notifications");
    }
}

/// Drop the oldest past [`UNSAVED_MAX`], saying so.
fn keep_newest<T>(waiting: &mut Vec<T>, what: &str) {
    let over = waiting.len().saturating_sub(UNSAVED_MAX);
    if over > 0 {
        tracing::error!(
            dropped = over,
            "the store has failed for too long: the oldest {what} waiting for it are dropped"
        );
        waiting.drain(..over);
    }
}

impl ClusterAlerts {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        match self.store.alert_state(&self.name).await {
            Ok(bodies) => {
                for a in bodies.iter().filter_map(|b| load(b)) {
                    self.engine.alerts.insert(a.fingerprint.clone(), a);
                }
            }
            Err(e) => tracing::warn!(cluster = %self.name, error = %e, "cannot load alert state"),
        }
        self.publish();
        loop {
            tokio::select! {
                changed = self.rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let snap = self.rx.borrow_and_update().clone();
                    if snap.polled {
                        self.evaluate(&snap, now_ms()).await;
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }

    async fn evaluate(&mut self, snap: &ClusterSnapshot, now: i64) {
        let before: BTreeMap<String, State> = self
            .engine
            .alerts
            .iter()
            .map(|(k, a)| (k.clone(), a.state))
            .collect();
        let in_force = self.rules.read().map(|r| r.clone()).unwrap_or_default();
        let cfg = self.cfg.clone();
        let observed = rules::observe(&in_force, snap, &|g| cfg.ignores(g));
        let mut notes = self.engine.step(observed, now);
        let mut held: Vec<(Alert, &'static str)> = Vec::new();
        notes.retain(|n| {
            let fp = &n.alert.fingerprint;
            let silenced = self.controls.silenced_by(&n.alert.labels, now).is_some();
            let keep = match n.kind {
                // Held back by a silence: sent when the silence ends, if still firing.
                "firing" if silenced => false,
                // An acknowledged alert is not repeated.
                "repeat" => !silenced && self.controls.ack_of(&n.alert).is_none(),
                // Nobody was told it fired: nobody is told it resolved.
                "resolved" => !n.alert.suppressed,
                _ => true,
            };
            if !keep && n.kind == "firing" {
                if let Some(a) = self.engine.alerts.get_mut(fp) {
                    a.suppressed = true;
                }
                held.push((n.alert.clone(), "silenced"));
            }
            keep
        });
        // Silences that ended over alerts still firing: their firing notification now.
        for a in self.engine.alerts.values_mut() {
            if a.state == State::Firing
                && a.suppressed
                && self.controls.silenced_by(&a.labels, now).is_none()
            {
                a.suppressed = false;
                a.last_notified_ms = Some(now);
                let episode = a.firing_since_ms.unwrap_or(a.active_since_ms);
                notes.push(engine::Notify {
                    alert: a.clone(),
                    kind: "firing",
                    idempotency_key: format!("{}@{episode}:firing-after-silence", a.fingerprint),
                });
            }
        }
        // Every state change, including pending ones and pending ones that cleared.
        let mut events = Vec::new();
        for (fp, a) in &self.engine.alerts {
            if before.get(fp) != Some(&a.state) {
                events.push((a.clone(), a.state.as_str()));
            }
        }
        let cleared: Vec<String> = before
            .keys()
            .filter(|k| !self.engine.alerts.contains_key(*k))
            .cloned()
            .collect();
        let mut outbox = Vec::new();
        let mut resolved_now: std::collections::HashSet<String> = Default::default();
        let mut fired_now: std::collections::HashSet<String> = Default::default();
        for n in &notes {
            for r in self
                .cfg
                .receivers
                .iter()
                .filter(|r| r.routes(&n.alert.labels, n.alert.severity))
            {
                if r.format != config::Format::AlertmanagerApi {
                    self.grouper.add(&r.name, n, &r.grouping, now);
                }
            }
            match n.kind {
                "repeat" => events.push((n.alert.clone(), "repeat")),
                "resolved" => {
                    resolved_now.insert(n.alert.fingerprint.clone());
                }
                _ => {
                    fired_now.insert(n.alert.fingerprint.clone());
                }
            }
        }
        // Group notifications that are due (a group's first after group_wait, changes and
        // repeats at most every group_interval, one resolved when the whole group is).
        let receivers = self.cfg.receivers.clone();
        let settings = |name: &str| {
            receivers
                .iter()
                .find(|r| r.name == name)
                .map(|r| r.grouping.clone())
                .unwrap_or_default()
        };
        for g in self.grouper.due(now, settings) {
            let Some(r) = receivers.iter().find(|r| r.name == g.receiver) else {
                continue;
            };
            let body =
                group_payload::render_group(&render_for(r, &self.cfg.external_url), &g, &self.name);
            outbox.push(OutboxItem {
                idempotency_key: g.idempotency_key.clone(),
                receiver: r.name.clone(),
                payload: body.to_string(),
            });
        }
        // Alertmanager's API: firing alerts pushed when they fire and again every
        // resend_interval (they end unless pushed again), resolved ones once.
        for r in receivers
            .iter()
            .filter(|r| r.format == config::Format::AlertmanagerApi)
        {
            let resend = r.resend_interval.as_millis() as i64;
            let due: Vec<&Alert> = self
                .engine
                .alerts
                .values()
                .filter(|a| r.routes(&a.labels, a.severity))
                .filter(|a| match a.state {
                    State::Firing => {
                        !a.suppressed
                            && (fired_now.contains(&a.fingerprint)
                                || self
                                    .pushed
                                    .get(&(r.name.clone(), a.fingerprint.clone()))
                                    .is_none_or(|t| now - t >= resend))
                    }
                    State::Resolved => resolved_now.contains(&a.fingerprint),
                    State::Pending => false,
                })
                .collect();
            if due.is_empty() {
                continue;
            }
            for a in &due {
                let k = (r.name.clone(), a.fingerprint.clone());
                if a.state == State::Resolved {
                    self.pushed.remove(&k);
                } else {
                    self.pushed.insert(k, now);
                }
            }
            let body =
                group_payload::alertmanager_api(&due, &self.cfg.external_url, 3 * resend, now);
            outbox.push(OutboxItem {
                idempotency_key: format!("am:{}:{}:{now}", r.name, self.name),
                receiver: r.name.clone(),
                payload: body.to_string(),
            });
        }
        self.pushed
            .retain(|(_, fp), _| self.engine.alerts.contains_key(fp));
        events.extend(held);
        if events.is_empty() && cleared.is_empty() && outbox.is_empty() && self.unsaved.is_empty() {
            self.publish();
            return;
        }
        let mut rows: Vec<AlertEvent> = events
            .iter()
            .map(|(a, state)| AlertEvent {
                fingerprint: a.fingerprint.clone(),
                cluster: self.name.clone(),
                rule: a.rule.clone(),
                state: state.to_string(),
                severity: a.severity.as_str().to_string(),
                summary: a.summary.clone(),
                labels: serde_json::to_string(&a.labels).unwrap_or_default(),
                at_ms: now,
            })
            .collect();
        for fp in &cleared {
            rows.push(AlertEvent {
                fingerprint: fp.clone(),
                cluster: self.name.clone(),
                rule: fp.split('/').nth(1).unwrap_or("").to_string(),
                state: "cleared".into(),
                severity: "info".into(),
                summary: "the condition cleared before the alert fired".into(),
                labels: "{}".into(),
                at_ms: now,
            });
        }
        let state: Vec<(String, String)> = self
            .engine
            .alerts
            .values()
            .map(|a| (a.fingerprint.clone(), save(a)))
            .collect();
        // What an earlier evaluation could not write goes first, in order.
        self.unsaved.add(rows, outbox);
        let (rows, outbox) = (&self.unsaved.events, &self.unsaved.outbox);
        match self
            .store
            .record_alerts(&self.name, rows, &state, outbox, now)
            .await
        {
            Ok(()) => {
                let queued = !outbox.is_empty();
                self.unsaved = Unsaved::default();
                if queued {
                    self.wake.notify_one();
                }
            }
            // Kept in memory (bounded) and written with the next evaluation: a full disk
            // delays notifications, it does not lose them.
            Err(e) => tracing::error!(
                cluster = %self.name,
                error = %e,
                waiting_events = self.unsaved.events.len(),
                waiting_notifications = self.unsaved.outbox.len(),
                "cannot record alerts; they wait in memory for the store"
            ),
        }
        self.publish();
    }

    fn publish(&self) {
        let mut list: Vec<Alert> = self.engine.alerts.values().cloned().collect();
        list.sort_by(|a, b| {
            order(a.state)
                .cmp(&order(b.state))
                .then(b.severity.cmp(&a.severity))
                .then(a.fingerprint.cmp(&b.fingerprint))
        });
        if let Ok(mut v) = self.view.write() {
            v.insert(self.name.clone(), list);
        }
    }
}

/// The configuration's rules with the API's rules applied in order; one that no longer
/// applies (e.g. a built-in renamed) is skipped with a warning.
pub fn with_api_rules(base: &[rules::Rule], api: &[(String, String)]) -> Vec<rules::Rule> {
    let mut out = base.to_vec();
    for (id, body) in api {
        let parsed: Result<config::FileRule, _> = serde_json::from_str(body);
        let applied = parsed.map_err(|e| e.to_string()).and_then(|r| {
            config::apply_rule(&mut out, r, "api", &format!("rule {id}"), "api")
                .map_err(|e| e.to_string())
        });
        if let Err(e) = applied {
            tracing::warn!(rule = %id, error = %e, "a rule saved through the API no longer applies");
        }
    }
    out
}

/// The UI page of what an alert concerns (group, broker, topic, else the cluster's health),
/// relative to the console's base path.
pub fn link_path(labels: &BTreeMap<String, String>) -> String {
    let cluster = labels.get("cluster").map(String::as_str).unwrap_or("");
    if let Some(g) = labels.get("group") {
        format!("/clusters/{cluster}/consumer-groups/{g}")
    } else if let Some(b) = labels.get("broker") {
        format!("/clusters/{cluster}/brokers/{b}")
    } else if let Some(t) = labels.get("topic") {
        format!("/clusters/{cluster}/topics/{t}")
    } else {
        format!("/clusters/{cluster}/health")
    }
}

/// How a receiver renders its notifications.
pub fn render_for<'a>(r: &'a config::Receiver, external_url: &'a str) -> payload::Render<'a> {
    payload::Render {
        format: r.format,
        receiver: &r.name,
        external_url,
        title: &r.title,
        text: &r.text,
        routing_key: r.routing_key.as_deref(),
    }
}

fn order(s: State) -> u8 {
    match s {
        State::Firing => 0,
        State::Pending => 1,
        State::Resolved => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_waits_for_the_store_is_bounded_by_dropping_the_oldest() {
        let item = |i: usize| OutboxItem {
            idempotency_key: i.to_string(),
            receiver: "r".into(),
            payload: "{}".into(),
        };
        let mut u = Unsaved::default();
        u.add(Vec::new(), (0..UNSAVED_MAX - 1).map(item).collect());
        assert_eq!(u.outbox.len(), UNSAVED_MAX - 1);
        u.add(
            Vec::new(),
            (UNSAVED_MAX - 1..UNSAVED_MAX + 2).map(item).collect(),
        );
        assert_eq!(u.outbox.len(), UNSAVED_MAX);
        assert_eq!(u.outbox[0].idempotency_key, "2");
        assert_eq!(
            u.outbox.last().unwrap().idempotency_key,
            (UNSAVED_MAX + 1).to_string()
        );
    }
}
