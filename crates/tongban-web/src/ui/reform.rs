//! Pages of the reform services: the public rating results, licence verification, rating by the link in a notice,
//! the applicant's "my cases", and the staff overview of commitments, bundles, delegations and rectifications.

use super::{error_page, filters, render, render_result, Layout};
use crate::auth::{MaybeWebUser, WebUser};
use crate::extract::{ApplicantForm, ClientAddress, StaffForm};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use tongban_app::policy::{self, Capability};
use tongban_app::reform::{
    self, BundleCaseView, EnterpriseView, MyCase, RateSummary, Rater, ReformFigures, Verification,
};
use tongban_app::{Error, ErrorKind};
use tongban_store::{BundleCase, Commitment, Rectification, ToleranceFigures};

pub const APPLICANT_COOKIE: &str = "tongban_applicant";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ratings", get(ratings_page))
        .route("/licences/verify", get(verify_page))
        .route("/rate/{number}", get(rate_link_page).post(rate_link_submit))
        .route("/my", get(my_page))
        .route("/my/code", post(my_code))
        .route("/my/login", post(my_login))
        .route("/my/logout", post(my_logout))
        .route("/my/password", post(my_password))
        .route("/my/oidc/start", get(oidc_start))
        .route("/my/oidc/callback", get(oidc_callback))
        .route("/my/rate/{number}", get(my_rate_page).post(my_rate_submit))
        .route("/staff/reform", get(staff_reform))
        .route("/staff/cases/{number}/supplements", post(supplement_submit))
        .route("/staff/bundles", get(bundles_page))
        .route("/staff/rectifications", get(rectifications_page))
        .route("/staff/rectifications/{id}", post(rectification_submit))
        .route("/staff/delegations", get(delegations_page).post(delegation_submit))
        .route("/staff/delegations/{id}/revoke", post(delegation_revoke_submit))
        .route("/staff/enterprises", get(enterprise_page))
        .route("/staff/helpers", post(pair_submit))
        .route("/staff/licences/revoke", post(revoke_submit))
        .route("/staff/tablet", get(tablet_form).post(tablet_submit))
        .route("/staff/partners", post(partner_submit))
        .route("/staff/bundles/edit", post(bundle_edit_submit))
        .route(
            "/staff/bundles/{code}/new",
            get(bundle_new_form).post(bundle_new_submit),
        )
        .route("/staff/bundle-cases/{number}", get(bundle_case_page))
        .route("/staff/bundle-cases/{number}/act", post(bundle_act_submit))
}

#[derive(Template)]
#[template(path = "reform_ratings.html")]
struct RatingsPage {
    layout: Layout,
    by_department: RateSummary,
    by_window: RateSummary,
}

async fn ratings_page(State(state): State<AppState>, MaybeWebUser(s): MaybeWebUser) -> Response {
    let region = state.config.default_region.clone();
    let (d, w) = match (
        reform::rating_summary(&state, &region, Some("department"), None, None).await,
        reform::rating_summary(&state, &region, Some("window"), None, None).await,
    ) {
        (Ok(d), Ok(w)) => (d, w),
        (Err(e), _) | (_, Err(e)) => return error_page(e),
    };
    render(&RatingsPage {
        layout: Layout::new("好差评结果公开", s.as_ref()),
        by_department: d,
        by_window: w,
    })
}

#[derive(Template)]
#[template(path = "reform_verify.html")]
struct VerifyPage {
    layout: Layout,
    id: String,
    sig: String,
    result: Option<Verification>,
    qr: String,
    /// The signed-in department head or administrator may revoke it here.
    can_revoke: bool,
    error: String,
}

#[derive(Deserialize)]
struct VerifyQuery {
    id: Option<String>,
    sig: Option<String>,
    error: Option<String>,
}

