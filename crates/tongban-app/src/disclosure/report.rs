//! The annual report (政府信息公开工作年度报告) in the format of 国办公开办函〔2021〕30号, computed from the records.

use super::*;
use crate::App;
use crate::Error;
use serde::Serialize;
use tongban_core::role::Role;
use tongban_store::{DisclosureRequest, Session};

/// A label cell of the request table; `None` in a row means the cell above (or to the left) covers it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelCell {
    pub text: String,
    pub rowspan: u32,
    pub colspan: u32,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestRow {
    /// Stable key: new, carried_in, disclose, partial, withhold.state_secret …, total, carried_out
    pub key: String,
    /// The label cells of the three label columns that this row starts
    pub labels: Vec<Option<LabelCell>>,
    /// 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计
    pub cells: Vec<i64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocRow {
    pub label: String,
    /// 本年制发件数
    pub issued: i64,
    /// 本年废止件数
    pub repealed: i64,
    /// 现行有效件数
    pub in_force: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountRow {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedRow {
    pub catalog_code: String,
    pub level1: String,
    pub level2: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnnualReport {
    pub year: i32,
    /// The department's code, or None for the district
    pub department: Option<String>,
    /// 云溪区XX局 or 云溪区
    pub organ: String,
    pub title: String,
    /// 一、总体情况
    pub overview: Vec<String>,
    /// 二、主动公开政府信息情况: 第二十条第（一）项
    pub documents: Vec<DocRow>,
    /// 第二十条第（五）（六）项: decisions by item type
    pub decisions: Vec<CountRow>,
    /// 第二十条第（八）项: 行政事业性收费 (万元)
    pub fees_wan_yuan: f64,
    /// Items published in the year by catalog entry (the platform's own table)
    pub published: Vec<PublishedRow>,
    pub published_total: i64,
    /// 三、收到和处理政府信息公开申请情况
    pub columns: Vec<String>,
    pub requests: Vec<RequestRow>,
    /// new + carried-in = handled + carried-out, in every column
    pub balanced: bool,
    /// 四、政府信息公开行政复议、行政诉讼情况: 15 cells (复议 5, 直接起诉 5, 复议后起诉 5: 维持/纠正/其他/尚未审结/总计)
    pub appeals: Vec<i64>,
    /// 五、存在的主要问题及改进情况
    pub problems: Vec<String>,
    /// 六、其他需要报告的事项
    pub other_matters: Vec<String>,
}

/// The result rows of table 3 in order: (key, group label or "" for a single row, label).
pub(super) const RESULT_ROWS: [(&str, &str, &str); 22] = [
    ("disclose", "", "（一）予以公开"),
    (
        "partial",
        "",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    ),
    ("withhold.state_secret", "（三）不予公开", "1.属于国家秘密"),
    ("withhold.law_forbids", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("withhold.three_safeties", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("withhold.third_party", "（三）不予公开", "4.保护第三方合法权益"),
    ("withhold.internal_affairs", "（三）不予公开", "5.属于三类内部事务信息"),
    ("withhold.process_info", "（三）不予公开", "6.属于四类过程性信息"),
    ("withhold.enforcement_file", "（三）不予公开", "7.属于行政执法案卷"),
    ("withhold.query_matter", "（三）不予公开", "8.属于行政查询事项"),
    ("unavailable.not_held", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    (
        "unavailable.needs_creation",
        "（四）无法提供",
        "2.没有现成信息需要另行制作",
    ),
    ("unavailable.unclear", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("not_processed.petition", "（五）不予处理", "1.信访举报投诉类申请"),
    ("not_processed.repeated", "（五）不予处理", "2.重复申请"),
    ("not_processed.publication", "（五）不予处理", "3.要求提供公开出版物"),
    (
        "not_processed.mass_repeated",
        "（五）不予处理",
        "4.无正当理由大量反复申请",
    ),
    (
        "not_processed.confirm",
        "（五）不予处理",
        "5.要求行政机关确认或重新出具已获取信息",
    ),
    (
        "other.correction_overdue",
        "（六）其他处理",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    ),
    (
        "other.fee_overdue",
        "（六）其他处理",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    ),
    ("other.other", "（六）其他处理", "3.其他"),
    ("total", "", "（七）总计"),
];

fn cell(text: &str, rowspan: u32, colspan: u32) -> Option<LabelCell> {
    Some(LabelCell {
        text: text.into(),
        rowspan,
        colspan,
    })
}

fn column_of(r: &DisclosureRequest) -> usize {
    if r.applicant_kind == "person" {
        return 0;
    }
    APPLICANT_COLUMNS
        .iter()
        .position(|(c, _)| *c == r.org_kind)
        .filter(|&i| i > 0)
        .unwrap_or(5)
}

/// The request table of a year from the requests received up to its end and not replied before its start.
/// Counting rule: a request is new in the year it was received, handled in the year it was replied, carried over
/// at the end of every year it was still open.
pub fn request_table(requests: &[DisclosureRequest], year: i32) -> (Vec<RequestRow>, bool) {
    let (first, last) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let mut counts: std::collections::HashMap<&str, [i64; 7]> = std::collections::HashMap::new();
    let mut add = |key: &'static str, col: usize| {
        let c = counts.entry(key).or_insert([0; 7]);
        c[col] += 1;
        c[6] += 1;
    };
    for r in requests {
        if r.received_on > last || r.replied_on.as_ref().is_some_and(|d| *d < first) {
            continue;
        }
        let col = column_of(r);
        if r.received_on >= first {
            add("new", col);
        } else {
            add("carried_in", col);
        }
        match (&r.replied_on, &r.reply_kind, &r.reply_ground) {
            (Some(d), Some(k), Some(gr)) if *d <= last => {
                let row = ground(k, gr).map(|g| g.row).unwrap_or("other.other");
                let key = RESULT_ROWS
                    .iter()
                    .find(|(k, _, _)| *k == row)
                    .map(|(k, _, _)| *k)
                    .unwrap_or("other.other");
                add(key, col);
                add("total", col);
            }
            _ => add("carried_out", col),
        }
    }
    let get = |k: &str| counts.get(k).copied().unwrap_or([0; 7]).to_vec();
    let mut rows = vec![
        RequestRow {
            key: "new".into(),
            labels: vec![cell("一、本年新收政府信息公开申请数量", 1, 3), None, None],
            cells: get("new"),
        },
        RequestRow {
            key: "carried_in".into(),
            labels: vec![cell("二、上年结转政府信息公开申请数量", 1, 3), None, None],
            cells: get("carried_in"),
        },
    ];
    let mut seen_groups: Vec<&str> = Vec::new();
    for (i, (key, group, label)) in RESULT_ROWS.iter().enumerate() {
        let section = (i == 0)
            .then(|| cell("三、本年度办理结果", RESULT_ROWS.len() as u32, 1))
            .flatten();
        let (g, l) = if group.is_empty() {
            (cell(label, 1, 2), None)
        } else if seen_groups.contains(group) {
            (None, cell(label, 1, 1))
        } else {
            seen_groups.push(group);
            let span = RESULT_ROWS.iter().filter(|(_, g2, _)| g2 == group).count() as u32;
            (cell(group, span, 1), cell(label, 1, 1))
        };
        rows.push(RequestRow {
            key: (*key).into(),
            labels: vec![section, g, l],
            cells: get(key),
        });
    }
    rows.push(RequestRow {
        key: "carried_out".into(),
        labels: vec![cell("四、结转下年度继续办理", 1, 3), None, None],
        cells: get("carried_out"),
    });
    let (n, c, t, o) = (get("new"), get("carried_in"), get("total"), get("carried_out"));
    let balanced = (0..7).all(|i| n[i] + c[i] == t[i] + o[i]);
    (rows, balanced)
}

/// The annual report of a department (`department` Some) or of the district, for `year`.
pub async fn annual_report(
    app: &App,
    region: &str,
    department: Option<&str>,
    year: i32,
) -> Result<AnnualReport, Error> {
    if !(2000..=2100).contains(&year) {
        return Err(Error::bad_request("invalid_year", "年度应在2000到2100之间"));
    }
    let county = app.store.region(region).await?.map(|r| r.name).unwrap_or_default();
    let organ = match department {
        Some(d) => {
            let dept = app
                .store
                .department(region, d)
                .await?
                .ok_or_else(|| Error::not_found(format!("部门“{d}”")))?;
            format!("{county}{}", dept.name.trim_start_matches('区'))
        }
        None => format!("{county}人民政府"),
    };
    let (first, last) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let in_scope = |code: &str| department.is_none_or(|d| d == code);

    let docs = app.store.disclosure_documents(region).await?;
    let mut documents = Vec::new();
    for (kind, label) in [("regulation", "规章"), ("normative", "行政规范性文件")] {
        let mine: Vec<_> = docs
            .iter()
            .filter(|i| i.doc_kind == kind && in_scope(&i.department_code))
            .collect();
        let on = |d: &Option<String>| d.as_ref().is_some_and(|x| *x >= first && *x <= last);
        documents.push(DocRow {
            label: label.into(),
            issued: mine.iter().filter(|i| on(&i.published_on)).count() as i64,
            repealed: mine.iter().filter(|i| on(&i.repealed_on)).count() as i64,
            in_force: mine
                .iter()
                .filter(|i| {
                    i.published_on.as_ref().is_some_and(|p| *p <= last)
                        && i.repealed_on.as_ref().is_none_or(|r| *r > last)
                })
                .count() as i64,
        });
    }
    let decided = app.store.decisions_by_type(region, &first, &last).await?;
    let decisions = [("01", "行政许可"), ("02", "行政处罚"), ("03", "行政强制")]
        .iter()
        .map(|(code, label)| CountRow {
            label: (*label).into(),
            count: decided
                .iter()
                .filter(|(d, t, _)| t == code && in_scope(d))
                .map(|(_, _, n)| n)
                .sum(),
        })
        .collect();

    let counts = app.store.published_counts(region, &first, &last).await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    let mut published: Vec<PublishedRow> = catalog
        .iter()
        .map(|c| PublishedRow {
            catalog_code: c.code.clone(),
            level1: c.level1.clone(),
            level2: c.level2.clone(),
            count: counts
                .iter()
                .filter(|x| x.catalog_code == c.code && in_scope(&x.department_code))
                .map(|x| x.count)
                .sum(),
        })
        .collect();
    published.retain(|p| p.count > 0);
    let published_total = published.iter().map(|p| p.count).sum();

    let requests = app
        .store
        .disclosure_requests(region, department, false, Some((&first, &last)))
        .await?;
    let (rows, balanced) = request_table(&requests, year);
    let row = |k: &str| rows.iter().find(|r| r.key == k).map(|r| r.cells[6]).unwrap_or(0);

    let mut appeals = vec![0i64; 15];
    for a in app.store.disclosure_appeals(region).await? {
        if !in_scope(&a.department_code) || a.filed_on < first || a.filed_on > last {
            continue;
        }
        let base = match a.kind.as_str() {
            "reconsideration" => 0,
            "litigation" => 5,
            _ => 10,
        };
        let decided_in_year = a.decided_on.as_ref().is_some_and(|d| *d <= last);
        let offset = match (decided_in_year, a.result.as_deref()) {
            (true, Some("upheld")) => 0,
            (true, Some("corrected")) => 1,
            (true, Some(_)) => 2,
            _ => 3,
        };
        appeals[base + offset] += 1;
        appeals[base + 4] += 1;
    }

    let overview = vec![
        format!(
            "{year}年，{organ}认真贯彻《中华人民共和国政府信息公开条例》，坚持“谁发布、谁负责”，每条信息由起草人起草、另一名审核人审核后发布。"
        ),
        format!(
            "主动公开方面，全年按照基层政务公开标准目录主动公开政府信息{published_total}条，制发行政规范性文件{}件。",
            documents.get(1).map(|d| d.issued).unwrap_or(0)
        ),
        format!(
            "依申请公开方面，全年新收政府信息公开申请{}件，上年结转{}件，办结{}件，结转下年度{}件。",
            row("new"),
            row("carried_in"),
            row("total"),
            row("carried_out")
        ),
        format!(
            "全年因政府信息公开被申请行政复议{}件、提起行政诉讼{}件。",
            appeals[4],
            appeals[9] + appeals[14]
        ),
    ];
    let paragraphs = |t: &str| -> Vec<String> {
        t.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    let (problems, other_matters) = match app
        .store
        .report_texts(region, department.unwrap_or(""), i64::from(year))
        .await?
    {
        Some((p, o)) => (paragraphs(&p), paragraphs(&o)),
        // Until someone writes them, the sections say what the platform itself knows.
        None => (
            vec!["（尚未填写。）部分部门信息发布的及时性有待提高；本平台按目录公开时限提示起草人，并按部门统计发布数量。".into()],
            vec![
                "本年度未收取信息处理费。".into(),
                "本报告的表格由平台根据政府信息公开工作数据生成，数据统计期限为本年1月1日至12月31日。".into(),
            ],
        ),
    };
    Ok(AnnualReport {
        year,
        department: department.map(String::from),
        title: format!("{organ}{year}年政府信息公开工作年度报告"),
        organ,
        overview,
        documents,
        decisions,
        fees_wan_yuan: 0.0,
        published,
        published_total,
        columns: APPLICANT_COLUMNS
            .iter()
            .map(|(_, l)| (*l).to_string())
            .chain(std::iter::once("总计".to_string()))
            .collect(),
        requests: rows,
        balanced,
        appeals,
        problems,
        other_matters,
    })
}

/// Saves the written sections (五、六) of a report: disclosure officers and administrators for any scope, a
/// department's head for their department's.
pub async fn save_report_texts(
    app: &App,
    s: &Session,
    department: Option<&str>,
    year: i32,
    problems: &str,
    other_matters: &str,
) -> Result<(), Error> {
    let allowed = match department {
        Some(d) => crate::policy::may_approve_disclosure(s, d),
        None => matches!(s.staff.role, Role::Discloser | Role::Admin),
    };
    if !allowed {
        return Err(Error::forbidden("只有政务公开专员或本部门负责人可以填写年度报告"));
    }
    if !(2000..=2100).contains(&year) {
        return Err(Error::bad_request("invalid_year", "年度应在2000到2100之间"));
    }
    if let Some(d) = department {
        if app.store.department(&s.staff.region_code, d).await?.is_none() {
            return Err(Error::not_found(format!("部门“{d}”")));
        }
    }
    let problems = text_field(problems, "存在的主要问题及改进情况", 10_000)?;
    let other = text_field(other_matters, "其他需要报告的事项", 10_000)?;
    Ok(app
        .store
        .save_report_texts(
            &s.staff.region_code,
            department.unwrap_or(""),
            i64::from(year),
            &problems,
            &other,
            &s.staff.username,
        )
        .await?)
}

/// The annual report as a reader asks for it: the district's or one department's, by default last year's. Who may
/// read which is the policy's `may_read_disclosure_reports`.
pub async fn report_for_reader(
    app: &App,
    s: &Session,
    department: Option<&str>,
    year: Option<i32>,
) -> Result<AnnualReport, Error> {
    let department = department.map(str::trim).filter(|x| !x.is_empty());
    if !crate::policy::may_read_disclosure_reports(s, department) {
        return Err(Error::forbidden("无权查看该年度报告（部门人员只能查看本部门的报告）"));
    }
    let year = year.unwrap_or(chrono::Datelike::year(&crate::time::today()) - 1);
    annual_report(app, &s.staff.region_code, department, year).await
}
