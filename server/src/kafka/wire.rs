//! The Kafka wire protocol for what librdkafka's admin API does not do, or does one request
//! per group (DescribeLogDirs; batched group reads; ListGroups with group types): frames
//! encoded with `kafka-protocol`, several requests in flight on one connection, over plain
//! TCP or TLS (rustls), authenticated with SASL (PLAIN, SCRAM, OAUTHBEARER) and
//! re-authenticated before the broker's session ends (KIP-368).
//! Bounded in time (every read and write) and in bytes (the largest frame accepted).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::diagnosis::{self, Cause, ConnError, Step};
use super::oauth::TokenSource;
use super::sasl::{self, Mechanism, Scram};
use super::security::{SaslSettings, WireSecurity};

/// Requests written before their answers are read, per connection.
const PIPELINE: usize = 32;

/// Largest answer read from a broker.
pub const MAX_FRAME: usize = 256 << 20;

pub use super::requests::RequestCounts;

/// A byte stream to a broker: plain TCP or TLS over it.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

/// How to reach a cluster's brokers: timeouts, TLS and SASL, shared by every connection of
/// one cluster. Cheap to clone.
#[derive(Clone)]
pub struct Dialer {
    pub timeout: Duration,
    pub counts: RequestCounts,
    tls: Option<Arc<rustls::ClientConfig>>,
    sasl: Option<Arc<SaslSettings>>,
    oauth: Option<Arc<TokenSource>>,
    security: String,
    /// Per broker address: failed attempts in a row, and the earliest next attempt.
    backoff: Arc<Mutex<HashMap<(String, u16), Backoff>>>,
}

impl Dialer {
    /// A dialer for these settings; fails when a TLS file cannot be read or used.
    pub fn new(
        security: &WireSecurity,
        timeout: Duration,
        counts: RequestCounts,
    ) -> Result<Dialer, String> {
        let tls = match &security.tls {
            Some(t) => Some(super::tls::client_config(t)?),
            None => None,
        };
        let oauth = security
            .sasl
            .as_ref()
            .and_then(|s| s.oauth.clone())
            .map(|o| Arc::new(TokenSource::new(o, timeout)));
        Ok(Dialer {
            timeout,
            counts,
            tls,
            sasl: security.sasl.clone().map(Arc::new),
            oauth,
            security: security.describe(),
            backoff: Default::default(),
        })
    }

    /// `plaintext`, `ssl`, `sasl_ssl (SCRAM-SHA-512)`, …
    pub fn describe(&self) -> &str {
        &self.security
    }

