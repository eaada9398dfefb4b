//! The customer's payment methods, the default first, with their expiry.

use maud::{Markup, html};
use portico_core::Timestamp;
use portico_core::model::{PaymentMethod, PaymentMethodKind, PortalPage};
use portico_render::format::format_card_expiry;
use portico_render::{Locale, Msg, t, tf};

use super::parts::{badge, heading};
use crate::AppState;
use crate::portal::load;
use crate::portal::session::{Denied, Visit};

pub struct Methods {
    pub methods: Vec<PaymentMethod>,
    /// For telling expired cards.
    pub now: Timestamp,
}

pub async fn load(s: &AppState, v: &Visit) -> Result<Methods, Denied> {
    Ok(Methods {
        methods: load::payment_methods(s, &v.account.id, &v.customer.id).await?,
        now: s.app.clock.now(),
    })
}

pub fn render(d: &Methods, l: Locale) -> Markup {
    html! {
        (heading(l, PortalPage::PaymentMethod))
        @if d.methods.is_empty() {
            p.empty { (t(l, Msg::NoPaymentMethod)) }
        }
        ul.methods {
            @for pm in &d.methods {
                li.card.method {
                    div {
                        p.kind { (t(l, pm.kind.into())) }
                        p.big { (method_name(pm, l)) }
                        p.muted {
                            @match (pm.exp_month, pm.exp_year) {
                                (Some(m), Some(y)) => (tf(l, Msg::Expires, &[("expiry", &format_card_expiry(m, y))])),
                                _ => (pm.brand.as_deref().unwrap_or_default()),
                            }
                        }
                    }
                    div.badges {
                        @if pm.is_default { (badge("info", t(l, Msg::DefaultBadge))) }
                        @if pm.is_expired(d.now) { (badge("bad", t(l, Msg::Expired))) }
                    }
                }
            }
        }
        div.actions {}
    }
}

/// "Visa ending in 4242", "Account ending in 3000".
pub fn method_name(pm: &PaymentMethod, l: Locale) -> String {
    match pm.kind {
        PaymentMethodKind::Card => {
            let brand = pm
                .brand
                .as_deref()
                .map_or_else(|| t(l, Msg::Card).to_owned(), card_brand);
            tf(
                l,
                Msg::CardEnding,
                &[("brand", &brand), ("last4", &pm.last4)],
            )
        }
        _ => tf(l, Msg::AccountEnding, &[("last4", &pm.last4)]),
    }
}

/// Card brands are names, the same in every language.
fn card_brand(brand: &str) -> String {
    match brand {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "amex" => "American Express".into(),
        "discover" => "Discover".into(),
        "jcb" => "JCB".into(),
        "diners" => "Diners Club".into(),
        "unionpay" => "UnionPay".into(),
        other => {
            let mut c = other.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}
