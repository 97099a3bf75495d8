//! Approval-reform services over JSON: ratings, e-licences, 容缺 commitments, 一件事 bundles, partners and
//! delegations, helpers and the enterprise view, and applicants signing in to see their own cases.

use crate::auth::ApiUser;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::cases::parse_applicant;
use tongban_app::policy::{self, Capability};
use tongban_app::reform::{self, BundleGuide, BundleStatus, LicenceView, Rater, Verification};
use tongban_app::reform::{grant_delegation, DelegationRequest};
use tongban_app::{Error, ErrorKind};
use tongban_core::role::Role;
use tongban_store::{
    ApplicantSession, CaseRecord, Commitment, CountRow, CreditRecord, Delegation, HelperPair, Partner, RateRow, Rating,
    Rectification, Session, SessionKind, ToleranceFigures,
};
use utoipa::{IntoParams, ToSchema};

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

async fn applicant_session(state: &AppState, headers: &HeaderMap) -> Result<ApplicantSession, Error> {
    let token = bearer(headers).ok_or_else(|| Error::unauthorized("需要申请人登录：请提供Bearer访问令牌"))?;
    state.store.applicant_session(token).await?.ok_or_else(|| {
        Error::new(
            ErrorKind::Unauthenticated,
            "invalid_token",
            "访问令牌无效或已过期，请重新登录",
        )
    })
}

// ------------------------------------------------------------------------------------------------ ratings

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 非常满意, 2 满意, 3 基本满意, 4 不满意, 5 非常不满意
    pub level: i64,
    #[serde(default)]
    pub comment: String,
    /// The token of the rating link in the applicant's notice (when not signed in)
    pub token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RatingCreated {
    #[schema(value_type = Object)]
    pub rating: Rating,
    /// The rectification task a bad rating (4–5) opened
    pub rectification_id: Option<i64>,
}

