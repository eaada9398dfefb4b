//! Idempotency keys of vendor POSTs.

use async_trait::async_trait;
use portico_core::*;

use crate::*;

/// What an idempotency key has seen before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use: the caller runs the request and then calls `idempotency_finish`.
    Started,
    /// The same request finished before; answer with its stored response.
    Replay { status: u16, body: Vec<u8> },
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InProgress,
    /// The first request's change committed, but its process stopped before the answer was
    /// stored: the request must not run again, and there is no answer to replay.
    Committed,
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request whose method, path and body hash to `fingerprint`.
    async fn idempotency_begin(
        &self,
        account: &AccountId,
        key: &str,
        fingerprint: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<IdempotencyBegin>;
    /// Stores the answer so that replays get it.
    async fn idempotency_finish(
        &self,
        account: &AccountId,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> StoreResult<()>;
    /// Forgets a claim whose request failed on the server side, so that a retry may run; `false`
    /// when a change was committed under the claim (see [`crate::UnitOfWork::idempotent`]),
    /// which then stays: the caller stores the failure as the answer instead.
    async fn idempotency_abandon(&self, account: &AccountId, key: &str) -> StoreResult<bool>;
}
