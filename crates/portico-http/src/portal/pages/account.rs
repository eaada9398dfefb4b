//! Billing details: the page that shows the customer's name, e-mail, address and tax ID, and
//! the portal's first action, which lets a session with `account:write` change them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use portico_core::Invalid;
use portico_core::model::countries::{countries_with_regions, regions};
use portico_core::model::{
    Address, Customer, CustomerPatch, CustomerRef, MAX_INVOICE_RECIPIENTS, PortalPage,
    tax_id_example,
};
use portico_core::scope::PortalScope;
use portico_render::{Locale, Msg, countries_by_name, format_address, t, tf};
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
    /// The further invoice recipients, one per line (commas also separate them).
    pub invoice_recipients: String,
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
            invoice_recipients: c.invoice_recipients.join("\n"),
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
            invoice_recipients: Some(
                self.invoice_recipients
                    .split(['\n', ',', ';'])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            ..CustomerPatch::default()
        }
    }

    /// The value of one of the text `FIELDS`.
    fn value(&self, name: &str) -> &str {
        match name {
            "name" => &self.name,
            "email" => &self.email,
            "line1" => &self.line1,
            "line2" => &self.line2,
            "city" => &self.city,
            _ => &self.postal_code,
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
    let lines: Vec<String> = format_address(&c.address, l)
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
                @if !c.invoice_recipients.is_empty() {
                    div {
                        dt { (t(l, Msg::InvoiceRecipients)) }
                        dd { @for (i, r) in c.invoice_recipients.iter().enumerate() { @if i > 0 { br; } (r) } }
                    }
                }
            }
            p.muted { (tf(l, Msg::ReadOnlyDetails, &[("vendor", vendor)])) }
        }
    }
}

/// The form's text fields: name, label, autocomplete token, input type, longest value. The
/// country and region selects and the recipients box follow them.
const FIELDS: &[(&str, Msg, &str, &str, usize)] = &[
    ("name", Msg::Name, "organization", "text", 200),
    ("email", Msg::Email, "email", "email", 254),
    ("line1", Msg::AddressLine1, "address-line1", "text", 200),
    ("line2", Msg::AddressLine2, "address-line2", "text", 200),
    ("postal_code", Msg::PostalCode, "postal-code", "text", 20),
    ("city", Msg::City, "address-level2", "text", 100),
];

/// The recipients box holds at most five addresses and their separators.
const RECIPIENTS_MAX_LENGTH: usize = MAX_INVOICE_RECIPIENTS * 256;

/// The form field a validation error names (`address.city` is the form's `city`, any
/// `invoice_recipients[i]` the recipients box).
fn field_of(e: &Invalid) -> &str {
    let field = e.field.strip_prefix("address.").unwrap_or(&e.field);
    field.split('[').next().unwrap_or(field)
}

/// The customer-facing text for a refused value.
fn problem(e: &Invalid, form: &DetailsForm, l: Locale) -> String {
    let msg = match field_of(e) {
        "email" => Msg::InvalidEmail,
        "name" if form.name.trim().is_empty() => Msg::FieldRequired,
        "country" => Msg::InvalidCountry,
        "state" if regions(&form.country.to_ascii_uppercase()).is_some() => Msg::InvalidRegion,
        "invoice_recipients" => Msg::InvalidRecipients,
        "tax_id" => {
            let example = tax_id_example(&form.country);
            return tf(l, Msg::InvalidTaxId, &[("example", &example)]);
        }
        _ => Msg::InvalidValue,
    };
    t(l, msg).to_owned()
}

/// A field's label, control and error, with the control's accessibility attributes.
struct Field {
    id: String,
    error: Option<String>,
}

impl Field {
    fn new(id: &str, name: &str, error: Option<&Invalid>, form: &DetailsForm, l: Locale) -> Self {
        Self {
            id: id.to_owned(),
            error: error
                .filter(|e| field_of(e) == name)
                .map(|e| problem(e, form, l)),
        }
    }

    fn invalid(&self) -> Option<&'static str> {
        self.error.as_ref().map(|_| "true")
    }

    fn described(&self) -> Option<String> {
        self.error.as_ref().map(|_| format!("{}-error", self.id))
    }

    fn message(&self) -> Markup {
        html! {
            @if let Some(text) = &self.error {
                p.error id=(format!("{}-error", self.id)) { (text) }
            }
        }
    }
}

/// The country select: every country by its name in the page's language, the ISO code as
/// the value.
fn country_field(f: &DetailsForm, error: Option<&Invalid>, l: Locale) -> Markup {
    let field = Field::new("f-country", "country", error, f, l);
    let chosen = f.country.trim().to_ascii_uppercase();
    html! {
        div.field {
            label for=(field.id) { (t(l, Msg::Country)) }
            select #(field.id) name="country" autocomplete="country" data-region-country
                aria-invalid=[field.invalid()] aria-describedby=[field.described()] {
                option value="" selected[chosen.is_empty()] { (t(l, Msg::ChooseCountry)) }
                @for (code, name) in countries_by_name(l) {
                    option value=(code) selected[chosen == code] { (name) }
                }
            }
            (field.message())
        }
    }
}

