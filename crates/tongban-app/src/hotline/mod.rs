//! 12345 hotline work orders (工单): intake from every channel, the dispatch–sign–reply–revisit life cycle with
//! returns, extensions, leaders' review and merging, deadlines on the shared working-day calendar, bulletins and
//! the early warnings of 未诉即办. Shared by the JSON API, the pages, Open311 and the command line.

pub mod bulletin;
pub mod cluster;
pub mod files;

use crate::time::china;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use tongban_core::ids::mask_middle;
use tongban_core::role::Role;
use tongban_store::{HotlineCategory, HotlineWarning, OrderEvent, OrderFilter, Session, StoreError, WorkOrder};

/// Kinds with their names and the default time limits in working days (广东省 rules, shared/DOMAIN.md), which a
/// deployment may change (`[hotline]` in tongban.toml, `HotlineSettings`) and a category may override.
pub const KINDS: [(&str, &str, u32); 5] = [
    ("consultation", "咨询", 2),
    ("help", "求助", 10),
    ("suggestion", "建议", 10),
    ("complaint", "投诉", 15),
    ("report", "举报", 15),
];

/// Emergencies are answered the same day: by default this many hours from receipt.
pub const EMERGENCY_HOURS: i64 = 4;

/// The deployment's hotline settings (tongban.toml `[hotline]`, `TONGBAN_HOTLINE_*`); the defaults are `KINDS`
/// and `EMERGENCY_HOURS`.
#[derive(Debug, Clone, PartialEq)]
pub struct HotlineSettings {
    /// Working days per kind (the codes of `KINDS`), used when a category sets no limit of its own.
    pub kind_days: Vec<(String, u32)>,
    /// Hours from receipt an emergency is due.
    pub emergency_hours: i64,
    /// Points accepted (Open311 lat/long and every intake): `[south, west, north, east]` in degrees; None: anywhere
    /// on the globe.
    pub bbox: Option<[f64; 4]>,
}

impl Default for HotlineSettings {
    fn default() -> Self {
        HotlineSettings {
            kind_days: KINDS.iter().map(|(k, _, d)| (k.to_string(), *d)).collect(),
            emergency_hours: EMERGENCY_HOURS,
            bbox: None,
        }
    }
}

impl HotlineSettings {
    /// The default working days of a kind (15 for a kind not configured).
    pub fn days_for(&self, kind: &str) -> u32 {
        self.kind_days
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, d)| *d)
            .unwrap_or(15)
    }

    /// "咨询2个工作日，求助10个…" for pages.
    pub fn describe(&self) -> String {
        let kinds: Vec<String> = KINDS
            .iter()
            .map(|(k, l, _)| format!("{l}{}个工作日", self.days_for(k)))
            .collect();
        format!("{}，特急{}小时", kinds.join("，"), self.emergency_hours)
    }
}

/// Checks a point: both coordinates or neither, in range, and inside the deployment's bounding box if it has one.
pub fn check_location(settings: &HotlineSettings, lat: Option<f64>, lon: Option<f64>) -> Result<(), Error> {
    match (lat, lon) {
        (None, None) => Ok(()),
        (Some(la), Some(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => match settings.bbox {
            Some([s, w, n, e]) if !(s..=n).contains(&la) || !(w..=e).contains(&lo) => Err(Error::unprocessable(
                "location_outside",
                format!("位置（纬度{la}，经度{lo}）不在本区受理范围内（纬度{s}到{n}，经度{w}到{e}）"),
            )),
            _ => Ok(()),
        },
        _ => Err(Error::unprocessable(
            "invalid_location",
            "经纬度应同时给出，纬度在−90到90之间，经度在−180到180之间",
        )),
    }
}

pub const CHANNELS: [(&str, &str); 6] = [
    ("phone", "电话"),
    ("web", "网站"),
    ("mailbox", "区长信箱"),
    ("npc", "人大代表建议"),
    ("cppcc", "政协委员提案"),
    ("open311", "Open311接口"),
];

pub const URGENCIES: [(&str, &str); 3] = [("normal", "一般"), ("urgent", "紧急"), ("emergency", "特急")];

pub const SATISFACTION: [&str; 3] = ["满意", "基本满意", "不满意"];

pub const STATES: [(&str, &str); 9] = [
    ("received", "待派单"),
    ("dispatched", "待签收"),
    ("returned", "退单待审"),
    ("handling", "办理中"),
    ("replied", "待回访"),
    ("revisited", "待办结"),
    ("review", "督办中"),
    ("closed", "已办结"),
    ("merged", "已合并"),
];

/// States in which the order is still with someone (not closed, not merged).
pub const OPEN_STATES: [&str; 7] = [
    "received",
    "dispatched",
    "returned",
    "handling",
    "replied",
    "revisited",
    "review",
];

pub fn label<'a>(table: &'a [(&'a str, &'a str)], code: &str) -> &'a str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, l, _)| *l)
        .unwrap_or("")
}

pub fn state_label(state: &str) -> &'static str {
    STATES.iter().find(|(k, _)| *k == state).map(|(_, l)| *l).unwrap_or("")
}

pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
        .ok()
        .map(|n| n.and_utc())
}

/// A stored UTC time as China local time with its offset (ISO 8601), e.g. `2026-11-28T09:05:00+08:00`.
pub fn local_iso(s: &str) -> String {
    parse_time(s)
        .map(|t| t.with_timezone(&china()).to_rfc3339())
        .unwrap_or_default()
}

/// "2026-11-28 09:05" local, for pages.
pub fn local_short(s: &str) -> String {
    parse_time(s)
        .map(|t| t.with_timezone(&china()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// The end of a local day (23:59:59 in China) as UTC.
fn end_of_local_day(d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(23, 59, 59).unwrap_or_default();
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

/// Working days allowed for a category: its own limit, else the deployment's default for its kind.
pub fn limit_days(settings: &HotlineSettings, c: &HotlineCategory) -> u32 {
    match c.limit_days {
        Some(d) if d > 0 => d as u32,
        _ => settings.days_for(&c.kind),
    }
}

/// When an order received at `at` is due: emergencies `emergency_hours` later, the others at the end of the
/// `days`-th working day after the day of receipt (day 0), on the same calendar as cases.
pub fn due_at(app: &App, at: DateTime<Utc>, urgency: &str, days: u32) -> DateTime<Utc> {
    if urgency == "emergency" {
        return at + Duration::hours(app.config.hotline.emergency_hours);
    }
    let d = app.calendar().add_working_days(local_date(at), days);
    end_of_local_day(d.date)
}

/// Moves a due time on by `days` working days (an approved extension).
fn extend_due(app: &App, due: &str, days: u32) -> String {
    let from = parse_time(due).unwrap_or_else(Utc::now);
    let d = app.calendar().add_working_days(local_date(from), days);
    time_text(end_of_local_day(d.date))
}

/// Masked phone for lists, exports and logs.
pub fn masked_phone(p: &str) -> String {
    if p.is_empty() {
        String::new()
    } else {
        mask_middle(p, 3, 4)
    }
}

/// What an intake carries, from any channel.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intake {
    /// phone, web, mailbox, npc, cppcc (open311 comes through its own API)
    pub channel: String,
    /// A leaf of the category tree
    pub category: String,
    /// normal (default), urgent or emergency
    #[serde(default)]
    pub urgency: Option<String>,
    pub title: String,
    pub content: String,
    #[serde(default)]
    pub address: String,
    /// Town (9 digits) or village (12 digits) code inside the district
    #[serde(default)]
    pub area_code: String,
    pub lat: Option<f64>,
    #[serde(alias = "long")]
    pub lon: Option<f64>,
    #[serde(default)]
    pub caller_name: String,
    #[serde(default)]
    pub caller_phone: String,
    /// Names or URLs of attached files
    #[serde(default)]
    pub attachments: Vec<String>,
}

pub async fn category(app: &App, region: &str, code: &str) -> Result<HotlineCategory, Error> {
    app.store
        .hotline_categories(region)
        .await?
        .into_iter()
        .find(|c| c.code == code && c.active && !c.department_code.is_empty())
        .ok_or_else(|| {
            Error::unprocessable(
                "unknown_category",
                format!("工单分类“{code}”不存在或不可选（应为末级分类）"),
            )
        })
}

/// Checks the place: a town or village code must lie inside the deployment's district.
pub async fn check_area(app: &App, region: &str, code: &str) -> Result<(), Error> {
    if code.is_empty() {
        return Ok(());
    }
    let inside = code.starts_with(region) && matches!(code.len(), 9 | 12);
    let known = app.store.region(code).await?.is_some();
    if !inside || !known {
        return Err(Error::unprocessable(
            "region_outside",
            format!("区划代码“{code}”不是本区（{region}）的乡镇（街道）或村（社区）"),
        ));
    }
    Ok(())
}

fn check_phone(p: &str) -> Result<String, Error> {
    let s: String = p.trim().chars().filter(|c| *c != ' ').collect();
    if s.is_empty() {
        return Ok(s);
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !(7..=15).contains(&digits) || !s.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+') {
        return Err(Error::unprocessable("invalid_phone", "来电号码应为7到15位数字"));
    }
    Ok(s)
}

/// Files an order: validates everything before writing anything, sets the deadline, then looks for a cluster the
/// new order completes.
pub async fn intake(
    app: &App,
    region: &str,
    actor: &str,
    input: Intake,
    api_client: &str,
    token: Option<String>,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    intake_with_files(app, region, actor, input, &[], api_client, token, now).await
}

/// `intake` with files handed in with the order (the phone desk's and the portal's forms): the files are checked
/// with everything else before anything is written, and recorded with the order in its transaction.
#[allow(clippy::too_many_arguments)]
pub async fn intake_with_files(
    app: &App,
    region: &str,
    actor: &str,
    input: Intake,
    uploads: &[files::Upload],
    api_client: &str,
    token: Option<String>,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    if !CHANNELS.iter().any(|(c, _)| *c == input.channel) {
        return Err(Error::unprocessable(
            "invalid_channel",
            format!(
                "受理渠道“{}”无效，应为phone、web、mailbox、npc、cppcc或open311",
                input.channel
            ),
        ));
    }
    let cat = category(app, region, &input.category).await?;
    let urgency = input.urgency.clone().unwrap_or_else(|| "normal".into());
    if !URGENCIES.iter().any(|(u, _)| *u == urgency) {
        return Err(Error::unprocessable(
            "invalid_urgency",
            "紧急程度应为normal（一般）、urgent（紧急）或emergency（特急）",
        ));
    }
    let title = input.title.trim().to_string();
    let content = input.content.trim().to_string();
    if content.is_empty() {
        return Err(Error::unprocessable("content_required", "请填写诉求内容"));
    }
    if content.chars().count() > 4000 || title.chars().count() > 100 {
        return Err(Error::unprocessable(
            "too_long",
            "标题不超过100字，诉求内容不超过4000字",
        ));
    }
    let title = if title.is_empty() {
        content.chars().take(30).collect()
    } else {
        title
    };
    check_area(app, region, input.area_code.trim()).await?;
    check_location(&app.config.hotline, input.lat, input.lon)?;
    let phone = check_phone(&input.caller_phone)?;
    files::check_uploads(app, uploads)?;
    let due = due_at(app, now, &urgency, limit_days(&app.config.hotline, &cat));
    let order = WorkOrder {
        id: 0,
        number: String::new(),
        channel: input.channel.clone(),
        category_code: cat.code.clone(),
        kind: cat.kind.clone(),
        urgency,
        title,
        content,
        address: input.address.trim().to_string(),
        area_code: input.area_code.trim().to_string(),
        lat: input.lat,
        lon: input.lon,
        caller_name: input.caller_name.trim().to_string(),
        caller_phone: phone,
        attachments: input.attachments.join("\n"),
        state: "received".into(),
        lead_department: String::new(),
        co_departments: String::new(),
        received_at: time_text(now),
        due_at: time_text(due),
        extension_requested: 0,
        extension_reason: String::new(),
        return_reason: String::new(),
        reply: String::new(),
        replied_at: None,
        resolved: None,
        satisfaction: None,
        closed_at: None,
        closing_note: String::new(),
        merged_into: None,
        returns: 0,
        extensions: 0,
        api_client: api_client.to_string(),
        token,
        version: 1,
        updated_at: time_text(now),
    };
    let day = local_date(now).format("%Y-%m-%d").to_string();
    let kept = files::keep(app, uploads, actor, now).await?;
    let saved = app.store.file_work_order(region, &day, &order, &kept, actor).await?;
    // A warning is a by-product: failing to compute one must not undo the citizen's order.
    if let Err(e) = detect_for(app, region, &saved, &cat).await {
        tracing::warn!(error = %e.message, order = %saved.number, "cluster detection failed");
    }
    Ok(saved)
}

/// Looks for a cluster around a new order among the category's orders of the last window, and raises (or widens)
/// the early warning to the category's department.
async fn detect_for(app: &App, region: &str, o: &WorkOrder, cat: &HotlineCategory) -> Result<(), Error> {
    let p = cluster::Params::default();
    let now = parse_time(&o.received_at).unwrap_or_else(Utc::now);
    let filter = OrderFilter {
        categories: vec![o.category_code.clone()],
        received_from: Some(time_text(now - Duration::seconds(p.window_seconds))),
        limit: 500,
        ..Default::default()
    };
    let (_, recent) = app.store.work_orders(region, &filter).await?;
    let recent: Vec<WorkOrder> = recent.into_iter().filter(|r| r.state != "merged").collect();
    let seg = cluster::segmenter();
    let mut places: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for r in &recent {
        if !r.area_code.is_empty() && !places.contains_key(&r.area_code) {
            let name = app
                .store
                .region(&r.area_code)
                .await?
                .map(|g| g.name)
                .unwrap_or_default();
            places.insert(r.area_code.clone(), name);
        }
    }
    let signals: Vec<cluster::Signal> = recent
        .iter()
        .map(|r| signal(seg, r, places.get(&r.area_code).map(String::as_str).unwrap_or("")))
        .collect();
    let Some(me) = recent.iter().position(|r| r.number == o.number) else {
        return Ok(());
    };
    for group in cluster::clusters(&signals, &p) {
        if !group.contains(&me) {
            continue;
        }
        let mut members: Vec<&WorkOrder> = group.iter().map(|&i| &recent[i]).collect();
        members.sort_by(|a, b| (&a.received_at, &a.number).cmp(&(&b.received_at, &b.number)));
        let numbers: Vec<String> = members.iter().map(|m| m.number.clone()).collect();
        let first = members.first().map(|m| m.received_at.clone()).unwrap_or_default();
        let last = members.last().map(|m| m.received_at.clone()).unwrap_or_default();
        let area = members
            .iter()
            .find(|m| !m.area_code.is_empty())
            .map(|m| m.area_code.clone())
            .unwrap_or_default();
        let place = match app.store.region(&area).await? {
            Some(r) => r.name,
            None => members
                .iter()
                .find(|m| !m.address.is_empty())
                .map(|m| m.address.clone())
                .unwrap_or_default(),
        };
        let summary = format!(
            "{}：{}内{}件相似诉求（{}），首件{}",
            cat.name,
            place,
            numbers.len(),
            members.first().map(|m| m.title.clone()).unwrap_or_default(),
            local_short(&first)
        );
        // Keyed by the cluster's first order, so one problem keeps one warning as later calls join it.
        let key = format!("{}|{}", cat.code, numbers[0]);
        app.store
            .raise_hotline_warning(
                region,
                &cat.department_code,
                &cat.code,
                &area,
                &numbers,
                &key,
                &summary,
                &first,
                &last,
            )
            .await?;
    }
    Ok(())
}

/// The order as the cluster detection sees it; `area_name` is the community's name, left out of the text words.
pub fn signal(seg: &tongban_search::Segmenter, o: &WorkOrder, area_name: &str) -> cluster::Signal {
    cluster::Signal {
        category: o.category_code.clone(),
        area: o.area_code.clone(),
        lat: o.lat,
        lon: o.lon,
        at: parse_time(&o.received_at).map(|t| t.timestamp()).unwrap_or(0),
        words: cluster::keywords(
            seg,
            &format!("{} {}", o.title, o.content),
            &format!("{} {area_name}", o.address),
        ),
    }
}

/// An action on an order, as the API and the pages send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// dispatch, sign, return, accept_return, reject_return, request_extension, approve_extension,
    /// reject_extension, reply, revisit, close, review_close, reopen, merge
    pub action: String,
    /// The version of the order the caller read (stale: 409)
    pub version: i64,
    /// dispatch / accept_return: the lead department's code
    pub department: Option<String>,
    /// dispatch / accept_return: co-handling departments
    #[serde(default)]
    pub co_departments: Vec<String>,
    /// return (required), request_extension (required), reject_return, reject_extension
    pub reason: Option<String>,
    /// request_extension: working days asked for (1–15)
    pub days: Option<u32>,
    /// reply: the department's answer
    pub reply: Option<String>,
    /// revisit: whether the problem was solved
    pub resolved: Option<bool>,
    /// revisit: 满意, 基本满意 or 不满意
    pub satisfaction: Option<String>,
    /// close / review_close / reopen: a note (required for review_close and reopen)
    pub note: Option<String>,
    /// merge: the number of the order this one duplicates
    pub into: Option<String>,
}

/// Who may do what in which state; the first match names the role expected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Who {
    Dispatcher,
    LeadDepartment,
    Leader,
}

const ACTIONS: [(&str, &[&str], Who); 14] = [
    ("dispatch", &["received"], Who::Dispatcher),
    ("merge", &["received", "dispatched", "returned"], Who::Dispatcher),
    ("sign", &["dispatched"], Who::LeadDepartment),
    ("return", &["dispatched", "handling"], Who::LeadDepartment),
    ("accept_return", &["returned"], Who::Dispatcher),
    ("reject_return", &["returned"], Who::Dispatcher),
    ("request_extension", &["handling"], Who::LeadDepartment),
    ("approve_extension", &["handling"], Who::Dispatcher),
    ("reject_extension", &["handling"], Who::Dispatcher),
    ("reply", &["handling"], Who::LeadDepartment),
    ("revisit", &["replied"], Who::Dispatcher),
    ("close", &["revisited"], Who::Dispatcher),
    ("review_close", &["review"], Who::Leader),
    ("reopen", &["review"], Who::Leader),
];

fn may(who: Who, s: &Session, o: &WorkOrder) -> bool {
    match who {
        Who::Dispatcher => matches!(s.staff.role, Role::Operator),
        Who::LeadDepartment => {
            s.staff.role.is_department_bound() && s.staff.department_code.as_deref() == Some(o.lead_department.as_str())
        }
        Who::Leader => matches!(s.staff.role, Role::Supervisor),
    }
}

/// The actions this caller may take on the order now (what a page offers and a 422 names).
pub fn allowed_actions(s: &Session, o: &WorkOrder) -> Vec<&'static str> {
    ACTIONS
        .iter()
        .filter(|(_, states, who)| states.contains(&o.state.as_str()) && may(*who, s, o))
        .filter(|(a, _, _)| match *a {
            "approve_extension" | "reject_extension" => o.extension_requested > 0,
            "request_extension" => o.extension_requested == 0,
            _ => true,
        })
        .map(|(a, _, _)| *a)
        .collect()
}

