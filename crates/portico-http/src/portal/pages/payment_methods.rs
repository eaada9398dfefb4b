//! The customer's payment methods, the default first, with their expiry; and the actions on
//! them: add one through the payment provider (which may replace an expired or expiring card
//! in the same step), make one the default, remove one.

use crate::portal::see_other;
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use portico_app::payments::{self, SetupInput, SetupStart};
use portico_app::{AppError, Caller};
use portico_core::model::{PaymentMethod, PaymentMethodKind, PortalPage};
use portico_core::scope::PortalScope;
use portico_core::{PaymentMethodId, Timestamp};
use portico_render::format::format_card_expiry;
use portico_render::{Locale, Msg, t, tf};
use serde::Deserialize;

use super::parts::{badge, heading};
use crate::AppState;
use crate::portal::action::{Action, ActionForm, DONE, allows};
use crate::portal::session::{Denied, Visit};
use crate::portal::{forbidden, load};

pub struct Methods {
    pub methods: Vec<PaymentMethod>,
    /// For telling expired cards.
    pub now: Timestamp,
    /// The CSRF token of the forms, when the session may change payment methods and the
    /// account takes payments.
    pub csrf: Option<String>,
    /// What went wrong with the last action, from its redirect.
    pub problem: Option<Msg>,
}

/// Whether the session may manage payment methods through the account's provider.
pub async fn can_manage(s: &AppState, v: &Visit) -> Result<bool, Denied> {
    Ok(allows(v, PortalScope::PaymentMethodsWrite)
        && s.app.store.payment_provider(&v.account.id).await?.is_some())
}

pub async fn load(s: &AppState, v: &Visit, done: Option<&str>) -> Result<Methods, Denied> {
    Ok(Methods {
        methods: load::payment_methods(s, &v.account.id, &v.customer.id).await?,
        now: s.app.clock.now(),
        csrf: can_manage(s, v).await?.then(|| v.csrf_token()),
        problem: done.and_then(problem),
    })
}

/// The customer-facing text of a refused action, by the code its redirect carries.
fn problem(done: &str) -> Option<Msg> {
    match done {
        "last_method" => Some(Msg::LastMethodNeeded),
        "card_not_added" => Some(Msg::CardNotAdded),
        "unavailable" => Some(Msg::PaymentUnavailable),
        _ => None,
    }
}

pub fn render(d: &Methods, l: Locale) -> Markup {
    html! {
        (heading(l, PortalPage::PaymentMethod))
        @if let Some(msg) = d.problem {
            p.flash.bad role="alert" { (t(l, msg)) }
        }
        @if d.methods.is_empty() {
            p.empty { (t(l, Msg::NoPaymentMethod)) }
        }
        ul.methods {
            @for pm in &d.methods {
                li.card.method {
                    (brand_mark(pm))
                    div.about {
                        p.kind { (t(l, pm.kind.into())) }
                        p.big { (method_name(pm, l)) }
                        p.muted {
                            @match (pm.exp_month, pm.exp_year) {
                                (Some(m), Some(y)) => (tf(l, Msg::Expires, &[("expiry", &format_card_expiry(m, y))])),
                                _ => (pm.brand.as_deref().unwrap_or_default()),
                            }
                        }
                    }
                    div.badges {
                        @if pm.is_default { (badge("info", t(l, Msg::DefaultBadge))) }
                        @if pm.is_expired(d.now) { (badge("bad", t(l, Msg::Expired))) }
                    }
                    @if let Some(csrf) = &d.csrf {
                        div.actions {
                            @if pm.is_expired(d.now) || pm.is_expiring(d.now) {
                                (post_button(csrf, "/portal/payment-method/add", Some(&pm.id), t(l, Msg::ReplaceCard), false))
                            }
                            @if !pm.is_default && !pm.is_expired(d.now) {
                                (post_button(csrf, &format!("/portal/payment-method/{}/default", pm.id), None, t(l, Msg::MakeDefault), true))
                            }
                            (post_button(csrf, &format!("/portal/payment-method/{}/remove", pm.id), None, t(l, Msg::RemoveMethod), true))
                        }
                    }
                }
            }
        }
        @if let Some(csrf) = &d.csrf {
            div.actions { (post_button(csrf, "/portal/payment-method/add", None, t(l, Msg::AddCard), false)) }
        }
    }
}

/// A form of one button that posts an action.
fn post_button(
    csrf: &str,
    action: &str,
    replace: Option<&PaymentMethodId>,
    label: &str,
    secondary: bool,
) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(id) = replace { input type="hidden" name="replace" value=(id); }
            button.secondary[secondary] type="submit" { (label) }
        }
    }
}

