//! What a portal page handler is given before it runs: the page's query (after any portal token
//! in it was exchanged for a session) and the visit (the checked browser session, its locale and
//! branding). Each refusal is already the friendly page to answer with.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::Response;
use portico_core::model::PortalPage;
use portico_core::page::PageRequest;
use serde::Deserialize;

use super::session::{Denied, Visit, visit};
use super::{Peer, denied};
use crate::AppState;

/// The query of a portal page in a session.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// A portal link's token; exchanged before the page is shown, never shown with it.
    token: Option<String>,
    /// A list page: the items older than this id.
    pub after: Option<String>,
    /// A list page: the items newer than this id.
    pub before: Option<String>,
    /// Set by the redirect after a successful action, so that the page says it was saved.
    pub done: Option<String>,
}

/// Rows per page of the invoice and transaction lists.
pub const PAGE_SIZE: u32 = 10;

impl PageQuery {
    /// The list page the query names; `None` when its cursor is not an id of the listed kind (or
    /// both directions are given), which is a bad link.
    pub fn page_request<I: std::str::FromStr>(&self) -> Option<PageRequest<I>> {
        match (self.after.as_deref(), self.before.as_deref()) {
            (None, None) => Some(PageRequest::first(PAGE_SIZE)),
            (Some(after), None) => Some(PageRequest::after(PAGE_SIZE, after.parse().ok()?)),
            (None, Some(before)) => Some(PageRequest::before(PAGE_SIZE, before.parse().ok()?)),
            (Some(_), Some(_)) => None,
        }
    }
}

/// A query that does not parse (a duplicated or undecodable `token`, as a link mangled on the way
/// gets) is a bad link: the friendly page, not a framework error. A query with `?token=` is
/// exchanged for a session here, and the extraction "fails" with the answer to send instead of
/// the page: a 303 to the same page without the token, or the page saying why the link did not
/// work.
impl FromRequestParts<AppState> for PageQuery {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        let Ok(Query(q)) = Query::<PageQuery>::from_request_parts(parts, s).await else {
            return Err(denied(&parts.headers, Denied::BadLink(None)));
        };
        let Some(token) = q.token.as_deref() else {
            return Ok(q);
        };
        let page = PortalPage::ALL
            .iter()
            .copied()
            .find(|p| p.path() == parts.uri.path())
            .unwrap_or(PortalPage::Overview);
        let Ok(peer) = Peer::from_request_parts(parts, s).await;
        Err(
            super::exchange_portal_token(s, &peer, &parts.headers, token, page)
                .await
                .unwrap_or_else(|d| denied(&parts.headers, d)),
        )
    }
}

/// A page needs a live browser session; without one it answers with the page that says why
/// (not signed in, logged out, timed out, ended), branded when the account is known.
impl FromRequestParts<AppState> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Response> {
        // The flow guard has checked the session already; the visit is taken, not copied (an
        // extractor after this one that wants it checks the session itself).
        let v = match parts.extensions.remove::<Visit>() {
            Some(v) => v,
            None => visit(s, &parts.headers)
                .await
                .map_err(|d| denied(&parts.headers, d))?,
        };
        Ok(v.in_request(s, &parts.extensions, &parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use portico_core::InvoiceId;

    use super::*;

    fn query(after: Option<&str>, before: Option<&str>) -> PageQuery {
        PageQuery {
            after: after.map(str::to_owned),
            before: before.map(str::to_owned),
            ..PageQuery::default()
        }
    }

    #[test]
    fn cursors_must_be_ids_of_the_listed_kind_in_one_direction() {
        let id = "inv_01hzz0000000000000000000aa";
        let parsed = id.parse::<InvoiceId>().ok();
        assert!(parsed.is_some(), "{id} is an invoice id");
        let req = |q: PageQuery| q.page_request::<InvoiceId>();
        assert_eq!(req(query(None, None)), Some(PageRequest::first(PAGE_SIZE)));
        assert_eq!(
            req(query(Some(id), None)),
            parsed.clone().map(|i| PageRequest::after(PAGE_SIZE, i))
        );
        assert_eq!(
            req(query(None, Some(id))),
            parsed.map(|i| PageRequest::before(PAGE_SIZE, i))
        );
        assert_eq!(req(query(Some(id), Some(id))), None);
        assert_eq!(
            req(query(Some("txn_01hzz0000000000000000000aa"), None)),
            None
        );
        assert_eq!(req(query(None, Some("<script>"))), None);
    }
}
