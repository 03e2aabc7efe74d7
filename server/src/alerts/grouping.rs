//! Grouped notifications, as Alertmanager groups them: per receiver, alerts that share the
//! values of the receiver's `group_by` labels (by default the rule and the cluster) make one
//! notification that lists them all. A new group waits `group_wait` so alerts that fire
//! together arrive together; later changes (an alert joins, one resolves) and repeats go out
//! at most every `group_interval`; when every alert of a group has resolved, one resolved
//! notification ends it. Pure: per-alert notifications and the clock in, group
//! notifications out.

use std::collections::BTreeMap;

use super::engine::{Alert, Notify, State};

/// How a receiver groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSettings {
    /// Labels whose values name a group; `["..."]`: every alert alone.
    pub group_by: Vec<String>,
    pub group_wait_ms: i64,
    pub group_interval_ms: i64,
}

impl Default for GroupSettings {
    fn default() -> Self {
        GroupSettings {
            group_by: vec!["alertname".into(), "cluster".into()],
            group_wait_ms: 30_000,
            group_interval_ms: 300_000,
        }
    }
}

/// One notification for a group of alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupNotify {
    pub receiver: String,
    /// Stable identity of the group (its labels), e.g. `{alertname="consumer_stalled",cluster="prod"}`.
    pub key: String,
    pub labels: BTreeMap<String, String>,
    /// `firing` (the group's first), `update` (an alert joined or resolved), `repeat`, or
    /// `resolved` (every alert of the group resolved).
    pub kind: &'static str,
    /// Its alerts: those firing, and those resolved since the group's last notification.
    pub alerts: Vec<Alert>,
    pub idempotency_key: String,
}

impl GroupNotify {
    pub fn firing(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.state != State::Resolved)
            .count()
    }
}

#[derive(Debug, Clone)]
struct Group {
    labels: BTreeMap<String, String>,
    members: BTreeMap<String, Alert>,
    created_ms: i64,
    last_sent_ms: Option<i64>,
    /// Something changed since the last notification (or it was never sent).
    changed: bool,
    /// A member's repeat came due (the engine decides repeats; acknowledged alerts have none).
    repeat: bool,
    sent: u32,
}

/// The groups of one cluster's alerts, per receiver.
#[derive(Debug, Default)]
pub struct Grouper {
    groups: BTreeMap<(String, String), Group>,
}

/// The group of an alert for these settings: its key and labels.
pub fn group_of(alert: &Alert, s: &GroupSettings) -> (String, BTreeMap<String, String>) {
    if s.group_by.iter().any(|l| l == "...") {
        let labels = alert.labels.clone();
        return (format!("{{fingerprint=\"{}\"}}", alert.fingerprint), labels);
    }
    let labels: BTreeMap<String, String> = s
        .group_by
        .iter()
        .filter_map(|l| Some((l.clone(), alert.labels.get(l)?.clone())))
        .collect();
    let key = format!(
        "{{{}}}",
        labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect::<Vec<_>>()
            .join(",")
    );
    (key, labels)
}

impl Grouper {
    /// Take one per-alert notification for a receiver.
    pub fn add(&mut self, receiver: &str, n: &Notify, s: &GroupSettings, now: i64) {
        let (key, labels) = group_of(&n.alert, s);
        let id = (receiver.to_string(), key);
        match n.kind {
            "firing" => {
                let g = self.groups.entry(id).or_insert_with(|| Group {
                    labels,
                    members: BTreeMap::new(),
                    created_ms: now,
                    last_sent_ms: None,
                    changed: true,
                    repeat: false,
                    sent: 0,
                });
                g.members
                    .insert(n.alert.fingerprint.clone(), n.alert.clone());
                g.changed = true;
            }
            "repeat" => {
                if let Some(g) = self.groups.get_mut(&id) {
                    g.members
                        .insert(n.alert.fingerprint.clone(), n.alert.clone());
                    g.repeat = true;
                } else {
                    // A group forgotten (a restart) with an alert still firing: it comes
                    // back as a group.
                    let mut fresh = n.clone();
                    fresh.kind = "firing";
                    self.add(receiver, &fresh, s, now);
                }
            }
            "resolved" => {
                let g = self.groups.entry(id).or_insert_with(|| Group {
                    labels,
                    members: BTreeMap::new(),
                    created_ms: now,
                    last_sent_ms: Some(now - s.group_interval_ms),
                    changed: true,
                    repeat: false,
                    sent: 0,
                });
                g.members
                    .insert(n.alert.fingerprint.clone(), n.alert.clone());
                g.changed = true;
            }
            _ => {}
        }
    }

