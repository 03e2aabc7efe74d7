//! Message inspection endpoints under `/clusters/{cluster}/topics/{topic}/messages`:
//! a page (`GET`), a streamed search or live tail (`GET …/stream`, server-sent events), an
//! export (`GET …/export`), one whole record (`GET …/{partition}/{offset}`) and produce
//! (`POST`). Every read is bounded and stops when the client goes away.

use std::convert::Infallible;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::stream::Stream;
use futures::StreamExt;
use kafscope_api::{Message, MessagePage, ProduceRequest, ProduceResult};
use serde::Deserialize;
use serde_json::json;

use super::alert_actions::json_body;
use super::auth::{audit_entry, Permission, Principal, Resource};
use super::error::ApiError;
use super::state::AppState;
use crate::collect::now_ms;
use crate::kafka::KafkaCallError;
use crate::messages::decode::Decoding;
use crate::messages::export::{Export, Format};
use crate::messages::filter::FilterSpec;
use crate::messages::plan::{decode_cursor, Order, Start};
use crate::messages::scan::Limits;
use crate::messages::{Inspector, Request, ScanError, StreamItem};
use crate::store::silences::AuditEntry;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page, produce))
        .routes(routes!(export))
        .routes(routes!(one))
}

/// Long-lived: served outside the API's request timeout (bounded by its own).
pub fn stream_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream))
}

/// Query parameters of every read; numbers are parsed here for clear errors.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ScanQuery {
    partition: Option<String>,
    from: Option<String>,
    order: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    key_contains: Option<String>,
    value_contains: Option<String>,
    header_contains: Option<String>,
    key_regex: Option<String>,
    value_regex: Option<String>,
    header_regex: Option<String>,
    expr: Option<String>,
    decode_key: Option<String>,
    decode_value: Option<String>,
    max_scan: Option<String>,
    max_bytes: Option<String>,
    timeout_ms: Option<String>,
    max_value_bytes: Option<String>,
    follow: Option<String>,
    format: Option<String>,
    max_export_bytes: Option<String>,
}

/// Defaults and ceilings of one kind of read.
struct Bounds {
    limit: (usize, usize),
    timeout_ms: (u64, u64),
    value_bytes: (usize, usize),
}

const PAGE: Bounds = Bounds {
    limit: (50, 500),
    timeout_ms: (10_000, 25_000),
    value_bytes: (16 << 10, 1 << 20),
};
const STREAM: Bounds = Bounds {
    limit: (100, 10_000),
    timeout_ms: (60_000, 600_000),
    value_bytes: (16 << 10, 1 << 20),
};
const TAIL: Bounds = Bounds {
    limit: (10_000, 100_000),
    timeout_ms: (600_000, 3_600_000),
    value_bytes: (16 << 10, 1 << 20),
};
const EXPORT: Bounds = Bounds {
    limit: (10_000, 1_000_000),
    timeout_ms: (20_000, 25_000),
    value_bytes: (1 << 20, 8 << 20),
};
const DEFAULT_MAX_SCAN: u64 = 1_000_000;
const MAX_MAX_SCAN: u64 = 100_000_000;
const DEFAULT_MAX_BYTES: u64 = 512 << 20;
const MAX_MAX_BYTES: u64 = 8 << 30;
const DEFAULT_EXPORT_BYTES: usize = 10 << 20;
const MAX_EXPORT_BYTES: usize = 100 << 20;
/// "Load full": one record up to this size.
const FULL_VALUE_BYTES: usize = 8 << 20;

fn number<T: FromStr + PartialOrd + Copy + std::fmt::Display>(
    name: &str,
    v: &Option<String>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ApiError> {
    let Some(s) = v.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(default);
    };
    let n: T = s
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("{name}='{s}' is not a number")))?;
    if n < min || n > max {
        return Err(ApiError::BadRequest(format!(
            "{name}={n} is out of range ({min} to {max})"
        )));
    }
    Ok(n)
}

fn decoding(name: &str, v: &Option<String>) -> Result<Decoding, ApiError> {
    let s = v.as_deref().unwrap_or("auto");
    Decoding::parse(s).ok_or_else(|| {
        ApiError::BadRequest(format!("{name}='{s}' is not one of {}", Decoding::NAMES))
    })
}

