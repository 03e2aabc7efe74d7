//! Broker metrics: Prometheus endpoints (JMX exporter, Strimzi, MSK, Redpanda) and JMX
//! through Jolokia, mapped to one set of known metrics. Parsing and mapping are pure;
//! `scrape` does the HTTP.

pub mod jolokia;
pub mod mapping;
pub mod prometheus;
pub mod scrape;

#[cfg(test)]
mod tests;
