//! Case pages: window acceptance (无差别受理), the inbox sorted by deadline with warning lights, the case page with
//! history and the caller's allowed actions, printable notices, the supervision board and the public progress page.

use super::{error_page, filters, render, render_result, Layout, Pager};
use crate::auth::{MaybeWebUser, WebUser};
use crate::extract::StaffForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tongban_app::cases::{self, parse_applicant, timing, Filing};
use tongban_app::policy::{self, Capability};
use tongban_app::{Error, ErrorKind};
use tongban_core::catalog::Guide;
use tongban_core::workflow::Actor;
use tongban_store::{CaseEvent, CaseRecord, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/cases", get(inbox))
        .route("/staff/cases/new", get(new_form).post(new_submit))
        .route("/staff/cases/{number}", get(case_page))
        .route("/staff/cases/{number}/act", axum::routing::post(act_submit))
        .route("/staff/cases/{number}/notice/{kind}", get(notice_page))
        .route("/staff/supervision", get(supervision_page))
        .route("/progress", get(progress_page))
}

pub struct CaseRow {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub state_label: String,
    pub due_date: String,
    pub provisional: bool,
    pub warning: String,
    pub remaining: String,
}

fn remaining_text(t: &cases::Timing) -> String {
    match (t.warning.as_str(), t.remaining_working_days) {
        ("suspended", _) => "暂停计时".into(),
        ("done", _) => "已办结".into(),
        (_, Some(n)) if n < 0 => format!("超期{}天", -n),
        (_, Some(n)) => format!("{n}天"),
        _ => "未受理".into(),
    }
}

#[derive(Template)]
#[template(path = "staff_cases.html")]
struct Inbox {
    layout: Layout,
    heading: String,
    states: Vec<(String, String)>,
    f_state: String,
    f_due: String,
    f_q: String,
    /// What the list was narrowed to from a figure, kept by the filter form: department, item, site.
    narrowed: Vec<(&'static str, String)>,
    total: i64,
    rows: Vec<CaseRow>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    state: Option<String>,
    due: Option<String>,
    /// A number or its start, an applicant, part of an item's name.
    q: Option<String>,
    /// A department's code (a supervision row opens its cases).
    department: Option<String>,
    /// An item's code.
    item: Option<String>,
    /// An accepting site's code, or `online`.
    site: Option<String>,
    page: Option<i64>,
}

async fn inbox(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<InboxQuery>) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::ReadCases) {
        return error_page(e);
    }
    let page = q.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let result = async {
        let tpl = cases::template(&state, &s.staff.region_code, "default").await?;
        let today = tongban_app::time::today();
        let f_state = q.state.clone().unwrap_or_default();
        let f_due = q.due.clone().unwrap_or_default();
        let f_q = q.q.clone().unwrap_or_default();
        let query = cases::CaseQuery {
            state: Some(f_state.clone()).filter(|v| !v.is_empty() && v != "all"),
            search: Some(f_q.trim().to_string()).filter(|v| !v.is_empty()),
            overdue: f_due == "overdue",
            warned: f_due == "warned",
            due_today: f_due == "today",
            // Finished cases only when asked for: a state, or all of them.
            open_only: f_state.is_empty(),
            department_code: q.department.clone().filter(|v| !v.is_empty()),
            item_code: q.item.clone().filter(|v| !v.is_empty()),
            site: q.site.clone().filter(|v| !v.is_empty()),
            ..Default::default()
        };
        let list = cases::list(&state, &s, query, page, 50).await?;
        let label = |st: &str| tpl.state(st).map(|x| x.label.clone()).unwrap_or_else(|| st.to_string());
        let rows = list
            .data
            .iter()
            .map(|c| {
                let t = timing(&state, c, today);
                CaseRow {
                    number: c.number.clone(),
                    item_name: c.item_name.clone(),
                    department: c.department_name.clone(),
                    applicant_name: c.applicant_name.clone(),
                    applicant_identifier: policy::mask::identifier(&c.applicant_kind, &c.applicant_identifier),
                    state_label: label(&c.state),
                    due_date: c.due_date.clone().unwrap_or_else(|| "—".into()),
                    provisional: c.due_provisional,
                    remaining: remaining_text(&t),
                    warning: t.warning,
                }
            })
            .collect();
        let region = &s.staff.region_code;
        // A list opened from a figure says what it was narrowed to, by name.
        let narrowed = match (q.department.as_deref(), q.item.as_deref(), q.site.as_deref()) {
            (Some(d), _, _) if !d.is_empty() => tongban_app::catalog::department(&state, region, d)
                .await?
                .map(|d| d.name)
                .unwrap_or_else(|| d.to_string()),
            (_, Some(i), _) if !i.is_empty() => cases::current_item(&state, region, i)
                .await?
                .map(|i| i.guide.name)
                .unwrap_or_else(|| i.to_string()),
            (_, _, Some("online")) => cases::channel_label("online").to_string(),
            (_, _, Some(site)) if !site.is_empty() => site_name(&state, region, site).await?,
            _ => String::new(),
        };
        let heading = match &s.staff.department_name {
            _ if !narrowed.is_empty() => format!("办件：{narrowed}"),
            Some(d) if s.staff.role.is_department_bound() => format!("{d}的办件"),
            _ => "办件".to_string(),
        };
        Ok::<_, Error>(Inbox {
            layout: Layout::new("办件", Some(&s)),
            heading,
            states: tpl.states.iter().map(|x| (x.code.clone(), x.label.clone())).collect(),
            pager: Pager::new(
                page,
                50,
                list.total,
                format!(
                    "/staff/cases?state={}&due={}&q={}&department={}&item={}&site={}&",
                    super::url_escape(&f_state),
                    super::url_escape(&f_due),
                    super::url_escape(&f_q),
                    super::url_escape(q.department.as_deref().unwrap_or("")),
                    super::url_escape(q.item.as_deref().unwrap_or("")),
                    super::url_escape(q.site.as_deref().unwrap_or(""))
                ),
            ),
            narrowed: [("department", &q.department), ("item", &q.item), ("site", &q.site)]
                .into_iter()
                .filter_map(|(k, v)| v.clone().filter(|v| !v.is_empty()).map(|v| (k, v)))
                .collect(),
            f_state,
            f_due,
            f_q,
            total: list.total,
            rows,
        })
    }
    .await;
    render_result(result)
}

