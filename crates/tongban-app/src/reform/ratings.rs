//! 好差评: rating a case or a visit, and the rectification of bad ratings with revisits and appeals.

use crate::policy::RectificationParty;
use crate::policy::{self, Capability};
use crate::time::today;
use crate::time::ymd;
use crate::App;
use crate::{Error, ErrorKind};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tongban_store::{NewRating, RateRow, Rating, Rectification, Session, SessionKind};

/// The token in a case's rating link: keyed by the deployment secret, so a link cannot be made up for another case.
pub fn rating_token(app: &App, number: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tongban rating link\0");
    h.update(app.signing_key.to_bytes());
    h.update(number.as_bytes());
    hex::encode(&h.finalize()[..10])
}

// ---------------------------------------------------------------------------------------------------------------
// Where an item may be accepted

pub const LEVELS: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// A rating's level by its name (1 非常满意 … 5 非常不满意).
pub fn rating_level_label(level: &i64) -> &'static str {
    usize::try_from(*level - 1)
        .ok()
        .and_then(|i| LEVELS.get(i))
        .copied()
        .unwrap_or("")
}

/// Who rates: the applicant signed in on the portal, the applicant by the link in the notice, or the applicant on
/// the tablet at the window (the clerk's session).
pub enum Rater<'a> {
    Applicant(&'a tongban_store::ApplicantSession),
    Link(&'a str),
    Window(&'a Session),
}

pub async fn rate_case(
    app: &App,
    region: &str,
    number: &str,
    level: i64,
    comment: &str,
    rater: Rater<'_>,
) -> Result<(tongban_store::Rating, Option<i64>), Error> {
    if !(1..=5).contains(&level) {
        return Err(Error::unprocessable(
            "invalid_level",
            "评价等级应为1至5（1非常满意、2满意、3基本满意、4不满意、5非常不满意）",
        ));
    }
    if comment.chars().count() > 500 {
        return Err(Error::unprocessable("comment_too_long", "评价内容不能超过500字"));
    }
    let case = app
        .store
        .case_by_number(region, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("办件“{number}”")))?;
    let (channel, who) = match &rater {
        Rater::Applicant(a) => {
            if a.identifier != case.applicant_identifier || a.phone != case.applicant_phone {
                return Err(Error::not_found(format!("办件“{number}”")));
            }
            (
                "portal",
                format!("applicant:{}", crate::policy::mask::signed_in(&a.identifier)),
            )
        }
        Rater::Link(token) => {
            if !crate::auth::same_secret(&rating_token(app, number), token) {
                return Err(Error::new(ErrorKind::Forbidden, "invalid_rating_link", "评价链接无效"));
            }
            ("sms", "applicant:link".to_string())
        }
        Rater::Window(s) => {
            if s.staff.region_code != case.region_code {
                return Err(Error::not_found(format!("办件“{number}”")));
            }
            if !crate::policy::may_rate_at_window(s, &case) {
                return Err(Error::new(
                    ErrorKind::Forbidden,
                    "not_the_window_tablet",
                    "只有受理该办件的窗口（在窗口评价器上）或申请人本人可以评价",
                ));
            }
            ("tablet", format!("tablet:{}", s.staff.username))
        }
    };
    if case.completed_on.is_none() && case.closed_at.is_none() {
        return Err(Error::unprocessable(
            "case_not_finished",
            format!("办件“{number}”尚未办结，办结后才能评价"),
        ));
    }
    let window_code = window_of(app, &case.filed_by).await?;
    let rectify_by = (level >= 4).then(|| {
        ymd(app
            .calendar()
            .add_working_days(today(), app.config.rectification_days)
            .date)
    });
    let r = NewRating {
        case_id: Some(case.id),
        department_id: Some(case.department_id),
        item_code: case.item_code.clone(),
        window_code,
        level,
        comment: comment.trim().to_string(),
        channel: channel.into(),
        rater: who,
    };
    app.store
        .rate(region, &r, rectify_by.as_deref())
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "already_rated", m),
            other => other.into(),
        })
}

/// The window code of the clerk who filed a case (empty for online filings).
async fn window_of(app: &App, username: &str) -> Result<String, Error> {
    if username == "applicant" {
        return Ok(String::new());
    }
    let windows = app.store.windows_of_staff(username).await?;
    Ok(windows.unwrap_or_default())
}

