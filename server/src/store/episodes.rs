//! Past alert episodes, assembled from the state changes kept in `alert_events`: when each
//! alert fired, when it resolved, whether a silence held it back, and who acknowledged it.

use std::collections::BTreeMap;

use sqlx::{QueryBuilder, Row, Sqlite};

use super::{Store, StoreError};

/// One firing episode of one alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub fingerprint: String,
    pub cluster: String,
    pub rule: String,
    pub severity: String,
    pub summary: String,
    pub labels: BTreeMap<String, String>,
    pub fired_ms: i64,
    /// `None` while it still fires.
    pub resolved_ms: Option<i64>,
    /// A silence held its notification back.
    pub silenced: bool,
    /// Who made the silence that matched it while it fired.
    pub silenced_by: Option<String>,
    pub acked_by: Option<String>,
    pub ack_comment: Option<String>,
}

/// A state change as stored: (fingerprint, cluster, rule, state, severity, summary, labels, at).
type EventRow = (String, String, String, String, String, String, String, i64);

/// Episodes from state changes ordered by fingerprint then time. Pure.
pub fn episodes(events: Vec<EventRow>) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    let mut open: BTreeMap<String, usize> = BTreeMap::new();
    for (fp, cluster, rule, state, severity, summary, labels, at) in events {
        match state.as_str() {
            "firing" => {
                open.insert(fp.clone(), out.len());
                out.push(Episode {
                    fingerprint: fp,
                    cluster,
                    rule,
                    severity,
                    summary,
                    labels: serde_json::from_str(&labels).unwrap_or_default(),
                    fired_ms: at,
                    resolved_ms: None,
                    silenced: false,
                    silenced_by: None,
                    acked_by: None,
                    ack_comment: None,
                });
            }
            "resolved" => {
                if let Some(i) = open.remove(&fp) {
                    out[i].resolved_ms = Some(at);
                }
            }
            "silenced" => {
                if let Some(i) = open.get(&fp) {
                    out[*i].silenced = true;
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.fired_ms));
    out
}

impl Store {
    /// Episodes that overlap `[from, to)`, newest first, of a cluster and rule when given.
    pub async fn alert_episodes(
        &self,
        cluster: Option<&str>,
        rule: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Episode>, StoreError> {
        // Changes of alerts that fired before `to`; episodes still open at `from` count.
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "SELECT fingerprint, cluster, rule, state, severity, summary, labels, at_ms FROM alert_events
             WHERE state IN ('firing', 'resolved', 'silenced') AND at_ms < ",
        );
        q.push_bind(to_ms);
        if let Some(c) = cluster {
            q.push(" AND cluster = ").push_bind(c.to_string());
        }
        if let Some(r) = rule {
            q.push(" AND rule = ").push_bind(r.to_string());
        }
        q.push(" ORDER BY fingerprint, at_ms, id");
        let rows: Vec<EventRow> = q
            .build()
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.get(0),
                    r.get(1),
                    r.get(2),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    r.get(7),
                )
            })
            .collect();
        let mut list: Vec<Episode> = episodes(rows)
            .into_iter()
            .filter(|e| e.resolved_ms.is_none_or(|t| t >= from_ms))
            .collect();
        let acks = self.acks().await?;
        let silences = self.silences(from_ms).await?;
        for e in &mut list {
            let end = e.resolved_ms.unwrap_or(i64::MAX);
            e.silenced_by = silences
                .iter()
                .find(|s| s.starts_ms < end && s.ends_ms > e.fired_ms && s.matches(&e.labels))
                .map(|s| s.author.clone());
            if let Some(a) = acks
                .iter()
                .find(|a| a.fingerprint == e.fingerprint && a.episode_ms == e.fired_ms)
            {
                e.acked_by = Some(a.author.clone());
                e.ack_comment = Some(a.comment.clone());
            }
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(fp: &str, state: &str, at: i64) -> EventRow {
        (
            fp.into(),
            "prod".into(),
            "consumer_stalled".into(),
            state.into(),
            "critical".into(),
            format!("{fp} {state}"),
            r#"{"group":"g"}"#.into(),
            at,
        )
    }

    #[test]
    fn episodes_pair_firing_with_resolved_and_note_silences() {
        let list = episodes(vec![
            ev("a", "pending", 0),
            ev("a", "firing", 10),
            ev("a", "resolved", 50),
            ev("a", "firing", 100),
            ev("b", "firing", 20),
            ev("b", "silenced", 20),
        ]);
        assert_eq!(list.len(), 3);
        assert_eq!(
            (
                list[0].fingerprint.as_str(),
                list[0].fired_ms,
                list[0].resolved_ms
            ),
            ("a", 100, None)
        );
        assert_eq!(
            (list[1].fingerprint.as_str(), list[1].silenced),
            ("b", true)
        );
        assert_eq!((list[2].fired_ms, list[2].resolved_ms), (10, Some(50)));
        assert_eq!(list[2].labels["group"], "g");
    }
}
