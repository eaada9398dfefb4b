//! The one error of the use cases, which each surface maps once: the REST error body, the
//! portal's pages, GraphQL's errors.

use portico_core::{Invalid, Refused};
use portico_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such record in the caller's account (also for other accounts' records).
    #[error("no such {kind}: '{id}'")]
    NotFound { kind: &'static str, id: String },
    /// The input breaks a rule; names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A uniqueness rule or the record's state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// Something the use case needs is down for now; the caller may retry.
    #[error("{0}")]
    Unavailable(String),
    /// A fault of the server; the cause is for the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        AppError::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, id } => AppError::NotFound { kind, id },
            StoreError::Invalid(i) => AppError::Invalid(i),
            StoreError::Conflict(m) => AppError::Conflict(m),
            e @ (StoreError::Database(_) | StoreError::Corrupt(_)) => {
                AppError::Internal(Box::new(e))
            }
        }
    }
}

impl From<Refused> for AppError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Invalid(i) => AppError::Invalid(i),
            Refused::Conflict(c) => AppError::Conflict(c),
        }
    }
}

/// A reference in the input to a record that is not there: the input's fault, so `Invalid`.
pub(crate) fn no_such(field: &str, kind: &str, value: impl std::fmt::Display) -> AppError {
    AppError::Invalid(Invalid::new(field, format!("no such {kind}: '{value}'")))
}

/// A reference in the input to another customer's record.
pub(crate) fn other_customer(field: &str, kind: &str, value: impl std::fmt::Display) -> AppError {
    AppError::Invalid(Invalid::new(
        field,
        format!("{kind} '{value}' belongs to another customer"),
    ))
}
