//! Portico's storage: the [`Store`] trait every backend implements, and the SQL backends
//! (SQLite, the embedded default, and PostgreSQL), each with its own append-only migrations.

mod access;
pub mod cache;
mod error;
pub mod sql;

pub use access::*;
pub use error::{StoreError, StoreResult};
pub use sql::SqlStore;
pub use sql::uow::{self, UnitOfWork};

use async_trait::async_trait;
use portico_core::event::{Actor, Event};
use portico_core::model::*;
use portico_core::scope::ApiScopes;
use portico_core::*;

/// Filters for listing subscriptions.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    pub customer: Option<CustomerRef>,
    pub status: Option<SubscriptionStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub customer: Option<CustomerRef>,
    pub status: Option<InvoiceStatus>,
    pub subscription: Option<SubscriptionId>,
    /// Leaves drafts out (what a customer sees: drafts are the vendor's work in progress).
    pub exclude_drafts: bool,
}

#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub customer: Option<CustomerRef>,
    pub invoice: Option<InvoiceId>,
}

/// An API key as the authenticator needs it: owner, metadata and the SHA-256 of its secret.
#[derive(Debug, Clone)]
pub struct ApiKeyCredential {
    pub account: AccountId,
    pub key: ApiKey,
    pub secret_sha256: [u8; 32],
}

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
}