    /// The notifications due now; sent groups forget their resolved alerts, and a group
    /// whose alerts have all resolved is gone after its resolved notification.
    pub fn due(&mut self, now: i64, settings: impl Fn(&str) -> GroupSettings) -> Vec<GroupNotify> {
        let mut out = Vec::new();
        let mut finished = Vec::new();
        for ((receiver, key), g) in self.groups.iter_mut() {
            let s = settings(receiver);
            let ready = match g.last_sent_ms {
                None => now - g.created_ms >= s.group_wait_ms,
                Some(t) => (g.changed || g.repeat) && now - t >= s.group_interval_ms,
            };
            if !ready {
                continue;
            }
            let firing = g
                .members
                .values()
                .filter(|a| a.state != State::Resolved)
                .count();
            let kind = if firing == 0 {
                "resolved"
            } else if g.last_sent_ms.is_none() {
                "firing"
            } else if g.changed {
                "update"
            } else {
                "repeat"
            };
            if firing == 0 && g.sent == 0 && g.last_sent_ms.is_none() {
                // Fired and resolved within the wait: nobody was told, nobody is told.
                finished.push((receiver.clone(), key.clone()));
                continue;
            }
            g.sent += 1;
            out.push(GroupNotify {
                receiver: receiver.clone(),
                key: key.clone(),
                labels: g.labels.clone(),
                kind,
                alerts: g.members.values().cloned().collect(),
                idempotency_key: format!("group:{receiver}:{key}@{}#{}", g.created_ms, g.sent),
            });
            g.last_sent_ms = Some(now);
            g.changed = false;
            g.repeat = false;
            g.members.retain(|_, a| a.state != State::Resolved);
            if firing == 0 {
                finished.push((receiver.clone(), key.clone()));
            }
        }
        for k in finished {
            self.groups.remove(&k);
        }
        out
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafscope_api::Severity;

    fn alert(group: &str, state: State) -> Alert {
        Alert {
            fingerprint: format!("prod/consumer_stalled/group={group}"),
            rule: "consumer_stalled".into(),
            severity: Severity::Critical,
            labels: BTreeMap::from([
                ("alertname".to_string(), "consumer_stalled".to_string()),
                ("cluster".to_string(), "prod".to_string()),
                ("group".to_string(), group.to_string()),
            ]),
            summary: format!("{group} is stopped"),
            value: None,
            state,
            active_since_ms: 0,
            firing_since_ms: Some(0),
            resolved_at_ms: (state == State::Resolved).then_some(1),
            last_notified_ms: None,
            notifications: 1,
            suppressed: false,
        }
    }

    fn note(group: &str, kind: &'static str) -> Notify {
        let state = if kind == "resolved" {
            State::Resolved
        } else {
            State::Firing
        };
        Notify {
            alert: alert(group, state),
            kind,
            idempotency_key: String::new(),
        }
    }

    fn s() -> GroupSettings {
        GroupSettings {
            group_wait_ms: 30_000,
            group_interval_ms: 300_000,
            ..Default::default()
        }
    }

    #[test]
    fn alerts_that_fire_together_arrive_as_one_notification() {
        let mut g = Grouper::default();
        for name in ["a", "b", "c"] {
            g.add("ops", &note(name, "firing"), &s(), 0);
        }
        assert!(g.due(29_999, |_| s()).is_empty(), "waits group_wait");
        let sent = g.due(30_000, |_| s());
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].kind, "firing");
        assert_eq!(sent[0].alerts.len(), 3);
        assert_eq!(
            sent[0].key,
            r#"{alertname="consumer_stalled",cluster="prod"}"#
        );
        // A fourth joins: told at the next group_interval, with all four.
        g.add("ops", &note("d", "firing"), &s(), 40_000);
        assert!(g.due(100_000, |_| s()).is_empty());
        let upd = g.due(330_000, |_| s());
        assert_eq!((upd[0].kind, upd[0].alerts.len()), ("update", 4));
        assert_ne!(upd[0].idempotency_key, sent[0].idempotency_key);
        // Nothing changed: nothing sent, until a repeat comes due.
        assert!(g.due(700_000, |_| s()).is_empty());
        g.add("ops", &note("a", "repeat"), &s(), 700_000);
        assert_eq!(g.due(700_000, |_| s())[0].kind, "repeat");
        // All resolve: one resolved notification, listing them, then the group is gone.
        for name in ["a", "b", "c", "d"] {
            g.add("ops", &note(name, "resolved"), &s(), 800_000);
        }
        let done = g.due(1_000_000, |_| s());
        assert_eq!(
            (done[0].kind, done[0].firing(), done[0].alerts.len()),
            ("resolved", 0, 4)
        );
        assert!(g.is_empty());
    }

    #[test]
    fn partial_resolution_is_an_update_and_resolved_members_are_listed_once() {
        let mut g = Grouper::default();
        g.add("ops", &note("a", "firing"), &s(), 0);
        g.add("ops", &note("b", "firing"), &s(), 0);
        g.due(30_000, |_| s());
        g.add("ops", &note("a", "resolved"), &s(), 60_000);
        let upd = g.due(330_000, |_| s());
        assert_eq!(
            (upd[0].kind, upd[0].firing(), upd[0].alerts.len()),
            ("update", 1, 2)
        );
        g.add("ops", &note("b", "repeat"), &s(), 700_000);
        let rep = g.due(700_000, |_| s());
        assert_eq!(rep[0].alerts.len(), 1, "a was reported resolved already");
    }

    #[test]
    fn receivers_rules_and_flapping() {
        let mut g = Grouper::default();
        g.add("ops", &note("a", "firing"), &s(), 0);
        g.add("pager", &note("a", "firing"), &s(), 0);
        let mut other = note("x", "firing");
        other
            .alert
            .labels
            .insert("alertname".into(), "consumer_slow".into());
        g.add("ops", &other, &s(), 0);
        assert_eq!(g.due(30_000, |_| s()).len(), 3);
        // Fired and resolved within the wait: no notification at all.
        let mut h = Grouper::default();
        h.add("ops", &note("a", "firing"), &s(), 0);
        h.add("ops", &note("a", "resolved"), &s(), 10_000);
        assert!(h.due(30_000, |_| s()).is_empty());
        assert!(h.is_empty());
        // `...`: every alert alone.
        let each = GroupSettings {
            group_by: vec!["...".into()],
            ..s()
        };
        let mut e = Grouper::default();
        e.add("ops", &note("a", "firing"), &each, 0);
        e.add("ops", &note("b", "firing"), &each, 0);
        assert_eq!(e.due(30_000, |_| each.clone()).len(), 2);
    }

    #[test]
    fn a_group_forgotten_by_a_restart_still_sends_its_resolution() {
        let mut g = Grouper::default();
        g.add("ops", &note("a", "resolved"), &s(), 1_000);
        let done = g.due(1_000, |_| s());
        assert_eq!((done[0].kind, done[0].alerts.len()), ("resolved", 1));
        let mut g = Grouper::default();
        g.add("ops", &note("a", "repeat"), &s(), 0);
        assert_eq!(g.due(30_000, |_| s())[0].kind, "firing");
    }
}
