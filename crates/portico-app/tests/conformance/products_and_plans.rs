//! Products and plans.

use super::*;

backend_tests! {
    async fn products_and_plans_round_trip(db: Db) {
        let account = db.account("acme").await;
        let other = db.account("globex").await;
        let now = db.now();
        let product = catalog::create_product(&db.app, &op(&account.id), NewProduct { name: " Analytics ".into(), description: Some("Dashboards".into()), self_service: false, active: true }, now)
            .await
            .unwrap();
        assert_eq!((product.name.as_str(), product.description.as_deref()), ("Analytics", Some("Dashboards")));
        assert_eq!((product.self_service, product.active, product.created_at, product.updated_at), (false, true, now, now));
        assert_eq!(db.store.product(&account.id, &product.id).await.unwrap(), product);
        assert_invalid(
            catalog::create_product(&db.app, &op(&account.id), NewProduct { name: "".into(), description: None, self_service: true, active: true }, db.now()).await,
            "name",
        );

        let now = db.now();
        let p = ProductPatch { name: Some("Analytics+".into()), description: Some(None), self_service: Some(true), active: Some(false) };
        let product = catalog::update_product(&db.app, &op(&account.id), &product.id, p, now).await.unwrap();
        assert_eq!((product.name.as_str(), product.description.clone(), product.self_service, product.active, product.updated_at), ("Analytics+", None, true, false, now));
        assert_eq!(db.store.product(&account.id, &product.id).await.unwrap(), product);
        let second = db.product(&account).await;
        let page = db.store.list_products(&account.id, first(1)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![second.id.clone()], true));
        let page = db.store.list_products(&account.id, after(1, &second.id)).await.unwrap();
        assert_eq!((ids(&page, |p| &p.id), page.has_more), (vec![product.id.clone()], false));

        let now = db.now();
        let input = NewPlan { product: product.id.clone(), name: "Yearly".into(), interval: Interval::Year, interval_count: 2, unit_amount: 99_00, currency: Currency::USD, self_service: false, trial_days: 14, min_quantity: 2, max_quantity: Some(10), active: true };
        let plan = catalog::create_plan(&db.app, &op(&account.id), input, now).await.unwrap();
        assert_eq!((plan.product.clone(), plan.name.as_str(), plan.interval, plan.interval_count), (product.id.clone(), "Yearly", Interval::Year, 2));
        assert_eq!((plan.unit_amount, plan.currency, plan.self_service, plan.trial_days, plan.active), (99_00, Currency::USD, false, 14, true));
        assert_eq!((plan.created_at, plan.updated_at), (now, now));
        assert_eq!((plan.min_quantity, plan.max_quantity), (2, Some(10)));
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);
        let mut bad = new_plan(&product, 0);
        bad.interval_count = 4;
        bad.interval = Interval::Year;
        assert_invalid(catalog::create_plan(&db.app, &op(&account.id), bad, db.now()).await, "interval_count");
        let mut missing = new_plan(&product, 0);
        missing.product = ProductId::new(db.now(), [5; 10]);
        assert_invalid(catalog::create_plan(&db.app, &op(&account.id), missing, db.now()).await, "product");
        let theirs = db.product(&other).await;
        assert_invalid(catalog::create_plan(&db.app, &op(&account.id), new_plan(&theirs, 0), db.now()).await, "product");

        let now = db.now();
        let plan = catalog::update_plan(&db.app, &op(&account.id), &plan.id, PlanPatch { name: Some("Biennial".into()), self_service: Some(true), trial_days: Some(0), min_quantity: Some(3), max_quantity: Some(None), active: Some(false) }, now).await.unwrap();
        assert_eq!((plan.name.as_str(), plan.self_service, plan.trial_days, plan.active, plan.updated_at), ("Biennial", true, 0, false, now));
        assert_eq!((plan.min_quantity, plan.max_quantity), (3, None));
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);
        assert_invalid(catalog::update_plan(&db.app, &op(&account.id), &plan.id, PlanPatch { trial_days: Some(-1), ..Default::default() }, db.now()).await, "trial_days");
        assert_invalid(catalog::update_plan(&db.app, &op(&account.id), &plan.id, PlanPatch { max_quantity: Some(Some(2)), ..Default::default() }, db.now()).await, "max_quantity");
        assert_eq!(db.store.plan(&account.id, &plan.id).await.unwrap(), plan);

        let other_plan = db.plan(&account, &second, 0).await;
        let by_product = db.store.list_plans(&account.id, Some(&product.id), first(10)).await.unwrap();
        assert_eq!(ids(&by_product, |p| &p.id), vec![plan.id.clone()]);
        let all = db.store.list_plans(&account.id, None, first(10)).await.unwrap();
        assert_eq!(ids(&all, |p| &p.id), vec![other_plan.id.clone(), plan.id.clone()]);

        // Referenced catalogue entries cannot be deleted; unreferenced ones can.
        let msg = assert_conflict(catalog::delete_product(&db.app, &op(&account.id), &product.id, db.now()).await);
        assert!(msg.contains("plans"), "{msg}");
        let customer = db.customer(&account, None).await;
        db.subscription(&account, &customer, &other_plan).await;
        assert_conflict(catalog::delete_plan(&db.app, &op(&account.id), &other_plan.id, db.now()).await);
        assert_eq!(catalog::delete_plan(&db.app, &op(&account.id), &plan.id, db.now()).await.unwrap(), plan);
        assert_not_found(db.store.plan(&account.id, &plan.id).await);
        assert_not_found(catalog::delete_plan(&db.app, &op(&account.id), &plan.id, db.now()).await);
        assert_eq!(catalog::delete_product(&db.app, &op(&account.id), &product.id, db.now()).await.unwrap(), product);
        assert_not_found(db.store.product(&account.id, &product.id).await);
        assert_not_found(catalog::delete_product(&db.app, &op(&account.id), &product.id, db.now()).await);
        assert_not_found(catalog::update_product(&db.app, &op(&account.id), &product.id, ProductPatch::default(), db.now()).await);
        assert_not_found(catalog::update_plan(&db.app, &op(&account.id), &plan.id, PlanPatch::default(), db.now()).await);
    }
}