/// Rate a finished case (一事一评). The applicant signed in (bearer token from /api/v1/applicant/login), the
/// applicant with the link token from the notice, or the tablet at the window (a clerk's bearer token). 201; a second
/// rating of the case 409; a case not finished 422.
#[utoipa::path(post, path = "/api/v1/cases/{number}/rating", tag = "ratings", request_body = RatingRequest,
    params(("number" = String, Path)),
    responses((status = 201, body = RatingCreated), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<RatingRequest>,
) -> ApiResult<Response> {
    let token = bearer(&headers);
    let staff = match token {
        Some(t) => state.store.session(t, SessionKind::Api).await?,
        None => None,
    };
    let applicant = match (token, &staff) {
        (Some(t), None) => state.store.applicant_session(t).await?,
        _ => None,
    };
    let (region, rater) = match (&staff, &applicant, req.token.as_deref()) {
        (Some(s), _, _) => (s.staff.region_code.clone(), Rater::Window(s)),
        (None, Some(a), _) => (a.region_code.clone(), Rater::Applicant(a)),
        (None, None, Some(link)) if token.is_none() => (state.config.default_region.clone(), Rater::Link(link)),
        (None, None, _) if token.is_some() => {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "invalid_token",
                "访问令牌无效或已过期，请重新登录",
            )
            .into())
        }
        _ => {
            return Err(Error::unauthorized(
                "评价须由申请人登录后进行，或使用办结短信中的评价链接，或在窗口评价器上进行",
            )
            .into())
        }
    };
    let (rating, task) = reform::rate_case(&state, &region, &number, req.level, &req.comment, rater).await?;
    Ok((
        StatusCode::CREATED,
        Json(RatingCreated {
            rating,
            rectification_id: task,
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitRatingRequest {
    pub level: i64,
    #[serde(default)]
    pub comment: String,
}

/// Rate a visit at this window (一次一评), from the window's tablet (the clerk's session).
#[utoipa::path(post, path = "/api/v1/visits/rating", tag = "ratings", security(("bearer" = [])),
    request_body = VisitRatingRequest,
    responses((status = 201, body = RatingCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate_visit(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<VisitRatingRequest>,
) -> ApiResult<Response> {
    let (rating, task) = reform::rate_visit(&state, &s, req.level, &req.comment).await?;
    Ok((
        StatusCode::CREATED,
        Json(RatingCreated {
            rating,
            rectification_id: task,
        }),
    )
        .into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// department, window or item (ratings); site, partner or item (anywhere figures)
    pub by: Option<String>,
    /// First day, YYYY-MM-DD (default: 1 January this year)
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today)
    pub to: Option<String>,
}

/// The period as stored timestamps [from, to+1 day).
pub fn period(from: Option<&str>, to: Option<&str>) -> Result<(String, String, String, String), Error> {
    let today = tongban_app::time::today();
    let parse = |s: &str, what: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| Error::bad_request("invalid_date", format!("{what}“{s}”应为YYYY-MM-DD")))
    };
    let from = match from {
        Some(f) => parse(f, "起始日期")?,
        None => chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today),
    };
    let to = match to {
        Some(t) => parse(t, "截止日期")?,
        None => today,
    };
    if to < from {
        return Err(Error::bad_request("invalid_period", "截止日期早于起始日期"));
    }
    let end = to.succ_opt().unwrap_or(to);
    Ok((
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
        from.format("%Y-%m-%d").to_string(),
        end.format("%Y-%m-%d").to_string(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct RateSummary {
    pub from: String,
    pub to: String,
    pub by: String,
    /// 好评率 = ratings of level 1–3 ÷ ratings that count (an upheld appeal takes one out)
    pub formula: String,
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<RateRow>,
}

/// Rating rates by department, window or item over a period (public: 好差评 results are published).
#[utoipa::path(get, path = "/api/v1/ratings/summary", tag = "ratings", params(PeriodParams),
    responses((status = 200, body = RateSummary), (status = 400, body = ErrorBody)))]
pub async fn rating_summary(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<RateSummary>> {
    Ok(Json(summary(&state, &state.config.default_region, &p).await?))
}

pub async fn summary(state: &AppState, region: &str, p: &PeriodParams) -> Result<RateSummary, Error> {
    let by = p.by.clone().unwrap_or_else(|| "department".into());
    if !matches!(by.as_str(), "department" | "window" | "item") {
        return Err(Error::bad_request("invalid_by", "by应为department、window或item"));
    }
    let (from, to, start, end) = period(p.from.as_deref(), p.to.as_deref())?;
    let rows = state.store.rating_rates(region, &by, &start, &end).await?;
    Ok(RateSummary {
        from,
        to,
        by,
        formula: "好评率 = 评价等级1–3（非常满意、满意、基本满意）的评价数 ÷ 计入的评价总数；申诉成立的差评不计入"
            .into(),
        rows,
    })
}

/// Rectification tasks of bad ratings: department staff see their department's; supervisors and admins all.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "ratings", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody)))]
pub async fn rectifications(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<Rectification>>> {
    let dept = if s.staff.role.is_department_bound() {
        Some(s.staff.department_id.unwrap_or(-1))
    } else {
        policy::require(&s.staff, Capability::FollowRectifications)?;
        None
    };
    Ok(Json(state.store.rectifications(&s.staff.region_code, dept).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationStep {
    /// reply (department), revisit (supervisor: the rater's verdict), appeal (department head), decide_appeal (supervisor)
    pub step: String,
    /// The reply, the revisit note, the appeal reason or the decision's reasons
    #[serde(default)]
    pub text: String,
    /// revisit: satisfied or unsatisfied
    pub verdict: Option<String>,
    /// decide_appeal: whether the appeal is upheld (the rating then no longer counts)
    pub upheld: Option<bool>,
}

/// Take the next step of a rectification task; a step out of turn answers 409, a wrong role 403.
#[utoipa::path(post, path = "/api/v1/rectifications/{id}", tag = "ratings", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RectificationStep,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rectification_step(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RectificationStep>,
) -> ApiResult<Json<Rectification>> {
    Ok(Json(
        reform::rectification_step(&state, &s, id, &req.step, &req.text, req.verdict.as_deref(), req.upheld).await?,
    ))
}

// ------------------------------------------------------------------------------------------------ licences

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VerifyParams {
    /// The signature printed on the licence or carried by its QR code; a different one means a forged copy
    pub signature: Option<String>,
}

/// Verify an e-licence (no login): `valid`, `expired`, `revoked`, `forged` or `unknown`.
#[utoipa::path(get, path = "/api/v1/licences/{licence_id}/verify", tag = "licences",
    params(("licence_id" = String, Path), VerifyParams), responses((status = 200, body = Verification)))]
pub async fn verify(
    State(state): State<AppState>,
    Path(licence_id): Path<String>,
    ApiQuery(p): ApiQuery<VerifyParams>,
) -> ApiResult<Json<Verification>> {
    Ok(Json(
        reform::verify_licence(&state, &licence_id, p.signature.as_deref(), tongban_app::time::today()).await?,
    ))
}

/// One licence, whole, for staff of the region.
#[utoipa::path(get, path = "/api/v1/licences/{licence_id}", tag = "licences", security(("bearer" = [])),
    params(("licence_id" = String, Path)), responses((status = 200, body = LicenceView), (status = 404, body = ErrorBody)))]
pub async fn get_licence(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(licence_id): Path<String>,
) -> ApiResult<Json<LicenceView>> {
    match state.store.licence(&licence_id).await? {
        Some(l) if l.region_code == s.staff.region_code => Ok(Json(reform::licence_view(&l, true))),
        _ => Err(Error::not_found(format!("证照“{licence_id}”")).into()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub reason: String,
}

/// Revoke a licence (department head of the issuing department, or an administrator); audited.
#[utoipa::path(post, path = "/api/v1/licences/{licence_id}/revoke", tag = "licences", security(("bearer" = [])),
    params(("licence_id" = String, Path)), request_body = RevokeRequest,
    responses((status = 200, body = LicenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn revoke_licence(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(licence_id): Path<String>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> ApiResult<Json<LicenceView>> {
    Ok(Json(revoke(&state, &s, &licence_id, &req.reason).await?))
}

/// Revokes a licence: the head of the issuing department or an administrator, with a reason; audited.
pub async fn revoke(state: &AppState, s: &Session, licence_id: &str, reason: &str) -> Result<LicenceView, Error> {
    policy::require(&s.staff, Capability::RevokeLicences)?;
    let l = match state.store.licence(licence_id).await? {
        Some(l) if l.region_code == s.staff.region_code => l,
        _ => return Err(Error::not_found(format!("证照“{licence_id}”"))),
    };
    if s.staff.role == Role::Head && s.staff.department_name.as_deref() != Some(l.content.issuer.as_str()) {
        return Err(Error::forbidden("只能注销本部门签发的证照"));
    }
    if reason.trim().is_empty() {
        return Err(Error::unprocessable("missing_reason", "注销须说明理由"));
    }
    state
        .store
        .revoke_licence(&s.staff.region_code, licence_id, reason.trim(), &s.staff.username)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_revoked", m),
            other => other.into(),
        })?;
    let l = state
        .store
        .licence(licence_id)
        .await?
        .ok_or_else(|| Error::not_found(format!("证照“{licence_id}”")))?;
    Ok(reform::licence_view(&l, true))
}

// ------------------------------------------------------------------------------------------------ 容缺

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequest {
    /// The case version this is based on
    pub version: i64,
    /// Materials of the commitment handed in now
    pub materials: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SupplementResult {
    pub number: String,
    pub version: i64,
    #[schema(value_type = Object)]
    pub commitment: Commitment,
}

/// Hand in materials promised at a tolerance acceptance (window clerk); the commitment is fulfilled when all are in.
#[utoipa::path(post, path = "/api/v1/cases/{number}/supplements", tag = "reform", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = SupplementRequest,
    responses((status = 200, body = SupplementResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn supplement(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<SupplementRequest>,
) -> ApiResult<Json<SupplementResult>> {
    let (case, commitment) = reform::supplement(&state, &s, &number, req.version, &req.materials).await?;
    Ok(Json(SupplementResult {
        number: case.number,
        version: case.version,
        commitment,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CommitmentParams {
    /// open, fulfilled or breached
    pub state: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CommitmentList {
    #[schema(value_type = Object)]
    pub figures: ToleranceFigures,
    /// By due date
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<Commitment>,
}

/// Tolerance commitments by due date, with the figures (cases, items, open, fulfilled, breached).
#[utoipa::path(get, path = "/api/v1/commitments", tag = "reform", security(("bearer" = [])), params(CommitmentParams),
    responses((status = 200, body = CommitmentList), (status = 403, body = ErrorBody)))]
pub async fn commitments(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<CommitmentParams>,
) -> ApiResult<Json<CommitmentList>> {
    policy::require(&s.staff, Capability::ReadCommitments)?;
    let mut data = state
        .store
        .commitments(&s.staff.region_code, p.state.as_deref())
        .await?;
    for c in &mut data {
        c.applicant_identifier = policy::mask::identifier("person", &c.applicant_identifier);
    }
    Ok(Json(CommitmentList {
        figures: state.store.tolerance_figures(&s.staff.region_code).await?,
        data,
    }))
}

/// An applicant's open credit records (失信记录), which clerks see before accepting and which block tolerance.
#[utoipa::path(get, path = "/api/v1/applicants/{identifier}/credit-records", tag = "reform", security(("bearer" = [])),
    params(("identifier" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn credit_records(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(identifier): Path<String>,
) -> ApiResult<Json<Vec<CreditRecord>>> {
    policy::require(&s.staff, Capability::ReadCommitments)?;
    Ok(Json(
        state
            .store
            .open_credit_records(&s.staff.region_code, identifier.trim())
            .await?,
    ))
}

/// Clear a credit record with the reason (administrator); audited.
#[utoipa::path(post, path = "/api/v1/credit-records/{id}/clear", tag = "reform", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RevokeRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn clear_credit_record(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> ApiResult<StatusCode> {
    policy::require(&s.staff, Capability::ClearCreditRecords)?;
    if req.reason.trim().is_empty() {
        return Err(Error::unprocessable("missing_reason", "清除失信记录须说明理由").into());
    }
    state
        .store
        .clear_credit_record(&s.staff.region_code, id, &s.staff.username, req.reason.trim())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ------------------------------------------------------------------------------------------------ bundles

/// A bundle's guide: its items and the one set of materials, each asked once.
#[utoipa::path(get, path = "/api/v1/bundles/{code}", tag = "reform", params(("code" = String, Path)),
    responses((status = 200, body = BundleGuide), (status = 404, body = ErrorBody)))]
pub async fn bundle(State(state): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<BundleGuide>> {
    Ok(Json(
        reform::bundle_guide(&state, &state.config.default_region, &code)
            .await?
            .0,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleEdit {
    pub name: String,
    pub item_codes: Vec<String>,
}

/// Create or edit a bundle (administrator); an unknown item refuses the edit.
#[utoipa::path(put, path = "/api/v1/bundles/{code}", tag = "reform", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = BundleEdit,
    responses((status = 200, body = BundleGuide), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_bundle(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<BundleEdit>,
) -> ApiResult<Json<BundleGuide>> {
    Ok(Json(save_bundle(&state, &s, &code, &req).await?))
}

/// Creates or edits a bundle (an unknown item refuses the whole edit); shared with the page.
pub async fn save_bundle(state: &AppState, s: &Session, code: &str, req: &BundleEdit) -> Result<BundleGuide, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    if req.name.trim().is_empty() || req.item_codes.len() < 2 {
        return Err(Error::unprocessable(
            "invalid_bundle",
            "一件事须有名称，且至少包含两个事项",
        ));
    }
    let parsed = tongban_core::catalog::ImportParse {
        rows: vec![tongban_core::catalog::Parsed {
            line: 2,
            value: tongban_core::catalog::Bundle {
                code: code.to_string(),
                name: req.name.trim().to_string(),
                item_codes: req.item_codes.clone(),
            },
        }],
        errors: vec![],
    };
    state
        .store
        .import_bundles(
            &s.staff.region_code,
            parsed,
            tongban_store::ImportMode::AllOrNothing,
            &s.staff.username,
        )
        .await?;
    Ok(reform::bundle_guide(state, &s.staff.region_code, code).await?.0)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleCaseRequest {
    pub bundle_code: String,
    pub applicant: super::cases::ApplicantIn,
    /// online, window, town, village or partner
    pub channel: String,
    pub site: Option<String>,
    /// One form for the whole bundle
    #[schema(value_type = Object)]
    pub form: Option<serde_json::Value>,
    /// The one set of materials handed in
    #[serde(default)]
    pub materials: Vec<String>,
    /// How the results are delivered, once: pickup, mail (with address) or electronic
    #[serde(default)]
    pub delivery: String,
}

#[derive(Serialize, ToSchema)]
pub struct BundleCaseView {
    pub number: String,
    pub bundle_code: String,
    pub bundle_name: String,
    pub applicant_name: String,
    pub applicant_identifier: String,
    pub channel: String,
    pub site: String,
    pub delivery: String,
    pub materials: Vec<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    #[serde(flatten)]
    pub status: BundleStatus,
    pub parts: Vec<BundlePart>,
}

#[derive(Serialize, ToSchema)]
pub struct BundlePart {
    pub number: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    /// The deciding department (a town government or the park committee when the power was delegated there)
    pub department_code: String,
    pub state: String,
    /// The state's name in the case's workflow (办结, 审查中 …)
    pub state_label: String,
    pub version: i64,
    pub due_date: Option<String>,
    pub materials: Vec<String>,
}

pub async fn bundle_view(
    state: &AppState,
    b: tongban_store::BundleCase,
    parts: Vec<CaseRecord>,
    whole: bool,
) -> Result<BundleCaseView, Error> {
    let status = reform::bundle_status(state, &b, &parts).await?;
    let mut labelled = Vec::with_capacity(parts.len());
    for c in parts {
        let tpl = tongban_app::cases::template(state, &c.region_code, &c.workflow_code).await?;
        let label = tpl
            .state(&c.state)
            .map(|st| st.label.clone())
            .unwrap_or_else(|| c.state.clone());
        labelled.push((c, label));
    }
    Ok(BundleCaseView {
        applicant_identifier: if whole {
            b.applicant_identifier.clone()
        } else {
            policy::mask::identifier(&b.applicant_kind, &b.applicant_identifier)
        },
        number: b.number,
        bundle_code: b.bundle_code,
        bundle_name: b.bundle_name,
        applicant_name: b.applicant_name,
        channel: b.channel,
        site: b.site_code,
        delivery: b.delivery,
        materials: b.materials,
        created_at: b.created_at,
        delivered_at: b.delivered_at,
        status,
        parts: labelled
            .into_iter()
            .map(|(c, state_label)| BundlePart {
                state_label,
                number: c.number,
                item_code: c.item_code,
                item_name: c.item_name,
                department: c.department_name,
                department_code: c.department_code,
                state: c.state,
                version: c.version,
                due_date: c.due_date,
                materials: c.materials,
            })
            .collect(),
    })
}

/// File a bundle (一件事一次办): one form, one set of materials, one sub-case per item, all or none.
#[utoipa::path(post, path = "/api/v1/bundle-cases", tag = "reform", request_body = BundleCaseRequest,
    responses((status = 201, body = BundleCaseView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn file_bundle(
    State(state): State<AppState>,
    crate::auth::OptionalApiUser(session): crate::auth::OptionalApiUser,
    ApiJson(req): ApiJson<BundleCaseRequest>,
) -> ApiResult<Response> {
    let region = session
        .as_ref()
        .map(|s| s.staff.region_code.clone())
        .unwrap_or_else(|| state.config.default_region.clone());
    let a = &req.applicant;
    let applicant = parse_applicant(
        &a.kind,
        &a.name,
        a.id_number.as_deref(),
        a.credit_code.as_deref(),
        &a.phone,
    )?;
    let filing = reform::BundleFiling {
        bundle_code: req.bundle_code.clone(),
        applicant,
        channel: req.channel.clone(),
        site_code: req.site.clone().unwrap_or_default(),
        form: req.form.clone().unwrap_or(serde_json::json!({})),
        materials: req.materials.clone(),
        delivery: req.delivery.clone(),
    };
    let (b, parts) = reform::file_bundle(&state, &region, filing, session.as_ref()).await?;
    let view = bundle_view(&state, b, parts, session.is_some()).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// A bundle application with its sub-cases and where it stands.
#[utoipa::path(get, path = "/api/v1/bundle-cases/{number}", tag = "reform", security(("bearer" = [])),
    params(("number" = String, Path)), responses((status = 200, body = BundleCaseView), (status = 404, body = ErrorBody)))]
pub async fn get_bundle_case(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<BundleCaseView>> {
    let (b, parts) = reform::load_bundle(&state, &s, &number).await?;
    Ok(Json(bundle_view(&state, b, parts, true).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleStepRequest {
    /// accept (every submitted part at once) or deliver (every issued part, once)
    pub action: String,
    /// deliver: how (pick-up window, mail tracking number, electronic)
    #[serde(default)]
    pub comment: String,
}

/// Accept every part of a bundle at once, or deliver the finished bundle once (clerk).
#[utoipa::path(post, path = "/api/v1/bundle-cases/{number}/actions", tag = "reform", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = BundleStepRequest,
    responses((status = 200, body = BundleCaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bundle_action(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<BundleStepRequest>,
) -> ApiResult<Json<BundleCaseView>> {
    policy::require(&s.staff, Capability::HandleBundles)?;
    match req.action.as_str() {
        "accept" => reform::accept_bundle(&state, &s, &number).await?,
        "deliver" => reform::deliver_bundle(&state, &s, &number, req.comment.trim()).await?,
        other => {
            return Err(
                Error::unprocessable("unknown_action", format!("未知的操作“{other}”（accept或deliver）")).into(),
            )
        }
    }
    let (b, parts) = reform::load_bundle(&state, &s, &number).await?;
    Ok(Json(bundle_view(&state, b, parts, true).await?))
}

// ------------------------------------------------------------------------------------------------ anywhere, delegation

/// Partner regions (跨省通办) and the items agreed with each.
#[utoipa::path(get, path = "/api/v1/partners", tag = "reform", responses((status = 200, body = Vec<Object>)))]
pub async fn partners(State(state): State<AppState>) -> ApiResult<Json<Vec<Partner>>> {
    Ok(Json(state.store.partners(&state.config.default_region).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerEdit {
    pub name: String,
    #[serde(default)]
    pub agreement: String,
    /// Items agreed with this partner; each must be a 跨省通办 item of the catalog
    pub items: Vec<String>,
}

/// Create or replace a partner region and its agreed items (administrator).
#[utoipa::path(put, path = "/api/v1/partners/{code}", tag = "reform", security(("bearer" = [])),
    params(("code" = String, Path)), request_body = PartnerEdit,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_partner(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<PartnerEdit>,
) -> ApiResult<Json<Partner>> {
    Ok(Json(save_partner(&state, &s, &code, req).await?))
}

/// Creates or replaces a partner and its agreed items, each of which must be a 跨省通办 item; shared with the page.
pub async fn save_partner(state: &AppState, s: &Session, code: &str, req: PartnerEdit) -> Result<Partner, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    let region = tongban_core::ids::RegionCode::parse(code)?;
    if req.name.trim().is_empty() {
        return Err(Error::unprocessable("missing_name", "合作地区名称不能为空"));
    }
    for item in &req.items {
        let found = state.store.item(&s.staff.region_code, item, None).await?;
        match found {
            None => return Err(Error::unprocessable("unknown_item", format!("未知的事项“{item}”"))),
            Some(i) if !i.guide.cross_province => {
                return Err(Error::unprocessable(
                    "not_cross_province",
                    format!("事项“{}”未列入跨省通办", i.guide.name),
                ))
            }
            _ => {}
        }
    }
    let p = Partner {
        code: region.as_str().to_string(),
        name: req.name.trim().to_string(),
        agreement: req.agreement.trim().to_string(),
        items: req.items,
    };
    state
        .store
        .save_partner(&s.staff.region_code, &p, &s.staff.username)
        .await?;
    Ok(p)
}

/// Delegations (赋权), current and undone.
#[utoipa::path(get, path = "/api/v1/delegations", tag = "reform", responses((status = 200, body = Vec<Object>)))]
pub async fn delegations(State(state): State<AppState>) -> ApiResult<Json<Vec<Delegation>>> {
    Ok(Json(state.store.delegations(&state.config.default_region).await?))
}

/// Record a delegation (administrator): from its date the item can be accepted and decided at the target.
#[utoipa::path(post, path = "/api/v1/delegations", tag = "reform", security(("bearer" = [])),
    request_body = DelegationRequest,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn delegate(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<DelegationRequest>,
) -> ApiResult<Response> {
    let d = grant_delegation(&state, &s, &req).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeDelegation {
    /// YYYY-MM-DD
    pub on: String,
    pub document: String,
}

/// Undo a delegation on a date by a document (administrator); the record is kept.
#[utoipa::path(post, path = "/api/v1/delegations/{id}/revoke", tag = "reform", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RevokeDelegation,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn revoke_delegation(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<RevokeDelegation>,
) -> ApiResult<Json<Delegation>> {
    Ok(Json(undo_delegation(&state, &s, id, &req).await?))
}

pub async fn undo_delegation(
    state: &AppState,
    s: &Session,
    id: i64,
    req: &RevokeDelegation,
) -> Result<Delegation, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    chrono::NaiveDate::parse_from_str(&req.on, "%Y-%m-%d")
        .map_err(|_| Error::unprocessable("invalid_date", "撤回日期应为YYYY-MM-DD"))?;
    if req.document.trim().is_empty() {
        return Err(Error::unprocessable("missing_document", "须写明撤回依据的文件"));
    }
    Ok(state
        .store
        .revoke_delegation(
            &s.staff.region_code,
            id,
            &req.on,
            req.document.trim(),
            &s.staff.username,
        )
        .await?)
}

#[derive(Serialize, ToSchema)]
pub struct ReformFigures {
    pub from: String,
    pub to: String,
    /// Cases accepted at town centres, village stations and partner windows, by site
    #[schema(value_type = Vec<Object>)]
    pub by_site: Vec<CountRow>,
    #[schema(value_type = Vec<Object>)]
    pub by_partner: Vec<CountRow>,
    #[schema(value_type = Vec<Object>)]
    pub by_item: Vec<CountRow>,
    /// Delegations in force by target kind (park, town, village)
    pub delegations: std::collections::BTreeMap<String, i64>,
    /// Catalog items acceptable anywhere in the district (全域通办; the report: 241)
    pub items_anywhere: usize,
    /// Catalog items handled across provinces (跨省通办; the report: 186)
    pub items_cross_province: usize,
    /// Catalog items acceptable at town centres and at village stations by their level (the report: 124 and 42)
    pub items_town: usize,
    pub items_village: usize,
}

/// 全域通办 / 跨省通办 figures over a period, and delegations in force by target.
#[utoipa::path(get, path = "/api/v1/anywhere/figures", tag = "reform", params(PeriodParams),
    responses((status = 200, body = ReformFigures), (status = 400, body = ErrorBody)))]
pub async fn anywhere_figures(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<ReformFigures>> {
    Ok(Json(reform_figures(&state, &state.config.default_region, &p).await?))
}

pub async fn reform_figures(state: &AppState, region: &str, p: &PeriodParams) -> Result<ReformFigures, Error> {
    let (from, to, start, end) = period(p.from.as_deref(), p.to.as_deref())?;
    let mut delegations = std::collections::BTreeMap::new();
    for d in state.store.delegations(region).await? {
        if d.revoked_on.is_none() {
            *delegations.entry(d.target_kind).or_insert(0) += 1;
        }
    }
    let guides = state.store.current_guides(region).await?;
    let count = |f: &dyn Fn(&tongban_core::catalog::Guide) -> bool| guides.iter().filter(|(_, g)| f(g)).count();
    use tongban_core::catalog::Level;
    Ok(ReformFigures {
        items_anywhere: count(&|g| g.all_region),
        items_cross_province: count(&|g| g.cross_province),
        items_town: count(&|g| g.levels.contains(&Level::Town)),
        items_village: count(&|g| g.levels.contains(&Level::Village)),
        by_site: state.store.anywhere_counts(region, "site", &start, &end).await?,
        by_partner: state.store.anywhere_counts(region, "partner", &start, &end).await?,
        by_item: state.store.anywhere_counts(region, "item", &start, &end).await?,
        from,
        to,
        delegations,
    })
}

// ------------------------------------------------------------------------------------------------ helpers, enterprises

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairRequest {
    pub credit_code: String,
    pub enterprise_name: String,
    /// The helper's user name (a window clerk)
    pub helper: String,
}

/// Pair a helper with an enterprise (帮代办; administrator).
#[utoipa::path(post, path = "/api/v1/helpers", tag = "reform", security(("bearer" = [])), request_body = PairRequest,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn pair_helper(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<PairRequest>,
) -> ApiResult<Response> {
    let p = pair(&state, &s, &req).await?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

pub async fn pair(state: &AppState, s: &Session, req: &PairRequest) -> Result<HelperPair, Error> {
    policy::require(&s.staff, Capability::ConfigureReform)?;
    let code = tongban_core::ids::CreditCode::parse(&req.credit_code)?;
    match state.store.staff_by_username(&req.helper).await? {
        Some((h, _)) if h.region_code == s.staff.region_code && h.role == Role::Clerk && h.active => {}
        _ => {
            return Err(Error::unprocessable(
                "unknown_helper",
                format!("“{}”不是本区在岗的窗口人员", req.helper),
            ))
        }
    }
    if req.enterprise_name.trim().is_empty() {
        return Err(Error::unprocessable("missing_name", "企业名称不能为空"));
    }
    state
        .store
        .pair_helper(
            &s.staff.region_code,
            code.as_str(),
            req.enterprise_name.trim(),
            &req.helper,
            &s.staff.username,
        )
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_paired", m),
            other => other.into(),
        })
}

/// Pairings: a clerk sees their own enterprises; supervisors and admins all.
#[utoipa::path(get, path = "/api/v1/helpers", tag = "reform", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn helpers(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<HelperPair>>> {
    let mine = (s.staff.role == Role::Clerk).then_some(s.staff.username.as_str());
    Ok(Json(state.store.helper_pairs(&s.staff.region_code, mine).await?))
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseView {
    pub credit_code: String,
    pub name: String,
    #[schema(value_type = Vec<Object>)]
    pub helpers: Vec<HelperPair>,
    /// Every case across departments, oldest first, with its life-cycle stage
    pub cases: Vec<EnterpriseCase>,
    pub licences: Vec<LicenceView>,
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseCase {
    pub number: String,
    /// 开办, 项目建设, 准营许可, 变更, 退出 or 其他
    pub stage: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub agent: String,
    pub created_at: String,
}

pub async fn enterprise(state: &AppState, s: &Session, code: &str) -> Result<EnterpriseView, Error> {
    policy::require(&s.staff, Capability::ReadEnterprises)?;
    let code = tongban_core::ids::CreditCode::parse(code)?;
    let region = &s.staff.region_code;
    let cases = state.store.cases_of_applicant(region, code.as_str()).await?;
    let helpers: Vec<HelperPair> = state
        .store
        .helper_pairs(region, None)
        .await?
        .into_iter()
        .filter(|p| p.credit_code == code.as_str())
        .collect();
    let name = cases
        .last()
        .map(|c| c.applicant_name.clone())
        .or_else(|| helpers.first().map(|p| p.enterprise_name.clone()))
        .ok_or_else(|| Error::not_found(format!("企业“{}”的办件", code.as_str())))?;
    let licences = state
        .store
        .licences_of_holder(region, code.as_str())
        .await?
        .iter()
        .map(|l| reform::licence_view(l, true))
        .collect();
    Ok(EnterpriseView {
        credit_code: code.as_str().to_string(),
        name,
        helpers,
        licences,
        cases: cases
            .into_iter()
            .map(|c| EnterpriseCase {
                stage: reform::life_cycle_stage(&c.item_name).to_string(),
                number: c.number,
                item_name: c.item_name,
                department: c.department_name,
                state: c.state,
                agent: c.agent,
                created_at: c.created_at,
            })
            .collect(),
    })
}

/// An enterprise's whole life cycle: every case across departments, its helpers and licences (enterprise service
/// centre: clerks, supervisors, policy officers, admins).
#[utoipa::path(get, path = "/api/v1/enterprises/{credit_code}", tag = "reform", security(("bearer" = [])),
    params(("credit_code" = String, Path)),
    responses((status = 200, body = EnterpriseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_enterprise(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(credit_code): Path<String>,
) -> ApiResult<Json<EnterpriseView>> {
    Ok(Json(enterprise(&state, &s, &credit_code).await?))
}

// ------------------------------------------------------------------------------------------------ applicants

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// ID number (person) or unified social credit code (enterprise)
    pub identifier: String,
    pub phone: String,
}

/// Send a sign-in code by SMS to the phone (at most 5 an hour per phone).
#[utoipa::path(post, path = "/api/v1/applicant/code", tag = "applicant", request_body = CodeRequest,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn send_code(State(state): State<AppState>, ApiJson(req): ApiJson<CodeRequest>) -> ApiResult<StatusCode> {
    reform::send_sign_in_code(&state, &state.config.default_region, &req.identifier, &req.phone).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantLogin {
    pub identifier: String,
    pub phone: String,
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicantToken {
    pub token: String,
}

/// Sign in as an applicant with the code: a bearer token for /api/v1/my/… and for rating.
#[utoipa::path(post, path = "/api/v1/applicant/login", tag = "applicant", request_body = ApplicantLogin,
    responses((status = 200, body = ApplicantToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn applicant_login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ApplicantLogin>,
) -> ApiResult<Json<ApplicantToken>> {
    let (token, _) = reform::sign_in(
        &state,
        &state.config.default_region,
        &req.identifier,
        &req.phone,
        &req.code,
    )
    .await?;
    Ok(Json(ApplicantToken { token }))
}

#[derive(Serialize, ToSchema)]
pub struct MyCase {
    pub number: String,
    pub item_name: String,
    pub department: String,
    pub state: String,
    pub due_date: Option<String>,
    pub licence_id: Option<String>,
    pub rated: bool,
    pub created_at: String,
}

/// The signed-in applicant's cases, newest first.
#[utoipa::path(get, path = "/api/v1/my/cases", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<MyCase>), (status = 401, body = ErrorBody)))]
pub async fn my_cases(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Vec<MyCase>>> {
    let a = applicant_session(&state, &headers).await?;
    Ok(Json(my_case_list(&state, &a).await?))
}

pub async fn my_case_list(state: &AppState, a: &ApplicantSession) -> Result<Vec<MyCase>, Error> {
    let mut out = Vec::new();
    for c in state
        .store
        .applicant_cases(&a.region_code, &a.identifier, &a.phone)
        .await?
    {
        let rated = state.store.rating_for_case(c.id).await?.is_some();
        out.push(MyCase {
            number: c.number,
            item_name: c.item_name,
            department: c.department_name,
            state: c.state,
            due_date: c.due_date,
            licence_id: c.licence_id,
            rated,
            created_at: c.created_at,
        });
    }
    Ok(out)
}

/// The signed-in applicant's e-licences.
#[utoipa::path(get, path = "/api/v1/my/licences", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<LicenceView>), (status = 401, body = ErrorBody)))]
pub async fn my_licences(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Vec<LicenceView>>> {
    let a = applicant_session(&state, &headers).await?;
    Ok(Json(my_licence_list(&state, &a).await?))
}

/// The licences issued on the applicant's own cases.
pub async fn my_licence_list(state: &AppState, a: &ApplicantSession) -> Result<Vec<LicenceView>, Error> {
    let cases = state
        .store
        .applicant_cases(&a.region_code, &a.identifier, &a.phone)
        .await?;
    Ok(state
        .store
        .licences_of_holder(&a.region_code, &a.identifier)
        .await?
        .iter()
        .filter(|l| cases.iter().any(|c| c.number == l.content.case_number))
        .map(|l| reform::licence_view(l, true))
        .collect())
}
