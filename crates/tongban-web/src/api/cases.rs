use crate::auth::{ApiCaller, ApiUser};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{paging, ApiJson, ApiQuery};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tongban_app::cases::{self, parse_applicant, timing, FiledBy, Filing, Timing};
use tongban_app::policy::{self, Shown};
use tongban_app::{Error, ErrorKind};
use tongban_core::workflow::Actor;
use tongban_store::{CaseRecord, Session};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantIn {
    /// person or enterprise
    pub kind: String,
    pub name: String,
    /// 18-character resident ID (GB 11643), for a person
    pub id_number: Option<String>,
    /// Unified social credit code (GB 32100), for an enterprise
    pub credit_code: Option<String>,
    pub phone: String,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseRequest {
    pub item_code: String,
    /// Required when staff file; online the applicant is the signed-in identity (a different one is refused)
    pub applicant: Option<ApplicantIn>,
    /// online, window, town, village or partner
    pub channel: String,
    /// Accepting site code (e.g. hall, town-430603102)
    pub site: Option<String>,
    /// Helper (帮代办) or agent filing on the applicant's behalf
    pub agent: Option<String>,
    #[schema(value_type = Object)]
    pub form: Option<serde_json::Value>,
    /// Names of the materials handed in
    pub materials: Option<Vec<String>>,
    /// How the result goes back; absent: picked up where it was filed (online: at the centre's hall)
    pub delivery: Option<DeliveryIn>,
}

/// How the result goes back to the applicant.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct DeliveryIn {
    /// window (pick up), post, or electronic (the e-licence only)
    pub method: String,
    /// window: the site to pick up at (default: where it was filed)
    #[serde(default)]
    pub site: String,
    /// post: the address to post it to
    #[serde(default)]
    pub address: String,
}

