//! Acting on a request: acceptance, corrections, extension, the answer; the inbox and the applicant's progress query.

use super::*;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::NaiveDate;
use serde::Serialize;
use tongban_core::lifecycle::StateMachine;
use tongban_core::lifecycle::{Lifecycle, Refusal, Step};
use tongban_store::{DisclosureRequest, NewRequestEvent, Session};

/// A step in handling a request.
pub enum RequestAction<'a> {
    /// 补正告知: what is unclear or missing.
    RequestCorrection { note: &'a str },
    /// The applicant's correction arrived: the 20 days start again.
    Corrected { note: &'a str },
    /// Third-party consultation (征求第三方意见): the clock stops.
    Consult { third_party: &'a str },
    /// The third party answered (or its 15 days passed): the clock runs again.
    Resume { note: &'a str },
    /// 延期答复, approved by the acting head or officer.
    Extend { days: i64, reason: &'a str },
    Reply {
        kind: &'a str,
        ground: &'a str,
        text: &'a str,
        refer_to: &'a str,
    },
}

impl RequestAction<'_> {
    /// The action's code in the request's lifecycle and its history.
    pub fn code(&self) -> &'static str {
        match self {
            RequestAction::RequestCorrection { .. } => "request_correction",
            RequestAction::Corrected { .. } => "corrected",
            RequestAction::Consult { .. } => "consult",
            RequestAction::Resume { .. } => "resume",
            RequestAction::Extend { .. } => "extend",
            RequestAction::Reply { .. } => "reply",
        }
    }
}

/// Who takes a step on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestParty {
    /// Those who handle the request: disclosure officers and the department's staff.
    Handler,
    /// A handler who may also approve (延期答复 needs the head of the disclosure office or the department).
    Approver,
}

/// The request's lifecycle under the 条例 (arts. 30–33): who may take which step in which state. Where a step leads
/// is decided in `act_on_request`.
pub const REQUEST_LIFECYCLE: Lifecycle<RequestParty> = Lifecycle(&[
    step("request_correction", "补正告知", &["received"], RequestParty::Handler),
    step("corrected", "登记补正", &["correction"], RequestParty::Handler),
    step("consult", "征求第三方意见", &["received"], RequestParty::Handler),
    step("resume", "结束征求意见", &["consulting"], RequestParty::Handler),
    step(
        "extend",
        "延期答复",
        &["received", "consulting"],
        RequestParty::Approver,
    ),
    step("reply", "答复", &["received", "correction"], RequestParty::Handler),
]);

const fn step(
    action: &'static str,
    label: &'static str,
    from: &'static [&'static str],
    party: RequestParty,
) -> Step<RequestParty> {
    Step {
        action,
        label,
        from,
        party,
    }
}

fn is_party(s: &Session, r: &DisclosureRequest, party: RequestParty) -> bool {
    crate::policy::may_author_disclosure(s, &r.department_code)
        && (party == RequestParty::Handler
            || crate::policy::allows(&s.staff, crate::policy::Capability::ApproveDisclosure))
}

/// The steps this reader may take on the request now (what the request page offers): the lifecycle's, less the
/// once-only steps already taken (one correction notice, one extension).
pub fn request_actions(s: &Session, r: &DisclosureRequest) -> Vec<&'static str> {
    REQUEST_LIFECYCLE
        .allowed(&r.state, &|p| is_party(s, r, p))
        .into_iter()
        .filter(|a| match *a {
            "request_correction" => r.correction_on.is_none(),
            "extend" => r.extended_days == 0,
            _ => true,
        })
        .collect()
}

