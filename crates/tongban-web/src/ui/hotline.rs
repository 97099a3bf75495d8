//! 12345 hotline pages: the operator's intake form and worklists (dispatch, extensions, revisit), a department's
//! inbox, the leaders' review queue, the order page with the caller's allowed actions, the bulletin with its XLSX,
//! the early warnings, the Open311 key administration, and the public request / mayor's-mailbox form.
//!
//! The public form carries no CSRF token: it needs no session and grants nothing the public API does not.

use super::{error_page, filters, render, url_escape, Layout};
use crate::auth::WebUser;
use crate::error::HttpError;
use crate::extract::StaffForm;
use crate::state::AppState;
use crate::upload::FormWithFiles;
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::Deserialize;
use tongban_app::hotline::bulletin::{self, pct_text, Bulletin};
use tongban_app::hotline::files;
use tongban_app::hotline::{self, ActionRequest, Intake, CHANNELS, SATISFACTION, URGENCIES};
use tongban_app::policy::{self, Capability};
use tongban_app::{Error, ErrorKind};
use tongban_store::{Department, HotlineCategory, HotlineWarning, Open311Key, Session, WorkOrder};

pub fn router() -> Router<AppState> {
    // Forms that carry files take bodies as large as the API's uploads.
    let files = || DefaultBodyLimit::max(crate::IMPORT_BODY_LIMIT);
    Router::new()
        .route("/hotline", get(public_form).post(public_submit).layer(files()))
        .route("/hotline/progress", get(progress_page))
        .route("/staff/hotline", get(worklist_page))
        .route("/staff/hotline/new", get(new_form).post(new_submit).layer(files()))
        .route("/staff/hotline/orders/{number}", get(order_page).post(order_submit))
        .route(
            "/staff/hotline/orders/{number}/files",
            post(files_submit).layer(files()),
        )
        .route("/staff/hotline/orders/{number}/files/{sha256}", get(file_download))
        .route("/staff/hotline/bulletin", get(bulletin_page))
        .route("/staff/hotline/bulletin.xlsx", get(bulletin_xlsx))
        .route("/staff/hotline/warnings", get(warnings_page).post(warnings_submit))
        .route(
            "/staff/hotline/categories",
            get(categories_page).post(categories_submit),
        )
        .route("/staff/hotline/keys", get(keys_page).post(keys_submit))
}

/// One order in a list: phone masked, times local.
pub struct Row {
    pub number: String,
    pub received: String,
    pub category: String,
    pub title: String,
    pub department: String,
    pub state: String,
    pub due: String,
    pub overdue: bool,
    pub phone: String,
    pub note: String,
}

fn row(o: &WorkOrder, cats: &[HotlineCategory], now: chrono::DateTime<Utc>) -> Row {
    Row {
        number: o.number.clone(),
        received: hotline::local_short(&o.received_at),
        category: cats
            .iter()
            .find(|c| c.code == o.category_code)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        title: o.title.clone(),
        department: o.lead_department.clone(),
        state: hotline::state_label(&o.state).into(),
        due: hotline::local_short(&o.due_at),
        overdue: hotline::is_overdue(o, now),
        phone: policy::mask::phone(&o.caller_phone),
        note: if o.extension_requested > 0 {
            format!("申请延期{}个工作日：{}", o.extension_requested, o.extension_reason)
        } else if o.state == "returned" {
            format!("退单理由：{}", o.return_reason)
        } else if let Some(s) = &o.satisfaction {
            s.clone()
        } else {
            String::new()
        },
    }
}

#[derive(Template)]
#[template(path = "hotline_list.html")]
struct ListPage {
    layout: Layout,
    lists: Vec<(&'static str, &'static str)>,
    current: String,
    heading: String,
    rows: Vec<Row>,
    operator: bool,
    admin: bool,
    msg: String,
}

#[derive(Deserialize)]
struct ListQuery {
    list: Option<String>,
    msg: Option<String>,
}

fn lists_for(s: &Session) -> Vec<(&'static str, &'static str)> {
    [
        ("dispatch", "待派单与退单审核"),
        ("extensions", "延期审批"),
        ("revisit", "待回访与待办结"),
        ("review", "督办（不满意）"),
        ("inbox", "部门待办"),
    ]
    .into_iter()
    .filter(|(l, _)| policy::may_see_order_list(s, l))
    .collect()
}

