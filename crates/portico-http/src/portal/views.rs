//! The portal's pages in a session: overview, subscriptions, transactions, invoices (list and
//! detail), payment methods and billing details. Read-only for now; each page keeps a place
//! (`.actions`) where the self-service actions of a later issue go.
//!
//! Pages are written with a small escaping HTML writer rather than a template engine: every
//! text comes from the message catalogue and every value passes through [`esc`], and the pages
//! are short enough that a compiled template language would add a dependency and little else.

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_core::model::{
    Invoice, InvoiceStatus, PaymentMethod, PaymentMethodKind, Plan, PortalPage, Subscription,
    SubscriptionStatus, Transaction, TransactionKind, TransactionStatus,
};
use portico_core::page::PageRequest;
use portico_core::scope::PortalScope;
use portico_core::{Currency, InvoiceId, Money, Timestamp, money};
use portico_render::format::{
    format_address, format_card_expiry, format_date_range, format_integer, format_percent_bps,
};
use portico_render::{InvoicePdf, Locale, Msg, format_date, format_money, invoice_pdf, t, tf};
use portico_store::{InvoiceFilter, StoreError, TransactionFilter};

use super::load;
use super::page::{ErrorPage, Layout, esc, html, layout};
use super::session::{Denied, Visit};
use crate::AppState;
use crate::error::ApiError;

/// Rows per page of the invoice and transaction lists.
pub const PAGE_SIZE: u32 = 10;
/// The deepest list page a link may ask for; each page costs one query.
pub const MAX_PAGE: u32 = 200;

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

/// One request's view of the session: who, in which language.
pub struct Ctx<'a> {
    pub s: &'a AppState,
    pub v: &'a Visit,
    pub locale: Locale,
    /// What the page says first, after an action succeeded.
    pub flash: Option<Msg>,
}

/// The message of a `?done=` redirect after an action; anything else says nothing.
pub fn flash(done: &str) -> Option<Msg> {
    match done {
        "saved" => Some(Msg::Saved),
        _ => None,
    }
}

impl Ctx<'_> {
    fn t(&self, msg: Msg) -> String {
        esc(t(self.locale, msg))
    }

    fn tf(&self, msg: Msg, args: &[(&str, &str)]) -> String {
        esc(&tf(self.locale, msg, args))
    }

    fn money(&self, amount: i64, currency: Currency) -> String {
        esc(&format_money(Money::new(amount, currency), self.locale))
    }

    fn date(&self, ts: Timestamp) -> String {
        esc(&format_date(ts, self.locale))
    }

    fn customer_ref(&self) -> portico_core::model::CustomerRef {
        portico_core::model::CustomerRef::Id(self.v.customer.id.clone())
    }

    /// The 404 page, for pages that are off and for records of other customers.
    pub fn not_found(&self) -> Response {
        ErrorPage {
            status: StatusCode::NOT_FOUND,
            title: Msg::NotFoundTitle,
            body: Msg::NotFoundBody,
            account: Some(&self.v.account),
            return_url: self.v.session.return_url.as_deref(),
        }
        .render(self.locale)
    }

    /// The whole page: header with the session's controls and navigation, then `main`.
    pub fn page(&self, current: PortalPage, title: &str, main: &str) -> Response {
        let (controls, nav) = self.header(current);
        let flashed;
        let main = match self.flash {
            Some(msg) => {
                flashed = format!(
                    "<p class=\"flash good\" role=\"status\">{}</p>{main}",
                    self.t(msg)
                );
                flashed.as_str()
            }
            None => main,
        };
        html(
            StatusCode::OK,
            Some(&self.v.account),
            layout(&Layout {
                locale: self.locale,
                title,
                account: Some(&self.v.account),
                controls: &controls,
                nav: &nav,
                main,
                event: "portico:ready",
                home: Some(PortalPage::Overview.path()),
            }),
        )
    }

    fn header(&self, current: PortalPage) -> (String, String) {
        let v = self.v;
        let mut out = format!(
            "<div class=\"session\"><span class=\"who\">{}</span>",
            esc(&v.customer.name)
        );
        if let Some(url) = &v.session.return_url {
            let _ = write!(
                out,
                "<a class=\"back\" href=\"{}\" data-portico-close>{}</a>",
                esc(url),
                self.tf(Msg::BackToVendor, &[("vendor", v.vendor_name())])
            );
        }
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/portal/logout\" class=\"logout\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\" class=\"secondary\">{}</button></form></div>",
            esc(&v.csrf_token()),
            self.t(Msg::LogOut)
        );
        let mut nav = format!(
            "<nav class=\"tabs\" aria-label=\"{}\"><ul>",
            self.t(Msg::MainNavigation)
        );
        for p in PortalPage::ALL.iter().filter(|p| page_enabled(v, **p)) {
            let here = if *p == current {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(
                nav,
                "<li><a href=\"{}\"{here}>{}</a></li>",
                p.path(),
                self.t(nav_label(*p))
            );
        }
        nav.push_str("</ul></nav>");
        (out, nav)
    }
}

