//! The read cache in front of the SQL store: what nearly every request reads (API keys,
//! accounts, customers, contacts, signing keys, browser sessions, a customer's page data) is
//! served from memory, and kept correct on every node by announcing every change.
//!
//! Every cached value belongs to a scope: an account, or one customer of an account. A write
//! transaction names the scopes it changes (see `WriteTx::changed`), announces them in the same
//! transaction, and drops them from this node's cache once it has committed. How the other nodes
//! learn of them depends on the database:
//!
//! - PostgreSQL: the transaction sends them with `NOTIFY` on the channel `portico_changes`;
//!   PostgreSQL delivers them only if it commits, in commit order, to every node listening on its
//!   own connection. No row is shared between writers: two writes of different accounts never
//!   wait for each other (committing notifications is serialised only for the commit itself).
//! - SQLite: one process serves, but the command line may write to the same file; the scopes go
//!   to the `changes` table, whose counter row adds no lock beyond SQLite's one write lock.
//!
//! [`crate::Store::sync`] brings this node up to date, in rounds shared by every caller: a round
//! makes one round trip on the listening connection and applies every notification that arrived
//! before its answer (PostgreSQL 14 or later sends them first), or reads the `changes` table past
//! what this node has applied, in pages. Every request awaits a round that started at most the
//! sync's lag before it arrived (2 ms in the server, `CHANGE_LAG`). **The bound:** a request sees
//! every change its own node made, at once, and every change another node (or process) committed
//! more than that lag before it arrived. With no request waiting, a round still runs every second.
//!
//! However many changes arrive at once, only their scopes are dropped. The whole cache is dropped
//! only when changes may have been missed: when the listening connection is lost or a round trip
//! on it takes over 5 s (notifications sent meanwhile are gone, so the next round listens afresh
//! and drops everything once it listens), or when the SQLite log was purged past this node. A
//! missed change therefore costs cache misses, never a stale answer beyond the bound.
//!
//! Dropping is lazy: each scope has an epoch, bumped by a change; an entry remembers the epochs of
//! its scope when it was filled and is stale once either differs. A fill that raced with a
//! change is not kept (the change counter moved while it read), so an old value never outlives the
//! change that replaced it.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use portico_core::{AccountId, CustomerId};

/// What a write changed: the whole account (`customer: None`) or one customer's records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    pub account: AccountId,
    pub customer: Option<CustomerId>,
}

impl Change {
    pub fn account(account: &AccountId) -> Self {
        Change {
            account: account.clone(),
            customer: None,
        }
    }

    pub fn customer(account: &AccountId, customer: &CustomerId) -> Self {
        Change {
            account: account.clone(),
            customer: Some(customer.clone()),
        }
    }
}

