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

/// A short number for axes and badges: `950`, `12.3k`, `4.1M`, `2.0G`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (d, suffix) = match a {
        a if a >= 1e9 => (1e9, "G"),
        a if a >= 1e6 => (1e6, "M"),
        a if a >= 1e3 => (1e3, "k"),
        _ => return format!("{}", v.round() as i64),
    };
    let x = v / d;
    if x.abs() >= 100.0 {
        format!("{}{suffix}", x.round() as i64)
    } else {
        format!("{x:.1}{suffix}")
    }
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

/// A duration in milliseconds, exactly, in words: `604800000` → `7 days`,
/// `90061000` → `1 day 1 h 1 min 1 s`, `1500` → `1 s 500 ms`.
pub fn exact_ms(ms: i64) -> String {
    if ms == 0 {
        return "0 ms".to_string();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let mut rest = ms.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, one, many) in [
        (86_400_000u64, " day", " days"),
        (3_600_000, " h", " h"),
        (60_000, " min", " min"),
        (1_000, " s", " s"),
        (1, " ms", " ms"),
    ] {
        let n = rest / unit;
        rest %= unit;
        if n > 0 {
            parts.push(format!("{n}{}", if n == 1 { one } else { many }));
        }
    }
    format!("{sign}{}", parts.join(" "))
}

/// A config value for people, by its name and type, where its unit is known:
/// `retention.ms = 604800000` → `7 days`, `segment.bytes = 1073741824` → `1 GiB`,
/// `-1` on a retention → `no limit`. `None` when the raw value says it all.
pub fn config_value(name: &str, config_type: Option<&str>, value: &str) -> Option<String> {
    // Not every broker gives the type (tansu says `string` for everything): the name and a
    // number decide, unless the type says it cannot be one.
    let numeric = !matches!(
        config_type,
        Some("boolean" | "list" | "class" | "password" | "double")
    );
    let n: i64 = value.trim().parse().ok().filter(|_| numeric)?;
    if name.starts_with("local.retention") && n == -2 {
        // Tiered storage: the local log keeps as much as the whole log.
        let whole = name.trim_start_matches("local.");
        return Some(format!("same as {whole}"));
    }
    if n == -1 && (name.contains("retention") || name.ends_with(".ms")) {
        return Some("no limit".to_string());
    }
    if n < 0 {
        return None;
    }
    let unit = |suffix: &str| name.ends_with(suffix);
    if unit(".ms") {
        return (n >= 1000).then(|| exact_ms(n));
    }
    for (suffix, ms) in [
        (".seconds", 1_000),
        (".minutes", 60_000),
        (".hours", 3_600_000),
    ] {
        if unit(suffix) {
            return Some(exact_ms(n.saturating_mul(ms)));
        }
    }
    if unit(".bytes") || unit("bytes.per.second") {
        if n < 1024 {
            return None;
        }
        for (size, name) in [
            (1i64 << 40, "TiB"),
            (1 << 30, "GiB"),
            (1 << 20, "MiB"),
            (1 << 10, "KiB"),
        ] {
            if n % size == 0 {
                return Some(format!("{} {name}", n / size));
            }
        }
        return Some(bytes(n as f64));
    }
    None
}

/// `2026-12-07T10:30` (a datetime-local input, read as UTC) as unix milliseconds.
pub fn utc_datetime_ms(s: &str) -> Option<i64> {
    let (date, time) = s.trim().split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|x| x.parse::<f64>().ok());
    let (h, min) = (t.next()??, t.next()??);
    let sec = t.next().flatten().unwrap_or(0.0);
    let fits = (1970..=9999).contains(&y)
        && (1..=12).contains(&m)
        && (1..=31).contains(&day)
        && (0.0..24.0).contains(&h)
        && (0.0..60.0).contains(&min)
        && (0.0..61.0).contains(&sec);
    if !fits {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400_000 + (h as i64) * 3_600_000 + (min as i64) * 60_000 + (sec * 1000.0) as i64)
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
    fn compact_numbers() {
        use super::compact;
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(4_100_000.0), "4.1M");
        assert_eq!(compact(250_000.0), "250k");
        assert_eq!(compact(-2_000.0), "-2.0k");
    }

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
        assert_eq!(super::exact_ms(604_800_000), "7 days");
        assert_eq!(super::utc_datetime_ms("1970-01-01T00:00"), Some(0));
        assert_eq!(
            super::utc_datetime_ms("2024-01-01T00:00"),
            Some(1_704_067_200_000)
        );
        assert_eq!(
            super::utc_datetime_ms("2024-03-01T12:30:15"),
            Some(1_709_296_215_000)
        );
        assert_eq!(super::utc_datetime_ms("nonsense"), None);
        assert_eq!(super::exact_ms(90_061_000), "1 day 1 h 1 min 1 s");
        assert_eq!(super::exact_ms(1500), "1 s 500 ms");
        let c = |n: &str, v: &str| super::config_value(n, Some("long"), v);
        assert_eq!(c("retention.ms", "604800000").as_deref(), Some("7 days"));
        assert_eq!(c("retention.ms", "-1").as_deref(), Some("no limit"));
        assert_eq!(
            c("local.retention.ms", "-2").as_deref(),
            Some("same as retention.ms")
        );
        assert_eq!(
            c("local.retention.bytes", "-2").as_deref(),
            Some("same as retention.bytes")
        );
        assert_eq!(c("retention.ms", "-7"), None);
        assert_eq!(super::utc_datetime_ms("2024-13-01T00:00"), None);
        assert_eq!(super::utc_datetime_ms("2024-01-01T25:00"), None);
        assert_eq!(super::utc_datetime_ms("99999999999-01-01T00:00"), None);
        assert_eq!(c("segment.bytes", "1073741824").as_deref(), Some("1 GiB"));
        assert_eq!(
            c("max.message.bytes", "1048588").as_deref(),
            Some("1.0 MiB")
        );
        assert_eq!(c("log.retention.hours", "168").as_deref(), Some("7 days"));
        assert_eq!(c("min.insync.replicas", "2"), None);
        assert_eq!(
            super::config_value("retention.ms", Some("list"), "5000"),
            None
        );
        assert_eq!(
            super::time("2026-11-21T14:02:07.123Z"),
            "2026-11-21 14:02:07 UTC"
        );
    }
}