async fn verify_page(
    State(state): State<AppState>,
    MaybeWebUser(s): MaybeWebUser,
    Query(q): Query<VerifyQuery>,
) -> Response {
    let id = q.id.unwrap_or_default().trim().to_string();
    let sig = q.sig.unwrap_or_default();
    let mut qr = String::new();
    let result = if id.is_empty() {
        None
    } else {
        match reform::verify_licence(&state, &id, Some(&sig), tongban_app::time::today()).await {
            Ok(v) => {
                qr = reform::verification_qr(&state, &id).await;
                Some(v)
            }
            Err(e) => return error_page(e),
        }
    };
    let can_revoke = s
        .as_ref()
        .is_some_and(|s| policy::allows(&s.staff, Capability::RevokeLicences))
        && result
            .as_ref()
            .is_some_and(|v| matches!(v.status.as_str(), "valid" | "expired"));
    render(&VerifyPage {
        layout: Layout::new("电子证照核验", s.as_ref()),
        id,
        sig,
        result,
        qr,
        can_revoke,
        error: q.error.unwrap_or_default(),
    })
}

#[derive(Template)]
#[template(path = "reform_rate.html")]
struct RatePage {
    layout: Layout,
    number: String,
    action: String,
    token: String,
    csrf: String,
    levels: Vec<(i64, &'static str)>,
    message: String,
    done: bool,
}

fn rate_page(number: &str, action: String, token: String, csrf: String, message: String, done: bool) -> Response {
    render(&RatePage {
        layout: Layout::new("办件评价", None),
        number: number.to_string(),
        action,
        token,
        csrf,
        levels: reform::LEVELS
            .iter()
            .enumerate()
            .map(|(i, l)| (i as i64 + 1, *l))
            .collect(),
        message,
        done,
    })
}

#[derive(Deserialize)]
struct LinkQuery {
    t: Option<String>,
}

async fn rate_link_page(Path(number): Path<String>, Query(q): Query<LinkQuery>) -> Response {
    let action = format!("/rate/{number}");
    rate_page(
        &number,
        action,
        q.t.unwrap_or_default(),
        String::new(),
        String::new(),
        false,
    )
}

#[derive(Deserialize)]
struct RateForm {
    level: i64,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    t: String,
}

fn rated_message(result: Result<(tongban_store::Rating, Option<i64>), Error>) -> (String, bool) {
    match result {
        Ok((_, Some(_))) => ("感谢评价。您的意见已转部门整改，5个工作日内回复并回访。".into(), true),
        Ok(_) => ("感谢您的评价。".into(), true),
        Err(e) => (e.message, false),
    }
}

async fn rate_link_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    Form(f): Form<RateForm>,
) -> Response {
    let region = state.config.default_region.clone();
    let result = reform::rate_case(&state, &region, &number, f.level, &f.comment, Rater::Link(&f.t)).await;
    let (message, done) = rated_message(result);
    rate_page(&number, format!("/rate/{number}"), f.t, String::new(), message, done)
}

#[derive(Template)]
#[template(path = "reform_my.html")]
struct MyPage {
    layout: Layout,
    who: Option<String>,
    identifier: String,
    name: String,
    phone: String,
    enterprise: String,
    /// Where to go after signing in: a path of this site (the apply page that sent the applicant here).
    next: String,
    code_sent: bool,
    message: String,
    /// A success to confirm (a filing made).
    notice: String,
    /// The province's identity service is configured: offer it.
    oidc: bool,
    csrf: String,
    cases: Vec<MyCase>,
    licences: Vec<reform::LicenceView>,
}

pub(super) async fn applicant(state: &AppState, jar: &CookieJar) -> Option<tongban_store::ApplicantSession> {
    super::signed_in_applicant(state, jar).await
}

/// The portal's session cookie of a signed-in applicant.
fn applicant_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build((APPLICANT_COOKIE, token))
        .path("/")
        .http_only(true)
        .secure(state.web.secure_cookies)
        .same_site(SameSite::Lax)
        .build()
}

