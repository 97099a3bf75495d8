//! 政务公开 pages: the public listing with search (/gk), an item, the standard catalog, the citizens' request form;
//! the disclosure officer's workbench (drafts to approve, returned drafts, requests by deadline), the request page
//! with its reply form, the printable letters and the annual report with its XLSX download.
//!
//! The public request form carries no CSRF token: it needs no session and does what the public API does.

use super::{error_page, render, url_escape, Layout, Pager};
use crate::api::disclosure::{act, report_for, xlsx_response, EntryView, ReportParams, RequestActionIn};
use crate::auth::{MaybeWebUser, WebUser};
use crate::extract::StaffForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tongban_app::disclosure::{
    self as d, AnnualReport, DraftInput, Figures, ItemAction, ItemView, Letter, ListQuery, RequestInput, RequestView,
};
use tongban_app::policy::{self, Capability};
use tongban_app::time::today;
use tongban_app::{Error, ErrorKind};
use tongban_store::{Department, RequestEvent, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/gk", get(listing))
        .route("/gk/items/{id}", get(item_page))
        .route("/gk/catalog", get(catalog_page))
        .route("/gk/apply", get(apply_form).post(apply_submit))
        .route("/gk/progress", get(progress_page))
        .route("/staff/disclosure", get(workbench))
        .route("/staff/disclosure/items", post(draft_submit))
        .route("/staff/disclosure/items/{id}", post(item_submit))
        .route("/staff/disclosure/requests/new", get(record_form).post(record_submit))
        .route(
            "/staff/disclosure/requests/{number}",
            get(request_page).post(request_submit),
        )
        .route("/staff/disclosure/requests/{number}/letter/{kind}", get(letter_page))
        .route("/staff/disclosure/report", get(report_page).post(report_texts_submit))
        .route("/staff/disclosure/report.xlsx", get(report_download))
}

fn region(state: &AppState) -> String {
    state.config.default_region.clone()
}

#[derive(Deserialize, Default)]
struct ListingQuery {
    q: Option<String>,
    department: Option<String>,
    catalog: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "disclosure_public.html")]
struct ListingPage {
    layout: Layout,
    q: String,
    department: String,
    catalog: String,
    departments: Vec<Department>,
    entries: Vec<EntryView>,
    total: i64,
    items: Vec<ItemView>,
    pager: Pager,
    figures: Figures,
}

const PAGE_SIZE: i64 = 20;

