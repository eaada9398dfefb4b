//! Rows of signing keys, portal sessions and browser sessions.

use super::*;

pub(in crate::sql) const SIGNING_KEYS: Table = Table {
    name: "signing_keys",
    columns: &[
        "id",
        "algorithm",
        "public_key",
        "sealed_private_key",
        "created_at",
        "retired_at",
        "revoked_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn signing_key_values(k: &SigningKeyRecord) -> Vec<Value> {
    params![
        &k.id,
        k.algorithm.as_str(),
        hex::encode(&k.public_key),
        k.sealed_private_key.as_str(),
        k.created_at,
        k.retired_at,
        k.revoked_at,
    ]
}

/// Needs `account_id` selected beside the key's columns.
pub(in crate::sql) fn signing_key(row: &Row) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        algorithm: row.text("algorithm")?,
        public_key: hex::decode(row.text("public_key")?).map_err(|e| corrupt("public_key", e))?,
        sealed_private_key: row.text("sealed_private_key")?,
        created_at: row.ts("created_at")?,
        retired_at: row.opt_ts("retired_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
    })
}

pub(in crate::sql) const PORTAL_SESSIONS: Table = Table {
    name: "portal_sessions",
    columns: &[
        "id",
        "customer_id",
        "contact_id",
        "scopes",
        "return_url",
        "locale",
        "page",
        "issued_at",
        "expires_at",
        "revoked_at",
        "issued_by",
        "flow",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn portal_session_values(s: &PortalSession) -> Vec<Value> {
    params![
        &s.id,
        &s.customer,
        s.contact.as_ref(),
        s.scopes.to_text(),
        s.return_url.clone(),
        s.locale.clone(),
        s.page.as_str(),
        s.issued_at,
        s.expires_at,
        s.revoked_at,
        s.issued_by.as_str(),
        s.flow
            .as_ref()
            .map(|f| serde_json::to_string(f).unwrap_or_default()),
    ]
}

pub(in crate::sql) fn portal_session(row: &Row) -> StoreResult<PortalSession> {
    Ok(PortalSession {
        id: row.parsed("id")?,
        customer: row.parsed("customer_id")?,
        contact: row.opt_parsed("contact_id")?,
        scopes: PortalScopes::parse("scopes", &row.text("scopes")?)
            .map_err(|e| corrupt("scopes", e))?,
        return_url: row.opt_text("return_url")?,
        locale: row.opt_text("locale")?,
        page: row.word("page", PortalPage::parse)?,
        issued_at: row.ts("issued_at")?,
        expires_at: row.ts("expires_at")?,
        revoked_at: row.opt_ts("revoked_at")?,
        issued_by: row.text("issued_by")?,
        flow: row
            .opt_text("flow")?
            .map(|f| serde_json::from_str(&f).map_err(|e| corrupt("flow", e)))
            .transpose()?,
    })
}

/// The columns [`browser_session_view`] reads, over `browser_sessions b`, `portal_sessions p`,
/// `customers c` and the left-joined `contacts k`.
pub(in crate::sql) fn browser_session_view_columns() -> String {
    let session: Vec<String> = PORTAL_SESSIONS
        .columns
        .iter()
        .map(|c| format!("p.{c}"))
        .collect();
    format!(
        "b.account_id, b.csrf_secret, b.created_at AS browser_created_at, b.last_seen_at, \
         b.ended_at, {}, c.deleted_at AS customer_deleted_at, c.portal_enabled, \
         k.id AS contact_found, k.deleted_at AS contact_deleted_at, k.portal_access, k.role",
        session.join(", ")
    )
}

pub(in crate::sql) fn browser_session_view(row: &Row) -> StoreResult<BrowserSessionView> {
    let session = portal_session(row)?;
    let customer_active =
        row.opt_int("customer_deleted_at")?.is_none() && row.flag("portal_enabled")?;
    // A customer session has no contact to lose; a contact session needs its contact alive,
    // with portal access (the left join finds no row once the contact is gone for good).
    let (contact_active, contact_role) = match (&session.contact, row.opt_text("contact_found")?) {
        (None, _) => (true, None),
        (Some(_), None) => (false, None),
        (Some(_), Some(_)) => {
            let active =
                row.opt_int("contact_deleted_at")?.is_none() && row.flag("portal_access")?;
            let role = if active {
                Some(row.word("role", Role::parse)?)
            } else {
                None
            };
            (active, role)
        }
    };
    Ok(BrowserSessionView {
        account: row.parsed("account_id")?,
        session,
        csrf_secret: hash(row, "csrf_secret")?,
        created_at: row.ts("browser_created_at")?,
        last_seen_at: row.ts("last_seen_at")?,
        ended_at: row.opt_ts("ended_at")?,
        customer_active,
        contact_role,
        contact_active,
    })
}
