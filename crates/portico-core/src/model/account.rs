//! The vendor account, its branding and portal settings, and its API keys.

use serde::{Deserialize, Serialize};

use crate::error::{self, Invalid, ValidationResult};
use crate::model::{CancelMode, ChangeDirection, ChangeTiming, InvoiceSettings, text_enum};
use crate::scope::ApiScopes;
use crate::{AccountId, ApiKeyId, Timestamp};

/// A vendor: one tenant of Portico, addressed by its unique `subdomain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: AccountId,
    pub subdomain: String,
    pub name: String,
    pub settings: PortalSettings,
    pub created_at: Timestamp,
}

/// Checks a subdomain: 3–40 of `a-z 0-9 -`, starting with a letter, not ending with `-`.
pub fn subdomain(value: &str) -> ValidationResult<String> {
    let valid = (3..=40).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(value.to_owned())
    } else {
        Err(Invalid::new(
            "subdomain",
            "must be 3 to 40 characters of a-z, 0-9 and '-', starting with a letter",
        ))
    }
}

/// How the portal looks and what it lets customers do. Stored as one document per account;
/// every field has a default so that older documents keep loading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PortalSettings {
    pub branding: Branding,
    pub features: PortalFeatures,
    /// `en`, `de`, `fr` or `es`.
    pub default_locale: String,
    /// Origins (`https://app.example.com`) allowed to frame the portal; empty forbids framing.
    pub allowed_origins: Vec<String>,
    /// Where "back to vendor" leads when a session names no return URL.
    pub default_return_url: Option<String>,
    /// Whether a portal link may open the portal again until it expires (for links sent by
    /// e-mail); by default a link opens one browser session.
    pub link_reentry: bool,
    /// What customers may do to their subscriptions, and how changes are charged.
    pub subscription_changes: SubscriptionChanges,
    /// The seller block, payment instructions, footer and logo of the account's invoices.
    pub invoice: InvoiceSettings,
    /// What the billing clock does when a trial ends or a charge fails.
    pub billing: BillingRules,
}

impl Default for PortalSettings {
    fn default() -> Self {
        Self {
            branding: Branding::default(),
            features: PortalFeatures::default(),
            default_locale: "en".to_owned(),
            allowed_origins: Vec::new(),
            default_return_url: None,
            link_reentry: false,
            subscription_changes: SubscriptionChanges::default(),
            invoice: InvoiceSettings::default(),
            billing: BillingRules::default(),
        }
    }
}

text_enum!(
    /// What a customer who cancels now gets back for the unused rest of the period.
    CancelRefund { None = "none", ProratedCredit = "prorated_credit" }
);

text_enum!(
    /// What becomes of a subscription whose trial ends while its customer has no payment
    /// method: it ends, or it goes on past due with its first invoice open.
    TrialEndRule { Cancel = "cancel", PastDue = "past_due" }
);

text_enum!(
    /// What becomes of a subscription when the last retry of its invoice failed: it ends, or
    /// it stays past due with the invoice open (unpaid).
    DunningEndRule { Cancel = "cancel", LeaveUnpaid = "leave_unpaid" }
);

/// The billing clock's rules for money it cannot collect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BillingRules {
    /// After a renewal's charge fails, the days after the renewal (its first charge) at which
    /// its invoice is charged again: up to 10, rising, each from 1 to 60.
    pub retry_days: Vec<u32>,
    /// After the last retry failed.
    pub after_last_failure: DunningEndRule,
    /// When a trial ends and the customer has no payment method.
    pub trial_end_without_payment_method: TrialEndRule,
}

impl Default for BillingRules {
    fn default() -> Self {
        Self {
            retry_days: vec![1, 3, 5],
            after_last_failure: DunningEndRule::Cancel,
            trial_end_without_payment_method: TrialEndRule::Cancel,
        }
    }
}

