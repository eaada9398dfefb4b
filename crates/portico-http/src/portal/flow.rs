//! Single-task links in the browser: a session locked to one task opens only that task's pages
//! and actions (anything else is a 403 page that leads back to the task, nothing changed), starts
//! on the task, and ends as the vendor asked once the task is done.

use crate::portal::see_other;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use maud::html;
use portico_core::InvoiceId;
use portico_core::model::{
    Account, AfterCompletion, DeclineCode, FLOW_DONE_PATH, FlowRequest, FlowType, PaymentAttempt,
    PaymentAttemptStatus, PortalFlow, PortalPage, PortalSession,
};
use portico_render::{Msg, t};

use super::layout::{Shell, document, respond, web_url};
use super::pages::action_event;
use super::session::{Denied, Visit, visit};
use crate::AppState;

/// The middleware of the portal's session pages. It checks the browser session once and hands
/// the visit on to the handler's extractors; a session with a flow is held to its task.
pub async fn guard(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    // A portal link replaces whatever session the browser had: its exchange is not the old
    // session's business.
    let exchanging = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("token=")));
    if exchanging {
        return next.run(req).await;
    }
    let Ok(v) = visit(&s, req.headers()).await else {
        // The handler answers with the page that says why.
        return next.run(req).await;
    };
    let Some(flow) = v.session.flow.clone() else {
        req.extensions_mut().insert(v);
        return next.run(req).await;
    };
    let path = req.uri().path().to_owned();
    // A task done once is done: the session shows its confirmation page and changes nothing
    // more (logging out aside), however its pages are asked for.
    match s
        .app
        .store
        .flow_completed(&v.account.id, &v.session.id)
        .await
    {
        Ok(Some(_)) if path != "/portal/logout" => {
            let status = match *req.method() {
                Method::GET | Method::HEAD => StatusCode::OK,
                _ => StatusCode::CONFLICT,
            };
            let done = (path == FLOW_DONE_PATH)
                .then(|| done_of_query(req.uri().query(), &flow))
                .flatten();
            let mut r = done_page(&v, &flow, done);
            *r.status_mut() = status;
            return r;
        }
        Ok(_) => {}
        Err(e) => return super::denied(req.headers(), e.into()),
    }
    let asked = match *req.method() {
        Method::GET | Method::HEAD => FlowRequest::Get(&path),
        _ => FlowRequest::Post(&path),
    };
    if !flow.allows(asked) {
        tracing::info!(portal_session = %v.session.id, path, "refused a page outside the session's task");
        return outside_task(&s, &v, &flow).await;
    }
    if path == FLOW_DONE_PATH {
        let done = done_of_query(req.uri().query(), &flow);
        return done_page(&v, &flow, done);
    }
    req.extensions_mut().insert(v.clone());
    let response = next.run(req).await;
    complete(&s, &v, &flow, response).await
}

/// The flash of the confirmation page's `done`, when the flow's task ends with it.
fn done_of_query(query: Option<&str>, flow: &PortalFlow) -> Option<Msg> {
    query?
        .split('&')
        .find_map(|p| p.strip_prefix("done="))
        .filter(|d| flow.completed_by(d))
        .and_then(super::pages::flash)
}

/// The page a flow session starts on: its task, or the preview of the change the vendor named.
pub async fn start_path(
    s: &AppState,
    account: &Account,
    session: &PortalSession,
) -> Result<String, Denied> {
    let Some(flow) = &session.flow else {
        return Ok(session.page.path().to_owned());
    };
    if flow.kind == FlowType::SubscriptionUpdate
        && (flow.plan.is_some() || flow.quantity.is_some())
        && let Some(id) = &flow.subscription
    {
        let sub = s.app.store.subscription(&account.id, id).await?;
        let plan = flow.plan.as_ref().unwrap_or(&sub.plan);
        let quantity = flow.quantity.unwrap_or(sub.quantity);
        return Ok(format!(
            "{}/{id}/preview?plan={plan}&quantity={quantity}",
            PortalPage::Subscriptions.path()
        ));
    }
    Ok(flow.start_path())
}

/// 403: the page is not part of the task. It says so and leads back to the task.
async fn outside_task(s: &AppState, v: &Visit, flow: &PortalFlow) -> Response {
    let back = match start_path(s, &v.account, &v.session).await {
        Ok(path) => path,
        Err(_) => flow.start_path(),
    };
    let l = v.locale;
    let main = html! {
        section.notice {
            h1 { (t(l, Msg::FlowOnlyTitle)) }
            p { (t(l, Msg::FlowOnlyBody)) }
            p { a.button href=(back) { (t(l, Msg::FlowBackToTask)) } }
        }
    };
    frame(v, StatusCode::FORBIDDEN, Msg::FlowOnlyTitle, main)
}