fn failed(e: StoreError) -> Denied {
    Denied::from(e)
}

/// A total that does not fit: stored amounts beyond the bounds input has now. An error page
/// rather than a wrapped amount.
fn too_large() -> Denied {
    Denied::Failed(ApiError::internal(anyhow::anyhow!(
        "an amount shown on the page does not fit in 64 bits"
    )))
}

/// Renders a portal page of the session, or its 404 when the session may not see it.
pub async fn render(cx: &Ctx<'_>, page: PortalPage, list_page: u32) -> Result<Response, Denied> {
    if !page_enabled(cx.v, page) {
        return Ok(cx.not_found());
    }
    let title = t(cx.locale, nav_label(page));
    let main = match page {
        PortalPage::Overview => overview(cx).await?,
        PortalPage::Subscriptions => subscriptions(cx).await?,
        PortalPage::Transactions => transactions(cx, list_page).await?,
        PortalPage::Invoices => invoices(cx, list_page).await?,
        PortalPage::PaymentMethod => payment_methods(cx).await?,
        PortalPage::Account => super::details::page(cx),
    };
    Ok(cx.page(page, title, &main))
}

pub fn heading(cx: &Ctx<'_>, page: PortalPage) -> String {
    format!("<h1>{}</h1>", cx.t(nav_label(page)))
}

fn badge(kind: &str, text: &str) -> String {
    format!("<span class=\"badge {kind}\">{}</span>", esc(text))
}

fn subscription_badge(cx: &Ctx<'_>, status: SubscriptionStatus) -> String {
    let kind = match status {
        SubscriptionStatus::Active => "good",
        SubscriptionStatus::Trialing => "info",
        SubscriptionStatus::PastDue => "bad",
        SubscriptionStatus::Canceled => "muted",
    };
    badge(kind, t(cx.locale, status.into()))
}

fn invoice_badge(cx: &Ctx<'_>, status: InvoiceStatus) -> String {
    let kind = match status {
        InvoiceStatus::Paid => "good",
        InvoiceStatus::Open => "warn",
        InvoiceStatus::Uncollectible => "bad",
        InvoiceStatus::Draft | InvoiceStatus::Void => "muted",
    };
    badge(kind, t(cx.locale, status.into()))
}

fn transaction_badge(cx: &Ctx<'_>, status: TransactionStatus) -> String {
    let kind = match status {
        TransactionStatus::Succeeded => "good",
        TransactionStatus::Pending => "info",
        TransactionStatus::Failed => "bad",
    };
    badge(kind, t(cx.locale, status.into()))
}

