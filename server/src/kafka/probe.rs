//! The connection check: every bootstrap server, then every broker the cluster advertises,
//! taken step by step (name lookup, TCP, TLS, ApiVersions, SASL, Metadata, an authorised
//! request) over Kafscope's own protocol connections, so a failure is known by its step and
//! class instead of librdkafka's "broker transport failure". Run by the collector while a
//! cluster or broker cannot be read (honouring each broker's back-off), by the "test
//! connection" action and by `kafscope check` (now).

use std::time::{Duration, Instant};

use kafka_protocol::messages::{
    ApiKey, DescribeClusterRequest, DescribeClusterResponse, MetadataRequest, MetadataResponse,
};
use kafscope_api::{Diagnosis, DiagnosisTarget};

use super::diagnosis::{self, Cause, ConnError, Step};
use super::wire::{is_timeout, Dialer, Session};

/// What to check, and whether a broker's back-off may be skipped.
pub struct Probe<'a> {
    pub dialer: &'a Dialer,
    pub bootstrap: Vec<(String, u16)>,
    /// Brokers known from earlier reads that the cluster no longer lists (a KRaft broker that
    /// stopped is fenced and dropped from Metadata): `(id, host, port)`.
    pub missing: Vec<(i32, String, u16)>,
    /// Brokers the cluster lists that the console's connections could not reach this poll
    /// (at the address they advertise).
    pub suspects: Vec<(i32, String, u16)>,
    /// Try every address now, even one backing off (a user asked).
    pub now: bool,
}

/// One address checked: the step it failed at, or `None` when every step passed.
struct Checked {
    address: String,
    role: &'static str,
    broker_id: Option<i32>,
    result: Result<(), ConnError>,
    took: Duration,
}