/// 一次一评: a rating of a window visit, given on the tablet at that window.
pub async fn rate_visit(
    app: &App,
    s: &Session,
    level: i64,
    comment: &str,
) -> Result<(tongban_store::Rating, Option<i64>), Error> {
    if !(1..=5).contains(&level) {
        return Err(Error::unprocessable("invalid_level", "评价等级应为1至5"));
    }
    let window = app
        .store
        .windows_of_staff(&s.staff.username)
        .await?
        .ok_or_else(|| Error::forbidden("只有窗口工作人员的评价器可以评价窗口服务"))?;
    let department_id = app.store.window_department(&s.staff.region_code, &window).await?;
    let rectify_by = (level >= 4).then(|| {
        ymd(app
            .calendar()
            .add_working_days(today(), app.config.rectification_days)
            .date)
    });
    let r = NewRating {
        case_id: None,
        department_id,
        item_code: String::new(),
        window_code: window,
        level,
        comment: comment.trim().to_string(),
        channel: "tablet".into(),
        rater: format!("tablet:{}", s.staff.username),
    };
    Ok(app.store.rate(&s.staff.region_code, &r, rectify_by.as_deref()).await?)
}

/// One step of a rectification task, by the role whose step it is.
pub async fn rectification_step(
    app: &App,
    s: &Session,
    id: i64,
    step: &str,
    text: &str,
    verdict: Option<&str>,
    upheld: Option<bool>,
) -> Result<tongban_store::Rectification, Error> {
    let region = s.staff.region_code.clone();
    let task = app
        .store
        .rectification(&region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("整改任务{id}")))?;
    let acts_as = |party| policy::acts_on_rectification_as(party, s, task.department_id);
    let text = text.trim();
    let user = s.staff.username.as_str();
    let now = tongban_store::now_text();
    match step {
        "reply" => {
            if !acts_as(RectificationParty::Department) {
                return Err(Error::forbidden("只有被评价部门的审查或负责人员可以整改答复"));
            }
            require_text(text, "整改答复")?;
            advance(
                app,
                &region,
                id,
                "open",
                "replied",
                &[("reply", text), ("replied_by", user), ("replied_at", &now)],
                false,
                user,
            )
            .await?;
        }
        "revisit" => {
            if !acts_as(RectificationParty::Supervision) {
                return Err(Error::forbidden("回访评价人由效能监察人员办理"));
            }
            let verdict = match verdict {
                Some(v @ ("satisfied" | "unsatisfied")) => v,
                _ => {
                    return Err(Error::unprocessable(
                        "invalid_verdict",
                        "回访结果应为satisfied（满意）或unsatisfied（不满意）",
                    ))
                }
            };
            // An unsatisfied rater sends the task back to the department for another round.
            let to = if verdict == "satisfied" { "closed" } else { "open" };
            advance(
                app,
                &region,
                id,
                "replied",
                to,
                &[("verdict", verdict), ("revisit_note", text)],
                false,
                user,
            )
            .await?;
        }
        "appeal" => {
            if !acts_as(RectificationParty::DepartmentHead) {
                return Err(Error::forbidden("只有被评价部门的负责人可以申诉"));
            }
            require_text(text, "申诉理由")?;
            advance(
                app,
                &region,
                id,
                "open",
                "appealed",
                &[("appeal_reason", text)],
                false,
                user,
            )
            .await?;
        }
        "decide_appeal" => {
            if !acts_as(RectificationParty::Supervision) {
                return Err(Error::forbidden("申诉由效能监察人员审核"));
            }
            let upheld =
                upheld.ok_or_else(|| Error::unprocessable("missing_decision", "须说明申诉是否成立（upheld）"))?;
            require_text(text, "审核意见")?;
            let decision = format!(
                "{}：{text}",
                if upheld {
                    "申诉成立，该评价不计入"
                } else {
                    "申诉不成立"
                }
            );
            let to = if upheld { "closed" } else { "open" };
            advance(
                app,
                &region,
                id,
                "appealed",
                to,
                &[("appeal_decision", &decision)],
                upheld,
                user,
            )
            .await?;
        }
        other => {
            return Err(Error::unprocessable(
                "unknown_step",
                format!("未知的整改步骤“{other}”（reply、revisit、appeal、decide_appeal）"),
            ))
        }
    }
    app.store
        .rectification(&region, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("整改任务{id}")))
}