/// Whether the caller may read the order at all: hotline staff and leaders all of them, a department its own.
pub fn may_read(s: &Session, o: &WorkOrder) -> bool {
    match s.staff.role {
        Role::Operator | Role::Supervisor | Role::Admin => true,
        r if r.is_department_bound() => {
            let d = s.staff.department_code.as_deref().unwrap_or("");
            o.lead_department == d || o.co_departments.split(',').any(|c| c == d)
        }
        _ => false,
    }
}

/// Whether the caller sees the caller's contact whole: those who talk to the caller (operators) and the lead
/// department handling the order.
pub fn sees_contact(s: &Session, o: &WorkOrder) -> bool {
    s.staff.role == Role::Operator || may(Who::LeadDepartment, s, o)
}

pub async fn load(app: &App, s: &Session, number: &str) -> Result<WorkOrder, Error> {
    let o = app
        .store
        .work_order(&s.staff.region_code, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("工单“{number}”")))?;
    if !may_read(s, &o) {
        return Err(Error::forbidden("无权查看该工单"));
    }
    Ok(o)
}

fn need(v: &Option<String>, code: &'static str, what: &str) -> Result<String, Error> {
    match v.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Ok(t.to_string()),
        _ => Err(Error::unprocessable(code, format!("请填写{what}"))),
    }
}

