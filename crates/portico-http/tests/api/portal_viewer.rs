//! SECURITY 23: a contact with the `viewer` role sees no action form, and every state-changing
//! portal route refuses its POST with 403 and changes nothing.

use serde_json::json;

use crate::portal_flows::csrf_of;
use crate::portal_security::PAGES;
use crate::support::Portal;

/// Every state-changing portal route, with `{sub}`, `{inv}` and `{pm}` for the seeded records.
/// Logging out is not a change of billing data and is left out.
pub const ACTION_ROUTES: &[&str] = &[
    "/portal/account",
    "/portal/invoices/{inv}/pay",
    "/portal/payment-method/add",
    "/portal/payment-method/{pm}/default",
    "/portal/payment-method/{pm}/remove",
    "/portal/subscriptions/{sub}/cancel",
    "/portal/subscriptions/{sub}/change",
    "/portal/subscriptions/{sub}/pause",
    "/portal/subscriptions/{sub}/unpause",
    "/portal/subscriptions/{sub}/resume",
    "/portal/subscriptions/{sub}/reactivate",
    "/portal/subscriptions/{sub}/withdraw-change",
];

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
        for route in ACTION_ROUTES {
            let path = route
                .replace("{sub}", &seed.subscription)
                .replace("{inv}", &seed.invoice)
                .replace("{pm}", &seed.payment_method);
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
