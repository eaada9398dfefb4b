//! Create, get, list, update and delete of every resource through the client.

use portico_client::model::*;
use portico_client::*;

use crate::support::App;

pub fn eur() -> Currency {
    Currency::parse("currency", "EUR").unwrap()
}

pub fn new_customer(alias: &str) -> NewCustomer {
    NewCustomer {
        alias: Some(alias.into()),
        name: format!("{alias} GmbH"),
        email: Some(format!("billing@{alias}.example")),
        currency: eur(),
        address: Address::default(),
        tax_id: None,
        invoice_recipients: Vec::new(),
        portal_enabled: true,
        metadata: Metadata::default(),
        test_clock: None,
    }
}

fn new_contact(customer: &str, external_id: &str, role: Role) -> NewContact {
    NewContact {
        customer: customer.into(),
        external_id: Some(external_id.into()),
        email: format!("{external_id}@example.com"),
        name: None,
        portal_access: true,
        role,
    }
}

/// Creates the customer `acme`.
pub async fn acme(client: &Client) -> Customer {
    client
        .customers()
        .create(&new_customer("acme"))
        .await
        .unwrap()
}

/// Creates `ana`, a contact of `acme` with `role`.
pub async fn ana(client: &Client, role: Role) -> Contact {
    let contact = new_contact("acme", "ana", role);
    client.contacts().create(&contact).await.unwrap()
}

/// Asserts that a call failed because what it named does not exist.
#[track_caller]
pub fn not_found<T: std::fmt::Debug>(answer: Result<T>) {
    match answer {
        Err(e) if e.is_not_found() => {}
        other => panic!("expected a not-found error, got {other:?}"),
    }
}

/// A product and a monthly EUR plan of it.
async fn catalogue(client: &Client) -> (Product, Plan) {
    let product = client
        .products()
        .create(&NewProduct {
            name: "Pro".into(),
            description: Some("Everything".into()),
            self_service: true,
            active: true,
        })
        .await
        .unwrap();
    let plan = client
        .plans()
        .create(&NewPlan {
            product: product.id.clone(),
            name: "Pro monthly".into(),
            interval: Interval::Month,
            interval_count: 1,
            unit_amount: 2900,
            currency: eur(),
            self_service: true,
            trial_days: 0,
            min_quantity: 1,
            max_quantity: None,
            active: true,
        })
        .await
        .unwrap();
    (product, plan)
}

fn invoice_of(customer: &str, status: InvoiceStatus) -> NewInvoice {
    NewInvoice {
        customer: customer.into(),
        subscription: None,
        currency: None,
        status: Some(status),
        lines: vec![NewInvoiceLine {
            description: "Pro × 2".into(),
            quantity: 2,
            unit_amount: 2900,
            period_start: None,
            period_end: None,
        }],
        tax_rate_bps: 1900,
        issued_at: None,
        due_at: None,
        paid_at: None,
        metadata: Metadata::default(),
    }
}

