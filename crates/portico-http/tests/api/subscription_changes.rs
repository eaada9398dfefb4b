//! Customers change their subscriptions: the account's rules for it, the plans' quantity
//! limits, the vendor's cancel with a reason and a mode, and the portal's cancel, resume,
//! reactivate and change of plan or quantity with its preview, each through the action gate.

use serde_json::{Value, json};

use crate::support::TestApp;

portico_testkit::backend_tests! {
    async fn the_rules_for_subscription_changes_are_portal_settings(app: TestApp) {
        let k = &app.a.key;
        let before = app.get(k, "/api/v1/portal-settings").await;
        let rules = &before.expect(200).json["subscription_changes"];
        assert_eq!(rules["cancel_modes"], json!(["at_period_end"]));
        assert_eq!(rules["cancel_refund"], "none");
        assert_eq!(rules["upgrades"], "now_with_proration");
        assert_eq!(rules["downgrades"], "at_period_end");
        assert_eq!(rules["reactivation"], true);

        let changed = app
            .patch(k, "/api/v1/portal-settings", json!({"subscription_changes": {
                "cancel_modes": ["at_period_end", "immediately"], "cancel_refund": "prorated_credit",
                "cancel_reasons": ["Too dear", "Moving on"], "downgrades": "now_without_proration",
            }}))
            .await;
        let rules = &changed.expect(200).json["subscription_changes"];
        assert_eq!(rules["cancel_modes"], json!(["at_period_end", "immediately"]));
        assert_eq!(rules["cancel_refund"], "prorated_credit");
        assert_eq!(rules["cancel_reasons"], json!(["Too dear", "Moving on"]));
        assert_eq!(rules["downgrades"], "now_without_proration");
        assert_eq!(rules["upgrades"], "now_with_proration", "a rule not given is kept");
        assert_eq!(&app.get(k, "/api/v1/portal-settings").await.json["subscription_changes"], rules);

        for (body, field) in [
            (json!({"cancel_modes": []}), "cancel_modes"),
            (json!({"upgrades": "whenever"}), "upgrades"),
            (json!({"cancel_reasons": [""]}), "cancel_reasons"),
            (json!({"refund": "all"}), "refund"),
        ] {
            app.patch(k, "/api/v1/portal-settings", json!({"subscription_changes": body}))
                .await
                .expect_error(400, "BAD_REQUEST", field);
        }
        assert_eq!(&app.get(k, "/api/v1/portal-settings").await.json["subscription_changes"], rules);
    }

    async fn plans_limit_the_quantity_a_customer_may_choose(app: TestApp) {
        let k = &app.a.key;
        let seed = app.seed(k, "lim").await;
        let plan = app.get(k, &format!("/api/v1/plans/{}", seed.plan)).await;
        assert_eq!((&plan.json["min_quantity"], &plan.json["max_quantity"]), (&json!(1), &Value::Null));
        let p = app
            .patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"min_quantity": 2, "max_quantity": 10}))
            .await;
        assert_eq!((&p.expect(200).json["min_quantity"], &p.json["max_quantity"]), (&json!(2), &json!(10)));
        app.patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"max_quantity": 1}))
            .await
            .expect_error(400, "BAD_REQUEST", "max_quantity");
        let p = app.patch(k, &format!("/api/v1/plans/{}", seed.plan), json!({"max_quantity": null})).await;
        assert_eq!(p.expect(200).json["max_quantity"], Value::Null);
        let created = app
            .post(k, "/api/v1/plans", json!({
                "product": seed.product, "name": "Seats", "interval": "month", "unit_amount": 900,
                "currency": "EUR", "min_quantity": 5, "max_quantity": 50,
            }))
            .await;
        assert_eq!((&created.expect(201).json["min_quantity"], &created.json["max_quantity"]), (&json!(5), &json!(50)));
        app.post(k, "/api/v1/plans", json!({
            "product": seed.product, "name": "Seats", "interval": "month", "unit_amount": 900,
            "currency": "EUR", "min_quantity": 0,
        }))
        .await
        .expect_error(400, "BAD_REQUEST", "min_quantity");
    }
}
