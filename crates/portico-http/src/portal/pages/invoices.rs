//! The customer's invoices: the list (drafts never, newest first, a page at a time by keyset),
//! one invoice in detail, and its PDF.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portico_app::AppError;
use portico_app::payments::{self, PayInput};
use portico_core::model::{
    Account, CustomerRef, Invoice, InvoiceStatus, IssuedParties, PaymentAttempt,
    PaymentAttemptStatus, PaymentMethod, PortalPage,
};
use portico_core::page::PageRequest;
use portico_core::scope::PortalScope;
use portico_core::{InvoiceId, PaymentAttemptId, PaymentMethodId, Timestamp};
use portico_render::format::{format_date_range, format_integer, format_percent_bps};
use portico_render::{InvoicePdf, Locale, Msg, format_address, invoice_pdf, t, tf};
use portico_store::{InvoiceFilter, StoreError};
use serde::Deserialize;

use super::parts::{Pager, col, date, heading, hidden, invoice_badge, money, num, pager, table};
use super::payment_methods::{brand_mark, can_manage, method_name};
use super::{not_found, page_enabled, respond_page};
use crate::AppState;
use crate::error::ApiError;
use crate::portal::action::{Action, ActionForm, DONE, allows};
use crate::portal::see_other;
use crate::portal::session::{Denied, Visit};
use crate::portal::{forbidden, load};

pub struct Invoices {
    pub rows: Vec<Invoice>,
    pub pager: Pager,
    /// When the page is shown: an open invoice due before then is overdue.
    pub now: Timestamp,
}

/// One page of the customer's invoices: one list read, drafts left out by the query.
pub async fn load(
    s: &AppState,
    v: &Visit,
    req: PageRequest<InvoiceId>,
) -> Result<Invoices, Denied> {
    let filter = InvoiceFilter {
        customer: Some(CustomerRef::Id(v.customer.id.clone())),
        exclude_drafts: true,
        ..InvoiceFilter::default()
    };
    let list = s
        .app
        .store
        .list_invoices(&v.account.id, filter, req.clone())
        .await?;
    let pager = Pager::of(&req, &list, |i| &i.id);
    Ok(Invoices {
        rows: list.data,
        pager,
        now: s.app.clock.now(),
    })
}

fn pdf_href(inv: &Invoice) -> String {
    format!("/portal/invoices/{}/pdf", inv.id)
}

pub fn render(d: &Invoices, l: Locale) -> Markup {
    let path = PortalPage::Invoices.path();
    html! {
        (heading(l, PortalPage::Invoices))
        @if d.rows.is_empty() {
            p.empty { (t(l, Msg::NoInvoices)) }
        } @else {
            (list(&d.rows, d.now, l))
        }
        (pager(l, path, &d.pager))
    }
}

fn list(invoices: &[Invoice], now: Timestamp, l: Locale) -> Markup {
    let head = [
        col(t(l, Msg::Number)),
        col(t(l, Msg::IssueDate)),
        col(t(l, Msg::DueDate)),
        num(t(l, Msg::Total)),
        col(t(l, Msg::Status)),
        hidden(t(l, Msg::DownloadPdf)),
    ];
    let rows: Vec<Vec<Markup>> = invoices
        .iter()
        .map(|inv| {
            let pdf_label = tf(l, Msg::DownloadInvoicePdf, &[("number", &inv.number)]);
            vec![
                html! { a href={ "/portal/invoices/" (inv.id) } { (inv.number) } },
                html! { @if let Some(d) = inv.issued_at { (date(l, d)) } },
                html! { @if let Some(d) = inv.due_at { (date(l, d)) } },
                html! { (money(l, inv.total, inv.currency)) },
                invoice_badge(l, inv, now),
                html! { a.pdf href=(pdf_href(inv)) download aria-label=(pdf_label) { (t(l, Msg::Pdf)) } },
            ]
        })
        .collect();
    table(t(l, Msg::NavInvoices), &head, &rows, true)
}