portico_testkit::backend_tests! {
    async fn customers(app: App) {
        let client = app.client();
        let customers = client.customers();
        let acme = customers.create(&new_customer("acme")).await.unwrap();
        assert!(acme.id.as_str().starts_with("cus_"));
        assert_eq!(customers.get("acme").await.unwrap(), acme);
        assert_eq!(customers.get(&acme.id).await.unwrap(), acme);

        let patch = CustomerPatch {
            email: Some(None),
            tax_id: Some(Some("DE123456789".into())),
            ..Default::default()
        };
        let changed = customers.update("acme", &patch).await.unwrap();
        assert_eq!(changed.email, None);
        assert_eq!(changed.tax_id.as_deref(), Some("DE123456789"));
        assert_eq!(
            changed.name, acme.name,
            "a field the patch leaves out stays"
        );

        customers.create(&new_customer("globex")).await.unwrap();
        // An alias may hold characters that mean something in a URL.
        let org = NewCustomer {
            email: None,
            ..new_customer("org:42@eu")
        };
        let org = customers.create(&org).await.unwrap();
        assert_eq!(customers.get("org:42@eu").await.unwrap(), org);
        let filter = CustomerFilter {
            email: Some("billing@globex.example".into()),
        };
        let found = customers.list(&filter, &Page::default()).await.unwrap();
        assert_eq!(found.data.len(), 1);
        assert_eq!(found.data[0].alias.as_deref(), Some("globex"));

        let deleted = customers.delete("acme").await.unwrap();
        assert_eq!(deleted.id, acme.id);
        not_found(customers.get(&acme.id).await);
    }

    async fn pages_walk_every_record_once(app: App) {
        let client = app.client();
        let mut made = Vec::new();
        for i in 0..7 {
            made.push(
                client
                    .customers()
                    .create(&new_customer(&format!("c{i}")))
                    .await
                    .unwrap()
                    .id,
            );
        }
        let first = client
            .customers()
            .list(&CustomerFilter::default(), &Page::first(3))
            .await
            .unwrap();
        assert_eq!(first.data.len(), 3);
        assert!(first.has_more);
        let second = client
            .customers()
            .list(
                &CustomerFilter::default(),
                &Page::after(first.data[2].id.as_str(), 3),
            )
            .await
            .unwrap();
        assert_eq!(second.data[0].id, made[3], "newest first, after the cursor");

        let mut pager = client
            .customers()
            .pages(CustomerFilter::default())
            .page_size(3);
        let mut sizes = Vec::new();
        let mut seen = Vec::new();
        while let Some(page) = pager.next_page().await.unwrap() {
            sizes.push(page.len());
            seen.extend(page.into_iter().map(|c| c.id));
        }
        assert_eq!(sizes, [3, 3, 1]);
        made.reverse();
        assert_eq!(seen, made);
        assert_eq!(pager.next_page().await.unwrap(), None);
    }

    async fn contacts(app: App) {
        let client = app.client();
        acme(&client).await;
        let ana = ana(&client, Role::Owner).await;
        assert_eq!(client.contacts().get("ana").await.unwrap(), ana);
        let patch = ContactPatch {
            role: Some(Role::Viewer),
            name: Some(Some("Ana".into())),
            ..Default::default()
        };
        let changed = client.contacts().update(&ana.id, &patch).await.unwrap();
        assert_eq!(
            (changed.role, changed.name.as_deref()),
            (Role::Viewer, Some("Ana"))
        );
        let filter = ContactFilter {
            customer: Some("acme".into()),
        };
        let all = client.contacts().pages(filter).all().await.unwrap();
        assert_eq!(all, [changed]);
        client.contacts().delete("ana").await.unwrap();
        not_found(client.contacts().get("ana").await);
    }

    async fn products_and_plans(app: App) {
        let client = app.client();
        let (product, plan) = catalogue(&client).await;
        assert_eq!(client.products().get(&product.id).await.unwrap(), product);
        assert_eq!(client.plans().get(&plan.id).await.unwrap(), plan);
        let archived = client
            .products()
            .update(
                &product.id,
                &ProductPatch {
                    active: Some(false),
                    description: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(!archived.active);
        assert_eq!(archived.description, None);
        let renamed = client
            .plans()
            .update(
                &plan.id,
                &PlanPatch {
                    name: Some("Pro (monthly)".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.name, "Pro (monthly)");
        let of_product = client
            .plans()
            .list(
                &PlanFilter {
                    product: Some(product.id.clone()),
                },
                &Page::default(),
            )
            .await
            .unwrap();
        assert_eq!(of_product.data, [renamed]);
        let products = client
            .products()
            .pages(ProductFilter::default())
            .all()
            .await
            .unwrap();
        assert_eq!(products, [archived]);

        let refused = client.products().delete(&product.id).await.unwrap_err();
        assert!(refused.is_conflict(), "{refused}");
        client.plans().delete(&plan.id).await.unwrap();
        client.products().delete(&product.id).await.unwrap();
        not_found(client.products().get(&product.id).await);
    }

    async fn subscriptions(app: App) {
        let client = app.client();
        acme(&client).await;
        let (_, plan) = catalogue(&client).await;
        let new = NewSubscription {
            customer: "acme".into(),
            plan: plan.id.clone(),
            quantity: 2,
            status: None,
            current_period_start: None,
            billing_cycle_anchor: None,
            cancel_at_period_end: false,
            metadata: Metadata::default(),
        };
        let sub = client.subscriptions().create(&new).await.unwrap();
        assert_eq!(sub.status, SubscriptionStatus::Active);
        assert_eq!(client.subscriptions().get(&sub.id).await.unwrap(), sub);
        let changed = client
            .subscriptions()
            .update(
                &sub.id,
                &SubscriptionPatch {
                    quantity: Some(5),
                    cancel_at_period_end: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((changed.quantity, changed.cancel_at_period_end), (5, true));
        let filter = SubscriptionFilter {
            customer: Some("acme".into()),
            status: Some(SubscriptionStatus::Active),
        };
        assert_eq!(
            client.subscriptions().pages(filter).all().await.unwrap(),
            [changed]
        );

        let canceled = client
            .subscriptions()
            .cancel(&sub.id, Some("too expensive"))
            .await
            .unwrap();
        assert_eq!(canceled.status, SubscriptionStatus::Canceled);
        assert_eq!(canceled.cancel_reason.as_deref(), Some("too expensive"));
        let again = client
            .subscriptions()
            .cancel(&sub.id, None)
            .await
            .unwrap_err();
        assert!(again.is_conflict(), "{again}");
    }

    async fn an_invoice_is_paid_through_the_payment_provider(app: App) {
        use portico_app::payments::{self, SetupInput, SetupStart, test_provider};
        let client = app.client();
        acme(&client).await;
        let open = client.invoices().create(&invoice_of("acme", InvoiceStatus::Open)).await.unwrap();
        assert!(client.invoices().pay(&open.id, None).await.unwrap_err().is_conflict(), "no provider yet");
        assert_eq!(client.payment_provider().get().await.unwrap().provider, None);
        let set = client.payment_provider().set(&PaymentProviderSettings { provider: "test".into(), secret: Some("sk_test_kept_secret".into()), ..Default::default() }).await.unwrap();
        assert_eq!((set.provider.as_deref(), set.secret_set, set.webhook_secret_set), (Some("test"), true, false));
        assert_eq!(client.payment_provider().get().await.unwrap(), set);
        // Behind the API, the customer adds a card on the provider's page.
        let (app_, by, now) = (&app.state.app, portico_app::Caller::operator(app.account.clone()), Timestamp::from_secs(1_800_000_000));
        let customer = client.customers().get("acme").await.unwrap();
        let input = SetupInput { customer: customer.id.clone(), return_url: format!("{}/portal/payment-method/added", app.base) };
        let SetupStart::Redirect { url } = payments::begin_setup(app_, &by, input, now).await.unwrap() else { panic!("a page") };
        let token = url.rsplit('/').next().unwrap();
        let card = test_provider::CardForm { number: "4242424242424242".into(), expiry: "12/30".into(), cvc: "123".into() };
        let back = test_provider::submit_card(app_, token, &card, now).await.unwrap();
        let result = back.split_once("result=").unwrap().1.to_owned();
        let returned = [("result".to_owned(), result)].into_iter().collect();
        let card = payments::complete_setup(app_, &by, &customer.id, &returned, None, now).await.unwrap();

        let attempt = client.invoices().pay(&open.id, Some(&card.id)).await.unwrap();
        assert_eq!((attempt.status, attempt.amount, attempt.payment_method), (PaymentAttemptStatus::Succeeded, open.total, card.id));
        assert_eq!(client.invoices().get(&open.id).await.unwrap().status, InvoiceStatus::Paid);
        assert!(client.invoices().pay(&open.id, None).await.unwrap_err().is_conflict(), "already paid");
    }

    async fn invoices_and_transactions(app: App) {
        let client = app.client();
        acme(&client).await;
        let draft = client
            .invoices()
            .create(&invoice_of("acme", InvoiceStatus::Draft))
            .await
            .unwrap();
        assert_eq!((draft.subtotal, draft.tax, draft.total), (5800, 1102, 6902));
        assert_eq!(client.invoices().get(&draft.id).await.unwrap(), draft);
        client.invoices().delete(&draft.id).await.unwrap();

        let open = client
            .invoices()
            .create(&invoice_of("acme", InvoiceStatus::Open))
            .await
            .unwrap();
        let due = Timestamp::from_secs(4_000_000_000);
        let open = client
            .invoices()
            .update(
                &open.id,
                &InvoicePatch {
                    due_at: Some(Some(due)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(open.due_at, Some(due));
        assert!(
            client
                .invoices()
                .delete(&open.id)
                .await
                .unwrap_err()
                .is_conflict()
        );

        let pending = client
            .transactions()
            .create(&NewTransaction {
                customer: "acme".into(),
                kind: TransactionKind::Payment,
                status: TransactionStatus::Pending,
                amount: open.total,
                currency: None,
                invoice: Some(open.id.clone()),
                payment_method: None,
                description: Some("wire transfer".into()),
                created_at: None,
            })
            .await
            .unwrap();
        assert_eq!(
            client.transactions().get(&pending.id).await.unwrap(),
            pending
        );
        let settled = client
            .transactions()
            .update(
                &pending.id,
                &TransactionPatch {
                    status: Some(TransactionStatus::Succeeded),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(settled.status, TransactionStatus::Succeeded);
        let paid = client.invoices().get(&open.id).await.unwrap();
        assert_eq!((paid.status, paid.amount_due), (InvoiceStatus::Paid, 0));
        let filter = InvoiceFilter {
            status: Some(InvoiceStatus::Paid),
            customer: Some("acme".into()),
            ..Default::default()
        };
        assert_eq!(client.invoices().pages(filter).all().await.unwrap(), [paid]);
        let filter = TransactionFilter {
            invoice: Some(open.id.clone()),
            ..Default::default()
        };
        assert_eq!(
            client
                .transactions()
                .list(&filter, &Page::default())
                .await
                .unwrap()
                .data,
            std::slice::from_ref(&settled)
        );
        assert!(
            client
                .transactions()
                .delete(&settled.id)
                .await
                .unwrap_err()
                .is_conflict()
        );

        let failed = client
            .transactions()
            .create(&NewTransaction {
                customer: "acme".into(),
                kind: TransactionKind::Payment,
                status: TransactionStatus::Failed,
                amount: 100,
                currency: Some(eur()),
                invoice: None,
                payment_method: None,
                description: None,
                created_at: None,
            })
            .await
            .unwrap();
        client.transactions().delete(&failed.id).await.unwrap();
    }

    async fn payment_methods(app: App) {
        let client = app.client();
        acme(&client).await;
        let new = |last4: &str| NewPaymentMethod {
            customer: "acme".into(),
            kind: PaymentMethodKind::Card,
            brand: Some("visa".into()),
            last4: last4.into(),
            exp_month: Some(12),
            exp_year: Some(2030),
            is_default: None,
            provider_ref: None,
        };
        let first = client.payment_methods().create(&new("4242")).await.unwrap();
        assert!(first.is_default, "a customer's first method is its default");
        let second = client.payment_methods().create(&new("1881")).await.unwrap();
        let second = client
            .payment_methods()
            .update(
                &second.id,
                &PaymentMethodPatch {
                    is_default: Some(true),
                    exp_year: Some(2031),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((second.is_default, second.exp_year), (true, Some(2031)));
        assert!(
            !client
                .payment_methods()
                .get(&first.id)
                .await
                .unwrap()
                .is_default
        );
        let filter = PaymentMethodFilter {
            customer: Some("acme".into()),
        };
        assert_eq!(
            client
                .payment_methods()
                .pages(filter)
                .all()
                .await
                .unwrap()
                .len(),
            2
        );
        client.payment_methods().delete(&first.id).await.unwrap();
        not_found(client.payment_methods().get(&first.id).await);
    }

    async fn api_keys(app: App) {
        let client = app.client();
        let created = client
            .api_keys()
            .create(&NewApiKey {
                name: "reporting".into(),
                scopes: vec!["customers:read".into()],
                expires_at: None,
            })
            .await
            .unwrap();
        let reporting = Client::new(&app.base, created.key.clone().unwrap()).unwrap();
        reporting
            .customers()
            .list(&CustomerFilter::default(), &Page::default())
            .await
            .unwrap();
        let refused = reporting
            .customers()
            .create(&new_customer("acme"))
            .await
            .unwrap_err();
        assert_eq!(
            (refused.status(), refused.code()),
            (Some(403), Some(ErrorCode::Forbidden))
        );

        // Listed newest first, with the use just made.
        let listed = client.api_keys().pages().all().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, created.api_key.id);
        assert!(listed[0].last_used_at.is_some());
        let first = client.api_keys().list(&Page::first(1)).await.unwrap();
        assert_eq!(
            (first.data[0].id.clone(), first.has_more),
            (created.api_key.id.clone(), true)
        );
        let revoked = client.api_keys().revoke(&created.api_key.id).await.unwrap();
        assert!(revoked.revoked_at.is_some());
        let gone = reporting.customers().get("acme").await.unwrap_err();
        assert_eq!(gone.code(), Some(ErrorCode::Unauthorized));
    }

    async fn oauth_clients(app: App) {
        let client = app.client();
        let created = client
            .oauth_clients()
            .create(&NewOAuthClient {
                name: "backend".into(),
                scopes: vec!["customers:write".into()],
            })
            .await
            .unwrap();
        assert!(
            created
                .client_secret
                .as_deref()
                .is_some_and(|s| s.starts_with("portico_cs_"))
        );
        assert_eq!(
            client.oauth_clients().pages().all().await.unwrap(),
            std::slice::from_ref(&created.client)
        );
        assert_eq!(
            client
                .oauth_clients()
                .list(&Page::default())
                .await
                .unwrap()
                .data,
            std::slice::from_ref(&created.client)
        );
        let revoked = client
            .oauth_clients()
            .revoke(&created.client.id)
            .await
            .unwrap();
        assert!(revoked.revoked_at.is_some());
    }

    async fn portal_settings(app: App) {
        let client = app.client();
        let before = client.portal_settings().get().await.unwrap();
        let patch = PortalSettingsPatch {
            branding: Some(BrandingPatch {
                primary_color: Some(Some("#1A73E8".into())),
                display_name: Some(Some("Alpha".into())),
                ..Default::default()
            }),
            features: Some(FeaturesPatch {
                cancel: Some(false),
                ..Default::default()
            }),
            default_locale: Some("de".into()),
            allowed_origins: Some(vec!["https://app.alpha.example".into()]),
            default_return_url: Some(Some("https://app.alpha.example/billing".into())),
            ..Default::default()
        };
        let after = client.portal_settings().update(&patch).await.unwrap();
        assert_eq!(after.branding.primary_color.as_deref(), Some("#1a73e8"));
        assert!(!after.features.cancel);
        assert_eq!(after.features.invoices, before.features.invoices);
        assert_eq!(after.default_locale, "de");
        let cleared = client
            .portal_settings()
            .update(&PortalSettingsPatch {
                branding: Some(BrandingPatch {
                    display_name: Some(None),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(cleared.branding.display_name, None);
        assert_eq!(cleared.branding.primary_color.as_deref(), Some("#1a73e8"));
        assert_eq!(client.portal_settings().get().await.unwrap(), cleared);
    }

    async fn invoice_settings_and_the_logo(app: App) {
        let client = app.client();
        let settings = client.invoice_settings();
        assert_eq!(settings.get().await.unwrap().legal_name, None);
        let set = settings
            .update(&InvoiceSettingsPatch {
                legal_name: Some(Some("Łódź Spółka z o.o.".into())),
                payment_instructions: Some(Some("IBAN PL61 1090 1014\nSWIFT WBKPPLPP".into())),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(set.legal_name.as_deref(), Some("Łódź Spółka z o.o."));
        let png = std::fs::read(
            portico_testkit::workspace_root().join("crates/portico/src/demo-logo.png"),
        )
        .unwrap();
        let with_logo = settings.put_logo("image/png", png.clone()).await.unwrap();
        let logo = with_logo.logo.expect("the logo's description");
        assert_eq!((logo.width, logo.height), (72, 72));
        assert_eq!(settings.logo().await.unwrap(), ("image/png".to_owned(), png));
        // A text file is no image, whatever its content type says.
        let refused = settings.put_logo("image/png", b"not an image".to_vec()).await;
        assert!(matches!(refused, Err(Error::Api { status: 400, .. })), "{refused:?}");
        assert_eq!(settings.delete_logo().await.unwrap().logo, None);
        assert!(matches!(
            settings.logo().await,
            Err(Error::Api { status: 404, .. })
        ));
        assert_eq!(
            settings.get().await.unwrap().legal_name.as_deref(),
            Some("Łódź Spółka z o.o.")
        );
    }

    async fn health_readiness_and_the_document(app: App) {
        let client = app.client();
        assert_eq!(client.health().await.unwrap().status, "ok");
        assert_eq!(client.ready().await.unwrap().status, "ok");
        let doc = client.openapi_document().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    }
}
