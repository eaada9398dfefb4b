//! What the customer portal shows, as pure functions: locales, texts, money, dates and invoice PDFs.
//!
//! Nothing here does I/O or reads the clock, so the HTTP layer decides where bytes go and tests
//! can compare exact output. The one exception is [`FallbackFonts::system`], which reads a CJK
//! font from the system's font directories once per process.

pub mod address;
pub mod countries;
pub mod format;
pub mod locale;
pub mod messages;
pub mod pdf;

pub use address::format_address;
pub use countries::{countries_by_name, country_name};
pub use format::{format_date, format_date_long, format_money};
pub use locale::{Locale, negotiate};
pub use messages::{Msg, t, tf};
pub use pdf::{FallbackFonts, InvoicePdf, invoice_pdf};
