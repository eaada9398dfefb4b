//! Portal access: the portal sessions a vendor issues for a customer or contact, and the rules
//! that decide what such a session may do.

use serde::{Deserialize, Serialize};

use super::{Contact, Customer, PortalFeatures, PortalFlow, Role, text_enum};
use crate::error::{self, Invalid, ValidationResult};
use crate::scope::{ApiScopes, PortalScope, PortalScopes};
use crate::{ContactId, CustomerId, OAuthClientId, PortalSessionId, Timestamp};

/// Portal token lifetimes, in seconds (the REST dialect's `expires_in_seconds` bounds).
pub const MIN_SESSION_SECS: i64 = 60;
pub const MAX_SESSION_SECS: i64 = 2_592_000;
pub const DEFAULT_SESSION_SECS: i64 = 86_400;

text_enum!(
    /// The page a portal link opens on.
    PortalPage {
        Overview = "overview",
        Subscriptions = "subscriptions",
        Transactions = "transactions",
        Invoices = "invoices",
        PaymentMethod = "payment-method",
        Account = "account",
    }
);

impl PortalPage {
    /// Whether a session may see this page: the account's feature switch is on and the session
    /// has the scope. The overview is always there.
    pub fn visible(self, features: &PortalFeatures, scopes: PortalScopes) -> bool {
        match self {
            PortalPage::Overview => true,
            PortalPage::Subscriptions => {
                features.subscriptions && scopes.contains(PortalScope::SubscriptionsRead)
            }
            PortalPage::Transactions => {
                features.transactions && scopes.contains(PortalScope::InvoicesRead)
            }
            PortalPage::Invoices => features.invoices && scopes.contains(PortalScope::InvoicesRead),
            PortalPage::PaymentMethod => {
                features.payment_methods && scopes.contains(PortalScope::PaymentMethodsRead)
            }
            PortalPage::Account => features.account && scopes.contains(PortalScope::AccountRead),
        }
    }

    /// The page's path under the portal root.
    pub fn path(self) -> &'static str {
        match self {
            PortalPage::Overview => "/portal",
            PortalPage::Subscriptions => "/portal/subscriptions",
            PortalPage::Transactions => "/portal/transactions",
            PortalPage::Invoices => "/portal/invoices",
            PortalPage::PaymentMethod => "/portal/payment-method",
            PortalPage::Account => "/portal/account",
        }
    }
}

text_enum!(
    /// Who a portal session acts as (the token's `uid_type`).
    PortalUserType { Customer = "Customer", Contact = "Contact" }
);

/// A grant of portal access to one customer (or one contact of it), until `expires_at` or
/// until revoked. Its id is the `jti` of the portal token that carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalSession {
    pub id: PortalSessionId,
    pub customer: CustomerId,
    pub contact: Option<ContactId>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    #[serde(
        serialize_with = "serialize_portal_scopes",
        deserialize_with = "deserialize_portal_scopes"
    )]
    pub scopes: PortalScopes,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub page: PortalPage,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// The API key or OAuth client that issued it (`key_…`, `cli_…`), or `cli` for the command line.
    pub issued_by: String,
    /// The one task the session is locked to, if it is a single-task link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<PortalFlow>,
}

impl PortalSession {
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

fn serialize_portal_scopes<S: serde::Serializer>(
    scopes: &PortalScopes,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(scopes.iter().map(|x| x.as_str()))
}

fn deserialize_portal_scopes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<PortalScopes, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    PortalScopes::parse_list("scopes", &names).map_err(serde::de::Error::custom)
}

/// The scopes the account's portal settings allow at all.
pub fn scopes_allowed_by(features: &PortalFeatures) -> PortalScopes {
    let mut scopes = PortalScopes::empty();
    let mut grant = |on: bool, list: &[PortalScope]| {
        if on {
            scopes = list.iter().fold(scopes, |s, x| s.with(*x));
        }
    };
    grant(features.subscriptions, &[PortalScope::SubscriptionsRead]);
    grant(
        features.subscriptions
            && (features.cancel || features.plan_change || features.quantity_change),
        &[PortalScope::SubscriptionsWrite],
    );
    grant(
        features.invoices || features.transactions,
        &[PortalScope::InvoicesRead],
    );
    grant(
        features.payment_methods,
        &[
            PortalScope::PaymentMethodsRead,
            PortalScope::PaymentMethodsWrite,
        ],
    );
    grant(
        features.account,
        &[PortalScope::AccountRead, PortalScope::AccountWrite],
    );
    scopes
}

/// The scopes a contact's role allows: a viewer reads, the others may also change things.
pub fn scopes_allowed_for(role: Role) -> PortalScopes {
    match role {
        Role::Viewer => PortalScopes::read_only(),
        // Changing or ending a subscription commits the customer: only an owner may.
        Role::Billing => PortalScopes::all()
            .iter()
            .filter(|s| *s != PortalScope::SubscriptionsWrite)
            .fold(PortalScopes::empty(), PortalScopes::with),
        Role::Owner => PortalScopes::all(),
    }
}

/// A session's scopes: what the vendor asked for, within the account's settings and the role.
pub fn session_scopes(
    requested: Option<PortalScopes>,
    features: &PortalFeatures,
    role: Option<Role>,
) -> PortalScopes {
    let mut scopes = requested
        .unwrap_or_else(PortalScopes::all)
        .intersect(scopes_allowed_by(features));
    if let Some(role) = role {
        scopes = scopes.intersect(scopes_allowed_for(role));
    }
    scopes
}

