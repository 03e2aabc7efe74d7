//! Consumer status of one group-partition over a time window (DESIGN.md §2), with a
//! one-line explanation a person can act on. Pure: samples in, verdict out.

use super::trail::anchored;
use kafscope_api::fmt::{num as n, span_ms as span};
use kafscope_api::LagStatus;

/// Who owns the partition in the group right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Member(String),
    /// The group was described and no live member has the partition.
    Nobody,
    /// The broker did not describe the group.
    Unknown,
}

/// When a lag matters: a consumer is called `slow` only when it is this far behind (the
/// operational rule of thumb: 1 000 messages or a minute). A time lag, where known, decides
/// (a consumer of a busy topic can owe thousands of messages and be a second behind);
/// without one, the message count does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Significance {
    pub messages: i64,
    pub seconds: f64,
}

impl Default for Significance {
    fn default() -> Self {
        Significance {
            messages: 1_000,
            seconds: 60.0,
        }
    }
}

/// A partition's time lag and whether it is only a lower bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeLag {
    pub seconds: f64,
    pub lower_bound: bool,
}

impl Significance {
    pub fn holds(&self, lag: i64, time_lag: Option<TimeLag>) -> bool {
        match time_lag {
            Some(t) if !t.lower_bound => t.seconds >= self.seconds,
            Some(t) => t.seconds >= self.seconds || lag >= self.messages,
            None => lag >= self.messages,
        }
    }

    fn text(&self) -> String {
        format!(
            "{} messages or {}",
            n(self.messages),
            span((self.seconds * 1000.0) as i64)
        )
    }
}

/// Everything the rules look at for one group-partition.
#[derive(Debug, Clone)]
pub struct StatusInput<'a> {
    pub now_ms: i64,
    pub window_ms: i64,
    pub committed: Option<i64>,
    pub log_start: Option<i64>,
    pub end: Option<i64>,
    /// Committed offsets seen in the window, oldest first (including the current one).
    pub committed_trail: &'a [(i64, i64)],
    /// End offsets seen in the window, oldest first (including the current one).
    pub end_trail: &'a [(i64, i64)],
    pub owner: &'a Owner,
    /// The partition's time lag, when known.
    pub time_lag: Option<TimeLag>,
    pub significance: Significance,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: LagStatus,
    pub reason: String,
}

fn owner_text(owner: &Owner) -> String {
    match owner {
        Owner::Member(m) => format!("while the partition is owned by {m}"),
        Owner::Nobody => "and no member of the group owns the partition".to_string(),
        Owner::Unknown => "and the broker does not say whether any member owns it".to_string(),
    }
}

