//! `TestDb`: a fresh database with reference data and demo accounts, and the use cases over it (no HTTP);
//! `TestApp`: the application as the binary starts it on a `TestDb`, listening on a free port.
//!
//! PostgreSQL: set TONGBAN_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432); each test gets its own
//! database, dropped afterwards. Without it the PostgreSQL variants skip — unless TONGBAN_TEST_REQUIRE_ALL=1
//! (set by .ci/run), where a missing backend fails the test instead.

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tongban_app::Settings;

pub const REGION: &str = "430603";
pub const PASSWORD: &str = "test-password-1";
/// The person most tests file for: a valid GB 11643 ID number and a mobile number.
pub const APPLICANT_ID: &str = "11010519491231002X";
pub const APPLICANT_PHONE: &str = "13812345678";
/// 食品经营许可证核发, handled by 区行政审批局 (the demo reviewer's and head's department; it yields an e-licence), and
/// the materials it requires.
pub const LICENCE_ITEM: &str = "430603-XK-0537";
pub const LICENCE_MATERIALS: [&str; 4] = [
    "申请表",
    "营业执照或统一社会信用代码证明",
    "场所使用权证明",
    "相关资质证明材料",
];

#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A fresh database with the reference data and the demo accounts, and the use cases over it: what a use-case test
/// needs, without HTTP. Dropped, it removes its files and its PostgreSQL database.
pub struct TestDb {
    /// The data directory uploaded files go to.
    pub files: PathBuf,
    /// The database's URL, for a second server on the same database.
    pub url: String,
    pub app: tongban_app::App,
    cleanup: Cleanup,
}

/// The application served over HTTP on a free port, on a `TestDb`.
pub struct TestApp {
    /// The data directory uploaded files go to.
    pub files: PathBuf,
    /// The database's URL, for a second server on the same database.
    pub url: String,
    pub base: String,
    pub client: Client,
    pub state: tongban_web::AppState,
    /// Owns the database; dropped last.
    _db: TestDb,
}

