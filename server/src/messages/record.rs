//! One record through the pipeline: decode → mask → filter → what the API shows. Pure.

use std::sync::Arc;

use base64::Engine as _;
use kafscope_api::{Header, Message, Payload};

use super::decode::{decode, Decoded, Decoding, SchemaSource};
use super::filter::{Filter, View};
use super::mask::{Part, TopicMask};

/// A record as read from Kafka, borrowed from the client's buffer.
pub struct RawRecord<'a> {
    pub partition: i32,
    pub offset: i64,
    /// (unix ms, `create` | `log_append`).
    pub timestamp: Option<(i64, &'static str)>,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

impl RawRecord<'_> {
    pub fn size(&self) -> u64 {
        let h: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.map_or(0, <[u8]>::len))
            .sum();
        (self.key.map_or(0, <[u8]>::len) + self.value.map_or(0, <[u8]>::len) + h) as u64
    }
}

/// How records of one scan are decoded, masked, filtered and cut for display.
pub struct Pipeline {
    pub key_as: Decoding,
    pub value_as: Decoding,
    pub mask: TopicMask,
    pub filter: Option<Filter>,
    pub registry: Option<Arc<dyn SchemaSource + Send + Sync>>,
    /// Longest key, value or header shown (bytes of the decoded text, and of raw bytes).
    pub display_limit: usize,
}

/// The result of one record: shown, skipped by the filter, or the filter failed on it.
pub enum Outcome {
    Match(Box<Message>),
    Skip,
    FilterError(String),
}

impl Pipeline {
    pub fn process(&self, r: &RawRecord) -> Outcome {
        let registry = self.registry.as_deref().map(|r| r as &dyn SchemaSource);
        let part = |bytes: Option<&[u8]>, how: Decoding, which: Part| {
            bytes.map(|b| {
                let mut d = decode(b, how, registry);
                self.mask.apply(which, b, &mut d);
                d
            })
        };
        let key = part(r.key, self.key_as, Part::Key);
        let value = part(r.value, self.value_as, Part::Value);
        let headers: Vec<(String, Option<Decoded>)> = r
            .headers
            .iter()
            .map(|(k, v)| {
                let d = v.map(|b| {
                    let mut d = decode(b, Decoding::Auto, None);
                    self.mask.apply(Part::Header, b, &mut d);
                    d
                });
                (k.to_string(), d)
            })
            .collect();
        let size = r.size();
        if let Some(f) = &self.filter {
            let view = View {
                key: key.as_ref(),
                value: value.as_ref(),
                headers: &headers,
                partition: r.partition,
                offset: r.offset,
                timestamp_ms: r.timestamp.map(|t| t.0),
                size,
            };
            match f.matches(&view) {
                Ok(true) => {}
                Ok(false) => return Outcome::Skip,
                Err(e) => return Outcome::FilterError(e),
            }
        }
        let limit = self.display_limit;
        let shown = |raw: Option<&[u8]>, d: Option<Decoded>, which: Part| {
            raw.zip(d)
                .map(|(raw, d)| payload(raw, d, self.mask.covers(which), limit))
        };
        Outcome::Match(Box::new(Message {
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp.map(|t| crate::http::state::rfc3339(t.0)),
            timestamp_ms: r.timestamp.map(|t| t.0),
            timestamp_type: r.timestamp.map(|t| t.1.to_string()),
            key: shown(r.key, key, Part::Key),
            value: shown(r.value, value, Part::Value),
            headers: r
                .headers
                .iter()
                .zip(headers)
                .map(|((_, raw), (k, d))| Header {
                    key: k,
                    value: shown(*raw, d, Part::Header),
                })
                .collect(),
            size,
        }))
    }
}