/// Judge one group-partition.
pub fn judge(i: &StatusInput<'_>) -> Verdict {
    let v = |status, reason: String| Verdict { status, reason };
    let Some(c) = i.committed else {
        let waiting = match (i.end, i.log_start) {
            (Some(h), Some(l)) => format!("; {} messages wait in the partition", n((h - l).max(0))),
            _ => String::new(),
        };
        return v(
            LagStatus::NoCommit,
            format!("the group has never committed an offset here, so its lag is unknown{waiting}"),
        );
    };
    if let Some(l) = i.log_start {
        if c < l {
            return v(
                LagStatus::DataLoss,
                format!(
                    "committed offset {} is below the log start {}: {} messages were deleted before the group read them",
                    n(c),
                    n(l),
                    n(l - c)
                ),
            );
        }
    }
    let since = i.now_ms - i.window_ms;
    let in_window = anchored(i.committed_trail, since);
    if let Some(w) = in_window.windows(2).rev().find(|w| w[1].1 < w[0].1) {
        return v(
            LagStatus::Rewind,
            format!(
                "committed offset went back from {} to {} {} ago (offsets reset or replay)",
                n(w[0].1),
                n(w[1].1),
                span(i.now_ms - w[1].0)
            ),
        );
    }
    let Some(h) = i.end else {
        return v(LagStatus::Ok, "end offset unknown this cycle".to_string());
    };
    let lag = (h - c).max(0);
    // The window is judged only once the history reaches back to its start.
    let first = in_window.first().copied();
    let covered_ms = first.map(|(t, _)| i.now_ms - t).unwrap_or(0);
    let covered = first.is_some_and(|(t, _)| t <= since);
    let ends_in_window = anchored(i.end_trail, since);
    let produced = match (ends_in_window.first(), ends_in_window.last()) {
        (Some(a), Some(b)) => b.1 - a.1,
        _ => 0,
    };
    if lag == 0 {
        if covered && produced == 0 {
            return v(
                LagStatus::Idle,
                format!("nothing produced for {} and nothing owed", span(covered_ms)),
            );
        }
        return v(LagStatus::Ok, "caught up".to_string());
    }
    if !covered {
        return v(
            LagStatus::Ok,
            format!(
                "{} messages behind; watching ({} of the {} window seen so far)",
                n(lag),
                span(covered_ms),
                span(i.window_ms)
            ),
        );
    }
    let (t0, c0) = first.unwrap_or((i.now_ms, c));
    if c0 == c && lag <= 2 && produced == 0 {
        // Transactional topics end in commit/abort markers a consumer never "reads": a steady
        // lag of 1–2 with nothing produced is those markers, not waiting messages.
        return v(
            LagStatus::Idle,
            format!(
                "nothing produced for {}; the lag of {lag} is most likely transaction markers at the end of the partition",
                span(covered_ms)
            ),
        );
    }
    if c0 == c {
        let status = if matches!(i.owner, Owner::Member(_)) {
            LagStatus::Stalled
        } else {
            LagStatus::Stopped
        };
        return v(
            status,
            format!(
                "committed offset has not moved for {} {} and {} messages wait",
                span(i.now_ms - t0),
                owner_text(i.owner),
                n(lag)
            ),
        );
    }
    // Committing: slow when lag grew over the window, mostly step by step.
    let lag_at = |t: i64, committed: i64| -> Option<i64> {
        // End offset at or just before t.
        let k = ends_in_window.partition_point(|(et, _)| *et <= t);
        (k > 0).then(|| (ends_in_window[k - 1].1 - committed).max(0))
    };
    let lags: Vec<i64> = in_window
        .iter()
        .filter_map(|(t, cc)| lag_at(*t, *cc))
        .collect();
    let lag_start = lags.first().copied().unwrap_or(lag);
    let rising_steps = lags.windows(2).filter(|w| w[1] > w[0]).count();
    let steps = lags.len().saturating_sub(1).max(1);
    if lag > lag_start && rising_steps * 2 >= steps {
        // Rates from the window's start: an anchor older than it is a run that began earlier.
        let secs = (i.now_ms - t0.max(since)) as f64 / 1000.0;
        let consumed = (c - c0) as f64 / secs.max(1.0);
        let arrived = produced as f64 / secs.max(1.0);
        if !i.significance.holds(lag, i.time_lag) {
            let behind = match i.time_lag {
                Some(t) => format!("{} messages ({}) behind", n(lag), seconds_text(t.seconds)),
                None => format!("{} messages behind", n(lag)),
            };
            return v(
                LagStatus::Ok,
                format!(
                    "consuming; {behind} — lag grew from {} to {} in {}, below what counts as slow ({})",
                    n(lag_start),
                    n(lag),
                    span(i.now_ms - t0),
                    i.significance.text()
                ),
            );
        }
        return v(
            LagStatus::Slow,
            format!(
                "consuming {consumed:.1} msg/s while {arrived:.1} msg/s arrive: lag grew from {} to {} in {}",
                n(lag_start),
                n(lag),
                span(i.now_ms - t0)
            ),
        );
    }
    v(
        LagStatus::Ok,
        format!("consuming; {} messages behind", n(lag)),
    )
}

