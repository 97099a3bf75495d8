//! The order's life cycle: dispatch, sign, return, extend, reply, revisit, review and merge, each checked against who may.

use super::*;
use crate::policy::OrderActor;
use crate::App;
use crate::{Error, ErrorKind};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tongban_core::lifecycle::StateMachine;
use tongban_core::lifecycle::{Lifecycle, Refusal, Step};
use tongban_store::{OrderEvent, Session, StoreError, WorkOrder};

/// An action on an order, as the API and the pages send it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// dispatch, sign, return, accept_return, reject_return, request_extension, approve_extension,
    /// reject_extension, reply, revisit, close, review_close, reopen, merge
    pub action: String,
    /// The version of the order the caller read (stale: 409)
    pub version: i64,
    /// dispatch / accept_return: the lead department's code
    pub department: Option<String>,
    /// dispatch / accept_return: co-handling departments
    #[serde(default)]
    pub co_departments: Vec<String>,
    /// return (required), request_extension (required), reject_return, reject_extension
    pub reason: Option<String>,
    /// request_extension: working days asked for (1–15)
    pub days: Option<u32>,
    /// reply: the department's answer
    pub reply: Option<String>,
    /// revisit: whether the problem was solved
    pub resolved: Option<bool>,
    /// revisit: 满意, 基本满意 or 不满意
    pub satisfaction: Option<String>,
    /// close / review_close / reopen: a note (required for review_close and reopen)
    pub note: Option<String>,
    /// merge: the number of the order this one duplicates
    pub into: Option<String>,
}

/// The 12345 order's lifecycle (广东省 and 北京 12345 rules, shared/DOMAIN.md): who may take which action in which
/// state. Where each action leads is decided in `act`.
pub const ORDER_LIFECYCLE: Lifecycle<OrderActor> = Lifecycle(&[
    step("dispatch", "派单", &["received"], OrderActor::Dispatcher),
    step(
        "merge",
        "合并",
        &["received", "dispatched", "returned"],
        OrderActor::Dispatcher,
    ),
    step("sign", "签收", &["dispatched"], OrderActor::LeadDepartment),
    step(
        "return",
        "退单",
        &["dispatched", "handling"],
        OrderActor::LeadDepartment,
    ),
    step("accept_return", "同意退单并改派", &["returned"], OrderActor::Dispatcher),
    step("reject_return", "不同意退单", &["returned"], OrderActor::Dispatcher),
    step(
        "request_extension",
        "申请延期",
        &["handling"],
        OrderActor::LeadDepartment,
    ),
    step("approve_extension", "同意延期", &["handling"], OrderActor::Dispatcher),
    step("reject_extension", "不同意延期", &["handling"], OrderActor::Dispatcher),
    step("reply", "答复", &["handling"], OrderActor::LeadDepartment),
    step("revisit", "回访", &["replied"], OrderActor::Dispatcher),
    step("close", "办结", &["revisited"], OrderActor::Dispatcher),
    step("review_close", "督办办结", &["review"], OrderActor::Leader),
    step("reopen", "督办重办", &["review"], OrderActor::Leader),
]);

const fn step(
    action: &'static str,
    label: &'static str,
    from: &'static [&'static str],
    party: OrderActor,
) -> Step<OrderActor> {
    Step {
        action,
        label,
        from,
        party,
    }
}

/// The actions this caller may take on the order now (what a page offers and a 422 names): the lifecycle's, less
/// the extension steps that do not apply (one request pending at a time).
pub fn allowed_actions(s: &Session, o: &WorkOrder) -> Vec<&'static str> {
    ORDER_LIFECYCLE
        .allowed(&o.state, &|who| crate::policy::acts_on_order_as(who, s, o))
        .into_iter()
        .filter(|a| extension_applies(a, o))
        .collect()
}

/// The name of an event in an order's history: a lifecycle action, or one of the events that are no action
/// (taking the order in, absorbing a duplicate, attaching files).
pub fn event_label(action: &str) -> &str {
    match action {
        "receive" => "受理",
        "absorb" => "并入重复工单",
        "attach" => "上传附件",
        other => ORDER_LIFECYCLE.step(other).map(|s| s.label).unwrap_or(""),
    }
}

fn extension_applies(action: &str, o: &WorkOrder) -> bool {
    match action {
        "approve_extension" | "reject_extension" => o.extension_requested > 0,
        "request_extension" => o.extension_requested == 0,
        _ => true,
    }
}