fn kafka_error(e: KafkaCallError) -> ApiError {
    if e.unsupported {
        ApiError::Unsupported(format!("the broker refused {}: {}", e.api, e.message))
    } else {
        ApiError::Unavailable(format!("{} failed: {}", e.api, e.message))
    }
}

fn scan_error(e: ScanError) -> ApiError {
    match e {
        ScanError::Kafka(k) => kafka_error(k),
        ScanError::Client(m) => ApiError::BadRequest(m),
        ScanError::Busy(m) => ApiError::Unavailable(m),
    }
}

/// The inspector of a cluster and the checked request.
#[allow(clippy::too_many_arguments)]
fn request(
    st: &AppState,
    principal: &Principal,
    perm: Permission,
    cluster: &str,
    topic: &str,
    q: &ScanQuery,
    bounds: &Bounds,
    follow: bool,
) -> Result<(Arc<Inspector>, Request), ApiError> {
    st.allow(
        principal,
        perm,
        &Resource::cluster(cluster, st.read_only(cluster)).topic(topic),
    )?;
    let snap = st.cluster_with_data(cluster)?;
    let inspector = st
        .inspectors
        .get(cluster)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("cluster '{cluster}' is not configured")))?;
    let t = snap.topics.get(topic).ok_or_else(|| {
        ApiError::NotFound(format!(
            "topic '{topic}' does not exist in cluster '{cluster}'"
        ))
    })?;
    let all: Vec<i32> = t.partitions.iter().map(|p| p.partition).collect();
    let mut partitions = match q.partition.as_deref().filter(|s| !s.is_empty()) {
        None | Some("all") => all.clone(),
        Some(s) => {
            let p: i32 = s.parse().map_err(|_| {
                ApiError::BadRequest(format!("partition='{s}' is not a number or 'all'"))
            })?;
            if !all.contains(&p) {
                return Err(ApiError::NotFound(format!(
                    "topic '{topic}' has no partition {p} (it has {})",
                    all.len()
                )));
            }
            vec![p]
        }
    };
    // Without `order`, `from=earliest` reads oldest first (as documented); anything else
    // starts from the newest records.
    let from_earliest = q.from.as_deref().map(str::trim) == Some("earliest");
    let mut order = match q.order.as_deref() {
        None | Some("") if from_earliest => Order::Oldest,
        None | Some("") | Some("newest") => Order::Newest,
        Some("oldest") => Order::Oldest,
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "order='{o}' is not oldest or newest"
            )))
        }
    };
    if follow {
        order = Order::Oldest;
    }
    let start = match q.cursor.as_deref().filter(|s| !s.is_empty()) {
        Some(c) => {
            let (o, positions) = decode_cursor(c).map_err(ApiError::BadRequest)?;
            if q.order.is_some() && o != order && !follow {
                return Err(ApiError::BadRequest(format!(
                    "the cursor continues {} first, not {} first",
                    o.as_str(),
                    order.as_str()
                )));
            }
            order = if follow { Order::Oldest } else { o };
            if let Some(p) = positions.iter().find(|(p, _)| !all.contains(p)) {
                return Err(ApiError::BadRequest(format!(
                    "the cursor names partition {} that topic '{topic}' does not have",
                    p.0
                )));
            }
            partitions.retain(|p| positions.iter().any(|(c, _)| c == p));
            Start::Cursor(positions)
        }
        None => {
            let from = q.from.as_deref().unwrap_or(match order {
                Order::Oldest if !follow => "earliest",
                _ => "latest",
            });
            Start::parse(from).map_err(ApiError::BadRequest)?
        }
    };
    let limits = Limits {
        limit: number("limit", &q.limit, bounds.limit.0, 1, bounds.limit.1)?,
        max_scan: number("max_scan", &q.max_scan, DEFAULT_MAX_SCAN, 1, MAX_MAX_SCAN)?,
        max_bytes: number(
            "max_bytes",
            &q.max_bytes,
            DEFAULT_MAX_BYTES,
            1,
            MAX_MAX_BYTES,
        )?,
        timeout: Duration::from_millis(number(
            "timeout_ms",
            &q.timeout_ms,
            bounds.timeout_ms.0,
            1,
            bounds.timeout_ms.1,
        )?),
    };
    let filter = FilterSpec {
        key_contains: q.key_contains.clone(),
        value_contains: q.value_contains.clone(),
        header_contains: q.header_contains.clone(),
        key_regex: q.key_regex.clone(),
        value_regex: q.value_regex.clone(),
        header_regex: q.header_regex.clone(),
        expr: q.expr.clone(),
    };
    // Compile once here so a bad filter is a 400 before Kafka is asked anything.
    crate::messages::filter::Filter::compile(&filter).map_err(ApiError::BadRequest)?;
    let req = Request {
        topic: topic.to_string(),
        partitions,
        order,
        start,
        follow,
        limits,
        filter,
        key_as: decoding("decode_key", &q.decode_key)?,
        value_as: decoding("decode_value", &q.decode_value)?,
        display_limit: number(
            "max_value_bytes",
            &q.max_value_bytes,
            bounds.value_bytes.0,
            16,
            bounds.value_bytes.1,
        )?,
    };
    Ok((inspector, req))
}