/// The session's customer's invoice, or `None` for anything else: another customer's, a draft,
/// an id that does not parse or does not exist. All look the same from outside (a 404).
async fn customer_invoice(s: &AppState, v: &Visit, id: &str) -> Result<Option<Invoice>, Denied> {
    if !page_enabled(v, PortalPage::Invoices) {
        return Ok(None);
    }
    let Ok(id) = id.parse::<InvoiceId>() else {
        return Ok(None);
    };
    match s.app.store.invoice(&v.account.id, &id).await {
        Ok(inv) if inv.customer == v.customer.id && inv.status != InvoiceStatus::Draft => {
            Ok(Some(inv))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the detail page's query may say: the outcome of a payment, a refused payment.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    payment: Option<String>,
    done: Option<String>,
}

/// How paying the invoice stands on its page.
pub struct Paying {
    /// The attempt a payment redirect names, when it is this invoice's.
    pub attempt: Option<PaymentAttempt>,
    /// The form's CSRF token, and the cards it may charge, when the invoice takes a payment
    /// and the session may pay.
    pub form: Option<(String, Vec<PaymentMethod>)>,
    pub problem: Option<Msg>,
}

/// How many of the customer's latest payment attempts are searched for one that waits for the
/// customer's step.
const RECENT_ATTEMPTS: u32 = 20;

async fn paying(s: &AppState, v: &Visit, inv: &Invoice, q: &DetailQuery) -> Result<Paying, Denied> {
    let attempt = match q.payment.as_deref().map(str::parse::<PaymentAttemptId>) {
        Some(Ok(id)) => match s.app.store.payment_attempt(&v.account.id, &id).await {
            Ok(a) if a.invoice == inv.id && a.customer == v.customer.id => Some(a),
            Ok(_) | Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    let payable = portico_core::model::check_payable(inv).is_ok();
    // A charge made without the customer (a renewal, say) that waits for their bank's check:
    // the page leads to the check, whether or not the customer came from a payment.
    let attempt = match attempt {
        None if payable => s
            .app
            .store
            .recent_payment_attempts(&v.account.id, &v.customer.id, RECENT_ATTEMPTS)
            .await?
            .into_iter()
            .find(|a| a.invoice == inv.id && a.status == PaymentAttemptStatus::RequiresAction),
        found => found,
    };
    let form = if payable && can_manage(s, v).await? {
        let now = s.app.clock.now();
        let cards = load::payment_methods(s, &v.account.id, &v.customer.id)
            .await?
            .into_iter()
            .filter(|pm| !pm.is_expired(now) && pm.provider_ref.is_some())
            .collect();
        Some((v.csrf_token(), cards))
    } else {
        None
    };
    let problem = match q.done.as_deref() {
        Some("pay_in_progress") => Some(Msg::PaymentInProgress),
        Some("pay_unavailable") => Some(Msg::PaymentUnavailable),
        Some("pay_not_started") => Some(Msg::PaymentNotStarted),
        _ => None,
    };
    Ok(Paying {
        attempt,
        form,
        problem,
    })
}

/// `GET /portal/invoices/{id}`: one invoice of the session's customer; any other id is the 404
/// page. With `?payment=` it says how that payment went.
pub async fn detail(
    State(s): State<AppState>,
    v: Visit,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let found = async {
        let Some(inv) = customer_invoice(&s, &v, &id).await? else {
            return Ok(None);
        };
        let paying = paying(&s, &v, &inv, &q).await?;
        Ok::<_, Denied>(Some((inv, paying)))
    };
    match found.await {
        Ok(Some((inv, paying))) => {
            let title = tf(v.locale, Msg::InvoiceTitle, &[("number", &inv.number)]);
            let pay = html! {
                (render_outcome(&paying, v.locale))
                (render_pay(&inv, &paying, v.locale))
            };
            let main = render_detail(&inv, &v, &title, pay, s.app.clock.now());
            respond_page(&v, StatusCode::OK, PortalPage::Invoices, &title, None, main)
        }
        Ok(None) => not_found(&v),
        Err(d) => d.render(v.locale),
    }
}

/// The outcome of the payment the page was sent back with, or why one did not start.
fn render_outcome(p: &Paying, l: Locale) -> Markup {
    html! {
        @if let Some(msg) = p.problem {
            p.flash.bad role="alert" { (t(l, msg)) }
        }
        @if let Some(a) = &p.attempt { (render_attempt(a, l)) }
    }
}

/// How a payment attempt stands, as a flash: paid, declined and why, or what it waits for.
pub(super) fn render_attempt(a: &PaymentAttempt, l: Locale) -> Markup {
    html! {
        @match a.status {
            PaymentAttemptStatus::Succeeded => p.flash.good role="status" { (t(l, Msg::PaymentSucceeded)) },
            PaymentAttemptStatus::Declined => p.flash.bad role="alert" {
                (t(l, a.decline_code.map_or(Msg::DeclineProcessingError, Msg::from)))
            },
            PaymentAttemptStatus::RequiresAction => p.flash.warn role="status" {
                (t(l, Msg::PaymentNeedsAction)) " "
                @if let Some(url) = &a.action_url { a href=(url) { (t(l, Msg::ConfirmPayment)) } }
            },
            PaymentAttemptStatus::Pending => p.flash.warn role="status" { (t(l, Msg::PaymentPending)) },
            PaymentAttemptStatus::Abandoned => {},
        }
    }
}

/// "Pay €61.70": the cards to choose from, the default chosen; or a way to add one.
fn render_pay(inv: &Invoice, p: &Paying, l: Locale) -> Markup {
    let Some((csrf, cards)) = &p.form else {
        return html! {};
    };
    let amount = money(l, inv.amount_due, inv.currency);
    let key = format!("{:032x}", rand::random::<u128>());
    html! {
        section.card.pay #pay {
            @if cards.is_empty() {
                p { (t(l, Msg::AddCardToPay)) }
                form.inline method="post" action="/portal/payment-method/add" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { (t(l, Msg::AddCard)) }
                }
            } @else {
                form method="post" action={ "/portal/invoices/" (inv.id) "/pay" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="key" value=(key);
                    fieldset.choices {
                        legend { (t(l, Msg::PayWith)) }
                        @for (i, pm) in cards.iter().enumerate() {
                            @let id = format!("pay-{}", pm.id);
                            div.choice {
                                input #(id) type="radio" name="payment_method" value=(pm.id)
                                    checked[pm.is_default || (i == 0 && !cards.iter().any(|c| c.is_default))];
                                label for=(id) { (brand_mark(pm)) " " (method_name(pm, l)) }
                            }
                        }
                    }
                    div.actions { button.primary type="submit" { (tf(l, Msg::PayAmount, &[("amount", &amount)])) } }
                }
            }
        }
    }
}

/// The pay form: the card, and the key that makes a double submit charge once.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PayForm {
    pub key: String,
    pub payment_method: Option<String>,
}

impl ActionForm for PayForm {
    const SCOPE: PortalScope = PortalScope::PaymentMethodsWrite;
}

fn to_invoice(id: &InvoiceId, query: &str) -> Response {
    see_other(&format!("/portal/invoices/{id}?{query}"))
}

/// Back from the provider's step of a payment to the page that says `query` of it: its invoice;
/// for a single-task session, which may not open invoices, the task's page.
pub(super) fn back_to_invoice(v: &Visit, id: &InvoiceId, query: &str) -> Response {
    match &v.session.flow {
        Some(flow) => see_other(&format!("{}?{query}", flow.start_path())),
        None => to_invoice(id, query),
    }
}

/// Back from the provider's step of `attempt`: its invoice, which says how the payment went; a
/// single-task session goes where its task goes on from the payment.
pub(super) async fn back_from_step(s: &AppState, v: &Visit, attempt: &PaymentAttempt) -> Response {
    match &v.session.flow {
        Some(flow) => crate::portal::flow::after_payment(s, v, flow, attempt).await,
        None => to_invoice(&attempt.invoice, &format!("payment={}", attempt.id)),
    }
}

/// `POST /portal/invoices/{id}/pay`: charges the card, then shows the outcome on the invoice
/// (Post/Redirect/Get), or sends the customer to the provider's step when the bank asks for one.
pub async fn pay(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<PayForm>,
) -> Response {
    let Action { visit: v, form } = action;
    let Ok(id) = id.parse::<InvoiceId>() else {
        return not_found(&v);
    };
    if !page_enabled(&v, PortalPage::Invoices) {
        return not_found(&v);
    }
    let payment_method = match form
        .payment_method
        .as_deref()
        .map(str::parse::<PaymentMethodId>)
    {
        Some(Ok(pm)) => Some(pm),
        Some(Err(_)) => return to_invoice(&id, &format!("{DONE}=pay_not_started")),
        None => None,
    };
    let input = PayInput {
        invoice: id.clone(),
        payment_method,
        idempotency_key: form.key,
        customer: Some(v.customer.id.clone()),
    };
    let by = v.caller();
    match payments::pay(&s.app, &by, input, s.app.clock.now()).await {
        Ok(attempt) => {
            tracing::info!(portal_session = %v.session.id, attempt = %attempt.id,
                status = %attempt.status, "invoice payment");
            match (&attempt.status, &attempt.action_url) {
                (PaymentAttemptStatus::RequiresAction, Some(url)) => see_other(url),
                _ => to_invoice(&id, &format!("payment={}", attempt.id)),
            }
        }
        Err(AppError::NotFound { .. }) => not_found(&v),
        Err(AppError::Unavailable(_)) => to_invoice(&id, &format!("{DONE}=pay_unavailable")),
        Err(AppError::Conflict(m)) if m.contains("in progress") => {
            to_invoice(&id, &format!("{DONE}=pay_in_progress"))
        }
        Err(AppError::Conflict(_) | AppError::Invalid(_)) => {
            to_invoice(&id, &format!("{DONE}=pay_not_started"))
        }
        Err(e) => Denied::from(e).render(v.locale),
    }
}

/// `GET /portal/invoices/{id}/payment/{attempt}?…`: where the provider's step sends the
/// customer back; records its outcome and shows it on the invoice. A GET that writes, for the
/// reason [`super::payment_methods::added`] gives: it records the provider's signed outcome,
/// once.
pub async fn payment_return(
    State(s): State<AppState>,
    v: Visit,
    Path((id, attempt)): Path<(String, String)>,
    Query(returned): Query<std::collections::BTreeMap<String, String>>,
) -> Response {
    if !allows(&v, PortalScope::PaymentMethodsWrite) {
        return forbidden(&v);
    }
    let (Ok(id), Ok(attempt)) = (id.parse::<InvoiceId>(), attempt.parse::<PaymentAttemptId>())
    else {
        return not_found(&v);
    };
    let by = v.caller();
    let now = s.app.clock.now();
    match payments::complete_action(&s.app, &by, Some(&v.customer.id), &attempt, &returned, now)
        .await
    {
        Ok(a) if a.invoice == id => back_from_step(&s, &v, &a).await,
        Ok(_) | Err(AppError::NotFound { .. }) => not_found(&v),
        Err(AppError::Unavailable(_)) => {
            back_to_invoice(&v, &id, &format!("{DONE}=pay_unavailable"))
        }
        Err(AppError::Conflict(_)) => back_to_invoice(&v, &id, &format!("payment={attempt}")),
        Err(e) => Denied::from(e).render(v.locale),
    }
}

/// The invoice; `pay` (how paying it stands, and the form) goes right under its title.
fn render_detail(inv: &Invoice, v: &Visit, title: &str, pay: Markup, now: Timestamp) -> Markup {
    let l = v.locale;
    let c = &v.customer;
    let cur = inv.currency;
    let fact = |label: Msg, value: String| html! { div { dt { (t(l, label)) } dd { (value) } } };
    let head = [
        col(t(l, Msg::LineDescription)),
        num(t(l, Msg::Quantity)),
        num(t(l, Msg::UnitPrice)),
        num(t(l, Msg::Amount)),
    ];
    let lines: Vec<Vec<Markup>> = inv
        .lines
        .iter()
        .map(|line| {
            vec![
                html! {
                    (line.description)
                    @if let (Some(a), Some(b)) = (line.period_start, line.period_end) {
                        span.muted.period { (format_date_range(a, b, l)) }
                    }
                },
                html! { (format_integer(line.quantity, l)) },
                html! { (money(l, line.unit_amount, cur)) },
                html! { (money(l, line.amount, cur)) },
            ]
        })
        .collect();
    let rate = format_percent_bps(inv.tax_rate_bps, l);
    html! {
        p.crumb { a href=(PortalPage::Invoices.path()) { "← " (t(l, Msg::NavInvoices)) } }
        div.title-row { h1 { (title) } (invoice_badge(l, inv, now)) }
        (pay)
        div.grid.two {
            section.card {
                h2 { (t(l, Msg::Invoice)) }
                dl.facts {
                    (fact(Msg::InvoiceNumber, inv.number.clone()))
                    @if let Some(d) = inv.issued_at { (fact(Msg::IssueDate, date(l, d))) }
                    @if let Some(d) = inv.due_at { (fact(Msg::DueDate, date(l, d))) }
                    @if let Some(d) = inv.paid_at { (fact(Msg::PaidOn, date(l, d))) }
                    (fact(Msg::AmountDue, money(l, inv.amount_due, cur)))
                }
            }
            section.card {
                h2 { (t(l, Msg::BillTo)) }
                address {
                    (c.name)
                    @for line in format_address(&c.address, l).iter().filter(|x| !x.is_empty()) { br; (line) }
                    @if let Some(email) = &c.email { br; (email) }
                    @if let Some(tax) = &c.tax_id { br; (tf(l, Msg::TaxIdValue, &[("id", tax)])) }
                }
            }
        }
        (table(title, &head, &lines, false))
        dl.totals {
            div { dt { (t(l, Msg::Subtotal)) } dd { (money(l, inv.subtotal, cur)) } }
            div { dt { (tf(l, Msg::TaxWithRate, &[("rate", &rate)])) } dd { (money(l, inv.tax, cur)) } }
            div.total { dt { (t(l, Msg::Total)) } dd { (money(l, inv.total, cur)) } }
            div { dt { (t(l, Msg::AmountPaid)) } dd { (money(l, inv.amount_paid, cur)) } }
            div.total { dt { (t(l, Msg::AmountDue)) } dd { (money(l, inv.amount_due, cur)) } }
        }
        div.actions { a.button href=(pdf_href(inv)) download { (t(l, Msg::DownloadPdf)) } }
    }
}

/// What the PDF of `inv` needs besides the invoice: its parties at issue and the logo.
async fn issued_parties_and_logo(
    s: &AppState,
    account: &Account,
    inv: &Invoice,
) -> Result<(Option<IssuedParties>, Option<Vec<u8>>), ApiError> {
    let parties = s.app.store.issued_parties(&account.id, &inv.id).await?;
    let logo = match &account.settings.invoice.logo {
        Some(_) => s.app.store.invoice_logo(&account.id).await?.map(|l| l.data),
        None => None,
    };
    Ok((parties, logo))
}

/// `GET /portal/invoices/{id}/pdf`: the invoice as a PDF attachment named after its number,
/// made on request.
pub async fn pdf(State(s): State<AppState>, v: Visit, Path(id): Path<String>) -> Response {
    let inv = match customer_invoice(&s, &v, &id).await {
        Ok(Some(inv)) => inv,
        Ok(None) => return not_found(&v),
        Err(d) => return d.render(v.locale),
    };
    let safe: String = inv
        .number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let locale = v.locale;
    let (parties, logo) = match issued_parties_and_logo(&s, &v.account, &inv).await {
        Ok(found) => found,
        Err(e) => return Denied::Failed(e).render(locale),
    };
    // An issued invoice shows its parties as they were at issue; older ones as they are now.
    let (account, customer) = match parties {
        Some(p) => (p.account(&v.account), p.customer(&v.customer)),
        None => (v.account, v.customer),
    };
    let now = s.app.clock.now();
    let made = tokio::task::spawn_blocking(move || {
        let mut pdf = InvoicePdf::new(&account, &customer, &inv, now);
        pdf.logo = logo.as_deref();
        invoice_pdf(&pdf, locale)
    })
    .await;
    let bytes = match made {
        Ok(bytes) => bytes,
        Err(e) => return Denied::Failed(ApiError::Internal(e.into())).render(locale),
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"invoice-{safe}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
