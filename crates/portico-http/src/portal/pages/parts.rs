//! Markup the pages share: headings, badges, cards, tables that become cards on a phone, and the
//! Newer/Older links of a list.

use maud::{Markup, html};
use portico_core::model::{
    Invoice, InvoiceStatus, PortalPage, SubscriptionStatus, TransactionStatus,
};
use portico_core::page::{List, PageRequest};
use portico_core::{Currency, Money, Timestamp};
use portico_render::{Locale, Msg, format_date, format_money, t};

use super::nav_label;

pub fn heading(locale: Locale, page: PortalPage) -> Markup {
    html! { h1 { (t(locale, nav_label(page))) } }
}

pub fn money(locale: Locale, amount: i64, currency: Currency) -> String {
    format_money(Money::new(amount, currency), locale)
}

pub fn date(locale: Locale, ts: Timestamp) -> String {
    format_date(ts, locale)
}

pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span class={ "badge " (kind) } { (text) } }
}

pub fn subscription_badge(locale: Locale, status: SubscriptionStatus) -> Markup {
    let kind = match status {
        SubscriptionStatus::Active => "good",
        SubscriptionStatus::Trialing => "info",
        SubscriptionStatus::PastDue => "bad",
        SubscriptionStatus::Canceled => "muted",
    };
    badge(kind, t(locale, status.into()))
}

/// The invoice's status, or Overdue for an open invoice past its due date at `now`.
pub fn invoice_badge(locale: Locale, inv: &Invoice, now: Timestamp) -> Markup {
    if inv.is_overdue(now) {
        return badge("bad", t(locale, Msg::InvoiceOverdue));
    }
    let status = inv.status;
    let kind = match status {
        InvoiceStatus::Paid => "good",
        InvoiceStatus::Open => "warn",
        InvoiceStatus::Uncollectible => "bad",
        InvoiceStatus::Draft | InvoiceStatus::Void => "muted",
    };
    badge(kind, t(locale, status.into()))
}

pub fn transaction_badge(locale: Locale, status: TransactionStatus) -> Markup {
    let kind = match status {
        TransactionStatus::Succeeded => "good",
        TransactionStatus::Pending => "info",
        TransactionStatus::Failed => "bad",
    };
    badge(kind, t(locale, status.into()))
}

/// A card of the overview: a title, its body, and a link to the page it summarises.
pub fn card(title: &str, body: Markup, link: Option<(&str, &str)>) -> Markup {
    html! {
        section.card {
            h2 { (title) }
            (body)
            @if let Some((href, text)) = link {
                p.more { a href=(href) { (text) } }
            }
        }
    }
}

/// A column of a table: its heading, the same as text for the phone layout's cell labels, and
/// its cells' class (`num` right-aligns amounts).
pub struct Col {
    pub head: Markup,
    pub label: String,
    pub class: &'static str,
}

pub fn col(label: &str) -> Col {
    Col {
        head: html! { (label) },
        label: label.to_owned(),
        class: "",
    }
}

pub fn num(label: &str) -> Col {
    Col {
        class: "num",
        ..col(label)
    }
}

/// A column whose heading only screen readers read (a column of links, say).
pub fn hidden(label: &str) -> Col {
    Col {
        head: html! { span.sr { (label) } },
        ..col(label)
    }
}

/// A table in a labelled region that scrolls sideways if it must; on phones each row becomes a
/// small card whose cells are labelled by their column (`data-label`). With `row_header` the
/// first cell of each row names the row.
pub fn table(label: &str, cols: &[Col], rows: &[Vec<Markup>], row_header: bool) -> Markup {
    html! {
        div.table role="region" aria-label=(label) tabindex="0" {
            table {
                thead { tr { @for c in cols { th scope="col" class=(c.class) { (c.head) } } } }
                tbody {
                    @for row in rows {
                        tr {
                            @for (i, (cell, c)) in row.iter().zip(cols).enumerate() {
                                @if i == 0 && row_header {
                                    th scope="row" class=(c.class) data-label=(c.label) { (cell) }
                                } @else {
                                    td class=(c.class) data-label=(c.label) { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Where the Newer and Older links of a list lead: the query of each, when there is one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pager {
    pub newer: Option<String>,
    pub older: Option<String>,
}

impl Pager {
    /// The links of `list`, the page `req` asked for: Newer before its first item when newer
    /// ones exist, Older after its last when older ones do. Each is one keyset query away, on
    /// page 200 as on page 1.
    pub fn of<T, I: std::fmt::Display>(
        req: &PageRequest<I>,
        list: &List<T>,
        id: impl Fn(&T) -> &I,
    ) -> Pager {
        let (newer, older) = match req.ending_before {
            Some(_) => (list.has_more, true),
            None => (req.starting_after.is_some(), list.has_more),
        };
        let first = list.data.first().map(&id);
        let last = list.data.last().map(&id);
        Pager {
            // Past the end of the list the way back is the first page.
            newer: newer.then(|| first.map_or_else(String::new, |f| format!("?before={f}"))),
            older: last.filter(|_| older).map(|l| format!("?after={l}")),
        }
    }
}

pub fn pager(locale: Locale, path: &str, p: &Pager) -> Markup {
    html! {
        @if p.newer.is_some() || p.older.is_some() {
            nav.pager aria-label=(t(locale, Msg::Pagination)) {
                @if let Some(q) = &p.newer {
                    a href={ (path) (q) } rel="prev" { "← " (t(locale, Msg::PageNewer)) }
                }
                @if let Some(q) = &p.older {
                    a href={ (path) (q) } rel="next" { (t(locale, Msg::PageOlder)) " →" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(ids: &[&'static str], has_more: bool) -> List<&'static str> {
        List {
            data: ids.to_vec(),
            has_more,
        }
    }

    fn links(
        req: PageRequest<&'static str>,
        l: List<&'static str>,
    ) -> (Option<String>, Option<String>) {
        let p = Pager::of(&req, &l, |x| x);
        (p.newer, p.older)
    }

    #[test]
    fn the_first_page_links_only_to_older_ones_and_only_when_there_are_some() {
        let first = || PageRequest::first(2);
        assert_eq!(
            links(first(), list(&["c", "b"], true)),
            (None, Some("?after=b".into()))
        );
        assert_eq!(links(first(), list(&["c", "b"], false)), (None, None));
    }

    #[test]
    fn a_page_after_an_id_has_newer_ones_before_it() {
        let after = || PageRequest::after(2, "d");
        assert_eq!(
            links(after(), list(&["c", "b"], true)),
            (Some("?before=c".into()), Some("?after=b".into()))
        );
        assert_eq!(
            links(after(), list(&["c"], false)),
            (Some("?before=c".into()), None)
        );
        // Past the end: back to the first page.
        assert_eq!(
            links(after(), list(&[], false)),
            (Some(String::new()), None)
        );
    }

    #[test]
    fn a_page_before_an_id_has_older_ones_after_it() {
        let before = || PageRequest::before(2, "a");
        assert_eq!(
            links(before(), list(&["c", "b"], true)),
            (Some("?before=c".into()), Some("?after=b".into()))
        );
        assert_eq!(
            links(before(), list(&["c", "b"], false)),
            (None, Some("?after=b".into()))
        );
    }
}
