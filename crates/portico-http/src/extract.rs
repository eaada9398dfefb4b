//! Request extractors whose failures are `ApiError`s naming the field: JSON bodies, query
//! strings, path ids, and the pagination parameters every list shares.

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use portico_core::id::BadId;
use portico_core::{Invalid, PageRequest};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::serve::BodyTimedOut;
use crate::strict::{Strict, plain_message};

/// A JSON body. Wrong content type, bad syntax, invalid UTF-8, too deep nesting, a wrong type,
/// a missing or unknown field: all 400 with a message naming the field; over 1 MiB: 413.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_json(req.headers())?;
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A request body read but not yet parsed, so that a handler checks its scope before it
/// validates input (a caller without the scope learns nothing from validation errors).
#[derive(Debug, Clone)]
pub struct JsonBody {
    is_json: bool,
    has_type: bool,
    bytes: Bytes,
}

impl JsonBody {
    /// The body as `T`; see [`ApiJson`] for the errors.
    pub fn parse<T: DeserializeOwned>(&self) -> ApiResult<T> {
        if !self.is_json {
            return Err(not_json());
        }
        parse_json(&self.bytes)
    }

    /// Like [`JsonBody::parse`], but an empty body without a content type, or `null`, is `None`.
    pub fn parse_optional<T: DeserializeOwned>(&self) -> ApiResult<Option<T>> {
        if self.bytes.is_empty() && !self.has_type {
            return Ok(None);
        }
        if !self.is_json {
            return Err(not_json());
        }
        parse_json::<Option<T>>(&self.bytes)
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let has_type = req.headers().contains_key(header::CONTENT_TYPE);
        let is_json = require_json(req.headers()).is_ok();
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        Ok(JsonBody {
            is_json,
            has_type,
            bytes,
        })
    }
}

fn not_json() -> ApiError {
    ApiError::bad_request(
        "Content-Type: the request body must be JSON, sent with Content-Type: application/json",
    )
}

fn require_json(headers: &HeaderMap) -> ApiResult<()> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match mime {
        Some(m)
            if m == "application/json"
                || (m.starts_with("application/") && m.ends_with("+json")) =>
        {
            Ok(())
        }
        _ => Err(not_json()),
    }
}

pub(crate) fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::PayloadTooLarge;
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
    while let Some(e) = cause {
        if let Some(timeout) = e.downcast_ref::<BodyTimedOut>() {
            return ApiError::BodyTimeout(timeout.to_string());
        }
        cause = e.source();
    }
    ApiError::bad_request("the request body could not be read")
}

/// Parses JSON so that an error names the path of the field it is about (`lines[0].quantity`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(Strict(&mut de)).map_err(|e| {
        let path = e.path().to_string();
        json_error(Some(path), e.into_inner())
    })?;
    de.end().map_err(|e| json_error(None, e))?;
    Ok(value)
}

fn json_error(path: Option<String>, e: serde_json::Error) -> ApiError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let detail = plain_message(text.strip_suffix(&suffix).unwrap_or(&text));
    let message = match e.classify() {
        serde_json::error::Category::Data => match path.as_deref() {
            Some(p) if p != "." && !p.is_empty() => format!("{p}: {detail}"),
            _ => detail,
        },
        _ => format!("invalid JSON: {}", plain_message(&text)),
    };
    ApiError::BadRequest(message)
}

/// A query string; an unknown or repeated parameter is a 400 naming it.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => {
                let text = rejection.body_text();
                let detail = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text);
                Err(ApiError::BadRequest(format!("query string: {detail}")))
            }
        }
    }
}

/// A path id of one kind (`{id}`); one that does not parse answers 404, like an id that does
/// not exist, so that ids of the wrong kind tell nothing apart.
#[derive(Debug, Clone)]
pub struct IdPath<I>(pub I);

impl<S, I> FromRequestParts<S> for IdPath<I>
where
    S: Send + Sync,
    I: FromStr<Err = BadId> + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("no such resource".to_owned()))?;
        raw.parse::<I>()
            .map(IdPath)
            .map_err(|e| ApiError::NotFound(format!("no such {}: '{raw}'", e.kind)))
    }
}

/// A path segment that may be a Portico id or the vendor's own id (alias, external id).
#[derive(Debug, Clone)]
pub struct RefPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RefPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(raw)| RefPath(raw))
            .map_err(|_| ApiError::NotFound("no such resource".to_owned()))
    }
}

/// `limit` (1..=100) and `starting_after` (an id of the listed kind) as a page request.
pub fn page<I: FromStr<Err = BadId>>(
    limit: Option<&str>,
    starting_after: Option<&str>,
) -> ApiResult<PageRequest<I>> {
    let limit = limit
        .map(|l| {
            l.trim()
                .parse::<i64>()
                .map_err(|_| Invalid::new("limit", "must be an integer between 1 and 100"))
        })
        .transpose()?;
    let limit = PageRequest::<I>::validate_limit(limit)?;
    let starting_after = starting_after
        .map(|s| id_param("starting_after", s))
        .transpose()?;
    Ok(PageRequest {
        limit,
        starting_after,
        ending_before: None,
    })
}

