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
    #[error("办件已被他人更新（当前版本{current}），请刷新后重试")]
    Stale { current: i64 },
    #[error("数据损坏：{0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database could not be reached (restarted, network, pool exhausted), so that retrying later
    /// may succeed — as opposed to a query that failed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_)
            )
        )
    }
}
