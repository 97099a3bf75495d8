//! Reference data shipped in the repository (data/, with provenance in data/README.md) and the demo district:
//! the region tree, departments, service sites and windows, the catalog and bundles, and one user per role.

pub mod disclosure;
pub mod hotline;
pub mod queue;

use tongban_core::catalog::parse_bundles;
use tongban_core::catalog::Level;
use tongban_core::region::parse_regions_csv;
use tongban_core::role::Role;
use tongban_search::SearchIndex;
use tongban_store::{ImportMode, ImportReport, NewStaff, Site, Store, StoreError};

pub const REGIONS_CSV: &str = include_str!("../../../data/regions.csv");
pub const DEPARTMENTS_CSV: &str = include_str!("../../../data/departments.csv");
pub const CATALOG_CSV: &[u8] = include_bytes!("../../../data/catalog.csv");
pub const BUNDLES_CSV: &[u8] = include_bytes!("../../../data/bundles.csv");
/// The busiest items' own guide content, from public guidance (data/guides/README.md), laid over the catalog.
pub const COMMON_ITEMS_CSV: &[u8] = include_bytes!("../../../data/guides/common-items.csv");

/// The catalog as data/catalog.csv gives it, without the guide content laid over it.
pub fn catalog_fixture() -> tongban_core::catalog::ImportParse<tongban_core::catalog::Guide> {
    tongban_core::catalog::parse_catalog(CATALOG_CSV)
}

/// The shipped catalog with the busiest items' own guide content laid over it.
pub fn shipped_catalog() -> Result<tongban_core::catalog::ImportParse<tongban_core::catalog::Guide>, StoreError> {
    let mut catalog = catalog_fixture();
    let overlay = tongban_core::catalog::parse_guide_overlay(COMMON_ITEMS_CSV);
    let errors = tongban_core::catalog::overlay_catalog(&mut catalog, &overlay);
    match errors.first() {
        Some(e) => Err(StoreError::Invalid(format!("data/guides/common-items.csv：{e}"))),
        None => Ok(catalog),
    }
}

/// How busy each item is, by code: the overlay's volume (1–100) for the busiest items, 1 for the rest. The demo's
/// cases are drawn in these proportions.
pub fn item_volumes() -> std::collections::HashMap<String, u32> {
    tongban_core::catalog::parse_guide_overlay(COMMON_ITEMS_CSV)
        .rows
        .into_iter()
        .map(|r| (r.value.code, r.value.volume))
        .collect()
}

/// The comprehensive window of the district hall, where the demo `clerk` works.
pub const HALL_SITE: &str = "hall";
pub const COMPREHENSIVE_WINDOW: &str = "zc-01";
/// The department of the demo `reviewer` and `head`: 区行政审批局.
pub const DEMO_DEPARTMENT: &str = "xzspj";

#[derive(Debug, Default)]
pub struct SeedReport {
    pub regions: usize,
    pub departments: usize,
    pub sites: usize,
    pub catalog: ImportReport,
    pub bundles: ImportReport,
}

/// Loads the region tree, the district's departments, sites and windows, the catalog and the bundles. Idempotent:
/// loading twice changes nothing the second time.
pub async fn load_reference(store: &Store, search: &SearchIndex, region: &str) -> Result<SeedReport, StoreError> {
    load_reference_with(store, search, region, shipped_catalog()?).await
}

