use thiserror::Error;

/// A rule of the domain was broken. Each variant has a stable machine code and a message in Chinese for people.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("身份证号码无效：{0}")]
    InvalidResidentId(&'static str),
    #[error("统一社会信用代码无效：{0}")]
    InvalidCreditCode(&'static str),
    #[error("行政区划代码无效：{0}")]
    InvalidRegionCode(String),
    #[error("手机号码无效：{0}")]
    InvalidPhone(&'static str),
    #[error("未知的角色：{0}")]
    UnknownRole(String),
}

impl DomainError {
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidResidentId(_) => "invalid_resident_id",
            DomainError::InvalidCreditCode(_) => "invalid_credit_code",
            DomainError::InvalidRegionCode(_) => "invalid_region_code",
            DomainError::InvalidPhone(_) => "invalid_phone",
            DomainError::UnknownRole(_) => "unknown_role",
        }
    }
}
