//! 政务公开 seed: the standard catalog of basic-level disclosure (data/disclosure/catalog.csv), and for the demo a few
//! published items per catalog entry — drafted by the department's reviewer, published by the disclosure officer —
//! and a handful of requests for disclosure in different states, all through the same use cases the pages use.

use chrono::NaiveDate;
use tongban_app::disclosure::{self as d, DraftInput, ItemAction, RequestAction, RequestInput};
use tongban_store::{CatalogEntry, Store, StoreError};

pub const CATALOG_CSV: &str = include_str!("../../../../data/disclosure/catalog.csv");

/// The shipped catalog entries with the code of the department that mainly publishes under each.
pub fn catalog() -> Result<Vec<(CatalogEntry, String)>, StoreError> {
    let mut reader = csv::Reader::from_reader(CATALOG_CSV.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| StoreError::Invalid(format!("data/disclosure/catalog.csv：{e}")))?;
        let f = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let entry = CatalogEntry {
            code: f(0),
            level1: f(1),
            level2: f(2),
            content: f(3),
            basis: f(4),
            time_limit: f(5),
            subject: f(6),
            channels: f(7),
            object: f(8),
            method: f(9),
            level: f(10),
            position: i as i64 + 1,
        };
        d::validate_entry(&entry)
            .map_err(|e| StoreError::Invalid(format!("data/disclosure/catalog.csv第{}行：{}", i + 2, e.message)))?;
        out.push((entry, f(11)));
    }
    Ok(out)
}

/// Loads the catalog; entries already present (perhaps edited by an administrator) are kept.
pub async fn load_reference(store: &Store, region: &str) -> Result<usize, StoreError> {
    let entries: Vec<CatalogEntry> = catalog()?.into_iter().map(|(e, _)| e).collect();
    store
        .save_disclosure_catalog(region, &entries, true, "seed", &tongban_store::now_text())
        .await
}

async fn session(store: &Store, username: &str) -> anyhow::Result<tongban_store::Session> {
    let (staff, _) = store
        .staff_by_username(username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("用户“{username}”不存在"))?;
    let (_, s) = store
        .create_session(&staff, tongban_store::SessionKind::Api, chrono::Duration::hours(1))
        .await?;
    Ok(s)
}

/// Items per catalog entry in the demo.
const ITEMS_PER_ENTRY: usize = 3;

/// Demo publications and requests. Returns (items published, requests received).
pub async fn demo(state: &tongban_app::App, region: &str) -> anyhow::Result<(usize, usize)> {
    let store = &state.store;
    let discloser = session(store, "discloser").await?;
    let today = tongban_app::time::today();
    let calendar = state.calendar();
    // The last 60 calendar days' working days, newest last.
    let days: Vec<NaiveDate> = (0..60)
        .rev()
        .map(|k| today - chrono::Duration::days(k))
        .filter(|day| calendar.is_working_day(*day))
        .collect();
    let mut published = 0;
    for (k, (entry, department)) in catalog()?.into_iter().enumerate() {
        let author = if department == crate::seed::DEMO_DEPARTMENT {
            "reviewer".to_string()
        } else {
            format!("reviewer-{department}")
        };
        let Ok(author) = session(store, &author).await else {
            continue;
        };
        let Some(dept) = store.department(region, &department).await? else {
            continue;
        };
        for n in 0..ITEMS_PER_ENTRY {
            let day = days[(k * 7 + n * 13) % days.len()];
            let title = format!("{}{}（{}）", dept.name, entry.level2, demo_title(n, day));
            let input = DraftInput {
                department: Some(department.clone()),
                catalog_code: entry.code.clone(),
                body: format!(
                    "根据{}，现将{}公开如下。\n公开内容：{}。\n联系电话：{}。",
                    entry.basis, entry.level2, entry.content, dept.phone
                ),
                title,
                doc_kind: if entry.code == "GK-02" {
                    "normative".into()
                } else {
                    String::new()
                },
                doc_number: if entry.code == "GK-02" {
                    format!("云溪{}规〔{}〕{}号", &department, chrono::Datelike::year(&day), n + 1)
                } else {
                    String::new()
                },
            };
            let at = format!("{}T02:{:02}:00Z", day.format("%Y-%m-%d"), n * 10);
            let item = d::draft_item(state, &author, input, &at)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            d::act_on_item(state, &discloser, item.id, ItemAction::Publish, &at, day)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            published += 1;
        }
    }
    // One draft waiting for the officer's approval, so that the workbench shows the second pair of eyes at work.
    if let Ok(author) = session(store, "reviewer-mzj").await {
        let input = DraftInput {
            department: None,
            catalog_code: "GK-13".into(),
            title: "区民政局关于调整城乡最低生活保障标准的公告（征求意见稿）".into(),
            body: "经区人民政府同意，拟自下月起提高城乡最低生活保障标准。".into(),
            doc_kind: String::new(),
            doc_number: String::new(),
        };
        d::draft_item(state, &author, input, &tongban_store::now_text())
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
    }
    let requests = demo_requests(state, region, &discloser, &days).await?;
    Ok((published, requests))
}