    /// A connection (name lookup, TCP, then TLS when configured), not yet authenticated.
    pub async fn connect(&self, host: &str, port: u16) -> Result<Connection, ConnError> {
        let addrs: Vec<std::net::SocketAddr> =
            tokio::time::timeout(self.timeout, tokio::net::lookup_host((host, port)))
                .await
                .map_err(|_| {
                    ConnError::new(
                        Step::Resolve,
                        Cause::TimedOut,
                        format!("looking up '{host}' timed out: check the console's DNS"),
                    )
                })?
                .map_err(|e| diagnosis::resolve_error(host, &e))?
                .collect();
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect(&addrs[..]))
            .await
            .map_err(|_| {
                ConnError::new(
                    Step::Connect,
                    Cause::TimedOut,
                    format!("connecting to {host}:{port} timed out (a firewall dropping packets, or the host is down)"),
                )
            })?
            .map_err(|e| diagnosis::connect_error(host, port, &e))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Io> = match &self.tls {
            None => Box::new(tcp),
            Some(config) => {
                let name =
                    rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|_| {
                        ConnError::new(
                            Step::Tls,
                            Cause::Config,
                            format!("'{host}' is not a host name TLS can verify"),
                        )
                    })?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let tls = tokio::time::timeout(self.timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| {
                        ConnError::new(
                            Step::Tls,
                            Cause::TimedOut,
                            format!(
                                "the TLS handshake with {host}:{port} timed out (is this a TLS port?)"
                            ),
                        )
                    })?
                    .map_err(|e| {
                        let (cause, why) = super::tls::explain(&e);
                        ConnError::new(Step::Tls, cause, format!("{host}:{port}: {why}"))
                    })?;
                Box::new(tls)
            }
        };
        Ok(Connection {
            stream,
            timeout: self.timeout,
            next_id: 1,
            counts: self.counts.clone(),
        })
    }

    /// The remembered failure of `host:port` while its back-off lasts.
    fn backing_off(&self, host: &str, port: u16) -> Option<ConnError> {
        let map = self.backoff.lock().ok()?;
        let b = map.get(&(host.to_string(), port))?;
        (Instant::now() < b.until).then(|| b.last.clone())
    }

    /// Remember a failed attempt: the next waits twice as long as the last, up to
    /// [`BACKOFF_MAX`], with jitter so brokers are not tried in step.
    fn failed(&self, host: &str, port: u16, e: &ConnError) {
        if let Ok(mut map) = self.backoff.lock() {
            if map.len() > 4096 {
                map.clear();
            }
            let b = map.entry((host.to_string(), port)).or_insert(Backoff {
                failures: 0,
                until: Instant::now(),
                last: e.clone(),
            });
            b.failures = b.failures.saturating_add(1);
            b.last = e.clone();
            b.until = Instant::now() + backoff_delay(b.failures, jitter());
        }
    }

    /// Try `host:port` at the next chance: it answered, or the cluster's metadata says it
    /// is back.
    pub fn forgive(&self, host: &str, port: u16) {
        if let Ok(mut map) = self.backoff.lock() {
            map.remove(&(host.to_string(), port));
        }
    }
}

/// First back-off after a failed connection attempt; it doubles per failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// Longest back-off between attempts to one broker (librdkafka's reconnect.backoff.max.ms
/// default).
pub const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// The wait after `failures` failed attempts in a row: 1 s, 2 s, 4 s … up to 10 s, each
/// −20 %…+20 % (`jitter` in 0..1).
pub fn backoff_delay(failures: u32, jitter: f64) -> Duration {
    let exp = BACKOFF_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    exp.min(BACKOFF_MAX)
        .mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
}

/// A number in 0..1 that differs between calls (the clock's nanoseconds).
fn jitter() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| f64::from(d.subsec_nanos()) / 1e9)
        .unwrap_or(0.5)
}

/// Failed attempts to one address and when the next may start.
struct Backoff {
    failures: u32,
    until: Instant,
    last: ConnError,
}

/// One connection to one broker, with a deadline per exchange.
pub struct Connection {
    stream: Box<dyn Io>,
    timeout: Duration,
    next_id: i32,
    counts: RequestCounts,
}