/// The sign-in page (signed out), filled with what was typed so far, with a fresh sign-in CSRF token; `outcome` what
/// the last step said: a notice, or the refusal (its message shown and its status answered).
fn my_form(state: &AppState, jar: CookieJar, f: CodeForm, code_sent: bool, outcome: Result<&str, &Error>) -> Response {
    let (message, e) = match outcome {
        Ok(notice) => (notice.to_string(), None),
        Err(e) => (e.message.clone(), Some(e)),
    };
    let (jar, csrf) = crate::auth::issue_sign_in_csrf(jar, "/my", state.web.secure_cookies);
    let status = e.map_or(StatusCode::OK, |e| crate::error::status_of(e.kind));
    let page = render(&MyPage {
        layout: Layout::new("我的办件", None),
        who: None,
        identifier: f.identifier,
        name: f.name,
        phone: f.phone,
        enterprise: f.enterprise,
        next: local_path(&f.next).unwrap_or_default(),
        code_sent,
        message,
        notice: String::new(),
        oidc: state.config.oidc.is_some(),
        csrf,
        cases: vec![],
        licences: vec![],
    });
    let mut response = (status, jar, page).into_response();
    crate::error::with_retry_after(&mut response, e.and_then(|e| e.retry_after));
    response
}

fn local_path(next: &str) -> Option<String> {
    crate::auth::local_path(Some(next))
}

#[derive(Deserialize, Default)]
struct MyQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    filed: String,
    #[serde(default)]
    saved: String,
    #[serde(default)]
    password: String,
}

async fn my_page(State(state): State<AppState>, jar: CookieJar, Query(q): Query<MyQuery>) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        let blank = CodeForm {
            next: q.next,
            ..CodeForm::default()
        };
        return my_form(&state, jar, blank, false, Ok(""));
    };
    let lists = async {
        Ok::<_, Error>((
            reform::my_cases(&state, &a).await?,
            reform::my_licences(&state, &a).await?,
        ))
    };
    let notice = if !q.filed.is_empty() {
        format!("申请已提交，办件编号{}。受理结果将以短信通知。", q.filed)
    } else if !q.saved.is_empty() {
        "草稿已保存，可随时在下方继续填写。".to_string()
    } else if q.password == "1" {
        "登录密码已设置，下次可用身份证号码、手机号码和密码登录。".to_string()
    } else {
        String::new()
    };
    match lists.await {
        Ok((mut cases, licences)) => {
            for c in cases.iter_mut() {
                c.created_at = tongban_app::time::beijing(&c.created_at);
            }
            render(&MyPage {
                layout: Layout::new("我的办件", None),
                who: Some(format!("{}（{}）", a.name, policy::mask::signed_in(&a.identifier))),
                identifier: String::new(),
                name: String::new(),
                phone: String::new(),
                enterprise: String::new(),
                next: String::new(),
                code_sent: false,
                message: if q.password == "weak" {
                    "密码太弱：至少12个字符，不能全为数字或同一字符，也不能包含手机号码或身份证号码。".into()
                } else {
                    String::new()
                },
                notice,
                oidc: false,
                csrf: a.csrf_token.clone(),
                cases,
                licences,
            })
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
struct CodeForm {
    identifier: String,
    #[serde(default)]
    name: String,
    phone: String,
    #[serde(default)]
    code: String,
    /// Signing in with a registered password instead of a code.
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    /// An enterprise's credit code, when the person signs in for it.
    #[serde(default)]
    enterprise: String,
    /// The sign-in form's CSRF token (`auth::issue_sign_in_csrf`).
    #[serde(default)]
    csrf: String,
}

fn sign_in_page_expired() -> Error {
    Error::new(ErrorKind::Forbidden, "csrf_failed", "页面已过期，请重新操作")
}

async fn my_code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Response {
    if !crate::auth::sign_in_csrf_holds(&jar, &f.csrf) {
        return my_form(&state, jar, f, false, Err(&sign_in_page_expired()));
    }
    let region = state.config.default_region.clone();
    match reform::send_sign_in_code(&state, &region, &f.identifier, &f.phone, address).await {
        Ok(()) => my_form(&state, jar, f, true, Ok("验证码已发送，10分钟内有效")),
        Err(e) => my_form(&state, jar, f, false, Err(&e)),
    }
}

async fn my_login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    jar: CookieJar,
    Form(f): Form<CodeForm>,
) -> Response {
    if !crate::auth::sign_in_csrf_holds(&jar, &f.csrf) {
        return my_form(&state, jar, f, true, Err(&sign_in_page_expired()));
    }
    let region = state.config.default_region.clone();
    let enterprise = Some(f.enterprise.as_str()).filter(|e| !e.trim().is_empty());
    let proof = if f.password.is_empty() {
        reform::Proof::Code(&f.code)
    } else {
        reform::Proof::Password(&f.password)
    };
    let request = reform::SignInRequest {
        identifier: &f.identifier,
        name: &f.name,
        phone: &f.phone,
        proof,
        enterprise,
    };
    let signed_in = reform::sign_in(&state, &region, request, address).await;
    match signed_in {
        Ok((token, _)) => {
            let to = local_path(&f.next).unwrap_or_else(|| "/my".into());
            (jar.add(applicant_cookie(&state, token)), Redirect::to(&to)).into_response()
        }
        Err(e) => my_form(&state, jar, f, true, Err(&e)),
    }
}

#[derive(Deserialize, Default)]
struct OidcStart {
    #[serde(default)]
    next: String,
}

/// Sends the browser to the province's identity service.
async fn oidc_start(State(state): State<AppState>, Query(q): Query<OidcStart>) -> Response {
    let next = local_path(&q.next).unwrap_or_else(|| "/my".into());
    match reform::oidc_start(&state, &next).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize, Default)]
