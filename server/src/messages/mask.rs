//! Masking rules: applied on the server to decoded keys, values and headers before a
//! record is filtered, shown or exported, so masked data never leaves the server and a
//! filter cannot be used to guess it. Pure.

use regex::Regex;
use serde_json::Value;

use super::decode::Decoded;

/// Which part of a record a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
    Header,
}

impl Part {
    pub fn parse(s: &str) -> Option<Part> {
        match s {
            "key" => Some(Part::Key),
            "value" => Some(Part::Value),
            "headers" | "header" => Some(Part::Header),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum MaskKind {
    /// Replace every match of the pattern (in text, or in each string of JSON).
    Pattern(Regex),
    /// Replace the values of these JSON fields (dotted paths; `*` is any field; arrays are
    /// walked through). A part that is not JSON is replaced whole.
    Fields(Vec<Vec<String>>),
}

#[derive(Debug, Clone)]
pub struct MaskRule {
    pub topics: Regex,
    pub parts: Vec<Part>,
    pub kind: MaskKind,
    pub replacement: String,
}

impl MaskRule {
    /// `fields` are dotted paths such as `card.number` or `items.*.price`.
    pub fn fields(topics: Regex, parts: Vec<Part>, fields: &[String], replacement: &str) -> Self {
        MaskRule {
            topics,
            parts,
            kind: MaskKind::Fields(
                fields
                    .iter()
                    .map(|f| f.split('.').map(str::to_string).collect())
                    .collect(),
            ),
            replacement: replacement.to_string(),
        }
    }
}

/// The rules that apply to one topic.
#[derive(Debug, Clone, Default)]
pub struct TopicMask {
    rules: Vec<MaskRule>,
}

impl TopicMask {
    pub fn for_topic(rules: &[MaskRule], topic: &str) -> TopicMask {
        TopicMask {
            rules: rules
                .iter()
                .filter(|r| r.topics.is_match(topic))
                .cloned()
                .collect(),
        }
    }

    /// Whether any rule covers this part (its raw bytes must then never be returned).
    pub fn covers(&self, part: Part) -> bool {
        self.rules.iter().any(|r| r.parts.contains(&part))
    }

    /// Apply every rule covering `part` to `d`, decoded from `raw`.
    pub fn apply(&self, part: Part, raw: &[u8], d: &mut Decoded) {
        if self.covers(part) {
            // The stored numbers of logical types would show what a rule hides.
            d.logical.clear();
        }
        for r in self.rules.iter().filter(|r| r.parts.contains(&part)) {
            if let MaskKind::Pattern(re) = &r.kind {
                // Shown in another form than the text itself (hex, base64, an integer, Avro or
                // Protobuf fields, MessagePack binaries): the pattern cannot be replaced where
                // it is, so a part whose bytes match is hidden whole.
                if !matches!(d.encoding, "text" | "json")
                    && re.is_match(&String::from_utf8_lossy(raw))
                {
                    mask_whole(d, &r.replacement, "its bytes match a masking pattern");
                    continue;
                }
            }
            match (&r.kind, d.json.as_mut()) {
                (MaskKind::Pattern(re), Some(json)) => {
                    replace_strings(json, re, &r.replacement);
                    d.text = json.to_string();
                }
                (MaskKind::Pattern(re), None) => {
                    if re.is_match(&d.text) {
                        d.text = re.replace_all(&d.text, r.replacement.as_str()).into_owned();
                    }
                }
                (MaskKind::Fields(paths), Some(json)) => {
                    for p in paths {
                        mask_path(json, p, &r.replacement);
                    }
                    d.text = json.to_string();
                }
                (MaskKind::Fields(_), None) => {
                    mask_whole(d, &r.replacement, "not JSON, so its fields cannot be told");
                }
            }
        }
    }
}

fn mask_whole(d: &mut Decoded, with: &str, why: &str) {
    d.text = with.to_string();
    d.json = None;
    d.schema = None;
    d.note = Some(format!("masked whole: {why}"));
}

fn replace_strings(v: &mut Value, re: &Regex, with: &str) {
    match v {
        Value::String(s) if re.is_match(s) => {
            *s = re.replace_all(s, with).into_owned();
        }
        Value::Number(n) => {
            let t = n.to_string();
            if re.is_match(&t) {
                *v = Value::String(re.replace_all(&t, with).into_owned());
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| replace_strings(x, re, with)),
        Value::Object(o) => o.values_mut().for_each(|x| replace_strings(x, re, with)),
        _ => {}
    }
}

fn mask_path(v: &mut Value, path: &[String], with: &str) {
    let Some((first, rest)) = path.split_first() else {
        *v = Value::String(with.to_string());
        return;
    };
    match v {
        // `*` names any element; other names reach through arrays to their elements.
        Value::Array(a) if first == "*" => a.iter_mut().for_each(|x| mask_path(x, rest, with)),
        Value::Array(a) => a.iter_mut().for_each(|x| mask_path(x, path, with)),
        Value::Object(o) => {
            if first == "*" {
                o.values_mut().for_each(|x| mask_path(x, rest, with));
            } else if let Some(x) = o.get_mut(first.as_str()) {
                mask_path(x, rest, with);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::decode::{decode, Decoding};

    fn rules() -> Vec<MaskRule> {
        vec![
            MaskRule::fields(
                Regex::new("^payments").unwrap(),
                vec![Part::Value],
                &["card.number".into(), "items.*.secret".into()],
                "***",
            ),
            MaskRule {
                topics: Regex::new(".*").unwrap(),
                parts: vec![Part::Key, Part::Value, Part::Header],
                kind: MaskKind::Pattern(Regex::new(r"[\w.]+@[\w.]+").unwrap()),
                replacement: "<email>".into(),
            },
        ]
    }

    #[test]
    fn json_fields_and_patterns_are_replaced_everywhere_they_occur() {
        let m = TopicMask::for_topic(&rules(), "payments.v1");
        let raw = br#"{"card":{"number":"4111111111111111","cvc":"1"},"items":[{"secret":"s1","n":1},{"secret":"s2"}],"who":"ann@example.com"}"#;
        let mut d = decode(raw, Decoding::Auto, None);
        m.apply(Part::Value, raw, &mut d);
        assert!(!d.text.contains("4111"));
        assert!(!d.text.contains("s1") && !d.text.contains("s2"));
        assert!(!d.text.contains("ann@example.com"));
        assert_eq!(d.json.as_ref().unwrap()["card"]["number"], "***");
        assert_eq!(
            d.json.as_ref().unwrap()["card"]["cvc"],
            "1",
            "other fields stay"
        );
        assert_eq!(d.json.as_ref().unwrap()["who"], "<email>");
        assert!(m.covers(Part::Value) && m.covers(Part::Key));
    }

    #[test]
    fn a_field_rule_on_data_that_is_not_json_masks_it_whole() {
        let m = TopicMask::for_topic(&rules(), "payments");
        let mut d = decode(b"card.number=4111", Decoding::Auto, None);
        m.apply(Part::Value, b"card.number=4111", &mut d);
        assert_eq!(d.text, "***");
        assert!(d.note.is_some());
    }

    #[test]
    fn patterns_cannot_be_dodged_by_another_rendering() {
        let rules = [MaskRule {
            topics: Regex::new(".*").unwrap(),
            parts: vec![Part::Value],
            kind: MaskKind::Pattern(Regex::new(r"\d{16}").unwrap()),
            replacement: "****".into(),
        }];
        let m = TopicMask::for_topic(&rules, "t");
        let raw = b"card 4111111111111111 ok";
        for how in [
            Decoding::Hex,
            Decoding::Base64,
            Decoding::Int,
            Decoding::MsgPack,
        ] {
            let mut d = decode(raw, how, None);
            m.apply(Part::Value, raw, &mut d);
            assert_eq!(d.text, "****", "{how:?}");
        }
        // A number in JSON is masked too.
        let raw = br#"{"card":4111111111111111}"#;
        let mut d = decode(raw, Decoding::Auto, None);
        m.apply(Part::Value, raw, &mut d);
        assert_eq!(d.text, r#"{"card":"****"}"#);
        // Bytes that do not match stay visible in any rendering.
        let mut d = decode(b"nothing here", Decoding::Hex, None);
        m.apply(Part::Value, b"nothing here", &mut d);
        assert_eq!(d.encoding, "hex");
        assert!(d.text.contains("6e 6f"));
    }

    #[test]
    fn rules_only_apply_to_their_topics_and_parts() {
        let m = TopicMask::for_topic(&rules(), "orders");
        let mut d = decode(br#"{"card":{"number":"4111"}}"#, Decoding::Auto, None);
        m.apply(Part::Value, br#"{"card":{"number":"4111"}}"#, &mut d);
        assert!(
            d.text.contains("4111"),
            "the field rule is for payments topics"
        );
        let mut k = decode(b"bob@example.org", Decoding::Auto, None);
        m.apply(Part::Key, b"bob@example.org", &mut k);
        assert_eq!(k.text, "<email>");
        assert!(!TopicMask::for_topic(&rules()[..1], "orders").covers(Part::Value));
    }
}
