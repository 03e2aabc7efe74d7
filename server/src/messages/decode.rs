//! Bytes → something a person can read. Pure: the Schema Registry is reached through
//! [`SchemaSource`], so tests hand in schemas directly.
//!
//! `auto` tries, in order: Confluent wire format (magic byte 0 + schema id) when a registry
//! is configured, JSON, UTF-8 text, a 4- or 8-byte big-endian integer, then a hex dump.
//! Whatever was asked for, bytes that do not decode fall back to a hex dump with a note
//! saying why, never an error.

use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use kafscope_api::{LogicalValue, SchemaRef};
use serde_json::Value;

/// How the user asked a key or value to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoding {
    Auto,
    Text,
    Json,
    Hex,
    Base64,
    Int,
    MsgPack,
    /// Confluent wire format: whatever the registry says the schema is.
    Registry,
}

impl Decoding {
    pub const NAMES: &'static str = "auto, text, json, hex, base64, int, msgpack, registry";

    pub fn parse(s: &str) -> Option<Decoding> {
        Some(match s {
            "auto" | "" => Decoding::Auto,
            "text" => Decoding::Text,
            "json" => Decoding::Json,
            "hex" => Decoding::Hex,
            "base64" => Decoding::Base64,
            "int" => Decoding::Int,
            "msgpack" => Decoding::MsgPack,
            "registry" | "avro" | "protobuf" | "json_schema" => Decoding::Registry,
            _ => return None,
        })
    }
}

/// What a schema id resolves to.
#[derive(Debug)]
pub struct RegisteredSchema {
    pub id: u32,
    pub subject: Option<String>,
    pub version: Option<i64>,
    pub kind: SchemaKind,
}

#[derive(Debug)]
pub enum SchemaKind {
    Avro(Box<super::avro::AvroSchema>),
    Json,
    Protobuf(Box<super::protobuf::ProtoSchema>),
}

impl SchemaKind {
    pub fn name(&self) -> &'static str {
        match self {
            SchemaKind::Avro(_) => "AVRO",
            SchemaKind::Json => "JSON",
            SchemaKind::Protobuf(_) => "PROTOBUF",
        }
    }
}

impl RegisteredSchema {
    /// `schema 7 (subject orders-value v3)`, or `schema 7` when the subject is not known.
    pub fn label(&self) -> String {
        match (&self.subject, self.version) {
            (Some(s), Some(v)) => format!("schema {} (subject {s} v{v})", self.id),
            (Some(s), None) => format!("schema {} (subject {s})", self.id),
            _ => format!("schema {}", self.id),
        }
    }
}

/// Why a schema could not be had.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The registry answered that the id does not exist.
    NotFound,
    /// Anything else (unreachable, an error answer, a schema that does not compile): a
    /// sentence that names the id.
    Failed(String),
}

/// Looks up a schema by id (cached by the implementation).
pub trait SchemaSource {
    fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, Lookup>;
}

/// A decoded part of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub encoding: &'static str,
    pub text: String,
    pub json: Option<Value>,
    pub schema: Option<SchemaRef>,
    pub note: Option<String>,
    /// Logical-type values inside `json` (Avro).
    pub logical: Vec<LogicalValue>,
}

impl Decoded {
    fn plain(encoding: &'static str, text: String) -> Decoded {
        Decoded {
            encoding,
            text,
            json: None,
            schema: None,
            note: None,
            logical: Vec::new(),
        }
    }

    fn with_json(encoding: &'static str, json: Value) -> Decoded {
        Decoded {
            encoding,
            text: json.to_string(),
            json: Some(json),
            schema: None,
            note: None,
            logical: Vec::new(),
        }
    }

    fn noted(mut self, note: impl Into<String>) -> Decoded {
        self.note = Some(note.into());
        self
    }
}

