//! Portal access as vendors ask for it. One use case turns a request for a customer (or one of
//! its contacts) into a stored portal session and a signed portal token; the native API, the
//! three dialects (GraphQL, REST portal-token, signed redirect links) and the command line are
//! thin shapes around it.

use portico_auth::portal_token::{self, PortalClaims, PortalUser};
use portico_core::model::{
    Account, AfterCompletion, Contact, ContactRef, Customer, CustomerRef, PortalFlow,
    PortalSession, PortalSessionRequest, access_refusal, session_scopes,
};
use portico_core::scope::PortalScopes;
use portico_core::{Invalid, PortalSessionId, Timestamp};
use portico_store::StoreError;

use crate::error::no_such;
use crate::{App, AppError, AppResult, Caller};

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
    pub fn url(&self, app: &App) -> String {
        format!(
            "{}{}?token={}",
            portal_origin(&app.public_url, &self.account.subdomain),
            self.session.page.path(),
            self.token
        )
    }
}

/// Resolves the target to its customer and contact, both of the caller's account.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn resolve(
    app: &App,
    by: &Caller,
    target: &Target,
) -> AppResult<(Customer, Option<Contact>)> {
    let store = &app.store;
    let account = &by.account;
    let (customer_ref, contact) = match target {
        Target::Customer(c) => (c.clone(), None),
        Target::CustomerContact(c, x) => (c.clone(), Some(store.contact(account, x).await?)),
        Target::Contact(x) => {
            let contact = store.contact(account, x).await?;
            (CustomerRef::Id(contact.customer.clone()), Some(contact))
        }
    };
    let customer = store.customer(account, &customer_ref).await?;
    if let Some(c) = &contact
        && c.customer != customer.id
    {
        // Not one of this customer's contacts: as good as none.
        return Err(AppError::not_found("contact", &c.id));
    }
    Ok((customer, contact))
}

/// Issues a portal session for `target`: stored before the token is returned, scoped to what the
/// vendor asked for within the account's portal settings and the contact's role.
pub async fn issue(
    app: &App,
    by: &Caller,
    target: &Target,
    request: PortalSessionRequest,
    now: Timestamp,
) -> AppResult<Issued> {
    issue_flow(app, by, target, request, None, now).await
}

/// Issues a portal session as [`issue`] does, locked to `flow` when one is given: the flow's
/// subscription must be the customer's, its plan the account's, and the session's scopes must
/// include what the task needs.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn issue_flow(
    app: &App,
    by: &Caller,
    target: &Target,
    request: PortalSessionRequest,
    flow: Option<PortalFlow>,
    now: Timestamp,
) -> AppResult<Issued> {
    let (customer, contact) = resolve(app, by, target).await?;
    if let Some(reason) = access_refusal(&customer, contact.as_ref()) {
        return Err(AppError::Forbidden(reason.to_owned()));
    }
    let account = app.store.account(&by.account).await?;
    let return_url = request
        .return_url
        .or_else(|| account.settings.default_return_url.clone());
    let scopes = session_scopes(
        request.scopes,
        &account.settings.features,
        contact.as_ref().map(|c| c.role),
    );
    if let Some(flow) = &flow {
        check_flow(app, &account, &customer, flow, scopes, return_url.is_some()).await?;
    }
    let session = PortalSession {
        id: PortalSessionId::new(now, rand::random()),
        customer: customer.id.clone(),
        contact: contact.as_ref().map(|c| c.id.clone()),
        scopes,
        return_url,
        locale: request.locale,
        page: request.page,
        issued_at: now,
        expires_at: now.plus_secs(request.expires_in_seconds),
        revoked_at: None,
        issued_by: by.actor.issuer().ok_or_else(|| {
            AppError::Forbidden("only the vendor issues portal access".to_owned())
        })?,
        flow,
    };
    app.store
        .create_portal_session(
            &account.id,
            &session,
            request.invalidate_existing,
            by.origin.as_ref(),
        )
        .await?;
    let token = sign(app, &account, &session, now).await?;
    tracing::info!(portal_session = %session.id, customer = %customer.id, "issued a portal session");
    Ok(Issued {
        session,
        token,
        account,
        customer,
    })
}

/// A flow the session can carry out: its records are the customer's (another customer's
/// subscription is as good as none), the session may do its task, and a redirect has somewhere
/// to go.
async fn check_flow(
    app: &App,
    account: &Account,
    customer: &Customer,
    flow: &PortalFlow,
    scopes: PortalScopes,
    has_return_url: bool,
) -> AppResult<()> {
    if let Some(id) = &flow.subscription {
        match app.store.subscription(&account.id, id).await {
            Ok(sub) if sub.customer == customer.id => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return Err(no_such(
                    "flow.subscription",
                    "subscription of this customer",
                    id,
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(id) = &flow.plan {
        match app.store.plan(&account.id, id).await {
            Ok(plan) if plan.self_service && plan.active => {}
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return Err(no_such("flow.plan", "self-service plan", id));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !scopes.contains(flow.scope()) {
        return Err(AppError::Invalid(Invalid::new(
            "flow",
            format!(
                "needs the portal scope {}, which the session does not have (the account's \
                 settings, the contact's role or the requested scopes leave it out)",
                flow.scope().as_str()
            ),
        )));
    }
    if flow.after_completion == AfterCompletion::Redirect && !has_return_url {
        return Err(AppError::Invalid(Invalid::new(
            "flow.after_completion",
            "a redirect needs a return_url (or the account's default return URL)",
        )));
    }
    Ok(())
}

/// Signs the portal token of a stored session with the account's current key.
pub async fn sign(
    app: &App,
    account: &Account,
    session: &PortalSession,
    now: Timestamp,
) -> AppResult<String> {
    let key = app
        .keys
        .current(app.store.as_ref(), &account.id, now)
        .await?;
    let claims = PortalClaims {
        iss: portal_origin(&app.public_url, &account.subdomain),
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
        .map_err(|e| AppError::Internal(format!("cannot sign a portal token: {e}").into()))
}
