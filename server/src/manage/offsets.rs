//! Where a reset moves each partition's committed offset, and what that costs: records the
//! group will skip or read again. Pure: the HTTP layer reads the offsets, this decides.
//! Like `kafka-consumer-groups.sh --reset-offsets`, a target outside the log is clamped to
//! its start or end, and a time with no record at or after it means the end.

use kafscope_api::{OffsetMove, ResetTo};

/// One partition as read when planning.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionNow {
    pub topic: String,
    pub partition: i32,
    pub current: Option<i64>,
    pub earliest: i64,
    pub latest: i64,
}

/// What a lookup found for the partition (a time, another group, an explicit offset).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Found {
    /// Nothing was looked up (earliest, latest, offset, shift).
    Nothing,
    Offset(i64),
    /// The time has no record at or after it; another group has nothing committed here.
    Missing,
    /// Explicit: remove the committed offset.
    Remove,
}

/// The move of one partition.
pub fn plan_move(p: &PartitionNow, to: &ResetTo, found: Found) -> OffsetMove {
    // Two reads of a moving partition can see its end below its start.
    let p = &PartitionNow {
        latest: p.latest.max(p.earliest),
        ..p.clone()
    };
    let mut note = None;
    let clamp = |o: i64, note: &mut Option<String>| {
        if o < p.earliest {
            *note = Some(format!(
                "{o} is before the log's start: clamped to {} (the records before it are gone)",
                p.earliest
            ));
            p.earliest
        } else if o > p.latest {
            *note = Some(format!(
                "{o} is past the log's end: clamped to {}",
                p.latest
            ));
            p.latest
        } else {
            o
        }
    };
    let new = match (to, found) {
        (ResetTo::Earliest, _) => Some(p.earliest),
        (ResetTo::Latest, _) => Some(p.latest),
        (ResetTo::Offset { offset }, _) => Some(clamp(*offset, &mut note)),
        (ResetTo::Shift { by }, _) => match p.current {
            Some(c) => Some(clamp(c.saturating_add(*by), &mut note)),
            None => {
                note = Some("nothing committed to shift from: left as it is".into());
                None
            }
        },
        (ResetTo::Timestamp { .. } | ResetTo::Duration { .. }, Found::Offset(o)) => {
            Some(clamp(o, &mut note))
        }
        (ResetTo::Timestamp { .. } | ResetTo::Duration { .. }, _) => {
            note = Some("no record at or after that time: the end".into());
            Some(p.latest)
        }
        (ResetTo::Group { .. }, Found::Offset(o)) => Some(clamp(o, &mut note)),
        (ResetTo::Group { group }, _) => {
            note = Some(format!(
                "group '{group}' has nothing committed here: left as it is"
            ));
            p.current
        }
        (ResetTo::Explicit { .. }, Found::Offset(o)) => Some(clamp(o, &mut note)),
        (ResetTo::Explicit { .. }, Found::Remove) => None,
        (ResetTo::Explicit { .. }, _) => {
            note = Some("not in the list: left as it is".into());
            p.current
        }
    };
    // A shift of a partition without a commit changes nothing.
    let new = if matches!(to, ResetTo::Shift { .. }) && p.current.is_none() {
        None
    } else {
        new
    };
    let lag = |o: i64| (p.latest - o).max(0);
    let (skipped, reread) = match (p.current, new) {
        (Some(c), Some(n)) => {
            let from = c.clamp(p.earliest, p.latest);
            (Some((n - from).max(0)), Some((from - n).max(0)))
        }
        _ => (None, None),
    };
    OffsetMove {
        topic: p.topic.clone(),
        partition: p.partition,
        current: p.current,
        new,
        earliest: Some(p.earliest),
        latest: Some(p.latest),
        lag_before: p.current.map(lag),
        lag_after: new.map(lag),
        skipped,
        reread,
        note,
    }
}

/// Whether executing the move changes anything.
pub fn changes(m: &OffsetMove) -> bool {
    m.new != m.current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(current: Option<i64>) -> PartitionNow {
        PartitionNow {
            topic: "t".into(),
            partition: 0,
            current,
            earliest: 100,
            latest: 1000,
        }
    }

    #[test]
    fn earliest_rereads_and_latest_skips() {
        let m = plan_move(&p(Some(400)), &ResetTo::Earliest, Found::Nothing);
        assert_eq!(
            (m.new, m.reread, m.skipped),
            (Some(100), Some(300), Some(0))
        );
        assert_eq!((m.lag_before, m.lag_after), (Some(600), Some(900)));
        let m = plan_move(&p(Some(400)), &ResetTo::Latest, Found::Nothing);
        assert_eq!(
            (m.new, m.reread, m.skipped, m.lag_after),
            (Some(1000), Some(0), Some(600), Some(0))
        );
    }

    #[test]
    fn offsets_outside_the_log_are_clamped_and_say_so() {
        let m = plan_move(
            &p(Some(400)),
            &ResetTo::Offset { offset: 5 },
            Found::Nothing,
        );
        assert_eq!(m.new, Some(100));
        assert!(m.note.unwrap().contains("clamped to 100"));
        let m = plan_move(&p(Some(400)), &ResetTo::Shift { by: 5000 }, Found::Nothing);
        assert_eq!(m.new, Some(1000));
        let m = plan_move(&p(Some(400)), &ResetTo::Shift { by: -50 }, Found::Nothing);
        assert_eq!((m.new, m.reread, m.note), (Some(350), Some(50), None));
    }

    #[test]
    fn a_shift_needs_a_commit_and_a_time_without_records_is_the_end() {
        let m = plan_move(&p(None), &ResetTo::Shift { by: -5 }, Found::Nothing);
        assert_eq!(m.new, None);
        assert!(!changes(&m));
        let m = plan_move(
            &p(Some(400)),
            &ResetTo::Timestamp { at_ms: 1 },
            Found::Missing,
        );
        assert_eq!(m.new, Some(1000));
        let m = plan_move(
            &p(Some(400)),
            &ResetTo::Duration { back_ms: 1 },
            Found::Offset(700),
        );
        assert_eq!((m.new, m.skipped), (Some(700), Some(300)));
    }

    #[test]
    fn another_group_and_explicit_offsets() {
        let to = ResetTo::Group {
            group: "other".into(),
        };
        assert_eq!(
            plan_move(&p(Some(400)), &to, Found::Offset(800)).new,
            Some(800)
        );
        let m = plan_move(&p(Some(400)), &to, Found::Missing);
        assert!(!changes(&m));
        let to = ResetTo::Explicit { offsets: vec![] };
        let m = plan_move(&p(Some(400)), &to, Found::Remove);
        assert_eq!((m.new, m.skipped), (None, None));
        assert!(changes(&m));
        // Ends read below the start never panic.
        let odd = PartitionNow {
            earliest: 50,
            latest: 40,
            ..p(Some(45))
        };
        assert_eq!(
            plan_move(&odd, &ResetTo::Earliest, Found::Nothing).new,
            Some(50)
        );
        // A commit below the log's start re-reads from the start, not from before it.
        let m = plan_move(&p(Some(10)), &ResetTo::Latest, Found::Nothing);
        assert_eq!(m.skipped, Some(900));
    }
}
