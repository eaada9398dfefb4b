//! The vendor REST API under `/api/v1`: one module per resource, each with its `router()`.

pub mod api_keys;
pub mod contacts;
pub mod customers;
pub mod events;
pub mod invoice_settings;
pub mod invoices;
pub mod oauth_clients;
pub mod payment_methods;
pub mod payment_provider;
pub mod plans;
pub mod portal_settings;
pub mod products;
pub mod subscriptions;
pub mod test_clocks;
pub mod transactions;
pub mod webhook_endpoints;

use axum::Json;
use axum::http::StatusCode;

use crate::openapi::Routes;

/// Every vendor route; the caller puts authentication around them.
pub fn router() -> Routes {
    Routes::new()
        .merge(customers::router())
        .merge(contacts::router())
        .merge(products::router())
        .merge(plans::router())
        .merge(subscriptions::router())
        .merge(invoices::router())
        .merge(transactions::router())
        .merge(payment_methods::router())
        .merge(api_keys::router())
        .merge(oauth_clients::router())
        .merge(portal_settings::router())
        .merge(invoice_settings::router())
        .merge(payment_provider::router())
        .merge(webhook_endpoints::router())
        .merge(test_clocks::router())
        .merge(events::router())
        .merge(crate::access::native::router())
        .merge(crate::access::rest_token::router())
        .merge(crate::access::shareable::router())
}

/// The answer to a create: 201 and the new record.
pub type Created<T> = (StatusCode, Json<T>);

pub fn created<T>(value: T) -> Created<T> {
    (StatusCode::CREATED, Json(value))
}