impl BillingRules {
    /// When the invoice of a renewal at `renewed_at` is charged again after its `failures`-th
    /// failed charge; `None` when that was the last.
    pub fn retry_after(&self, renewed_at: Timestamp, failures: i64) -> Option<Timestamp> {
        let index = usize::try_from(failures).ok()?.checked_sub(1)?;
        let days = self.retry_days.get(index)?;
        Some(renewed_at.plus_secs(i64::from(*days) * 86_400))
    }

    fn validate(self) -> ValidationResult<Self> {
        let rising = self.retry_days.windows(2).all(|w| w[0] < w[1]);
        if self.retry_days.len() > 10
            || !rising
            || self.retry_days.iter().any(|d| !(1..=60).contains(d))
        {
            return Err(Invalid::new(
                "billing.retry_days",
                "must list at most 10 rising numbers of days, each from 1 to 60",
            ));
        }
        Ok(self)
    }
}

/// The account's rules for cancellations and changes of plan or quantity in the portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SubscriptionChanges {
    /// How a customer may cancel; at least one mode.
    pub cancel_modes: Vec<CancelMode>,
    /// What an immediate cancellation gives back.
    pub cancel_refund: CancelRefund,
    /// The reasons a customer picks from when canceling (up to 20, each up to 100 characters).
    pub cancel_reasons: Vec<String>,
    /// Whether a customer may start a canceled subscription again.
    pub reactivation: bool,
    /// When an upgrade (a higher price per month) takes effect.
    pub upgrades: ChangeTiming,
    /// When a downgrade takes effect.
    pub downgrades: ChangeTiming,
    /// Whether a customer may pause collection for one to three periods.
    pub pause: bool,
}

impl Default for SubscriptionChanges {
    fn default() -> Self {
        Self {
            cancel_modes: vec![CancelMode::AtPeriodEnd],
            cancel_refund: CancelRefund::None,
            cancel_reasons: [
                "Too expensive",
                "Missing features",
                "Switching to another product",
                "No longer needed",
                "Other",
            ]
            .map(String::from)
            .to_vec(),
            reactivation: true,
            upgrades: ChangeTiming::NowWithProration,
            downgrades: ChangeTiming::AtPeriodEnd,
            pause: false,
        }
    }
}

impl SubscriptionChanges {
    /// When a change in `direction` takes effect.
    pub fn timing(&self, direction: ChangeDirection) -> ChangeTiming {
        match direction {
            ChangeDirection::Upgrade => self.upgrades,
            ChangeDirection::Downgrade => self.downgrades,
        }
    }

    pub fn allows_cancel(&self, mode: CancelMode) -> bool {
        self.cancel_modes.contains(&mode)
    }

