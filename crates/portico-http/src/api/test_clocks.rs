//! Test clocks: a vendor's frozen time, customers attached to it, and advancing it to watch
//! renewals, dunning and webhooks happen in seconds. Real customers are never touched.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use portico_app::billing::{RunReport, test_clocks};
use portico_core::scope::ApiScope;
use portico_core::{List, Timestamp};
use portico_store::TestClockRecord;
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(get, delete))
        .routes(routes!(attach))
        .routes(routes!(advance))
}

/// A test clock: frozen time, which the customers attached to it are billed by.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestClock {
    /// `clock_…`.
    pub id: String,
    pub name: String,
    pub frozen_time: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<TestClockRecord> for TestClock {
    fn from(c: TestClockRecord) -> Self {
        TestClock {
            id: c.id,
            name: c.name,
            frozen_time: c.frozen_time,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTestClock {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Where the clock's time starts.
    pub frozen_time: Timestamp,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestClockAdvance {
    /// The clock's new time, later than its current one.
    pub frozen_time: Timestamp,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestClockCustomer {
    /// Id or alias of a customer without subscriptions.
    pub customer: String,
}

/// The clock after an advance, and what its run did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestClockAdvanced {
    #[serde(flatten)]
    pub clock: TestClock,
    pub run: TestClockRun,
}

/// What advancing a test clock did to its customers' subscriptions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestClockRun {
    pub subscriptions: usize,
    pub renewed: usize,
    pub ended: usize,
    pub charges_paid: usize,
    pub charges_failed: usize,
}

impl From<RunReport> for TestClockRun {
    fn from(r: RunReport) -> Self {
        TestClockRun {
            subscriptions: r.subscriptions,
            renewed: r.renewed,
            ended: r.ended,
            charges_paid: r.paid,
            charges_failed: r.failed,
        }
    }
}

/// Creates a test clock.
#[utoipa::path(post, path = "/api/v1/test-clocks", tag = "test-clocks",
    request_body = NewTestClock,
    responses((status = 201, description = "The new test clock", body = TestClock)),
    security(("bearer" = ["billing:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<TestClock>)> {
    auth.require(ApiScope::BillingWrite)?;
    let input = body.parse::<NewTestClock>()?;
    let input = test_clocks::NewTestClock {
        name: input.name,
        frozen_time: input.frozen_time,
    };
    let clock = test_clocks::create(&s.app, &auth.caller(), input, s.app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(clock.into())))
}

/// Lists the account's test clocks, newest first: all of them (an account has a handful, a
/// test's).
#[utoipa::path(get, path = "/api/v1/test-clocks", tag = "test-clocks",
    responses((status = 200, description = "The test clocks", body = List<TestClock>)),
    security(("bearer" = ["billing:read"])))]
async fn list(State(s): State<AppState>, auth: VendorAuth) -> ApiResult<Json<List<TestClock>>> {
    auth.require(ApiScope::BillingRead)?;
    let clocks = test_clocks::list(&s.app, &auth.caller()).await?;
    Ok(Json(List {
        data: clocks.into_iter().map(Into::into).collect(),
        has_more: false,
    }))
}

/// Gets a test clock.
#[utoipa::path(get, path = "/api/v1/test-clocks/{id}", tag = "test-clocks",
    params(("id" = String, Path, description = "Test clock id")),
    responses((status = 200, description = "The test clock", body = TestClock)),
    security(("bearer" = ["billing:read"])))]
async fn get(
    State(s): State<AppState>,
    auth: VendorAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<TestClock>> {
    auth.require(ApiScope::BillingRead)?;
    Ok(Json(
        test_clocks::get(&s.app, &auth.caller(), &id).await?.into(),
    ))
}

/// Deletes a test clock; its customers stay apart from the real clock.
#[utoipa::path(delete, path = "/api/v1/test-clocks/{id}", tag = "test-clocks",
    params(("id" = String, Path, description = "Test clock id")),
    responses((status = 200, description = "The deleted test clock", body = TestClock)),
    security(("bearer" = ["billing:write"])))]
async fn delete(
    State(s): State<AppState>,
    auth: VendorAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<TestClock>> {
    auth.require(ApiScope::BillingWrite)?;
    Ok(Json(
        test_clocks::delete(&s.app, &auth.caller(), &id)
            .await?
            .into(),
    ))
}

/// Attaches a new customer (one without subscriptions) to the clock: from then on only the
/// clock bills it, never the real one.
#[utoipa::path(post, path = "/api/v1/test-clocks/{id}/customers", tag = "test-clocks",
    params(("id" = String, Path, description = "Test clock id")),
    request_body = TestClockCustomer,
    responses((status = 200, description = "The test clock", body = TestClock)),
    security(("bearer" = ["billing:write"])))]
async fn attach(
    State(s): State<AppState>,
    auth: VendorAuth,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<TestClock>> {
    auth.require(ApiScope::BillingWrite)?;
    // Another account's clock, or none, is not found whatever the body.
    test_clocks::get(&s.app, &auth.caller(), &id).await?;
    let input = body.parse::<TestClockCustomer>()?;
    test_clocks::attach(&s.app, &auth.caller(), &id, &input.customer).await?;
    Ok(Json(
        test_clocks::get(&s.app, &auth.caller(), &id).await?.into(),
    ))
}

/// Moves the clock forward and runs its customers' subscriptions up to the new time:
/// renewals, charges and retries, each with its events (and webhooks).
#[utoipa::path(post, path = "/api/v1/test-clocks/{id}/advance", tag = "test-clocks",
    params(("id" = String, Path, description = "Test clock id")),
    request_body = TestClockAdvance,
    responses((status = 200, description = "The clock at its new time, and what ran", body = TestClockAdvanced)),
    security(("bearer" = ["billing:write"])))]
async fn advance(
    State(s): State<AppState>,
    auth: VendorAuth,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<Json<TestClockAdvanced>> {
    auth.require(ApiScope::BillingWrite)?;
    test_clocks::get(&s.app, &auth.caller(), &id).await?;
    let input = body.parse::<TestClockAdvance>()?;
    let (clock, report) = test_clocks::advance(
        &s.app,
        &auth.caller(),
        &id,
        input.frozen_time,
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(TestClockAdvanced {
        clock: clock.into(),
        run: report.into(),
    }))
}
