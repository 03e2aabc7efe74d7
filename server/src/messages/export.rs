//! Export of a result set as JSON Lines or CSV, up to a size cap: records in (already
//! decoded and masked), bytes out to any writer (the HTTP layer spools to a temporary file,
//! so memory does not grow with the export).

use std::io::Write;

use kafscope_api::{Message, Payload};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One API message object per line: exact (with the stored bytes as base64 when not
    /// masked).
    Jsonl,
    /// partition, offset, timestamp, key, value, headers (a JSON object), encodings.
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

pub struct Export<W: Write> {
    format: Format,
    cap: usize,
    out: W,
    written: usize,
    pub rows: usize,
    /// A record did not fit under the cap (it and everything after it are left out).
    pub truncated: bool,
}

const CSV_HEADER: &str =
    "partition,offset,timestamp,key,value,headers,key_encoding,value_encoding\r\n";

impl<W: Write> Export<W> {
    pub fn new(format: Format, cap: usize, mut out: W) -> std::io::Result<Export<W>> {
        let mut written = 0;
        if format == Format::Csv {
            out.write_all(CSV_HEADER.as_bytes())?;
            written = CSV_HEADER.len();
        }
        Ok(Export {
            format,
            cap,
            out,
            written,
            rows: 0,
            truncated: false,
        })
    }

    /// Add a record; false (and nothing added) once the cap would be passed.
    pub fn push(&mut self, m: &Message) -> std::io::Result<bool> {
        if self.truncated {
            return Ok(false);
        }
        let line = match self.format {
            Format::Jsonl => {
                let mut l = serde_json::to_string(m).unwrap_or_default();
                l.push('\n');
                l
            }
            Format::Csv => csv_row(m),
        };
        if self.written + line.len() > self.cap {
            self.truncated = true;
            return Ok(false);
        }
        self.out.write_all(line.as_bytes())?;
        self.written += line.len();
        self.rows += 1;
        Ok(true)
    }

    /// Flush and hand the writer back.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn text(p: &Option<Payload>) -> &str {
    p.as_ref().map_or("", |p| p.text.as_str())
}

fn encoding(p: &Option<Payload>) -> &str {
    p.as_ref().map_or("null", |p| p.encoding.as_str())
}

fn csv_row(m: &Message) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = m
        .headers
        .iter()
        .map(|h| {
            let v = h
                .value
                .as_ref()
                .map_or(serde_json::Value::Null, |p| p.text.clone().into());
            (h.key.clone(), v)
        })
        .collect();
    let cells = [
        m.partition.to_string(),
        m.offset.to_string(),
        m.timestamp.clone().unwrap_or_default(),
        text(&m.key).to_string(),
        text(&m.value).to_string(),
        serde_json::Value::Object(headers).to_string(),
        encoding(&m.key).to_string(),
        encoding(&m.value).to_string(),
    ];
    let mut row = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    row.push_str("\r\n");
    row
}

/// RFC 4180 quoting; a cell a spreadsheet would run as a formula gets a leading `'`.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafscope_api::Header;

    fn payload(text: &str) -> Payload {
        Payload {
            logical: Vec::new(),
            size: text.len() as u64,
            encoding: "text".into(),
            text: text.into(),
            json: None,
            base64: None,
            truncated: false,
            masked: false,
            schema: None,
            note: None,
        }
    }

    fn msg(offset: i64, value: &str) -> Message {
        Message {
            partition: 0,
            offset,
            timestamp: Some("2023-11-14T22:13:20Z".into()),
            timestamp_ms: Some(1_700_000_000_000),
            timestamp_type: Some("create".into()),
            key: None,
            value: Some(payload(value)),
            headers: vec![Header {
                key: "h".into(),
                value: Some(payload("v")),
            }],
            size: 10,
        }
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let mut e = Export::new(Format::Csv, 1 << 20, Vec::new()).unwrap();
        assert!(e.push(&msg(1, "a,\"b\"\nc")).unwrap());
        assert!(e.push(&msg(2, "=HYPERLINK(\"x\")")).unwrap());
        assert!(e.push(&msg(3, "-5")).unwrap());
        let s = String::from_utf8(e.finish().unwrap()).unwrap();
        let lines: Vec<&str> = s.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.trim_end());
        assert_eq!(
            lines[1],
            "0,1,2023-11-14T22:13:20Z,,\"a,\"\"b\"\"\nc\",\"{\"\"h\"\":\"\"v\"\"}\",null,text"
        );
        assert!(
            lines[2].contains(",\"'=HYPERLINK(\"\"x\"\")\","),
            "{}",
            lines[2]
        );
        assert!(lines[3].contains(",-5,"), "numbers stay numbers");
    }

    #[test]
    fn jsonl_is_one_api_object_per_line_and_the_cap_holds() {
        let one = serde_json::to_string(&msg(1, "x")).unwrap().len() + 1;
        let mut e = Export::new(Format::Jsonl, one * 2 + 5, Vec::new()).unwrap();
        assert!(e.push(&msg(1, "x")).unwrap() && e.push(&msg(2, "x")).unwrap());
        assert!(!e.push(&msg(3, "x")).unwrap());
        assert!(e.truncated);
        assert_eq!(e.rows, 2);
        let bytes = e.finish().unwrap();
        assert!(bytes.len() <= one * 2 + 5);
        let back: Message =
            serde_json::from_str(std::str::from_utf8(&bytes).unwrap().lines().nth(1).unwrap())
                .unwrap();
        assert_eq!(back, msg(2, "x"));
    }
}