async fn check_departments(app: &App, region: &str, lead: &str, co: &[String]) -> Result<String, Error> {
    let known: Vec<String> = app
        .store
        .departments(region)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    if !known.iter().any(|k| k == lead) {
        return Err(Error::unprocessable(
            "unknown_department",
            format!("承办部门“{lead}”不存在"),
        ));
    }
    let mut out = Vec::new();
    for c in co {
        let c = c.trim();
        if c.is_empty() || c == lead || out.iter().any(|o: &String| o == c) {
            continue;
        }
        if !known.iter().any(|k| k == c) {
            return Err(Error::unprocessable(
                "unknown_department",
                format!("协办部门“{c}”不存在"),
            ));
        }
        out.push(c.to_string());
    }
    Ok(out.join(","))
}

fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("工单已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

/// Applies one action: the version first (409), then the state (422 naming the allowed actions), then the role
/// (403), then the action's own inputs (422); only then is anything written, in one transaction.
pub async fn act(
    app: &App,
    s: &Session,
    number: &str,
    req: ActionRequest,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    let region = s.staff.region_code.clone();
    let o = load(app, s, number).await?;
    if req.version != o.version {
        return Err(stale(o.version));
    }
    let Some((_, states, who)) = ACTIONS.iter().find(|(a, _, _)| *a == req.action) else {
        return Err(
            Error::unprocessable("unknown_action", format!("未知的操作“{}”", req.action))
                .with_details(serde_json::json!({"allowed_actions": allowed_actions(s, &o)})),
        );
    };
    if !states.contains(&o.state.as_str()) {
        let (code, message) = match (req.action.as_str(), o.state.as_str()) {
            ("close", "replied") => ("revisit_required", "办结必访：工单须先回访才能办结".to_string()),
            ("revisit", _) => (
                "not_replied",
                format!("工单当前为“{}”，部门答复后才能回访", state_label(&o.state)),
            ),
            _ => (
                "action_not_allowed",
                format!("工单当前为“{}”，不能执行“{}”", state_label(&o.state), req.action),
            ),
        };
        return Err(Error::unprocessable(code, message)
            .with_details(serde_json::json!({"state": o.state, "allowed_actions": allowed_actions(s, &o)})));
    }
    if !may(*who, s, &o) {
        let need = match who {
            Who::Dispatcher => "12345热线话务员（派单员）",
            Who::LeadDepartment => "承办部门的工作人员",
            Who::Leader => "督办领导（效能监察）",
        };
        return Err(Error::forbidden(format!("只有{need}可以执行“{}”", req.action)));
    }
    let mut n = o.clone();
    let who_name = s.staff.username.clone();
    let mut note = String::new();
    let mut others: Vec<(WorkOrder, OrderEvent)> = Vec::new();
    match req.action.as_str() {
        "dispatch" | "accept_return" => {
            let lead = need(&req.department, "department_required", "承办部门")?;
            n.co_departments = check_departments(app, &region, &lead, &req.co_departments).await?;
            n.lead_department = lead;
            n.state = "dispatched".into();
            n.return_reason.clear();
            note = if n.co_departments.is_empty() {
                format!("派至{}", n.lead_department)
            } else {
                format!("派至{}，协办{}", n.lead_department, n.co_departments)
            };
        }
        "reject_return" => {
            note = need(&req.reason, "reason_required", "不同意退单的理由")?;
            n.state = "dispatched".into();
        }
        "sign" => n.state = "handling".into(),
        "return" => {
            let reason = need(&req.reason, "reason_required", "退单理由")?;
            n.state = "returned".into();
            n.return_reason = reason.clone();
            n.returns += 1;
            note = reason;
        }
        "request_extension" => {
            let reason = need(&req.reason, "reason_required", "延期理由")?;
            let days = req.days.unwrap_or(0);
            if !(1..=15).contains(&days) {
                return Err(Error::unprocessable("invalid_days", "延期天数应为1到15个工作日"));
            }
            if parse_time(&o.due_at).is_some_and(|d| d < now) {
                return Err(Error::unprocessable(
                    "extension_too_late",
                    "工单已超期，须在期限届满前申请延期",
                ));
            }
            n.extension_requested = i64::from(days);
            n.extension_reason = reason.clone();
            note = format!("申请延期{days}个工作日：{reason}");
        }
        "approve_extension" => {
            let days = n.extension_requested as u32;
            n.due_at = extend_due(app, &o.due_at, days);
            n.extensions += 1;
            n.extension_requested = 0;
            note = format!("同意延期{days}个工作日，新期限{}", local_short(&n.due_at));
        }
        "reject_extension" => {
            note = need(&req.reason, "reason_required", "不同意延期的理由")?;
            n.extension_requested = 0;
        }
        "reply" => {
            let reply = need(&req.reply, "reply_required", "答复内容")?;
            n.reply = reply;
            n.replied_at = Some(time_text(now));
            n.extension_requested = 0;
            n.state = "replied".into();
        }
        "revisit" => {
            let sat = need(&req.satisfaction, "satisfaction_required", "满意度")?;
            if !SATISFACTION.contains(&sat.as_str()) {
                return Err(Error::unprocessable(
                    "invalid_satisfaction",
                    "满意度应为满意、基本满意或不满意",
                ));
            }
            let Some(resolved) = req.resolved else {
                return Err(Error::unprocessable("resolved_required", "请填写诉求是否解决"));
            };
            n.resolved = Some(resolved);
            n.state = if sat == "不满意" {
                "review".into()
            } else {
                "revisited".into()
            };
            note = format!("{}，{}", if resolved { "已解决" } else { "未解决" }, sat);
            n.satisfaction = Some(sat);
        }
        "close" => {
            n.state = "closed".into();
            n.closed_at = Some(time_text(now));
            n.closing_note = req.note.clone().unwrap_or_default().trim().to_string();
            note = n.closing_note.clone();
        }
        "review_close" => {
            note = need(&req.note, "note_required", "督办意见")?;
            n.state = "closed".into();
            n.closed_at = Some(time_text(now));
            n.closing_note = note.clone();
        }
        "reopen" => {
            note = need(&req.note, "note_required", "督办意见")?;
            n.state = "handling".into();
            n.reply.clear();
            n.replied_at = None;
        }
        "merge" => {
            let into = need(&req.into, "into_required", "合并到的工单编号")?;
            if into == o.number {
                return Err(Error::unprocessable("merge_self", "不能把工单合并到它自己"));
            }
            let target = app
                .store
                .work_order(&region, &into)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_order", format!("工单“{into}”不存在")))?;
            if matches!(target.state.as_str(), "merged" | "closed") {
                return Err(Error::unprocessable(
                    "merge_target_finished",
                    format!("工单“{into}”已{}，不能再合并进来", state_label(&target.state)),
                ));
            }
            n.state = "merged".into();
            n.merged_into = Some(into.clone());
            n.closed_at = Some(time_text(now));
            note = format!("与{into}重复，合并");
            let e = OrderEvent {
                at: time_text(now),
                actor: who_name.clone(),
                action: "absorb".into(),
                from_state: target.state.clone(),
                to_state: target.state.clone(),
                department: target.lead_department.clone(),
                note: format!("合并重复工单{}", o.number),
            };
            others.push((target, e));
        }
        _ => {}
    }
    let event = OrderEvent {
        at: time_text(now),
        actor: who_name,
        action: req.action.clone(),
        from_state: o.state.clone(),
        to_state: n.state.clone(),
        department: n.lead_department.clone(),
        note,
    };
    let mut changes: Vec<(&WorkOrder, &OrderEvent)> = vec![(&n, &event)];
    for (t, e) in &others {
        changes.push((t, e));
    }
    match app.store.save_work_orders(&region, &changes).await {
        Ok(mut saved) => Ok(saved.remove(0)),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}

/// An order as the API shows it; the caller's phone masked unless the reader handles the order.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub number: String,
    pub channel: String,
    pub category: String,
    pub category_name: String,
    pub kind: String,
    pub urgency: String,
    pub title: String,
    pub content: String,
    pub address: String,
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub caller_name: String,
    pub caller_phone: String,
    pub attachments: Vec<String>,
    pub state: String,
    pub state_label: String,
    pub lead_department: String,
    pub co_departments: Vec<String>,
    pub received_at: String,
    pub due_at: String,
    pub overdue: bool,
    pub extension_requested: i64,
    pub extension_reason: String,
    pub return_reason: String,
    pub reply: String,
    pub replied_at: Option<String>,
    pub resolved: Option<bool>,
    pub satisfaction: Option<String>,
    pub closed_at: Option<String>,
    pub closing_note: String,
    pub merged_into: Option<String>,
    pub returns: i64,
    pub extensions: i64,
    pub version: i64,
    /// What the reader may do now.
    pub allowed_actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub department: String,
    pub note: String,
}

impl From<OrderEvent> for EventView {
    fn from(e: OrderEvent) -> EventView {
        EventView {
            at: local_iso(&e.at),
            actor: e.actor,
            action: e.action,
            from_state: e.from_state,
            to_state: e.to_state,
            department: e.department,
            note: e.note,
        }
    }
}

pub fn is_overdue(o: &WorkOrder, now: DateTime<Utc>) -> bool {
    let due = parse_time(&o.due_at);
    match o.state.as_str() {
        "closed" | "merged" => false,
        "replied" | "revisited" | "review" => {
            due.is_some_and(|d| o.replied_at.as_deref().and_then(parse_time).is_some_and(|r| r > d))
        }
        _ => due.is_some_and(|d| d < now),
    }
}

pub fn view(o: &WorkOrder, reader: Option<&Session>, categories: &[HotlineCategory], now: DateTime<Utc>) -> OrderView {
    let whole = reader.is_some_and(|s| sees_contact(s, o));
    OrderView {
        number: o.number.clone(),
        channel: o.channel.clone(),
        category: o.category_code.clone(),
        category_name: categories
            .iter()
            .find(|c| c.code == o.category_code)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        kind: o.kind.clone(),
        urgency: o.urgency.clone(),
        title: o.title.clone(),
        content: o.content.clone(),
        address: o.address.clone(),
        area_code: o.area_code.clone(),
        lat: o.lat,
        lon: o.lon,
        caller_name: if whole {
            o.caller_name.clone()
        } else {
            mask_middle(&o.caller_name, 1, 0)
        },
        caller_phone: if whole {
            o.caller_phone.clone()
        } else {
            masked_phone(&o.caller_phone)
        },
        attachments: o
            .attachments
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        state: o.state.clone(),
        state_label: state_label(&o.state).into(),
        lead_department: o.lead_department.clone(),
        co_departments: o
            .co_departments
            .split(',')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect(),
        received_at: local_iso(&o.received_at),
        due_at: local_iso(&o.due_at),
        overdue: is_overdue(o, now),
        extension_requested: o.extension_requested,
        extension_reason: o.extension_reason.clone(),
        return_reason: o.return_reason.clone(),
        reply: o.reply.clone(),
        replied_at: o.replied_at.as_deref().map(local_iso),
        resolved: o.resolved,
        satisfaction: o.satisfaction.clone(),
        closed_at: o.closed_at.as_deref().map(local_iso),
        closing_note: o.closing_note.clone(),
        merged_into: o.merged_into.clone(),
        returns: o.returns,
        extensions: o.extensions,
        version: o.version,
        allowed_actions: reader
            .map(|s| allowed_actions(s, o).into_iter().map(String::from).collect())
            .unwrap_or_default(),
    }
}

/// The orders a staff member works on, by role: the dispatcher's queue (received and returned, pending
/// extensions, replied for revisit, revisited for closing), a department's inbox, the leaders' review queue.
pub async fn worklist(app: &App, s: &Session, list: &str) -> Result<Vec<WorkOrder>, Error> {
    let region = &s.staff.region_code;
    let mut f = OrderFilter {
        limit: 500,
        ..Default::default()
    };
    match list {
        "dispatch" => f.states = vec!["received".into(), "returned".into()],
        "extensions" => f.states = vec!["handling".into()],
        "revisit" => f.states = vec!["replied".into(), "revisited".into()],
        "review" => f.states = vec!["review".into()],
        "inbox" => {
            let Some(d) = s.staff.department_code.clone() else {
                return Ok(Vec::new());
            };
            f.department = Some(d);
            f.include_co = true;
            f.states = vec!["dispatched".into(), "handling".into(), "returned".into()];
        }
        _ => {
            return Err(Error::bad_request(
                "invalid_list",
                "list应为dispatch、extensions、revisit、review或inbox",
            ))
        }
    }
    let (_, mut orders) = app.store.work_orders(region, &f).await?;
    if list == "extensions" {
        orders.retain(|o| o.extension_requested > 0);
    }
    orders.retain(|o| may_read(s, o));
    orders.sort_by(|a, b| a.due_at.cmp(&b.due_at));
    Ok(orders)
}

/// Who works on a list.
pub fn may_see_list(s: &Session, list: &str) -> bool {
    match list {
        "dispatch" | "extensions" | "revisit" => {
            matches!(s.staff.role, Role::Operator | Role::Admin | Role::Supervisor)
        }
        "review" => matches!(s.staff.role, Role::Supervisor | Role::Admin | Role::Operator),
        "inbox" => s.staff.role.is_department_bound(),
        _ => false,
    }
}

/// A category as an administrator sets it (API body and the categories page).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    pub name: String,
    /// Empty for a top-level group
    #[serde(default)]
    pub parent_code: String,
    /// consultation, help, suggestion, complaint or report
    pub kind: String,
    /// Default department; empty for a group (orders are filed under leaves)
    #[serde(default)]
    pub department_code: String,
    /// Working days (1–60); omitted: the kind's default
    pub limit_days: Option<i64>,
    #[serde(default)]
    pub keywords: String,
    #[serde(default)]
    pub position: i64,
    pub active: Option<bool>,
}