struct OidcCallback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
}

/// The identity service sends the browser back: the sign-in completes and the applicant's session begins.
async fn oidc_callback(State(state): State<AppState>, jar: CookieJar, Query(q): Query<OidcCallback>) -> Response {
    let region = state.config.default_region.clone();
    match reform::oidc_finish(&state, &region, &q.code, &q.state).await {
        Ok((token, _, next)) => {
            let to = local_path(&next).unwrap_or_else(|| "/my".into());
            (jar.add(applicant_cookie(&state, token)), Redirect::to(&to)).into_response()
        }
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

/// The signed-in person registers a password for later sign-ins.
async fn my_password(State(state): State<AppState>, ApplicantForm(a, f): ApplicantForm<PasswordForm>) -> Response {
    match reform::set_password(&state, &a, &f.password).await {
        Ok(()) => Redirect::to("/my?password=1").into_response(),
        Err(e) if e.code == "weak_password" => Redirect::to("/my?password=weak").into_response(),
        Err(e) => error_page(e),
    }
}

/// Signs the applicant out on this device: the session ends and the cookie goes.
async fn my_logout(
    State(state): State<AppState>,
    jar: CookieJar,
    ApplicantForm(_, _): ApplicantForm<serde::de::IgnoredAny>,
) -> Response {
    if let Some(c) = jar.get(APPLICANT_COOKIE) {
        if let Err(e) = reform::sign_out(&state, c.value()).await {
            return error_page(e);
        }
    }
    let gone = Cookie::build((APPLICANT_COOKIE, "")).path("/").build();
    (jar.remove(gone), Redirect::to("/my")).into_response()
}

async fn my_rate_page(State(state): State<AppState>, jar: CookieJar, Path(number): Path<String>) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return Redirect::to("/my").into_response();
    };
    // An unfinished case is said so before the form is filled in, not after.
    let mine = match reform::my_cases(&state, &a).await {
        Ok(cases) => cases.into_iter().find(|c| c.number == number),
        Err(e) => return error_page(e),
    };
    let (message, closed) = match mine {
        None => return error_page(Error::not_found(format!("办件“{number}”"))),
        Some(c) if c.rated => ("该办件已评价，感谢您的反馈。".to_string(), true),
        Some(c) if !c.finished => (
            format!("办件“{number}”尚未办结（{}），办结后才能评价。", c.state_label),
            true,
        ),
        Some(_) => (String::new(), false),
    };
    rate_page(
        &number,
        format!("/my/rate/{number}"),
        String::new(),
        a.csrf_token,
        message,
        closed,
    )
}

