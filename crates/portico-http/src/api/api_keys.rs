//! API keys of the account: listed without secrets, created with the full key shown once,
//! revoked by DELETE.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_core::model::ApiKey;
use portico_core::scope::{ApiScope, ApiScopes};
use portico_core::{ApiKeyId, List, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa_axum::routes;

use super::created;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, IdPath, JsonBody, page};
use crate::idempotency::ReplayBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many to return, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The last key id of the previous page.
    #[param(value_type = Option<ApiKeyId>)]
    starting_after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Scope names such as `customers:read`; a key cannot get a scope its creator lacks.
    pub scopes: Vec<String>,
    /// When the key stops working; none means never.
    pub expires_at: Option<Timestamp>,
}

/// A new key, with the full `key` that is shown this once and never again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    /// `portico_sk_…`: store it now, Portico keeps only its hash. `null` in an idempotent
    /// replay, since the key exists nowhere but in the first answer.
    pub key: Option<String>,
}

/// Creates an API key.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys",
    request_body = NewApiKey,
    responses((status = 201, description = "The new key, with its secret", body = CreatedApiKey)),
    security(("bearer" = ["settings:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Response> {
    auth.require(ApiScope::SettingsWrite)?;
    let input = body.parse::<NewApiKey>()?;
    let input = portico_app::credentials::NewCredential {
        name: input.name,
        scopes: ApiScopes::parse_list("scopes", &input.scopes)?,
        expires_at: input.expires_at,
    };
    let new =
        portico_app::credentials::create_api_key(&s.app, &auth.caller(), input, s.app.clock.now())
            .await?;
    let key = new.record;
    let redacted = CreatedApiKey {
        api_key: key.clone(),
        key: None,
    };
    let replay = serde_json::to_vec(&redacted).map_err(ApiError::internal)?;
    let mut response = created(CreatedApiKey {
        api_key: key,
        key: Some(new.secret),
    })
    .into_response();
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}

/// Lists the account's API keys, newest first, without their secrets.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys",
    params(ListQuery),
    responses((status = 200, description = "A page of API keys", body = List<ApiKey>)),
    security(("bearer" = ["settings:write"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<ApiKey>>> {
    auth.require(ApiScope::SettingsWrite)?;
    let page = page::<ApiKeyId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    Ok(Json(s.app.store.list_api_keys(&auth.account, page).await?))
}

/// Revokes an API key; it stops working at once. A key may revoke only keys whose scopes it
/// holds itself (the rule for creating them): 403 otherwise.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys",
    params(("id" = ApiKeyId, Path, description = "API key id")),
    responses((status = 200, description = "The revoked key", body = ApiKey)),
    security(("bearer" = ["settings:write"])))]
async fn revoke(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<ApiKeyId>,
) -> ApiResult<Json<ApiKey>> {
    auth.require(ApiScope::SettingsWrite)?;
    let revoked =
        portico_app::credentials::revoke_api_key(&s.app, &auth.caller(), &id, s.app.clock.now())
            .await?;
    Ok(Json(revoked))
}