/// `load_reference` with a given catalog: the test suite loads the catalog's own columns (`catalog_fixture`), so
/// that its cases do not move when the shipped guide content is rewritten; one test loads the shipped one.
pub async fn load_reference_with(
    store: &Store,
    search: &SearchIndex,
    region: &str,
    catalog: tongban_core::catalog::ImportParse<tongban_core::catalog::Guide>,
) -> Result<SeedReport, StoreError> {
    let mut report = SeedReport::default();
    let regions = parse_regions_csv(REGIONS_CSV).map_err(|e| StoreError::Invalid(format!("data/regions.csv {e}")))?;
    report.regions = store.upsert_regions(&regions).await?;
    let county = store
        .region(region)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("行政区划“{region}”")))?;

    let mut reader = csv::Reader::from_reader(DEPARTMENTS_CSV.as_bytes());
    for rec in reader.records() {
        let rec = rec.map_err(|e| StoreError::Invalid(format!("data/departments.csv：{e}")))?;
        let (code, name, phone) = (&rec[0], &rec[1], &rec[2]);
        store.upsert_department(region, code, name, phone, "seed").await?;
        report.departments += 1;
    }

    let hall = Site {
        id: 0,
        code: HALL_SITE.into(),
        name: format!("{}政务服务中心", county.name),
        kind: "hall".into(),
        located_in: region.into(),
        address: format!("{}政务服务中心（综窗+专区，受审分离）", county.name),
        hours: "工作日 9:00–12:00，13:30–17:00".into(),
    };
    store.upsert_site(region, &hall, "seed").await?;
    report.sites += 1;
    for town in store.region_children(region).await? {
        let site = Site {
            id: 0,
            code: format!("town-{}", town.code),
            name: format!("{}便民服务中心", town.name),
            kind: "town_centre".into(),
            located_in: town.code.clone(),
            address: format!("{}{}", county.name, town.name),
            hours: "工作日 9:00–12:00，14:00–17:00".into(),
        };
        store.upsert_site(region, &site, "seed").await?;
        report.sites += 1;
        for village in store.region_children(&town.code).await? {
            let site = Site {
                id: 0,
                code: format!("village-{}", village.code),
                name: format!("{}便民服务站", village.name),
                kind: "village_station".into(),
                located_in: village.code.clone(),
                address: format!("{}{}{}", county.name, town.name, village.name),
                hours: "工作日 9:00–12:00，14:00–17:00".into(),
            };
            store.upsert_site(region, &site, "seed").await?;
            report.sites += 1;
        }
    }
    for n in 1..=4 {
        let code = format!("zc-{n:02}");
        store
            .upsert_window(region, HALL_SITE, &code, &format!("综合受理窗口{n}号"), None, "seed")
            .await?;
    }
    store
        .upsert_window(
            region,
            HALL_SITE,
            "zq-xzspj",
            "行政审批专区",
            Some(DEMO_DEPARTMENT),
            "seed",
        )
        .await?;
    queue::load_reference(store, region).await?;
    disclosure::load_reference(store, region).await?;
    hotline::load_reference(store, region).await?;

    report.catalog =
        tongban_app::catalog::import_guides(store, search, region, catalog, ImportMode::AllOrNothing, "seed").await?;
    report.bundles = store
        .import_bundles(region, parse_bundles(BUNDLES_CSV), ImportMode::AllOrNothing, "seed")
        .await?;
    seed_reform(store, region, &county.name).await?;
    // The reform seed adds the deciding bodies of delegated powers and the park's and partners' sites.
    report.departments = store.departments(region).await?.len();
    report.sites = store.sites(region).await?.len();
    Ok(report)
}

/// 跨省通办 partner counties of the report (莱州市, 招远市, 韶关市武江区), each with a window that accepts the
/// catalog's 跨省通办 items; the industrial park's service centre (赋权 target); issuer codes of the departments.
const PARTNERS: [(&str, &str); 3] = [
    ("370683", "山东省莱州市"),
    ("370685", "山东省招远市"),
    ("440203", "广东省韶关市武江区"),
];