/// The region: a select of the country's regions where its post needs one (one per such
/// country, the others hidden and disabled so that only one is sent), else free text. The
/// server shows the one of the form's country; the script follows the country select.
fn region_fields(f: &DetailsForm, error: Option<&Invalid>, l: Locale) -> Markup {
    let country = f.country.trim().to_ascii_uppercase();
    let listed = regions(&country).is_some();
    let text = Field::new("f-state", "state", error.filter(|_| !listed), f, l);
    html! {
        @for c in countries_with_regions() {
            @let field = Field::new(&format!("f-state-{c}"), "state", error.filter(|_| c == country), f, l);
            @let shown = c == country;
            div.field data-region-for=(c) hidden[!shown] {
                label for=(field.id) { (t(l, Msg::State)) }
                select #(field.id) name="state" autocomplete="address-level1" disabled[!shown]
                    required[shown] aria-invalid=[field.invalid()] aria-describedby=[field.described()] {
                    option value="" { (t(l, Msg::ChooseRegion)) }
                    @for r in regions(c).into_iter().flatten() {
                        option value=(r.code) selected[shown && f.state.trim().eq_ignore_ascii_case(r.code)] { (r.name) }
                    }
                }
                (field.message())
            }
        }
        div.field data-region-for="" hidden[listed] {
            label for=(text.id) { (t(l, Msg::State)) }
            input #(text.id) name="state" type="text" maxlength="100" autocomplete="address-level1"
                value=(if listed { "" } else { f.state.as_str() }) disabled[listed]
                aria-invalid=[text.invalid()] aria-describedby=[text.described()];
            (text.message())
        }
    }
}

fn render_form(f: &DetailsForm, error: Option<&Invalid>, csrf: &str, l: Locale) -> Markup {
    let tax = Field::new("f-tax_id", "tax_id", error, f, l);
    let recipients = Field::new("f-invoice_recipients", "invoice_recipients", error, f, l);
    html! {
        (heading(l, PortalPage::Account))
        @if error.is_some() {
            p.flash.bad role="alert" { (t(l, Msg::FixErrors)) }
        }
        form.card.details method="post" action=(PortalPage::Account.path()) {
            input type="hidden" name="csrf" value=(csrf);
            @for (name, label, autocomplete, kind, max) in FIELDS {
                @let field = Field::new(&format!("f-{name}"), name, error, f, l);
                div.field {
                    label for=(field.id) { (t(l, *label)) }
                    input #(field.id) name=(name) type=(kind) maxlength=(max) autocomplete=(autocomplete)
                        value=(f.value(name))
                        required[*name == "name"]
                        aria-invalid=[field.invalid()]
                        aria-describedby=[field.described()];
                    (field.message())
                }
            }
            (country_field(f, error, l))
            (region_fields(f, error, l))
            div.field {
                label for=(tax.id) { (t(l, Msg::TaxId)) }
                input #(tax.id) name="tax_id" type="text" maxlength="50" autocomplete="off"
                    value=(f.tax_id) aria-invalid=[tax.invalid()] aria-describedby=[tax.described()];
                (tax.message())
            }
            div.field {
                label for=(recipients.id) { (t(l, Msg::InvoiceRecipients)) }
                p.hint id="f-invoice_recipients-hint" { (t(l, Msg::InvoiceRecipientsHint)) }
                textarea #(recipients.id) name="invoice_recipients" rows="3"
                    maxlength=(RECIPIENTS_MAX_LENGTH) autocomplete="off"
                    aria-invalid=[recipients.invalid()]
                    aria-describedby=(match recipients.described() {
                        Some(e) => format!("f-invoice_recipients-hint {e}"),
                        None => "f-invoice_recipients-hint".to_owned(),
                    }) { (f.invoice_recipients) }
                (recipients.message())
            }
            div.actions { button type="submit" { (t(l, Msg::Save)) } }
        }
    }
}

/// `POST /portal/account`: saves the billing details and returns to the page
/// (Post/Redirect/Get); a refused value shows the form again with the customer's input and the
/// problem next to its field.
pub async fn save(State(s): State<AppState>, action: Action<DetailsForm>) -> Response {
    let Action { visit: v, form } = action;
    let customer = CustomerRef::Id(v.customer.id.clone());
    let now = s.app.clock.now();
    let by = v.caller();
    let saved = portico_app::customers::update(&s.app, &by, &customer, form.patch(), now).await;
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
