//! Short in-memory histories kept by the collector between cycles, and the pure math on them:
//! lag in seconds (interpolating a committed offset into the end-offset history), rates and
//! the catch-up ETA.
//!
//! A trail keeps every change inside the recent window (status needs them) and thins older
//! points by halving, so a trail covers a long span in bounded memory. A run of equal values
//! keeps only its first and last point: the first says since when the value has not moved,
//! the last that it still had it; idle partitions and stopped consumers cost two points.

/// `(time in unix ms, value)` pairs, oldest first. Stored compactly: every point but the last
/// as zigzag varints of its difference to the point before (a poll's step and a partition's
/// growth take 3–5 bytes, against 16 for the pair), and the last point as is, since a run
/// moves it. Tens of thousands of trails live in the collector: this is most of its memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trail {
    packed: Vec<u8>,
    /// Points in `packed`.
    count: usize,
    /// The last point in `packed` (what the next one is encoded against).
    tail: (i64, i64),
    last: Option<(i64, i64)>,
}

/// Points kept per trail at most.
pub const TRAIL_CAPACITY: usize = 96;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn get_varint(buf: &[u8], at: &mut usize) -> u64 {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(b) = buf.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 || shift >= 63 {
            break;
        }
        shift += 7;
    }
    v
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Trail {
    /// Every point, oldest first.
    pub fn points(&self) -> Vec<(i64, i64)> {
        let mut out = Vec::with_capacity(self.len());
        let (mut t, mut v) = (0i64, 0i64);
        let mut at = 0;
        for _ in 0..self.count {
            t = t.wrapping_add(unzigzag(get_varint(&self.packed, &mut at)));
            v = v.wrapping_add(unzigzag(get_varint(&self.packed, &mut at)));
            out.push((t, v));
        }
        out.extend(self.last);
        out
    }

    pub fn len(&self) -> usize {
        self.count + usize::from(self.last.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn pack(&mut self, p: (i64, i64)) {
        let (t0, v0) = if self.count == 0 { (0, 0) } else { self.tail };
        put_varint(&mut self.packed, zigzag(p.0.wrapping_sub(t0)));
        put_varint(&mut self.packed, zigzag(p.1.wrapping_sub(v0)));
        self.tail = p;
        self.count += 1;
    }

    fn set(&mut self, points: &[(i64, i64)]) {
        *self = Trail::default();
        if let Some((last, rest)) = points.split_last() {
            for p in rest {
                self.pack(*p);
            }
            self.last = Some(*last);
        }
        self.packed.shrink_to_fit();
    }

    /// Append a point; a point not newer than the last is ignored. Past capacity, every other
    /// point older than `keep_after_ms` is dropped (never the oldest, which bounds the span,
    /// nor the newest of them, which may start a run that reaches into the window).
    pub fn push(&mut self, at_ms: i64, value: i64, keep_after_ms: i64) {
        let Some(last) = self.last else {
            self.last = Some((at_ms, value));
            return;
        };
        if last.0 >= at_ms {
            return;
        }
        if self.count > 0 && self.tail.1 == value && last.1 == value {
            // Same value again: the run's last point moves forward.
            self.last = Some((at_ms, value));
            return;
        }
        self.pack(last);
        self.last = Some((at_ms, value));
        if self.len() > TRAIL_CAPACITY {
            let mut points = self.points();
            let split = points
                .iter()
                .position(|(t, _)| *t >= keep_after_ms)
                .unwrap_or(points.len());
            if split >= 3 {
                let mut i = 0;
                points.retain(|_| {
                    let keep = i % 2 == 0 || i + 1 >= split;
                    i += 1;
                    keep
                });
            } else {
                // Everything is recent: drop the oldest to stay bounded.
                points.remove(0);
            }
            self.set(&points);
        }
    }
}

/// The points from the last one at or before `since_ms` (the anchor that proves the window is
/// covered) onwards; all points when none is that old.
pub fn anchored(points: &[(i64, i64)], since_ms: i64) -> &[(i64, i64)] {
    let after = points.partition_point(|(t, _)| *t <= since_ms);
    &points[after.saturating_sub(1)..]
}

/// How a time lag was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLagMethod {
    /// Nothing is owed: the committed offset is at the end of the partition.
    CaughtUp,
    /// The committed offset lies inside the end-offset history: interpolated.
    Interpolated,
    /// The committed offset is older than the oldest end-offset sample: the true lag is at
    /// least this much. Never extrapolated.
    LowerBound,
}

impl TimeLagMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeLagMethod::CaughtUp => "caught_up",
            TimeLagMethod::Interpolated => "interpolated",
            TimeLagMethod::LowerBound => "lower_bound",
        }
    }
}

