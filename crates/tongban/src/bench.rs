//! `tongban bench`: cases through the whole default lifecycle — filed by the clerk at the window, accepted,
//! reviewed, approved, issued and delivered — on SQLite and on PostgreSQL, in-process and over HTTP, and against
//! the raw floor: the same SQL statements the store runs for each step, executed directly through a pool the
//! store opened (same driver, pool size and pragmas) with precomputed values. One JSON object per line on stdout.
//!
//! Every mode runs on a fresh database of its backend, seeded the same way, so that each starts from the same
//! table sizes.
//!
//! A benchmark, never a timed test: the figures depend on the machine, so nothing here passes or fails on them.
//!
//! What is counted: a case writes six history events (the filing's `submit` and five transitions), each in its
//! own transaction, so `transitions_per_s` counts six steps per case, the filing included. The district's year
//! ("about six transitions each") is counted the same way, so `replay_estimate_s` is 360,969 × 6 ÷ that rate.

use crate::seed::{DEMO_DEPARTMENT, HALL_SITE};
use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};
use sqlx::{AnyPool, Row};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongban_app::cases::{self, Filing};
use tongban_app::{App, Settings};
use tongban_core::ids::ResidentId;
use tongban_core::role::Role;
use tongban_core::workflow::{default_template, Actor, Template};
use tongban_store::{ItemFilter, Session, SessionKind};

/// Demo accounts' password in the throw-away databases (the demo users need at least eight characters).
const PASSWORD: &str = "bench-password-1";
/// History events per case: the filing plus the five transitions of `STEPS`.
const STEPS_PER_CASE: usize = 1 + STEPS.len();
/// Cases of the district's year, for the replay estimate.
const DISTRICT_YEAR_CASES: f64 = 360_969.0;
/// Targets of the issue: application ÷ raw floor.
const TARGET_IN_PROCESS: f64 = 0.7;
const TARGET_HTTP: f64 = 0.5;
/// Upper bound on how many different items the cases are spread over.
const MAX_ITEMS: i64 = 8;

/// One transition of the default lifecycle: the action, the demo account that takes it, and its comment (the
/// review is the one action of this path whose comment the template requires).
struct Step {
    action: &'static str,
    username: &'static str,
    comment: &'static str,
}

const STEPS: [Step; 5] = [
    Step {
        action: "accept",
        username: "clerk",
        comment: "",
    },
    Step {
        action: "review",
        username: "reviewer",
        comment: "材料齐全，符合法定条件，拟准予许可",
    },
    Step {
        action: "approve",
        username: "head",
        comment: "",
    },
    Step {
        action: "issue",
        username: "reviewer",
        comment: "",
    },
    Step {
        action: "deliver",
        username: "clerk",
        comment: "",
    },
];

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Cases per mode and backend.
    pub cases: usize,
    /// Concurrent clients (tasks).
    pub clients: usize,
    /// PostgreSQL admin URL without a database name, e.g. `postgres://postgres@127.0.0.1:5432`.
    pub postgres: Option<String>,
    pub sqlite_only: bool,
    /// Instead of the lifecycle modes: replay this many cases of 2023 in batches (the district's year: 360,969).
    pub year: Option<usize>,
}

/// One output line.
#[derive(Debug, Serialize)]
struct Line {
    backend: &'static str,
    mode: &'static str,
    cases: usize,
    clients: usize,
    steps_per_case: usize,
    cases_per_s: f64,
    transitions_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    raw_floor_transitions_per_s: f64,
    ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_ratio: Option<f64>,
    /// Linear: it assumes the rate measured on the bench's small tables holds for a year's tables, so any
    /// look-up that grows with the tables makes it an under-estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    replay_estimate_s: Option<f64>,
}

/// Runs every backend asked for and returns the lines it printed.
pub async fn run(opts: BenchOptions) -> anyhow::Result<Vec<serde_json::Value>> {
    if opts.cases == 0 || opts.clients == 0 || opts.year == Some(0) {
        bail!("--cases、--clients和--year都应大于0");
    }
    let one = |backend: Backend| {
        let opts = opts.clone();
        async move {
            match opts.year {
                Some(n) => Ok(vec![crate::replay::run(&backend, n).await?]),
                None => run_backend(&backend, &opts).await,
            }
        }
    };
    let mut lines = one(Backend::Sqlite).await?;
    if !opts.sqlite_only {
        match opts.postgres.as_deref() {
            Some(admin) => lines.extend(one(Backend::postgres(admin)?).await?),
            None => eprintln!(
                "未测PostgreSQL：用--postgres或TONGBAN_BENCH_POSTGRES给出管理地址（如postgres://postgres@127.0.0.1:5432）"
            ),
        }
    }
    Ok(lines)
}

