//! The customer's invoices: the list (drafts never, newest first, a page at a time by keyset),
//! one invoice in detail, and its PDF.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use portico_core::InvoiceId;
use portico_core::model::{CustomerRef, Invoice, InvoiceStatus, PortalPage};
use portico_core::page::PageRequest;
use portico_render::format::{
    format_address, format_date_range, format_integer, format_percent_bps,
};
use portico_render::{InvoicePdf, Locale, Msg, invoice_pdf, t, tf};
use portico_store::{InvoiceFilter, StoreError};

use super::parts::{Pager, col, date, heading, hidden, invoice_badge, money, num, pager, table};
use super::{not_found, page_enabled, respond_page};
use crate::AppState;
use crate::error::ApiError;
use crate::portal::session::{Denied, Visit};

pub struct Invoices {
    pub rows: Vec<Invoice>,
    pub pager: Pager,
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
            (list(&d.rows, l))
        }
        (pager(l, path, &d.pager))
    }
}

fn list(invoices: &[Invoice], l: Locale) -> Markup {
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
                invoice_badge(l, inv.status),
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

/// `GET /portal/invoices/{id}`: one invoice of the session's customer; any other id is the 404
/// page.
pub async fn detail(State(s): State<AppState>, v: Visit, Path(id): Path<String>) -> Response {
    match customer_invoice(&s, &v, &id).await {
        Ok(Some(inv)) => {
            let title = tf(v.locale, Msg::InvoiceTitle, &[("number", &inv.number)]);
            let main = render_detail(&inv, &v, &title);
            respond_page(&v, StatusCode::OK, PortalPage::Invoices, &title, None, main)
        }
        Ok(None) => not_found(&v),
        Err(d) => d.render(v.locale),
    }
}

fn render_detail(inv: &Invoice, v: &Visit, title: &str) -> Markup {
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
        div.title-row { h1 { (title) } (invoice_badge(l, inv.status)) }
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
                    @for line in format_address(&c.address).iter().filter(|x| !x.is_empty()) { br; (line) }
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
    let (account, customer) = (v.account, v.customer);
    let made = tokio::task::spawn_blocking(move || {
        invoice_pdf(&InvoicePdf::new(&account, &customer, &inv), locale)
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
