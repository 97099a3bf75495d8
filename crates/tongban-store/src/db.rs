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
    (
        8,
        "applicant_identity",
        include_str!("../migrations/0008_applicant_identity.sql"),
    ),
    (
        9,
        "online_services",
        include_str!("../migrations/0009_online_services.sql"),
    ),
    (
        10,
        "enterprise_people",
        include_str!("../migrations/0010_enterprise_people.sql"),
    ),
    (
        11,
        "material_sources",
        include_str!("../migrations/0011_material_sources.sql"),
    ),
    (
        12,
        "application_drafts",
        include_str!("../migrations/0012_application_drafts.sql"),
    ),
    (
        13,
        "applicant_passwords",
        include_str!("../migrations/0013_applicant_passwords.sql"),
    ),
    (14, "oidc_logins", include_str!("../migrations/0014_oidc_logins.sql")),
    (15, "hardening", include_str!("../migrations/0015_hardening.sql")),
    (16, "workbench", include_str!("../migrations/0016_workbench.sql")),
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

    /// Writes a consistent copy of a SQLite database to `path` while it is in use (`VACUUM INTO`: one read
    /// transaction, so writers carry on and the copy is a single point in time).
    pub async fn sqlite_copy_into(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid("只有SQLite数据库可以这样复制".into()));
        }
        let target = path.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{target}'"))
            .execute(&self.pool)
            .await?;
        Ok(())
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

// ---------------------------------------------------------------------------------------------------------------
// Rows to structs: every struct of the store maps its rows through `sqlx::FromRow` (`sqlx::query_as`, or `decode`
// below when the row carries more than the struct), so a bad value is a `sqlx::Error::ColumnDecode` naming its
// column, which reaches callers as `StoreError::Db`. Through the `Any` driver only integers, floats and text
// decode as such on both backends; the types below read the other shapes the schema stores (INTEGER 0/1 flags,
// JSON text, comma-separated text, role names) by delegating to i64 or String.
//
// Structs whose columns are all plain derive `FromRow`. Those with a field read through one of these types
// implement it by hand with `row.try_get::<Flag, _>(…)` and the like: the derive's `#[sqlx(try_from = "Flag")]`
// expands, in sqlx 0.8, to a macro that sqlx exports only with its `macros` feature (compile-time checked
// queries), which this workspace does not enable; sqlx 0.9 exports it with `derive` alone (launchbadge/sqlx#3915).

/// Maps one row with the struct's `FromRow`, for call sites that read more than the struct from the row.
pub(crate) fn decode<T: for<'r> sqlx::FromRow<'r, AnyRow>>(row: &AnyRow) -> Result<T, StoreError> {
    Ok(T::from_row(row)?)
}

/// Implements `Type<Any>` for a helper type as the type it is read as.
macro_rules! read_as {
    ($helper:ty, $as:ty) => {
        impl sqlx::Type<sqlx::Any> for $helper {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <$as as sqlx::Type<sqlx::Any>>::type_info()
            }
            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <$as as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }
    };
}

/// A flag stored as INTEGER: anything but 0 is true.
pub(crate) struct Flag(bool);

read_as!(Flag, i64);

impl<'r> sqlx::Decode<'r, sqlx::Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Flag(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)? != 0))
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

/// A nullable flag stored as INTEGER: NULL is None, anything but 0 is true.
pub(crate) struct OptFlag(Option<bool>);

read_as!(OptFlag, i64);

impl<'r> sqlx::Decode<'r, sqlx::Any> for OptFlag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(OptFlag(
            <Option<i64> as sqlx::Decode<sqlx::Any>>::decode(value)?.map(|v| v != 0),
        ))
    }
}

impl From<OptFlag> for Option<bool> {
    fn from(f: OptFlag) -> Option<bool> {
        f.0
    }
}

/// A value stored as JSON text.
pub(crate) struct JsonText<T>(T);

impl<T> sqlx::Type<sqlx::Any> for JsonText<T> {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <String as sqlx::Type<sqlx::Any>>::type_info()
    }
    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <String as sqlx::Type<sqlx::Any>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> sqlx::Decode<'r, sqlx::Any> for JsonText<T> {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(JsonText(serde_json::from_str(&text)?))
    }
}

impl<T> JsonText<T> {
    pub(crate) fn into_inner(self) -> T {
        self.0
    }
}

/// A list stored as comma-separated text; empty parts are dropped, the others kept as they are.
pub(crate) struct CommaList(Vec<String>);

read_as!(CommaList, String);

impl<'r> sqlx::Decode<'r, sqlx::Any> for CommaList {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(CommaList(
            text.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
        ))
    }
}

impl From<CommaList> for Vec<String> {
    fn from(l: CommaList) -> Vec<String> {
        l.0
    }
}

/// A list stored as comma-separated text written by hand (a queue category's windows): parts are trimmed, and
/// blank ones dropped.
pub(crate) struct TrimmedCommaList(Vec<String>);

read_as!(TrimmedCommaList, String);

impl<'r> sqlx::Decode<'r, sqlx::Any> for TrimmedCommaList {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(TrimmedCommaList(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ))
    }
}