pub(crate) enum Backend {
    Sqlite,
    /// The server's admin URL, without a database.
    Postgres(String),
}

impl Backend {
    fn postgres(admin: &str) -> anyhow::Result<Backend> {
        // The admin URL names the server only; a database path given with it is dropped, since the bench
        // creates its own databases next to it.
        match admin.split_once("://") {
            Some((scheme, rest)) => Ok(Backend::Postgres(format!(
                "{scheme}://{}",
                rest.split('/').next().unwrap_or(rest)
            ))),
            None => bail!("PostgreSQL地址“{admin}”应以postgres://开头"),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Raw,
    InProcess,
    Http,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Raw => "raw",
            Mode::InProcess => "in_process",
            Mode::Http => "http",
        }
    }
}

async fn run_backend(backend: &Backend, opts: &BenchOptions) -> anyhow::Result<Vec<serde_json::Value>> {
    let name = backend.name();
    // The floor first: its figure goes into every application line of this backend.
    let floor = on_fresh_database(backend, Mode::Raw, opts).await?;
    let floor_tps = floor.transitions_per_s();
    let mut lines = vec![emit(name, Mode::Raw, opts, &floor, floor_tps)?];
    for mode in [Mode::InProcess, Mode::Http] {
        let m = on_fresh_database(backend, mode, opts).await?;
        lines.push(emit(name, mode, opts, &m, floor_tps)?);
    }
    Ok(lines)
}

/// Each mode starts from the same empty tables: some of the store's look-ups cost more as the tables grow, so
/// modes run one after another on one database would each pay for the cases of the modes before them.
async fn on_fresh_database(backend: &Backend, mode: Mode, opts: &BenchOptions) -> anyhow::Result<Measured> {
    let scratch = Scratch::create(backend).await?;
    let result = measure_mode(scratch.url(), mode, opts).await;
    // Cleaning up must not hide the run's own error, and a failed clean-up must not hide its figures.
    if let Err(e) = scratch.remove().await {
        eprintln!("清理{}临时数据库失败：{e:#}", backend.name());
    }
    result.with_context(|| format!("{} {}基准测试失败", backend.name(), mode.name()))
}

async fn measure_mode(url: &str, mode: Mode, opts: &BenchOptions) -> anyhow::Result<Measured> {
    let state = crate::build_app(url, Settings::default()).await?;
    let region = state.config.default_region.clone();
    crate::seed::load_reference(&state.store, &state.search, &region).await?;
    crate::seed::demo_users(&state.store, &region, PASSWORD).await?;
    let fixture = Arc::new(Fixture::load(&state, &region).await?);
    let measured = match mode {
        Mode::Raw => measure(&Driver::Raw(Arc::new(RawDriver::new(&state, &fixture)?)), opts).await,
        Mode::InProcess => {
            let driver = Driver::InProcess(Arc::new(InProcess::new(&state, &fixture).await?));
            measure(&driver, opts).await
        }
        Mode::Http => {
            let server = Server::start(state.clone()).await?;
            let driver = HttpDriver::new(&server.base, opts.clients, &fixture).await;
            let measured = match driver {
                Ok(d) => measure(&Driver::Http(Arc::new(d)), opts).await,
                Err(e) => Err(e),
            };
            // The clients (dropped with the driver) held keep-alive connections, so the graceful shutdown has
            // nothing left to wait for.
            server.stop().await;
            measured
        }
    };
    state.store.pool().close().await;
    measured
}

/// A throw-away database: removed afterwards whether the run succeeded or not.
pub(crate) enum Scratch {
    Sqlite { dir: PathBuf, url: String },
    Postgres { admin: String, name: String, url: String },
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("tongban_bench_{}_{nanos}", std::process::id())
}