impl From<DeliveryIn> for tongban_store::Delivery {
    fn from(d: DeliveryIn) -> Self {
        tongban_store::Delivery {
            method: d.method,
            site: d.site,
            address: d.address,
            ..Default::default()
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AllowedAction {
    pub action: String,
    pub label: String,
    pub comment_required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CaseView {
    pub number: String,
    pub state: String,
    pub state_label: String,
    pub version: i64,
    pub item_code: String,
    pub item_name: String,
    /// The guide version the case was filed under
    pub item_version: i64,
    pub department_code: String,
    pub department: String,
    pub channel: String,
    pub site: String,
    pub agent: String,
    pub applicant_kind: String,
    pub applicant_name: String,
    /// Whole only for staff handling the case; masked otherwise
    pub applicant_identifier: String,
    pub applicant_phone: String,
    pub materials: Vec<String>,
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    pub legal_due_date: Option<String>,
    /// Computed over a year whose holiday notice is not yet published
    pub due_provisional: bool,
    pub suspended_days: i64,
    pub timing: Timing,
    /// What the caller may do now
    pub allowed_actions: Vec<AllowedAction>,
    pub created_at: String,
    pub closed_at: Option<String>,
    /// The e-licence approving this case issued (GB/T 36904 identifier)
    pub licence_id: Option<String>,
    /// Accepted under 容缺受理
    pub tolerance: bool,
}

async fn view(state: &AppState, c: CaseRecord, reader: Option<&Session>, shown: Shown) -> ApiResult<CaseView> {
    let whole = policy::reveals_case_applicant(reader, &c, shown);
    let tpl = cases::template(state, &c.region_code, &c.workflow_code).await?;
    let allowed = match reader {
        Some(s) => tpl
            .allowed_actions(&c.position, Actor::Staff(s.staff.role))
            .into_iter()
            .map(|a| AllowedAction {
                action: a.code.clone(),
                label: a.label.clone(),
                comment_required: a.comment_required,
            })
            .collect(),
        None => vec![],
    };
    let state_label = tpl
        .state(&c.state)
        .map(|s| s.label.clone())
        .unwrap_or_else(|| c.state.clone());
    Ok(CaseView {
        timing: timing(state, &c, tongban_app::time::today()),
        applicant_identifier: if whole {
            c.applicant_identifier.clone()
        } else {
            policy::mask::identifier(&c.applicant_kind, &c.applicant_identifier)
        },
        applicant_phone: if whole {
            c.applicant_phone.clone()
        } else {
            policy::mask::phone(&c.applicant_phone)
        },
        number: c.number,
        state: c.state,
        state_label,
        version: c.version,
        item_code: c.item_code,
        item_name: c.item_name,
        item_version: c.item_version,
        department_code: c.department_code,
        department: c.department_name,
        channel: c.channel,
        site: c.site_code,
        agent: c.agent,
        applicant_kind: c.applicant_kind,
        applicant_name: c.applicant_name,
        materials: c.materials,
        accepted_on: c.accepted_on,
        due_date: c.due_date,
        legal_due_date: c.legal_due_date,
        due_provisional: c.due_provisional,
        suspended_days: c.suspended_days,
        allowed_actions: allowed,
        created_at: c.created_at,
        closed_at: c.closed_at,
        licence_id: c.licence_id,
        tolerance: c.tolerance,
    })
}

/// File a case (办件). Online by the applicant signed in (bearer token from /api/v1/applicant/login: the case's
/// applicant is that identity, and the form must satisfy the item's form definition); at a window, town centre,
/// village station or partner site by a clerk (bearer token). `Idempotency-Key` makes retries safe: the same key and body return the same case
/// (200), the same key with another body is refused (422).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key")),
    responses((status = 201, body = CaseView), (status = 200, body = CaseView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CaseRequest>,
) -> ApiResult<Response> {
    let session = caller.staff();
    let region = match &caller {
        ApiCaller::Staff(s) => s.staff.region_code.clone(),
        ApiCaller::Applicant(a) => a.region_code.clone(),
        ApiCaller::Anonymous => state.config.default_region.clone(),
    };
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    if key.as_ref().is_some_and(|k| k.len() > 128) {
        return Err(Error::bad_request("invalid_idempotency_key", "Idempotency-Key不能超过128个字符").into());
    }
    let request_hash = hex::encode(Sha256::digest(serde_json::to_vec(&req).unwrap_or_default()));
    let named = req
        .applicant
        .as_ref()
        .map(|a| {
            parse_applicant(
                &a.kind,
                &a.name,
                a.id_number.as_deref(),
                a.credit_code.as_deref(),
                &a.phone,
            )
        })
        .transpose()?;
    let (applicant, by) = match &caller {
        ApiCaller::Applicant(a) if req.channel == "online" => {
            (cases::online_applicant(a, named.as_ref())?, FiledBy::Applicant(a))
        }
        _ if req.channel == "online" && session.is_none() => {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "applicant_login_required",
                "网上申请须先登录（POST /api/v1/applicant/login），申请人即登录的身份",
            )
            .into())
        }
        _ => (
            named.ok_or_else(|| Error::unprocessable("missing_applicant", "须填写申请人（applicant）"))?,
            FiledBy::staff(session),
        ),
    };
    let filing = Filing {
        item_code: req.item_code.clone(),
        applicant,
        channel: req.channel.clone(),
        site_code: req.site.clone().unwrap_or_else(|| {
            if session.is_some() && req.channel == "window" {
                "hall".into()
            } else {
                String::new()
            }
        }),
        agent: req.agent.clone().unwrap_or_default(),
        form: req.form.clone().unwrap_or(serde_json::json!({})),
        materials: req.materials.clone().unwrap_or_default(),
        idempotency_key: key,
        request_hash,
        delivery: req.delivery.clone().map(Into::into).unwrap_or_default(),
    };
    let (case, created) = cases::file(&state, &region, filing, by).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    let body = view(&state, case, session, Shown::Record).await?;
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CaseListParams {
    pub state: Option<String>,
    /// Department code
    pub department: Option<String>,
    /// Item code
    pub item: Option<String>,
    /// Applicant's ID number, credit code or name
    pub applicant: Option<String>,
    /// Only overdue open cases
    pub overdue: Option<bool>,
    /// Only open cases with at most the warning days left (or overdue)
    pub warned: Option<bool>,
    /// Only open cases due today
    pub due_today: Option<bool>,
    /// A case number or its start, an applicant's name or ID number, or part of the item's name
    pub q: Option<String>,
    /// The accepting site's code, or `online`
    pub site: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct CasePage {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub data: Vec<CaseView>,
}

/// Cases of the caller's scope (department staff: their department), soonest deadline first. Personal data masked.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", security(("bearer" = [])), params(CaseListParams),
    responses((status = 200, body = CasePage), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<CaseListParams>,
) -> ApiResult<Json<CasePage>> {
    let (page, per_page) = paging(p.page, p.per_page)?;
    let query = cases::CaseQuery {
        state: p.state,
        department_code: p.department,
        item_code: p.item,
        applicant: p.applicant,
        overdue: p.overdue == Some(true),
        warned: p.warned == Some(true),
        due_today: p.due_today == Some(true),
        open_only: false,
        search: p.q,
        site: p.site,
    };
    let result = cases::list(&state, &s, query, page, per_page).await?;
    let mut data = Vec::with_capacity(result.data.len());
    for c in result.data {
        data.push(view(&state, c, Some(&s), Shown::List).await?);
    }
    Ok(Json(CasePage {
        total: result.total,
        page,
        per_page,
        data,
    }))
}

/// One case with the caller's allowed actions.
#[utoipa::path(get, path = "/api/v1/cases/{number}", tag = "cases", security(("bearer" = [])), params(("number" = String, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<CaseView>> {
    let c = cases::load(&state, &s, &number).await?;
    Ok(Json(view(&state, c, Some(&s), Shown::Record).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// accept, request_correction, resubmit, refuse, review, approve, deny, return, issue, deliver, suspend, resume, withdraw
    pub action: String,
    /// The case version the action is based on; a stale one answers 409
    pub version: i64,
    #[serde(default)]
    pub comment: String,
    /// Materials handed in with this step (accept at the window, or resubmit after a correction notice)
    #[serde(default)]
    pub materials: Vec<String>,
    /// 容缺受理 (accept only): accept with the "may be missing" materials absent; the applicant signs a commitment
    /// to hand them in within the configured working days
    #[serde(default)]
    pub tolerance: bool,
    /// request_correction: the form fields (name or label) and guide materials the applicant must fix
    #[serde(default)]
    pub fix_fields: Vec<String>,
    #[serde(default)]
    pub fix_materials: Vec<String>,
    /// deliver, when the result is posted: the carrier and the waybill number
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub waybill: String,
}

/// Take an action on a case. Not allowed in this state: 422 with the allowed actions; role may not act: 403;
/// stale version: 409. Nothing is written on refusal.
#[utoipa::path(post, path = "/api/v1/cases/{number}/actions", tag = "cases", security(("bearer" = [])),
    params(("number" = String, Path)), request_body = ActionRequest,
    responses((status = 200, body = CaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
    ApiJson(req): ApiJson<ActionRequest>,
) -> ApiResult<Json<CaseView>> {
    if req.comment.chars().count() > 2000 {
        return Err(Error::unprocessable("comment_too_long", "意见不能超过2000字").into());
    }
    let c = cases::act(
        &state,
        &s,
        &number,
        &req.action,
        req.version,
        &req.comment,
        &cases::ActOptions {
            handed_in: req.materials,
            tolerance: req.tolerance,
            fix_fields: req.fix_fields,
            fix_materials: req.fix_materials,
            carrier: req.carrier,
            waybill: req.waybill,
            form: None,
        },
    )
    .await?;
    Ok(Json(view(&state, c, Some(&s), Shown::Record).await?))
}

/// The case history: append-only events, each chained to its predecessor by hash.
#[utoipa::path(get, path = "/api/v1/cases/{number}/events", tag = "cases", security(("bearer" = [])),
    params(("number" = String, Path)), responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<Vec<tongban_store::CaseEvent>>> {
    Ok(Json(cases::events(&state, &s, &number).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProgressParams {
    pub number: String,
    /// The last 4 characters of the applicant's ID number, credit code or phone
    pub code: String,
}

/// Public progress query (no login): case number plus the last 4 characters of the applicant's ID or phone.
#[utoipa::path(get, path = "/api/v1/progress", tag = "cases", params(ProgressParams),
    responses((status = 200, body = cases::Progress), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn progress(
    State(state): State<AppState>,
    crate::extract::ClientAddress(address): crate::extract::ClientAddress,
    ApiQuery(p): ApiQuery<ProgressParams>,
) -> ApiResult<Json<cases::Progress>> {
    Ok(Json(cases::progress(&state, &p.number, &p.code, address).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AddDaysParams {
    /// YYYY-MM-DD
    pub from: String,
    pub days: u32,
}

#[derive(Serialize, ToSchema)]
pub struct DateAnswer {
    pub date: String,
    /// A year on the way has no published holiday notice yet
    pub provisional: bool,
}

/// The N-th working day after a date on the official calendar (the day itself is day 0).
#[utoipa::path(get, path = "/api/v1/calendar/add-working-days", tag = "calendar", params(AddDaysParams),
    responses((status = 200, body = DateAnswer), (status = 400, body = ErrorBody)))]
pub async fn add_working_days(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<AddDaysParams>,
) -> ApiResult<Json<DateAnswer>> {
    let from = tongban_app::time::day_field("from", &p.from)?;
    if p.days > 3650 {
        return Err(Error::bad_request("invalid_days", "days不能超过3650").into());
    }
    let cal = state.calendar.read().map_err(|_| Error::internal("calendar lock"))?;
    let d = cal.add_working_days(from, p.days);
    Ok(Json(DateAnswer {
        date: d.date.format("%Y-%m-%d").to_string(),
        provisional: d.provisional,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BetweenParams {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct CountAnswer {
    /// Working days after `from` up to and including `to`
    pub working_days: i64,
}

/// Working days between two dates: after `from`, up to and including `to`.
#[utoipa::path(get, path = "/api/v1/calendar/working-days", tag = "calendar", params(BetweenParams),
    responses((status = 200, body = CountAnswer), (status = 400, body = ErrorBody)))]
pub async fn working_days(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<BetweenParams>,
) -> ApiResult<Json<CountAnswer>> {
    let (from, to) = (
        tongban_app::time::day_field("from", &p.from)?,
        tongban_app::time::day_field("to", &p.to)?,
    );
    if (to - from).num_days().abs() > 3660 {
        return Err(Error::bad_request("invalid_range", "日期范围不能超过十年").into());
    }
    let cal = state.calendar.read().map_err(|_| Error::internal("calendar lock"))?;
    Ok(Json(CountAnswer {
        working_days: cal.working_days_between(from, to),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// First acceptance day (YYYY-MM-DD); default 30 days ago
    pub from: Option<String>,
    /// Last acceptance day; default today
    pub to: Option<String>,
}

/// Supervision figures (电子监察): on-time rate, open, overdue and warned cases, average working days used against
/// promised and legal limits — in total and per department, item and accepting site. Supervisors and
/// administrators see the region; department heads and reviewers their department.
#[utoipa::path(get, path = "/api/v1/supervision", tag = "cases", security(("bearer" = [])), params(PeriodParams),
    responses((status = 200, body = cases::Supervision), (status = 403, body = ErrorBody)))]
pub async fn supervision(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> ApiResult<Json<cases::Supervision>> {
    let (from, to, dept) = cases::supervision_scope(&s, p.from.as_deref(), p.to.as_deref())?;
    Ok(Json(
        cases::supervision(&state, &s.staff.region_code, from, to, dept).await?,
    ))
}

/// A workflow template (states, actions, the roles allowed to take each action, time budgets) as the region uses it.
#[utoipa::path(get, path = "/api/v1/workflows/{code}", tag = "cases", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_workflow(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
) -> ApiResult<Json<tongban_core::workflow::Template>> {
    Ok(Json(cases::workflow(&state, &s, &code).await?))
}

/// Replace a workflow template (administrators). It must be consistent (every state named exists, codes unique)
/// and keep every state that open cases are in; the change is audited.
#[utoipa::path(put, path = "/api/v1/workflows/{code}", tag = "cases", security(("bearer" = [])), params(("code" = String, Path)),
    request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_workflow(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(code): Path<String>,
    ApiJson(t): ApiJson<tongban_core::workflow::Template>,
) -> ApiResult<Json<tongban_core::workflow::Template>> {
    Ok(Json(cases::save_workflow(&state, &s, &code, t).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MaterialParam {
    /// The material's name as the item's guide lists it
    pub material: String,
}

/// Upload a file for one material of a case (PDF, JPG, PNG or OFD, told by content; at most 10 MB). Stored by
/// SHA-256 under the data directory; recorded in the case history.
#[utoipa::path(post, path = "/api/v1/cases/{number}/materials", tag = "cases", security(("bearer" = [])),
    params(("number" = String, Path), MaterialParam), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Vec<cases::ChecklistEntry>), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload_material(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
    ApiQuery(p): ApiQuery<MaterialParam>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Vec<cases::ChecklistEntry>>)> {
    let c = cases::attach(&state, caller.filer(), &number, p.material.trim(), &body).await?;
    Ok((StatusCode::CREATED, Json(cases::checklist(&state, &c).await?)))
}

/// Upload a material as a form (multipart: `material` = the material's name in the guide, `file`): by the applicant
/// signed in, on their own case before acceptance or during a correction, or by a clerk. Checked as
/// `/materials` checks it; 201 with the checklist.
#[utoipa::path(post, path = "/api/v1/cases/{number}/files", tag = "cases", security(("bearer" = [])),
    params(("number" = String, Path)), request_body(content = String, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<cases::ChecklistEntry>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn upload_file(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(number): Path<String>,
    form: axum::extract::Multipart,
) -> ApiResult<(StatusCode, Json<Vec<cases::ChecklistEntry>>)> {
    let data = crate::upload::read_multipart(&state, form).await?;
    let material = data
        .fields
        .iter()
        .find(|(k, _)| k == "material")
        .map(|(_, v)| v.clone())
        .ok_or_else(|| Error::unprocessable("missing_material", "须填写材料名称（material）"))?;
    let file = data
        .files
        .into_iter()
        .next()
        .ok_or_else(|| Error::unprocessable("missing_file", "须附上一个文件（file）"))?
        .bytes;
    let c = cases::attach(&state, caller.filer(), &number, material.trim(), &file).await?;
    Ok((StatusCode::CREATED, Json(cases::checklist(&state, &c).await?)))
}

/// The materials checklist of a case against the guide version it was filed under.
#[utoipa::path(get, path = "/api/v1/cases/{number}/materials", tag = "cases", security(("bearer" = [])),
    params(("number" = String, Path)), responses((status = 200, body = Vec<cases::ChecklistEntry>), (status = 404, body = ErrorBody)))]
pub async fn materials(
    State(state): State<AppState>,
    ApiUser(s): ApiUser,
    Path(number): Path<String>,
) -> ApiResult<Json<Vec<cases::ChecklistEntry>>> {
    let c = cases::load(&state, &s, &number).await?;
    Ok(Json(cases::checklist(&state, &c).await?))
}