pub struct FilingForm {
    pub site: String,
    pub kind: String,
    pub name: String,
    pub identifier: String,
    pub phone: String,
    pub agent: String,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "staff_case_new.html")]
struct NewCasePage {
    layout: Layout,
    q: String,
    hits: Vec<super::HitView>,
    item: Option<Guide>,
    department: String,
    version: i64,
    checked: Vec<String>,
    f: FilingForm,
    /// Where the case is accepted: the hall, a town centre or a village station (code, name).
    sites: Vec<(String, String)>,
    error: String,
    /// The applicant's open credit records, once an identifier was entered.
    credit: Vec<tongban_store::CreditRecord>,
}

#[derive(Deserialize, Default)]
struct NewQuery {
    q: Option<String>,
    item: Option<String>,
}

async fn new_page(
    state: &AppState,
    s: &Session,
    q: NewQuery,
    f: FilingForm,
    checked: Vec<String>,
    error: String,
) -> Response {
    if let Err(e) = policy::require(&s.staff, Capability::FileCases) {
        return error_page(e);
    }
    let region = s.staff.region_code.clone();
    let mut page = NewCasePage {
        layout: Layout::new("综合窗口受理", Some(s)),
        q: q.q.clone().unwrap_or_default(),
        hits: vec![],
        item: None,
        department: String::new(),
        version: 0,
        checked,
        f,
        sites: vec![],
        credit: vec![],
        error,
    };
    if !page.f.identifier.is_empty() {
        match cases::open_credit_records(state, s, &page.f.identifier).await {
            Ok(r) => page.credit = r,
            Err(e) => return error_page(e),
        }
    }
    match tongban_app::catalog::sites(state, &region).await {
        Ok(list) => page.sites = list.into_iter().map(|x| (x.code, x.name)).collect(),
        Err(e) => return error_page(e),
    }
    if let Some(code) = q.item.filter(|c| !c.is_empty()) {
        match tongban_app::catalog::item(state, &region, &code, None).await {
            Ok(Some(item)) => {
                page.department = item.department_name.clone();
                page.version = item.version;
                page.item = Some(item.guide);
            }
            Ok(None) => return error_page(Error::not_found(format!("事项“{code}”"))),
            Err(e) => return error_page(e),
        }
    } else if !page.q.trim().is_empty() {
        let search = state.search.clone();
        let text = page.q.clone();
        let found = tokio::task::spawn_blocking(move || search.search(&region, &text, 10, 0)).await;
        if let Ok(Ok((_, hits))) = found {
            page.hits = hits
                .into_iter()
                .map(|h| super::HitView {
                    code: h.code,
                    name: h.name,
                    department: h.department,
                })
                .collect();
        }
    }
    render(&page)
}