/// Why portal access cannot be granted to this customer or contact right now.
pub fn access_refusal(customer: &Customer, contact: Option<&Contact>) -> Option<&'static str> {
    if !customer.portal_enabled {
        return Some("portal access is disabled for this customer");
    }
    match contact {
        Some(c) if c.customer != customer.id => Some("the contact belongs to another customer"),
        Some(c) if !c.portal_access => Some("portal access is disabled for this contact"),
        _ => None,
    }
}

/// A native API request for a portal session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewPortalSession {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    /// Contact id or external id; the session then acts as that contact, within its role.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub contact: Option<String>,
    /// 60 to 2592000; default 86400.
    #[cfg_attr(feature = "openapi", schema(minimum = 60, maximum = 2592000))]
    pub expires_in_seconds: Option<i64>,
    /// Where "back to vendor" leads.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 2048, pattern = r"^https?://[^/\s]\S*$")
    )]
    pub return_url: Option<String>,
    /// `en`, `de`, `fr` or `es`; default: the browser's language, else the account's.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(en|de|fr|es)$"))]
    pub locale: Option<String>,
    pub page: Option<PortalPage>,
    /// A subset of the portal scopes; default all that the account and role allow.
    pub scopes: Option<Vec<String>>,
    /// Revoke the customer's other live portal sessions.
    #[serde(default)]
    pub invalidate_existing: bool,
    /// Lock the session to one task (a single-task link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<PortalFlow>,
}

/// A validated portal session request.
#[derive(Debug, Clone)]
pub struct PortalSessionRequest {
    pub expires_in_seconds: i64,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub page: PortalPage,
    pub scopes: Option<PortalScopes>,
    pub invalidate_existing: bool,
}

pub fn check_expires_in(field: &str, secs: Option<i64>) -> ValidationResult<i64> {
    match secs {
        None => Ok(DEFAULT_SESSION_SECS),
        Some(s) if (MIN_SESSION_SECS..=MAX_SESSION_SECS).contains(&s) => Ok(s),
        Some(_) => Err(Invalid::new(
            field,
            format!("must be between {MIN_SESSION_SECS} and {MAX_SESSION_SECS} seconds"),
        )),
    }
}

impl NewPortalSession {
    pub fn validate(&self) -> ValidationResult<PortalSessionRequest> {
        let locale = match self.locale.as_deref() {
            None => None,
            Some(l) if super::LOCALES.contains(&l) => Some(l.to_owned()),
            Some(_) => return Err(Invalid::new("locale", "must be one of: en, de, fr, es")),
        };
        let scopes = self
            .scopes
            .as_deref()
            .map(|names| PortalScopes::parse_list("scopes", names))
            .transpose()?;
        if let Some(flow) = &self.flow {
            flow.validate()?;
        }
        Ok(PortalSessionRequest {
            expires_in_seconds: check_expires_in("expires_in_seconds", self.expires_in_seconds)?,
            return_url: self
                .return_url
                .as_deref()
                .map(|u| error::url("return_url", u))
                .transpose()?,
            locale,
            page: self.page.unwrap_or(PortalPage::Overview),
            scopes,
            invalidate_existing: self.invalidate_existing,
        })
    }
}

/// An OAuth client of a vendor account: client-credentials grants give it 1-hour bearer tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OAuthClient {
    pub id: OAuthClientId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    #[serde(
        serialize_with = "super::account::serialize_api_scopes",
        deserialize_with = "super::account::deserialize_api_scopes"
    )]
    pub scopes: ApiScopes,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_the_intersection() {
        let features = PortalFeatures::default();
        assert_eq!(session_scopes(None, &features, None), PortalScopes::all());
        let viewer = session_scopes(None, &features, Some(Role::Viewer));
        assert!(!viewer.contains(PortalScope::SubscriptionsWrite));
        assert!(viewer.contains(PortalScope::InvoicesRead));

        let no_payments = PortalFeatures {
            payment_methods: false,
            ..PortalFeatures::default()
        };
        let s = session_scopes(None, &no_payments, Some(Role::Owner));
        assert!(!s.contains(PortalScope::PaymentMethodsRead));

        let asked = PortalScopes::parse("scopes", "invoices:read").unwrap();
        assert_eq!(
            session_scopes(Some(asked), &features, Some(Role::Owner)),
            asked
        );
    }

    #[test]
    fn expiry_bounds() {
        assert_eq!(check_expires_in("e", None).unwrap(), 86_400);
        assert_eq!(check_expires_in("e", Some(60)).unwrap(), 60);
        assert_eq!(check_expires_in("e", Some(2_592_000)).unwrap(), 2_592_000);
        for bad in [59, 2_592_001, -1, 0] {
            assert_eq!(
                check_expires_in("expires_in_seconds", Some(bad))
                    .unwrap_err()
                    .field,
                "expires_in_seconds"
            );
        }
    }

    #[test]
    fn pages_have_paths() {
        assert_eq!(PortalPage::PaymentMethod.path(), "/portal/payment-method");
        assert_eq!(
            PortalPage::parse("page", "payment-method").unwrap(),
            PortalPage::PaymentMethod
        );
        assert!(PortalPage::parse("page", "admin").is_err());
    }
}
