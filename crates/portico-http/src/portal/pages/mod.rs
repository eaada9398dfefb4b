//! The portal's pages in a session, one module each. A page is `load` (its data, in one or two
//! store reads, filtered in the query) then `render` (pure: the data and the locale to markup);
//! this module puts the result in the frame with the session's header and navigation.

pub mod account;
pub mod invoices;
pub mod overview;
pub mod parts;
pub mod payment_methods;
pub mod payment_step;
pub mod subscription_actions;
pub mod subscriptions;
pub mod transactions;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use portico_core::model::PortalPage;
use portico_render::{Msg, t, tf};

use super::extract::PageQuery;
use super::layout::{Shell, document, respond, web_url};
use super::session::{Denied, Visit};
use crate::AppState;
use crate::error::ApiError;

pub fn nav_label(page: PortalPage) -> Msg {
    match page {
        PortalPage::Overview => Msg::NavOverview,
        PortalPage::Subscriptions => Msg::NavSubscriptions,
        PortalPage::Transactions => Msg::NavTransactions,
        PortalPage::Invoices => Msg::NavInvoices,
        PortalPage::PaymentMethod => Msg::NavPaymentMethods,
        PortalPage::Account => Msg::NavAccount,
    }
}

/// Whether the session may see a page: the account's feature switch is on and the session has
/// the scope. The overview is always there.
pub fn page_enabled(v: &Visit, page: PortalPage) -> bool {
    page.visible(&v.account.settings.features, v.session.scopes)
}

/// The message of a `?done=` redirect after an action; anything else says nothing.
pub fn flash(done: &str) -> Option<Msg> {
    match done {
        "saved" => Some(Msg::Saved),
        "card_added" => Some(Msg::CardAdded),
        "default_changed" => Some(Msg::DefaultChanged),
        "method_removed" => Some(Msg::MethodRemoved),
        _ => subscription_actions::flash(done),
    }
}

/// The event a page framed by the vendor tells its parent after an action succeeded, by the
/// flash the action redirected with; `None` for a flash that reports no change.
pub fn action_event(flash: Msg) -> Option<&'static str> {
    Some(match flash {
        Msg::FlashCanceled => "portico:subscription.canceled",
        Msg::FlashCancelScheduled
        | Msg::FlashResumed
        | Msg::FlashReactivated
        | Msg::FlashChanged
        | Msg::FlashChangeScheduled
        | Msg::FlashChangeWithdrawn
        | Msg::FlashPaused
        | Msg::FlashUnpaused => "portico:subscription.updated",
        Msg::CardAdded | Msg::DefaultChanged | Msg::MethodRemoved => {
            "portico:payment_method.updated"
        }
        Msg::Saved => "portico:customer.updated",
        _ => return None,
    })
}

/// A total that does not fit: stored amounts beyond the bounds input has now. An error page
/// rather than a wrapped amount.
pub fn too_large() -> Denied {
    Denied::Failed(ApiError::internal(anyhow::anyhow!(
        "an amount shown on the page does not fit in 64 bits"
    )))
}

/// A page of the session: `GET /portal`, `/portal/subscriptions`, ... Pages the session may not
/// see are the 404 page.
pub async fn show(State(s): State<AppState>, q: PageQuery, v: Visit, page: PortalPage) -> Response {
    if !page_enabled(&v, page) {
        return not_found(&v);
    }
    let l = v.locale;
    let main = match page {
        PortalPage::Overview => overview::load(&s, &v)
            .await
            .map(|d| overview::render(&d, l)),
        PortalPage::Subscriptions => subscriptions::load(&s, &v)
            .await
            .map(|d| subscriptions::render(&d, l)),
        PortalPage::Transactions => {
            let Some(req) = q.page_request() else {
                return bad_link(&v);
            };
            transactions::load(&s, &v, req)
                .await
                .map(|d| transactions::render(&d, l))
        }
        PortalPage::Invoices => {
            let Some(req) = q.page_request() else {
                return bad_link(&v);
            };
            invoices::load(&s, &v, req)
                .await
                .map(|d| invoices::render(&d, l))
        }
        PortalPage::PaymentMethod => payment_methods::load(&s, &v, q.done.as_deref())
            .await
            .map(|d| payment_methods::render(&d, l)),
        PortalPage::Account => Ok(account::render(&account::load(&v), l)),
    };
    match main {
        Ok(main) => {
            let flash = q.done.as_deref().and_then(flash);
            respond_page(&v, StatusCode::OK, page, t(l, nav_label(page)), flash, main)
        }
        Err(d) => d.render(l),
    }
}

