//! Customers (the vendor's paying tenants) and their contacts (the people who open the portal).

use serde::{Deserialize, Serialize};

use super::{Metadata, countries, customer_tax_id, nullable, text_enum, validate_metadata};
use crate::error::{self, Invalid, ValidationResult};
use crate::{ContactId, Currency, CustomerId, Timestamp};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: CustomerId,
    /// The vendor's own id for this customer, unique in the account.
    pub alias: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub currency: Currency,
    pub address: Address,
    pub tax_id: Option<String>,
    /// Further addresses that receive the customer's invoices besides `email`.
    #[serde(default)]
    pub invoice_recipients: Vec<String>,
    pub portal_enabled: bool,
    pub metadata: Metadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Address {
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub line1: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub line2: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub city: Option<String>,
    /// The region: for US, CA and AU one of the country's ISO 3166-2 regions, given by its
    /// code (`IL`, `US-IL`) or English name and kept as its code; elsewhere free text.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub state: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*([A-Za-z]{2})?\s*$"))]
    pub country: Option<String>,
}

impl Address {
    /// Checks every part; the country must be an ISO 3166-1 code (kept in upper case) and,
    /// where its post needs a region (US, CA, AU), `state` must be one of its ISO 3166-2
    /// regions (kept as its code, `IL`).
    pub fn validate(self) -> ValidationResult<Self> {
        let text =
            |field: &str, v: Option<String>, max| error::optional_text(field, v.as_deref(), max);
        let country = text("address.country", self.country, 2)?.map(|c| c.to_ascii_uppercase());
        if let Some(c) = &country
            && !countries::is_country(c)
        {
            return Err(Invalid::new(
                "address.country",
                "must be an ISO 3166-1 alpha-2 code such as DE",
            ));
        }
        let state = text("address.state", self.state, 100)?;
        Ok(Self {
            line1: text("address.line1", self.line1, 200)?,
            line2: text("address.line2", self.line2, 200)?,
            city: text("address.city", self.city, 100)?,
            state: countries::check_region("address.state", country.as_deref(), state)?,
            postal_code: text("address.postal_code", self.postal_code, 20)?,
            country,
        })
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A customer alias or a contact's external id: the vendor's own id. Its charset keeps it
/// usable in a URL path, and it may not have the form of a Portico id of any kind, since
/// lookups that take either read the id form as an id.
pub fn alias(field: &str, value: &str) -> ValidationResult<String> {
    let valid = !value.is_empty()
        && value.len() <= 100
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'))
        && !crate::id::has_id_form(value);
    if valid {
        Ok(value.to_owned())
    } else {
        Err(Invalid::new(
            field,
            "must be 1 to 100 characters of letters, digits and - _ . @ :, and not look like a Portico id",
        ))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9_.@:-]+$")
    )]
    pub alias: Option<String>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: Option<String>,
    pub currency: Currency,
    #[serde(default)]
    pub address: Address,
    /// Checked against the format of the address's country (offline, by its shape) and
    /// stored normalised; a country without a known format takes 3 to 30 letters and digits.
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub tax_id: Option<String>,
    /// Up to 5 further e-mail addresses that receive the customer's invoices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_items = 5, value_type = Vec<String>, format = Email)
    )]
    pub invoice_recipients: Vec<String>,
    #[serde(default = "yes")]
    pub portal_enabled: bool,
    #[serde(default)]
    pub metadata: Metadata,
    /// The account's test clock (`clock_…`) that bills this customer instead of the real
    /// clock, as attaching it to the clock would.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub test_clock: Option<String>,
}

fn yes() -> bool {
    true
}

/// The most further invoice recipients a customer may have.
pub const MAX_INVOICE_RECIPIENTS: usize = 5;

/// Checks the further invoice recipients: at most five e-mail addresses, each once (in any
/// letter case) and none empty.
pub fn invoice_recipients(recipients: &[String]) -> ValidationResult<Vec<String>> {
    if recipients.len() > MAX_INVOICE_RECIPIENTS {
        return Err(Invalid::new(
            "invoice_recipients",
            format!("may hold at most {MAX_INVOICE_RECIPIENTS} addresses"),
        ));
    }
    let mut checked: Vec<String> = Vec::with_capacity(recipients.len());
    for (i, r) in recipients.iter().enumerate() {
        let email = error::email(&format!("invoice_recipients[{i}]"), r)?;
        if checked.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
            return Err(Invalid::new(
                format!("invoice_recipients[{i}]"),
                "is listed twice",
            ));
        }
        checked.push(email);
    }
    Ok(checked)
}

