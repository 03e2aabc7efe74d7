//! Data-loss risk before it happens: how far a group's committed offset is from the log
//! start (records), and how long until retention deletes records the group has not read, at
//! the current rates (seconds). Pure: numbers in, a margin out.
//!
//! Two ways retention reaches an unread record, and the margin is the nearer one:
//! * time retention (`retention.ms`): the record at the committed offset is deleted once it
//!   is older than `retention.ms` (at the earliest: Kafka deletes whole segments, so later
//!   in practice). Its age grows at `1 − consume/produce` per second (1 for a consumer that
//!   does not move; 0 or less for one that keeps pace or catches up).
//! * the log start moving (size retention, DeleteRecords, or time retention seen from the
//!   log): the gap `committed − log start` closes at `log-start rate − consume rate`.

/// What the margin is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetentionInput {
    pub committed: i64,
    pub log_start: Option<i64>,
    /// Records the group has not read; no risk without any.
    pub lag: Option<i64>,
    /// Age of the record at the committed offset (the partition's time lag), seconds.
    pub age_s: Option<f64>,
    /// `retention.ms` of a topic whose `cleanup.policy` deletes; `None` when unknown,
    /// unlimited (-1) or compact-only.
    pub retention_ms: Option<i64>,
    /// Messages per second, over the status window.
    pub produce_rate: Option<f64>,
    pub consume_rate: Option<f64>,
    pub log_start_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetentionMargin {
    /// `committed − log start`: records between the group's position and deletion.
    pub records: Option<i64>,
    /// Seconds until retention deletes a record the group has not read, at current rates;
    /// `None` when it never will at these rates (or nothing says).
    pub seconds: Option<f64>,
    /// `time_retention` or `log_start_rate`: which of the two gave `seconds`.
    pub basis: Option<&'static str>,
}

pub fn margin(i: &RetentionInput) -> RetentionMargin {
    let records = i.log_start.map(|l| (i.committed - l).max(0));
    let unread = i.lag.is_some_and(|l| l > 0);
    if !unread {
        return RetentionMargin {
            records,
            seconds: None,
            basis: None,
        };
    }
    let consume = i.consume_rate.unwrap_or(0.0).max(0.0);
    let by_time = match (i.retention_ms, i.age_s) {
        (Some(ret), Some(age)) if ret > 0 => {
            let left = ret as f64 / 1000.0 - age;
            let produce = i.produce_rate.unwrap_or(0.0).max(0.0);
            // How fast the age of the oldest unread record grows.
            let growth = if consume <= 0.0 {
                1.0
            } else if produce <= 0.0 {
                0.0
            } else {
                (1.0 - consume / produce).max(0.0)
            };
            if left <= 0.0 {
                Some(0.0)
            } else if growth > 0.0 {
                Some(left / growth)
            } else {
                None
            }
        }
        _ => None,
    };
    let by_start = match (records, i.log_start_rate) {
        (Some(gap), Some(rate)) if rate > consume => Some(gap as f64 / (rate - consume)),
        _ => None,
    };
    let (seconds, basis) = match (by_time, by_start) {
        (Some(t), Some(s)) if s < t => (Some(s), Some("log_start_rate")),
        (Some(t), _) => (Some(t), Some("time_retention")),
        (None, Some(s)) => (Some(s), Some("log_start_rate")),
        (None, None) => (None, None),
    };
    RetentionMargin {
        records,
        seconds: seconds.map(|s| (s * 10.0).round() / 10.0),
        basis,
    }
}

/// `retention.ms` when the topic's cleanup policy deletes and the value is finite.
pub fn effective_retention_ms(
    cleanup_policy: Option<&str>,
    retention_ms: Option<&str>,
) -> Option<i64> {
    let deletes = cleanup_policy.is_none_or(|p| p.contains("delete"));
    let ms: i64 = retention_ms?.trim().parse().ok()?;
    (deletes && ms > 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn input() -> RetentionInput {
        RetentionInput {
            committed: 1_000,
            log_start: Some(400),
            lag: Some(500),
            age_s: Some(6.0 * 86_400.0),
            retention_ms: Some(7 * DAY),
            produce_rate: Some(10.0),
            consume_rate: Some(0.0),
            log_start_rate: None,
        }
    }

    #[test]
    fn a_stopped_consumer_loses_data_when_its_oldest_record_ages_out() {
        let m = margin(&input());
        assert_eq!(m.records, Some(600));
        assert_eq!(m.seconds, Some(86_400.0), "one day of the seven left");
        assert_eq!(m.basis, Some("time_retention"));
    }

    #[test]
    fn a_slow_consumer_ages_more_slowly_and_one_that_keeps_pace_never_loses() {
        let slow = margin(&RetentionInput {
            consume_rate: Some(5.0),
            ..input()
        });
        assert_eq!(slow.seconds, Some(172_800.0), "the age grows at half speed");
        let pace = margin(&RetentionInput {
            consume_rate: Some(10.0),
            ..input()
        });
        assert_eq!(pace.seconds, None);
        // Nothing produced while it reads: catching up on old records.
        let catching = margin(&RetentionInput {
            produce_rate: Some(0.0),
            consume_rate: Some(3.0),
            ..input()
        });
        assert_eq!(catching.seconds, None);
    }

    #[test]
    fn a_moving_log_start_closes_the_gap() {
        // Size retention: the log start moves 2/s, the consumer stands still: 600 / 2.
        let m = margin(&RetentionInput {
            retention_ms: None,
            log_start_rate: Some(2.0),
            ..input()
        });
        assert_eq!((m.seconds, m.basis), (Some(300.0), Some("log_start_rate")));
        // The nearer of the two wins.
        let m = margin(&RetentionInput {
            log_start_rate: Some(0.001),
            ..input()
        });
        assert_eq!(m.basis, Some("time_retention"));
    }

    #[test]
    fn no_unread_records_no_risk_and_past_retention_is_now() {
        let m = margin(&RetentionInput {
            lag: Some(0),
            ..input()
        });
        assert_eq!((m.records, m.seconds), (Some(600), None));
        let m = margin(&RetentionInput {
            age_s: Some(8.0 * 86_400.0),
            ..input()
        });
        assert_eq!(m.seconds, Some(0.0));
        let m = margin(&RetentionInput {
            retention_ms: None,
            ..input()
        });
        assert_eq!(
            (m.seconds, m.basis),
            (None, None),
            "unknown retention is not invented"
        );
    }

    #[test]
    fn retention_applies_only_to_deleting_topics() {
        assert_eq!(
            effective_retention_ms(None, Some("604800000")),
            Some(7 * DAY)
        );
        assert_eq!(
            effective_retention_ms(Some("compact"), Some("604800000")),
            None
        );
        assert_eq!(
            effective_retention_ms(Some("compact,delete"), Some("1000")),
            Some(1000)
        );
        assert_eq!(effective_retention_ms(Some("delete"), Some("-1")), None);
        assert_eq!(effective_retention_ms(Some("delete"), None), None);
    }
}
