//! The staff workbench: a home page for each role, catalog browsing and editing, the guide-quality report and
//! staff management.

use super::todo::Figure;
use super::{error_page, render_result, Layout, Pager};
use crate::auth::WebUser;
use crate::extract::StaffForm;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tongban_app::catalog::{GuideChange, MaterialIn};
use tongban_app::catalog::{QualityFinding, QualityReport, RULE_LABELS};
use tongban_app::policy::{self, Capability};
use tongban_app::{Error, ErrorKind};
use tongban_core::catalog::{parse_yuan, Guide, ITEM_TYPES};
use tongban_core::role::Role;
use tongban_store::{Department, ItemSummary, NewStaff, Staff};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff", get(home))
        .route("/staff/catalog", get(catalog))
        .route("/staff/catalog/{code}/edit", get(edit_form).post(edit_submit))
        .route("/staff/quality", get(quality))
        .route("/staff/users", get(users).post(add_user))
        .route("/staff/users/{username}", axum::routing::post(edit_user))
        .route("/staff/users/{username}/password", axum::routing::post(reset_password))
        .route("/staff/users/{username}/active", axum::routing::post(set_active))
        .route("/staff/password", get(password_form).post(change_password))
}

pub struct Link {
    pub label: &'static str,
    pub href: &'static str,
    pub desc: &'static str,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
struct Home {
    layout: Layout,
    q: String,
    me: Staff,
    /// What waits for this person (none for a role no work waits for).
    todo: Option<Vec<Figure>>,
    /// The first of the to-do entries, late first.
    entries: Vec<tongban_app::todo::Entry>,
    /// Their department's (or the region's) open cases by urgency, and other counts of their work.
    figures: Vec<Figure>,
    links: Vec<Link>,
    findings_title: String,
    findings: Vec<QualityFinding>,
}

fn links_for(role: Role) -> Vec<Link> {
    let catalog = Link {
        label: "事项目录",
        href: "/staff/catalog",
        desc: "按部门、层级、类型查阅全部事项的办事指南",
    };
    let quality = Link {
        label: "指南质量监测",
        href: "/staff/quality",
        desc: "缺依据、缺电话、时限倒挂、跑动无理由等问题清单",
    };
    let users = Link {
        label: "人员管理",
        href: "/staff/users",
        desc: "新增工作人员，分配角色与部门",
    };
    let search = Link {
        label: "办事搜索",
        href: "/search",
        desc: "用群众的说法查找事项，一次性告知所需材料",
    };
    let reform = Link {
        label: "改革服务",
        href: "/staff/reform",
        desc: "容缺承诺、一件事、全域通办与赋权、差评整改一览",
    };
    let rectify = Link {
        label: "差评整改",
        href: "/staff/rectifications",
        desc: "差评限期整改答复、回访评价人、恶意差评申诉",
    };
    let bundles = Link {
        label: "一件事一次办",
        href: "/staff/bundles",
        desc: "一张表单、一套材料，多部门并联办理，一次送达",
    };
    let tablet = Link {
        label: "窗口评价器",
        href: "/staff/tablet",
        desc: "办事群众在窗口平板上对本次服务或办件作出评价（一次一评、一事一评）",
    };
    let delegations = Link {
        label: "赋权与跨省通办",
        href: "/staff/delegations",
        desc: "向园区、镇、村赋权及撤回，跨省通办合作地区",
    };
    let enterprises = Link {
        label: "企业服务",
        href: "/staff/enterprises",
        desc: "企业全生命周期办件与证照，帮代办配对",
    };
    match role {
        Role::Admin => vec![catalog, quality, users, delegations, enterprises, reform, search],
        Role::Clerk => vec![bundles, tablet, enterprises, search, catalog],
        Role::Reviewer | Role::Head => vec![rectify, quality, catalog, search],
        Role::Supervisor => vec![reform, rectify, quality, catalog, search],
        _ => vec![search, catalog],
    }
}

async fn home(State(state): State<AppState>, WebUser(session): WebUser) -> Response {
    let me = session.staff.clone();
    let region = me.region_code.clone();
    let result = async {
        let (todo, entries) = if super::todo::takes_work(&me) {
            let t = tongban_app::todo::todo(&state, &session, None, false).await?;
            let figures = super::todo::figures(&t);
            (Some(figures), t.entries.into_iter().take(10).collect())
        } else {
            (None, vec![])
        };
        let mut figures = super::todo::scope_figures(&state, &session).await?;
        let mut findings = vec![];
        let mut findings_title = String::new();
        if policy::allows(&me, Capability::CheckGuides) {
            let dept = tongban_app::catalog::quality_scope(&me, None)?;
            let report = tongban_app::catalog::quality_report(&state.store, &region, dept.as_deref(), None).await?;
            let label = if dept.is_some() {
                "本部门待整改指南"
            } else {
                "待整改指南"
            };
            figures.push(Figure::new(label, report.failing, "/staff/quality").toned("yellow", report.failing as i64));
            findings_title = if dept.is_some() {
                "本部门待整改的办事指南".into()
            } else {
                "待整改的办事指南".into()
            };
            findings = report.findings.into_iter().take(8).collect();
        }
        if policy::allows(&me, Capability::ManageStaff) {
            figures.push(Figure::new(
                "工作人员",
                tongban_app::staff::list(&state, &session).await?.len(),
                "/staff/users",
            ));
            figures.push(Figure::new(
                "目录事项",
                tongban_app::catalog::count_items(&state, &region).await?,
                "/staff/catalog",
            ));
        }
        if let Some(code) = &me.department_code {
            if let Some(d) = tongban_app::catalog::department(&state, &region, code).await? {
                figures.push(Figure::new(
                    "本部门事项",
                    d.item_count,
                    format!("/staff/catalog?department={code}"),
                ));
            }
        }
        Ok::<_, Error>(Home {
            layout: Layout::new("工作台", Some(&session)),
            q: String::new(),
            links: links_for(me.role),
            todo,
            entries,
            figures,
            findings_title,
            findings,
            me,
        })
    }
    .await;
    render_result(result)
}

#[derive(Deserialize, Default)]
struct CatalogQuery {
    q: Option<String>,
    department: Option<String>,
    level: Option<String>,
    #[serde(rename = "type")]
    item_type: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "staff_catalog.html")]
