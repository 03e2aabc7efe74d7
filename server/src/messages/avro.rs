//! Avro records of the Confluent wire format, shown for people: fields in the schema's
//! order, logical types rendered (decimal with its scale, dates and timestamps as ISO-8601
//! with the stored number kept beside them, uuid, duration), bytes and fixed as base64,
//! named types from referenced schemas resolved. Pure.

use std::collections::HashMap;
use std::io::Read;

use apache_avro::schema::{Name, Schema};
use apache_avro::types::Value as Avro;
use base64::Engine as _;
use kafscope_api::LogicalValue;
use serde_json::{Map, Value};

/// Decimals longer than this many bytes (over 150 digits) or with a larger scale are shown as
/// their bytes.
const MAX_DECIMAL_BYTES: usize = 64;
const MAX_DECIMAL_SCALE: usize = 200;

/// A registry schema with the schemas it references (named types it may use).
#[derive(Debug)]
pub struct AvroSchema {
    root: Schema,
    refs: Vec<Schema>,
    /// Every named type, resolved once (not per record).
    names: HashMap<Name, Schema>,
}

/// Parse `text`; `refs` are the referenced schemas' texts, dependencies first.
pub fn parse(text: &str, refs: &[String]) -> Result<AvroSchema, String> {
    // apache-avro 0.21 panics on some invalid names instead of answering an error (found by
    // AFL++: a record name holding bytes that are not a name); a registry's text is outside
    // input, so a panic is an answer here.
    std::panic::catch_unwind(|| parse_unguarded(text, refs)).unwrap_or_else(|_| {
        Err("the registry's Avro schema does not parse: the Avro library failed on it (a name that is not a valid Avro name?)".into())
    })
}

fn parse_unguarded(text: &str, refs: &[String]) -> Result<AvroSchema, String> {
    let bad = |e: apache_avro::Error| format!("the registry's Avro schema does not parse: {e}");
    let (root, refs) = if refs.is_empty() {
        (Schema::parse_str(text).map_err(bad)?, Vec::new())
    } else {
        Schema::parse_str_with_list(text, refs).map_err(bad)?
    };
    // Every named type must resolve now, so that decoding never meets a dangling name.
    let names = {
        let all: Vec<&Schema> = refs.iter().chain(std::iter::once(&root)).collect();
        let resolved = apache_avro::schema::ResolvedSchema::try_from(all).map_err(bad)?;
        resolved
            .get_names()
            .iter()
            .map(|(n, s)| (n.clone(), (*s).clone()))
            .collect()
    };
    Ok(AvroSchema { root, refs, names })
}

impl AvroSchema {
    /// Referenced schemas first: names are resolved in order.
    fn all(&self) -> Vec<&Schema> {
        self.refs
            .iter()
            .chain(std::iter::once(&self.root))
            .collect()
    }
}

/// A reader that remembers how far it got, to say where data stopped fitting the schema.
struct Counted<'a> {
    data: &'a [u8],
    read: usize,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (&self.data[self.read..]).read(buf)?;
        self.read += n;
        Ok(n)
    }
}

/// Decode one datum: its JSON form and the logical-type values it holds.
pub fn decode(s: &AvroSchema, data: &[u8]) -> Result<(Value, Vec<LogicalValue>), String> {
    // Bounded first: apache-avro trusts the counts and the depth the data declares.
    super::avro_bounds::check(&s.root, &s.names, data)?;
    let mut rd = Counted { data, read: 0 };
    let v =
        apache_avro::from_avro_datum_schemata(&s.root, s.all(), &mut rd, None).map_err(|e| {
            format!(
                "Avro payload does not fit the schema after {} of {} bytes: {e}",
                rd.read,
                data.len()
            )
        })?;
    if rd.read < data.len() {
        return Err(format!(
            "Avro payload has {} bytes left after the value ({} of {} bytes read)",
            data.len() - rd.read,
            rd.read,
            data.len()
        ));
    }
    let mut walk = Walk {
        names: &s.names,
        path: String::new(),
        logical: Vec::new(),
    };
    let json = walk.json(v, &s.root).map_err(|e| match e {
        // apache-avro reads a string or bytes cut short as null.
        Mismatch::Missing(what) if rd.read == data.len() => format!(
            "Avro payload ends after {} bytes: {what} is missing",
            data.len()
        ),
        Mismatch::Missing(what) => format!(
            "Avro payload does not fit the schema ({} bytes): {what} is null",
            data.len()
        ),
        Mismatch::Other(e) => format!(
            "Avro payload does not fit the schema ({} bytes): {e}",
            data.len()
        ),
    })?;
    Ok((json, walk.logical))
}

