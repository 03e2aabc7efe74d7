//! Message inspection: records as the API shows them, scan progress, and produce.

use serde::{Deserialize, Serialize};

/// One record of a topic, decoded (and masked) on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    pub partition: i32,
    pub offset: i64,
    /// RFC 3339; `null` when the record carries no timestamp.
    pub timestamp: Option<String>,
    pub timestamp_ms: Option<i64>,
    /// `create` (set by the producer) or `log_append` (set by the broker).
    pub timestamp_type: Option<String>,
    /// `null` for a null key (not the same as an empty one).
    pub key: Option<Payload>,
    /// `null` for a tombstone.
    pub value: Option<Payload>,
    pub headers: Vec<Header>,
    /// Key + value + header bytes as stored.
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Header {
    pub key: String,
    pub value: Option<Payload>,
}

/// A key, value or header value: how it was decoded and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Payload {
    /// Bytes as stored.
    pub size: u64,
    /// How `text` was obtained: `text`, `json`, `hex`, `base64`, `int`, `msgpack`, `avro`,
    /// `protobuf` or `json_schema`.
    pub encoding: String,
    /// The decoded form shown to people (JSON compact; pretty printing is the UI's job).
    pub text: String,
    /// The decoded structure, when it is JSON or was turned into JSON (Avro, MessagePack).
    pub json: Option<serde_json::Value>,
    /// The stored bytes (up to the display limit), base64; `null` when masked.
    pub base64: Option<String>,
    /// Only the first part of the bytes was decoded ("load full" reads the rest).
    pub truncated: bool,
    /// A masking rule applied to this part.
    pub masked: bool,
    /// The Schema Registry schema of Confluent wire-format data.
    pub schema: Option<SchemaRef>,
    /// Why the requested or expected decoding was not used ("not valid UTF-8").
    pub note: Option<String>,
    /// Values of Avro logical types inside `json`, shown there for people (a date as
    /// `2024-01-01`); each names where it is and the number or bytes stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logical: Vec<LogicalValue>,
}

/// One logical-type value inside a decoded payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogicalValue {
    /// JSON pointer (RFC 6901) into `json`: `/order/created`.
    pub path: String,
    /// As the schema names it: `date`, `timestamp-millis`, `decimal(10,2)`, `duration`, …
    pub logical_type: String,
    /// What is stored: the number of days, ms, µs or ns; a decimal's unscaled integer (as a
    /// string); a duration's months, days and milliseconds.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SchemaRef {
    pub id: u32,
    pub subject: Option<String>,
    pub version: Option<i64>,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub kind: String,
}

/// Where a scan stands in one partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartitionProgress {
    pub partition: i32,
    /// First position of the scan (an offset; exclusive upper bound when newest first).
    pub start: i64,
    /// Next position the scan would read.
    pub position: i64,
    /// Where the scan stops in this partition (log start when newest first, the end
    /// offset at the scan's start when oldest first; `null` while tailing).
    pub stop: Option<i64>,
    pub done: bool,
}

/// How far a scan got, and why it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanStats {
    pub scanned: u64,
    pub matched: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
    /// `null` while running; then `limit`, `end`, `max_scan`, `max_bytes`, `timeout`,
    /// `cancelled` or `error`.
    pub stopped: Option<String>,
    pub partitions: Vec<PartitionProgress>,
    /// Records the filter could not evaluate (counted as not matching), with the first reason.
    pub filter_errors: u64,
    pub first_filter_error: Option<String>,
}

/// `GET /api/v1/clusters/{c}/topics/{t}/messages`: one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessagePage {
    /// `oldest` or `newest`: per partition in that offset order, merged across partitions by
    /// timestamp (then partition, then offset).
    pub order: String,
    pub messages: Vec<Message>,
    /// Pass as `cursor=` for the next page; `null` when nothing is left in that direction.
    pub next_cursor: Option<String>,
    pub stats: ScanStats,
}

/// `POST /api/v1/clusters/{c}/topics/{t}/messages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProduceRequest {
    /// `null`: the producer's partitioner chooses (by key).
    #[serde(default)]
    pub partition: Option<i32>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    /// How `key`, `value` and header values are written: `text` (UTF-8, default), `json`
    /// (checked, then sent as UTF-8) or `base64` (binary).
    #[serde(default)]
    pub key_encoding: Option<String>,
    #[serde(default)]
    pub value_encoding: Option<String>,
    #[serde(default)]
    pub header_encoding: Option<String>,
    #[serde(default)]
    pub headers: Vec<ProduceHeader>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProduceHeader {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProduceResult {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<String>,
}

/// The `done` event of a message stream: the scan's totals, where to go on, and why it
/// stopped early (if it did).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamDone {
    pub stats: ScanStats,
    pub next_cursor: Option<String>,
    pub error: Option<String>,
}
