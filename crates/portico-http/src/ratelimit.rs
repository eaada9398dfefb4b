//! Rate limits: governor's GCRA (a steady rate with a burst allowance) per key of the caller's
//! choosing (an API key id, a client address). Limits are per node; they protect the service and
//! need no agreement between nodes.

use std::cell::Cell;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};

use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{HashMapStateStore, ShrinkableKeyedStateStore};

use portico_core::Timestamp;

/// A steady `per_second` rate with up to `burst` requests at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub per_second: u32,
    pub burst: u32,
}

impl Quota {
    fn governor(self) -> governor::Quota {
        let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        governor::Quota::per_second(nonzero(self.per_second)).allow_burst(nonzero(self.burst))
    }
}

/// Keys are swept once there are this many; see [`RateLimiter::sweep`].
const SWEEP_AT: usize = 100_000;

/// Requests per key within a [`Quota`], at the time each caller passes.
pub struct RateLimiter {
    /// Names the limiter in metrics: `api`, `exchange`, `auth_failures`.
    name: &'static str,
    quota: Quota,
    gcra: governor::RateLimiter<Probe, Keys, Given, NoOpMiddleware<Nanos>>,
    /// The number of keys at which the next sweep happens.
    sweep_at: AtomicUsize,
    min_sweep_at: usize,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("name", &self.name)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(name: &'static str, quota: Quota) -> Self {
        Self::sweeping_at(name, quota, SWEEP_AT)
    }

    fn sweeping_at(name: &'static str, quota: Quota, min_sweep_at: usize) -> Self {
        // Time zero of governor's arithmetic is the Unix epoch.
        let gcra = Given::at(Nanos::new(0), || {
            governor::RateLimiter::new(quota.governor(), Keys::default(), Given)
        });
        Self {
            name,
            quota,
            gcra,
            sweep_at: AtomicUsize::new(min_sweep_at),
            min_sweep_at,
        }
    }

    /// `Ok` if a request of `key` at `now` is within the quota, and counts it; else how many
    /// whole seconds to wait (for `Retry-After`, at least 1).
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        self.admit(key, now, true).inspect_err(|_| self.refused())
    }

    /// Like [`RateLimiter::check`], but uses up nothing: for limits on failures, which are
    /// counted only once a request has failed.
    pub fn peek(&self, key: &str, now: Timestamp) -> Result<(), u64> {
        self.admit(key, now, false).inspect_err(|_| self.refused())
    }

    /// Counts one request of `key` that has already been answered (a failure, for a limit on
    /// failures): a request over the quota is not refused here, so it is not counted as one.
    pub fn spend(&self, key: &str, now: Timestamp) {
        let _ = self.admit(key, now, true);
    }

    fn admit(&self, key: &str, now: Timestamp, spend: bool) -> Result<(), u64> {
        let probe = Probe {
            key: key.to_owned(),
            spend,
        };
        let now = Given::nanos(now);
        Given::at(now, || {
            let answer = self.gcra.check_key(&probe).map_err(|not_until| {
                let wait = not_until.wait_time_from(now);
                u64::try_from(wait.as_millis().div_ceil(1000))
                    .unwrap_or(u64::MAX)
                    .max(1)
            });
            if spend {
                self.sweep();
            }
            answer
        })
    }

    fn refused(&self) {
        metrics::counter!("portico_rate_limited_total", "limiter" => self.name).increment(1);
    }

    /// Drops the keys whose allowance is whole again (they are the same as absent ones), once
    /// there are [`SWEEP_AT`] keys or twice as many as the last sweep kept: memory stays within
    /// twice the keys seen within one burst's time, whatever number of keys a client rotates
    /// through, and each request pays for a constant share of the sweeps.
    fn sweep(&self) {
        if self.gcra.len() < self.sweep_at.load(Ordering::Relaxed) {
            return;
        }
        self.gcra.retain_recent();
        self.gcra.shrink_to_fit();
        let kept = self.gcra.len();
        self.sweep_at.store(
            kept.saturating_mul(2).max(self.min_sweep_at),
            Ordering::Relaxed,
        );
    }

    #[cfg(test)]
    fn keys(&self) -> usize {
        self.gcra.len()
    }
}

thread_local! {
    static GIVEN: Cell<Nanos> = const { Cell::new(Nanos::new(0)) };
}

/// The time the caller of [`RateLimiter::check`] passed, for governor, which asks a clock: it is
/// set on the calling thread for the length of one synchronous call into governor, so each
/// decision is made at exactly the time its caller named (the server's clock, or a test's).
#[derive(Debug, Clone, Copy)]
struct Given;