impl NewCustomer {
    pub fn validate(self) -> ValidationResult<Self> {
        validate_metadata(&self.metadata)?;
        let address = self.address.validate()?;
        Ok(Self {
            alias: self
                .alias
                .as_deref()
                .map(|a| alias("alias", a))
                .transpose()?,
            name: error::required_text("name", &self.name, 200)?,
            email: self
                .email
                .as_deref()
                .map(|e| error::email("email", e))
                .transpose()?,
            currency: self.currency,
            tax_id: customer_tax_id(address.country.as_deref(), self.tax_id.as_deref())?,
            address,
            invoice_recipients: invoice_recipients(&self.invoice_recipients)?,
            portal_enabled: self.portal_enabled,
            metadata: self.metadata,
            test_clock: error::optional_text("test_clock", self.test_clock.as_deref(), 64)?,
        })
    }
}

impl Customer {
    /// A new customer from its input, validated here.
    pub fn create(id: CustomerId, input: NewCustomer, now: Timestamp) -> ValidationResult<Self> {
        let input = input.validate()?;
        Ok(Customer {
            id,
            alias: input.alias,
            name: input.name,
            email: input.email,
            currency: input.currency,
            address: input.address,
            tax_id: input.tax_id,
            invoice_recipients: input.invoice_recipients,
            portal_enabled: input.portal_enabled,
            metadata: input.metadata,
            created_at: now,
            updated_at: now,
        })
    }
}

/// A partial update: absent fields stay, `null` clears a nullable field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub alias: Option<Option<String>>,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    pub currency: Option<Currency>,
    pub address: Option<Address>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tax_id: Option<Option<String>>,
    /// Replaces the further invoice recipients (`[]` removes them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(max_items = 5, value_type = Option<Vec<String>>, format = Email)
    )]
    pub invoice_recipients: Option<Vec<String>>,
    pub portal_enabled: Option<bool>,
    pub metadata: Option<Metadata>,
}

impl CustomerPatch {
    /// Applies the patch to `customer`, validating every field that changes.
    pub fn apply(self, mut customer: Customer, now: Timestamp) -> ValidationResult<Customer> {
        if let Some(a) = self.alias {
            customer.alias = a.as_deref().map(|a| alias("alias", a)).transpose()?;
        }
        if let Some(name) = self.name {
            customer.name = error::required_text("name", &name, 200)?;
        }
        if let Some(email) = self.email {
            customer.email = email
                .as_deref()
                .map(|e| error::email("email", e))
                .transpose()?;
        }
        if let Some(currency) = self.currency {
            customer.currency = currency;
        }
        // A new address or tax ID is checked together: the tax ID against the country.
        let checks_tax_id = self.address.is_some() || self.tax_id.is_some();
        if let Some(address) = self.address {
            customer.address = address.validate()?;
        }
        if let Some(tax_id) = self.tax_id {
            customer.tax_id = tax_id;
        }
        if checks_tax_id {
            customer.tax_id = customer_tax_id(
                customer.address.country.as_deref(),
                customer.tax_id.as_deref(),
            )?;
        }
        if let Some(recipients) = self.invoice_recipients {
            customer.invoice_recipients = invoice_recipients(&recipients)?;
        }
        if let Some(enabled) = self.portal_enabled {
            customer.portal_enabled = enabled;
        }
        if let Some(metadata) = self.metadata {
            validate_metadata(&metadata)?;
            customer.metadata = metadata;
        }
        customer.updated_at = now;
        Ok(customer)
    }
}

text_enum!(
    /// What a contact may do in the portal: `viewer` sees everything and changes nothing.
    Role { Owner = "owner", Billing = "billing", Viewer = "viewer" }
);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contact {
    pub id: ContactId,
    pub customer: CustomerId,
    /// The vendor's own id for this person, unique in the account.
    pub external_id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub portal_access: bool,
    pub role: Role,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub external_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
    #[serde(default = "yes")]
    pub portal_access: bool,
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Billing
}

