//! The one error type of the HTTP layer and its one mapping to a response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_app::AppError;
use portico_core::Invalid;
use portico_store::StoreError;

pub use portico_core::answer::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400; the message names the offending field.
    #[error("{0}")]
    BadRequest(String),
    /// 413, with code `BAD_REQUEST`.
    #[error("the request body is larger than 1 MiB")]
    PayloadTooLarge,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthorized(String),
    /// 401 with code `TOKEN_EXPIRED`: a portal token that was valid has expired.
    #[error("the portal token has expired")]
    TokenExpired,
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 429 with `Retry-After` in seconds.
    #[error("too many requests; retry after {0} s")]
    TooManyRequests(u64),
    /// 408 with code `BAD_REQUEST`: the client did not send the body in time.
    #[error("{0}")]
    BodyTimeout(String),
    /// 503 with code `INTERNAL_SERVER_ERROR`: the answer was not ready within the request
    /// deadline.
    #[error("the request took too long to answer; try again")]
    TooSlow,
    /// 503 with code `INTERNAL_SERVER_ERROR`: a dependency (the database) is down.
    #[error("service unavailable")]
    Unavailable,
    /// 500; the cause goes to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(message.into())
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unauthorized(_) | ApiError::TokenExpired => StatusCode::UNAUTHORIZED,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable | ApiError::TooSlow => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            // 405, 408 and 413 have no code of their own in the contract; each is a bad request.
            ApiError::BadRequest(_)
            | ApiError::PayloadTooLarge
            | ApiError::MethodNotAllowed(_)
            | ApiError::BodyTimeout(_) => ErrorCode::BadRequest,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::TokenExpired => ErrorCode::TokenExpired,
            ApiError::TooManyRequests(_) => ErrorCode::TooManyRequests,
            ApiError::Unavailable | ApiError::TooSlow | ApiError::Internal(_) => {
                ErrorCode::InternalServerError
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::Invalid(i) => i.into(),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            e @ (StoreError::Database(_) | StoreError::Corrupt(_)) => ApiError::internal(e),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            AppError::Invalid(i) => i.into(),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::Unavailable(_) => ApiError::Unavailable,
            AppError::Internal(cause) => ApiError::Internal(anyhow::Error::from_boxed(cause)),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(i: Invalid) -> Self {
        ApiError::BadRequest(i.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            // Logged inside the request's span, which carries the request id.
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let status = self.status();
        let body = ErrorBody {
            code: self.code(),
            message: self.to_string(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::TooManyRequests(secs) = &self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_screaming_snake_case() {
        let json = serde_json::to_value(ErrorBody {
            code: ErrorCode::InternalServerError,
            message: "internal error".into(),
        })
        .unwrap();
        assert_eq!(json["code"], "INTERNAL_SERVER_ERROR");
        assert_eq!(
            serde_json::to_value(ErrorCode::TooManyRequests).unwrap(),
            "TOO_MANY_REQUESTS"
        );
    }

    #[test]
    fn store_errors_map_to_statuses() {
        let e: ApiError = StoreError::not_found("customer", "cus_x").into();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e: ApiError = StoreError::Invalid(Invalid::new("email", "bad")).into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.to_string(), "email: bad");
        let e: ApiError = StoreError::Conflict("alias taken".into()).into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: ApiError = StoreError::Corrupt("secret detail".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.to_string(), "internal error");
    }
}