impl From<TrimmedCommaList> for Vec<String> {
    fn from(l: TrimmedCommaList) -> Vec<String> {
        l.0
    }
}

/// A staff role stored by its name.
pub(crate) struct RoleName(tongban_core::role::Role);

read_as!(RoleName, String);

impl<'r> sqlx::Decode<'r, sqlx::Any> for RoleName {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <String as sqlx::Decode<sqlx::Any>>::decode(value)?;
        Ok(RoleName(tongban_core::role::Role::parse(&text)?))
    }
}

impl From<RoleName> for tongban_core::role::Role {
    fn from(r: RoleName) -> tongban_core::role::Role {
        r.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_core::role::Role;

    #[test]
    fn every_migration_file_is_applied_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let registered: Vec<String> = MIGRATIONS
            .iter()
            .map(|(v, name, _)| format!("{v:04}_{name}.sql"))
            .collect();
        assert_eq!(
            registered, files,
            "a migration file that is not registered is never applied"
        );
    }

    /// What the helper types read, and what a corrupt value gives: an error naming its column, never a panic.
    async fn check(store: &Store) {
        let r = sqlx::query(
            "SELECT 0 AS off, 2 AS yes, CAST(NULL AS BIGINT) AS unknown, 'a,,b ' AS list, ' W1 , ,W2' AS windows, \
             '[\"x\",\"y\"]' AS json, 'reviewer' AS role",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap();
        assert!(!bool::from(r.try_get::<Flag, _>("off").unwrap()));
        assert!(bool::from(r.try_get::<Flag, _>("yes").unwrap()));
        assert_eq!(Option::<bool>::from(r.try_get::<OptFlag, _>("unknown").unwrap()), None);
        assert_eq!(
            Option::<bool>::from(r.try_get::<OptFlag, _>("off").unwrap()),
            Some(false)
        );
        assert_eq!(
            Vec::<String>::from(r.try_get::<CommaList, _>("list").unwrap()),
            ["a", "b "]
        );
        assert_eq!(
            Vec::<String>::from(r.try_get::<TrimmedCommaList, _>("windows").unwrap()),
            ["W1", "W2"]
        );
        let json: Vec<String> = r.try_get::<JsonText<_>, _>("json").unwrap().into_inner();
        assert_eq!(json, ["x", "y"]);
        assert_eq!(Role::from(r.try_get::<RoleName, _>("role").unwrap()), Role::Reviewer);

        let names_column = |e: StoreError, column: &str| match e {
            StoreError::Db(sqlx::Error::ColumnDecode { index, .. }) => {
                assert!(index.contains(column), "{index} should name {column}")
            }
            other => panic!("expected a decoding error for {column}, got {other:?}"),
        };
        for (username, role, active) in [("good", "clerk", 0), ("bad", "nonsense", 1)] {
            sqlx::query(
                "INSERT INTO staff (region_code, username, display_name, role, password_hash, active, created_at) \
                 VALUES ('999999', $1, $1, $2, '', $3, '')",
            )
            .bind(username)
            .bind(role)
            .bind(active)
            .execute(&store.pool)
            .await
            .unwrap();
        }
        let (good, _) = store.staff_by_username("good").await.unwrap().unwrap();
        assert_eq!((good.role, good.active), (Role::Clerk, false));
        names_column(store.staff_in_region("999999").await.unwrap_err(), "role");

        let id = int(
            &sqlx::query(
                "INSERT INTO bundle_cases (region_code, number, bundle_code, bundle_name, applicant_kind, \
                 applicant_name, applicant_identifier, applicant_phone, channel, filed_by, form, materials, \
                 created_at) VALUES ('999999', 'X1', 'b', 'b', 'person', 'n', 'i', 'p', 'hall', 'f', '{}', \
                 'not json', '') RETURNING id",
            )
            .fetch_one(&store.pool)
            .await
            .unwrap(),
            "id",
        )
        .unwrap();
        names_column(store.bundle_case_by_id(id).await.unwrap_err(), "materials");
    }

    #[tokio::test]
    async fn rows_decode_on_sqlite() {
        let dir = std::env::temp_dir().join(format!("tongban_store_rows_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        check(&store).await;
        store.pool.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn rows_decode_on_postgres() {
        let Ok(admin) = std::env::var("TONGBAN_TEST_POSTGRES_URL") else {
            assert!(
                std::env::var("TONGBAN_TEST_REQUIRE_ALL").map_or(true, |v| v != "1"),
                "TONGBAN_TEST_POSTGRES_URL is not set but TONGBAN_TEST_REQUIRE_ALL=1"
            );
            eprintln!("skipped: PostgreSQL (set TONGBAN_TEST_POSTGRES_URL to run)");
            return;
        };
        sqlx::any::install_default_drivers();
        let name = format!("tongban_store_rows_{}", std::process::id());
        let server = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&format!("{admin}/postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&server)
            .await
            .unwrap();
        let store = Store::connect(&format!("{admin}/{name}")).await.unwrap();
        store.migrate().await.unwrap();
        check(&store).await;
        store.pool.close().await;
        sqlx::query(&format!("DROP DATABASE {name}"))
            .execute(&server)
            .await
            .unwrap();
    }
}
