//! Events: what happened to an account's records, as the vendor will be told. A use case records
//! each event in the same transaction as the change it describes (the outbox), so that a change
//! and its event are stored together or not at all.

use serde::Serialize;

use crate::{AccountId, CustomerId, EventId, Timestamp};

/// What happened. The names are the `type` a vendor receives (`customer.updated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EventType {
    /// A portal session was issued to the vendor for one customer (or contact).
    #[serde(rename = "portal_session.created")]
    PortalSessionCreated,
    /// A browser opened the portal with the session: a browser session began.
    #[serde(rename = "portal_session.entered")]
    PortalSessionEntered,
    /// The session ended for good: revoked by the vendor, by logging out, by a newer session
    /// that replaced it, or because the customer's or contact's portal access was switched off.
    #[serde(rename = "portal_session.revoked")]
    PortalSessionRevoked,
    #[serde(rename = "customer.created")]
    CustomerCreated,
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    #[serde(rename = "customer.deleted")]
    CustomerDeleted,
    #[serde(rename = "contact.created")]
    ContactCreated,
    #[serde(rename = "contact.updated")]
    ContactUpdated,
    #[serde(rename = "contact.deleted")]
    ContactDeleted,
    #[serde(rename = "product.created")]
    ProductCreated,
    #[serde(rename = "product.updated")]
    ProductUpdated,
    #[serde(rename = "product.deleted")]
    ProductDeleted,
    #[serde(rename = "plan.created")]
    PlanCreated,
    #[serde(rename = "plan.updated")]
    PlanUpdated,
    #[serde(rename = "plan.deleted")]
    PlanDeleted,
    #[serde(rename = "subscription.created")]
    SubscriptionCreated,
    #[serde(rename = "subscription.updated")]
    SubscriptionUpdated,
    #[serde(rename = "subscription.canceled")]
    SubscriptionCanceled,
    /// A cancellation at the end of the period was taken back.
    #[serde(rename = "subscription.resumed")]
    SubscriptionResumed,
    /// A canceled subscription started again.
    #[serde(rename = "subscription.reactivated")]
    SubscriptionReactivated,
    /// The billing clock moved the subscription into its next period.
    #[serde(rename = "subscription.renewed")]
    SubscriptionRenewed,
    /// A charge of the subscription's invoice failed, or its trial ended without a way to pay.
    #[serde(rename = "subscription.past_due")]
    SubscriptionPastDue,
    /// Collection was paused for some periods.
    #[serde(rename = "subscription.paused")]
    SubscriptionPaused,
    /// A change of plan or quantity was scheduled for the end of the period.
    #[serde(rename = "subscription.change_scheduled")]
    SubscriptionChangeScheduled,
    #[serde(rename = "invoice.created")]
    InvoiceCreated,
    #[serde(rename = "invoice.updated")]
    InvoiceUpdated,
    /// An invoice was issued (opened for payment, numbered).
    #[serde(rename = "invoice.issued")]
    InvoiceIssued,
    #[serde(rename = "invoice.paid")]
    InvoicePaid,
    /// A charge of the invoice failed.
    #[serde(rename = "invoice.payment_failed")]
    InvoicePaymentFailed,
    /// Every charge of the invoice failed and the clock stopped trying.
    #[serde(rename = "invoice.overdue")]
    InvoiceOverdue,
    #[serde(rename = "invoice.voided")]
    InvoiceVoided,
    #[serde(rename = "invoice.deleted")]
    InvoiceDeleted,
    #[serde(rename = "transaction.created")]
    TransactionCreated,
    #[serde(rename = "transaction.updated")]
    TransactionUpdated,
    #[serde(rename = "transaction.deleted")]
    TransactionDeleted,
    /// A payment method was added to the customer (through the provider, or over the API).
    #[serde(rename = "payment_method.attached")]
    PaymentMethodAttached,
    #[serde(rename = "payment_method.updated")]
    PaymentMethodUpdated,
    /// A payment method was removed from the customer, or replaced.
    #[serde(rename = "payment_method.detached")]
    PaymentMethodDetached,
    /// The payment method became its customer's default (the one before no longer is).
    #[serde(rename = "payment_method.default_changed")]
    PaymentMethodDefaultChanged,
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "payment.action_required")]
    PaymentActionRequired,
    #[serde(rename = "payment_provider.updated")]
    PaymentProviderUpdated,
}