async fn worklist_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<ListQuery>) -> Response {
    let lists = lists_for(&s);
    let Some(first) = lists.first() else {
        return error_page(Error::forbidden("12345热线工作台仅供话务员、承办部门和督办领导使用"));
    };
    let current = q.list.unwrap_or_else(|| first.0.to_string());
    if !policy::may_see_order_list(&s, &current) {
        return error_page(Error::forbidden("无权查看该工单列表"));
    }
    let orders = match hotline::worklist(&state, &s, &current).await {
        Ok(o) => o,
        Err(e) => return error_page(e),
    };
    let cats = hotline::categories(&state, &s.staff.region_code)
        .await
        .unwrap_or_default();
    let now = Utc::now();
    let heading = lists
        .iter()
        .find(|(l, _)| *l == current)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default();
    render(&ListPage {
        layout: Layout::new("12345热线", Some(&s)),
        heading,
        lists,
        current,
        rows: orders.iter().map(|o| row(o, &cats, now)).collect(),
        operator: policy::allows(&s.staff, Capability::TakeHotlineCalls),
        admin: policy::allows(&s.staff, Capability::ConfigureHotline),
        msg: q.msg.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "hotline_new.html")]
struct NewPage {
    layout: Layout,
    categories: Vec<(String, String)>,
    channels: Vec<(&'static str, &'static str)>,
    urgencies: Vec<(&'static str, &'static str)>,
    areas: Vec<(String, String)>,
    form: NewOrderForm,
    error: String,
    limits: String,
    max_files: usize,
}

#[derive(Deserialize, Default)]
struct NewOrderForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
    #[serde(default)]
    caller_name: String,
    #[serde(default)]
    caller_phone: String,
}

/// Leaves as "group / name", for the select.
fn leaf_options(cats: &[HotlineCategory]) -> Vec<(String, String)> {
    cats.iter()
        .filter(|c| c.active && !c.department_code.is_empty())
        .map(|c| {
            let group = cats
                .iter()
                .find(|p| p.code == c.parent_code)
                .map(|p| p.name.as_str())
                .unwrap_or("");
            (
                c.code.clone(),
                format!("{group} / {}（{}）", c.name, hotline::kind_label(&c.kind)),
            )
        })
        .collect()
}

/// Towns and their villages of the district, for the place select.
async fn areas(state: &AppState, region: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for town in tongban_app::catalog::region_children(state, region)
        .await
        .unwrap_or_default()
    {
        out.push((town.code.clone(), town.name.clone()));
        for v in tongban_app::catalog::region_children(state, &town.code)
            .await
            .unwrap_or_default()
        {
            out.push((v.code, format!("{} {}", town.name, v.name)));
        }
    }
    out
}

async fn new_view(state: &AppState, s: &Session, form: NewOrderForm, error: String) -> Response {
    let cats = hotline::categories(state, &s.staff.region_code)
        .await
        .unwrap_or_default();
    render(&NewPage {
        layout: Layout::new("登记工单", Some(s)),
        categories: leaf_options(&cats),
        channels: CHANNELS.iter().copied().filter(|(c, _)| *c != "open311").collect(),
        urgencies: URGENCIES.to_vec(),
        areas: areas(state, &s.staff.region_code).await,
        form,
        error,
        limits: state.config.hotline.describe(),
        max_files: files::MAX_FILES,
    })
}

async fn new_form(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::TakeHotlineCalls) {
        return error_page(e);
    }
    let form = NewOrderForm {
        channel: "phone".into(),
        urgency: "normal".into(),
        ..Default::default()
    };
    new_view(&state, &s, form, String::new()).await
}

fn opt_f64(s: &str) -> Result<Option<f64>, Error> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim()
        .parse()
        .map(Some)
        .map_err(|_| Error::unprocessable("invalid_location", "经纬度应为数字"))
}

