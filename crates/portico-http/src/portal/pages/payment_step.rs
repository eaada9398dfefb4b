//! The page of the bank's check of a card payment on Stripe: Stripe.js (loaded by this page
//! only, with a policy that names it) takes the customer through the check, then returns to the
//! invoice, where the outcome is read from Stripe. A check that is already over (settled by
//! Stripe's event or an earlier return) goes straight to the invoice.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use portico_app::AppError;
use portico_app::payments::{self, PaymentStep};
use portico_core::PaymentAttemptId;
use portico_core::model::PortalPage;
use portico_core::scope::PortalScope;
use portico_render::{Msg, t, tf};

use super::invoices::{back_from_step, back_to_invoice};
use super::parts::money;
use super::payment_methods::with_stripe_policy;
use super::{not_found, page_enabled, respond_page};
use crate::AppState;
use crate::portal::action::{DONE, allows};
use crate::portal::forbidden;
use crate::portal::session::{Denied, Visit};

/// `GET /portal/stripe/payment-step/{attempt}`: the check of the session's customer's payment
/// attempt; any other attempt is the 404 page.
pub async fn page(State(s): State<AppState>, v: Visit, Path(attempt): Path<String>) -> Response {
    if !allows(&v, PortalScope::PaymentMethodsWrite) {
        return forbidden(&v);
    }
    let Ok(id) = attempt.parse::<PaymentAttemptId>() else {
        return not_found(&v);
    };
    if !page_enabled(&v, PortalPage::Invoices) {
        return not_found(&v);
    }
    let by = v.caller();
    let now = s.app.clock.now();
    let (attempt, client_secret, public_key) =
        match payments::payment_step(&s.app, &by, &v.customer.id, &id, now).await {
            Ok(PaymentStep::Open {
                attempt,
                client_secret,
                public_key,
            }) => (attempt, client_secret, public_key),
            Ok(PaymentStep::Over(a)) => return back_from_step(&s, &v, &a).await,
            Err(AppError::NotFound { .. }) => return not_found(&v),
            Err(e) => return Denied::from(e).render(v.locale),
        };
    let (Some(stripe), Ok(invoice)) = (
        s.app.payments.stripe(),
        s.app.store.invoice(&v.account.id, &attempt.invoice).await,
    ) else {
        let problem = format!("{DONE}=pay_unavailable");
        return back_to_invoice(&v, &attempt.invoice, &problem);
    };
    let l = v.locale;
    let amount = money(l, attempt.amount, attempt.currency);
    let back = format!("/portal/invoices/{}", invoice.id);
    let version = crate::portal::assets::version();
    let main = html! {
        // A single-task session may not open the invoice.
        @if v.session.flow.is_none() {
            p.crumb { a href=(back) { "← " (tf(l, Msg::InvoiceTitle, &[("number", &invoice.number)])) } }
        }
        h1 { (t(l, Msg::ConfirmYourPayment)) }
        form #stripe-step.card method="get" action=(back)
            data-key=(public_key) data-secret=(client_secret)
            data-return={ (back) "/payment/" (attempt.id) } {
            p { (tf(l, Msg::PaymentStepBody, &[("amount", &amount), ("number", &invoice.number)])) }
            noscript { p.flash.bad { (t(l, Msg::PaymentStepNeedsJavaScript)) } }
            div.actions { button.primary type="submit" hidden { (t(l, Msg::ConfirmPayment)) } }
        }
        script src=(stripe.js_url()) {}
        script src={ "/assets/stripe-payment.js?v=" (version) } defer {}
    };
    let title = t(l, Msg::ConfirmYourPayment);
    let response = respond_page(&v, StatusCode::OK, PortalPage::Invoices, title, None, main);
    with_stripe_policy(response, &v, &stripe)
}
