//! The Kafka wire protocol for what librdkafka's admin API does not do, or does one request
//! per group (DescribeLogDirs; batched group reads): frames over a plain TCP connection,
//! encoded with `kafka-protocol`, several requests in flight on one connection.
//! Bounded in time (every read and write) and in bytes (the largest frame accepted).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests written before their answers are read, per connection.
const PIPELINE: usize = 32;

/// Largest answer read from a broker.
pub const MAX_FRAME: usize = 256 << 20;

/// Requests sent over this module's connections, by API name; `/metrics` adds them to
/// librdkafka's counts. Cloned handles share one count.
#[derive(Debug, Clone, Default)]
pub struct RequestCounts(Arc<Mutex<BTreeMap<String, u64>>>);

impl RequestCounts {
    fn add(&self, key: ApiKey, n: usize) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(format!("{key:?}")).or_default() += n as u64;
        }
    }

    pub fn get(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// One connection to one broker, with a deadline per exchange.
pub struct Connection {
    stream: TcpStream,
    timeout: Duration,
    next_id: i32,
    counts: RequestCounts,
}

impl Connection {
    pub async fn open(
        host: &str,
        port: u16,
        timeout: Duration,
        counts: &RequestCounts,
    ) -> Result<Connection, String> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
            .await
            .map_err(|_| format!("connecting to {host}:{port} timed out"))?
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        Ok(Connection {
            stream,
            timeout,
            next_id: 1,
            counts: counts.clone(),
        })
    }

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
        self.counts.add(key, n);
        let (mut rd, mut wr) = self.stream.split();
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
        for (i, mut answer) in answers.into_iter().enumerate() {
            let header = ResponseHeader::decode(&mut answer, key.response_header_version(version))
                .map_err(|e| format!("{key:?}: bad response header: {e}"))?;
            let expected = first.wrapping_add(i as i32);
            if header.correlation_id != expected {
                return Err(format!(
                    "{key:?}: answer to another request ({} instead of {expected})",
                    header.correlation_id
                ));
            }
            out.push(
                Resp::decode(&mut answer, version)
                    .map_err(|e| format!("{key:?}: cannot decode v{version}: {e}"))?,
            );
        }
        Ok(out)
    }
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
/// when it opens).
pub struct Session {
    pub conn: Connection,
    versions: HashMap<i16, (i16, i16)>,
}

impl Session {
    pub async fn open(
        host: &str,
        port: u16,
        timeout: Duration,
        counts: &RequestCounts,
    ) -> Result<Session, String> {
        let mut conn = Connection::open(host, port, timeout, counts).await?;
        let answer: ApiVersionsResponse = conn
            .call(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default())
            .await?;
        if answer.error_code != 0 {
            return Err(format!("ApiVersions: {}", error_text(answer.error_code)));
        }
        let versions = answer
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(Session { conn, versions })
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

/// A Kafka error code as its name and number.
pub fn error_text(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        Some(e) => format!("{e} (error {code})"),
        None => "no error".to_string(),
    }
}