/// Creates or changes a category of the tree (administrators only). Checked before anything is written: code
/// and name, kind (422 `invalid_kind`), department (`unknown_department`), parent (`unknown_parent`; a parent
/// under the category itself: `category_cycle`), time limit 1–60 (`invalid_limit`). Saved with its audit entry.
pub async fn save_category(app: &App, s: &Session, code: &str, c: CategoryIn) -> Result<HotlineCategory, Error> {
    if s.staff.role != Role::Admin {
        return Err(Error::forbidden("只有系统管理员可以设置工单分类"));
    }
    let region = &s.staff.region_code;
    let code = code.trim();
    if code.is_empty() || c.name.trim().is_empty() {
        return Err(Error::unprocessable("invalid_category", "分类编码和名称不能为空"));
    }
    if code.chars().count() > 40
        || !code
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
    {
        return Err(Error::unprocessable(
            "invalid_category",
            "分类编码应为不超过40位的字母、数字、“-”或“_”",
        ));
    }
    if !KINDS.iter().any(|(k, _, _)| *k == c.kind) {
        return Err(Error::unprocessable(
            "invalid_kind",
            format!(
                "类型“{}”无效，应为consultation（咨询）、help（求助）、suggestion（建议）、complaint（投诉）或report（举报）",
                c.kind
            ),
        ));
    }
    let department = c.department_code.trim().to_string();
    if !department.is_empty()
        && !app
            .store
            .departments(region)
            .await?
            .iter()
            .any(|d| d.code == department)
    {
        return Err(Error::unprocessable(
            "unknown_department",
            format!("部门“{department}”不存在"),
        ));
    }
    if let Some(d) = c.limit_days {
        if !(1..=60).contains(&d) {
            return Err(Error::unprocessable(
                "invalid_limit",
                format!("办理时限应为1到60个工作日（填写的是{d}）"),
            ));
        }
    }
    let parent = c.parent_code.trim().to_string();
    if !parent.is_empty() {
        let all = app.store.hotline_categories(region).await?;
        if !all.iter().any(|p| p.code == parent) {
            return Err(Error::unprocessable(
                "unknown_parent",
                format!("上级分类“{parent}”不存在"),
            ));
        }
        // Walk up from the new parent: reaching the category itself would close a loop.
        let mut at = parent.clone();
        let mut steps = 0;
        loop {
            if at == code {
                return Err(Error::unprocessable(
                    "category_cycle",
                    format!("不能把“{parent}”设为“{code}”的上级：“{parent}”是“{code}”本身或它的下级，分类树会形成环"),
                ));
            }
            steps += 1;
            match all.iter().find(|p| p.code == at) {
                Some(p) if !p.parent_code.is_empty() && steps <= all.len() => at = p.parent_code.clone(),
                _ => break,
            }
        }
    }
    let cat = HotlineCategory {
        code: code.to_string(),
        name: c.name.trim().to_string(),
        parent_code: parent,
        kind: c.kind,
        department_code: department,
        limit_days: c.limit_days,
        keywords: c.keywords.trim().to_string(),
        position: c.position,
        active: c.active.unwrap_or(true),
    };
    app.store
        .upsert_hotline_category(region, &cat, &s.staff.username)
        .await?;
    Ok(cat)
}