async fn listing(
    State(state): State<AppState>,
    MaybeWebUser(s): MaybeWebUser,
    Query(q): Query<ListingQuery>,
) -> Response {
    let region = region(&state);
    let page = q.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let result = async {
        let lq = ListQuery {
            department: q.department.clone(),
            catalog: q.catalog.clone(),
            q: q.q.clone(),
            ..Default::default()
        };
        let found = d::list_items(&state, &region, None, &lq, page, PAGE_SIZE).await?;
        let (from, to) = d::figures_period(None, None)?;
        let base = format!(
            "/gk?q={}&department={}&catalog={}&",
            url_escape(q.q.as_deref().unwrap_or("")),
            url_escape(q.department.as_deref().unwrap_or("")),
            url_escape(q.catalog.as_deref().unwrap_or(""))
        );
        Ok::<_, Error>(ListingPage {
            layout: Layout::new("政务公开", s.as_ref()),
            q: q.q.clone().unwrap_or_default(),
            department: q.department.clone().unwrap_or_default(),
            catalog: q.catalog.clone().unwrap_or_default(),
            departments: tongban_app::catalog::departments(&state, &region).await?,
            entries: d::catalog_entries(&state, &region)
                .await?
                .into_iter()
                .map(EntryView::from)
                .collect(),
            total: found.total,
            pager: Pager::new(page, PAGE_SIZE, found.total, base),
            items: found.data,
            figures: d::figures(&state, &region, from, to).await?,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "disclosure_item.html")]
struct ItemPage {
    layout: Layout,
    i: ItemView,
}

async fn item_page(State(state): State<AppState>, MaybeWebUser(s): MaybeWebUser, Path(id): Path<i64>) -> Response {
    match d::item(&state, s.as_ref(), &region(&state), id).await {
        Ok(i) => render(&ItemPage {
            layout: Layout::new(i.title.clone(), s.as_ref()),
            i,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "disclosure_catalog.html")]
struct CatalogPage {
    layout: Layout,
    entries: Vec<EntryView>,
}

async fn catalog_page(State(state): State<AppState>, MaybeWebUser(s): MaybeWebUser) -> Response {
    match d::catalog_entries(&state, &region(&state)).await {
        Ok(e) => render(&CatalogPage {
            layout: Layout::new("基层政务公开标准目录", s.as_ref()),
            entries: e.into_iter().map(EntryView::from).collect(),
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default, Clone)]
struct ApplyForm {
    #[serde(default)]
    channel: String,
    /// YYYY-MM-DD, empty for today
    #[serde(default)]
    received_on: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    applicant_kind: String,
    #[serde(default)]
    org_kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    delivery: String,
}

impl ApplyForm {
    fn input(&self, channel: Option<String>, received_on: Option<chrono::NaiveDate>) -> RequestInput {
        let opt = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        RequestInput {
            department: self.department.clone(),
            applicant_kind: self.applicant_kind.clone(),
            org_kind: opt(&self.org_kind),
            name: self.name.clone(),
            id_number: opt(&self.id_number),
            credit_code: opt(&self.credit_code),
            phone: self.phone.clone(),
            email: opt(&self.email),
            address: opt(&self.address),
            description: self.description.clone(),
            purpose: opt(&self.purpose),
            delivery: self.delivery.clone(),
            channel,
            received_on,
        }
    }
}

#[derive(Template)]
#[template(path = "disclosure_apply.html")]
struct ApplyPage {
    layout: Layout,
    f: ApplyForm,
    departments: Vec<Department>,
    org_kinds: Vec<(&'static str, &'static str)>,
    deliveries: Vec<(&'static str, &'static str)>,
    /// A disclosure officer recording a letter, fax or visit: the form posts to the workbench and asks how and
    /// when the request came.
    staff: bool,
    channels: Vec<(&'static str, &'static str)>,
    error: String,
    done: Option<RequestView>,
}

async fn apply_view(
    state: &AppState,
    s: Option<&Session>,
    f: ApplyForm,
    error: Option<Error>,
    done: Option<RequestView>,
) -> Response {
    apply_page(state, s, f, error, done, false).await
}

async fn apply_page(
    state: &AppState,
    s: Option<&Session>,
    f: ApplyForm,
    error: Option<Error>,
    done: Option<RequestView>,
    staff: bool,
) -> Response {
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    match tongban_app::catalog::departments(state, &region(state)).await {
        Ok(mut departments) => (
            status,
            render(&ApplyPage {
                layout: Layout::new(
                    if staff {
                        "登记政府信息公开申请"
                    } else {
                        "政府信息公开申请"
                    },
                    s,
                ),
                f,
                departments: match s.filter(|_| staff) {
                    Some(s) => {
                        departments.retain(|dep| policy::may_author_disclosure(s, &dep.code));
                        departments
                    }
                    None => departments,
                },
                org_kinds: d::APPLICANT_COLUMNS[1..].to_vec(),
                deliveries: d::DELIVERIES.to_vec(),
                staff,
                channels: d::STAFF_CHANNELS.to_vec(),
                error: error.map(|e| e.message).unwrap_or_default(),
                done,
            }),
        )
            .into_response(),
        Err(e) => error_page(e),
    }
}

async fn apply_form(State(state): State<AppState>, MaybeWebUser(s): MaybeWebUser) -> Response {
    let f = ApplyForm {
        applicant_kind: "person".into(),
        delivery: "email".into(),
        department: "zfb".into(),
        ..Default::default()
    };
    apply_view(&state, s.as_ref(), f, None, None).await
}

async fn apply_submit(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    MaybeWebUser(s): MaybeWebUser,
    Form(f): Form<ApplyForm>,
) -> Response {
    let input = f.input(None, None);
    // Filed as the public does, signed in or not: staff record letters on /staff/disclosure/requests/new.
    match d::file_request(
        &state,
        &region(&state),
        input,
        None,
        today(),
        &tongban_store::now_text(),
        address,
    )
    .await
    {
        Ok(mut v) => {
            v.applicant_identifier = policy::mask::identifier(
                if v.applicant_kind == "person" {
                    "person"
                } else {
                    "enterprise"
                },
                &v.applicant_identifier,
            );
            let page = apply_view(&state, s.as_ref(), ApplyForm::default(), None, Some(v)).await;
            (StatusCode::CREATED, page).into_response()
        }
        Err(e) => apply_view(&state, s.as_ref(), f, Some(e), None).await,
    }
}

/// The disclosure officer's form for a request that came by letter, fax or in person.
async fn record_form(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::RecordDisclosureRequests) {
        return error_page(e);
    }
    let f = ApplyForm {
        applicant_kind: "person".into(),
        delivery: "paper".into(),
        channel: "letter".into(),
        department: s.staff.department_code.clone().unwrap_or_else(|| "zfb".into()),
        ..Default::default()
    };
    apply_page(&state, Some(&s), f, None, None, true).await
}

async fn record_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<ApplyForm>) -> Response {
    let received_on = match f.received_on.trim() {
        "" => None,
        day => match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                let e = Error::unprocessable("invalid_date", format!("收到日期“{day}”应为YYYY-MM-DD"));
                return apply_page(&state, Some(&s), f, Some(e), None, true).await;
            }
        },
    };
    let input = f.input(Some(f.channel.clone()).filter(|c| !c.trim().is_empty()), received_on);
    match d::file_request(
        &state,
        &s.staff.region_code,
        input,
        Some(&s),
        today(),
        &tongban_store::now_text(),
        None,
    )
    .await
    {
        Ok(v) => Redirect::to(&format!("/staff/disclosure/requests/{}", v.number)).into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => apply_page(&state, Some(&s), f, Some(e), None, true).await,
    }
}

#[derive(Deserialize, Default)]
struct ProgressQuery {
    number: Option<String>,
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "disclosure_progress.html")]
struct ProgressPage {
    layout: Layout,
    number: String,
    found: Option<d::RequestProgress>,
    error: String,
}

async fn progress_page(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    MaybeWebUser(s): MaybeWebUser,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let number = q.number.unwrap_or_default();
    let code = q.code.unwrap_or_default();
    let (found, error, status) = if number.trim().is_empty() {
        (None, String::new(), StatusCode::OK)
    } else {
        match d::progress(&state, &region(&state), &number, &code, address).await {
            Ok(p) => (Some(p), String::new(), StatusCode::OK),
            Err(e) => (None, e.message, crate::error::status_of(e.kind)),
        }
    };
    let page = ProgressPage {
        layout: Layout::new("依申请公开进度查询", s.as_ref()),
        number,
        found,
        error,
    };
    (status, render(&page)).into_response()
}

// ---------------------------------------------------------------------------------------------------------------
// Staff.

#[derive(Template)]
#[template(path = "disclosure_staff.html")]
struct Workbench {
    layout: Layout,
    notice: String,
    error: String,
    to_approve: Vec<ItemView>,
    mine: Vec<ItemView>,
    requests: Vec<RequestView>,
    entries: Vec<EntryView>,
    departments: Vec<Department>,
    may_pick_department: bool,
    recent: Vec<ItemView>,
    /// The recent items this reader may repeal, by the items' lifecycle.
    repealable: Vec<i64>,
    year: i32,
    /// The annual report this reader may open: the district's, or a department's own (empty: none).
    report_link: String,
    /// Whether the reader records requests that came by letter, fax or in person.
    may_record_requests: bool,
}

impl Workbench {
    fn may_repeal(&self, id: &i64) -> bool {
        self.repealable.contains(id)
    }
}

#[derive(Deserialize, Default)]
struct MsgQuery {
    msg: Option<String>,
}

async fn workbench_view(state: &AppState, s: &Session, notice: String, error: Option<Error>) -> Response {
    if !policy::allows(&s.staff, Capability::UseDisclosureWorkbench) {
        return error_page(Error::forbidden("政务公开工作台供政务公开专员和部门人员使用"));
    }
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    let region = s.staff.region_code.clone();
    let result = async {
        let list = |st: &str| ListQuery {
            state: Some(st.into()),
            ..Default::default()
        };
        let drafts = d::list_items(state, &region, Some(s), &list("draft"), 1, 100)
            .await?
            .data;
        let to_approve = drafts
            .iter()
            .filter(|i| policy::may_approve_disclosure(s, &i.department) && i.author != s.staff.username)
            .cloned()
            .collect();
        let mut mine: Vec<ItemView> = drafts.into_iter().filter(|i| i.author == s.staff.username).collect();
        mine.extend(
            d::list_items(state, &region, Some(s), &list("returned"), 1, 100)
                .await?
                .data
                .into_iter()
                .filter(|i| i.author == s.staff.username),
        );
        let mut recent_q = list("published");
        if s.staff.role.is_department_bound() {
            recent_q.department = s.staff.department_code.clone();
        }
        let recent = d::list_items(state, &region, Some(s), &recent_q, 1, 10).await?.data;
        Ok::<_, Error>(Workbench {
            layout: Layout::new("政务公开工作台", Some(s)),
            notice,
            error: error.map(|e| e.message).unwrap_or_default(),
            to_approve,
            mine,
            requests: d::inbox(state, s, today()).await?,
            entries: d::catalog_entries(state, &region)
                .await?
                .into_iter()
                .map(EntryView::from)
                .collect(),
            departments: tongban_app::catalog::departments(state, &region).await?,
            may_pick_department: !s.staff.role.is_department_bound(),
            repealable: recent
                .iter()
                .filter(|i| d::item_actions(s, i).contains(&"repeal"))
                .map(|i| i.id)
                .collect(),
            recent,
            year: chrono::Datelike::year(&today()) - 1,
            report_link: {
                let year = chrono::Datelike::year(&today()) - 1;
                let own = s
                    .staff
                    .department_code
                    .as_deref()
                    .filter(|_| s.staff.role.is_department_bound());
                if policy::may_read_disclosure_reports(s, None) {
                    format!("/staff/disclosure/report?year={year}")
                } else if let Some(d) = own.filter(|d| policy::may_read_disclosure_reports(s, Some(d))) {
                    format!("/staff/disclosure/report?year={year}&department={d}")
                } else {
                    String::new()
                }
            },
            may_record_requests: policy::allows(&s.staff, Capability::RecordDisclosureRequests),
        })
    }
    .await;
    match result {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn workbench(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<MsgQuery>) -> Response {
    workbench_view(&state, &s, q.msg.unwrap_or_default(), None).await
}

#[derive(Deserialize)]
struct DraftForm {
    #[serde(default)]
    department: String,
    catalog: String,
    title: String,
    body: String,
    #[serde(default)]
    doc_kind: String,
    #[serde(default)]
    doc_number: String,
}

async fn draft_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<DraftForm>) -> Response {
    let input = DraftInput {
        department: Some(f.department).filter(|x| !x.is_empty()),
        catalog_code: f.catalog,
        title: f.title,
        body: f.body,
        doc_kind: f.doc_kind,
        doc_number: f.doc_number,
    };
    match d::draft_item(&state, &s, input, &tongban_store::now_text()).await {
        Ok(i) => Redirect::to(&format!(
            "/staff/disclosure?msg={}",
            url_escape(&format!("已起草“{}”，待另一名审核人发布", i.title))
        ))
        .into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => workbench_view(&state, &s, String::new(), Some(e)).await,
    }
}

#[derive(Deserialize)]
struct ItemForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
}

async fn item_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm(s, f): StaffForm<ItemForm>,
) -> Response {
    let action = match f.action.as_str() {
        "publish" => ItemAction::Publish,
        "return" => ItemAction::Return(&f.note),
        "revise" => ItemAction::Revise {
            title: &f.title,
            body: &f.body,
        },
        "repeal" => ItemAction::Repeal,
        other => {
            let e = Error::bad_request("invalid_action", format!("未知的操作“{other}”"));
            return workbench_view(&state, &s, String::new(), Some(e)).await;
        }
    };
    match d::act_on_item(&state, &s, id, action, &tongban_store::now_text(), today()).await {
        Ok(i) => Redirect::to(&format!(
            "/staff/disclosure?msg={}",
            url_escape(&format!("“{}”{}", i.title, i.state_label))
        ))
        .into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => workbench_view(&state, &s, String::new(), Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "disclosure_request.html")]
struct RequestPage {
    layout: Layout,
    r: RequestView,
    events: Vec<RequestEvent>,
    grounds: Vec<(String, String)>,
    /// The steps the reader may take now, from the request's lifecycle.
    actions: Vec<&'static str>,
    notice: String,
    error: String,
}

impl RequestPage {
    fn may(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
}

async fn request_view_page(
    state: &AppState,
    s: &Session,
    number: &str,
    notice: String,
    error: Option<Error>,
) -> Response {
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    let result = async {
        let r = d::load_request(state, s, number).await?;
        let events = tongban_app::disclosure::request_events(state, &r).await?;
        let whole = policy::may_author_disclosure(s, &r.department_code);
        let actions = d::request_actions(s, &r);
        Ok::<_, Error>(RequestPage {
            layout: Layout::new(format!("依申请公开 {number}"), Some(s)),
            r: d::request_view(state, r, whole, today()),
            events,
            grounds: d::GROUNDS
                .iter()
                .map(|g| {
                    (
                        format!("{}:{}", g.kind, g.ground),
                        format!("{}：{}", d::kind_label(g.kind), g.label),
                    )
                })
                .collect(),
            actions,
            notice,
            error: error.map(|e| e.message).unwrap_or_default(),
        })
    }
    .await;
    match result {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn request_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(number): Path<String>,
    Query(q): Query<MsgQuery>,
) -> Response {
    request_view_page(&state, &s, &number, q.msg.unwrap_or_default(), None).await
}

#[derive(Deserialize)]
struct RequestForm {
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    third_party: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    reason: String,
    /// "kind:ground"
    #[serde(default)]
    ground: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    refer_to: String,
}

async fn request_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    StaffForm(s, f): StaffForm<RequestForm>,
) -> Response {
    let (kind, ground) = f.ground.split_once(':').unwrap_or(("", ""));
    let some = |v: &str| Some(v.to_string());
    let days = if f.action == "extend" {
        match f.days.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = Error::unprocessable("missing_days", "请填写延长的工作日数");
                return request_view_page(&state, &s, &number, String::new(), Some(e)).await;
            }
        }
    } else {
        None
    };
    let input = RequestActionIn {
        action: f.action.clone(),
        note: some(&f.note),
        third_party: some(&f.third_party),
        days,
        reason: some(&f.reason),
        kind: some(kind),
        ground: some(ground),
        text: some(&f.text),
        refer_to: some(&f.refer_to),
    };
    match act(&state, &s, &number, &input, today()).await {
        Ok(r) => Redirect::to(&format!(
            "/staff/disclosure/requests/{}?msg={}",
            r.number,
            url_escape(&format!(
                "已{}。{}",
                tongban_app::disclosure::REQUEST_LIFECYCLE
                    .step(&f.action)
                    .map(|st| st.label)
                    .unwrap_or("办理"),
                tongban_app::disclosure::next_step_sentence(&r)
            ))
        ))
        .into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => request_view_page(&state, &s, &number, String::new(), Some(e)).await,
    }
}

