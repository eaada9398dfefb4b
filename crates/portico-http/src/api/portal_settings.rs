//! The account's portal settings: branding, feature switches, default locale, allowed origins.

use axum::Json;
use axum::extract::State;
use portico_core::model::{
    CancelMode, CancelRefund, ChangeTiming, DunningEndRule, PortalSettings, TrialEndRule, nullable,
};
use portico_core::scope::ApiScope;
use serde::Deserialize;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::JsonBody;
use crate::openapi::Routes;
use crate::{AppState, VendorAuth};

pub fn router() -> Routes {
    Routes::new().routes(routes!(get, update))
}

/// The fields to change; each given field is merged into the current settings, field by field
/// inside `branding` and `features`; `null` clears a nullable field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalSettingsPatch {
    pub branding: Option<BrandingPatch>,
    pub features: Option<FeaturesPatch>,
    /// `en`, `de`, `fr` or `es`.
    #[schema(pattern = "^(en|de|fr|es)$")]
    pub default_locale: Option<String>,
    /// Replaces the list of origins allowed to frame the portal.
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub default_return_url: Option<Option<String>>,
    /// Let a portal link open the portal again until it expires (for links sent by e-mail);
    /// by default a link opens one browser session and a second opening says it was used.
    pub link_reentry: Option<bool>,
    pub subscription_changes: Option<SubscriptionChangesPatch>,
    pub billing: Option<BillingRulesPatch>,
}

/// The billing clock's rules; each given field replaces the current one.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingRulesPatch {
    /// Days after a renewal's first failed charge at which it is charged again (rising, up
    /// to 10, each 1 to 60; e.g. `[1, 3, 5]`).
    #[schema(max_items = 10)]
    pub retry_days: Option<Vec<u32>>,
    pub after_last_failure: Option<DunningEndRule>,
    pub trial_end_without_payment_method: Option<TrialEndRule>,
}

/// The rules for cancellations and changes; each given field replaces the current one.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChangesPatch {
    /// `at_period_end`, `immediately`, or both.
    pub cancel_modes: Option<Vec<CancelMode>>,
    pub cancel_refund: Option<CancelRefund>,
    #[schema(max_items = 20)]
    pub cancel_reasons: Option<Vec<String>>,
    pub reactivation: Option<bool>,
    pub upgrades: Option<ChangeTiming>,
    pub downgrades: Option<ChangeTiming>,
    /// Whether a customer may pause collection for one to three periods.
    pub pause: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandingPatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub logo_url: Option<Option<String>>,
    /// `#rrggbb`.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, pattern = r"^#[0-9A-Fa-f]{6}$")]
    pub primary_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub support_email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub support_url: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeaturesPatch {
    pub subscriptions: Option<bool>,
    pub invoices: Option<bool>,
    pub transactions: Option<bool>,
    pub payment_methods: Option<bool>,
    pub account: Option<bool>,
    pub cancel: Option<bool>,
    pub plan_change: Option<bool>,
    pub quantity_change: Option<bool>,
}

/// Replaces `target` when a patch gives a value.
pub(super) fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *target = v;
    }
}

impl PortalSettingsPatch {
    /// The merged settings, not yet validated.
    pub fn merge_into(self, mut s: PortalSettings) -> PortalSettings {
        if let Some(b) = self.branding {
            set(&mut s.branding.display_name, b.display_name);
            set(&mut s.branding.logo_url, b.logo_url);
            set(&mut s.branding.primary_color, b.primary_color);
            set(&mut s.branding.support_email, b.support_email);
            set(&mut s.branding.support_url, b.support_url);
        }
        if let Some(f) = self.features {
            set(&mut s.features.subscriptions, f.subscriptions);
            set(&mut s.features.invoices, f.invoices);
            set(&mut s.features.transactions, f.transactions);
            set(&mut s.features.payment_methods, f.payment_methods);
            set(&mut s.features.account, f.account);
            set(&mut s.features.cancel, f.cancel);
            set(&mut s.features.plan_change, f.plan_change);
            set(&mut s.features.quantity_change, f.quantity_change);
        }
        set(&mut s.default_locale, self.default_locale);
        set(&mut s.allowed_origins, self.allowed_origins);
        set(&mut s.default_return_url, self.default_return_url);
        set(&mut s.link_reentry, self.link_reentry);
        if let Some(c) = self.subscription_changes {
            let r = &mut s.subscription_changes;
            set(&mut r.cancel_modes, c.cancel_modes);
            set(&mut r.cancel_refund, c.cancel_refund);
            set(&mut r.cancel_reasons, c.cancel_reasons);
            set(&mut r.reactivation, c.reactivation);
            set(&mut r.upgrades, c.upgrades);
            set(&mut r.downgrades, c.downgrades);
            set(&mut r.pause, c.pause);
        }
        if let Some(b) = self.billing {
            let r = &mut s.billing;
            set(&mut r.retry_days, b.retry_days);
            set(&mut r.after_last_failure, b.after_last_failure);
            set(
                &mut r.trial_end_without_payment_method,
                b.trial_end_without_payment_method,
            );
        }
        s
    }
}

/// The account's portal settings; any valid key may read them.
#[utoipa::path(get, path = "/api/v1/portal-settings", tag = "portal-settings",
    responses((status = 200, description = "The portal settings", body = PortalSettings)))]
async fn get(State(s): State<AppState>, auth: VendorAuth) -> ApiResult<Json<PortalSettings>> {
    Ok(Json(s.app.store.account(&auth.account).await?.settings))
}

/// Changes the given portal settings.
#[utoipa::path(patch, path = "/api/v1/portal-settings", tag = "portal-settings",
    request_body = PortalSettingsPatch,
    responses((status = 200, description = "The changed portal settings", body = PortalSettings)),
    security(("bearer" = ["settings:write"])))]
async fn update(
    State(s): State<AppState>,
    auth: VendorAuth,
    body: JsonBody,
) -> ApiResult<Json<PortalSettings>> {
    auth.require(ApiScope::SettingsWrite)?;
    let patch = body.parse::<PortalSettingsPatch>()?;
    let edit = |current| patch.merge_into(current);
    let account = portico_app::accounts::update_portal_settings(
        &s.app,
        &auth.caller(),
        edit,
        s.app.clock.now(),
    )
    .await?;
    Ok(Json(account.settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_only_given_fields() {
        let mut current = PortalSettings::default();
        current.features.cancel = false;
        current.branding.display_name = Some("Acme".into());
        let patch: PortalSettingsPatch = serde_json::from_str(
            r##"{"branding": {"primary_color": "#112233", "display_name": null},
                 "features": {"invoices": false},
                 "subscription_changes": {"downgrades": "now_without_proration",
                                          "cancel_modes": ["immediately"]}}"##,
        )
        .unwrap();
        let merged = patch.merge_into(current);
        assert_eq!(merged.branding.primary_color.as_deref(), Some("#112233"));
        assert_eq!(merged.branding.display_name, None);
        assert!(!merged.features.invoices);
        assert!(!merged.features.cancel, "untouched switch kept");
        assert_eq!(merged.default_locale, "en");
        let rules = &merged.subscription_changes;
        assert_eq!(rules.downgrades, ChangeTiming::NowWithoutProration);
        assert_eq!(rules.cancel_modes, [CancelMode::Immediately]);
        assert_eq!(
            rules.upgrades,
            ChangeTiming::NowWithProration,
            "untouched rule kept"
        );
        assert!(
            serde_json::from_str::<PortalSettingsPatch>(r#"{"branding": {"logo": "x"}}"#).is_err()
        );
    }
}