impl FilingForm {
    pub(super) fn blank() -> FilingForm {
        FilingForm {
            site: "hall".into(),
            kind: "person".into(),
            name: String::new(),
            identifier: String::new(),
            phone: String::new(),
            agent: String::new(),
            comment: String::new(),
        }
    }
}

async fn new_form(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<NewQuery>) -> Response {
    new_page(&state, &s, q, FilingForm::blank(), vec![], String::new()).await
}

/// The channel follows the accepting site: the hall's windows, a town centre, a village station or a partner window.
pub(super) fn channel_for_site(site: &str) -> &'static str {
    if site.starts_with("town-") {
        "town"
    } else if site.starts_with("village-") {
        "village"
    } else if site.starts_with("partner-") {
        "partner"
    } else {
        "window"
    }
}

/// A posted form with a materials checklist: repeated `material` fields are why it is read as pairs instead of
/// into a struct.
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub(super) struct ChecklistForm(Vec<(String, String)>);

impl ChecklistForm {
    /// A single field, trimmed; empty when absent.
    pub(super) fn field(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }
    /// The ticked materials.
    pub(super) fn materials(&self) -> Vec<String> {
        self.all("material")
    }
    /// Every value of a repeated field (ticked boxes).
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

async fn new_submit(State(state): State<AppState>, StaffForm(s, form): StaffForm<ChecklistForm>) -> Response {
    let get = |k: &str| form.field(k);
    let checked = form.materials();
    let site = get("site");
    let f = FilingForm {
        site: if site.is_empty() { "hall".into() } else { site },
        kind: get("kind"),
        name: get("name"),
        identifier: get("identifier"),
        phone: get("phone"),
        agent: get("agent"),
        comment: get("comment"),
    };
    let item = get("item");
    let tolerance = get("decision") == "accept_tolerance";
    let decision = if tolerance {
        "accept".to_string()
    } else {
        get("decision")
    };
    let retry = |e: Error, f: FilingForm, checked: Vec<String>| {
        let state = state.clone();
        let s = s.clone();
        let item = item.clone();
        async move {
            new_page(
                &state,
                &s,
                NewQuery {
                    q: None,
                    item: Some(item),
                },
                f,
                checked,
                e.message,
            )
            .await
        }
    };
    let (id, code) = if f.kind == "enterprise" {
        (None, Some(f.identifier.as_str()))
    } else {
        (Some(f.identifier.as_str()), None)
    };
    let applicant = match parse_applicant(&f.kind, &f.name, id, code, &f.phone) {
        Ok(a) => a,
        Err(e) => return retry(e, f, checked).await,
    };
    if matches!(decision.as_str(), "request_correction" | "refuse") && f.comment.trim().is_empty() {
        let e = Error::unprocessable(
            "comment_required",
            if decision == "refuse" {
                "不予受理须写明理由"
            } else {
                "一次性告知须列明需补正的全部内容"
            },
        );
        return retry(e, f, checked).await;
    }
    let filing = Filing {
        item_code: item.clone(),
        applicant,
        channel: channel_for_site(&f.site).into(),
        site_code: f.site.clone(),
        agent: f.agent.clone(),
        form: serde_json::json!({}),
        materials: checked.clone(),
        idempotency_key: None,
        request_hash: String::new(),
        delivery: Default::default(),
    };
    // Acceptance is checked before anything is filed, so a refused acceptance leaves no half-made case behind.
    if decision == "accept" && !tolerance {
        if let Ok(Some(it)) = tongban_app::catalog::item(&state, &s.staff.region_code, &item, None).await {
            let missing: Vec<String> = it
                .guide
                .materials
                .iter()
                .filter(|m| m.required && !checked.contains(&m.name))
                .map(|m| m.name.clone())
                .collect();
            if !missing.is_empty() {
                let e = Error::unprocessable(
                    "missing_materials",
                    format!("缺少必要材料：{}。请出具一次性告知书", missing.join("、")),
                );
                return retry(e, f, checked).await;
            }
        }
    }
    let case = match cases::file(&state, &s.staff.region_code, filing, cases::FiledBy::Staff(&s)).await {
        Ok((c, _)) => c,
        Err(e) => return retry(e, f, checked).await,
    };
    let comment = f.comment.clone();
    match cases::act(
        &state,
        &s,
        &case.number,
        &decision,
        case.version,
        &comment,
        &cases::ActOptions {
            tolerance,
            ..Default::default()
        },
    )
    .await
    {
        Ok(c) => {
            let notice = match decision.as_str() {
                "accept" if tolerance => "commitment",
                "accept" => "acceptance",
                "request_correction" => "correction",
                _ => "refusal",
            };
            Redirect::to(&format!("/staff/cases/{}?printed={notice}", c.number)).into_response()
        }
        Err(e) => Redirect::to(&format!(
            "/staff/cases/{}?error={}",
            case.number,
            super::url_escape(&e.message)
        ))
        .into_response(),
    }
}

#[derive(Template)]
#[template(path = "staff_case.html")]
struct CasePage {
    layout: Layout,
    c: CaseRecord,
    state_label: String,
    channel_label: String,
    /// The accepting site by its name (empty online).
    site_name: String,
    /// The site a result is collected at, by its name (empty when not collected at a site).
    delivery_site_name: String,
    warning: String,
    remaining: String,
    actions: Vec<(String, String, bool)>,
    events: Vec<CaseEvent>,
    error: String,
    notice: String,
    commitment: Option<tongban_store::Commitment>,
    credit: Vec<tongban_store::CreditRecord>,
    /// The application form as filed (网上预审): each answer under its label.
    form_rows: Vec<(String, String)>,
    /// What a one-time correction notice may name: the form's fields (name, label) and the guide's materials.
    fix_fields: Vec<(String, String)>,
    fix_materials: Vec<String>,
    delivery_label: &'static str,
    payment: Option<tongban_store::Payment>,
    /// Each material of the guide and how it came (uploaded, an e-licence called, reused from an earlier case).
    checklist: Vec<cases::ChecklistEntry>,
    /// The notices this case has a decision for: (kind, name).
    notices: Vec<(&'static str, &'static str)>,
}

/// The printable notices of a case: each only once the decision it records was taken (a notice page for a decision
/// not taken refuses, so a link to it would be a dead end).
fn printable_notices(events: &[CaseEvent], tolerance: bool) -> Vec<(&'static str, &'static str)> {
    let taken = |action: &str| events.iter().any(|e| e.action == action);
    let mut out = vec![];
    if taken("accept") {
        out.push(("acceptance", "受理通知书"));
        if tolerance {
            out.push(("commitment", "容缺受理承诺书"));
        }
    }
    if taken("request_correction") {
        out.push(("correction", "一次性告知书"));
    }
    if taken("refuse") {
        out.push(("refusal", "不予受理通知书"));
    }
    out
}

impl CasePage {
    fn offers(&self, action: &str) -> bool {
        self.actions.iter().any(|(code, _, _)| code == action)
    }
    fn posted(&self) -> bool {
        self.c.delivery.method == "post"
    }
}

/// An answer as the clerk reads it: lists joined, table rows one per line.
fn answer_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a
            .iter()
            .map(|x| match x {
                serde_json::Value::Object(row) => row.values().map(answer_text).collect::<Vec<_>>().join("，"),
                other => answer_text(other),
            })
            .collect::<Vec<_>>()
            .join("；"),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    error: Option<String>,
    printed: Option<String>,
    done: Option<String>,
}