pub async fn act_on_request(
    app: &App,
    s: &Session,
    number: &str,
    action: RequestAction<'_>,
    today: NaiveDate,
    now: &str,
) -> Result<RequestView, Error> {
    let old = load_request(app, s, number).await?;
    if !crate::policy::may_author_disclosure(s, &old.department_code) {
        return Err(Error::forbidden("只能查看，不能办理该申请"));
    }
    match REQUEST_LIFECYCLE.check(action.code(), &old.state, |p| is_party(s, &old, p)) {
        Ok(_) => {}
        Err(Refusal::NotParty(_)) => {
            return Err(Error::forbidden(
                "延期答复须经政务公开工作机构负责人同意：请由政务公开专员或部门负责人办理",
            ))
        }
        Err(_) => return Err(invalid_state(REQUEST_LIFECYCLE.label(action.code()), &old.state)),
    }
    if parse_day(&old.received_on).is_some_and(|d| today < d) {
        return Err(Error::unprocessable("invalid_date", "办理日期不能早于收到申请的日期"));
    }
    let cal = app.calendar();
    let mut new = old.clone();
    let day = ymd(today);
    let (name, detail) = match action {
        RequestAction::RequestCorrection { note } => {
            if old.correction_on.is_some() {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "already_corrected",
                    "补正告知应一次性告知，本申请已经补正过一次",
                ));
            }
            let received = parse_day(&old.received_on).unwrap_or(today);
            if cal.working_days_between(received, today) > CORRECTION_NOTICE_DAYS {
                return Err(Error::unprocessable(
                    "correction_too_late",
                    format!("补正告知应在收到申请之日起{CORRECTION_NOTICE_DAYS}个工作日内发出"),
                ));
            }
            new.state = "correction".into();
            ("request_correction", text_field(note, "补正内容", 1000)?)
        }
        RequestAction::Corrected { note } => {
            new.state = "received".into();
            new.correction_on = Some(day.clone());
            new.clock_start = day.clone();
            ("corrected", note.trim().chars().take(1000).collect())
        }
        RequestAction::Consult { third_party } => {
            new.state = "consulting".into();
            new.suspended_since = Some(day.clone());
            ("consult", text_field(third_party, "第三方名称", 200)?)
        }
        RequestAction::Resume { note } => {
            let since = old.suspended_since.as_deref().and_then(parse_day).unwrap_or(today);
            new.suspended_days += cal.working_days_between(since, today).max(0);
            new.suspended_since = None;
            new.state = "received".into();
            ("resume", note.trim().chars().take(1000).collect())
        }
        RequestAction::Extend { days, reason } => {
            if !(1..=MAX_EXTENSION_DAYS).contains(&days) {
                return Err(Error::unprocessable(
                    "extension_too_long",
                    format!("延长答复期限最长不超过{MAX_EXTENSION_DAYS}个工作日（申请延长{days}个工作日）"),
                ));
            }
            if old.extended_days > 0 {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "already_extended",
                    "答复期限只能延长一次",
                ));
            }
            if old.state == "received" && parse_day(&old.due_date).is_some_and(|d| today > d) {
                return Err(Error::unprocessable("deadline_passed", "答复期限已过，不能再延期"));
            }
            new.extended_days = days;
            (
                "extend",
                format!(
                    "延长{days}个工作日，经{}同意：{}",
                    s.staff.display_name,
                    text_field(reason, "延期理由", 500)?
                ),
            )
        }
        RequestAction::Reply {
            kind,
            ground: gr,
            text,
            refer_to,
        } => {
            let found = ground(kind, gr).ok_or_else(|| {
                Error::unprocessable(
                    "invalid_ground",
                    format!("答复类型“{kind}”没有理由“{gr}”：见GET /api/v1/disclosure/grounds"),
                )
            })?;
            let allowed = match old.state.as_str() {
                "received" => gr != "correction_overdue",
                // The applicant did not correct: the only reply is to stop handling it.
                "correction" => gr == "correction_overdue" || gr == "withdrawn",
                _ => false,
            };
            if !allowed {
                return Err(match old.state.as_str() {
                    "correction" => Error::new(
                        ErrorKind::Conflict,
                        "invalid_state",
                        "申请正在等待补正：登记补正后再答复，或以“逾期不补正”结束",
                    ),
                    "received" => Error::unprocessable("invalid_ground", "申请人未被要求补正，不能以“逾期不补正”答复"),
                    other => invalid_state("答复", other),
                });
            }
            if gr == "not_held" && refer_to.trim().is_empty() {
                return Err(Error::unprocessable(
                    "missing_refer_to",
                    "非本机关负责公开的，须告知负责公开该信息的机关（refer_to）",
                ));
            }
            new.state = "replied".into();
            new.reply_kind = Some(found.kind.into());
            new.reply_ground = Some(found.ground.into());
            new.reply_text = text.trim().chars().take(5000).collect();
            new.refer_to = refer_to.trim().chars().take(200).collect();
            new.replied_on = Some(day.clone());
            new.replied_by = Some(s.staff.username.clone());
            new.suspended_since = None;
            ("reply", format!("{}：{}", kind_label(found.kind), found.label))
        }
    };
    if new.state != "replied" {
        let (d, p) = due(app, &new)?;
        new.due_date = d;
        new.due_provisional = p;
    }
    let stored = app
        .store
        .update_disclosure_request(
            &s.staff.region_code,
            &old,
            &new,
            &NewRequestEvent {
                actor: &s.staff.username,
                action: name,
                day: &day,
                at: now,
                detail: &detail,
            },
        )
        .await
        .map_err(store_err)?;
    Ok(request_view(app, stored, true, today))
}