async fn my_rate_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ApplicantForm(a, f): ApplicantForm<RateForm>,
) -> Response {
    let result = reform::rate_case(
        &state,
        &a.region_code,
        &number,
        f.level,
        &f.comment,
        Rater::Applicant(&a),
    )
    .await;
    let (message, done) = rated_message(result);
    rate_page(
        &number,
        format!("/my/rate/{number}"),
        String::new(),
        a.csrf_token,
        message,
        done,
    )
}

#[derive(Template)]
#[template(path = "staff_reform.html")]
struct StaffReformPage {
    layout: Layout,
    tolerance: ToleranceFigures,
    commitments: Vec<Commitment>,
    bundles: Vec<(String, String, String, String, String)>,
    figures: ReformFigures,
    tasks: Vec<Rectification>,
}

async fn staff_reform(State(state): State<AppState>, WebUser(s): WebUser) -> Response {
    let result = reform::reform_overview(&state, &s).await.map(|o| StaffReformPage {
        layout: Layout::new("改革服务", Some(&s)),
        tolerance: o.tolerance,
        commitments: o.commitments,
        bundles: bundle_rows(o.bundles),
        figures: o.figures,
        tasks: o.tasks,
    });
    render_result(result)
}

async fn supplement_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    StaffForm(s, form): StaffForm<super::cases::ChecklistForm>,
) -> Response {
    let materials = form.materials();
    let version = form.field("version").parse().unwrap_or(-1);
    let result = reform::supplement(&state, &s, &number, version, &materials)
        .await
        .map(|_| "收取补交材料");
    back(&format!("/staff/cases/{number}"), result)
}

#[derive(Template)]
#[template(path = "staff_bundles.html")]
struct BundlesPage {
    layout: Layout,
    admin: bool,
    /// Whether the reader accepts bundle applications (the 受理申请 links).
    may_file: bool,
    error: String,
    notice: String,
    bundles: Vec<(String, String, String)>,
    recent: Vec<(String, String, String, String, String)>,
}

/// One line per bundle application: number, name, applicant, progress, latest deadline.
fn bundle_rows(cases: Vec<(BundleCase, reform::BundleStatus)>) -> Vec<(String, String, String, String, String)> {
    cases
        .into_iter()
        .map(|(b, st)| {
            (
                b.number,
                b.bundle_name,
                b.applicant_name,
                format!("{}（{}/{}）", st.status_label, st.parts_done, st.parts),
                st.due_date.unwrap_or_default(),
            )
        })
        .collect()
}

async fn bundles_page(State(state): State<AppState>, WebUser(s): WebUser, Query(q): Query<NoticeQuery>) -> Response {
    let result: Result<BundlesPage, Error> = async {
        let bundles = reform::bundle_list(&state, &s)
            .await?
            .into_iter()
            .map(|(b, names)| {
                let listed = b
                    .item_codes
                    .iter()
                    .zip(&names)
                    .map(|(c, n)| format!("{n}（{c}）"))
                    .collect::<Vec<_>>()
                    .join("、");
                (b.code, b.name, listed)
            })
            .collect();
        Ok(BundlesPage {
            layout: Layout::new("一件事一次办", Some(&s)),
            admin: policy::allows(&s.staff, Capability::ConfigureReform),
            may_file: policy::allows(&s.staff, Capability::HandleBundles),
            error: q.error.unwrap_or_default(),
            notice: q.done.unwrap_or_default(),
            bundles,
            recent: bundle_rows(reform::recent_bundle_cases(&state, &s).await?),
        })
    }
    .await;
    render_result(result)
}

#[derive(Template)]
#[template(path = "staff_bundle_new.html")]
struct BundleNewPage {
    layout: Layout,
    g: reform::BundleGuide,
    sites: Vec<(String, String)>,
    f: super::cases::FilingForm,
    checked: Vec<String>,
    error: String,
}

async fn bundle_new_page(
    state: &AppState,
    s: &tongban_store::Session,
    code: &str,
    f: super::cases::FilingForm,
    checked: Vec<String>,
    error: String,
) -> Response {
    let result = reform::bundle_filing_form(state, s, code)
        .await
        .map(|(g, sites)| BundleNewPage {
            layout: Layout::new(g.name.clone(), Some(s)),
            g,
            sites: sites.into_iter().map(|x| (x.code, x.name)).collect(),
            f,
            checked,
            error,
        });
    render_result(result)
}

