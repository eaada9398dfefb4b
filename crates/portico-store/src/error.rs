//! The store's errors, in the terms the API answers with.

use portico_core::{Invalid, Refused};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record in this account (also for other accounts' records).
    #[error("no such {kind}: '{id}'")]
    NotFound { kind: &'static str, id: String },
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A uniqueness rule or the record's state forbids the change.
    #[error("{0}")]
    Conflict(String),
    /// The database failed; the cause is for the log only.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            kind,
            id: id.to_string(),
        }
    }
}

impl From<Refused> for StoreError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Invalid(i) => StoreError::Invalid(i),
            Refused::Conflict(c) => StoreError::Conflict(c),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