/// `€49.00 per month`, `€490.00 per year`, `€147.00 every 3 months`.
fn price(cx: &Ctx<'_>, plan: &Plan, quantity: i64) -> String {
    use portico_core::model::Interval;
    let amount = format_money(
        Money::new(plan.unit_amount.saturating_mul(quantity), plan.currency),
        cx.locale,
    );
    let count = plan.interval_count.to_string();
    let args = [("amount", amount.as_str()), ("count", count.as_str())];
    let msg = match (plan.interval, plan.interval_count) {
        (Interval::Month, 1) => Msg::PricePerMonth,
        (Interval::Year, 1) => Msg::PricePerYear,
        (Interval::Month, _) => Msg::PriceEveryMonths,
        (Interval::Year, _) => Msg::PriceEveryYears,
    };
    cx.tf(msg, &args)
}

/// What happens at the end of the subscription's period.
fn renewal(cx: &Ctx<'_>, sub: &Subscription) -> String {
    let end = format_date(sub.current_period_end, cx.locale);
    match sub.status {
        SubscriptionStatus::Canceled => {
            let at = format_date(sub.canceled_at.unwrap_or(sub.updated_at), cx.locale);
            cx.tf(Msg::CanceledOn, &[("date", &at)])
        }
        SubscriptionStatus::Trialing => {
            let at = format_date(sub.trial_end.unwrap_or(sub.current_period_end), cx.locale);
            cx.tf(Msg::TrialEndsOn, &[("date", &at)])
        }
        _ if sub.cancel_at_period_end => cx.tf(Msg::CancelsOn, &[("date", &end)]),
        _ => cx.tf(Msg::RenewsOn, &[("date", &end)]),
    }
}

async fn customer_subscriptions(cx: &Ctx<'_>) -> Result<Vec<(Subscription, Plan)>, Denied> {
    Ok(load::subscriptions(cx.s, &cx.v.account.id, &cx.v.customer.id).await?)
}

