//! Portal sessions, the redirect tokens that open them, and the browser sessions they become.

use async_trait::async_trait;
use portico_core::event::{Actor, Origin};
use portico_core::model::*;
use portico_core::*;

use crate::*;

#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new portal session; with `invalidate_existing`, revokes the customer's other live
    /// sessions in the same transaction. Records `portal_session.created` (and `.revoked` for
    /// each session it replaces), by the session's issuer in the request `origin`.
    async fn create_portal_session(
        &self,
        account: &AccountId,
        session: &PortalSession,
        invalidate_existing: bool,
        origin: Option<&Origin>,
    ) -> StoreResult<()>;
    async fn portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
    ) -> StoreResult<PortalSession>;
    async fn list_portal_sessions(
        &self,
        account: &AccountId,
        filter: PortalSessionFilter,
        page: PageRequest<PortalSessionId>,
    ) -> StoreResult<List<PortalSession>>;
    /// Revokes one session (idempotent: revoking twice keeps the first time), recording
    /// `portal_session.revoked` by `actor` the first time.
    async fn revoke_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
        actor: &Actor,
        origin: Option<&Origin>,
    ) -> StoreResult<PortalSession>;
    /// Revokes every live session of the customer, recording `portal_session.revoked` by `actor`
    /// for each; returns how many.
    async fn revoke_customer_portal_sessions(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        now: Timestamp,
        actor: &Actor,
        origin: Option<&Origin>,
    ) -> StoreResult<u64>;
    /// Marks the task of a single-task session done at `now`; true if this call did (the
    /// first time).
    async fn complete_flow(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// When the task of a single-task session was done, if it was.
    async fn flow_completed(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
    ) -> StoreResult<Option<Timestamp>>;
    /// Marks the session entered by a portal link; `false` when a link had entered it before,
    /// so that a one-entry link opens one browser session, however many ask at once.
    async fn enter_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn create_redirect_token(
        &self,
        account: &AccountId,
        session: &PortalSessionId,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Marks the token used if it is unused and `now < expires_at`, in one atomic statement:
    /// of any number of concurrent callers exactly one gets `Some`.
    async fn consume_redirect_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<(AccountId, PortalSessionId)>>;
    /// A redirect token as stored, used or not, without using it up: for telling why a link
    /// does not work, and for checking the host before a one-time link is spent. Unscoped: the
    /// token is the credential.
    async fn redirect_token(&self, sha256: &[u8; 32]) -> StoreResult<Option<RedirectTokenState>>;
    /// Spends the token as [`Self::consume_redirect_token`] does and, in the same transaction
    /// and only if this caller spent it, starts a browser session (`cookie_sha256`,
    /// `csrf_secret`, begun at `now`) for the token's portal session, with its
    /// `portal_session.entered` if the portal session is live: one write per exchange.
    async fn exchange_redirect_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
        cookie_sha256: [u8; 32],
        csrf_secret: [u8; 32],
        origin: Option<Origin>,
    ) -> StoreResult<Option<(AccountId, PortalSessionId)>>;
    /// Starts a browser session, with its portal session's `portal_session.entered` if that is
    /// live.
    async fn create_browser_session(&self, new: &NewBrowserSession) -> StoreResult<()>;
    /// The browser session with this cookie hash and the state of everything it depends on.
    async fn browser_session(
        &self,
        cookie_sha256: &[u8; 32],
    ) -> StoreResult<Option<BrowserSessionView>>;
    async fn touch_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn end_browser_session(
        &self,
        cookie_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<()>;
}
