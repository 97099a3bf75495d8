use crate::StoreError;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Invalid(format!(
                "不支持的数据库地址“{url}”：应以sqlite:或postgres://开头"
            )))
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
    fn id_column(self) -> &'static str {
        match self {
            Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Backend::Postgres => "BIGSERIAL PRIMARY KEY",
        }
    }
}

/// Versioned migrations, embedded. A migration is applied once, in one transaction, and recorded with its checksum.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "cases", include_str!("../migrations/0002_cases.sql")),
    (3, "reform", include_str!("../migrations/0003_reform.sql")),
    (4, "queue", include_str!("../migrations/0004_queue.sql")),
    (5, "hotline", include_str!("../migrations/0005_hotline.sql")),
    (6, "disclosure", include_str!("../migrations/0006_disclosure.sql")),
    (7, "hotline_files", include_str!("../migrations/0007_hotline_files.sql")),
];

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Queuing write transactions here, instead of letting them collide in
    /// SQLite's busy handler (which sleeps 1–100 ms per retry), keeps latency flat under concurrent clients.
    writer: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
    /// Recently checked sessions by token hash, so that every API call does not read the sessions table. Logout
    /// removes an entry at once; anything else (a deactivated account) is noticed within `SESSION_CACHE_SECONDS`.
    pub(crate) sessions:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, crate::Session)>>>,
}

pub(crate) const SESSION_CACHE_SECONDS: u64 = 30;

impl Store {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://…`). SQLite files are put in WAL mode.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        // No ping before handing out a connection: it would add a round trip to every query and transaction
        // (most of ours are a few statements). A connection the server dropped fails the one request that gets
        // it (503 database_unavailable, for the caller to retry) and is then discarded; idle and aged
        // connections are recycled anyway.
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false);
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlx::query("PRAGMA journal_mode = WAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                            sqlx::query("PRAGMA busy_timeout = 10000").execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => options.max_connections(16).connect(url).await?,
        };
        let writer = (backend == Backend::Sqlite).then(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));
        Ok(Store {
            pool,
            backend,
            writer,
            sessions: Default::default(),
        })
    }

    /// Held for the length of a write transaction on SQLite; nothing on PostgreSQL, whose row locks suffice.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.writer {
            Some(m) => Some(m.clone().lock_owned().await),
            None => None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the migrations not yet applied; returns how many ran.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let applied: Vec<(i64, String)> = sqlx::query("SELECT version, checksum FROM schema_migrations")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let mut ran = 0;
        for (version, name, sql) in MIGRATIONS {
            let checksum = checksum(sql);
            if let Some((_, old)) = applied.iter().find(|(v, _)| v == version) {
                if *old != checksum {
                    return Err(StoreError::Migration(format!(
                        "第{version}号迁移（{name}）已应用，但其内容已被修改"
                    )));
                }
                continue;
            }
            let sql = sql.replace("{{ID}}", self.backend.id_column());
            let mut tx = self.pool.begin().await?;
            for statement in split_statements(&sql) {
                sqlx::query(statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Migration(format!("第{version}号迁移（{name}）：{e}")))?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(version)
                .bind(*name)
                .bind(checksum)
                .bind(crate::now_text())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Cheap liveness check of the database, for /healthz.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }
}

fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Splits a migration into statements at semicolons that end a line, dropping comment-only chunks.
fn split_statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(";\n")
        .map(str::trim)
        .filter(|s| s.lines().any(|l| !l.trim().is_empty() && !l.trim().starts_with("--")))
}

/// Reads a column that holds a count or id as i64 on both backends.
pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, sqlx::Error> {
    row.try_get::<i64, _>(col)
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, sqlx::Error> {
    row.try_get::<String, _>(col)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, sqlx::Error> {
    row.try_get::<Option<i64>, _>(col)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, sqlx::Error> {
    row.try_get::<Option<String>, _>(col)
}

/// A value as the JSON text column it is stored in.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, crate::StoreError> {
    serde_json::to_string(v).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}
