//! The alert state machine: pending → firing → resolved, deduplicated by fingerprint,
//! re-notified on a repeat interval. Pure: the clock is an argument, so tests never sleep.

use std::collections::BTreeMap;

use kafscope_api::Severity;

use super::rules::Observation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Pending,
    Firing,
    Resolved,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Firing => "firing",
            State::Resolved => "resolved",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub fingerprint: String,
    pub rule: String,
    pub severity: Severity,
    pub labels: BTreeMap<String, String>,
    pub summary: String,
    pub value: Option<f64>,
    pub state: State,
    /// When the condition started to hold (pending since).
    pub active_since_ms: i64,
    pub firing_since_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    pub last_notified_ms: Option<i64>,
    /// Firing notifications sent for this episode (1 + repeats).
    pub notifications: u32,
    /// Its firing notification was held back by a silence (sent when the silence ends).
    pub suppressed: bool,
}

/// A notification to send, and the state change behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Notify {
    pub alert: Alert,
    /// `firing`, `repeat` or `resolved`.
    pub kind: &'static str,
    /// Same key for the same notification, whoever sends it and however often.
    pub idempotency_key: String,
}

/// Alerts of one cluster.
#[derive(Debug, Default)]
pub struct Engine {
    pub alerts: BTreeMap<String, Alert>,
    pub repeat_ms: i64,
    /// Resolved alerts are kept this long for the UI (their history is in the store).
    pub keep_resolved_ms: i64,
}

impl Engine {
    pub fn new(repeat_ms: i64) -> Engine {
        Engine {
            alerts: BTreeMap::new(),
            repeat_ms,
            keep_resolved_ms: 3_600_000,
        }
    }

    /// Advance to `now` with the instances that hold now; returns what to notify.
    pub fn step(&mut self, observed: Vec<Observation>, now: i64) -> Vec<Notify> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for o in observed {
            seen.insert(o.fingerprint.clone());
            let alert = self
                .alerts
                .entry(o.fingerprint.clone())
                .or_insert_with(|| Alert {
                    fingerprint: o.fingerprint.clone(),
                    rule: o.rule.clone(),
                    severity: o.severity,
                    labels: o.labels.clone(),
                    summary: o.summary.clone(),
                    value: o.value,
                    state: State::Pending,
                    active_since_ms: now,
                    firing_since_ms: None,
                    resolved_at_ms: None,
                    last_notified_ms: None,
                    notifications: 0,
                    suppressed: false,
                });
            if alert.state == State::Resolved {
                // A new episode of the same alert.
                alert.state = State::Pending;
                alert.active_since_ms = now;
                alert.firing_since_ms = None;
                alert.resolved_at_ms = None;
                alert.last_notified_ms = None;
                alert.notifications = 0;
                alert.suppressed = false;
            }
            alert.severity = o.severity;
            alert.labels = o.labels;
            alert.summary = o.summary;
            alert.value = o.value;
            match alert.state {
                State::Pending if now - alert.active_since_ms >= o.for_ms => {
                    alert.state = State::Firing;
                    alert.firing_since_ms = Some(now);
                    alert.last_notified_ms = Some(now);
                    alert.notifications = 1;
                    out.push(notify(alert, "firing"));
                }
                State::Firing
                    if self.repeat_ms > 0
                        && alert
                            .last_notified_ms
                            .is_some_and(|t| now - t >= self.repeat_ms) =>
                {
                    alert.last_notified_ms = Some(now);
                    alert.notifications += 1;
                    out.push(notify(alert, "repeat"));
                }
                _ => {}
            }
        }
        let mut gone = Vec::new();
        for (fp, alert) in self.alerts.iter_mut() {
            if seen.contains(fp) {
                continue;
            }
            match alert.state {
                // Never fired: forget it quietly.
                State::Pending => gone.push(fp.clone()),
                State::Firing => {
                    alert.state = State::Resolved;
                    alert.resolved_at_ms = Some(now);
                    out.push(notify(alert, "resolved"));
                }
                State::Resolved => {
                    if alert
                        .resolved_at_ms
                        .is_some_and(|t| now - t > self.keep_resolved_ms)
                    {
                        gone.push(fp.clone());
                    }
                }
            }
        }
        for fp in gone {
            self.alerts.remove(&fp);
        }
        out
    }
}