async fn new_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    form: Result<FormWithFiles<NewOrderForm>, HttpError>,
) -> Response {
    let FormWithFiles {
        form: f,
        files: uploads,
    } = match form {
        Ok(x) => x,
        Err(e) => return error_page(e.0),
    };
    if !tongban_app::auth::same_secret(&s.csrf_token, &f.csrf) {
        return error_page(Error::forbidden("表单已过期，请刷新页面后重试"));
    }
    if let Err(e) = policy::require(&s.staff, Capability::TakeHotlineCalls) {
        return error_page(e);
    }
    let (lat, lon) = match (opt_f64(&f.lat), opt_f64(&f.lon)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return new_view(&state, &s, f, e.message).await,
    };
    let input = Intake {
        channel: f.channel.clone(),
        category: f.category.clone(),
        urgency: Some(f.urgency.clone()).filter(|u| !u.is_empty()),
        title: f.title.clone(),
        content: f.content.clone(),
        address: f.address.clone(),
        area_code: f.area_code.clone(),
        lat,
        lon,
        caller_name: f.caller_name.clone(),
        caller_phone: f.caller_phone.clone(),
        attachments: Vec::new(),
    };
    match hotline::intake_with_files(
        &state,
        &s.staff.region_code,
        &s.staff.username,
        input,
        &uploads,
        "",
        None,
        Utc::now(),
    )
    .await
    {
        Ok(o) => Redirect::to(&format!("/staff/hotline/orders/{}", o.number)).into_response(),
        Err(e) => new_view(&state, &s, f, e.message).await,
    }
}

struct EventRow {
    at: String,
    actor: String,
    action: String,
    to_state: String,
    note: String,
}

#[derive(Template)]
#[template(path = "hotline_order.html")]
struct OrderPage {
    layout: Layout,
    o: hotline::OrderView,
    received: String,
    due: String,
    events: Vec<EventRow>,
    allowed: Vec<String>,
    departments: Vec<Department>,
    /// The department the order's category goes to, preselected for dispatch.
    suggested: String,
    satisfaction: Vec<&'static str>,
    channel: String,
    kind: String,
    error: String,
    msg: String,
    files: Vec<FileRow>,
    may_attach: bool,
    max_files: usize,
}

struct FileRow {
    name: String,
    sha256: String,
    size: String,
    content_type: String,
    uploaded_by: String,
    uploaded_at: String,
}

fn size_text(n: i64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (n + 1023) / 1024)
    }
}

#[derive(Deserialize)]
struct OrderQuery {
    msg: Option<String>,
}

