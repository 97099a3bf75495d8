//! 政务公开 use cases, shared by the API and the pages: the standard catalog, items of information ("谁发布、谁负责":
//! the author drafts, another person publishes), requests for disclosure (依申请公开) on the working-day calendar, the
//! reply letters and notices, and the annual report (政府信息公开工作年度报告) in the layout of 国办公开办函〔2021〕30号.
//! Functions that depend on the date take `today`/`now`, so tests fix the clock.

use crate::cases::{masked_identifier, masked_phone, parse_applicant};
use crate::time::{parse_day, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use tongban_core::role::Role;
use tongban_store::{
    CatalogEntry, DisclosureRequest, InfoFilter, InfoItem, NewInfoItem, NewRequestEvent, Session, StoreError,
};

/// 政府信息公开条例 art. 33: reply within 20 working days of receipt.
pub const DUE_DAYS: u32 = 20;
/// Art. 33: one extension of at most 20 working days.
pub const MAX_EXTENSION_DAYS: i64 = 20;
/// Art. 30: a correction notice within 7 working days of receipt.
pub const CORRECTION_NOTICE_DAYS: i64 = 7;
/// A request turns yellow this many working days before its deadline: a reply letter needs drafting, the head's
/// signature and posting, which rarely fits in one day.
pub const WARN_DAYS: i64 = 3;
/// Request numbers: GK2026-0001 …
pub const NUMBER_PREFIX: &str = "GK";

/// Applicant columns of the report's table 3, in order: (kind/org_kind code, label).
pub const APPLICANT_COLUMNS: [(&str, &str); 6] = [
    ("person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social", "社会公益组织"),
    ("legal", "法律服务机构"),
    ("other", "其他"),
];

pub const DELIVERIES: [(&str, &str); 3] = [("paper", "纸质（邮寄）"), ("email", "电子邮件"), ("pickup", "当面领取")];

/// A reply ground: (kind, ground, the report row it counts in, label, the sentence of the reply letter).
pub struct Ground {
    pub kind: &'static str,
    pub ground: &'static str,
    pub row: &'static str,
    pub label: &'static str,
    pub letter: &'static str,
}

const fn g(
    kind: &'static str,
    ground: &'static str,
    row: &'static str,
    label: &'static str,
    letter: &'static str,
) -> Ground {
    Ground {
        kind,
        ground,
        row,
        label,
        letter,
    }
}

/// The reply kinds of 政府信息公开条例 art. 36–39, each ground tied to its row of the 2021 report table.
pub const GROUNDS: [Ground; 25] = [
    g("disclose", "disclosed", "disclose", "予以公开", "经审查，您申请获取的政府信息属于公开范围，现予以提供。"),
    g("disclose", "already_public", "disclose", "予以公开（已主动公开）", "您申请获取的政府信息已经主动公开，现告知获取的方式和途径。"),
    g("partial", "partial", "partial", "部分公开", "您申请获取的政府信息中含有不应当公开的内容，但能够作区分处理，现提供可以公开的部分，并说明不予公开部分的理由。"),
    g("withhold", "state_secret", "withhold.state_secret", "属于国家秘密", "您申请获取的政府信息属于国家秘密，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "law_forbids", "withhold.law_forbids", "其他法律行政法规禁止公开", "您申请获取的政府信息属于法律、行政法规禁止公开的信息，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "three_safeties", "withhold.three_safeties", "危及“三安全一稳定”", "您申请获取的政府信息公开后可能危及国家安全、公共安全、经济安全、社会稳定，依据《中华人民共和国政府信息公开条例》第十四条，不予公开。"),
    g("withhold", "third_party", "withhold.third_party", "保护第三方合法权益", "您申请获取的政府信息涉及商业秘密、个人隐私等，公开会对第三方合法权益造成损害，第三方不同意公开，依据《中华人民共和国政府信息公开条例》第十五条，不予公开。"),
    g("withhold", "internal_affairs", "withhold.internal_affairs", "属于三类内部事务信息", "您申请获取的信息属于人事管理、后勤管理、内部工作流程等内部事务信息，依据《中华人民共和国政府信息公开条例》第十六条第一款，可以不予公开。"),
    g("withhold", "process_info", "withhold.process_info", "属于四类过程性信息", "您申请获取的信息属于讨论记录、过程稿、磋商信函、请示报告等过程性信息，依据《中华人民共和国政府信息公开条例》第十六条第二款，可以不予公开。"),
    g("withhold", "enforcement_file", "withhold.enforcement_file", "属于行政执法案卷", "您申请获取的信息属于行政执法案卷信息，依据《中华人民共和国政府信息公开条例》第十六条第二款，可以不予公开。"),
    g("withhold", "query_matter", "withhold.query_matter", "属于行政查询事项", "您申请获取的信息属于有关法律、行政法规规定的行政查询事项，请依照相关规定办理查询。"),
    g("unavailable", "not_exist", "unavailable.not_held", "本机关不掌握相关政府信息（信息不存在）", "经检索，本机关未制作、获取您申请获取的政府信息，该政府信息不存在，依据《中华人民共和国政府信息公开条例》第三十六条第四项告知。"),
    g("unavailable", "not_held", "unavailable.not_held", "本机关不掌握相关政府信息（非本机关负责公开）", "您申请获取的政府信息不属于本机关负责公开，依据《中华人民共和国政府信息公开条例》第三十六条第五项，告知负责公开该政府信息的行政机关。"),
    g("unavailable", "needs_creation", "unavailable.needs_creation", "没有现成信息需要另行制作", "您申请获取的信息需要本机关对现有政府信息进行加工、分析，依据《中华人民共和国政府信息公开条例》第三十八条，可以不予提供。"),
    g("unavailable", "unclear", "unavailable.unclear", "补正后申请内容仍不明确", "经补正，您的申请内容仍不明确，无法确定所需政府信息，本机关无法提供。"),
    g("not_processed", "petition", "not_processed.petition", "信访举报投诉类申请", "您提出的事项属于信访、投诉、举报等诉求，不属于政府信息公开申请，请通过相应渠道提出，依据《中华人民共和国政府信息公开条例》第三十九条不作为政府信息公开申请处理。"),
    g("not_processed", "repeated", "not_processed.repeated", "重复申请", "您的申请与此前已答复的申请内容相同，依据《中华人民共和国政府信息公开条例》第三十六条第六项，不予重复处理。"),
    g("not_processed", "publication", "not_processed.publication", "要求提供公开出版物", "您申请获取的是公开出版物，依据《中华人民共和国政府信息公开条例》第三十九条，可以通过公开途径获取。"),
    g("not_processed", "mass_repeated", "not_processed.mass_repeated", "无正当理由大量反复申请", "您的申请数量、频次明显超过合理范围，依据《中华人民共和国政府信息公开条例》第三十五条，不予处理。"),
    g("not_processed", "confirm", "not_processed.confirm", "要求行政机关确认或重新出具已获取信息", "您要求本机关确认或重新出具已获取的信息，依据《中华人民共和国政府信息公开条例》第三十九条第二款，不作为政府信息公开申请处理。"),
    g("other", "correction_overdue", "other.correction_overdue", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "您未在补正期限内补正申请，视为放弃申请，本机关不再处理该政府信息公开申请。"),
    g("other", "fee_overdue", "other.fee_overdue", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "您未在收费通知规定期限内缴纳信息处理费，视为放弃申请，本机关不再处理该政府信息公开申请。"),
    g("other", "other_law", "other.other", "其他（依照其他法律法规办理）", "您申请获取的信息，有关法律、行政法规对获取方式有特别规定，依据《中华人民共和国政府信息公开条例》第三十六条第七项，请依照有关规定办理。"),
    g("other", "withdrawn", "other.other", "其他（申请人撤回申请）", "您已撤回该政府信息公开申请，本机关终止处理。"),
    g("other", "other", "other.other", "其他", "本机关已依法处理您的申请，具体情况见答复内容。"),
];

pub const KIND_LABELS: [(&str, &str); 6] = [
    ("disclose", "予以公开"),
    ("partial", "部分公开"),
    ("withhold", "不予公开"),
    ("unavailable", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
];

pub fn ground(kind: &str, ground: &str) -> Option<&'static Ground> {
    GROUNDS.iter().find(|g| g.kind == kind && g.ground == ground)
}

pub fn kind_label(kind: &str) -> &'static str {
    KIND_LABELS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("未知")
}

