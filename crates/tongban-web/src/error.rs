//! The one HTTP error type: the use cases' error (`tongban_app::Error`) with the one mapping from its kind to a
//! status, answered as `{"error": {"code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tongban_app::{Error, ErrorKind};
use tongban_core::DomainError;
use tongban_search::SearchError;
use tongban_store::StoreError;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct HttpError(pub Error);

/// `{"error": {"code", "message"}}`
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `not_found`, `invalid_json`, `unauthorized`.
    pub code: String,
    /// What went wrong, in Chinese, naming the problem.
    pub message: String,
    /// What exactly is wrong, for programs: the fields of a form that fail (an array), the bad rows of an import
    /// (an array) — any JSON value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The status each kind of failure answers: the one place this is decided.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Malformed => StatusCode::BAD_REQUEST,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::UnsupportedFormat => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The kind of a rejection axum's own extractors answered with a status (a form or multipart body that could not
/// be read), so that it is reported like every other error.
pub fn kind_of(status: StatusCode) -> ErrorKind {
    match status {
        StatusCode::UNPROCESSABLE_ENTITY => ErrorKind::Invalid,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::TooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorKind::UnsupportedFormat,
        s if s.is_server_error() => ErrorKind::Internal,
        _ => ErrorKind::Malformed,
    }
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        status_of(self.0.kind)
    }
}

impl std::ops::Deref for HttpError {
    type Target = Error;
    fn deref(&self) -> &Error {
        &self.0
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.0.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code.to_string(),
                message: self.0.message,
                details: self.0.details,
            },
        };
        let mut response = (status, Json(body)).into_response();
        with_retry_after(&mut response, retry_after);
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read, so the connection cannot carry another request; saying so
            // keeps a keep-alive client from sending its next request down a socket the server is closing.
            response.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        response
    }
}

/// Tells a throttled client when to come back.
pub fn with_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(s) = seconds {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(s));
    }
}

impl From<Error> for HttpError {
    fn from(e: Error) -> HttpError {
        HttpError(e)
    }
}

impl From<StoreError> for HttpError {
    fn from(e: StoreError) -> HttpError {
        HttpError(e.into())
    }
}

impl From<DomainError> for HttpError {
    fn from(e: DomainError) -> HttpError {
        HttpError(e.into())
    }
}

impl From<SearchError> for HttpError {
    fn from(e: SearchError) -> HttpError {
        HttpError(e.into())
    }
}

pub type ApiResult<T> = Result<T, HttpError>;

/// Every answer of the API in our error format: a rejection axum answered itself in plain text (a path value that
/// is not a number, a multipart body without its boundary, a method the route does not take) is rewritten as
/// `{"error": {"code", "message"}}` with the same status, so that no client meets a second format.
pub async fn api_errors_as_json(response: Response) -> Response {
    let status = response.status();
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() && plain) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_fields",
        StatusCode::NOT_FOUND => "not_found",
        _ => "bad_request",
    };
    let mut answer = HttpError(Error::new(kind_of(status), code, format!("请求无法读取：{text}"))).into_response();
    *answer.status_mut() = status;
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}
