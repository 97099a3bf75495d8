//! The one HTTP error type: a status, a stable snake_case code for programs and a Chinese message for people.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use tongban_core::DomainError;
use tongban_search::SearchError;
use tongban_store::StoreError;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Extra machine-readable detail, e.g. the bad rows of an import.
    pub details: Option<serde_json::Value>,
}

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

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(what: impl std::fmt::Display) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在"))
    }
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn internal(message: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %message, "internal error");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后再试",
        )
    }
    pub fn with_details(mut self, details: serde_json::Value) -> AppError {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                details: self.details,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
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

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound(what) => AppError::not_found(what),
            StoreError::Conflict(m) => AppError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::Invalid(m) => AppError::unprocessable("invalid", m),
            StoreError::Import(rows) => {
                let message = format!(
                    "导入文件有{}处错误，未导入任何数据：{}",
                    rows.len(),
                    rows.iter()
                        .take(3)
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join("；")
                );
                let details = serde_json::to_value(&rows).unwrap_or_default();
                AppError::unprocessable("import_rejected", message).with_details(details)
            }
            // The database could not be reached (restarted, network, pool exhausted): worth retrying.
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                AppError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "数据库暂时无法连接，请稍后重试",
                )
            }
            other => AppError::internal(other),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> AppError {
        AppError::unprocessable(e.code(), e.to_string())
    }
}

impl From<SearchError> for AppError {
    fn from(e: SearchError) -> AppError {
        AppError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, AppError>;
