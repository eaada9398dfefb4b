//! Happy paths and business errors of every resource, and pagination.

use serde_json::json;

use crate::support::TestApp;

portico_testkit::backend_tests! {
    async fn health_and_readiness(app: TestApp) {
        #[derive(serde::Deserialize)]
        struct Health {
            status: String,
        }
        let r = app.send(app.client.get(app.url("/healthz"))).await;
        assert_eq!(r.expect(200).typed::<Health>().status, "ok");
        app.send(app.client.get(app.url("/readyz"))).await.expect(200);
    }

    async fn customers_crud_by_id_and_alias(app: TestApp) {
        let k = &app.a.key;
        let created = app
            .post(k, "/api/v1/customers", json!({
                "alias": "acme-1", "name": "  Acme GmbH ", "email": "billing@acme.example",
                "currency": "eur", "address": {"country": "de", "city": "Berlin"},
                "metadata": {"crm": "42"},
            }))
            .await;
        created.expect(201);
        let id = created.id();
        assert!(id.starts_with("cus_"));
        assert_eq!(created.json["name"], "Acme GmbH");
        assert_eq!(created.json["currency"], "EUR");
        assert_eq!(created.json["address"]["country"], "DE");
        assert_eq!(created.json["portal_enabled"], true);

        let by_id = app.get(k, &format!("/api/v1/customers/{id}")).await;
        by_id.expect(200);
        assert_eq!(by_id.json, created.json);
        let by_alias = app.get(k, "/api/v1/customers/acme-1").await;
        assert_eq!(by_alias.expect(200).json["id"], id.as_str());

        let patched = app
            .patch(k, "/api/v1/customers/acme-1", json!({"email": null, "name": "Acme AG"}))
            .await;
        patched.expect(200);
        assert_eq!(patched.json["email"], serde_json::Value::Null);
        assert_eq!(patched.json["name"], "Acme AG");
        assert_eq!(patched.json["alias"], "acme-1");

        app.post(k, "/api/v1/customers", json!({"alias": "acme-1", "name": "Dup", "currency": "EUR"}))
            .await
            .expect_error(409, "CONFLICT", "");

        let other = app
            .post(k, "/api/v1/customers", json!({"name": "Other", "email": "x@other.example", "currency": "USD"}))
            .await
            .expect(201)
            .id();
        let by_email = app.get(k, "/api/v1/customers?email=x@other.example").await;
        assert_eq!(by_email.list_ids(), vec![other.clone()]);
        let all = app.get(k, "/api/v1/customers").await.list_ids();
        assert_eq!(all, vec![other.clone(), id.clone()], "newest first");

        let deleted = app.delete(k, &format!("/api/v1/customers/{id}")).await;
        assert_eq!(deleted.expect(200).json["id"], id.as_str());
        app.get(k, &format!("/api/v1/customers/{id}"))
            .await
            .expect_error(404, "NOT_FOUND", "customer");
        app.get(k, "/api/v1/customers/acme-1").await.expect(404);
        app.post(k, "/api/v1/customers", json!({"alias": "acme-1", "name": "Again", "currency": "EUR"}))
            .await
            .expect(201);
    }

    /// The vendor API checks a customer's tax ID as the portal does, per rule family: an EU
    /// VAT number, the UK's, Switzerland's, an Australian ABN with its check digits, a US EIN,
    /// a Canadian BN, and the plain rule of countries without a known format.
    async fn a_customers_tax_id_must_fit_its_country(app: TestApp) {
        let k = &app.a.key;
        let with = |country: &str, tax_id: &str| {
            let state = match country { "US" => Some("NY"), "AU" => Some("NSW"), "CA" => Some("ON"), _ => None };
            json!({"name": "T", "currency": "EUR", "tax_id": tax_id,
                   "address": {"country": country, "state": state}})
        };
        for (country, good, normalised, bad, example) in [
            ("DE", "DE 123 456 789", "DE123456789", "DE12345678", "DE123456789"),
            ("GB", "gb123456789", "GB123456789", "GB12345678", "GB123456789"),
            ("CH", "CHE-123.456.789 MWST", "CHE123456789MWST", "CH123456789", "CHE123456789"),
            ("AU", "51824753556", "51 824 753 556", "51 824 753 557", "51 824 753 556"),
            ("US", "123456789", "12-3456789", "1234567", "12-3456789"),
            ("CA", "123456789RT0001", "123456789RT0001", "12345678", "123456789"),
            ("JP", "T1234567890123", "T1234567890123", "T<1>", "AB123456789"),
        ] {
            let created = app.post(k, "/api/v1/customers", with(country, good)).await;
            assert_eq!(created.expect(201).json["tax_id"], normalised, "{country}");
            app.post(k, "/api/v1/customers", with(country, bad))
                .await
                .expect_error(400, "BAD_REQUEST", &format!("tax_id: does not have the format of a tax ID of {country}, for example {example}"));
            // A change is checked the same way and leaves the customer as it was.
            let path = format!("/api/v1/customers/{}", created.id());
            app.patch(k, &path, json!({"tax_id": bad})).await.expect_error(400, "BAD_REQUEST", "tax_id");
            assert_eq!(app.get(k, &path).await.json["tax_id"], normalised);
        }
        // Moving to a country whose format the tax ID does not have is refused too.
        let de = app.post(k, "/api/v1/customers", with("DE", "DE123456789")).await.expect(201).id();
        app.patch(k, &format!("/api/v1/customers/{de}"), json!({"address": {"country": "PL"}}))
            .await
            .expect_error(400, "BAD_REQUEST", "tax_id: does not have the format of a tax ID of PL");
    }

    /// A country must be an ISO 3166-1 code, and where the post needs a region (US, Canada,
    /// Australia) the region must be one of the country's; extra invoice recipients are up to
    /// five e-mail addresses.
    async fn a_customers_address_and_invoice_recipients_are_checked(app: TestApp) {
        let k = &app.a.key;
        let address = |country: &str, state: Option<&str>| {
            json!({"name": "R", "currency": "USD", "address": {"country": country, "state": state, "city": "Springfield"}})
        };
        let il = app.post(k, "/api/v1/customers", address("us", Some("us-il"))).await;
        assert_eq!(il.expect(201).json["address"]["state"], "IL");
        assert_eq!(il.json["address"]["country"], "US");
        app.post(k, "/api/v1/customers", address("US", Some("Bavaria")))
            .await
            .expect_error(400, "BAD_REQUEST", "address.state: must be a region of US");
        app.post(k, "/api/v1/customers", address("CA", None))
            .await
            .expect_error(400, "BAD_REQUEST", "address.state: is required for CA");
        app.post(k, "/api/v1/customers", address("AU", Some("ON")))
            .await
            .expect_error(400, "BAD_REQUEST", "address.state");
        app.post(k, "/api/v1/customers", address("XK", None))
            .await
            .expect_error(400, "BAD_REQUEST", "address.country");
        let bavaria = app.post(k, "/api/v1/customers", address("DE", Some("Bayern"))).await;
        assert_eq!(bavaria.expect(201).json["address"]["state"], "Bayern");

        let path = format!("/api/v1/customers/{}", il.id());
        assert_eq!(il.json["invoice_recipients"], json!([]));
        let set = app.patch(k, &path, json!({"invoice_recipients": ["ap@r.example", "cfo@r.example"]})).await;
        assert_eq!(set.expect(200).json["invoice_recipients"], json!(["ap@r.example", "cfo@r.example"]));
        let six: Vec<String> = (1..=6).map(|i| format!("ap{i}@r.example")).collect();
        app.patch(k, &path, json!({"invoice_recipients": six}))
            .await
            .expect_error(400, "BAD_REQUEST", "invoice_recipients: may hold at most 5 addresses");
        app.patch(k, &path, json!({"invoice_recipients": ["ok@r.example", "nope"]}))
            .await
            .expect_error(400, "BAD_REQUEST", "invoice_recipients[1]: must be an e-mail address");
        app.patch(k, &path, json!({"invoice_recipients": ["a@r.example", "A@r.example"]}))
            .await
            .expect_error(400, "BAD_REQUEST", "invoice_recipients[1]: is listed twice");
        assert_eq!(app.get(k, &path).await.json["invoice_recipients"], json!(["ap@r.example", "cfo@r.example"]));
        let cleared = app.patch(k, &path, json!({"invoice_recipients": []})).await;
        assert_eq!(cleared.expect(200).json["invoice_recipients"], json!([]));
    }

    async fn contacts_crud_by_id_and_external_id(app: TestApp) {
        let k = &app.a.key;
        let customer = app
            .post(k, "/api/v1/customers", json!({"alias": "c-1", "name": "C", "currency": "EUR"}))
            .await
            .expect(201)
            .id();
        let contact = app
            .post(k, "/api/v1/contacts", json!({
                "customer": "c-1", "email": "ana@c.example", "name": "Ana", "external_id": "u-7",
            }))
            .await;
        contact.expect(201);
        let id = contact.id();
        assert_eq!(contact.json["customer"], customer.as_str());
        assert_eq!(contact.json["role"], "billing");
        assert_eq!(contact.json["portal_access"], true);

        assert_eq!(app.get(k, "/api/v1/contacts/u-7").await.expect(200).json["id"], id.as_str());
        let patched = app
            .patch(k, &format!("/api/v1/contacts/{id}"), json!({"role": "viewer", "name": null}))
            .await;
        assert_eq!(patched.expect(200).json["role"], "viewer");
        assert_eq!(patched.json["name"], serde_json::Value::Null);

        let other_customer = app
            .post(k, "/api/v1/customers", json!({"name": "D", "currency": "EUR"}))
            .await
            .expect(201)
            .id();
        let other = app
            .post(k, "/api/v1/contacts", json!({"customer": other_customer, "email": "bo@d.example"}))
            .await
            .expect(201)
            .id();
        assert_eq!(app.get(k, "/api/v1/contacts?customer=c-1").await.list_ids(), vec![id.clone()]);
        assert_eq!(
            app.get(k, &format!("/api/v1/contacts?customer={other_customer}")).await.list_ids(),
            vec![other.clone()]
        );
        assert_eq!(app.get(k, "/api/v1/contacts").await.list_ids().len(), 2);

        app.post(k, "/api/v1/contacts", json!({"customer": "nobody", "email": "x@y.example"}))
            .await
            .expect_error(400, "BAD_REQUEST", "customer: no such customer");
        app.post(k, "/api/v1/contacts", json!({"customer": "c-1", "email": "x@y.example", "role": "admin"}))
            .await
            .expect_error(400, "BAD_REQUEST", "role");

        app.delete(k, "/api/v1/contacts/u-7").await.expect(200);
        app.get(k, &format!("/api/v1/contacts/{id}")).await.expect(404);
    }

    async fn products_and_plans(app: TestApp) {
        let k = &app.a.key;
        let product = app
            .post(k, "/api/v1/products", json!({"name": "Suite", "description": "All of it"}))
            .await;
        product.expect(201);
        assert_eq!(product.json["active"], true);
        assert_eq!(product.json["self_service"], false);
        let product = product.id();
        let other_product = app
            .post(k, "/api/v1/products", json!({"name": "Add-on"}))
            .await
            .expect(201)
            .id();

        let plan = app
            .post(k, "/api/v1/plans", json!({
                "product": product, "name": "Yearly", "interval": "year", "unit_amount": 29000,
                "currency": "EUR", "trial_days": 14,
            }))
            .await;
        plan.expect(201);
        assert_eq!(plan.json["interval_count"], 1);
        let plan = plan.id();
        let other_plan = app
            .post(k, "/api/v1/plans", json!({
                "product": other_product, "name": "Monthly", "interval": "month",
                "unit_amount": 500, "currency": "EUR",
            }))
            .await
            .expect(201)
            .id();
        assert_eq!(app.get(k, &format!("/api/v1/plans?product={product}")).await.list_ids(), vec![plan.clone()]);
        assert_eq!(app.get(k, "/api/v1/plans").await.list_ids(), vec![other_plan.clone(), plan.clone()]);
        assert_eq!(app.get(k, "/api/v1/products").await.list_ids(), vec![other_product.clone(), product.clone()]);
        app.get(k, "/api/v1/plans?product=nonsense")
            .await
            .expect_error(400, "BAD_REQUEST", "product");

        let p = app.patch(k, &format!("/api/v1/products/{product}"), json!({"description": null, "self_service": true})).await;
        assert_eq!(p.expect(200).json["description"], serde_json::Value::Null);
        assert_eq!(p.json["self_service"], true);
        let p = app.patch(k, &format!("/api/v1/plans/{plan}"), json!({"name": "Annual", "active": false})).await;
        assert_eq!(p.expect(200).json["name"], "Annual");
        assert_eq!(app.get(k, &format!("/api/v1/plans/{plan}")).await.expect(200).json["active"], false);
        assert_eq!(app.get(k, &format!("/api/v1/products/{product}")).await.expect(200).json["name"], "Suite");
        app.patch(k, &format!("/api/v1/plans/{plan}"), json!({"unit_amount": 1}))
            .await
            .expect_error(400, "BAD_REQUEST", "unit_amount");

        app.delete(k, &format!("/api/v1/products/{product}"))
            .await
            .expect_error(409, "CONFLICT", "");
        app.delete(k, &format!("/api/v1/plans/{plan}")).await.expect(200);
        app.delete(k, &format!("/api/v1/products/{product}")).await.expect(200);
        app.get(k, &format!("/api/v1/products/{product}")).await.expect(404);
    }

    async fn subscriptions_lifecycle(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "sub").await;
        let sub = app.get(k, &format!("/api/v1/subscriptions/{}", seed.subscription)).await;
        sub.expect(200);
        assert_eq!(sub.json["status"], "active");
        assert_eq!(sub.json["quantity"], 2);
        assert_eq!(sub.json["customer"], seed.customer.as_str());

        let p = app
            .patch(k, &format!("/api/v1/subscriptions/{}", seed.subscription), json!({"quantity": 5, "cancel_at_period_end": true}))
            .await;
        assert_eq!(p.expect(200).json["quantity"], 5);
        assert_eq!(p.json["cancel_at_period_end"], true);
        app.patch(k, &format!("/api/v1/subscriptions/{}", seed.subscription), json!({"quantity": 0}))
            .await
            .expect_error(400, "BAD_REQUEST", "quantity");

        let second = app
            .post(k, "/api/v1/subscriptions", json!({"customer": seed.customer_alias, "plan": seed.plan}))
            .await
            .expect(201)
            .id();
        let canceled = app
            .send(
                app.request(reqwest::Method::DELETE, &format!("/api/v1/subscriptions/{second}"), k)
                    .json(&json!({"reason": "too expensive"})),
            )
            .await;
        canceled.expect(200);
        assert_eq!(canceled.json["status"], "canceled");
        assert_eq!(canceled.json["cancel_reason"], "too expensive");
        assert!(canceled.json["canceled_at"].is_string());
        app.delete(k, &format!("/api/v1/subscriptions/{second}"))
            .await
            .expect_error(409, "CONFLICT", "canceled");

        assert_eq!(
            app.get(k, "/api/v1/subscriptions?status=canceled").await.list_ids(),
            vec![second.clone()]
        );
        assert_eq!(
            app.get(k, &format!("/api/v1/subscriptions?status=active&customer={}", seed.customer_alias)).await.list_ids(),
            vec![seed.subscription.clone()]
        );
        app.get(k, "/api/v1/subscriptions?status=paused")
            .await
            .expect_error(400, "BAD_REQUEST", "status");

        // No body at all cancels too.
        let third = app
            .post(k, "/api/v1/subscriptions", json!({"customer": seed.customer, "plan": seed.plan}))
            .await
            .expect(201)
            .id();
        let c = app.delete(k, &format!("/api/v1/subscriptions/{third}")).await;
        assert_eq!(c.expect(200).json["cancel_reason"], serde_json::Value::Null);
        app.send(
            app.request(reqwest::Method::DELETE, &format!("/api/v1/subscriptions/{}", seed.subscription), k)
                .json(&json!({"why": "x"})),
        )
        .await
        .expect_error(400, "BAD_REQUEST", "why");
    }

    async fn a_billing_period_that_cannot_be_computed_is_400(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "far").await;
        let start = |at: &str| json!({"customer": seed.customer, "plan": seed.plan, "current_period_start": at});
        // A month after this start is past the last date the document can hold.
        app.post(k, "/api/v1/subscriptions", start("9999-12-20T00:00:00Z")).await
            .expect_error(400, "BAD_REQUEST", "current_period_start: is too far in the future");
        let r = app.post(k, "/api/v1/subscriptions", start("9999-11-20T00:00:00Z")).await;
        assert_eq!(r.expect(201).json["current_period_end"], "9999-12-20T00:00:00Z");
    }

    async fn subscriptions_renew_from_their_billing_cycle_anchor(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "anchor").await;
        let create = |start: &str, anchor: Option<&str>| {
            let mut body = json!({"customer": seed.customer, "plan": seed.plan, "current_period_start": start});
            if let Some(anchor) = anchor {
                body["billing_cycle_anchor"] = json!(anchor);
            }
            app.post(k, "/api/v1/subscriptions", body)
        };
        // Anchored where it starts: a subscription of Jan 31 renews on Feb 28.
        let plain = create("2026-01-31T10:00:00Z", None).await;
        plain.expect(201);
        assert_eq!(plain.json["billing_cycle_anchor"], "2026-01-31T10:00:00Z");
        assert_eq!(plain.json["current_period_end"], "2026-02-28T10:00:00Z");
        // A later anchor, at most one interval later, ends the first period there; it is stored.
        let anchored = create("2026-01-10T00:00:00Z", Some("2026-01-31T00:00:00Z")).await;
        anchored.expect(201);
        assert_eq!(anchored.json["current_period_end"], "2026-01-31T00:00:00Z");
        let id = anchored.id();
        let read = app.get(k, &format!("/api/v1/subscriptions/{id}")).await;
        assert_eq!(read.expect(200).json["billing_cycle_anchor"], "2026-01-31T00:00:00Z");
        let whole = create("2026-01-10T00:00:00Z", Some("2026-02-10T00:00:00Z")).await;
        assert_eq!(whole.expect(201).json["current_period_end"], "2026-02-10T00:00:00Z");
        for anchor in ["2026-01-09T23:59:59Z", "2026-02-10T00:00:01Z"] {
            create("2026-01-10T00:00:00Z", Some(anchor))
                .await
                .expect_error(400, "BAD_REQUEST", "billing_cycle_anchor: must be from 2026-01-10T00:00:00Z");
        }
        // Set once: a patch cannot move it.
        app.patch(k, &format!("/api/v1/subscriptions/{id}"), json!({"billing_cycle_anchor": "2026-02-15T00:00:00Z"}))
            .await
            .expect_error(400, "BAD_REQUEST", "billing_cycle_anchor");
        // The document says the same: on every subscription, optional on creation, not in a patch.
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        let schemas = &doc.expect(200).json["components"]["schemas"];
        let (record, new) = (&schemas["Subscription"], &schemas["NewSubscription"]);
        assert_eq!(record["properties"]["billing_cycle_anchor"]["$ref"], "#/components/schemas/Timestamp", "{record}");
        assert!(record["required"].as_array().unwrap().contains(&json!("billing_cycle_anchor")), "{record}");
        assert!(new["properties"]["billing_cycle_anchor"].is_object(), "{new}");
        assert!(!new["required"].as_array().unwrap().contains(&json!("billing_cycle_anchor")), "{new}");
        assert!(schemas["SubscriptionPatch"]["properties"]["billing_cycle_anchor"].is_null());
    }

    async fn invoices_lifecycle(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "inv").await;
        let inv = app.get(k, &format!("/api/v1/invoices/{}", seed.invoice)).await;
        inv.expect(200);
        assert_eq!(inv.json["status"], "open");
        assert_eq!(inv.json["subtotal"], 5800);
        assert_eq!(inv.json["tax"], 1102);
        assert_eq!(inv.json["total"], 6902);
        assert_eq!(inv.json["currency"], "EUR");

        let draft = app
            .post(k, "/api/v1/invoices", json!({
                "customer": seed.customer_alias, "status": "draft",
                "lines": [{"description": "Setup", "unit_amount": 10000}],
            }))
            .await;
        draft.expect(201);
        assert_ne!(draft.json["number"], inv.json["number"]);
        let draft = draft.id();
        let edited = app
            .patch(k, &format!("/api/v1/invoices/{draft}"), json!({"lines": [{"description": "Setup", "quantity": 3, "unit_amount": 100}]}))
            .await;
        assert_eq!(edited.expect(200).json["total"], 300);

        assert_eq!(app.get(k, "/api/v1/invoices?status=draft").await.list_ids(), vec![draft.clone()]);
        assert_eq!(
            app.get(k, &format!("/api/v1/invoices?subscription={}", seed.subscription)).await.list_ids(),
            vec![seed.invoice.clone()]
        );
        assert_eq!(
            app.get(k, &format!("/api/v1/invoices?customer={}", seed.customer)).await.list_ids().len(),
            2
        );
        app.get(k, "/api/v1/invoices?subscription=inv_x").await.expect_error(400, "BAD_REQUEST", "subscription");

        app.patch(k, &format!("/api/v1/invoices/{}", seed.invoice), json!({"tax_rate_bps": 0}))
            .await
            .expect_error(409, "CONFLICT", "draft");
        app.post(k, "/api/v1/invoices", json!({"customer": seed.customer, "lines": []}))
            .await
            .expect_error(400, "BAD_REQUEST", "lines");
        app.post(k, "/api/v1/invoices", json!({"customer": seed.customer, "lines": [{"description": "x", "unit_amount": 1, "quantity": 0}]}))
            .await
            .expect_error(400, "BAD_REQUEST", "lines[0].quantity");

        app.delete(k, &format!("/api/v1/invoices/{}", seed.invoice))
            .await
            .expect_error(409, "CONFLICT", "");
        app.delete(k, &format!("/api/v1/invoices/{draft}")).await.expect(200);
        let void = app
            .patch(k, &format!("/api/v1/invoices/{}", seed.invoice), json!({"status": "void"}))
            .await;
        assert_eq!(void.expect(200).json["status"], "void");
    }

    async fn transactions_pay_invoices(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "txn").await;
        let t = app.get(k, &format!("/api/v1/transactions/{}", seed.transaction)).await;
        assert_eq!(t.expect(200).json["status"], "pending");
        let settled = app
            .patch(k, &format!("/api/v1/transactions/{}", seed.transaction), json!({"status": "failed", "description": "declined"}))
            .await;
        assert_eq!(settled.expect(200).json["description"], "declined");

        let paid = app
            .post(k, "/api/v1/transactions", json!({
                "customer": seed.customer, "kind": "payment", "amount": 6902, "invoice": seed.invoice,
            }))
            .await;
        paid.expect(201);
        assert_eq!(paid.json["currency"], "EUR");
        assert_eq!(paid.json["status"], "succeeded");
        let paid = paid.id();
        let inv = app.get(k, &format!("/api/v1/invoices/{}", seed.invoice)).await;
        assert_eq!(inv.expect(200).json["status"], "paid");
        assert_eq!(inv.json["amount_due"], 0);

        let ids = app.get(k, &format!("/api/v1/transactions?invoice={}", seed.invoice)).await.list_ids();
        assert_eq!(ids, vec![paid.clone(), seed.transaction.clone()]);
        assert_eq!(app.get(k, &format!("/api/v1/transactions?customer={}", seed.customer_alias)).await.list_ids().len(), 2);
        app.get(k, "/api/v1/transactions?invoice=nope").await.expect_error(400, "BAD_REQUEST", "invoice");

        app.post(k, "/api/v1/transactions", json!({"customer": seed.customer, "kind": "payment", "amount": 0}))
            .await
            .expect_error(400, "BAD_REQUEST", "amount");
        app.post(k, "/api/v1/transactions", json!({"customer": seed.customer, "kind": "gift", "amount": 5}))
            .await
            .expect_error(400, "BAD_REQUEST", "kind");
        app.delete(k, &format!("/api/v1/transactions/{paid}"))
            .await
            .expect_error(409, "CONFLICT", "");
        app.delete(k, &format!("/api/v1/transactions/{}", seed.transaction)).await.expect(200);
        app.get(k, &format!("/api/v1/transactions/{}", seed.transaction)).await.expect(404);
    }

    async fn payment_methods_and_defaults(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "pm").await;
        let first = app.get(k, &format!("/api/v1/payment-methods/{}", seed.payment_method)).await;
        assert_eq!(first.expect(200).json["is_default"], true, "a first method is the default");
        let sepa = app
            .post(k, "/api/v1/payment-methods", json!({
                "customer": seed.customer_alias, "kind": "sepa_debit", "brand": "Sparkasse", "last4": "1234",
            }))
            .await;
        sepa.expect(201);
        assert_eq!(sepa.json["is_default"], false);
        let sepa = sepa.id();
        let made_default = app
            .patch(k, &format!("/api/v1/payment-methods/{sepa}"), json!({"is_default": true}))
            .await;
        assert_eq!(made_default.expect(200).json["is_default"], true);
        let first = app.get(k, &format!("/api/v1/payment-methods/{}", seed.payment_method)).await;
        assert_eq!(first.expect(200).json["is_default"], false);

        assert_eq!(
            app.get(k, &format!("/api/v1/payment-methods?customer={}", seed.customer)).await.list_ids(),
            vec![sepa.clone(), seed.payment_method.clone()]
        );
        app.post(k, "/api/v1/payment-methods", json!({
            "customer": seed.customer, "kind": "card", "brand": "visa", "last4": "42", "exp_month": 1, "exp_year": 2030,
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "last4");
        app.patch(k, &format!("/api/v1/payment-methods/{sepa}"), json!({"exp_month": 3}))
            .await
            .expect_error(400, "BAD_REQUEST", "exp_month");
        app.delete(k, &format!("/api/v1/payment-methods/{}", seed.payment_method)).await.expect(200);
        assert_eq!(
            app.get(k, "/api/v1/payment-methods").await.list_ids(),
            vec![sepa.clone()]
        );
    }

    async fn api_keys_create_list_revoke(app: TestApp) {
        let k = &app.a.key;
        let created = app
            .post(k, "/api/v1/api-keys", json!({"name": "reporting", "scopes": ["billing:read", "customers:read"]}))
            .await;
        created.expect(201);
        let key = created.json["key"].as_str().unwrap().to_owned();
        let id = created.id();
        assert!(key.starts_with(&format!("portico_sk_{id}_")), "{key}");
        assert_eq!(created.json["scopes"], json!(["customers:read", "billing:read"]));

        app.get(&key, "/api/v1/invoices").await.expect(200);
        app.post(&key, "/api/v1/products", json!({"name": "x"}))
            .await
            .expect_error(403, "FORBIDDEN", "billing:write");

        let listed = app.get(k, "/api/v1/api-keys").await;
        let ids = listed.list_ids();
        assert!(ids.contains(&id) && ids.contains(&app.a.key_id.to_string()), "{ids:?}");
        assert!(!listed.text.contains(&key), "a listing shows no secret");
        let mine = listed.json["data"].as_array().unwrap().iter().find(|x| x["id"] == id.as_str()).unwrap().clone();
        assert!(mine.get("key").is_none());
        assert!(mine["last_used_at"].is_string(), "use was recorded: {mine}");

        let revoked = app.delete(k, &format!("/api/v1/api-keys/{id}")).await;
        assert!(revoked.expect(200).json["revoked_at"].is_string());
        app.get(&key, "/api/v1/invoices").await.expect_error(401, "UNAUTHORIZED", "revoked");

        // A key cannot hand out more than it holds.
        let (settings_only, _) = crate::support::new_key(
            app.store.as_ref(),
            &app.a.account,
            portico_core::scope::ApiScopes::parse("s", "settings:write").unwrap(),
            None,
            portico_http::Clock::now(app.clock.as_ref()),
        )
        .await;
        app.post(&settings_only, "/api/v1/api-keys", json!({"name": "x", "scopes": ["billing:write"]}))
            .await
            .expect_error(403, "FORBIDDEN", "billing:write");
        app.post(&settings_only, "/api/v1/api-keys", json!({"name": "x", "scopes": ["settings:write"]}))
            .await
            .expect(201);
        for (body, field) in [
            (json!({"name": "x", "scopes": ["root"]}), "scopes"),
            (json!({"name": "x", "scopes": []}), "scopes"),
            (json!({"name": "", "scopes": ["billing:read"]}), "name"),
            (json!({"name": "x", "scopes": ["billing:read"], "expires_at": "2001-01-01T00:00:00Z"}), "expires_at"),
        ] {
            app.post(k, "/api/v1/api-keys", body).await.expect_error(400, "BAD_REQUEST", field);
        }
    }

    async fn portal_settings_merge_and_validate(app: TestApp) {
        let k = &app.a.key;
        let s = app.get(k, "/api/v1/portal-settings").await;
        s.expect(200);
        assert_eq!(s.json["default_locale"], "en");
        assert_eq!(s.json["features"]["cancel"], true);

        let p = app
            .patch(k, "/api/v1/portal-settings", json!({
                "branding": {"display_name": "Acme", "primary_color": "#1A73E8"},
                "features": {"cancel": false},
                "default_locale": "de",
                "allowed_origins": ["https://App.acme.example"],
            }))
            .await;
        p.expect(200);
        assert_eq!(p.json["branding"]["primary_color"], "#1a73e8");
        assert_eq!(p.json["allowed_origins"], json!(["https://app.acme.example"]));
        let p = app.patch(k, "/api/v1/portal-settings", json!({"features": {"invoices": false}})).await;
        p.expect(200);
        assert_eq!(p.json["features"]["cancel"], false, "earlier change kept");
        assert_eq!(p.json["features"]["invoices"], false);
        assert_eq!(p.json["branding"]["display_name"], "Acme");
        assert_eq!(app.get(k, "/api/v1/portal-settings").await.json, p.json);
        // The other account is untouched.
        assert_eq!(app.get(&app.b.key, "/api/v1/portal-settings").await.json["default_locale"], "en");

        for (body, field) in [
            (json!({"allowed_origins": ["https://x.example/path"]}), "allowed_origins"),
            (json!({"allowed_origins": ["http://app.acme.example"]}), "must use https"),
            (json!({"allowed_origins": ["http://127.evil.example"]}), "must use https"),
            (json!({"branding": {"display_name": "Acme\u{202E}gnp.exe"}}), "branding.display_name: must not contain bidirectional"),
            (json!({"default_locale": "it"}), "default_locale"),
            (json!({"branding": {"primary_color": "blue"}}), "branding.primary_color"),
            (json!({"branding": {"logo": "x"}}), "logo"),
            (json!({"theme": "dark"}), "theme"),
        ] {
            app.patch(k, "/api/v1/portal-settings", body).await.expect_error(400, "BAD_REQUEST", field);
        }
        assert_eq!(app.get(k, "/api/v1/portal-settings").await.json, p.json, "rejected patches changed nothing");
        // Plain http only for a page on this machine, for development.
        let dev = json!({"allowed_origins": ["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8000"]});
        app.patch(k, "/api/v1/portal-settings", dev.clone()).await.expect(200);
        assert_eq!(app.get(k, "/api/v1/portal-settings").await.json["allowed_origins"], dev["allowed_origins"]);
    }

    async fn lists_page_through_every_row_once(app: TestApp) {
        let k = &app.a.key;
        let mut created = Vec::new();
        for i in 0..25 {
            created.push(
                app.post(k, "/api/v1/customers", json!({"name": format!("C{i}"), "currency": "EUR"}))
                    .await
                    .expect(201)
                    .id(),
            );
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = Vec::new();
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/customers?limit=10&starting_after={c}"),
                None => "/api/v1/customers?limit=10".to_owned(),
            };
            let page = app.get(k, &path).await;
            let ids = page.list_ids();
            let more = page.json["has_more"].as_bool().unwrap();
            pages.push((ids.len(), more));
            cursor = ids.last().cloned();
            seen.extend(ids);
            if !more {
                break;
            }
            assert!(pages.len() < 10, "pagination does not end");
        }
        assert_eq!(pages, vec![(10, true), (10, true), (5, false)]);
        created.reverse();
        assert_eq!(seen, created, "newest first, each row once");

        assert_eq!(app.get(k, "/api/v1/customers?limit=100").await.list_ids().len(), 25);
        assert_eq!(app.get(k, "/api/v1/customers").await.list_ids().len(), 10, "default limit");
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            app.get(k, &format!("/api/v1/customers?limit={bad}"))
                .await
                .expect_error(400, "BAD_REQUEST", "limit");
        }
        for bad in ["nope", "inv_01jd0v4m3g6k2x8r9t7w5y1q3z", "cus_"] {
            app.get(k, &format!("/api/v1/customers?starting_after={bad}"))
                .await
                .expect_error(400, "BAD_REQUEST", "starting_after");
        }
        app.get(k, "/api/v1/customers?sort=name")
            .await
            .expect_error(400, "BAD_REQUEST", "sort");
    }
}
