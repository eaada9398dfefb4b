//! What the account's invoices say about the seller: legal name, address, tax ID,
//! registration, payment instructions, footer, and the logo.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use portico_core::Invalid;
use portico_core::model::{Address, InvoiceLogo, InvoiceSettings, nullable};
use portico_core::scope::ApiScope;
use portico_render::pdf::check_logo;
use serde::Deserialize;
use utoipa_axum::routes;

use super::portal_settings::set;
use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new()
        .routes(routes!(get, update))
        .routes(routes!(get_logo, put_logo, delete_logo))
}

/// The fields to change; `null` clears one, an absent field stays as it is. They apply to
/// invoices issued afterwards: an issued invoice keeps the seller block it was issued with.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettingsPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub legal_name: Option<Option<String>>,
    /// Replaces the whole address.
    pub address: Option<Address>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub tax_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub registration: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub payment_instructions: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub footer: Option<Option<String>>,
}

impl InvoiceSettingsPatch {
    /// The merged settings, not yet validated.
    pub fn merge_into(self, mut s: InvoiceSettings) -> InvoiceSettings {
        set(&mut s.legal_name, self.legal_name);
        set(&mut s.address, self.address);
        set(&mut s.tax_id, self.tax_id);
        set(&mut s.registration, self.registration);
        set(&mut s.payment_instructions, self.payment_instructions);
        set(&mut s.footer, self.footer);
        s
    }
}

/// The account's invoice settings; any valid key may read them.
#[utoipa::path(get, path = "/api/v1/invoice-settings", tag = "invoice-settings",
    responses((status = 200, description = "The invoice settings", body = InvoiceSettings)))]
async fn get(State(s): State<AppState>, auth: VendorAuth) -> ApiResult<Json<InvoiceSettings>> {
    Ok(Json(
        s.app.store.account(&auth.account).await?.settings.invoice,
    ))
}

/// Changes the given invoice settings.
#[utoipa::path(patch, path = "/api/v1/invoice-settings", tag = "invoice-settings",
    request_body = InvoiceSettingsPatch,
    responses((status = 200, description = "The changed invoice settings", body = InvoiceSettings)),
    security(("bearer" = ["settings:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Json<InvoiceSettings>> {
    auth.require(ApiScope::SettingsWrite)?;
    let patch = body.parse::<InvoiceSettingsPatch>()?;
    let edit = |current| patch.merge_into(current);
    let account =
        portico_app::invoice_settings::update(&s.app, &auth.caller(), edit, s.app.clock.now())
            .await?;
    Ok(Json(account.settings.invoice))
}

/// Sets the logo printed at the top of the account's invoices: a PNG or JPEG of at most
/// 512 KiB and 2000 pixels a side, recognised by its bytes whatever the request's content
/// type says. The image is kept in Portico; nothing is ever fetched from a URL.
#[utoipa::path(put, path = "/api/v1/invoice-settings/logo", tag = "invoice-settings",
    request_body(content = Vec<u8>, content_type = "image/png",
        description = "The image file (PNG or JPEG)"),
    responses((status = 200, description = "The invoice settings with the new logo", body = InvoiceSettings)),
    security(("bearer" = ["settings:write"])))]
async fn put_logo(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: Bytes,
) -> ApiResult<Json<InvoiceSettings>> {
    auth.require(ApiScope::SettingsWrite)?;
    let checked = check_logo(&body).map_err(|e| Invalid::new("logo", e.to_string()))?;
    let now = s.app.clock.now();
    let (logo, info) = InvoiceLogo::with_info(
        checked.content_type,
        body.to_vec(),
        checked.width,
        checked.height,
        now,
    );
    let account =
        portico_app::invoice_settings::set_logo(&s.app, &auth.caller(), Some((logo, info)), now)
            .await?;
    Ok(Json(account.settings.invoice))
}

/// The logo as it was uploaded.
#[utoipa::path(get, path = "/api/v1/invoice-settings/logo", tag = "invoice-settings",
    responses((status = 200, description = "The image", content_type = "image/png"),
        (status = 404, description = "No logo")))]
async fn get_logo(State(s): State<AppState>, auth: VendorAuth) -> ApiResult<Response> {
    let logo = s
        .app
        .store
        .invoice_logo(&auth.account)
        .await?
        .ok_or_else(|| portico_app::AppError::not_found("logo", "invoice-settings/logo"))?;
    let mut response = logo.data.into_response();
    let headers = response.headers_mut();
    let content_type = match logo.content_type.as_str() {
        "image/jpeg" => "image/jpeg",
        _ => "image/png",
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Removes the logo; invoices then show the account's display name at the top.
#[utoipa::path(delete, path = "/api/v1/invoice-settings/logo", tag = "invoice-settings",
    responses((status = 200, description = "The invoice settings without a logo", body = InvoiceSettings)),
    security(("bearer" = ["settings:write"])))]
async fn delete_logo(
    State(s): State<AppState>,
    auth: VendorAuth,
) -> ApiResult<Json<InvoiceSettings>> {
    auth.require(ApiScope::SettingsWrite)?;
    let account =
        portico_app::invoice_settings::set_logo(&s.app, &auth.caller(), None, s.app.clock.now())
            .await?;
    Ok(Json(account.settings.invoice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_only_given_fields() {
        let current = InvoiceSettings {
            legal_name: Some("Acme Cloud GmbH".into()),
            footer: Some("Old footer".into()),
            ..InvoiceSettings::default()
        };
        let patch: InvoiceSettingsPatch = serde_json::from_str(
            r#"{"tax_id": "DE123456789", "footer": null,
                "address": {"line1": "Torstraße 1", "city": "Berlin", "country": "DE"}}"#,
        )
        .unwrap();
        let merged = patch.merge_into(current);
        assert_eq!(merged.legal_name.as_deref(), Some("Acme Cloud GmbH"));
        assert_eq!(merged.tax_id.as_deref(), Some("DE123456789"));
        assert_eq!(merged.footer, None);
        assert_eq!(merged.address.city.as_deref(), Some("Berlin"));
        assert!(serde_json::from_str::<InvoiceSettingsPatch>(r#"{"logo": "x"}"#).is_err());
    }
}
