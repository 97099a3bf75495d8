//! `tongban`: the whole platform in one binary.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tongban::config::{Config, Overrides};
use tongban_core::role::Role;
use tongban_store::{ImportMode, NewStaff, Store};

#[derive(Parser)]
#[command(
    name = "tongban",
    version,
    about = "通办：一体化政务服务平台（政务服务、办件、12345热线、政务公开）"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Configuration file (TOML; keys listen, database_url, data_dir, region, region_name, secure_cookies,
    /// session_hours, and a [hotline] section: consultation_days … report_days, emergency_hours, bbox).
    /// Default: ./tongban.toml when it exists.
    #[arg(long, global = true, env = "TONGBAN_CONFIG")]
    config: Option<PathBuf>,
    /// Address and port to serve on. Default 127.0.0.1:8080.
    #[arg(long, global = true, env = "TONGBAN_LISTEN")]
    listen: Option<String>,
    /// Database: sqlite://PATH?mode=rwc (embedded) or postgres://USER@HOST:PORT/DB (production).
    /// Default: SQLite file tongban.db in the data directory.
    #[arg(long, global = true, env = "TONGBAN_DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory: the SQLite database, uploaded files and keys. Default ./tongban-data (./tongban-demo for demo).
    #[arg(long, global = true, env = "TONGBAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Region code (行政区划代码) of the district the portal serves and new data belongs to. Default 430603 (云溪区).
    #[arg(long, global = true, env = "TONGBAN_REGION")]
    region: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve the web UI and the API.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fresh demo district on SQLite (or the configured database): regions, departments, 1,162 items, bundles and
    /// one user per role, then serve. Passwords: TONGBAN_DEMO_PASSWORD, or a generated one that is printed.
    Demo {
        /// Load the data and create the users, but do not serve.
        #[arg(long)]
        no_serve: bool,
        /// Working days of case activity to seed, ending today, at the district's daily rate (≈1,444 cases a day).
        #[arg(long, default_value_t = 3)]
        days: u32,
        /// Fraction of the daily rate to seed (0–1], for a quicker start.
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// The service catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the region tree, departments, sites and windows, the catalog and bundles shipped in data/.
    Seed,
    /// The working-day calendar (official holiday notices; provisional rules for years without one).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The Open311 GeoReport v2 API of the 12345 hotline.
    Open311 {
        #[command(subcommand)]
        command: Open311Command,
    },
    /// Write a consistent backup of the database and the data directory (signing key, checkpoint log, uploaded
    /// files) into DIR, while the server keeps serving. PostgreSQL needs the server's pg_dump.
    Backup { dir: PathBuf },
    /// Restore a backup from DIR into an empty data directory and database (PostgreSQL: an empty database and
    /// pg_restore). Every file is checked against the backup's manifest first.
    Restore { dir: PathBuf },
    /// The hash-chained case history.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Benchmark (not a test): N cases through the whole default lifecycle (file, accept, review, approve, issue,
    /// deliver) on SQLite and on PostgreSQL, in-process and over HTTP with C concurrent clients, against the raw
    /// floor (the same SQL statements executed directly). Prints one JSON object per line. Every mode runs on a
    /// fresh database that is removed afterwards; the configured database is not touched.
    Bench {
        /// Cases per mode and backend.
        #[arg(long, default_value_t = 2000)]
        cases: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// PostgreSQL admin URL without a database, e.g. postgres://postgres@127.0.0.1:5432; a fresh database is
        /// created on it and dropped afterwards. Without it only SQLite is measured.
        #[arg(long, env = "TONGBAN_BENCH_POSTGRES")]
        postgres: Option<String>,
        /// Only SQLite, even when a PostgreSQL URL is given.
        #[arg(long)]
        sqlite_only: bool,
        /// Replay a year instead: N cases of 2023 (default the district's 360,969) through the lifecycle, a
        /// thousand per transaction, timed against the two-minute target, with a sample of hash chains verified.
        #[arg(long, num_args = 0..=1, default_missing_value = "360969")]
        year: Option<usize>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Print the N-th working day after DATE (DATE itself is day 0).
    Add { date: String, days: u32 },
    /// Load a year's holiday notice (TOML in the format of data/calendar/2026.toml), then recompute the deadlines of
    /// open cases that were provisional, recording each move in the case history.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every case's event chain, each case row against its chain, and every signed checkpoint (with the
    /// checkpoint log in the data directory); report what was changed, removed, reordered or rewritten. Exit
    /// status 1 if anything.
    Verify,
    /// Sign a checkpoint over the events written since the last one (the server does this hourly).
    Checkpoint,
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Import items (format of data/catalog.csv) or bundles (data/bundles.csv), as CSV or XLSX. Nothing is imported
    /// unless every row is good; each bad row is reported with line, column and reason.
    Import {
        file: PathBuf,
        /// Import the good rows and list the bad ones.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Report guides that break the quality rules (missing basis, phone or materials; promised > legal; visits
    /// without reason; fully online with visits; fee without basis). Exit status 1 when any guide fails.
    Check {
        /// Only this department (code, e.g. xzspj).
        #[arg(long)]
        department: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum Open311Command {
    /// API keys of Open311 clients (only a hash is stored).
    Key {
        #[command(subcommand)]
        command: Open311KeyCommand,
    },
}

#[derive(Subcommand)]
enum Open311KeyCommand {
    /// Issue a key for NAME and print it (it cannot be shown again).
    Add { name: String },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account. The password comes from TONGBAN_USER_PASSWORD, or is generated and printed.
    Add {
        username: String,
        /// admin, clerk, reviewer, head, supervisor, operator, discloser or policy
        #[arg(long)]
        role: String,
        /// Display name; default the user name.
        #[arg(long)]
        name: Option<String>,
        /// Department code (required for reviewer and head).
        #[arg(long)]
        department: Option<String>,
        /// Window code (e.g. zc-01, a comprehensive window of the hall).
        #[arg(long)]
        window: Option<String>,
        #[arg(long, env = "TONGBAN_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tantivy=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let g = cli.global;
    let overrides = Overrides {
        config: g.config,
        listen: g.listen,
        database_url: g.database_url,
        data_dir: g.data_dir,
        region: g.region,
    };
    let default_dir = if matches!(cli.command, Command::Demo { .. }) {
        "tongban-demo"
    } else {
        "tongban-data"
    };
    let config = Config::load(&overrides, default_dir)?;
    match cli.command {
        Command::Serve => {
            let store = open_store(&config).await?;
            drop(store);
            serve(&config, false).await?;
        }
        Command::Migrate => {
            let store = open_store_unmigrated(&config).await?;
            let n = store.migrate().await?;
            println!("已应用{n}个迁移（{}）", store.backend().name());
        }
        Command::Demo { no_serve, days, scale } => {
            if !(scale > 0.0 && scale <= 1.0) {
                bail!("--scale应在0到1之间（不含0）");
            }
            demo(&config, days, scale).await?;
            if !no_serve {
                serve(&config, true).await?;
            }
        }
        Command::Seed => {
            let store = open_store(&config).await?;
            let search = tongban_search::SearchIndex::new()?;
            let r = tongban::seed::load_reference(&store, &search, &config.region).await?;
            println!(
                "行政区划{}条，部门{}个，服务场所{}个；事项新增{}、更新{}、未变{}；一件事{}个",
                r.regions,
                r.departments,
                r.sites,
                r.catalog.created,
                r.catalog.new_versions,
                r.catalog.unchanged,
                r.bundles.created
            );
        }
        Command::Catalog {
            command: CatalogCommand::Import { file, skip_bad },
        } => {
            let store = open_store(&config).await?;
            let bytes = std::fs::read(&file).with_context(|| format!("无法读取{}", file.display()))?;
            let search = tongban_search::SearchIndex::new()?;
            let mode = if skip_bad {
                ImportMode::SkipBad
            } else {
                ImportMode::AllOrNothing
            };
            let started = std::time::Instant::now();
            match tongban::import_file(&store, &search, &config.region, &bytes, mode, "cli").await {
                Ok(r) => {
                    println!(
                        "导入完成（{:.2}秒）：新增{}，发布新版本{}，未变{}，跳过{}",
                        started.elapsed().as_secs_f64(),
                        r.created,
                        r.new_versions,
                        r.unchanged,
                        r.skipped.len()
                    );
                    for e in &r.skipped {
                        println!("  跳过 {e}");
                    }
                }
                Err(tongban_store::StoreError::Import(rows)) => {
                    eprintln!("{}有{}处错误，未导入任何数据：", file.display(), rows.len());
                    for e in &rows {
                        eprintln!("  {e}");
                    }
                    return Ok(std::process::ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Catalog {
            command: CatalogCommand::Check { department, json },
        } => {
            let store = open_store(&config).await?;
            let report =
                tongban_app::catalog::quality_report(&store, &config.region, department.as_deref(), None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for f in &report.findings {
                    let issues: Vec<&str> = f.issues.iter().map(|i| i.message.as_str()).collect();
                    println!("{}\t{}\t{}\t{}", f.code, f.department, f.name, issues.join("；"));
                }
                println!("共检查{}个办事指南，{}个有问题", report.checked, report.failing);
                for r in report.by_rule.iter().filter(|r| r.count > 0) {
                    println!("  {}（{}）：{}", r.label, r.rule, r.count);
                }
            }
            if report.failing > 0 {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Command::Calendar {
            command: CalendarCommand::Add { date, days },
        } => {
            let from = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("日期“{date}”应为YYYY-MM-DD格式"))?;
            let store = open_store(&config).await?;
            let calendar = tongban_app::load_calendar(&store)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let d = calendar.add_working_days(from, days);
            println!(
                "{}{}",
                d.date.format("%Y-%m-%d"),
                if d.provisional {
                    "（暂定：该年放假安排尚未公布）"
                } else {
                    ""
                }
            );
        }
        Command::Calendar {
            command: CalendarCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("无法读取{}", file.display()))?;
            let notice = tongban_core::calendar::YearNotice::parse_toml(&text)?;
            let store = open_store(&config).await?;
            let moved = tongban_app::cases::import_notice(&store, &notice, &text, "cli")
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            println!("已载入{}年放假安排（{}）", notice.year, notice.source);
            if moved.is_empty() {
                println!("没有暂定期限需要调整");
            }
            for m in &moved {
                println!(
                    "  {} 承诺期限 {} → {}（经办部门：{}）",
                    m.number, m.old_due, m.new_due, m.department
                );
            }
        }
        Command::Backup { dir } => {
            let store = open_store(&config).await?;
            let m = tongban::backup::backup(&store, &config.database_url, &config.data_dir, &dir).await?;
            println!(
                "已备份到{}（{}数据库，{}个文件，清单manifest.json）",
                dir.display(),
                m.backend,
                m.files.len()
            );
        }
        Command::Restore { dir } => {
            let m = tongban::backup::restore(&dir, &config.database_url, &config.data_dir).await?;
            println!(
                "已从{}恢复{}的备份（{}个文件）到{}",
                dir.display(),
                m.created_at,
                m.files.len(),
                config.data_dir.display()
            );
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = tongban::build_app(&config.database_url, config.settings()).await?;
            let report = tongban_app::audit::verify(&app)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            for p in &report.problems {
                println!("{}\t第{}条\t{}\t{}", p.case_number, p.seq, p.kind, p.message);
            }
            println!(
                "核验了{}个办件的{}条事件和{}个签名检查点，发现{}处问题",
                report.cases,
                report.events,
                report.checkpoints,
                report.problems.len()
            );
            if !report.problems.is_empty() {
                return Ok(std::process::ExitCode::FAILURE);
            }
        }
        Command::Audit {
            command: AuditCommand::Checkpoint,
        } => {
            let app = tongban::build_app(&config.database_url, config.settings()).await?;
            match tongban_app::audit::checkpoint(&app, None)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?
            {
                Some(c) => println!(
                    "已签署检查点：截至第{}号事件，共{}条事件，摘要{}",
                    c.last_event_id, c.events, c.digest
                ),
                None => println!("自上一个检查点以来没有新事件"),
            }
        }
        Command::Bench {
            cases,
            clients,
            postgres,
            sqlite_only,
            year,
        } => {
            tongban::bench::run(tongban::bench::BenchOptions {
                cases,
                clients,
                postgres,
                sqlite_only,
                year,
            })
            .await?;
        }
        Command::Open311 {
            command: Open311Command::Key {
                command: Open311KeyCommand::Add { name },
            },
        } => {
            let store = open_store(&config).await?;
            let name = name.trim().to_string();
            if name.is_empty() {
                bail!("密钥名称不能为空");
            }
            let key = tongban_app::hotline::new_api_key();
            store
                .add_open311_key(&config.region, &name, &tongban_app::hotline::hash_key(&key), "cli")
                .await?;
            println!("已为“{name}”签发Open311接口密钥（只显示这一次）：");
            println!("{key}");
        }
        Command::User {
            command:
                UserCommand::Add {
                    username,
                    role,
                    name,
                    department,
                    window,
                    password,
                },
        } => {
            let store = open_store(&config).await?;
            let role = Role::parse(&role).map_err(|e| {
                anyhow::anyhow!("{e}（可选：admin, clerk, reviewer, head, supervisor, operator, discloser, policy）")
            })?;
            let (password, generated) = match password {
                Some(p) => (p, false),
                None => (generate_password(), true),
            };
            if let Err(e) = tongban_app::passwords::check_new(&password, &[&username]) {
                bail!("{}", e.message);
            }
            let display = name.unwrap_or_else(|| username.clone());
            let staff = store
                .add_staff(
                    &NewStaff {
                        region_code: &config.region,
                        username: &username,
                        display_name: &display,
                        role,
                        department_code: department.as_deref(),
                        window_code: window.as_deref(),
                        password: &password,
                    },
                    "cli",
                )
                .await?;
            println!("已创建用户{}（{}）", staff.username, staff.role.label());
            if generated {
                println!("初始密码：{password}");
            }
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

async fn open_store_unmigrated(config: &Config) -> anyhow::Result<Store> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("无法创建数据目录{}", config.data_dir.display()))?;
    }
    Store::connect(&config.database_url)
        .await
        .with_context(|| "无法连接数据库".to_string())
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = open_store_unmigrated(config).await?;
    store.migrate().await?;
    Ok(store)
}

fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

const DEMO_MARKER: &str = ".tongban-demo";

async fn demo(config: &Config, days: u32, scale: f64) -> anyhow::Result<()> {
    if let Some(db) = config.sqlite_file() {
        let dir = &config.data_dir;
        let marker = dir.join(DEMO_MARKER);
        if db.exists() && !marker.exists() {
            bail!(
                "{}中已有不是演示用的数据库；请用 TONGBAN_DATA_DIR 指定另一个目录",
                dir.display()
            );
        }
        std::fs::create_dir_all(dir).with_context(|| format!("无法创建数据目录{}", dir.display()))?;
        for suffix in ["", "-wal", "-shm"] {
            let f = PathBuf::from(format!("{}{suffix}", db.display()));
            if f.exists() {
                std::fs::remove_file(&f).with_context(|| format!("无法删除旧的演示数据库{}", f.display()))?;
            }
        }
        std::fs::write(
            &marker,
            "tongban demo data; `tongban demo` recreates this directory's database\n",
        )?;
    }
    let started = std::time::Instant::now();
    let store = open_store(config).await?;
    let search = tongban_search::SearchIndex::new()?;
    let r = tongban::seed::load_reference(&store, &search, &config.region).await?;
    let (password, generated) = match std::env::var("TONGBAN_DEMO_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (generate_password(), true),
    };
    if let Err(e) = tongban_app::passwords::check_new(&password, &[]) {
        bail!("TONGBAN_DEMO_PASSWORD不可用：{}", e.message);
    }
    let hash = tongban_store::hash_password(&password)?;
    let users = tongban::seed::demo_users_with_hash(&store, &config.region, &hash).await?;
    let department_staff = tongban::seed::department_staff(&store, &config.region, &hash).await?;
    let activity_started = std::time::Instant::now();
    let state = tongban::build_app(&config.database_url, config.settings()).await?;
    let cases = tongban::seed::demo_activity(&state, &config.region, days, scale).await?;
    println!(
        "  近{days}个工作日的办件{cases}件（{:.1}秒）",
        activity_started.elapsed().as_secs_f64()
    );
    let reform = tongban::seed::demo_reform(&state, &config.region).await?;
    println!(
        "  赋权{}项，好差评{}条，一件事{}件（改革服务 /staff/reform）",
        reform.delegations, reform.ratings, reform.bundles
    );
    let tickets = tongban::seed::queue::demo(&state, &config.region, days, scale).await?;
    println!("  大厅取号{tickets}张（含今日实时排队，叫号屏 /hall/board）");
    let (published, requests) = tongban::seed::disclosure::demo(&state, &config.region).await?;
    println!("  政务公开：主动公开信息{published}条，依申请公开{requests}件（/gk，工作台 /staff/disclosure）");
    let orders = tongban::seed::hotline::demo(&state, &config.region, days, scale).await?;
    println!("  12345热线工单{orders}件（含未诉即办预警，/staff/hotline）");
    println!(
        "演示数据已就绪（{:.1}秒，数据库 {}）",
        started.elapsed().as_secs_f64(),
        store.backend().name()
    );
    println!(
        "  行政区划{}条，部门{}个，服务场所{}个，事项{}个，一件事{}个",
        r.regions,
        r.departments,
        r.sites,
        r.catalog.created + r.catalog.new_versions + r.catalog.unchanged,
        r.bundles.created
    );
    println!(
        "演示账号（密码{}）：",
        if generated {
            "为随机生成"
        } else {
            "取自 TONGBAN_DEMO_PASSWORD"
        }
    );
    for (u, role, place) in &users {
        println!("  {u:<11} {role}（{place}）");
    }
    println!(
        "  另有各部门的 reviewer-<部门代码> 和 head-<部门代码>（{department_staff}个，例如 reviewer-rsj），密码相同"
    );
    println!("  密码：{password}");
    Ok(())
}

/// Runs the server and its background workers; `demo` prints outgoing messages to the console unless an SMS
/// gateway is configured.
async fn serve(config: &Config, demo: bool) -> anyhow::Result<()> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let state = tongban_web::AppState::new(
        tongban::build_app(&config.database_url, config.settings()).await?,
        config.web(),
    );
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("无法监听{}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("通办已启动（数据库 {}）：", state.store.backend().name());
    println!("  门户        http://{addr}/");
    println!("  工作人员    http://{addr}/login");
    println!("  接口文档    http://{addr}/api/openapi.json");
    println!("  健康检查    http://{addr}/healthz   指标 http://{addr}/metrics");
    let notifier = match &config.sms_webhook {
        Some(url) => {
            println!("  短信网关    {url}");
            tongban_app::cases::Notifier::webhook(url).map_err(|e| anyhow::anyhow!(e.message))?
        }
        None if demo => {
            println!("  短信        未配置短信网关，演示中的短信显示在本窗口（号码已遮盖）");
            tongban_app::cases::Notifier::Console
        }
        None => tongban_app::cases::Notifier::Log,
    };
    let worker_store = state.store.clone();
    tokio::spawn(async move {
        // The outbox worker: one pass every few seconds; a failed pass is logged and the next one retries.
        loop {
            if let Err(e) =
                tongban_app::cases::deliver_notifications(&worker_store, &notifier, chrono::Utc::now()).await
            {
                tracing::warn!(error = %e.message, "notification pass failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    let follow_state = state.app.clone();
    tokio::spawn(async move {
        // Another server may change the catalog: its edits reach this server's search within seconds.
        let region = follow_state.config.default_region.clone();
        let mut seen = None;
        loop {
            match tongban_app::catalog::follow_catalog(&follow_state, &region, &mut seen).await {
                Ok(true) => tracing::info!("catalog changed elsewhere: search index rebuilt"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e.message, "catalog follow pass failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        }
    });
    let sweep_state = state.app.clone();
    tokio::spawn(async move {
        // 容缺 commitments fall due by the day; an hourly pass marks the broken ones soon after midnight. The same
        // pass signs an audit checkpoint up to the last event seen an hour ago (every transaction holding a lower
        // id has ended by then).
        let mut horizon: Option<i64> = None;
        loop {
            if let Some(up_to) = horizon {
                if let Err(e) = tongban_app::audit::checkpoint(&sweep_state, Some(up_to)).await {
                    tracing::warn!(error = %e.message, "audit checkpoint failed");
                }
            }
            horizon = sweep_state.store.max_event_id().await.ok();
            let region = sweep_state.config.default_region.clone();
            match tongban_app::reform::sweep_commitments(&sweep_state, &region, tongban_app::time::today()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(commitments = n, "overdue tolerance commitments marked"),
                Err(e) => tracing::warn!(error = %e.message, "commitment sweep failed"),
            }
            if let Err(e) = tongban_app::throttle::prune(&sweep_state).await {
                tracing::warn!(error = %e.message, "throttle prune failed");
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    let app = tongban_web::app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