struct CatalogPage {
    layout: Layout,
    is_admin: bool,
    departments: Vec<Department>,
    types: Vec<(&'static str, &'static str)>,
    f_q: String,
    f_department: String,
    f_level: String,
    f_type: String,
    total: i64,
    items: Vec<ItemSummary>,
    pager: Pager,
}

const CATALOG_PAGE_SIZE: i64 = 50;

async fn catalog(State(state): State<AppState>, WebUser(session): WebUser, Query(p): Query<CatalogQuery>) -> Response {
    let me = &session.staff;
    let region = me.region_code.clone();
    let page = p.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let result = async {
        let filter = tongban_app::catalog::item_filter(
            &state,
            &region,
            p.q.clone(),
            p.department.clone(),
            p.level.clone(),
            p.item_type.clone(),
        )
        .await?;
        let items = tongban_app::catalog::items(&state, &region, &filter, page, CATALOG_PAGE_SIZE).await?;
        let f_q = p.q.unwrap_or_default();
        let f_department = p.department.unwrap_or_default();
        let f_level = p.level.unwrap_or_default();
        let f_type = p.item_type.unwrap_or_default();
        let base = format!(
            "/staff/catalog?q={}&department={}&level={}&type={}&",
            super::url_escape(&f_q),
            super::url_escape(&f_department),
            super::url_escape(&f_level),
            super::url_escape(&f_type)
        );
        Ok::<_, Error>(CatalogPage {
            layout: Layout::new("事项目录", Some(&session)),
            is_admin: policy::allows(me, Capability::EditCatalog),
            departments: tongban_app::catalog::departments(&state, &region).await?,
            types: ITEM_TYPES.to_vec(),
            pager: Pager::new(page, CATALOG_PAGE_SIZE, items.total, base),
            f_q,
            f_department,
            f_level,
            f_type,
            total: items.total,
            items: items.data,
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "staff_item_edit.html")]
struct EditPage {
    layout: Layout,
    g: Guide,
    version: i64,
    departments: Vec<Department>,
    /// The materials, and blank rows to add new ones.
    materials: Vec<MaterialIn>,
    keywords: String,
    fee_yuan: String,
    /// The application form as its JSON definition, and whether it is the default one.
    form_json: String,
    default_form: bool,
    error: String,
}

async fn edit_page(
    state: &AppState,
    session: &tongban_store::Session,
    code: &str,
    draft: Option<Guide>,
    error: String,
) -> Response {
    let me = &session.staff;
    if let Err(e) = policy::require(me, Capability::EditCatalog) {
        return error_page(e);
    }
    let result = async {
        let item = tongban_app::catalog::item(state, &me.region_code, code, None)
            .await?
            .ok_or_else(|| Error::not_found(format!("事项“{code}”")))?;
        let g = draft.unwrap_or(item.guide);
        Ok::<_, Error>(EditPage {
            layout: Layout::new(format!("修改：{}", g.name), Some(session)),
            version: item.version,
            departments: tongban_app::catalog::departments(state, &me.region_code).await?,
            materials: g
                .materials
                .iter()
                .map(MaterialIn::of)
                .chain((0..BLANK_MATERIALS).map(|_| MaterialIn {
                    name: String::new(),
                    required: true,
                    may_be_missing: false,
                    originals: 1,
                    copies: 0,
                }))
                .collect(),
            keywords: g.keywords.join(";"),
            fee_yuan: if g.fee_fen == 0 {
                "0".into()
            } else {
                format!("{}.{:02}", g.fee_fen / 100, g.fee_fen % 100)
            },
            form_json: serde_json::to_string_pretty(&g.application_form()).unwrap_or_default(),
            default_form: g.form.is_none(),
            error: error.clone(),
            g,
        })
    }
    .await;
    super::form_result(result, !error.is_empty())
}

async fn edit_form(State(state): State<AppState>, WebUser(session): WebUser, Path(code): Path<String>) -> Response {
    edit_page(&state, &session, &code, None, String::new()).await
}

#[derive(Deserialize)]
struct EditForm {
    name: String,
    department: String,
    legal_limit_days: String,
    promised_limit_days: String,
    visits: String,
    online_depth: String,
    visit_reason: String,
    legal_basis: String,
    #[serde(default)]
    conditions: String,
    /// One step a line.
    #[serde(default)]
    steps: String,
    fee_yuan: String,
    fee_basis: String,
    consult_phone: String,
    supervise_phone: String,
    address: String,
    hours: String,
    keywords: String,
    #[serde(default)]
    form_json: String,
    /// The checkbox 使用默认申请表.
    #[serde(default)]
    default_form: Option<String>,
    /// The materials' rows: `materials` (how many), `m<i>_name`, `m<i>_required`, `m<i>_missing`, `m<i>_originals`,
    /// `m<i>_copies`.
    #[serde(flatten)]
    rows: std::collections::HashMap<String, String>,
}

/// Blank rows the guide form offers for new materials.
const BLANK_MATERIALS: usize = 3;

fn whole(field: &str, v: &str) -> Result<u32, Error> {
    v.trim()
        .parse()
        .map_err(|_| Error::unprocessable("invalid_number", format!("{field}应为非负整数，而不是“{v}”")))
}

impl EditForm {
    /// The material rows with a name, in order (a blank row is no material).
    fn materials(&self) -> Result<Vec<MaterialIn>, Error> {
        let field = |k: String| self.rows.get(&k).map(|v| v.trim().to_string()).unwrap_or_default();
        let count = field("materials".into()).parse::<usize>().unwrap_or(0).min(200);
        (0..count)
            .filter(|i| !field(format!("m{i}_name")).is_empty())
            .map(|i| {
                let name = field(format!("m{i}_name"));
                Ok(MaterialIn {
                    required: field(format!("m{i}_required")) == "1",
                    may_be_missing: field(format!("m{i}_missing")) == "1",
                    originals: whole(&format!("“{name}”的原件份数"), &field(format!("m{i}_originals")))?,
                    copies: whole(&format!("“{name}”的复印件份数"), &field(format!("m{i}_copies")))?,
                    name,
                })
            })
            .collect()
    }

    fn change(&self) -> Result<GuideChange, Error> {
        let form = match (self.default_form.is_some(), self.form_json.trim()) {
            (true, _) | (false, "") => None,
            (false, json) => Some(serde_json::from_str(json).map_err(|e| {
                Error::unprocessable("invalid_form_definition", format!("申请表定义不是有效的JSON：{e}"))
            })?),
        };
        let fee_fen = parse_yuan(&self.fee_yuan).ok_or_else(|| {
            Error::unprocessable(
                "invalid_fee",
                format!("收费金额“{}”应为元，至多两位小数", self.fee_yuan),
            )
        })?;
        Ok(GuideChange {
            name: Some(self.name.trim().into()),
            department: Some(self.department.clone()),
            legal_limit_days: Some(whole("法定时限", &self.legal_limit_days)?),
            promised_limit_days: Some(whole("承诺时限", &self.promised_limit_days)?),
            visits: Some(whole("到现场次数", &self.visits)?),
            online_depth: Some(whole("网办深度", &self.online_depth)?.min(255) as u8),
            visit_reason: Some(self.visit_reason.trim().into()),
            legal_basis: Some(self.legal_basis.trim().into()),
            conditions: Some(self.conditions.trim().into()),
            steps: Some(self.steps.lines().map(String::from).collect()),
            materials: Some(self.materials()?),
            fee_fen: Some(fee_fen),
            fee_basis: Some(self.fee_basis.trim().into()),
            consult_phone: Some(self.consult_phone.trim().into()),
            supervise_phone: Some(self.supervise_phone.trim().into()),
            address: Some(self.address.trim().into()),
            hours: Some(self.hours.trim().into()),
            keywords: Some(
                self.keywords
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            form,
            default_form: self.default_form.is_some(),
            ..Default::default()
        })
    }
}

async fn edit_submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    StaffForm(session, f): StaffForm<EditForm>,
) -> Response {
    let change = match f.change() {
        Ok(change) => change,
        Err(e) => return edit_page(&state, &session, &code, None, e.message).await,
    };
    match tongban_app::catalog::edit_guide(&state, &session.staff, &code, change.clone()).await {
        Ok(_) => Redirect::to(&format!("/items/{code}")).into_response(),
        Err(e) if matches!(e.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => error_page(e),
        Err(e) => {
            // Shown again as typed, where the change can be laid over the current guide.
            let draft = match tongban_app::catalog::item(&state, &session.staff.region_code, &code, None).await {
                Ok(Some(item)) => change.lay_over(item.guide).ok(),
                _ => None,
            };
            edit_page(&state, &session, &code, draft, e.message).await
        }
    }
}

#[derive(Deserialize, Default)]
struct QualityQuery {
    department: Option<String>,
    rule: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "staff_quality.html")]
struct QualityPage {
    layout: Layout,
    is_admin: bool,
    department_bound: bool,
    departments: Vec<Department>,
    rules: Vec<(&'static str, &'static str)>,
    f_department: String,
    f_rule: String,
    report: QualityReport,
    findings: Vec<QualityFinding>,
    pager: Pager,
}

const QUALITY_PAGE_SIZE: i64 = 50;

async fn quality(State(state): State<AppState>, WebUser(session): WebUser, Query(p): Query<QualityQuery>) -> Response {
    let me = &session.staff;
    let page = p.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let result = async {
        let dept = tongban_app::catalog::quality_scope(me, p.department.as_deref())?;
        let rule = p.rule.clone().filter(|r| RULE_LABELS.iter().any(|(c, _)| c == r));
        let mut report =
            tongban_app::catalog::quality_report(&state.store, &me.region_code, dept.as_deref(), rule.as_deref())
                .await?;
        let findings: Vec<QualityFinding> = std::mem::take(&mut report.findings)
            .into_iter()
            .skip(((page - 1) * QUALITY_PAGE_SIZE) as usize)
            .take(QUALITY_PAGE_SIZE as usize)
            .collect();
        let f_department = dept.unwrap_or_default();
        let f_rule = rule.unwrap_or_default();
        Ok::<_, Error>(QualityPage {
            layout: Layout::new("指南质量监测", Some(&session)),
            is_admin: policy::allows(me, Capability::EditCatalog),
            department_bound: me.role.is_department_bound(),
            departments: tongban_app::catalog::departments(&state, &me.region_code).await?,
            rules: RULE_LABELS.to_vec(),
            pager: Pager::new(
                page,
                QUALITY_PAGE_SIZE,
                report.failing as i64,
                format!("/staff/quality?department={}&rule={}&", f_department, f_rule),
            ),
            f_department,
            f_rule,
            report,
            findings,
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "staff_users.html")]
struct UsersPage {
    layout: Layout,
    /// The administrator's own user name: their row offers no disabling.
    me: String,
    staff: Vec<Staff>,
    /// Accounts in the region before the search narrowed them.
    total: usize,
    departments: Vec<Department>,
    /// Each window with its site's name in `site_code` (several sites have a 综合受理窗口1号).
    windows: Vec<tongban_store::Window>,
    roles: Vec<(&'static str, &'static str)>,
    q: String,
    f_role: String,
    /// The add form as last typed (kept when it was refused; never the password).
    form: UserForm,
    error: String,
    notice: String,
}

/// The account form's fields (add and edit), as typed.
#[derive(Deserialize, Default, Clone)]
struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    window: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize, Default)]
struct UsersQuery {
    q: Option<String>,
    role: Option<String>,
}

async fn users_page(
    state: &AppState,
    session: &tongban_store::Session,
    query: UsersQuery,
    form: UserForm,
    error: String,
    notice: String,
) -> Response {
    let me = &session.staff;
    let result = async {
        let all = tongban_app::staff::list(state, session).await?;
        let total = all.len();
        let q = query.q.unwrap_or_default().trim().to_string();
        let f_role = query.role.unwrap_or_default();
        let staff = all
            .into_iter()
            .filter(|s| f_role.is_empty() || s.role.as_str() == f_role)
            .filter(|s| {
                q.is_empty()
                    || s.username.contains(&q)
                    || s.display_name.contains(&q)
                    || s.department_name.as_deref().is_some_and(|d| d.contains(&q))
                    || s.window_name.as_deref().is_some_and(|w| w.contains(&q))
            })
            .collect();
        let sites = tongban_app::catalog::sites(state, &me.region_code).await?;
        let mut windows = state.store.windows(&me.region_code).await?;
        for w in windows.iter_mut() {
            if let Some(site) = sites.iter().find(|x| x.code == w.site_code) {
                w.site_code = site.name.clone();
            }
        }
        Ok::<_, Error>(UsersPage {
            layout: Layout::new("人员管理", Some(session)),
            me: me.username.clone(),
            staff,
            total,
            departments: tongban_app::catalog::departments(state, &me.region_code).await?,
            windows,
            roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
            q,
            f_role,
            form: UserForm {
                password: String::new(),
                ..form
            },
            error: error.clone(),
            notice,
        })
    }
    .await;
    super::form_result(result, !error.is_empty())
}

async fn users(State(state): State<AppState>, WebUser(session): WebUser, Query(q): Query<UsersQuery>) -> Response {
    users_page(&state, &session, q, UserForm::default(), String::new(), String::new()).await
}

/// The users page after a change to an existing account: the notice on success, the refusal above the list (a
/// forbidden change is the error page).
async fn after_account_change(
    state: &AppState,
    session: &tongban_store::Session,
    outcome: Result<String, Error>,
) -> Response {
    let (error, notice) = match outcome {
        Ok(notice) => (String::new(), notice),
        Err(e) if e.kind == ErrorKind::Forbidden => return error_page(e),
        Err(e) => (e.message, String::new()),
    };
    users_page(
        state,
        session,
        UsersQuery::default(),
        UserForm::default(),
        error,
        notice,
    )
    .await
}

/// An administrator changes an account's name, role, department or window.
async fn edit_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
    StaffForm(session, f): StaffForm<UserForm>,
) -> Response {
    let a = tongban_app::staff::Assignment {
        display_name: f.display_name,
        role: f.role,
        department: f.department,
        window: f.window,
    };
    let outcome = tongban_app::staff::assign(&state, &session, &username, &a)
        .await
        .map(|s| {
            format!(
                "已更新“{}”：{}；其原有登录已失效，须重新登录",
                s.display_name,
                s.role.label()
            )
        })
        .map_err(|e| Error {
            message: format!("“{username}”未更新：{}", e.message),
            ..e
        });
    after_account_change(&state, &session, outcome).await
}

async fn add_user(State(state): State<AppState>, StaffForm(session, f): StaffForm<UserForm>) -> Response {
    let me = &session.staff;
    let role = match Role::parse(&f.role) {
        Ok(r) => r,
        Err(e) => return users_page(&state, &session, UsersQuery::default(), f, e.to_string(), String::new()).await,
    };
    let new = NewStaff {
        region_code: &me.region_code,
        username: f.username.trim(),
        display_name: f.display_name.trim(),
        role,
        department_code: Some(f.department.as_str()).filter(|d| !d.is_empty()),
        window_code: Some(f.window.as_str()).filter(|w| !w.is_empty()),
        password: &f.password,
    };
    let outcome = tongban_app::staff::add(&state, &session, &new).await;
    match outcome {
        Ok(s) => {
            let notice = format!("已新增“{}”（{}）", s.display_name, s.role.label());
            users_page(
                &state,
                &session,
                UsersQuery::default(),
                UserForm::default(),
                String::new(),
                notice,
            )
            .await
        }
        Err(e) if e.kind == tongban_app::ErrorKind::Forbidden => error_page(e),
        Err(e) => users_page(&state, &session, UsersQuery::default(), f, e.message, String::new()).await,
    }
}

#[derive(Deserialize)]
struct ResetForm {
    password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    Path(username): Path<String>,
    StaffForm(session, f): StaffForm<ResetForm>,
) -> Response {
    let outcome = tongban_app::staff::reset_password(&state, &session, &username, &f.password)
        .await
        .map(|()| format!("已重置“{username}”的密码，其所有登录已失效；请把新密码当面告知本人"));
    after_account_change(&state, &session, outcome).await
}

#[derive(Deserialize)]
struct ActiveForm {
    active: String,
}

async fn set_active(
    State(state): State<AppState>,
    Path(username): Path<String>,
    StaffForm(session, f): StaffForm<ActiveForm>,
) -> Response {
    let active = f.active == "1";
    let outcome = tongban_app::staff::set_active(&state, &session, &username, active)
        .await
        .map(|()| {
            if active {
                format!("已启用“{username}”")
            } else {
                format!("已停用“{username}”，其所有登录已失效")
            }
        });
    after_account_change(&state, &session, outcome).await
}

#[derive(Template)]
#[template(path = "staff_password.html")]
struct PasswordPage {
    layout: Layout,
    error: String,
    notice: String,
}

fn password_page(session: &tongban_store::Session, error: String, notice: String) -> Response {
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PasswordPage {
        layout: Layout::new("修改密码", Some(session)),
        error,
        notice,
    };
    (status, super::render(&page)).into_response()
}

async fn password_form(WebUser(session): WebUser) -> Response {
    password_page(&session, String::new(), String::new())
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(state): State<AppState>,
    jar: axum_extra::extract::CookieJar,
    StaffForm(session, f): StaffForm<ChangePasswordForm>,
) -> Response {
    let token = jar
        .get(crate::auth::SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    match tongban_app::staff::change_own_password(&state, &session, &token, &f.current_password, &f.new_password).await
    {
        Ok(()) => password_page(&session, String::new(), "密码已修改，其他设备上的登录已失效".into()),
        Err(e) => password_page(&session, e.message, String::new()),
    }
}
