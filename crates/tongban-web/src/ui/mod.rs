//! Server-rendered pages in Simplified Chinese: the public portal and each staff role's workbench. Pages call the
//! same use cases and store queries as the API; the templates are checked at compile time (askama) and every
//! asset is compiled into the binary.

mod apply;
mod cases;
mod disclosure;
mod hotline;
mod queue;
mod reform;
mod staff;
mod todo;
mod workflow;

use crate::auth::{self, MaybeWebUser, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use crate::extract::ClientAddress;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use tongban_app::{Error, ErrorKind};
use tongban_core::catalog::Guide;
use tongban_store::{Department, ItemRecord, ItemSummary, Session, SessionKind, Site, Staff};

static REGION_NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names the deployment's district on every page; set once, when the app is built from its settings.
pub fn set_region_name(name: &str) {
    let _ = REGION_NAME.set(name.to_string());
}

fn region_name() -> String {
    REGION_NAME.get().cloned().unwrap_or_default()
}

/// The applicant signed in on the portal (its cookie), if any.
pub async fn signed_in_applicant(
    state: &AppState,
    jar: &axum_extra::extract::CookieJar,
) -> Option<tongban_store::ApplicantSession> {
    let c = jar.get(reform::APPLICANT_COOKIE)?;
    tongban_app::reform::applicant_session(state, c.value())
        .await
        .ok()
        .flatten()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search_page))
        .route("/items/{code}", get(item_page))
        .route("/departments/{code}", get(department_page))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", axum::routing::post(logout))
        .route(
            "/assets/app.css",
            get(|| asset("text/css; charset=utf-8", include_str!("../../assets/app.css"))),
        )
        .route(
            "/assets/favicon.svg",
            get(|| asset("image/svg+xml", include_str!("../../assets/favicon.svg"))),
        )
        // Browsers ask for /favicon.ico whatever the page says: the same seal.
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/assets/favicon.svg") }),
        )
        .route(
            "/assets/app.js",
            get(|| asset("text/javascript; charset=utf-8", include_str!("../../assets/app.js"))),
        )
        .merge(staff::router())
        .merge(todo::router())
        .merge(workflow::router())
        .merge(cases::router())
        .merge(apply::router())
        .merge(reform::router())
        .merge(queue::router())
        .merge(disclosure::router())
        .merge(hotline::router())
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// What every page's frame needs: the title, the signed-in staff member (if any) and their CSRF token.
pub struct Layout {
    pub title: String,
    /// The deployment's district as the public reads it (云溪区): in the site's name, the footer, default texts.
    pub region: String,
    pub user: Option<Staff>,
    pub csrf: String,
    /// The workbench's links this staff member may follow: (path, name).
    pub nav: Vec<(&'static str, &'static str)>,
}

impl Layout {
    pub fn new(title: impl Into<String>, session: Option<&Session>) -> Layout {
        Layout {
            title: title.into(),
            region: region_name(),
            user: session.map(|s| s.staff.clone()),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            nav: session.map(|s| staff_nav(&s.staff)).unwrap_or_default(),
        }
    }
}

/// The workbench's menu: every page is offered only to those the policy lets open it.
fn staff_nav(staff: &Staff) -> Vec<(&'static str, &'static str)> {
    use tongban_app::policy::{allows, Capability as C};
    let links: [(&[C], &str, &str); 16] = [
        (&[], "/staff", "工作台"),
        (&[C::FileCases], "/staff/cases/new", "窗口受理"),
        (&[C::ReadCases], "/staff/cases", "办件"),
        (&[C::ReadSupervision], "/staff/supervision", "效能监察"),
        (&[C::FileCases], "/staff/bundles", "一件事"),
        (&[C::ReadCases], "/staff/reform", "改革服务"),
        (&[C::UseDisclosureWorkbench], "/staff/disclosure", "政务公开"),
        (&[C::CallAtWindow], "/staff/queue", "窗口叫号"),
        (&[C::ReadQueueFigures], "/staff/queue/figures", "取号统计"),
        (&[C::ConfigureQueue], "/staff/queue/categories", "取号类别"),
        (&[C::UseHotline], "/staff/hotline", "12345热线"),
        (&[C::ConfigureHotline], "/staff/hotline/categories", "热线工单分类"),
        (&[C::ConfigureHotline], "/staff/hotline/keys", "Open311密钥"),
        (&[], "/staff/catalog", "事项目录"),
        (&[C::CheckGuides], "/staff/quality", "指南质量监测"),
        (&[C::ManageStaff], "/staff/users", "人员管理"),
    ];
    let mut nav: Vec<(&'static str, &'static str)> = links
        .iter()
        .filter(|(needs, href, _)| {
            needs.iter().all(|c| allows(staff, *c)) && (*href != "/staff/queue" || staff.window_name.is_some())
        })
        .map(|(_, href, label)| (*href, *label))
        .collect();
    if todo::takes_work(staff) {
        nav.insert(1, ("/staff/todo", "待我办理"));
    }
    if allows(staff, C::ConfigureWorkflows) {
        nav.push(("/staff/workflows/default", "流程模板"));
    }
    nav
}

