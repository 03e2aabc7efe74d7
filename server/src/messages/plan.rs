//! Where a scan starts and stops in each partition, and the cursor that continues it. Pure.
//!
//! Oldest first, a lane reads `[position, stop)` upwards, `stop` being the end offset when
//! the scan began (or nothing while tailing). Newest first, `position` is an exclusive upper
//! bound and the lane reads downwards to `stop`, the log start, in windows.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Oldest,
    Newest,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Oldest => "oldest",
            Order::Newest => "newest",
        }
    }
}

/// Where the user asked to begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Earliest,
    Latest,
    /// This offset (included) in every chosen partition.
    Offset(i64),
    /// Unix ms: oldest first from the first record at or after it; newest first from the
    /// last record at or before it.
    Timestamp(i64),
    /// Continue a previous page: a position per partition.
    Cursor(Vec<(i32, i64)>),
}

impl Start {
    /// `earliest`, `latest`, an offset, or an RFC 3339 time.
    pub fn parse(s: &str) -> Result<Start, String> {
        match s.trim() {
            "" | "latest" => Ok(Start::Latest),
            "earliest" => Ok(Start::Earliest),
            t => {
                if let Ok(n) = t.parse::<i64>() {
                    if n < 0 {
                        return Err(format!("from={n}: an offset cannot be negative"));
                    }
                    return Ok(Start::Offset(n));
                }
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map(|d| Start::Timestamp((d.unix_timestamp_nanos() / 1_000_000) as i64))
                    .map_err(|_| {
                        format!("from='{t}' is not earliest, latest, an offset or an RFC 3339 time")
                    })
            }
        }
    }
}

/// One partition's part of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub partition: i32,
    pub start: i64,
    pub position: i64,
    /// `None` while tailing (no end).
    pub stop: Option<i64>,
    /// Matches this lane gave to the current page.
    pub kept: usize,
}

impl Lane {
    /// Nothing left to read in this lane.
    pub fn exhausted(&self, order: Order) -> bool {
        match (order, self.stop) {
            (_, None) => false,
            (Order::Oldest, Some(s)) => self.position >= s,
            (Order::Newest, Some(s)) => self.position <= s,
        }
    }
}

/// Watermarks of a partition when the scan begins: (log start, end).
pub type Marks = BTreeMap<i32, (i64, i64)>;

/// The lanes of a scan. `resolved` holds the offsets the broker gave for a timestamp start
/// (`None` where no record is that late). `follow` (tailing) makes oldest-first lanes
/// endless.
pub fn lanes(
    order: Order,
    start: &Start,
    marks: &Marks,
    resolved: &BTreeMap<i32, Option<i64>>,
    follow: bool,
) -> Vec<Lane> {
    let cursor: BTreeMap<i32, i64> = match start {
        Start::Cursor(c) => c.iter().copied().collect(),
        _ => BTreeMap::new(),
    };
    marks
        .iter()
        .filter(|(p, _)| !matches!(start, Start::Cursor(_)) || cursor.contains_key(p))
        .map(|(&p, &(low, high))| {
            let pos = match (order, start) {
                (_, Start::Cursor(_)) => cursor[&p],
                (Order::Oldest, Start::Earliest) => low,
                (Order::Newest, Start::Earliest) => low,
                (_, Start::Latest) => high,
                (Order::Oldest, Start::Offset(n)) => *n,
                (Order::Newest, Start::Offset(n)) => n.saturating_add(1),
                (_, Start::Timestamp(_)) => resolved.get(&p).copied().flatten().unwrap_or(high),
            };
            let pos = pos.clamp(low, high.max(low));
            let stop = match (order, follow) {
                (Order::Oldest, true) => None,
                (Order::Oldest, false) => Some(high),
                (Order::Newest, _) => Some(low),
            };
            Lane {
                partition: p,
                start: pos,
                position: pos,
                stop,
                kept: 0,
            }
        })
        .collect()
}

/// The next window `[lo, hi)` of a newest-first lane.
pub fn window(lane: &Lane, size: i64) -> (i64, i64) {
    let floor = lane.stop.unwrap_or(0);
    ((lane.position - size).max(floor), lane.position)
}

/// `o.0_120.1_55`: order and a position per partition.
pub fn encode_cursor(order: Order, lanes: &[Lane]) -> String {
    let mut s = String::from(match order {
        Order::Oldest => "o",
        Order::Newest => "n",
    });
    for l in lanes {
        s.push_str(&format!(".{}_{}", l.partition, l.position));
    }
    s
}