impl Scratch {
    pub(crate) async fn create(backend: &Backend) -> anyhow::Result<Scratch> {
        let name = unique_name();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(name);
                std::fs::create_dir_all(&dir).with_context(|| format!("无法创建临时目录{}", dir.display()))?;
                let url = crate::config::sqlite_url(&dir);
                Ok(Scratch::Sqlite { dir, url })
            }
            Backend::Postgres(admin) => {
                let mut conn = admin_connection(admin).await?;
                // The name is ours (letters, digits and underscores), so formatting it into the statement is safe.
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("无法创建数据库{name}"))?;
                let url = format!("{admin}/{name}");
                Ok(Scratch::Postgres {
                    admin: admin.clone(),
                    name,
                    url,
                })
            }
        }
    }

    pub(crate) fn url(&self) -> &str {
        match self {
            Scratch::Sqlite { url, .. } | Scratch::Postgres { url, .. } => url,
        }
    }

    pub(crate) async fn remove(self) -> anyhow::Result<()> {
        match self {
            Scratch::Sqlite { dir, .. } => {
                std::fs::remove_dir_all(&dir).with_context(|| format!("无法删除临时目录{}", dir.display()))
            }
            Scratch::Postgres { admin, name, .. } => {
                let mut conn = admin_connection(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("无法删除数据库{name}"))?;
                Ok(())
            }
        }
    }
}

async fn admin_connection(admin: &str) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{admin}/postgres"))
        .await
        .with_context(|| format!("无法连接PostgreSQL（{admin}）"))
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

fn emit(
    backend: &'static str,
    mode: Mode,
    opts: &BenchOptions,
    m: &Measured,
    floor_tps: f64,
) -> anyhow::Result<serde_json::Value> {
    let tps = m.transitions_per_s();
    let target_ratio = match mode {
        Mode::Raw => None,
        Mode::InProcess => Some(TARGET_IN_PROCESS),
        Mode::Http => Some(TARGET_HTTP),
    };
    let line = Line {
        backend,
        mode: mode.name(),
        cases: m.cases,
        clients: opts.clients,
        steps_per_case: STEPS_PER_CASE,
        cases_per_s: round(m.cases as f64 / m.elapsed.as_secs_f64(), 1),
        transitions_per_s: round(tps, 1),
        p50_ms: round(m.percentile(0.50), 2),
        p99_ms: round(m.percentile(0.99), 2),
        raw_floor_transitions_per_s: round(floor_tps, 1),
        ratio: round(if floor_tps > 0.0 { tps / floor_tps } else { 0.0 }, 3),
        target_ratio,
        replay_estimate_s: (backend == "sqlite" && mode == Mode::InProcess && tps > 0.0)
            .then(|| round(DISTRICT_YEAR_CASES * STEPS_PER_CASE as f64 / tps, 1)),
    };
    // Printed as soon as it is known, so a long run shows its progress; a struct keeps the keys in this order.
    let text = serde_json::to_string(&line)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    out.flush()?;
    Ok(serde_json::to_value(&line)?)
}

/// What every mode needs: the items the cases are filed for, with their required materials.
struct Fixture {
    region: String,
    items: Vec<BenchItem>,
}

struct BenchItem {
    code: String,
    name: String,
    version: i64,
    item_id: i64,
    department_id: i64,
    promised_days: i64,
    legal_days: i64,
    /// The required materials of the guide, all handed in at filing so that acceptance finds nothing missing.
    materials: Vec<String>,
    /// The licence the approval issues (电子证照), if the item yields one.
    licence: Option<String>,
}

impl Fixture {
    async fn load(state: &App, region: &str) -> anyhow::Result<Fixture> {
        let store = &state.store;
        // Items of 区行政审批局: the demo reviewer and head work there, so they may act on these cases.
        let filter = ItemFilter {
            department_code: Some(DEMO_DEPARTMENT.to_string()),
            ..Default::default()
        };
        let page = store.items(region, &filter, 1, MAX_ITEMS).await?;
        let mut items = Vec::new();
        for summary in page.data {
            let Some(item) = store.item(region, &summary.code, None).await? else {
                continue;
            };
            items.push(BenchItem {
                code: item.code.clone(),
                name: item.guide.name.clone(),
                version: item.version,
                item_id: item.id,
                department_id: item.department_id,
                promised_days: i64::from(item.guide.promised_limit_days),
                legal_days: i64::from(item.guide.legal_limit_days),
                materials: item
                    .guide
                    .materials
                    .iter()
                    .filter(|m| m.required)
                    .map(|m| m.name.clone())
                    .collect(),
                licence: Some(item.guide.result_licence.clone()).filter(|l| !l.is_empty()),
            });
        }
        if items.is_empty() {
            bail!("部门{DEMO_DEPARTMENT}没有已发布的事项，无法测试");
        }
        Ok(Fixture {
            region: region.to_string(),
            items,
        })
    }

