//! Portico's domain: ids, money, time, billing records and the rules that keep them valid.
//!
//! Nothing here does I/O or knows about HTTP or SQL; the clock and the random source come in as
//! arguments, so every rule can be tested exactly.

pub mod answer;
pub mod error;
pub mod event;
pub mod id;
pub mod model;
pub mod money;
pub mod page;
pub mod scope;
pub mod time;

pub use error::{Invalid, Refused, ValidationResult};
pub use id::*;
pub use money::{Currency, Money};
pub use page::{List, PageRequest};
pub use time::Timestamp;