impl Given {
    fn nanos(t: Timestamp) -> Nanos {
        let millis = u64::try_from(t.as_millis()).unwrap_or(0);
        Nanos::from(millis.saturating_mul(1_000_000))
    }

    fn at<T>(now: Nanos, f: impl FnOnce() -> T) -> T {
        let before = GIVEN.replace(now);
        let answer = f();
        GIVEN.set(before);
        answer
    }
}

impl governor::clock::Clock for Given {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        GIVEN.get()
    }
}

/// A question to the limiter about a key: count a request, or only tell whether one would be
/// admitted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe {
    key: String,
    spend: bool,
}

/// Governor's in-memory store, with the state of each key kept once whatever the question.
#[derive(Default)]
struct Keys(HashMapStateStore<String>);

impl StateStore for Keys {
    type Key = Probe;

    fn measure_and_replace<T, F, E>(&self, probe: &Probe, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if probe.spend {
            return self.0.measure_and_replace(&probe.key, f);
        }
        // A key never seen is admitted as a fresh one, and is not stored for having been asked.
        if !self.0.lock().contains_key(&probe.key) {
            return f(None).map(|(answer, _)| answer);
        }
        // The state is put back as it was found (a state of zero is the fresh one).
        self.0.measure_and_replace(&probe.key, |state| {
            f(state).map(|(answer, _)| (answer, state.unwrap_or_default()))
        })
    }
}

impl ShrinkableKeyedStateStore<Probe> for Keys {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        ShrinkableKeyedStateStore::len(&self.0)
    }

    fn is_empty(&self) -> bool {
        ShrinkableKeyedStateStore::is_empty(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter::new("test", Quota { per_second, burst })
    }

    fn later(t: Timestamp, millis: i64) -> Timestamp {
        Timestamp::from_millis(t.as_millis() + millis)
    }

    #[test]
    fn burst_then_steady_rate() {
        let limiter = limiter(10, 5);
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
        assert!(limiter.check("a", later(t, 100)).is_ok());
        assert!(limiter.check("a", later(t, 100)).is_err());
    }

    #[test]
    fn peeking_uses_up_nothing() {
        let limiter = limiter(1, 2);
        let t = Timestamp::from_secs(70);
        for _ in 0..5 {
            assert!(limiter.peek("k", t).is_ok());
        }
        assert!(limiter.check("k", t).is_ok());
        for _ in 0..5 {
            assert!(limiter.peek("k", t).is_ok(), "one request of two is left");
        }
        limiter.spend("k", t);
        assert_eq!(limiter.peek("k", t), Err(1));
        assert!(limiter.peek("never counted", t).is_ok());
        assert_eq!(limiter.keys(), 1, "peeking at a fresh key stores nothing");
    }

    #[test]
    fn retry_after_counts_whole_seconds() {
        let limiter = limiter(1, 1);
        let t = Timestamp::from_secs(50);
        assert!(limiter.check("k", t).is_ok());
        assert_eq!(limiter.check("k", t), Err(1));
        assert_eq!(
            limiter.check("k", later(t, 999)),
            Err(1),
            "1 ms is a whole second"
        );
        assert!(limiter.check("k", t.plus_secs(1)).is_ok());
        // Each decision is made at the time passed, whatever other limiters were asked last on
        // the same thread.
        let other = RateLimiter::new(
            "other",
            Quota {
                per_second: 1,
                burst: 1,
            },
        );
        assert!(other.check("k", t.plus_secs(60)).is_ok());
        assert_eq!(limiter.check("k", t.plus_secs(1)), Err(1));
    }

    #[test]
    fn keys_rotated_through_do_not_grow_memory() {
        let quota = Quota {
            per_second: 10,
            burst: 2,
        };
        let limiter = RateLimiter::sweeping_at("test", quota, 16);
        let start = Timestamp::from_secs(1_000);
        let mut most = 0;
        for n in 0..2_000 {
            let t = later(start, 50 * n);
            assert!(limiter.check(&format!("198.51.100.{n}"), t).is_ok());
            most = most.max(limiter.keys());
        }
        assert!(most <= 16, "{most} keys kept at once");
        // Keys still within their burst window are kept: their allowance is not whole yet.
        let busy = RateLimiter::sweeping_at("test", quota, 4);
        for n in 0..10 {
            assert!(busy.check(&n.to_string(), start).is_ok());
        }
        assert_eq!(busy.keys(), 10);
    }
}
