//! What a vendor's invoices say about the vendor: the seller block a tax document needs, the
//! payment instructions, a footer, and the uploaded logo.

use serde::{Deserialize, Serialize};

use super::{Account, Address, Customer, PortalSettings};
use crate::{Timestamp, ValidationResult, error};

/// The seller as invoices name it. Every field is optional so that an account without them
/// still issues invoices (headed by its display name); tax law in most countries asks for the
/// legal name, address and tax ID.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct InvoiceSettings {
    /// The seller's legal name ("Acme Cloud GmbH").
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub legal_name: Option<String>,
    pub address: Address,
    /// The seller's VAT or tax number.
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub tax_id: Option<String>,
    /// Company registration, e.g. "Amtsgericht Berlin-Charlottenburg, HRB 123456".
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub registration: Option<String>,
    /// How to pay by bank transfer; printed on unpaid invoices. Line breaks are kept.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1000,
            // The shared text rule of the API document, with line breaks allowed.
            pattern = r"^[^\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]*$"
        )
    )]
    pub payment_instructions: Option<String>,
    /// A line or two printed at the foot of every page.
    #[cfg_attr(feature = "openapi", schema(max_length = 300))]
    pub footer: Option<String>,
    /// The logo uploaded with `PUT /api/v1/invoice-settings/logo`; read-only here.
    pub logo: Option<LogoInfo>,
}

/// What is known about the stored logo without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogoInfo {
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub updated_at: Timestamp,
}

/// An invoice's parties as they were when it was issued: the customer's billing details and
/// the account's settings (seller block and branding). Kept with the invoice so that later
/// edits never rewrite an issued document.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedParties {
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub customer_address: Address,
    pub customer_tax_id: Option<String>,
    /// The further addresses the invoice went to.
    pub customer_invoice_recipients: Vec<String>,
    pub settings: PortalSettings,
}

impl IssuedParties {
    /// The customer as the invoice billed it: today's record with the billing details of then.
    pub fn customer(&self, current: &Customer) -> Customer {
        Customer {
            name: self.customer_name.clone(),
            email: self.customer_email.clone(),
            address: self.customer_address.clone(),
            tax_id: self.customer_tax_id.clone(),
            invoice_recipients: self.customer_invoice_recipients.clone(),
            ..current.clone()
        }
    }

    /// The account as it sent the invoice: its settings of then. The logo is today's, since
    /// only one is stored.
    pub fn account(&self, current: &Account) -> Account {
        let mut settings = self.settings.clone();
        settings.invoice.logo = current.settings.invoice.logo.clone();
        Account {
            settings,
            ..current.clone()
        }
    }
}

/// The uploaded logo itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLogo {
    /// `image/png` or `image/jpeg`.
    pub content_type: String,
    pub data: Vec<u8>,
}

impl InvoiceLogo {
    /// A checked image of `width` × `height` pixels, and what the settings say of it.
    pub fn with_info(
        content_type: &str,
        data: Vec<u8>,
        width: u32,
        height: u32,
        now: Timestamp,
    ) -> (Self, LogoInfo) {
        let info = LogoInfo {
            content_type: content_type.to_owned(),
            width,
            height,
            bytes: data.len() as u64,
            updated_at: now,
        };
        let logo = Self {
            content_type: content_type.to_owned(),
            data,
        };
        (logo, info)
    }
}

impl InvoiceSettings {
    /// Checks every field, trimming texts and dropping empty ones.
    pub fn validate(self) -> ValidationResult<Self> {
        let text = |field: &str, v: Option<String>, max| {
            error::optional_text(&format!("invoice.{field}"), v.as_deref(), max)
        };
        Ok(Self {
            legal_name: text("legal_name", self.legal_name, 200)?,
            address: self.address.validate()?,
            tax_id: text("tax_id", self.tax_id, 50)?,
            registration: text("registration", self.registration, 300)?,
            payment_instructions: multiline(
                "invoice.payment_instructions",
                self.payment_instructions,
                1000,
            )?,
            footer: text("footer", self.footer, 300)?,
            logo: self.logo,
        })
    }
}

/// Text of several lines (bank details): each line checked like a one-line text, blank lines
/// at either end dropped, `\r\n` kept as `\n`.
fn multiline(field: &str, value: Option<String>, max: usize) -> ValidationResult<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let lines = value
        .lines()
        .map(|line| Ok(error::optional_text(field, Some(line), max)?.unwrap_or_default()))
        .collect::<ValidationResult<Vec<String>>>()?;
    let text = lines.join("\n").trim_matches('\n').to_owned();
    error::optional_text(field, Some(&text.replace('\n', " ")), max)?;
    Ok((!text.is_empty()).then_some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_bounded_and_blank_ones_dropped() {
        let settings = InvoiceSettings {
            legal_name: Some("  Acme Cloud GmbH ".into()),
            footer: Some("   ".into()),
            ..InvoiceSettings::default()
        }
        .validate()
        .unwrap();
        assert_eq!(settings.legal_name.as_deref(), Some("Acme Cloud GmbH"));
        assert_eq!(settings.footer, None);
        let long = InvoiceSettings {
            payment_instructions: Some("x".repeat(1001)),
            ..InvoiceSettings::default()
        };
        let error = long.validate().unwrap_err();
        assert_eq!(error.field, "invoice.payment_instructions");
        let bank = InvoiceSettings {
            payment_instructions: Some(
                "\r\n  IBAN DE89 3704 0044 0532 0130 00 \r\nBIC COBADEFFXXX\n".into(),
            ),
            ..InvoiceSettings::default()
        }
        .validate()
        .unwrap();
        assert_eq!(
            bank.payment_instructions.as_deref(),
            Some("IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX")
        );
        let control = InvoiceSettings {
            payment_instructions: Some("IBAN\u{7}".into()),
            ..InvoiceSettings::default()
        };
        assert!(control.validate().is_err());
        let bad_country = InvoiceSettings {
            address: Address {
                country: Some("Germany".into()),
                ..Address::default()
            },
            ..InvoiceSettings::default()
        };
        assert!(bad_country.validate().is_err());
    }
}
