//! Rows of products and plans.

use super::*;

pub(in crate::sql) const PRODUCTS: Table = Table {
    name: "products",
    columns: &[
        "id",
        "name",
        "description",
        "self_service",
        "active",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn product_values(p: &Product) -> Vec<Value> {
    params![
        &p.id,
        p.name.as_str(),
        p.description.clone(),
        p.self_service,
        p.active,
        p.created_at,
        p.updated_at,
    ]
}

pub(in crate::sql) fn product(row: &Row) -> StoreResult<Product> {
    Ok(Product {
        id: row.parsed("id")?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        self_service: row.flag("self_service")?,
        active: row.flag("active")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const PLANS: Table = Table {
    name: "plans",
    columns: &[
        "id",
        "product_id",
        "name",
        "billing_interval",
        "interval_count",
        "unit_amount",
        "currency",
        "self_service",
        "trial_days",
        "active",
        "created_at",
        "updated_at",
        "min_quantity",
        "max_quantity",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn plan_values(p: &Plan) -> Vec<Value> {
    params![
        &p.id,
        &p.product,
        p.name.as_str(),
        p.interval.as_str(),
        p.interval_count,
        p.unit_amount,
        p.currency.code(),
        p.self_service,
        p.trial_days,
        p.active,
        p.created_at,
        p.updated_at,
        p.min_quantity,
        p.max_quantity,
    ]
}

pub(in crate::sql) fn plan(row: &Row) -> StoreResult<Plan> {
    Ok(Plan {
        id: row.parsed("id")?,
        product: row.parsed("product_id")?,
        name: row.text("name")?,
        interval: row.word("billing_interval", Interval::parse)?,
        interval_count: row.small("interval_count")?,
        unit_amount: row.int("unit_amount")?,
        currency: row.currency("currency")?,
        self_service: row.flag("self_service")?,
        trial_days: row.small("trial_days")?,
        min_quantity: row.int("min_quantity")?,
        max_quantity: row.opt_int("max_quantity")?,
        active: row.flag("active")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- billing ---
