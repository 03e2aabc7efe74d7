//! Prometheus text exposition → series, with `prometheus-parse`.

use super::mapping::Series;

/// Parse a scrape. Histograms and summaries are left out (no mapped metric uses them); a
/// value that is not a number (`NaN`, `+Inf`) is kept out by the mapping, not here.
pub fn parse(text: &str) -> Result<Vec<Series>, String> {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape =
        prometheus_parse::Scrape::parse(lines).map_err(|e| format!("not Prometheus text: {e}"))?;
    let mut out = Vec::with_capacity(scrape.samples.len());
    for s in scrape.samples {
        let value = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => continue,
        };
        let mut labels: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.sort();
        out.push(Series {
            name: s.metric,
            labels,
            value,
        });
    }
    if out.is_empty()
        && text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        return Err("no sample could be read: not Prometheus text".to_string());
    }
    Ok(out)
}