/// Page links that keep the other query parameters.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub base: String,
}

impl Pager {
    pub fn new(page: i64, per_page: i64, total: i64, base: String) -> Pager {
        Pager {
            page,
            pages: (total + per_page - 1) / per_page.max(1),
            base,
        }
    }
    pub fn link(&self, page: i64) -> String {
        format!("{}page={page}", self.base)
    }
}

/// A page built by a use case that may fail: the page, or the error page naming the problem.
pub fn render_result<T: Template>(r: Result<T, Error>) -> Response {
    match r {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}

/// The error page for a form whose CSRF token does not match the session's.
pub fn csrf_refused() -> Response {
    error_page(Error::forbidden("表单已过期，请刷新页面后重试"))
}

/// Filters of our templates (askama looks for `filters` beside each template's struct).
pub mod filters {
    /// A stored instant (UTC) as people read it, in Beijing time: `2026-12-07 11:51`; other text unchanged.
    pub fn local<T: std::fmt::Display>(s: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(tongban_app::time::beijing(&s.to_string()))
    }
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(Error::internal(e)),
    }
}

/// A form page: shown again after a refusal (`refused`) it answers 422, with what was typed still in it.
pub fn form_result<T: Template>(result: Result<T, Error>, refused: bool) -> Response {
    match result {
        Ok(page) if refused => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response(),
        other => render_result(other),
    }
}

/// Runs a public query once a number was given: its result, or the refusal whose message the page shows.
pub async fn run_query<R>(
    number: &str,
    query: impl std::future::Future<Output = Result<R, Error>>,
) -> (Option<R>, Option<Error>) {
    if number.is_empty() {
        return (None, None);
    }
    match query.await {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(e)),
    }
}