pub fn state_label(s: &str) -> &'static str {
    match s {
        "received" => "办理中",
        "correction" => "待补正",
        "consulting" => "征求第三方意见",
        "replied" => "已答复",
        "draft" => "草稿待审核",
        "returned" => "已退回",
        "published" => "已发布",
        "repealed" => "已废止",
        _ => "未知",
    }
}

fn org_label(code: &str) -> &'static str {
    APPLICANT_COLUMNS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

fn delivery_label(code: &str) -> &'static str {
    DELIVERIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("未知")
}

fn bad_date(s: &str) -> Error {
    Error::bad_request("invalid_date", format!("日期“{s}”应为YYYY-MM-DD"))
}

pub fn parse_date(s: &str) -> Result<NaiveDate, Error> {
    parse_day(s.trim()).ok_or_else(|| bad_date(s))
}

fn text_field(value: &str, what: &str, max: usize) -> Result<String, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::unprocessable("missing_field", format!("{what}不能为空")));
    }
    if v.chars().count() > max {
        return Err(Error::unprocessable(
            "field_too_long",
            format!("{what}不能超过{max}个字"),
        ));
    }
    Ok(v.to_string())
}

fn invalid_state(what: &str, state: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "invalid_state",
        format!("当前状态为“{}”，不能{what}", state_label(state)),
    )
}

fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("申请已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

fn store_err(e: StoreError) -> Error {
    match e {
        StoreError::Stale { current } => stale(current),
        other => other.into(),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Who may do what. Department staff act for their own department only; disclosure officers and administrators for
// every department of their region.

fn own_department(s: &Session, department: &str) -> bool {
    s.staff.department_code.as_deref() == Some(department)
}

/// Drafting an item: disclosure officers, administrators, and department staff for their department.
pub fn may_author(s: &Session, department: &str) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin => true,
        Role::Reviewer | Role::Head => own_department(s, department),
        _ => false,
    }
}

/// Publishing (审核发布): disclosure officers, administrators and the department's head — never the author.
pub fn may_approve(s: &Session, department: &str) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin => true,
        Role::Head => own_department(s, department),
        _ => false,
    }
}

/// Handling requests: disclosure officers, administrators and the department's staff.
pub fn may_handle(s: &Session, department: &str) -> bool {
    may_author(s, department)
}

/// Reading the figures and reports: as handling, plus supervisors.
pub fn may_read_reports(s: &Session, department: Option<&str>) -> bool {
    match s.staff.role {
        Role::Discloser | Role::Admin | Role::Supervisor => true,
        Role::Reviewer | Role::Head => department.is_some_and(|d| own_department(s, d)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The catalog.

pub fn validate_entry(e: &CatalogEntry) -> Result<(), Error> {
    let code = e.code.trim();
    if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Error::unprocessable(
            "invalid_code",
            "目录编码只能包含字母、数字和“-”，长度1–32",
        ));
    }
    for (v, what) in [
        (&e.level1, "一级事项"),
        (&e.level2, "二级事项"),
        (&e.content, "公开内容"),
        (&e.basis, "公开依据"),
        (&e.time_limit, "公开时限"),
        (&e.subject, "公开主体"),
        (&e.channels, "公开渠道和载体"),
        (&e.object, "公开对象"),
        (&e.method, "公开方式"),
        (&e.level, "公开层级"),
    ] {
        text_field(v, what, 500)?;
    }
    Ok(())
}

pub async fn save_entry(app: &App, s: &Session, e: CatalogEntry, now: &str) -> Result<CatalogEntry, Error> {
    if s.staff.role != Role::Admin {
        return Err(Error::forbidden("只有系统管理员可以设置政务公开标准目录"));
    }
    validate_entry(&e)?;
    app.store
        .save_disclosure_catalog(
            &s.staff.region_code,
            std::slice::from_ref(&e),
            false,
            &s.staff.username,
            now,
        )
        .await?;
    app.store
        .disclosure_catalog_entry(&s.staff.region_code, &e.code)
        .await?
        .ok_or_else(|| Error::not_found(format!("公开目录事项“{}”", e.code)))
}

// ---------------------------------------------------------------------------------------------------------------
// Items of information.

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub id: i64,
    pub department: String,
    pub department_name: String,
    pub catalog_code: String,
    /// 一级事项 / 二级事项 of the catalog entry
    pub catalog_name: String,
    pub title: String,
    pub body: String,
    /// '', regulation (规章) or normative (行政规范性文件)
    pub doc_kind: String,
    pub doc_number: String,
    /// draft, returned, published, repealed
    pub state: String,
    pub state_label: String,
    /// Who drafted it (谁发布、谁负责)
    pub author: String,
    /// Who approved and published it
    pub approver: Option<String>,
    pub return_note: String,
    pub created_at: String,
    pub published_on: Option<String>,
    pub repealed_on: Option<String>,
}

pub fn item_view(i: InfoItem, catalog: &[CatalogEntry]) -> ItemView {
    let catalog_name = catalog
        .iter()
        .find(|c| c.code == i.catalog_code)
        .map(|c| format!("{} / {}", c.level1, c.level2))
        .unwrap_or_else(|| i.catalog_code.clone());
    ItemView {
        id: i.id,
        department: i.department_code,
        department_name: i.department_name,
        catalog_code: i.catalog_code,
        catalog_name,
        title: i.title,
        body: i.body,
        doc_kind: i.doc_kind,
        doc_number: i.doc_number,
        state_label: state_label(&i.state).into(),
        state: i.state,
        author: i.author,
        approver: i.approver,
        return_note: i.return_note,
        created_at: i.created_at,
        published_on: i.published_on,
        repealed_on: i.repealed_on,
    }
}

pub struct DraftInput {
    pub department: Option<String>,
    pub catalog_code: String,
    pub title: String,
    pub body: String,
    pub doc_kind: String,
    pub doc_number: String,
}

pub async fn draft_item(app: &App, s: &Session, d: DraftInput, now: &str) -> Result<ItemView, Error> {
    let department = match d.department.filter(|x| !x.trim().is_empty()) {
        Some(x) => x.trim().to_string(),
        None => s
            .staff
            .department_code
            .clone()
            .ok_or_else(|| Error::unprocessable("missing_department", "请指定发布信息的部门（department）"))?,
    };
    if !may_author(s, &department) {
        return Err(Error::forbidden(format!(
            "“{}”不能为该部门起草公开信息",
            s.staff.role.label()
        )));
    }
    let title = text_field(&d.title, "标题", 200)?;
    let body = text_field(&d.body, "正文", 20_000)?;
    if !matches!(d.doc_kind.as_str(), "" | "regulation" | "normative") {
        return Err(Error::unprocessable(
            "invalid_doc_kind",
            "文件类别（doc_kind）应为空、regulation（规章）或normative（行政规范性文件）",
        ));
    }
    let region = &s.staff.region_code;
    let item = app
        .store
        .create_info_item(&NewInfoItem {
            region,
            department_code: &department,
            catalog_code: d.catalog_code.trim(),
            title: &title,
            body: &body,
            doc_kind: &d.doc_kind,
            doc_number: d.doc_number.trim(),
            author: &s.staff.username,
            now,
        })
        .await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(item_view(item, &catalog))
}

async fn load_item(app: &App, s: &Session, id: i64) -> Result<InfoItem, Error> {
    match app.store.info_item(&s.staff.region_code, id).await? {
        Some(i)
            if i.state == "published" || may_author(s, &i.department_code) || may_approve(s, &i.department_code) =>
        {
            Ok(i)
        }
        _ => Err(Error::not_found(format!("公开信息{id}"))),
    }
}

/// What may be done to an item.
pub enum ItemAction<'a> {
    Publish,
    Return(&'a str),
    Revise { title: &'a str, body: &'a str },
    Repeal,
}