async fn bundle_new_form(State(state): State<AppState>, WebUser(s): WebUser, Path(code): Path<String>) -> Response {
    bundle_new_page(
        &state,
        &s,
        &code,
        super::cases::FilingForm::blank(),
        vec![],
        String::new(),
    )
    .await
}

async fn bundle_new_submit(
    State(state): State<AppState>,
    Path(code): Path<String>,
    StaffForm(s, form): StaffForm<super::cases::ChecklistForm>,
) -> Response {
    let field = |k: &str| form.field(k);
    let checked = form.materials();
    let f = super::cases::FilingForm {
        site: field("site"),
        kind: "person".into(),
        name: field("name"),
        identifier: field("identifier"),
        phone: field("phone"),
        agent: String::new(),
        comment: field("note"),
    };
    let filed = async {
        let applicant = tongban_app::cases::parse_applicant("person", &f.name, Some(&f.identifier), None, &f.phone)?;
        let filing = reform::BundleFiling {
            bundle_code: code.clone(),
            applicant,
            channel: super::cases::channel_for_site(&f.site).to_string(),
            site_code: f.site.clone(),
            form: serde_json::json!({ "申请事项说明": f.comment }),
            materials: checked.clone(),
            delivery: field("delivery"),
        };
        reform::file_bundle(&state, &s.staff.region_code, filing, Some(&s)).await
    }
    .await;
    match filed {
        Ok((b, _)) => Redirect::to(&format!("/staff/bundle-cases/{}", b.number)).into_response(),
        Err(e) => bundle_new_page(&state, &s, &code, f, checked, e.message).await,
    }
}

#[derive(Template)]
#[template(path = "staff_bundle_case.html")]
struct BundleCasePage {
    layout: Layout,
    b: BundleCaseView,
    error: String,
    notice: String,
}

#[derive(Deserialize)]
struct NoticeQuery {
    error: Option<String>,
    done: Option<String>,
}

async fn bundle_case_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Path(number): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let result = reform::bundle_case(&state, &s, &number).await.map(|b| BundleCasePage {
        layout: Layout::new(format!("一件事 {number}"), Some(&s)),
        b,
        error: q.error.unwrap_or_default(),
        notice: q.done.unwrap_or_default(),
    });
    render_result(result)
}

#[derive(Deserialize)]
struct BundleActForm {
    action: String,
    #[serde(default)]
    comment: String,
}

async fn bundle_act_submit(
    State(state): State<AppState>,
    Path(number): Path<String>,
    StaffForm(s, f): StaffForm<BundleActForm>,
) -> Response {
    let done = reform::bundle_action(&state, &s, &number, &f.action, &f.comment)
        .await
        .map(|_| match f.action.as_str() {
            "accept" => "已全部受理，各部门并联办理",
            _ => "已一次送达",
        });
    back(&format!("/staff/bundle-cases/{number}"), done)
}

/// Where a staff form goes back to, with the outcome in the query.
fn back(path: &str, result: Result<&str, Error>) -> Response {
    let to = match result {
        Ok(msg) => format!("{path}?done={}", super::url_escape(msg)),
        Err(e) => format!("{path}?error={}", super::url_escape(&e.message)),
    };
    Redirect::to(&to).into_response()
}

#[derive(Template)]
#[template(path = "staff_rectifications.html")]
struct RectificationsPage {
    layout: Layout,
    tasks: Vec<Rectification>,
    error: String,
    notice: String,
}

async fn rectifications_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let result = async {
        let mut tasks = reform::rectifications(&state, &s).await?;
        // People read the window by its name.
        let windows = state.store.windows(&s.staff.region_code).await?;
        for t in tasks.iter_mut() {
            if let Some(w) = windows.iter().find(|w| w.code == t.rating.window_code) {
                t.rating.window_code = w.name.clone();
            }
        }
        Ok::<_, tongban_app::Error>(RectificationsPage {
            layout: Layout::new("差评整改", Some(&s)),
            tasks,
            error: q.error.unwrap_or_default(),
            notice: q.done.unwrap_or_default(),
        })
    }
    .await;
    render_result(result)
}

