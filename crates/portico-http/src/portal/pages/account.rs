//! Billing details: the page that shows the customer's name, e-mail, address and tax ID, and
//! the portal's first action, which lets a session with `account:write` change them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use portico_core::Invalid;
use portico_core::model::{
    Address, Customer, CustomerPatch, CustomerRef, PortalPage, check_tax_id,
};
use portico_core::scope::PortalScope;
use portico_render::format::format_address;
use portico_render::{Locale, Msg, t, tf};
use serde::Deserialize;

use super::parts::heading;
use super::{nav_label, respond_page};
use crate::AppState;
use crate::portal::action::{Action, ActionForm, allows, redirect_done};
use crate::portal::session::{Denied, Visit};

/// What the billing-details form sends; every text is optional on the wire and an empty one
/// clears the field (the name aside, which the core rules require).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    pub name: String,
    pub email: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
    pub tax_id: String,
}

impl ActionForm for DetailsForm {
    const SCOPE: PortalScope = PortalScope::AccountWrite;
}

fn some(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl DetailsForm {
    fn of(c: &Customer) -> Self {
        let a = &c.address;
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            name: c.name.clone(),
            email: s(&c.email),
            line1: s(&a.line1),
            line2: s(&a.line2),
            city: s(&a.city),
            state: s(&a.state),
            postal_code: s(&a.postal_code),
            country: s(&a.country),
            tax_id: s(&c.tax_id),
        }
    }

    fn patch(&self) -> CustomerPatch {
        CustomerPatch {
            name: Some(self.name.trim().to_owned()),
            email: Some(some(&self.email)),
            address: Some(Address {
                line1: some(&self.line1),
                line2: some(&self.line2),
                city: some(&self.city),
                state: some(&self.state),
                postal_code: some(&self.postal_code),
                country: some(&self.country),
            }),
            tax_id: Some(some(&self.tax_id)),
            ..CustomerPatch::default()
        }
    }

    /// Checks the tax ID against the format of the form's country (offline, by its shape) and
    /// normalises it; the refusal carries an example of the right shape as its message.
    fn check_tax_id(&mut self) -> Result<(), Invalid> {
        let Some(id) = some(&self.tax_id) else {
            return Ok(());
        };
        match check_tax_id(&self.country, &id) {
            Ok(normalised) => {
                self.tax_id = normalised;
                Ok(())
            }
            Err(mismatch) => Err(Invalid::new("tax_id", mismatch.example)),
        }
    }

    fn value(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "email" => &self.email,
            "line1" => &self.line1,
            "line2" => &self.line2,
            "city" => &self.city,
            "state" => &self.state,
            "postal_code" => &self.postal_code,
            "country" => &self.country,
            _ => &self.tax_id,
        }
    }
}

/// The page: the form when the session may change the details, else the facts and who to ask.
pub enum Details {
    Form {
        form: Box<DetailsForm>,
        error: Option<Invalid>,
        csrf: String,
    },
    Facts {
        customer: Box<Customer>,
        vendor: String,
    },
}

/// Everything the page shows is in the visit already: no store read.
pub fn load(v: &Visit) -> Details {
    if allows(v, PortalScope::AccountWrite) {
        Details::Form {
            form: Box::new(DetailsForm::of(&v.customer)),
            error: None,
            csrf: v.csrf_token(),
        }
    } else {
        Details::Facts {
            customer: Box::new(v.customer.clone()),
            vendor: v.vendor_name().to_owned(),
        }
    }
}

pub fn render(d: &Details, l: Locale) -> Markup {
    match d {
        Details::Form { form, error, csrf } => render_form(form, error.as_ref(), csrf, l),
        Details::Facts { customer, vendor } => facts(customer, vendor, l),
    }
}

fn facts(c: &Customer, vendor: &str, l: Locale) -> Markup {
    let lines: Vec<String> = format_address(&c.address)
        .into_iter()
        .filter(|x| !x.is_empty())
        .collect();
    html! {
        (heading(l, PortalPage::Account))
        section.card {
            dl.facts {
                div { dt { (t(l, Msg::Name)) } dd { (c.name) } }
                @if let Some(email) = &c.email {
                    div { dt { (t(l, Msg::Email)) } dd { (email) } }
                }
                @if !lines.is_empty() {
                    div {
                        dt { (t(l, Msg::BillingAddress)) }
                        dd { address { @for (i, line) in lines.iter().enumerate() { @if i > 0 { br; } (line) } } }
                    }
                }
                @if let Some(tax) = &c.tax_id {
                    div { dt { (t(l, Msg::TaxId)) } dd { (tax) } }
                }
            }
            p.muted { (tf(l, Msg::ReadOnlyDetails, &[("vendor", vendor)])) }
        }
    }
}

