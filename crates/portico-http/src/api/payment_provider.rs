//! The account's payment provider: which one takes the portal's payments, and its secrets,
//! which are sealed at rest and never answered.

use axum::Json;
use axum::extract::State;
use portico_app::payments::{self, ProviderSettings};
use portico_core::scope::ApiScope;
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;
use zeroize::Zeroizing;

use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new().routes(routes!(get, set))
}

/// The provider to take payments with, and its keys. Secrets are written, never read back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentProviderSettings {
    /// `test` (built in: its own card page and test numbers) or a provider this build has.
    pub provider: String,
    /// The provider's secret API key; the test provider makes its own when absent.
    #[schema(max_length = 500)]
    pub secret: Option<String>,
    /// The key the provider publishes to browsers, if it has one.
    #[schema(max_length = 500)]
    pub public_key: Option<String>,
    /// The secret the provider signs its events with.
    #[schema(max_length = 500)]
    pub webhook_secret: Option<String>,
}

/// The account's payment provider as it is set: which (`null` when the account takes no
/// payments in the portal), and whether its secrets are.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct PaymentProvider {
    pub provider: Option<String>,
    pub public_key: Option<String>,
    pub secret_set: bool,
    pub webhook_secret_set: bool,
}

impl From<payments::ProviderSummary> for PaymentProvider {
    fn from(s: payments::ProviderSummary) -> Self {
        PaymentProvider {
            provider: Some(s.provider),
            public_key: s.public_key,
            secret_set: s.secret_set,
            webhook_secret_set: s.webhook_secret_set,
        }
    }
}

/// The account's payment provider; `provider` is `null` when the account takes no payments in
/// the portal.
#[utoipa::path(get, path = "/api/v1/payment-provider", tag = "payment-provider",
    responses((status = 200, description = "The payment provider, without its secrets", body = PaymentProvider)),
    security(("bearer" = ["settings:write"])))]
async fn get(State(s): State<AppState>, auth: VendorAuth) -> ApiResult<Json<PaymentProvider>> {
    auth.require(ApiScope::SettingsWrite)?;
    let provider = s.app.store.payment_provider(&auth.account).await?;
    Ok(Json(
        provider.map_or_else(PaymentProvider::default, |record| {
            payments::settings_summary(&record).into()
        }),
    ))
}

/// Sets the account's payment provider and its keys, replacing the ones before. The secrets
/// are sealed with the deployment's master key and never shown again.
#[utoipa::path(put, path = "/api/v1/payment-provider", tag = "payment-provider",
    request_body = PaymentProviderSettings,
    responses((status = 200, description = "The payment provider, without its secrets", body = PaymentProvider)),
    security(("bearer" = ["settings:write"])))]
async fn set(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Json<PaymentProvider>> {
    auth.require(ApiScope::SettingsWrite)?;
    let input = body.parse::<PaymentProviderSettings>()?;
    let settings = ProviderSettings {
        provider: input.provider,
        secret: input.secret.map(Zeroizing::new),
        public_key: input.public_key,
        webhook_secret: input.webhook_secret.map(Zeroizing::new),
    };
    let summary = payments::configure(&s.app, &auth.caller(), settings, s.app.clock.now()).await?;
    Ok(Json(summary.into()))
}
