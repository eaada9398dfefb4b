//! Operator actions shared by the CLI and the demo: accounts, API keys and the billing clock.

use anyhow::Context;
use portico_app::credentials::NewCredential;
use portico_app::{App, Caller};
use portico_core::model::Account;
use portico_core::scope::ApiScopes;
use portico_core::{ApiKeyId, Timestamp};
use portico_store::{IdFormVendorId, Store};

/// A new API key of the account, as the operator; returns its id and the full key, the only
/// time it exists outside the caller.
pub async fn create_api_key(
    app: &App,
    account: &Account,
    name: &str,
    scopes: ApiScopes,
    now: Timestamp,
) -> anyhow::Result<(ApiKeyId, String)> {
    let input = NewCredential {
        name: name.to_owned(),
        scopes,
        expires_at: None,
    };
    let by = Caller::operator(account.id.clone());
    let created = portico_app::credentials::create_api_key(app, &by, input, now)
        .await
        .context("cannot create the API key")?;
    Ok((created.record.id, created.secret))
}

/// `portico billing run`: runs the billing clock once, as of `until` (RFC 3339; now when
/// absent), over every due subscription not attached to a test clock; returns what it did, as
/// one line.
pub async fn billing_run(app: &App, until: Option<&str>) -> anyhow::Result<String> {
    let at = match until {
        Some(text) => Timestamp::parse_rfc3339("--until", text)?,
        None => app.clock.now(),
    };
    let report = portico_app::billing::run_due(app, &portico_store::ClockScope::Real, at)
        .await
        .context("the billing clock's run failed")?;
    Ok(format!(
        "billing clock as of {at}: {} subscriptions, {} renewed, {} ended, {} charges paid, \
         {} failed, {} left for a later run",
        report.subscriptions, report.renewed, report.ended, report.paid, report.failed, report.left
    ))
}

pub async fn account_by_subdomain(store: &dyn Store, subdomain: &str) -> anyhow::Result<Account> {
    store
        .account_by_subdomain(subdomain)
        .await
        .with_context(|| format!("no account with subdomain `{subdomain}`"))
}

/// What `portico migrate` says about vendor ids of the form of a Portico id: nothing when there
/// are none, else why they matter and, for each, the API call that gives it a new value.
pub fn id_form_report(found: &[IdFormVendorId]) -> Vec<String> {
    if found.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![format!(
        "{} vendor id(s) have the form of a Portico id, stored before such ids were refused; a \
         lookup by one may find another record. Give each a new value with the account's API key:",
        found.len()
    )];
    for f in found {
        let collection = if f.field == "alias" {
            "customers"
        } else {
            "contacts"
        };
        lines.push(format!(
            "  account {}, {} {} is `{}`:\n    curl -X PATCH \"$PORTICO/api/v1/{collection}/{}\" \
             -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \
             -d '{{\"{}\": \"NEW-VALUE\"}}'",
            f.account, f.record, f.field, f.value, f.record, f.field
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_form_report_names_each_record_and_its_fix() {
        assert!(id_form_report(&[]).is_empty());
        let lines = id_form_report(&[IdFormVendorId {
            account: "acme".into(),
            record: "ctc_01jd0v4m3g6k2x8r9t7w5y1q3a".into(),
            field: "external_id",
            value: "ctc_01jd0v4m3g6k2x8r9t7w5y1q3z".into(),
        }]);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("1 vendor id(s)"), "{}", lines[0]);
        assert!(
            lines[1].contains("/api/v1/contacts/ctc_01jd0v4m3g6k2x8r9t7w5y1q3a"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(r#"{"external_id": "NEW-VALUE"}"#),
            "{}",
            lines[1]
        );
    }
}
