//! Pages of the reform services: the public rating results, licence verification, rating by the link in a notice,
//! the applicant's "my cases", and the staff overview of commitments, bundles, delegations and rectifications.

use super::{error_page, render, Layout};
use crate::api::reform::{my_case_list, reform_figures, summary, MyCase, PeriodParams, RateSummary, ReformFigures};
use crate::auth::{csrf_ok, MaybeWebUser, WebUser};
use crate::error::AppError;
use crate::reform::{self, Rater, Verification};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use tongban_store::{Commitment, Rectification, ToleranceFigures};

pub const APPLICANT_COOKIE: &str = "tongban_applicant";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/ratings", get(ratings_page))
        .route("/licences/verify", get(verify_page))
        .route("/rate/{number}", get(rate_link_page).post(rate_link_submit))
        .route("/my", get(my_page))
        .route("/my/code", post(my_code))
        .route("/my/login", post(my_login))
        .route("/my/rate/{number}", get(my_rate_page).post(my_rate_submit))
        .route("/staff/reform", get(staff_reform))
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
    let p = |by: &str| PeriodParams {
        by: Some(by.into()),
        from: None,
        to: None,
    };
    let (d, w) = match (
        summary(&state, &region, &p("department")).await,
        summary(&state, &region, &p("window")).await,
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
}

#[derive(Deserialize)]
struct VerifyQuery {
    id: Option<String>,
    sig: Option<String>,
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
        match reform::verify_licence(&state, &id, Some(&sig), crate::cases::today()).await {
            Ok(v) => {
                if let Ok(Some(l)) = state.store.licence(&id).await {
                    qr = reform::licence_qr_svg(&reform::verify_path(&l));
                }
                Some(v)
            }
            Err(e) => return error_page(e),
        }
    };
    render(&VerifyPage {
        layout: Layout::new("电子证照核验", s.as_ref()),
        id,
        sig,
        result,
        qr,
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
    #[serde(default)]
    csrf: String,
}

fn rated_message(result: Result<(tongban_store::Rating, Option<i64>), AppError>) -> (String, bool) {
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
    phone: String,
    code_sent: bool,
    message: String,
    cases: Vec<MyCase>,
}

async fn applicant(state: &AppState, jar: &CookieJar) -> Option<tongban_store::ApplicantSession> {
    let c = jar.get(APPLICANT_COOKIE)?;
    state.store.applicant_session(c.value()).await.ok().flatten()
}

fn my_form(identifier: String, phone: String, code_sent: bool, message: String) -> Response {
    render(&MyPage {
        layout: Layout::new("我的办件", None),
        who: None,
        identifier,
        phone,
        code_sent,
        message,
        cases: vec![],
    })
}

async fn my_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return my_form(String::new(), String::new(), false, String::new());
    };
    match my_case_list(&state, &a).await {
        Ok(cases) => render(&MyPage {
            layout: Layout::new("我的办件", None),
            who: Some(tongban_core::ids::mask_middle(&a.identifier, 4, 4)),
            identifier: String::new(),
            phone: String::new(),
            code_sent: false,
            message: String::new(),
            cases,
        }),
        Err(e) => error_page(e),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    identifier: String,
    phone: String,
    #[serde(default)]
    code: String,
}

async fn my_code(State(state): State<AppState>, Form(f): Form<CodeForm>) -> Response {
    let region = state.config.default_region.clone();
    match reform::send_sign_in_code(&state, &region, &f.identifier, &f.phone).await {
        Ok(()) => my_form(f.identifier, f.phone, true, "验证码已发送，10分钟内有效".into()),
        Err(e) => my_form(f.identifier, f.phone, false, e.message),
    }
}

async fn my_login(State(state): State<AppState>, jar: CookieJar, Form(f): Form<CodeForm>) -> Response {
    let region = state.config.default_region.clone();
    match reform::sign_in(&state, &region, &f.identifier, &f.phone, &f.code).await {
        Ok((token, _)) => {
            let cookie = Cookie::build((APPLICANT_COOKIE, token))
                .path("/")
                .http_only(true)
                .secure(state.config.secure_cookies)
                .same_site(SameSite::Lax)
                .build();
            (jar.add(cookie), Redirect::to("/my")).into_response()
        }
        Err(e) => my_form(f.identifier, f.phone, true, e.message),
    }
}

async fn my_rate_page(State(state): State<AppState>, jar: CookieJar, Path(number): Path<String>) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return Redirect::to("/my").into_response();
    };
    rate_page(
        &number,
        format!("/my/rate/{number}"),
        String::new(),
        a.csrf_token,
        String::new(),
        false,
    )
}

async fn my_rate_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(number): Path<String>,
    Form(f): Form<RateForm>,
) -> Response {
    let Some(a) = applicant(&state, &jar).await else {
        return Redirect::to("/my").into_response();
    };
    if !csrf_ok(&a.csrf_token, &f.csrf) {
        return error_page(AppError::forbidden("表单已过期，请刷新后重试"));
    }
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
    let region = s.staff.region_code.clone();
    let result: Result<StaffReformPage, AppError> = async {
        let mut bundles = Vec::new();
        for (b, parts) in state.store.bundle_cases(&region, 50).await? {
            let st = reform::bundle_status(&state, &b, &parts).await?;
            bundles.push((
                b.number,
                b.bundle_name,
                b.applicant_name,
                format!("{}（{}/{}）", st.status_label, st.parts_done, st.parts),
                st.due_date.unwrap_or_default(),
            ));
        }
        let department = s
            .staff
            .role
            .is_department_bound()
            .then(|| s.staff.department_id.unwrap_or(-1));
        Ok(StaffReformPage {
            layout: Layout::new("改革服务", Some(&s)),
            tolerance: state.store.tolerance_figures(&region).await?,
            commitments: state.store.commitments(&region, Some("open")).await?,
            bundles,
            figures: reform_figures(
                &state,
                &region,
                &PeriodParams {
                    by: None,
                    from: None,
                    to: None,
                },
            )
            .await?,
            tasks: state.store.rectifications(&region, department).await?,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(e) => error_page(e),
    }
}
