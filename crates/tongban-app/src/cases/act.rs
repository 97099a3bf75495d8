//! Acting on a case under its workflow template: version, state and role checked, deadlines and notices applied.

use super::*;
use crate::time::{parse_day, ymd};
use crate::App;
use crate::{Error, ErrorKind};
use chrono::NaiveDate;
use tongban_core::deadline;
use tongban_core::workflow::{Actor, Clock, Template, WorkflowError};
use tongban_store::{CaseRecord, CaseUpdate, NewEvent, Notification, Session, StoreError};

/// What an action carries besides its comment.
#[derive(Debug, Clone, Default)]
pub struct ActOptions {
    /// Materials handed in with this step (accept, resubmit).
    pub handed_in: Vec<String>,
    /// 容缺受理: accept with the "may be missing" materials absent, on the applicant's signed commitment.
    pub tolerance: bool,
}

/// Takes an action on a case, checking the version it was based on, the state, the role and the materials.
pub async fn act(
    app: &App,
    s: &Session,
    number: &str,
    action: &str,
    version: i64,
    comment: &str,
    opts: &ActOptions,
) -> Result<CaseRecord, Error> {
    act_at(app, s, number, action, version, comment, opts, today(), None).await
}

/// `act` on a given day and instant (replaying history); `at` None means now.
#[allow(clippy::too_many_arguments)]
pub async fn act_at(
    app: &App,
    s: &Session,
    number: &str,
    action: &str,
    version: i64,
    comment: &str,
    opts: &ActOptions,
    today: NaiveDate,
    at: Option<String>,
) -> Result<CaseRecord, Error> {
    let mut case = load(app, s, number).await?;
    let mut materials = case.materials.clone();
    for m in opts.handed_in.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        if !materials.iter().any(|h| h == m) {
            materials.push(m.to_string());
        }
    }
    let tpl = template(app, &case.region_code, &case.workflow_code).await?;
    let actor = Actor::Staff(s.staff.role);
    if version != case.version {
        return Err(stale(case.version));
    }
    let next = tpl
        .apply(&case.position, action, actor, comment)
        .map_err(|e| workflow_error(&tpl, &case, actor, e))?;
    let added = materials.len() > case.materials.len();
    if added && !matches!(action, "accept" | "resubmit") {
        return Err(Error::unprocessable(
            "materials_not_expected",
            "只有受理或补正时可以补交材料",
        ));
    }
    case.materials = materials.clone();
    if opts.tolerance && action != "accept" {
        return Err(Error::unprocessable(
            "tolerance_not_applicable",
            "容缺受理只适用于受理（accept）",
        ));
    }
    let mut commitment = None;
    let mut licence = None;
    if action == "accept" {
        let item = guide_version(app, &case.region_code, &case.item_code, case.item_version).await?;
        if let Some(item) = item {
            let missing: Vec<&str> = item
                .guide
                .materials
                .iter()
                .filter(|m| m.required && !case.materials.iter().any(|h| h == &m.name))
                .map(|m| m.name.as_str())
                .collect();
            if opts.tolerance {
                commitment = Some(crate::reform::tolerance_commitment(app, &case, &item.guide, &missing, today).await?);
            } else if !missing.is_empty() {
                return Err(Error::unprocessable(
                    "missing_materials",
                    format!(
                        "缺少必要材料：{}。请出具一次性告知书（request_correction）",
                        missing.join("、")
                    ),
                ));
            }
        }
    }
    if action == "issue" {
        crate::reform::check_supplements_in(app, &case).await?;
    }
    if action == "approve" {
        licence = crate::reform::licence_for(app, &case, today).await?;
    }
    let cal = app.calendar();
    let mut update = CaseUpdate {
        materials: added.then_some(materials),
        commitment,
        licence,
        ..Default::default()
    };
    let to_clock = tpl.state(&next.state).map(|st| st.clock);
    if action == "accept" {
        let d = deadline::on_accept(
            &cal,
            today,
            case.promised_days.max(0) as u32,
            case.legal_days.max(0) as u32,
        );
        update.accepted_on = Some(ymd(today));
        update.due_date = Some(ymd(d.due.date));
        update.legal_due_date = Some(ymd(d.legal.date));
        update.due_provisional = Some(d.due.provisional || d.legal.provisional);
    }
    if to_clock == Some(Clock::Stopped) {
        update.suspended_since = Some(Some(ymd(today)));
    } else if let Some(since) = case.suspended_since.as_deref().and_then(parse_day) {
        // Leaving a suspension: its working days do not count, so both deadlines move by them.
        let stopped = deadline::stopped_days(&cal, since, today);
        let moved = |d: &Option<String>| {
            d.as_deref()
                .and_then(parse_day)
                .map(|d| deadline::after_suspension(&cal, d, stopped))
        };
        if let Some(d) = moved(&case.due_date) {
            update.due_date = Some(ymd(d.date));
            update.due_provisional = Some(d.provisional || case.due_provisional);
        }
        if let Some(d) = moved(&case.legal_due_date) {
            update.legal_due_date = Some(ymd(d.date));
        }
        update.suspended_since = Some(None);
        update.suspended_days = Some(case.suspended_days + i64::from(stopped));
    }
    update.closed = tpl.actions.iter().all(|a| !a.from.contains(&next.state));
    if case.completed_on.is_none() && case.accepted_on.is_some() && (next.state == "issued" || update.closed) {
        update.completed_on = Some(ymd(today));
    }
    let state_label = tpl
        .state(&next.state)
        .map(|st| st.label.clone())
        .unwrap_or_else(|| next.state.clone());
    let action_label = tpl
        .action(action)
        .map(|a| a.label.clone())
        .unwrap_or_else(|| action.to_string());
    let mut body = format!(
        "{}您的办件{}（{}）已{}，当前状态：{}。",
        app.config.sms_signature(),
        case.number,
        case.item_name,
        action_label,
        state_label
    );
    if let Some(b) = case.bundle_case_id {
        if action == "deny" {
            let name = app
                .store
                .bundle_case_by_id(b)
                .await?
                .map(|b| b.bundle_name)
                .unwrap_or_default();
            body = format!(
                "{}您申请的“{name}”中“{}”未获批准，原因：{}。其余事项继续办理。",
                app.config.sms_signature(),
                case.item_name,
                comment.trim()
            );
        }
    }
    if update.completed_on.is_some() {
        body.push_str(&format!(
            "欢迎评价：/rate/{}?t={}",
            case.number,
            crate::reform::rating_token(app, &case.number)
        ));
    }
    let notice = Notification {
        channel: "sms".into(),
        recipient: case.applicant_phone.clone(),
        body,
    };
    let event = NewEvent {
        actor: s.staff.username.clone(),
        role: s.staff.role.as_str().to_string(),
        action: action.to_string(),
        comment: comment.trim().to_string(),
        attachments: vec![],
        at,
    };
    match app
        .store
        .apply_transition(&case, &next, &update, &event, Some(&notice))
        .await
    {
        Ok(c) => Ok(c),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}

pub fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("办件已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

fn workflow_error(tpl: &Template, case: &CaseRecord, actor: Actor, e: WorkflowError) -> Error {
    let status = match e {
        WorkflowError::ActorNotAllowed { .. } => ErrorKind::Forbidden,
        WorkflowError::UnknownAction(_) => ErrorKind::Invalid,
        _ => ErrorKind::Invalid,
    };
    let allowed: Vec<String> = tpl
        .allowed_actions(&case.position, actor)
        .iter()
        .map(|a| a.code.clone())
        .collect();
    Error::new(status, e.code(), e.to_string()).with_details(serde_json::json!({ "allowed_actions": allowed }))
}
