//! Reference data shipped in the repository (data/, with provenance in data/README.md) and the demo district:
//! the region tree, departments, service sites and windows, the catalog and bundles, and one user per role.

use tongban_core::catalog::parse_bundles;
use tongban_core::region::parse_regions_csv;
use tongban_core::role::Role;
use tongban_search::SearchIndex;
use tongban_store::{ImportMode, ImportReport, NewStaff, Site, Store, StoreError};

pub const REGIONS_CSV: &str = include_str!("../../../data/regions.csv");
pub const DEPARTMENTS_CSV: &str = include_str!("../../../data/departments.csv");
pub const CATALOG_CSV: &[u8] = include_bytes!("../../../data/catalog.csv");
pub const BUNDLES_CSV: &[u8] = include_bytes!("../../../data/bundles.csv");

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

    report.catalog =
        crate::catalog_import(store, search, region, CATALOG_CSV, ImportMode::AllOrNothing, "seed").await?;
    report.bundles = store
        .import_bundles(region, parse_bundles(BUNDLES_CSV), ImportMode::AllOrNothing, "seed")
        .await?;
    Ok(report)
}

/// Demo accounts named after their role. Returns (username, role label, where they work).
pub async fn demo_users(
    store: &Store,
    region: &str,
    password: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    if password.chars().count() < 8 {
        return Err(StoreError::Invalid("演示密码至少8个字符".into()));
    }
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
