//! The account's credentials: API keys and OAuth clients, each shown with its secret once.

use portico_core::model::{ApiKey, OAuthClient};

use super::resource;
use crate::types::{CreatedApiKey, CreatedOAuthClient, NewApiKey, NewOAuthClient};

/// Create (with the secret, once), list and revoke of a kind of credential.
macro_rules! credentials {
    (
        $handle:ident, $filter:ident, $record:ident, $what:literal,
        create: $create:ident($new:ident) -> $created:ident,
        revoke: $revoke:ident $(,)?
    ) => {
        impl<'a> $handle<'a> {
            #[doc = concat!("Creates a ", $what, "; the answer holds its secret, this once.")]
            pub async fn create(&self, new: &$new) -> crate::Result<$created> {
                self.call.send(crate::operations::$create, &[], new).await
            }

            #[doc = concat!("One page of ", $what, "s, newest first, without secrets.")]
            pub async fn list(
                &self,
                page: &crate::page::Page,
            ) -> crate::Result<portico_core::List<$record>> {
                crate::page::list(&self.call, &crate::page::$filter::default(), page).await
            }

            #[doc = concat!("Every ", $what, ", page by page.")]
            pub fn pages(&self) -> crate::page::Pager<'a, crate::page::$filter> {
                crate::page::Pager::new(self.call.clone(), crate::page::$filter::default())
            }

            #[doc = concat!("Revokes a ", $what, "; it stops working at once.")]
            pub async fn revoke(&self, id: impl crate::PathId) -> crate::Result<$record> {
                self.call
                    .delete(crate::operations::$revoke, &[id.path_id()])
                    .await
            }
        }
    };
}

resource!(
    /// API keys of the account (`settings:write`).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::{Client, NewApiKey};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let created = client
    ///     .api_keys()
    ///     .create(&NewApiKey {
    ///         name: "reporting".into(),
    ///         scopes: vec!["billing:read".into()],
    ///         expires_at: None,
    ///     })
    ///     .await?;
    /// let reporting = Client::new("http://127.0.0.1:8080", created.key.unwrap_or_default())?;
    /// client.api_keys().revoke(&created.api_key.id).await?;
    /// # Ok(()) }
    /// ```
    ApiKeys,
    api_keys
);

credentials!(
    ApiKeys, ApiKeyFilter, ApiKey, "API key",
    create: API_KEYS_CREATE(NewApiKey) -> CreatedApiKey,
    revoke: API_KEYS_REVOKE,
);

resource!(
    /// OAuth clients of the account (`settings:write`), for
    /// [`ClientBuilder::oauth_client`](crate::ClientBuilder::oauth_client).
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::{Client, NewOAuthClient};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let created = client
    ///     .oauth_clients()
    ///     .create(&NewOAuthClient {
    ///         name: "billing-backend".into(),
    ///         scopes: vec!["security:write".into(), "customers:read".into()],
    ///     })
    ///     .await?;
    /// let backend = Client::builder("http://127.0.0.1:8080")
    ///     .oauth_client(created.client.id.to_string(), created.client_secret.unwrap_or_default())
    ///     .scope("security:write")
    ///     .build()?;
    /// let all = client.oauth_clients().pages().all().await?;
    /// # Ok(()) }
    /// ```
    OAuthClients,
    oauth_clients
);

credentials!(
    OAuthClients, OAuthClientFilter, OAuthClient, "OAuth client",
    create: OAUTH_CLIENTS_CREATE(NewOAuthClient) -> CreatedOAuthClient,
    revoke: OAUTH_CLIENTS_REVOKE,
);
