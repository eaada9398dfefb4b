//! Housekeeping: purging what can no longer be used, reporting vendor ids.

use async_trait::async_trait;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait HousekeepingStore: Send + Sync {
    /// Deletes, across every account, the records that can no longer be used, so that tables do
    /// not grow forever. A day of grace keeps recent ones for support questions. Deleted are:
    /// redirect tokens whose `expires_at` is more than a day before `now`, used or not; browser
    /// sessions that ended, or whose portal session expired, more than a day before `now`, and
    /// those not seen for more than 30 days; OAuth tokens that expired more than a day before
    /// `now`; idempotency keys created more than 24 hours before `now`. A record exactly at a
    /// threshold stays. Portal sessions themselves are kept: they are the vendor's audit trail.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<PurgeCounts>;
    /// Customer aliases and contact external ids, across every account, that have the form of a
    /// Portico id, by account and record. Reported to the operator; never rewritten.
    async fn id_form_vendor_ids(&self) -> StoreResult<Vec<IdFormVendorId>>;
}