/// Why a decoded value does not fit its schema.
enum Mismatch {
    /// Null where the schema wants a value (what is missing, and where).
    Missing(String),
    Other(String),
}

impl From<String> for Mismatch {
    fn from(s: String) -> Mismatch {
        Mismatch::Other(s)
    }
}

struct Walk<'a> {
    names: &'a HashMap<Name, Schema>,
    /// JSON pointer of the value being converted.
    path: String,
    logical: Vec<LogicalValue>,
}

fn b64(b: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(b))
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or_else(|| Value::String(f.to_string()), Value::Number)
}

impl Walk<'_> {
    fn at<T>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.path.len();
        self.path.push('/');
        // JSON pointer escaping (RFC 6901).
        self.path
            .push_str(&segment.replace('~', "~0").replace('/', "~1"));
        let out = f(self);
        self.path.truncate(len);
        out
    }

    fn logical(&mut self, logical_type: &str, raw: Value, shown: Value) -> Value {
        self.logical.push(LogicalValue {
            path: self.path.clone(),
            logical_type: logical_type.to_string(),
            raw,
        });
        shown
    }

    fn json(&mut self, v: Avro, s: &Schema) -> Result<Value, Mismatch> {
        let s = match s {
            Schema::Ref { name } => self
                .names
                .get(name)
                .ok_or_else(|| format!("the named type {} is not defined", name.fullname(None)))?,
            s => s,
        };
        Ok(match (v, s) {
            (Avro::Null, Schema::Null) => Value::Null,
            (Avro::Boolean(b), Schema::Boolean) => Value::Bool(b),
            (Avro::Int(i), Schema::Int) => i.into(),
            (Avro::Long(i), Schema::Long) => i.into(),
            (Avro::Float(f), Schema::Float) => float(f64::from(f)),
            (Avro::Double(f), Schema::Double) => float(f),
            (Avro::Bytes(b), Schema::Bytes) => b64(&b),
            (Avro::String(t), Schema::String) => Value::String(t),
            (Avro::Fixed(_, b), Schema::Fixed(_)) => b64(&b),
            (Avro::Enum(_, sym), Schema::Enum(_)) => Value::String(sym),
            (Avro::Union(i, v), Schema::Union(u)) => {
                let branch = u
                    .variants()
                    .get(i as usize)
                    .ok_or_else(|| format!("union branch {i} does not exist at {}", self.here()))?;
                self.json(*v, branch)?
            }
            (Avro::Array(items), Schema::Array(a)) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.at(&i.to_string(), |w| w.json(v, &a.items)))
                    .collect::<Result<_, _>>()?,
            ),
            (Avro::Map(m), Schema::Map(ms)) => {
                // Avro maps have no order; sorted, so that the same record reads the same.
                let mut entries: Vec<_> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut out = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let j = self.at(&k, |w| w.json(v, &ms.types))?;
                    out.insert(k, j);
                }
                Value::Object(out)
            }
            (Avro::Record(fields), Schema::Record(r)) => {
                let mut out = Map::with_capacity(fields.len());
                for (name, v) in fields {
                    let field = r
                        .lookup
                        .get(&name)
                        .and_then(|&i| r.fields.get(i))
                        .ok_or_else(|| format!("field {name} is not in record {}", r.name))?;
                    let j = self.at(&name, |w| w.json(v, &field.schema))?;
                    out.insert(name, j);
                }
                Value::Object(out)
            }
            (Avro::Decimal(d), Schema::Decimal(ds)) => {
                // Zero bytes is 0 (apache-avro cannot sign-extend an empty value).
                let bytes = <Vec<u8>>::try_from(&d).unwrap_or_default();
                let kind = format!("decimal({},{})", ds.precision, ds.scale);
                // Beyond any real decimal (a hostile schema or record): the bytes, as stored;
                // the conversion is quadratic in the length and the scale pads with zeros.
                if bytes.len() > MAX_DECIMAL_BYTES || ds.scale > MAX_DECIMAL_SCALE {
                    let raw = b64(&bytes);
                    return Ok(self.logical(&kind, raw.clone(), raw));
                }
                let unscaled = signed_decimal(&bytes);
                let shown = with_scale(&unscaled, ds.scale);
                self.logical(&kind, Value::String(unscaled), Value::String(shown))
            }
            (Avro::BigDecimal(d), Schema::BigDecimal) => {
                let t = d.to_string();
                self.logical("big-decimal", Value::String(t.clone()), Value::String(t))
            }
            (Avro::Uuid(u), Schema::Uuid) => Value::String(u.to_string()),
            (Avro::Date(d), Schema::Date) => {
                let shown = date(d).map_or(Value::from(d), Value::String);
                self.logical("date", d.into(), shown)
            }
            (Avro::TimeMillis(t), Schema::TimeMillis) => {
                let shown =
                    time_of_day(i64::from(t) * 1_000_000, 3).map_or(t.into(), Value::String);
                self.logical("time-millis", t.into(), shown)
            }
            (Avro::TimeMicros(t), Schema::TimeMicros) => {
                let shown = time_of_day(t.saturating_mul(1_000), 6).map_or(t.into(), Value::String);
                self.logical("time-micros", t.into(), shown)
            }
            (Avro::TimestampMillis(t), Schema::TimestampMillis) => self.instant(t, 3, true),
            (Avro::TimestampMicros(t), Schema::TimestampMicros) => self.instant(t, 6, true),
            (Avro::TimestampNanos(t), Schema::TimestampNanos) => self.instant(t, 9, true),
            (Avro::LocalTimestampMillis(t), Schema::LocalTimestampMillis) => {
                self.instant(t, 3, false)
            }
            (Avro::LocalTimestampMicros(t), Schema::LocalTimestampMicros) => {
                self.instant(t, 6, false)
            }
            (Avro::LocalTimestampNanos(t), Schema::LocalTimestampNanos) => {
                self.instant(t, 9, false)
            }
            (Avro::Duration(d), Schema::Duration) => {
                let (months, days, millis) = (
                    u32::from(d.months()),
                    u32::from(d.days()),
                    u32::from(d.millis()),
                );
                let shown = format!("P{months}M{days}DT{}.{:03}S", millis / 1000, millis % 1000);
                let raw = serde_json::json!({"months": months, "days": days, "millis": millis});
                self.logical("duration", raw, shown.into())
            }
            (Avro::Null, _) => {
                return Err(Mismatch::Missing(format!("{} at {}", kind(s), self.here())))
            }
            (v, _) => {
                return Err(Mismatch::Other(format!(
                    "{} read where the schema expects {} at {}",
                    value_kind(&v),
                    kind(s),
                    self.here()
                )))
            }
        })
    }

    fn here(&self) -> &str {
        if self.path.is_empty() {
            "the top level"
        } else {
            &self.path
        }
    }

    /// A timestamp: `digits` of sub-second precision (3 = millis, 6 = micros, 9 = nanos);
    /// `utc` for timestamp-*, not for local-timestamp-*.
    fn instant(&mut self, n: i64, digits: u32, utc: bool) -> Value {
        let per_second = 10_i64.pow(digits);
        let nanos = i128::from(n) * i128::from(1_000_000_000 / per_second);
        let kind = format!(
            "{}timestamp-{}",
            if utc { "" } else { "local-" },
            match digits {
                3 => "millis",
                6 => "micros",
                _ => "nanos",
            }
        );
        let shown = time::OffsetDateTime::from_unix_timestamp_nanos(nanos).map_or_else(
            |_| Value::from(n),
            |t| {
                let frac = n.rem_euclid(per_second);
                Value::String(format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{frac:0w$}{}",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    if utc { "Z" } else { "" },
                    w = digits as usize
                ))
            },
        );
        self.logical(&kind, n.into(), shown)
    }
}