/// Decode `bytes` as asked.
pub fn decode(bytes: &[u8], how: Decoding, registry: Option<&dyn SchemaSource>) -> Decoded {
    match how {
        Decoding::Auto => auto(bytes, registry),
        Decoding::Text => match std::str::from_utf8(bytes) {
            Ok(s) => Decoded::plain("text", s.to_string()),
            Err(e) => hex(bytes).noted(format!("not valid UTF-8 (at byte {})", e.valid_up_to())),
        },
        Decoding::Json => match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => Decoded::with_json("json", v),
            Err(e) => fallback(bytes).noted(format!("not JSON: {e}")),
        },
        Decoding::Hex => hex(bytes),
        Decoding::Base64 => Decoded::plain(
            "base64",
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ),
        Decoding::Int => match int(bytes) {
            Some(n) => Decoded::plain("int", n.to_string()),
            None => hex(bytes).noted(format!(
                "{} bytes is not a 1-, 2-, 4- or 8-byte integer",
                bytes.len()
            )),
        },
        Decoding::MsgPack => match msgpack(bytes) {
            Ok(v) => Decoded::with_json("msgpack", v),
            Err(e) => hex(bytes).noted(format!("not MessagePack: {e}")),
        },
        Decoding::Registry => match registry {
            None => hex(bytes).noted("no Schema Registry is configured for this cluster"),
            Some(r) => match wire_format(bytes, r) {
                Ok(d) => d,
                Err(e) => hex(bytes).noted(e.to_string()),
            },
        },
    }
}

fn auto(bytes: &[u8], registry: Option<&dyn SchemaSource>) -> Decoded {
    // Magic byte 0 and a schema id (ids start at 1): try the registry; data that does not
    // decode (an 8-byte integer key also starts with 0) is guessed as usual, with the reason.
    if let (Some(r), true) = (
        registry,
        bytes.len() >= 5 && bytes[0] == 0 && bytes[1..5] != [0; 4],
    ) {
        return wire_format(bytes, r).unwrap_or_else(|e| {
            let d = fallback(bytes);
            let why = match &e {
                // The id is not registered: likely not registry data at all.
                WireError::Lookup(Lookup::NotFound, id) => {
                    format!("starts like Schema Registry data, but schema id {id} is not in the registry")
                }
                other => format!("Schema Registry data that could not be decoded: {other}"),
            };
            let note = match &d.note {
                Some(n) => format!("{why}; {n}"),
                None => format!("{why}; shown as {}", d.encoding),
            };
            d.noted(note)
        });
    }
    fallback(bytes)
}

/// JSON, text, an integer or hex, whichever fits first.
fn fallback(bytes: &[u8]) -> Decoded {
    if let Ok(s) = std::str::from_utf8(bytes) {
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<Value>(s) {
                return Decoded {
                    text: s.to_string(),
                    ..Decoded::with_json("json", v)
                };
            }
        }
        if looks_like_text(s) {
            return Decoded::plain("text", s.to_string());
        }
    }
    if bytes.len() == 4 || bytes.len() == 8 {
        if let Some(n) = int(bytes) {
            return Decoded::plain("int", n.to_string()).noted(format!(
                "read as a {}-byte big-endian integer; choose hex to see the bytes",
                bytes.len()
            ));
        }
    }
    hex(bytes)
}

