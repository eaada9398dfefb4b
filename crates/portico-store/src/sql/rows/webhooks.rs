//! Rows of webhook endpoints and deliveries.

use super::*;
use crate::{DeliveryStatus, WebhookDeliveryRecord, WebhookEndpointRecord};

impl From<&WebhookEndpointId> for Value {
    fn from(v: &WebhookEndpointId) -> Self {
        Value::Text(Some(v.as_str().to_owned()))
    }
}

impl From<&WebhookDeliveryId> for Value {
    fn from(v: &WebhookDeliveryId) -> Self {
        Value::Text(Some(v.as_str().to_owned()))
    }
}

pub(in crate::sql) const WEBHOOK_ENDPOINTS: Table = Table {
    name: "webhook_endpoints",
    columns: &[
        "id",
        "url",
        "description",
        "event_types",
        "enabled",
        "disabled_reason",
        "secret_sealed",
        "previous_secret_sealed",
        "previous_secret_expires_at",
        "last_success_at",
        "created_at",
        "updated_at",
    ],
    soft_delete: false,
};

pub(in crate::sql) fn webhook_endpoint_values(e: &WebhookEndpointRecord) -> Vec<Value> {
    params![
        &e.id,
        e.url.as_str(),
        e.description.as_str(),
        e.event_types.as_ref().map(|types| types.join(" ")),
        e.enabled,
        e.disabled_reason.as_deref(),
        e.secret_sealed.as_str(),
        e.previous_secret_sealed.as_deref(),
        e.previous_secret_expires_at,
        e.last_success_at,
        e.created_at,
        e.updated_at,
    ]
}

/// An endpoint, from a row that also has `account_id`.
pub(in crate::sql) fn webhook_endpoint(row: &Row) -> StoreResult<WebhookEndpointRecord> {
    Ok(WebhookEndpointRecord {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        url: row.text("url")?,
        description: row.text("description")?,
        event_types: row
            .opt_text("event_types")?
            .map(|t| t.split_whitespace().map(str::to_owned).collect()),
        enabled: row.flag("enabled")?,
        disabled_reason: row.opt_text("disabled_reason")?,
        secret_sealed: row.text("secret_sealed")?,
        previous_secret_sealed: row.opt_text("previous_secret_sealed")?,
        previous_secret_expires_at: row.opt_ts("previous_secret_expires_at")?,
        last_success_at: row.opt_ts("last_success_at")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

/// A delivery's columns, with its event's type, for `FROM webhook_deliveries d JOIN outbox o`.
pub(in crate::sql) const DELIVERY_SELECT: &str = "SELECT d.id, d.account_id, d.endpoint_id, \
     d.event_id, o.type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, \
     d.last_status_code, d.last_latency_ms, d.last_error, d.created_at \
     FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id";

pub(in crate::sql) fn webhook_delivery(row: &Row) -> StoreResult<WebhookDeliveryRecord> {
    let status = row.text("status")?;
    Ok(WebhookDeliveryRecord {
        id: row.parsed("id")?,
        account: row.parsed("account_id")?,
        endpoint: row.parsed("endpoint_id")?,
        event: row.parsed("event_id")?,
        event_type: row.text("type")?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt("status", status))?,
        attempts: row.int("attempts")?,
        next_attempt_at: row.opt_ts("next_attempt_at")?,
        last_attempt_at: row.opt_ts("last_attempt_at")?,
        last_status_code: row.opt_int("last_status_code")?,
        last_latency_ms: row.opt_int("last_latency_ms")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.ts("created_at")?,
    })
}
