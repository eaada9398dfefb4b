//! GraphQL at `/graphql`, the Bunny-style dialect: `POST` runs a query with the same bearer
//! credentials, scopes and rate limit as `/api/v1`; `GET` serves a small explorer page.

mod explorer;
pub mod limits;
mod schema;

use std::sync::OnceLock;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ErrorExtensionValues, Request, ServerError, Variables};
use axum::Router;
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::{AppState, VendorAuth, auth};

pub use schema::{MAX_COMPLEXITY, MAX_DEPTH, PorticoSchema};

/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;

/// `GET /graphql` (the explorer, public) and `POST /graphql` (behind vendor authentication,
/// which also applies the per-credential rate limit).
pub fn router(state: &AppState) -> Router<AppState> {
    let authenticated = axum::middleware::from_fn_with_state(state.clone(), auth::authenticate);
    Router::new().route(
        "/graphql",
        get(explorer::page).post(execute.layer(authenticated)),
    )
}

/// The schema, built once: it holds no state, only types and limits.
pub fn schema() -> &'static PorticoSchema {
    static SCHEMA: OnceLock<PorticoSchema> = OnceLock::new();
    SCHEMA.get_or_init(schema::build)
}

/// A GraphQL-over-HTTP request body. Unknown members (`extensions` of persisted queries) are
/// ignored, as GraphQL clients expect.
#[derive(Debug, Deserialize)]
struct GraphqlBody {
    query: String,
    #[serde(default)]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default, rename = "operationName")]
    operation_name: Option<String>,
}

/// Runs one query. Transport problems (credential, body, size) are the API's usual JSON errors;
/// everything about the query itself, limits included, is a GraphQL answer with status 200.
async fn execute(
    axum::extract::State(state): axum::extract::State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Response> {
    let input: GraphqlBody = body.parse()?;
    if input.query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::bad_request(format!(
            "query: must be at most {MAX_QUERY_BYTES} bytes"
        )));
    }
    let document = match parsed_within_limits(&input.query) {
        Ok(document) => document,
        Err(error) => {
            let answer = async_graphql::Response::from_errors(vec![error]);
            return Ok(axum::Json(answer).into_response());
        }
    };
    let mut request = Request::new(input.query).data(schema::Caller { state, auth });
    request.set_parsed_query(document);
    if let Some(variables) = input.variables {
        request = request.variables(Variables::from_json(serde_json::Value::Object(variables)));
    }
    if let Some(name) = input.operation_name {
        request = request.operation_name(name);
    }
    let mut response = schema().execute(request).await;
    label_client_errors(&mut response);
    Ok(axum::Json(response).into_response())
}

/// The query parsed and checked against [`limits`] before the schema validates it (validation
/// expands fragments; the checks do not); the schema then uses this parse instead of its own.
fn parsed_within_limits(query: &str) -> Result<ExecutableDocument, ServerError> {
    let document = async_graphql::parser::parse_query(query)?;
    limits::check(&document).map_err(|refusal| {
        let mut error = ServerError::new(refusal.message, Some(refusal.pos));
        let mut extensions = ErrorExtensionValues::default();
        extensions.set("code", "BAD_REQUEST");
        error.extensions = Some(extensions);
        error
    })?;
    Ok(document)
}

/// Errors that our resolvers raise carry the REST API's `code`; the others come from the GraphQL
/// engine itself, before any resolver ran or while it read the arguments (a value out of range,
/// a missing variable): they are the client's, and say so as `BAD_REQUEST`.
fn label_client_errors(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "BAD_REQUEST");
        }
    }
}
