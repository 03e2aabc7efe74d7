//! A lag chart as inline SVG, drawn on the server: a widget needs no chart library and
//! paints with its first response. Pure.

use std::fmt::Write;

use kafscope_api::fmt;

/// What the values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Messages,
    Seconds,
}

impl Unit {
    pub fn parse(s: Option<&str>) -> Result<Unit, String> {
        match s {
            None | Some("messages") => Ok(Unit::Messages),
            Some("seconds") => Ok(Unit::Seconds),
            Some(o) => Err(format!("unit must be messages or seconds, got '{o}'")),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Messages => "messages",
            Unit::Seconds => "seconds",
        }
    }
    fn label(self, v: f64) -> String {
        match self {
            Unit::Messages => fmt::compact(v),
            Unit::Seconds => fmt::span_ms((v * 1000.0) as i64),
        }
    }
}

const W: f64 = 600.0;
const H: f64 = 150.0;
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 8.0;

/// The smallest round number (1, 2, 5 × 10ⁿ) at least `v`.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|x| *x >= v)
        .unwrap_or(10.0 * p)
}

/// The chart of `points` (time in unix ms, value; `None` is a gap, never drawn as 0) over
/// `[from_ms, to_ms]`.
pub fn lag_chart(points: &[(i64, Option<f64>)], from_ms: i64, to_ms: i64, unit: Unit) -> String {
    let span = (to_ms - from_ms).max(1) as f64;
    let max = nice_max(
        points
            .iter()
            .filter(|(t, _)| *t >= from_ms && *t <= to_ms)
            .filter_map(|(_, v)| *v)
            .fold(0.0, f64::max),
    );
    let x = |t: i64| LEFT + (t - from_ms).clamp(0, to_ms - from_ms) as f64 / span * (W - LEFT);
    let y = |v: f64| TOP + (1.0 - (v / max).clamp(0.0, 1.0)) * (H - TOP - BOTTOM);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"lag in {} over time\">",
        unit.as_str()
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = max * frac;
        let yy = y(v);
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{W}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            yy + 4.0,
            super::html::esc(&unit.label(v))
        );
    }
    let _ = write!(
        s,
        "<text class=\"axis\" x=\"{LEFT}\" y=\"{:.1}\">−{}</text>\
         <text class=\"axis\" x=\"{W}\" y=\"{:.1}\" text-anchor=\"end\">now</text>",
        H - 4.0,
        super::html::esc(&fmt::span_ms(to_ms - from_ms)),
        H - 4.0
    );
    // One path per run of known values: a gap stays a gap.
    let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (t, v) in points {
        match v {
            Some(v) if *t >= from_ms && *t <= to_ms => {
                runs.last_mut().expect("never empty").push((x(*t), y(*v)))
            }
            _ => {
                if !runs.last().expect("never empty").is_empty() {
                    runs.push(Vec::new());
                }
            }
        }
    }
    let mut drawn = false;
    for run in runs.iter().filter(|r| !r.is_empty()) {
        drawn = true;
        if let [(a, b)] = run.as_slice() {
            // One known value between gaps: a dot, not an invisible line.
            let _ = write!(
                s,
                "<circle class=\"dot\" cx=\"{a:.1}\" cy=\"{b:.1}\" r=\"2.5\"/>"
            );
            continue;
        }
        let line: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
        let base = y(0.0);
        let (x0, _) = run[0];
        let (x1, _) = run[run.len() - 1];
        let _ = write!(
            s,
            "<path class=\"area\" d=\"M{x0:.1},{base:.1} L{} L{x1:.1},{base:.1} Z\"/>\
             <polyline class=\"line\" points=\"{}\"/>",
            line.join(" L"),
            line.join(" ")
        );
    }
    if !drawn {
        let _ = write!(
            s,
            "<text class=\"empty\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">no lag recorded in this range</text>",
            (LEFT + W) / 2.0,
            H / 2.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(120.0), 200.0);
        assert_eq!(nice_max(4_500.0), 5_000.0);
        assert_eq!(nice_max(5_000.0), 5_000.0);
    }

    #[test]
    fn gaps_stay_gaps_and_values_scale_to_the_top() {
        let pts = [
            (0, Some(50.0)),
            (10, Some(100.0)),
            (20, None),
            (30, Some(20.0)),
            (40, Some(0.0)),
        ];
        let svg = lag_chart(&pts, 0, 40, Unit::Messages);
        assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
        // 100 is the top of the scale (y = TOP), 0 the bottom.
        assert!(
            svg.contains(&format!("{:.1},{:.1}", LEFT + 137.0, TOP)),
            "{svg}"
        );
        assert!(svg.contains(">100<"), "{svg}");
        assert!(!svg.contains("no lag recorded"));
    }

    #[test]
    fn a_lone_value_is_a_dot_and_outside_points_do_not_scale() {
        let svg = lag_chart(
            &[(0, None), (10, Some(4.0)), (20, None), (99, Some(1e9))],
            0,
            40,
            Unit::Messages,
        );
        assert!(svg.contains("<circle class=\"dot\""), "{svg}");
        assert!(
            svg.contains(">5<"),
            "the scale is set by what is drawn: {svg}"
        );
    }

    #[test]
    fn no_values_say_so_instead_of_a_flat_zero() {
        let svg = lag_chart(&[(0, None), (10, None)], 0, 3_600_000, Unit::Seconds);
        assert!(svg.contains("no lag recorded in this range"));
        assert!(!svg.contains("<polyline"));
        assert!(svg.contains(">−60 min<"), "{svg}");
    }
}
