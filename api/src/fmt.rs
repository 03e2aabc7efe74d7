//! Formatting for people, shared by the UI and the server's explanations: numbers with
//! thousands separators, spans, times. Unknown is a dash, never 0.

/// `1234567` → `1,234,567`.
pub fn num(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

pub fn opt_num(n: Option<i64>) -> String {
    n.map(num).unwrap_or_else(|| "—".to_string())
}

pub fn count(n: usize) -> String {
    num(n as i64)
}

/// `1 partition`, `3 partitions`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// `720000` ms → `12 min`: a rounded span for sentences.
pub fn span_ms(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..=89 => format!("{s} s"),
        90..=5399 => format!("{} min", (s + 30) / 60),
        _ => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// Lag in seconds for display: `≥ 12 min 0 s` for a lower bound, `0 s` when caught up,
/// a dash when unknown.
pub fn lag_time(secs: Option<f64>, method: Option<&str>) -> String {
    match (secs, method) {
        (None, _) => "—".to_string(),
        (Some(s), Some("lower_bound")) => format!("≥ {}", age(s.round() as u64)),
        (Some(s), _) => age(s.round() as u64),
    }
}

/// Rate for display: `3.2/s`.
pub fn per_sec(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}/s"))
        .unwrap_or_else(|| "—".to_string())
}

/// `75` → `1 min 15 s`.
pub fn age(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        3600..=86_399 => format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
        _ => format!("{} d {} h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

/// RFC 3339 → `2026-11-21 14:02:07 UTC`.
pub fn time(rfc3339: &str) -> String {
    let s = rfc3339.replace('T', " ");
    let s = s
        .split('.')
        .next()
        .unwrap_or(&s)
        .trim_end_matches('Z')
        .to_string();
    format!("{s} UTC")
}

/// `3145728` → `3.0 MiB`.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n;
    let mut i = 0;
    while v.abs() >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{} B", v.round() as i64)
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// A metric value for people, by its unit (`count`, `ratio`, `bytes`, `bytes_per_second`,
/// `per_second`); `unavailable` when there is none — never 0.
pub fn metric(v: Option<f64>, unit: &str) -> String {
    let Some(v) = v else {
        return "unavailable".to_string();
    };
    match unit {
        "ratio" => format!("{:.0} %", v * 100.0),
        "bytes" => bytes(v),
        "bytes_per_second" => format!("{}/s", bytes(v)),
        "per_second" => format!("{v:.1}/s"),
        "seconds" if v < 90.0 => format!("{v:.1} s"),
        "seconds" => span_ms((v * 1000.0) as i64),
        _ if v.fract() == 0.0 && v.abs() < 1e15 => num(v as i64),
        _ => format!("{v:.2}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::num(0), "0");
        assert_eq!(super::num(4210), "4,210");
        assert_eq!(super::num(-1234567), "-1,234,567");
        assert_eq!(super::opt_num(None), "—");
        assert_eq!(super::age(75), "1 min 15 s");
        assert_eq!(super::span_ms(720_000), "12 min");
        assert_eq!(
            super::lag_time(Some(720.0), Some("lower_bound")),
            "≥ 12 min 0 s"
        );
        assert_eq!(super::lag_time(Some(0.0), Some("caught_up")), "0 s");
        assert_eq!(super::lag_time(None, None), "—");
        assert_eq!(super::per_sec(Some(3.25)), "3.2/s");
        assert_eq!(super::span_ms(45_000), "45 s");
        assert_eq!(super::plural(1, "partition"), "1 partition");
        assert_eq!(super::bytes(3_145_728.0), "3.0 MiB");
        assert_eq!(super::bytes(512.0), "512 B");
        assert_eq!(super::metric(None, "count"), "unavailable");
        assert_eq!(super::metric(Some(0.0), "count"), "0");
        assert_eq!(super::metric(Some(0.75), "ratio"), "75 %");
        assert_eq!(super::metric(Some(2048.0), "bytes_per_second"), "2.0 KiB/s");
        assert_eq!(super::plural(1200, "partition"), "1,200 partitions");
        assert_eq!(
            super::time("2026-11-21T14:02:07.123Z"),
            "2026-11-21 14:02:07 UTC"
        );
    }
}