#[derive(Template)]
#[template(path = "disclosure_letter.html")]
struct LetterPage {
    number: String,
    l: Letter,
}

async fn letter_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((number, kind)): Path<(String, String)>,
) -> Response {
    match d::letter(&state, &s, &number, &kind).await {
        Ok(l) => render(&LetterPage { number, l }),
        Err(e) => error_page(e),
    }
}

#[derive(Template)]
#[template(path = "disclosure_report.html")]
struct ReportPage {
    layout: Layout,
    r: AnnualReport,
    departments: Vec<Department>,
    department: String,
    xlsx: String,
    problems: String,
    other_matters: String,
    notice: String,
    error: String,
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    year: Option<String>,
    department: Option<String>,
    msg: Option<String>,
}

fn report_params(q: &ReportQuery) -> Result<ReportParams, Error> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => Some(
            y.parse::<i32>()
                .map_err(|_| Error::bad_request("invalid_year", format!("年度“{y}”应为四位数字")))?,
        ),
        None => None,
    };
    Ok(ReportParams {
        year,
        department: q.department.clone().filter(|x| !x.is_empty()),
    })
}

async fn report_view(state: &AppState, s: &Session, q: &ReportQuery, error: Option<Error>) -> Response {
    let status = error
        .as_ref()
        .map(|e| crate::error::status_of(e.kind))
        .unwrap_or(StatusCode::OK);
    let result = async {
        let p = report_params(q)?;
        let r = report_for(state, s, &p).await?;
        let department = p.department.clone().unwrap_or_default();
        Ok::<_, Error>(ReportPage {
            layout: Layout::new(r.title.clone(), Some(s)),
            xlsx: format!(
                "/staff/disclosure/report.xlsx?year={}&department={}",
                r.year,
                url_escape(&department)
            ),
            departments: tongban_app::catalog::departments(state, &s.staff.region_code).await?,
            department,
            problems: r.problems.join("\n"),
            other_matters: r.other_matters.join("\n"),
            notice: q.msg.clone().unwrap_or_default(),
            error: error.map(|e| e.message).unwrap_or_default(),
            r,
        })
    }
    .await;
    match result {
        Ok(p) => (status, render(&p)).into_response(),
        Err(e) => error_page(e),
    }
}

async fn report_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<ReportQuery>) -> Response {
    report_view(&state, &s, &q, None).await
}

#[derive(Deserialize)]
struct TextsForm {
    year: i32,
    #[serde(default)]
    department: String,
    problems: String,
    other_matters: String,
}

async fn report_texts_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<TextsForm>) -> Response {
    let department = Some(f.department.trim()).filter(|d| !d.is_empty());
    let q = ReportQuery {
        year: Some(f.year.to_string()),
        department: department.map(String::from),
        msg: None,
    };
    match d::save_report_texts(&state, &s, department, f.year, &f.problems, &f.other_matters).await {
        Ok(()) => Redirect::to(&format!(
            "/staff/disclosure/report?year={}&department={}&msg={}",
            f.year,
            url_escape(department.unwrap_or("")),
            url_escape("已保存报告文字部分")
        ))
        .into_response(),
        Err(e) if e.kind == ErrorKind::Forbidden => error_page(e),
        Err(e) => report_view(&state, &s, &q, Some(e)).await,
    }
}

async fn report_download(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<ReportQuery>) -> Response {
    let result = async {
        let p = report_params(&q)?;
        let r = report_for(&state, &s, &p).await?;
        xlsx_response(&r)
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => error_page(e),
    }
}