#[derive(Deserialize)]
struct StepForm {
    step: String,
    #[serde(default)]
    text: String,
}

async fn rectification_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm(s, f): StaffForm<StepForm>,
) -> Response {
    // The page's buttons name the step and its outcome together.
    let (step, verdict, upheld) = match f.step.as_str() {
        "revisit_satisfied" => ("revisit", Some("satisfied"), None),
        "revisit_unsatisfied" => ("revisit", Some("unsatisfied"), None),
        "appeal_upheld" => ("decide_appeal", None, Some(true)),
        "appeal_rejected" => ("decide_appeal", None, Some(false)),
        other => (other, None, None),
    };
    match reform::rectification_step(&state, &s, id, step, &f.text, verdict, upheld).await {
        Ok(t) => {
            let done = format!("已办理。{}", reform::rectification_next_step(&t));
            back("/staff/rectifications", Ok(&done))
        }
        Err(e) => back("/staff/rectifications", Err(e)),
    }
}

#[derive(Template)]
#[template(path = "staff_delegations.html")]
struct DelegationsPage {
    layout: Layout,
    admin: bool,
    delegations: Vec<tongban_store::Delegation>,
    partners: Vec<tongban_store::Partner>,
    error: String,
    notice: String,
}

async fn delegations_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let region = s.staff.region_code.clone();
    let result: Result<DelegationsPage, Error> = async {
        Ok(DelegationsPage {
            layout: Layout::new("赋权与跨省通办", Some(&s)),
            admin: policy::allows(&s.staff, Capability::ConfigureReform),
            delegations: reform::delegations(&state, &region).await?,
            partners: reform::partners(&state, &region).await?,
            error: q.error.unwrap_or_default(),
            notice: q.done.unwrap_or_default(),
        })
    }
    .await;
    render_result(result)
}

#[derive(Deserialize)]
struct DelegationForm {
    item_code: String,
    target_kind: String,
    target_code: String,
    from_date: String,
    document: String,
}

async fn delegation_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<DelegationForm>) -> Response {
    let req = reform::DelegationRequest {
        item_code: f.item_code.trim().to_string(),
        target_kind: f.target_kind,
        target_code: f.target_code.trim().to_string(),
        delegated_by: String::new(),
        from_date: f.from_date,
        document: f.document,
    };
    let result = reform::grant_delegation(&state, &s, &req).await.map(|_| "已记录赋权");
    back("/staff/delegations", result)
}

#[derive(Deserialize)]
struct RevokeForm {
    on: String,
    document: String,
}

async fn delegation_revoke_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm(s, f): StaffForm<RevokeForm>,
) -> Response {
    let req = reform::RevokeDelegation {
        on: f.on,
        document: f.document,
    };
    let result = reform::revoke_delegation(&state, &s, id, &req)
        .await
        .map(|_| "已撤回赋权");
    back("/staff/delegations", result)
}

#[derive(Template)]
#[template(path = "staff_enterprise.html")]
struct EnterprisePage {
    layout: Layout,
    code: String,
    e: Option<EnterpriseView>,
    pairs: Vec<tongban_store::HelperPair>,
    admin: bool,
    error: String,
}

#[derive(Deserialize)]
struct EnterpriseQuery {
    code: Option<String>,
    error: Option<String>,
}

async fn enterprise_page(
    State(state): State<AppState>,
    WebUser(s): WebUser,
    Query(q): Query<EnterpriseQuery>,
) -> Response {
    let code = q.code.unwrap_or_default().trim().to_uppercase();
    let mut error = q.error.unwrap_or_default();
    let e = if code.is_empty() {
        None
    } else {
        match reform::enterprise(&state, &s, &code).await {
            Ok(v) => Some(v),
            Err(e) => {
                error = e.message;
                None
            }
        }
    };
    let pairs = if policy::allows(&s.staff, Capability::ReadHelperPairs) {
        reform::helper_pairs(&state, &s).await
    } else {
        Ok(vec![])
    };
    let result = pairs.map(|pairs| EnterprisePage {
        layout: Layout::new("企业服务", Some(&s)),
        code,
        e,
        pairs,
        admin: policy::allows(&s.staff, Capability::ConfigureReform),
        error,
    });
    render_result(result)
}