/// A query parameter that must be an id of one kind; anything else is a 400 naming it.
pub fn id_param<I: FromStr<Err = BadId>>(field: &str, value: &str) -> ApiResult<I> {
    value
        .parse::<I>()
        .map_err(|e| Invalid::new(field, format!("must be a {} id", e.kind)).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::CustomerId;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        expires_in_seconds: i64,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        lines: Vec<i64>,
    }

    fn message<T: DeserializeOwned + std::fmt::Debug>(json: &[u8]) -> String {
        parse_json::<T>(json).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        let m = message::<Body>(br#"{"expires_in_seconds": "abc"}"#);
        assert!(m.starts_with("expires_in_seconds: invalid type"), "{m}");
        let m = message::<Body>(br#"{"expires_in_seconds": 1e99}"#);
        assert!(m.starts_with("expires_in_seconds: "), "{m}");
        let m = message::<Body>(br#"{"expires_in_seconds": 1, "inner": {"lines": [1, "x"]}}"#);
        assert!(m.starts_with("inner.lines[1]: "), "{m}");
        let m = message::<Body>(br#"{"expires_in_seconds": 1, "nmae": 1}"#);
        assert!(m.contains("unknown field `nmae`"), "{m}");
        let m = message::<Body>(br#"{}"#);
        assert!(m.contains("missing field `expires_in_seconds`"), "{m}");
        let m = message::<Body>(br#"{"expires_in_seconds": 1} x"#);
        assert!(m.starts_with("invalid JSON"), "{m}");
        let m = message::<Body>(b"{\"expires_in_seconds\": 1, \"inner\": \"\xff\"}");
        assert!(m.contains("inner") || m.starts_with("invalid JSON"), "{m}");
        // Arrays are not objects, at the top or nested, and no message names a Rust type.
        let m = message::<Body>(br#"[1, null]"#);
        assert_eq!(m, "invalid type: sequence, expected an object");
        let m = message::<Body>(br#"{"expires_in_seconds": 1, "inner": [[1]]}"#);
        assert_eq!(m, "inner: invalid type: sequence, expected an object");
        let m = message::<Body>(br#"{"expires_in_seconds": 1, "inner": "x"}"#);
        assert_eq!(m, "inner: invalid type: string \"x\", expected an object");
        let m = message::<Vec<Inner>>(br#"[{"lines": []}, ["x"]]"#);
        assert_eq!(m, "[1]: invalid type: sequence, expected an object");
        assert_eq!(
            parse_json::<Vec<Inner>>(br#"[{"lines": [1, 2]}]"#).unwrap()[0].lines,
            [1, 2]
        );
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let m = message::<serde_json::Value>(deep.as_bytes());
        assert!(m.contains("recursion limit"), "{m}");
    }

    /// Any JSON value of a few levels, with the field names of [`Body`] among its keys.
    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,6}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![
                Just("expires_in_seconds".to_owned()),
                Just("inner".to_owned()),
                Just("lines".to_owned()),
                "[a-z]{1,4}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(key, inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_are_an_answer_never_a_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            let _ = parse_json::<Body>(&bytes);
        }

        #[test]
        fn objects_only_where_objects_are_expected(value in json_value()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            match parse_json::<Body>(&bytes) {
                Ok(body) => {
                    proptest::prop_assert!(value.is_object());
                    if body.inner.is_some() {
                        proptest::prop_assert!(value["inner"].is_object());
                    }
                }
                Err(e) => {
                    let m = e.to_string();
                    proptest::prop_assert!(!m.contains("struct") && !m.contains("enum "), "{}", m);
                }
            }
        }
    }

    #[test]
    fn integral_numbers_are_integers_as_json_schema_counts_them() {
        let b = parse_json::<Body>(br#"{"expires_in_seconds": 600.0}"#).unwrap();
        assert_eq!(b.expires_in_seconds, 600);
        let b = parse_json::<Body>(br#"{"expires_in_seconds": -6e2}"#).unwrap();
        assert_eq!(b.expires_in_seconds, -600);
        for bad in [
            &br#"{"expires_in_seconds": 600.5}"#[..],
            br#"{"expires_in_seconds": 1e99}"#,
        ] {
            let m = message::<Body>(bad);
            assert!(
                m.starts_with("expires_in_seconds: invalid type: floating point"),
                "{m}"
            );
        }
    }

    #[test]
    fn pages_check_limit_and_cursor() {
        assert_eq!(page::<CustomerId>(None, None).unwrap().limit, 10);
        assert_eq!(page::<CustomerId>(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            let m = page::<CustomerId>(Some(bad), None).unwrap_err().to_string();
            assert!(m.starts_with("limit: "), "{bad}: {m}");
        }
        let m = page::<CustomerId>(None, Some("inv_x"))
            .unwrap_err()
            .to_string();
        assert!(m.starts_with("starting_after: "), "{m}");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Filters {
        limit: Option<String>,
        starting_after: Option<String>,
        customer: Option<String>,
    }

    async fn query(q: &str) -> Result<ApiQuery<Filters>, ApiError> {
        let uri = format!("/api/v1/x?{q}");
        let request = axum::http::Request::builder()
            .uri(uri)
            .body(())
            .map_err(ApiError::internal)?;
        let (mut parts, ()) = request.into_parts();
        ApiQuery::<Filters>::from_request_parts(&mut parts, &()).await
    }

    proptest::proptest! {
        // What a stranger puts after `?`: an answer or a 400 that names the query string,
        // never a panic, whatever the bytes and however many parameters.
        #[test]
        fn any_query_string_is_an_answer_never_a_panic(
            q in "[a-z_=&%0-9A-F+]{0,300}|(limit=1&){0,200}",
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().build().map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            match rt.block_on(query(&q)) {
                Ok(ApiQuery(f)) => proptest::prop_assert!(f.limit.is_some() || !q.contains("limit=")),
                Err(ApiError::BadRequest(m)) => proptest::prop_assert!(m.starts_with("query string: "), "{}", m),
                Err(e) => proptest::prop_assert!(false, "{:?}", e),
            }
        }
    }
}
