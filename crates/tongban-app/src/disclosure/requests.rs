//! Requests for disclosure (依申请公开): filing by the public and by staff, the views with their deadlines.

use super::*;
use crate::cases::parse_applicant;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::Error;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tongban_store::{DisclosureRequest, NewRequestEvent, Session};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timing {
    /// Working days left until the deadline (negative when overdue); None while the clock is stopped or done
    pub remaining_working_days: Option<i64>,
    /// none, yellow (≤ 3 working days left), red (overdue), correction (waiting for the applicant), suspended
    /// (third party consulted: the clock stops) or done
    pub warning: String,
}

pub fn timing(app: &App, r: &DisclosureRequest, today: NaiveDate) -> Timing {
    let stopped = |w: &str| Timing {
        remaining_working_days: None,
        warning: w.into(),
    };
    match r.state.as_str() {
        "replied" => return stopped("done"),
        "correction" => return stopped("correction"),
        "consulting" => return stopped("suspended"),
        _ => {}
    }
    let Some(due) = parse_day(&r.due_date) else {
        return stopped("none");
    };
    let remaining = app.calendar().working_days_between(today, due);
    Timing {
        remaining_working_days: Some(remaining),
        warning: crate::time::deadline_light(remaining, WARN_DAYS).into(),
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    /// e.g. GK2026-0001
    pub number: String,
    pub department: String,
    pub department_name: String,
    /// person or organisation
    pub applicant_kind: String,
    /// For organisations: commercial, research, social, legal or other
    pub org_kind: String,
    pub applicant_kind_label: String,
    pub applicant_name: String,
    /// Masked unless the reader handles the request
    pub applicant_identifier: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub description: String,
    pub purpose: String,
    /// paper, email or pickup
    pub delivery: String,
    pub delivery_label: String,
    /// online, window, letter or fax
    pub channel: String,
    pub channel_label: String,
    /// received, correction, consulting or replied
    pub state: String,
    pub state_label: String,
    pub received_on: String,
    /// The day the 20 working days count from (receipt, or the correction)
    pub clock_start: String,
    pub extended_days: i64,
    /// Working days the third-party consultation took (not counted)
    pub suspended_days: i64,
    pub due_date: String,
    /// Counted over a year whose holiday notice is not out yet
    pub due_provisional: bool,
    pub correction_on: Option<String>,
    pub reply_kind: Option<String>,
    pub reply_ground: Option<String>,
    pub reply_label: Option<String>,
    pub reply_text: String,
    pub refer_to: String,
    pub replied_on: Option<String>,
    pub replied_by: Option<String>,
    pub on_time: Option<bool>,
    pub version: i64,
    pub timing: Timing,
}

/// Whose turn a disclosure request is after a step, as the page that confirms the step says it.
pub fn next_step_sentence(r: &RequestView) -> String {
    match r.state.as_str() {
        "received" => format!(
            "下一步：答复，由{}政务公开承办人员于{}前办理，已进入其“待我办理”。",
            r.department_name, r.due_date
        ),
        "correction" => "下一步：等待申请人补正；收到补正后登记，答复期限自补正之日起重新计算。".to_string(),
        "consulting" => "下一步：等待第三方意见（征求意见期间不计入答复期限），收到后结束征求意见并答复。".to_string(),
        _ => format!("申请现为“{}”，办理结束。", r.state_label),
    }
}

pub fn request_view(app: &App, r: DisclosureRequest, whole: bool, today: NaiveDate) -> RequestView {
    let timing = timing(app, &r, today);
    let kind_label = if r.applicant_kind == "person" {
        "自然人".to_string()
    } else {
        format!("法人或其他组织（{}）", org_label(&r.org_kind))
    };
    let id_kind = if r.applicant_kind == "person" {
        "person"
    } else {
        "enterprise"
    };
    let reply_label = match (&r.reply_kind, &r.reply_ground) {
        (Some(k), Some(gr)) => Some(match ground(k, gr) {
            Some(x) if x.label != kind_label_str(k) => format!("{}：{}", kind_label_str(k), x.label),
            _ => kind_label_str(k).to_string(),
        }),
        _ => None,
    };
    RequestView {
        on_time: r.replied_on.as_ref().map(|d| *d <= r.due_date),
        number: r.number,
        department: r.department_code,
        department_name: r.department_name,
        applicant_kind_label: kind_label,
        applicant_kind: r.applicant_kind,
        org_kind: r.org_kind,
        applicant_name: r.applicant_name,
        applicant_identifier: if whole {
            r.applicant_identifier
        } else {
            crate::policy::mask::identifier(id_kind, &r.applicant_identifier)
        },
        phone: if whole {
            r.phone
        } else {
            crate::policy::mask::phone(&r.phone)
        },
        email: if whole || r.email.is_empty() {
            r.email
        } else {
            crate::policy::mask::email(&r.email)
        },
        address: if whole || r.address.is_empty() {
            r.address
        } else {
            "（已隐藏）".into()
        },
        description: r.description,
        purpose: r.purpose,
        delivery_label: delivery_label(&r.delivery).into(),
        delivery: r.delivery,
        channel_label: channel_label(&r.channel).into(),
        channel: r.channel,
        state_label: state_label(&r.state).into(),
        state: r.state,
        received_on: r.received_on,
        clock_start: r.clock_start,
        extended_days: r.extended_days,
        suspended_days: r.suspended_days,
        due_date: r.due_date,
        due_provisional: r.due_provisional,
        correction_on: r.correction_on,
        reply_kind: r.reply_kind,
        reply_ground: r.reply_ground,
        reply_label,
        reply_text: r.reply_text,
        refer_to: r.refer_to,
        replied_on: r.replied_on,
        replied_by: r.replied_by,
        version: r.version,
        timing,
    }
}

fn kind_label_str(k: &str) -> &'static str {
    kind_label(k)
}