async fn order_view(state: &AppState, s: &Session, number: &str, msg: String, error: String) -> Response {
    let hotline::OrderRecord {
        order: o,
        events,
        files: order_files,
    } = match hotline::order_record(state, s, number).await {
        Ok(r) => r,
        Err(e) => return error_page(e),
    };
    let cats = hotline::categories(state, &s.staff.region_code)
        .await
        .unwrap_or_default();
    let view = hotline::view(&o, Some(s), &cats, Utc::now());
    // Who acted, by name (staff) rather than by login.
    let names = tongban_app::staff::display_names(state, &s.staff.region_code)
        .await
        .unwrap_or_default();
    let suggested = hotline::suggested_department(&cats, &o).unwrap_or_default();
    let may_attach = policy::may_attach_to_order(s, &o) && !matches!(o.state.as_str(), "closed" | "merged");
    render(&OrderPage {
        layout: Layout::new(format!("工单{}", o.number), Some(s)),
        received: hotline::local_short(&o.received_at),
        due: hotline::local_short(&o.due_at),
        channel: hotline::label(&CHANNELS, &o.channel).into(),
        kind: hotline::kind_label(&o.kind).into(),
        allowed: view.allowed_actions.clone(),
        o: view,
        events: events
            .into_iter()
            .map(|e| EventRow {
                at: hotline::local_short(&e.at),
                actor: names.get(&e.actor).cloned().unwrap_or(e.actor),
                action: hotline::event_label(&e.action).into(),
                to_state: hotline::state_label(&e.to_state).into(),
                note: e.note,
            })
            .collect(),
        departments: tongban_app::catalog::departments(state, &s.staff.region_code)
            .await
            .unwrap_or_default(),
        suggested,
        satisfaction: SATISFACTION.to_vec(),
        error,
        msg,
        files: order_files
            .into_iter()
            .map(|f| FileRow {
                size: size_text(f.size),
                uploaded_at: hotline::local_short(&f.uploaded_at),
                name: f.name,
                sha256: f.sha256,
                content_type: f.content_type,
                uploaded_by: f.uploaded_by,
            })
            .collect(),
        may_attach,
        max_files: files::MAX_FILES,
    })
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn files_submit(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(number): Path<String>,
    form: Result<FormWithFiles<CsrfForm>, HttpError>,
) -> Response {
    let FormWithFiles {
        form: f,
        files: uploads,
    } = match form {
        Ok(x) => x,
        Err(e) => return order_view(&state, &s, &number, String::new(), e.0.message).await,
    };
    if !tongban_app::auth::same_secret(&s.csrf_token, &f.csrf) {
        return error_page(Error::forbidden("表单已过期，请刷新页面后重试"));
    }
    match files::attach(&state, &s, &number, &uploads, Utc::now()).await {
        Ok(_) => {
            let msg = format!("已上传{}个附件", uploads.len());
            Redirect::to(&format!("/staff/hotline/orders/{number}?msg={}", url_escape(&msg))).into_response()
        }
        Err(e) if e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::NotFound => error_page(e),
        Err(e) => order_view(&state, &s, &number, String::new(), e.message).await,
    }
}

async fn file_download(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((number, sha256)): Path<(String, String)>,
) -> Response {
    match files::download(&state, &s, &number, &sha256).await {
        Ok((f, bytes)) => crate::upload::download(&f.name, &f.sha256, &f.content_type, bytes),
        Err(e) => error_page(e),
    }
}

async fn order_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(number): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Response {
    order_view(&state, &s, &number, q.msg.unwrap_or_default(), String::new()).await
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    version: i64,
    #[serde(default)]
    department: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    reply: String,
    #[serde(default)]
    resolved: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    into: String,
    /// The co-handling departments' boxes, `co-<code>`.
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

async fn order_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    StaffForm(s, f): StaffForm<ActForm>,
) -> Response {
    let req = ActionRequest {
        action: f.action.clone(),
        version: f.version,
        department: some(&f.department),
        co_departments: f
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("co-"))
            .map(String::from)
            .collect(),
        reason: some(&f.reason),
        days: f.days.trim().parse().ok(),
        reply: some(&f.reply),
        resolved: match f.resolved.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        satisfaction: some(&f.satisfaction),
        note: some(&f.note),
        into: some(&f.into),
    };
    match hotline::act(&state, &s, &number, req, Utc::now()).await {
        Ok(o) => {
            let department = tongban_app::catalog::department(&state, &s.staff.region_code, &o.lead_department)
                .await
                .ok()
                .flatten()
                .map(|d| d.name)
                .unwrap_or_default();
            let msg = format!(
                "已{}。{}",
                hotline::event_label(&f.action),
                tongban_app::todo::order_next_step_sentence(&o, &department)
            );
            Redirect::to(&format!("/staff/hotline/orders/{number}?msg={}", url_escape(&msg))).into_response()
        }
        Err(e) if e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::NotFound => error_page(e),
        Err(e) => order_view(&state, &s, &number, String::new(), e.message).await,
    }
}

#[derive(Template)]
#[template(path = "hotline_bulletin.html")]
struct BulletinPage {
    layout: Layout,
    b: Bulletin,
    dissatisfied: Vec<Row>,
    overdue: Vec<Row>,
    department_view: bool,
}

impl BulletinPage {
    fn pct(&self, v: &Option<f64>) -> String {
        pct_text(v)
    }
}

#[derive(Deserialize)]
struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

async fn bulletin_data(
    state: &AppState,
    s: &Session,
    q: &PeriodForm,
) -> Result<(Bulletin, Vec<WorkOrder>, Vec<WorkOrder>), Error> {
    if !policy::allows(&s.staff, Capability::ReadHotlineBulletins) {
        return Err(Error::forbidden("无权查看热线通报"));
    }
    let (from, to) = bulletin::period(q.from.as_deref(), q.to.as_deref())?;
    let region = &s.staff.region_code;
    let b = bulletin::bulletin(state, region, from, to).await?;
    let dept = s
        .staff
        .role
        .is_department_bound()
        .then(|| s.staff.department_code.clone().unwrap_or_default());
    let mut dis = bulletin::dissatisfied(state, region, from, to).await?;
    if let Some(d) = &dept {
        dis.retain(|o| &o.lead_department == d);
    }
    let over = bulletin::overdue(state, region, dept.as_deref(), Utc::now()).await?;
    Ok((b, dis, over))
}

