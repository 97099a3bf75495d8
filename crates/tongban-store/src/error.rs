use thiserror::Error;
use tongban_core::catalog::RowError;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("数据库错误：{0}")]
    Db(#[from] sqlx::Error),
    #[error("数据库迁移失败：{0}")]
    Migration(String),
    #[error("{0}不存在")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("导入文件有{}处错误", .0.len())]
    Import(Vec<RowError>),
    #[error("{0}")]
    Invalid(String),
    #[error("数据损坏：{0}")]
    Corrupt(String),
}
