//! The one error type of the client: an error answer of the API, a transport failure, or an
//! answer the client could not read.

pub use portico_core::answer::{ErrorBody, ErrorCode};

/// What can go wrong with a call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status. `code` is `None` when the body was not an
    /// error body (a proxy's page, say); `message` is then the body's text.
    #[error("{status}: {message}")]
    Api {
        status: u16,
        code: Option<ErrorCode>,
        message: String,
    },
    /// `POST /oauth/token` refused the client's credentials (RFC 6749 §5.2 `error`).
    #[error("token request refused ({error}): {description}")]
    OAuth { error: String, description: String },
    /// A GraphQL answer that carried `errors`.
    #[error("GraphQL: {}", .0.join("; "))]
    GraphQl(Vec<String>),
    /// The request never got an answer: connection refused, timed out, reset.
    #[error("transport: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer was not what the API documents.
    #[error("cannot read the answer to {operation}: {message}")]
    Decode { operation: String, message: String },
    /// The client was set up wrongly (a base URL that is not one, say).
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error code of an API error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether the record does not exist in the credential's account (404).
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(ErrorCode::NotFound)
    }

    /// Whether the record's state or a uniqueness rule refused the change (409).
    pub fn is_conflict(&self) -> bool {
        self.code() == Some(ErrorCode::Conflict)
    }

    pub(crate) fn decode(operation: impl Into<String>, message: impl ToString) -> Self {
        Error::Decode {
            operation: operation.into(),
            message: message.to_string(),
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Transport(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