async fn bulletin_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<PeriodForm>) -> Response {
    match bulletin_data(&state, &s, &q).await {
        Ok((b, dis, over)) => {
            let cats = hotline::categories(&state, &s.staff.region_code)
                .await
                .unwrap_or_default();
            let now = Utc::now();
            render(&BulletinPage {
                layout: Layout::new("热线通报", Some(&s)),
                b,
                dissatisfied: dis.iter().map(|o| row(o, &cats, now)).collect(),
                overdue: over.iter().map(|o| row(o, &cats, now)).collect(),
                department_view: s.staff.role.is_department_bound(),
            })
        }
        Err(e) => error_page(e),
    }
}

async fn bulletin_xlsx(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<PeriodForm>) -> Response {
    let (b, dis, over) = match bulletin_data(&state, &s, &q).await {
        Ok(x) => x,
        Err(e) => return error_page(e),
    };
    match bulletin::xlsx(&b, &dis, &over) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"hotline-bulletin-{}-{}.xlsx\"", b.from, b.to),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "hotline_warnings.html")]
struct WarningsPage {
    layout: Layout,
    open: Vec<WarningRow>,
    acknowledged: Vec<WarningRow>,
    error: String,
    msg: String,
}

struct WarningRow {
    w: HotlineWarning,
    raised: String,
    acknowledged: String,
    may_acknowledge: bool,
}

#[derive(Deserialize)]
struct WarningsQuery {
    msg: Option<String>,
}

#[derive(Deserialize)]
struct AcknowledgeForm {
    #[serde(default)]
    id: i64,
    #[serde(default)]
    note: String,
}

async fn warnings_view(state: &AppState, s: &Session, msg: String, error: String) -> Response {
    match hotline::warnings(state, s).await {
        Ok(warnings) => {
            let (acknowledged, open): (Vec<WarningRow>, Vec<WarningRow>) = warnings
                .into_iter()
                .map(|w| WarningRow {
                    raised: hotline::local_short(&w.raised_at),
                    acknowledged: w
                        .acknowledged_at
                        .as_deref()
                        .map(hotline::local_short)
                        .unwrap_or_default(),
                    may_acknowledge: policy::may_acknowledge_warning(s, &w),
                    w,
                })
                .partition(|r| r.w.acknowledged_by.is_some());
            render(&WarningsPage {
                layout: Layout::new("未诉即办预警", Some(s)),
                open,
                acknowledged,
                error,
                msg,
            })
        }
        Err(e) => error_page(e),
    }
}

async fn warnings_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<WarningsQuery>) -> Response {
    warnings_view(&state, &s, q.msg.unwrap_or_default(), String::new()).await
}

async fn warnings_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<AcknowledgeForm>) -> Response {
    match hotline::acknowledge_warning(&state, &s, f.id, &f.note).await {
        Ok(w) => {
            let msg = format!("已认领预警{}", w.id);
            Redirect::to(&format!("/staff/hotline/warnings?msg={}", url_escape(&msg))).into_response()
        }
        Err(e) if e.kind == ErrorKind::Forbidden || e.kind == ErrorKind::NotFound => error_page(e),
        Err(e) => warnings_view(&state, &s, String::new(), e.message).await,
    }
}

#[derive(Template)]
#[template(path = "hotline_categories.html")]
struct CategoriesPage {
    layout: Layout,
    rows: Vec<CategoryRow>,
    kinds: Vec<(&'static str, &'static str, u32)>,
    departments: Vec<Department>,
    groups: Vec<(String, String)>,
    form: CategoryForm,
    editing: bool,
    error: String,
    msg: String,
}

struct CategoryRow {
    c: HotlineCategory,
    /// Full-width spaces showing the depth in the tree.
    indent: String,
    kind: &'static str,
    department: String,
    limit: String,
}

#[derive(Deserialize, Default)]
struct CategoryForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    parent_code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    department_code: String,
    #[serde(default)]
    limit_days: String,
    #[serde(default)]
    keywords: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    active: String,
}

#[derive(Deserialize)]
struct CategoriesQuery {
    edit: Option<String>,
    msg: Option<String>,
}