fn query(q: Result<Query<ScanQuery>, QueryRejection>) -> Result<ScanQuery, ApiError> {
    q.map(|Query(q)| q).map_err(ApiError::from)
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}/messages",
    operation_id = "browse_messages",
    tag = "messages",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name"), ScanQuery),
    responses((status = 200, description = "OK", body = MessagePage))
)]
async fn page(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Result<Json<MessagePage>, ApiError> {
    let Path((cluster, topic)) = p?;
    let q = query(q)?;
    let (inspector, req) = request(
        &st,
        &principal,
        Permission::MessagesRead,
        &cluster,
        &topic,
        &q,
        &PAGE,
        false,
    )?;
    let order = req.order;
    let (done, cursor) = inspector.page(req).await.map_err(scan_error)?;
    if let Some(e) = done.error {
        return Err(ApiError::Unavailable(format!(
            "reading {topic} failed: {e}"
        )));
    }
    Ok(Json(MessagePage {
        order: order.as_str().to_string(),
        messages: done.messages,
        next_cursor: cursor,
        stats: done.stats,
    }))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}/messages/{partition}/{offset}",
    operation_id = "get_message",
    tag = "messages",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name"), ("partition" = i32, Path, description = "Partition"), ("offset" = i64, Path, description = "Offset"), ScanQuery),
    responses((status = 200, description = "OK", body = Message))
)]
async fn one(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String, String, String)>, PathRejection>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Result<Json<Message>, ApiError> {
    let Path((cluster, topic, partition, offset)) = p?;
    let mut q = query(q)?;
    if partition.parse::<i32>().is_err() {
        return Err(ApiError::BadRequest(format!(
            "partition '{partition}' is not a number"
        )));
    }
    let off: i64 =
        offset.parse().ok().filter(|o| *o >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("offset '{offset}' is not a number ≥ 0"))
        })?;
    q.partition = Some(partition);
    q.from = Some(off.to_string());
    q.order = Some("oldest".into());
    q.cursor = None;
    q.limit = Some("1".into());
    q.max_value_bytes = Some(
        q.max_value_bytes
            .clone()
            .unwrap_or_else(|| FULL_VALUE_BYTES.to_string()),
    );
    let bounds = Bounds {
        value_bytes: (FULL_VALUE_BYTES, FULL_VALUE_BYTES),
        ..PAGE
    };
    let (inspector, req) = request(
        &st,
        &principal,
        Permission::MessagesRead,
        &cluster,
        &topic,
        &q,
        &bounds,
        false,
    )?;
    let (done, _) = inspector.page(req).await.map_err(scan_error)?;
    if let Some(e) = done.error {
        return Err(ApiError::Unavailable(format!(
            "reading {topic} failed: {e}"
        )));
    }
    done.messages
        .into_iter()
        .find(|m| m.offset == off)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no record at offset {off} (deleted, compacted away, a transaction marker, or past the end)"
            ))
        })
        .map(Json)
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}/messages/stream",
    operation_id = "stream_messages",
    tag = "messages",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name"), ScanQuery),
    responses((status = 200, description = "Server-sent events: `message` (data: Message), `progress` (data: ScanStats), `done` (data: StreamDone), `error` (text); a comment every 15 s keeps proxies open", content_type = "text/event-stream", body = String))
)]
async fn stream(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Path((cluster, topic)) = p?;
    let q = query(q)?;
    let follow = match q.follow.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(o) => {
            return Err(ApiError::BadRequest(format!(
                "follow='{o}' is not true or false"
            )))
        }
    };
    let bounds = if follow { &TAIL } else { &STREAM };
    let (inspector, req) = request(
        &st,
        &principal,
        Permission::MessagesRead,
        &cluster,
        &topic,
        &q,
        bounds,
        follow,
    )?;
    let rx = inspector.stream(req).await.map_err(scan_error)?;
    let events = tokio_stream::wrappers::ReceiverStream::new(rx).map(|item| {
        let ev = match item {
            StreamItem::Match(m) => Event::default().event("message").json_data(&m),
            StreamItem::Progress(s) => Event::default().event("progress").json_data(&s),
            StreamItem::Done {
                stats,
                cursor,
                error,
            } => Event::default()
                .event("done")
                .json_data(kafscope_api::StreamDone {
                    stats,
                    next_cursor: cursor,
                    error,
                }),
        };
        Ok(ev.unwrap_or_else(|_| Event::default().event("error").data("encoding failed")))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[utoipa::path(
    get,
    path = "/clusters/{cluster}/topics/{topic}/messages/export",
    operation_id = "export_messages",
    tag = "messages",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name"), ScanQuery),
    responses((status = 200, description = "The matching records as JSON lines (`format=jsonl`) or CSV (`format=csv`), as a download", content((String = "application/x-ndjson"), (String = "text/csv"))))
)]
async fn export(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    q: Result<Query<ScanQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((cluster, topic)) = p?;
    let q = query(q)?;
    let format = match q.format.as_deref() {
        None | Some("") => Format::Jsonl,
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::BadRequest(format!("format='{f}' is not jsonl or csv")))?,
    };
    let cap = number(
        "max_export_bytes",
        &q.max_export_bytes,
        DEFAULT_EXPORT_BYTES,
        1,
        MAX_EXPORT_BYTES,
    )?;
    let (inspector, req) = request(
        &st,
        &principal,
        Permission::MessagesExport,
        &cluster,
        &topic,
        &q,
        &EXPORT,
        false,
    )?;
    let rx = inspector.stream(req).await.map_err(scan_error)?;
    // Stops the spool (and so the scan) when the client goes away before the answer starts.
    let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _guard = crate::messages::CancelOnDrop(cancel.clone());
    let flag = cancel.clone();
    // Spooled to a temporary file (at most `cap` bytes), so memory stays flat; the row count
    // and the reason it ended are known before the answer starts.
    let spooled = tokio::task::spawn_blocking(move || spool(rx, format, cap, &flag))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("export worker: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("export spool: {e}")))?;
    let Spooled {
        file,
        rows,
        stopped,
        failure,
    } = spooled;
    if let Some(e) = failure {
        return Err(ApiError::Unavailable(format!(
            "reading {topic} failed: {e}"
        )));
    }
    let name = format!(
        "{}-{}.{}",
        sanitize(&topic),
        crate::http::state::rfc3339(now_ms()).replace(':', ""),
        format.extension()
    );
    let reader = tokio::fs::File::from_std(
        file.reopen()
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("export spool: {e}")))?,
    );
    // The temporary file lives (and is deleted) with the body stream.
    let body = futures::stream::unfold((reader, file), |(mut r, f)| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 << 10];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(bytes::Bytes::from(buf)), (r, f)))
            }
            Err(e) => Some((Err(e), (r, f))),
        }
    })
    // The compression layer may poll once more after the end (seen with an empty export
    // under `Accept-Encoding: gzip`): an unfused stream panics there.
    .fuse();
    let mut resp = axum::body::Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&rows.to_string()) {
        h.insert("x-kafscope-rows", v);
    }
    if let Ok(v) = HeaderValue::from_str(&stopped) {
        h.insert("x-kafscope-stopped", v);
    }
    Ok(resp)
}

