//! Every record the upgrade fixture holds (one of each kind the store keeps), read back through
//! the `Store` API as text. The fixture is made by a release with `make_fixture.rs` and that
//! release's copy of this file; the upgrade test reads it with the current one and expects the
//! same text.

use portico_core::model::*;

use portico_core::*;
use portico_store::*;
use sha2::{Digest, Sha256};

/// 2026-01-01T00:00:00Z; every record is made within the following minute.
pub const BASE: i64 = 1_767_225_600_000;
/// When the records are read: after all were made, before any expires.
pub const READ_AT: i64 = BASE + 3_600_000;
pub const SUBDOMAIN: &str = "upgrade";
pub const IDEMPOTENCY_KEY: &str = "order-2026-0001";

pub fn at(second: i64) -> Timestamp {
    Timestamp::from_millis(BASE + second * 1000 + 7)
}

pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A value of an API input type from its JSON form, as a request body would give it.
pub fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("valid input")
}

fn first<I>() -> PageRequest<I> {
    PageRequest::first(100)
}

/// Every record made above, read through the API, one line each.
pub async fn read_everything(store: &SqlStore) -> Vec<String> {
    let mut lines = Vec::new();
    let mut add =
        |label: &str, value: &dyn std::fmt::Debug| lines.push(format!("{label}: {value:?}"));
    let account = store.account_by_subdomain(SUBDOMAIN).await.unwrap();
    let id = &account.id;
    add("account", &account);
    // Times print to the second; these keep their milliseconds.
    let mut millis = vec![account.created_at.as_millis()];
    for key in store.list_api_keys(id, first()).await.unwrap().data {
        millis.extend(
            [key.created_at, key.last_used_at.unwrap_or(Timestamp::MAX)].map(Timestamp::as_millis),
        );
        add("api key", &store.api_key_credential(&key.id).await.unwrap());
    }
    add("signing keys", &store.signing_keys(id).await.unwrap());
    let customers = store.list_customers(id, None, first()).await.unwrap().data;
    millis.extend(customers.iter().map(|c| c.updated_at.as_millis()));
    add("customers", &customers);
    let by_alias = CustomerRef::Alias("tenant-42".into());
    add(
        "customer by alias",
        &store.customer(id, &by_alias).await.unwrap(),
    );
    add(
        "contacts",
        &store.list_contacts(id, None, first()).await.unwrap().data,
    );
    add(
        "products",
        &store.list_products(id, first()).await.unwrap().data,
    );
    add(
        "plans",
        &store.list_plans(id, None, first()).await.unwrap().data,
    );
    let subscriptions = store
        .list_subscriptions(id, Default::default(), first())
        .await;
    add("subscriptions", &subscriptions.unwrap().data);
    for invoice in store
        .list_invoices(id, Default::default(), first())
        .await
        .unwrap()
        .data
    {
        add("invoice", &store.invoice(id, &invoice.id).await.unwrap());
    }
    let transactions = store
        .list_transactions(id, Default::default(), first())
        .await;
    add("transactions", &transactions.unwrap().data);
    add(
        "payment methods",
        &store
            .list_payment_methods(id, None, first())
            .await
            .unwrap()
            .data,
    );
    let sessions = store
        .list_portal_sessions(id, Default::default(), first())
        .await;
    add("portal sessions", &sessions.unwrap().data);
    add(
        "redirect token",
        &store
            .redirect_token(&sha256("redirect token"))
            .await
            .unwrap(),
    );
    let browser = store.browser_session(&sha256("cookie")).await.unwrap();
    if let Some(view) = &browser {
        millis.extend(
            [view.created_at, view.last_seen_at, view.session.issued_at].map(Timestamp::as_millis),
        );
    }
    add("browser session", &browser);
    for client in store.list_oauth_clients(id, first()).await.unwrap().data {
        add(
            "oauth client",
            &store.oauth_client_credential(&client.id).await.unwrap(),
        );
    }
    let read_at = Timestamp::from_millis(READ_AT);
    add(
        "oauth token",
        &store
            .oauth_token(&sha256("access token"), read_at)
            .await
            .unwrap(),
    );
    let replay = store
        .idempotency_begin(id, IDEMPOTENCY_KEY, &sha256("request"), read_at)
        .await;
    add("idempotency key", &replay.unwrap());
    add("milliseconds", &millis);
    lines
}
