//! The catalogue: products and the plans that price them.

use portico_core::model::{NewPlan, NewProduct, Plan, PlanPatch, Product, ProductPatch};

use super::{crud, resource};

resource!(
    /// Products: what the vendor sells.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{NewProduct, ProductPatch};
    /// use portico_client::{Client, ProductFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let pro = client
    ///     .products()
    ///     .create(&NewProduct {
    ///         name: "Pro".into(),
    ///         description: None,
    ///         self_service: true,
    ///         active: true,
    ///     })
    ///     .await?;
    /// let archived = client
    ///     .products()
    ///     .update(&pro.id, &ProductPatch { active: Some(false), ..Default::default() })
    ///     .await?;
    /// assert!(!archived.active);
    /// let all = client.products().pages(ProductFilter::default()).all().await?;
    /// assert!(all.iter().any(|p| p.id == pro.id));
    /// # Ok(()) }
    /// ```
    Products,
    products
);

crud!(
    Products, ProductFilter, Product, "product",
    create: PRODUCTS_CREATE(NewProduct),
    get: PRODUCTS_GET,
    update: PRODUCTS_UPDATE(ProductPatch),
    delete: PRODUCTS_DELETE
        "Deletes a product that no plan refers to; otherwise a conflict (archive it instead).",
);

resource!(
    /// Plans: a product's prices, each with a billing interval.
    ///
    /// ```no_run
    /// # use portico_client::ProductId;
    /// # async fn example(pro: ProductId) -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{Interval, NewPlan};
    /// use portico_client::{Client, Currency, Page, PlanFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let monthly = client
    ///     .plans()
    ///     .create(&NewPlan {
    ///         product: pro.clone(),
    ///         name: "Pro monthly".into(),
    ///         interval: Interval::Month,
    ///         interval_count: 1,
    ///         unit_amount: 2900,
    ///         currency: Currency::parse("currency", "EUR")?,
    ///         self_service: true,
    ///         trial_days: 14,
    ///         min_quantity: 1,
    ///         max_quantity: None,
    ///         active: true,
    ///     })
    ///     .await?;
    /// let of_pro = client
    ///     .plans()
    ///     .list(&PlanFilter { product: Some(pro) }, &Page::first(100))
    ///     .await?;
    /// assert!(of_pro.data.iter().any(|p| p.id == monthly.id));
    /// # Ok(()) }
    /// ```
    Plans,
    plans
);

crud!(
    Plans, PlanFilter, Plan, "plan",
    create: PLANS_CREATE(NewPlan),
    get: PLANS_GET,
    update: PLANS_UPDATE(PlanPatch),
    delete: PLANS_DELETE
        "Deletes a plan that no subscription refers to; otherwise a conflict (archive it instead).",
);