/// Valid UTF-8 without control characters other than tab and line breaks.
fn looks_like_text(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn int(bytes: &[u8]) -> Option<i64> {
    Some(match bytes.len() {
        1 => bytes[0] as i8 as i64,
        2 => i16::from_be_bytes(bytes.try_into().ok()?) as i64,
        4 => i32::from_be_bytes(bytes.try_into().ok()?) as i64,
        8 => i64::from_be_bytes(bytes.try_into().ok()?),
        _ => return None,
    })
}

/// A classic hex dump: offset, 16 bytes, printable ASCII.
pub fn hex(bytes: &[u8]) -> Decoded {
    let mut out = String::with_capacity(bytes.len() * 4 + 16);
    for (i, chunk) in bytes.chunks(16).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{:08x} ", i * 16);
        for b in chunk {
            let _ = write!(out, " {b:02x}");
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push_str("  |");
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push('|');
    }
    Decoded::plain("hex", out)
}

fn msgpack(bytes: &[u8]) -> Result<Value, String> {
    let mut rd = bytes;
    let v = rmpv::decode::read_value(&mut rd).map_err(|e| e.to_string())?;
    if !rd.is_empty() {
        return Err(format!("{} bytes left after the value", rd.len()));
    }
    Ok(msgpack_json(v))
}

fn msgpack_json(v: rmpv::Value) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(b),
        M::Integer(i) => i
            .as_i64()
            .map(Value::from)
            .or_else(|| i.as_u64().map(Value::from))
            .unwrap_or(Value::Null),
        M::F32(f) => serde_json::Number::from_f64(f as f64).map_or(Value::Null, Value::Number),
        M::F64(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        M::String(s) => Value::String(match s.into_str() {
            Some(s) => s,
            None => "<invalid UTF-8>".into(),
        }),
        M::Binary(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        M::Array(a) => Value::Array(a.into_iter().map(msgpack_json).collect()),
        M::Map(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        M::String(s) => s.into_str().unwrap_or_default(),
                        other => other.to_string(),
                    };
                    (key, msgpack_json(v))
                })
                .collect(),
        ),
        M::Ext(kind, data) => serde_json::json!({
            "ext_type": kind,
            "data": base64::engine::general_purpose::STANDARD.encode(data),
        }),
    }
}

/// Why Confluent wire-format data was not decoded.
#[derive(Debug)]
enum WireError {
    /// Not the wire format's header.
    Header(String),
    /// The schema of this id could not be had.
    Lookup(Lookup, u32),
    /// The schema is known; the data does not fit it (a sentence naming the schema).
    Payload(String),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::Header(e) | WireError::Payload(e) => f.write_str(e),
            WireError::Lookup(Lookup::NotFound, id) => {
                write!(f, "schema id {id} is not in the registry")
            }
            WireError::Lookup(Lookup::Failed(e), _) => f.write_str(e),
        }
    }
}