pub async fn act_on_item(
    app: &App,
    s: &Session,
    id: i64,
    action: ItemAction<'_>,
    now: &str,
    today: NaiveDate,
) -> Result<ItemView, Error> {
    let item = load_item(app, s, id).await?;
    let who = &s.staff.username;
    let (from, to, note, revised) = match action {
        ItemAction::Publish => {
            if !may_approve(s, &item.department_code) {
                return Err(Error::forbidden("只有政务公开专员或本部门负责人可以审核发布"));
            }
            if &item.author == who {
                return Err(Error::unprocessable(
                    "self_approval",
                    "谁发布、谁负责：起草人不能审核发布自己起草的信息，请由另一名审核人发布",
                ));
            }
            if item.state != "draft" {
                return Err(invalid_state("审核发布", &item.state));
            }
            ("draft", "published", String::new(), None)
        }
        ItemAction::Return(note) => {
            if !may_approve(s, &item.department_code) {
                return Err(Error::forbidden("只有政务公开专员或本部门负责人可以退回"));
            }
            if item.state != "draft" {
                return Err(invalid_state("退回", &item.state));
            }
            ("draft", "returned", text_field(note, "退回意见", 500)?, None)
        }
        ItemAction::Revise { title, body } => {
            if &item.author != who {
                return Err(Error::forbidden("只有起草人可以修改被退回的信息"));
            }
            if item.state != "returned" {
                return Err(invalid_state("修改后重新提交", &item.state));
            }
            (
                "returned",
                "draft",
                String::new(),
                Some((text_field(title, "标题", 200)?, text_field(body, "正文", 20_000)?)),
            )
        }
        ItemAction::Repeal => {
            if !may_approve(s, &item.department_code) {
                return Err(Error::forbidden("只有政务公开专员或本部门负责人可以废止"));
            }
            if item.state != "published" {
                return Err(invalid_state("废止", &item.state));
            }
            ("published", "repealed", String::new(), None)
        }
    };
    let moved = app
        .store
        .move_info_item(
            &s.staff.region_code,
            id,
            from,
            to,
            who,
            &note,
            revised.as_ref().map(|(t, b)| (t.as_str(), b.as_str())),
            now,
            &ymd(today),
        )
        .await?;
    let catalog = app.store.disclosure_catalog(&s.staff.region_code).await?;
    Ok(item_view(moved, &catalog))
}

pub async fn item(app: &App, s: Option<&Session>, region: &str, id: i64) -> Result<ItemView, Error> {
    let found = match s {
        Some(s) => load_item(app, s, id).await.ok(),
        None => app
            .store
            .info_item(region, id)
            .await?
            .filter(|i| matches!(i.state.as_str(), "published" | "repealed")),
    };
    let item = found.ok_or_else(|| Error::not_found(format!("公开信息{id}")))?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(item_view(item, &catalog))
}

