//! Topic rules checked before the broker is asked: names as Kafka accepts them, sizes within
//! bounds, and what a purge removes per partition.

use kafscope_api::PurgeItem;

/// More partitions than this in one request is a typo, not a plan.
pub const MAX_PARTITIONS: i32 = 100_000;

pub use kafscope_api::valid_topic_name as valid_name;

/// Kafka's warning: `.` and `_` become the same in metric names, so `a.b` and `a_b` collide.
pub fn collision<'a>(name: &str, existing: impl Iterator<Item = &'a String>) -> Option<String> {
    let key = |s: &str| s.replace('.', "_");
    let mine = key(name);
    existing
        .filter(|e| e.as_str() != name && key(e) == mine)
        .map(|e| {
            format!(
                "'{name}' and the existing topic '{e}' differ only in '.' and '_': their metrics will share one name"
            )
        })
        .next()
}

/// Partitions and replication factor for a new topic, against the brokers alive now.
pub fn valid_size(
    partitions: i32,
    replication_factor: i16,
    live_brokers: usize,
) -> Result<(), String> {
    if !(1..=MAX_PARTITIONS).contains(&partitions) {
        return Err(format!(
            "partitions must be between 1 and {MAX_PARTITIONS}; got {partitions}"
        ));
    }
    if replication_factor < 1 {
        return Err(format!(
            "the replication factor must be at least 1; got {replication_factor}"
        ));
    }
    if replication_factor as usize > live_brokers {
        return Err(format!(
            "a replication factor of {replication_factor} needs {replication_factor} brokers; {live_brokers} are alive"
        ));
    }
    Ok(())
}

/// What deleting records before `before` (already resolved to an offset per partition)
/// removes from a partition holding `earliest..latest`.
pub fn purge_item(partition: i32, earliest: i64, latest: i64, before: i64) -> PurgeItem {
    let new_earliest = before.clamp(earliest, latest.max(earliest));
    PurgeItem {
        partition,
        earliest,
        latest,
        new_earliest,
        records: new_earliest - earliest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kafkas_rules() {
        assert!(valid_name("orders.v2_eu-1").is_ok());
        assert!(valid_name("").is_err());
        assert!(valid_name("..").is_err());
        assert!(valid_name("a b").unwrap_err().contains("' '"));
        assert!(valid_name(&"x".repeat(250)).unwrap_err().contains("250"));
        assert!(valid_name("ünicode").is_err());
        let existing = ["orders_v2".to_string(), "other".to_string()];
        assert!(collision("orders.v2", existing.iter())
            .unwrap()
            .contains("orders_v2"));
        assert!(collision("orders.v3", existing.iter()).is_none());
    }

    #[test]
    fn sizes_are_bounded_by_the_live_brokers() {
        assert!(valid_size(3, 3, 3).is_ok());
        assert!(valid_size(3, 4, 3).unwrap_err().contains("3 are alive"));
        assert!(valid_size(0, 1, 3).is_err());
        assert!(valid_size(1, 0, 3).is_err());
    }

    #[test]
    fn a_purge_removes_what_lies_before_its_offset() {
        let i = purge_item(0, 100, 500, 250);
        assert_eq!((i.new_earliest, i.records), (250, 150));
        assert_eq!(purge_item(0, 100, 500, 50).records, 0);
        assert_eq!(purge_item(0, 100, 500, 9_999).records, 400);
    }
}