/// Open requests the reader may handle, by deadline.
pub async fn inbox(app: &App, s: &Session, today: NaiveDate) -> Result<Vec<RequestView>, Error> {
    let department = if s.staff.role.is_department_bound() {
        s.staff.department_code.clone()
    } else if crate::policy::allows(&s.staff, crate::policy::Capability::ReadAllDisclosure) {
        None
    } else {
        return Err(Error::forbidden("该角色不办理政府信息公开申请"));
    };
    let rows = app
        .store
        .disclosure_requests(&s.staff.region_code, department.as_deref(), true, None)
        .await?;
    Ok(rows.into_iter().map(|r| request_view(app, r, false, today)).collect())
}

// ---------------------------------------------------------------------------------------------------------------
// Letters: the reply (答复告知书), the correction notice (补正告知书) and the extension notice (延期答复告知书).

/// What the applicant sees of their request (no login): the state, the deadline and the reply, no personal data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestProgress {
    pub number: String,
    pub department_name: String,
    pub state_label: String,
    pub received_on: String,
    pub due_date: String,
    pub extended_days: i64,
    pub reply_label: Option<String>,
    pub replied_on: Option<String>,
}

/// A request by its number and the last four characters of the applicant's identifier or phone; a wrong code is
/// the same "not found" as a wrong number, so that numbers cannot be probed.
/// Throttled per address like the case progress query.
pub async fn progress(
    app: &App,
    region: &str,
    number: &str,
    code: &str,
    address: crate::throttle::ClientAddress,
) -> Result<RequestProgress, Error> {
    crate::throttle::hit_address(app, crate::throttle::PROGRESS_QUERIES_PER_ADDRESS, address).await?;
    let not_found = || Error::not_found(format!("申请“{}”（或查询码不符）", number.trim()));
    let r = app
        .store
        .disclosure_request(region, number.trim())
        .await?
        .ok_or_else(not_found)?;
    let code = code.trim().to_ascii_uppercase();
    let tail = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect::<String>()
    };
    if code.chars().count() != 4 || (tail(&r.applicant_identifier) != code && tail(&r.phone) != code) {
        return Err(not_found());
    }
    let v = request_view(app, r, false, crate::time::today());
    Ok(RequestProgress {
        number: v.number,
        department_name: v.department_name,
        state_label: v.state_label,
        received_on: v.received_on,
        due_date: v.due_date,
        extended_days: v.extended_days,
        reply_label: v.reply_label,
        replied_on: v.replied_on,
    })
}