/// The whole page: header with the session's controls and navigation, the flash, then `main`.
pub fn respond_page(
    v: &Visit,
    status: StatusCode,
    current: PortalPage,
    title: &str,
    flash: Option<Msg>,
    main: Markup,
) -> Response {
    frame(v, status, Some(current), title, flash, main)
}

/// [`respond_page`] with the tab of `current` marked, or none.
fn frame(
    v: &Visit,
    status: StatusCode,
    current: Option<PortalPage>,
    title: &str,
    flash: Option<Msg>,
    main: Markup,
) -> Response {
    let l = v.locale;
    let back = v.session.return_url.as_deref().and_then(web_url);
    let controls = html! {
        div.session {
            span.who { (v.customer.name) }
            @if let Some(url) = back {
                a.back href=(url) data-portico-close { (tf(l, Msg::BackToVendor, &[("vendor", v.vendor_name())])) }
            }
            form.logout method="post" action="/portal/logout" {
                input type="hidden" name="csrf" value=(v.csrf_token());
                button.secondary type="submit" { (t(l, Msg::LogOut)) }
            }
        }
    };
    let nav = html! {
        nav.tabs aria-label=(t(l, Msg::MainNavigation)) {
            ul {
                @for p in PortalPage::ALL.iter().filter(|p| page_enabled(v, **p)) {
                    li { a href=(p.path()) aria-current=[(Some(*p) == current).then_some("page")] { (t(l, nav_label(*p))) } }
                }
            }
        }
    };
    let main = html! {
        @if let Some(msg) = flash {
            p.flash.good role="status" data-portico-action=[action_event(msg)] { (t(l, msg)) }
        }
        (main)
    };
    let shell = Shell {
        locale: l,
        title,
        brand: &v.brand,
        controls: Some(controls),
        // A session locked to one task has no other page to go to.
        nav: v.session.flow.is_none().then_some(nav),
        event: "portico:ready",
        home: v
            .session
            .flow
            .is_none()
            .then_some(PortalPage::Overview.path()),
    };
    respond(status, Some(&v.account), document(&shell, main))
}

/// The 404 page, for pages that are off and for records of other customers.
pub fn not_found(v: &Visit) -> Response {
    refusal(
        v,
        StatusCode::NOT_FOUND,
        Msg::NotFoundTitle,
        Msg::NotFoundBody,
    )
}

/// A 400 for a list link whose position (`?after=`, `?before=`) is not one the portal made.
pub fn bad_link(v: &Visit) -> Response {
    refusal(
        v,
        StatusCode::BAD_REQUEST,
        Msg::LinkInvalidTitle,
        Msg::LinkInvalidBody,
    )
}

/// A refusal inside a working session: the session's own frame (its controls, its navigation),
/// no tab marked, and a way to the overview, since the session needs no new link. A session
/// locked to one task has its controls alone.
fn refusal(v: &Visit, status: StatusCode, title: Msg, body: Msg) -> Response {
    let l = v.locale;
    let main = html! {
        section.notice {
            h1 { (t(l, title)) }
            p { (t(l, body)) }
            @if v.session.flow.is_none() {
                p { a.button href=(PortalPage::Overview.path()) { (t(l, Msg::GoToOverview)) } }
            }
        }
    };
    frame(v, status, None, t(l, title), None, main)
}
