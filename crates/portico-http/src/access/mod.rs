//! Portal access as vendors ask for it. One function turns a request for a customer (or one of its
//! contacts) into a stored portal session and a signed portal token; the native API and the three
//! dialects (GraphQL, REST portal-token, signed redirect links) are thin shapes around it.

pub mod native;
pub mod rest_token;
pub mod shareable;

use portico_auth::portal_token::{self, PortalClaims, PortalUser};
use portico_core::model::{
    Account, Contact, ContactRef, Customer, CustomerRef, PortalSession, PortalSessionRequest,
    access_refusal, session_scopes,
};
use portico_core::{PortalSessionId, Timestamp};
use portico_store::StoreError;

use crate::error::{ApiError, ApiResult};
use crate::{AppState, VendorAuth};

/// Who the session is for: a customer, or a contact (whose customer it then is).
#[derive(Debug, Clone)]
pub enum Target {
    Customer(CustomerRef),
    /// A contact of the named customer.
    CustomerContact(CustomerRef, ContactRef),
    /// A contact, named alone (the signed-link dialect's `enduserId`).
    Contact(ContactRef),
}

/// A freshly issued portal session and its token.
#[derive(Debug, Clone)]
pub struct Issued {
    pub session: PortalSession,
    pub token: String,
    pub account: Account,
    pub customer: Customer,
}

/// The portal's base URL for an account: the public URL with `{subdomain}` filled in.
pub fn portal_origin(public_url: &str, subdomain: &str) -> String {
    public_url.replace("{subdomain}", subdomain)
}

impl Issued {
    /// The portal link: the session's start page with the token, ready for the browser.
    pub fn url(&self, state: &AppState) -> String {
        format!(
            "{}{}?token={}",
            portal_origin(&state.public_url, &self.account.subdomain),
            self.session.page.path(),
            self.token
        )
    }
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        e @ StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
        e => e.into(),
    }
}

/// Resolves the target to its customer and contact, both of the caller's account.
pub async fn resolve(
    state: &AppState,
    auth: &VendorAuth,
    target: &Target,
) -> ApiResult<(Customer, Option<Contact>)> {
    let store = &state.store;
    let account = &auth.account;
    let (customer_ref, contact) = match target {
        Target::Customer(c) => (c.clone(), None),
        Target::CustomerContact(c, x) => (
            c.clone(),
            Some(store.contact(account, x).await.map_err(not_found)?),
        ),
        Target::Contact(x) => {
            let contact = store.contact(account, x).await.map_err(not_found)?;
            (CustomerRef::Id(contact.customer.clone()), Some(contact))
        }
    };
    let customer = store
        .customer(account, &customer_ref)
        .await
        .map_err(not_found)?;
    if let Some(c) = &contact
        && c.customer != customer.id
    {
        return Err(ApiError::NotFound(format!(
            "no such contact of customer '{customer_ref}'"
        )));
    }
    Ok((customer, contact))
}

/// Issues a portal session for `target`: stored before the token is returned, scoped to what the
/// vendor asked for within the account's portal settings and the contact's role.
pub async fn issue(
    state: &AppState,
    auth: &VendorAuth,
    target: &Target,
    request: PortalSessionRequest,
) -> ApiResult<Issued> {
    let (customer, contact) = resolve(state, auth, target).await?;
    if let Some(reason) = access_refusal(&customer, contact.as_ref()) {
        return Err(ApiError::Forbidden(reason.to_owned()));
    }
    let account = state.store.account(&auth.account).await?;
    let now = state.clock.now();
    let session = PortalSession {
        id: PortalSessionId::new(now, rand::random()),
        customer: customer.id.clone(),
        contact: contact.as_ref().map(|c| c.id.clone()),
        scopes: session_scopes(
            request.scopes,
            &account.settings.features,
            contact.as_ref().map(|c| c.role),
        ),
        return_url: request
            .return_url
            .or_else(|| account.settings.default_return_url.clone()),
        locale: request.locale,
        page: request.page,
        issued_at: now,
        expires_at: now.plus_secs(request.expires_in_seconds),
        revoked_at: None,
        issued_by: auth.issuer(),
    };
    state
        .store
        .create_portal_session(&account.id, &session, request.invalidate_existing)
        .await?;
    let token = sign(state, &account, &session, now).await?;
    tracing::info!(portal_session = %session.id, customer = %customer.id, "issued a portal session");
    Ok(Issued {
        session,
        token,
        account,
        customer,
    })
}

/// Signs the portal token of a stored session with the account's current key.
pub async fn sign(
    state: &AppState,
    account: &Account,
    session: &PortalSession,
    now: Timestamp,
) -> ApiResult<String> {
    let key = state
        .keys
        .current(state.store.as_ref(), &account.id, now)
        .await?;
    let claims = PortalClaims {
        iss: portal_origin(&state.public_url, &account.subdomain),
        sub: session.customer.clone(),
        jti: session.id.clone(),
        iat: now,
        exp: session.expires_at,
        account: account.id.clone(),
        subdomain: account.subdomain.clone(),
        user: match &session.contact {
            Some(c) => PortalUser::Contact(c.clone()),
            None => PortalUser::Customer,
        },
        scope: session.scopes,
    };
    portal_token::issue(&claims, &key)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("cannot sign a portal token: {e}")))
}