/// Every method that reads or writes tenant data takes the `AccountId` it is scoped to; rows of
/// other accounts are invisible (`NotFound`), never an error that tells them apart.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is (`sqlite` or `postgres`), for logs and readiness.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// A cheap round trip, for readiness checks.
    async fn ping(&self) -> StoreResult<()>;
    /// Brings this node's read cache up to date with every change committed, on any node, more
    /// than `lag` before the call (with a zero lag: before the call). A request awaits it once
    /// before its first read; its reads then miss no change older than `lag`. A node's own
    /// writes leave its cache as they commit, without waiting for this.
    async fn sync(&self, lag: std::time::Duration) -> StoreResult<()>;

    /// Begins a unit of work: one write transaction of `account`, whose records and events
    /// say `actor` and `now`. Nothing is stored until [`UnitOfWork::commit`].
    async fn begin(
        &self,
        account: &AccountId,
        actor: Actor,
        now: Timestamp,
    ) -> StoreResult<UnitOfWork>;
    /// The account's recorded events, newest first.
    async fn events(
        &self,
        account: &AccountId,
        page: PageRequest<EventId>,
    ) -> StoreResult<List<Event>>;

    // Accounts and API keys.
    async fn create_account(
        &self,
        subdomain: &str,
        name: &str,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn account(&self, id: &AccountId) -> StoreResult<Account>;
    async fn account_by_subdomain(&self, subdomain: &str) -> StoreResult<Account>;
    async fn update_portal_settings(
        &self,
        id: &AccountId,
        settings: PortalSettings,
        now: Timestamp,
    ) -> StoreResult<Account>;
    async fn create_api_key(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: [u8; 32],
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<ApiKey>;
    /// The one lookup not scoped by account: the key id comes from the credential itself.
    async fn api_key_credential(&self, id: &ApiKeyId) -> StoreResult<ApiKeyCredential>;
    async fn list_api_keys(
        &self,
        account: &AccountId,
        page: PageRequest<ApiKeyId>,
    ) -> StoreResult<List<ApiKey>>;
    async fn revoke_api_key(
        &self,
        account: &AccountId,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> StoreResult<ApiKey>;
    async fn touch_api_key(&self, id: &ApiKeyId, now: Timestamp) -> StoreResult<()>;

    // Customers and contacts.
    async fn customer(&self, account: &AccountId, customer: &CustomerRef) -> StoreResult<Customer>;
    async fn list_customers(
        &self,
        account: &AccountId,
        email: Option<&str>,
        page: PageRequest<CustomerId>,
    ) -> StoreResult<List<Customer>>;

    async fn contact(&self, account: &AccountId, contact: &ContactRef) -> StoreResult<Contact>;
    async fn list_contacts(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<ContactId>,
    ) -> StoreResult<List<Contact>>;

    // Catalogue.
    async fn product(&self, account: &AccountId, id: &ProductId) -> StoreResult<Product>;
    async fn list_products(
        &self,
        account: &AccountId,
        page: PageRequest<ProductId>,
    ) -> StoreResult<List<Product>>;

    async fn plan(&self, account: &AccountId, id: &PlanId) -> StoreResult<Plan>;
    /// The plans of `ids` in one read, newest first; ids that name no plan are left out.
    async fn plans_by_ids(&self, account: &AccountId, ids: &[PlanId]) -> StoreResult<Vec<Plan>>;
    async fn list_plans(
        &self,
        account: &AccountId,
        product: Option<&ProductId>,
        page: PageRequest<PlanId>,
    ) -> StoreResult<List<Plan>>;

    // Billing.
    async fn subscription(
        &self,
        account: &AccountId,
        id: &SubscriptionId,
    ) -> StoreResult<Subscription>;
    async fn list_subscriptions(
        &self,
        account: &AccountId,
        filter: SubscriptionFilter,
        page: PageRequest<SubscriptionId>,
    ) -> StoreResult<List<Subscription>>;

    async fn invoice(&self, account: &AccountId, id: &InvoiceId) -> StoreResult<Invoice>;
    /// The invoices of `ids` in one read, newest first; ids that name no invoice are left out.
    async fn invoices_by_ids(
        &self,
        account: &AccountId,
        ids: &[InvoiceId],
    ) -> StoreResult<Vec<Invoice>>;
    async fn list_invoices(
        &self,
        account: &AccountId,
        filter: InvoiceFilter,
        page: PageRequest<InvoiceId>,
    ) -> StoreResult<List<Invoice>>;

    async fn transaction(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> StoreResult<Transaction>;
    async fn list_transactions(
        &self,
        account: &AccountId,
        filter: TransactionFilter,
        page: PageRequest<TransactionId>,
    ) -> StoreResult<List<Transaction>>;

    async fn payment_method(
        &self,
        account: &AccountId,
        id: &PaymentMethodId,
    ) -> StoreResult<PaymentMethod>;
    async fn list_payment_methods(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<PaymentMethodId>,
    ) -> StoreResult<List<PaymentMethod>>;

    // Portal access.
    async fn create_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()>;
    /// The account's keys, newest first, revoked ones included.
    async fn signing_keys(&self, account: &AccountId) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Every account's keys that are not revoked, for the JWKS document.
    async fn published_signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Unscoped: the `kid` of a token names the key, and the key names its account.
    async fn signing_key(&self, id: &SigningKeyId) -> StoreResult<SigningKeyRecord>;
    /// Marks every unretired key of the account except `current` as retired at `now`.
    async fn retire_signing_keys(
        &self,
        account: &AccountId,
        current: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn revoke_signing_key(
        &self,
        account: &AccountId,
        id: &SigningKeyId,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Stores a new portal session; with `invalidate_existing`, revokes the customer's other live
    /// sessions in the same transaction.
    async fn create_portal_session(
        &self,
        account: &AccountId,
        session: &PortalSession,
        invalidate_existing: bool,
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
    /// Revokes one session (idempotent: revoking twice keeps the first time).
    async fn revoke_portal_session(
        &self,
        account: &AccountId,
        id: &PortalSessionId,
        now: Timestamp,
    ) -> StoreResult<PortalSession>;
    /// Revokes every live session of the customer; returns how many.
    async fn revoke_customer_portal_sessions(
        &self,
        account: &AccountId,
        customer: &CustomerId,
        now: Timestamp,
    ) -> StoreResult<u64>;

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

    async fn create_oauth_client(
        &self,
        account: &AccountId,
        name: &str,
        scopes: ApiScopes,
        secret_sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<OAuthClient>;
    /// Unscoped: the client id comes from the credential.
    async fn oauth_client_credential(
        &self,
        id: &OAuthClientId,
    ) -> StoreResult<OAuthClientCredential>;
    async fn list_oauth_clients(
        &self,
        account: &AccountId,
        page: PageRequest<OAuthClientId>,
    ) -> StoreResult<List<OAuthClient>>;
    /// Revoking a client also ends its access tokens.
    async fn revoke_oauth_client(
        &self,
        account: &AccountId,
        id: &OAuthClientId,
        now: Timestamp,
    ) -> StoreResult<OAuthClient>;
    async fn create_oauth_token(
        &self,
        account: &AccountId,
        client: &OAuthClientId,
        scopes: ApiScopes,
        sha256: &[u8; 32],
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// A token that exists, has not expired at `now`, and whose client is not revoked.
    async fn oauth_token(
        &self,
        sha256: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<OAuthTokenRecord>>;

    // Idempotency of vendor POSTs.
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
    /// Forgets a claim whose request failed on the server side, so that a retry may run.
    async fn idempotency_abandon(&self, account: &AccountId, key: &str) -> StoreResult<()>;

    // Housekeeping.
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