async fn seed_reform(store: &Store, region: &str, county: &str) -> Result<(), StoreError> {
    // The bodies that decide delegated powers (赋权): the park's administrative committee and each town government.
    let park_committee = format!("{county}工业园管委会");
    store
        .upsert_department(
            region,
            tongban_app::reform::PARK_DEPARTMENT,
            &park_committee,
            "",
            "seed",
        )
        .await?;
    for town in store.region_children(region).await? {
        let government = format!("{}人民政府", town.name);
        store
            .upsert_department(
                region,
                &tongban_app::reform::town_government(&town.code),
                &government,
                "",
                "seed",
            )
            .await?;
    }
    for d in store.departments(region).await? {
        if store.department_credit_code(d.id).await?.is_empty() {
            let code = tongban_app::reform::placeholder_credit_code(region, d.id);
            store.set_department_credit_code(region, &d.code, &code).await?;
        }
    }
    let park = Site {
        id: 0,
        code: "park".into(),
        name: format!("{county}工业园政务服务中心"),
        kind: "park".into(),
        located_in: region.into(),
        address: format!("{county}工业园管委会一楼"),
        hours: "工作日 9:00–12:00，13:30–17:00".into(),
    };
    store.upsert_site(region, &park, "seed").await?;
    let cross_province: Vec<String> = store
        .current_guides(region)
        .await?
        .into_iter()
        .filter(|(_, g)| g.cross_province)
        .map(|(_, g)| g.code)
        .collect();
    for (code, name) in PARTNERS {
        let site = Site {
            id: 0,
            code: format!("partner-{code}"),
            name: format!("{name}政务服务中心跨省通办窗口"),
            kind: "partner_window".into(),
            located_in: code.into(),
            address: format!("{name}政务服务中心"),
            hours: "工作日 9:00–12:00，13:30–17:00".into(),
        };
        store.upsert_site(region, &site, "seed").await?;
        if store.partners(region).await?.iter().all(|p| p.code != code) {
            let partner = tongban_store::Partner {
                code: code.into(),
                name: name.into(),
                agreement: format!("{county}与{name}跨省通办合作协议"),
                items: cross_province.clone(),
            };
            store.save_partner(region, &partner, "seed").await?;
        }
    }
    Ok(())
}

/// Demo accounts named after their role. Returns (username, role label, where they work).
pub async fn demo_users(
    store: &Store,
    region: &str,
    password: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    tongban_app::passwords::check_new(password, &[]).map_err(|e| StoreError::Invalid(e.message))?;
    let hash = tongban_store::hash_password(password)?;
    demo_users_with_hash(store, region, &hash).await
}

/// As `demo_users`, with the password's hash computed once for all accounts.
pub async fn demo_users_with_hash(
    store: &Store,
    region: &str,
    hash: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let username = role.as_str();
        let (department, window) = match role {
            Role::Clerk => (None, Some(COMPREHENSIVE_WINDOW)),
            Role::Reviewer | Role::Head => (Some(DEMO_DEPARTMENT), None),
            _ => (None, None),
        };
        let display = format!("演示{}", role.label());
        let new = NewStaff {
            region_code: region,
            username,
            display_name: &display,
            role,
            department_code: department,
            window_code: window,
            password: "",
        };
        let staff = match store.staff_by_username(username).await? {
            Some((s, _)) => s,
            None => store.add_staff_with_hash(&new, hash, "demo").await?,
        };
        let place = staff
            .window_name
            .clone()
            .or(staff.department_name.clone())
            .unwrap_or_else(|| "全区".to_string());
        out.push((username.to_string(), role.label().to_string(), place));
    }
    Ok(out)
}

