//! The customer's transactions: payments, refunds and credits, newest first, a page at a time by
//! keyset.

use maud::{Markup, html};
use portico_core::model::{
    CustomerRef, Invoice, InvoiceStatus, PortalPage, Transaction, TransactionKind,
};
use portico_core::page::PageRequest;
use portico_core::{Money, TransactionId, money};
use portico_render::{Locale, Msg, format_money, t, tf};
use portico_store::TransactionFilter;

use super::parts::{Pager, col, date, heading, num, pager, table, transaction_badge};
use super::too_large;
use crate::AppState;
use crate::portal::session::{Denied, Visit};

pub struct Transactions {
    pub rows: Vec<Row>,
    pub pager: Pager,
}

pub struct Row {
    pub tx: Transaction,
    /// Money in, or out for a refund.
    pub amount: Money,
    /// The number of the customer's invoice it pays, for a transaction without a description.
    pub invoice_number: Option<String>,
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
        .filter(|tx| tx.description.is_none())
        .filter_map(|tx| tx.invoice.clone())
        .collect();
    let invoices: Vec<Invoice> = if named.is_empty() {
        Vec::new()
    } else {
        s.app.store.invoices_by_ids(&v.account.id, &named).await?
    };
    let number = |tx: &Transaction| {
        let id = tx.invoice.as_ref()?;
        invoices
            .iter()
            .find(|i| {
                &i.id == id && i.customer == v.customer.id && i.status != InvoiceStatus::Draft
            })
            .map(|i| i.number.clone())
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
                tx,
            })
        })
        .collect::<Result<_, Denied>>()?;
    Ok(Transactions { rows, pager })
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
                    @if let Some(text) = &r.tx.description {
                        (text)
                    } @else if let Some(number) = &r.invoice_number {
                        (tf(l, Msg::ForInvoice, &[("number", number)]))
                    }
                },
                html! { (format_money(r.amount, l)) },
                transaction_badge(l, r.tx.status),
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