enum Cleanup {
    Dir(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn require_all() -> bool {
    std::env::var("TONGBAN_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Argon2id hashing of eight demo users per test is the slowest part of setting up; hash once per process.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| tongban_store::hash_password(PASSWORD).expect("hash"))
}

impl TestDb {
    /// None when the backend is not available here and not required.
    pub async fn open(db: Db, settings: Settings) -> Option<TestDb> {
        Self::open_with(db, settings, tongban::seed::catalog_fixture()).await
    }

    /// `open` with the catalog as `tongban demo` and `tongban seed` load it: the busiest items' guide content laid
    /// over data/catalog.csv.
    pub async fn open_shipped(db: Db) -> Option<TestDb> {
        let catalog = tongban::seed::shipped_catalog().expect("shipped catalog");
        Self::open_with(db, Settings::default(), catalog).await
    }

    async fn open_with(
        db: Db,
        mut settings: Settings,
        catalog: tongban_core::catalog::ImportParse<tongban_core::catalog::Guide>,
    ) -> Option<TestDb> {
        let files = std::env::temp_dir().join(unique("tongban_files"));
        settings.data_dir = files.clone();
        let (url, cleanup) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(unique("tongban_test"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                (tongban::config::sqlite_url(&dir), Cleanup::Dir(dir))
            }
            Db::Postgres => {
                let Ok(admin_url) = std::env::var("TONGBAN_TEST_POSTGRES_URL") else {
                    assert!(
                        !require_all(),
                        "TONGBAN_TEST_POSTGRES_URL is not set but TONGBAN_TEST_REQUIRE_ALL=1"
                    );
                    eprintln!("skipped: PostgreSQL (set TONGBAN_TEST_POSTGRES_URL to run)");
                    return None;
                };
                let name = unique("tongban_test");
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{admin_url}/postgres"))
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                (format!("{admin_url}/{name}"), Cleanup::PgDatabase { admin_url, name })
            }
        };
        let app = tongban::build_app(&url, settings).await.expect("app");
        tongban::seed::load_reference_with(&app.store, &app.search, REGION, catalog)
            .await
            .expect("seed");
        seed_users(&app.store).await;
        Some(TestDb {
            files,
            url,
            app,
            cleanup,
        })
    }

    /// A live session of a demo user, as a token or cookie would give it.
    pub async fn session(&self, username: &str) -> tongban_store::Session {
        let (staff, _) = self
            .app
            .store
            .staff_by_username(username)
            .await
            .expect("staff")
            .unwrap_or_else(|| panic!("no user {username}"));
        let (_, s) = self
            .app
            .store
            .create_session(&staff, tongban_store::SessionKind::Api, chrono::Duration::hours(1))
            .await
            .expect("session");
        s
    }

    /// Adds `reviewer-<dept>` and `head-<dept>` for every department, as `tongban demo` does.
    pub async fn department_staff(&self) {
        tongban::seed::department_staff(&self.app.store, REGION, password_hash())
            .await
            .expect("department staff");
    }
}

impl TestApp {
    /// None when the backend is not available here and not required.
    pub async fn spawn(db: Db) -> Option<TestApp> {
        Self::spawn_with(db, Settings::default()).await
    }

    pub async fn spawn_with(db: Db, settings: Settings) -> Option<TestApp> {
        Self::spawn_with_web(db, settings, tongban_web::WebConfig::default()).await
    }

    /// As `spawn_with`, with the HTTP edge's settings (trusted proxies, the metrics token, secure cookies).
    pub async fn spawn_with_web(db: Db, settings: Settings, web: tongban_web::WebConfig) -> Option<TestApp> {
        // Errors the server logs show in a failing test's output (captured otherwise).
        let _ = tracing_subscriber::fmt()
            .with_env_filter("error")
            .with_test_writer()
            .try_init();
        let db = TestDb::open(db, settings).await?;
        Some(Self::serve(db, web).await)
    }

    /// A server on the catalog as `tongban demo` loads it (with the busiest items' own guide content).
    pub async fn spawn_shipped(db: Db) -> Option<TestApp> {
        let db = TestDb::open_shipped(db).await?;
        Some(Self::serve(db, tongban_web::WebConfig::default()).await)
    }

    async fn serve(db: TestDb, web: tongban_web::WebConfig) -> TestApp {
        let state = tongban_web::AppState::new(db.app.clone(), web);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = tongban_web::app(state.clone());
        tokio::spawn(async move {
            // As the binary serves: with the peer's address, which throttling counts by.
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            files: db.files.clone(),
            url: db.url.clone(),
            base: format!("http://{addr}"),
            client,
            state,
            _db: db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> (StatusCode, Value) {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.expect("POST");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put_json(&self, path: &str, body: &Value, token: &str) -> (StatusCode, Value) {
        let r = self
            .client
            .put(self.url(path))
            .json(body)
            .bearer_auth(token)
            .send()
            .await
            .expect("PUT");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Adds `reviewer-<dept>` and `head-<dept>` for every department, as `tongban demo` does.
    pub async fn department_staff(&self) {
        self._db.department_staff().await
    }

    /// Files the licence item at the hall's window for 张三, as the clerk whose token is given.
    pub async fn file_at_window(&self, clerk: &str) -> Value {
        let (status, case) = self
            .post_json(
                "/api/v1/cases",
                &serde_json::json!({"item_code": LICENCE_ITEM, "channel": "window", "materials": LICENCE_MATERIALS,
                    "applicant": {"kind": "person", "name": "张三", "id_number": APPLICANT_ID, "phone": APPLICANT_PHONE}}),
                Some(clerk),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        case
    }

    /// One workflow step on the case as it stands (its version); the step must succeed.
    pub async fn step(&self, token: &str, case: Value, action: &str) -> Value {
        let number = case["number"].as_str().expect("a case number");
        let (status, next) = self
            .post_json(
                &format!("/api/v1/cases/{number}/actions"),
                &serde_json::json!({"action": action, "version": case["version"], "comment": "意见"}),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {next}");
        next
    }

    /// The licence item filed, accepted, reviewed, approved and issued (with its e-licence).
    pub async fn issued_case(&self) -> Value {
        let clerk = self.token("clerk").await;
        let reviewer = self.token("reviewer").await;
        let head = self.token("head").await;
        let case = self.file_at_window(&clerk).await;
        let case = self.step(&clerk, case, "accept").await;
        let case = self.step(&reviewer, case, "review").await;
        let case = self.step(&head, case, "approve").await;
        self.step(&reviewer, case, "issue").await
    }

    /// Logs a demo user in through the API and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login of {username}: {body}");
        body["token"].as_str().expect("token").to_string()
    }
}

/// The demo accounts, with the password hash computed once.
async fn seed_users(store: &tongban_store::Store) {
    let users = tongban::seed::demo_users_with_hash(store, REGION, password_hash())
        .await
        .expect("users");
    assert_eq!(users.len(), 8);
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files);
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PgDatabase { admin_url, name } => {
                // Best effort, on a thread of its own: the test's runtime is shutting down.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("rt");
                    rt.block_on(async move {
                        if let Ok(mut c) =
                            <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{admin_url}/postgres")).await
                        {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut c)
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Declares one use-case test per backend, given a `TestDb`: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::helpers::Db::Sqlite;
                if let Some(db) = $crate::helpers::TestDb::open(db, Default::default()).await {
                    ($body)(db).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::helpers::Db::Postgres;
                if let Some(db) = $crate::helpers::TestDb::open(db, Default::default()).await {
                    ($body)(db).await;
                }
            }
        }
    };
}

/// Declares one test per backend: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Db::Sqlite).await {
                    ($body)(app).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Db::Postgres).await {
                    ($body)(app).await;
                }
            }
        }
    };
}

/// Percent-encodes a query value (Chinese included).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A multipart/form-data body: text fields, then files as (field, file name, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----tongbanTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