/// Splits a search into words: by spaces, and long runs of Chinese into overlapping pairs of characters, so that
/// "社会救助标准" also finds "社会救助的标准" (a simple substitute for word segmentation in titles).
pub fn search_words(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in q.split_whitespace().take(8) {
        let chars: Vec<char> = part.chars().take(40).collect();
        if chars.len() <= 4 || chars.iter().any(|c| c.is_ascii()) {
            out.push(chars.iter().collect());
        } else {
            for w in chars.windows(2) {
                let s: String = w.iter().collect();
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub department: Option<String>,
    pub catalog: Option<String>,
    pub state: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub struct ItemPage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<ItemView>,
}

/// Public listing (published items only) or, for staff, the items they may see in any state.
pub async fn list_items(
    app: &App,
    region: &str,
    s: Option<&Session>,
    q: &ListQuery,
    page: i64,
    per_page: i64,
) -> Result<ItemPage, Error> {
    let clean = |v: &Option<String>| v.as_ref().map(|x| x.trim().to_string()).filter(|x| !x.is_empty());
    for d in [&q.from, &q.to].into_iter().flatten() {
        if !d.trim().is_empty() {
            parse_date(d)?;
        }
    }
    let mut f = InfoFilter {
        department_code: clean(&q.department),
        catalog_code: clean(&q.catalog),
        state: Some("published".into()),
        words: search_words(q.q.as_deref().unwrap_or("")),
        from: clean(&q.from),
        to: clean(&q.to),
    };
    if let Some(s) = s {
        let st = clean(&q.state);
        if let Some(x) = &st {
            if !matches!(x.as_str(), "draft" | "returned" | "published" | "repealed") {
                return Err(Error::bad_request(
                    "invalid_state",
                    "state应为draft、returned、published或repealed",
                ));
            }
        }
        f.state = st;
        if s.staff.role.is_department_bound() {
            match (&f.department_code, &s.staff.department_code) {
                // Another department's items: only what the public sees.
                (Some(d), Some(own)) if d != own => match f.state.as_deref() {
                    None | Some("published") => f.state = Some("published".into()),
                    Some(_) => return Err(Error::forbidden("只能查看本部门未发布的信息")),
                },
                (None, Some(own)) if f.state.as_deref() != Some("published") => f.department_code = Some(own.clone()),
                _ => {}
            }
        } else if !matches!(s.staff.role, Role::Discloser | Role::Admin | Role::Supervisor) {
            f.state = Some("published".into());
        }
    }
    let found = app.store.info_items(region, &f, page, per_page).await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    Ok(ItemPage {
        total: found.total,
        page: found.page,
        per_page: found.per_page,
        data: found.data.into_iter().map(|i| item_view(i, &catalog)).collect(),
    })
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentFigures {
    pub department: String,
    pub department_name: String,
    /// Items published in the period (repealed since included)
    pub published: i64,
    /// Requests received in the period
    pub requests_received: i64,
    /// Requests replied in the period
    pub requests_replied: i64,
    /// Of those, replied on or before their deadline
    pub replied_on_time: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogFigure {
    pub catalog_code: String,
    pub catalog_name: String,
    pub published: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub from: String,
    pub to: String,
    /// 主动公开信息总数: items whose publication day falls in the period
    pub published: i64,
    pub requests_received: i64,
    pub requests_replied: i64,
    pub formula: String,
    pub by_department: Vec<DepartmentFigures>,
    pub by_catalog: Vec<CatalogFigure>,
}

pub async fn figures(app: &App, region: &str, from: NaiveDate, to: NaiveDate) -> Result<Figures, Error> {
    if from > to {
        return Err(Error::bad_request("invalid_period", "开始日期不能晚于结束日期"));
    }
    let (f, t) = (ymd(from), ymd(to));
    let counts = app.store.published_counts(region, &f, &t).await?;
    let catalog = app.store.disclosure_catalog(region).await?;
    let requests = app.store.disclosure_requests(region, None, false, None).await?;
    let mut by_department: Vec<DepartmentFigures> = Vec::new();
    let row = |v: &mut Vec<DepartmentFigures>, code: &str, name: &str| -> usize {
        match v.iter().position(|r| r.department == code) {
            Some(i) => i,
            None => {
                v.push(DepartmentFigures {
                    department: code.into(),
                    department_name: name.into(),
                    published: 0,
                    requests_received: 0,
                    requests_replied: 0,
                    replied_on_time: 0,
                });
                v.len() - 1
            }
        }
    };
    let mut by_catalog: Vec<CatalogFigure> = catalog
        .iter()
        .map(|c| CatalogFigure {
            catalog_code: c.code.clone(),
            catalog_name: format!("{} / {}", c.level1, c.level2),
            published: 0,
        })
        .collect();
    for c in &counts {
        let i = row(&mut by_department, &c.department_code, &c.department_name);
        by_department[i].published += c.count;
        if let Some(x) = by_catalog.iter_mut().find(|x| x.catalog_code == c.catalog_code) {
            x.published += c.count;
        }
    }
    for r in &requests {
        let received = r.received_on >= f && r.received_on <= t;
        let replied = r.replied_on.as_ref().is_some_and(|d| *d >= f && *d <= t);
        if !received && !replied {
            continue;
        }
        let i = row(&mut by_department, &r.department_code, &r.department_name);
        if received {
            by_department[i].requests_received += 1;
        }
        if replied {
            by_department[i].requests_replied += 1;
            if r.replied_on.as_ref().is_some_and(|d| *d <= r.due_date) {
                by_department[i].replied_on_time += 1;
            }
        }
    }
    by_department.sort_by(|a, b| b.published.cmp(&a.published).then(a.department.cmp(&b.department)));
    Ok(Figures {
        from: f,
        to: t,
        published: by_department.iter().map(|d| d.published).sum(),
        requests_received: by_department.iter().map(|d| d.requests_received).sum(),
        requests_replied: by_department.iter().map(|d| d.requests_replied).sum(),
        formula: "主动公开数 = 发布日期在统计期间内的信息条数（含其后废止的）；按时答复 = 答复日期不晚于答复期限"
            .into(),
        by_department,
        by_catalog,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Requests for disclosure.

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timing {
    /// Working days left until the deadline (negative when overdue); None while the clock is stopped or done
    pub remaining_working_days: Option<i64>,
    /// none, yellow (≤ 3 working days left), red (overdue), correction (waiting for the applicant), suspended
    /// (third party consulted: the clock stops) or done
    pub warning: String,
}

pub fn timing(app: &App, r: &DisclosureRequest, today: NaiveDate) -> Timing {
    let stopped = |w: &str| Timing {
        remaining_working_days: None,
        warning: w.into(),
    };
    match r.state.as_str() {
        "replied" => return stopped("done"),
        "correction" => return stopped("correction"),
        "consulting" => return stopped("suspended"),
        _ => {}
    }
    let Some(due) = parse_day(&r.due_date) else {
        return stopped("none");
    };
    let remaining = app.calendar().working_days_between(today, due);
    let warning = if remaining < 0 {
        "red"
    } else if remaining <= WARN_DAYS {
        "yellow"
    } else {
        "none"
    };
    Timing {
        remaining_working_days: Some(remaining),
        warning: warning.into(),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    /// e.g. GK2026-0001
    pub number: String,
    pub department: String,
    pub department_name: String,
    /// person or organisation
    pub applicant_kind: String,
    /// For organisations: commercial, research, social, legal or other
    pub org_kind: String,
    pub applicant_kind_label: String,
    pub applicant_name: String,
    /// Masked unless the reader handles the request
    pub applicant_identifier: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub description: String,
    pub purpose: String,
    /// paper, email or pickup
    pub delivery: String,
    pub delivery_label: String,
    /// online, window, letter or fax
    pub channel: String,
    pub channel_label: String,
    /// received, correction, consulting or replied
    pub state: String,
    pub state_label: String,
    pub received_on: String,
    /// The day the 20 working days count from (receipt, or the correction)
    pub clock_start: String,
    pub extended_days: i64,
    /// Working days the third-party consultation took (not counted)
    pub suspended_days: i64,
    pub due_date: String,
    /// Counted over a year whose holiday notice is not out yet
    pub due_provisional: bool,
    pub correction_on: Option<String>,
    pub reply_kind: Option<String>,
    pub reply_ground: Option<String>,
    pub reply_label: Option<String>,
    pub reply_text: String,
    pub refer_to: String,
    pub replied_on: Option<String>,
    pub replied_by: Option<String>,
    pub on_time: Option<bool>,
    pub version: i64,
    pub timing: Timing,
}

pub fn request_view(app: &App, r: DisclosureRequest, whole: bool, today: NaiveDate) -> RequestView {
    let timing = timing(app, &r, today);
    let kind_label = if r.applicant_kind == "person" {
        "自然人".to_string()
    } else {
        format!("法人或其他组织（{}）", org_label(&r.org_kind))
    };
    let id_kind = if r.applicant_kind == "person" {
        "person"
    } else {
        "enterprise"
    };
    let reply_label = match (&r.reply_kind, &r.reply_ground) {
        (Some(k), Some(gr)) => Some(match ground(k, gr) {
            Some(x) if x.label != kind_label_str(k) => format!("{}：{}", kind_label_str(k), x.label),
            _ => kind_label_str(k).to_string(),
        }),
        _ => None,
    };
    RequestView {
        on_time: r.replied_on.as_ref().map(|d| *d <= r.due_date),
        number: r.number,
        department: r.department_code,
        department_name: r.department_name,
        applicant_kind_label: kind_label,
        applicant_kind: r.applicant_kind,
        org_kind: r.org_kind,
        applicant_name: r.applicant_name,
        applicant_identifier: if whole {
            r.applicant_identifier
        } else {
            masked_identifier(id_kind, &r.applicant_identifier)
        },
        phone: if whole { r.phone } else { masked_phone(&r.phone) },
        email: if whole || r.email.is_empty() {
            r.email
        } else {
            mask_email(&r.email)
        },
        address: if whole || r.address.is_empty() {
            r.address
        } else {
            "（已隐藏）".into()
        },
        description: r.description,
        purpose: r.purpose,
        delivery_label: delivery_label(&r.delivery).into(),
        delivery: r.delivery,
        channel_label: channel_label(&r.channel).into(),
        channel: r.channel,
        state_label: state_label(&r.state).into(),
        state: r.state,
        received_on: r.received_on,
        clock_start: r.clock_start,
        extended_days: r.extended_days,
        suspended_days: r.suspended_days,
        due_date: r.due_date,
        due_provisional: r.due_provisional,
        correction_on: r.correction_on,
        reply_kind: r.reply_kind,
        reply_ground: r.reply_ground,
        reply_label,
        reply_text: r.reply_text,
        refer_to: r.refer_to,
        replied_on: r.replied_on,
        replied_by: r.replied_by,
        version: r.version,
        timing,
    }
}

fn kind_label_str(k: &str) -> &'static str {
    kind_label(k)
}

fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((user, domain)) => format!("{}@{domain}", tongban_core::ids::mask_middle(user, 1, 0)),
        None => tongban_core::ids::mask_middle(e, 1, 0),
    }
}

pub struct RequestInput {
    pub department: String,
    /// person or organisation
    pub applicant_kind: String,
    pub org_kind: Option<String>,
    pub name: String,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub address: Option<String>,
    pub description: String,
    pub purpose: Option<String>,
    pub delivery: String,
    /// Staff only: how the request came (`STAFF_CHANNELS`); the default is a visit at the window.
    pub channel: Option<String>,
    /// Staff only: the day the agency signed for a letter or fax (条例 art. 31), when it is not today.
    pub received_on: Option<NaiveDate>,
}

/// How staff receive a request (条例 art. 29: in writing, or orally at the window and recorded), with labels.
pub const STAFF_CHANNELS: [(&str, &str); 3] = [("window", "当面提交"), ("letter", "信函"), ("fax", "传真")];

pub fn channel_label(channel: &str) -> &'static str {
    STAFF_CHANNELS
        .iter()
        .find(|(c, _)| *c == channel)
        .map(|(_, l)| *l)
        .unwrap_or("网上申请")
}

/// The day a request counts as received: today, or for staff recording a letter or fax the day it was signed
/// for (条例 art. 31) — not in the future, and not so long ago that its 20 working days have already run out,
/// since such a late entry would hide an overdue request rather than record it.
fn receipt_day(app: &App, input: &RequestInput, staff: bool, today: NaiveDate) -> Result<NaiveDate, Error> {
    let Some(day) = input.received_on else {
        return Ok(today);
    };
    if !staff {
        return Err(Error::unprocessable(
            "received_on_not_allowed",
            "收到日期（received_on）由工作人员登记信函、传真申请时填写",
        ));
    }
    if day > today {
        return Err(Error::unprocessable(
            "received_on_in_future",
            format!("收到日期{}晚于今天", ymd(day)),
        ));
    }
    if app.calendar().working_days_between(day, today) > i64::from(DUE_DAYS) {
        return Err(Error::unprocessable(
            "received_on_too_old",
            format!(
                "收到日期{}距今已超过{DUE_DAYS}个工作日，答复期限已过，不能补登；请报告督查",
                ymd(day)
            ),
        ));
    }
    Ok(day)
}

/// The deadline of a request from its clock start, extension and consultation days.
fn due(app: &App, r: &DisclosureRequest) -> Result<(String, bool), Error> {
    let start = parse_day(&r.clock_start).ok_or_else(|| Error::internal("bad clock_start"))?;
    let days = u32::try_from(i64::from(DUE_DAYS) + r.extended_days + r.suspended_days).unwrap_or(DUE_DAYS);
    let d = app.calendar().add_working_days(start, days);
    Ok((ymd(d.date), d.provisional))
}

/// Receives a request: online by the applicant (no session), or recorded by staff from a letter or at the window.
pub async fn file_request(
    app: &App,
    region: &str,
    input: RequestInput,
    by: Option<&Session>,
    today: NaiveDate,
    now: &str,
) -> Result<RequestView, Error> {
    let (filed_by, channel) = match by {
        Some(s) => {
            if !may_handle(s, &input.department) {
                return Err(Error::forbidden(format!(
                    "“{}”不能登记该部门的政府信息公开申请",
                    s.staff.role.label()
                )));
            }
            let channel = input.channel.as_deref().unwrap_or("window");
            let Some((channel, _)) = STAFF_CHANNELS.iter().find(|(c, _)| *c == channel) else {
                return Err(Error::unprocessable(
                    "invalid_channel",
                    format!("收件方式“{channel}”应为window（当面）、letter（信函）或fax（传真）"),
                ));
            };
            (s.staff.username.clone(), *channel)
        }
        None if input.channel.as_deref().is_some_and(|c| c != "online") => {
            return Err(Error::unprocessable(
                "invalid_channel",
                "网上申请的收件方式只能是online",
            ))
        }
        None => ("applicant".to_string(), "online"),
    };
    let received = receipt_day(app, &input, by.is_some(), today)?;
    let (kind, org_kind, applicant) = match input.applicant_kind.as_str() {
        "person" => (
            "person",
            String::new(),
            parse_applicant("person", &input.name, input.id_number.as_deref(), None, &input.phone)?,
        ),
        "organisation" => {
            let ok = input.org_kind.clone().unwrap_or_default();
            if !APPLICANT_COLUMNS[1..].iter().any(|(c, _)| *c == ok) {
                return Err(Error::unprocessable(
                    "invalid_org_kind",
                    "法人或其他组织的类型（org_kind）应为commercial、research、social、legal或other",
                ));
            }
            let a = parse_applicant(
                "enterprise",
                &input.name,
                None,
                input.credit_code.as_deref(),
                &input.phone,
            )?;
            ("organisation", ok, a)
        }
        other => {
            return Err(Error::unprocessable(
                "invalid_applicant_kind",
                format!("申请人类型“{other}”应为person（自然人）或organisation（法人或其他组织）"),
            ))
        }
    };
    let description = text_field(
        &input.description,
        "所需政府信息的名称、文号或便于查询的其他特征性描述",
        2000,
    )?;
    let email = input.email.unwrap_or_default().trim().to_string();
    let address = input.address.unwrap_or_default().trim().to_string();
    match input.delivery.as_str() {
        "email" if !email.contains('@') || email.len() > 200 => {
            return Err(Error::unprocessable(
                "missing_email",
                "选择电子邮件获取时须填写有效的电子邮箱",
            ))
        }
        "paper" if address.is_empty() => {
            return Err(Error::unprocessable(
                "missing_address",
                "选择纸质（邮寄）获取时须填写邮寄地址",
            ))
        }
        "paper" | "email" | "pickup" => {}
        other => {
            return Err(Error::unprocessable(
                "invalid_delivery",
                format!("获取方式“{other}”应为paper（纸质邮寄）、email（电子邮件）或pickup（当面领取）"),
            ))
        }
    }
    if app.store.department(region, input.department.trim()).await?.is_none() {
        return Err(Error::not_found(format!("部门“{}”", input.department.trim())));
    }
    let mut r = DisclosureRequest {
        id: 0,
        number: String::new(),
        department_code: input.department.trim().to_string(),
        department_name: String::new(),
        applicant_kind: kind.into(),
        org_kind,
        applicant_name: applicant.name,
        applicant_identifier: applicant.identifier,
        phone: applicant.phone,
        email,
        address,
        description,
        purpose: input.purpose.unwrap_or_default().trim().chars().take(500).collect(),
        delivery: input.delivery.clone(),
        channel: channel.into(),
        state: "received".into(),
        received_on: ymd(received),
        clock_start: ymd(received),
        extended_days: 0,
        suspended_days: 0,
        suspended_since: None,
        due_date: String::new(),
        due_provisional: false,
        correction_on: None,
        reply_kind: None,
        reply_ground: None,
        reply_text: String::new(),
        refer_to: String::new(),
        replied_on: None,
        replied_by: None,
        filed_by: filed_by.clone(),
        version: 1,
        created_at: now.into(),
    };
    let (d, p) = due(app, &r)?;
    r.due_date = d;
    r.due_provisional = p;
    let day = ymd(today);
    let detail = if received == today {
        format!("答复期限{}", r.due_date)
    } else {
        format!("{}签收；答复期限{}", ymd(received), r.due_date)
    };
    let stored = app
        .store
        .file_disclosure_request(
            region,
            &r.department_code,
            &r,
            NUMBER_PREFIX,
            &NewRequestEvent {
                actor: &filed_by,
                action: "receive",
                day: &day,
                at: now,
                detail: &detail,
            },
        )
        .await?;
    Ok(request_view(app, stored, true, today))
}

pub async fn load_request(app: &App, s: &Session, number: &str) -> Result<DisclosureRequest, Error> {
    match app.store.disclosure_request(&s.staff.region_code, number).await? {
        Some(r) if may_handle(s, &r.department_code) || s.staff.role == Role::Supervisor => Ok(r),
        _ => Err(Error::not_found(format!("政府信息公开申请“{number}”"))),
    }
}

/// A step in handling a request.
pub enum RequestAction<'a> {
    /// 补正告知: what is unclear or missing.
    RequestCorrection { note: &'a str },
    /// The applicant's correction arrived: the 20 days start again.
    Corrected { note: &'a str },
    /// Third-party consultation (征求第三方意见): the clock stops.
    Consult { third_party: &'a str },
    /// The third party answered (or its 15 days passed): the clock runs again.
    Resume { note: &'a str },
    /// 延期答复, approved by the acting head or officer.
    Extend { days: i64, reason: &'a str },
    Reply {
        kind: &'a str,
        ground: &'a str,
        text: &'a str,
        refer_to: &'a str,
    },
}

pub async fn act_on_request(
    app: &App,
    s: &Session,
    number: &str,
    action: RequestAction<'_>,
    today: NaiveDate,
    now: &str,
) -> Result<RequestView, Error> {
    let old = load_request(app, s, number).await?;
    if !may_handle(s, &old.department_code) {
        return Err(Error::forbidden("只能查看，不能办理该申请"));
    }
    if parse_day(&old.received_on).is_some_and(|d| today < d) {
        return Err(Error::unprocessable("invalid_date", "办理日期不能早于收到申请的日期"));
    }
    let cal = app.calendar();
    let mut new = old.clone();
    let day = ymd(today);
    let (name, detail) = match action {
        RequestAction::RequestCorrection { note } => {
            if old.state != "received" {
                return Err(invalid_state("发出补正告知", &old.state));
            }
            if old.correction_on.is_some() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "already_corrected",
                    "补正告知应一次性告知，本申请已经补正过一次",
                ));
            }
            let received = parse_day(&old.received_on).unwrap_or(today);
            if cal.working_days_between(received, today) > CORRECTION_NOTICE_DAYS {
                return Err(Error::unprocessable(
                    "correction_too_late",
                    format!("补正告知应在收到申请之日起{CORRECTION_NOTICE_DAYS}个工作日内发出"),
                ));
            }
            new.state = "correction".into();
            ("request_correction", text_field(note, "补正内容", 1000)?)
        }
        RequestAction::Corrected { note } => {
            if old.state != "correction" {
                return Err(invalid_state("登记补正", &old.state));
            }
            new.state = "received".into();
            new.correction_on = Some(day.clone());
            new.clock_start = day.clone();
            ("corrected", note.trim().chars().take(1000).collect())
        }
        RequestAction::Consult { third_party } => {
            if old.state != "received" {
                return Err(invalid_state("征求第三方意见", &old.state));
            }
            new.state = "consulting".into();
            new.suspended_since = Some(day.clone());
            ("consult", text_field(third_party, "第三方名称", 200)?)
        }
        RequestAction::Resume { note } => {
            if old.state != "consulting" {
                return Err(invalid_state("结束征求意见", &old.state));
            }
            let since = old.suspended_since.as_deref().and_then(parse_day).unwrap_or(today);
            new.suspended_days += cal.working_days_between(since, today).max(0);
            new.suspended_since = None;
            new.state = "received".into();
            ("resume", note.trim().chars().take(1000).collect())
        }
        RequestAction::Extend { days, reason } => {
            if !matches!(s.staff.role, Role::Discloser | Role::Admin | Role::Head) {
                return Err(Error::forbidden(
                    "延期答复须经政务公开工作机构负责人同意：请由政务公开专员或部门负责人办理",
                ));
            }
            if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
                return Err(Error::unprocessable(
                    "extension_too_long",
                    format!("延长答复期限最长不超过{MAX_EXTENSION_DAYS}个工作日（申请延长{days}个工作日）"),
                ));
            }
            if !matches!(old.state.as_str(), "received" | "consulting") {
                return Err(invalid_state("延期答复", &old.state));
            }
            if old.extended_days > 0 {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "already_extended",
                    "答复期限只能延长一次",
                ));
            }
            if old.state == "received" && parse_day(&old.due_date).is_some_and(|d| today > d) {
                return Err(Error::unprocessable("deadline_passed", "答复期限已过，不能再延期"));
            }
            new.extended_days = days;
            (
                "extend",
                format!(
                    "延长{days}个工作日，经{}同意：{}",
                    s.staff.display_name,
                    text_field(reason, "延期理由", 500)?
                ),
            )
        }
        RequestAction::Reply {
            kind,
            ground: gr,
            text,
            refer_to,
        } => {
            let found = ground(kind, gr).ok_or_else(|| {
                Error::unprocessable(
                    "invalid_ground",
                    format!("答复类型“{kind}”没有理由“{gr}”：见GET /api/v1/disclosure/grounds"),
                )
            })?;
            let allowed = match old.state.as_str() {
                "received" => gr != "correction_overdue",
                // The applicant did not correct: the only reply is to stop handling it.
                "correction" => gr == "correction_overdue" || gr == "withdrawn",
                _ => false,
            };
            if !allowed {
                return Err(match old.state.as_str() {
                    "correction" => Error::new(
                        ErrorKind::Conflict,
                        "invalid_state",
                        "申请正在等待补正：登记补正后再答复，或以“逾期不补正”结束",
                    ),
                    "received" => Error::unprocessable("invalid_ground", "申请人未被要求补正，不能以“逾期不补正”答复"),
                    other => invalid_state("答复", other),
                });
            }
            if gr == "not_held" && refer_to.trim().is_empty() {
                return Err(Error::unprocessable(
                    "missing_refer_to",
                    "非本机关负责公开的，须告知负责公开该信息的机关（refer_to）",
                ));
            }
            new.state = "replied".into();
            new.reply_kind = Some(found.kind.into());
            new.reply_ground = Some(found.ground.into());
            new.reply_text = text.trim().chars().take(5000).collect();
            new.refer_to = refer_to.trim().chars().take(200).collect();
            new.replied_on = Some(day.clone());
            new.replied_by = Some(s.staff.username.clone());
            new.suspended_since = None;
            ("reply", format!("{}：{}", kind_label(found.kind), found.label))
        }
    };
    if new.state != "replied" {
        let (d, p) = due(app, &new)?;
        new.due_date = d;
        new.due_provisional = p;
    }
    let stored = app
        .store
        .update_disclosure_request(
            &s.staff.region_code,
            &old,
            &new,
            &NewRequestEvent {
                actor: &s.staff.username,
                action: name,
                day: &day,
                at: now,
                detail: &detail,
            },
        )
        .await
        .map_err(store_err)?;
    Ok(request_view(app, stored, true, today))
}

/// Open requests the reader may handle, by deadline.
pub async fn inbox(app: &App, s: &Session, today: NaiveDate) -> Result<Vec<RequestView>, Error> {
    let department = if s.staff.role.is_department_bound() {
        s.staff.department_code.clone()
    } else if matches!(s.staff.role, Role::Discloser | Role::Admin | Role::Supervisor) {
        None
    } else {
        return Err(Error::forbidden("该角色不办理政府信息公开申请"));
    };
    let rows = app
        .store
        .disclosure_requests(&s.staff.region_code, department.as_deref(), true, None)
        .await?;
    Ok(rows.into_iter().map(|r| request_view(app, r, false, today)).collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Letters: the reply (答复告知书), the correction notice (补正告知书) and the extension notice (延期答复告知书).

#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub title: String,
    /// 云溪区XX局依申请公开〔2026〕第1号
    pub reference: String,
    pub addressee: String,
    pub paragraphs: Vec<String>,
    pub organ: String,
    pub date: String,
}

fn chinese_date(d: &str) -> String {
    match parse_day(d) {
        Some(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        None => d.to_string(),
    }
}

pub async fn letter(app: &App, s: &Session, number: &str, kind: &str) -> Result<Letter, Error> {
    let r = load_request(app, s, number).await?;
    let events = app.store.disclosure_request_events(&r).await?;
    let county = app
        .store
        .region(&s.staff.region_code)
        .await?
        .map(|x| x.name)
        .unwrap_or_default();
    let organ = if r.department_name.starts_with('区') {
        format!("{county}{}", r.department_name.trim_start_matches('区'))
    } else {
        r.department_name.clone()
    };
    let received = chinese_date(&r.received_on);
    let opening = format!(
        "本机关于{received}收到您提出的政府信息公开申请（编号{}），您申请获取：“{}”。",
        r.number, r.description
    );
    let event = |action: &str| events.iter().rev().find(|e| e.action == action);
    let (title, paragraphs, date) = match kind {
        "reply" => {
            let (Some(k), Some(gr)) = (&r.reply_kind, &r.reply_ground) else {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "not_replied",
                    "该申请尚未答复，不能生成答复告知书",
                ));
            };
            let found = ground(k, gr).ok_or_else(|| Error::internal("unknown ground stored"))?;
            let mut p = vec![opening, format!("经审查，现答复如下：{}", found.letter)];
            if !r.refer_to.is_empty() {
                p.push(format!("负责公开该政府信息的机关为：{}，请向其提出申请。", r.refer_to));
            }
            if !r.reply_text.is_empty() {
                p.push(r.reply_text.clone());
            }
            p.push(format!("本告知书通过{}方式送达。", delivery_label(&r.delivery)));
            p.push(
                "如对本答复不服，可以在收到本告知书之日起60日内依法申请行政复议，或者在6个月内依法向人民法院提起行政诉讼。"
                    .into(),
            );
            (
                "政府信息公开申请答复告知书",
                p,
                r.replied_on.clone().unwrap_or_default(),
            )
        }
        "correction" => {
            let e = event("request_correction")
                .ok_or_else(|| Error::new(ErrorKind::Conflict, "no_correction", "该申请没有发出过补正告知"))?;
            let p = vec![
                opening,
                format!("经审查，您的申请内容不明确，请补正以下内容：{}", e.detail),
                "请您自收到本告知书之日起15个工作日内补正；无正当理由逾期不补正的，视为放弃申请，本机关不再处理该政府信息公开申请。答复期限自本机关收到补正的申请之日起计算。".into(),
            ];
            ("政府信息公开申请补正告知书", p, e.day.clone())
        }
        "extension" => {
            let e =
                event("extend").ok_or_else(|| Error::new(ErrorKind::Conflict, "no_extension", "该申请没有延期答复"))?;
            let p = vec![
                opening,
                format!(
                    "因{}，依据《中华人民共和国政府信息公开条例》第三十三条第二款，经本机关政府信息公开工作机构负责人同意，答复期限延长{}个工作日，延长后的答复期限为{}。",
                    e.detail.split_once('：').map(|(_, x)| x).unwrap_or(&e.detail),
                    r.extended_days,
                    chinese_date(&r.due_date)
                ),
                "特此告知。".into(),
            ];
            ("政府信息公开申请延期答复告知书", p, e.day.clone())
        }
        other => {
            return Err(Error::bad_request(
                "invalid_letter",
                format!("文书类型“{other}”应为reply、correction或extension"),
            ))
        }
    };
    Ok(Letter {
        title: title.into(),
        reference: {
            // GK2026-0007 → 〔2026〕7号, the way organs number their outgoing letters.
            let (year, seq) = r
                .number
                .trim_start_matches(NUMBER_PREFIX)
                .split_once('-')
                .unwrap_or(("", &r.number));
            format!("依申请公开〔{year}〕{}号", seq.trim_start_matches('0'))
        },
        addressee: format!("{}：", r.applicant_name),
        paragraphs,
        organ,
        date: chinese_date(&date),
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Appeals (行政复议、行政诉讼).

pub const APPEAL_KINDS: [(&str, &str); 3] = [
    ("reconsideration", "行政复议"),
    ("litigation", "行政诉讼（未经复议直接起诉）"),
    ("litigation_after", "行政诉讼（复议后起诉）"),
];
pub const APPEAL_RESULTS: [(&str, &str); 3] =
    [("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果")];

fn may_record_appeals(s: &Session) -> Result<(), Error> {
    if matches!(s.staff.role, Role::Discloser | Role::Admin) {
        Ok(())
    } else {
        Err(Error::forbidden("只有政务公开专员可以登记行政复议、行政诉讼情况"))
    }
}

pub async fn record_appeal(
    app: &App,
    s: &Session,
    department: &str,
    kind: &str,
    request_number: &str,
    filed_on: &str,
    now: &str,
) -> Result<tongban_store::Appeal, Error> {
    may_record_appeals(s)?;
    if !APPEAL_KINDS.iter().any(|(k, _)| *k == kind) {
        return Err(Error::unprocessable(
            "invalid_appeal_kind",
            "类型应为reconsideration、litigation或litigation_after",
        ));
    }
    let filed = parse_date(filed_on)?;
    Ok(app
        .store
        .record_disclosure_appeal(
            &s.staff.region_code,
            department,
            kind,
            request_number.trim(),
            &ymd(filed),
            &s.staff.username,
            now,
        )
        .await?)
}

pub async fn decide_appeal(
    app: &App,
    s: &Session,
    id: i64,
    result: &str,
    decided_on: &str,
) -> Result<tongban_store::Appeal, Error> {
    may_record_appeals(s)?;
    if !APPEAL_RESULTS.iter().any(|(k, _)| *k == result) {
        return Err(Error::unprocessable(
            "invalid_appeal_result",
            "结果应为upheld（维持）、corrected（纠正）或other（其他结果）",
        ));
    }
    let decided = parse_date(decided_on)?;
    let a = app
        .store
        .disclosure_appeal(&s.staff.region_code, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("复议诉讼记录{id}")))?;
    if parse_day(&a.filed_on).is_some_and(|f| decided < f) {
        return Err(Error::unprocessable("invalid_date", "审结日期不能早于立案日期"));
    }
    Ok(app
        .store
        .decide_disclosure_appeal(&s.staff.region_code, id, result, &ymd(decided), &s.staff.username)
        .await?)
}

// ---------------------------------------------------------------------------------------------------------------
// The annual report.

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
const RESULT_ROWS: [(&str, &str, &str); 22] = [
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

/// The report as an XLSX workbook: one sheet in the official layout.
pub fn report_xlsx(r: &AnnualReport) -> Result<Vec<u8>, Error> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| Error::internal(e);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("年度报告").map_err(x)?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let label = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let bold = Format::new().set_bold();
    sheet.set_column_width(0, 18).map_err(x)?;
    sheet.set_column_width(1, 16).map_err(x)?;
    sheet.set_column_width(2, 36).map_err(x)?;
    for c in 3..10 {
        sheet.set_column_width(c, 12).map_err(x)?;
    }
    sheet.merge_range(0, 0, 0, 9, &r.title, &title).map_err(x)?;
    let mut row: u32 = 2;
    let para = |sheet: &mut rust_xlsxwriter::Worksheet, row: &mut u32, t: &str, f: Option<&Format>| {
        let res = match f {
            Some(f) => sheet.write_string_with_format(*row, 0, t, f).map(|_| ()),
            None => sheet.write_string(*row, 0, t).map(|_| ()),
        };
        *row += 1;
        res
    };
    para(sheet, &mut row, "一、总体情况", Some(&bold)).map_err(x)?;
    for p in &r.overview {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    row += 1;
    para(sheet, &mut row, "二、主动公开政府信息情况", Some(&bold)).map_err(x)?;
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（一）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    for (i, h) in ["本年制发件数", "本年废止件数", "现行有效件数"].iter().enumerate() {
        let c = 3 + 2 * i as u16;
        sheet.merge_range(row, c, row, c + 1, h, &head).map_err(x)?;
    }
    row += 1;
    for d in &r.documents {
        sheet.merge_range(row, 0, row, 2, &d.label, &label).map_err(x)?;
        for (i, v) in [d.issued, d.repealed, d.in_force].iter().enumerate() {
            let c = 3 + 2 * i as u16;
            sheet.merge_range(row, c, row, c + 1, "", &num).map_err(x)?;
            sheet.write_number_with_format(row, c, *v as f64, &num).map_err(x)?;
        }
        row += 1;
    }
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（五）项、第（六）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    sheet
        .merge_range(row, 3, row, 9, "本年处理决定数量", &head)
        .map_err(x)?;
    row += 1;
    for d in &r.decisions {
        sheet.merge_range(row, 0, row, 2, &d.label, &label).map_err(x)?;
        sheet.merge_range(row, 3, row, 9, "", &num).map_err(x)?;
        sheet
            .write_number_with_format(row, 3, d.count as f64, &num)
            .map_err(x)?;
        row += 1;
    }
    sheet
        .merge_range(row, 0, row, 9, "第二十条第（八）项", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "信息内容", &head).map_err(x)?;
    sheet
        .merge_range(row, 3, row, 9, "本年收费金额（单位：万元）", &head)
        .map_err(x)?;
    row += 1;
    sheet.merge_range(row, 0, row, 2, "行政事业性收费", &label).map_err(x)?;
    sheet.merge_range(row, 3, row, 9, "", &num).map_err(x)?;
    sheet
        .write_number_with_format(row, 3, r.fees_wan_yuan, &num)
        .map_err(x)?;
    row += 2;
    para(sheet, &mut row, "按政务公开标准目录主动公开信息条数", Some(&bold)).map_err(x)?;
    for (c, h) in ["一级事项", "二级事项", "目录编码", "主动公开条数"].iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *h, &head).map_err(x)?;
    }
    row += 1;
    for p in &r.published {
        sheet.write_string_with_format(row, 0, &p.level1, &label).map_err(x)?;
        sheet.write_string_with_format(row, 1, &p.level2, &label).map_err(x)?;
        sheet
            .write_string_with_format(row, 2, &p.catalog_code, &label)
            .map_err(x)?;
        sheet
            .write_number_with_format(row, 3, p.count as f64, &num)
            .map_err(x)?;
        row += 1;
    }
    sheet.merge_range(row, 0, row, 2, "合计", &head).map_err(x)?;
    sheet
        .write_number_with_format(row, 3, r.published_total as f64, &num)
        .map_err(x)?;
    row += 2;

    para(sheet, &mut row, "三、收到和处理政府信息公开申请情况", Some(&bold)).map_err(x)?;
    sheet
        .merge_range(
            row,
            0,
            row + 2,
            2,
            "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
            &head,
        )
        .map_err(x)?;
    sheet.merge_range(row, 3, row, 9, "申请人情况", &head).map_err(x)?;
    sheet.merge_range(row + 1, 3, row + 2, 3, "自然人", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 4, row + 1, 8, "法人或其他组织", &head)
        .map_err(x)?;
    for (i, h) in r.columns[1..6].iter().enumerate() {
        sheet
            .write_string_with_format(row + 2, 4 + i as u16, h, &head)
            .map_err(x)?;
    }
    sheet.merge_range(row + 1, 9, row + 2, 9, "总计", &head).map_err(x)?;
    row += 3;
    for rr in &r.requests {
        for (col, l) in (0_u16..).zip(rr.labels.iter()) {
            if let Some(l) = l {
                let (r2, c2) = (row + l.rowspan - 1, col + l.colspan as u16 - 1);
                if r2 > row || c2 > col {
                    sheet.merge_range(row, col, r2, c2, &l.text, &label).map_err(x)?;
                } else {
                    sheet.write_string_with_format(row, col, &l.text, &label).map_err(x)?;
                }
            }
        }
        for (i, v) in rr.cells.iter().enumerate() {
            sheet
                .write_number_with_format(row, 3 + i as u16, *v as f64, &num)
                .map_err(x)?;
        }
        row += 1;
    }
    row += 1;
    para(sheet, &mut row, "四、政府信息公开行政复议、行政诉讼情况", Some(&bold)).map_err(x)?;
    sheet.merge_range(row, 0, row, 4, "行政复议", &head).map_err(x)?;
    sheet.merge_range(row, 5, row, 14, "行政诉讼", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 0, row + 2, 0, "结果维持", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 1, row + 2, 1, "结果纠正", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 2, row + 2, 2, "其他结果", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 3, row + 2, 3, "尚未审结", &head)
        .map_err(x)?;
    sheet.merge_range(row + 1, 4, row + 2, 4, "总计", &head).map_err(x)?;
    sheet
        .merge_range(row + 1, 5, row + 1, 9, "未经复议直接起诉", &head)
        .map_err(x)?;
    sheet
        .merge_range(row + 1, 10, row + 1, 14, "复议后起诉", &head)
        .map_err(x)?;
    for i in 0..2u16 {
        for (j, h) in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
            .iter()
            .enumerate()
        {
            sheet
                .write_string_with_format(row + 2, 5 + i * 5 + j as u16, *h, &head)
                .map_err(x)?;
        }
    }
    for (i, v) in r.appeals.iter().enumerate() {
        sheet
            .write_number_with_format(row + 3, i as u16, *v as f64, &num)
            .map_err(x)?;
    }
    row += 5;
    para(sheet, &mut row, "五、存在的主要问题及改进情况", Some(&bold)).map_err(x)?;
    for p in &r.problems {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    row += 1;
    para(sheet, &mut row, "六、其他需要报告的事项", Some(&bold)).map_err(x)?;
    for p in &r.other_matters {
        para(sheet, &mut row, p, None).map_err(x)?;
    }
    book.save_to_buffer().map_err(x)
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
    let allowed = match s.staff.role {
        Role::Discloser | Role::Admin => true,
        Role::Head => department.is_some_and(|d| own_department(s, d)),
        _ => false,
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

/// What the applicant sees of their request (no login): the state, the deadline and the reply, no personal data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestProgress {
    pub number: String,
    pub department_name: String,
    pub state_label: String,
    pub received_on: String,
    pub due_date: String,
    pub extended_days: i64,
    pub reply_label: Option<String>,
    pub replied_on: Option<String>,
}

/// A request by its number and the last four characters of the applicant's identifier or phone; a wrong code is
/// the same "not found" as a wrong number, so that numbers cannot be probed.
pub async fn progress(app: &App, region: &str, number: &str, code: &str) -> Result<RequestProgress, Error> {
    let not_found = || Error::not_found(format!("申请“{}”（或查询码不符）", number.trim()));
    let r = app
        .store
        .disclosure_request(region, number.trim())
        .await?
        .ok_or_else(not_found)?;
    let code = code.trim().to_ascii_uppercase();
    let tail = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect::<String>()
    };
    if code.chars().count() != 4 || (tail(&r.applicant_identifier) != code && tail(&r.phone) != code) {
        return Err(not_found());
    }
    let v = request_view(app, r, false, crate::time::today());
    Ok(RequestProgress {
        number: v.number,
        department_name: v.department_name,
        state_label: v.state_label,
        received_on: v.received_on,
        due_date: v.due_date,
        extended_days: v.extended_days,
        reply_label: v.reply_label,
        replied_on: v.replied_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ground_counts_in_a_row_of_the_official_table() {
        for g in GROUNDS.iter() {
            assert!(
                RESULT_ROWS.iter().any(|(k, _, _)| *k == g.row),
                "{}/{} → {}",
                g.kind,
                g.ground,
                g.row
            );
            assert!(KIND_LABELS.iter().any(|(k, _)| *k == g.kind));
        }
        // 予以公开, 部分公开, 不予公开 ×8, 无法提供 ×3, 不予处理 ×5, 其他处理 ×3, 总计.
        let groups = |prefix: &str| RESULT_ROWS.iter().filter(|(k, _, _)| k.starts_with(prefix)).count();
        assert_eq!(
            (
                groups("withhold."),
                groups("unavailable."),
                groups("not_processed."),
                groups("other.")
            ),
            (8, 3, 5, 3)
        );
    }

    fn req(received: &str, replied: Option<&str>, kind: &str, org: &str) -> DisclosureRequest {
        DisclosureRequest {
            id: 0,
            number: String::new(),
            department_code: "zfb".into(),
            department_name: String::new(),
            applicant_kind: kind.into(),
            org_kind: org.into(),
            applicant_name: String::new(),
            applicant_identifier: String::new(),
            phone: String::new(),
            email: String::new(),
            address: String::new(),
            description: String::new(),
            purpose: String::new(),
            delivery: "email".into(),
            channel: "online".into(),
            state: if replied.is_some() { "replied" } else { "received" }.into(),
            received_on: received.into(),
            clock_start: received.into(),
            extended_days: 0,
            suspended_days: 0,
            suspended_since: None,
            due_date: String::new(),
            due_provisional: false,
            correction_on: None,
            reply_kind: replied.map(|_| "not_processed".into()),
            reply_ground: replied.map(|_| "repeated".into()),
            reply_text: String::new(),
            refer_to: String::new(),
            replied_on: replied.map(String::from),
            replied_by: None,
            filed_by: String::new(),
            version: 1,
            created_at: String::new(),
        }
    }

    #[test]
    fn the_request_table_balances_and_skips_other_years() {
        let rows = vec![
            req("2024-11-01", Some("2025-02-01"), "person", ""),
            req("2025-03-01", None, "organisation", "social"),
            req("2025-04-01", Some("2025-04-02"), "organisation", "unknown-kind"),
            req("2023-01-01", Some("2023-02-01"), "person", ""),
        ];
        let (table, balanced) = request_table(&rows, 2025);
        assert!(balanced);
        let get = |k: &str| {
            table
                .iter()
                .find(|r| r.key == k)
                .map(|r| r.cells.clone())
                .unwrap_or_default()
        };
        assert_eq!(get("new"), vec![0, 0, 0, 1, 0, 1, 2]);
        assert_eq!(get("carried_in"), vec![1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(get("not_processed.repeated"), vec![1, 0, 0, 0, 0, 1, 2]);
        assert_eq!(get("carried_out"), vec![0, 0, 0, 1, 0, 0, 1]);
        assert_eq!(table.len(), 25);
    }

    #[test]
    fn search_words_pair_long_chinese_runs() {
        assert_eq!(search_words("低保"), vec!["低保"]);
        assert_eq!(
            search_words("低保标准公告"),
            vec!["低保", "保标", "标准", "准公", "公告"]
        );
        assert_eq!(search_words("GK-13 救助"), vec!["GK-13", "救助"]);
    }
}
