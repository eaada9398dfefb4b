//! Single-task links: a portal session locked to one task (cancel or change one subscription,
//! update the payment method or the billing details), and how it ends once the task is done.

use serde::{Deserialize, Serialize};

use super::{MAX_QUANTITY, PortalPage, text_enum};
use crate::error::{Invalid, ValidationResult};
use crate::scope::PortalScope;
use crate::{PlanId, SubscriptionId};

text_enum!(
    /// The one task a flow session may do.
    FlowType {
        SubscriptionCancel = "subscription_cancel",
        SubscriptionUpdate = "subscription_update",
        PaymentMethodUpdate = "payment_method_update",
        BillingDetailsUpdate = "billing_details_update",
    }
);

/// What the customer sees once the task is done: the way back to the vendor (the session's
/// return URL), or a confirmation page with the vendor's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AfterCompletion {
    Redirect,
    Confirmation {
        /// Shown on the confirmation page, up to 500 characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 500))]
        message: Option<String>,
    },
}

impl Default for AfterCompletion {
    fn default() -> Self {
        AfterCompletion::Confirmation { message: None }
    }
}

/// A portal session's one task. `subscription` names the subscription of the two subscription
/// flows; a `subscription_update` may name the target `plan` or `quantity`, and then opens on the
/// preview of that change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortalFlow {
    #[serde(rename = "type")]
    pub kind: FlowType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000000))]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub after_completion: AfterCompletion,
}

