//! Kafka error codes as sentences for the person who asked for a change: what happened to
//! what, and what to do about it (issue 13: "errors are sentences"). Pure; one table for every
//! management operation, whichever client (librdkafka's admin API or Kafscope's own
//! protocol connections) got the code — both carry Kafka's numbers.

use kafka_protocol::error::ResponseError;

/// What an error asks of the user, and so the HTTP status it is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The principal Kafscope connects as lacks an ACL (403).
    NotAuthorized,
    /// The thing named does not exist (404).
    NotFound,
    /// The request conflicts with the cluster's state: a live group, an existing topic,
    /// a reassignment running (409).
    Conflict,
    /// The request itself is wrong for this cluster: a bad value, a policy (400).
    Invalid,
    /// Transient: leadership moving, a coordinator loading, a quota; trying again helps (503).
    Retry,
    /// The broker does not do this (501).
    Unsupported,
}

/// What the change was about, to name it in the sentence.
#[derive(Debug, Clone, Copy, Default)]
pub struct About<'a> {
    pub topic: Option<&'a str>,
    pub group: Option<&'a str>,
    pub partition: Option<i32>,
    pub broker: Option<i32>,
}

impl About<'_> {
    fn topic(&self) -> String {
        match (self.topic, self.partition) {
            (Some(t), Some(p)) => format!("partition {p} of topic '{t}'"),
            (Some(t), None) => format!("topic '{t}'"),
            (None, Some(p)) => format!("partition {p}"),
            (None, None) => "the topic".into(),
        }
    }

    fn group(&self) -> String {
        self.group.map_or("the consumer group".into(), |g| {
            format!("consumer group '{g}'")
        })
    }
}

/// A Kafka error, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub code: i16,
    /// Kafka's name for it: `POLICY_VIOLATION`.
    pub name: String,
    pub class: Class,
    /// What happened and what to do, then the broker's own message when it gave one.
    pub sentence: String,
}