/// Who may take an early warning on: staff of the department it was raised to, and the hotline (operators,
/// supervisors) for it.
pub fn may_acknowledge(s: &Session, w: &HotlineWarning) -> bool {
    matches!(s.staff.role, Role::Operator | Role::Supervisor)
        || (s.staff.role.is_department_bound()
            && s.staff.department_code.as_deref() == Some(w.department_code.as_str()))
}

/// Acknowledges a 未诉即办 warning with what will be done (required, 422 `note_required`): unknown or another
/// district's warning 404, not the caller's to take 403, already acknowledged 409 `already_acknowledged`.
pub async fn acknowledge_warning(app: &App, s: &Session, id: i64, note: &str) -> Result<HotlineWarning, Error> {
    let region = &s.staff.region_code;
    let w = app
        .store
        .hotline_warning(region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("预警{id}")))?;
    if !may_acknowledge(s, &w) {
        return Err(Error::forbidden(
            "只有预警所指向的部门或12345热线话务员、督办领导可以认领预警",
        ));
    }
    let already = |by: &str| {
        Error::new(
            ErrorKind::Conflict,
            "already_acknowledged",
            format!("预警{id}已由{by}认领"),
        )
    };
    if let Some(by) = &w.acknowledged_by {
        return Err(already(by));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::unprocessable("note_required", "请填写拟采取的处置措施"));
    }
    if note.chars().count() > 1000 {
        return Err(Error::unprocessable("too_long", "处置措施不超过1000字"));
    }
    match app
        .store
        .acknowledge_hotline_warning(region, id, &s.staff.username, note)
        .await
    {
        Ok(w) => Ok(w),
        Err(StoreError::Conflict(_)) => {
            let by = app
                .store
                .hotline_warning(region, id)
                .await?
                .and_then(|w| w.acknowledged_by)
                .unwrap_or_default();
            Err(already(&by))
        }
        Err(e) => Err(e.into()),
    }
}

/// Makes a new Open311 API key: returns the key (shown once) after storing its hash.
pub async fn add_api_key(app: &App, region: &str, name: &str, actor: &str) -> Result<String, Error> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(Error::unprocessable("invalid_name", "密钥名称应为1到60个字"));
    }
    let key = new_api_key();
    app.store.add_open311_key(region, name, &hash_key(&key), actor).await?;
    Ok(key)
}

pub fn new_api_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.trim().as_bytes()))
}
