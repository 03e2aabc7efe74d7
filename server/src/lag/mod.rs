//! Pure lag math (DESIGN.md §2): offsets in, lag and status out. No I/O, no clocks.
//!
//! `C` committed offset (next to consume), `H` high watermark, `L` log start offset.
//! * no commit → lag `None`, status `no_commit`, with the backlog `H − L` beside it;
//! * `C < L` → records deleted unread: `lost = L − C`, status `data_loss`;
//! * otherwise `lag = max(0, H − C)`; a negative raw lag is clamped and reported as a clamp.

pub mod retention;
pub mod status;
pub mod trail;

use kafscope_api::LagStatus;

/// Offsets of one group on one partition, as read in one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionOffsets {
    pub committed: Option<i64>,
    pub log_start: Option<i64>,
    pub high_watermark: Option<i64>,
}

/// What the rules make of [`PartitionOffsets`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLag {
    pub lag: Option<i64>,
    pub lost: Option<i64>,
    pub backlog: Option<i64>,
    pub status: LagStatus,
    /// The raw `H − C` was negative and was clamped to 0 (committed read after end offset,
    /// or a broker answering out of order). Counted by the collector.
    pub clamped: bool,
}

/// Apply the lag rules to one partition.
pub fn partition_lag(o: PartitionOffsets) -> PartitionLag {
    let backlog = match (o.high_watermark, o.log_start) {
        (Some(h), Some(l)) => Some((h - l).max(0)),
        _ => None,
    };
    let Some(c) = o.committed else {
        return PartitionLag {
            lag: None,
            lost: None,
            backlog,
            status: LagStatus::NoCommit,
            clamped: false,
        };
    };
    if let Some(l) = o.log_start {
        if c < l {
            // Everything from C up to L was deleted before the group read it; what remains
            // owed is the whole retained log.
            let lag = o.high_watermark.map(|h| (h - l).max(0));
            return PartitionLag {
                lag,
                lost: Some(l - c),
                backlog,
                status: LagStatus::DataLoss,
                clamped: false,
            };
        }
    }
    match o.high_watermark {
        Some(h) => {
            let raw = h - c;
            PartitionLag {
                lag: Some(raw.max(0)),
                lost: None,
                backlog,
                status: LagStatus::Ok,
                clamped: raw < 0,
            }
        }
        // The end offset could not be read: lag is unknown even though there is a commit.
        None => PartitionLag {
            lag: None,
            lost: None,
            backlog,
            status: LagStatus::Ok,
            clamped: false,
        },
    }
}

/// Lag of a read_committed consumer: measured against the last stable offset `S` (records
/// of open transactions are not readable yet), `max(0, S − C)`; unknown without both.
pub fn read_committed_lag(committed: Option<i64>, last_stable: Option<i64>) -> Option<i64> {
    Some((last_stable? - committed?).max(0))
}

/// Totals over several partitions: sum of defined lags, count of partitions without one,
/// and the worst status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagTotals {
    pub lag: Option<i64>,
    pub without_commit: usize,
    pub status: LagStatus,
}

impl LagTotals {
    /// Fold partition results. Partitions without a commit are common (a consumer that reads
    /// only some partitions), so they do not make an otherwise healthy group look worse: the
    /// status is the worst *committed* partition's, and `no_commit` only when none has one.
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a PartitionLag>) -> LagTotals {
        let mut lag: Option<i64> = None;
        let mut without_commit = 0;
        let mut worst: Option<LagStatus> = None;
        for p in parts {
            if let Some(l) = p.lag {
                lag = Some(lag.unwrap_or(0).saturating_add(l));
            }
            if p.status == LagStatus::NoCommit {
                without_commit += 1;
            } else {
                worst = Some(worst.map_or(p.status, |s| s.max(p.status)));
            }
        }
        LagTotals {
            lag,
            without_commit,
            status: worst.unwrap_or(LagStatus::NoCommit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offs(c: Option<i64>, l: i64, h: i64) -> PartitionOffsets {
        PartitionOffsets {
            committed: c,
            log_start: Some(l),
            high_watermark: Some(h),
        }
    }

    #[test]
    fn no_commit_is_null_not_zero_and_shows_backlog() {
        let r = partition_lag(offs(None, 5, 30));
        assert_eq!(r.lag, None);
        assert_eq!(r.status, LagStatus::NoCommit);
        assert_eq!(r.backlog, Some(25));
        assert_eq!(r.lost, None);
    }

    #[test]
    fn lag_is_end_minus_committed() {
        let r = partition_lag(offs(Some(7), 0, 10));
        assert_eq!(r.lag, Some(3));
        assert_eq!(r.status, LagStatus::Ok);
        assert!(!r.clamped);
        let caught_up = partition_lag(offs(Some(10), 0, 10));
        assert_eq!(caught_up.lag, Some(0));
    }

    #[test]
    fn committed_beyond_end_is_clamped_and_counted() {
        let r = partition_lag(offs(Some(12), 0, 10));
        assert_eq!(r.lag, Some(0));
        assert!(r.clamped);
    }

    #[test]
    fn committed_below_log_start_is_data_loss_with_count() {
        let r = partition_lag(offs(Some(100), 250, 400));
        assert_eq!(r.status, LagStatus::DataLoss);
        assert_eq!(r.lost, Some(150));
        // What is still owed is the retained log, not H − C.
        assert_eq!(r.lag, Some(150));
    }

    #[test]
    fn read_committed_lag_stops_at_the_last_stable_offset() {
        // H = 120 but a transaction is open from 100: a read_committed consumer at 90 owes 10.
        assert_eq!(read_committed_lag(Some(90), Some(100)), Some(10));
        assert_eq!(read_committed_lag(Some(105), Some(100)), Some(0));
        assert_eq!(read_committed_lag(None, Some(100)), None);
        assert_eq!(read_committed_lag(Some(90), None), None);
    }

    #[test]
    fn unknown_end_offset_leaves_lag_unknown() {
        let r = partition_lag(PartitionOffsets {
            committed: Some(3),
            log_start: None,
            high_watermark: None,
        });
        assert_eq!(r.lag, None);
        assert_eq!(r.backlog, None);
    }

    #[test]
    fn totals_sum_defined_lags_and_count_missing_commits() {
        let parts = [
            partition_lag(offs(Some(5), 0, 10)),
            partition_lag(offs(Some(20), 0, 20)),
            partition_lag(offs(None, 0, 30)),
        ];
        let t = LagTotals::of(&parts);
        assert_eq!(t.lag, Some(5));
        assert_eq!(t.without_commit, 1);
        assert_eq!(t.status, LagStatus::Ok);
    }

    #[test]
    fn totals_without_any_commit_are_null() {
        let parts = [partition_lag(offs(None, 0, 3))];
        let t = LagTotals::of(&parts);
        assert_eq!(t.lag, None);
        assert_eq!(t.status, LagStatus::NoCommit);
        assert_eq!(LagTotals::of(&[]).status, LagStatus::NoCommit);
    }

    #[test]
    fn group_status_is_the_worst_committed_partition() {
        let parts = [
            partition_lag(offs(Some(5), 0, 10)),
            partition_lag(offs(Some(1), 4, 10)),
            partition_lag(offs(None, 0, 3)),
        ];
        assert_eq!(LagTotals::of(&parts).status, LagStatus::DataLoss);
    }
}