fn require_text(text: &str, what: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::unprocessable("missing_text", format!("{what}不能为空")));
    }
    if text.chars().count() > 2000 {
        return Err(Error::unprocessable("text_too_long", format!("{what}不能超过2000字")));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn advance(
    app: &App,
    region: &str,
    id: i64,
    from: &str,
    to: &str,
    set: &[(&str, &str)],
    exclude: bool,
    actor: &str,
) -> Result<(), Error> {
    app.store
        .advance_rectification(region, id, from, to, set, exclude, actor)
        .await
        .map_err(|e| match e {
            tongban_store::StoreError::Conflict(m) => Error::new(ErrorKind::Conflict, "wrong_task_state", m),
            other => other.into(),
        })
}

// ---------------------------------------------------------------------------------------------------------------
// Rating by a bearer token, the published rates, the rectification lists

/// Rates a finished case for whoever presents the bearer token: a staff member's API session (the tablet at the
/// window) or a signed-in applicant (in their region); without a token, the holder of the link token from the
/// notice (in the default region). A token that opens no session is refused, and so is a rating with neither.
pub async fn rate_case_by_token(
    app: &App,
    bearer: Option<&str>,
    link: Option<&str>,
    number: &str,
    level: i64,
    comment: &str,
) -> Result<(Rating, Option<i64>), Error> {
    let staff = match bearer {
        Some(t) => crate::auth::session(app, t, SessionKind::Api).await?,
        None => None,
    };
    let applicant = match (bearer, &staff) {
        (Some(t), None) => super::applicant_session(app, t).await?,
        _ => None,
    };
    let (region, rater) = match (&staff, &applicant, link) {
        (Some(s), _, _) => (s.staff.region_code.clone(), Rater::Window(s)),
        (None, Some(a), _) => (a.region_code.clone(), Rater::Applicant(a)),
        (None, None, Some(link)) if bearer.is_none() => (app.config.default_region.clone(), Rater::Link(link)),
        (None, None, _) if bearer.is_some() => return Err(super::sign_in::invalid_token()),
        _ => {
            return Err(Error::unauthorized(
                "评价须由申请人登录后进行，或使用办结短信中的评价链接，或在窗口评价器上进行",
            ))
        }
    };
    rate_case(app, &region, number, level, comment, rater).await
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateSummary {
    pub from: String,
    pub to: String,
    pub by: String,
    /// 好评率 = ratings of level 1–3 ÷ ratings that count (an upheld appeal takes one out)
    pub formula: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub rows: Vec<RateRow>,
}

/// The region's rating rates over the period (public: 好差评 results are published).
pub async fn rating_summary(
    app: &App,
    region: &str,
    by: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<RateSummary, Error> {
    let by = by.unwrap_or("department").to_string();
    if !matches!(by.as_str(), "department" | "window" | "item") {
        return Err(Error::bad_request("invalid_by", "by应为department、window或item"));
    }
    let (from, to, start, end) = super::period(from, to)?;
    let rows = app.store.rating_rates(region, &by, &start, &end).await?;
    Ok(RateSummary {
        from,
        to,
        by,
        formula: "好评率 = 评价等级1–3（非常满意、满意、基本满意）的评价数 ÷ 计入的评价总数；申诉成立的差评不计入"
            .into(),
        rows,
    })
}

/// A rectification task's state as people read it.
pub fn rectification_state_label(state: &str) -> &'static str {
    match state {
        "open" => "待整改答复",
        "replied" => "已答复待回访",
        "appealed" => "申诉待审核",
        "closed" => "已办结",
        _ => "",
    }
}

/// Whose turn a rectification task is after a step, as the page that confirms the step says it.
pub fn rectification_next_step(t: &tongban_store::Rectification) -> String {
    let department = t.rating.department_name.clone().unwrap_or_else(|| "被评价部门".into());
    match t.state.as_str() {
        "open" => format!("下一步：{department}于{}前整改答复，已进入其“待我办理”。", t.due_date),
        "replied" => "下一步：效能监察人员回访评价人，已进入其“待我办理”。".to_string(),
        "appealed" => "下一步：效能监察人员审核申诉，已进入其“待我办理”。".to_string(),
        _ => "整改任务已办结。".to_string(),
    }
}

/// Rectification tasks of bad ratings: department staff see their department's; those who follow rectifications
/// (supervisors, administrators, clerks) all of the region's; anyone else is refused.
pub async fn rectifications(app: &App, s: &Session) -> Result<Vec<Rectification>, Error> {
    if !policy::may_follow_rectifications(s) {
        policy::require(&s.staff, Capability::FollowRectifications)?;
    }
    let department = policy::own_department_only(s).then(|| s.staff.department_id.unwrap_or(-1));
    Ok(app.store.rectifications(&s.staff.region_code, department).await?)
}

// ---------------------------------------------------------------------------------------------------------------
// 电子证照
