//! Rows of customers and contacts.

use super::*;

pub(in crate::sql) const CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        "id",
        "alias",
        "name",
        "email",
        "currency",
        "address",
        "tax_id",
        "invoice_recipients",
        "portal_enabled",
        "metadata",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(in crate::sql) fn customer_values(c: &Customer) -> StoreResult<Vec<Value>> {
    Ok(params![
        &c.id,
        c.alias.clone(),
        c.name.as_str(),
        c.email.clone(),
        c.currency.code(),
        to_json(&c.address)?,
        c.tax_id.clone(),
        to_json(&c.invoice_recipients)?,
        c.portal_enabled,
        to_json(&c.metadata)?,
        c.created_at,
        c.updated_at,
    ])
}

pub(in crate::sql) fn customer(row: &Row) -> StoreResult<Customer> {
    Ok(Customer {
        id: row.parsed("id")?,
        alias: row.opt_text("alias")?,
        name: row.text("name")?,
        email: row.opt_text("email")?,
        currency: row.currency("currency")?,
        address: row.json("address")?,
        tax_id: row.opt_text("tax_id")?,
        invoice_recipients: row.json("invoice_recipients")?,
        portal_enabled: row.flag("portal_enabled")?,
        metadata: row.json("metadata")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub(in crate::sql) const CONTACTS: Table = Table {
    name: "contacts",
    columns: &[
        "id",
        "customer_id",
        "external_id",
        "email",
        "name",
        "portal_access",
        "role",
        "created_at",
        "updated_at",
    ],
    soft_delete: true,
};

pub(in crate::sql) fn contact_values(c: &Contact) -> Vec<Value> {
    params![
        &c.id,
        &c.customer,
        c.external_id.clone(),
        c.email.as_str(),
        c.name.clone(),
        c.portal_access,
        c.role.as_str(),
        c.created_at,
        c.updated_at,
    ]
}

pub(in crate::sql) fn contact(row: &Row) -> StoreResult<Contact> {
    Ok(Contact {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        external_id: row.opt_text("external_id")?,
        email: row.text("email")?,
        name: row.opt_text("name")?,
        portal_access: row.flag("portal_access")?,
        role: row.word("role", Role::parse)?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

// --- catalogue ---