/// A site as people name it; an empty code stays empty.
async fn site_name(state: &AppState, region: &str, code: &str) -> Result<String, Error> {
    if code.is_empty() {
        return Ok(String::new());
    }
    Ok(match tongban_app::reform::site(state, region, code).await? {
        Some(site) => site.name.clone(),
        None => code.to_string(),
    })
}

async fn case_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(number): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Response {
    let result = async {
        let mut c = cases::load(&state, &s, &number).await?;
        let tpl = cases::template(&state, &c.region_code, &c.workflow_code).await?;
        let t = timing(&state, &c, tongban_app::time::today());
        let label = |st: &str| tpl.state(st).map(|x| x.label.clone()).unwrap_or_else(|| st.to_string());
        let cases::Dossier {
            mut events,
            commitment,
            credit,
        } = cases::dossier(&state, &c).await?;
        let notices = printable_notices(&events, commitment.is_some());
        let names = tongban_app::staff::display_names(&state, &c.region_code).await?;
        for e in events.iter_mut() {
            e.action = tpl
                .action(&e.action)
                .map(|a| a.label.clone())
                .unwrap_or_else(|| match e.action.as_str() {
                    "submit" => "提交申请".into(),
                    "recompute_deadline" => "重算期限".into(),
                    other => other.to_string(),
                });
            e.to_state = label(&e.to_state);
            if e.role == "applicant" {
                e.actor = c.applicant_name.clone();
            } else if let Some(name) = names.get(&e.actor) {
                e.actor = name.clone();
            }
            e.role = tongban_app::staff::actor_role_label(&e.role).to_string();
        }
        let actions = tpl
            .allowed_actions(&c.position, Actor::Staff(s.staff.role))
            .into_iter()
            .map(|a| (a.code.clone(), a.label.clone(), a.comment_required))
            .collect();
        let notice = match (q.printed.as_deref(), q.done.as_deref()) {
            (Some("acceptance"), _) => "已受理。请打印受理通知书交申请人。".to_string(),
            (Some("commitment"), _) => "已容缺受理。请打印承诺书由申请人签字，并打印受理通知书。".to_string(),
            (Some("correction"), _) => "已出具一次性告知书。请打印交申请人。".to_string(),
            (Some("refusal"), _) => "已不予受理。请打印不予受理通知书交申请人。".to_string(),
            (_, Some(d)) => format!("已{d}。"),
            _ => String::new(),
        };
        let notice = if notice.is_empty() {
            notice
        } else {
            format!("{notice}{}", tongban_app::todo::next_step_sentence(&state, &c).await?)
        };
        if !policy::reveals_case_applicant(Some(&s), &c, policy::Shown::Record) {
            c.applicant_identifier = policy::mask::identifier(&c.applicant_kind, &c.applicant_identifier);
            c.applicant_phone = policy::mask::phone(&c.applicant_phone);
        }
        let guide = cases::guide_version(&state, &c.region_code, &c.item_code, c.item_version)
            .await?
            .map(|i| i.guide.clone());
        let definition = guide.as_ref().map(|g| g.application_form());
        let form_rows = c
            .form
            .as_object()
            .map(|answers| {
                answers
                    .iter()
                    .map(|(k, v)| {
                        let label = definition
                            .as_ref()
                            .and_then(|d| d.fields.iter().find(|f| &f.name == k))
                            .map(|f| f.label.clone())
                            .unwrap_or_else(|| k.clone());
                        (label, answer_text(v))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let fix_fields = definition
            .map(|d| d.fields.into_iter().map(|f| (f.name, f.label)).collect())
            .unwrap_or_default();
        let fix_materials = guide
            .map(|g| g.materials.into_iter().map(|m| m.name).collect())
            .unwrap_or_default();
        let payment = cases::payment_of_case(&state, &c).await?;
        let checklist = cases::checklist(&state, &c).await?;
        Ok::<_, Error>(CasePage {
            layout: Layout::new(format!("办件 {number}"), Some(&s)),
            state_label: label(&c.state),
            channel_label: cases::channel_label(&c.channel).to_string(),
            site_name: site_name(&state, &c.region_code, &c.site_code).await?,
            delivery_site_name: site_name(&state, &c.region_code, &c.delivery.site).await?,
            remaining: remaining_text(&t),
            warning: t.warning,
            actions,
            events,
            error: q.error.unwrap_or_default(),
            notice,
            commitment,
            credit,
            form_rows,
            fix_fields,
            fix_materials,
            delivery_label: cases::delivery_label(&c.delivery.method),
            payment,
            checklist,
            notices,
            c,
        })
    }
    .await;
    render_result(result)
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    version: i64,
    comment: String,
}

async fn act_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    StaffForm(s, form): StaffForm<ChecklistForm>,
) -> Response {
    let f = ActForm {
        action: form.field("action"),
        version: form.field("version").parse().unwrap_or(-1),
        comment: form.field("comment"),
    };
    let opts = cases::ActOptions {
        fix_fields: form.all("fix_field"),
        fix_materials: form.all("fix_material"),
        carrier: form.field("carrier"),
        waybill: form.field("waybill"),
        ..Default::default()
    };
    match cases::act(&state, &s, &number, &f.action, f.version, &f.comment, &opts).await {
        Ok(c) => {
            let label = cases::template(&state, &c.region_code, &c.workflow_code)
                .await
                .ok()
                .and_then(|t| t.action(&f.action).map(|a| a.label.clone()))
                .unwrap_or_default();
            Redirect::to(&format!("/staff/cases/{number}?done={}", super::url_escape(&label))).into_response()
        }
        Err(e) if e.kind == ErrorKind::NotFound => error_page(e),
        Err(e) => Redirect::to(&format!(
            "/staff/cases/{number}?error={}",
            super::url_escape(&e.message)
        ))
        .into_response(),
    }
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    title: String,
    office: String,
    kind: String,
    c: CaseRecord,
    filed_on: String,
    missing: Vec<String>,
    comment: String,
    today: String,
    phone: String,
    progress_url: String,
}

async fn notice_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path((number, kind)): Path<(String, String)>,
) -> Response {
    let title = match kind.as_str() {
        "acceptance" => "受理通知书",
        "correction" => "补正材料一次性告知书",
        "refusal" => "不予受理通知书",
        "commitment" => "容缺受理承诺书",
        _ => return error_page(Error::not_found(format!("通知书“{kind}”"))),
    };
    let result = async {
        let c = cases::load(&state, &s, &number).await?;
        let cases::Dossier { events, commitment, .. } = cases::dossier(&state, &c).await?;
        let wanted = match kind.as_str() {
            "acceptance" | "commitment" => "accept",
            "correction" => "request_correction",
            _ => "refuse",
        };
        let Some(event) = events.iter().rev().find(|e| e.action == wanted) else {
            return Err(Error::unprocessable(
                "no_such_decision",
                format!("该办件没有作出“{title}”所对应的决定"),
            ));
        };
        let item = tongban_app::catalog::item(&state, &c.region_code, &c.item_code, Some(c.item_version)).await?;
        let missing = match (&commitment, kind.as_str()) {
            (Some(m), "commitment") => m.materials.clone(),
            (None, "commitment") => {
                return Err(Error::unprocessable("not_tolerance", "该办件不是容缺受理，没有承诺书"))
            }
            _ => item
                .map(|i| {
                    i.guide
                        .materials
                        .iter()
                        .filter(|m| m.required && !c.materials.contains(&m.name))
                        .map(|m| m.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
        };
        let dept = tongban_app::catalog::department(&state, &c.region_code, &c.department_code).await?;
        Ok::<_, Error>(NoticePage {
            title: title.to_string(),
            office: c.department_name.clone(),
            kind: kind.clone(),
            filed_on: c.created_at.get(..10).unwrap_or("").to_string(),
            missing,
            comment: match (&commitment, kind.as_str()) {
                (Some(m), "commitment") => m.due_date.clone(),
                _ => event.comment.clone(),
            },
            today: tongban_app::time::today().format("%Y年%m月%d日").to_string(),
            phone: dept.map(|d| d.phone).unwrap_or_default(),
            progress_url: state.config.link("/progress"),
            c,
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "staff_supervision.html")]
struct SupervisionPage {
    layout: Layout,
    s: cases::Supervision,
    /// (heading, the case list's parameter a row's key opens, rows).
    tables: Vec<(String, &'static str, Vec<cases::Figures>)>,
}

#[derive(Deserialize, Default)]
struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn supervision_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let result = async {
        let (from, to, dept) = cases::supervision_scope(&s, q.from.as_deref(), q.to.as_deref())?;
        let sup = cases::supervision(&state, &s.staff.region_code, from, to, dept).await?;
        let tables = vec![
            ("部门".to_string(), "department", sup.by_department.clone()),
            ("受理场所".to_string(), "site", sup.by_site.clone()),
            (
                "事项".to_string(),
                "item",
                sup.by_item.iter().take(30).cloned().collect(),
            ),
        ];
        Ok::<_, Error>(SupervisionPage {
            layout: Layout::new("效能监察", Some(&s)),
            s: sup,
            tables,
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "progress.html")]
struct ProgressPage {
    layout: Layout,
    number: String,
    code: String,
    error: String,
    result: Option<cases::Progress>,
}

#[derive(Deserialize, Default)]
struct ProgressQuery {
    number: Option<String>,
    code: Option<String>,
}

async fn progress_page(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    MaybeWebUser(session): MaybeWebUser,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let number = q.number.unwrap_or_default().trim().to_string();
    let code = q.code.unwrap_or_default().trim().to_string();
    let (result, refusal) = super::run_query(&number, cases::progress(&state, &number, &code, address)).await;
    let page = ProgressPage {
        layout: Layout::new("办件进度查询", session.as_ref()),
        error: refusal.as_ref().map(|e| e.message.clone()).unwrap_or_default(),
        number,
        code,
        result,
    };
    super::query_page(&page, refusal)
}