/// What a flow session asks of the portal: a page (GET) or an action (POST) by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowRequest<'a> {
    Get(&'a str),
    Post(&'a str),
}

impl PortalFlow {
    /// Checks that the flow names exactly what its type needs.
    pub fn validate(&self) -> ValidationResult<()> {
        let on_subscription = matches!(
            self.kind,
            FlowType::SubscriptionCancel | FlowType::SubscriptionUpdate
        );
        match (&self.subscription, on_subscription) {
            (None, true) => {
                return Err(Invalid::new(
                    "flow.subscription",
                    "is required for this flow type",
                ));
            }
            (Some(_), false) => {
                return Err(Invalid::new(
                    "flow.subscription",
                    "is only for subscription flows",
                ));
            }
            _ => {}
        }
        if self.kind != FlowType::SubscriptionUpdate {
            if self.plan.is_some() {
                return Err(Invalid::new("flow.plan", "is only for subscription_update"));
            }
            if self.quantity.is_some() {
                return Err(Invalid::new(
                    "flow.quantity",
                    "is only for subscription_update",
                ));
            }
        }
        if let Some(q) = self.quantity
            && !(1..=MAX_QUANTITY).contains(&q)
        {
            return Err(Invalid::new(
                "flow.quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
        if let AfterCompletion::Confirmation { message: Some(m) } = &self.after_completion
            && m.chars().count() > 500
        {
            return Err(Invalid::new(
                "flow.after_completion.message",
                "must be at most 500 characters",
            ));
        }
        Ok(())
    }

    /// The portal scope the task needs; a session without it cannot be given the flow.
    pub fn scope(&self) -> PortalScope {
        match self.kind {
            FlowType::SubscriptionCancel | FlowType::SubscriptionUpdate => {
                PortalScope::SubscriptionsWrite
            }
            FlowType::PaymentMethodUpdate => PortalScope::PaymentMethodsWrite,
            FlowType::BillingDetailsUpdate => PortalScope::AccountWrite,
        }
    }

    /// The page the task starts on, when it needs no lookup (a `subscription_update` naming a
    /// target plan or quantity opens on the preview, which needs the subscription's current
    /// ones).
    pub fn start_path(&self) -> String {
        match (self.kind, &self.subscription) {
            (FlowType::SubscriptionCancel, Some(s)) => {
                format!("{}/{s}/cancel", PortalPage::Subscriptions.path())
            }
            (FlowType::SubscriptionUpdate, Some(s)) => {
                format!("{}/{s}/change", PortalPage::Subscriptions.path())
            }
            (FlowType::BillingDetailsUpdate, _) => PortalPage::Account.path().to_owned(),
            _ => PortalPage::PaymentMethod.path().to_owned(),
        }
    }

    /// Whether the task includes this request. Logging out and the flow's confirmation page
    /// belong to every flow; nothing else outside the task does.
    pub fn allows(&self, request: FlowRequest<'_>) -> bool {
        let subscription_path = self
            .subscription
            .as_ref()
            .map(|s| format!("{}/{s}/", PortalPage::Subscriptions.path()));
        let in_subscription = |path: &str, rest: &[&str]| {
            subscription_path
                .as_deref()
                .and_then(|base| path.strip_prefix(base))
                .is_some_and(|r| rest.contains(&r))
        };
        let segments = |path: &str| -> Vec<String> {
            path.trim_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect()
        };
        match request {
            FlowRequest::Get(FLOW_DONE_PATH) | FlowRequest::Post("/portal/logout") => true,
            FlowRequest::Get(path) => match self.kind {
                FlowType::SubscriptionCancel => in_subscription(path, &["cancel"]),
                FlowType::SubscriptionUpdate => {
                    in_subscription(path, &["change", "preview"]) || {
                        // The bank's challenge for a charge due now (on Stripe, on the portal's
                        // payment-step page) returns to its payment.
                        let s = segments(path);
                        (s.len() == 5 && s[..2] == ["portal", "invoices"] && s[3] == "payment")
                            || (s.len() == 4 && s[..3] == ["portal", "stripe", "payment-step"])
                    }
                }
                FlowType::PaymentMethodUpdate => {
                    path == PortalPage::PaymentMethod.path()
                        || path == "/portal/payment-method/added"
                }
                FlowType::BillingDetailsUpdate => path == PortalPage::Account.path(),
            },
            FlowRequest::Post(path) => match self.kind {
                FlowType::SubscriptionCancel => in_subscription(path, &["cancel"]),
                FlowType::SubscriptionUpdate => in_subscription(path, &["change"]),
                FlowType::PaymentMethodUpdate => {
                    let s = segments(path);
                    path == "/portal/payment-method/add"
                        || (s.len() == 4
                            && s[..2] == ["portal", "payment-method"]
                            && (s[3] == "default" || s[3] == "remove"))
                }
                FlowType::BillingDetailsUpdate => path == PortalPage::Account.path(),
            },
        }
    }

    /// Whether an action's outcome (the `done` of its redirect) completes the task.
    pub fn completed_by(&self, done: &str) -> bool {
        match self.kind {
            FlowType::SubscriptionCancel => matches!(done, "canceled" | "cancel-scheduled"),
            FlowType::SubscriptionUpdate => matches!(done, "changed" | "change-scheduled"),
            FlowType::PaymentMethodUpdate => {
                matches!(done, "card_added" | "default_changed" | "method_removed")
            }
            FlowType::BillingDetailsUpdate => done == "saved",
        }
    }
}

/// The page a flow session shows once its task is done.
pub const FLOW_DONE_PATH: &str = "/portal/done";

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(kind: FlowType) -> PortalFlow {
        PortalFlow {
            kind,
            subscription: None,
            plan: None,
            quantity: None,
            after_completion: AfterCompletion::default(),
        }
    }

    fn sub() -> SubscriptionId {
        "sub_01hzz0000000000000000000aa".parse().unwrap()
    }

    #[test]
    fn a_flow_names_what_its_type_needs() {
        assert_eq!(
            flow(FlowType::SubscriptionCancel)
                .validate()
                .unwrap_err()
                .field,
            "flow.subscription"
        );
        let cancel = PortalFlow {
            subscription: Some(sub()),
            ..flow(FlowType::SubscriptionCancel)
        };
        assert!(cancel.validate().is_ok());
        let with_quantity = PortalFlow {
            quantity: Some(2),
            ..cancel.clone()
        };
        assert_eq!(with_quantity.validate().unwrap_err().field, "flow.quantity");
        let card = PortalFlow {
            subscription: Some(sub()),
            ..flow(FlowType::PaymentMethodUpdate)
        };
        assert_eq!(card.validate().unwrap_err().field, "flow.subscription");
        let update = PortalFlow {
            subscription: Some(sub()),
            quantity: Some(0),
            ..flow(FlowType::SubscriptionUpdate)
        };
        assert_eq!(update.validate().unwrap_err().field, "flow.quantity");
        let long = PortalFlow {
            after_completion: AfterCompletion::Confirmation {
                message: Some("x".repeat(501)),
            },
            ..flow(FlowType::BillingDetailsUpdate)
        };
        assert_eq!(
            long.validate().unwrap_err().field,
            "flow.after_completion.message"
        );
    }

    #[test]
    fn unknown_flow_types_do_not_parse() {
        let bad = serde_json::from_str::<PortalFlow>(r#"{"type":"invoice_pay"}"#);
        assert!(bad.is_err());
        let good: PortalFlow = serde_json::from_str(
            r#"{"type":"billing_details_update","after_completion":{"type":"redirect"}}"#,
        )
        .unwrap();
        assert_eq!(good.after_completion, AfterCompletion::Redirect);
    }

    #[test]
    fn a_flow_allows_only_its_task() {
        let cancel = PortalFlow {
            subscription: Some(sub()),
            ..flow(FlowType::SubscriptionCancel)
        };
        let own = format!("/portal/subscriptions/{}/cancel", sub());
        assert!(cancel.allows(FlowRequest::Get(&own)));
        assert!(cancel.allows(FlowRequest::Post(&own)));
        assert!(cancel.allows(FlowRequest::Post("/portal/logout")));
        assert!(cancel.allows(FlowRequest::Get(FLOW_DONE_PATH)));
        let other = "/portal/subscriptions/sub_01hzz0000000000000000000bb/cancel";
        assert!(!cancel.allows(FlowRequest::Get(other)));
        assert!(!cancel.allows(FlowRequest::Post(other)));
        for path in [
            "/portal",
            "/portal/subscriptions",
            "/portal/account",
            "/portal/payment-method",
        ] {
            assert!(!cancel.allows(FlowRequest::Get(path)), "{path}");
        }
        let resume = format!("/portal/subscriptions/{}/resume", sub());
        assert!(!cancel.allows(FlowRequest::Post(&resume)));

        let card = flow(FlowType::PaymentMethodUpdate);
        assert!(card.allows(FlowRequest::Get("/portal/payment-method")));
        assert!(card.allows(FlowRequest::Post("/portal/payment-method/add")));
        assert!(card.allows(FlowRequest::Post("/portal/payment-method/pm_x/default")));
        assert!(!card.allows(FlowRequest::Post("/portal/account")));
        assert!(!card.allows(FlowRequest::Get("/portal/invoices")));

        let update = flow(FlowType::SubscriptionUpdate);
        assert!(update.allows(FlowRequest::Get("/portal/stripe/payment-step/pay_x")));
        assert!(update.allows(FlowRequest::Get("/portal/invoices/inv_x/payment/pay_x")));
        assert!(!update.allows(FlowRequest::Get("/portal/stripe/payment-step")));
        assert!(!update.allows(FlowRequest::Get("/portal/invoices/inv_x")));
        assert!(!card.allows(FlowRequest::Get("/portal/stripe/payment-step/pay_x")));

        let details = flow(FlowType::BillingDetailsUpdate);
        assert!(details.allows(FlowRequest::Post("/portal/account")));
        assert!(!details.allows(FlowRequest::Post("/portal/payment-method/add")));
    }

    #[test]
    fn completion_is_the_task_done() {
        let cancel = flow(FlowType::SubscriptionCancel);
        assert!(cancel.completed_by("cancel-scheduled"));
        assert!(!cancel.completed_by("resumed"));
        let update = flow(FlowType::SubscriptionUpdate);
        assert!(update.completed_by("changed"));
        assert!(!update.completed_by("declined-card_declined"));
    }
}
