//! SECURITY 23: a contact with the `viewer` role sees no action form, and every state-changing
//! portal route refuses its POST with 403 and changes nothing.

use serde_json::json;

use crate::portal_flows::csrf_of;
use crate::portal_security::PAGES;
use crate::support::Portal;

/// Every state-changing portal route, as the router is built from them, with the seeded
/// records' ids in place of `{id}`.
fn action_routes(seed: &crate::support::Seeded) -> Vec<String> {
    portico_http::portal::action_paths()
        .into_iter()
        .map(|path| {
            let id = if path.starts_with("/portal/subscriptions/") {
                &seed.subscription
            } else if path.starts_with("/portal/invoices/") {
                &seed.invoice
            } else if path.starts_with("/portal/payment-method/") {
                &seed.payment_method
            } else {
                assert!(
                    !path.contains('{'),
                    "a record kind this test does not seed: {path}"
                );
                ""
            };
            path.replace("{id}", id)
        })
        .collect()
}

portico_testkit::backend_tests! {
    async fn sec23_a_viewer_posting_any_change_is_refused_and_nothing_changes(app: Portal) {
        let k = &app.a.key;
        let seed = app.seed(k, "vw").await;
        app.patch(k, "/api/v1/portal-settings", json!({"subscription_changes": {"pause": true}}))
            .await
            .expect(200);
        app.patch(k, &format!("/api/v1/contacts/{}", seed.contact), json!({"role": "viewer"}))
            .await
            .expect(200);
        let r = app.portal_session(k, json!({"customer": seed.customer, "contact": seed.contact})).await;
        let cookie = app.enter(r.json["token"].as_str().unwrap()).await;
        let csrf = csrf_of(&app, &cookie, "/portal/subscriptions").await;
        for page in PAGES {
            let r = app.browse(page, Some(&cookie)).await;
            if r.status == 200 {
                assert_eq!(
                    r.text.matches("method=\"post\"").count(),
                    1,
                    "{page}: a viewer sees only the logout form: {}",
                    r.text
                );
            }
        }
        let state = || async {
            let paths = [
                format!("/api/v1/subscriptions/{}", seed.subscription),
                format!("/api/v1/customers/{}", seed.customer),
                format!("/api/v1/invoices/{}", seed.invoice),
                format!("/api/v1/payment-methods?customer={}", seed.customer),
            ];
            let mut all = Vec::new();
            for p in paths {
                all.push(app.get(k, &p).await.expect(200).json.clone());
            }
            all
        };
        let before = state().await;
        let routes = action_routes(&seed);
        // The twelve there were when the list was made, at the least.
        assert!(routes.len() >= 12, "{routes:?}");
        for path in routes {
            let form = [
                ("csrf", csrf.as_str()), ("mode", "immediately"), ("periods", "1"), ("plan", seed.plan.as_str()),
                ("quantity", "3"), ("name", "Viewer was here"), ("country", "DE"),
            ];
            let r = app.submit(&path, Some(&cookie), &form).await;
            assert_eq!(r.status, 403, "{path}: {}", r.text);
        }
        assert_eq!(state().await, before, "a refused change changed something");
    }
}