    fn validate(mut self) -> ValidationResult<Self> {
        self.cancel_modes.dedup();
        if self.cancel_modes.is_empty() || self.cancel_modes.len() > CancelMode::ALL.len() {
            return Err(Invalid::new(
                "subscription_changes.cancel_modes",
                "must list at_period_end, immediately or both, once each",
            ));
        }
        if self.cancel_reasons.len() > 20 {
            return Err(Invalid::new(
                "subscription_changes.cancel_reasons",
                "may list at most 20 reasons",
            ));
        }
        for reason in &mut self.cancel_reasons {
            *reason = error::required_text("subscription_changes.cancel_reasons", reason, 100)?;
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct Branding {
    pub display_name: Option<String>,
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub primary_color: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
}

/// Which portal pages and self-service actions an account turns on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PortalFeatures {
    pub subscriptions: bool,
    pub invoices: bool,
    pub transactions: bool,
    pub payment_methods: bool,
    pub account: bool,
    pub cancel: bool,
    pub plan_change: bool,
    pub quantity_change: bool,
}

impl Default for PortalFeatures {
    fn default() -> Self {
        Self {
            subscriptions: true,
            invoices: true,
            transactions: true,
            payment_methods: true,
            account: true,
            cancel: true,
            plan_change: true,
            quantity_change: true,
        }
    }
}

pub const LOCALES: &[&str] = &["en", "de", "fr", "es"];

impl PortalSettings {
    /// Checks every field, normalising what can be normalised.
    pub fn validate(mut self) -> ValidationResult<Self> {
        let b = &mut self.branding;
        b.display_name =
            error::optional_text("branding.display_name", b.display_name.as_deref(), 100)?;
        b.logo_url = b
            .logo_url
            .as_deref()
            .map(|u| error::url("branding.logo_url", u))
            .transpose()?;
        b.support_url = b
            .support_url
            .as_deref()
            .map(|u| error::url("branding.support_url", u))
            .transpose()?;
        b.support_email = b
            .support_email
            .as_deref()
            .map(|e| error::email("branding.support_email", e))
            .transpose()?;
        if let Some(color) = &b.primary_color {
            let valid = color.len() == 7
                && color.starts_with('#')
                && color[1..].chars().all(|c| c.is_ascii_hexdigit());
            if !valid {
                return Err(Invalid::new(
                    "branding.primary_color",
                    "must be a colour like #1a73e8",
                ));
            }
            b.primary_color = Some(color.to_ascii_lowercase());
        }
        if !LOCALES.contains(&self.default_locale.as_str()) {
            return Err(Invalid::new(
                "default_locale",
                "must be one of: en, de, fr, es",
            ));
        }
        if self.allowed_origins.len() > 20 {
            return Err(Invalid::new(
                "allowed_origins",
                "may list at most 20 origins",
            ));
        }
        for origin in &mut self.allowed_origins {
            *origin = self::origin(origin)?;
        }
        self.default_return_url = self
            .default_return_url
            .as_deref()
            .map(|u| error::url("default_return_url", u))
            .transpose()?;
        self.subscription_changes = self.subscription_changes.validate()?;
        self.invoice = self.invoice.validate()?;
        self.billing = self.billing.validate()?;
        Ok(self)
    }
}

/// An origin: scheme, host and optional port, nothing else (`https://app.example.com:8443`).
/// Only https, since a page on plain http can be rewritten on the way and then frame the portal
/// as the vendor; plain http only on this machine's own names, for development.
pub fn origin(value: &str) -> ValidationResult<String> {
    let invalid = || {
        Invalid::new(
            "allowed_origins",
            format!("`{value}` is not an origin such as https://app.example.com"),
        )
    };
    let lower = value.to_ascii_lowercase();
    let (https, rest) = match lower.strip_prefix("https://") {
        Some(rest) => (true, rest),
        None => (false, lower.strip_prefix("http://").ok_or_else(invalid)?),
    };
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        return Err(invalid());
    }
    if !https && !is_loopback(rest) {
        return Err(Invalid::new(
            "allowed_origins",
            format!("`{value}` must use https (plain http only for localhost and 127.0.0.1)"),
        ));
    }
    Ok(lower)
}

/// Whether `host_port` (`host`, `host:port`, `[v6]:port`) names this machine.
fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1" || host == "::1"
}