impl Connection {
    /// Send one request and decode its response.
    pub async fn call<Req: Encodable, Resp: Decodable>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
    ) -> Result<Resp, String> {
        let mut answers = self
            .call_many(key, version, std::slice::from_ref(request))
            .await?;
        answers.pop().ok_or_else(|| format!("{key:?}: no answer"))
    }

    /// Send requests and decode their responses, which a broker sends in request order on
    /// one connection: [`PIPELINE`] at a time in flight.
    pub async fn call_many<Req: Encodable, Resp: Decodable>(
        &mut self,
        key: ApiKey,
        version: i16,
        requests: &[Req],
    ) -> Result<Vec<Resp>, String> {
        let mut out = Vec::with_capacity(requests.len());
        for batch in requests.chunks(PIPELINE) {
            out.extend(self.pipelined(key, version, batch).await?);
        }
        Ok(out)
    }

    /// One batch written at once, its answers read while writing, so answers larger than the
    /// socket buffers cannot stall the exchange; one deadline for the batch.
    async fn pipelined<Req: Encodable, Resp: Decodable>(
        &mut self,
        key: ApiKey,
        version: i16,
        requests: &[Req],
    ) -> Result<Vec<Resp>, String> {
        let first = self.next_id;
        let mut frames = BytesMut::new();
        for request in requests {
            let header = RequestHeader::default()
                .with_request_api_key(key as i16)
                .with_request_api_version(version)
                .with_correlation_id(self.next_id)
                .with_client_id(Some(StrBytes::from_static_str("kafscope")));
            self.next_id = self.next_id.wrapping_add(1);
            let mut body = BytesMut::new();
            encode_request_header_into_buffer(&mut body, &header).map_err(|e| e.to_string())?;
            request
                .encode(&mut body, version)
                .map_err(|e| format!("cannot encode {key:?} v{version}: {e}"))?;
            frames.extend_from_slice(&with_length(body));
        }
        let n = requests.len();
        self.counts.add(key as i16, n as u64);
        let (mut rd, mut wr) = tokio::io::split(&mut self.stream);
        let exchange = async {
            let write = wr.write_all(&frames);
            let read = async {
                let mut out = Vec::with_capacity(n);
                for _ in 0..n {
                    out.push(read_frame(&mut rd).await?);
                }
                Ok::<_, std::io::Error>(out)
            };
            let (w, r) = tokio::join!(write, read);
            w?;
            r
        };
        let answers = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| format!("{key:?} timed out after {:?}", self.timeout))?
            .map_err(|e| format!("{key:?}: {e}"))?;
        let mut out = Vec::with_capacity(n);
        for (i, answer) in answers.into_iter().enumerate() {
            out.push(decode_answer(
                key,
                version,
                first.wrapping_add(i as i32),
                answer,
            )?);
        }
        Ok(out)
    }
}

/// One answer frame of `key` at `version`: its header, which must carry `expected` as its
/// correlation id, then its body. Pure (the fuzz target `kafka_answer` drives it).
pub fn decode_answer<Resp: Decodable>(
    key: ApiKey,
    version: i16,
    expected: i32,
    mut answer: Bytes,
) -> Result<Resp, String> {
    let header = ResponseHeader::decode(&mut answer, key.response_header_version(version))
        .map_err(|e| format!("{key:?}: bad response header: {e}"))?;
    if header.correlation_id != expected {
        return Err(format!(
            "{key:?}: answer to another request ({} instead of {expected})",
            header.correlation_id
        ));
    }
    Resp::decode(&mut answer, version)
        .map_err(|e| format!("{key:?}: cannot decode v{version}: {e}"))
}

/// Prefix a message with its 4-byte big-endian length.
pub fn with_length(body: BytesMut) -> Bytes {
    let mut out = BytesMut::with_capacity(4 + body.len());
    out.put_i32(body.len() as i32);
    out.extend_from_slice(&body);
    out.freeze()
}

/// Read one length-prefixed frame (at most [`MAX_FRAME`] bytes).
pub async fn read_frame<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<Bytes> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let n = (&len[..]).get_i32();
    if n < 0 || n as usize > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {n} bytes refused (at most {MAX_FRAME})"),
        ));
    }
    let mut buf = vec![0u8; n as usize];
    r.read_exact(&mut buf).await?;
    Ok(Bytes::from(buf))
}

/// A connection to one broker with the version ranges it offered (ApiVersions, asked once
/// when it opens), authenticated when the cluster uses SASL.
pub struct Session {
    conn: Connection,
    versions: HashMap<i16, (i16, i16)>,
    /// SASL: when to authenticate again (the broker closes the connection at the end of
    /// the session lifetime it announced).
    reauth_at: Option<Instant>,
    /// When the latest SaslAuthenticate round was sent.
    last_round_at: Instant,
    dialer: Dialer,
}

/// Re-authenticate when this share of the session lifetime has passed (as Kafka's Java
/// client, which picks 85–95 %).
const REAUTH_AT: f64 = 0.85;

