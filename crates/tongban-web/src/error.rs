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
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
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
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code.to_string(),
                message: self.0.message,
                details: self.0.details,
            },
        };
        let mut response = (status, Json(body)).into_response();
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