    fn item(&self, index: usize) -> &BenchItem {
        &self.items[index % self.items.len()]
    }
}

/// A valid applicant per case index (the resident ID's check character computed), so that cases differ.
fn applicant(index: usize) -> anyhow::Result<(String, String, String)> {
    let first17 = format!("430603198001{:02}{:03}", 1 + index % 28, index % 1000);
    let check = ResidentId::check_char(&first17).ok_or_else(|| anyhow!("身份证号码{first17}无法计算校验码"))?;
    Ok((
        format!("申请人{index}"),
        format!("{first17}{check}"),
        format!("138{:08}", index % 100_000_000),
    ))
}

/// One timed run: every step's latency and the wall time.
struct Measured {
    cases: usize,
    elapsed: Duration,
    /// Sorted, milliseconds.
    latencies: Vec<f64>,
}

impl Measured {
    fn transitions_per_s(&self) -> f64 {
        (self.cases * STEPS_PER_CASE) as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile.
    fn percentile(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = (q * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// A separate range of case indexes per run, so that applicants differ across modes.
static NEXT_INDEX: AtomicUsize = AtomicUsize::new(0);

async fn measure(driver: &Driver, opts: &BenchOptions) -> anyhow::Result<Measured> {
    // A short untimed warm-up opens the pool's connections and fills their statement caches, so that the timed
    // run measures the steady state rather than the start-up.
    drive(driver, opts.clients * 2, opts.clients).await?;
    drive(driver, opts.cases, opts.clients).await
}

/// Runs `count` cases through `driver` with `clients` concurrent tasks, each taking the next case when it has
/// finished its last.
async fn drive(driver: &Driver, count: usize, clients: usize) -> anyhow::Result<Measured> {
    let first = NEXT_INDEX.fetch_add(count, Ordering::SeqCst);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let driver = driver.clone();
        let next = next.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(count / clients.max(1) * STEPS_PER_CASE + STEPS_PER_CASE);
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    break;
                }
                driver.run_case(client, first + i, &mut latencies).await?;
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::with_capacity(count * STEPS_PER_CASE);
    // The first failure ends the run: dropping the set aborts the other tasks.
    while let Some(joined) = tasks.join_next().await {
        latencies.extend(joined??);
    }
    let elapsed = started.elapsed();
    latencies.sort_by(f64::total_cmp);
    Ok(Measured {
        cases: count,
        elapsed,
        latencies,
    })
}

fn millis(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[derive(Clone)]
enum Driver {
    Raw(Arc<RawDriver>),
    InProcess(Arc<InProcess>),
    Http(Arc<HttpDriver>),
}

impl Driver {
    /// Files case `index` and takes it through the lifecycle, pushing each step's latency in milliseconds.
    async fn run_case(&self, client: usize, index: usize, latencies: &mut Vec<f64>) -> anyhow::Result<()> {
        match self {
            Driver::Raw(d) => d.run_case(index, latencies).await,
            Driver::InProcess(d) => d.run_case(index, latencies).await,
            Driver::Http(d) => d.run_case(client, index, latencies).await,
        }
    }
}

fn app_error(step: &str) -> impl Fn(tongban_app::Error) -> anyhow::Error + '_ {
    move |e| anyhow!("{step}：{}（{}）", e.message, e.code)
}

/// The use cases called directly, as the API handlers call them, with sessions opened once.
struct InProcess {
    state: App,
    fixture: Arc<Fixture>,
    clerk: Session,
    reviewer: Session,
    head: Session,
}

impl InProcess {
    async fn new(state: &App, fixture: &Arc<Fixture>) -> anyhow::Result<InProcess> {
        let session = |username: &'static str| async move {
            let (staff, _) = state
                .store
                .staff_by_username(username)
                .await?
                .ok_or_else(|| anyhow!("没有演示用户{username}"))?;
            let (_, session) = state
                .store
                .create_session(&staff, SessionKind::Api, chrono::Duration::hours(12))
                .await?;
            Ok::<_, anyhow::Error>(session)
        };
        Ok(InProcess {
            state: state.clone(),
            fixture: fixture.clone(),
            clerk: session("clerk").await?,
            reviewer: session("reviewer").await?,
            head: session("head").await?,
        })
    }

    fn session(&self, username: &str) -> &Session {
        match username {
            "reviewer" => &self.reviewer,
            "head" => &self.head,
            _ => &self.clerk,
        }
    }

    async fn run_case(&self, index: usize, latencies: &mut Vec<f64>) -> anyhow::Result<()> {
        let item = self.fixture.item(index);
        let (name, id_number, phone) = applicant(index)?;
        let t = Instant::now();
        let applicant =
            cases::parse_applicant("person", &name, Some(&id_number), None, &phone).map_err(app_error("申请人"))?;
        let filing = Filing {
            item_code: item.code.clone(),
            applicant,
            channel: "window".into(),
            site_code: HALL_SITE.into(),
            agent: String::new(),
            form: serde_json::json!({}),
            materials: item.materials.clone(),
            idempotency_key: None,
            request_hash: String::new(),
            delivery: Default::default(),
        };
        let (case, _) = cases::file(
            &self.state,
            &self.fixture.region,
            filing,
            cases::FiledBy::Staff(&self.clerk),
        )
        .await
        .map_err(app_error("file"))?;
        latencies.push(millis(t));
        let mut version = case.version;
        for step in &STEPS {
            let t = Instant::now();
            let c = cases::act(
                &self.state,
                self.session(step.username),
                &case.number,
                step.action,
                version,
                step.comment,
                &cases::ActOptions::default(),
            )
            .await
            .map_err(app_error(step.action))?;
            latencies.push(millis(t));
            version = c.version;
        }
        Ok(())
    }
}

/// The application served on a free local port, as `tongban serve` serves it.
struct Server {
    base: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(state: App) -> anyhow::Result<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let app = tongban_web::app(tongban_web::AppState::new(state, Default::default()));
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await
        });
        Ok(Server {
            base: format!("http://{addr}"),
            shutdown,
            task,
        })
    }

    async fn stop(self) {
        let _ = self.shutdown.send(());
        // A connection that lingers must not hold the bench up: the server task dies with the runtime anyway.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Concurrent API clients, each with its own connection and its own logins, as separate windows would have.
struct HttpDriver {
    base: String,
    fixture: Arc<Fixture>,
    clients: Vec<HttpClient>,
}

struct HttpClient {
    http: reqwest::Client,
    clerk: String,
    reviewer: String,
    head: String,
}

#[derive(Deserialize)]
struct LoginOut {
    token: String,
}

/// The two fields of the case view the next request needs; the rest of the body is parsed over and dropped.
#[derive(Deserialize)]
struct CaseOut {
    number: String,
    version: i64,
}

impl HttpDriver {
    async fn new(base: &str, clients: usize, fixture: &Arc<Fixture>) -> anyhow::Result<HttpDriver> {
        let mut out = Vec::with_capacity(clients);
        for _ in 0..clients {
            // No proxy: the server is on the loopback, and a proxy from the environment would measure the proxy.
            let http = reqwest::Client::builder().no_proxy().build()?;
            let login = |username: &'static str| {
                let http = http.clone();
                async move {
                    let r = http
                        .post(format!("{base}/api/v1/auth/login"))
                        .json(&serde_json::json!({"username": username, "password": PASSWORD}))
                        .send()
                        .await?;
                    let status = r.status();
                    if !status.is_success() {
                        bail!("{username}登录失败（{status}）：{}", r.text().await.unwrap_or_default());
                    }
                    Ok::<_, anyhow::Error>(r.json::<LoginOut>().await?.token)
                }
            };
            let (clerk, reviewer, head) = (login("clerk").await?, login("reviewer").await?, login("head").await?);
            out.push(HttpClient {
                http,
                clerk,
                reviewer,
                head,
            });
        }
        Ok(HttpDriver {
            base: base.to_string(),
            fixture: fixture.clone(),
            clients: out,
        })
    }

    async fn post(
        &self,
        client: &HttpClient,
        path: &str,
        token: &str,
        body: &serde_json::Value,
        expect: reqwest::StatusCode,
    ) -> anyhow::Result<CaseOut> {
        let r = client
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = r.status();
        if status != expect {
            bail!("POST {path}：{status}：{}", r.text().await.unwrap_or_default());
        }
        Ok(r.json::<CaseOut>().await?)
    }

    async fn run_case(&self, client: usize, index: usize, latencies: &mut Vec<f64>) -> anyhow::Result<()> {
        let c = &self.clients[client % self.clients.len()];
        let item = self.fixture.item(index);
        let (name, id_number, phone) = applicant(index)?;
        let body = serde_json::json!({
            "item_code": item.code,
            "applicant": {"kind": "person", "name": name, "id_number": id_number, "phone": phone},
            "channel": "window",
            "materials": item.materials,
        });
        let t = Instant::now();
        let case = self
            .post(c, "/api/v1/cases", &c.clerk, &body, reqwest::StatusCode::CREATED)
            .await?;
        latencies.push(millis(t));
        let path = format!("/api/v1/cases/{}/actions", case.number);
        let mut version = case.version;
        for step in &STEPS {
            let token = match step.username {
                "reviewer" => &c.reviewer,
                "head" => &c.head,
                _ => &c.clerk,
            };
            let body = serde_json::json!({"action": step.action, "version": version, "comment": step.comment});
            let t = Instant::now();
            let out = self.post(c, &path, token, &body, reqwest::StatusCode::OK).await?;
            latencies.push(millis(t));
            version = out.version;
        }
        Ok(())
    }
}