/// A request for disclosure as the applicant or the recording staff member gives it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The department asked (code)
    pub department: String,
    /// person (自然人) or organisation (法人或其他组织)
    pub applicant_kind: String,
    /// For organisations: commercial, research, social, legal or other
    pub org_kind: Option<String>,
    pub name: String,
    /// Persons: resident ID number
    pub id_number: Option<String>,
    /// Organisations: unified social credit code
    pub credit_code: Option<String>,
    pub phone: String,
    /// Needed for delivery by email
    pub email: Option<String>,
    /// Needed for delivery on paper (post)
    pub address: Option<String>,
    /// What is asked: name, number or other description of the information
    pub description: String,
    pub purpose: Option<String>,
    /// paper, email or pickup
    pub delivery: String,
    /// Staff recording a request: window (default), letter or fax; online applicants leave it out
    pub channel: Option<String>,
    /// Staff recording a letter or fax: the day it was signed for (YYYY-MM-DD), if not today; the 20 working days
    /// count from it (条例 art. 31)
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub received_on: Option<NaiveDate>,
}

/// How staff receive a request (条例 art. 29: in writing, or orally at the window and recorded), with labels.
pub const STAFF_CHANNELS: [(&str, &str); 3] = [("window", "当面提交"), ("letter", "信函"), ("fax", "传真")];

pub fn channel_label(channel: &str) -> &'static str {
    STAFF_CHANNELS
        .iter()
        .find(|(c, _)| *c == channel)
        .map(|(_, l)| *l)
        .unwrap_or("网上申请")
}

/// The day a request counts as received: today, or for staff recording a letter or fax the day it was signed
/// for (条例 art. 31) — not in the future, and not so long ago that its 20 working days have already run out,
/// since such a late entry would hide an overdue request rather than record it.
fn receipt_day(app: &App, input: &RequestInput, staff: bool, today: NaiveDate) -> Result<NaiveDate, Error> {
    let Some(day) = input.received_on else {
        return Ok(today);
    };
    if !staff {
        return Err(Error::unprocessable(
            "received_on_not_allowed",
            "收到日期（received_on）由工作人员登记信函、传真申请时填写",
        ));
    }
    if day > today {
        return Err(Error::unprocessable(
            "received_on_in_future",
            format!("收到日期{}晚于今天", ymd(day)),
        ));
    }
    if app.calendar().working_days_between(day, today) > i64::from(DUE_DAYS) {
        return Err(Error::unprocessable(
            "received_on_too_old",
            format!(
                "收到日期{}距今已超过{DUE_DAYS}个工作日，答复期限已过，不能补登；请报告督查",
                ymd(day)
            ),
        ));
    }
    Ok(day)
}

/// The deadline of a request from its clock start, extension and consultation days.
pub(super) fn due(app: &App, r: &DisclosureRequest) -> Result<(String, bool), Error> {
    let start = parse_day(&r.clock_start).ok_or_else(|| Error::internal("bad clock_start"))?;
    let days = u32::try_from(i64::from(DUE_DAYS) + r.extended_days + r.suspended_days).unwrap_or(DUE_DAYS);
    let d = app.calendar().add_working_days(start, days);
    Ok((ymd(d.date), d.provisional))
}

