#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `Store` conformance suite: every test runs once on SQLite and once on PostgreSQL.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

use portico_core::model::*;
use portico_core::scope::{ApiScopes, PortalScopes};
use portico_core::*;
use portico_store::*;
use portico_testkit::{Backend, Fixture, TestDatabase, backend_tests};
use sha2::{Digest, Sha256};
use sqlx::Connection;

/// 2026-01-01T00:00:00Z.
const BASE: i64 = 1_767_225_600_000;

/// A fresh, migrated database and a clock that only moves when asked.
struct Db {
    store: SqlStore,
    db: TestDatabase,
    ticks: AtomicI64,
}

impl Fixture for Db {
    async fn start(backend: Backend) -> Self {
        let db = TestDatabase::create(backend).await;
        let store = db.store().await;
        Db {
            store,
            db,
            ticks: AtomicI64::new(0),
        }
    }
}

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Db {
    /// A later time on every call; ids carry it, so later records sort first. The odd
    /// milliseconds check that times keep their millisecond precision.
    fn now(&self) -> Timestamp {
        let n = self.ticks.fetch_add(1, Ordering::SeqCst) + 1;
        Timestamp::from_millis(BASE + n * 1000 + 7)
    }

    async fn account(&self, subdomain: &str) -> Account {
        self.store
            .create_account(subdomain, &format!("{subdomain} Inc"), self.now())
            .await
            .unwrap()
    }

    async fn customer(&self, account: &Account, alias: Option<&str>) -> Customer {
        self.store
            .create_customer(&account.id, new_customer(alias), self.now())
            .await
            .unwrap()
    }

    async fn product(&self, account: &Account) -> Product {
        self.store
            .create_product(
                &account.id,
                NewProduct {
                    name: "Portico Cloud".into(),
                    description: Some("Hosted portal".into()),
                    self_service: true,
                    active: true,
                },
                self.now(),
            )
            .await
            .unwrap()
    }

    async fn plan(&self, account: &Account, product: &Product, trial_days: i32) -> Plan {
        self.store
            .create_plan(&account.id, new_plan(product, trial_days), self.now())
            .await
            .unwrap()
    }

    async fn subscription(
        &self,
        account: &Account,
        customer: &Customer,
        plan: &Plan,
    ) -> Subscription {
        self.store
            .create_subscription(
                &account.id,
                NewSubscription {
                    customer: customer.id.to_string(),
                    plan: plan.id.clone(),
                    quantity: 2,
                    status: None,
                    current_period_start: None,
                    cancel_at_period_end: false,
                    metadata: Metadata::new(),
                },
                self.now(),
            )
            .await
            .unwrap()
    }

    async fn invoice(&self, account: &Account, customer: &Customer) -> Invoice {
        self.store
            .create_invoice(&account.id, new_invoice(customer, None), self.now())
            .await
            .unwrap()
    }

    async fn card(
        &self,
        account: &Account,
        customer: &Customer,
        default: Option<bool>,
    ) -> PaymentMethod {
        self.store
            .create_payment_method(&account.id, new_card(customer, default), self.now())
            .await
            .unwrap()
    }

    async fn payment(
        &self,
        account: &Account,
        customer: &Customer,
        invoice: Option<&Invoice>,
        status: TransactionStatus,
        amount: i64,
    ) -> StoreResult<Transaction> {
        self.store
            .create_transaction(
                &account.id,
                NewTransaction {
                    customer: customer.id.to_string(),
                    kind: TransactionKind::Payment,
                    status,
                    amount,
                    currency: None,
                    invoice: invoice.map(|i| i.id.clone()),
                    payment_method: None,
                    description: None,
                    created_at: None,
                },
                self.now(),
            )
            .await
    }

    async fn contact(&self, account: &Account, customer: &Customer, role: Role) -> Contact {
        self.store
            .create_contact(
                &account.id,
                NewContact {
                    customer: customer.id.to_string(),
                    external_id: None,
                    email: "ana@acme.example".into(),
                    name: Some("Ana".into()),
                    portal_access: true,
                    role,
                },
                self.now(),
            )
            .await
            .unwrap()
    }

    /// A portal session issued now for an hour, stored.
    async fn portal_session(
        &self,
        account: &Account,
        customer: &Customer,
        contact: Option<&Contact>,
        invalidate_existing: bool,
    ) -> PortalSession {
        let session = portal_session_for(customer, contact, self.now(), 3600);
        self.store
            .create_portal_session(&account.id, &session, invalidate_existing)
            .await
            .unwrap();
        session
    }

    /// A browser session on `session`, created now, for the cookie value `cookie`.
    async fn browser_session(
        &self,
        account: &Account,
        session: &PortalSession,
        cookie: &str,
    ) -> [u8; 32] {
        let cookie_sha256 = sha256(cookie);
        self.store
            .create_browser_session(&NewBrowserSession {
                account: account.id.clone(),
                portal_session: session.id.clone(),
                cookie_sha256,
                csrf_secret: sha256(&format!("csrf {cookie}")),
                now: self.now(),
            })
            .await
            .unwrap();
        cookie_sha256
    }

    /// The view of a browser session that must exist.
    async fn view(&self, cookie_sha256: &[u8; 32]) -> BrowserSessionView {
        self.store
            .browser_session(cookie_sha256)
            .await
            .unwrap()
            .expect("browser session")
    }

    /// Opens a plain connection beside the store, for what only raw SQL can check.
    async fn raw(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db.url).await.unwrap()
    }
}

/// Runs `sql` with `value` and `id` as `$1` and `$2` on a raw connection.
async fn set(raw: &mut sqlx::AnyConnection, sql: &str, value: &str, id: &str) {
    sqlx::query(sql)
        .bind(value.to_owned())
        .bind(id.to_owned())
        .execute(raw)
        .await
        .unwrap();
}

fn new_customer(alias: Option<&str>) -> NewCustomer {
    NewCustomer {
        alias: alias.map(Into::into),
        name: "Acme GmbH".into(),
        email: Some("billing@acme.example".into()),
        currency: Currency::EUR,
        address: Address::default(),
        tax_id: None,
        portal_enabled: true,
        metadata: Metadata::new(),
    }
}

fn new_plan(product: &Product, trial_days: i32) -> NewPlan {
    NewPlan {
        product: product.id.clone(),
        name: "Pro".into(),
        interval: Interval::Month,
        interval_count: 1,
        unit_amount: 2900,
        currency: Currency::EUR,
        self_service: true,
        trial_days,
        active: true,
    }
}

fn line(description: &str, quantity: i64, unit_amount: i64) -> NewInvoiceLine {
    NewInvoiceLine {
        description: description.into(),
        quantity,
        unit_amount,
        period_start: None,
        period_end: None,
    }
}

/// Lines of 2 × 29.00 less 8.00, at 19 % tax: subtotal 5000, tax 950, total 5950.
fn new_invoice(customer: &Customer, status: Option<InvoiceStatus>) -> NewInvoice {
    NewInvoice {
        customer: customer.id.to_string(),
        subscription: None,
        currency: None,
        status,
        lines: vec![line("Pro × 2", 2, 2900), line("Discount", 1, -800)],
        tax_rate_bps: 1900,
        issued_at: None,
        due_at: None,
        paid_at: None,
        metadata: Metadata::new(),
    }
}

