//! Webhook endpoints of the account, their secrets, delivery logs and redelivery.

use portico_core::List;

use super::resource;
use crate::operations;
use crate::page::{Page, Pager, WebhookEndpointFilter};
use crate::types::{
    NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookEndpointPatch,
    WebhookEndpointWithSecret,
};
use crate::{PathId, Result};

resource!(
    /// Webhook endpoints of the account (`webhooks:read`, `webhooks:write` to change them).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::{Client, NewWebhookEndpoint};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let created = client
    ///     .webhook_endpoints()
    ///     .create(&NewWebhookEndpoint {
    ///         url: "https://example.com/portico-events".into(),
    ///         event_types: Some(vec!["customer.created".into()]),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// let secret = created.secret.unwrap_or_default(); // whsec_…, shown this once
    /// let log = client
    ///     .webhook_endpoints()
    ///     .deliveries(&created.endpoint.id, &Default::default())
    ///     .await?;
    /// # Ok(()) }
    /// ```
    WebhookEndpoints,
    webhook_endpoints
);

impl<'a> WebhookEndpoints<'a> {
    /// Creates an endpoint; the answer holds its signing secret, this once.
    pub async fn create(&self, new: &NewWebhookEndpoint) -> Result<WebhookEndpointWithSecret> {
        self.call
            .send(operations::WEBHOOK_ENDPOINTS_CREATE, &[], new)
            .await
    }

    /// One page of endpoints, newest first.
    pub async fn list(&self, page: &Page) -> Result<List<WebhookEndpoint>> {
        crate::page::list(&self.call, &WebhookEndpointFilter::default(), page).await
    }

    /// Every endpoint, page by page.
    pub fn pages(&self) -> Pager<'a, WebhookEndpointFilter> {
        Pager::new(self.call.clone(), WebhookEndpointFilter::default())
    }

    pub async fn get(&self, id: impl PathId) -> Result<WebhookEndpoint> {
        self.call
            .get(operations::WEBHOOK_ENDPOINTS_GET, &[id.path_id()], &[])
            .await
    }

    /// Changes the given fields; enabling an endpoint clears the reason it was disabled for.
    pub async fn update(
        &self,
        id: impl PathId,
        patch: &WebhookEndpointPatch,
    ) -> Result<WebhookEndpoint> {
        self.call
            .send(operations::WEBHOOK_ENDPOINTS_UPDATE, &[id.path_id()], patch)
            .await
    }

    /// Deletes an endpoint and its delivery log.
    pub async fn delete(&self, id: impl PathId) -> Result<WebhookEndpoint> {
        self.call
            .delete(operations::WEBHOOK_ENDPOINTS_DELETE, &[id.path_id()])
            .await
    }

    /// A new signing secret, shown this once; the previous one signs beside it for 24 hours.
    pub async fn rotate_secret(&self, id: impl PathId) -> Result<WebhookEndpointWithSecret> {
        self.call
            .send(
                operations::WEBHOOK_ENDPOINTS_ROTATE_SECRET,
                &[id.path_id()],
                &(),
            )
            .await
    }

    /// One page of the endpoint's deliveries, newest first.
    pub async fn deliveries(&self, id: impl PathId, page: &Page) -> Result<List<WebhookDelivery>> {
        self.call
            .get(
                operations::WEBHOOK_DELIVERIES_LIST,
                &[id.path_id()],
                &page.pairs(),
            )
            .await
    }

    /// Sends a delivery again, now; the receiver gets the same `webhook-id`.
    pub async fn redeliver(&self, delivery: impl PathId) -> Result<WebhookDelivery> {
        self.call
            .send(
                operations::WEBHOOK_DELIVERIES_REDELIVER,
                &[delivery.path_id()],
                &(),
            )
            .await
    }
}
