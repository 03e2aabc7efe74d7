//! Pieces of the health sentences: broker names, lists, ISR phrases.

use std::collections::BTreeSet;

use kafscope_api::fmt;
use kafscope_api::{Broker, PartitionInfo};

/// "Broker 2 (kafka-2:9092)", or "Broker 2" when its address was never seen.
pub fn broker_name(b: &Broker) -> String {
    match (&b.host, b.port) {
        (Some(h), Some(p)) => format!("Broker {} ({h}:{p})", b.id),
        _ => format!("Broker {}", b.id),
    }
}

/// "broker 2", "brokers 2 and 3", "brokers 1, 2 and 3".
pub fn broker_list(ids: &[i32], _brokers: &[Broker]) -> String {
    let names: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    match names.len() {
        0 => "no broker".to_string(),
        1 => format!("broker {}", names[0]),
        n => format!("brokers {} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// "1 of 3", or "1–2 of 3" when the partitions differ, or "1 of 2–3".
pub fn isr_phrase(parts: &[&PartitionInfo]) -> String {
    let isr: BTreeSet<usize> = parts.iter().map(|p| p.isr.len()).collect();
    let rf: BTreeSet<usize> = parts.iter().map(|p| p.replicas.len()).collect();
    format!("{} of {}", range(&isr), range(&rf))
}

fn range(v: &BTreeSet<usize>) -> String {
    match (v.first(), v.last()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "?".to_string(),
    }
}

/// "Partition 4 of orders" or "3 partitions of orders".
pub fn partitions_of(n: usize, topic: &str) -> String {
    if n == 1 {
        format!("1 partition of {topic}")
    } else {
        format!("{} partitions of {topic}", fmt::count(n))
    }
}
