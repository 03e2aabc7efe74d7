//! Failed sign-ins per user and address, and per address alone, in a sliding window: after
//! too many, further attempts are refused until the oldest failure leaves the window. Pure
//! apart from the clock passed in; bounded in memory.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Keys remembered at most (the oldest are dropped past this).
const MAX_KEYS: usize = 10_000;

pub struct LoginLimiter {
    per_user: u32,
    per_addr: u32,
    window_ms: i64,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl LoginLimiter {
    pub fn new(per_user: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_user,
            // One address may try several users, not endlessly.
            per_addr: per_user.saturating_mul(4),
            window_ms: window.as_millis() as i64,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(user: &str, addr: Option<IpAddr>) -> (String, String) {
        let a = addr.map(|a| a.to_string()).unwrap_or_default();
        (format!("u:{}|{a}", user.to_lowercase()), format!("a:{a}"))
    }

    /// `Err(seconds to wait)` when this user and address have failed too often.
    pub fn check(&self, user: &str, addr: Option<IpAddr>, now: i64) -> Result<(), u64> {
        let (ku, ka) = Self::keys(user, addr);
        let Ok(mut f) = self.failures.lock() else {
            return Ok(());
        };
        let mut wait = 0i64;
        for (k, max) in [(ku, self.per_user), (ka, self.per_addr)] {
            if let Some(q) = f.get_mut(&k) {
                while q.front().is_some_and(|t| now - t >= self.window_ms) {
                    q.pop_front();
                }
                if q.len() >= max as usize {
                    let first = *q.front().unwrap_or(&now);
                    wait = wait.max(first + self.window_ms - now);
                }
            }
        }
        if wait > 0 {
            Err(((wait + 999) / 1000) as u64)
        } else {
            Ok(())
        }
    }

    pub fn failed(&self, user: &str, addr: Option<IpAddr>, now: i64) {
        let (ku, ka) = Self::keys(user, addr);
        if let Ok(mut f) = self.failures.lock() {
            if f.len() >= MAX_KEYS {
                let window = self.window_ms;
                f.retain(|_, q| q.back().is_some_and(|t| now - t < window));
                if f.len() >= MAX_KEYS {
                    f.clear();
                }
            }
            for k in [ku, ka] {
                f.entry(k).or_default().push_back(now);
            }
        }
    }

    /// A successful sign-in clears the user's failures (not the address's).
    pub fn succeeded(&self, user: &str, addr: Option<IpAddr>) {
        let (ku, _) = Self::keys(user, addr);
        if let Ok(mut f) = self.failures.lock() {
            f.remove(&ku);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_failures_wait_out_the_window() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let a: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        for t in 0..3 {
            assert!(l.check("Ann", a, t * 1000).is_ok());
            l.failed("ann", a, t * 1000);
        }
        assert_eq!(l.check("ann", a, 3_000), Err(57));
        // Another address is not blocked for this user …
        assert!(l
            .check("ann", Some("10.0.0.2".parse().unwrap()), 3_000)
            .is_ok());
        // … and the window passes.
        assert!(l.check("ann", a, 60_001).is_ok());
        // One address trying many users is stopped too.
        let b: Option<IpAddr> = Some("10.9.9.9".parse().unwrap());
        for i in 0..12 {
            l.failed(&format!("user{i}"), b, 1_000);
        }
        assert!(l.check("someone-new", b, 2_000).is_err());
        l.succeeded("ann", a);
        assert!(l.check("ann", a, 3_000).is_ok());
    }
}