/// The brand's mark, drawn inline (no image from elsewhere); decorative, the name says it.
pub fn brand_mark(pm: &PaymentMethod) -> Markup {
    let svg = match pm.brand.as_deref() {
        Some("visa") => VISA,
        Some("mastercard") => MASTERCARD,
        Some("amex") => AMEX,
        _ => GENERIC,
    };
    html! { span.brandmark aria-hidden="true" { (PreEscaped(svg)) } }
}

const VISA: &str = r##"<svg viewBox="0 0 48 32" width="48" height="32" focusable="false"><rect width="48" height="32" rx="4" fill="#1a1f71"/><text x="24" y="21" text-anchor="middle" font-family="Arial,sans-serif" font-size="13" font-weight="700" font-style="italic" fill="#fff">VISA</text></svg>"##;
const MASTERCARD: &str = r##"<svg viewBox="0 0 48 32" width="48" height="32" focusable="false"><rect width="48" height="32" rx="4" fill="#252525"/><circle cx="19" cy="16" r="9" fill="#eb001b"/><circle cx="29" cy="16" r="9" fill="#f79e1b" fill-opacity="0.9"/></svg>"##;
const AMEX: &str = r##"<svg viewBox="0 0 48 32" width="48" height="32" focusable="false"><rect width="48" height="32" rx="4" fill="#2e77bc"/><text x="24" y="20" text-anchor="middle" font-family="Arial,sans-serif" font-size="10" font-weight="700" fill="#fff">AMEX</text></svg>"##;
const GENERIC: &str = r##"<svg viewBox="0 0 48 32" width="48" height="32" focusable="false"><rect width="48" height="32" rx="4" fill="#57606a"/><rect y="8" width="48" height="5" fill="#24292f"/><rect x="6" y="20" width="16" height="4" rx="1" fill="#d0d7de"/></svg>"##;

/// "Visa ending in 4242", "Account ending in 3000".
pub fn method_name(pm: &PaymentMethod, l: Locale) -> String {
    match pm.kind {
        PaymentMethodKind::Card => {
            let brand = pm
                .brand
                .as_deref()
                .map_or_else(|| t(l, Msg::Card).to_owned(), card_brand);
            tf(
                l,
                Msg::CardEnding,
                &[("brand", &brand), ("last4", &pm.last4)],
            )
        }
        _ => tf(l, Msg::AccountEnding, &[("last4", &pm.last4)]),
    }
}

/// Card brands are names, the same in every language.
fn card_brand(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "jcb" => "JCB".into(),
        "diners" => "Diners Club".into(),
        "unionpay" => "UnionPay".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

// --- actions ---

/// Add (or replace) a card: the form names the card it replaces, if any.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    pub replace: Option<String>,
}

impl ActionForm for AddForm {
    const SCOPE: PortalScope = PortalScope::PaymentMethodsWrite;
}

/// An action on one payment method, named by the path.
#[derive(Debug, Default, Deserialize)]
pub struct MethodForm {}

impl ActionForm for MethodForm {
    const SCOPE: PortalScope = PortalScope::PaymentMethodsWrite;
}

/// Back to the page, saying how the action went.
fn back(code: &str) -> Response {
    see_other(&format!(
        "{}?{DONE}={code}",
        PortalPage::PaymentMethod.path()
    ))
}

/// `POST /portal/payment-method/add`: to the provider's page, which comes back to
/// [`added`].
pub async fn add(State(s): State<AppState>, action: Action<AddForm>) -> Response {
    let Action { visit: v, form } = action;
    let origin = portico_app::access::portal_origin(&s.app.public_url, &v.account.subdomain);
    let replace = form
        .replace
        .as_deref()
        .and_then(|r| r.parse::<PaymentMethodId>().ok());
    let return_url = match &replace {
        Some(id) => format!("{origin}/portal/payment-method/added?replace={id}"),
        None => format!("{origin}/portal/payment-method/added"),
    };
    let input = SetupInput {
        customer: v.customer.id.clone(),
        return_url: return_url.clone(),
    };
    match payments::begin_setup(&s.app, &v.caller(), input, s.app.clock.now()).await {
        Ok(SetupStart::Redirect { url }) => see_other(&url),
        Ok(SetupStart::Embedded {
            client_secret,
            public_key,
        }) => match s.app.payments.stripe() {
            Some(stripe) => card_form_page(&v, &stripe, &client_secret, &public_key, &return_url),
            None => back("card_not_added"),
        },
        Err(AppError::Unavailable(_)) => back("unavailable"),
        Err(e) => Denied::from(e).render(v.locale),
    }
}