fn new_card(customer: &Customer, default: Option<bool>) -> NewPaymentMethod {
    NewPaymentMethod {
        customer: customer.id.to_string(),
        kind: PaymentMethodKind::Card,
        brand: Some("visa".into()),
        last4: "4242".into(),
        exp_month: Some(12),
        exp_year: Some(2030),
        is_default: default,
        provider_ref: None,
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn portal_session_for(
    customer: &Customer,
    contact: Option<&Contact>,
    now: Timestamp,
    lifetime_secs: i64,
) -> PortalSession {
    PortalSession {
        id: PortalSessionId::new(now, rand::random()),
        customer: customer.id.clone(),
        contact: contact.map(|c| c.id.clone()),
        scopes: PortalScopes::read_only(),
        return_url: None,
        locale: None,
        page: PortalPage::Overview,
        issued_at: now,
        expires_at: now.plus_secs(lifetime_secs),
        revoked_at: None,
        issued_by: "key_test".into(),
    }
}

fn signing_key_for(account: &Account, now: Timestamp, seed: u8) -> SigningKeyRecord {
    SigningKeyRecord {
        id: SigningKeyId::new(now, [seed; 10]),
        account: account.id.clone(),
        algorithm: "EdDSA".into(),
        public_key: (0..32).map(|i| seed.wrapping_add(i)).collect(),
        sealed_private_key: format!("sealed-v1.{seed:02x}.opaque"),
        created_at: now,
        retired_at: None,
        revoked_at: None,
    }
}

fn first<I>(limit: u32) -> PageRequest<I> {
    PageRequest::first(limit)
}

fn after<I>(limit: u32, id: &I) -> PageRequest<I>
where
    I: Clone,
{
    PageRequest::after(limit, id.clone())
}

fn by_id(c: &Customer) -> CustomerRef {
    CustomerRef::Id(c.id.clone())
}

fn by_alias(alias: &str) -> CustomerRef {
    CustomerRef::Alias(alias.to_owned())
}

#[track_caller]
fn assert_not_found<T: Debug>(result: StoreResult<T>) {
    match result {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: Debug>(result: StoreResult<T>, field: &str) {
    match result {
        Err(StoreError::Invalid(i)) if i.field == field => {}
        other => panic!("expected Invalid({field}), got {other:?}"),
    }
}

#[track_caller]
fn assert_conflict<T: Debug>(result: StoreResult<T>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

fn ids<T, I: Clone>(list: &List<T>, id: impl Fn(&T) -> &I) -> Vec<I> {
    list.data.iter().map(|x| id(x).clone()).collect()
}

backend_tests! {
    async fn migrations_are_rerunnable_and_connect_hides_the_url(db: Db) {
        let expected = match db.db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(db.store.backend(), expected);
        db.store.ping().await.unwrap();
        let account = db.account("acme").await;
        db.store.migrate().await.unwrap();
        db.store.migrate().await.unwrap();
        // A second process on the same database migrates again and sees the same data.
        let again = SqlStore::connect(&db.db.url).await.unwrap();
        again.migrate().await.unwrap();
        assert_eq!(again.account(&account.id).await.unwrap(), account);
        let debug = format!("{again:?}");
        assert!(!debug.contains(&db.db.url), "Debug shows the URL: {debug}");
        assert!(!debug.contains("portico@"), "Debug shows credentials: {debug}");
        if db.db.backend == Backend::Sqlite {
            // The testkit's URL names a file that did not exist: connect created it.
            let path = db.db.url.trim_start_matches("sqlite://");
            assert!(std::path::Path::new(path).exists());
        }
    }

    async fn a_changed_migration_is_refused(db: Db) {
        use sqlx::Executor;
        let mut raw = db.raw().await;
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&mut raw)
            .await
            .unwrap();
        assert_eq!(applied, 5, "0001 to 0005");
        let checksum: Vec<u8> = sqlx::query_scalar("SELECT checksum FROM _sqlx_migrations WHERE version = 1")
            .fetch_one(&mut raw)
            .await
            .unwrap();
        sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
            .bind(vec![0u8; 48])
            .execute(&mut raw)
            .await
            .unwrap();
        let err = db.store.migrate().await.unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
        assert!(cause.contains("modified"), "{cause}");
        sqlx::query("UPDATE _sqlx_migrations SET checksum = $1 WHERE version = 1")
            .bind(checksum)
            .execute(&mut raw)
            .await
            .unwrap();
        db.store.migrate().await.unwrap();
        // A database migrated by a newer build (a migration this build does not know) is
        // refused rather than used with a schema this code was not written for.
        raw.execute("INSERT INTO _sqlx_migrations (version, description, success, checksum, \
                     execution_time) SELECT 9999, description, success, checksum, execution_time \
                     FROM _sqlx_migrations WHERE version = 1")
            .await
            .unwrap();
        let err = db.store.migrate().await.unwrap_err();
        let cause = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("missing"), "{cause}");
    }

    async fn accounts_round_trip(db: Db) {
        let now = db.now();
        let account = db.store.create_account("acme-eu", "Acme Inc", now).await.unwrap();
        assert_eq!(account.subdomain, "acme-eu");
        assert_eq!(account.name, "Acme Inc");
        assert_eq!(account.created_at, now);
        assert_eq!(account.settings, PortalSettings::default());
        assert_eq!(db.store.account(&account.id).await.unwrap(), account);
        assert_eq!(db.store.account_by_subdomain("acme-eu").await.unwrap(), account);

        let msg = assert_conflict(db.store.create_account("acme-eu", "Other", db.now()).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_invalid(db.store.create_account("Acme!", "X", db.now()).await, "subdomain");
        assert_invalid(db.store.create_account("globex", "  ", db.now()).await, "name");
        assert_not_found(db.store.account(&AccountId::new(db.now(), [9; 10])).await);
        assert_not_found(db.store.account_by_subdomain("nobody").await);

        let settings = PortalSettings {
            branding: Branding {
                display_name: Some("Acme".into()),
                logo_url: Some("https://acme.example/logo.png".into()),
                primary_color: Some("#1A73E8".into()),
                support_email: Some("help@acme.example".into()),
                support_url: Some("https://acme.example/help".into()),
            },
            features: PortalFeatures { cancel: false, plan_change: false, ..PortalFeatures::default() },
            default_locale: "de".into(),
            allowed_origins: vec!["https://app.acme.example".into()],
            default_return_url: Some("https://app.acme.example/billing".into()),
            link_reentry: true,
        };
        let updated = db
            .store
            .update_portal_settings(&account.id, settings.clone(), db.now())
            .await
            .unwrap();
        assert_eq!(updated.settings, settings.clone().validate().unwrap());
        assert_eq!(updated.settings.branding.primary_color.as_deref(), Some("#1a73e8"));
        assert_eq!(db.store.account(&account.id).await.unwrap(), updated);

        let mut bad = settings;
        bad.default_locale = "it".into();
        assert_invalid(
            db.store.update_portal_settings(&account.id, bad, db.now()).await,
            "default_locale",
        );
        assert_eq!(db.store.account(&account.id).await.unwrap(), updated);
        assert_not_found(
            db.store
                .update_portal_settings(&AccountId::new(db.now(), [9; 10]), PortalSettings::default(), db.now())
                .await,
        );
    }

    async fn api_keys_round_trip(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let scopes = ApiScopes::parse("scopes", "security:write customers:read billing:write").unwrap();
        let hash: [u8; 32] = Sha256::digest(b"first secret").into();
        let now = db.now();
        let expires = now.plus_secs(86_400);
        let key = db
            .store
            .create_api_key(&a.id, "Backend", scopes, hash, Some(expires), now)
            .await
            .unwrap();
        assert_eq!((key.name.as_str(), key.scopes, key.created_at), ("Backend", scopes, now));
        assert_eq!((key.expires_at, key.last_used_at, key.revoked_at), (Some(expires), None, None));

        let cred = db.store.api_key_credential(&key.id).await.unwrap();
        assert_eq!(cred.account, a.id);
        assert_eq!(cred.key, key);
        assert_eq!(cred.secret_sha256, hash);
        assert_invalid(
            db.store.create_api_key(&a.id, " ", scopes, hash, None, db.now()).await,
            "name",
        );
        assert_not_found(
            db.store
                .create_api_key(&AccountId::new(db.now(), [9; 10]), "x", scopes, hash, None, db.now())
                .await,
        );

        // last_used_at moves forward only.
        let used = db.now();
        db.store.touch_api_key(&key.id, used).await.unwrap();
        db.store.touch_api_key(&key.id, now).await.unwrap();
        let cred = db.store.api_key_credential(&key.id).await.unwrap();
        assert_eq!(cred.key.last_used_at, Some(used));
        assert_not_found(db.store.touch_api_key(&ApiKeyId::new(db.now(), [9; 10]), db.now()).await);
        assert_not_found(db.store.api_key_credential(&ApiKeyId::new(db.now(), [9; 10])).await);

        let second = db
            .store
            .create_api_key(&a.id, "CI", ApiScopes::empty(), [1; 32], None, db.now())
            .await
            .unwrap();
        let third = db
            .store
            .create_api_key(&a.id, "Ops", ApiScopes::all(), [2; 32], None, db.now())
            .await
            .unwrap();
        let page = db.store.list_api_keys(&a.id, first(2)).await.unwrap();
        assert_eq!(ids(&page, |k| &k.id), vec![third.id.clone(), second.id.clone()]);
        assert!(page.has_more);
        let page = db.store.list_api_keys(&a.id, after(2, &second.id)).await.unwrap();
        assert_eq!(ids(&page, |k| &k.id), vec![key.id.clone()]);
        assert!(!page.has_more);
        assert_eq!(page.data[0].last_used_at, Some(used));

        // Another account neither sees nor revokes them.
        assert!(db.store.list_api_keys(&b.id, first(10)).await.unwrap().data.is_empty());
        assert_not_found(db.store.revoke_api_key(&b.id, &key.id, db.now()).await);
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key.revoked_at, None);

        let revoked_at = db.now();
        let revoked = db.store.revoke_api_key(&a.id, &key.id, revoked_at).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(revoked_at));
        assert!(!revoked.is_usable(db.now()));
        let again = db.store.revoke_api_key(&a.id, &key.id, db.now()).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        // The authenticator still finds a revoked key, so it can refuse it for that reason.
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key.revoked_at, Some(revoked_at));
    }

    async fn the_database_never_holds_a_secret_a_client_presents(db: Db) {
        let account = db.account("acme").await;
        let secret = "zq7Lx0cV3f9JtB1mW4sR8uY2nH6kE5pA";
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let key = db
            .store
            .create_api_key(&account.id, "marker-key-name", ApiScopes::all(), hash, None, db.now())
            .await
            .unwrap();
        db.store.touch_api_key(&key.id, db.now()).await.unwrap();
        let customer = db.customer(&account, Some("cust-1")).await;
        db.invoice(&account, &customer).await;
        db.store
            .idempotency_begin(&account.id, "idem-1", &[3; 32], db.now())
            .await
            .unwrap();
        db.store
            .idempotency_finish(&account.id, "idem-1", 201, br#"{"id":"x"}"#)
            .await
            .unwrap();

        // Portal access: what a browser or client presents is a secret as much as an API key.
        let redirect_token = "Rt4kQ9vZ2mX7pL0sW3nB8cF6hJ1dG5yA";
        let cookie = "Ck8nV2xQ5rT9mZ1pL7wB4sH0gF3jD6yE";
        let client_secret = "Cs3hW8kP1vN6qZ9xR2mT5bL0jF7dY4gA";
        let oauth_token = "Ot6mB1xV9kQ3pZ7wR0nT4hL8sJ2dF5gC";
        let session = db.portal_session(&account, &customer, None, false).await;
        db.store
            .create_redirect_token(&account.id, &session.id, &sha256(redirect_token), db.now().plus_secs(30))
            .await
            .unwrap();
        db.store.consume_redirect_token(&sha256(redirect_token), db.now()).await.unwrap().unwrap();
        db.browser_session(&account, &session, cookie).await;
        let client = db
            .store
            .create_oauth_client(&account.id, "marker-client-name", ApiScopes::all(), &sha256(client_secret), db.now())
            .await
            .unwrap();
        db.store
            .create_oauth_token(&account.id, &client.id, ApiScopes::all(), &sha256(oauth_token), db.now().plus_secs(3600))
            .await
            .unwrap();
        db.store.create_signing_key(&signing_key_for(&account, db.now(), 7)).await.unwrap();

        let (tables, stored) = stored_values(&db.db).await;
        for table in [
            "accounts", "api_keys", "customers", "contacts", "products", "plans", "subscriptions",
            "invoices", "transactions", "payment_methods", "idempotency_keys", "signing_keys",
            "portal_sessions", "redirect_tokens", "browser_sessions", "oauth_clients", "oauth_tokens",
        ] {
            assert!(tables.contains(table), "the scan missed table {table}: {tables:?}");
        }
        let holds = |needle: &str| {
            stored
                .iter()
                .filter(|(_, _, v)| v.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .map(|(t, c, _)| format!("{t}.{c}"))
                .collect::<Vec<_>>()
        };
        // The scan does see what is stored: the key's name and the hash of its secret.
        assert_eq!(holds("marker-key-name"), vec!["api_keys.name".to_owned()]);
        assert_eq!(holds(&hex_lower(&hash)), vec!["api_keys.secret_sha256".to_owned()]);
        // And never the secret, nor the full key a client sends.
        assert!(holds(secret).is_empty(), "secret found in {:?}", holds(secret));
        assert!(holds(&format!("portico_sk_{}_{secret}", key.id)).is_empty());
        for (plain, column) in [
            (redirect_token, "redirect_tokens.token_sha256"),
            (cookie, "browser_sessions.cookie_sha256"),
            (client_secret, "oauth_clients.secret_sha256"),
            (oauth_token, "oauth_tokens.token_sha256"),
        ] {
            assert_eq!(holds(&hex_lower(&sha256(plain))), vec![column.to_owned()], "the hash of {plain}");
            assert!(holds(plain).is_empty(), "{plain} found in {:?}", holds(plain));
        }
        assert_eq!(holds("marker-client-name"), vec!["oauth_clients.name".to_owned()]);
    }

    async fn customers_round_trip_every_field(db: Db) {
        let account = db.account("acme").await;
        let now = db.now();
        let input = NewCustomer {
            alias: Some("superdesk-42".into()),
            name: "  Superdesk Ltd  ".into(),
            email: Some("ap@superdesk.example".into()),
            currency: Currency::GBP,
            address: Address {
                line1: Some("1 Long Lane".into()),
                line2: Some("Floor 3".into()),
                city: Some("London".into()),
                state: Some("Greater London".into()),
                postal_code: Some("EC1A 1AA".into()),
                country: Some("gb".into()),
            },
            tax_id: Some("GB123456789".into()),
            portal_enabled: false,
            metadata: meta(&[("crm", "hubspot-9"), ("tier", "gold")]),
        };
        let c = db.store.create_customer(&account.id, input, now).await.unwrap();
        assert!(c.id.as_str().starts_with("cus_"));
        assert_eq!(c.alias.as_deref(), Some("superdesk-42"));
        assert_eq!(c.name, "Superdesk Ltd");
        assert_eq!(c.email.as_deref(), Some("ap@superdesk.example"));
        assert_eq!(c.currency, Currency::GBP);
        assert_eq!(c.address.country.as_deref(), Some("GB"));
        assert_eq!(c.address.line2.as_deref(), Some("Floor 3"));
        assert_eq!(c.tax_id.as_deref(), Some("GB123456789"));
        assert!(!c.portal_enabled);
        assert_eq!(c.metadata, meta(&[("crm", "hubspot-9"), ("tier", "gold")]));
        assert_eq!((c.created_at, c.updated_at), (now, now));

        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), c);
        assert_eq!(db.store.customer(&account.id, &by_alias("superdesk-42")).await.unwrap(), c);
        assert_eq!(db.store.customer(&account.id, &CustomerRef::parse("superdesk-42")).await.unwrap(), c);
        assert_not_found(db.store.customer(&account.id, &by_alias("nobody")).await);
        let list = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(list.data, vec![c.clone()]);

        // The rules of the domain apply: an invalid input is refused and nothing is stored.
        let mut bad = new_customer(Some("x"));
        bad.email = Some("not-an-email".into());
        assert_invalid(db.store.create_customer(&account.id, bad, db.now()).await, "email");
        assert_eq!(db.store.list_customers(&account.id, None, first(10)).await.unwrap().data.len(), 1);
    }

    async fn customer_patches_round_trip(db: Db) {
        let account = db.account("acme").await;
        let mut input = new_customer(Some("old-alias"));
        input.tax_id = Some("DE1".into());
        let c = db.store.create_customer(&account.id, input, db.now()).await.unwrap();

        let now = db.now();
        let patch = CustomerPatch {
            alias: Some(Some("new-alias".into())),
            name: Some("Renamed".into()),
            email: Some(None),
            currency: Some(Currency::USD),
            address: Some(Address { city: Some("Berlin".into()), country: Some("DE".into()), ..Address::default() }),
            tax_id: Some(None),
            portal_enabled: Some(false),
            metadata: Some(meta(&[("k", "v")])),
        };
        let u = db.store.update_customer(&account.id, &by_alias("old-alias"), patch, now).await.unwrap();
        assert_eq!(u.id, c.id);
        assert_eq!(u.alias.as_deref(), Some("new-alias"));
        assert_eq!(u.name, "Renamed");
        assert_eq!(u.email, None);
        assert_eq!(u.currency, Currency::USD);
        assert_eq!(u.address.city.as_deref(), Some("Berlin"));
        assert_eq!(u.tax_id, None);
        assert!(!u.portal_enabled);
        assert_eq!(u.metadata, meta(&[("k", "v")]));
        assert_eq!((u.created_at, u.updated_at), (c.created_at, now));
        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), u);
        assert_not_found(db.store.customer(&account.id, &by_alias("old-alias")).await);

        // An empty patch changes nothing but the update time.
        let later = db.now();
        let same = db.store.update_customer(&account.id, &by_id(&c), CustomerPatch::default(), later).await.unwrap();
        assert_eq!(CustomerPatch::default().apply(u.clone(), later).unwrap(), same);

        let bad = CustomerPatch { name: Some("Changed".into()), email: Some(Some("nope".into())), ..Default::default() };
        assert_invalid(db.store.update_customer(&account.id, &by_id(&c), bad, db.now()).await, "email");
        assert_eq!(db.store.customer(&account.id, &by_id(&c)).await.unwrap(), same);
        assert_not_found(
            db.store
                .update_customer(&account.id, &by_alias("nobody"), CustomerPatch::default(), db.now())
                .await,
        );
    }

    async fn customer_aliases_are_unique_per_account_until_deleted(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let first_one = db.customer(&a, Some("shared")).await;
        let msg = assert_conflict(db.store.create_customer(&a.id, new_customer(Some("shared")), db.now()).await);
        assert!(msg.contains("already exists") && msg.contains("shared"), "{msg}");
        let other = db.customer(&a, Some("other")).await;
        let taken = CustomerPatch { alias: Some(Some("shared".into())), ..Default::default() };
        assert_conflict(db.store.update_customer(&a.id, &by_id(&other), taken, db.now()).await);
        assert_eq!(db.store.customer(&a.id, &by_id(&other)).await.unwrap().alias.as_deref(), Some("other"));
        // Customers without an alias never collide.
        db.customer(&a, None).await;
        db.customer(&a, None).await;
        // The same alias in another account is another customer.
        let b_customer = db.customer(&b, Some("shared")).await;
        assert_eq!(db.store.customer(&b.id, &by_alias("shared")).await.unwrap(), b_customer);

        db.store.delete_customer(&a.id, &by_alias("shared"), db.now()).await.unwrap();
        let reborn = db.customer(&a, Some("shared")).await;
        assert_ne!(reborn.id, first_one.id);
        assert_eq!(db.store.customer(&a.id, &by_alias("shared")).await.unwrap(), reborn);
        assert_not_found(db.store.customer(&a.id, &by_id(&first_one)).await);
    }

    async fn customers_paginate_newest_first(db: Db) {
        let account = db.account("acme").await;
        let mut created = vec![];
        for i in 0..5 {
            let mut input = new_customer(Some(&format!("c{i}")));
            input.email = Some(if i % 2 == 0 { "even@x.example" } else { "odd@x.example" }.into());
            created.push(db.store.create_customer(&account.id, input, db.now()).await.unwrap());
        }
        let newest_first: Vec<CustomerId> = created.iter().rev().map(|c| c.id.clone()).collect();
        let p1 = db.store.list_customers(&account.id, None, first(2)).await.unwrap();
        assert_eq!(ids(&p1, |c| &c.id), newest_first[0..2]);
        assert!(p1.has_more);
        let p2 = db.store.list_customers(&account.id, None, after(2, &p1.data[1].id)).await.unwrap();
        assert_eq!(ids(&p2, |c| &c.id), newest_first[2..4]);
        assert!(p2.has_more);
        let p3 = db.store.list_customers(&account.id, None, after(2, &p2.data[1].id)).await.unwrap();
        assert_eq!(ids(&p3, |c| &c.id), newest_first[4..5]);
        assert!(!p3.has_more);
        let all = db.store.list_customers(&account.id, None, first(5)).await.unwrap();
        assert_eq!((all.data.len(), all.has_more), (5, false));

        let even = db.store.list_customers(&account.id, Some("even@x.example"), first(10)).await.unwrap();
        assert_eq!(ids(&even, |c| &c.id), vec![newest_first[0].clone(), newest_first[2].clone(), newest_first[4].clone()]);
        let odd = db.store.list_customers(&account.id, Some("odd@x.example"), first(1)).await.unwrap();
        assert_eq!((ids(&odd, |c| &c.id), odd.has_more), (vec![newest_first[1].clone()], true));

        // Deleted customers leave the list.
        db.store.delete_customer(&account.id, &by_id(&created[4]), db.now()).await.unwrap();
        let all = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |c| &c.id), newest_first[1..5]);
    }

    async fn deleting_a_customer_hides_it_and_cancels_its_subscriptions(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("doomed")).await;
        let product = db.product(&account).await;
        let plan = db.plan(&account, &product, 0).await;
        let live = db.subscription(&account, &customer, &plan).await;
        let ended = db.subscription(&account, &customer, &plan).await;
        let ended = db.store.cancel_subscription(&account.id, &ended.id, Some("too pricey".into()), db.now()).await.unwrap();
        let contact = db
            .store
            .create_contact(
                &account.id,
                NewContact { customer: "doomed".into(), external_id: Some("eu-1".into()), email: "ana@acme.example".into(), name: None, portal_access: true, role: Role::Owner },
                db.now(),
            )
            .await
            .unwrap();
        let pm = db.card(&account, &customer, None).await;
        let invoice = db.invoice(&account, &customer).await;
        let bystander = db.customer(&account, Some("bystander")).await;
        let bystander_sub = db.subscription(&account, &bystander, &plan).await;

        let now = db.now();
        let deleted = db.store.delete_customer(&account.id, &by_alias("doomed"), now).await.unwrap();
        assert_eq!((deleted.id.clone(), deleted.updated_at), (customer.id.clone(), now));

        assert_not_found(db.store.customer(&account.id, &by_id(&customer)).await);
        assert_not_found(db.store.customer(&account.id, &by_alias("doomed")).await);
        assert_not_found(db.store.delete_customer(&account.id, &by_id(&customer), db.now()).await);
        assert_not_found(db.store.update_customer(&account.id, &by_id(&customer), CustomerPatch::default(), db.now()).await);
        let list = db.store.list_customers(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&list, |c| &c.id), vec![bystander.id.clone()]);

        let live = db.store.subscription(&account.id, &live.id).await.unwrap();
        assert_eq!((live.status, live.canceled_at), (SubscriptionStatus::Canceled, Some(now)));
        assert_eq!(db.store.subscription(&account.id, &ended.id).await.unwrap(), ended, "already canceled stays as it was");
        assert_eq!(db.store.subscription(&account.id, &bystander_sub.id).await.unwrap(), bystander_sub);

        // Its contacts go with it; history (invoices, payment methods) stays readable by id.
        assert_not_found(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await);
        assert_not_found(db.store.contact(&account.id, &ContactRef::ExternalId("eu-1".into())).await);
        assert_eq!(db.store.invoice(&account.id, &invoice.id).await.unwrap(), invoice);
        assert_eq!(db.store.payment_method(&account.id, &pm.id).await.unwrap(), pm);

        // A deleted customer cannot be referred to any more, by id or by alias.
        for reference in [customer.id.to_string(), "doomed".to_owned()] {
            let contact = NewContact { customer: reference.clone(), external_id: None, email: "bo@acme.example".into(), name: None, portal_access: true, role: Role::Billing };
            assert_invalid(db.store.create_contact(&account.id, contact, db.now()).await, "customer");
            let sub = NewSubscription { customer: reference.clone(), plan: plan.id.clone(), quantity: 1, status: None, current_period_start: None, cancel_at_period_end: false, metadata: Metadata::new() };
            assert_invalid(db.store.create_subscription(&account.id, sub, db.now()).await, "customer");
            let mut inv = new_invoice(&customer, None);
            inv.customer = reference.clone();
            assert_invalid(db.store.create_invoice(&account.id, inv, db.now()).await, "customer");
            let mut card = new_card(&customer, None);
            card.customer = reference.clone();
            assert_invalid(db.store.create_payment_method(&account.id, card, db.now()).await, "customer");
            let txn = NewTransaction { customer: reference, kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: None, description: None, created_at: None };
            assert_invalid(db.store.create_transaction(&account.id, txn, db.now()).await, "customer");
        }
        assert_not_found(db.store.list_contacts(&account.id, Some(&by_id(&customer)), first(10)).await);
        assert_not_found(db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("doomed")), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await);
    }

    async fn contacts_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other_account = db.account("globex").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let second = db.customer(&account, None).await;
        let now = db.now();
        let contact = db
            .store
            .create_contact(
                &account.id,
                NewContact {
                    customer: "acme-1".into(),
                    external_id: Some("user-7".into()),
                    email: "ana@acme.example".into(),
                    name: Some("Ana".into()),
                    portal_access: false,
                    role: Role::Viewer,
                },
                now,
            )
            .await
            .unwrap();
        assert_eq!(contact.customer, customer.id);
        assert_eq!(contact.external_id.as_deref(), Some("user-7"));
        assert_eq!((contact.email.as_str(), contact.name.as_deref()), ("ana@acme.example", Some("Ana")));
        assert_eq!((contact.portal_access, contact.role), (false, Role::Viewer));
        assert_eq!((contact.created_at, contact.updated_at), (now, now));
        assert_eq!(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await.unwrap(), contact);
        assert_eq!(db.store.contact(&account.id, &ContactRef::parse("user-7")).await.unwrap(), contact);

        let new_contact = |customer: String, external_id: Option<&str>| NewContact {
            customer,
            external_id: external_id.map(Into::into),
            email: "bo@acme.example".into(),
            name: None,
            portal_access: true,
            role: Role::Billing,
        };
        let msg = assert_conflict(db.store.create_contact(&account.id, new_contact(second.id.to_string(), Some("user-7")), db.now()).await);
        assert!(msg.contains("user-7"), "{msg}");
        assert_invalid(db.store.create_contact(&account.id, new_contact("nobody".into(), None), db.now()).await, "customer");
        assert_invalid(db.store.create_contact(&account.id, new_contact(customer.id.to_string(), Some("not valid!")), db.now()).await, "external_id");
        // External ids are per account.
        let theirs = db.customer(&other_account, None).await;
        db.store.create_contact(&other_account.id, new_contact(theirs.id.to_string(), Some("user-7")), db.now()).await.unwrap();

        let c2 = db.store.create_contact(&account.id, new_contact(second.id.to_string(), None), db.now()).await.unwrap();
        let c3 = db.store.create_contact(&account.id, new_contact(customer.id.to_string(), None), db.now()).await.unwrap();
        let all = db.store.list_contacts(&account.id, None, first(2)).await.unwrap();
        assert_eq!((ids(&all, |c| &c.id), all.has_more), (vec![c3.id.clone(), c2.id.clone()], true));
        let rest = db.store.list_contacts(&account.id, None, after(2, &c2.id)).await.unwrap();
        assert_eq!((ids(&rest, |c| &c.id), rest.has_more), (vec![contact.id.clone()], false));
        let mine = db.store.list_contacts(&account.id, Some(&by_alias("acme-1")), first(10)).await.unwrap();
        assert_eq!(ids(&mine, |c| &c.id), vec![c3.id.clone(), contact.id.clone()]);
        assert_not_found(db.store.list_contacts(&account.id, Some(&by_alias("nobody")), first(10)).await);

        let now = db.now();
        let patch = ContactPatch { external_id: Some(None), email: Some("ana@new.example".into()), name: Some(None), portal_access: Some(true), role: Some(Role::Owner) };
        let u = db.store.update_contact(&account.id, &ContactRef::ExternalId("user-7".into()), patch, now).await.unwrap();
        assert_eq!((u.external_id.clone(), u.email.as_str(), u.name.clone()), (None, "ana@new.example", None));
        assert_eq!((u.portal_access, u.role, u.updated_at, u.created_at), (true, Role::Owner, now, contact.created_at));
        assert_eq!(db.store.contact(&account.id, &ContactRef::Id(contact.id.clone())).await.unwrap(), u);
        assert_not_found(db.store.contact(&account.id, &ContactRef::ExternalId("user-7".into())).await);
        let taken = ContactPatch { external_id: Some(Some("user-8".into())), ..Default::default() };
        db.store.update_contact(&account.id, &ContactRef::Id(c2.id.clone()), taken.clone(), db.now()).await.unwrap();
        assert_conflict(db.store.update_contact(&account.id, &ContactRef::Id(c3.id.clone()), taken, db.now()).await);
        assert_invalid(
            db.store.update_contact(&account.id, &ContactRef::Id(c3.id.clone()), ContactPatch { email: Some("x".into()), ..Default::default() }, db.now()).await,
            "email",
        );

        let now = db.now();
        let deleted = db.store.delete_contact(&account.id, &ContactRef::ExternalId("user-8".into()), now).await.unwrap();
        assert_eq!((deleted.id.clone(), deleted.updated_at), (c2.id.clone(), now));
        assert_not_found(db.store.contact(&account.id, &ContactRef::Id(c2.id.clone())).await);
        assert_not_found(db.store.delete_contact(&account.id, &ContactRef::Id(c2.id.clone()), db.now()).await);
        assert_not_found(db.store.update_contact(&account.id, &ContactRef::Id(c2.id.clone()), ContactPatch::default(), db.now()).await);
        let all = db.store.list_contacts(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |c| &c.id), vec![c3.id.clone(), contact.id.clone()]);
        // Its external id is free again.
        db.store.create_contact(&account.id, new_contact(second.id.to_string(), Some("user-8")), db.now()).await.unwrap();
    }

    async fn products_and_plans_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let now = db.now();
        let product = db
            .store
            .create_product(&account.id, NewProduct { name: " Analytics ".into(), description: Some("Dashboards".into()), self_service: false, active: true }, now)
            .await
            .unwrap();
        assert_eq!((product.name.as_str(), product.description.as_deref()), ("Analytics", Some("Dashboards")));
        assert_eq!((product.self_service, product.active, product.created_at, product.updated_at), (false, true, now, now));
        assert_eq!(db.store.product(&account.id, &product.id).await.unwrap(), product);
        assert_invalid(
            db.store.create_product(&account.id, NewProduct { name: "".into(), description: None, self_service: true, active: true }, db.now()).await,
            "name",
        );

        let now = db.now();
        let p = ProductPatch { name: Some("Analytics+".into()), description: Some(None), self_service: Some(true), active: Some(false) };
        let product = db.store.update_product(&account.id, &product.id, p, now).await.unwrap();
        assert_eq!((product.name.as_str(), product.description.clone(), product.self_service, product.active, product.updated_at), ("Analytics+", None, true, false, now));
        assert_eq!(db.store.product(&account.id, &product.id).await.unwrap(), product);
        let second = db.product(&account).await;
        let page = db.store.list_products(&account.id, first(1)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![second.id.clone()], true));
        let page = db.store.list_products(&account.id, after(1, &second.id)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![product.id.clone()], false));

        let now = db.now();
        let input = NewPlan { product: product.id.clone(), name: "Yearly".into(), interval: Interval::Year, interval_count: 2, unit_amount: 99_00, currency: Currency::USD, self_service: false, trial_days: 14, active: true };
        let plan = db.store.create_plan(&account.id, input, now).await.unwrap();
        assert_eq!((plan.product.clone(), plan.name.as_str(), plan.interval, plan.interval_count), (product.id.clone(), "Yearly", Interval::Year, 2));
        assert_eq!((plan.unit_amount, plan.currency, plan.self_service, plan.trial_days, plan.active), (99_00, Currency::USD, false, 14, true));
        assert_eq!((plan.created_at, plan.updated_at), (now, now));
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);
        let mut bad = new_plan(&product, 0);
        bad.interval_count = 4;
        bad.interval = Interval::Year;
        assert_invalid(db.store.create_plan(&account.id, bad, db.now()).await, "interval_count");
        let mut missing = new_plan(&product, 0);
        missing.product = ProductId::new(db.now(), [5; 10]);
        assert_invalid(db.store.create_plan(&account.id, missing, db.now()).await, "product");
        let theirs = db.product(&other).await;
        assert_invalid(db.store.create_plan(&account.id, new_plan(&theirs, 0), db.now()).await, "product");

        let now = db.now();
        let plan = db.store.update_plan(&account.id, &plan.id, PlanPatch { name: Some("Biennial".into()), self_service: Some(true), trial_days: Some(0), active: Some(false) }, now).await.unwrap();
        assert_eq!((plan.name.as_str(), plan.self_service, plan.trial_days, plan.active, plan.updated_at), ("Biennial", true, 0, false, now));
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);
        assert_invalid(db.store.update_plan(&account.id, &plan.id, PlanPatch { trial_days: Some(-1), ..Default::default() }, db.now()).await, "trial_days");
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);

        let other_plan = db.plan(&account, &second, 0).await;
        let by_product = db.store.list_plans(&account.id, Some(&product.id), first(10)).await.unwrap();
        assert_eq!(ids(&by_product, |p| &p.id), vec![plan.id.clone()]);
        let all = db.store.list_plans(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |p| &p.id), vec![other_plan.id.clone(), plan.id.clone()]);

        // Referenced catalogue entries cannot be deleted; unreferenced ones can.
        let msg = assert_conflict(db.store.delete_product(&account.id, &product.id).await);
        assert!(msg.contains("plans"), "{msg}");
        let customer = db.customer(&account, None).await;
        db.subscription(&account, &customer, &other_plan).await;
        assert_conflict(db.store.delete_plan(&account.id, &other_plan.id).await);
        assert_eq!(db.store.delete_plan(&account.id, &plan.id).await.unwrap(), plan);
        assert_not_found(db.store.plan(&account.id, &plan.id).await);
        assert_not_found(db.store.delete_plan(&account.id, &plan.id).await);
        assert_eq!(db.store.delete_product(&account.id, &product.id).await.unwrap(), product);
        assert_not_found(db.store.product(&account.id, &product.id).await);
        assert_not_found(db.store.delete_product(&account.id, &product.id).await);
        assert_not_found(db.store.update_product(&account.id, &product.id, ProductPatch::default(), db.now()).await);
        assert_not_found(db.store.update_plan(&account.id, &plan.id, PlanPatch::default(), db.now()).await);
    }

    async fn plans_and_invoices_are_read_by_ids_in_one_call(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let product = db.product(&account).await;
        let (p1, p2, p3) = (db.plan(&account, &product, 0).await, db.plan(&account, &product, 0).await, db.plan(&account, &product, 0).await);
        let theirs = db.plan(&other, &db.product(&other).await, 0).await;
        let asked = [p1.id.clone(), p3.id.clone(), theirs.id.clone(), PlanId::new(db.now(), [7; 10]), p1.id.clone()];
        let found = db.store.plans_by_ids(&account.id, &asked).await.unwrap();
        assert_eq!(found, vec![p3.clone(), p1.clone()], "newest first, each once, only this account's");
        assert!(db.store.plans_by_ids(&account.id, &[]).await.unwrap().is_empty());
        assert_eq!(db.store.plans_by_ids(&other.id, &[p2.id.clone(), theirs.id.clone()]).await.unwrap(), vec![theirs]);

        let customer = db.customer(&account, None).await;
        let (i1, i2) = (db.invoice(&account, &customer).await, db.invoice(&account, &customer).await);
        let g = db.invoice(&other, &db.customer(&other, None).await).await;
        let found = db.store.invoices_by_ids(&account.id, &[i1.id.clone(), g.id.clone(), i2.id.clone()]).await.unwrap();
        assert_eq!(found, vec![i2, i1]);
        assert!(db.store.invoices_by_ids(&account.id, &[]).await.unwrap().is_empty());
    }

    async fn invoice_lists_leave_drafts_out_in_the_query_and_page_both_ways(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("c")).await;
        let mut issued = vec![];
        for i in 0..7 {
            let status = if i % 3 == 1 { InvoiceStatus::Draft } else { InvoiceStatus::Open };
            let inv = db.store.create_invoice(&account.id, new_invoice(&customer, Some(status)), db.now()).await.unwrap();
            if status != InvoiceStatus::Draft {
                issued.push(inv.id);
            }
        }
        issued.reverse();
        assert_eq!(issued.len(), 5);
        let shown = |page| db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("c")), exclude_drafts: true, ..Default::default() }, page);
        // A page of two holds two issued invoices, whatever drafts lie between them.
        let p1 = shown(first(2)).await.unwrap();
        assert_eq!((ids(&p1, |i| &i.id), p1.has_more), (issued[0..2].to_vec(), true));
        let p2 = shown(after(2, &issued[1])).await.unwrap();
        assert_eq!((ids(&p2, |i| &i.id), p2.has_more), (issued[2..4].to_vec(), true));
        let p3 = shown(after(2, &issued[3])).await.unwrap();
        assert_eq!((ids(&p3, |i| &i.id), p3.has_more), (issued[4..5].to_vec(), false));
        // Backwards: the two just newer than an id, newest first; `has_more` says newer ones remain.
        let back = shown(PageRequest::before(2, issued[4].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[2..4].to_vec(), true));
        let back = shown(PageRequest::before(2, issued[2].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[0..2].to_vec(), false));
        let back = shown(PageRequest::before(2, issued[1].clone())).await.unwrap();
        assert_eq!((ids(&back, |i| &i.id), back.has_more), (issued[0..1].to_vec(), false));
        // Without the switch drafts are listed, as the vendor sees them.
        let all = db.store.list_invoices(&account.id, InvoiceFilter { customer: Some(by_alias("c")), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(all.data.len(), 7);
    }

    async fn subscriptions_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let product = db.product(&account).await;
        let trial = db.plan(&account, &product, 14).await;
        let plain = db.plan(&account, &product, 0).await;
        let mut usd = new_plan(&product, 0);
        usd.currency = Currency::USD;
        let usd = db.store.create_plan(&account.id, usd, db.now()).await.unwrap();

        let now = db.now();
        let start = Timestamp::from_millis(BASE - 5 * 86_400_000 + 123);
        let sub = db
            .store
            .create_subscription(
                &account.id,
                NewSubscription { customer: "acme-1".into(), plan: trial.id.clone(), quantity: 3, status: None, current_period_start: Some(start), cancel_at_period_end: true, metadata: meta(&[("seat", "a")]) },
                now,
            )
            .await
            .unwrap();
        assert_eq!((sub.customer.clone(), sub.plan.clone(), sub.quantity), (customer.id.clone(), trial.id.clone(), 3));
        assert_eq!(sub.status, SubscriptionStatus::Trialing);
        assert_eq!(sub.current_period_start, start);
        assert_eq!(sub.trial_end, Some(start.plus_secs(14 * 86_400)));
        assert_eq!(sub.current_period_end, start.plus_secs(14 * 86_400));
        assert!(sub.cancel_at_period_end);
        assert_eq!((sub.canceled_at, sub.cancel_reason.clone()), (None, None));
        assert_eq!(sub.metadata, meta(&[("seat", "a")]));
        assert_eq!((sub.created_at, sub.updated_at), (now, now));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), sub);

        let new_sub = |customer: &str, plan: &PlanId| NewSubscription { customer: customer.into(), plan: plan.clone(), quantity: 1, status: None, current_period_start: None, cancel_at_period_end: false, metadata: Metadata::new() };
        assert_invalid(db.store.create_subscription(&account.id, new_sub("acme-1", &usd.id), db.now()).await, "plan");
        assert_invalid(db.store.create_subscription(&account.id, new_sub("acme-1", &PlanId::new(db.now(), [1; 10])), db.now()).await, "plan");
        let theirs = db.product(&other).await;
        let their_plan = db.plan(&other, &theirs, 0).await;
        assert_invalid(db.store.create_subscription(&account.id, new_sub("acme-1", &their_plan.id), db.now()).await, "plan");
        assert_invalid(db.store.create_subscription(&account.id, new_sub("nobody", &plain.id), db.now()).await, "customer");
        let mut zero = new_sub("acme-1", &plain.id);
        zero.quantity = 0;
        assert_invalid(db.store.create_subscription(&account.id, zero, db.now()).await, "quantity");

        let second = db.store.create_subscription(&account.id, new_sub(customer.id.as_str(), &plain.id), db.now()).await.unwrap();
        assert_eq!(second.status, SubscriptionStatus::Active);
        let bystander = db.customer(&account, None).await;
        let third = db.subscription(&account, &bystander, &plain).await;

        let page = db.store.list_subscriptions(&account.id, SubscriptionFilter::default(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |s| &s.id), page.has_more), (vec![third.id.clone(), second.id.clone()], true));
        let page = db.store.list_subscriptions(&account.id, SubscriptionFilter::default(), after(2, &second.id)).await.unwrap();
        assert_eq!((ids(&page, |s| &s.id), page.has_more), (vec![sub.id.clone()], false));
        let mine = db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: Some(by_alias("acme-1")), status: None }, first(10)).await.unwrap();
        assert_eq!(ids(&mine, |s| &s.id), vec![second.id.clone(), sub.id.clone()]);
        let trialing = db.store.list_subscriptions(&account.id, SubscriptionFilter { customer: None, status: Some(SubscriptionStatus::Trialing) }, first(10)).await.unwrap();
        assert_eq!(ids(&trialing, |s| &s.id), vec![sub.id.clone()]);

        let now = db.now();
        let patch = SubscriptionPatch { plan: Some(plain.id.clone()), quantity: Some(5), status: Some(SubscriptionStatus::PastDue), cancel_at_period_end: Some(false), cancel_reason: Some(Some("thinking".into())), metadata: Some(meta(&[("seat", "b")])) };
        let updated = db.store.update_subscription(&account.id, &sub.id, patch, now).await.unwrap();
        assert_eq!((updated.plan.clone(), updated.quantity, updated.status), (plain.id.clone(), 5, SubscriptionStatus::PastDue));
        assert_eq!((updated.cancel_at_period_end, updated.cancel_reason.as_deref(), updated.updated_at), (false, Some("thinking"), now));
        assert_eq!(updated.metadata, meta(&[("seat", "b")]));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), updated);
        for (patch, field) in [
            (SubscriptionPatch { plan: Some(usd.id.clone()), ..Default::default() }, "plan"),
            (SubscriptionPatch { plan: Some(their_plan.id.clone()), ..Default::default() }, "plan"),
            (SubscriptionPatch { quantity: Some(0), ..Default::default() }, "quantity"),
            (SubscriptionPatch { status: Some(SubscriptionStatus::Canceled), ..Default::default() }, "status"),
        ] {
            assert_invalid(db.store.update_subscription(&account.id, &sub.id, patch, db.now()).await, field);
        }
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), updated);

        let now = db.now();
        let canceled = db.store.cancel_subscription(&account.id, &sub.id, Some("moving on".into()), now).await.unwrap();
        assert_eq!((canceled.status, canceled.canceled_at, canceled.cancel_reason.as_deref()), (SubscriptionStatus::Canceled, Some(now), Some("moving on")));
        assert_eq!(db.store.subscription(&account.id, &sub.id).await.unwrap(), canceled);
        assert_conflict(db.store.cancel_subscription(&account.id, &sub.id, None, db.now()).await);
        assert_conflict(db.store.update_subscription(&account.id, &sub.id, SubscriptionPatch { quantity: Some(2), ..Default::default() }, db.now()).await);
        assert_not_found(db.store.subscription(&account.id, &SubscriptionId::new(db.now(), [1; 10])).await);
        assert_not_found(db.store.cancel_subscription(&account.id, &SubscriptionId::new(db.now(), [1; 10]), None, db.now()).await);
    }

    async fn invoices_are_numbered_per_account_and_round_trip(db: Db) {
        let acme = db.account("acme").await;
        let globex = db.account("globex-eu").await;
        let customer = db.customer(&acme, Some("acme-1")).await;
        let other_customer = db.customer(&acme, None).await;
        let theirs = db.customer(&globex, None).await;
        let product = db.product(&acme).await;
        let plan = db.plan(&acme, &product, 0).await;
        let sub = db.subscription(&acme, &customer, &plan).await;
        let others_sub = db.subscription(&acme, &other_customer, &plan).await;

        let now = db.now();
        let period_start = Timestamp::from_millis(BASE + 1);
        let period_end = Timestamp::from_millis(BASE + 30 * 86_400_000 + 999);
        let issued = Timestamp::from_millis(BASE + 5);
        let due = Timestamp::from_millis(BASE + 14 * 86_400_000 + 5);
        let input = NewInvoice {
            customer: "acme-1".into(),
            subscription: Some(sub.id.clone()),
            currency: None,
            status: Some(InvoiceStatus::Open),
            lines: vec![
                NewInvoiceLine { description: "Pro × 2".into(), quantity: 2, unit_amount: 2900, period_start: Some(period_start), period_end: Some(period_end) },
                line("Discount", 1, -800),
            ],
            tax_rate_bps: 1900,
            issued_at: Some(issued),
            due_at: Some(due),
            paid_at: None,
            metadata: meta(&[("po", "PO-1")]),
        };
        let inv = db.store.create_invoice(&acme.id, input, now).await.unwrap();
        assert_eq!(inv.number, "ACME-0001");
        assert_eq!((inv.customer.clone(), inv.subscription.clone(), inv.status, inv.currency), (customer.id.clone(), Some(sub.id.clone()), InvoiceStatus::Open, Currency::EUR));
        assert_eq!(inv.lines.len(), 2);
        assert_eq!((inv.lines[0].amount, inv.lines[0].period_start, inv.lines[0].period_end), (5800, Some(period_start), Some(period_end)));
        assert_eq!((inv.lines[1].description.as_str(), inv.lines[1].amount, inv.lines[1].period_start), ("Discount", -800, None));
        assert_eq!((inv.subtotal, inv.tax_rate_bps, inv.tax, inv.total, inv.amount_paid, inv.amount_due), (5000, 1900, 950, 5950, 0, 5950));
        assert_eq!((inv.issued_at, inv.due_at, inv.paid_at), (Some(issued), Some(due), None));
        assert_eq!(inv.metadata, meta(&[("po", "PO-1")]));
        assert_eq!((inv.created_at, inv.updated_at), (now, now));
        assert_eq!(db.store.invoice(&acme.id, &inv.id).await.unwrap(), inv);

        // Numbers run per account, and a refused invoice does not use one up.
        let mut empty = new_invoice(&customer, None);
        empty.lines.clear();
        assert_invalid(db.store.create_invoice(&acme.id, empty, db.now()).await, "lines");
        let mut wrong_sub = new_invoice(&customer, None);
        wrong_sub.subscription = Some(others_sub.id.clone());
        assert_invalid(db.store.create_invoice(&acme.id, wrong_sub, db.now()).await, "subscription");
        let mut missing_sub = new_invoice(&customer, None);
        missing_sub.subscription = Some(SubscriptionId::new(db.now(), [1; 10]));
        assert_invalid(db.store.create_invoice(&acme.id, missing_sub, db.now()).await, "subscription");
        let g1 = db.invoice(&globex, &theirs).await;
        assert_eq!(g1.number, "GLOBEX-EU-0001");
        let draft = db.store.create_invoice(&acme.id, new_invoice(&other_customer, Some(InvoiceStatus::Draft)), db.now()).await.unwrap();
        assert_eq!(draft.number, "ACME-0002");
        assert_eq!((draft.issued_at, draft.due_at), (None, None));
        let third = db.invoice(&acme, &customer).await;
        assert_eq!(third.number, "ACME-0003");
        assert_eq!(db.invoice(&globex, &theirs).await.number, "GLOBEX-EU-0002");

        // Lists filter by customer, status and subscription; newest first.
        let page = db.store.list_invoices(&acme.id, InvoiceFilter::default(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |i| &i.id), page.has_more), (vec![third.id.clone(), draft.id.clone()], true));
        let page = db.store.list_invoices(&acme.id, InvoiceFilter::default(), after(2, &draft.id)).await.unwrap();
        assert_eq!((ids(&page, |i| &i.id), page.has_more), (vec![inv.id.clone()], false));
        let mine = db.store.list_invoices(&acme.id, InvoiceFilter { customer: Some(by_alias("acme-1")), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&mine, |i| &i.id), vec![third.id.clone(), inv.id.clone()]);
        let drafts = db.store.list_invoices(&acme.id, InvoiceFilter { status: Some(InvoiceStatus::Draft), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&drafts, |i| &i.id), vec![draft.id.clone()]);
        let of_sub = db.store.list_invoices(&acme.id, InvoiceFilter { subscription: Some(sub.id.clone()), ..Default::default() }, first(10)).await.unwrap();
        assert_eq!(ids(&of_sub, |i| &i.id), vec![inv.id.clone()]);

        // Drafts can be edited and deleted; issued invoices cannot.
        let now = db.now();
        let patch = InvoicePatch { lines: Some(vec![line("Setup", 1, 10_000)]), tax_rate_bps: Some(0), metadata: Some(meta(&[("note", "x")])), ..Default::default() };
        let edited = db.store.update_invoice(&acme.id, &draft.id, patch, now).await.unwrap();
        assert_eq!((edited.subtotal, edited.total, edited.amount_due, edited.updated_at), (10_000, 10_000, 10_000, now));
        assert_eq!(db.store.invoice(&acme.id, &draft.id).await.unwrap(), edited);
        let msg = assert_conflict(db.store.update_invoice(&acme.id, &inv.id, InvoicePatch { tax_rate_bps: Some(0), ..Default::default() }, db.now()).await);
        assert!(msg.contains("ACME-0001"), "{msg}");
        assert_conflict(db.store.delete_invoice(&acme.id, &inv.id).await);
        assert_eq!(db.store.invoice(&acme.id, &inv.id).await.unwrap(), inv);
        assert_eq!(db.store.delete_invoice(&acme.id, &draft.id).await.unwrap(), edited);
        assert_not_found(db.store.invoice(&acme.id, &draft.id).await);
        assert_not_found(db.store.delete_invoice(&acme.id, &draft.id).await);

        let now = db.now();
        let voided = db.store.update_invoice(&acme.id, &third.id, InvoicePatch { status: Some(InvoiceStatus::Void), ..Default::default() }, now).await.unwrap();
        assert_eq!((voided.status, voided.updated_at), (InvoiceStatus::Void, now));
        assert_conflict(db.store.update_invoice(&acme.id, &third.id, InvoicePatch { status: Some(InvoiceStatus::Open), ..Default::default() }, db.now()).await);
        assert_eq!(db.store.invoice(&acme.id, &third.id).await.unwrap(), voided);
        // The deleted draft's number is not handed out again.
        assert_eq!(db.invoice(&acme, &customer).await.number, "ACME-0004");
    }

    async fn payments_pay_their_invoices(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let other = db.customer(&account, None).await;
        let inv = db.invoice(&account, &customer).await;
        let card = db.card(&account, &customer, None).await;
        let other_card = db.card(&account, &other, None).await;

        let now = db.now();
        let t1 = db
            .store
            .create_transaction(
                &account.id,
                NewTransaction { customer: "acme-1".into(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 5000, currency: None, invoice: Some(inv.id.clone()), payment_method: Some(card.id.clone()), description: Some("First part".into()), created_at: None },
                now,
            )
            .await
            .unwrap();
        assert_eq!((t1.customer.clone(), t1.kind, t1.status, t1.amount, t1.currency), (customer.id.clone(), TransactionKind::Payment, TransactionStatus::Succeeded, 5000, Currency::EUR));
        assert_eq!((t1.invoice.clone(), t1.payment_method.clone(), t1.description.as_deref()), (Some(inv.id.clone()), Some(card.id.clone()), Some("First part")));
        assert_eq!((t1.created_at, t1.updated_at), (now, now));
        assert_eq!(db.store.transaction(&account.id, &t1.id).await.unwrap(), t1);
        let paid_down = db.store.invoice(&account.id, &inv.id).await.unwrap();
        assert_eq!((paid_down.status, paid_down.amount_paid, paid_down.amount_due, paid_down.updated_at), (InvoiceStatus::Open, 5000, 950, now));

        // Failed payments and refunds leave the invoice alone; a pending one pays on success.
        let failed_950 = db.payment(&account, &customer, Some(&inv), TransactionStatus::Failed, 950).await.unwrap();
        let refund = db
            .store
            .create_transaction(&account.id, NewTransaction { customer: "acme-1".into(), kind: TransactionKind::Refund, status: TransactionStatus::Succeeded, amount: 100, currency: None, invoice: Some(inv.id.clone()), payment_method: None, description: None, created_at: None }, db.now())
            .await
            .unwrap();
        let pending = db.payment(&account, &customer, Some(&inv), TransactionStatus::Pending, 950).await.unwrap();
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid_down);
        let now = db.now();
        let settled = db.store.update_transaction(&account.id, &pending.id, TransactionPatch { status: Some(TransactionStatus::Succeeded), description: Some(Some("settled".into())) }, now).await.unwrap();
        assert_eq!((settled.status, settled.description.as_deref(), settled.updated_at), (TransactionStatus::Succeeded, Some("settled"), now));
        assert_eq!(db.store.transaction(&account.id, &pending.id).await.unwrap(), settled);
        let paid = db.store.invoice(&account.id, &inv.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_paid, paid.amount_due, paid.paid_at), (InvoiceStatus::Paid, 5950, 0, Some(now)));
        // Editing a succeeded payment's description does not pay the invoice twice.
        db.store.update_transaction(&account.id, &settled.id, TransactionPatch { description: Some(None), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid);
        assert_conflict(db.store.update_transaction(&account.id, &settled.id, TransactionPatch { status: Some(TransactionStatus::Failed), ..Default::default() }, db.now()).await);

        // A paid invoice takes no more payments, and nothing is recorded.
        let before = db.store.list_transactions(&account.id, TransactionFilter::default(), first(100)).await.unwrap();
        assert_conflict(db.payment(&account, &customer, Some(&inv), TransactionStatus::Succeeded, 1).await);
        let after_refusal = db.store.list_transactions(&account.id, TransactionFilter::default(), first(100)).await.unwrap();
        assert_eq!(before, after_refusal);
        assert_eq!(db.store.invoice(&account.id, &inv.id).await.unwrap(), paid);

        // References must be the same customer's; the currency must be the invoice's.
        let others_invoice = db.invoice(&account, &other).await;
        assert_invalid(db.payment(&account, &customer, Some(&others_invoice), TransactionStatus::Succeeded, 1).await, "invoice");
        let mut missing = others_invoice.clone();
        missing.id = InvoiceId::new(db.now(), [4; 10]);
        assert_invalid(db.payment(&account, &customer, Some(&missing), TransactionStatus::Succeeded, 1).await, "invoice");
        let with_card = |pm: &PaymentMethod| NewTransaction { customer: customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(pm.id.clone()), description: None, created_at: None };
        assert_invalid(db.store.create_transaction(&account.id, with_card(&other_card), db.now()).await, "payment_method");
        let usd = NewTransaction { currency: Some(Currency::USD), invoice: Some(others_invoice.id.clone()), customer: other.id.to_string(), ..with_card(&other_card) };
        assert_invalid(db.store.create_transaction(&account.id, usd, db.now()).await, "currency");
        assert_invalid(db.payment(&account, &customer, None, TransactionStatus::Succeeded, 0).await, "amount");
        assert_eq!(db.store.invoice(&account.id, &others_invoice.id).await.unwrap(), others_invoice);

        // Imported history keeps its time.
        let long_ago = Timestamp::from_millis(BASE - 86_400_000 + 42);
        let imported = db.store.create_transaction(&account.id, NewTransaction { created_at: Some(long_ago), ..with_card(&card) }, db.now()).await.unwrap();
        assert_eq!(db.store.transaction(&account.id, &imported.id).await.unwrap().created_at, long_ago);

        // Lists: newest first, by customer and by invoice.
        let on_invoice = db.store.list_transactions(&account.id, TransactionFilter { customer: None, invoice: Some(inv.id.clone()) }, first(10)).await.unwrap();
        assert_eq!(on_invoice.data.len(), 4);
        assert_eq!(on_invoice.data[0].id, pending.id);
        assert_eq!(on_invoice.data[3].id, t1.id);
        let p = db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_alias("acme-1")), invoice: None }, first(2)).await.unwrap();
        assert_eq!((ids(&p, |t| &t.id), p.has_more), (vec![imported.id.clone(), pending.id.clone()], true));
        let p = db.store.list_transactions(&account.id, TransactionFilter { customer: Some(by_alias("acme-1")), invoice: None }, after(3, &pending.id)).await.unwrap();
        assert_eq!((ids(&p, |t| &t.id), p.has_more), (vec![refund.id.clone(), failed_950.id.clone(), t1.id.clone()], false));

        // Only pending or failed transactions may be deleted.
        assert_conflict(db.store.delete_transaction(&account.id, &t1.id).await);
        let failed = db.payment(&account, &customer, None, TransactionStatus::Failed, 10).await.unwrap();
        let still_pending = db.payment(&account, &customer, None, TransactionStatus::Pending, 10).await.unwrap();
        assert_eq!(db.store.delete_transaction(&account.id, &failed.id).await.unwrap(), failed);
        assert_eq!(db.store.delete_transaction(&account.id, &still_pending.id).await.unwrap(), still_pending);
        assert_not_found(db.store.transaction(&account.id, &failed.id).await);
        assert_not_found(db.store.delete_transaction(&account.id, &failed.id).await);
        assert_not_found(db.store.update_transaction(&account.id, &failed.id, TransactionPatch::default(), db.now()).await);
        assert_eq!(db.store.transaction(&account.id, &t1.id).await.unwrap(), t1);
    }

    async fn default_payment_methods_switch(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("acme-1")).await;
        let neighbour = db.customer(&account, None).await;
        let theirs = db.card(&account, &neighbour, None).await;
        assert!(theirs.is_default, "a customer's first payment method is its default");

        let first_card = db.card(&account, &customer, None).await;
        assert!(first_card.is_default);
        let now = db.now();
        let sepa = db
            .store
            .create_payment_method(&account.id, NewPaymentMethod { customer: "acme-1".into(), kind: PaymentMethodKind::SepaDebit, brand: Some("Sparkasse".into()), last4: "3000".into(), exp_month: None, exp_year: None, is_default: None, provider_ref: Some("src_123".into()) }, now)
            .await
            .unwrap();
        assert_eq!((sepa.customer.clone(), sepa.kind, sepa.brand.as_deref(), sepa.last4.as_str()), (customer.id.clone(), PaymentMethodKind::SepaDebit, Some("Sparkasse"), "3000"));
        assert_eq!((sepa.exp_month, sepa.exp_year, sepa.is_default, sepa.provider_ref.as_deref()), (None, None, false, Some("src_123")));
        assert_eq!((sepa.created_at, sepa.updated_at), (now, now));
        assert_eq!(db.store.payment_method(&account.id, &sepa.id).await.unwrap(), sepa);
        assert!(db.store.payment_method(&account.id, &first_card.id).await.unwrap().is_default);

        // A new default takes the flag from the old one, in the same transaction.
        let now = db.now();
        let amex = db.store.create_payment_method(&account.id, NewPaymentMethod { brand: Some("amex".into()), last4: "0005".into(), ..new_card(&customer, Some(true)) }, now).await.unwrap();
        assert!(amex.is_default);
        let old = db.store.payment_method(&account.id, &first_card.id).await.unwrap();
        assert_eq!((old.is_default, old.updated_at), (false, now));
        let defaults = |list: &List<PaymentMethod>| list.data.iter().filter(|p| p.is_default).map(|p| p.id.clone()).collect::<Vec<_>>();
        let mine = db.store.list_payment_methods(&account.id, Some(&by_alias("acme-1")), first(10)).await.unwrap();
        assert_eq!(ids(&mine, |p| &p.id), vec![amex.id.clone(), sepa.id.clone(), first_card.id.clone()]);
        assert_eq!(defaults(&mine), vec![amex.id.clone()]);

        let now = db.now();
        let sepa = db.store.update_payment_method(&account.id, &sepa.id, PaymentMethodPatch { is_default: Some(true), provider_ref: Some(None), ..Default::default() }, now).await.unwrap();
        assert_eq!((sepa.is_default, sepa.provider_ref.clone(), sepa.updated_at), (true, None, now));
        assert_eq!(db.store.payment_method(&account.id, &sepa.id).await.unwrap(), sepa);
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(10)).await.unwrap();
        assert_eq!(defaults(&mine), vec![sepa.id.clone()]);
        assert!(db.store.payment_method(&account.id, &theirs.id).await.unwrap().is_default, "another customer's default is untouched");

        assert_invalid(db.store.update_payment_method(&account.id, &sepa.id, PaymentMethodPatch { is_default: Some(false), ..Default::default() }, db.now()).await, "is_default");
        assert_invalid(db.store.update_payment_method(&account.id, &sepa.id, PaymentMethodPatch { exp_month: Some(1), ..Default::default() }, db.now()).await, "exp_month");
        let amex = db.store.update_payment_method(&account.id, &amex.id, PaymentMethodPatch { exp_month: Some(3), exp_year: Some(2031), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!((amex.exp_month, amex.exp_year, amex.is_default), (Some(3), Some(2031), false));
        assert_eq!(db.store.payment_method(&account.id, &amex.id).await.unwrap(), amex);
        assert_invalid(db.store.create_payment_method(&account.id, NewPaymentMethod { last4: "42".into(), ..new_card(&customer, None) }, db.now()).await, "last4");

        // Removing one hides it; the rest keep their flags.
        assert_eq!(db.store.delete_payment_method(&account.id, &first_card.id, db.now()).await.unwrap(), old);
        assert_not_found(db.store.payment_method(&account.id, &first_card.id).await);
        assert_not_found(db.store.delete_payment_method(&account.id, &first_card.id, db.now()).await);
        assert_not_found(db.store.update_payment_method(&account.id, &first_card.id, PaymentMethodPatch::default(), db.now()).await);
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), first(1)).await.unwrap();
        assert_eq!((ids(&mine, |p| &p.id), mine.has_more), (vec![amex.id.clone()], true));
        let mine = db.store.list_payment_methods(&account.id, Some(&by_id(&customer)), after(1, &amex.id)).await.unwrap();
        assert_eq!((ids(&mine, |p| &p.id), mine.has_more), (vec![sepa.id.clone()], false));
        let all = db.store.list_payment_methods(&account.id, None, first(10)).await.unwrap();
        assert_eq!(all.data.len(), 3);
        // A removed method cannot pay any more.
        let txn = NewTransaction { customer: customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(first_card.id.clone()), description: None, created_at: None };
        assert_invalid(db.store.create_transaction(&account.id, txn, db.now()).await, "payment_method");
    }

    async fn idempotency_keys_go_through_their_states(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let fp = [7u8; 32];
        let other_fp = [8u8; 32];
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::InProgress);
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Mismatch);
        // Keys belong to an account: the same key elsewhere is a new one.
        assert_eq!(db.store.idempotency_begin(&b.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Started);

        let body = br#"{"id":"cus_1","name":"\u00e9"}"#.to_vec();
        db.store.idempotency_finish(&a.id, "k1", 201, &body).await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 201, body: body.clone() });
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Mismatch);
        // A finished answer is kept even if someone tries to abandon it.
        db.store.idempotency_abandon(&a.id, "k1").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k1", &fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 201, body });
        assert_eq!(db.store.idempotency_begin(&b.id, "k1", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::InProgress);

        // An abandoned claim lets the retry run; a body may be empty.
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        db.store.idempotency_abandon(&a.id, "k2").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Started);
        db.store.idempotency_finish(&a.id, "k2", 204, b"").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 204, body: vec![] });
        // Another account cannot finish or abandon this account's claims.
        assert_not_found(db.store.idempotency_finish(&b.id, "k2", 500, b"x").await);
        db.store.idempotency_abandon(&b.id, "k2").await.unwrap();
        assert_eq!(db.store.idempotency_begin(&a.id, "k2", &other_fp, db.now()).await.unwrap(), IdempotencyBegin::Replay { status: 204, body: vec![] });
        assert_not_found(db.store.idempotency_finish(&a.id, "never-begun", 200, b"{}").await);
    }

    async fn another_account_sees_and_changes_nothing(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, Some("shared-alias")).await;
        let contact = db
            .store
            .create_contact(&a.id, NewContact { customer: customer.id.to_string(), external_id: Some("ext-1".into()), email: "ana@acme.example".into(), name: None, portal_access: true, role: Role::Owner }, db.now())
            .await
            .unwrap();
        let product = db.product(&a).await;
        let plan = db.plan(&a, &product, 0).await;
        let sub = db.subscription(&a, &customer, &plan).await;
        let draft = db.store.create_invoice(&a.id, new_invoice(&customer, Some(InvoiceStatus::Draft)), db.now()).await.unwrap();
        let inv = db.invoice(&a, &customer).await;
        let pm = db.card(&a, &customer, None).await;
        let txn = db.payment(&a, &customer, Some(&inv), TransactionStatus::Pending, 100).await.unwrap();
        let key = db.store.create_api_key(&a.id, "A's key", ApiScopes::all(), [1; 32], None, db.now()).await.unwrap();

        // B's own records, to aim A's references from.
        let b_customer = db.customer(&b, None).await;
        let b_product = db.product(&b).await;
        let b_plan = db.plan(&b, &b_product, 0).await;
        let b_sub = db.subscription(&b, &b_customer, &b_plan).await;

        let bid = &b.id;
        let now = db.now();
        // Reads by id, alias or external id.
        assert_not_found(db.store.customer(bid, &by_id(&customer)).await);
        assert_not_found(db.store.customer(bid, &by_alias("shared-alias")).await);
        assert_not_found(db.store.contact(bid, &ContactRef::Id(contact.id.clone())).await);
        assert_not_found(db.store.contact(bid, &ContactRef::ExternalId("ext-1".into())).await);
        assert_not_found(db.store.product(bid, &product.id).await);
        assert_not_found(db.store.plan(bid, &plan.id).await);
        assert_not_found(db.store.subscription(bid, &sub.id).await);
        assert_not_found(db.store.invoice(bid, &inv.id).await);
        assert_not_found(db.store.transaction(bid, &txn.id).await);
        assert_not_found(db.store.payment_method(bid, &pm.id).await);
        // Writes.
        assert_not_found(db.store.update_customer(bid, &by_id(&customer), CustomerPatch { name: Some("Hijacked".into()), ..Default::default() }, now).await);
        assert_not_found(db.store.update_customer(bid, &by_alias("shared-alias"), CustomerPatch { name: Some("Hijacked".into()), ..Default::default() }, now).await);
        assert_not_found(db.store.update_contact(bid, &ContactRef::ExternalId("ext-1".into()), ContactPatch { role: Some(Role::Viewer), ..Default::default() }, now).await);
        assert_not_found(db.store.update_product(bid, &product.id, ProductPatch { active: Some(false), ..Default::default() }, now).await);
        assert_not_found(db.store.update_plan(bid, &plan.id, PlanPatch { active: Some(false), ..Default::default() }, now).await);
        assert_not_found(db.store.update_subscription(bid, &sub.id, SubscriptionPatch { quantity: Some(9), ..Default::default() }, now).await);
        assert_not_found(db.store.cancel_subscription(bid, &sub.id, None, now).await);
        assert_not_found(db.store.update_invoice(bid, &inv.id, InvoicePatch { status: Some(InvoiceStatus::Void), ..Default::default() }, now).await);
        assert_not_found(db.store.update_transaction(bid, &txn.id, TransactionPatch { status: Some(TransactionStatus::Succeeded), ..Default::default() }, now).await);
        assert_not_found(db.store.update_payment_method(bid, &pm.id, PaymentMethodPatch { exp_month: Some(1), ..Default::default() }, now).await);
        assert_not_found(db.store.revoke_api_key(bid, &key.id, now).await);
        assert_not_found(db.store.delete_transaction(bid, &txn.id).await);
        assert_not_found(db.store.delete_invoice(bid, &draft.id).await);
        assert_not_found(db.store.delete_payment_method(bid, &pm.id, now).await);
        assert_not_found(db.store.delete_contact(bid, &ContactRef::Id(contact.id.clone()), now).await);
        assert_not_found(db.store.delete_customer(bid, &by_alias("shared-alias"), now).await);
        assert_not_found(db.store.delete_customer(bid, &by_id(&customer), now).await);
        // Deleting the plan/product "would work" if B could see them, as nothing of B uses them.
        let lonely_plan = db.plan(&a, &product, 0).await;
        assert_not_found(db.store.delete_plan(bid, &lonely_plan.id).await);
        let lonely_product = db.product(&a).await;
        assert_not_found(db.store.delete_product(bid, &lonely_product.id).await);

        // Lists.
        assert_eq!(ids(&db.store.list_customers(bid, None, first(100)).await.unwrap(), |c| &c.id), vec![b_customer.id.clone()]);
        assert!(db.store.list_customers(bid, Some("billing@acme.example"), first(100)).await.unwrap().data.iter().all(|c| c.id == b_customer.id));
        assert!(db.store.list_contacts(bid, None, first(100)).await.unwrap().data.is_empty());
        assert_eq!(ids(&db.store.list_products(bid, first(100)).await.unwrap(), |p| &p.id), vec![b_product.id.clone()]);
        assert_eq!(ids(&db.store.list_plans(bid, None, first(100)).await.unwrap(), |p| &p.id), vec![b_plan.id.clone()]);
        assert!(db.store.list_plans(bid, Some(&product.id), first(100)).await.unwrap().data.is_empty());
        assert_eq!(ids(&db.store.list_subscriptions(bid, SubscriptionFilter::default(), first(100)).await.unwrap(), |s| &s.id), vec![b_sub.id.clone()]);
        assert!(db.store.list_invoices(bid, InvoiceFilter::default(), first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_invoices(bid, InvoiceFilter { subscription: Some(sub.id.clone()), ..Default::default() }, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_transactions(bid, TransactionFilter::default(), first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_transactions(bid, TransactionFilter { invoice: Some(inv.id.clone()), ..Default::default() }, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_payment_methods(bid, None, first(100)).await.unwrap().data.is_empty());
        assert!(db.store.list_api_keys(bid, first(100)).await.unwrap().data.is_empty());
        // A's cursor in B's list pages through B's rows only.
        assert!(db.store.list_customers(bid, None, after(100, &CustomerId::new(Timestamp::from_millis(i64::MAX >> 20), [255; 10]))).await.unwrap().data.iter().all(|c| c.id == b_customer.id));
        assert_not_found(db.store.list_contacts(bid, Some(&by_id(&customer)), first(10)).await);
        assert_not_found(db.store.list_subscriptions(bid, SubscriptionFilter { customer: Some(by_alias("shared-alias")), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_invoices(bid, InvoiceFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_transactions(bid, TransactionFilter { customer: Some(by_id(&customer)), ..Default::default() }, first(10)).await);
        assert_not_found(db.store.list_payment_methods(bid, Some(&by_alias("shared-alias")), first(10)).await);

        // References in B's request bodies to A's records.
        for reference in [customer.id.to_string(), "shared-alias".to_owned()] {
            let c = NewContact { customer: reference.clone(), external_id: None, email: "x@globex.example".into(), name: None, portal_access: true, role: Role::Owner };
            assert_invalid(db.store.create_contact(bid, c, now).await, "customer");
            let s = NewSubscription { customer: reference.clone(), plan: b_plan.id.clone(), quantity: 1, status: None, current_period_start: None, cancel_at_period_end: false, metadata: Metadata::new() };
            assert_invalid(db.store.create_subscription(bid, s, now).await, "customer");
            let mut i = new_invoice(&customer, None);
            i.customer = reference.clone();
            assert_invalid(db.store.create_invoice(bid, i, now).await, "customer");
            let mut p = new_card(&customer, None);
            p.customer = reference;
            assert_invalid(db.store.create_payment_method(bid, p, now).await, "customer");
        }
        assert_invalid(db.store.create_plan(bid, new_plan(&product, 0), now).await, "product");
        let s = NewSubscription { customer: b_customer.id.to_string(), plan: plan.id.clone(), quantity: 1, status: None, current_period_start: None, cancel_at_period_end: false, metadata: Metadata::new() };
        assert_invalid(db.store.create_subscription(bid, s, now).await, "plan");
        assert_invalid(db.store.update_subscription(bid, &b_sub.id, SubscriptionPatch { plan: Some(plan.id.clone()), ..Default::default() }, now).await, "plan");
        let mut i = new_invoice(&b_customer, None);
        i.subscription = Some(sub.id.clone());
        assert_invalid(db.store.create_invoice(bid, i, now).await, "subscription");
        assert_invalid(db.payment(&b, &b_customer, Some(&inv), TransactionStatus::Succeeded, 1).await, "invoice");
        let t = NewTransaction { customer: b_customer.id.to_string(), kind: TransactionKind::Payment, status: TransactionStatus::Succeeded, amount: 1, currency: None, invoice: None, payment_method: Some(pm.id.clone()), description: None, created_at: None };
        assert_invalid(db.store.create_transaction(bid, t, now).await, "payment_method");

        // And A's records are exactly as they were.
        let aid = &a.id;
        assert_eq!(db.store.customer(aid, &by_alias("shared-alias")).await.unwrap(), customer);
        assert_eq!(db.store.contact(aid, &ContactRef::Id(contact.id.clone())).await.unwrap(), contact);
        assert_eq!(db.store.product(aid, &product.id).await.unwrap(), product);
        assert_eq!(db.store.plan(aid, &plan.id).await.unwrap(), plan);
        assert_eq!(db.store.plan(aid, &lonely_plan.id).await.unwrap(), lonely_plan);
        assert_eq!(db.store.product(aid, &lonely_product.id).await.unwrap(), lonely_product);
        assert_eq!(db.store.subscription(aid, &sub.id).await.unwrap(), sub);
        assert_eq!(db.store.invoice(aid, &inv.id).await.unwrap(), inv);
        assert_eq!(db.store.invoice(aid, &draft.id).await.unwrap(), draft);
        assert_eq!(db.store.transaction(aid, &txn.id).await.unwrap(), txn);
        assert_eq!(db.store.payment_method(aid, &pm.id).await.unwrap(), pm);
        assert_eq!(db.store.api_key_credential(&key.id).await.unwrap().key, key);
        assert_eq!(db.store.list_customers(aid, None, first(100)).await.unwrap().data, vec![customer]);
        // B's invoice numbers did not move A's sequence.
        assert_eq!(db.invoice(&b, &b_customer).await.number, "GLOBEX-0001");
    }

    async fn concurrent_customer_updates_lose_nothing(db: Db) {
        let account = db.account("acme").await;
        let customer = db.customer(&account, Some("busy")).await;
        let mut tasks = vec![];
        for i in 0..50 {
            let store = db.store.clone();
            let account = account.id.clone();
            let now = db.now();
            // Half the writers change the name, half the metadata: a read-modify-write that
            // loses an update writes back a stale name or stale metadata.
            let renames = i % 2 == 0;
            let patch = if renames {
                CustomerPatch { name: Some(format!("Name {i}")), ..Default::default() }
            } else {
                CustomerPatch { metadata: Some(meta(&[("writer", &i.to_string())])), ..Default::default() }
            };
            tasks.push(tokio::spawn(async move {
                let c = store.update_customer(&account, &by_alias("busy"), patch, now).await;
                (renames, c)
            }));
        }
        let mut writes = vec![];
        for task in tasks {
            let (renames, c) = task.await.unwrap();
            let c = c.unwrap();
            writes.push(Write { renames, name: c.name, writer: c.metadata.get("writer").cloned() });
        }
        let last = db.store.customer(&account.id, &by_id(&customer)).await.unwrap();
        let end = (last.name, last.metadata.get("writer").cloned());
        assert!(
            serial_order_exists(&writes, &customer.name, &end),
            "no serial order of the updates explains what they returned and left: {writes:?}, final {end:?}"
        );
    }

    async fn concurrent_invoices_get_consecutive_numbers(db: Db) {
        let account = db.account("acme").await;
        let customers = [db.customer(&account, None).await, db.customer(&account, None).await];
        let mut tasks = vec![];
        for i in 0..20 {
            let store = db.store.clone();
            let account = account.id.clone();
            let input = new_invoice(&customers[i % 2], None);
            let now = db.now();
            tasks.push(tokio::spawn(async move { store.create_invoice(&account, input, now).await }));
        }
        let mut numbers = vec![];
        for task in tasks {
            numbers.push(task.await.unwrap().unwrap().number);
        }
        numbers.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("ACME-{n:04}")).collect();
        assert_eq!(numbers, expected);
        let listed = db.store.list_invoices(&account.id, InvoiceFilter::default(), first(100)).await.unwrap();
        assert_eq!(listed.data.len(), 20);
    }

    async fn signing_keys_round_trip_rotate_and_revoke(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let first_key = signing_key_for(&a, db.now(), 1);
        let theirs = signing_key_for(&b, db.now(), 2);
        let second_key = signing_key_for(&a, db.now(), 3);
        for key in [&first_key, &theirs, &second_key] {
            db.store.create_signing_key(key).await.unwrap();
        }
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap(), vec![second_key.clone(), first_key.clone()]);
        assert_eq!(db.store.signing_keys(&b.id).await.unwrap(), vec![theirs.clone()]);
        // The kid names the key and the key its account: the lookup is unscoped.
        assert_eq!(db.store.signing_key(&first_key.id).await.unwrap(), first_key);
        assert_eq!(db.store.signing_key(&theirs.id).await.unwrap().account, b.id);
        assert_not_found(db.store.signing_key(&SigningKeyId::new(db.now(), [9; 10])).await);
        let published: BTreeSet<String> = db.store.published_signing_keys().await.unwrap().iter().map(|k| k.id.to_string()).collect();
        assert_eq!(published, [&first_key, &theirs, &second_key].iter().map(|k| k.id.to_string()).collect());

        let msg = assert_conflict(db.store.create_signing_key(&first_key).await);
        assert!(msg.contains("already exists"), "{msg}");
        let orphan = SigningKeyRecord { account: AccountId::new(db.now(), [9; 10]), ..signing_key_for(&a, db.now(), 4) };
        assert_not_found(db.store.create_signing_key(&orphan).await);

        // Another account neither retires (with its own key as "current") nor revokes A's keys.
        assert_not_found(db.store.retire_signing_keys(&b.id, &first_key.id, db.now()).await);
        assert_not_found(db.store.retire_signing_keys(&a.id, &theirs.id, db.now()).await);
        assert_not_found(db.store.revoke_signing_key(&b.id, &first_key.id, db.now()).await);
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap(), vec![second_key.clone(), first_key.clone()]);

        // Rotation: the older key retires, the current one and other accounts' keys do not.
        let retired_at = db.now();
        db.store.retire_signing_keys(&a.id, &second_key.id, retired_at).await.unwrap();
        db.store.retire_signing_keys(&a.id, &second_key.id, db.now()).await.unwrap();
        let keys = db.store.signing_keys(&a.id).await.unwrap();
        assert_eq!((keys[0].id.clone(), keys[0].retired_at), (second_key.id.clone(), None));
        assert_eq!((keys[1].id.clone(), keys[1].retired_at), (first_key.id.clone(), Some(retired_at)), "the first retirement time stays");
        assert_eq!(db.store.signing_key(&theirs.id).await.unwrap().retired_at, None);
        // A retired key is still published until it is revoked.
        assert_eq!(db.store.published_signing_keys().await.unwrap().len(), 3);

        let revoked_at = db.now();
        db.store.revoke_signing_key(&a.id, &first_key.id, revoked_at).await.unwrap();
        db.store.revoke_signing_key(&a.id, &first_key.id, db.now()).await.unwrap();
        let revoked = db.store.signing_key(&first_key.id).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert_eq!(db.store.signing_keys(&a.id).await.unwrap().len(), 2, "revoked keys are still listed");
        let published: BTreeSet<String> = db.store.published_signing_keys().await.unwrap().iter().map(|k| k.id.to_string()).collect();
        assert_eq!(published, [&theirs, &second_key].iter().map(|k| k.id.to_string()).collect());
    }

    async fn portal_sessions_round_trip(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, Some("cust-1")).await;
        let contact = db.contact(&a, &customer, Role::Billing).await;
        let now = db.now();
        let session = PortalSession {
            scopes: PortalScopes::parse("scopes", "invoices:read payment_methods:write").unwrap(),
            return_url: Some("https://app.acme.example/billing?x=1".into()),
            locale: Some("de".into()),
            page: PortalPage::PaymentMethod,
            issued_by: "cli_0123".into(),
            ..portal_session_for(&customer, Some(&contact), now, 600)
        };
        db.store.create_portal_session(&a.id, &session, false).await.unwrap();
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), session);
        let msg = assert_conflict(db.store.create_portal_session(&a.id, &session, false).await);
        assert!(msg.contains("already exists"), "{msg}");
        let bare = db.portal_session(&a, &customer, None, false).await;
        assert_eq!(db.store.portal_session(&a.id, &bare.id).await.unwrap(), bare);
        assert_not_found(db.store.portal_session(&a.id, &PortalSessionId::new(db.now(), [9; 10])).await);

        // What the session names must exist in the account and fit together.
        let other_customer = db.customer(&a, None).await;
        let theirs = db.contact(&a, &other_customer, Role::Owner).await;
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&customer, Some(&theirs), db.now(), 600), false).await, "contact");
        let gone = db.customer(&a, None).await;
        db.store.delete_customer(&a.id, &by_id(&gone), db.now()).await.unwrap();
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&gone, None, db.now(), 600), false).await, "customer");
        let deleted_contact = db.contact(&a, &customer, Role::Owner).await;
        db.store.delete_contact(&a.id, &ContactRef::Id(deleted_contact.id.clone()), db.now()).await.unwrap();
        assert_invalid(db.store.create_portal_session(&a.id, &portal_session_for(&customer, Some(&deleted_contact), db.now(), 600), false).await, "contact");

        // Lists: newest first, by customer or contact, in pages.
        let third = db.portal_session(&a, &customer, Some(&contact), false).await;
        let elsewhere = db.portal_session(&a, &other_customer, None, false).await;
        let all = db.store.list_portal_sessions(&a.id, PortalSessionFilter::default(), first(10)).await.unwrap();
        assert_eq!(ids(&all, |p| &p.id), vec![elsewhere.id.clone(), third.id.clone(), bare.id.clone(), session.id.clone()]);
        assert_eq!(all.data[3], session);
        let mine = PortalSessionFilter { customer: Some(customer.id.clone()), contact: None };
        let page = db.store.list_portal_sessions(&a.id, mine.clone(), first(2)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![third.id.clone(), bare.id.clone()], true));
        let page = db.store.list_portal_sessions(&a.id, mine, after(2, &bare.id)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![session.id.clone()], false));
        let by_contact = PortalSessionFilter { customer: None, contact: Some(contact.id.clone()) };
        let page = db.store.list_portal_sessions(&a.id, by_contact, first(10)).await.unwrap();
        assert_eq!(ids(&page, |p| &p.id), vec![third.id.clone(), session.id.clone()]);

        // Revoking is idempotent and keeps the first time.
        let revoked_at = db.now();
        let revoked = db.store.revoke_portal_session(&a.id, &session.id, revoked_at).await.unwrap();
        assert_eq!(revoked, PortalSession { revoked_at: Some(revoked_at), ..session.clone() });
        assert!(!revoked.is_live(revoked_at));
        let again = db.store.revoke_portal_session(&a.id, &session.id, db.now()).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), revoked);
        assert_not_found(db.store.revoke_portal_session(&a.id, &PortalSessionId::new(db.now(), [9; 10]), db.now()).await);
    }

    async fn another_account_cannot_see_or_end_portal_sessions(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let b_customer = db.customer(&b, None).await;
        let b_session = db.portal_session(&b, &b_customer, None, false).await;
        let bid = &b.id;
        let now = db.now();
        assert_not_found(db.store.portal_session(bid, &session.id).await);
        assert_not_found(db.store.revoke_portal_session(bid, &session.id, now).await);
        assert_not_found(db.store.revoke_customer_portal_sessions(bid, &customer.id, now).await);
        let listed = db.store.list_portal_sessions(bid, PortalSessionFilter::default(), first(100)).await.unwrap();
        assert_eq!(ids(&listed, |p| &p.id), vec![b_session.id.clone()]);
        let listed = db.store.list_portal_sessions(bid, PortalSessionFilter { customer: Some(customer.id.clone()), contact: None }, first(100)).await.unwrap();
        assert!(listed.data.is_empty());
        // B cannot hang its own tokens, sessions or customers onto A's records.
        assert_not_found(db.store.create_redirect_token(bid, &session.id, &sha256("b's token"), now.plus_secs(30)).await);
        let stolen = NewBrowserSession { account: b.id.clone(), portal_session: session.id.clone(), cookie_sha256: sha256("b's cookie"), csrf_secret: [1; 32], now };
        assert_not_found(db.store.create_browser_session(&stolen).await);
        assert_invalid(db.store.create_portal_session(bid, &portal_session_for(&customer, None, now, 600), true).await, "customer");
        // And A's session is exactly as it was.
        assert_eq!(db.store.portal_session(&a.id, &session.id).await.unwrap(), session);
        assert_eq!(db.store.list_portal_sessions(&a.id, PortalSessionFilter::default(), first(100)).await.unwrap().data, vec![session]);
    }

    async fn invalidate_existing_revokes_only_the_customers_other_live_sessions(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let neighbour = db.customer(&a, None).await;
        let live = db.portal_session(&a, &customer, None, false).await;
        let expired = portal_session_for(&customer, None, db.now(), 1);
        db.store.create_portal_session(&a.id, &expired, false).await.unwrap();
        let earlier_revocation = db.now();
        let revoked = db.portal_session(&a, &customer, None, false).await;
        db.store.revoke_portal_session(&a.id, &revoked.id, earlier_revocation).await.unwrap();
        let neighbours = db.portal_session(&a, &neighbour, None, false).await;
        // Without the flag nothing else changes.
        let kept = db.portal_session(&a, &customer, None, false).await;
        assert_eq!(db.store.portal_session(&a.id, &live.id).await.unwrap().revoked_at, None);

        let fresh = db.portal_session(&a, &customer, None, true).await;
        let get = |id: PortalSessionId| {
            let store = db.store.clone();
            let account = a.id.clone();
            async move { store.portal_session(&account, &id).await.unwrap().revoked_at }
        };
        assert_eq!(get(live.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(kept.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(fresh.id.clone()).await, None, "the new session stays live");
        assert_eq!(get(expired.id.clone()).await, None, "an expired session is left as it was");
        assert_eq!(get(revoked.id.clone()).await, Some(earlier_revocation), "an earlier revocation keeps its time");
        assert_eq!(get(neighbours.id.clone()).await, None, "another customer's session is untouched");

        // The vendor's "revoke all" ends only what is live, and says how many.
        let second = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        assert_eq!(db.store.revoke_customer_portal_sessions(&a.id, &customer.id, now).await.unwrap(), 2);
        assert_eq!(get(second.id.clone()).await, Some(now));
        assert_eq!(get(fresh.id.clone()).await, Some(now));
        assert_eq!(get(live.id.clone()).await, Some(fresh.issued_at));
        assert_eq!(get(neighbours.id.clone()).await, None);
        assert_eq!(db.store.revoke_customer_portal_sessions(&a.id, &customer.id, db.now()).await.unwrap(), 0);
        assert_not_found(db.store.revoke_customer_portal_sessions(&a.id, &CustomerId::new(db.now(), [9; 10]), db.now()).await);
    }

    async fn concurrent_sessions_that_invalidate_the_others_leave_one_live(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let mut tasks = vec![];
        for _ in 0..20 {
            let store = db.store.clone();
            let account = a.id.clone();
            let session = portal_session_for(&customer, None, db.now(), 3600);
            tasks.push(tokio::spawn(async move { store.create_portal_session(&account, &session, true).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let filter = PortalSessionFilter { customer: Some(customer.id.clone()), contact: None };
        let all = db.store.list_portal_sessions(&a.id, filter, first(100)).await.unwrap();
        assert_eq!(all.data.len(), 20);
        let live: Vec<_> = all.data.iter().filter(|s| s.revoked_at.is_none()).collect();
        assert_eq!(live.len(), 1, "each creation revokes the ones before it: {live:?}");
    }

    async fn vendor_ids_of_the_form_of_a_portico_id_are_reported_in_every_account(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("bravo").await;
        // Underscores alone are fine.
        let plain = db.customer(&a, Some("north_branch")).await;
        let aliased = db.customer(&a, Some("to-be-confused")).await;
        let other = db.customer(&b, None).await;
        let contact = db.contact(&b, &other, Role::Owner).await;
        db.contact(&a, &plain, Role::Owner).await;
        // Written behind the store's back, as rows stored before the rule.
        let mut raw = db.raw().await;
        set(&mut raw, "UPDATE customers SET alias = $1 WHERE id = $2", &contact.id.to_string(), &aliased.id.to_string()).await;
        set(&mut raw, "UPDATE contacts SET external_id = $1 WHERE id = $2", &plain.id.to_string(), &contact.id.to_string()).await;
        // A deleted customer's alias is no longer looked up.
        let gone = db.customer(&a, Some("gone")).await;
        set(&mut raw, "UPDATE customers SET alias = $1, deleted_at = 1 WHERE id = $2", &contact.id.to_string(), &gone.id.to_string()).await;
        let found = db.store.id_form_vendor_ids().await.unwrap();
        assert_eq!(
            found,
            vec![
                IdFormVendorId {
                    account: "acme".into(),
                    record: aliased.id.to_string(),
                    field: "alias",
                    value: contact.id.to_string(),
                },
                IdFormVendorId {
                    account: "bravo".into(),
                    record: contact.id.to_string(),
                    field: "external_id",
                    value: plain.id.to_string(),
                },
            ]
        );
    }

    async fn purge_expired_deletes_what_is_past_each_threshold_and_nothing_else(db: Db) {
        const DAY: i64 = 24 * 60 * 60 * 1000;
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let customer = db.customer(&a, None).await;
        let other = db.customer(&b, None).await;
        let now = Timestamp::from_millis(BASE + 100 * DAY);
        let at = |offset: i64| Timestamp::from_millis(now.as_millis() + offset);
        let live = portal_session_for(&customer, None, at(-DAY), 2 * DAY / 1000);
        let expired_edge = portal_session_for(&customer, None, at(-2 * DAY), DAY / 1000);
        let expired_past = portal_session_for(&customer, None, at(-2 * DAY - 1), DAY / 1000);
        let live_b = portal_session_for(&other, None, at(-DAY), 2 * DAY / 1000);
        for s in [&live, &expired_edge, &expired_past] {
            db.store.create_portal_session(&a.id, s, false).await.unwrap();
        }
        db.store.create_portal_session(&b.id, &live_b, false).await.unwrap();

        // Redirect tokens: expired exactly a day ago stays, a millisecond more goes, used or not.
        for (name, expires_at, used) in [
            ("rt edge", at(-DAY), false),
            ("rt past", at(-DAY - 1), false),
            ("rt used past", at(-DAY - 1), true),
            ("rt used edge", at(-DAY), true),
            ("rt fresh", at(30_000), false),
        ] {
            db.store.create_redirect_token(&a.id, &live.id, &sha256(name), expires_at).await.unwrap();
            if used {
                let before = Timestamp::from_millis(expires_at.as_millis() - 1);
                assert!(db.store.consume_redirect_token(&sha256(name), before).await.unwrap().is_some());
            }
        }
        db.store.create_redirect_token(&b.id, &live_b.id, &sha256("rt b fresh"), at(30_000)).await.unwrap();

        // Browser sessions: by when they ended, when they were last seen, and their portal session.
        let browser = |account: &Account, session: &PortalSession, cookie: &str, created: Timestamp| NewBrowserSession {
            account: account.id.clone(),
            portal_session: session.id.clone(),
            cookie_sha256: sha256(cookie),
            csrf_secret: sha256(&format!("csrf {cookie}")),
            now: created,
        };
        for (cookie, session, created, ended) in [
            ("bs seen now", &live, at(-60_000), None),
            ("bs unseen edge", &live, at(-30 * DAY), None),
            ("bs unseen past", &live, at(-30 * DAY - 1), None),
            ("bs ended edge", &live, at(-2 * DAY), Some(at(-DAY))),
            ("bs ended past", &live, at(-2 * DAY), Some(at(-DAY - 1))),
            ("bs portal expired edge", &expired_edge, at(-2 * DAY), None),
            ("bs portal expired past", &expired_past, at(-2 * DAY), None),
        ] {
            db.store.create_browser_session(&browser(&a, session, cookie, created)).await.unwrap();
            if let Some(ended) = ended {
                db.store.end_browser_session(&sha256(cookie), ended).await.unwrap();
            }
        }
        // Seen recently although created long ago: the last sighting counts, not the creation.
        db.store.touch_browser_session(&sha256("bs seen now"), at(-1)).await.unwrap();
        db.store.create_browser_session(&browser(&b, &live_b, "bs b seen now", at(-1))).await.unwrap();

        // OAuth tokens.
        let client = db.store.create_oauth_client(&a.id, "CRM sync", ApiScopes::all(), &sha256("client secret"), db.now()).await.unwrap();
        for (name, expires_at) in [("ot edge", at(-DAY)), ("ot past", at(-DAY - 1)), ("ot fresh", at(3_600_000))] {
            db.store.create_oauth_token(&a.id, &client.id, ApiScopes::all(), &sha256(name), expires_at).await.unwrap();
        }

        // Idempotency keys, finished or not.
        for (key, created, finish) in [
            ("ik edge", at(-DAY), true),
            ("ik past", at(-DAY - 1), true),
            ("ik past unfinished", at(-DAY - 1), false),
            ("ik fresh", at(-1), false),
        ] {
            assert_eq!(db.store.idempotency_begin(&a.id, key, &[1; 32], created).await.unwrap(), IdempotencyBegin::Started);
            if finish {
                db.store.idempotency_finish(&a.id, key, 201, b"{}").await.unwrap();
            }
        }
        assert_eq!(db.store.idempotency_begin(&b.id, "ik b fresh", &[1; 32], at(-1)).await.unwrap(), IdempotencyBegin::Started);

        let counts = db.store.purge_expired(now).await.unwrap();
        assert_eq!(
            counts,
            PurgeCounts { redirect_tokens: 2, browser_sessions: 3, oauth_tokens: 1, idempotency_keys: 2 }
        );
        assert_eq!(counts.total(), 8);

        let mut raw = db.raw().await;
        let hashed = |names: &[&str]| {
            let mut v: Vec<String> = names.iter().map(|n| hex_lower(&sha256(n))).collect();
            v.sort();
            v
        };
        assert_eq!(
            column_values(&mut raw, "redirect_tokens", "token_sha256").await,
            hashed(&["rt edge", "rt used edge", "rt fresh", "rt b fresh"])
        );
        assert_eq!(
            column_values(&mut raw, "browser_sessions", "cookie_sha256").await,
            hashed(&["bs seen now", "bs unseen edge", "bs ended edge", "bs portal expired edge", "bs b seen now"])
        );
        assert_eq!(column_values(&mut raw, "oauth_tokens", "token_sha256").await, hashed(&["ot edge", "ot fresh"]));
        let mut keys = vec!["ik b fresh", "ik edge", "ik fresh"];
        keys.sort();
        assert_eq!(column_values(&mut raw, "idempotency_keys", "key").await, keys);
        drop(raw);

        // Portal sessions are the vendor's audit trail: all kept.
        for s in [&live, &expired_edge, &expired_past] {
            assert_eq!(db.store.portal_session(&a.id, &s.id).await.unwrap().id, s.id);
        }
        assert_eq!(db.store.portal_session(&b.id, &live_b.id).await.unwrap().id, live_b.id);
        // What stays still works through the store.
        assert_eq!(db.view(&sha256("bs seen now")).await.last_seen_at, at(-1));
        assert_eq!(db.store.consume_redirect_token(&sha256("rt fresh"), now).await.unwrap(), Some((a.id.clone(), live.id.clone())));
        assert!(db.store.oauth_token(&sha256("ot fresh"), now).await.unwrap().is_some());
        assert_eq!(
            db.store.idempotency_begin(&a.id, "ik edge", &[1; 32], now).await.unwrap(),
            IdempotencyBegin::Replay { status: 201, body: b"{}".to_vec() }
        );

        assert_eq!(db.store.purge_expired(now).await.unwrap(), PurgeCounts::default(), "a second purge finds nothing");
    }

    async fn redirect_tokens_work_once_and_until_they_expire(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        let expires_at = now.plus_secs(30);
        let token = sha256("redirect token one");
        db.store.create_redirect_token(&a.id, &session.id, &token, expires_at).await.unwrap();
        let msg = assert_conflict(db.store.create_redirect_token(&a.id, &session.id, &token, expires_at).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_not_found(db.store.create_redirect_token(&a.id, &PortalSessionId::new(now, [9; 10]), &sha256("orphan"), expires_at).await);

        assert_eq!(db.store.consume_redirect_token(&sha256("never issued"), now).await.unwrap(), None);
        assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), Some((a.id.clone(), session.id.clone())));
        assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), None, "a second use fails");

        // Expiry is exact: usable 1 ms before, not at expires_at.
        let late = sha256("redirect token two");
        db.store.create_redirect_token(&a.id, &session.id, &late, expires_at).await.unwrap();
        assert_eq!(db.store.consume_redirect_token(&late, expires_at).await.unwrap(), None);
        assert_eq!(db.store.consume_redirect_token(&late, expires_at.plus_secs(30)).await.unwrap(), None);
        let edge = sha256("redirect token three");
        db.store.create_redirect_token(&a.id, &session.id, &edge, expires_at).await.unwrap();
        let just_before = Timestamp::from_millis(expires_at.as_millis() - 1);
        assert_eq!(db.store.consume_redirect_token(&edge, just_before).await.unwrap(), Some((a.id.clone(), session.id.clone())));
        // A failed attempt on an expired token did not mark it used either way.
        assert_eq!(db.store.consume_redirect_token(&late, now).await.unwrap(), Some((a.id.clone(), session.id)));
    }

    async fn a_redirect_token_is_read_without_being_spent(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        let token = sha256("peeked token");
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), None);
        db.store.create_redirect_token(&a.id, &session.id, &token, now.plus_secs(30)).await.unwrap();
        let fresh = RedirectTokenState {
            account: a.id.clone(),
            portal_session: session.id.clone(),
            expires_at: now.plus_secs(30),
            used_at: None,
        };
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), Some(fresh.clone()));
        assert_eq!(db.store.redirect_token(&token).await.unwrap(), Some(fresh.clone()), "reading spends nothing");
        assert!(db.store.consume_redirect_token(&token, now).await.unwrap().is_some());
        let used = db.store.redirect_token(&token).await.unwrap().unwrap();
        assert_eq!(used.used_at, Some(now));
    }

    async fn a_portal_session_is_entered_once_even_when_many_ask_at_once(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("bravo").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        assert!(!db.store.enter_portal_session(&b.id, &session.id, now).await.unwrap(), "another account's session");
        let tries = (0..20).map(|_| {
            let store = db.store.clone();
            let (account, id) = (a.id.clone(), session.id.clone());
            tokio::spawn(async move { store.enter_portal_session(&account, &id, now).await.unwrap() })
        });
        let mut entered = 0;
        for t in tries.collect::<Vec<_>>() {
            entered += usize::from(t.await.unwrap());
        }
        assert_eq!(entered, 1);
        assert!(!db.store.enter_portal_session(&a.id, &session.id, now).await.unwrap());
    }

    async fn switching_portal_access_off_revokes_the_live_sessions_for_good(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let ana = db.contact(&a, &customer, Role::Owner).await;
        let bob = db.contact(&a, &customer, Role::Billing).await;
        let anas = db.portal_session(&a, &customer, Some(&ana), false).await;
        let bobs = db.portal_session(&a, &customer, Some(&bob), false).await;
        let now = db.now();
        let switch = |on: bool| ContactPatch { portal_access: Some(on), ..ContactPatch::default() };
        db.store.update_contact(&a.id, &ContactRef::Id(ana.id.clone()), switch(false), now).await.unwrap();
        db.store.update_contact(&a.id, &ContactRef::Id(ana.id.clone()), switch(true), now).await.unwrap();
        let revoked = |s: PortalSession| s.revoked_at;
        assert_eq!(revoked(db.store.portal_session(&a.id, &anas.id).await.unwrap()), Some(now));
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), None, "only that contact's");
        // A patch that leaves access on revokes nothing.
        db.store.update_contact(&a.id, &ContactRef::Id(bob.id.clone()), switch(true), now).await.unwrap();
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), None);

        let later = now.plus_secs(5);
        let off = CustomerPatch { portal_enabled: Some(false), ..CustomerPatch::default() };
        db.store.update_customer(&a.id, &CustomerRef::Id(customer.id.clone()), off, later).await.unwrap();
        assert_eq!(revoked(db.store.portal_session(&a.id, &bobs.id).await.unwrap()), Some(later));
        assert_eq!(revoked(db.store.portal_session(&a.id, &anas.id).await.unwrap()), Some(now), "the first revocation stays");
    }

    async fn fifty_concurrent_exchanges_of_one_redirect_token_let_exactly_one_win(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let now = db.now();
        // A few rounds, as a lost race does not show every time.
        for round in 0..5 {
            let token = sha256(&format!("contended redirect token {round}"));
            db.store.create_redirect_token(&a.id, &session.id, &token, now.plus_secs(30)).await.unwrap();
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(50));
            let mut tasks = vec![];
            for _ in 0..50 {
                let store = db.store.clone();
                let start = start.clone();
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    store.consume_redirect_token(&token, now).await
                }));
            }
            let mut winners = vec![];
            for task in tasks {
                if let Some(won) = task.await.unwrap().expect("no consumer fails") {
                    winners.push(won);
                }
            }
            assert_eq!(winners, vec![(a.id.clone(), session.id.clone())], "exactly one exchange wins (round {round})");
            assert_eq!(db.store.consume_redirect_token(&token, now).await.unwrap(), None);
        }
    }

    /// Writes that arrive together are committed together; one that fails (here a cookie hash
    /// that exists already) fails alone, and every other write of its group is stored.
    async fn a_failing_write_fails_alone_and_its_group_is_stored(db: Db) {
        let a = db.account("groups").await;
        let customer = db.customer(&a, None).await;
        let session = db.portal_session(&a, &customer, None, false).await;
        let taken = db.browser_session(&a, &session, "taken").await;
        for round in 0..3 {
            let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
            let mut tasks = vec![];
            for i in 0..20 {
                let (store, start) = (db.store.clone(), start.clone());
                let cookie_sha256 = if i == 7 { taken } else { sha256(&format!("group {round} {i}")) };
                let new = NewBrowserSession {
                    account: a.id.clone(),
                    portal_session: session.id.clone(),
                    cookie_sha256,
                    csrf_secret: [1; 32],
                    now: db.now(),
                };
                tasks.push(tokio::spawn(async move {
                    start.wait().await;
                    (cookie_sha256, store.create_browser_session(&new).await)
                }));
            }
            for (i, task) in tasks.into_iter().enumerate() {
                let (cookie, result) = task.await.unwrap();
                if i == 7 {
                    assert!(matches!(result, Err(StoreError::Conflict(_))), "round {round}: {result:?}");
                } else {
                    result.unwrap();
                    assert!(db.store.browser_session(&cookie).await.unwrap().is_some());
                }
            }
        }
    }

    async fn browser_sessions_see_every_change_they_depend_on(db: Db) {
        let a = db.account("acme").await;
        let customer = db.customer(&a, None).await;
        let contact = db.contact(&a, &customer, Role::Billing).await;
        let session = db.portal_session(&a, &customer, Some(&contact), false).await;
        let created = db.now();
        let cookie = sha256("cookie of the contact");
        let new = NewBrowserSession { account: a.id.clone(), portal_session: session.id.clone(), cookie_sha256: cookie, csrf_secret: sha256("csrf"), now: created };
        db.store.create_browser_session(&new).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!(view.account, a.id);
        assert_eq!(view.session, session);
        assert_eq!(view.csrf_secret, sha256("csrf"));
        assert_eq!((view.created_at, view.last_seen_at, view.ended_at), (created, created, None));
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, true, Some(Role::Billing)));
        assert!(db.store.browser_session(&sha256("a cookie never issued")).await.unwrap().is_none());
        let again = NewBrowserSession { account: a.id.clone(), portal_session: session.id.clone(), cookie_sha256: cookie, csrf_secret: [0; 32], now: db.now() };
        let msg = assert_conflict(db.store.create_browser_session(&again).await);
        assert!(msg.contains("already exists"), "{msg}");
        assert_not_found(db.store.create_browser_session(&NewBrowserSession { portal_session: PortalSessionId::new(db.now(), [9; 10]), cookie_sha256: sha256("orphan"), ..again }).await);

        // A session of the customer itself has no contact to lose.
        let own = db.portal_session(&a, &customer, None, false).await;
        let own_cookie = db.browser_session(&a, &own, "cookie of the customer").await;
        let view = db.view(&own_cookie).await;
        assert_eq!((view.session.contact.clone(), view.contact_active, view.contact_role), (None, true, None));

        // The contact's role, then its access, are read fresh on every call.
        let contact_ref = ContactRef::Id(contact.id.clone());
        db.store.update_contact(&a.id, &contact_ref, ContactPatch { role: Some(Role::Viewer), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!(db.view(&cookie).await.contact_role, Some(Role::Viewer));
        db.store.update_contact(&a.id, &contact_ref, ContactPatch { portal_access: Some(false), ..Default::default() }, db.now()).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, false, None));
        assert!(db.view(&own_cookie).await.contact_active, "the customer's own session does not depend on the contact");
        db.store.update_contact(&a.id, &contact_ref, ContactPatch { portal_access: Some(true), ..Default::default() }, db.now()).await.unwrap();
        assert_eq!((db.view(&cookie).await.contact_active, db.view(&cookie).await.contact_role), (true, Some(Role::Viewer)));
        db.store.delete_contact(&a.id, &contact_ref, db.now()).await.unwrap();
        let view = db.view(&cookie).await;
        assert_eq!((view.customer_active, view.contact_active, view.contact_role), (true, false, None));

        // The customer's portal switch, then the customer itself.
        let customer2 = db.customer(&a, None).await;
        let contact2 = db.contact(&a, &customer2, Role::Owner).await;
        let session2 = db.portal_session(&a, &customer2, Some(&contact2), false).await;
        let cookie2 = db.browser_session(&a, &session2, "second contact's cookie").await;
        assert_eq!((db.view(&cookie2).await.customer_active, db.view(&cookie2).await.contact_role), (true, Some(Role::Owner)));
        let switch = |on: bool| CustomerPatch { portal_enabled: Some(on), ..Default::default() };
        db.store.update_customer(&a.id, &by_id(&customer2), switch(false), db.now()).await.unwrap();
        let view = db.view(&cookie2).await;
        assert_eq!((view.customer_active, view.contact_active), (false, true));
        db.store.update_customer(&a.id, &by_id(&customer2), switch(true), db.now()).await.unwrap();
        assert!(db.view(&cookie2).await.customer_active);
        db.store.delete_customer(&a.id, &by_id(&customer2), db.now()).await.unwrap();
        assert!(!db.view(&cookie2).await.customer_active);
        assert!(db.view(&own_cookie).await.customer_active, "another customer's deletion changes nothing here");

        // The portal session's revocation shows on the next call.
        assert_eq!(db.view(&own_cookie).await.session.revoked_at, None);
        let revoked_at = db.now();
        db.store.revoke_portal_session(&a.id, &own.id, revoked_at).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.session.revoked_at, Some(revoked_at));

        // last_seen_at only moves forward; ending keeps the first time.
        let seen = db.now();
        db.store.touch_browser_session(&own_cookie, seen).await.unwrap();
        db.store.touch_browser_session(&own_cookie, created).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.last_seen_at, seen);
        let ended = db.now();
        db.store.end_browser_session(&own_cookie, ended).await.unwrap();
        db.store.end_browser_session(&own_cookie, db.now()).await.unwrap();
        assert_eq!(db.view(&own_cookie).await.ended_at, Some(ended));
        assert_eq!(db.view(&cookie).await.ended_at, None, "ending one browser session leaves the others");
        assert_not_found(db.store.touch_browser_session(&sha256("nobody"), db.now()).await);
        assert_not_found(db.store.end_browser_session(&sha256("nobody"), db.now()).await);
    }

    async fn oauth_clients_and_tokens(db: Db) {
        let a = db.account("acme").await;
        let b = db.account("globex").await;
        let scopes = ApiScopes::parse("scopes", "security:write customers:read").unwrap();
        let secret = sha256("client secret");
        let now = db.now();
        let client = db.store.create_oauth_client(&a.id, "Backend", scopes, &secret, now).await.unwrap();
        assert_eq!((client.name.as_str(), client.scopes, client.created_at, client.revoked_at), ("Backend", scopes, now, None));
        let cred = db.store.oauth_client_credential(&client.id).await.unwrap();
        assert_eq!((cred.account.clone(), cred.client.clone(), cred.secret_sha256), (a.id.clone(), client.clone(), secret));
        assert_not_found(db.store.oauth_client_credential(&OAuthClientId::new(db.now(), [9; 10])).await);
        assert_invalid(db.store.create_oauth_client(&a.id, "  ", scopes, &secret, db.now()).await, "name");
        assert_not_found(db.store.create_oauth_client(&AccountId::new(db.now(), [9; 10]), "x", scopes, &secret, db.now()).await);

        let second = db.store.create_oauth_client(&a.id, "CI", ApiScopes::empty(), &sha256("2"), db.now()).await.unwrap();
        let third = db.store.create_oauth_client(&a.id, "Ops", ApiScopes::all(), &sha256("3"), db.now()).await.unwrap();
        let page = db.store.list_oauth_clients(&a.id, first(2)).await.unwrap();
        assert_eq!((ids(&page, |c| &c.id), page.has_more), (vec![third.id.clone(), second.id.clone()], true));
        let page = db.store.list_oauth_clients(&a.id, after(2, &second.id)).await.unwrap();
        assert_eq!((page.data.clone(), page.has_more), (vec![client.clone()], false));
        assert!(db.store.list_oauth_clients(&b.id, first(10)).await.unwrap().data.is_empty());

        // Tokens: exact expiry.
        let token = sha256("access token");
        let expires_at = db.now().plus_secs(3600);
        let token_scopes = ApiScopes::parse("scopes", "customers:read").unwrap();
        db.store.create_oauth_token(&a.id, &client.id, token_scopes, &token, expires_at).await.unwrap();
        assert_conflict(db.store.create_oauth_token(&a.id, &client.id, token_scopes, &token, expires_at).await);
        assert_not_found(db.store.create_oauth_token(&b.id, &client.id, token_scopes, &sha256("b's"), expires_at).await);
        let just_before = Timestamp::from_millis(expires_at.as_millis() - 1);
        let found = db.store.oauth_token(&token, just_before).await.unwrap().expect("live token");
        assert_eq!((found.account, found.client, found.scopes, found.expires_at), (a.id.clone(), client.id.clone(), token_scopes, expires_at));
        assert!(db.store.oauth_token(&token, expires_at).await.unwrap().is_none());
        assert!(db.store.oauth_token(&sha256("never issued"), just_before).await.unwrap().is_none());

        // Revoking the client ends its tokens, and only its tokens.
        let other_token = sha256("second client's token");
        db.store.create_oauth_token(&a.id, &second.id, ApiScopes::empty(), &other_token, expires_at).await.unwrap();
        assert_not_found(db.store.revoke_oauth_client(&b.id, &client.id, db.now()).await);
        assert!(db.store.oauth_token(&token, just_before).await.unwrap().is_some());
        let revoked_at = db.now();
        let revoked = db.store.revoke_oauth_client(&a.id, &client.id, revoked_at).await.unwrap();
        assert_eq!(revoked, OAuthClient { revoked_at: Some(revoked_at), ..client.clone() });
        let again = db.store.revoke_oauth_client(&a.id, &client.id, db.now()).await.unwrap();
        assert_eq!(again.revoked_at, Some(revoked_at), "the first revocation time stays");
        assert!(db.store.oauth_token(&token, revoked_at).await.unwrap().is_none());
        assert!(db.store.oauth_token(&other_token, revoked_at).await.unwrap().is_some());
        // The token endpoint still finds a revoked client, to refuse it for that reason.
        assert_eq!(db.store.oauth_client_credential(&client.id).await.unwrap().client.revoked_at, Some(revoked_at));
        assert_not_found(db.store.revoke_oauth_client(&a.id, &OAuthClientId::new(db.now(), [9; 10]), db.now()).await);
    }

    /// Two nodes on one database: what one changes, the other sees after `sync`, however warm
    /// its cache was. Each read below is cached on node B before the change is made on node A.
    async fn a_second_node_sees_every_change_after_sync(db: Db) {
        let a = &db.store;
        let b = db.db.store().await;
        let account = db.account("twonodes").await;
        let id = &account.id;
        let customer = db.customer(&account, Some("twin")).await;
        let contact = db.contact(&account, &customer, Role::Owner).await;
        let product = db.product(&account).await;
        let plan = db.plan(&account, &product, 0).await;
        let subscription = db.subscription(&account, &customer, &plan).await;
        let key = a
            .create_api_key(id, "Backend", ApiScopes::all(), [7; 32], None, db.now())
            .await
            .unwrap();
        a.create_signing_key(&signing_key_for(&account, db.now(), 1)).await.unwrap();
        let session = db.portal_session(&account, &customer, Some(&contact), false).await;
        let cookie = db.browser_session(&account, &session, "twin-cookie").await;
        let by_alias = CustomerRef::Alias("twin".into());
        let by_id = CustomerRef::Id(customer.id.clone());
        let subs = || SubscriptionFilter { customer: Some(by_id.clone()), status: None };

        // Warm node B's cache with everything it will be asked again.
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let warm = |b: &SqlStore| {
            let b = b.clone();
            let (id, key_id, plan_id, by_alias, by_id, contact_id) = (
                id.clone(),
                key.id.clone(),
                plan.id.clone(),
                by_alias.clone(),
                by_id.clone(),
                contact.id.clone(),
            );
            let subs = subs();
            async move {
                b.account(&id).await.unwrap();
                b.api_key_credential(&key_id).await.unwrap();
                b.plan(&id, &plan_id).await.unwrap();
                b.customer(&id, &by_alias).await.unwrap();
                b.customer(&id, &by_id).await.unwrap();
                b.contact(&id, &ContactRef::Id(contact_id)).await.unwrap();
                b.signing_keys(&id).await.unwrap();
                b.list_subscriptions(&id, subs, first(10)).await.unwrap();
                b.browser_session(&cookie).await.unwrap().unwrap();
            }
        };
        warm(&b).await;

        // Account-wide changes: settings, a revoked key, a renamed plan, a retired signing key.
        let settings = PortalSettings { default_locale: "de".into(), ..PortalSettings::default() };
        a.update_portal_settings(id, settings, db.now()).await.unwrap();
        a.revoke_api_key(id, &key.id, db.now()).await.unwrap();
        let rename = PlanPatch { name: Some("Renamed".into()), ..Default::default() };
        a.update_plan(id, &plan.id, rename, db.now()).await.unwrap();
        a.create_signing_key(&signing_key_for(&account, db.now(), 2)).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_eq!(b.account(id).await.unwrap().settings.default_locale, "de");
        assert!(b.api_key_credential(&key.id).await.unwrap().key.revoked_at.is_some());
        assert_eq!(b.plan(id, &plan.id).await.unwrap().name, "Renamed");
        assert_eq!(b.signing_keys(id).await.unwrap().len(), 2);
        warm(&b).await;

        // One customer's changes: its record, its contact, its subscriptions, its sessions.
        let patch = CustomerPatch {
            name: Some("Twin Renamed".into()),
            alias: Some(Some("twin-2".into())),
            ..Default::default()
        };
        a.update_customer(id, &by_id, patch, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_eq!(b.customer(id, &by_id).await.unwrap().name, "Twin Renamed");
        assert_not_found(b.customer(id, &by_alias).await);

        let no_access = ContactPatch { portal_access: Some(false), ..Default::default() };
        a.update_contact(id, &ContactRef::Id(contact.id.clone()), no_access, db.now())
            .await
            .unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert!(!b.contact(id, &ContactRef::Id(contact.id.clone())).await.unwrap().portal_access);
        assert!(!b.browser_session(&cookie).await.unwrap().unwrap().contact_active);

        b.list_subscriptions(id, subs(), first(10)).await.unwrap();
        a.cancel_subscription(id, &subscription.id, None, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let listed = b.list_subscriptions(id, subs(), first(10)).await.unwrap();
        assert_eq!(listed.data[0].status, SubscriptionStatus::Canceled);

        a.revoke_portal_session(id, &session.id, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        let view = b.browser_session(&cookie).await.unwrap().unwrap();
        assert!(view.session.revoked_at.is_some());
        a.end_browser_session(&cookie, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert!(b.browser_session(&cookie).await.unwrap().unwrap().ended_at.is_some());

        a.delete_customer(id, &by_id, db.now()).await.unwrap();
        b.sync(std::time::Duration::ZERO).await.unwrap();
        assert_not_found(b.customer(id, &by_id).await);
        assert!(!b.browser_session(&cookie).await.unwrap().unwrap().customer_active);
    }

    /// A node's own writes need no `sync`: it drops what they change as they commit.
    async fn a_node_sees_its_own_writes_without_sync(db: Db) {
        let account = db.account("ownwrites").await;
        let customer = db.customer(&account, None).await;
        let by_id = CustomerRef::Id(customer.id.clone());
        db.store.customer(&account.id, &by_id).await.unwrap();
        let patch = CustomerPatch { name: Some("Fresh".into()), ..Default::default() };
        db.store.update_customer(&account.id, &by_id, patch, db.now()).await.unwrap();
        assert_eq!(db.store.customer(&account.id, &by_id).await.unwrap().name, "Fresh");
    }
}

/// What one concurrent update returned: the field it changed and the row it produced.
#[derive(Debug)]
struct Write {
    renames: bool,
    name: String,
    writer: Option<String>,
}

/// Whether some serial order of the writes explains every row they returned and the row they
/// left (`end`), starting from a customer named `initial_name` without metadata.
///
/// Every value is written once, so each is current for one stretch of time: the metadata writes
/// that saw name `n` all ran while `n` was current, and the renames that saw metadata `m` all
/// ran while `m` was. A serial history is therefore: the metadata writes that saw the initial
/// name, then the renames that saw the last of those, then the metadata writes that saw the last
/// of those renames, and so on; the last of each group is forced (it is the only one that later
/// writes saw). A lost update returns or leaves a row pairing a new value with a stale one,
/// which breaks the chain: a group is left over, two values were seen after the same group,
/// or the end differs.
fn serial_order_exists(
    writes: &[Write],
    initial_name: &str,
    end: &(String, Option<String>),
) -> bool {
    use std::collections::HashMap;
    let mut saw_name: HashMap<String, Vec<Option<String>>> = HashMap::new();
    let mut saw_meta: HashMap<Option<String>, Vec<String>> = HashMap::new();
    for w in writes {
        if w.renames {
            saw_meta
                .entry(w.writer.clone())
                .or_default()
                .push(w.name.clone());
        } else {
            saw_name
                .entry(w.name.clone())
                .or_default()
                .push(w.writer.clone());
        }
    }
    let (mut name, mut meta) = (initial_name.to_owned(), None::<String>);
    let mut placed = 0;
    loop {
        let metas = saw_name.remove(&name).unwrap_or_default();
        placed += metas.len();
        if !metas.is_empty() {
            let onward: Vec<&Option<String>> =
                metas.iter().filter(|m| saw_meta.contains_key(*m)).collect();
            meta = match onward.as_slice() {
                [] => metas
                    .iter()
                    .find(|m| **m == end.1)
                    .unwrap_or(&metas[0])
                    .clone(),
                [m] => (*m).clone(),
                _ => return false,
            };
        }
        let names = saw_meta.remove(&meta).unwrap_or_default();
        if names.is_empty() {
            break;
        }
        placed += names.len();
        let onward: Vec<&String> = names.iter().filter(|n| saw_name.contains_key(*n)).collect();
        name = match onward.as_slice() {
            [] => names
                .iter()
                .find(|n| **n == end.0)
                .unwrap_or(&names[0])
                .clone(),
            [n] => (*n).clone(),
            _ => return false,
        };
    }
    placed == writes.len() && (name, meta) == *end
}

/// Every value of one text column, sorted.
async fn column_values(conn: &mut sqlx::AnyConnection, table: &str, column: &str) -> Vec<String> {
    let mut values: Vec<String> = sqlx::query_scalar(&format!("SELECT {column} FROM {table}"))
        .fetch_all(conn)
        .await
        .unwrap();
    values.sort();
    values
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every value of every text or binary column of every table, as (table, column, bytes), and
/// the names of the tables scanned.
async fn stored_values(db: &TestDatabase) -> (BTreeSet<String>, Vec<(String, String, Vec<u8>)>) {
    let mut scanned = BTreeSet::new();
    let mut out = vec![];
    match db.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
            for table in tables {
                scanned.insert(table.clone());
                let columns: Vec<(String, String)> =
                    sqlx::query_as("SELECT name, type FROM pragma_table_info(?1)")
                        .bind(&table)
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                for (column, ty) in columns {
                    let ty = ty.to_ascii_uppercase();
                    if !(ty.contains("TEXT") || ty.contains("BLOB") || ty.contains("CHAR")) {
                        continue;
                    }
                    let values: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&format!(
                        "SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\""
                    ))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    out.extend(
                        values
                            .into_iter()
                            .flatten()
                            .map(|v| (table.clone(), column.clone(), v)),
                    );
                }
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            let columns: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text, data_type::text \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb')",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            for (table, column, ty) in columns {
                scanned.insert(table.clone());
                let select = if ty == "bytea" {
                    format!("SELECT \"{column}\" FROM \"{table}\"")
                } else {
                    format!("SELECT convert_to(\"{column}\"::text, 'UTF8') FROM \"{table}\"")
                };
                let values: Vec<Option<Vec<u8>>> = sqlx::query_scalar(&select)
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                out.extend(
                    values
                        .into_iter()
                        .flatten()
                        .map(|v| (table.clone(), column.clone(), v)),
                );
            }
        }
    }
    (scanned, out)
}
