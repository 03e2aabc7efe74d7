//! The Kafka wire protocol for what librdkafka's admin API does not do, or does one request
//! per group (DescribeLogDirs; batched group reads): frames over a plain TCP connection,
//! encoded with `kafka-protocol`, several requests in flight on one connection.
//! Bounded in time (every read and write) and in bytes (the largest frame accepted).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{encode_request_header_into_buffer, Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

    /// Send several requests at once and decode their responses, which a broker sends in
    /// request order on one connection. Writing and reading run together, so answers larger
    /// than the socket buffers cannot stall the exchange. Callers keep batches small.
    pub async fn call_many<Req: Encodable, Resp: Decodable>(
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