#[derive(Deserialize)]
struct PairForm {
    credit_code: String,
    enterprise_name: String,
    helper: String,
}

async fn pair_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<PairForm>) -> Response {
    let req = reform::PairRequest {
        credit_code: f.credit_code.trim().to_uppercase(),
        enterprise_name: f.enterprise_name,
        helper: f.helper.trim().to_string(),
    };
    match reform::pair_helper(&state, &s, &req).await {
        Ok(p) => Redirect::to(&format!("/staff/enterprises?code={}", p.credit_code)).into_response(),
        Err(e) => Redirect::to(&format!("/staff/enterprises?error={}", super::url_escape(&e.message))).into_response(),
    }
}

#[derive(Deserialize)]
struct RevokeLicenceForm {
    id: String,
    reason: String,
}

async fn revoke_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<RevokeLicenceForm>) -> Response {
    let path = format!("/licences/verify?id={}", crate::auth::urlencode(&f.id));
    match reform::revoke_licence(&state, &s, &f.id, &f.reason).await {
        Ok(_) => Redirect::to(&path).into_response(),
        Err(e) => Redirect::to(&format!("{path}&error={}", super::url_escape(&e.message))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "staff_tablet.html")]
struct TabletPage {
    layout: Layout,
    window: String,
    levels: Vec<(i64, &'static str)>,
    message: String,
}

fn tablet_page(s: &tongban_store::Session, message: String) -> Response {
    render(&TabletPage {
        layout: Layout::new("服务评价", Some(s)),
        window: s.staff.window_name.clone().unwrap_or_default(),
        levels: reform::LEVELS
            .iter()
            .enumerate()
            .map(|(i, l)| (i as i64 + 1, *l))
            .collect(),
        message,
    })
}

/// The rating tablet at a window runs in the clerk's session: a visit (一次一评), or a finished case by its number.
async fn tablet_form(WebUser(s): WebUser) -> Response {
    if s.staff.window_name.is_none() {
        return error_page(Error::forbidden("评价器只在窗口使用"));
    }
    tablet_page(&s, String::new())
}

#[derive(Deserialize)]
struct TabletForm {
    level: i64,
    #[serde(default)]
    number: String,
    #[serde(default)]
    comment: String,
}

async fn tablet_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<TabletForm>) -> Response {
    let number = f.number.trim();
    let result = if number.is_empty() {
        reform::rate_visit(&state, &s, f.level, &f.comment).await
    } else {
        reform::rate_case(
            &state,
            &s.staff.region_code,
            number,
            f.level,
            &f.comment,
            Rater::Window(&s),
        )
        .await
    };
    let (message, _) = rated_message(result);
    tablet_page(&s, message)
}

/// Codes typed one per line or separated by commas, spaces or semicolons.
fn code_list(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '，' | '；' | '、'))
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Deserialize)]
struct PartnerForm {
    code: String,
    name: String,
    #[serde(default)]
    agreement: String,
    items: String,
}

async fn partner_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<PartnerForm>) -> Response {
    let req = reform::PartnerEdit {
        name: f.name,
        agreement: f.agreement,
        items: code_list(&f.items),
    };
    let result = reform::save_partner(&state, &s, f.code.trim(), req)
        .await
        .map(|_| "已保存合作地区");
    back("/staff/delegations", result)
}

#[derive(Deserialize)]
struct BundleEditForm {
    code: String,
    name: String,
    items: String,
}

async fn bundle_edit_submit(State(state): State<AppState>, StaffForm(s, f): StaffForm<BundleEditForm>) -> Response {
    let req = reform::BundleEdit {
        name: f.name,
        item_codes: code_list(&f.items),
    };
    let result = reform::save_bundle(&state, &s, f.code.trim(), &req)
        .await
        .map(|_| "已保存一件事");
    back("/staff/bundles", result)
}