impl Session {
    /// A session to `host:port`, or the failure of its last attempt while that address backs
    /// off (see [`Dialer`]): a failing broker is tried at most once per back-off, whoever asks.
    pub async fn open(dialer: &Dialer, host: &str, port: u16) -> Result<Session, ConnError> {
        if let Some(e) = dialer.backing_off(host, port) {
            return Err(e);
        }
        Session::open_now(dialer, host, port).await
    }

    /// [`Session::open`] without waiting for a back-off (a test asked for by a user); the
    /// outcome still counts for the back-off.
    pub async fn open_now(dialer: &Dialer, host: &str, port: u16) -> Result<Session, ConnError> {
        match Session::establish(dialer, host, port).await {
            Ok(s) => {
                dialer.forgive(host, port);
                Ok(s)
            }
            Err(e) => {
                dialer.failed(host, port, &e);
                Err(e)
            }
        }
    }

    async fn establish(dialer: &Dialer, host: &str, port: u16) -> Result<Session, ConnError> {
        let mut conn = dialer.connect(host, port).await?;
        let answer: ApiVersionsResponse = conn
            .call(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default())
            .await
            .map_err(|e| match &dialer.tls {
                None if e.contains("early eof") || e.contains("frame of") => ConnError::new(
                    Step::ApiVersions,
                    Cause::ExpectsTls,
                    format!(
                        "{host}:{port} did not answer ApiVersions in Kafka's framing ({e}): the listener may expect TLS, but security.protocol says {} (set SSL or SASL_SSL, or use the plaintext port)",
                        dialer.security
                    ),
                ),
                _ if is_timeout(&e) => ConnError::new(
                    Step::ApiVersions,
                    Cause::TimedOut,
                    format!("{host}:{port}: {e}"),
                ),
                _ if closed(&e) => ConnError::new(
                    Step::ApiVersions,
                    Cause::Closed,
                    format!("{host}:{port}: the broker closed the connection at ApiVersions ({e})"),
                ),
                _ => ConnError::new(Step::ApiVersions, Cause::Protocol, format!("{host}:{port}: {e}")),
            })?;
        if answer.error_code != 0 {
            return Err(ConnError::new(
                Step::ApiVersions,
                Cause::Protocol,
                format!(
                    "{host}:{port}: ApiVersions: {}",
                    error_text(answer.error_code)
                ),
            ));
        }
        let versions = answer
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        let mut session = Session {
            conn,
            versions,
            reauth_at: None,
            last_round_at: Instant::now(),
            dialer: dialer.clone(),
        };
        session.authenticate().await?;
        Ok(session)
    }

    /// The security the session was opened with (`sasl_ssl (SCRAM-SHA-512)`, …).
    pub fn security(&self) -> &str {
        &self.dialer.security
    }

    /// Whether this session authenticated with SASL.
    pub fn uses_sasl(&self) -> bool {
        self.dialer.sasl.is_some()
    }