fn date(days: i32) -> Option<String> {
    let d = time::Date::from_julian_day(2_440_588_i32.checked_add(days)?).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// `nanos` since midnight as `HH:MM:SS.fff` with `digits` decimals; `None` outside a day.
fn time_of_day(nanos: i64, digits: u32) -> Option<String> {
    if !(0..86_400 * 1_000_000_000).contains(&nanos) {
        return None;
    }
    let secs = nanos / 1_000_000_000;
    let frac = nanos % 1_000_000_000 / 10_i64.pow(9 - digits);
    Some(format!(
        "{:02}:{:02}:{:02}.{frac:0w$}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        w = digits as usize
    ))
}

/// Big-endian two's-complement bytes as a decimal integer string.
fn signed_decimal(bytes: &[u8]) -> String {
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    // Magnitude: the bytes themselves, or their two's complement when negative.
    let mut mag: Vec<u8> = bytes.to_vec();
    if negative {
        for b in mag.iter_mut() {
            *b = !*b;
        }
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
    }
    // Repeated division by 10 of the base-256 number.
    let mut digits = Vec::new();
    while mag.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for b in mag.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = (cur / 10) as u8;
            rem = cur % 10;
        }
        digits.push(b'0' + rem as u8);
    }
    if digits.is_empty() {
        digits.push(b'0');
    }
    if negative {
        digits.push(b'-');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// An integer string with `scale` digits moved behind a decimal point.
fn with_scale(unscaled: &str, scale: usize) -> String {
    if scale == 0 {
        return unscaled.to_string();
    }
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    let padded = format!("{digits:0>w$}", w = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

fn kind(s: &Schema) -> String {
    match s {
        Schema::Record(r) => format!("record {}", r.name),
        Schema::Enum(e) => format!("enum {}", e.name),
        Schema::Fixed(f) => format!("fixed {}", f.name),
        Schema::Union(_) => "a union".into(),
        Schema::Array(_) => "an array".into(),
        Schema::Map(_) => "a map".into(),
        Schema::Ref { name } => name.to_string(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn value_kind(v: &Avro) -> &'static str {
    match v {
        Avro::Null => "null",
        Avro::Boolean(_) => "a boolean",
        Avro::Int(_) | Avro::Long(_) => "an integer",
        Avro::Float(_) | Avro::Double(_) => "a floating-point number",
        Avro::Bytes(_) | Avro::Fixed(..) => "bytes",
        Avro::String(_) => "a string",
        Avro::Enum(..) => "an enum symbol",
        Avro::Union(..) => "a union",
        Avro::Array(_) => "an array",
        Avro::Map(_) => "a map",
        Avro::Record(_) => "a record",
        _ => "a logical-type value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(n: i64) -> Vec<u8> {
        let mut z = ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::new();
        loop {
            if z < 0x80 {
                out.push(z as u8);
                return out;
            }
            out.push((z as u8 & 0x7f) | 0x80);
            z >>= 7;
        }
    }

    #[test]
    fn hostile_decimals_and_times_are_shown_raw() {
        let s = parse(
            r#"{"type":"record","name":"H","fields":[
                {"name":"huge","type":{"type":"bytes","logicalType":"decimal","precision":1000000,"scale":999999}},
                {"name":"empty","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}},
                {"name":"late","type":{"type":"int","logicalType":"time-millis"}}]}"#,
            &[],
        )
        .unwrap();
        let mut data = zigzag(1);
        data.push(7);
        data.extend(zigzag(0));
        data.extend(zigzag(90_000_000)); // 25 h
        let (json, _) = decode(&s, &data).unwrap();
        assert_eq!(json["huge"], "Bw==", "the bytes, not a million zeros");
        assert_eq!(json["empty"], "0.00");
        assert_eq!(json["late"], 90_000_000);
    }

    #[test]
    fn decimals_in_any_width_and_sign() {
        assert_eq!(signed_decimal(&[0x30, 0x39]), "12345");
        assert_eq!(with_scale("12345", 2), "123.45");
        assert_eq!(signed_decimal(&[0xcf, 0xc7]), "-12345");
        assert_eq!(with_scale("-12345", 2), "-123.45");
        assert_eq!(with_scale("5", 3), "0.005");
        assert_eq!(with_scale("-5", 3), "-0.005");
        assert_eq!(signed_decimal(&[]), "0");
        assert_eq!(signed_decimal(&[0xff]), "-1");
        assert_eq!(signed_decimal(&[0x80]), "-128");
        // 2^64, wider than any machine integer.
        assert_eq!(
            signed_decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
    }

    #[test]
    fn every_logical_type_is_shown_for_people_with_the_stored_number_beside_it() {
        let s = parse(
            r#"{"type":"record","name":"Payment","namespace":"shop","fields":[
                {"name":"zeta","type":"string"},
                {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
                {"name":"day","type":{"type":"int","logicalType":"date"}},
                {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
                {"name":"at_us","type":{"type":"long","logicalType":"timestamp-micros"}},
                {"name":"local","type":{"type":"long","logicalType":"local-timestamp-millis"}},
                {"name":"tod","type":{"type":"int","logicalType":"time-millis"}},
                {"name":"id","type":{"type":"string","logicalType":"uuid"}},
                {"name":"wait","type":{"type":"fixed","name":"Wait","size":12,"logicalType":"duration"}},
                {"name":"blob","type":"bytes"},
                {"name":"hash","type":{"type":"fixed","name":"Hash","size":2}},
                {"name":"alpha","type":["null",{"type":"long","logicalType":"timestamp-millis"}]}
            ]}"#,
            &[],
        )
        .unwrap();
        let mut data = Vec::new();
        data.extend(zigzag(3));
        data.extend_from_slice(b"zed");
        data.extend(zigzag(2));
        data.extend_from_slice(&[0x30, 0x39]); // 12345 → 123.45
        data.extend(zigzag(19_723)); // 2024-01-01
        data.extend(zigzag(1_704_067_200_123)); // 2024-01-01T00:00:00.123Z
        data.extend(zigzag(1_704_067_200_000_001));
        data.extend(zigzag(1_704_067_200_000));
        data.extend(zigzag(45_296_789)); // 12:34:56.789
        let uuid = "0b4d7f9c-4a4e-4c7e-9d35-1b2a3c4d5e6f";
        data.extend(zigzag(uuid.len() as i64));
        data.extend_from_slice(uuid.as_bytes());
        data.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0, 0xe8, 0x03, 0, 0]); // 1 month, 2 days, 1000 ms
        data.extend(zigzag(3));
        data.extend_from_slice(&[0, 1, 2]);
        data.extend_from_slice(&[0xca, 0xfe]);
        data.extend(zigzag(1)); // union branch 1
        data.extend(zigzag(0));
        let (json, logical) = decode(&s, &data).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "zeta", "amount", "day", "at", "at_us", "local", "tod", "id", "wait", "blob",
                "hash", "alpha"
            ],
            "fields in the schema's order"
        );
        assert_eq!(json["amount"], "123.45");
        assert_eq!(json["day"], "2024-01-01");
        assert_eq!(json["at"], "2024-01-01T00:00:00.123Z");
        assert_eq!(json["at_us"], "2024-01-01T00:00:00.000001Z");
        assert_eq!(json["local"], "2024-01-01T00:00:00.000");
        assert_eq!(json["tod"], "12:34:56.789");
        assert_eq!(json["id"], uuid);
        assert_eq!(json["wait"], "P1M2DT1.000S");
        assert_eq!(json["blob"], "AAEC");
        assert_eq!(json["hash"], "yv4=");
        assert_eq!(json["alpha"], "1970-01-01T00:00:00.000Z");
        let raw = |p: &str| {
            logical
                .iter()
                .find(|l| l.path == p)
                .map(|l| (l.logical_type.as_str(), l.raw.clone()))
        };
        assert_eq!(
            raw("/amount"),
            Some(("decimal(10,2)", serde_json::json!("12345")))
        );
        assert_eq!(raw("/day"), Some(("date", serde_json::json!(19_723))));
        assert_eq!(
            raw("/at"),
            Some(("timestamp-millis", serde_json::json!(1_704_067_200_123_i64)))
        );
        assert_eq!(
            raw("/wait"),
            Some((
                "duration",
                serde_json::json!({"months": 1, "days": 2, "millis": 1000})
            ))
        );
        assert_eq!(raw("/alpha").map(|r| r.0), Some("timestamp-millis"));
        assert_eq!(raw("/blob"), None, "plain bytes are not a logical type");
    }

    #[test]
    fn named_types_of_referenced_schemas_resolve() {
        let money = r#"{"type":"record","name":"Money","namespace":"shop","fields":[
            {"name":"units","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":3}},
            {"name":"currency","type":"string"}]}"#;
        let s = parse(
            r#"{"type":"record","name":"Order","namespace":"shop","fields":[
                {"name":"total","type":"shop.Money"},
                {"name":"items","type":{"type":"array","items":"Money"}}]}"#,
            &[money.to_string()],
        )
        .unwrap();
        let mut data = vec![4, 0x04, 0xd2]; // 2 bytes: 1234 → 1.234
        data.extend(zigzag(3));
        data.extend_from_slice(b"EUR");
        data.extend(zigzag(1)); // one array block of one item
        data.extend_from_slice(&[2, 0xff]); // -1 → -0.001
        data.extend(zigzag(3));
        data.extend_from_slice(b"USD");
        data.push(0); // end of array
        let (json, logical) = decode(&s, &data).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"total": {"units": "1.234", "currency": "EUR"},
                "items": [{"units": "-0.001", "currency": "USD"}]})
        );
        assert_eq!(logical[1].path, "/items/0/units");
        assert!(parse(
            r#"{"type":"record","name":"O","fields":[{"name":"t","type":"shop.Money"}]}"#,
            &[]
        )
        .unwrap_err()
        .contains("does not parse"));
    }

    #[test]
    fn data_that_does_not_fit_says_where_it_stopped() {
        let s = parse(
            r#"{"type":"record","name":"O","fields":[{"name":"id","type":"long"},{"name":"item","type":"string"}]}"#,
            &[],
        )
        .unwrap();
        // A string of 3 bytes announced, 1 present.
        let e = decode(&s, &[0x54, 0x06, b't']).unwrap_err();
        assert_eq!(
            e,
            "Avro payload ends after 3 bytes: string at /item is missing"
        );
        let e = decode(&s, &[0x54, 0x02, b't', 9, 9]).unwrap_err();
        assert!(
            e.contains("2 bytes left after the value (3 of 5 bytes read)"),
            "{e}"
        );
    }
}
