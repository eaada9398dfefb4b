//! The error answer every API of Portico gives, `{"code", "message"}`: one definition for the
//! server that writes it and the client that reads it.

use serde::{Deserialize, Serialize};

/// The machine-readable kind of an error, the same across every API of Portico.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    NotFound,
    Conflict,
    Forbidden,
    Unauthorized,
    /// A portal token presented after its expiry (the portal's read API).
    TokenExpired,
    TooManyRequests,
    InternalServerError,
}

/// Every error answer: `{"code": "NOT_FOUND", "message": "no such customer: 'x'"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}