impl NewContact {
    pub fn validate(self) -> ValidationResult<Self> {
        Ok(Self {
            customer: self.customer,
            external_id: self
                .external_id
                .as_deref()
                .map(|a| alias("external_id", a))
                .transpose()?,
            email: error::email("email", &self.email)?,
            name: error::optional_text("name", self.name.as_deref(), 200)?,
            portal_access: self.portal_access,
            role: self.role,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub external_id: Option<Option<String>>,
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    pub portal_access: Option<bool>,
    pub role: Option<Role>,
}

impl ContactPatch {
    pub fn apply(self, mut contact: Contact, now: Timestamp) -> ValidationResult<Contact> {
        if let Some(x) = self.external_id {
            contact.external_id = x.as_deref().map(|a| alias("external_id", a)).transpose()?;
        }
        if let Some(email) = self.email {
            contact.email = error::email("email", &email)?;
        }
        if let Some(name) = self.name {
            contact.name = error::optional_text("name", name.as_deref(), 200)?;
        }
        if let Some(access) = self.portal_access {
            contact.portal_access = access;
        }
        if let Some(role) = self.role {
            contact.role = role;
        }
        contact.updated_at = now;
        Ok(contact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tax_id_example;

    #[test]
    fn aliases() {
        assert!(alias("alias", "superdesk-123").is_ok());
        assert!(alias("alias", "org:42@eu").is_ok());
        for bad in [
            "",
            "a b",
            "a/b",
            "../x",
            "cus_01jd0v4m3g6k2x8r9t7w5y1q3z",
            "ctc_01jd0v4m3g6k2x8r9t7w5y1q3z",
            "ps_01jd0v4m3g6k2x8r9t7w5y1q3z",
            "acct_01jd0v4m3g6k2x8r9t7w5y1q3z",
        ] {
            assert!(alias("alias", bad).is_err(), "{bad} accepted");
        }
    }

    fn address(country: &str, state: Option<&str>) -> Address {
        Address {
            country: Some(country.into()),
            state: state.map(Into::into),
            ..Address::default()
        }
    }

    #[test]
    fn an_address_names_a_real_country_and_one_of_its_regions() {
        let us = address("us", Some("Illinois")).validate().unwrap();
        assert_eq!(
            (us.country.as_deref(), us.state.as_deref()),
            (Some("US"), Some("IL"))
        );
        for (bad, field) in [
            (address("XK", None), "address.country"),
            (address("US", Some("Bavaria")), "address.state"),
            (address("CA", None), "address.state"),
            (address("AU", Some("IL")), "address.state"),
        ] {
            assert_eq!(bad.clone().validate().unwrap_err().field, field, "{bad:?}");
        }
        assert_eq!(
            address("DE", Some("Bayern"))
                .validate()
                .unwrap()
                .state
                .as_deref(),
            Some("Bayern")
        );
    }

    fn customer_in(country: &str, tax_id: &str) -> NewCustomer {
        serde_json::from_value(serde_json::json!({
            "name": "Acme", "currency": "EUR", "tax_id": tax_id,
            "address": {"country": country, "state": match country { "US" => Some("NY"), "AU" => Some("NSW"), _ => None }},
        }))
        .unwrap()
    }

    #[test]
    fn a_tax_id_must_fit_its_country_per_rule_family() {
        // One of each family: an EU VAT number, the UK's, Switzerland's (with its suffix), an
        // Australian ABN (check digits), a US EIN, and a country without a known format.
        for (country, good, normalised, bad) in [
            ("DE", "de 123456789", "DE123456789", "DE12345678"),
            ("GB", "GB123 4567 89", "GB123456789", "GB12345678"),
            (
                "CH",
                "CHE-123.456.789 MWST",
                "CHE123456789MWST",
                "CH123456789",
            ),
            ("AU", "51824753556", "51 824 753 556", "51 824 753 557"),
            ("US", "123456789", "12-3456789", "1234567"),
            ("JP", "T1234567890123", "T1234567890123", "T<1>"),
        ] {
            let ok = customer_in(country, good).validate().unwrap();
            assert_eq!(ok.tax_id.as_deref(), Some(normalised), "{country} {good}");
            let refused = customer_in(country, bad).validate().unwrap_err();
            assert_eq!(refused.field, "tax_id", "{country} {bad}");
            assert!(
                refused.message.contains(&tax_id_example(country)),
                "{}",
                refused.message
            );
        }
    }

    #[test]
    fn a_patch_checks_the_tax_id_against_the_country_it_leaves() {
        let now = Timestamp::from_secs(1_700_000_000);
        let c = Customer::create(
            CustomerId::new(now, [0; 10]),
            customer_in("DE", "DE123456789"),
            now,
        )
        .unwrap();
        let moved = CustomerPatch {
            address: Some(address("PL", None)),
            ..CustomerPatch::default()
        };
        assert_eq!(moved.apply(c.clone(), now).unwrap_err().field, "tax_id");
        let renamed = CustomerPatch {
            name: Some("Acme SE".into()),
            ..CustomerPatch::default()
        };
        assert_eq!(
            renamed.apply(c, now).unwrap().tax_id.as_deref(),
            Some("DE123456789")
        );
    }

    #[test]
    fn invoice_recipients_are_up_to_five_distinct_addresses() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("ap{i}@acme.example"))
                .collect::<Vec<_>>()
        };
        assert_eq!(invoice_recipients(&list(5)).unwrap(), list(5));
        assert_eq!(
            invoice_recipients(&list(6)).unwrap_err().field,
            "invoice_recipients"
        );
        let twice = ["a@acme.example".to_owned(), "A@acme.example".to_owned()];
        assert_eq!(
            invoice_recipients(&twice).unwrap_err().field,
            "invoice_recipients[1]"
        );
        let bad = ["a@acme.example".to_owned(), "nope".to_owned()];
        assert_eq!(
            invoice_recipients(&bad).unwrap_err().field,
            "invoice_recipients[1]"
        );
    }

    #[test]
    fn patch_distinguishes_absent_and_null() {
        let p: CustomerPatch = serde_json::from_str(r#"{"email": null}"#).unwrap();
        assert_eq!(p.email, Some(None));
        assert_eq!(p.alias, None);
        assert!(serde_json::from_str::<CustomerPatch>(r#"{"nmae": "x"}"#).is_err());
    }

    #[test]
    fn a_serialized_patch_holds_only_what_it_sets() {
        let patch = CustomerPatch {
            email: Some(None),
            name: Some("Acme".into()),
            ..CustomerPatch::default()
        };
        let json = serde_json::to_value(&patch).unwrap();
        assert_eq!(json["email"], serde_json::Value::Null);
        assert!(json.get("alias").is_none(), "{json}");
        let back: CustomerPatch = serde_json::from_value(json).unwrap();
        assert_eq!(
            (back.email, back.alias, back.tax_id),
            (Some(None), None, None)
        );
        assert_eq!(back.name.as_deref(), Some("Acme"));
    }

    #[test]
    fn address_country_is_checked() {
        let a = Address {
            country: Some("de".into()),
            ..Address::default()
        };
        assert_eq!(a.validate().unwrap().country.as_deref(), Some("DE"));
        let a = Address {
            country: Some("Germany".into()),
            ..Address::default()
        };
        assert_eq!(a.validate().unwrap_err().field, "address.country");
    }
}

/// How a path or body names a customer: by Portico id or by the vendor's alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(CustomerId),
    Alias(String),
}

impl CustomerRef {
    /// A string that parses as a customer id is an id; anything else is taken as an alias.
    pub fn parse(value: &str) -> Self {
        match value.parse() {
            Ok(id) => CustomerRef::Id(id),
            Err(_) => CustomerRef::Alias(value.to_owned()),
        }
    }
}

impl std::fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomerRef::Id(id) => id.fmt(f),
            CustomerRef::Alias(a) => f.write_str(a),
        }
    }
}

/// How the vendor names a contact (Planhat's `enduserId`): by Portico id or external id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactRef {
    Id(ContactId),
    ExternalId(String),
}

impl ContactRef {
    pub fn parse(value: &str) -> Self {
        match value.parse() {
            Ok(id) => ContactRef::Id(id),
            Err(_) => ContactRef::ExternalId(value.to_owned()),
        }
    }
}