struct Spooled {
    file: tempfile::NamedTempFile,
    rows: usize,
    stopped: String,
    failure: Option<String>,
}

/// Write a stream's matches to a temporary file; stops (dropping the receiver stops the
/// scan) when the cap is reached.
fn spool(
    mut rx: tokio::sync::mpsc::Receiver<StreamItem>,
    format: Format,
    cap: usize,
    cancel: &std::sync::atomic::AtomicBool,
) -> std::io::Result<Spooled> {
    let file = tempfile::NamedTempFile::new()?;
    let mut out = Export::new(format, cap, std::io::BufWriter::new(file))?;
    let mut stopped = String::from("end");
    let mut failure = None;
    while let Some(item) = rx.blocking_recv() {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            stopped = "cancelled".into();
            break;
        }
        match item {
            StreamItem::Match(m) => {
                if !out.push(&m)? {
                    stopped = "max_export_bytes".into();
                    break;
                }
            }
            StreamItem::Progress(_) => {}
            StreamItem::Done { stats, error, .. } => {
                stopped = stats.stopped.unwrap_or_default();
                failure = error;
            }
        }
    }
    let rows = out.rows;
    let file = out.finish()?.into_inner().map_err(|e| e.into_error())?;
    Ok(Spooled {
        file,
        rows,
        stopped,
        failure,
    })
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

