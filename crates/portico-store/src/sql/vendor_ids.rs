//! Vendor identifiers stored before they were refused the form of a Portico id.

use portico_core::id::has_id_form;

use super::db::Pool;
use super::rows::{RowExt, query};
use crate::{IdFormVendorId, StoreResult};

/// Every customer alias and contact external id of the form of a Portico id, deleted records
/// aside (they give their ids back). Only values with an underscore can have the form; `!`
/// escapes `_`, which `LIKE` otherwise reads as any character.
pub(super) async fn id_form_vendor_ids(pool: &Pool) -> StoreResult<Vec<IdFormVendorId>> {
    let mut found = Vec::new();
    for (table, column, field) in [
        ("customers", "alias", "alias"),
        ("contacts", "external_id", "external_id"),
    ] {
        let sql = format!(
            "SELECT a.subdomain, r.id, r.{column} AS value FROM {table} r \
             JOIN accounts a ON a.id = r.account_id \
             WHERE r.{column} LIKE '%!_%' ESCAPE '!' AND r.deleted_at IS NULL \
             ORDER BY a.subdomain, r.id"
        );
        for row in query(&sql, vec![]).fetch_all(pool).await? {
            let value = row.text("value")?;
            if has_id_form(&value) {
                found.push(IdFormVendorId {
                    account: row.text("subdomain")?,
                    record: row.text("id")?,
                    field,
                    value,
                });
            }
        }
    }
    Ok(found)
}