/// The raw floor: per step, the statements the store's transaction runs (tongban-store/src/cases.rs), in one
/// transaction on the store's pool, with every value computed before the clock starts. Left out on purpose: what
/// the application does around those transactions (reading the case, the template, the guide and the sites,
/// re-reading the case after the commit, the session look-up) — that is the overhead the ratio measures.
struct RawDriver {
    pool: AnyPool,
    fixture: Arc<Fixture>,
    day: String,
    now: String,
    start_state: String,
    start_position: String,
    submit_notice: String,
    steps: Vec<RawStep>,
    /// Per item: accepted_on, due_date, legal_due_date, due_provisional (as `accept` computes them).
    deadlines: Vec<(String, String, String, i64)>,
}

struct RawStep {
    actor: &'static str,
    role: &'static str,
    action: &'static str,
    comment: &'static str,
    from_state: String,
    to_state: String,
    position: String,
    closed: bool,
    /// From this step on the case carries its completion day (`issue` and every step after it).
    completes: bool,
    /// From this step on the case carries its licence id (`approve` and every step after it).
    licensed: bool,
    notice: String,
}

/// Constants in place of what the application computes for a licence.
const RAW_CREDIT_CODE: &str = "11371100MB0000000X";
const RAW_SIGNATURE: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

/// A constant in place of the event hash: the floor does no hashing.
const RAW_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl RawDriver {
    fn new(state: &App, fixture: &Arc<Fixture>) -> anyhow::Result<RawDriver> {
        let tpl: Template = default_template();
        let start = tpl.start();
        let mut position = start.clone();
        let mut steps = Vec::with_capacity(STEPS.len());
        let mut completed = false;
        let mut licensed = false;
        for step in &STEPS {
            let role = match step.username {
                "reviewer" => Role::Reviewer,
                "head" => Role::Head,
                _ => Role::Clerk,
            };
            let next = tpl
                .apply(&position, step.action, Actor::Staff(role), step.comment)
                .map_err(|e| anyhow!("默认流程不能{}：{e}", step.action))?;
            let closed = tpl.actions.iter().all(|a| !a.from.contains(&next.state));
            completed = completed || next.state == "issued" || closed;
            licensed = licensed || step.action == "approve";
            steps.push(RawStep {
                actor: step.username,
                role: role.as_str(),
                action: step.action,
                comment: step.comment,
                from_state: position.state.clone(),
                to_state: next.state.clone(),
                position: serde_json::to_string(&next)?,
                closed,
                completes: completed,
                licensed,
                notice: format!("【云溪区政务服务】您的办件已{}。", step.action),
            });
            position = next;
        }
        let today = tongban_app::time::today();
        let calendar = state.calendar.read().map_err(|_| anyhow!("工作日历不可用"))?.clone();
        let ymd = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        let deadlines = fixture
            .items
            .iter()
            .map(|i| {
                let due = calendar.add_working_days(today, i.promised_days.max(0) as u32);
                let legal = calendar.add_working_days(today, i.legal_days.max(0) as u32);
                (
                    ymd(today),
                    ymd(due.date),
                    ymd(legal.date),
                    i64::from(due.provisional || legal.provisional),
                )
            })
            .collect();
        Ok(RawDriver {
            pool: state.store.pool().clone(),
            fixture: fixture.clone(),
            day: today.format("%Y%m%d").to_string(),
            now: tongban_store::now_text(),
            start_state: start.state.clone(),
            start_position: serde_json::to_string(&start)?,
            submit_notice: "【云溪区政务服务】您的申请已提交，请等待受理。".into(),
            steps,
            deadlines,
        })
    }

    async fn run_case(&self, index: usize, latencies: &mut Vec<f64>) -> anyhow::Result<()> {
        let slot = index % self.fixture.items.len();
        let item = self.fixture.item(index);
        let deadline = &self.deadlines[slot];
        let region = self.fixture.region.as_str();
        let (name, id_number, phone) = applicant(index)?;
        let materials = serde_json::to_string(&item.materials)?;
        // A licence id per case (the real one is GB/T 36904-shaped; its length does not matter here).
        let licence = item
            .licence
            .as_ref()
            .map(|l| (format!("bench-{region}-{index}"), l.clone()));

        let t = Instant::now();
        let mut tx = self.pool.begin().await?;
        let seq = sqlx::query(
            "INSERT INTO case_sequences (region_code, day, last) VALUES ($1, $2, 1) \
             ON CONFLICT (region_code, day) DO UPDATE SET last = case_sequences.last + 1 RETURNING last",
        )
        .bind(region)
        .bind(&self.day)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<i64, _>("last")?;
        let number = format!("{region}-{}-{seq:06}", self.day);
        sqlx::query(
            "INSERT INTO applicants (region_code, kind, name, identifier, phone, created_at) VALUES ($1, $2, $3, $4, $5, \
             $6) ON CONFLICT (region_code, kind, identifier) DO UPDATE SET name = excluded.name, phone = excluded.phone",
        )
        .bind(region)
        .bind("person")
        .bind(&name)
        .bind(&id_number)
        .bind(&phone)
        .bind(&self.now)
        .execute(&mut *tx)
        .await?;
        let case_id = sqlx::query(
            "INSERT INTO cases (region_code, number, item_id, item_code, item_name, item_version, department_id, \
             workflow_code, applicant_kind, applicant_name, applicant_identifier, applicant_phone, agent, channel, \
             site_code, filed_by, state, position, version, promised_days, legal_days, form, materials, \
             idempotency_key, request_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $20, $21, $22, $23, $24, $25, $25) RETURNING id",
        )
        .bind(region)
        .bind(&number)
        .bind(item.item_id)
        .bind(&item.code)
        .bind(&item.name)
        .bind(item.version)
        .bind(item.department_id)
        .bind("default")
        .bind("person")
        .bind(&name)
        .bind(&id_number)
        .bind(&phone)
        .bind("")
        .bind("window")
        .bind(HALL_SITE)
        .bind("clerk")
        .bind(&self.start_state)
        .bind(&self.start_position)
        .bind(item.promised_days)
        .bind(item.legal_days)
        .bind("{}")
        .bind(&materials)
        .bind(None::<String>)
        .bind("")
        .bind(&self.now)
        .fetch_one(&mut *tx)
        .await?
        .try_get::<i64, _>("id")?;
        self.event(
            &mut tx,
            case_id,
            "clerk",
            "clerk",
            "submit",
            "",
            "",
            &self.start_state,
            &materials,
        )
        .await?;
        self.outbox(&mut tx, case_id, &phone, &self.submit_notice).await?;
        tx.commit().await?;
        latencies.push(millis(t));

        for (k, step) in self.steps.iter().enumerate() {
            let version = 1 + k as i64;
            let t = Instant::now();
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query(
                "UPDATE cases SET state = $1, position = $2, version = version + 1, accepted_on = $3, due_date = $4, \
                 legal_due_date = $5, due_provisional = $6, suspended_since = $7, suspended_days = $8, updated_at = $9, \
                 closed_at = $10, materials = $13, completed_on = $14, tolerance = $15, licence_id = $16 \
                 WHERE id = $11 AND version = $12",
            )
            .bind(&step.to_state)
            .bind(&step.position)
            .bind(&deadline.0)
            .bind(&deadline.1)
            .bind(&deadline.2)
            .bind(deadline.3)
            .bind(None::<String>)
            .bind(0i64)
            .bind(&self.now)
            .bind(step.closed.then(|| self.now.clone()))
            .bind(case_id)
            .bind(version)
            .bind(&materials)
            .bind(step.completes.then(|| deadline.0.clone()))
            .bind(0i64)
            .bind(licence.as_ref().filter(|_| step.licensed).map(|l| l.0.clone()))
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                bail!("原始SQL：办件{number}第{version}版的更新没有命中");
            }
            self.event(
                &mut tx,
                case_id,
                step.actor,
                step.role,
                step.action,
                step.comment,
                &step.from_state,
                &step.to_state,
                "[]",
            )
            .await?;
            self.outbox(&mut tx, case_id, &phone, &step.notice).await?;
            if let Some((licence_id, type_name)) = licence.as_ref().filter(|_| step.action == "approve") {
                self.licence(&mut tx, licence_id, type_name, &number, &name, &id_number)
                    .await?;
            }
            tx.commit().await?;
            latencies.push(millis(t));
        }
        Ok(())
    }

    /// The chained event: the predecessor is read as the store reads it, its hash replaced by a constant.
    #[allow(clippy::too_many_arguments)]
    async fn event(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        case_id: i64,
        actor: &str,
        role: &str,
        action: &str,
        comment: &str,
        from_state: &str,
        to_state: &str,
        attachments: &str,
    ) -> anyhow::Result<()> {
        let last = sqlx::query("SELECT seq, hash FROM case_events WHERE case_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(case_id)
            .fetch_optional(&mut **tx)
            .await?;
        let (seq, prev_hash) = match last {
            Some(r) => (r.try_get::<i64, _>("seq")? + 1, r.try_get::<String, _>("hash")?),
            None => (1, tongban_core::audit::GENESIS.to_string()),
        };
        sqlx::query(
            "INSERT INTO case_events (region_code, case_id, seq, actor, role, action, from_state, to_state, at, comment, \
             attachments, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(self.fixture.region.as_str())
        .bind(case_id)
        .bind(seq)
        .bind(actor)
        .bind(role)
        .bind(action)
        .bind(from_state)
        .bind(to_state)
        .bind(&self.now)
        .bind(comment)
        .bind(attachments)
        .bind(&prev_hash)
        .bind(RAW_HASH)
        .execute(&mut **tx)
        .await?;
        // The case row records its chain's head, as the store does with every event.
        sqlx::query("UPDATE cases SET event_head = $1 WHERE id = $2")
            .bind(RAW_HASH)
            .bind(case_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The licence row and its audit line, as `approve` writes them for an item that yields a licence; the
    /// signature is a constant of the real one's length (the floor does no signing).
    async fn licence(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        licence_id: &str,
        type_name: &str,
        case_number: &str,
        holder: &str,
        holder_code: &str,
    ) -> anyhow::Result<()> {
        let region = self.fixture.region.as_str();
        sqlx::query(
            "INSERT INTO licences (region_code, licence_id, number, type_name, type_code, holder, holder_code, issuer, \
             issuer_code, issued_on, valid_until, case_number, fields, signature) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(region)
        .bind(licence_id)
        .bind(case_number)
        .bind(type_name)
        .bind("bench")
        .bind(holder)
        .bind(holder_code)
        .bind("区行政审批局")
        .bind(RAW_CREDIT_CODE)
        .bind(&self.now[..10])
        .bind(None::<String>)
        .bind(case_number)
        .bind("{}")
        .bind(RAW_SIGNATURE)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_log (region_code, actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(region)
        .bind("head")
        .bind("licence.issue")
        .bind(licence_id)
        .bind(case_number)
        .bind(&self.now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn outbox(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        case_id: i64,
        phone: &str,
        body: &str,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO outbox (region_code, case_id, channel, recipient, body, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(self.fixture.region.as_str())
        .bind(case_id)
        .bind("sms")
        .bind(phone)
        .bind(body)
        .bind(&self.now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
