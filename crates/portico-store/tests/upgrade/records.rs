//! One of every record the store keeps, made through the `Store` API, and every one of them read
//! back through it as text. The upgrade fixture is made with a release's own copy of this file
//! (see `make_fixture.rs`); the upgrade test reads the fixture with the current one and expects
//! the same text.

use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use portico_store::*;
use serde_json::json;
use sha2::{Digest, Sha256};

/// 2026-01-01T00:00:00Z; every record is made within the following minute.
const BASE: i64 = 1_767_225_600_000;
/// When the records are read: after all were made, before any expires.
const READ_AT: i64 = BASE + 3_600_000;
const SUBDOMAIN: &str = "upgrade";
const IDEMPOTENCY_KEY: &str = "order-2026-0001";

fn at(second: i64) -> Timestamp {
    Timestamp::from_millis(BASE + second * 1000 + 7)
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// A value of an API input type from its JSON form, as a request body would give it.
fn input<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("valid input")
}

pub async fn make_every_record(store: &SqlStore) {
    let account = store
        .create_account(SUBDOMAIN, "Upgrade GmbH", at(1))
        .await
        .unwrap();
    let id = &account.id;
    let settings: PortalSettings = input(json!({
        "branding": {"display_name": "Upgrade", "logo_url": "https://cdn.example/logo.png",
                     "primary_color": "#0055aa", "support_email": "help@upgrade.example",
                     "support_url": "https://upgrade.example/help"},
        "features": {"cancel": false, "quantity_change": false},
        "default_locale": "de",
        "allowed_origins": ["https://app.upgrade.example"],
        "default_return_url": "https://app.upgrade.example/billing",
        "link_reentry": true
    }));
    store
        .update_portal_settings(id, settings, at(2))
        .await
        .unwrap();
    let scopes = ApiScopes::parse("scopes", "customers:read billing:write").unwrap();
    let key = store
        .create_api_key(
            id,
            "Backend",
            scopes,
            sha256("key secret"),
            Some(at(86_400)),
            at(3),
        )
        .await
        .unwrap();
    store.touch_api_key(&key.id, at(4)).await.unwrap();
    store
        .create_signing_key(&SigningKeyRecord {
            id: SigningKeyId::new(at(5), [5; 10]),
            account: id.clone(),
            algorithm: "EdDSA".into(),
            public_key: (0u8..32).collect(),
            sealed_private_key: "sealed:v1:AAECAwQF".into(),
            created_at: at(5),
            retired_at: None,
            revoked_at: None,
        })
        .await
        .unwrap();

    let customer = store
        .create_customer(
            id,
            input(json!({
                "alias": "tenant-42", "name": "Acme Ltd", "email": "billing@acme.example",
                "currency": "EUR", "tax_id": "DE123456789", "metadata": {"crm": "7"},
                "address": {"line1": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115",
                            "country": "DE"}
            })),
            at(6),
        )
        .await
        .unwrap();
    let contact = store
        .create_contact(
            id,
            input(json!({
                "customer": customer.id, "external_id": "user-9", "email": "ana@acme.example",
                "name": "Ana", "portal_access": true, "role": "billing"
            })),
            at(7),
        )
        .await
        .unwrap();
    let product = store
        .create_product(
            id,
            input(json!({"name": "Cloud", "description": "Hosted", "self_service": true})),
            at(8),
        )
        .await
        .unwrap();
    let plan = store
        .create_plan(
            id,
            input(json!({
                "product": product.id, "name": "Pro", "interval": "year", "interval_count": 1,
                "unit_amount": 29_000, "currency": "EUR", "self_service": true, "trial_days": 14
            })),
            at(9),
        )
        .await
        .unwrap();
    let subscription = store
        .create_subscription(
            id,
            input(json!({
                "customer": customer.id, "plan": plan.id, "quantity": 3,
                "cancel_at_period_end": true, "metadata": {"seats": "3"}
            })),
            at(10),
        )
        .await
        .unwrap();
    let invoice = store
        .create_invoice(
            id,
            input(json!({
                "customer": customer.id, "subscription": subscription.id, "status": "open",
                "lines": [
                    {"description": "Pro × 3", "quantity": 3, "unit_amount": 29_000},
                    {"description": "Discount", "quantity": 1, "unit_amount": -5_000}
                ],
                "tax_rate_bps": 1900, "metadata": {"po": "PO-1"}
            })),
            at(11),
        )
        .await
        .unwrap();
    let card = store
        .create_payment_method(
            id,
            input(json!({
                "customer": customer.id, "kind": "card", "brand": "visa", "last4": "4242",
                "exp_month": 12, "exp_year": 2030, "is_default": true, "provider_ref": "pm_test_1"
            })),
            at(12),
        )
        .await
        .unwrap();
    store
        .create_transaction(
            id,
            input(json!({
                "customer": customer.id, "kind": "payment", "status": "succeeded",
                "amount": 98_175, "invoice": invoice.id, "payment_method": card.id,
                "description": "Invoice payment"
            })),
            at(13),
        )
        .await
        .unwrap();

    let session = PortalSession {
        id: PortalSessionId::new(at(14), [14; 10]),
        customer: customer.id.clone(),
        contact: Some(contact.id.clone()),
        scopes: PortalScopes::read_only(),
        return_url: Some("https://app.upgrade.example/back".into()),
        locale: Some("de".into()),
        page: PortalPage::Overview,
        issued_at: at(14),
        expires_at: at(14).plus_secs(30 * 86_400),
        revoked_at: None,
        issued_by: key.id.to_string(),
    };
    store
        .create_portal_session(id, &session, false)
        .await
        .unwrap();
    store
        .create_redirect_token(id, &session.id, &sha256("redirect token"), at(45))
        .await
        .unwrap();
    store
        .create_browser_session(&NewBrowserSession {
            account: id.clone(),
            portal_session: session.id.clone(),
            cookie_sha256: sha256("cookie"),
            csrf_secret: sha256("csrf"),
            now: at(16),
        })
        .await
        .unwrap();
    store
        .touch_browser_session(&sha256("cookie"), at(17))
        .await
        .unwrap();

    let client = store
        .create_oauth_client(id, "Zapier", scopes, &sha256("client secret"), at(18))
        .await
        .unwrap();
    store
        .create_oauth_token(id, &client.id, scopes, &sha256("access token"), at(7_200))
        .await
        .unwrap();
    let begun = store
        .idempotency_begin(id, IDEMPOTENCY_KEY, &sha256("request"), at(19))
        .await
        .unwrap();
    assert_eq!(begun, IdempotencyBegin::Started);
    store
        .idempotency_finish(id, IDEMPOTENCY_KEY, 201, br#"{"id":"cus_1"}"#)
        .await
        .unwrap();
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