const PRODUCE_TIMEOUT: Duration = Duration::from_secs(10);

#[utoipa::path(
    post,
    path = "/clusters/{cluster}/topics/{topic}/messages",
    operation_id = "produce_message",
    tag = "messages",
    params(("cluster" = String, Path, description = "A configured cluster's name"), ("topic" = String, Path, description = "Topic name")),
    request_body = ProduceRequest,
    responses((status = 200, description = "OK", body = ProduceResult))
)]
async fn produce(
    State(st): State<AppState>,
    principal: Principal,
    p: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<ProduceRequest>, JsonRejection>,
) -> Result<Json<ProduceResult>, ApiError> {
    let Path((cluster, topic)) = p?;
    let target = format!("{cluster}/{topic}");
    st.allow_change(
        &principal,
        Permission::MessagesProduce,
        &Resource::cluster(&cluster, st.read_only(&cluster)).topic(&topic),
        "message.produce",
        &target,
    )
    .await?;
    let req = json_body(body)?;
    let snap = st.cluster_with_data(&cluster)?;
    let t = snap.topics.get(&topic).ok_or_else(|| {
        ApiError::NotFound(format!(
            "topic '{topic}' does not exist in cluster '{cluster}'"
        ))
    })?;
    if let Some(p) = req.partition {
        if !t.partitions.iter().any(|x| x.partition == p) {
            return Err(ApiError::NotFound(format!(
                "topic '{topic}' has no partition {p}"
            )));
        }
    }
    let inspector = st
        .inspectors
        .get(&cluster)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("cluster '{cluster}' is not configured")))?;
    let mask = crate::messages::mask::TopicMask::for_topic(&inspector.cfg.masking, &topic);
    let key_shown = if mask.covers(crate::messages::mask::Part::Key) {
        json!("<masked>")
    } else {
        json!(req
            .key
            .as_ref()
            .map(|k| k.chars().take(200).collect::<String>()))
    };
    let result = inspector.produce(&topic, &req, PRODUCE_TIMEOUT).await;
    let detail = json!({
        "partition_requested": req.partition,
        "key": key_shown,
        "value_bytes": req.value.as_ref().map(String::len),
        "headers": req.headers.iter().map(|h| h.key.clone()).collect::<Vec<_>>(),
        "value_encoding": req.value_encoding.clone().unwrap_or_else(|| "text".into()),
        "result": match &result {
            Ok(r) => json!({"partition": r.partition, "offset": r.offset}),
            Err(e) => json!({"error": e}),
        },
    });
    let audit = AuditEntry {
        outcome: if result.is_ok() { "done" } else { "failed" }.into(),
        detail: detail.to_string(),
        ..audit_entry(&principal, "message.produce", Some(&cluster))
    };
    st.store
        .audit(&audit, &target)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    match result {
        Ok(r) => Ok(Json(r)),
        Err(e) if e.starts_with("the broker") || e.starts_with("cannot create") => {
            Err(ApiError::Unavailable(e))
        }
        Err(e) => Err(ApiError::BadRequest(e)),
    }
}