/// Receives a request: online by the applicant (no session), or recorded by staff from a letter or at the window.
pub async fn file_request(
    app: &App,
    region: &str,
    input: RequestInput,
    by: Option<&Session>,
    today: NaiveDate,
    now: &str,
    address: crate::throttle::ClientAddress,
) -> Result<RequestView, Error> {
    if by.is_none() {
        crate::throttle::hit_address(app, crate::throttle::ANONYMOUS_ORDERS_PER_ADDRESS, address).await?;
    }
    let (filed_by, channel) = match by {
        Some(s) => {
            if !crate::policy::may_author_disclosure(s, &input.department) {
                return Err(Error::forbidden(format!(
                    "“{}”不能登记该部门的政府信息公开申请",
                    s.staff.role.label()
                )));
            }
            let channel = input.channel.as_deref().unwrap_or("window");
            let Some((channel, _)) = STAFF_CHANNELS.iter().find(|(c, _)| *c == channel) else {
                return Err(Error::unprocessable(
                    "invalid_channel",
                    format!("收件方式“{channel}”应为window（当面）、letter（信函）或fax（传真）"),
                ));
            };
            (s.staff.username.clone(), *channel)
        }
        None if input.channel.as_deref().is_some_and(|c| c != "online") => {
            return Err(Error::unprocessable(
                "invalid_channel",
                "网上申请的收件方式只能是online",
            ))
        }
        None => ("applicant".to_string(), "online"),
    };
    let received = receipt_day(app, &input, by.is_some(), today)?;
    let (kind, org_kind, applicant) = match input.applicant_kind.as_str() {
        "person" => (
            "person",
            String::new(),
            parse_applicant("person", &input.name, input.id_number.as_deref(), None, &input.phone)?,
        ),
        "organisation" => {
            let ok = input.org_kind.clone().unwrap_or_default();
            if !APPLICANT_COLUMNS[1..].iter().any(|(c, _)| *c == ok) {
                return Err(Error::unprocessable(
                    "invalid_org_kind",
                    "法人或其他组织的类型（org_kind）应为commercial、research、social、legal或other",
                ));
            }
            let a = parse_applicant(
                "enterprise",
                &input.name,
                None,
                input.credit_code.as_deref(),
                &input.phone,
            )?;
            ("organisation", ok, a)
        }
        other => {
            return Err(Error::unprocessable(
                "invalid_applicant_kind",
                format!("申请人类型“{other}”应为person（自然人）或organisation（法人或其他组织）"),
            ))
        }
    };
    let description = text_field(
        &input.description,
        "所需政府信息的名称、文号或便于查询的其他特征性描述",
        2000,
    )?;
    let email = input.email.unwrap_or_default().trim().to_string();
    let address = input.address.unwrap_or_default().trim().to_string();
    match input.delivery.as_str() {
        "email" if !email.contains('@') || email.len() > 200 => {
            return Err(Error::unprocessable(
                "missing_email",
                "选择电子邮件获取时须填写有效的电子邮箱",
            ))
        }
        "paper" if address.is_empty() => {
            return Err(Error::unprocessable(
                "missing_address",
                "选择纸质（邮寄）获取时须填写邮寄地址",
            ))
        }
        "paper" | "email" | "pickup" => {}
        other => {
            return Err(Error::unprocessable(
                "invalid_delivery",
                format!("获取方式“{other}”应为paper（纸质邮寄）、email（电子邮件）或pickup（当面领取）"),
            ))
        }
    }
    if app.store.department(region, input.department.trim()).await?.is_none() {
        return Err(Error::not_found(format!("部门“{}”", input.department.trim())));
    }
    let mut r = DisclosureRequest {
        id: 0,
        number: String::new(),
        department_code: input.department.trim().to_string(),
        department_name: String::new(),
        applicant_kind: kind.into(),
        org_kind,
        applicant_name: applicant.name,
        applicant_identifier: applicant.identifier,
        phone: applicant.phone,
        email,
        address,
        description,
        purpose: input.purpose.unwrap_or_default().trim().chars().take(500).collect(),
        delivery: input.delivery.clone(),
        channel: channel.into(),
        state: "received".into(),
        received_on: ymd(received),
        clock_start: ymd(received),
        extended_days: 0,
        suspended_days: 0,
        suspended_since: None,
        due_date: String::new(),
        due_provisional: false,
        correction_on: None,
        reply_kind: None,
        reply_ground: None,
        reply_text: String::new(),
        refer_to: String::new(),
        replied_on: None,
        replied_by: None,
        filed_by: filed_by.clone(),
        version: 1,
        created_at: now.into(),
    };
    let (d, p) = due(app, &r)?;
    r.due_date = d;
    r.due_provisional = p;
    let day = ymd(today);
    let detail = if received == today {
        format!("答复期限{}", r.due_date)
    } else {
        format!("{}签收；答复期限{}", ymd(received), r.due_date)
    };
    let stored = app
        .store
        .file_disclosure_request(
            region,
            &r.department_code,
            &r,
            NUMBER_PREFIX,
            &NewRequestEvent {
                actor: &filed_by,
                action: "receive",
                day: &day,
                at: now,
                detail: &detail,
            },
        )
        .await?;
    Ok(request_view(app, stored, true, today))
}

pub async fn load_request(app: &App, s: &Session, number: &str) -> Result<DisclosureRequest, Error> {
    match app.store.disclosure_request(&s.staff.region_code, number).await? {
        Some(r) if crate::policy::may_read_disclosure_request(s, &r.department_code) => Ok(r),
        _ => Err(Error::not_found(format!("政府信息公开申请“{number}”"))),
    }
}

/// The history of a request the reader has loaded (`load_request` decided they may read it).
pub async fn request_events(app: &App, r: &DisclosureRequest) -> Result<Vec<tongban_store::RequestEvent>, Error> {
    Ok(app.store.disclosure_request_events(r).await?)
}
