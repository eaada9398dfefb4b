//! The account's portal settings, and the deployment's own operations: health, readiness and
//! the OpenAPI document.

use portico_core::model::PortalSettings;

use crate::client::{Call, Client};
use crate::error::Result;
use crate::operations;
use crate::types::{Health, PaymentProvider, PaymentProviderSettings, PortalSettingsPatch};

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