/// Lag in seconds of a consumer at `committed` on a partition whose end offset history is
/// `ends` and whose end offset is now `end_now`. `None` when there is no history at all.
pub fn time_lag(
    ends: &[(i64, i64)],
    committed: i64,
    end_now: i64,
    now_ms: i64,
) -> Option<(f64, TimeLagMethod)> {
    if committed >= end_now {
        return Some((0.0, TimeLagMethod::CaughtUp));
    }
    let first = ends.first()?;
    // The record at offset C was written when the end offset went from ≤ C to > C.
    let i = ends.partition_point(|(_, e)| *e <= committed);
    if i == 0 {
        let secs = (now_ms - first.0).max(0) as f64 / 1000.0;
        return Some((secs, TimeLagMethod::LowerBound));
    }
    let produced_at = if i < ends.len() {
        let (t0, e0) = ends[i - 1];
        let (t1, e1) = ends[i];
        let frac = (committed + 1 - e0) as f64 / (e1 - e0).max(1) as f64;
        t0 as f64 + frac.clamp(0.0, 1.0) * (t1 - t0) as f64
    } else {
        // Written after the last sample but before now.
        let (t0, e0) = ends[ends.len() - 1];
        let frac = (committed + 1 - e0) as f64 / (end_now - e0).max(1) as f64;
        t0 as f64 + frac.clamp(0.0, 1.0) * (now_ms - t0) as f64
    };
    Some((
        ((now_ms as f64 - produced_at) / 1000.0).max(0.0),
        TimeLagMethod::Interpolated,
    ))
}

/// Change per second over the window that starts at `since_ms`, from its anchor: when the
/// anchor is older (the start of a run of equal values), the value it holds is the value at
/// the window's start, so the span is counted from there and an idle stretch before the
/// window does not dilute the rate.
pub fn window_rate(points: &[(i64, i64)], since_ms: i64) -> Option<f64> {
    let w = anchored(points, since_ms);
    let (t0, v0) = *w.first()?;
    let (t1, v1) = *w.last()?;
    let t0 = if w.len() > 1 { t0.max(since_ms) } else { t0 };
    rate(&[(t0, v0), (t1, v1)], 1)
}

/// Change per second between the first and last point, when they span at least `min_ms`.
pub fn rate(points: &[(i64, i64)], min_ms: i64) -> Option<f64> {
    let (t0, v0) = *points.first()?;
    let (t1, v1) = *points.last()?;
    let dt = t1 - t0;
    (dt >= min_ms && dt > 0).then(|| (v1 - v0) as f64 * 1000.0 / dt as f64)
}

/// When a consumer catches up at the current rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CatchUp {
    /// Nothing owed.
    Done,
    /// Seconds until caught up.
    In(f64),
    /// As fast as the producers: the lag holds.
    KeepingPace,
    /// Producers are faster than the consumer: the lag grows.
    FallingBehind,
    /// Nothing produced and nothing consumed: the backlog just waits.
    NotConsuming,
    /// Not enough history to say.
    Unknown,
}

/// Rates this close are the same pace (rates are rounded to 0.1 msg/s).
const SAME_PACE: f64 = 0.05;

