//! Billing records as the vendor API shows them, and the validated inputs that create or change them.

mod access;
mod account;
mod billing;
mod catalog;
pub mod countries;
mod customer;
mod flow;
mod invoice_settings;
mod tax_id;

pub use access::*;
pub use account::*;
pub use billing::*;
pub use catalog::*;
pub use customer::*;
pub use flow::*;
pub use invoice_settings::*;
pub use tax_id::*;

use serde::{Deserialize, Deserializer};

/// Vendor-defined key/value pairs stored with a record.
pub type Metadata = std::collections::BTreeMap<String, String>;

/// Deserializes a field that distinguishes "absent" (`None`) from "set to null" (`Some(None)`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

pub(crate) fn validate_metadata(metadata: &Metadata) -> crate::ValidationResult<()> {
    use crate::Invalid;
    if metadata.len() > 50 {
        return Err(Invalid::new("metadata", "may hold at most 50 keys"));
    }
    for (key, value) in metadata {
        if key.is_empty() || key.len() > 40 {
            return Err(Invalid::new("metadata", "keys must be 1 to 40 characters"));
        }
        if value.len() > 500 {
            return Err(Invalid::new(
                format!("metadata.{key}"),
                "must be at most 500 characters",
            ));
        }
    }
    Ok(())
}

/// Text enums that go to the wire and the database by the same lowercase name.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        // Written out because utoipa's derive does not see a `serde(rename)` whose value comes
        // from a macro argument, and would document the Rust variant names instead.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(field: &str, text: &str) -> $crate::ValidationResult<Self> {
                match text {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::Invalid::new(
                        field,
                        format!("must be one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;