impl EventType {
    /// Every type, in catalogue order.
    pub const ALL: [EventType; 43] = [
        EventType::PortalSessionCreated,
        EventType::PortalSessionEntered,
        EventType::PortalSessionRevoked,
        EventType::CustomerCreated,
        EventType::CustomerUpdated,
        EventType::CustomerDeleted,
        EventType::ContactCreated,
        EventType::ContactUpdated,
        EventType::ContactDeleted,
        EventType::ProductCreated,
        EventType::ProductUpdated,
        EventType::ProductDeleted,
        EventType::PlanCreated,
        EventType::PlanUpdated,
        EventType::PlanDeleted,
        EventType::SubscriptionCreated,
        EventType::SubscriptionUpdated,
        EventType::SubscriptionCanceled,
        EventType::SubscriptionResumed,
        EventType::SubscriptionReactivated,
        EventType::SubscriptionRenewed,
        EventType::SubscriptionPastDue,
        EventType::SubscriptionPaused,
        EventType::SubscriptionChangeScheduled,
        EventType::InvoiceCreated,
        EventType::InvoiceUpdated,
        EventType::InvoiceIssued,
        EventType::InvoicePaid,
        EventType::InvoicePaymentFailed,
        EventType::InvoiceOverdue,
        EventType::InvoiceVoided,
        EventType::InvoiceDeleted,
        EventType::TransactionCreated,
        EventType::TransactionUpdated,
        EventType::TransactionDeleted,
        EventType::PaymentMethodAttached,
        EventType::PaymentMethodUpdated,
        EventType::PaymentMethodDetached,
        EventType::PaymentMethodDefaultChanged,
        EventType::PaymentSucceeded,
        EventType::PaymentFailed,
        EventType::PaymentActionRequired,
        EventType::PaymentProviderUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PortalSessionCreated => "portal_session.created",
            EventType::PortalSessionEntered => "portal_session.entered",
            EventType::PortalSessionRevoked => "portal_session.revoked",
            EventType::CustomerCreated => "customer.created",
            EventType::CustomerUpdated => "customer.updated",
            EventType::CustomerDeleted => "customer.deleted",
            EventType::ContactCreated => "contact.created",
            EventType::ContactUpdated => "contact.updated",
            EventType::ContactDeleted => "contact.deleted",
            EventType::ProductCreated => "product.created",
            EventType::ProductUpdated => "product.updated",
            EventType::ProductDeleted => "product.deleted",
            EventType::PlanCreated => "plan.created",
            EventType::PlanUpdated => "plan.updated",
            EventType::PlanDeleted => "plan.deleted",
            EventType::SubscriptionCreated => "subscription.created",
            EventType::SubscriptionUpdated => "subscription.updated",
            EventType::SubscriptionCanceled => "subscription.canceled",
            EventType::SubscriptionResumed => "subscription.resumed",
            EventType::SubscriptionReactivated => "subscription.reactivated",
            EventType::SubscriptionRenewed => "subscription.renewed",
            EventType::SubscriptionPastDue => "subscription.past_due",
            EventType::SubscriptionPaused => "subscription.paused",
            EventType::SubscriptionChangeScheduled => "subscription.change_scheduled",
            EventType::InvoiceCreated => "invoice.created",
            EventType::InvoiceUpdated => "invoice.updated",
            EventType::InvoiceIssued => "invoice.issued",
            EventType::InvoicePaid => "invoice.paid",
            EventType::InvoicePaymentFailed => "invoice.payment_failed",
            EventType::InvoiceOverdue => "invoice.overdue",
            EventType::InvoiceVoided => "invoice.voided",
            EventType::InvoiceDeleted => "invoice.deleted",
            EventType::TransactionCreated => "transaction.created",
            EventType::TransactionUpdated => "transaction.updated",
            EventType::TransactionDeleted => "transaction.deleted",
            EventType::PaymentMethodAttached => "payment_method.attached",
            EventType::PaymentMethodUpdated => "payment_method.updated",
            EventType::PaymentMethodDetached => "payment_method.detached",
            EventType::PaymentMethodDefaultChanged => "payment_method.default_changed",
            EventType::PaymentSucceeded => "payment.succeeded",
            EventType::PaymentFailed => "payment.failed",
            EventType::PaymentActionRequired => "payment.action_required",
            EventType::PaymentProviderUpdated => "payment_provider.updated",
        }
    }

    /// The record an event of this type carries as its `data`, by its schema's name in the API
    /// document (`Subscription`, `PaymentAttempt`, …).
    pub fn record(self) -> &'static str {
        use EventType::*;
        match self {
            PortalSessionCreated | PortalSessionEntered | PortalSessionRevoked => "PortalSession",
            CustomerCreated | CustomerUpdated | CustomerDeleted => "Customer",
            ContactCreated | ContactUpdated | ContactDeleted => "Contact",
            ProductCreated | ProductUpdated | ProductDeleted => "Product",
            PlanCreated | PlanUpdated | PlanDeleted => "Plan",
            SubscriptionCreated
            | SubscriptionUpdated
            | SubscriptionCanceled
            | SubscriptionResumed
            | SubscriptionReactivated
            | SubscriptionRenewed
            | SubscriptionPastDue
            | SubscriptionPaused
            | SubscriptionChangeScheduled => "Subscription",
            InvoiceCreated | InvoiceUpdated | InvoiceIssued | InvoicePaid
            | InvoicePaymentFailed | InvoiceOverdue | InvoiceVoided | InvoiceDeleted => "Invoice",
            TransactionCreated | TransactionUpdated | TransactionDeleted => "Transaction",
            PaymentMethodAttached
            | PaymentMethodUpdated
            | PaymentMethodDetached
            | PaymentMethodDefaultChanged => "PaymentMethod",
            PaymentSucceeded | PaymentFailed | PaymentActionRequired => "PaymentAttempt",
            PaymentProviderUpdated => "PaymentProvider",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change: kept with its event, for the vendor's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// The vendor's backend, with an API key.
    ApiKey(crate::ApiKeyId),
    /// The vendor's backend, with an OAuth client's token.
    OauthClient(crate::OAuthClientId),
    /// A customer (or one of its contacts) in the portal, in this portal session.
    Portal(crate::PortalSessionId),
    /// An operator at the command line.
    Operator,
    /// Portico itself (the billing clock).
    System,
}

