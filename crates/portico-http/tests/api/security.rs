//! SECURITY.md lines 20 (tenancy), 22 (scopes and key states) and 24 (no secret in the
//! database), over every route the OpenAPI document lists.

use portico_auth::api_key;
use portico_core::ApiKeyId;
use portico_core::scope::{ApiScope, ApiScopes};
use portico_http::Clock;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::{Connection, Row};

use crate::support::{TestApp, collection, documented_operations, fill, new_key};

/// A body that is valid for every PATCH (all fields optional) and for none of the POSTs.
fn body_for(method: &Method) -> Option<Value> {
    (*method == Method::PATCH || *method == Method::POST).then(|| json!({}))
}

portico_testkit::backend_tests! {
    async fn sec20_another_accounts_ids_are_404_on_every_route(app: TestApp) {
        // A tag with letters ids never hold (Crockford base32 has no i, l, o or u), so that
        // finding it in an answer means B's data, never a random id of A's.
        let theirs = app.seed(&app.b.key, "bui").await;
        let ours = app.seed(&app.a.key, "ay").await;
        let k = &app.a.key;
        let mut checked = 0;
        for (method, path) in documented_operations(&app).await {
            if !path.starts_with("/api/v1/") || !path.contains('{') {
                continue;
            }
            let coll = collection(&path);
            let mut ids = vec![theirs.id_for(coll).to_owned()];
            match coll {
                "/api/v1/customers" => ids.push(theirs.customer_alias.clone()),
                "/api/v1/contacts" => ids.push(theirs.contact_external_id.clone()),
                _ => {}
            }
            for id in ids {
                let r = app.call(method.clone(), &fill(&path, &id), k, body_for(&method).as_ref()).await;
                r.expect_error(404, "NOT_FOUND", "");
                let echo_removed = r.text.replace(&id, "");
                assert!(!echo_removed.contains("bui"), "a 404 reveals nothing of B: {}", r.text);
                checked += 1;
            }
        }
        assert!(checked >= 30, "only {checked} checks: the document lost routes");

        // Creating in A with references to B's records finds nothing either.
        for (path, body) in [
            ("/api/v1/contacts", json!({"customer": theirs.customer, "email": "x@y.example"})),
            ("/api/v1/contacts", json!({"customer": theirs.customer_alias, "email": "x@y.example"})),
            ("/api/v1/plans", json!({"product": theirs.product, "name": "P", "interval": "month", "unit_amount": 1, "currency": "EUR"})),
            ("/api/v1/subscriptions", json!({"customer": theirs.customer, "plan": ours.plan})),
            ("/api/v1/subscriptions", json!({"customer": ours.customer, "plan": theirs.plan})),
            ("/api/v1/invoices", json!({"customer": theirs.customer, "lines": [{"description": "x", "unit_amount": 1}]})),
            ("/api/v1/invoices", json!({"customer": ours.customer, "subscription": theirs.subscription, "lines": [{"description": "x", "unit_amount": 1}]})),
            ("/api/v1/transactions", json!({"customer": theirs.customer, "kind": "credit", "amount": 1})),
            ("/api/v1/transactions", json!({"customer": ours.customer, "kind": "payment", "amount": 1, "invoice": theirs.invoice})),
            ("/api/v1/transactions", json!({"customer": ours.customer, "kind": "payment", "amount": 1, "payment_method": theirs.payment_method})),
            ("/api/v1/payment-methods", json!({"customer": theirs.customer, "kind": "sepa_debit", "last4": "0000"})),
        ] {
            let r = app.post(k, path, body.clone()).await;
            assert!(
                r.status == 404 || r.status == 400,
                "POST {path} {body} with B's ids answered {}: {}",
                r.status,
                r.text
            );
        }
        app.patch(k, &format!("/api/v1/subscriptions/{}", ours.subscription), json!({"plan": theirs.plan}))
            .await
            .expect_error(400, "BAD_REQUEST", "plan: no such plan");

        // A's lists, plain and filtered by B's ids, never show B's rows.
        let b_ids = theirs.all_ids();
        let mut lists = Vec::new();
        for (method, path) in documented_operations(&app).await {
            let not_a_list = path.ends_with("/openapi.json")
                || path.ends_with("/portal-settings")
                || path.ends_with("/payment-provider")
                || path.contains("/invoice-settings");
            if method == Method::GET && path.starts_with("/api/v1/") && !path.contains('{') && !not_a_list {
                lists.push(format!("{path}?limit=100"));
            }
        }
        assert!(lists.len() >= 9, "{lists:?}");
        lists.extend([
            "/api/v1/customers?email=billing@bui.example".to_owned(),
            format!("/api/v1/contacts?customer={}", theirs.customer),
            format!("/api/v1/contacts?customer={}", theirs.customer_alias),
            format!("/api/v1/plans?product={}", theirs.product),
            format!("/api/v1/subscriptions?customer={}", theirs.customer),
            format!("/api/v1/invoices?customer={}", theirs.customer),
            format!("/api/v1/invoices?subscription={}", theirs.subscription),
            format!("/api/v1/transactions?customer={}", theirs.customer),
            format!("/api/v1/transactions?invoice={}", theirs.invoice),
            format!("/api/v1/payment-methods?customer={}", theirs.customer),
            format!("/api/v1/customers?starting_after={}", theirs.customer),
        ]);
        for list in &lists {
            let r = app.get(k, list).await;
            assert!(r.status == 200 || r.status == 404, "{list}: {} {}", r.status, r.text);
            if r.status == 200 {
                assert!(r.json["data"].is_array(), "{list}: {}", r.text);
            }
            // A 404 may echo the filter value the caller sent; anything else of B's is a leak.
            let mut text = r.text.clone();
            if let Some((_, query)) = list.split_once('?') {
                for value in query.split('&').filter_map(|kv| kv.split_once('=')).map(|(_, v)| v) {
                    text = text.replace(value, "");
                }
            }
            for id in &b_ids {
                assert!(!text.contains(id), "{list} shows B's {id}: {}", r.text);
            }
            assert!(!text.contains("bui"), "{list} shows B's data: {}", r.text);
        }
        let mine = app.get(k, "/api/v1/customers").await.list_ids();
        assert_eq!(mine, vec![ours.customer.clone()], "A still sees its own rows");

        // B's records are untouched by everything A tried.
        let bk = &app.b.key;
        for id_path in [
            format!("/api/v1/customers/{}", theirs.customer),
            format!("/api/v1/contacts/{}", theirs.contact),
            format!("/api/v1/products/{}", theirs.product),
            format!("/api/v1/plans/{}", theirs.plan),
            format!("/api/v1/invoices/{}", theirs.invoice),
            format!("/api/v1/transactions/{}", theirs.transaction),
            format!("/api/v1/payment-methods/{}", theirs.payment_method),
        ] {
            app.get(bk, &id_path).await.expect(200);
        }
        let sub = app.get(bk, &format!("/api/v1/subscriptions/{}", theirs.subscription)).await;
        assert_eq!(sub.expect(200).json["status"], "active");
        let keys = app.get(bk, "/api/v1/api-keys?limit=100").await;
        let seeded = keys.json["data"].as_array().unwrap().iter().find(|x| x["id"] == theirs.api_key.as_str()).unwrap().clone();
        assert_eq!(seeded["revoked_at"], Value::Null, "A could not revoke B's key");
    }

    async fn sec22_every_operation_demands_its_documented_scope(app: TestApp) {
        let doc = app.send(app.client.get(app.url("/api/v1/openapi.json"))).await;
        let seed = app.seed(&app.a.key, "scope").await;
        let now = app.clock.now();
        let mut checked = 0;
        let mut ops = documented_operations(&app).await;
        // Deletes last, so that the other operations still find their records.
        ops.sort_by_key(|(m, _)| *m == Method::DELETE);
        for (method, path) in ops {
            let op = &doc.json["paths"][&path][method.as_str().to_ascii_lowercase()];
            let Some(requirements) = op["security"].as_array() else { continue };
            // The portal read API takes portal tokens, which carry no API scope.
            if requirements.iter().any(|r| r.get("portal").is_some()) {
                continue;
            }
            let scopes: Vec<&str> = requirements
                .iter()
                .flat_map(|r| r["bearer"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()))
                .collect();
            let url = fill(&path, seed.id_for_path(&path));
            let Some(&scope) = scopes.first() else {
                // Any valid key will do, even one with no scope at all.
                let (bare, _) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::empty(), None, now).await;
                app.call(method.clone(), &url, &bare, None).await.expect(200);
                continue;
            };
            assert_eq!(scopes.len(), 1, "{method} {path}");
            let needed = ApiScope::parse(scope).unwrap_or_else(|| panic!("{path}: unknown scope {scope}"));
            let lacking: ApiScopes = ApiScope::ALL
                .iter()
                .copied()
                .filter(|s| !ApiScopes::empty().with(*s).allows(needed))
                .collect();
            let (without, _) = new_key(app.store.as_ref(), &app.a.account, lacking, None, now).await;
            let (with, _) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::empty().with(needed), None, now).await;

            let denied = app.call(method.clone(), &url, &without, body_for(&method).as_ref()).await;
            denied.expect_error(403, "FORBIDDEN", scope);
            let allowed = app.call(method.clone(), &url, &with, body_for(&method).as_ref()).await;
            assert!(
                allowed.status != 403 && allowed.status != 401,
                "{method} {path} with `{scope}` answered {}: {}",
                allowed.status,
                allowed.text
            );
            checked += 1;
        }
        assert!(checked >= 30, "only {checked} scoped operations");
        // A read scope's write form grants it; the read form does not grant writes.
        let (reader, _) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::empty().with(ApiScope::CustomersRead), None, now).await;
        let before = app.get(&reader, "/api/v1/customers?limit=100").await.list_ids();
        app.post(&reader, "/api/v1/customers", json!({"name": "N", "currency": "EUR"}))
            .await
            .expect_error(403, "FORBIDDEN", "customers:write");
        let after = app.get(&app.a.key, "/api/v1/customers?limit=100").await.list_ids();
        assert_eq!(before, after, "a denied write wrote nothing");
    }

    async fn a_key_revokes_only_keys_and_clients_within_its_scopes(app: TestApp) {
        let now = app.clock.now();
        let settings = ApiScopes::empty().with(ApiScope::SettingsWrite);
        let (admin, _) = new_key(app.store.as_ref(), &app.a.account, settings, None, now).await;
        let (_, full_id) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::all(), None, now).await;
        let (_, peer_id) = new_key(app.store.as_ref(), &app.a.account, settings, None, now).await;
        let broad_client = app.post(&app.a.key, "/api/v1/oauth-clients", json!({"name": "broad", "scopes": ["billing:write"]})).await.expect(201).id();
        let narrow_client = app.post(&app.a.key, "/api/v1/oauth-clients", json!({"name": "narrow", "scopes": ["settings:write"]})).await.expect(201).id();

        // Broader than the revoker: refused, and the key still works.
        app.delete(&admin, &format!("/api/v1/api-keys/{full_id}")).await
            .expect_error(403, "FORBIDDEN", "cannot revoke a key with");
        app.delete(&admin, &format!("/api/v1/oauth-clients/{broad_client}")).await
            .expect_error(403, "FORBIDDEN", "cannot revoke a client with");
        let keys = app.get(&app.a.key, "/api/v1/api-keys?limit=100").await;
        let full = keys.json["data"].as_array().unwrap().iter().find(|k| k["id"] == full_id.to_string()).unwrap().clone();
        assert_eq!(full["revoked_at"], Value::Null, "{full}");
        // Within its scopes: revoked. A key with every scope revokes anything.
        app.delete(&admin, &format!("/api/v1/api-keys/{peer_id}")).await.expect(200);
        app.delete(&admin, &format!("/api/v1/oauth-clients/{narrow_client}")).await.expect(200);
        app.delete(&app.a.key, &format!("/api/v1/api-keys/{full_id}")).await.expect(200);
        app.delete(&app.a.key, &format!("/api/v1/oauth-clients/{broad_client}")).await.expect(200);
        // Another account's key is still just not found.
        app.delete(&admin, &format!("/api/v1/api-keys/{}", app.b.key_id)).await.expect_error(404, "NOT_FOUND", "");
    }

    async fn sec22_revoked_expired_and_wrong_secret_keys_are_401(app: TestApp) {
        let now = app.clock.now();
        let (key, id) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::all(), Some(now.plus_secs(60)), now).await;
        let wrong = api_key::format_key(&id, &api_key::new_secret().secret);
        let b_secret = app.b.key.rsplit_once('_').unwrap().1;
        let crossed = api_key::format_key(&id, b_secret);
        let unknown = api_key::format_key(&ApiKeyId::new(now, [7; 10]), key.rsplit_once('_').unwrap().1);
        for _ in 0..3 {
            app.get(&key, "/api/v1/customers").await.expect(200);
            for bad in [&wrong, &crossed, &unknown] {
                let r = app.get(bad, "/api/v1/customers").await;
                r.expect_error(401, "UNAUTHORIZED", "invalid API key");
                assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
            }
        }

        // Expiry, with the clock moved rather than waited for.
        app.clock.advance_secs(58);
        app.get(&key, "/api/v1/customers").await.expect(200);
        app.clock.advance_secs(2);
        let r = app.get(&key, "/api/v1/customers").await;
        r.expect_error(401, "UNAUTHORIZED", "expired");
        assert!(r.header("www-authenticate").is_some());

        // Revocation takes effect on the very next request.
        let (doomed, doomed_id) = new_key(app.store.as_ref(), &app.a.account, ApiScopes::all(), None, app.clock.now()).await;
        app.get(&doomed, "/api/v1/customers").await.expect(200);
        app.delete(&app.a.key, &format!("/api/v1/api-keys/{doomed_id}")).await.expect(200);
        app.get(&doomed, "/api/v1/customers")
            .await
            .expect_error(401, "UNAUTHORIZED", "revoked");
        app.post(&doomed, "/api/v1/customers", json!({"name": "N", "currency": "EUR"}))
            .await
            .expect(401);

        // Missing or malformed credentials.
        let anonymous = app.send(app.client.get(app.url("/api/v1/customers"))).await;
        anonymous.expect_error(401, "UNAUTHORIZED", "");
        assert!(anonymous.header("www-authenticate").unwrap().starts_with("Bearer"));
        for header in [
            "Basic dXNlcjpwYXNz".to_owned(),
            "Bearer".to_owned(),
            "Bearer portico_sk_".to_owned(),
            format!("Bearer {}x", app.a.key),
            format!("Bearer portico_at_{}", "a".repeat(40)),
            format!("Bearer ' OR 1=1--_{}", "a".repeat(40)),
        ] {
            app.send(app.client.get(app.url("/api/v1/customers")).header("authorization", header.clone()))
                .await
                .expect_error(401, "UNAUTHORIZED", "");
        }
        app.get(&app.a.key, "/api/v1/customers").await.expect(200);
    }

    async fn sec24_the_database_holds_no_key_or_secret(app: TestApp) {
        let mut keys = vec![app.a.key.clone(), app.b.key.clone()];
        app.seed(&app.a.key, "scan").await;
        for (i, idem) in [None, Some("key-create-1")].into_iter().enumerate() {
            let mut req = app
                .request(Method::POST, "/api/v1/api-keys", &app.a.key)
                .json(&json!({"name": format!("scan {i}"), "scopes": ["customers:read"]}));
            if let Some(idem) = idem {
                req = req.header("idempotency-key", idem);
            }
            let r = app.send(req).await;
            r.expect(201);
            keys.push(r.json["key"].as_str().unwrap().to_owned());
        }
        for key in &keys {
            app.get(key, "/api/v1/customers").await.expect(200);
        }

        let text = dump_database(&app).await;
        assert!(
            text.contains(&app.a.key_id.to_string()),
            "the scan does not see the API key table; it would prove nothing"
        );
        for key in &keys {
            let parsed = api_key::parse_key(key).unwrap();
            assert!(text.contains(parsed.id.as_str()), "key id {} not stored?", parsed.id);
            let secret = parsed.secret;
            for needle in [
                key.clone(),
                secret.to_owned(),
                hex(secret.as_bytes()),
                hex(secret.as_bytes()).to_ascii_uppercase(),
            ] {
                assert!(!text.contains(&needle), "the database holds a key or secret ({})", &needle[..12]);
            }
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every value of every column of every table, as text (blobs as hex), joined by newlines.
pub(crate) async fn dump_database(app: &TestApp) -> String {
    let mut out = String::new();
    match app.db.backend {
        portico_testkit::Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            let tables: Vec<String> =
                sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect();
            assert!(tables.len() > 5, "{tables:?}");
            for table in tables {
                let columns: Vec<String> = sqlx::query(&format!("PRAGMA table_info(\"{table}\")"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.get::<String, _>("name"))
                    .collect();
                for column in columns {
                    let rows = sqlx::query(&format!("SELECT quote(\"{column}\") FROM \"{table}\""))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    for row in rows {
                        out.push_str(&row.get::<String, _>(0));
                        out.push('\n');
                    }
                }
            }
        }
        portico_testkit::Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            let columns: Vec<(String, String)> = sqlx::query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect();
            assert!(columns.len() > 20, "{columns:?}");
            for (table, column) in columns {
                let rows = sqlx::query(&format!(
                    "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\""
                ))
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for row in rows {
                    if let Some(v) = row.get::<Option<String>, _>(0) {
                        out.push_str(&v);
                        out.push('\n');
                    }
                }
            }
        }
    }
    out
}
