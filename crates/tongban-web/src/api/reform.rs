//! Approval-reform services over JSON: ratings, e-licences, 容缺 commitments, 一件事 bundles, partners and
//! delegations, helpers and the enterprise view, and applicants signing in to see their own cases.

use crate::api::cases::DeliveryIn;
use crate::auth::{bearer_token, ApiApplicant, ApiUser};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, ClientAddress};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use tongban_app::cases::{self, parse_applicant, MyCaseDetail};
use tongban_app::reform::{self, BundleGuide, LicenceView, SessionView, Verification};
use tongban_app::reform::{
    BundleCaseView, BundleEdit, CommitmentList, DelegationRequest, EnterpriseView, MyCase, PairRequest, PartnerEdit,
    RateSummary, ReformFigures, RevokeDelegation,
};
use tongban_store::{Commitment, CreditRecord, Delegation, HelperPair, Partner, Rating, Rectification};
use utoipa::{IntoParams, ToSchema};

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
    let (rating, task) = reform::rate_case_by_token(
        &state,
        bearer_token(&headers)?,
        req.token.as_deref(),
        &number,
        req.level,
        &req.comment,
    )
    .await?;
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

/// Rating rates by department, window or item over a period (public: 好差评 results are published).
#[utoipa::path(get, path = "/api/v1/ratings/summary", tag = "ratings", params(PeriodParams),
    responses((status = 200, body = RateSummary), (status = 400, body = ErrorBody)))]
