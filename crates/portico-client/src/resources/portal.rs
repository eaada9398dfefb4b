//! Portal access: native portal sessions, and the three dialects other products speak (a REST
//! portal token, signed single-use links for contacts, GraphQL `portalSessionCreate`).

use portico_core::model::{NewPortalSession, PortalSession};
use serde::Deserialize;

use super::resource;
use crate::PathId;
use crate::error::{Error, Result};
use crate::operations;
use crate::page::{self, Page, Pager, PortalSessionFilter};
use crate::types::{
    CustomerPortalTokenRequest, CustomerPortalTokenResponse, PortalAccess, PortalSessionCreated,
    Revoked, SignedLink,
};

resource!(
    /// Portal sessions: the short-lived access a customer or contact gets to the hosted portal.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{NewPortalSession, PortalPage};
    /// use portico_client::{Client, CustomerPortalTokenRequest, PortalSessionFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let sessions = client.portal_sessions();
    /// // Native: a link straight to the invoices page, in German, for one hour.
    /// let session = sessions
    ///     .create(&NewPortalSession {
    ///         customer: "wayne".into(),
    ///         page: Some(PortalPage::Invoices),
    ///         locale: Some("de".into()),
    ///         expires_in_seconds: Some(3600),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// println!("send the browser to {}", session.url);
    /// sessions.revoke(&session.id).await?;
    ///
    /// // REST portal token, GraphQL, and a signed link for a contact.
    /// let token = sessions.portal_token("wayne", &CustomerPortalTokenRequest::default()).await?;
    /// let bunny = sessions.portal_session_create("wayne", Some(24), None).await?;
    /// if sessions.contact_access("user-anna").await?.access {
    ///     let link = sessions.signed_link("user-anna").await?;
    ///     println!("valid once, for 30 s: {}", link.url);
    /// }
    /// let revoked = sessions.revoke_all("wayne").await?.revoked;
    /// let live = sessions
    ///     .pages(PortalSessionFilter { customer: Some("wayne".into()) })
    ///     .all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    PortalSessions,
    portal_sessions
);

impl<'a> PortalSessions<'a> {
    /// Issues a portal session for a customer, or for one contact of it (`security:write`).
    pub async fn create(&self, new: &NewPortalSession) -> Result<PortalSessionCreated> {
        self.call
            .send(operations::PORTAL_SESSIONS_CREATE, &[], new)
            .await
    }

    /// One page of portal sessions, newest first (`security:read`).
    pub async fn list(
        &self,
        filter: &PortalSessionFilter,
        page: &Page,
    ) -> Result<portico_core::List<PortalSession>> {
        page::list(&self.call, filter, page).await
    }

    /// Every portal session that `filter` lets through, page by page.
    pub fn pages(&self, filter: PortalSessionFilter) -> Pager<'a, PortalSessionFilter> {
        Pager::new(self.call.clone(), filter)
    }

    /// Gets a portal session (never its token).
    pub async fn get(&self, id: impl PathId) -> Result<PortalSession> {
        self.call
            .get(operations::PORTAL_SESSIONS_GET, &[id.path_id()], &[])
            .await
    }

    /// Revokes a portal session: its token and the browser sessions opened with it stop
    /// working.
    pub async fn revoke(&self, id: impl PathId) -> Result<PortalSession> {
        self.call
            .delete(operations::PORTAL_SESSIONS_REVOKE, &[id.path_id()])
            .await
    }

    /// Revokes every live portal session of one customer (id or alias).
    pub async fn revoke_all(&self, customer: impl PathId) -> Result<Revoked> {
        self.call
            .delete(
                operations::PORTAL_SESSIONS_REVOKE_ALL,
                &[customer.path_id()],
            )
            .await
    }

    /// The REST dialect: a portal token for a customer (id or alias); open
    /// `{portal_url}?token={token}`.
    pub async fn portal_token(
        &self,
        customer: impl PathId,
        request: &CustomerPortalTokenRequest,
    ) -> Result<CustomerPortalTokenResponse> {
        self.call
            .send(operations::PORTAL_TOKEN, &[customer.path_id()], request)
            .await
    }

    /// The signed-link dialect: whether a contact (id or external id) may open the portal now,
    /// so that the vendor shows or hides its button.
    pub async fn contact_access(&self, contact: impl PathId) -> Result<PortalAccess> {
        self.call
            .get(operations::SHAREABLE_ACCESS, &[contact.path_id()], &[])
            .await
    }

    /// The signed-link dialect: a link that logs the contact into the portal once, within 30
    /// seconds.
    pub async fn signed_link(&self, contact: impl PathId) -> Result<SignedLink> {
        self.call
            .get(operations::SHAREABLE_LINK, &[contact.path_id()], &[])
            .await
    }

    /// The GraphQL dialect, `mutation portalSessionCreate`: a portal token for the customer
    /// whose alias (or id) is `tenant_code`, living `expiry_hours` (1 to 720, default 24), with
    /// `return_url` as the portal's way back. Open `/portal?token=…` or a deep link such as
    /// `/portal/subscriptions?token=…`. The mutation's `errors` come back as
    /// [`Error::GraphQl`].
    pub async fn portal_session_create(
        &self,
        tenant_code: &str,
        expiry_hours: Option<i64>,
        return_url: Option<&str>,
    ) -> Result<String> {
        // `returnUrl` is named only when given, so that servers without the argument still
        // answer the other calls.
        let (declaration, argument) = match return_url {
            Some(_) => (", $returnUrl: String", ", returnUrl: $returnUrl"),
            None => ("", ""),
        };
        let query = format!(
            "mutation portalSessionCreate($tenantCode: String!, $expiry: Int{declaration}) \
             {{ portalSessionCreate(tenantCode: $tenantCode, expiry: $expiry{argument}) \
             {{ errors token }} }}"
        );
        let body = serde_json::json!({
            "query": query,
            "variables": {
                "tenantCode": tenant_code,
                "expiry": expiry_hours,
                "returnUrl": return_url,
            },
        });
        let body = serde_json::to_vec(&body)
            .map_err(|e| Error::decode(operations::GRAPHQL.to_string(), e))?;
        let answer: GraphQlAnswer = self
            .call
            .client
            .execute(operations::GRAPHQL, &[], &[], Some(body), None)
            .await?;
        if let Some(errors) = answer.errors.filter(|e| !e.is_empty()) {
            return Err(Error::GraphQl(
                errors.into_iter().map(|e| e.message).collect(),
            ));
        }
        let payload = answer
            .data
            .and_then(|d| d.portal_session_create)
            .ok_or_else(|| Error::decode(operations::GRAPHQL.to_string(), "no payload"))?;
        if let Some(errors) = payload.errors.filter(|e| !e.is_empty()) {
            return Err(Error::GraphQl(errors));
        }
        payload
            .token
            .ok_or_else(|| Error::decode(operations::GRAPHQL.to_string(), "no token"))
    }
}

#[derive(Deserialize)]
struct GraphQlAnswer {
    data: Option<GraphQlData>,
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
struct GraphQlData {
    #[serde(rename = "portalSessionCreate")]
    portal_session_create: Option<GraphQlPayload>,
}

#[derive(Deserialize)]
struct GraphQlPayload {
    errors: Option<Vec<String>>,
    token: Option<String>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
}
