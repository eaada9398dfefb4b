//! Billing details: the page that shows the customer's name, e-mail, address and tax ID, and
//! the portal's first action, which lets a session with `account:write` change them.

use std::fmt::Write;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_core::Invalid;
use portico_core::model::{Address, Customer, CustomerPatch, CustomerRef, PortalPage};
use portico_core::scope::PortalScope;
use portico_render::format::format_address;
use portico_render::{Msg, t};
use serde::Deserialize;

use super::action::{Action, redirect_done};
use super::page::esc;
use super::views::{Ctx, heading};
use crate::AppState;

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
}

/// Whether this session may change the billing details.
fn may_edit(cx: &Ctx<'_>) -> bool {
    super::action::allows(cx.v, PortalScope::AccountWrite)
}

/// The billing-details page: a form when the session may change them, else the facts and who
/// to ask.
pub fn page(cx: &Ctx<'_>) -> String {
    if may_edit(cx) {
        form(cx, &DetailsForm::of(&cx.v.customer), None)
    } else {
        facts(cx)
    }
}

fn facts(cx: &Ctx<'_>) -> String {
    let c = &cx.v.customer;
    let mut out = heading(cx, PortalPage::Account);
    out.push_str("<section class=\"card\"><dl class=\"facts\">");
    let mut fact = |label: Msg, value: String| {
        let _ = write!(
            out,
            "<div><dt>{}</dt><dd>{value}</dd></div>",
            esc(t(cx.locale, label))
        );
    };
    fact(Msg::Name, esc(&c.name));
    if let Some(email) = &c.email {
        fact(Msg::Email, esc(email));
    }
    let lines: Vec<String> = format_address(&c.address)
        .into_iter()
        .filter(|l| !l.is_empty())
        .map(|l| esc(&l))
        .collect();
    if !lines.is_empty() {
        fact(
            Msg::BillingAddress,
            format!("<address>{}</address>", lines.join("<br>")),
        );
    }
    if let Some(tax) = &c.tax_id {
        fact(Msg::TaxId, esc(tax));
    }
    let _ = write!(
        out,
        "</dl><p class=\"muted\">{}</p></section>",
        esc(&portico_render::tf(
            cx.locale,
            Msg::ReadOnlyDetails,
            &[("vendor", cx.v.vendor_name())]
        ))
    );
    out
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

fn value<'a>(f: &'a DetailsForm, name: &str) -> &'a str {
    match name {
        "name" => &f.name,
        "email" => &f.email,
        "line1" => &f.line1,
        "line2" => &f.line2,
        "city" => &f.city,
        "state" => &f.state,
        "postal_code" => &f.postal_code,
        "country" => &f.country,
        _ => &f.tax_id,
    }
}

/// The form field a validation error names (`address.city` is the form's `city`).
fn field_of(e: &Invalid) -> &str {
    e.field.strip_prefix("address.").unwrap_or(&e.field)
}

/// The customer-facing text for a refused value.
fn problem(e: &Invalid, form: &DetailsForm) -> Msg {
    match field_of(e) {
        "email" => Msg::InvalidEmail,
        "name" if form.name.trim().is_empty() => Msg::FieldRequired,
        "country" => Msg::InvalidCountry,
        _ => Msg::InvalidValue,
    }
}

fn form(cx: &Ctx<'_>, f: &DetailsForm, error: Option<&Invalid>) -> String {
    let mut out = heading(cx, PortalPage::Account);
    if error.is_some() {
        let _ = write!(
            out,
            "<p class=\"flash bad\" role=\"alert\">{}</p>",
            esc(t(cx.locale, Msg::FixErrors))
        );
    }
    let _ = write!(
        out,
        "<form class=\"card details\" method=\"post\" action=\"{}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        PortalPage::Account.path(),
        esc(&cx.v.csrf_token())
    );
    for (name, label, autocomplete, kind, max) in FIELDS {
        let bad = error.filter(|e| field_of(e) == *name);
        let mut attrs = String::new();
        if *name == "name" {
            attrs.push_str(" required");
        }
        if *name == "country" {
            attrs.push_str(" class=\"short\" pattern=\"[A-Za-z]{2}\"");
        }
        if bad.is_some() {
            let _ = write!(
                attrs,
                " aria-invalid=\"true\" aria-describedby=\"f-{name}-error\""
            );
        }
        let _ = write!(
            out,
            "<div class=\"field\"><label for=\"f-{name}\">{}</label>\
             <input id=\"f-{name}\" name=\"{name}\" type=\"{kind}\" maxlength=\"{max}\" \
             autocomplete=\"{autocomplete}\" value=\"{}\"{attrs}>",
            esc(t(cx.locale, *label)),
            esc(value(f, name)),
        );
        if let Some(e) = bad {
            let _ = write!(
                out,
                "<p class=\"error\" id=\"f-{name}-error\">{}</p>",
                esc(t(cx.locale, problem(e, f)))
            );
        }
        out.push_str("</div>");
    }
    let _ = write!(
        out,
        "<div class=\"actions\"><button type=\"submit\">{}</button></div></form>",
        esc(t(cx.locale, Msg::Save))
    );
    out
}

/// Saves the billing details and returns to the page (Post/Redirect/Get); a refused value shows
/// the form again with the customer's input and the problem next to its field.
pub async fn save(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let action =
        match Action::<DetailsForm>::check(&s, &headers, &body, PortalScope::AccountWrite).await {
            Ok(a) => a,
            Err(refused) => return refused,
        };
    let cx = action.context(&s, &headers);
    let patch = action.form.patch();
    let customer = CustomerRef::Id(action.visit.customer.id.clone());
    let now = s.clock.now();
    let by = portico_app::Caller::portal(
        action.visit.account.id.clone(),
        action.visit.session.id.clone(),
    );
    match portico_app::customers::update(&s.app, &by, &customer, patch, now).await {
        Ok(_) => {
            tracing::info!(portal_session = %action.visit.session.id, "billing details changed");
            redirect_done(PortalPage::Account)
        }
        Err(portico_app::AppError::Invalid(e)) => {
            let main = form(&cx, &action.form, Some(&e));
            let mut r = cx.page(PortalPage::Account, t(cx.locale, Msg::NavAccount), &main);
            *r.status_mut() = StatusCode::BAD_REQUEST;
            r
        }
        Err(e) => super::session::Denied::from(e).render(cx.locale),
    }
}
