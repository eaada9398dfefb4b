//! The GraphQL schema: Bunny's `portalSessionCreate` mutation and read queries over one vendor
//! account's customers, subscriptions, invoices and payment methods.

use async_graphql::{
    Context, EmptySubscription, Error, ErrorExtensions, ID, Object, Result, Schema, SimpleObject,
};
use portico_core::model::{
    Customer, CustomerRef, Invoice, PaymentMethod, Plan, PortalPage, PortalSessionRequest,
    Subscription,
};
use portico_core::scope::ApiScope;
use portico_core::{CustomerId, PageRequest};
use portico_store::{InvoiceFilter, StoreError, SubscriptionFilter};

use crate::access::{self, Target};
use crate::error::{ApiError, ErrorCode};
use crate::{AppState, VendorAuth};

pub type PorticoSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Deepest query accepted. Our own types nest five levels at most; the standard introspection
/// query that GraphiQL and code generators send nests thirteen (`ofType` chains), and must pass.
pub const MAX_DEPTH: usize = 15;
/// Most expensive query accepted: each field costs 1, lists cost `first` times their items.
pub const MAX_COMPLEXITY: usize = 1000;

/// Bunny's default portal-session lifetime, and the bounds of the other dialects in hours.
const DEFAULT_EXPIRY_HOURS: i64 = 24;
const MAX_EXPIRY_HOURS: i64 = 720;
const MAX_PAGE: i32 = 100;

pub fn build() -> PorticoSchema {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// What every resolver reaches: the application and the authenticated vendor.
pub struct Caller {
    pub state: AppState,
    pub auth: VendorAuth,
}

fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data::<Caller>()
}

fn code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "BAD_REQUEST",
        ErrorCode::NotFound => "NOT_FOUND",
        ErrorCode::Conflict => "CONFLICT",
        ErrorCode::Forbidden => "FORBIDDEN",
        ErrorCode::Unauthorized => "UNAUTHORIZED",
        ErrorCode::TokenExpired => "TOKEN_EXPIRED",
        ErrorCode::TooManyRequests => "TOO_MANY_REQUESTS",
        ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
    }
}

/// A GraphQL error carrying the same `code` as the REST API's error bodies; an internal cause
/// is logged (with the request id of the enclosing span) and never shown.
fn gql_error(e: ApiError) -> Error {
    if let ApiError::Internal(cause) = &e {
        tracing::error!(error = format!("{cause:#}"), "graphql resolver failed");
    }
    let code = code_name(e.code());
    Error::new(e.to_string()).extend_with(|_, ext| ext.set("code", code))
}

fn store_error(e: StoreError) -> Error {
    gql_error(e.into())
}

/// A store answer where "not found" means `null`: another account's rows look like none at all.
fn found<T>(r: Result<T, StoreError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(store_error(e)),
    }
}

fn require(auth: &VendorAuth, scope: ApiScope) -> Result<()> {
    auth.require(scope).map_err(gql_error)
}

fn page_size(first: i32) -> Result<u32> {
    if (1..=MAX_PAGE).contains(&first) {
        Ok(first as u32)
    } else {
        Err(gql_error(ApiError::bad_request(format!(
            "first must be between 1 and {MAX_PAGE}"
        ))))
    }
}

/// The cost of a list of `first` items, for the complexity limit; out-of-range values are
/// refused by [`page_size`] anyway, so they count as the largest page.
fn list_cost(first: i32, child: usize) -> usize {
    let n = if (1..=MAX_PAGE).contains(&first) {
        first
    } else {
        MAX_PAGE
    };
    (n as usize).saturating_mul(child).saturating_add(1)
}

pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The account's customers, newest first (`customers:read`). `after` is the `endCursor` of
    /// the previous page.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
        after: Option<String>,
    ) -> Result<Option<CustomerConnection>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::CustomersRead)?;
        let limit = page_size(first)?;
        let starting_after = after
            .map(|a| {
                a.parse::<CustomerId>().map_err(|_| {
                    gql_error(ApiError::bad_request("after must be a customer id (cus_…)"))
                })
            })
            .transpose()?;
        let list = c
            .state
            .app
            .store
            .list_customers(
                &c.auth.account,
                None,
                PageRequest {
                    limit,
                    starting_after,
                    ending_before: None,
                },
            )
            .await
            .map_err(store_error)?;
        Ok(Some(CustomerConnection {
            end_cursor: list.data.last().map(|x| x.id.to_string()),
            has_more: list.has_more,
            nodes: list.data.into_iter().map(CustomerNode).collect(),
        }))
    }

    /// One customer by Portico id or by `code` (the vendor's alias); `null` when the account
    /// has no such customer (`customers:read`).
    async fn customer(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> Result<Option<CustomerNode>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::CustomersRead)?;
        let reference = match (&id, &code) {
            (Some(id), _) => match id.parse::<CustomerId>() {
                Ok(id) => CustomerRef::Id(id),
                // An id of the wrong shape names nothing, like an unknown id.
                Err(_) => return Ok(None),
            },
            (None, Some(code)) => CustomerRef::Alias(code.clone()),
            (None, None) => {
                return Err(gql_error(ApiError::bad_request(
                    "customer needs an `id` or a `code`",
                )));
            }
        };
        let customer = found(
            c.state
                .app
                .store
                .customer(&c.auth.account, &reference)
                .await,
        )?;
        Ok(customer
            .filter(|x| code.is_none() || x.alias == code)
            .map(CustomerNode))
    }
}

