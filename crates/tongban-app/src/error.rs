//! The one error of the use cases: what kind of failure it is, a stable snake_case code for programs and a Chinese
//! message for people. Which HTTP status a kind answers is decided by the web edge alone.

use tongban_core::DomainError;
use tongban_search::SearchError;
use tongban_store::StoreError;

/// What went wrong, as the caller must react to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request could not be read at all (malformed syntax, an impossible page number).
    Malformed,
    /// The request was read but a field breaks a rule; `code` names the rule.
    Invalid,
    /// Nobody is signed in, or the credentials do not hold.
    Unauthenticated,
    /// Signed in, but this person may not do this.
    Forbidden,
    NotFound,
    /// The record changed meanwhile or is in a state that does not allow this.
    Conflict,
    /// A file or body over the deployment's limit.
    TooLarge,
    /// Too many attempts in a short time.
    TooMany,
    /// A body in a format that is not accepted.
    UnsupportedFormat,
    /// A dependency (the database) cannot be reached now: worth retrying.
    Unavailable,
    /// A fault of ours; the detail is logged, the caller sees a generic message.
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Error {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    /// Extra machine-readable detail, e.g. the bad rows of an import.
    pub details: Option<serde_json::Value>,
    /// Seconds after which a throttled caller may try again (`Retry-After`).
    pub retry_after: Option<u64>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Malformed, code, message)
    }
    pub fn not_found(what: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::NotFound, "not_found", format!("{what}不存在"))
    }
    pub fn unauthorized(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unauthenticated, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Forbidden, "forbidden", message)
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Conflict, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, code, message)
    }
    pub fn internal(message: impl std::fmt::Display) -> Error {
        tracing::error!(error = %message, "internal error");
        Error::new(ErrorKind::Internal, "internal", "服务器内部错误，请稍后再试")
    }
    pub fn unavailable() -> Error {
        Error::new(
            ErrorKind::Unavailable,
            "database_unavailable",
            "数据库暂时无法连接，请稍后重试",
        )
    }
    /// Too many attempts: try again in `seconds`.
    pub fn too_many(code: &'static str, message: impl Into<String>, seconds: u64) -> Error {
        let mut e = Error::new(ErrorKind::TooMany, code, message);
        e.retry_after = Some(seconds.max(1));
        e
    }
    pub fn with_details(mut self, details: serde_json::Value) -> Error {
        self.details = Some(details);
        self
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::NotFound(what) => Error::not_found(what),
            StoreError::Conflict(m) => Error::conflict("conflict", m),
            StoreError::Invalid(m) => Error::unprocessable("invalid", m),
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
                Error::unprocessable("import_rejected", message).with_details(details)
            }
            // The database could not be reached (restarted, network, pool exhausted): worth retrying.
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                Error::unavailable()
            }
            other => Error::internal(other),
        }
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Error {
        Error::unprocessable(e.code(), e.to_string())
    }
}

impl From<SearchError> for Error {
    fn from(e: SearchError) -> Error {
        Error::internal(e)
    }
}