impl Actor {
    /// The actor as stored: `api_key:key_…`, `portal:ps_…`, `operator`, `system`.
    pub fn to_text(&self) -> String {
        match self {
            Actor::ApiKey(id) => format!("api_key:{id}"),
            Actor::OauthClient(id) => format!("oauth_client:{id}"),
            Actor::Portal(id) => format!("portal:{id}"),
            Actor::Operator => "operator".to_owned(),
            Actor::System => "system".to_owned(),
        }
    }

    /// Who issued a portal session, as recorded with it: the key or client id, or `cli` for
    /// the operator. `None` for actors that do not issue sessions (the portal, Portico itself).
    pub fn issuer(&self) -> Option<String> {
        match self {
            Actor::ApiKey(id) => Some(id.to_string()),
            Actor::OauthClient(id) => Some(id.to_string()),
            Actor::Operator => Some("cli".to_owned()),
            Actor::Portal(_) | Actor::System => None,
        }
    }

    /// The actor that issued a portal session, from what was recorded with it
    /// ([`Self::issuer`]).
    pub fn from_issuer(issuer: &str) -> Option<Actor> {
        if issuer == "cli" {
            return Some(Actor::Operator);
        }
        issuer
            .parse()
            .map(Actor::ApiKey)
            .or_else(|_| issuer.parse().map(Actor::OauthClient))
            .ok()
    }

    pub fn parse(s: &str) -> Option<Actor> {
        Some(match s.split_once(':') {
            Some(("api_key", id)) => Actor::ApiKey(id.parse().ok()?),
            Some(("oauth_client", id)) => Actor::OauthClient(id.parse().ok()?),
            Some(("portal", id)) => Actor::Portal(id.parse().ok()?),
            None if s == "operator" => Actor::Operator,
            None if s == "system" => Actor::System,
            _ => return None,
        })
    }
}

/// Where a change came from: the request that made it, for the vendor's audit trail. Changes
/// made outside a request (the billing clock, the command line) have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The request's id, as its answer said in `x-request-id`.
    pub request_id: String,
    /// The client's address: the peer's, or the one a trusted proxy reported. Never sent in a
    /// webhook; only the vendor's API shows it.
    pub ip: Option<std::net::IpAddr>,
}

/// One event of one account: its record as it was right after the change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: EventId,
    #[serde(skip)]
    pub account: AccountId,
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The customer the record belongs to, for the records that belong to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
    pub actor: Actor,
    /// The record, as the API shows it.
    pub data: serde_json::Value,
    pub created_at: Timestamp,
    /// The request that made the change, if a request did.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_name_and_parses_back() {
        let mut names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::Value::from(t.as_str()))
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
        assert_eq!(EventType::parse("customer.exploded"), None);
    }

    #[test]
    fn actors_round_trip_through_their_text() {
        let now = Timestamp::from_millis(1_767_225_600_000);
        for actor in [
            Actor::ApiKey(crate::ApiKeyId::new(now, [1; 10])),
            Actor::OauthClient(crate::OAuthClientId::new(now, [2; 10])),
            Actor::Portal(crate::PortalSessionId::new(now, [3; 10])),
            Actor::Operator,
            Actor::System,
        ] {
            assert_eq!(Actor::parse(&actor.to_text()), Some(actor.clone()));
            if let Some(issuer) = actor.issuer() {
                assert_eq!(Actor::from_issuer(&issuer), Some(actor));
            }
        }
        assert_eq!(Actor::from_issuer("cus_x"), None);
        let key = crate::ApiKeyId::new(now, [1; 10]);
        assert_eq!(Actor::ApiKey(key.clone()).issuer(), Some(key.to_string()));
        assert_eq!(Actor::Operator.issuer().as_deref(), Some("cli"));
        assert_eq!(Actor::System.issuer(), None);
        assert_eq!(Actor::parse("api_key:cus_x"), None);
        assert_eq!(Actor::parse("nobody"), None);
    }
}