impl<'a> Probe<'a> {
    /// Every bootstrap server and the brokers they advertise, tried now (a user asked).
    pub fn now(dialer: &'a Dialer, bootstrap: Vec<(String, u16)>) -> Probe<'a> {
        Probe {
            dialer,
            bootstrap,
            missing: Vec::new(),
            suspects: Vec::new(),
            now: true,
        }
    }

    pub async fn run(&self, checked_at: String) -> Diagnosis {
        let started = Instant::now();
        let boot = futures::future::join_all(
            self.bootstrap
                .iter()
                .map(|(h, p)| self.bootstrap_server(h.clone(), *p)),
        )
        .await;
        let mut warnings = Vec::new();
        let mut advertised: Vec<(i32, String, u16)> = Vec::new();
        let mut targets = Vec::new();
        for (c, found) in boot {
            if let Some((brokers, w)) = found {
                if advertised.is_empty() {
                    advertised = brokers;
                    warnings = w;
                }
            }
            targets.push(c);
        }
        let mut brokers: Vec<(i32, String, u16)> = advertised.clone();
        for m in self.missing.iter().chain(&self.suspects) {
            if !brokers.iter().any(|b| b.0 == m.0) {
                brokers.push(m.clone());
            }
        }
        // "Not listed" is known only when some bootstrap server gave the brokers.
        // A remembered broker is known to be unlisted when the collector says so (it read
        // Metadata and asked no bootstrap server) or a bootstrap server's Metadata leaves it
        // out; when no bootstrap server answered, nothing is known.
        let listed = |id: i32| {
            let unlisted = self.missing.iter().any(|m| m.0 == id)
                && (self.bootstrap.is_empty()
                    || (!advertised.is_empty() && !advertised.iter().any(|b| b.0 == id)));
            !unlisted
        };
        let from_metadata = |id: i32| {
            advertised.iter().any(|b| b.0 == id) || self.suspects.iter().any(|b| b.0 == id)
        };
        let checked =
            futures::future::join_all(brokers.iter().map(|(id, h, p)| {
                self.broker(*id, h.clone(), *p, listed(*id), from_metadata(*id))
            }))
            .await;
        targets.extend(checked);
        summarise(
            targets,
            warnings,
            &self.security(),
            checked_at,
            started.elapsed(),
        )
    }

    /// One address's steps within three request timeouts (each step has its own), so one
    /// slow address cannot take the whole check with it.
    async fn bounded<T>(
        &self,
        host: &str,
        port: u16,
        steps: impl std::future::Future<Output = Result<T, ConnError>>,
    ) -> Result<T, ConnError> {
        let limit = self.dialer.timeout * 3;
        tokio::time::timeout(limit, steps)
            .await
            .unwrap_or_else(|_| {
                Err(ConnError::new(
                    Step::Connect,
                    Cause::TimedOut,
                    format!(
                        "{host}:{port}: the check did not finish within {} s",
                        limit.as_secs()
                    ),
                ))
            })
    }

    fn security(&self) -> String {
        self.dialer.describe().to_string()
    }

    async fn open(&self, host: &str, port: u16) -> Result<Session, ConnError> {
        if self.now {
            Session::open_now(self.dialer, host, port).await
        } else {
            Session::open(self.dialer, host, port).await
        }
    }

    /// A bootstrap server: connect, then ask Metadata (brokers only) and DescribeCluster (the
    /// ACL the console's cluster-wide reads need). Returns the advertised brokers.
    async fn bootstrap_server(
        &self,
        host: String,
        port: u16,
    ) -> (Checked, Option<(Vec<(i32, String, u16)>, Vec<String>)>) {
        let t = Instant::now();
        let mut found = None;
        let result = self
            .bounded(&host, port, async {
                let mut s = self.open(&host, port).await?;
                let brokers = metadata(&mut s, &host, port).await?;
                let warnings = authorised(&mut s).await;
                found = Some((brokers, warnings));
                Ok(())
            })
            .await;
        let c = Checked {
            address: format!("{host}:{port}"),
            role: "bootstrap",
            broker_id: None,
            result,
            took: t.elapsed(),
        };
        (c, found)
    }

    /// A broker by the address it advertises (`advertised`), or had before the cluster
    /// stopped listing it (`listed` false: only said when some bootstrap server answered).
    async fn broker(
        &self,
        id: i32,
        host: String,
        port: u16,
        listed: bool,
        advertised: bool,
    ) -> Checked {
        let t = Instant::now();
        let result = match self.bounded(&host, port, self.open(&host, port)).await {
            Ok(_) if !listed => Err(ConnError::new(
                Step::Metadata,
                Cause::Protocol,
                format!("broker {id} ({host}:{port}) accepts connections but the cluster does not list it: it is starting, fenced, or shutting down"),
            )),
            Ok(_) => Ok(()),
            Err(e) if advertised => Err(diagnosis::as_advertised(e, id, &host, port)),
            Err(e) => Err(e),
        };
        Checked {
            address: format!("{host}:{port}"),
            role: "broker",
            broker_id: Some(id),
            result,
            took: t.elapsed(),
        }
    }
}

/// Metadata without topics: the brokers and their advertised addresses. A listener that
/// wants SASL from a client that did not authenticate closes the connection here.
async fn metadata(
    s: &mut Session,
    host: &str,
    port: u16,
) -> Result<Vec<(i32, String, u16)>, ConnError> {
    let failed = |cause, m: String| ConnError::new(Step::Metadata, cause, m);
    let v = s
        .version(ApiKey::Metadata, (1, 12))
        .map_err(|e| failed(Cause::Protocol, format!("{host}:{port}: {e}")))?;
    let req = MetadataRequest::default().with_topics(Some(Vec::new()));
    let resp: MetadataResponse = s
        .call(ApiKey::Metadata, v, &req)
        .await
        .map_err(|e| match () {
            _ if is_timeout(&e) => failed(Cause::TimedOut, format!("{host}:{port}: {e}")),
            _ if !s.uses_sasl() && super::wire::closed(&e) => failed(
                Cause::SaslRequired,
                format!("{host}:{port}: the broker closed the connection at the first request after ApiVersions: the listener expects SASL authentication (security.protocol says {}; set SASL_PLAINTEXT or SASL_SSL with sasl.mechanism, sasl.username and sasl.password)", s.security()),
            ),
            _ => failed(Cause::Closed, format!("{host}:{port}: Metadata: {e}")),
        })?;
    Ok(resp
        .brokers
        .iter()
        .map(|b| {
            (
                b.node_id.0,
                b.host.to_string(),
                u16::try_from(b.port).unwrap_or(0),
            )
        })
        .collect())
}

/// DescribeCluster where the broker offers it: CLUSTER_AUTHORIZATION_FAILED means log dirs,
/// the quorum and broker configs cannot be read (the rest can).
async fn authorised(s: &mut Session) -> Vec<String> {
    let Ok(v) = s.version(ApiKey::DescribeCluster, (0, 1)) else {
        return Vec::new();
    };
    let req = DescribeClusterRequest::default();
    match s
        .call::<_, DescribeClusterResponse>(ApiKey::DescribeCluster, v, &req)
        .await
    {
        Ok(r) => diagnosis::not_authorized("DescribeCluster", r.error_code)
            .map(|e| {
                vec![format!(
                    "{} (log dirs, the metadata quorum and broker configs cannot be read)",
                    e.message
                )]
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The verdict: the cause that keeps the cluster (or a broker) from being read, taken from
/// the address that got furthest, since a bootstrap list mixing a stale name with live ones
/// fails for the stale one first.
fn summarise(
    targets: Vec<Checked>,
    warnings: Vec<String>,
    security: &str,
    checked_at: String,
    took: Duration,
) -> Diagnosis {
    let boot_ok = targets
        .iter()
        .any(|t| t.role == "bootstrap" && t.result.is_ok());
    // With a bootstrap server answering, the brokers decide; a stale bootstrap entry is a
    // warning, not the verdict.
    let worst = targets
        .iter()
        .filter(|t| !boot_ok || t.role == "broker")
        .filter_map(|t| t.result.as_ref().err().map(|e| (t, e)))
        .max_by_key(|(_, e)| (e.step, e.cause.is_settings()));
    let mut warnings = warnings;
    if boot_ok {
        for t in targets.iter().filter(|t| t.role == "bootstrap") {
            if let Err(e) = &t.result {
                warnings.push(format!(
                    "bootstrap server {} cannot be used: {}",
                    t.address, e.message
                ));
            }
        }
    }
    let count = |role: &str| {
        targets
            .iter()
            .filter(|t| t.role == role && t.result.is_ok())
            .count()
    };
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let verdict = match worst {
        None => format!(
            "every step passed: {} bootstrap server{} and {} broker{} reached over {security}",
            count("bootstrap"),
            plural(count("bootstrap")),
            count("broker"),
            plural(count("broker")),
        ),
        Some((t, e)) => {
            let mut v = named(t, e);
            let boots: Vec<&Checked> = targets.iter().filter(|t| t.role == "bootstrap").collect();
            if !boot_ok
                && boots.len() > 1
                && boots
                    .iter()
                    .all(|b| b.result.as_ref().err().is_some_and(|x| x.cause == e.cause))
            {
                v.push_str(&format!(" (all {} bootstrap servers)", boots.len()));
            }
            if boot_ok {
                v = format!("the cluster answers, but {v}");
            }
            v
        }
    };
    Diagnosis {
        ok: worst.is_none(),
        verdict,
        step: worst.map(|(_, e)| e.step.as_str().to_string()),
        cause: worst.map(|(_, e)| e.cause.as_str().to_string()),
        setting: worst.and_then(|(t, e)| setting_for(t, e)),
        warnings,
        security: security.to_string(),
        checked_at,
        took_ms: took.as_millis() as u64,
        targets: targets
            .iter()
            .map(|t| {
                let e = t.result.as_ref().err();
                DiagnosisTarget {
                    address: t.address.clone(),
                    role: t.role.to_string(),
                    broker_id: t.broker_id,
                    ok: e.is_none(),
                    step: e.map(|e| e.step.as_str().to_string()),
                    cause: e.map(|e| e.cause.as_str().to_string()),
                    message: e.map(|e| e.message.clone()),
                    setting: e.and_then(|e| setting_for(t, e)),
                    took_ms: t.took.as_millis() as u64,
                }
            })
            .collect(),
    }
}

/// The check of one configured cluster, run now (the "test connection" action and
/// `kafscope check`): over the protocol where Kafscope speaks the cluster's security, else
/// through a librdkafka Metadata request and its log.
pub async fn check_now(
    cfg: &crate::config::ClusterConfig,
    counts: super::wire::RequestCounts,
) -> Diagnosis {
    let checked_at = crate::http::state::rfc3339(crate::collect::now_ms());
    let dialer = super::security::from_properties(&cfg.client)
        .and_then(|sec| Dialer::new(&sec, cfg.request_timeout, counts));
    let bootstrap = match crate::config::host_ports(&cfg.bootstrap_servers) {
        Ok(b) if !b.is_empty() => b,
        Ok(_) | Err(_) => {
            return failed_setup(
                Cause::Config,
                format!(
                    "bootstrap_servers '{}' names no host:port",
                    cfg.bootstrap_servers
                ),
                checked_at,
            )
        }
    };
    match dialer {
        Ok(dialer) => Probe::now(&dialer, bootstrap).run(checked_at).await,
        Err(why) => librdkafka_check(cfg, why, checked_at).await,
    }
}

/// A cluster whose security only librdkafka speaks: one Metadata request, and its log.
async fn librdkafka_check(
    cfg: &crate::config::ClusterConfig,
    why: String,
    checked_at: String,
) -> Diagnosis {
    let started = Instant::now();
    let client = match super::ClusterClient::connect(cfg) {
        Ok(c) => c,
        Err(e) => {
            return failed_setup(
                Cause::Config,
                format!("the client settings are refused: {e}"),
                checked_at,
            )
        }
    };
    let result = client.metadata().await;
    client.serve_callbacks();
    let mut d = match result {
        Ok(md) => Diagnosis {
            ok: true,
            ..Diagnosis::failed(
                format!(
                    "librdkafka read the metadata: {} broker{}",
                    md.brokers.len(),
                    if md.brokers.len() == 1 { "" } else { "s" }
                ),
                None,
                None,
                "librdkafka".into(),
                checked_at,
            )
        },
        Err(_) => client.librdkafka_diagnosis(checked_at),
    };
    // Destroying a librdkafka client joins its threads: not on the runtime's workers (when
    // the check is cancelled first, the client drops where the future does).
    tokio::task::spawn_blocking(move || drop(client));
    d.warnings.push(format!(
        "checked through librdkafka, step by step checks need the protocol path: {why}"
    ));
    d.took_ms = started.elapsed().as_millis() as u64;
    d
}

fn failed_setup(cause: Cause, verdict: String, checked_at: String) -> Diagnosis {
    Diagnosis::failed(
        verdict,
        Some(cause.as_str()),
        cause.setting(),
        String::new(),
        checked_at,
    )
}

/// The check as text, for the terminal.
pub fn render_text(cluster: &str, d: &Diagnosis) -> String {
    let mut out = format!(
        "cluster {cluster} ({}): {}\n",
        if d.security.is_empty() {
            "?"
        } else {
            &d.security
        },
        if d.ok { "OK" } else { "FAILED" }
    );
    for t in &d.targets {
        let who = match t.broker_id {
            Some(id) => format!("broker {id}"),
            None => t.role.clone(),
        };
        match (&t.step, &t.message) {
            (Some(step), Some(m)) => out.push_str(&format!(
                "  ✗ {who:<10} {:<22} failed at {step}: {m}\n",
                t.address
            )),
            _ => out.push_str(&format!(
                "  ✓ {who:<10} {:<22} {} ms\n",
                t.address, t.took_ms
            )),
        }
    }
    out.push_str(&format!("  verdict: {}\n", d.verdict));
    if let Some(s) = &d.setting {
        out.push_str(&format!("  check:   {s}\n"));
    }
    for w in &d.warnings {
        out.push_str(&format!("  note:    {w}\n"));
    }
    out
}

/// A failure named by its broker where the sentence does not say it already.
fn named(t: &Checked, e: &ConnError) -> String {
    match t.broker_id {
        Some(id) if !e.message.starts_with("broker ") => {
            format!("broker {id} ({}): {}", t.address, e.message)
        }
        _ => e.message.clone(),
    }
}

/// The setting to check; a broker that is down or cut off has none (a bootstrap server that
/// refuses may be a wrong port in bootstrap.servers).
fn setting_for(t: &Checked, e: &ConnError) -> Option<String> {
    let down = matches!(e.cause, Cause::Refused | Cause::TimedOut | Cause::NoRoute);
    if t.role == "broker" && down {
        return None;
    }
    e.cause.setting().map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(role: &'static str, id: Option<i32>, r: Result<(), ConnError>) -> Checked {
        Checked {
            address: "h:1".into(),
            role,
            broker_id: id,
            result: r,
            took: Duration::from_millis(3),
        }
    }

    #[test]
    fn the_address_that_got_furthest_gives_the_verdict() {
        let dns = ConnError::new(Step::Resolve, Cause::DnsNotFound, "stale name");
        let auth = ConnError::new(Step::Sasl, Cause::AuthFailed, "wrong password");
        let d = summarise(
            vec![
                checked("bootstrap", None, Err(dns)),
                checked("bootstrap", None, Err(auth)),
            ],
            vec![],
            "sasl_ssl (SCRAM-SHA-512)",
            "t".into(),
            Duration::ZERO,
        );
        assert!(!d.ok);
        assert_eq!(d.verdict, "wrong password");
        assert_eq!(d.cause.as_deref(), Some("authentication_failed"));
        assert_eq!(d.setting.as_deref(), Some("sasl.username, sasl.password"));
        assert_eq!(d.targets.len(), 2);
    }

    #[test]
    fn a_broken_broker_behind_working_bootstrap_servers_is_named() {
        let adv = diagnosis::as_advertised(
            diagnosis::resolve_error("kafka-2", &std::io::Error::other("not known")),
            2,
            "kafka-2",
            9092,
        );
        let d = summarise(
            vec![
                checked("bootstrap", None, Ok(())),
                checked("broker", Some(1), Ok(())),
                checked("broker", Some(2), Err(adv)),
            ],
            vec![],
            "plaintext",
            "t".into(),
            Duration::ZERO,
        );
        assert!(!d.ok);
        assert!(
            d.verdict
                .starts_with("the cluster answers, but broker 2 advertises kafka-2:9092"),
            "{}",
            d.verdict
        );
        assert_eq!(d.cause.as_deref(), Some("advertised_host_unresolvable"));
        let all = summarise(
            vec![
                checked("bootstrap", None, Ok(())),
                checked("broker", Some(1), Ok(())),
            ],
            vec!["not authorised for DescribeCluster".into()],
            "plaintext",
            "t".into(),
            Duration::ZERO,
        );
        assert!(all.ok);
        assert_eq!(
            all.verdict,
            "every step passed: 1 bootstrap server and 1 broker reached over plaintext"
        );
        assert_eq!(all.warnings.len(), 1);
        // A stale bootstrap entry beside a live one: readable, and said as a warning.
        let stale = ConnError::new(
            Step::Resolve,
            Cause::DnsNotFound,
            "old-name does not resolve",
        );
        let d = summarise(
            vec![
                checked("bootstrap", None, Err(stale)),
                checked("bootstrap", None, Ok(())),
                checked("broker", Some(1), Ok(())),
            ],
            vec![],
            "plaintext",
            "t".into(),
            Duration::ZERO,
        );
        assert!(d.ok, "{}", d.verdict);
        assert_eq!(
            d.warnings,
            vec!["bootstrap server h:1 cannot be used: old-name does not resolve"]
        );
    }
}