    /// SASL (when configured): SaslHandshake v1, then SaslAuthenticate rounds.
    async fn authenticate(&mut self) -> Result<(), ConnError> {
        let Some(cfg) = self.dialer.sasl.clone() else {
            return Ok(());
        };
        let mechanism = cfg.mechanism;
        let hv = self.version(ApiKey::SaslHandshake, (1, 1)).map_err(|e| {
            sasl_error(format!(
                "SASL: {e} (the broker needs SaslHandshake v1, Kafka 1.0 or later)"
            ))
        })?;
        let hs: SaslHandshakeResponse = self
            .conn
            .call(
                ApiKey::SaslHandshake,
                hv,
                &SaslHandshakeRequest::default()
                    .with_mechanism(StrBytes::from_static_str(mechanism.name())),
            )
            .await
            .map_err(sasl_error)?;
        if hs.error_code == 33 {
            let offered: Vec<String> = hs.mechanisms.iter().map(|m| m.to_string()).collect();
            return Err(ConnError::new(
                Step::Sasl,
                Cause::SaslMechanism,
                format!(
                    "SASL mechanism {} is not enabled on this listener (it offers {}): check sasl.mechanism",
                    mechanism.name(),
                    if offered.is_empty() { "none".to_string() } else { offered.join(", ") }
                ),
            ));
        }
        if hs.error_code != 0 {
            return Err(sasl_error(format!(
                "SaslHandshake: {}",
                error_text(hs.error_code)
            )));
        }
        let av = self
            .version(ApiKey::SaslAuthenticate, (0, 2))
            .map_err(sasl_error)?;
        let lifetime_ms = match mechanism {
            Mechanism::Plain => {
                self.sasl_round(
                    av,
                    sasl::plain_message(&cfg.username, &cfg.password),
                    mechanism,
                )
                .await?
                .1
            }
            Mechanism::OAuthBearer => {
                let source =
                    self.dialer.oauth.clone().ok_or_else(|| {
                        sasl_error("OAUTHBEARER: no token source configured".into())
                    })?;
                let token = source.token().await.map_err(|e| {
                    ConnError::new(
                        Step::Sasl,
                        Cause::AuthFailed,
                        format!("no OAUTHBEARER token: {e} (check sasl.oauthbearer.client.id, sasl.oauthbearer.client.secret and sasl.oauthbearer.token.endpoint.url)"),
                    )
                })?;
                let (reply, lifetime) = self
                    .sasl_round(
                        av,
                        sasl::oauthbearer_message(&token, &cfg.extensions),
                        mechanism,
                    )
                    .await?;
                if !reply.is_empty() {
                    // RFC 7628: a refused token comes back as a JSON error with no error code;
                    // the client answers 0x01 and the broker then fails the exchange with it.
                    let why = String::from_utf8_lossy(&reply).to_string();
                    let e = self.sasl_round(av, vec![1], mechanism).await.err();
                    return Err(e.unwrap_or_else(|| {
                        ConnError::new(
                            Step::Sasl,
                            Cause::AuthFailed,
                            format!("authentication failed with SASL OAUTHBEARER: {why}"),
                        )
                    }));
                }
                lifetime
            }
            Mechanism::ScramSha256 | Mechanism::ScramSha512 => {
                let mut scram = Scram::new(
                    mechanism,
                    &cfg.username,
                    &cfg.password,
                    &Scram::random_nonce(),
                )
                .ok_or_else(|| sasl_error("SCRAM: unknown mechanism".into()))?;
                let (challenge, _) = self.sasl_round(av, scram.first(), mechanism).await?;
                let fin = scram
                    .respond(&challenge)
                    .map_err(|e| sasl_error(format!("SASL {}: {e}", mechanism.name())))?;
                let (server_final, lifetime) = self.sasl_round(av, fin, mechanism).await?;
                // The server's final message carries its refusal ("e=invalid-proof") when the
                // broker answers a wrong password that way rather than with error 58.
                scram.verify(&server_final).map_err(|e| {
                    ConnError::new(
                        Step::Sasl,
                        Cause::AuthFailed,
                        format!(
                            "authentication failed with SASL {} for sasl.username '{}': {e}",
                            mechanism.name(),
                            cfg.username
                        ),
                    )
                })?;
                lifetime
            }
        };
        // The broker's session starts when it handles the last round, before its answer
        // arrives here (later still when this task waited for a busy runtime): counted from
        // when that round was sent.
        self.reauth_at = (lifetime_ms > 0).then(|| {
            self.last_round_at + Duration::from_millis(lifetime_ms as u64).mul_f64(REAUTH_AT)
        });
        Ok(())
    }