/// The API form of a decoded part; masked parts never carry their stored bytes.
pub fn payload(raw: &[u8], d: Decoded, masked: bool, limit: usize) -> Payload {
    let mut truncated = false;
    let mut text = d.text;
    let mut json = d.json;
    if text.len() > limit {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        json = None;
        truncated = true;
    }
    let json_kept = json.is_some();
    let base64 = (!masked).then(|| {
        truncated |= raw.len() > limit;
        base64::engine::general_purpose::STANDARD.encode(&raw[..raw.len().min(limit)])
    });
    Payload {
        size: raw.len() as u64,
        encoding: d.encoding.to_string(),
        text,
        json,
        base64,
        truncated,
        masked,
        schema: d.schema,
        note: d.note,
        // The raw values point into `json`: gone with it when the text was cut.
        logical: if json_kept { d.logical } else { Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::filter::FilterSpec;
    use crate::messages::mask::{MaskKind, MaskRule};

    fn pipeline(filter: FilterSpec, rules: &[MaskRule], limit: usize) -> Pipeline {
        Pipeline {
            key_as: Decoding::Auto,
            value_as: Decoding::Auto,
            mask: TopicMask::for_topic(rules, "t"),
            filter: Filter::compile(&filter).unwrap(),
            registry: None,
            display_limit: limit,
        }
    }

    fn record<'a>(value: &'a [u8], headers: Vec<(&'a str, Option<&'a [u8]>)>) -> RawRecord<'a> {
        RawRecord {
            partition: 1,
            offset: 5,
            timestamp: Some((1_700_000_000_000, "create")),
            key: None,
            value: Some(value),
            headers,
        }
    }

    #[test]
    fn bytes_come_back_exactly_and_null_stays_null() {
        let p = pipeline(FilterSpec::default(), &[], 1024);
        let Outcome::Match(m) = p.process(&record(&[0, 159, 146, 150], vec![("h", None)])) else {
            panic!("no filter: every record matches")
        };
        assert!(m.key.is_none(), "a null key is null, not empty");
        let v = m.value.unwrap();
        assert_eq!(v.base64.as_deref(), Some("AJ+Slg=="));
        assert_eq!((v.size, v.truncated), (4, false));
        assert_eq!(m.headers[0].key, "h");
        assert!(m.headers[0].value.is_none());
        assert_eq!(m.timestamp.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert_eq!(m.size, 5);
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary_and_say_so() {
        let p = pipeline(FilterSpec::default(), &[], 5);
        let Outcome::Match(m) = p.process(&record("ééééé".as_bytes(), vec![])) else {
            panic!()
        };
        let v = m.value.unwrap();
        assert_eq!(v.text, "éé");
        assert!(v.truncated);
        assert_eq!(v.size, 10);
    }

    #[test]
    fn masked_data_is_neither_shown_nor_searchable_nor_in_raw_bytes() {
        let rules = [MaskRule {
            topics: regex::Regex::new("t").unwrap(),
            parts: vec![Part::Value, Part::Header],
            kind: MaskKind::Pattern(regex::Regex::new(r"\d{16}").unwrap()),
            replacement: "****".into(),
        }];
        let raw = br#"{"card":"4111111111111111"}"#;
        let p = pipeline(FilterSpec::default(), &rules, 1024);
        let Outcome::Match(m) = p.process(&record(raw, vec![("card", Some(b"4111111111111111"))]))
        else {
            panic!()
        };
        let json = serde_json::to_string(&m).unwrap();
        assert!(!json.contains("4111"), "{json}");
        assert!(m.value.as_ref().unwrap().masked);
        assert!(m.value.as_ref().unwrap().base64.is_none());
        // A search for the hidden digits finds nothing.
        let p = pipeline(
            FilterSpec {
                value_contains: Some("4111".into()),
                ..Default::default()
            },
            &rules,
            1024,
        );
        assert!(matches!(p.process(&record(raw, vec![])), Outcome::Skip));
    }

    #[test]
    fn filter_errors_are_reported_not_matched() {
        let p = pipeline(
            FilterSpec {
                expr: Some("value.nope > 1".into()),
                ..Default::default()
            },
            &[],
            1024,
        );
        assert!(matches!(
            p.process(&record(br#"{"a":1}"#, vec![])),
            Outcome::FilterError(_)
        ));
    }
}
