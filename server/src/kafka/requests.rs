//! Requests the console sends to a cluster, by Kafka API, on every path: its own protocol
//! connections count in `wire.rs`, librdkafka's admin client through an `on_request_sent`
//! interceptor (`ffi::count_requests`), and the message consumers and producer from
//! librdkafka's statistics (`StatsTally`). `/metrics` serves them as
//! `kafscope_kafka_requests_total{cluster, api}` with the protocol's API names.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kafka_protocol::messages::ApiKey;

/// Highest API key counted, plus one (Kafka 4.0 defines keys up to 90).
const KEYS: usize = 128;

/// Requests sent, by API key. Cloned handles share one count.
#[derive(Clone)]
pub struct RequestCounts(pub(crate) Arc<Tally>);

pub struct Tally([AtomicU64; KEYS]);

impl Default for RequestCounts {
    fn default() -> Self {
        RequestCounts(Arc::new(Tally(std::array::from_fn(|_| AtomicU64::new(0)))))
    }
}

impl std::fmt::Debug for RequestCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.get()).finish()
    }
}

impl Tally {
    pub fn add(&self, key: i16, n: u64) {
        if let Some(c) = usize::try_from(key).ok().and_then(|k| self.0.get(k)) {
            c.fetch_add(n, Ordering::Relaxed);
        }
    }
}

impl RequestCounts {
    pub fn add(&self, key: i16, n: u64) {
        self.0.add(key, n);
    }

    /// Non-zero counts by the Kafka protocol's API name.
    pub fn get(&self) -> BTreeMap<String, u64> {
        self.0
             .0
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                let n = c.load(Ordering::Relaxed);
                (n > 0).then(|| (api_name(k as i16), n))
            })
            .collect()
    }
}

/// The protocol's name of an API key (`ApiVersions`, `OffsetFetch`, …).
pub fn api_name(key: i16) -> String {
    match ApiKey::try_from(key) {
        Ok(k) => format!("{k:?}"),
        Err(_) => format!("ApiKey{key}"),
    }
}

/// librdkafka's statistics name of a request type, as an API key. Its names are the
/// protocol's except a few (`ApiVersion`, `…Request` suffixes, `Unknown-62?`).
pub fn key_of_stats_name(name: &str) -> Option<i16> {
    if let Some(n) = name.strip_prefix("Unknown-") {
        return n.trim_end_matches('?').parse().ok();
    }
    let name = match name.strip_suffix("Request").unwrap_or(name) {
        "ApiVersion" => "ApiVersions",
        "AlterIsr" => "AlterPartition",
        other => other,
    };
    (0..KEYS as i16).find(|k| ApiKey::try_from(*k).is_ok_and(|a| format!("{a:?}") == name))
}

/// Counts taken from librdkafka's statistics of clients without the interceptor (the
/// message consumers and producer): per client and broker handle, the increase since the
/// previous statistics is added, so a handle that goes away (librdkafka drops its bootstrap
/// handles once it knows the brokers) takes nothing with it.
#[derive(Default)]
pub struct StatsTally {
    last: Mutex<HashMap<(u64, String), HashMap<String, i64>>>,
}

impl StatsTally {
    /// Add the increase in `statistics` (librdkafka's JSON) of client `client` to `counts`.
    pub fn note(&self, client: u64, statistics: &str, counts: &RequestCounts) {
        #[derive(serde::Deserialize)]
        struct Stats {
            #[serde(default)]
            brokers: HashMap<String, Broker>,
        }
        #[derive(serde::Deserialize)]
        struct Broker {
            #[serde(default)]
            req: HashMap<String, i64>,
        }
        let Ok(st) = serde_json::from_str::<Stats>(statistics) else {
            return;
        };
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        for (broker, b) in st.brokers {
            let prev = last.entry((client, broker)).or_default();
            for (name, n) in b.req {
                let before = prev.insert(name.clone(), n).unwrap_or(0);
                if n > before {
                    if let Some(key) = key_of_stats_name(&name) {
                        counts.add(key, (n - before) as u64);
                    }
                }
            }
        }
    }

    /// Forget a client that was destroyed.
    pub fn forget(&self, client: u64) {
        if let Ok(mut last) = self.last.lock() {
            last.retain(|(c, _), _| *c != client);
        }
    }
}

/// What a message consumer or producer needs to count its requests from its statistics:
/// one per client (a new id each), forgotten when the client goes.
pub struct Counting {
    tally: Arc<StatsTally>,
    counts: RequestCounts,
    id: u64,
}

/// How often the message clients report statistics (librdkafka's granularity is a second).
pub const STATS_INTERVAL_MS: &str = "1000";

impl Counting {
    pub fn new(tally: Arc<StatsTally>, counts: RequestCounts) -> Counting {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Counting {
            tally,
            counts,
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// librdkafka's statistics JSON of this client.
    pub fn note(&self, statistics: &[u8]) {
        if let Ok(s) = std::str::from_utf8(statistics) {
            self.tally.note(self.id, s, &self.counts);
        }
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        self.tally.forget(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn librdkafka_names_map_to_protocol_keys() {
        let table = [
            ("ApiVersion", Some(18)),
            ("Metadata", Some(3)),
            ("OffsetFetch", Some(9)),
            ("ListOffsets", Some(2)),
            ("OffsetDeleteRequest", Some(47)),
            ("DescribeUserScramCredentialsRequest", Some(50)),
            ("AlterIsrRequest", Some(56)),
            ("Unknown-62?", Some(62)),
            ("NoSuchThing", None),
        ];
        for (name, key) in table {
            assert_eq!(key_of_stats_name(name), key, "{name}");
        }
        assert_eq!(api_name(18), "ApiVersions");
        assert_eq!(api_name(62), "BrokerRegistration");
        assert_eq!(api_name(127), "ApiKey127");
    }

    #[test]
    fn statistics_add_increases_per_handle_and_keep_what_a_gone_handle_sent() {
        let counts = RequestCounts::default();
        let tally = StatsTally::default();
        let s1 =
            r#"{"brokers":{"b:9092/bootstrap":{"req":{"ApiVersion":1,"Metadata":1,"Fetch":0}}}}"#;
        let s2 = r#"{"brokers":{"b:9092/1":{"req":{"ApiVersion":1,"Metadata":2,"Fetch":5}}}}"#;
        let s3 = r#"{"brokers":{"b:9092/1":{"req":{"ApiVersion":1,"Metadata":2,"Fetch":7}}}}"#;
        tally.note(1, s1, &counts);
        tally.note(1, s2, &counts);
        tally.note(1, s3, &counts);
        tally.note(1, "not json", &counts);
        let got = counts.get();
        assert_eq!(got["ApiVersions"], 2);
        assert_eq!(got["Metadata"], 3);
        assert_eq!(got["Fetch"], 7);
        // A second client's handles are its own.
        tally.note(2, s3, &counts);
        assert_eq!(counts.get()["Fetch"], 14);
        tally.forget(1);
        assert_eq!(tally.last.lock().unwrap().len(), 1);
    }
}
