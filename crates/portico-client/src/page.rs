//! Cursor pagination: lists are newest first, at most 100 a page, and the next page starts after
//! the last id of this one. A [`Filter`] says what to list; [`Pager`] walks every page of it.

use std::marker::PhantomData;

use portico_core::List;
use portico_core::model::{InvoiceStatus, SubscriptionStatus};
use portico_core::{InvoiceId, ProductId, SubscriptionId};
use serde::de::DeserializeOwned;

use crate::client::Call;
use crate::error::Result;
use crate::operations::{self, Operation};
use crate::wire::{Listed, Wire};

/// One page to fetch: how many (1 to 100, the server's default is 10) and after which id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub limit: Option<u32>,
    pub starting_after: Option<String>,
}

impl Page {
    /// The newest `limit` records.
    pub fn first(limit: u32) -> Self {
        Self {
            limit: Some(limit),
            starting_after: None,
        }
    }

    /// The `limit` records after the one with id `cursor`.
    pub fn after(cursor: impl Into<String>, limit: u32) -> Self {
        Self {
            limit: Some(limit),
            starting_after: Some(cursor.into()),
        }
    }

    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(limit) = self.limit {
            pairs.push(("limit", limit.to_string()));
        }
        if let Some(after) = &self.starting_after {
            pairs.push(("starting_after", after.clone()));
        }
        pairs
    }
}

/// What one list operation can filter by; its fields are the operation's query parameters
/// besides `limit` and `starting_after`.
pub trait Filter {
    /// The list operation this filter belongs to.
    const OPERATION: Operation;
    /// The query parameter names of the filter's fields.
    const PARAMETERS: &'static [&'static str];
    /// What the operation lists.
    type Item: DeserializeOwned + Listed + Wire;

    /// The query pairs of the fields that are set.
    fn pairs(&self) -> Vec<(&'static str, String)>;
}

macro_rules! filters {
    ($(
        $(#[$doc:meta])*
        $name:ident for $op:ident => $item:ty { $($(#[$fdoc:meta])* $field:ident: $ty:ty),* $(,)? }
    )+) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Default, PartialEq, Eq)]
            pub struct $name {
                $($(#[$fdoc])* pub $field: Option<$ty>,)*
            }

            impl Filter for $name {
                const OPERATION: Operation = operations::$op;
                const PARAMETERS: &'static [&'static str] = &[$(stringify!($field)),*];
                type Item = $item;

                #[allow(unused_mut)]
                fn pairs(&self) -> Vec<(&'static str, String)> {
                    let mut pairs = Vec::new();
                    $(
                        if let Some(value) = &self.$field {
                            pairs.push((stringify!($field), value.to_string()));
                        }
                    )*
                    pairs
                }
            }
        )+
    };
}

filters! {
    /// Which customers to list.
    CustomerFilter for CUSTOMERS_LIST => portico_core::model::Customer {
        /// Only customers with this e-mail address.
        email: String,
    }
    /// Which contacts to list.
    ContactFilter for CONTACTS_LIST => portico_core::model::Contact {
        /// Only contacts of this customer (id or alias).
        customer: String,
    }
    /// Products: no filter.
    ProductFilter for PRODUCTS_LIST => portico_core::model::Product {}
    /// Which plans to list.
    PlanFilter for PLANS_LIST => portico_core::model::Plan {
        /// Only plans of this product.
        product: ProductId,
    }
    /// Which subscriptions to list.
    SubscriptionFilter for SUBSCRIPTIONS_LIST => portico_core::model::Subscription {
        /// Only subscriptions of this customer (id or alias).
        customer: String,
        status: SubscriptionStatus,
    }
    /// Which invoices to list.
    InvoiceFilter for INVOICES_LIST => portico_core::model::Invoice {
        /// Only invoices of this customer (id or alias).
        customer: String,
        status: InvoiceStatus,
        subscription: SubscriptionId,
    }
    /// Which transactions to list.
    TransactionFilter for TRANSACTIONS_LIST => portico_core::model::Transaction {
        /// Only transactions of this customer (id or alias).
        customer: String,
        invoice: InvoiceId,
    }
    /// Which payment methods to list.
    PaymentMethodFilter for PAYMENT_METHODS_LIST => portico_core::model::PaymentMethod {
        /// Only payment methods of this customer (id or alias).
        customer: String,
    }
    /// API keys: no filter.
    ApiKeyFilter for API_KEYS_LIST => portico_core::model::ApiKey {}
    /// OAuth clients: no filter.
    OAuthClientFilter for OAUTH_CLIENTS_LIST => portico_core::model::OAuthClient {}
    /// Webhook endpoints: no filter.
    WebhookEndpointFilter for WEBHOOK_ENDPOINTS_LIST => crate::types::WebhookEndpoint {}
    /// Which portal sessions to list.
    PortalSessionFilter for PORTAL_SESSIONS_LIST => portico_core::model::PortalSession {
        /// Only sessions of this customer (id or alias).
        customer: String,
    }
}

/// Which events to list. Written out rather than by `filters!`, whose parameter names are the
/// field names, since this one's `type` is a keyword.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this customer (id or alias).
    pub customer: Option<String>,
    /// Only events of this type, e.g. `subscription.canceled`.
    pub event_type: Option<String>,
}

impl Filter for EventFilter {
    const OPERATION: Operation = operations::EVENTS_LIST;
    const PARAMETERS: &'static [&'static str] = &["customer", "type"];
    type Item = crate::types::Event;

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(customer) = &self.customer {
            pairs.push(("customer", customer.clone()));
        }
        if let Some(event_type) = &self.event_type {
            pairs.push(("type", event_type.clone()));
        }
        pairs
    }
}

/// One page of `filter`.
pub(crate) async fn list<F: Filter>(
    call: &Call<'_>,
    filter: &F,
    page: &Page,
) -> Result<List<F::Item>> {
    let mut query = filter.pairs();
    query.extend(page.pairs());
    call.get(F::OPERATION, &[], &query).await
}

/// Walks the pages of one filter, newest first: [`next_page`](Self::next_page) page by page,
/// or [`all`](Self::all) at once.
#[derive(Debug)]
pub struct Pager<'a, F: Filter> {
    call: Call<'a>,
    filter: F,
    limit: Option<u32>,
    cursor: Option<String>,
    done: bool,
    _item: PhantomData<fn() -> F::Item>,
}

impl<'a, F: Filter> Pager<'a, F> {
    pub(crate) fn new(call: Call<'a>, filter: F) -> Self {
        Self {
            call,
            filter,
            limit: None,
            cursor: None,
            done: false,
            _item: PhantomData,
        }
    }

    /// Records per request, 1 to 100 (default the server's, 10).
    pub fn page_size(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Vec<F::Item>>> {
        if self.done {
            return Ok(None);
        }
        let page = Page {
            limit: self.limit,
            starting_after: self.cursor.clone(),
        };
        let list = list(&self.call, &self.filter, &page).await?;
        self.cursor = list.data.last().map(|x| x.cursor().to_owned());
        self.done = !list.has_more || self.cursor.is_none();
        Ok(Some(list.data))
    }

    /// Every record of every page.
    pub async fn all(mut self) -> Result<Vec<F::Item>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}