/// Department staff for every department, so that every department's cases can be handled in the demo:
/// `reviewer-<dept>` and `head-<dept>` (the demo `reviewer` and `head` cover 区行政审批局).
pub async fn department_staff(store: &Store, region: &str, hash: &str) -> Result<usize, StoreError> {
    let mut n = 0;
    for d in store.departments(region).await? {
        if d.code == DEMO_DEPARTMENT {
            continue;
        }
        for role in [Role::Reviewer, Role::Head] {
            let username = format!("{}-{}", role.as_str(), d.code);
            if store.staff_by_username(&username).await?.is_some() {
                continue;
            }
            let display = format!("{}{}", d.name, role.label());
            let new = NewStaff {
                region_code: region,
                username: &username,
                display_name: &display,
                role,
                department_code: Some(&d.code),
                window_code: None,
                password: "",
            };
            store.add_staff_with_hash(&new, hash, "demo").await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Daily rates of the district's 2023 report: 360,969 cases a year over about 250 working days, 63.4% online;
/// 36,348 at town centres and village stations.
pub const CASES_PER_WORKING_DAY: f64 = 360_969.0 / 250.0;
const ONLINE_SHARE: f64 = 228_980.0 / 360_969.0;
const TOWN_VILLAGE_SHARE: f64 = 36_348.0 / 360_969.0;

/// A small deterministic generator: demo data is the same on every start, without a dependency.
struct Rng(u64);

/// Draws indices in proportion to their weights (cumulative sums, binary search).
struct Weighted(Vec<u64>);

impl Weighted {
    fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut sum = 0u64;
        Weighted(
            weights
                .into_iter()
                .map(|w| {
                    sum += u64::from(w);
                    sum
                })
                .collect(),
        )
    }
    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = rng.next() % total;
        self.0.partition_point(|&c| c <= x)
    }
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str =
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚桂华玉兰萍建文辉力斌宇浩鹏飞云红梅海波婷雪琳晨欣怡佳子涵轩睿博";

fn person(rng: &mut Rng) -> (String, String, String) {
    let s: Vec<char> = SURNAMES.chars().collect();
    let g: Vec<char> = GIVEN.chars().collect();
    let mut name = s[rng.below(s.len())].to_string();
    for _ in 0..1 + rng.below(2) {
        name.push(g[rng.below(g.len())]);
    }
    let birth = chrono::NaiveDate::from_ymd_opt(
        1950 + rng.below(55) as i32,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    )
    .unwrap_or_default();
    let first17 = format!("430603{}{:03}", birth.format("%Y%m%d"), rng.below(1000));
    let check = tongban_core::ids::ResidentId::check_char(&first17).unwrap_or('0');
    let phone = format!(
        "1{}{:09}",
        ["38", "39", "58", "77", "86", "87"][rng.below(6)],
        rng.below(1_000_000_000)
    );
    (name, format!("{first17}{check}"), phone[..11].to_string())
}

/// How far a demo case has got, from the age of the case against its promised limit.
fn target_steps(rng: &mut Rng, age_working_days: i64, promised: i64) -> Vec<&'static str> {
    let full = ["accept", "review", "approve", "issue", "deliver"];
    if rng.chance(0.02) {
        return vec!["refuse"];
    }
    if rng.chance(0.03) {
        return vec!["request_correction"];
    }
    // A few cases stall in review: the ones the supervisor's board is for.
    if rng.chance(0.06) {
        return vec!["accept"];
    }
    let progress = if promised == 0 {
        1.0
    } else {
        (age_working_days as f64 + rng.below(3) as f64) / promised as f64
    };
    let steps = ((progress * 5.0).floor() as usize + usize::from(age_working_days > 0)).clamp(0, 5);
    let mut out: Vec<&'static str> = full[..steps].to_vec();
    if steps == 2 && rng.chance(0.1) {
        out.push("suspend");
    }
    out
}

/// Seeds `days` working days of activity ending today at the report's daily rates, through the same use cases the
/// windows use (so numbers, deadlines, events and notifications are real): cases across departments, channels and
/// states, some near or past their deadline. `scale` (0–1] thins the rate for quick starts.
pub async fn demo_activity(state: &tongban_app::App, region: &str, days: u32, scale: f64) -> anyhow::Result<usize> {
    use tongban_app::cases::{self, act_at, file_at, parse_applicant, FiledBy, Filing};
    use tongban_store::ApplicantSession;
    let store = &state.store;
    let calendar = state.calendar();
    let session = |username: String| async move {
        let (staff, _) = store
            .staff_by_username(&username)
            .await?
            .ok_or_else(|| StoreError::NotFound(username.clone()))?;
        let (_, s) = store
            .create_session(&staff, tongban_store::SessionKind::Api, chrono::Duration::hours(1))
            .await?;
        Ok::<_, StoreError>(s)
    };
    let clerk = session("clerk".into()).await?;
    let mut deciders = std::collections::HashMap::new();
    for d in store.departments(region).await? {
        let (r, h) = if d.code == DEMO_DEPARTMENT {
            ("reviewer".to_string(), "head".to_string())
        } else if d.item_count == 0 {
            continue;
        } else {
            (format!("reviewer-{}", d.code), format!("head-{}", d.code))
        };
        deciders.insert(d.code.clone(), (session(r).await?, session(h).await?));
    }
    let guides = store.current_guides(region).await?;
    let volumes = item_volumes();
    let pick = Weighted::new(guides.iter().map(|(_, g)| volumes.get(&g.code).copied().unwrap_or(1)));
    let all_sites = store.sites(region).await?;
    let of_kind = |kind: &str| -> Vec<String> {
        all_sites
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.code.clone())
            .collect()
    };
    let (towns, villages) = (of_kind("town_centre"), of_kind("village_station"));
    let today = tongban_app::time::today();
    let mut day = today;
    let mut working_days = Vec::new();
    while working_days.len() < days as usize {
        if calendar.is_working_day(day) {
            working_days.push(day);
        }
        day -= chrono::Duration::days(1);
    }
    working_days.reverse();
    let mut rng = Rng(0x5eed_0000_2023_0603);
    let per_day = (CASES_PER_WORKING_DAY * scale).round().max(1.0) as usize;
    // Plan every case first (one deterministic random sequence), then run the plans on a few concurrent workers:
    // writers queue on the database, but reading, checking and rendering overlap.
    let mut plans = Vec::new();
    for i in 0..working_days.len() {
        let age = (working_days.len() - 1 - i) as i64;
        for n in 0..per_day {
            let (dept, g) = &guides[pick.draw(&mut rng)];
            let (name, id, phone) = person(&mut rng);
            let Ok(applicant) = parse_applicant("person", &name, Some(&id), None, &phone) else {
                continue;
            };
            let mut channel = if rng.chance(ONLINE_SHARE) {
                "online"
            } else if rng.chance(TOWN_VILLAGE_SHARE / (1.0 - ONLINE_SHARE)) {
                if rng.chance(0.6) {
                    "town"
                } else {
                    "village"
                }
            } else {
                "window"
            };
            // Town centres and village stations take only the items of their level and the 全域通办 ones.
            let level = if channel == "town" { Level::Town } else { Level::Village };
            if matches!(channel, "town" | "village") && !(g.all_region || g.levels.contains(&level)) {
                channel = "window";
            }
            let site = match channel {
                "online" => String::new(),
                "window" => HALL_SITE.to_string(),
                "town" => towns[rng.below(towns.len())].clone(),
                _ => villages[rng.below(villages.len())].clone(),
            };
            let minute = n * 480 / per_day;
            // Online, the applicant fills the item's form; at a window the clerk keeps the paper one.
            let form = if channel == "online" {
                let known = cases::Known {
                    name: applicant.name.clone(),
                    phone: applicant.phone.clone(),
                    ..Default::default()
                };
                let mut answers = cases::prefilled(&g.application_form(), &known);
                let address = format!("{}幸福路{}号", state.config.region_name, n + 1);
                answers.insert("address".into(), serde_json::json!(address));
                answers.insert("purpose".into(), serde_json::json!(format!("申请办理{}", g.name)));
                serde_json::Value::Object(answers)
            } else {
                serde_json::json!({})
            };
            let filing = Filing {
                item_code: g.code.clone(),
                applicant,
                channel: channel.to_string(),
                site_code: site,
                agent: String::new(),
                form,
                materials: g.materials.iter().map(|m| m.name.clone()).collect(),
                idempotency_key: None,
                request_hash: String::new(),
                delivery: Default::default(),
            };
            let steps = target_steps(&mut rng, age, i64::from(g.promised_limit_days));
            let span = i64::from(g.promised_limit_days).min(age) as usize;
            plans.push(Plan {
                day: i,
                minute,
                span,
                department: dept.clone(),
                filing,
                steps,
            });
        }
    }
    let workers = 4;
    let mut queues: Vec<Vec<Plan>> = (0..workers).map(|_| Vec::new()).collect();
    for (k, plan) in plans.into_iter().enumerate() {
        queues[k % workers].push(plan);
    }
    let shared = std::sync::Arc::new((state.clone(), region.to_string(), clerk, deciders, working_days));
    let mut tasks = tokio::task::JoinSet::new();
    for queue in queues {
        let shared = shared.clone();
        tasks.spawn(async move {
            let (state, region, clerk, deciders, working_days) = &*shared;
            let mut filed = 0usize;
            for plan in queue {
                let day = working_days[plan.day];
                let at = format!(
                    "{}T{:02}:{:02}:00Z",
                    day.format("%Y-%m-%d"),
                    1 + (plan.minute % 480) / 60,
                    plan.minute % 60
                );
                // History: an online applicant signed in as themselves, which the replay takes as given.
                let signed_in = ApplicantSession {
                    region_code: region.clone(),
                    identifier: plan.filing.applicant.identifier.clone(),
                    phone: plan.filing.applicant.phone.clone(),
                    name: plan.filing.applicant.name.clone(),
                    csrf_token: String::new(),
                    session_id: String::new(),
                    created_at: at.clone(),
                    expires_at: at.clone(),
                    person_identifier: plan.filing.applicant.identifier.clone(),
                    acting_as: String::new(),
                };
                let by = if plan.filing.channel == "online" {
                    FiledBy::Applicant(&signed_in)
                } else {
                    FiledBy::Staff(clerk)
                };
                let (mut case, _) = file_at(state, region, plan.filing, by, day, Some(at))
                    .await
                    .map_err(|e| anyhow::anyhow!(e.message))?;
                filed += 1;
                let Some((reviewer, head)) = deciders.get(&plan.department) else {
                    continue;
                };
                let mut last = (day, plan.minute % 480);
                for (k, action) in plan.steps.into_iter().enumerate() {
                    let (who, comment) = match action {
                        "review" => (reviewer, "材料齐全，符合法定条件，建议准予许可"),
                        "approve" => (head, "同意"),
                        "issue" => (reviewer, ""),
                        "suspend" => (reviewer, "组织现场核查"),
                        "refuse" => (clerk, "不属于本事项受理范围"),
                        "request_correction" => (clerk, "请补正：相关证明材料（原件）"),
                        _ => (clerk, ""),
                    };
                    // Steps spread over the promised time, never past the case's age: 即办件 are done the same day.
                    let step_day = working_days[(plan.day + k * plan.span / 5).min(working_days.len() - 1)];
                    // Office hours (09:00–17:00 Beijing, 01:00–09:00 UTC), and never before the step before it.
                    let minute = if step_day == last.0 {
                        (last.1 + 15).min(479)
                    } else {
                        (plan.minute + 37 * k) % 480
                    };
                    last = (step_day, minute);
                    let stamp = format!(
                        "{}T{:02}:{:02}:00Z",
                        step_day.format("%Y-%m-%d"),
                        1 + minute / 60,
                        minute % 60
                    );
                    match act_at(
                        state,
                        who,
                        &case.number,
                        action,
                        case.version,
                        comment,
                        &tongban_app::cases::ActOptions::default(),
                        step_day,
                        Some(stamp),
                    )
                    .await
                    {
                        Ok(c) => case = c,
                        Err(e) => {
                            tracing::debug!(case = %case.number, action, error = %e.message, "demo step skipped");
                            break;
                        }
                    }
                }
            }
            Ok::<usize, anyhow::Error>(filed)
        });
    }
    let mut filed = 0;
    while let Some(done) = tasks.join_next().await {
        filed += done??;
    }
    // The seeded history's notices were "sent" back then: the invented applicants are not messaged now.
    store.settle_notifications(region).await?;
    Ok(filed)
}