/// The confirmation page of a flow that ends on one: the vendor's message, or that the change
/// was saved, and the way back to the vendor.
fn done_page(v: &Visit, flow: &PortalFlow, done: Option<Msg>) -> Response {
    let l = v.locale;
    let message = match &flow.after_completion {
        AfterCompletion::Confirmation { message: Some(m) } => m.as_str(),
        _ => t(l, Msg::FlowDoneBody),
    };
    let back = v.session.return_url.as_deref().and_then(web_url);
    let main = html! {
        section.notice.flow-done {
            h1 { (t(l, Msg::FlowDoneTitle)) }
            p.message data-portico-action=[done.and_then(action_event)] { (message) }
            @if let Some(url) = back {
                p { a.button href=(url) data-portico-close { (portico_render::tf(l, Msg::BackToVendor, &[("vendor", v.vendor_name())])) } }
            }
        }
    };
    let mut response = frame(v, StatusCode::OK, Msg::FlowDoneTitle, main);
    // Back to the vendor by a new navigation: a form's answer may not lead to another origin
    // (the CSP's form-action), and the page says where it goes meanwhile.
    if matches!(flow.after_completion, AfterCompletion::Redirect)
        && let Some(url) = back
        && let Ok(refresh) = HeaderValue::from_str(&format!("0; url={url}"))
    {
        response.headers_mut().insert(header::REFRESH, refresh);
    }
    response
}

/// A page of a flow session: the brand bar without navigation, since there is nowhere else to go.
fn frame(v: &Visit, status: StatusCode, title: Msg, main: maud::Markup) -> Response {
    let shell = Shell {
        locale: v.locale,
        title: t(v.locale, title),
        brand: &v.brand,
        controls: None,
        nav: None,
        event: "portico:ready",
        home: None,
    };
    respond(status, Some(&v.account), document(&shell, main))
}

/// The `done` of a Post/Redirect/Get answer, if it is one.
fn done_of(response: &Response) -> Option<String> {
    if response.status() != StatusCode::SEE_OTHER {
        return None;
    }
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let (path, query) = location.split_once('?')?;
    if !path.starts_with("/portal") {
        return None;
    }
    query
        .split('&')
        .find_map(|p| p.strip_prefix("done="))
        .map(str::to_owned)
}

/// When the answer says the task was done, the session ends as the vendor asked: on the
/// confirmation page, which goes on to the vendor's return URL for a redirecting flow, and is
/// all the session shows from then on. Any other answer goes out as it is.
async fn complete(s: &AppState, v: &Visit, flow: &PortalFlow, response: Response) -> Response {
    let Some(done) = done_of(&response) else {
        return response;
    };
    if !flow.completed_by(&done) {
        // A declined charge leaves the change undone: back to the task, which says why.
        if done.starts_with("declined-") && flow.kind == FlowType::SubscriptionUpdate {
            return see_other(&format!("{}?done={done}", flow.start_path()));
        }
        return response;
    }
    tracing::info!(portal_session = %v.session.id, done, "the session's task is done");
    let now = s.app.clock.now();
    if let Err(e) = s
        .app
        .store
        .complete_flow(&v.account.id, &v.session.id, now)
        .await
    {
        // The change is made; only a second attempt through the session is not barred.
        tracing::error!(portal_session = %v.session.id, error = %e, "could not mark the task done");
    }
    // The confirmation page, which sends a redirecting flow on to the vendor.
    see_other(&format!("{FLOW_DONE_PATH}?done={done}"))
}

/// Where a single-task session comes back to from the provider's step of a payment, since it
/// may not open the invoice: the payment that paid for its task's change ends the task (as a
/// change that needed no step ends it); a declined one withdrew the change, and the task's page
/// says why; any other outcome is shown on the task's page, where the task can still be done.
pub async fn after_payment(
    s: &AppState,
    v: &Visit,
    flow: &PortalFlow,
    attempt: &PaymentAttempt,
) -> Response {
    let start = flow.start_path();
    let done = match attempt.status {
        PaymentAttemptStatus::Succeeded if pays_for_task(s, v, flow, &attempt.invoice).await => {
            "changed".to_owned()
        }
        PaymentAttemptStatus::Declined => {
            let code = attempt.decline_code.unwrap_or(DeclineCode::ProcessingError);
            format!("declined-{}", code.as_str())
        }
        _ => return see_other(&format!("{start}?payment={}", attempt.id)),
    };
    // The guard's [`complete`] ends the task on `changed`.
    see_other(&format!("{start}?done={done}"))
}

/// Whether `invoice` is the one the task's change opened: an invoice of the flow's
/// subscription, opened since the session began.
async fn pays_for_task(s: &AppState, v: &Visit, flow: &PortalFlow, invoice: &InvoiceId) -> bool {
    if flow.kind != FlowType::SubscriptionUpdate {
        return false;
    }
    match s.app.store.invoice(&v.account.id, invoice).await {
        Ok(inv) => {
            inv.subscription.is_some()
                && inv.subscription == flow.subscription
                && inv.created_at >= v.session.issued_at
        }
        Err(e) => {
            tracing::error!(portal_session = %v.session.id, error = %e, "could not read the paid invoice");
            false
        }
    }
}
