//! Webhook delivery from the durable outbox: every notification is a row before any attempt;
//! attempts retry with exponential backoff and jitter; a notification older than `max_age`
//! becomes a visible dead letter. Each request carries the notification's idempotency key
//! (`Idempotency-Key` header and in the body), so a receiver can drop the duplicate that a
//! crash between "sent" and "recorded" may cause.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::config::Receiver;
use crate::collect::now_ms;
use crate::store::alerts::Due;
use crate::store::Store;

const FIRST_RETRY_MS: i64 = 2_000;
const MAX_RETRY_MS: i64 = 5 * 60_000;
const BATCH: i64 = 50;

/// Delay before attempt `attempts + 1`: 2 s × 2^attempts, at most 5 min, ±20 % jitter.
pub fn backoff_ms(attempts: i64, jitter: f64) -> i64 {
    let base = FIRST_RETRY_MS
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(MAX_RETRY_MS);
    (base as f64 * (0.8 + 0.4 * jitter.clamp(0.0, 1.0))) as i64
}

/// A number in [0, 1) that differs per row and attempt (spreads retries of many rows).
fn jitter(id: i64, attempts: i64) -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_i64(id);
    h.write_i64(attempts);
    (h.finish() % 10_000) as f64 / 10_000.0
}

pub struct Deliverer {
    pub store: Store,
    pub receivers: Arc<Vec<Receiver>>,
    pub max_age_ms: i64,
    pub wake: Arc<Notify>,
    client: reqwest::Client,
}

impl Deliverer {
    pub fn new(
        store: Store,
        receivers: Arc<Vec<Receiver>>,
        max_age: Duration,
        wake: Arc<Notify>,
    ) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("kafscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Deliverer {
            store,
            receivers,
            max_age_ms: max_age.as_millis() as i64,
            wake,
            client,
        }
    }

    /// Attempt every due notification once; returns how many were delivered.
    pub async fn run_once(&self) -> usize {
        let now = now_ms();
        let due = match self.store.due_notifications(now, BATCH).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the outbox");
                return 0;
            }
        };
        let mut delivered = 0;
        for d in due {
            let outcome = self.attempt(&d).await;
            let now = now_ms();
            let r = match outcome {
                Ok(()) => {
                    delivered += 1;
                    self.store.mark_delivered(d.id, now).await
                }
                Err(why) => {
                    let dead = now - d.created_ms >= self.max_age_ms;
                    if dead {
                        tracing::warn!(receiver = %d.receiver, key = %d.idempotency_key, error = %why, "notification is a dead letter");
                    }
                    let next = now + backoff_ms(d.attempts, jitter(d.id, d.attempts));
                    self.store.mark_failed(d.id, &why, next, dead).await
                }
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "cannot record a delivery attempt");
            }
        }
        delivered
    }

    async fn attempt(&self, d: &Due) -> Result<(), String> {
        let Some(r) = self.receivers.iter().find(|r| r.name == d.receiver) else {
            return Err(format!("receiver '{}' is no longer configured", d.receiver));
        };
        let mut req = self
            .client
            .post(&r.url)
            .header("content-type", "application/json")
            .header("idempotency-key", &d.idempotency_key)
            .body(d.payload.clone());
        for (k, v) in &r.headers {
            req = req.header(k, v);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => Ok(()),
            Ok(resp) => Err(format!("HTTP {}", resp.status())),
            Err(e) => Err(crate::metrics::scrape::describe(&e)),
        }
    }

    /// Run until `stop` resolves: after every wake-up and at least every second.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            self.run_once().await;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        assert_eq!(backoff_ms(0, 0.5), 2_000);
        assert_eq!(backoff_ms(1, 0.5), 4_000);
        assert_eq!(backoff_ms(3, 0.5), 16_000);
        assert_eq!(backoff_ms(30, 0.5), 300_000);
        assert_eq!(backoff_ms(0, 0.0), 1_600);
        assert_eq!(backoff_ms(0, 1.0), 2_400);
        let j = jitter(1, 1);
        assert!((0.0..1.0).contains(&j));
    }
}
