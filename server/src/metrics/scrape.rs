//! Reading the configured metrics endpoints of one cluster: HTTP, bounded in time and bytes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kafscope_api::{Broker, MetricsEndpoint};

use super::mapping::{self, Reading};
use super::{jolokia, prometheus};
use crate::config::{MetricsKind, MetricsSource};

/// What one round of scrapes gave.
#[derive(Debug, Clone, Default)]
pub struct Scraped {
    pub endpoints: Vec<MetricsEndpoint>,
    /// Known metrics per broker (a missing key is unavailable).
    pub brokers: BTreeMap<i32, BTreeMap<String, f64>>,
    /// Log bytes per (topic, partition) per broker.
    pub log_sizes: BTreeMap<i32, BTreeMap<(String, i32), f64>>,
    /// When each broker's metrics were read (unix ms): samples are stored with this time,
    /// never with the poll's.
    pub read_at: BTreeMap<i32, i64>,
}

pub struct Scraper {
    sources: Vec<MetricsSource>,
    client: reqwest::Client,
    /// Previous successful reading per source, for counter rates.
    prev: Vec<Option<(Reading, i64)>>,
}

impl Scraper {
    pub fn new(sources: Vec<MetricsSource>, timeout: Duration) -> Scraper {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("kafscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let prev = vec![None; sources.len()];
        Scraper {
            sources,
            client,
            prev,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Scrape every endpoint concurrently, each stamped with the time its answer arrived;
    /// brokers are matched afterwards with [`Fetched::resolve`], once metadata is known.
    pub async fn scrape(&mut self) -> Fetched {
        let reads = self.sources.iter().map(|s| {
            let client = self.client.clone();
            async move {
                let started = Instant::now();
                let r = fetch(&client, s).await;
                (
                    r,
                    started.elapsed().as_millis() as u64,
                    crate::collect::now_ms(),
                )
            }
        });
        let results = futures::future::join_all(reads).await;
        let mut out = Fetched::default();
        for (i, (result, duration_ms, now_ms)) in results.into_iter().enumerate() {
            let source = &self.sources[i];
            let mut endpoint = MetricsEndpoint {
                url: source.display_url(),
                kind: source.kind.as_str().to_string(),
                broker: source.broker,
                last_scrape_at: Some(crate::http::state::rfc3339(now_ms)),
                duration_ms: Some(duration_ms),
                error: None,
                samples: 0,
                metrics_found: 0,
                notes: Vec::new(),
            };
            let got = match result {
                Err(e) => {
                    endpoint.error = Some(e);
                    None
                }
                Ok((series, partial)) => {
                    let reading = mapping::extract(&series);
                    let prev = self.prev[i].as_ref().map(|(r, at)| (r, *at));
                    let (values, smoothed) = mapping::values_noted(&reading, now_ms, prev);
                    for key in smoothed {
                        let key = match key {
                            mapping::AGGREGATE_IDLE => "request_handler_idle_ratio",
                            k => k,
                        };
                        endpoint.notes.push(format!(
                            "{key}: the smoothed one-minute rate (JMX OneMinuteRate) until the \
                             next read gives a Count delta"
                        ));
                    }
                    endpoint.samples = reading.samples;
                    // The shared idle meter is request-handler idle once finished.
                    endpoint.metrics_found = reading
                        .values
                        .keys()
                        .map(|k| match *k {
                            mapping::AGGREGATE_IDLE => "request_handler_idle_ratio",
                            k => k,
                        })
                        .collect::<std::collections::BTreeSet<_>>()
                        .len();
                    if !partial.is_empty() {
                        endpoint.error = Some(format!("some reads failed: {}", partial.join("; ")));
                    }
                    let got = Got {
                        values,
                        sizes: reading.log_sizes.clone(),
                        listener_idle: reading.listener_idle.clone(),
                    };
                    self.prev[i] = Some((reading, now_ms));
                    Some(got)
                }
            };
            out.items.push((endpoint, source.url.clone(), got, now_ms));
        }
        out
    }
}

/// What one endpoint's answer gave, before its node is known.
#[derive(Debug, Clone)]
struct Got {
    values: BTreeMap<String, f64>,
    sizes: BTreeMap<(String, i32), f64>,
    listener_idle: BTreeMap<String, f64>,
}

/// One endpoint's status, its real URL (for host matching), what it gave, and when.
type Item = (MetricsEndpoint, String, Option<Got>, i64);

/// Scrape results not yet matched to brokers.
#[derive(Debug, Default, Clone)]
pub struct Fetched {
    items: Vec<Item>,
}

impl Fetched {
    /// Match each endpoint to its node (configured, or by the URL's host): a broker, or a
    /// KRaft controller known from the quorum's endpoints.
    pub fn resolve(&self, brokers: &[Broker], quorum: Option<&kafscope_api::Quorum>) -> Scraped {
        // Controllers only where no broker matches: a controller on a broker's host must not
        // make that broker's URL ambiguous.
        let mut nodes: Vec<Broker> = Vec::new();
        for r in quorum.iter().flat_map(|q| &q.voters) {
            if brokers.iter().any(|b| b.id == r.id) {
                continue;
            }
            // `LISTENER://host:port`: the host is what a metrics URL on that node names.
            for e in &r.endpoints {
                let host = e.rsplit_once("://").map_or(e.as_str(), |(_, a)| a);
                let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
                nodes.push(Broker {
                    id: r.id,
                    host: Some(host.to_string()),
                    port: None,
                    rack: None,
                    is_controller: false,
                    roles: vec!["controller".into()],
                    status: kafscope_api::BrokerStatus::Up,
                    leader_partitions: 0,
                    replicas: 0,
                });
            }
        }
        let voters: std::collections::BTreeSet<i32> = quorum
            .iter()
            .flat_map(|q| &q.voters)
            .map(|v| v.id)
            .collect();
        let controller_listeners: std::collections::BTreeSet<String> = quorum
            .iter()
            .flat_map(|q| &q.voters)
            .flat_map(|v| &v.endpoints)
            .filter_map(|e| e.split_once("://").map(|(l, _)| l.to_string()))
            .collect();
        let mut out = Scraped::default();
        for (endpoint, url, got, at) in &self.items {
            let mut endpoint = endpoint.clone();
            let broker = endpoint
                .broker
                .or_else(|| broker_of(url, brokers))
                .or_else(|| broker_of(url, &nodes));
            endpoint.broker = broker;
            if let Some(Got {
                values,
                sizes,
                listener_idle,
            }) = got
            {
                match broker {
                    Some(b) => {
                        let facts = mapping::NodeFacts {
                            combined: quorum
                                .map(|_| voters.contains(&b) && brokers.iter().any(|x| x.id == b)),
                            controller_listeners: controller_listeners.clone(),
                        };
                        let mut values = values.clone();
                        endpoint
                            .notes
                            .extend(mapping::finish(&mut values, listener_idle, &facts));
                        out.brokers.entry(b).or_default().extend(values);
                        out.read_at.insert(b, *at);
                        if !sizes.is_empty() {
                            out.log_sizes.entry(b).or_default().extend(sizes.clone());
                        }
                    }
                    None => {
                        endpoint.error = Some(
                            "read, but no broker or controller has this URL's host: set \
                             `broker` for this endpoint"
                                .to_string(),
                        )
                    }
                }
            }
            out.endpoints.push(endpoint);
        }
        out
    }
}

/// The broker whose advertised host is the URL's host, when exactly one is.
pub fn broker_of(url: &str, brokers: &[Broker]) -> Option<i32> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    let hits: std::collections::BTreeSet<i32> = brokers
        .iter()
        .filter(|b| {
            b.host
                .as_deref()
                .is_some_and(|h| h.eq_ignore_ascii_case(host))
        })
        .map(|b| b.id)
        .collect();
    let first = hits.first().copied()?;
    (hits.len() == 1).then_some(first)
}

/// One endpoint's series, and the reads that failed inside a successful answer.
async fn fetch(
    client: &reqwest::Client,
    s: &MetricsSource,
) -> Result<(Vec<mapping::Series>, Vec<String>), String> {
    let req = match s.kind {
        MetricsKind::Prometheus => client
            .get(&s.url)
            .header("accept", "text/plain;version=0.0.4"),
        MetricsKind::Jolokia => client.post(&s.url).json(&jolokia::request()),
    };
    let req = match &s.username {
        Some(u) => req.basic_auth(u, s.password.as_deref()),
        None => req,
    };
    let mut resp = req.send().await.map_err(|e| describe(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > s.max_bytes {
            return Err(format!(
                "answer larger than {} bytes (max_bytes)",
                s.max_bytes
            ));
        }
        body.extend_from_slice(&chunk);
    }
    match s.kind {
        MetricsKind::Prometheus => {
            let text = String::from_utf8_lossy(&body);
            prometheus::parse(&text).map(|series| (series, Vec::new()))
        }
        MetricsKind::Jolokia => {
            let v: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))?;
            jolokia::parse(&v)
        }
    }
}

/// A reqwest error in one line, without the URL (which may carry credentials).
pub fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut cause = String::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if cause.is_empty() {
        what
    } else {
        format!("{what}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafscope_api::{BrokerStatus, Quorum, QuorumReplica};

    fn endpoint(url: &str) -> MetricsEndpoint {
        MetricsEndpoint {
            url: url.into(),
            kind: "prometheus".into(),
            broker: None,
            last_scrape_at: None,
            duration_ms: None,
            error: None,
            samples: 1,
            metrics_found: 1,
            notes: vec![],
        }
    }

    fn got(key: &str) -> Got {
        Got {
            values: [(key.to_string(), 1.0)].into(),
            sizes: BTreeMap::new(),
            listener_idle: BTreeMap::new(),
        }
    }

    fn voter(id: i32, endpoint: &str) -> QuorumReplica {
        QuorumReplica {
            id,
            role: "follower".into(),
            node_type: "controller".into(),
            directory_id: None,
            log_end_offset: Some(1),
            lag: Some(0),
            lag_ms: Some(0),
            last_fetch_at: None,
            last_caught_up_at: None,
            endpoints: vec![endpoint.into()],
        }
    }

    #[test]
    fn controllers_are_matched_by_the_quorum_and_never_take_a_brokers_url() {
        let broker = Broker {
            id: 1,
            host: Some("b1".into()),
            port: Some(9092),
            rack: None,
            is_controller: false,
            roles: vec!["broker".into()],
            status: BrokerStatus::Up,
            leader_partitions: 0,
            replicas: 0,
        };
        let quorum = Quorum {
            leader_id: Some(7),
            leader_epoch: 1,
            high_watermark: 1,
            max_follower_lag: Some(0),
            max_follower_lag_ms: Some(0),
            voters_caught_up: 2,
            // 7 on its own host; 8 on broker 1's host.
            voters: vec![
                voter(7, "CONTROLLER://c7:9093"),
                voter(8, "CONTROLLER://b1:9094"),
            ],
            observers: vec![],
            via: 1,
            read_at: String::new(),
        };
        let fetched = Fetched {
            items: vec![
                (
                    endpoint("http://b1:7071/metrics"),
                    "http://b1:7071/metrics".into(),
                    Some(got("bytes_in_per_sec")),
                    10,
                ),
                (
                    endpoint("http://c7:7071/metrics"),
                    "http://c7:7071/metrics".into(),
                    Some(got("active_controller_count")),
                    20,
                ),
            ],
        };
        let s = fetched.resolve(std::slice::from_ref(&broker), Some(&quorum));
        assert_eq!(s.endpoints[0].broker, Some(1));
        assert_eq!(s.endpoints[1].broker, Some(7));
        assert!(s.brokers[&7].contains_key("active_controller_count"));
        // Each node's samples carry the time its endpoint answered.
        assert_eq!((s.read_at[&1], s.read_at[&7]), (10, 20));
        // Without a quorum the controller's endpoint is unmatched, and says so.
        let s = fetched.resolve(&[broker], None);
        assert!(s.endpoints[1]
            .error
            .as_deref()
            .unwrap()
            .contains("no broker or controller"));
    }
}