/// The form's fields: name, label, autocomplete token, input type, longest value.
const FIELDS: &[(&str, Msg, &str, &str, usize)] = &[
    ("name", Msg::Name, "organization", "text", 200),
    ("email", Msg::Email, "email", "email", 254),
    ("line1", Msg::AddressLine1, "address-line1", "text", 200),
    ("line2", Msg::AddressLine2, "address-line2", "text", 200),
    ("postal_code", Msg::PostalCode, "postal-code", "text", 20),
    ("city", Msg::City, "address-level2", "text", 100),
    ("state", Msg::State, "address-level1", "text", 100),
    ("country", Msg::Country, "country", "text", 2),
    ("tax_id", Msg::TaxId, "off", "text", 50),
];

/// The form field a validation error names (`address.city` is the form's `city`).
fn field_of(e: &Invalid) -> &str {
    e.field.strip_prefix("address.").unwrap_or(&e.field)
}

/// The customer-facing text for a refused value.
fn problem(e: &Invalid, form: &DetailsForm, l: Locale) -> String {
    let msg = match field_of(e) {
        "email" => Msg::InvalidEmail,
        "name" if form.name.trim().is_empty() => Msg::FieldRequired,
        "country" => Msg::InvalidCountry,
        "tax_id" => return tf(l, Msg::InvalidTaxId, &[("example", &e.message)]),
        _ => Msg::InvalidValue,
    };
    t(l, msg).to_owned()
}

fn render_form(f: &DetailsForm, error: Option<&Invalid>, csrf: &str, l: Locale) -> Markup {
    html! {
        (heading(l, PortalPage::Account))
        @if error.is_some() {
            p.flash.bad role="alert" { (t(l, Msg::FixErrors)) }
        }
        form.card.details method="post" action=(PortalPage::Account.path()) {
            input type="hidden" name="csrf" value=(csrf);
            @for (name, label, autocomplete, kind, max) in FIELDS {
                @let id = format!("f-{name}");
                @let bad = error.filter(|e| field_of(e) == *name);
                @let described = bad.map(|_| format!("f-{name}-error"));
                div.field {
                    label for=(id) { (t(l, *label)) }
                    input #(id) name=(name) type=(kind) maxlength=(max) autocomplete=(autocomplete)
                        value=(f.value(name))
                        required[*name == "name"]
                        class=[(*name == "country").then_some("short")]
                        pattern=[(*name == "country").then_some("[A-Za-z]{2}")]
                        aria-invalid=[bad.map(|_| "true")]
                        aria-describedby=[described.as_deref()];
                    @if let Some(e) = bad {
                        p.error id=(described.as_deref().unwrap_or_default()) { (problem(e, f, l)) }
                    }
                }
            }
            div.actions { button type="submit" { (t(l, Msg::Save)) } }
        }
    }
}

/// `POST /portal/account`: saves the billing details and returns to the page
/// (Post/Redirect/Get); a refused value shows the form again with the customer's input and the
/// problem next to its field.
pub async fn save(State(s): State<AppState>, action: Action<DetailsForm>) -> Response {
    let Action { visit: v, mut form } = action;
    let customer = CustomerRef::Id(v.customer.id.clone());
    let now = s.app.clock.now();
    let by = portico_app::Caller::portal(v.account.id.clone(), v.session.id.clone());
    let saved = match form.check_tax_id() {
        Ok(()) => portico_app::customers::update(&s.app, &by, &customer, form.patch(), now).await,
        Err(e) => Err(portico_app::AppError::Invalid(e)),
    };
    match saved {
        Ok(_) => {
            tracing::info!(portal_session = %v.session.id, "billing details changed");
            redirect_done(PortalPage::Account)
        }
        Err(portico_app::AppError::Invalid(e)) => {
            let l = v.locale;
            let page = Details::Form {
                form: Box::new(form),
                error: Some(e),
                csrf: v.csrf_token(),
            };
            let title = t(l, nav_label(PortalPage::Account));
            respond_page(
                &v,
                StatusCode::BAD_REQUEST,
                PortalPage::Account,
                title,
                None,
                render(&page, l),
            )
        }
        Err(e) => Denied::from(e).render(v.locale),
    }
}