/// Confluent wire format: byte 0, a 4-byte big-endian schema id, then the data (Protobuf
/// adds message indexes first).
fn wire_format(bytes: &[u8], registry: &dyn SchemaSource) -> Result<Decoded, WireError> {
    if bytes.len() < 5 {
        return Err(WireError::Header(format!(
            "too short for the wire-format header ({} bytes; magic byte and schema id take 5)",
            bytes.len()
        )));
    }
    if bytes[0] != 0 {
        return Err(WireError::Header(format!(
            "not in Schema Registry wire format (the first byte is 0x{:02x}, not the magic byte 0)",
            bytes[0]
        )));
    }
    let id = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    let schema = registry.schema(id).map_err(|e| WireError::Lookup(e, id))?;
    let data = &bytes[5..];
    let schema_ref = Some(SchemaRef {
        id,
        subject: schema.subject.clone(),
        version: schema.version,
        kind: schema.kind.name().to_string(),
    });
    let fail = |e: String| WireError::Payload(format!("{}: {e}", schema.label()));
    let mut d = match &schema.kind {
        SchemaKind::Avro(s) => {
            let (json, logical) = super::avro::decode(s, data).map_err(fail)?;
            Decoded {
                logical,
                ..Decoded::with_json("avro", json)
            }
        }
        SchemaKind::Json => {
            let json: Value = serde_json::from_slice(data)
                .map_err(|e| fail(format!("JSON Schema payload is not JSON: {e}")))?;
            Decoded::with_json("json_schema", json)
        }
        SchemaKind::Protobuf(p) => {
            let (json, name) = super::protobuf::decode(p, data)
                .map_err(|e| fail(format!("Protobuf payload: {e}")))?;
            Decoded::with_json("protobuf", json).noted(name)
        }
    };
    d.schema = schema_ref;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fixed(HashMap<u32, Arc<RegisteredSchema>>);
    impl SchemaSource for Fixed {
        fn schema(&self, id: u32) -> Result<Arc<RegisteredSchema>, Lookup> {
            match id {
                66 => Err(Lookup::Failed(
                    "registry unreachable: connection refused".into(),
                )),
                _ => self.0.get(&id).cloned().ok_or(Lookup::NotFound),
            }
        }
    }

    fn registry() -> Fixed {
        let avro = crate::messages::avro::parse(
            r#"{"type":"record","name":"Order","fields":[
                {"name":"id","type":"long"},{"name":"item","type":"string"},
                {"name":"paid","type":"boolean"}]}"#,
            &[],
        )
        .unwrap();
        let mut m = HashMap::new();
        m.insert(
            7,
            Arc::new(RegisteredSchema {
                id: 7,
                subject: Some("orders-value".into()),
                version: Some(2),
                kind: SchemaKind::Avro(Box::new(avro)),
            }),
        );
        m.insert(
            8,
            Arc::new(RegisteredSchema {
                id: 8,
                subject: None,
                version: None,
                kind: SchemaKind::Json,
            }),
        );
        Fixed(m)
    }

    /// Avro binary written by hand from the specification: zig-zag varint long 42 (0x54),
    /// string "tea" (length 3 → 0x06), boolean true.
    const AVRO_ORDER_42: &[u8] = &[0, 0, 0, 0, 7, 0x54, 0x06, b't', b'e', b'a', 1];

    #[test]
    fn auto_decodes_wire_format_avro_with_its_schema() {
        let r = registry();
        let d = decode(AVRO_ORDER_42, Decoding::Auto, Some(&r));
        assert_eq!(d.encoding, "avro");
        assert_eq!(
            d.json,
            Some(serde_json::json!({"id": 42, "item": "tea", "paid": true}))
        );
        assert_eq!(
            d.schema,
            Some(SchemaRef {
                id: 7,
                subject: Some("orders-value".into()),
                version: Some(2),
                kind: "AVRO".into()
            })
        );
    }

    #[test]
    fn wire_format_problems_fall_back_to_bytes_with_the_reason() {
        let r = registry();
        let note = |d: &Decoded| d.note.clone().unwrap_or_default();
        // Unknown schema id: guessed as usual (here an 8-byte integer), with the reason.
        let d = decode(&[0, 0, 0, 0, 9, 1, 2, 3], Decoding::Auto, Some(&r));
        assert_eq!(d.encoding, "int");
        assert!(
            note(&d).starts_with(
                "starts like Schema Registry data, but schema id 9 is not in the registry; read as"
            ),
            "{d:?}"
        );
        let d = decode(&[0, 0, 0, 0, 9, 1, 2, 3], Decoding::Registry, Some(&r));
        assert_eq!(note(&d), "schema id 9 is not in the registry");
        // The registry cannot be reached: said so, not "not registry data".
        let d = decode(&[0, 0, 0, 0, 66, 1, 2, 3], Decoding::Auto, Some(&r));
        assert!(
            note(&d).starts_with("Schema Registry data that could not be decoded: registry unreachable: connection refused"),
            "{d:?}"
        );
        // Schema id 0 does not exist: not even asked.
        let d = decode(&[0, 0, 0, 0, 0, 0, 0, 42], Decoding::Auto, Some(&r));
        assert_eq!((d.encoding, d.text.as_str()), ("int", "42"));
        // Data shorter than the schema needs: the schema named with subject and version.
        let d = decode(&AVRO_ORDER_42[..7], Decoding::Registry, Some(&r));
        assert_eq!(d.encoding, "hex");
        assert!(
            note(&d).starts_with(
                "schema 7 (subject orders-value v2): Avro payload ends after 2 bytes: string at /item is missing"
            ),
            "{d:?}"
        );
        let d = decode(&AVRO_ORDER_42[..7], Decoding::Auto, Some(&r));
        assert!(
            note(&d).starts_with("Schema Registry data that could not be decoded: schema 7 (subject orders-value v2)"),
            "{d:?}"
        );
        // Too short for a header, or another first byte.
        let d = decode(&[0, 0, 7], Decoding::Registry, Some(&r));
        assert!(note(&d).starts_with("too short for the wire-format header (3 bytes"));
        let d = decode(b"{\"a\":1}", Decoding::Registry, Some(&r));
        assert!(note(&d).contains("the first byte is 0x7b, not the magic byte 0"));
        // No registry configured, registry asked for.
        let d = decode(AVRO_ORDER_42, Decoding::Registry, None);
        assert!(d.note.unwrap().contains("no Schema Registry"));
        // JSON Schema wire format.
        let mut js = vec![0, 0, 0, 0, 8];
        js.extend_from_slice(br#"{"a":1}"#);
        let d = decode(&js, Decoding::Auto, Some(&r));
        assert_eq!(
            (d.encoding, d.json),
            ("json_schema", Some(serde_json::json!({"a": 1})))
        );
    }

    #[test]
    fn auto_tells_json_text_integers_and_binary_apart() {
        let d = decode(br#" {"order": 42}"#, Decoding::Auto, None);
        assert_eq!(d.encoding, "json");
        assert_eq!(d.text, r#" {"order": 42}"#, "JSON text is kept as written");
        assert_eq!(
            decode(b"hello\tworld\n", Decoding::Auto, None).encoding,
            "text"
        );
        assert_eq!(decode(b"{not json", Decoding::Auto, None).encoding, "text");
        let d = decode(&42i64.to_be_bytes(), Decoding::Auto, None);
        assert_eq!((d.encoding, d.text.as_str()), ("int", "42"));
        assert!(d.note.is_some(), "a guess says so");
        let d = decode(&[0xff, 0xfe, 0x00], Decoding::Auto, None);
        assert_eq!(d.encoding, "hex");
        assert_eq!(
            d.text,
            "00000000  ff fe 00                                         |...|"
        );
        assert_eq!(decode(b"", Decoding::Auto, None).encoding, "text");
    }

    #[test]
    fn chosen_decodings_and_their_failures() {
        assert_eq!(decode(b"\x00\x01", Decoding::Int, None).text, "1");
        assert_eq!(decode(&[0xff; 4], Decoding::Int, None).text, "-1");
        let d = decode(b"abc", Decoding::Int, None);
        assert_eq!(d.encoding, "hex");
        assert!(d.note.unwrap().contains("3 bytes"));
        assert_eq!(decode(b"hi", Decoding::Base64, None).text, "aGk=");
        let d = decode(&[0xc3, 0x28], Decoding::Text, None);
        assert_eq!(d.encoding, "hex");
        assert!(d.note.unwrap().contains("not valid UTF-8"));
        let d = decode(b"[1,", Decoding::Json, None);
        assert!(d.note.unwrap().starts_with("not JSON"));
        // MessagePack {"a": [1, "x"], "b": nil}
        let mp = [0x82, 0xa1, b'a', 0x92, 0x01, 0xa1, b'x', 0xa1, b'b', 0xc0];
        let d = decode(&mp, Decoding::MsgPack, None);
        assert_eq!(d.json, Some(serde_json::json!({"a": [1, "x"], "b": null})));
        let d = decode(&[0x92, 0x01], Decoding::MsgPack, None);
        assert!(d.note.unwrap().starts_with("not MessagePack"));
        let d = decode(&[0x01, 0x02], Decoding::MsgPack, None);
        assert!(d.note.unwrap().contains("left after"));
    }

    #[test]
    fn decoding_names_parse() {
        assert_eq!(Decoding::parse("avro"), Some(Decoding::Registry));
        assert_eq!(Decoding::parse("hex"), Some(Decoding::Hex));
        assert_eq!(Decoding::parse("yaml"), None);
    }
}