pub async fn load(app: &App, s: &Session, number: &str) -> Result<WorkOrder, Error> {
    let o = app
        .store
        .work_order(&s.staff.region_code, number)
        .await?
        .ok_or_else(|| Error::not_found(format!("工单“{number}”")))?;
    if !crate::policy::may_read_order(s, &o) {
        return Err(Error::forbidden("无权查看该工单"));
    }
    Ok(o)
}

fn need(v: &Option<String>, code: &'static str, what: &str) -> Result<String, Error> {
    match v.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Ok(t.to_string()),
        _ => Err(Error::unprocessable(code, format!("请填写{what}"))),
    }
}

async fn check_departments(app: &App, region: &str, lead: &str, co: &[String]) -> Result<String, Error> {
    let known: Vec<String> = app
        .store
        .departments(region)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    if !known.iter().any(|k| k == lead) {
        return Err(Error::unprocessable(
            "unknown_department",
            format!("承办部门“{lead}”不存在"),
        ));
    }
    let mut out = Vec::new();
    for c in co {
        let c = c.trim();
        if c.is_empty() || c == lead || out.iter().any(|o: &String| o == c) {
            continue;
        }
        if !known.iter().any(|k| k == c) {
            return Err(Error::unprocessable(
                "unknown_department",
                format!("协办部门“{c}”不存在"),
            ));
        }
        out.push(c.to_string());
    }
    Ok(out.join(","))
}

fn stale(current: i64) -> Error {
    Error::new(
        ErrorKind::Conflict,
        "stale_version",
        format!("工单已被他人更新（当前版本{current}），请刷新后重试"),
    )
    .with_details(serde_json::json!({"current_version": current}))
}