/// A cache key: which lookup, and its arguments as text.
pub type Key = (&'static str, String);

/// At most this many values are kept; a full cache starts over (the working set refills it).
const MAX_ENTRIES: usize = 50_000;
/// At most this many scopes keep an epoch (those changed and those values were kept under);
/// past it every epoch and every value is dropped.
const MAX_EPOCHS: usize = 200_000;

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    /// Where the epochs of its scope are kept: the account's, and its customer's if it has one.
    slots: Slots,
    account_epoch: u64,
    customer_epoch: u64,
    expires: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Slots {
    account: usize,
    customer: Option<usize>,
}

/// The maps of the cache: hashed with a fast hasher keyed afresh for each map at start, so that
/// a lookup costs little and the keys a stranger chooses (aliases, ids) cannot be aimed at one
/// bucket.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Where the epochs of an account and of its customers are kept.
struct Epochs {
    slot: usize,
    customers: Map<CustomerId, usize>,
}

#[derive(Default)]
struct State {
    /// Bumped by every change applied: a fill that saw it move does not keep its value.
    changes_applied: u64,
    /// Source of epochs; never reused, so a dropped and recreated scope cannot look unchanged.
    next_epoch: u64,
    /// The slot of each scope a value was kept under or a change named: account, then customer.
    accounts: Map<AccountId, Epochs>,
    /// The epoch of each scope, by slot: an entry remembers its slots, so that a lookup reads
    /// its scope's epochs without hashing an id.
    epochs: Vec<u64>,
    entries: Map<Key, Entry>,
}

impl State {
    /// The slots of `scope`'s epochs, made (at epoch 0) if it has none yet.
    fn slots(&mut self, scope: &Change) -> Slots {
        let State {
            accounts, epochs, ..
        } = self;
        let mut new_slot = || {
            epochs.push(0);
            epochs.len() - 1
        };
        let account = match accounts.get_mut(&scope.account) {
            Some(e) => e,
            None => accounts
                .entry(scope.account.clone())
                .or_insert_with(|| Epochs {
                    slot: new_slot(),
                    customers: Map::default(),
                }),
        };
        let customer = scope
            .customer
            .as_ref()
            .map(|c| match account.customers.get(c) {
                Some(slot) => *slot,
                None => {
                    let slot = new_slot();
                    account.customers.insert(c.clone(), slot);
                    slot
                }
            });
        Slots {
            account: account.slot,
            customer,
        }
    }

    fn epochs(&self, slots: Slots) -> (u64, u64) {
        let customer = slots.customer.map_or(0, |s| self.epochs[s]);
        (self.epochs[slots.account], customer)
    }

    fn drop_everything(&mut self) {
        self.entries.clear();
        self.accounts.clear();
        self.epochs.clear();
    }
}

/// Where a fill stood before it read the database; see [`Cache::put`].
#[derive(Debug, Clone, Copy)]
pub struct FillToken(u64);

#[derive(Default)]
pub struct Cache {
    state: Mutex<State>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

impl Cache {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves maps that are still consistent; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value under `key`, unless a change of its scope or its age made it stale.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, key: &Key) -> Option<T> {
        let found = self.lookup(key);
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("portico_store_cache_lookups_total", "result" => result).increment(1);
        found
    }

    fn lookup<T: Clone + Send + Sync + 'static>(&self, key: &Key) -> Option<T> {
        let value = {
            let mut state = self.state();
            let entry = state.entries.get(key)?;
            let fresh = entry.expires > Instant::now()
                && state.epochs(entry.slots) == (entry.account_epoch, entry.customer_epoch);
            if !fresh {
                state.entries.remove(key);
                return None;
            }
            Arc::clone(&entry.value)
        };
        // Copied out after the lock is released: a hit holds it for a pointer's copy only.
        value.downcast_ref::<T>().cloned()
    }

    /// Taken before reading the value to be cached.
    pub fn fill_token(&self) -> FillToken {
        FillToken(self.state().changes_applied)
    }

    /// Keeps `value` for at most `ttl`, unless a change was applied since `token` was taken: the
    /// value may then predate it.
    pub fn put<T: Send + Sync + 'static>(
        &self,
        token: FillToken,
        key: Key,
        scope: Change,
        ttl: Duration,
        value: T,
    ) {
        let mut state = self.state();
        if state.changes_applied != token.0 {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.clear();
        }
        if state.epochs.len() >= MAX_EPOCHS {
            state.drop_everything();
        }
        let slots = state.slots(&scope);
        let (account_epoch, customer_epoch) = state.epochs(slots);
        state.entries.insert(
            key,
            Entry {
                value: Arc::new(value),
                slots,
                account_epoch,
                customer_epoch,
                expires: Instant::now() + ttl,
            },
        );
    }

    /// Changes a cached value in place (for bookkeeping such as last-seen times that no other
    /// reader depends on exactly).
    pub fn update<T: Clone + Send + Sync + 'static>(&self, key: &Key, change: impl FnOnce(&mut T)) {
        let mut state = self.state();
        if let Some(entry) = state.entries.get_mut(key)
            && let Some(value) = entry.value.downcast_ref::<T>()
        {
            let mut value = value.clone();
            change(&mut value);
            entry.value = Arc::new(value);
        }
    }

    /// Makes every value of these scopes stale.
    #[tracing::instrument(name = "cache.apply", level = "debug", skip_all, fields(scopes = changes.len()))]
    pub fn apply(&self, changes: &[Change]) {
        let mut state = self.state();
        state.changes_applied += 1;
        for change in changes {
            state.next_epoch += 1;
            let epoch = state.next_epoch;
            let slots = state.slots(change);
            let slot = slots.customer.unwrap_or(slots.account);
            state.epochs[slot] = epoch;
        }
        if state.epochs.len() > MAX_EPOCHS {
            state.drop_everything();
        }
    }

    /// Forgets everything, for when changes may have been missed.
    #[tracing::instrument(name = "cache.clear", level = "debug", skip_all)]
    pub fn clear(&self) {
        let mut state = self.state();
        state.changes_applied += 1;
        state.drop_everything();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::Timestamp;

    const TTL: Duration = Duration::from_secs(60);

    fn ids() -> (AccountId, CustomerId, CustomerId) {
        let now = Timestamp::from_millis(1_700_000_000_000);
        (
            AccountId::new(now, [1; 10]),
            CustomerId::new(now, [2; 10]),
            CustomerId::new(now, [3; 10]),
        )
    }

    fn key(s: &str) -> Key {
        ("test", s.to_owned())
    }

    #[test]
    fn a_change_of_the_scope_drops_the_value_and_others_stay() {
        let cache = Cache::default();
        let (a, x, y) = ids();
        let t = cache.fill_token();
        cache.put(t, key("x"), Change::customer(&a, &x), TTL, 1u32);
        cache.put(t, key("y"), Change::customer(&a, &y), TTL, 2u32);
        cache.put(t, key("a"), Change::account(&a), TTL, 3u32);
        assert_eq!(cache.get::<u32>(&key("x")), Some(1));
        cache.apply(&[Change::customer(&a, &x)]);
        assert_eq!(cache.get::<u32>(&key("x")), None);
        assert_eq!(cache.get::<u32>(&key("y")), Some(2));
        assert_eq!(cache.get::<u32>(&key("a")), Some(3));
        // A change of the whole account reaches its customers' values too.
        cache.apply(&[Change::account(&a)]);
        assert_eq!(cache.get::<u32>(&key("y")), None);
        assert_eq!(cache.get::<u32>(&key("a")), None);
    }

    #[test]
    fn a_customer_change_stays_within_its_account() {
        let cache = Cache::default();
        let (a, x, _) = ids();
        let b = AccountId::new(Timestamp::from_millis(1_700_000_000_000), [4; 10]);
        let t = cache.fill_token();
        cache.put(t, key("ax"), Change::customer(&a, &x), TTL, 1u32);
        cache.put(t, key("bx"), Change::customer(&b, &x), TTL, 2u32);
        cache.apply(&[Change::customer(&a, &x)]);
        assert_eq!(cache.get::<u32>(&key("ax")), None);
        assert_eq!(cache.get::<u32>(&key("bx")), Some(2));
    }

    #[test]
    fn too_many_scopes_drop_everything_and_repeats_count_once() {
        let cache = Cache::default();
        let (a, x, _) = ids();
        let t = cache.fill_token();
        cache.put(t, key("kept"), Change::account(&a), TTL, 1u32);
        // The same customer changed again and again is one scope.
        for _ in 0..MAX_EPOCHS + 1 {
            cache.apply(&[Change::customer(&a, &x)]);
        }
        let t = cache.fill_token();
        cache.put(t, key("kept"), Change::account(&a), TTL, 1u32);
        assert_eq!(cache.get::<u32>(&key("kept")), Some(1));
        let now = Timestamp::from_millis(1_700_000_000_000);
        let many: Vec<Change> = (0..MAX_EPOCHS as u32)
            .map(|n| {
                let mut entropy = [0; 10];
                entropy[..4].copy_from_slice(&n.to_be_bytes());
                Change::customer(&a, &CustomerId::new(now, entropy))
            })
            .collect();
        cache.apply(&many);
        assert_eq!(cache.get::<u32>(&key("kept")), None);
        assert!(cache.state().epochs.is_empty());
    }

    #[test]
    fn a_fill_that_raced_with_a_change_is_not_kept() {
        let cache = Cache::default();
        let (a, x, _) = ids();
        let t = cache.fill_token();
        cache.apply(&[Change::customer(&a, &x)]);
        cache.put(t, key("x"), Change::customer(&a, &x), TTL, 1u32);
        assert_eq!(cache.get::<u32>(&key("x")), None);
        let t = cache.fill_token();
        cache.put(t, key("x"), Change::customer(&a, &x), TTL, 1u32);
        assert_eq!(cache.get::<u32>(&key("x")), Some(1));
    }

    #[test]
    fn values_expire_and_clear_drops_all() {
        let cache = Cache::default();
        let (a, _, _) = ids();
        let t = cache.fill_token();
        cache.put(t, key("gone"), Change::account(&a), Duration::ZERO, 1u32);
        cache.put(t, key("kept"), Change::account(&a), TTL, 2u32);
        assert_eq!(cache.get::<u32>(&key("gone")), None);
        cache.update::<u32>(&key("kept"), |v| *v += 40);
        assert_eq!(cache.get::<u32>(&key("kept")), Some(42));
        cache.clear();
        assert_eq!(cache.get::<u32>(&key("kept")), None);
    }
}