/// One demo case: when it is filed, what it is, and the steps it will have gone through by today.
struct Plan {
    day: usize,
    minute: usize,
    span: usize,
    department: String,
    filing: tongban_app::cases::Filing,
    steps: Vec<&'static str>,
}

/// What `demo_reform` seeded.
pub struct ReformDemo {
    pub delegations: usize,
    pub ratings: usize,
    pub bundles: usize,
}

/// Approval-reform activity on top of the demo cases, through the same use cases the pages call: 新生儿户口登记
/// delegated to every town (so the newborn bundle can be filed at a town centre) and a few enterprise items to the
/// park; ratings of most finished cases, mostly good, a few bad ones with their rectification tasks; one newborn
/// bundle filed at a town centre and accepted.
pub async fn demo_reform(state: &tongban_app::App, region: &str) -> anyhow::Result<ReformDemo> {
    use tongban_app::reform::{self, Rater};
    use tongban_app::reform::{grant_delegation, DelegationRequest};
    let store = &state.store;
    let session = |username: &'static str| async move {
        let (staff, _) = store
            .staff_by_username(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(username.to_string()))?;
        let (_, s) = store
            .create_session(&staff, tongban_store::SessionKind::Api, chrono::Duration::hours(1))
            .await?;
        Ok::<_, StoreError>(s)
    };
    let admin = session("admin").await?;
    let clerk = session("clerk").await?;
    let mut out = ReformDemo {
        delegations: 0,
        ratings: 0,
        bundles: 0,
    };
    if !store.delegations(region).await?.is_empty() {
        return Ok(out);
    }
    let mut grants: Vec<(String, &str, String)> = store
        .region_children(region)
        .await?
        .into_iter()
        .map(|t| ("430603-QR-0054".to_string(), "town", t.code))
        .collect();
    for (_, g) in store
        .current_guides(region)
        .await?
        .into_iter()
        .filter(|(d, g)| {
            d == DEMO_DEPARTMENT && g.name.contains("企业") && !g.all_region && g.levels == vec![Level::County]
        })
        .take(8)
    {
        grants.push((g.code, "park", "park".to_string()));
    }
    for (item, kind, target) in grants {
        let req = DelegationRequest {
            item_code: item,
            target_kind: kind.to_string(),
            target_code: target,
            delegated_by: "district".into(),
            from_date: "2023-01-01".into(),
            document: "云政发〔2023〕5号".into(),
        };
        if grant_delegation(state, &admin, &req).await.is_ok() {
            out.delegations += 1;
        }
    }
    let mut rng = Rng(0x5eed_0000_2023_0604);
    let finished = store
        .cases(
            region,
            &tongban_store::CaseFilter {
                state: Some("closed".into()),
                ..Default::default()
            },
            1,
            500,
        )
        .await?;
    for c in finished.data {
        if !rng.chance(0.6) {
            continue;
        }
        // The report's satisfaction is high: most ratings are 1–2, about one in a hundred is bad.
        let level = if rng.chance(0.01) {
            4 + rng.below(2) as i64
        } else {
            1 + rng.below(2) as i64
        };
        let comment = if level >= 4 {
            "等候时间较长，希望增加窗口"
        } else {
            ""
        };
        if reform::rate_case(state, region, &c.number, level, comment, Rater::Window(&clerk))
            .await
            .is_ok()
        {
            out.ratings += 1;
        }
    }
    let (guide, _) = reform::bundle_guide(state, region, "YJS-009")
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let (name, id, phone) = person(&mut rng);
    let applicant = tongban_app::cases::parse_applicant("person", &name, Some(&id), None, &phone)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let filing = reform::BundleFiling {
        bundle_code: guide.code.clone(),
        applicant,
        channel: "town".into(),
        site_code: "town-430603102".into(),
        form: serde_json::json!({"申请事项说明": "新生儿出生登记"}),
        materials: guide.materials.iter().map(|m| m.name.clone()).collect(),
        delivery: "邮寄送达".into(),
    };
    let (b, _) = reform::file_bundle(state, region, filing, Some(&clerk))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    reform::accept_bundle(state, &clerk, &b.number)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    out.bundles += 1;
    // As with the seeded cases: the invented applicants of the bundle and the ratings are not messaged.
    store.settle_notifications(region).await?;
    Ok(out)
}
