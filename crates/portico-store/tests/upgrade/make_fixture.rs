//! Makes the upgrade fixture with the release being checked: `scripts/upgrade-fixture` copies this
//! file and `records.rs` into that release's `portico-store` as an example and runs it once per
//! backend, as `make_fixture DATABASE_URL EXPECTED_FILE`. It migrates the empty database, makes
//! one of every record and writes what that release reads back to EXPECTED_FILE; the script then
//! dumps the database beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "records.rs"]
mod records;

use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use portico_store::*;
use records::{BASE, IDEMPOTENCY_KEY, READ_AT, SUBDOMAIN, at, input, sha256};
use serde_json::json;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, expected] = &args[..] else {
        panic!("usage: make_fixture DATABASE_URL EXPECTED_FILE");
    };
    let store = SqlStore::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    make_every_record(&store).await;
    let lines = records::read_everything(&store).await;
    std::fs::write(expected, lines.join("\n") + "\n").unwrap();
}

/// One of every record the store keeps, made through that release's `Store` API.
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
        flow: None,
    };
    store
        .create_portal_session(id, &session, false, None)
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
            origin: None,
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