/// The tree in display order: each group followed by its children, depth first; orphans last.
fn tree_order(cats: &[HotlineCategory]) -> Vec<(usize, &HotlineCategory)> {
    fn walk<'a>(cats: &'a [HotlineCategory], parent: &str, depth: usize, out: &mut Vec<(usize, &'a HotlineCategory)>) {
        for c in cats.iter().filter(|c| c.parent_code == parent) {
            if out.iter().any(|(_, o)| o.code == c.code) || depth > cats.len() {
                continue;
            }
            out.push((depth, c));
            walk(cats, &c.code, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(cats, "", 0, &mut out);
    for c in cats {
        if !out.iter().any(|(_, o)| o.code == c.code) {
            out.push((0, c));
        }
    }
    out
}

async fn categories_view(
    state: &AppState,
    s: &Session,
    form: CategoryForm,
    editing: bool,
    msg: String,
    error: String,
) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ConfigureHotline) {
        return error_page(e);
    }
    let region = &s.staff.region_code;
    let cats = match hotline::categories(state, region).await {
        Ok(c) => c,
        Err(e) => return error_page(e),
    };
    let departments = tongban_app::catalog::departments(state, region)
        .await
        .unwrap_or_default();
    let rows = tree_order(&cats)
        .into_iter()
        .map(|(depth, c)| CategoryRow {
            indent: "　　".repeat(depth),
            kind: hotline::kind_label(&c.kind),
            department: departments
                .iter()
                .find(|d| d.code == c.department_code)
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            limit: match c.limit_days {
                Some(d) if d > 0 => format!("{d}个工作日"),
                _ => format!("{}个工作日（类型默认）", hotline::limit_days(&state.config.hotline, c)),
            },
            c: c.clone(),
        })
        .collect();
    let groups = cats
        .iter()
        .filter(|c| c.department_code.is_empty())
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect();
    let kinds = hotline::KINDS
        .iter()
        .map(|(k, l, _)| (*k, *l, state.config.hotline.days_for(k)))
        .collect();
    render(&CategoriesPage {
        layout: Layout::new("工单分类", Some(s)),
        rows,
        kinds,
        departments,
        groups,
        form,
        editing,
        error,
        msg,
    })
}

async fn categories_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<CategoriesQuery>,
) -> Response {
    let mut form = CategoryForm {
        kind: "help".into(),
        active: "1".into(),
        position: "0".into(),
        ..Default::default()
    };
    let mut editing = false;
    if let Some(code) = q.edit.as_deref().filter(|c| !c.is_empty()) {
        let cats = hotline::categories(&state, &s.staff.region_code)
            .await
            .unwrap_or_default();
        let Some(c) = cats.into_iter().find(|c| c.code == code) else {
            return error_page(Error::not_found(format!("工单分类“{code}”")));
        };
        editing = true;
        form = CategoryForm {
            code: c.code,
            name: c.name,
            parent_code: c.parent_code,
            kind: c.kind,
            department_code: c.department_code,
            limit_days: c.limit_days.map(|d| d.to_string()).unwrap_or_default(),
            keywords: c.keywords,
            position: c.position.to_string(),
            active: if c.active { "1".into() } else { String::new() },
        };
    }
    categories_view(&state, &s, form, editing, q.msg.unwrap_or_default(), String::new()).await
}

async fn categories_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<CategoryForm>) -> Response {
    let limit_days = match f.limit_days.trim() {
        "" => Ok(None),
        t => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::unprocessable("invalid_limit", format!("办理时限“{t}”应为1到60之间的整数（工作日）"))),
    };
    let position = match f.position.trim() {
        "" => Ok(0),
        t => t
            .parse::<i64>()
            .map_err(|_| Error::unprocessable("invalid_position", format!("排序“{t}”应为整数"))),
    };
    let input = match (limit_days, position) {
        (Ok(limit_days), Ok(position)) => hotline::CategoryIn {
            name: f.name.clone(),
            parent_code: f.parent_code.clone(),
            kind: f.kind.clone(),
            department_code: f.department_code.clone(),
            limit_days,
            keywords: f.keywords.clone(),
            position,
            active: Some(f.active == "1"),
        },
        (Err(e), _) | (_, Err(e)) => return categories_view(&state, &s, f, false, String::new(), e.message).await,
    };
    let code = f.code.clone();
    match hotline::save_category(&state, &s, &code, input).await {
        Ok(c) => {
            let msg = format!("已保存工单分类“{}”（{}）", c.name, c.code);
            Redirect::to(&format!("/staff/hotline/categories?msg={}", url_escape(&msg))).into_response()
        }
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => categories_view(&state, &s, f, false, String::new(), e.message).await,
    }
}