pub fn decode_cursor(s: &str) -> Result<(Order, Vec<(i32, i64)>), String> {
    let bad = || format!("cursor '{s}' is not one this console gave out");
    let mut parts = s.split('.');
    let order = match parts.next() {
        Some("o") => Order::Oldest,
        Some("n") => Order::Newest,
        _ => return Err(bad()),
    };
    let mut out = Vec::new();
    for p in parts {
        let (a, b) = p.split_once('_').ok_or_else(bad)?;
        let part: i32 = a.parse().map_err(|_| bad())?;
        let pos: i64 = b.parse().map_err(|_| bad())?;
        if part < 0 || pos < 0 {
            return Err(bad());
        }
        out.push((part, pos));
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok((order, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks() -> Marks {
        [(0, (10, 100)), (1, (0, 0)), (2, (50, 60))]
            .into_iter()
            .collect()
    }

    fn positions(ls: &[Lane]) -> Vec<(i32, i64, Option<i64>)> {
        ls.iter()
            .map(|l| (l.partition, l.position, l.stop))
            .collect()
    }

    #[test]
    fn starts_resolve_per_order_and_clamp_to_the_log() {
        let none = BTreeMap::new();
        let l = lanes(Order::Oldest, &Start::Earliest, &marks(), &none, false);
        assert_eq!(
            positions(&l),
            vec![(0, 10, Some(100)), (1, 0, Some(0)), (2, 50, Some(60))]
        );
        assert!(
            l[1].exhausted(Order::Oldest),
            "an empty partition has nothing"
        );
        let l = lanes(Order::Newest, &Start::Latest, &marks(), &none, false);
        assert_eq!(
            positions(&l),
            vec![(0, 100, Some(10)), (1, 0, Some(0)), (2, 60, Some(50))]
        );
        // An offset is included in both orders; out of range clamps to the log.
        let l = lanes(Order::Newest, &Start::Offset(55), &marks(), &none, false);
        assert_eq!(l[0].position, 56);
        assert_eq!(l[2].position, 56);
        let l = lanes(Order::Oldest, &Start::Offset(5), &marks(), &none, false);
        assert_eq!((l[0].position, l[2].position), (10, 50));
        // Tailing has no end.
        let l = lanes(Order::Oldest, &Start::Latest, &marks(), &none, true);
        assert_eq!(l[0].stop, None);
        assert!(!l[0].exhausted(Order::Oldest));
    }

    #[test]
    fn timestamps_use_the_brokers_offsets_and_a_cursor_its_partitions() {
        let resolved = [(0, Some(42)), (2, None)].into_iter().collect();
        let l = lanes(
            Order::Oldest,
            &Start::Timestamp(1),
            &marks(),
            &resolved,
            false,
        );
        assert_eq!(
            (l[0].position, l[2].position),
            (42, 60),
            "none that late: the end"
        );
        let c = Start::Cursor(vec![(2, 55)]);
        let l = lanes(Order::Newest, &c, &marks(), &BTreeMap::new(), false);
        assert_eq!(positions(&l), vec![(2, 55, Some(50))]);
    }

    #[test]
    fn windows_stop_at_the_log_start() {
        let l = Lane {
            partition: 0,
            start: 100,
            position: 30,
            stop: Some(10),
            kept: 0,
        };
        assert_eq!(window(&l, 50), (10, 30));
        assert_eq!(window(&Lane { position: 100, ..l }, 50), (50, 100));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let l = lanes(
            Order::Newest,
            &Start::Latest,
            &marks(),
            &BTreeMap::new(),
            false,
        );
        let c = encode_cursor(Order::Newest, &l);
        assert_eq!(c, "n.0_100.1_0.2_60");
        assert_eq!(
            decode_cursor(&c).unwrap(),
            (Order::Newest, vec![(0, 100), (1, 0), (2, 60)])
        );
        for bad in ["", "x.0_1", "o", "o.0-1", "o.a_1", "o.0_-1"] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_parses_words_offsets_and_times() {
        assert_eq!(Start::parse("earliest"), Ok(Start::Earliest));
        assert_eq!(Start::parse(""), Ok(Start::Latest));
        assert_eq!(Start::parse("42"), Ok(Start::Offset(42)));
        assert_eq!(
            Start::parse("2023-11-14T22:13:20Z"),
            Ok(Start::Timestamp(1_700_000_000_000))
        );
        assert!(Start::parse("-1").unwrap_err().contains("negative"));
        assert!(Start::parse("yesterday").unwrap_err().contains("RFC 3339"));
    }
}