fn payment_method_name(cx: &Ctx<'_>, pm: &PaymentMethod) -> String {
    match pm.kind {
        PaymentMethodKind::Card => {
            let brand = pm
                .brand
                .as_deref()
                .map_or_else(|| t(cx.locale, Msg::Card).to_owned(), card_brand);
            cx.tf(Msg::CardEnding, &[("brand", &brand), ("last4", &pm.last4)])
        }
        _ => cx.tf(Msg::AccountEnding, &[("last4", &pm.last4)]),
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

fn card(title: &str, body: &str, link: Option<(&str, String)>) -> String {
    let mut out = format!("<section class=\"card\"><h2>{}</h2>{body}", esc(title));
    if let Some((href, text)) = link {
        let _ = write!(out, "<p class=\"more\"><a href=\"{href}\">{text}</a></p>");
    }
    out.push_str("</section>");
    out
}

async fn overview(cx: &Ctx<'_>) -> Result<String, Denied> {
    let v = cx.v;
    let mut out = format!(
        "<h1>{}</h1><div class=\"grid\">",
        cx.tf(Msg::Welcome, &[("name", &v.customer.name)])
    );
    let link = |page: PortalPage, msg: Msg| page_enabled(v, page).then(|| (page.path(), cx.t(msg)));

    if page_enabled(v, PortalPage::Subscriptions) {
        let subs = customer_subscriptions(cx).await?;
        let current = subs
            .iter()
            .find(|(s, _)| s.status != SubscriptionStatus::Canceled);
        let body = match current {
            Some((sub, plan)) => format!(
                "<p class=\"big\">{} {}</p><p>{}</p><p class=\"muted\">{}</p>",
                esc(&plan.name),
                subscription_badge(cx, sub.status),
                price(cx, plan, sub.quantity),
                renewal(cx, sub)
            ),
            None => format!("<p>{}</p>", cx.t(Msg::NoActiveSubscription)),
        };
        out.push_str(&card(
            t(cx.locale, Msg::CurrentPlan),
            &body,
            link(PortalPage::Subscriptions, Msg::Manage),
        ));

        let next = current
            .filter(|(s, _)| !s.cancel_at_period_end && s.status != SubscriptionStatus::Canceled);
        let body = match next {
            Some((sub, plan)) => {
                let tax_bps = last_tax_rate(cx, sub).await?;
                let amount = money::line_amount("quantity", sub.quantity, plan.unit_amount)
                    .ok()
                    .and_then(|subtotal| money::with_tax(subtotal, tax_bps))
                    .ok_or_else(too_large)?;
                let amount = format_money(Money::new(amount, plan.currency), cx.locale);
                let date = format_date(sub.current_period_end, cx.locale);
                format!(
                    "<p class=\"big\">{}</p>",
                    cx.tf(Msg::AmountOnDate, &[("amount", &amount), ("date", &date)])
                )
            }
            None => format!("<p>{}</p>", cx.t(Msg::NoActiveSubscription)),
        };
        out.push_str(&card(t(cx.locale, Msg::NextInvoice), &body, None));
    }

    if page_enabled(v, PortalPage::PaymentMethod) {
        let methods = load::payment_methods(cx.s, &v.account.id, &v.customer.id).await?;
        let body = match methods.first() {
            Some(pm) => {
                let mut b = format!("<p class=\"big\">{}</p>", payment_method_name(cx, pm));
                if let (Some(m), Some(y)) = (pm.exp_month, pm.exp_year) {
                    let _ = write!(
                        b,
                        "<p class=\"muted\">{}</p>",
                        cx.tf(Msg::Expires, &[("expiry", &format_card_expiry(m, y))])
                    );
                }
                b
            }
            None => format!("<p>{}</p>", cx.t(Msg::NoPaymentMethod)),
        };
        out.push_str(&card(
            t(cx.locale, Msg::DefaultPaymentMethod),
            &body,
            link(PortalPage::PaymentMethod, Msg::Manage),
        ));
    }

    if v.session.scopes.contains(PortalScope::InvoicesRead)
        && (v.account.settings.features.invoices || v.account.settings.features.transactions)
    {
        let totals = load::open_balance(cx.s, &v.account.id, &v.customer.id).await?;
        let body = if totals.is_empty() {
            format!(
                "<p class=\"big\">{}</p><p class=\"muted\">{}</p>",
                cx.money(0, v.customer.currency),
                cx.t(Msg::NothingDue)
            )
        } else {
            totals
                .iter()
                .map(|m| {
                    format!(
                        "<p class=\"big due\">{}</p>",
                        cx.money(m.amount, m.currency)
                    )
                })
                .collect()
        };
        out.push_str(&card(
            t(cx.locale, Msg::OpenBalance),
            &body,
            link(PortalPage::Invoices, Msg::ViewAll),
        ));
    }
    out.push_str("</div>");
    Ok(out)
}

/// The tax rate of the subscription's latest invoice, to estimate the next one.
async fn last_tax_rate(cx: &Ctx<'_>, sub: &Subscription) -> Result<i64, Denied> {
    let latest =
        cx.s.store
            .list_invoices(
                &cx.v.account.id,
                InvoiceFilter {
                    customer: Some(cx.customer_ref()),
                    status: None,
                    subscription: Some(sub.id.clone()),
                    exclude_drafts: false,
                },
                PageRequest::first(1),
            )
            .await
            .map_err(failed)?;
    Ok(latest.data.first().map_or(0, |i| i.tax_rate_bps))
}

async fn subscriptions(cx: &Ctx<'_>) -> Result<String, Denied> {
    let mut out = heading(cx, PortalPage::Subscriptions);
    let subs = customer_subscriptions(cx).await?;
    if subs.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p>", cx.t(Msg::NoSubscriptions));
    }
    for (sub, plan) in &subs {
        let _ = write!(
            out,
            "<section class=\"card sub\"><h2>{} {}</h2><dl class=\"facts\">\
             <div><dt>{}</dt><dd>{}</dd></div>\
             <div><dt>{}</dt><dd>{}</dd></div>\
             <div><dt>{}</dt><dd>{}</dd></div></dl><p class=\"muted\">{}</p>\
             <div class=\"actions\"></div></section>",
            esc(&plan.name),
            subscription_badge(cx, sub.status),
            cx.t(Msg::Plan),
            price(cx, plan, sub.quantity),
            cx.t(Msg::Quantity),
            esc(&format_integer(sub.quantity, cx.locale)),
            cx.t(Msg::CurrentPeriod),
            esc(&format_date_range(
                sub.current_period_start,
                sub.current_period_end,
                cx.locale
            )),
            renewal(cx, sub)
        );
    }
    Ok(out)
}

/// Walks the cursor pages of `$list` to the `$n`th (1-based): `(rows, has_more)`. A macro, not
/// a function over an async closure, so that the handler's future stays `Send`.
macro_rules! nth_page {
    ($n:expr, |$req:ident| $list:expr) => {{
        let mut after = None;
        let mut page = 1u32;
        loop {
            let $req = PageRequest {
                limit: PAGE_SIZE,
                starting_after: after.clone(),
                ending_before: None,
            };
            let list = $list.await.map_err(failed)?;
            if page >= $n || !list.has_more {
                break if page < $n {
                    (Vec::new(), false)
                } else {
                    (list.data, list.has_more)
                };
            }
            after = list.data.last().map(|x| x.id.clone());
            page += 1;
        }
    }};
}

fn pager(cx: &Ctx<'_>, path: &str, page: u32, has_more: bool) -> String {
    if page <= 1 && !has_more {
        return String::new();
    }
    let mut out = format!(
        "<nav class=\"pager\" aria-label=\"{}\">",
        cx.t(Msg::Pagination)
    );
    if page > 1 {
        let href = if page == 2 {
            path.to_owned()
        } else {
            format!("{path}?page={}", page - 1)
        };
        let _ = write!(
            out,
            "<a href=\"{href}\" rel=\"prev\">← {}</a>",
            cx.t(Msg::PageNewer)
        );
    }
    if has_more {
        let _ = write!(
            out,
            "<a href=\"{path}?page={}\" rel=\"next\">{} →</a>",
            page + 1,
            cx.t(Msg::PageOlder)
        );
    }
    out.push_str("</nav>");
    out
}

/// A column of a table: its heading, and its cells' class (`num` right-aligns amounts).
struct Col {
    label: String,
    class: &'static str,
}

fn col(label: String) -> Col {
    Col { label, class: "" }
}

fn num(label: String) -> Col {
    Col {
        label,
        class: "num",
    }
}

/// A table in a labelled region that scrolls sideways if it must; on phones each row becomes a
/// small card whose cells are labelled by their column (`data-label`). With `row_header` the
/// first cell of each row names the row.
fn table(label: &str, cols: &[Col], rows: &[Vec<String>], row_header: bool) -> String {
    let mut out = format!(
        "<div class=\"table\" role=\"region\" aria-label=\"{}\" tabindex=\"0\"><table><thead><tr>",
        esc(label)
    );
    for c in cols {
        let _ = write!(
            out,
            "<th scope=\"col\" class=\"{}\">{}</th>",
            c.class, c.label
        );
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, (cell, c)) in row.iter().zip(cols).enumerate() {
            let tag = if i == 0 && row_header { "th" } else { "td" };
            let scope = if tag == "th" { " scope=\"row\"" } else { "" };
            let _ = write!(
                out,
                "<{tag}{scope} class=\"{}\" data-label=\"{}\">{cell}</{tag}>",
                c.class,
                strip_tags(&c.label)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// The text of a bit of our own (already escaped) markup, for an attribute.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

async fn transactions(cx: &Ctx<'_>, page: u32) -> Result<String, Denied> {
    let mut out = heading(cx, PortalPage::Transactions);
    let (rows, has_more): (Vec<Transaction>, bool) =
        nth_page!(page, |req| cx.s.store.list_transactions(
            &cx.v.account.id,
            TransactionFilter {
                customer: Some(cx.customer_ref()),
                invoice: None,
            },
            req,
        ));
    if rows.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p>", cx.t(Msg::NoTransactions));
        out.push_str(&pager(cx, PortalPage::Transactions.path(), page, has_more));
        return Ok(out);
    }
    let head = [
        col(cx.t(Msg::Date)),
        col(cx.t(Msg::TransactionType)),
        col(cx.t(Msg::Description)),
        num(cx.t(Msg::Amount)),
        col(cx.t(Msg::Status)),
    ];
    // A payment without a description of its own is named by its invoice.
    let mut described = Vec::with_capacity(rows.len());
    for tx in &rows {
        let text = match (&tx.description, &tx.invoice) {
            (Some(d), _) => esc(d),
            (None, Some(id)) => match cx.s.store.invoice(&cx.v.account.id, id).await {
                Ok(inv) if inv.customer == cx.v.customer.id => {
                    cx.tf(Msg::ForInvoice, &[("number", &inv.number)])
                }
                Ok(_) | Err(StoreError::NotFound { .. }) => String::new(),
                Err(e) => return Err(failed(e)),
            },
            (None, None) => String::new(),
        };
        described.push(text);
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .zip(described)
        .map(|(tx, description)| {
            let sign = if tx.kind == TransactionKind::Refund {
                -1
            } else {
                1
            };
            vec![
                cx.date(tx.created_at),
                cx.t(tx.kind.into()),
                description,
                cx.money(sign * tx.amount, tx.currency),
                transaction_badge(cx, tx.status),
            ]
        })
        .collect();
    out.push_str(&table(
        t(cx.locale, Msg::NavTransactions),
        &head,
        &rows,
        false,
    ));
    out.push_str(&pager(cx, PortalPage::Transactions.path(), page, has_more));
    Ok(out)
}

fn pdf_href(inv: &Invoice) -> String {
    format!("/portal/invoices/{}/pdf", inv.id)
}

async fn invoices(cx: &Ctx<'_>, page: u32) -> Result<String, Denied> {
    let mut out = heading(cx, PortalPage::Invoices);
    let (rows, has_more): (Vec<Invoice>, bool) = nth_page!(page, |req| cx.s.store.list_invoices(
        &cx.v.account.id,
        InvoiceFilter {
            customer: Some(cx.customer_ref()),
            status: None,
            subscription: None,
            exclude_drafts: false,
        },
        req,
    ));
    let rows: Vec<&Invoice> = rows
        .iter()
        .filter(|i| i.status != InvoiceStatus::Draft)
        .collect();
    if rows.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p>", cx.t(Msg::NoInvoices));
        out.push_str(&pager(cx, PortalPage::Invoices.path(), page, has_more));
        return Ok(out);
    }
    let head = [
        col(cx.t(Msg::Number)),
        col(cx.t(Msg::IssueDate)),
        col(cx.t(Msg::DueDate)),
        num(cx.t(Msg::Total)),
        col(cx.t(Msg::Status)),
        col(format!(
            "<span class=\"sr\">{}</span>",
            cx.t(Msg::DownloadPdf)
        )),
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|inv| {
            vec![
                format!(
                    "<a href=\"/portal/invoices/{}\">{}</a>",
                    esc(&inv.id.to_string()),
                    esc(&inv.number)
                ),
                inv.issued_at.map(|d| cx.date(d)).unwrap_or_default(),
                inv.due_at.map(|d| cx.date(d)).unwrap_or_default(),
                cx.money(inv.total, inv.currency),
                invoice_badge(cx, inv.status),
                format!(
                    "<a class=\"pdf\" href=\"{}\" download aria-label=\"{}\">{}</a>",
                    pdf_href(inv),
                    cx.tf(Msg::DownloadInvoicePdf, &[("number", &inv.number)]),
                    cx.t(Msg::Pdf)
                ),
            ]
        })
        .collect();
    out.push_str(&table(t(cx.locale, Msg::NavInvoices), &head, &rows, true));
    out.push_str(&pager(cx, PortalPage::Invoices.path(), page, has_more));
    Ok(out)
}

/// The session's customer's invoice, or `None` for anything else: another customer's, a draft,
/// an id that does not parse or does not exist. All look the same from outside (a 404).
pub async fn customer_invoice(cx: &Ctx<'_>, id: &str) -> Result<Option<Invoice>, Denied> {
    let Ok(id) = id.parse::<InvoiceId>() else {
        return Ok(None);
    };
    match cx.s.store.invoice(&cx.v.account.id, &id).await {
        Ok(inv) if inv.customer == cx.v.customer.id && inv.status != InvoiceStatus::Draft => {
            Ok(Some(inv))
        }
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(failed(e)),
    }
}

pub async fn invoice_detail(cx: &Ctx<'_>, id: &str) -> Result<Response, Denied> {
    if !page_enabled(cx.v, PortalPage::Invoices) {
        return Ok(cx.not_found());
    }
    let Some(inv) = customer_invoice(cx, id).await? else {
        return Ok(cx.not_found());
    };
    let title = tf(cx.locale, Msg::InvoiceTitle, &[("number", &inv.number)]);
    let c = &cx.v.customer;
    let mut out = format!(
        "<p class=\"crumb\"><a href=\"{}\">← {}</a></p><div class=\"title-row\"><h1>{}</h1>{}</div>",
        PortalPage::Invoices.path(),
        cx.t(Msg::NavInvoices),
        esc(&title),
        invoice_badge(cx, inv.status)
    );
    let _ = write!(
        out,
        "<div class=\"grid two\"><section class=\"card\"><h2>{}</h2><dl class=\"facts\">",
        cx.t(Msg::Invoice)
    );
    let mut fact = |label: Msg, value: String| {
        let _ = write!(out, "<div><dt>{}</dt><dd>{value}</dd></div>", cx.t(label));
    };
    fact(Msg::InvoiceNumber, esc(&inv.number));
    if let Some(d) = inv.issued_at {
        fact(Msg::IssueDate, cx.date(d));
    }
    if let Some(d) = inv.due_at {
        fact(Msg::DueDate, cx.date(d));
    }
    if let Some(d) = inv.paid_at {
        fact(Msg::PaidOn, cx.date(d));
    }
    fact(Msg::AmountDue, cx.money(inv.amount_due, inv.currency));
    let _ = write!(
        out,
        "</dl></section><section class=\"card\"><h2>{}</h2><address>{}",
        cx.t(Msg::BillTo),
        esc(&c.name)
    );
    for line in format_address(&c.address).iter().filter(|l| !l.is_empty()) {
        let _ = write!(out, "<br>{}", esc(line));
    }
    if let Some(email) = &c.email {
        let _ = write!(out, "<br>{}", esc(email));
    }
    if let Some(tax) = &c.tax_id {
        let _ = write!(out, "<br>{}", cx.tf(Msg::TaxIdValue, &[("id", tax)]));
    }
    out.push_str("</address></section></div>");

    let head = [
        col(cx.t(Msg::LineDescription)),
        num(cx.t(Msg::Quantity)),
        num(cx.t(Msg::UnitPrice)),
        num(cx.t(Msg::Amount)),
    ];
    let rows: Vec<Vec<String>> = inv
        .lines
        .iter()
        .map(|l| {
            let period = match (l.period_start, l.period_end) {
                (Some(a), Some(b)) => format!(
                    "<span class=\"muted period\">{}</span>",
                    esc(&format_date_range(a, b, cx.locale))
                ),
                _ => String::new(),
            };
            vec![
                format!("{}{period}", esc(&l.description)),
                esc(&format_integer(l.quantity, cx.locale)),
                cx.money(l.unit_amount, inv.currency),
                cx.money(l.amount, inv.currency),
            ]
        })
        .collect();
    out.push_str(&table(&title, &head, &rows, false));
    let rate = format_percent_bps(inv.tax_rate_bps, cx.locale);
    let _ = write!(
        out,
        "<dl class=\"totals\"><div><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div>\
         <div class=\"total\"><dt>{}</dt><dd>{}</dd></div><div><dt>{}</dt><dd>{}</dd></div>\
         <div class=\"total\"><dt>{}</dt><dd>{}</dd></div></dl>",
        cx.t(Msg::Subtotal),
        cx.money(inv.subtotal, inv.currency),
        cx.tf(Msg::TaxWithRate, &[("rate", &rate)]),
        cx.money(inv.tax, inv.currency),
        cx.t(Msg::Total),
        cx.money(inv.total, inv.currency),
        cx.t(Msg::AmountPaid),
        cx.money(inv.amount_paid, inv.currency),
        cx.t(Msg::AmountDue),
        cx.money(inv.amount_due, inv.currency),
    );
    let _ = write!(
        out,
        "<div class=\"actions\"><a class=\"button\" href=\"{}\" download>{}</a></div>",
        pdf_href(&inv),
        cx.t(Msg::DownloadPdf)
    );
    Ok(cx.page(PortalPage::Invoices, &title, &out))
}

/// The invoice as a PDF attachment named after its number.
pub async fn invoice_pdf_download(cx: &Ctx<'_>, id: &str) -> Result<Response, Denied> {
    if !page_enabled(cx.v, PortalPage::Invoices) {
        return Ok(cx.not_found());
    }
    let Some(inv) = customer_invoice(cx, id).await? else {
        return Ok(cx.not_found());
    };
    let (account, customer, locale) = (cx.v.account.clone(), cx.v.customer.clone(), cx.locale);
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
    let bytes = tokio::task::spawn_blocking(move || {
        invoice_pdf(&InvoicePdf::new(&account, &customer, &inv), locale)
    })
    .await
    .map_err(|e| Denied::Failed(crate::error::ApiError::Internal(e.into())))?;
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
    Ok(r)
}

async fn payment_methods(cx: &Ctx<'_>) -> Result<String, Denied> {
    let mut out = heading(cx, PortalPage::PaymentMethod);
    let methods = load::payment_methods(cx.s, &cx.v.account.id, &cx.v.customer.id).await?;
    if methods.is_empty() {
        let _ = write!(out, "<p class=\"empty\">{}</p>", cx.t(Msg::NoPaymentMethod));
    }
    let now = cx.s.clock.now();
    out.push_str("<ul class=\"methods\">");
    for pm in &methods {
        let mut badges = String::new();
        if pm.is_default {
            badges.push_str(&badge("info", t(cx.locale, Msg::DefaultBadge)));
        }
        if pm.is_expired(now) {
            badges.push_str(&badge("bad", t(cx.locale, Msg::Expired)));
        }
        let detail = match (pm.exp_month, pm.exp_year) {
            (Some(m), Some(y)) => cx.tf(Msg::Expires, &[("expiry", &format_card_expiry(m, y))]),
            _ => pm.brand.as_deref().map(esc).unwrap_or_default(),
        };
        let _ = write!(
            out,
            "<li class=\"card method\"><div><p class=\"kind\">{}</p><p class=\"big\">{}</p>\
             <p class=\"muted\">{}</p></div><div class=\"badges\">{badges}</div></li>",
            cx.t(pm.kind.into()),
            payment_method_name(cx, pm),
            detail
        );
    }
    out.push_str("</ul><div class=\"actions\"></div>");
    Ok(out)
}