#[derive(Template)]
#[template(path = "hotline_keys.html")]
struct KeysPage {
    layout: Layout,
    keys: Vec<Open311Key>,
    new_key: String,
    error: String,
}

#[derive(Deserialize)]
struct KeyForm {
    mode: String,
    name: String,
}

async fn keys_view(state: &AppState, s: &Session, new_key: String, error: String) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ConfigureHotline) {
        return error_page(e);
    }
    match hotline::list_keys(state, s).await {
        Ok(keys) => render(&KeysPage {
            layout: Layout::new("Open311接口密钥", Some(s)),
            keys,
            new_key,
            error,
        }),
        Err(e) => error_page(e),
    }
}

async fn keys_page(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    keys_view(&state, &s, String::new(), String::new()).await
}

async fn keys_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<KeyForm>) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ConfigureHotline) {
        return error_page(e);
    }
    let region = s.staff.region_code.clone();
    let result = if f.mode == "revoke" {
        hotline::revoke_key(&state, &s, &f.name).await.map(|_| String::new())
    } else {
        hotline::add_api_key(&state, &region, &f.name, &s.staff.username).await
    };
    match result {
        Ok(key) => keys_view(&state, &s, key, String::new()).await,
        Err(e) => keys_view(&state, &s, String::new(), e.message).await,
    }
}

#[derive(Template)]
#[template(path = "hotline_public.html")]
struct PublicPage {
    layout: Layout,
    categories: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    form: PublicForm,
    error: String,
    receipt: Option<(String, String)>,
    max_files: usize,
}

#[derive(Deserialize, Default)]
struct PublicForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
}

async fn public_view(state: &AppState, form: PublicForm, error: String, receipt: Option<(String, String)>) -> Response {
    let region = state.config.default_region.clone();
    let cats = hotline::categories(state, &region).await.unwrap_or_default();
    render(&PublicPage {
        layout: Layout::new("我要留言 · 区长信箱", None),
        categories: leaf_options(&cats),
        areas: areas(state, &region).await,
        form,
        error,
        receipt,
        max_files: files::MAX_FILES,
    })
}

async fn public_form(State(state): State<AppState>) -> Response {
    let form = PublicForm {
        channel: "web".into(),
        ..Default::default()
    };
    public_view(&state, form, String::new(), None).await
}

async fn public_submit(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    form: Result<FormWithFiles<PublicForm>, HttpError>,
) -> Response {
    let FormWithFiles {
        form: f,
        files: uploads,
    } = match form {
        Ok(x) => x,
        Err(e) => return public_view(&state, PublicForm::default(), e.0.message, None).await,
    };
    let req = hotline::PublicRequest {
        channel: f.channel.clone(),
        category: f.category.clone(),
        title: f.title.clone(),
        content: f.content.clone(),
        address: f.address.clone(),
        area_code: f.area_code.clone(),
        lat: None,
        lon: None,
        name: f.name.clone(),
        phone: f.phone.clone(),
    };
    match hotline::submit_public(&state, req, &uploads, address).await {
        Ok(o) => {
            let due = hotline::local_short(&o.due_at);
            public_view(&state, PublicForm::default(), String::new(), Some((o.number, due))).await
        }
        Err(e) if e.kind == tongban_app::ErrorKind::TooMany => error_page(e),
        Err(e) => public_view(&state, f, e.message, None).await,
    }
}

#[derive(Template)]
#[template(path = "hotline_progress.html")]
struct ProgressPage {
    layout: Layout,
    number: String,
    code: String,
    error: String,
    result: Option<hotline::OrderProgress>,
}

#[derive(Deserialize, Default)]
struct ProgressQuery {
    number: Option<String>,
    code: Option<String>,
}

/// 留言查询: a caller follows their order by its number and the last four digits of their phone.
async fn progress_page(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let number = q.number.unwrap_or_default().trim().to_string();
    let code = q.code.unwrap_or_default().trim().to_string();
    let (result, refusal) = super::run_query(&number, hotline::progress(&state, &number, &code, address)).await;
    let page = ProgressPage {
        layout: Layout::new("留言办理进度查询", None),
        error: refusal.as_ref().map(|e| e.message.clone()).unwrap_or_default(),
        number,
        code,
        result,
    };
    super::query_page(&page, refusal)
}