/// An API key as listed; its secret exists only in the answer that created it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    #[serde(
        serialize_with = "serialize_api_scopes",
        deserialize_with = "deserialize_api_scopes"
    )]
    pub scopes: ApiScopes,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    pub fn is_usable(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

pub(crate) fn serialize_api_scopes<S: serde::Serializer>(
    scopes: &ApiScopes,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(scopes.iter().map(|x| x.as_str()))
}

/// Reads the scope names [`serialize_api_scopes`] writes; an unknown name is an error.
pub(crate) fn deserialize_api_scopes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<ApiScopes, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    ApiScopes::parse_list("scopes", &names).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_rules_retry_on_their_days_and_check_them() {
        let rules = BillingRules::default();
        let first = Timestamp::from_secs(1_767_225_600);
        let day = |n: i64| Some(first.plus_secs(n * 86_400));
        assert_eq!(rules.retry_after(first, 1), day(1));
        assert_eq!(rules.retry_after(first, 2), day(3));
        assert_eq!(rules.retry_after(first, 3), day(5));
        assert_eq!(rules.retry_after(first, 4), None);
        assert_eq!(rules.retry_after(first, 0), None);
        for bad in [vec![3, 1], vec![0], vec![61], vec![1; 11], vec![2, 2]] {
            let settings = PortalSettings {
                billing: BillingRules {
                    retry_days: bad.clone(),
                    ..BillingRules::default()
                },
                ..PortalSettings::default()
            };
            let err = settings.validate().unwrap_err();
            assert_eq!(err.field, "billing.retry_days", "{bad:?}");
        }
        let none = BillingRules {
            retry_days: vec![],
            ..BillingRules::default()
        };
        assert_eq!(none.clone().validate().unwrap().retry_after(first, 1), None);
        let parsed: PortalSettings =
            serde_json::from_str(r#"{"billing":{"after_last_failure":"leave_unpaid"}}"#).unwrap();
        assert_eq!(
            parsed.billing.after_last_failure,
            DunningEndRule::LeaveUnpaid
        );
        assert_eq!(parsed.billing.retry_days, vec![1, 3, 5]);
    }

    #[test]
    fn subdomains() {
        assert!(subdomain("acme").is_ok());
        assert!(subdomain("acme-eu-2").is_ok());
        for bad in [
            "ac",
            "Acme",
            "1acme",
            "acme-",
            "ac me",
            "acme.io",
            &"a".repeat(41),
        ] {
            assert!(subdomain(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn settings_validate() {
        let mut s = PortalSettings::default();
        s.branding.primary_color = Some("#1A73E8".into());
        s.allowed_origins = vec!["https://App.example.com".into()];
        let s = s.validate().unwrap();
        assert_eq!(s.branding.primary_color.as_deref(), Some("#1a73e8"));
        assert_eq!(s.allowed_origins, ["https://app.example.com"]);

        let bad = PortalSettings {
            allowed_origins: vec!["https://x.com/path".into()],
            ..PortalSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "allowed_origins");
        for plain in [
            "http://app.example.com",
            "http://10.0.0.1:8080",
            "http://127.0.0.1.example.com",
        ] {
            let e = origin(plain).unwrap_err();
            assert!(e.message.contains("must use https"), "{plain}: {e:?}");
        }
        for local in [
            "http://localhost:3000",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://app.localhost",
        ] {
            assert_eq!(origin(local).unwrap(), local);
        }
        assert_eq!(
            origin("HTTPS://App.Example.com").unwrap(),
            "https://app.example.com"
        );
        let bad = PortalSettings {
            default_locale: "it".into(),
            ..PortalSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "default_locale");
    }

    #[test]
    fn api_keys_read_back_with_their_scopes() {
        let key = ApiKey {
            id: "key_01jd0v4m3g6k2x8r9t7w5y1q3z".parse().unwrap(),
            name: "ci".into(),
            scopes: ApiScopes::parse("scopes", "customers:read billing:write").unwrap(),
            created_at: Timestamp::from_secs(1_700_000_000),
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
        };
        let json = serde_json::to_value(&key).unwrap();
        assert_eq!(
            json["scopes"],
            serde_json::json!(["customers:read", "billing:write"])
        );
        assert_eq!(serde_json::from_value::<ApiKey>(json.clone()).unwrap(), key);
        let mut unknown = json;
        unknown["scopes"] = serde_json::json!(["customers:delete"]);
        assert!(serde_json::from_value::<ApiKey>(unknown).is_err());
    }

    #[test]
    fn settings_documents_fill_defaults() {
        let s: PortalSettings = serde_json::from_str(r#"{"default_locale":"de"}"#).unwrap();
        assert_eq!(s.default_locale, "de");
        assert!(s.features.invoices);
    }
}
