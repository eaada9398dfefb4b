//! The customer's transactions: payments, refunds and credits, newest first, a page at a time by
//! keyset.

use maud::{Markup, html};
use portico_core::model::{
    CustomerRef, DeclineCode, Invoice, InvoiceStatus, PortalPage, Transaction, TransactionKind,
    TransactionStatus, check_payable,
};
use portico_core::page::PageRequest;
use portico_core::scope::PortalScope;
use portico_core::{Money, TransactionId, money};
use portico_render::{Locale, Msg, format_money, t, tf};
use portico_store::TransactionFilter;

use super::parts::{Pager, col, date, heading, num, pager, table, transaction_badge};
use super::too_large;
use crate::AppState;
use crate::portal::action::allows;
use crate::portal::session::{Denied, Visit};

pub struct Transactions {
    pub rows: Vec<Row>,
    pub pager: Pager,
    /// The CSRF token of the retry forms, when the session may pay.
    pub csrf: Option<String>,
}

pub struct Row {
    pub tx: Transaction,
    /// Money in, or out for a refund.
    pub amount: Money,
    /// The number of the customer's invoice it pays, for a transaction without a description.
    pub invoice_number: Option<String>,
    /// For a failed payment of an invoice that is still due: the invoice to pay again.
    pub retry: Option<portico_core::InvoiceId>,
}

/// One page of the customer's transactions (one list read), and the invoices they name (one
/// more read, for all of them at once).
pub async fn load(
    s: &AppState,
    v: &Visit,
    req: PageRequest<TransactionId>,
) -> Result<Transactions, Denied> {
    let filter = TransactionFilter {
        customer: Some(CustomerRef::Id(v.customer.id.clone())),
        invoice: None,
    };
    let list = s
        .app
        .store
        .list_transactions(&v.account.id, filter, req.clone())
        .await?;
    let pager = Pager::of(&req, &list, |t| &t.id);
    let named: Vec<_> = list
        .data
        .iter()
        .filter(|tx| tx.description.is_none() || tx.status == TransactionStatus::Failed)
        .filter_map(|tx| tx.invoice.clone())
        .collect();
    let invoices: Vec<Invoice> = if named.is_empty() {
        Vec::new()
    } else {
        s.app.store.invoices_by_ids(&v.account.id, &named).await?
    };
    let invoice = |tx: &Transaction| {
        let id = tx.invoice.as_ref()?;
        invoices.iter().find(|i| {
            &i.id == id && i.customer == v.customer.id && i.status != InvoiceStatus::Draft
        })
    };
    let number = |tx: &Transaction| invoice(tx).map(|i| i.number.clone());
    let may_pay = allows(v, PortalScope::PaymentMethodsWrite)
        && s.app.store.payment_provider(&v.account.id).await?.is_some();
    let retry = |tx: &Transaction| {
        let failed = tx.kind == TransactionKind::Payment && tx.status == TransactionStatus::Failed;
        invoice(tx)
            .filter(|i| may_pay && failed && check_payable(i).is_ok())
            .map(|i| i.id.clone())
    };
    let rows = list
        .data
        .into_iter()
        .map(|tx| {
            // A refund is money going back: −1 × its amount, by core's checked rule.
            let sign = if tx.kind == TransactionKind::Refund {
                -1
            } else {
                1
            };
            let amount = money::line_amount("amount", sign, tx.amount).map_err(|_| too_large())?;
            Ok(Row {
                amount: Money::new(amount, tx.currency),
                invoice_number: number(&tx),
                retry: retry(&tx),
                tx,
            })
        })
        .collect::<Result<_, Denied>>()?;
    Ok(Transactions {
        rows,
        pager,
        csrf: may_pay.then(|| v.csrf_token()),
    })
}

pub fn render(d: &Transactions, l: Locale) -> Markup {
    let head = [
        col(t(l, Msg::Date)),
        col(t(l, Msg::TransactionType)),
        col(t(l, Msg::Description)),
        num(t(l, Msg::Amount)),
        col(t(l, Msg::Status)),
    ];
    let rows: Vec<Vec<Markup>> = d
        .rows
        .iter()
        .map(|r| {
            vec![
                html! { (date(l, r.tx.created_at)) },
                html! { (t(l, r.tx.kind.into())) },
                html! {
                    @if let Some(code) = decline(&r.tx) {
                        @if let Some(number) = &r.invoice_number {
                            (tf(l, Msg::ForInvoice, &[("number", number)])) ": "
                        }
                        (t(l, code.into()))
                    } @else if let Some(text) = &r.tx.description {
                        (text)
                    } @else if let Some(number) = &r.invoice_number {
                        (tf(l, Msg::ForInvoice, &[("number", number)]))
                    }
                },
                html! { (format_money(r.amount, l)) },
                html! {
                    (transaction_badge(l, r.tx.status))
                    @if let (Some(invoice), Some(csrf)) = (&r.retry, &d.csrf) {
                        form.inline method="post" action={ "/portal/invoices/" (invoice) "/pay" } {
                            input type="hidden" name="csrf" value=(csrf);
                            input type="hidden" name="key" value=(format!("{:032x}", rand::random::<u128>()));
                            button.secondary type="submit" { (t(l, Msg::RetryPayment)) }
                        }
                    }
                },
            ]
        })
        .collect();
    html! {
        (heading(l, PortalPage::Transactions))
        @if d.rows.is_empty() {
            p.empty { (t(l, Msg::NoTransactions)) }
        } @else {
            (table(t(l, Msg::NavTransactions), &head, &rows, false))
        }
        (pager(l, PortalPage::Transactions.path(), &d.pager))
    }
}

/// Why a failed payment failed, when the provider declined it (its description is the code).
fn decline(tx: &Transaction) -> Option<DeclineCode> {
    if tx.status != TransactionStatus::Failed {
        return None;
    }
    DeclineCode::parse("description", tx.description.as_deref()?).ok()
}
