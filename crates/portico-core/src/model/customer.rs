//! Customers (the vendor's paying tenants) and their contacts (the people who open the portal).

use serde::{Deserialize, Serialize};

use super::{Metadata, nullable, text_enum, validate_metadata};
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
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub state: Option<String>,
    #[cfg_attr(feature = "openapi", schema(max_length = 20))]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^\s*([A-Za-z]{2})?\s*$"))]
    pub country: Option<String>,
}

impl Address {
    pub fn validate(self) -> ValidationResult<Self> {
        let text =
            |field: &str, v: Option<String>, max| error::optional_text(field, v.as_deref(), max);
        let country = text("address.country", self.country, 2)?;
        if let Some(c) = &country
            && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
        {
            return Err(Invalid::new(
                "address.country",
                "must be an ISO 3166-1 alpha-2 code such as DE",
            ));
        }
        Ok(Self {
            line1: text("address.line1", self.line1, 200)?,
            line2: text("address.line2", self.line2, 200)?,
            city: text("address.city", self.city, 100)?,
            state: text("address.state", self.state, 100)?,
            postal_code: text("address.postal_code", self.postal_code, 20)?,
            country: country.map(|c| c.to_ascii_uppercase()),
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
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub tax_id: Option<String>,
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

impl NewCustomer {
    pub fn validate(self) -> ValidationResult<Self> {
        validate_metadata(&self.metadata)?;
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
            address: self.address.validate()?,
            tax_id: error::optional_text("tax_id", self.tax_id.as_deref(), 50)?,
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
        if let Some(address) = self.address {
            customer.address = address.validate()?;
        }
        if let Some(tax_id) = self.tax_id {
            customer.tax_id = error::optional_text("tax_id", tax_id.as_deref(), 50)?;
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
