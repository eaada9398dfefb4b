//! Rate limits (GCRA): a steady rate with a burst allowance, per key of the caller's choosing
//! (an API key id, a client IP). Limits are per node; they protect the service and need no
//! agreement between nodes.

use std::collections::HashMap;
use std::sync::Mutex;

use portico_core::Timestamp;

/// A steady `per_second` rate with up to `burst` requests at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

/// Entries beyond this many trigger a sweep of the idle ones.
const SWEEP_AT: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    quota: Quota,
    /// Theoretical arrival time per key, in milliseconds.
    tat: Mutex<HashMap<String, i64>>,
}

impl RateLimiter {
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            tat: Mutex::new(HashMap::new()),
        }
    }

    fn interval_ms(&self) -> i64 {
        1000 / i64::from(self.quota.per_second.max(1))
    }

    /// `Ok` if a request of `key` at `now` is within the quota; else how many whole seconds
    /// to wait (for `Retry-After`, at least 1).
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        self.admit(key, now, true)
    }

    /// Like [`RateLimiter::check`], but uses up nothing: for limits on failures, which are
    /// counted only once a request has failed.
    pub fn peek(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        self.admit(key, now, false)
    }

    fn admit(&self, key: &str, now: Timestamp, take: bool) -> Result<(), u64> {
        let interval = self.interval_ms().max(1);
        let tolerance = interval * i64::from(self.quota.burst.max(1) - 1);
        let now = now.as_millis();
        let Ok(mut tat) = self.tat.lock() else {
            return Ok(());
        };
        if tat.len() >= SWEEP_AT {
            tat.retain(|_, t| *t > now);
        }
        let current = tat.get(key).copied().unwrap_or(now).max(now);
        let allowed_at = current - tolerance;
        if now < allowed_at {
            let wait_ms = allowed_at - now;
            return Err(((wait_ms + 999) / 1000).max(1) as u64);
        }
        if take {
            tat.insert(key.to_owned(), current + interval);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let limiter = RateLimiter::new(Quota {
            per_second: 10,
            burst: 5,
        });
        let t = Timestamp::from_secs(1_000);
        for _ in 0..5 {
            assert!(limiter.check("a", t).is_ok());
        }
        assert_eq!(limiter.check("a", t), Err(1));
        assert_eq!(limiter.peek("a", t), Err(1));
        assert_eq!(limiter.peek("fresh", t), Ok(()));
        assert_eq!(limiter.peek("fresh", t), Ok(()), "asking counts nothing");
        // Another key has its own allowance.
        assert!(limiter.check("b", t).is_ok());
        // 100 ms later one more request fits.
        let later = Timestamp::from_millis(t.as_millis() + 100);
        assert!(limiter.check("a", later).is_ok());
        assert!(limiter.check("a", later).is_err());
    }

    #[test]
    fn peeking_uses_up_nothing() {
        let limiter = RateLimiter::new(Quota {
            per_second: 1,
            burst: 2,
        });
        let t = Timestamp::from_secs(70);
        for _ in 0..5 {
            assert!(limiter.peek("k", t).is_ok());
        }
        assert!(limiter.check("k", t).is_ok());
        assert!(limiter.check("k", t).is_ok());
        assert_eq!(limiter.peek("k", t), Err(1));
    }

    #[test]
    fn retry_after_counts_whole_seconds() {
        let limiter = RateLimiter::new(Quota {
            per_second: 1,
            burst: 1,
        });
        let t = Timestamp::from_secs(50);
        assert!(limiter.check("k", t).is_ok());
        assert_eq!(limiter.check("k", t), Err(1));
        assert!(limiter.check("k", t.plus_secs(1)).is_ok());
    }
}