    /// One SaslAuthenticate exchange: the server's bytes and the session lifetime (v1+).
    async fn sasl_round(
        &mut self,
        version: i16,
        bytes: Vec<u8>,
        mechanism: Mechanism,
    ) -> Result<(Vec<u8>, i64), ConnError> {
        self.last_round_at = Instant::now();
        let r: SaslAuthenticateResponse = self
            .conn
            .call(
                ApiKey::SaslAuthenticate,
                version,
                &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(bytes)),
            )
            .await
            .map_err(sasl_error)?;
        if r.error_code != 0 {
            let detail = r
                .error_message
                .map(|m| m.to_string())
                .unwrap_or_else(|| error_text(r.error_code));
            return Err(if r.error_code == 58 {
                ConnError::new(
                    Step::Sasl,
                    Cause::AuthFailed,
                    format!(
                        "authentication failed with SASL {} for sasl.username '{}': {detail}",
                        mechanism.name(),
                        self.dialer
                            .sasl
                            .as_ref()
                            .map(|s| s.username.as_str())
                            .unwrap_or("")
                    ),
                )
            } else {
                sasl_error(format!("SaslAuthenticate: {detail}"))
            });
        }
        Ok((r.auth_bytes.to_vec(), r.session_lifetime_ms))
    }

    /// Authenticate again when the session is near its end (KIP-368).
    async fn fresh(&mut self) -> Result<(), String> {
        if self.reauth_at.is_some_and(|at| Instant::now() >= at) {
            self.authenticate()
                .await
                .map_err(|e| format!("re-authentication failed: {}", e.message))?;
        }
        Ok(())
    }

    /// Send one request and decode its response.
    pub async fn call<Req: Encodable, Resp: Decodable>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
    ) -> Result<Resp, String> {
        self.fresh().await?;
        self.conn.call(key, version, request).await
    }

    /// Send requests and decode their responses, pipelined (see [`Connection::call_many`]).
    pub async fn call_many<Req: Encodable, Resp: Decodable>(
        &mut self,
        key: ApiKey,
        version: i16,
        requests: &[Req],
    ) -> Result<Vec<Resp>, String> {
        self.fresh().await?;
        self.conn.call_many(key, version, requests).await
    }

    /// The highest version both sides speak.
    pub fn version(&self, key: ApiKey, ours: (i16, i16)) -> Result<i16, String> {
        let (min, max) = self
            .versions
            .get(&(key as i16))
            .copied()
            .ok_or_else(|| format!("the broker does not support {key:?}"))?;
        let v = max.min(ours.1);
        if v < min.max(ours.0) {
            return Err(format!(
                "the broker offers {key:?} v{min}–v{max}, Kafscope speaks v{}–v{}",
                ours.0, ours.1
            ));
        }
        Ok(v)
    }
}

/// A SASL exchange that failed for a reason without its own class: a timeout, a closed
/// connection, or an answer the console cannot use.
fn sasl_error(e: String) -> ConnError {
    let cause = if is_timeout(&e) {
        Cause::TimedOut
    } else if closed(&e) {
        Cause::Closed
    } else {
        Cause::Protocol
    };
    ConnError::new(Step::Sasl, cause, e)
}

/// Whether an exchange error is the peer closing the connection (as the messages above say).
pub fn closed(error: &str) -> bool {
    error.contains("early eof") || error.contains("reset")
}

/// Whether a connection or exchange error is a timeout (the peer hung), as the messages above
/// say it — as opposed to a refusal or a closed connection.
pub fn is_timeout(error: &str) -> bool {
    error.contains(" timed out")
}

/// The first success of `asks`, all run at once; every error when none succeeds.
pub async fn first_ok<T, E, F>(asks: Vec<F>) -> Result<T, Vec<E>>
where
    F: std::future::Future<Output = Result<T, E>> + Unpin,
{
    let mut pending = asks;
    let mut errors = Vec::new();
    while !pending.is_empty() {
        let (r, _, rest) = futures::future::select_all(pending).await;
        pending = rest;
        match r {
            Ok(t) => return Ok(t),
            Err(e) => errors.push(e),
        }
    }
    Err(errors)
}

/// A Kafka error code as its name and number.
pub fn error_text(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => format!("{e} (error {code})"),
        None => "no error".to_string(),
    }
}