pub struct MutationRoot;

/// Bunny's answer: problems in `errors`, the portal token in `token`.
#[derive(SimpleObject)]
pub struct PortalSessionCreatePayload {
    errors: Option<Vec<String>>,
    token: Option<String>,
}

impl PortalSessionCreatePayload {
    fn error(message: impl Into<String>) -> Self {
        Self {
            errors: Some(vec![message.into()]),
            token: None,
        }
    }
}

#[Object]
impl MutationRoot {
    /// A portal token for one customer (`security:write`), exactly as Bunny's: `tenantCode` is
    /// the customer's alias (or its `cus_…` id), `expiry` is in hours, 1 to 720, default 24,
    /// `returnUrl` is where the portal's way back leads (default: the account's).
    /// Open `{portal_url}/portal?token=…` or a deep link such as `/portal/subscriptions?token=…`.
    async fn portal_session_create(
        &self,
        ctx: &Context<'_>,
        tenant_code: String,
        // GraphQL's Int is 32 bits; a wider value is refused as the schema says, not read.
        expiry: Option<i32>,
        return_url: Option<String>,
    ) -> Result<Option<PortalSessionCreatePayload>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::SecurityWrite)?;
        let hours = expiry.map_or(DEFAULT_EXPIRY_HOURS, i64::from);
        if !(1..=MAX_EXPIRY_HOURS).contains(&hours) {
            return Ok(Some(PortalSessionCreatePayload::error(format!(
                "expiry must be between 1 and {MAX_EXPIRY_HOURS} hours"
            ))));
        }
        let return_url = match return_url
            .as_deref()
            .map(|u| portico_core::error::url("returnUrl", u))
            .transpose()
        {
            Ok(u) => u,
            Err(e) => return Ok(Some(PortalSessionCreatePayload::error(e.to_string()))),
        };
        let request = PortalSessionRequest {
            expires_in_seconds: hours * 3600,
            return_url,
            locale: None,
            page: PortalPage::Overview,
            scopes: None,
            invalidate_existing: false,
        };
        let target = Target::Customer(CustomerRef::parse(&tenant_code));
        let payload = match access::issue(&c.state, &c.auth, &target, request).await {
            Ok(issued) => PortalSessionCreatePayload {
                errors: None,
                token: Some(issued.token),
            },
            Err(ApiError::NotFound(_)) => PortalSessionCreatePayload::error("Tenant not found"),
            Err(ApiError::Forbidden(m) | ApiError::BadRequest(m) | ApiError::Conflict(m)) => {
                PortalSessionCreatePayload::error(m)
            }
            Err(e) => return Err(gql_error(e)),
        };
        Ok(Some(payload))
    }
}

/// One page of customers.
#[derive(SimpleObject)]
pub struct CustomerConnection {
    nodes: Vec<CustomerNode>,
    has_more: bool,
    /// The last customer's id; pass it as `after` for the next page.
    end_cursor: Option<String>,
}

pub struct CustomerNode(Customer);