/// Applies one action: the version first (409), then the state (422 naming the allowed actions), then the role
/// (403), then the action's own inputs (422); only then is anything written, in one transaction.
pub async fn act(
    app: &App,
    s: &Session,
    number: &str,
    req: ActionRequest,
    now: DateTime<Utc>,
) -> Result<WorkOrder, Error> {
    let region = s.staff.region_code.clone();
    let o = load(app, s, number).await?;
    if req.version != o.version {
        return Err(stale(o.version));
    }
    match ORDER_LIFECYCLE.check(&req.action, &o.state, |who| crate::policy::acts_on_order_as(who, s, &o)) {
        Ok(_) => {}
        Err(Refusal::Unknown) => {
            return Err(
                Error::unprocessable("unknown_action", format!("未知的操作“{}”", req.action))
                    .with_details(serde_json::json!({"allowed_actions": allowed_actions(s, &o)})),
            )
        }
        Err(Refusal::NotInState { .. }) => {
            let (code, message) = match (req.action.as_str(), o.state.as_str()) {
                ("close", "replied") => ("revisit_required", "办结必访：工单须先回访才能办结".to_string()),
                ("revisit", _) => (
                    "not_replied",
                    format!("工单当前为“{}”，部门答复后才能回访", state_label(&o.state)),
                ),
                _ => (
                    "action_not_allowed",
                    format!(
                        "工单当前为“{}”，不能执行“{}”",
                        state_label(&o.state),
                        ORDER_LIFECYCLE.label(&req.action)
                    ),
                ),
            };
            return Err(Error::unprocessable(code, message)
                .with_details(serde_json::json!({"state": o.state, "allowed_actions": allowed_actions(s, &o)})));
        }
        Err(Refusal::NotParty(who)) => {
            let need = match who {
                OrderActor::Dispatcher => "12345热线话务员（派单员）",
                OrderActor::LeadDepartment => "承办部门的工作人员",
                OrderActor::Leader => "督办领导（效能监察）",
            };
            return Err(Error::forbidden(format!(
                "只有{need}可以执行“{}”",
                ORDER_LIFECYCLE.label(&req.action)
            )));
        }
    }
    let mut n = o.clone();
    let who_name = s.staff.username.clone();
    let mut note = String::new();
    let mut others: Vec<(WorkOrder, OrderEvent)> = Vec::new();
    match req.action.as_str() {
        "dispatch" | "accept_return" => {
            let lead = need(&req.department, "department_required", "承办部门")?;
            n.co_departments = check_departments(app, &region, &lead, &req.co_departments).await?;
            n.lead_department = lead;
            n.state = "dispatched".into();
            n.return_reason.clear();
            note = if n.co_departments.is_empty() {
                format!("派至{}", n.lead_department)
            } else {
                format!("派至{}，协办{}", n.lead_department, n.co_departments)
            };
        }
        "reject_return" => {
            note = need(&req.reason, "reason_required", "不同意退单的理由")?;
            n.state = "dispatched".into();
        }
        "sign" => n.state = "handling".into(),
        "return" => {
            let reason = need(&req.reason, "reason_required", "退单理由")?;
            n.state = "returned".into();
            n.return_reason = reason.clone();
            n.returns += 1;
            note = reason;
        }
        "request_extension" => {
            let reason = need(&req.reason, "reason_required", "延期理由")?;
            let days = req.days.unwrap_or(0);
            if !(1..=15).contains(&days) {
                return Err(Error::unprocessable("invalid_days", "延期天数应为1到15个工作日"));
            }
            if parse_time(&o.due_at).is_some_and(|d| d < now) {
                return Err(Error::unprocessable(
                    "extension_too_late",
                    "工单已超期，须在期限届满前申请延期",
                ));
            }
            n.extension_requested = i64::from(days);
            n.extension_reason = reason.clone();
            note = format!("申请延期{days}个工作日：{reason}");
        }
        "approve_extension" => {
            let days = n.extension_requested as u32;
            n.due_at = extend_due(app, &o.due_at, days);
            n.extensions += 1;
            n.extension_requested = 0;
            note = format!("同意延期{days}个工作日，新期限{}", local_short(&n.due_at));
        }
        "reject_extension" => {
            note = need(&req.reason, "reason_required", "不同意延期的理由")?;
            n.extension_requested = 0;
        }
        "reply" => {
            let reply = need(&req.reply, "reply_required", "答复内容")?;
            n.reply = reply;
            n.replied_at = Some(time_text(now));
            n.extension_requested = 0;
            n.state = "replied".into();
        }
        "revisit" => {
            let sat = need(&req.satisfaction, "satisfaction_required", "满意度")?;
            if !SATISFACTION.contains(&sat.as_str()) {
                return Err(Error::unprocessable(
                    "invalid_satisfaction",
                    "满意度应为满意、基本满意或不满意",
                ));
            }
            let Some(resolved) = req.resolved else {
                return Err(Error::unprocessable("resolved_required", "请填写诉求是否解决"));
            };
            n.resolved = Some(resolved);
            n.state = if sat == "不满意" {
                "review".into()
            } else {
                "revisited".into()
            };
            note = format!("{}，{}", if resolved { "已解决" } else { "未解决" }, sat);
            n.satisfaction = Some(sat);
        }
        "close" => {
            n.state = "closed".into();
            n.closed_at = Some(time_text(now));
            n.closing_note = req.note.clone().unwrap_or_default().trim().to_string();
            note = n.closing_note.clone();
        }
        "review_close" => {
            note = need(&req.note, "note_required", "督办意见")?;
            n.state = "closed".into();
            n.closed_at = Some(time_text(now));
            n.closing_note = note.clone();
        }
        "reopen" => {
            note = need(&req.note, "note_required", "督办意见")?;
            n.state = "handling".into();
            n.reply.clear();
            n.replied_at = None;
        }
        "merge" => {
            let into = need(&req.into, "into_required", "合并到的工单编号")?;
            if into == o.number {
                return Err(Error::unprocessable("merge_self", "不能把工单合并到它自己"));
            }
            let target = app
                .store
                .work_order(&region, &into)
                .await?
                .ok_or_else(|| Error::unprocessable("unknown_order", format!("工单“{into}”不存在")))?;
            if matches!(target.state.as_str(), "merged" | "closed") {
                return Err(Error::unprocessable(
                    "merge_target_finished",
                    format!("工单“{into}”已{}，不能再合并进来", state_label(&target.state)),
                ));
            }
            n.state = "merged".into();
            n.merged_into = Some(into.clone());
            n.closed_at = Some(time_text(now));
            note = format!("与{into}重复，合并");
            let e = OrderEvent {
                at: time_text(now),
                actor: who_name.clone(),
                action: "absorb".into(),
                from_state: target.state.clone(),
                to_state: target.state.clone(),
                department: target.lead_department.clone(),
                note: format!("合并重复工单{}", o.number),
            };
            others.push((target, e));
        }
        _ => {}
    }
    let event = OrderEvent {
        at: time_text(now),
        actor: who_name,
        action: req.action.clone(),
        from_state: o.state.clone(),
        to_state: n.state.clone(),
        department: n.lead_department.clone(),
        note,
    };
    let mut changes: Vec<(&WorkOrder, &OrderEvent)> = vec![(&n, &event)];
    for (t, e) in &others {
        changes.push((t, e));
    }
    match app.store.save_work_orders(&region, &changes).await {
        Ok(mut saved) => Ok(saved.remove(0)),
        Err(StoreError::Stale { current }) => Err(stale(current)),
        Err(e) => Err(e.into()),
    }
}
