//! The account's portal and invoice settings, and the deployment's own operations: health, readiness and
//! the OpenAPI document.

use portico_core::model::{InvoiceSettings, PortalSettings};
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::client::{Call, Client, api_error, decode};
use crate::error::{Error, Result};
use crate::operations;
use crate::types::{
    Health, InvoiceSettingsPatch, PaymentProvider, PaymentProviderSettings, PortalSettingsPatch,
};

/// The account's portal settings: branding, feature switches, default locale, allowed origins.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use portico_client::{BrandingPatch, Client, PortalSettingsPatch};
///
/// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
/// let before = client.portal_settings().get().await?;
/// let after = client
///     .portal_settings()
///     .update(&PortalSettingsPatch {
///         branding: Some(BrandingPatch {
///             primary_color: Some(Some("#1a73e8".into())),
///             display_name: Some(None), // clears it
///             ..Default::default()
///         }),
///         default_locale: Some("de".into()),
///         ..Default::default()
///     })
///     .await?;
/// assert_eq!(after.features, before.features);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PortalSettingsApi<'a> {
    call: Call<'a>,
}

impl Client {
    /// The account's [`PortalSettingsApi`].
    pub fn portal_settings(&self) -> PortalSettingsApi<'_> {
        PortalSettingsApi {
            call: Call::new(self),
        }
    }

    /// `GET /healthz`: the server process is up.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), portico_client::Error> {
    /// let client = portico_client::Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// assert_eq!(client.health().await?.status, "ok");
    /// client.ready().await?;
    /// let document = client.openapi_document().await?;
    /// assert!(document["paths"]["/api/v1/customers"].is_object());
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> Result<Health> {
        self.execute_public(operations::HEALTHZ).await
    }

    /// `GET /readyz`: the server can serve (its database answers); an error otherwise.
    pub async fn ready(&self) -> Result<Health> {
        self.execute_public(operations::READYZ).await
    }

    /// The server's OpenAPI 3.1 document, as JSON.
    pub async fn openapi_document(&self) -> Result<serde_json::Value> {
        self.execute_public(operations::OPENAPI).await
    }
}

impl PortalSettingsApi<'_> {
    /// The current settings; any valid credential may read them.
    pub async fn get(&self) -> Result<PortalSettings> {
        self.call
            .get(operations::PORTAL_SETTINGS_GET, &[], &[])
            .await
    }

    /// Merges `patch` into the settings (`settings:write`) and answers the result.
    pub async fn update(&self, patch: &PortalSettingsPatch) -> Result<PortalSettings> {
        self.call
            .send(operations::PORTAL_SETTINGS_UPDATE, &[], patch)
            .await
    }
}

/// The account's payment provider (`settings:write`): the one that takes the portal's payments.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use portico_client::{Client, PaymentProviderSettings};
///
/// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
/// let set = client
///     .payment_provider()
///     .set(&PaymentProviderSettings { provider: "test".into(), ..Default::default() })
///     .await?;
/// assert!(set.secret_set);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PaymentProviderApi<'a> {
    call: Call<'a>,
}

impl Client {
    /// The account's [`PaymentProviderApi`].
    pub fn payment_provider(&self) -> PaymentProviderApi<'_> {
        PaymentProviderApi {
            call: Call::new(self),
        }
    }
}

impl PaymentProviderApi<'_> {
    /// The provider, without its secrets; `provider` is `None` when the account takes no
    /// payments.
    pub async fn get(&self) -> Result<PaymentProvider> {
        self.call
            .get(operations::PAYMENT_PROVIDER_GET, &[], &[])
            .await
    }

    /// Sets the provider and its keys, replacing the ones before.
    pub async fn set(&self, settings: &PaymentProviderSettings) -> Result<PaymentProvider> {
        self.call
            .send(operations::PAYMENT_PROVIDER_SET, &[], settings)
            .await
    }
}

/// The seller block, payment instructions, footer and logo of the account's invoices.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use portico_client::{Client, InvoiceSettingsPatch};
///
/// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
/// let patch = InvoiceSettingsPatch {
///     legal_name: Some(Some("Acme Cloud GmbH".into())),
///     ..InvoiceSettingsPatch::default()
/// };
/// client.invoice_settings().update(&patch).await?;
/// client.invoice_settings().put_logo("image/png", std::fs::read("logo.png")?).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InvoiceSettingsApi<'a> {
    call: Call<'a>,
}

impl Client {
    /// The account's [`InvoiceSettingsApi`].
    pub fn invoice_settings(&self) -> InvoiceSettingsApi<'_> {
        InvoiceSettingsApi {
            call: Call::new(self),
        }
    }
}

impl InvoiceSettingsApi<'_> {
    /// The current settings; any valid credential may read them.
    pub async fn get(&self) -> Result<InvoiceSettings> {
        self.call
            .get(operations::INVOICE_SETTINGS_GET, &[], &[])
            .await
    }

    /// Merges `patch` into the settings (`settings:write`) and answers the result.
    pub async fn update(&self, patch: &InvoiceSettingsPatch) -> Result<InvoiceSettings> {
        self.call
            .send(operations::INVOICE_SETTINGS_UPDATE, &[], patch)
            .await
    }

    /// Uploads the logo (`image/png` or `image/jpeg`), replacing the one before.
    pub async fn put_logo(&self, content_type: &str, image: Vec<u8>) -> Result<InvoiceSettings> {
        let op = operations::INVOICE_LOGO_PUT;
        let content_type = HeaderValue::from_str(content_type)
            .map_err(|e| Error::Config(format!("{op}: content type: {e}")))?;
        let response = self
            .call
            .client
            .request(op, &[], &[], Some((content_type, image)), None)
            .await?;
        decode(op, response).await
    }

    /// The logo: its content type and bytes.
    pub async fn logo(&self) -> Result<(String, Vec<u8>)> {
        let op = operations::INVOICE_LOGO_GET;
        let response = self.call.client.request(op, &[], &[], None, None).await?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response.bytes().await?;
        if !status.is_success() {
            return Err(api_error(status, &bytes));
        }
        Ok((content_type, bytes.to_vec()))
    }

    /// Removes the logo.
    pub async fn delete_logo(&self) -> Result<InvoiceSettings> {
        self.call.delete(operations::INVOICE_LOGO_DELETE, &[]).await
    }
}