fn demo_title(n: usize, day: NaiveDate) -> String {
    match n {
        0 => format!(
            "{}年第{}期",
            chrono::Datelike::year(&day),
            chrono::Datelike::month(&day)
        ),
        1 => "办理结果公示".into(),
        _ => "政策解读".into(),
    }
}

/// (department, kind, org kind, name, the identifier's first 17 characters (the check character is computed), asked, delivery, age in working days, steps)
type DemoRequest = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    &'static [&'static str],
);

const REQUESTS: [DemoRequest; 6] = [
    (
        "zrzyj",
        "person",
        "",
        "李建国",
        "43060319850712001",
        "云溪镇八一村集体土地征收补偿安置方案及批准文件",
        "paper",
        25,
        &["reply_disclose"],
    ),
    (
        "mzj",
        "person",
        "",
        "王秀兰",
        "43060319620304002",
        "本人所在社区2026年最低生活保障对象审核审批程序说明",
        "email",
        19,
        &[],
    ),
    (
        "zjj",
        "organisation",
        "legal",
        "湖南云溪律师事务所",
        "91430603MA4L0X0X0",
        "云溪区某小区国有土地上房屋征收决定及补偿方案",
        "email",
        12,
        &["consult"],
    ),
    (
        "fgj",
        "organisation",
        "commercial",
        "岳阳云溪化工有限公司",
        "91430603MA4L0X0X0",
        "园区2026年重大建设项目审批核准结果",
        "pickup",
        8,
        &["request_correction"],
    ),
    (
        "sthjj",
        "person",
        "",
        "张伟",
        "43060319900101003",
        "云溪区2026年第三季度环境空气质量状况",
        "email",
        3,
        &["reply_public"],
    ),
    (
        "zfb",
        "person",
        "",
        "赵敏",
        "43060319881122004",
        "区政府2026年第5次常务会议纪要",
        "email",
        1,
        &[],
    ),
];

async fn demo_requests(
    state: &tongban_app::App,
    region: &str,
    discloser: &tongban_store::Session,
    days: &[NaiveDate],
) -> anyhow::Result<usize> {
    let mut n = 0;
    for (dept, kind, org, name, id, asked, delivery, age, steps) in REQUESTS {
        let received = days[days.len().saturating_sub(age + 1)];
        let person = kind == "person";
        let check = if person {
            tongban_core::ids::ResidentId::check_char(id)
        } else {
            tongban_core::ids::CreditCode::check_char(id)
        };
        let Some(check) = check else { continue };
        let id = format!("{id}{check}");
        let input = RequestInput {
            department: dept.into(),
            applicant_kind: kind.into(),
            org_kind: (!person).then(|| org.to_string()),
            name: name.into(),
            id_number: person.then(|| id.clone()),
            credit_code: (!person).then(|| id.clone()),
            phone: "13907301234".into(),
            email: (delivery == "email").then(|| "applicant@example.cn".to_string()),
            address: (delivery == "paper").then(|| "岳阳市云溪区云溪镇八一村".to_string()),
            description: asked.into(),
            purpose: None,
            delivery: delivery.into(),
            channel: None,
            received_on: None,
        };
        let at = format!("{}T01:30:00Z", received.format("%Y-%m-%d"));
        let r = match d::file_request(state, region, input, None, received, &at, None).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e.message, "demo disclosure request skipped");
                continue;
            }
        };
        n += 1;
        let step_day = days[days.len().saturating_sub(age / 2 + 1)];
        for step in steps {
            let action = match *step {
                "reply_disclose" => RequestAction::Reply {
                    kind: "disclose",
                    ground: "disclosed",
                    text: "现将补偿安置方案及批准文件复印件随本告知书邮寄给您。",
                    refer_to: "",
                },
                "reply_public" => RequestAction::Reply {
                    kind: "disclose",
                    ground: "already_public",
                    text: "该信息已在区政府网站“生态环境”栏目主动公开，可在“政务公开”页面检索获取。",
                    refer_to: "",
                },
                "consult" => RequestAction::Consult {
                    third_party: "被征收房屋所有权人",
                },
                _ => RequestAction::RequestCorrection {
                    note: "请写明所需项目的名称或文号",
                },
            };
            let day = if *step == "request_correction" {
                received
            } else {
                step_day
            };
            let at = format!("{}T03:00:00Z", day.format("%Y-%m-%d"));
            if let Err(e) = d::act_on_request(state, discloser, &r.number, action, day, &at).await {
                tracing::warn!(error = %e.message, "demo disclosure step skipped");
            }
        }
    }
    Ok(n)
}