/// Where the lag goes at the current rates. Only a producer faster than the consumer is
/// "falling behind": with nothing produced and nothing consumed the consumer is simply not
/// consuming.
pub fn catch_up(lag: i64, produce_rate: Option<f64>, consume_rate: Option<f64>) -> CatchUp {
    if lag <= 0 {
        return CatchUp::Done;
    }
    let (Some(p), Some(c)) = (produce_rate, consume_rate) else {
        return CatchUp::Unknown;
    };
    let (p, c) = (p.max(0.0), c.max(0.0));
    if p <= SAME_PACE && c <= SAME_PACE {
        CatchUp::NotConsuming
    } else if (c - p).abs() <= SAME_PACE {
        CatchUp::KeepingPace
    } else if c > p {
        CatchUp::In(lag as f64 / (c - p))
    } else {
        CatchUp::FallingBehind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trail_stays_bounded_and_keeps_recent_points_and_the_oldest() {
        let mut t = Trail::default();
        for i in 0..1_000 {
            t.push(i * 1_000, i, 950_000);
        }
        assert!(t.points().len() <= TRAIL_CAPACITY);
        assert_eq!(t.points()[0], (0, 0), "the oldest point bounds the span");
        // Every point of the recent window is kept.
        let pts = t.points();
        assert_eq!(pts.iter().filter(|(at, _)| *at >= 950_000).count(), 50);
        // Out-of-order points are ignored.
        t.push(5, 5, 0);
        assert_eq!(t.points().last().unwrap().0, 999_000);
    }

    #[test]
    fn a_run_of_equal_values_keeps_its_first_and_last_point() {
        let mut t = Trail::default();
        t.push(0, 5, 0);
        for i in 1..=100 {
            t.push(i * 1_000, 7, 0);
        }
        t.push(101_000, 9, 0);
        assert_eq!(
            t.points(),
            &[(0, 5), (1_000, 7), (100_000, 7), (101_000, 9)]
        );
        // A window that starts inside the run sees the run's value from its start.
        let pts = t.points();
        assert_eq!(
            anchored(&pts, 50_000),
            [(1_000, 7), (100_000, 7), (101_000, 9)]
        );
        // The rate over a window that starts inside the run counts from the window's start:
        // 2 more in the 51 s since 50 s, not diluted over the run's 100 s.
        assert_eq!(window_rate(&pts, 50_000), Some(2.0 * 1000.0 / 51_000.0));
        assert_eq!(window_rate(&pts[..1], 50_000), None);
    }

    #[test]
    fn the_value_at_the_window_start_survives_thinning_and_runs() {
        // Runs of various lengths, pushed every second with a 20 s window: at every step the
        // window's first point carries the value the series had when the window started.
        let mut t = Trail::default();
        let mut all: Vec<(i64, i64)> = Vec::new();
        let mut value = 0i64;
        let mut seed = 7u64;
        for i in 0..3_000i64 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (seed >> 33).is_multiple_of(5) {
                value += ((seed >> 40) % 3) as i64 + 1;
            }
            let now = i * 1_000;
            t.push(now, value, now - 22_000);
            all.push((now, value));
            assert!(t.points().len() <= TRAIL_CAPACITY);
            let since = now - 20_000;
            if since > 0 {
                let truth = all[all.partition_point(|(at, _)| *at <= since) - 1].1;
                let pts = t.points();
                assert_eq!(anchored(&pts, since)[0].1, truth, "at {now}: {pts:?}");
                assert!(anchored(&pts, since)[0].0 <= since);
            }
        }
        assert_eq!(
            t.points()[0],
            (0, all[0].1),
            "the oldest point bounds the span"
        );
    }

    #[test]
    fn points_come_back_exactly_from_their_compact_form() {
        // Unix-ms times, offsets near i64::MAX, rewinds (negative steps) and negative values.
        let pts = [
            (1_763_700_000_000, i64::MAX - 10),
            (1_763_700_001_000, 5),
            (1_763_700_001_001, -3),
            (1_763_700_060_000, 0),
            (1_763_700_060_500, 1 << 40),
        ];
        let mut t = Trail::default();
        for (at, v) in pts {
            t.push(at, v, 0);
        }
        assert_eq!(t.points(), pts);
        assert_eq!(t.len(), 5);
        // A trail of a partition written at a steady pace, polled every 10 s, full: a few
        // bytes a point instead of 16.
        let mut t = Trail::default();
        for i in 0..500i64 {
            t.push(1_763_700_000_000 + i * 10_000, 1_000_000 + i * 350, 0);
        }
        assert_eq!(t.len(), TRAIL_CAPACITY);
        assert!(
            t.packed.len() <= 5 * TRAIL_CAPACITY + 16,
            "{}",
            t.packed.len()
        );
    }

    #[test]
    fn caught_up_is_zero() {
        assert_eq!(
            time_lag(&[], 10, 10, 5_000),
            Some((0.0, TimeLagMethod::CaughtUp))
        );
    }

    #[test]
    fn interpolates_inside_the_history() {
        // End offset 100 at t=0 s, 200 at t=10 s: offset 150 was written at about 5 s.
        let ends = [(0, 100), (10_000, 200)];
        let (secs, how) = time_lag(&ends, 149, 300, 60_000).unwrap();
        assert_eq!(how, TimeLagMethod::Interpolated);
        assert!((secs - 55.0).abs() < 0.01, "{secs}");
    }

    #[test]
    fn older_than_history_is_a_lower_bound_never_extrapolated() {
        let ends = [(10_000, 100), (20_000, 200)];
        let (secs, how) = time_lag(&ends, 50, 200, 30_000).unwrap();
        assert_eq!(how, TimeLagMethod::LowerBound);
        assert_eq!(secs, 20.0);
        assert_eq!(time_lag(&[], 50, 200, 30_000), None);
    }

    #[test]
    fn written_after_the_last_sample() {
        let ends = [(0, 100)];
        let (secs, how) = time_lag(&ends, 100, 110, 10_000).unwrap();
        assert_eq!(how, TimeLagMethod::Interpolated);
        // Offset 100 is the first of 10 written between t=0 and t=10 s.
        assert!((secs - 9.0).abs() < 0.01, "{secs}");
    }

    #[test]
    fn rates_and_catch_up() {
        let pts = [(0, 0), (10_000, 50)];
        assert_eq!(rate(&pts, 5_000), Some(5.0));
        assert_eq!(rate(&pts, 20_000), None);
        assert_eq!(catch_up(0, None, None), CatchUp::Done);
        assert_eq!(catch_up(100, Some(5.0), Some(10.0)), CatchUp::In(20.0));
        assert_eq!(catch_up(100, None, Some(5.0)), CatchUp::Unknown);
    }

    #[test]
    fn every_combination_of_rates_has_its_own_word() {
        // (produced/s, consumed/s) with messages owed.
        for (p, c, want) in [
            (0.0, 0.0, CatchUp::NotConsuming),
            (0.0, 4.0, CatchUp::In(25.0)),
            (3.0, 0.0, CatchUp::FallingBehind),
            (5.0, 5.0, CatchUp::KeepingPace),
            (5.0, 5.04, CatchUp::KeepingPace),
            (6.0, 5.0, CatchUp::FallingBehind),
            (5.0, 6.0, CatchUp::In(100.0)),
        ] {
            assert_eq!(catch_up(100, Some(p), Some(c)), want, "{p}/s in, {c}/s out");
        }
        assert_eq!(catch_up(0, Some(0.0), Some(0.0)), CatchUp::Done);
    }
}