/// The card form of an account on Stripe: Stripe's card Element, mounted by Stripe.js (the one
/// external script a portal page loads, and only this page, so its policy names Stripe.js's
/// origin) and confirmed in the browser; then back to [`added`] with the SetupIntent's id.
/// Without JavaScript the page says that the form needs it.
fn card_form_page(
    v: &Visit,
    stripe: &payments::StripeProvider,
    client_secret: &str,
    public_key: &str,
    return_url: &str,
) -> Response {
    let l = v.locale;
    let version = crate::portal::assets::version();
    let main = html! {
        h1 { (t(l, Msg::AddCard)) }
        form #stripe-card.card method="get" action=(PortalPage::PaymentMethod.path())
            data-key=(public_key) data-secret=(client_secret) data-return=(return_url)
            data-failed=(t(l, Msg::CardNotAdded)) {
            fieldset {
                legend { (t(l, Msg::CardDetails)) }
                div #card-element {}
            }
            noscript { p.flash.bad { (t(l, Msg::CardFormNeedsJavaScript)) } }
            p #card-errors role="alert" {}
            div.actions { button type="submit" hidden { (t(l, Msg::SaveCard)) } }
        }
        script src=(stripe.js_url()) {}
        script src={ "/assets/stripe-card.js?v=" (version) } defer {}
    };
    let response = super::respond_page(
        v,
        StatusCode::OK,
        PortalPage::PaymentMethod,
        t(l, Msg::AddCard),
        None,
        main,
    );
    with_stripe_policy(response, v, stripe)
}

/// A page that loads Stripe.js gets the policy that allows it (and only such a page).
pub fn with_stripe_policy(
    mut response: Response,
    v: &Visit,
    stripe: &payments::StripeProvider,
) -> Response {
    let policy = crate::portal::layout::stripe_content_security_policy(Some(&v.account), stripe);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// `GET /portal/payment-method/added?…`: where the provider's page sends the customer back;
/// keeps the card it reports (a reload keeps it once) and goes on to the page. A GET that
/// writes, on purpose: a provider returns by a top-level navigation, the one cross-site request
/// that brings the `SameSite=Lax` cookie along; what it records is the provider's signed
/// result, not a change the request asks for, and recording it twice changes nothing.
pub async fn added(
    State(s): State<AppState>,
    v: Visit,
    Query(returned): Query<BTreeMap<String, String>>,
) -> Response {
    if !allows(&v, PortalScope::PaymentMethodsWrite) {
        return forbidden(&v);
    }
    let replace = returned
        .get("replace")
        .and_then(|r| r.parse::<PaymentMethodId>().ok());
    let now = s.app.clock.now();
    let by = v.caller();
    match payments::complete_setup(
        &s.app,
        &by,
        &v.customer.id,
        &returned,
        replace.as_ref(),
        now,
    )
    .await
    {
        Ok(pm) => {
            tracing::info!(portal_session = %v.session.id, payment_method = %pm.id, "card added");
            back("card_added")
        }
        Err(AppError::Conflict(_) | AppError::NotFound { .. } | AppError::Invalid(_)) => {
            back("card_not_added")
        }
        Err(AppError::Unavailable(_)) => back("unavailable"),
        Err(e) => Denied::from(e).render(v.locale),
    }
}

/// An action on one of the session's customer's payment methods, named by the path; back to
/// the page with `done`, or the page's explanation of a refusal.
async fn on_method<F, Fut>(v: &Visit, id: &str, done: &str, act: F) -> Response
where
    F: FnOnce(Caller, PaymentMethodId) -> Fut,
    Fut: std::future::Future<Output = Result<PaymentMethod, AppError>>,
{
    let Ok(id) = id.parse::<PaymentMethodId>() else {
        return super::not_found(v);
    };
    match act(v.caller(), id).await {
        Ok(_) => back(done),
        Err(AppError::Conflict(m)) if m == portico_app::payment_methods::LAST_METHOD_NEEDED => {
            back("last_method")
        }
        Err(AppError::NotFound { .. }) => super::not_found(v),
        Err(e) => Denied::from(e).render(v.locale),
    }
}

/// `POST /portal/payment-method/{id}/default`.
pub async fn make_default(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<MethodForm>,
) -> Response {
    let (v, now) = (action.visit, s.app.clock.now());
    let customer = v.customer.id.clone();
    on_method(&v, &id, "default_changed", |by, id| async move {
        portico_app::payment_methods::make_default(&s.app, &by, &customer, &id, now).await
    })
    .await
}

/// `POST /portal/payment-method/{id}/remove`: not the last one while a subscription renews
/// with it, which the page explains.
pub async fn remove(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<MethodForm>,
) -> Response {
    let (v, now) = (action.visit, s.app.clock.now());
    let customer = v.customer.id.clone();
    on_method(&v, &id, "method_removed", |by, id| async move {
        portico_app::payment_methods::remove(&s.app, &by, &customer, &id, now).await
    })
    .await
}