/// "≈1 s", "≈2 min" for a time lag.
fn seconds_text(s: f64) -> String {
    if s < 1.0 {
        "under 1 s".to_string()
    } else {
        format!("≈{}", span((s * 1000.0) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const WINDOW: i64 = 10 * MIN;

    /// Samples every minute over `minutes`, from `f(minute) -> (committed, end)`.
    type Points = Vec<(i64, i64)>;

    fn trails(minutes: i64, f: impl Fn(i64) -> (i64, i64)) -> (Points, Points) {
        let mut c = Vec::new();
        let mut e = Vec::new();
        for m in 0..=minutes {
            let (cc, ee) = f(m);
            c.push((m * MIN, cc));
            e.push((m * MIN, ee));
        }
        (c, e)
    }

    fn judge_at(minutes: i64, owner: Owner, f: impl Fn(i64) -> (i64, i64)) -> Verdict {
        judge_full(minutes, owner, None, f)
    }

    fn judge_with_time_lag(minutes: i64, seconds: f64, f: impl Fn(i64) -> (i64, i64)) -> Verdict {
        let lag = TimeLag {
            seconds,
            lower_bound: false,
        };
        judge_full(minutes, Owner::Member("m".into()), Some(lag), f)
    }

    fn judge_full(
        minutes: i64,
        owner: Owner,
        time_lag: Option<TimeLag>,
        f: impl Fn(i64) -> (i64, i64),
    ) -> Verdict {
        let (c, e) = trails(minutes, &f);
        let (cn, en) = f(minutes);
        judge(&StatusInput {
            now_ms: minutes * MIN,
            window_ms: WINDOW,
            committed: Some(cn),
            log_start: Some(0),
            end: Some(en),
            committed_trail: &c,
            end_trail: &e,
            owner: &owner,
            time_lag,
            significance: Significance::default(),
        })
    }

    #[test]
    fn nothing_produced_nothing_owed_is_idle_not_an_alarm() {
        let v = judge_at(15, Owner::Nobody, |_| (500, 500));
        assert_eq!(v.status, LagStatus::Idle, "{}", v.reason);
        assert!(v.reason.contains("nothing produced"));
    }

    #[test]
    fn flat_commit_with_lag_and_an_owner_is_stalled() {
        let v = judge_at(15, Owner::Member("consumer-3".into()), |m| {
            (1_000, 1_000 + 300 * m)
        });
        assert_eq!(v.status, LagStatus::Stalled, "{}", v.reason);
        assert!(v.reason.contains("consumer-3"), "{}", v.reason);
        assert!(v.reason.contains("4,500 messages wait"), "{}", v.reason);
        assert!(
            v.reason.contains("has not moved for 10 min"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn flat_commit_with_lag_and_no_owner_is_stopped() {
        let v = judge_at(15, Owner::Nobody, |_| (1_000, 1_200));
        assert_eq!(v.status, LagStatus::Stopped, "{}", v.reason);
        let v = judge_at(15, Owner::Unknown, |_| (1_000, 1_200));
        assert_eq!(v.status, LagStatus::Stopped);
        assert!(v.reason.contains("does not say"), "{}", v.reason);
    }

    #[test]
    fn committing_but_falling_further_behind_is_slow() {
        // 1 000 msg/min produced, 600 msg/min consumed: 6 010 behind after 15 min.
        let v = judge_at(15, Owner::Unknown, |m| (600 * m, 1_000 * m + 10));
        assert_eq!(v.status, LagStatus::Slow, "{}", v.reason);
        assert!(v.reason.contains("lag grew"), "{}", v.reason);
        assert!(v.reason.contains("16.7 msg/s arrive"), "{}", v.reason);
    }

    #[test]
    fn a_growing_lag_that_does_not_matter_is_ok_with_its_trend() {
        // The case from a real cluster: a 10 msg/s topic, the consumer about a second behind,
        // its lag drifting from 2 to 7 messages. Not slow, and nothing may fire.
        let v = judge_with_time_lag(15, 0.7, |m| (600 * m - m / 2, 600 * m + 2));
        assert_eq!(v.status, LagStatus::Ok, "{}", v.reason);
        assert!(v.reason.contains("lag grew from 4 to 9 in"), "{}", v.reason);
        assert!(
            v.reason.contains("9 messages (under 1 s) behind"),
            "{}",
            v.reason
        );
        assert!(
            v.reason
                .contains("below what counts as slow (1,000 messages or 60 s)"),
            "{}",
            v.reason
        );
        // Without a time lag, a few hundred messages behind is not slow either.
        let v = judge_at(15, Owner::Unknown, |m| (60 * m, 100 * m + 10));
        assert_eq!(v.status, LagStatus::Ok, "{}", v.reason);
        // A busy topic: 12 000 messages behind but half a second: the time lag decides.
        let v = judge_with_time_lag(15, 0.5, |m| (60_000 * m - 800 * m, 60_000 * m));
        assert_eq!(v.status, LagStatus::Ok, "{}", v.reason);
        // A quiet topic: 500 messages but two minutes behind is slow.
        let v = judge_with_time_lag(15, 120.0, |m| (60 * m - 30 * m, 60 * m + 50));
        assert_eq!(v.status, LagStatus::Slow, "{}", v.reason);
    }

    #[test]
    fn significance_uses_a_time_lag_where_the_data_allows() {
        let s = Significance::default();
        let exact = |seconds| {
            Some(TimeLag {
                seconds,
                lower_bound: false,
            })
        };
        assert!(!s.holds(50_000, exact(2.0)));
        assert!(s.holds(10, exact(61.0)));
        assert!(s.holds(1_000, None));
        assert!(!s.holds(999, None));
        // A lower bound below the threshold cannot clear a large message lag.
        let lower = Some(TimeLag {
            seconds: 5.0,
            lower_bound: true,
        });
        assert!(s.holds(5_000, lower));
        assert!(!s.holds(50, lower));
    }

    #[test]
    fn a_steady_lag_of_one_or_two_with_nothing_produced_is_transaction_markers() {
        let v = judge_at(15, Owner::Nobody, |_| (998, 1_000));
        assert_eq!(v.status, LagStatus::Idle, "{}", v.reason);
        assert!(v.reason.contains("transaction markers"), "{}", v.reason);
        // Three is not markers.
        let v = judge_at(15, Owner::Nobody, |_| (997, 1_000));
        assert_eq!(v.status, LagStatus::Stopped, "{}", v.reason);
    }

    #[test]
    fn keeping_up_is_ok() {
        let v = judge_at(15, Owner::Unknown, |m| (100 * m, 100 * m + 5));
        assert_eq!(v.status, LagStatus::Ok, "{}", v.reason);
    }

    #[test]
    fn going_back_is_rewind() {
        let v = judge_at(15, Owner::Unknown, |m| {
            (if m < 12 { 100 * m } else { 50 }, 2_000)
        });
        assert_eq!(v.status, LagStatus::Rewind, "{}", v.reason);
    }

    #[test]
    fn too_little_history_is_not_judged_yet() {
        let v = judge_at(3, Owner::Nobody, |_| (1_000, 1_200));
        assert_eq!(v.status, LagStatus::Ok, "{}", v.reason);
        assert!(v.reason.contains("watching"), "{}", v.reason);
    }

    #[test]
    fn below_log_start_is_data_loss_and_no_commit_is_named() {
        let owner = Owner::Unknown;
        let base = StatusInput {
            now_ms: 0,
            window_ms: WINDOW,
            committed: Some(10),
            log_start: Some(40),
            end: Some(90),
            committed_trail: &[],
            end_trail: &[],
            owner: &owner,
            time_lag: None,
            significance: Significance::default(),
        };
        let v = judge(&base);
        assert_eq!(v.status, LagStatus::DataLoss);
        assert!(
            v.reason.contains("30 messages were deleted"),
            "{}",
            v.reason
        );
        let v = judge(&StatusInput {
            committed: None,
            ..base
        });
        assert_eq!(v.status, LagStatus::NoCommit);
        assert!(v.reason.contains("50 messages wait"), "{}", v.reason);
    }
}