/// `PolicyViolation` → `POLICY_VIOLATION`.
fn kafka_name(e: &ResponseError) -> String {
    let debug = format!("{e:?}");
    let mut out = String::with_capacity(debug.len() + 8);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// Explain error `code` for a change `about` something; `broker_message` is the text the
/// broker sent with it, if any (a policy's reason, for instance).
pub fn advice(code: i16, about: &About<'_>, broker_message: Option<&str>) -> Advice {
    use Class::*;
    use ResponseError as E;
    let err = ResponseError::try_from_code(code).unwrap_or(E::Unknown(code));
    let (class, what) = match err {
        E::PolicyViolation => (
            Invalid,
            "the cluster's create/alter policy refuses this: change the request to fit it, or ask whoever runs the cluster".to_string(),
        ),
        E::InvalidReplicationFactor => (
            Invalid,
            "the replication factor is below 1 or above the number of live brokers: choose one the live brokers can hold".into(),
        ),
        E::InvalidPartitions => (
            Invalid,
            "the partition count is not valid here: a topic needs at least one partition, and partitions can only be added, never removed".into(),
        ),
        E::InvalidReplicaAssignment => (
            Invalid,
            "the replica assignment names brokers that do not exist or repeats one: assign each partition to distinct live brokers".into(),
        ),
        E::InvalidConfig => (
            Invalid,
            "a configuration value is not valid for this key: check its type, unit and range".into(),
        ),
        E::InvalidTopicException => (
            Invalid,
            "the topic name is not valid: up to 249 characters of letters, digits, '.', '_' and '-', not '.' or '..'".into(),
        ),
        E::InvalidRequest => (Invalid, "the broker refused the request".into()),
        E::InvalidGroupId => (Invalid, "the consumer group id is not valid".into()),
        E::OffsetOutOfRange => (
            Invalid,
            format!("the offset is outside {}'s retained records: pick one between the log start and the end", about.topic()),
        ),
        E::TopicAlreadyExists => (
            Conflict,
            format!("{} already exists", about.topic()),
        ),
        E::NonEmptyGroup => (
            Conflict,
            format!("{} still has members: stop its consumers first (offsets can only be changed while it is empty)", about.group()),
        ),
        E::GroupSubscribedToTopic => (
            Conflict,
            format!("{} is subscribed to {} right now: stop its consumers, or unsubscribe them from it, before deleting its offsets", about.group(), about.topic()),
        ),
        E::ReassignmentInProgress => (
            Conflict,
            "a partition reassignment is running: wait for it to finish".into(),
        ),
        E::TopicDeletionDisabled => (
            Conflict,
            "topic deletion is disabled on this cluster (delete.topic.enable=false)".into(),
        ),
        E::ElectionNotNeeded => (
            Conflict,
            format!("{} is already led by its preferred leader: nothing to do", about.topic()),
        ),
        E::UnknownTopicOrPartition | E::UnknownTopicId => (
            NotFound,
            format!("{} does not exist (deleted meanwhile, or not yet known to this broker)", about.topic()),
        ),
        E::GroupIdNotFound => (NotFound, format!("{} does not exist", about.group())),
        E::ResourceNotFound => (NotFound, "the resource does not exist".into()),
        E::TopicAuthorizationFailed => (
            NotAuthorized,
            format!("Kafscope's Kafka principal may not do this on {}: grant it the ACL the operation needs (for example ALTER or DELETE on the topic)", about.topic()),
        ),
        E::GroupAuthorizationFailed => (
            NotAuthorized,
            format!("Kafscope's Kafka principal may not do this on {}: grant it the ACL the operation needs (for example DELETE or READ on the group)", about.group()),
        ),
        E::ClusterAuthorizationFailed => (
            NotAuthorized,
            "Kafscope's Kafka principal may not do this on the cluster: grant it the ACL the operation needs (ALTER or ALTER_CONFIGS on the cluster)".into(),
        ),
        E::PreferredLeaderNotAvailable | E::EligibleLeadersNotAvailable => (
            Retry,
            format!("{}'s preferred leader is not in sync or not alive: bring that broker back, then try again", about.topic()),
        ),
        E::NotController | E::NotCoordinator | E::CoordinatorNotAvailable | E::CoordinatorLoadInProgress
        | E::LeaderNotAvailable | E::NotLeaderOrFollower | E::RebalanceInProgress => (
            Retry,
            "leadership or a coordinator is moving: try again in a few seconds".into(),
        ),
        E::RequestTimedOut | E::NetworkException => (
            Retry,
            "the broker did not answer in time: the change may or may not have been made; look at the current state before trying again".into(),
        ),
        E::ThrottlingQuotaExceeded => (
            Retry,
            "the cluster's controller mutation quota is used up: try again shortly".into(),
        ),
        E::KafkaStorageError => (
            Retry,
            format!("a log directory holding {} is offline on its broker", about.topic()),
        ),
        E::UnsupportedVersion => (
            Unsupported,
            "this broker does not support the request (too old a Kafka version)".into(),
        ),
        E::SecurityDisabled => (
            Unsupported,
            "the broker has no authorizer: ACLs cannot be read or changed".into(),
        ),
        other => (
            if other.is_retriable() { Retry } else { Invalid },
            format!("the broker answered with error {code}"),
        ),
    };
    let name = kafka_name(&err);
    let mut sentence = format!("{what} ({name})");
    if let Some(m) = broker_message.map(str::trim).filter(|m| !m.is_empty()) {
        let m: String = m.chars().take(500).collect();
        sentence.push_str(&format!("; the broker said: {m}"));
    }
    if let Some(b) = about.broker {
        sentence.push_str(&format!(" [broker {b}]"));
    }
    Advice {
        code,
        name,
        class,
        sentence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_become_what_to_do_with_the_thing_named() {
        let a = advice(
            68,
            &About {
                group: Some("orders"),
                ..Default::default()
            },
            None,
        );
        assert_eq!(a.class, Class::Conflict);
        assert_eq!(a.name, "NON_EMPTY_GROUP");
        assert!(
            a.sentence
                .starts_with("consumer group 'orders' still has members: stop its consumers first"),
            "{}",
            a.sentence
        );
        let a = advice(
            86,
            &About {
                group: Some("orders"),
                topic: Some("payments"),
                ..Default::default()
            },
            None,
        );
        assert!(
            a.sentence
                .contains("consumer group 'orders' is subscribed to topic 'payments'"),
            "{}",
            a.sentence
        );
        assert_eq!(a.name, "GROUP_SUBSCRIBED_TO_TOPIC");
        let a = advice(
            3,
            &About {
                topic: Some("t"),
                partition: Some(7),
                broker: Some(2),
                ..Default::default()
            },
            None,
        );
        assert_eq!(a.class, Class::NotFound);
        assert!(a
            .sentence
            .starts_with("partition 7 of topic 't' does not exist"));
        assert!(
            a.sentence
                .ends_with("(UNKNOWN_TOPIC_OR_PARTITION) [broker 2]"),
            "{}",
            a.sentence
        );
    }

    #[test]
    fn the_brokers_own_reason_follows_and_is_bounded() {
        let a = advice(
            44,
            &About::default(),
            Some("Topic replication factor must be at least 3. "),
        );
        assert_eq!(a.class, Class::Invalid);
        assert!(
            a.sentence.ends_with(
                "(POLICY_VIOLATION); the broker said: Topic replication factor must be at least 3."
            ),
            "{}",
            a.sentence
        );
        let long = "x".repeat(5_000);
        assert!(advice(44, &About::default(), Some(&long)).sentence.len() < 800);
    }

    #[test]
    fn classes_follow_what_the_user_can_do() {
        let about = About::default();
        assert_eq!(advice(29, &about, None).class, Class::NotAuthorized);
        assert_eq!(advice(38, &about, None).class, Class::Invalid);
        assert_eq!(advice(36, &about, None).class, Class::Conflict);
        assert_eq!(advice(84, &about, None).class, Class::Conflict);
        assert_eq!(advice(41, &about, None).class, Class::Retry);
        assert_eq!(advice(7, &about, None).class, Class::Retry);
        assert!(advice(7, &about, None)
            .sentence
            .contains("may or may not have been made"));
        assert_eq!(advice(35, &about, None).class, Class::Unsupported);
        // Codes without a sentence of their own still name themselves.
        let a = advice(47, &about, None);
        assert_eq!(
            (a.class, a.name.as_str()),
            (Class::Invalid, "INVALID_PRODUCER_EPOCH")
        );
        let a = advice(9999, &about, None);
        assert!(
            a.sentence
                .starts_with("the broker answered with error 9999"),
            "{}",
            a.sentence
        );
    }
}
