//! Which topics a Schema Registry subject belongs to, told from its name by the
//! serializers' subject naming strategies. Pure.
//!
//! - TopicNameStrategy (the default): `<topic>-key`, `<topic>-value`.
//! - TopicRecordNameStrategy: `<topic>-<record full name>`.
//! - RecordNameStrategy: `<record full name>`, shared by any topic.

use kafscope_api::SubjectTopic;

/// The strategy a subject's name follows, and the topics it names.
pub fn topics_of(subject: &str, topics: &[&str]) -> (&'static str, Vec<SubjectTopic>) {
    for (suffix, part) in [("-value", "value"), ("-key", "key")] {
        if let Some(t) = subject.strip_suffix(suffix) {
            if !t.is_empty() {
                return (
                    "topic_name",
                    vec![SubjectTopic {
                        topic: t.to_string(),
                        part: Some(part.to_string()),
                        exists: topics.contains(&t),
                    }],
                );
            }
        }
    }
    // `<topic>-<record>`: the longest existing topic the subject starts with, followed by a
    // dash and something that reads as a record's full name.
    let by_topic = topics
        .iter()
        .filter(|t| {
            subject
                .strip_prefix(**t)
                .and_then(|r| r.strip_prefix('-'))
                .is_some_and(is_record_name)
        })
        .max_by_key(|t| t.len());
    if let Some(t) = by_topic {
        return (
            "topic_record_name",
            vec![SubjectTopic {
                topic: t.to_string(),
                part: None,
                exists: true,
            }],
        );
    }
    ("record_name", Vec::new())
}

/// Subjects of `topic` among `subjects`: its key and value subjects first.
pub fn subjects_of<'a>(topic: &str, subjects: &'a [String]) -> Vec<&'a String> {
    let mut out: Vec<&String> = subjects
        .iter()
        .filter(|s| {
            topics_of(s, &[topic])
                .1
                .iter()
                .any(|u| u.topic == topic && u.exists)
        })
        .collect();
    out.sort_by_key(|s| (!s.ends_with("-key"), !s.ends_with("-value"), s.as_str()));
    out
}

/// An Avro/Protobuf/JSON Schema full name: dotted identifiers.
fn is_record_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|p| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_their_topics_by_strategy() {
        let topics = ["orders", "orders-eu", "payments"];
        let (s, t) = topics_of("orders-value", &topics);
        assert_eq!(s, "topic_name");
        assert_eq!(
            (t[0].topic.as_str(), t[0].part.as_deref(), t[0].exists),
            ("orders", Some("value"), true)
        );
        let (s, t) = topics_of("gone-key", &topics);
        assert_eq!((s, t[0].exists), ("topic_name", false));
        // The longest topic wins: orders-eu, not orders with record "eu-shop.Order".
        let (s, t) = topics_of("orders-eu-shop.Order", &topics);
        assert_eq!(
            (s, t[0].topic.as_str(), t[0].part.as_deref()),
            ("topic_record_name", "orders-eu", None)
        );
        let (s, t) = topics_of("orders-shop.v1.Order", &topics);
        assert_eq!((s, t[0].topic.as_str()), ("topic_record_name", "orders"));
        let (s, t) = topics_of("shop.Order", &topics);
        assert_eq!((s, t.len()), ("record_name", 0));
        // A dash and something that is not a record name is not topic_record_name.
        assert_eq!(topics_of("payments-2024 copy", &topics).0, "record_name");
    }

    #[test]
    fn a_topics_subjects_key_and_value_first() {
        let subjects: Vec<String> = [
            "orders-value",
            "orders-shop.Refund",
            "orders-key",
            "orders2-value",
            "shop.Order",
        ]
        .map(String::from)
        .to_vec();
        let got: Vec<&str> = subjects_of("orders", &subjects)
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(got, ["orders-key", "orders-value", "orders-shop.Refund"]);
    }
}