/// A public query page (a case or an order by number and code) after its query: the page shows the refusal's
/// message; a throttled query also answers 429 with `Retry-After`, so that a script trying codes sees the refusal.
pub fn query_page<T: Template>(page: &T, refusal: Option<Error>) -> Response {
    let mut response = render(page);
    if let Some(e) = refusal.filter(|e| e.kind == tongban_app::ErrorKind::TooMany) {
        *response.status_mut() = crate::error::status_of(e.kind);
        crate::error::with_retry_after(&mut response, e.retry_after);
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    message: String,
}

/// An error as a page, with the status of the error. The error travels with the response, so that
/// `staff_error_layout` can put the workbench around it for a signed-in staff member.
pub fn error_page(e: Error) -> Response {
    let mut response = error_page_for(&e, None);
    response.extensions_mut().insert(e);
    response
}

fn error_page_for(e: &Error, session: Option<&Session>) -> Response {
    let status = crate::error::status_of(e.kind);
    let heading = match e.kind {
        ErrorKind::NotFound => "找不到页面",
        ErrorKind::Forbidden => "无权访问",
        _ if status.is_client_error() => "请求有误",
        _ => "系统繁忙",
    };
    let page = ErrorPage {
        layout: Layout::new(heading, session),
        heading: heading.into(),
        message: e.message.clone(),
    };
    let body = page.render().unwrap_or_else(|_| e.message.clone());
    let mut response = (status, Html(body)).into_response();
    crate::error::with_retry_after(&mut response, e.retry_after);
    response
}

/// Error pages answered to a signed-in staff member keep the workbench around them — the menu, who is signed in,
/// sign-out — instead of looking signed out.
pub async fn staff_error_layout(
    MaybeWebUser(session): MaybeWebUser,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(req).await;
    match (response.extensions().get::<Error>(), session) {
        (Some(e), Some(s)) => error_page_for(e, Some(&s)),
        _ => response,
    }
}

pub fn not_found_page() -> Response {
    error_page(Error::not_found("您要找的页面"))
}

fn url_escape(s: &str) -> String {
    auth::urlencode(s)
}

/// Everyday questions shown under the search box, written from how people ask at the window.
const HINTS: [&str; 6] = [
    "开饭店要办什么证",
    "孩子上学报名",
    "社保卡丢了",
    "办营业执照",
    "公积金提取",
    "残疾人证",
];

pub struct BundleView {
    pub name: String,
    pub items: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    layout: Layout,
    q: String,
    item_count: i64,
    departments: Vec<Department>,
    bundles: Vec<BundleView>,
    sites: Vec<Site>,
    hints: Vec<&'static str>,
}

async fn home(State(state): State<AppState>, MaybeWebUser(session): MaybeWebUser) -> Response {
    let region = state.config.default_region.clone();
    let result = async {
        let departments = tongban_app::catalog::departments(&state, &region).await?;
        let bundles = tongban_app::catalog::bundles(&state, &region).await?;
        let sites: Vec<Site> = tongban_app::catalog::sites(&state, &region)
            .await?
            .into_iter()
            .filter(|s| s.kind != "village_station")
            .collect();
        let item_count = tongban_app::catalog::count_items(&state, &region).await?;
        Ok::<_, Error>(Home {
            layout: Layout::new("首页", session.as_ref()),
            q: String::new(),
            item_count,
            departments: departments.into_iter().filter(|d| d.item_count > 0).collect(),
            bundles: bundles
                .into_iter()
                .map(|(b, names)| BundleView {
                    name: b.name,
                    items: b.item_codes.into_iter().zip(names).collect(),
                })
                .collect(),
            sites,
            hints: HINTS.to_vec(),
        })
    }
    .await;
    render_result(result)
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    page: Option<i64>,
}

pub struct HitView {
    pub code: String,
    pub name: String,
    pub department: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    total: usize,
    understood: String,
    hits: Vec<HitView>,
    first_rank: i64,
    pager: Pager,
}

const SEARCH_PAGE_SIZE: i64 = 10;

async fn search_page(
    State(state): State<AppState>,
    MaybeWebUser(session): MaybeWebUser,
    Query(p): Query<SearchQuery>,
) -> Response {
    let q: String = p.q.unwrap_or_default().trim().chars().take(200).collect();
    let page = p.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let mut view = SearchPage {
        layout: Layout::new(
            if q.is_empty() {
                "办事搜索".to_string()
            } else {
                format!("搜索：{q}")
            },
            session.as_ref(),
        ),
        total: 0,
        understood: String::new(),
        hits: vec![],
        first_rank: (page - 1) * SEARCH_PAGE_SIZE + 1,
        pager: Pager::new(page, SEARCH_PAGE_SIZE, 0, format!("/search?q={}&", url_escape(&q))),
        q,
    };
    if !view.q.is_empty() {
        let search = state.search.clone();
        let region = state.config.default_region.clone();
        let q = view.q.clone();
        let offset = ((page - 1) * SEARCH_PAGE_SIZE) as usize;
        let found = tokio::task::spawn_blocking(move || {
            let (own, expanded) = search.explain(&q);
            search
                .search(&region, &q, SEARCH_PAGE_SIZE as usize, offset)
                .map(|r| (r, own, expanded))
        })
        .await;
        match found {
            Ok(Ok(((total, hits), own, expanded))) => {
                view.total = total;
                let mut words = own;
                for e in expanded {
                    if !words.contains(&e) {
                        words.push(e);
                    }
                }
                view.understood = words.join("、");
                view.hits = hits
                    .into_iter()
                    .map(|h| HitView {
                        code: h.code,
                        name: h.name,
                        department: h.department,
                    })
                    .collect();
                view.pager.pages = (total as i64 + SEARCH_PAGE_SIZE - 1) / SEARCH_PAGE_SIZE;
            }
            Ok(Err(e)) => return error_page(e.into()),
            Err(e) => return error_page(Error::internal(e)),
        }
    }
    render(&view)
}

#[derive(Deserialize)]
struct VersionQuery {
    version: Option<i64>,
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage {
    layout: Layout,
    item: ItemRecord,
    g: Guide,
    levels: String,
}

async fn item_page(
    State(state): State<AppState>,
    MaybeWebUser(session): MaybeWebUser,
    Path(code): Path<String>,
    Query(v): Query<VersionQuery>,
) -> Response {
    let region = state.config.default_region.clone();
    match tongban_app::catalog::item(&state, &region, &code, v.version).await {
        Ok(Some(item)) => {
            let g = item.guide.clone();
            let levels = g
                .levels
                .iter()
                .map(|l| format!("{}级", l.label()))
                .collect::<Vec<_>>()
                .join("、");
            render(&ItemPage {
                layout: Layout::new(g.name.clone(), session.as_ref()),
                item,
                g,
                levels,
            })
        }
        Ok(None) => error_page(Error::not_found(format!("事项“{code}”"))),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "department.html")]
struct DepartmentPage {
    layout: Layout,
    department: Department,
    total: i64,
    items: Vec<ItemSummary>,
    pager: Pager,
}

async fn department_page(
    State(state): State<AppState>,
    MaybeWebUser(session): MaybeWebUser,
    Path(code): Path<String>,
    Query(p): Query<PageQuery>,
) -> Response {
    let region = state.config.default_region.clone();
    let page = p.page.unwrap_or(1).clamp(1, crate::extract::MAX_PAGE);
    let result = async {
        let department = tongban_app::catalog::department(&state, &region, &code)
            .await?
            .ok_or_else(|| Error::not_found(format!("部门“{code}”")))?;
        let filter = tongban_store::ItemFilter {
            department_code: Some(code.clone()),
            ..Default::default()
        };
        let items = tongban_app::catalog::items(&state, &region, &filter, page, 50).await?;
        Ok::<_, Error>(DepartmentPage {
            layout: Layout::new(department.name.clone(), session.as_ref()),
            pager: Pager::new(page, 50, items.total, format!("/departments/{code}?")),
            department,
            total: items.total,
            items: items.data,
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    login_csrf: String,
    next: String,
    username: String,
    error: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_page(state: &AppState, jar: CookieJar, next: String, username: String, e: Option<Error>) -> Response {
    let (jar, token) = auth::issue_sign_in_csrf(jar, "/login", state.web.secure_cookies);
    let status = e.as_ref().map_or(StatusCode::OK, |e| crate::error::status_of(e.kind));
    let retry_after = e.as_ref().and_then(|e| e.retry_after);
    let error = e.map(|e| e.message).unwrap_or_default();
    let page = LoginPage {
        layout: Layout::new("工作人员登录", None),
        login_csrf: token,
        next,
        username,
        error,
    };
    let mut response = (status, jar, render(&page)).into_response();
    crate::error::with_retry_after(&mut response, retry_after);
    response
}

async fn login_form(State(state): State<AppState>, jar: CookieJar, Query(q): Query<NextQuery>) -> Response {
    login_page(&state, jar, auth::safe_next(q.next.as_deref()), String::new(), None)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = auth::safe_next(f.next.as_deref());
    if !auth::sign_in_csrf_holds(&jar, &f.csrf) {
        let expired = Error::new(ErrorKind::Forbidden, "csrf_failed", "页面已过期，请重新登录");
        return login_page(&state, jar, next, f.username, Some(expired));
    }
    match tongban_app::auth::login(&state, f.username.trim(), &f.password, SessionKind::Web, address).await {
        Ok((token, _)) => {
            let cookie = Cookie::build((SESSION_COOKIE, token))
                .path("/")
                .http_only(true)
                .secure(state.web.secure_cookies)
                .same_site(SameSite::Lax);
            (
                jar.add(cookie).remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login")),
                Redirect::to(&next),
            )
                .into_response()
        }
        Err(e) => login_page(&state, jar, next, f.username, Some(e)),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(State(state): State<AppState>, jar: CookieJar, Form(f): Form<CsrfForm>) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        if let Ok(Some(s)) = tongban_app::auth::session(&state, c.value(), SessionKind::Web).await {
            if !tongban_app::auth::same_secret(&s.csrf_token, &f.csrf) {
                return csrf_refused();
            }
        }
        let _ = tongban_app::auth::end_session(&state, c.value()).await;
    }
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/")).into_response()
}