pub async fn rating_summary(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<RateSummary>> {
    Ok(Json(
        reform::rating_summary(
            &state,
            &state.config.default_region,
            p.by.as_deref(),
            p.from.as_deref(),
            p.to.as_deref(),
        )
        .await?,
    ))
}

/// Rectification tasks of bad ratings: department staff see their department's; supervisors and admins all.
#[utoipa::path(get, path = "/api/v1/rectifications", tag = "ratings", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody)))]
pub async fn rectifications(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<Rectification>>> {
    Ok(Json(reform::rectifications(&state, &s).await?))
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
    Ok(Json(reform::read_licence(&state, &s, &licence_id).await?))
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
    Ok(Json(
        reform::revoke_licence(&state, &s, &licence_id, &req.reason).await?,
    ))
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

/// Tolerance commitments by due date, with the figures (cases, items, open, fulfilled, breached).
#[utoipa::path(get, path = "/api/v1/commitments", tag = "reform", security(("bearer" = [])), params(CommitmentParams),
    responses((status = 200, body = CommitmentList), (status = 403, body = ErrorBody)))]
pub async fn commitments(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<CommitmentParams>,
) -> ApiResult<Json<CommitmentList>> {
    Ok(Json(reform::commitments(&state, &s, p.state.as_deref()).await?))
}

/// An applicant's open credit records (失信记录), which clerks see before accepting and which block tolerance.
#[utoipa::path(get, path = "/api/v1/applicants/{identifier}/credit-records", tag = "reform", security(("bearer" = [])),
    params(("identifier" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
pub async fn credit_records(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(identifier): Path<String>,
) -> ApiResult<Json<Vec<CreditRecord>>> {
    Ok(Json(reform::credit_records(&state, &s, &identifier).await?))
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
    reform::clear_credit_record(&state, &s, id, &req.reason).await?;
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
    Ok(Json(reform::save_bundle(&state, &s, &code, &req).await?))
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
    let view = reform::bundle_view(&state, b, parts, session.is_some()).await?;
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
    Ok(Json(reform::bundle_case(&state, &s, &number).await?))
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
    Ok(Json(
        reform::bundle_action(&state, &s, &number, &req.action, &req.comment).await?,
    ))
}

// ------------------------------------------------------------------------------------------------ anywhere, delegation

/// Partner regions (跨省通办) and the items agreed with each.
#[utoipa::path(get, path = "/api/v1/partners", tag = "reform", responses((status = 200, body = Vec<Object>)))]
pub async fn partners(State(state): State<AppState>) -> ApiResult<Json<Vec<Partner>>> {
    Ok(Json(reform::partners(&state, &state.config.default_region).await?))
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
    Ok(Json(reform::save_partner(&state, &s, &code, req).await?))
}

/// Delegations (赋权), current and undone.
#[utoipa::path(get, path = "/api/v1/delegations", tag = "reform", responses((status = 200, body = Vec<Object>)))]
pub async fn delegations(State(state): State<AppState>) -> ApiResult<Json<Vec<Delegation>>> {
    Ok(Json(reform::delegations(&state, &state.config.default_region).await?))
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
    let d = reform::grant_delegation(&state, &s, &req).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
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
    Ok(Json(reform::revoke_delegation(&state, &s, id, &req).await?))
}

/// 全域通办 / 跨省通办 figures over a period, and delegations in force by target.
#[utoipa::path(get, path = "/api/v1/anywhere/figures", tag = "reform", params(PeriodParams),
    responses((status = 200, body = ReformFigures), (status = 400, body = ErrorBody)))]
pub async fn anywhere_figures(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<ReformFigures>> {
    Ok(Json(
        reform::reform_figures(&state, &state.config.default_region, p.from.as_deref(), p.to.as_deref()).await?,
    ))
}

// ------------------------------------------------------------------------------------------------ helpers, enterprises

/// Pair a helper with an enterprise (帮代办; administrator).
#[utoipa::path(post, path = "/api/v1/helpers", tag = "reform", security(("bearer" = [])), request_body = PairRequest,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn pair_helper(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiJson(req): ApiJson<PairRequest>,
) -> ApiResult<Response> {
    let p = reform::pair_helper(&state, &s, &req).await?;
    Ok((StatusCode::CREATED, Json(p)).into_response())
}

/// Pairings: a clerk sees their own enterprises; supervisors and admins all.
#[utoipa::path(get, path = "/api/v1/helpers", tag = "reform", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>)))]
pub async fn helpers(State(state): State<AppState>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<HelperPair>>> {
    Ok(Json(reform::helper_pairs(&state, &s).await?))
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
    Ok(Json(reform::enterprise(&state, &s, &credit_code).await?))
}

// ------------------------------------------------------------------------------------------------ applicants

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// ID number (person) or unified social credit code (enterprise)
    pub identifier: String,
    pub phone: String,
}

/// Send a sign-in code by SMS to the phone (at most 5 an hour per phone, 10 an hour per client address).
#[utoipa::path(post, path = "/api/v1/applicant/code", tag = "applicant", request_body = CodeRequest,
    responses((status = 202), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn send_code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<StatusCode> {
    reform::send_sign_in_code(
        &state,
        &state.config.default_region,
        &req.identifier,
        &req.phone,
        address,
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantLogin {
    /// ID number (person) or unified social credit code (enterprise), as the code was sent for
    pub identifier: String,
    /// The person's name (with a code; with a password the registered name is used)
    #[serde(default)]
    pub name: String,
    pub phone: String,
    /// The SMS code sent to the phone …
    pub code: Option<String>,
    /// … or the password the person registered
    pub password: Option<String>,
    /// An enterprise's credit code: sign in for it as its legal representative or an agent it authorised
    #[serde(default)]
    pub enterprise: Option<String>,
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
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<ApplicantLogin>,
) -> ApiResult<Json<ApplicantToken>> {
    let region = &state.config.default_region;
    let enterprise = req.enterprise.as_deref();
    let proof = match (&req.password, &req.code) {
        (Some(password), None) => reform::Proof::Password(password),
        (None, Some(code)) => reform::Proof::Code(code),
        _ => {
            return Err(tongban_app::Error::unprocessable(
                "code_or_password",
                "请提供短信验证码（code）或登录密码（password）之一",
            )
            .into())
        }
    };
    let request = reform::SignInRequest {
        identifier: &req.identifier,
        name: &req.name,
        phone: &req.phone,
        proof,
        enterprise,
    };
    let (token, _) = reform::sign_in(&state, region, request, address).await?;
    Ok(Json(ApplicantToken { token }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    /// At least 12 characters; not all digits, not one character repeated, not containing the phone or ID number
    pub password: String,
}

/// Register (or change) a password for later sign-ins; the person must be signed in as themself.
#[utoipa::path(post, path = "/api/v1/applicant/password", tag = "applicant", security(("bearer" = [])),
    request_body = PasswordRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_applicant_password(
    State(state): State<AppState>,
    me: ApiApplicant,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> ApiResult<StatusCode> {
    reform::set_password(&state, &me.session, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out: the bearer token's session ends.
#[utoipa::path(post, path = "/api/v1/applicant/logout", tag = "applicant", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn applicant_logout(State(state): State<AppState>, me: ApiApplicant) -> ApiResult<StatusCode> {
    reform::sign_out(&state, &me.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in identity's live sessions on every device, newest first.
#[utoipa::path(get, path = "/api/v1/applicant/sessions", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionView>), (status = 401, body = ErrorBody)))]
pub async fn applicant_sessions(State(state): State<AppState>, me: ApiApplicant) -> ApiResult<Json<Vec<SessionView>>> {
    Ok(Json(reform::my_sessions(&state, &me.session).await?))
}

/// End one of the signed-in identity's sessions (for instance on a lost phone).
#[utoipa::path(delete, path = "/api/v1/applicant/sessions/{id}", tag = "applicant", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn end_applicant_session(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    reform::end_my_session(&state, &me.session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in applicant's cases, newest first.
#[utoipa::path(get, path = "/api/v1/my/cases", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<MyCase>), (status = 401, body = ErrorBody)))]
pub async fn my_cases(State(state): State<AppState>, me: ApiApplicant) -> ApiResult<Json<Vec<MyCase>>> {
    Ok(Json(reform::my_cases(&state, &me.session).await?))
}

/// One of the signed-in applicant's cases in full: state, notices, deadline, form, materials, delivery, fee.
#[utoipa::path(get, path = "/api/v1/my/cases/{number}", tag = "applicant", security(("bearer" = [])),
    params(("number" = String, Path)),
    responses((status = 200, body = MyCaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn my_case(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(number): Path<String>,
) -> ApiResult<Json<MyCaseDetail>> {
    Ok(Json(cases::my_case(&state, &me.session, &number).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantActionRequest {
    /// What the workflow lets the applicant do now (`applicant_actions` of the case): resubmit, withdraw
    pub action: String,
    /// The case version the action is based on; a stale one answers 409
    pub version: i64,
    /// The corrected application form (checked against the item's form); absent keeps it
    #[schema(value_type = Option<Object>)]
    pub form: Option<serde_json::Value>,
}

/// The applicant acts on their own case, as the workflow allows them: `resubmit` after a one-time correction notice
/// (网上补正: the same case, with the corrected form and the materials uploaded meanwhile, back in the
/// comprehensive window's inbox) or `withdraw`. Not allowed in the case's state: 422 with the allowed actions.
#[utoipa::path(post, path = "/api/v1/my/cases/{number}/actions", tag = "applicant", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = ApplicantActionRequest,
    responses((status = 200, body = MyCaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn applicant_action(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<ApplicantActionRequest>,
) -> ApiResult<Json<MyCaseDetail>> {
    let opts = cases::ActOptions {
        form: req.form,
        ..Default::default()
    };
    cases::act_as_applicant(&state, &me.session, &number, &req.action, req.version, &opts).await?;
    Ok(Json(cases::my_case(&state, &me.session, &number).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReuseRequest {
    /// The material's name in the guide
    pub material: String,
    /// 电子证照免提交: an e-licence of the applicant's that stands for the material
    pub licence_id: Option<String>,
    /// 材料复用: an earlier case of the applicant's that handed the material in
    pub from_case: Option<String>,
    /// The applicant confirms the earlier material still holds (required with `from_case`)
    #[serde(default)]
    pub confirm: bool,
}

/// Satisfy a material without uploading: by an e-licence the applicant holds (valid, of the matching kind) or by
/// the same material on an earlier case of theirs (with their confirmation). The clerk sees which way it came.
#[utoipa::path(post, path = "/api/v1/my/cases/{number}/materials/reuse", tag = "applicant", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = ReuseRequest,
    responses((status = 200, body = MyCaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reuse_material(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<ReuseRequest>,
) -> ApiResult<Json<MyCaseDetail>> {
    let material = req.material.trim();
    match (req.licence_id.as_deref(), req.from_case.as_deref()) {
        (Some(l), None) => cases::reuse_licence(&state, &me.session, &number, material, l).await?,
        (None, Some(from)) => cases::reuse_material(&state, &me.session, &number, material, from, req.confirm).await?,
        _ => {
            return Err(tongban_app::Error::unprocessable(
                "reuse_source_required",
                "请在licence_id（电子证照）和from_case（以前的办件）中选择一项",
            )
            .into())
        }
    };
    Ok(Json(cases::my_case(&state, &me.session, &number).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    pub item_code: String,
    /// The form as far as it is filled; checked only when the draft is submitted
    #[schema(value_type = Option<Object>)]
    #[serde(default)]
    pub form: serde_json::Value,
    pub delivery: Option<DeliveryIn>,
}

/// Save an application as a draft, to finish later (201).
#[utoipa::path(post, path = "/api/v1/my/drafts", tag = "applicant", security(("bearer" = [])),
    request_body = DraftRequest,
    responses((status = 201, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_draft(
    State(state): State<AppState>,
    me: ApiApplicant,
    ApiJson(req): ApiJson<DraftRequest>,
) -> ApiResult<(StatusCode, Json<tongban_store::Draft>)> {
    let delivery = req.delivery.map(Into::into).unwrap_or_default();
    let d = cases::save_draft(&state, &me.session, None, &req.item_code, req.form, delivery).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// One of the applicant's drafts.
#[utoipa::path(get, path = "/api/v1/my/drafts/{id}", tag = "applicant", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_draft(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id): Path<i64>,
) -> ApiResult<Json<tongban_store::Draft>> {
    Ok(Json(cases::my_draft(&state, &me.session, id).await?))
}

/// Change a draft (not once submitted: 404).
#[utoipa::path(put, path = "/api/v1/my/drafts/{id}", tag = "applicant", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DraftRequest,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_draft(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<DraftRequest>,
) -> ApiResult<Json<tongban_store::Draft>> {
    let delivery = req.delivery.map(Into::into).unwrap_or_default();
    Ok(Json(
        cases::save_draft(&state, &me.session, Some(id), &req.item_code, req.form, delivery).await?,
    ))
}

/// Throw a draft away (not once submitted: 404).
#[utoipa::path(delete, path = "/api/v1/my/drafts/{id}", tag = "applicant", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_draft(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    cases::delete_draft(&state, &me.session, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submit a draft as an online case, checked as every online filing is (422 with each failing field). Submitting
/// it again answers the same case (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/my/drafts/{id}/submit", tag = "applicant", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 201, body = MyCaseDetail), (status = 200, body = MyCaseDetail), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_draft(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<MyCaseDetail>)> {
    let (case, created) = cases::submit_draft(&state, &me.session, id).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(cases::my_case(&state, &me.session, &case.number).await?)))
}

/// Change how the result comes back, until it is issued (then 409 `already_issued`).
#[utoipa::path(put, path = "/api/v1/my/cases/{number}/delivery", tag = "applicant", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = DeliveryIn,
    responses((status = 200, body = MyCaseDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_delivery(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<DeliveryIn>,
) -> ApiResult<Json<MyCaseDetail>> {
    cases::change_delivery(&state, &me.session, &number, req.into()).await?;
    Ok(Json(cases::my_case(&state, &me.session, &number).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentRequest {
    /// The agent's ID number
    pub id_number: String,
    pub name: String,
}

/// The enterprise's authorised agents (its legal representative signed in for it).
#[utoipa::path(get, path = "/api/v1/my/agents", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<Object>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn my_agents(
    State(state): State<AppState>,
    me: ApiApplicant,
) -> ApiResult<Json<Vec<tongban_store::EnterprisePerson>>> {
    Ok(Json(reform::my_agents(&state, &me.session).await?))
}

/// Authorise a person to act for the enterprise online (its legal representative only).
#[utoipa::path(post, path = "/api/v1/my/agents", tag = "applicant", security(("bearer" = [])),
    request_body = AgentRequest,
    responses((status = 201), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_agent(
    State(state): State<AppState>,
    me: ApiApplicant,
    ApiJson(req): ApiJson<AgentRequest>,
) -> ApiResult<StatusCode> {
    reform::add_agent(&state, &me.session, &req.id_number, &req.name).await?;
    Ok(StatusCode::CREATED)
}

/// Withdraw an agent's authorisation (its legal representative only): their sessions for the enterprise end, and
/// they file nothing more for it.
#[utoipa::path(delete, path = "/api/v1/my/agents/{id_number}", tag = "applicant", security(("bearer" = [])),
    params(("id_number" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn remove_agent(
    State(state): State<AppState>,
    me: ApiApplicant,
    Path(id_number): Path<String>,
) -> ApiResult<StatusCode> {
    reform::remove_agent(&state, &me.session, &id_number).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepresentativeRequest {
    pub enterprise_name: String,
    /// The legal representative's ID number and name, as registered
    pub id_number: String,
    pub name: String,
}

/// Record an enterprise's legal representative from its registration (administrators). The previous
/// representative's standing, the agents they authorised and every session for the enterprise end.
#[utoipa::path(put, path = "/api/v1/enterprises/{credit_code}/representative", tag = "reform", security(("bearer" = [])),
    params(("credit_code" = String, Path)), request_body = RepresentativeRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_representative(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(credit_code): Path<String>,
    ApiJson(req): ApiJson<RepresentativeRequest>,
) -> ApiResult<StatusCode> {
    reform::register_representative(
        &state,
        &s.staff,
        &credit_code,
        &req.enterprise_name,
        &req.id_number,
        &req.name,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in applicant's e-licences.
#[utoipa::path(get, path = "/api/v1/my/licences", tag = "applicant", security(("bearer" = [])),
    responses((status = 200, body = Vec<LicenceView>), (status = 401, body = ErrorBody)))]
pub async fn my_licences(State(state): State<AppState>, me: ApiApplicant) -> ApiResult<Json<Vec<LicenceView>>> {
    Ok(Json(reform::my_licences(&state, &me.session).await?))
}