#[Object(name = "Customer")]
impl CustomerNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The vendor's own id for the customer (its alias; Bunny's tenant code).
    async fn code(&self) -> Option<&str> {
        self.0.alias.as_deref()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    async fn currency(&self) -> String {
        self.0.currency.to_string()
    }

    async fn portal_enabled(&self) -> bool {
        self.0.portal_enabled
    }

    /// Newest first (`billing:read`).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn subscriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<SubscriptionNode>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::BillingRead)?;
        let filter = SubscriptionFilter {
            customer: Some(CustomerRef::Id(self.0.id.clone())),
            status: None,
        };
        let list = c
            .state
            .app
            .store
            .list_subscriptions(
                &c.auth.account,
                filter,
                PageRequest::first(page_size(first)?),
            )
            .await
            .map_err(store_error)?;
        Ok(list.data.into_iter().map(SubscriptionNode).collect())
    }

    /// Newest first (`billing:read`).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn invoices(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<InvoiceNode>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::BillingRead)?;
        let filter = InvoiceFilter {
            customer: Some(CustomerRef::Id(self.0.id.clone())),
            ..InvoiceFilter::default()
        };
        let list = c
            .state
            .app
            .store
            .list_invoices(
                &c.auth.account,
                filter,
                PageRequest::first(page_size(first)?),
            )
            .await
            .map_err(store_error)?;
        Ok(list.data.into_iter().map(InvoiceNode).collect())
    }

    /// Newest first (`billing:read`).
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn payment_methods(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
    ) -> Result<Vec<PaymentMethodNode>> {
        let c = caller(ctx)?;
        require(&c.auth, ApiScope::BillingRead)?;
        let list = c
            .state
            .app
            .store
            .list_payment_methods(
                &c.auth.account,
                Some(&CustomerRef::Id(self.0.id.clone())),
                PageRequest::first(page_size(first)?),
            )
            .await
            .map_err(store_error)?;
        Ok(list.data.into_iter().map(PaymentMethodNode).collect())
    }
}

pub struct SubscriptionNode(Subscription);

#[Object(name = "Subscription")]
impl SubscriptionNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// `trialing`, `active`, `past_due` or `canceled`.
    async fn status(&self) -> &'static str {
        self.0.status.as_str()
    }

    async fn quantity(&self) -> i64 {
        self.0.quantity
    }

    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let c = caller(ctx)?;
        let plan = found(c.state.app.store.plan(&c.auth.account, &self.0.plan).await)?;
        Ok(plan.map(PlanNode))
    }

    /// RFC 3339.
    async fn current_period_end(&self) -> String {
        self.0.current_period_end.rfc3339()
    }

    async fn cancel_at_period_end(&self) -> bool {
        self.0.cancel_at_period_end
    }
}

pub struct PlanNode(Plan);

#[Object(name = "Plan")]
impl PlanNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// `month` or `year`.
    async fn interval(&self) -> &'static str {
        self.0.interval.as_str()
    }

    async fn interval_count(&self) -> i32 {
        self.0.interval_count
    }

    /// Price of one unit per interval, in minor units.
    async fn unit_amount(&self) -> i64 {
        self.0.unit_amount
    }

    async fn currency(&self) -> String {
        self.0.currency.to_string()
    }
}

pub struct InvoiceNode(Invoice);

#[Object(name = "Invoice")]
impl InvoiceNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn number(&self) -> &str {
        &self.0.number
    }

    /// `draft`, `open`, `paid`, `void` or `uncollectible`.
    async fn status(&self) -> &'static str {
        self.0.status.as_str()
    }

    /// In minor units.
    async fn total(&self) -> i64 {
        self.0.total
    }

    /// In minor units.
    async fn amount_due(&self) -> i64 {
        self.0.amount_due
    }

    async fn currency(&self) -> String {
        self.0.currency.to_string()
    }

    /// RFC 3339; `null` for drafts.
    async fn issued_at(&self) -> Option<String> {
        self.0.issued_at.map(|t| t.rfc3339())
    }

    /// RFC 3339.
    async fn due_at(&self) -> Option<String> {
        self.0.due_at.map(|t| t.rfc3339())
    }
}

pub struct PaymentMethodNode(PaymentMethod);

#[Object(name = "PaymentMethod")]
impl PaymentMethodNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// `card`, `sepa_debit` or `us_bank_account`.
    async fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }

    async fn brand(&self) -> Option<&str> {
        self.0.brand.as_deref()
    }

    async fn last4(&self) -> &str {
        &self.0.last4
    }

    async fn exp_month(&self) -> Option<i32> {
        self.0.exp_month
    }

    async fn exp_year(&self) -> Option<i32> {
        self.0.exp_year
    }

    async fn is_default(&self) -> bool {
        self.0.is_default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mutation_has_bunnys_shape() {
        let sdl = build().sdl();
        assert!(
            sdl.contains(
                "portalSessionCreate(tenantCode: String!, expiry: Int, returnUrl: String): PortalSessionCreatePayload\n"
            ),
            "{sdl}"
        );
        assert!(
            sdl.contains(
                "type PortalSessionCreatePayload {\n\terrors: [String!]\n\ttoken: String\n}"
            ),
            "{sdl}"
        );
    }

    #[test]
    fn lists_cost_their_length() {
        assert_eq!(list_cost(10, 3), 31);
        assert_eq!(list_cost(0, 3), 301);
        assert_eq!(list_cost(i32::MAX, usize::MAX), usize::MAX);
        assert!(page_size(0).is_err());
        assert!(page_size(101).is_err());
        assert_eq!(page_size(100).ok(), Some(100));
    }
}
