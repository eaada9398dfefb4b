//! OAuth clients of the account: created with the client secret shown once, listed without it,
//! revoked by DELETE (which ends their access tokens too). Tokens come from `POST /oauth/token`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use portico_core::model::OAuthClient;
use portico_core::scope::{ApiScope, ApiScopes};
use portico_core::{List, OAuthClientId};
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
    /// The last client id of the previous page.
    #[param(value_type = Option<OAuthClientId>)]
    starting_after: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOAuthClient {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Scope names such as `customers:read`; a client cannot get a scope its creator lacks.
    /// Its tokens get these, or the subset the token request names.
    pub scopes: Vec<String>,
}

/// A new client, with the `client_secret` that is shown this once and never again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedOAuthClient {
    #[serde(flatten)]
    pub client: OAuthClient,
    /// `portico_cs_…`: store it now, Portico keeps only its hash. `null` in an idempotent
    /// replay, since the secret exists nowhere but in the first answer.
    pub client_secret: Option<String>,
}

/// Creates an OAuth client for the client-credentials grant at `POST /oauth/token`.
#[utoipa::path(post, path = "/api/v1/oauth-clients", tag = "oauth-clients",
    request_body = NewOAuthClient,
    responses((status = 201, description = "The new client, with its secret", body = CreatedOAuthClient)),
    security(("bearer" = ["settings:write"])))]
async fn create(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Response> {
    auth.require(ApiScope::SettingsWrite)?;
    let input = body.parse::<NewOAuthClient>()?;
    let input = portico_app::credentials::NewCredential {
        name: input.name,
        scopes: ApiScopes::parse_list("scopes", &input.scopes)?,
        expires_at: None,
    };
    let new = portico_app::credentials::create_oauth_client(
        &s.app,
        &auth.caller(),
        input,
        s.app.clock.now(),
    )
    .await?;
    let client = new.record;
    let redacted = CreatedOAuthClient {
        client: client.clone(),
        client_secret: None,
    };
    let replay = serde_json::to_vec(&redacted).map_err(ApiError::internal)?;
    let mut response = created(CreatedOAuthClient {
        client,
        client_secret: Some(new.secret),
    })
    .into_response();
    response.extensions_mut().insert(ReplayBody(replay));
    Ok(response)
}

/// Lists the account's OAuth clients, newest first, without their secrets.
#[utoipa::path(get, path = "/api/v1/oauth-clients", tag = "oauth-clients",
    params(ListQuery),
    responses((status = 200, description = "A page of OAuth clients", body = List<OAuthClient>)),
    security(("bearer" = ["settings:write"])))]
async fn list(
    State(s): State<AppState>,
    auth: VendorAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<OAuthClient>>> {
    auth.require(ApiScope::SettingsWrite)?;
    let page = page::<OAuthClientId>(q.limit.as_deref(), q.starting_after.as_deref())?;
    Ok(Json(
        s.app.store.list_oauth_clients(&auth.account, page).await?,
    ))
}

/// Revokes an OAuth client; it gets no more tokens and the ones it has stop working at once.
/// A key may revoke only clients whose scopes it holds itself: 403 otherwise.
#[utoipa::path(delete, path = "/api/v1/oauth-clients/{id}", tag = "oauth-clients",
    params(("id" = OAuthClientId, Path, description = "OAuth client id")),
    responses((status = 200, description = "The revoked client", body = OAuthClient)),
    security(("bearer" = ["settings:write"])))]
async fn revoke(
    State(s): State<AppState>,
    auth: VendorAuth,
    IdPath(id): IdPath<OAuthClientId>,
) -> ApiResult<Json<OAuthClient>> {
    auth.require(ApiScope::SettingsWrite)?;
    let revoked = portico_app::credentials::revoke_oauth_client(
        &s.app,
        &auth.caller(),
        &id,
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(revoked))
}