fn notify(alert: &Alert, kind: &'static str) -> Notify {
    let episode = alert.firing_since_ms.unwrap_or(alert.active_since_ms);
    let key = match kind {
        "repeat" => format!(
            "{}@{episode}:repeat{}",
            alert.fingerprint, alert.notifications
        ),
        k => format!("{}@{episode}:{k}", alert.fingerprint),
    };
    Notify {
        alert: alert.clone(),
        kind,
        idempotency_key: key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(fp: &str, for_ms: i64) -> Observation {
        Observation {
            fingerprint: fp.into(),
            rule: "consumer_stalled".into(),
            severity: Severity::Critical,
            for_ms,
            labels: BTreeMap::from([("group".to_string(), fp.to_string())]),
            summary: format!("{fp} is stopped"),
            value: None,
        }
    }

    fn kinds(n: &[Notify]) -> Vec<(&str, &str)> {
        n.iter()
            .map(|n| (n.alert.fingerprint.as_str(), n.kind))
            .collect()
    }

    #[test]
    fn pending_then_firing_after_for_then_resolved() {
        let mut e = Engine::new(0);
        assert!(e.step(vec![obs("g", 60_000)], 0).is_empty());
        assert_eq!(e.alerts["g"].state, State::Pending);
        assert!(e.step(vec![obs("g", 60_000)], 59_999).is_empty());
        let n = e.step(vec![obs("g", 60_000)], 60_000);
        assert_eq!(kinds(&n), vec![("g", "firing")]);
        assert_eq!(n[0].idempotency_key, "g@60000:firing");
        // Still holding: no duplicate.
        assert!(e.step(vec![obs("g", 60_000)], 120_000).is_empty());
        let n = e.step(vec![], 130_000);
        assert_eq!(kinds(&n), vec![("g", "resolved")]);
        assert_eq!(n[0].idempotency_key, "g@60000:resolved");
        assert_eq!(e.alerts["g"].state, State::Resolved);
        assert_eq!(e.alerts["g"].resolved_at_ms, Some(130_000));
    }

    #[test]
    fn a_condition_that_clears_before_for_never_notifies() {
        let mut e = Engine::new(0);
        assert!(e.step(vec![obs("g", 60_000)], 0).is_empty());
        assert!(e.step(vec![], 30_000).is_empty());
        assert!(!e.alerts.contains_key("g"));
        // It starts over: pending again from 40 s.
        assert!(e.step(vec![obs("g", 60_000)], 40_000).is_empty());
        assert!(e.step(vec![obs("g", 60_000)], 90_000).is_empty());
        assert_eq!(
            kinds(&e.step(vec![obs("g", 60_000)], 100_000)),
            vec![("g", "firing")]
        );
    }

    #[test]
    fn repeats_on_the_interval_with_distinct_keys() {
        let mut e = Engine::new(3_600_000);
        assert_eq!(kinds(&e.step(vec![obs("g", 0)], 0)), vec![("g", "firing")]);
        assert!(e.step(vec![obs("g", 0)], 3_599_999).is_empty());
        let n = e.step(vec![obs("g", 0)], 3_600_000);
        assert_eq!(kinds(&n), vec![("g", "repeat")]);
        assert_eq!(n[0].idempotency_key, "g@0:repeat2");
        let n = e.step(vec![obs("g", 0)], 7_200_000);
        assert_eq!(n[0].idempotency_key, "g@0:repeat3");
    }

    #[test]
    fn a_new_episode_after_resolution_has_new_keys() {
        let mut e = Engine::new(0);
        e.step(vec![obs("g", 0)], 0);
        e.step(vec![], 10);
        let n = e.step(vec![obs("g", 0)], 20);
        assert_eq!(kinds(&n), vec![("g", "firing")]);
        assert_eq!(n[0].idempotency_key, "g@20:firing");
        assert_eq!(e.alerts["g"].notifications, 1);
    }

    #[test]
    fn resolved_alerts_are_forgotten_after_an_hour() {
        let mut e = Engine::new(0);
        e.step(vec![obs("g", 0)], 0);
        e.step(vec![], 1_000);
        e.step(vec![], 3_601_000);
        assert!(e.alerts.contains_key("g"));
        e.step(vec![], 3_601_001);
        assert!(!e.alerts.contains_key("g"));
    }

    #[test]
    fn several_alerts_are_independent() {
        let mut e = Engine::new(0);
        let n = e.step(vec![obs("a", 0), obs("b", 10)], 0);
        assert_eq!(kinds(&n), vec![("a", "firing")]);
        let n = e.step(vec![obs("b", 10)], 10);
        assert_eq!(kinds(&n), vec![("b", "firing"), ("a", "resolved")]);
    }
}
